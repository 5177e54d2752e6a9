/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * lbxdp map ABI: every struct here is a key or value of a pinned map, shared
 * verbatim by the XDP program and user space. Fixed-width fields only, no
 * implicit padding (explicit pad fields), no pointers. Any change to a layout,
 * to a map's meaning or to the hash in hash.h bumps LBXDP_ABI_VERSION.
 */
#ifndef LBXDP_ABI_H
#define LBXDP_ABI_H

#include <linux/types.h>

#define LBXDP_ABI_VERSION 4

/* Default capacities; each is settable at attach time. */
#define LBXDP_DEF_MAX_VIPS 32U
#define LBXDP_DEF_MAX_BACKENDS 256U /* per VIP */
#define LBXDP_DEF_FLOWS 262144U
#define LBXDP_DEF_PERSIST 65536U
#define LBXDP_DEF_RING_SIZE 65537U /* Maglev table size, prime */
#define LBXDP_MAX_RING_SIZE 1048573U
/* Longest wrr schedule (sum of the weights after dividing by their gcd). */
#define LBXDP_WRR_MAX 4096U
#define LBXDP_MAX_WEIGHT 65535U

/* Defaults of the runtime knobs in struct lbxdp_config. */
#define LBXDP_DEF_TCP_TIMEOUT 900U
#define LBXDP_DEF_UDP_TIMEOUT 300U
#define LBXDP_DEF_ACTIVE_WINDOW 30U
#define LBXDP_DEF_FLOOD_RATE 10000U /* new flows a second, per CPU */

/* Backend id 0 is never allocated: a zero in a table means "no backend". */
#define LBXDP_BACKEND_NONE 0

enum lbxdp_sched {
	LBXDP_SCHED_WRR = 0,
	LBXDP_SCHED_RR = 1,
	LBXDP_SCHED_MH = 2,
	LBXDP_SCHED_SH = 3,
};

/* Address family values, as AF_INET / AF_INET6. */
#define LBXDP_AF_INET 2
#define LBXDP_AF_INET6 10

/* Map "vips", BPF_MAP_TYPE_HASH. IPv4 addresses sit in addr[0]. */
struct lbxdp_vip_key {
	__be32 addr[4];
	__be16 port; /* 0: every port of proto */
	__u8 proto;  /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 family;
};

struct lbxdp_vip {
	__u32 id;	   /* index into the per-VIP arrays */
	__u32 flags;	   /* reserved, 0 (ABI 2's "active" bit is gone) */
	__u32 persist_sec; /* 0: no client affinity */
	__u8 sched;	   /* enum lbxdp_sched */
	__u8 pad[3];
};

/* Map "vip_info", BPF_MAP_TYPE_ARRAY [max_vips]: the same struct lbxdp_vip
 * by id, for packets of established flows, which skip the key lookup. lbxdp
 * writes it with the vips entry (before it on add, after it on change). */

/* Map "vip_addrs", BPF_MAP_TYPE_HASH: addresses that carry a VIP, so that
 * fragments and malformed frames (which have no usable ports) are known. */
struct lbxdp_addr_key {
	__be32 addr[4];
	__u8 family;
	__u8 pad[3];
};

/* value: __u32, how many services use the address */

/*
 * Map "vip_slot", BPF_MAP_TYPE_ARRAY [max_vips] of __u32: a count of table
 * flips, whose low bit is the live one of the VIP's two slots. Writers fill
 * the spare slot, then write count + 1; a reader that sees the count move
 * while it reads a slot reads again.
 *
 * Map "tables", BPF_MAP_TYPE_ARRAY [max_vips * 2], key vip_id * 2 + slot.
 */
struct lbxdp_table {
	__u32 nbackends; /* usable backends in this slot; 0: no_backend */
	__u32 wrr_len;	 /* entries of the wrr/rr schedule */
	/* Hash of the (id, weight) set the slot was built from: lets lbxdp
	 * see a change that a killed writer left unapplied. */
	__u32 sig;
	__u32 pad;
};

/*
 * Map "maglev", BPF_MAP_TYPE_ARRAY [max_vips * 2 * ring_size] of __u32
 * backend ids, key (vip_id * 2 + slot) * ring_size + i.
 * Map "wrr", BPF_MAP_TYPE_ARRAY [max_vips * 2 * LBXDP_WRR_MAX] of __u32
 * backend ids, key (vip_id * 2 + slot) * LBXDP_WRR_MAX + i.
 * Map "wrr_cursor", BPF_MAP_TYPE_PERCPU_ARRAY [max_vips] of __u32.
 */

/*
 * Just enough tracking, for the TCP flows of mh and sh VIPs without
 * persistence: their placement is the Maglev table's, so a flow needs an
 * entry in "flows" only where a table change could move it. Additive maps
 * (an attach creates them where missing; an older program reads neither).
 *
 * Map "ring_meta", BPF_MAP_TYPE_ARRAY, keyed as "maglev": each slot's
 * history, written by lbxdp with the table. @base is the backend that
 * flows without an entry may still be on when the slot names another (0:
 * none): the one it named when it changed while settled; @left the
 * program's clock ((ns >> LBXDP_EPOCH_SHIFT) + 1) when the slot last stopped
 * naming @base (0: never changed, or a VIP that carried no packet since).
 * Within the idle timeout of @left, a packet whose slot names another
 * backend than @base looks its flow up: an entry is its server; a missing
 * one is a flow placed before (a non-SYN: sent to @base, with an entry)
 * or a new one (a SYN: by the table, with an entry). Past it, every flow
 * placed by @base without an entry is idle past its timeout.
 *
 * Map "ring_track", BPF_MAP_TYPE_ARRAY [max_vips * ring_size] of __u32,
 * key vip_id * ring_size + slot: written by the program, the clock (as
 * @left) when it last wrote or refreshed an entry of a flow in the slot.
 * Until that is a timeout old the slot's packets look up their flow;
 * after it, and a timeout after @left, no live flow of the slot has an
 * entry, and every one is where the table says.
 */
struct lbxdp_ring_meta {
	__u32 base;
	__u32 left;
};

/*
 * Their summaries, read on every packet of a jet VIP where the maps above
 * are far beyond the caches: where a summary is a timeout old, its map is
 * not read. Map "ring_left", BPF_MAP_TYPE_ARRAY [max_vips * 2] of __u32,
 * key vip_id * 2 + slot: the newest @left of the table slot's ring_meta,
 * written with it. Map "vip_track", BPF_MAP_TYPE_ARRAY [max_vips] of
 * __u32: the newest stamp of the VIP's ring_track, written with it.
 */

/*
 * Map "vip_prior", BPF_MAP_TYPE_ARRAY [max_vips], additive: the scheduler
 * a TCP VIP had before lbxdp changed it from mh or sh (without
 * persistence) to another, and when. The flows that one placed without an entry are live
 * for a TCP timeout after @since: until then, a TCP packet of the VIP
 * without an entry that is not a SYN goes where that scheduler's slot (and
 * its history) places it, and every new flow of the VIP gets an entry.
 * Written before the VIP's record, after every slot of the VIP is marked
 * tracked (ring_track): first with @since 0 (none), then @since, a single
 * 32-bit store. A change made while one is live keeps
 * it: the flows placed since all have entries.
 */
struct lbxdp_vip_prior {
	__u32 since; /* the program's clock, as ring_meta's @left; 0: none */
	__u8 sched;  /* LBXDP_SCHED_MH or LBXDP_SCHED_SH */
	__u8 pad[3];
};

/* ~1.07 s: a clock of 32 bits that lasts 146 years. */
#define LBXDP_EPOCH_SHIFT 30

#define LBXDP_BE_F_USED (1U << 0)     /* record allocated */
#define LBXDP_BE_F_DOWN (1U << 1)     /* health down: no flows at all */
#define LBXDP_BE_F_DRAINING (1U << 2) /* removed: existing flows only */

/* Map "backends", BPF_MAP_TYPE_ARRAY [max_vips * max_backends + 1]. */
struct lbxdp_backend {
	__be32 addr[4];
	__u8 mac[6];
	__u8 family;
	__u8 pad;
	__u32 vip_id;
	__u32 flags;
	__u32 gen; /* bumped on every allocation; flows carry it */
	__u16 weight;
	__u16 pad2;
};

/*
 * Map "flows", BPF_MAP_TYPE_ARRAY [config.ft_nbuckets] of struct
 * lbxdp_ft_bucket (lbxdp/flowtab.h, docs/flow-table.md), BPF_F_MMAPABLE:
 * shared by all CPUs, a flow in one of two buckets that config.ft_seed
 * picks. struct lbxdp_flow_key and struct lbxdp_flow are a flow as user
 * space, the memo, flow sync and persist name it.
 */
struct lbxdp_flow_key {
	__be32 src[4];
	__be32 dst[4];
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 family;
	__u8 pad[2];
};

struct lbxdp_flow {
	__u32 backend;
	__u32 gen;
	__u64 last_seen_ns; /* CLOCK_MONOTONIC_COARSE: the program's now_ns() */
};

/*
 * Map "flow_memo_cpu", BPF_MAP_TYPE_ARRAY [possible CPUs x LBXDP_MEMO_SIZE],
 * BPF_F_MMAPABLE: each CPU's memo of the flows it forwarded lately, so that
 * a busy flow skips the flow-table lookup and the backend and VIP records;
 * CPU n's memo of a flow at n x LBXDP_MEMO_SIZE + its memo slot, read and
 * written by the program's runs on CPU n alone (which do not interleave:
 * README, known limits). Only a hint: used while config.gen is what it was
 * (any change of a VIP or backend record moves it), only until its table
 * entry is due for a refresh, and only for a backend that takes new flows;
 * the flows map stays the truth. It replaced the per-CPU array "flow_memo"
 * of the same layout a CPU (one load less a lookup), within this ABI
 * version; an attach leaves that one pinned for the builds that use it.
 * Mmapable only so that the kernel places its values page-aligned (a memo
 * is then one cache line): nothing maps it.
 */
#define LBXDP_MEMO_SIZE 4096U /* 1 << 12: memo_slot() takes 12 bits */
/* at: the program's clock >> 24 (16.8 ms), the unit of a flow table way's
 * seen (flowtab.h), so that at wraps when seen does (2^56 ns, 834 days):
 * a memo does not outlast its entry by a wrap. In ms it wrapped every 52
 * days, and a memo idle since then read as fresh while its entry had
 * expired. (A memo may still disagree with the table for 0.5 s: README,
 * a flow evicted meanwhile.) */
#define LBXDP_MEMO_SHIFT 24
struct lbxdp_flow_memo {
	struct lbxdp_flow_key key;
	__u32 backend;
	__u32 vip_id;
	__u8 mac[6]; /* the backend's */
	__u16 pad;
	__u32 gen; /* config.gen when made */
	__u32 at;  /* the table entry's last refresh, >> LBXDP_MEMO_SHIFT */
};

/*
 * Map "vip_memo", BPF_MAP_TYPE_PERCPU_ARRAY [LBXDP_VIP_MEMO_SIZE]: each CPU's
 * copy of the VIPs that new flows looked up lately, by (address, port,
 * protocol) of the packet, so a new flow skips the vips hash lookup (a
 * call, the costliest step of a new flow after the flow table). Used while
 * config.gen is unchanged and for at most a second.
 */
#define LBXDP_VIP_MEMO_SIZE 64U /* 1 << 6: vip_memo_slot() takes 6 bits */
struct lbxdp_vip_memo {
	struct lbxdp_vip vip;
	__be32 addr;
	__be16 port;
	__u8 proto;
	__u8 pad;
	__u32 gen;
	__u32 pad2;
	__u64 at_ns;
};

/* Map "persist", BPF_MAP_TYPE_LRU_HASH [persist]: client affinity. */
struct lbxdp_persist_key {
	__be32 client[4];
	__u32 vip_id;
	__u8 family;
	__u8 pad[3];
};

/* value: struct lbxdp_flow */

/* Map "config", BPF_MAP_TYPE_ARRAY [1]. abi_version stays the first field
 * in every version, so that any lbxdp can tell which ABI is pinned. */
struct lbxdp_config {
	__u32 abi_version;
	/* The attached interface and its MAC: XDP has no helper for a
	 * device's address, and one interface per pin directory makes this
	 * the ifindex -> MAC map, read with one inlined array lookup. */
	__u32 ifindex; /* 0 if none */
	__u8 mac[6];
	__u16 nport0; /* services on port 0: 0 spares their lookup */
	/* Bit lbxdp_addr_bit(a) is set for every VIP address a: a frame to
	 * any other address is passed after one bit test. */
	__u64 addr_bloom;
	__u32 max_vips;
	__u32 max_backends; /* per VIP */
	__u32 flows;
	__u32 persist;
	__u32 ring_size;
	__u32 tcp_timeout; /* seconds */
	__u32 udp_timeout;
	__u32 active_window;
	/* The program's clock: CLOCK_MONOTONIC ns from the inlined jiffies,
	 * clock_ns0 + (jiffies - clock_j0) * ns_per_jiffy, anchored at attach
	 * (a helper call per packet costs more than the rest of a lookup).
	 * ns_per_jiffy 0: bpf_ktime_get_coarse_ns(). */
	__u32 ns_per_jiffy;
	/* Flood guard: once a CPU has placed this many new flows within a
	 * second (and for LBXDP_FLOOD_HOLD_S after), its further new TCP
	 * flows (and UDP flows of mh and sh VIPs) are placed by the VIP's
	 * Maglev table without a flow entry, so that a SYN or UDP flood does
	 * not churn the table. VIPs with persistence are exempt. 0: never. */
	__u32 flood_rate;
	__u64 clock_j0;
	__u64 clock_ns0;
	/* Moved by every change of a VIP or backend record, after it:
	 * voids every CPU's copies (vip_memo, flow_memo_cpu). */
	__u32 gen;
	/* LBXDP_CFG_F_*; was a zero pad before flow sync, so an older
	 * lbxdp's config reads as every flag off. */
	__u32 flags;
	/* The flows map: its buckets (2 x flows ways, three a bucket) and
	 * the seed of a flow's bucket pair (random for each pin directory). */
	__u32 ft_nbuckets;
	__u32 ft_seed;
};

/* The buckets of a flow table for @flows flows: two ways a flow. */
static inline __u32 lbxdp_ft_nbuckets(__u32 flows)
{
	return (__u32)(((__u64)flows * 2 + 2) / 3);
}

/* Report each new flow and persistence entry to the ring "sync_ring",
 * for the flow sync daemon: off, a new flow pays one branch. */
#define LBXDP_CFG_F_SYNC (1U << 0)
/* Map flow_tags holds the tag of every way of flows (lbxdp/flowtab.h):
 * a SYN beyond the flood guard whose tag is in neither of its buckets
 * has no entry, and is not looked up. Cleared by attach before it loads
 * a program, set once it has tagged the ways the old one wrote. */
#define LBXDP_CFG_F_TAGS (1U << 1)

/* Map "stats_vip", BPF_MAP_TYPE_PERCPU_ARRAY [max_vips];
 * map "stats_backend", BPF_MAP_TYPE_PERCPU_ARRAY [backends]. */
struct lbxdp_counters {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
};

/* The flood guard's state on one CPU: its count of the new flows it saw in
 * the second that began at window_ns, and when the count last went over
 * the rate (the guard holds for LBXDP_FLOOD_HOLD_S after). Not counters. */
struct lbxdp_flood_state {
	__u64 window_ns;
	__u64 count;
	__u64 over_ns;
};

/* Seconds the flood guard stays on after the rate was last exceeded: past
 * a SYN's first retransmissions, so that one placed by the guard is not
 * placed anew by wrr when the guard lets go. */
#define LBXDP_FLOOD_HOLD_S 3

/*
 * The controller's state, beside the records. The XDP program reads none
 * of these maps: they are additive (an attach creates them where missing)
 * and need no ABI bump. bpftool shows them by their BTF.
 *
 * Who owns a VIP or backend: what the CLI made (zero, so records made
 * before these maps existed are the CLI's) the daemon leaves alone.
 */
#define LBXDP_OWNER_CLI 0
#define LBXDP_OWNER_DAEMON 1

/* Map "vip_meta", BPF_MAP_TYPE_ARRAY [max_vips], by VIP id: written with
 * vip_info, before the vips key, under the writer lock. */
struct lbxdp_vip_meta {
	__u8 owner;
	__u8 pad[7];
};

/* An operator's override of a checked server (lbxdp backend set), held
 * until "backend set --auto": the daemon applies it over its checks. */
#define LBXDP_OP_UP (1U << 0)
#define LBXDP_OP_DOWN (1U << 1)
#define LBXDP_OP_WEIGHT (1U << 2)

/* Map "backend_meta", BPF_MAP_TYPE_ARRAY [backends], by backend id: written
 * before the record, under the writer lock. It describes the record whose
 * gen it carries; any other gen reads as zero (the CLI's, no override). */
struct lbxdp_backend_meta {
	__u32 gen;
	__u8 owner;
	__u8 op;	  /* LBXDP_OP_* */
	__u16 op_weight;  /* with LBXDP_OP_WEIGHT */
	__u16 cfg_weight; /* the configuration's weight (daemon's) */
	__u16 pad[3];
};

enum lbxdp_health_state {
	LBXDP_HEALTH_NONE = 0,	  /* not checked by a daemon */
	LBXDP_HEALTH_PENDING = 1, /* checked, no result yet */
	LBXDP_HEALTH_UP = 2,
	LBXDP_HEALTH_DOWN = 3,
};

/* Map "health", BPF_MAP_TYPE_ARRAY [backends], by backend id: the daemon's
 * checks, written by the daemon alone (its one writer: no lock). Valid
 * while gen is the record's. Times are CLOCK_REALTIME ms. */
struct lbxdp_health {
	__u32 gen;
	__u8 state; /* enum lbxdp_health_state */
	__u8 pad;
	__u16 weight; /* the weight the checks give (misc_dynamic) */
	__u32 fails;  /* consecutive */
	__u32 oks;    /* consecutive */
	__u32 transitions;
	__u32 pad2;
	__u64 last_ms;	  /* last result; 0: none */
	__u64 since_ms;	  /* last state change */
	char checker[16]; /* of the last result: "TCP_CHECK" */
	char reason[64];  /* "connect: connection refused", "HTTP 503" */
};

/* Map "stats", BPF_MAP_TYPE_PERCPU_ARRAY [1]: what happened to each frame. */
struct lbxdp_global_stats {
	__u64 forwarded;   /* XDP_TX to a backend */
	__u64 passed;	   /* not for a VIP: to the kernel untouched */
	__u64 not_our_mac; /* VIP frame not addressed to our MAC: pass */
	__u64 no_backend;  /* drop */
	__u64 malformed;   /* truncated/bad header: drop (pass if not a VIP) */
	__u64 fragment;	   /* IPv4 fragment to a VIP address: drop */
	__u64 ip_options;  /* IPv4 options to a VIP address: drop */
	__u64 flow_miss_nonsyn; /* TCP non-SYN without flow: Maglev */
	__u64 down_resched;	/* flow's backend down: rescheduled */
	__u64 icmp_forwarded;	/* frag-needed sent to the flow's server */
	__u64 icmp_passed;	/* other ICMP to a VIP address: pass */
	__u64 persist_hits;
	__u64 flood_stateless; /* new flow placed without entry: flood */
	__u64 flow_busy;       /* its flow's buckets held by a writer: drop */
	/* Not a counter, and always last: kept where every packet already
	 * is, since a map of its own cost a new flow a lookup. */
	struct lbxdp_flood_state flood;
};

/* The counters of struct lbxdp_global_stats: every field before flood. */
#define LBXDP_NR_COUNTERS \
	(__builtin_offsetof(struct lbxdp_global_stats, flood) / sizeof(__u64))
#define LBXDP_STATS_WORDS (sizeof(struct lbxdp_global_stats) / sizeof(__u64))
_Static_assert(__builtin_offsetof(struct lbxdp_global_stats, flood) +
			       sizeof(struct lbxdp_flood_state) ==
		       sizeof(struct lbxdp_global_stats),
	       "counters go before the flood state");

/*
 * Flow sync's feed. Additive maps (an attach creates them where missing):
 * an older program neither writes nor reads them.
 *
 * Map "sync_ring", BPF_MAP_TYPE_RINGBUF [LBXDP_SYNC_RING_BYTES]: with
 * LBXDP_CFG_F_SYNC, one struct lbxdp_sync_event for each flow entry the
 * program writes for a new (or rescheduled) flow, which says too whether
 * it wrote a persistence entry. Read by the flow sync daemon alone.
 */
/* 3276 events of 80 bytes: 33 ms of 100k new flows a second. Small, so
 * the lines a new event lands on are still in cache (make bench: a 2 MiB
 * ring cost a new flow ~+480 ns on this machine, 256 KiB nothing). */
#define LBXDP_SYNC_RING_BYTES (256U << 10)

#define LBXDP_SYNC_FLOW (1U << 0)    /* a flows entry for key */
#define LBXDP_SYNC_PERSIST (1U << 1) /* a persist entry for key.src */

struct lbxdp_sync_event {
	struct lbxdp_flow_key key; /* the client's 5-tuple, dst the VIP */
	__be32 backend_addr[4];	   /* ids differ between two LBs */
	__u32 vip_id;
	__u32 backend; /* this LB's id, with its gen */
	__u32 gen;
	__u8 kind; /* LBXDP_SYNC_* */
	__u8 pad[3];
};

_Static_assert(sizeof(struct lbxdp_sync_event) == 72, "sync event layout");

/* Map "sync_stats", BPF_MAP_TYPE_PERCPU_ARRAY [1]: events lost because
 * the ring was full (the daemon lags). A map of its own, as a new field
 * of "stats" would change its layout, an ABI bump. */
struct lbxdp_sync_stats {
	__u64 ring_full;
};

/*
 * The writes of user space into the flows and persist maps
 * (bpf/sync_put.bpf.c): not a map, the .bss of a BPF_PROG_TYPE_SYSCALL
 * program that lbxdp runs once for up to LBXDP_SYNC_PUT_MAX of them, since
 * a syscall per entry costs more than the entry: flow sync's installer,
 * and every write of the flow table by user space (user/flows.c), which
 * only a program may write under its buckets' seq. For each of put_n
 * entries, by @op: result 1 written (or deleted), 0 kept, or -errno.
 */
#define LBXDP_SYNC_PUT_MAX 64U

enum {
	LBXDP_PUT_NEWER,   /* flow sync: unless the entry there is as recent */
	LBXDP_PUT_ANY,	   /* as bpf_map_update_elem()'s flags */
	LBXDP_PUT_NOEXIST, /* -EEXIST if there */
	LBXDP_PUT_EXIST,   /* -ENOENT if not there */
	LBXDP_PUT_DEL,	   /* delete if its last_seen_ns is val's; -ENOENT */
};

struct lbxdp_sync_put {
	/* For persist, a lbxdp_persist_key, zero-padded. */
	struct lbxdp_flow_key key;
	struct lbxdp_flow val;
	__u32 persist; /* 0: map flows, 1: map persist */
	__s32 result;
	__u32 op;     /* LBXDP_PUT_*; persist: LBXDP_PUT_NEWER only */
	__u32 vip_id; /* flows: the VIP's id, for the key */
};

#endif /* LBXDP_ABI_H */
