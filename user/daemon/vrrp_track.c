// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * What VRRP instances track: their own interface and track_interface's
 * links. One rtnetlink socket on RTMGRP_LINK tells that some link moved;
 * each instance then reads the flags of the links it tracks (up and
 * running, as keepalived reads them) and hands the result to its state
 * machine: a fault, or a priority moved by the weights. vrrp_script
 * blocks run as MISC_CHECKs with rise and fall (check.h), whose verdict
 * counts as a tracked link's does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include "daemon/check.h"
#include "daemon/daemon.h"
#include "daemon/dlog.h"
#include "daemon/vrrp.h"

/* Up and running (carrier); a name that no longer exists is down. */
static bool link_up(int fd, const char *name)
{
	struct ifreq ifr = {0};

	if (strlen(name) >= sizeof(ifr.ifr_name))
		return false;
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		return false;
	return (ifr.ifr_flags & (IFF_UP | IFF_RUNNING)) ==
	       (IFF_UP | IFF_RUNNING);
}

/*
 * What a tracked item adds, keepalived's way: a positive weight while it
 * is up, a negative one while it is down; reverse turns the sign over;
 * weight 0 is FAULT while down (while up with reverse).
 */
static int track_weight(int weight, bool reverse, bool up, bool *fault)
{
	int w = 0;

	if (!weight) {
		*fault |= reverse ? up : !up;
		return 0;
	}
	if ((weight > 0 && up) || (weight < 0 && !up))
		w = weight;
	return reverse ? -w : w;
}

static bool script_up(const struct daemon *d, int idx)
{
	return idx >= 0 && idx < d->nvscripts && d->vscripts[idx]->up;
}

/* Each instance's own fault and weight: a vrrp_sync_group's members go
 * to FAULT together (vrrp_group.h). */
void vrrp_track_links(struct daemon *d)
{
	bool *fault;
	int *weight, fd = -1, i, k;

	fault = calloc((size_t)d->nvrrp + 1, sizeof(*fault));
	weight = calloc((size_t)d->nvrrp + 1, sizeof(*weight));
	if (fault && weight)
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto cleanup;
	for (i = 0; i < d->nvrrp; i++) {
		const struct conf_vrrp *cv = d->vrrp[i]->cv;

		fault[i] = !link_up(fd, cv->interface);
		for (k = 0; k < cv->ntrack_ifs; k++)
			weight[i] += track_weight(
				cv->track_ifs[k].weight,
				cv->track_ifs[k].reverse,
				link_up(fd, cv->track_ifs[k].name), &fault[i]);
		for (k = 0; k < cv->ntrack_scripts; k++) {
			const struct conf_track_script *t =
				&cv->track_scripts[k];

			weight[i] += track_weight(t->weight, t->reverse,
						  script_up(d, t->script),
						  &fault[i]);
		}
	}
	for (i = 0; i < d->nvrrp; i++)
		vrrp_set_track(d->vrrp[i], fault[i], weight[i]);
cleanup:
	if (fd >= 0)
		close(fd);
	free(fault);
	free(weight);
}

static void on_link(struct loop_fd *h, uint32_t events)
{
	struct daemon *d = h->arg;
	char buf[8192];
	bool any = false;

	(void)events;
	/* drain; ENOBUFS (events lost) is news too: read the flags again */
	for (;;) {
		ssize_t n = recv(h->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0 && errno == ENOBUFS) {
			any = true;
			continue;
		}
		if (n <= 0)
			break;
		any = true;
	}
	if (any)
		vrrp_track_links(d);
}

int vrrp_track_open(struct daemon *d)
{
	return d_nl_listen(d, &d->link, RTMGRP_LINK, on_link);
}

void vrrp_track_close(struct daemon *d)
{
	d_nl_close(d, &d->link);
}

/* ---- vrrp_script ---- */

static void script_result(void *arg, const struct rs_health *h, bool changed)
{
	struct d_vscript *s = arg;
	bool up = h->state != RS_DOWN;

	if (!changed || up == s->up)
		return;
	s->up = up;
	d_log(s->d, "vrrp_script %s: %s (%s)", s->cs->name, up ? "up" : "down",
	      h->reason);
	vrrp_track_links(s->d);
}

/* The checker's own lines name a real server: the result says it all. */
static void script_log(void *arg, const char *line)
{
	(void)arg;
	(void)line;
}

static void script_free(struct d_vscript *s)
{
	if (s->rc)
		rs_check_free(s->rc);
	free(s);
}

static bool script_same(const struct conf_vrrp_script *a,
			const struct conf_vrrp_script *b)
{
	return !strcmp(a->name, b->name) && a->script.cmd && b->script.cmd &&
	       !strcmp(a->script.cmd, b->script.cmd) &&
	       a->interval_ms == b->interval_ms &&
	       a->timeout_ms == b->timeout_ms && a->rise == b->rise &&
	       a->fall == b->fall;
}

/* A MISC_CHECK of the script, with keepalived's rise and fall. */
static int script_new(struct daemon *d, const struct conf_vrrp_script *cs,
		      bool up, struct d_vscript **out)
{
	struct check_env env = d->env;
	struct d_vscript *s;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->d = d;
	s->cs = cs;
	s->up = up;
	s->chk.type = CHECK_MISC;
	s->chk.at = cs->at;
	s->chk.misc = cs->script;
	s->chk.misc_timeout_ms = cs->timeout_ms;
	s->chk.delay_loop_ms = s->chk.inter_ms = cs->interval_ms;
	s->chk.connect_timeout_ms = cs->timeout_ms;
	s->chk.rise = cs->rise ? cs->rise : 1;
	s->chk.fall = cs->fall ? cs->fall : 1;
	s->rs.weight = 1;
	s->rs.checkers = &s->chk;
	s->rs.nchecks = 1;
	s->rs.at = cs->at;
	s->vs.delay_loop_ms = cs->interval_ms;
	s->vs.at = cs->at;
	env.result = script_result;
	env.arg = s;
	env.log = script_log;
	s->rc = rs_check_new(&env, &s->vs, &s->rs);
	if (!s->rc) {
		free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

int vrrp_scripts_prepare(struct daemon *d, const struct conf *cf,
			 struct d_vscript ***out)
{
	struct d_vscript **nv;
	int i, j, err = 0;

	nv = calloc((size_t)cf->nvscripts + 1, sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	for (i = 0; i < cf->nvscripts; i++) {
		const struct conf_vrrp_script *cs = &cf->vscripts[i];
		bool up = !cs->init_fail;

		/* a reload keeps what an unchanged script said */
		for (j = 0; j < d->nvscripts; j++)
			if (script_same(d->vscripts[j]->cs, cs))
				up = d->vscripts[j]->up;
		err = script_new(d, cs, up, &nv[i]);
		if (err)
			break;
	}
	if (err) {
		vrrp_scripts_abort(nv, i);
		return err;
	}
	*out = nv;
	return 0;
}

void vrrp_scripts_abort(struct d_vscript **nv, int n)
{
	while (n-- > 0)
		script_free(nv[n]);
	free(nv);
}

void vrrp_scripts_commit(struct daemon *d, struct d_vscript **nv, int n)
{
	int i;

	vrrp_scripts_stop(d);
	d->vscripts = nv;
	d->nvscripts = n;
	for (i = 0; i < n; i++)
		rs_check_start(nv[i]->rc, nv[i]->up ? RS_UP : RS_DOWN, NULL);
}

void vrrp_scripts_stop(struct daemon *d)
{
	int i;

	for (i = 0; i < d->nvscripts; i++)
		script_free(d->vscripts[i]);
	free(d->vscripts);
	d->vscripts = NULL;
	d->nvscripts = 0;
}
