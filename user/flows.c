// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The flow table from user space: read through an mmap, written through
 * bpf/sync_put.bpf.c; flows per backend, and freeing finished drains. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "lbxdp/flowtab.h"
#include "log.h"
#include "records.h"
#include "jet.h"
#include "sync_put.skel.h"

#define NSEC 1000000000ULL
/* A reader waits this many tries for a writer of a bucket (a program,
 * which holds it for a few dozen instructions), yielding between. */
#define READ_TRIES 1000

/*
 * The flows map is a table of buckets (lbxdp/flowtab.h,
 * docs/flow-table.md): read here through a read-only mmap under the
 * buckets' seq, written only by bpf/sync_put.bpf.c, for a writer that a
 * signal stops half way must not leave a bucket held. A flow entry keeps
 * its VIP's id and its backend's gen in 16 bits: the key's VIP address,
 * port and protocol come from the VIP records, the gen's upper bits from
 * the backend's (so that it equals the record's gen exactly when the
 * program would take the entry for the record's).
 */

void lbxdp_flows_unmap(struct lbxdp_ctx *c)
{
	if (c->ft)
		munmap((void *)c->ft, c->ft_len);
	c->ft = NULL;
	sync_put_bpf__destroy(c->ftw);
	c->ftw = NULL;
}

static int ft_map(struct lbxdp_ctx *c)
{
	long page = sysconf(_SC_PAGESIZE);
	void *m;

	if (c->ft)
		return 0;
	if (c->cfg.ft_nbuckets < 2)
		return -EINVAL;
	c->ft_len = ((size_t)c->cfg.ft_nbuckets * sizeof(*c->ft) + page - 1) /
		    page * page;
	m = mmap(NULL, c->ft_len, PROT_READ, MAP_SHARED, c->fd[M_FLOWS], 0);
	if (m == MAP_FAILED)
		return -errno;
	c->ft = m;
	return 0;
}

/*
 * Buckets @idx[0..n-1] (@n 1 or 2) read as one, no writer holding any of
 * them meanwhile: a flow's pair so read, as the program reads it, holds a
 * flow that a move takes from one to the other (written into one, then
 * freed in the other, both held) before or after it.
 */
static int read_buckets(const struct lbxdp_ctx *c, const __u32 *idx, int n,
			struct lbxdp_ft_bucket *out)
{
	__u32 s[2];
	int t, i;
	bool ok;

	for (t = 0; t < READ_TRIES; t++) {
		ok = true;
		for (i = 0; i < n; i++) {
			s[i] = __atomic_load_n(&c->ft[idx[i]].seq,
					       __ATOMIC_ACQUIRE);
			ok = ok && !(s[i] & 1);
		}
		if (ok) {
			for (i = 0; i < n; i++)
				memcpy(&out[i], (const void *)&c->ft[idx[i]],
				       sizeof(out[i]));
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			for (i = 0; i < n; i++)
				ok = ok &&
				     __atomic_load_n(&c->ft[idx[i]].seq,
						     __ATOMIC_RELAXED) == s[i];
			if (ok)
				return 0;
		}
		sched_yield();
	}
	return -EBUSY;
}

/* Bucket @i as a whole, no writer holding it meanwhile. */
static int read_bucket(const struct lbxdp_ctx *c, __u32 i,
		       struct lbxdp_ft_bucket *out)
{
	return read_buckets(c, &i, 1, out);
}

int lbxdp_ft_writer_load(struct lbxdp_ctx *c, struct sync_put_bpf **out)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = c->pin_dir);
	struct sync_put_bpf *s;
	int err;

	s = sync_put_bpf__open_opts(&oo);
	if (!s) {
		err = -errno;
		goto fail;
	}
	err = bpf_map__set_max_entries(s->maps.flows, c->cfg.ft_nbuckets);
	if (!err)
		err = bpf_map__set_max_entries(
			s->maps.flow_tags, lbxdp_ft_ntags(c->cfg.ft_nbuckets));
	if (!err)
		err = bpf_map__set_max_entries(s->maps.persist, c->cfg.persist);
	if (!err)
		err = sync_put_bpf__load(s);
	if (err)
		goto fail;
	s->bss->ft_nb = c->cfg.ft_nbuckets;
	s->bss->ft_seed = c->cfg.ft_seed;
	*out = s;
	return 0;
fail:
	p_err("cannot load the flow table's writer: %s", strerror(-err));
	sync_put_bpf__destroy(s);
	return err;
}

#define RETAG_CHUNK 65536U
#define RETAG_TRIES 8

/*
 * Tags every way of the table from what it holds (lbxdp/flowtab.h), for
 * the ways a program without tags wrote: each bucket under its seq, by
 * the writer, a chunk of buckets a run. -EBUSY if a writer held some
 * bucket through every try.
 */
int lbxdp_ft_retag(struct lbxdp_ctx *c)
{
	LIBBPF_OPTS(bpf_test_run_opts, o);
	__u32 nb = c->cfg.ft_nbuckets, at, t;
	int err, fd;

	if (!c->ftw) {
		err = lbxdp_ft_writer_load(c, &c->ftw);
		if (err)
			return err;
	}
	fd = bpf_program__fd(c->ftw->progs.lbxdp_ft_retag);
	for (at = 0; at < nb; at += RETAG_CHUNK) {
		c->ftw->bss->retag_from = at;
		c->ftw->bss->retag_n =
			nb - at < RETAG_CHUNK ? nb - at : RETAG_CHUNK;
		for (t = 0; t < RETAG_TRIES; t++) {
			if (bpf_prog_test_run_opts(fd, &o))
				return -errno;
			if (!c->ftw->bss->retag_busy)
				break;
			sched_yield();
		}
		if (t == RETAG_TRIES)
			return -EBUSY;
	}
	return 0;
}

/* The id of the VIP of flow @k: its port's service, else its port 0's;
 * -ENOENT, unprinted, for none. */
static int vip_of(struct lbxdp_ctx *c, const struct lbxdp_flow_key *k,
		  __u32 *id)
{
	struct lbxdp_vip_key vk = {
		.port = k->dport, .proto = k->proto, .family = k->family};
	struct lbxdp_vip v;

	memcpy(vk.addr, k->dst, sizeof(vk.addr));
	if (bpf_map_lookup_elem(c->fd[M_VIPS], &vk, &v)) {
		vk.port = 0;
		if (bpf_map_lookup_elem(c->fd[M_VIPS], &vk, &v))
			return -errno;
	}
	*id = v.id;
	return 0;
}

/* Runs @n writes queued in c->ftw's batch; the first error but @ok (0:
 * none), which a writer may meet on some entries and still be done. */
static int ft_write_some(struct lbxdp_ctx *c, __u32 n, int ok)
{
	LIBBPF_OPTS(bpf_test_run_opts, o);
	struct lbxdp_sync_put *e;
	__u32 i;
	int err;

	if (!c->ftw) {
		err = lbxdp_ft_writer_load(c, &c->ftw);
		if (err)
			return err;
	}
	c->ftw->bss->put_n = n;
	c->ftw->bss->put_now = lbxdp_prog_now(c);
	if (bpf_prog_test_run_opts(
		    bpf_program__fd(c->ftw->progs.lbxdp_sync_put), &o))
		return -errno;
	e = c->ftw->bss->put;
	for (i = 0; i < n; i++)
		if (e[i].result < 0 && !(ok && e[i].result == ok))
			return e[i].result;
	return 0;
}

static int ft_write(struct lbxdp_ctx *c, __u32 n)
{
	return ft_write_some(c, n, 0);
}

/* Queues write @op of flow @k, @v as slot @i of the writer's batch; its
 * VIP's id *@vip_id, or looked up if that is NULL. */
static int ft_queue_vip(struct lbxdp_ctx *c, __u32 i, __u32 op,
			const struct lbxdp_flow_key *k,
			const struct lbxdp_flow *v, const __u32 *vip_id)
{
	struct lbxdp_sync_put *e;
	int err;

	if (!c->ftw) {
		err = lbxdp_ft_writer_load(c, &c->ftw);
		if (err)
			return err;
	}
	e = &c->ftw->bss->put[i];
	memset(e, 0, sizeof(*e));
	if (vip_id) {
		e->vip_id = *vip_id;
	} else {
		err = vip_of(c, k, &e->vip_id);
		if (err)
			return err;
	}
	e->op = op;
	e->key = *k;
	if (v)
		e->val = *v;
	return 0;
}

static int ft_queue(struct lbxdp_ctx *c, __u32 i, __u32 op,
		    const struct lbxdp_flow_key *k, const struct lbxdp_flow *v)
{
	return ft_queue_vip(c, i, op, k, v, NULL);
}

/* The way of @k's flow, copied out; -ENOENT if none. */
static int ft_lookup(struct lbxdp_ctx *c, const struct lbxdp_flow_key *k,
		     struct lbxdp_ft_way *out)
{
	struct lbxdp_ft_way key = {
		.saddr = k->src[0], .sport = k->sport, .dport = k->dport};
	struct lbxdp_ft_bucket b[2];
	__u32 idx[2], id, i, j;
	int err;

	err = vip_of(c, k, &id);
	if (!err)
		err = ft_map(c);
	if (err)
		return err;
	key.vip = (__u16)id;
	lbxdp_ft_pair(&key, c->cfg.ft_seed, c->cfg.ft_nbuckets, idx);
	err = read_buckets(c, idx, 2, b);
	if (err)
		return err;
	for (i = 0; i < 2; i++) {
		for (j = 0; j < LBXDP_FT_WAYS; j++) {
			if (b[i].w[j].seen && lbxdp_ft_same(&b[i].w[j], &key)) {
				*out = b[i].w[j];
				return 0;
			}
		}
	}
	return -ENOENT;
}

/* A way's value as user space names it at the program's time @now; @be_gen
 * the gen of its backend's record now. */
static void way_val(const struct lbxdp_ft_way *w, __u32 be_gen, __u64 now,
		    struct lbxdp_flow *v)
{
	v->backend = w->backend;
	v->gen = (be_gen & 0xffff0000U) | w->gen;
	v->last_seen_ns = lbxdp_ft_seen_ns(w->seen, now);
}

static __u32 record_gen(struct lbxdp_ctx *c, __u32 id)
{
	struct lbxdp_backend be = {};

	bpf_map_lookup_elem(c->fd[M_BACKENDS], &id, &be);
	return be.gen;
}

int lbxdp_flow_get(struct lbxdp_ctx *c, const struct lbxdp_flow_key *k,
		   struct lbxdp_flow *v)
{
	struct lbxdp_ft_way w;
	int err = ft_lookup(c, k, &w);

	if (!err)
		way_val(&w, record_gen(c, w.backend), lbxdp_prog_now(c), v);
	return err;
}

int lbxdp_flow_put(struct lbxdp_ctx *c, const struct lbxdp_flow_key *k,
		   const struct lbxdp_flow *v, __u64 flags)
{
	__u32 op = flags == BPF_NOEXIST ? LBXDP_PUT_NOEXIST
		   : flags == BPF_EXIST ? LBXDP_PUT_EXIST
					: LBXDP_PUT_ANY;
	int err = ft_queue(c, 0, op, k, v);

	return err ? err : ft_write(c, 1);
}

int lbxdp_flow_del(struct lbxdp_ctx *c, const struct lbxdp_flow_key *k,
		   struct lbxdp_flow *old)
{
	struct lbxdp_flow v = {};
	struct lbxdp_ft_way w;
	int err, t;

	/* The entry read, then deleted only as read: one the program
	 * rewrote meanwhile is read again. */
	for (t = 0; t < READ_TRIES; t++) {
		err = ft_lookup(c, k, &w);
		if (err)
			return err;
		v.last_seen_ns = lbxdp_ft_seen_ns(w.seen, lbxdp_prog_now(c));
		err = ft_queue(c, 0, LBXDP_PUT_DEL, k, &v);
		if (!err)
			err = ft_write(c, 1);
		if (err != -ENOENT)
			break;
	}
	if (!err && old)
		way_val(&w, record_gen(c, w.backend), lbxdp_prog_now(c), old);
	return err;
}

int lbxdp_flow_del_if(struct lbxdp_ctx *c, const struct lbxdp_flow_key *k,
		      __u64 seen_ns)
{
	/* 0 says any stamp to LBXDP_PUT_DEL; 1 ns is in the same unit. */
	struct lbxdp_flow v = {.last_seen_ns = seen_ns ? seen_ns : 1};
	int err = ft_queue(c, 0, LBXDP_PUT_DEL, k, &v);

	return err ? err : ft_write(c, 1);
}

/* Whether flows @a and @b are of one service port (one VIP lookup). */
static bool same_service(const struct lbxdp_flow_key *a,
			 const struct lbxdp_flow_key *b)
{
	return !memcmp(a->dst, b->dst, sizeof(a->dst)) &&
	       a->dport == b->dport && a->proto == b->proto &&
	       a->family == b->family;
}

int lbxdp_flows_put_many(struct lbxdp_ctx *c, const struct lbxdp_flow_key *keys,
			 const struct lbxdp_flow *vals, __u32 n, __u64 flags)
{
	__u32 op = flags == BPF_NOEXIST		? LBXDP_PUT_NOEXIST
		   : flags == LBXDP_FLOWS_NEWER ? LBXDP_PUT_NEWER
						: LBXDP_PUT_ANY;
	__u32 i, q = 0, id = 0;
	int err = 0;

	for (i = 0; i < n && !err; i++) {
		/* The VIP looked up once for a run of flows of one port. */
		if (!i || !same_service(&keys[i], &keys[i - 1]))
			err = vip_of(c, &keys[i], &id);
		if (!err)
			err = ft_queue_vip(c, q, op, &keys[i], &vals[i], &id);
		if (!err)
			q++;
		if (!err && (q == LBXDP_SYNC_PUT_MAX || i + 1 == n)) {
			err = ft_write_some(
				c, q, op == LBXDP_PUT_NOEXIST ? -EEXIST : 0);
			q = 0;
		}
	}
	return err;
}

/* The VIP key of each VIP id, and each backend's gen: a walk's names. */
struct lbxdp_walk_names {
	struct lbxdp_vip_key *vk; /* by id; family 0: none */
	struct lbxdp_backend *all;
	__u32 nvips, nbe;
};

static int name_vip(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		    const struct lbxdp_vip *vip, void *arg)
{
	struct lbxdp_walk_names *n = arg;

	if (vip->id < n->nvips)
		n->vk[vip->id] = *key;
	return 0;
}

static void names_free(struct lbxdp_walk_names *n)
{
	if (!n)
		return;
	free(n->vk);
	free(n->all);
	free(n);
}

static int names_read(struct lbxdp_ctx *c, struct lbxdp_walk_names **out)
{
	struct lbxdp_walk_names *n = calloc(1, sizeof(*n));
	int err = -ENOMEM;

	if (!n)
		goto cleanup;
	n->nvips = c->cfg.max_vips;
	n->nbe = lbxdp_nbackend_slots(&c->cfg);
	n->vk = calloc(n->nvips ? n->nvips : 1, sizeof(*n->vk));
	if (!n->vk)
		goto cleanup;
	err = for_each_vip(c, name_vip, n);
	if (!err)
		err = read_backends(c, &n->all);
	if (!err) {
		*out = n;
		return 0;
	}
cleanup:
	names_free(n);
	return err;
}

void lbxdp_flows_walk_end(struct lbxdp_flow_walk *w)
{
	names_free(w->names);
	memset(w, 0, sizeof(*w));
}

/* Way @w of a walk as user space names it; false if free or its VIP is
 * gone. */
static bool way_named(const struct lbxdp_walk_names *n,
		      const struct lbxdp_ft_way *w, __u64 now,
		      struct lbxdp_flow_key *k, struct lbxdp_flow *v)
{
	const struct lbxdp_vip_key *vk;

	if (!w->seen || w->vip >= n->nvips)
		return false;
	vk = &n->vk[w->vip];
	if (!vk->family) /* a VIP deleted since */
		return false;
	memset(k, 0, sizeof(*k));
	k->src[0] = w->saddr;
	memcpy(k->dst, vk->addr, sizeof(k->dst));
	k->sport = w->sport;
	k->dport = w->dport;
	k->proto = vk->proto;
	k->family = vk->family;
	way_val(w, w->backend < n->nbe ? n->all[w->backend].gen : 0, now, v);
	return true;
}

/* A walk's callback, with the names it read and the way's VIP id. */
typedef int (*way_fn)(const struct lbxdp_walk_names *n, __u32 vip,
		      const struct lbxdp_flow_key *k,
		      const struct lbxdp_flow *v, void *arg);

static int walk_step(struct lbxdp_ctx *c, struct lbxdp_flow_walk *w, __u32 max,
		     way_fn fn, void *arg)
{
	__u32 nb = c->cfg.ft_nbuckets, end, i, j, zero = 0;
	__u64 now = lbxdp_prog_now(c);
	struct lbxdp_config cfg;
	struct lbxdp_ft_bucket b;
	int err;

	err = ft_map(c);
	if (!err && bpf_map_lookup_elem(c->fd[M_CONFIG], &zero, &cfg))
		err = -errno;
	/* The names of a step before stand while no record changed. */
	if (!err && (!w->names || w->gen != cfg.gen)) {
		names_free(w->names);
		w->names = NULL;
		w->gen = cfg.gen;
		err = names_read(c, &w->names);
	}
	if (err) {
		p_err("cannot read map flows: %s", strerror(-err));
		goto cleanup;
	}
	end = w->at + (max / LBXDP_FT_WAYS ? max / LBXDP_FT_WAYS : 1);
	if (end > nb || end < w->at)
		end = nb;
	for (i = w->at; i < end && !err; i++) {
		err = read_bucket(c, i, &b);
		if (err)
			p_err("cannot read map flows: bucket %u held by a writer",
			      i);
		for (j = 0; j < LBXDP_FT_WAYS && !err; j++) {
			struct lbxdp_flow_key k;
			struct lbxdp_flow v;

			if (way_named(w->names, &b.w[j], now, &k, &v))
				err = fn(w->names, b.w[j].vip, &k, &v, arg);
		}
		if (c->walk_hook && !err)
			c->walk_hook(c, i);
	}
	w->at = i;
	if (!err && i < nb)
		return 0;
cleanup:
	lbxdp_flows_walk_end(w);
	return err ? err : 1;
}

struct fn_arg {
	flow_fn fn;
	void *arg;
};

static int call_fn(const struct lbxdp_walk_names *n, __u32 vip,
		   const struct lbxdp_flow_key *k, const struct lbxdp_flow *v,
		   void *arg)
{
	const struct fn_arg *a = arg;

	return a->fn(k, v, a->arg);
}

int lbxdp_flows_walk_step(struct lbxdp_ctx *c, struct lbxdp_flow_walk *w,
			  __u32 max, flow_fn fn, void *arg)
{
	struct fn_arg a = {.fn = fn, .arg = arg};

	return walk_step(c, w, max, call_fn, &a);
}

static int walk_ways(struct lbxdp_ctx *c, way_fn fn, void *arg)
{
	struct lbxdp_flow_walk w = {};
	int r;

	do
		r = walk_step(c, &w, 4096 * LBXDP_FT_WAYS, fn, arg);
	while (!r);
	return r < 0 ? r : 0;
}

int lbxdp_flows_walk(struct lbxdp_ctx *c, flow_fn fn, void *arg)
{
	struct fn_arg a = {.fn = fn, .arg = arg};

	return walk_ways(c, call_fn, &a);
}

struct flow_list {
	const struct lbxdp_ctx *c;
	int vip_id;
	__u32 backend;
	__u64 now;
	flow_entry_fn fn;
	void *arg;
};

static int list_one(const struct lbxdp_walk_names *n, __u32 vip,
		    const struct lbxdp_flow_key *k, const struct lbxdp_flow *v,
		    void *arg)
{
	const struct flow_list *fl = arg;
	const struct lbxdp_backend *be;
	struct lbxdp_flow_entry e = {};

	if ((fl->vip_id >= 0 && vip != (__u32)fl->vip_id) ||
	    (fl->backend && v->backend != fl->backend) || v->backend >= n->nbe)
		return 0;
	/* As the program takes it: an entry of the record's holder now. */
	be = &n->all[v->backend];
	if (!(be->flags & LBXDP_BE_F_USED) || v->gen != be->gen)
		return 0;
	e.idle_ns = fl->now > v->last_seen_ns ? fl->now - v->last_seen_ns : 0;
	e.timeout_ns = lbxdp_flow_timeout_ns(&fl->c->cfg, k->proto);
	if (e.idle_ns > e.timeout_ns)
		return 0;
	e.svc = n->vk[vip];
	e.key = *k;
	e.backend = v->backend;
	memcpy(e.server, be->addr, sizeof(e.server));
	return fl->fn(&e, fl->arg);
}

int lbxdp_flow_list(struct lbxdp_ctx *c, int vip_id, __u32 backend,
		    flow_entry_fn fn, void *arg)
{
	struct flow_list fl = {
		.c = c,
		.vip_id = vip_id,
		.backend = backend,
		.now = lbxdp_prog_now(c),
		.fn = fn,
		.arg = arg,
	};

	return walk_ways(c, list_one, &fl);
}

int lbxdp_flows_clear(struct lbxdp_ctx *c)
{
	__u32 i, j, q = 0;
	struct lbxdp_ft_bucket b;
	int err = ft_map(c);

	if (!err && !c->ftw)
		err = lbxdp_ft_writer_load(c, &c->ftw);
	/* By way, not by key: a deleted VIP's flows go too. */
	for (i = 0; i < c->cfg.ft_nbuckets && !err; i++) {
		err = read_bucket(c, i, &b);
		for (j = 0; j < LBXDP_FT_WAYS && !err; j++) {
			struct lbxdp_sync_put *e = &c->ftw->bss->put[q];

			if (!b.w[j].seen)
				continue;
			memset(e, 0, sizeof(*e));
			e->op = LBXDP_PUT_DEL; /* last_seen_ns 0: any */
			e->key.src[0] = b.w[j].saddr;
			e->key.sport = b.w[j].sport;
			e->key.dport = b.w[j].dport;
			e->vip_id = b.w[j].vip;
			/* A flow gone meanwhile is cleared: -ENOENT is no
			 * error, in any entry of the batch. */
			if (++q == LBXDP_SYNC_PUT_MAX) {
				err = ft_write_some(c, q, -ENOENT);
				q = 0;
			}
		}
	}
	if (!err && q)
		err = ft_write_some(c, q, -ENOENT);
	return err;
}

struct flow_count {
	const struct lbxdp_ctx *c;
	const struct lbxdp_backend *all;
	__u32 *active, *refs, n;
	__u64 now;
};

static int count_one(const struct lbxdp_flow_key *k, const struct lbxdp_flow *v,
		     void *arg)
{
	struct flow_count *fc = arg;
	__u64 age, tmo;

	/* A flow of an earlier holder of the id is not its. */
	if (v->backend >= fc->n || v->gen != fc->all[v->backend].gen)
		return 0;
	age = fc->now > v->last_seen_ns ? fc->now - v->last_seen_ns : 0;
	tmo = lbxdp_flow_timeout_ns(&fc->c->cfg, k->proto);
	if (age <= tmo)
		fc->refs[v->backend]++;
	if (age <= (__u64)fc->c->cfg.active_window * NSEC)
		fc->active[v->backend]++;
	return 0;
}

int lbxdp_flow_count(struct lbxdp_ctx *c, const struct lbxdp_backend *all,
		     __u32 *active, __u32 *refs)
{
	struct flow_count fc = {
		.c = c,
		.all = all,
		.active = active,
		.refs = refs,
		.n = lbxdp_nbackend_slots(&c->cfg),
		.now = lbxdp_prog_now(c),
	};

	memset(active, 0, fc.n * sizeof(*active));
	memset(refs, 0, fc.n * sizeof(*refs));
	return lbxdp_flows_walk(c, count_one, &fc);
}

/* Whether a drained record of @all has no live flow in @refs. */
static bool gc_unused_drain(const struct lbxdp_backend *all, const __u32 *refs,
			    __u32 n)
{
	__u32 i;

	for (i = 1; i < n; i++)
		if ((all[i].flags & LBXDP_BE_F_USED) &&
		    (all[i].flags & LBXDP_BE_F_DRAINING) && !refs[i])
			return true;
	return false;
}

int lbxdp_gc(struct lbxdp_ctx *c)
{
	__u32 i, n = lbxdp_nbackend_slots(&c->cfg);
	__u32 *active = NULL, *refs = NULL, *refs2 = NULL;
	struct lbxdp_backend *all = NULL;
	struct vip_scan s = {};
	int err = -ENOMEM;

	active = calloc(n, sizeof(*active));
	refs = calloc(n, sizeof(*refs));
	if (!active || !refs)
		goto cleanup;
	err = vip_scan(c, &s);
	if (!err)
		err = read_backends(c, &all);
	if (!err)
		err = lbxdp_flow_count(c, all, active, refs);
	/* And flows without an entry, on a slot's base (jet.h): TCP only. */
	for (i = 0; i < c->cfg.max_vips && !err; i++)
		if (s.used[i] & VIP_TCP)
			err = jet_bases(c, i, refs, n);
	/*
	 * A walk reads bucket by bucket, so a flow that a put moves from a
	 * bucket not read yet to one read already is not seen. A drained
	 * record is freed only if a second walk sees no flow of it either:
	 * its flow would have had to move so twice. (The slots' bases do
	 * not move: counted once.)
	 */
	if (!err && gc_unused_drain(all, refs, n)) {
		refs2 = calloc(n, sizeof(*refs2));
		err = refs2 ? lbxdp_flow_count(c, all, active, refs2) : -ENOMEM;
		for (i = 0; i < n && !err; i++)
			refs[i] += refs2[i];
	}
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
	free(refs2);
	free(s.used);
	free(all);
	return err;
}
