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

#endif /* LBXDP_FLOWSYNC_H */
