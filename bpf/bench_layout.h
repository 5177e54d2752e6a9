/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * make bench's flow-table layouts (bpf/bench_layout.bpf.c, driven by
 * tests/bench/layout.c): what the program and the benchmark agree on.
 * The buckets are lbxdp/flowtab.h's, worked by bpf/flowtab.h.
 */
#ifndef LBXDP_BENCH_LAYOUT_H
#define LBXDP_BENCH_LAYOUT_H

#include <linux/types.h>

#define BL_VIP 1

/* The benchmark's state, one entry: which flows a run's packets are of.
 * Packet i of a find is of flow (next + i) * mul % mod, a scattered order;
 * of an add, of flow next + i, never seen before. */
struct bl_state {
	__u64 next;
	__u64 mul;
	__u64 mod;
	__u32 prefix; /* the flows' source /16, host order, upper half */
	__u32 nbuckets;
	__u32 seed; /* the bucket table's (lbxdp_ft_pair()) */
	__u32 pad;
	__u64 hits;    /* finds that found their flow */
	__u64 busy;    /* finds or adds that met a writer three times */
	__u64 added;   /* adds that wrote an entry */
	__u64 evicted; /* of them, over a live flow (own layout) */
};

#define BL_FLOW_PORTS 60000
#define BL_FLOW_PORT0 1024

static inline __u32 bl_saddr(__u32 prefix, __u64 n)
{
	return prefix << 16 | (__u32)(n / BL_FLOW_PORTS);
}

static inline __u16 bl_sport(__u64 n)
{
	return (__u16)(BL_FLOW_PORT0 + n % BL_FLOW_PORTS);
}

#endif /* LBXDP_BENCH_LAYOUT_H */
