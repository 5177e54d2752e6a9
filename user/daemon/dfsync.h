/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Flow sync in the daemon: dfsync.c. */
#ifndef LBXDP_DFSYNC_H
#define LBXDP_DFSYNC_H

#include <stdbool.h>
#include <stdio.h>
#include "conf.h"
#include "fsync.h"

struct daemon;
struct json_object;

struct dfsync_plan {
	bool want;	 /* the configuration runs flow sync */
	bool keep;	 /* the running one has these settings */
	struct fsync *f; /* opened, not yet the daemon's */
	struct fsync_opts o;
};

/* Check @cf's flow sync (interface, key file: FILE:LINE errors to @out)
 * and open it beside the running one. 0 or -errno; nothing changed. */
int dfsync_prepare(struct daemon *d, const struct conf *cf, FILE *out,
		   struct dfsync_plan *pl);
void dfsync_abort(struct dfsync_plan *pl);
/* Make @pl's the daemon's (d->cf is the new configuration already). */
void dfsync_commit(struct daemon *d, struct dfsync_plan *pl);
/* After a VRRP transition: send while the instance is master. */
void dfsync_update(struct daemon *d);
/* From daemon_sync(), writer lock held, maps just opened: follows a
 * re-attach, and switches the data plane's feed as wanted (an error is
 * logged, and the next sync tries again). */
void dfsync_feed(struct daemon *d);
/* After a sync that placed everything: a backup asks the master for its
 * live entries, once its servers are in the maps (fsync_join()). */
void dfsync_synced(struct daemon *d);
/* Whether instance @inst's preemption waits: flow sync, asked, waits
 * for the master's answer. */
bool dfsync_holds(const struct daemon *d, const char *inst);
/* At exit: closed, the feed off if the lock is free. */
void dfsync_stop(struct daemon *d);
void dfsync_status(struct daemon *d, FILE *out, struct json_object *o);

#endif /* LBXDP_DFSYNC_H */
