// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* flood [show] | flood set RATE|off: the new-flow flood guard (config). */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "log.h"
#include "maps.h"

#define FLOOD_RATE_MAX 100000000U

static int flood_show(struct cli *cli, const struct lbxdp_config *cfg)
{
	if (cli->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "flood_rate",
				       json_object_new_int64(cfg->flood_rate));
		json_print(cli, o);
	} else if (cfg->flood_rate) {
		printf("flood guard: beyond %u new flows a second per CPU, new flows are placed by hash without a flow entry\n",
		       cfg->flood_rate);
	} else {
		printf("flood guard: off (every new flow gets a flow entry)\n");
	}
	return EXIT_OK;
}

static void flood_edit(struct lbxdp_config *cfg, const void *arg)
{
	cfg->flood_rate = *(const __u32 *)arg;
}

int do_flood(struct cli *cli, int argc, char **argv)
{
	__u32 rate = 0;
	bool set;

	if (has_help_flag(argc, argv))
		return help_print(
			cli,
			"Usage: lbxdp flood [show]\n"
			"       lbxdp flood set RATE|off\n"
			"  RATE: new flows a second per CPU (1-%u, default %u) beyond which,\n"
			"  and for 3 s after, new TCP flows and UDP flows of mh and sh VIPs\n"
			"  are placed by the VIP's Maglev table without a flow entry, so\n"
			"  that a SYN or UDP flood does not churn the flow table; a TCP flow\n"
			"  gets its entry with its first packet after the SYN. VIPs with\n"
			"  --persist are exempt. off: every new flow gets an entry.\n",
			FLOOD_RATE_MAX, LBXDP_DEF_FLOOD_RATE);
	/* "s" is a prefix of both: show is the harmless reading. */
	set = argc && strlen(argv[0]) > 1 && is_prefix(argv[0], "set");
	if (argc && !set && !is_prefix(argv[0], "show")) {
		p_err("unknown command 'flood %s': show or set", argv[0]);
		return EXIT_USAGE;
	}
	if ((!set && argc > 1) || (set && argc > 2)) {
		p_err("unexpected argument '%s'", argv[set ? 2 : 1]);
		return EXIT_USAGE;
	}
	if (set && argc < 2) {
		p_err("usage: lbxdp flood set RATE|off");
		return EXIT_USAGE;
	}
	if (set && strcmp(argv[1], "off") &&
	    arg_u32("RATE", argv[1], 1, FLOOD_RATE_MAX, &rate))
		return EXIT_USAGE;

	return config_cmd(cli, set, flood_show, flood_edit, lbxdp_config_write,
			  &rate);
}
