/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * lbxdp daemon: one process, one loop. The configuration's virtual and
 * real servers, their checks, and the map writes that keep the pinned
 * records in step with them. All the daemon's mutable state lives in
 * struct daemon; subsystems (checks, control socket, neighbour events,
 * later VRRP) hang off it and talk to the core through small functions.
 */
#ifndef LBXDP_DAEMON_H
#define LBXDP_DAEMON_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include "maps.h"
#include "daemon/check.h"
#include "daemon/conf.h"
#include "daemon/loop.h"
#include "daemon/fsync.h"
#include "daemon/policy.h"
#include "daemon/smtp.h"

struct daemon;
struct st_server;

/* A server that answers no ARP is asked again after 1 s, 2 s, ... 30 s. */
#define ARP_WAIT_MIN 1000
#define ARP_WAIT_MAX 30000

/* One real server (or a virtual server's sorry server) at run time. */
struct d_rs {
	struct daemon *d;
	struct d_vs *vs;
	const struct conf_rs *cr; /* NULL: the sorry server */
	__be32 addr;
	struct rs_check *chk; /* NULL: not checked (sorry server), or
			       * suspended */
	bool suspended;	      /* ha_suspend: checks stopped, h kept */
	struct rs_health h;   /* the checks' verdict, last known */
	bool mac_known;
	__u8 mac[6];
	bool neigh_failed; /* the kernel's probes gave up: a failed check */
	__u32 id, gen;	   /* its backend record, 0: none yet */
	struct pol_out want;
	__u8 op; /* the operator's override (LBXDP_OP_*) at the last sync */
	bool logged_nomac;
	bool logged_cli;   /* a CLI backend holds its address: said once */
	uint64_t arp_at;   /* ms: no ARP request of ours before */
	uint32_t arp_wait; /* ms: the next wait, doubled up to ARP_WAIT_MAX */
};

struct d_vs {
	const struct conf_vs *cv;
	struct lbxdp_vip_key key;
	struct d_rs *rs; /* the real servers, then the sorry server */
	int nrs;	 /* with the sorry server */
	bool quorum_up;
	bool cli_owned; /* the CLI made it: left alone, said once */
};

struct daemon {
	const char *prog;
	const char *pin_dir;
	const char *conf_path;
	struct conf_opts copts;
	bool use_syslog;
	FILE *diag_out; /* config diagnostics: stderr, or syslog (-l) */

	struct conf *cf;
	struct d_vs *vs;
	int nvs;
	struct d_vrrp **vrrp; /* vrrp.h */
	int nvrrp;
	struct d_vgroup *vgroups; /* vrrp.h: the vrrp_sync_groups */
	int nvgroups;
	struct d_vscript **vscripts;
	int nvscripts;

	struct loop loop;
	struct loop_fd sig;
	struct loop_fd ctl;
	struct loop_fd neigh;
	struct loop_fd link; /* VRRP's tracked links */
	struct loop_timer sync_t;
	struct loop_timer ha_t; /* daemon_ha_kick() */
	struct check_env env;

	struct smtp *smtp;   /* mail alerts (smtp.c); NULL: before the loop */
	struct fsync *fsync; /* flow sync, dfsync.c; NULL: off */
	struct st_server *stats; /* stats page, stats_http.c; NULL: off */
	struct loop_fd stats_fd; /* its threads' requests for a snapshot */
	struct fsync_opts fsync_o;
	int fsync_feed_err; /* the last switch's, logged when it changes */

	struct lbxdp_ctx c;
	bool maps_open;
	int pid_fd;
	int ifindex;
	char ifname[IF_NAMESIZE];

	bool ready;	/* READY=1 sent */
	bool sync_due;	/* the maps may differ from what we want */
	__u32 seen_gen; /* config.gen after our last sync */
	unsigned int polls;
	int last_err;	   /* of the last sync: logged when it changes */
	uint64_t start_ms; /* CLOCK_MONOTONIC */
	uint64_t mac_deadline;
	unsigned int reloads, reload_errors;
	int exit_code;
};

/* daemon.c */
int daemon_run(struct daemon *d);
/* After each VRRP transition: ha_suspend stops or restarts the checks of
 * the virtual servers whose VIP a vrrp_instance holds only while MASTER;
 * flow sync sends while master, installs while backup. */
void daemon_ha_suspend(struct daemon *d);
/* The same from the loop, at once: VRRP transitions happen inside check
 * and script callbacks, whose checkers ha_suspend may free. */
void daemon_ha_kick(struct daemon *d);
/* Something changed: sync the maps soon (coalesced). */
void daemon_kick(struct daemon *d);
/* Re-read the configuration; 0, -ECANCELED when it was refused (the
 * running one stays), or -errno when it is in place but the maps could
 * not follow yet (the daemon keeps trying). @out gets the messages. */
int daemon_reload(struct daemon *d, FILE *out);
void daemon_status(struct daemon *d, FILE *out, bool json);
/* A one-line summary for systemd's STATUS= and the status command. */
void daemon_summary(struct daemon *d, char *buf, size_t len);

/* sync.c: make the maps what the configuration and health say. 0, or
 * -EAGAIN when it must be tried again (lock busy, a MAC unknown). */
int daemon_sync(struct daemon *d);
/* Publish @r's health in the pinned health map (no lock: one writer). */
void daemon_health_write(struct daemon *d, struct d_rs *r);

/* setup.c: the interface the real servers are on-link through, and the
 * vrrp instances' agreement with it. @fatal: errors (start) or warnings
 * (-t). Returns the errors found. */
int daemon_check_machine(const struct conf *cf, bool fatal,
			 struct conf_diag *diag, int *ifindex);
/* Attach, or adopt what is pinned, on d->ifindex. */
int daemon_attach(struct daemon *d);

/* ctl.c: the control socket. */
int ctl_listen(struct daemon *d);
void ctl_close(struct daemon *d);
/* The client side: lbxdp daemon status|reload|stop. Exit code. */
int ctl_request(const char *pin_dir, const char *cmd, bool json);

/* neigh.c: neighbour table events. */
/* An rtnetlink socket on @groups in the loop (neigh.c). */
int d_nl_listen(struct daemon *d, struct loop_fd *h, unsigned int groups,
		void (*cb)(struct loop_fd *h, uint32_t events));
void d_nl_close(struct daemon *d, struct loop_fd *h);
int neigh_listen(struct daemon *d);
void neigh_close(struct daemon *d);

/* Mail @m when mail alerts are set up (a no-op otherwise). */
void daemon_mail(struct daemon *d, const struct smtp_msg *m);
/* keepalived's router_id, or the host's name. */
const char *daemon_router_id(const struct daemon *d);

/* dstats.c: the stats page's server, prepared with a configuration and
 * committed (the old one stopped) or aborted as the rest of it. */
int dstats_prepare(struct daemon *d, const struct conf *cf, FILE *err,
		   struct st_server **out);
void dstats_commit(struct daemon *d, struct st_server *sv);
void dstats_abort(struct st_server *sv);
void dstats_stop(struct daemon *d);

/* notify.c: systemd's notify protocol (a no-op outside systemd). */
void notify_state(struct daemon *d, const char *state);

#endif /* LBXDP_DAEMON_H */
