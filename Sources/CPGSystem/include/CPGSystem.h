#ifndef PGEVENTSTORE_CPGSYSTEM_H
#define PGEVENTSTORE_CPGSYSTEM_H

// Linux system calls that Swift's Glibc module does not expose (epoll, eventfd, ppoll),
// behind plain C functions so the Swift side needs no feature-test macros.

#if !defined(__linux__)
#error "PGEventStore runs on Linux only: its poller is epoll (see the README, Platforms and toolchain)"
#endif

#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

int pgw_epoll_create(void);
int pgw_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
/// Waits for events; writes the ready descriptors' data into `data` and their events into `events`.
int pgw_epoll_wait(int epfd, uint64_t *data, uint32_t *events, int capacity, int timeout_ms);
int pgw_eventfd(void);
/// poll() on one descriptor with a nanosecond timeout. Returns revents, 0 on timeout, -1 on error.
int pgw_poll_one(int fd, short events, int64_t timeout_ns);

static const uint32_t pgw_EPOLLIN = EPOLLIN;
static const uint32_t pgw_EPOLLOUT = EPOLLOUT;
static const uint32_t pgw_EPOLLRDHUP = EPOLLRDHUP;
static const uint32_t pgw_EPOLLONESHOT = EPOLLONESHOT;
static const int pgw_EPOLL_CTL_ADD = EPOLL_CTL_ADD;
static const int pgw_EPOLL_CTL_MOD = EPOLL_CTL_MOD;
static const int pgw_EPOLL_CTL_DEL = EPOLL_CTL_DEL;

#endif
