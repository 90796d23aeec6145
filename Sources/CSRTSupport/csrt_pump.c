#define _GNU_SOURCE
#include "CSRTSupport.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct csrt_pump {
    int eid;
    int eventfd;
    pthread_t thread;
    atomic_int stopping;
    pthread_mutex_t lock;
    pthread_cond_t taken;
    SRT_EPOLL_EVENT batch[CSRT_PUMP_BATCH];
    int count;  // events handed over and not yet taken
};

static void *pump_main(void *arg) {
    csrt_pump *p = arg;
    SRT_EPOLL_EVENT got[CSRT_PUMP_BATCH];
    while (!atomic_load(&p->stopping)) {
        // Wait until the loop took the last batch (re-checking `stopping` every 100 ms).
        pthread_mutex_lock(&p->lock);
        while (p->count > 0 && !atomic_load(&p->stopping)) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += 100 * 1000 * 1000;
            if (until.tv_nsec >= 1000000000) {
                until.tv_sec += 1;
                until.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&p->taken, &p->lock, &until);
        }
        pthread_mutex_unlock(&p->lock);
        if (atomic_load(&p->stopping)) break;
        int n = srt_epoll_uwait(p->eid, got, CSRT_PUMP_BATCH, 100);
        if (n < 0) {
            // Only a released or invalid eid fails; do not spin on it.
            usleep(10000);
            continue;
        }
        if (n == 0) continue;
        pthread_mutex_lock(&p->lock);
        memcpy(p->batch, got, (size_t)n * sizeof(SRT_EPOLL_EVENT));
        p->count = n;
        pthread_mutex_unlock(&p->lock);
        uint64_t one = 1;
        ssize_t w;
        do { w = write(p->eventfd, &one, sizeof(one)); } while (w < 0 && errno == EINTR);
    }
    return NULL;
}

csrt_pump *csrt_pump_start(int eid, int eventfd) {
    csrt_pump *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    p->eid = eid;
    p->eventfd = eventfd;
    atomic_init(&p->stopping, 0);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->taken, NULL);
    // The thread takes no signals: the worker reads them from its signalfd.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&p->thread, NULL, pump_main, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&p->taken);
        pthread_mutex_destroy(&p->lock);
        free(p);
        errno = rc;
        return NULL;
    }
    pthread_setname_np(p->thread, "srt-pump");
    return p;
}

int csrt_pump_take(csrt_pump *p, SRT_EPOLL_EVENT *out) {
    pthread_mutex_lock(&p->lock);
    int n = p->count;
    if (n > 0) memcpy(out, p->batch, (size_t)n * sizeof(SRT_EPOLL_EVENT));
    p->count = 0;
    pthread_cond_signal(&p->taken);
    pthread_mutex_unlock(&p->lock);
    return n;
}

void csrt_pump_stop(csrt_pump *p) {
    if (!p) return;
    atomic_store(&p->stopping, 1);
    pthread_mutex_lock(&p->lock);
    pthread_cond_signal(&p->taken);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->taken);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
