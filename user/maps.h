/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The pinned maps of one pin directory. Every map write goes through here or
 * the service files (service.h); writers hold an flock() on the pin directory itself (bpffs
 * cannot hold a lock file), so the CLI and the daemon serialise.
 */
#ifndef LBXDP_MAPS_H
#define LBXDP_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>
#include <linux/types.h>
#include "lbxdp/abi.h"

#define LBXDP_DEFAULT_PIN_DIR "/sys/fs/bpf/lbxdp"
#define LBXDP_LINK_PIN "link"
#define LBXDP_CONFIG_PIN "config" /* the map that makes a directory lbxdp's */
/* How long a writer waits for the lock unless told (--wait). */
#define LBXDP_LOCK_WAIT_MS 10000

enum lbxdp_map {
	M_CONFIG,
	M_VIPS,
	M_VIP_INFO,
	M_VIP_ADDRS,
	M_VIP_SLOT,
	M_TABLES,
	M_MAGLEV,
	M_WRR,
	M_WRR_CURSOR,
	M_BACKENDS,
	M_FLOWS,
	M_VIP_MEMO,
	M_PERSIST,
	M_STATS_VIP,
	M_STATS_BACKEND,
	M_STATS,
	/* Optional: pinned by attach since the daemon came; a pin directory
	 * of an older build lacks them until its next attach (fd -1). */
	M_VIP_META,
	M_BACKEND_META,
	M_HEALTH,
	/* Flow sync's feed, since flow sync (abi.h). */
	M_SYNC_RING,
	M_SYNC_STATS,
	/* Just enough tracking, since issue 12 (abi.h). */
	M_RING_META,
	M_RING_TRACK,
	M_RING_LEFT,
	M_VIP_TRACK,
	M_VIP_PRIOR,
	/* The flow memo as one array, since it replaced "flow_memo". */
	M_FLOW_MEMO_CPU,
	/* The ways' tags (lbxdp/flowtab.h), since they came (abi.h). */
	M_FLOW_TAGS,
	M_NR,
};

/* The first map that lbxdp_open() does not require. */
#define M_FIRST_OPTIONAL M_VIP_META

extern const char *const lbxdp_map_names[M_NR];

struct lbxdp_ft_bucket;
struct sync_put_bpf;

struct lbxdp_ctx {
	char pin_dir[256];
	int dir_fd;	  /* holds the flock while >= 0 */
	int lock_wait_ms; /* how long lbxdp_lock() waits; 0: one try */
	int fd[M_NR];
	struct lbxdp_config cfg;
	int ncpus;
	/* The program's clock where a test holds it (config.clock_ns0,
	 * 1 ns a jiffy); 0: it runs, as lbxdp_now_ns(). */
	__u64 clock_held_ns;
	/* The flow table as flows.c reads and writes it, made on first use:
	 * a read-only mmap of map flows, and the program that writes it. */
	const struct lbxdp_ft_bucket *ft;
	size_t ft_len;
	struct sync_put_bpf *ftw;
	/* Tests: called by a walk of the flow table after each bucket. */
	void (*walk_hook)(struct lbxdp_ctx *c, __u32 bucket);
};

/* The pin directory: --pin-dir, else $LBXDP_PIN_DIR, else the default. */
const char *lbxdp_pin_dir(const char *opt);

/*
 * The writer lock's wait in ms: @opt (--wait, whole seconds), else
 * $LBXDP_LOCK_WAIT, else LBXDP_LOCK_WAIT_MS. -EINVAL (printed) for a bad
 * value.
 */
int lbxdp_lock_wait(const char *opt, int *wait_ms);

/*
 * Checks that @dir is on a bpffs (or can be made in one, with @create),
 * and that no other user controls it or a directory above it up to the
 * bpffs mount: each must be owned by root or the effective uid, and not
 * writable by group or others unless sticky. Prints what to do when not.
 * 0, -ENOENT (not attached), -EMEDIUMTYPE, -EPERM (another user's).
 */
int lbxdp_pin_dir_check(const char *dir, bool create);

/*
 * flock() the pin directory, retrying for up to c->lock_wait_ms while
 * another process holds it (said once on stderr, with its pid). Prints
 * the reason on failure: -EWOULDBLOCK when still held, naming the holder.
 */
int lbxdp_lock(struct lbxdp_ctx *c, const char *dir);
/*
 * One try, for a loop that must not wait (the daemon's): -EWOULDBLOCK
 * while another process holds the lock, -ENOENT if the directory is gone,
 * both unprinted; -EPERM (printed) if it is now another user's.
 */
int lbxdp_trylock(struct lbxdp_ctx *c, const char *dir);
void lbxdp_unlock(struct lbxdp_ctx *c);

/* @c over pin directory @dir with no map open (fds -1) and no lock: for
 * the maps of a program not yet live (attach, the upgrade's copy). */
void lbxdp_ctx_init(struct lbxdp_ctx *c, const char *dir);

/*
 * Open every pinned map of @dir and check the ABI. @lock: take the writer
 * lock first, waiting up to @wait_ms (lbxdp_open: LBXDP_LOCK_WAIT_MS).
 * Prints the reason on failure: -ENOENT when nothing is pinned ("attach
 * first"), -EPROTO for another ABI version, -EWOULDBLOCK for a lock held.
 */
int lbxdp_open(struct lbxdp_ctx *c, const char *dir, bool lock);
int lbxdp_open_wait(struct lbxdp_ctx *c, const char *dir, bool lock,
		    int wait_ms);
/* lbxdp_open() without the lock (the caller holds it), although an
 * upgrade's DIR/abi3 is there: attach, finishing one whose swap was made. */
int lbxdp_open_upgrading(struct lbxdp_ctx *c, const char *dir);
void lbxdp_close(struct lbxdp_ctx *c);
/* What flows.c made for @c's flow table (lbxdp_close() calls it). */
void lbxdp_flows_unmap(struct lbxdp_ctx *c);

/* Re-read the config map into c->cfg. */
int lbxdp_config_read(struct lbxdp_ctx *c);
int lbxdp_config_write(struct lbxdp_ctx *c, const struct lbxdp_config *cfg);

/* Read an entry of a per-CPU map summed over CPUs; @val has @nfields u64. */
int lbxdp_percpu_sum(struct lbxdp_ctx *c, enum lbxdp_map m, __u32 key,
		     __u64 *val, size_t nfields);
/* Zero an entry of a per-CPU map on every CPU. */
int lbxdp_percpu_zero(struct lbxdp_ctx *c, enum lbxdp_map m, __u32 key,
		      size_t value_size);

/* Forget every CPU's flow memo (after faking a flow's age, in tests). */
int lbxdp_memo_clear(struct lbxdp_ctx *c);

/* Write @n consecutive array entries from @first in one syscall. */
int lbxdp_array_fill(int fd, __u32 first, const void *values, __u32 n);
/* Read @n consecutive array entries from index 0. */
int lbxdp_array_read(int fd, void *values, __u32 n);

/* CLOCK_MONOTONIC_COARSE in ns: the program's clock (jiffies anchored to it
 * at attach, or bpf_ktime_get_coarse_ns()). */
__u64 lbxdp_now_ns(void);
/* The program's clock as user space stamps it: lbxdp_now_ns(), or where a
 * test holds it (struct lbxdp_ctx). */
__u64 lbxdp_prog_now(const struct lbxdp_ctx *c);
/* How long the program keeps an idle flow of @proto (IPPROTO_*), in ns. */
static inline __u64 lbxdp_flow_timeout_ns(const struct lbxdp_config *cfg,
					  __u8 proto)
{
	return (__u64)(proto == IPPROTO_TCP ? cfg->tcp_timeout
					    : cfg->udp_timeout) *
	       1000000000ULL;
}
/* Read @n consecutive array entries from @first. */
int lbxdp_array_read_at(int fd, __u32 first, void *values, __u32 n);

#endif /* LBXDP_MAPS_H */
