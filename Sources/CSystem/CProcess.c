#define _GNU_SOURCE
#include "CProcess.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

int csys_socketpair(int fds[2]) {
    return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds);
}

int csys_spawn(const char *path, char *const argv[], char *const envp[], int channel_fd,
               const int *blocked, int nblocked, pid_t *pid) {
    // dup2(3, 3) would keep CLOEXEC: make sure the source fd is another number.
    int src = channel_fd;
    int moved = -1;
    if (src == 3) {
        moved = fcntl(src, F_DUPFD_CLOEXEC, 10);
        if (moved < 0) return errno;
        src = moved;
    }
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_adddup2(&actions, src, 3);
    // Nothing else we hold reaches the worker, not even fds our parent leaked to us.
    posix_spawn_file_actions_addclosefrom_np(&actions, 4);
    sigset_t mask, all;
    sigemptyset(&mask);
    for (int i = 0; i < nblocked; i++) sigaddset(&mask, blocked[i]);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &mask);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    int rc = posix_spawn(pid, path, &actions, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (moved >= 0) close(moved);
    return rc;
}

ssize_t csys_send_with_fds(int sock, const void *buf, size_t len, const int *fds, int nfds) {
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    char control[CMSG_SPACE(sizeof(int) * 64)];
    if (nfds > 0) {
        if (nfds > 64) { errno = EINVAL; return -1; }
        memset(control, 0, sizeof(control));
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    return sendmsg(sock, &msg, MSG_NOSIGNAL);
}

ssize_t csys_recv_with_fds(int sock, void *buf, size_t len, int *fds, int maxfds, int *nfds) {
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    char control[CMSG_SPACE(sizeof(int) * 64)];
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    *nfds = 0;
    ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0) return n;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        int *got = (int *)CMSG_DATA(c);
        for (int i = 0; i < count; i++) {
            if (*nfds < maxfds) fds[(*nfds)++] = got[i];
            else close(got[i]);
        }
    }
    return n;
}

// glibc passes (argc, argv, envp) to .init_array functions: keep the argv area for the title.
static char *title_start = NULL;
static size_t title_size = 0;

static void capture_argv(int argc, char **argv, char **envp) {
    (void)envp;
    if (argc < 1 || !argv || !argv[0]) return;
    char *end = argv[0] + strlen(argv[0]);
    for (int i = 1; i < argc; i++) {
        if (argv[i] == end + 1) end = argv[i] + strlen(argv[i]);
    }
    title_start = argv[0];
    title_size = (size_t)(end - argv[0]);
}

__attribute__((section(".init_array"), used)) static void (*csys_capture_argv)(int, char **, char **) = capture_argv;

extern char **environ;

// The environment strings usually follow argv in the same area: move them to the heap (as nginx
// does) so the title may use their room too. Done once, on the first title change.
static void take_environ_room(void) {
    static int done = 0;
    if (done || !title_start) return;
    done = 1;
    char *end = title_start + title_size;
    for (int i = 0; environ && environ[i]; i++) {
        if (environ[i] != end + 1) break;
        size_t len = strlen(environ[i]);
        char *copy = strdup(environ[i]);
        if (!copy) break;
        end = environ[i] + len;
        environ[i] = copy;
    }
    title_size = (size_t)(end - title_start);
}

void csys_set_proctitle(const char *title) {
    take_environ_room();
    if (!title_start || title_size == 0) return;
    size_t n = strlen(title);
    if (n > title_size) n = title_size;
    memcpy(title_start, title, n);
    memset(title_start + n, 0, title_size - n + 1);
}

int csys_affinity_cpus(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
    int n = CPU_COUNT(&set);
    return n > 0 ? n : 1;
}

int csys_set_cloexec(int fd, int on) {
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0) return -1;
    flags = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
    return fcntl(fd, F_SETFD, flags);
}

pid_t csys_reap(int *status) {
    return waitpid(-1, status, WNOHANG);
}

int csys_exit_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return -WTERMSIG(status);
    return 0;
}

int csys_raise_nofile(int64_t want, int64_t *soft, int64_t *hard) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return -1;
    if (want > 0 && (rlim_t)want > rl.rlim_cur) {
        rlim_t target = (rlim_t)want;
        if (rl.rlim_max != RLIM_INFINITY && target > rl.rlim_max) target = rl.rlim_max;
        if (target > rl.rlim_cur) {
            struct rlimit raised = { .rlim_cur = target, .rlim_max = rl.rlim_max };
            if (setrlimit(RLIMIT_NOFILE, &raised) == 0) rl.rlim_cur = target;
        }
    }
    *soft = rl.rlim_cur == RLIM_INFINITY ? INT64_MAX : (int64_t)rl.rlim_cur;
    *hard = rl.rlim_max == RLIM_INFINITY ? INT64_MAX : (int64_t)rl.rlim_max;
    return 0;
}
