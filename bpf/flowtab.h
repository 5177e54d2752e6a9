/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The operations of a flow table of lbxdp's own layout (lbxdp/flowtab.h,
 * docs/flow-table.md), for BPF programs: find, put, delete and touch a
 * flow in a BPF_MAP_TYPE_ARRAY of struct lbxdp_ft_bucket. Not lbxdp's
 * flows map yet; tests/bpf/test_flowtab.c runs them (bpf/ft_test.bpf.c).
 * The including program names its table: #define FT_MAP before it, and
 * its tags (map flow_tags, lbxdp/flowtab.h) with #define FT_TAGS, if it
 * writes lbxdp's table: every writer of a way writes its tag.
 *
 * Readers take no lock: they read a flow's two buckets between two reads
 * of their seq. Writers hold a bucket by a compare-and-swap of its seq
 * from even to odd, and store it even again when done. The order of the
 * writes and the seq stores is the compiler's to keep (barrier()); the
 * CPU keeps it on x86 (TSO), as lbxdp's other seq readers assume (README,
 * known limits): a weakly ordered CPU needs acquire and release here.
 */
#ifndef LBXDP_BPF_FLOWTAB_H
#define LBXDP_BPF_FLOWTAB_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "lbxdp/flowtab.h"

#ifndef FT_MAP
#error "define FT_MAP, the table's map, before including flowtab.h"
#endif

#ifndef barrier
#define barrier() asm volatile("" ::: "memory")
#endif
/* Keeps a bound check on @v that the compiler could prove but the
 * verifier cannot. */
#define ft_opaque(v) asm volatile("" : "+r"(v))

#define FT_READ_TRIES 3
/* A writer holds a bucket for a few dozen instructions: this many tries
 * outlast it, unless it was scheduled out (docs/flow-table.md). */
#define FT_LOCK_TRIES 64
#define FT_MOVE_TRIES 3	       /* of a full pair's six flows, to move one */
#define FT_INLINE_LOCK_TRIES 8 /* FT_INLINE_LOOPS */

/* Results: < 0 an error; FT_BUSY, a writer held a bucket every try. */
#define FT_BUSY (-16)
#define FT_ADDED 1     /* into a free or expired way */
#define FT_MOVED 2     /* after moving a flow of a full pair to its other */
#define FT_EVICTED 3   /* over the live flow seen longest ago of the six */
#define FT_KEPT 4      /* there already, left as it was (and copied out) */
#define FT_REWRITTEN 5 /* there already, written over */
#define FT_ABSENT 6    /* not there, and @keep (FT_EXIST) adds none */
#define FT_STALE 7     /* FT_KEEP_NEWER, older than its full pair's six */

/* ft_put()'s @keep: what to do with the flow's way, if it has one. */
#define FT_OVER 0	/* write over it */
#define FT_KEEP 1	/* leave it (another CPU placed the flow first) */
#define FT_KEEP_NEWER 2 /* leave it if seen as recently as the new one */
#define FT_EXIST 3	/* write over it; if it has none, add none */

static __always_inline __u32 ft_seq(const struct lbxdp_ft_bucket *b)
{
	return *(volatile const __u32 *)&b->seq;
}

/* Whether way @x holds a flow seen within @tmo of @now. A stamp ahead of
 * @now (a writer whose clock runs ahead) is live. */
static __always_inline bool ft_live(const struct lbxdp_ft_way *x, __u32 now,
				    __u32 tmo)
{
	return x->seen && lbxdp_ft_age(now, x->seen) <= tmo;
}

/* @k's two buckets, into @b, their indices into @idx; false if the map
 * has fewer than @nb, or @nb is less than a pair. */
static __always_inline bool ft_buckets(__u32 nb, __u32 seed,
				       const struct lbxdp_ft_way *k,
				       struct lbxdp_ft_bucket *b[2],
				       __u32 idx[2])
{
	if (nb < 2)
		return false;
	lbxdp_ft_pair(k, seed, nb, idx);
	b[0] = bpf_map_lookup_elem(&FT_MAP, &idx[0]);
	b[1] = bpf_map_lookup_elem(&FT_MAP, &idx[1]);
	return b[0] && b[1];
}

#ifndef FT_FIND_BETWEEN
/* Tests (bpf/ft_test.bpf.c): a writer between a find's compare of way @x
 * (of pair @b) and its copy. */
#define FT_FIND_BETWEEN(b, x)
#endif

/* Way @x's value (where, when) into @out, not its key: @out may be the
 * key looked for, and a writer may have given @x to another flow since it
 * matched; a retry must look for the key still, not for that flow. */
static __always_inline void ft_found(struct lbxdp_ft_way *out,
				     const struct lbxdp_ft_way *x)
{
	out->gen = x->gen;
	out->backend = x->backend;
	out->seen = x->seen;
}

/*
 * @k's flow: 1 found, its value (gen, backend, seen) copied into *out,
 * which may be @k (its key is left as it is), *at the way it was read
 * from (for ft_touch()); 0 not there; FT_BUSY. Found means the key is
 * there, live or not: the caller judges its age.
 */
static __always_inline int ft_find(__u32 nb, __u32 seed,
				   const struct lbxdp_ft_way *k,
				   struct lbxdp_ft_way *out,
				   struct lbxdp_ft_way **at)
{
	struct lbxdp_ft_bucket *b[2];
	struct lbxdp_ft_way *x;
	__u32 idx[2], s0, s1;
	int t, i, j, found;

	if (!ft_buckets(nb, seed, k, b, idx))
		return 0;
	for (t = 0; t < FT_READ_TRIES; t++) {
		s0 = ft_seq(b[0]);
		s1 = ft_seq(b[1]);
		barrier();
		x = NULL;
		for (i = 0; i < 2 && !x; i++) {
			for (j = 0; j < LBXDP_FT_WAYS; j++) {
				if (b[i]->w[j].seen &&
				    lbxdp_ft_same(&b[i]->w[j], k)) {
					x = &b[i]->w[j];
					break;
				}
			}
		}
		found = 0;
		if (x) {
			FT_FIND_BETWEEN(b, x);
			ft_found(out, x);
			*at = x;
			found = 1;
		}
		ft_opaque(found);
		barrier();
		if (!((s0 | s1) & 1) && ft_seq(b[0]) == s0 &&
		    ft_seq(b[1]) == s1)
			return found;
	}
	return FT_BUSY;
}

/* Refreshes the way ft_find() read @was from to @now: only if its seen
 * is still @was's, so that a way that has since been freed or given to
 * another flow is left alone. True if it was. */
static __always_inline bool ft_touch(struct lbxdp_ft_way *at,
				     const struct lbxdp_ft_way *was, __u32 now)
{
	return __sync_val_compare_and_swap(&at->seen, was->seen, now) ==
	       was->seen;
}

#ifndef FT_TOUCH_BETWEEN
/* Tests (bpf/ft_test.bpf.c): a writer between a find and its touch. */
#define FT_TOUCH_BETWEEN(w)
#endif

/*
 * Refreshes flow @w, found at @at, to @now. A touch that fails met a writer
 * of its way since the find; if that one moved the flow to its other
 * bucket (ft_move() seals the way it leaves), the flow is found again and
 * touched there, unless a writer still holds it. @w is then what was
 * found. True if touched.
 */
static __always_inline bool ft_refresh(__u32 nb, __u32 seed,
				       struct lbxdp_ft_way *at,
				       struct lbxdp_ft_way *w, __u32 now)
{
	FT_TOUCH_BETWEEN(w);
	if (ft_touch(at, w, now))
		return true;
	at = NULL;
	return ft_find(nb, seed, w, w, &at) == 1 && ft_touch(at, w, now);
}

#ifndef FT_LOCK_HELD
/* Tests (bpf/ft_test.bpf.c): a try that meets the bucket held. */
#define FT_LOCK_HELD() false
#endif

static __always_inline bool ft_try_lock(struct lbxdp_ft_bucket *b)
{
	__u32 s = ft_seq(b);

	if (FT_LOCK_HELD())
		return false;
	return !(s & 1) && __sync_val_compare_and_swap(&b->seq, s, s + 1) == s;
}

#ifdef FT_INLINE_LOOPS
/* A writer in a global function of its own (lbxdp's program): the
 * verifier walks it once, but a bpf_loop() callback's frame would not fit
 * on the stack under the caller's, so the tries are a plain loop. */
static __always_inline int ft_lock(struct lbxdp_ft_bucket *b)
{
	int i;

	for (i = 0; i < FT_INLINE_LOCK_TRIES; i++)
		if (ft_try_lock(b))
			return 0;
	return FT_BUSY;
}
#else
struct ft_lock_ctx {
	struct lbxdp_ft_bucket *b;
	bool held;
};

static long ft_lock_again(__u32 i, void *arg)
{
	struct ft_lock_ctx *c = arg;

	c->held = c->b && ft_try_lock(c->b);
	return c->held;
}

/* One try inline; the others, rare, in bpf_loop(), whose body the
 * verifier walks once (its context must be on the stack). Whether a try
 * took the bucket is the context's word, not bpf_loop()'s count: that is
 * FT_LOCK_TRIES both when the last try took it and when none did. */
static __always_inline int ft_lock(struct lbxdp_ft_bucket *b)
{
	struct ft_lock_ctx c = {.b = b};

	if (ft_try_lock(b))
		return 0;
	bpf_loop(FT_LOCK_TRIES, ft_lock_again, &c, 0);
	return c.held ? 0 : FT_BUSY;
}
#endif

static __always_inline void ft_unlock(struct lbxdp_ft_bucket *b)
{
	barrier(); /* every write of the holder before the seq's */
	*(volatile __u32 *)&b->seq = b->seq + 1;
}

/* Both buckets of a pair, the lower index first. */
static __always_inline int ft_lock_pair(struct lbxdp_ft_bucket *b[2],
					const __u32 idx[2])
{
	int lo = idx[1] < idx[0];

	if (ft_lock(b[lo]))
		return FT_BUSY;
	if (ft_lock(b[!lo])) {
		ft_unlock(b[lo]);
		return FT_BUSY;
	}
	return 0;
}

/* The first way of @b not live at @now, or LBXDP_FT_WAYS; the count of
 * its live ways into *live. */
#ifdef FT_TAGS
#ifndef FT_MAYBE_BETWEEN
/* Tests (bpf/ft_test.bpf.c): a move that lands between ft_maybe()'s
 * reads. */
#define FT_MAYBE_BETWEEN(idx, t)
#endif

/* Way @j of bucket @bi (held) now holds a key of tag @t. */
static __always_inline void ft_tag_set(__u32 bi, __u32 j, __u8 t)
{
	__u32 e = bi >> 1;
	__u8 *v = bpf_map_lookup_elem(&FT_TAGS, &e);

	if (v && j < LBXDP_FT_WAYS)
		v[(bi & 1) * 4 + j] = t;
}

static __always_inline bool ft_tagged(const __u64 *v, __u32 bi, __u32 t)
{
	__u32 x = (__u32)(*(volatile const __u64 *)v >> ((bi & 1) * 32));

	return (x & 0xff) == t || ((x >> 8) & 0xff) == t ||
	       ((x >> 16) & 0xff) == t;
}

/*
 * Whether @k may have a way: false only if neither of its buckets has a
 * way of its tag, read without the buckets (two random reads in a map
 * 1/16 of the table's size). No seq: a reader that races a put of @k
 * reads it as there or not, as ft_find() would before or after it. A move
 * tags the way it copies to before it frees the one it copies from, so a
 * reader that found neither reads the first bucket's tags again (a cache
 * hit): had the second lost the tag since, the first has it by then.
 */
static __always_inline bool ft_maybe(__u32 nb, __u32 seed,
				     const struct lbxdp_ft_way *k)
{
	__u32 h = lbxdp_ft_hash(k, seed), idx[2], e0, e1, t;
	__u64 *v0, *v1;

	if (nb < 2)
		return true;
	lbxdp_ft_pair_of(h, nb, idx);
	t = lbxdp_ft_tag_of(h);
	e0 = idx[0] >> 1;
	e1 = idx[1] >> 1;
	v0 = bpf_map_lookup_elem(&FT_TAGS, &e0);
	v1 = bpf_map_lookup_elem(&FT_TAGS, &e1);
	if (!v0 || !v1)
		return true;
	if (ft_tagged(v0, idx[0], t) || ft_tagged(v1, idx[1], t))
		return true;
	FT_MAYBE_BETWEEN(idx, t);
	barrier(); /* read again, after the second */
	return ft_tagged(v0, idx[0], t);
}

/* Tags bucket @bi's ways from what they hold, under its seq: the ways an
 * older program wrote without tags (lbxdp's writer, at attach). */
static __always_inline int ft_retag(__u32 bi, __u32 seed)
{
	struct lbxdp_ft_bucket *b = bpf_map_lookup_elem(&FT_MAP, &bi);
	__u32 j;

	if (!b)
		return -2; /* ENOENT */
	if (ft_lock(b))
		return FT_BUSY;
	for (j = 0; j < LBXDP_FT_WAYS; j++)
		ft_tag_set(bi, j,
			   b->w[j].seen ? lbxdp_ft_tag(&b->w[j], seed) : 0);
	ft_unlock(b);
	return 0;
}
#else
static __always_inline void ft_tag_set(__u32 bi, __u32 j, __u8 t)
{
}
#endif

static __always_inline __u32 ft_room(const struct lbxdp_ft_bucket *b, __u32 now,
				     __u32 tmo, __u32 *live)
{
	__u32 j, first = LBXDP_FT_WAYS;

	*live = 0;
	for (j = 0; j < LBXDP_FT_WAYS; j++) {
		if (ft_live(&b->w[j], now, tmo))
			(*live)++;
		else if (first == LBXDP_FT_WAYS)
			first = j;
	}
	return first;
}

#ifndef FT_MOVE_BETWEEN
/* Tests (bpf/ft_test.bpf.c): a touch between a move's copy and its seal. */
#define FT_MOVE_BETWEEN(x)
#endif

/*
 * Moves the flow in way @j of @b (held, index @bi) to its other bucket,
 * if that is not @other (held, and full) and has room: written there and
 * released, while @b is held, so that a reader, which retries while @b is
 * held, finds it in one of the two. True if moved: the caller writes its
 * new flow over way @j before it releases @b.
 */
static __always_inline bool ft_move(__u32 nb, __u32 seed,
				    struct lbxdp_ft_bucket *b, __u32 bi,
				    __u32 other, __u32 j, __u32 now, __u32 tmo)
{
	struct lbxdp_ft_bucket *alt;
	struct lbxdp_ft_way *x;
	__u32 p[2], h, ai, live, f, s;

	ft_opaque(j);
	if (j >= LBXDP_FT_WAYS)
		return false;
	x = &b->w[j];
	h = lbxdp_ft_hash(x, seed);
	lbxdp_ft_pair_of(h, nb, p);
	ai = p[0] == bi ? p[1] : p[0];
	if (ai == other || ai == bi)
		return false;
	alt = bpf_map_lookup_elem(&FT_MAP, &ai);
	if (!alt || ft_lock(alt))
		return false;
	f = ft_room(alt, now, tmo, &live);
	ft_opaque(f); /* else the compiler's f < 3 is not the verifier's */
	if (f < LBXDP_FT_WAYS) {
		alt->w[f] = *x;
		ft_tag_set(ai, f, lbxdp_ft_tag_of(h));
		FT_MOVE_BETWEEN(x);
		/* Seal the way it leaves (the caller writes over it): a
		 * touch that found the flow there landed before this, and is
		 * carried to the copy, or fails, and looks again. */
		s = __sync_val_compare_and_swap(&x->seen, alt->w[f].seen, 0);
		if (s != alt->w[f].seen)
			alt->w[f].seen = s;
	}
	ft_unlock(alt);
	return f < LBXDP_FT_WAYS;
}

#ifndef FT_INLINE_LOOPS
/* A move's candidates, FT_MOVE_TRIES of the six, in bpf_loop(): the
 * verifier walks its body once, not once a way. Try k is way k / 2 of
 * bucket k % 2: each try reads and holds a bucket elsewhere, a cache miss,
 * which fails anyway in a full table; three tries left 1 flow of 8M
 * without a way at half load in a simulation, six none
 * (docs/flow-table.md). */
struct ft_move_ctx {
	__u32 idx0, idx1, nb, seed, now, tmo;
	__u32 done; /* way j of bucket i freed: i * 3 + j + 1 */
};

static long ft_move_cb(__u32 k, void *arg)
{
	struct ft_move_ctx *c = arg;
	__u32 j = k >> 1, bi = k & 1 ? c->idx1 : c->idx0;
	__u32 other = k & 1 ? c->idx0 : c->idx1;
	struct lbxdp_ft_bucket *b;
	bool moved;

	/* The bucket looked up again (held, in cache), not passed: the
	 * context's bytes are on the stack of a writer whose stack is
	 * short (lbxdp's program). */
	b = bpf_map_lookup_elem(&FT_MAP, &bi);
	moved = b && ft_move(c->nb, c->seed, b, bi, other, j, c->now, c->tmo);
	if (!moved)
		return 0;
	c->done = (k & 1 ? LBXDP_FT_WAYS : 0) + j + 1;
	return 1;
}
#endif

/* Tries to free a way of the held pair @b by a move: way j of bucket i
 * freed, i * 3 + j + 1, or 0. */
static __always_inline __u32 ft_move_some(__u32 nb, __u32 seed,
					  struct lbxdp_ft_bucket *b[2],
					  const __u32 idx[2], __u32 now,
					  __u32 tmo)
{
#ifdef FT_INLINE_LOOPS
	/* Direct calls, no context on the stack (see ft_lock()). */
	__u32 k, j;

	for (k = 0; k < FT_MOVE_TRIES; k++) {
		j = k >> 1;
		if (k & 1) {
			if (ft_move(nb, seed, b[1], idx[1], idx[0], j, now,
				    tmo))
				return LBXDP_FT_WAYS + j + 1;
		} else if (ft_move(nb, seed, b[0], idx[0], idx[1], j, now,
				   tmo)) {
			return j + 1;
		}
	}
	return 0;
#else
	struct ft_move_ctx mc = {
		.idx0 = idx[0],
		.idx1 = idx[1],
		.nb = nb,
		.seed = seed,
		.now = now,
		.tmo = tmo,
	};

	bpf_loop(FT_MOVE_TRIES, ft_move_cb, &mc, 0);
	return mc.done;
#endif
}

/* Writes @w into way @j of @b (held, index @bi), and its tag. (Hashed
 * here, not once a put: a value kept across the put would not fit on
 * lbxdp's stack.) */
static __always_inline void ft_write(struct lbxdp_ft_bucket *b, __u32 bi,
				     __u32 seed, __u32 j,
				     const struct lbxdp_ft_way *w)
{
	if (j < LBXDP_FT_WAYS) {
		b->w[j] = *w;
		ft_tag_set(bi, j, lbxdp_ft_tag(w, seed));
	}
}

static __always_inline int ft_put_held(__u32 nb, __u32 seed,
				       struct lbxdp_ft_bucket *b[2],
				       const __u32 idx[2],
				       struct lbxdp_ft_way *w, __u32 now,
				       __u32 tmo, int keep)
{
	__u32 f0, f1, l0, l1, k, s = 0, oldest = 0, age;
	int i, j;

	for (i = 0; i < 2; i++) {
		for (j = 0; j < LBXDP_FT_WAYS; j++) {
			struct lbxdp_ft_way *x = &b[i]->w[j];

			if (!x->seen || !lbxdp_ft_same(x, w))
				continue;
			/* Compared under the pair's seqs: no writer can come
			 * between (a touch only makes it more recent). */
			if (keep == FT_KEEP ||
			    (keep == FT_KEEP_NEWER &&
			     lbxdp_ft_age(now, x->seen) <=
				     lbxdp_ft_age(now, w->seen))) {
				*w = *x;
				return FT_KEPT;
			}
			ft_write(b[i], idx[i], seed, j, w);
			return FT_REWRITTEN;
		}
	}
	if (keep == FT_EXIST)
		return FT_ABSENT;
	/* Into the emptier bucket. (Opaque: each value of them would be a
	 * state of its own for the verifier to walk the rest with.) */
	f0 = ft_room(b[0], now, tmo, &l0);
	f1 = ft_room(b[1], now, tmo, &l1);
	ft_opaque(f0);
	ft_opaque(f1);
	ft_opaque(l0);
	ft_opaque(l1);
	if (l1 < l0 && f1 < LBXDP_FT_WAYS) {
		ft_write(b[1], idx[1], seed, f1, w);
		return FT_ADDED;
	}
	if (f0 < LBXDP_FT_WAYS) {
		ft_write(b[0], idx[0], seed, f0, w);
		return FT_ADDED;
	}
	/* Both full: a way freed by a move. */
	k = ft_move_some(nb, seed, b, idx, now, tmo);
	ft_opaque(k);
	if (k >= 1 && k <= LBXDP_FT_WAYS) {
		ft_write(b[0], idx[0], seed, k - 1, w);
		return FT_MOVED;
	}
	if (k > LBXDP_FT_WAYS && k <= 2 * LBXDP_FT_WAYS) {
		ft_write(b[1], idx[1], seed, k - 1 - LBXDP_FT_WAYS, w);
		return FT_MOVED;
	}
	/* Else over the flow seen longest ago of the six: the largest now -
	 * seen, in the window lbxdp_ft_age() reads, where a stamp ahead (up
	 * to LBXDP_FT_AHEAD) is the least, and the further ahead the less. */
	for (i = 0; i < 2; i++) {
		for (j = 0; j < LBXDP_FT_WAYS; j++) {
			age = now + LBXDP_FT_AHEAD - b[i]->w[j].seen;
			if (age > oldest) {
				oldest = age;
				s = i * LBXDP_FT_WAYS + j;
			}
			ft_opaque(s);
			ft_opaque(oldest);
		}
	}
	/* A peer's entry, stamped with its own time, evicts no flow seen
	 * since: that flow is the likelier to be alive. */
	if (keep == FT_KEEP_NEWER && now + LBXDP_FT_AHEAD - w->seen >= oldest)
		return FT_STALE;
	if (s < LBXDP_FT_WAYS)
		ft_write(b[0], idx[0], seed, s, w);
	else
		ft_write(b[1], idx[1], seed, s - LBXDP_FT_WAYS, w);
	return FT_EVICTED;
}

/*
 * Writes flow @w (its key, where it goes, when it was seen), unless it is
 * there and @keep says to leave it (FT_KEEP; FT_KEEP_NEWER, if seen as
 * recently): then *w is what is there (a flow another CPU placed first
 * keeps its place; a synced entry does not go over a newer one, nor evict
 * one: FT_STALE). With
 * FT_EXIST, only over the flow's way: FT_ABSENT if it has none, so that
 * a flow deleted since its writer read it is not brought back. Into a
 * free or expired way (at @now, the writer's clock in seen units, which
 * the program's new flows are seen at and lbxdp's copied ones may be long
 * before; @tmo: the longest timeout of any flow in the table, so that no
 * live flow reads as expired), else after moving one flow of its two full
 * buckets to its other, else over the flow seen longest ago of the six.
 * FT_* result.
 */
static __always_inline int ft_put(__u32 nb, __u32 seed, struct lbxdp_ft_way *w,
				  __u32 now, __u32 tmo, int keep)
{
	struct lbxdp_ft_bucket *b[2];
	__u32 idx[2];
	int r;

	if (!ft_buckets(nb, seed, w, b, idx))
		return -2; /* ENOENT */
	if (ft_lock_pair(b, idx))
		return FT_BUSY;
	r = ft_put_held(nb, seed, b, idx, w, now, tmo, keep);
	ft_unlock(b[0]);
	ft_unlock(b[1]);
	return r;
}

#ifndef FT_DEL_BETWEEN
/* Tests (bpf/ft_test.bpf.c): a touch between a delete's compare of way
 * @x's seen and its free. */
#define FT_DEL_BETWEEN(x)
#endif

/* Frees @k's way if its seen is @seen, or whatever it is for 0: 1 if
 * freed, 0 if not there (or seen since), FT_BUSY. */
static __always_inline int ft_del_if(__u32 nb, __u32 seed,
				     const struct lbxdp_ft_way *k, __u32 seen)
{
	struct lbxdp_ft_bucket *b[2];
	__u32 idx[2];
	int i, j, r = 0;

	if (!ft_buckets(nb, seed, k, b, idx))
		return 0;
	if (ft_lock_pair(b, idx))
		return FT_BUSY;
	for (i = 0; i < 2 && !r; i++) {
		for (j = 0; j < LBXDP_FT_WAYS; j++) {
			struct lbxdp_ft_way *x = &b[i]->w[j];

			if (x->seen && lbxdp_ft_same(x, k)) {
				r = 2;
				if (seen && x->seen != seen)
					break;
				FT_DEL_BETWEEN(x);
				/* A touch (no seq) since the compare is a
				 * packet of the flow: it keeps its entry. */
				if (!seen)
					x->seen = 0;
				else if (__sync_val_compare_and_swap(
						 &x->seen, seen, 0) != seen)
					break;
				r = 1;
				break;
			}
		}
	}
	ft_unlock(b[0]);
	ft_unlock(b[1]);
	return r == 1;
}

/* Frees @k's way: 1 if it was there, 0 if not, FT_BUSY. */
static __always_inline int ft_del(__u32 nb, __u32 seed,
				  const struct lbxdp_ft_way *k)
{
	return ft_del_if(nb, seed, k, 0);
}

#endif /* LBXDP_BPF_FLOWTAB_H */
