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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flow_v4),
		cmocka_unit_test(test_flow_v6),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_ring_slot),
		cmocka_unit_test(test_maglev_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
