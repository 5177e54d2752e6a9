// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * lbxdp data plane: direct-routing (DR) forwarding of IPv4 TCP/UDP virtual
 * services. Only the Ethernet addresses change; the frame leaves with XDP_TX.
 * Anything that is not for an active VIP on our own MAC is XDP_PASS,
 * untouched. Every frame lands in exactly one reason counter of "stats".
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "lbxdp/abi.h"
#include "lbxdp/hash.h"
#include "maps.h"

#define NSEC 1000000000ULL
/* last_seen is rewritten at most this often: a shared entry is not dirtied
 * by every packet on every CPU. Timeouts are seconds, so this is exact enough. */
#define REFRESH_NS (NSEC / 2)

/* linux/icmp.h drags in libc headers that a BPF target cannot take. */
#define ICMP_DEST_UNREACH 3
#define ICMP_FRAG_NEEDED 4
struct icmphdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be32 rest;
};

#define IP_MF 0x2000
#define IP_OFFSET 0x1fff

struct pkt {
	struct lbxdp_flow_key fk;
	__u32 len;
	bool syn;
};

static __always_inline bool mac_eq(const __u8 *a, const __u8 *b)
{
	return *(const __u32 *)a == *(const __u32 *)b &&
	       *(const __u16 *)(a + 4) == *(const __u16 *)(b + 4);
}

static __always_inline bool is_vip_addr(__be32 addr)
{
	struct lbxdp_addr_key k = {.addr = {addr}, .family = LBXDP_AF_INET};

	return bpf_map_lookup_elem(&vip_addrs, &k) != NULL;
}

static __always_inline struct lbxdp_vip *vip_lookup(__be32 addr, __be16 port,
						    __u8 proto)
{
	struct lbxdp_vip_key k = {
		.addr = {addr},
		.port = port,
		.proto = proto,
		.family = LBXDP_AF_INET,
	};
	struct lbxdp_vip *vip;

	vip = bpf_map_lookup_elem(&vips, &k);
	if (vip)
		return vip;
	k.port = 0;
	return bpf_map_lookup_elem(&vips, &k);
}

/* A backend that a flow or a persistence entry may still use. */
static __always_inline struct lbxdp_backend *backend_get(__u32 id, __u32 gen,
							 __u32 vip_id)
{
	struct lbxdp_backend *be = bpf_map_lookup_elem(&backends, &id);

	if (!be || !(be->flags & LBXDP_BE_F_USED) || be->gen != gen ||
	    be->vip_id != vip_id)
		return NULL;
	return be;
}

/* New-flow choice from the live table slot; 0 when there is none. */
static __always_inline __u32 schedule(const struct lbxdp_vip *vip,
				      const struct lbxdp_config *cfg,
				      const struct pkt *p, bool by_hash)
{
	struct lbxdp_table *t;
	__u32 *slot, *e, *cur;
	__u32 tidx, idx, h;

	slot = bpf_map_lookup_elem(&vip_slot, &vip->id);
	if (!slot)
		return 0;
	tidx = vip->id * 2 + (*(volatile __u32 *)slot & 1);
	t = bpf_map_lookup_elem(&tables, &tidx);
	if (!t || !t->nbackends)
		return 0;

	if (!by_hash &&
	    (vip->sched == LBXDP_SCHED_WRR || vip->sched == LBXDP_SCHED_RR)) {
		if (!t->wrr_len)
			return 0;
		cur = bpf_map_lookup_elem(&wrr_cursor, &vip->id);
		if (!cur)
			return 0;
		idx = *cur % t->wrr_len;
		*cur = idx + 1;
		idx += tidx * LBXDP_WRR_MAX;
		e = bpf_map_lookup_elem(&wrr, &idx);
		return e ? *e : 0;
	}

	if (vip->sched == LBXDP_SCHED_SH)
		h = lbxdp_hash_addr(p->fk.src, LBXDP_SEED_FLOW);
	else
		h = lbxdp_hash_flow(p->fk.src, p->fk.dst, p->fk.sport,
				    p->fk.dport, p->fk.proto);
	if (!cfg->ring_size)
		return 0;
	idx = tidx * cfg->ring_size + h % cfg->ring_size;
	e = bpf_map_lookup_elem(&maglev, &idx);
	return e ? *e : 0;
}

static __always_inline void count(struct lbxdp_counters *c, __u32 len,
				  bool new_flow)
{
	if (!c)
		return;
	c->packets++;
	c->bytes += len;
	if (new_flow)
		c->new_flows++;
}

static __always_inline int tx(struct ethhdr *eth, const struct lbxdp_iface *ifc,
			      const struct lbxdp_backend *be, __u32 be_id,
			      const struct lbxdp_vip *vip, const struct pkt *p,
			      bool new_flow)
{
	__builtin_memcpy(eth->h_dest, be->mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, ifc->mac, ETH_ALEN);
	count(bpf_map_lookup_elem(&stats_vip, &vip->id), p->len, new_flow);
	count(bpf_map_lookup_elem(&stats_backend, &be_id), p->len, new_flow);
	return XDP_TX;
}

/*
 * Established flows keep their backend while it is up and the flow not idle
 * past the protocol's timeout. Everything else picks anew: persistence first,
 * then the scheduler; a TCP packet that is not a SYN goes by the Maglev table
 * whatever the scheduler, so a restarted or failed-over LB sends it where an
 * mh peer would.
 */
static __always_inline int forward(struct ethhdr *eth,
				   const struct lbxdp_iface *ifc,
				   const struct lbxdp_vip *vip, struct pkt *p,
				   struct lbxdp_global_stats *gs)
{
	struct lbxdp_persist_key pk = {};
	struct lbxdp_flow nf = {}, *flow, *pe;
	struct lbxdp_config *cfg;
	struct lbxdp_backend *be;
	__u64 now, timeout;
	__u32 zero = 0, be_id = 0;
	bool by_hash, miss = true;

	cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg)
		return XDP_PASS;
	now = bpf_ktime_get_coarse_ns();
	timeout = (__u64)(p->fk.proto == IPPROTO_TCP ? cfg->tcp_timeout
						     : cfg->udp_timeout) *
		  NSEC;

	flow = bpf_map_lookup_elem(&flows, &p->fk);
	if (flow && now - flow->last_seen_ns <= timeout) {
		be = backend_get(flow->backend, flow->gen, vip->id);
		if (be && !(be->flags & LBXDP_BE_F_DOWN) &&
		    !(p->syn &&
		      (!be->weight || (be->flags & LBXDP_BE_F_DRAINING)))) {
			if (now - flow->last_seen_ns > REFRESH_NS) {
				flow->last_seen_ns = now;
				if (vip->persist_sec) {
					pk.client[0] = p->fk.src[0];
					pk.vip_id = vip->id;
					pk.family = LBXDP_AF_INET;
					pe = bpf_map_lookup_elem(&persist, &pk);
					if (pe && pe->backend == flow->backend)
						pe->last_seen_ns = now;
				}
			}
			gs->forwarded++;
			return tx(eth, ifc, be, flow->backend, vip, p, false);
		}
		if (be && (be->flags & LBXDP_BE_F_DOWN)) {
			gs->down_resched++;
			miss = false;
		}
	}

	by_hash = p->fk.proto == IPPROTO_TCP && !p->syn;
	if (by_hash && miss)
		gs->flow_miss_nonsyn++;

	if (vip->persist_sec) {
		pk.client[0] = p->fk.src[0];
		pk.vip_id = vip->id;
		pk.family = LBXDP_AF_INET;
		pe = bpf_map_lookup_elem(&persist, &pk);
		if (pe &&
		    now - pe->last_seen_ns <= (__u64)vip->persist_sec * NSEC) {
			be = backend_get(pe->backend, pe->gen, vip->id);
			/* IPVS honours affinity to a quiesced (weight 0)
			 * server, never to a down or removed one. */
			if (be && !(be->flags &
				    (LBXDP_BE_F_DOWN | LBXDP_BE_F_DRAINING))) {
				be_id = pe->backend;
				gs->persist_hits++;
			}
		}
	}
	if (!be_id)
		be_id = schedule(vip, cfg, p, by_hash);
	be = be_id ? bpf_map_lookup_elem(&backends, &be_id) : NULL;
	if (!be || !(be->flags & LBXDP_BE_F_USED)) {
		gs->no_backend++;
		return XDP_DROP;
	}

	nf.backend = be_id;
	nf.gen = be->gen;
	nf.last_seen_ns = now;
	bpf_map_update_elem(&flows, &p->fk, &nf, BPF_ANY);
	if (vip->persist_sec)
		bpf_map_update_elem(&persist, &pk, &nf, BPF_ANY);
	gs->forwarded++;
	return tx(eth, ifc, be, be_id, vip, p, true);
}

static __always_inline const struct lbxdp_iface *
our_iface(struct xdp_md *ctx, const struct ethhdr *eth)
{
	__u32 ifindex = ctx->ingress_ifindex;
	struct lbxdp_iface *ifc = bpf_map_lookup_elem(&ifaces, &ifindex);

	if (!ifc || !mac_eq(eth->h_dest, ifc->mac))
		return NULL;
	return ifc;
}

/* A frame for @vip that is ours to forward: the VIP is active here (not a
 * VRRP backup) and the frame is addressed to our MAC. Else counted, NULL. */
static __always_inline const struct lbxdp_iface *
claim(struct xdp_md *ctx, const struct ethhdr *eth, const struct lbxdp_vip *vip,
      struct lbxdp_global_stats *gs)
{
	const struct lbxdp_iface *ifc;

	if (!(vip->flags & LBXDP_VIP_F_ACTIVE)) {
		gs->inactive++;
		return NULL;
	}
	ifc = our_iface(ctx, eth);
	if (!ifc)
		gs->not_our_mac++;
	return ifc;
}

/*
 * ICMP "fragmentation needed" about a VIP flow: the embedded header is the
 * server's reply (VIP -> client), so the flow is the reverse of it. Sent to
 * that flow's server so path-MTU discovery works; never creates a flow.
 */
static __always_inline int handle_icmp(struct xdp_md *ctx, struct ethhdr *eth,
				       struct iphdr *iph, void *end,
				       struct lbxdp_global_stats *gs)
{
	struct icmphdr *icmp = (void *)(iph + 1);
	const struct lbxdp_iface *ifc;
	struct lbxdp_backend *be;
	struct lbxdp_config *cfg;
	struct lbxdp_flow *flow;
	struct lbxdp_vip *vip;
	struct pkt p = {};
	struct iphdr *in;
	__be16 *ports;
	__u32 zero = 0, be_id = 0;

	if ((void *)(icmp + 1) > end)
		goto not_ours;
	if (icmp->type != ICMP_DEST_UNREACH || icmp->code != ICMP_FRAG_NEEDED)
		goto not_ours;
	in = (void *)(icmp + 1);
	if ((void *)(in + 1) > end || in->version != 4 || in->ihl < 5)
		goto not_ours;
	if (in->protocol != IPPROTO_TCP && in->protocol != IPPROTO_UDP)
		goto not_ours;
	ports = (void *)in + in->ihl * 4;
	if ((void *)(ports + 2) > end)
		goto not_ours;

	vip = vip_lookup(in->saddr, ports[0], in->protocol);
	if (!vip)
		goto not_ours;
	ifc = claim(ctx, eth, vip, gs);
	if (!ifc)
		return XDP_PASS;
	cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg)
		return XDP_PASS;

	p.fk.src[0] = in->daddr;
	p.fk.dst[0] = in->saddr;
	p.fk.sport = ports[1];
	p.fk.dport = ports[0];
	p.fk.proto = in->protocol;
	p.fk.family = LBXDP_AF_INET;
	p.len = ctx->data_end - ctx->data;

	flow = bpf_map_lookup_elem(&flows, &p.fk);
	be = flow ? backend_get(flow->backend, flow->gen, vip->id) : NULL;
	/* A down server's flow moves with its next packet: tell the new one. */
	if (be && !(be->flags & LBXDP_BE_F_DOWN))
		be_id = flow->backend;
	else
		be_id = schedule(vip, cfg, &p, true);
	be = be_id ? bpf_map_lookup_elem(&backends, &be_id) : NULL;
	if (!be || !(be->flags & LBXDP_BE_F_USED) ||
	    (be->flags & LBXDP_BE_F_DOWN)) {
		gs->no_backend++;
		return XDP_DROP;
	}
	gs->icmp_forwarded++;
	return tx(eth, ifc, be, be_id, vip, &p, false);

not_ours:
	if (is_vip_addr(iph->daddr))
		gs->icmp_passed++;
	else
		gs->passed++;
	return XDP_PASS;
}

/*
 * A frame we cannot parse whole: dropped if it is for an active VIP address
 * on our MAC (never forwarded half-parsed), otherwise left to the kernel
 * like any frame that is not ours to forward.
 */
static __always_inline int bad_frame(struct xdp_md *ctx,
				     const struct ethhdr *eth, __be32 daddr,
				     __u64 *counter,
				     struct lbxdp_global_stats *gs)
{
	if (!is_vip_addr(daddr)) {
		gs->passed++;
		return XDP_PASS;
	}
	if (!our_iface(ctx, eth)) {
		gs->not_our_mac++;
		return XDP_PASS;
	}
	(*counter)++;
	return XDP_DROP;
}

SEC("xdp")
int lbxdp_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct lbxdp_global_stats *gs;
	const struct lbxdp_iface *ifc;
	struct ethhdr *eth = data;
	struct lbxdp_vip *vip;
	struct iphdr *iph;
	struct pkt p = {};
	__u32 zero = 0;
	__u16 tot_len;

	gs = bpf_map_lookup_elem(&stats, &zero);
	if (!gs)
		return XDP_PASS;
#ifdef LBXDP_TEST_SALT
	/* A test build whose code differs, so that attach must swap it in
	 * with bpf_link_update (tests/e2e/test_upgrade.sh). Never true. */
	if (ctx->rx_queue_index == LBXDP_TEST_SALT) {
		gs->passed++;
		return XDP_PASS;
	}
#endif

	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP)) {
		gs->passed++;
		return XDP_PASS;
	}
	tot_len = bpf_ntohs(iph->tot_len);
	if (iph->version != 4 || iph->ihl < 5 || tot_len < iph->ihl * 4 ||
	    (void *)iph + tot_len > end)
		return bad_frame(ctx, eth, iph->daddr, &gs->malformed, gs);
	if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return bad_frame(ctx, eth, iph->daddr, &gs->fragment, gs);
	if (iph->ihl != 5)
		return bad_frame(ctx, eth, iph->daddr, &gs->ip_options, gs);

	p.fk.proto = iph->protocol;
	if (iph->protocol == IPPROTO_TCP) {
		struct tcphdr *th = (void *)(iph + 1);

		if ((void *)(th + 1) > end || th->doff < 5 ||
		    tot_len < sizeof(*iph) + th->doff * 4)
			return bad_frame(ctx, eth, iph->daddr, &gs->malformed,
					 gs);
		p.fk.sport = th->source;
		p.fk.dport = th->dest;
		p.syn = th->syn && !th->ack;
	} else if (iph->protocol == IPPROTO_UDP) {
		struct udphdr *uh = (void *)(iph + 1);

		if ((void *)(uh + 1) > end ||
		    tot_len < sizeof(*iph) + sizeof(*uh))
			return bad_frame(ctx, eth, iph->daddr, &gs->malformed,
					 gs);
		p.fk.sport = uh->source;
		p.fk.dport = uh->dest;
	} else if (iph->protocol == IPPROTO_ICMP) {
		return handle_icmp(ctx, eth, iph, end, gs);
	} else {
		gs->passed++;
		return XDP_PASS;
	}

	vip = vip_lookup(iph->daddr, p.fk.dport, p.fk.proto);
	if (!vip) {
		gs->passed++;
		return XDP_PASS;
	}
	ifc = claim(ctx, eth, vip, gs);
	if (!ifc)
		return XDP_PASS;

	p.fk.src[0] = iph->saddr;
	p.fk.dst[0] = iph->daddr;
	p.fk.family = LBXDP_AF_INET;
	p.len = end - data;
	return forward(eth, ifc, vip, &p, gs);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
