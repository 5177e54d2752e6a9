// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Flow sync as the configuration and VRRP say: lvs_sync_daemon names the
 * sync interface (and the instance whose master sends), lbxdp_xdp's
 * sync_key_file the HMAC key. The engine is fsync.c; this file opens it,
 * follows the instance's state, and switches the data plane's feed under
 * the writer lock, from daemon_sync().
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <json-c/json.h>
#include "daemon.h"
#include "dfsync.h"
#include "dlog.h"
#include "flowsync.h"
#include "fsync.h"
#include "vrrp.h"

static const char *key_error(int err)
{
	switch (err) {
	case -EACCES:
		return "readable by others than its owner (chmod 600 it)";
	case -EINVAL:
		return "not a key of 16 to 64 bytes";
	case -EPERM:
		return "owned by another user than the daemon's";
	default:
		return strerror(-err);
	}
}

int dfsync_prepare(struct daemon *d, const struct conf *cf, FILE *out,
		   struct dfsync_plan *pl)
{
	const struct conf_lvs_sync *ls = &cf->lvs_sync;
	const struct conf_xdp *x = &cf->xdp;
	struct fsync_opts *o = &pl->o;
	int err;

	memset(pl, 0, sizeof(*pl));
	/* Without a key the parser warned: no flow sync. */
	if (!ls->interface || !x->sync_key_file)
		return 0;
	o->ifindex = (int)if_nametoindex(ls->interface);
	if (!o->ifindex) {
		fprintf(out,
			"%s:%d: error: lvs_sync_daemon: no interface %s on this machine\n",
			ls->at.file, ls->at.line, ls->interface);
		return -EINVAL;
	}
	err = fsync_key_load(x->sync_key_file, &o->key);
	if (err) {
		fprintf(out, "%s:%d: error: sync_key_file %s: %s\n",
			x->sync_key_at.file, x->sync_key_at.line,
			x->sync_key_file, key_error(err));
		return -EINVAL;
	}
	o->syncid = (uint8_t)ls->syncid;
	o->port = ls->port;
	o->dest = ls->group;
	pl->want = true;
	if (d->fsync && !memcmp(&d->fsync_o, o, sizeof(*o))) {
		pl->keep = true;
		return 0;
	}
	err = fsync_open(&pl->f, &d->loop, &d->c, o);
	if (err)
		explicit_bzero(&o->key, sizeof(o->key));
	return err;
}

void dfsync_abort(struct dfsync_plan *pl)
{
	fsync_close(pl->f);
	pl->f = NULL;
	explicit_bzero(&pl->o.key, sizeof(pl->o.key));
}

void dfsync_commit(struct daemon *d, struct dfsync_plan *pl)
{
	if (pl->keep) {
		explicit_bzero(&pl->o.key, sizeof(pl->o.key));
		return;
	}
	if (d->fsync)
		d_log(d, "flow sync: stopped");
	fsync_close(d->fsync);
	d->fsync = pl->f;
	d->fsync_o = pl->o;
	pl->f = NULL;
	if (d->fsync) /* it lacks the flows of before: wait for them */
		fsync_join_start(d->fsync);
	explicit_bzero(&pl->o.key, sizeof(pl->o.key));
	if (d->fsync) {
		char grp[INET_ADDRSTRLEN];
		__be32 g = d->fsync_o.dest ? d->fsync_o.dest
					   : htonl(FSYNC_DEF_GROUP);

		d_log(d, "flow sync: on %s, id %u, to %s port %u",
		      d->cf->lvs_sync.interface, d->fsync_o.syncid,
		      inet_ntop(AF_INET, &g, grp, sizeof(grp)),
		      d->fsync_o.port);
	}
	dfsync_update(d);
	daemon_kick(d); /* the feed, under the lock */
}

/* Whether this LB sends: the named instance, or any, is MASTER. */
static bool sends(const struct daemon *d)
{
	const char *name = d->cf->lvs_sync.instance;
	int i;

	if (name)
		return vrrp_is_master(d, name);
	for (i = 0; i < d->nvrrp; i++)
		if (d->vrrp[i]->fsm.state == VRRP_STATE_MASTER)
			return true;
	return false;
}

void dfsync_update(struct daemon *d)
{
	bool master;

	if (!d->fsync)
		return;
	master = sends(d);
	if (master == fsync_is_master(d->fsync))
		return;
	if (fsync_set_master(d->fsync, master))
		return; /* printed; dfsync_feed() tries again at each sync */
	d_log(d, "flow sync: %s",
	      master ? "master: sending new flows"
		     : "backup: installing the master's");
	daemon_kick(d);
}

/* Whether every real server's record is in the maps as its health will
 * have it: the master's entries for one not there yet, or down until its
 * first check (alpha, or as adopted at a restart), would be skipped. */
static bool servers_placed(const struct daemon *d)
{
	const struct d_rs *r;
	int i, j;

	for (i = 0; i < d->nvs; i++) {
		if (d->vs[i].cli_owned)
			continue;
		for (j = 0; j < d->vs[i].nrs; j++) {
			r = &d->vs[i].rs[j];
			/* ha_suspend's, the CLI's, and one whose MAC is not
			 * known past the wait: none will be, soon */
			if (!r->cr || r->suspended || r->logged_cli ||
			    !r->mac_known || r->neigh_failed)
				continue;
			if ((r->want.present && !r->id) ||
			    (r->chk && r->h.state == RS_DOWN && !r->h.last_ms))
				return false;
		}
	}
	return true;
}

void dfsync_synced(struct daemon *d)
{
	if (!d->fsync || !fsync_is_joining(d->fsync) || !servers_placed(d))
		return;
	if (fsync_join(d->fsync))
		d_log(d,
		      "flow sync: asking the master for every live entry (preemption waits for them, %u ms from the start at most)",
		      d->fsync_o.handover_ms ? d->fsync_o.handover_ms
					     : FSYNC_HANDOVER_MS);
}

bool dfsync_holds(const struct daemon *d, const char *inst)
{
	const char *name = d->cf->lvs_sync.instance;

	return d->fsync && fsync_is_joining(d->fsync) &&
	       (!name || !strcmp(name, inst));
}

/* The maps were pinned anew (a re-attach): the engine's ring and
 * installer read the old ones. */
static void reopen(struct daemon *d)
{
	struct fsync *f = NULL;
	int err;

	fsync_close(d->fsync);
	d->fsync = NULL;
	err = fsync_open(&f, &d->loop, &d->c, &d->fsync_o);
	if (err) {
		d_err(d,
		      "flow sync: the maps were attached anew and it cannot follow them: %s (stopped; a reload tries again)",
		      strerror(-err));
		return;
	}
	d->fsync = f;
	fsync_join_start(f);
	d_log(d, "flow sync: the maps were attached anew: following them");
}

void dfsync_feed(struct daemon *d)
{
	bool on;
	int err;

	if (d->fsync && fsync_maps_changed(d->fsync))
		reopen(d);
	dfsync_update(d); /* again, if a switch failed */
	on = d->fsync && fsync_is_master(d->fsync);
	/* Maps of an older attach have no feed to turn off. */
	if (!on && d->c.fd[M_SYNC_RING] < 0)
		return;
	err = lbxdp_sync_feed_set(&d->c, on);
	if (!err && on)
		fsync_feed_on(d->fsync);
	if (err && err != d->fsync_feed_err)
		d_err(d,
		      "flow sync: cannot switch the data plane's feed %s: %s",
		      on ? "on" : "off", strerror(-err));
	d->fsync_feed_err = err;
}

void dfsync_stop(struct daemon *d)
{
	struct fsync_stats st0, st;

	if (!d->fsync)
		return;
	if (fsync_is_master(d->fsync) || fsync_is_leaving(d->fsync)) {
		fsync_get_stats(d->fsync, &st0);
		fsync_stop(d->fsync);
		fsync_get_stats(d->fsync, &st);
		d_log(d,
		      "flow sync: handed over before stopping: %llu entries sent",
		      (unsigned long long)(st.sent - st0.sent));
	}
	fsync_close(d->fsync);
	d->fsync = NULL;
	explicit_bzero(&d->fsync_o.key, sizeof(d->fsync_o.key));
	/* The feed off: nobody reads the ring now. Busy lock: it stays on
	 * until the next daemon's first sync, as after a kill. */
	if (d->maps_open && !lbxdp_trylock(&d->c, d->pin_dir)) {
		dfsync_feed(d);
		lbxdp_unlock(&d->c);
	}
}

#define U(x) json_object_new_int64((int64_t)(x))

void dfsync_status(struct daemon *d, FILE *out, struct json_object *o)
{
	const struct lbxdp_sync_install_stats *in;
	struct json_object *fo, *dr;
	struct fsync_stats st;
	__u64 ring_full = 0;
	int r;

	if (!d->fsync)
		return;
	fsync_get_stats(d->fsync, &st);
	in = &st.install;
	if (d->maps_open)
		lbxdp_sync_ring_full(&d->c, &ring_full);
	fo = json_object_new_object();
	json_object_object_add(
		fo, "interface",
		json_object_new_string(d->cf->lvs_sync.interface));
	json_object_object_add(fo, "syncid", U(d->fsync_o.syncid));
	json_object_object_add(fo, "role",
			       json_object_new_string(fsync_is_master(d->fsync)
							      ? "master"
							      : "backup"));
	json_object_object_add(
		fo, "handing_over",
		json_object_new_boolean(fsync_is_leaving(d->fsync)));
	json_object_object_add(
		fo, "joining",
		json_object_new_boolean(fsync_is_joining(d->fsync)));
	json_object_object_add(
		fo, "joined",
		json_object_new_boolean(fsync_has_joined(d->fsync)));
	json_object_object_add(fo, "joins_sent", U(st.joins_sent));
	json_object_object_add(fo, "joins_unanswered", U(st.join_unanswered));
	json_object_object_add(fo, "joined_flows", U(st.joined_flows));
	json_object_object_add(fo, "joins_overflowed", U(st.join_overflowed));
	json_object_object_add(fo, "joins_received", U(st.joins));
	json_object_object_add(fo, "joins_answered", U(st.joins_answered));
	json_object_object_add(fo, "sent", U(st.sent));
	json_object_object_add(fo, "datagrams_sent", U(st.datagrams));
	json_object_object_add(fo, "refreshed", U(st.refreshed));
	json_object_object_add(fo, "queue_full", U(st.queue_full));
	json_object_object_add(fo, "maps_away", U(st.unnamed));
	json_object_object_add(fo, "send_errors", U(st.send_errors));
	json_object_object_add(fo, "ring_full", U(ring_full));
	json_object_object_add(fo, "datagrams_received", U(st.received));
	json_object_object_add(fo, "received_in_handover", U(st.handover));
	json_object_object_add(fo, "handovers_refused",
			       U(st.handovers_refused));
	json_object_object_add(fo, "installed_flows", U(in->flows));
	json_object_object_add(fo, "installed_persists", U(in->persists));
	json_object_object_add(fo, "kept", U(in->kept));
	json_object_object_add(fo, "expired", U(in->expired));
	json_object_object_add(fo, "no_service", U(in->no_vip));
	json_object_object_add(fo, "no_backend", U(in->no_backend));
	json_object_object_add(fo, "backend_down", U(in->backend_down));
	json_object_object_add(fo, "no_persistence", U(in->no_persist));
	json_object_object_add(fo, "install_errors", U(st.install_errors));
	dr = json_object_new_object();
	for (r = 1; r < FSYNC_DROP__MAX; r++)
		json_object_object_add(dr, fsync_drop_name(r),
				       U(st.dropped[r]));
	json_object_object_add(dr, "replayed", U(st.replayed));
	json_object_object_add(dr, "while_master", U(st.not_backup));
	json_object_object_add(dr, "overflow", U(st.overflow));
	json_object_object_add(fo, "dropped", dr);
	json_object_object_add(o, "flow_sync", fo);
	if (!out)
		return;
	fprintf(out,
		"flow sync on %s, id %u: %s\n"
		"  sent %llu entries in %llu datagrams (refreshed %llu), lost: queue full %llu, maps away %llu, send errors %llu, ring full %llu\n"
		"  received %llu datagrams (%llu as a new master): installed %llu flows, %llu persistence; skipped: kept %llu, expired %llu, no service %llu, no backend %llu, backend down %llu, no persistence %llu; map errors %llu\n"
		"  dropped:",
		d->cf->lvs_sync.interface, d->fsync_o.syncid,
		fsync_is_master(d->fsync) ? "master (sending)"
		: fsync_is_leaving(d->fsync)
			? "backup (installing; handing its flows over)"
		: fsync_is_joining(d->fsync)
			? "backup (installing; joining: the master sends every live entry)"
			: "backup (installing)",
		(unsigned long long)st.sent, (unsigned long long)st.datagrams,
		(unsigned long long)st.refreshed,
		(unsigned long long)st.queue_full,
		(unsigned long long)st.unnamed,
		(unsigned long long)st.send_errors,
		(unsigned long long)ring_full, (unsigned long long)st.received,
		(unsigned long long)st.handover, (unsigned long long)in->flows,
		(unsigned long long)in->persists, (unsigned long long)in->kept,
		(unsigned long long)in->expired, (unsigned long long)in->no_vip,
		(unsigned long long)in->no_backend,
		(unsigned long long)in->backend_down,
		(unsigned long long)in->no_persist,
		(unsigned long long)st.install_errors);
	for (r = 1; r < FSYNC_DROP__MAX; r++)
		fprintf(out, " %s %llu", fsync_drop_name(r),
			(unsigned long long)st.dropped[r]);
	fprintf(out, " replayed %llu, while master %llu, overflow %llu\n",
		(unsigned long long)st.replayed,
		(unsigned long long)st.not_backup,
		(unsigned long long)st.overflow);
	fprintf(out,
		"  joins: sent %llu (%s; unanswered %llu, overflowed %llu), received %llu, answered %llu\n",
		(unsigned long long)st.joins_sent,
		fsync_has_joined(d->fsync) ? "joined" : "not joined",
		(unsigned long long)st.join_unanswered,
		(unsigned long long)st.join_overflowed,
		(unsigned long long)st.joins,
		(unsigned long long)st.joins_answered);
}
