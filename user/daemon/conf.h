/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The daemon's configuration: keepalived.conf(5) syntax, read whole into
 * this model before anything runs. The parser fills every default, so a
 * consumer never applies one: times are in ms, counts are final. Every item
 * keeps the file and line it came from, for messages at start and reload.
 * Pure code (no maps, no network): unit-tested and fuzzed.
 */
#ifndef LBXDP_CONF_H
#define LBXDP_CONF_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <linux/types.h>
#include "daemon/vrrp_pkt.h"

/* Where an item was defined: file names are owned by struct conf. */
struct conf_loc {
	const char *file;
	int line;
};

/*
 * Diagnostics: each is printed to @out as it is found, as
 * "FILE:LINE: error: ..." or "FILE:LINE: warning: ...", and counted.
 */
struct conf_diag {
	FILE *out;
	unsigned int errors;
	unsigned int warnings;
};

void conf_error(struct conf_diag *d, const struct conf_loc *at, const char *fmt,
		...) __attribute__((format(printf, 3, 4)));
void conf_warning(struct conf_diag *d, const struct conf_loc *at,
		  const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* keepalived's user for scripts that name none, where it exists */
#define SCRIPT_DEFAULT_USER "keepalived_script"

/* Who runs a script: its ids, looked up when the file is loaded. */
struct conf_cred {
	bool drop; /* false: as the daemon (root) */
	uid_t uid;
	gid_t gid;
	char user[64]; /* for initgroups(), in the script's child */
};

struct conf_script {
	char *cmd; /* as written: path and arguments (keepalived quoting) */
	char *user, *group; /* "SCRIPT [USER [GROUP]]"; NULL: script_user */
	struct conf_loc at;
	struct conf_cred cred; /* conf_check_host()'s */
};

enum conf_check_type {
	CHECK_TCP,
	CHECK_HTTP,
	CHECK_SSL,
	CHECK_MISC,
	CHECK_UDP,
	CHECK_DNS,
};

struct conf_status_range {
	int lo, hi; /* inclusive */
};

struct conf_url {
	char *path;
	char *digest; /* hex MD5 of the body, NULL: not checked */
	struct conf_status_range *status; /* NULL: 200-299 */
	int nstatus;
	char *virtualhost; /* NULL: the checker's */
	struct conf_loc at;
};

struct conf_checker {
	enum conf_check_type type;
	struct conf_loc at;
	/* Where to connect: defaults are the real server's address and the
	 * virtual server's port (DR cannot change the port). */
	__be32 connect_ip;
	__u16 connect_port;
	__be32 bindto; /* 0: any */
	__u16 bind_port;
	__u32 connect_timeout_ms;
	/* Timing, keepalived's: one check each delay_loop; after a failure,
	 * up to retry more tries delay_before_retry apart before down. */
	__u32 delay_loop_ms;
	__u32 retry;
	__u32 delay_before_retry_ms;
	__u32 warmup_ms; /* the first check at a random point up to this after
			  * the start (keepalived's warmup); 0: at once */
	bool alpha; /* down until the first success: the checker's, else the
		      * real server's, else the virtual server's alpha */
	/* lbxdp's HAProxy extension: rise/fall set replace retry semantics:
	 * down after fall consecutive failures, up after rise successes,
	 * one check each inter. 0: not set (keepalived's semantics). */
	__u32 rise, fall;
	__u32 inter_ms; /* the checker's delay_loop when not written */
	/* HTTP_GET, SSL_GET */
	struct conf_url *urls;
	int nurls;
	char *virtualhost;
	int http_protocol; /* 10: HTTP/1.0 (keepalived's default), 11 */
	bool http_close;   /* 1.0C: HTTP/1.0 with Connection: close */
	bool fast_recovery;
	bool enable_sni; /* SSL_GET */
	/* MISC_CHECK */
	struct conf_script misc;
	__u32 misc_timeout_ms; /* the checker's delay_loop when not written */
	bool misc_dynamic;
	/* DNS_CHECK */
	char *dns_name;
	int dns_type;
	/* UDP_CHECK */
	__u8 *udp_payload;
	int udp_payload_len;
	bool udp_require_reply;
	__u8 *udp_reply;
	int udp_reply_len;
};

/* A switch that may be left unwritten (keepalived's -1). */
enum conf_tri {
	CONF_UNSET = 0,
	CONF_OFF,
	CONF_ON,
};

struct conf_rs {
	__be32 addr;
	__u16 port; /* = the virtual server's (reset with a warning) */
	__u32 weight;
	bool inhibit_on_failure;
	struct conf_script notify_up, notify_down; /* cmd NULL: none */
	enum conf_tri smtp_alert; /* resolved: never CONF_UNSET */
	struct conf_checker *checkers;
	int nchecks;
	struct conf_loc at;
};

enum conf_sched {
	/* lbxdp's schedulers, enum lbxdp_sched of abi.h */
	CONF_SCHED_WRR = 0,
	CONF_SCHED_RR = 1,
	CONF_SCHED_MH = 2,
	CONF_SCHED_SH = 3,
};

struct conf_vs {
	__be32 addr;
	__u16 port; /* 0: every port */
	__u8 proto; /* IPPROTO_TCP, IPPROTO_UDP */
	int sched;  /* enum conf_sched, after keepalived's mh -> sh mapping */
	char *sched_as_written; /* "mh", "wrr", ... for the log */
	__u32 persist_sec;	/* 0: none */
	__u32 delay_loop_ms;
	bool alpha, omega;
	__u32 quorum;
	struct conf_script quorum_up, quorum_down;
	__u32 hysteresis;
	bool has_sorry;
	__be32 sorry_addr;
	__u16 sorry_port;
	bool sorry_inhibit;
	bool inhibit_on_failure;
	bool ha_suspend;
	enum conf_tri smtp_alert; /* quorum changes; resolved */
	char *virtualhost;
	struct conf_rs *rs;
	int nrs;
	struct conf_loc at;
};

struct conf_vip_addr {
	__be32 addr;
	__u8 prefix;
	char *dev; /* NULL: the instance's interface */
	char *label;
	int scope; /* RT_SCOPE_*, -1: not given */
	struct conf_loc at;
};

/* track_interface: FAULT while it is down, or, with a weight, that weight
 * added to the priority while it is down (keepalived's semantics). */
struct conf_track_if {
	char *name;
	int weight;   /* 0: FAULT while down; -253..253 otherwise */
	bool reverse; /* "weight N reverse": the weight applies inverted */
	struct conf_loc at;
};

/* vrrp_script NAME { script, interval, timeout, weight [reverse], rise,
 * fall, init_fail, user }: run every interval, its exit status 0 is a
 * success; after fall failures it is down, after rise successes up. */
struct conf_vrrp_script {
	char *name;
	struct conf_script script;
	__u32 interval_ms; /* default 1 s */
	__u32 timeout_ms;  /* default: interval */
	int weight;	   /* -253..253; 0: FAULT while down */
	bool reverse;	   /* weight added while down, not while up */
	__u32 rise, fall;  /* default 1, 1 */
	bool init_fail;	   /* starts down (default: up) */
	struct conf_loc at;
};

/* track_script in an instance: the script, and the weight that
 * overrides the script's own when written. */
struct conf_track_script {
	int script; /* index in conf.vscripts */
	int weight;
	bool reverse;
	struct conf_loc at;
};

struct conf_vrrp {
	char *name;
	bool master;	  /* state MASTER */
	bool state_given; /* state written at all */
	char *interface;
	__u8 vrid;
	__u8 priority;	     /* 1..255; default 100, or 255 with state MASTER */
	__u32 advert_int_ms; /* normalised: v2 whole seconds, v3 <= 40950 */
	int version;
	char auth_pass[9]; /* "" : none (and always "" in v3) */
	bool nopreempt;
	__u32 preempt_delay_ms;
	struct conf_vip_addr *vips;
	int nvips;
	struct conf_vip_addr *vips_excluded;
	int nvips_excluded;
	/* gratuitous ARPs: garp_master_delay (default 5 s, 0: none delayed),
	 * garp_master_repeat (5), garp_master_refresh (0: none),
	 * garp_master_refresh_repeat (1), garp_lower_prio_delay/repeat
	 * (default: the master's); instance values over vrrp_garp_* */
	__u32 garp_delay_ms, garp_repeat;
	__u32 garp_refresh_ms, garp_refresh_repeat;
	__u32 garp_lower_delay_ms, garp_lower_repeat;
	__u32 garp_interval_ms; /* vrrp_garp_interval: between two, 0 */
	/* unicast: adverts go to each peer from unicast_src_ip (0: the
	 * interface's primary address) instead of 224.0.0.18 */
	__be32 unicast_src;
	__be32 *unicast_peers;
	int npeers;
	enum vrrp_csum csum; /* old_unicast_checksum [never]: AUTO if not */
	/* notify scripts, cmd NULL: none; "notify" gets keepalived's
	 * arguments: INSTANCE NAME STATE PRIORITY */
	struct conf_script notify_master, notify_backup, notify_fault;
	struct conf_script notify_stop, notify;
	enum conf_tri smtp_alert; /* resolved: never CONF_UNSET */
	struct conf_track_if *track_ifs;
	int ntrack_ifs;
	struct conf_track_script *track_scripts;
	int ntrack_scripts;
	int sync_group; /* index in conf.sync_groups, -1: none */
	struct conf_loc at;
};

/* vrrp_sync_group NAME { group { INSTANCE ... } notify_* }: its instances
 * move together (one FAULT or BACKUP takes all of them along). */
struct conf_sync_group {
	char *name;
	int *members; /* indexes in conf.vrrp */
	int nmembers;
	struct conf_script notify_master, notify_backup, notify_fault;
	struct conf_script notify_stop, notify;
	enum conf_tri smtp_alert; /* resolved: never CONF_UNSET */
	struct conf_loc at;
};

/* global_defs' lvs_sync_daemon IFACE [INSTANCE] [id N] [port N]: the
 * master sends its flows to the backup. */
struct conf_lvs_sync {
	char *interface; /* NULL: no flow sync */
	char *instance;	 /* the vrrp_instance whose master sends; NULL: any */
	__u32 syncid;	 /* id N, 0..255, default 0 */
	__u16 port;	 /* default 8848 (IPVS's) */
	__be32 group;	 /* multicast group; 0: 224.0.0.81 (IPVS's) */
	struct conf_loc at;
};

/* lbxdp's own block: what "lbxdp attach" would be given. 0/NULL: its
 * default, or the interface the real servers are on-link through. */
struct conf_xdp {
	char *interface;
	int mode; /* -1: not given, else enum lbxdp_mode */
	__u32 flows, max_vips, max_backends, ring_size;
	char *sync_key_file; /* flow sync's HMAC key; NULL: no flow sync */
	struct conf_loc at, sync_key_at;
};

/* lbxdp_stats { auth USER:PASS }: PASS is plain text, or a crypt(3) hash
 * when it starts with $5$, $6$ or $y$. */
struct conf_stats_user {
	char *name;
	char *pass;
	bool hashed;
	bool admin; /* "admin USER": may act from the page */
	struct conf_loc at;
};

/* lbxdp's own block, HAProxy's words: the daemon's stats page and
 * /metrics. on is false without the block. */
struct conf_stats {
	bool on;
	__be32 bind_addr; /* network order; 0: every address */
	__u16 bind_port;  /* default 1080, HAProxy's examples' */
	char *uri;	  /* default "/stats" */
	char *realm;	  /* default "lbxdp" */
	struct conf_stats_user *users;
	int nusers;
	__u32 refresh_ms; /* 0: the page does not refresh itself */
	/* HAProxy's "timeout http-request": a request comes whole within
	 * it (default 10 s) */
	__u32 request_timeout_ms;
	bool hide_version;
	bool metrics_auth; /* default on: /metrics wants the same users */
	char *cert, *key;  /* PEM files: TLS; NULL: plain HTTP */
	struct conf_loc at, cert_at;
};

struct conf_global {
	char *router_id;
	char **emails;
	int nemails;
	char *email_from;
	char *smtp_server;
	__u16 smtp_port;
	char *smtp_helo;
	__u32 smtp_timeout_ms;
	/* smtp_alert, smtp_alert_checker, smtp_alert_vrrp as written; the
	 * resolved value is each server's and instance's smtp_alert */
	enum conf_tri smtp_alert, smtp_alert_checker, smtp_alert_vrrp;
	/* NULL: SCRIPT_DEFAULT_USER where it exists, else root */
	char *script_user, *script_group;
	bool script_security;
};

struct conf {
	char *path; /* the main file */
	struct conf_global g;
	struct conf_xdp xdp;
	struct conf_vrrp *vrrp;
	int nvrrp;
	struct conf_vrrp_script *vscripts;
	int nvscripts;
	struct conf_sync_group *sync_groups;
	int nsync_groups;
	struct conf_lvs_sync lvs_sync;
	struct conf_stats stats;
	struct conf_vs *vs;
	int nvs;
	/* Every file name any conf_loc points to. */
	char **files;
	int nfiles;
};

struct conf_opts {
	const char *config_id; /* for @id lines; NULL: the host name */
	/* Limits on $NAME expansion, so that $A=${A}${A} cannot hang. */
	int max_depth;	 /* 0: a default */
	size_t max_line; /* 0: a default */
	bool no_include; /* "include" is an error (the fuzzer) */
	/* ${_RANDOM}'s seed: the same seed, the same numbers (tests);
	 * 0: a random one */
	__u64 rand_seed;
};

/*
 * Read @path (and its includes) into *@out. Returns 0 when the file has no
 * error (warnings allowed), -EINVAL when it has errors (all printed), or
 * -errno when @path itself cannot be read (printed). *@out is set only on
 * success.
 */
int conf_load(const char *path, const struct conf_opts *o, struct conf **out,
	      struct conf_diag *d);
void conf_free(struct conf *cf);

/*
 * What depends on the machine: scripts that exist, are executable and are
 * safe under script security, users that exist. Warnings when !@fatal (the
 * daemon's -t), errors at start. Interfaces and on-link servers are the
 * daemon's to check (it has netlink). Returns the errors found.
 */
int conf_check_host(struct conf *cf, bool fatal, struct conf_diag *d);

/*
 * Who runs @s, as keepalived 2.2.7 (lib/notify.c) says: its own USER
 * [GROUP] (that user's group by default), else script_user
 * [script_group], else keepalived_script where it exists, else root, but
 * not under enable_script_security. Sets s->cred, which conf_check_host()
 * does for every script of the file: the daemon's loop never asks NSS,
 * which may block. 0, or -errno with @why said: -ENOENT (a user or group
 * that does not exist), -EPERM (no default user), another (the lookup's).
 */
int conf_script_cred(const struct conf_global *g, struct conf_script *s,
		     char *why, size_t len);
/* getgrnam_r(): 0, -ENOENT or -errno of the lookup. */
int conf_find_group(const char *name, gid_t *gid);

/*
 * The daemon's -t: conf_load() of @path, then conf_check_host() with
 * machine problems as warnings, all printed to @out. Returns the exit
 * code: 0 when there are only warnings, 1 for any error in the file, 2
 * when @path cannot be read.
 */
int conf_test(const char *path, const struct conf_opts *o, FILE *out);

#endif /* LBXDP_CONF_H */
