// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * DNS_CHECK: a query of dns_type for dns_name over UDP (connected, so that
 * a closed port fails at once); passes on a reply with the query's id and
 * rcode 0.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include "check_int.h"

struct dns_priv {
	uint16_t id;
	uint8_t req[512];
	size_t reqlen;
};

static int dns_init(struct checker *c)
{
	c->priv = calloc(1, sizeof(struct dns_priv));
	return c->priv ? 0 : -ENOMEM;
}

static void dns_fini(struct checker *c)
{
	checker_close(c);
	free(c->priv);
	c->priv = NULL;
}

/* A query for @name of @type with RD set, as keepalived's DNS_CHECK. */
static int dns_query(struct dns_priv *p, const char *name, int type)
{
	uint8_t *q = p->req;
	size_t o = 12;

	memset(q, 0, 12);
	q[0] = p->id >> 8;
	q[1] = p->id & 0xff;
	q[2] = 0x01; /* RD */
	q[5] = 1;    /* QDCOUNT */
	while (name && *name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		if (l > 63 || o + l + 1 > sizeof(p->req) - 5)
			return -EINVAL;
		if (l) {
			q[o++] = l;
			memcpy(q + o, name, l);
			o += l;
		}
		name += l + (dot ? 1 : 0);
	}
	q[o++] = 0;
	q[o++] = type >> 8;
	q[o++] = type & 0xff;
	q[o++] = 0;
	q[o++] = 1; /* IN */
	p->reqlen = o;
	return 0;
}

static void dns_event(struct loop_fd *lfd, uint32_t events)
{
	struct checker *c = lfd->arg;
	struct dns_priv *p = c->priv;
	uint8_t buf[2048];
	ssize_t n = 0;
	int r;

	for (;;) {
		r = checker_recv(c, buf, sizeof(buf), &n);
		if (r <= 0)
			return;
		/* Someone else's reply (an older query's): not ours. */
		if (n >= 12 && (buf[0] << 8 | buf[1]) == p->id &&
		    (buf[2] & 0x80))
			break;
	}
	if (buf[3] & 0x0f) {
		checker_reason(c, "DNS rcode %d", buf[3] & 0x0f);
		checker_done(c, false);
		return;
	}
	checker_reason(c, "DNS reply");
	checker_done(c, true);
}

static int dns_start(struct checker *c)
{
	struct dns_priv *p = c->priv;
	uint16_t id = 0;
	int err;

	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id))
		id = (uint16_t)random();
	p->id = id;
	err = dns_query(p, c->cc->dns_name,
			c->cc->dns_type ? c->cc->dns_type : 6 /* SOA */);
	if (err) {
		checker_reason(c, "DNS: bad name");
		return err;
	}
	err = checker_connect(c, SOCK_DGRAM, EPOLLIN, dns_event);
	if (!err)
		err = checker_send(c, p->req, p->reqlen);
	if (err)
		checker_close(c);
	return err;
}

const struct checker_ops check_dns_ops = {
	.name = "DNS_CHECK",
	.init = dns_init,
	.start = dns_start,
	.stop = checker_close,
	.fini = dns_fini,
};
