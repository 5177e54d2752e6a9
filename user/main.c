// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * lbxdp: bpftool-style "lbxdp [OPTIONS] OBJECT COMMAND [ARGS]". Global
 * options are accepted anywhere on the line, as bpftool's -j is.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "log.h"
#include "maps.h"
#include "pindir.h"

#ifndef LBXDP_VERSION
#define LBXDP_VERSION "dev"
#endif

static const char usage[] =
	"Usage: lbxdp [OPTIONS] OBJECT COMMAND [ARGS]\n"
	"\n"
	"  attach IFACE [--mode native|generic] [--force]\n"
	"         [--max-vips N] [--max-backends N] [--flows N] [--ring-size PRIME]\n"
	"  detach [IFACE] [--purge]\n"
	"  status\n"
	"  vip add SERVICE [--sched wrr|rr|mh|sh] [--persist SECONDS]\n"
	"  vip del SERVICE\n"
	"  vip list\n"
	"  backend add SERVICE RIP [--weight N] [--mac MAC]\n"
	"  backend set SERVICE RIP [--weight N] [--up|--down] [--mac MAC]\n"
	"  backend set SERVICE RIP --auto   (the daemon's checks decide again)\n"
	"  backend del SERVICE RIP          (drains: open flows continue)\n"
	"  backend list [SERVICE]\n"
	"  stats [-w SECONDS [-c COUNT]]\n"
	"  timeout [show]\n"
	"  timeout set [tcp SECONDS] [udp SECONDS] [active SECONDS]\n"
	"  flood [show]\n"
	"  flood set RATE|off            (flood guard: new flows/s per CPU)\n"
	"  flow list [SERVICE [RIP]]     (the flow table's entries)\n"
	"  daemon [-f FILE] [-t] [-i ID] [-l] [-n]   checks and VRRP, keepalived.conf\n"
	"  daemon status | reload | stop\n"
	"  version\n"
	"\n"
	"  SERVICE is VIP:PORT[/tcp|/udp] (tcp if omitted; port 0: all ports)\n"
	"\n"
	"OPTIONS (anywhere on the line):\n"
	"  -j, --json        JSON on stdout (stats -w: a document a line)\n"
	"  -p, --pretty      pretty JSON\n"
	"  --pin-dir DIR     bpffs directory (default $LBXDP_PIN_DIR, else " LBXDP_DEFAULT_PIN_DIR
	")\n"
	"                    owned by root or you, as each directory above it\n"
	"                    up to the bpffs mount; none writable by group or\n"
	"                    others unless sticky\n"
	"  --wait SECONDS    wait at most SECONDS for another writer's lock\n"
	"                    (default $LBXDP_LOCK_WAIT, else 10; 0: no wait)\n"
	"  -h, --help        help (also after any OBJECT)\n"
	"  -V, --version     version\n"
	"\n"
	"Exit status: 0 ok, 1 usage error or bad value, 2 state or runtime error.\n";

static int do_help(struct cli *cli, int argc, char **argv)
{
	return help_out(cli, argc, argv, usage);
}

static int do_version(struct cli *cli, int argc, char **argv)
{
	if (cli->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "version",
				       json_object_new_string(LBXDP_VERSION));
		json_object_object_add(o, "abi",
				       json_object_new_int(LBXDP_ABI_VERSION));
		json_print(cli, o);
	} else {
		printf("lbxdp %s (map ABI %d)\n", LBXDP_VERSION,
		       LBXDP_ABI_VERSION);
	}
	return EXIT_OK;
}

static const struct cmd cmds[] = {
	{"attach", do_attach},
	{"detach", do_detach},
	{"status", do_status},
	{"vip", do_vip},
	{"backend", do_backend},
	{"stats", do_stats},
	{"timeout", do_timeout},
	{"flood", do_flood},
	{"flow", do_flow},
	{"daemon", do_daemon},
	{"version", do_version},
	{"help", do_help},
	{NULL, NULL},
};

/* Output cut short (a full disk, a closed pipe with SIGPIPE ignored) is a
 * failure, as coreutils' close_stdout() makes it. */
static int stdout_check(int rc)
{
	if (!fflush(stdout) && !ferror(stdout))
		return rc;
	p_err("cannot write the output: %s", strerror(errno));
	return rc ? rc : EXIT_FAIL;
}

int main(int argc, char **argv)
{
	struct cli cli = {.prog = "lbxdp"};
	char pin_dir[PATH_MAX];
	const char *wait = NULL;
	int i, n = 0;

	/* Take the global options out, wherever they stand. */
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			cli.json = true;
		} else if (!strcmp(a, "-p") || !strcmp(a, "--pretty")) {
			cli.json = cli.pretty = true;
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			return do_version(&cli, 0, NULL);
		} else if (!strcmp(a, "--pin-dir")) {
			if (++i == argc) {
				p_err("--pin-dir needs a directory");
				return EXIT_USAGE;
			}
			cli.pin_dir = argv[i];
		} else if (!strncmp(a, "--pin-dir=", 10)) {
			cli.pin_dir = a + 10;
		} else if (!strcmp(a, "--wait")) {
			/* Not -w: that is stats' interval. */
			if (++i == argc) {
				p_err("--wait needs a number of seconds");
				return EXIT_USAGE;
			}
			wait = argv[i];
		} else if (!strncmp(a, "--wait=", 7)) {
			wait = a + 7;
		} else {
			argv[1 + n++] = argv[i];
		}
	}
	if (lbxdp_pin_dir_name(lbxdp_pin_dir(cli.pin_dir), pin_dir,
			       sizeof(pin_dir)))
		return EXIT_USAGE;
	cli.pin_dir = pin_dir;
	if (lbxdp_lock_wait(wait, &cli.lock_wait_ms))
		return EXIT_USAGE;
	return stdout_check(cmd_dispatch(&cli, cmds, n, argv + 1, do_help));
}
