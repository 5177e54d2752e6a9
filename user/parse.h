/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Parsing and formatting of the words a user types: pure functions. */
#ifndef LBXDP_PARSE_H
#define LBXDP_PARSE_H

#include <stddef.h>
#include <linux/types.h>
#include "lbxdp/abi.h"

/*
 * "VIP:PORT[/tcp|/udp]", port 0..65535 (0: all ports), tcp when omitted.
 * IPv4 only for now ("[v6]:port" answers -EAFNOSUPPORT). On error returns
 * -EINVAL and writes a reason to @err ("port 70000 out of range 0-65535").
 */
int lbxdp_parse_service(const char *s, struct lbxdp_vip_key *key, char *err,
			size_t errlen);
/* IPv4 dotted quad into addr[0], addr[1..3] zeroed. -EINVAL on error. */
int lbxdp_parse_addr(const char *s, __be32 addr[4], __u8 *family);
/* "aa:bb:cc:dd:ee:ff" (also with '-'). -EINVAL on error. */
int lbxdp_parse_mac(const char *s, __u8 mac[6]);
/* Decimal integer in [min, max], no sign, no trailing junk. -EINVAL/-ERANGE. */
int lbxdp_parse_u32(const char *s, __u32 min, __u32 max, __u32 *out);
/*
 * Values that parse but make no sense: -EINVAL with the reason in @err
 * ("a multicast address"), else 0. Only IPv4 is checked.
 *
 * A VIP is not 0.0.0.0, 255.255.255.255, multicast (224/4) or loopback
 * (127/8). 240/4 is allowed: Linux routes it as unicast, and some
 * networks use it.
 */
int lbxdp_check_vip_addr(const struct lbxdp_vip_key *key, char *err,
			 size_t errlen);
/* A backend of @vip is none of those, nor the VIP's own address. */
int lbxdp_check_backend_addr(const __be32 addr[4],
			     const struct lbxdp_vip_key *vip, char *err,
			     size_t errlen);
/* IPv4 @addr is not the network or broadcast address of @prefix/@plen
 * (a /31 or /32 has neither). All in network order. */
int lbxdp_check_prefix_edge(__be32 addr, __be32 prefix, __u8 plen, char *err,
			    size_t errlen);
/* A backend's MAC is one host's: not all-zero, multicast or broadcast. */
int lbxdp_check_mac(const __u8 mac[6], char *err, size_t errlen);
/* "wrr" "rr" "mh" "sh" -> enum lbxdp_sched; -EINVAL for others,
 * -EOPNOTSUPP for schedulers IPVS has that lbxdp does not yet (lc, wlc, ...). */
int lbxdp_parse_sched(const char *s);
const char *lbxdp_sched_name(int sched);

/* "198.18.0.10:80/tcp" into @buf. Returns @buf. */
char *lbxdp_format_service(const struct lbxdp_vip_key *key, char *buf,
			   size_t len);
char *lbxdp_format_addr(const __be32 addr[4], __u8 family, char *buf,
			size_t len);
char *lbxdp_format_mac(const __u8 mac[6], char *buf, size_t len);

#define LBXDP_SVC_STRLEN 64

#endif /* LBXDP_PARSE_H */
