// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A vrrp_sync_group of two (or three) members on a fake clock (ms), as
 * keepalived 2.2.7's vrrp_sync.c moves them: start, a down timer held in
 * BACKUP until every member wants MASTER, MASTER and BACKUP taking the
 * others along (BACKUP without priority 0), FAULT of one taking all
 * until none is left in fault, the owners' start, the group's notifies
 * (the calls' return) once per group transition.
 *
 * v2, advert_int 1 s, priority 100: Master_Down_Interval 3610 ms.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "daemon/vrrp_group.h"

#define ADDR(n) htonl(0xc6120000 | (n)) /* 198.18.0.n */
#define US ADDR(2)
#define PEER ADDR(3)
#define MDI 3610

struct fix {
	struct vrrp_fsm f[3];
	struct vrrp_group_member m[3];
	struct vrrp_group g;
};

static void setup(struct fix *x, int n, uint8_t prio, bool start_master)
{
	static const char *const names[] = {"VI_1", "VI_2", "VI_3"};
	int i;

	memset(x, 0, sizeof(*x));
	for (i = 0; i < n; i++) {
		struct vrrp_fsm_params p = {
			.version = 2,
			.vrid = (uint8_t)(50 + i),
			.priority = prio,
			.advert_int_cs = 100,
			.start_master = start_master,
			.saddr = US,
		};

		vrrp_fsm_init(&x->f[i], &p);
		x->m[i].fsm = &x->f[i];
		x->m[i].name = names[i];
	}
	vrrp_group_init(&x->g, "G", x->m, n);
}

static struct vrrp_advert adv(int i, uint8_t prio)
{
	struct vrrp_advert a;

	memset(&a, 0, sizeof(a));
	a.version = 2;
	a.vrid = (uint8_t)(50 + i);
	a.priority = prio;
	a.interval_cs = 100;
	a.saddr = PEER;
	a.daddr = htonl(VRRP_GROUP);
	a.ttl = VRRP_TTL;
	return a;
}

/* Both started at 0: BACKUP, down timers at MDI, the group BACKUP. */
static void started(struct fix *x, int n)
{
	int i;

	setup(x, n, 100, false);
	assert_true(vrrp_group_start(&x->g, 0));
	assert_int_equal(x->g.state, VRRP_STATE_BACKUP);
	for (i = 0; i < n; i++) {
		assert_int_equal(x->f[i].state, VRRP_STATE_BACKUP);
		assert_true(x->m[i].act.changed);
		assert_true(x->m[i].act.vip_del);
		assert_int_equal(x->f[i].deadline, MDI);
	}
}

/* Both MASTER through their own down timers at MDI. */
static void masters(struct fix *x)
{
	started(x, 2);
	assert_false(vrrp_group_timer(&x->g, 0, MDI));
	assert_true(vrrp_group_timer(&x->g, 1, MDI));
	assert_int_equal(x->g.state, VRRP_STATE_MASTER);
}

static void test_start(void **state)
{
	struct fix x;

	(void)state;
	started(&x, 2);
	/* a second start (a reload that keeps them) changes nothing */
	assert_false(vrrp_group_start(&x.g, 10));
	assert_false(x.m[0].act.changed);
	assert_int_equal(x.m[0].act.next, MDI);
}

static void test_hold_until_all_want_master(void **state)
{
	struct fix x;
	struct vrrp_advert a = adv(1, 50);

	(void)state;
	started(&x, 2);
	/* VI_2 hears a master it accepts: it wants BACKUP */
	assert_false(vrrp_group_rx(&x.g, 1, 1000, &a));
	assert_false(x.m[1].want_master);
	/* VI_1's timer runs out: held in BACKUP, a whole MDI again */
	assert_false(vrrp_group_timer(&x.g, 0, MDI));
	assert_true(x.m[0].held);
	assert_true(x.m[0].want_master);
	assert_int_equal(x.f[0].state, VRRP_STATE_BACKUP);
	assert_false(x.m[0].act.changed);
	assert_false(x.m[0].act.send);
	assert_int_equal(x.m[0].act.next, MDI + MDI);
	assert_string_equal(x.m[0].act.cause, "held in BACKUP by sync group G");
	assert_int_equal(x.g.state, VRRP_STATE_BACKUP);
	/* again and again while VI_2 hears its master */
	assert_false(vrrp_group_rx(&x.g, 1, 1000 + MDI, &a));
	assert_false(vrrp_group_timer(&x.g, 0, 2 * MDI));
	assert_true(x.m[0].held);
	assert_int_equal(x.f[0].state, VRRP_STATE_BACKUP);
	/* VI_2's master goes quiet: VI_2 runs out, both MASTER at once */
	assert_true(vrrp_group_timer(&x.g, 1, 1000 + 2 * MDI));
	assert_int_equal(x.g.state, VRRP_STATE_MASTER);
	assert_int_equal(x.f[1].state, VRRP_STATE_MASTER);
	assert_true(x.m[1].act.changed);
	assert_int_equal(x.f[0].state, VRRP_STATE_MASTER);
	assert_true(x.m[0].act.changed);
	assert_true(x.m[0].act.send);
	assert_int_equal(x.m[0].act.send_prio, 100);
	assert_true(x.m[0].act.vip_add);
	assert_string_equal(x.m[0].act.cause, "sync group G: MASTER of VI_2");
	assert_int_equal(x.m[0].act.next, 1000 + 2 * MDI + 1000);
}

static void test_timers_together(void **state)
{
	struct fix x;

	(void)state;
	started(&x, 2);
	/* the first to run out is held, the second takes both */
	assert_false(vrrp_group_timer(&x.g, 0, MDI));
	assert_true(x.m[0].held);
	assert_int_equal(x.f[0].state, VRRP_STATE_BACKUP);
	assert_true(vrrp_group_timer(&x.g, 1, MDI));
	assert_false(x.m[1].held);
	assert_int_equal(x.f[0].state, VRRP_STATE_MASTER);
	assert_int_equal(x.f[1].state, VRRP_STATE_MASTER);
	assert_true(x.m[0].act.vip_add);
	assert_true(x.m[1].act.vip_add);
	/* the MASTERs' adverts: no group change */
	assert_false(vrrp_group_timer(&x.g, 0, MDI + 1000));
	assert_true(x.m[0].act.send);
	assert_false(x.m[1].act.send);
}

static void test_accepted_advert_drops_the_wish(void **state)
{
	struct fix x;
	struct vrrp_advert lower = adv(0, 50), higher = adv(0, 150);

	(void)state;
	started(&x, 2);
	assert_false(vrrp_group_timer(&x.g, 0, MDI));
	assert_true(x.m[0].want_master);
	/* a lower priority, which VI_1 preempts: it still wants MASTER */
	assert_false(vrrp_group_rx(&x.g, 0, MDI + 100, &lower));
	assert_false(x.m[0].act.accepted);
	assert_true(x.m[0].want_master);
	/* a higher one: it wants BACKUP (keepalived's vrrp_state_backup()) */
	assert_false(vrrp_group_rx(&x.g, 0, MDI + 200, &higher));
	assert_true(x.m[0].act.accepted);
	assert_false(x.m[0].want_master);
	/* so VI_2 running out is held in its turn */
	assert_false(vrrp_group_timer(&x.g, 1, MDI));
	assert_true(x.m[1].held);
	assert_int_equal(x.f[1].state, VRRP_STATE_BACKUP);
}

static void test_backup_takes_the_others(void **state)
{
	struct fix x;
	struct vrrp_advert a = adv(0, 150);

	(void)state;
	masters(&x);
	/* VI_1 hears a higher priority: both BACKUP, VI_2 without prio 0 */
	assert_true(vrrp_group_rx(&x.g, 0, 5000, &a));
	assert_int_equal(x.g.state, VRRP_STATE_BACKUP);
	assert_int_equal(x.f[0].state, VRRP_STATE_BACKUP);
	assert_int_equal(x.f[1].state, VRRP_STATE_BACKUP);
	assert_true(x.m[1].act.changed);
	assert_true(x.m[1].act.vip_del);
	assert_false(x.m[1].act.send);
	assert_int_equal(x.m[1].act.next, 5000 + MDI);
	assert_string_equal(x.m[1].act.cause, "sync group G: BACKUP of VI_1");
	assert_false(x.m[0].want_master);
	assert_false(x.m[1].want_master);
	/* VI_2's own timer runs out first: held, VI_1 hears its master */
	assert_false(vrrp_group_timer(&x.g, 1, 5000 + MDI));
	assert_true(x.m[1].held);
	assert_int_equal(x.f[1].state, VRRP_STATE_BACKUP);
}

static void test_lower_prio_advert_keeps_master(void **state)
{
	struct fix x;
	struct vrrp_advert a = adv(1, 50);

	(void)state;
	masters(&x);
	assert_false(vrrp_group_rx(&x.g, 1, 5000, &a));
	assert_true(x.m[1].act.garp);
	assert_false(x.m[0].act.changed);
	assert_int_equal(x.f[0].state, VRRP_STATE_MASTER);
}

static void test_fault_takes_all(void **state)
{
	struct fix x;

	(void)state;
	masters(&x);
	/* VI_2's link: both FAULT, VI_1 sends priority 0 */
	assert_true(vrrp_group_fault(&x.g, 1, 5000, true));
	assert_int_equal(x.g.state, VRRP_STATE_FAULT);
	assert_int_equal(x.f[0].state, VRRP_STATE_FAULT);
	assert_int_equal(x.f[1].state, VRRP_STATE_FAULT);
	assert_true(x.m[0].act.send);
	assert_int_equal(x.m[0].act.send_prio, VRRP_PRIO_STOP);
	assert_true(x.m[0].act.vip_del);
	assert_string_equal(x.m[0].act.cause, "sync group G: fault of VI_2");
	assert_string_equal(x.m[1].act.cause, "fault");
	/* VI_1's own fault too, then VI_2's clears: still FAULT */
	assert_false(vrrp_group_fault(&x.g, 0, 6000, true));
	assert_false(vrrp_group_fault(&x.g, 1, 7000, false));
	assert_int_equal(x.f[0].state, VRRP_STATE_FAULT);
	assert_int_equal(x.f[1].state, VRRP_STATE_FAULT);
	assert_false(x.m[1].act.changed);
	/* the last fault clears: both BACKUP, once for the group */
	assert_true(vrrp_group_fault(&x.g, 0, 8000, false));
	assert_int_equal(x.g.state, VRRP_STATE_BACKUP);
	assert_int_equal(x.f[0].state, VRRP_STATE_BACKUP);
	assert_int_equal(x.f[1].state, VRRP_STATE_BACKUP);
	assert_true(x.m[0].act.changed);
	assert_true(x.m[1].act.changed);
	assert_int_equal(x.m[1].act.next, 8000 + MDI);
	assert_false(x.m[0].want_master);
}

static void test_fault_at_start(void **state)
{
	struct fix x;

	(void)state;
	setup(&x, 3, 100, false);
	/* before the start: flags only */
	assert_false(vrrp_group_fault(&x.g, 2, 0, true));
	assert_int_equal(x.g.state, VRRP_STATE_INIT);
	assert_int_equal(x.f[0].state, VRRP_STATE_INIT);
	assert_true(vrrp_group_start(&x.g, 0));
	assert_int_equal(x.g.state, VRRP_STATE_FAULT);
	assert_int_equal(x.f[0].state, VRRP_STATE_FAULT);
	assert_int_equal(x.f[1].state, VRRP_STATE_FAULT);
	assert_int_equal(x.f[2].state, VRRP_STATE_FAULT);
	assert_true(vrrp_group_fault(&x.g, 2, 100, false));
	assert_int_equal(x.g.state, VRRP_STATE_BACKUP);
	assert_int_equal(x.f[0].state, VRRP_STATE_BACKUP);
}

static void test_owners(void **state)
{
	struct fix x;

	(void)state;
	/* all `state MASTER` owners: MASTER at once, the group too */
	setup(&x, 2, 255, true);
	assert_true(vrrp_group_start(&x.g, 0));
	assert_int_equal(x.g.state, VRRP_STATE_MASTER);
	assert_int_equal(x.f[0].state, VRRP_STATE_MASTER);
	assert_int_equal(x.f[1].state, VRRP_STATE_MASTER);
	/* an owner with a non-owner: it starts BACKUP, as keepalived's */
	setup(&x, 2, 255, true);
	x.f[1].p.priority = 100;
	vrrp_group_init(&x.g, "G", x.m, 2);
	assert_true(vrrp_group_start(&x.g, 0));
	assert_int_equal(x.g.state, VRRP_STATE_BACKUP);
	assert_int_equal(x.f[0].state, VRRP_STATE_BACKUP);
	assert_int_equal(x.f[0].deadline, 3004);
}

static void test_master_joins_group(void **state)
{
	struct fix x;
	struct vrrp_advert a = adv(1, 150);

	(void)state;
	/* after a reload: VI_1 kept MASTER, VI_2 new, hearing its master */
	started(&x, 2);
	vrrp_fsm_sync_master(&x.f[0], 0);
	vrrp_group_init(&x.g, "G", x.m, 2);
	assert_true(vrrp_group_start(&x.g, 0));
	assert_int_equal(x.g.state, VRRP_STATE_BACKUP);
	assert_false(vrrp_group_rx(&x.g, 1, 1000, &a));
	/* VI_1's adverts (keepalived's M->M) wait for VI_2 to want MASTER */
	assert_false(vrrp_group_timer(&x.g, 0, 1000));
	assert_true(x.m[0].act.send);
	assert_int_equal(x.f[1].state, VRRP_STATE_BACKUP);
	/* VI_2's master goes quiet: the group is MASTER */
	assert_true(vrrp_group_timer(&x.g, 1, 1000 + MDI));
	assert_int_equal(x.f[1].state, VRRP_STATE_MASTER);
	assert_int_equal(x.g.state, VRRP_STATE_MASTER);
}

static void test_three_members(void **state)
{
	struct fix x;

	(void)state;
	started(&x, 3);
	assert_false(vrrp_group_timer(&x.g, 0, MDI));
	assert_false(vrrp_group_timer(&x.g, 1, MDI));
	assert_int_equal(x.f[0].state, VRRP_STATE_BACKUP);
	assert_int_equal(x.f[1].state, VRRP_STATE_BACKUP);
	assert_true(vrrp_group_timer(&x.g, 2, MDI));
	assert_int_equal(x.f[0].state, VRRP_STATE_MASTER);
	assert_int_equal(x.f[1].state, VRRP_STATE_MASTER);
	assert_int_equal(x.f[2].state, VRRP_STATE_MASTER);
}

static void test_stop(void **state)
{
	struct fix x;

	(void)state;
	masters(&x);
	vrrp_fsm_stop(&x.f[0], 9000);
	vrrp_fsm_stop(&x.f[1], 9000);
	assert_true(vrrp_group_stop(&x.g));
	assert_int_equal(x.g.state, VRRP_STATE_INIT);
	assert_false(vrrp_group_stop(&x.g));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start),
		cmocka_unit_test(test_hold_until_all_want_master),
		cmocka_unit_test(test_timers_together),
		cmocka_unit_test(test_accepted_advert_drops_the_wish),
		cmocka_unit_test(test_backup_takes_the_others),
		cmocka_unit_test(test_lower_prio_advert_keeps_master),
		cmocka_unit_test(test_fault_takes_all),
		cmocka_unit_test(test_fault_at_start),
		cmocka_unit_test(test_owners),
		cmocka_unit_test(test_master_joins_group),
		cmocka_unit_test(test_three_members),
		cmocka_unit_test(test_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
