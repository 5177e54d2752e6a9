/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * keepalived.conf(5)'s lexical layer: files, includes, comments, @id lines,
 * $NAME definitions, ~SEQ, quoting. Its output is a flat list of
 * statements that the keyword parser (conf_parse.c) walks. Private to the
 * config parser.
 */
#ifndef LBXDP_CONF_LEX_H
#define LBXDP_CONF_LEX_H

#include "conf.h"

/*
 * One statement: the words of a line up to an unquoted '{' (then @open),
 * or a lone '}' (@close, no words). "a b {" on one line and "a b" then
 * "{" are both read: the parser joins a statement with a following lone
 * "{" (@n == 0, @open).
 */
struct conf_stmt {
	char **w;
	int n;
	bool open;
	bool close;
	struct conf_loc at;
};

struct conf_stmts {
	struct conf_stmt *v;
	int n, cap;
};

/*
 * Read @path and what it includes into @out. File names go to @cf->files
 * (locations point there). Problems are reported to @d. Returns 0, -errno
 * when @path itself cannot be read (reported), or -ENOMEM.
 */
int conf_lex(const char *path, const struct conf_opts *o, struct conf *cf,
	     struct conf_stmts *out, struct conf_diag *d);
void conf_stmts_free(struct conf_stmts *s);

/* Limits when conf_opts leaves them 0. */
#define CONF_MAX_DEPTH 16	  /* nested $NAME expansions */
#define CONF_MAX_LINE 65536	  /* bytes of one line after expansion */
#define CONF_MAX_INCLUDE 8	  /* nested includes */
#define CONF_MAX_TOTAL (16 << 20) /* bytes of every statement together */

#endif /* LBXDP_CONF_LEX_H */
