/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What tests/bpf/test_flowtab.c and its program (bpf/ft_test.bpf.c) agree
 * on: a run of one operation on the flow of @way, whose backend is
 * ft_test_backend() of its key, so that a reader can tell a way whose
 * value is not its key's.
 */
#ifndef LBXDP_FT_TEST_H
#define LBXDP_FT_TEST_H

#include <linux/types.h>
#include "lbxdp/flowtab.h"

/* MAYBE: ft_maybe(), 1 or 0; RETAG: ft_retag() of bucket @now; REFRESH:
 * a find, then ft_refresh() to @now, 1 if refreshed (TOUCH: ft_touch()). */
enum {
	FT_OP_FIND,
	FT_OP_PUT,
	FT_OP_DEL,
	FT_OP_TOUCH,
	FT_OP_MAYBE,
	FT_OP_RETAG,
	FT_OP_REFRESH
};

/* A lock's tries (bpf/flowtab.h's ft_lock()): one, then FT_LOCK_TRIES in
 * bpf_loop(). */
#define FT_TEST_LOCK_TRIES 65

#define FT_TEST_RESULTS 10 /* count[r + 2]: r from -2 (ENOENT) to 7 */

struct ft_test_run {
	__u32 op;
	__u32 nbuckets;
	__u32 seed;
	__u32 tmo;  /* puts: the longest timeout, in seen units */
	__u32 keep; /* puts: FT_OVER, FT_KEEP, ... (flowtab.h) */
	__u32 now;  /* touch: the new seen; retag: the bucket; put: the
		     * writer's clock (0: the way's seen) */
	/* touch: the seen it read, if not 0 (else what it finds); find:
	 * the last way found; put: the way kept; del: only if its seen is
	 * out.seen, if not 0 */
	__u32 bad;		 /* finds whose backend was not their key's */
	struct lbxdp_ft_way way; /* the first key; puts: gen and seen */
	struct lbxdp_ft_way out;
	__u32 count[FT_TEST_RESULTS + 1]; /* by result; [10]: FT_BUSY */
};

/* ft_test_puts: @n puts of @w in one run, each one's FT_* into @res. */
#define FT_TEST_BATCH 64

struct ft_test_batch {
	__u32 n, nbuckets, seed, tmo;
	struct lbxdp_ft_way w[FT_TEST_BATCH];
	int res[FT_TEST_BATCH];
};

static inline __u32 ft_test_backend(const struct lbxdp_ft_way *k)
{
	return (k->saddr * 2654435761U) ^ ((__u32)k->sport << 16 | k->dport) ^
	       k->vip;
}

#endif /* LBXDP_FT_TEST_H */
