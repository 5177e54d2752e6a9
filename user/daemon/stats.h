/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The daemon's stats page and /metrics (lbxdp_stats { ... }): HAProxy's
 * monitoring page for the seed's operators, Prometheus's text format for
 * today's. The HTTP server (libmicrohttpd, a thread per connection) never
 * touches struct daemon: the loop hands it an immutable snapshot of what
 * it knows (servers, health, VRRP), and the server's threads add what the
 * pinned maps say (counters, flows) with their own map fds. So a slow
 * client or a big flow table can never stall a health check or VRRP.
 */
#ifndef LBXDP_STATS_H
#define LBXDP_STATS_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "parse.h"
#include "lbxdp/abi.h"
#include "daemon/conf.h"

/* A real server's state as the page shows it, HAProxy's words. */
enum st_state {
	ST_UP,	    /* checked and up */
	ST_DOWN,    /* its checks say down */
	ST_DRAIN,   /* weight 0: no new flows, open ones go on */
	ST_MAINT,   /* the operator took it down (backend set --down) */
	ST_NOCHECK, /* no checker: up as configured */
	ST_PENDING, /* checked, no result yet */
	ST_SORRY,   /* the virtual server's sorry server */
	ST__MAX,
};

/* "up", "down", "drain", "maint", "no check", "pending", "sorry" */
const char *st_state_name(enum st_state s);
/* HAProxy's status column: "UP", "DOWN", "DRAIN", "MAINT", "no check" */
const char *st_state_csv(enum st_state s);

/* What the maps say of one record (filled by the server's thread). */
struct st_ctr {
	bool valid; /* the record was found */
	struct lbxdp_counters c;
	bool have_rate;	       /* a previous sample 1 s or more old */
	double pps, bps, nfps; /* packets, bits, new flows a second */
	__u32 active;	       /* flows seen within the active window */
	__u32 flows;	       /* flows not yet idle past their timeout */
};

struct st_rs {
	__be32 addr;
	__u32 id, gen; /* its backend record; id 0: none yet */
	enum st_state state;
	__u32 weight;	   /* as applied (0 when removed or down) */
	__u32 cfg_weight;  /* the configuration's */
	bool present;	   /* a record: false while removed */
	bool op;	   /* an operator's override holds it */
	char by[12];	   /* who decided: check, config, operator, quorum */
	char checker[16];  /* the last result's: "HTTP_GET", ... "" none */
	char reason[64];   /* of the last result: "HTTP 503", "" */
	uint64_t last_ms;  /* CLOCK_REALTIME ms of the last result; 0: none */
	uint64_t since_ms; /* CLOCK_REALTIME ms of the last change; 0 */
	__u32 fails;	   /* consecutive failed checks */
	__u32 transitions; /* state changes since the daemon started */
	struct st_ctr m;
};

struct st_vs {
	struct lbxdp_vip_key key;
	char svc[LBXDP_SVC_STRLEN]; /* "198.18.0.10:80/tcp" */
	char sched[8];		    /* as written: "wrr", "mh", ... */
	bool quorum_up;
	struct st_rs *rs; /* the real servers, then the sorry server */
	int nrs;
	struct st_ctr m; /* the VIP's own counters */
};

struct st_vrrp {
	char name[64];
	char iface[IF_NAMESIZE];
	int vrid;
	char state[12]; /* "MASTER", "BACKUP", "FAULT", "INIT" */
	int prio, cfg_prio;
	char master[16]; /* the master's address, "" unknown */
	char group[64];	 /* its vrrp_sync_group, "" none */
	__u32 transitions;
	uint64_t since_ms; /* CLOCK_REALTIME ms of its last transition */
};

/* The daemon's own process (read from /proc by the server's thread). */
struct st_proc {
	double cpu_seconds;
	uint64_t rss_bytes, vsize_bytes;
	uint64_t open_fds, max_fds;
	double start_time; /* seconds since the epoch */
};

struct st_snap {
	uint64_t now_ms;   /* CLOCK_REALTIME ms when it was taken */
	uint64_t start_ms; /* CLOCK_REALTIME ms when the daemon started */
	int pid;
	const char *version; /* LBXDP_VERSION: a string literal */
	char router_id[64];
	char interface[IF_NAMESIZE];
	unsigned int reloads, reload_errors;
	struct st_vs *vs;
	int nvs;
	struct st_vrrp *vrrp;
	int nvrrp;
	/* filled by the server's thread from the maps: */
	bool maps_ok; /* false: no counters (maps_err says why) */
	char maps_err[96];
	__u64 reasons[LBXDP_NR_COUNTERS]; /* frames by verdict, events */
	struct st_proc proc;
};

void st_snap_free(struct st_snap *s);

/* The names of lbxdp_global_stats' counters (lbxdp stats's), and whether
 * counter @i is an event counted beside a frame's verdict. */
const char *st_reason_name(unsigned int i);
bool st_reason_is_event(unsigned int i);

/* What the page needs beyond the snapshot. */
struct st_page {
	const char *uri;  /* the configured uri: "/stats" */
	__u32 refresh_ms; /* 0: no refresh */
	bool hide_version;
	const char *user;   /* the authenticated user, NULL: none */
	const char *csrf;   /* the admin's token; NULL: no admin actions */
	const char *notice; /* the result of the last action, NULL */
};

/* stats_render.c: the page, HAProxy's CSV, JSON. 0 or -errno. */
int st_html(FILE *out, const struct st_snap *s, const struct st_page *pg);
int st_csv(FILE *out, const struct st_snap *s);
int st_json(FILE *out, const struct st_snap *s, bool hide_version);
/* stats_prom.c: the Prometheus text exposition format, version 0.0.4. */
int st_metrics(FILE *out, const struct st_snap *s);
/* The calling process's own: /proc/self's stat and fds, RLIMIT_NOFILE.
 * 0 or -errno (@p untouched). */
int st_proc_read(struct st_proc *p);

/* stats_auth.c: whether @user / @pass are one of @cs's auth lines; each
 * user's password is compared in constant time (a hash through crypt_r).
 * *@admin: whether that user has an admin line. */
bool st_auth(const struct conf_stats *cs, const char *user, const char *pass,
	     bool *admin);

struct daemon;
struct st_server;

/* stats_snap.c: the loop's side. */
struct st_snap *st_snap_take(struct daemon *d);

/*
 * stats_http.c. st_server_start() listens on @cs's address (on @old's
 * socket when @old, the running server, has the same address: a reload
 * refuses no connection) and serves from its own threads; an error is
 * printed to @err as FILE:LINE, and -errno returned. st_server_stop()
 * waits for its threads. st_server_fd() is the eventfd the loop watches:
 * readable when a thread wants a snapshot, answered by st_server_feed()
 * (which takes @s, NULL on ENOMEM).
 */
int st_server_start(const struct conf_stats *cs, const char *pin_dir,
		    bool use_syslog, const struct st_server *old,
		    struct st_server **out, FILE *err);
int st_server_fd(const struct st_server *sv);
/* Whether an admin's action changed the maps since the last call: the
 * loop syncs before the snapshot that follows. */
bool st_server_take_kick(struct st_server *sv);
void st_server_feed(struct st_server *sv, struct st_snap *s);
/* A reload's server serves once committed (its requests wait until then,
 * and get 503 if it is stopped instead). */
void st_server_commit(struct st_server *sv);
/* @wait: return once its threads are gone (exit); else they are waited
 * for in a thread of their own (a reload), the loop goes on at once. */
void st_server_stop(struct st_server *sv, bool wait);

#endif /* LBXDP_STATS_H */
