// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The checks of one real server: its checkers run in the daemon's loop,
 * each timed by its own state machine (health.c); the server is down while
 * any of them is down (keepalived). Each change of state or weight is
 * logged once, naming the virtual server, real server, checker and reason.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/wait.h>
#include "clock.h"
#include "check_int.h"
#include "log.h"

#define DEF_TIMEOUT_MS 5000

struct rs_check {
	struct check_env env;
	const struct conf_vs *vs;
	const struct conf_rs *rs;
	struct rs_health h;
	int n;
	struct checker c[];
};

static const struct checker_ops *ops_of(enum conf_check_type t)
{
	switch (t) {
	case CHECK_TCP:
		return &check_tcp_ops;
	case CHECK_HTTP:
		return &check_http_ops;
	case CHECK_SSL:
		return &check_ssl_ops;
	case CHECK_MISC:
		return &check_misc_ops;
	case CHECK_UDP:
		return &check_udp_ops;
	case CHECK_DNS:
		return &check_dns_ops;
	}
	return NULL;
}

struct loop *checker_loop(const struct checker *c)
{
	return c->rc->env.loop;
}

const struct conf_vs *checker_vs(const struct checker *c)
{
	return c->rc->vs;
}

static __be32 dst_ip(const struct conf_rs *rs, const struct conf_checker *cc)
{
	return cc->connect_ip ? cc->connect_ip : rs->addr;
}

static __u16 dst_port(const struct conf_vs *vs, const struct conf_rs *rs,
		      const struct conf_checker *cc)
{
	if (cc->connect_port)
		return cc->connect_port;
	return rs->port ? rs->port : vs->port;
}

void checker_dst(const struct checker *c, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = dst_ip(c->rc->rs, c->cc);
	sin->sin_port = htons(dst_port(c->rc->vs, c->rc->rs, c->cc));
}

void checker_reason(struct checker *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
}

int checker_errno(struct checker *c, const char *what, int err)
{
	char msg[48];

	snprintf(msg, sizeof(msg), "%s", strerror(-err));
	if (msg[0] >= 'A' && msg[0] <= 'Z')
		msg[0] += 'a' - 'A';
	checker_reason(c, "%s: %s", what, msg);
	return err;
}

int checker_socket(struct checker *c, int type)
{
	const struct conf_checker *cc = c->cc;
	int fd, one = 1;

	fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return checker_errno(c, "socket", -errno);
	if (cc->bindto || cc->bind_port) {
		struct sockaddr_in sin = {
			.sin_family = AF_INET,
			.sin_addr.s_addr = cc->bindto,
			.sin_port = htons(cc->bind_port),
		};

		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin))) {
			int err = -errno;

			close(fd);
			return checker_errno(c, "bind", err);
		}
	}
	return fd;
}

static void check_log(const struct check_env *env, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void check_log(const struct check_env *env, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (env->log)
		env->log(env->log_arg, line);
	else
		p_info("%s", line);
}

static const char *proto_name(__u8 proto)
{
	return proto == IPPROTO_UDP ? "UDP" : "TCP";
}

static void log_change(const struct rs_check *rc, const struct checker *c,
		       bool state_moved)
{
	char vip[INET_ADDRSTRLEN], rip[INET_ADDRSTRLEN], what[32];
	const struct rs_health *h = &rc->h;

	inet_ntop(AF_INET, &rc->vs->addr, vip, sizeof(vip));
	inet_ntop(AF_INET, &rc->rs->addr, rip, sizeof(rip));
	if (state_moved)
		snprintf(what, sizeof(what), "%s",
			 h->state == RS_UP ? "up" : "down");
	else
		snprintf(what, sizeof(what), "weight %d",
			 h->weight < 0 ? (int)rc->rs->weight : h->weight);
	check_log(&rc->env,
		  "virtual server %s %s:%u: real server %s:%u %s (%s: %s)",
		  proto_name(rc->vs->proto), vip, rc->vs->port, rip,
		  rc->rs->port, what, c->ops->name, c->reason);
}

/* The server's verdict after a result of @c. */
static void rs_update(struct rs_check *rc, struct checker *c, bool ok)
{
	struct rs_health *h = &rc->h;
	enum rs_state old = h->state;
	int oldw = h->weight, i;
	bool down = false, dyn = false, moved;
	long w = rc->rs->weight;

	for (i = 0; i < rc->n; i++) {
		struct checker *k = &rc->c[i];

		if (!k->h.up) {
			down = true;
			k->weight = -1; /* keepalived drops it with the state */
		}
		if (k->weight >= 0) {
			dyn = true;
			w += k->weight - (long)rc->rs->weight;
		}
	}
	h->state = down ? RS_DOWN : RS_UP;
	/* Not checked yet, and a failure still being retried: no verdict. */
	if (old == RS_UNKNOWN && !ok && !down)
		h->state = RS_UNKNOWN;
	h->weight = dyn ? (w < 0 ? 0 : (int)w) : -1;
	if (ok) {
		h->oks++;
		h->fails = 0;
	} else {
		h->fails++;
		h->oks = 0;
	}
	h->last_ms = lbxdp_realtime_ms();
	/* A down server shows why: a failing checker's reason, not the
	 * last one that passed. */
	for (i = 0; down && c->h.up && i < rc->n; i++)
		if (!rc->c[i].h.up)
			c = &rc->c[i];
	snprintf(h->checker, sizeof(h->checker), "%s", c->ops->name);
	snprintf(h->reason, sizeof(h->reason), "%s", c->reason);
	moved = h->state != old;
	if (moved) {
		h->since_ms = h->last_ms;
		h->transitions++;
	}
	if (moved || h->weight != oldw)
		log_change(rc, c, moved);
	if (rc->env.result)
		rc->env.result(rc->env.arg, h, moved || h->weight != oldw);
}

static void checker_timer(struct loop_timer *t);

static void checker_arm(struct checker *c, uint64_t when)
{
	if (loop_timer_at(checker_loop(c), &c->timer, when))
		check_log(&c->rc->env, "cannot arm a timer: out of memory");
}

void checker_done(struct checker *c, bool ok)
{
	struct health_step s;
	uint64_t base;

	if (!c->running)
		return;
	c->running = false;
	loop_timer_cancel(checker_loop(c), &c->timer);
	c->ops->stop(c);
	/* keepalived times MISC_CHECK from the script's start. */
	base = c->cc->type == CHECK_MISC ? c->started
					 : loop_now(checker_loop(c));
	s = health_result(&c->h, base, ok);
	checker_arm(c, s.next);
	/* Last: the daemon's callback may free the rs_check. */
	rs_update(c->rc, c, ok);
}

static void fmt_secs(char *buf, size_t len, uint32_t ms)
{
	if (ms % 1000)
		snprintf(buf, len, "%u ms", ms);
	else
		snprintf(buf, len, "%u s", ms / 1000);
}

/* The whole check's bound: its delay_loop, or its timeout if longer. */
static uint32_t check_bound_ms(const struct checker *c)
{
	return c->cc->inter_ms > c->timeout_ms ? c->cc->inter_ms
					       : c->timeout_ms;
}

void checker_progress(struct checker *c)
{
	uint64_t when = loop_now(checker_loop(c)) + c->timeout_ms;
	uint64_t bound = c->started + check_bound_ms(c);

	if (!c->running)
		return;
	c->at_bound = when > bound;
	checker_arm(c, c->at_bound ? bound : when);
}

static void checker_timer(struct loop_timer *t)
{
	struct checker *c = t->arg;
	char secs[24];
	int err;

	if (c->running) {
		if (c->ops->timeout_ok && c->ops->timeout_ok(c)) {
			checker_done(c, true);
			return;
		}
		if (c->at_bound && check_bound_ms(c) > c->timeout_ms) {
			fmt_secs(secs, sizeof(secs), check_bound_ms(c));
			checker_reason(c, "not done within %s", secs);
		} else {
			fmt_secs(secs, sizeof(secs), c->timeout_ms);
			checker_reason(c, "timeout after %s", secs);
		}
		checker_done(c, false);
		return;
	}
	c->at_bound = false;
	c->started = loop_now(checker_loop(c));
	c->reason[0] = '\0';
	c->running = true;
	err = c->ops->start(c);
	if (err) {
		if (!c->reason[0])
			checker_errno(c, "check", err);
		checker_done(c, false);
		return;
	}
	checker_arm(c, c->started + c->timeout_ms);
}

struct rs_check *rs_check_new(const struct check_env *env,
			      const struct conf_vs *vs,
			      const struct conf_rs *rs)
{
	struct rs_check *rc;
	int i;

	rc = calloc(1, sizeof(*rc) + rs->nchecks * sizeof(rc->c[0]));
	if (!rc)
		return NULL;
	rc->env = *env;
	rc->vs = vs;
	rc->rs = rs;
	rc->h.weight = -1;
	for (i = 0; i < rs->nchecks; i++) {
		struct checker *c = &rc->c[i];
		const struct conf_checker *cc = &rs->checkers[i];
		struct health_params p;

		c->ops = ops_of(cc->type);
		c->rc = rc;
		c->cc = cc;
		c->weight = -1;
		c->lfd.fd = -1;
		loop_timer_init(&c->timer, checker_timer, c);
		health_params_from(&p, cc);
		health_init(&c->h, &p, true);
		c->timeout_ms = cc->connect_timeout_ms;
		if (cc->type == CHECK_MISC)
			c->timeout_ms = cc->misc_timeout_ms
						? cc->misc_timeout_ms
						: cc->delay_loop_ms;
		if (!c->timeout_ms)
			c->timeout_ms = DEF_TIMEOUT_MS;
		if (!c->ops || c->ops->init(c)) {
			rc->n = i;
			rs_check_free(rc);
			return NULL;
		}
		rc->n = i + 1;
	}
	return rc;
}

void rs_check_start(struct rs_check *rc, enum rs_state initial,
		    const struct rs_health *h0)
{
	uint64_t now = loop_now(rc->env.loop);
	int i;

	if (h0)
		rc->h = *h0;
	rc->h.state = initial;
	for (i = 0; i < rc->n; i++) {
		struct checker *c = &rc->c[i];
		/* A fresh start: an alpha checker is down until it passes,
		 * and so is its server, whichever level gave it alpha. */
		bool alpha = !h0 && initial != RS_DOWN && c->cc->alpha;
		uint32_t rnd = 0;

		if (alpha)
			rc->h.state = RS_DOWN;
		health_init(&c->h, &c->h.p, initial != RS_DOWN && !alpha);
		if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
			rnd = (uint32_t)random();
		checker_arm(c, health_first(&c->h, now, rnd));
	}
}

void rs_check_rebind(struct rs_check *rc, const struct check_env *env,
		     const struct conf_vs *vs, const struct conf_rs *rs)
{
	int i;

	rc->env = *env;
	rc->vs = vs;
	rc->rs = rs;
	for (i = 0; i < rc->n; i++) {
		struct checker *c = &rc->c[i];

		c->cc = &rs->checkers[i];
		if (c->ops->rebind)
			c->ops->rebind(c);
	}
}

const struct rs_health *rs_check_health(const struct rs_check *rc)
{
	return &rc->h;
}

void rs_check_free(struct rs_check *rc)
{
	int i;

	if (!rc)
		return;
	for (i = 0; i < rc->n; i++) {
		struct checker *c = &rc->c[i];

		loop_timer_cancel(rc->env.loop, &c->timer);
		if (c->running)
			c->ops->stop(c);
		c->ops->fini(c);
		loop_fd_del(rc->env.loop, &c->lfd);
	}
	free(rc);
}

static bool str_same(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

static bool bytes_same(const __u8 *a, int alen, const __u8 *b, int blen)
{
	return alen == blen && (!alen || !memcmp(a, b, alen));
}

static bool url_same(const struct conf_url *a, const struct conf_url *b)
{
	int i;

	if (!str_same(a->path, b->path) || !str_same(a->digest, b->digest) ||
	    !str_same(a->virtualhost, b->virtualhost) ||
	    a->nstatus != b->nstatus)
		return false;
	for (i = 0; i < a->nstatus; i++)
		if (a->status[i].lo != b->status[i].lo ||
		    a->status[i].hi != b->status[i].hi)
			return false;
	return true;
}

static bool checker_same(const struct conf_vs *va, const struct conf_rs *ra,
			 const struct conf_checker *a, const struct conf_vs *vb,
			 const struct conf_rs *rb, const struct conf_checker *b)
{
	int i;

	if (a->type != b->type || dst_ip(ra, a) != dst_ip(rb, b) ||
	    dst_port(va, ra, a) != dst_port(vb, rb, b) ||
	    a->bindto != b->bindto || a->bind_port != b->bind_port ||
	    a->connect_timeout_ms != b->connect_timeout_ms ||
	    a->delay_loop_ms != b->delay_loop_ms || a->retry != b->retry ||
	    a->delay_before_retry_ms != b->delay_before_retry_ms ||
	    a->warmup_ms != b->warmup_ms || a->rise != b->rise ||
	    a->fall != b->fall || a->inter_ms != b->inter_ms)
		return false;
	switch (a->type) {
	case CHECK_HTTP:
	case CHECK_SSL:
		if (a->nurls != b->nurls ||
		    !str_same(a->virtualhost ? a->virtualhost : va->virtualhost,
			      b->virtualhost ? b->virtualhost
					     : vb->virtualhost) ||
		    a->http_protocol != b->http_protocol ||
		    a->http_close != b->http_close ||
		    a->fast_recovery != b->fast_recovery ||
		    a->enable_sni != b->enable_sni)
			return false;
		for (i = 0; i < a->nurls; i++)
			if (!url_same(&a->urls[i], &b->urls[i]))
				return false;
		return true;
	case CHECK_MISC:
		return str_same(a->misc.cmd, b->misc.cmd) &&
		       a->misc_timeout_ms == b->misc_timeout_ms &&
		       a->misc_dynamic == b->misc_dynamic;
	case CHECK_DNS:
		return str_same(a->dns_name, b->dns_name) &&
		       a->dns_type == b->dns_type;
	case CHECK_UDP:
		return bytes_same(a->udp_payload, a->udp_payload_len,
				  b->udp_payload, b->udp_payload_len) &&
		       a->udp_require_reply == b->udp_require_reply &&
		       bytes_same(a->udp_reply, a->udp_reply_len, b->udp_reply,
				  b->udp_reply_len);
	case CHECK_TCP:
		return true;
	}
	return false;
}

bool rs_check_same(const struct conf_vs *va, const struct conf_rs *a,
		   const struct conf_vs *vb, const struct conf_rs *b)
{
	int i;

	if (a->nchecks != b->nchecks)
		return false;
	for (i = 0; i < a->nchecks; i++)
		if (!checker_same(va, a, &a->checkers[i], vb, b,
				  &b->checkers[i]))
			return false;
	return true;
}

/* A notify script in flight, or a killed one that is still dying: freed
 * when reaped. */
struct script_run {
	struct check_env env;
	struct loop *loop;
	struct loop_fd lfd;
	struct loop_timer timer;
	pid_t pid;
	bool quiet; /* its end was said already */
	char cmd[64];
};

/* How a script ended, unless well: @r and @si are waitid()'s. */
static void script_said(const struct script_run *s, int r, const siginfo_t *si)
{
	if (r)
		check_log(&s->env, "script %s: wait: %s", s->cmd,
			  strerror(errno));
	else if (si->si_code == CLD_EXITED && si->si_status)
		check_log(&s->env, "script %s: exit status %d", s->cmd,
			  si->si_status);
	else if (si->si_code != CLD_EXITED)
		check_log(&s->env, "script %s: killed by signal %d", s->cmd,
			  si->si_status);
}

static void script_reaped(struct loop_fd *lfd, uint32_t events)
{
	struct script_run *s = lfd->arg;
	siginfo_t si = {0};
	int fd = lfd->fd;

	int r = waitid((idtype_t)P_PIDFD, (id_t)fd, &si, WEXITED | WNOHANG);

	if (!r && !si.si_pid)
		return; /* not yet */
	/* An error (SIGCHLD ignored: reaped already) must end the watch
	 * too, or the readable pidfd would spin the loop. */
	if (!s->quiet)
		script_said(s, r, &si);
	loop_fd_del(s->loop, lfd);
	close(fd);
	loop_timer_cancel(s->loop, &s->timer);
	free(s);
}

static void script_timeout(struct loop_timer *t)
{
	struct script_run *s = t->arg;

	/* Its whole process group; the pidfd then reaps it. */
	kill(-s->pid, SIGKILL);
}

int check_reap_later(struct loop *loop, pid_t pid, int pidfd)
{
	struct script_run *r = calloc(1, sizeof(*r));
	int err = -ENOMEM;

	if (r) {
		r->loop = loop;
		r->pid = pid;
		r->quiet = true;
		loop_timer_init(&r->timer, script_timeout, r);
		err = loop_fd_add(loop, &r->lfd, pidfd, EPOLLIN, script_reaped,
				  r);
	}
	if (err) {
		/* Left a zombie, rather than the loop blocked on it. */
		free(r);
		close(pidfd);
	}
	return err;
}

int check_run_script(const struct check_env *env, const struct conf_script *s,
		     uint32_t timeout_ms)
{
	struct script_run *r;
	int pidfd, err;

	if (!s->cmd)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->env = *env;
	r->loop = env->loop;
	snprintf(r->cmd, sizeof(r->cmd), "%s", s->cmd);
	loop_timer_init(&r->timer, script_timeout, r);
	err = check_spawn(&s->cred, s->cmd, &r->pid, &pidfd);
	if (err) {
		free(r);
		return err;
	}
	err = loop_fd_add(env->loop, &r->lfd, pidfd, EPOLLIN, script_reaped, r);
	if (!err && timeout_ms)
		err = loop_timer_in(env->loop, &r->timer, timeout_ms);
	if (err) {
		/* Not watched: killed, reaped from the loop if it can be. */
		kill(-r->pid, SIGKILL);
		loop_fd_del(env->loop, &r->lfd);
		check_reap_later(env->loop, r->pid, pidfd);
		free(r);
		return err;
	}
	return 0;
}
