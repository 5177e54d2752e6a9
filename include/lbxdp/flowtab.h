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

/* The hash of @k's key with @seed (random for each table, so that a
 * client cannot aim its flows at one bucket pair). */
static inline __u32 lbxdp_ft_hash(const struct lbxdp_ft_way *k, __u32 seed)
{
	__u32 h = seed;

	h = lbxdp_hash_mix(h, lbxdp_be32(k->saddr));
	h = lbxdp_hash_mix(h,
			   lbxdp_be16(k->sport) << 16 | lbxdp_be16(k->dport));
	h = lbxdp_hash_mix(h, k->vip);
	return lbxdp_hash_final(h, 3);
}

/* The two buckets among @nbuckets (>= 2) of a key of hash @h, two
 * different ones, scaled by a multiply. */
static inline void lbxdp_ft_pair_of(__u32 h, __u32 nbuckets, __u32 b[2])
{
	__u32 g = lbxdp_hash_final(h ^ 0x9e3779b9U, 1);

	b[0] = (__u32)(((__u64)h * nbuckets) >> 32);
	b[1] = (__u32)(((__u64)g * nbuckets) >> 32);
	if (b[1] == b[0])
		b[1] = b[0] + 1 < nbuckets ? b[0] + 1 : 0;
}

static inline void lbxdp_ft_pair(const struct lbxdp_ft_way *k, __u32 seed,
				 __u32 nbuckets, __u32 b[2])
{
	lbxdp_ft_pair_of(lbxdp_ft_hash(k, seed), nbuckets, b);
}

/*
 * Map "flow_tags", BPF_MAP_TYPE_ARRAY [lbxdp_ft_ntags(ft_nbuckets)] of
 * __u64: a byte for each way of the table, so that a flow that is not
 * there is known without reading its two buckets (far beyond the caches
 * with a million flows; this map is 1/16 of their size). Byte
 * (i & 1) * 4 + j of element i / 2 is the tag of the key in way j of
 * bucket i, written with the way under the bucket's seq; 0 for none. A
 * way freed keeps its tag: a tag may be stale, never missing. Valid only
 * while config.flags has LBXDP_CFG_F_TAGS (attach sets it once it has
 * tagged what an older program wrote).
 */
static inline __u32 lbxdp_ft_ntags(__u32 nbuckets)
{
	return (nbuckets + 1) / 2;
}

/* The tag of a key of hash @h: its low byte, never 0. Its buckets come
 * from the high bits of @h and of another hash of it. */
static inline __u8 lbxdp_ft_tag_of(__u32 h)
{
	__u8 t = (__u8)h;

	return t ? t : 1;
}

static inline __u8 lbxdp_ft_tag(const struct lbxdp_ft_way *k, __u32 seed)
{
	return lbxdp_ft_tag_of(lbxdp_ft_hash(k, seed));
}

/*
 * How far a way's stamp may run ahead of a reader's now, in seen units
 * (2^20: 4.9 hours; lbxdp's clock and the program's differ by a tick).
 * A stamp further ahead is one seen long ago, before the units wrapped.
 */
#define LBXDP_FT_AHEAD (1U << 20)

/* Time @ns of the program's clock as a way's seen: its units wrap every
 * 2^56 ns (834 days), and the one unit that would read 0 (a free way)
 * reads 1. */
static inline __u32 lbxdp_ft_seen(__u64 ns)
{
	__u32 s = (__u32)(ns >> LBXDP_FT_SEEN_SHIFT) + 1;

	return s ? s : 1;
}

/* The age in seen units, at @now, of a way stamped @seen: 0 if ahead of
 * @now. Ages run to 2^32 - LBXDP_FT_AHEAD units (834 days) across the
 * units' wrap; a way idle longer, never taken since, reads as recent. */
static inline __u32 lbxdp_ft_age(__u32 now, __u32 seen)
{
	__u32 d = now - seen;

	return d >= (__u32)-LBXDP_FT_AHEAD ? 0 : d;
}

/* The time a way's @seen names, read at the program's time @now as
 * lbxdp_ft_age() reads it; lbxdp_ft_seen() gives @seen back. */
static inline __u64 lbxdp_ft_seen_ns(__u32 seen, __u64 now)
{
	__u64 units = now >> LBXDP_FT_SEEN_SHIFT;
	__u32 s = (__u32)units + 1, d = s - seen;

	if (d >= (__u32)-LBXDP_FT_AHEAD) /* ahead */
		return (units + (__u32)(seen - s)) << LBXDP_FT_SEEN_SHIFT;
	if (d > units) /* before the clock began */
		return 0;
	return (units - d) << LBXDP_FT_SEEN_SHIFT;
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
