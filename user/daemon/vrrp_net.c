// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A VRRP instance's sockets (vrrp_net.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include "daemon/vrrp_pkt.h"
#include "daemon/vrrp_net.h"

int vrrp_sock_open(int ifindex, bool unicast)
{
	struct ip_mreqn mr = {
		.imr_multiaddr.s_addr = htonl(VRRP_GROUP),
		.imr_ifindex = ifindex,
	};
	int fd, ttl = VRRP_TTL, off = 0, on = 1;

	fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    VRRP_PROTO);
	if (fd < 0)
		return -errno;
	/* TTL 255 either way: a receiver drops any other (RFC 3768 7.1). */
	if (setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof(off)) ||
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) ||
	    /* only the groups this socket joins (keepalived: the same): not
	     * those another socket of this host joined */
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &off, sizeof(off)))
		goto fail;
	if (!unicast &&
	    (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)) ||
	     setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr))))
		goto fail;
	return fd;
fail:
	on = -errno;
	close(fd);
	return on;
}

int vrrp_sock_send(int fd, int ifindex, __be32 saddr, __be32 daddr,
		   const uint8_t *buf, size_t len)
{
	union {
		char b[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctl = {};
	struct sockaddr_in to = {.sin_family = AF_INET};
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr m = {
		.msg_name = &to,
		.msg_namelen = sizeof(to),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.b,
		.msg_controllen = sizeof(ctl.b),
	};
	struct in_pktinfo *pi;
	struct cmsghdr *c;

	to.sin_addr.s_addr = daddr;
	/* The source the v3 checksum was computed with, and the interface. */
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(*pi));
	pi = (struct in_pktinfo *)CMSG_DATA(c);
	pi->ipi_ifindex = ifindex;
	pi->ipi_spec_dst.s_addr = saddr;
	if (sendmsg(fd, &m, 0) < 0)
		return -errno;
	return 0;
}

ssize_t vrrp_sock_recv(int fd, uint8_t *buf, size_t len, int *ifindex)
{
	union {
		char b[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr m = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.b,
		.msg_controllen = sizeof(ctl.b),
	};
	struct cmsghdr *c;
	ssize_t n;

	n = recvmsg(fd, &m, 0);
	if (n < 0)
		return -errno;
	*ifindex = 0;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
			*ifindex = ((struct in_pktinfo *)CMSG_DATA(c))
					   ->ipi_ifindex;
	/* A truncated packet is cut to @len: its IP length says so. */
	return n;
}

int vrrp_garp_open(int ifindex)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_ifindex = ifindex,
	};
	int fd, err;

	/* Protocol 0, at socket() and bind() (where a protocol would
	 * register the socket for it): send only, no ARP of others queued
	 * to a socket nobody reads. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* An Ethernet ARP frame for IPv4 (RFC 826). */
struct arp_frame {
	struct ethhdr eth;
	__be16 htype, ptype;
	__u8 hlen, plen;
	__be16 op;
	__u8 sha[ETH_ALEN];
	__u8 spa[4];
	__u8 tha[ETH_ALEN];
	__u8 tpa[4];
} __attribute__((packed));

int vrrp_garp_send(int fd, int ifindex, const __u8 mac[6], __be32 addr)
{
	struct sockaddr_ll to = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ARP),
		.sll_ifindex = ifindex,
		.sll_halen = ETH_ALEN,
	};
	struct arp_frame f = {
		.htype = htons(ARPHRD_ETHER),
		.ptype = htons(ETH_P_IP),
		.hlen = ETH_ALEN,
		.plen = 4,
		.op = htons(ARPOP_REQUEST),
	};

	memset(f.eth.h_dest, 0xff, ETH_ALEN);
	memset(to.sll_addr, 0xff, ETH_ALEN);
	memcpy(f.eth.h_source, mac, ETH_ALEN);
	f.eth.h_proto = htons(ETH_P_ARP);
	memcpy(f.sha, mac, ETH_ALEN);
	memcpy(f.spa, &addr, 4);
	memcpy(f.tpa, &addr, 4);
	if (sendto(fd, &f, sizeof(f), 0, (struct sockaddr *)&to, sizeof(to)) <
	    0)
		return -errno;
	return 0;
}
