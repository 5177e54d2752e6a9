// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Virtual services: vip add, del, list (service.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "log.h"
#include "parse.h"
#include "records.h"
#include "jet.h"

int lbxdp_vip_get(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		  struct lbxdp_vip *vip)
{
	char svc[LBXDP_SVC_STRLEN];

	if (!bpf_map_lookup_elem(c->fd[M_VIPS], key, vip))
		return 0;
	p_err("service %s not found",
	      lbxdp_format_service(key, svc, sizeof(svc)));
	return -ENOENT;
}

/* Free every record of VIP id @vip_id before the id serves a new VIP. A
 * repair frees them too, as orphans; this is for callers that did not
 * repair first. */
static int free_backends_of(struct lbxdp_ctx *c, __u32 vip_id)
{
	__u32 i, n = lbxdp_nbackend_slots(&c->cfg);
	struct lbxdp_backend *all = NULL;
	int err;

	err = read_backends(c, &all);
	for (i = 1; i < n && !err; i++) {
		if (!(all[i].flags & LBXDP_BE_F_USED) ||
		    all[i].vip_id != vip_id)
			continue;
		all[i].flags = 0;
		err = write_backend(c, i, &all[i]);
	}
	free(all);
	return err;
}

/* Both records of a VIP: by key for new flows, by id for established. */
static int write_vip(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		     const struct lbxdp_vip *vip, __u64 flags)
{
	if (bpf_map_update_elem(c->fd[M_VIP_INFO], &vip->id, vip, BPF_ANY) ||
	    bpf_map_update_elem(c->fd[M_VIPS], key, vip, flags)) {
		p_err("cannot write the VIP records: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

int lbxdp_vip_add(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		  int sched, __u32 persist_sec, __u8 owner)
{
	struct lbxdp_vip_meta meta = {.owner = owner};
	struct lbxdp_table empty[2] = {};
	struct lbxdp_vip vip = {};
	char svc[LBXDP_SVC_STRLEN];
	struct vip_scan s = {};
	__u32 id, zero = 0;
	int err;

	lbxdp_format_service(key, svc, sizeof(svc));
	if (!bpf_map_lookup_elem(c->fd[M_VIPS], key, &vip)) {
		p_err("service %s already exists", svc);
		return -EEXIST;
	}
	if (owner != LBXDP_OWNER_CLI && c->fd[M_VIP_META] < 0)
		return meta_missing(c, M_VIP_META);
	err = vip_scan(c, &s);
	if (err)
		goto cleanup;
	for (id = 0; id < c->cfg.max_vips && s.used[id]; id++)
		;
	if (id == c->cfg.max_vips) {
		p_err("cannot add %s: all %u VIP slots in use (capacity set at attach with --max-vips)",
		      svc, c->cfg.max_vips);
		err = -ENOSPC;
		goto cleanup;
	}

	/* The id may have served a deleted VIP: reset its state before the
	 * VIP becomes visible to packets. */
	err = free_backends_of(c, id);
	if (!err)
		err = lbxdp_array_fill(c->fd[M_TABLES], id * 2, empty, 2);
	if (!err && bpf_map_update_elem(c->fd[M_VIP_SLOT], &id, &zero, BPF_ANY))
		err = -errno;
	if (!err)
		err = lbxdp_percpu_zero(c, M_STATS_VIP, id,
					sizeof(struct lbxdp_counters));
	if (!err)
		err = lbxdp_percpu_zero(c, M_WRR_CURSOR, id, sizeof(__u32));
	if (!err)
		err = jet_reset(c, id);
	if (err) {
		p_err("cannot reset tables of VIP slot %u: %s", id,
		      strerror(-err));
		goto cleanup;
	}

	vip.id = id;
	vip.sched = sched;
	vip.persist_sec = persist_sec;
	/* By id first: no flow can reach it before the key exists, which
	 * is the one write that makes the service; killed before it, the id
	 * stays free. Its owner goes with vip_info: every add writes it, so
	 * a previous holder's never outlives the id's reuse. */
	if (c->fd[M_VIP_META] >= 0 &&
	    bpf_map_update_elem(c->fd[M_VIP_META], &id, &meta, BPF_ANY)) {
		err = -errno;
		p_err("cannot write map vip_meta: %s", strerror(errno));
		goto cleanup;
	}
	err = write_vip(c, key, &vip, BPF_NOEXIST);
	if (err)
		goto cleanup;
	err = sync_derived(c, true);
	if (err < 0) {
		/* Whole or not at all: recount without it. */
		bpf_map_delete_elem(c->fd[M_VIPS], key);
		sync_derived(c, true);
		goto cleanup;
	}
	err = 0;
cleanup:
	free(s.used);
	return err;
}

/*
 * Before VIP @vip_id's persistence timeout grows from @old_sec (0: off) to
 * more: forget its entries that the old timeout had already expired (all
 * of them when it was off), which the program, reading the age against
 * the new timeout, would otherwise bring back.
 */
static int persist_expire(struct lbxdp_ctx *c, __u32 vip_id, __u32 old_sec)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u64 now = lbxdp_prog_now(c), max = (__u64)old_sec * 1000000000ULL;
	struct lbxdp_persist_key *keys = NULL, in, out;
	struct lbxdp_flow *vals = NULL;
	__u32 batch = 4096, count, i;
	bool first = true, done = false;
	int err = -ENOMEM;

	keys = calloc(batch, sizeof(*keys));
	vals = calloc(batch, sizeof(*vals));
	if (!keys || !vals)
		goto cleanup;
	err = 0;
	while (!done && !err) {
		count = batch;
		if (bpf_map_lookup_batch(c->fd[M_PERSIST], first ? NULL : &in,
					 &out, keys, vals, &count, &opts)) {
			if (errno != ENOENT) {
				err = -errno;
				break;
			}
			done = true;
		}
		first = false;
		in = out;
		for (i = 0; i < count && !err; i++) {
			__u64 seen = vals[i].last_seen_ns;

			if (keys[i].vip_id != vip_id ||
			    (old_sec && (seen >= now || now - seen <= max)))
				continue;
			if (bpf_map_delete_elem(c->fd[M_PERSIST], &keys[i]) &&
			    errno != ENOENT)
				err = -errno;
		}
	}
	if (err)
		p_err("cannot read map persist: %s", strerror(-err));
cleanup:
	free(keys);
	free(vals);
	return err;
}

/*
 * A VIP's scheduler and persistence, changed in place (ipvsadm -E): its id,
 * backends, flows and counters stay. Every table holds the Maglev ring, the
 * wrr schedule only for wrr and rr; so for those the tables are built
 * before the record names the scheduler, and no SYN finds a scheduler
 * without its table. vips is the record; vip_info follows it, and the
 * repair brings it in step if this writer is killed between the two.
 */
int lbxdp_vip_set(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		  int sched, __u32 persist_sec)
{
	struct lbxdp_vip vip, old;
	int err;

	err = lbxdp_vip_get(c, key, &old);
	if (err)
		return err;
	vip = old;
	vip.sched = sched;
	vip.persist_sec = persist_sec;
	if (!memcmp(&vip, &old, sizeof(vip)))
		return 0;
	if (persist_sec > old.persist_sec) {
		err = persist_expire(c, vip.id, old.persist_sec);
		if (err)
			return err;
	}
	/* Before the rebuild, which keeps the slots' history for it. */
	err = jet_prior_set(c, key, &old);
	if (err)
		return err;
	if (sched == LBXDP_SCHED_WRR || sched == LBXDP_SCHED_RR) {
		err = lbxdp_rebuild(c, &vip);
		if (err)
			return err;
	}
	/* Looked up until idle: its flows have entries, or go by the
	 * scheduler before, with an entry. */
	if (jet_sched(&vip) && (!jet_sched(&old) || vip.sched != old.sched)) {
		err = jet_track_all(c, vip.id);
		if (err)
			return err;
	}
	if (bpf_map_update_elem(c->fd[M_VIPS], key, &vip, BPF_EXIST) ||
	    bpf_map_update_elem(c->fd[M_VIP_INFO], &vip.id, &vip, BPF_ANY)) {
		p_err("cannot write the VIP records: %s", strerror(errno));
		return -errno;
	}
	/* Void every CPU's copy of the old record (vip_memo). */
	bump_gen(c);
	return 0;
}

/*
 * The key goes first: that one write removes the service (new flows are
 * the kernel's from then on). What the VIP held up, its backend records
 * (so its established flows stop), its vip_info and address counts, is
 * then derived state, which the repair removes: now, or by the next
 * writer if this one is killed.
 */
int lbxdp_vip_del(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key)
{
	struct lbxdp_vip vip;
	int err;

	err = lbxdp_vip_get(c, key, &vip);
	if (err)
		return err;
	if (bpf_map_delete_elem(c->fd[M_VIPS], key)) {
		p_err("cannot delete from map vips: %s", strerror(errno));
		return -errno;
	}
	err = lbxdp_repair(c, true);
	if (err < 0)
		p_warn("the service is deleted; the next change frees its backends");
	return 0;
}

static int collect_vip(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		       const struct lbxdp_vip *vip, void *arg)
{
	struct {
		struct lbxdp_vip_entry *v;
		size_t n, cap;
	} *l = arg;
	struct lbxdp_vip_entry *e;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;

		e = realloc(l->v, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		l->v = e;
		l->cap = cap;
	}
	e = &l->v[l->n++];
	memset(e, 0, sizeof(*e));
	e->key = *key;
	e->vip = *vip;
	return 0;
}

static int cmp_vip_entry(const void *a, const void *b)
{
	const struct lbxdp_vip_entry *x = a, *y = b;

	return (x->vip.id > y->vip.id) - (x->vip.id < y->vip.id);
}

int lbxdp_vip_list(struct lbxdp_ctx *c, struct lbxdp_vip_entry **out, size_t *n)
{
	struct {
		struct lbxdp_vip_entry *v;
		size_t n, cap;
	} l = {};
	struct lbxdp_table t;
	__u32 slot, tidx;
	size_t i;
	int err;

	err = for_each_vip(c, collect_vip, &l);
	if (err)
		goto fail;
	qsort(l.v, l.n, sizeof(*l.v), cmp_vip_entry);
	for (i = 0; i < l.n; i++) {
		struct lbxdp_vip_entry *e = &l.v[i];

		lbxdp_percpu_sum(c, M_STATS_VIP, e->vip.id, (__u64 *)&e->ctr,
				 sizeof(e->ctr) / sizeof(__u64));
		e->owner = lbxdp_vip_owner(c, e->vip.id);
		if (bpf_map_lookup_elem(c->fd[M_VIP_SLOT], &e->vip.id, &slot))
			continue;
		tidx = e->vip.id * 2 + (slot & 1);
		if (!bpf_map_lookup_elem(c->fd[M_TABLES], &tidx, &t))
			e->nbackends = t.nbackends;
	}
	*out = l.v;
	*n = l.n;
	return 0;
fail:
	free(l.v);
	return err;
}
