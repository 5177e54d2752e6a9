// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A vrrp_sync_group (vrrp_group.h): keepalived 2.2.7's vrrp_sync.c and
 * the transition matrix of vrrp_scheduler.c (VRRP_TSM) that calls it,
 * over vrrp_fsm. Marked "keepalived:" where read.
 */
#include <stdio.h>
#include <string.h>
#include "vrrp_group.h"

static bool all_owners(const struct vrrp_group *g)
{
	int k;

	for (k = 0; k < g->n; k++)
		if (!g->m[k].fsm->p.start_master ||
		    g->m[k].fsm->p.priority != VRRP_PRIO_OWNER)
			return false;
	return true;
}

void vrrp_group_init(struct vrrp_group *g, const char *name,
		     struct vrrp_group_member *m, int n)
{
	int k;

	g->name = name;
	g->state = g->from = VRRP_STATE_INIT;
	g->m = m;
	g->n = n;
	/*
	 * keepalived: vrrp_complete_init() turns every wantstate MASTER of a
	 * group into BACKUP unless all its members are owners, and
	 * vrrp_init_state() starts a member on the group's state.
	 */
	if (!all_owners(g))
		for (k = 0; k < n; k++)
			m[k].fsm->p.start_master = false;
	for (k = 0; k < n; k++) {
		m[k].fault = m[k].fsm->fault;
		m[k].want_master = m[k].fsm->state == VRRP_STATE_MASTER;
	}
}

/* Before each call: nothing to do yet for anyone. */
static void begin(struct vrrp_group *g)
{
	int k;

	g->from = g->state;
	for (k = 0; k < g->n; k++) {
		struct vrrp_group_member *m = &g->m[k];

		m->from = m->fsm->state;
		memset(&m->act, 0, sizeof(m->act));
		m->act.state = m->from;
		m->act.next = m->fsm->deadline;
		m->held = false;
	}
}

static bool end(const struct vrrp_group *g)
{
	return g->state != g->from;
}

static void because(struct vrrp_group *g, int k, const char *what, int i)
{
	snprintf(g->m[k].act.cause, sizeof(g->m[k].act.cause),
		 "sync group %s: %s of %s", g->name, what, g->m[i].name);
}

/*
 * keepalived: vrrp_sync_can_goto_master(): the group is MASTER, or every
 * other member wants MASTER.
 */
static bool can_master(const struct vrrp_group *g, int i)
{
	int k;

	if (g->state == VRRP_STATE_MASTER)
		return true;
	for (k = 0; k < g->n; k++)
		if (k != i && !g->m[k].want_master)
			return false;
	return true;
}

/* keepalived: vrrp_sync_master(), on B->M, M->M and F->M. */
static void sync_master(struct vrrp_group *g, int i, uint64_t now)
{
	int k;

	if (g->state == VRRP_STATE_MASTER || !can_master(g, i))
		return;
	for (k = 0; k < g->n; k++) {
		struct vrrp_group_member *m = &g->m[k];

		if (k == i || m->fsm->state != VRRP_STATE_BACKUP)
			continue;
		m->act = vrrp_fsm_sync_master(m->fsm, now);
		m->want_master = true;
		because(g, k, "MASTER", i);
	}
	g->state = VRRP_STATE_MASTER;
}

/* keepalived: vrrp_sync_backup(), on M->B. */
static void sync_backup(struct vrrp_group *g, int i, uint64_t now)
{
	int k;

	if (g->state == VRRP_STATE_BACKUP)
		return;
	for (k = 0; k < g->n; k++) {
		struct vrrp_group_member *m = &g->m[k];

		/* a member held in BACKUP keeps wanting MASTER */
		if (k == i || m->fsm->state != VRRP_STATE_MASTER)
			continue;
		m->act = vrrp_fsm_sync_backup(m->fsm, now);
		m->want_master = false;
		because(g, k, "BACKUP", i);
	}
	g->state = VRRP_STATE_BACKUP;
}

/* After member @i's own event: the transition matrix. */
static void follow(struct vrrp_group *g, int i, uint64_t now)
{
	struct vrrp_group_member *m = &g->m[i];

	if (m->fsm->state == VRRP_STATE_MASTER) {
		m->want_master = true;
		sync_master(g, i, now);
	} else if (m->from == VRRP_STATE_MASTER &&
		   m->fsm->state == VRRP_STATE_BACKUP) {
		m->want_master = false;
		sync_backup(g, i, now);
	}
}

bool vrrp_group_start(struct vrrp_group *g, uint64_t now)
{
	bool fault = false, master = true;
	int k;

	begin(g);
	for (k = 0; k < g->n; k++) {
		struct vrrp_group_member *m = &g->m[k];

		if (m->fsm->state == VRRP_STATE_INIT)
			m->act = vrrp_fsm_start(m->fsm, now);
		fault |= m->fsm->state == VRRP_STATE_FAULT;
		master &= m->fsm->state == VRRP_STATE_MASTER;
		m->want_master = m->fsm->state == VRRP_STATE_MASTER;
	}
	g->state = fault    ? VRRP_STATE_FAULT
		   : master ? VRRP_STATE_MASTER
			    : VRRP_STATE_BACKUP;
	return end(g);
}

bool vrrp_group_timer(struct vrrp_group *g, int i, uint64_t now)
{
	struct vrrp_group_member *m = &g->m[i];
	struct vrrp_fsm *f = m->fsm;

	begin(g);
	if (f->state == VRRP_STATE_BACKUP && f->deadline != VRRP_FSM_NEVER &&
	    now >= f->deadline) {
		/* keepalived: vrrp_goto_master() sets wantstate MASTER first */
		m->want_master = true;
		if (!can_master(g, i)) {
			m->act = vrrp_fsm_hold(f, now);
			m->held = true;
			snprintf(m->act.cause, sizeof(m->act.cause),
				 "held in BACKUP by sync group %s", g->name);
			return end(g);
		}
	}
	m->act = vrrp_fsm_timer(f, now);
	follow(g, i, now);
	return end(g);
}

bool vrrp_group_rx(struct vrrp_group *g, int i, uint64_t now,
		   const struct vrrp_advert *a)
{
	struct vrrp_group_member *m = &g->m[i];

	begin(g);
	m->act = vrrp_fsm_rx(m->fsm, now, a);
	/* keepalived: vrrp_state_backup() sets wantstate BACKUP */
	if (m->act.accepted)
		m->want_master = false;
	follow(g, i, now);
	return end(g);
}

bool vrrp_group_fault(struct vrrp_group *g, int i, uint64_t now, bool fault)
{
	bool any = false;
	int k;

	begin(g);
	g->m[i].fault = fault;
	for (k = 0; k < g->n; k++)
		any |= g->m[k].fault;
	/*
	 * keepalived: down_instance() -> vrrp_sync_fault() takes every member
	 * to FAULT (a MASTER with priority 0); try_up_instance() leaves it
	 * when the group's count of members in fault is back to 0, to BACKUP
	 * (vrrp_sync_backup() takes the others along).
	 */
	for (k = 0; k < g->n; k++) {
		struct vrrp_group_member *m = &g->m[k];

		m->act = vrrp_fsm_fault(m->fsm, now, any);
		if (any)
			m->want_master = false;
		if (any && m->act.changed && !m->fault)
			because(g, k, "fault", i);
	}
	if (g->state != VRRP_STATE_INIT)
		g->state = any				  ? VRRP_STATE_FAULT
			   : g->state == VRRP_STATE_FAULT ? VRRP_STATE_BACKUP
							  : g->state;
	return end(g);
}

bool vrrp_group_stop(struct vrrp_group *g)
{
	begin(g);
	g->state = VRRP_STATE_INIT;
	return end(g);
}
