// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The checkers against real servers on 127.0.0.1, all in one loop at once:
 * TCP (listening, refused, silent: SYNs dropped past a full backlog), HTTP
 * (200, 503, digest, a peer that never answers), TLS (openssl s_server,
 * SNI), scripts (exit 0/1/5, one that hangs with a child), UDP (echo,
 * closed port) and DNS. Each must give its result and reason, and the fast
 * ones within their own bound while the hung ones still hang.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "daemon/check.h"
#include "daemon/check_int.h"
#include "daemon/loop.h"

#define LO htonl(INADDR_LOOPBACK)
#define SLOW_MS 3000 /* the hung checks' timeout */
#define FAST_MS 2000 /* the others' */
#define BOUND_MS 20000
/* /steps answers in 3 parts this far apart: each within the timeout of
 * its fixture, with room for a loaded machine, the whole beyond it */
#define STEP_MS 500
#define STEP_TIMEOUT_MS 1400
#define BODY "hello, lbxdp\n"
#define NCONN 32

struct ctx;

/* One real server under test. */
struct fx {
	struct ctx *x;
	struct conf_rs rs;
	struct conf_checker ck[2];
	struct conf_url url[2];
	struct conf_status_range st;
	int want;	/* results to wait for */
	bool times_out; /* its result is its timeout */
	struct rs_check *rc;
	int nres;
	uint64_t at;		  /* ms from the start to the first result */
	struct rs_health h, last; /* the first result's, the last's */
	uint64_t last_at;
	bool changed;
};

struct conn {
	struct ctx *x;
	struct loop_fd lfd;
	struct loop_timer later; /* /slow: the answer, 200 ms later */
	int steps;		 /* /steps: parts of it still to send */
	bool drip;		 /* /drip: a byte of body each 100 ms */
	char buf[1024];
	size_t len;
};

enum {
	TCP_OK,
	TCP_REFUSED,
	TCP_SILENT,
	TCP_TWO,    /* two checkers, one refused: down */
	TCP_TWO_OK, /* two checkers up: one change, one log line */
	HTTP_OK,
	HTTP_503,
	HTTP_DIGEST_OK,
	HTTP_DIGEST_BAD,
	HTTP_HANG,
	HTTP_TWO_URLS, /* /ok then /fail: the second fails */
	HTTP_VHOST,    /* 200 only with Host: www.example */
	HTTP_STATUS,   /* status_code 503: a 503 passes */
	HTTP_KEEP,     /* the server keeps the connection: Content-Length */
	HTTP_11,       /* http_protocol 1.1: Connection: close */
	HTTP_10C,      /* http_protocol 1.0C: 1.0 with Connection: close */
	HTTP_STEPS,    /* 3 parts STEP_MS apart: each within the timeout */
	HTTP_DRIP,     /* a byte each 100 ms, endless: its delay_loop ends it */
	HTTP_CLOSE,    /* closed without a word */
	HTTP_GARBAGE,  /* not HTTP */
	HTTP_BIND,     /* 200 only from bind_port */
	SSL_OK,
	SSL_SNI_OK,
	SSL_SNI_BAD,
	SSL_SLOW,      /* a peer that never says a word of TLS */
	SSL_NO_NOTIFY, /* HTTP/1.0 to the close, without close_notify */
	MISC_0,
	MISC_1,
	MISC_5,
	MISC_HANG,
	MISC_5_STATIC, /* 5 without misc_dynamic: down */
	MISC_SIGMASK,  /* the daemon's blocked signals are not the script's */
	UDP_ECHO,
	UDP_CLOSED,
	UDP_NOREPLY_OK, /* no reply needed, none refused */
	UDP_REPLY_BAD,	/* the echo is not udp_reply */
	UDP_SILENT,	/* a reply needed, none comes */
	DNS_OK,
	DNS_NX,
	DNS_WRONG_ID, /* a reply with another id is not the answer */
	NFX,
};

struct ctx {
	struct loop loop;
	struct conf_vs vs;
	uint64_t t0;
	char dir[64];
	char cmd[8][160];
	char log[96];
	char digest[2 * EVP_MAX_MD_SIZE + 1];
	int saved_err;
	int keep[16]; /* listeners and fillers, closed at the end */
	int nkeep;
	uint16_t tcp_port, closed_port, full_port, silent_port;
	uint16_t http_port, udp_port, udp_closed_port, dns_port, tls_port;
	uint16_t bind_port, udp_silent_port;
	struct loop_fd http, udp, dns;
	struct conn conns[NCONN];
	uint16_t rude_port;
	pid_t tls_pid, rude_pid;
	struct fx fx[NFX];
};

static int sock_on(struct ctx *x, uint16_t *port, int type, int backlog)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = LO};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	if (backlog >= 0)
		assert_int_equal(listen(fd, backlog), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	assert_true(x->nkeep < 16);
	x->keep[x->nkeep++] = fd;
	return fd;
}

/* A port nobody has: bound once, closed. */
static uint16_t free_port(int type)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = LO};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, type, 0);

	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

static void conn_close(struct conn *c)
{
	int fd = c->lfd.fd;

	loop_timer_cancel(&c->x->loop, &c->later);
	loop_fd_del(&c->x->loop, &c->lfd);
	close(fd);
}

static void answer_later(struct loop_timer *t)
{
	struct conn *c = t->arg;
	char resp[128];
	int n;

	if (c->drip) {
		assert_int_equal(write(c->lfd.fd, "x", 1), 1);
		assert_int_equal(loop_timer_in(&c->x->loop, &c->later, 100), 0);
		return;
	}
	if (c->steps) {
		/* the status line, the headers, the body: STEP_MS apart */
		if (c->steps == 3)
			n = snprintf(resp, sizeof(resp), "HTTP/1.0 200 OK\r\n");
		else if (c->steps == 2)
			n = snprintf(resp, sizeof(resp),
				     "Content-Length: %zu\r\n\r\n",
				     strlen(BODY));
		else
			n = snprintf(resp, sizeof(resp), "%s", BODY);
		assert_int_equal(write(c->lfd.fd, resp, n), n);
		if (--c->steps)
			assert_int_equal(
				loop_timer_in(&c->x->loop, &c->later, STEP_MS),
				0);
		else
			conn_close(c);
		return;
	}
	n = snprintf(resp, sizeof(resp),
		     "HTTP/1.0 200 OK\r\nContent-Length: %zu\r\n\r\n%s",
		     strlen(BODY), BODY);
	assert_int_equal(write(c->lfd.fd, resp, n), n);
	conn_close(c);
}

/* A tiny HTTP server: /ok 200 with BODY, /hang never, else 503. */
static void conn_event(struct loop_fd *h, uint32_t events)
{
	struct conn *c = h->arg;
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	char resp[256], host[128];
	bool ok;
	ssize_t n;

	n = read(h->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->len += n;
	c->buf[c->len] = '\0';
	if (!strstr(c->buf, "\r\n\r\n") || !strncmp(c->buf, "GET /hang ", 10))
		return;
	if (!strncmp(c->buf, "GET /slow ", 10) ||
	    !strncmp(c->buf, "GET /steps ", 11)) {
		c->steps = c->buf[5] == 's' && c->buf[6] == 't' ? 3 : 0;
		assert_int_equal(loop_timer_in(&c->x->loop, &c->later,
					       c->steps ? STEP_MS : 200),
				 0);
		return;
	}
	if (!strncmp(c->buf, "GET /drip ", 10)) {
		n = snprintf(resp, sizeof(resp), "HTTP/1.0 200 OK\r\n\r\n");
		assert_int_equal(write(h->fd, resp, n), n);
		c->drip = true;
		assert_int_equal(loop_timer_in(&c->x->loop, &c->later, 100), 0);
		return;
	}
	if (!strncmp(c->buf, "GET /close ", 11) ||
	    !strncmp(c->buf, "GET /garbage ", 13)) {
		if (c->buf[5] == 'g')
			assert_int_equal(write(h->fd, "hello\r\n\r\n", 9), 9);
		conn_close(c);
		return;
	}
	if (!strncmp(c->buf, "GET /vhost ", 11))
		ok = strstr(c->buf, "\r\nHost: www.example\r\n") != NULL;
	else if (!strncmp(c->buf, "GET /bind ", 10))
		ok = getpeername(h->fd, (struct sockaddr *)&peer, &plen) == 0 &&
		     ntohs(peer.sin_port) == c->x->bind_port;
	else if (!strncmp(c->buf, "GET /ok ", 8))
		/* keepalived's request, Host ip:port without virtualhost */
		ok = snprintf(host, sizeof(host),
			      "GET /ok HTTP/1.0\r\nUser-Agent: KeepAliveClient"
			      "\r\nHost: 127.0.0.1:%u\r\n\r\n",
			      c->x->http_port) > 0 &&
		     !strcmp(c->buf, host);
	else if (!strncmp(c->buf, "GET /ok11 ", 10))
		ok = snprintf(
			     host, sizeof(host),
			     "GET /ok11 HTTP/1.1\r\nUser-Agent: KeepAliveClient"
			     "\r\nConnection: close\r\nHost: 127.0.0.1:%u"
			     "\r\n\r\n",
			     c->x->http_port) > 0 &&
		     !strcmp(c->buf, host);
	else if (!strncmp(c->buf, "GET /ok10c ", 11))
		ok = snprintf(
			     host, sizeof(host),
			     "GET /ok10c HTTP/1.0\r\nUser-Agent: KeepAliveClient"
			     "\r\nConnection: close\r\nHost: 127.0.0.1:%u"
			     "\r\n\r\n",
			     c->x->http_port) > 0 &&
		     !strcmp(c->buf, host);
	else
		ok = !strncmp(c->buf, "GET /keep ", 10);
	if (ok)
		n = snprintf(resp, sizeof(resp),
			     "HTTP/1.0 200 OK\r\nContent-Length: %zu\r\n\r\n%s",
			     strlen(BODY), BODY);
	else
		n = snprintf(resp, sizeof(resp),
			     "HTTP/1.0 503 Unavailable\r\n\r\nno\n");
	assert_int_equal(write(h->fd, resp, n), n);
	/* /keep: the client must stop at Content-Length. */
	if (strncmp(c->buf, "GET /keep ", 10))
		conn_close(c);
}

static struct conn *free_conn(struct ctx *x)
{
	int i;

	for (i = 0; i < NCONN; i++)
		if (x->conns[i].lfd.fd < 0)
			return &x->conns[i];
	return NULL;
}

static void http_accept(struct loop_fd *h, uint32_t events)
{
	struct ctx *x = h->arg;
	struct conn *c;
	int fd;

	while ((fd = accept4(h->fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		c = free_conn(x);
		assert_non_null(c);
		c->len = 0;
		c->steps = 0;
		c->drip = false;
		assert_int_equal(loop_fd_add(&x->loop, &c->lfd, fd, EPOLLIN,
					     conn_event, c),
				 0);
	}
}

static void udp_echo(struct loop_fd *h, uint32_t events)
{
	struct sockaddr_in from;
	socklen_t len = sizeof(from);
	char buf[512];
	ssize_t n;

	n = recvfrom(h->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
		     &len);
	if (n >= 0)
		sendto(h->fd, buf, n, 0, (struct sockaddr *)&from, len);
}

/* The length of a well-formed question of one query, 0 if it is not:
 * labels, their end, QTYPE SOA or AAAA, QCLASS IN, nothing after. */
static ssize_t question_len(const unsigned char *q, ssize_t n)
{
	ssize_t o = 12;

	if (n < 12 || q[4] || q[5] != 1)
		return 0;
	while (o < n && q[o])
		o += q[o] + 1;
	if (o + 5 != n)
		return 0;
	if (q[o + 1] || (q[o + 2] != 6 && q[o + 2] != 28) || q[o + 3] ||
	    q[o + 4] != 1)
		return 0;
	return n;
}

/* Answers a query with its id, QR set; NXDOMAIN for nx.example, FORMERR
 * for a malformed question. */
static void dns_server(struct loop_fd *h, uint32_t events)
{
	struct sockaddr_in from;
	socklen_t len = sizeof(from);
	unsigned char buf[512];
	ssize_t n;

	n = recvfrom(h->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
		     &len);
	if (n < 12)
		return;
	buf[2] |= 0x80;
	buf[3] = memmem(buf, n, "\002nx", 3) ? 3 : 0;
	if (!question_len(buf, n))
		buf[3] = 1;
	if (memmem(buf, n, "\007wrongid", 8))
		buf[1] ^= 1;
	sendto(h->fd, buf, n, 0, (struct sockaddr *)&from, len);
}

static void write_script(struct ctx *x, int i, const char *name,
			 const char *body)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", x->dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
	snprintf(x->cmd[i], sizeof(x->cmd[i]), "%s", path);
}

static bool can_connect(uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_addr.s_addr = LO,
				  .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok = !connect(fd, (struct sockaddr *)&sin, sizeof(sin));

	close(fd);
	return ok;
}

/* openssl s_server on 127.0.0.1 with a certificate made here; SNI other
 * than good.example is a fatal alert. */
static void start_tls(struct ctx *x)
{
	char cmd[512];
	uint64_t end;
	int fd;

	snprintf(cmd, sizeof(cmd),
		 "cd %s && echo -n '" BODY "' > page.txt && "
		 "openssl req -x509 -newkey ec -pkeyopt "
		 "ec_paramgen_curve:prime256v1 -nodes -keyout k.pem "
		 "-out c.pem -subj /CN=test -days 2 2>/dev/null",
		 x->dir);
	assert_int_equal(system(cmd), 0);
	x->tls_port = free_port(SOCK_STREAM);
	x->tls_pid = fork();
	assert_true(x->tls_pid >= 0);
	if (!x->tls_pid) {
		char acc[32];

		/* gone with the suite, even when it crashes */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		snprintf(acc, sizeof(acc), "127.0.0.1:%u", x->tls_port);
		if (chdir(x->dir))
			_exit(127);
		fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execlp("openssl", "openssl", "s_server", "-accept", acc,
		       "-cert", "c.pem", "-key", "k.pem", "-cert2", "c.pem",
		       "-key2", "k.pem", "-servername", "good.example",
		       "-servername_fatal", "-WWW", "-quiet", NULL);
		_exit(127);
	}
	end = loop_clock_ms() + BOUND_MS;
	while (!can_connect(x->tls_port)) {
		assert_true(loop_clock_ms() < end);
		usleep(20000);
	}
}

/*
 * A TLS server that answers in HTTP/1.0 without a Content-Length and
 * closes without close_notify, as many do: the body ends at the close,
 * which keepalived takes as its end.
 */
static void rude_serve(struct ctx *x, int lfd)
{
	static const char resp[] = "HTTP/1.0 200 OK\r\n\r\n" BODY;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	char buf[1024], pem[96];
	size_t len;
	int fd, n;
	SSL *ssl;

	snprintf(pem, sizeof(pem), "%s/c.pem", x->dir);
	if (!ctx ||
	    SSL_CTX_use_certificate_file(ctx, pem, SSL_FILETYPE_PEM) != 1)
		_exit(2);
	snprintf(pem, sizeof(pem), "%s/k.pem", x->dir);
	if (SSL_CTX_use_PrivateKey_file(ctx, pem, SSL_FILETYPE_PEM) != 1)
		_exit(2);
	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			_exit(3);
		ssl = SSL_new(ctx);
		if (ssl && SSL_set_fd(ssl, fd) == 1 && SSL_accept(ssl) == 1) {
			len = 0;
			while (len < sizeof(buf) - 1 &&
			       (n = SSL_read(ssl, buf + len,
					     (int)(sizeof(buf) - 1 - len))) >
				       0) {
				len += (size_t)n;
				buf[len] = 0;
				if (strstr(buf, "\r\n\r\n"))
					break;
			}
			SSL_write(ssl, resp, (int)strlen(resp));
		}
		/* no SSL_shutdown(): no close_notify */
		SSL_free(ssl);
		close(fd);
	}
}

static void start_rude_tls(struct ctx *x)
{
	int lfd = sock_on(x, &x->rude_port, SOCK_STREAM, 16);

	/* the child's accept() waits */
	assert_int_equal(fcntl(lfd, F_SETFL, 0), 0);
	x->rude_pid = fork();
	assert_true(x->rude_pid >= 0);
	if (!x->rude_pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		rude_serve(x, lfd);
	}
}

static void on_result(void *arg, const struct rs_health *h, bool changed)
{
	struct fx *f = arg;

	f->last = *h;
	f->last_at = loop_clock_ms() - f->x->t0;
	if (!f->nres++) {
		f->at = f->last_at;
		f->h = *h;
		f->changed = changed;
	}
}

static struct fx *fx_new(struct ctx *x, int i, enum conf_check_type type,
			 uint16_t port, uint32_t timeout_ms)
{
	struct fx *f = &x->fx[i];
	struct conf_checker *c = &f->ck[0];

	f->x = x;
	f->rs.addr = LO;
	f->rs.port = port;
	f->rs.weight = 1;
	f->rs.checkers = f->ck;
	f->rs.nchecks = 1;
	c->type = type;
	c->connect_timeout_ms = timeout_ms;
	c->misc_timeout_ms = timeout_ms;
	/* One check each: the first result is the one asserted. */
	c->delay_loop_ms = 600000;
	c->retry = 0;
	c->delay_before_retry_ms = 1000;
	c->http_protocol = 10;
	f->url[0].path = "/ok";
	c->urls = f->url;
	c->nurls = 1;
	f->want = 1;
	return f;
}

static void setup_all(struct ctx *x)
{
	struct fx *f;
	int fd, i;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = LO};

	assert_int_equal(loop_init(&x->loop), 0);
	snprintf(x->dir, sizeof(x->dir), "/tmp/lbxdp-checks.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	for (i = 0; i < NCONN; i++) {
		x->conns[i].x = x;
		x->conns[i].lfd.fd = -1;
		loop_timer_init(&x->conns[i].later, answer_later, &x->conns[i]);
	}
	x->vs.addr = htonl(0xc6120010); /* 198.18.0.16, named only */
	x->vs.port = 80;
	x->vs.proto = IPPROTO_TCP;

	sock_on(x, &x->tcp_port, SOCK_STREAM, 16);
	sock_on(x, &x->closed_port, SOCK_STREAM, -1); /* bound, no listen */
	sock_on(x, &x->silent_port, SOCK_STREAM, 16); /* never accepts */
	/* Backlog full: further SYNs are dropped, connects hang. */
	sock_on(x, &x->full_port, SOCK_STREAM, 0);
	sin.sin_port = htons(x->full_port);
	for (i = 0; i < 3; i++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(fd, (struct sockaddr *)&sin, sizeof(sin));
		x->keep[x->nkeep++] = fd;
	}
	fd = sock_on(x, &x->http_port, SOCK_STREAM, 64);
	assert_int_equal(
		loop_fd_add(&x->loop, &x->http, fd, EPOLLIN, http_accept, x),
		0);
	fd = sock_on(x, &x->udp_port, SOCK_DGRAM, -1);
	assert_int_equal(
		loop_fd_add(&x->loop, &x->udp, fd, EPOLLIN, udp_echo, x), 0);
	fd = sock_on(x, &x->dns_port, SOCK_DGRAM, -1);
	assert_int_equal(
		loop_fd_add(&x->loop, &x->dns, fd, EPOLLIN, dns_server, x), 0);
	x->udp_closed_port = free_port(SOCK_DGRAM);
	sock_on(x, &x->udp_silent_port, SOCK_DGRAM, -1); /* never read */
	start_tls(x);
	start_rude_tls(x);

	write_script(x, 0, "exit0", "exit 0");
	write_script(x, 1, "exit1", "exit 1");
	write_script(x, 2, "exit5", "exit 5");
	/* No shell (dash clears its mask): grep reads its own; the quotes
	 * are keepalived's. */
	snprintf(x->cmd[6], sizeof(x->cmd[6]), "%s",
		 "grep -q '^SigBlk:[[:space:]]*0*$' /proc/self/status");
	/* A hung script with a hung child: both must go at the timeout. */
	write_script(x, 3, "hang",
		     "sleep 1000 & echo $! > \"$(dirname \"$0\")/child.pid\"\n"
		     "echo $$ > \"$(dirname \"$0\")/script.pid\"\nwait");

	fx_new(x, TCP_OK, CHECK_TCP, x->tcp_port, FAST_MS);
	fx_new(x, TCP_REFUSED, CHECK_TCP, x->closed_port, FAST_MS);
	fx_new(x, TCP_SILENT, CHECK_TCP, x->full_port, SLOW_MS);
	x->fx[TCP_SILENT].times_out = true;
	f = fx_new(x, TCP_TWO, CHECK_TCP, x->tcp_port, FAST_MS);
	f->ck[1] = f->ck[0];
	f->ck[1].connect_port = x->closed_port;
	f->rs.nchecks = 2;
	f->want = 2;
	f = fx_new(x, TCP_TWO_OK, CHECK_TCP, x->tcp_port, FAST_MS);
	f->ck[1] = f->ck[0];
	f->rs.nchecks = 2;
	f->want = 2;

	fx_new(x, HTTP_OK, CHECK_HTTP, x->http_port, FAST_MS);
	f = fx_new(x, HTTP_503, CHECK_HTTP, x->http_port, FAST_MS);
	f->url[0].path = "/fail";
	f = fx_new(x, HTTP_DIGEST_OK, CHECK_HTTP, x->http_port, FAST_MS);
	f->url[0].digest = NULL; /* set below, from BODY */
	f = fx_new(x, HTTP_DIGEST_BAD, CHECK_HTTP, x->http_port, FAST_MS);
	f->url[0].digest = "00112233445566778899aabbccddeeff";
	f = fx_new(x, HTTP_HANG, CHECK_HTTP, x->http_port, SLOW_MS);
	f->url[0].path = "/hang";
	f->times_out = true;
	/* Two urls, one a check each delay_loop: the second fails. */
	f = fx_new(x, HTTP_TWO_URLS, CHECK_HTTP, x->http_port, FAST_MS);
	f->url[1].path = "/fail";
	f->ck[0].nurls = 2;
	f->ck[0].delay_loop_ms = 500;
	f->want = 2;
	f = fx_new(x, HTTP_VHOST, CHECK_HTTP, x->http_port, FAST_MS);
	f->url[0].path = "/vhost";
	f->ck[0].virtualhost = "www.example";
	f = fx_new(x, HTTP_STATUS, CHECK_HTTP, x->http_port, FAST_MS);
	f->url[0].path = "/fail";
	f->st.lo = 500;
	f->st.hi = 503;
	f->url[0].status = &f->st;
	f->url[0].nstatus = 1;
	f = fx_new(x, HTTP_KEEP, CHECK_HTTP, x->http_port, FAST_MS);
	f->url[0].path = "/keep";
	f = fx_new(x, HTTP_11, CHECK_HTTP, x->http_port, FAST_MS);
	f->url[0].path = "/ok11";
	f->ck[0].http_protocol = 11;
	f = fx_new(x, HTTP_10C, CHECK_HTTP, x->http_port, FAST_MS);
	f->url[0].path = "/ok10c";
	f->ck[0].http_close = true;
	f = fx_new(x, HTTP_STEPS, CHECK_HTTP, x->http_port, STEP_TIMEOUT_MS);
	f->url[0].path = "/steps";
	f->ck[0].inter_ms = f->ck[0].delay_loop_ms;
	f = fx_new(x, HTTP_DRIP, CHECK_HTTP, x->http_port, STEP_TIMEOUT_MS);
	f->url[0].path = "/drip";
	f->ck[0].inter_ms = 3000;
	f->times_out = true;
	f = fx_new(x, HTTP_CLOSE, CHECK_HTTP, x->http_port, FAST_MS);
	f->url[0].path = "/close";
	f = fx_new(x, HTTP_GARBAGE, CHECK_HTTP, x->http_port, FAST_MS);
	f->url[0].path = "/garbage";
	f = fx_new(x, HTTP_BIND, CHECK_HTTP, x->http_port, FAST_MS);
	f->url[0].path = "/bind";
	x->bind_port = free_port(SOCK_STREAM);
	f->ck[0].bindto = LO;
	f->ck[0].bind_port = x->bind_port;

	f = fx_new(x, SSL_OK, CHECK_SSL, x->tls_port, FAST_MS);
	f->url[0].path = "/page.txt";
	f = fx_new(x, SSL_SNI_OK, CHECK_SSL, x->tls_port, FAST_MS);
	f->url[0].path = "/page.txt";
	f->ck[0].enable_sni = true;
	f->ck[0].virtualhost = "good.example";
	f = fx_new(x, SSL_SNI_BAD, CHECK_SSL, x->tls_port, FAST_MS);
	f->url[0].path = "/page.txt";
	f->ck[0].enable_sni = true;
	f->ck[0].virtualhost = "bad.example";
	f = fx_new(x, SSL_SLOW, CHECK_SSL, x->silent_port, SLOW_MS);
	f->times_out = true;
	f = fx_new(x, SSL_NO_NOTIFY, CHECK_SSL, x->rude_port, FAST_MS);
	f->url[0].path = "/";

	f = fx_new(x, MISC_0, CHECK_MISC, 0, FAST_MS);
	f->ck[0].misc.cmd = x->cmd[0];
	f = fx_new(x, MISC_1, CHECK_MISC, 0, FAST_MS);
	f->ck[0].misc.cmd = x->cmd[1];
	f = fx_new(x, MISC_5, CHECK_MISC, 0, FAST_MS);
	f->ck[0].misc.cmd = x->cmd[2];
	f->ck[0].misc_dynamic = true;
	f = fx_new(x, MISC_5_STATIC, CHECK_MISC, 0, FAST_MS);
	f->ck[0].misc.cmd = x->cmd[2];
	f = fx_new(x, MISC_SIGMASK, CHECK_MISC, 0, FAST_MS);
	f->ck[0].misc.cmd = x->cmd[6];
	f = fx_new(x, MISC_HANG, CHECK_MISC, 0, SLOW_MS);
	f->times_out = true;
	f->ck[0].misc.cmd = x->cmd[3];

	f = fx_new(x, UDP_ECHO, CHECK_UDP, x->udp_port, FAST_MS);
	f->ck[0].udp_payload = (__u8 *)"ping";
	f->ck[0].udp_payload_len = 4;
	f->ck[0].udp_require_reply = true;
	f->ck[0].udp_reply = (__u8 *)"pi";
	f->ck[0].udp_reply_len = 2;
	f = fx_new(x, UDP_CLOSED, CHECK_UDP, x->udp_closed_port, FAST_MS);
	f->ck[0].udp_require_reply = true;
	/* No reply needed: silent and not refused within the timeout. */
	f = fx_new(x, UDP_REPLY_BAD, CHECK_UDP, x->udp_port, FAST_MS);
	f->ck[0].udp_payload = (__u8 *)"ping";
	f->ck[0].udp_payload_len = 4;
	f->ck[0].udp_require_reply = true;
	f->ck[0].udp_reply = (__u8 *)"po";
	f->ck[0].udp_reply_len = 2;
	f = fx_new(x, UDP_SILENT, CHECK_UDP, x->udp_silent_port, 300);
	f->ck[0].udp_require_reply = true;
	f->times_out = true;
	f = fx_new(x, UDP_NOREPLY_OK, CHECK_UDP, x->dns_port, 300);
	f->times_out = true;
	x->fx[UDP_NOREPLY_OK].ck[0].udp_payload = (__u8 *)"x";
	x->fx[UDP_NOREPLY_OK].ck[0].udp_payload_len = 1;

	f = fx_new(x, DNS_OK, CHECK_DNS, x->dns_port, FAST_MS);
	f->ck[0].dns_name = "www.example"; /* type: keepalived's SOA */
	f = fx_new(x, DNS_NX, CHECK_DNS, x->dns_port, FAST_MS);
	f->ck[0].dns_name = "nx.example";
	f->ck[0].dns_type = 28;
	f = fx_new(x, DNS_WRONG_ID, CHECK_DNS, x->dns_port, 300);
	f->ck[0].dns_name = "wrongid.example";
	f->times_out = true;
}

/* MD5 of BODY in hex, as keepalived's genhash gives it. */
static void md5_hex(const char *s, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	EVP_Digest(s, strlen(s), md, &n, EVP_md5(), NULL);
	for (i = 0; i < n; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
}

static void cleanup(struct ctx *x)
{
	char cmd[128];
	int i;

	for (i = 0; i < NFX; i++)
		rs_check_free(x->fx[i].rc);
	if (x->tls_pid > 0) {
		kill(x->tls_pid, SIGKILL);
		waitpid(x->tls_pid, NULL, 0);
	}
	if (x->rude_pid > 0) {
		kill(x->rude_pid, SIGKILL);
		waitpid(x->rude_pid, NULL, 0);
	}
	for (i = 0; i < NCONN; i++)
		if (x->conns[i].lfd.fd >= 0)
			conn_close(&x->conns[i]);
	loop_fd_del(&x->loop, &x->http);
	loop_fd_del(&x->loop, &x->udp);
	loop_fd_del(&x->loop, &x->dns);
	for (i = 0; i < x->nkeep; i++)
		close(x->keep[i]);
	loop_fini(&x->loop);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", x->dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", x->dir);
}

static void expect(const struct ctx *x, int i, enum rs_state st,
		   const char *checker, const char *reason)
{
	const struct fx *f = &x->fx[i];

	if (f->nres < 1 || f->h.state != st || strcmp(f->h.reason, reason) ||
	    strcmp(f->h.checker, checker))
		fail_msg("fixture %d: %d results, state %d, %s: '%s' "
			 "(want %d, %s: '%s')",
			 i, f->nres, f->h.state, f->h.checker, f->h.reason, st,
			 checker, reason);
	/* From not checked to a state: a change, the daemon's to apply. */
	assert_true(f->changed);
}

static int read_pid(const char *dir, const char *file)
{
	char path[128];
	FILE *f;
	int pid = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	return pid;
}

/* Running: in /proc and not a zombie (a pid 1 that never reaps). */
static bool running(int pid)
{
	char path[64], stat[256] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(stat, sizeof(stat), f))
		stat[0] = '\0';
	fclose(f);
	return !strstr(stat, ") Z ");
}

static bool in_proc(int pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d", pid);
	return !access(path, F_OK);
}

/*
 * Every fixture's checks start at once in one loop; the tests below
 * assert what came of them. stderr (the log) goes to a file meanwhile.
 */
static int run_all(void **state)
{
	struct check_env env = {0};
	struct ctx *x = calloc(1, sizeof(*x));
	sigset_t sigs, old;
	uint64_t end;
	int i, done, err = 2;

	if (!x)
		return -1;
	*state = x;
	setup_all(x);
	md5_hex(BODY, x->digest);
	x->fx[HTTP_DIGEST_OK].url[0].digest = x->digest;

	snprintf(x->log, sizeof(x->log), "%s/log", x->dir);
	fflush(stderr);
	x->saved_err = dup(STDERR_FILENO);
	i = open(x->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (x->saved_err < 0 || i < 0 || dup2(i, STDERR_FILENO) < 0)
		return -1;
	close(i);

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, &old);
	env.loop = &x->loop;
	env.result = on_result;
	x->loop.now = loop_clock_ms();
	x->t0 = x->loop.now;
	for (i = 0; i < NFX; i++) {
		env.arg = &x->fx[i];
		x->fx[i].rc = rs_check_new(&env, &x->vs, &x->fx[i].rs);
		if (!x->fx[i].rc)
			goto out;
		rs_check_start(x->fx[i].rc, RS_UNKNOWN, NULL);
		if (rs_check_health(x->fx[i].rc)->state != RS_UNKNOWN)
			goto out;
	}
	end = x->t0 + BOUND_MS;
	do {
		if (loop_run_once(&x->loop, 100))
			goto out;
		for (i = 0, done = 0; i < NFX; i++)
			done += x->fx[i].nres >= x->fx[i].want;
	} while (done < NFX && loop_clock_ms() < end);
	err = 0;
out:
	sigprocmask(SIG_SETMASK, &old, NULL);
	fflush(stderr);
	dup2(x->saved_err, STDERR_FILENO);
	close(x->saved_err);
	return err;
}

static int cleanup_all(void **state)
{
	cleanup(*state);
	free(*state);
	return 0;
}

static void test_all_results(void **state)
{
	struct ctx *x = *state;
	int i;

	for (i = 0; i < NFX; i++)
		if (x->fx[i].nres < x->fx[i].want)
			fail_msg("fixture %d: %d results in %d ms", i,
				 x->fx[i].nres, BOUND_MS);
}

static void test_tcp(void **state)
{
	struct ctx *x = *state;

	expect(x, TCP_OK, RS_UP, "TCP_CHECK", "connected");
	expect(x, TCP_REFUSED, RS_DOWN, "TCP_CHECK",
	       "connect: connection refused");
	expect(x, TCP_SILENT, RS_DOWN, "TCP_CHECK", "timeout after 3 s");
	/* Two checkers, one refused: down, as keepalived. */
	assert_int_equal(x->fx[TCP_TWO].nres, 2);
	assert_int_equal(x->fx[TCP_TWO].last.state, RS_DOWN);
	assert_string_equal(x->fx[TCP_TWO].last.reason,
			    "connect: connection refused");
	expect(x, TCP_TWO_OK, RS_UP, "TCP_CHECK", "connected");
	assert_int_equal(x->fx[TCP_TWO_OK].nres, 2);
	assert_int_equal(x->fx[TCP_TWO_OK].last.state, RS_UP);
	assert_int_equal(rs_check_health(x->fx[TCP_TWO].rc)->state, RS_DOWN);
}

static void test_http(void **state)
{
	struct ctx *x = *state;

	expect(x, HTTP_OK, RS_UP, "HTTP_GET", "HTTP 200");
	expect(x, HTTP_503, RS_DOWN, "HTTP_GET", "HTTP 503");
	expect(x, HTTP_DIGEST_OK, RS_UP, "HTTP_GET", "HTTP 200");
	expect(x, HTTP_DIGEST_BAD, RS_DOWN, "HTTP_GET", "digest mismatch");
	expect(x, HTTP_HANG, RS_DOWN, "HTTP_GET", "timeout after 3 s");
	/* /ok, then /fail one delay_loop later: down in the first walk. */
	expect(x, HTTP_TWO_URLS, RS_UP, "HTTP_GET", "HTTP 200");
	assert_int_equal(x->fx[HTTP_TWO_URLS].last.state, RS_DOWN);
	assert_string_equal(x->fx[HTTP_TWO_URLS].last.reason, "HTTP 503");
	assert_true(x->fx[HTTP_TWO_URLS].last_at >= 500);
	/* The checker's virtualhost is the Host header. */
	expect(x, HTTP_VHOST, RS_UP, "HTTP_GET", "HTTP 200");
	expect(x, HTTP_STATUS, RS_UP, "HTTP_GET", "HTTP 503");
	expect(x, HTTP_KEEP, RS_UP, "HTTP_GET", "HTTP 200");
	expect(x, HTTP_11, RS_UP, "HTTP_GET", "HTTP 200");
	expect(x, HTTP_10C, RS_UP, "HTTP_GET", "HTTP 200");
	/* keepalived's connect_timeout is each step's, not the whole's */
	expect(x, HTTP_STEPS, RS_UP, "HTTP_GET", "HTTP 200");
	expect(x, HTTP_DRIP, RS_DOWN, "HTTP_GET", "not done within 3 s");
	assert_true(x->fx[HTTP_DRIP].at >= 3000);
	expect(x, HTTP_CLOSE, RS_DOWN, "HTTP_GET", "read: no data received");
	expect(x, HTTP_GARBAGE, RS_DOWN, "HTTP_GET", "HTTP: bad response");
	/* bindto and bind_port: the server sees that source port. */
	expect(x, HTTP_BIND, RS_UP, "HTTP_GET", "HTTP 200");
}

static void test_ssl(void **state)
{
	struct ctx *x = *state;

	expect(x, SSL_OK, RS_UP, "SSL_GET", "HTTP 200");
	expect(x, SSL_SNI_OK, RS_UP, "SSL_GET", "HTTP 200");
	/* The server refuses any other name: SNI was sent. */
	assert_int_equal(x->fx[SSL_SNI_BAD].h.state, RS_DOWN);
	assert_non_null(strstr(x->fx[SSL_SNI_BAD].h.reason, "TLS handshake"));
	expect(x, SSL_SLOW, RS_DOWN, "SSL_GET", "timeout after 3 s");
	/* OpenSSL 3 calls that close an error unless told otherwise */
	expect(x, SSL_NO_NOTIFY, RS_UP, "SSL_GET", "HTTP 200");
}

static void test_misc(void **state)
{
	struct ctx *x = *state;
	uint64_t end = loop_clock_ms() + BOUND_MS;
	int script = read_pid(x->dir, "script.pid");
	int child = read_pid(x->dir, "child.pid");

	expect(x, MISC_0, RS_UP, "MISC_CHECK", "exit status 0");
	assert_int_equal(x->fx[MISC_0].h.weight, -1);
	expect(x, MISC_1, RS_DOWN, "MISC_CHECK", "exit status 1");
	/* misc_dynamic: 5 is up with weight 5 - 2. */
	expect(x, MISC_5, RS_UP, "MISC_CHECK", "exit status 5");
	assert_int_equal(x->fx[MISC_5].h.weight, 3);
	expect(x, MISC_HANG, RS_DOWN, "MISC_CHECK", "timeout after 3 s");
	expect(x, MISC_5_STATIC, RS_DOWN, "MISC_CHECK", "exit status 5");
	/* Run with SIGTERM and SIGHUP blocked, as the daemon's signalfd
	 * has them: the script has none blocked. */
	expect(x, MISC_SIGMASK, RS_UP, "MISC_CHECK", "exit status 0");
	/* The hung script and its child were killed, as a group (dying
	 * takes the killed a moment after the SIGKILL). */
	assert_true(script > 0 && child > 0);
	while (running(script) || running(child)) {
		assert_true(loop_clock_ms() < end);
		usleep(10000);
	}
}

static void test_udp_dns(void **state)
{
	struct ctx *x = *state;

	expect(x, UDP_ECHO, RS_UP, "UDP_CHECK", "reply");
	expect(x, UDP_CLOSED, RS_DOWN, "UDP_CHECK", "recv: connection refused");
	expect(x, UDP_NOREPLY_OK, RS_UP, "UDP_CHECK", "no error");
	expect(x, UDP_REPLY_BAD, RS_DOWN, "UDP_CHECK", "reply mismatch");
	expect(x, UDP_SILENT, RS_DOWN, "UDP_CHECK", "timeout after 300 ms");
	expect(x, DNS_OK, RS_UP, "DNS_CHECK", "DNS reply");
	expect(x, DNS_NX, RS_DOWN, "DNS_CHECK", "DNS rcode 3");
	expect(x, DNS_WRONG_ID, RS_DOWN, "DNS_CHECK", "timeout after 300 ms");
}

/*
 * No check waited for another: every fast one has its result within its
 * own timeout, though four checks hung for SLOW_MS from the same start;
 * the hung ones end at their timeout, not before.
 */
static void test_no_delay(void **state)
{
	struct ctx *x = *state;
	int i;

	for (i = 0; i < NFX; i++) {
		const struct fx *f = &x->fx[i];
		uint32_t bound = f->ck[0].connect_timeout_ms;

		if (i == HTTP_STEPS)
			bound *= 3; /* each of its 3 steps within it */
		if (i == HTTP_DRIP)
			bound = f->ck[0].inter_ms; /* its steps in time */
		if (f->times_out) {
			/* Not before its timeout; the short ones did not wait
			 * for the long ones either. */
			assert_true(f->at >= bound);
			/* And at it: 3 s of slack for a loaded machine. */
			assert_true(f->at < bound + SLOW_MS);
			if (bound == SLOW_MS)
				continue;
			bound = SLOW_MS;
		}
		if (f->at >= bound)
			fail_msg("fixture %d: result after %lu ms, its bound "
				 "%u ms",
				 i, (unsigned long)f->at, bound);
	}
}

/* One line per change, naming the virtual and real servers, the checker
 * and the reason. */
static void test_log(void **state)
{
	struct ctx *x = *state;
	char line[256], want[256];
	FILE *f = fopen(x->log, "r");
	int n = 0, lines = 0;

	assert_non_null(f);
	snprintf(want, sizeof(want),
		 "virtual server TCP 198.18.0.16:80: real server "
		 "127.0.0.1:%u down (TCP_CHECK: connect: connection "
		 "refused)\n",
		 x->closed_port);
	while (fgets(line, sizeof(line), f)) {
		lines++;
		n += !strcmp(line, want);
	}
	fclose(f);
	assert_int_equal(n, 1);
	/* Every fixture changed once (TCP_TWO and HTTP_TWO_URLS twice,
	 * TCP_TWO_OK once for two results). */
	assert_int_equal(lines, NFX + 2);
}

/* A notify script runs, is reaped by the loop; a hung one is killed at
 * its timeout and reaped. */
static void test_run_script(void **state)
{
	struct ctx *x = *state;
	struct check_env env = {.loop = &x->loop};
	struct conf_script s = {.cmd = x->cmd[4]};
	uint64_t end = loop_clock_ms() + BOUND_MS;
	int pid = 0, hung = 0;

	write_script(x, 4, "notify", "echo $$ > \"$(dirname \"$0\")/n.pid\"");
	assert_int_equal(check_run_script(&env, &s, 60000), 0);
	write_script(x, 5, "nhang",
		     "echo $$ > \"$(dirname \"$0\")/h.pid\"; sleep 1000");
	s.cmd = x->cmd[5];
	assert_int_equal(check_run_script(&env, &s, 300), 0);
	while (!pid || !hung || in_proc(pid) || in_proc(hung)) {
		assert_true(loop_clock_ms() < end);
		assert_int_equal(loop_run_once(&x->loop, 50), 0);
		pid = pid ? pid : read_pid(x->dir, "n.pid");
		hung = hung ? hung : read_pid(x->dir, "h.pid");
	}
	/* A command that cannot be split into a program is refused. */
	s.cmd = "   ";
	assert_int_equal(check_run_script(&env, &s, 300), -EINVAL);
}

static void on_user_result(void *arg, const struct rs_health *h, bool changed)
{
	*(struct rs_health *)arg = *h;
}

/* Run the loop until *@n (a result callback's count) reaches @want. */
static void run_results(struct ctx *x, const int *n, int want)
{
	uint64_t end = loop_clock_ms() + BOUND_MS;

	while (*n < want) {
		assert_true(loop_clock_ms() < end);
		assert_int_equal(loop_run_once(&x->loop, 50), 0);
	}
}

struct seen {
	struct rs_health h;
	bool changed;
	int n;
	/* When each result came: the loop's time, which the checker times
	 * its next run from (the wall clock runs ahead of it within an
	 * iteration); the wall clock without @loop. */
	uint64_t at[32];
	const struct loop *loop;
};

static void on_seen(void *arg, const struct rs_health *h, bool changed)
{
	struct seen *s = arg;

	s->h = *h;
	s->changed = changed;
	if (s->n < 32)
		s->at[s->n] = s->loop ? loop_now(s->loop) : loop_clock_ms();
	s->n++;
}

/*
 * SIGCHLD ignored (a daemon must not, but an inherited disposition is
 * possible): the kernel reaps scripts itself, maybe before the check can
 * open a pidfd to watch one. The check fails, saying so either way,
 * and a notify script's watch ends: no readable pidfd left to spin the
 * loop (at most a few wakes in 300 ms of 50 ms waits).
 */
static void test_sigchld_ignored(void **state)
{
	struct ctx *x = *state;
	struct seen s = {0};
	struct check_env env = {.loop = &x->loop, .result = on_seen, .arg = &s};
	struct conf_checker ck = {
		.type = CHECK_MISC,
		.misc_timeout_ms = FAST_MS,
		.delay_loop_ms = 600000,
	};
	struct conf_rs rs = {
		.addr = LO, .weight = 1, .checkers = &ck, .nchecks = 1};
	struct conf_script sc = {.cmd = x->cmd[0]};
	struct rs_check *rc;
	uint64_t end;
	int wakes = 0, err;

	signal(SIGCHLD, SIG_IGN);
	ck.misc.cmd = x->cmd[0];
	rc = rs_check_new(&env, &x->vs, &rs);
	assert_non_null(rc);
	x->loop.now = loop_clock_ms();
	rs_check_start(rc, RS_UNKNOWN, NULL);
	run_results(x, &s.n, 1);
	/* Reaped before the pidfd was opened (a slow parent), or after. */
	if (strcmp(s.h.reason, "exec: no child processes"))
		assert_string_equal(s.h.reason, "wait: no child processes");
	rs_check_free(rc);
	/* The same race for a notify script: refused, or watched. */
	err = check_run_script(&env, &sc, 60000);
	if (err)
		assert_int_equal(err, -ECHILD);
	end = loop_clock_ms() + 300;
	while (loop_clock_ms() < end) {
		assert_int_equal(loop_run_once(&x->loop, 50), 0);
		wakes++;
	}
	signal(SIGCHLD, SIG_DFL);
	assert_true(wakes < 20);
}

/*
 * Users are looked up when the file is loaded (conf_check_host(), which
 * makes a failure an error at start or reload): one that does not exist,
 * or a group, is said by name.
 */
static void test_script_user_unknown(void **state)
{
	struct conf_global g = {.script_user = "lbxdp-no-such-user"};
	struct conf_script s = {.cmd = "/bin/true"};
	char why[256];

	(void)state;
	assert_int_equal(conf_script_cred(&g, &s, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "user lbxdp-no-such-user does not exist");
	assert_false(s.cred.drop);
	if (!getpwnam("nobody"))
		skip();
	g.script_user = "nobody";
	g.script_group = "lbxdp-no-such-group";
	assert_int_equal(conf_script_cred(&g, &s, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "group lbxdp-no-such-group does not exist");
	assert_false(s.cred.drop);
	/* The script's own user wins, with its own group */
	s.user = "nobody";
	assert_int_equal(conf_script_cred(&g, &s, why, sizeof(why)), 0);
	assert_true(s.cred.drop);
	assert_int_equal(s.cred.gid, getpwnam("nobody")->pw_gid);
	s.group = "lbxdp-no-such-group";
	assert_int_equal(conf_script_cred(&g, &s, why, sizeof(why)), -ENOENT);
}

/* script_user and script_group: the script runs as them, with the
 * user's groups only (root only). */
static void test_script_user(void **state)
{
	struct ctx *x = *state;
	struct conf_global g = {.script_user = "nobody",
				.script_group = "daemon"};
	struct rs_health h = {0};
	struct check_env env = {
		.loop = &x->loop, .result = on_user_result, .arg = &h};
	struct fx f = {0};
	struct passwd *pw = getpwnam("nobody");
	struct group *gr = getgrnam("daemon");
	gid_t adm = 4;
	char cmd[160], why[256];
	struct rs_check *rc;
	uint64_t end = loop_clock_ms() + BOUND_MS;

	if (geteuid() != 0 || !pw || !gr)
		skip();
	/* Root's supplementary groups must not reach the script. */
	assert_int_equal(setgroups(1, &adm), 0);
	snprintf(cmd, sizeof(cmd),
		 "/bin/sh -c '[ \"$(id -u)\" = %u ] && [ \"$(id -g)\" = %u ] "
		 "&& [ \"$(id -G)\" = %u ]'",
		 (unsigned int)pw->pw_uid, (unsigned int)gr->gr_gid,
		 (unsigned int)gr->gr_gid);
	f.rs.addr = LO;
	f.rs.weight = 1;
	f.rs.checkers = f.ck;
	f.rs.nchecks = 1;
	f.ck[0].type = CHECK_MISC;
	f.ck[0].misc.cmd = cmd;
	f.ck[0].misc_timeout_ms = FAST_MS;
	f.ck[0].delay_loop_ms = 600000;
	assert_int_equal(conf_script_cred(&g, &f.ck[0].misc, why, sizeof(why)),
			 0);
	rc = rs_check_new(&env, &x->vs, &f.rs);
	assert_non_null(rc);
	x->loop.now = loop_clock_ms();
	rs_check_start(rc, RS_UNKNOWN, NULL);
	while (h.state == RS_UNKNOWN) {
		assert_true(loop_clock_ms() < end);
		assert_int_equal(loop_run_once(&x->loop, 50), 0);
	}
	assert_string_equal(h.reason, "exit status 0");
	assert_int_equal(h.state, RS_UP);
	rs_check_free(rc);
}

/*
 * A script's own user (MISC_CHECK's "user USER [GROUP]", a notify's
 * "SCRIPT USER [GROUP]") wins over script_user, with its own group by
 * default: keepalived runs them so, and enable_script_security vets
 * their paths for that user, not for script_user.
 */
static void test_script_own_user(void **state)
{
	struct ctx *x = *state;
	struct conf_global g = {.script_user = "nobody"};
	struct rs_health h = {0};
	struct check_env env = {
		.loop = &x->loop, .result = on_user_result, .arg = &h};
	struct passwd *pw;
	struct group *gr;
	unsigned int uid, gid, ngid;
	char cmd[160], dir[] = "/tmp/lbxdp-cred.XXXXXX", out[64], got[64];
	char why[256];
	struct conf_script s = {
		.cmd = cmd, .user = "daemon", .group = "nogroup"};
	uint64_t end = loop_clock_ms() + BOUND_MS;
	struct fx f = {0};
	struct rs_check *rc;
	FILE *fp = NULL;

	/* getpwnam() and getgrnam() return static storage */
	gr = getgrnam("nogroup");
	if (geteuid() != 0 || !getpwnam("nobody") || !gr)
		skip();
	ngid = gr->gr_gid;
	pw = getpwnam("daemon");
	if (!pw)
		skip();
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	snprintf(cmd, sizeof(cmd),
		 "/bin/sh -c '[ \"$(id -u)\" = %u ] && [ \"$(id -g)\" = %u ]'",
		 uid, gid);
	f.rs.addr = LO;
	f.rs.weight = 1;
	f.rs.checkers = f.ck;
	f.rs.nchecks = 1;
	f.ck[0].type = CHECK_MISC;
	f.ck[0].misc.cmd = cmd;
	f.ck[0].misc.user = "daemon";
	f.ck[0].misc_timeout_ms = FAST_MS;
	f.ck[0].delay_loop_ms = 600000;
	assert_int_equal(conf_script_cred(&g, &f.ck[0].misc, why, sizeof(why)),
			 0);
	rc = rs_check_new(&env, &x->vs, &f.rs);
	assert_non_null(rc);
	x->loop.now = loop_clock_ms();
	rs_check_start(rc, RS_UNKNOWN, NULL);
	while (h.state == RS_UNKNOWN) {
		assert_true(loop_clock_ms() < end);
		assert_int_equal(loop_run_once(&x->loop, 50), 0);
	}
	assert_string_equal(h.reason, "exit status 0");
	rs_check_free(rc);

	/* A notify script as "daemon nogroup": it writes its ids where it
	 * may. */
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0777), 0);
	snprintf(out, sizeof(out), "%s/ids", dir);
	snprintf(cmd, sizeof(cmd), "/bin/sh -c 'echo $(id -u):$(id -g) > %s'",
		 out);
	assert_int_equal(conf_script_cred(&g, &s, why, sizeof(why)), 0);
	assert_int_equal(check_run_script(&env, &s, 5000), 0);
	while (!fp || !fgets(got, sizeof(got), fp)) {
		if (fp)
			fclose(fp);
		assert_true(loop_clock_ms() < end);
		assert_int_equal(loop_run_once(&x->loop, 50), 0);
		fp = fopen(out, "r");
	}
	fclose(fp);
	snprintf(out, sizeof(out), "%u:%u\n", uid, ngid);
	assert_string_equal(got, out);
	snprintf(out, sizeof(out), "%s/ids", dir);
	unlink(out);
	rmdir(dir);
}

/*
 * With no user named anywhere, keepalived_script where it exists, else
 * root. Shown in a child with a mount namespace of its own whose
 * /etc/passwd has that user (this host's is left alone).
 */
static void test_script_default_user(void **state)
{
	struct conf_global none = {0}, g = {.script_user = "nobody"};
	struct conf_global sec = {.script_security = true};
	struct conf_script s = {0};
	char pwf[] = "/tmp/lbxdp-passwd.XXXXXX", why[256];
	const struct conf_cred *cr = &s.cred;
	int st, fd;
	pid_t pid;

	(void)state;
	if (geteuid() != 0 || !getpwnam("nobody"))
		skip();
	if (!getpwnam(SCRIPT_DEFAULT_USER)) {
		assert_int_equal(conf_script_cred(&none, &s, why, sizeof(why)),
				 0);
		assert_false(cr->drop);
		/* keepalived: "Unable to set default user" */
		assert_int_equal(conf_script_cred(&sec, &s, why, sizeof(why)),
				 -EPERM);
		assert_non_null(strstr(why, "no user to run it as"));
	}
	fd = mkstemp(pwf);
	assert_true(fd >= 0);
	close(fd);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		FILE *in = fopen("/etc/passwd", "r"), *o = fopen(pwf, "w");
		char line[1024];

		if (!in || !o)
			_exit(2);
		while (fgets(line, sizeof(line), in))
			if (strncmp(line, SCRIPT_DEFAULT_USER ":",
				    strlen(SCRIPT_DEFAULT_USER ":")))
				fputs(line, o);
		fprintf(o, "%s:x:4242:4343::/nonexistent:/bin/false\n",
			SCRIPT_DEFAULT_USER);
		fclose(in);
		if (fclose(o))
			_exit(3);
		/* no mount namespace (a container), or a cache (nscd) that
		 * does not read the file: nothing to show here */
		if (unshare(CLONE_NEWNS) ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount(pwf, "/etc/passwd", NULL, MS_BIND, NULL) ||
		    !getpwnam(SCRIPT_DEFAULT_USER))
			_exit(77);
		if (conf_script_cred(&none, &s, why, sizeof(why)) ||
		    !cr->drop || cr->uid != 4242 || cr->gid != 4343 ||
		    strcmp(cr->user, SCRIPT_DEFAULT_USER))
			_exit(4);
		if (conf_script_cred(&sec, &s, why, sizeof(why)) ||
		    cr->uid != 4242)
			_exit(6);
		/* script_user, where given, wins */
		if (conf_script_cred(&g, &s, why, sizeof(why)) || !cr->drop ||
		    cr->uid != getpwnam("nobody")->pw_uid)
			_exit(5);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	unlink(pwf);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(st), 0);
}

/*
 * alpha is each checker's (its own, else its real server's, else its
 * virtual server's, resolved by the parser): on a fresh start a checker
 * with it is down until it passes, and so is its server; the others
 * start up. A start that keeps a state (a reload) keeps it.
 */
static void test_alpha(void **state)
{
	struct ctx *x = *state;
	struct seen s = {0};
	struct check_env env = {.loop = &x->loop, .result = on_seen, .arg = &s};
	struct conf_checker ck[2] = {
		{.type = CHECK_TCP,
		 .connect_timeout_ms = FAST_MS,
		 .delay_loop_ms = 600000},
		{.type = CHECK_TCP,
		 .connect_timeout_ms = FAST_MS,
		 .delay_loop_ms = 600000,
		 .alpha = true},
	};
	struct conf_rs rs = {.addr = LO,
			     .port = x->tcp_port,
			     .weight = 1,
			     .checkers = ck,
			     .nchecks = 1};
	struct rs_health h0 = {.state = RS_UP};
	struct rs_check *rc;

	rc = rs_check_new(&env, &x->vs, &rs);
	assert_non_null(rc);
	rs_check_start(rc, RS_UP, NULL);
	assert_int_equal(rs_check_health(rc)->state, RS_UP);
	rs_check_free(rc);

	rs.nchecks = 2;
	rc = rs_check_new(&env, &x->vs, &rs);
	assert_non_null(rc);
	x->loop.now = loop_clock_ms();
	rs_check_start(rc, RS_UP, NULL);
	assert_int_equal(rs_check_health(rc)->state, RS_DOWN);
	/* up once both passed: the one without alpha was up all along */
	run_results(x, &s.n, 2);
	assert_int_equal(s.h.state, RS_UP);
	rs_check_free(rc);

	rc = rs_check_new(&env, &x->vs, &rs);
	assert_non_null(rc);
	rs_check_start(rc, RS_UP, &h0);
	assert_int_equal(rs_check_health(rc)->state, RS_UP);
	rs_check_free(rc);
}

/*
 * A reload's start: the state it is given holds until the first result,
 * with the counters carried over; the first result that differs is a
 * change.
 */
static void test_start_state(void **state)
{
	struct ctx *x = *state;
	struct seen s = {0};
	struct check_env env = {.loop = &x->loop, .result = on_seen, .arg = &s};
	struct rs_health h0 = {.state = RS_DOWN, .transitions = 5, .fails = 7};
	struct conf_checker ck = {
		.type = CHECK_TCP,
		.connect_timeout_ms = FAST_MS,
		.delay_loop_ms = 600000,
		.retry = 1,
		.delay_before_retry_ms = 100,
	};
	struct conf_rs rs = {.addr = LO,
			     .port = x->http_port,
			     .weight = 1,
			     .checkers = &ck,
			     .nchecks = 1};
	struct rs_check *rc = rs_check_new(&env, &x->vs, &rs);

	assert_non_null(rc);
	x->loop.now = loop_clock_ms();
	rs_check_start(rc, RS_DOWN, &h0);
	assert_int_equal(rs_check_health(rc)->state, RS_DOWN);
	assert_int_equal(rs_check_health(rc)->transitions, 5);
	run_results(x, &s.n, 1);
	assert_int_equal(s.h.state, RS_UP);
	assert_true(s.changed);
	assert_int_equal(s.h.transitions, 6);
	assert_int_equal(s.h.fails, 0);
	assert_int_equal(s.h.oks, 1);
	assert_true(s.h.last_ms > 0 && s.h.since_ms == s.h.last_ms);
	rs_check_free(rc);

	/* Up, then refused: retry 1 means a second failure, 100 ms later
	 * (delay_before_retry), before it is down. */
	memset(&s, 0, sizeof(s));
	s.loop = &x->loop;
	rs.port = x->closed_port;
	rc = rs_check_new(&env, &x->vs, &rs);
	assert_non_null(rc);
	x->loop.now = loop_clock_ms();
	rs_check_start(rc, RS_UP, NULL);
	run_results(x, &s.n, 1);
	assert_int_equal(s.h.state, RS_UP);
	assert_false(s.changed);
	run_results(x, &s.n, 2);
	assert_int_equal(s.h.state, RS_DOWN);
	assert_true(s.changed);
	assert_int_equal(s.h.fails, 2);
	assert_int_equal(s.h.transitions, 1);
	assert_true(s.at[1] - s.at[0] >= 100);
	rs_check_free(rc);

	/* Not checked yet: a failure being retried is no verdict. */
	memset(&s, 0, sizeof(s));
	rc = rs_check_new(&env, &x->vs, &rs);
	assert_non_null(rc);
	x->loop.now = loop_clock_ms();
	rs_check_start(rc, RS_UNKNOWN, NULL);
	run_results(x, &s.n, 1);
	assert_int_equal(s.h.state, RS_UNKNOWN);
	assert_false(s.changed);
	assert_int_equal(s.h.fails, 1);
	run_results(x, &s.n, 2);
	assert_int_equal(s.h.state, RS_DOWN);
	assert_true(s.changed);
	rs_check_free(rc);
}

/* With warmup, the first checks of many servers are spread over their
 * interval (2 s here), not fired at once. */
static void test_spread(void **state)
{
	struct ctx *x = *state;
	enum { NS = 20 };
	struct seen s[NS];
	struct conf_checker ck = {
		.type = CHECK_TCP,
		.connect_timeout_ms = FAST_MS,
		.delay_loop_ms = 2000,
		.warmup_ms = 2000,
	};
	struct conf_rs rs = {.addr = LO,
			     .port = x->http_port,
			     .weight = 1,
			     .checkers = &ck,
			     .nchecks = 1};
	struct rs_check *rc[NS];
	uint64_t t0, lo = UINT64_MAX, hi = 0;
	int i, done = 0;

	memset(s, 0, sizeof(s));
	x->loop.now = t0 = loop_clock_ms();
	for (i = 0; i < NS; i++) {
		struct check_env env = {
			.loop = &x->loop, .result = on_seen, .arg = &s[i]};

		rc[i] = rs_check_new(&env, &x->vs, &rs);
		assert_non_null(rc[i]);
		rs_check_start(rc[i], RS_UP, NULL);
	}
	while (done < NS) {
		assert_true(loop_clock_ms() < t0 + BOUND_MS);
		assert_int_equal(loop_run_once(&x->loop, 50), 0);
		for (i = 0, done = 0; i < NS; i++)
			done += s[i].n > 0;
	}
	for (i = 0; i < NS; i++) {
		lo = s[i].at[0] < lo ? s[i].at[0] : lo;
		hi = s[i].at[0] > hi ? s[i].at[0] : hi;
		rs_check_free(rc[i]);
	}
	/* 20 uniform draws all within 500 ms of each other: p < 1e-10. */
	assert_true(hi - lo >= 500);
	assert_true(hi - t0 < 2000 + FAST_MS);
}

/* Freeing a check kills its running script's process group. */
static void test_free_kills(void **state)
{
	struct ctx *x = *state;
	struct seen s = {0};
	struct check_env env = {.loop = &x->loop, .result = on_seen, .arg = &s};
	struct conf_checker ck = {
		.type = CHECK_MISC,
		.misc_timeout_ms = 600000,
		.delay_loop_ms = 600000,
	};
	struct conf_rs rs = {
		.addr = LO, .weight = 1, .checkers = &ck, .nchecks = 1};
	struct rs_check *rc;
	uint64_t end = loop_clock_ms() + BOUND_MS;
	char path[128];
	int script = 0, child = 0;

	snprintf(path, sizeof(path), "%s/script.pid", x->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/child.pid", x->dir);
	unlink(path);
	ck.misc.cmd = x->cmd[3]; /* the hung one */
	rc = rs_check_new(&env, &x->vs, &rs);
	assert_non_null(rc);
	x->loop.now = loop_clock_ms();
	rs_check_start(rc, RS_UP, NULL);
	while (!(script = read_pid(x->dir, "script.pid")) ||
	       !(child = read_pid(x->dir, "child.pid"))) {
		assert_true(loop_clock_ms() < end);
		assert_int_equal(loop_run_once(&x->loop, 20), 0);
	}
	assert_true(running(script) && running(child));
	rs_check_free(rc);
	/* Reaped from the loop: not even a zombie of ours is left. */
	while (in_proc(script) || running(child)) {
		assert_true(loop_clock_ms() < end);
		assert_int_equal(loop_run_once(&x->loop, 20), 0);
	}
	assert_int_equal(s.n, 0);
}

/*
 * Hold @pid alive after a SIGKILL, as a process in D state (a script on
 * a hung NFS mount) is held: a tracer that stops it at its exit
 * (PTRACE_O_TRACEEXIT) until *@release is closed. 0: no ptrace here.
 */
static pid_t hold_at_exit(int pid, int *release)
{
	int ack[2], rel[2];
	char b;
	pid_t t;

	assert_int_equal(pipe(ack), 0);
	assert_int_equal(pipe(rel), 0);
	t = fork();
	assert_true(t >= 0);
	if (!t) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(rel[1]);
		b = !ptrace(PTRACE_SEIZE, pid, NULL,
			    (void *)PTRACE_O_TRACEEXIT);
		if (write(ack[1], &b, 1) != 1 || !b)
			_exit(1);
		/* Until the test lets go: then the exit goes on, detached. */
		while (read(rel[0], &b, 1) > 0)
			;
		_exit(0);
	}
	close(ack[1]);
	close(rel[0]);
	assert_int_equal(read(ack[0], &b, 1), 1);
	close(ack[0]);
	if (!b) {
		close(rel[1]);
		waitpid(t, NULL, 0);
		return 0;
	}
	*release = rel[1];
	return t;
}

static void let_go(pid_t tracer, int release)
{
	close(release);
	assert_int_equal(waitpid(tracer, NULL, 0), tracer);
}

/* The hung script's pid, once it has written it: a new one, not @old. The
 * loop runs meanwhile only if @loop: a check's timeout fires in it. */
static int script_pid(struct ctx *x, int old, bool loop)
{
	uint64_t end = loop_clock_ms() + BOUND_MS;
	int pid;

	while (!(pid = read_pid(x->dir, "script.pid")) || pid == old) {
		assert_true(loop_clock_ms() < end);
		if (loop)
			assert_int_equal(loop_run_once(&x->loop, 20), 0);
		else
			usleep(10000);
	}
	return pid;
}

/* Start @rc's one check, of a script that writes script.pid, and wait
 * for that pid without running the loop, which times the script out. */
static int start_script(struct ctx *x, struct rs_check *rc)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/script.pid", x->dir);
	unlink(path);
	x->loop.now = loop_clock_ms();
	rs_check_start(rc, RS_UP, NULL);
	/* The first check is due now (no warmup): run in this iteration. */
	assert_int_equal(loop_run_once(&x->loop, 0), 0);
	return script_pid(x, 0, false);
}

/* Start @rc's one check of the hung script, and hold that script at its
 * exit before the loop can time it out: 0 without ptrace. */
static pid_t start_held(struct ctx *x, struct rs_check *rc, int *pid,
			int *release)
{
	*pid = start_script(x, rc);
	return hold_at_exit(*pid, release);
}

/*
 * A script stopped at its timeout that does not die (D state) blocks
 * nothing: the next checks fail, running none while it lives (as
 * keepalived's), and the loop goes on; a free leaves it to the loop to
 * reap. A wait for it would hang this test (the suite's alarm).
 */
static void test_killed_lingers(void **state)
{
	struct ctx *x = *state;
	struct seen s = {.loop = &x->loop};
	struct check_env env = {.loop = &x->loop, .result = on_seen, .arg = &s};
	struct conf_checker ck = {
		.type = CHECK_MISC,
		.misc_timeout_ms = 300,
		/* timed from the script's start: the next one 300 ms after
		 * the timeout, a result apart */
		.delay_loop_ms = 600,
	};
	struct conf_rs rs = {
		.addr = LO, .weight = 1, .checkers = &ck, .nchecks = 1};
	uint64_t end = loop_clock_ms() + BOUND_MS;
	struct rs_check *rc;
	int pid, release;
	char want[64];
	pid_t tracer;

	ck.misc.cmd = x->cmd[3]; /* the hung one */
	rc = rs_check_new(&env, &x->vs, &rs);
	assert_non_null(rc);
	tracer = start_held(x, rc, &pid, &release);
	if (!tracer) {
		rs_check_free(rc);
		skip();
	}
	run_results(x, &s.n, 1);
	assert_string_equal(s.h.reason, "timeout after 300 ms");
	/* Killed, held at its exit: the next checks run none. */
	run_results(x, &s.n, 3);
	snprintf(want, sizeof(want),
		 "stopped at its timeout, pid %d still runs", pid);
	assert_string_equal(s.h.reason, want);
	assert_int_equal(s.h.state, RS_DOWN);
	assert_true(running(pid));
	/* Gone: reaped, and a check runs the script again. */
	let_go(tracer, release);
	script_pid(x, pid, true);
	assert_false(in_proc(pid));
	rs_check_free(rc);

	/* Freed while its script, killed by the free, is held. */
	ck.misc_timeout_ms = ck.delay_loop_ms = 600000;
	rc = rs_check_new(&env, &x->vs, &rs);
	assert_non_null(rc);
	tracer = start_held(x, rc, &pid, &release);
	assert_true(tracer > 0);
	rs_check_free(rc);
	assert_true(running(pid));
	let_go(tracer, release);
	while (in_proc(pid)) {
		assert_true(loop_clock_ms() < end);
		assert_int_equal(loop_run_once(&x->loop, 20), 0);
	}
}

/*
 * As keepalived's, a script past its timeout gets SIGTERM, its group
 * too, and SIGKILL TERM_GRACE_MS (2 s) later: one that traps it cleans
 * up, and the children it leaves are killed at its exit; one that
 * ignores it dies of the SIGKILL, not before.
 */
static void test_term_first(void **state)
{
	struct ctx *x = *state;
	struct seen s = {.loop = &x->loop};
	struct check_env env = {.loop = &x->loop, .result = on_seen, .arg = &s};
	struct conf_checker ck = {
		.type = CHECK_MISC,
		.misc_timeout_ms = 300,
		.delay_loop_ms = 600000,
	};
	struct conf_rs rs = {
		.addr = LO, .weight = 1, .checkers = &ck, .nchecks = 1};
	uint64_t end = loop_clock_ms() + BOUND_MS, t;
	struct rs_check *rc;
	char path[160];
	int child, pid;

	/* Each writes script.pid once its trap is set: waited for before
	 * the loop, which times it out, runs again. Its child ignores
	 * SIGTERM (inherited across exec). */
	write_script(
		x, 7, "trapper",
		"d=$(dirname \"$0\")\n"
		"(trap '' TERM; exec sleep 1000) & echo $! > \"$d/tchild.pid\"\n"
		"trap 'echo t > \"$d/termed\"; exit 3' TERM\n"
		"echo $$ > \"$d/script.pid\"\n"
		"while :; do sleep 0.05; done");
	snprintf(path, sizeof(path), "%s/ctermed", x->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/termed", x->dir);
	unlink(path);
	ck.misc.cmd = x->cmd[7];
	rc = rs_check_new(&env, &x->vs, &rs);
	assert_non_null(rc);
	start_script(x, rc);
	child = read_pid(x->dir, "tchild.pid");
	assert_true(child > 0);
	run_results(x, &s.n, 1);
	assert_string_equal(s.h.reason, "timeout after 300 ms");
	/* It cleans up; its child goes with it, though it ignores SIGTERM */
	while (access(path, F_OK) || running(child)) {
		assert_true(loop_clock_ms() < end);
		assert_int_equal(loop_run_once(&x->loop, 20), 0);
	}
	rs_check_free(rc);

	/* Its group has the SIGTERM: a child that traps it cleans up while
	 * the script, which ignores it, lives on (2 s). */
	write_script(x, 7, "stubborn",
		     "d=$(dirname \"$0\")\n"
		     "(trap 'echo c > \"$d/ctermed\"; exit' TERM\n"
		     " while :; do sleep 0.05; done) &\n"
		     "trap '' TERM\necho $$ > \"$d/script.pid\"\n"
		     "while :; do sleep 0.05; done");
	s.n = 0;
	rc = rs_check_new(&env, &x->vs, &rs);
	assert_non_null(rc);
	pid = start_script(x, rc);
	run_results(x, &s.n, 1);
	t = loop_now(&x->loop);
	/* SIGTERM is not enough, and only the loop's timer sends SIGKILL */
	assert_true(running(pid));
	while (in_proc(pid)) {
		assert_true(loop_clock_ms() < end);
		assert_int_equal(loop_run_once(&x->loop, 20), 0);
	}
	assert_true(loop_now(&x->loop) >= t + 2000);
	snprintf(path, sizeof(path), "%s/ctermed", x->dir);
	assert_int_equal(access(path, F_OK), 0);
	rs_check_free(rc);
}

struct freeing {
	struct rs_check *rc;
	int n;
};

static void on_free(void *arg, const struct rs_health *h, bool changed)
{
	struct freeing *f = arg;

	f->n++;
	rs_check_free(f->rc);
}

/* The result callback may free the rs_check it is about (ASan watches:
 * the checker must not be touched after it). */
static void test_free_in_callback(void **state)
{
	struct ctx *x = *state;
	struct freeing fr = {0};
	struct check_env env = {
		.loop = &x->loop, .result = on_free, .arg = &fr};
	struct conf_checker ck[2] = {
		{.type = CHECK_TCP,
		 .connect_timeout_ms = FAST_MS,
		 .delay_loop_ms = 600000},
		{.type = CHECK_HTTP,
		 .connect_timeout_ms = FAST_MS,
		 .delay_loop_ms = 600000},
	};
	struct conf_rs rs = {.addr = LO,
			     .port = x->closed_port,
			     .weight = 1,
			     .checkers = ck,
			     .nchecks = 2};
	uint64_t end;

	fr.rc = rs_check_new(&env, &x->vs, &rs);
	assert_non_null(fr.rc);
	x->loop.now = loop_clock_ms();
	rs_check_start(fr.rc, RS_UP, NULL);
	run_results(x, &fr.n, 1);
	/* Its other checker's events and timers are gone with it. */
	end = loop_clock_ms() + 300;
	while (loop_clock_ms() < end)
		assert_int_equal(loop_run_once(&x->loop, 50), 0);
	assert_int_equal(fr.n, 1);
}

/* A configuration of one HTTP_GET real server, in one allocation. */
struct one_conf {
	struct conf_vs vs;
	struct conf_rs rs;
	struct conf_checker ck;
	struct conf_url url;
	char path[16], digest[2 * EVP_MAX_MD_SIZE + 1];
};

static struct one_conf *one_conf(const struct ctx *x, __u32 weight)
{
	struct one_conf *o = calloc(1, sizeof(*o));

	assert_non_null(o);
	o->vs = x->vs;
	snprintf(o->path, sizeof(o->path), "/slow");
	snprintf(o->digest, sizeof(o->digest), "%s", x->digest);
	o->url.path = o->path;
	o->url.digest = o->digest;
	o->ck.type = CHECK_HTTP;
	o->ck.connect_timeout_ms = FAST_MS;
	o->ck.delay_loop_ms = 600000;
	o->ck.urls = &o->url;
	o->ck.nurls = 1;
	o->ck.http_protocol = 10;
	o->rs.addr = LO;
	o->rs.port = x->http_port;
	o->rs.weight = weight;
	o->rs.checkers = &o->ck;
	o->rs.nchecks = 1;
	return o;
}

/*
 * A reload keeps a checker and frees the old configuration: the check in
 * flight finishes on the new one (ASan watches the old one's url).
 */
static void test_rebind(void **state)
{
	struct ctx *x = *state;
	struct one_conf *a = one_conf(x, 1), *b = one_conf(x, 9);
	struct seen s = {0};
	struct check_env env = {.loop = &x->loop, .result = on_seen, .arg = &s};
	struct rs_check *rc;
	uint64_t end;

	rc = rs_check_new(&env, &a->vs, &a->rs);
	assert_non_null(rc);
	x->loop.now = loop_clock_ms();
	rs_check_start(rc, RS_UNKNOWN, NULL);
	/* The request is out; the answer comes in 200 ms. */
	end = loop_clock_ms() + 50;
	while (loop_clock_ms() < end)
		assert_int_equal(loop_run_once(&x->loop, 10), 0);
	assert_int_equal(s.n, 0);
	assert_true(rs_check_same(&a->vs, &a->rs, &b->vs, &b->rs));
	rs_check_rebind(rc, &env, &b->vs, &b->rs);
	memset(a, 0xa5, sizeof(*a));
	free(a);
	run_results(x, &s.n, 1);
	assert_int_equal(s.h.state, RS_UP);
	assert_string_equal(s.h.reason, "HTTP 200");
	rs_check_free(rc);
	free(b);
}

struct logged {
	char line[256];
	int n;
};

static void on_log(void *arg, const char *line)
{
	struct logged *l = arg;

	snprintf(l->line, sizeof(l->line), "%s", line);
	l->n++;
}

/* check_env's log hook (the daemon's syslog) gets the change's line. */
static void test_log_hook(void **state)
{
	struct ctx *x = *state;
	struct logged lg = {0};
	struct seen s = {0};
	struct check_env env = {.loop = &x->loop,
				.result = on_seen,
				.arg = &s,
				.log = on_log,
				.log_arg = &lg};
	struct conf_checker ck = {
		.type = CHECK_TCP,
		.connect_timeout_ms = FAST_MS,
		.delay_loop_ms = 600000,
	};
	struct conf_rs rs = {.addr = LO,
			     .port = x->closed_port,
			     .weight = 1,
			     .checkers = &ck,
			     .nchecks = 1};
	struct rs_check *rc = rs_check_new(&env, &x->vs, &rs);
	char want[256];

	assert_non_null(rc);
	x->loop.now = loop_clock_ms();
	rs_check_start(rc, RS_UP, NULL);
	run_results(x, &s.n, 1);
	snprintf(want, sizeof(want),
		 "virtual server TCP 198.18.0.16:80: real server 127.0.0.1:%u "
		 "down (TCP_CHECK: connect: connection refused)",
		 x->closed_port);
	assert_int_equal(lg.n, 1);
	assert_string_equal(lg.line, want);
	rs_check_free(rc);
}

/* Whether a reload keeps a checker: parameter for parameter. */
static void test_same(void **state)
{
	struct ctx *x = *state;
	struct conf_url ua = {.path = "/a"}, ub = {.path = "/a"};
	struct conf_checker a = {
		.type = CHECK_HTTP,
		.connect_timeout_ms = 3000,
		.delay_loop_ms = 6000,
		.retry = 3,
		.delay_before_retry_ms = 3000,
		.urls = &ua,
		.nurls = 1,
		.http_protocol = 10,
	};
	struct conf_checker b = a;
	struct conf_rs ra = {.addr = LO,
			     .port = 80,
			     .weight = 1,
			     .checkers = &a,
			     .nchecks = 1};
	struct conf_rs rb = ra;
	struct conf_vs vb = x->vs;

	rb.checkers = &b;
	b.urls = &ub;
	assert_true(rs_check_same(&x->vs, &ra, &vb, &rb));
	/* Not a checker's parameter: the weight. */
	rb.weight = 5;
	assert_true(rs_check_same(&x->vs, &ra, &vb, &rb));
	/* The port it connects to, when given or not. */
	b.connect_port = 80;
	assert_true(rs_check_same(&x->vs, &ra, &vb, &rb));
	b.connect_port = 81;
	assert_false(rs_check_same(&x->vs, &ra, &vb, &rb));
	b.connect_port = 0;
	b.retry = 2;
	assert_false(rs_check_same(&x->vs, &ra, &vb, &rb));
	b.retry = 3;
	ub.path = "/b";
	assert_false(rs_check_same(&x->vs, &ra, &vb, &rb));
	ub.path = "/a";
	ub.digest = "00";
	assert_false(rs_check_same(&x->vs, &ra, &vb, &rb));
	ub.digest = NULL;
	vb.virtualhost = "www.example";
	assert_false(rs_check_same(&x->vs, &ra, &vb, &rb));
	vb.virtualhost = NULL;
	b.http_close = true; /* 1.0C */
	assert_false(rs_check_same(&x->vs, &ra, &vb, &rb));
	b.http_close = false;
	b.rise = 2;
	assert_false(rs_check_same(&x->vs, &ra, &vb, &rb));
	b.rise = 0;
	b.type = CHECK_SSL;
	assert_false(rs_check_same(&x->vs, &ra, &vb, &rb));
	b.type = CHECK_HTTP;
	rb.nchecks = 0;
	assert_false(rs_check_same(&x->vs, &ra, &vb, &rb));
	rb.nchecks = 1;
	a.type = b.type = CHECK_MISC;
	a.misc.cmd = "/bin/true";
	b.misc.cmd = "/bin/true";
	assert_true(rs_check_same(&x->vs, &ra, &vb, &rb));
	b.misc_dynamic = true;
	assert_false(rs_check_same(&x->vs, &ra, &vb, &rb));
	b.misc_dynamic = false;
	b.misc.cmd = "/bin/false";
	assert_false(rs_check_same(&x->vs, &ra, &vb, &rb));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_results),
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_ssl),
		cmocka_unit_test(test_misc),
		cmocka_unit_test(test_udp_dns),
		cmocka_unit_test(test_no_delay),
		cmocka_unit_test(test_log),
		cmocka_unit_test(test_run_script),
		cmocka_unit_test(test_script_user),
		cmocka_unit_test(test_script_user_unknown),
		cmocka_unit_test(test_script_own_user),
		cmocka_unit_test(test_script_default_user),
		cmocka_unit_test(test_sigchld_ignored),
		cmocka_unit_test(test_start_state),
		cmocka_unit_test(test_alpha),
		cmocka_unit_test(test_spread),
		cmocka_unit_test(test_free_kills),
		cmocka_unit_test(test_killed_lingers),
		cmocka_unit_test(test_term_first),
		cmocka_unit_test(test_free_in_callback),
		cmocka_unit_test(test_same),
		cmocka_unit_test(test_rebind),
		cmocka_unit_test(test_log_hook),
	};

	signal(SIGPIPE, SIG_IGN);
	/* A check that blocks the loop must fail the suite, not hang it. */
	alarm(3 * BOUND_MS / 1000);
	return cmocka_run_group_tests(tests, run_all, cleanup_all);
}
