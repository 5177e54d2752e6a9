// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Backends of a virtual service: add, set, del, list (service.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "log.h"
#include "parse.h"
#include "records.h"

__u32 find_backend(const struct lbxdp_backend *all, __u32 n, __u32 vip_id,
		   const __be32 addr[4])
{
	__u32 i;

	for (i = 1; i < n; i++)
		if ((all[i].flags & LBXDP_BE_F_USED) &&
		    all[i].vip_id == vip_id && same_addr(all[i].addr, addr))
			return i;
	return 0;
}

/*
 * Apply @be at @id, and @vip's tables. The tables are built first, so
 * weights that the wrr schedule cannot take change nothing: -EDOM when
 * this command gave @be's weight (@weight_given: a bad value), -E2BIG when
 * the weights already there are the cause (an up or a revive).
 *
 * The order keeps every packet that another server could take: a change
 * that takes the server out of the schedule (down, drain, weight 0) flips
 * the tables without it first and marks the record after, since a new
 * flow that a table still sends to a record already marked would be
 * dropped; any other change writes the record first, so a table never
 * names a record that cannot take its flows. Either way, a failure puts
 * back what was written.
 */
int commit_backend(struct lbxdp_ctx *c, const struct lbxdp_vip *vip,
		   struct lbxdp_backend *all, __u32 id,
		   const struct lbxdp_backend *be, bool weight_given)
{
	struct lbxdp_backend old = all[id], nb = *be;
	bool leaves = usable(&old) && !usable(&nb);
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
	if (leaves) {
		err = tables_write(c, vip, &tb);
		if (err)
			goto cleanup;
		err = write_backend(c, id, &nb);
		if (err)
			rebuild_from(c, vip, all); /* all[id] is still old */
		else
			all[id] = nb;
		goto cleanup;
	}
	err = write_backend(c, id, &nb);
	if (err)
		goto cleanup;
	all[id] = nb;
	err = tables_write(c, vip, &tb);
	if (err) {
		write_backend(c, id, &old);
		all[id] = old;
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

/*
 * Backend @be at @id with its meta @m (m->gen set here): the meta first,
 * for the record's gen, so that a writer killed between them leaves a meta
 * no record has (read as zero) or one the record already had (a revive);
 * the next add at @id writes its own. Put back when the record is refused.
 */
static int commit_added(struct lbxdp_ctx *c, const struct lbxdp_vip *vip,
			struct lbxdp_backend *all, __u32 id,
			const struct lbxdp_backend *be,
			struct lbxdp_backend_meta *m)
{
	struct lbxdp_backend_meta old = {};
	bool had = c->fd[M_BACKEND_META] >= 0 &&
		   !bpf_map_lookup_elem(c->fd[M_BACKEND_META], &id, &old);
	int err;

	m->gen = be->gen;
	err = write_backend_meta(c, id, m);
	if (!err)
		err = commit_backend(c, vip, all, id, be, true);
	if (err && had)
		bpf_map_update_elem(c->fd[M_BACKEND_META], &id, &old, BPF_ANY);
	return err;
}

int lbxdp_backend_add(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		      const __be32 addr[4], __u32 weight, const __u8 mac[6],
		      __u8 owner)
{
	__u32 id, count = 0, n = lbxdp_nbackend_slots(&c->cfg);
	struct lbxdp_backend_meta meta = {.owner = owner};
	struct lbxdp_backend *all = NULL, be = {};
	char svc[LBXDP_SVC_STRLEN], a[64];
	struct lbxdp_vip vip;
	int err;

	err = lbxdp_vip_get(c, key, &vip);
	if (err)
		return err;
	lbxdp_format_service(key, svc, sizeof(svc));
	lbxdp_format_addr(addr, key->family, a, sizeof(a));
	if (owner != LBXDP_OWNER_CLI) {
		if (c->fd[M_BACKEND_META] < 0)
			return meta_missing(c, M_BACKEND_META);
		meta.cfg_weight = weight;
	}
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
		/* A new owner, and no override of its previous life. */
		err = commit_added(c, &vip, all, id, &be, &meta);
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
		err = commit_added(c, &vip, all, id, &be, &meta);
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

int lbxdp_backend_find(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		       const __be32 addr[4], __u32 *id)
{
	struct lbxdp_backend *all = NULL;
	struct lbxdp_vip vip;
	int err;

	if (bpf_map_lookup_elem(c->fd[M_VIPS], key, &vip))
		return -ENOENT;
	err = read_backends(c, &all);
	if (err)
		return err;
	*id = find_backend(all, lbxdp_nbackend_slots(&c->cfg), vip.id, addr);
	free(all);
	return *id ? 0 : -ENOENT;
}

int lbxdp_backend_set_op(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
			 const __be32 addr[4],
			 const struct lbxdp_backend_change *ch)
{
	struct lbxdp_backend_meta m, old;
	struct lbxdp_backend be;
	__u32 id;
	int err;

	/* Not the daemon's (or not there: said by lbxdp_backend_set()). */
	if (lbxdp_backend_find(c, key, addr, &id) ||
	    lbxdp_backend_get(c, id, &be, &m, NULL) ||
	    m.owner != LBXDP_OWNER_DAEMON || (be.flags & LBXDP_BE_F_DRAINING))
		return lbxdp_backend_set(c, key, addr, ch);
	old = m;
	if (ch->up == 0)
		m.op = (m.op & ~LBXDP_OP_UP) | LBXDP_OP_DOWN;
	else if (ch->up > 0)
		m.op = (m.op & ~LBXDP_OP_DOWN) | LBXDP_OP_UP;
	if (ch->weight >= 0) {
		m.op |= LBXDP_OP_WEIGHT;
		m.op_weight = ch->weight;
	}
	/* The override first: killed before the record, the next writer's
	 * repair applies it (and the daemon holds to it anyway). */
	err = write_backend_meta(c, id, &m);
	if (!err)
		err = lbxdp_backend_set(c, key, addr, ch);
	if (err)
		write_backend_meta(c, id, &old);
	return err;
}

int lbxdp_backend_auto(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		       const __be32 addr[4])
{
	struct lbxdp_backend *all = NULL;
	struct lbxdp_backend_meta m;
	char svc[LBXDP_SVC_STRLEN], a[64];
	struct lbxdp_vip vip;
	__u32 id;
	int err;

	err = get_backend(c, key, addr, &vip, &all, &id);
	if (err)
		return err;
	free(all);
	lbxdp_format_addr(addr, key->family, a, sizeof(a));
	lbxdp_format_service(key, svc, sizeof(svc));
	err = lbxdp_backend_get(c, id, NULL, &m, NULL);
	if (!err && m.owner != LBXDP_OWNER_DAEMON) {
		p_err("backend %s of %s is not checked by lbxdp daemon (the CLI added it): --auto hands a server of the daemon's configuration back to its checks",
		      a, svc);
		return -EINVAL;
	}
	if (err || !m.op)
		return err;
	m.op = 0;
	m.op_weight = 0;
	err = write_backend_meta(c, id, &m);
	/* The daemon looks for changes by config.gen: move it, so that it
	 * applies the checks' view at once. */
	if (!err)
		bump_gen(c);
	return err;
}

int lbxdp_backend_del(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		      const __be32 addr[4])
{
	const struct lbxdp_backend_change none = {.weight = -1, .up = -1};

	/* The record is freed when its flows are gone, by backend list or
	 * an add that needs the room: freeing it here would make one change
	 * of two writes, half done when killed between them. */
	return change_backend(c, key, addr, &none, LBXDP_BE_F_DRAINING, 0);
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
		lbxdp_backend_get(c, i, NULL, &v[k].meta, &v[k].health);
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
