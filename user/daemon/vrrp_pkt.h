/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * VRRP adverts on the wire, without I/O: VRRP v2 (RFC 3768, keepalived's
 * default) and v3 (RFC 5798, IPv4 only). Pure code: unit-tested against
 * adverts captured from keepalived 2.2.7, and fuzzed.
 */
#ifndef LBXDP_VRRP_PKT_H
#define LBXDP_VRRP_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#define VRRP_PROTO 112
#define VRRP_GROUP 0xe0000012 /* 224.0.0.18, host order */
#define VRRP_TTL 255
#define VRRP_MAX_ADDRS 255 /* v2's count is one byte */
#define VRRP_AUTH_LEN 8

/* One advert, decoded or to encode. */
struct vrrp_advert {
	uint8_t version; /* 2 or 3 */
	uint8_t vrid;
	uint8_t priority;
	/* v2: the advert interval in seconds × 100; v3: Max Adver Int. */
	uint16_t interval_cs;
	uint8_t auth_type;		   /* v2 only: 0 none, 1 PASS */
	char auth_pass[VRRP_AUTH_LEN + 1]; /* v2: the 8 bytes sent, + NUL */
	__be32 saddr, daddr;		   /* of the IP header */
	/*
	 * v3 to a unicast address, its checksum over 224.0.0.18's pseudo-
	 * header, as keepalived before 1.3.7 sent it: to encode so, or
	 * decoded, whether it holds so (keepalived's unicast checksum
	 * compatibility). Decoded, csum_daddr: whether it holds as sent
	 * (v2: holds; v3: over daddr). One of the two holds.
	 */
	bool csum_group, csum_daddr;
	uint8_t ttl;
	int naddrs;
	__be32 addrs[VRRP_MAX_ADDRS];
};

/*
 * Why an advert is dropped. Decoding (vrrp_decode) finds the first group,
 * the instance's own comparison (vrrp_match) the second: each reason is
 * counted per instance and named in its rate-limited log line.
 */
enum vrrp_drop {
	VRRP_OK = 0,
	/* vrrp_decode */
	VRRP_DROP_LENGTH,   /* bad IP header, length other than counts say */
	VRRP_DROP_TTL,	    /* IP TTL other than 255 */
	VRRP_DROP_VERSION,  /* neither 2 nor 3; vrrp_match: not ours */
	VRRP_DROP_TYPE,	    /* not an ADVERTISEMENT */
	VRRP_DROP_CHECKSUM, /* v2: over VRRP; v3: with the pseudo-header
			     * (vrrp_match: old_unicast_checksum never) */
	/* vrrp_match */
	VRRP_DROP_VRID,	     /* another instance's */
	VRRP_DROP_AUTH,	     /* v2: wrong type or password */
	VRRP_DROP_INTERVAL,  /* v2: differs from ours (v3 adopts it) */
	VRRP_DROP_DEST,	     /* not to the group, or with unicast_peer to us */
	VRRP_DROP_ADDRESSES, /* the VIP list differs from ours */
	VRRP_DROP__MAX,
};

/* A short name for logs, counters and JSON ("ttl", "checksum", ...). */
const char *vrrp_drop_name(enum vrrp_drop r);

/*
 * Encode @a (saddr/daddr used for the v3 checksum, ttl ignored) as the
 * VRRP payload of an IP packet, into @buf. Returns its length, or -EINVAL
 * (bad version, naddrs) or -ENOSPC.
 */
int vrrp_encode(const struct vrrp_advert *a, uint8_t *buf, size_t len);

/*
 * Decode a whole IPv4 packet as a raw socket of protocol 112 receives it
 * (IP header first) into @a. Returns VRRP_OK or the reason to drop it;
 * never reads past @len. VRRP_DROP_TTL comes last, with @a filled: an
 * instance with unicast peers accepts it (keepalived checks the TTL of
 * multicast adverts only).
 */
enum vrrp_drop vrrp_decode(const uint8_t *pkt, size_t len,
			   struct vrrp_advert *a);

/* How an instance sums its v3 unicast adverts, and which it takes. */
enum vrrp_csum {
	VRRP_CSUM_AUTO,	 /* over daddr; a peer's over the group makes it OLD */
	VRRP_CSUM_NEVER, /* over daddr, and takes only those */
	VRRP_CSUM_OLD,	 /* over the group (either is taken) */
};

/* What an instance expects of its peers' adverts. */
struct vrrp_expect {
	uint8_t version, vrid;
	uint16_t interval_cs;
	char auth_pass[VRRP_AUTH_LEN + 1]; /* v2: "" no authentication */
	bool unicast; /* unicast_peer: its adverts are sent to saddr */
	__be32 saddr; /* ours: what we send adverts from */
	enum vrrp_csum csum;
	int naddrs;
	const __be32 *addrs; /* in any order */
};

/* Compare a decoded advert with the instance's own settings. */
enum vrrp_drop vrrp_match(const struct vrrp_advert *a,
			  const struct vrrp_expect *e);

#endif /* LBXDP_VRRP_PKT_H */
