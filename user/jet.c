// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Just enough tracking (abi.h "ring_meta"): the history of each Maglev slot
 * that lets the program forward the TCP flows of mh and sh VIPs without a
 * flow entry, written with the tables it describes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
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
