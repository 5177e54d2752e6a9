// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * rtnetlink through libmnl: a link's MAC and IPv4 prefixes, whether an
 * address is on-link, a neighbour's MAC. Each call opens its own socket: calls are rare (a CLI
 * command, a config change), and a private socket never reads the answer to
 * someone else's request.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <net/if.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "netlink.h"

#define NL_REQ_SIZE 256
/* A link's reply, even without stats, can outgrow MNL_SOCKET_BUFFER_SIZE. */
#define NL_RX_SIZE 32768
/* The kernel always answers; this only keeps a bug from hanging the CLI. */
#define NL_RCV_TIMEOUT_MS 2000
#define NEIGH_POLL_MS 50

#define NL_ALIGNED __attribute__((aligned(NLMSG_ALIGNTO)))

/* Entry states whose link-layer address can be used as is. */
#define NUD_USABLE                                                           \
	(NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | \
	 NUD_NOARP)

struct nl {
	struct mnl_socket *sk;
	unsigned int portid;
	unsigned int seq;
};

static int nl_open(struct nl *nl)
{
	struct timeval tv = {
		.tv_sec = NL_RCV_TIMEOUT_MS / 1000,
		.tv_usec = NL_RCV_TIMEOUT_MS % 1000 * 1000,
	};
	int err;

	nl->sk = mnl_socket_open(NETLINK_ROUTE);
	if (!nl->sk)
		return -errno;
	if (mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(nl->sk), SOL_SOCKET, SO_RCVTIMEO, &tv,
		       sizeof(tv)) < 0) {
		err = -errno;
		goto cleanup;
	}
	nl->portid = mnl_socket_get_portid(nl->sk);
	nl->seq = (unsigned int)time(NULL);
	return 0;

cleanup:
	mnl_socket_close(nl->sk);
	nl->sk = NULL;
	return err;
}

static void nl_close(struct nl *nl)
{
	if (nl->sk)
		mnl_socket_close(nl->sk);
	nl->sk = NULL;
}

/*
 * Send @nlh (which asks for an ACK, or is a dump) and feed every answer to
 * @cb until the ACK or NLMSG_DONE. libmnl drops nothing silently: a wrong seq
 * or portid is EPROTO or ESRCH, and NLMSG_ERROR becomes its errno. Callbacks
 * never fail, so the socket is left with nothing unread for the next request.
 */
static int nl_request(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
		      void *data)
{
	char buf[NL_RX_SIZE] NL_ALIGNED;
	ssize_t n;
	int ret;

	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl->sk, buf, sizeof(buf));
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		ret = mnl_cb_run(buf, n, nlh->nlmsg_seq, nl->portid, cb, data);
	} while (ret > MNL_CB_STOP);

	if (ret < 0)
		return errno ? -errno : -EIO;
	return 0;
}

struct attrs {
	const struct nlattr **tb;
	unsigned int max;
};

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct attrs *a = data;
	unsigned int type = mnl_attr_get_type(attr);

	if (type <= a->max)
		a->tb[type] = attr;
	return MNL_CB_OK;
}

/* Index @nlh's attributes after a @hdrlen family header; false if short. */
static bool nl_parse(const struct nlmsghdr *nlh, size_t hdrlen,
		     const struct nlattr **tb, unsigned int max)
{
	struct attrs a = {.tb = tb, .max = max};

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (mnl_nlmsg_get_payload_len(nlh) < hdrlen)
		return false;
	mnl_attr_parse(nlh, hdrlen, attr_cb, &a);
	return true;
}

static bool attr_len_is(const struct nlattr *attr, size_t len)
{
	return attr && mnl_attr_get_payload_len(attr) == len;
}

struct link_reply {
	int ifindex;
	bool found;
	__u8 mac[6];
};

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFLA_MAX + 1];
	struct link_reply *r = data;

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    !nl_parse(nlh, sizeof(*ifi), tb, IFLA_MAX) ||
	    ifi->ifi_index != r->ifindex)
		return MNL_CB_OK;
	if (attr_len_is(tb[IFLA_ADDRESS], sizeof(r->mac))) {
		memcpy(r->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]),
		       sizeof(r->mac));
		r->found = true;
	}
	return MNL_CB_OK;
}

int lbxdp_nl_link_mac(int ifindex, __u8 mac[6])
{
	char req[NL_REQ_SIZE] NL_ALIGNED;
	struct link_reply r = {.ifindex = ifindex};
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;
	struct nl nl;
	int err;

	/* Index 0 would make the kernel look the link up by a name. */
	if (ifindex <= 0)
		return -ENODEV;
	err = nl_open(&nl);
	if (err)
		return err;

	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	/* Only the address is wanted: keep the reply small. */
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);

	err = nl_request(&nl, nlh, link_cb, &r);
	if (err)
		goto cleanup;
	if (!r.found) {
		err = -ENODEV;
		goto cleanup;
	}
	memcpy(mac, r.mac, sizeof(r.mac));

cleanup:
	nl_close(&nl);
	return err;
}

struct route_reply {
	bool found;
	bool gateway;
	__u8 type;
	__u32 oif;
};

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1];
	struct route_reply *r = data;

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    !nl_parse(nlh, sizeof(*rtm), tb, RTA_MAX) ||
	    rtm->rtm_family != AF_INET)
		return MNL_CB_OK;
	r->found = true;
	r->type = rtm->rtm_type;
	/* RTA_VIA is a gateway of another family (an IPv6 next hop). */
	r->gateway = tb[RTA_GATEWAY] || tb[RTA_VIA];
	if (attr_len_is(tb[RTA_OIF], sizeof(__u32)))
		r->oif = mnl_attr_get_u32(tb[RTA_OIF]);
	return MNL_CB_OK;
}

int lbxdp_nl_route_oif(__be32 addr, int *oif)
{
	char req[NL_REQ_SIZE] NL_ALIGNED;
	struct route_reply r = {0};
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	struct nl nl;
	int err;

	err = nl_open(&nl);
	if (err)
		return err;

	/* `ip route get ADDR`: no oif, so the answer is the route in use. */
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	mnl_attr_put_u32(nlh, RTA_DST, addr);

	err = nl_request(&nl, nlh, route_cb, &r);
	/* The lookup failing (unreachable, prohibit) is an answer too. */
	if (err == -ENETUNREACH || err == -EHOSTUNREACH || err == -EACCES) {
		err = -ENETUNREACH;
		goto cleanup;
	}
	if (err)
		goto cleanup;
	/* RTN_LOCAL is one of our own addresses, not a neighbour. */
	if (!r.found || r.type != RTN_UNICAST || r.gateway || !r.oif)
		err = -ENETUNREACH;
	else
		*oif = (int)r.oif;

cleanup:
	nl_close(&nl);
	return err;
}

int lbxdp_nl_onlink(int ifindex, __be32 addr)
{
	int oif = 0, err;

	err = lbxdp_nl_route_oif(addr, &oif);
	if (!err && oif != ifindex)
		err = -ENETUNREACH;
	return err;
}

struct addr_reply {
	int ifindex;
	struct lbxdp_nl_prefix *list;
	size_t n, cap;
	bool nomem;
};

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1], *a;
	struct addr_reply *r = data;
	struct lbxdp_nl_prefix *l;

	if (nlh->nlmsg_type != RTM_NEWADDR ||
	    !nl_parse(nlh, sizeof(*ifa), tb, IFA_MAX) ||
	    ifa->ifa_family != AF_INET || (int)ifa->ifa_index != r->ifindex)
		return MNL_CB_OK;
	/* IFA_ADDRESS is the prefix's side (the peer's on a point-to-point
	 * link), IFA_LOCAL ours. */
	a = tb[IFA_ADDRESS] ? tb[IFA_ADDRESS] : tb[IFA_LOCAL];
	if (!attr_len_is(a, sizeof(__be32)))
		return MNL_CB_OK;
	if (r->n == r->cap) {
		/* The callback must not fail: the dump is read to its end. */
		l = realloc(r->list, (r->cap * 2 + 4) * sizeof(*l));
		if (!l) {
			r->nomem = true;
			return MNL_CB_OK;
		}
		r->list = l;
		r->cap = r->cap * 2 + 4;
	}
	r->list[r->n].addr = mnl_attr_get_u32(a);
	r->list[r->n].len = ifa->ifa_prefixlen;
	r->n++;
	return MNL_CB_OK;
}

int lbxdp_nl_addrs4(int ifindex, struct lbxdp_nl_prefix **out, size_t *n)
{
	char req[NL_REQ_SIZE] NL_ALIGNED;
	struct addr_reply r = {.ifindex = ifindex};
	struct ifaddrmsg *ifa;
	struct nlmsghdr *nlh;
	struct nl nl;
	int err;

	err = nl_open(&nl);
	if (err)
		return err;
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_index = ifindex;

	err = nl_request(&nl, nlh, addr_cb, &r);
	if (!err && r.nomem)
		err = -ENOMEM;
	if (err) {
		free(r.list);
		goto cleanup;
	}
	*out = r.list;
	*n = r.n;
cleanup:
	nl_close(&nl);
	return err;
}

struct neigh_reply {
	int ifindex;
	__be32 addr;
	bool found;
	bool has_mac;
	__u16 state;
	__u8 mac[6];
};

static int neigh_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[NDA_MAX + 1];
	struct neigh_reply *r = data;

	if (nlh->nlmsg_type != RTM_NEWNEIGH ||
	    !nl_parse(nlh, sizeof(*ndm), tb, NDA_MAX) ||
	    ndm->ndm_family != AF_INET || ndm->ndm_ifindex != r->ifindex ||
	    !attr_len_is(tb[NDA_DST], sizeof(__be32)) ||
	    mnl_attr_get_u32(tb[NDA_DST]) != r->addr)
		return MNL_CB_OK;
	r->found = true;
	r->state = ndm->ndm_state;
	r->has_mac = attr_len_is(tb[NDA_LLADDR], sizeof(r->mac));
	if (r->has_mac)
		memcpy(r->mac, mnl_attr_get_payload(tb[NDA_LLADDR]),
		       sizeof(r->mac));
	return MNL_CB_OK;
}

/* One entry by key (RTM_GETNEIGH without NLM_F_DUMP); none is not an error. */
static int neigh_get(struct nl *nl, struct neigh_reply *r)
{
	char req[NL_REQ_SIZE] NL_ALIGNED;
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;
	int err;

	r->found = false;
	r->has_mac = false;
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = r->ifindex;
	mnl_attr_put_u32(nlh, NDA_DST, r->addr);

	err = nl_request(nl, nlh, neigh_cb, r);
	return err == -ENOENT ? 0 : err;
}

/*
 * What Cilium does: RTM_NEWNEIGH with NTF_USE is the kernel's
 * neigh_event_send(), as if a packet were waiting for the neighbour. It
 * creates the entry if need be and sends an ARP request. With NTF_USE the
 * kernel ignores ndm_state (the entry keeps its own), so NUD_NONE, which
 * also keeps a new entry out of the permanent, never-collected ones.
 */
static int neigh_kick(struct nl *nl, int ifindex, __be32 addr)
{
	char req[NL_REQ_SIZE] NL_ALIGNED;
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;

	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = RTM_NEWNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = ifindex;
	ndm->ndm_state = NUD_NONE;
	ndm->ndm_flags = NTF_USE;
	mnl_attr_put_u32(nlh, NDA_DST, addr);

	return nl_request(nl, nlh, NULL, NULL);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long long ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = ms % 1000 * 1000000,
	};

	/* An early wake-up by a signal only makes one more lookup. */
	nanosleep(&ts, NULL);
}

int lbxdp_nl_neigh_resolve(int ifindex, __be32 addr, __u8 mac[6],
			   int timeout_ms)
{
	struct neigh_reply r = {.ifindex = ifindex, .addr = addr};
	long long deadline, left;
	bool kicked = false;
	struct nl nl;
	int err;

	err = nl_open(&nl);
	if (err)
		return err;
	deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);

	for (;;) {
		err = neigh_get(&nl, &r);
		if (err)
			goto cleanup;
		if (r.found && (r.state & NUD_USABLE) && r.has_mac) {
			memcpy(mac, r.mac, sizeof(r.mac));
			goto cleanup;
		}
		/*
		 * Kick once; again only if the kernel gave up (its probes
		 * ran out: NUD_FAILED) or dropped the entry, so a long
		 * timeout keeps asking without an ARP every poll.
		 */
		if (!kicked || !r.found || (r.state & NUD_FAILED)) {
			err = neigh_kick(&nl, ifindex, addr);
			if (err)
				goto cleanup;
			kicked = true;
		}
		left = deadline - now_ms();
		if (left <= 0) {
			err = -EHOSTUNREACH;
			goto cleanup;
		}
		sleep_ms(left < NEIGH_POLL_MS ? left : NEIGH_POLL_MS);
	}

cleanup:
	nl_close(&nl);
	return err;
}

int lbxdp_nl_addr(int ifindex, bool add, __be32 addr, __u8 prefix,
		  const char *label, int scope)
{
	char req[NL_REQ_SIZE] NL_ALIGNED;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	struct nl nl;
	int err;

	if (prefix > 32 || (label && strlen(label) >= IFNAMSIZ))
		return -EINVAL;
	err = nl_open(&nl);
	if (err)
		return err;
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (add)
		nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = prefix;
	ifa->ifa_scope = scope >= 0 ? (__u8)scope : RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (__u32)ifindex;
	mnl_attr_put_u32(nlh, IFA_LOCAL, addr);
	mnl_attr_put_u32(nlh, IFA_ADDRESS, addr);
	if (label && add)
		mnl_attr_put_strz(nlh, IFA_LABEL, label);
	err = nl_request(&nl, nlh, NULL, NULL);
	nl_close(&nl);
	return err;
}
