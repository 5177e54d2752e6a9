// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The stats page's basic auth: every auth line is tried, each password
 * compared in constant time, so that neither the user's existence nor
 * how much of a password matched shows in the response time. A hashed
 * password ($5$, $6$, $y$) goes through crypt_r(), as HAProxy's userlist
 * "password"; a plain one is compared through SHA-256 digests, so the
 * comparison does not depend on the lengths either.
 */
#include <crypt.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include "daemon/stats.h"

static bool same(const char *a, const char *b)
{
	unsigned char da[SHA256_DIGEST_LENGTH], db[SHA256_DIGEST_LENGTH];
	bool eq;

	SHA256((const unsigned char *)a, strlen(a), da);
	SHA256((const unsigned char *)b, strlen(b), db);
	eq = !CRYPTO_memcmp(da, db, sizeof(da));
	OPENSSL_cleanse(da, sizeof(da));
	OPENSSL_cleanse(db, sizeof(db));
	return eq;
}

static bool pass_ok(const struct conf_stats_user *u, const char *pass)
{
	struct crypt_data *cd;
	const char *h;
	bool ok;

	if (!u->hashed)
		return same(u->pass, pass);
	/* 32 KiB: off the stack of a connection's thread */
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return false;
	h = crypt_r(pass, u->pass, cd);
	/* a failed crypt_r() returns "*0" or "*1", never a match */
	ok = h && h[0] != '*' && same(h, u->pass);
	OPENSSL_cleanse(cd, sizeof(*cd));
	free(cd);
	return ok;
}

bool st_auth(const struct conf_stats *cs, const char *user, const char *pass,
	     bool *admin)
{
	bool found = false;
	int i;

	*admin = false;
	if (!user || !pass)
		return false;
	for (i = 0; i < cs->nusers; i++) {
		const struct conf_stats_user *u = &cs->users[i];
		/* both compared always: no early exit on the name */
		bool name = same(u->name, user), ok = pass_ok(u, pass);

		if (name && ok && !found) {
			found = true;
			*admin = u->admin;
		}
	}
	return found;
}
