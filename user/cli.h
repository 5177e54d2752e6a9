/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Command tables and argument helpers, after bpftool's main.h. */
#ifndef LBXDP_CLI_H
#define LBXDP_CLI_H

#include <stdbool.h>
#include <json-c/json.h>
#include "lbxdp/abi.h"

/* Exit codes (DESIGN.md §4). */
#define EXIT_OK 0
#define EXIT_USAGE 1
#define EXIT_FAIL 2

struct cli {
	bool json;
	bool pretty;
	const char *pin_dir;
	int lock_wait_ms; /* --wait, else $LBXDP_LOCK_WAIT, else 10 s */
	const char *prog; /* argv[0] for messages */
};

struct cmd {
	const char *name;
	int (*fn)(struct cli *cli, int argc, char **argv);
};

/*
 * Run the command of @cmds that argv[0] names (a unique prefix will do),
 * or @help when there is none or it is "help". Returns an exit code.
 */
int cmd_dispatch(struct cli *cli, const struct cmd *cmds, int argc, char **argv,
		 int (*help)(struct cli *cli, int argc, char **argv));
bool is_prefix(const char *word, const char *full);
/* argv[0] asks for help: help goes to stdout and exits 0; any other help
 * (no or a bad command) is a usage error on stderr. */
bool help_asked(int argc, char **argv);
/* -h or --help anywhere in argv. */
bool has_help_flag(int argc, char **argv);
/* Help that was asked for, on stdout: the text, or {"usage": text} with
 * -j (stdout is JSON under -j, always). Returns EXIT_OK. */
int help_print(struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* @text as help_print() if asked, else on stderr; returns the exit code. */
int help_out(struct cli *cli, int argc, char **argv, const char *text);

/* -errno from the library -> exit code: the reason was printed already. */
static inline int exit_code(int err)
{
	return err ? EXIT_FAIL : EXIT_OK;
}

/* Print @obj (and free it) as the -j output. */
void json_print(struct cli *cli, struct json_object *obj);

struct lbxdp_ctx;
/*
 * Open the pin directory as a writer: the lock, the maps, and a repair of
 * what a writer killed mid-change left. -errno, printed.
 */
int open_writer(struct cli *cli, struct lbxdp_ctx *c);

/*
 * `OBJECT [show]` and `OBJECT set ...` of a knob in the config map: shows
 * it with @show, or (@set) applies @edit(cfg, @arg) and writes it with
 * @write (lbxdp_config_write(), or one that prepares the maps first) under
 * the writer lock. Returns the exit code.
 */
int config_cmd(struct cli *cli, bool set,
	       int (*show)(struct cli *cli, const struct lbxdp_config *cfg),
	       void (*edit)(struct lbxdp_config *cfg, const void *arg),
	       int (*write)(struct lbxdp_ctx *c,
			    const struct lbxdp_config *cfg),
	       const void *arg);

/* Parse helpers that print "Error: ..." naming the bad argument. */
int arg_service(const char *s, struct lbxdp_vip_key *key);
int arg_addr(const char *s, __be32 addr[4]);
int arg_u32(const char *what, const char *s, __u32 min, __u32 max, __u32 *out);

int do_attach(struct cli *cli, int argc, char **argv);
int do_detach(struct cli *cli, int argc, char **argv);
int do_status(struct cli *cli, int argc, char **argv);
int do_vip(struct cli *cli, int argc, char **argv);
int do_backend(struct cli *cli, int argc, char **argv);
int do_stats(struct cli *cli, int argc, char **argv);
int do_timeout(struct cli *cli, int argc, char **argv);
int do_flood(struct cli *cli, int argc, char **argv);
int do_flow(struct cli *cli, int argc, char **argv);
int do_daemon(struct cli *cli, int argc, char **argv);

#endif /* LBXDP_CLI_H */
