/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Loading, pinning and attaching the XDP program; detaching; status. */
#ifndef LBXDP_ATTACH_H
#define LBXDP_ATTACH_H

#include <stdbool.h>
#include "lbxdp/abi.h"

enum lbxdp_mode {
	LBXDP_MODE_NATIVE,
	LBXDP_MODE_GENERIC,
};

struct lbxdp_attach_opts {
	const char *pin_dir;
	const char *ifname;
	enum lbxdp_mode mode;
	bool mode_set; /* --mode given: must match an existing attachment */
	bool force;
	int lock_wait_ms; /* for another writer's lock; 0: one try */
	/* Capacities; 0: the pinned maps' (or the default for new maps). */
	__u32 max_vips;
	__u32 max_backends;
	__u32 flows;
	__u32 ring_size;
	bool fail_refresh; /* tests: every entry refresh fails (lbxdp.bpf.c) */
};

/* -EDOM: capacities that cannot work together (a bad value, printed). */
int lbxdp_attach(const struct lbxdp_attach_opts *o);
/* @ifname may be NULL; if given it must be the attached interface.
 * lbxdp_detach waits LBXDP_LOCK_WAIT_MS for another writer's lock. */
int lbxdp_detach(const char *pin_dir, const char *ifname, bool purge);
int lbxdp_detach_wait(const char *pin_dir, const char *ifname, bool purge,
		      int lock_wait_ms);

struct lbxdp_link_info {
	bool attached;
	__u32 ifindex;
	__u32 prog_id;
	enum lbxdp_mode mode;
	char tag[17];
	char prog_name[16];
};

/* The pinned link's interface, mode and program. */
int lbxdp_link_query(const char *pin_dir, struct lbxdp_link_info *li);

/* The program fd behind the pinned link (for tests and benchmarks);
 * -ENOENT: no link pinned, or no program on it. */
int lbxdp_link_prog_fd(const char *pin_dir);

/* Whether the program on @pin_dir's link reads the map pinned as
 * @pin_dir/@map (*yes false if there is no such pin). 0, -ENOENT (no
 * program to ask), -EPERM (asking a program by id wants CAP_SYS_ADMIN),
 * or -errno. */
int lbxdp_link_prog_reads(const char *pin_dir, const char *map, bool *yes);

#endif /* LBXDP_ATTACH_H */
