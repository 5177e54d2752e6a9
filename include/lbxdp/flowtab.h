/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A flow table of lbxdp's own layout (docs/flow-table.md): buckets of one
 * cache line, a flow in either of two. The layout and the bucket pair of
 * a flow, shared by the table's operations in BPF (bpf/flowtab.h) and by
 * user space: lbxdp's flows map (map ABI 4).
 */
#ifndef LBXDP_FLOWTAB_H
#define LBXDP_FLOWTAB_H

#include <linux/types.h>
#include "lbxdp/hash.h"

#define LBXDP_FT_WAYS 3
/* seen counts units of 2^24 ns (16.8 ms) of the program's clock. */
#define LBXDP_FT_SEEN_SHIFT 24

/*
 * A flow: its IPv4 client and ports, its VIP's id in place of the VIP's
 * address, port and protocol; where it goes (the backend, its gen cut to
 * 16 bits) and when it was last seen. seen 0: a free way.
 */
struct lbxdp_ft_way {
	__be32 saddr;
	__be16 sport;
	__be16 dport;
	__u16 vip;
	__u16 gen;
	__u32 backend;
	__u32 seen;
};

/*
 * One cache line (in a BPF_F_MMAPABLE array, whose values the kernel
 * starts on a page). @seq is odd while a writer
 * holds the bucket; a reader keeps what it read only if the seq of both
 * of a flow's buckets was even and did not move.
 */
struct lbxdp_ft_bucket {
	__u32 seq;
	struct lbxdp_ft_way w[LBXDP_FT_WAYS];
};

_Static_assert(sizeof(struct lbxdp_ft_bucket) == 64, "one cache line");

static inline int lbxdp_ft_same(const struct lbxdp_ft_way *a,
				const struct lbxdp_ft_way *b)
{
	return a->saddr == b->saddr && a->sport == b->sport &&
	       a->dport == b->dport && a->vip == b->vip;
}

/*
 * The two buckets of @k's flow among @nbuckets (>= 2), two different
 * ones: a hash of its key with @seed (random for each table, so that a
 * client cannot aim its flows at one pair), scaled by a multiply.
 */
static inline void lbxdp_ft_pair(const struct lbxdp_ft_way *k, __u32 seed,
				 __u32 nbuckets, __u32 b[2])
{
	__u32 h = seed, g;

	h = lbxdp_hash_mix(h, lbxdp_be32(k->saddr));
	h = lbxdp_hash_mix(h,
			   lbxdp_be16(k->sport) << 16 | lbxdp_be16(k->dport));
	h = lbxdp_hash_mix(h, k->vip);
	h = lbxdp_hash_final(h, 3);
	g = lbxdp_hash_final(h ^ 0x9e3779b9U, 1);
	b[0] = (__u32)(((__u64)h * nbuckets) >> 32);
	b[1] = (__u32)(((__u64)g * nbuckets) >> 32);
	if (b[1] == b[0])
		b[1] = b[0] + 1 < nbuckets ? b[0] + 1 : 0;
}

/* The longest of the TCP and UDP timeouts (seconds) in seen units, plus
 * one: a way idle longer holds no live flow and is free for a new one.
 * Every writer of the table reads the timeouts at the write, for `timeout
 * set` may raise them meanwhile. */
static inline __u32 lbxdp_ft_tmo(__u32 tcp_timeout, __u32 udp_timeout)
{
	__u32 t = tcp_timeout > udp_timeout ? tcp_timeout : udp_timeout;

	return (__u32)(((__u64)t * 1000000000ULL) >> LBXDP_FT_SEEN_SHIFT) + 1;
}

#endif /* LBXDP_FLOWTAB_H */
