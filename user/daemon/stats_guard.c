// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The stats server's request deadline (stats_guard.h): one thread, which
 * sleeps until the first deadline of the connections it watches.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "daemon/loop.h"
#include "daemon/stats_guard.h"

struct st_conn {
	struct st_conn *next, **pprev;
	int fd;
	uint64_t since;	 /* loop_clock_ms(): the request's time started */
	uint64_t paused; /* when it stopped waiting: the answer's time */
	bool waiting;	 /* for the request's bytes: timed */
	bool cut;
};

struct st_guard {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* CLOCK_MONOTONIC */
	pthread_t thread;
	struct st_conn *conns;
	uint32_t deadline_ms;
	bool stop;
};

/* Shut down the connections past their deadline: the next deadline. */
static uint64_t sweep(struct st_guard *g, uint64_t now)
{
	uint64_t next = UINT64_MAX, end;
	struct st_conn *c;

	for (c = g->conns; c; c = c->next) {
		if (!c->waiting || c->cut)
			continue;
		end = c->since + g->deadline_ms;
		if (end <= now) {
			/* MHD's thread reads the end, and closes: the fd
			 * stays ours to name until it says CLOSED */
			shutdown(c->fd, SHUT_RDWR);
			c->cut = true;
		} else if (end < next) {
			next = end;
		}
	}
	return next;
}

static void *guard(void *arg)
{
	struct st_guard *g = arg;
	struct timespec ts;
	uint64_t next;

	pthread_mutex_lock(&g->mu);
	while (!g->stop) {
		next = sweep(g, loop_clock_ms());
		if (next == UINT64_MAX) {
			pthread_cond_wait(&g->cv, &g->mu);
			continue;
		}
		ts.tv_sec = (time_t)(next / 1000);
		ts.tv_nsec = (long)(next % 1000) * 1000000;
		pthread_cond_timedwait(&g->cv, &g->mu, &ts);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

int st_guard_start(uint32_t deadline_ms, struct st_guard **out)
{
	struct st_guard *g = calloc(1, sizeof(*g));
	pthread_condattr_t ca;
	int err;

	if (!g)
		return -ENOMEM;
	g->deadline_ms = deadline_ms;
	pthread_mutex_init(&g->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cv, &ca);
	pthread_condattr_destroy(&ca);
	err = pthread_create(&g->thread, NULL, guard, g);
	if (err) {
		pthread_cond_destroy(&g->cv);
		pthread_mutex_destroy(&g->mu);
		free(g);
		return -err;
	}
	*out = g;
	return 0;
}

void st_guard_stop(struct st_guard *g)
{
	struct st_conn *c;

	if (!g)
		return;
	pthread_mutex_lock(&g->mu);
	g->stop = true;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
	pthread_join(g->thread, NULL);
	while ((c = g->conns)) {
		g->conns = c->next;
		free(c);
	}
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g);
}

void st_guard_notify(void *cls, struct MHD_Connection *conn,
		     void **socket_context,
		     enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *ci;
	struct st_guard *g = cls;
	struct st_conn *c = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (!c)
			return;
		pthread_mutex_lock(&g->mu);
		*c->pprev = c->next;
		if (c->next)
			c->next->pprev = c->pprev;
		pthread_mutex_unlock(&g->mu);
		free(c);
		*socket_context = NULL;
		return;
	}
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci)
		return;
	c = calloc(1, sizeof(*c));
	if (!c) {
		/* not timed, so not served */
		shutdown(ci->connect_fd, SHUT_RDWR);
		return;
	}
	c->fd = ci->connect_fd;
	c->since = loop_clock_ms();
	c->waiting = true;
	pthread_mutex_lock(&g->mu);
	c->next = g->conns;
	if (c->next)
		c->next->pprev = &c->next;
	c->pprev = &g->conns;
	g->conns = c;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
	*socket_context = c;
}

static struct st_conn *conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

void st_guard_waiting(struct st_guard *g, struct MHD_Connection *conn,
		      bool waiting)
{
	struct st_conn *c = conn_of(conn);

	if (!c)
		return;
	pthread_mutex_lock(&g->mu);
	/* the server's time (a login's turn, a reload) does not count */
	if (c->waiting && !waiting)
		c->paused = loop_clock_ms();
	else if (!c->waiting && waiting)
		c->since += loop_clock_ms() - c->paused;
	c->waiting = waiting;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

void st_guard_done(struct st_guard *g, struct MHD_Connection *conn)
{
	struct st_conn *c = conn_of(conn);

	if (!c)
		return;
	pthread_mutex_lock(&g->mu);
	c->waiting = true;
	c->since = loop_clock_ms();
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
}
