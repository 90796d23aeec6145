// Process-model syscalls for the master/worker split: spawning workers, passing file descriptors
// over unix sockets, the process title, CPU counts. Glibc's Swift overlay lacks or mangles these
// (posix_spawn attributes, cmsg macros, the argv area).
#ifndef CPROCESS_H
#define CPROCESS_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

/// A connected AF_UNIX SOCK_STREAM pair, both ends CLOEXEC|NONBLOCK. Returns 0 or -1 with errno.
int csys_socketpair(int fds[2]);

/// posix_spawn of `path` with `argv`/`envp` (NULL-terminated): the child gets an empty signal mask,
/// default signal dispositions, `channel_fd` as fd 3, and no other fd above 2 (not even ones our
/// parent leaked to us). Returns 0 and sets *pid, or an errno value.
int csys_spawn(const char *path, char *const argv[], char *const envp[], int channel_fd,
               const int *blocked, int nblocked, pid_t *pid);

/// sendmsg of `len` bytes with `nfds` descriptors attached (SCM_RIGHTS). Returns bytes sent or -1.
ssize_t csys_send_with_fds(int sock, const void *buf, size_t len, const int *fds, int nfds);

/// recvmsg into `buf`; received descriptors (made CLOEXEC) go to `fds` (up to `maxfds`), their
/// count to *nfds. Returns bytes read (0 = EOF) or -1.
ssize_t csys_recv_with_fds(int sock, void *buf, size_t len, int *fds, int maxfds, int *nfds);

/// Replaces the process title shown by ps/top (the argv area, as nginx does). Longer titles are cut.
void csys_set_proctitle(const char *title);

/// CPUs this process may run on (sched_getaffinity), at least 1.
int csys_affinity_cpus(void);

/// Sets or clears FD_CLOEXEC. Returns 0 or -1.
int csys_set_cloexec(int fd, int on);

/// waitpid(-1, WNOHANG): returns a pid and its raw status, 0 when none is ready, -1 on error (ECHILD).
pid_t csys_reap(int *status);

/// Decodes a wait status: exit code (>= 0) or -signal (< 0).
int csys_exit_code(int status);

/// Raises the soft RLIMIT_NOFILE towards `want` (never above the hard limit, never lowers it),
/// then reports the soft and hard limits now in force. Returns 0 or -1 with errno.
int csys_raise_nofile(int64_t want, int64_t *soft, int64_t *hard);

#endif
