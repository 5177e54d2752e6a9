/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* rtnetlink through libmnl: links, routes, neighbours. */
#ifndef LBXDP_NETLINK_H
#define LBXDP_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* The interface's hardware address. 0, -ENODEV, -errno. */
int lbxdp_nl_link_mac(int ifindex, __u8 mac[6]);

struct lbxdp_nl_prefix {
	__be32 addr; /* network order */
	__u8 len;
};

/* The IPv4 prefixes of @ifindex (RTM_GETADDR). *out is malloc'ed. */
int lbxdp_nl_addrs4(int ifindex, struct lbxdp_nl_prefix **out, size_t *n);

/*
 * Whether IPv4 @addr is directly reachable (on-link, no gateway) through
 * @ifindex, asked of the kernel's routing table (RTM_GETROUTE).
 * 0 if so, -ENETUNREACH if routed elsewhere or via a gateway, -errno.
 */
int lbxdp_nl_onlink(int ifindex, __be32 addr);
/* The interface through which IPv4 @addr is on-link: 0, -ENETUNREACH
 * (routed via a gateway, local or unreachable), -errno. */
int lbxdp_nl_route_oif(__be32 addr, int *oif);

/*
 * The MAC of IPv4 neighbour @addr on @ifindex. If the neighbour table has no
 * usable entry, ask the kernel to resolve it (RTM_NEWNEIGH with NTF_USE) and
 * poll for up to @timeout_ms. 0, -EHOSTUNREACH if unresolved, -errno.
 */
int lbxdp_nl_neigh_resolve(int ifindex, __be32 addr, __u8 mac[6],
			   int timeout_ms);

/*
 * Add or delete IPv4 @addr/@prefix on @ifindex (VRRP's VIPs): @label
 * (NULL: none) and @scope (RT_SCOPE_*, -1: global) as keepalived's
 * virtual_ipaddress gives them. 0; -EEXIST (add) or -EADDRNOTAVAIL (del)
 * when it already is as asked; -errno.
 */
int lbxdp_nl_addr(int ifindex, bool add, __be32 addr, __u8 prefix,
		  const char *label, int scope);

#endif /* LBXDP_NETLINK_H */
