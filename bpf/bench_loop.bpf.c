// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * make bench's traffic on a kernel that refuses BPF_F_TEST_XDP_LIVE_FRAMES:
 * on the far side of a veth from the program under test, every frame that
 * comes back is made the next flow, addressed to that program's veth and
 * sent again. A few frames sent once (AF_PACKET) then go back and forth
 * between the two XDP programs, as XDP frames, until the loop is turned
 * off. tests/bench/env.c, "the loop".
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "bench_loop.h"
#include "../tests/bench/bench.h"

/* Plain increments, where the sink has an atomic add: both veths' NAPI run
 * on the CPU that sent the frames, so runs of this program never overlap. */
struct bench_loop loop;

SEC("xdp")
int bench_loop(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u64 n;

	if (data + OFF_SPORT + 2 > end)
		return XDP_DROP;
	n = loop.counter++;
	if (loop.mod)
		n = n % loop.mod * loop.mul % loop.mod;
	*(__be16 *)(data + OFF_SADDR_LO) = bpf_htons(n / FLOW_PORTS);
	*(__be16 *)(data + OFF_SPORT) = bpf_htons(FLOW_PORT0 + n % FLOW_PORTS);
	__builtin_memcpy(eth->h_dest, loop.dst, ETH_ALEN);
	if (loop.on)
		return XDP_TX;
	loop.dropped++;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
