// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Schedule tables: the wrr/rr sequence and the weighted Maglev ring. Pure
 * functions of the backend set; maps.c writes what they return.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lbxdp/abi.h"
#include "lbxdp/hash.h"
#include "sched.h"

/* Canonical order: by address, so the tables do not depend on the order in
 * which the backends were added. Weight and id only break ties between
 * duplicates, which wrr tolerates, so that even then qsort is deterministic. */
static int be_cmp(const void *a, const void *b)
{
	const struct lbxdp_sched_backend *x = a, *y = b;
	int r = memcmp(x->addr, y->addr, sizeof(x->addr));

	if (r)
		return r;
	if (x->weight != y->weight)
		return x->weight < y->weight ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return 0;
}

static __u32 gcd(__u32 a, __u32 b)
{
	while (b) {
		__u32 t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/*
 * A sorted copy of the backends with weight > 0 in *@out (*@m of them).
 * With @uniq, -EINVAL if two backends share an address: the result would
 * depend on which comes first, and the caller has a bug.
 */
static int sorted_used(const struct lbxdp_sched_backend *be, size_t n,
		       bool uniq, struct lbxdp_sched_backend **out, size_t *m)
{
	struct lbxdp_sched_backend *v;
	size_t i, k = 0;

	*out = NULL;
	*m = 0;
	if (!n)
		return 0;
	v = malloc(n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	memcpy(v, be, n * sizeof(*v));
	qsort(v, n, sizeof(*v), be_cmp);
	for (i = 0; i < n; i++) {
		if (uniq && i &&
		    !memcmp(v[i - 1].addr, v[i].addr, sizeof(v->addr))) {
			free(v);
			return -EINVAL;
		}
		if (v[i].weight)
			v[k++] = v[i];
	}
	*out = v;
	*m = k;
	return 0;
}

int lbxdp_wrr_build(const struct lbxdp_sched_backend *be, size_t n,
		    bool ignore_weights, __u32 *out, size_t cap, size_t *len)
{
	struct lbxdp_sched_backend *v;
	__u32 g = 0, wmax = 0, cw;
	__u64 sum = 0;
	size_t m, i, k = 0;
	int err;

	if (!len || (n && !be))
		return -EINVAL;
	*len = 0;
	err = sorted_used(be, n, false, &v, &m);
	if (err)
		return err;
	for (i = 0; i < m; i++) {
		if (ignore_weights)
			v[i].weight = 1;
		g = gcd(v[i].weight, g);
	}
	for (i = 0; i < m; i++) {
		v[i].weight /= g;
		sum += v[i].weight;
		if (v[i].weight > wmax)
			wmax = v[i].weight;
	}
	*len = sum;
	if (sum > cap || (sum && !out)) { /* a NULL @out holds nothing */
		free(v);
		return -E2BIG;
	}
	/*
	 * IPVS's ip_vs_wrr_schedule() unrolled: the current weight starts at
	 * the largest weight and drops by the gcd (1 after the reduction)
	 * each pass; a pass takes every backend whose weight reaches it. So
	 * heavy backends are spread through the schedule, not bunched.
	 */
	for (cw = wmax; cw > 0; cw--)
		for (i = 0; i < m; i++)
			if (v[i].weight >= cw)
				out[k++] = v[i].id;
	free(v);
	return 0;
}

struct mg_state {
	__u64 placed;
	__u32 pos; /* current slot of its permutation */
	__u32 skip;
	__u32 weight;
	__u32 id;
};

/* Next slot of a permutation: (p + skip) mod M without a division. */
static __u32 mg_step(__u32 p, __u32 skip, __u32 m)
{
	__u64 q = (__u64)p + skip;

	return q >= m ? q - m : q;
}

/*
 * Heap key: round of the backend's next placement, then its index, in one
 * integer so that a comparison is one instruction. The heaviest backend
 * places once per round from round 1, so the ring is full by round M and
 * a later round may be clamped to UINT32_MAX.
 */
static __u64 mg_key(const struct mg_state *b, __u32 wmax, __u32 idx)
{
	__u64 round = ((b->placed + 1) * wmax + b->weight - 1) / b->weight;

	if (round > UINT32_MAX)
		round = UINT32_MAX;
	return round << 32 | idx;
}

static void mg_sift_down(__u64 *heap, size_t m, size_t i)
{
	__u64 x = heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= m)
			break;
		if (c + 1 < m && heap[c + 1] < heap[c])
			c++;
		if (x <= heap[c])
			break;
		heap[i] = heap[c];
		i = c;
	}
	heap[i] = x;
}

int lbxdp_maglev_build(const struct lbxdp_sched_backend *be, size_t n,
		       __u32 *ring, __u32 ring_size)
{
	struct lbxdp_sched_backend *v;
	struct mg_state *st = NULL;
	__u64 *taken = NULL;
	__u64 *heap = NULL;
	__u32 wmax = 0, filled = 0;
	size_t m = 0, i;
	int err;

	if (!lbxdp_is_prime(ring_size) || !ring || (n && !be) || n > UINT32_MAX)
		return -EINVAL;
	err = sorted_used(be, n, true, &v, &m);
	if (err)
		return err;
	if (!m) {
		free(v);
		for (i = 0; i < ring_size; i++)
			ring[i] = LBXDP_BACKEND_NONE;
		return 0;
	}
	err = -ENOMEM;
	st = calloc(m, sizeof(*st));
	heap = calloc(m, sizeof(*heap));
	taken = calloc(ring_size / 64 + 1, sizeof(*taken));
	if (!st || !heap || !taken)
		goto out;

	for (i = 0; i < m; i++)
		if (v[i].weight > wmax)
			wmax = v[i].weight;
	for (i = 0; i < m; i++) {
		__u32 off = lbxdp_hash_addr(v[i].addr, LBXDP_SEED_OFFSET);
		__u32 skip = lbxdp_hash_addr(v[i].addr, LBXDP_SEED_SKIP);

		/* Slot j of the permutation is (offset + j * skip) mod M. */
		st[i].pos = off % ring_size;
		st[i].skip = skip % (ring_size - 1) + 1;
		st[i].weight = v[i].weight;
		st[i].id = v[i].id;
		heap[i] = mg_key(&st[i], wmax, i);
	}
	for (i = m / 2; i-- > 0;)
		mg_sift_down(heap, m, i);

	/*
	 * Maglev's population loop, weighted by credit: in every round each
	 * backend gains weight/wmax of a slot and places one entry per whole
	 * slot earned, in address order. Rather than walking rounds in
	 * which light backends place nothing, a heap keyed by (round of the
	 * next placement, index) yields the same sequence of placements in
	 * O(M log n), whatever the ratio of the weights.
	 */
	while (filled < ring_size) {
		__u32 idx = (__u32)heap[0];
		struct mg_state *b = &st[idx];
		__u32 p = b->pos;

		/* The permutation visits every slot (prime size, skip in
		 * [1, M-1]), so a free one is found while filled < M. */
		while (taken[p / 64] & (1ULL << (p % 64)))
			p = mg_step(p, b->skip, ring_size);
		taken[p / 64] |= 1ULL << (p % 64);
		ring[p] = b->id;
		filled++;
		b->pos = mg_step(p, b->skip, ring_size);
		b->placed++;
		heap[0] = mg_key(b, wmax, idx);
		mg_sift_down(heap, m, 0);
	}
	err = 0;
out:
	free(taken);
	free(heap);
	free(st);
	free(v);
	return err;
}

bool lbxdp_is_prime(__u32 n)
{
	__u32 d;

	if (n < 2)
		return false;
	if (n % 2 == 0)
		return n == 2;
	for (d = 3; (__u64)d * d <= n; d += 2)
		if (n % d == 0)
			return false;
	return true;
}
