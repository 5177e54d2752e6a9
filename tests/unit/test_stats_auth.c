// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The stats page's basic auth (stats_auth.c): plain and crypt(3) hashed
 * passwords, admins, and nothing else getting in. */
#include <crypt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "daemon/stats.h"

#define H5 "$5$lbxdpsalt$JImY1pMacF3STqfhKGxTWyAl.DkVUDgNQuwkq.0837D"
/* openssl passwd -6 -salt lbxdpsalt secret2 */
#define H6 \
	"$6$lbxdpsalt$QG2t9FuL15vWeuod/thP0NOGUlyF89SKcxsEOjceQkzi1.BOeHLo83goWuWtBg2/mfTyGIF590WnQp7IpWuk30"

static void test_auth(void **state)
{
	char hy[CRYPT_OUTPUT_SIZE], hb[CRYPT_OUTPUT_SIZE];
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd;
	struct conf_stats_user u[5] = {
		{.name = "admin", .pass = "secret", .admin = true},
		{.name = "ops", .pass = H6, .hashed = true},
		{.name = "five", .pass = H5, .hashed = true, .admin = true},
		{.name = "yes", .pass = hy, .hashed = true},
		{.name = "bc", .pass = hb, .hashed = true},
	};
	struct conf_stats cs = {.users = u, .nusers = 5};
	bool admin = true;

	(void)state;
	/* yescrypt, hashed here: openssl passwd does not make them */
	assert_non_null(
		crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)));
	memset(&cd, 0, sizeof(cd));
	assert_non_null(crypt_r("pwy", salt, &cd));
	snprintf(hy, sizeof(hy), "%s", cd.output);
	/* bcrypt too: every hash libxcrypt takes */
	assert_non_null(
		crypt_gensalt_rn("$2b$", 0, NULL, 0, salt, sizeof(salt)));
	memset(&cd, 0, sizeof(cd));
	assert_non_null(crypt_r("pwb", salt, &cd));
	snprintf(hb, sizeof(hb), "%s", cd.output);

	assert_true(st_auth(&cs, "admin", "secret", &admin));
	assert_true(admin);
	assert_true(st_auth(&cs, "ops", "secret2", &admin));
	assert_false(admin);
	assert_true(st_auth(&cs, "five", "pw5", &admin));
	assert_true(admin);
	assert_true(st_auth(&cs, "yes", "pwy", &admin));
	assert_false(admin);
	assert_true(st_auth(&cs, "bc", "pwb", &admin));
	assert_false(st_auth(&cs, "bc", hb, &admin)); /* the hash itself */

	/* wrong passwords, prefixes, another user's password, no user */
	assert_false(st_auth(&cs, "admin", "secre", &admin));
	assert_false(admin);
	assert_false(st_auth(&cs, "admin", "secret ", &admin));
	assert_false(st_auth(&cs, "admin", "", &admin));
	assert_false(st_auth(&cs, "ops", "secret", &admin));
	assert_false(st_auth(&cs, "ops", H6, &admin)); /* the hash itself */
	assert_false(st_auth(&cs, "yes", "pw5", &admin));
	assert_false(st_auth(&cs, "nobody", "secret", &admin));
	assert_false(st_auth(&cs, "Admin", "secret", &admin));
	assert_false(st_auth(&cs, NULL, "secret", &admin));
	assert_false(st_auth(&cs, "admin", NULL, &admin));
	cs.nusers = 0;
	assert_false(st_auth(&cs, "admin", "secret", &admin));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
