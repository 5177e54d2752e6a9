/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Messages to stderr, bpftool-style: "Error: ..." names what is wrong. */
#ifndef LBXDP_LOG_H
#define LBXDP_LOG_H

void p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Progress notes ("replaced program on eth0"): stderr, so -j stays clean. */
void p_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* LBXDP_LOG_H */
