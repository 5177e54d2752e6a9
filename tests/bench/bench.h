/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * lbxdp benchmark: the private environment (env.c) and the frames that
 * both it and the measurements (bench.c) agree on.
 */
#ifndef LBXDP_BENCH_H
#define LBXDP_BENCH_H

#include <stdbool.h>
#include <linux/types.h>

/*
 * Flow number i is the TCP flow from PREFIX.(i / FLOW_PORTS) port
 * FLOW_PORT0 + i % FLOW_PORTS to the VIP: bench.c builds frames this way and
 * the sink program (env.c) rewrites recycled frames the same way.
 */
#define FLOW_PORTS 60000
#define FLOW_PORT0 1024
/* Source /16s (host order, upper half): established flows, new flows. */
#define PREFIX_EST 0xc612 /* 198.18 */
#define PREFIX_NEW 0xc613 /* 198.19 */

#define PERM_MUL 611953 /* prime: n -> n * PERM_MUL % N permutes 0..N-1 */
#define MAX_ROUNDS 15

/* Frame offsets the sink rewrites: low half of saddr, TCP source port. */
#define OFF_SADDR_LO (14 + 12 + 2)
#define OFF_SPORT (14 + 20)

/*
 * Value of the sink's one-entry array map. For every frame it receives the
 * sink takes n = counter++ and, if mod != 0, n = (n % mod) * mul % mod; then
 * it writes flow number n into the frame and drops it, which returns the
 * page to the test_run page pool that sent it.
 */
struct sink_state {
	__u64 counter;
	__u64 mod;
	__u64 mul;
};

struct bench_env {
	char dir[64];	  /* private bpffs mount */
	char pin_dir[96]; /* lbxdp's pin directory inside it */
	bool mounted;
	int lb_ifindex;	  /* veth with lbxdp (native) */
	int sink_ifindex; /* its peer, with the sink (native) */
	int swap_ifindex; /* veth with the baseline (native) */
	__u8 lb_mac[6];
	int sink_map;
	int sink_prog;
	int sink_link;
	int swap_link;
	int lb_prog;   /* lbxdp_xdp, from the pinned link */
	int swap_prog; /* xdp_swap */
	void *swap_skel;
	/* The loop (loop_setup()), where the kernel refuses live frames:
	 * on the sink's veth and on the baseline's peer. */
	void *loop_skel;
	int loop_link;
	__u8 swap_mac[6];
};

/*
 * Private network and mount namespaces, veths, a bpffs, the sink and the
 * baseline attached natively, lbxdp attached natively with @flows. Both
 * namespaces die with the process, so a crash leaves nothing behind.
 */
int env_setup(struct bench_env *e, __u32 flows);
void env_cleanup(struct bench_env *e);

int sink_set(const struct bench_env *e, __u64 counter, __u64 mod, __u64 mul);
__u64 sink_counter(const struct bench_env *e);

/*
 * The loop, for a kernel that refuses BPF_F_TEST_XDP_LIVE_FRAMES
 * (bpf/bench_loop.bpf.c): loop_setup() puts it in the sink's place and on
 * the baseline's peer veth; loop_state() is its state, shared with the
 * program (read and write it through volatile accesses); loop_send()
 * sends @k copies of frame @f from the peer of lbxdp's veth (@lb) or of
 * the baseline's, which starts the frames going round.
 */
struct bench_loop;
int loop_setup(struct bench_env *e);
struct bench_loop *loop_state(const struct bench_env *e);
int loop_send(const struct bench_env *e, bool lb, const __u8 *f, __u32 len,
	      int k);

/* The flow-table layouts (layout.c): ns a packet per round, and what the
 * checks need. */
struct layout_res {
	double none[MAX_ROUNDS];
	double lru_hit[MAX_ROUNDS], own_hit[MAX_ROUNDS];
	double lru_miss[MAX_ROUNDS], own_miss[MAX_ROUNDS];
	double lru_add[MAX_ROUNDS], own_add[MAX_ROUNDS];
	int n; /* rounds done */
	__u32 cap, flows, nbuckets, reps;
	__u64 overflow;		 /* flows the fill found no free way for */
	__u64 pkts, hits, wrong; /* finds; runs whose hits were not exact */
	__u64 add_pkts, added, own_adds, evicted, busy;
};

int layout_run(int rounds, __u32 reps, __u32 cap, __u32 nflows,
	       struct layout_res *res);

#endif /* LBXDP_BENCH_H */
