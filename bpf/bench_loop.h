/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * make bench's traffic where the kernel refuses live frames: what the loop
 * program (bpf/bench_loop.bpf.c) and tests/bench/env.c agree on.
 */
#ifndef LBXDP_BENCH_LOOP_H
#define LBXDP_BENCH_LOOP_H

#include <linux/types.h>

/*
 * The loop's state, in its .bss. For every frame that comes back the loop
 * takes n = counter++ and, if mod != 0, n = (n % mod) * mul % mod, as the
 * sink does; it writes flow number n and the MAC @dst into the frame and
 * sends it again (XDP_TX) while @on, else drops it and counts it in
 * @dropped: once the loop is off, the frames it had going.
 */
struct bench_loop {
	__u64 counter;
	__u64 mod;
	__u64 mul;
	__u64 dropped;
	__u32 on;
	__u8 dst[6];
	__u8 pad[2];
};

#endif /* LBXDP_BENCH_LOOP_H */
