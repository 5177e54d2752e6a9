// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Test only (tests/bpf/test_flowtab.c): runs bpf/flowtab.h's operations on
 * a table of its own, from BPF_PROG_TEST_RUN, as lbxdp would from its
 * syscall programs, one operation a run. Two threads may run it at once
 * on two CPUs.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "ft_test.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct lbxdp_ft_bucket);
	__uint(max_entries, 1); /* sized by the test */
	__uint(map_flags, BPF_F_MMAPABLE);
} ft SEC(".maps");

/* Its tags (lbxdp/flowtab.h), sized by the test: lbxdp_ft_ntags(). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
} tags SEC(".maps");

/* Set by the test: the next ft_maybe() that finds neither tag meets a
 * move of its flow into its first bucket before it reads that again. */
__u32 move_between;

#define FT_MAYBE_BETWEEN(idx, t)                    \
	do {                                        \
		if (move_between) {                 \
			move_between = 0;           \
			ft_tag_set((idx)[0], 0, t); \
		}                                   \
	} while (0)

#define FT_MAP ft
#define FT_TAGS tags
#include "flowtab.h"

static __always_inline void tally(struct ft_test_run *r, int res)
{
	if (res == FT_BUSY)
		r->count[FT_TEST_RESULTS]++;
	else if (res >= -2 && res < FT_TEST_RESULTS - 2)
		r->count[res + 2]++;
}

static __always_inline void one(struct ft_test_run *r)
{
	struct lbxdp_ft_way k = r->way, got = {};
	struct lbxdp_ft_way *at = NULL;
	int res;

	k.backend = ft_test_backend(&k);
	switch (r->op) {
	case FT_OP_FIND:
	case FT_OP_TOUCH:
		res = ft_find(r->nbuckets, r->seed, &k, &got, &at);
		if (res == 1) {
			if (got.backend != ft_test_backend(&got) ||
			    !lbxdp_ft_same(&got, &k))
				r->bad++;
			/* As if it read @out's seen, when given one. */
			if (r->op == FT_OP_TOUCH && r->out.seen)
				got.seen = r->out.seen;
			if (r->op == FT_OP_TOUCH && at)
				res = ft_touch(at, &got, r->now) ? 1 : 0;
			else
				r->out = got;
		}
		break;
	case FT_OP_PUT:
		res = ft_put(r->nbuckets, r->seed, &k, r->tmo, r->keep);
		if (res == FT_KEPT)
			r->out = k;
		break;
	case FT_OP_MAYBE:
		res = ft_maybe(r->nbuckets, r->seed, &k);
		break;
	case FT_OP_RETAG:
		res = ft_retag(r->now, r->seed);
		break;
	default:
		res = ft_del(r->nbuckets, r->seed, &k);
	}
	tally(r, res);
}

/* One operation a run: a loop of them, even in bpf_loop(), is more than
 * the verifier will walk. */
SEC("syscall")
int ft_test(struct ft_test_run *ctx)
{
	struct ft_test_run r;

	/* A copy: the context takes no offsets that are not constants. */
	__builtin_memcpy(&r, ctx, sizeof(r));
	one(&r);
	__builtin_memcpy(ctx, &r, sizeof(r));
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * A batch of puts in one run: each through a global function, which the
 * verifier walks once on its own, not once a call, as lbxdp's writers of
 * many entries (flow sync's installer) would. ft_test.h: struct
 * ft_test_batch, in .bss.
 */
struct ft_test_batch batch;

__noinline int ft_put_one(struct lbxdp_ft_way *w, __u32 nb, __u32 seed,
			  __u32 tmo)
{
	struct lbxdp_ft_way k;

	if (!w)
		return -22; /* EINVAL */
	k = *w;
	return ft_put(nb, seed, &k, tmo, false);
}

SEC("syscall")
int ft_test_puts(void *ctx)
{
	__u32 i;

	for (i = 0; i < FT_TEST_BATCH && i < batch.n; i++)
		batch.res[i] = ft_put_one(&batch.w[i], batch.nbuckets,
					  batch.seed, batch.tmo);
	return 0;
}
