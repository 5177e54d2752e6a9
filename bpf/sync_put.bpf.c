// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Flow sync's installer on the backup (user/flowsync.c): writes a batch of
 * a peer's flow and persistence entries, left in .bss by user space, into
 * the pinned flows and persist maps, each unless the entry there is as
 * recent. Run by BPF_PROG_TEST_RUN: one syscall a datagram. Declares only
 * the two maps it writes, as maps.h does (libbpf reuses the pinned ones;
 * user space sets their sizes from config).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "lbxdp/abi.h"

#define EEXIST 17
#define ENOENT 2

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct lbxdp_flow_key);
	__type(value, struct lbxdp_flow);
	__uint(max_entries, LBXDP_DEF_FLOWS);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct lbxdp_persist_key);
	__type(value, struct lbxdp_flow);
	__uint(max_entries, LBXDP_DEF_PERSIST);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} persist SEC(".maps");

struct lbxdp_sync_put put[LBXDP_SYNC_PUT_MAX];
__u32 put_n;

static __always_inline int put_one(void *map, struct lbxdp_sync_put *e)
{
	struct lbxdp_flow *old;
	long err;

	/* A new key, the common case on a backup: one update. */
	err = bpf_map_update_elem(map, &e->key, &e->val, BPF_NOEXIST);
	if (err != -EEXIST)
		return err ? (int)err : 1;
	old = bpf_map_lookup_elem(map, &e->key);
	if (!old || old->last_seen_ns >= e->val.last_seen_ns)
		return 0;
	/* The XDP program may write the key meanwhile: its entry is newer. */
	err = bpf_map_update_elem(map, &e->key, &e->val, BPF_EXIST);
	if (err == -ENOENT)
		return 0;
	return err ? (int)err : 1;
}

SEC("syscall")
int lbxdp_sync_put(void *ctx)
{
	__u32 i;

	for (i = 0; i < LBXDP_SYNC_PUT_MAX && i < put_n; i++) {
		struct lbxdp_sync_put *e = &put[i];

		e->result = put_one(
			e->persist ? (void *)&persist : (void *)&flows, e);
	}
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
