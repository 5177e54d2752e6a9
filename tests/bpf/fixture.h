/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Table-driven fixtures, after Katran's tester: each case names its services
 * and backends (set up with the library, as the CLI would), then a list of
 * steps: map changes, one input frame, the expected verdict, output frame and
 * the counters of "stats" that must move (each by one; no other may move).
 */
#ifndef LBXDP_TEST_FIXTURE_H
#define LBXDP_TEST_FIXTURE_H

#include "harness.h"
#include "sched.h"
#include "lbxdp/flowtab.h"

#define FX_SVCS 3
#define FX_BES 6
#define FX_STEPS 12
#define FX_ACTS 2

/* Addresses, all in 198.18.0.0/15. */
#define VIP1 IP4(198, 18, 0, 10)
#define VIP2 IP4(198, 18, 0, 11)
#define VIP3 IP4(198, 18, 0, 12)
#define NOT_VIP IP4(198, 18, 0, 99)
#define ROUTER IP4(198, 19, 255, 1)
#define CLIENT(n) IP4(198, 19, 0, (n))
#define BACKEND(n) IP4(198, 18, 1, (n))

struct fx_svc {
	__u32 addr; /* 0 ends the list */
	__u16 port;
	__u8 proto;
	__u8 sched; /* enum lbxdp_sched */
	__u32 persist;
};

struct fx_be {
	const char *name; /* NULL ends the list */
	__u32 addr;
	__u16 weight;
	__u8 svc;   /* index into the case's services */
	bool later; /* added by a step (DO_ADD), not at set-up */
};

enum fx_op {
	ACT_NONE,
	ACT_ADD,	 /* backend a, with its table weight */
	ACT_WEIGHT,	 /* backend a, weight b */
	ACT_DOWN,	 /* backend a: lbxdp backend set --down */
	ACT_UP,		 /* backend a: --up */
	ACT_DEL,	 /* backend a: removed, draining */
	ACT_VIP_DEL,	 /* service a: lbxdp vip del */
	ACT_VIP_SET,	 /* service a: scheduler b, persistence none */
	ACT_UDP_TIMEOUT, /* config udp_timeout = a seconds */
	ACT_AGE_FLOW,	 /* the step's flow: last seen a seconds ago */
	ACT_EVICT_FLOW,	 /* the step's flow: gone from map flows (LRU) */
	ACT_FORGET_MEMO, /* every CPU's flow memo cleared */
	ACT_FLOOD,	 /* config flood_rate = a, every CPU's count zeroed */
	ACT_FLOOD_AGE,	 /* the flood guard's state a seconds older */
};

struct fx_act {
	enum fx_op op;
	int a, b;
};

#define DO_ADD(i)               \
	{                       \
		ACT_ADD, (i), 0 \
	}
#define DO_WEIGHT(i, w)              \
	{                            \
		ACT_WEIGHT, (i), (w) \
	}
#define DO_DOWN(i)               \
	{                        \
		ACT_DOWN, (i), 0 \
	}
#define DO_UP(i)               \
	{                      \
		ACT_UP, (i), 0 \
	}
#define DO_DEL(i)               \
	{                       \
		ACT_DEL, (i), 0 \
	}
#define DO_VIP_DEL(s)               \
	{                           \
		ACT_VIP_DEL, (s), 0 \
	}
#define DO_VIP_SET(s, sched)              \
	{                                 \
		ACT_VIP_SET, (s), (sched) \
	}
#define DO_UDP_TIMEOUT(sec)               \
	{                                 \
		ACT_UDP_TIMEOUT, (sec), 0 \
	}
#define DO_AGE(sec)                    \
	{                              \
		ACT_AGE_FLOW, (sec), 0 \
	}

#define DO_EVICT                     \
	{                            \
		ACT_EVICT_FLOW, 0, 0 \
	}
#define DO_FORGET                     \
	{                             \
		ACT_FORGET_MEMO, 0, 0 \
	}
#define DO_FLOOD(rate)               \
	{                            \
		ACT_FLOOD, (rate), 0 \
	}
#define DO_FLOOD_AGE(sec)               \
	{                               \
		ACT_FLOOD_AGE, (sec), 0 \
	}

/* Expected output frame. */
#define SAME 0		/* untouched: byte-identical to the input */
#define TO(i) ((i) + 1) /* forwarded to backend i of the case */
#define MAGLEV (-1)	/* forwarded where user-space Maglev says */

struct fx_step {
	const char *what; /* NULL ends the list */
	struct fx_act act[FX_ACTS];
	struct fspec f;
	__u32 verdict;
	int out;
	__u64 stats; /* STAT_BIT()s */
};

struct fixture {
	const char *name;
	struct fx_svc svc[FX_SVCS];
	struct fx_be be[FX_BES];
	struct fx_step step[FX_STEPS];
};

/* Set up, run every step, tear down; prints one TAP line. */
bool fixture_run(const struct fixture *fx);

/* --- helpers shared with the hand-written cases --- */

void vip_key(struct lbxdp_vip_key *k, __u32 addr, __u16 port, __u8 proto);
void addr4(__be32 a[4], __u32 host);
/* 02:be:00:00:<set>:<i+1> */
void be_mac(__u8 mac[6], int set, int i);
/* Which of backends 0..@n-1 of MAC set @set frame @f is addressed to, or
 * -1. */
int be_of(const struct frame *f, int set, int n);

/* The flows key of @f's flow (padding zeroed, so that memcmp() compares). */
struct lbxdp_flow_key flow_key_of(const struct fspec *f);
/*
 * How many flow memos, on all CPUs, hold @f's key; -errno. *cpus (if not
 * NULL) gets a bit a CPU that holds one (CPU 63 and up share bit 63). An
 * @at_ns not 0 restamps each such memo as made then.
 */
int memo_scan(const struct lbxdp_ctx *c, const struct fspec *f, __u64 at_ns,
	      __u64 *cpus);
/* @f's flows entry in @lb last seen @sec seconds before the program's now
 * (lbxdp_prog_now()), and every memo forgotten. */
bool age_flow(struct lb *lb, const struct fspec *f, __u64 sec);
/* The flow hash of a client-to-VIP frame, as include/lbxdp/hash.h says. */
__u32 flow_hash(const struct fspec *f);
/* The flow table's key of @f's flow to the VIP of id @vip_id (way_key()). */
struct lbxdp_ft_way way_of(const struct fspec *f, __u32 vip_id);
/*
 * What a Maglev table of @ring_size built by lbxdp_maglev_build() over @sb
 * holds for @f: the id of sb[] (the caller's label), 0 if none.
 */
__u32 maglev_pick(const struct lbxdp_sched_backend *sb, size_t n,
		  __u32 ring_size, const struct fspec *f);
/* The same for an sh VIP (the source address alone). */
__u32 sh_pick(const struct lbxdp_sched_backend *sb, size_t n, __u32 ring_size,
	      const struct fspec *f);

/* Send @f through @lb; *out is what came back. */
int send_frame(struct lb *lb, const struct fspec *f, struct frame *in,
	       struct frame *out, __u32 *verdict);
/*
 * Send @f and check verdict, frame (forwarded to @to_mac, or untouched if
 * NULL) and counters. Returns whether all held; *got (if not NULL) is the
 * frame that came back.
 */
bool send_expect(struct lb *lb, const struct fspec *f, __u32 verdict,
		 const __u8 *to_mac, __u64 stats, const char *what,
		 struct frame *got);
/* The flood guard's rate of @lb set to @rate (flood_rate_set()). */
bool flood_set(struct lb *lb, __u32 rate);
/* The TCP timeout of @lb set to @sec as `lbxdp timeout set tcp` sets it. */
bool tcp_timeout_set(struct lb *lb, __u32 sec);
/* Where the attach anchored the program's clock (struct lbxdp_config). */
struct mclock {
	__u64 j0, ns0;
	__u32 ns_per_jiffy;
};

/* The program's clock set to @ns, 1 ns a jiffy from now on (@k: the
 * anchor that says which jiffy now is), and lbxdp's view of it held
 * there; -errno. */
int clock_set(struct lbxdp_ctx *c, const struct mclock *k, __u64 ns);
/* The program's clock at @ns from now (1 ns a jiffy, from @cfg0's anchor)
 * and lbxdp's view of it, held there; a restore of @cfg0 ends the first,
 * clock_release() the second. */
bool clock_hold(struct lbxdp_ctx *c, const struct lbxdp_config *cfg0, __u64 ns);
void clock_release(struct lbxdp_ctx *c);
/* Both clocks run again, the program's from @cfg0's anchor. */
bool clock_restore(struct lbxdp_ctx *c, const struct lbxdp_config *cfg0);

/* @c's flow table, writable (a test holds a bucket by its seq, or moves a
 * way as a put would), its length into @len; MAP_FAILED if it cannot be
 * mapped. */
struct lbxdp_ft_bucket *flows_mmap_rw(const struct lbxdp_ctx *c, size_t *len);

/*
 * A put's move of flow @k (of VIP @vip_id) during one of lbxdp's walks of
 * the flow table (lbxdp_ctx.walk_hook), which reads bucket by bucket: the
 * flow is put in its pair's later bucket now, then moved to the earlier
 * one once the walk has read that, so that the walk does not see it.
 * walk_move_done() says whether the move was made, and disarms.
 */
bool walk_move_arm(struct lbxdp_ctx *c, const struct lbxdp_flow_key *k,
		   __u32 vip_id);
bool walk_move_done(struct lbxdp_ctx *c);
/* Remove what a case left: its services, flows, persistence, timeouts. */
void lb_reset(struct lb *lb, const struct lbxdp_vip_key *keys, size_t n,
	      const struct lbxdp_config *cfg0);

void test_cases(void);
void test_flows(void);
void test_determinism(void);
void test_guards(void);
void test_sync(void);
void test_model(void);
void test_flowtab(void);

#endif /* LBXDP_TEST_FIXTURE_H */
