// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Reading the flow table: flows per backend, and freeing finished drains. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include "log.h"
#include "records.h"
#include "jet.h"

#define NSEC 1000000000ULL

int lbxdp_flow_get(struct lbxdp_ctx *c, const struct lbxdp_flow_key *k,
		   struct lbxdp_flow *v)
{
	return bpf_map_lookup_elem(c->fd[M_FLOWS], k, v) ? -errno : 0;
}

int lbxdp_flow_put(struct lbxdp_ctx *c, const struct lbxdp_flow_key *k,
		   const struct lbxdp_flow *v, __u64 flags)
{
	return bpf_map_update_elem(c->fd[M_FLOWS], k, v, flags) ? -errno : 0;
}

int lbxdp_flow_del(struct lbxdp_ctx *c, const struct lbxdp_flow_key *k,
		   struct lbxdp_flow *old)
{
	int fd = c->fd[M_FLOWS];

	if (old)
		return bpf_map_lookup_and_delete_elem(fd, k, old) ? -errno : 0;
	return bpf_map_delete_elem(fd, k) ? -errno : 0;
}

int lbxdp_flows_clear(struct lbxdp_ctx *c)
{
	struct lbxdp_flow_key k;

	/* Each delete makes the first key the next one to go. */
	while (!bpf_map_get_next_key(c->fd[M_FLOWS], NULL, &k))
		if (bpf_map_delete_elem(c->fd[M_FLOWS], &k) && errno != ENOENT)
			return -errno;
	return errno == ENOENT ? 0 : -errno;
}

int lbxdp_flows_walk_step(struct lbxdp_ctx *c, __u32 *at, __u32 max, flow_fn fn,
			  void *arg)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct lbxdp_flow_key *keys;
	struct lbxdp_flow *vals;
	__u32 count = max, i, in = *at;
	int err = 0, r;

	keys = calloc(max, sizeof(*keys));
	vals = calloc(max, sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* The map's cursor is a bucket index: 0 is the start. */
	r = bpf_map_lookup_batch(c->fd[M_FLOWS], &in, at, keys, vals, &count,
				 &opts);
	if (r && errno != ENOENT) {
		err = -errno;
		p_err("cannot read map flows: %s", strerror(errno));
		goto cleanup;
	}
	for (i = 0; i < count && !err; i++)
		err = fn(&keys[i], &vals[i], arg);
	if (!err)
		err = r ? 1 : 0;
cleanup:
	free(keys);
	free(vals);
	return err;
}

int lbxdp_flows_walk(struct lbxdp_ctx *c, flow_fn fn, void *arg)
{
	__u32 at = 0;
	int r;

	do
		r = lbxdp_flows_walk_step(c, &at, 4096, fn, arg);
	while (!r);
	return r < 0 ? r : 0;
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
	tmo = (__u64)(k->proto == IPPROTO_TCP ? fc->c->cfg.tcp_timeout
					      : fc->c->cfg.udp_timeout) *
	      NSEC;
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

int lbxdp_gc(struct lbxdp_ctx *c)
{
	__u32 i, n = lbxdp_nbackend_slots(&c->cfg);
	__u32 *active = NULL, *refs = NULL;
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
