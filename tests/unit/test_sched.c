// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Scheduler tables: weights honoured, minimal disruption, canonical order. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lbxdp/abi.h"
#include "sched.h"

#define RING LBXDP_DEF_RING_SIZE
#define MAXB 64

/* Backend i: 10.0.0.(i+1), id i+1, so ids are never LBXDP_BACKEND_NONE. */
static struct lbxdp_sched_backend mkbe(unsigned int i, __u32 weight)
{
	struct lbxdp_sched_backend b = {
		.id = i + 1,
		.weight = weight,
	};

	b.addr[0] = htonl(0x0a000001U + i);
	return b;
}

static void fill(struct lbxdp_sched_backend *be, const __u32 *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		be[i] = mkbe(i, w[i]);
}

/* Fixed-seed xorshift: reproducible shuffles without rand()'s state. */
static __u32 xs(__u32 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void shuffle(struct lbxdp_sched_backend *be, size_t n, __u32 seed)
{
	size_t i;

	for (i = n; i > 1; i--) {
		size_t j = xs(&seed) % i;
		struct lbxdp_sched_backend t = be[i - 1];

		be[i - 1] = be[j];
		be[j] = t;
	}
}

static __u32 *ring_new(__u32 size)
{
	__u32 *r = calloc(size, sizeof(*r));

	assert_non_null(r);
	return r;
}

/* Each backend's share of the ring is within 1 % (relative) of its share
 * of the total weight. */
static void check_maglev_shares(const __u32 *w, size_t n)
{
	struct lbxdp_sched_backend be[MAXB];
	size_t count[MAXB + 1] = {0};
	__u32 *ring = ring_new(RING);
	double total = 0;
	size_t i;

	fill(be, w, n);
	for (i = 0; i < n; i++)
		total += w[i];
	assert_int_equal(lbxdp_maglev_build(be, n, ring, RING), 0);
	for (i = 0; i < RING; i++) {
		assert_in_range(ring[i], 1, n);
		count[ring[i]]++;
	}
	for (i = 0; i < n; i++) {
		double want = w[i] / total, got = (double)count[i + 1] / RING;

		if (got < want * 0.99 || got > want * 1.01)
			fail_msg("backend %zu weight %u: share %.5f, want %.5f",
				 i, w[i], got, want);
	}
	free(ring);
}

static void test_maglev_weights(void **state)
{
	static const __u32 w12[] = {1, 2}, w1234[] = {1, 2, 3, 4},
			   w10[] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
			   wmix[] = {1000, 2000, 500, 3000, 1500};

	check_maglev_shares(w12, 2);
	check_maglev_shares(w1234, 4);
	check_maglev_shares(w10, 10);
	check_maglev_shares(wmix, 5);
}

/* Removing one of N equal backends moves at most 1.2/N of the slots: its
 * own 1/N plus a little reshuffling among the others. */
static void check_disruption(size_t n)
{
	struct lbxdp_sched_backend be[MAXB], less[MAXB];
	__u32 *a = ring_new(RING), *b = ring_new(RING);
	size_t gone, i, j;

	for (i = 0; i < n; i++)
		be[i] = mkbe(i, 1);
	assert_int_equal(lbxdp_maglev_build(be, n, a, RING), 0);
	for (gone = 0; gone < n; gone++) {
		size_t moved = 0, k = 0;

		for (j = 0; j < n; j++)
			if (j != gone)
				less[k++] = be[j];
		assert_int_equal(lbxdp_maglev_build(less, k, b, RING), 0);
		for (i = 0; i < RING; i++) {
			assert_int_not_equal(b[i], be[gone].id);
			moved += a[i] != b[i];
		}
		if ((double)moved / RING > 1.2 / n)
			fail_msg(
				"N=%zu, backend %zu left: %.4f of the ring moved, limit %.4f",
				n, gone, (double)moved / RING, 1.2 / n);
	}
	free(a);
	free(b);
}

static void test_maglev_disruption(void **state)
{
	check_disruption(5);
	check_disruption(10);
	check_disruption(20);
}

static void test_maglev_order_independent(void **state)
{
	static const __u32 w[] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8};
	struct lbxdp_sched_backend be[12];
	__u32 *a = ring_new(RING), *b = ring_new(RING);
	__u32 seed;

	fill(be, w, 12);
	assert_int_equal(lbxdp_maglev_build(be, 12, a, RING), 0);
	for (seed = 1; seed < 6; seed++) {
		shuffle(be, 12, seed * 2654435761U);
		assert_int_equal(lbxdp_maglev_build(be, 12, b, RING), 0);
		assert_memory_equal(a, b, RING * sizeof(*a));
	}
	free(a);
	free(b);
}

/* A weight-0 backend gets no slot, and its presence changes nothing. */
static void test_maglev_weight_zero(void **state)
{
	struct lbxdp_sched_backend be[3] = {mkbe(0, 1), mkbe(1, 0), mkbe(2, 2)};
	struct lbxdp_sched_backend two[2] = {mkbe(0, 1), mkbe(2, 2)};
	__u32 *a = ring_new(RING), *b = ring_new(RING);
	size_t i;

	assert_int_equal(lbxdp_maglev_build(be, 3, a, RING), 0);
	for (i = 0; i < RING; i++)
		assert_int_not_equal(a[i], be[1].id);
	assert_int_equal(lbxdp_maglev_build(two, 2, b, RING), 0);
	assert_memory_equal(a, b, RING * sizeof(*a));
	free(a);
	free(b);
}

static void test_maglev_none(void **state)
{
	struct lbxdp_sched_backend be[2] = {mkbe(0, 0), mkbe(1, 0)};
	__u32 *r = ring_new(RING);
	size_t i;

	for (i = 0; i < RING; i++)
		r[i] = 0xdeadbeef;
	assert_int_equal(lbxdp_maglev_build(be, 2, r, RING), 0);
	for (i = 0; i < RING; i++)
		assert_int_equal(r[i], LBXDP_BACKEND_NONE);
	for (i = 0; i < RING; i++)
		r[i] = 0xdeadbeef;
	assert_int_equal(lbxdp_maglev_build(NULL, 0, r, RING), 0);
	for (i = 0; i < RING; i++)
		assert_int_equal(r[i], LBXDP_BACKEND_NONE);
	free(r);
}

static void test_maglev_errors(void **state)
{
	struct lbxdp_sched_backend be[2] = {mkbe(0, 1), mkbe(1, 1)};
	__u32 r[16];

	assert_int_equal(lbxdp_maglev_build(be, 2, r, 16), -EINVAL);
	assert_int_equal(lbxdp_maglev_build(be, 2, r, 15), -EINVAL);
	assert_int_equal(lbxdp_maglev_build(be, 2, r, 1), -EINVAL);
	assert_int_equal(lbxdp_maglev_build(be, 2, r, 0), -EINVAL);
	assert_int_equal(lbxdp_maglev_build(be, 2, r, 13), 0);
	/* Same address twice, even with weight 0: a caller bug. */
	be[1].addr[0] = be[0].addr[0];
	be[1].weight = 0;
	assert_int_equal(lbxdp_maglev_build(be, 2, r, 13), -EINVAL);
}

/* Tiny rings still fill every slot, each backend at least once. */
static void test_maglev_small(void **state)
{
	struct lbxdp_sched_backend be[3] = {mkbe(0, 1), mkbe(1, 1), mkbe(2, 1)};
	__u32 r[3];
	unsigned int seen = 0;
	size_t i;

	assert_int_equal(lbxdp_maglev_build(be, 3, r, 3), 0);
	for (i = 0; i < 3; i++) {
		assert_in_range(r[i], 1, 3);
		seen |= 1U << r[i];
	}
	assert_int_equal(seen, 0xe);
	assert_int_equal(lbxdp_maglev_build(be, 1, r, 2), 0);
	assert_int_equal(r[0], 1);
	assert_int_equal(r[1], 1);
}

/* The sizes the ABI allows: default ring with a full backend set of skewed
 * weights, and the largest ring. */
static void test_maglev_big(void **state)
{
	static struct lbxdp_sched_backend be[LBXDP_DEF_MAX_BACKENDS];
	__u32 *r = ring_new(LBXDP_MAX_RING_SIZE);
	__u32 seed = 12345;
	size_t i;

	for (i = 0; i < LBXDP_DEF_MAX_BACKENDS; i++)
		be[i] = mkbe(i, xs(&seed) % LBXDP_MAX_WEIGHT + 1);
	assert_int_equal(lbxdp_maglev_build(be, LBXDP_DEF_MAX_BACKENDS, r,
					    LBXDP_DEF_RING_SIZE),
			 0);
	for (i = 0; i < LBXDP_DEF_MAX_BACKENDS; i++)
		be[i].weight = i ? 1 : LBXDP_MAX_WEIGHT;
	assert_int_equal(lbxdp_maglev_build(be, LBXDP_DEF_MAX_BACKENDS, r,
					    LBXDP_MAX_RING_SIZE),
			 0);
	for (i = 0; i < LBXDP_MAX_RING_SIZE; i++)
		assert_in_range(r[i], 1, LBXDP_DEF_MAX_BACKENDS);
	free(r);
}

static void test_is_prime(void **state)
{
	assert_false(lbxdp_is_prime(0));
	assert_false(lbxdp_is_prime(1));
	assert_true(lbxdp_is_prime(2));
	assert_true(lbxdp_is_prime(3));
	assert_false(lbxdp_is_prime(4));
	assert_false(lbxdp_is_prime(65535));
	assert_false(lbxdp_is_prime(65536));
	assert_true(lbxdp_is_prime(65537));
	assert_true(lbxdp_is_prime(LBXDP_MAX_RING_SIZE));
	assert_false(lbxdp_is_prime(LBXDP_MAX_RING_SIZE + 2)); /* 1048575 */
	assert_true(lbxdp_is_prime(4294967291U)); /* largest u32 prime */
	assert_false(lbxdp_is_prime(4294967295U));
}

/* The reference case: web1 weight 1, web2 weight 2, whichever order. */
static void test_wrr_reference(void **state)
{
	struct lbxdp_sched_backend be[2] = {
		{.addr = {inet_addr("192.168.4.200")}, .id = 2, .weight = 2},
		{.addr = {inet_addr("192.168.4.100")}, .id = 1, .weight = 1},
	};
	static const __u32 want[] = {2, 1, 2};
	__u32 out[8];
	size_t len = 99;

	assert_int_equal(lbxdp_wrr_build(be, 2, false, out, 8, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(out, want, sizeof(want));
	shuffle(be, 2, 7);
	assert_int_equal(lbxdp_wrr_build(be, 2, false, out, 8, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(out, want, sizeof(want));
}

/* Interleaving as IPVS: 1:2:3:4 is 4 | 3 4 | 2 3 4 | 1 2 3 4. */
static void test_wrr_interleave(void **state)
{
	static const __u32 w[] = {1, 2, 3, 4};
	static const __u32 want[] = {4, 3, 4, 2, 3, 4, 1, 2, 3, 4};
	struct lbxdp_sched_backend be[4];
	__u32 out[LBXDP_WRR_MAX];
	size_t len;

	fill(be, w, 4);
	shuffle(be, 4, 99);
	assert_int_equal(
		lbxdp_wrr_build(be, 4, false, out, LBXDP_WRR_MAX, &len), 0);
	assert_int_equal(len, 10);
	assert_memory_equal(out, want, sizeof(want));
}

/* Shares are exact (the schedule is one full cycle); weight 0 is skipped. */
static void test_wrr_shares(void **state)
{
	static const __u32 w[] = {30, 0, 10, 20, 0, 40, 10};
	struct lbxdp_sched_backend be[7];
	__u32 out[LBXDP_WRR_MAX];
	size_t count[8] = {0};
	size_t len, i;

	fill(be, w, 7);
	assert_int_equal(
		lbxdp_wrr_build(be, 7, false, out, LBXDP_WRR_MAX, &len), 0);
	assert_int_equal(len, 11); /* gcd 10 */
	for (i = 0; i < len; i++) {
		assert_in_range(out[i], 1, 7);
		count[out[i]]++;
	}
	for (i = 0; i < 7; i++)
		assert_int_equal(count[i + 1], w[i] / 10);
}

static void test_wrr_gcd(void **state)
{
	struct lbxdp_sched_backend be[2] = {mkbe(0, 2), mkbe(1, 4)};
	static const __u32 want[] = {2, 1, 2};
	__u32 out[8];
	size_t len;

	assert_int_equal(lbxdp_wrr_build(be, 2, false, out, 8, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(out, want, sizeof(want));
	/* Equal weights reduce to one entry each. */
	be[0].weight = be[1].weight = 65535;
	assert_int_equal(lbxdp_wrr_build(be, 2, false, out, 8, &len), 0);
	assert_int_equal(len, 2);
}

static void test_wrr_too_big(void **state)
{
	struct lbxdp_sched_backend be[2] = {mkbe(0, LBXDP_WRR_MAX), mkbe(1, 1)};
	__u32 out[LBXDP_WRR_MAX];
	size_t len = 0;

	assert_int_equal(
		lbxdp_wrr_build(be, 2, false, out, LBXDP_WRR_MAX, &len),
		-E2BIG);
	assert_int_equal(len, LBXDP_WRR_MAX + 1);
	be[0].weight = LBXDP_WRR_MAX - 1;
	assert_int_equal(
		lbxdp_wrr_build(be, 2, false, out, LBXDP_WRR_MAX, &len), 0);
	assert_int_equal(len, LBXDP_WRR_MAX);
	assert_int_equal(lbxdp_wrr_build(be, 2, false, out, 3, &len), -E2BIG);
	assert_int_equal(len, LBXDP_WRR_MAX);
}

static void test_rr(void **state)
{
	static const __u32 w[] = {5, 1, 0, 3};
	static const __u32 want[] = {1, 2, 4};
	struct lbxdp_sched_backend be[4];
	__u32 out[8];
	size_t len;

	fill(be, w, 4);
	shuffle(be, 4, 3);
	assert_int_equal(lbxdp_wrr_build(be, 4, true, out, 8, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(out, want, sizeof(want));
}

static void test_wrr_empty(void **state)
{
	struct lbxdp_sched_backend be[2] = {mkbe(0, 0), mkbe(1, 0)};
	__u32 out[1];
	size_t len = 99;

	assert_int_equal(lbxdp_wrr_build(NULL, 0, false, out, 1, &len), 0);
	assert_int_equal(len, 0);
	len = 99;
	assert_int_equal(lbxdp_wrr_build(be, 2, false, out, 1, &len), 0);
	assert_int_equal(len, 0);
	len = 99;
	assert_int_equal(lbxdp_wrr_build(be, 2, true, NULL, 0, &len), 0);
	assert_int_equal(len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maglev_weights),
		cmocka_unit_test(test_maglev_disruption),
		cmocka_unit_test(test_maglev_order_independent),
		cmocka_unit_test(test_maglev_weight_zero),
		cmocka_unit_test(test_maglev_none),
		cmocka_unit_test(test_maglev_errors),
		cmocka_unit_test(test_maglev_small),
		cmocka_unit_test(test_maglev_big),
		cmocka_unit_test(test_is_prime),
		cmocka_unit_test(test_wrr_reference),
		cmocka_unit_test(test_wrr_interleave),
		cmocka_unit_test(test_wrr_shares),
		cmocka_unit_test(test_wrr_gcd),
		cmocka_unit_test(test_wrr_too_big),
		cmocka_unit_test(test_rr),
		cmocka_unit_test(test_wrr_empty),
	};

	return cmocka_run_group_tests_name("sched", tests, NULL, NULL);
}
