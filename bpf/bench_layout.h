/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * make bench's flow-table layouts (bpf/bench_layout.bpf.c, driven by
 * tests/bench/layout.c): what the program and the benchmark agree on.
 * Not lbxdp's ABI: a layout measured before lbxdp's flows map takes it.
 */
#ifndef LBXDP_BENCH_LAYOUT_H
#define LBXDP_BENCH_LAYOUT_H

#include <linux/types.h>

/*
 * A flow in a bucket: IPv4 client and ports, the VIP's id in place of its
 * address, port and protocol, what lbxdp's entry holds (backend, its gen
 * cut to 16 bits) and when the flow was last seen, in units of 2^24 ns
 * (0: a free way).
 */
struct bl_way {
	__be32 saddr;
	__be16 sport;
	__be16 dport;
	__u16 vip;
	__u16 gen;
	__u32 backend;
	__u32 seen;
};

/* One cache line: a writer holds it while @seq is odd; a reader takes
 * what it read only if @seq was even and did not move. */
struct bl_bucket {
	__u32 seq;
	struct bl_way w[3];
};

#define BL_WAYS 3
#define BL_SEEN_SHIFT 24
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

static inline __u32 bl_mix(__u32 x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

/* The two buckets of a flow: two hashes of its key, each scaled to
 * @nbuckets by a multiply (no power of two needed). */
static inline void bl_buckets(__u32 saddr, __u16 sport, __u16 dport, __u16 vip,
			      __u32 nbuckets, __u32 b[2])
{
	__u32 h = bl_mix(saddr ^ bl_mix((__u32)sport << 16 | dport) ^
			 (__u32)vip << 7);
	__u32 g = bl_mix(h ^ 0x9e3779b9U);

	b[0] = (__u32)(((__u64)h * nbuckets) >> 32);
	b[1] = (__u32)(((__u64)g * nbuckets) >> 32);
}

#endif /* LBXDP_BENCH_LAYOUT_H */
