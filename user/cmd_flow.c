// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * flow list [SERVICE [RIP]]: the flow table's entries by flow, as
 * "ipvsadm -Lnc" lists IPVS's connections. The table is buckets of ways
 * (docs/flow-table.md), which bpftool shows by bucket, not by flow.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include "cli.h"
#include "log.h"
#include "parse.h"
#include "service.h"

#define MSEC 1000000ULL

static const char flow_usage[] =
	"Usage: lbxdp flow list [SERVICE [RIP]]\n"
	"  The flows that have an entry in the flow table, not idle past their\n"
	"  timeout: service, client, the VIP port it sent to, server, seconds\n"
	"  idle and seconds until the entry expires. Those of SERVICE, or of\n"
	"  its backend RIP (a draining one too). TCP flows of mh and sh VIPs\n"
	"  that their Maglev table places need no entry and are not listed,\n"
	"  nor are flows the flood guard placed until their first packet after\n"
	"  the SYN. backend list's FLOWS counts the same entries.\n";

static int flow_help(struct cli *cli, int argc, char **argv)
{
	return help_out(cli, argc, argv, flow_usage);
}

struct list_out {
	struct cli *cli;
	unsigned long n;
};

static int flow_print(const struct lbxdp_flow_entry *e, void *arg)
{
	struct list_out *out = arg;
	char svc[LBXDP_SVC_STRLEN], cl[64], srv[64], client[80];
	__u64 left = e->timeout_ns - e->idle_ns;

	lbxdp_format_service(&e->svc, svc, sizeof(svc));
	lbxdp_format_addr(e->key.src, e->key.family, cl, sizeof(cl));
	lbxdp_format_addr(e->server, e->key.family, srv, sizeof(srv));
	if (out->cli->json) {
		struct json_object *o = json_object_new_object();
		int flags = out->cli->pretty ? JSON_C_TO_STRING_PRETTY
					     : JSON_C_TO_STRING_PLAIN;

#define J(k, x) json_object_object_add(o, k, x)
		J("service", json_object_new_string(svc));
		J("client", json_object_new_string(cl));
		J("client_port", json_object_new_int(ntohs(e->key.sport)));
		J("port", json_object_new_int(ntohs(e->key.dport)));
		J("server", json_object_new_string(srv));
		J("backend_id", json_object_new_int64(e->backend));
		J("idle_ms", json_object_new_int64(e->idle_ns / MSEC));
		J("expires_ms", json_object_new_int64(left / MSEC));
#undef J
		/* Streamed: a table for millions of flows is not held. */
		printf("%s%s", out->n ? "," : "",
		       json_object_to_json_string_ext(
			       o, flags | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		snprintf(client, sizeof(client), "%s:%u", cl,
			 ntohs(e->key.sport));
		printf("%-26s %-21s %5u %-16s %6llu %7llu\n", svc, client,
		       ntohs(e->key.dport), srv,
		       (unsigned long long)(e->idle_ns / (1000 * MSEC)),
		       (unsigned long long)(left / (1000 * MSEC)));
	}
	out->n++;
	/* A closed pipe (SIGPIPE ignored) or a full disk: stop the walk. */
	return ferror(stdout) ? -EIO : 0;
}

static int flow_list(struct cli *cli, int argc, char **argv)
{
	struct list_out out = {.cli = cli};
	struct lbxdp_vip_key key = {};
	struct lbxdp_vip vip = {};
	char a[64], svc[LBXDP_SVC_STRLEN];
	__u32 backend = 0;
	struct lbxdp_ctx c;
	__be32 addr[4];
	int i, err;

	for (i = 0; i < argc; i++) {
		if (i > 1 || argv[i][0] == '-') {
			p_err("unexpected argument '%s' for flow list",
			      argv[i]);
			return EXIT_USAGE;
		}
	}
	if (argc > 0 && arg_service(argv[0], &key))
		return EXIT_USAGE;
	if (argc > 1 && arg_addr(argv[1], addr))
		return EXIT_USAGE;
	err = lbxdp_open_wait(&c, cli->pin_dir, false, cli->lock_wait_ms);
	if (err)
		return EXIT_FAIL;
	if (argc > 0)
		err = lbxdp_vip_get(&c, &key, &vip);
	if (!err && argc > 1) {
		err = lbxdp_backend_find(&c, &key, addr, &backend);
		if (err == -ENOENT)
			p_err("no backend %s in service %s",
			      lbxdp_format_addr(addr, key.family, a, sizeof(a)),
			      lbxdp_format_service(&key, svc, sizeof(svc)));
	}
	if (err)
		goto cleanup;

	if (cli->json)
		printf("[");
	else
		printf("%-26s %-21s %5s %-16s %6s %7s\n", "SERVICE", "CLIENT",
		       "PORT", "SERVER", "IDLE", "EXPIRES");
	err = lbxdp_flow_list(&c, argc > 0 ? (int)vip.id : -1, backend,
			      flow_print, &out);
	/* A walk cut short leaves the array open: no reader takes it for
	 * the whole table. */
	if (cli->json && !err)
		printf("]\n");
cleanup:
	lbxdp_close(&c);
	return exit_code(err);
}

int do_flow(struct cli *cli, int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{"list", flow_list},
		{NULL, NULL},
	};
	static char *asked[] = {"help"};

	if (has_help_flag(argc, argv))
		return flow_help(cli, 1, asked);
	return cmd_dispatch(cli, cmds, argc, argv, flow_help);
}
