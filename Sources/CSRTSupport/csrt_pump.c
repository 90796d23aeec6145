#define _GNU_SOURCE
#include "CSRTSupport.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct csrt_pump {
    int eid;
    int eventfd;
    pthread_t thread;
    atomic_int stopping;
    pthread_mutex_t lock;
    // A ring of `capacity` events: `head` is the next to take, `count` how many are queued.
    SRT_EPOLL_EVENT *ring;
    int capacity;
    int head;
    int count;
    int overflowed;
    uint64_t wakeups;
    uint64_t events;
};

static void *pump_main(void *arg) {
    csrt_pump *p = arg;
    SRT_EPOLL_EVENT batch[256];
    while (!atomic_load(&p->stopping)) {
        // A bounded wait so that `stopping` is seen; libsrt itself re-checks every 10 ms.
        int n = srt_epoll_uwait(p->eid, batch, 256, 100);
        if (n < 0) {
            // Only a released or invalid eid fails; do not spin on it.
            usleep(10000);
            continue;
        }
        if (n == 0) continue;
        pthread_mutex_lock(&p->lock);
        int wasEmpty = p->count == 0 && !p->overflowed;
        for (int i = 0; i < n; i++) {
            if (p->count == p->capacity) {
                p->overflowed = 1;
                break;
            }
            p->ring[(p->head + p->count) % p->capacity] = batch[i];
            p->count++;
        }
        p->wakeups++;
        p->events += (uint64_t)n;
        pthread_mutex_unlock(&p->lock);
        // One eventfd write per empty-to-non-empty transition: the loop drains everything.
        if (wasEmpty) {
            uint64_t one = 1;
            ssize_t w;
            do { w = write(p->eventfd, &one, sizeof(one)); } while (w < 0 && errno == EINTR);
        }
    }
    return NULL;
}

csrt_pump *csrt_pump_start(int eid, int eventfd, int capacity) {
    if (capacity < 1) capacity = 1;
    csrt_pump *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    p->ring = calloc((size_t)capacity, sizeof(SRT_EPOLL_EVENT));
    if (!p->ring) {
        free(p);
        errno = ENOMEM;
        return NULL;
    }
    p->eid = eid;
    p->eventfd = eventfd;
    p->capacity = capacity;
    atomic_init(&p->stopping, 0);
    pthread_mutex_init(&p->lock, NULL);
    // The thread takes no signals: the worker reads them from its signalfd.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&p->thread, NULL, pump_main, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_mutex_destroy(&p->lock);
        free(p->ring);
        free(p);
        errno = rc;
        return NULL;
    }
    pthread_setname_np(p->thread, "srt-pump");
    return p;
}

int csrt_pump_take(csrt_pump *p, SRT_EPOLL_EVENT *out, int max, int *overflowed) {
    pthread_mutex_lock(&p->lock);
    int n = p->count < max ? p->count : max;
    for (int i = 0; i < n; i++) {
        out[i] = p->ring[p->head];
        p->head = (p->head + 1) % p->capacity;
    }
    p->count -= n;
    *overflowed = p->overflowed;
    p->overflowed = 0;
    pthread_mutex_unlock(&p->lock);
    return n;
}

void csrt_pump_stop(csrt_pump *p) {
    if (!p) return;
    atomic_store(&p->stopping, 1);
    pthread_join(p->thread, NULL);
    pthread_mutex_destroy(&p->lock);
    free(p->ring);
    free(p);
}

void csrt_pump_counters(csrt_pump *p, uint64_t *wakeups, uint64_t *events) {
    pthread_mutex_lock(&p->lock);
    *wakeups = p->wakeups;
    *events = p->events;
    pthread_mutex_unlock(&p->lock);
}
