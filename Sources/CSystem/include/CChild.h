// Starting supervised child processes (ffmpeg, exec'd programs) so that they cannot outlive
// the process that started them: things posix_spawn cannot do (PR_SET_PDEATHSIG).
#ifndef CCHILD_H
#define CCHILD_H

#include <sys/types.h>

/// Starts `path` with `argv`/`envp` (NULL-terminated), the way a supervisor should:
/// - fds 0, 1, 2 are `in_fd`, `out_fd`, `err_fd`; every other fd is closed;
/// - the child leads a new process group (its pid), so a signal to -pid reaches what it starts;
/// - the kernel sends it `death_signal` (when > 0) as soon as the calling thread ends, even by
///   SIGKILL (PR_SET_PDEATHSIG, kept across exec); a parent already gone makes it exit at once;
/// - every signal has its default action and none is blocked (our ignored SIGPIPE and our
///   blocked signalfd signals would otherwise survive the exec).
/// Uses vfork: the parent waits until the child exec'd (or failed, whose errno is returned).
/// Returns 0 and sets *pid, or an errno value.
int csys_spawn_child(const char *path, char *const argv[], char *const envp[],
                     int in_fd, int out_fd, int err_fd, int death_signal, pid_t *pid);

#endif
