// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Known answers of include/lbxdp/hash.h. The hashes are part of the map
 * ABI: two load balancers, or two builds of lbxdp with the same ABI
 * version, must place a flow alike. Every other test computes its
 * expectations with the same header, so only fixed values catch a change;
 * one that is meant must come with a new LBXDP_ABI_VERSION and new values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>

#include "lbxdp/abi.h"
#include "lbxdp/flowtab.h"
#include "lbxdp/hash.h"
#include "sched.h"

static void test_flow_v4(void **state)
{
	/* 198.19.0.1:40000 -> 198.18.0.10:80/tcp and :5353 -> :53/udp */
	const __be32 src[4] = {htonl(0xc6130001U)},
		     dst[4] = {htonl(0xc612000aU)};

	(void)state;
	/* ABI 3 and 4 kept ABI 2's hashes: an upgraded LB places flows
	 * alike. */
	assert_int_equal(LBXDP_ABI_VERSION, 4);
	assert_int_equal(lbxdp_hash_flow(src, dst, htons(40000), htons(80),
					 IPPROTO_TCP, LBXDP_AF_INET),
			 0xe17b0299U);
	assert_int_equal(lbxdp_hash_flow(src, dst, htons(5353), htons(53),
					 IPPROTO_UDP, LBXDP_AF_INET),
			 0x24bc268eU);
}

static void test_flow_v6(void **state)
{
	/* 2001:db8::1:40000 -> 2001:db8::10:443/tcp */
	const __be32 src[4] = {htonl(0x20010db8U), 0, 0, htonl(1)};
	const __be32 dst[4] = {htonl(0x20010db8U), 0, 0, htonl(0x10)};

	(void)state;
	assert_int_equal(lbxdp_hash_flow(src, dst, htons(40000), htons(443),
					 IPPROTO_TCP, LBXDP_AF_INET6),
			 0x596f0693U);
}

static void test_addr(void **state)
{
	const __be32 a[4] = {htonl(0xc6130001U)};

	(void)state;
	assert_int_equal(lbxdp_hash_addr(a, LBXDP_SEED_FLOW), 0x76868b72U);
	assert_int_equal(lbxdp_hash_addr(a, LBXDP_SEED_OFFSET), 0xa759a5fdU);
	assert_int_equal(lbxdp_hash_addr(a, LBXDP_SEED_SKIP), 0x121da1e6U);
}

/* The other half of two LBs agreeing: the table those hashes build. */
static void test_maglev_table(void **state)
{
	static const __u32 want[13] = {3, 3, 1, 2, 3, 3, 3, 2, 3, 2, 1, 2, 3};
	struct lbxdp_sched_backend b[3] = {};
	__u32 ring[13];
	int i;

	(void)state;
	/* 198.18.1.1-3, weights 1, 2, 3 */
	for (i = 0; i < 3; i++) {
		b[i].id = i + 1;
		b[i].weight = i + 1;
		b[i].addr[0] = htonl(0xc6120101U + i);
	}
	assert_int_equal(lbxdp_maglev_build(b, 3, ring, 13), 0);
	assert_memory_equal(ring, want, sizeof(want));
}

static void test_ring_slot(void **state)
{
	(void)state;
	assert_int_equal(lbxdp_ring_slot(0, 65537), 0);
	assert_int_equal(lbxdp_ring_slot(0xffffffffU, 65537), 65536);
	assert_int_equal(lbxdp_ring_slot(0x80000000U, 65537), 32768);
	assert_int_equal(lbxdp_ring_slot(0x12345678U, 65537), 4660);
}

/* A way's seen (lbxdp/flowtab.h): units of 2^24 ns of the program's clock,
 * never 0 (a free way); its age up to 2^32 - LBXDP_FT_AHEAD units across
 * their wrap after 2^56 ns, a stamp at most LBXDP_FT_AHEAD ahead aged 0;
 * its time read back by the same rule. */
static void test_ft_seen(void **state)
{
	const __u64 u = 1ULL << LBXDP_FT_SEEN_SHIFT, wrap = u << 32;
	const __u64 at[] = {0, 7 * u, wrap - 9 * u, wrap + 3 * u,
			    5 * wrap + 11 * u};
	const __s64 ago[] = {
		0, 1, 1000, 0x7fffffff, 0xf0000000, -2, -(__s64)LBXDP_FT_AHEAD};
	size_t i, j;

	(void)state;
	assert_int_equal(lbxdp_ft_age(10, 3), 7);
	assert_int_equal(lbxdp_ft_age(5, 5), 0);
	assert_int_equal(lbxdp_ft_age(3, 10), 0);
	assert_int_equal(lbxdp_ft_age(0x10, 0xfffffff0U), 0x20);
	assert_int_equal(lbxdp_ft_age(100, 100 + LBXDP_FT_AHEAD), 0);
	/* Further ahead: seen long ago, before the units wrapped. */
	assert_int_equal(lbxdp_ft_age(100, 100 + LBXDP_FT_AHEAD + 1),
			 0xffffffffU - LBXDP_FT_AHEAD);
	/* Older than 2^31 units (417 days) is old, not ahead. */
	assert_int_equal(lbxdp_ft_age(0xf0000005U, 5), 0xf0000000U);
	assert_int_equal(lbxdp_ft_seen(0), 1);
	assert_int_equal(lbxdp_ft_seen(5 * u + 3), 6);
	/* The unit that would read 0 reads as the next one. */
	assert_int_equal(lbxdp_ft_seen(wrap - 1), 1);
	assert_int_equal(lbxdp_ft_seen(wrap), 1);
	assert_int_equal(lbxdp_ft_seen(wrap + u), 2);
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		for (j = 0; j < sizeof(ago) / sizeof(ago[0]); j++) {
			__u64 now = at[i] + u / 2, t = now - ago[j] * (__s64)u;
			__u32 seen = lbxdp_ft_seen(t);

			if (ago[j] * (__s64)u > (__s64)now)
				continue; /* before the clock began */
			if ((__u32)(t >> LBXDP_FT_SEEN_SHIFT) == 0xffffffffU)
				t += u;
			assert_int_equal(lbxdp_ft_seen_ns(seen, now),
					 t & ~(u - 1));
			assert_int_equal(
				lbxdp_ft_seen(lbxdp_ft_seen_ns(seen, now)),
				seen);
		}
	}
	/* A stamp before the clock began (never written): time 0. */
	assert_int_equal(lbxdp_ft_seen_ns(0xffffffffU, 5 * u), 0);
	assert_int_equal(lbxdp_ft_seen_ns(7, 5 * u), 6 * u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flow_v4),
		cmocka_unit_test(test_flow_v6),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_ring_slot),
		cmocka_unit_test(test_maglev_table),
		cmocka_unit_test(test_ft_seen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
