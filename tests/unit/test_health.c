// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The checker state machine on a fake clock: keepalived 2.2.7's timing
 * (retry, delay_before_retry, HTTP_GET's urls, fast_recovery, alpha,
 * warmup) and lbxdp's rise/fall/inter.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "daemon/health.h"

/* The seed's TCP_CHECK: delay_loop 6, nb_get_retry 3, delay_before_retry 3. */
static struct health_params seed(void)
{
	struct health_params p = {
		.delay_loop_ms = 6000,
		.retry = 3,
		.delay_before_retry_ms = 3000,
	};
	return p;
}

/* Feed @ok at @now; assert the next check's time and whether it moved. */
static uint64_t step(struct health *h, uint64_t now, bool ok,
		     uint64_t want_next, bool want_changed)
{
	struct health_step s = health_result(h, now, ok);

	assert_int_equal(s.next, want_next);
	assert_int_equal(s.changed, want_changed);
	return s.next;
}

/* Down at the (retry + 1)th failure, retries delay_before_retry apart. */
static void test_retry_timing(void **state)
{
	struct health_params p = seed();
	struct health h;

	health_init(&h, &p, true);
	step(&h, 0, false, 3000, false);
	step(&h, 3000, false, 6000, false);
	step(&h, 6000, false, 9000, false);
	assert_true(h.up);
	step(&h, 9000, false, 15000, true);
	assert_false(h.up);
	/* Down: no retries, one check each delay_loop. */
	step(&h, 15000, false, 21000, false);
	step(&h, 21000, false, 27000, false);
	/* One success brings it up. */
	step(&h, 27000, true, 33000, true);
	assert_true(h.up);
	/* And it takes retry + 1 failures again. */
	step(&h, 33000, false, 36000, false);
	step(&h, 36000, false, 39000, false);
	step(&h, 39000, false, 42000, false);
	step(&h, 42000, false, 48000, true);
}

/* The next delay counts from the end of a check: silent servers. */
static void test_timeouts(void **state)
{
	struct health_params p = seed();
	struct health h;
	uint64_t t = 0;
	int i;

	health_init(&h, &p, true);
	/* Each check times out after connect_timeout 3 s. */
	for (i = 0; i < 3; i++) {
		t += 3000;
		t = step(&h, t, false, t + 3000, false);
	}
	step(&h, t + 3000, false, t + 3000 + 6000, true);
	/* Down after 4 checks of 3 s and 3 retries of 3 s: 21 s. */
	assert_int_equal(t + 3000, 21000);
}

static void test_retry_zero(void **state)
{
	struct health_params p = seed();
	struct health h;

	p.retry = 0;
	health_init(&h, &p, true);
	step(&h, 0, false, 6000, true);
	step(&h, 6000, true, 12000, true);
}

/* A success during the retries starts them over. */
static void test_success_resets_retries(void **state)
{
	struct health_params p = seed();
	struct health h;

	health_init(&h, &p, true);
	step(&h, 0, false, 3000, false);
	step(&h, 3000, false, 6000, false);
	step(&h, 6000, true, 12000, false);
	step(&h, 12000, false, 15000, false);
	step(&h, 15000, false, 18000, false);
	step(&h, 18000, false, 21000, false);
	step(&h, 21000, false, 27000, true);
}

/* alpha: down until the first success; failures before it are not
 * retried (keepalived retries only a server that is up). */
static void test_alpha(void **state)
{
	struct health_params p = seed();
	struct health h;

	health_init(&h, &p, false);
	step(&h, 0, false, 6000, false);
	assert_false(h.up);
	step(&h, 6000, false, 12000, false);
	step(&h, 12000, true, 18000, true);
	assert_true(h.up);
}

static void test_warmup(void **state)
{
	struct health_params p = seed();
	struct health h;
	uint64_t seen[6] = {0};
	unsigned int i;

	p.warmup_ms = 0;
	health_init(&h, &p, true);
	assert_int_equal(health_first(&h, 1000, 0xffffffffU), 1000);

	p.warmup_ms = 6000;
	health_init(&h, &p, true);
	assert_int_equal(health_first(&h, 1000, 0), 1000);
	assert_int_equal(health_first(&h, 1000, 0x80000000U), 1000 + 3000);
	assert_true(health_first(&h, 1000, 0xffffffffU) < 1000 + 6000);
	/* Six draws spread evenly land in six distinct seconds. */
	for (i = 0; i < 6; i++) {
		uint64_t t = health_first(&h, 0, (uint32_t)(i * 0x2aaaaaabULL));

		assert_true(t < 6000);
		seen[t / 1000]++;
	}
	for (i = 0; i < 6; i++)
		assert_int_equal(seen[i], 1);

	/* keepalived's warmup N: within N, whatever the delay_loop */
	p.warmup_ms = 1500;
	health_init(&h, &p, true);
	assert_int_equal(health_first(&h, 1000, 0x80000000U), 1000 + 750);
	assert_int_equal(health_first(&h, 1000, 0xffffffffU), 1000 + 1499);
	p.warmup_ms = 100000;
	health_init(&h, &p, true);
	assert_int_equal(health_first(&h, 0, 0xc0000000U), 75000);
	/* the largest warmup does not overflow */
	p.warmup_ms = UINT32_MAX;
	health_init(&h, &p, true);
	assert_int_equal(health_first(&h, 1, 0xffffffffU),
			 1 + (uint64_t)UINT32_MAX - 1);
}

static struct health_params http(int nurls)
{
	struct health_params p = {
		.delay_loop_ms = 6000,
		.retry = 1,
		.delay_before_retry_ms = 3000,
		.nurls = nurls,
	};
	return p;
}

/*
 * Two urls, one a check, in turn. A failure is retried on the same url;
 * down with it the failed url is tried each max(delay_loop,
 * delay_before_retry); when it passes, every url is walked again from the
 * first, and the server is up when all have passed in a row.
 */
static void test_http_urls(void **state)
{
	struct health_params p = http(2);
	struct health h;

	health_init(&h, &p, true);
	assert_int_equal(health_url(&h), 0);
	step(&h, 0, true, 6000, false);
	assert_int_equal(health_url(&h), 1);
	step(&h, 6000, true, 12000, false);
	assert_int_equal(health_url(&h), 0);
	step(&h, 12000, true, 18000, false);
	assert_int_equal(health_url(&h), 1);
	/* url 1 fails: one retry, then down. */
	step(&h, 18000, false, 21000, false);
	assert_int_equal(health_url(&h), 1);
	step(&h, 21000, false, 27000, true);
	assert_false(h.up);
	assert_int_equal(health_url(&h), 1);
	step(&h, 27000, false, 33000, false);
	/* It passes: walk from url 0 again; up once both passed. */
	step(&h, 33000, true, 39000, false);
	assert_int_equal(health_url(&h), 0);
	step(&h, 39000, true, 45000, false);
	assert_int_equal(health_url(&h), 1);
	step(&h, 45000, true, 51000, true);
	assert_true(h.up);
	assert_int_equal(health_url(&h), 0);
}

/* In the first walk a failing url takes the server down at once. */
static void test_http_first_walk(void **state)
{
	struct health_params p = http(2);
	struct health h;

	health_init(&h, &p, true);
	step(&h, 0, true, 6000, false);
	step(&h, 6000, false, 12000, true);
}

/* One url: the failed url passes, then the walk of all: two successes,
 * the second at once with fast_recovery. */
static void test_http_fast_recovery(void **state)
{
	struct health_params p = http(1);
	struct health h;

	p.retry = 0;
	health_init(&h, &p, true);
	step(&h, 0, false, 6000, true);
	step(&h, 6000, true, 12000, false);
	step(&h, 12000, true, 18000, true);

	p.fast_recovery = true;
	health_init(&h, &p, true);
	step(&h, 0, true, 6000, false);
	step(&h, 6000, false, 12000, true);
	step(&h, 12000, true, 12000, false);
	step(&h, 12000, true, 18000, true);

	/* Before the first walk is done, the next url at once. */
	p.nurls = 2;
	health_init(&h, &p, true);
	step(&h, 0, true, 0, false);
	step(&h, 0, true, 6000, false);
}

/* HAProxy's: down after fall failures in a row, up after rise successes,
 * one check each inter; a different result starts the count over. */
static void test_rise_fall(void **state)
{
	struct conf_checker c = {
		.type = CHECK_TCP,
		.delay_loop_ms = 6000,
		.retry = 3,
		.delay_before_retry_ms = 3000,
		.rise = 2,
		.fall = 3,
		.inter_ms = 2000,
	};
	struct health_params p;
	struct health h;

	health_params_from(&p, &c);
	assert_int_equal(p.delay_loop_ms, 2000);
	health_init(&h, &p, true);
	step(&h, 0, false, 2000, false);
	step(&h, 2000, false, 4000, false);
	step(&h, 4000, true, 6000, false);
	step(&h, 6000, false, 8000, false);
	step(&h, 8000, false, 10000, false);
	step(&h, 10000, false, 12000, true);
	assert_false(h.up);
	step(&h, 12000, true, 14000, false);
	step(&h, 14000, false, 16000, false);
	step(&h, 16000, true, 18000, false);
	step(&h, 18000, true, 20000, true);
	assert_true(h.up);

	/* inter not given: delay_loop; rise/fall not given: inter unused. */
	c.inter_ms = 0;
	health_params_from(&p, &c);
	assert_int_equal(p.delay_loop_ms, 6000);
	c.rise = c.fall = 0;
	c.inter_ms = 2000;
	health_params_from(&p, &c);
	assert_int_equal(p.delay_loop_ms, 6000);
}

/* rise/fall with urls: a check is every url, one right after another. */
static void test_rise_fall_urls(void **state)
{
	struct health_params p = http(2);
	struct health h;

	p.rise = 1;
	p.fall = 1;
	health_init(&h, &p, false);
	step(&h, 0, true, 0, false);
	assert_int_equal(health_url(&h), 1);
	step(&h, 100, true, 6100, true);
	assert_int_equal(health_url(&h), 0);
	step(&h, 6100, true, 6100, false);
	step(&h, 6200, false, 12200, true);
	assert_int_equal(health_url(&h), 0);
}

/* Re-initialised from its own parameters (a restart keeps them). */
static void test_init_own_params(void **state)
{
	struct health_params p = seed();
	struct health h;

	health_init(&h, &p, true);
	step(&h, 0, false, 3000, false);
	health_init(&h, &h.p, false);
	assert_false(h.up);
	assert_int_equal(h.retry_it, 0);
	assert_int_equal(h.p.delay_loop_ms, 6000);
	assert_int_equal(h.p.retry, 3);
	step(&h, 0, true, 6000, true);
}

static void test_params_from(void **state)
{
	struct conf_checker c = {
		.type = CHECK_HTTP,
		.delay_loop_ms = 60000,
		.retry = 1,
		.delay_before_retry_ms = 3000,
		.warmup_ms = 2500,
		.nurls = 3,
		.fast_recovery = true,
	};
	struct health_params p;

	health_params_from(&p, &c);
	assert_int_equal(p.nurls, 3);
	assert_true(p.fast_recovery);
	assert_int_equal(p.warmup_ms, 2500);
	assert_int_equal(p.delay_before_retry_ms, 3000);
	c.type = CHECK_TCP;
	health_params_from(&p, &c);
	assert_int_equal(p.nurls, 0);
	assert_false(p.fast_recovery);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_timing),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_retry_zero),
		cmocka_unit_test(test_success_resets_retries),
		cmocka_unit_test(test_alpha),
		cmocka_unit_test(test_warmup),
		cmocka_unit_test(test_http_urls),
		cmocka_unit_test(test_http_first_walk),
		cmocka_unit_test(test_http_fast_recovery),
		cmocka_unit_test(test_rise_fall),
		cmocka_unit_test(test_rise_fall_urls),
		cmocka_unit_test(test_init_own_params),
		cmocka_unit_test(test_params_from),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
