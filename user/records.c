// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Reading and writing the records, and walking the VIPs (records.h). */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "log.h"
#include "lbxdp/hash.h"
#include "records.h"

int read_backends(struct lbxdp_ctx *c, struct lbxdp_backend **out)
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
void bump_gen(struct lbxdp_ctx *c)
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

int write_backend(struct lbxdp_ctx *c, __u32 id, const struct lbxdp_backend *be)
{
	if (bpf_map_update_elem(c->fd[M_BACKENDS], &id, be, BPF_ANY)) {
		p_err("cannot write backend record %u: %s", id,
		      strerror(errno));
		return -errno;
	}
	bump_gen(c);
	return 0;
}

int for_each_vip(struct lbxdp_ctx *c, vip_fn fn, void *arg)
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

static int scan_vip(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		    const struct lbxdp_vip *vip, void *arg)
{
	struct vip_scan *s = arg;

	if (vip->id < c->cfg.max_vips)
		s->used[vip->id] =
			VIP_USED | (key->proto == IPPROTO_TCP ? VIP_TCP : 0);
	if (!key->port)
		s->port0++;
	s->bloom |= 1ULL << lbxdp_addr_bit(key->addr[0]);
	return 0;
}

int vip_scan(struct lbxdp_ctx *c, struct vip_scan *s)
{
	memset(s, 0, sizeof(*s));
	s->used = calloc(c->cfg.max_vips, 1);
	if (!s->used)
		return -ENOMEM;
	return for_each_vip(c, scan_vip, s);
}
