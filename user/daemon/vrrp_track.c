// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * What VRRP instances track: their own interface and track_interface's
 * links. One rtnetlink socket on RTMGRP_LINK tells that some link moved;
 * each instance then reads the flags of the links it tracks (up and
 * running, as keepalived reads them) and hands the result to its state
 * machine: a fault, or a priority moved by the weights.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include "daemon/daemon.h"
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

void vrrp_track_links(struct daemon *d)
{
	int fd, i, k;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	for (i = 0; i < d->nvrrp; i++) {
		struct d_vrrp *v = d->vrrp[i];
		const struct conf_vrrp *cv = v->cv;
		bool fault = !link_up(fd, cv->interface);
		int weight = 0;

		for (k = 0; k < cv->ntrack_ifs; k++) {
			const struct conf_track_if *t = &cv->track_ifs[k];
			bool up = link_up(fd, t->name);

			/* keepalived: a positive weight is added while the
			 * link is up, a negative one while it is down */
			if (!t->weight)
				fault |= !up;
			else if (up && t->weight > 0)
				weight += t->weight;
			else if (!up && t->weight < 0)
				weight += t->weight;
		}
		vrrp_set_track(v, fault, weight);
	}
	close(fd);
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
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK,
				 .nl_groups = RTMGRP_LINK};
	int fd, err;

	d->link.fd = -1;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	err = loop_fd_add(&d->loop, &d->link, fd, EPOLLIN, on_link, d);
	if (err)
		close(fd);
	return err;
}

void vrrp_track_close(struct daemon *d)
{
	int fd = d->link.fd;

	if (fd < 0)
		return;
	loop_fd_del(&d->loop, &d->link);
	close(fd);
}
