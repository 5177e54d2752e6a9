/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The daemon's one event loop: epoll for file descriptors, one timerfd for
 * every timer (a min-heap of deadlines). Handles are owned by the caller
 * and embedded in its structs, so adding a timer or a descriptor never
 * allocates. Times are CLOCK_MONOTONIC ms.
 */
#ifndef LBXDP_LOOP_H
#define LBXDP_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/epoll.h>

struct loop;

struct loop_fd {
	int fd;
	void (*cb)(struct loop_fd *h, uint32_t events);
	void *arg;
};

struct loop_timer {
	uint64_t when; /* ms, CLOCK_MONOTONIC */
	void (*cb)(struct loop_timer *t);
	void *arg;
	size_t idx; /* in the heap; (size_t)-1: not armed */
};

struct loop {
	int epfd;
	int tfd;
	struct loop_timer **heap;
	size_t nheap, cap;
	uint64_t now; /* at the start of this iteration */
	bool stop;
	/* The events of the batch being run: loop_fd_del() voids the ones
	 * of its handle, so that a callback may free another handle. */
	void *batch;
	int nbatch;
};

int loop_init(struct loop *l);
void loop_fini(struct loop *l);

/* The loop's clock: fixed for one iteration, so callbacks agree. */
uint64_t loop_now(const struct loop *l);
/* The clock itself (CLOCK_MONOTONIC ms). */
uint64_t loop_clock_ms(void);

/* Watch @fd for @events (EPOLLIN, ...); h->cb is called with them. */
int loop_fd_add(struct loop *l, struct loop_fd *h, int fd, uint32_t events,
		void (*cb)(struct loop_fd *h, uint32_t events), void *arg);
int loop_fd_mod(struct loop *l, struct loop_fd *h, uint32_t events);
/* Before closing h->fd. Safe on a handle never added (fd < 0). Once
 * deleted, @h may be freed, even by a callback of this iteration. */
void loop_fd_del(struct loop *l, struct loop_fd *h);

/* Set up a timer handle, not armed. */
void loop_timer_init(struct loop_timer *t, void (*cb)(struct loop_timer *t),
		     void *arg);
/* Arm (or re-arm) @t for @when (absolute ms). -ENOMEM only. */
int loop_timer_at(struct loop *l, struct loop_timer *t, uint64_t when);
/* Arm @t @ms from loop_now(). */
int loop_timer_in(struct loop *l, struct loop_timer *t, uint64_t ms);
void loop_timer_cancel(struct loop *l, struct loop_timer *t);
bool loop_timer_armed(const struct loop_timer *t);

/*
 * One iteration: wait up to @max_ms (-1: until something happens) and run
 * the callbacks of what is ready and the timers that are due. Returns
 * -errno of epoll_wait (EINTR is not an error).
 */
int loop_run_once(struct loop *l, int max_ms);
/* Until loop_stop(). */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);

#endif /* LBXDP_LOOP_H */
