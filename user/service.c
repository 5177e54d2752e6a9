// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include "log.h"
#include "parse.h"
#include "sched.h"
#include "lbxdp/hash.h"
#include "service.h"

#define NSEC 1000000000ULL

static bool same_addr(const __be32 a[4], const __be32 b[4])
{
	return !memcmp(a, b, 4 * sizeof(__be32));
}

static int read_backends(struct lbxdp_ctx *c, struct lbxdp_backend **out)
{
	__u32 n = lbxdp_nbackend_slots(&c->cfg);
	struct lbxdp_backend *all = calloc(n, sizeof(*all));
	int err;

	if (!all)
		return -ENOMEM;
	err = lbxdp_array_read(c->fd[M_BACKENDS], all, n);
	if (err) {
		p_err("cannot read map backends: %s", strerror(-err));
		free(all);
		return err;
	}
	*out = all;
	return 0;
}

/* Move config.gen: every CPU's copies of the records (flow and VIP memos)
 * made before are void. After the record changes, never before. A failure
 * leaves the record applied: the copies then last until they expire (at
 * most a second), which is said. */
static void bump_gen(struct lbxdp_ctx *c)
{
	struct lbxdp_config cfg;
	int err;

	err = lbxdp_config_read(c);
	if (!err) {
		cfg = c->cfg;
		cfg.gen++;
		err = lbxdp_config_write(c, &cfg);
	}
	if (err)
		p_warn("cannot move config.gen: %s (copies of the old records last up to a second)",
		       strerror(-err));
}

static int write_backend(struct lbxdp_ctx *c, __u32 id,
			 const struct lbxdp_backend *be)
{
	if (bpf_map_update_elem(c->fd[M_BACKENDS], &id, be, BPF_ANY)) {
		p_err("cannot write backend record %u: %s", id,
		      strerror(errno));
		return -errno;
	}
	bump_gen(c);
	return 0;
}

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

static int for_each_vip(struct lbxdp_ctx *c,
			int (*fn)(struct lbxdp_ctx *c,
				  const struct lbxdp_vip_key *key,
				  const struct lbxdp_vip *vip, void *arg),
			void *arg)
{
	struct lbxdp_vip_key key, next;
	struct lbxdp_vip vip;
	const void *prev = NULL;
	int err;

	while (!bpf_map_get_next_key(c->fd[M_VIPS], prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(c->fd[M_VIPS], &key, &vip))
			continue; /* deleted meanwhile */
		err = fn(c, &key, &vip, arg);
		if (err)
			return err;
	}
	return 0;
}

struct vip_scan {
	const struct lbxdp_vip_key *addr_of; /* count VIPs on this address */
	__u32 on_addr;
	__u32 port0; /* services on port 0 */
	__u64 bloom; /* config.addr_bloom of all VIP addresses */
	__u8 *used;  /* [max_vips] */
};

static int scan_vip(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		    const struct lbxdp_vip *vip, void *arg)
{
	struct vip_scan *s = arg;

	if (s->used && vip->id < c->cfg.max_vips)
		s->used[vip->id] = 1;
	if (!key->port)
		s->port0++;
	s->bloom |= 1ULL << lbxdp_addr_bit(key->addr[0]);
	if (s->addr_of && same_addr(key->addr, s->addr_of->addr) &&
	    key->family == s->addr_of->family)
		s->on_addr++;
	return 0;
}

/* vip_addrs holds, per address, how many services use it (frames
 * the program cannot parse to a port are judged by it), config.nport0 how
 * many services are on port 0 and config.addr_bloom which addresses may be
 * VIPs: recounted from
 * vips rather than incremented, so an interrupted writer cannot skew it. */
static int sync_vip_counts(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key)
{
	struct lbxdp_addr_key ak = {.family = key->family};
	struct vip_scan s = {.addr_of = key};
	int err;

	memcpy(ak.addr, key->addr, sizeof(ak.addr));
	err = for_each_vip(c, scan_vip, &s);
	if (err)
		return err;
	if (s.on_addr)
		err = bpf_map_update_elem(c->fd[M_VIP_ADDRS], &ak, &s.on_addr,
					  BPF_ANY);
	else
		err = bpf_map_delete_elem(c->fd[M_VIP_ADDRS], &ak);
	if (err && errno != ENOENT) {
		p_err("cannot update map vip_addrs: %s", strerror(errno));
		return -errno;
	}
	/* The program looks port 0 up only while some service uses it; a
	 * new gen voids every CPU's copies of the VIP records. One write for
	 * all three, and an error if it fails: the port-0 count and the
	 * address filter are not optional, as a gen move alone would be. */
	err = lbxdp_config_read(c);
	if (!err) {
		struct lbxdp_config cfg = c->cfg;

		cfg.nport0 = s.port0;
		cfg.addr_bloom = s.bloom;
		cfg.gen++;
		err = lbxdp_config_write(c, &cfg);
	}
	if (err)
		p_err("cannot update map config: %s", strerror(-err));
	return err;
}

/* Free every record of VIP id @vip_id: at delete, and at add for what a
 * delete that was killed midway left. */
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
		  int sched, __u32 persist_sec)
{
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
	s.used = calloc(c->cfg.max_vips, 1);
	if (!s.used)
		return -ENOMEM;
	err = for_each_vip(c, scan_vip, &s);
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
	if (err) {
		p_err("cannot reset tables of VIP slot %u: %s", id,
		      strerror(-err));
		goto cleanup;
	}

	vip.id = id;
	vip.sched = sched;
	vip.persist_sec = persist_sec;
	/* By id first: no flow can reach it before the key exists. */
	err = write_vip(c, key, &vip, BPF_NOEXIST);
	if (err)
		goto cleanup;
	err = sync_vip_counts(c, key);
	if (err) {
		/* Whole or not at all: recount without it. */
		bpf_map_delete_elem(c->fd[M_VIPS], key);
		sync_vip_counts(c, key);
	}
cleanup:
	free(s.used);
	return err;
}

/*
 * The key goes first: that one write is the delete, for new flows (passed
 * from then on, once the gen move voids the CPUs' copies) and for a killed
 * writer (records of a VIP whose key is gone are orphans, freed by the
 * next gc or when the id is used again). A packet of an established flow
 * is still forwarded to its own server until that server's record is
 * freed, then passed (no key): before or after, never elsewhere. vip_info
 * goes last, as those packets read it while their record lives.
 */
int lbxdp_vip_del(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key)
{
	struct lbxdp_vip vip, off = {};
	int err;

	err = lbxdp_vip_get(c, key, &vip);
	if (err)
		return err;
	if (bpf_map_delete_elem(c->fd[M_VIPS], key)) {
		p_err("cannot delete from map vips: %s", strerror(errno));
		return -errno;
	}
	err = sync_vip_counts(c, key);
	if (!err)
		err = free_backends_of(c, vip.id);
	if (err)
		return err;
	off.id = vip.id;
	bpf_map_update_elem(c->fd[M_VIP_INFO], &vip.id, &off, BPF_ANY);
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

/* A backend that may receive new flows. */
static bool usable(const struct lbxdp_backend *be)
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

/* A VIP's tables, built in memory: checked before any map is written. */
struct tables {
	struct lbxdp_table t;
	__u32 *maglev, *wrr;
};

static void tables_free(struct tables *tb)
{
	free(tb->maglev);
	free(tb->wrr);
	tb->maglev = tb->wrr = NULL;
}

/* Build @vip's tables from the records @all, into @tb (tables_free() it,
 * whatever the result); -E2BIG (unprinted) when the weights give a wrr
 * schedule longer than LBXDP_WRR_MAX, its length in tb->t.wrr_len. */
static int tables_build(struct lbxdp_ctx *c, const struct lbxdp_vip *vip,
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

/* Write @tb into @vip's spare slot, then flip to it. */
static int tables_write(struct lbxdp_ctx *c, const struct lbxdp_vip *vip,
			const struct tables *tb)
{
	__u32 ring = c->cfg.ring_size, slot = 0, next, tidx;
	int err;

	/* The spare slot was live before the previous flip; a packet still
	 * reading it sees the flip count move and reads again (schedule()). */
	bpf_map_lookup_elem(c->fd[M_VIP_SLOT], &vip->id, &slot);
	next = slot + 1; /* a flip count: the program retries across one */
	tidx = vip->id * 2 + (next & 1);
	err = lbxdp_array_fill(c->fd[M_MAGLEV], tidx * ring, tb->maglev, ring);
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

static int rebuild_from(struct lbxdp_ctx *c, const struct lbxdp_vip *vip,
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

struct repair {
	const struct lbxdp_backend *all;
	struct lbxdp_sched_backend *sb;
	bool apply;
	int stale;
};

static int repair_vip(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		      const struct lbxdp_vip *vip, void *arg)
{
	struct repair *r = arg;
	struct lbxdp_table t = {};
	__u32 slot = 0, tidx;
	size_t n;

	n = collect_usable(c, vip->id, r->all, r->sb);
	bpf_map_lookup_elem(c->fd[M_VIP_SLOT], &vip->id, &slot);
	tidx = vip->id * 2 + (slot & 1);
	bpf_map_lookup_elem(c->fd[M_TABLES], &tidx, &t);
	if (t.nbackends == n && t.sig == table_sig(r->sb, n))
		return 0;
	r->stale++;
	/* One VIP that cannot be rebuilt (rebuild_from said why) must not
	 * lock every writer out: the command that fixes it is one of them. */
	if (r->apply && rebuild_from(c, vip, r->all)) {
		char svc[LBXDP_SVC_STRLEN];

		p_warn("the tables of %s still differ from its backends",
		       lbxdp_format_service(key, svc, sizeof(svc)));
	}
	return 0;
}

int lbxdp_repair(struct lbxdp_ctx *c, bool apply)
{
	struct repair r = {.apply = apply};
	struct lbxdp_backend *all = NULL;
	int err;

	r.sb = calloc(c->cfg.max_backends + 1, sizeof(*r.sb));
	if (!r.sb)
		return -ENOMEM;
	err = read_backends(c, &all);
	if (!err) {
		r.all = all;
		err = for_each_vip(c, repair_vip, &r);
	}
	free(all);
	free(r.sb);
	return err ? err : r.stale;
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

static __u32 find_backend(const struct lbxdp_backend *all, __u32 n,
			  __u32 vip_id, const __be32 addr[4])
{
	__u32 i;

	for (i = 1; i < n; i++)
		if ((all[i].flags & LBXDP_BE_F_USED) &&
		    all[i].vip_id == vip_id && same_addr(all[i].addr, addr))
			return i;
	return 0;
}

/*
 * Apply @be at @id, then @vip's tables. The tables are built first, so
 * weights that the wrr schedule cannot take change nothing: -EDOM when
 * this command gave @be's weight (@weight_given: a bad value), -E2BIG when
 * the weights already there are the cause (an up or a revive). The old
 * record is restored if writing the tables fails.
 */
static int commit_backend(struct lbxdp_ctx *c, const struct lbxdp_vip *vip,
			  struct lbxdp_backend *all, __u32 id,
			  const struct lbxdp_backend *be, bool weight_given)
{
	struct lbxdp_backend old = all[id], nb = *be;
	struct tables tb;
	char a[64];
	int err;

	all[id] = nb;
	err = tables_build(c, vip, all, &tb);
	all[id] = old;
	lbxdp_format_addr(be->addr, be->family, a, sizeof(a));
	if (err == -E2BIG && weight_given) {
		p_err("backend %s --weight %u: the weights would give a wrr schedule of %u entries, more than %u: use smaller weights (their ratio is what counts) or --sched mh",
		      a, be->weight, tb.t.wrr_len, LBXDP_WRR_MAX);
		err = -EDOM;
	} else if (err == -E2BIG) {
		p_err("backend %s: with it the weights would give a wrr schedule of %u entries, more than %u: lower a weight first (their ratio is what counts) or use --sched mh",
		      a, tb.t.wrr_len, LBXDP_WRR_MAX);
	}
	if (err)
		goto cleanup;
	err = write_backend(c, id, &nb);
	if (!err) {
		all[id] = nb;
		err = tables_write(c, vip, &tb);
		if (err) {
			write_backend(c, id, &old);
			all[id] = old;
		}
	}
cleanup:
	tables_free(&tb);
	return err;
}

/* A free record for a new backend of VIP @vip_id, or 0; how many records
 * the VIP holds, in @count. */
static __u32 free_record(const struct lbxdp_ctx *c,
			 const struct lbxdp_backend *all, __u32 vip_id,
			 __u32 *count)
{
	__u32 i, id = 0, n = lbxdp_nbackend_slots(&c->cfg);

	*count = 0;
	for (i = 1; i < n; i++) {
		if (!(all[i].flags & LBXDP_BE_F_USED)) {
			if (!id)
				id = i;
		} else if (all[i].vip_id == vip_id) {
			(*count)++;
		}
	}
	return *count < c->cfg.max_backends ? id : 0;
}

int lbxdp_backend_add(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		      const __be32 addr[4], __u32 weight, const __u8 mac[6])
{
	__u32 id, count = 0, n = lbxdp_nbackend_slots(&c->cfg);
	struct lbxdp_backend *all = NULL, be = {};
	char svc[LBXDP_SVC_STRLEN], a[64];
	struct lbxdp_vip vip;
	int err;

	err = lbxdp_vip_get(c, key, &vip);
	if (err)
		return err;
	lbxdp_format_service(key, svc, sizeof(svc));
	lbxdp_format_addr(addr, key->family, a, sizeof(a));
	err = read_backends(c, &all);
	if (err)
		goto cleanup;

	id = find_backend(all, n, vip.id, addr);
	if (id && !(all[id].flags & LBXDP_BE_F_DRAINING)) {
		p_err("backend %s already in %s", a, svc);
		err = -EEXIST;
		goto cleanup;
	}
	if (id) {
		/* Re-adding a draining server revives it, flows and all. */
		be = all[id];
		be.flags &= ~LBXDP_BE_F_DRAINING;
		be.weight = weight;
		memcpy(be.mac, mac, sizeof(be.mac));
		err = commit_backend(c, &vip, all, id, &be, true);
		goto cleanup;
	}

	id = free_record(c, all, vip.id, &count);
	if (!id) {
		/* Drained records whose flows are gone hold room: free them,
		 * only now that it is needed, and look again. */
		free(all);
		all = NULL;
		err = lbxdp_gc(c);
		if (!err)
			err = read_backends(c, &all);
		if (err)
			goto cleanup;
		id = free_record(c, all, vip.id, &count);
	}
	if (count >= c->cfg.max_backends) {
		p_err("cannot add %s: %s has %u backends, its capacity (set at attach with --max-backends)",
		      a, svc, count);
		err = -ENOSPC;
		goto cleanup;
	}
	if (!id) {
		p_err("cannot add %s: no free backend record", a);
		err = -ENOSPC;
		goto cleanup;
	}
	memcpy(be.addr, addr, sizeof(be.addr));
	memcpy(be.mac, mac, sizeof(be.mac));
	be.family = key->family;
	be.vip_id = vip.id;
	be.flags = LBXDP_BE_F_USED;
	be.gen = all[id].gen + 1; /* old flows and persistence don't match */
	be.weight = weight;
	/* The record is free: its counters start again before packets can
	 * reach it, which no one sees if commit_backend() then refuses. */
	err = lbxdp_percpu_zero(c, M_STATS_BACKEND, id,
				sizeof(struct lbxdp_counters));
	if (!err)
		err = commit_backend(c, &vip, all, id, &be, true);
cleanup:
	free(all);
	return err;
}

static int get_backend(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		       const __be32 addr[4], struct lbxdp_vip *vip,
		       struct lbxdp_backend **all, __u32 *id)
{
	char svc[LBXDP_SVC_STRLEN], a[64];
	int err;

	err = lbxdp_vip_get(c, key, vip);
	if (err)
		return err;
	err = read_backends(c, all);
	if (err)
		return err;
	*id = find_backend(*all, lbxdp_nbackend_slots(&c->cfg), vip->id, addr);
	if (*id && !((*all)[*id].flags & LBXDP_BE_F_DRAINING))
		return 0;
	p_err("backend %s not in %s",
	      lbxdp_format_addr(addr, key->family, a, sizeof(a)),
	      lbxdp_format_service(key, svc, sizeof(svc)));
	free(*all);
	*all = NULL;
	return -ENOENT;
}

/* Change an existing backend: weight and MAC as @ch says, then flags. */
static int change_backend(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
			  const __be32 addr[4],
			  const struct lbxdp_backend_change *ch, __u32 set,
			  __u32 clear)
{
	struct lbxdp_backend *all = NULL, be;
	struct lbxdp_vip vip;
	__u32 id;
	int err;

	err = get_backend(c, key, addr, &vip, &all, &id);
	if (err)
		return err;
	be = all[id];
	if (ch->weight >= 0)
		be.weight = ch->weight;
	if (ch->mac)
		memcpy(be.mac, ch->mac, sizeof(be.mac));
	be.flags = (be.flags & ~clear) | set;
	err = commit_backend(c, &vip, all, id, &be, ch->weight >= 0);
	free(all);
	return err;
}

int lbxdp_backend_set(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		      const __be32 addr[4],
		      const struct lbxdp_backend_change *ch)
{
	return change_backend(c, key, addr, ch,
			      ch->up == 0 ? LBXDP_BE_F_DOWN : 0,
			      ch->up > 0 ? LBXDP_BE_F_DOWN : 0);
}

int lbxdp_backend_del(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		      const __be32 addr[4])
{
	const struct lbxdp_backend_change none = {.weight = -1, .up = -1};
	int err = change_backend(c, key, addr, &none, LBXDP_BE_F_DRAINING, 0);

	/* The drain is applied; freeing records is for a later writer too. */
	if (!err && lbxdp_gc(c))
		p_warn("drained records are freed by the next change");
	return err;
}

int lbxdp_flow_count(struct lbxdp_ctx *c, const struct lbxdp_backend *all,
		     __u32 *active, __u32 *refs)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 n = lbxdp_nbackend_slots(&c->cfg), batch = 4096, count, i;
	__u64 now = lbxdp_now_ns(), age, window, tmo;
	struct lbxdp_flow_key *keys = NULL;
	struct lbxdp_flow *vals = NULL;
	struct lbxdp_flow_key in, out;
	bool first = true, done = false;
	int err = 0;

	memset(active, 0, n * sizeof(*active));
	memset(refs, 0, n * sizeof(*refs));
	keys = calloc(batch, sizeof(*keys));
	vals = calloc(batch, sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto cleanup;
	}
	window = (__u64)c->cfg.active_window * NSEC;
	while (!done) {
		count = batch;
		if (bpf_map_lookup_batch(c->fd[M_FLOWS], first ? NULL : &in,
					 &out, keys, vals, &count, &opts)) {
			if (errno != ENOENT) {
				err = -errno;
				p_err("cannot read map flows: %s",
				      strerror(errno));
				goto cleanup;
			}
			done = true;
		}
		first = false;
		in = out;
		for (i = 0; i < count; i++) {
			/* A flow of an earlier holder of the id is not its. */
			if (vals[i].backend >= n ||
			    vals[i].gen != all[vals[i].backend].gen)
				continue;
			age = now > vals[i].last_seen_ns
				      ? now - vals[i].last_seen_ns
				      : 0;
			tmo = (__u64)(keys[i].proto == IPPROTO_TCP
					      ? c->cfg.tcp_timeout
					      : c->cfg.udp_timeout) *
			      NSEC;
			if (age <= tmo)
				refs[vals[i].backend]++;
			if (age <= window)
				active[vals[i].backend]++;
		}
	}
cleanup:
	free(keys);
	free(vals);
	return err;
}

int lbxdp_gc(struct lbxdp_ctx *c)
{
	__u32 i, n = lbxdp_nbackend_slots(&c->cfg);
	__u32 *active = NULL, *refs = NULL;
	struct lbxdp_backend *all = NULL;
	struct vip_scan s = {};
	int err = -ENOMEM;

	active = calloc(n, sizeof(*active));
	refs = calloc(n, sizeof(*refs));
	s.used = calloc(c->cfg.max_vips, 1);
	if (!active || !refs || !s.used)
		goto cleanup;
	err = read_backends(c, &all);
	if (!err)
		err = for_each_vip(c, scan_vip, &s);
	if (!err)
		err = lbxdp_flow_count(c, all, active, refs);
	for (i = 1; i < n && !err; i++) {
		if (!(all[i].flags & LBXDP_BE_F_USED))
			continue;
		/* Orphans of a VIP deleted by a writer that was killed. */
		if (all[i].vip_id >= c->cfg.max_vips ||
		    !s.used[all[i].vip_id] ||
		    ((all[i].flags & LBXDP_BE_F_DRAINING) && !refs[i])) {
			all[i].flags = 0;
			err = write_backend(c, i, &all[i]);
		}
	}
cleanup:
	free(active);
	free(refs);
	free(s.used);
	free(all);
	return err;
}

static int cmp_backend_entry(const void *a, const void *b)
{
	const struct lbxdp_backend_entry *x = a, *y = b;

	if (x->be.vip_id != y->be.vip_id)
		return (x->be.vip_id > y->be.vip_id) -
		       (x->be.vip_id < y->be.vip_id);
	return memcmp(x->be.addr, y->be.addr, sizeof(x->be.addr));
}

int lbxdp_backend_list(struct lbxdp_ctx *c, int vip_id,
		       struct lbxdp_backend_entry **out, size_t *nout)
{
	__u32 i, n = lbxdp_nbackend_slots(&c->cfg);
	struct lbxdp_backend_entry *v = NULL;
	__u32 *active = NULL, *refs = NULL;
	struct lbxdp_backend *all = NULL;
	size_t k = 0;
	int err = -ENOMEM;

	active = calloc(n, sizeof(*active));
	refs = calloc(n, sizeof(*refs));
	v = calloc(n, sizeof(*v));
	if (!active || !refs || !v)
		goto cleanup;
	err = read_backends(c, &all);
	if (!err)
		err = lbxdp_flow_count(c, all, active, refs);
	if (err)
		goto cleanup;
	for (i = 1; i < n; i++) {
		if (!(all[i].flags & LBXDP_BE_F_USED) ||
		    (vip_id >= 0 && all[i].vip_id != (__u32)vip_id))
			continue;
		v[k].id = i;
		v[k].be = all[i];
		v[k].active = active[i];
		v[k].flows = refs[i];
		lbxdp_percpu_sum(c, M_STATS_BACKEND, i, (__u64 *)&v[k].ctr,
				 sizeof(v[k].ctr) / sizeof(__u64));
		k++;
	}
	qsort(v, k, sizeof(*v), cmp_backend_entry);
	*out = v;
	*nout = k;
	v = NULL;
cleanup:
	free(active);
	free(refs);
	free(all);
	free(v);
	return err;
}
