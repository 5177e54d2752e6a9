// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The daemon's map writer: compare what the configuration, the checks and
 * the operator want with the pinned records, and change what differs
 * through the CLI's own functions (service.h), under the CLI's flock, taken
 * with one try per sync and never held while waiting on anything else.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "daemon/daemon.h"
#include "daemon/dfsync.h"
#include "daemon/dlog.h"
#include "netlink.h"
#include "parse.h"
#include "records.h"
#include "service.h"

static const char *const sched_names[4] = {"wrr", "rr", "mh", "sh"};

static void rs_name(const struct d_rs *r, char *buf, size_t len)
{
	__be32 a[4] = {r->addr};
	char svc[LBXDP_SVC_STRLEN], ip[64];

	lbxdp_format_service(&r->vs->key, svc, sizeof(svc));
	lbxdp_format_addr(a, LBXDP_AF_INET, ip, sizeof(ip));
	snprintf(buf, len, "%s %s%s", svc, ip, r->cr ? "" : " (sorry)");
}

/* The backend meta of record @id, zero unless it describes @be. */
static void meta_of(struct daemon *d, __u32 id, const struct lbxdp_backend *be,
		    struct lbxdp_backend_meta *m)
{
	memset(m, 0, sizeof(*m));
	if (d->c.fd[M_BACKEND_META] < 0 ||
	    bpf_map_lookup_elem(d->c.fd[M_BACKEND_META], &id, m) ||
	    m->gen != be->gen)
		memset(m, 0, sizeof(*m));
}

static __u8 vip_owner(struct daemon *d, __u32 vip_id)
{
	struct lbxdp_vip_meta m = {};

	if (d->c.fd[M_VIP_META] < 0 ||
	    bpf_map_lookup_elem(d->c.fd[M_VIP_META], &vip_id, &m))
		return LBXDP_OWNER_CLI;
	return m.owner;
}

void daemon_health_write(struct daemon *d, struct d_rs *r)
{
	struct lbxdp_health hv = {};
	const struct rs_health *h = &r->h;

	if (!d->maps_open || !r->id || d->c.fd[M_HEALTH] < 0)
		return;
	hv.gen = r->gen;
	if (!r->chk && !r->suspended)
		hv.state = LBXDP_HEALTH_NONE;
	else if (!h->last_ms && !r->neigh_failed)
		hv.state = LBXDP_HEALTH_PENDING;
	else
		hv.state = h->state == RS_DOWN || r->neigh_failed
				   ? LBXDP_HEALTH_DOWN
				   : LBXDP_HEALTH_UP;
	hv.weight = h->weight >= 0 ? (__u16)h->weight : 0;
	hv.fails = h->fails;
	hv.oks = h->oks;
	hv.transitions = h->transitions;
	hv.last_ms = h->last_ms;
	hv.since_ms = h->since_ms;
	snprintf(hv.checker, sizeof(hv.checker), "%s", h->checker);
	snprintf(hv.reason, sizeof(hv.reason), "%s",
		 r->neigh_failed ? "neighbour FAILED" : h->reason);
	bpf_map_update_elem(d->c.fd[M_HEALTH], &r->id, &hv, BPF_ANY);
}

/* Record @id is no longer checked by us: say so in its health entry. */
static void health_none(struct daemon *d, __u32 id, __u32 gen)
{
	struct lbxdp_health hv = {.gen = gen, .state = LBXDP_HEALTH_NONE};

	if (id && d->c.fd[M_HEALTH] >= 0)
		bpf_map_update_elem(d->c.fd[M_HEALTH], &id, &hv, BPF_ANY);
}

/* Record of IPv4 @addr in VIP @vip_id, 0 if none. */
static __u32 find_rec(const struct lbxdp_backend *all, __u32 n, __u32 vip_id,
		      __be32 addr)
{
	const __be32 a[4] = {addr};

	return find_backend(all, n, vip_id, a);
}

/* The policy's inputs from what we know and what the operator said. */
static void policy_of(struct daemon *d, struct d_vs *vs,
		      const struct lbxdp_backend *all, __u32 n, __u32 vip_id)
{
	struct pol_in in[vs->nrs];
	struct pol_out out[vs->nrs];
	int i;

	for (i = 0; i < vs->nrs; i++) {
		struct d_rs *r = &vs->rs[i];
		struct lbxdp_backend_meta m = {};
		__u32 id = vip_id == (__u32)-1
				   ? 0
				   : find_rec(all, n, vip_id, r->addr);

		if (id)
			meta_of(d, id, &all[id], &m);
		in[i] = (struct pol_in){
			.cfg_weight = r->cr ? r->cr->weight : 1,
			.check_weight = r->h.weight,
			.state = r->neigh_failed ? RS_DOWN : r->h.state,
			.checked = r->neigh_failed ||
				   ((r->chk || r->suspended) && r->h.last_ms),
			.inhibit = r->cr && (r->cr->inhibit_on_failure ||
					     vs->cv->inhibit_on_failure),
			.sorry = !r->cr,
			.op = m.owner == LBXDP_OWNER_DAEMON ? m.op : 0,
			.op_weight = m.op_weight,
		};
	}
	for (i = 0; i < vs->nrs; i++)
		vs->rs[i].op = in[i].op;
	if (policy_vs(vs->cv->quorum, vs->cv->hysteresis, in, vs->nrs,
		      vs->cv->sorry_inhibit, &vs->quorum_up, out)) {
		char svc[LBXDP_SVC_STRLEN];

		lbxdp_format_service(&vs->key, svc, sizeof(svc));
		d_log(d, "%s: quorum %s", svc, vs->quorum_up ? "up" : "down");
		if (vs->cv->smtp_alert == CONF_ON) {
			const struct conf_vs *cv = vs->cv;
			struct smtp_msg m = {0};

			/* keepalived's threshold: the one just crossed */
			smtp_msg_vs(&m, daemon_router_id(d), cv, vs->quorum_up,
				    vs->quorum_up ? cv->quorum + cv->hysteresis
						  : cv->quorum - cv->hysteresis,
				    policy_live(in, vs->nrs));
			daemon_mail(d, &m);
		}
		if (vs->quorum_up && vs->cv->quorum_up.cmd)
			check_run_script(&d->env, &vs->cv->quorum_up,
					 vs->cv->delay_loop_ms);
		if (!vs->quorum_up && vs->cv->quorum_down.cmd)
			check_run_script(&d->env, &vs->cv->quorum_down,
					 vs->cv->delay_loop_ms);
	}
	for (i = 0; i < vs->nrs; i++)
		vs->rs[i].want = out[i];
}

/*
 * Ask the kernel for @r's MAC: it sends an ARP request if it has none.
 * A server that does not answer is asked less and less often; the
 * neighbour events bring its answer whenever it comes.
 */
static void resolve(struct daemon *d, struct d_rs *r)
{
	if (!lbxdp_nl_neigh_resolve(d->ifindex, r->addr, r->mac, 0)) {
		r->mac_known = true;
		r->neigh_failed = false;
		r->arp_wait = 0;
		r->arp_at = 0;
		return;
	}
	r->arp_wait = r->arp_wait ? r->arp_wait * 2 : ARP_WAIT_MIN;
	if (r->arp_wait > ARP_WAIT_MAX)
		r->arp_wait = ARP_WAIT_MAX;
	r->arp_at = loop_now(&d->loop) + r->arp_wait;
}

/* Make @r's record what r->want says. -EAGAIN: its MAC is not known. */
static int sync_rs(struct daemon *d, struct d_vs *vs, struct d_rs *r,
		   struct lbxdp_backend **allp, __u32 n, __u32 vip_id)
{
	struct lbxdp_backend *all = *allp;
	struct lbxdp_backend_change ch = {.weight = -1, .up = -1};
	__be32 a[4] = {r->addr};
	struct lbxdp_backend_meta m;
	char name[256];
	__u32 id = find_rec(all, n, vip_id, r->addr);
	int err;

	rs_name(r, name, sizeof(name));
	if (id) {
		meta_of(d, id, &all[id], &m);
		if (m.owner != LBXDP_OWNER_DAEMON) {
			/* An operator's backend add: theirs, not ours. */
			if (!r->logged_cli)
				d_log(d,
				      "%s: the CLI's backend at this address is left alone, unchecked ('lbxdp backend del' hands it over)",
				      name);
			r->logged_cli = true;
			r->id = 0;
			return 0;
		}
	}
	r->logged_cli = false;
	if (!r->want.present) {
		if (id && !(all[id].flags & LBXDP_BE_F_DRAINING)) {
			err = lbxdp_backend_del(&d->c, &vs->key, a);
			if (err)
				return err;
			d_log(d, "%s: removed, draining", name);
		}
		if (id)
			health_none(d, id, all[id].gen);
		r->id = 0;
		return 0;
	}
	/* Unknown, or the kernel gave up on it: ask again (an ARP request;
	 * XDP-forwarded traffic never makes the kernel ask). */
	if ((!r->mac_known || r->neigh_failed) &&
	    loop_now(&d->loop) >= r->arp_at)
		resolve(d, r);
	if (!id || (all[id].flags & LBXDP_BE_F_DRAINING)) {
		if (!r->mac_known) {
			if (!r->logged_nomac)
				d_log(d, "%s: waiting for its MAC (ARP)", name);
			r->logged_nomac = true;
			return -EAGAIN;
		}
		err = lbxdp_backend_add(&d->c, &vs->key, a, r->want.weight,
					r->mac, LBXDP_OWNER_DAEMON);
		if (err)
			return err;
		/* Re-read: the add may have freed drained records. */
		free(*allp);
		*allp = NULL;
		err = read_backends(&d->c, allp);
		if (err)
			return err;
		all = *allp;
		id = find_rec(all, n, vip_id, r->addr);
		d_log(d, "%s: added, weight %u", name, r->want.weight);
	}
	if (!id)
		return -ENOENT;
	if (all[id].weight != r->want.weight)
		ch.weight = (int)r->want.weight;
	if (!!(all[id].flags & LBXDP_BE_F_DOWN) == r->want.up)
		ch.up = r->want.up;
	if (r->mac_known && memcmp(all[id].mac, r->mac, 6))
		ch.mac = r->mac;
	if (ch.weight >= 0 || ch.up >= 0 || ch.mac) {
		err = lbxdp_backend_set(&d->c, &vs->key, a, &ch);
		if (err)
			return err;
		if (ch.up >= 0)
			d_log(d, "%s: %s (%s)", name, ch.up ? "up" : "down",
			      r->want.by);
		if (ch.weight >= 0)
			d_log(d, "%s: weight %d (%s)", name, ch.weight,
			      r->want.by);
		if (ch.mac)
			d_log(d, "%s: MAC changed", name);
	}
	r->id = id;
	r->gen = all[id].gen;
	daemon_health_write(d, r);
	/* Keep asking the kernel for a neighbour it gave up on. */
	return r->neigh_failed ? -EAGAIN : 0;
}

/* Backends of our VIP that the configuration no longer has: drain. */
static int drain_removed(struct daemon *d, struct d_vs *vs,
			 const struct lbxdp_backend *all, __u32 n, __u32 vip_id)
{
	struct lbxdp_backend_meta m;
	__u32 i;
	int k, err;

	for (i = 1; i < n; i++) {
		bool ours = false;

		if (!(all[i].flags & LBXDP_BE_F_USED) ||
		    all[i].vip_id != vip_id ||
		    (all[i].flags & LBXDP_BE_F_DRAINING))
			continue;
		meta_of(d, i, &all[i], &m);
		if (m.owner != LBXDP_OWNER_DAEMON)
			continue;
		for (k = 0; k < vs->nrs && !ours; k++)
			ours = vs->rs[k].addr == all[i].addr[0];
		if (ours)
			continue;
		err = lbxdp_backend_del(&d->c, &vs->key, all[i].addr);
		if (err)
			return err;
		health_none(d, i, all[i].gen);
	}
	return 0;
}

static int sync_vs(struct daemon *d, struct d_vs *vs)
{
	__u32 n = lbxdp_nbackend_slots(&d->c.cfg);
	struct lbxdp_backend *all = NULL;
	const struct conf_vs *cv = vs->cv;
	char svc[LBXDP_SVC_STRLEN];
	struct lbxdp_vip vip;
	int i, err, again = 0, first = 0;

	lbxdp_format_service(&vs->key, svc, sizeof(svc));
	if (!bpf_map_lookup_elem(d->c.fd[M_VIPS], &vs->key, &vip)) {
		if (vip_owner(d, vip.id) != LBXDP_OWNER_DAEMON) {
			if (!vs->cli_owned)
				d_err(d,
				      "%s was made by the CLI: the daemon leaves it alone ('lbxdp vip del %s' hands it over)",
				      svc, svc);
			vs->cli_owned = true;
			return 0;
		}
		/* In place: the VIP's flows and CLI backends stay. */
		if (vip.sched != cv->sched ||
		    vip.persist_sec != cv->persist_sec) {
			err = lbxdp_vip_set(&d->c, &vs->key, cv->sched,
					    cv->persist_sec);
			if (err)
				return err;
			d_log(d,
			      "%s: lb_algo %s (lbxdp's %s), persistence_timeout %u",
			      svc, cv->sched_as_written,
			      sched_names[cv->sched & 3], cv->persist_sec);
		}
	}
	if (bpf_map_lookup_elem(d->c.fd[M_VIPS], &vs->key, &vip)) {
		err = lbxdp_vip_add(&d->c, &vs->key, cv->sched, cv->persist_sec,
				    LBXDP_OWNER_DAEMON);
		if (err)
			return err;
		if (bpf_map_lookup_elem(d->c.fd[M_VIPS], &vs->key, &vip))
			return -errno;
		/* keepalived's mh hashes the source alone (IPVS's): it is
		 * lbxdp's sh, and mh with mh-port is lbxdp's mh. */
		d_log(d, "%s: added (lb_algo %s: lbxdp's %s)", svc,
		      cv->sched_as_written, sched_names[cv->sched & 3]);
	}
	vs->cli_owned = false;
	err = read_backends(&d->c, &all);
	if (err)
		return err;
	policy_of(d, vs, all, n, vip.id);
	/* One server the maps refuse (a weight the wrr schedule cannot
	 * take) must not keep the others out of step. */
	for (i = 0; i < vs->nrs; i++) {
		err = sync_rs(d, vs, &vs->rs[i], &all, n, vip.id);
		if (err == -EAGAIN)
			again = err;
		else if (err && !first)
			first = err;
		if (!all)
			goto cleanup;
	}
	err = drain_removed(d, vs, all, n, vip.id);
cleanup:
	free(all);
	if (!err)
		err = first;
	return err ? err : again;
}

struct gone {
	struct daemon *d;
	struct lbxdp_vip_key keys[64];
	int n;
};

/* A VIP of ours that the configuration no longer has. */
static int find_gone(struct lbxdp_ctx *c, const struct lbxdp_vip_key *key,
		     const struct lbxdp_vip *vip, void *arg)
{
	struct gone *g = arg;
	int i;

	if (vip_owner(g->d, vip->id) != LBXDP_OWNER_DAEMON)
		return 0;
	for (i = 0; i < g->d->nvs; i++)
		if (!memcmp(&g->d->vs[i].key, key, sizeof(*key)))
			return 0;
	if (g->n < (int)(sizeof(g->keys) / sizeof(g->keys[0])))
		g->keys[g->n++] = *key;
	return 0;
}

int daemon_sync(struct daemon *d)
{
	struct gone g = {.d = d};
	int i, err, again = 0, first = 0;

	if (d->maps_open)
		lbxdp_close(&d->c);
	d->maps_open = false;
	/* Open anew each time: a purge and a new attach replace the maps. */
	err = lbxdp_open_wait(&d->c, d->pin_dir, false, 0);
	if (err)
		return err;
	d->maps_open = true;
	err = lbxdp_trylock(&d->c, d->pin_dir);
	if (err == -EWOULDBLOCK)
		return -EBUSY;
	if (err)
		return err;
	err = lbxdp_repair(&d->c, true);
	if (err < 0)
		goto cleanup;
	err = lbxdp_config_read(&d->c);
	if (err)
		goto cleanup;
	dfsync_feed(d);
	/* Every service is tried, whatever one of them says. */
	for (i = 0; i < d->nvs; i++) {
		err = sync_vs(d, &d->vs[i]);
		if (err == -EAGAIN)
			again = err;
		else if (err && !first)
			first = err;
	}
	err = for_each_vip(&d->c, find_gone, &g);
	if (g.n == (int)(sizeof(g.keys) / sizeof(g.keys[0])))
		again = -EAGAIN; /* more to remove: the next sync goes on */
	for (i = 0; i < g.n && !err; i++) {
		char svc[LBXDP_SVC_STRLEN];

		err = lbxdp_vip_del(&d->c, &g.keys[i]);
		if (!err)
			d_log(d, "%s: removed",
			      lbxdp_format_service(&g.keys[i], svc,
						   sizeof(svc)));
	}
	if (!err)
		err = lbxdp_config_read(&d->c);
	if (!err)
		d->seen_gen = d->c.cfg.gen;
	if (!err)
		err = first;
cleanup:
	lbxdp_unlock(&d->c);
	return err ? err : again;
}
