// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * make bench's "Flow-table layouts": the flow lookup that bounds the wrr
 * rows, in lbxdp's flows map (the kernel's LRU hash) and in 64-byte
 * buckets of our own (lbxdp/flowtab.h, bpf/flowtab.h), same flows, same
 * process, alternating. Both tables are the benchmark's own maps: lbxdp is not
 * involved.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "lbxdp/abi.h"
#include "lbxdp/flowtab.h"
#include "bench.h"
#include "bench_layout.skel.h"
#include "../../bpf/bench_layout.h"

#define PREFIX_MISS 0xc613 /* 198.19: flows never in either table */
#define PREFIX_ADD 0xc614  /* 198.20: a new flow every packet */
#define SEED 0x6c627864U   /* the bucket pairs' seed: any, fixed */

enum { P_NONE, P_LRU_FIND, P_OWN_FIND, P_LRU_ADD, P_OWN_ADD, P_NR };

struct ctx {
	struct bench_layout_bpf *skel;
	int prog[P_NR];
	int state;
	__u32 nbuckets;
	__u8 *placed; /* the own table's fill: flow n has a way */
};

static __u32 seen_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u32)(((__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec) >>
		       LBXDP_FT_SEEN_SHIFT) +
	       1;
}

/* Flows 0..n-1 of PREFIX_EST into both tables, the LRU by batches, the
 * buckets through an mmap, by two choices: the first free way of the
 * emptier of a flow's two buckets. A flow that finds none is left out and
 * counted. (The adds measured later go into a full table, through
 * ft_put(): its move and its eviction.) */
static int fill(struct ctx *x, __u32 n, struct layout_res *res)
{
	size_t len = (size_t)x->nbuckets * sizeof(struct lbxdp_ft_bucket);
	struct lbxdp_flow_key *keys = calloc(n, sizeof(*keys));
	struct lbxdp_flow *vals = calloc(n, sizeof(*vals));
	struct lbxdp_ft_bucket *tab = MAP_FAILED;
	__u32 i, cnt, b[2], now = seen_now();
	struct timespec ts;
	int err = -ENOMEM, f[2], k;

	x->placed = calloc(n, 1);
	if (!keys || !vals || !x->placed)
		goto cleanup;
	tab = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		   bpf_map__fd(x->skel->maps.buckets), 0);
	if (tab == MAP_FAILED) {
		err = -errno;
		goto cleanup;
	}
	/* The LRU's values stamped now, by the program's clock. */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	for (i = 0; i < n; i++) {
		struct lbxdp_ft_way w = {.saddr = bl_saddr(PREFIX_EST, i),
					 .sport = bl_sport(i),
					 .dport = 80,
					 .vip = BL_VIP,
					 .gen = 1,
					 .backend = 1,
					 .seen = now};

		keys[i].src[0] = w.saddr;
		keys[i].dst[0] = 0xc612ff01U;
		keys[i].sport = w.sport;
		keys[i].dport = 80;
		keys[i].proto = 6;
		keys[i].family = LBXDP_AF_INET;
		vals[i].backend = vals[i].gen = 1;
		vals[i].last_seen_ns =
			(__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
		lbxdp_ft_pair(&w, SEED, x->nbuckets, b);
		for (k = 0; k < 2; k++)
			for (f[k] = 0;
			     f[k] < LBXDP_FT_WAYS && tab[b[k]].w[f[k]].seen;
			     f[k]++)
				;
		k = f[1] < f[0];
		if (f[k] == LBXDP_FT_WAYS) {
			res->overflow++;
			continue;
		}
		tab[b[k]].w[f[k]] = w;
		x->placed[i] = 1;
	}
	for (i = 0; i < n; i += cnt) {
		cnt = n - i < 65536 ? n - i : 65536;
		if (bpf_map_update_batch(bpf_map__fd(x->skel->maps.flows),
					 keys + i, vals + i, &cnt, NULL)) {
			err = -errno;
			goto cleanup;
		}
	}
	err = 0;
cleanup:
	if (tab != MAP_FAILED)
		munmap(tab, len);
	free(keys);
	free(vals);
	return err;
}

static int set_state(struct ctx *x, const struct bl_state *st)
{
	__u32 zero = 0;

	return bpf_map_update_elem(x->state, &zero, st, 0) ? -errno : 0;
}

static int get_state(struct ctx *x, struct bl_state *st)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(x->state, &zero, st) ? -errno : 0;
}

/* One run of @prog: @reps packets from flow @next on, as @st says; its
 * ns a packet into *ns, the state after it into *st. */
static int run(struct ctx *x, int prog, struct bl_state *st, __u32 reps,
	       double *ns)
{
	__u8 frame[64] = {0};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
		    .data_size_in = sizeof(frame), .repeat = reps);
	int err;

	st->hits = st->busy = st->added = st->evicted = 0;
	err = set_state(x, st);
	if (!err && bpf_prog_test_run_opts(x->prog[prog], &o))
		err = -errno;
	if (!err && o.retval != XDP_DROP)
		err = -EINVAL;
	if (!err)
		err = get_state(x, st);
	*ns = o.duration;
	return err;
}

/* Finds that hit in the own table: flows of the run that were placed. */
static __u64 own_expected(const struct ctx *x, const struct bl_state *st,
			  __u64 next, __u32 reps)
{
	__u64 hits = 0, i;

	for (i = 0; i < reps; i++)
		hits += x->placed[(next + i) * st->mul % st->mod];
	return hits;
}

static int finds(struct ctx *x, int rounds, __u32 reps, __u32 n, bool miss,
		 struct layout_res *res)
{
	static const int progs[] = {P_NONE, P_LRU_FIND, P_OWN_FIND};
	int r, i, err = 0;

	for (r = 0; r < rounds && !err; r++) {
		for (i = 0; i < 3 && !err; i++) {
			int p = progs[r % 2 ? 2 - i : i];
			struct bl_state st = {
				.next = (__u64)r * reps,
				.mul = PERM_MUL % n,
				.mod = n,
				.prefix = miss ? PREFIX_MISS : PREFIX_EST,
				.nbuckets = x->nbuckets,
				.seed = SEED,
			};
			double ns;
			__u64 want = reps;

			if (p == P_NONE && miss)
				continue; /* the floor: the found pass's */
			err = run(x, p, &st, reps, &ns);
			if (err)
				break;
			if (p == P_NONE) {
				res->none[r] = ns;
				continue;
			}
			if (miss)
				want = 0;
			else if (p == P_OWN_FIND)
				want = own_expected(x, &st, (__u64)r * reps,
						    reps);
			res->pkts += reps;
			res->busy += st.busy;
			if (st.hits != want)
				res->wrong++;
			if (p == P_LRU_FIND)
				(miss ? res->lru_miss : res->lru_hit)[r] = ns;
			else
				(miss ? res->own_miss : res->own_hit)[r] = ns;
			res->hits += st.hits;
		}
	}
	return err;
}

/* New flows into full tables: each first filled by a table's worth of
 * adds, untimed; then alternating timed runs, every packet a new flow. */
static int adds(struct ctx *x, int rounds, __u32 reps, __u32 cap,
		struct layout_res *res)
{
	__u64 next[2] = {0, (__u64)cap * 4};
	int r, i, err = 0;
	double ns;

	for (i = 0; i < 2 && !err; i++) {
		struct bl_state st = {.next = next[i],
				      .mod = 1,
				      .prefix = PREFIX_ADD,
				      .nbuckets = x->nbuckets,
				      .seed = SEED};

		err = run(x, i ? P_OWN_ADD : P_LRU_ADD, &st, cap, &ns);
		next[i] = st.next;
	}
	for (r = 0; r < rounds && !err; r++) {
		for (i = 0; i < 2 && !err; i++) {
			int own = (r + i) % 2;
			struct bl_state st = {.next = next[own],
					      .mod = 1,
					      .prefix = PREFIX_ADD,
					      .nbuckets = x->nbuckets,
					      .seed = SEED};

			err = run(x, own ? P_OWN_ADD : P_LRU_ADD, &st, reps,
				  &ns);
			next[own] = st.next;
			(own ? res->own_add : res->lru_add)[r] = ns;
			res->add_pkts += reps;
			res->added += st.added;
			res->busy += st.busy;
			if (own) {
				res->evicted += st.evicted;
				res->own_adds += reps;
			}
		}
	}
	return err;
}

int layout_run(int rounds, __u32 reps, __u32 cap, __u32 nflows,
	       struct layout_res *res)
{
	struct ctx x = {0};
	int err;

	memset(res, 0, sizeof(*res));
	x.nbuckets = (cap + LBXDP_FT_WAYS - 1) / LBXDP_FT_WAYS;
	x.skel = bench_layout_bpf__open();
	if (!x.skel)
		return -errno;
	err = bpf_map__set_max_entries(x.skel->maps.flows, cap);
	if (!err)
		err = bpf_map__set_max_entries(x.skel->maps.buckets,
					       x.nbuckets);
	if (!err)
		err = bench_layout_bpf__load(x.skel);
	if (err) {
		fprintf(stderr, "bench: cannot load bench_layout: %s\n",
			strerror(-err));
		goto cleanup;
	}
	x.prog[P_NONE] = bpf_program__fd(x.skel->progs.bl_none);
	x.prog[P_LRU_FIND] = bpf_program__fd(x.skel->progs.bl_lru_find);
	x.prog[P_OWN_FIND] = bpf_program__fd(x.skel->progs.bl_own_find);
	x.prog[P_LRU_ADD] = bpf_program__fd(x.skel->progs.bl_lru_add);
	x.prog[P_OWN_ADD] = bpf_program__fd(x.skel->progs.bl_own_add);
	x.state = bpf_map__fd(x.skel->maps.state);
	res->cap = cap;
	res->flows = nflows;
	res->nbuckets = x.nbuckets;
	res->reps = reps;
	err = fill(&x, nflows, res);
	if (!err)
		err = finds(&x, rounds, reps, nflows, false, res);
	if (!err)
		err = finds(&x, rounds, reps, nflows, true, res);
	if (!err)
		err = adds(&x, rounds, reps, cap, res);
	if (!err)
		res->n = rounds;
cleanup:
	free(x.placed);
	bench_layout_bpf__destroy(x.skel);
	return err;
}
