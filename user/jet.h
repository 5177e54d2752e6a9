/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Just enough tracking: the Maglev slots' history (abi.h "ring_meta"). */
#ifndef LBXDP_JET_H
#define LBXDP_JET_H

#include <stdbool.h>
#include "maps.h"

/* A VIP whose TCP flows the program tracks only where a change moves them
 * (mh and sh without persistence). */
bool jet_sched(const struct lbxdp_vip *vip);

/* The program's clock @ns in epochs, as bpf/lbxdp.bpf.c epoch(). */
__u32 jet_epoch(__u64 ns);

/*
 * The history of @vip's next table @next (ring_size entries) into @meta
 * (abi.h): each slot that changes from the live table (key @live_tidx)
 * gets the backend it named as its base, stamped now, unless its base's
 * flows may still be live, which then stays (stamped now if the slot had
 * gone back to it). All zero for a VIP that never carried a packet.
 * Prints why on failure.
 */
int jet_meta_build(struct lbxdp_ctx *c, const struct lbxdp_vip *vip,
		   __u32 live_tidx, const __u32 *next,
		   struct lbxdp_ring_meta *meta);

/* Whether VIP @vip_id's scheduler before (abi.h "vip_prior") may still
 * have flows without an entry. */
bool jet_prior_live(struct lbxdp_ctx *c, __u32 vip_id);

/* Before the VIP @key, @old, changes (the caller returns early on no
 * change): where @old's scheduler is a jet one, the flows
 * it placed without an entry are found by it for a timeout (unless a
 * scheduler before is still live: the flows placed since have entries).
 * Prints why on failure. */
int jet_prior_set(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		  const struct lbxdp_vip *old);

/* VIP id @vip_id's slot history and tracking zeroed, for a new VIP: what
 * an earlier holder of the id left would send its packets to the lookup,
 * or worse, to a base that its records no longer are. */
int jet_reset(struct lbxdp_ctx *c, __u32 vip_id);

/* Every slot of VIPs @first_vip..+@nvips (@ring slots each) in ring_track
 * @track_fd, and their vip_track (@vip_track_fd, -1: none), stamped with
 * the clock @now_ns. Prints why on failure. */
int jet_track_span(int track_fd, int vip_track_fd, __u32 first_vip, __u32 nvips,
		   __u32 ring, __u64 now_ns);

/* Every slot of VIP @vip_id looked up for a timeout: its flows have
 * entries (it was not a jet VIP, or an older program placed them). */
int jet_track_all(struct lbxdp_ctx *c, __u32 vip_id);

/* Add 1 to @refs[id] (@n ids) for each backend that flows without an
 * entry may still be on in VIP @vip_id's live table: a removed backend's
 * record lives until none is. */
int jet_bases(struct lbxdp_ctx *c, __u32 vip_id, __u32 *refs, __u32 n);

/* The ring_track key of flow @fk of @vip (a jet VIP's, TCP). */
__u32 jet_slot_key(const struct lbxdp_ctx *c, const struct lbxdp_vip *vip,
		   const struct lbxdp_flow_key *fk);

/* Stamp ring_track's @keys (@n of them) with the clock @now_ns: flow
 * entries that the program did not write (flow sync's) are looked up. */
int jet_track_keys(struct lbxdp_ctx *c, const __u32 *keys, __u32 n,
		   __u64 now_ns);

/*
 * Before the TCP timeout grows (c->cfg still the old one): what the old one
 * let go stays gone, or the larger one would bring it back. A settled base
 * would take the flows of its slot that have no entry back to the backend
 * they left, and an expired entry in a slot the program no longer looks up
 * would take back a later flow of its ports that went by the table. So the
 * settled bases are cleared, and the expired entries of jet VIPs deleted.
 * Call it holding the writer lock: the tables stay as they are.
 */
int jet_before_raise(struct lbxdp_ctx *c);

/* Its last step: delete the entries of @keys, found expired with last-seen
 * times @seen, putting back one the program rewrote since. */
int jet_forget_keys(struct lbxdp_ctx *c, const struct lbxdp_flow_key *keys,
		    const __u64 *seen, __u32 n);

/* Write @cfg to map config, first jet_before_raise() when its TCP timeout
 * is longer than the one there. */
int lbxdp_timeout_write(struct lbxdp_ctx *c, const struct lbxdp_config *cfg);

#endif /* LBXDP_JET_H */
