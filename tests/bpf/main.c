// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bpf_test: the real lbxdp XDP object through BPF_PROG_TEST_RUN. Needs
 * root; without it the suite reports itself skipped, never passed. Exits
 * non-zero if any test failed or the set-up did.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "fixture.h"

int main(void)
{
	int run, failed;

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

	test_cases();
	test_flows();
	test_determinism();
	test_guards();
	test_sync();

	test__totals(&run, &failed);
	printf("1..%d\n", run);
	printf("# %d passed, %d failed\n", run - failed, failed);
	return failed ? 1 : 0;
}
