// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The VRRP instance state machine on a fake clock (ms): startup in both
 * states, takeover after Master_Down_Interval, priority 0 and Skew_Time,
 * preempt, nopreempt, preempt_delay, the address tie-break, the owner, v3
 * interval adoption, faults, priority changes, a reload's new parameters
 * and a master's adverts.
 *
 * The expected times are written out: Skew_Time = (256 - p) / 256 s (v2)
 * or (256 - p) × Master_Adver_Interval / 256 (v3), in whole µs as
 * keepalived counts them, rounded up to the ms:
 *   v2 (or v3 at 1 s), p 50:  skew 804.687 ms -> 805, MDI 3805
 *   v2 (or v3 at 1 s), p 100: skew 609.375 ms -> 610, MDI 3610
 *   v2, p 255: skew 3.906 ms -> 4, MDI 3004
 *   v3 at 0.5 s, p 50: skew 402.343 ms -> 403, MDI 1500 + 403 = 1903
 *   v3 at 0.25 s, p 100: skew 152.343 ms -> 153, MDI 750 + 153 = 903
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "daemon/vrrp_fsm.h"

#define NONE (-1)
#define ADDR(n) htonl(0xc6120000 | (n)) /* 198.18.0.n */
#define US ADDR(2)
#define LO ADDR(1)
#define HI ADDR(3)

static struct vrrp_fsm_params params(uint8_t version, uint8_t prio)
{
	struct vrrp_fsm_params p = {
		.version = version,
		.vrid = 50,
		.priority = prio,
		.advert_int_cs = 100,
		.saddr = US,
	};
	return p;
}

static struct vrrp_advert adv(uint8_t version, uint8_t prio, uint16_t cs,
			      __be32 from)
{
	struct vrrp_advert a;

	memset(&a, 0, sizeof(a));
	a.version = version;
	a.vrid = 50;
	a.priority = prio;
	a.interval_cs = cs;
	a.saddr = from;
	a.daddr = htonl(VRRP_GROUP);
	a.ttl = VRRP_TTL;
	return a;
}

/* Assert @r: the state, whether it moved, the advert sent (priority or
 * NONE) and the next deadline. */
static void expect(struct vrrp_action r, enum vrrp_state state, bool changed,
		   int send, uint64_t next)
{
	assert_string_equal(vrrp_state_name(r.state), vrrp_state_name(state));
	assert_int_equal(r.changed, changed);
	assert_int_equal(r.send, send != NONE);
	if (send != NONE)
		assert_int_equal(r.send_prio, send);
	assert_int_equal(r.next, next);
}

static void start_backup(struct vrrp_fsm *f, const struct vrrp_fsm_params *p,
			 uint64_t now, uint64_t next)
{
	struct vrrp_action r;

	vrrp_fsm_init(f, p);
	r = vrrp_fsm_start(f, now);
	expect(r, VRRP_STATE_BACKUP, true, NONE, next);
	assert_true(r.vip_del);
	assert_false(r.vip_add);
}

/* A backup takes over when its timer fires, with an advert and the VIPs. */
static void takeover(struct vrrp_fsm *f, uint64_t at, const char *cause)
{
	struct vrrp_action r;

	r = vrrp_fsm_timer(f, at - 1);
	expect(r, VRRP_STATE_BACKUP, false, NONE, at);
	r = vrrp_fsm_timer(f, at);
	expect(r, VRRP_STATE_MASTER, true, f->prio, at + 1000);
	assert_true(r.vip_add);
	assert_false(r.vip_del);
	assert_string_equal(r.cause, cause);
}

static struct vrrp_action hear(struct vrrp_fsm *f, uint64_t now,
			       struct vrrp_advert a)
{
	return vrrp_fsm_rx(f, now, &a);
}

static void rx(struct vrrp_fsm *f, uint64_t now, struct vrrp_advert a,
	       enum vrrp_state state, bool changed, int send, uint64_t next)
{
	expect(vrrp_fsm_rx(f, now, &a), state, changed, send, next);
}

/* state BACKUP: Master_Down_Interval with no advert, then MASTER. */
static void test_start_backup(void **state)
{
	struct vrrp_fsm_params p = params(2, 50);
	struct vrrp_fsm f;

	start_backup(&f, &p, 1000, 1000 + 3805);
	takeover(&f, 4805, "master down timer");
	assert_true(f.master == US);
}

/*
 * state MASTER (not the owner): keepalived 2.2.7 starts it as BACKUP on
 * the whole Master_Down_Interval, as `state BACKUP` (measured: 3.61 s
 * for priority 100 alone in a namespace).
 */
static void test_start_master(void **state)
{
	struct vrrp_fsm_params p = params(2, 100);
	struct vrrp_fsm f;

	p.start_master = true;
	start_backup(&f, &p, 0, 3610);
	takeover(&f, 3610, "master down timer");

	/* A lower priority master heard meanwhile does not delay it. */
	start_backup(&f, &p, 0, 3610);
	rx(&f, 500, adv(2, 50, 100, LO), VRRP_STATE_BACKUP, false, NONE, 3610);
	takeover(&f, 3610, "preempt");

	/* A higher one keeps it BACKUP. */
	start_backup(&f, &p, 0, 3610);
	rx(&f, 500, adv(2, 150, 100, LO), VRRP_STATE_BACKUP, false, NONE,
	   500 + 3610);
	assert_true(f.master == LO);
	assert_int_equal(f.master_prio, 150);
}

/* Takeover Master_Down_Interval after the master's last advert. */
static void test_takeover_v2(void **state)
{
	struct vrrp_fsm_params p = params(2, 50);
	struct vrrp_fsm f;
	uint64_t t;

	start_backup(&f, &p, 0, 3805);
	for (t = 500; t <= 2500; t += 1000)
		rx(&f, t, adv(2, 100, 100, HI), VRRP_STATE_BACKUP, false, NONE,
		   t + 3805);
	takeover(&f, 2500 + 3805, "master down timer");

	/* The skew is the backup's own: at priority 100, 3610. */
	p = params(2, 100);
	start_backup(&f, &p, 0, 3610);
	rx(&f, 500, adv(2, 200, 100, HI), VRRP_STATE_BACKUP, false, NONE,
	   500 + 3610);
	takeover(&f, 500 + 3610, "master down timer");
}

/* v3 at 0.5 s: 3 × 0.5 s + 206/256 × 0.5 s. */
static void test_takeover_v3(void **state)
{
	struct vrrp_fsm_params p = params(3, 50);
	struct vrrp_fsm f;
	struct vrrp_action r;

	p.advert_int_cs = 50;
	start_backup(&f, &p, 0, 1903);
	rx(&f, 100, adv(3, 100, 50, HI), VRRP_STATE_BACKUP, false, NONE,
	   100 + 1903);
	r = vrrp_fsm_timer(&f, 2002);
	expect(r, VRRP_STATE_BACKUP, false, NONE, 2003);
	r = vrrp_fsm_timer(&f, 2003);
	expect(r, VRRP_STATE_MASTER, true, 50, 2003 + 500);
	/* At 1 s, v3's skew is v2's. */
	p = params(3, 100);
	start_backup(&f, &p, 0, 3610);
}

/*
 * v3: a backup runs on the master's advert interval (RFC 5798 6.4.2), for
 * its down timer and its skew, and on its own again once master.
 */
static void test_v3_interval_adoption(void **state)
{
	struct vrrp_fsm_params p = params(3, 50);
	struct vrrp_fsm f;
	struct vrrp_action r;

	start_backup(&f, &p, 0, 3805);
	rx(&f, 100, adv(3, 100, 50, HI), VRRP_STATE_BACKUP, false, NONE,
	   100 + 1903);
	assert_int_equal(f.master_int_cs, 50);
	/* Priority 0: the skew on the adopted interval, 403. */
	rx(&f, 600, adv(3, 0, 50, HI), VRRP_STATE_BACKUP, false, NONE,
	   600 + 403);
	r = vrrp_fsm_timer(&f, 1003);
	expect(r, VRRP_STATE_MASTER, true, 50, 1003 + 1000);
	assert_int_equal(f.master_int_cs, 100);
	r = vrrp_fsm_timer(&f, 2003);
	expect(r, VRRP_STATE_MASTER, false, 50, 3003);

	/* A master that steps down adopts the new master's interval. */
	rx(&f, 2500, adv(3, 200, 200, HI), VRRP_STATE_BACKUP, true, NONE,
	   2500 + 6000 + 1610);
	assert_int_equal(f.master_int_cs, 200);

	/* v2 never adopts (vrrp_match drops a v2 interval mismatch). */
	p = params(2, 50);
	start_backup(&f, &p, 0, 3805);
	rx(&f, 100, adv(2, 100, 200, HI), VRRP_STATE_BACKUP, false, NONE,
	   100 + 3805);
}

/* Priority 0 from the master: the backup takes over after Skew_Time. */
static void test_priority_zero(void **state)
{
	struct vrrp_fsm_params p = params(2, 50);
	struct vrrp_fsm f;
	struct vrrp_action r;

	start_backup(&f, &p, 0, 3805);
	rx(&f, 1000, adv(2, 100, 100, HI), VRRP_STATE_BACKUP, false, NONE,
	   1000 + 3805);
	rx(&f, 1500, adv(2, 0, 100, HI), VRRP_STATE_BACKUP, false, NONE,
	   1500 + 805);
	takeover(&f, 2305, "priority 0 received");

	/* A master answers priority 0 at once, and counts from there. */
	r = vrrp_fsm_timer(&f, 3305);
	expect(r, VRRP_STATE_MASTER, false, 50, 4305);
	rx(&f, 3800, adv(2, 0, 100, HI), VRRP_STATE_MASTER, false, 50,
	   3800 + 1000);
}

/* A backup above the master ignores its adverts and takes over. */
static void test_preempt(void **state)
{
	struct vrrp_fsm_params p = params(2, 100);
	struct vrrp_fsm f;
	struct vrrp_action r;
	uint64_t t;

	start_backup(&f, &p, 0, 3610);
	for (t = 500; t <= 3500; t += 1000)
		rx(&f, t, adv(2, 50, 100, LO), VRRP_STATE_BACKUP, false, NONE,
		   3610);
	assert_string_equal(hear(&f, 3600, adv(2, 50, 100, LO)).cause,
			    "lower priority 50 from 198.18.0.1: discarded");
	takeover(&f, 3610, "preempt");

	/* The preempted master steps down at our first advert. */
	p = params(2, 50);
	p.saddr = LO;
	start_backup(&f, &p, 0, 3805);
	takeover(&f, 3805, "master down timer");
	r = hear(&f, 4000, adv(2, 100, 100, US));
	expect(r, VRRP_STATE_BACKUP, true, NONE, 4000 + 3805);
	assert_true(r.vip_del);
	assert_false(r.vip_add);
	assert_string_equal(r.cause, "higher priority 100 from 198.18.0.2");
	assert_true(f.master == US);
}

/* The caller's hold (flow sync's join): a lower priority master is let be
 * while it lasts, and preempted a Master_Down_Interval after. */
static void test_preempt_hold(void **state)
{
	struct vrrp_fsm_params p = params(2, 100);
	struct vrrp_fsm f;
	uint64_t t;

	start_backup(&f, &p, 0, 3610);
	f.preempt_hold = true;
	for (t = 500; t <= 9500; t += 1000)
		rx(&f, t, adv(2, 50, 100, LO), VRRP_STATE_BACKUP, false, NONE,
		   t + 3610);
	assert_true(f.master == LO);
	f.preempt_hold = false;
	for (t = 10500; t <= 12500; t += 1000)
		rx(&f, t, adv(2, 50, 100, LO), VRRP_STATE_BACKUP, false, NONE,
		   9500 + 3610);
	takeover(&f, 9500 + 3610, "preempt");
}

/* nopreempt: a lower priority master keeps the VIP while it advertises. */
static void test_nopreempt(void **state)
{
	struct vrrp_fsm_params p = params(2, 100);
	struct vrrp_fsm f;
	uint64_t t;

	p.nopreempt = true;
	start_backup(&f, &p, 0, 3610);
	for (t = 500; t <= 20500; t += 1000)
		rx(&f, t, adv(2, 50, 100, LO), VRRP_STATE_BACKUP, false, NONE,
		   t + 3610);
	takeover(&f, 20500 + 3610, "master down timer");

	/* `state MASTER` clears it (keepalived warns). */
	p.start_master = true;
	vrrp_fsm_init(&f, &p);
	assert_false(f.p.nopreempt);
	/* So does the owner's priority. */
	p = params(2, 255);
	p.nopreempt = true;
	vrrp_fsm_init(&f, &p);
	assert_false(f.p.nopreempt);
}

/*
 * preempt_delay: a lower priority master is let be for preempt_delay from
 * its first advert; then its adverts are ignored and the timer runs out.
 * Not only at startup: each time the backup hears a lower master anew.
 */
static void test_preempt_delay(void **state)
{
	struct vrrp_fsm_params p = params(2, 100);
	struct vrrp_fsm f;
	struct vrrp_action r;
	uint64_t t;

	p.preempt_delay_ms = 5000;
	start_backup(&f, &p, 0, 3610);
	r = hear(&f, 1000, adv(2, 50, 100, LO));
	expect(r, VRRP_STATE_BACKUP, false, NONE, 1000 + 3610);
	assert_string_equal(r.cause,
			    "lower priority 50 from 198.18.0.1: preempt in "
			    "5000 ms");
	/* Until 6000 (the delay's end) its adverts reset the timer. */
	for (t = 2000; t <= 5000; t += 1000)
		rx(&f, t, adv(2, 50, 100, LO), VRRP_STATE_BACKUP, false, NONE,
		   t + 3610);
	rx(&f, 5999, adv(2, 50, 100, LO), VRRP_STATE_BACKUP, false, NONE,
	   5999 + 3610);
	rx(&f, 6000, adv(2, 50, 100, LO), VRRP_STATE_BACKUP, false, NONE, 9609);
	rx(&f, 7000, adv(2, 50, 100, LO), VRRP_STATE_BACKUP, false, NONE, 9609);
	takeover(&f, 9609, "preempt");

	/* A higher master takes over; when a lower one follows it, the
	 * delay starts again. */
	rx(&f, 10000, adv(2, 150, 100, HI), VRRP_STATE_BACKUP, true, NONE,
	   10000 + 3610);
	rx(&f, 11000, adv(2, 50, 100, LO), VRRP_STATE_BACKUP, false, NONE,
	   11000 + 3610);
	rx(&f, 15999, adv(2, 50, 100, LO), VRRP_STATE_BACKUP, false, NONE,
	   15999 + 3610);
	rx(&f, 16000, adv(2, 50, 100, LO), VRRP_STATE_BACKUP, false, NONE,
	   15999 + 3610);

	/* An equal or higher advert stops the delay: it starts over. */
	start_backup(&f, &p, 0, 3610);
	rx(&f, 1000, adv(2, 50, 100, LO), VRRP_STATE_BACKUP, false, NONE,
	   1000 + 3610);
	rx(&f, 2000, adv(2, 100, 100, LO), VRRP_STATE_BACKUP, false, NONE,
	   2000 + 3610);
	rx(&f, 6500, adv(2, 50, 100, LO), VRRP_STATE_BACKUP, false, NONE,
	   6500 + 3610);
	rx(&f, 11499, adv(2, 50, 100, LO), VRRP_STATE_BACKUP, false, NONE,
	   11499 + 3610);
	rx(&f, 11500, adv(2, 50, 100, LO), VRRP_STATE_BACKUP, false, NONE,
	   11499 + 3610);
}

/* Equal priorities: the higher primary address is master. */
static void test_tie_break(void **state)
{
	struct vrrp_fsm_params p = params(2, 100);
	struct vrrp_fsm f;
	struct vrrp_action r;

	/* Two masters: the lower address steps down. */
	start_backup(&f, &p, 0, 3610);
	takeover(&f, 3610, "master down timer");
	r = hear(&f, 4000, adv(2, 100, 100, HI));
	expect(r, VRRP_STATE_BACKUP, true, NONE, 4000 + 3610);
	assert_true(r.vip_del);
	assert_string_equal(r.cause, "equal priority 100 from higher address "
				     "198.18.0.3");

	/* The higher one stays, and answers at once with ARPs. */
	start_backup(&f, &p, 0, 3610);
	takeover(&f, 3610, "master down timer");
	r = hear(&f, 4000, adv(2, 100, 100, LO));
	expect(r, VRRP_STATE_MASTER, false, 100, 4000 + 1000);
	assert_true(r.garp);
	assert_false(r.vip_del);
	assert_false(r.vip_add);
	assert_string_equal(r.cause,
			    "lower priority 100 from 198.18.0.1: advert sent");

	/* In host order: 198.18.1.1 is above 198.18.0.2 (their raw __be32
	 * values compare the other way on little endian). */
	r = hear(&f, 4100, adv(2, 100, 100, htonl(0xc6120101)));
	expect(r, VRRP_STATE_BACKUP, true, NONE, 4100 + 3610);

	/* A backup never preempts an equal master, whatever its address. */
	start_backup(&f, &p, 0, 3610);
	rx(&f, 500, adv(2, 100, 100, LO), VRRP_STATE_BACKUP, false, NONE,
	   500 + 3610);
}

/* A master hearing a lower priority sends an advert at once. */
static void test_master_rx_lower(void **state)
{
	struct vrrp_fsm_params p = params(2, 100);
	struct vrrp_fsm f;
	struct vrrp_action r;

	start_backup(&f, &p, 0, 3610);
	takeover(&f, 3610, "master down timer");
	r = hear(&f, 4000, adv(2, 99, 100, HI));
	expect(r, VRRP_STATE_MASTER, false, 100, 5000);
	assert_true(r.garp);
	r = hear(&f, 4001, adv(2, 101, 100, LO));
	expect(r, VRRP_STATE_BACKUP, true, NONE, 4001 + 3610);
}

/* The owner (255) is master at once, and a master yields to it. */
static void test_owner(void **state)
{
	struct vrrp_fsm_params p = params(2, 255);
	struct vrrp_fsm f;
	struct vrrp_action r;

	p.start_master = true;
	vrrp_fsm_init(&f, &p);
	r = vrrp_fsm_start(&f, 0);
	expect(r, VRRP_STATE_MASTER, true, 255, 1000);
	assert_true(r.vip_add);
	assert_string_equal(r.cause, "address owner");
	/* Its priority never moves. */
	r = vrrp_fsm_set_priority(&f, 10, 100);
	expect(r, VRRP_STATE_MASTER, false, NONE, 1000);
	assert_int_equal(f.prio, 255);

	/* The master at 100 steps down at its first advert. */
	p = params(2, 100);
	start_backup(&f, &p, 0, 3610);
	takeover(&f, 3610, "master down timer");
	rx(&f, 4000, adv(2, 255, 100, LO), VRRP_STATE_BACKUP, true, NONE,
	   4000 + 3610);

	/* `state BACKUP` makes an owner a backup (skew 1/256 s). */
	p = params(2, 255);
	start_backup(&f, &p, 0, 3004);
	rx(&f, 500, adv(2, 100, 100, LO), VRRP_STATE_BACKUP, false, NONE, 3004);
	takeover(&f, 3004, "preempt");

	/* Two owners: keepalived drops its own to 254, and yields. */
	p.start_master = true;
	vrrp_fsm_init(&f, &p);
	vrrp_fsm_start(&f, 0);
	rx(&f, 500, adv(2, 255, 100, HI), VRRP_STATE_BACKUP, true, NONE,
	   500 + 3000 + 8);
	assert_int_equal(f.prio, 254);
}

/* FAULT: in from MASTER with priority 0, out as BACKUP. */
static void test_fault(void **state)
{
	struct vrrp_fsm_params p = params(2, 100);
	struct vrrp_fsm f;
	struct vrrp_action r;

	start_backup(&f, &p, 0, 3610);
	takeover(&f, 3610, "master down timer");
	r = vrrp_fsm_fault(&f, 4000, true);
	expect(r, VRRP_STATE_FAULT, true, 0, VRRP_FSM_NEVER);
	assert_true(r.vip_del);
	assert_string_equal(r.cause, "fault");
	/* No timer, no adverts heard; a repeated fault is nothing new. */
	expect(vrrp_fsm_timer(&f, 100000), VRRP_STATE_FAULT, false, NONE,
	       VRRP_FSM_NEVER);
	rx(&f, 5000, adv(2, 0, 100, HI), VRRP_STATE_FAULT, false, NONE,
	   VRRP_FSM_NEVER);
	expect(vrrp_fsm_fault(&f, 5000, true), VRRP_STATE_FAULT, false, NONE,
	       VRRP_FSM_NEVER);
	r = vrrp_fsm_fault(&f, 6000, false);
	expect(r, VRRP_STATE_BACKUP, true, NONE, 6000 + 3610);
	assert_true(r.vip_del);
	assert_string_equal(r.cause, "fault cleared");
	takeover(&f, 9610, "master down timer");

	/* From BACKUP: no advert. */
	start_backup(&f, &p, 0, 3610);
	r = vrrp_fsm_fault(&f, 1000, true);
	expect(r, VRRP_STATE_FAULT, true, NONE, VRRP_FSM_NEVER);

	/* A link down before start: FAULT from the start. */
	vrrp_fsm_init(&f, &p);
	expect(vrrp_fsm_fault(&f, 0, true), VRRP_STATE_INIT, false, NONE,
	       VRRP_FSM_NEVER);
	r = vrrp_fsm_start(&f, 0);
	expect(r, VRRP_STATE_FAULT, true, NONE, VRRP_FSM_NEVER);
	assert_true(r.vip_del);

	/* An owner comes back as BACKUP too (keepalived). */
	p = params(2, 255);
	p.start_master = true;
	vrrp_fsm_init(&f, &p);
	vrrp_fsm_start(&f, 0);
	vrrp_fsm_fault(&f, 100, true);
	r = vrrp_fsm_fault(&f, 200, false);
	expect(r, VRRP_STATE_BACKUP, true, NONE, 200 + 3004);

	/* v3: out of FAULT on our own interval, whatever was adopted. */
	p = params(3, 50);
	start_backup(&f, &p, 0, 3805);
	rx(&f, 100, adv(3, 100, 50, HI), VRRP_STATE_BACKUP, false, NONE,
	   100 + 1903);
	vrrp_fsm_fault(&f, 200, true);
	r = vrrp_fsm_fault(&f, 300, false);
	expect(r, VRRP_STATE_BACKUP, true, NONE, 300 + 3805);
}

/*
 * A master whose priority drops under a peer's keeps the VIP until the
 * peer (preempting) advertises; a backup's timer moves with its skew.
 */
static void test_set_priority(void **state)
{
	struct vrrp_fsm_params p = params(2, 100);
	struct vrrp_fsm f;
	struct vrrp_action r;

	start_backup(&f, &p, 0, 3610);
	takeover(&f, 3610, "master down timer");
	r = vrrp_fsm_set_priority(&f, 4000, 40);
	expect(r, VRRP_STATE_MASTER, false, NONE, 4610);
	assert_string_equal(r.cause, "priority 100 -> 40");
	expect(vrrp_fsm_timer(&f, 4610), VRRP_STATE_MASTER, false, 40, 5610);
	r = hear(&f, 5000, adv(2, 50, 100, LO));
	expect(r, VRRP_STATE_BACKUP, true, NONE, 5000 + 3844);
	assert_string_equal(r.cause, "higher priority 50 from 198.18.0.1");
	assert_true(r.vip_del);

	/* The peer at 50 sees the adverts at 40 and preempts. */
	p = params(2, 50);
	start_backup(&f, &p, 0, 3805);
	rx(&f, 1000, adv(2, 100, 100, HI), VRRP_STATE_BACKUP, false, NONE,
	   1000 + 3805);
	rx(&f, 2000, adv(2, 40, 100, HI), VRRP_STATE_BACKUP, false, NONE,
	   1000 + 3805);
	takeover(&f, 4805, "preempt");

	/* BACKUP: the timer now ends a new interval after its reset. */
	start_backup(&f, &p, 0, 3805);
	rx(&f, 1000, adv(2, 200, 100, HI), VRRP_STATE_BACKUP, false, NONE,
	   1000 + 3805);
	expect(vrrp_fsm_set_priority(&f, 2000, 100), VRRP_STATE_BACKUP, false,
	       NONE, 1000 + 3610);
	expect(vrrp_fsm_set_priority(&f, 4500, 50), VRRP_STATE_BACKUP, false,
	       NONE, 1000 + 3805);
	/* Clamped to 1..254, as keepalived's total priority. */
	vrrp_fsm_set_priority(&f, 4600, 300);
	assert_int_equal(f.prio, 254);
	vrrp_fsm_set_priority(&f, 4600, -20);
	assert_int_equal(f.prio, 1);
	/* Not before now. */
	expect(vrrp_fsm_set_priority(&f, 4700, 254), VRRP_STATE_BACKUP, false,
	       NONE, 4700);
}

/*
 * A reload's new parameters: a MASTER whose interval changed sends its
 * next advert at once, then on the new interval; one whose interval
 * stayed keeps its deadline; a BACKUP keeps its timer. The parameters
 * are normalised as at the start.
 */
static void test_reconf(void **state)
{
	struct vrrp_fsm_params p = params(3, 100);
	struct vrrp_fsm f;

	start_backup(&f, &p, 0, 3610);
	takeover(&f, 3610, "master down timer");
	p.advert_int_cs = 50;
	expect(vrrp_fsm_reconf(&f, 4000, &p), VRRP_STATE_MASTER, false, NONE,
	       4000);
	expect(vrrp_fsm_timer(&f, 4000), VRRP_STATE_MASTER, false, 100, 4500);
	assert_int_equal(f.master_int_cs, 50);
	p.preempt_delay_ms = 1000;
	expect(vrrp_fsm_reconf(&f, 4100, &p), VRRP_STATE_MASTER, false, NONE,
	       4500);
	assert_int_equal(f.p.preempt_delay_ms, 1000);

	/* v3 BACKUP: on the master's interval until its next advert. */
	p = params(3, 100);
	start_backup(&f, &p, 0, 3610);
	rx(&f, 1000, adv(3, 200, 200, HI), VRRP_STATE_BACKUP, false, NONE,
	   1000 + 6000 + 1219);
	p.advert_int_cs = 50;
	expect(vrrp_fsm_reconf(&f, 2000, &p), VRRP_STATE_BACKUP, false, NONE,
	       1000 + 6000 + 1219);
	assert_int_equal(f.master_int_cs, 200);

	/* v2 BACKUP: its down timer runs on its own interval. */
	p = params(2, 100);
	start_backup(&f, &p, 0, 3610);
	p.advert_int_cs = 200;
	expect(vrrp_fsm_reconf(&f, 1000, &p), VRRP_STATE_BACKUP, false, NONE,
	       3610);
	assert_int_equal(f.master_int_cs, 200);

	/* `state MASTER` clears nopreempt and preempt_delay. */
	p.nopreempt = true;
	p.start_master = true;
	p.preempt_delay_ms = 1000;
	vrrp_fsm_reconf(&f, 1000, &p);
	assert_false(f.p.nopreempt);
	assert_int_equal(f.p.preempt_delay_ms, 0);
}

/* A master sends an advert every advert_int, none in between. */
static void test_master_adverts(void **state)
{
	struct vrrp_fsm_params p = params(3, 100);
	struct vrrp_fsm f;
	uint64_t t;

	p.advert_int_cs = 25;
	start_backup(&f, &p, 0, 903);
	expect(vrrp_fsm_timer(&f, 903), VRRP_STATE_MASTER, true, 100, 1153);
	for (t = 1153; t < 10000; t += 250) {
		expect(vrrp_fsm_timer(&f, t - 1), VRRP_STATE_MASTER, false,
		       NONE, t);
		expect(vrrp_fsm_timer(&f, t), VRRP_STATE_MASTER, false, 100,
		       t + 250);
	}
}

/* A clean stop: priority 0 from a master, nothing from a backup. */
static void test_stop(void **state)
{
	struct vrrp_fsm_params p = params(2, 100);
	struct vrrp_fsm f;
	struct vrrp_action r;

	start_backup(&f, &p, 0, 3610);
	takeover(&f, 3610, "master down timer");
	r = vrrp_fsm_stop(&f, 5000);
	expect(r, VRRP_STATE_INIT, true, 0, VRRP_FSM_NEVER);
	assert_true(r.vip_del);
	assert_string_equal(r.cause, "stop");
	expect(vrrp_fsm_stop(&f, 5000), VRRP_STATE_INIT, false, NONE,
	       VRRP_FSM_NEVER);

	start_backup(&f, &p, 0, 3610);
	r = vrrp_fsm_stop(&f, 1000);
	expect(r, VRRP_STATE_INIT, true, NONE, VRRP_FSM_NEVER);
	rx(&f, 1100, adv(2, 50, 100, LO), VRRP_STATE_INIT, false, NONE,
	   VRRP_FSM_NEVER);
	expect(vrrp_fsm_timer(&f, 100000), VRRP_STATE_INIT, false, NONE,
	       VRRP_FSM_NEVER);
}

/*
 * For a sync group: an accepted advert says so, a lower one preempted or
 * a priority 0 does not; hold re-arms a whole Master_Down_Interval from
 * now; sync_master from BACKUP only, sync_backup from MASTER only and
 * without priority 0.
 */
static void test_sync_group_calls(void **state)
{
	struct vrrp_fsm_params p = params(2, 100);
	struct vrrp_fsm f;
	struct vrrp_action r;

	start_backup(&f, &p, 0, 3610);
	r = hear(&f, 100, adv(2, 150, 100, HI));
	assert_true(r.accepted);
	r = hear(&f, 200, adv(2, 50, 100, LO));
	assert_false(r.accepted);
	r = hear(&f, 300, adv(2, 0, 100, LO));
	assert_false(r.accepted);
	/* priority 0 armed the skew: 300 + 610; held at 910: 910 + 3610 */
	expect(vrrp_fsm_hold(&f, 910), VRRP_STATE_BACKUP, false, NONE,
	       910 + 3610);
	expect(vrrp_fsm_sync_backup(&f, 1000), VRRP_STATE_BACKUP, false, NONE,
	       910 + 3610);
	r = vrrp_fsm_sync_master(&f, 1000);
	expect(r, VRRP_STATE_MASTER, true, 100, 2000);
	assert_true(r.vip_add);
	assert_string_equal(r.cause, "sync group");
	assert_true(f.master == US);
	expect(vrrp_fsm_sync_master(&f, 1500), VRRP_STATE_MASTER, false, NONE,
	       2000);
	expect(vrrp_fsm_hold(&f, 1500), VRRP_STATE_MASTER, false, NONE, 2000);
	r = vrrp_fsm_sync_backup(&f, 1600);
	expect(r, VRRP_STATE_BACKUP, true, NONE, 1600 + 3610);
	assert_true(r.vip_del);
	assert_true(f.master == 0);
	/* FAULT: neither moves it */
	vrrp_fsm_fault(&f, 1700, true);
	expect(vrrp_fsm_sync_master(&f, 1800), VRRP_STATE_FAULT, false, NONE,
	       VRRP_FSM_NEVER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_backup),
		cmocka_unit_test(test_start_master),
		cmocka_unit_test(test_takeover_v2),
		cmocka_unit_test(test_takeover_v3),
		cmocka_unit_test(test_v3_interval_adoption),
		cmocka_unit_test(test_priority_zero),
		cmocka_unit_test(test_preempt),
		cmocka_unit_test(test_nopreempt),
		cmocka_unit_test(test_preempt_delay),
		cmocka_unit_test(test_preempt_hold),
		cmocka_unit_test(test_tie_break),
		cmocka_unit_test(test_master_rx_lower),
		cmocka_unit_test(test_owner),
		cmocka_unit_test(test_fault),
		cmocka_unit_test(test_set_priority),
		cmocka_unit_test(test_reconf),
		cmocka_unit_test(test_master_adverts),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_sync_group_calls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
