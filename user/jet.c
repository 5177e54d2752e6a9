// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Just enough tracking (abi.h "ring_meta"): the history of each Maglev slot
 * that lets the program forward the TCP flows of mh and sh VIPs without a
 * flow entry, written with the tables it describes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include "log.h"
#include "lbxdp/hash.h"
#include "records.h"
#include "jet.h"

#define NSEC 1000000000ULL
/* The program reads a slot as changed, or tracked, for its timeout and
 * four epochs more (bpf/lbxdp.bpf.c recent()): with the rounding of both
 * ends, at least 2.1 s past the timeout. This side calls a change settled
 * 2 s after it, before the program does, so a slot the program forwards
 * without a lookup is settled here too: keep this below 2.1 s. */
#define SETTLE_SPARE_NS (2 * NSEC)

bool jet_sched(const struct lbxdp_vip *vip)
{
	return (vip->sched == LBXDP_SCHED_MH || vip->sched == LBXDP_SCHED_SH) &&
	       !vip->persist_sec;
}

__u32 jet_epoch(__u64 ns)
{
	return (__u32)(ns >> LBXDP_EPOCH_SHIFT) + 1;
}

/* Whether every flow placed without an entry by a slot's base, which it
 * left at @left, is idle past the TCP timeout by @now_ns (0: never). */
static bool settled(const struct lbxdp_ctx *c, __u32 left, __u64 now_ns)
{
	__u64 at = (__u64)left << LBXDP_EPOCH_SHIFT;

	return !left ||
	       (now_ns > at && now_ns - at > (__u64)c->cfg.tcp_timeout * NSEC +
						     SETTLE_SPARE_NS);
}

/* Whether VIP @vip_id ever forwarded a packet: until it does, this LB
 * placed no flow, and a change needs no history (a standby's peer may
 * have: README, "Known limits"). */
static int carried(struct lbxdp_ctx *c, __u32 vip_id, bool *any)
{
	__u64 v[3] = {};
	int err;

	err = lbxdp_percpu_sum(c, M_STATS_VIP, vip_id, v, 3);
	*any = v[0] != 0;
	return err;
}

int jet_meta_build(struct lbxdp_ctx *c, const struct lbxdp_vip *vip,
		   __u32 live_tidx, const __u32 *next,
		   struct lbxdp_ring_meta *meta)
{
	__u32 ring = c->cfg.ring_size, s, now_e;
	struct lbxdp_ring_meta *om = NULL;
	__u64 now = lbxdp_prog_now(c);
	__u32 *live = NULL;
	bool any;
	int err;

	memset(meta, 0, ring * sizeof(*meta));
	err = carried(c, vip->id, &any);
	if (err || !any)
		return err;
	live = calloc(ring, sizeof(*live));
	om = calloc(ring, sizeof(*om));
	if (!live || !om) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = lbxdp_array_read_at(c->fd[M_MAGLEV], live_tidx * ring, live,
				  ring);
	if (!err)
		err = lbxdp_array_read_at(c->fd[M_RING_META], live_tidx * ring,
					  om, ring);
	if (err)
		goto cleanup;
	now_e = jet_epoch(now);
	for (s = 0; s < ring; s++) {
		meta[s] = om[s];
		if (next[s] == live[s])
			continue;
		/* Flows without an entry are on what the slot named, where
		 * its base settled (or it had none); else on the base, which
		 * it leaves now if it named it (changed back to it). */
		if (!om[s].base || settled(c, om[s].left, now)) {
			meta[s].base = live[s];
			meta[s].left = now_e;
		} else if (live[s] == om[s].base) {
			meta[s].left = now_e;
		}
	}
cleanup:
	free(live);
	free(om);
	if (err)
		p_err("cannot read the live tables of VIP slot %u: %s", vip->id,
		      strerror(-err));
	return err;
}

bool jet_prior_live(struct lbxdp_ctx *c, __u32 vip_id)
{
	struct lbxdp_vip_prior pr = {};

	if (c->fd[M_VIP_PRIOR] < 0 ||
	    bpf_map_lookup_elem(c->fd[M_VIP_PRIOR], &vip_id, &pr))
		return false;
	return pr.since && !settled(c, pr.since, lbxdp_prog_now(c));
}

int jet_prior_set(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		  const struct lbxdp_vip *old)
{
	struct lbxdp_vip_prior pr = {.sched = old->sched};
	int fd = c->fd[M_VIP_PRIOR], err;

	/* A UDP flow has an entry but beyond the flood guard, where a table
	 * change moves it anyway. */
	if (fd < 0 || key->proto != IPPROTO_TCP || !jet_sched(old) ||
	    jet_prior_live(c, old->id))
		return 0;
	/* Every slot looked up first: while the record lives, its VIP gives
	 * every new flow an entry, even if this change goes no further (a
	 * writer killed, a wrr schedule refused), so a later change may keep
	 * this record. */
	err = jet_track_all(c, old->id);
	if (err)
		return err;
	/* Off, then on with its scheduler there: a packet reads @since in
	 * one load, so it never pairs it with another one's scheduler. */
	if (bpf_map_update_elem(fd, &old->id, &pr, BPF_ANY))
		goto fail;
	pr.since = jet_epoch(lbxdp_prog_now(c));
	if (bpf_map_update_elem(fd, &old->id, &pr, BPF_ANY))
		goto fail;
	return 0;
fail:
	p_err("cannot write map vip_prior: %s", strerror(errno));
	return -errno;
}

int jet_reset(struct lbxdp_ctx *c, __u32 vip_id)
{
	__u32 ring = c->cfg.ring_size;
	void *zero;
	int err = 0;

	if (c->fd[M_RING_META] < 0 || c->fd[M_RING_TRACK] < 0 ||
	    c->fd[M_RING_LEFT] < 0 || c->fd[M_VIP_TRACK] < 0)
		return 0;
	zero = calloc(2 * ring, sizeof(struct lbxdp_ring_meta));
	if (!zero)
		return -ENOMEM;
	err = lbxdp_array_fill(c->fd[M_RING_META], vip_id * 2 * ring, zero,
			       2 * ring);
	if (!err)
		err = lbxdp_array_fill(c->fd[M_RING_TRACK], vip_id * ring, zero,
				       ring);
	if (!err)
		err = lbxdp_array_fill(c->fd[M_RING_LEFT], vip_id * 2, zero, 2);
	if (!err)
		err = lbxdp_array_fill(c->fd[M_VIP_TRACK], vip_id, zero, 1);
	if (!err && c->fd[M_VIP_PRIOR] >= 0)
		err = lbxdp_array_fill(c->fd[M_VIP_PRIOR], vip_id, zero, 1);
	free(zero);
	return err;
}

int jet_track_span(int track_fd, int vip_track_fd, __u32 first_vip, __u32 nvips,
		   __u32 ring, __u64 now_ns)
{
	__u32 n = nvips * ring, e = jet_epoch(now_ns), *v, i;
	int err;

	v = malloc((size_t)n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		v[i] = e;
	err = lbxdp_array_fill(track_fd, first_vip * ring, v, n);
	if (!err && vip_track_fd >= 0)
		err = lbxdp_array_fill(vip_track_fd, first_vip, v, nvips);
	free(v);
	if (err)
		p_err("cannot write map ring_track: %s", strerror(-err));
	return err;
}

int jet_track_all(struct lbxdp_ctx *c, __u32 vip_id)
{
	if (c->fd[M_RING_TRACK] < 0)
		return 0;
	return jet_track_span(c->fd[M_RING_TRACK], c->fd[M_VIP_TRACK], vip_id,
			      1, c->cfg.ring_size, lbxdp_prog_now(c));
}

int jet_bases(struct lbxdp_ctx *c, __u32 vip_id, __u32 *refs, __u32 n)
{
	__u32 ring = c->cfg.ring_size, slot = 0, tidx, s;
	struct lbxdp_ring_meta *m;
	__u64 now = lbxdp_prog_now(c);
	int err;

	if (c->fd[M_RING_META] < 0)
		return 0;
	m = calloc(ring, sizeof(*m));
	if (!m)
		return -ENOMEM;
	bpf_map_lookup_elem(c->fd[M_VIP_SLOT], &vip_id, &slot);
	tidx = vip_id * 2 + (slot & 1);
	err = lbxdp_array_read_at(c->fd[M_RING_META], tidx * ring, m, ring);
	for (s = 0; s < ring && !err; s++)
		if (m[s].base && m[s].base < n && !settled(c, m[s].left, now))
			refs[m[s].base]++;
	free(m);
	return err;
}

__u32 jet_slot_key(const struct lbxdp_ctx *c, const struct lbxdp_vip *vip,
		   const struct lbxdp_flow_key *fk)
{
	__u32 h;

	if (vip->sched == LBXDP_SCHED_SH)
		h = lbxdp_hash_addr(fk->src, LBXDP_SEED_FLOW);
	else
		h = lbxdp_hash_flow(fk->src, fk->dst, fk->sport, fk->dport,
				    fk->proto, fk->family);
	return vip->id * c->cfg.ring_size +
	       lbxdp_ring_slot(h, c->cfg.ring_size);
}

int jet_track_keys(struct lbxdp_ctx *c, const __u32 *keys, __u32 n,
		   __u64 now_ns)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 *v, count = n, e = jet_epoch(now_ns), i;
	int err = 0;

	if (!n || c->fd[M_RING_TRACK] < 0)
		return 0;
	v = malloc(n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		v[i] = e;
	if (bpf_map_update_batch(c->fd[M_RING_TRACK], keys, v, &count, &opts))
		err = -errno;
	/* Their VIPs' summaries: the ids the keys fall in. */
	for (i = 0; i < n && !err && c->fd[M_VIP_TRACK] >= 0; i++) {
		__u32 id = keys[i] / c->cfg.ring_size;

		if (i && id == keys[i - 1] / c->cfg.ring_size)
			continue;
		if (bpf_map_update_elem(c->fd[M_VIP_TRACK], &id, &e, BPF_ANY))
			err = -errno;
	}
	free(v);
	return err;
}

/* Clear the settled bases of VIP @id's two tables, and their summaries. */
static int jet_forget_bases(struct lbxdp_ctx *c, __u32 id, __u64 now,
			    struct lbxdp_ring_meta *m)
{
	__u32 ring = c->cfg.ring_size, sum[2], s, i;
	bool changed = false;
	int err;

	err = lbxdp_array_read_at(c->fd[M_RING_META], id * 2 * ring, m,
				  2 * ring);
	if (!err)
		err = lbxdp_array_read_at(c->fd[M_RING_LEFT], id * 2, sum, 2);
	if (err)
		return err;
	for (s = 0; s < 2 * ring; s++) {
		if (!m[s].base || !settled(c, m[s].left, now))
			continue;
		m[s].base = 0;
		m[s].left = 0;
		changed = true;
	}
	if (changed)
		err = lbxdp_array_fill(c->fd[M_RING_META], id * 2 * ring, m,
				       2 * ring);
	/* The newest change from a base: settled, every one is. */
	for (i = 0; i < 2 && !err; i++)
		if (sum[i] && settled(c, sum[i], now)) {
			sum[i] = 0;
			err = lbxdp_array_fill(c->fd[M_RING_LEFT], id * 2 + i,
					       &sum[i], 1);
		}
	return err;
}

/* Clear VIP @id's scheduler before (vip_prior) once its flows are idle
 * past the timeout: a longer one would bring it back, for flows placed by
 * the scheduler since. */
static int jet_forget_prior(struct lbxdp_ctx *c, __u32 id, __u64 now)
{
	struct lbxdp_vip_prior pr = {};
	int fd = c->fd[M_VIP_PRIOR];

	if (fd < 0 || bpf_map_lookup_elem(fd, &id, &pr))
		return fd < 0 || errno == ENOENT ? 0 : -errno;
	if (!pr.since || !settled(c, pr.since, now))
		return 0;
	pr.since = 0;
	return bpf_map_update_elem(fd, &id, &pr, BPF_ANY) ? -errno : 0;
}

/* The expired entries of jet VIPs (@jet, TCP ones only) as of @now. */
struct jet_gone {
	const struct lbxdp_ctx *c;
	const struct lbxdp_backend *all;
	const __u8 *jet;
	__u64 now;
	struct lbxdp_flow_key *keys;
	__u64 *seen; /* their last-seen times */
	__u32 n, cap;
};

static int jet_gone_add(const struct lbxdp_flow_key *k,
			const struct lbxdp_flow *v, void *arg)
{
	struct jet_gone *g = arg;
	__u32 nb = lbxdp_nbackend_slots(&g->c->cfg), vip;
	struct lbxdp_flow_key *keys;
	__u64 *seen;

	/* One of a record since freed or given again is no flow's (the
	 * program checks its gen): forgetting it changes nothing. */
	if (v->backend >= nb)
		return 0;
	vip = g->all[v->backend].vip_id;
	if (vip >= g->c->cfg.max_vips || !g->jet[vip] ||
	    g->now <= v->last_seen_ns ||
	    g->now - v->last_seen_ns <= (__u64)g->c->cfg.tcp_timeout * NSEC)
		return 0;
	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 4096;
		keys = reallocarray(g->keys, g->cap, sizeof(*keys));
		if (keys)
			g->keys = keys;
		seen = reallocarray(g->seen, g->cap, sizeof(*seen));
		if (seen)
			g->seen = seen;
		if (!keys || !seen)
			return -ENOMEM;
	}
	g->keys[g->n] = *k;
	g->seen[g->n++] = v->last_seen_ns;
	return 0;
}

int jet_forget_keys(struct lbxdp_ctx *c, const struct lbxdp_flow_key *keys,
		    const __u64 *seen, __u32 n)
{
	__u32 i;
	int err;

	/* Each only as the walk read it, in the writer's one run: one the
	 * program rewrote since (its ports reused) or that went stays. */
	for (i = 0; i < n; i++) {
		err = lbxdp_flow_del_if(c, &keys[i], seen[i]);
		if (err && err != -ENOENT)
			return err;
	}
	return 0;
}

/* Delete the expired entries of jet VIPs' flows: keys first, for
 * deleting during the walk would skip the rest of a bucket. */
static int jet_forget_entries(struct lbxdp_ctx *c, const __u8 *jet, __u64 now)
{
	struct jet_gone g = {.c = c, .jet = jet, .now = now};
	struct lbxdp_backend *all = NULL;
	int err, pass;

	err = read_backends(c, &all);
	if (err)
		return err;
	g.all = all;
	/* Twice: a walk reads bucket by bucket, so an entry that a put
	 * moves past it (the puts' longest timeout may be UDP's, so that
	 * an expired TCP entry still moves) is not seen once. */
	for (pass = 0; pass < 2 && !err; pass++) {
		g.n = 0;
		err = lbxdp_flows_walk(c, jet_gone_add, &g);
		if (!err)
			err = jet_forget_keys(c, g.keys, g.seen, g.n);
	}
	free(g.keys);
	free(g.seen);
	free(all);
	return err;
}

int jet_before_raise(struct lbxdp_ctx *c)
{
	struct lbxdp_ring_meta *m = NULL;
	__u64 now = lbxdp_prog_now(c);
	struct vip_scan s = {};
	struct lbxdp_vip vip;
	__u8 *jet = NULL;
	__u32 id;
	int err;

	if (c->fd[M_RING_META] < 0 || c->fd[M_RING_LEFT] < 0)
		return 0;
	err = vip_scan(c, &s);
	if (err)
		return err;
	m = calloc(2 * (size_t)c->cfg.ring_size, sizeof(*m));
	jet = calloc(c->cfg.max_vips, 1);
	if (!m || !jet) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (id = 0; id < c->cfg.max_vips && !err; id++) {
		if (!(s.used[id] & VIP_TCP))
			continue;
		if (bpf_map_lookup_elem(c->fd[M_VIP_INFO], &id, &vip)) {
			err = -errno;
			break;
		}
		/* Where flows go without an entry: by its scheduler, or by
		 * the one before it (vip_prior). */
		jet[id] = jet_sched(&vip) || jet_prior_live(c, id);
		err = jet_forget_bases(c, id, now, m);
		if (!err)
			err = jet_forget_prior(c, id, now);
	}
	if (!err)
		err = jet_forget_entries(c, jet, now);
cleanup:
	if (err)
		p_err("cannot clear what the TCP timeout let go: %s",
		      strerror(-err));
	free(jet);
	free(m);
	free(s.used);
	return err;
}

int lbxdp_timeout_write(struct lbxdp_ctx *c, const struct lbxdp_config *cfg)
{
	int err = 0;

	if (cfg->tcp_timeout > c->cfg.tcp_timeout)
		err = jet_before_raise(c);
	return err ? err : lbxdp_config_write(c, cfg);
}
