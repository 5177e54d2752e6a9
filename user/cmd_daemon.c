// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* lbxdp daemon [-f FILE] [-t] | status | reload | stop */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "daemon/daemon.h"
#include "log.h"

#define LBXDP_DEFAULT_CONF "/etc/lbxdp/lbxdp.conf"

static const char daemon_usage[] =
	"Usage: lbxdp daemon [-f FILE] [-t] [-i ID] [-l] [-n]\n"
	"       lbxdp daemon status | reload | stop\n"
	"  Runs in the foreground: reads FILE (keepalived.conf syntax, default\n"
	"  " LBXDP_DEFAULT_CONF
	"), attaches to the interface its real servers\n"
	"  are on-link through (or adopts what is pinned), health-checks the\n"
	"  real servers and keeps the maps in step. SIGHUP or 'reload' re-reads\n"
	"  FILE and applies the difference; SIGTERM or 'stop' exits and leaves\n"
	"  the maps forwarding. A systemd Type=notify service. With an\n"
	"  lbxdp_stats block it serves HAProxy's stats page and Prometheus's\n"
	"  /metrics (see lbxdp(8)).\n"
	"  -f, --use-file FILE    the configuration\n"
	"  -t, --config-test      check FILE and exit: 0 warnings only, 1 errors,\n"
	"                         2 unreadable; checks of the machine (interfaces,\n"
	"                         on-link servers, scripts, users) are warnings\n"
	"  -i, --config-id ID     for @ID lines (default: the host name)\n"
	"  -l, --log-syslog       log to syslog instead of stderr\n"
	"  -n, --dont-fork        accepted for keepalived's sake: never forks\n";

static int daemon_help(struct cli *cli, int argc, char **argv)
{
	return help_out(cli, argc, argv, daemon_usage);
}

/* -t: the file alone, what depends on the machine as warnings. */
static int config_test(const char *path, const struct conf_opts *o)
{
	struct conf_diag diag = {.out = stderr};
	struct conf *cf = NULL;
	int err, ifindex;

	err = conf_load(path, o, &cf, &diag);
	if (err)
		return err == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
	conf_check_host(cf, false, &diag);
	daemon_check_machine(cf, false, &diag, &ifindex);
	conf_free(cf);
	fprintf(stderr, "%s: %u error%s, %u warning%s\n", path, diag.errors,
		diag.errors == 1 ? "" : "s", diag.warnings,
		diag.warnings == 1 ? "" : "s");
	return diag.errors ? EXIT_USAGE : EXIT_OK;
}

int do_daemon(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"use-file", required_argument, NULL, 'f'},
		{"config-test", no_argument, NULL, 't'},
		{"config-id", required_argument, NULL, 'i'},
		{"log-syslog", no_argument, NULL, 'l'},
		{"dont-fork", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	struct daemon d = {.prog = cli->prog,
			   .pin_dir = cli->pin_dir,
			   .conf_path = LBXDP_DEFAULT_CONF};
	bool test = false;
	int c;

	if (argc >= 1 && argv[0][0] != '-') {
		const char *cmd = argv[0];

		if (help_asked(argc, argv))
			return daemon_help(cli, argc, argv);
		if (argc > 1) {
			p_err("unexpected argument '%s' for daemon %s", argv[1],
			      cmd);
			return EXIT_USAGE;
		}
		if (is_prefix(cmd, "status"))
			return ctl_request(cli->pin_dir, "status", cli->json);
		if (is_prefix(cmd, "reload"))
			return ctl_request(cli->pin_dir, "reload", false);
		if (is_prefix(cmd, "stop"))
			return ctl_request(cli->pin_dir, "stop", false);
		p_err("unknown daemon command '%s'", cmd);
		return daemon_help(cli, 0, NULL);
	}
	/* getopt wants the command name in argv[0]. */
	argv--;
	argc++;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "f:ti:lnh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			d.conf_path = optarg;
			break;
		case 't':
			test = true;
			break;
		case 'i':
			d.copts.config_id = optarg;
			break;
		case 'l':
			d.use_syslog = true;
			break;
		case 'n':
			break;
		case 'h':
			return help_print(cli, "%s", daemon_usage);
		default:
			p_err("bad daemon option '%s'", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		p_err("unexpected argument '%s' for daemon", argv[optind]);
		return EXIT_USAGE;
	}
	if (test)
		return config_test(d.conf_path, &d.copts);
	return daemon_run(&d);
}
