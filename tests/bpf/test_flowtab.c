// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The flow table of lbxdp's own layout (bpf/flowtab.h, docs/flow-table.md;
 * not lbxdp's flows map yet), its operations run by bpf/ft_test.bpf.c on
 * a table of this test's: each step checked against the buckets read
 * through an mmap, then a writer and a reader on two CPUs at once.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fixture.h"
#include "../../bpf/ft_test.h"
#include "ft_test.skel.h"

/* Results as ft_test_run.count indexes them (bpf/flowtab.h's FT_*). */
#define C_NOT 2	      /* find: 0 */
#define C_FOUND 3     /* find: 1 */
#define C_ADDED 3     /* put: FT_ADDED */
#define C_MOVED 4     /* put: FT_MOVED */
#define C_EVICTED 5   /* put: FT_EVICTED */
#define C_KEPT 6      /* put: FT_KEPT */
#define C_REWRITTEN 7 /* put: FT_REWRITTEN */
#define C_ABSENT 8    /* put: FT_ABSENT */
#define C_STALE 9     /* put: FT_STALE */
#define K_KEEP 1      /* ft_test_run.keep: FT_KEEP */
#define K_NEWER 2     /* FT_KEEP_NEWER */
#define K_EXIST 3     /* FT_EXIST */
#define C_BUSY FT_TEST_RESULTS
#define SEED 0x1234567U
#define TMO 100000U /* seen units: nothing expires unless a test says */

struct ft {
	struct ft_test_bpf *skel;
	struct lbxdp_ft_bucket *tab; /* the map, mmapped */
	__u8 *tags;		     /* its tags, mmapped */
	size_t len, tags_len;
	__u32 nb;
	int prog;
};

static int ft_open(struct ft *t, __u32 nb)
{
	long page = sysconf(_SC_PAGESIZE);
	int err;

	memset(t, 0, sizeof(*t));
	t->nb = nb;
	t->skel = ft_test_bpf__open();
	if (!t->skel)
		return -errno;
	err = bpf_map__set_max_entries(t->skel->maps.ft, nb);
	if (!err)
		err = bpf_map__set_max_entries(t->skel->maps.tags,
					       lbxdp_ft_ntags(nb));
	if (!err)
		err = ft_test_bpf__load(t->skel);
	if (err)
		return err;
	t->prog = bpf_program__fd(t->skel->progs.ft_test);
	t->len = (nb * sizeof(*t->tab) + page - 1) / page * page;
	t->tab = mmap(NULL, t->len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      bpf_map__fd(t->skel->maps.ft), 0);
	if (t->tab == MAP_FAILED) {
		t->tab = NULL;
		return -errno;
	}
	t->tags_len = (lbxdp_ft_ntags(nb) * 8 + page - 1) / page * page;
	t->tags = mmap(NULL, t->tags_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       bpf_map__fd(t->skel->maps.tags), 0);
	if (t->tags == MAP_FAILED) {
		t->tags = NULL;
		return -errno;
	}
	return 0;
}

static void ft_close(struct ft *t)
{
	if (t->tab)
		munmap(t->tab, t->len);
	if (t->tags)
		munmap(t->tags, t->tags_len);
	ft_test_bpf__destroy(t->skel);
}

static struct lbxdp_ft_way key(__u32 n)
{
	struct lbxdp_ft_way k = {
		.saddr = htonl(IP4(198, 18, 7, 0)) + n,
		.sport = htons(1024),
		.dport = htons(80),
		.vip = 3,
	};

	return k;
}

/* One run of r->op on r->way; the run back in *r. */
static int run(const struct ft *t, struct ft_test_run *r)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = r,
		    .ctx_size_in = sizeof(*r));

	r->nbuckets = t->nb;
	r->seed = SEED;
	return bpf_prog_test_run_opts(t->prog, &o) ? -errno : (int)o.retval;
}

/* Operation @op on key @n, seen @seen, gen @gen; a put's keep mode @keep
 * (K_*). The run back. */
static struct ft_test_run opk(const struct ft *t, __u32 op, __u32 n, __u32 seen,
			      __u32 gen, __u32 keep)
{
	struct ft_test_run r = {.op = op, .tmo = TMO, .keep = keep};

	r.way = key(n);
	r.way.seen = seen;
	r.way.gen = gen;
	ASSERT_OK(run(t, &r), "test_run");
	return r;
}

/* The same, a put writing over (FT_OVER). */
static struct ft_test_run op1(const struct ft *t, __u32 op, __u32 n, __u32 seen,
			      __u32 gen)
{
	return opk(t, op, n, seen, gen, 0);
}

/* Where key @n is in the table: how many ways hold it (live or not,
 * seen != 0), each in one of its two buckets. */
static int copies(const struct ft *t, __u32 n)
{
	struct lbxdp_ft_way k = key(n);
	__u32 b[2], i;
	int j, c = 0;

	lbxdp_ft_pair(&k, SEED, t->nb, b);
	for (i = 0; i < t->nb; i++) {
		for (j = 0; j < LBXDP_FT_WAYS; j++) {
			const struct lbxdp_ft_way *x = &t->tab[i].w[j];

			if (!x->seen || !lbxdp_ft_same(x, &k))
				continue;
			c++;
			ASSERT_TRUE(i == b[0] || i == b[1],
				    "a flow lies in one of its two buckets");
		}
	}
	return c;
}

/* The tag of way @j of bucket @i, as ft_maybe() reads it. */
static __u8 *tag_at(const struct ft *t, __u32 i, int j)
{
	return &t->tags[(i >> 1) * 8 + (i & 1) * 4 + j];
}

/* Ways that hold a flow whose tag is not there (a stale tag of a freed
 * way is no harm): ft_maybe() would miss their flows. */
static int untagged(const struct ft *t)
{
	__u32 i;
	int j, c = 0;

	for (i = 0; i < t->nb; i++)
		for (j = 0; j < LBXDP_FT_WAYS; j++)
			if (t->tab[i].w[j].seen &&
			    *tag_at(t, i, j) !=
				    lbxdp_ft_tag(&t->tab[i].w[j], SEED))
				c++;
	return c;
}

/* Ways of bucket @i that hold a flow. */
static int live(const struct ft *t, __u32 i)
{
	int j, c = 0;

	for (j = 0; j < LBXDP_FT_WAYS; j++)
		c += t->tab[i].w[j].seen != 0;
	return c;
}

static bool found(const struct ft *t, __u32 n)
{
	struct ft_test_run r = op1(t, FT_OP_FIND, n, 0, 0);

	return r.count[C_FOUND] == 1 && !r.bad;
}

static void test_basics(void)
{
	struct ft_test_run r;
	struct ft t;

	test__begin(
		"flowtab: a flow put is found with its value; del frees it");
	if (!ASSERT_OK(ft_open(&t, 64), "load ft_test"))
		goto out;
	r = op1(&t, FT_OP_PUT, 1, 100, 7);
	ASSERT_EQ(r.count[C_ADDED], 1, "put a new flow: FT_ADDED");
	r = op1(&t, FT_OP_FIND, 1, 0, 0);
	ASSERT_EQ(r.count[C_FOUND], 1, "find it");
	ASSERT_EQ(r.bad, 0, "its backend is its key's");
	ASSERT_EQ(r.out.gen, 7, "its gen");
	ASSERT_EQ(r.out.seen, 100, "its seen");
	ASSERT_EQ(copies(&t, 1), 1, "one way holds it");
	r = op1(&t, FT_OP_FIND, 2, 0, 0);
	ASSERT_EQ(r.count[C_NOT], 1, "a key never put is not found");
	r = op1(&t, FT_OP_DEL, 1, 0, 0);
	ASSERT_EQ(r.count[C_FOUND], 1, "del: it was there");
	ASSERT_EQ(op1(&t, FT_OP_FIND, 1, 0, 0).count[C_NOT], 1,
		  "not found after del");
	ASSERT_EQ(op1(&t, FT_OP_DEL, 1, 0, 0).count[C_NOT], 1,
		  "del again: not there");
	ASSERT_EQ(copies(&t, 1), 0, "no way holds it");
	ft_close(&t);
	/* One bucket is no pair: refused, not locked twice. */
	if (!ASSERT_OK(ft_open(&t, 1), "load ft_test"))
		goto out;
	ASSERT_EQ(op1(&t, FT_OP_PUT, 1, 100, 0).count[0], 1,
		  "put into a table of one bucket: ENOENT");
	ASSERT_EQ(copies(&t, 1), 0, "nothing written");
out:
	ft_close(&t);
	test__end();

	test__begin(
		"flowtab: a second put keeps the first's place, or writes over it; FT_EXIST adds none");
	if (!ASSERT_OK(ft_open(&t, 64), "load ft_test"))
		goto out2;
	op1(&t, FT_OP_PUT, 1, 100, 1);
	r = opk(&t, FT_OP_PUT, 1, 110, 2, K_KEEP);
	ASSERT_EQ(r.count[C_KEPT], 1, "keep: FT_KEPT");
	ASSERT_EQ(r.out.gen, 1, "keep: what is there comes back");
	ASSERT_EQ(op1(&t, FT_OP_FIND, 1, 0, 0).out.gen, 1, "kept as it was");
	r = op1(&t, FT_OP_PUT, 1, 120, 3);
	ASSERT_EQ(r.count[C_REWRITTEN], 1, "no keep: FT_REWRITTEN");
	r = op1(&t, FT_OP_FIND, 1, 0, 0);
	ASSERT_EQ(r.out.gen, 3, "written over: gen");
	ASSERT_EQ(r.out.seen, 120, "written over: seen");
	ASSERT_EQ(copies(&t, 1), 1, "still one way");
	/* FT_EXIST: over the flow that is there, none for one that is not. */
	r = opk(&t, FT_OP_PUT, 1, 130, 4, K_EXIST);
	ASSERT_EQ(r.count[C_REWRITTEN], 1, "exist: FT_REWRITTEN");
	ASSERT_EQ(op1(&t, FT_OP_FIND, 1, 0, 0).out.gen, 4, "exist: written");
	ASSERT_EQ(copies(&t, 1), 1, "exist: still one way");
	r = opk(&t, FT_OP_PUT, 2, 130, 4, K_EXIST);
	ASSERT_EQ(r.count[C_ABSENT], 1, "exist, not there: FT_ABSENT");
	ASSERT_EQ(op1(&t, FT_OP_FIND, 2, 0, 0).count[C_NOT], 1,
		  "exist, not there: not added");
	ASSERT_EQ(untagged(&t), 0, "ways without their flow's tag");
out2:
	ft_close(&t);
	test__end();
}

/*
 * Two buckets (six ways, every flow's pair): a seventh live flow evicts
 * the one seen longest ago; an expired way is taken before any eviction.
 */
static void test_full(void)
{
	struct ft_test_run r;
	struct ft t;
	__u32 n;

	test__begin(
		"flowtab: a full pair evicts the flow seen longest ago, an expired way goes first");
	if (!ASSERT_OK(ft_open(&t, 2), "load ft_test"))
		goto out;
	/* Seen 60, 50, ..., 10: key 6 is the stalest. Each into the
	 * emptier bucket: two in each after four. */
	for (n = 1; n <= 6; n++) {
		ASSERT_EQ(op1(&t, FT_OP_PUT, n, 70 - 10 * n, 0).count[C_ADDED],
			  1, "six flows fill six ways");
		if (n == 4)
			ASSERT_TRUE(live(&t, 0) == 2 && live(&t, 1) == 2,
				    "four flows: two in each bucket");
	}
	r = op1(&t, FT_OP_PUT, 7, 70, 0);
	ASSERT_EQ(r.count[C_EVICTED], 1, "the seventh evicts");
	ASSERT_TRUE(!found(&t, 6), "the stalest (seen 10) is gone");
	for (n = 1; n <= 5; n++)
		ASSERT_TRUE(found(&t, n), "the other five stay");
	ASSERT_TRUE(found(&t, 7), "the seventh is there");
	/* At 20000 with a timeout of 100000 units nothing has expired; at
	 * 100065 the flows seen 60 and earlier have (keys 1 to 5). */
	r = (struct ft_test_run){.op = FT_OP_PUT, .tmo = TMO};
	r.way = key(8);
	r.way.seen = 100065;
	ASSERT_OK(run(&t, &r), "test_run");
	ASSERT_EQ(r.count[C_ADDED], 1, "an expired way is taken, no eviction");
	ASSERT_TRUE(found(&t, 7), "the live flow (seen 70) stays");
	ASSERT_EQ(untagged(&t), 0, "ways without their flow's tag");
	/* A stamp ahead of the putter's clock is live: at 50, with a
	 * timeout of 10, a flow seen 70 is not expired. */
	ft_close(&t);
	if (!ASSERT_OK(ft_open(&t, 2), "load ft_test"))
		goto out;
	for (n = 1; n <= 6; n++)
		op1(&t, FT_OP_PUT, n, 70, 0);
	r = (struct ft_test_run){.op = FT_OP_PUT, .tmo = 10};
	r.way = key(7);
	r.way.seen = 50;
	ASSERT_OK(run(&t, &r), "test_run");
	ASSERT_EQ(r.count[C_EVICTED], 1,
		  "flows seen ahead of the clock are live: an eviction");
out:
	ft_close(&t);
	test__end();
}

/*
 * A peer's synced entry (FT_KEEP_NEWER, stamped with its own time) into
 * a full pair evicts the stalest flow only if that was seen before it:
 * else every flow of the pair, seen since, stays and it is not written.
 */
static void test_full_newer(void)
{
	struct ft_test_run r;
	struct ft t;
	__u32 n;

	test__begin(
		"flowtab: a synced entry into a full pair evicts only a flow seen before it");
	if (!ASSERT_OK(ft_open(&t, 2), "load ft_test"))
		goto out;
	for (n = 1; n <= 6; n++) /* seen 60, 50, ..., 10 */
		op1(&t, FT_OP_PUT, n, 70 - 10 * n, 0);
	r = (struct ft_test_run){
		.op = FT_OP_PUT, .tmo = TMO, .keep = K_NEWER, .now = 70};
	r.way = key(7);
	r.way.seen = 10;
	ASSERT_OK(run(&t, &r), "test_run");
	ASSERT_EQ(r.count[C_STALE], 1, "seen with the stalest: FT_STALE");
	ASSERT_TRUE(!found(&t, 7), "not written");
	for (n = 1; n <= 6; n++)
		ASSERT_TRUE(found(&t, n), "the six stay");
	r.way.seen = 11;
	ASSERT_OK(run(&t, &r), "test_run");
	ASSERT_EQ(r.count[C_EVICTED], 1, "seen after the stalest: evicts it");
	ASSERT_TRUE(found(&t, 7) && !found(&t, 6), "in place of key 6");
out:
	ft_close(&t);
	test__end();
}

/*
 * lbxdp writes entries seen long before its clock (a peer's synced flows,
 * copies at an upgrade): the live flows of the pair are judged at the
 * writer's clock, not at the entry's stamp. With a timeout of a day, an
 * entry idle 6 hours (more than LBXDP_FT_AHEAD) once took the way of a
 * flow just seen for a free one, and evicted it as the stalest.
 */
static void test_put_old(void)
{
	const __u32 now = 10000000, day = 5150000, hours6 = 1290000;
	struct ft_test_run r;
	struct ft t;
	__u32 n;

	test__begin(
		"flowtab: a put of a flow idle 6 hours at the writer's clock keeps the flows just seen");
	if (!ASSERT_OK(ft_open(&t, 2), "load ft_test"))
		goto out;
	for (n = 1; n <= 5; n++)
		op1(&t, FT_OP_PUT, n, now, 0);
	r = (struct ft_test_run){.op = FT_OP_PUT, .tmo = day, .now = now};
	r.way = key(6);
	r.way.seen = now - hours6;
	ASSERT_OK(run(&t, &r), "test_run");
	ASSERT_EQ(r.count[C_ADDED], 1, "into the free way");
	for (n = 1; n <= 6; n++) {
		test__context("flow %u", n);
		ASSERT_TRUE(found(&t, n), "found");
	}
	test__context("the pair full");
	r = (struct ft_test_run){.op = FT_OP_PUT, .tmo = day, .now = now};
	r.way = key(7);
	r.way.seen = now - hours6 - 1000;
	ASSERT_OK(run(&t, &r), "test_run");
	ASSERT_EQ(r.count[C_EVICTED], 1, "an eviction");
	ASSERT_TRUE(!found(&t, 6), "the one idle 6 hours evicted");
	for (n = 1; n <= 5; n++) {
		test__context("flow %u", n);
		ASSERT_TRUE(found(&t, n), "found");
	}
out:
	ft_close(&t);
	test__end();
}

/*
 * Eight buckets, flows put until the first eviction: every put before it
 * leaves every flow found, once, in one of its two buckets; some of them
 * needed a move.
 */
static void test_moves(void)
{
	int moved = 0, evicted = 0;
	struct ft_test_run r;
	__u32 n, m;
	struct ft t;

	test__begin(
		"flowtab: a full pair moves a flow to its other bucket, every flow stays");
	if (!ASSERT_OK(ft_open(&t, 8), "load ft_test"))
		goto out;
	for (n = 1; n <= 24 && !evicted && !test__failed(); n++) {
		r = op1(&t, FT_OP_PUT, n, 1000 + n, 0);
		moved += r.count[C_MOVED];
		evicted += r.count[C_EVICTED];
		if (evicted)
			break;
		ASSERT_EQ(r.count[C_ADDED] + r.count[C_MOVED], 1,
			  "put: added or moved");
		for (m = 1; m <= n; m++) {
			test__context("after %u puts, flow %u", n, m);
			ASSERT_TRUE(found(&t, m), "found");
			ASSERT_EQ(copies(&t, m), 1, "in one way");
		}
	}
	test__context("%u flows in 24 ways", n);
	ASSERT_GT(moved, 0, "puts that moved a flow");
	ASSERT_EQ(untagged(&t), 0, "ways without their flow's tag");
	test__note("%u flows put before the first eviction, %d moves", n,
		   moved);
out:
	ft_close(&t);
	test__end();
}

/* The seq: a bucket held by a writer (odd) makes each operation busy;
 * a touch writes only over the seen it read. */
static void test_held(void)
{
	struct lbxdp_ft_way k = key(1);
	struct ft_test_run r;
	__u32 b[2];
	int i;
	struct ft t;

	test__begin(
		"flowtab: a bucket held by a writer makes find, put and del busy");
	if (!ASSERT_OK(ft_open(&t, 64), "load ft_test"))
		goto out;
	op1(&t, FT_OP_PUT, 1, 100, 0);
	lbxdp_ft_pair(&k, SEED, t.nb, b);
	for (i = 0; i < 2; i++) {
		test__context("bucket %d of the pair held", i);
		t.tab[b[i]].seq |= 1;
		ASSERT_EQ(op1(&t, FT_OP_FIND, 1, 0, 0).count[C_BUSY], 1,
			  "find: busy");
		ASSERT_EQ(op1(&t, FT_OP_PUT, 1, 200, 0).count[C_BUSY], 1,
			  "put: busy");
		ASSERT_EQ(op1(&t, FT_OP_DEL, 1, 0, 0).count[C_BUSY], 1,
			  "del: busy");
		t.tab[b[i]].seq++;
		ASSERT_EQ(op1(&t, FT_OP_FIND, 1, 0, 0).out.seen, 100,
			  "released: found as it was");
	}
out:
	ft_close(&t);
	test__end();

	test__begin("flowtab: touch writes only over the seen it read");
	if (!ASSERT_OK(ft_open(&t, 64), "load ft_test"))
		goto out2;
	op1(&t, FT_OP_PUT, 1, 100, 0);
	r = (struct ft_test_run){.op = FT_OP_TOUCH, .now = 200};
	r.way = key(1);
	ASSERT_OK(run(&t, &r), "test_run");
	ASSERT_EQ(r.count[C_FOUND], 1, "touch: done");
	ASSERT_EQ(op1(&t, FT_OP_FIND, 1, 0, 0).out.seen, 200, "seen 200");
	/* As if another writer wrote the way after this one read it. */
	r = (struct ft_test_run){.op = FT_OP_TOUCH, .now = 300};
	r.way = key(1);
	r.out.seen = 150;
	ASSERT_OK(run(&t, &r), "test_run");
	ASSERT_EQ(r.count[C_NOT], 1, "touch over another seen: not done");
	ASSERT_EQ(op1(&t, FT_OP_FIND, 1, 0, 0).out.seen, 200, "seen stays 200");
out2:
	ft_close(&t);
	test__end();
}

/* Whether a bucket of the table is held (its seq odd). */
static bool any_held(const struct ft *t)
{
	__u32 i;

	for (i = 0; i < t->nb; i++)
		if (t->tab[i].seq & 1)
			return true;
	return false;
}

/*
 * A lock whose last try takes the bucket holds it and says so: the
 * callback's word, not bpf_loop()'s count, which is the same when the
 * last try took it and when none did. Read as busy, the put would have
 * left the bucket held for good (its flows busy, dropped, ever after).
 */
static void test_lock_last_try(void)
{
	struct ft_test_run r;
	struct ft t;

	test__begin(
		"flowtab: a lock taken on its last try is held and released; one try more is busy");
	if (!ASSERT_OK(ft_open(&t, 64), "load ft_test"))
		goto out;
	t.skel->bss->lock_held = FT_TEST_LOCK_TRIES - 1;
	r = op1(&t, FT_OP_PUT, 1, 100, 0);
	ASSERT_EQ(t.skel->bss->lock_held, 0,
		  "every try but the last met it held");
	ASSERT_EQ(r.count[C_ADDED], 1, "put: added");
	ASSERT_TRUE(!any_held(&t), "no bucket left held");
	ASSERT_TRUE(found(&t, 1), "found");

	t.skel->bss->lock_held = FT_TEST_LOCK_TRIES;
	r = op1(&t, FT_OP_PUT, 2, 100, 0);
	ASSERT_EQ(t.skel->bss->lock_held, 0, "every try met it held");
	ASSERT_EQ(r.count[C_BUSY], 1, "put: busy");
	ASSERT_TRUE(!any_held(&t), "no bucket left held");
	ASSERT_TRUE(!found(&t, 2), "not put");
out:
	ft_close(&t);
	test__end();
}

#define PINNED 4
#define CHURN 64
#define WRITER_ROUNDS 300

struct race {
	const struct ft *t;
	volatile int done;
	__u64 reads, missed, bad, busy, untagged;
	__u64 moved, evicted, wbusy;
	int err;
};

static void pin(int cpu)
{
	cpu_pin(cpu % (int)sysconf(_SC_NPROCESSORS_ONLN));
}

/* Churn: put its flows (older than the pinned ones, so that they are
 * evicted first), delete them every third round, and write the pinned
 * ones over every fifth. */
static void *writer(void *arg)
{
	struct race *x = arg;
	int i, n;

	pin(0);
	for (i = 0; i < WRITER_ROUNDS && !x->err; i++) {
		for (n = 0; n < CHURN && !x->err; n++) {
			struct ft_test_run r = {.tmo = TMO};

			r.op = i % 3 == 2 ? FT_OP_DEL : FT_OP_PUT;
			r.way = key(100 + (i % 7) * 8 + n);
			r.way.seen = 500;
			x->err = run(x->t, &r);
			x->moved += r.count[C_MOVED];
			x->evicted += r.count[C_EVICTED];
			x->wbusy += r.count[C_BUSY];
		}
		for (n = 1; i % 5 == 0 && n <= PINNED && !x->err; n++) {
			struct ft_test_run r = {.op = FT_OP_PUT, .tmo = TMO};

			r.way = key(n);
			r.way.seen = 1000;
			r.way.gen = (__u16)i;
			x->err = run(x->t, &r);
		}
	}
	x->done = 1;
	return NULL;
}

/* The pinned flows, never deleted nor the stalest of any pair: found at
 * every read that a writer did not keep busy; every way read whole. */
static void *reader(void *arg)
{
	struct race *x = arg;
	int n;

	pin(1);
	/* One pass at least, however soon the writer is done. */
	do {
		for (n = 1; n <= PINNED + CHURN && !x->err; n++) {
			struct ft_test_run r = {.op = FT_OP_FIND};

			r.way = key(n <= PINNED ? (__u32)n
						: 100 + (__u32)(n - PINNED));
			x->err = run(x->t, &r);
			if (n <= PINNED) {
				/* Its tag too, with no seq to retry. */
				struct ft_test_run m = {.op = FT_OP_MAYBE};

				x->reads++;
				x->missed += r.count[C_NOT];
				m.way = key((__u32)n);
				x->err = x->err ? x->err : run(x->t, &m);
				x->untagged += m.count[C_NOT];
			}
			x->busy += r.count[C_BUSY];
			x->bad += r.bad;
		}
	} while (!x->done && !x->err);
	return NULL;
}

static void test_race(void)
{
	struct race x = {0};
	pthread_t w, rd;
	struct ft t;
	__u32 n;

	test__begin(
		"flowtab: a writer and a reader on two CPUs: the reader never misses a flow that stays, nor reads half a way");
	if (!ASSERT_OK(ft_open(&t, 8), "load ft_test"))
		goto out;
	for (n = 1; n <= PINNED; n++)
		op1(&t, FT_OP_PUT, n, 1000, 0);
	x.t = &t;
	if (!ASSERT_OK(pthread_create(&rd, NULL, reader, &x), "reader"))
		goto out;
	if (!ASSERT_OK(pthread_create(&w, NULL, writer, &x), "writer"))
		x.done = 1;
	else
		pthread_join(w, NULL);
	pthread_join(rd, NULL);
	ASSERT_OK(x.err, "test_run");
	ASSERT_GT(x.reads, 0, "reads of the pinned flows");
	ASSERT_EQ(x.missed, 0, "pinned flows not found");
	ASSERT_EQ(x.untagged, 0, "pinned flows whose tag read as not there");
	ASSERT_EQ(x.bad, 0, "ways read with another key's backend");
	ASSERT_GT(x.moved, 0, "the writer's puts that moved a flow");
	ASSERT_GT(x.evicted, 0, "the writer's puts that evicted");
	ASSERT_EQ(x.wbusy, 0, "the writer, alone, never busy");
	for (n = 1; n <= PINNED; n++)
		ASSERT_EQ(copies(&t, n), 1, "each pinned flow in one way");
	ASSERT_EQ(untagged(&t), 0, "ways without their flow's tag");
	test__note(
		"%llu reads of pinned flows, %llu busy; the writer moved %llu flows, evicted %llu",
		(unsigned long long)x.reads, (unsigned long long)x.busy,
		(unsigned long long)x.moved, (unsigned long long)x.evicted);
out:
	ft_close(&t);
	test__end();
}

/*
 * A batch of puts in one run, each through a global function (the
 * verifier's limit made ft_test one operation a run): every flow of the
 * batch lands in one of its buckets, with its value, once.
 */
static void test_batch(void)
{
	LIBBPF_OPTS(bpf_test_run_opts, o);
	struct ft_test_batch *b;
	struct ft t;
	__u32 i, bk[2];
	int j, c, wrong = 0;

	test__begin(
		"flowtab: a batch of puts in one run, through a global function");
	if (!ASSERT_OK(ft_open(&t, 256), "open"))
		goto out;
	b = &t.skel->bss->batch;
	b->n = FT_TEST_BATCH;
	b->nbuckets = t.nb;
	b->seed = SEED;
	b->tmo = TMO;
	for (i = 0; i < FT_TEST_BATCH; i++) {
		b->w[i] = key(i);
		b->w[i].backend = ft_test_backend(&b->w[i]);
		b->w[i].seen = 100;
		b->res[i] = 0;
	}
	if (!ASSERT_OK(bpf_prog_test_run_opts(
			       bpf_program__fd(t.skel->progs.ft_test_puts), &o),
		       "test_run"))
		goto out;
	for (i = 0; i < FT_TEST_BATCH; i++) {
		test__context("flow %u", i);
		ASSERT_EQ(b->res[i], C_ADDED - 2, "put: FT_ADDED");
		ASSERT_EQ(copies(&t, i), 1, "ways that hold it");
		lbxdp_ft_pair(&b->w[i], SEED, t.nb, bk);
		for (c = 0; c < 2; c++)
			for (j = 0; j < LBXDP_FT_WAYS; j++)
				if (lbxdp_ft_same(&t.tab[bk[c]].w[j],
						  &b->w[i]) &&
				    t.tab[bk[c]].w[j].backend !=
					    b->w[i].backend)
					wrong++;
	}
	ASSERT_EQ(wrong, 0, "ways with another flow's backend");
	ASSERT_EQ(untagged(&t), 0, "ways without their flow's tag");
out:
	ft_close(&t);
	test__end();
}

static bool maybe(const struct ft *t, __u32 n)
{
	return op1(t, FT_OP_MAYBE, n, 0, 0).count[C_FOUND] == 1;
}

static int retag_all(const struct ft *t)
{
	struct ft_test_run r;
	__u32 i;
	int busy = 0;

	for (i = 0; i < t->nb; i++) {
		r = (struct ft_test_run){.op = FT_OP_RETAG, .now = i};
		ASSERT_OK(run(t, &r), "test_run");
		busy += r.count[C_BUSY];
	}
	return busy;
}

#define TAG_FLOWS 300

/*
 * The tags (lbxdp/flowtab.h): a flow put may be there, one never put
 * mostly may not; tags lost (an older program's ways) are found again by
 * a retag, which leaves a bucket a writer holds alone.
 */
static void test_tags(void)
{
	struct lbxdp_ft_way k = key(1);
	__u32 n, b[2], absent = 0;
	struct ft t;

	test__begin(
		"flowtab: a flow's tag says it may be there; retag restores lost tags");
	if (!ASSERT_OK(ft_open(&t, 256), "load ft_test"))
		goto out;
	for (n = 1; n <= TAG_FLOWS; n++)
		op1(&t, FT_OP_PUT, n, 100, 0);
	ASSERT_EQ(untagged(&t), 0, "ways without their flow's tag");
	for (n = 1; n <= TAG_FLOWS; n++)
		ASSERT_TRUE(maybe(&t, n), "a flow put may be there");
	for (n = TAG_FLOWS + 1; n <= 2 * TAG_FLOWS; n++)
		absent += !maybe(&t, n);
	/* 300 flows in 768 ways: a pair has ~2.3 live ways, each a tag of
	 * 255, so ~1% read as may-be-there. */
	ASSERT_GT(absent, TAG_FLOWS * 9 / 10, "flows never put: not there");
	test__note("%u of %u flows never put read as not there", absent,
		   TAG_FLOWS);

	/* A move of the flow into the bucket read first, after both were
	 * read (the second had lost it): the first is read again. */
	for (n = TAG_FLOWS + 1; n <= 2 * TAG_FLOWS && maybe(&t, n); n++)
		;
	ASSERT_TRUE(n <= 2 * TAG_FLOWS, "a flow never put, not there");
	t.skel->bss->move_between = 1;
	ASSERT_TRUE(maybe(&t, n), "a move between the reads: may be there");
	ASSERT_EQ(t.skel->bss->move_between, 0, "the move was made");

	/* As an older program leaves them: no tags. */
	memset(t.tags, 0, lbxdp_ft_ntags(t.nb) * 8);
	ASSERT_TRUE(!maybe(&t, 1), "its tags gone: read as not there");
	lbxdp_ft_pair(&k, SEED, t.nb, b);
	t.tab[b[0]].seq |= 1;
	ASSERT_EQ(retag_all(&t), 1, "retag: the held bucket busy");
	ASSERT_TRUE(untagged(&t) == live(&t, b[0]),
		    "a held bucket's ways left untagged, every other tagged");
	t.tab[b[0]].seq++;
	ASSERT_EQ(retag_all(&t), 0, "retag, none held: none busy");
	ASSERT_EQ(untagged(&t), 0, "ways without their flow's tag");
	for (n = 1; n <= TAG_FLOWS; n++)
		ASSERT_TRUE(maybe(&t, n), "retagged: a flow put may be there");
out:
	ft_close(&t);
	test__end();
}

/* The bucket of key @n's pair that holds it live, or -1. */
static int bucket_of(const struct ft *t, __u32 n)
{
	struct lbxdp_ft_way k = key(n);
	__u32 b[2];
	int i, j;

	lbxdp_ft_pair(&k, SEED, t->nb, b);
	for (i = 0; i < 2; i++)
		for (j = 0; j < LBXDP_FT_WAYS; j++)
			if (t->tab[b[i]].w[j].seen &&
			    lbxdp_ft_same(&t->tab[b[i]].w[j], &k))
				return (int)b[i];
	return -1;
}

/*
 * A refresh that a move of its flow beat (a packet found the flow, then
 * another CPU's put moved it to its other bucket before the packet's touch):
 * the move sealed the way it left, so the touch fails and the flow is found
 * again and touched where it went. Both when the put has written its new
 * flow over that way and when it has not yet.
 */
static void test_touch_moved(void)
{
	static const char *const name[] = {
		"flowtab: a touch that a move of its flow beat lands where the flow went (the way it left written over)",
		"flowtab: a touch that a move of its flow beat lands where the flow went (the way it left sealed only)",
	};
	struct ft_test_run r;
	struct ft t;
	int was, i;

	for (i = 0; i < 2; i++) {
		test__begin(name[i]);
		if (!ASSERT_OK(ft_open(&t, 64), "load ft_test"))
			goto out;
		op1(&t, FT_OP_PUT, 1, 100, 0);
		was = bucket_of(&t, 1);
		t.skel->bss->move_before_touch = i + 1;
		r = (struct ft_test_run){.op = FT_OP_REFRESH, .now = 500};
		r.way = key(1);
		ASSERT_OK(run(&t, &r), "test_run");
		ASSERT_EQ(t.skel->bss->move_before_touch, 0,
			  "the move was made");
		ASSERT_EQ(r.count[C_FOUND], 1, "refreshed");
		ASSERT_TRUE(bucket_of(&t, 1) != was, "in its other bucket");
		ASSERT_EQ(copies(&t, 1), 1, "in one way");
		ASSERT_EQ(op1(&t, FT_OP_FIND, 1, 0, 0).out.seen, 500,
			  "seen: the touch's");
	out:
		ft_close(&t);
		test__end();
	}
}

/*
 * A touch that lands on a flow's way between a move's copy of it and the
 * seal of the way: carried to the copy, which is then the flow's one way.
 */
static void test_move_touched(void)
{
	struct ft_test_run r = {0};
	__u32 n, m, touched = 0;
	struct ft t;

	test__begin(
		"flowtab: a touch between a move's copy and its seal is carried to the copy");
	if (!ASSERT_OK(ft_open(&t, 8), "load ft_test"))
		goto out;
	for (n = 1; n <= 24 && !r.count[C_MOVED] && !test__failed(); n++) {
		t.skel->bss->touch_in_move = 7777;
		r = op1(&t, FT_OP_PUT, n, 1000 + n, 0);
		ASSERT_EQ(r.count[C_EVICTED], 0, "no eviction before a move");
	}
	if (!ASSERT_EQ(r.count[C_MOVED], 1, "a put that moved a flow") ||
	    !ASSERT_EQ(t.skel->bss->touch_in_move, 0, "the touch was made"))
		goto out;
	for (m = 1; m < n; m++) {
		test__context("flow %u", m);
		ASSERT_EQ(copies(&t, m), 1, "in one way");
		if (op1(&t, FT_OP_FIND, m, 0, 0).out.seen == 7777)
			touched++;
	}
	test__context("%u flows", n - 1);
	ASSERT_EQ(touched, 1, "flows with the touch's seen");
out:
	ft_close(&t);
	test__end();
}

/*
 * lbxdp deletes an entry only as it read it (an expired one): a packet's
 * touch, which takes no seq, between the delete's compare and its free
 * keeps the flow's entry.
 */
static void test_del_touched(void)
{
	struct ft_test_run r;
	struct ft t;

	test__begin(
		"flowtab: a delete of a way as it was seen leaves it to a touch that came between");
	if (!ASSERT_OK(ft_open(&t, 2), "load ft_test"))
		goto out;
	op1(&t, FT_OP_PUT, 1, 100, 0);
	t.skel->bss->touch_in_del = 200;
	r = (struct ft_test_run){.op = FT_OP_DEL};
	r.way = key(1);
	r.out.seen = 100;
	ASSERT_OK(run(&t, &r), "test_run");
	ASSERT_EQ(t.skel->bss->touch_in_del, 0, "the touch came between");
	ASSERT_EQ(r.count[C_NOT], 1, "not deleted");
	ASSERT_EQ(op1(&t, FT_OP_FIND, 1, 0, 0).out.seen, 200,
		  "the flow, as touched");
	r = (struct ft_test_run){.op = FT_OP_DEL};
	r.way = key(1);
	r.out.seen = 200;
	ASSERT_OK(run(&t, &r), "test_run");
	ASSERT_EQ(r.count[C_FOUND], 1, "deleted as seen, no touch between");
	ASSERT_TRUE(!found(&t, 1), "gone");
out:
	ft_close(&t);
	test__end();
}

/*
 * A find that matched a way which a writer then gives to another flow (a
 * put that moved or evicted it) before the find copies it: the retry looks
 * for its own key still, as lbxdp's program finds in place (key and result
 * in one way), and does not take the other flow for it.
 */
static void test_find_given(void)
{
	struct ft_test_run r;
	struct ft t;

	test__begin(
		"flowtab: a find whose way is given to another flow before its copy -> not that flow");
	if (!ASSERT_OK(ft_open(&t, 2), "load ft_test"))
		goto out;
	op1(&t, FT_OP_PUT, 1, 100, 0);
	t.skel->bss->give_found = 1;
	r = op1(&t, FT_OP_FIND, 1, 0, 0);
	ASSERT_EQ(t.skel->bss->give_found, 0, "the writer came between");
	ASSERT_EQ(r.bad, 0, "finds that returned another flow");
	ASSERT_EQ(r.count[C_NOT], 1, "not found: its way is another's");
out:
	ft_close(&t);
	test__end();
}

void test_flowtab(void)
{
	test_basics();
	test_full();
	test_full_newer();
	test_put_old();
	test_moves();
	test_batch();
	test_held();
	test_lock_last_try();
	test_touch_moved();
	test_move_touched();
	test_find_given();
	test_del_touched();
	test_race();
	test_tags();
}
