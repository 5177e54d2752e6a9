// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * One VRRP instance's state machine: RFC 3768 and RFC 5798, with the
 * choices of keepalived 2.2.7 where they differ or the RFCs leave room.
 * Each is marked "keepalived:" with the function of vrrp.c,
 * vrrp_scheduler.c or vrrp_track.c it was read in.
 *
 * Times are ms; the intervals are computed in µs as keepalived does
 * (VRRP_TIMER_SKEW_CALC, VRRP_MS_DOWN_TIMER in vrrp.h) and rounded up to
 * the ms, so that a backup never takes over before keepalived would.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "vrrp_fsm.h"

/* Why the BACKUP timer runs: the cause logged if it fires. */
enum {
	WHY_DOWN,    /* the master's last advert */
	WHY_PREEMPT, /* the master's priority is lower than ours */
	WHY_STOP,    /* the master sent priority 0 */
};

static const char *const why_cause[] = {
	[WHY_DOWN] = "master down timer",
	[WHY_PREEMPT] = "preempt",
	[WHY_STOP] = "priority 0 received",
};

const char *vrrp_state_name(enum vrrp_state s)
{
	switch (s) {
	case VRRP_STATE_INIT:
		return "INIT";
	case VRRP_STATE_BACKUP:
		return "BACKUP";
	case VRRP_STATE_MASTER:
		return "MASTER";
	case VRRP_STATE_FAULT:
		return "FAULT";
	}
	return "?";
}

/*
 * Skew_Time in µs for (256 - priority) = @v: (256 - Priority) / 256 s in
 * v2 (RFC 3768, whatever the interval), × Master_Adver_Interval in v3
 * (RFC 5798). keepalived: VRRP_TIMER_SKEW_CALC, integer µs.
 */
static uint64_t skew_us(const struct vrrp_fsm *f, unsigned int v)
{
	if (f->p.version == 3)
		return (uint64_t)v * f->master_int_cs * 625 / 16;
	return (uint64_t)v * 1000000 / 256;
}

/* Master_Down_Interval = 3 × Master_Adver_Interval + Skew_Time. */
static uint64_t down_us(const struct vrrp_fsm *f)
{
	return 3ULL * f->master_int_cs * 10000 + skew_us(f, 256 - f->prio);
}

static uint64_t us_to_ms_up(uint64_t us)
{
	return (us + 999) / 1000;
}

static uint64_t advert_ms(const struct vrrp_fsm *f)
{
	return (uint64_t)f->p.advert_int_cs * 10;
}

/* Negative: @a is the lower address, as keepalived's inet_inaddrcmp(). */
static int addr_cmp(__be32 a, __be32 b)
{
	uint32_t ha = ntohl(a), hb = ntohl(b);

	return ha < hb ? -1 : ha > hb;
}

static void say(struct vrrp_action *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(struct vrrp_action *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->cause, sizeof(r->cause), fmt, ap);
	va_end(ap);
}

static const char *ip(char *buf, __be32 a)
{
	struct in_addr in = {.s_addr = a};

	return inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN) ? buf : "?";
}

static struct vrrp_action begin(const struct vrrp_fsm *f)
{
	struct vrrp_action r = {.state = f->state};

	return r;
}

static struct vrrp_action end(const struct vrrp_fsm *f, struct vrrp_action r)
{
	r.changed = r.state != f->state;
	r.state = f->state;
	r.next = f->deadline;
	return r;
}

/* Reset the BACKUP timer to @us from @now. */
static void arm(struct vrrp_fsm *f, uint64_t now, uint64_t us, int why)
{
	f->armed_at = now;
	f->deadline = now + us_to_ms_up(us);
	f->why = why;
}

/* v3 (RFC 5798 6.4.2, 6.4.3): a backup runs on the master's interval. */
static void adopt_interval(struct vrrp_fsm *f, const struct vrrp_advert *a)
{
	/* A zero would make the down timer 0: keep the one we have. */
	if (f->p.version == 3 && a->interval_cs)
		f->master_int_cs = a->interval_cs;
}

static void send_advert(struct vrrp_action *r, uint8_t prio)
{
	r->send = true;
	r->send_prio = prio;
}

/*
 * keepalived: vrrp_state_goto_master() sends the advert first (the old
 * master must drop the VIPs before our gratuitous ARPs), then
 * vrrp_state_become_master() adds the VIPs and sends the ARPs.
 */
static void become_master(struct vrrp_fsm *f, uint64_t now,
			  struct vrrp_action *r)
{
	f->state = VRRP_STATE_MASTER;
	f->master_int_cs = f->p.advert_int_cs;
	f->master = f->p.saddr;
	f->master_prio = f->prio;
	send_advert(r, f->prio);
	r->vip_add = true;
	f->deadline = now + advert_ms(f);
}

/*
 * keepalived: vrrp_state_leave_master() and vrrp_state_leave_fault():
 * entering BACKUP clears the preempt delay and arms Master_Down_Interval.
 */
static void become_backup(struct vrrp_fsm *f, uint64_t now,
			  struct vrrp_action *r)
{
	f->state = VRRP_STATE_BACKUP;
	f->preempt_wait = false;
	r->vip_del = true;
	arm(f, now, down_us(f), WHY_DOWN);
}

/*
 * keepalived: vrrp_complete_instance() clears nopreempt for an owner,
 * and both nopreempt and preempt_delay with `state MASTER` (with a
 * warning, which the config check gives); at every load, a reload's too.
 */
static void params_set(struct vrrp_fsm *f, const struct vrrp_fsm_params *p)
{
	f->p = *p;
	if (f->p.priority == VRRP_PRIO_OWNER)
		f->p.nopreempt = false;
	if (f->p.start_master) {
		f->p.nopreempt = false;
		f->p.preempt_delay_ms = 0;
	}
	if (f->p.nopreempt)
		f->p.preempt_delay_ms = 0;
}

void vrrp_fsm_init(struct vrrp_fsm *f, const struct vrrp_fsm_params *p)
{
	memset(f, 0, sizeof(*f));
	params_set(f, p);
	f->state = VRRP_STATE_INIT;
	f->prio = f->p.priority;
	f->master_int_cs = f->p.advert_int_cs;
	f->deadline = VRRP_FSM_NEVER;
}

struct vrrp_action vrrp_fsm_start(struct vrrp_fsm *f, uint64_t now)
{
	struct vrrp_action r = begin(f);

	if (f->state != VRRP_STATE_INIT)
		return end(f, r);
	f->master_int_cs = f->p.advert_int_cs;
	f->master = 0;
	if (f->fault) {
		f->state = VRRP_STATE_FAULT;
		r.vip_del = true;
		say(&r, "fault");
	} else if (f->p.start_master && f->p.priority == VRRP_PRIO_OWNER) {
		/*
		 * keepalived: vrrp_init_state() gives the owner a 1 µs down
		 * timer: MASTER at once.
		 */
		become_master(f, now, &r);
		say(&r, "address owner");
	} else {
		/*
		 * keepalived: vrrp_init_state() starts any other instance,
		 * `state MASTER` too, as BACKUP on the whole
		 * Master_Down_Interval (its shorter advert_int + 1/256 s is
		 * only for a sync group member held in BACKUP): measured, 3.61 s
		 * for `state MASTER`, priority 100, as for `state BACKUP`.
		 * Any VIP a killed predecessor left goes (remove_residual_vips).
		 */
		become_backup(f, now, &r);
		say(&r, "init");
	}
	return end(f, r);
}

struct vrrp_action vrrp_fsm_timer(struct vrrp_fsm *f, uint64_t now)
{
	struct vrrp_action r = begin(f);

	if (f->deadline == VRRP_FSM_NEVER || now < f->deadline)
		return end(f, r);
	if (f->state == VRRP_STATE_BACKUP) {
		say(&r, "%s", why_cause[f->why]);
		become_master(f, now, &r);
	} else if (f->state == VRRP_STATE_MASTER) {
		/*
		 * keepalived: vrrp_state_master_tx(), then the next one
		 * advert_int from now (vrrp_init_instance_sands()).
		 */
		send_advert(&r, f->prio);
		f->deadline = now + advert_ms(f);
	}
	return end(f, r);
}

/* keepalived: vrrp_state_backup(). */
static void rx_backup(struct vrrp_fsm *f, uint64_t now,
		      const struct vrrp_advert *a, struct vrrp_action *r)
{
	char b[INET_ADDRSTRLEN];

	if (a->priority == VRRP_PRIO_STOP) {
		/* The master left: take over after Skew_Time (RFC 3768 6.4.2). */
		arm(f, now, skew_us(f, 256 - f->prio), WHY_STOP);
		say(r, "priority 0 from %s", ip(b, a->saddr));
		return;
	}
	/*
	 * Reset the down timer unless we preempt: with preempt_delay, a lower
	 * priority master is let be until preempt_delay after the first of
	 * its adverts (since we entered BACKUP or last heard an equal or
	 * higher one): keepalived applies it at any time, not only at
	 * startup, and clears it in vrrp_state_leave_master() and
	 * vrrp_state_leave_fault(). Equal priority is never preempted; nor
	 * one while the caller holds (lbxdp's: flow sync's join).
	 */
	if (f->p.nopreempt || a->priority >= f->prio || f->preempt_hold ||
	    (f->p.preempt_delay_ms &&
	     (!f->preempt_wait || f->preempt_at > now))) {
		adopt_interval(f, a);
		arm(f, now, down_us(f), WHY_DOWN);
		r->accepted = true;
		f->master = a->saddr;
		f->master_prio = a->priority;
		if (!f->p.preempt_delay_ms)
			return;
		if (a->priority >= f->prio) {
			f->preempt_wait = false;
		} else if (!f->preempt_wait) {
			f->preempt_wait = true;
			f->preempt_at = now + f->p.preempt_delay_ms;
			say(r, "lower priority %u from %s: preempt in %u ms",
			    a->priority, ip(b, a->saddr),
			    f->p.preempt_delay_ms);
		}
		return;
	}
	/* Preempt: ignore it and let the timer run out. */
	f->master = a->saddr;
	f->master_prio = a->priority;
	f->why = WHY_PREEMPT;
	say(r, "lower priority %u from %s: discarded", a->priority,
	    ip(b, a->saddr));
}

/* keepalived: vrrp_state_master_rx(). */
static void rx_master(struct vrrp_fsm *f, uint64_t now,
		      const struct vrrp_advert *a, struct vrrp_action *r)
{
	char b[INET_ADDRSTRLEN];
	int cmp = addr_cmp(a->saddr, f->p.saddr);

	if (a->priority == VRRP_PRIO_STOP) {
		/* RFC 3768 6.4.3: answer at once, so no backup takes over. */
		send_advert(r, f->prio);
		f->deadline = now + advert_ms(f);
		say(r, "priority 0 from %s: advert sent", ip(b, a->saddr));
		return;
	}
	if (a->priority == f->prio) {
		if (!cmp)
			return; /* our own address: keepalived only warns */
		if (f->prio == VRRP_PRIO_OWNER) {
			/*
			 * keepalived: two owners is a configuration error; it
			 * lowers its own priority to 254, so this advert wins.
			 */
			f->prio = VRRP_PRIO_OWNER - 1;
			f->p.priority = f->prio;
		}
	}
	if (a->priority < f->prio || (a->priority == f->prio && cmp < 0)) {
		/*
		 * keepalived: a lower priority (or equal, lower address)
		 * master is answered at once with an advert and gratuitous
		 * ARPs (lower_prio_no_advert and garp_lower_prio_repeat off
		 * by default, 5), and the next advert is advert_int after it.
		 */
		send_advert(r, f->prio);
		r->garp = true;
		f->deadline = now + advert_ms(f);
		say(r, "lower priority %u from %s: advert sent", a->priority,
		    ip(b, a->saddr));
		return;
	}
	/* Higher priority, or equal from a higher address: step down. */
	if (a->priority > f->prio)
		say(r, "higher priority %u from %s", a->priority,
		    ip(b, a->saddr));
	else
		say(r, "equal priority %u from higher address %s", a->priority,
		    ip(b, a->saddr));
	adopt_interval(f, a);
	become_backup(f, now, r);
	f->master = a->saddr;
	f->master_prio = a->priority;
}

struct vrrp_action vrrp_fsm_rx(struct vrrp_fsm *f, uint64_t now,
			       const struct vrrp_advert *a)
{
	struct vrrp_action r = begin(f);

	/* keepalived: vrrp_dispatcher_read() ignores adverts in FAULT. */
	if (f->state == VRRP_STATE_BACKUP)
		rx_backup(f, now, a, &r);
	else if (f->state == VRRP_STATE_MASTER)
		rx_master(f, now, a, &r);
	return end(f, r);
}

/* To INIT (stop) or FAULT: a master says so with priority 0, the VIPs go,
 * no timer runs. */
static void leave(struct vrrp_fsm *f, struct vrrp_action *r, enum vrrp_state to,
		  const char *cause)
{
	if (f->state == VRRP_STATE_MASTER)
		send_advert(r, VRRP_PRIO_STOP);
	r->vip_del = true;
	f->state = to;
	f->deadline = VRRP_FSM_NEVER;
	f->master = 0;
	say(r, "%s", cause);
}

struct vrrp_action vrrp_fsm_stop(struct vrrp_fsm *f, uint64_t now)
{
	struct vrrp_action r = begin(f);

	(void)now;
	if (f->state == VRRP_STATE_INIT)
		return end(f, r);
	/* keepalived: restore_vrrp_interfaces(), priority 0 if MASTER. */
	leave(f, &r, VRRP_STATE_INIT, "stop");
	return end(f, r);
}

struct vrrp_action vrrp_fsm_fault(struct vrrp_fsm *f, uint64_t now, bool fault)
{
	struct vrrp_action r = begin(f);

	if (fault == f->fault)
		return end(f, r);
	f->fault = fault;
	if (f->state == VRRP_STATE_INIT)
		return end(f, r); /* vrrp_fsm_start() sees it */
	if (fault) {
		/*
		 * keepalived: down_instance() -> vrrp_state_leave_master()
		 * sends priority 0 (twice; once is enough) and removes the
		 * VIPs. FAULT has no timer.
		 */
		leave(f, &r, VRRP_STATE_FAULT, "fault");
	} else {
		/*
		 * keepalived: try_up_instance() -> vrrp_state_leave_fault():
		 * BACKUP on our own interval, even an owner or `state MASTER`
		 * (down_instance() made its wanted state FAULT).
		 */
		f->master_int_cs = f->p.advert_int_cs;
		become_backup(f, now, &r);
		say(&r, "fault cleared");
	}
	return end(f, r);
}

struct vrrp_action vrrp_fsm_reconf(struct vrrp_fsm *f, uint64_t now,
				   const struct vrrp_fsm_params *p)
{
	struct vrrp_action r = begin(f);
	bool moved = p->advert_int_cs != f->p.advert_int_cs;

	params_set(f, p);
	/* v2's down timer runs on our own interval, v3 BACKUP's on the
	 * master's (from its next advert) */
	if (f->state == VRRP_STATE_MASTER || f->p.version == 2)
		f->master_int_cs = f->p.advert_int_cs;
	/* A MASTER whose interval changed sends its next advert now, then
	 * on the new one: a peer reloaded with a shorter one must not time
	 * out on our old. */
	if (moved && f->state == VRRP_STATE_MASTER)
		f->deadline = now;
	return end(f, r);
}

struct vrrp_action vrrp_fsm_set_priority(struct vrrp_fsm *f, uint64_t now,
					 int prio)
{
	struct vrrp_action r = begin(f);
	uint8_t old = f->prio;

	/* keepalived: vrrp_set_effective_priority(): an owner's never moves. */
	if (f->p.priority == VRRP_PRIO_OWNER)
		return end(f, r);
	if (prio < 1)
		prio = 1;
	else if (prio > VRRP_PRIO_OWNER - 1)
		prio = VRRP_PRIO_OWNER - 1;
	if (prio == old)
		return end(f, r);
	f->prio = (uint8_t)prio;
	say(&r, "priority %u -> %d", old, prio);
	/*
	 * keepalived: vrrp_set_effective_priority() moves a BACKUP's running
	 * timer by the change of Master_Down_Interval (the skew moves): it
	 * now ends a new Master_Down_Interval after it was last reset. A
	 * MASTER's next adverts carry the new priority: a peer above it
	 * preempts it then (none is sent now).
	 */
	if (f->state == VRRP_STATE_BACKUP) {
		f->deadline = f->armed_at + us_to_ms_up(down_us(f));
		if (f->deadline < now)
			f->deadline = now;
	}
	return end(f, r);
}

struct vrrp_action vrrp_fsm_hold(struct vrrp_fsm *f, uint64_t now)
{
	struct vrrp_action r = begin(f);

	/*
	 * keepalived: vrrp_sync_can_goto_master() sets ms_down_timer to
	 * VRRP_MS_DOWN_TIMER and restarts it; the cause stays, for when it
	 * runs out again.
	 */
	if (f->state == VRRP_STATE_BACKUP)
		arm(f, now, down_us(f), f->why);
	return end(f, r);
}

struct vrrp_action vrrp_fsm_sync_master(struct vrrp_fsm *f, uint64_t now)
{
	struct vrrp_action r = begin(f);

	/* keepalived: vrrp_sync_master() -> vrrp_state_goto_master() */
	if (f->state == VRRP_STATE_BACKUP) {
		become_master(f, now, &r);
		say(&r, "sync group");
	}
	return end(f, r);
}

struct vrrp_action vrrp_fsm_sync_backup(struct vrrp_fsm *f, uint64_t now)
{
	struct vrrp_action r = begin(f);

	/*
	 * keepalived: vrrp_sync_backup() -> vrrp_state_leave_master(, false):
	 * the VIPs go, no priority 0 (the peer's member is taking over, or
	 * ours is to be preempted), the down timer on our own interval.
	 */
	if (f->state == VRRP_STATE_MASTER) {
		f->master_int_cs = f->p.advert_int_cs;
		become_backup(f, now, &r);
		f->master = 0;
		f->master_prio = 0;
		say(&r, "sync group");
	}
	return end(f, r);
}
