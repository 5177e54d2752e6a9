// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Parsing and formatting of what a user types. Strict on purpose: a typo in
 * a service or a weight must fail loudly, never become port 0 or weight 8.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "parse.h"

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Decimal digits s[0..n), no sign, no space, no base prefix: by hand rather
 * than strtoul(), which takes all three and wraps "-1" to ULONG_MAX. */
static int parse_u32_span(const char *s, size_t n, __u32 min, __u32 max,
			  __u32 *out)
{
	unsigned long long v = 0;
	size_t i;

	if (!n)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (v <=
		    UINT32_MAX) /* saturate: a huge number is a range error */
			v = v * 10 + (__u32)(s[i] - '0');
	}
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int lbxdp_parse_u32(const char *s, __u32 min, __u32 max, __u32 *out)
{
	if (!s)
		return -EINVAL;
	return parse_u32_span(s, strlen(s), min, max, out);
}

int lbxdp_parse_addr(const char *s, __be32 addr[4], __u8 *family)
{
	struct in_addr in;

	/* inet_pton(), unlike inet_aton(), takes only the dotted quad:
	 * "10.1" or "0x0a.0.0.1" are typos, not addresses. */
	if (!s || inet_pton(AF_INET, s, &in) != 1)
		return -EINVAL;
	addr[0] = in.s_addr;
	addr[1] = addr[2] = addr[3] = 0;
	*family = LBXDP_AF_INET;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int lbxdp_parse_mac(const char *s, __u8 mac[6])
{
	__u8 m[6];
	char sep;
	int i;

	/* Exactly "xx:xx:xx:xx:xx:xx" or "xx-xx-xx-xx-xx-xx". */
	if (!s || strlen(s) != 17)
		return -EINVAL;
	sep = s[2];
	if (sep != ':' && sep != '-')
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		const char *p = s + 3 * i;
		int hi = hexval(p[0]), lo = hexval(p[1]);

		if (hi < 0 || lo < 0 || (i < 5 && p[2] != sep))
			return -EINVAL;
		m[i] = hi << 4 | lo;
	}
	memcpy(mac, m, sizeof(m));
	return 0;
}

/* The reason IPv4 @a (network order) cannot be a host, or NULL. */
static const char *not_host(__be32 a)
{
	__u32 h = ntohl(a);

	if (!h)
		return "the unspecified address";
	if (h == 0xffffffffU)
		return "the broadcast address";
	if ((h >> 28) == 0xe)
		return "a multicast address";
	if ((h >> 24) == 127)
		return "a loopback address";
	return NULL;
}

int lbxdp_check_vip_addr(const struct lbxdp_vip_key *key, char *err,
			 size_t errlen)
{
	const char *why;

	if (key->family != LBXDP_AF_INET)
		return 0;
	why = not_host(key->addr[0]);
	if (why) {
		seterr(err, errlen, "%s", why);
		return -EINVAL;
	}
	return 0;
}

int lbxdp_check_backend_addr(const __be32 addr[4],
			     const struct lbxdp_vip_key *vip, char *err,
			     size_t errlen)
{
	const char *why;

	if (vip->family != LBXDP_AF_INET)
		return 0;
	why = not_host(addr[0]);
	if (!why && addr[0] == vip->addr[0])
		why = "the VIP itself";
	if (why) {
		seterr(err, errlen, "%s", why);
		return -EINVAL;
	}
	return 0;
}

int lbxdp_check_prefix_edge(__be32 addr, __be32 prefix, __u8 plen, char *err,
			    size_t errlen)
{
	__u32 mask, h = ntohl(addr);
	char net[INET_ADDRSTRLEN];
	struct in_addr in;

	/* /31 (RFC 3021) and /32 have no network or broadcast address. */
	if (plen > 30)
		return 0;
	mask = plen ? ~0U << (32 - plen) : 0;
	if ((h & mask) != (ntohl(prefix) & mask))
		return 0;
	if ((h & ~mask) && (h & ~mask) != ~mask)
		return 0;
	in.s_addr = htonl(h & mask);
	inet_ntop(AF_INET, &in, net, sizeof(net));
	seterr(err, errlen, "the %s address of %s/%u",
	       h & ~mask ? "broadcast" : "network", net, plen);
	return -EINVAL;
}

int lbxdp_check_mac(const __u8 mac[6], char *err, size_t errlen)
{
	static const __u8 zero[6],
		bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	if (!memcmp(mac, zero, sizeof(zero)))
		seterr(err, errlen, "the zero MAC, no host's");
	else if (!memcmp(mac, bcast, sizeof(bcast)))
		seterr(err, errlen,
		       "the broadcast MAC: every frame would reach every host on the link");
	else if (mac[0] & 1)
		seterr(err, errlen, "a multicast MAC, no one host's");
	else
		return 0;
	return -EINVAL;
}

static const char *const sched_names[] = {
	[LBXDP_SCHED_WRR] = "wrr",
	[LBXDP_SCHED_RR] = "rr",
	[LBXDP_SCHED_MH] = "mh",
	[LBXDP_SCHED_SH] = "sh",
};

/* IPVS schedulers lbxdp does not have yet: "not supported", not "unknown". */
static const char *const sched_later[] = {
	"lc", "wlc", "lblc", "lblcr", "dh", "sed", "nq", "fo", "ovf", "twos",
};

int lbxdp_parse_sched(const char *s)
{
	size_t i;

	if (!s)
		return -EINVAL;
	for (i = 0; i < sizeof(sched_names) / sizeof(sched_names[0]); i++)
		if (!strcmp(s, sched_names[i]))
			return i;
	for (i = 0; i < sizeof(sched_later) / sizeof(sched_later[0]); i++)
		if (!strcmp(s, sched_later[i]))
			return -EOPNOTSUPP;
	return -EINVAL;
}

const char *lbxdp_sched_name(int sched)
{
	if (sched < 0 ||
	    (size_t)sched >= sizeof(sched_names) / sizeof(sched_names[0]))
		return "unknown";
	return sched_names[sched];
}

/* Copy s[0..n) into buf, or fail if it does not fit (it is then no
 * address anyway). */
static bool copy_span(char *buf, size_t size, const char *s, size_t n)
{
	if (n >= size)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return true;
}

int lbxdp_parse_service(const char *s, struct lbxdp_vip_key *key, char *err,
			size_t errlen)
{
	struct lbxdp_vip_key k = {};
	const char *host, *port, *proto, *end;
	size_t hlen, plen;
	char buf[INET6_ADDRSTRLEN];
	bool v6 = false;
	__u32 pnum;
	__u8 fam = 0;
	int ret;

	if (!s || !*s) {
		seterr(err, errlen,
		       "empty service, expected VIP:PORT[/tcp|/udp]");
		return -EINVAL;
	}
	proto = strchr(s, '/');
	end = proto ? proto : s + strlen(s);
	if (s[0] == '[') {
		/* "[v6]:port" is checked in full, so that the only complaint
		 * left is the family. */
		const char *rb = memchr(s, ']', end - s);

		if (!rb) {
			seterr(err, errlen, "missing ']' in service '%s'", s);
			return -EINVAL;
		}
		v6 = true;
		host = s + 1;
		hlen = rb - host;
		if (rb[1] != ':') {
			seterr(err, errlen,
			       "missing ':PORT' after ']' in service '%s'", s);
			return -EINVAL;
		}
		port = rb + 2;
	} else {
		const char *colon = memchr(s, ':', end - s);

		if (!colon) {
			seterr(err, errlen, "missing ':PORT' in service '%s'",
			       s);
			return -EINVAL;
		}
		if (memchr(colon + 1, ':', end - colon - 1)) {
			seterr(err, errlen,
			       "IPv6 service '%s' must be written [ADDR]:PORT",
			       s);
			return -EINVAL;
		}
		host = s;
		hlen = colon - s;
		port = colon + 1;
	}
	if (!hlen) {
		seterr(err, errlen,
		       "missing address before ':' in service '%s'", s);
		return -EINVAL;
	}

	if (v6) {
		struct in6_addr in6;

		if (!copy_span(buf, sizeof(buf), host, hlen) ||
		    inet_pton(AF_INET6, buf, &in6) != 1) {
			seterr(err, errlen,
			       "address '%.*s' is not an IPv6 address",
			       (int)hlen, host);
			return -EINVAL;
		}
	} else if (!copy_span(buf, sizeof(buf), host, hlen) ||
		   lbxdp_parse_addr(buf, k.addr, &fam)) {
		seterr(err, errlen, "address '%.*s' is not an IPv4 address",
		       (int)hlen, host);
		return -EINVAL;
	}

	plen = end - port;
	if (!plen) {
		seterr(err, errlen, "missing port after ':' in service '%s'",
		       s);
		return -EINVAL;
	}
	ret = parse_u32_span(port, plen, 0, 65535, &pnum);
	if (ret == -ERANGE) {
		seterr(err, errlen, "port '%.*s' out of range 0-65535",
		       (int)plen, port);
		return -EINVAL;
	} else if (ret) {
		seterr(err, errlen, "port '%.*s' is not a number 0-65535",
		       (int)plen, port);
		return -EINVAL;
	}

	k.proto = IPPROTO_TCP;
	if (proto) {
		proto++;
		if (!*proto) {
			seterr(err, errlen,
			       "missing protocol after '/' in service '%s'", s);
			return -EINVAL;
		}
		/* Case-blind: keepalived configs say "protocol TCP". */
		if (!strcasecmp(proto, "tcp")) {
			k.proto = IPPROTO_TCP;
		} else if (!strcasecmp(proto, "udp")) {
			k.proto = IPPROTO_UDP;
		} else {
			seterr(err, errlen, "protocol '%s' not tcp or udp",
			       proto);
			return -EINVAL;
		}
	}

	if (v6) {
		seterr(err, errlen, "IPv6 service '%s' not supported yet", s);
		return -EAFNOSUPPORT;
	}
	k.family = fam;
	k.port = htons(pnum);
	*key = k;
	return 0;
}

char *lbxdp_format_addr(const __be32 addr[4], __u8 family, char *buf,
			size_t len)
{
	char tmp[INET6_ADDRSTRLEN];
	const char *s = NULL;

	if (!len)
		return buf;
	if (family == LBXDP_AF_INET)
		s = inet_ntop(AF_INET, addr, tmp, sizeof(tmp));
	else if (family == LBXDP_AF_INET6)
		s = inet_ntop(AF_INET6, addr, tmp, sizeof(tmp));
	snprintf(buf, len, "%s", s ? s : "?");
	return buf;
}

char *lbxdp_format_service(const struct lbxdp_vip_key *key, char *buf,
			   size_t len)
{
	char a[INET6_ADDRSTRLEN], p[16];
	bool v6 = key->family == LBXDP_AF_INET6;

	if (!len)
		return buf;
	lbxdp_format_addr(key->addr, key->family, a, sizeof(a));
	if (key->proto == IPPROTO_TCP)
		snprintf(p, sizeof(p), "tcp");
	else if (key->proto == IPPROTO_UDP)
		snprintf(p, sizeof(p), "udp");
	else
		snprintf(p, sizeof(p), "%u", key->proto);
	snprintf(buf, len, "%s%s%s:%u/%s", v6 ? "[" : "", a, v6 ? "]" : "",
		 ntohs(key->port), p);
	return buf;
}

char *lbxdp_format_mac(const __u8 mac[6], char *buf, size_t len)
{
	if (!len)
		return buf;
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
	return buf;
}
