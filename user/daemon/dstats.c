// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The daemon's side of the stats page (stats_http.c): started with the
 * configuration that has an lbxdp_stats block, replaced on a reload as the
 * rest of it (prepared, then committed or aborted: a reload refused keeps
 * the running server), and answered from the loop when a thread asks for
 * a snapshot.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include "daemon/daemon.h"
#include "daemon/dlog.h"
#include "daemon/stats.h"

static void on_want(struct loop_fd *h, uint32_t events)
{
	struct daemon *d = h->arg;

	if (st_server_take_kick(d->stats)) {
		/* busy or failed: the timer's sync retries, the page shows
		 * it at its next refresh */
		daemon_sync(d);
		daemon_kick(d);
	}
	st_server_feed(d->stats, st_snap_take(d));
}

int dstats_prepare(struct daemon *d, const struct conf *cf, FILE *err,
		   struct st_server **out)
{
	*out = NULL;
	if (!cf->stats.on)
		return 0;
	return st_server_start(&cf->stats, d->pin_dir, d->use_syslog, d->stats,
			       out, err);
}

static void stop(struct daemon *d, bool wait)
{
	if (!d->stats)
		return;
	loop_fd_del(&d->loop, &d->stats_fd);
	st_server_stop(d->stats, wait);
	d->stats = NULL;
}

void dstats_stop(struct daemon *d)
{
	stop(d, true);
}

void dstats_abort(struct st_server *sv)
{
	st_server_stop(sv, false);
}

void dstats_commit(struct daemon *d, struct st_server *sv)
{
	int err;

	stop(d, false);
	if (!sv)
		return;
	err = loop_fd_add(&d->loop, &d->stats_fd, st_server_fd(sv), EPOLLIN,
			  on_want, d);
	if (err) {
		/* its threads would wait for snapshots that never come */
		d_err(d, "stats: cannot watch its eventfd: %s: no stats page",
		      strerror(-err));
		st_server_stop(sv, false);
		return;
	}
	d->stats = sv;
	st_server_commit(sv);
}
