/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * BPF_PROG_TEST_RUN harness: a private network namespace with veth pairs, a
 * private bpffs, lbxdp attached from pin directories inside it, and the
 * kernel-selftest style ASSERT_* macros that say what differed. Output is
 * TAP ("ok - name", "not ok - name", diagnostics as "#" lines).
 */
#ifndef LBXDP_TEST_HARNESS_H
#define LBXDP_TEST_HARNESS_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>
#include "lbxdp/abi.h"
#include "maps.h"
#include "frames.h"

/* Capacities of every test attach: small, so that set-up is fast. */
#define T_MAX_VIPS 8
#define T_MAX_BACKENDS 16
#define T_FLOWS 4096
#define T_RING 251

/* One attached load balancer: a pin directory and its interface. */
struct lb {
	char pin_dir[PATH_MAX];
	char ifname[IF_NAMESIZE];
	__u32 ifindex;
	__u8 mac[6];
	int prog_fd;
	struct lbxdp_ctx ctx; /* open, holding the writer lock */
	bool attached;
	bool open;
	/* lbxdp_attach() failed on the fresh directory and only attached
	 * over a link the harness pinned first (see lb_attach()). */
	int attach_err;
};

struct test_env {
	char bpffs[64]; /* private bpffs, mounted on a mkdtemp dir */
	bool mounted;
	int cpu; /* the one CPU the process runs on */
	struct lb main;
};

extern struct test_env env;

/* Interfaces made by env_setup(), in the private namespace. */
#define IF_MAIN "lbt0"
#define IF_DET_A "lbd1"
#define IF_DET_B "lbd2"
#define IF_MODEL "lbm1"

/* Namespace, veths, bpffs, the main attach. Prints why on failure. */
int env_setup(void);
/* Undoes whatever env_setup() and lb_attach() did; safe to call twice. */
void env_cleanup(void);
/* Attach lbxdp from @bpffs/@sub to @ifname and open its maps. */
int lb_attach(struct lb *lb, const char *sub, const char *ifname);
/* The same with @flows flow entries and a Maglev table of @ring (prime). */
int lb_attach_caps(struct lb *lb, const char *sub, const char *ifname,
		   __u32 flows, __u32 ring);
/* The same with faults injected: every entry refresh fails. */
int lb_attach_faults(struct lb *lb, const char *sub, const char *ifname,
		     __u32 flows, __u32 ring, bool fail_refresh);
void lb_close(struct lb *lb);

/* One frame through the program, repeat=1, ingress_ifindex = @lb's veth. */
int xdp_run(const struct lb *lb, const struct frame *in, struct frame *out,
	    __u32 *verdict);
int stats_read(struct lb *lb, struct lbxdp_global_stats *gs);
/* Zero every CPU's flood guard state (the counters stay). */
int flood_reset(struct lb *lb);
/* Make every CPU's flood guard state @sec seconds older (0: zero it). */
int flood_age(struct lb *lb, __u64 sec);
/* "lbxdp flood set @rate" (0: off), every CPU's guard state zeroed first,
 * so that a case starts with a whole second's rate. */
int flood_rate_set(struct lb *lb, __u32 rate);
/* Empty the flows and persist maps (between cases). */
int lb_flush_flows(struct lb *lb);
/* Run the calling thread on @cpu alone: 0 or -errno. */
int cpu_pin(int cpu);

/* A bit per field of struct lbxdp_global_stats. */
#define STAT_BIT(f) (1ULL << (offsetof(struct lbxdp_global_stats, f) / 8))
#define STAT_NR LBXDP_NR_COUNTERS
extern const char *const stat_names[STAT_NR];

const char *verdict_name(__u32 v);

/* --- test runner, TAP --- */

void test__begin(const char *name);
/* Prints "ok - name" or "not ok - name"; returns whether it passed. */
bool test__end(void);
/* Context of the following failures ("step 3: ACK after web3 added"). */
void test__context(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void test__fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A "#" line in the output. */
void test__note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool test__failed(void);
/* Totals: how many tests ran, how many failed. */
void test__totals(int *run, int *failed);

bool test__frame_eq(const char *file, int line, const struct frame *got,
		    const struct frame *want, const char *name);
bool test__stats_delta(const char *file, int line,
		       const struct lbxdp_global_stats *before,
		       const struct lbxdp_global_stats *after, __u64 mask,
		       const char *name);

/* --- ASSERT_*: evaluate to whether they held; print what differed. --- */

#define ASSERT_TRUE(cond, name)                                                \
	({                                                                     \
		bool ___ok = (cond);                                           \
		if (!___ok)                                                    \
			test__fail(__FILE__, __LINE__, "%s: unexpected false", \
				   (name));                                    \
		___ok;                                                         \
	})

/* @actual OP @bound as long long; @want words what was wanted. */
#define ASSERT_CMP(actual, op, bound, name, want)                       \
	({                                                              \
		long long ___act = (long long)(actual);                 \
		long long ___bnd = (long long)(bound);                  \
		bool ___ok = ___act op ___bnd;                          \
		if (!___ok)                                             \
			test__fail(__FILE__, __LINE__,                  \
				   "%s: got %lld, want %s%lld", (name), \
				   ___act, (want), ___bnd);             \
		___ok;                                                  \
	})

#define ASSERT_EQ(actual, expected, name) \
	ASSERT_CMP(actual, ==, expected, name, "")
#define ASSERT_NEQ(actual, unexpected, name) \
	ASSERT_CMP(actual, !=, unexpected, name, "anything but ")
#define ASSERT_GT(actual, bound, name) \
	ASSERT_CMP(actual, >, bound, name, "more than ")

/* @res: 0 on success, -errno (or -1 with errno) on failure. */
#define ASSERT_OK(res, name)                                                 \
	({                                                                   \
		long long ___res = (long long)(res);                         \
		bool ___ok = ___res == 0;                                    \
		if (!___ok)                                                  \
			test__fail(__FILE__, __LINE__,                       \
				   "%s: failed, %lld (%s)", (name), ___res,  \
				   strerror(___res < 0 ? (int)-___res : 0)); \
		___ok;                                                       \
	})

#define ASSERT_VERDICT(actual, expected, name)                        \
	({                                                            \
		__u32 ___act = (actual), ___exp = (expected);         \
		bool ___ok = ___act == ___exp;                        \
		if (!___ok)                                           \
			test__fail(__FILE__, __LINE__,                \
				   "%s: verdict %s, want %s", (name), \
				   verdict_name(___act),              \
				   verdict_name(___exp));             \
		___ok;                                                \
	})

#define ASSERT_FRAME(got, want, name) \
	test__frame_eq(__FILE__, __LINE__, (got), (want), (name))

/* Exactly the counters in @mask moved, each by one; no other moved. */
#define ASSERT_STATS(before, after, mask, name) \
	test__stats_delta(__FILE__, __LINE__, (before), (after), (mask), (name))

#endif /* LBXDP_TEST_HARNESS_H */
