// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Benchmark only (make bench, "Flow-table layouts"): one packet's flow
 * lookup, or a new flow's entry, in lbxdp's flows map (the kernel's LRU
 * hash, as lbxdp keys it) against a table of 64-byte buckets that the
 * map cannot give (bench_layout.h). A run does the work for the flow the
 * state names; the frame is not read.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "lbxdp/abi.h"
#include "bench_layout.h"

#define barrier() asm volatile("" ::: "memory")
#define TCP_TIMEOUT_NS (LBXDP_DEF_TCP_TIMEOUT * 1000000000ULL)
#define VIP_ADDR 0xc612ff01U /* 198.18.255.1 */
#define VIP_PORT 80
#define TRIES 3

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct lbxdp_flow_key);
	__type(value, struct lbxdp_flow);
	__uint(max_entries, 1); /* sized by the benchmark */
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct bl_bucket);
	__uint(max_entries, 1); /* sized by the benchmark */
} buckets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct bl_state);
	__uint(max_entries, 1);
} state SEC(".maps");

/* This run's flow, into @saddr and @sport; NULL without the state. */
static __always_inline struct bl_state *flow_of(bool add, __u32 *saddr,
						__u16 *sport)
{
	struct bl_state *st;
	__u32 zero = 0;
	__u64 n;

	st = bpf_map_lookup_elem(&state, &zero);
	if (!st || !st->mod)
		return NULL;
	n = st->next++;
	if (!add)
		n = n * st->mul % st->mod;
	*saddr = bl_saddr(st->prefix, n);
	*sport = bl_sport(n);
	return st;
}

static __always_inline void lru_key(struct lbxdp_flow_key *k, __u32 saddr,
				    __u16 sport)
{
	k->src[0] = saddr;
	k->dst[0] = VIP_ADDR;
	k->sport = sport;
	k->dport = VIP_PORT;
	k->proto = 6;
	k->family = LBXDP_AF_INET;
}

/* Units of bl_way.seen, never 0 (a free way). */
static __always_inline __u32 seen_now(__u64 now)
{
	return (__u32)(now >> BL_SEEN_SHIFT) + 1;
}

static __always_inline bool way_live(const struct bl_way *w, __u32 now)
{
	return w->seen && now - w->seen <= (TCP_TIMEOUT_NS >> BL_SEEN_SHIFT);
}

static __always_inline bool way_is(const struct bl_way *w, __u32 saddr,
				   __u16 sport)
{
	return w->saddr == saddr && w->sport == sport && w->dport == VIP_PORT &&
	       w->vip == BL_VIP;
}

/* The key's flow in its two buckets, read as a whole between two even
 * reads of their seq: 1 found (into @out), 0 not, -1 a writer each try. */
static __always_inline int own_find(const struct bl_state *st, __u32 saddr,
				    __u16 sport, struct bl_way *out)
{
	struct bl_bucket *bk[2];
	__u32 b[2], s[2];
	int t, i, j, found;

	bl_buckets(saddr, sport, VIP_PORT, BL_VIP, st->nbuckets, b);
	bk[0] = bpf_map_lookup_elem(&buckets, &b[0]);
	bk[1] = bpf_map_lookup_elem(&buckets, &b[1]);
	if (!bk[0] || !bk[1])
		return 0;
	for (t = 0; t < TRIES; t++) {
		s[0] = *(volatile __u32 *)&bk[0]->seq;
		s[1] = *(volatile __u32 *)&bk[1]->seq;
		barrier();
		found = 0;
		for (i = 0; i < 2 && !found; i++) {
			for (j = 0; j < BL_WAYS; j++) {
				if (way_is(&bk[i]->w[j], saddr, sport)) {
					*out = bk[i]->w[j];
					found = 1;
					break;
				}
			}
		}
		barrier();
		if (!((s[0] | s[1]) & 1) &&
		    *(volatile __u32 *)&bk[0]->seq == s[0] &&
		    *(volatile __u32 *)&bk[1]->seq == s[1])
			return found;
	}
	return -1;
}

/* The way of @bk a new flow takes: a free or expired one, else the one
 * seen longest ago. */
static __always_inline int victim(const struct bl_bucket *bk, __u32 now)
{
	int j, v = 0;

	for (j = 0; j < BL_WAYS; j++) {
		if (!way_live(&bk->w[j], now))
			return j;
		if (bk->w[j].seen - bk->w[v].seen > 0x80000000U)
			v = j;
	}
	return v;
}

/* A new flow's entry: into the bucket of its two with a free way, else
 * the one whose stalest way is staler; written while holding its seq odd
 * (one compare-and-swap), so that readers skip the half-written way. */
static __always_inline int own_add(struct bl_state *st, __u32 saddr,
				   __u16 sport, __u32 now)
{
	struct bl_bucket *bk[2], *t;
	__u32 b[2], s;
	int v0, v1, v, try;

	bl_buckets(saddr, sport, VIP_PORT, BL_VIP, st->nbuckets, b);
	bk[0] = bpf_map_lookup_elem(&buckets, &b[0]);
	bk[1] = bpf_map_lookup_elem(&buckets, &b[1]);
	if (!bk[0] || !bk[1])
		return -1;
	v0 = victim(bk[0], now);
	v1 = victim(bk[1], now);
	t = bk[0];
	if (way_live(&bk[0]->w[v0], now) &&
	    (!way_live(&bk[1]->w[v1], now) ||
	     bk[1]->w[v1].seen - bk[0]->w[v0].seen > 0x80000000U))
		t = bk[1];
	for (try = 0; try < TRIES; try++) {
		s = *(volatile __u32 *)&t->seq;
		if (!(s & 1) &&
		    __sync_val_compare_and_swap(&t->seq, s, s + 1) == s)
			break;
	}
	if (try == TRIES)
		return -1;
	v = victim(t, now);
	if (way_live(&t->w[v], now))
		st->evicted++;
	t->w[v].saddr = saddr;
	t->w[v].sport = sport;
	t->w[v].dport = VIP_PORT;
	t->w[v].vip = BL_VIP;
	t->w[v].gen = 1;
	t->w[v].backend = 1;
	t->w[v].seen = now;
	barrier();
	*(volatile __u32 *)&t->seq = s + 2;
	return 0;
}

/* The floor: the state, the flow's key and the clock, looked up nowhere. */
SEC("xdp")
int bl_none(struct xdp_md *ctx)
{
	struct bl_state *st;
	__u32 saddr;
	__u16 sport;

	st = flow_of(false, &saddr, &sport);
	if (!st)
		return XDP_ABORTED;
	if (seen_now(bpf_ktime_get_coarse_ns()) && (saddr ^ sport))
		st->hits++;
	return XDP_DROP;
}

SEC("xdp")
int bl_lru_find(struct xdp_md *ctx)
{
	struct lbxdp_flow_key k = {};
	struct lbxdp_flow *f;
	struct bl_state *st;
	__u32 saddr;
	__u16 sport;
	__u64 now;

	st = flow_of(false, &saddr, &sport);
	if (!st)
		return XDP_ABORTED;
	now = bpf_ktime_get_coarse_ns();
	lru_key(&k, saddr, sport);
	f = bpf_map_lookup_elem(&flows, &k);
	if (f && now - f->last_seen_ns <= TCP_TIMEOUT_NS)
		st->hits++;
	return XDP_DROP;
}

SEC("xdp")
int bl_own_find(struct xdp_md *ctx)
{
	struct bl_state *st;
	struct bl_way w;
	__u32 saddr;
	__u16 sport;
	int r;

	st = flow_of(false, &saddr, &sport);
	if (!st)
		return XDP_ABORTED;
	r = own_find(st, saddr, sport, &w);
	if (r < 0)
		st->busy++;
	else if (r && way_live(&w, seen_now(bpf_ktime_get_coarse_ns())))
		st->hits++;
	return XDP_DROP;
}

SEC("xdp")
int bl_lru_add(struct xdp_md *ctx)
{
	struct lbxdp_flow_key k = {};
	struct lbxdp_flow f = {.backend = 1, .gen = 1};
	struct bl_state *st;
	__u32 saddr;
	__u16 sport;

	st = flow_of(true, &saddr, &sport);
	if (!st)
		return XDP_ABORTED;
	f.last_seen_ns = bpf_ktime_get_coarse_ns();
	lru_key(&k, saddr, sport);
	/* A SYN of a flow not in the table: looked up first, as lbxdp does. */
	if (!bpf_map_lookup_elem(&flows, &k) &&
	    !bpf_map_update_elem(&flows, &k, &f, BPF_ANY))
		st->added++;
	return XDP_DROP;
}

SEC("xdp")
int bl_own_add(struct xdp_md *ctx)
{
	struct bl_state *st;
	struct bl_way w;
	__u32 saddr, now;
	__u16 sport;

	st = flow_of(true, &saddr, &sport);
	if (!st)
		return XDP_ABORTED;
	now = seen_now(bpf_ktime_get_coarse_ns());
	if (own_find(st, saddr, sport, &w) == 0) {
		if (own_add(st, saddr, sport, now))
			st->busy++;
		else
			st->added++;
	}
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
