// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * One checker's timing, after keepalived 2.2.7 (check_tcp.c's and
 * check_http.c's epilogs, check_misc.c): a failure of an up server is
 * retried @retry times, @delay_before_retry apart, and the server goes
 * down at the last failure (retry + 1 in all); a down server is checked
 * each delay_loop and comes up at its first success. HTTP_GET/SSL_GET
 * fetch one url per check, in turn: up once every url passed in a row.
 */
#include <string.h>
#include "health.h"

void health_params_from(struct health_params *p, const struct conf_checker *c)
{
	memset(p, 0, sizeof(*p));
	p->retry = c->retry;
	p->delay_before_retry_ms = c->delay_before_retry_ms;
	p->warmup_ms = c->warmup_ms;
	p->rise = c->rise;
	p->fall = c->fall;
	p->delay_loop_ms = c->delay_loop_ms;
	if ((p->rise || p->fall) && c->inter_ms)
		p->delay_loop_ms = c->inter_ms;
	if (c->type == CHECK_HTTP || c->type == CHECK_SSL) {
		p->nurls = c->nurls > 0 ? c->nurls : 1;
		p->fast_recovery = c->fast_recovery;
	}
}

void health_init(struct health *h, const struct health_params *p, bool up)
{
	struct health_params params = *p; /* @p may be &h->p */

	memset(h, 0, sizeof(*h));
	h->p = params;
	h->up = up;
	h->failed_url = -1;
}

uint64_t health_first(const struct health *h, uint64_t now, uint32_t rnd)
{
	return now + ((uint64_t)h->p.warmup_ms * rnd >> 32);
}

static bool rise_fall(struct health *h, bool ok)
{
	uint32_t rise = h->p.rise ? h->p.rise : 1;
	uint32_t fall = h->p.fall ? h->p.fall : 1;
	bool was = h->up;

	if (ok) {
		h->oks++;
		h->fails = 0;
		if (!h->up && h->oks >= rise)
			h->up = true;
	} else {
		h->fails++;
		h->oks = 0;
		if (h->up && h->fails >= fall)
			h->up = false;
	}
	h->has_run = true;
	return was != h->up;
}

/* TCP_CHECK, MISC_CHECK, UDP_CHECK, DNS_CHECK: tcp_epilog(). */
static uint32_t keepalived(struct health *h, bool ok)
{
	uint32_t delay = h->p.delay_loop_ms;

	if (ok || ((h->up || !h->has_run) && h->retry_it >= h->p.retry)) {
		h->retry_it = 0;
		h->up = ok;
	} else if (h->up) {
		delay = h->p.delay_before_retry_ms;
		h->retry_it++;
	}
	h->has_run = true;
	return delay;
}

/* HTTP_GET, SSL_GET: check_http.c's epilog() and timeout_epilog(). */
static uint32_t keepalived_http(struct health *h, bool ok)
{
	uint32_t dl = h->p.delay_loop_ms, dbr = h->p.delay_before_retry_ms;
	bool retry = false, wrapped = false;
	uint32_t delay;

	if (ok) {
		if (++h->url >= h->p.nurls)
			wrapped = true;
		h->retry_it = 0;
	} else if (h->up || !h->has_run) {
		h->has_run = true;
		retry = true;
		h->retry_it++;
	}
	/* else: a failure of a server already down, not retried */

	if (ok && wrapped && h->failed_url < 0) {
		/* Every url passed in a row. */
		if (!h->up || !h->has_run) {
			h->up = true;
			h->has_run = true;
		}
		h->url = 0;
		h->retry_it = 0;
	} else if (retry && h->retry_it > h->p.retry) {
		h->up = false;
		h->failed_url = h->url;
	} else if (ok && h->failed_url >= 0) {
		/* The failed url passes: walk them all again from the first. */
		h->failed_url = -1;
		h->url = 0;
		h->retry_it = 0;
	}

	if (ok) {
		delay = dl;
		/* In the first walk, a failing url takes it down at once. */
		if (!h->has_run)
			h->retry_it = h->p.retry;
	} else if (h->failed_url >= 0) {
		delay = dbr > dl ? dbr : dl;
	} else {
		delay = dbr;
	}
	if (h->p.fast_recovery &&
	    (!h->has_run || (!h->up && h->failed_url < 0)))
		delay = 0;
	return delay;
}

struct health_step health_result(struct health *h, uint64_t now, bool ok)
{
	struct health_step s = {0};
	bool was = h->up;
	uint32_t delay;

	if (h->p.rise || h->p.fall) {
		/* A check is every url in a row, one right after another. */
		if (ok && h->p.nurls && h->url + 1 < h->p.nurls) {
			h->url++;
			s.next = now;
			return s;
		}
		h->url = 0;
		s.changed = rise_fall(h, ok);
		s.next = now + h->p.delay_loop_ms;
		return s;
	}
	if (ok) {
		h->oks++;
		h->fails = 0;
	} else {
		h->fails++;
		h->oks = 0;
	}
	if (h->p.nurls)
		delay = keepalived_http(h, ok);
	else
		delay = keepalived(h, ok);
	s.changed = was != h->up;
	s.next = now + delay;
	return s;
}
