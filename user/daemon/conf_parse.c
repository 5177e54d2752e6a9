// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * keepalived.conf(5)'s keywords into struct conf: one table per block,
 * every default resolved as keepalived 2.2.7 resolves it (a checker takes
 * what its real server sets, which takes what its virtual server sets),
 * every problem reported with its FILE:LINE, all of them.
 *
 * A keyword keepalived has (or had in 1.x) that lbxdp does not implement
 * is a warning from one table (ka_only[]); any other unknown word is an
 * error.
 */
#include <arpa/inet.h>
#include <crypt.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf_lex.h"
#include "parse.h"
#include "sched.h"
#include "lbxdp/abi.h"

#define UNSET UINT32_MAX
/* VRRP has 255 router ids an interface: its checks are quadratic. */
#define CONF_MAX_VRRP 1024

/* Timing keywords as written at one level (UNSET, -1: not written). */
struct tm {
	__u32 delay_loop, retry, dbr, ct, warmup;
	int alpha, inhibit;
};

static const struct tm tm_unset = {UNSET, UNSET, UNSET, UNSET, UNSET, -1, -1};

struct ckx {
	struct tm t;
	__u32 rise, fall, inter;
	bool have_port;
};

struct rsx {
	struct tm t;
	bool bad;
	char *virtualhost;
	struct ckx *ck;
};

struct vsx {
	struct conf_vs *vs;
	struct tm t;
	struct rsx *rs;
	__u32 weight; /* real servers' default */
	const char *algo;
	bool kind, sh_port, mh_port;
	bool bad; /* its address or port was refused: no more about it */
	struct conf_loc sh_port_at, mh_port_at;
};

/* The gratuitous ARP settings, at both levels (global_defs' have a
 * "vrrp_" prefix); G_INTERVAL is global only. */
enum {
	G_DELAY,
	G_REP,
	G_REFRESH,
	G_REFRESH_REP,
	G_LOWER_DELAY,
	G_LOWER_REP,
	G_INTERVAL,
	G_N,
};

/* A track_script line, until the whole file's vrrp_scripts are known. */
struct pts {
	char *name;
	int weight;
	bool has_weight, reverse, noreverse;
	bool early; /* its vrrp_script came before (keepalived's order) */
	struct conf_loc at;
};

/* What a vrrp_instance leaves to finish(). */
struct vrs {
	__u32 garp[G_N]; /* UNSET: not written */
	bool prio;	 /* priority written */
	bool auth;	 /* authentication given, auth_at */
	struct conf_loc auth_at;
	/* auth_type's word, at type_at: keepalived authenticates only
	 * with auth_type PASS (auth_pass alone is no authentication) */
	enum { AUTH_UNSET, AUTH_PASS, AUTH_AH } auth_type;
	struct conf_loc type_at;
	struct pts *ts;
	int nts;
};

struct sgm {
	char *name;
	struct conf_loc at;
};

/* A vrrp_sync_group's members, by name until finish(). */
struct sgs {
	struct sgm *m;
	int n;
	bool group; /* its group block was read */
};

struct p {
	struct conf_stmts *s;
	int i;
	struct conf *cf;
	struct conf_diag *d;
	bool nomem;
	int vrrp_version; /* global_defs' vrrp_version, 0: not set */
	bool xdp_seen;
	bool *vs_bad;	 /* per cf->vs: its address or port was refused */
	__u32 garp[G_N]; /* global_defs' vrrp_garp_*, UNSET: not written */
	struct vrs *vrs; /* per cf->vrrp */
	struct sgs *sgs; /* per cf->sync_groups, as read */
	int nsgs;
	bool lvs_syncid; /* lvs_sync_daemon's id written */
	bool stats_seen;
	struct adm *adm; /* lbxdp_stats' admin lines, resolved at the end */
	int nadm;
};

struct adm {
	char *name;
	struct conf_loc at;
};

typedef void kw_fn(struct p *p, const struct conf_stmt *st, void *obj);

struct kw {
	const char *name;
	kw_fn *fn;
	bool block;
};

/* Where a keepalived keyword lives, for ka_only[]. */
enum {
	C_TOP = 1 << 0,
	C_GLOBAL = 1 << 1,
	C_VRRP = 1 << 2,
	C_VS = 1 << 3,
	C_RS = 1 << 4,
	C_CHECK = 1 << 5, /* every checker */
	C_URL = 1 << 6,
	C_UDP = 1 << 7,
	C_SYNC = 1 << 8,
};

struct ka_kw {
	const char *name;
	unsigned int ctx;
	const char *why; /* NULL: "not implemented by lbxdp" */
};

/* keepalived 2.2.7's keywords (and 1.x ones real configs still carry)
 * that lbxdp reads as a warning: each is named, none silently dropped. */
static const struct ka_kw ka_only[] = {
	/* top level */
	{"SSL", C_TOP, NULL},
	{"bfd_instance", C_TOP, NULL},
	{"garp_group", C_TOP, NULL},
	{"interface_up_down_delays", C_TOP, NULL},
	{"linkbeat_interfaces", C_TOP, NULL},
	{"static_ipaddress", C_TOP, NULL},
	{"static_routes", C_TOP, NULL},
	{"static_rules", C_TOP, NULL},
	{"track_file", C_TOP, NULL},
	{"track_group", C_TOP, NULL},
	{"vrrp_track_file", C_TOP, NULL},
	{"vrrp_track_process", C_TOP, NULL},
	{"virtual_server_group", C_TOP,
	 "not implemented by lbxdp: block skipped"},
	/* top level or global_defs */
	{"child_wait_time", C_TOP | C_GLOBAL, NULL},
	{"instance", C_TOP | C_GLOBAL, NULL},
	{"linkbeat_use_polling", C_TOP | C_GLOBAL | C_VRRP, NULL},
	{"namespace_with_ipsets", C_TOP | C_GLOBAL, NULL},
	{"net_namespace", C_TOP | C_GLOBAL, NULL},
	{"net_namespace_ipvs", C_TOP | C_GLOBAL, NULL},
	{"use_pid_dir", C_TOP | C_GLOBAL, NULL},
	/* global_defs */
	{"bfd_cpu_affinity", C_GLOBAL, NULL},
	{"bfd_no_swap", C_GLOBAL, NULL},
	{"bfd_priority", C_GLOBAL, NULL},
	{"bfd_process_name", C_GLOBAL, NULL},
	{"bfd_rlimit_rtime", C_GLOBAL, NULL},
	{"bfd_rlimit_rttime", C_GLOBAL, NULL},
	{"bfd_rt_priority", C_GLOBAL, NULL},
	{"checker_cpu_affinity", C_GLOBAL, NULL},
	{"checker_log_all_failures", C_GLOBAL, NULL},
	{"checker_no_swap", C_GLOBAL, NULL},
	{"checker_priority", C_GLOBAL, NULL},
	{"checker_process_name", C_GLOBAL, NULL},
	{"checker_rlimit_rtime", C_GLOBAL, NULL},
	{"checker_rlimit_rttime", C_GLOBAL, NULL},
	{"checker_rt_priority", C_GLOBAL, NULL},
	{"config_save_dir", C_GLOBAL, NULL},
	{"data_use_instance", C_GLOBAL, NULL},
	{"dbus_service_name", C_GLOBAL, NULL},
	{"default_interface", C_GLOBAL, NULL},
	{"disable_local_igmp", C_GLOBAL, NULL},
	{"dynamic_interfaces", C_GLOBAL, NULL},
	{"enable_dbus", C_GLOBAL, NULL},
	{"enable_snmp_checker", C_GLOBAL, NULL},
	{"enable_snmp_keepalived", C_GLOBAL, NULL},
	{"enable_snmp_rfc", C_GLOBAL, NULL},
	{"enable_snmp_rfcv2", C_GLOBAL, NULL},
	{"enable_snmp_rfcv3", C_GLOBAL, NULL},
	{"enable_snmp_vrrp", C_GLOBAL, NULL},
	{"enable_traps", C_GLOBAL, NULL},
	{"fifo_write_vrrp_states_on_reload", C_GLOBAL, NULL},
	{"include_check", C_GLOBAL, NULL},
	{"log_unknown_vrids", C_GLOBAL, NULL},
	{"lvs_flush", C_GLOBAL, NULL},
	{"lvs_flush_on_stop", C_GLOBAL, NULL},
	{"lvs_flush_onstop", C_GLOBAL, NULL},
	{"lvs_id", C_GLOBAL, "keepalived 1.x's name of router_id: ignored"},
	{"lvs_netlink_cmd_rcv_bufs", C_GLOBAL, NULL},
	{"lvs_netlink_cmd_rcv_bufs_force", C_GLOBAL, NULL},
	{"lvs_netlink_monitor_rcv_bufs", C_GLOBAL, NULL},
	{"lvs_netlink_monitor_rcv_bufs_force", C_GLOBAL, NULL},
	{"lvs_notify_fifo", C_GLOBAL, NULL},
	{"lvs_notify_fifo_script", C_GLOBAL, NULL},
	{"lvs_process_name", C_GLOBAL, NULL},
	{"lvs_sync_daemon", C_GLOBAL, NULL},
	{"lvs_timeouts", C_GLOBAL,
	 "not implemented by lbxdp (see lbxdp timeout): ignored"},
	{"max_auto_priority", C_GLOBAL, NULL},
	{"min_auto_priority_delay", C_GLOBAL, NULL},
	{"nftables", C_GLOBAL, NULL},
	{"nftables_counters", C_GLOBAL, NULL},
	{"nftables_ifindex", C_GLOBAL, NULL},
	{"nftables_ipvs", C_GLOBAL, NULL},
	{"nftables_ipvs_priority", C_GLOBAL, NULL},
	{"nftables_ipvs_start_fwmark", C_GLOBAL, NULL},
	{"nftables_priority", C_GLOBAL, NULL},
	{"no_checker_emails", C_GLOBAL, NULL},
	{"no_email_faults", C_GLOBAL, NULL},
	{"notify_fifo", C_GLOBAL, NULL},
	{"notify_fifo_script", C_GLOBAL, NULL},
	{"process_monitor_rcv_bufs", C_GLOBAL, NULL},
	{"process_monitor_rcv_bufs_force", C_GLOBAL, NULL},
	{"process_name", C_GLOBAL, NULL},
	{"process_names", C_GLOBAL, NULL},
	{"random_seed", C_GLOBAL, NULL},
	{"reload_check_config", C_GLOBAL, NULL},
	{"reload_file", C_GLOBAL, NULL},
	{"reload_repeat", C_GLOBAL, NULL},
	{"reload_time_file", C_GLOBAL, NULL},
	{"rs_init_notifies", C_GLOBAL, NULL},
	{"shutdown_script", C_GLOBAL, NULL},
	{"shutdown_script_timeout", C_GLOBAL, NULL},
	{"snmp_socket", C_GLOBAL, NULL},
	{"startup_script", C_GLOBAL, NULL},
	{"startup_script_timeout", C_GLOBAL, NULL},
	{"tmp_config_directory", C_GLOBAL, NULL},
	{"umask", C_GLOBAL, NULL},
	{"vmac_addr_prefix", C_GLOBAL, NULL},
	{"vmac_prefix", C_GLOBAL, NULL},
	{"vrrp_check_unicast_src", C_GLOBAL, NULL},
	{"vrrp_cpu_affinity", C_GLOBAL, NULL},
	{"vrrp_down_timer_adverts", C_GLOBAL, NULL},
	{"vrrp_garp_extra_if", C_GLOBAL, NULL},
	{"vrrp_gna_interval", C_GLOBAL, NULL},
	{"vrrp_higher_prio_send_advert", C_GLOBAL, NULL},
	{"vrrp_ipsets", C_GLOBAL, NULL},
	{"vrrp_iptables", C_GLOBAL, NULL},
	{"vrrp_lower_prio_no_advert", C_GLOBAL, NULL},
	{"vrrp_mcast_group4", C_GLOBAL, NULL},
	{"vrrp_mcast_group6", C_GLOBAL, NULL},
	{"vrrp_min_garp", C_GLOBAL, NULL},
	{"vrrp_netlink_cmd_rcv_bufs", C_GLOBAL, NULL},
	{"vrrp_netlink_cmd_rcv_bufs_force", C_GLOBAL, NULL},
	{"vrrp_netlink_monitor_rcv_bufs", C_GLOBAL, NULL},
	{"vrrp_netlink_monitor_rcv_bufs_force", C_GLOBAL, NULL},
	{"vrrp_no_swap", C_GLOBAL, NULL},
	{"vrrp_notify_fifo", C_GLOBAL, NULL},
	{"vrrp_notify_fifo_script", C_GLOBAL, NULL},
	{"vrrp_notify_priority_changes", C_GLOBAL, NULL},
	{"vrrp_priority", C_GLOBAL, NULL},
	{"vrrp_process_name", C_GLOBAL, NULL},
	{"vrrp_rlimit_rtime", C_GLOBAL, NULL},
	{"vrrp_rlimit_rttime", C_GLOBAL, NULL},
	{"vrrp_rt_priority", C_GLOBAL, NULL},
	{"vrrp_rx_bufs_multiplier", C_GLOBAL, NULL},
	{"vrrp_rx_bufs_policy", C_GLOBAL, NULL},
	{"vrrp_skip_check_adv_addr", C_GLOBAL, NULL},
	{"vrrp_startup_delay", C_GLOBAL, NULL},
	{"vrrp_strict", C_GLOBAL, NULL},
	{"vrrp_vmac_garp_intvl", C_GLOBAL, NULL},
	/* vrrp_instance */
	{"accept", C_VRRP, NULL},
	{"check_unicast_src", C_VRRP, NULL},
	{"debug", C_VRRP, NULL},
	{"dont_track_primary", C_VRRP, NULL},
	{"down_timer_adverts", C_VRRP, NULL},
	{"garp_extra_if", C_VRRP, NULL},
	{"higher_prio_send_advert", C_VRRP, NULL},
	{"kernel_rx_buf_size", C_VRRP, NULL},
	{"lower_prio_no_advert", C_VRRP, NULL},
	{"mcast_dst_ip", C_VRRP, NULL},
	{"mcast_src_ip", C_VRRP, NULL},
	{"native_ipv6", C_VRRP, NULL},
	{"no_accept", C_VRRP, NULL},
	{"notify_deleted", C_VRRP, NULL},
	{"notify_master_rx_lower_pri", C_VRRP, NULL},
	{"notify_priority_changes", C_VRRP | C_SYNC, NULL},
	{"promote_secondaries", C_VRRP, NULL},
	{"skip_check_adv_addr", C_VRRP, NULL},
	{"strict_mode", C_VRRP, NULL},
	{"track_bfd", C_VRRP | C_SYNC, NULL},
	{"track_file", C_VRRP | C_SYNC, NULL},
	{"track_process", C_VRRP | C_SYNC, NULL},
	{"track_src_ip", C_VRRP, NULL},
	{"unicast_fault_no_peer", C_VRRP, NULL},
	{"unicast_ttl", C_VRRP, NULL},
	{"use_ipvlan", C_VRRP, NULL},
	{"virtual_routes", C_VRRP, NULL},
	{"virtual_rules", C_VRRP, NULL},
	{"vmac_garp_intvl", C_VRRP, NULL},
	{"vmac_xmit_base", C_VRRP, NULL},
	{"vrf", C_VRRP, NULL},
	/* vrrp_sync_group: keepalived's group-wide tracking */
	{"global_tracking", C_SYNC, NULL},
	{"sync_group_tracking_weight", C_SYNC, NULL},
	{"track_interface", C_SYNC,
	 "in a vrrp_sync_group: not implemented by lbxdp (track it in each vrrp_instance): ignored"},
	{"track_script", C_SYNC,
	 "in a vrrp_sync_group: not implemented by lbxdp (track it in each vrrp_instance): ignored"},
	/* virtual_server */
	{"flag-1", C_VS, NULL},
	{"flag-2", C_VS, NULL},
	{"flag-3", C_VS, NULL},
	{"hashed", C_VS, NULL},
	{"ip_family", C_VS, NULL},
	{"mh-fallback", C_VS, NULL},
	{"nat_mask", C_VS,
	 "keepalived 1.x's NAT netmask: lbxdp does direct routing: ignored"},
	{"ops", C_VS, NULL},
	{"persistence_engine", C_VS, NULL},
	{"persistence_granularity", C_VS, NULL},
	{"sh-fallback", C_VS, NULL},
	{"snmp_name", C_VS | C_RS, NULL},
	/* real_server */
	{"BFD_CHECK", C_RS, "not implemented by lbxdp: checker skipped"},
	{"FILE_CHECK", C_RS, "not implemented by lbxdp: checker skipped"},
	{"PING_CHECK", C_RS, "not implemented by lbxdp: checker skipped"},
	{"SMTP_CHECK", C_RS, "not implemented by lbxdp: checker skipped"},
	{"lthreshold", C_RS, NULL},
	{"uthreshold", C_RS, NULL},
	/* checkers */
	{"bind_if", C_CHECK, NULL},
	{"fwmark", C_CHECK, NULL},
	{"log_all_failures", C_CHECK, NULL},
	{"regex", C_URL, NULL},
	{"regex_max_offset", C_URL, NULL},
	{"regex_min_offset", C_URL, NULL},
	{"regex_no_match", C_URL, NULL},
	{"regex_options", C_URL, NULL},
	{"regex_stack", C_URL, NULL},
	{"max_reply_length", C_UDP, NULL},
	{"min_reply_length", C_UDP, NULL},
};

/* ---- helpers ---- */

static char *dup(struct p *p, const char *s)
{
	char *r = s ? strdup(s) : NULL;

	if (s && !r)
		p->nomem = true;
	return r;
}

/* Room for element @n of *@arr, which only ever grows this way: its
 * capacity is the power of two at or above @n (linear time in all). */
static bool room(struct p *p, void *arr, int n, size_t sz)
{
	void **a = arr;
	char *na;

	if (n & (n - 1))
		return true;
	na = realloc(*a, (n ? 2 * (size_t)n : 1) * sz);
	if (!na) {
		p->nomem = true;
		return false;
	}
	*a = na;
	return true;
}

/* Append one zeroed element to *@arr of *@n; NULL on ENOMEM. */
static void *grow(struct p *p, void *arr, int *n, size_t sz)
{
	char *na;

	if (!room(p, arr, *n, sz))
		return NULL;
	na = *(void **)arr;
	memset(na + *n * sz, 0, sz);
	return na + (*n)++ * sz;
}

struct key {
	__u64 k;
	int i;
};

static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;

	if (x->k != y->k)
		return x->k < y->k ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/*
 * Duplicates by sorting (a file may hold many thousands of servers): of
 * @n keys of items 0..@total-1, first[i] is the first item with item i's
 * key when that is an earlier one, else -1. NULL on ENOMEM.
 */
static int *dups(struct p *p, struct key *keys, int n, int total)
{
	int *first = malloc((total ? total : 1) * sizeof(*first));
	int i, start = 0;

	if (!first) {
		p->nomem = true;
		return NULL;
	}
	for (i = 0; i < total; i++)
		first[i] = -1;
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (i = 0; i < n; i++) {
		if (i && keys[i].k != keys[i - 1].k)
			start = i;
		if (i != start)
			first[keys[i].i] = keys[start].i;
	}
	return first;
}

static bool need(struct p *p, const struct conf_stmt *st, int n)
{
	if (st->n > n)
		return true;
	conf_error(p->d, &st->at, "%s: missing value", st->w[0]);
	return false;
}

static void extra(struct p *p, const struct conf_stmt *st, int used)
{
	if (st->n > used + 1)
		conf_warning(p->d, &st->at, "%s: extra '%s' ignored", st->w[0],
			     st->w[used + 1]);
}

static bool digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int num(struct p *p, const struct conf_stmt *st, int i, __u32 min,
	       __u32 max, __u32 *out)
{
	const char *s = st->w[i];
	unsigned long long v;

	if (!digits(s)) {
		conf_error(p->d, &st->at, "%s: '%s' is not a number", st->w[0],
			   s);
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(s, NULL, 10);
	if (errno || v < min || v > max) {
		conf_error(p->d, &st->at, "%s: %s out of range %u-%u", st->w[0],
			   s, min, max);
		return -ERANGE;
	}
	*out = (__u32)v;
	return 0;
}

static int one_num(struct p *p, const struct conf_stmt *st, __u32 min,
		   __u32 max, __u32 *out)
{
	if (!need(p, st, 1))
		return -EINVAL;
	extra(p, st, 1);
	return num(p, st, 1, min, max, out);
}

/* keepalived's <TIMER>: seconds, fractions allowed; into ms, rounded up. */
static int parse_secs(const char *s, __u32 *ms)
{
	unsigned long long v = 0;
	int frac = 0, n = 0;
	bool up = false;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		v = v * 10 + (*s - '0');
		if (v > UINT32_MAX / 1000)
			return -ERANGE;
	}
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		for (; isdigit((unsigned char)*s); s++, n++) {
			if (n < 3)
				frac = frac * 10 + (*s - '0');
			else if (*s != '0')
				up = true;
		}
		for (; n < 3; n++)
			frac *= 10;
	}
	if (*s)
		return -EINVAL;
	v = v * 1000 + frac + up;
	if (v >= UINT32_MAX)
		return -ERANGE;
	*ms = (__u32)v;
	return 0;
}

static int one_time(struct p *p, const struct conf_stmt *st, __u32 min_ms,
		    __u32 *out)
{
	int err;

	if (!need(p, st, 1))
		return -EINVAL;
	extra(p, st, 1);
	err = parse_secs(st->w[1], out);
	if (err == -EINVAL)
		conf_error(p->d, &st->at, "%s: '%s' is not a time in seconds",
			   st->w[0], st->w[1]);
	else if (err || *out < min_ms)
		conf_error(p->d, &st->at, "%s: %s out of range", st->w[0],
			   st->w[1]);
	return err ? err : *out < min_ms ? -ERANGE : 0;
}

/* HAProxy's time: a number of ms, or with a unit us, ms, s, m, h, d. */
static int parse_dur(const char *s, __u32 *ms)
{
	static const struct {
		const char *u;
		unsigned long long mul, div;
	} units[] = {
		{"", 1, 1},	    {"us", 1, 1000}, {"ms", 1, 1},
		{"s", 1000, 1},	    {"m", 60000, 1}, {"h", 3600000, 1},
		{"d", 86400000, 1},
	};
	unsigned long long v = 0;
	size_t i;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		v = v * 10 + (*s - '0');
		if (v > UINT32_MAX)
			return -ERANGE;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s, units[i].u))
			continue;
		v = (v * units[i].mul + units[i].div - 1) / units[i].div;
		if (v >= UINT32_MAX)
			return -ERANGE;
		*ms = (__u32)v;
		return 0;
	}
	return -EINVAL;
}

/* "KEYWORD [BOOL]": no value is true. */
static int opt_bool(struct p *p, const struct conf_stmt *st, bool *out)
{
	static const char *const yes[] = {"on", "true", "yes"};
	static const char *const no[] = {"off", "false", "no"};
	size_t i;

	if (st->n < 2) {
		*out = true;
		return 0;
	}
	extra(p, st, 1);
	for (i = 0; i < 3; i++) {
		if (!strcmp(st->w[1], yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcmp(st->w[1], no[i])) {
			*out = false;
			return 0;
		}
	}
	conf_error(p->d, &st->at,
		   "%s: '%s' is not one of on|off|true|false|yes|no", st->w[0],
		   st->w[1]);
	return -EINVAL;
}

/* opt_bool() into a switch that may stay unwritten. */
static void opt_tri(struct p *p, const struct conf_stmt *st, enum conf_tri *out)
{
	bool b;

	if (!opt_bool(p, st, &b))
		*out = b ? CONF_ON : CONF_OFF;
}

static int no_value(struct p *p, const struct conf_stmt *st)
{
	extra(p, st, 0);
	return 0;
}

static int addr4(struct p *p, const struct conf_stmt *st, const char *s,
		 __be32 *out)
{
	struct in_addr in;

	if (inet_pton(AF_INET, s, &in) == 1) {
		*out = in.s_addr;
		return 0;
	}
	if (strchr(s, ':'))
		conf_error(p->d, &st->at,
			   "%s: %s: an IPv6 address: lbxdp is IPv4-only",
			   st->w[0], s);
	else
		conf_error(p->d, &st->at, "%s: '%s' is not an IPv4 address",
			   st->w[0], s);
	return -EINVAL;
}

/* "SCRIPT [USER [GROUP]]": the command as one (quoted) word. */
static void script(struct p *p, const struct conf_stmt *st, int i,
		   struct conf_script *sc)
{
	if (!need(p, st, i))
		return;
	if (!*st->w[i]) {
		conf_error(p->d, &st->at, "%s: empty script", st->w[0]);
		return;
	}
	free(sc->cmd);
	free(sc->user);
	free(sc->group);
	sc->cmd = dup(p, st->w[i]);
	sc->user = st->n > i + 1 ? dup(p, st->w[i + 1]) : NULL;
	sc->group = st->n > i + 2 ? dup(p, st->w[i + 2]) : NULL;
	sc->at = st->at;
	extra(p, st, i + 2);
}

/* A signed number of @s, for @what's messages. */
static int inum(struct p *p, const struct conf_stmt *st, const char *what,
		const char *s, int min, int max, int *out)
{
	long long v;

	if (!digits(*s == '-' || *s == '+' ? s + 1 : s)) {
		conf_error(p->d, &st->at, "%s: '%s' is not a number", what, s);
		return -EINVAL;
	}
	errno = 0;
	v = strtoll(s, NULL, 10);
	if (errno || v < min || v > max) {
		conf_error(p->d, &st->at, "%s: %s out of range %d..%d", what, s,
			   min, max);
		return -ERANGE;
	}
	*out = (int)v;
	return 0;
}

/* keepalived's weights of tracked objects: -254..254, where +-254 is
 * taken as +-253 with a warning. */
static int track_weight(struct p *p, const struct conf_stmt *st,
			const char *what, const char *s, int *out)
{
	if (inum(p, st, what, s, -254, 254, out))
		return -EINVAL;
	if (*out == 254 || *out == -254) {
		conf_warning(
			p->d, &st->at,
			"%s: weight cannot be +/-254: set to %d, as keepalived does",
			what, *out / 254 * 253);
		*out = *out / 254 * 253;
	}
	return 0;
}

/* Which notify_* of @sc0 (master, backup, fault, stop, notify) @st sets;
 * a second one is ignored, as keepalived ignores it. */
static void notify(struct p *p, const struct conf_stmt *st,
		   struct conf_script *master, struct conf_script *backup,
		   struct conf_script *fault, struct conf_script *stop,
		   struct conf_script *all)
{
	const char *w = st->w[0];
	struct conf_script *sc = !strcmp(w, "notify_master")   ? master
				 : !strcmp(w, "notify_backup") ? backup
				 : !strcmp(w, "notify_fault")  ? fault
				 : !strcmp(w, "notify_stop")   ? stop
							       : all;

	if (sc->cmd) {
		conf_warning(
			p->d, &st->at,
			"%s: already given at line %d: ignored, as keepalived does",
			w, sc->at.line);
		return;
	}
	script(p, st, 1, sc);
}

static char *fmt_ap(char *buf, size_t len, __be32 a, __u16 port)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	snprintf(buf, len, "%s:%u", ip, port);
	return buf;
}

/* ---- blocks ---- */

static bool next_open(struct p *p)
{
	if (p->i < p->s->n && !p->s->v[p->i].n && p->s->v[p->i].open) {
		p->i++;
		return true;
	}
	return false;
}

/* Skip to the end of the block @opener opened. */
static void skip(struct p *p, const struct conf_stmt *opener)
{
	int depth = 1;

	while (p->i < p->s->n) {
		const struct conf_stmt *st = &p->s->v[p->i++];

		if (st->open)
			depth++;
		if (st->close && --depth == 0)
			return;
	}
	conf_error(p->d, &opener->at, "%s: missing '}'",
		   opener->n ? opener->w[0] : "{");
}

static void unknown(struct p *p, const struct conf_stmt *st, unsigned int ctx,
		    const char *where)
{
	size_t i;

	for (i = 0; i < sizeof(ka_only) / sizeof(ka_only[0]); i++) {
		if (!(ka_only[i].ctx & ctx) ||
		    strcmp(ka_only[i].name, st->w[0]))
			continue;
		conf_warning(p->d, &st->at, "%s: %s", st->w[0],
			     ka_only[i].why
				     ? ka_only[i].why
				     : "not implemented by lbxdp: ignored");
		return;
	}
	conf_error(p->d, &st->at, "unknown keyword '%s' in %s", st->w[0],
		   where);
}

/* The statements of a block (or the top level: @opener NULL). */
static void block(struct p *p, const struct conf_stmt *opener,
		  const struct kw *tab, unsigned int ctx, void *obj)
{
	const char *where = opener ? opener->w[0] : "the top level";

	while (p->i < p->s->n && !p->nomem) {
		const struct conf_stmt *st = &p->s->v[p->i++];
		const struct kw *k;
		bool open;

		if (st->close) {
			if (opener)
				return;
			conf_error(p->d, &st->at, "unexpected '}'");
			continue;
		}
		if (!st->n) {
			conf_error(p->d, &st->at, "unexpected '{'");
			skip(p, st);
			continue;
		}
		for (k = tab; k->name && strcmp(k->name, st->w[0]); k++)
			;
		open = st->open || next_open(p);
		if (!k->name) {
			unknown(p, st, ctx, where);
			if (open)
				skip(p, st);
		} else if (k->block && !open) {
			conf_error(p->d, &st->at, "%s: missing '{'", st->w[0]);
		} else if (!k->block && open) {
			conf_error(p->d, &st->at, "%s takes no '{' block",
				   st->w[0]);
			skip(p, st);
		} else {
			k->fn(p, st, obj);
		}
	}
	if (opener)
		conf_error(p->d, &opener->at, "%s: missing '}'", opener->w[0]);
}

/* The next line of a block of values (notification_email, addresses);
 * NULL at its end. */
static const struct conf_stmt *value_line(struct p *p,
					  const struct conf_stmt *opener)
{
	while (p->i < p->s->n) {
		const struct conf_stmt *st = &p->s->v[p->i++];

		if (st->close)
			return NULL;
		if (st->open) {
			conf_error(p->d, &st->at, "%s: unexpected '{'",
				   opener->w[0]);
			skip(p, st);
			continue;
		}
		return st;
	}
	conf_error(p->d, &opener->at, "%s: missing '}'", opener->w[0]);
	return NULL;
}

/* ---- global_defs ---- */

static void g_router_id(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_global *g = o;

	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	free(g->router_id);
	g->router_id = dup(p, st->w[1]);
}

static void g_emails(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_global *g = o;
	const struct conf_stmt *l;
	int i;

	while ((l = value_line(p, st))) {
		for (i = 0; i < l->n; i++) {
			char **e = grow(p, &g->emails, &g->nemails,
					sizeof(*g->emails));

			if (!e)
				return;
			*e = dup(p, l->w[i]);
		}
	}
}

static void g_from(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_global *g = o;

	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	free(g->email_from);
	g->email_from = dup(p, st->w[1]);
}

static void g_smtp_server(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_global *g = o;
	__u32 port = 25;

	if (!need(p, st, 1))
		return;
	if (st->n > 2 && num(p, st, 2, 1, 65535, &port))
		return;
	extra(p, st, 2);
	free(g->smtp_server);
	g->smtp_server = dup(p, st->w[1]);
	g->smtp_port = (__u16)port;
}

static void g_helo(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_global *g = o;

	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	free(g->smtp_helo);
	g->smtp_helo = dup(p, st->w[1]);
}

static void g_smtp_timeout(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_global *g = o;

	one_time(p, st, 1, &g->smtp_timeout_ms);
}

static void g_smtp_alert(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_global *g = o;

	opt_tri(p, st,
		!strcmp(st->w[0], "smtp_alert_checker") ? &g->smtp_alert_checker
		: !strcmp(st->w[0], "smtp_alert_vrrp")	? &g->smtp_alert_vrrp
							: &g->smtp_alert);
}

static void g_script_user(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_global *g = o;

	if (!need(p, st, 1))
		return;
	extra(p, st, 2);
	free(g->script_user);
	free(g->script_group);
	g->script_user = dup(p, st->w[1]);
	g->script_group = st->n > 2 ? dup(p, st->w[2]) : NULL;
}

static void g_security(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_global *g = o;

	no_value(p, st);
	g->script_security = true;
}

static void g_vrrp_version(struct p *p, const struct conf_stmt *st, void *o)
{
	__u32 v;

	if (!one_num(p, st, 2, 3, &v))
		p->vrrp_version = (int)v;
}

static const char *const garp_names[G_N] = {
	"garp_master_delay",	 "garp_master_repeat",
	"garp_master_refresh",	 "garp_master_refresh_repeat",
	"garp_lower_prio_delay", "garp_lower_prio_repeat",
	"garp_interval",
};

/* garp_* of an instance, vrrp_garp_* of global_defs, into @v[]: whole
 * seconds for the delays (keepalived's), a master or refresh repeat of 0
 * is 1 (keepalived's), a lower_prio one may be 0. */
static void garp(struct p *p, const struct conf_stmt *st, __u32 *v)
{
	const char *name = st->w[0];
	__u32 x;
	int k;

	if (!strncmp(name, "vrrp_", 5))
		name += 5;
	for (k = 0; k < G_N && strcmp(garp_names[k], name); k++)
		;
	switch (k) {
	case G_DELAY:
	case G_REFRESH:
	case G_LOWER_DELAY:
		if (!one_num(p, st, 0, UINT32_MAX / 1000 - 1, &x))
			v[k] = x * 1000;
		break;
	case G_REP:
	case G_REFRESH_REP:
	case G_LOWER_REP:
		if (one_num(p, st, 0, INT32_MAX, &x))
			break;
		if (!x && k != G_LOWER_REP) {
			conf_warning(
				p->d, &st->at,
				"%s: must be greater than 0: set to 1, as keepalived does",
				st->w[0]);
			x = 1;
		}
		v[k] = x;
		break;
	case G_INTERVAL:
		if (!one_time(p, st, 1, &x))
			v[k] = x;
		break;
	}
}

static void g_garp(struct p *p, const struct conf_stmt *st, void *o)
{
	garp(p, st, p->garp);
}

static bool lvs_opt_value(struct p *p, const struct conf_stmt *st, int i)
{
	if (i + 1 < st->n)
		return true;
	conf_error(p->d, &st->at, "lvs_sync_daemon: %s: missing value",
		   st->w[i]);
	return false;
}

/* keepalived 2.2.7's "lvs_sync_daemon IFACE [inst NAME] [id N] [maxlen N]
 * [port N] [ttl N] [group ADDR]", and its older "IFACE NAME [SYNCID]". */
static void g_lvs_sync(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_lvs_sync *ls = &p->cf->lvs_sync;
	struct in_addr grp;
	__u32 v;
	int i;

	if (ls->interface) {
		conf_warning(
			p->d, &st->at,
			"lvs_sync_daemon: already given as %s at line %d: ignored, as keepalived does",
			ls->interface, ls->at.line);
		return;
	}
	if (!need(p, st, 1))
		return;
	if (strlen(st->w[1]) >= 16) {
		conf_error(p->d, &st->at,
			   "lvs_sync_daemon: interface name '%s' too long",
			   st->w[1]);
		return;
	}
	ls->interface = dup(p, st->w[1]);
	ls->at = st->at;
	for (i = 2; i < st->n; i++) {
		const char *w = st->w[i];

		if (!strcmp(w, "inst")) {
			if (!lvs_opt_value(p, st, i))
				break;
			if (ls->instance) {
				conf_warning(
					p->d, &st->at,
					"lvs_sync_daemon: instance already given as %s: '%s' ignored",
					ls->instance, st->w[i + 1]);
			} else {
				ls->instance = dup(p, st->w[i + 1]);
			}
			i++;
		} else if (!strcmp(w, "id")) {
			if (!lvs_opt_value(p, st, i))
				break;
			if (!num(p, st, ++i, 0, 255, &v)) {
				ls->syncid = v;
				p->lvs_syncid = true;
			}
		} else if (!strcmp(w, "port")) {
			if (!lvs_opt_value(p, st, i))
				break;
			if (!num(p, st, ++i, 1, 65535, &v))
				ls->port = (__u16)v;
		} else if (!strcmp(w, "maxlen") || !strcmp(w, "ttl")) {
			if (!lvs_opt_value(p, st, i))
				break;
			if (!num(p, st, ++i, 1, w[0] == 'm' ? 65507 : 255, &v))
				conf_warning(
					p->d, &st->at,
					"lvs_sync_daemon: %s: IPVS's sync daemon's: lbxdp's flow sync has its own: ignored",
					w);
		} else if (!strcmp(w, "group")) {
			if (!lvs_opt_value(p, st, i))
				break;
			i++;
			if (inet_pton(AF_INET, st->w[i], &grp) != 1 ||
			    !IN_MULTICAST(ntohl(grp.s_addr)))
				conf_error(
					p->d, &st->at,
					"lvs_sync_daemon: group: '%s' is not an IPv4 multicast address",
					st->w[i]);
			else
				ls->group = grp.s_addr;
		} else if (i == 2) {
			/* keepalived 1.x: IFACE INSTANCE [SYNCID] */
			ls->instance = dup(p, w);
		} else if (i == 3 && !num(p, st, i, 0, 255, &v)) {
			conf_warning(
				p->d, &st->at,
				"lvs_sync_daemon: write \"id %s\" (keepalived's warning too)",
				w);
			ls->syncid = v;
			p->lvs_syncid = true;
		} else if (i != 3) {
			conf_error(p->d, &st->at,
				   "lvs_sync_daemon: unknown option '%s'", w);
		}
	}
}

static const struct kw global_kw[] = {
	{"router_id", g_router_id, false},
	{"notification_email", g_emails, true},
	{"notification_email_from", g_from, false},
	{"smtp_server", g_smtp_server, false},
	{"smtp_helo_name", g_helo, false},
	{"smtp_connect_timeout", g_smtp_timeout, false},
	{"smtp_alert", g_smtp_alert, false},
	{"smtp_alert_checker", g_smtp_alert, false},
	{"smtp_alert_vrrp", g_smtp_alert, false},
	{"script_user", g_script_user, false},
	{"enable_script_security", g_security, false},
	{"vrrp_version", g_vrrp_version, false},
	{"vrrp_garp_master_delay", g_garp, false},
	{"vrrp_garp_master_repeat", g_garp, false},
	{"vrrp_garp_master_refresh", g_garp, false},
	{"vrrp_garp_master_refresh_repeat", g_garp, false},
	{"vrrp_garp_lower_prio_delay", g_garp, false},
	{"vrrp_garp_lower_prio_repeat", g_garp, false},
	{"vrrp_garp_interval", g_garp, false},
	{"lvs_sync_daemon", g_lvs_sync, false},
	{NULL, NULL, false},
};

static void top_global(struct p *p, const struct conf_stmt *st, void *o)
{
	extra(p, st, 0);
	block(p, st, global_kw, C_GLOBAL, &p->cf->g);
}

/* ---- vrrp_instance ---- */

struct vrx {
	struct conf_vrrp *vr;
	struct vrs *s;
	bool vrid;
};

static void v_state(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vrx *x = o;

	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	x->vr->state_given = true;
	if (!strcmp(st->w[1], "MASTER"))
		x->vr->master = true;
	else if (!strcmp(st->w[1], "BACKUP") && x->vr->master)
		conf_warning(
			p->d, &st->at,
			"state: MASTER given before: BACKUP ignored, as keepalived does");
	else if (!strcmp(st->w[1], "BACKUP"))
		x->vr->master = false;
	else
		conf_error(p->d, &st->at, "state: '%s' is not MASTER or BACKUP",
			   st->w[1]);
}

static void v_interface(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vrx *x = o;

	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	free(x->vr->interface);
	x->vr->interface = dup(p, st->w[1]);
}

static void v_vrid(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vrx *x = o;
	__u32 v;

	x->vrid = true; /* even a refused one: no "missing" error */
	if (!one_num(p, st, 1, 255, &v))
		x->vr->vrid = (__u8)v;
}

static void v_priority(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vrx *x = o;
	__u32 v;

	x->s->prio = true;
	if (!one_num(p, st, 1, 255, &v))
		x->vr->priority = (__u8)v;
}

static void v_advert(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vrx *x = o;
	__u32 ms;

	if (!one_time(p, st, 10, &ms)) {
		if (ms > 255000)
			conf_error(p->d, &st->at, "advert_int: %s out of range",
				   st->w[1]);
		else
			x->vr->advert_int_ms = ms;
	}
}

static void v_version(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vrx *x = o;
	__u32 v;

	if (!one_num(p, st, 2, 3, &v))
		x->vr->version = (int)v;
}

static void v_preempt(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vrx *x = o;

	no_value(p, st);
	x->vr->nopreempt = false;
}

static void v_nopreempt(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vrx *x = o;

	no_value(p, st);
	x->vr->nopreempt = true;
}

static void v_smtp_alert(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vrx *x = o;

	opt_tri(p, st, &x->vr->smtp_alert);
}

static void v_preempt_delay(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vrx *x = o;
	__u32 ms;

	if (!one_time(p, st, 0, &ms)) {
		if (ms > 1000000)
			conf_error(p->d, &st->at,
				   "preempt_delay: %s out of range 0-1000",
				   st->w[1]);
		else
			x->vr->preempt_delay_ms = ms;
	}
}

static void v_vmac(struct p *p, const struct conf_stmt *st, void *o)
{
	conf_error(
		p->d, &st->at,
		"%s: XDP passes frames sent to a VMAC, not to the interface's own MAC: lbxdp cannot serve it",
		st->w[0]);
}

static void a_type(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vrx *x = o;

	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	x->s->type_at = st->at;
	if (!strcasecmp(st->w[1], "PASS")) {
		x->s->auth_type = AUTH_PASS;
	} else if (!strcasecmp(st->w[1], "AH")) {
		x->s->auth_type = AUTH_AH;
	} else {
		conf_error(p->d, &st->at, "auth_type: '%s' is not PASS or AH",
			   st->w[1]);
	}
}

static void a_pass(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vrx *x = o;
	size_t max = sizeof(x->vr->auth_pass) - 1;

	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	if (strlen(st->w[1]) > max)
		conf_warning(
			p->d, &st->at,
			"auth_pass: longer than 8 characters: truncated, as keepalived does");
	snprintf(x->vr->auth_pass, sizeof(x->vr->auth_pass), "%s", st->w[1]);
}

static const struct kw auth_kw[] = {
	{"auth_type", a_type, false},
	{"auth_pass", a_pass, false},
	{NULL, NULL, false},
};

static void v_auth(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vrx *x = o;

	x->s->auth = true;
	x->s->auth_at = st->at;
	extra(p, st, 0);
	block(p, st, auth_kw, 0, o);
}

static int scope_of(const char *s)
{
	static const struct {
		const char *name;
		int v;
	} sc[] = {
		{"global", 0}, {"site", 200},	 {"link", 253},
		{"host", 254}, {"nowhere", 255},
	};
	__u32 v;
	size_t i;

	for (i = 0; i < sizeof(sc) / sizeof(sc[0]); i++)
		if (!strcmp(s, sc[i].name))
			return sc[i].v;
	if (!lbxdp_parse_u32(s, 0, 255, &v))
		return (int)v;
	return -1;
}

/* "ADDR[/PREFIX] [dev D] [label L] [scope S] ..." */
static void vip_line(struct p *p, const struct conf_stmt *st,
		     struct conf_vip_addr **arr, int *n, const char *what)
{
	static const char *const flags[] = {
		"home",		 "-nodad",   "mngtmpaddr",
		"noprefixroute", "autojoin", "no_track",
	};
	static const char *const with_arg[] = {"brd", "peer", "preferred_lft",
					       "track_group"};
	bool excluded = !strcmp(what, "virtual_ipaddress_excluded");
	struct conf_vip_addr *v;
	char *slash, buf[64];
	__u32 plen = 32;
	int i;
	size_t j;

	v = grow(p, arr, n, sizeof(**arr));
	if (!v)
		return;
	v->at = st->at;
	v->scope = -1;
	snprintf(buf, sizeof(buf), "%s", st->w[0]);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, &v->addr) != 1) {
		struct in6_addr a6;

		/* keepalived takes IPv6 among IPv4 excluded addresses; lbxdp
		 * serves none of them (VRRP adds them, next issue) */
		if (excluded && inet_pton(AF_INET6, buf, &a6) == 1) {
			conf_warning(
				p->d, &st->at,
				"%s: %s: an IPv6 address: lbxdp is IPv4-only: skipped",
				what, st->w[0]);
			(*n)--;
			return;
		}
		if (strchr(buf, ':'))
			conf_error(
				p->d, &st->at,
				"%s: %s: an IPv6 address: lbxdp is IPv4-only",
				what, st->w[0]);
		else
			conf_error(p->d, &st->at,
				   "%s: '%s' is not an IPv4 address", what,
				   st->w[0]);
	} else if (slash && lbxdp_parse_u32(slash, 0, 32, &plen)) {
		conf_error(p->d, &st->at, "%s: bad prefix length '%s'", what,
			   slash);
		plen = 32;
	}
	v->prefix = (__u8)plen;
	for (i = 1; i < st->n; i++) {
		const char *o = st->w[i];
		const char *arg = i + 1 < st->n ? st->w[i + 1] : NULL;

		if (!strcmp(o, "use_vmac")) {
			conf_error(
				p->d, &st->at,
				"%s: use_vmac: XDP passes frames sent to a VMAC, not to the interface's own MAC: lbxdp cannot serve it",
				what);
			continue;
		}
		for (j = 0; j < sizeof(flags) / sizeof(flags[0]); j++)
			if (!strcmp(o, flags[j]))
				break;
		if (j < sizeof(flags) / sizeof(flags[0])) {
			conf_warning(
				p->d, &st->at,
				"%s: %s: not implemented by lbxdp: ignored",
				what, o);
			continue;
		}
		if (!strcmp(o, "dev") || !strcmp(o, "label") ||
		    !strcmp(o, "scope")) {
			if (!arg) {
				conf_error(p->d, &st->at,
					   "%s: %s: missing value", what, o);
				break;
			}
			i++;
			if (o[0] == 'd') {
				free(v->dev);
				v->dev = dup(p, arg);
			} else if (o[0] == 'l') {
				free(v->label);
				v->label = dup(p, arg);
			} else if ((v->scope = scope_of(arg)) < 0) {
				conf_error(
					p->d, &st->at,
					"%s: scope: '%s' is not host, link, site, global, nowhere or 0-255",
					what, arg);
			}
			continue;
		}
		for (j = 0; j < sizeof(with_arg) / sizeof(with_arg[0]); j++)
			if (!strcmp(o, with_arg[j]))
				break;
		if (j < sizeof(with_arg) / sizeof(with_arg[0])) {
			conf_warning(
				p->d, &st->at,
				"%s: %s: not implemented by lbxdp: ignored",
				what, o);
			i++;
			continue;
		}
		conf_error(p->d, &st->at, "%s: unknown option '%s'", what, o);
	}
}

static void v_vips(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vrx *x = o;
	const struct conf_stmt *l;

	extra(p, st, 0);
	while ((l = value_line(p, st)))
		vip_line(p, l, &x->vr->vips, &x->vr->nvips, st->w[0]);
}

static void v_vips_ex(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vrx *x = o;
	const struct conf_stmt *l;

	extra(p, st, 0);
	while ((l = value_line(p, st)))
		vip_line(p, l, &x->vr->vips_excluded, &x->vr->nvips_excluded,
			 st->w[0]);
}

static void v_garp(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vrx *x = o;

	garp(p, st, x->s->garp);
}

static void v_unicast_src(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vrx *x = o;

	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	addr4(p, st, st->w[1], &x->vr->unicast_src);
}

/* "old_unicast_checksum [never]", as keepalived reads it */
static void v_old_csum(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vrx *x = o;

	extra(p, st, 1);
	if (st->n < 2)
		x->vr->csum = VRRP_CSUM_OLD;
	else if (!strcmp(st->w[1], "never"))
		x->vr->csum = VRRP_CSUM_NEVER;
	else
		conf_error(
			p->d, &st->at,
			"%s: unknown mode '%s': none (old checksums from the start) or never",
			st->w[0], st->w[1]);
}

/* "ADDR [min_ttl N] [max_ttl N]" a line */
static void v_unicast_peer(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vrx *x = o;
	const struct conf_stmt *l;
	struct in_addr a;
	__be32 *pe;
	__u32 v;
	int i;

	extra(p, st, 0);
	while ((l = value_line(p, st))) {
		if (inet_pton(AF_INET, l->w[0], &a) != 1) {
			conf_error(
				p->d, &l->at,
				strchr(l->w[0], ':')
					? "unicast_peer: %s: an IPv6 address: lbxdp is IPv4-only"
					: "unicast_peer: '%s' is not an IPv4 address",
				l->w[0]);
			continue;
		}
		for (i = 1; i < l->n; i += 2) {
			if (strcmp(l->w[i], "min_ttl") &&
			    strcmp(l->w[i], "max_ttl")) {
				conf_error(p->d, &l->at,
					   "unicast_peer: unknown option '%s'",
					   l->w[i]);
			} else if (i + 1 >= l->n) {
				conf_error(p->d, &l->at,
					   "unicast_peer: %s: missing value",
					   l->w[i]);
			} else if (lbxdp_parse_u32(l->w[i + 1], 0, 255, &v)) {
				conf_error(
					p->d, &l->at,
					"unicast_peer: %s: '%s' is not 0-255",
					l->w[i], l->w[i + 1]);
			} else {
				conf_warning(
					p->d, &l->at,
					"unicast_peer: %s: not implemented by lbxdp: ignored",
					l->w[i]);
			}
		}
		for (i = 0; i < x->vr->npeers; i++)
			if (x->vr->unicast_peers[i] == a.s_addr)
				break;
		if (i < x->vr->npeers) {
			conf_warning(p->d, &l->at,
				     "unicast_peer: %s listed twice: ignored",
				     l->w[0]);
			continue;
		}
		pe = grow(p, &x->vr->unicast_peers, &x->vr->npeers,
			  sizeof(*pe));
		if (!pe)
			return;
		*pe = a.s_addr;
	}
}

static void v_notify(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_vrrp *v = ((struct vrx *)o)->vr;

	notify(p, st, &v->notify_master, &v->notify_backup, &v->notify_fault,
	       &v->notify_stop, &v->notify);
}

/* "IF [weight N [reverse]]" a line; keepalived drops a line it cannot
 * read, lbxdp refuses it. */
static void v_track_if(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vrx *x = o;
	const struct conf_stmt *l;
	struct conf_track_if *t;
	int i, w = 0;
	char what[64];
	bool rev;

	extra(p, st, 0);
	while ((l = value_line(p, st))) {
		rev = false;
		for (i = 0; i < x->vr->ntrack_ifs; i++)
			if (!strcmp(x->vr->track_ifs[i].name, l->w[0]))
				break;
		if (i < x->vr->ntrack_ifs) {
			conf_warning(
				p->d, &l->at,
				"track_interface: %s listed twice: ignored, as keepalived does",
				l->w[0]);
			continue;
		}
		if (l->n >= 2 && strcmp(l->w[1], "weight")) {
			conf_error(p->d, &l->at,
				   "track_interface: %s: unknown option '%s'",
				   l->w[0], l->w[1]);
			continue;
		}
		if (l->n == 2) {
			conf_error(p->d, &l->at,
				   "track_interface: %s: weight: missing value",
				   l->w[0]);
			continue;
		}
		snprintf(what, sizeof(what), "track_interface %s", l->w[0]);
		if (l->n >= 3 && track_weight(p, l, what, l->w[2], &w))
			continue;
		if (l->n >= 4) {
			if (strcmp(l->w[3], "reverse")) {
				conf_error(
					p->d, &l->at,
					"track_interface: %s: unknown weight option '%s'",
					l->w[0], l->w[3]);
				continue;
			}
			rev = true;
		}
		if (l->n > 4)
			conf_warning(p->d, &l->at,
				     "track_interface: extra '%s' ignored",
				     l->w[4]);
		t = grow(p, &x->vr->track_ifs, &x->vr->ntrack_ifs, sizeof(*t));
		if (!t)
			return;
		t->name = dup(p, l->w[0]);
		t->weight = l->n >= 3 ? w : 0;
		t->reverse = rev;
		t->at = l->at;
	}
}

static int vscript_find(const struct conf *cf, const char *name)
{
	int i;

	for (i = 0; i < cf->nvscripts; i++)
		if (!strcmp(cf->vscripts[i].name, name))
			return i;
	return -1;
}

/* "NAME [weight N [reverse|noreverse]]" a line: resolved in finish(),
 * once every vrrp_script is known. */
static void v_track_script(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vrx *x = o;
	const struct conf_stmt *l;
	struct pts *t;
	int i, w = 0;
	char what[64];

	extra(p, st, 0);
	while ((l = value_line(p, st))) {
		for (i = 0; i < x->s->nts; i++)
			if (!strcmp(x->s->ts[i].name, l->w[0]))
				break;
		if (i < x->s->nts) {
			conf_warning(
				p->d, &l->at,
				"track_script: %s listed twice: ignored, as keepalived does",
				l->w[0]);
			continue;
		}
		if (l->n >= 2 && strcmp(l->w[1], "weight")) {
			conf_error(p->d, &l->at,
				   "track_script: %s: unknown option '%s'",
				   l->w[0], l->w[1]);
			continue;
		}
		if (l->n == 2) {
			conf_error(p->d, &l->at,
				   "track_script: %s: weight: missing value",
				   l->w[0]);
			continue;
		}
		snprintf(what, sizeof(what), "track_script %s", l->w[0]);
		if (l->n >= 3 && track_weight(p, l, what, l->w[2], &w))
			continue;
		if (l->n >= 4 && strcmp(l->w[3], "reverse") &&
		    strcmp(l->w[3], "noreverse")) {
			conf_error(
				p->d, &l->at,
				"track_script: %s: unknown weight option '%s'",
				l->w[0], l->w[3]);
			continue;
		}
		if (l->n > 4)
			conf_warning(p->d, &l->at,
				     "track_script: extra '%s' ignored",
				     l->w[4]);
		t = grow(p, &x->s->ts, &x->s->nts, sizeof(*t));
		if (!t)
			return;
		t->name = dup(p, l->w[0]);
		t->has_weight = l->n >= 3;
		t->weight = w;
		t->reverse = l->n >= 4 && l->w[3][0] == 'r';
		t->noreverse = l->n >= 4 && l->w[3][0] == 'n';
		t->early = vscript_find(p->cf, l->w[0]) >= 0;
		t->at = l->at;
	}
}

/* keepalived 1.x's way to name the flow sync's instance */
static void v_lvs_sync(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vrx *x = o;
	struct conf_lvs_sync *ls = &p->cf->lvs_sync;

	conf_warning(
		p->d, &st->at,
		"lvs_sync_daemon_interface: deprecated (keepalived too): write \"lvs_sync_daemon IFACE inst NAME\" in global_defs");
	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	if (ls->interface) {
		conf_warning(
			p->d, &st->at,
			"lvs_sync_daemon_interface: already given as %s: ignored, as keepalived does",
			ls->interface);
		return;
	}
	ls->interface = dup(p, st->w[1]);
	ls->instance = dup(p, x->vr->name);
	ls->at = st->at;
}

static const struct kw vrrp_kw[] = {
	{"state", v_state, false},
	{"interface", v_interface, false},
	{"virtual_router_id", v_vrid, false},
	{"priority", v_priority, false},
	{"advert_int", v_advert, false},
	{"version", v_version, false},
	{"authentication", v_auth, true},
	{"virtual_ipaddress", v_vips, true},
	{"virtual_ipaddress_excluded", v_vips_ex, true},
	{"preempt", v_preempt, false},
	{"nopreempt", v_nopreempt, false},
	{"preempt_delay", v_preempt_delay, false},
	{"use_vmac", v_vmac, false},
	{"use_vmac_addr", v_vmac, false},
	{"garp_master_delay", v_garp, false},
	{"garp_master_repeat", v_garp, false},
	{"garp_master_refresh", v_garp, false},
	{"garp_master_refresh_repeat", v_garp, false},
	{"garp_lower_prio_delay", v_garp, false},
	{"garp_lower_prio_repeat", v_garp, false},
	{"unicast_src_ip", v_unicast_src, false},
	{"unicast_peer", v_unicast_peer, true},
	{"old_unicast_checksum", v_old_csum, false},
	{"notify_master", v_notify, false},
	{"notify_backup", v_notify, false},
	{"notify_fault", v_notify, false},
	{"notify_stop", v_notify, false},
	{"notify", v_notify, false},
	{"track_interface", v_track_if, true},
	{"track_script", v_track_script, true},
	{"lvs_sync_daemon_interface", v_lvs_sync, false},
	{"smtp_alert", v_smtp_alert, false},
	{NULL, NULL, false},
};

static void top_vrrp(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vrx x = {0};
	int i;

	if (p->cf->nvrrp == CONF_MAX_VRRP) {
		conf_error(p->d, &st->at, "more than %d vrrp_instance blocks",
			   CONF_MAX_VRRP);
		skip(p, st);
		return;
	}
	if (!room(p, &p->vrs, p->cf->nvrrp, sizeof(*p->vrs)))
		return;
	x.vr = grow(p, &p->cf->vrrp, &p->cf->nvrrp, sizeof(*p->cf->vrrp));
	if (!x.vr)
		return;
	x.s = &p->vrs[p->cf->nvrrp - 1];
	memset(x.s, 0, sizeof(*x.s));
	for (i = 0; i < G_N; i++)
		x.s->garp[i] = UNSET;
	x.vr->at = st->at;
	x.vr->priority = 100;
	x.vr->advert_int_ms = 1000;
	x.vr->garp_delay_ms = 5000;
	x.vr->garp_repeat = 5;
	x.vr->garp_refresh_repeat = 1;
	x.vr->garp_lower_delay_ms = 5000;
	x.vr->garp_lower_repeat = 5;
	x.vr->sync_group = -1;
	if (need(p, st, 1)) {
		x.vr->name = dup(p, st->w[1]);
		extra(p, st, 1);
	}
	block(p, st, vrrp_kw, C_VRRP, &x);
	if (!x.vr->name)
		return;
	for (i = 0; i < p->cf->nvrrp - 1; i++)
		if (p->cf->vrrp[i].name &&
		    !strcmp(p->cf->vrrp[i].name, x.vr->name))
			conf_error(
				p->d, &st->at,
				"vrrp_instance %s: defined twice (first at %s:%d)",
				x.vr->name, p->cf->vrrp[i].at.file,
				p->cf->vrrp[i].at.line);
	if (!x.vrid)
		conf_error(p->d, &st->at,
			   "vrrp_instance %s: virtual_router_id missing",
			   x.vr->name);
	if (!x.vr->interface)
		conf_error(p->d, &st->at, "vrrp_instance %s: interface missing",
			   x.vr->name);
	if (x.vr->nopreempt && x.vr->master) {
		conf_warning(
			p->d, &st->at,
			"vrrp_instance %s: nopreempt does not work with state MASTER: cleared, as keepalived does",
			x.vr->name);
		x.vr->nopreempt = false;
	}
	for (i = 0; x.vr->vrid && x.vr->interface && i < p->cf->nvrrp - 1;
	     i++) {
		const struct conf_vrrp *o2 = &p->cf->vrrp[i];

		if (o2->vrid == x.vr->vrid && o2->interface &&
		    !strcmp(o2->interface, x.vr->interface))
			conf_error(
				p->d, &st->at,
				"vrrp_instance %s: virtual_router_id %u on %s is also %s's",
				x.vr->name, x.vr->vrid, x.vr->interface,
				o2->name);
	}
}

static void free_script(struct conf_script *s)
{
	free(s->cmd);
	free(s->user);
	free(s->group);
}

static void free_sync_group(struct conf_sync_group *g)
{
	free(g->name);
	free(g->members);
	free_script(&g->notify_master);
	free_script(&g->notify_backup);
	free_script(&g->notify_fault);
	free_script(&g->notify_stop);
	free_script(&g->notify);
}

/* ---- vrrp_script ---- */

/* "script CMD ARGS...": keepalived takes the whole line; the words are
 * joined back, a word with a blank quoted, as misc_path writes them. */
static void vs_script(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_vrrp_script *sc = o;
	size_t len = 1;
	char *cmd, *e;
	int i;

	if (!need(p, st, 1))
		return;
	for (i = 1; i < st->n; i++)
		len += strlen(st->w[i]) + 3;
	cmd = malloc(len);
	if (!cmd) {
		p->nomem = true;
		return;
	}
	e = cmd;
	for (i = 1; i < st->n; i++) {
		const char *w = st->w[i];
		bool q = st->n > 2 && strpbrk(w, " \t'\"");
		char qc = strchr(w, '\'') ? '"' : '\'';

		if (i > 1)
			*e++ = ' ';
		if (q)
			*e++ = qc;
		strcpy(e, w);
		e += strlen(w);
		if (q)
			*e++ = qc;
		*e = '\0';
	}
	if (!*cmd) {
		conf_error(p->d, &st->at, "script: empty script");
		free(cmd);
		return;
	}
	free(sc->script.cmd);
	sc->script.cmd = cmd;
	sc->script.at = st->at;
}

static void vs_user(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_vrrp_script *sc = o;

	if (!need(p, st, 1))
		return;
	extra(p, st, 2);
	free(sc->script.user);
	free(sc->script.group);
	sc->script.user = dup(p, st->w[1]);
	sc->script.group = st->n > 2 ? dup(p, st->w[2]) : NULL;
}

/* interval, timeout: whole seconds; 0 is 1, as keepalived takes it */
static void vs_secs(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_vrrp_script *sc = o;
	__u32 v;

	if (one_num(p, st, 0, UINT32_MAX / 1000 - 1, &v))
		return;
	if (!v) {
		conf_warning(
			p->d, &st->at,
			"%s: must be greater than 0: set to 1, as keepalived does",
			st->w[0]);
		v = 1;
	}
	*(st->w[0][0] == 'i' ? &sc->interval_ms : &sc->timeout_ms) = v * 1000;
}

static void vs_weight(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_vrrp_script *sc = o;
	int w;

	if (!need(p, st, 1) || inum(p, st, "weight", st->w[1], -253, 253, &w))
		return;
	extra(p, st, 2);
	if (st->n > 2 && strcmp(st->w[2], "reverse")) {
		conf_error(p->d, &st->at, "weight: unknown option '%s'",
			   st->w[2]);
		return;
	}
	sc->weight = w;
	sc->reverse = st->n > 2;
}

static void vs_rise_fall(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_vrrp_script *sc = o;

	one_num(p, st, 1, INT32_MAX,
		st->w[0][0] == 'r' ? &sc->rise : &sc->fall);
}

static void vs_init_fail(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_vrrp_script *sc = o;

	no_value(p, st);
	sc->init_fail = true;
}

static const struct kw vscript_kw[] = {
	{"script", vs_script, false},  {"interval", vs_secs, false},
	{"timeout", vs_secs, false},   {"weight", vs_weight, false},
	{"rise", vs_rise_fall, false}, {"fall", vs_rise_fall, false},
	{"user", vs_user, false},      {"init_fail", vs_init_fail, false},
	{NULL, NULL, false},
};

static void top_vscript(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_vrrp_script *sc;
	int i;

	if (!need(p, st, 1)) {
		skip(p, st);
		return;
	}
	extra(p, st, 1);
	i = vscript_find(p->cf, st->w[1]);
	if (i >= 0) {
		conf_error(p->d, &st->at,
			   "vrrp_script %s: defined twice (first at %s:%d)",
			   st->w[1], p->cf->vscripts[i].at.file,
			   p->cf->vscripts[i].at.line);
		skip(p, st);
		return;
	}
	sc = grow(p, &p->cf->vscripts, &p->cf->nvscripts, sizeof(*sc));
	if (!sc)
		return;
	sc->name = dup(p, st->w[1]);
	sc->at = st->at;
	sc->interval_ms = 1000;
	sc->rise = 1;
	sc->fall = 1;
	block(p, st, vscript_kw, 0, sc);
	if (!sc->script.cmd) {
		conf_warning(
			p->d, &st->at,
			"vrrp_script %s: no script: dropped, as keepalived does",
			st->w[1]);
		free(sc->name);
		free_script(&sc->script);
		p->cf->nvscripts--;
		return;
	}
	/* keepalived: a timeout of 0 (not written) is the interval */
	if (!sc->timeout_ms)
		sc->timeout_ms = sc->interval_ms;
}

/* ---- vrrp_sync_group ---- */

struct sgx {
	struct conf_sync_group *g;
	struct sgs *s;
};

static void y_group(struct p *p, const struct conf_stmt *st, void *o)
{
	struct sgx *x = o;
	const struct conf_stmt *l;
	struct sgm *m;
	int i;

	if (x->s->group) {
		conf_error(p->d, &st->at, "group: already given");
		skip(p, st);
		return;
	}
	x->s->group = true;
	extra(p, st, 0);
	while ((l = value_line(p, st))) {
		for (i = 0; i < l->n; i++) {
			m = grow(p, &x->s->m, &x->s->n, sizeof(*m));
			if (!m)
				return;
			m->name = dup(p, l->w[i]);
			m->at = l->at;
		}
	}
	if (!x->s->n)
		conf_warning(p->d, &st->at,
			     "vrrp_sync_group %s: empty group block",
			     x->g->name);
}

static void y_notify(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_sync_group *g = ((struct sgx *)o)->g;

	notify(p, st, &g->notify_master, &g->notify_backup, &g->notify_fault,
	       &g->notify_stop, &g->notify);
}

static void y_smtp_alert(struct p *p, const struct conf_stmt *st, void *o)
{
	opt_tri(p, st, &((struct sgx *)o)->g->smtp_alert);
}

static const struct kw sync_kw[] = {
	{"group", y_group, true},
	{"notify_master", y_notify, false},
	{"notify_backup", y_notify, false},
	{"notify_fault", y_notify, false},
	{"notify_stop", y_notify, false},
	{"notify", y_notify, false},
	{"smtp_alert", y_smtp_alert, false}, /* keepalived's group mails */
	{NULL, NULL, false},
};

static void top_sync(struct p *p, const struct conf_stmt *st, void *o)
{
	struct sgx x;
	int i;

	if (st->n != 2) {
		conf_error(p->d, &st->at,
			   "vrrp_sync_group: must have a name: block skipped");
		skip(p, st);
		return;
	}
	for (i = 0; i < p->cf->nsync_groups; i++) {
		if (strcmp(p->cf->sync_groups[i].name, st->w[1]))
			continue;
		conf_error(p->d, &st->at,
			   "vrrp_sync_group %s: defined twice (first at %s:%d)",
			   st->w[1], p->cf->sync_groups[i].at.file,
			   p->cf->sync_groups[i].at.line);
		skip(p, st);
		return;
	}
	if (!room(p, &p->sgs, p->cf->nsync_groups, sizeof(*p->sgs)))
		return;
	x.g = grow(p, &p->cf->sync_groups, &p->cf->nsync_groups, sizeof(*x.g));
	if (!x.g)
		return;
	x.s = &p->sgs[p->nsgs++];
	memset(x.s, 0, sizeof(*x.s));
	x.g->name = dup(p, st->w[1]);
	x.g->at = st->at;
	block(p, st, sync_kw, C_SYNC, &x);
}

/* ---- lbxdp_xdp ---- */

static void x_interface(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_xdp *x = o;

	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	free(x->interface);
	x->interface = dup(p, st->w[1]);
}

static void x_mode(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_xdp *x = o;

	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	if (!strcasecmp(st->w[1], "native"))
		x->mode = 0;
	else if (!strcasecmp(st->w[1], "generic"))
		x->mode = 1;
	else
		conf_error(p->d, &st->at, "mode: '%s' is not native or generic",
			   st->w[1]);
}

static void x_flows(struct p *p, const struct conf_stmt *st, void *o)
{
	one_num(p, st, 1024, 1U << 28, &((struct conf_xdp *)o)->flows);
}

static void x_max_vips(struct p *p, const struct conf_stmt *st, void *o)
{
	one_num(p, st, 1, 65536, &((struct conf_xdp *)o)->max_vips);
}

static void x_max_backends(struct p *p, const struct conf_stmt *st, void *o)
{
	one_num(p, st, 1, 65536, &((struct conf_xdp *)o)->max_backends);
}

static void x_ring(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_xdp *x = o;
	__u32 v;

	if (one_num(p, st, 3, LBXDP_MAX_RING_SIZE, &v))
		return;
	if (!lbxdp_is_prime(v))
		conf_error(p->d, &st->at, "ring_size: %u is not a prime", v);
	else
		x->ring_size = v;
}

static void x_sync_key(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_xdp *x = o;

	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	free(x->sync_key_file);
	x->sync_key_file = dup(p, st->w[1]);
	x->sync_key_at = st->at;
}

static const struct kw xdp_kw[] = {
	{"interface", x_interface, false},
	{"mode", x_mode, false},
	{"flows", x_flows, false},
	{"max_vips", x_max_vips, false},
	{"max_backends", x_max_backends, false},
	{"ring_size", x_ring, false},
	{"sync_key_file", x_sync_key, false},
	{NULL, NULL, false},
};

static void top_xdp(struct p *p, const struct conf_stmt *st, void *o)
{
	extra(p, st, 0);
	if (p->xdp_seen)
		conf_error(p->d, &st->at,
			   "lbxdp_xdp: defined twice (first at %s:%d)",
			   p->cf->xdp.at.file, p->cf->xdp.at.line);
	else
		p->cf->xdp.at = st->at;
	p->xdp_seen = true;
	block(p, st, xdp_kw, 0, &p->cf->xdp);
}

/* ---- lbxdp_stats ---- */

static void s_bind(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_stats *s = o;
	char host[INET_ADDRSTRLEN + 1];
	const char *colon;
	__u32 port;
	size_t hl;

	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	/* HAProxy's ADDR:PORT; ":PORT" and "*:PORT" are every address */
	colon = strrchr(st->w[1], ':');
	hl = colon ? (size_t)(colon - st->w[1]) : 0;
	if (!colon || hl >= sizeof(host) || !digits(colon + 1)) {
		conf_error(p->d, &st->at, "bind: '%s' is not ADDRESS:PORT",
			   st->w[1]);
		return;
	}
	memcpy(host, st->w[1], hl);
	host[hl] = 0;
	errno = 0;
	port = strtoul(colon + 1, NULL, 10);
	if (errno || port < 1 || port > 65535) {
		conf_error(p->d, &st->at, "bind: port %s out of range 1-65535",
			   colon + 1);
		return;
	}
	if (!hl || !strcmp(host, "*"))
		s->bind_addr = 0;
	else if (inet_pton(AF_INET, host, &s->bind_addr) != 1) {
		conf_error(p->d, &st->at, "bind: '%s' is not an IPv4 address",
			   host);
		return;
	}
	s->bind_port = (__u16)port;
}

static void s_uri(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_stats *s = o;
	const char *c;

	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	for (c = st->w[1]; *c; c++)
		if (*c <= ' ' || *c >= 127 || *c == ';' || *c == '?' ||
		    *c == '#' || *c == '%')
			break;
	if (st->w[1][0] != '/' || *c || !strcmp(st->w[1], "/metrics") ||
	    c - st->w[1] > 200) {
		conf_error(
			p->d, &st->at,
			"uri: '%.210s' is not a path of at most 200 printable characters without ;?#%% that starts with / (and is not /metrics)",
			st->w[1]);
		return;
	}
	free(s->uri);
	s->uri = dup(p, st->w[1]);
}

static void s_realm(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_stats *s = o;
	const char *c;

	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	for (c = st->w[1]; *c; c++)
		if (*c < ' ' || *c == '"' || *c == '\\' || *c == 127)
			break;
	if (*c || !st->w[1][0]) {
		conf_error(
			p->d, &st->at,
			"realm: '%s' is empty or has a quote, a backslash or a control character",
			st->w[1]);
		return;
	}
	free(s->realm);
	s->realm = dup(p, st->w[1]);
}

static void s_auth(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_stats *s = o;
	struct conf_stats_user *u;
	const char *colon;
	int i;

	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	/* the password is never printed: it may be a plain one */
	colon = strchr(st->w[1], ':');
	if (!colon || colon == st->w[1] || !colon[1]) {
		conf_error(
			p->d, &st->at,
			"auth: not USER:PASSWORD (a user and a password, neither empty)");
		return;
	}
	for (i = 0; i < s->nusers; i++) {
		if (strlen(s->users[i].name) == (size_t)(colon - st->w[1]) &&
		    !strncmp(s->users[i].name, st->w[1], colon - st->w[1])) {
			conf_error(
				p->d, &st->at,
				"auth: user %s defined twice (first at %s:%d)",
				s->users[i].name, s->users[i].at.file,
				s->users[i].at.line);
			return;
		}
	}
	u = grow(p, &s->users, &s->nusers, sizeof(*u));
	if (!u)
		return;
	u->name = strndup(st->w[1], colon - st->w[1]);
	u->pass = dup(p, colon + 1);
	if (!u->name)
		p->nomem = true;
	/* crypt(3)'s hashes begin with $ ($y$, $6$, $2b$...): one of them
	 * taken as a plain password would let in whoever read the file
	 * and refuse the real password. So a password that begins with $
	 * is a hash, which crypt(3) must take (stats_finish()). */
	u->hashed = u->pass && u->pass[0] == '$';
	u->at = st->at;
}

static void s_admin(struct p *p, const struct conf_stmt *st, void *o)
{
	struct adm *a;
	int i;

	(void)o;
	if (!need(p, st, 1))
		return;
	for (i = 1; i < st->n; i++) {
		a = grow(p, &p->adm, &p->nadm, sizeof(*a));
		if (!a)
			return;
		a->name = dup(p, st->w[i]);
		a->at = st->at;
	}
}

static void s_refresh(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_stats *s = o;

	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	if (parse_dur(st->w[1], &s->refresh_ms) || s->refresh_ms < 1000 ||
	    s->refresh_ms > 86400000)
		conf_error(
			p->d, &st->at,
			"refresh: '%s' is not a time from 1s to 1d (HAProxy's: 30s, 1m)",
			st->w[1]);
}

static void s_timeout(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_stats *s = o;

	if (!need(p, st, 2))
		return;
	extra(p, st, 2);
	if (strcmp(st->w[1], "http-request")) {
		conf_error(
			p->d, &st->at,
			"timeout: '%s' is not one lbxdp_stats has (http-request)",
			st->w[1]);
		return;
	}
	if (parse_dur(st->w[2], &s->request_timeout_ms) ||
	    s->request_timeout_ms < 1000 || s->request_timeout_ms > 3600000)
		conf_error(
			p->d, &st->at,
			"timeout http-request: '%s' is not a time from 1s to 1h (HAProxy's: 10s, 1m)",
			st->w[2]);
}

static void s_hide_version(struct p *p, const struct conf_stmt *st, void *o)
{
	opt_bool(p, st, &((struct conf_stats *)o)->hide_version);
}

static void s_metrics_auth(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_stats *s = o;

	if (need(p, st, 1))
		opt_bool(p, st, &s->metrics_auth);
}

static void s_file(struct p *p, const struct conf_stmt *st, char **out)
{
	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	if (st->w[1][0] != '/') {
		conf_error(p->d, &st->at, "%s: '%s' is not an absolute path",
			   st->w[0], st->w[1]);
		return;
	}
	free(*out);
	*out = dup(p, st->w[1]);
}

static void s_cert(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_stats *s = o;

	s_file(p, st, &s->cert);
	s->cert_at = st->at;
}

static void s_key(struct p *p, const struct conf_stmt *st, void *o)
{
	s_file(p, st, &((struct conf_stats *)o)->key);
}

static const struct kw stats_kw[] = {
	{"bind", s_bind, false},
	{"uri", s_uri, false},
	{"realm", s_realm, false},
	{"auth", s_auth, false},
	{"admin", s_admin, false},
	{"refresh", s_refresh, false},
	{"timeout", s_timeout, false},
	{"hide-version", s_hide_version, false},
	{"metrics_auth", s_metrics_auth, false},
	{"certificate", s_cert, false},
	{"key", s_key, false},
	{NULL, NULL, false},
};

static void top_stats(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_stats *s = &p->cf->stats;

	(void)o;
	extra(p, st, 0);
	if (p->stats_seen) {
		conf_error(p->d, &st->at,
			   "lbxdp_stats: defined twice (first at %s:%d)",
			   s->at.file, s->at.line);
	} else {
		s->on = true;
		s->at = st->at;
		s->bind_port = 1080;
		s->metrics_auth = true;
	}
	p->stats_seen = true;
	block(p, st, stats_kw, 0, s);
}

/* libxcrypt calls sha256crypt legacy: still a hash it checks. */
static bool crypt_ok(const char *hash)
{
	const char *last = strrchr(hash, '$');
	int r = crypt_checksalt(hash), n = 0;
	const char *c;

	for (c = hash; *c; c++)
		n += *c == '$';
	/* $ID$[PARAMS$]SALT$HASH: a setting without its hash never matches */
	return (r == CRYPT_SALT_OK || r == CRYPT_SALT_METHOD_LEGACY) &&
	       n >= 3 && last[1];
}

/* Defaults, and what needs the whole block: admins are users of auth
 * lines, a certificate goes with a key. */
static void stats_finish(struct p *p)
{
	struct conf_stats *s = &p->cf->stats;
	int i, k;

	for (i = 0; i < p->nadm; i++) {
		for (k = 0; k < s->nusers; k++)
			if (p->adm[i].name &&
			    !strcmp(p->adm[i].name, s->users[k].name))
				break;
		if (k < s->nusers)
			s->users[k].admin = true;
		else
			conf_error(p->d, &p->adm[i].at,
				   "admin: %s is not a user of an auth line",
				   p->adm[i].name ? p->adm[i].name : "");
	}
	for (k = 0; k < s->nusers; k++)
		if (s->users[k].hashed && !crypt_ok(s->users[k].pass))
			conf_error(
				p->d, &s->users[k].at,
				"auth: user %s: the hash is not one crypt(3) takes (a password that begins with $ is a hash)",
				s->users[k].name);
	if (!s->on)
		return;
	if (!!s->cert != !!s->key)
		conf_error(p->d, &s->at,
			   "lbxdp_stats: certificate and key go together");
	if (!s->uri)
		s->uri = dup(p, "/stats");
	if (!s->realm)
		s->realm = dup(p, "lbxdp");
	if (!s->request_timeout_ms)
		s->request_timeout_ms = 10000;
	if (!s->nusers && s->bind_addr != htonl(INADDR_LOOPBACK))
		conf_warning(
			p->d, &s->at,
			"lbxdp_stats: no auth line: the page and /metrics are open to whoever reaches the bind address");
}

/* ---- timing, at every level ---- */

static void timing(struct p *p, const struct conf_stmt *st, struct tm *t)
{
	const char *k = st->w[0];
	bool b;

	if (!strcmp(k, "delay_loop")) {
		one_time(p, st, 1, &t->delay_loop);
	} else if (!strcmp(k, "connect_timeout")) {
		one_time(p, st, 1, &t->ct);
	} else if (!strcmp(k, "delay_before_retry")) {
		one_time(p, st, 0, &t->dbr);
	} else if (!strcmp(k, "warmup")) {
		one_time(p, st, 0, &t->warmup);
	} else if (!strcmp(k, "retry") || !strcmp(k, "nb_get_retry")) {
		if (k[0] == 'n')
			conf_warning(
				p->d, &st->at,
				"nb_get_retry: deprecated (keepalived 1.x): read as retry");
		one_num(p, st, 0, UINT32_MAX - 1, &t->retry);
	} else if (!strcmp(k, "alpha")) {
		if (!opt_bool(p, st, &b))
			t->alpha = b;
	} else if (!strcmp(k, "inhibit_on_failure")) {
		if (!opt_bool(p, st, &b))
			t->inhibit = b;
	}
}

#define TIMING_KW(fn)                                                     \
	{"delay_loop", fn, false}, {"connect_timeout", fn, false},        \
		{"delay_before_retry", fn, false}, {"warmup", fn, false}, \
		{"retry", fn, false}, {"nb_get_retry", fn, false},        \
	{                                                                 \
		"alpha", fn, false                                        \
	}

/* ---- checkers ---- */

struct ckctx {
	struct vsx *v;
	int rs, ck;
};

static struct conf_checker *CK(struct ckctx *c)
{
	return &c->v->vs->rs[c->rs].checkers[c->ck];
}

static struct ckx *CKX(struct ckctx *c)
{
	return &c->v->rs[c->rs].ck[c->ck];
}

static void c_timing(struct p *p, const struct conf_stmt *st, void *o)
{
	timing(p, st, &CKX(o)->t);
}

static void c_ip(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_checker *c = CK(o);

	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	addr4(p, st, st->w[1],
	      st->w[0][0] == 'c' ? &c->connect_ip : &c->bindto);
}

static void c_port(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_checker *c = CK(o);
	__u32 v;

	if (one_num(p, st, 1, 65535, &v))
		return;
	if (st->w[0][0] == 'c') {
		c->connect_port = (__u16)v;
		CKX(o)->have_port = true;
	} else {
		c->bind_port = (__u16)v;
	}
}

static void c_rise_fall(struct p *p, const struct conf_stmt *st, void *o)
{
	struct ckx *x = CKX(o);

	one_num(p, st, 1, 1000, st->w[0][0] == 'r' ? &x->rise : &x->fall);
}

static void c_inter(struct p *p, const struct conf_stmt *st, void *o)
{
	int err;

	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	err = parse_dur(st->w[1], &CKX(o)->inter);
	if (err == -EINVAL)
		conf_error(p->d, &st->at,
			   "inter: '%s' is not a duration (2000, 2s, 500ms)",
			   st->w[1]);
	else if (err || !CKX(o)->inter)
		conf_error(p->d, &st->at, "inter: %s out of range", st->w[1]);
	if (err)
		CKX(o)->inter = 0;
}

static void c_vhost(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_checker *c = CK(o);

	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	free(c->virtualhost);
	c->virtualhost = dup(p, st->w[1]);
}

static void c_proto(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_checker *c = CK(o);

	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	c->http_close = !strcasecmp(st->w[1], "1.0C");
	if (!strcmp(st->w[1], "1.0") || c->http_close)
		c->http_protocol = 10;
	else if (!strcmp(st->w[1], "1.1"))
		c->http_protocol = 11;
	else
		conf_error(p->d, &st->at,
			   "http_protocol: '%s' is not 1.0, 1.0C or 1.1",
			   st->w[1]);
}

static void c_fast(struct p *p, const struct conf_stmt *st, void *o)
{
	opt_bool(p, st, &CK(o)->fast_recovery);
}

static void c_sni(struct p *p, const struct conf_stmt *st, void *o)
{
	opt_bool(p, st, &CK(o)->enable_sni);
}

struct urlctx {
	struct conf_url *u;
};

static void u_path(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_url *u = ((struct urlctx *)o)->u;

	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	free(u->path);
	u->path = dup(p, st->w[1]);
}

static void u_digest(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_url *u = ((struct urlctx *)o)->u;
	const char *s;

	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	for (s = st->w[1]; isxdigit((unsigned char)*s); s++)
		;
	if (*s || s - st->w[1] != 32) {
		conf_error(p->d, &st->at,
			   "digest: '%s' is not an MD5 digest (32 hex digits)",
			   st->w[1]);
		return;
	}
	free(u->digest);
	u->digest = dup(p, st->w[1]);
	for (s = u->digest; s && *s; s++)
		*(char *)s = (char)tolower((unsigned char)*s);
}

static void u_status(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_url *u = ((struct urlctx *)o)->u;
	int i;

	if (!need(p, st, 1))
		return;
	for (i = 1; i < st->n; i++) {
		struct conf_status_range *r;
		char buf[32], *dash;
		__u32 lo, hi;

		snprintf(buf, sizeof(buf), "%s", st->w[i]);
		dash = strchr(buf, '-');
		if (dash)
			*dash++ = '\0';
		if (lbxdp_parse_u32(buf, 100, 599, &lo) ||
		    (dash && lbxdp_parse_u32(dash, 100, 599, &hi)) ||
		    (dash && hi < lo) || strlen(st->w[i]) >= sizeof(buf)) {
			conf_error(
				p->d, &st->at,
				"status_code: '%s' is not a status 100-599 or a range like 200-299",
				st->w[i]);
			continue;
		}
		r = grow(p, &u->status, &u->nstatus, sizeof(*u->status));
		if (!r)
			return;
		r->lo = (int)lo;
		r->hi = dash ? (int)hi : (int)lo;
	}
}

static void u_vhost(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_url *u = ((struct urlctx *)o)->u;

	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	free(u->virtualhost);
	u->virtualhost = dup(p, st->w[1]);
}

static const struct kw url_kw[] = {
	{"path", u_path, false},
	{"digest", u_digest, false},
	{"status_code", u_status, false},
	{"virtualhost", u_vhost, false},
	{NULL, NULL, false},
};

static void c_url(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_checker *c = CK(o);
	struct urlctx u;

	extra(p, st, 0);
	u.u = grow(p, &c->urls, &c->nurls, sizeof(*c->urls));
	if (!u.u)
		return;
	u.u->at = st->at;
	block(p, st, url_kw, C_URL, &u);
	if (!u.u->path)
		conf_error(p->d, &st->at, "url: path missing");
}

static void c_misc_path(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_checker *c = CK(o);
	size_t len = 0;
	char *cmd;
	int i;

	/* As keepalived: every word is the command line; "user" gives the
	 * user and group. */
	if (!need(p, st, 1))
		return;
	for (i = 1; i < st->n; i++)
		len += strlen(st->w[i]) + 1;
	cmd = malloc(len);
	if (!cmd) {
		p->nomem = true;
		return;
	}
	cmd[0] = '\0';
	for (i = 1; i < st->n; i++) {
		if (i > 1)
			strcat(cmd, " ");
		strcat(cmd, st->w[i]);
	}
	if (!*cmd) {
		conf_error(p->d, &st->at, "misc_path: empty script");
		free(cmd);
		return;
	}
	free(c->misc.cmd);
	c->misc.cmd = cmd;
	c->misc.at = st->at;
}

/* Whole seconds, as keepalived reads it (not a <TIMER>). */
static void c_misc_timeout(struct p *p, const struct conf_stmt *st, void *o)
{
	__u32 v;

	if (!one_num(p, st, 1, UINT32_MAX / 1000, &v))
		CK(o)->misc_timeout_ms = v * 1000;
}

static void c_misc_dynamic(struct p *p, const struct conf_stmt *st, void *o)
{
	opt_bool(p, st, &CK(o)->misc_dynamic);
}

static void c_user(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_checker *c = CK(o);

	if (!need(p, st, 1))
		return;
	extra(p, st, 2);
	free(c->misc.user);
	free(c->misc.group);
	c->misc.user = dup(p, st->w[1]);
	c->misc.group = st->n > 2 ? dup(p, st->w[2]) : NULL;
}

/*
 * keepalived's hex strings: the words of @st from 1, blanks between
 * octets, a lone digit is an octet ("a 0b" is 0a 0b). keepalived's
 * wildcard 'X' of require_reply needs a mask the model does not have.
 */
static int hex_bytes(struct p *p, const struct conf_stmt *st, __u8 **out,
		     int *len)
{
	__u8 *b = malloc(65536);
	int i, n = 0;

	if (!b) {
		p->nomem = true;
		return -ENOMEM;
	}
	for (i = 1; i < st->n; i++) {
		const char *s = st->w[i];

		while (*s) {
			int hi, lo;

			if (*s == ' ' || *s == '\t') {
				s++;
				continue;
			}
			hi = hexval(*s++);
			if (hi < 0 || n == 65507)
				goto bad;
			lo = *s && *s != ' ' && *s != '\t' ? hexval(*s++) : -2;
			if (lo == -1)
				goto bad;
			b[n++] = lo == -2 ? (__u8)hi : (__u8)(hi << 4 | lo);
		}
	}
	if (!n)
		goto bad;
	free(*out);
	*out = b;
	*len = n;
	return 0;
bad:
	conf_error(p->d, &st->at, "%s: '%s' is not a hex string%s", st->w[0],
		   st->w[1],
		   strpbrk(st->w[1], "xX") ? " (wildcards are not implemented)"
					   : "");
	free(b);
	return -EINVAL;
}

static void c_payload(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_checker *c = CK(o);

	if (need(p, st, 1))
		hex_bytes(p, st, &c->udp_payload, &c->udp_payload_len);
}

static void c_require_reply(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_checker *c = CK(o);

	c->udp_require_reply = true;
	if (st->n > 1)
		hex_bytes(p, st, &c->udp_reply, &c->udp_reply_len);
}

static void c_dns_type(struct p *p, const struct conf_stmt *st, void *o)
{
	static const struct {
		const char *name;
		int type;
	} types[] = {
		{"A", 1},     {"NS", 2},     {"CNAME", 5},
		{"SOA", 6},   {"MX", 15},    {"TXT", 16},
		{"AAAA", 28}, {"RRSIG", 46}, {"DNSKEY", 48},
	};
	size_t i;

	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (!strcasecmp(st->w[1], types[i].name)) {
			CK(o)->dns_type = types[i].type;
			return;
		}
	}
	conf_error(
		p->d, &st->at,
		"type: '%s' is not A, NS, CNAME, SOA, MX, TXT, AAAA, RRSIG or DNSKEY",
		st->w[1]);
}

static void c_dns_name(struct p *p, const struct conf_stmt *st, void *o)
{
	struct conf_checker *c = CK(o);

	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	free(c->dns_name);
	c->dns_name = dup(p, st->w[1]);
}

#define CONNECT_KW                                            \
	{"connect_ip", c_ip, false}, {"bindto", c_ip, false}, \
		{"connect_port", c_port, false},              \
	{                                                     \
		"bind_port", c_port, false                    \
	}
#define HAPROXY_KW                                                  \
	{"rise", c_rise_fall, false}, {"fall", c_rise_fall, false}, \
	{                                                           \
		"inter", c_inter, false                             \
	}

static const struct kw tcp_kw[] = {
	CONNECT_KW,
	TIMING_KW(c_timing),
	HAPROXY_KW,
	{NULL, NULL, false},
};

static const struct kw http_kw[] = {
	CONNECT_KW,
	TIMING_KW(c_timing),
	HAPROXY_KW,
	{"url", c_url, true},
	{"virtualhost", c_vhost, false},
	{"http_protocol", c_proto, false},
	{"fast_recovery", c_fast, false},
	{"enable_sni", c_sni, false},
	{NULL, NULL, false},
};

static const struct kw misc_kw[] = {
	TIMING_KW(c_timing),
	HAPROXY_KW,
	{"misc_path", c_misc_path, false},
	{"misc_timeout", c_misc_timeout, false},
	{"misc_dynamic", c_misc_dynamic, false},
	{"user", c_user, false},
	{NULL, NULL, false},
};

static const struct kw udp_kw[] = {
	CONNECT_KW,
	TIMING_KW(c_timing),
	HAPROXY_KW,
	{"payload", c_payload, false},
	{"require_reply", c_require_reply, false},
	{NULL, NULL, false},
};

static const struct kw dns_kw[] = {
	CONNECT_KW,
	TIMING_KW(c_timing),
	HAPROXY_KW,
	{"type", c_dns_type, false},
	{"name", c_dns_name, false},
	{NULL, NULL, false},
};

static const struct {
	const char *name;
	enum conf_check_type type;
	const struct kw *kw;
	unsigned int ctx;
} checkers[] = {
	{"TCP_CHECK", CHECK_TCP, tcp_kw, C_CHECK},
	{"HTTP_GET", CHECK_HTTP, http_kw, C_CHECK},
	{"SSL_GET", CHECK_SSL, http_kw, C_CHECK},
	{"MISC_CHECK", CHECK_MISC, misc_kw, C_CHECK},
	{"UDP_CHECK", CHECK_UDP, udp_kw, C_CHECK | C_UDP},
	{"DNS_CHECK", CHECK_DNS, dns_kw, C_CHECK},
};

/* ---- real_server ---- */

struct rsctx {
	struct vsx *v;
	int rs;
};

static void r_timing(struct p *p, const struct conf_stmt *st, void *o)
{
	struct rsctx *r = o;

	timing(p, st, &r->v->rs[r->rs].t);
}

static void r_weight(struct p *p, const struct conf_stmt *st, void *o)
{
	struct rsctx *r = o;

	one_num(p, st, 0, LBXDP_MAX_WEIGHT, &r->v->vs->rs[r->rs].weight);
}

static void r_notify(struct p *p, const struct conf_stmt *st, void *o)
{
	struct rsctx *r = o;
	struct conf_rs *rs = &r->v->vs->rs[r->rs];

	script(p, st, 1,
	       !strcmp(st->w[0], "notify_up") ? &rs->notify_up
					      : &rs->notify_down);
}

static void r_smtp_alert(struct p *p, const struct conf_stmt *st, void *o)
{
	struct rsctx *r = o;

	opt_tri(p, st, &r->v->vs->rs[r->rs].smtp_alert);
}

static void r_vhost(struct p *p, const struct conf_stmt *st, void *o)
{
	struct rsctx *r = o;

	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	free(r->v->rs[r->rs].virtualhost);
	r->v->rs[r->rs].virtualhost = dup(p, st->w[1]);
}

static void method(struct p *p, const struct conf_stmt *st, bool *dr)
{
	if (!need(p, st, 1))
		return;
	if (!strcmp(st->w[1], "DR")) {
		extra(p, st, 1);
		if (dr)
			*dr = true;
	} else if (!strcmp(st->w[1], "NAT") || !strcmp(st->w[1], "TUN")) {
		conf_error(p->d, &st->at,
			   "%s %s: lbxdp does direct routing (DR)", st->w[0],
			   st->w[1]);
	} else {
		conf_error(p->d, &st->at, "%s: '%s' is not DR, NAT or TUN",
			   st->w[0], st->w[1]);
	}
}

static void r_method(struct p *p, const struct conf_stmt *st, void *o)
{
	method(p, st, NULL);
}

static void r_checker(struct p *p, const struct conf_stmt *st, void *o)
{
	struct rsctx *r = o;
	struct conf_rs *rs = &r->v->vs->rs[r->rs];
	struct rsx *rx = &r->v->rs[r->rs];
	struct ckctx c = {r->v, r->rs, rs->nchecks};
	struct conf_checker *ck;
	struct ckx *nx;
	size_t i;

	for (i = 0; strcmp(checkers[i].name, st->w[0]); i++)
		;
	if (!room(p, &rx->ck, rs->nchecks, sizeof(*rx->ck)))
		return;
	nx = rx->ck;
	ck = grow(p, &rs->checkers, &rs->nchecks, sizeof(*rs->checkers));
	if (!ck)
		return;
	memset(&nx[c.ck], 0, sizeof(*nx));
	nx[c.ck].t = tm_unset;
	ck->type = checkers[i].type;
	ck->at = st->at;
	ck->http_protocol = 10;
	ck->dns_type = 6; /* SOA */
	extra(p, st, 0);
	block(p, st, checkers[i].kw, checkers[i].ctx, &c);
	ck = CK(&c);
	if (ck->type == CHECK_MISC && !ck->misc.cmd)
		conf_error(p->d, &st->at, "MISC_CHECK: misc_path missing");
	if ((ck->type == CHECK_HTTP || ck->type == CHECK_SSL) && !ck->nurls)
		conf_error(p->d, &st->at, "%s: no url", st->w[0]);
	if (ck->type == CHECK_DNS && !ck->dns_name)
		ck->dns_name = dup(p, ".");
}

static const struct kw rs_kw[] = {
	TIMING_KW(r_timing),
	{"inhibit_on_failure", r_timing, false},
	{"weight", r_weight, false},
	{"notify_up", r_notify, false},
	{"notify_down", r_notify, false},
	{"virtualhost", r_vhost, false},
	{"smtp_alert", r_smtp_alert, false},
	{"lvs_method", r_method, false},
	{"lb_kind", r_method, false},
	{"TCP_CHECK", r_checker, true},
	{"HTTP_GET", r_checker, true},
	{"SSL_GET", r_checker, true},
	{"MISC_CHECK", r_checker, true},
	{"UDP_CHECK", r_checker, true},
	{"DNS_CHECK", r_checker, true},
	{NULL, NULL, false},
};

/* ---- virtual_server ---- */

static void s_timing(struct p *p, const struct conf_stmt *st, void *o)
{
	timing(p, st, &((struct vsx *)o)->t);
}

static void s_algo(struct p *p, const struct conf_stmt *st, void *o)
{
	static const char *const ipvs[] = {"lc", "wlc", "lblc", "lblcr",
					   "dh", "fo",	"ovf",	"sed",
					   "nq", "twos"};
	static const char *const ours[] = {"rr", "wrr", "sh", "mh"};
	struct vsx *x = o;
	size_t i;

	x->algo = "wrr"; /* even a refused one: no "not set" warning */
	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
		if (!strcmp(st->w[1], ours[i])) {
			x->algo = ours[i];
			return;
		}
	}
	for (i = 0; i < sizeof(ipvs) / sizeof(ipvs[0]); i++)
		if (!strcmp(st->w[1], ipvs[i]))
			break;
	conf_error(p->d, &st->at, "%s %s: %s (lbxdp has rr, wrr, sh and mh)",
		   st->w[0], st->w[1],
		   i < sizeof(ipvs) / sizeof(ipvs[0])
			   ? "not implemented by lbxdp"
			   : "unknown scheduler");
}

static void s_sched_flag(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vsx *x = o;

	no_value(p, st);
	if (st->w[0][0] == 's') {
		x->sh_port = true;
		x->sh_port_at = st->at;
	} else {
		x->mh_port = true;
		x->mh_port_at = st->at;
	}
}

static void s_kind(struct p *p, const struct conf_stmt *st, void *o)
{
	/* even a refused one: no "not set" warning on top of the error */
	((struct vsx *)o)->kind = true;
	method(p, st, NULL);
}

static void s_proto(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vsx *x = o;

	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	if (!strcasecmp(st->w[1], "TCP"))
		x->vs->proto = IPPROTO_TCP;
	else if (!strcasecmp(st->w[1], "UDP"))
		x->vs->proto = IPPROTO_UDP;
	else if (!strcasecmp(st->w[1], "SCTP"))
		conf_error(p->d, &st->at,
			   "protocol SCTP: lbxdp balances TCP and UDP");
	else
		conf_error(p->d, &st->at, "protocol: '%s' is not TCP or UDP",
			   st->w[1]);
}

static void s_persist(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vsx *x = o;

	if (st->n < 2) {
		x->vs->persist_sec = 360; /* IPVS's default */
		return;
	}
	one_num(p, st, 1, 2678400, &x->vs->persist_sec);
}

static void s_flag(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vsx *x = o;
	const char *k = st->w[0];

	if (!strcmp(k, "omega"))
		opt_bool(p, st, &x->vs->omega);
	else if (!strcmp(k, "ha_suspend"))
		opt_bool(p, st, &x->vs->ha_suspend);
	else if (!strcmp(k, "sorry_server_inhibit"))
		opt_bool(p, st, &x->vs->sorry_inhibit);
	else if (!strcmp(k, "smtp_alert"))
		opt_tri(p, st, &x->vs->smtp_alert);
}

static void s_quorum(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vsx *x = o;

	if (!strcmp(st->w[0], "quorum"))
		one_num(p, st, 1, UINT32_MAX, &x->vs->quorum);
	else
		one_num(p, st, 0, UINT32_MAX, &x->vs->hysteresis);
}

static void s_quorum_script(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vsx *x = o;

	script(p, st, 1,
	       !strcmp(st->w[0], "quorum_up") ? &x->vs->quorum_up
					      : &x->vs->quorum_down);
}

static void s_sorry(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vsx *x = o;
	__u32 port = 0;

	if (!need(p, st, 1))
		return;
	extra(p, st, 2);
	if (addr4(p, st, st->w[1], &x->vs->sorry_addr))
		return;
	if (st->n > 2 && num(p, st, 2, 0, 65535, &port))
		return;
	x->vs->has_sorry = true;
	x->vs->sorry_port = (__u16)port;
}

static void s_sorry_method(struct p *p, const struct conf_stmt *st, void *o)
{
	method(p, st, NULL);
}

static void s_vhost(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vsx *x = o;

	if (!need(p, st, 1))
		return;
	extra(p, st, 1);
	free(x->vs->virtualhost);
	x->vs->virtualhost = dup(p, st->w[1]);
}

static void s_weight(struct p *p, const struct conf_stmt *st, void *o)
{
	one_num(p, st, 0, LBXDP_MAX_WEIGHT, &((struct vsx *)o)->weight);
}

static void s_rs(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vsx *x = o;
	struct rsctx r = {x, x->vs->nrs};
	struct conf_rs *rs;
	struct rsx *nx;
	__u32 port = 0;

	if (!room(p, &x->rs, x->vs->nrs, sizeof(*x->rs)))
		return;
	nx = x->rs;
	rs = grow(p, &x->vs->rs, &x->vs->nrs, sizeof(*x->vs->rs));
	if (!rs)
		return;
	memset(&nx[r.rs], 0, sizeof(*nx));
	nx[r.rs].t = tm_unset;
	rs->at = st->at;
	rs->weight = UNSET;
	if (!need(p, st, 1) || addr4(p, st, st->w[1], &rs->addr) ||
	    (st->n > 2 && num(p, st, 2, 0, 65535, &port)))
		nx[r.rs].bad = true;
	else
		extra(p, st, 2);
	rs->port = (__u16)port;
	block(p, st, rs_kw, C_RS, &r);
}

static const struct kw vs_kw[] = {
	TIMING_KW(s_timing),
	{"inhibit_on_failure", s_timing, false},
	{"lb_algo", s_algo, false},
	{"lvs_sched", s_algo, false},
	{"sh-port", s_sched_flag, false},
	{"mh-port", s_sched_flag, false},
	{"lb_kind", s_kind, false},
	{"lvs_method", s_kind, false},
	{"protocol", s_proto, false},
	{"persistence_timeout", s_persist, false},
	{"omega", s_flag, false},
	{"ha_suspend", s_flag, false},
	{"sorry_server_inhibit", s_flag, false},
	{"smtp_alert", s_flag, false},
	{"quorum", s_quorum, false},
	{"hysteresis", s_quorum, false},
	{"quorum_up", s_quorum_script, false},
	{"quorum_down", s_quorum_script, false},
	{"sorry_server", s_sorry, false},
	{"sorry_server_lvs_method", s_sorry_method, false},
	{"virtualhost", s_vhost, false},
	{"weight", s_weight, false},
	{"real_server", s_rs, true},
	{NULL, NULL, false},
};

static __u32 pick(__u32 a, __u32 b, __u32 c, __u32 dflt)
{
	return a != UNSET ? a : b != UNSET ? b : c != UNSET ? c : dflt;
}

static int pickb(int a, int b, int c)
{
	return a >= 0 ? a : b >= 0 ? b : c > 0;
}

/* Defaults as keepalived 2.2.7 resolves them, for one checker. */
static void resolve_checker(struct p *p, struct vsx *x, int r, int k)
{
	struct conf_vs *vs = x->vs;
	struct conf_rs *rs = &vs->rs[r];
	struct conf_checker *c = &rs->checkers[k];
	const struct tm *ct = &x->rs[r].ck[k].t, *rt = &x->rs[r].t, *vt = &x->t;
	const struct ckx *cx = &x->rs[r].ck[k];
	__u32 retry, dbr;

	if (!c->connect_ip)
		c->connect_ip = rs->addr;
	if (!cx->have_port)
		c->connect_port = rs->port;
	c->connect_timeout_ms = pick(ct->ct, rt->ct, vt->ct, 5000);
	c->delay_loop_ms =
		pick(ct->delay_loop, rt->delay_loop, vt->delay_loop, 60000);
	/* keepalived's per type: HTTP_GET/SSL_GET retry after 3 s, DNS_CHECK
	 * tries 3 more times after delay_loop, MISC_CHECK never retries */
	retry = 1;
	dbr = 1000;
	if (c->type == CHECK_HTTP || c->type == CHECK_SSL) {
		dbr = 3000;
	} else if (c->type == CHECK_DNS) {
		retry = 3;
		dbr = c->delay_loop_ms;
	} else if (c->type == CHECK_MISC) {
		retry = 0;
	}
	c->retry = pick(ct->retry, rt->retry, vt->retry, retry);
	c->delay_before_retry_ms = pick(ct->dbr, rt->dbr, vt->dbr, dbr);
	c->alpha = pickb(ct->alpha, rt->alpha, vt->alpha);
	if (cx->rise || cx->fall || cx->inter) {
		c->rise = cx->rise ? cx->rise : 2;
		c->fall = cx->fall ? cx->fall : 3;
	}
	c->inter_ms = cx->inter ? cx->inter : c->delay_loop_ms;
	/* keepalived: up to delay_loop by default; rise/fall: up to inter */
	c->warmup_ms = pick(ct->warmup, rt->warmup, vt->warmup,
			    c->rise ? c->inter_ms : c->delay_loop_ms);
	if (c->type == CHECK_MISC && !c->misc_timeout_ms)
		c->misc_timeout_ms = c->delay_loop_ms;
	if (!c->virtualhost && (c->type == CHECK_HTTP || c->type == CHECK_SSL))
		c->virtualhost =
			dup(p, x->rs[r].virtualhost ? x->rs[r].virtualhost
						    : vs->virtualhost);
	if (c->type == CHECK_TCP && vs->proto == IPPROTO_UDP)
		conf_warning(
			p->d, &c->at,
			"TCP_CHECK on a UDP virtual_server: it checks TCP on the real server");
}

static void rs_dups(struct p *p, struct vsx *x)
{
	const struct conf_vs *vs = x->vs;
	struct key *keys = malloc((vs->nrs ? vs->nrs : 1) * sizeof(*keys));
	char a[32], b[32];
	int i, n = 0, *first;

	if (!keys) {
		p->nomem = true;
		return;
	}
	for (i = 0; i < vs->nrs; i++)
		if (!x->rs[i].bad)
			keys[n++] = (struct key){ntohl(vs->rs[i].addr), i};
	first = dups(p, keys, n, vs->nrs);
	for (i = 0; first && i < vs->nrs; i++) {
		const struct conf_rs *rs = &vs->rs[i];

		if (first[i] >= 0)
			conf_error(
				p->d, &rs->at,
				"real_server %s: defined twice in virtual_server %s (first at line %d)",
				fmt_ap(b, sizeof(b), rs->addr, rs->port),
				fmt_ap(a, sizeof(a), vs->addr, vs->port),
				vs->rs[first[i]].at.line);
	}
	free(first);
	free(keys);
}

/* Virtual servers with the same address, port and protocol. */
static void vs_dups(struct p *p)
{
	const struct conf *cf = p->cf;
	struct key *keys = malloc((cf->nvs ? cf->nvs : 1) * sizeof(*keys));
	int i, n = 0, *first;
	char a[32];

	if (!keys) {
		p->nomem = true;
		return;
	}
	for (i = 0; i < cf->nvs; i++)
		if (!p->vs_bad[i])
			keys[n++] = (struct key){
				(__u64)ntohl(cf->vs[i].addr) << 24 |
					(__u64)cf->vs[i].port << 8 |
					cf->vs[i].proto,
				i};
	first = dups(p, keys, n, cf->nvs);
	for (i = 0; first && i < cf->nvs; i++) {
		const struct conf_vs *vs = &cf->vs[i], *o;

		if (first[i] < 0)
			continue;
		o = &cf->vs[first[i]];
		conf_error(
			p->d, &vs->at,
			"virtual_server %s/%s: defined twice (first at %s:%d)",
			fmt_ap(a, sizeof(a), vs->addr, vs->port),
			vs->proto == IPPROTO_UDP ? "udp" : "tcp", o->at.file,
			o->at.line);
	}
	free(first);
	free(keys);
}

static void vs_finish(struct p *p, struct vsx *x, const struct conf_stmt *st)
{
	struct conf_vs *vs = x->vs;
	char a[32], b[32];
	__u64 total = 0;
	int i, k;

	if (!x->algo) {
		conf_warning(
			p->d, &st->at,
			"virtual_server %s: lb_algo not set: keepalived would use wlc, which lbxdp does not have: using wrr",
			fmt_ap(a, sizeof(a), vs->addr, vs->port));
		x->algo = "wrr";
	}
	if (!strcmp(x->algo, "rr"))
		vs->sched = CONF_SCHED_RR;
	else if (!strcmp(x->algo, "wrr"))
		vs->sched = CONF_SCHED_WRR;
	else if (!strcmp(x->algo, "sh"))
		vs->sched = x->sh_port ? CONF_SCHED_MH : CONF_SCHED_SH;
	else
		vs->sched = x->mh_port ? CONF_SCHED_MH : CONF_SCHED_SH;
	if (x->sh_port && strcmp(x->algo, "sh"))
		conf_warning(
			p->d, &x->sh_port_at,
			"sh-port only applies to the sh scheduler: ignored");
	if (x->mh_port && strcmp(x->algo, "mh"))
		conf_warning(
			p->d, &x->mh_port_at,
			"mh-port only applies to the mh scheduler: ignored");
	vs->sched_as_written = dup(p, x->algo);
	if (!vs->proto) {
		conf_warning(
			p->d, &st->at,
			"virtual_server %s: protocol not set: UDP, as keepalived 2.2.7 (write protocol TCP for TCP)",
			fmt_ap(a, sizeof(a), vs->addr, vs->port));
		vs->proto = IPPROTO_UDP;
	}
	if (!x->kind)
		conf_warning(
			p->d, &st->at,
			"virtual_server %s: lb_kind not set: keepalived would use NAT, lbxdp does direct routing (DR)",
			fmt_ap(a, sizeof(a), vs->addr, vs->port));
	vs->delay_loop_ms = x->t.delay_loop != UNSET ? x->t.delay_loop : 60000;
	vs->alpha = x->t.alpha > 0;
	vs->inhibit_on_failure = x->t.inhibit > 0;
	if (vs->has_sorry) {
		if (!vs->sorry_port) {
			vs->sorry_port = vs->port;
		} else if (vs->sorry_port != vs->port) {
			conf_warning(
				p->d, &st->at,
				"virtual_server %s and sorry_server ports don't match - resetting",
				fmt_ap(a, sizeof(a), vs->addr, vs->port));
			vs->sorry_port = vs->port;
		}
	}
	for (i = 0; i < vs->nrs; i++) {
		struct conf_rs *rs = &vs->rs[i];

		if (!rs->port || x->rs[i].bad) {
			rs->port = vs->port;
		} else if (rs->port != vs->port) {
			conf_warning(
				p->d, &rs->at,
				"virtual_server %s and real_server %s ports don't match - resetting",
				fmt_ap(a, sizeof(a), vs->addr, vs->port),
				fmt_ap(b, sizeof(b), rs->addr, rs->port));
			rs->port = vs->port;
		}
		if (rs->weight == UNSET)
			rs->weight = x->weight;
		rs->inhibit_on_failure =
			pickb(x->rs[i].t.inhibit, -1, x->t.inhibit);
		total += rs->weight;
		for (k = 0; k < rs->nchecks; k++)
			resolve_checker(p, x, i, k);
	}
	rs_dups(p, x);
	if (!vs->quorum)
		vs->quorum = 1;
	if (vs->nrs && vs->quorum > total) {
		conf_warning(
			p->d, &st->at,
			"virtual_server %s: quorum %u exceeds the real servers' total weight %llu: reduced to it",
			fmt_ap(a, sizeof(a), vs->addr, vs->port), vs->quorum,
			(unsigned long long)total);
		vs->quorum = total ? (__u32)total : 1;
	}
	if (vs->hysteresis >= vs->quorum) {
		conf_warning(
			p->d, &st->at,
			"virtual_server %s: hysteresis %u >= quorum %u: set to %u",
			fmt_ap(a, sizeof(a), vs->addr, vs->port),
			vs->hysteresis, vs->quorum, vs->quorum - 1);
		vs->hysteresis = vs->quorum - 1;
	}
}

static void top_vs(struct p *p, const struct conf_stmt *st, void *o)
{
	struct vsx x = {0};
	__u32 port = 0;
	int i;

	if (st->n >= 2 &&
	    (!strcmp(st->w[1], "fwmark") || !strcmp(st->w[1], "group"))) {
		conf_warning(
			p->d, &st->at,
			"virtual_server %s: not implemented by lbxdp: block skipped",
			st->w[1]);
		skip(p, st);
		return;
	}
	if (!room(p, &p->vs_bad, p->cf->nvs, sizeof(*p->vs_bad)))
		return;
	x.vs = grow(p, &p->cf->vs, &p->cf->nvs, sizeof(*p->cf->vs));
	if (!x.vs)
		return;
	x.t = tm_unset;
	x.weight = 1;
	x.vs->at = st->at;
	x.vs->proto = 0; /* not written: see vs_finish() */
	if (!need(p, st, 1) || addr4(p, st, st->w[1], &x.vs->addr) ||
	    (st->n > 2 && num(p, st, 2, 0, 65535, &port)))
		x.bad = true;
	else
		extra(p, st, 2);
	x.vs->port = (__u16)port;
	p->vs_bad[p->cf->nvs - 1] = x.bad;
	block(p, st, vs_kw, C_VS, &x);
	if (!p->nomem && !x.bad)
		vs_finish(p, &x, st);
	for (i = 0; x.rs && i < x.vs->nrs; i++) {
		free(x.rs[i].ck);
		free(x.rs[i].virtualhost);
	}
	free(x.rs);
}

static const struct kw top_kw[] = {
	{"global_defs", top_global, true},  {"vrrp_instance", top_vrrp, true},
	{"vrrp_script", top_vscript, true}, {"vrrp_sync_group", top_sync, true},
	{"virtual_server", top_vs, true},   {"lbxdp_xdp", top_xdp, true},
	{"lbxdp_stats", top_stats, true},   {NULL, NULL, false},
};

/* A script of the file (the first of the first virtual server that has
 * one), NULL if none. */
static const struct conf_script *a_script(const struct conf *cf)
{
	int i, j, k;

	for (i = 0; i < cf->nvs; i++) {
		const struct conf_vs *vs = &cf->vs[i];

		for (j = 0; j < vs->nrs; j++) {
			const struct conf_rs *rs = &vs->rs[j];

			for (k = 0; k < rs->nchecks; k++)
				if (rs->checkers[k].misc.cmd)
					return &rs->checkers[k].misc;
			if (rs->notify_up.cmd)
				return &rs->notify_up;
			if (rs->notify_down.cmd)
				return &rs->notify_down;
		}
		if (vs->quorum_up.cmd)
			return &vs->quorum_up;
		if (vs->quorum_down.cmd)
			return &vs->quorum_down;
	}
	for (i = 0; i < cf->nvrrp; i++) {
		const struct conf_vrrp *v = &cf->vrrp[i];
		const struct conf_script *n[] = {
			&v->notify_master, &v->notify_backup, &v->notify_fault,
			&v->notify_stop,   &v->notify,
		};

		for (j = 0; j < 5; j++)
			if (n[j]->cmd)
				return n[j];
	}
	for (i = 0; i < cf->nsync_groups; i++) {
		const struct conf_sync_group *g = &cf->sync_groups[i];
		const struct conf_script *n[] = {
			&g->notify_master, &g->notify_backup, &g->notify_fault,
			&g->notify_stop,   &g->notify,
		};

		for (j = 0; j < 5; j++)
			if (n[j]->cmd)
				return n[j];
	}
	return cf->nvscripts ? &cf->vscripts[0].script : NULL;
}

static int vrrp_find(const struct conf *cf, const char *name)
{
	int i;

	for (i = 0; i < cf->nvrrp; i++)
		if (cf->vrrp[i].name && !strcmp(cf->vrrp[i].name, name))
			return i;
	return -1;
}

/* keepalived's order: an instance's garp_*, else global_defs' vrrp_garp_*,
 * else the default; garp_lower_prio_* else vrrp_garp_lower_prio_*, else
 * global_defs' master values (not the instance's: keepalived's). */
static void garp_resolve(const struct p *p, const struct vrs *s,
			 struct conf_vrrp *v)
{
	static const __u32 dfl[G_N] = {5000, 5, 0, 1, UNSET, UNSET, 0};
	__u32 g[G_N];
	int k;

	for (k = 0; k < G_N; k++)
		g[k] = p->garp[k] != UNSET ? p->garp[k] : dfl[k];
	if (g[G_LOWER_DELAY] == UNSET)
		g[G_LOWER_DELAY] = g[G_DELAY];
	if (g[G_LOWER_REP] == UNSET)
		g[G_LOWER_REP] = g[G_REP];
	for (k = 0; k < G_INTERVAL; k++)
		if (s->garp[k] != UNSET)
			g[k] = s->garp[k];
	v->garp_delay_ms = g[G_DELAY];
	v->garp_repeat = g[G_REP];
	v->garp_refresh_ms = g[G_REFRESH];
	v->garp_refresh_repeat = g[G_REFRESH_REP];
	v->garp_lower_delay_ms = g[G_LOWER_DELAY];
	v->garp_lower_repeat = g[G_LOWER_REP];
	v->garp_interval_ms = g[G_INTERVAL];
}

/* keepalived's rounding: v2 whole seconds (at least 1), v3 centiseconds
 * (at least 1), at most 40.95 s; half rounds up. */
static void advert_normalise(struct p *p, struct conf_vrrp *v)
{
	__u32 unit = v->version == 2 ? 1000 : 10, ms = v->advert_int_ms;

	if (v->version == 3 && ms > 40950) {
		conf_warning(
			p->d, &v->at,
			"vrrp_instance %s: VRRPv3 advert_int %u.%03u s is more than 40.95 s: set to 40.95, as keepalived does",
			v->name, ms / 1000, ms % 1000);
		v->advert_int_ms = 40950;
		return;
	}
	if (!(ms % unit))
		return;
	ms = (ms + unit / 2) / unit * unit;
	/* v3 is at most 40.95 s here, which rounds to no more; v2 has up
	 * to 255 s, whole ones */
	if (!ms)
		ms = unit;
	conf_warning(
		p->d, &v->at,
		"vrrp_instance %s: VRRPv%d advert_int %u.%03u s %s: rounded to %u.%03u s, as keepalived does",
		v->name, v->version, v->advert_int_ms / 1000,
		v->advert_int_ms % 1000,
		v->version == 2 ? "is not whole seconds"
				: "is not in units of 10 ms",
		ms / 1000, ms % 1000);
	v->advert_int_ms = ms;
}

/* vrrp_scripts no instance tracks are dropped, as keepalived drops them
 * (after its own drops of tracks: see owner_and_sync_weights()). */
static void drop_unused_scripts(struct p *p)
{
	struct conf *cf = p->cf;
	int i, j, k, n = 0;
	int *to;

	to = calloc(cf->nvscripts ? cf->nvscripts : 1, sizeof(*to));
	if (!to) {
		p->nomem = true;
		return;
	}
	for (i = 0; i < cf->nvrrp; i++)
		for (j = 0; j < cf->vrrp[i].ntrack_scripts; j++)
			to[cf->vrrp[i].track_scripts[j].script] = 1;
	for (k = 0; k < cf->nvscripts; k++) {
		if (!to[k]) {
			conf_warning(
				p->d, &cf->vscripts[k].at,
				"vrrp_script %s: not used by any vrrp_instance: dropped, as keepalived does",
				cf->vscripts[k].name);
			free(cf->vscripts[k].name);
			free_script(&cf->vscripts[k].script);
			continue;
		}
		to[k] = n;
		cf->vscripts[n++] = cf->vscripts[k];
	}
	cf->nvscripts = n;
	for (i = 0; i < cf->nvrrp; i++)
		for (j = 0; j < cf->vrrp[i].ntrack_scripts; j++)
			cf->vrrp[i].track_scripts[j].script =
				to[cf->vrrp[i].track_scripts[j].script];
	free(to);
}

/* track_script names into conf.vscripts indexes. */
static void track_scripts(struct p *p)
{
	struct conf *cf = p->cf;
	int i, j, k;

	for (i = 0; i < cf->nvrrp; i++) {
		struct conf_vrrp *v = &cf->vrrp[i];

		for (j = 0; j < p->vrs[i].nts; j++) {
			const struct pts *t = &p->vrs[i].ts[j];
			struct conf_track_script *ts;
			const struct conf_vrrp_script *sc;

			k = vscript_find(cf, t->name);
			if (k < 0) {
				conf_warning(
					p->d, &t->at,
					"track_script: no vrrp_script %s: ignored, as keepalived does",
					t->name);
				continue;
			}
			sc = &cf->vscripts[k];
			if (!t->early)
				conf_warning(
					p->d, &t->at,
					"track_script: vrrp_script %s comes after this instance: tracked (keepalived 2.2.7 ignores it)",
					t->name);
			ts = grow(p, &v->track_scripts, &v->ntrack_scripts,
				  sizeof(*ts));
			if (!ts)
				return;
			ts->script = k;
			ts->weight = t->has_weight ? t->weight : sc->weight;
			ts->reverse =
				t->reverse || (!t->noreverse && sc->reverse);
			ts->at = t->at;
		}
	}
}

/* keepalived's vrrp_sync_set_group(): an unknown instance or one already
 * in a group is skipped, a group left empty is dropped. */
static void sync_groups(struct p *p)
{
	struct conf *cf = p->cf;
	int i, j, n = 0;

	for (i = 0; i < cf->nsync_groups; i++) {
		struct conf_sync_group *g = &cf->sync_groups[i];
		const struct sgs *s = &p->sgs[i];

		for (j = 0; j < s->n; j++) {
			int k = vrrp_find(cf, s->m[j].name);
			int *m;

			if (k < 0) {
				conf_warning(
					p->d, &s->m[j].at,
					"vrrp_sync_group %s: no vrrp_instance %s: ignored, as keepalived does",
					g->name, s->m[j].name);
				continue;
			}
			if (cf->vrrp[k].sync_group >= 0) {
				conf_warning(
					p->d, &s->m[j].at,
					"vrrp_sync_group %s: vrrp_instance %s is already in %s: ignored, as keepalived does",
					g->name, s->m[j].name,
					cf->sync_groups[cf->vrrp[k].sync_group]
						.name);
				continue;
			}
			m = grow(p, &g->members, &g->nmembers, sizeof(*m));
			if (!m)
				return;
			*m = k;
			cf->vrrp[k].sync_group = n;
		}
		if (!g->nmembers) {
			conf_warning(
				p->d, &g->at,
				"vrrp_sync_group %s: no vrrp_instance: dropped, as keepalived does",
				g->name);
			free_sync_group(g);
			continue;
		}
		if (g->nmembers == 1)
			conf_warning(
				p->d, &g->at,
				"vrrp_sync_group %s: only one vrrp_instance (keepalived warns too)",
				g->name);
		/* keepalived: "... This won't work." (vrrp_sync_set_group()) */
		for (j = 0; j < g->nmembers; j++)
			if ((cf->vrrp[g->members[j]].priority == 255) !=
			    (cf->vrrp[g->members[0]].priority == 255))
				break;
		if (j < g->nmembers)
			conf_warning(
				p->d, &g->at,
				"vrrp_sync_group %s: some members are address owners (priority 255), some not: none starts as MASTER (keepalived: \"This won't work.\")",
				g->name);
		cf->sync_groups[n++] = *g;
	}
	cf->nsync_groups = n;
}

/* keepalived: in a sync group, tracked weights are ignored (an interface
 * then faults the group; a weighted script is dropped); the address
 * owner (priority 255) drops every weighted track. */
static void owner_and_sync_weights(struct p *p, struct conf_vrrp *v)
{
	const char *why = v->sync_group >= 0 ? "it is in a vrrp_sync_group"
					     : "it has priority 255";
	int i, n = 0;

	if (v->sync_group < 0 && v->priority != 255)
		return;
	for (i = 0; i < v->ntrack_ifs; i++) {
		struct conf_track_if *t = &v->track_ifs[i];

		if (t->weight) {
			conf_warning(
				p->d, &t->at,
				"track_interface %s: weight ignored as %s (keepalived's)%s",
				t->name, why,
				v->sync_group >= 0 ? "" : ": not tracked");
			if (v->sync_group < 0) {
				free(t->name);
				continue;
			}
			t->weight = 0;
			t->reverse = false;
		}
		v->track_ifs[n++] = *t;
	}
	v->ntrack_ifs = n;
	for (i = n = 0; i < v->ntrack_scripts; i++) {
		if (v->track_scripts[i].weight) {
			conf_warning(
				p->d, &v->track_scripts[i].at,
				"track_script %s: a weighted script is not tracked as %s (keepalived's)",
				p->cf->vscripts[v->track_scripts[i].script]
					.name,
				why);
			continue;
		}
		v->track_scripts[n++] = v->track_scripts[i];
	}
	v->ntrack_scripts = n;
}

/* keepalived's vrrp_complete_instance(), what of it lbxdp keeps. */
static void vrrp_complete(struct p *p, int i)
{
	struct conf_vrrp *v = &p->cf->vrrp[i];
	const struct vrs *s = &p->vrs[i];
	int j, n = 0;

	if (!v->version)
		v->version = p->vrrp_version ? p->vrrp_version : 2;
	garp_resolve(p, s, v);
	/* no priority: the address owner's with state MASTER; no state:
	 * MASTER for the address owner */
	if (!s->prio && v->master)
		v->priority = 255;
	if (!v->state_given && v->priority == 255)
		v->master = true;
	advert_normalise(p, v);
	if (v->version == 3 && s->auth) {
		conf_warning(
			p->d, &s->auth_at,
			"authentication: VRRP version 3 has none: ignored, as keepalived does");
		v->auth_pass[0] = '\0';
	} else if (s->auth_type == AUTH_AH) {
		/* nor its key sent in clear as a PASS one */
		conf_warning(
			p->d, &s->type_at,
			"auth_type AH: not implemented by lbxdp: no authentication");
		v->auth_pass[0] = '\0';
	} else if (s->auth && s->auth_type != AUTH_PASS) {
		if (v->auth_pass[0])
			conf_warning(
				p->d, &s->auth_at,
				"authentication: auth_pass without auth_type PASS: no authentication, as keepalived does");
		v->auth_pass[0] = '\0';
	} else if (s->auth && !v->auth_pass[0]) {
		conf_warning(
			p->d, &s->auth_at,
			"authentication: no auth_pass: no authentication, as keepalived does");
	}
	if (v->priority == 255 && v->nopreempt) {
		conf_warning(
			p->d, &v->at,
			"vrrp_instance %s: nopreempt does not work with priority 255: cleared, as keepalived does",
			v->name);
		v->nopreempt = false;
	}
	if (v->master && v->preempt_delay_ms) {
		conf_warning(
			p->d, &v->at,
			"vrrp_instance %s: preempt_delay does not work with state MASTER: cleared, as keepalived does",
			v->name);
		v->preempt_delay_ms = 0;
	}
	if (v->nopreempt && v->preempt_delay_ms) {
		conf_warning(
			p->d, &v->at,
			"vrrp_instance %s: preempt_delay does not work with nopreempt: cleared, as keepalived does",
			v->name);
		v->preempt_delay_ms = 0;
	}
	if ((v->unicast_src || v->csum != VRRP_CSUM_AUTO) && !v->npeers)
		conf_warning(
			p->d, &v->at,
			"vrrp_instance %s: %s without unicast_peer: multicast, as keepalived does",
			v->name,
			v->unicast_src ? "unicast_src_ip"
				       : "old_unicast_checksum");
	for (j = 0; j < v->ntrack_ifs; j++) {
		struct conf_track_if *t = &v->track_ifs[j];

		if (v->interface && !strcmp(t->name, v->interface)) {
			conf_warning(
				p->d, &t->at,
				"track_interface %s: the instance's own interface (always tracked): ignored, as keepalived does",
				t->name);
			free(t->name);
			continue;
		}
		v->track_ifs[n++] = *t;
	}
	v->ntrack_ifs = n;
	owner_and_sync_weights(p, v);
}

/* What VRRP needs of the whole file: every vrrp_script and instance. */
static void vrrp_finish(struct p *p)
{
	struct conf *cf = p->cf;
	struct conf_lvs_sync *ls = &cf->lvs_sync;
	int i;

	track_scripts(p);
	sync_groups(p);
	/* a nameless one is an error already: nothing more about it */
	for (i = 0; i < cf->nvrrp && !p->nomem; i++)
		if (cf->vrrp[i].name)
			vrrp_complete(p, i);
	if (!p->nomem)
		drop_unused_scripts(p);
	if (!ls->interface) {
		if (cf->xdp.sync_key_file)
			conf_warning(
				p->d, &cf->xdp.sync_key_at,
				"sync_key_file: no lvs_sync_daemon in global_defs: no flow sync");
		return;
	}
	if (!ls->port)
		ls->port = 8848;
	if (ls->instance) {
		i = vrrp_find(cf, ls->instance);
		if (i < 0) {
			conf_warning(
				p->d, &ls->at,
				"lvs_sync_daemon: no vrrp_instance %s: no flow sync, as keepalived does",
				ls->instance);
			free(ls->interface);
			free(ls->instance);
			ls->interface = ls->instance = NULL;
			ls->syncid = 0;
			return;
		}
		if (!p->lvs_syncid)
			ls->syncid = cf->vrrp[i].vrid;
	}
	if (!cf->xdp.sync_key_file)
		conf_warning(
			p->d, &ls->at,
			"lvs_sync_daemon: no flow sync without a key (lbxdp_xdp { sync_key_file PATH }): after a failover, wrr and rr flows are placed by Maglev");
}

/* The smtp_alert of each virtual server, real server, instance and sync
 * group not written: smtp_alert_checker or smtp_alert_vrrp, else
 * smtp_alert, else keepalived 2.2.7's defaults: on for real servers (its
 * compatibility with 1.x), off for virtual servers, instances and
 * groups. */
static enum conf_tri tri_pick(enum conf_tri own, enum conf_tri kind,
			      enum conf_tri all, enum conf_tri dflt)
{
	return own ? own : kind ? kind : all ? all : dflt;
}

static void smtp_defaults(struct conf *cf)
{
	const struct conf_global *g = &cf->g;
	int i, j;

	for (i = 0; i < cf->nvs; i++) {
		struct conf_vs *vs = &cf->vs[i];

		vs->smtp_alert = tri_pick(vs->smtp_alert, g->smtp_alert_checker,
					  g->smtp_alert, CONF_OFF);
		for (j = 0; j < vs->nrs; j++)
			vs->rs[j].smtp_alert = tri_pick(vs->rs[j].smtp_alert,
							g->smtp_alert_checker,
							g->smtp_alert, CONF_ON);
	}
	for (i = 0; i < cf->nvrrp; i++)
		cf->vrrp[i].smtp_alert =
			tri_pick(cf->vrrp[i].smtp_alert, g->smtp_alert_vrrp,
				 g->smtp_alert, CONF_OFF);
	for (i = 0; i < cf->nsync_groups; i++)
		cf->sync_groups[i].smtp_alert =
			tri_pick(cf->sync_groups[i].smtp_alert,
				 g->smtp_alert_vrrp, g->smtp_alert, CONF_OFF);
}

/* What needs the whole file: global defaults, the XDP interface. */
static void finish(struct p *p)
{
	const struct conf_script *sc;
	struct conf *cf = p->cf;
	int i, j;

	vs_dups(p);
	vrrp_finish(p);
	stats_finish(p);
	sc = a_script(cf);
	if (sc && !cf->g.script_security)
		conf_warning(
			p->d, &sc->at,
			"scripts run without enable_script_security (keepalived: \"SECURITY VIOLATION\")");
	if (!cf->g.smtp_port)
		cf->g.smtp_port = 25;
	if (!cf->g.smtp_timeout_ms)
		cf->g.smtp_timeout_ms = 30000;
	smtp_defaults(cf);
	for (i = 0; i < cf->nvrrp; i++) {
		struct conf_vrrp *v = &cf->vrrp[i];

		if (!v->version)
			v->version = p->vrrp_version ? p->vrrp_version : 2;
		if (!cf->xdp.interface || !v->interface)
			continue;
		if (strcmp(v->interface, cf->xdp.interface))
			conf_error(
				p->d, &v->at,
				"vrrp_instance %s: interface %s is not lbxdp_xdp's %s: direct routing serves VIPs on the interface it forwards on",
				v->name ? v->name : "", v->interface,
				cf->xdp.interface);
		for (j = 0; j < v->nvips; j++)
			if (v->vips[j].dev &&
			    strcmp(v->vips[j].dev, cf->xdp.interface))
				conf_error(
					p->d, &v->vips[j].at,
					"virtual_ipaddress: dev %s is not lbxdp_xdp's %s: direct routing serves VIPs on the interface it forwards on",
					v->vips[j].dev, cf->xdp.interface);
	}
}

static void free_checker(struct conf_checker *c)
{
	int i;

	for (i = 0; i < c->nurls; i++) {
		free(c->urls[i].path);
		free(c->urls[i].digest);
		free(c->urls[i].status);
		free(c->urls[i].virtualhost);
	}
	free(c->urls);
	free(c->virtualhost);
	free_script(&c->misc);
	free(c->dns_name);
	free(c->udp_payload);
	free(c->udp_reply);
}

void conf_free(struct conf *cf)
{
	int i, j, k;

	if (!cf)
		return;
	for (i = 0; i < cf->nvs; i++) {
		struct conf_vs *vs = &cf->vs[i];

		for (j = 0; j < vs->nrs; j++) {
			struct conf_rs *rs = &vs->rs[j];

			for (k = 0; k < rs->nchecks; k++)
				free_checker(&rs->checkers[k]);
			free(rs->checkers);
			free_script(&rs->notify_up);
			free_script(&rs->notify_down);
		}
		free(vs->rs);
		free(vs->sched_as_written);
		free_script(&vs->quorum_up);
		free_script(&vs->quorum_down);
		free(vs->virtualhost);
	}
	free(cf->vs);
	for (i = 0; i < cf->nvrrp; i++) {
		struct conf_vrrp *v = &cf->vrrp[i];

		for (j = 0; j < v->nvips; j++) {
			free(v->vips[j].dev);
			free(v->vips[j].label);
		}
		for (j = 0; j < v->nvips_excluded; j++) {
			free(v->vips_excluded[j].dev);
			free(v->vips_excluded[j].label);
		}
		free(v->vips);
		free(v->vips_excluded);
		free(v->name);
		free(v->interface);
		free(v->unicast_peers);
		free_script(&v->notify_master);
		free_script(&v->notify_backup);
		free_script(&v->notify_fault);
		free_script(&v->notify_stop);
		free_script(&v->notify);
		for (j = 0; j < v->ntrack_ifs; j++)
			free(v->track_ifs[j].name);
		free(v->track_ifs);
		free(v->track_scripts);
	}
	free(cf->vrrp);
	for (i = 0; i < cf->nvscripts; i++) {
		free(cf->vscripts[i].name);
		free_script(&cf->vscripts[i].script);
	}
	free(cf->vscripts);
	for (i = 0; i < cf->nsync_groups; i++)
		free_sync_group(&cf->sync_groups[i]);
	free(cf->sync_groups);
	free(cf->lvs_sync.interface);
	free(cf->lvs_sync.instance);
	free(cf->xdp.interface);
	free(cf->xdp.sync_key_file);
	for (i = 0; i < cf->stats.nusers; i++) {
		free(cf->stats.users[i].name);
		if (cf->stats.users[i].pass)
			explicit_bzero(cf->stats.users[i].pass,
				       strlen(cf->stats.users[i].pass));
		free(cf->stats.users[i].pass);
	}
	free(cf->stats.users);
	free(cf->stats.uri);
	free(cf->stats.realm);
	free(cf->stats.cert);
	free(cf->stats.key);
	free(cf->g.router_id);
	for (i = 0; i < cf->g.nemails; i++)
		free(cf->g.emails[i]);
	free(cf->g.emails);
	free(cf->g.email_from);
	free(cf->g.smtp_server);
	free(cf->g.smtp_helo);
	free(cf->g.script_user);
	free(cf->g.script_group);
	for (i = 0; i < cf->nfiles; i++)
		free(cf->files[i]);
	free(cf->files);
	free(cf->path);
	free(cf);
}

int conf_load(const char *path, const struct conf_opts *o, struct conf **out,
	      struct conf_diag *d)
{
	unsigned int errors = d->errors;
	struct conf_stmts s = {0};
	struct conf *cf;
	struct p p = {0};
	int err, i, j;

	cf = calloc(1, sizeof(*cf));
	if (!cf)
		return -ENOMEM;
	cf->xdp.mode = -1;
	cf->path = strdup(path);
	if (!cf->path) {
		free(cf);
		return -ENOMEM;
	}
	err = conf_lex(path, o, cf, &s, d);
	if (err == -E2BIG)
		err = -EINVAL;
	if (err)
		goto out;
	p.s = &s;
	p.cf = cf;
	p.d = d;
	for (i = 0; i < G_N; i++)
		p.garp[i] = UNSET;
	block(&p, NULL, top_kw, C_TOP, NULL);
	if (!p.nomem)
		finish(&p);
	if (p.nomem)
		err = -ENOMEM;
	else if (d->errors != errors)
		err = -EINVAL;
out:
	conf_stmts_free(&s);
	free(p.vs_bad);
	for (i = 0; p.vrs && i < cf->nvrrp; i++) {
		for (j = 0; j < p.vrs[i].nts; j++)
			free(p.vrs[i].ts[j].name);
		free(p.vrs[i].ts);
	}
	free(p.vrs);
	for (i = 0; p.sgs && i < p.nsgs; i++) {
		for (j = 0; j < p.sgs[i].n; j++)
			free(p.sgs[i].m[j].name);
		free(p.sgs[i].m);
	}
	free(p.sgs);
	for (i = 0; i < p.nadm; i++)
		free(p.adm[i].name);
	free(p.adm);
	if (err) {
		conf_free(cf);
		return err;
	}
	*out = cf;
	return 0;
}

int conf_test(const char *path, const struct conf_opts *o, FILE *out)
{
	struct conf_diag d = {.out = out};
	struct conf *cf;
	int err;

	err = conf_load(path, o, &cf, &d);
	if (err == -EINVAL)
		return 1;
	if (err)
		return 2;
	conf_check_host(cf, false, &d);
	conf_free(cf);
	return 0;
}
