// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The VRRP advert codec against adverts captured from keepalived 2.2.7
 * (tests/unit/vrrp/NAME.hex, made by tests/vrrp/capture.sh): each decodes to
 * its exact fields and encodes back byte for byte; crafted packets hit
 * every reason to drop one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "daemon/vrrp_pkt.h"

#define IPH 20 /* the captures' IP header length */

struct pkt {
	uint8_t b[2048];
	size_t len;
};

/* tests/unit/vrrp/NAME.hex: '#' comment lines, then hex bytes. */
static void load(const char *name, struct pkt *p)
{
	const char *slash = strrchr(__FILE__, '/');
	char path[512], line[256];
	unsigned int byte;
	FILE *f;
	int off, n;

	snprintf(path, sizeof(path), "%.*s/vrrp/%s.hex",
		 slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".",
		 name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	p->len = 0;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		for (off = 0; sscanf(line + off, " %2x%n", &byte, &n) == 1;
		     off += n) {
			assert_true(p->len < sizeof(p->b));
			p->b[p->len++] = (uint8_t)byte;
		}
	}
	fclose(f);
	assert_true(p->len > IPH);
}

/* An independent RFC 1071 checksum, to fix up crafted packets. */
static uint16_t sum16(uint32_t s, const uint8_t *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i += 2)
		s += (uint32_t)(d[i] << 8) + (i + 1 < n ? d[i + 1] : 0);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Recompute the VRRP checksum of @p (v3: with its pseudo-header). */
static void fix_csum(struct pkt *p)
{
	uint8_t *v = p->b + (p->b[0] & 15) * 4;
	size_t vlen = p->len - (size_t)(v - p->b);
	uint8_t ph[12] = {0};
	uint32_t s = 0;
	uint16_t c;

	if (v[0] >> 4 == 3) {
		memcpy(ph, p->b + 12, 8);
		ph[9] = 112;
		ph[10] = (uint8_t)(vlen >> 8);
		ph[11] = (uint8_t)vlen;
		s = (uint16_t)~sum16(0, ph, sizeof(ph));
	}
	v[6] = v[7] = 0;
	c = sum16(s, v, vlen);
	v[6] = (uint8_t)(c >> 8);
	v[7] = (uint8_t)c;
}

static void set_tot_len(struct pkt *p, size_t n)
{
	p->b[2] = (uint8_t)(n >> 8);
	p->b[3] = (uint8_t)n;
}

static __be32 ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* Field by field: the struct has padding. */
static void assert_advert_equal(const struct vrrp_advert *a,
				const struct vrrp_advert *b)
{
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->vrid, b->vrid);
	assert_int_equal(a->priority, b->priority);
	assert_int_equal(a->interval_cs, b->interval_cs);
	assert_int_equal(a->auth_type, b->auth_type);
	assert_memory_equal(a->auth_pass, b->auth_pass, sizeof(a->auth_pass));
	assert_int_equal(a->saddr, b->saddr);
	assert_int_equal(a->daddr, b->daddr);
	assert_int_equal(a->ttl, b->ttl);
	assert_int_equal(a->naddrs, b->naddrs);
	assert_memory_equal(a->addrs, b->addrs, 4 * (size_t)a->naddrs);
}

static enum vrrp_drop decode(const struct pkt *p, struct vrrp_advert *a)
{
	return vrrp_decode(p->b, p->len, a);
}

struct fixture {
	const char *name;
	uint8_t version, priority, auth_type;
	uint16_t interval_cs;
	const char *pass;
};

static const struct fixture fixtures[] = {
	{"v2_pass", 2, 100, 1, 100, "1111"},
	{"v2_pass_prio0", 2, 0, 1, 100, "1111"},
	{"v2_noauth", 2, 100, 0, 100, ""},
	{"v2_noauth_prio0", 2, 0, 0, 100, ""},
	{"v3", 3, 100, 0, 100, ""},
	{"v3_prio0", 3, 0, 0, 100, ""},
	{"v3_half", 3, 100, 0, 50, ""},
	{"v3_half_prio0", 3, 0, 0, 50, ""},
};

static void captures_decode(void **state)
{
	struct vrrp_advert a;
	struct pkt p;
	size_t i;

	for (i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		const struct fixture *f = &fixtures[i];

		load(f->name, &p);
		assert_int_equal(decode(&p, &a), VRRP_OK);
		assert_int_equal(a.version, f->version);
		assert_int_equal(a.vrid, 50);
		assert_int_equal(a.priority, f->priority);
		assert_int_equal(a.interval_cs, f->interval_cs);
		assert_int_equal(a.auth_type, f->auth_type);
		/* All 8 bytes: the password, then NULs. */
		assert_memory_equal(a.auth_pass, f->pass, strlen(f->pass) + 1);
		for (size_t k = strlen(f->pass); k <= VRRP_AUTH_LEN; k++)
			assert_int_equal(a.auth_pass[k], 0);
		assert_int_equal(a.saddr, ip("198.18.10.1"));
		assert_int_equal(a.daddr, ip("224.0.0.18"));
		assert_int_equal(ntohl(a.daddr), VRRP_GROUP);
		assert_int_equal(a.ttl, 255);
		assert_int_equal(a.naddrs, 2);
		assert_int_equal(a.addrs[0], ip("198.18.10.100"));
		assert_int_equal(a.addrs[1], ip("198.18.10.101"));
	}
}

static void captures_encode(void **state)
{
	uint8_t buf[2048];
	size_t i;
	int n;

	for (i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		const struct fixture *f = &fixtures[i];
		struct vrrp_advert a = {
			.version = f->version,
			.vrid = 50,
			.priority = f->priority,
			.interval_cs = f->interval_cs,
			.auth_type = f->auth_type,
			.saddr = ip("198.18.10.1"),
			.daddr = htonl(VRRP_GROUP),
			.naddrs = 2,
			.addrs = {ip("198.18.10.100"), ip("198.18.10.101")},
		};
		struct pkt p;

		strcpy(a.auth_pass, f->pass);
		load(f->name, &p);
		memset(buf, 0xa5, sizeof(buf));
		n = vrrp_encode(&a, buf, sizeof(buf));
		assert_int_equal(n, p.len - IPH);
		assert_memory_equal(buf, p.b + IPH, p.len - IPH);
		assert_int_equal(buf[n], 0xa5); /* nothing written past it */
	}
}

/* The IP header's checks. */
static void bad_ip_header(void **state)
{
	struct vrrp_advert a;
	struct pkt p, q;

	load("v2_pass", &p);
	q = p;
	q.b[0] = 0x65; /* IPv6 */
	assert_int_equal(decode(&q, &a), VRRP_DROP_LENGTH);
	q = p;
	q.b[0] = 0x44; /* ihl 16 bytes */
	assert_int_equal(decode(&q, &a), VRRP_DROP_LENGTH);
	q = p;
	q.b[9] = 17; /* UDP */
	assert_int_equal(decode(&q, &a), VRRP_DROP_LENGTH);
	q = p;
	set_tot_len(&q, p.len + 1);
	assert_int_equal(decode(&q, &a), VRRP_DROP_LENGTH);
	q = p;
	set_tot_len(&q, p.len - 1);
	assert_int_equal(decode(&q, &a), VRRP_DROP_LENGTH);
}

/* An IP option (ihl 6): the VRRP message starts after it. */
static void ip_options(void **state)
{
	struct vrrp_advert a, b;
	struct pkt p, q;

	load("v3", &p);
	assert_int_equal(decode(&p, &a), VRRP_OK);
	q.len = p.len + 4;
	memcpy(q.b, p.b, IPH);
	memset(q.b + IPH, 1, 4); /* four NOPs */
	memcpy(q.b + IPH + 4, p.b + IPH, p.len - IPH);
	q.b[0] = 0x46;
	set_tot_len(&q, q.len);
	assert_int_equal(decode(&q, &b), VRRP_OK);
	assert_advert_equal(&a, &b);
}

static void ttl(void **state)
{
	struct vrrp_advert a;
	struct pkt p;

	load("v2_pass", &p);
	p.b[8] = 254;
	assert_int_equal(decode(&p, &a), VRRP_DROP_TTL);
	/* decoded all the same, for unicast peers */
	assert_int_equal(a.ttl, 254);
	assert_int_equal(a.vrid, 50);
	assert_int_equal(a.naddrs, 2);
	assert_string_equal(a.auth_pass, "1111");
	/* the other checks come first */
	p.b[p.len - 1] ^= 1;
	assert_int_equal(decode(&p, &a), VRRP_DROP_CHECKSUM);
	load("v3", &p);
	p.b[8] = 1;
	assert_int_equal(decode(&p, &a), VRRP_DROP_TTL);
	p.b[8] = 255;
	assert_int_equal(decode(&p, &a), VRRP_OK);
}

static void checksum(void **state)
{
	static const char *const names[] = {"v2_pass", "v3"};
	struct vrrp_advert a;
	struct pkt p, q;
	size_t i, k;

	for (i = 0; i < 2; i++) {
		load(names[i], &p);
		/* Any one bit of the message flipped (the version's and
		 * count's bits fail earlier; those still in range here). */
		for (k = IPH + 1; k < p.len; k++) {
			if (k == IPH + 3)
				continue; /* the count: a length error */
			q = p;
			q.b[k] ^= 0x10;
			assert_int_equal(decode(&q, &a), VRRP_DROP_CHECKSUM);
		}
		q = p;
		fix_csum(&q); /* the independent checksum agrees */
		assert_memory_equal(q.b, p.b, p.len);
	}
}

/* v3's checksum covers the pseudo-header, v2's does not. */
static void v3_pseudo_header(void **state)
{
	struct vrrp_advert a;
	uint8_t b1[64], b2[64];
	struct pkt p;

	load("v3", &p);
	p.b[15] ^= 1; /* saddr */
	assert_int_equal(decode(&p, &a), VRRP_DROP_CHECKSUM);
	load("v3", &p);
	p.b[19] ^= 1; /* daddr */
	assert_int_equal(decode(&p, &a), VRRP_DROP_CHECKSUM);
	fix_csum(&p);
	assert_int_equal(decode(&p, &a), VRRP_OK);

	load("v2_pass", &p);
	p.b[15] ^= 1;
	p.b[19] ^= 1;
	assert_int_equal(decode(&p, &a), VRRP_OK);

	/* Encoding: v3's checksum moves with the addresses, v2's not. */
	load("v3", &p);
	assert_int_equal(decode(&p, &a), VRRP_OK);
	assert_int_equal(vrrp_encode(&a, b1, sizeof(b1)), 16);
	a.saddr = ip("198.18.10.2");
	assert_int_equal(vrrp_encode(&a, b2, sizeof(b2)), 16);
	assert_memory_not_equal(b1 + 6, b2 + 6, 2);
	assert_memory_equal(b1 + 8, b2 + 8, 8);
	load("v2_pass", &p);
	assert_int_equal(decode(&p, &a), VRRP_OK);
	assert_int_equal(vrrp_encode(&a, b1, sizeof(b1)), 24);
	a.saddr = ip("198.18.10.2");
	a.daddr = ip("198.18.10.3");
	assert_int_equal(vrrp_encode(&a, b2, sizeof(b2)), 24);
	assert_memory_equal(b1, b2, 24);
}

static void version_and_type(void **state)
{
	struct vrrp_advert a;
	struct pkt p, q;

	load("v2_pass", &p);
	q = p;
	q.b[IPH] = 0x41;
	fix_csum(&q);
	assert_int_equal(decode(&q, &a), VRRP_DROP_VERSION);
	q.b[IPH] = 0x11;
	assert_int_equal(decode(&q, &a), VRRP_DROP_VERSION);
	q = p;
	q.b[IPH] = 0x22;
	fix_csum(&q);
	assert_int_equal(decode(&q, &a), VRRP_DROP_TYPE);
	q.b[IPH] = 0x20;
	fix_csum(&q);
	assert_int_equal(decode(&q, &a), VRRP_DROP_TYPE);
	/* A v2 message read as v3 (no auth data): a length error. */
	q = p;
	q.b[IPH] = 0x31;
	assert_int_equal(decode(&q, &a), VRRP_DROP_LENGTH);
}

/* Cut short anywhere, or the header lying about the length: never read
 * past len (ASan watches a buffer of exactly that size). */
static void truncated(void **state)
{
	static const char *const names[] = {"v2_pass", "v3", "v3_half_prio0"};
	struct vrrp_advert a;
	struct pkt p;
	size_t i, n;

	for (i = 0; i < 3; i++) {
		load(names[i], &p);
		for (n = 0; n < p.len; n++) {
			uint8_t *cut = malloc(n ? n : 1);

			memcpy(cut, p.b, n);
			assert_int_equal(vrrp_decode(cut, n, &a),
					 VRRP_DROP_LENGTH);
			if (n >= 4) {
				/* even with the IP length agreeing */
				cut[2] = (uint8_t)(n >> 8);
				cut[3] = (uint8_t)n;
				assert_int_equal(vrrp_decode(cut, n, &a),
						 VRRP_DROP_LENGTH);
			}
			free(cut);
		}
	}
}

static void counts(void **state)
{
	struct vrrp_advert a;
	struct pkt p, q;

	load("v2_pass", &p);
	q = p;
	q.b[IPH + 3] = 3; /* one address more than the packet holds */
	assert_int_equal(decode(&q, &a), VRRP_DROP_LENGTH);
	q.b[IPH + 3] = 255;
	assert_int_equal(decode(&q, &a), VRRP_DROP_LENGTH);
	q.b[IPH + 3] = 1; /* one fewer: too long */
	assert_int_equal(decode(&q, &a), VRRP_DROP_LENGTH);
	/* trailing bytes, even counted in the IP length */
	q = p;
	q.b[q.len++] = 0;
	assert_int_equal(decode(&q, &a), VRRP_DROP_LENGTH);
	set_tot_len(&q, q.len);
	assert_int_equal(decode(&q, &a), VRRP_DROP_LENGTH);
}

/* 255 addresses, the most a count holds, both versions. */
static void max_addrs(void **state)
{
	struct vrrp_advert a = {.vrid = 1, .priority = 7, .interval_cs = 300};
	struct vrrp_advert b;
	struct pkt p;
	int i, n;

	for (i = 0; i < VRRP_MAX_ADDRS; i++)
		a.addrs[i] = htonl(0xc6120000 + (uint32_t)i);
	a.naddrs = VRRP_MAX_ADDRS;
	a.saddr = ip("198.18.0.1");
	a.daddr = htonl(VRRP_GROUP);
	a.ttl = 255;
	for (a.version = 2; a.version <= 3; a.version++) {
		memset(p.b, 0, IPH);
		p.b[0] = 0x45;
		p.b[8] = 255;
		p.b[9] = 112;
		memcpy(p.b + 12, &a.saddr, 4);
		memcpy(p.b + 16, &a.daddr, 4);
		n = vrrp_encode(&a, p.b + IPH, sizeof(p.b) - IPH);
		assert_int_equal(n, 8 + 4 * 255 + (a.version == 2 ? 8 : 0));
		p.len = IPH + (size_t)n;
		set_tot_len(&p, p.len);
		assert_int_equal(decode(&p, &b), VRRP_OK);
		assert_advert_equal(&a, &b);
	}
}

/* v3's top 4 interval bits are reserved: ignored, as keepalived does. */
static void v3_reserved_bits(void **state)
{
	struct vrrp_advert a;
	struct pkt p;

	load("v3_half", &p);
	p.b[IPH + 4] |= 0xf0;
	fix_csum(&p);
	assert_int_equal(decode(&p, &a), VRRP_OK);
	assert_int_equal(a.interval_cs, 50);
}

static const __be32 *vips(void)
{
	static __be32 v[2];

	v[0] = ip("198.18.10.100");
	v[1] = ip("198.18.10.101");
	return v;
}

static struct vrrp_expect expect_v2(void)
{
	struct vrrp_expect e = {.version = 2,
				.vrid = 50,
				.interval_cs = 100,
				.auth_pass = "1111",
				.naddrs = 2,
				.addrs = vips()};
	return e;
}

static void match_v2(void **state)
{
	struct vrrp_expect e = expect_v2();
	struct vrrp_advert a;
	__be32 other[3];
	struct pkt p;

	load("v2_pass", &p);
	assert_int_equal(decode(&p, &a), VRRP_OK);
	assert_int_equal(vrrp_match(&a, &e), VRRP_OK);

	e.vrid = 51;
	assert_int_equal(vrrp_match(&a, &e), VRRP_DROP_VRID);
	e = expect_v2();
	e.version = 3;
	assert_int_equal(vrrp_match(&a, &e), VRRP_DROP_VERSION);

	/* the password: another, a prefix, longer, none */
	e = expect_v2();
	strcpy(e.auth_pass, "1112");
	assert_int_equal(vrrp_match(&a, &e), VRRP_DROP_AUTH);
	strcpy(e.auth_pass, "111");
	assert_int_equal(vrrp_match(&a, &e), VRRP_DROP_AUTH);
	strcpy(e.auth_pass, "11111");
	assert_int_equal(vrrp_match(&a, &e), VRRP_DROP_AUTH);
	strcpy(e.auth_pass, "");
	assert_int_equal(vrrp_match(&a, &e), VRRP_DROP_AUTH);
	/* garbage after the terminating NUL of ours is not compared */
	strcpy(e.auth_pass, "1111");
	e.auth_pass[6] = 'x';
	assert_int_equal(vrrp_match(&a, &e), VRRP_OK);

	e = expect_v2();
	e.interval_cs = 200;
	assert_int_equal(vrrp_match(&a, &e), VRRP_DROP_INTERVAL);

	/* the destination: the group for a multicast instance, our own
	 * address for one with unicast peers; as keepalived, after the
	 * password and the interval, before the VIPs */
	e = expect_v2();
	e.unicast = true;
	e.saddr = ip("198.18.10.2");
	assert_int_equal(vrrp_match(&a, &e), VRRP_DROP_DEST);
	a.daddr = ip("239.1.2.3");
	assert_int_equal(vrrp_match(&a, &e), VRRP_DROP_DEST);
	a.daddr = ip("198.18.10.3");
	assert_int_equal(vrrp_match(&a, &e), VRRP_DROP_DEST);
	a.daddr = ip("198.18.10.2");
	assert_int_equal(vrrp_match(&a, &e), VRRP_OK);
	strcpy(e.auth_pass, "1112");
	assert_int_equal(vrrp_match(&a, &e), VRRP_DROP_AUTH);
	e = expect_v2();
	assert_int_equal(vrrp_match(&a, &e), VRRP_DROP_DEST);
	e.naddrs = 1;
	assert_int_equal(vrrp_match(&a, &e), VRRP_DROP_DEST);
	a.daddr = ip("224.0.0.18");
	assert_int_equal(vrrp_match(&a, &e), VRRP_DROP_ADDRESSES);

	/* addresses: in another order, one other, fewer, more */
	e = expect_v2();
	other[0] = vips()[1];
	other[1] = vips()[0];
	e.addrs = other;
	assert_int_equal(vrrp_match(&a, &e), VRRP_OK);
	other[1] = ip("198.18.10.102");
	assert_int_equal(vrrp_match(&a, &e), VRRP_DROP_ADDRESSES);
	e.addrs = vips();
	e.naddrs = 1;
	assert_int_equal(vrrp_match(&a, &e), VRRP_DROP_ADDRESSES);
	other[0] = vips()[0];
	other[1] = vips()[1];
	other[2] = ip("198.18.10.102");
	e.addrs = other;
	e.naddrs = 3;
	assert_int_equal(vrrp_match(&a, &e), VRRP_DROP_ADDRESSES);
	/* a count that agrees but one address twice */
	a.addrs[1] = a.addrs[0];
	e = expect_v2();
	assert_int_equal(vrrp_match(&a, &e), VRRP_DROP_ADDRESSES);
}

/* No authentication on one side, PASS on the other: auth. */
static void match_v2_noauth(void **state)
{
	struct vrrp_expect e = expect_v2();
	struct vrrp_advert a;
	struct pkt p;

	load("v2_noauth", &p);
	assert_int_equal(decode(&p, &a), VRRP_OK);
	assert_int_equal(vrrp_match(&a, &e), VRRP_DROP_AUTH);
	e.auth_pass[0] = '\0';
	assert_int_equal(vrrp_match(&a, &e), VRRP_OK);
	/* no authentication: the 8 bytes are not looked at */
	memcpy(p.b + p.len - 8, "junk", 4);
	fix_csum(&p);
	assert_int_equal(decode(&p, &a), VRRP_OK);
	assert_int_equal(vrrp_match(&a, &e), VRRP_OK);
}

/* keepalived compares the 8 bytes: "1111" then junk is not "1111". */
static void match_v2_pass_padding(void **state)
{
	struct vrrp_expect e = expect_v2();
	struct vrrp_advert a;
	struct pkt p;

	load("v2_pass", &p);
	p.b[p.len - 1] = 'x';
	fix_csum(&p);
	assert_int_equal(decode(&p, &a), VRRP_OK);
	assert_string_equal(a.auth_pass, "1111");
	assert_int_equal(vrrp_match(&a, &e), VRRP_DROP_AUTH);
	/* and a type other than PASS with the right bytes */
	load("v2_pass", &p);
	p.b[IPH + 4] = 2;
	fix_csum(&p);
	assert_int_equal(decode(&p, &a), VRRP_OK);
	assert_int_equal(vrrp_match(&a, &e), VRRP_DROP_AUTH);
}

static void match_v3(void **state)
{
	struct vrrp_expect e = expect_v2();
	struct vrrp_advert a;
	struct pkt p;

	load("v3_half", &p);
	assert_int_equal(decode(&p, &a), VRRP_OK);
	e.version = 3;
	/* v3: the interval is adopted, a password ignored */
	assert_int_equal(vrrp_match(&a, &e), VRRP_OK);
	e.auth_pass[0] = '\0';
	assert_int_equal(vrrp_match(&a, &e), VRRP_OK);
	e.vrid = 49;
	assert_int_equal(vrrp_match(&a, &e), VRRP_DROP_VRID);
	e.vrid = 50;
	e.naddrs = 1;
	assert_int_equal(vrrp_match(&a, &e), VRRP_DROP_ADDRESSES);
	e.version = 2;
	assert_int_equal(vrrp_match(&a, &e), VRRP_DROP_VERSION);
	/* another router's, of another version: its VRID says it is none
	 * of ours (a drop that is not logged) */
	e.vrid = 49;
	assert_int_equal(vrrp_match(&a, &e), VRRP_DROP_VRID);
}

/*
 * keepalived before 1.3.7 summed a v3 unicast advert's pseudo-header over
 * 224.0.0.18: taken and flagged (keepalived's checksum compatibility),
 * and encoded so when asked; never for a multicast destination.
 */
static void v3_unicast_csum_group(void **state)
{
	struct vrrp_advert a, b;
	struct pkt p;

	load("v3", &p);
	assert_int_equal(decode(&p, &a), VRRP_OK);
	assert_true(a.csum_daddr && !a.csum_group);
	a.daddr = ip("198.18.10.3");
	memcpy(p.b + 16, &a.daddr, 4);
	assert_int_equal(decode(&p, &b), VRRP_OK); /* the group's sum */
	assert_true(b.csum_group && !b.csum_daddr);
	assert_int_equal(vrrp_encode(&a, p.b + IPH, sizeof(p.b) - IPH), 16);
	assert_int_equal(decode(&p, &b), VRRP_OK); /* the peer's sum */
	assert_true(b.csum_daddr && !b.csum_group);
	a.csum_group = true;
	assert_int_equal(vrrp_encode(&a, p.b + IPH, sizeof(p.b) - IPH), 16);
	assert_int_equal(decode(&p, &b), VRRP_OK);
	assert_true(b.csum_group && !b.csum_daddr);
	/* a peer's address whose 16-bit halves sum as 224.0.0.18's: both */
	a.daddr = ip("223.255.0.19");
	memcpy(p.b + 16, &a.daddr, 4);
	assert_int_equal(decode(&p, &b), VRRP_OK);
	assert_true(b.csum_group && b.csum_daddr);
	a.daddr = ip("198.18.10.3");
	memcpy(p.b + 16, &a.daddr, 4);
	p.b[IPH + 2] ^= 1; /* the priority: neither sum holds */
	assert_int_equal(decode(&p, &b), VRRP_DROP_CHECKSUM);

	/* to another multicast group: its own sum only */
	a.daddr = ip("224.0.0.19");
	memcpy(p.b + 16, &a.daddr, 4);
	assert_int_equal(vrrp_encode(&a, p.b + IPH, sizeof(p.b) - IPH), 16);
	assert_int_equal(decode(&p, &b), VRRP_DROP_CHECKSUM);
}

/*
 * old_unicast_checksum never: a unicast instance drops v3 adverts to it
 * summed over 224.0.0.18. Every other mode takes both sums (AUTO: the
 * daemon sums its own over the group from then on), and v2 ones, and
 * those to the group, are summed over it anyway.
 */
static void match_csum_modes(void **state)
{
	struct vrrp_expect e = expect_v2();
	struct vrrp_advert a, sent;
	struct pkt p;

	load("v3", &p);
	assert_int_equal(decode(&p, &sent), VRRP_OK);
	e.version = 3;
	e.auth_pass[0] = '\0';
	for (e.csum = VRRP_CSUM_AUTO; e.csum <= VRRP_CSUM_OLD; e.csum++)
		assert_int_equal(vrrp_match(&sent, &e), VRRP_OK);
	e.unicast = true;
	e.saddr = sent.daddr = ip("198.18.10.3");
	memcpy(p.b + 16, &sent.daddr, 4);
	/* the new sum (over the peer's address) */
	assert_int_equal(vrrp_encode(&sent, p.b + IPH, sizeof(p.b) - IPH), 16);
	assert_int_equal(decode(&p, &a), VRRP_OK);
	for (e.csum = VRRP_CSUM_AUTO; e.csum <= VRRP_CSUM_OLD; e.csum++)
		assert_int_equal(vrrp_match(&a, &e), VRRP_OK);
	/* the old one */
	sent.csum_group = true;
	assert_int_equal(vrrp_encode(&sent, p.b + IPH, sizeof(p.b) - IPH), 16);
	assert_int_equal(decode(&p, &a), VRRP_OK);
	e.csum = VRRP_CSUM_AUTO;
	assert_int_equal(vrrp_match(&a, &e), VRRP_OK);
	e.csum = VRRP_CSUM_OLD;
	assert_int_equal(vrrp_match(&a, &e), VRRP_OK);
	e.csum = VRRP_CSUM_NEVER;
	assert_int_equal(vrrp_match(&a, &e), VRRP_DROP_CHECKSUM);
	/* another destination: that, whatever the sum */
	e.saddr = ip("198.18.10.4");
	assert_int_equal(vrrp_match(&a, &e), VRRP_DROP_DEST);

	/* v2 sums no pseudo-header: no mode drops a unicast one */
	load("v2_pass", &p);
	memcpy(p.b + 16, &e.saddr, 4);
	assert_int_equal(decode(&p, &a), VRRP_OK);
	e = expect_v2();
	e.unicast = true;
	e.saddr = a.daddr;
	for (e.csum = VRRP_CSUM_AUTO; e.csum <= VRRP_CSUM_OLD; e.csum++)
		assert_int_equal(vrrp_match(&a, &e), VRRP_OK);
}

static void encode_errors(void **state)
{
	struct vrrp_advert a = {.version = 2, .vrid = 1, .interval_cs = 100};
	uint8_t buf[64];

	assert_int_equal(vrrp_encode(&a, buf, 16), 16);
	assert_int_equal(vrrp_encode(&a, buf, 15), -ENOSPC);
	a.interval_cs = 150; /* v2: whole seconds */
	assert_int_equal(vrrp_encode(&a, buf, sizeof(buf)), -EINVAL);
	a.interval_cs = 25600;
	assert_int_equal(vrrp_encode(&a, buf, sizeof(buf)), -EINVAL);
	a.interval_cs = 25500;
	assert_int_equal(vrrp_encode(&a, buf, sizeof(buf)), 16);
	assert_int_equal(buf[5], 255);
	a.version = 3;
	a.interval_cs = 0x1000;
	assert_int_equal(vrrp_encode(&a, buf, sizeof(buf)), -EINVAL);
	a.interval_cs = 0xfff;
	assert_int_equal(vrrp_encode(&a, buf, 8), 8);
	assert_int_equal(buf[4], 0x0f);
	assert_int_equal(buf[5], 0xff);
	assert_int_equal(vrrp_encode(&a, buf, 7), -ENOSPC);
	a.version = 4;
	assert_int_equal(vrrp_encode(&a, buf, sizeof(buf)), -EINVAL);
	a.version = 1;
	assert_int_equal(vrrp_encode(&a, buf, sizeof(buf)), -EINVAL);
	a.version = 3;
	a.naddrs = -1;
	assert_int_equal(vrrp_encode(&a, buf, sizeof(buf)), -EINVAL);
	a.naddrs = VRRP_MAX_ADDRS + 1;
	assert_int_equal(vrrp_encode(&a, buf, sizeof(buf)), -EINVAL);
}

static void drop_names(void **state)
{
	int i, j;

	for (i = 0; i < VRRP_DROP__MAX; i++) {
		assert_non_null(vrrp_drop_name(i));
		assert_string_not_equal(vrrp_drop_name(i), "unknown");
		for (j = 0; j < i; j++)
			assert_string_not_equal(vrrp_drop_name(i),
						vrrp_drop_name(j));
	}
	assert_string_equal(vrrp_drop_name(VRRP_DROP_TTL), "ttl");
	assert_string_equal(vrrp_drop_name(VRRP_DROP_CHECKSUM), "checksum");
	assert_string_equal(vrrp_drop_name(VRRP_DROP_ADDRESSES), "addresses");
	assert_string_equal(vrrp_drop_name(VRRP_DROP__MAX), "unknown");
	assert_string_equal(vrrp_drop_name((enum vrrp_drop) - 1), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(captures_decode),
		cmocka_unit_test(captures_encode),
		cmocka_unit_test(bad_ip_header),
		cmocka_unit_test(ip_options),
		cmocka_unit_test(ttl),
		cmocka_unit_test(checksum),
		cmocka_unit_test(v3_unicast_csum_group),
		cmocka_unit_test(match_csum_modes),
		cmocka_unit_test(v3_pseudo_header),
		cmocka_unit_test(version_and_type),
		cmocka_unit_test(truncated),
		cmocka_unit_test(counts),
		cmocka_unit_test(max_addrs),
		cmocka_unit_test(v3_reserved_bits),
		cmocka_unit_test(match_v2),
		cmocka_unit_test(match_v2_noauth),
		cmocka_unit_test(match_v2_pass_padding),
		cmocka_unit_test(match_v3),
		cmocka_unit_test(encode_errors),
		cmocka_unit_test(drop_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
