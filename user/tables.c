// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A VIP's scheduling tables (Maglev table, wrr schedule, usable count),
 * built in memory from its backend records and made live by a flip of
 * vip_slot (records.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "log.h"
#include "lbxdp/hash.h"
#include "records.h"
#include "jet.h"

/* A backend that may receive new flows. */
bool usable(const struct lbxdp_backend *be)
{
	return (be->flags & LBXDP_BE_F_USED) &&
	       !(be->flags & (LBXDP_BE_F_DOWN | LBXDP_BE_F_DRAINING)) &&
	       be->weight > 0;
}

/* The usable backends of @vip, for the schedulers; returns how many. */
static size_t collect_usable(const struct lbxdp_ctx *c, __u32 vip_id,
			     const struct lbxdp_backend *all,
			     struct lbxdp_sched_backend *sb)
{
	__u32 i, n = lbxdp_nbackend_slots(&c->cfg);
	size_t nsb = 0;

	for (i = 1; i < n && nsb < c->cfg.max_backends; i++) {
		if (all[i].vip_id != vip_id || !usable(&all[i]))
			continue;
		memcpy(sb[nsb].addr, all[i].addr, sizeof(sb[nsb].addr));
		sb[nsb].id = i;
		sb[nsb].weight = all[i].weight;
		nsb++;
	}
	return nsb;
}

/* 0 for no backends, so that a zeroed slot reads as built from none. */
static __u32 table_sig(const struct lbxdp_sched_backend *sb, size_t n)
{
	__u32 h = LBXDP_SEED_FLOW;
	size_t i;

	if (!n)
		return 0;
	for (i = 0; i < n; i++) {
		h = lbxdp_hash_mix(h, sb[i].id);
		h = lbxdp_hash_mix(h, sb[i].weight);
	}
	return lbxdp_hash_final(h, n);
}

void tables_free(struct tables *tb)
{
	free(tb->maglev);
	free(tb->wrr);
	tb->maglev = tb->wrr = NULL;
}

int tables_build(struct lbxdp_ctx *c, const struct lbxdp_vip *vip,
		 const struct lbxdp_backend *all, struct tables *tb)
{
	__u32 ring = c->cfg.ring_size;
	struct lbxdp_sched_backend *sb;
	size_t nsb, wlen = 0;
	int err = -ENOMEM;

	memset(tb, 0, sizeof(*tb));
	sb = calloc(c->cfg.max_backends + 1, sizeof(*sb));
	tb->maglev = calloc(ring, sizeof(*tb->maglev));
	tb->wrr = calloc(LBXDP_WRR_MAX, sizeof(*tb->wrr));
	if (!sb || !tb->maglev || !tb->wrr) {
		p_err("out of memory for the tables of VIP slot %u", vip->id);
		goto cleanup;
	}
	nsb = collect_usable(c, vip->id, all, sb);
	tb->t.nbackends = nsb;
	tb->t.sig = table_sig(sb, nsb);

	err = lbxdp_maglev_build(sb, nsb, tb->maglev, ring);
	if (err) {
		p_err("cannot build the Maglev table: %s", strerror(-err));
		goto cleanup;
	}
	/* mh and sh read the Maglev table only: no wrr length limit. */
	if (vip->sched == LBXDP_SCHED_WRR || vip->sched == LBXDP_SCHED_RR)
		err = lbxdp_wrr_build(sb, nsb, vip->sched == LBXDP_SCHED_RR,
				      tb->wrr, LBXDP_WRR_MAX, &wlen);
	tb->t.wrr_len = wlen;
cleanup:
	free(sb);
	return err;
}

static void wrr_too_long(const struct tables *tb)
{
	p_err("the weights give a wrr schedule of %u entries, more than %u: use smaller weights (their ratio is what counts) or --sched mh",
	      tb->t.wrr_len, LBXDP_WRR_MAX);
}

/* The spare slot's ring_meta and its summary ring_left (jet.h), for a
 * program that has them: zero for a VIP that does not read them (one that
 * becomes a jet VIP is marked tracked by lbxdp_vip_set(): its flows have
 * entries), so that no history outlives its scheduler, or the flows its
 * scheduler before placed without an entry (vip_prior). */
static int meta_write(struct lbxdp_ctx *c, const struct lbxdp_vip *vip,
		      __u32 live_tidx, __u32 tidx, const struct tables *tb)
{
	__u32 ring = c->cfg.ring_size, left = 0, s;
	struct lbxdp_ring_meta *meta;
	int err = 0;

	if (c->fd[M_RING_META] < 0 || c->fd[M_RING_LEFT] < 0)
		return 0;
	meta = calloc(ring, sizeof(*meta));
	if (!meta)
		return -ENOMEM;
	if (jet_sched(vip) || jet_prior_live(c, vip->id))
		err = jet_meta_build(c, vip, live_tidx, tb->maglev, meta);
	/* Only a slot whose base is not its backend is ever looked at. */
	for (s = 0; s < ring; s++)
		if (meta[s].base && meta[s].base != tb->maglev[s] &&
		    meta[s].left > left)
			left = meta[s].left;
	if (!err)
		err = lbxdp_array_fill(c->fd[M_RING_META], tidx * ring, meta,
				       ring);
	if (!err)
		err = lbxdp_array_fill(c->fd[M_RING_LEFT], tidx, &left, 1);
	free(meta);
	return err;
}

int tables_write(struct lbxdp_ctx *c, const struct lbxdp_vip *vip,
		 const struct tables *tb)
{
	__u32 ring = c->cfg.ring_size, slot = 0, next, tidx;
	int err;

	/* The spare slot was live before the previous flip; a packet still
	 * reading it sees the flip count move and reads again (schedule()). */
	bpf_map_lookup_elem(c->fd[M_VIP_SLOT], &vip->id, &slot);
	next = slot + 1; /* a flip count: the program retries across one */
	tidx = vip->id * 2 + (next & 1);
	err = meta_write(c, vip, vip->id * 2 + (slot & 1), tidx, tb);
	if (!err)
		err = lbxdp_array_fill(c->fd[M_MAGLEV], tidx * ring, tb->maglev,
				       ring);
	if (!err && tb->t.wrr_len)
		err = lbxdp_array_fill(c->fd[M_WRR], tidx * LBXDP_WRR_MAX,
				       tb->wrr, tb->t.wrr_len);
	if (!err &&
	    bpf_map_update_elem(c->fd[M_TABLES], &tidx, &tb->t, BPF_ANY))
		err = -errno;
	/* The one write packets see: an aligned 32-bit array value. */
	if (!err &&
	    bpf_map_update_elem(c->fd[M_VIP_SLOT], &vip->id, &next, BPF_ANY))
		err = -errno;
	if (err)
		p_err("cannot write the tables of VIP slot %u: %s", vip->id,
		      strerror(-err));
	return err;
}

int rebuild_from(struct lbxdp_ctx *c, const struct lbxdp_vip *vip,
		 const struct lbxdp_backend *all)
{
	struct tables tb;
	int err;

	err = tables_build(c, vip, all, &tb);
	if (err == -E2BIG)
		wrr_too_long(&tb);
	if (!err)
		err = tables_write(c, vip, &tb);
	tables_free(&tb);
	return err;
}

bool tables_current(struct lbxdp_ctx *c, const struct lbxdp_vip *vip,
		    const struct lbxdp_backend *all)
{
	struct lbxdp_sched_backend *sb;
	struct lbxdp_table t = {};
	__u32 slot = 0, tidx;
	bool same;
	size_t n;

	sb = calloc(c->cfg.max_backends + 1, sizeof(*sb));
	if (!sb)
		return false; /* rebuilt, or said why not */
	n = collect_usable(c, vip->id, all, sb);
	bpf_map_lookup_elem(c->fd[M_VIP_SLOT], &vip->id, &slot);
	tidx = vip->id * 2 + (slot & 1);
	bpf_map_lookup_elem(c->fd[M_TABLES], &tidx, &t);
	/* A wrr or rr VIP needs its schedule: a table built while it was
	 * mh (a vip set killed before its record) has none. */
	same = t.nbackends == n && t.sig == table_sig(sb, n) &&
	       (!n || t.wrr_len ||
		(vip->sched != LBXDP_SCHED_WRR &&
		 vip->sched != LBXDP_SCHED_RR));
	free(sb);
	return same;
}

int lbxdp_rebuild(struct lbxdp_ctx *c, const struct lbxdp_vip *vip)
{
	struct lbxdp_backend *all = NULL;
	int err;

	err = read_backends(c, &all);
	if (!err)
		err = rebuild_from(c, vip, all);
	free(all);
	return err;
}
