// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* backend add | set | del | list */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "clock.h"
#include "cli.h"
#include "log.h"
#include "maps.h"
#include "netlink.h"
#include "parse.h"
#include "runpath.h"
#include "service.h"

/* The kernel's three ARP tries, a second apart (mcast_solicit, retrans_time). */
#define NEIGH_TIMEOUT_MS 3000

static const char backend_usage[] =
	"Usage: lbxdp backend add SERVICE RIP [--weight N] [--mac MAC]\n"
	"       lbxdp backend set SERVICE RIP [--weight N] [--up|--down] [--mac MAC]\n"
	"       lbxdp backend set SERVICE RIP --auto\n"
	"       lbxdp backend del SERVICE RIP\n"
	"       lbxdp backend list [SERVICE]\n"
	"  RIP must be a neighbour on the attached interface (DR); its MAC comes\n"
	"  from the neighbour table (resolved if missing) unless --mac is given,\n"
	"  once: a server whose MAC changes needs set --mac. RIP is a host: not\n"
	"  the VIP, 0.0.0.0, broadcast, multicast, loopback, nor the network or\n"
	"  broadcast address of the interface's prefix; the MAC is not all-zero,\n"
	"  multicast or broadcast.\n"
	"  --weight 0-65535 (default 1): 0 quiesces (keeps flows, no new ones).\n"
	"  --down: no new flows, existing ones move to other servers.\n"
	"  del drains: open flows continue until idle; ACTIVE shows them.\n"
	"  On a server that lbxdp daemon checks (OWNER daemon), --weight, --up\n"
	"  and --down hold over its checks until --auto hands it back to them;\n"
	"  del is refused while the daemon runs (remove it from its configuration).\n";

static int backend_help(struct cli *cli, int argc, char **argv)
{
	return help_out(cli, argc, argv, backend_usage);
}

/* SERVICE RIP, then options left for the caller from argv[2]. */
static int svc_rip(const char *cmd, int argc, char **argv,
		   struct lbxdp_vip_key *key, __be32 addr[4])
{
	if (argc < 2 || argv[0][0] == '-' || argv[1][0] == '-') {
		p_err("usage: lbxdp backend %s VIP:PORT[/PROTO] RIP ...", cmd);
		return -EINVAL;
	}
	if (arg_service(argv[0], key) || arg_addr(argv[1], addr))
		return -EINVAL;
	return 0;
}

/* A weight given that the wrr schedule cannot take, or an address of the
 * interface's prefixes that no host has (-EDOM), is a bad value; weights
 * already there that it cannot take are state (exit 2). */
static int weight_exit_code(int err)
{
	return err == -EDOM ? EXIT_USAGE : exit_code(err);
}

/* --mac VALUE into @mac; false (printed) when it is not one host's MAC. */
static bool arg_mac(const char *v, __u8 mac[6])
{
	char why[128];

	if (!v || lbxdp_parse_mac(v, mac)) {
		p_err("bad --mac '%s': expected aa:bb:cc:dd:ee:ff", v ? v : "");
		return false;
	}
	if (lbxdp_check_mac(mac, why, sizeof(why))) {
		p_err("bad --mac '%s': %s", v, why);
		return false;
	}
	return true;
}

/* @addr is neither the network nor the broadcast address of a prefix of
 * @ifindex: those are not a neighbour's. -EDOM (a bad value), -errno;
 * printed. */
static int check_prefixes(int ifindex, const char *ifname, const char *rip,
			  const __be32 addr[4])
{
	struct lbxdp_nl_prefix *p = NULL;
	size_t n = 0, i;
	char why[128];
	int err;

	err = lbxdp_nl_addrs4(ifindex, &p, &n);
	if (err) {
		p_err("cannot read the addresses of %s: %s", ifname,
		      strerror(-err));
		return err;
	}
	for (i = 0; i < n; i++) {
		if (!lbxdp_check_prefix_edge(addr[0], p[i].addr, p[i].len, why,
					     sizeof(why)))
			continue;
		p_err("bad backend '%s': %s on %s", rip, why, ifname);
		err = -EDOM;
		break;
	}
	free(p);
	return err;
}

static const char *state_name(const struct lbxdp_backend *be)
{
	if (be->flags & LBXDP_BE_F_DRAINING)
		return "draining";
	if (be->flags & LBXDP_BE_F_DOWN)
		return "down";
	return be->weight ? "up" : "quiesced";
}

static const char *owner_name(__u8 owner)
{
	return owner == LBXDP_OWNER_DAEMON ? "daemon" : "cli";
}

static const char *health_name(const struct lbxdp_health *h)
{
	switch (h->state) {
	case LBXDP_HEALTH_PENDING:
		return "pending";
	case LBXDP_HEALTH_UP:
		return "up";
	case LBXDP_HEALTH_DOWN:
		return "down";
	default:
		return "not checked";
	}
}

/* Who set the record's state: the operator (an override, or the CLI's
 * backend), the daemon's checks, or its configuration (not checked yet). */
static const char *set_by(const struct lbxdp_backend_entry *e)
{
	if (e->meta.owner != LBXDP_OWNER_DAEMON || e->meta.op)
		return "operator";
	if (e->health.state == LBXDP_HEALTH_UP ||
	    e->health.state == LBXDP_HEALTH_DOWN)
		return "check";
	return "config";
}

/* Whether backend list shows the daemon's side of @e at all. */
static bool has_check(const struct lbxdp_backend_entry *e)
{
	return e->meta.owner == LBXDP_OWNER_DAEMON || e->meta.op ||
	       e->health.state != LBXDP_HEALTH_NONE;
}

/* The override's state: "down", "up" or NULL (none). */
static const char *op_state(__u8 op)
{
	return op & LBXDP_OP_DOWN ? "down" : op & LBXDP_OP_UP ? "up" : NULL;
}

/* A fixed-size string of the health map, which may fill it whole. */
#define HSTR(f) json_object_new_string_len((f), strnlen((f), sizeof(f)))

static struct json_object *check_json(const struct lbxdp_health *h, __u64 now)
{
	struct json_object *o;

	if (h->state == LBXDP_HEALTH_NONE)
		return NULL;
	o = json_object_new_object();
#define J(k, x) json_object_object_add(o, k, x)
	J("checker", h->last_ms ? HSTR(h->checker) : NULL);
	J("reason", h->last_ms ? HSTR(h->reason) : NULL);
	J("last_ms", h->last_ms ? json_object_new_int64(h->last_ms) : NULL);
	J("age_ms",
	  h->last_ms ? json_object_new_int64(now > h->last_ms ? now - h->last_ms
							      : 0)
		     : NULL);
	J("since_ms", h->since_ms ? json_object_new_int64(h->since_ms) : NULL);
	J("fails", json_object_new_int64(h->fails));
	J("oks", json_object_new_int64(h->oks));
	J("transitions", json_object_new_int64(h->transitions));
	J("weight", json_object_new_int64(h->weight));
#undef J
	return o;
}

static struct json_object *op_json(const struct lbxdp_backend_meta *m)
{
	struct json_object *o;

	if (!m->op)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "state",
			       op_state(m->op)
				       ? json_object_new_string(op_state(m->op))
				       : NULL);
	json_object_object_add(o, "weight",
			       m->op & LBXDP_OP_WEIGHT
				       ? json_object_new_int64(m->op_weight)
				       : NULL);
	return o;
}

/* A backend as backend list -j shows it; with @svc, its service first. */
static struct json_object *backend_json(const struct lbxdp_backend_entry *e,
					const char *svc)
{
	struct json_object *o = json_object_new_object();
	char buf[64];

#define J(k, x) json_object_object_add(o, k, x)
	if (svc)
		J("service", json_object_new_string(svc));
	J("address", json_object_new_string(lbxdp_format_addr(
			     e->be.addr, e->be.family, buf, sizeof(buf))));
	J("id", json_object_new_int64(e->id));
	J("weight", json_object_new_int64(e->be.weight));
	J("state", json_object_new_string(state_name(&e->be)));
	J("mac", json_object_new_string(
			 lbxdp_format_mac(e->be.mac, buf, sizeof(buf))));
	J("active", json_object_new_int64(e->active));
	J("flows", json_object_new_int64(e->flows));
	J("packets", json_object_new_int64(e->ctr.packets));
	J("bytes", json_object_new_int64(e->ctr.bytes));
	J("new_flows", json_object_new_int64(e->ctr.new_flows));
	J("owner", json_object_new_string(owner_name(e->meta.owner)));
	J("health", json_object_new_string(health_name(&e->health)));
	J("set_by", json_object_new_string(set_by(e)));
	J("check", check_json(&e->health, lbxdp_realtime_ms()));
	J("operator", op_json(&e->meta));
#undef J
	return o;
}

/*
 * -j result of a backend write: the backend as backend list -j shows it,
 * with its service; null if it is gone or cannot be read back (the write
 * itself succeeded). Counts its flows, as backend list does.
 */
static void backend_result(struct cli *cli, struct lbxdp_ctx *c,
			   const struct lbxdp_vip_key *key,
			   const __be32 addr[4])
{
	struct lbxdp_backend_entry *be = NULL;
	struct json_object *o = NULL;
	char svc[LBXDP_SVC_STRLEN];
	struct lbxdp_vip vip;
	size_t n = 0, i;
	int err;

	err = lbxdp_vip_get(c, key, &vip);
	if (!err)
		err = lbxdp_backend_list(c, vip.id, &be, &n);
	if (err)
		p_warn("done, but cannot read the backend back: %s",
		       strerror(-err));
	lbxdp_format_service(key, svc, sizeof(svc));
	for (i = 0; i < n && !o; i++)
		if (be[i].be.family == key->family &&
		    !memcmp(be[i].be.addr, addr, sizeof(be[i].be.addr)))
			o = backend_json(&be[i], svc);
	free(be);
	json_print(cli, o);
}

static int backend_add(struct cli *cli, int argc, char **argv)
{
	struct lbxdp_vip_key key = {};
	char ifname[IF_NAMESIZE] = "?", a[64], why[128], m[18];
	__u8 mac[6];
	bool have_mac = false;
	__u32 weight = 1;
	__be32 addr[4];
	struct lbxdp_vip vip;
	struct lbxdp_ctx c;
	int i, err;

	if (svc_rip("add", argc, argv, &key, addr))
		return EXIT_USAGE;
	if (lbxdp_check_backend_addr(addr, &key, why, sizeof(why))) {
		p_err("bad backend '%s': %s", argv[1], why);
		return EXIT_USAGE;
	}
	for (i = 2; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "--weight")) {
			if (arg_u32("--weight", v, 0, LBXDP_MAX_WEIGHT,
				    &weight))
				return EXIT_USAGE;
			i++;
		} else if (!strcmp(argv[i], "--mac")) {
			if (!arg_mac(v, mac))
				return EXIT_USAGE;
			have_mac = true;
			i++;
		} else {
			p_err("unexpected argument '%s' for backend add",
			      argv[i]);
			return EXIT_USAGE;
		}
	}

	err = lbxdp_open(&c, cli->pin_dir, false);
	if (err)
		return EXIT_FAIL;
	/* Fail early, before the slow neighbour resolution. */
	err = lbxdp_vip_get(&c, &key, &vip);
	if (err)
		goto cleanup;
	lbxdp_format_addr(addr, key.family, a, sizeof(a));
	if (!c.cfg.ifindex || !if_indextoname(c.cfg.ifindex, ifname)) {
		p_err("no interface attached from %s: run 'lbxdp attach IFACE' first",
		      cli->pin_dir);
		err = -ENODEV;
		goto cleanup;
	}
	err = check_prefixes(c.cfg.ifindex, ifname, argv[1], addr);
	if (err)
		goto cleanup;
	err = lbxdp_nl_onlink(c.cfg.ifindex, addr[0]);
	if (err) {
		p_err("backend %s is not a neighbour on %s (routed via a gateway, another interface, or local): DR needs the real server on the same link",
		      a, ifname);
		goto cleanup;
	}
	if (!have_mac) {
		err = lbxdp_nl_neigh_resolve(c.cfg.ifindex, addr[0], mac,
					     NEIGH_TIMEOUT_MS);
		if (err) {
			p_err("cannot resolve the MAC of backend %s on %s (%s): is it up? or give --mac",
			      a, ifname, strerror(-err));
			goto cleanup;
		}
		/* A neighbour entry someone wrote by hand: state, not a
		 * bad argument. */
		if (lbxdp_check_mac(mac, why, sizeof(why))) {
			p_err("backend %s has MAC %s in the neighbour table of %s, %s: fix the entry or give --mac",
			      a, lbxdp_format_mac(mac, m, sizeof(m)), ifname,
			      why);
			err = -EADDRNOTAVAIL;
			goto cleanup;
		}
	}
	/* Resolution may take a while: lock only now, on freshly opened
	 * maps. */
	lbxdp_close(&c);
	err = open_writer(cli, &c);
	if (!err)
		err = lbxdp_backend_add(&c, &key, addr, weight, mac,
					LBXDP_OWNER_CLI);
	if (!err && cli->json)
		backend_result(cli, &c, &key, addr);
cleanup:
	lbxdp_close(&c);
	return weight_exit_code(err);
}

static int backend_set(struct cli *cli, int argc, char **argv)
{
	struct lbxdp_backend_change ch = {.weight = -1, .up = -1};
	struct lbxdp_vip_key key = {};
	bool to_auto = false;
	__be32 addr[4];
	struct lbxdp_ctx c;
	__u8 mac[6];
	int i, err;
	__u32 w;

	if (svc_rip("set", argc, argv, &key, addr))
		return EXIT_USAGE;
	for (i = 2; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "--weight")) {
			if (arg_u32("--weight", v, 0, LBXDP_MAX_WEIGHT, &w))
				return EXIT_USAGE;
			ch.weight = w;
			i++;
		} else if (!strcmp(argv[i], "--mac")) {
			if (!arg_mac(v, mac))
				return EXIT_USAGE;
			ch.mac = mac;
			i++;
		} else if (!strcmp(argv[i], "--up") ||
			   !strcmp(argv[i], "--down")) {
			if (ch.up >= 0) {
				p_err("--up and --down exclude each other");
				return EXIT_USAGE;
			}
			ch.up = !strcmp(argv[i], "--up");
		} else if (!strcmp(argv[i], "--auto")) {
			to_auto = true;
		} else {
			p_err("unexpected argument '%s' for backend set",
			      argv[i]);
			return EXIT_USAGE;
		}
	}
	if (to_auto && (ch.weight >= 0 || ch.up >= 0 || ch.mac)) {
		p_err("--auto hands the server back to the daemon's checks: it takes no --weight, --up, --down or --mac");
		return EXIT_USAGE;
	}
	if (!to_auto && ch.weight < 0 && ch.up < 0 && !ch.mac) {
		p_err("backend set needs --weight N, --up, --down, --mac MAC or --auto");
		return EXIT_USAGE;
	}
	err = open_writer(cli, &c);
	if (err)
		return EXIT_FAIL;
	if (to_auto)
		err = lbxdp_backend_auto(&c, &key, addr);
	else
		err = lbxdp_backend_set_op(&c, &key, addr, &ch);
	if (!err && cli->json)
		backend_result(cli, &c, &key, addr);
	lbxdp_close(&c);
	return weight_exit_code(err);
}

/*
 * A backend that a running daemon owns is its configuration's: deleting
 * it here would last until its next reload or restart. -EBUSY, printed.
 */
static int refuse_daemons(struct cli *cli, struct lbxdp_ctx *c,
			  const struct lbxdp_vip_key *key, const __be32 addr[4])
{
	struct lbxdp_backend_meta m;
	char svc[LBXDP_SVC_STRLEN], a[64];
	pid_t pid;
	__u32 id;

	if (lbxdp_backend_find(c, key, addr, &id) ||
	    lbxdp_backend_get(c, id, NULL, &m, NULL) ||
	    m.owner != LBXDP_OWNER_DAEMON)
		return 0;
	pid = lbxdp_daemon_pid(cli->pin_dir);
	if (!pid)
		return 0;
	p_err("backend %s of %s is owned by lbxdp daemon (pid %d): remove it from its configuration and reload",
	      lbxdp_format_addr(addr, key->family, a, sizeof(a)),
	      lbxdp_format_service(key, svc, sizeof(svc)), (int)pid);
	return -EBUSY;
}

static int backend_del(struct cli *cli, int argc, char **argv)
{
	struct lbxdp_vip_key key = {};
	__be32 addr[4];
	struct lbxdp_ctx c;
	int err;

	if (svc_rip("del", argc, argv, &key, addr))
		return EXIT_USAGE;
	if (argc > 2) {
		p_err("unexpected argument '%s' for backend del", argv[2]);
		return EXIT_USAGE;
	}
	err = open_writer(cli, &c);
	if (err)
		return EXIT_FAIL;
	err = refuse_daemons(cli, &c, &key, addr);
	if (!err)
		err = lbxdp_backend_del(&c, &key, addr);
	if (!err && cli->json)
		backend_result(cli, &c, &key, addr);
	lbxdp_close(&c);
	return exit_code(err);
}

/* The daemon's side of a backend, under its line: the check's view, its
 * last result, and the operator's override beside it. */
static void check_print(const struct lbxdp_backend_entry *e, __u64 now)
{
	const struct lbxdp_health *h = &e->health;
	const struct lbxdp_backend_meta *m = &e->meta;
	char last[160] = "no result yet", w[24] = "";

	if (h->last_ms)
		snprintf(
			last, sizeof(last), "%.*s %llu s ago: %.*s",
			(int)strnlen(h->checker, sizeof(h->checker)),
			h->checker,
			(unsigned long long)(now > h->last_ms
						     ? (now - h->last_ms) / 1000
						     : 0),
			(int)strnlen(h->reason, sizeof(h->reason)), h->reason);
	printf("       health %s, set by %s; last check %s; fails %u, oks %u\n",
	       health_name(h), set_by(e), last, h->fails, h->oks);
	if (!m->op)
		return;
	if (m->op & LBXDP_OP_WEIGHT)
		snprintf(w, sizeof(w), "weight %u", m->op_weight);
	printf("       operator: %s%s%s; the check's view: %s, weight %u\n",
	       op_state(m->op) ? op_state(m->op) : "",
	       op_state(m->op) && *w ? ", " : "", w, health_name(h),
	       h->state == LBXDP_HEALTH_NONE ? m->cfg_weight : h->weight);
}

static void backend_print(const struct lbxdp_backend_entry *e, __u64 now)
{
	char a[64], m[32];

	printf("  -> %-16s %6u %-9s %-17s %7u %7u %12llu %14llu %10llu %-6s %s\n",
	       lbxdp_format_addr(e->be.addr, e->be.family, a, sizeof(a)),
	       e->be.weight, state_name(&e->be),
	       lbxdp_format_mac(e->be.mac, m, sizeof(m)), e->active, e->flows,
	       (unsigned long long)e->ctr.packets,
	       (unsigned long long)e->ctr.bytes,
	       (unsigned long long)e->ctr.new_flows, owner_name(e->meta.owner),
	       health_name(&e->health));
	if (has_check(e))
		check_print(e, now);
}

/* A draining backend that no flow refers to any more. */
static bool drained(const struct lbxdp_backend_entry *be, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((be[i].be.flags & LBXDP_BE_F_DRAINING) && !be[i].flows)
			return true;
	return false;
}

static int backend_list(struct cli *cli, int argc, char **argv)
{
	struct lbxdp_backend_entry *be = NULL;
	struct lbxdp_vip_entry *v = NULL;
	struct json_object *arr = NULL;
	struct lbxdp_vip_key key = {};
	char svc[LBXDP_SVC_STRLEN];
	size_t nv = 0, nb = 0, i, j;
	__u64 now = lbxdp_realtime_ms();
	struct lbxdp_vip vip;
	struct lbxdp_ctx c;
	int err;

	if (argc > 1 || (argc == 1 && argv[0][0] == '-')) {
		p_err("unexpected argument '%s' for backend list",
		      argv[argc - 1]);
		return EXIT_USAGE;
	}
	if (argc == 1 && arg_service(argv[0], &key))
		return EXIT_USAGE;
	err = lbxdp_open_wait(&c, cli->pin_dir, false, cli->lock_wait_ms);
	if (err)
		return EXIT_FAIL;
	if (argc == 1) {
		err = lbxdp_vip_get(&c, &key, &vip);
		if (err)
			goto cleanup;
	}
	/* A writer killed mid-change left records its tables lack. */
	if (lbxdp_repair(&c, false) > 0) {
		err = lbxdp_lock(&c, cli->pin_dir);
		if (!err)
			err = lbxdp_config_read(&c);
		if (!err && lbxdp_repair(&c, true) > 0)
			p_warn("repaired what a writer killed mid-change left");
		lbxdp_unlock(&c);
		if (err)
			goto cleanup;
	}
	err = lbxdp_vip_list(&c, &v, &nv);
	if (!err)
		err = lbxdp_backend_list(&c, argc == 1 ? (int)vip.id : -1, &be,
					 &nb);
	if (err)
		goto cleanup;
	if (drained(be, nb)) {
		/* Free drained records now, so the list shows them gone. */
		free(be);
		be = NULL;
		err = lbxdp_lock(&c, cli->pin_dir);
		if (!err)
			err = lbxdp_config_read(&c);
		if (!err)
			err = lbxdp_gc(&c);
		lbxdp_unlock(&c);
		if (!err)
			err = lbxdp_backend_list(
				&c, argc == 1 ? (int)vip.id : -1, &be, &nb);
		if (err)
			goto cleanup;
	}

	if (cli->json)
		arr = json_object_new_array();
	else
		printf("%-26s %-5s %-7s %s\n  -> %-16s %6s %-9s %-17s %7s %7s %12s %14s %10s %-6s %s\n",
		       "SERVICE", "SCHED", "PERSIST", "OWNER", "BACKEND",
		       "WEIGHT", "STATE", "MAC", "ACTIVE", "FLOWS", "PACKETS",
		       "BYTES", "NEWFLOWS", "OWNER", "HEALTH");
	for (i = 0; i < nv; i++) {
		struct json_object *o = NULL, *list = NULL;

		if (argc == 1 && v[i].vip.id != vip.id)
			continue;
		lbxdp_format_service(&v[i].key, svc, sizeof(svc));
		if (arr) {
			o = json_object_new_object();
			list = json_object_new_array();
			json_object_object_add(o, "service",
					       json_object_new_string(svc));
			json_object_object_add(
				o, "sched",
				json_object_new_string(
					lbxdp_sched_name(v[i].vip.sched)));
			json_object_object_add(
				o, "owner",
				json_object_new_string(owner_name(v[i].owner)));
			json_object_object_add(o, "backends", list);
			json_object_array_add(arr, o);
		} else {
			printf("%-26s %-5s %-7u %s\n", svc,
			       lbxdp_sched_name(v[i].vip.sched),
			       v[i].vip.persist_sec, owner_name(v[i].owner));
		}
		for (j = 0; j < nb; j++) {
			if (be[j].be.vip_id != v[i].vip.id)
				continue;
			if (list)
				json_object_array_add(
					list, backend_json(&be[j], NULL));
			else
				backend_print(&be[j], now);
		}
	}
	if (arr)
		json_print(cli, arr);
cleanup:
	free(v);
	free(be);
	lbxdp_close(&c);
	return exit_code(err);
}

int do_backend(struct cli *cli, int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{"add", backend_add}, {"set", backend_set},
		{"del", backend_del}, {"list", backend_list},
		{NULL, NULL},
	};
	static char *asked[] = {"help"};

	if (has_help_flag(argc, argv))
		return backend_help(cli, 1, asked);
	return cmd_dispatch(cli, cmds, argc, argv, backend_help);
}
