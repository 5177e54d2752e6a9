// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The kernel's neighbour table, followed through rtnetlink events: a real
 * server whose entry changes MAC gets the new one in its record (its
 * established flows too: they go by the record). Only an entry that the
 * kernel's probes declare FAILED counts against the server; a deleted or
 * STALE entry keeps the last MAC, since idle entries are collected and
 * XDP-forwarded traffic does not refresh them.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include "daemon/daemon.h"
#include "daemon/dlog.h"

#define NUD_USABLE                                                           \
	(NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | \
	 NUD_NOARP)

struct neigh_ev {
	__be32 addr;
	__u16 state;
	bool has_mac;
	__u8 mac[6];
};

static void apply_ev(struct daemon *d, const struct neigh_ev *e)
{
	int i, k;

	for (i = 0; i < d->nvs; i++) {
		for (k = 0; k < d->vs[i].nrs; k++) {
			struct d_rs *r = &d->vs[i].rs[k];

			if (r->addr != e->addr)
				continue;
			if (e->state & NUD_FAILED) {
				if (!r->neigh_failed)
					daemon_kick(d);
				r->neigh_failed = true;
				continue;
			}
			if (!(e->state & NUD_USABLE) || !e->has_mac)
				continue;
			if (r->neigh_failed ||
			    (r->mac_known && memcmp(r->mac, e->mac, 6)) ||
			    !r->mac_known)
				daemon_kick(d);
			r->neigh_failed = false;
			r->mac_known = true;
			r->arp_wait = 0;
			r->arp_at = 0;
			memcpy(r->mac, e->mac, 6);
		}
	}
}

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, NDA_MAX) >= 0)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int ev_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[NDA_MAX + 1] = {};
	struct daemon *d = data;
	struct neigh_ev e = {};

	if ((nlh->nlmsg_type != RTM_NEWNEIGH &&
	     nlh->nlmsg_type != RTM_DELNEIGH) ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ndm)) ||
	    ndm->ndm_family != AF_INET || ndm->ndm_ifindex != d->ifindex ||
	    mnl_attr_parse(nlh, sizeof(*ndm), attr_cb, tb) < 0 ||
	    !tb[NDA_DST] || mnl_attr_get_payload_len(tb[NDA_DST]) != 4)
		return MNL_CB_OK;
	/* A deleted entry keeps the last MAC. */
	if (nlh->nlmsg_type == RTM_DELNEIGH)
		return MNL_CB_OK;
	e.addr = mnl_attr_get_u32(tb[NDA_DST]);
	e.state = ndm->ndm_state;
	if (tb[NDA_LLADDR] && mnl_attr_get_payload_len(tb[NDA_LLADDR]) == 6) {
		e.has_mac = true;
		memcpy(e.mac, mnl_attr_get_payload(tb[NDA_LLADDR]), 6);
	}
	apply_ev(d, &e);
	return MNL_CB_OK;
}

static void on_neigh(struct loop_fd *h, uint32_t events)
{
	struct daemon *d = h->arg;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n;

	for (;;) {
		n = recv(h->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == ENOBUFS) {
			/* Events were lost: look at every server again. */
			int i, k;

			for (i = 0; i < d->nvs; i++)
				for (k = 0; k < d->vs[i].nrs; k++)
					d->vs[i].rs[k].mac_known = false;
			daemon_kick(d);
			continue;
		}
		if (n <= 0)
			return;
		mnl_cb_run(buf, (size_t)n, 0, 0, ev_cb, d);
	}
}

int d_nl_listen(struct daemon *d, struct loop_fd *h, unsigned int groups,
		void (*cb)(struct loop_fd *h, uint32_t events))
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = groups};
	int fd, err;

	h->fd = -1;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	err = loop_fd_add(&d->loop, h, fd, EPOLLIN, cb, d);
	if (err)
		close(fd);
	return err;
}

void d_nl_close(struct daemon *d, struct loop_fd *h)
{
	int fd = h->fd;

	if (fd < 0)
		return;
	loop_fd_del(&d->loop, h);
	close(fd);
}

int neigh_listen(struct daemon *d)
{
	return d_nl_listen(d, &d->neigh, RTMGRP_NEIGH, on_neigh);
}

void neigh_close(struct daemon *d)
{
	d_nl_close(d, &d->neigh);
}
