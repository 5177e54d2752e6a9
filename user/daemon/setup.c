// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * What the configuration needs of the machine: the one interface through
 * which every real server is on-link (DR leaves by the ingress interface),
 * the VRRP instances on it, and the program attached there.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include "attach.h"
#include "daemon/daemon.h"
#include "daemon/dlog.h"
#include "netlink.h"
#include "parse.h"

static void diag(struct conf_diag *dg, bool fatal, const struct conf_loc *at,
		 const char *msg)
{
	if (fatal)
		conf_error(dg, at, "%s", msg);
	else
		conf_warning(dg, at, "%s", msg);
}

/* The interface of one server: 0 and a message when not on-link. */
static int server_if(__be32 addr, const char *what, const struct conf_loc *at,
		     bool fatal, struct conf_diag *dg)
{
	__be32 a[4] = {addr};
	char ip[64], msg[256];
	int oif = 0;

	if (!lbxdp_nl_route_oif(addr, &oif))
		return oif;
	lbxdp_format_addr(a, LBXDP_AF_INET, ip, sizeof(ip));
	snprintf(
		msg, sizeof(msg),
		"%s %s is not on-link (routed via a gateway, local, or unreachable): DR needs the server on the load balancer's link",
		what, ip);
	diag(dg, fatal, at, msg);
	return 0;
}

int daemon_check_machine(const struct conf *cf, bool fatal,
			 struct conf_diag *dg, int *ifindex)
{
	unsigned int before = fatal ? dg->errors : dg->warnings;
	char msg[256], n1[IF_NAMESIZE], n2[IF_NAMESIZE];
	const struct conf_loc *first_at = NULL;
	int i, k, oif, want = 0;

	if (cf->xdp.interface) {
		want = (int)if_nametoindex(cf->xdp.interface);
		if (!want) {
			snprintf(msg, sizeof(msg), "interface '%s' not found",
				 cf->xdp.interface);
			diag(dg, fatal, &cf->xdp.at, msg);
		}
		first_at = &cf->xdp.at;
	}
	for (i = 0; i < cf->nvs; i++) {
		const struct conf_vs *v = &cf->vs[i];

		for (k = 0; k <= v->nrs; k++) {
			const struct conf_loc *at;
			__be32 addr;

			if (k == v->nrs && !v->has_sorry)
				break;
			addr = k < v->nrs ? v->rs[k].addr : v->sorry_addr;
			at = k < v->nrs ? &v->rs[k].at : &v->at;
			oif = server_if(addr,
					k < v->nrs ? "real_server"
						   : "sorry_server",
					at, fatal, dg);
			if (!oif)
				continue;
			if (!want) {
				want = oif;
				first_at = at;
				continue;
			}
			if (oif == want)
				continue;
			if (!if_indextoname((unsigned int)oif, n1))
				snprintf(n1, sizeof(n1), "#%d", oif);
			if (!if_indextoname((unsigned int)want, n2))
				snprintf(n2, sizeof(n2), "#%d", want);
			snprintf(
				msg, sizeof(msg),
				"this server is on-link through %s, but %s:%d's through %s: lbxdp serves one interface (DR leaves by the ingress interface)",
				n1, first_at->file, first_at->line, n2);
			diag(dg, fatal, at, msg);
		}
	}
	if (!want && cf->nvs) {
		struct conf_loc at = {cf->path, 0};

		if ((fatal ? dg->errors : dg->warnings) == before)
			diag(dg, fatal, cf->nvs ? &cf->vs[0].at : &at,
			     "no real server is on-link: no interface to attach to");
	}
	if (want && if_indextoname((unsigned int)want, n2)) {
		for (i = 0; i < cf->nvrrp; i++) {
			const struct conf_vrrp *v = &cf->vrrp[i];

			if (v->interface && strcmp(v->interface, n2)) {
				snprintf(
					msg, sizeof(msg),
					"vrrp_instance %s is on %s, but the real servers are on-link through %s: the VIPs must live on the interface that forwards them",
					v->name, v->interface, n2);
				diag(dg, fatal, &v->at, msg);
			}
			for (k = 0; k < v->nvips; k++) {
				if (!v->vips[k].dev ||
				    !strcmp(v->vips[k].dev, n2))
					continue;
				snprintf(
					msg, sizeof(msg),
					"virtual_ipaddress on dev %s, but the real servers are on-link through %s",
					v->vips[k].dev, n2);
				diag(dg, fatal, &v->vips[k].at, msg);
			}
		}
	}
	*ifindex = want;
	return (int)((fatal ? dg->errors : dg->warnings) - before);
}

int daemon_attach(struct daemon *d)
{
	struct lbxdp_attach_opts o = {
		.pin_dir = d->pin_dir,
		.ifname = d->ifname,
		.mode = LBXDP_MODE_NATIVE,
		.lock_wait_ms = LBXDP_LOCK_WAIT_MS,
		.max_vips = d->cf->xdp.max_vips,
		.max_backends = d->cf->xdp.max_backends,
		.flows = d->cf->xdp.flows,
		.ring_size = d->cf->xdp.ring_size,
	};
	struct lbxdp_link_info li;

	if (d->cf->xdp.mode >= 0) {
		o.mode = (enum lbxdp_mode)d->cf->xdp.mode;
		o.mode_set = true;
	} else if (!lbxdp_link_query(d->pin_dir, &li) && li.attached &&
		   li.ifindex == (__u32)d->ifindex) {
		/* Adopt: keep the mode it was attached in. */
		o.mode = li.mode;
	}
	return lbxdp_attach(&o);
}
