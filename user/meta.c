// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The controller's state beside the records: owners, overrides, health. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "log.h"
#include "records.h"

int meta_missing(struct lbxdp_ctx *c, enum lbxdp_map m)
{
	p_err("map %s is not pinned in %s (the maps were made by an older lbxdp): run 'lbxdp attach IFACE' again to create it",
	      lbxdp_map_names[m], c->pin_dir);
	return -EOPNOTSUPP;
}

int write_backend_meta(struct lbxdp_ctx *c, __u32 id,
		       const struct lbxdp_backend_meta *m)
{
	if (c->fd[M_BACKEND_META] < 0)
		return m->owner == LBXDP_OWNER_CLI && !m->op
			       ? 0
			       : meta_missing(c, M_BACKEND_META);
	if (bpf_map_update_elem(c->fd[M_BACKEND_META], &id, m, BPF_ANY)) {
		p_err("cannot write map backend_meta: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

__u8 lbxdp_vip_owner(struct lbxdp_ctx *c, __u32 vip_id)
{
	struct lbxdp_vip_meta m = {};

	if (c->fd[M_VIP_META] < 0 ||
	    bpf_map_lookup_elem(c->fd[M_VIP_META], &vip_id, &m))
		return LBXDP_OWNER_CLI;
	return m.owner;
}

int lbxdp_backend_get(struct lbxdp_ctx *c, __u32 id, struct lbxdp_backend *be,
		      struct lbxdp_backend_meta *meta, struct lbxdp_health *h)
{
	struct lbxdp_backend rec;

	if (!id || id >= lbxdp_nbackend_slots(&c->cfg) ||
	    bpf_map_lookup_elem(c->fd[M_BACKENDS], &id, &rec) ||
	    !(rec.flags & LBXDP_BE_F_USED))
		return -ENOENT;
	if (be)
		*be = rec;
	/* Written before the record: another gen is another record's. */
	if (meta && (c->fd[M_BACKEND_META] < 0 ||
		     bpf_map_lookup_elem(c->fd[M_BACKEND_META], &id, meta) ||
		     meta->gen != rec.gen))
		memset(meta, 0, sizeof(*meta));
	if (h &&
	    (c->fd[M_HEALTH] < 0 ||
	     bpf_map_lookup_elem(c->fd[M_HEALTH], &id, h) || h->gen != rec.gen))
		memset(h, 0, sizeof(*h));
	return 0;
}

int lbxdp_backend_meta_set(struct lbxdp_ctx *c, __u32 id,
			   const struct lbxdp_backend_meta *m)
{
	struct lbxdp_backend_meta nm = *m;
	struct lbxdp_backend be;
	int err;

	err = lbxdp_backend_get(c, id, &be, NULL, NULL);
	if (err)
		return err;
	nm.gen = be.gen;
	memset(nm.pad, 0, sizeof(nm.pad));
	if (c->fd[M_BACKEND_META] < 0)
		return meta_missing(c, M_BACKEND_META);
	return write_backend_meta(c, id, &nm);
}

int lbxdp_health_set(struct lbxdp_ctx *c, __u32 id,
		     const struct lbxdp_health *h)
{
	if (c->fd[M_HEALTH] < 0)
		return meta_missing(c, M_HEALTH);
	if (bpf_map_update_elem(c->fd[M_HEALTH], &id, h, BPF_ANY)) {
		p_err("cannot write map health: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

int lbxdp_health_summary(struct lbxdp_ctx *c, struct lbxdp_health_summary *s)
{
	__u32 id, n = lbxdp_nbackend_slots(&c->cfg);
	struct lbxdp_backend *all = NULL;
	struct lbxdp_backend_meta m;
	struct lbxdp_health h;
	int err;

	memset(s, 0, sizeof(*s));
	if (c->fd[M_HEALTH] < 0 || c->fd[M_BACKEND_META] < 0)
		return 0;
	/* One read of the records, then only the used ones' entries. */
	err = read_backends(c, &all);
	if (err)
		return err;
	for (id = 1; id < n; id++) {
		if (!(all[id].flags & LBXDP_BE_F_USED) ||
		    lbxdp_backend_get(c, id, NULL, &m, &h))
			continue;
		s->pending += h.state == LBXDP_HEALTH_PENDING;
		s->up += h.state == LBXDP_HEALTH_UP;
		s->down += h.state == LBXDP_HEALTH_DOWN;
		s->overrides += !!m.op;
	}
	free(all);
	return 0;
}
