// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The daemon's VRRP instances (vrrp.h): vrrp_fsm decides, this file does
 * what it says, in its order (advert first, then the VIPs), and keeps
 * what `lbxdp daemon status` shows.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <json-c/json.h>
#include "netlink.h"
#include "daemon/check.h"
#include "daemon/daemon.h"
#include "daemon/dfsync.h"
#include "daemon/dlog.h"
#include "daemon/vrrp.h"
#include "daemon/vrrp_net.h"

/* What a dropped advert's log line says of it. */
static const char *const drop_text[VRRP_DROP__MAX] = {
	[VRRP_DROP_LENGTH] = "a bad length",
	[VRRP_DROP_TTL] = "a TTL other than 255",
	[VRRP_DROP_VERSION] = "another VRRP version",
	[VRRP_DROP_TYPE] = "a type other than advertisement",
	[VRRP_DROP_CHECKSUM] = "a bad checksum",
	[VRRP_DROP_VRID] = "another virtual_router_id",
	[VRRP_DROP_AUTH] = "an invalid password",
	[VRRP_DROP_INTERVAL] = "an advertisement interval mismatch",
	[VRRP_DROP_DEST] =
		"a destination other than ours (unicast_peer: our address, else 224.0.0.18)",
	[VRRP_DROP_ADDRESSES] = "a VIP list other than ours",
};

static const char *ip_str(__be32 a, char *buf, size_t len)
{
	if (!inet_ntop(AF_INET, &a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

static uint64_t now_ms(const struct d_vrrp *v)
{
	return loop_now(&v->d->loop);
}

/* ---- the VIPs ---- */

/* The instance's @i-th VIP of nvips + nvips_excluded (excluded ones are
 * added and announced too; they only stay out of the adverts). */
static const struct conf_vip_addr *vip_nth(const struct conf_vrrp *cv, int i)
{
	return i < cv->nvips ? &cv->vips[i] : &cv->vips_excluded[i - cv->nvips];
}

/* Add or remove the VIP @a: whether it did (not if it was so already,
 * or if it failed: logged). */
static bool vip_set(struct d_vrrp *v, const struct conf_vip_addr *a, bool add)
{
	char ip[INET_ADDRSTRLEN];
	int err;

	err = lbxdp_nl_addr(v->ifindex, add, a->addr, a->prefix, a->label,
			    a->scope);
	if (err && err != (add ? -EEXIST : -EADDRNOTAVAIL))
		d_err(v->d, "vrrp_instance %s: cannot %s %s/%u on %s: %s",
		      v->cv->name, add ? "add" : "remove",
		      ip_str(a->addr, ip, sizeof(ip)), a->prefix,
		      v->cv->interface, strerror(-err));
	return !err;
}

/* Add or remove every VIP of the instance (excluded ones too: keepalived
 * adds them, it only leaves them out of the adverts). How many it added
 * or removed. */
static int vips_set(struct d_vrrp *v, bool add)
{
	const struct conf_vrrp *cv = v->cv;
	int i, n = 0;

	for (i = 0; i < cv->nvips + cv->nvips_excluded; i++)
		n += vip_set(v, vip_nth(cv, i), add);
	return n;
}

/* ---- gratuitous ARPs ---- */

static void garp_arm(struct d_vrrp *v)
{
	uint64_t t = UINT64_MAX;

	if (v->garp_rounds)
		t = v->garp_next;
	if (v->garp_second && v->garp_second < t)
		t = v->garp_second;
	if (v->garp_lower && v->garp_lower < t)
		t = v->garp_lower;
	if (v->garp_refresh && v->garp_refresh < t)
		t = v->garp_refresh;
	if (t == UINT64_MAX)
		loop_timer_cancel(&v->d->loop, &v->garp_t);
	else
		loop_timer_at(&v->d->loop, &v->garp_t, t);
}

/* One ARP for each VIP. */
static void garp_round(struct d_vrrp *v)
{
	const struct conf_vrrp *cv = v->cv;
	int i;

	for (i = 0; i < cv->nvips + cv->nvips_excluded; i++)
		if (!vrrp_garp_send(v->garp_fd, v->ifindex, v->mac,
				    vip_nth(cv, i)->addr))
			v->garps++;
}

/* @n rounds more, the first at @now unless some are pending. */
static void garp_more(struct d_vrrp *v, uint64_t now, __u32 n)
{
	if (!v->garp_rounds)
		v->garp_next = now;
	v->garp_rounds += n;
}

/* A set due at *@at (0: none) by @now adds its @n rounds: whether it was
 * due (*@at is then 0). */
static bool garp_due(struct d_vrrp *v, uint64_t now, uint64_t *at, __u32 n)
{
	if (!*at || now < *at)
		return false;
	garp_more(v, now, n);
	*at = 0;
	return true;
}

static void garp_run(struct d_vrrp *v)
{
	const struct conf_vrrp *cv = v->cv;
	uint64_t now = now_ms(v);

	garp_due(v, now, &v->garp_second, v->garp_second_rounds);
	garp_due(v, now, &v->garp_lower, v->garp_lower_rounds);
	if (garp_due(v, now, &v->garp_refresh, cv->garp_refresh_repeat))
		v->garp_refresh = now + cv->garp_refresh_ms;
	while (v->garp_rounds && now >= v->garp_next) {
		garp_round(v);
		v->garp_rounds--;
		/* vrrp_garp_interval spaces them; 0 sends them at once */
		if (cv->garp_interval_ms) {
			v->garp_next = now + cv->garp_interval_ms;
			break;
		}
	}
	garp_arm(v);
}

/* @repeat rounds now, @repeat more after @delay_ms (keepalived's second
 * set), then the refresh while MASTER. */
static void garp_begin(struct d_vrrp *v, __u32 repeat, __u32 delay_ms)
{
	uint64_t now = now_ms(v);

	v->garp_rounds = repeat;
	v->garp_next = now;
	v->garp_second = delay_ms ? now + delay_ms : 0;
	v->garp_second_rounds = repeat;
	if (v->cv->garp_refresh_ms && !v->garp_refresh)
		v->garp_refresh = now + v->cv->garp_refresh_ms;
	garp_run(v);
}

/*
 * MASTER heard a lower priority: garp_lower_prio_repeat rounds now and
 * again after garp_lower_prio_delay, besides what is still to come of
 * garp_begin()'s and of earlier lower priorities' (keepalived runs each
 * on a timer of its own; here they join the first one pending).
 */
static void garp_lower(struct d_vrrp *v)
{
	const struct conf_vrrp *cv = v->cv;
	uint64_t now = now_ms(v);

	garp_more(v, now, cv->garp_lower_repeat);
	if (cv->garp_lower_delay_ms && !v->garp_lower) {
		v->garp_lower = now + cv->garp_lower_delay_ms;
		v->garp_lower_rounds = 0;
	}
	if (v->garp_lower)
		v->garp_lower_rounds += cv->garp_lower_repeat;
	garp_run(v);
}

static void garp_end(struct d_vrrp *v)
{
	v->garp_rounds = 0;
	v->garp_second = v->garp_refresh = v->garp_lower = 0;
	garp_arm(v);
}

static void on_garp(struct loop_timer *t)
{
	garp_run(t->arg);
}

/* ---- adverts ---- */

static void send_advert(struct d_vrrp *v, __u8 prio)
{
	const struct conf_vrrp *cv = v->cv;
	struct vrrp_advert a = {
		.version = (uint8_t)cv->version,
		.vrid = cv->vrid,
		.priority = prio,
		.interval_cs = (uint16_t)(cv->advert_int_ms / 10),
		.saddr = v->saddr,
		.csum_group = v->expect.csum == VRRP_CSUM_OLD,
		.naddrs = v->expect.naddrs,
	};
	uint8_t buf[1200];
	int i, len, err, ndst = cv->npeers ? cv->npeers : 1;

	memcpy(a.addrs, v->addrs, sizeof(__be32) * (size_t)a.naddrs);
	if (cv->version == 2 && cv->auth_pass[0]) {
		a.auth_type = 1;
		memcpy(a.auth_pass, cv->auth_pass, sizeof(a.auth_pass));
	}
	for (i = 0; i < ndst; i++) {
		/* v3's checksum covers the destination: one encode each */
		a.daddr = cv->npeers ? cv->unicast_peers[i] : htonl(VRRP_GROUP);
		len = vrrp_encode(&a, buf, sizeof(buf));
		err = len < 0 ? len
			      : vrrp_sock_send(v->sock.fd, v->ifindex, v->saddr,
					       a.daddr, buf, (size_t)len);
		if (err)
			v->tx_err++;
		else
			v->tx++;
	}
}

/* ---- transitions ---- */

static const char *notify_state_word(enum vrrp_state s)
{
	return s == VRRP_STATE_INIT ? "STOP" : vrrp_state_name(s);
}

/*
 * keepalived's notify_* of the state, then "notify TYPE NAME STATE
 * PRIORITY": TYPE INSTANCE, or GROUP with priority 0 (vrrp_notify.c).
 */
static void run_notifies(struct daemon *d, const char *type, const char *name,
			 const struct conf_script *const s4[4],
			 const struct conf_script *all, enum vrrp_state to,
			 unsigned int prio)
{
	const struct conf_script *one = NULL;
	struct conf_script s;
	char cmd[1024];
	int err;

	switch (to) {
	case VRRP_STATE_MASTER:
		one = s4[0];
		break;
	case VRRP_STATE_BACKUP:
		one = s4[1];
		break;
	case VRRP_STATE_FAULT:
		one = s4[2];
		break;
	case VRRP_STATE_INIT:
		one = s4[3];
		break;
	}
	if (one && one->cmd) {
		err = check_run_script(&d->env, one, VRRP_NOTIFY_TIMEOUT_MS);
		if (err)
			d_err(d, "%s %s: cannot run %s: %s", type, name,
			      one->cmd, strerror(-err));
	}
	if (!all->cmd)
		return;
	s = *all;
	if (snprintf(cmd, sizeof(cmd), "%s %s \"%s\" %s %u", all->cmd,
		     strcmp(type, "vrrp_instance") ? "GROUP" : "INSTANCE", name,
		     notify_state_word(to), prio) >= (int)sizeof(cmd)) {
		d_err(d, "%s %s: notify: the command is too long", type, name);
		return;
	}
	s.cmd = cmd;
	err = check_run_script(&d->env, &s, VRRP_NOTIFY_TIMEOUT_MS);
	if (err)
		d_err(d, "%s %s: cannot run %s: %s", type, name, all->cmd,
		      strerror(-err));
}

static void inst_notifies(struct d_vrrp *v, enum vrrp_state to)
{
	const struct conf_vrrp *cv = v->cv;
	const struct conf_script *const s4[] = {
		&cv->notify_master, &cv->notify_backup, &cv->notify_fault,
		&cv->notify_stop};

	run_notifies(v->d, "vrrp_instance", cv->name, s4, &cv->notify, to,
		     v->fsm.prio);
}

/* The group's state moved: logged, its notifies run and its mail goes
 * once (keepalived's send_group_notifies()). */
static void group_transition(struct d_vgroup *dg)
{
	const struct conf_sync_group *cg = dg->cg;
	const struct conf_script *const s4[] = {
		&cg->notify_master, &cg->notify_backup, &cg->notify_fault,
		&cg->notify_stop};
	struct daemon *d = dg->v[0]->d;

	d_log(d, "vrrp_sync_group %s: %s -> %s", cg->name,
	      vrrp_state_name(dg->g.from), vrrp_state_name(dg->g.state));
	run_notifies(d, "vrrp_sync_group", cg->name, s4, &cg->notify,
		     dg->g.state, 0);
	if (cg->smtp_alert == CONF_ON) {
		struct smtp_msg m = {0};

		smtp_msg_vgroup(&m, daemon_router_id(d), cg->name, dg->g.state);
		daemon_mail(d, &m);
	}
}

static void transition(struct d_vrrp *v, enum vrrp_state from,
		       const struct vrrp_action *a)
{
	struct vrrp_transition *t = &v->hist[v->nhist++ % VRRP_HIST];

	t->at = now_ms(v);
	t->wall = (__s64)time(NULL);
	t->from = from;
	t->to = a->state;
	snprintf(t->cause, sizeof(t->cause), "%s", a->cause);
	d_log(v->d, "vrrp_instance %s: %s -> %s: %s", v->cv->name,
	      vrrp_state_name(from), vrrp_state_name(a->state), a->cause);
	inst_notifies(v, a->state);
	if (v->cv->smtp_alert == CONF_ON) {
		struct smtp_msg m = {0};

		smtp_msg_vrrp(&m, daemon_router_id(v->d), v->cv->name,
			      a->state);
		daemon_mail(v->d, &m);
	}
	daemon_ha_kick(v->d);
}

/* Do what the state machine said, in its order. */
static void step(struct d_vrrp *v, enum vrrp_state from,
		 const struct vrrp_action *a)
{
	if (a->send)
		send_advert(v, a->send_prio);
	if (a->vip_add) {
		vips_set(v, true);
		garp_begin(v, v->cv->garp_repeat, v->cv->garp_delay_ms);
	}
	if (a->vip_del) {
		garp_end(v);
		vips_set(v, false);
	}
	if (a->garp)
		garp_lower(v);
	if (a->changed)
		transition(v, from, a);
	if (a->next == VRRP_FSM_NEVER)
		loop_timer_cancel(&v->d->loop, &v->fsm_t);
	else
		loop_timer_at(&v->d->loop, &v->fsm_t, a->next);
}

/*
 * A group call's actions: the member @first's own, then the others' (as
 * keepalived's vrrp_sync_*() follow the member that moved), then the
 * group's notifies if its state moved.
 */
static void group_apply(struct d_vgroup *dg, int first, bool changed)
{
	int j, k;

	for (j = -1; j < dg->g.n; j++) {
		struct vrrp_group_member *m;
		struct d_vrrp *v;

		k = j < 0 ? first : j;
		if (j == first || k < 0)
			continue;
		m = &dg->g.m[k];
		v = dg->v[k];
		if (!v->started)
			continue;
		step(v, m->from, &m->act);
		if (m->held && !v->held_logged)
			d_log(v->d, "vrrp_instance %s: %s", v->cv->name,
			      m->act.cause);
		v->held_logged =
			m->want_master && v->fsm.state == VRRP_STATE_BACKUP;
	}
	/* keepalived: a MASTER that heard a lower priority repeats the
	 * gratuitous ARPs of the group's other members too */
	if (first >= 0 && dg->g.m[first].act.garp)
		for (k = 0; k < dg->g.n; k++)
			if (k != first && dg->v[k]->cv->garp_lower_repeat &&
			    dg->v[k]->fsm.state == VRRP_STATE_MASTER)
				garp_lower(dg->v[k]);
	if (changed)
		group_transition(dg);
}

static void on_fsm_timer(struct loop_timer *t)
{
	struct d_vrrp *v = t->arg;
	enum vrrp_state from = v->fsm.state;
	struct vrrp_action a;
	bool changed;

	if (v->group) {
		changed = vrrp_group_timer(&v->group->g, v->gi, now_ms(v));
		group_apply(v->group, v->gi, changed);
		return;
	}
	a = vrrp_fsm_timer(&v->fsm, now_ms(v));
	step(v, from, &a);
}

/* ---- receiving ---- */

static void dropped(struct d_vrrp *v, enum vrrp_drop r, __be32 from,
		    const struct vrrp_advert *a)
{
	char ip[INET_ADDRSTRLEN];
	uint64_t now = now_ms(v);

	v->drops[r]++;
	/* another instance's adverts on a shared link are no news */
	if (r == VRRP_DROP_VRID)
		return;
	if (v->drop_logged[r] && now - v->drop_logged[r] < VRRP_DROP_LOG_MS)
		return;
	v->drop_logged[r] = now;
	ip_str(from, ip, sizeof(ip));
	if (r == VRRP_DROP_INTERVAL)
		d_log(v->d,
		      "vrrp_instance %s: advert from %s dropped: %s (%u.%02u s, ours %u.%02u s)",
		      v->cv->name, ip, drop_text[r], a->interval_cs / 100,
		      a->interval_cs % 100, v->expect.interval_cs / 100,
		      v->expect.interval_cs % 100);
	else
		d_log(v->d, "vrrp_instance %s: advert from %s dropped: %s",
		      v->cv->name, ip, drop_text[r]);
}

static void on_rx(struct loop_fd *h, uint32_t events)
{
	struct d_vrrp *v = h->arg;
	char ip[INET_ADDRSTRLEN];
	struct vrrp_advert a;
	uint8_t buf[2048];
	int k, ifindex;

	(void)events;
	/* bounded, so that a flood cannot starve the loop */
	for (k = 0; k < 64; k++) {
		ssize_t n = vrrp_sock_recv(h->fd, buf, sizeof(buf), &ifindex);
		enum vrrp_state from;
		struct vrrp_action act;
		enum vrrp_drop r;
		__be32 src = 0;

		if (n < 0)
			break;
		if (ifindex != v->ifindex)
			continue;
		if (n >= 20)
			memcpy(&src, buf + 12, sizeof(src));
		if (src == v->saddr)
			continue; /* ours, looped back */
		memset(&a, 0, sizeof(a));
		r = vrrp_decode(buf, (size_t)n, &a);
		/* keepalived checks the TTL of multicast adverts only */
		if (r == VRRP_DROP_TTL && v->cv->npeers)
			r = VRRP_OK;
		if (r == VRRP_OK)
			r = vrrp_match(&a, &v->expect);
		if (r != VRRP_OK) {
			dropped(v, r, src, &a);
			continue;
		}
		v->rx++;
		if (!a.csum_daddr && v->expect.csum == VRRP_CSUM_AUTO) {
			v->expect.csum = VRRP_CSUM_OLD;
			d_log(v->d,
			      "vrrp_instance %s: %s sends VRRPv3 unicast checksums as keepalived before 1.3.7 did: ours too from now on",
			      v->cv->name, ip_str(src, ip, sizeof(ip)));
		}
		/* flow sync's join: preemption waits for the master's flows */
		v->fsm.preempt_hold = dfsync_holds(v->d, v->cv->name);
		if (v->group) {
			bool changed = vrrp_group_rx(&v->group->g, v->gi,
						     now_ms(v), &a);

			group_apply(v->group, v->gi, changed);
			continue;
		}
		from = v->fsm.state;
		act = vrrp_fsm_rx(&v->fsm, now_ms(v), &a);
		step(v, from, &act);
	}
}

/* ---- one instance ---- */

static bool is_vip(const struct conf_vrrp *cv, __be32 a)
{
	int i;

	for (i = 0; i < cv->nvips + cv->nvips_excluded; i++)
		if (vip_nth(cv, i)->addr == a)
			return true;
	return false;
}

/* The interface's first address that is not a VIP (a killed predecessor
 * may have left them): the source of adverts, the tie-break. */
static int primary_addr(const struct conf_vrrp *cv, int ifindex, __be32 *out)
{
	struct lbxdp_nl_prefix *p = NULL;
	size_t n = 0, i;
	int err;

	err = lbxdp_nl_addrs4(ifindex, &p, &n);
	if (err)
		return err;
	err = -EADDRNOTAVAIL;
	for (i = 0; i < n; i++)
		if (!is_vip(cv, p[i].addr)) {
			*out = p[i].addr;
			err = 0;
			break;
		}
	free(p);
	return err;
}

static void inst_close(struct d_vrrp *v)
{
	struct loop *l = &v->d->loop;

	loop_timer_cancel(l, &v->fsm_t);
	loop_timer_cancel(l, &v->garp_t);
	if (v->sock.fd >= 0) {
		int fd = v->sock.fd;

		loop_fd_del(l, &v->sock);
		close(fd);
	}
	if (v->garp_fd >= 0)
		close(v->garp_fd);
	free(v->addrs);
	free(v);
}

/*
 * How @v sums its v3 unicast adverts under @cv: only those have a choice
 * (v2 sums no pseudo-header, multicast ones the group's address). A
 * switch to old sums outlives a reload, where keepalived's makes its
 * instance anew: keepalived (2.2.7) once switched takes only old sums,
 * and sends new ones still (its vrrp_csum_mcast() runs before the mode
 * is set), so new sums after our reload would leave two masters for good.
 */
static enum vrrp_csum csum_mode(const struct d_vrrp *v,
				const struct conf_vrrp *cv)
{
	if (cv->version != 3 || !cv->npeers)
		return VRRP_CSUM_AUTO;
	if (cv->csum == VRRP_CSUM_AUTO && v->expect.csum == VRRP_CSUM_OLD)
		return VRRP_CSUM_OLD;
	return cv->csum;
}

/* The adverts' VIPs and what a peer's must match, from @cv, in @addrs
 * (room for cv->nvips + 1), which @v owns from now on. */
static void advert_set(struct d_vrrp *v, const struct conf_vrrp *cv,
		       __be32 *addrs)
{
	int i;

	for (i = 0; i < cv->nvips && i < VRRP_MAX_ADDRS; i++)
		addrs[i] = cv->vips[i].addr;
	free(v->addrs);
	v->addrs = addrs;
	v->expect = (struct vrrp_expect){
		.version = (uint8_t)cv->version,
		.vrid = cv->vrid,
		.interval_cs = (uint16_t)(cv->advert_int_ms / 10),
		.unicast = cv->npeers > 0,
		.saddr = v->saddr,
		.csum = csum_mode(v, cv),
		.naddrs = i,
		.addrs = addrs,
	};
	if (cv->version == 2)
		memcpy(v->expect.auth_pass, cv->auth_pass,
		       sizeof(v->expect.auth_pass));
}

/* The state machine's parameters for @cv, whose adverts @v sends. */
static void fsm_params(const struct d_vrrp *v, const struct conf_vrrp *cv,
		       struct vrrp_fsm_params *fp)
{
	*fp = (struct vrrp_fsm_params){
		.version = (uint8_t)cv->version,
		.vrid = cv->vrid,
		.priority = cv->priority,
		.advert_int_cs = (uint16_t)(cv->advert_int_ms / 10),
		.nopreempt = cv->nopreempt,
		.preempt_delay_ms = cv->preempt_delay_ms,
		/* keepalived without `state`: the owner starts MASTER */
		.start_master =
			cv->state_given ? cv->master : cv->priority == 255,
		.saddr = v->saddr,
	};
}

static void inst_err(struct daemon *d, const struct conf_vrrp *cv,
		     const char *what, int err)
{
	d_err(d, "%s:%d: vrrp_instance %s: %s%s%s", cv->at.file, cv->at.line,
	      cv->name, what, err ? ": " : "", err ? strerror(-err) : "");
}

/* Sockets and state, not started: nothing is sent or changed yet. */
static int inst_open(struct daemon *d, const struct conf_vrrp *cv,
		     struct d_vrrp **out)
{
	struct vrrp_fsm_params fp;
	__be32 *addrs;
	struct d_vrrp *v;
	int i, fd, err;

	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->d = d;
	v->cv = cv;
	v->sock.fd = v->garp_fd = -1;
	loop_timer_init(&v->fsm_t, on_fsm_timer, v);
	loop_timer_init(&v->garp_t, on_garp, v);
	v->ifindex = (int)if_nametoindex(cv->interface);
	if (!v->ifindex) {
		inst_err(d, cv, "no such interface", -ENODEV);
		err = -ENODEV;
		goto fail;
	}
	/* DR: the VIPs live where XDP forwards (use_vmac and dev elsewhere
	 * are refused by the parser) */
	if (v->ifindex != d->ifindex) {
		d_err(d,
		      "%s:%d: vrrp_instance %s: interface %s is not the one lbxdp forwards on (%s)",
		      cv->at.file, cv->at.line, cv->name, cv->interface,
		      d->ifname);
		err = -EINVAL;
		goto fail;
	}
	for (i = 0; i < cv->nvips + cv->nvips_excluded; i++) {
		const struct conf_vip_addr *a = vip_nth(cv, i);

		if (a->dev && (int)if_nametoindex(a->dev) != v->ifindex) {
			d_err(d,
			      "%s:%d: virtual_ipaddress: dev %s is not the interface lbxdp forwards on (%s)",
			      a->at.file, a->at.line, a->dev, d->ifname);
			err = -EINVAL;
			goto fail;
		}
	}
	err = lbxdp_nl_link_mac(v->ifindex, v->mac);
	if (err) {
		inst_err(d, cv, "cannot read the interface's MAC", err);
		goto fail;
	}
	v->saddr = cv->unicast_src;
	if (!v->saddr) {
		err = primary_addr(cv, v->ifindex, &v->saddr);
		if (err) {
			inst_err(
				d, cv,
				"the interface has no IPv4 address of its own to send adverts from",
				err == -EADDRNOTAVAIL ? 0 : err);
			goto fail;
		}
	}
	addrs = calloc((size_t)cv->nvips + 1, sizeof(*addrs));
	if (!addrs) {
		err = -ENOMEM;
		goto fail;
	}
	advert_set(v, cv, addrs);
	fd = vrrp_sock_open(v->ifindex, cv->npeers > 0);
	if (fd < 0) {
		inst_err(d, cv, "cannot open its VRRP socket", fd);
		err = fd;
		goto fail;
	}
	err = loop_fd_add(&d->loop, &v->sock, fd, EPOLLIN, on_rx, v);
	if (err) {
		close(fd);
		goto fail;
	}
	v->garp_fd = vrrp_garp_open(v->ifindex);
	if (v->garp_fd < 0) {
		err = v->garp_fd;
		inst_err(d, cv, "cannot open its ARP socket", err);
		goto fail;
	}
	fsm_params(v, cv, &fp);
	vrrp_fsm_init(&v->fsm, &fp);
	*out = v;
	return 0;
fail:
	inst_close(v);
	return err;
}

static void inst_start(struct d_vrrp *v)
{
	struct vrrp_action a;

	/* BACKUP or FAULT removes what a killed predecessor left */
	a = vrrp_fsm_start(&v->fsm, now_ms(v));
	v->started = true;
	step(v, VRRP_STATE_INIT, &a);
}

static void inst_stop(struct d_vrrp *v)
{
	enum vrrp_state from = v->fsm.state;
	struct vrrp_action a;

	if (!v->started)
		return;
	a = vrrp_fsm_stop(&v->fsm, now_ms(v));
	/* the VIPs go whatever the state: a stopped instance holds none */
	a.vip_del = true;
	step(v, from, &a);
	v->started = false;
}

void vrrp_set_track(struct d_vrrp *v, bool fault, int weight)
{
	uint64_t now = now_ms(v);
	enum vrrp_state from = v->fsm.state;
	uint8_t prio = v->fsm.prio;
	struct vrrp_action a;

	a = vrrp_fsm_set_priority(&v->fsm, now, v->cv->priority + weight);
	if (v->fsm.prio != prio)
		d_log(v->d, "vrrp_instance %s: %s", v->cv->name, a.cause);
	if (v->started)
		step(v, from, &a);
	if (v->group) {
		bool changed =
			vrrp_group_fault(&v->group->g, v->gi, now, fault);

		group_apply(v->group, v->gi, changed);
		return;
	}
	from = v->fsm.state;
	a = vrrp_fsm_fault(&v->fsm, now, fault);
	if (v->started)
		step(v, from, &a);
}

/*
 * Whether a reload keeps the running instance @a as @b, state and all,
 * as keepalived's vrrp_exist() does: the same router on the wire (its
 * interface and VRID, unicast or multicast, from the same source) and
 * the same version. What else changed (name, VIPs, timing,
 * authentication, preemption) changes in place: inst_update().
 */
static bool inst_kin(const struct conf_vrrp *a, const struct conf_vrrp *b)
{
	return !strcmp(a->interface, b->interface) && a->vrid == b->vrid &&
	       a->version == b->version && !a->npeers == !b->npeers &&
	       /* the adverts' source (multicast ones' too) */
	       a->unicast_src == b->unicast_src &&
	       /* a priority moves in place (vrrp_track_links() after the
		* commit), except to or from the owner's: state only starts */
	       (a->priority == b->priority || (a->priority != VRRP_PRIO_OWNER &&
					       b->priority != VRRP_PRIO_OWNER));
}

/* The running instance that @cv keeps, or -1. One at most: the parser
 * refuses two instances with the same interface and VRID. */
static int kin_of(const struct daemon *d, const struct conf_vrrp *cv)
{
	int j;

	for (j = 0; j < d->nvrrp; j++)
		if (inst_kin(d->vrrp[j]->cv, cv))
			return j;
	return -1;
}

/* Whether @cv has the VIP @a, as the kernel would hold it. */
static bool vip_in(const struct conf_vrrp *cv, const struct conf_vip_addr *a)
{
	int i;

	for (i = 0; i < cv->nvips + cv->nvips_excluded; i++) {
		const struct conf_vip_addr *b = vip_nth(cv, i);

		if (b->addr == a->addr && b->prefix == a->prefix &&
		    b->scope == a->scope &&
		    !strcmp(b->label ? b->label : "", a->label ? a->label : ""))
			return true;
	}
	return false;
}

/*
 * Kept instance @v takes its new configuration @cv (@addrs: room for its
 * advertised VIPs, made by vrrp_prepare()). A MASTER removes the VIPs
 * that went (or changed), then inst_readd() adds the new ones, once
 * every kept instance has removed its own (a VIP may move between
 * two). keepalived's reload does the same (clear_diff_vrrp(),
 * restore_vrrp_state()), where a restart of the instance would fail over
 * to the peer and back.
 */
static void inst_update(struct d_vrrp *v, const struct conf_vrrp *cv,
			__be32 *addrs)
{
	const struct conf_vrrp *old = v->cv;
	struct vrrp_fsm_params fp;
	struct vrrp_action a;
	int i;

	advert_set(v, cv, addrs);
	fsm_params(v, cv, &fp);
	a = vrrp_fsm_reconf(&v->fsm, now_ms(v), &fp);
	v->cv = cv;
	if (!v->started)
		return;
	step(v, a.state, &a);
	if (v->fsm.state != VRRP_STATE_MASTER)
		return;
	/* garp_master_refresh turned on, off (else garp_run() would set it
	 * to now + 0, due for ever) or changed: from now */
	if (cv->garp_refresh_ms != old->garp_refresh_ms) {
		v->garp_refresh = cv->garp_refresh_ms
					  ? now_ms(v) + cv->garp_refresh_ms
					  : 0;
		garp_arm(v);
	}
	for (i = 0; i < old->nvips + old->nvips_excluded; i++)
		if (!vip_in(cv, vip_nth(old, i)))
			vip_set(v, vip_nth(old, i), false);
}

/* After every kept instance's inst_update() and the stop of those that
 * go: a MASTER adds its VIPs that the interface lacks (new ones, or one
 * that another instance removed) and announces them. */
static void inst_readd(struct d_vrrp *v)
{
	if (v->started && v->fsm.state == VRRP_STATE_MASTER &&
	    vips_set(v, true))
		garp_begin(v, v->cv->garp_repeat, v->cv->garp_delay_ms);
}

/* ---- sync groups ---- */

static void groups_free(struct d_vgroup *g, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(g[i].m);
		free(g[i].v);
	}
	free(g);
}

/* Allocated by vrrp_prepare(), so that the commit cannot fail. */
static int groups_alloc(const struct conf *cf, struct d_vgroup **out)
{
	struct d_vgroup *g;
	int i;

	g = calloc((size_t)cf->nsync_groups + 1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	for (i = 0; i < cf->nsync_groups; i++) {
		size_t n = (size_t)cf->sync_groups[i].nmembers + 1;

		g[i].m = calloc(n, sizeof(*g[i].m));
		g[i].v = calloc(n, sizeof(*g[i].v));
		if (!g[i].m || !g[i].v) {
			groups_free(g, cf->nsync_groups);
			return -ENOMEM;
		}
	}
	*out = g;
	return 0;
}

/* d->vrrp is cf's instances, in its order: their groups in @g. */
static void groups_build(struct daemon *d, const struct conf *cf,
			 struct d_vgroup *g)
{
	int i, k;

	for (i = 0; i < d->nvrrp; i++)
		d->vrrp[i]->group = NULL;
	for (i = 0; i < cf->nsync_groups; i++) {
		const struct conf_sync_group *cg = &cf->sync_groups[i];

		g[i].cg = cg;
		for (k = 0; k < cg->nmembers; k++) {
			struct d_vrrp *v = d->vrrp[cg->members[k]];

			v->group = &g[i];
			v->gi = k;
			g[i].v[k] = v;
			g[i].m[k].name = v->cv->name;
			g[i].m[k].fsm = &v->fsm;
		}
		vrrp_group_init(&g[i].g, cg->name, g[i].m, cg->nmembers);
	}
	d->vgroups = g;
	d->nvgroups = cf->nsync_groups;
}

/* Its new members start, and its notifies run unless a reload found it
 * in the same state (keepalived: state_same_at_reload). */
static void group_start(struct d_vgroup *dg, const struct d_vgroup *old,
			int nold)
{
	bool changed = vrrp_group_start(&dg->g, now_ms(dg->v[0]));
	int i;

	for (i = 0; i < dg->g.n; i++)
		dg->v[i]->started = true;
	for (i = 0; i < nold; i++)
		if (!strcmp(old[i].cg->name, dg->cg->name) &&
		    old[i].g.state == dg->g.state)
			changed = false;
	group_apply(dg, -1, changed);
}

/* ---- the daemon's interface ---- */

void vrrp_abort(struct vrrp_plan *p)
{
	int i;

	for (i = 0; p->nv && i < p->n; i++)
		if (p->fresh[i] && p->nv[i])
			inst_close(p->nv[i]);
	if (p->scripts)
		vrrp_scripts_abort(p->scripts, p->nscripts);
	if (p->groups)
		groups_free(p->groups, p->cf->nsync_groups);
	for (i = 0; p->addrs && i < p->n; i++)
		free(p->addrs[i]);
	free(p->addrs);
	free(p->nv);
	free(p->fresh);
	free(p->kept);
	memset(p, 0, sizeof(*p));
}

int vrrp_prepare(struct daemon *d, const struct conf *cf, struct vrrp_plan *p)
{
	int i, j, err;

	memset(p, 0, sizeof(*p));
	p->cf = cf;
	p->n = cf->nvrrp;
	p->nv = calloc((size_t)cf->nvrrp + 1, sizeof(*p->nv));
	p->fresh = calloc((size_t)cf->nvrrp + 1, sizeof(*p->fresh));
	p->kept = calloc((size_t)d->nvrrp + 1, sizeof(*p->kept));
	p->addrs = calloc((size_t)cf->nvrrp + 1, sizeof(*p->addrs));
	if (!p->nv || !p->fresh || !p->kept || !p->addrs) {
		vrrp_abort(p);
		return -ENOMEM;
	}
	err = vrrp_scripts_prepare(d, cf, &p->scripts);
	if (err) {
		vrrp_abort(p);
		return err;
	}
	p->nscripts = cf->nvscripts;
	err = groups_alloc(cf, &p->groups);
	if (err) {
		vrrp_abort(p);
		return err;
	}
	for (i = 0; i < cf->nvrrp; i++) {
		j = kin_of(d, &cf->vrrp[i]);
		if (j < 0)
			continue;
		p->addrs[i] = calloc((size_t)cf->vrrp[i].nvips + 1,
				     sizeof(**p->addrs));
		if (!p->addrs[i]) {
			vrrp_abort(p);
			return -ENOMEM;
		}
		p->kept[j] = true;
		p->nv[i] = d->vrrp[j];
	}
	for (i = 0; i < cf->nvrrp; i++) {
		if (p->nv[i])
			continue;
		err = inst_open(d, &cf->vrrp[i], &p->nv[i]);
		if (err) {
			vrrp_abort(p);
			return err;
		}
		p->fresh[i] = true;
	}
	return 0;
}

void vrrp_commit(struct daemon *d, struct vrrp_plan *p)
{
	struct d_vgroup *old;
	int i, j, nold;

	/* the old ones that go stop first, so that their VIPs, which a
	 * new instance (another VRID, say) may hold, are not held twice */
	for (j = 0; j < d->nvrrp; j++)
		if (!p->kept[j])
			inst_stop(d->vrrp[j]);
	for (j = 0; j < d->nvrrp; j++)
		if (!p->kept[j])
			inst_close(d->vrrp[j]);
	vrrp_scripts_commit(d, p->scripts, p->nscripts);
	for (i = 0; i < p->n; i++)
		if (p->fresh[i])
			p->nv[i]->cv = &p->cf->vrrp[i];
		else
			inst_update(p->nv[i], &p->cf->vrrp[i], p->addrs[i]);
	for (i = 0; i < p->n; i++)
		if (!p->fresh[i])
			inst_readd(p->nv[i]);
	free(d->vrrp);
	d->vrrp = p->nv;
	d->nvrrp = p->n;
	old = d->vgroups;
	nold = d->nvgroups;
	groups_build(d, p->cf, p->groups);
	/* a new instance whose link is down starts in FAULT */
	vrrp_track_links(d);
	for (i = 0; i < p->n; i++)
		if (p->fresh[i] && !d->vrrp[i]->group)
			inst_start(d->vrrp[i]);
	for (i = 0; i < d->nvgroups; i++)
		group_start(&d->vgroups[i], old, nold);
	groups_free(old, nold);
	free(p->addrs);
	free(p->fresh);
	free(p->kept);
	memset(p, 0, sizeof(*p));
}

void vrrp_stop(struct daemon *d)
{
	int i;

	for (i = 0; i < d->nvrrp; i++)
		inst_stop(d->vrrp[i]);
	/* keepalived: notify_shutdown(), the instances' STOP, then the
	 * groups' */
	for (i = 0; i < d->nvgroups; i++)
		if (vrrp_group_stop(&d->vgroups[i].g))
			group_transition(&d->vgroups[i]);
	groups_free(d->vgroups, d->nvgroups);
	d->vgroups = NULL;
	d->nvgroups = 0;
	for (i = 0; i < d->nvrrp; i++)
		inst_close(d->vrrp[i]);
	free(d->vrrp);
	d->vrrp = NULL;
	d->nvrrp = 0;
}

bool vrrp_is_master(const struct daemon *d, const char *name)
{
	int i;

	for (i = 0; i < d->nvrrp; i++)
		if (!strcmp(d->vrrp[i]->cv->name, name))
			return d->vrrp[i]->fsm.state == VRRP_STATE_MASTER;
	return false;
}

/* ---- status ---- */

/* Its down timer ran out, and its group keeps it in BACKUP. */
static bool inst_held(const struct d_vrrp *v)
{
	return v->group && v->fsm.state == VRRP_STATE_BACKUP &&
	       v->group->g.m[v->gi].want_master &&
	       v->group->g.state != VRRP_STATE_MASTER;
}

static struct json_object *inst_json(const struct d_vrrp *v, uint64_t now)
{
	const struct conf_vrrp *cv = v->cv;
	struct json_object *o = json_object_new_object(), *h, *dr;
	char ip[INET_ADDRSTRLEN];
	unsigned int k, first;
	int r;

	json_object_object_add(o, "name", json_object_new_string(cv->name));
	json_object_object_add(o, "interface",
			       json_object_new_string(cv->interface));
	json_object_object_add(o, "vrid", json_object_new_int(cv->vrid));
	json_object_object_add(o, "version", json_object_new_int(cv->version));
	json_object_object_add(
		o, "state",
		json_object_new_string(vrrp_state_name(v->fsm.state)));
	json_object_object_add(o, "priority", json_object_new_int(v->fsm.prio));
	json_object_object_add(o, "configured_priority",
			       json_object_new_int(cv->priority));
	json_object_object_add(
		o, "address",
		json_object_new_string(ip_str(v->saddr, ip, sizeof(ip))));
	json_object_object_add(
		o, "master",
		json_object_new_string(
			v->fsm.master ? ip_str(v->fsm.master, ip, sizeof(ip))
				      : ""));
	json_object_object_add(
		o, "sync_group",
		json_object_new_string(v->group ? v->group->cg->name : ""));
	json_object_object_add(o, "held",
			       json_object_new_boolean(inst_held(v)));
	/* v3 unicast adverts' sum: "old" over 224.0.0.18, as keepalived
	 * before 1.3.7 */
	json_object_object_add(
		o, "unicast_checksum",
		json_object_new_string(
			v->expect.csum == VRRP_CSUM_OLD ? "old" : "new"));
	json_object_object_add(o, "adverts_sent", json_object_new_int64(v->tx));
	json_object_object_add(o, "adverts_received",
			       json_object_new_int64(v->rx));
	json_object_object_add(o, "send_errors",
			       json_object_new_int64(v->tx_err));
	json_object_object_add(o, "gratuitous_arps",
			       json_object_new_int64(v->garps));
	dr = json_object_new_object();
	for (r = 1; r < VRRP_DROP__MAX; r++)
		json_object_object_add(dr, vrrp_drop_name(r),
				       json_object_new_int64(v->drops[r]));
	json_object_object_add(o, "dropped", dr);
	h = json_object_new_array();
	first = v->nhist > VRRP_HIST ? v->nhist - VRRP_HIST : 0;
	for (k = first; k < v->nhist; k++) {
		const struct vrrp_transition *t = &v->hist[k % VRRP_HIST];
		struct json_object *to = json_object_new_object();

		json_object_object_add(
			to, "from",
			json_object_new_string(vrrp_state_name(t->from)));
		json_object_object_add(
			to, "to",
			json_object_new_string(vrrp_state_name(t->to)));
		json_object_object_add(to, "time",
				       json_object_new_int64(t->wall));
		json_object_object_add(
			to, "ago_ms",
			json_object_new_int64((int64_t)(now - t->at)));
		json_object_object_add(to, "cause",
				       json_object_new_string(t->cause));
		json_object_array_add(h, to);
	}
	json_object_object_add(o, "transitions", h);
	return o;
}

static void inst_text(const struct d_vrrp *v, FILE *out, uint64_t now)
{
	const struct conf_vrrp *cv = v->cv;
	char ip[INET_ADDRSTRLEN];
	unsigned int k, first;
	int r, any = 0;

	fprintf(out, "vrrp_instance %s: %s, priority %u", cv->name,
		vrrp_state_name(v->fsm.state), v->fsm.prio);
	if (v->fsm.prio != cv->priority)
		fprintf(out, " (configured %u)", cv->priority);
	fprintf(out, ", vrid %u v%d on %s", cv->vrid, cv->version,
		cv->interface);
	if (v->fsm.master)
		fprintf(out, ", master %s",
			ip_str(v->fsm.master, ip, sizeof(ip)));
	if (v->group)
		fprintf(out, ", sync group %s%s", v->group->cg->name,
			inst_held(v) ? " (held in BACKUP)" : "");
	if (v->expect.csum == VRRP_CSUM_OLD)
		fprintf(out, ", old unicast checksums");
	fprintf(out, "\n  adverts sent %llu, received %llu; dropped:",
		(unsigned long long)v->tx, (unsigned long long)v->rx);
	for (r = 1; r < VRRP_DROP__MAX; r++)
		if (v->drops[r]) {
			fprintf(out, " %s %llu", vrrp_drop_name(r),
				(unsigned long long)v->drops[r]);
			any = 1;
		}
	fprintf(out, "%s\n", any ? "" : " none");
	first = v->nhist > VRRP_HIST ? v->nhist - VRRP_HIST : 0;
	for (k = first; k < v->nhist; k++) {
		const struct vrrp_transition *t = &v->hist[k % VRRP_HIST];

		fprintf(out, "  %llu.%03llus ago: %s -> %s: %s\n",
			(unsigned long long)(now - t->at) / 1000,
			(unsigned long long)(now - t->at) % 1000,
			vrrp_state_name(t->from), vrrp_state_name(t->to),
			t->cause);
	}
}

void vrrp_status(const struct daemon *d, FILE *out, struct json_object *o)
{
	uint64_t now = loop_now(&d->loop);
	struct json_object *a = json_object_new_array();
	int i;

	for (i = 0; i < d->nvrrp; i++) {
		json_object_array_add(a, inst_json(d->vrrp[i], now));
		if (out)
			inst_text(d->vrrp[i], out, now);
	}
	json_object_object_add(o, "vrrp_instances", a);
	a = json_object_new_array();
	for (i = 0; i < d->nvgroups; i++) {
		const struct d_vgroup *dg = &d->vgroups[i];
		struct json_object *g = json_object_new_object(), *m;
		int k;

		json_object_object_add(g, "name",
				       json_object_new_string(dg->cg->name));
		json_object_object_add(
			g, "state",
			json_object_new_string(vrrp_state_name(dg->g.state)));
		m = json_object_new_array();
		for (k = 0; k < dg->g.n; k++)
			json_object_array_add(
				m, json_object_new_string(dg->g.m[k].name));
		json_object_object_add(g, "instances", m);
		json_object_array_add(a, g);
		if (!out)
			continue;
		fprintf(out, "vrrp_sync_group %s: %s,", dg->cg->name,
			vrrp_state_name(dg->g.state));
		for (k = 0; k < dg->g.n; k++)
			fprintf(out, " %s", dg->g.m[k].name);
		fprintf(out, "\n");
	}
	json_object_object_add(o, "vrrp_sync_groups", a);
}
