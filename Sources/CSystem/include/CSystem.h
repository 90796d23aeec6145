// Syscalls and constants that Glibc does not export to Swift, with thin helpers where the C
// types do not import well (epoll_event is packed on x86_64; socket type flags are macros).
#ifndef CSYSTEM_H
#define CSYSTEM_H

#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <sys/file.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <spawn.h>
#include <fcntl.h>
#include "CProcess.h"
#include "CNet.h"
#include "CShared.h"
#include "CChild.h"

/// epoll_ctl with the event packed here. Returns -1 and sets errno on failure.
int csys_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);

/// epoll_wait unpacking up to `max` events into two parallel arrays.
int csys_epoll_wait(int epfd, uint32_t *events, uint64_t *datas, int max, int timeout_ms);

/// accept4 with SOCK_NONBLOCK|SOCK_CLOEXEC. Writes the peer's numeric address into `ip` (NUL-terminated).
int csys_accept(int fd, char *ip, int iplen, int *port);

/// A TCP listener bound to host:port with SO_REUSEADDR (and SO_REUSEPORT when reuseport != 0),
/// CLOEXEC|NONBLOCK. host may be "0.0.0.0", "::" or an address. Returns fd or -1 with errno.
int csys_tcp_listen(const char *host, int port, int backlog, int reuseport);

/// A UDP socket bound to host:port with SO_REUSEADDR (and SO_REUSEPORT when reuseport != 0),
/// CLOEXEC and blocking (for libsrt, whose receive thread waits in select then recvmsg, and whose
/// send thread must not lose packets to EAGAIN). "::" accepts IPv4 too. Returns fd or -1 with errno.
int csys_udp_bind(const char *host, int port, int reuseport);

/// A non-blocking TCP connect to a numeric IPv4/IPv6 address. Returns fd (connect may be in progress) or -1.
int csys_tcp_connect(const char *ip, int port);

/// Local port of a bound socket, or -1.
int csys_local_port(int fd);

/// Creates a signalfd (CLOEXEC|NONBLOCK) for the given signals after blocking them. Returns fd or -1.
int csys_signalfd(const int *signals, int count);

/// Reads one signal from a signalfd. Returns the signal number, 0 if none pending, -1 on error.
int csys_signalfd_read(int fd, int *pid);

/// Sets SO_ERROR result of a finished non-blocking connect into *err. Returns -1 on getsockopt failure.
int csys_socket_error(int fd, int *err);

/// Sets TCP_NODELAY.
int csys_set_nodelay(int fd);

/// Sets the process title shown by ps (argv[0] area rewrite is not possible from Swift; this uses prctl name).
int csys_set_name(const char *name);

/// Unblocks every signal and restores default dispositions (for a child after fork/spawn).
void csys_reset_signals(void);

/// Blocks the given signals in this thread's mask.
int csys_block_signals(const int *signals, int count);

#endif
