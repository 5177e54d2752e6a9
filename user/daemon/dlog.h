/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The daemon's log: a line a call, to stderr (journald) or syslog (-l). */
#ifndef LBXDP_DLOG_H
#define LBXDP_DLOG_H

struct daemon;

void d_log(struct daemon *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void d_err(struct daemon *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Where FILE-writing reporters (the config's FILE:LINE diagnostics) write:
 * stderr, or with -l a stream that sends each line to syslog. NULL: out of
 * memory (the caller falls back to stderr).
 */
#include <stdio.h>
FILE *d_syslog_stream(void);

#endif /* LBXDP_DLOG_H */
