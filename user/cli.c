// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "log.h"
#include "parse.h"
#include "service.h"

bool is_prefix(const char *word, const char *full)
{
	return *word && !strncmp(word, full, strlen(word));
}

bool help_asked(int argc, char **argv)
{
	return argc > 0 &&
	       (!strcmp(argv[0], "help") || !strcmp(argv[0], "-h") ||
		!strcmp(argv[0], "--help"));
}

bool has_help_flag(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	return false;
}

int help_print(struct cli *cli, const char *fmt, ...)
{
	struct json_object *o;
	va_list ap;
	char *buf;
	int n;

	if (!cli->json) {
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		return EXIT_OK;
	}
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	buf = n >= 0 ? malloc(n + 1) : NULL;
	if (!buf)
		return EXIT_FAIL;
	va_start(ap, fmt);
	vsnprintf(buf, n + 1, fmt, ap);
	va_end(ap);
	o = json_object_new_object();
	json_object_object_add(o, "usage", json_object_new_string(buf));
	json_print(cli, o);
	free(buf);
	return EXIT_OK;
}

int help_out(struct cli *cli, int argc, char **argv, const char *text)
{
	if (help_asked(argc, argv))
		return help_print(cli, "%s", text);
	fputs(text, stderr);
	return EXIT_USAGE;
}

int cmd_dispatch(struct cli *cli, const struct cmd *cmds, int argc, char **argv,
		 int (*help)(struct cli *cli, int argc, char **argv))
{
	const struct cmd *found = NULL, *c;

	if (argc < 1 || help_asked(argc, argv))
		return help(cli, argc, argv);
	for (c = cmds; c->name; c++) {
		if (!strcmp(argv[0], c->name)) {
			found = c;
			break;
		}
		if (is_prefix(argv[0], c->name)) {
			if (found) {
				p_err("'%s' is ambiguous: %s or %s?", argv[0],
				      found->name, c->name);
				return EXIT_USAGE;
			}
			found = c;
		}
	}
	if (!found) {
		p_err("unknown command '%s'", argv[0]);
		help(cli, 0, NULL);
		return EXIT_USAGE;
	}
	return found->fn(cli, argc - 1, argv + 1);
}

void json_print(struct cli *cli, struct json_object *obj)
{
	int flags =
		cli->pretty ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN;

	puts(json_object_to_json_string_ext(
		obj, flags | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
}

int arg_service(const char *s, struct lbxdp_vip_key *key)
{
	char err[128];

	if (!s) {
		p_err("missing service VIP:PORT[/tcp|/udp]");
		return -EINVAL;
	}
	if (lbxdp_parse_service(s, key, err, sizeof(err))) {
		p_err("bad service '%s': %s", s, err);
		return -EINVAL;
	}
	return 0;
}

int arg_addr(const char *s, __be32 addr[4])
{
	__u8 family;

	if (!s) {
		p_err("missing backend address");
		return -EINVAL;
	}
	if (lbxdp_parse_addr(s, addr, &family)) {
		p_err("bad address '%s': not an IPv4 address", s);
		return -EINVAL;
	}
	return 0;
}

int arg_u32(const char *what, const char *s, __u32 min, __u32 max, __u32 *out)
{
	if (!s) {
		p_err("%s needs a value", what);
		return -EINVAL;
	}
	if (lbxdp_parse_u32(s, min, max, out)) {
		p_err("bad %s '%s': expected an integer %u-%u", what, s, min,
		      max);
		return -EINVAL;
	}
	return 0;
}

int config_cmd(struct cli *cli, bool set,
	       int (*show)(struct cli *cli, const struct lbxdp_config *cfg),
	       void (*edit)(struct lbxdp_config *cfg, const void *arg),
	       int (*write)(struct lbxdp_ctx *c,
			    const struct lbxdp_config *cfg),
	       const void *arg)
{
	struct lbxdp_config cfg;
	struct lbxdp_ctx c;
	int err;

	err = lbxdp_open_wait(&c, cli->pin_dir, set, cli->lock_wait_ms);
	if (err)
		return EXIT_FAIL;
	cfg = c.cfg;
	if (!set) {
		lbxdp_close(&c);
		return show(cli, &cfg);
	}
	if (lbxdp_repair(&c, true) > 0)
		p_warn("repaired what a writer killed mid-change left");
	/* The repair may have moved config.gen: edit what is there now. */
	cfg = c.cfg;
	edit(&cfg, arg);
	err = write(&c, &cfg);
	if (err)
		p_err("cannot write map config: %s", strerror(-err));
	lbxdp_close(&c);
	/* -j: what was written, as show prints it. */
	if (!err && cli->json)
		return show(cli, &cfg);
	return exit_code(err);
}

int open_writer(struct cli *cli, struct lbxdp_ctx *c)
{
	int err = lbxdp_open_wait(c, cli->pin_dir, true, cli->lock_wait_ms);

	if (err)
		return err;
	/* Best effort: the command itself may be what repairs. */
	if (lbxdp_repair(c, true) > 0)
		p_warn("repaired what a writer killed mid-change left");
	return 0;
}
