/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Messages to stderr, bpftool-style: "Error: ..." names what is wrong; or
 * to syslog once the daemon's -l said so.
 */
#ifndef LBXDP_LOG_H
#define LBXDP_LOG_H

#include <stdarg.h>
#include <stdbool.h>

void p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Progress notes ("replaced program on eth0"): stderr, so -j stays clean. */
void p_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * From now on, these lines go to syslog (openlog() first). Process-wide,
 * as libbpf_set_print() is libbpf's: set once at start.
 */
void lbxdp_log_syslog(void);
/* A line of another library's (libbpf's print callback), as they go. */
void p_vlog(bool warn, const char *fmt, va_list ap);

#endif /* LBXDP_LOG_H */
