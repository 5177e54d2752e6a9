/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Messages to stderr, bpftool-style: "Error: ..." names what is wrong; or
 * to syslog once the daemon's -l said so.
 */
#ifndef LBXDP_LOG_H
#define LBXDP_LOG_H

void p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Progress notes ("replaced program on eth0"): stderr, so -j stays clean. */
void p_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * From now on, these lines and libbpf's go to syslog (openlog() first).
 * Process-wide, as libbpf_set_print() is libbpf's: set once at start.
 */
void lbxdp_log_syslog(void);

#endif /* LBXDP_LOG_H */
