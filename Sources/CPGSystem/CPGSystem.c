#define _GNU_SOURCE
#include "CPGSystem.h"
#include <poll.h>
#include <time.h>

int pgw_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int pgw_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event event;
    event.events = events;
    event.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &event);
}

int pgw_epoll_wait(int epfd, uint64_t *data, uint32_t *events, int capacity, int timeout_ms) {
    struct epoll_event ready[64];
    if (capacity > 64) capacity = 64;
    int count = epoll_wait(epfd, ready, capacity, timeout_ms);
    for (int i = 0; i < count; i++) {
        data[i] = ready[i].data.u64;
        events[i] = ready[i].events;
    }
    return count;
}

int pgw_eventfd(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

int pgw_poll_one(int fd, short events, int64_t timeout_ns) {
    struct pollfd entry = { .fd = fd, .events = events, .revents = 0 };
    struct timespec timeout = { .tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000 };
    int ready = ppoll(&entry, 1, &timeout, NULL);
    if (ready < 0) return -1;
    return ready == 0 ? 0 : entry.revents;
}
