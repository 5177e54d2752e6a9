// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "flowsync.h"
#include "log.h"
#include "jet.h"
#include "service.h"
#include "records.h"
#include "sync_put.skel.h"

#define NSEC 1000000000ULL

int lbxdp_sync_feed_set(struct lbxdp_ctx *c, bool on)
{
	struct lbxdp_config cfg;
	int err;

	if (c->fd[M_SYNC_RING] < 0 || c->fd[M_SYNC_STATS] < 0) {
		p_err("the maps in %s lack flow sync's ring (made by an older lbxdp): run 'lbxdp attach IFACE' again to create it",
		      c->pin_dir);
		return -EOPNOTSUPP;
	}
	err = lbxdp_config_read(c);
	if (err)
		return err;
	cfg = c->cfg;
	if (on)
		cfg.flags |= LBXDP_CFG_F_SYNC;
	else
		cfg.flags &= ~LBXDP_CFG_F_SYNC;
	if (cfg.flags == c->cfg.flags)
		return 0;
	return lbxdp_config_write(c, &cfg);
}

int lbxdp_sync_ring_full(struct lbxdp_ctx *c, __u64 *n)
{
	*n = 0;
	if (c->fd[M_SYNC_STATS] < 0)
		return 0;
	return lbxdp_percpu_sum(c, M_SYNC_STATS, 0, n, 1);
}

/* A backend record by (VIP id, address), the key the peer's entries give. */
struct be_ref {
	__u32 vip_id;
	__be32 addr[4];
	__u32 id;
	__u32 gen;
	__u32 flags;
};

struct vip_ref {
	struct lbxdp_vip_key key;
	struct lbxdp_vip vip;
};

struct lbxdp_sync_installer {
	bool valid;
	__u32 gen; /* config.gen the view was built under */
	struct vip_ref *vips;
	size_t nvips;
	struct be_ref *bes;
	size_t nbes;
	/* Its program (bpf/sync_put.bpf.c) and the batch in its .bss. */
	struct sync_put_bpf *skel;
	__u32 n;
	/* The ring_track keys of the batch's jet flows (jet.h). */
	__u32 *track;
	__u32 ntrack;
	/* A load that failed is tried again once config.gen moves, not at
	 * every datagram (a load and a log line each). */
	int load_err;
	__u32 load_gen;
};

int lbxdp_sync_installer_new(struct lbxdp_sync_installer **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

static void view_free(struct lbxdp_sync_installer *in)
{
	free(in->vips);
	free(in->bes);
	in->vips = NULL;
	in->bes = NULL;
	in->nvips = in->nbes = 0;
	in->valid = false;
}

void lbxdp_sync_installer_free(struct lbxdp_sync_installer *in)
{
	if (!in)
		return;
	view_free(in);
	sync_put_bpf__destroy(in->skel);
	free(in);
}

static int vip_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct vip_ref *)a)->key,
		      &((const struct vip_ref *)b)->key,
		      sizeof(struct lbxdp_vip_key));
}

static int be_cmp(const void *a, const void *b)
{
	const struct be_ref *x = a, *y = b;

	if (x->vip_id != y->vip_id)
		return x->vip_id < y->vip_id ? -1 : 1;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

/*
 * The records as they are under config.gen @gen: read after it, so that a
 * change made meanwhile moves the gen past it and the next batch reads
 * again. A flow entry carries its backend's gen, which the program checks.
 */
static int view_build(struct lbxdp_ctx *c, struct lbxdp_sync_installer *in,
		      __u32 gen)
{
	__u32 nslots = lbxdp_nbackend_slots(&c->cfg), i;
	struct lbxdp_backend *all = NULL;
	struct lbxdp_vip_key k, nk;
	bool first = true;
	int err;

	view_free(in);
	in->vips = calloc(c->cfg.max_vips ? c->cfg.max_vips : 1,
			  sizeof(*in->vips));
	all = calloc(nslots, sizeof(*all));
	in->bes = calloc(nslots, sizeof(*in->bes));
	if (!in->vips || !all || !in->bes) {
		err = -ENOMEM;
		goto cleanup;
	}
	while (in->nvips < c->cfg.max_vips &&
	       !bpf_map_get_next_key(c->fd[M_VIPS], first ? NULL : &k, &nk)) {
		first = false;
		k = nk;
		if (bpf_map_lookup_elem(c->fd[M_VIPS], &k,
					&in->vips[in->nvips].vip))
			continue; /* deleted meanwhile */
		in->vips[in->nvips++].key = k;
	}
	err = lbxdp_array_read(c->fd[M_BACKENDS], all, nslots);
	if (err)
		goto cleanup;
	for (i = 1; i < nslots; i++) {
		struct be_ref *r = &in->bes[in->nbes];

		if (!(all[i].flags & LBXDP_BE_F_USED))
			continue;
		r->vip_id = all[i].vip_id;
		memcpy(r->addr, all[i].addr, sizeof(r->addr));
		r->id = i;
		r->gen = all[i].gen;
		r->flags = all[i].flags;
		in->nbes++;
	}
	qsort(in->vips, in->nvips, sizeof(*in->vips), vip_cmp);
	qsort(in->bes, in->nbes, sizeof(*in->bes), be_cmp);
	in->gen = gen;
	in->valid = true;
cleanup:
	free(all);
	if (err)
		view_free(in);
	return err;
}

/* How long the program keeps an idle flow of @e's protocol. */
static __u64 flow_timeout(const struct lbxdp_ctx *c,
			  const struct lbxdp_sync_entry *e)
{
	return lbxdp_flow_timeout_ns(&c->cfg, e->vip.proto);
}

/* The installer's program, over the pinned flows and persist maps. */
static int put_load(struct lbxdp_ctx *c, struct lbxdp_sync_installer *in)
{
	int err = lbxdp_ft_writer_load(c, &in->skel);

	if (err)
		in->skel = NULL;
	return err;
}

/* Run the program on the queued entries; count what it did. */
static int put_flush(struct lbxdp_sync_installer *in,
		     struct lbxdp_sync_install_stats *st)
{
	LIBBPF_OPTS(bpf_test_run_opts, o);
	struct lbxdp_sync_put *e = in->skel->bss->put;
	__u32 i;

	if (!in->n)
		return 0;
	in->skel->bss->put_n = in->n;
	if (bpf_prog_test_run_opts(
		    bpf_program__fd(in->skel->progs.lbxdp_sync_put), &o))
		return -errno;
	for (i = 0; i < in->n; i++) {
		if (e[i].result < 0)
			return e[i].result;
		if (!e[i].result)
			st->kept++;
		else if (e[i].persist)
			st->persists++;
		else
			st->flows++;
	}
	in->n = 0;
	return 0;
}

/* Queue a write for put_flush(), flushing a full batch first. */
static int put_queue(struct lbxdp_sync_installer *in, const void *key,
		     size_t ksz, const struct lbxdp_flow *val, bool persist,
		     __u32 vip_id, struct lbxdp_sync_install_stats *st)
{
	struct lbxdp_sync_put *e;
	int err;

	if (in->n == LBXDP_SYNC_PUT_MAX) {
		err = put_flush(in, st);
		if (err)
			return err;
	}
	e = &in->skel->bss->put[in->n++];
	memset(e, 0, sizeof(*e));
	memcpy(&e->key, key, ksz);
	e->val = *val;
	e->persist = persist;
	e->op = LBXDP_PUT_NEWER;
	e->vip_id = vip_id;
	return 0;
}

/* Check @e and queue its entries. */
static int install_one(struct lbxdp_ctx *c, struct lbxdp_sync_installer *in,
		       const struct lbxdp_sync_entry *e, __u64 now_ns,
		       struct lbxdp_sync_install_stats *st)
{
	struct vip_ref vk = {.key = e->vip}, *v;
	struct be_ref bk = {}, *b;
	struct lbxdp_flow val = {};
	__u64 idle = (__u64)e->age_ms * 1000000ULL;
	int err;

	v = bsearch(&vk, in->vips, in->nvips, sizeof(*in->vips), vip_cmp);
	if (!v) {
		st->no_vip++;
		return 0;
	}
	bk.vip_id = v->vip.id;
	memcpy(bk.addr, e->backend, sizeof(bk.addr));
	b = bsearch(&bk, in->bes, in->nbes, sizeof(*in->bes), be_cmp);
	if (!b) {
		st->no_backend++;
		return 0;
	}
	if (b->flags & LBXDP_BE_F_DOWN) {
		st->backend_down++;
		return 0;
	}
	val.backend = b->id;
	val.gen = b->gen;
	/* Seen before this LB's clock began (it booted since): stamped at
	 * the clock's start, to live its timeout from there, a while longer
	 * than on the peer, rather than be lost to a failover. */
	val.last_seen_ns = idle < now_ns ? now_ns - idle : 1;

	if ((e->kind & LBXDP_SYNC_FLOW) && idle > flow_timeout(c, e)) {
		st->expired++;
	} else if (e->kind & LBXDP_SYNC_FLOW) {
		struct lbxdp_flow_key fk = {
			.sport = e->sport,
			.dport = e->dport,
			.proto = e->vip.proto,
			.family = e->vip.family,
		};

		memcpy(fk.src, e->client, sizeof(fk.src));
		memcpy(fk.dst, e->vip.addr, sizeof(fk.dst));
		err = put_queue(in, &fk, sizeof(fk), &val, false, v->vip.id,
				st);
		if (err)
			return err;
		/* The program looks a jet flow up only where told to. */
		if (in->track && fk.proto == IPPROTO_TCP && jet_sched(&v->vip))
			in->track[in->ntrack++] = jet_slot_key(c, &v->vip, &fk);
	}
	if (e->kind & LBXDP_SYNC_PERSIST) {
		struct lbxdp_persist_key pk = {
			.vip_id = v->vip.id,
			.family = e->vip.family,
		};

		if (!v->vip.persist_sec) {
			st->no_persist++;
			return 0;
		}
		if (idle > v->vip.persist_sec * NSEC) {
			st->expired++;
			return 0;
		}
		memcpy(pk.client, e->client, sizeof(pk.client));
		return put_queue(in, &pk, sizeof(pk), &val, true, v->vip.id,
				 st);
	}
	return 0;
}

int lbxdp_sync_install(struct lbxdp_ctx *c, struct lbxdp_sync_installer *in,
		       const struct lbxdp_sync_entry *e, size_t n, __u64 now_ns,
		       struct lbxdp_sync_install_stats *st)
{
	size_t i;
	int err;

	err = lbxdp_config_read(c);
	if (err)
		return err;
	if (!in->valid || in->gen != c->cfg.gen) {
		err = view_build(c, in, c->cfg.gen);
		if (err)
			return err;
	}
	if (!in->skel) {
		if (in->load_err && in->load_gen == c->cfg.gen)
			return in->load_err;
		err = put_load(c, in);
		in->load_err = err;
		in->load_gen = c->cfg.gen;
		if (err)
			return err;
	}
	in->skel->bss->put_now = now_ns; /* the entries' stamps are of it */
	in->n = 0;
	in->ntrack = 0;
	in->track = calloc(n ? n : 1, sizeof(*in->track));
	if (!in->track)
		return -ENOMEM;
	for (i = 0; i < n && !err; i++)
		err = install_one(c, in, &e[i], now_ns, st);
	/* The batch's last entries go after their slots are stamped; a
	 * packet that comes between is placed as the program would. */
	if (!err)
		err = jet_track_keys(c, in->track, in->ntrack, now_ns);
	if (!err)
		err = put_flush(in, st);
	free(in->track);
	in->track = NULL;
	in->n = 0;
	return err;
}
