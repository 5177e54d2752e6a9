// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer on the VRRP advert decoder: each input is a whole IPv4 packet
 * as a raw socket hands it over, decoded as it is and with its checksum
 * made right. What decodes is encoded again, and must decode to the same
 * advert; it is also matched against instances made from it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "daemon/vrrp_pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The password as a string: encoding pads it with NULs as keepalived
 * does, so bytes a peer sent after a NUL do not come back.
 */
static bool same(const struct vrrp_advert *a, const struct vrrp_advert *b)
{
	return a->version == b->version && a->vrid == b->vrid &&
	       a->priority == b->priority && a->interval_cs == b->interval_cs &&
	       a->auth_type == b->auth_type &&
	       !strcmp(a->auth_pass, b->auth_pass) && a->saddr == b->saddr &&
	       a->daddr == b->daddr && a->ttl == b->ttl &&
	       a->naddrs == b->naddrs &&
	       !memcmp(a->addrs, b->addrs, 4 * (size_t)a->naddrs);
}

static void one(const uint8_t *data, size_t size)
{
	static struct vrrp_advert a, b;
	static uint8_t pkt[60 + 8 + 4 * VRRP_MAX_ADDRS + VRRP_AUTH_LEN];
	struct vrrp_expect e = {0};
	enum vrrp_drop r;
	size_t ihl, len;
	int n;

	r = vrrp_decode(data, size, &a);
	if (!vrrp_drop_name(r))
		abort();
	if (r != VRRP_OK)
		return;

	/* The instance: version, vrid and interval from the advert, the
	 * password and addresses from the input, so that some match. */
	e.version = a.version;
	e.vrid = a.vrid;
	e.interval_cs = a.interval_cs;
	e.unicast = (ntohl(a.daddr) >> 28) != 0xe;
	e.saddr = a.daddr;
	memcpy(e.auth_pass, a.auth_pass, sizeof(e.auth_pass));
	e.naddrs = a.naddrs;
	e.addrs = a.addrs;
	r = vrrp_match(&a, &e);
	/* It matches itself unless its auth type is not the one its bytes
	 * say, or bytes follow the password's NUL. */
	len = strlen(a.auth_pass);
	if (r != VRRP_OK &&
	    (a.version == 3 || (a.auth_type == (len ? 1 : 0) &&
				!memcmp(a.auth_pass + len, "\0\0\0\0\0\0\0\0",
					VRRP_AUTH_LEN - len))))
		abort();
	e.naddrs = (int)(size % (size_t)(a.naddrs + 1));
	vrrp_drop_name(vrrp_match(&a, &e));

	/* Round trip: the same IP header, the payload encoded again. */
	ihl = (size_t)(data[0] & 0x0f) * 4;
	memcpy(pkt, data, ihl);
	n = vrrp_encode(&a, pkt + ihl, sizeof(pkt) - ihl);
	if (n < 0 || ihl + (size_t)n != size)
		abort();
	if (vrrp_decode(pkt, size, &b) != VRRP_OK || !same(&a, &b))
		abort();
}

/* RFC 1071, written apart from the codec's. */
static uint32_t sum(uint32_t s, const uint8_t *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		s += i & 1 ? d[i] : (uint32_t)d[i] << 8;
	return s;
}

/*
 * Set the VRRP checksum of @p as its version's rules say, so that
 * mutations reach what the decoder checks after it.
 */
static void fix_csum(uint8_t *p, size_t size)
{
	size_t ihl = (size_t)(p[0] & 0x0f) * 4, vlen;
	uint8_t ph[12] = {0};
	uint32_t s = 0;

	if (ihl < 20 || size < ihl + 8)
		return;
	vlen = size - ihl;
	if (p[ihl] >> 4 == 3) {
		memcpy(ph, p + 12, 8);
		ph[9] = VRRP_PROTO;
		ph[10] = (uint8_t)(vlen >> 8);
		ph[11] = (uint8_t)vlen;
		s = sum(0, ph, sizeof(ph));
	}
	p[ihl + 6] = p[ihl + 7] = 0;
	s = sum(s, p + ihl, vlen);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	p[ihl + 6] = (uint8_t)(~s >> 8);
	p[ihl + 7] = (uint8_t)~s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	one(data, size);
	/* Again with the checksum right (exactly @size bytes, for ASan). */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	fix_csum(copy, size);
	one(copy, size);
	free(copy);
	return 0;
}
