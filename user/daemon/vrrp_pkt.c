// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * VRRP adverts on the wire: v2 (RFC 3768) and v3 (RFC 5798, IPv4). The
 * checks follow keepalived 2.2.7's receive path where it is stricter than
 * the RFCs: the packet must be exactly as long as its address count says,
 * the IP total length must be the received length, and a v2 password is
 * compared over all 8 bytes, NUL padding included.
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "daemon/vrrp_pkt.h"

#define VRRP_TYPE_ADVERT 1
#define VRRP_HDR_LEN 8
#define IP_HDR_MIN 20
#define V3_INTERVAL_MASK 0x0fff /* the top 4 bits are reserved */

static const char *const drop_names[VRRP_DROP__MAX] = {
	[VRRP_OK] = "ok",
	[VRRP_DROP_LENGTH] = "length",
	[VRRP_DROP_TTL] = "ttl",
	[VRRP_DROP_VERSION] = "version",
	[VRRP_DROP_TYPE] = "type",
	[VRRP_DROP_CHECKSUM] = "checksum",
	[VRRP_DROP_VRID] = "vrid",
	[VRRP_DROP_AUTH] = "auth",
	[VRRP_DROP_INTERVAL] = "interval",
	[VRRP_DROP_DEST] = "destination",
	[VRRP_DROP_ADDRESSES] = "addresses",
};

const char *vrrp_drop_name(enum vrrp_drop r)
{
	if ((unsigned int)r >= VRRP_DROP__MAX)
		return "unknown";
	return drop_names[r];
}

/* The VRRP message's length: header, addresses, v2's authentication data. */
static size_t vrrp_len(int version, int naddrs)
{
	return VRRP_HDR_LEN + 4 * (size_t)naddrs +
	       (version == 2 ? VRRP_AUTH_LEN : 0);
}

/* RFC 1071: the 32-bit sum of 16-bit big-endian words, carries kept. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static bool is_multicast(__be32 a)
{
	return (ntohl(a) >> 28) == 0xe;
}

/*
 * The checksum field's value for @msg (its own checksum bytes taken as
 * they are: zero when encoding, and 0 comes out for a valid message).
 * v3 adds the IPv4 pseudo-header (RFC 5798 5.2.8).
 */
static uint16_t vrrp_csum(int version, __be32 saddr, __be32 daddr,
			  const uint8_t *msg, size_t len)
{
	uint32_t sum = 0;

	if (version == 3) {
		uint8_t ph[12];

		memcpy(ph, &saddr, 4);
		memcpy(ph + 4, &daddr, 4);
		ph[8] = 0;
		ph[9] = VRRP_PROTO;
		ph[10] = (uint8_t)(len >> 8);
		ph[11] = (uint8_t)len;
		sum = csum_add(sum, ph, sizeof(ph));
	}
	return csum_fold(csum_add(sum, msg, len));
}

int vrrp_encode(const struct vrrp_advert *a, uint8_t *buf, size_t len)
{
	uint16_t interval, csum;
	size_t need, pass_len;

	if (a->naddrs < 0 || a->naddrs > VRRP_MAX_ADDRS)
		return -EINVAL;
	if (a->version == 2) {
		/* v2 carries whole seconds in one byte. */
		if (a->interval_cs % 100 || a->interval_cs / 100 > 255)
			return -EINVAL;
		interval = a->interval_cs / 100;
	} else if (a->version == 3) {
		if (a->interval_cs > V3_INTERVAL_MASK)
			return -EINVAL;
		interval = a->interval_cs;
	} else {
		return -EINVAL;
	}
	need = vrrp_len(a->version, a->naddrs);
	if (len < need)
		return -ENOSPC;

	memset(buf, 0, need);
	buf[0] = (uint8_t)(a->version << 4 | VRRP_TYPE_ADVERT);
	buf[1] = a->vrid;
	buf[2] = a->priority;
	buf[3] = (uint8_t)a->naddrs;
	if (a->version == 2) {
		buf[4] = a->auth_type;
		buf[5] = (uint8_t)interval;
	} else {
		buf[4] = (uint8_t)(interval >> 8);
		buf[5] = (uint8_t)interval;
	}
	memcpy(buf + VRRP_HDR_LEN, a->addrs, 4 * (size_t)a->naddrs);
	/*
	 * As keepalived: the password padded with NULs to 8 bytes; all zero
	 * when it is empty (no authentication).
	 */
	if (a->version == 2) {
		pass_len = strnlen(a->auth_pass, VRRP_AUTH_LEN);
		memcpy(buf + need - VRRP_AUTH_LEN, a->auth_pass, pass_len);
	}
	csum = vrrp_csum(a->version, a->saddr,
			 a->csum_group ? htonl(VRRP_GROUP) : a->daddr, buf,
			 need);
	buf[6] = (uint8_t)(csum >> 8);
	buf[7] = (uint8_t)csum;
	return (int)need;
}

enum vrrp_drop vrrp_decode(const uint8_t *pkt, size_t len,
			   struct vrrp_advert *a)
{
	size_t ihl, tot_len, vlen;
	const uint8_t *v;
	int version;

	memset(a, 0, sizeof(*a));
	/* An IPv4 header carrying VRRP, and a whole VRRP header after it. */
	if (len < IP_HDR_MIN || pkt[0] >> 4 != 4)
		return VRRP_DROP_LENGTH;
	ihl = (size_t)(pkt[0] & 0x0f) * 4;
	tot_len = (size_t)pkt[2] << 8 | pkt[3];
	if (ihl < IP_HDR_MIN || pkt[9] != VRRP_PROTO ||
	    len < ihl + VRRP_HDR_LEN)
		return VRRP_DROP_LENGTH;
	v = pkt + ihl;

	version = v[0] >> 4;
	if (version != 2 && version != 3)
		return VRRP_DROP_VERSION;
	/*
	 * keepalived drops a packet whose length is not exactly the one its
	 * address count gives ("vrrp packet too long/short"), and one whose
	 * IP total length is not the received length.
	 */
	vlen = vrrp_len(version, v[3]);
	if (tot_len != len || len != ihl + vlen)
		return VRRP_DROP_LENGTH;
	if ((v[0] & 0x0f) != VRRP_TYPE_ADVERT)
		return VRRP_DROP_TYPE;

	memcpy(&a->saddr, pkt + 12, 4);
	memcpy(&a->daddr, pkt + 16, 4);
	a->csum_daddr = !vrrp_csum(version, a->saddr, a->daddr, v, vlen);
	a->csum_group =
		version == 3 && !is_multicast(a->daddr) &&
		!vrrp_csum(version, a->saddr, htonl(VRRP_GROUP), v, vlen);
	if (!a->csum_daddr && !a->csum_group)
		return VRRP_DROP_CHECKSUM;

	a->version = (uint8_t)version;
	a->vrid = v[1];
	a->priority = v[2];
	a->ttl = pkt[8];
	a->naddrs = v[3];
	memcpy(a->addrs, v + VRRP_HDR_LEN, 4 * (size_t)a->naddrs);
	if (version == 2) {
		a->auth_type = v[4];
		a->interval_cs = (uint16_t)(v[5] * 100);
		/* All 8 bytes, as sent: keepalived compares them all. */
		memcpy(a->auth_pass, v + vlen - VRRP_AUTH_LEN, VRRP_AUTH_LEN);
	} else {
		a->interval_cs =
			(uint16_t)((v[4] << 8 | v[5]) & V3_INTERVAL_MASK);
	}
	/* Last, with @a filled: keepalived checks it only for multicast. */
	if (pkt[8] != VRRP_TTL)
		return VRRP_DROP_TTL;
	return VRRP_OK;
}

static bool has_addr(const __be32 *addrs, int n, __be32 addr)
{
	int i;

	for (i = 0; i < n; i++)
		if (addrs[i] == addr)
			return true;
	return false;
}

enum vrrp_drop vrrp_match(const struct vrrp_advert *a,
			  const struct vrrp_expect *e)
{
	char pass[VRRP_AUTH_LEN] = {0};
	int i;

	/* Another router's first, whatever its version: on a shared link,
	 * as keepalived, they are no news (vrrp.c logs no VRID drop). */
	if (a->vrid != e->vrid)
		return VRRP_DROP_VRID;
	if (a->version != e->version)
		return VRRP_DROP_VERSION;
	if (a->version == 2) {
		/* keepalived: auth type first, then the 8 bytes, NUL-padded. */
		memcpy(pass, e->auth_pass,
		       strnlen(e->auth_pass, VRRP_AUTH_LEN));
		if (a->auth_type != (pass[0] ? 1 : 0))
			return VRRP_DROP_AUTH;
		if (pass[0] && memcmp(a->auth_pass, pass, VRRP_AUTH_LEN))
			return VRRP_DROP_AUTH;
		if (a->interval_cs != e->interval_cs)
			return VRRP_DROP_INTERVAL;
	}
	/* keepalived (after the above, before the VIPs): a unicast
	 * instance's socket is bound to its own address, a multicast one's
	 * takes the group's; any other is a peer whose file is not in step */
	if (e->unicast ? a->daddr != e->saddr : !is_multicast(a->daddr))
		return VRRP_DROP_DEST;
	/* old_unicast_checksum never: a v3 unicast advert summed over the
	 * group is refused (v2 sums no pseudo-header, multicast ones the
	 * group's address: csum_daddr) */
	if (e->csum == VRRP_CSUM_NEVER && !a->csum_daddr)
		return VRRP_DROP_CHECKSUM;
	/* The same count, and each of ours present, in any order. */
	if (a->naddrs != e->naddrs)
		return VRRP_DROP_ADDRESSES;
	for (i = 0; i < e->naddrs; i++)
		if (!has_addr(a->addrs, a->naddrs, e->addrs[i]))
			return VRRP_DROP_ADDRESSES;
	return VRRP_OK;
}
