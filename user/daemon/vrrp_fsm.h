/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One VRRP instance's state machine, without I/O and without reading the
 * clock: RFC 3768 (v2) and RFC 5798 (v3), as keepalived 2.2.7 runs them.
 * The daemon's loop feeds it the time (CLOCK_MONOTONIC ms), the adverts
 * that vrrp_decode() and vrrp_match() accepted, link faults and priority
 * changes; each call says what to do (send an advert, add or remove the
 * VIPs) and when to call vrrp_fsm_timer() next.
 */
#ifndef LBXDP_VRRP_FSM_H
#define LBXDP_VRRP_FSM_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "vrrp_pkt.h"

#define VRRP_PRIO_OWNER 255 /* the address owner */
#define VRRP_PRIO_STOP 0    /* the master stops */
#define VRRP_FSM_NEVER UINT64_MAX

enum vrrp_state {
	VRRP_STATE_INIT, /* before vrrp_fsm_start(), after vrrp_fsm_stop() */
	VRRP_STATE_BACKUP,
	VRRP_STATE_MASTER,
	VRRP_STATE_FAULT,
};

struct vrrp_fsm_params {
	uint8_t version; /* 2 or 3 */
	uint8_t vrid;
	uint8_t priority;	/* configured, 1..255; 255: the address owner */
	uint16_t advert_int_cs; /* > 0; v2: a multiple of 100 */
	bool nopreempt;
	uint32_t preempt_delay_ms;
	/*
	 * `state MASTER`: an owner starts as MASTER; any other priority
	 * starts as BACKUP all the same, only without nopreempt and
	 * preempt_delay. Without `state`, keepalived takes MASTER for
	 * priority 255, BACKUP otherwise: the caller says which.
	 */
	bool start_master;
	__be32 saddr; /* our primary address: the tie-break at equal priority */
};

struct vrrp_fsm {
	struct vrrp_fsm_params p;
	enum vrrp_state state;
	uint8_t prio;		/* effective: after track_script weights */
	uint16_t master_int_cs; /* Master_Adver_Interval (v3 adopts it) */
	bool fault;		/* a tracked link is down */
	bool preempt_wait;	/* preempt_delay runs until preempt_at */
	/* The caller's: a lower priority master is let be (flow sync waits
	 * for its flows), as by preempt_delay. */
	bool preempt_hold;
	uint64_t preempt_at;
	uint64_t armed_at; /* BACKUP: when the down timer was last reset */
	uint64_t deadline; /* ms: the next vrrp_fsm_timer(), or NEVER */
	int why;       /* why the BACKUP timer runs: the cause if it fires */
	__be32 master; /* the master's address (ours when MASTER), 0 none */
	uint8_t master_prio;
};

/* What the caller must do, in this order: send, then the VIPs. */
struct vrrp_action {
	enum vrrp_state state; /* the state now */
	bool changed;	       /* state moved: log cause, run the notifies */
	bool send;	       /* send an advert now, with priority send_prio */
	uint8_t send_prio;
	bool vip_add; /* add the VIPs, start the gratuitous ARPs */
	bool vip_del; /* remove the VIPs (if present) */
	/*
	 * MASTER heard a lower priority advert: repeat the gratuitous ARPs
	 * (keepalived's garp_lower_prio_repeat/delay, by default those of
	 * garp_master_repeat/delay), the other side may have taken the VIP.
	 */
	bool garp;
	/*
	 * BACKUP took the advert's sender as its master (its down timer was
	 * reset): keepalived's wantstate BACKUP, which a sync group reads.
	 */
	bool accepted;
	uint64_t next;	/* ms: call vrrp_fsm_timer() then, or NEVER */
	char cause[64]; /* why (for the log), "" if nothing happened */
};

/* Normalises @p as keepalived does (see vrrp_fsm.c); state INIT. */
void vrrp_fsm_init(struct vrrp_fsm *f, const struct vrrp_fsm_params *p);
/* Enter BACKUP, FAULT (vrrp_fsm_fault() before start), or the owner
 * MASTER. */
struct vrrp_action vrrp_fsm_start(struct vrrp_fsm *f, uint64_t now);
/* The deadline came: BACKUP takes over, MASTER sends its advert. Early
 * calls do nothing. */
struct vrrp_action vrrp_fsm_timer(struct vrrp_fsm *f, uint64_t now);
/* An advert vrrp_match() accepted (not our own: the caller drops those). */
struct vrrp_action vrrp_fsm_rx(struct vrrp_fsm *f, uint64_t now,
			       const struct vrrp_advert *a);
/* A clean stop: MASTER sends priority 0 and removes the VIPs; INIT. */
struct vrrp_action vrrp_fsm_stop(struct vrrp_fsm *f, uint64_t now);
/* A tracked interface went down (@fault) or up again. */
struct vrrp_action vrrp_fsm_fault(struct vrrp_fsm *f, uint64_t now, bool fault);
/*
 * A reload keeps the instance with new parameters (the same version and
 * VRID; the effective priority moves with vrrp_fsm_set_priority()).
 */
struct vrrp_action vrrp_fsm_reconf(struct vrrp_fsm *f, uint64_t now,
				   const struct vrrp_fsm_params *p);
/* The priority with track_script weights (clamped to 1..254; an owner's
 * never moves). */
struct vrrp_action vrrp_fsm_set_priority(struct vrrp_fsm *f, uint64_t now,
					 int prio);

/*
 * For a vrrp_sync_group (vrrp_group.h), keepalived's vrrp_sync.c:
 * hold: a BACKUP whose down timer ran out, which its group keeps in
 * BACKUP, runs a whole Master_Down_Interval again;
 * sync_master: a BACKUP becomes MASTER as a member of its group did;
 * sync_backup: a MASTER becomes BACKUP as a member did, without the
 * priority 0 advert of a fault or a stop. Any other state: nothing.
 */
struct vrrp_action vrrp_fsm_hold(struct vrrp_fsm *f, uint64_t now);
struct vrrp_action vrrp_fsm_sync_master(struct vrrp_fsm *f, uint64_t now);
struct vrrp_action vrrp_fsm_sync_backup(struct vrrp_fsm *f, uint64_t now);

const char *vrrp_state_name(enum vrrp_state s);

#endif /* LBXDP_VRRP_FSM_H */
