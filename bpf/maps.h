/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The pinned maps of lbxdp.bpf.c. Sizes here are defaults: lbxdp sets every
 * max_entries from the attach-time capacities before loading. Layouts are in
 * include/lbxdp/abi.h; README.md documents who writes what.
 */
#ifndef LBXDP_BPF_MAPS_H
#define LBXDP_BPF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "lbxdp/abi.h"
#include "lbxdp/flowtab.h"

#define PINNED __uint(pinning, LIBBPF_PIN_BY_NAME)

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct lbxdp_config);
	__uint(max_entries, 1);
	PINNED;
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct lbxdp_vip_key);
	__type(value, struct lbxdp_vip);
	__uint(max_entries, LBXDP_DEF_MAX_VIPS);
	PINNED;
} vips SEC(".maps");

/* The vips records again, by id, for the flow-table hit path. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct lbxdp_vip);
	__uint(max_entries, LBXDP_DEF_MAX_VIPS);
	PINNED;
} vip_info SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct lbxdp_addr_key);
	__type(value, __u32);
	__uint(max_entries, LBXDP_DEF_MAX_VIPS);
	PINNED;
} vip_addrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, LBXDP_DEF_MAX_VIPS);
	PINNED;
} vip_slot SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct lbxdp_table);
	__uint(max_entries, LBXDP_DEF_MAX_VIPS * 2);
	PINNED;
} tables SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, LBXDP_DEF_MAX_VIPS * 2 * LBXDP_DEF_RING_SIZE);
	PINNED;
} maglev SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, LBXDP_DEF_MAX_VIPS * 2 * LBXDP_WRR_MAX);
	PINNED;
} wrr SEC(".maps");

/* Just enough tracking (abi.h): additive, sized with maglev. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct lbxdp_ring_meta);
	__uint(max_entries, LBXDP_DEF_MAX_VIPS * 2 * LBXDP_DEF_RING_SIZE);
	PINNED;
} ring_meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, LBXDP_DEF_MAX_VIPS *LBXDP_DEF_RING_SIZE);
	PINNED;
} ring_track SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, LBXDP_DEF_MAX_VIPS * 2);
	PINNED;
} ring_left SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, LBXDP_DEF_MAX_VIPS);
	PINNED;
} vip_track SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct lbxdp_vip_prior);
	__uint(max_entries, LBXDP_DEF_MAX_VIPS);
	PINNED;
} vip_prior SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, LBXDP_DEF_MAX_VIPS);
	PINNED;
} wrr_cursor SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct lbxdp_backend);
	__uint(max_entries, LBXDP_DEF_MAX_VIPS *LBXDP_DEF_MAX_BACKENDS + 1);
	PINNED;
} backends SEC(".maps");

/* Shared, not per-CPU: one flow reaches several CPUs (DESIGN.md §7).
 * Sized by attach: config.ft_nbuckets. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct lbxdp_ft_bucket);
	__uint(max_entries, 2);
	__uint(map_flags, BPF_F_MMAPABLE);
	PINNED;
} flows SEC(".maps");

/* A tag for each way of flows (lbxdp/flowtab.h). Sized by attach:
 * lbxdp_ft_ntags(config.ft_nbuckets). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
	PINNED;
} flow_tags SEC(".maps");

/* Sized by attach: LBXDP_MEMO_SIZE a possible CPU (abi.h). Mmapable for
 * its page-aligned values: a memo is one cache line. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct lbxdp_flow_memo);
	__uint(max_entries, LBXDP_MEMO_SIZE);
	__uint(map_flags, BPF_F_MMAPABLE);
	PINNED;
} flow_memo_cpu SEC(".maps");

/* A tag a memo of flow_memo_cpu (lbxdp.bpf.c memo_find()), 16 bits, four
 * an element. Sized by attach as flow_memo_cpu. Not pinned: a tag is a hint
 * of a hint, and each program has its own. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} flow_memo_tags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct lbxdp_vip_memo);
	__uint(max_entries, LBXDP_VIP_MEMO_SIZE);
	PINNED;
} vip_memo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct lbxdp_persist_key);
	__type(value, struct lbxdp_flow);
	__uint(max_entries, LBXDP_DEF_PERSIST);
	PINNED;
} persist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct lbxdp_counters);
	__uint(max_entries, LBXDP_DEF_MAX_VIPS);
	PINNED;
} stats_vip SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct lbxdp_counters);
	__uint(max_entries, LBXDP_DEF_MAX_VIPS *LBXDP_DEF_MAX_BACKENDS + 1);
	PINNED;
} stats_backend SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct lbxdp_global_stats);
	__uint(max_entries, 1);
	PINNED;
} stats SEC(".maps");

/*
 * The controller's state (abi.h): the program reads none of these, so an
 * attach over maps pinned by an older build creates them.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct lbxdp_vip_meta);
	__uint(max_entries, LBXDP_DEF_MAX_VIPS);
	PINNED;
} vip_meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct lbxdp_backend_meta);
	__uint(max_entries, LBXDP_DEF_MAX_VIPS *LBXDP_DEF_MAX_BACKENDS + 1);
	PINNED;
} backend_meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct lbxdp_health);
	__uint(max_entries, LBXDP_DEF_MAX_VIPS *LBXDP_DEF_MAX_BACKENDS + 1);
	PINNED;
} health SEC(".maps");

/* Flow sync's feed (abi.h): written only with LBXDP_CFG_F_SYNC. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, LBXDP_SYNC_RING_BYTES);
	PINNED;
} sync_ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct lbxdp_sync_stats);
	__uint(max_entries, 1);
	PINNED;
} sync_stats SEC(".maps");

#endif /* LBXDP_BPF_MAPS_H */
