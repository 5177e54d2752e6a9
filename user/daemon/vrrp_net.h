/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A VRRP instance's sockets: adverts on a raw IPPROTO_VRRP socket (the
 * kernel builds the IP header: TTL 255, our address, multicast to
 * 224.0.0.18 or unicast to the peers), and gratuitous ARPs on a packet
 * socket. Non-blocking, for the daemon's epoll loop.
 */
#ifndef LBXDP_VRRP_NET_H
#define LBXDP_VRRP_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>

/*
 * A raw VRRP socket on @ifindex: joined to 224.0.0.18 there unless
 * @unicast, TTL 255 for both, no loopback of our own multicast. Returns
 * the fd or -errno.
 */
int vrrp_sock_open(int ifindex, bool unicast);

/* Send @len bytes of VRRP (vrrp_encode()) from @saddr to @daddr out of
 * @ifindex. 0 or -errno (-EAGAIN: the socket buffer is full). */
int vrrp_sock_send(int fd, int ifindex, __be32 saddr, __be32 daddr,
		   const uint8_t *buf, size_t len);

/*
 * Receive one packet, IP header first (what vrrp_decode() takes), and the
 * interface it came in on. Returns its length, -EAGAIN when there is none,
 * -errno.
 */
ssize_t vrrp_sock_recv(int fd, uint8_t *buf, size_t len, int *ifindex);

/* A packet socket for gratuitous ARPs on @ifindex: the fd or -errno. */
int vrrp_garp_open(int ifindex);

/*
 * One gratuitous ARP for @addr from @mac: a broadcast ARP request whose
 * sender and target are @addr (RFC 5227's announcement), which updates
 * every cache that has the address. 0 or -errno.
 */
int vrrp_garp_send(int fd, int ifindex, const __u8 mac[6], __be32 addr);

#endif /* LBXDP_VRRP_NET_H */
