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

/* Set by the test: the next ft_move() that copies a flow meets a touch of
 * the way it copied, to this seen, between its copy and its seal. */
__u32 touch_in_move;

#define FT_MOVE_BETWEEN(x)                         \
	do {                                       \
		if (touch_in_move) {               \
			(x)->seen = touch_in_move; \
			touch_in_move = 0;         \
		}                                  \
	} while (0)

/* Set by the test: the next ft_refresh() meets a move of its flow to its
 * other bucket between its find and its touch, as another CPU's put would
 * make; 1: the way it left written over by the put's new flow, 2: not yet
 * (sealed only). Cleared once made. */
__u32 move_before_touch;

static __always_inline void move_away(__u32 nb, __u32 seed,
				      const struct lbxdp_ft_way *w);

#define FT_TOUCH_BETWEEN(w) move_away(nb, seed, w)

/* Set by the test: the next ft_find() that matches a way meets a writer
 * that gives that way to another flow before it copies it, as a put that
 * moved or evicted the flow would. Cleared once made. */
__u32 give_found;

static __always_inline void give_away(struct lbxdp_ft_bucket *b[2],
				      struct lbxdp_ft_way *x);

#define FT_FIND_BETWEEN(b, x) give_away(b, x)

/* Set by the test: the next ft_del_if() that compares a way's seen meets
 * a touch of the way, to this seen, before it frees it. */
__u32 touch_in_del;

#define FT_DEL_BETWEEN(x)                         \
	do {                                      \
		if (touch_in_del) {               \
			(x)->seen = touch_in_del; \
			touch_in_del = 0;         \
		}                                 \
	} while (0)

/* Set by the test: this many of the next tries to take a bucket meet it
 * held, whatever its seq says. */
__u32 lock_held;

#define FT_LOCK_HELD() (lock_held ? (lock_held--, true) : false)

#define FT_MAP ft
#define FT_TAGS tags
#include "flowtab.h"

_Static_assert(FT_TEST_LOCK_TRIES == 1 + FT_LOCK_TRIES, "ft_test.h");

/* The write FT_FIND_BETWEEN() makes: way @x of pair @b to another key,
 * with that key's backend, under the pair's seqs. (Its tag is left as it
 * is, which ft_find() does not read.) */
static __always_inline void give_away(struct lbxdp_ft_bucket *b[2],
				      struct lbxdp_ft_way *x)
{
	struct lbxdp_ft_way nw = *x;

	if (!give_found || !ft_try_lock(b[0]))
		return;
	if (ft_try_lock(b[1])) {
		give_found = 0;
		nw.saddr = ~x->saddr;
		nw.backend = ft_test_backend(&nw);
		*x = nw;
		ft_unlock(b[1]);
	}
	ft_unlock(b[0]);
}

/* The move FT_TOUCH_BETWEEN() makes: @w's way to its other bucket, by a
 * writer holding its bucket and a third one (the pair of a new flow). */
static __always_inline void move_away(__u32 nb, __u32 seed,
				      const struct lbxdp_ft_way *w)
{
	struct lbxdp_ft_way nw = *w;
	__u32 how = move_before_touch, p[2], bi = 0, zi, i, j, at = 9;
	struct lbxdp_ft_bucket *b = NULL, *z;

	if (!how || nb < 3)
		return;
	/* The put's new flow: another key, seen since. (Copied from @w:
	 * built from constants, as {.saddr = ~0U, ...}, its key's stores
	 * were missing from clang 14's BPF code, though in its IR.) */
	nw.saddr = ~w->saddr;
	nw.seen = w->seen + 1000;
	lbxdp_ft_pair(w, seed, nb, p);
	for (i = 0; i < 2 && at == 9; i++) {
		bi = p[i];
		b = bpf_map_lookup_elem(&ft, &bi);
		for (j = 0; b && j < LBXDP_FT_WAYS; j++)
			if (b->w[j].seen && lbxdp_ft_same(&b->w[j], w)) {
				at = j;
				break;
			}
	}
	zi = (bi + 1) % nb;
	if (zi == p[0] || zi == p[1])
		zi = (zi + 1) % nb;
	z = bpf_map_lookup_elem(&ft, &zi);
	if (!b || !z || at >= LBXDP_FT_WAYS || !ft_try_lock(b))
		return;
	if (ft_try_lock(z)) {
		if (ft_move(nb, seed, b, bi, zi, at, w->seen, 0x7fffffff)) {
			move_before_touch = 0;
			if (how == 1)
				ft_write(b, bi, seed, at, &nw);
		}
		ft_unlock(z);
	}
	ft_unlock(b);
}

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
		/* In place, as lbxdp's program finds its flows: a key
		 * without a value, so that one found is the way's. */
		got = k;
		got.gen = 0;
		got.backend = 0;
		got.seen = 0;
		res = ft_find(r->nbuckets, r->seed, &got, &got, &at);
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
	case FT_OP_REFRESH:
		got = k;
		res = ft_find(r->nbuckets, r->seed, &got, &got, &at);
		if (res == 1 && at)
			res = ft_refresh(r->nbuckets, r->seed, at, &got,
					 r->now);
		break;
	case FT_OP_PUT:
		res = ft_put(r->nbuckets, r->seed, &k, r->now ? r->now : k.seen,
			     r->tmo, r->keep);
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
		res = ft_del_if(r->nbuckets, r->seed, &k, r->out.seen);
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
	return ft_put(nb, seed, &k, k.seen, tmo, FT_OVER);
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
