// Glue between libsrt and the worker's epoll loop (see Sources/SRT/SRTPoller.swift).
#ifndef CSRTSUPPORT_H
#define CSRTSUPPORT_H

#include <stdint.h>
#include <srt/srt.h>

/// A thread that waits in libsrt's epoll (`srt_epoll_uwait`) and hands the events it gets to the
/// loop thread: it queues them and makes `eventfd` readable. libsrt's epoll has no kernel fd of
/// its own, so this is how SRT sockets join a kernel epoll loop without polling it.
typedef struct csrt_pump csrt_pump;

/// Starts a pump on libsrt epoll `eid` (created by the caller, subscriptions edge-triggered) that
/// signals `eventfd` (non-blocking, owned by the caller). `capacity` bounds the queue; past it
/// the pump records an overflow instead. Returns NULL with errno set if the thread cannot start.
csrt_pump *csrt_pump_start(int eid, int eventfd, int capacity);

/// Moves up to `max` queued events into `out` (loop thread). Returns how many; sets `*overflowed`
/// to 1 if events were lost since the last call (the caller must then look at every socket).
int csrt_pump_take(csrt_pump *pump, SRT_EPOLL_EVENT *out, int max, int *overflowed);

/// Stops the thread (it notices within 100 ms), joins it and frees the pump.
void csrt_pump_stop(csrt_pump *pump);

/// How many times the pump thread woke with events, and how many events it queued (for stats).
void csrt_pump_counters(csrt_pump *pump, uint64_t *wakeups, uint64_t *events);

#endif
