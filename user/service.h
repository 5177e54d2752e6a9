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
	__u8 owner;	 /* LBXDP_OWNER_* */
};

struct lbxdp_backend_entry {
	__u32 id;
	struct lbxdp_backend be;
	struct lbxdp_counters ctr;
	__u32 active; /* flows seen within the active window */
	__u32 flows;  /* flows not yet idle past their timeout */
	/* As lbxdp_backend_get() reads them: zero unless they are be's. */
	struct lbxdp_backend_meta meta;
	struct lbxdp_health health;
};

static inline __u32 lbxdp_nbackend_slots(const struct lbxdp_config *cfg)
{
	return cfg->max_vips * cfg->max_backends + 1;
}

int lbxdp_vip_get(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		  struct lbxdp_vip *vip);
/* @owner: LBXDP_OWNER_CLI or LBXDP_OWNER_DAEMON, into vip_meta. */
int lbxdp_vip_add(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		  int sched, __u32 persist_sec, __u8 owner);
/* Scheduler and persistence in place: flows and backends stay. */
int lbxdp_vip_set(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		  int sched, __u32 persist_sec);
int lbxdp_vip_del(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key);
/* All VIPs, by id. *out is malloc'ed. */
int lbxdp_vip_list(struct lbxdp_ctx *c, struct lbxdp_vip_entry **out,
		   size_t *n);

/* VIP @vip_id's owner: LBXDP_OWNER_CLI where vip_meta is missing. */
__u8 lbxdp_vip_owner(struct lbxdp_ctx *c, __u32 vip_id);

/*
 * add and set: -EDOM when the weight given would make the wrr schedule too
 * long (a bad value), -E2BIG when the weights already there would (state).
 * add writes the backend's meta (@owner, no override, cfg_weight @weight
 * for the daemon's) before its record, also when it revives a draining
 * one; -EOPNOTSUPP (printed: re-run attach) for the daemon's where the
 * meta maps are missing.
 */
int lbxdp_backend_add(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		      const __be32 addr[4], __u32 weight, const __u8 mac[6],
		      __u8 owner);
/* What backend set changes; a field at its "unchanged" value stays. */
struct lbxdp_backend_change {
	int weight;	 /* < 0: unchanged */
	int up;		 /* < 0: unchanged, 0: down, 1: up */
	const __u8 *mac; /* NULL: unchanged */
};

/* All of @ch in one record write and one table flip. Leaves the meta
 * (owner, an operator's override) alone: the daemon's own changes, which
 * must hold to an override (the repair puts a record back to it). */
int lbxdp_backend_set(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		      const __be32 addr[4],
		      const struct lbxdp_backend_change *ch);
/*
 * The operator's backend set (the CLI's): on a backend the daemon owns,
 * @ch's up/down and weight are also recorded as an override in its meta,
 * before the record, and held there until lbxdp_backend_auto(); then as
 * lbxdp_backend_set(). On a CLI-owned backend, lbxdp_backend_set().
 */
int lbxdp_backend_set_op(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
			 const __be32 addr[4],
			 const struct lbxdp_backend_change *ch);
/*
 * "backend set --auto": clear the operator's override of a backend the
 * daemon owns, handing it back to the checks (the daemon applies its own
 * view; the record is not changed here). -EINVAL (printed) for a backend
 * the daemon does not own.
 */
int lbxdp_backend_auto(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		       const __be32 addr[4]);
int lbxdp_backend_del(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		      const __be32 addr[4]);
/*
 * The id of @key's backend @addr, draining or not, into @id: -ENOENT,
 * unprinted, when there is none (or no such service).
 */
int lbxdp_backend_find(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		       const __be32 addr[4], __u32 *id);
/*
 * Backend record @id, and its meta and health (each may be NULL). The
 * meta and health are zeroed (the CLI's, no override; not checked) unless
 * their gen is the record's, and where their maps are missing (pinned by
 * an older lbxdp). -ENOENT, unprinted, if record @id is not in use.
 */
int lbxdp_backend_get(struct lbxdp_ctx *c, __u32 id, struct lbxdp_backend *be,
		      struct lbxdp_backend_meta *meta, struct lbxdp_health *h);
/*
 * Write backend @id's meta: owner, op, op_weight and cfg_weight from @m,
 * gen set here to the record's. Lock held (read the meta under the same
 * lock, so that an operator's change in between is not lost). -ENOENT if
 * record @id is not in use, -EOPNOTSUPP (printed: re-run attach) when the
 * map is missing; others printed.
 */
int lbxdp_backend_meta_set(struct lbxdp_ctx *c, __u32 id,
			   const struct lbxdp_backend_meta *m);
/*
 * Write backend @id's health entry as @h is, h->gen included: the record's
 * gen when the daemon found the backend, so that an entry written after the
 * id was freed and reused reads as not checked. No lock: the daemon is its
 * one writer. -EOPNOTSUPP (printed) when the map is missing.
 */
int lbxdp_health_set(struct lbxdp_ctx *c, __u32 id,
		     const struct lbxdp_health *h);

/* What the daemon's checks and the operator's overrides hold. */
struct lbxdp_health_summary {
	__u32 pending, up, down; /* by their health entry */
	__u32 overrides;	 /* backends with an operator's override */
};

int lbxdp_health_summary(struct lbxdp_ctx *c, struct lbxdp_health_summary *s);

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

/* A flow entry as "flow list" shows it. */
struct lbxdp_flow_entry {
	struct lbxdp_vip_key svc;  /* its service, as configured */
	struct lbxdp_flow_key key; /* the client, the VIP port it sent to */
	__u32 backend;		   /* the server's record id */
	__be32 server[4];	   /* and address */
	__u64 idle_ns, timeout_ns; /* its protocol's idle timeout */
};
typedef int (*flow_entry_fn)(const struct lbxdp_flow_entry *e, void *arg);
/*
 * @fn for every live entry of VIP @vip_id (all VIPs if < 0) and backend
 * @backend (all if 0): of its backend record's holder now, not idle past
 * its timeout (the entries lbxdp_flow_count() counts in @refs; a down
 * backend's too, which the program re-places at their next packet).
 * Stops at @fn's first error; -errno, printed where the map is the cause.
 */
int lbxdp_flow_list(struct lbxdp_ctx *c, int vip_id, __u32 backend,
		    flow_entry_fn fn, void *arg);

/* Rebuild @vip's tables from its backend records and flip to them. */
int lbxdp_rebuild(struct lbxdp_ctx *c, const struct lbxdp_vip *vip);

/*
 * The records (vips, vip_info, backends, config's knobs) are the truth:
 * recompute from them all that is derived (vip_addrs, config's address
 * filter and port-0 count, each VIP's live tables, the records of deleted
 * VIPs; and an operator's override in backend_meta, written first, that
 * its record lacks) and, with @apply (lock held), write what differs and move the
 * gen, so that whatever a writer killed mid-change left is whole again.
 * Returns how many things differed, or -errno.
 */
int lbxdp_repair(struct lbxdp_ctx *c, bool apply);

/* Free records of drained backends no flow refers to any more. */
int lbxdp_gc(struct lbxdp_ctx *c);

#endif /* LBXDP_SERVICE_H */
