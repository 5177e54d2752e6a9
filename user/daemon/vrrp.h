/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The daemon's VRRP instances: each runs a vrrp_fsm on its own raw socket
 * in the daemon's loop, adds and removes its VIPs with netlink, sends the
 * gratuitous ARPs and runs the notify scripts. The data plane is not
 * told: it forwards VIP traffic whatever the state (DESIGN §3).
 */
#ifndef LBXDP_DAEMON_VRRP_H
#define LBXDP_DAEMON_VRRP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>
#include "daemon/conf.h"
#include "daemon/loop.h"
#include "daemon/vrrp_fsm.h"
#include "daemon/vrrp_group.h"
#include "daemon/vrrp_pkt.h"

struct daemon;
struct json_object;

#define VRRP_HIST 8		     /* transitions kept for status */
#define VRRP_DROP_LOG_MS 10000	     /* one log line per reason this often */
#define VRRP_NOTIFY_TIMEOUT_MS 30000 /* a notify script is killed then */

struct vrrp_transition {
	uint64_t at; /* CLOCK_MONOTONIC ms */
	__s64 wall;  /* CLOCK_REALTIME s, for people */
	enum vrrp_state from, to;
	char cause[64];
};

struct d_vrrp {
	struct daemon *d;
	const struct conf_vrrp *cv;
	struct vrrp_fsm fsm;
	int ifindex;
	__be32 saddr; /* our address in adverts: unicast_src or primary */
	__u8 mac[6];
	__be32 *addrs; /* the VIPs of our adverts (virtual_ipaddress) */
	struct vrrp_expect expect; /* .csum AUTO: OLD once a peer sums so */
	struct loop_fd sock;
	int garp_fd;
	struct loop_timer fsm_t;
	struct loop_timer garp_t;
	/* gratuitous ARPs: rounds (one ARP per VIP) still to send now,
	 * the second set after garp_master_delay, the refresh */
	__u32 garp_rounds;
	uint64_t garp_next, garp_second, garp_refresh;
	__u32 garp_second_rounds;
	/* a lower priority's second set, after garp_lower_prio_delay */
	uint64_t garp_lower;
	__u32 garp_lower_rounds;
	bool started;
	struct d_vgroup *group; /* its vrrp_sync_group, NULL: none */
	int gi;			/* its index in group->m */
	bool held_logged;	/* "held in BACKUP" said for this hold */
	/* counters, for status */
	uint64_t rx, tx, tx_err, garps;
	uint64_t drops[VRRP_DROP__MAX];
	uint64_t drop_logged[VRRP_DROP__MAX]; /* ms of the last log line */
	struct vrrp_transition hist[VRRP_HIST];
	unsigned int nhist; /* ever: hist[nhist % VRRP_HIST] is next */
};

/* A vrrp_sync_group: vrrp_group over its members, in d->vgroups. */
struct d_vgroup {
	const struct conf_sync_group *cg;
	struct vrrp_group g;
	struct vrrp_group_member *m;
	struct d_vrrp **v; /* the members, in m's order */
};

/*
 * Starting and reloading: vrrp_prepare() opens the instances of @cf that
 * are new (sockets, not started: nothing is sent or changed) and pairs
 * the others with the running ones that keepalived would keep (the same
 * interface, VRID, version and unicast source; name, VIPs, timing and
 * authentication change in place, the state kept). An instance that
 * cannot run (its interface is not the attached one, ...) is logged with
 * its file:line and fails it: -errno, nothing left open. Then either
 * vrrp_commit(), which stops the running instances that go, moves the
 * kept ones to @cf and starts the new ones (each first removes its VIPs
 * if a killed predecessor left them, then enters BACKUP, or MASTER at
 * once for an owner; a sync group's members start together, see
 * vrrp_group.h), or vrrp_abort(). Each instance is allocated on its
 * own: the loop holds pointers to its timers.
 */
struct vrrp_plan {
	const struct conf *cf;
	struct d_vrrp **nv;
	bool *fresh, *kept;
	__be32 **addrs; /* a kept instance's advertised VIPs, made here */
	int n;
	struct d_vscript **scripts;
	int nscripts;
	struct d_vgroup *groups; /* cf's sync groups, empty */
};

int vrrp_prepare(struct daemon *d, const struct conf *cf, struct vrrp_plan *p);
void vrrp_commit(struct daemon *d, struct vrrp_plan *p);
void vrrp_abort(struct vrrp_plan *p);

/*
 * A clean stop of every instance: a master sends priority 0 so that its
 * backup takes over after Skew_Time; each removes its VIPs and runs
 * notify_stop. Then they are closed.
 */
void vrrp_stop(struct daemon *d);

/*
 * Tracking (vrrp_track.c): one rtnetlink socket on link events; on each,
 * every instance reads its links again and calls vrrp_set_track(): FAULT
 * while its interface or an unweighted track_interface is down, the
 * weights of the others added to its priority.
 */
/* A vrrp_script, run as a MISC_CHECK with rise and fall. */
struct d_vscript {
	struct daemon *d;
	const struct conf_vrrp_script *cs;
	struct conf_vs vs; /* what the checker needs of a service */
	struct conf_rs rs;
	struct conf_checker chk;
	struct rs_check *rc;
	bool up;
};

/* The vrrp_scripts of @cf, made (not started) by vrrp_prepare() and
 * started by vrrp_commit(): an unchanged script keeps its verdict over a
 * reload. */
int vrrp_scripts_prepare(struct daemon *d, const struct conf *cf,
			 struct d_vscript ***out);
void vrrp_scripts_commit(struct daemon *d, struct d_vscript **nv, int n);
void vrrp_scripts_abort(struct d_vscript **nv, int n);
void vrrp_scripts_stop(struct daemon *d);
int vrrp_track_open(struct daemon *d);
void vrrp_track_close(struct daemon *d);
void vrrp_track_links(struct daemon *d);
void vrrp_set_track(struct d_vrrp *v, bool fault, int weight);

/* Whether the instance named @name is MASTER (ha_suspend, flow sync). */
bool vrrp_is_master(const struct daemon *d, const char *name);

/* `lbxdp daemon status`: text lines to @out, or an array for -j. */
void vrrp_status(const struct daemon *d, FILE *out, struct json_object *o);

#endif /* LBXDP_DAEMON_VRRP_H */
