// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * lbxdp data plane: direct-routing (DR) forwarding of IPv4 TCP/UDP virtual
 * services. Only the Ethernet addresses change; the frame leaves with XDP_TX.
 * Anything that is not for a VIP on our own MAC is XDP_PASS,
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
/* Keeps the compiler from moving memory accesses across it. */
#define barrier() asm volatile("" ::: "memory")

/* The flow table's operations; its writes from here in plain loops (a
 * bpf_loop() callback's frame does not fit under this program's stack). */
#define FT_MAP flows
#define FT_INLINE_LOOPS
#define FT_TAGS flow_tags

/* Fault injection (tests/bpf: lbxdp_attach_opts.fail_refresh): every
 * ft_refresh() fails, as one whose way a writer took between its find and
 * its touch. Read-only data, false in lbxdp's own loads: the verifier
 * drops the branch. */
const volatile bool fail_refresh;
#define FT_TOUCH_BETWEEN(w)           \
	do {                          \
		if (fail_refresh)     \
			return false; \
	} while (0)
#include "flowtab.h"

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
	__u64 now; /* now_ns() */
	__u32 gen; /* config.gen, read before any record */
	__u32 len;
	bool syn;
	bool resched; /* its flow's backend is down */
	bool flood;   /* a SYN beyond the flood guard's rate */
	/* Just enough tracking (abi.h "ring_meta"), set by jet_locate() for
	 * a packet whose flow must be looked up: @jet its VIP is one, @base
	 * the backend its slot named before a change within the timeout (0:
	 * its slot's flows without an entry are where the table says), @slot
	 * its key in ring_track. */
	bool jet;
	bool entry; /* it has one in flows, valid or not */
	__u32 base;
	__u32 cur; /* the slot's backend, as read with base */
	__u32 slot;
	__u32 vip_id;
	__u32 hash; /* lbxdp_hash_flow() of fk (flow_hash()) */
	/* This CPU's memo slot of the flow: looked up once, then read by
	 * memo_hit() and written by memo_set()/memo_forget(). */
	struct lbxdp_flow_memo *memo;
};

/* An ICMP error's struct pkt (handle_icmp()): in a per-CPU map, since the
 * program's stack has no room for a second one beside flow_put()'s frame
 * (512 bytes in all). Not pinned: each program has its own. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct pkt);
	__uint(max_entries, 1);
} pkt_scratch SEC(".maps");

static __always_inline bool mac_eq(const __u8 *a, const __u8 *b)
{
	return *(const __u32 *)a == *(const __u32 *)b &&
	       *(const __u16 *)(a + 4) == *(const __u16 *)(b + 4);
}

/* Whether @addr may carry a VIP: one bit test spares every other frame a
 * hash lookup. False positives are settled by the maps. */
static __always_inline bool maybe_vip_addr(const struct lbxdp_config *cfg,
					   __be32 addr)
{
	return cfg->addr_bloom & (1ULL << lbxdp_addr_bit(addr));
}

static __always_inline bool is_vip_addr(const struct lbxdp_config *cfg,
					__be32 addr)
{
	struct lbxdp_addr_key k = {.addr = {addr}, .family = LBXDP_AF_INET};

	return maybe_vip_addr(cfg, addr) &&
	       bpf_map_lookup_elem(&vip_addrs, &k) != NULL;
}

static __always_inline struct lbxdp_vip *
vip_find(const struct lbxdp_config *cfg, __be32 addr, __be16 port, __u8 proto)
{
	struct lbxdp_vip_key k = {
		.addr = {addr},
		.port = port,
		.proto = proto,
		.family = LBXDP_AF_INET,
	};
	struct lbxdp_vip *vip;

	vip = bpf_map_lookup_elem(&vips, &k);
	if (vip || !cfg->nport0)
		return vip;
	k.port = 0;
	return bpf_map_lookup_elem(&vips, &k);
}

#define VIP_MEMO_NS NSEC

_Static_assert(LBXDP_VIP_MEMO_SIZE == 1U << 6, "vip_memo_slot() takes 6 bits");

static __always_inline __u32 vip_memo_slot(__be32 addr, __be16 port, __u8 proto)
{
	__u32 x = addr ^ ((__u32)port << 16 | proto);

	return (x * 0x9e3779b1U) >> (32 - 6);
}

/*
 * The VIP of a packet to @addr:@port/@proto, copied into @out: from this
 * CPU's vip_memo when it holds a copy made since the last change of any
 * record (config.gen, read before the map, which lbxdp writes before it
 * moves the gen) and within a second (a writer killed before it moved it),
 * else from vips. A copy, so that a writer of vips (lbxdp, on another CPU)
 * cannot change the record under this run.
 */
static __always_inline bool vip_lookup(const struct lbxdp_config *cfg,
				       const struct pkt *p, __be32 addr,
				       __be16 port, __u8 proto,
				       struct lbxdp_vip *out)
{
	__u32 gen = p->gen;
	__u32 slot = vip_memo_slot(addr, port, proto);
	struct lbxdp_vip_memo *m;
	struct lbxdp_vip *vip;

	m = bpf_map_lookup_elem(&vip_memo, &slot);
	if (m && m->gen == gen && m->addr == addr && m->port == port &&
	    m->proto == proto && p->now - m->at_ns <= VIP_MEMO_NS) {
		*out = m->vip;
		return true;
	}
	vip = vip_find(cfg, addr, port, proto);
	if (!vip)
		return false;
	*out = *vip;
	if (m) {
		/* Void, fill, then validate. Runs on one CPU do not
		 * interleave (README, known limits): were they to, this
		 * would keep half-written copies out, but not a copy from
		 * changing between another run's check and its read. */
		m->gen = gen - 1;
		barrier();
		m->vip = *out;
		m->addr = addr;
		m->port = port;
		m->proto = proto;
		m->at_ns = p->now;
		barrier();
		m->gen = gen;
	}
	return true;
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

/* The backend of flow entry @w, if it is still the record the flow was
 * placed on (its gen's low 16 bits, as the entry keeps them). */
static __always_inline struct lbxdp_backend *
way_backend(const struct lbxdp_ft_way *w, __u32 vip_id)
{
	__u32 id = w->backend;
	struct lbxdp_backend *be = bpf_map_lookup_elem(&backends, &id);

	if (!be || !(be->flags & LBXDP_BE_F_USED) || (__u16)be->gen != w->gen ||
	    be->vip_id != vip_id)
		return NULL;
	return be;
}

/* A backend that may take a new flow of @vip. Tables hold only such ones,
 * but a writer killed between a record and its table flip leaves others. */
static __always_inline bool schedulable(const struct lbxdp_backend *be,
					const struct lbxdp_vip *vip)
{
	return be && (be->flags & LBXDP_BE_F_USED) &&
	       !(be->flags & (LBXDP_BE_F_DOWN | LBXDP_BE_F_DRAINING)) &&
	       be->vip_id == vip->id;
}

/*
 * The Maglev hash of @p's flow, into p->hash, computed before the VIP is
 * known: the slot's table load waits on its chain of multiplies, which
 * thus overlaps the VIP lookup instead of following it (1M mh flows: +39
 * -> +34 ns a packet by the loop on an AMD machine; no change with live
 * frames on an Intel one). An sh VIP hashes its source instead, so its
 * packets pay this for nothing. IPv4 only here: a constant family keeps
 * the IPv6 hash out of the program.
 */
static __always_inline void flow_hash(struct pkt *p)
{
	__u32 h = lbxdp_hash_flow(p->fk.src, p->fk.dst, p->fk.sport,
				  p->fk.dport, p->fk.proto, LBXDP_AF_INET);

	/* Here, not sunk to its first use by the compiler. */
	asm volatile("" : "+r"(h));
	p->hash = h;
}

/* The Maglev slot of @p's flow for scheduler @sched (cfg->ring_size > 0). */
static __always_inline __u32 ring_slot(__u8 sched,
				       const struct lbxdp_config *cfg,
				       const struct pkt *p)
{
	__u32 h = p->hash;

	if (sched == LBXDP_SCHED_SH)
		h = lbxdp_hash_addr(p->fk.src, LBXDP_SEED_FLOW);
	return lbxdp_ring_slot(h, cfg->ring_size);
}

/* New-flow choice from table slot @slot of @vip; 0 when there is none. */
static __always_inline __u32 pick(const struct lbxdp_vip *vip,
				  const struct lbxdp_config *cfg,
				  const struct pkt *p, bool by_hash, __u32 slot)
{
	struct lbxdp_table *t;
	__u32 tidx, idx;
	__u32 *e, *cur;

	tidx = vip->id * 2 + (slot & 1);
	if (!by_hash &&
	    (vip->sched == LBXDP_SCHED_WRR || vip->sched == LBXDP_SCHED_RR)) {
		t = bpf_map_lookup_elem(&tables, &tidx);
		if (!t || !t->nbackends || !t->wrr_len)
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

	/* The hashed path reads the ring whatever the slot's backend count
	 * says, and a slot may name ids that are no usable backend of this
	 * VIP: one that vip add reset may keep what a VIP deleted earlier
	 * under this id left in its ring (vip add zeroes the counts, not the
	 * ring), and a writer killed between a record and its flip leaves a
	 * table older than the records. So an id is a candidate only:
	 * schedulable() takes it if its record is, now, used, neither down
	 * nor draining, and this VIP's (weight is not checked), and refuses
	 * the rest: records freed at vip del or vip add, or since reused by
	 * another VIP. */
	if (!cfg->ring_size)
		return 0;
	idx = tidx * cfg->ring_size + ring_slot(vip->sched, cfg, p);
	e = bpf_map_lookup_elem(&maglev, &idx);
	return e ? *e : 0;
}

/*
 * vip_slot counts the flips; its low bit is the live slot. A writer fills
 * the spare slot, the one live before the previous flip: a packet that was
 * still reading it (a preempted generic-XDP run) sees the count move and
 * reads again; one that never sees it settle drops the frame (no_backend).
 * The loads are plain: ordered on x86 (TSO); weaker CPUs need acquire loads.
 */
static __always_inline __u32 schedule(const struct lbxdp_vip *vip,
				      const struct lbxdp_config *cfg,
				      const struct pkt *p, bool by_hash)
{
	__u32 *slot, seq, id;
	int i;

	slot = bpf_map_lookup_elem(&vip_slot, &vip->id);
	if (!slot)
		return 0;
	seq = *(volatile __u32 *)slot;
	for (i = 0; i < 3; i++) {
		__u32 again;

		id = pick(vip, cfg, p, by_hash, seq);
		again = *(volatile __u32 *)slot;
		if (again == seq)
			return id;
		seq = again;
	}
	return 0;
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

/* Out to backend @be_id of VIP @vip_id, whose MAC is @mac. */
static __always_inline int tx(struct ethhdr *eth,
			      const struct lbxdp_config *cfg, const __u8 *mac,
			      __u32 be_id, __u32 vip_id, const struct pkt *p,
			      bool new_flow)
{
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, cfg->mac, ETH_ALEN);
	count(bpf_map_lookup_elem(&stats_vip, &vip_id), p->len, new_flow);
	count(bpf_map_lookup_elem(&stats_backend, &be_id), p->len, new_flow);
	return XDP_TX;
}

/* The program runs on cfg->ifindex alone (one interface per pin dir, one
 * link), so its MAC is the whole test; ctx->ingress_ifindex would cost
 * three dependent loads on every forwarded frame. */
static __always_inline bool our_mac(const struct ethhdr *eth,
				    const struct lbxdp_config *cfg)
{
	return mac_eq(eth->h_dest, cfg->mac);
}

/* A frame for @vip that is ours to forward: addressed to our MAC (a VRRP
 * backup forwards too, DESIGN.md §3: the VIP has no "active" state). Else
 * counted. */
static __always_inline bool claim(const struct ethhdr *eth,
				  const struct lbxdp_config *cfg,
				  const struct lbxdp_vip *vip,
				  struct lbxdp_global_stats *gs)
{
	if (!our_mac(eth, cfg)) {
		gs->not_our_mac++;
		return false;
	}
	return true;
}

/* The service of @p, into @vip, if it is ours to forward; else false, the
 * frame counted (passed: no service; not_our_mac) to be passed. */
static __always_inline bool vip_claim(const struct ethhdr *eth,
				      const struct lbxdp_config *cfg,
				      const struct pkt *p,
				      struct lbxdp_global_stats *gs,
				      struct lbxdp_vip *vip)
{
	if (!vip_lookup(cfg, p, p->fk.dst[0], p->fk.dport, p->fk.proto, vip)) {
		gs->passed++;
		return false;
	}
	return claim(eth, cfg, vip, gs);
}

/* CLOCK_MONOTONIC_COARSE, from jiffies: bpf_jiffies64() is inlined into one
 * load, bpf_ktime_get_coarse_ns() is a call. */
static __always_inline __u64 now_ns(const struct lbxdp_config *cfg)
{
	if (!cfg->ns_per_jiffy)
		return bpf_ktime_get_coarse_ns();
	return cfg->clock_ns0 +
	       (bpf_jiffies64() - cfg->clock_j0) * cfg->ns_per_jiffy;
}

/* Idle time of an entry; one user space stamped a tick ahead is not. */
static __always_inline __u64 age(const struct pkt *p,
				 const struct lbxdp_flow *f)
{
	return p->now > f->last_seen_ns ? p->now - f->last_seen_ns : 0;
}

/* The flow table's clock: now in units of 2^24 ns, never 0 (a free way). */
static __always_inline __u32 seen_now(const struct pkt *p)
{
	return lbxdp_ft_seen(p->now);
}

/* Idle time of a flow entry, to its unit (16.8 ms); one stamped ahead
 * (user space's clock a tick ahead) is not idle. */
static __always_inline __u64 way_age(const struct pkt *p,
				     const struct lbxdp_ft_way *w)
{
	return (__u64)lbxdp_ft_age(seen_now(p), w->seen) << LBXDP_FT_SEEN_SHIFT;
}

static __always_inline __u32 ft_tmo(const struct lbxdp_config *cfg)
{
	return lbxdp_ft_tmo(cfg->tcp_timeout, cfg->udp_timeout);
}

/* The flow table's key of @p's flow: client, ports, the VIP's id. */
static __always_inline void way_key(struct lbxdp_ft_way *k, const struct pkt *p,
				    __u32 vip_id)
{
	k->saddr = p->fk.src[0];
	k->sport = p->fk.sport;
	k->dport = p->fk.dport;
	k->vip = (__u16)vip_id;
}

/* @p's flow entry: 1 found (into *w, its way *at), 0 none, FT_BUSY. The
 * key is built in *w (a found way has the same): the stack is short. */
static __always_inline int flow_find(const struct lbxdp_config *cfg,
				     const struct pkt *p, __u32 vip_id,
				     struct lbxdp_ft_way *w,
				     struct lbxdp_ft_way **at)
{
	way_key(w, p, vip_id);
	return ft_find(cfg->ft_nbuckets, cfg->ft_seed, w, w, at);
}

/*
 * Writes flow entry @w (FT_* result), unless @keep is FT_KEEP and another
 * CPU placed the flow since this one found none: then *w is that entry
 * (ft_put()'s other modes are for user space's writer). A global
 * function, which the verifier walks once on its own: inlined, the put's
 * move and eviction would multiply the states of every path to it.
 */
__noinline int flow_put(struct lbxdp_ft_way *w, __u32 nb, __u32 seed, __u32 tmo,
			int keep)
{
	if (!w)
		return -22; /* EINVAL */
	/* Its new flows are seen now. */
	return ft_put(nb, seed, w, w->seen, tmo, keep);
}

static __always_inline void persist_key(struct lbxdp_persist_key *pk,
					const struct pkt *p, __u32 vip_id)
{
	pk->client[0] = p->fk.src[0];
	pk->vip_id = vip_id;
	pk->family = LBXDP_AF_INET;
}

/* How long a flow of @proto may be idle and still be the same flow. */
static __always_inline __u64 flow_timeout(const struct lbxdp_config *cfg,
					  __u8 proto)
{
	return (__u64)(proto == IPPROTO_TCP ? cfg->tcp_timeout
					    : cfg->udp_timeout) *
	       NSEC;
}

/* The client's persistent server for @vip, or 0. IPVS honours affinity to
 * a quiesced (weight 0) server, never to a down or removed one. */
static __always_inline __u32 persisted_backend(const struct lbxdp_vip *vip,
					       const struct pkt *p,
					       struct lbxdp_persist_key *pk)
{
	struct lbxdp_backend *be;
	struct lbxdp_flow *pe;

	persist_key(pk, p, vip->id);
	pe = bpf_map_lookup_elem(&persist, pk);
	if (!pe || age(p, pe) > (__u64)vip->persist_sec * NSEC)
		return 0;
	be = backend_get(pe->backend, pe->gen, vip->id);
	if (!be || (be->flags & (LBXDP_BE_F_DOWN | LBXDP_BE_F_DRAINING)))
		return 0;
	return pe->backend;
}

#define RESCHEDULE (-1)
#define STATELESS (-2) /* forward_stateless() it, the flood guard says */

_Static_assert(LBXDP_MEMO_SIZE == 1U << 12, "memo_idx() takes 12 bits");

/* The memo hash of an IPv4 flow (its other address words are zero): one
 * 64-bit multiply; a poor spread costs only hits. Its top 12 bits are the
 * flow's memo slot, the 16 below them its tag (memo_tag_of()). */
static __always_inline __u64 memo_hash(const struct lbxdp_flow_key *k)
{
	__u64 x = (__u64)(k->src[0] ^ lbxdp_rotl32(k->dst[0], 7)) << 32 |
		  (__u32)k->sport << 16 | k->dport;

	/* The high bits of a product mix every input bit. */
	return x * 0x9e3779b97f4a7c15ULL;
}

/* This CPU's index of @h's memo, in flow_memo_cpu and flow_memo_tags. */
static __always_inline __u32 memo_idx(__u64 h)
{
	return bpf_get_smp_processor_id() * LBXDP_MEMO_SIZE + (h >> (64 - 12));
}

/* The tag of memo @idx in this program's flow_memo_tags, 16 bits a memo,
 * four an element. */
static __always_inline __u16 *memo_tag(__u32 idx)
{
	__u32 e = idx / 4;
	__u16 *t = bpf_map_lookup_elem(&flow_memo_tags, &e);

	return t ? t + (idx & 3) : NULL;
}

/* 15 bits of @h's 16 below the slot's: a flow that shares a slot with
 * another shares its tag one time in 32768. */
static __always_inline __u16 memo_tag_of(__u64 h)
{
	return (__u16)(h >> (64 - 28)) | 1; /* never 0: no memo */
}

/*
 * This CPU's memo slot of @p's flow, for memo_hit(), memo_set() and
 * memo_forget(); NULL (no memo) until then. The CPU's part of one array:
 * a per-CPU array's lookup loads the CPU's pointer to it first, one more
 * cache miss in a row when a million flows pass. Its tag says whether the
 * slot may hold the flow (returned): 8 KB a CPU, in the caches where the
 * memos (256 KB) are not, so that a flow with no memo reads no memo.
 */
static __always_inline bool memo_find(struct pkt *p)
{
	__u64 h = memo_hash(&p->fk);
	__u32 idx = memo_idx(h);
	__u16 *t = memo_tag(idx);

	p->memo = bpf_map_lookup_elem(&flow_memo_cpu, &idx);
	return t && *t == memo_tag_of(h);
}

/* Whether two IPv4 flow keys are one: the words that can differ, the
 * addresses' first two (their others are 0), then ports, protocol and
 * family. Memos hold the keys of packets (IPv4) or none (family 0). */
static __always_inline bool key_eq(const struct lbxdp_flow_key *a,
				   const struct lbxdp_flow_key *b)
{
	const __u64 *x = (const void *)a, *y = (const void *)b;

	return x[0] == y[0] && x[2] == y[2] && x[4] == y[4];
}

/* What a memo may stand for: what established() would decide again for any
 * packet of the flow, SYN or not, i.e. a backend that takes new flows. */
static __always_inline bool memo_worthy(const struct lbxdp_backend *be)
{
	return (be->flags & (LBXDP_BE_F_USED | LBXDP_BE_F_DOWN |
			     LBXDP_BE_F_DRAINING)) == LBXDP_BE_F_USED &&
	       be->weight;
}

#define MEMO_REFRESH (REFRESH_NS >> LBXDP_MEMO_SHIFT)
_Static_assert(LBXDP_MEMO_SHIFT == LBXDP_FT_SEEN_SHIFT,
	       "a memo's at wraps with its entry's seen");

/*
 * A flow this CPU forwarded lately, to a backend that takes new flows, with
 * no record changed since (config.gen): forwarded again from the memo alone,
 * without the flow table or the backend and VIP records. RESCHEDULE
 * otherwise, for the full path. The flows map stays the truth: a memo lasts
 * only until its table entry is due for a refresh, which established() then
 * does, and any change of a VIP or backend record voids every memo.
 */
static __always_inline int memo_hit(struct ethhdr *eth,
				    const struct lbxdp_config *cfg,
				    struct pkt *p,
				    struct lbxdp_global_stats *gs)
{
	struct lbxdp_flow_memo *m = p->memo;

	if (!m || m->gen != p->gen ||
	    (__u32)(p->now >> LBXDP_MEMO_SHIFT) - m->at > MEMO_REFRESH ||
	    !key_eq(&m->key, &p->fk))
		return RESCHEDULE;
	/* The VIP and backend records are those the memo was made from. */
	if (!mac_eq(eth->h_dest, cfg->mac)) {
		gs->not_our_mac++;
		return XDP_PASS;
	}
	gs->forwarded++;
	return tx(eth, cfg, m->mac, m->backend, m->vip_id, p, false);
}

/* The flow was placed anew: this CPU's memo of it, if any, is void. */
static __always_inline void memo_forget(const struct pkt *p)
{
	/* A key of family 0 matches no packet. */
	if (p->memo && key_eq(&p->memo->key, &p->fk))
		p->memo->key.family = 0;
}

/* Remember @p's flow on this CPU, as of @at_ns: the time its table entry
 * was last refreshed, so the memo expires when the entry is due again. */
static __always_inline void memo_set(const struct pkt *p, __u32 be_id,
				     const struct lbxdp_backend *be,
				     __u64 at_ns)
{
	struct lbxdp_flow_memo *m = p->memo;
	__u16 *t;
	__u64 h;

	if (!m)
		return;
	/* Void, fill, then validate, as in vip_lookup(). */
	m->gen = p->gen - 1;
	barrier();
	m->key = p->fk;
	m->backend = be_id;
	m->vip_id = be->vip_id;
	__builtin_memcpy(m->mac, be->mac, ETH_ALEN);
	m->at = at_ns >> LBXDP_MEMO_SHIFT;
	barrier();
	m->gen = p->gen;
	h = memo_hash(&p->fk);
	t = memo_tag(memo_idx(h));
	if (t)
		*t = memo_tag_of(h);
}

/* The program's clock in epochs (abi.h): never 0, which means never. */
static __always_inline __u32 epoch(const struct pkt *p)
{
	return (__u32)(p->now >> LBXDP_EPOCH_SHIFT) + 1;
}

/* Whether epoch @at (0: never) lies within the idle timeout of @p's flows.
 * Three epochs spare: the rounding of both ends, and a writer whose clock
 * (user space's) runs a tick ahead, which reads as recent too. */
static __always_inline bool recent(const struct lbxdp_config *cfg,
				   const struct pkt *p, __u32 at)
{
	__u32 tmo =
		(__u32)(flow_timeout(cfg, p->fk.proto) >> LBXDP_EPOCH_SHIFT) +
		3;

	return at && (__s32)(epoch(p) - at) <= (__s32)tmo;
}

/* A flow entry of @p's slot was written or refreshed: its slot's packets
 * look their flows up for a timeout. Stored only forward (a run that began
 * earlier must not date it back), and when the epoch moved only, so a busy
 * slot's line is not dirtied by every refresh. */
static __always_inline void jet_track(const struct pkt *p)
{
	__u32 *t, e = epoch(p);

	if (!p->jet)
		return;
	t = bpf_map_lookup_elem(&ring_track, &p->slot);
	if (t && (__s32)(e - *t) > 0)
		*t = e;
	t = bpf_map_lookup_elem(&vip_track, &p->vip_id);
	if (t && (__s32)(e - *t) > 0)
		*t = e;
}

/*
 * A packet of a flow in the table: forwarded to the flow's backend while the
 * backend is up and the flow not idle past its protocol's timeout, with no
 * VIP key lookup (the backend knows its VIP). RESCHEDULE otherwise; a SYN
 * that reuses the ports of an old flow on a quiesced or draining server is
 * a new connection and rescheduled too.
 */
static __always_inline int established(struct ethhdr *eth,
				       const struct lbxdp_config *cfg,
				       struct lbxdp_ft_way *flow,
				       struct lbxdp_ft_way *at, struct pkt *p,
				       struct lbxdp_global_stats *gs)
{
	struct lbxdp_persist_key pk = {};
	__u64 idle = way_age(p, flow);
	struct lbxdp_backend *be;
	struct lbxdp_flow *pe;
	struct lbxdp_vip *vip;
	__u32 be_id = flow->backend;
	bool memo;

	if (idle > flow_timeout(cfg, p->fk.proto))
		return RESCHEDULE;
	be = bpf_map_lookup_elem(&backends, &be_id);
	if (!be || !(be->flags & LBXDP_BE_F_USED) ||
	    (__u16)be->gen != flow->gen)
		return RESCHEDULE;
	vip = bpf_map_lookup_elem(&vip_info, &be->vip_id);
	if (!vip)
		return RESCHEDULE;
	if (!claim(eth, cfg, vip, gs))
		return XDP_PASS;
	if (be->flags & LBXDP_BE_F_DOWN) {
		gs->down_resched++;
		p->resched = true;
		return RESCHEDULE;
	}
	if (p->syn && (!be->weight || (be->flags & LBXDP_BE_F_DRAINING)))
		return RESCHEDULE;

	memo = memo_worthy(be);
	if (idle > REFRESH_NS) {
		/* A refresh fails if a writer took the way since the find
		 * (a move still holding the buckets, an eviction, a delete):
		 * then no memo, so that the next packet finds what is left. */
		if (!ft_refresh(cfg->ft_nbuckets, cfg->ft_seed, at, flow,
				seen_now(p)))
			memo = false;
		idle = 0;
		jet_track(p);
		if (vip->persist_sec) {
			persist_key(&pk, p, vip->id);
			pe = bpf_map_lookup_elem(&persist, &pk);
			if (pe && pe->backend == be_id)
				pe->last_seen_ns = p->now;
		}
	}
	if (memo)
		memo_set(p, be_id, be, p->now - idle);
	gs->forwarded++;
	return tx(eth, cfg, be->mac, be_id, vip->id, p, false);
}

/*
 * The flood guard: counts this CPU's new flows in the current second and
 * says whether @p's is one too many, or comes within LBXDP_FLOOD_HOLD_S of
 * one that was. Per CPU and plain stores: a count, not a lock; a second
 * starts when the first new flow sees the last one over.
 */
static __always_inline bool flooded(const struct lbxdp_config *cfg,
				    const struct pkt *p,
				    struct lbxdp_global_stats *gs)
{
	if (!cfg->flood_rate)
		return false;
	if (p->now - gs->flood.window_ns >= NSEC) {
		gs->flood.window_ns = p->now;
		gs->flood.count = 0;
	}
	if (++gs->flood.count > cfg->flood_rate) {
		gs->flood.over_ns = p->now;
		return true;
	}
	return p->now - gs->flood.over_ns < LBXDP_FLOOD_HOLD_S * NSEC;
}

/* Whether @vip's new flows are placed by its Maglev table anyway (mh,
 * sh): then a flow lands the same with or without an entry. */
static __always_inline bool hash_placed(const struct lbxdp_vip *vip)
{
	return vip->sched == LBXDP_SCHED_MH || vip->sched == LBXDP_SCHED_SH;
}

/* A VIP whose TCP flows need an entry only where a table change may move
 * them (abi.h "ring_meta"): placed by its Maglev table, with no client
 * affinity to keep. */
static __always_inline bool jet_vip(const struct lbxdp_vip *vip,
				    const struct pkt *p)
{
	return p->fk.proto == IPPROTO_TCP && hash_placed(vip) &&
	       !vip->persist_sec;
}

#define LOOKUP (-3) /* jet_forward(): the flow table decides */

/*
 * Slot @s of VIP @vip_id's live Maglev table with its history (ring_meta),
 * read under vip_slot's flip count, as in schedule(): into *cur the backend
 * it names, into *base the one that flows of the slot without an entry may
 * still be on, when it changed from that one within the timeout (0: they
 * are on *cur). False when it cannot tell.
 */
static __always_inline bool slot_read(const struct lbxdp_config *cfg,
				      __u32 vip_id, __u32 s,
				      const struct pkt *p, __u32 *cur,
				      __u32 *base)
{
	__u32 *flips, *e, *sum, seq, again, tidx, idx, c = 0, b = 0, left = 0;
	struct lbxdp_ring_meta *m;
	bool read = false;
	int i;

	flips = bpf_map_lookup_elem(&vip_slot, &vip_id);
	if (!flips)
		return false;
	seq = *(volatile __u32 *)flips;
	for (i = 0; i < 3 && !read; i++) {
		tidx = vip_id * 2 + (seq & 1);
		idx = tidx * cfg->ring_size + s;
		e = bpf_map_lookup_elem(&maglev, &idx);
		sum = bpf_map_lookup_elem(&ring_left, &tidx);
		if (!e || !sum)
			return false;
		c = *e;
		b = 0;
		/* The slots' history only where a slot may need it: a
		 * million flows' slots are far beyond the caches. */
		if (recent(cfg, p, *sum)) {
			m = bpf_map_lookup_elem(&ring_meta, &idx);
			if (!m)
				return false;
			b = m->base;
			left = m->left;
		}
		barrier(); /* the reads above before the count's */
		again = *(volatile __u32 *)flips;
		read = again == seq;
		seq = again;
	}
	if (!read)
		return false;
	*cur = c;
	*base = b && b != c && recent(cfg, p, left) ? b : 0;
	return true;
}

/*
 * Where a TCP packet of a jet_vip() goes with no flow lookup: the backend
 * its slot of the live Maglev table names, when no flow of the slot can be
 * elsewhere: none has had an entry within the timeout (ring_track), and
 * the slot has not changed within it from a backend that flows without an
 * entry may still be on (ring_meta). 0 otherwise, with p->jet, p->base and
 * p->slot set for the flow table's path (p->jet unset: it cannot tell).
 */
static __always_inline __u32 jet_locate(const struct lbxdp_config *cfg,
					const struct lbxdp_vip *vip,
					struct pkt *p)
{
	__u32 *track, s, cur, base;

	if (!cfg->ring_size)
		return 0;
	s = ring_slot(vip->sched, cfg, p);
	if (!slot_read(cfg, vip->id, s, p, &cur, &base))
		return 0;
	p->jet = true;
	p->cur = cur;
	p->slot = vip->id * cfg->ring_size + s;
	p->vip_id = vip->id;
	p->base = base;
	if (p->base)
		return 0;
	/* No entry of the VIP's written within the timeout: none of the
	 * slot's either. */
	track = bpf_map_lookup_elem(&vip_track, &vip->id);
	if (track && !recent(cfg, p, *track))
		return cur;
	track = bpf_map_lookup_elem(&ring_track, &p->slot);
	if (!track || recent(cfg, p, *track))
		return 0;
	return cur;
}

static __always_inline int jet_forward(struct ethhdr *eth,
				       const struct lbxdp_config *cfg,
				       const struct lbxdp_vip *vip,
				       struct pkt *p,
				       struct lbxdp_global_stats *gs)
{
	struct lbxdp_backend *be;
	__u32 id = jet_locate(cfg, vip, p);

	/* The master of a flow sync pair tracks every flow, placed by the
	 * slots' history: the peer it fails over to has its entries only. */
	if (cfg->flags & LBXDP_CFG_F_SYNC)
		return LOOKUP;
	be = id ? bpf_map_lookup_elem(&backends, &id) : NULL;
	if (!schedulable(be, vip))
		return LOOKUP;
	/* Placed without an entry during a flood, as the guard would. */
	if (p->flood)
		gs->flood_stateless++;
	gs->forwarded++;
	return tx(eth, cfg, be->mac, id, vip->id, p, p->syn);
}

/* A TCP VIP whose scheduler changed from mh or sh within the timeout
 * (abi.h "vip_prior"): the flows that one placed without an entry are
 * found by its slots. NULL for none. */
static __always_inline const struct lbxdp_vip_prior *
prior_of(const struct lbxdp_config *cfg, const struct lbxdp_vip *vip,
	 const struct pkt *p)
{
	struct lbxdp_vip_prior *pr;

	pr = bpf_map_lookup_elem(&vip_prior, &vip->id);
	return pr && recent(cfg, p, pr->since) ? pr : NULL;
}

/* Where @pr's scheduler placed @p's flow, had it no entry: its slot's
 * base, else its backend. 0 when that cannot be told. */
static __always_inline __u32 prior_place(const struct lbxdp_config *cfg,
					 const struct lbxdp_vip *vip,
					 const struct lbxdp_vip_prior *pr,
					 const struct pkt *p)
{
	__u32 cur, base;

	if (!cfg->ring_size ||
	    !slot_read(cfg, vip->id, ring_slot(pr->sched, cfg, p), p, &cur,
		       &base))
		return 0;
	return base ? base : cur;
}

/* The backend a flow without an entry is on, when its slot changed from
 * it within the timeout (p->base): still a record of @vip, which keeps its
 * flows quiesced or removed, not down. NULL for none. */
static __always_inline struct lbxdp_backend *
jet_base(const struct lbxdp_vip *vip, const struct pkt *p)
{
	__u32 id = p->base;
	struct lbxdp_backend *be;

	if (!id)
		return NULL;
	be = bpf_map_lookup_elem(&backends, &id);
	if (!be || !(be->flags & LBXDP_BE_F_USED) || be->vip_id != vip->id)
		return NULL;
	return be;
}

/*
 * A new flow beyond the flood guard's rate: placed by the VIP's Maglev
 * table and given no flow entry. Its next packet (which a spoofed SYN never
 * sends) misses the table, takes the same Maglev slot and makes the entry.
 */
static __always_inline int forward_stateless(struct ethhdr *eth,
					     const struct lbxdp_config *cfg,
					     const struct lbxdp_vip *vip,
					     const struct pkt *p,
					     struct lbxdp_global_stats *gs)
{
	struct lbxdp_backend *be;
	__u32 be_id;

	be_id = p->jet ? p->cur : schedule(vip, cfg, p, true);
	be = be_id ? bpf_map_lookup_elem(&backends, &be_id) : NULL;
	if (!schedulable(be, vip)) {
		gs->no_backend++;
		return XDP_DROP;
	}
	gs->flood_stateless++;
	gs->forwarded++;
	return tx(eth, cfg, be->mac, be_id, vip->id, p, true);
}

/*
 * Tell the flow sync daemon of the entries forward_new() just wrote. A full
 * ring (the daemon lags) loses the event, counted: the backup then places
 * that flow as a fresh LB would.
 */
static __always_inline void sync_report(const struct pkt *p, __u32 be_id,
					const struct lbxdp_backend *be,
					__u32 vip_id, __u8 kind)
{
	struct lbxdp_sync_event *ev;
	struct lbxdp_sync_stats *st;
	__u32 zero = 0;

	ev = bpf_ringbuf_reserve(&sync_ring, sizeof(*ev), 0);
	if (!ev) {
		st = bpf_map_lookup_elem(&sync_stats, &zero);
		if (st)
			st->ring_full++;
		return;
	}
	ev->key = p->fk;
	__builtin_memcpy(ev->backend_addr, be->addr, sizeof(ev->backend_addr));
	ev->vip_id = vip_id;
	ev->backend = be_id;
	ev->gen = be->gen;
	ev->kind = kind;
	ev->pad[0] = 0;
	ev->pad[1] = 0;
	ev->pad[2] = 0;
	bpf_ringbuf_submit(ev, 0);
}

/*
 * A new flow, or one whose backend went away: persistence first, then the
 * scheduler. A TCP packet that is not a SYN goes by the Maglev table whatever
 * the scheduler, so a restarted or failed-over LB sends it where an mh peer
 * would.
 */
static __always_inline int forward_new(struct ethhdr *eth,
				       const struct lbxdp_config *cfg,
				       const struct lbxdp_vip *vip,
				       struct pkt *p,
				       struct lbxdp_global_stats *gs)
{
	const struct lbxdp_vip_prior *pr = prior_of(cfg, vip, p);
	struct lbxdp_persist_key pk = {};
	struct lbxdp_backend *be, *kb;
	struct lbxdp_ft_way nw_ = {}, *nw = &nw_;
	struct lbxdp_flow nf = {};
	bool by_hash, opens, persisted = false, kept = false;
	__u32 be_id = 0;
	int r;

	/* A new UDP flow of an mh or sh VIP counts for the flood guard, and
	 * beyond it is placed statelessly: each of its packets lands where
	 * the first did. A wrr or rr flow could not: once the guard let go,
	 * its next packet would be scheduled anew. */
	if (p->fk.proto == IPPROTO_UDP && !p->resched && !vip->persist_sec &&
	    hash_placed(vip) && flooded(cfg, p, gs))
		return STATELESS;
	by_hash = p->fk.proto == IPPROTO_TCP && !p->syn;
	/* A jet flow has no entry by design: no miss. */
	if (by_hash && !p->resched && !p->jet && !pr)
		gs->flow_miss_nonsyn++;

	if (vip->persist_sec) {
		be_id = persisted_backend(vip, p, &pk);
		if (be_id) {
			persisted = true;
			gs->persist_hits++;
		}
	}
	/* A flow of a jet VIP whose slot changed: without an entry, it was
	 * placed before the change; of a VIP whose scheduler changed from a
	 * jet one, by that one. */
	if (by_hash && !p->resched) {
		if (pr)
			p->base = prior_place(cfg, vip, pr, p);
		be = jet_base(vip, p);
		if (be && (be->flags & LBXDP_BE_F_DOWN)) {
			gs->down_resched++;
			p->resched = true;
		} else if (be) {
			be_id = p->base;
			kept = true;
		}
	}
	/* The table read with the slot's history: one flipped since must
	 * not place a flow that gets no entry by another base. */
	if (!be_id && p->jet)
		be_id = p->cur;
	if (!be_id)
		be_id = schedule(vip, cfg, p, by_hash);
	be = be_id ? bpf_map_lookup_elem(&backends, &be_id) : NULL;
	/* Persistence or a slot's history may keep a quiesced one; the
	 * tables never a down, removed or foreign one. */
	if (!be || !(be->flags & LBXDP_BE_F_USED) ||
	    (!persisted && !kept && !schedulable(be, vip))) {
		gs->no_backend++;
		return XDP_DROP;
	}
	/* A new flow for the counters: a TCP packet that merely missed
	 * the table (a failover, or the ACK of a flow the guard placed) was
	 * counted when its SYN was, on this LB or its peer. */
	opens = p->fk.proto != IPPROTO_TCP || p->syn || p->resched;

	nf.backend = be_id;
	nf.gen = be->gen;
	nf.last_seen_ns = p->now;
	/* A jet flow needs an entry where its slot's history would place it
	 * elsewhere, or to replace the one it has, or for flow sync, or while
	 * a miss goes by the scheduler before. */
	if (p->jet && !p->base && !p->entry &&
	    !(cfg->flags & LBXDP_CFG_F_SYNC) && !pr)
		goto out;
	way_key(nw, p, vip->id);
	nw->backend = be_id;
	nw->gen = (__u16)be->gen;
	nw->seen = seen_now(p);
	/* An entry it found (expired, or its server gone) is written over;
	 * where it found none, one another CPU wrote since is kept and
	 * followed, so that one flow on two CPUs goes to one server. */
	r = flow_put(nw, cfg->ft_nbuckets, cfg->ft_seed, ft_tmo(cfg),
		     p->entry ? FT_OVER : FT_KEEP);
	if (r == FT_BUSY) {
		gs->flow_busy++;
		return XDP_DROP;
	}
	if (r == FT_KEPT && nw->backend != be_id) {
		kb = way_backend(nw, vip->id);
		if (kb && !(kb->flags & LBXDP_BE_F_DOWN)) {
			be_id = nw->backend;
			be = kb;
			nf.backend = be_id;
			nf.gen = be->gen;
		}
	}
	jet_track(p);
	memo_forget(p);
	if (vip->persist_sec)
		bpf_map_update_elem(&persist, &pk, &nf, BPF_ANY);
	/* A persistence entry that was kept is the peer's already. */
	if (cfg->flags & LBXDP_CFG_F_SYNC)
		sync_report(p, be_id, be, vip->id,
			    LBXDP_SYNC_FLOW | (vip->persist_sec && !persisted
						       ? LBXDP_SYNC_PERSIST
						       : 0));
out:
	gs->forwarded++;
	return tx(eth, cfg, be->mac, be_id, vip->id, p, opens);
}

/* ICMP that is not forwarded: the kernel's, counted icmp_passed when it is
 * to a VIP address. */
static __always_inline int icmp_pass(const struct lbxdp_config *cfg,
				     __be32 daddr,
				     struct lbxdp_global_stats *gs)
{
	if (is_vip_addr(cfg, daddr))
		gs->icmp_passed++;
	else
		gs->passed++;
	return XDP_PASS;
}

/*
 * ICMP "fragmentation needed" about a VIP flow: the embedded header is the
 * server's reply (VIP -> client), so the flow is the reverse of it. Sent to
 * that flow's server so path-MTU discovery works; never creates a flow.
 * Only one about a reply from the address it is sent to: a router sends it
 * to the reply's source, and one that names another VIP is not about ours.
 * The quote ends at @tot_len, as any header does: what lies beyond is
 * Ethernet padding. Not forwarded: the kernel's (icmp_pass()).
 */
static __always_inline int handle_icmp(struct xdp_md *ctx, struct ethhdr *eth,
				       struct iphdr *iph, void *end,
				       __u16 tot_len,
				       const struct lbxdp_config *cfg,
				       struct lbxdp_global_stats *gs)
{
	struct icmphdr *icmp = (void *)(iph + 1);
	const struct lbxdp_vip_prior *pr;
	struct lbxdp_persist_key pk = {};
	struct lbxdp_ft_way flow, *at;
	struct lbxdp_backend *be;
	struct lbxdp_vip *vip;
	struct pkt *p;
	__u32 zero = 0;
	struct iphdr *in;
	__be16 *ports;
	__u32 be_id = 0, fast;
	int found;

	if ((void *)(icmp + 1) > end)
		goto not_ours;
	if (icmp->type != ICMP_DEST_UNREACH || icmp->code != ICMP_FRAG_NEEDED)
		goto not_ours;
	in = (void *)(icmp + 1);
	/* About a packet the VIP sent, and one whose ports it carries. */
	if ((void *)(in + 1) > end || in->version != 4 || in->ihl < 5 ||
	    in->saddr != iph->daddr || (in->frag_off & bpf_htons(IP_OFFSET)))
		goto not_ours;
	if (in->protocol != IPPROTO_TCP && in->protocol != IPPROTO_UDP)
		goto not_ours;
	ports = (void *)in + in->ihl * 4;
	if ((void *)(ports + 2) > end ||
	    sizeof(*iph) + sizeof(*icmp) + in->ihl * 4 + 4 > tot_len)
		goto not_ours;

	vip = vip_find(cfg, in->saddr, ports[0], in->protocol);
	if (!vip)
		goto not_ours;
	if (!claim(eth, cfg, vip, gs))
		return XDP_PASS;

	/* Runs on one CPU do not interleave (README, known limits): this
	 * CPU's copy is this run's alone. */
	p = bpf_map_lookup_elem(&pkt_scratch, &zero);
	if (!p)
		goto not_ours;
	__builtin_memset(p, 0, sizeof(*p));
	p->fk.src[0] = in->daddr;
	p->fk.dst[0] = in->saddr;
	p->fk.sport = ports[1];
	p->fk.dport = ports[0];
	p->fk.proto = in->protocol;
	p->fk.family = LBXDP_AF_INET;
	p->len = ctx->data_end - ctx->data;
	flow_hash(p);

	p->now = now_ns(cfg);

	/* Where the flow's next packet goes: its live entry, else what
	 * forward_new() would pick (persistence, then Maglev). A down
	 * server's flow moves with its next packet: tell the new one. With
	 * no server to tell it is no new flow to drop (no_backend): the
	 * kernel's, which has no socket for it. */
	fast = jet_vip(vip, p) ? jet_locate(cfg, vip, p) : 0;
	found = fast ? 0 : flow_find(cfg, p, vip->id, &flow, &at);
	if (found == FT_BUSY) {
		gs->flow_busy++;
		return XDP_DROP;
	}
	be = found && way_age(p, &flow) <= flow_timeout(cfg, p->fk.proto)
		     ? way_backend(&flow, vip->id)
		     : NULL;
	if (be && !(be->flags & LBXDP_BE_F_DOWN)) {
		be_id = flow.backend;
	} else {
		/* A slot's base, or the scheduler before's, first, as in
		 * forward_new(): persistence is never a jet VIP's own. */
		pr = be ? NULL : prior_of(cfg, vip, p);
		if (pr)
			p->base = prior_place(cfg, vip, pr, p);
		if (!be && (be = jet_base(vip, p)) &&
		    !(be->flags & LBXDP_BE_F_DOWN))
			be_id = p->base;
		else if (vip->persist_sec)
			be_id = persisted_backend(vip, p, &pk);
		if (be_id) {
			be = bpf_map_lookup_elem(&backends, &be_id);
		} else {
			be_id = p->jet ? p->cur : schedule(vip, cfg, p, true);
			be = be_id ? bpf_map_lookup_elem(&backends, &be_id)
				   : NULL;
			if (!schedulable(be, vip))
				be = NULL;
		}
		if (!be) {
			gs->icmp_passed++;
			return XDP_PASS;
		}
	}
	gs->icmp_forwarded++;
	return tx(eth, cfg, be->mac, be_id, vip->id, p, false);

not_ours:
	return icmp_pass(cfg, iph->daddr, gs);
}

/*
 * A frame we cannot parse whole: dropped if it is for a VIP address
 * on our MAC (never forwarded half-parsed), otherwise left to the kernel
 * like any frame that is not ours to forward.
 */
static __always_inline int bad_frame(const struct ethhdr *eth,
				     const struct lbxdp_config *cfg,
				     __be32 daddr, __u64 *counter,
				     struct lbxdp_global_stats *gs)
{
	if (!is_vip_addr(cfg, daddr)) {
		gs->passed++;
		return XDP_PASS;
	}
	if (!our_mac(eth, cfg)) {
		gs->not_our_mac++;
		return XDP_PASS;
	}
	(*counter)++;
	return XDP_DROP;
}

/*
 * A TCP/UDP frame with IP options (not a fragment): never forwarded. Its
 * ports are where the options end, so only a frame for a service that is
 * ours to forward (to our MAC) is dropped (ip_options); any other
 * is passed and counted as the same frame without options would be.
 */
static __always_inline int ip_options(const struct ethhdr *eth,
				      const struct lbxdp_config *cfg,
				      const struct iphdr *iph, void *end,
				      struct lbxdp_global_stats *gs)
{
	__u32 hlen = (iph->ihl & 0xf) * 4;
	const __be16 *ports = (const void *)iph + hlen;
	struct lbxdp_vip *vip;

	if ((const void *)(ports + 2) > end ||
	    bpf_ntohs(iph->tot_len) < hlen + 4)
		return bad_frame(eth, cfg, iph->daddr, &gs->malformed, gs);
	vip = maybe_vip_addr(cfg, iph->daddr)
		      ? vip_find(cfg, iph->daddr, ports[1], iph->protocol)
		      : NULL;
	if (!vip) {
		gs->passed++;
		return XDP_PASS;
	}
	if (!claim(eth, cfg, vip, gs))
		return XDP_PASS;
	gs->ip_options++;
	return XDP_DROP;
}

SEC("xdp")
int lbxdp_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct lbxdp_global_stats *gs;
	struct lbxdp_config *cfg;
	struct ethhdr *eth = data;
	struct lbxdp_ft_way flow, *at;
	struct lbxdp_vip *vip;
	struct iphdr *iph;
	struct lbxdp_vip vip_copy;
	struct pkt p = {};
	__u32 zero = 0;
	__u16 tot_len;
	int ret, found;

	gs = bpf_map_lookup_elem(&stats, &zero);
	cfg = bpf_map_lookup_elem(&config, &zero);
	if (!gs || !cfg)
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
	/* A broken IP header to a VIP address is malformed whatever it says
	 * its protocol is: that byte is part of what is broken, and the
	 * kernel's ip_rcv() would discard the frame anyway. */
	if (iph->version != 4 || iph->ihl < 5 || tot_len < iph->ihl * 4 ||
	    (void *)iph + tot_len > end)
		return bad_frame(eth, cfg, iph->daddr, &gs->malformed, gs);
	/* Services are TCP and UDP: other protocols to a VIP address (ping
	 * the LB, VRRP) are the kernel's, fragmented or not. */
	if (iph->protocol != IPPROTO_TCP && iph->protocol != IPPROTO_UDP &&
	    iph->protocol != IPPROTO_ICMP) {
		gs->passed++;
		return XDP_PASS;
	}
	if ((iph->frag_off & bpf_htons(IP_MF | IP_OFFSET)) || iph->ihl != 5) {
		/* Not looked into (its header moved or cut): the kernel's. */
		if (iph->protocol == IPPROTO_ICMP)
			return icmp_pass(cfg, iph->daddr, gs);
		if (!(iph->frag_off & bpf_htons(IP_MF | IP_OFFSET)))
			return ip_options(eth, cfg, iph, end, gs);
		return bad_frame(eth, cfg, iph->daddr, &gs->fragment, gs);
	}

	p.fk.proto = iph->protocol;
	if (iph->protocol == IPPROTO_TCP) {
		struct tcphdr *th = (void *)(iph + 1);

		if ((void *)(th + 1) > end || th->doff < 5 ||
		    tot_len < sizeof(*iph) + th->doff * 4)
			return bad_frame(eth, cfg, iph->daddr, &gs->malformed,
					 gs);
		p.fk.sport = th->source;
		p.fk.dport = th->dest;
		p.syn = th->syn && !th->ack;
	} else if (iph->protocol == IPPROTO_UDP) {
		struct udphdr *uh = (void *)(iph + 1);

		/* Its length covers its header and fits the IP packet, as
		 * the kernel's udp_rcv() wants (which trims a packet past
		 * it, so a shorter length is no error). */
		if ((void *)(uh + 1) > end ||
		    bpf_ntohs(uh->len) < sizeof(*uh) ||
		    sizeof(*iph) + bpf_ntohs(uh->len) > tot_len)
			return bad_frame(eth, cfg, iph->daddr, &gs->malformed,
					 gs);
		p.fk.sport = uh->source;
		p.fk.dport = uh->dest;
	} else if (iph->protocol == IPPROTO_ICMP) {
		return handle_icmp(ctx, eth, iph, end, tot_len, cfg, gs);
	} else {
		gs->passed++;
		return XDP_PASS;
	}

	if (!maybe_vip_addr(cfg, iph->daddr)) {
		gs->passed++;
		return XDP_PASS;
	}
	p.fk.src[0] = iph->saddr;
	p.fk.dst[0] = iph->daddr;
	p.fk.family = LBXDP_AF_INET;
	p.len = end - data;
	p.now = now_ns(cfg);
	/* Read before any record it vouches for: lbxdp moves it after the
	 * records. Plain loads keep that order on x86 (TSO); a weakly ordered
	 * CPU needs an acquire load here, as in schedule(). */
	p.gen = *(volatile const __u32 *)&cfg->gen;

	/* One call site for each of the paths below: each is inlined, and
	 * copies of them would only make the program bigger. A SYN is a new
	 * flow, a retransmission, or reuses the ports of an old flow: no
	 * memo probe (a cache miss for nothing). */
	if (!p.syn && memo_find(&p)) {
		ret = memo_hit(eth, cfg, &p, gs);
		if (ret != RESCHEDULE)
			return ret;
	}
	flow_hash(&p);
	if (!vip_claim(eth, cfg, &p, gs, &vip_copy))
		return XDP_PASS;
	vip = &vip_copy;
	/* Counted by the flood guard, which beyond its rate gives a new
	 * flow no entry. */
	if (p.syn)
		p.flood = !vip->persist_sec && flooded(cfg, &p, gs);
	if (jet_vip(vip, &p)) {
		ret = jet_forward(eth, cfg, vip, &p, gs);
		if (ret != LOOKUP)
			return ret;
	}
	/* Beyond the guard, a SYN whose tag neither of its buckets has
	 * has no entry: placed as one that was looked up and missed. */
	if (p.flood && (cfg->flags & LBXDP_CFG_F_TAGS) && !p.base &&
	    !prior_of(cfg, vip, &p)) {
		way_key(&flow, &p, vip->id);
		if (!ft_maybe(cfg->ft_nbuckets, cfg->ft_seed, &flow))
			goto place_stateless;
	}
	/* A SYN of the ports of a live entry goes where the entry says:
	 * looked up, on an mh or sh VIP too (jet_forward() placed those of
	 * slots without an entry within the timeout): a slot whose table
	 * named another server for a while keeps live entries there, though
	 * its history is gone once it names its old one again. */
	if (p.syn)
		memo_find(&p);
	found = flow_find(cfg, &p, vip->id, &flow, &at);
	if (found == FT_BUSY) {
		/* A writer holds its buckets (docs/flow-table.md): TCP
		 * sends it again; a miss could re-place the flow. */
		gs->flow_busy++;
		return XDP_DROP;
	}
	if (found) {
		p.entry = true;
		ret = established(eth, cfg, &flow, at, &p, gs);
		if (ret != RESCHEDULE)
			return ret;
	} else if (p.flood && !p.base && !prior_of(cfg, vip, &p)) {
		/* Beyond the guard, no entry; not where flows without one
		 * would go elsewhere (their slot changed, or a miss goes by
		 * the scheduler before): its ACK would, where it might not. */
		goto place_stateless;
	}
	/* An entry to reschedule is rewritten, guard or not: the flow's
	 * next packets would follow it. */
	ret = forward_new(eth, cfg, vip, &p, gs);
	if (ret != STATELESS)
		return ret;
place_stateless:
	return forward_stateless(eth, cfg, vip, &p, gs);
}

/* Read by lbxdp at attach, through BPF_PROG_TEST_RUN, to anchor now_ns(). */
__u64 clock_jiffies;

SEC("xdp")
int lbxdp_clock(struct xdp_md *ctx)
{
	clock_jiffies = bpf_jiffies64();
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
