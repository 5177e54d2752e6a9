/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Scheduling tables: pure functions, no maps, unit-tested. */
#ifndef LBXDP_SCHED_H
#define LBXDP_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct lbxdp_sched_backend {
	__be32 addr[4]; /* network order, IPv4 in addr[0] */
	__u32 id;	/* what the table stores */
	__u32 weight;	/* 0: not placed */
};

/*
 * Interleaved weighted round robin (IPVS's wrr order) over the backends with
 * weight > 0, taken in address order so the result does not depend on the
 * order of @be. With @ignore_weights every such backend counts as weight 1
 * (rr). Weights are divided by their gcd. Writes *len entries to @out.
 * Returns 0, or -E2BIG if the schedule would exceed @cap entries (*len then
 * holds the length it would need).
 */
int lbxdp_wrr_build(const struct lbxdp_sched_backend *be, size_t n,
		    bool ignore_weights, __u32 *out, size_t cap, size_t *len);

/*
 * Weighted Maglev table of @ring_size (prime) entries over the backends with
 * weight > 0. Depends only on the set of (addr, weight): the permutation of
 * each backend comes from lbxdp_hash_addr() (include/lbxdp/hash.h). Entries
 * are LBXDP_BACKEND_NONE when no backend has weight > 0.
 * Returns 0, -EINVAL if @ring_size is not prime, -ENOMEM.
 */
int lbxdp_maglev_build(const struct lbxdp_sched_backend *be, size_t n,
		       __u32 *ring, __u32 ring_size);

bool lbxdp_is_prime(__u32 n);

#endif /* LBXDP_SCHED_H */
