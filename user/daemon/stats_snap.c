// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The loop's side of the stats page: a copy of what the daemon knows of
 * its servers and VRRP instances, taken when a server thread asks, so
 * that the threads never read struct daemon.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "clock.h"
#include "daemon/daemon.h"
#include "daemon/stats.h"
#include "daemon/vrrp.h"

#ifndef LBXDP_VERSION
#define LBXDP_VERSION "0.1"
#endif

static enum st_state rs_state(const struct d_rs *r)
{
	if (!r->cr)
		return ST_SORRY;
	if (r->op & LBXDP_OP_DOWN)
		return ST_MAINT;
	if (r->neigh_failed || r->h.state == RS_DOWN)
		return ST_DOWN;
	if (r->chk && !r->h.last_ms)
		return ST_PENDING;
	if (r->want.present && r->want.up && !r->want.weight)
		return ST_DRAIN;
	if (!r->chk && !r->suspended)
		return ST_NOCHECK;
	return ST_UP;
}

static void rs_copy(struct st_rs *o, const struct d_rs *r)
{
	o->addr = r->addr;
	o->id = r->id;
	o->gen = r->gen;
	o->state = rs_state(r);
	o->present = r->want.present;
	o->weight = r->want.present && r->want.up ? r->want.weight : 0;
	o->cfg_weight = r->cr ? r->cr->weight : 1;
	o->op = r->op != 0;
	snprintf(o->by, sizeof(o->by), "%s", r->want.by ? r->want.by : "");
	snprintf(o->checker, sizeof(o->checker), "%s", r->h.checker);
	snprintf(o->reason, sizeof(o->reason), "%s", r->h.reason);
	o->last_ms = r->h.last_ms;
	o->since_ms = r->h.since_ms;
	o->fails = r->h.fails;
	o->transitions = r->h.transitions;
}

static void vrrp_copy(struct st_vrrp *o, const struct d_vrrp *v)
{
	const struct conf_vrrp *cv = v->cv;
	__be32 m = v->fsm.master;

	snprintf(o->name, sizeof(o->name), "%s", cv->name);
	snprintf(o->iface, sizeof(o->iface), "%s", cv->interface);
	o->vrid = cv->vrid;
	snprintf(o->state, sizeof(o->state), "%s",
		 vrrp_state_name(v->fsm.state));
	o->prio = v->fsm.prio;
	o->cfg_prio = cv->priority;
	if (m)
		inet_ntop(AF_INET, &m, o->master, sizeof(o->master));
	snprintf(o->group, sizeof(o->group), "%s",
		 v->group ? v->group->cg->name : "");
	o->transitions = v->nhist;
	if (v->nhist)
		o->since_ms =
			(uint64_t)v->hist[(v->nhist - 1) % VRRP_HIST].wall *
			1000;
}

struct st_snap *st_snap_take(struct daemon *d)
{
	uint64_t mono = loop_now(&d->loop);
	struct st_snap *s = calloc(1, sizeof(*s));
	int i, k;

	if (!s)
		return NULL;
	s->now_ms = lbxdp_realtime_ms();
	s->start_ms = s->now_ms - (mono - d->start_ms);
	s->pid = (int)getpid();
	s->version = LBXDP_VERSION;
	snprintf(s->router_id, sizeof(s->router_id), "%s", daemon_router_id(d));
	snprintf(s->interface, sizeof(s->interface), "%s", d->ifname);
	s->reloads = d->reloads;
	s->reload_errors = d->reload_errors;
	s->vs = calloc(d->nvs ? d->nvs : 1, sizeof(*s->vs));
	s->vrrp = calloc(d->nvrrp ? d->nvrrp : 1, sizeof(*s->vrrp));
	if (!s->vs || !s->vrrp)
		goto nomem;
	for (i = 0; i < d->nvs; i++, s->nvs++) {
		const struct d_vs *v = &d->vs[i];
		struct st_vs *o = &s->vs[i];

		o->rs = calloc(v->nrs ? v->nrs : 1, sizeof(*o->rs));
		if (!o->rs)
			goto nomem;
		o->key = v->key;
		lbxdp_format_service(&v->key, o->svc, sizeof(o->svc));
		snprintf(o->sched, sizeof(o->sched), "%s",
			 v->cv->sched_as_written);
		o->quorum_up = v->quorum_up;
		for (k = 0; k < v->nrs; k++)
			rs_copy(&o->rs[k], &v->rs[k]);
		o->nrs = v->nrs;
	}
	for (i = 0; i < d->nvrrp; i++)
		vrrp_copy(&s->vrrp[i], d->vrrp[i]);
	s->nvrrp = d->nvrrp;
	return s;
nomem:
	st_snap_free(s);
	return NULL;
}
