// Networking helpers beyond CSystem.h: outbound unix-socket connects, and name resolution that
// never blocks the event loop (getaddrinfo runs on a detached thread; the result is handed back
// through a pipe the loop watches).
#ifndef CNET_H
#define CNET_H

#include <stdint.h>

/// A non-blocking AF_UNIX stream connect, CLOEXEC|NONBLOCK. A name starting with '@' is in the
/// abstract namespace. Returns the fd (the connect may still be in progress) or -1 with errno.
int csys_unix_connect(const char *name);

/// A listening AF_UNIX stream socket, CLOEXEC|NONBLOCK. A name starting with '@' is in the
/// abstract namespace (no file; gone with the process). Returns fd or -1 with errno.
int csys_unix_listen(const char *name, int backlog);

/// At most this many addresses are kept per lookup.
#define CSYS_DNS_MAX_ADDRS 32
/// Room for a numeric IPv6 address and its NUL.
#define CSYS_DNS_ADDR_LEN 64

/// The outcome of one asynchronous lookup. Allocated by the resolver thread, freed by the reader
/// with `csys_dns_free`.
typedef struct csys_dns_result {
    uint64_t token;
    /// 0, or getaddrinfo's EAI_* code (negative in glibc).
    int error;
    int count;
    char addrs[CSYS_DNS_MAX_ADDRS][CSYS_DNS_ADDR_LEN];
} csys_dns_result;

/// A pipe for lookup results: fds[0] (read end) is CLOEXEC|NONBLOCK, fds[1] is CLOEXEC.
int csys_dns_pipe(int fds[2]);

/// Starts getaddrinfo(`host`, AF_UNSPEC, SOCK_STREAM) on a detached thread with every signal
/// blocked. The thread writes a pointer to its `csys_dns_result` to its own dup of `notify_fd`,
/// so closing `notify_fd` meanwhile is safe (the result is then freed by the thread).
/// Returns 0 or an errno value.
int csys_dns_start(const char *host, int notify_fd, uint64_t token);

/// Reads one result from the pipe's read end. NULL when none is ready (errno EAGAIN), at EOF
/// (errno 0) or on error.
csys_dns_result *csys_dns_read(int fd);

/// Frees a result returned by `csys_dns_read`.
void csys_dns_free(csys_dns_result *r);

#endif
