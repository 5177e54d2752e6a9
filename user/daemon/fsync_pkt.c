// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "fsync_pkt.h"

static const char *const drop_names[FSYNC_DROP__MAX] = {
	[FSYNC_OK] = "ok",
	[FSYNC_DROP_LENGTH] = "length",
	[FSYNC_DROP_MAGIC] = "magic",
	[FSYNC_DROP_VERSION] = "version",
	[FSYNC_DROP_SYNCID] = "syncid",
	[FSYNC_DROP_COUNT] = "count",
	[FSYNC_DROP_HMAC] = "hmac",
	[FSYNC_DROP_ENTRY] = "entry",
};

const char *fsync_drop_name(enum fsync_drop r)
{
	return (unsigned int)r < FSYNC_DROP__MAX ? drop_names[r] : NULL;
}

int fsync_key_load(const char *path, struct fsync_key *k)
{
	uint8_t buf[FSYNC_KEY_MAX + 2];
	struct stat st;
	ssize_t n;
	int fd, err = 0;

	memset(k, 0, sizeof(*k));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto cleanup;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		err = -EACCES;
		goto cleanup;
	}
	/* Another user's file: whoever owns it may have shared it. */
	if (st.st_uid != geteuid()) {
		err = -EPERM;
		goto cleanup;
	}
	n = read(fd, buf, sizeof(buf));
	if (n < 0) {
		err = -errno;
		goto cleanup;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
			 buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	if (n < FSYNC_KEY_MIN || n > FSYNC_KEY_MAX) {
		err = -EINVAL;
		goto cleanup;
	}
	memcpy(k->b, buf, (size_t)n);
	k->len = (size_t)n;
cleanup:
	OPENSSL_cleanse(buf, sizeof(buf));
	close(fd);
	return err;
}

static int mac(const struct fsync_key *k, const uint8_t *d, size_t n,
	       uint8_t out[FSYNC_MAC_LEN])
{
	unsigned int len = 0;

	if (!HMAC(EVP_sha256(), k->b, (int)k->len, d, n, out, &len) ||
	    len != FSYNC_MAC_LEN)
		return -EIO;
	return 0;
}

/* An address of @family: IPv4 in the first word, the rest zero. */
static int addr_ok(const __be32 a[4], uint8_t family)
{
	return family == LBXDP_AF_INET6 || (!a[1] && !a[2] && !a[3]);
}

static int entry_ok(const struct lbxdp_sync_entry *e)
{
	uint8_t fam = e->vip.family;

	return (fam == LBXDP_AF_INET || fam == LBXDP_AF_INET6) &&
	       (e->vip.proto == IPPROTO_TCP || e->vip.proto == IPPROTO_UDP) &&
	       e->kind &&
	       !(e->kind & ~(LBXDP_SYNC_FLOW | LBXDP_SYNC_PERSIST)) &&
	       addr_ok(e->vip.addr, fam) && addr_ok(e->client, fam) &&
	       addr_ok(e->backend, fam);
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

/* Entries, or none in a control datagram. */
static bool count_ok(int count, uint8_t flags)
{
	if (flags & FSYNC_F_CTL)
		return count == 0;
	return count >= 1 && count <= FSYNC_MAX_ENTRIES;
}

/* Header and payload, the HMAC's input: entries, or a control's nonce. */
static size_t body_len(int count, uint8_t flags)
{
	return FSYNC_HDR_LEN + (size_t)count * FSYNC_ENTRY_LEN +
	       (flags & FSYNC_F_CTL ? FSYNC_CTL_LEN : 0);
}

int fsync_encode(const struct fsync_batch *b, const struct fsync_key *k,
		 uint8_t *buf, size_t len)
{
	size_t need, off;
	int i;

	if (!count_ok(b->count, b->flags) || k->len < FSYNC_KEY_MIN ||
	    k->len > FSYNC_KEY_MAX)
		return -EINVAL;
	for (i = 0; i < b->count; i++)
		if (!entry_ok(&b->e[i]))
			return -EINVAL;
	need = body_len(b->count, b->flags) + FSYNC_MAC_LEN;
	if (len < need)
		return -ENOSPC;
	memset(buf, 0, need);
	put32(buf, FSYNC_MAGIC);
	buf[4] = FSYNC_VERSION;
	buf[5] = (uint8_t)b->count;
	buf[6] = b->syncid;
	buf[7] = b->flags;
	put32(buf + 8, (uint32_t)(b->seq >> 32));
	put32(buf + 12, (uint32_t)b->seq);
	for (i = 0, off = FSYNC_HDR_LEN; i < b->count;
	     i++, off += FSYNC_ENTRY_LEN) {
		const struct lbxdp_sync_entry *e = &b->e[i];
		uint8_t *p = buf + off;

		p[0] = e->vip.family;
		p[1] = e->vip.proto;
		p[2] = e->kind;
		memcpy(p + 4, &e->vip.port, 2);
		memcpy(p + 6, &e->sport, 2);
		memcpy(p + 8, &e->dport, 2);
		put32(p + 12, e->age_ms);
		memcpy(p + 16, e->vip.addr, 16);
		memcpy(p + 32, e->client, 16);
		memcpy(p + 48, e->backend, 16);
	}
	if (b->flags & FSYNC_F_CTL) {
		put32(buf + off, (uint32_t)(b->nonce >> 32));
		put32(buf + off + 4, (uint32_t)b->nonce);
		off += FSYNC_CTL_LEN;
	}
	if (mac(k, buf, off, buf + off))
		return -EIO;
	return (int)need;
}

enum fsync_drop fsync_decode(const uint8_t *pkt, size_t len, uint8_t syncid,
			     const struct fsync_key *k, struct fsync_batch *b)
{
	uint8_t want[FSYNC_MAC_LEN];
	size_t body, off;
	int i;

	if (len < FSYNC_HDR_LEN + FSYNC_MAC_LEN)
		return FSYNC_DROP_LENGTH;
	if (get32(pkt) != FSYNC_MAGIC)
		return FSYNC_DROP_MAGIC;
	if (pkt[4] != FSYNC_VERSION)
		return FSYNC_DROP_VERSION;
	if (pkt[6] != syncid)
		return FSYNC_DROP_SYNCID;
	if (!count_ok(pkt[5], pkt[7]))
		return FSYNC_DROP_COUNT;
	body = body_len(pkt[5], pkt[7]);
	if (len != body + FSYNC_MAC_LEN)
		return FSYNC_DROP_LENGTH;
	if (k->len < FSYNC_KEY_MIN || k->len > FSYNC_KEY_MAX ||
	    mac(k, pkt, body, want) ||
	    CRYPTO_memcmp(want, pkt + body, FSYNC_MAC_LEN))
		return FSYNC_DROP_HMAC;

	memset(b, 0, sizeof(*b));
	b->syncid = pkt[6];
	b->flags = pkt[7];
	b->count = pkt[5];
	b->seq = (uint64_t)get32(pkt + 8) << 32 | get32(pkt + 12);
	if (b->flags & FSYNC_F_CTL)
		b->nonce = (uint64_t)get32(pkt + FSYNC_HDR_LEN) << 32 |
			   get32(pkt + FSYNC_HDR_LEN + 4);
	for (i = 0, off = FSYNC_HDR_LEN; i < b->count;
	     i++, off += FSYNC_ENTRY_LEN) {
		struct lbxdp_sync_entry *e = &b->e[i];
		const uint8_t *p = pkt + off;

		e->vip.family = p[0];
		e->vip.proto = p[1];
		e->kind = p[2];
		memcpy(&e->vip.port, p + 4, 2);
		memcpy(&e->sport, p + 6, 2);
		memcpy(&e->dport, p + 8, 2);
		e->age_ms = get32(p + 12);
		memcpy(e->vip.addr, p + 16, 16);
		memcpy(e->client, p + 32, 16);
		memcpy(e->backend, p + 48, 16);
		if (!entry_ok(e))
			return FSYNC_DROP_ENTRY;
	}
	return FSYNC_OK;
}

void fsync_age_in_flight(struct fsync_batch *b, uint64_t now_us)
{
	uint64_t flight_ms = now_us > b->seq ? (now_us - b->seq) / 1000 : 0;
	uint64_t age;
	int i;

	for (i = 0; i < b->count && i < FSYNC_MAX_ENTRIES; i++) {
		age = b->e[i].age_ms + flight_ms;
		b->e[i].age_ms = age > UINT32_MAX ? UINT32_MAX : (uint32_t)age;
	}
}
