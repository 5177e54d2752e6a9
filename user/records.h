/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Internals shared by the files behind service.h: reading and writing the
 * records (vips, backends), walking the VIPs, and the tables a VIP's
 * backends make. Not for the commands: they use service.h.
 */
#ifndef LBXDP_RECORDS_H
#define LBXDP_RECORDS_H

#include <stdbool.h>
#include <string.h>
#include "sched.h"
#include "service.h"

static inline bool same_addr(const __be32 a[4], const __be32 b[4])
{
	return !memcmp(a, b, 4 * sizeof(__be32));
}

/*
 * The flow table's entries (map flows), for all that reads or writes
 * them but the program: the walks, the sweep, the tests. Through these
 * alone, so that its layout is flows.c's to know. @flags as
 * bpf_map_update_elem()'s: BPF_ANY, BPF_NOEXIST, BPF_EXIST. 0 or -errno,
 * -ENOENT for a flow without an entry; nothing printed.
 */
int lbxdp_flow_get(struct lbxdp_ctx *c, const struct lbxdp_flow_key *k,
		   struct lbxdp_flow *v);
int lbxdp_flow_put(struct lbxdp_ctx *c, const struct lbxdp_flow_key *k,
		   const struct lbxdp_flow *v, __u64 flags);
/* Removes @k's entry; what it held into *@old unless NULL. */
int lbxdp_flow_del(struct lbxdp_ctx *c, const struct lbxdp_flow_key *k,
		   struct lbxdp_flow *old);
/* Removes @k's entry only if it was last seen at @seen_ns (as a walk read
 * it): -ENOENT if it has none or has been written or seen since. */
int lbxdp_flow_del_if(struct lbxdp_ctx *c, const struct lbxdp_flow_key *k,
		      __u64 seen_ns);
/* Removes every entry. */
int lbxdp_flows_clear(struct lbxdp_ctx *c);
/* Puts @n entries, a batch a syscall (the benchmark's fill, the upgrade's
 * copy): @flags BPF_ANY, BPF_NOEXIST, which leaves a flow that has an
 * entry as it is (no error), or LBXDP_FLOWS_NEWER, which leaves one seen
 * as recently (no error). -ENOENT for a flow of no VIP: the entries
 * before it are written. */
#define LBXDP_FLOWS_NEWER 8 /* beside BPF_NOEXIST (1), BPF_EXIST (2) */
int lbxdp_flows_put_many(struct lbxdp_ctx *c, const struct lbxdp_flow_key *keys,
			 const struct lbxdp_flow *vals, __u32 n, __u64 flags);
/* The flow table's writer over @c's pinned maps, loaded (flow sync's
 * installer has one of its own); -errno, printed. */
int lbxdp_ft_writer_load(struct lbxdp_ctx *c, struct sync_put_bpf **out);
int lbxdp_ft_retag(struct lbxdp_ctx *c);

typedef int (*flow_fn)(const struct lbxdp_flow_key *k,
		       const struct lbxdp_flow *v, void *arg);
/* @fn for every entry of map flows, read in batches; stops at the first
 * error (printed when it is the map's). An entry written meanwhile may
 * be met or not, but once; @fn may write or delete the entry it is
 * given. */
int lbxdp_flows_walk(struct lbxdp_ctx *c, flow_fn fn, void *arg);
/* A walk in steps: where the next step starts (0: the start), and the
 * names of the VIPs and backends, read at the first step and again when
 * config.gen moves. Zeroed: a walk not begun. */
struct lbxdp_walk_names;
struct lbxdp_flow_walk {
	__u32 at;
	__u32 gen;
	struct lbxdp_walk_names *names;
};
/* A step of walk @w: at most @max entries (a few dozen or more). 1 when
 * the walk is done, 0 when it is not, or -errno; done or failed, @w is a
 * walk not begun again. */
int lbxdp_flows_walk_step(struct lbxdp_ctx *c, struct lbxdp_flow_walk *w,
			  __u32 max, flow_fn fn, void *arg);
/* Ends walk @w where it is (frees its names): a walk not begun again. */
void lbxdp_flows_walk_end(struct lbxdp_flow_walk *w);

/* All backend records, lbxdp_nbackend_slots() of them; *out is malloc'ed. */
int read_backends(struct lbxdp_ctx *c, struct lbxdp_backend **out);
/* Write record @id, then move config.gen (see bump_gen()). */
int write_backend(struct lbxdp_ctx *c, __u32 id,
		  const struct lbxdp_backend *be);
/*
 * Map @m is missing (pinned by a build before the daemon's maps): say to
 * attach again, which creates it. Returns -EOPNOTSUPP.
 */
int meta_missing(struct lbxdp_ctx *c, enum lbxdp_map m);
/*
 * Backend @id's meta, before its record. Where the map is missing every
 * read gives the CLI's without override, so only other metas need it.
 */
int write_backend_meta(struct lbxdp_ctx *c, __u32 id,
		       const struct lbxdp_backend_meta *m);
/* Move config.gen: every CPU's copies of the records are void. */
void bump_gen(struct lbxdp_ctx *c);

typedef int (*vip_fn)(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		      const struct lbxdp_vip *vip, void *arg);
/* @fn for every VIP of map vips; stops at the first error. */
int for_each_vip(struct lbxdp_ctx *c, vip_fn fn, void *arg);

/* What the VIP records say about the derived state (repair.c). */
struct vip_scan {
	__u32 port0; /* services on port 0 */
	__u64 bloom; /* config.addr_bloom of all VIP addresses */
	__u8 *used;  /* [max_vips]: ids in use, VIP_TCP for a TCP service */
};

#define VIP_USED 1
#define VIP_TCP 2

/* Fill @s from map vips; s->used is allocated here (free it). */
int vip_scan(struct lbxdp_ctx *c, struct vip_scan *s);

/*
 * vip_addrs, config.nport0 and config.addr_bloom as the VIPs say, and a
 * gen move when they differed. Returns how many differed (written when
 * @apply), or -errno.
 */
int sync_derived(struct lbxdp_ctx *c, bool apply);

/* The record of @addr in VIP @vip_id among @all's @n, 0 if none. */
__u32 find_backend(const struct lbxdp_backend *all, __u32 n, __u32 vip_id,
		   const __be32 addr[4]);

/* A backend that may receive new flows. */
bool usable(const struct lbxdp_backend *be);

/* A VIP's tables, built in memory: checked before any map is written. */
struct tables {
	struct lbxdp_table t;
	__u32 *maglev, *wrr;
};

/* Build @vip's tables from the records @all into @tb (tables_free() it,
 * whatever the result); -E2BIG (unprinted) when the weights give a wrr
 * schedule longer than LBXDP_WRR_MAX, its length in tb->t.wrr_len. */
int tables_build(struct lbxdp_ctx *c, const struct lbxdp_vip *vip,
		 const struct lbxdp_backend *all, struct tables *tb);
void tables_free(struct tables *tb);
/* Write @tb into @vip's spare slot, then flip to it. */
int tables_write(struct lbxdp_ctx *c, const struct lbxdp_vip *vip,
		 const struct tables *tb);
/* Whether @vip's live slot was built from its usable records in @all. */
bool tables_current(struct lbxdp_ctx *c, const struct lbxdp_vip *vip,
		    const struct lbxdp_backend *all);
/*
 * Record @be at @id of @vip, @all (every record) updated, and the VIP's
 * tables, in the order that keeps every packet another server could take
 * (backend.c). -EDOM/-E2BIG (printed) when the wrr schedule cannot take
 * the weights: @weight_given says whether @be's was the command's.
 */
int commit_backend(struct lbxdp_ctx *c, const struct lbxdp_vip *vip,
		   struct lbxdp_backend *all, __u32 id,
		   const struct lbxdp_backend *be, bool weight_given);
/* Build from @all and flip; prints why it cannot. */
int rebuild_from(struct lbxdp_ctx *c, const struct lbxdp_vip *vip,
		 const struct lbxdp_backend *all);

#endif /* LBXDP_RECORDS_H */
