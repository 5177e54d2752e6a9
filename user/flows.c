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

int lbxdp_flow_count(struct lbxdp_ctx *c, const struct lbxdp_backend *all,
		     __u32 *active, __u32 *refs)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 n = lbxdp_nbackend_slots(&c->cfg), batch = 4096, count, i;
	__u64 now = lbxdp_prog_now(c), age, window, tmo;
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
