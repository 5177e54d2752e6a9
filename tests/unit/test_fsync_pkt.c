// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Flow sync's wire format: a batch encodes to bytes computed apart from
 * the codec (Python's hmac, see the vector below), decodes back, and every
 * bad length, magic, version, syncid, count, HMAC and entry is refused,
 * reading nothing past the datagram.
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
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "daemon/fsync_pkt.h"

#define KEY "0123456789abcdef-lbxdp-test-key"

/*
 * python3: hmac.new(KEY, hdr + ent, hashlib.sha256), with hdr =
 * pack(">IBBBBQ", 0x4c424653, 2, 1, 7, 0, 0x0102030405060708) and one
 * entry: IPv4
 * TCP, kind 3, VIP 198.18.0.10:80, client 198.19.0.1:40001 to port 80,
 * age 1500 ms, backend 198.18.1.2.
 */
static const char vector_hex[] = "4c424653020107000102030405060708"
				 "0206030000509c4100500000000005dc"
				 "c612000a000000000000000000000000"
				 "c6130001000000000000000000000000"
				 "c6120102000000000000000000000000"
				 "baa632b5984a4ddc955462ebf1257e69"
				 "7b46918b4583d7d015870dc0d54986aa";

static void key_set(struct fsync_key *k, const char *s)
{
	memset(k, 0, sizeof(*k));
	k->len = strlen(s);
	memcpy(k->b, s, k->len);
}

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;
	unsigned int v;

	for (; h[0] && h[1]; h += 2) {
		assert_int_equal(sscanf(h, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static void entry(struct lbxdp_sync_entry *e, int i)
{
	memset(e, 0, sizeof(*e));
	e->vip.family = LBXDP_AF_INET;
	e->vip.proto = IPPROTO_TCP;
	e->vip.port = htons(80);
	e->vip.addr[0] = htonl(0xc612000a); /* 198.18.0.10 */
	e->client[0] = htonl(0xc6130001 + (uint32_t)i);
	e->sport = htons((uint16_t)(40001 + i));
	e->dport = htons(80);
	e->backend[0] = htonl(0xc6120102); /* 198.18.1.2 */
	e->kind = LBXDP_SYNC_FLOW | LBXDP_SYNC_PERSIST;
	e->age_ms = 1500;
}

static void batch(struct fsync_batch *b, int n)
{
	int i;

	memset(b, 0, sizeof(*b));
	b->syncid = 7;
	b->seq = 0x0102030405060708ULL;
	b->count = n;
	for (i = 0; i < n; i++)
		entry(&b->e[i], i);
}

/* Recompute the HMAC of @p (@len bytes) after an edit, as a sender with
 * the key would: what is checked after the HMAC is reached. */
static void resign(uint8_t *p, size_t len, const struct fsync_key *k)
{
	unsigned int ml = 0;

	assert_true(len >= FSYNC_HDR_LEN + FSYNC_MAC_LEN);
	assert_non_null(HMAC(EVP_sha256(), k->b, (int)k->len, p,
			     len - FSYNC_MAC_LEN, p + len - FSYNC_MAC_LEN,
			     &ml));
	assert_int_equal(ml, FSYNC_MAC_LEN);
}

static void test_vector(void **state)
{
	uint8_t want[256], got[FSYNC_MAX_LEN];
	struct fsync_batch b, d;
	struct fsync_key k;
	size_t n;
	int len;

	(void)state;
	key_set(&k, KEY);
	n = unhex(vector_hex, want);
	assert_int_equal(n, FSYNC_HDR_LEN + FSYNC_ENTRY_LEN + FSYNC_MAC_LEN);
	batch(&b, 1);
	len = fsync_encode(&b, &k, got, sizeof(got));
	assert_int_equal(len, (int)n);
	assert_memory_equal(got, want, n);
	assert_int_equal(fsync_decode(want, n, 7, &k, &d), FSYNC_OK);
	assert_int_equal(d.count, 1);
	assert_int_equal(d.seq, 0x0102030405060708ULL);
	assert_int_equal(d.syncid, 7);
	assert_int_equal(d.flags, 0);
	assert_memory_equal(&d.e[0], &b.e[0], sizeof(b.e[0]));
	/* The flags byte, signed as the rest; 0 in the vector. */
	b.flags = FSYNC_F_HANDOVER;
	len = fsync_encode(&b, &k, got, sizeof(got));
	assert_int_equal(len, (int)n);
	assert_int_equal(got[7], FSYNC_F_HANDOVER);
	assert_int_equal(fsync_decode(got, n, 7, &k, &d), FSYNC_OK);
	assert_int_equal(d.flags, FSYNC_F_HANDOVER);
	got[7] = 0;
	assert_int_equal(fsync_decode(got, n, 7, &k, &d), FSYNC_DROP_HMAC);
}

/* A join and its answer's end carry no entry but a nonce, and only they
 * may. */
static void test_control(void **state)
{
	static const uint8_t ctl[] = {FSYNC_F_JOIN, FSYNC_F_JOINED};
	uint8_t got[FSYNC_MAX_LEN];
	struct fsync_batch b, d;
	struct fsync_key k;
	size_t i;
	int len;

	(void)state;
	key_set(&k, KEY);
	for (i = 0; i < sizeof(ctl); i++) {
		batch(&b, 0);
		b.flags = ctl[i];
		b.nonce = 0x0123456789abcdefULL + i;
		len = fsync_encode(&b, &k, got, sizeof(got));
		assert_int_equal(len,
				 FSYNC_HDR_LEN + FSYNC_CTL_LEN + FSYNC_MAC_LEN);
		assert_int_equal(got[5], 0);
		assert_int_equal(got[FSYNC_HDR_LEN], 0x01); /* big-endian */
		assert_int_equal(fsync_decode(got, (size_t)len, 7, &k, &d),
				 FSYNC_OK);
		assert_int_equal(d.flags, ctl[i]);
		assert_int_equal(d.count, 0);
		assert_int_equal(d.seq, b.seq);
		assert_true(d.nonce == b.nonce);
		/* Its nonce is signed; one of the length before it (no
		 * payload) is refused. */
		got[FSYNC_HDR_LEN + 7] ^= 1;
		assert_int_equal(fsync_decode(got, (size_t)len, 7, &k, &d),
				 FSYNC_DROP_HMAC);
		got[FSYNC_HDR_LEN + 7] ^= 1;
		assert_int_equal(fsync_decode(got, (size_t)len - FSYNC_CTL_LEN,
					      7, &k, &d),
				 FSYNC_DROP_LENGTH);
		/* One with an entry is neither a batch nor a control. */
		batch(&b, 1);
		b.flags = ctl[i];
		assert_int_equal(fsync_encode(&b, &k, got, sizeof(got)),
				 -EINVAL);
		len = fsync_encode(&(struct fsync_batch){0}, &k, got,
				   sizeof(got));
		assert_int_equal(len, -EINVAL); /* no entry, no control */
		b.flags = 0;
		len = fsync_encode(&b, &k, got, sizeof(got));
		assert_true(len > 0);
		got[7] = ctl[i];
		resign(got, (size_t)len, &k);
		assert_int_equal(fsync_decode(got, (size_t)len, 7, &k, &d),
				 FSYNC_DROP_COUNT);
	}
}

static void test_round_trip_max(void **state)
{
	uint8_t buf[FSYNC_MAX_LEN];
	struct fsync_batch b, d;
	struct fsync_key k;
	int len;

	(void)state;
	key_set(&k, KEY);
	batch(&b, FSYNC_MAX_ENTRIES);
	b.e[3].kind = LBXDP_SYNC_PERSIST;
	b.e[4].vip.proto = IPPROTO_UDP;
	b.e[4].vip.port = 0;
	b.e[4].dport = htons(5353);
	len = fsync_encode(&b, &k, buf, sizeof(buf));
	assert_int_equal(len, FSYNC_MAX_LEN);
	assert_true(FSYNC_MAX_LEN + 28 <= 1500);
	assert_int_equal(fsync_decode(buf, (size_t)len, 7, &k, &d), FSYNC_OK);
	assert_int_equal(d.count, FSYNC_MAX_ENTRIES);
	assert_memory_equal(d.e, b.e, sizeof(b.e));
	/* No room: refused, nothing claimed written. */
	assert_int_equal(fsync_encode(&b, &k, buf, FSYNC_MAX_LEN - 1), -ENOSPC);
}

static void test_encode_refuses(void **state)
{
	uint8_t buf[FSYNC_MAX_LEN];
	struct fsync_batch b;
	struct fsync_key k, shortk;

	(void)state;
	key_set(&k, KEY);
	key_set(&shortk, "0123456789abcde");
	batch(&b, 0);
	assert_int_equal(fsync_encode(&b, &k, buf, sizeof(buf)), -EINVAL);
	batch(&b, FSYNC_MAX_ENTRIES);
	b.count = FSYNC_MAX_ENTRIES + 1;
	assert_int_equal(fsync_encode(&b, &k, buf, sizeof(buf)), -EINVAL);
	batch(&b, 1);
	assert_int_equal(fsync_encode(&b, &shortk, buf, sizeof(buf)), -EINVAL);
	b.e[0].kind = 0;
	assert_int_equal(fsync_encode(&b, &k, buf, sizeof(buf)), -EINVAL);
}

/* Every length but the right one, each in a buffer of exactly that size
 * (ASan: any read past it is caught). */
static void test_lengths(void **state)
{
	uint8_t good[FSYNC_MAX_LEN + 1];
	struct fsync_batch b, d;
	struct fsync_key k;
	size_t n;
	int len;

	(void)state;
	key_set(&k, KEY);
	batch(&b, 3);
	len = fsync_encode(&b, &k, good, sizeof(good));
	assert_true(len > 0);
	for (n = 0; n <= (size_t)len + 1; n++) {
		uint8_t *p = malloc(n ? n : 1);
		enum fsync_drop r;

		assert_non_null(p);
		memcpy(p, good, n <= (size_t)len ? n : (size_t)len);
		if (n > (size_t)len)
			p[n - 1] = 0;
		r = fsync_decode(p, n, 7, &k, &d);
		free(p);
		if (n == (size_t)len)
			assert_int_equal(r, FSYNC_OK);
		else
			assert_int_equal(r, FSYNC_DROP_LENGTH);
	}
}

static void test_header_refused(void **state)
{
	uint8_t p[FSYNC_MAX_LEN];
	struct fsync_batch b, d;
	struct fsync_key k, other;
	int len;

	(void)state;
	key_set(&k, KEY);
	key_set(&other, KEY "!");
	batch(&b, 2);
	len = fsync_encode(&b, &k, p, sizeof(p));
	assert_true(len > 0);

	p[0] ^= 1;
	resign(p, (size_t)len, &k);
	assert_int_equal(fsync_decode(p, (size_t)len, 7, &k, &d),
			 FSYNC_DROP_MAGIC);
	p[0] ^= 1;
	p[4] = 1; /* the format of before the 64-bit sequence */
	resign(p, (size_t)len, &k);
	assert_int_equal(fsync_decode(p, (size_t)len, 7, &k, &d),
			 FSYNC_DROP_VERSION);
	p[4] = FSYNC_VERSION;
	resign(p, (size_t)len, &k);
	assert_int_equal(fsync_decode(p, (size_t)len, 8, &k, &d),
			 FSYNC_DROP_SYNCID);
	/* A count of 0, or past the most a batch holds, whatever the
	 * length; one that does not match the length. */
	p[5] = 0;
	assert_int_equal(fsync_decode(p, (size_t)len, 7, &k, &d),
			 FSYNC_DROP_COUNT);
	p[5] = FSYNC_MAX_ENTRIES + 1;
	assert_int_equal(fsync_decode(p, (size_t)len, 7, &k, &d),
			 FSYNC_DROP_COUNT);
	p[5] = 1;
	assert_int_equal(fsync_decode(p, (size_t)len, 7, &k, &d),
			 FSYNC_DROP_LENGTH);
	p[5] = 2;
	assert_int_equal(fsync_decode(p, (size_t)len, 7, &k, &d), FSYNC_OK);
	/* Another key; a byte of the body; a byte of the HMAC. */
	assert_int_equal(fsync_decode(p, (size_t)len, 7, &other, &d),
			 FSYNC_DROP_HMAC);
	p[FSYNC_HDR_LEN + 20] ^= 0x80;
	assert_int_equal(fsync_decode(p, (size_t)len, 7, &k, &d),
			 FSYNC_DROP_HMAC);
	p[FSYNC_HDR_LEN + 20] ^= 0x80;
	p[len - 1] ^= 1;
	assert_int_equal(fsync_decode(p, (size_t)len, 7, &k, &d),
			 FSYNC_DROP_HMAC);
	p[len - 1] ^= 1;
	p[15] ^= 1; /* the sequence is signed too */
	assert_int_equal(fsync_decode(p, (size_t)len, 7, &k, &d),
			 FSYNC_DROP_HMAC);
}

/* Entries a sender with the key could still get wrong. */
static void test_entry_refused(void **state)
{
	static const struct {
		size_t off;
		uint8_t val;
	} bad[] = {
		{0, 0},	     /* family */
		{0, 7},	     /* family */
		{1, 1},	     /* protocol ICMP */
		{2, 0},	     /* kind */
		{2, 4},	     /* kind: unknown bit */
		{20, 1},     /* IPv4 VIP with a second word */
		{36 + 4, 1}, /* IPv4 client with a third word */
		{63, 1},     /* IPv4 backend with a fourth word */
	};
	uint8_t good[FSYNC_MAX_LEN], p[FSYNC_MAX_LEN];
	struct fsync_batch b, d;
	struct fsync_key k;
	size_t i;
	int len;

	(void)state;
	key_set(&k, KEY);
	batch(&b, 2);
	len = fsync_encode(&b, &k, good, sizeof(good));
	assert_true(len > 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(p, good, (size_t)len);
		/* In the second entry: the first was good. */
		p[FSYNC_HDR_LEN + FSYNC_ENTRY_LEN + bad[i].off] = bad[i].val;
		resign(p, (size_t)len, &k);
		assert_int_equal(fsync_decode(p, (size_t)len, 7, &k, &d),
				 FSYNC_DROP_ENTRY);
	}
	/* IPv6 entries may use every word. */
	memcpy(p, good, (size_t)len);
	p[FSYNC_HDR_LEN] = LBXDP_AF_INET6;
	p[FSYNC_HDR_LEN + 20] = 1;
	resign(p, (size_t)len, &k);
	assert_int_equal(fsync_decode(p, (size_t)len, 7, &k, &d), FSYNC_OK);
}

static void write_key(const char *path, const char *s, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(s, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_key_load(void **state)
{
	char path[] = "/tmp/lbxdp-fsync-key.XXXXXX";
	struct fsync_key k;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_key(path, KEY "\n", 0600);
	assert_int_equal(fsync_key_load(path, &k), 0);
	assert_int_equal(k.len, strlen(KEY));
	assert_memory_equal(k.b, KEY, k.len);
	write_key(path, KEY "\n", 0640);
	assert_int_equal(fsync_key_load(path, &k), -EACCES);
	/* Another user's, mode 0600 or not (a chown needs root: make
	 * check runs as a user too). */
	write_key(path, KEY "\n", 0600);
	if (chown(path, geteuid() + 1, (gid_t)-1) == 0) {
		assert_int_equal(fsync_key_load(path, &k), -EPERM);
		assert_int_equal(chown(path, geteuid(), (gid_t)-1), 0);
	}
	write_key(path, "0123456789abcde\n", 0600);
	assert_int_equal(fsync_key_load(path, &k), -EINVAL);
	write_key(path,
		  "0123456789abcdef0123456789abcdef"
		  "0123456789abcdef0123456789abcdef!",
		  0600);
	assert_int_equal(fsync_key_load(path, &k), -EINVAL);
	unlink(path);
	assert_int_equal(fsync_key_load(path, &k), -ENOENT);
}

static void test_seq(void **state)
{
	const uint64_t now = 1796000000ULL * 1000000, s = 1000000;

	(void)state;
	assert_true(fsync_seq_fresh(2, 1, now));
	assert_false(fsync_seq_fresh(1, 1, now));
	assert_false(fsync_seq_fresh(1, 2, now));
	/* 64 bits of microseconds: no wrap to care about */
	assert_true(fsync_seq_fresh(0x100000000ULL, 0xffffffffU, now));
	assert_false(fsync_seq_fresh(0xffffffffU, 0x100000000ULL, now));
	/* The last within the skew of the receiver's clock bounds the next,
	 * in the past or ahead of it. */
	assert_false(fsync_seq_fresh(now - 10 * s, now - 5 * s, now));
	assert_false(fsync_seq_fresh(now - 10 * s, now + 59 * s, now));
	/* A last an hour ahead (a sender's clock, since stepped back): a
	 * sequence by the receiver's clock is taken... */
	assert_true(fsync_seq_fresh(now - 2 * s, now + 3600 * s, now));
	assert_true(fsync_seq_fresh(now + 60 * s, now + 3600 * s, now));
	assert_true(fsync_seq_fresh(now - 60 * s, now + 3600 * s, now));
	/* ...but not an old one (a replay) */
	assert_false(fsync_seq_fresh(now - 61 * s, now + 3600 * s, now));
	assert_false(fsync_seq_fresh(now - 3600 * s, now + 3600 * s, now));
	/* ...one still ahead of it, only after the last. */
	assert_false(fsync_seq_fresh(now + 61 * s, now + 3600 * s, now));
	assert_false(fsync_seq_fresh(now + 1800 * s, now + 3600 * s, now));
	assert_true(fsync_seq_fresh(now + 3601 * s, now + 3600 * s, now));
}

static void test_age_in_flight(void **state)
{
	struct fsync_batch b;

	(void)state;
	/* 2.5 s in flight, counted in whole ms, on every entry alone */
	batch(&b, 3);
	b.e[1].age_ms = 0;
	b.e[2].age_ms = UINT32_MAX - 2000;
	b.e[3].age_ms = 7; /* past count: not an entry */
	fsync_age_in_flight(&b, b.seq + 2500999);
	assert_int_equal(b.e[0].age_ms, 1500 + 2500);
	assert_int_equal(b.e[1].age_ms, 2500);
	assert_int_equal(b.e[2].age_ms, UINT32_MAX);
	assert_int_equal(b.e[3].age_ms, 7);
	/* the sender's clock ahead, or the same microsecond: as sent */
	batch(&b, 1);
	fsync_age_in_flight(&b, b.seq - 1000000);
	assert_int_equal(b.e[0].age_ms, 1500);
	fsync_age_in_flight(&b, b.seq);
	assert_int_equal(b.e[0].age_ms, 1500);
	/* a datagram of a day ago: its ages a day older */
	fsync_age_in_flight(&b, b.seq + 86400000000ULL);
	assert_int_equal(b.e[0].age_ms, 1500 + 86400000U);
}

static void test_names(void **state)
{
	int r;

	(void)state;
	for (r = 0; r < FSYNC_DROP__MAX; r++)
		assert_non_null(fsync_drop_name(r));
	assert_null(fsync_drop_name(FSYNC_DROP__MAX));
	assert_string_equal(fsync_drop_name(FSYNC_DROP_HMAC), "hmac");
}

/* A handover ends early only on an error that may last. */
static void test_err_lasting(void **state)
{
	(void)state;
	assert_false(fsync_err_lasting(EAGAIN));
	assert_false(fsync_err_lasting(EWOULDBLOCK));
	assert_false(fsync_err_lasting(ENOBUFS));
	assert_false(fsync_err_lasting(EINTR));
	assert_false(fsync_err_lasting(ENOMEM));
	assert_true(fsync_err_lasting(EPERM)); /* a firewall's drop */
	assert_true(fsync_err_lasting(ENETUNREACH));
	assert_true(fsync_err_lasting(ENETDOWN));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector),
		cmocka_unit_test(test_control),
		cmocka_unit_test(test_round_trip_max),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_header_refused),
		cmocka_unit_test(test_entry_refused),
		cmocka_unit_test(test_key_load),
		cmocka_unit_test(test_seq),
		cmocka_unit_test(test_age_in_flight),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_err_lasting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
