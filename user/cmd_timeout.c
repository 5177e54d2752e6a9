// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* timeout [show] | timeout set [tcp S] [udp S] [active S], as ipvsadm --set. */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "log.h"
#include "jet.h"
#include "maps.h"

static int timeout_show(struct cli *cli, const struct lbxdp_config *cfg)
{
	if (cli->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "tcp",
				       json_object_new_int64(cfg->tcp_timeout));
		json_object_object_add(o, "udp",
				       json_object_new_int64(cfg->udp_timeout));
		json_object_object_add(
			o, "active", json_object_new_int64(cfg->active_window));
		json_print(cli, o);
	} else {
		printf("tcp %u udp %u active %u (seconds)\n", cfg->tcp_timeout,
		       cfg->udp_timeout, cfg->active_window);
	}
	return EXIT_OK;
}

/* @arg: tcp, udp and active seconds; 0 leaves one unchanged. */
static void timeout_edit(struct lbxdp_config *cfg, const void *arg)
{
	const __u32 *val = arg;

	if (val[0])
		cfg->tcp_timeout = val[0];
	if (val[1])
		cfg->udp_timeout = val[1];
	if (val[2])
		cfg->active_window = val[2];
}

int do_timeout(struct cli *cli, int argc, char **argv)
{
	__u32 val[3] = {}; /* tcp, udp, active; 0: unchanged */
	bool set;
	int i;

	if (has_help_flag(argc, argv))
		return help_print(
			cli,
			"Usage: lbxdp timeout [show]\n"
			"       lbxdp timeout set [tcp SECONDS] [udp SECONDS] [active SECONDS]\n"
			"  tcp/udp: a flow idle this long is forgotten (default %u/%u); a longer\n"
			"  tcp timeout brings back no mh or sh flow the old one forgot;\n"
			"  active: a flow seen within this window counts as active (default %u).\n",
			LBXDP_DEF_TCP_TIMEOUT, LBXDP_DEF_UDP_TIMEOUT,
			LBXDP_DEF_ACTIVE_WINDOW);
	/* "s" is a prefix of both: show is the harmless reading. */
	set = argc && strlen(argv[0]) > 1 && is_prefix(argv[0], "set");
	if (argc && !set && !is_prefix(argv[0], "show")) {
		p_err("unknown command 'timeout %s': show or set", argv[0]);
		return EXIT_USAGE;
	}
	if (!set && argc > 1) {
		p_err("unexpected argument '%s'", argv[1]);
		return EXIT_USAGE;
	}
	if (set && argc < 3) {
		p_err("usage: lbxdp timeout set [tcp S] [udp S] [active S]");
		return EXIT_USAGE;
	}
	if (set && argc % 2 == 0) {
		p_err("'%s' needs a value in seconds", argv[argc - 1]);
		return EXIT_USAGE;
	}
	/* Every argument is checked before any map is touched. */
	for (i = 1; set && i + 1 < argc; i += 2) {
		int k = !strcmp(argv[i], "tcp")	     ? 0
			: !strcmp(argv[i], "udp")    ? 1
			: !strcmp(argv[i], "active") ? 2
						     : -1;

		if (k < 0) {
			p_err("unknown timeout '%s': tcp, udp or active",
			      argv[i]);
			return EXIT_USAGE;
		}
		if (arg_u32(argv[i], argv[i + 1], 1, 31536000, &val[k]))
			return EXIT_USAGE;
	}
	return config_cmd(cli, set, timeout_show, timeout_edit,
			  lbxdp_timeout_write, val);
}
