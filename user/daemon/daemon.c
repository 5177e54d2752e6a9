// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The daemon's core: the configuration's servers at run time, their
 * checks, signals, reload, and the sync timer that keeps the maps in step
 * (sync.c). One loop, no threads.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include "daemon/daemon.h"
#include "daemon/dfsync.h"
#include "daemon/dlog.h"
#include "daemon/stats.h"
#include "daemon/vrrp.h"
#include "log.h"
#include "parse.h"
#include "records.h"
#include "runpath.h"
#include "service.h"

/* How soon a sync is retried when the lock is busy or a MAC is unknown. */
#define SYNC_RETRY_MS 200
/* How often the maps are looked at for the operator's changes. */
#define SYNC_POLL_MS 1000
/* A reload waits for another writer's lock this many times 50 ms. */
#define RELOAD_LOCK_TRIES 100
/* Every this many polls, a sync whatever the gen says. */
#define SYNC_FULL_POLLS 30
/* After this, a server whose MAC is still unknown waits without
 * holding READY back (the kernel's three ARP tries take 3 s). */
#define MAC_WAIT_MS 3500

static const char *state_word(const struct d_rs *r)
{
	if (r->neigh_failed)
		return "down";
	if (r->suspended)
		return r->h.state == RS_DOWN ? "down (suspended)"
					     : "up (suspended)";
	if (!r->chk)
		return r->cr ? "not checked" : "sorry";
	if (!r->h.last_ms)
		return "not yet checked";
	return r->h.state == RS_DOWN ? "down" : "up";
}

void daemon_kick(struct daemon *d)
{
	d->sync_due = true;
	loop_timer_in(&d->loop, &d->sync_t, 0);
}

void daemon_mail(struct daemon *d, const struct smtp_msg *m)
{
	if (d->smtp)
		smtp_queue(d->smtp, m);
}

const char *daemon_router_id(const struct daemon *d)
{
	return d->smtp ? d->smtp->router_id : "";
}

/* keepalived mails a checker's move from up to down and back; a server
 * not checked yet counts as up (its checkers start up without alpha). */
static void mail_rs(struct d_rs *r, enum rs_state was,
		    const struct rs_health *h)
{
	struct smtp_msg m = {0};

	if (r->cr->smtp_alert != CONF_ON || h->state == RS_UNKNOWN ||
	    (was == RS_UNKNOWN && h->state == RS_UP))
		return;
	smtp_msg_rs(&m, daemon_router_id(r->d), r->vs->cv, r->cr,
		    h->state == RS_UP, h->checker);
	daemon_mail(r->d, &m);
}

static void on_result(void *arg, const struct rs_health *h, bool changed)
{
	struct d_rs *r = arg;
	struct daemon *d = r->d;
	enum rs_state was = r->h.state;

	r->h = *h;
	daemon_health_write(d, r);
	if (!changed)
		return;
	daemon_kick(d);
	if (was == h->state)
		return;
	mail_rs(r, was, h);
	if (h->state == RS_UP && r->cr->notify_up.cmd)
		check_run_script(&d->env, &r->cr->notify_up,
				 r->vs->cv->delay_loop_ms);
	if (h->state == RS_DOWN && r->cr->notify_down.cmd)
		check_run_script(&d->env, &r->cr->notify_down,
				 r->vs->cv->delay_loop_ms);
}

/* The checks' lines go where the daemon's go (stderr, or syslog). */
static void check_log(void *arg, const char *line)
{
	d_log(arg, "%s", line);
}

/* Mail alerts: off when their settings are wrong (logged by smtp.c). */
static int smtp_start(struct daemon *d)
{
	d->smtp = malloc(sizeof(*d->smtp));
	if (!d->smtp)
		return -ENOMEM;
	smtp_init(d->smtp, &d->loop, check_log, d);
	smtp_configure(d->smtp, &d->cf->g);
	return 0;
}

static void free_vs(struct d_vs *vs, int n)
{
	int i, k;

	for (i = 0; i < n; i++) {
		for (k = 0; k < vs[i].nrs; k++)
			if (vs[i].rs[k].chk)
				rs_check_free(vs[i].rs[k].chk);
		free(vs[i].rs);
	}
	free(vs);
}

/* The run-time servers of @cf, checks not started. */
static int build_vs(struct daemon *d, const struct conf *cf, struct d_vs **out,
		    int *nout)
{
	struct d_vs *vs;
	int i, k;

	vs = calloc(cf->nvs ? cf->nvs : 1, sizeof(*vs));
	if (!vs)
		return -ENOMEM;
	for (i = 0; i < cf->nvs; i++) {
		const struct conf_vs *cv = &cf->vs[i];
		struct d_vs *v = &vs[i];

		v->cv = cv;
		v->key.addr[0] = cv->addr;
		v->key.port = htons(cv->port);
		v->key.proto = cv->proto;
		v->key.family = LBXDP_AF_INET;
		v->quorum_up = true;
		v->nrs = cv->nrs + (cv->has_sorry ? 1 : 0);
		v->rs = calloc(v->nrs ? v->nrs : 1, sizeof(*v->rs));
		if (!v->rs) {
			free_vs(vs, i + 1);
			return -ENOMEM;
		}
		for (k = 0; k < v->nrs; k++) {
			struct d_rs *r = &v->rs[k];

			r->d = d;
			r->vs = v;
			r->cr = k < cv->nrs ? &cv->rs[k] : NULL;
			r->addr = r->cr ? r->cr->addr : cv->sorry_addr;
			r->h.state = RS_UP;
			r->h.weight = -1;
		}
	}
	*out = vs;
	*nout = cf->nvs;
	return 0;
}

/* What the pinned health map says of @r's record (@all: the records), to
 * start from it: a restart must not flap a server. */
static bool pinned_health(struct daemon *d, const struct d_rs *r,
			  const struct lbxdp_backend *all, struct rs_health *h)
{
	const __be32 addr[4] = {r->addr};
	struct lbxdp_health hv;
	struct lbxdp_vip vip;
	__u32 i;

	if (!all || d->c.fd[M_HEALTH] < 0 ||
	    bpf_map_lookup_elem(d->c.fd[M_VIPS], &r->vs->key, &vip))
		return false;
	i = find_backend(all, lbxdp_nbackend_slots(&d->c.cfg), vip.id, addr);
	if (!i || bpf_map_lookup_elem(d->c.fd[M_HEALTH], &i, &hv) ||
	    hv.gen != all[i].gen ||
	    (hv.state != LBXDP_HEALTH_UP && hv.state != LBXDP_HEALTH_DOWN))
		return false;
	memset(h, 0, sizeof(*h));
	h->state = hv.state == LBXDP_HEALTH_UP ? RS_UP : RS_DOWN;
	h->weight = -1;
	h->fails = hv.fails;
	h->oks = hv.oks;
	h->transitions = hv.transitions;
	h->last_ms = hv.last_ms;
	h->since_ms = hv.since_ms;
	snprintf(h->checker, sizeof(h->checker), "%s", hv.checker);
	snprintf(h->reason, sizeof(h->reason), "%s", hv.reason);
	return true;
}

/* @r's server in the configuration before a reload, NULL if new. */
static struct d_rs *old_rs(const struct d_vs *v, const struct d_rs *r,
			   struct d_vs *old, int nold)
{
	int j, m;

	for (j = 0; j < nold; j++) {
		if (memcmp(&old[j].key, &v->key, sizeof(v->key)))
			continue;
		for (m = 0; m < old[j].nrs; m++)
			if (old[j].rs[m].addr == r->addr &&
			    !old[j].rs[m].cr == !r->cr)
				return &old[j].rs[m];
	}
	return NULL;
}

/* A kept checker (@o's, the same parameters) goes on for @r. */
static bool keeps_checker(const struct d_rs *o, const struct d_rs *r)
{
	return o && o->chk && r->cr && r->cr->nchecks &&
	       rs_check_same(o->vs->cv, o->cr, r->vs->cv, r->cr);
}

/*
 * Start the checks of @vs's servers; @old (may be NULL) are the servers
 * of the configuration before a reload. New checkers are made first and
 * unchanged ones moved over last, so that a failure leaves @old whole.
 */
static int start_checks(struct daemon *d, struct d_vs *vs, int nvs,
			struct d_vs *old, int nold)
{
	struct check_env env = d->env;
	struct lbxdp_backend *all = NULL;
	int i, k, j, err = 0;

	/* At start only: a reload carries the states over from @old. */
	if (!old && d->maps_open && read_backends(&d->c, &all))
		all = NULL;
	for (i = 0; i < nvs; i++) {
		for (j = 0; j < nold; j++)
			if (!memcmp(&old[j].key, &vs[i].key, sizeof(vs[i].key)))
				vs[i].quorum_up = old[j].quorum_up;
		for (k = 0; k < vs[i].nrs; k++) {
			struct d_rs *r = &vs[i].rs[k];
			struct d_rs *o = old_rs(&vs[i], r, old, nold);
			struct rs_health h0;
			enum rs_state init;
			bool have0;

			if (o) {
				r->mac_known = o->mac_known;
				memcpy(r->mac, o->mac, sizeof(r->mac));
				r->neigh_failed = o->neigh_failed;
				r->arp_at = o->arp_at;
				r->arp_wait = o->arp_wait;
				r->id = o->id;
				r->gen = o->gen;
			}
			if (!r->cr || !r->cr->nchecks) {
				r->h.state = RS_UP;
				continue;
			}
			if (keeps_checker(o, r))
				continue; /* moved below, once all is made */
			env.arg = r;
			r->chk = rs_check_new(&env, vs[i].cv, r->cr);
			if (!r->chk) {
				err = -ENOMEM;
				goto cleanup;
			}
			have0 = o && (o->chk || o->suspended)
					? (h0 = o->h, true)
					: pinned_health(d, r, all, &h0);
			/* without a state to keep, alpha is each checker's */
			init = have0 ? h0.state : RS_UP;
			rs_check_start(r->chk, init, have0 ? &h0 : NULL);
			r->h = *rs_check_health(r->chk);
		}
	}
	/* Nothing fails from here: the unchanged checkers go on. */
	for (i = 0; i < nvs; i++) {
		for (k = 0; k < vs[i].nrs; k++) {
			struct d_rs *r = &vs[i].rs[k];
			struct d_rs *o = old_rs(&vs[i], r, old, nold);

			if (!keeps_checker(o, r))
				continue;
			r->chk = o->chk;
			o->chk = NULL;
			env.arg = r;
			rs_check_rebind(r->chk, &env, vs[i].cv, r->cr);
			r->h = *rs_check_health(r->chk);
		}
	}
cleanup:
	free(all);
	return err;
}

static void on_sync(struct loop_timer *t)
{
	struct daemon *d = t->arg;
	char sum[256];
	int err;

	/* The gen tells of the CLI's changes; a full sync now and then
	 * also finds maps that a purge and a new attach replaced (the gen
	 * of the old ones, still open, never moves). */
	if (!d->sync_due && d->maps_open && ++d->polls % SYNC_FULL_POLLS &&
	    !lbxdp_config_read(&d->c) && d->c.cfg.gen == d->seen_gen) {
		loop_timer_in(&d->loop, &d->sync_t, SYNC_POLL_MS);
		/* the maps as the last sync left them: a first check's
		 * result (alpha) may be all the join waited for */
		if (!d->last_err || d->last_err == -EAGAIN)
			dfsync_synced(d);
		return;
	}
	err = daemon_sync(d);
	if (err == -EBUSY ||
	    (err == -EAGAIN && loop_now(&d->loop) < d->mac_deadline)) {
		/* The lock is another writer's, or MACs are on their way. */
		d->sync_due = true;
		loop_timer_in(&d->loop, &d->sync_t, SYNC_RETRY_MS);
		return;
	}
	if (err && err != -EAGAIN && err != d->last_err)
		d_err(d, "cannot update the maps: %s (trying again)",
		      strerror(-err));
	d->last_err = err;
	/* Every service was tried: ready, whatever one of them refused
	 * (said above, and tried again), rather than never. */
	d->sync_due = err != 0;
	loop_timer_in(&d->loop, &d->sync_t,
		      err ? SYNC_RETRY_MS * 5 : SYNC_POLL_MS);
	/* Every service tried: what waits for a MAC now waits long. */
	if (!err || err == -EAGAIN)
		dfsync_synced(d);
	daemon_summary(d, sum, sizeof(sum));
	if (!d->ready) {
		d->ready = true;
		d_log(d, "ready: %s", sum);
		notify_state(d, "READY=1");
	}
	{
		char st[300];

		snprintf(st, sizeof(st), "STATUS=%s", sum);
		notify_state(d, st);
	}
}

/* Whether this LB holds @addr as a VRRP VIP; true when no instance has
 * it (a VIP set by hand, or none: keepalived checks then). */
static bool vip_held(const struct daemon *d, __be32 addr)
{
	bool any = false;
	int i, k;

	for (i = 0; i < d->nvrrp; i++) {
		const struct conf_vrrp *cv = d->vrrp[i]->cv;
		bool has = false;

		for (k = 0; k < cv->nvips; k++)
			has |= cv->vips[k].addr == addr;
		for (k = 0; k < cv->nvips_excluded; k++)
			has |= cv->vips_excluded[k].addr == addr;
		if (!has)
			continue;
		if (d->vrrp[i]->fsm.state == VRRP_STATE_MASTER)
			return true;
		any = true;
	}
	return !any;
}

static void on_ha(struct loop_timer *t)
{
	daemon_ha_suspend(t->arg);
}

void daemon_ha_kick(struct daemon *d)
{
	loop_timer_in(&d->loop, &d->ha_t, 0);
}

void daemon_ha_suspend(struct daemon *d)
{
	struct check_env env = d->env;
	int i, k;

	for (i = 0; i < d->nvs; i++) {
		struct d_vs *v = &d->vs[i];
		bool run = !v->cv->ha_suspend || vip_held(d, v->cv->addr);

		for (k = 0; k < v->nrs; k++) {
			struct d_rs *r = &v->rs[k];

			if (!r->cr || !r->cr->nchecks)
				continue;
			if (!run && r->chk) {
				/* the verdict stays as it was */
				rs_check_free(r->chk);
				r->chk = NULL;
				r->suspended = true;
			} else if (run && r->suspended) {
				env.arg = r;
				r->chk = rs_check_new(&env, v->cv, r->cr);
				if (!r->chk)
					continue; /* ENOMEM: tried again later */
				r->suspended = false;
				rs_check_start(r->chk, r->h.state, &r->h);
				r->h = *rs_check_health(r->chk);
			}
		}
	}
	dfsync_update(d);
}

static void on_signal(struct loop_fd *h, uint32_t events)
{
	struct daemon *d = h->arg;
	struct signalfd_siginfo si;

	while (read(h->fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			daemon_reload(d, NULL);
			break;
		case SIGTERM:
		case SIGINT:
			d_log(d, "stopping on signal %u", si.ssi_signo);
			loop_stop(&d->loop);
			break;
		default:
			break;
		}
	}
}

void daemon_summary(struct daemon *d, char *buf, size_t len)
{
	int i, k, up = 0, all = 0;

	for (i = 0; i < d->nvs; i++)
		for (k = 0; k < d->vs[i].nrs; k++) {
			if (!d->vs[i].rs[k].cr)
				continue;
			all++;
			up += d->vs[i].rs[k].want.present &&
			      d->vs[i].rs[k].want.up;
		}
	snprintf(buf, len, "%d virtual server%s, %d/%d real servers up on %s",
		 d->nvs, d->nvs == 1 ? "" : "s", up, all, d->ifname);
}

/* Mail alerts' counters, when mail is on. */
static void mail_status(struct daemon *d, FILE *out, struct json_object *o)
{
	const struct smtp *s = d->smtp;
	struct json_object *m;

	if (!s || !s->on)
		return;
	if (out)
		fprintf(out,
			"mail: to %s, %lu sent, %lu failed, %lu dropped, %u queued\n",
			s->server, s->nsent, s->nfailed, s->ndropped,
			s->n + (s->stage != SMTP_IDLE));
	m = json_object_new_object();
	json_object_object_add(m, "server", json_object_new_string(s->server));
	json_object_object_add(m, "sent", json_object_new_int64(s->nsent));
	json_object_object_add(m, "failed", json_object_new_int64(s->nfailed));
	json_object_object_add(m, "dropped",
			       json_object_new_int64(s->ndropped));
	json_object_object_add(
		m, "queued",
		json_object_new_int64(s->n + (s->stage != SMTP_IDLE)));
	json_object_object_add(o, "mail", m);
}

void daemon_status(struct daemon *d, FILE *out, bool json)
{
	struct json_object *o, *vsa;
	char svc[LBXDP_SVC_STRLEN], ip[64], sum[256];
	uint64_t now = loop_now(&d->loop);
	int i, k;

	daemon_summary(d, sum, sizeof(sum));
	if (!json) {
		fprintf(out, "daemon: pid %d, up %llus, config %s\n",
			(int)getpid(),
			(unsigned long long)(now - d->start_ms) / 1000,
			d->conf_path);
		fprintf(out, "%s; %u reloads, %u refused\n", sum, d->reloads,
			d->reload_errors);
	}
	o = json_object_new_object();
	vsa = json_object_new_array();
	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	json_object_object_add(o, "config",
			       json_object_new_string(d->conf_path));
	json_object_object_add(o, "interface",
			       json_object_new_string(d->ifname));
	json_object_object_add(
		o, "uptime", json_object_new_int64((now - d->start_ms) / 1000));
	json_object_object_add(o, "ready", json_object_new_boolean(d->ready));
	json_object_object_add(o, "reloads", json_object_new_int(d->reloads));
	json_object_object_add(o, "summary", json_object_new_string(sum));
	for (i = 0; i < d->nvs; i++) {
		struct d_vs *v = &d->vs[i];
		struct json_object *vo = json_object_new_object(), *ra;

		lbxdp_format_service(&v->key, svc, sizeof(svc));
		if (!json)
			fprintf(out, "%s %s%s%s\n", svc,
				v->cv->sched_as_written,
				v->quorum_up ? "" : " (quorum down)",
				v->cli_owned ? " (the CLI's: left alone)" : "");
		json_object_object_add(vo, "service",
				       json_object_new_string(svc));
		json_object_object_add(vo, "quorum_up",
				       json_object_new_boolean(v->quorum_up));
		ra = json_object_new_array();
		for (k = 0; k < v->nrs; k++) {
			struct d_rs *r = &v->rs[k];
			struct json_object *ro = json_object_new_object();
			__be32 a[4] = {r->addr};

			lbxdp_format_addr(a, LBXDP_AF_INET, ip, sizeof(ip));
			if (!json)
				fprintf(out,
					"  %-15s %-15s weight %-5u %s%s%s%s\n",
					ip, state_word(r), r->want.weight,
					r->want.present ? "" : "removed ",
					r->want.by ? r->want.by : "",
					r->h.reason[0] ? ": " : "",
					r->h.reason);
			json_object_object_add(ro, "address",
					       json_object_new_string(ip));
			json_object_object_add(
				ro, "health",
				json_object_new_string(state_word(r)));
			json_object_object_add(
				ro, "weight",
				json_object_new_int64(r->want.weight));
			json_object_object_add(
				ro, "up",
				json_object_new_boolean(r->want.present &&
							r->want.up));
			json_object_object_add(
				ro, "by",
				json_object_new_string(r->want.by ? r->want.by
								  : ""));
			json_object_object_add(
				ro, "reason",
				json_object_new_string(r->h.reason));
			json_object_object_add(
				ro, "fails", json_object_new_int64(r->h.fails));
			json_object_object_add(ro, "oks",
					       json_object_new_int64(r->h.oks));
			json_object_object_add(ro, "sorry",
					       json_object_new_boolean(!r->cr));
			json_object_array_add(ra, ro);
		}
		json_object_object_add(vo, "real_servers", ra);
		json_object_array_add(vsa, vo);
	}
	json_object_object_add(o, "virtual_servers", vsa);
	vrrp_status(d, json ? NULL : out, o);
	dfsync_status(d, json ? NULL : out, o);
	mail_status(d, json ? NULL : out, o);
	if (json)
		fprintf(out, "%s\n",
			json_object_to_json_string_ext(o,
						       JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

/* Whether @cf names a service the CLI made: an error at start and on
 * reload ("lbxdp vip del" hands it over). */
static int check_cli_owned(struct daemon *d, const struct conf *cf, FILE *out)
{
	char svc[LBXDP_SVC_STRLEN];
	struct lbxdp_vip_meta m;
	struct lbxdp_vip vip;
	int i, errs = 0;

	for (i = 0; i < cf->nvs && d->maps_open; i++) {
		struct lbxdp_vip_key key = {.addr = {cf->vs[i].addr},
					    .port = htons(cf->vs[i].port),
					    .proto = cf->vs[i].proto,
					    .family = LBXDP_AF_INET};

		if (bpf_map_lookup_elem(d->c.fd[M_VIPS], &key, &vip))
			continue;
		memset(&m, 0, sizeof(m));
		if (d->c.fd[M_VIP_META] >= 0)
			bpf_map_lookup_elem(d->c.fd[M_VIP_META], &vip.id, &m);
		if (m.owner == LBXDP_OWNER_DAEMON)
			continue;
		lbxdp_format_service(&key, svc, sizeof(svc));
		fprintf(out,
			"%s:%d: error: virtual_server %s was made with the CLI: remove it ('lbxdp vip del %s') to let the daemon manage it\n",
			cf->vs[i].at.file, cf->vs[i].at.line, svc, svc);
		errs++;
	}
	return errs;
}

int daemon_reload(struct daemon *d, FILE *out)
{
	struct conf_diag diag = {.out = out ? out : d->diag_out};
	struct vrrp_plan plan = {0};
	struct dfsync_plan fplan = {0};
	struct st_server *stats = NULL;
	struct conf *cf = NULL, *old_cf;
	struct d_vs *vs = NULL, *old_vs;
	int old_nvs;
	int nvs = 0, ifindex = 0, tries, err;

	notify_state(d, "RELOADING=1");
	d_log(d, "reloading %s", d->conf_path);
	err = conf_load(d->conf_path, &d->copts, &cf, &diag);
	if (!err && (conf_check_host(cf, true, &diag) ||
		     daemon_check_machine(cf, true, &diag, &ifindex)))
		err = -EINVAL;
	if (!err && ifindex != d->ifindex) {
		fprintf(diag.out,
			"%s: error: the real servers are now on-link through another interface; restart the daemon to move\n",
			d->conf_path);
		err = -EINVAL;
	}
	if (!err && check_cli_owned(d, cf, diag.out))
		err = -EINVAL;
	if (!err)
		err = build_vs(d, cf, &vs, &nvs);
	if (!err)
		err = dstats_prepare(d, cf, diag.out, &stats);
	if (!err)
		err = dfsync_prepare(d, cf, diag.out, &fplan);
	if (!err) {
		err = vrrp_prepare(d, cf, &plan);
		if (err)
			dfsync_abort(&fplan);
	}
	if (!err) {
		err = start_checks(d, vs, nvs, d->vs, d->nvs);
		if (err) {
			vrrp_abort(&plan);
			dfsync_abort(&fplan);
		}
	}
	if (err)
		dstats_abort(stats);
	if (err) {
		d->reload_errors++;
		d_err(d, "reload refused: %s; the running configuration stays",
		      err == -EINVAL ? "errors in the configuration"
				     : strerror(-err));
		if (vs)
			free_vs(vs, nvs);
		conf_free(cf);
		if (d->ready)
			notify_state(d, "READY=1");
		return -ECANCELED;
	}
	/* The new configuration in place first: the commit's transitions
	 * run its notifies, as the users it names. */
	old_cf = d->cf;
	old_vs = d->vs;
	old_nvs = d->nvs;
	d->cf = cf;
	d->vs = vs;
	d->nvs = nvs;
	if (d->smtp)
		smtp_configure(d->smtp, &cf->g);
	vrrp_commit(d, &plan);
	dfsync_commit(d, &fplan);
	dstats_commit(d, stats);
	free_vs(old_vs, old_nvs);
	conf_free(old_cf);
	daemon_ha_suspend(d);
	d->reloads++;
	/* Apply now, so that "daemon reload" returns with the maps done;
	 * a busy lock is waited for (bounded: the CLI's writes are short). */
	for (tries = 0; tries < RELOAD_LOCK_TRIES; tries++) {
		err = daemon_sync(d);
		if (err != -EBUSY)
			break;
		usleep(SYNC_RETRY_MS * 1000 / 4);
	}
	daemon_kick(d);
	if (d->ready)
		notify_state(d, "READY=1");
	if (err && err != -EAGAIN) {
		fprintf(diag.out,
			"the new configuration is in place, but the maps could not be updated: %s (the daemon keeps trying)\n",
			strerror(-err));
		d_err(d, "reloaded; cannot update the maps: %s (trying again)",
		      strerror(-err));
		return err;
	}
	d_log(d, "reloaded");
	return 0;
}

static int setup_signals(struct daemon *d)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	/* An inherited "ignore" would have the kernel reap every script
	 * before its check could read how it ended. */
	signal(SIGCHLD, SIG_DFL);
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	return loop_fd_add(&d->loop, &d->sig, fd, EPOLLIN, on_signal, d);
}

/* With -l, libbpf's lines go where the library's go. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level != LIBBPF_DEBUG)
		p_vlog(level == LIBBPF_WARN, fmt, ap);
	return 0;
}

int daemon_run(struct daemon *d)
{
	struct conf_diag diag = {.out = stderr};
	struct dfsync_plan fplan = {0};
	struct st_server *stats = NULL;
	struct vrrp_plan plan;
	int err, ifindex = 0;

	d->pid_fd = -1;
	d->sig.fd = d->ctl.fd = d->neigh.fd = d->link.fd = -1;
	d->stats_fd.fd = -1;
	d->loop.epfd = -1;
	d->diag_out = stderr;
	if (d->use_syslog) {
		openlog("lbxdp", LOG_PID, LOG_DAEMON);
		lbxdp_log_syslog();
		libbpf_set_print(libbpf_print);
		diag.out = d_syslog_stream();
		if (diag.out)
			d->diag_out = diag.out;
		else
			diag.out = stderr;
	}
	err = conf_load(d->conf_path, &d->copts, &d->cf, &diag);
	if (err) {
		err = err == -EINVAL ? 1 : 2;
		goto cleanup;
	}
	if (conf_check_host(d->cf, true, &diag) ||
	    daemon_check_machine(d->cf, true, &diag, &ifindex)) {
		err = 1;
		goto cleanup;
	}
	d->ifindex = ifindex;
	if_indextoname((unsigned int)ifindex, d->ifname);
	err = lbxdp_daemon_lock(d->pin_dir, &d->pid_fd);
	if (err) {
		err = 2;
		goto cleanup;
	}
	err = daemon_attach(d);
	if (err) {
		err = 2;
		goto cleanup;
	}
	err = lbxdp_open_wait(&d->c, d->pin_dir, false, 0);
	if (err) {
		err = 2;
		goto cleanup;
	}
	d->maps_open = true;
	if (check_cli_owned(d, d->cf, diag.out)) {
		err = 1;
		goto cleanup;
	}
	err = loop_init(&d->loop);
	if (err)
		goto fail;
	d->start_ms = loop_clock_ms();
	d->mac_deadline = d->start_ms + MAC_WAIT_MS;
	d->env = (struct check_env){
		.loop = &d->loop,
		.result = on_result,
		.log = check_log,
		.log_arg = d,
	};
	loop_timer_init(&d->sync_t, on_sync, d);
	loop_timer_init(&d->ha_t, on_ha, d);
	err = setup_signals(d);
	if (!err)
		err = smtp_start(d);
	if (!err)
		err = ctl_listen(d);
	if (!err)
		err = neigh_listen(d);
	if (!err)
		err = vrrp_track_open(d);
	if (!err)
		err = build_vs(d, d->cf, &d->vs, &d->nvs);
	if (!err)
		err = start_checks(d, d->vs, d->nvs, NULL, 0);
	/* after setup_signals(): its threads block the signalfd's signals */
	if (!err)
		err = dstats_prepare(d, d->cf, diag.out, &stats);
	if (!err)
		err = dfsync_prepare(d, d->cf, diag.out, &fplan);
	if (!err) {
		err = vrrp_prepare(d, d->cf, &plan);
		if (err)
			dfsync_abort(&fplan);
	}
	if (err) {
		dstats_abort(stats);
		goto fail;
	}
	vrrp_commit(d, &plan);
	dfsync_commit(d, &fplan);
	dstats_commit(d, stats);
	daemon_ha_suspend(d);
	d_log(d, "lbxdp daemon: %s on %s, pin directory %s", d->conf_path,
	      d->ifname, d->pin_dir);
	daemon_kick(d);
	err = loop_run(&d->loop);
	notify_state(d, "STOPPING=1");
	/* The maps stay: forwarding goes on without us. */
	err = 0;
	goto cleanup;
fail:
	d_err(d, "cannot start: %s", strerror(-err));
	err = 2;
cleanup:
	/* a clean stop: priority 0 hands the VIPs over at once */
	if (d->loop.epfd >= 0) {
		vrrp_stop(d);
		vrrp_scripts_stop(d);
		dfsync_stop(d);
		dstats_stop(d);
	}
	if (d->smtp) {
		/* the stop's mails (vrrp_stop's) and those still queued */
		smtp_drain(d->smtp, SMTP_DRAIN_MS);
		smtp_fini(d->smtp);
		free(d->smtp);
		d->smtp = NULL;
	}
	if (d->vs)
		free_vs(d->vs, d->nvs);
	ctl_close(d);
	neigh_close(d);
	vrrp_track_close(d);
	if (d->sig.fd >= 0) {
		int fd = d->sig.fd;

		loop_fd_del(&d->loop, &d->sig);
		close(fd);
	}
	if (d->loop.epfd >= 0)
		loop_fini(&d->loop);
	if (d->maps_open)
		lbxdp_close(&d->c);
	if (d->pid_fd >= 0)
		close(d->pid_fd);
	conf_free(d->cf);
	if (d->diag_out != stderr)
		fclose(d->diag_out);
	return err;
}
