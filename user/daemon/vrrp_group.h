/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A vrrp_sync_group over its members' state machines, as keepalived
 * 2.2.7's vrrp_sync.c runs it, without I/O: one member's MASTER takes the
 * others to MASTER, one's step down to BACKUP takes the others to BACKUP,
 * one's FAULT takes them all to FAULT until no member is in fault. A
 * member's down timer that runs out takes it to MASTER only if every
 * other member wants MASTER too (its own timer ran out, or it is MASTER):
 * otherwise the group holds it in BACKUP, as keepalived prefers backup to
 * thrashing. The daemon feeds a member's events through these calls
 * instead of vrrp_fsm's, then does each member's action (the triggering
 * member's first) and runs the group's notifies when the call says that
 * the group's state moved.
 */
#ifndef LBXDP_VRRP_GROUP_H
#define LBXDP_VRRP_GROUP_H

#include <stdbool.h>
#include <stdint.h>
#include "vrrp_fsm.h"

struct vrrp_group_member {
	const char *name; /* for the causes */
	struct vrrp_fsm *fsm;
	bool fault;	  /* its own tracked link or script is down */
	bool want_master; /* keepalived's wantstate MASTER */
	/* out: each call's action for it (nothing to do when untouched),
	 * its state before, and whether the group held it in BACKUP */
	struct vrrp_action act;
	enum vrrp_state from;
	bool held;
};

struct vrrp_group {
	const char *name;
	enum vrrp_state state; /* INIT before vrrp_group_start() */
	enum vrrp_state from;  /* out: before the last call */
	struct vrrp_group_member *m;
	int n;
};

/*
 * @m: @n members, their ->fsm set (and ->name), initialised, started
 * or not (a reload keeps the running ones). keepalived starts a group
 * as MASTER only if all its members are `state MASTER` address owners:
 * otherwise an owner starts as BACKUP as the others do.
 */
void vrrp_group_init(struct vrrp_group *g, const char *name,
		     struct vrrp_group_member *m, int n);

/*
 * Each call returns whether the group's state moved (its notifies run
 * then) and sets every member's act, from and held.
 *
 * start: the members still in INIT start; the group is FAULT if one is,
 * MASTER if all are, else BACKUP.
 */
bool vrrp_group_start(struct vrrp_group *g, uint64_t now);
/* Member @i's vrrp_fsm_timer(), or its hold. */
bool vrrp_group_timer(struct vrrp_group *g, int i, uint64_t now);
/* Member @i's vrrp_fsm_rx(). */
bool vrrp_group_rx(struct vrrp_group *g, int i, uint64_t now,
		   const struct vrrp_advert *a);
/* Member @i's own fault, set or cleared: every member is in FAULT while
 * one has a fault. */
bool vrrp_group_fault(struct vrrp_group *g, int i, uint64_t now, bool fault);
/* The members were stopped (vrrp_fsm_stop): the group's STOP. */
bool vrrp_group_stop(struct vrrp_group *g);

#endif /* LBXDP_VRRP_GROUP_H */
