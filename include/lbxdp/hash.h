/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The hash that picks a Maglev slot for a flow, and the two that place a
 * backend in the Maglev table. Part of the ABI: two load balancers, or two
 * versions of lbxdp, must agree on it, so it works on host-order values and
 * never changes without a new LBXDP_ABI_VERSION. MurmurHash3's 32-bit body
 * and finaliser: cheap, well mixed, and the same code in BPF and user space.
 */
#ifndef LBXDP_HASH_H
#define LBXDP_HASH_H

#include <linux/types.h>
#include "lbxdp/abi.h"

#define LBXDP_SEED_FLOW 0x6c627864U
#define LBXDP_SEED_OFFSET 0x0ff5e7a1U
#define LBXDP_SEED_SKIP 0x5ca1ab1eU

static inline __u32 lbxdp_be32(__be32 v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap32((__u32)v);
#else
	return (__u32)v;
#endif
}

static inline __u32 lbxdp_be16(__be16 v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap16((__u16)v);
#else
	return (__u16)v;
#endif
}

static inline __u32 lbxdp_rotl32(__u32 x, int r)
{
	return (x << r) | (x >> (32 - r));
}

static inline __u32 lbxdp_hash_mix(__u32 h, __u32 k)
{
	k *= 0xcc9e2d51U;
	k = lbxdp_rotl32(k, 15);
	k *= 0x1b873593U;
	h ^= k;
	h = lbxdp_rotl32(h, 13);
	return h * 5 + 0xe6546b64U;
}

static inline __u32 lbxdp_hash_final(__u32 h, __u32 nwords)
{
	h ^= nwords * 4;
	h ^= h >> 16;
	h *= 0x85ebca6bU;
	h ^= h >> 13;
	h *= 0xc2b2ae35U;
	h ^= h >> 16;
	return h;
}

/* An address (16 bytes, IPv4 in the first word) with a seed. */
static inline __u32 lbxdp_hash_addr(const __be32 addr[4], __u32 seed)
{
	__u32 h = seed;

	h = lbxdp_hash_mix(h, lbxdp_be32(addr[0]));
	h = lbxdp_hash_mix(h, lbxdp_be32(addr[1]));
	h = lbxdp_hash_mix(h, lbxdp_be32(addr[2]));
	h = lbxdp_hash_mix(h, lbxdp_be32(addr[3]));
	return lbxdp_hash_final(h, 4);
}

/* The 5-tuple of a client-to-VIP packet (mh, and every hashed placement).
 * An IPv4 flow (@family LBXDP_AF_INET, addresses in word 0) hashes its
 * three words only. */
static inline __u32 lbxdp_hash_flow(const __be32 src[4], const __be32 dst[4],
				    __be16 sport, __be16 dport, __u8 proto,
				    __u8 family)
{
	__u32 h = LBXDP_SEED_FLOW;
	__u32 ports = lbxdp_be16(sport) << 16 | lbxdp_be16(dport);
	int i;

	/* Three independent multiplies, then the finaliser's avalanche: a
	 * short dependency chain, for this is on every stateless new flow. */
	if (family == LBXDP_AF_INET)
		return lbxdp_hash_final(
			h ^ lbxdp_be32(src[0]) * 0xcc9e2d51U ^
				lbxdp_rotl32(lbxdp_be32(dst[0]) * 0x1b873593U,
					     13) ^
				lbxdp_rotl32((ports ^ proto) * 0x85ebca6bU, 7),
			3);
	for (i = 0; i < 4; i++)
		h = lbxdp_hash_mix(h, lbxdp_be32(src[i]));
	for (i = 0; i < 4; i++)
		h = lbxdp_hash_mix(h, lbxdp_be32(dst[i]));
	h = lbxdp_hash_mix(h, ports);
	h = lbxdp_hash_mix(h, proto);
	return lbxdp_hash_final(h, 10);
}

/* The slot of @n that hash @h picks: multiply and shift (Lemire), as
 * uniform as h % n without a division on the packet path. */
static inline __u32 lbxdp_ring_slot(__u32 h, __u32 n)
{
	return (__u32)(((__u64)h * n) >> 32);
}

/* Which of the 64 bits of lbxdp_config.addr_bloom stands for @addr. */
static inline __u32 lbxdp_addr_bit(__be32 addr)
{
	return (lbxdp_be32(addr) * 0x9e3779b1U) >> 26;
}

#endif /* LBXDP_HASH_H */
