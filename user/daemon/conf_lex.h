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
 * when @path itself cannot be read (reported), -E2BIG when a bound of
 * CONF_MAX_* cut the file short (reported: do not parse what is left), or
 * -ENOMEM.
 */
int conf_lex(const char *path, const struct conf_opts *o, struct conf *cf,
	     struct conf_stmts *out, struct conf_diag *d);
void conf_stmts_free(struct conf_stmts *s);

/* Limits when conf_opts leaves them 0. */
#define CONF_MAX_DEPTH 16   /* nested $NAME expansions */
#define CONF_MAX_LINE 65536 /* bytes of one line after expansion */
#define CONF_MAX_INCLUDE 8  /* nested includes */
/* Fixed bounds (the fuzzer builds with smaller ones, to stay fast): bytes
 * of every statement together (words, plus 32 a statement for its
 * overhead), and lines read, expanded or repeated (bounds a ~SEQ loop
 * with no output). A configuration of a thousand real servers is about
 * 100 KiB and 10,000 lines. */
#ifndef CONF_MAX_TOTAL
#define CONF_MAX_TOTAL (4 << 20)
#endif
#ifndef CONF_MAX_WORK
#define CONF_MAX_WORK 1000000
#endif
/* Bytes that all $NAME expansions write together, and errors from the
 * reading of the files (a ~SEQ repeats a bad line): bounds on the time a
 * hostile file takes. */
#ifndef CONF_MAX_EXPAND
#define CONF_MAX_EXPAND (64 << 20)
#endif
#define CONF_MAX_ERRORS 1000
/* Variables of one ~LST: each repetition sets them all. */
#define CONF_MAX_LST_VARS 32
/* Names that $NAME=value may define (each use looks them up in turn). */
#define CONF_MAX_DEFS 10000

#endif /* LBXDP_CONF_LEX_H */
