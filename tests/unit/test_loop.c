// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The daemon's loop: timers in deadline order, re-armed and cancelled,
 * descriptors, and a handle deleted by an earlier callback of its batch. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "daemon/loop.h"

#define N 200

struct rec {
	struct loop *l;
	int order[N];
	int n;
};

struct tm {
	struct loop_timer t;
	struct rec *r;
	int id;
};

static void fired(struct loop_timer *t)
{
	struct tm *m = t->arg;

	m->r->order[m->r->n++] = m->id;
}

/* The heap's invariant: a parent is due no later than its children, and
 * every handle knows its place. */
static void check_heap(const struct loop *l)
{
	size_t i;

	for (i = 0; i < l->nheap; i++) {
		assert_int_equal(l->heap[i]->idx, i);
		if (i)
			assert_true(l->heap[(i - 1) / 2]->when <=
				    l->heap[i]->when);
	}
}

/* Run until @want timers fired, with a bound. */
static void run_until(struct loop *l, struct rec *r, int want)
{
	uint64_t end = loop_clock_ms() + 10000;

	while (r->n < want) {
		assert_true(loop_clock_ms() < end);
		assert_int_equal(loop_run_once(l, 100), 0);
	}
}

/* Deadlines in a shuffled order fire sorted; re-armed and cancelled
 * timers move or vanish (the heap's sift up, sift down, removal). */
static void test_timer_order(void **state)
{
	struct loop l;
	struct rec r = {.l = &l};
	struct tm *m = calloc(N, sizeof(*m));
	uint64_t base;
	int i, j, cancelled = 0;

	assert_non_null(m);
	assert_int_equal(loop_init(&l), 0);
	base = loop_now(&l);
	srandom(1);
	for (i = 0; i < N; i++) {
		m[i].r = &r;
		m[i].id = i;
		loop_timer_init(&m[i].t, fired, &m[i]);
		assert_false(loop_timer_armed(&m[i].t));
		/* Timer i is due at base + 1 + i ms, armed in random order
		 * at first at a wrong time, then moved. */
		j = random() % 1000;
		assert_int_equal(loop_timer_at(&l, &m[i].t, base + 500 + j), 0);
		check_heap(&l);
	}
	for (i = N - 1; i >= 0; i--) {
		assert_int_equal(loop_timer_at(&l, &m[i].t, base + 1 + i), 0);
		check_heap(&l);
	}
	for (i = 0; i < N; i += 7) {
		loop_timer_cancel(&l, &m[i].t);
		assert_false(loop_timer_armed(&m[i].t));
		check_heap(&l);
		cancelled++;
	}
	run_until(&l, &r, N - cancelled);
	for (i = 1; i < r.n; i++)
		assert_true(r.order[i - 1] < r.order[i]);
	for (i = 0; i < r.n; i++)
		assert_true(r.order[i] % 7 != 0);
	/* Nothing more fires. */
	assert_int_equal(loop_run_once(&l, 20), 0);
	assert_int_equal(r.n, N - cancelled);
	loop_fini(&l);
	free(m);
}

/* A timer due in @ms does not fire before its time. */
static void test_timer_when(void **state)
{
	struct loop l;
	struct rec r = {.l = &l};
	struct tm m = {.r = &r};
	uint64_t start;

	assert_int_equal(loop_init(&l), 0);
	loop_timer_init(&m.t, fired, &m);
	start = loop_clock_ms();
	l.now = start;
	assert_int_equal(loop_timer_in(&l, &m.t, 150), 0);
	run_until(&l, &r, 1);
	assert_true(loop_clock_ms() >= start + 150 - 1);
	assert_false(loop_timer_armed(&m.t));
	loop_fini(&l);
}

/* Removing a node whose replacement (the last) is due before its new
 * parent: it must move up. */
static void test_timer_remove_sifts_up(void **state)
{
	static const uint64_t when[] = {1, 10, 2, 11, 12, 3, 4};
	struct loop l;
	struct rec r = {.l = &l};
	struct tm m[7];
	unsigned int i;

	assert_int_equal(loop_init(&l), 0);
	for (i = 0; i < 7; i++) {
		m[i].r = &r;
		m[i].id = i;
		loop_timer_init(&m[i].t, fired, &m[i]);
		assert_int_equal(loop_timer_at(&l, &m[i].t, 1000000 + when[i]),
				 0);
	}
	/* The array is when[] as given; drop 11 (index 3), 4 takes it. */
	assert_ptr_equal(l.heap[3], &m[3].t);
	loop_timer_cancel(&l, &m[3].t);
	check_heap(&l);
	for (i = 0; i < 7; i++)
		loop_timer_cancel(&l, &m[i].t);
	loop_fini(&l);
}

/* A timer already due runs in the next iteration, without waiting. */
static void test_timer_due_now(void **state)
{
	struct loop l;
	struct rec r = {.l = &l};
	struct tm m = {.r = &r};

	assert_int_equal(loop_init(&l), 0);
	loop_timer_init(&m.t, fired, &m);
	assert_int_equal(loop_timer_at(&l, &m.t, loop_now(&l)), 0);
	assert_int_equal(loop_run_once(&l, 0), 0);
	assert_int_equal(r.n, 1);
	loop_fini(&l);
}

/*
 * The timerfd alone wakes the loop (no polling: wait -1): after the
 * earliest timer is cancelled, or moved later, the next one still fires.
 * alarm() bounds a loop that would never wake.
 */
static void test_timerfd_follows_heap(void **state)
{
	struct loop l;
	struct rec r = {.l = &l};
	struct tm a = {.r = &r, .id = 1}, b = {.r = &r, .id = 2};

	assert_int_equal(loop_init(&l), 0);
	loop_timer_init(&a.t, fired, &a);
	loop_timer_init(&b.t, fired, &b);
	alarm(10);
	assert_int_equal(loop_timer_in(&l, &a.t, 20), 0);
	assert_int_equal(loop_timer_in(&l, &b.t, 60), 0);
	loop_timer_cancel(&l, &a.t);
	while (r.n < 1)
		assert_int_equal(loop_run_once(&l, -1), 0);
	assert_int_equal(r.order[0], 2);

	l.now = loop_clock_ms();
	assert_int_equal(loop_timer_in(&l, &a.t, 20), 0);
	assert_int_equal(loop_timer_in(&l, &a.t, 80), 0);
	while (r.n < 2)
		assert_int_equal(loop_run_once(&l, -1), 0);
	assert_int_equal(r.order[1], 1);
	alarm(0);
	loop_fini(&l);
}

struct fdrec {
	struct loop *l;
	struct loop_fd h[2];
	int fds[2][2];
	int calls[2];
};

/* Handle 0's callback deletes handle 1 (and frees its fd), whose event
 * is in the same batch: it must not run. */
static void fd_cb(struct loop_fd *h, uint32_t events)
{
	struct fdrec *r = h->arg;
	int i = h == &r->h[0] ? 0 : 1;
	int other = !i;
	char c;

	r->calls[i]++;
	assert_int_equal(read(h->fd, &c, 1), 1);
	if (r->h[other].fd >= 0) {
		int fd = r->h[other].fd;

		loop_fd_del(r->l, &r->h[other]);
		memset(&r->h[other], 0xa5, sizeof(r->h[other]));
		r->h[other].fd = -1;
		close(fd);
	}
}

static void test_fd_deleted_in_batch(void **state)
{
	struct loop l;
	struct fdrec r = {.l = &l};
	int i;

	assert_int_equal(loop_init(&l), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(pipe(r.fds[i]), 0);
		assert_int_equal(write(r.fds[i][1], "x", 1), 1);
		assert_int_equal(loop_fd_add(&l, &r.h[i], r.fds[i][0], EPOLLIN,
					     fd_cb, &r),
				 0);
	}
	/* Both are ready: one batch. */
	assert_int_equal(loop_run_once(&l, 1000), 0);
	assert_int_equal(r.calls[0] + r.calls[1], 1);
	for (i = 0; i < 2; i++) {
		if (r.h[i].fd >= 0) {
			loop_fd_del(&l, &r.h[i]);
			close(r.fds[i][0]);
		}
		close(r.fds[i][1]);
	}
	loop_fini(&l);
}

/* loop_fd_mod changes what wakes it; loop_fd_del on a never added
 * handle is harmless. */
static void test_fd_mod(void **state)
{
	struct loop l;
	struct fdrec r = {.l = &l};
	struct loop_fd never = {.fd = -1};

	assert_int_equal(loop_init(&l), 0);
	assert_int_equal(pipe(r.fds[0]), 0);
	assert_int_equal(write(r.fds[0][1], "x", 1), 1);
	r.h[1].fd = -1;
	assert_int_equal(
		loop_fd_add(&l, &r.h[0], r.fds[0][0], EPOLLOUT, fd_cb, &r), 0);
	assert_int_equal(loop_run_once(&l, 50), 0);
	assert_int_equal(r.calls[0], 0);
	assert_int_equal(loop_fd_mod(&l, &r.h[0], EPOLLIN), 0);
	assert_int_equal(loop_run_once(&l, 1000), 0);
	assert_int_equal(r.calls[0], 1);
	loop_fd_del(&l, &never);
	loop_fd_del(&l, &r.h[0]);
	close(r.fds[0][0]);
	close(r.fds[0][1]);
	loop_fini(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_order),
		cmocka_unit_test(test_timer_when),
		cmocka_unit_test(test_timer_remove_sifts_up),
		cmocka_unit_test(test_timer_due_now),
		cmocka_unit_test(test_timerfd_follows_heap),
		cmocka_unit_test(test_fd_deleted_in_batch),
		cmocka_unit_test(test_fd_mod),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
