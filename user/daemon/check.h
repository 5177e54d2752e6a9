/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Health checks of one real server: all its checkers (TCP_CHECK, HTTP_GET,
 * SSL_GET, MISC_CHECK, UDP_CHECK, DNS_CHECK), each non-blocking in the
 * daemon's loop, and their verdict: down while any checker is down, as
 * keepalived. The daemon sees only this interface; the checker types are
 * a vtable behind it (check_*.c), their timing a pure state machine
 * (health.c) that the unit tests drive with a fake clock.
 */
#ifndef LBXDP_CHECK_H
#define LBXDP_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include "conf.h"
#include "loop.h"

enum rs_state {
	RS_UNKNOWN = 0, /* no result yet (or no checker) */
	RS_UP,
	RS_DOWN,
};

/* A real server's health as the daemon shows and applies it. */
struct rs_health {
	enum rs_state state;
	int weight;	   /* MISC_CHECK misc_dynamic's weight; -1: none */
	uint32_t fails;	   /* consecutive failed checks (all checkers) */
	uint32_t oks;	   /* consecutive passed checks */
	uint64_t last_ms;  /* CLOCK_REALTIME ms of the last result; 0: none */
	uint64_t since_ms; /* CLOCK_REALTIME ms of the last state change */
	uint32_t transitions;
	char checker[16]; /* the last result's: "TCP_CHECK", ... */
	char reason[64];  /* "connect: connection refused", "HTTP 503" */
};

struct rs_check;

struct check_env {
	struct loop *loop;
	/* After every result of any checker; @changed when state or weight
	 * moved (then it is logged here already, once). It may free the
	 * rs_check it is about. */
	void (*result)(void *arg, const struct rs_health *h, bool changed);
	void *arg;
	/* The log lines of checks and scripts (without a newline); NULL:
	 * stderr. For the daemon's syslog (-l). */
	void (*log)(void *log_arg, const char *line);
	void *log_arg;
};

/*
 * The checks of @rs (of @vs), not started. @vs and @rs must outlive it
 * (the daemon keeps the conf that made it). NULL on ENOMEM.
 */
struct rs_check *rs_check_new(const struct check_env *env,
			      const struct conf_vs *vs,
			      const struct conf_rs *rs);
/*
 * Start checking. @initial is the state until the first result: RS_UP,
 * or the state a previous rs_check had, with @h0 (a reload that changed
 * the checker keeps the server's state until its first result, and its
 * counters). Without @h0, a checker with alpha starts down, and with it
 * the server.
 */
void rs_check_start(struct rs_check *rc, enum rs_state initial,
		    const struct rs_health *h0);
const struct rs_health *rs_check_health(const struct rs_check *rc);
/*
 * A reload kept @rc: point it at the new configuration's @vs and @rs, which
 * rs_check_same() found the same as its own, with @env (its globals, result
 * callback and arg), so that the old configuration can be freed. Checks in
 * flight go on (re-pointed at the new strings); state and counters are
 * kept.
 */
void rs_check_rebind(struct rs_check *rc, const struct check_env *env,
		     const struct conf_vs *vs, const struct conf_rs *rs);
/* Stop every check (kills running scripts' process groups) and free. */
void rs_check_free(struct rs_check *rc);

/* Whether two real servers' checkers are the same, parameter for
 * parameter (a reload keeps a checker that did not change). */
bool rs_check_same(const struct conf_vs *va, const struct conf_rs *a,
		   const struct conf_vs *vb, const struct conf_rs *b);

/*
 * Run a notify script (notify_up, quorum_up, ...) in the background: as
 * script_user, in its own process group, killed after @timeout_ms, reaped
 * through a pidfd in the loop (no SIGCHLD handler). 0 or -errno.
 */
int check_run_script(const struct check_env *env, const struct conf_script *s,
		     uint32_t timeout_ms);

#endif /* LBXDP_CHECK_H */
