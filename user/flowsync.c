// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include "flowsync.h"
#include "log.h"

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
