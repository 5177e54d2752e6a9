// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* vip add | del | list */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "log.h"
#include "maps.h"
#include "parse.h"
#include "runpath.h"
#include "service.h"

static const char vip_usage[] =
	"Usage: lbxdp vip add SERVICE [--sched wrr|rr|mh|sh] [--persist SECONDS]\n"
	"       lbxdp vip del SERVICE\n"
	"       lbxdp vip list\n"
	"  SERVICE is VIP:PORT[/tcp|/udp]; port 0 means every port.\n"
	"  wrr (default) interleaved weighted round robin; rr ignores weights;\n"
	"  mh weighted Maglev on the 5-tuple; sh Maglev on the source address.\n"
	"  --persist: a client's new flows go to its previous server for SECONDS.\n"
	"  vip add does not put the VIP on an interface. The VIP must be a host\n"
	"  address: not 0.0.0.0, 255.255.255.255, multicast or loopback.\n"
	"  A service of lbxdp daemon's configuration (OWNER daemon) cannot be\n"
	"  deleted while the daemon runs: remove it from its configuration.\n";

static int vip_help(struct cli *cli, int argc, char **argv)
{
	return help_out(cli, argc, argv, vip_usage);
}

/* A service as vip list -j shows it. */
static struct json_object *vip_json(const struct lbxdp_vip_entry *e)
{
	struct json_object *o = json_object_new_object();
	char svc[LBXDP_SVC_STRLEN];

	lbxdp_format_service(&e->key, svc, sizeof(svc));
#define J(k, x) json_object_object_add(o, k, x)
	J("service", json_object_new_string(svc));
	J("id", json_object_new_int64(e->vip.id));
	J("sched", json_object_new_string(lbxdp_sched_name(e->vip.sched)));
	J("persist", json_object_new_int64(e->vip.persist_sec));
	J("backends", json_object_new_int64(e->nbackends));
	J("packets", json_object_new_int64(e->ctr.packets));
	J("bytes", json_object_new_int64(e->ctr.bytes));
	J("new_flows", json_object_new_int64(e->ctr.new_flows));
	J("owner", json_object_new_string(
			   e->owner == LBXDP_OWNER_DAEMON ? "daemon" : "cli"));
#undef J
	return o;
}

/* -j result of vip add: the service written, as vip list -j shows it
 * (null if it cannot be read back: the add itself succeeded). */
static void vip_print(struct cli *cli, struct lbxdp_ctx *c,
		      const struct lbxdp_vip_key *key)
{
	struct lbxdp_vip_entry *v = NULL;
	struct json_object *o = NULL;
	size_t n = 0, i;
	int err;

	err = lbxdp_vip_list(c, &v, &n);
	if (err)
		p_warn("added, but cannot read the services back: %s",
		       strerror(-err));
	for (i = 0; i < n && !o; i++)
		if (!memcmp(&v[i].key, key, sizeof(*key)))
			o = vip_json(&v[i]);
	free(v);
	json_print(cli, o);
}

static int vip_add(struct cli *cli, int argc, char **argv)
{
	struct lbxdp_vip_key key = {};
	__u32 persist = 0;
	int sched = LBXDP_SCHED_WRR, i, err;
	char why[128];
	struct lbxdp_ctx c;

	if (argc < 1 || argv[0][0] == '-') {
		p_err("vip add needs a service: lbxdp vip add VIP:PORT[/PROTO]");
		return EXIT_USAGE;
	}
	if (arg_service(argv[0], &key))
		return EXIT_USAGE;
	if (lbxdp_check_vip_addr(&key, why, sizeof(why))) {
		p_err("bad service '%s': its address is %s", argv[0], why);
		return EXIT_USAGE;
	}
	for (i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "--sched")) {
			sched = v ? lbxdp_parse_sched(v) : -EINVAL;
			if (sched == -EOPNOTSUPP) {
				p_err("--sched '%s' is not supported yet: wrr, rr, mh or sh",
				      v);
				return EXIT_USAGE;
			} else if (sched < 0) {
				p_err("bad --sched '%s': wrr, rr, mh or sh",
				      v ? v : "");
				return EXIT_USAGE;
			}
			i++;
		} else if (!strcmp(argv[i], "--persist")) {
			if (arg_u32("--persist", v, 0, 31536000, &persist))
				return EXIT_USAGE;
			i++;
		} else {
			p_err("unexpected argument '%s' for vip add", argv[i]);
			return EXIT_USAGE;
		}
	}
	err = open_writer(cli, &c);
	if (err)
		return EXIT_FAIL;
	err = lbxdp_vip_add(&c, &key, sched, persist, LBXDP_OWNER_CLI);
	if (!err && cli->json)
		vip_print(cli, &c, &key);
	lbxdp_close(&c);
	return exit_code(err);
}

/* 0 and the daemon's pid in @pid (0 if it does not run) when @key is a
 * service the daemon owns; -ENOENT otherwise (lbxdp_vip_del() says so). */
static int daemon_vip(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		      pid_t *pid)
{
	struct lbxdp_vip_entry *v = NULL;
	size_t n = 0, i;
	int err = -ENOENT;

	*pid = 0;
	if (lbxdp_vip_list(c, &v, &n))
		return err;
	for (i = 0; i < n && err; i++)
		if (!memcmp(&v[i].key, key, sizeof(*key)) &&
		    v[i].owner == LBXDP_OWNER_DAEMON)
			err = 0;
	free(v);
	if (!err)
		*pid = lbxdp_daemon_pid(c->pin_dir);
	return err;
}

static int vip_del(struct cli *cli, int argc, char **argv)
{
	struct lbxdp_vip_key key = {};
	struct lbxdp_ctx c;
	pid_t pid;
	int err;

	if (argc != 1) {
		p_err("usage: lbxdp vip del VIP:PORT[/PROTO]");
		return EXIT_USAGE;
	}
	if (arg_service(argv[0], &key))
		return EXIT_USAGE;
	err = open_writer(cli, &c);
	if (err)
		return EXIT_FAIL;
	/* The daemon's configuration would bring it back. */
	if (!daemon_vip(&c, &key, &pid) && pid) {
		p_err("service %s is owned by lbxdp daemon (pid %d): remove it from its configuration and reload",
		      argv[0], (int)pid);
		err = -EBUSY;
	} else {
		err = lbxdp_vip_del(&c, &key);
	}
	lbxdp_close(&c);
	if (!err && cli->json)
		json_print(cli, NULL); /* nothing left to show */
	return exit_code(err);
}

static int vip_list(struct cli *cli, int argc, char **argv)
{
	struct lbxdp_vip_entry *v = NULL;
	char svc[LBXDP_SVC_STRLEN];
	struct json_object *arr = NULL;
	struct lbxdp_ctx c;
	size_t n = 0, i;
	int err;

	if (argc) {
		p_err("unexpected argument '%s' for vip list", argv[0]);
		return EXIT_USAGE;
	}
	err = lbxdp_open(&c, cli->pin_dir, false);
	if (err)
		return EXIT_FAIL;
	err = lbxdp_vip_list(&c, &v, &n);
	if (err)
		goto cleanup;
	if (cli->json)
		arr = json_object_new_array();
	else
		printf("%-26s %-5s %-7s %-8s %12s %14s %10s %s\n", "SERVICE",
		       "SCHED", "PERSIST", "BACKENDS", "PACKETS", "BYTES",
		       "NEWFLOWS", "OWNER");
	for (i = 0; i < n; i++) {
		lbxdp_format_service(&v[i].key, svc, sizeof(svc));
		if (arr) {
			json_object_array_add(arr, vip_json(&v[i]));
		} else {
			printf("%-26s %-5s %-7u %-8u %12llu %14llu %10llu %s\n",
			       svc, lbxdp_sched_name(v[i].vip.sched),
			       v[i].vip.persist_sec, v[i].nbackends,
			       (unsigned long long)v[i].ctr.packets,
			       (unsigned long long)v[i].ctr.bytes,
			       (unsigned long long)v[i].ctr.new_flows,
			       v[i].owner == LBXDP_OWNER_DAEMON ? "daemon"
								: "cli");
		}
	}
	if (arr)
		json_print(cli, arr);
cleanup:
	free(v);
	lbxdp_close(&c);
	return exit_code(err);
}

int do_vip(struct cli *cli, int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{"add", vip_add},
		{"del", vip_del},
		{"list", vip_list},
		{NULL, NULL},
	};
	static char *asked[] = {"help"};

	if (has_help_flag(argc, argv))
		return vip_help(cli, 1, asked);
	return cmd_dispatch(cli, cmds, argc, argv, vip_help);
}
