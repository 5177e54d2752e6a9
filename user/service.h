/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Virtual services and their backends: the map edits behind "lbxdp vip" and
 * "lbxdp backend" (and, later, the daemon). Callers hold the writer lock for
 * every function that changes a map. Each change is whole or not at all;
 * table changes are built in the VIP's spare slot and made live by one
 * aligned 32-bit write to vip_slot. Errors are printed here, naming the
 * service or backend, and returned as -errno.
 */
#ifndef LBXDP_SERVICE_H
#define LBXDP_SERVICE_H

#include "maps.h"

struct lbxdp_vip_entry {
	struct lbxdp_vip_key key;
	struct lbxdp_vip vip;
	struct lbxdp_counters ctr;
	__u32 nbackends; /* usable, in the live table */
};

struct lbxdp_backend_entry {
	__u32 id;
	struct lbxdp_backend be;
	struct lbxdp_counters ctr;
	__u32 active; /* flows seen within the active window */
	__u32 flows;  /* flows not yet idle past their timeout */
};

static inline __u32 lbxdp_nbackend_slots(const struct lbxdp_config *cfg)
{
	return cfg->max_vips * cfg->max_backends + 1;
}

int lbxdp_vip_get(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		  struct lbxdp_vip *vip);
int lbxdp_vip_add(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		  int sched, __u32 persist_sec);
int lbxdp_vip_del(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key);
/* All VIPs, by id. *out is malloc'ed. */
int lbxdp_vip_list(struct lbxdp_ctx *c, struct lbxdp_vip_entry **out,
		   size_t *n);

/* add and set: -EDOM when the weight given would make the wrr schedule too
 * long (a bad value), -E2BIG when the weights already there would (state). */
int lbxdp_backend_add(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		      const __be32 addr[4], __u32 weight, const __u8 mac[6]);
/* What backend set changes; a field at its "unchanged" value stays. */
struct lbxdp_backend_change {
	int weight;	 /* < 0: unchanged */
	int up;		 /* < 0: unchanged, 0: down, 1: up */
	const __u8 *mac; /* NULL: unchanged */
};

/* All of @ch in one record write and one table flip. */
int lbxdp_backend_set(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		      const __be32 addr[4],
		      const struct lbxdp_backend_change *ch);
int lbxdp_backend_del(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		      const __be32 addr[4]);
/* Backends of @vip_id (all VIPs if @vip_id < 0), with counters and flows. */
int lbxdp_backend_list(struct lbxdp_ctx *c, int vip_id,
		       struct lbxdp_backend_entry **out, size_t *n);

/*
 * Count flows per backend id: @active within the active window, @refs within
 * the idle timeout of their protocol; only flows of the current holder of
 * the id (@all, the backend records). Arrays of lbxdp_nbackend_slots().
 */
int lbxdp_flow_count(struct lbxdp_ctx *c, const struct lbxdp_backend *all,
		     __u32 *active, __u32 *refs);

/* Rebuild @vip's tables from its backend records and flip to them. */
int lbxdp_rebuild(struct lbxdp_ctx *c, const struct lbxdp_vip *vip);

/*
 * The records (vips, vip_info, backends, config's knobs) are the truth:
 * recompute from them all that is derived (vip_addrs, config's address
 * filter and port-0 count, each VIP's live tables, the records of deleted
 * VIPs) and, with @apply (lock held), write what differs and move the
 * gen, so that whatever a writer killed mid-change left is whole again.
 * Returns how many things differed, or -errno.
 */
int lbxdp_repair(struct lbxdp_ctx *c, bool apply);

/* Free records of drained backends no flow refers to any more. */
int lbxdp_gc(struct lbxdp_ctx *c);

#endif /* LBXDP_SERVICE_H */
