/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The stats server's request deadline, HAProxy's "timeout http-request":
 * a request must come whole within it of its connection's opening or of
 * the answer before it, else its connection is shut down.
 * libmicrohttpd times only idleness, which a client that sends a byte
 * every few seconds (slowloris) never shows: it would hold one of the
 * server's threads for ever, and a few such clients all of them.
 */
#ifndef LBXDP_STATS_GUARD_H
#define LBXDP_STATS_GUARD_H

#include <stdint.h>
#include <microhttpd.h>

struct st_guard;

/* A thread that shuts down the connections past @deadline_ms. */
int st_guard_start(uint32_t deadline_ms, struct st_guard **out);
/* After MHD_stop_daemon(): every connection has gone. */
void st_guard_stop(struct st_guard *g);
/* MHD_OPTION_NOTIFY_CONNECTION's callback, @cls the guard. */
void st_guard_notify(void *cls, struct MHD_Connection *conn,
		     void **socket_context,
		     enum MHD_ConnectionNotificationCode code);
/* Whether @conn waits for its request's bytes (timed), or has them and
 * is the server's to answer (not timed: a login waits its turn). */
void st_guard_waiting(struct st_guard *g, struct MHD_Connection *conn,
		      bool waiting);
/* @conn's answer is done: the next request's time starts. */
void st_guard_done(struct st_guard *g, struct MHD_Connection *conn);

#endif /* LBXDP_STATS_GUARD_H */
