/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The timing of one checker, without I/O: fed each check's result and the
 * time, it says whether the checker went up or down and when the next
 * check is due. keepalived 2.2.7's semantics (retry, delay_before_retry,
 * HTTP_GET's walk over its urls, fast_recovery), or lbxdp's HAProxy-style
 * rise/fall when they are set.
 */
#ifndef LBXDP_HEALTH_H
#define LBXDP_HEALTH_H

#include <stdbool.h>
#include <stdint.h>
#include "conf.h"

struct health_params {
	uint32_t delay_loop_ms; /* rise/fall: inter */
	uint32_t retry;
	uint32_t delay_before_retry_ms;
	uint32_t rise, fall; /* 0, 0: keepalived's semantics */
	int nurls;	     /* HTTP_GET, SSL_GET: > 0 */
	bool fast_recovery;
	uint32_t warmup_ms; /* the first check within this; 0: at once */
};

struct health {
	struct health_params p;
	bool up;
	bool has_run;	     /* a check has completed */
	uint32_t retry_it;   /* keepalived's retries done */
	int url;	     /* the url the next check fetches */
	int failed_url;	     /* keepalived's failed url, -1: none */
	uint32_t fails, oks; /* consecutive (rise/fall: of whole checks) */
};

struct health_step {
	uint64_t next; /* ms: when the next check is due */
	bool changed;  /* up moved */
};

void health_params_from(struct health_params *p, const struct conf_checker *c);
/* @up: the state until the first result (alpha: false). */
void health_init(struct health *h, const struct health_params *p, bool up);
/* When the first check is due: at @rnd / 2^32 of warmup_ms after @now
 * (the caller draws @rnd), so that checks are spread, as keepalived. */
uint64_t health_first(const struct health *h, uint64_t now, uint32_t rnd);
/*
 * The result of the check of url health_url(). The next delay counts from
 * @now: when the check ended (keepalived; MISC_CHECK: when it started).
 */
struct health_step health_result(struct health *h, uint64_t now, bool ok);
static inline int health_url(const struct health *h)
{
	return h->url;
}

#endif /* LBXDP_HEALTH_H */
