// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * User space's writes of the flow table and the persist map (abi.h
 * "struct lbxdp_sync_put"): flow sync's installer on the backup
 * (user/flowsync.c), and every other write of a flow entry (user/flows.c),
 * for only a program writes the table's buckets under their seq, and one
 * that a signal cannot stop half way. Run by BPF_PROG_TEST_RUN, up to
 * LBXDP_SYNC_PUT_MAX entries a run; and the tags of the ways an older
 * program wrote (lbxdp_ft_retag). Declares only the maps it writes, and
 * config, as maps.h does (libbpf reuses the pinned ones; user
 * space sets their sizes from config, and the table's shape below).
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "lbxdp/abi.h"
#include "lbxdp/flowtab.h"

#define EEXIST 17
#define ENOENT 2
#define EBUSY 16
#define EINVAL 22

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct lbxdp_ft_bucket);
	__uint(max_entries, 2);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} flow_tags SEC(".maps");

/* Read at each run: the timeouts `timeout set` may have raised. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct lbxdp_config);
	__uint(max_entries, 1);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct lbxdp_persist_key);
	__type(value, struct lbxdp_flow);
	__uint(max_entries, LBXDP_DEF_PERSIST);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} persist SEC(".maps");

#define FT_MAP flows
#define FT_TAGS flow_tags
#include "flowtab.h"

struct lbxdp_sync_put put[LBXDP_SYNC_PUT_MAX];
__u32 put_n;
/* The program's clock at the write (lbxdp_prog_now()), set by user space:
 * what a put judges ways live at (the entries' stamps may be far older),
 * and the newer of two stamps is the younger at it, whichever wrapped. */
__u64 put_now;
/* The table's shape (config.ft_nbuckets, ft_seed), set by user space
 * at the load: the flows map it was loaded with. */
__u32 ft_nb, ft_seed;

static __always_inline int persist_one(struct lbxdp_sync_put *e)
{
	struct lbxdp_flow *old;
	long err;

	/* A new key, the common case on a backup: one update. */
	err = bpf_map_update_elem(&persist, &e->key, &e->val, BPF_NOEXIST);
	if (err != -EEXIST)
		return err ? (int)err : 1;
	old = bpf_map_lookup_elem(&persist, &e->key);
	if (!old || old->last_seen_ns >= e->val.last_seen_ns)
		return 0;
	/* The XDP program may write the key meanwhile: its entry is newer. */
	err = bpf_map_update_elem(&persist, &e->key, &e->val, BPF_EXIST);
	if (err == -ENOENT)
		return 0;
	return err ? (int)err : 1;
}

/* The way of @e's flow: its key, and where and when from its value. */
static __always_inline void way_of(const struct lbxdp_sync_put *e,
				   struct lbxdp_ft_way *w)
{
	w->saddr = e->key.src[0];
	w->sport = e->key.sport;
	w->dport = e->key.dport;
	w->vip = (__u16)e->vip_id;
	w->backend = e->val.backend;
	w->gen = (__u16)e->val.gen;
	w->seen = lbxdp_ft_seen(e->val.last_seen_ns);
}

static __always_inline int ft_res(int r)
{
	return r == FT_BUSY ? -EBUSY : r;
}

/* One flow write, a global function: the verifier walks it once, not
 * once an entry of the batch. */
__noinline int flow_one(struct lbxdp_sync_put *e, __u32 nb, __u32 seed,
			__u32 tmo, __u32 now)
{
	struct lbxdp_ft_way w = {};
	__u32 seen;
	int r;

	if (!e)
		return -EINVAL;
	way_of(e, &w);
	/* A delete's last_seen_ns 0: whatever the entry's is. */
	seen = e->op == LBXDP_PUT_DEL && !e->val.last_seen_ns ? 0 : w.seen;
	switch (e->op) {
	case LBXDP_PUT_NEWER:
		/* An entry there as recent, or newer, stays: judged with the
		 * pair held, so a packet's new placement is not undone. */
		r = ft_put(nb, seed, &w, now, tmo, FT_KEEP_NEWER);
		if (r == FT_KEPT || r == FT_STALE)
			return 0;
		return r < 0 ? ft_res(r) : 1;
	case LBXDP_PUT_ANY:
		r = ft_put(nb, seed, &w, now, tmo, FT_OVER);
		return r < 0 ? ft_res(r) : 1;
	case LBXDP_PUT_NOEXIST:
		r = ft_put(nb, seed, &w, now, tmo, FT_KEEP);
		if (r == FT_KEPT)
			return -EEXIST;
		return r < 0 ? ft_res(r) : 1;
	case LBXDP_PUT_EXIST:
		/* Judged with the pair held, as a delete between a find and
		 * a put would be undone by the put. */
		r = ft_put(nb, seed, &w, now, tmo, FT_EXIST);
		if (r == FT_ABSENT)
			return -ENOENT;
		return r < 0 ? ft_res(r) : 1;
	case LBXDP_PUT_DEL:
		r = ft_del_if(nb, seed, &w, seen);
		if (r < 0)
			return ft_res(r);
		return r ? 1 : -ENOENT;
	}
	return -EINVAL;
}

SEC("syscall")
int lbxdp_sync_put(void *ctx)
{
	struct lbxdp_config *cfg;
	__u32 i, zero = 0, tmo, now = lbxdp_ft_seen(put_now);

	/* An array's one entry: always there. */
	cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg)
		return 0;
	tmo = lbxdp_ft_tmo(cfg->tcp_timeout, cfg->udp_timeout);
	for (i = 0; i < LBXDP_SYNC_PUT_MAX && i < put_n; i++) {
		struct lbxdp_sync_put *e = &put[i];

		if (e->persist)
			e->result = e->op == LBXDP_PUT_NEWER ? persist_one(e)
							     : -EINVAL;
		else
			e->result = flow_one(e, ft_nb, ft_seed, tmo, now);
	}
	return 0;
}

/* lbxdp_ft_retag: buckets [retag_from, retag_from + retag_n) of the
 * table; those a writer held every try, counted in retag_busy. */
__u32 retag_from, retag_n, retag_busy;

static long retag_one(__u32 i, void *arg)
{
	if (ft_retag(retag_from + i, ft_seed))
		retag_busy++;
	return 0;
}

SEC("syscall")
int lbxdp_ft_retag(void *ctx)
{
	retag_busy = 0;
	bpf_loop(retag_n, retag_one, NULL, 0);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
