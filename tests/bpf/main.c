// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bpf_test: the real lbxdp XDP object through BPF_PROG_TEST_RUN. Needs
 * root; without it the suite reports itself skipped, never passed. Exits
 * non-zero if any test failed or the set-up did.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fixture.h"

static const struct {
	const char *name;
	void (*fn)(void);
} groups[] = {
	{"cases", test_cases},
	{"flows", test_flows},
	{"determinism", test_determinism},
	{"guards", test_guards},
	{"sync", test_sync},
	{"model", test_model},
	{"flowtab", test_flowtab},
};

/* Whether group @name is to run: LBXDP_BPF_TESTS="model flows" names
 * some, unset runs all. */
static bool wanted(const char *name)
{
	const char *only = getenv("LBXDP_BPF_TESTS");
	size_t n = strlen(name);
	const char *p;

	if (!only || !*only)
		return true;
	for (p = strstr(only, name); p; p = strstr(p + 1, name))
		if ((p == only || p[-1] == ' ') && (!p[n] || p[n] == ' '))
			return true;
	return false;
}

int main(void)
{
	int run, failed;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("ok - bpf # SKIP needs root\n");
		return 0;
	}
	atexit(env_cleanup);
	if (env_setup()) {
		printf("not ok - set-up: namespace, veths, bpffs, attach (see stderr)\n");
		return 1;
	}
	test__begin(
		"lbxdp_attach() on a fresh pin dir attaches and pins its link");
	if (!ASSERT_OK(env.main.attach_err, "lbxdp_attach"))
		test__note(
			"the tests below ran on an attach over a link the harness pinned first");
	test__end();

	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (wanted(groups[i].name))
			groups[i].fn();

	test__totals(&run, &failed);
	printf("1..%d\n", run);
	printf("# %d passed, %d failed\n", run - failed, failed);
	return failed ? 1 : 0;
}
