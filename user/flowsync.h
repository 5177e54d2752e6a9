/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Flow sync, the library's side: the data plane's feed of new flows (map
 * "sync_ring", switched by LBXDP_CFG_F_SYNC) on the master, and the
 * installer of a peer's entries into the flows and persist maps on the
 * backup. The wire format is the daemon's (daemon/fsync_pkt.h).
 */
#ifndef LBXDP_FLOWSYNC_H
#define LBXDP_FLOWSYNC_H

#include <stdbool.h>
#include <stddef.h>
#include "maps.h"

/* One entry of a peer, as flow sync carries it (daemon/fsync_pkt.h). */
struct lbxdp_sync_entry {
	struct lbxdp_vip_key vip; /* the service: its port may be 0 */
	__be32 client[4];
	__be16 sport;
	__be16 dport; /* the flow's: the VIP's, or any for a port-0 VIP */
	__be32 backend[4];
	__u8 kind; /* LBXDP_SYNC_FLOW and/or LBXDP_SYNC_PERSIST */
	__u8 pad[3];
	__u32 age_ms; /* idle time on the sender */
};

/*
 * Turn the feed on or off: config flag LBXDP_CFG_F_SYNC, writer lock
 * held. -EOPNOTSUPP (printed: attach again) when the maps were pinned by
 * an lbxdp without the feed.
 */
int lbxdp_sync_feed_set(struct lbxdp_ctx *c, bool on);

/* Events the program lost to a full ring, summed over CPUs (0 where the
 * map is missing). */
int lbxdp_sync_ring_full(struct lbxdp_ctx *c, __u64 *n);

/* What lbxdp_sync_install() did with each entry (kind) it was given. */
struct lbxdp_sync_install_stats {
	__u64 flows;	    /* flow entries written */
	__u64 persists;	    /* persistence entries written */
	__u64 kept;	    /* an entry here was as recent or more: left */
	__u64 expired;	    /* idle past its timeout already */
	__u64 no_vip;	    /* no such service here */
	__u64 no_backend;   /* the service has no backend of that address */
	__u64 backend_down; /* it has, health down: no flow goes there */
	__u64 no_persist;   /* persistence the service here does not have */
};

/* The backup's view of its records, rebuilt when config.gen moves. */
struct lbxdp_sync_installer;

int lbxdp_sync_installer_new(struct lbxdp_sync_installer **out);
void lbxdp_sync_installer_free(struct lbxdp_sync_installer *in);

/*
 * Write a peer's entries @e[0..@n) into the flows and persist maps, as of
 * @now_ns (lbxdp_now_ns(): the program's clock), each with its backend's
 * local id, found by address among the service's backends, and gen. An
 * entry whose service or backend is unknown, or whose backend is down, is
 * skipped and counted into @st; so is one that an entry here, as recent
 * or more, already holds (the program's own, or an earlier batch's).
 * Needs no lock: the program writes these maps too. -errno on a map error.
 */
int lbxdp_sync_install(struct lbxdp_ctx *c, struct lbxdp_sync_installer *in,
		       const struct lbxdp_sync_entry *e, size_t n, __u64 now_ns,
		       struct lbxdp_sync_install_stats *st);

#endif /* LBXDP_FLOWSYNC_H */
