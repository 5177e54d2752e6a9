// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Mail alerts: keepalived 2.2.7's messages, sent by a non-blocking SMTP
 * client in the daemon's loop. One session at a time, each step bounded
 * by smtp_connect_timeout; a failed session costs its message and one log
 * line (keepalived does not retry either). The queue is bounded: a burst
 * that overflows it drops the oldest messages, and says so.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include "smtp.h"

static void slog(struct smtp *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void slog(struct smtp *s, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (s->log)
		s->log(s->log_arg, line);
	else
		fprintf(stderr, "%s\n", line);
}

/* ---- the messages ---- */

void smtp_fmt_service(char *buf, size_t len, __be32 addr, __u16 port,
		      __u8 proto)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &addr, a, sizeof(a));
	snprintf(buf, len, "[%s]:%s:%u", a,
		 proto == IPPROTO_UDP ? "udp" : "tcp", port);
}

/* keepalived's text of each checker's success and failure. */
static const char *rs_body(const char *checker, bool up)
{
	static const struct {
		const char *name, *up, *down;
	} t[] = {
		{"TCP_CHECK", "=> TCP CHECK succeed on service <=",
		 "=> TCP CHECK failed on service <="},
		{"HTTP_GET", "=> CHECK succeed on service <=",
		 "=> CHECK failed on service : HTTP request failed <="},
		{"SSL_GET", "=> CHECK succeed on service <=",
		 "=> CHECK failed on service : HTTP request failed <="},
		{"MISC_CHECK", "=> MISC CHECK succeeded on service <=",
		 "=> MISC CHECK failed on service <="},
		{"UDP_CHECK", "=> UDP CHECK succeed on service <=",
		 "=> UDP CHECK failed on service <="},
		{"DNS_CHECK", "=> DNS_CHECK: succeed on service <=",
		 "=> DNS_CHECK: failed on service <="},
	};
	size_t i;

	for (i = 0; checker && i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(checker, t[i].name))
			return up ? t[i].up : t[i].down;
	return up ? "=> CHECK succeed on service <="
		  : "=> CHECK failed on service <=";
}

void smtp_msg_rs(struct smtp_msg *m, const char *router_id,
		 const struct conf_vs *vs, const struct conf_rs *rs, bool up,
		 const char *checker)
{
	char rsb[64], vsb[64];

	smtp_fmt_service(rsb, sizeof(rsb), rs->addr, rs->port, vs->proto);
	smtp_fmt_service(vsb, sizeof(vsb), vs->addr, vs->port, vs->proto);
	snprintf(m->subject, sizeof(m->subject),
		 "[%s] Realserver %s of virtual server %s - %s", router_id, rsb,
		 vsb, up ? "UP" : "DOWN");
	snprintf(m->body, sizeof(m->body), "%s", rs_body(checker, up));
	m->at = time(NULL);
}

void smtp_msg_vs(struct smtp_msg *m, const char *router_id,
		 const struct conf_vs *vs, bool up, uint32_t threshold,
		 uint64_t weight_sum)
{
	char vsb[64];

	smtp_fmt_service(vsb, sizeof(vsb), vs->addr, vs->port, vs->proto);
	snprintf(m->subject, sizeof(m->subject), "[%s] Virtualserver %s - %s",
		 router_id, vsb, up ? "UP" : "DOWN");
	snprintf(m->body, sizeof(m->body), "=> %s %u+%u=%u <= %llu <=",
		 up ? "Gained quorum" : "Lost quorum", vs->quorum,
		 vs->hysteresis, threshold, (unsigned long long)weight_sum);
	m->at = time(NULL);
}

void smtp_msg_vrrp(struct smtp_msg *m, const char *router_id, const char *iname,
		   enum vrrp_state to)
{
	const char *subj, *body;

	switch (to) {
	case VRRP_STATE_MASTER:
		subj = "Entering MASTER state";
		body = "=> VRRP Instance is now owning VRRP VIPs <=";
		break;
	case VRRP_STATE_BACKUP:
		subj = "Entering BACKUP state";
		body = "=> VRRP Instance is no longer owning VRRP VIPs <=";
		break;
	case VRRP_STATE_FAULT:
		subj = "Entering FAULT state";
		body = "=> VRRP Instance is no longer owning VRRP VIPs <=";
		break;
	default:
		subj = "Stopping";
		body = "=> VRRP Instance stopping <=";
		break;
	}
	snprintf(m->subject, sizeof(m->subject), "[%s] VRRP Instance %s - %s",
		 router_id, iname, subj);
	snprintf(m->body, sizeof(m->body), "%s", body);
	m->at = time(NULL);
}

void smtp_msg_vgroup(struct smtp_msg *m, const char *router_id,
		     const char *gname, enum vrrp_state to)
{
	const char *subj, *body;

	switch (to) {
	case VRRP_STATE_MASTER:
		subj = "Entering MASTER state";
		body = "=> All VRRP group instances are now in MASTER state <=";
		break;
	case VRRP_STATE_BACKUP:
		subj = "Entering BACKUP state";
		body = "=> All VRRP group instances are now in BACKUP state <=";
		break;
	case VRRP_STATE_FAULT:
		subj = "Entering FAULT state";
		body = "=> All VRRP group instances are now in FAULT state <=";
		break;
	default:
		subj = "Stopping";
		body = "=> All VRRP group instances are now stopping <=";
		break;
	}
	snprintf(m->subject, sizeof(m->subject), "[%s] VRRP Group %s - %s",
		 router_id, gname, subj);
	snprintf(m->body, sizeof(m->body), "%s", body);
	m->at = time(NULL);
}

/* A header line must stay one line whatever a name holds. */
static void one_line(char *p)
{
	for (; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
}

int smtp_format_data(char *buf, size_t len, const struct smtp_msg *m,
		     const char *from, char *const *to, int nto)
{
	char date[64], subject[SMTP_SUBJECT_MAX];
	size_t off;
	struct tm tm;
	int i, w;

	localtime_r(&m->at, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	snprintf(subject, sizeof(subject), "%s", m->subject);
	one_line(subject);
	w = snprintf(buf, len,
		     "Date: %s\r\nFrom: %s\r\nSubject: %s\r\n"
		     "X-Mailer: lbxdp\r\nTo: ",
		     date, from, subject);
	if (w < 0 || (size_t)w >= len)
		return -ENOSPC;
	off = (size_t)w;
	for (i = 0; i < nto; i++) {
		w = snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
			     to[i]);
		if (w < 0 || (size_t)w >= len - off)
			return -ENOSPC;
		off += (size_t)w;
	}
	/* The body is keepalived's fixed text: no line of it starts with a
	 * dot, so no dot-stuffing is needed. */
	w = snprintf(buf + off, len - off, "\r\n\r\n%s\r\n\r\n.\r\n", m->body);
	if (w < 0 || (size_t)w >= len - off)
		return -ENOSPC;
	return (int)(off + (size_t)w);
}

/* ---- settings ---- */

static void on_timeout(struct loop_timer *t);

static void free_to(struct smtp *s)
{
	int i;

	for (i = 0; i < s->nto; i++)
		free(s->to[i]);
	free(s->to);
	s->to = NULL;
	s->nto = 0;
}

void smtp_init(struct smtp *s, struct loop *loop,
	       void (*log)(void *log_arg, const char *line), void *log_arg)
{
	memset(s, 0, sizeof(*s));
	s->loop = loop;
	s->log = log;
	s->log_arg = log_arg;
	s->fd.fd = -1;
	loop_timer_init(&s->t, on_timeout, s);
}

static int resolve(struct smtp *s, const char *host, __u16 port)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	char p[8];
	int err;

	snprintf(p, sizeof(p), "%u", port);
	err = getaddrinfo(host, p, &hints, &res);
	if (err) {
		slog(s, "smtp_server %s: %s: no mail alerts", host,
		     gai_strerror(err));
		return -EHOSTUNREACH;
	}
	memcpy(&s->addr, res->ai_addr, res->ai_addrlen);
	s->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int smtp_configure(struct smtp *s, const struct conf_global *g)
{
	char host[256] = "";
	struct passwd *pw;
	int i, err;

	s->on = false;
	free_to(s);
	if (!g->smtp_server || !g->nemails)
		return 0;
	err = resolve(s, g->smtp_server, g->smtp_port);
	if (err)
		return err;
	snprintf(s->server, sizeof(s->server), "%s:%u", g->smtp_server,
		 g->smtp_port);
	/* keepalived's defaults: the host's name for router_id and HELO,
	 * USER@HOST (the daemon's user) as the sender */
	if (gethostname(host, sizeof(host) - 1))
		snprintf(host, sizeof(host), "localhost");
	snprintf(s->router_id, sizeof(s->router_id), "%s",
		 g->router_id ? g->router_id : host);
	snprintf(s->helo, sizeof(s->helo), "%s",
		 g->smtp_helo ? g->smtp_helo : host);
	pw = getpwuid(getuid());
	if (g->email_from)
		snprintf(s->from, sizeof(s->from), "%s", g->email_from);
	else if (snprintf(s->from, sizeof(s->from), "%s@%s",
			  pw ? pw->pw_name : "root",
			  host) >= (int)sizeof(s->from))
		slog(s, "notification_email_from: USER@HOST truncated");
	s->to = calloc((size_t)g->nemails, sizeof(*s->to));
	if (!s->to)
		return -ENOMEM;
	for (i = 0; i < g->nemails; i++) {
		s->to[i] = strdup(g->emails[i]);
		if (!s->to[i]) {
			s->nto = i;
			free_to(s);
			return -ENOMEM;
		}
	}
	s->nto = g->nemails;
	s->timeout_ms = g->smtp_timeout_ms ? g->smtp_timeout_ms : 30000;
	s->on = true;
	return 0;
}

/* ---- the session ---- */

static void session_next(struct smtp *s);

static void session_close(struct smtp *s)
{
	if (s->fd.fd >= 0) {
		int fd = s->fd.fd;

		loop_fd_del(s->loop, &s->fd);
		close(fd);
	}
	loop_timer_cancel(s->loop, &s->t);
	free(s->script);
	free(s->steps);
	s->script = NULL;
	s->steps = NULL;
	s->nsteps = s->cur = 0;
	s->stage = SMTP_IDLE;
}

/* The session failed: its message is lost, the next one starts. */
static void session_fail(struct smtp *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void session_fail(struct smtp *s, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	/* QUIT's answer does not matter: the message went */
	if (s->nsteps && s->cur == s->nsteps - 1) {
		session_close(s);
		session_next(s);
		return;
	}
	s->nfailed++;
	slog(s, "SMTP alert to %s not sent: %s", s->server, why);
	session_close(s);
	session_next(s);
}

static void on_timeout(struct loop_timer *t)
{
	struct smtp *s = t->arg;
	const char *what = s->stage == SMTP_CONNECT ? "connect"
			   : s->cur < s->nsteps	    ? s->steps[s->cur].what
						    : "?";

	session_fail(s, "timeout after %u ms (%s)", s->timeout_ms, what);
}

/* Each step gets the whole smtp_connect_timeout, as keepalived's. */
static void arm(struct smtp *s)
{
	loop_timer_in(s->loop, &s->t, s->timeout_ms);
}

/* Wait for step[cur]'s reply, with a whole timeout of its own. */
static void expect_reply(struct smtp *s)
{
	if (s->stage != SMTP_REPLY) {
		s->stage = SMTP_REPLY;
		loop_fd_mod(s->loop, &s->fd, EPOLLIN);
	}
	s->inlen = 0;
	arm(s);
}

/* Send what is left of step[cur]'s command; then wait for its reply. */
static void send_step(struct smtp *s)
{
	const struct smtp_step *st = &s->steps[s->cur];

	while (s->sent < st->len) {
		ssize_t w = send(s->fd.fd, s->script + st->off + s->sent,
				 st->len - s->sent, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (s->stage != SMTP_SEND) {
				s->stage = SMTP_SEND;
				loop_fd_mod(s->loop, &s->fd, EPOLLOUT);
				arm(s); /* a server that reads nothing */
			}
			return;
		}
		if (w < 0) {
			session_fail(s, "%s: %s", st->what, strerror(errno));
			return;
		}
		s->sent += (size_t)w;
	}
	expect_reply(s);
}

/* A whole reply (its last line "NNN " or "NNN"): its code; 0: not whole
 * yet; -1: not a reply. */
static int reply_code(const char *in, size_t len)
{
	size_t start = 0, i;

	for (i = 0; i + 1 < len; i++) {
		if (in[i] != '\r' || in[i + 1] != '\n')
			continue;
		if (i - start < 3 || (i - start > 3 && in[start + 3] != ' ')) {
			start = i + 2; /* "NNN-": a multi-line reply's */
			continue;
		}
		if (!isdigit((unsigned char)in[start]) ||
		    !isdigit((unsigned char)in[start + 1]) ||
		    !isdigit((unsigned char)in[start + 2]))
			return -1;
		return (in[start] - '0') * 100 + (in[start + 1] - '0') * 10 +
		       (in[start + 2] - '0');
	}
	return 0;
}

/* The buffer is full of a long multi-line reply: drop its whole lines
 * (all "NNN-", or reply_code() would have ended it). -1: one line fills
 * it. */
static int shift_lines(struct smtp *s)
{
	size_t i, last = 0;

	for (i = 0; i + 1 < s->inlen; i++)
		if (s->in[i] == '\r' && s->in[i + 1] == '\n')
			last = i + 2;
	if (!last)
		return -1;
	memmove(s->in, s->in + last, s->inlen - last);
	s->inlen -= last;
	return 0;
}

static void got_reply(struct smtp *s, int code)
{
	const struct smtp_step *st = &s->steps[s->cur];

	/* RCPT: 251 (forwarded) is a success too */
	if (code < 0) {
		session_fail(s, "%s: not an SMTP reply", st->what);
		return;
	}
	if (code != st->want && !(st->want == 250 && code / 100 == 2)) {
		session_fail(s, "%s: the server said %d", st->what, code);
		return;
	}
	if (st->want == 250 && !strcmp(st->what, "the message"))
		s->nsent++;
	if (++s->cur == s->nsteps) {
		session_close(s);
		session_next(s);
		return;
	}
	s->sent = 0;
	send_step(s);
}

static void on_io(struct loop_fd *h, uint32_t events)
{
	struct smtp *s = h->arg;
	int code;

	(void)events; /* SO_ERROR and recv() say what happened */
	if (s->stage == SMTP_CONNECT) {
		int err = 0;
		socklen_t l = sizeof(err);

		if (getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &l) || err) {
			session_fail(s, "connect: %s",
				     strerror(err ? err : errno));
			return;
		}
		/* the greeting is step 0's reply */
		expect_reply(s);
		return;
	}
	if (s->stage == SMTP_SEND) {
		send_step(s);
		return;
	}
	for (;;) {
		ssize_t r = recv(h->fd, s->in + s->inlen,
				 sizeof(s->in) - 1 - s->inlen, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r <= 0) {
			session_fail(s, "%s: %s", s->steps[s->cur].what,
				     r ? strerror(errno)
				       : "the server closed the connection");
			return;
		}
		s->inlen += (size_t)r;
		code = reply_code(s->in, s->inlen);
		if (code) {
			got_reply(s, code);
			return;
		}
		if (s->inlen == sizeof(s->in) - 1 && shift_lines(s)) {
			session_fail(s, "%s: a reply line too long",
				     s->steps[s->cur].what);
			return;
		}
	}
}

/* The transcript of @m: greeting, HELO, MAIL, RCPT each, DATA, the
 * message, QUIT. */
static int build(struct smtp *s, const struct smtp_msg *m)
{
	size_t cap = 1024 + sizeof(*m) + SMTP_SUBJECT_MAX, off = 0;
	int i, n = 5 + s->nto, w, k = 0;

	for (i = 0; i < s->nto; i++)
		cap += 2 * strlen(s->to[i]) + 16;
	s->script = malloc(cap);
	s->steps = calloc((size_t)n + 1, sizeof(*s->steps));
	if (!s->script || !s->steps)
		return -ENOMEM;
#define STEP(WANT, WHAT, ...)                                           \
	do {                                                            \
		w = snprintf(s->script + off, cap - off, __VA_ARGS__);  \
		if (w < 0 || (size_t)w >= cap - off)                    \
			return -ENOSPC;                                 \
		s->steps[k++] =                                         \
			(struct smtp_step){off, (size_t)w, WANT, WHAT}; \
		off += (size_t)w;                                       \
	} while (0)
	STEP(220, "greeting", "%s", "");
	STEP(250, "HELO", "HELO %s\r\n", s->helo);
	STEP(250, "MAIL FROM", "MAIL FROM:<%s>\r\n", s->from);
	for (i = 0; i < s->nto; i++)
		STEP(250, "RCPT TO", "RCPT TO:<%s>\r\n", s->to[i]);
	STEP(354, "DATA", "%s", "DATA\r\n");
#undef STEP
	w = smtp_format_data(s->script + off, cap - off, m, s->from, s->to,
			     s->nto);
	if (w < 0)
		return w;
	s->steps[k++] = (struct smtp_step){off, (size_t)w, 250, "the message"};
	off += (size_t)w;
	if (cap - off < 8)
		return -ENOSPC;
	memcpy(s->script + off, "QUIT\r\n", 6);
	s->steps[k++] = (struct smtp_step){off, 6, 221, "QUIT"};
	s->nsteps = k;
	return 0;
}

/* Start a session for the oldest message, if idle and one waits. */
static void session_next(struct smtp *s)
{
	struct smtp_msg m;
	int fd, err;

	if (s->stage != SMTP_IDLE || !s->n || !s->on)
		return;
	m = s->q[s->head];
	s->head = (s->head + 1) % SMTP_QUEUE_LEN;
	s->n--;
	err = build(s, &m);
	if (err) {
		session_fail(s, "%s", strerror(-err));
		return;
	}
	fd = socket(s->addr.ss_family,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		session_fail(s, "socket: %s", strerror(errno));
		return;
	}
	if (connect(fd, (struct sockaddr *)&s->addr, s->addrlen) &&
	    errno != EINPROGRESS) {
		err = errno;
		close(fd);
		session_fail(s, "connect: %s", strerror(err));
		return;
	}
	err = loop_fd_add(s->loop, &s->fd, fd, EPOLLOUT, on_io, s);
	if (err) {
		close(fd);
		session_fail(s, "epoll: %s", strerror(-err));
		return;
	}
	s->stage = SMTP_CONNECT;
	s->cur = 0;
	s->sent = 0;
	arm(s);
}

void smtp_queue(struct smtp *s, const struct smtp_msg *m)
{
	if (!s->on)
		return;
	if (s->n == SMTP_QUEUE_LEN) {
		const struct smtp_msg *old = &s->q[s->head];

		s->ndropped++;
		slog(s, "SMTP alert queue full (%d): dropped \"%s\"",
		     SMTP_QUEUE_LEN, old->subject);
		s->head = (s->head + 1) % SMTP_QUEUE_LEN;
		s->n--;
	}
	s->q[(s->head + s->n) % SMTP_QUEUE_LEN] = *m;
	s->n++;
	session_next(s);
}

/* The events a session waits for in its stage. */
static uint32_t stage_events(enum smtp_stage st)
{
	return st == SMTP_REPLY ? EPOLLIN : EPOLLOUT;
}

/* Move the session's descriptor and timer from s->loop to @to. */
static void rehome(struct smtp *s, struct loop *to)
{
	int fd = s->fd.fd, err = 0;

	if (fd >= 0) {
		loop_fd_del(s->loop, &s->fd);
		err = loop_fd_add(to, &s->fd, fd, stage_events(s->stage), on_io,
				  s);
	}
	loop_timer_cancel(s->loop, &s->t);
	s->loop = to;
	if (err) {
		close(fd);
		session_fail(s, "epoll: %s", strerror(-err));
	} else if (s->stage != SMTP_IDLE) {
		arm(s);
	}
}

unsigned int smtp_pending(const struct smtp *s)
{
	return s->n + (s->stage != SMTP_IDLE);
}

int smtp_drain(struct smtp *s, uint32_t max_ms)
{
	struct loop *home = s->loop, own;
	uint64_t end, now;
	int err;

	if (!s->on || !smtp_pending(s))
		return 0;
	if (max_ms > s->timeout_ms)
		max_ms = s->timeout_ms;
	err = loop_init(&own);
	if (err)
		return err;
	/* only the mail's callbacks run: the rest of the daemon is going */
	rehome(s, &own);
	end = loop_clock_ms() + max_ms;
	while (!err && smtp_pending(s)) {
		now = loop_clock_ms();
		if (now >= end)
			break;
		err = loop_run_once(&own, (int)(end - now));
	}
	/* what is left is smtp_fini()'s to close and log */
	rehome(s, home);
	loop_fini(&own);
	return err;
}

void smtp_fini(struct smtp *s)
{
	unsigned int left = smtp_pending(s);

	if (left)
		slog(s, "SMTP: %u alert(s) not sent at exit", left);
	s->n = 0;
	session_close(s);
	free_to(s);
	s->on = false;
}
