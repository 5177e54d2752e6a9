/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Between check.c and the checker types (check_*.c): their vtable. */
#ifndef LBXDP_CHECK_INT_H
#define LBXDP_CHECK_INT_H

#include <stdarg.h>
#include <sys/types.h>
#include <netinet/in.h>
#include "check.h"
#include "health.h"

struct checker;

struct checker_ops {
	const char *name; /* keepalived's: "TCP_CHECK" */
	/* At rs_check_new: c->priv, c->fd are the type's to set up. */
	int (*init)(struct checker *c);
	/*
	 * Begin one check, non-blocking: 0 when in flight (the type calls
	 * checker_done() later, from the loop), or -errno when it failed at
	 * once (c->reason says why; no checker_done()).
	 */
	int (*start)(struct checker *c);
	/* Abandon the check in flight (timeout, free): close, kill. */
	void (*stop)(struct checker *c);
	void (*fini)(struct checker *c);
	/* Optional: c->cc and the globals now point into a new, same
	 * configuration (rs_check_rebind()); a check may be in flight. */
	void (*rebind)(struct checker *c);
	/* Optional: whether a check that timed out passed (UDP_CHECK
	 * without require_reply: no ICMP error in time is success). */
	bool (*timeout_ok)(struct checker *c);
};

struct checker {
	const struct checker_ops *ops;
	struct rs_check *rc;
	const struct conf_checker *cc;
	struct health h;
	/* The next check when idle, the deadline of the one in flight. */
	struct loop_timer timer;
	bool running;
	uint64_t started; /* loop ms */
	uint32_t timeout_ms;
	bool at_bound; /* the deadline armed is the whole check's */
	int weight;    /* MISC_CHECK misc_dynamic: exit code - 2; -1: none */
	char reason[64];
	struct loop_fd lfd;
	void *priv;
};

struct loop *checker_loop(const struct checker *c);
const struct conf_vs *checker_vs(const struct checker *c);
/* connect_ip:connect_port, defaulting to the real server's. */
void checker_dst(const struct checker *c, struct sockaddr_in *sin);
/* c->reason = "@what: strerror(-@err)" in lower case; returns @err. */
int checker_errno(struct checker *c, const char *what, int err);
void checker_reason(struct checker *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A check in flight ended: @ok, c->reason set by the type. */
void checker_done(struct checker *c, bool ok);
/*
 * The peer answered (a step of the check done): its next step has the
 * timeout anew, as keepalived times the steps of HTTP_GET. The whole
 * check is bounded still, by its delay_loop where that is longer: a
 * server that drips an endless body fails.
 */
void checker_progress(struct checker *c);

/* A non-blocking socket of @type bound to bindto:bind_port. */
int checker_socket(struct checker *c, int type);

/* Connect a socket of @type (check_tcp.c), watched for @events by @cb
 * with c->lfd; 0 or -errno with c->reason set. */
int checker_connect(struct checker *c, int type, uint32_t events,
		    void (*cb)(struct loop_fd *h, uint32_t events));
/* Read a datagram of c->lfd (check_udp.c): 1 when one is in @buf, 0
 * when none is there yet, -1 on an error (checker_done() called). */
int checker_recv(struct checker *c, uint8_t *buf, size_t len, ssize_t *got);
/* 0 or -errno with c->reason set. */
int checker_send(struct checker *c, const void *buf, size_t len);
/* Close the socket of c->lfd, if any. */
void checker_close(struct checker *c);

/* Fork/exec @cmd as @cr (conf_script_cred()'s) in its own process group;
 * *@pidfd reports its exit. */
int check_spawn(const struct conf_cred *cr, const char *cmd, pid_t *pid,
		int *pidfd);

/*
 * Reap @pid, killed but not exited yet (a script in D state, on a hung
 * mount), from the loop: its checker goes, and the loop must not wait.
 * Takes @pidfd, closed even on an error.
 */
int check_reap_later(struct loop *loop, pid_t pid, int pidfd);

extern const struct checker_ops check_tcp_ops, check_http_ops, check_ssl_ops,
	check_misc_ops, check_udp_ops, check_dns_ops;

#endif /* LBXDP_CHECK_INT_H */
