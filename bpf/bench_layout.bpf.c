// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Benchmark only (make bench, "Flow-table layouts"): one packet's flow
 * lookup, or a new flow's entry, in lbxdp's flows map (the kernel's LRU
 * hash, as lbxdp keys it) against a table of 64-byte buckets that the
 * map cannot give (lbxdp/flowtab.h, worked by bpf/flowtab.h). A run does
 * the work for the flow the state names; the frame is not read.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "lbxdp/abi.h"
#include "bench_layout.h"

#define TCP_TIMEOUT_NS (LBXDP_DEF_TCP_TIMEOUT * 1000000000ULL)
#define TCP_TIMEOUT_SEEN ((__u32)(TCP_TIMEOUT_NS >> LBXDP_FT_SEEN_SHIFT))
#define VIP_ADDR 0xc612ff01U /* 198.18.255.1 */
#define VIP_PORT 80

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct lbxdp_flow_key);
	__type(value, struct lbxdp_flow);
	__uint(max_entries, 1); /* sized by the benchmark */
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct lbxdp_ft_bucket);
	__uint(max_entries, 1); /* sized by the benchmark */
	__uint(map_flags, BPF_F_MMAPABLE);
} buckets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct bl_state);
	__uint(max_entries, 1);
} state SEC(".maps");

#define FT_MAP buckets
#include "flowtab.h"

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

/* Units of lbxdp_ft_way.seen, never 0 (a free way). */
static __always_inline __u32 seen_now(__u64 now)
{
	return (__u32)(now >> LBXDP_FT_SEEN_SHIFT) + 1;
}

static __always_inline void own_key(struct lbxdp_ft_way *k, __u32 saddr,
				    __u16 sport)
{
	k->saddr = saddr;
	k->sport = sport;
	k->dport = VIP_PORT;
	k->vip = BL_VIP;
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
	struct lbxdp_ft_way k = {}, w, *at;
	struct bl_state *st;
	__u32 saddr;
	__u16 sport;
	int r;

	st = flow_of(false, &saddr, &sport);
	if (!st)
		return XDP_ABORTED;
	own_key(&k, saddr, sport);
	r = ft_find(st->nbuckets, st->seed, &k, &w, &at);
	if (r == FT_BUSY)
		st->busy++;
	else if (r == 1 && ft_live(&w, seen_now(bpf_ktime_get_coarse_ns()),
				   TCP_TIMEOUT_SEEN))
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
	struct lbxdp_ft_way k = {}, w, *at;
	struct bl_state *st;
	__u32 saddr;
	__u16 sport;
	int r;

	st = flow_of(true, &saddr, &sport);
	if (!st)
		return XDP_ABORTED;
	own_key(&k, saddr, sport);
	/* A SYN of a flow not in the table: looked up first, as for the LRU. */
	r = ft_find(st->nbuckets, st->seed, &k, &w, &at);
	if (r == FT_BUSY) {
		st->busy++;
		return XDP_DROP;
	}
	if (r)
		return XDP_DROP;
	k.gen = 1;
	k.backend = 1;
	k.seen = seen_now(bpf_ktime_get_coarse_ns());
	r = ft_put(st->nbuckets, st->seed, &k, k.seen, TCP_TIMEOUT_SEEN,
		   FT_KEEP);
	if (r == FT_BUSY || r < 0)
		st->busy++;
	else
		st->added++;
	if (r == FT_EVICTED)
		st->evicted++;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
