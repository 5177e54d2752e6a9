// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer on flow sync's decoder: each input is a datagram, decoded as
 * it is and with its HMAC made right under the fuzzer's key (so mutations
 * reach the entries). What decodes is encoded again and must decode to the
 * same batch.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "daemon/fsync_pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct fsync_key key = {
	.b = "0123456789abcdef-lbxdp-test-key",
	.len = 31,
};

static void one(const uint8_t *data, size_t size)
{
	static struct fsync_batch a, b;
	static uint8_t buf[FSYNC_MAX_LEN];
	uint8_t syncid = size > 6 ? data[6] : 0;
	enum fsync_drop r;
	int n;

	r = fsync_decode(data, size, syncid, &key, &a);
	if (!fsync_drop_name(r))
		abort();
	if (r != FSYNC_OK)
		return;
	n = fsync_encode(&a, &key, buf, sizeof(buf));
	if (n < 0 || (size_t)n != size)
		abort();
	if (fsync_decode(buf, (size_t)n, syncid, &key, &b) != FSYNC_OK ||
	    a.count != b.count || a.seq != b.seq || a.syncid != b.syncid ||
	    a.flags != b.flags || a.nonce != b.nonce ||
	    memcmp(a.e, b.e, sizeof(a.e[0]) * (size_t)a.count))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int ml = 0;
	uint8_t *copy;

	one(data, size);
	if (size < FSYNC_HDR_LEN + FSYNC_MAC_LEN)
		return 0;
	/* Again signed (exactly @size bytes, for ASan). */
	copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (HMAC(EVP_sha256(), key.b, (int)key.len, copy, size - FSYNC_MAC_LEN,
		 copy + size - FSYNC_MAC_LEN, &ml))
		one(copy, size);
	free(copy);
	return 0;
}
