// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * HTTP_GET and SSL_GET: one url per check (health.c walks them), a GET
 * with keepalived's headers, the status code against the url's ranges and
 * the MD5 of the body against its digest. Every step is non-blocking: the
 * connect, OpenSSL's handshake (WANT_READ/WANT_WRITE mapped to epoll), the
 * request and the response; the check's timeout bounds the whole.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include "check_int.h"

enum http_step {
	ST_CONNECT,
	ST_HANDSHAKE,
	ST_WRITE,
	ST_READ,
};

struct http_priv {
	bool tls;
	SSL_CTX *ctx;
	SSL *ssl;
	EVP_MD_CTX *md;
	const struct conf_url *url; /* of the check in flight */
	int url_idx;
	enum http_step st;
	char req[1024];
	size_t reqlen, reqoff;
	char head[4096]; /* up to the end of the headers */
	size_t headlen;
	bool in_body, got_data;
	int status;
	long long content_len; /* -1: not given */
	long long body_len;
};

static int http_init_common(struct checker *c, bool tls)
{
	struct http_priv *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->tls = tls;
	p->md = EVP_MD_CTX_new();
	if (!p->md)
		goto nomem;
	if (tls) {
		p->ctx = SSL_CTX_new(TLS_client_method());
		if (!p->ctx)
			goto nomem;
		/* keepalived does not verify the server's certificate. */
		SSL_CTX_set_verify(p->ctx, SSL_VERIFY_NONE, NULL);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
		/* A server that closes without close_notify ends its body
		 * there, as with OpenSSL 1.1 and keepalived: OpenSSL 3 would
		 * call it an error. */
		SSL_CTX_set_options(p->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	}
	c->priv = p;
	return 0;
nomem:
	EVP_MD_CTX_free(p->md);
	free(p);
	return -ENOMEM;
}

static int http_init(struct checker *c)
{
	return http_init_common(c, false);
}

static int ssl_init(struct checker *c)
{
	return http_init_common(c, true);
}

static void http_stop(struct checker *c)
{
	struct http_priv *p = c->priv;

	if (p->ssl) {
		SSL_free(p->ssl);
		p->ssl = NULL;
	}
	checker_close(c);
}

static void http_fini(struct checker *c)
{
	struct http_priv *p = c->priv;

	if (!p)
		return;
	http_stop(c);
	SSL_CTX_free(p->ctx);
	EVP_MD_CTX_free(p->md);
	free(p);
	c->priv = NULL;
}

static const char *vhost_of(const struct checker *c, const struct conf_url *u)
{
	if (u->virtualhost)
		return u->virtualhost;
	if (c->cc->virtualhost)
		return c->cc->virtualhost;
	return checker_vs(c)->virtualhost;
}

static void build_request(struct checker *c, struct http_priv *p)
{
	const struct conf_url *u = p->url;
	const char *vhost = vhost_of(c, u);
	struct sockaddr_in dst;
	char host[INET_ADDRSTRLEN + 8];
	bool v11 = c->cc->http_protocol == 11;
	int n;

	/* keepalived's request: without a virtualhost, Host is ip:port. */
	checker_dst(c, &dst);
	if (vhost) {
		snprintf(host, sizeof(host), "%s", vhost);
	} else {
		inet_ntop(AF_INET, &dst.sin_addr, host, INET_ADDRSTRLEN);
		snprintf(host + strlen(host), 8, ":%d", ntohs(dst.sin_port));
	}
	n = snprintf(p->req, sizeof(p->req),
		     "GET %s HTTP/1.%d\r\n"
		     "User-Agent: KeepAliveClient\r\n"
		     "%s"
		     "Host: %s\r\n\r\n",
		     u->path ? u->path : "/", v11 ? 1 : 0,
		     v11 || c->cc->http_close ? "Connection: close\r\n" : "",
		     host);
	p->reqlen = n < (int)sizeof(p->req) ? (size_t)n : sizeof(p->req) - 1;
	p->reqoff = 0;
}

static void fail(struct checker *c, const char *fmt, const char *arg)
{
	checker_reason(c, fmt, arg);
	checker_done(c, false);
}

/* OpenSSL's reason for the error of @ret, for c->reason. */
static void tls_fail(struct checker *c, const char *what, int sslerr)
{
	unsigned long e = ERR_get_error();
	char buf[48];

	if (e)
		snprintf(buf, sizeof(buf), "%s", ERR_reason_error_string(e));
	else if (sslerr == SSL_ERROR_SYSCALL && errno)
		snprintf(buf, sizeof(buf), "%s", strerror(errno));
	else
		snprintf(buf, sizeof(buf), "connection closed");
	ERR_clear_error();
	checker_reason(c, "%s: %s", what, buf);
	checker_done(c, false);
}

static bool status_ok(const struct conf_url *u, int status)
{
	int i;

	if (!u->nstatus)
		return status >= 200 && status <= 299;
	for (i = 0; i < u->nstatus; i++)
		if (status >= u->status[i].lo && status <= u->status[i].hi)
			return true;
	return false;
}

static void finish(struct checker *c, struct http_priv *p)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned int mdlen = 0, i;

	if (!p->got_data) {
		fail(c, "%s", "read: no data received");
		return;
	}
	if (!p->in_body || !p->status) {
		fail(c, "%s", "HTTP: bad response");
		return;
	}
	if (!status_ok(p->url, p->status)) {
		checker_reason(c, "HTTP %d", p->status);
		checker_done(c, false);
		return;
	}
	if (p->url->digest) {
		EVP_DigestFinal_ex(p->md, md, &mdlen);
		for (i = 0; i < mdlen; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		hex[2 * mdlen] = '\0';
		if (strcasecmp(hex, p->url->digest)) {
			fail(c, "%s", "digest mismatch");
			return;
		}
	}
	checker_reason(c, "HTTP %d", p->status);
	checker_done(c, true);
}

static void body(struct http_priv *p, const char *buf, size_t len)
{
	if (!len)
		return;
	p->body_len += len;
	if (p->url->digest)
		EVP_DigestUpdate(p->md, buf, len);
}

static void parse_head(struct http_priv *p)
{
	const char *line, *end = p->head + p->headlen;

	if (sscanf(p->head, "HTTP/%*d.%*d %d", &p->status) != 1)
		p->status = 0;
	p->content_len = -1;
	for (line = strstr(p->head, "\r\n"); line && line < end;
	     line = strstr(line, "\r\n")) {
		line += 2;
		if (!strncasecmp(line, "Content-Length:", 15))
			p->content_len = strtoll(line + 15, NULL, 10);
	}
}

/* Take @len bytes of the response; false when the headers are too long. */
static bool feed(struct http_priv *p, const char *buf, size_t len)
{
	size_t room, take, scan;
	char *eoh;

	p->got_data = true;
	if (p->in_body) {
		body(p, buf, len);
		return true;
	}
	room = sizeof(p->head) - 1 - p->headlen;
	take = len < room ? len : room;
	scan = p->headlen > 3 ? p->headlen - 3 : 0;
	memcpy(p->head + p->headlen, buf, take);
	p->headlen += take;
	p->head[p->headlen] = '\0';
	eoh = strstr(p->head + scan, "\r\n\r\n");
	if (!eoh)
		return take == len;
	/* What follows the headers, in head and in buf, is body. */
	{
		size_t hlen = eoh + 4 - p->head;
		size_t extra = p->headlen - hlen;

		p->in_body = true;
		parse_head(p);
		body(p, eoh + 4, extra);
		body(p, buf + take, len - take);
		p->headlen = hlen;
	}
	return true;
}

static bool complete(const struct http_priv *p)
{
	return p->in_body && p->content_len >= 0 &&
	       p->body_len >= p->content_len;
}

static int want_events(struct checker *c, int sslerr)
{
	uint32_t ev = sslerr == SSL_ERROR_WANT_WRITE ? EPOLLOUT : EPOLLIN;

	return loop_fd_mod(checker_loop(c), &c->lfd, ev);
}

#define IO_WAIT (-1)
#define IO_FAILED (-2)

/*
 * One read or write, plain or TLS: > 0 bytes; 0 the peer closed (a read);
 * IO_WAIT until the socket is ready again (its events set); IO_FAILED when
 * the check has failed (reported).
 */
static ssize_t io(struct checker *c, struct http_priv *p, bool wr, char *buf,
		  size_t len)
{
	ssize_t n;
	int e;

	if (!p->ssl) {
		n = wr ? send(c->lfd.fd, buf, len, MSG_NOSIGNAL)
		       : recv(c->lfd.fd, buf, len, 0);
		if (n >= 0)
			return n;
		if (errno == EAGAIN || errno == EINTR)
			return IO_WAIT;
		checker_errno(c, wr ? "write" : "read", -errno);
		checker_done(c, false);
		return IO_FAILED;
	}
	n = wr ? SSL_write(p->ssl, buf, (int)len)
	       : SSL_read(p->ssl, buf, (int)len);
	if (n > 0)
		return n;
	e = SSL_get_error(p->ssl, (int)n);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		want_events(c, e);
		return IO_WAIT;
	}
	/* A read that meets the end, with or without close_notify. */
	if (!wr && (e == SSL_ERROR_ZERO_RETURN ||
		    (e == SSL_ERROR_SYSCALL && !ERR_peek_error())))
		return 0;
	tls_fail(c, wr ? "TLS write" : "TLS read", e);
	return IO_FAILED;
}

#define READ_BURST 16 /* reads of an event: 64 KiB */

static void do_read(struct checker *c, struct http_priv *p)
{
	char buf[4096];
	int i;

	for (i = 0;; i++) {
		ssize_t n;

		/* The loop's turn after a burst, or a fast server would keep
		 * it here; the rest at the next (the fd stays readable),
		 * unless TLS holds it decrypted, which no event reports. */
		if (i >= READ_BURST && !(p->ssl && SSL_pending(p->ssl)))
			return;
		n = io(c, p, false, buf, sizeof(buf));

		if (n < 0)
			return;
		if (!n)
			break;
		if (!feed(p, buf, n)) {
			fail(c, "%s", "HTTP: headers too long");
			return;
		}
		if (complete(p))
			break;
	}
	finish(c, p);
}

static void do_write(struct checker *c, struct http_priv *p)
{
	while (p->reqoff < p->reqlen) {
		ssize_t n = io(c, p, true, p->req + p->reqoff,
			       p->reqlen - p->reqoff);

		if (n < 0)
			return;
		p->reqoff += n;
	}
	p->st = ST_READ;
	loop_fd_mod(checker_loop(c), &c->lfd, EPOLLIN);
	do_read(c, p);
}

static void do_handshake(struct checker *c, struct http_priv *p)
{
	int r = SSL_do_handshake(p->ssl);

	if (r == 1) {
		checker_progress(c);
		p->st = ST_WRITE;
		loop_fd_mod(checker_loop(c), &c->lfd, EPOLLOUT);
		do_write(c, p);
		return;
	}
	r = SSL_get_error(p->ssl, r);
	if (r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE) {
		want_events(c, r);
		return;
	}
	tls_fail(c, "TLS handshake", r);
}

static void connected(struct checker *c, struct http_priv *p)
{
	const char *vhost = vhost_of(c, p->url);
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->lfd.fd, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	if (err) {
		checker_errno(c, "connect", -err);
		checker_done(c, false);
		return;
	}
	if (!p->tls) {
		p->st = ST_WRITE;
		do_write(c, p);
		return;
	}
	p->ssl = SSL_new(p->ctx);
	if (!p->ssl || !SSL_set_fd(p->ssl, c->lfd.fd)) {
		tls_fail(c, "TLS", SSL_ERROR_SSL);
		return;
	}
	if (c->cc->enable_sni && vhost &&
	    !SSL_set_tlsext_host_name(p->ssl, vhost)) {
		tls_fail(c, "TLS SNI", SSL_ERROR_SSL);
		return;
	}
	SSL_set_connect_state(p->ssl);
	p->st = ST_HANDSHAKE;
	do_handshake(c, p);
}

static void http_event(struct loop_fd *lfd, uint32_t events)
{
	struct checker *c = lfd->arg;
	struct http_priv *p = c->priv;

	/* keepalived times each step of plain HTTP; over TLS, the connect
	 * with the handshake, then the whole exchange (see do_handshake()) */
	if (!p->tls)
		checker_progress(c);
	switch (p->st) {
	case ST_CONNECT:
		connected(c, p);
		break;
	case ST_HANDSHAKE:
		do_handshake(c, p);
		break;
	case ST_WRITE:
		do_write(c, p);
		break;
	case ST_READ:
		do_read(c, p);
		break;
	}
}

static const struct conf_url *url_at(const struct checker *c, int i)
{
	static const struct conf_url root = {.path = "/"};

	return i < c->cc->nurls ? &c->cc->urls[i] : &root;
}

static void http_rebind(struct checker *c)
{
	struct http_priv *p = c->priv;

	p->url = url_at(c, p->url_idx);
}

static int http_start(struct checker *c)
{
	struct http_priv *p = c->priv;

	p->url_idx = health_url(&c->h);
	p->url = url_at(c, p->url_idx);
	p->st = ST_CONNECT;
	p->headlen = 0;
	p->head[0] = '\0';
	p->in_body = p->got_data = false;
	p->status = 0;
	p->body_len = 0;
	p->content_len = -1;
	if (p->url->digest)
		EVP_DigestInit_ex(p->md, EVP_md5(), NULL);
	ERR_clear_error();
	build_request(c, p);
	return checker_connect(c, SOCK_STREAM, EPOLLOUT, http_event);
}

const struct checker_ops check_http_ops = {
	.name = "HTTP_GET",
	.init = http_init,
	.start = http_start,
	.stop = http_stop,
	.fini = http_fini,
	.rebind = http_rebind,
};

const struct checker_ops check_ssl_ops = {
	.name = "SSL_GET",
	.init = ssl_init,
	.start = http_start,
	.stop = http_stop,
	.fini = http_fini,
	.rebind = http_rebind,
};
