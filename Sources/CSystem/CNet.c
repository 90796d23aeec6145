#define _GNU_SOURCE
#include "CNet.h"
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

// A unix address for `name`; '@name' is in the abstract namespace (no file). Returns its length, or 0.
static socklen_t unix_address(const char *name, struct sockaddr_un *addr) {
    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;
    size_t len = strlen(name);
    if (len == 0 || len >= sizeof(addr->sun_path)) { errno = ENAMETOOLONG; return 0; }
    memcpy(addr->sun_path, name, len);
    if (name[0] == '@') addr->sun_path[0] = 0;
    // An abstract name is exactly its bytes; a path includes its NUL.
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (name[0] == '@' ? 0 : 1));
}

int csys_unix_listen(const char *name, int backlog) {
    struct sockaddr_un addr;
    socklen_t alen = unix_address(name, &addr);
    if (alen == 0) return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    if (bind(fd, (struct sockaddr *)&addr, alen) < 0 || listen(fd, backlog) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int csys_unix_connect(const char *name) {
    struct sockaddr_un addr;
    socklen_t alen = unix_address(name, &addr);
    if (alen == 0) return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    // A unix connect completes at once or fails; EAGAIN means the listener's backlog is full.
    if (connect(fd, (struct sockaddr *)&addr, alen) < 0 && errno != EINPROGRESS) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int csys_dns_pipe(int fds[2]) {
    if (pipe2(fds, O_CLOEXEC) < 0) return -1;
    int flags = fcntl(fds[0], F_GETFL);
    if (flags < 0 || fcntl(fds[0], F_SETFL, flags | O_NONBLOCK) < 0) {
        int saved = errno;
        close(fds[0]);
        close(fds[1]);
        errno = saved;
        return -1;
    }
    return 0;
}

struct dns_job {
    char *host;
    int fd;
    uint64_t token;
};

static void *dns_thread(void *arg) {
    struct dns_job *job = arg;
    csys_dns_result *r = calloc(1, sizeof(*r));
    if (r) {
        r->token = job->token;
        struct addrinfo hints, *res = NULL;
        memset(&hints, 0, sizeof(hints));
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        r->error = getaddrinfo(job->host, NULL, &hints, &res);
        for (struct addrinfo *ai = res; ai && r->count < CSYS_DNS_MAX_ADDRS; ai = ai->ai_next) {
            char buf[CSYS_DNS_ADDR_LEN];
            const void *src = NULL;
            if (ai->ai_family == AF_INET) src = &((struct sockaddr_in *)ai->ai_addr)->sin_addr;
            else if (ai->ai_family == AF_INET6) src = &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
            if (!src || !inet_ntop(ai->ai_family, src, buf, sizeof(buf))) continue;
            int dup = 0;
            for (int i = 0; i < r->count; i++) if (strcmp(r->addrs[i], buf) == 0) { dup = 1; break; }
            if (!dup) memcpy(r->addrs[r->count++], buf, sizeof(buf));
        }
        if (res) freeaddrinfo(res);
        // An 8-byte write to a pipe is atomic. If the loop closed its end meanwhile the write
        // fails (EPIPE; SIGPIPE is blocked in this thread) and the result is ours to free.
        ssize_t n;
        do { n = write(job->fd, &r, sizeof(r)); } while (n < 0 && errno == EINTR);
        if (n != (ssize_t)sizeof(r)) free(r);
    }
    close(job->fd);
    free(job->host);
    free(job);
    return NULL;
}

int csys_dns_start(const char *host, int notify_fd, uint64_t token) {
    struct dns_job *job = calloc(1, sizeof(*job));
    if (!job) return ENOMEM;
    job->host = strdup(host);
    job->token = token;
    job->fd = fcntl(notify_fd, F_DUPFD_CLOEXEC, 0);
    if (!job->host || job->fd < 0) {
        int saved = job->fd < 0 ? errno : ENOMEM;
        if (job->fd >= 0) close(job->fd);
        free(job->host);
        free(job);
        return saved;
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    // The thread starts with every signal blocked: signals stay with the loop thread (signalfd).
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t tid;
    int rc = pthread_create(&tid, &attr, dns_thread, job);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        close(job->fd);
        free(job->host);
        free(job);
    }
    return rc;
}

csys_dns_result *csys_dns_read(int fd) {
    csys_dns_result *r = NULL;
    ssize_t n;
    do { n = read(fd, &r, sizeof(r)); } while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof(r)) return r;
    if (n == 0) errno = 0;
    return NULL;
}

void csys_dns_free(csys_dns_result *r) { free(r); }
