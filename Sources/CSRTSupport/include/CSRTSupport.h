// Glue between libsrt and the worker's epoll loop (see Sources/SRT/SRTPoller.swift).
#ifndef CSRTSUPPORT_H
#define CSRTSUPPORT_H

#include <stdint.h>
#include <srt/srt.h>

/// The most events one hand-over carries.
#define CSRT_PUMP_BATCH 256

/// A thread that waits in libsrt's epoll (`srt_epoll_uwait`) and hands the events it gets to the
/// loop thread: it keeps them and makes `eventfd` readable, then waits until the loop took them
/// before it asks libsrt again. libsrt's epoll has no kernel fd of its own, so this is how SRT
/// sockets join a kernel epoll loop without polling it. One batch at a time bounds what waits
/// and keeps a socket libsrt keeps reporting (1.5.1 repeats OUT on a broken socket, subscribed
/// or not) from flooding anything: it comes back at the loop's pace, until the loop closes it.
typedef struct csrt_pump csrt_pump;

/// Starts a pump on libsrt epoll `eid` (created by the caller, subscriptions edge-triggered)
/// that signals `eventfd` (non-blocking, owned by the caller). Returns NULL with errno set if
/// the thread cannot start.
csrt_pump *csrt_pump_start(int eid, int eventfd);

/// Moves the events of the last batch (at most CSRT_PUMP_BATCH) into `out` and lets the pump
/// wait again (loop thread). Returns how many.
int csrt_pump_take(csrt_pump *pump, SRT_EPOLL_EVENT *out);

/// Stops the thread (it notices within 100 ms), joins it and frees the pump.
void csrt_pump_stop(csrt_pump *pump);

#endif
