#define _GNU_SOURCE
#include "CChild.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// Puts `fd` at `target` without CLOEXEC (dup2 onto itself would keep the flag).
static int place_fd(int fd, int target) {
    if (fd == target) {
        int flags = fcntl(fd, F_GETFD);
        return flags < 0 ? -1 : fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
    }
    return dup2(fd, target) < 0 ? -1 : 0;
}

int csys_spawn_child(const char *path, char *const argv[], char *const envp[],
                     int in_fd, int out_fd, int err_fd, int death_signal, pid_t *pid) {
    // The child shares our memory until it execs: no signal handler may run in it meanwhile.
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    pid_t parent = getpid();
    // Written by the child (shared memory) when exec fails.
    volatile int child_errno = 0;
    pid_t p = vfork();
    if (p == 0) {
        // Only syscalls from here on: we run on the parent's memory.
        if (setpgid(0, 0) != 0) { child_errno = errno; _exit(127); }
        if (death_signal > 0) {
            if (prctl(PR_SET_PDEATHSIG, death_signal) != 0) { child_errno = errno; _exit(127); }
            // The parent may have died before the prctl: then nobody would ever signal us.
            if (getppid() != parent) _exit(127);
        }
        // A source below 3 could be overwritten by an earlier dup2: move those up first.
        if (in_fd < 3 && in_fd != 0) in_fd = fcntl(in_fd, F_DUPFD, 3);
        if (out_fd < 3 && out_fd != 1) out_fd = fcntl(out_fd, F_DUPFD, 3);
        if (err_fd < 3 && err_fd != 2) err_fd = fcntl(err_fd, F_DUPFD, 3);
        if (in_fd < 0 || out_fd < 0 || err_fd < 0 || place_fd(in_fd, 0) != 0 || place_fd(out_fd, 1) != 0 || place_fd(err_fd, 2) != 0) {
            child_errno = errno;
            _exit(127);
        }
#ifdef SYS_close_range
        syscall(SYS_close_range, 3U, ~0U, 0U);
#endif
        struct sigaction dfl;
        memset(&dfl, 0, sizeof(dfl));
        dfl.sa_handler = SIG_DFL;
        for (int s = 1; s < NSIG; s++) {
            if (s != SIGKILL && s != SIGSTOP) sigaction(s, &dfl, NULL);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(path, argv, envp);
        child_errno = errno;
        _exit(127);
    }
    int fork_errno = errno;
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (p < 0) return fork_errno;
    if (child_errno != 0) {
        // It exited without becoming the program: reap it here, nobody else knows of it.
        int status;
        while (waitpid(p, &status, 0) < 0 && errno == EINTR) {}
        return child_errno;
    }
    *pid = p;
    return 0;
}
