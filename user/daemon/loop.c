// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The daemon's event loop: epoll for descriptors, one timerfd set to the
 * earliest deadline of a binary min-heap of timers. The heap stores the
 * caller's handles, so arming or running a timer never allocates (the heap
 * array only grows, and only when more timers are armed than ever before).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include "loop.h"

#define NOT_ARMED ((size_t)-1)
#define MAX_EVENTS 64

uint64_t loop_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t loop_now(const struct loop *l)
{
	return l->now;
}

int loop_init(struct loop *l)
{
	memset(l, 0, sizeof(*l));
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return -errno;
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (l->tfd < 0) {
		int err = -errno;

		close(l->epfd);
		return err;
	}
	/* The timerfd is the one descriptor with a NULL handle. */
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};

	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->tfd, &ev)) {
		int err = -errno;

		close(l->tfd);
		close(l->epfd);
		return err;
	}
	l->now = loop_clock_ms();
	return 0;
}

void loop_fini(struct loop *l)
{
	size_t i;

	for (i = 0; i < l->nheap; i++)
		l->heap[i]->idx = NOT_ARMED;
	free(l->heap);
	l->heap = NULL;
	l->nheap = l->cap = 0;
	if (l->tfd >= 0)
		close(l->tfd);
	if (l->epfd >= 0)
		close(l->epfd);
	l->tfd = l->epfd = -1;
}

int loop_fd_add(struct loop *l, struct loop_fd *h, int fd, uint32_t events,
		void (*cb)(struct loop_fd *h, uint32_t events), void *arg)
{
	struct epoll_event ev = {.events = events, .data.ptr = h};

	h->fd = fd;
	h->cb = cb;
	h->arg = arg;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		h->fd = -1;
		return -errno;
	}
	return 0;
}

int loop_fd_mod(struct loop *l, struct loop_fd *h, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = h};

	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, h->fd, &ev))
		return -errno;
	return 0;
}

void loop_fd_del(struct loop *l, struct loop_fd *h)
{
	if (h->fd < 0)
		return;
	struct epoll_event *ev = l->batch;
	int i;

	epoll_ctl(l->epfd, EPOLL_CTL_DEL, h->fd, NULL);
	h->fd = -1;
	/* Its events still to run in this batch must not reach it. */
	for (i = 0; i < l->nbatch; i++)
		if (ev[i].data.ptr == h)
			ev[i].data.ptr = &l->batch;
}

static void heap_set(struct loop *l, size_t i, struct loop_timer *t)
{
	l->heap[i] = t;
	t->idx = i;
}

static void sift_up(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (l->heap[p]->when <= t->when)
			break;
		heap_set(l, i, l->heap[p]);
		i = p;
	}
	heap_set(l, i, t);
}

static void sift_down(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= l->nheap)
			break;
		if (c + 1 < l->nheap && l->heap[c + 1]->when < l->heap[c]->when)
			c++;
		if (t->when <= l->heap[c]->when)
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

static void heap_remove(struct loop *l, struct loop_timer *t)
{
	size_t i = t->idx;
	struct loop_timer *last = l->heap[--l->nheap];

	t->idx = NOT_ARMED;
	if (last == t)
		return;
	heap_set(l, i, last);
	if (i > 0 && l->heap[(i - 1) / 2]->when > last->when)
		sift_up(l, i);
	else
		sift_down(l, i);
}

/* Point the timerfd at the earliest deadline (or disarm it). */
static void rearm(struct loop *l)
{
	struct itimerspec its = {0};

	if (l->nheap) {
		uint64_t when = l->heap[0]->when;

		/* 0 would disarm: a past deadline fires at once. */
		if (!when)
			when = 1;
		its.it_value.tv_sec = when / 1000;
		its.it_value.tv_nsec = (when % 1000) * 1000000;
	}
	timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

void loop_timer_init(struct loop_timer *t, void (*cb)(struct loop_timer *t),
		     void *arg)
{
	t->when = 0;
	t->cb = cb;
	t->arg = arg;
	t->idx = NOT_ARMED;
}

bool loop_timer_armed(const struct loop_timer *t)
{
	return t->idx != NOT_ARMED;
}

int loop_timer_at(struct loop *l, struct loop_timer *t, uint64_t when)
{
	struct loop_timer *top = l->nheap ? l->heap[0] : NULL;
	uint64_t top_when = top ? top->when : 0;

	if (loop_timer_armed(t)) {
		t->when = when;
		sift_up(l, t->idx);
		sift_down(l, t->idx);
	} else {
		if (l->nheap == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 64;
			struct loop_timer **h;

			h = realloc(l->heap, cap * sizeof(*h));
			if (!h)
				return -ENOMEM;
			l->heap = h;
			l->cap = cap;
		}
		t->when = when;
		heap_set(l, l->nheap++, t);
		sift_up(l, t->idx);
	}
	if (l->heap[0] != top || l->heap[0]->when != top_when)
		rearm(l);
	return 0;
}

int loop_timer_in(struct loop *l, struct loop_timer *t, uint64_t ms)
{
	return loop_timer_at(l, t, l->now + ms);
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	bool was_top;

	if (!loop_timer_armed(t))
		return;
	was_top = l->heap[0] == t;
	heap_remove(l, t);
	if (was_top)
		rearm(l);
}

/* Run the timers due at l->now; a callback may arm or cancel any timer. */
static void run_timers(struct loop *l)
{
	bool ran = false;

	while (l->nheap && l->heap[0]->when <= l->now) {
		struct loop_timer *t = l->heap[0];

		heap_remove(l, t);
		ran = true;
		t->cb(t);
	}
	if (ran)
		rearm(l);
}

int loop_run_once(struct loop *l, int max_ms)
{
	struct epoll_event ev[MAX_EVENTS];
	int n, i, err = 0;

	n = epoll_wait(l->epfd, ev, MAX_EVENTS, max_ms);
	if (n < 0) {
		err = errno == EINTR ? 0 : -errno;
		n = 0;
	}
	l->now = loop_clock_ms();
	l->batch = ev;
	l->nbatch = n;
	for (i = 0; i < n; i++) {
		struct loop_fd *h = ev[i].data.ptr;

		if (h == (void *)&l->batch) /* deleted meanwhile */
			continue;
		if (!h) {
			uint64_t exp;
			ssize_t r;

			/* Drained; the heap says what is due. */
			r = read(l->tfd, &exp, sizeof(exp));
			(void)r;
			continue;
		}
		h->cb(h, ev[i].events);
	}
	l->batch = NULL;
	l->nbatch = 0;
	run_timers(l);
	return err;
}

int loop_run(struct loop *l)
{
	int err = 0;

	l->stop = false;
	while (!l->stop && !err)
		err = loop_run_once(l, -1);
	return err;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}
