// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The records (vips, backends, config's knobs) are the truth;
 * everything else a writer keeps is derived from them: vip_addrs, the
 * address filter and port-0 count in config, the tables, and the backend
 * records of a deleted VIP and each VIP's vip_info (vip add writes it before
 * the vips key that makes the VIP, vip set after the key's new value). A
 * writer killed mid-change leaves some of it behind; the repair
 * recomputes all of it from the records and writes what differs, so every
 * change is whole once the next writer has run.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "log.h"
#include "parse.h"
#include "records.h"

/* One address of map vip_addrs and how many services use it. */
struct addr_count {
	struct lbxdp_addr_key key;
	__u32 n;
};

struct addr_list {
	struct addr_count *v;
	size_t n, cap;
};

static int count_addr(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		      const struct lbxdp_vip *vip, void *arg)
{
	struct addr_list *l = arg;
	struct lbxdp_addr_key ak = {.family = key->family};
	size_t i;

	memcpy(ak.addr, key->addr, sizeof(ak.addr));
	for (i = 0; i < l->n; i++) {
		if (!memcmp(&l->v[i].key, &ak, sizeof(ak))) {
			l->v[i].n++;
			return 0;
		}
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct addr_count *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].key = ak;
	l->v[l->n].n = 1;
	l->n++;
	return 0;
}

static const struct addr_count *find_addr(const struct addr_list *l,
					  const struct lbxdp_addr_key *k)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!memcmp(&l->v[i].key, k, sizeof(*k)))
			return &l->v[i];
	return NULL;
}

/* vip_addrs as the VIPs say: each address with its count of services,
 * and no other. Returns how many entries it changed, or -errno. */
static int sync_addrs(struct lbxdp_ctx *c, bool apply)
{
	struct lbxdp_addr_key k, next, *stale = NULL;
	const struct addr_count *want;
	struct addr_list l = {};
	size_t nstale = 0, cap = 0, i;
	const void *prev = NULL;
	int fixed = 0, err;
	__u32 n;

	err = for_each_vip(c, count_addr, &l);
	if (err)
		goto cleanup;
	/* Entries no VIP names: collected first, deleting while walking
	 * the keys would restart the walk. */
	while (!bpf_map_get_next_key(c->fd[M_VIP_ADDRS], prev, &next)) {
		k = next;
		prev = &k;
		if (find_addr(&l, &k))
			continue;
		if (nstale == cap) {
			struct lbxdp_addr_key *v;

			cap = cap ? cap * 2 : 8;
			v = realloc(stale, cap * sizeof(*v));
			if (!v) {
				err = -ENOMEM;
				goto cleanup;
			}
			stale = v;
		}
		stale[nstale++] = k;
	}
	for (i = 0; i < l.n; i++) {
		want = &l.v[i];
		if (!bpf_map_lookup_elem(c->fd[M_VIP_ADDRS], &want->key, &n) &&
		    n == want->n)
			continue;
		fixed++;
		if (apply && bpf_map_update_elem(c->fd[M_VIP_ADDRS], &want->key,
						 &want->n, BPF_ANY)) {
			err = -errno;
			goto fail;
		}
	}
	for (i = 0; i < nstale; i++) {
		fixed++;
		if (apply &&
		    bpf_map_delete_elem(c->fd[M_VIP_ADDRS], &stale[i]) &&
		    errno != ENOENT) {
			err = -errno;
			goto fail;
		}
	}
	err = fixed;
	goto cleanup;
fail:
	p_err("cannot update map vip_addrs: %s", strerror(-err));
cleanup:
	free(l.v);
	free(stale);
	return err;
}

int sync_derived(struct lbxdp_ctx *c, bool apply)
{
	struct lbxdp_config cfg;
	struct vip_scan s;
	int fixed, err;

	fixed = sync_addrs(c, apply);
	if (fixed < 0)
		return fixed;
	err = vip_scan(c, &s);
	free(s.used);
	if (!err)
		err = lbxdp_config_read(c);
	if (err)
		return err;
	cfg = c->cfg;
	if (cfg.nport0 == s.port0 && cfg.addr_bloom == s.bloom && !fixed)
		return 0;
	if (!apply)
		return fixed + 1;
	/* The program looks port 0 up only while some service uses it, and
	 * passes a frame whose address the filter rules out: not optional,
	 * as a gen move alone would be. A new gen voids every CPU's copies
	 * of the VIP records. */
	cfg.nport0 = s.port0;
	cfg.addr_bloom = s.bloom;
	cfg.gen++;
	err = lbxdp_config_write(c, &cfg);
	if (err) {
		p_err("cannot update map config: %s", strerror(-err));
		return err;
	}
	return fixed + 1;
}

/* Records of VIP ids that no VIP holds (a "vip del" killed after its key
 * went) are freed: their flows have no service any more. */
static int free_orphans(struct lbxdp_ctx *c, struct lbxdp_backend *all,
			const __u8 *used, bool apply)
{
	__u32 i, n = lbxdp_nbackend_slots(&c->cfg);
	int fixed = 0, err;

	for (i = 1; i < n; i++) {
		if (!(all[i].flags & LBXDP_BE_F_USED) ||
		    (all[i].vip_id < c->cfg.max_vips && used[all[i].vip_id]))
			continue;
		fixed++;
		if (!apply)
			continue;
		all[i].flags = 0;
		err = write_backend(c, i, &all[i]);
		if (err)
			return err;
	}
	return fixed;
}

/*
 * An operator's override that its record lacks (a "backend set" killed
 * between the meta, written first, and the record): the record follows
 * the override, which the daemon holds to anyway.
 */
static int apply_overrides(struct lbxdp_ctx *c, struct lbxdp_backend *all,
			   bool apply)
{
	__u32 i, n = lbxdp_nbackend_slots(&c->cfg);
	struct lbxdp_backend_meta *meta;
	struct lbxdp_backend nb;
	struct lbxdp_vip vip;
	int fixed = 0, err;

	if (c->fd[M_BACKEND_META] < 0)
		return 0;
	meta = calloc(n, sizeof(*meta));
	if (!meta)
		return -ENOMEM;
	err = lbxdp_array_read(c->fd[M_BACKEND_META], meta, n);
	if (err) {
		p_err("cannot read map backend_meta: %s", strerror(-err));
		goto cleanup;
	}
	for (i = 1; i < n; i++) {
		const struct lbxdp_backend_meta *m = &meta[i];

		if (!(all[i].flags & LBXDP_BE_F_USED) ||
		    (all[i].flags & LBXDP_BE_F_DRAINING) ||
		    m->gen != all[i].gen || !m->op)
			continue;
		nb = all[i];
		if (m->op & LBXDP_OP_DOWN)
			nb.flags |= LBXDP_BE_F_DOWN;
		if (m->op & LBXDP_OP_UP)
			nb.flags &= ~LBXDP_BE_F_DOWN;
		if (m->op & LBXDP_OP_WEIGHT)
			nb.weight = m->op_weight;
		if (!memcmp(&nb, &all[i], sizeof(nb)))
			continue;
		fixed++;
		/* One that the tables cannot take (said) stays as it is. */
		if (apply &&
		    !bpf_map_lookup_elem(c->fd[M_VIP_INFO], &nb.vip_id, &vip))
			commit_backend(c, &vip, all, i, &nb, false);
	}
	err = fixed;
cleanup:
	free(meta);
	return err;
}

struct repair {
	const struct lbxdp_backend *all;
	bool apply;
	int fixed;
};

/* A vip set killed between its two writes: the vips record rules. */
static int repair_info(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		       const struct lbxdp_vip *vip, void *arg)
{
	struct repair *r = arg;
	struct lbxdp_vip info;

	(void)key;
	if (!bpf_map_lookup_elem(c->fd[M_VIP_INFO], &vip->id, &info) &&
	    !memcmp(&info, vip, sizeof(info)))
		return 0;
	r->fixed++;
	if (r->apply &&
	    bpf_map_update_elem(c->fd[M_VIP_INFO], &vip->id, vip, BPF_ANY))
		return -errno;
	return 0;
}

/* Each VIP's live tables, built from its records. */
static int repair_vip(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		      const struct lbxdp_vip *vip, void *arg)
{
	struct repair *r = arg;
	char svc[LBXDP_SVC_STRLEN];

	if (tables_current(c, vip, r->all))
		return 0;
	r->fixed++;
	/* One VIP that cannot be rebuilt (rebuild_from said why) must not
	 * lock every writer out: the command that fixes it is one of them. */
	if (r->apply && rebuild_from(c, vip, r->all))
		p_warn("the tables of %s still differ from its backends",
		       lbxdp_format_service(key, svc, sizeof(svc)));
	return 0;
}

int lbxdp_repair(struct lbxdp_ctx *c, bool apply)
{
	struct repair r = {.apply = apply};
	struct lbxdp_backend *all = NULL;
	struct vip_scan s = {};
	int err, n;

	err = lbxdp_config_read(c);
	if (!err)
		err = vip_scan(c, &s);
	if (!err)
		err = read_backends(c, &all);
	if (err)
		goto cleanup;
	/* vip_info first: the overrides' rebuilds read it. */
	err = for_each_vip(c, repair_info, &r);
	if (err)
		goto cleanup;
	/* Orphans next: a record of a deleted VIP must be gone before the
	 * id's other state is, so that no flow finds it half-removed. */
	n = free_orphans(c, all, s.used, apply);
	if (n < 0) {
		err = n;
		goto cleanup;
	}
	r.fixed += n;
	n = apply_overrides(c, all, apply);
	if (n < 0) {
		err = n;
		goto cleanup;
	}
	r.fixed += n;
	r.all = all;
	err = for_each_vip(c, repair_vip, &r);
	if (err)
		goto cleanup;
	n = sync_derived(c, apply);
	if (n < 0)
		err = n;
	else
		r.fixed += n;
cleanup:
	free(all);
	free(s.used);
	return err ? err : r.fixed;
}
