// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Hand-written cases that a fixture row cannot hold: a literal frame in and
 * out, many flows against user-space Maglev (which pins the ABI hash of
 * include/lbxdp/hash.h on both sides), consistent hashing across set and
 * weight changes, and the per-VIP and per-backend counters.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "lbxdp/flowtab.h"
#include "lbxdp/hash.h"
#include "attach.h"
#include "records.h"
#include "flowsync.h"
#include "jet.h"
#include "fixture.h"

#define NFLOWS_MISS 200
#define NFLOWS_MH 64
#define MAX_SHOWN 5

/* A service and up to FX_BES backends on env.main, with the helpers' MACs
 * (set 1); torn down by svc_end(). */
struct svc {
	struct lbxdp_vip_key key;
	struct lbxdp_sched_backend sb[FX_BES]; /* id: index + 1 */
	size_t n;
	struct lbxdp_config cfg0;
	bool added;
	int set; /* the backends' MAC set: 1 unless set before svc_backend() */
};

static bool svc_begin_proto(struct svc *s, __u32 addr, __u16 port, __u8 proto,
			    int sched)
{
	struct lbxdp_ctx *c = &env.main.ctx;

	memset(s, 0, sizeof(*s));
	if (!ASSERT_OK(lbxdp_config_read(c), "config read"))
		return false;
	s->cfg0 = c->cfg;
	vip_key(&s->key, addr, port, proto);
	s->added =
		ASSERT_OK(lbxdp_vip_add(c, &s->key, sched, 0, LBXDP_OWNER_CLI),
			  "vip add");
	return s->added;
}

static bool svc_begin(struct svc *s, __u32 addr, __u16 port, int sched)
{
	return svc_begin_proto(s, addr, port, IPPROTO_TCP, sched);
}

static bool svc_backend(struct svc *s, __u32 addr, __u16 weight)
{
	struct lbxdp_sched_backend *b = &s->sb[s->n];
	__u8 mac[6];

	if (!ASSERT_TRUE(s->n < FX_BES, "room for a backend"))
		return false;
	memset(b, 0, sizeof(*b));
	addr4(b->addr, addr);
	b->id = s->n + 1;
	b->weight = weight;
	be_mac(mac, s->set ? s->set : 1, s->n);
	if (!ASSERT_OK(lbxdp_backend_add(&env.main.ctx, &s->key, b->addr,
					 weight, mac, LBXDP_OWNER_CLI),
		       "backend add"))
		return false;
	s->n++;
	return true;
}

static bool svc_weight(struct svc *s, size_t i, __u16 weight)
{
	struct lbxdp_backend_change ch = {.weight = weight, .up = -1};

	s->sb[i].weight = weight;
	return ASSERT_OK(
		lbxdp_backend_set(&env.main.ctx, &s->key, s->sb[i].addr, &ch),
		"backend set weight");
}

/* The program's clock held from now on (clock_hold()), so that no stall of
 * this machine moves a step past a window (a memo's 0.5 s, the flood guard's
 * second, a timeout); svc_end() lets it run again. */
static bool svc_hold(struct svc *s)
{
	return clock_hold(&env.main.ctx, &s->cfg0, lbxdp_now_ns());
}

static void svc_end(struct svc *s)
{
	test__context("tear-down");
	lb_reset(&env.main, &s->key, s->added ? 1 : 0, &s->cfg0);
	clock_release(&env.main.ctx);
}

static struct fspec flow_n(int i, __u8 flags, __u32 vip)
{
	struct fspec f = TCPF(IP4(198, 19, 1 + i / 200, 1 + i % 200),
			      (__u16)(1024 + i * 13), vip, 80, flags);

	return f;
}

/* --- a literal frame in, a literal frame out --- */

/* SYN 198.19.0.7:51234 -> 198.18.0.10:80 with an MSS option, from
 * 02:00:00:00:00:02 to the veth's 02:00:00:00:00:01. */
static const __u8 syn_in[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x2c, 0x30, 0x39, 0x40, 0x00, 0x40, 0x06,
	0x7e, 0x5c, 0xc6, 0x13, 0x00, 0x07, 0xc6, 0x12, 0x00, 0x0a, 0xc8, 0x22,
	0x00, 0x50, 0x5e, 0xed, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x60, 0x02,
	0xfa, 0xf0, 0xe9, 0x9d, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
};

/* The same frame forwarded to web1 (02:be:00:00:01:01) from the veth. */
static const __u8 syn_out[] = {
	0x02, 0xbe, 0x00, 0x00, 0x01, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x2c, 0x30, 0x39, 0x40, 0x00, 0x40, 0x06,
	0x7e, 0x5c, 0xc6, 0x13, 0x00, 0x07, 0xc6, 0x12, 0x00, 0x0a, 0xc8, 0x22,
	0x00, 0x50, 0x5e, 0xed, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x60, 0x02,
	0xfa, 0xf0, 0xe9, 0x9d, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
};

static void test_literal_frame(void)
{
	struct lbxdp_global_stats before, after;
	struct frame in = {}, out, want = {};
	__u32 verdict = 0;
	struct svc s;

	test__begin(
		"VIP SYN with options -> XDP_TX, output equals a literal frame");
	test__context("set-up");
	if (!svc_begin(&s, IP4(198, 18, 0, 10), 80, LBXDP_SCHED_WRR) ||
	    !svc_backend(&s, IP4(198, 18, 1, 1), 1))
		goto out;
	test__context("SYN");
	memcpy(in.data, syn_in, sizeof(syn_in));
	in.len = sizeof(syn_in);
	memcpy(want.data, syn_out, sizeof(syn_out));
	want.len = sizeof(syn_out);
	if (!ASSERT_OK(stats_read(&env.main, &before), "read stats") ||
	    !ASSERT_OK(xdp_run(&env.main, &in, &out, &verdict), "test run") ||
	    !ASSERT_OK(stats_read(&env.main, &after), "read stats"))
		goto out;
	ASSERT_VERDICT(verdict, XDP_TX, "SYN");
	ASSERT_FRAME(&out, &want, "SYN");
	ASSERT_STATS(&before, &after, STAT_BIT(forwarded), "SYN");
out:
	svc_end(&s);
	test__end();
}

/* --- non-SYN misses against user-space Maglev --- */

static void test_miss_maglev(void)
{
	static const __u16 w[] = {1, 2, 3, 4};
	int hits[FX_BES] = {}, bad = 0, i;
	struct svc s;
	size_t k;

	test__begin(
		"200 TCP non-SYN flow misses on a wrr VIP -> lbxdp_maglev_build + lbxdp_hash_flow's pick");
	test__context("set-up");
	if (!svc_begin(&s, IP4(198, 18, 0, 10), 80, LBXDP_SCHED_WRR))
		goto out;
	for (k = 0; k < 4; k++)
		if (!svc_backend(&s, IP4(198, 18, 1, 40 - 7 * k), w[k]))
			goto out;
	for (i = 0; i < NFLOWS_MISS; i++) {
		struct fspec f = flow_n(i, TH_ACK, IP4(198, 18, 0, 10));
		__u32 id =
			maglev_pick(s.sb, s.n, env.main.ctx.cfg.ring_size, &f);
		__u8 mac[6];

		test__context("flow %d", i);
		if (!ASSERT_TRUE(id != 0, "user-space Maglev has a backend"))
			break;
		be_mac(mac, 1, id - 1);
		hits[id - 1]++;
		if (!send_expect(&env.main, &f, XDP_TX, mac,
				 STAT_BIT(forwarded) |
					 STAT_BIT(flow_miss_nonsyn),
				 "ACK without flow", NULL) &&
		    ++bad >= MAX_SHOWN)
			break;
	}
	test__context("spread");
	for (k = 0; k < s.n; k++)
		ASSERT_GT(hits[k], 0, "flows on each backend");
out:
	svc_end(&s);
	test__end();
}

/* --- consistent hashing: established flows across changes --- */

/* A packet of every flow, with @flags, goes to @where, where its SYN went;
 * how many of them the current Maglev table would send elsewhere is
 * *moved. */
static bool flows_to(struct svc *s, __u8 flags, const int *where, int *moved,
		     const char *what)
{
	int i, shown = 0;

	*moved = 0;
	for (i = 0; i < NFLOWS_MH; i++) {
		struct fspec f = flow_n(i, flags, ntohl(s->key.addr[0]));
		__u32 id = maglev_pick(s->sb, s->n, env.main.ctx.cfg.ring_size,
				       &f);
		__u8 mac[6];

		test__context("%s, flow %d", what, i);
		if (id && (int)id - 1 != where[i])
			(*moved)++;
		be_mac(mac, 1, where[i]);
		if (!send_expect(&env.main, &f, XDP_TX, mac,
				 STAT_BIT(forwarded), what, NULL) &&
		    ++shown >= MAX_SHOWN)
			return false;
	}
	return !shown;
}

static bool flows_stay(struct svc *s, const int *where, int *moved,
		       const char *what)
{
	return flows_to(s, TH_ACK, where, moved, what);
}

/* New SYNs follow the current table; returns how many went to backend @be. */
static int new_flows(struct svc *s, int base, int be, const char *what)
{
	int i, n = 0, shown = 0;

	for (i = base; i < base + NFLOWS_MH; i++) {
		struct fspec f = flow_n(i, TH_SYN, ntohl(s->key.addr[0]));
		__u32 id = maglev_pick(s->sb, s->n, env.main.ctx.cfg.ring_size,
				       &f);
		__u8 mac[6];

		test__context("%s, flow %d", what, i);
		if (!ASSERT_TRUE(id != 0, "user-space Maglev has a backend"))
			return -1;
		n += (int)id - 1 == be;
		be_mac(mac, 1, id - 1);
		if (!send_expect(&env.main, &f, XDP_TX, mac,
				 STAT_BIT(forwarded), what, NULL) &&
		    ++shown >= MAX_SHOWN)
			return -1;
	}
	return n;
}

/* An mh service at @vip with three servers 198.18.1.@first.. of weight 1,
 * and the SYNs of flows 0..NFLOWS_MH-1, each where user-space Maglev says:
 * *where its server. */
static bool mh_setup(struct svc *s, __u32 vip, int first, int *where)
{
	int i, shown = 0;

	test__context("set-up");
	if (!svc_begin(s, vip, 80, LBXDP_SCHED_MH))
		return false;
	for (i = 0; i < 3; i++)
		if (!svc_backend(s, IP4(198, 18, 1, first + i), 1))
			return false;
	for (i = 0; i < NFLOWS_MH; i++) {
		struct fspec f = flow_n(i, TH_SYN, vip);
		__u32 id = maglev_pick(s->sb, s->n, env.main.ctx.cfg.ring_size,
				       &f);
		__u8 mac[6];

		test__context("SYN of flow %d", i);
		if (!ASSERT_TRUE(id != 0, "user-space Maglev has a backend"))
			return false;
		be_mac(mac, 1, id - 1);
		where[i] = id - 1;
		if (!send_expect(&env.main, &f, XDP_TX, mac,
				 STAT_BIT(forwarded), "SYN, mh", NULL) &&
		    ++shown >= MAX_SHOWN)
			return false;
	}
	return !shown;
}

static void test_mh_consistency(void)
{
	int where[NFLOWS_MH], moved = 0;
	struct svc s;

	test__begin(
		"mh: 64 established flows keep their backends when a backend is added and when weights change");
	if (!mh_setup(&s, IP4(198, 18, 0, 11), 21, where))
		goto out;

	test__context("add web4");
	if (!svc_backend(&s, IP4(198, 18, 1, 24), 1))
		goto out;
	if (!flows_stay(&s, where, &moved, "after adding web4"))
		goto out;
	test__context("after adding web4");
	/* Else the check above proves nothing. */
	ASSERT_GT(moved, 0, "flows a new SYN would now send elsewhere");
	ASSERT_GT(new_flows(&s, 1000, 3, "new SYN after adding web4"), 0,
		  "new flows on web4");

	test__context("web1 weight 4");
	if (!svc_weight(&s, 0, 4))
		goto out;
	if (!flows_stay(&s, where, &moved, "after web1 weight 4"))
		goto out;
	test__context("after web1 weight 4");
	ASSERT_GT(moved, 0, "flows a new SYN would now send elsewhere");
	new_flows(&s, 2000, 0, "new SYN after web1 weight 4");
out:
	svc_end(&s);
	test__end();
}

/* --- just enough tracking: mh flows need entries only where moved --- */

static bool has_entry(const struct fspec *f)
{
	struct lbxdp_flow_key k = flow_key_of(f);
	struct lbxdp_flow v;

	return !lbxdp_flow_get(&env.main.ctx, &k, &v);
}

/* Every stamp of map @m (ring_meta's left, ring_track, ring_left) @sec
 * older. */
static bool jet_age(enum lbxdp_map m, __u32 sec)
{
	struct lbxdp_ctx *c = &env.main.ctx;
	__u32 n = c->cfg.max_vips * (m == M_RING_LEFT	? 2
				     : m == M_RING_META ? 2 * c->cfg.ring_size
				     : m == M_VIP_PRIOR ? 1
							: c->cfg.ring_size);
	__u32 d = (__u32)(((__u64)sec * 1000000000ULL) >> LBXDP_EPOCH_SHIFT);
	size_t sz = m == M_RING_META   ? sizeof(struct lbxdp_ring_meta)
		    : m == M_VIP_PRIOR ? sizeof(struct lbxdp_vip_prior)
				       : 4;
	__u8 *v = calloc(n, sz);
	bool ok = false;
	__u32 i, *at;

	if (!ASSERT_TRUE(v != NULL, "memory") ||
	    !ASSERT_OK(lbxdp_array_read_at(c->fd[m], 0, v, n), "read stamps"))
		goto out;
	for (i = 0; i < n; i++) {
		at = (__u32 *)(v + i * sz + (m == M_RING_META ? 4 : 0));
		if (*at)
			*at = *at > d ? *at - d : 1;
	}
	ok = ASSERT_OK(lbxdp_array_fill(c->fd[m], 0, v, n), "write stamps");
out:
	free(v);
	return ok;
}

static int age_one(const struct lbxdp_flow_key *k, const struct lbxdp_flow *v,
		   void *arg)
{
	struct lbxdp_flow o = *v;

	o.last_seen_ns -= *(const __u64 *)arg;
	return lbxdp_flow_put(&env.main.ctx, k, &o, BPF_EXIST);
}

/* Every flow entry's last-seen time @sec older, and the slots' stamps. */
static bool age_all(__u32 sec)
{
	__u64 d = (__u64)sec * 1000000000ULL;

	if (!ASSERT_OK(lbxdp_flows_walk(&env.main.ctx, age_one, &d),
		       "age the entries"))
		return false;
	return ASSERT_OK(lbxdp_memo_clear(&env.main.ctx), "memos cleared") &&
	       jet_age(M_RING_META, sec) && jet_age(M_RING_TRACK, sec);
}

/* Whether every slot of @key's VIP reads untracked. */
static bool untracked(const struct lbxdp_vip_key *key)
{
	struct lbxdp_ctx *c = &env.main.ctx;
	__u32 ring = c->cfg.ring_size, *v, i;
	struct lbxdp_vip vip;
	bool ok = false;

	v = calloc(ring, sizeof(*v));
	if (!ASSERT_TRUE(v != NULL, "memory") ||
	    !ASSERT_OK(lbxdp_vip_get(c, key, &vip), "the VIP") ||
	    !ASSERT_OK(lbxdp_array_read_at(c->fd[M_RING_TRACK], vip.id * ring,
					   v, ring),
		       "read ring_track"))
		goto out;
	for (i = 0; i < ring && !v[i]; i++)
		;
	ok = ASSERT_EQ(i, ring, "slots untracked");
out:
	free(v);
	return ok;
}

/* How many of flows 0..NFLOWS_MH-1 have an entry; every one that does
 * must be one the live table would send elsewhere than @where says. */
static int entries(struct svc *s, const int *where, const char *what)
{
	int i, n = 0;

	for (i = 0; i < NFLOWS_MH; i++) {
		struct fspec f = flow_n(i, TH_ACK, IP4(198, 18, 0, 12));
		__u32 id = maglev_pick(s->sb, s->n, env.main.ctx.cfg.ring_size,
				       &f);

		test__context("%s, flow %d", what, i);
		if (!has_entry(&f))
			continue;
		n++;
		ASSERT_NEQ((int)id - 1, where[i], "an entry for a flow moved");
	}
	return n;
}

/* A new flow in the slot of a flow with an entry (tracked), once its
 * change settled, goes by the table: looked up, but given no entry. */
static bool tracked_slot_flow(struct svc *s, const int *where)
{
	struct lbxdp_ctx *c = &env.main.ctx;
	struct lbxdp_flow_key k = {.family = LBXDP_AF_INET};
	__u32 want = ~0U, id;
	struct lbxdp_vip vip;
	struct fspec f;
	__u8 mac[6];
	int i;

	if (!ASSERT_OK(lbxdp_vip_get(c, &s->key, &vip), "the VIP"))
		return false;
	for (i = 0; i < NFLOWS_MH && want == ~0U; i++) {
		f = flow_n(i, TH_ACK, ntohl(s->key.addr[0]));
		id = maglev_pick(s->sb, s->n, c->cfg.ring_size, &f);
		if ((int)id - 1 == where[i] || !has_entry(&f))
			continue;
		k.src[0] = htonl(f.saddr);
		k.dst[0] = htonl(f.daddr);
		k.sport = htons(f.sport);
		k.dport = htons(f.dport);
		k.proto = IPPROTO_TCP;
		want = jet_slot_key(c, &vip, &k);
	}
	for (i = 9000; i < 20000; i++) {
		f = flow_n(i, TH_SYN, ntohl(s->key.addr[0]));
		k.src[0] = htonl(f.saddr);
		k.sport = htons(f.sport);
		if (jet_slot_key(c, &vip, &k) == want)
			break;
	}
	test__context("new flow %d in a tracked slot", i);
	if (!ASSERT_TRUE(i < 20000, "a new flow in a tracked slot"))
		return false;
	id = maglev_pick(s->sb, s->n, c->cfg.ring_size, &f);
	be_mac(mac, 1, id - 1);
	if (!send_expect(&env.main, &f, XDP_TX, mac, STAT_BIT(forwarded), "SYN",
			 NULL))
		return false;
	f.tcp_flags = TH_ACK;
	return send_expect(&env.main, &f, XDP_TX, mac, STAT_BIT(forwarded),
			   "ACK", NULL) &&
	       ASSERT_TRUE(!has_entry(&f), "no entry");
}

static void test_jet(void)
{
	int where[NFLOWS_MH], i, moved = 0, shown = 0;
	struct svc s;

	test__begin(
		"jet: mh flows get entries only where a change moves them, kept until idle");
	/* Its id's earlier holder (the case before) tracked slots. */
	if (!mh_setup(&s, IP4(198, 18, 0, 12), 31, where) ||
	    !untracked(&s.key) ||
	    !flows_stay(&s, where, &moved, "ACK, no change"))
		goto out;
	test__context("a table that never changed");
	ASSERT_EQ(entries(&s, where, "no change"), 0, "flows with an entry");

	/* Two changes with no packet between: a flow moved twice is on its
	 * slot's base, not on what the first change made it. */
	test__context("add web4, web2 weight 3");
	if (!svc_backend(&s, IP4(198, 18, 1, 34), 1) || !svc_weight(&s, 1, 3) ||
	    !flows_stay(&s, where, &moved, "after adding web4"))
		goto out;
	test__context("after adding web4");
	ASSERT_GT(moved, 0, "flows a new SYN would now send elsewhere");
	/* The moved ones found their server by the slot's base. */
	ASSERT_EQ(entries(&s, where, "moved"), moved, "flows with an entry");
	ASSERT_GT(new_flows(&s, 1000, 3, "new SYN after adding web4"), 0,
		  "new flows on web4");

	/* Settled, but their entries live: they still look them up, and
	 * their refreshes keep their slots tracked. */
	test__context("a timeout after the change");
	if (!jet_age(M_RING_META, 1000) ||
	    !flows_stay(&s, where, &moved, "change settled, entries live"))
		goto out;
	if (!tracked_slot_flow(&s, where))
		goto out;
	if (!age_all(600) ||
	    !flows_stay(&s, where, &moved, "600 s later, refreshed") ||
	    !age_all(600) ||
	    !flows_stay(&s, where, &moved, "another 600 s later"))
		goto out;
	/* A down base's flows go by the table; the others stay. */
	test__context("web1 down");
	if (!jet_age(M_RING_META, 0))
		goto out;
	{
		struct lbxdp_backend_change ch = {.weight = -1, .up = 0};

		if (!ASSERT_OK(lbxdp_backend_set(&env.main.ctx, &s.key,
						 s.sb[0].addr, &ch),
			       "web1 down"))
			goto out;
		s.sb[0].weight = 0;
	}
	for (i = 0; i < NFLOWS_MH; i++) {
		struct fspec f = flow_n(i, TH_ACK, IP4(198, 18, 0, 12));
		__u32 id =
			maglev_pick(s.sb, s.n, env.main.ctx.cfg.ring_size, &f);
		__u8 mac[6];

		test__context("web1 down, flow %d", i);
		be_mac(mac, 1, where[i] ? where[i] : (int)id - 1);
		if (!send_expect(
			    &env.main, &f, XDP_TX, mac,
			    STAT_BIT(forwarded) |
				    (where[i] ? 0 : STAT_BIT(down_resched)),
			    "web1 down", NULL) &&
		    ++shown >= MAX_SHOWN)
			break;
	}
	if (shown)
		goto out;
	/* All idle past the timeout: no slot is tracked any more, and a
	 * new flow needs no entry anywhere. */
	test__context("all idle");
	if (!age_all(1000))
		goto out;
	for (i = 5000; i < 5000 + NFLOWS_MH; i++) {
		struct fspec f = flow_n(i, TH_SYN, IP4(198, 18, 0, 12));
		__u32 id =
			maglev_pick(s.sb, s.n, env.main.ctx.cfg.ring_size, &f);
		__u8 mac[6];

		test__context("all idle, new flow %d", i);
		be_mac(mac, 1, id - 1);
		if (!send_expect(&env.main, &f, XDP_TX, mac,
				 STAT_BIT(forwarded), "SYN", NULL) ||
		    !ASSERT_TRUE(!has_entry(&f), "no entry"))
			goto out;
	}
out:
	svc_end(&s);
	test__end();
}

/* An entry flow sync installs for a jet flow is looked up: its slot is
 * stamped tracked with it, or the program would go by the table. */
static void test_jet_sync(void)
{
	struct lbxdp_sync_install_stats st = {};
	struct lbxdp_sync_installer *in = NULL;
	struct lbxdp_sync_entry e = {};
	struct fspec f;
	struct svc s;
	int i, q = 0;
	__u32 id;
	__u8 mac[6];

	test__begin(
		"jet: an mh flow's entry installed by flow sync is used, not the table");
	test__context("set-up");
	if (!svc_begin(&s, IP4(198, 18, 0, 13), 80, LBXDP_SCHED_MH))
		goto out;
	for (i = 0; i < 3; i++)
		if (!svc_backend(&s, IP4(198, 18, 1, 41 + i), 1))
			goto out;
	f = flow_n(7, TH_ACK, IP4(198, 18, 0, 13));
	id = maglev_pick(s.sb, s.n, env.main.ctx.cfg.ring_size, &f);
	if (!ASSERT_TRUE(id != 0, "user-space Maglev has a backend"))
		goto out;
	q = (int)id % 3; /* another backend than the table's */
	e.vip = s.key;
	e.client[0] = htonl(f.saddr);
	e.sport = htons(f.sport);
	e.dport = htons(f.dport);
	memcpy(e.backend, s.sb[q].addr, sizeof(e.backend));
	e.kind = LBXDP_SYNC_FLOW;
	if (!ASSERT_OK(lbxdp_sync_installer_new(&in), "installer") ||
	    !ASSERT_OK(lbxdp_sync_install(&env.main.ctx, in, &e, 1,
					  lbxdp_prog_now(&env.main.ctx), &st),
		       "install"))
		goto out;
	test__context("the peer's flow");
	be_mac(mac, 1, q);
	send_expect(&env.main, &f, XDP_TX, mac, STAT_BIT(forwarded),
		    "ACK of a synced flow", NULL);
out:
	lbxdp_sync_installer_free(in);
	svc_end(&s);
	test__end();
}

/* --- sh: source hash --- */

static void test_sh(void)
{
	int i, p, shown = 0, used[FX_BES] = {};
	struct svc s;
	__u32 *ring = NULL;

	test__begin(
		"sh: every port of a client -> one backend, lbxdp_hash_addr's Maglev slot");
	test__context("set-up");
	if (!svc_begin(&s, IP4(198, 18, 0, 12), 80, LBXDP_SCHED_SH))
		goto out;
	for (i = 0; i < 3; i++)
		if (!svc_backend(&s, IP4(198, 18, 1, 31 + i), 1 + i))
			goto out;
	ring = calloc(env.main.ctx.cfg.ring_size, sizeof(*ring));
	if (!ASSERT_TRUE(ring != NULL, "calloc") ||
	    !ASSERT_OK(lbxdp_maglev_build(s.sb, s.n, ring,
					  env.main.ctx.cfg.ring_size),
		       "lbxdp_maglev_build"))
		goto out;
	for (i = 0; i < 32 && shown < MAX_SHOWN; i++) {
		__be32 src[4];
		__u32 id;
		__u8 mac[6];

		addr4(src, IP4(198, 19, 2, 1 + i));
		id = ring[lbxdp_ring_slot(lbxdp_hash_addr(src, LBXDP_SEED_FLOW),
					  env.main.ctx.cfg.ring_size)];
		if (!ASSERT_TRUE(id != 0, "user-space Maglev has a backend"))
			goto out;
		used[id - 1]++;
		be_mac(mac, 1, id - 1);
		for (p = 0; p < 3; p++) {
			struct fspec f = SYNF(IP4(198, 19, 2, 1 + i),
					      (__u16)(20000 + 7 * p),
					      IP4(198, 18, 0, 12), 80);

			test__context("client %d, port %d", i, 20000 + 7 * p);
			if (!send_expect(&env.main, &f, XDP_TX, mac,
					 STAT_BIT(forwarded), "SYN, sh", NULL))
				shown++;
		}
	}
	test__context("spread");
	for (i = 0; i < (int)s.n; i++)
		ASSERT_GT(used[i], 0, "clients on each backend");
out:
	free(ring);
	svc_end(&s);
	test__end();
}

/* --- per-VIP and per-backend counters --- */

static bool counters(__u32 vip_id, __u32 be_id, struct lbxdp_counters *v,
		     struct lbxdp_counters *b)
{
	struct lbxdp_ctx *c = &env.main.ctx;
	size_t n = sizeof(*v) / sizeof(__u64);

	return ASSERT_OK(
		       lbxdp_percpu_sum(c, M_STATS_VIP, vip_id, (__u64 *)v, n),
		       "stats_vip") &&
	       ASSERT_OK(lbxdp_percpu_sum(c, M_STATS_BACKEND, be_id, (__u64 *)b,
					  n),
			 "stats_backend");
}

static void expect_counters(const struct lbxdp_counters *b0,
			    const struct lbxdp_counters *b1, __u64 pkts,
			    __u64 bytes, __u64 new_flows, const char *what)
{
	char name[64];

	snprintf(name, sizeof(name), "%s packets", what);
	ASSERT_EQ(b1->packets - b0->packets, pkts, name);
	snprintf(name, sizeof(name), "%s bytes", what);
	ASSERT_EQ(b1->bytes - b0->bytes, bytes, name);
	snprintf(name, sizeof(name), "%s new_flows", what);
	ASSERT_EQ(b1->new_flows - b0->new_flows, new_flows, name);
}

/*
 * Send @f and check its verdict and how far the counters of VIP @vip_id and
 * backend @be_id moved: @pkts packets of its length, @new_flows new flows.
 */
static bool send_counted(__u32 vip_id, __u32 be_id, const struct fspec *f,
			 __u32 want, __u64 pkts, __u64 new_flows,
			 const char *what)
{
	struct lbxdp_counters v0, v1, b0, b1;
	struct frame in = {}, out;
	__u32 verdict = 0;

	test__context("%s", what);
	if (!counters(vip_id, be_id, &v0, &b0) ||
	    !ASSERT_OK(send_frame(&env.main, f, &in, &out, &verdict),
		       "test run") ||
	    !counters(vip_id, be_id, &v1, &b1))
		return false;
	ASSERT_VERDICT(verdict, want, what);
	expect_counters(&v0, &v1, pkts, pkts ? in.len : 0, new_flows,
			"stats_vip");
	expect_counters(&b0, &b1, pkts, pkts ? in.len : 0, new_flows,
			"stats_backend");
	return true;
}

static void evict(const struct fspec *f);

static void test_counters(void)
{
	struct lbxdp_backend_entry *list = NULL;
	struct lbxdp_vip vip;
	struct fspec syn = SYNF(IP4(198, 19, 0, 9), 4000, IP4(198, 18, 0, 10),
				80),
		     ack = ACKF(IP4(198, 19, 0, 9), 4000, IP4(198, 18, 0, 10),
				80),
		     other = SYNF(IP4(198, 19, 0, 9), 4000, NOT_VIP, 80);
	__u32 be_id;
	size_t n = 0;
	struct svc s;

	test__begin(
		"per-VIP and per-backend counters: packets, bytes, new flows");
	test__context("set-up");
	if (!svc_begin(&s, IP4(198, 18, 0, 10), 80, LBXDP_SCHED_WRR) ||
	    !svc_backend(&s, IP4(198, 18, 1, 1), 1) ||
	    !ASSERT_OK(lbxdp_vip_get(&env.main.ctx, &s.key, &vip), "vip get") ||
	    !ASSERT_OK(lbxdp_backend_list(&env.main.ctx, vip.id, &list, &n),
		       "backend list") ||
	    !ASSERT_EQ(n, 1, "backends listed"))
		goto out;
	be_id = list[0].id;

	if (!send_counted(vip.id, be_id, &syn, XDP_TX, 1, 1, "SYN") ||
	    !send_counted(vip.id, be_id, &ack, XDP_TX, 1, 0,
			  "data of the flow"))
		goto out;
	/* Its SYN was counted (here, or on the LB it failed over from). */
	evict(&ack);
	if (!ASSERT_OK(lbxdp_memo_clear(&env.main.ctx), "forget the memos") ||
	    !send_counted(
		    vip.id, be_id, &ack, XDP_TX, 1, 0,
		    "data of the flow after an eviction: a miss, not new"))
		goto out;
	send_counted(vip.id, be_id, &other, XDP_PASS, 0, 0,
		     "frame to a non-VIP address");
out:
	free(list);
	svc_end(&s);
	test__end();
}

/* --- the per-CPU flow memo --- */

/* Drop @f's flow from the table, as an eviction does when it is full. */
static void evict(const struct fspec *f)
{
	struct lbxdp_flow_key k = flow_key_of(f);

	ASSERT_OK(lbxdp_flow_del(&env.main.ctx, &k, NULL), "evict the flow");
}

/* Which backend of @s the frame @out was sent to, or -1. */
static int sent_to(const struct svc *s, const struct frame *out)
{
	return be_of(out, s->set ? s->set : 1, (int)s->n);
}

/*
 * SYNs of flows 0, 1, ... to @s (wrr) until one lands on another server than
 * the Maglev table would pick: its SYN and ACK, the wrr server @x and the
 * Maglev one @m (indexes of @s's backends). The flow has its table entry.
 */
static bool wrr_maglev_differ(const struct svc *s, struct fspec *syn,
			      struct fspec *ack, int *x, int *m)
{
	struct frame in, out;
	__u32 verdict;
	int i;

	*x = *m = -1;
	for (i = 0; i < 32 && (*x < 0 || *x == *m); i++) {
		test__context("flow %d", i);
		*syn = flow_n(i, TH_SYN, ntohl(s->key.addr[0]));
		*ack = flow_n(i, TH_ACK, ntohl(s->key.addr[0]));
		if (!ASSERT_OK(send_frame(&env.main, syn, &in, &out, &verdict),
			       "SYN") ||
		    !ASSERT_EQ(verdict, XDP_TX, "SYN forwarded"))
			return false;
		*x = sent_to(s, &out);
		*m = (int)maglev_pick(s->sb, s->n, env.main.ctx.cfg.ring_size,
				      ack) -
		     1;
	}
	return ASSERT_TRUE(*x >= 0 && *m >= 0 && *x != *m,
			   "a flow whose wrr and Maglev picks differ");
}

/*
 * A wrr flow whose Maglev pick is another server: once its table entry is
 * gone (LRU eviction), this CPU's memo still sends it where wrr put it, and
 * without the memo it is a miss placed by Maglev: proof the memo is used.
 */
static void memo_once(void)
{
	struct fspec syn, ack;
	int x = -1, m = -1;
	__u8 mac[6];
	struct svc s;

	test__context("set-up");
	if (!svc_begin(&s, IP4(198, 18, 0, 12), 80, LBXDP_SCHED_WRR) ||
	    !svc_backend(&s, IP4(198, 18, 1, 20), 1) ||
	    !svc_backend(&s, IP4(198, 18, 1, 21), 1) || !svc_hold(&s))
		goto out;
	if (!wrr_maglev_differ(&s, &syn, &ack, &x, &m))
		goto out;
	be_mac(mac, 1, x);
	if (!send_expect(&env.main, &ack, XDP_TX, mac, STAT_BIT(forwarded),
			 "data: from the table, memo written", NULL))
		goto out;
	evict(&ack);
	send_expect(&env.main, &ack, XDP_TX, mac, STAT_BIT(forwarded),
		    "evicted: the memo keeps it on its server", NULL);
	ASSERT_OK(lbxdp_memo_clear(&env.main.ctx), "forget the memos");
	be_mac(mac, 1, m);
	send_expect(&env.main, &ack, XDP_TX, mac,
		    STAT_BIT(forwarded) | STAT_BIT(flow_miss_nonsyn),
		    "no memo: a miss, placed by Maglev", NULL);
out:
	svc_end(&s);
}

/* A removed server whose flows have no entry: its record outlives a gc
 * while a slot that named it is within its timeout. */
static void test_jet_drain(void)
{
	int where[NFLOWS_MH], moved = 0;
	struct svc s;

	test__begin(
		"jet: a removed mh server keeps its flows without entries through a gc");
	if (!mh_setup(&s, IP4(198, 18, 0, 15), 61, where))
		goto out;
	test__context("del web3, gc");
	s.sb[2].weight = 0;
	if (!ASSERT_OK(lbxdp_backend_del(&env.main.ctx, &s.key, s.sb[2].addr),
		       "backend del") ||
	    !ASSERT_OK(lbxdp_gc(&env.main.ctx), "gc"))
		goto out;
	if (flows_stay(&s, where, &moved, "web3 removed"))
		ASSERT_GT(moved, 0, "flows that were on web3");
out:
	svc_end(&s);
	test__end();
}

/* A wrr VIP set to mh: its flows have entries, which its slots, marked
 * tracked, still look up, where the table would send them elsewhere. */
static void test_jet_vip_set(void)
{
	struct fspec syn, ack;
	int x = -1, m = -1;
	__u8 mac[6];
	struct svc s;

	test__begin(
		"jet: a wrr VIP set to mh keeps its flows on their servers");
	test__context("set-up");
	if (!svc_begin(&s, IP4(198, 18, 0, 14), 80, LBXDP_SCHED_WRR) ||
	    !svc_backend(&s, IP4(198, 18, 1, 50), 1) ||
	    !svc_backend(&s, IP4(198, 18, 1, 51), 1))
		goto out;
	if (!wrr_maglev_differ(&s, &syn, &ack, &x, &m))
		goto out;
	test__context("set mh");
	if (!ASSERT_OK(lbxdp_vip_set(&env.main.ctx, &s.key, LBXDP_SCHED_MH, 0),
		       "vip set mh") ||
	    !ASSERT_OK(lbxdp_memo_clear(&env.main.ctx), "forget the memos"))
		goto out;
	be_mac(mac, 1, x);
	send_expect(&env.main, &ack, XDP_TX, mac, STAT_BIT(forwarded),
		    "data: its entry's server, not the table's", NULL);
out:
	svc_end(&s);
	test__end();
}

/* The memo slot and tag of @f's flow, as memo_find() takes them: the top
 * 28 bits of its memo hash (the tag's lowest bit is always set). */
static __u32 memo_place(const struct fspec *f)
{
	__u64 x = (__u64)(htonl(f->saddr) ^ lbxdp_rotl32(htonl(f->daddr), 7))
			  << 32 |
		  (__u32)htons(f->sport) << 16 | htons(f->dport);

	return (x * 0x9e3779b97f4a7c15ULL) >> 36;
}

/* The index in flow_memo_cpu of a CPU's memo of @f's flow in the slot
 * that memo_place() names, or -1. */
static int memo_at(const struct fspec *f)
{
	int fd = env.main.ctx.fd[M_FLOW_MEMO_CPU], cpu;
	struct lbxdp_flow_key k = flow_key_of(f);
	struct lbxdp_flow_memo v;
	__u32 i;

	for (cpu = 0; cpu < env.main.ctx.ncpus; cpu++) {
		i = cpu * LBXDP_MEMO_SIZE + (memo_place(f) >> 16);
		if (!bpf_map_lookup_elem(fd, &i, &v) &&
		    !memcmp(&v.key, &k, sizeof(k)))
			return (int)i;
	}
	return -1;
}

/*
 * Flow @b (UDP) shares @a's memo slot and tag (the hash leaves the protocol
 * out) and goes to a service of its own, on a server of its own: with @a's
 * memo live (shown: its entry evicted, it still goes by the memo), @b's
 * packet goes by its own entry, not @a's memo.
 */
static void memo_twin_proto(void)
{
	struct fspec a = TCPF(IP4(198, 19, 0, 1), 40000, IP4(198, 18, 0, 60),
			      80, TH_ACK),
		     b = a, first;
	struct svc s, t;
	bool tb = false;
	__u8 mac[6];
	int at;

	b.proto = IPPROTO_UDP;
	b.tcp_flags = 0;
	test__context("protocol: set-up");
	if (!svc_begin(&s, a.daddr, 80, LBXDP_SCHED_WRR) ||
	    !svc_backend(&s, IP4(198, 18, 1, 60), 1))
		goto out;
	tb = svc_begin_proto(&t, b.daddr, 80, b.proto, LBXDP_SCHED_WRR);
	t.set = 3;
	if (!tb || !svc_backend(&t, IP4(198, 18, 1, 62), 1) || !svc_hold(&s))
		goto out;
	test__context("protocol: the first packets");
	first = a;
	first.tcp_flags = TH_SYN;
	be_mac(mac, 1, 0);
	if (!send_expect(&env.main, &first, XDP_TX, mac, STAT_BIT(forwarded),
			 "a's SYN", NULL))
		goto out;
	be_mac(mac, 3, 0);
	if (!send_expect(&env.main, &b, XDP_TX, mac, STAT_BIT(forwarded),
			 "b's first", NULL))
		goto out;
	test__context("protocol: the next packets");
	be_mac(mac, 1, 0);
	if (!send_expect(&env.main, &a, XDP_TX, mac, STAT_BIT(forwarded),
			 "a: from the table, memo written", NULL))
		goto out;
	evict(&a);
	if (!send_expect(&env.main, &a, XDP_TX, mac, STAT_BIT(forwarded),
			 "a, evicted: by its memo", NULL))
		goto out;
	/* The program's slot is the search's (memo_place() follows
	 * memo_find()). */
	at = memo_at(&a);
	if (!ASSERT_TRUE(at >= 0, "a's memo, in the slot memo_place() names"))
		goto out;
	be_mac(mac, 3, 0);
	if (send_expect(&env.main, &b, XDP_TX, mac, STAT_BIT(forwarded),
			"b: by its entry, not a's memo", NULL))
		ASSERT_EQ(memo_at(&b), at, "b's memo, in a's place");
out:
	if (tb)
		svc_end(&t);
	svc_end(&s);
}

/* Write into memo @at of flow_memo_cpu the key of @f's flow and the MAC of
 * backend @i of MAC set @set. */
static bool memo_forge(int at, const struct fspec *f, int set, int i)
{
	int fd = env.main.ctx.fd[M_FLOW_MEMO_CPU];
	struct lbxdp_flow_memo v;
	__u32 k = (__u32)at;

	if (!ASSERT_OK(bpf_map_lookup_elem(fd, &k, &v), "read the memo"))
		return false;
	v.key = flow_key_of(f);
	be_mac(v.mac, set, i);
	return ASSERT_OK(bpf_map_update_elem(fd, &k, &v, BPF_ANY),
			 "write the memo");
}

/*
 * A memo in @b's slot with @b's tag, of a flow @a from another client with
 * @b's ports: @b goes by its own entry. Within the lab's range
 * (198.18.0.0/15) no two flows that differ in their addresses alone share a
 * slot and tag (a product tells apart what differs in so few bits), so the
 * memo is written here: first with @b's own key, which @b's packet then
 * follows (the memo is live), then with @a's.
 */
static void memo_twin_addrs(void)
{
	struct fspec b = TCPF(IP4(198, 19, 0, 2), 40000, IP4(198, 18, 0, 60),
			      80, TH_ACK),
		     a = b, first = b;
	struct svc s;
	__u8 mac[6];
	int at;

	a.saddr = IP4(198, 19, 0, 3);
	first.tcp_flags = TH_SYN;
	test__context("addresses: set-up");
	if (!svc_begin(&s, b.daddr, 80, LBXDP_SCHED_WRR) ||
	    !svc_backend(&s, IP4(198, 18, 1, 60), 1) || !svc_hold(&s))
		goto out;
	be_mac(mac, 1, 0);
	if (!send_expect(&env.main, &first, XDP_TX, mac, STAT_BIT(forwarded),
			 "b's SYN", NULL) ||
	    !send_expect(&env.main, &b, XDP_TX, mac, STAT_BIT(forwarded),
			 "b: from the table, memo written", NULL))
		goto out;
	at = memo_at(&b);
	if (!ASSERT_TRUE(at >= 0, "b's memo, in the slot memo_place() names") ||
	    !memo_forge(at, &b, 3, 0))
		goto out;
	be_mac(mac, 3, 0);
	if (!send_expect(&env.main, &b, XDP_TX, mac, STAT_BIT(forwarded),
			 "b: by its memo, made to name another MAC", NULL) ||
	    !memo_forge(at, &a, 3, 0))
		goto out;
	be_mac(mac, 1, 0);
	send_expect(&env.main, &b, XDP_TX, mac, STAT_BIT(forwarded),
		    "b: by its entry, not the memo of another client's flow",
		    NULL);
out:
	svc_end(&s);
}

/* The memo's tag tells most flows of a slot apart, its key the rest. */
static void test_memo_twins(void)
{
	test__begin(
		"flow memo: a flow of another's memo slot and tag, by its addresses or protocol, goes by its own entry");
	memo_twin_proto();
	memo_twin_addrs();
	test__end();
}

static void test_memo(void)
{
	test__begin(
		"flow memo: an evicted busy flow stays where wrr put it for the memo's life, then Maglev");
	memo_once();
	test__end();
}

/*
 * backend set --mac: a server's new MAC reaches its established flow at
 * once, though this CPU's memo of the flow holds the old one (the record
 * write moves the generation that vouches for memos).
 */
static void test_set_mac(void)
{
	struct lbxdp_backend_change ch = {.weight = -1, .up = -1};
	struct fspec syn, ack;
	__u8 mac[6], mac2[6];
	struct svc s;

	test__begin(
		"backend set --mac: an established flow goes to the new MAC at once");
	test__context("set-up");
	if (!svc_begin(&s, IP4(198, 18, 0, 13), 80, LBXDP_SCHED_WRR) ||
	    !svc_backend(&s, IP4(198, 18, 1, 30), 1))
		goto out;
	syn = flow_n(7, TH_SYN, IP4(198, 18, 0, 13));
	ack = flow_n(7, TH_ACK, IP4(198, 18, 0, 13));
	be_mac(mac, 1, 0);
	be_mac(mac2, 2, 0);
	if (!send_expect(&env.main, &syn, XDP_TX, mac, STAT_BIT(forwarded),
			 "SYN: to the MAC given at add", NULL) ||
	    !send_expect(&env.main, &ack, XDP_TX, mac, STAT_BIT(forwarded),
			 "data: from the table, memo written", NULL))
		goto out;
	ch.mac = mac2;
	if (!ASSERT_OK(
		    lbxdp_backend_set(&env.main.ctx, &s.key, s.sb[0].addr, &ch),
		    "backend set --mac"))
		goto out;
	send_expect(&env.main, &ack, XDP_TX, mac2, STAT_BIT(forwarded),
		    "data after set --mac: to the new MAC", NULL);
out:
	svc_end(&s);
	test__end();
}

/*
 * The guard on at one new flow a second, which another SYN (flow @n to
 * @vip) takes: then @syn, of the ports of a flow with an entry, and its
 * @ack both go to @mac, the entry's server. The clock is held meanwhile, so
 * that all three fall within the guard's second.
 */
static bool guard_keeps(struct svc *s, const struct fspec *syn,
			const struct fspec *ack, __u32 vip, int n,
			const __u8 *mac)
{
	struct fspec other = flow_n(n, TH_SYN, vip);
	struct frame in, out;
	__u32 verdict;
	bool ok;

	if (!svc_hold(s))
		return false;
	ok = flood_set(&env.main, 1) &&
	     ASSERT_OK(send_frame(&env.main, &other, &in, &out, &verdict),
		       "another SYN, the second's one tracked") &&
	     send_expect(&env.main, syn, XDP_TX, mac, STAT_BIT(forwarded),
			 "rate 1/s, a SYN of its ports: its entry's server",
			 NULL) &&
	     send_expect(&env.main, ack, XDP_TX, mac, STAT_BIT(forwarded),
			 "the ACK follows the entry, to the same server", NULL);
	return clock_restore(&env.main.ctx, &s->cfg0) && ok;
}

/*
 * A wrr flow whose Maglev pick is another server. Under the flood guard a
 * SYN of its ports (a retransmission, or a new flow reusing them while the
 * old entry lives on: the LB never sees a DR server's FIN) is looked up and
 * keeps the entry's server, so the ACK that follows the entry finds the SYN's
 * server; an entry whose server is draining is rescheduled and rewritten.
 */
static void test_flood_reuse(void)
{
	struct fspec syn, ack;
	int x = -1, m = -1;
	__u32 rate0;
	__u8 mac[6];
	struct svc s;

	test__begin(
		"flood guard: a wrr SYN of a live entry's ports keeps its server; a draining one is rewritten");
	test__context("set-up");
	rate0 = env.main.ctx.cfg.flood_rate;
	if (!svc_begin(&s, IP4(198, 18, 0, 12), 80, LBXDP_SCHED_WRR) ||
	    !svc_backend(&s, IP4(198, 18, 1, 20), 1) ||
	    !svc_backend(&s, IP4(198, 18, 1, 21), 1) ||
	    !flood_set(&env.main, 0))
		goto out;
	if (!wrr_maglev_differ(&s, &syn, &ack, &x, &m))
		goto out;
	be_mac(mac, 1, x);
	if (!send_expect(&env.main, &ack, XDP_TX, mac, STAT_BIT(forwarded),
			 "the flow: its entry (wrr)", NULL) ||
	    !guard_keeps(&s, &syn, &ack, IP4(198, 18, 0, 12), 100, mac))
		goto out;
	if (!ASSERT_OK(lbxdp_backend_del(&env.main.ctx, &s.key, s.sb[x].addr),
		       "remove its server (drain)"))
		goto out;
	be_mac(mac, 1, 1 - x);
	send_expect(&env.main, &syn, XDP_TX, mac, STAT_BIT(forwarded),
		    "its server draining: the SYN is rescheduled", NULL);
	send_expect(&env.main, &ack, XDP_TX, mac, STAT_BIT(forwarded),
		    "and the entry rewritten: the ACK follows", NULL);
out:
	flood_set(&env.main, rate0);
	svc_end(&s);
	test__end();
}

/* --- one new flow on two CPUs at once --- */

#define RACE_FLOWS 3000
#define RACE_OTHER (-2) /* neither forwarded to a server nor dropped */

struct place_race {
	const struct svc *s;   /* the service raced for */
	volatile int at[2];    /* flows each thread has come to */
	int to[2][RACE_FLOWS]; /* server index, -1 dropped, RACE_OTHER */
	int err;
};

struct racer {
	struct place_race *x;
	int me;
};

/* Where @out went (verdict @v): the index of a backend of @s, -1 dropped,
 * else RACE_OTHER. */
static int server_of(const struct svc *s, const struct frame *out, __u32 v)
{
	int k = v == XDP_TX ? sent_to(s, out) : -1;

	if (v == XDP_DROP)
		return -1;
	return k < 0 ? RACE_OTHER : k;
}

/* Sends flow n's SYN when the other thread has come to flow n too, so that
 * both CPUs look it up and place it at about the same time. */
static void *racer_run(void *arg)
{
	struct racer *r = arg;
	struct place_race *x = r->x;
	struct frame in = {}, out = {};
	__u32 v = 0;
	int n;

	cpu_pin(r->me);
	for (n = 0; n < RACE_FLOWS; n++) {
		struct fspec f = flow_n(n, TH_SYN, IP4(198, 18, 0, 16));

		__atomic_store_n(&x->at[r->me], n + 1, __ATOMIC_SEQ_CST);
		while (__atomic_load_n(&x->at[1 - r->me], __ATOMIC_SEQ_CST) <=
			       n &&
		       !__atomic_load_n(&x->err, __ATOMIC_SEQ_CST))
			;
		if (send_frame(&env.main, &f, &in, &out, &v)) {
			__atomic_store_n(&x->err, errno ? errno : EIO,
					 __ATOMIC_SEQ_CST);
			__atomic_store_n(&x->at[r->me], RACE_FLOWS + 1,
					 __ATOMIC_SEQ_CST);
			break;
		}
		x->to[r->me][n] = server_of(x->s, &out, v);
	}
	return NULL;
}

/*
 * A new wrr flow whose SYN two CPUs place at once: each finds no entry and
 * schedules, and wrr gives them two servers. The one that puts second keeps
 * the first one's entry and forwards by it (docs/flow-table.md, "Two CPUs
 * placing one new flow"), so both frames, and the flow's next packet, go to
 * one server. Two threads on two CPUs race each of RACE_FLOWS flows; how
 * many of them both placed is told by the wrr cursor (noted: the timing is
 * the machine's, so a run without such a race passes, and catches nothing).
 */
static void test_place_race(void)
{
	struct racer r[2] = {{NULL, 0}, {NULL, 1}};
	struct lbxdp_ctx *c = &env.main.ctx;
	int n, split = 0, dropped = 0, both = 0, odd = 0, lost = 0;
	struct lbxdp_counters v0, v1, b;
	struct place_race *x = NULL;
	__u32 rate0 = c->cfg.flood_rate;
	struct lbxdp_vip vip = {0};
	pthread_t t[2];
	struct svc s;

	test__begin(
		"flows: a new wrr flow placed by two CPUs at once goes to one server");
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		test__note("skipped: one CPU");
		test__end();
		return;
	}
	test__context("set-up");
	if (!svc_begin(&s, IP4(198, 18, 0, 16), 80, LBXDP_SCHED_WRR) ||
	    !svc_backend(&s, IP4(198, 18, 1, 20), 1) ||
	    !svc_backend(&s, IP4(198, 18, 1, 21), 1) ||
	    !flood_set(&env.main, 0) ||
	    !ASSERT_OK(lbxdp_vip_get(c, &s.key, &vip), "the VIP") ||
	    !counters(vip.id, 1, &v0, &b))
		goto out;
	x = calloc(1, sizeof(*x));
	if (!ASSERT_TRUE(x != NULL, "memory"))
		goto out;
	x->s = &s;
	r[0].x = r[1].x = x;
	test__context("the race");
	if (!ASSERT_OK(pthread_create(&t[0], NULL, racer_run, &r[0]),
		       "thread 0"))
		goto out;
	if (!ASSERT_OK(pthread_create(&t[1], NULL, racer_run, &r[1]),
		       "thread 1")) {
		__atomic_store_n(&x->err, EAGAIN, __ATOMIC_SEQ_CST);
		pthread_join(t[0], NULL);
		goto out;
	}
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	if (!ASSERT_OK(x->err, "bpf_prog_test_run_opts") ||
	    !counters(vip.id, 1, &v1, &b))
		goto out;
	for (n = 0; n < RACE_FLOWS; n++) {
		int a = x->to[0][n], z = x->to[1][n];
		struct fspec ack = flow_n(n, TH_ACK, IP4(198, 18, 0, 16));
		struct frame in = {}, out = {};
		__u32 v = 0;
		int e;

		if (a == RACE_OTHER || z == RACE_OTHER) {
			odd++;
			continue;
		}
		/* A drop: the other CPU held its buckets (flow_busy). */
		dropped += (a < 0) + (z < 0);
		both += a < 0 && z < 0;
		if (a < 0 && z < 0)
			continue;
		if (a >= 0 && z >= 0 && a != z) {
			if (split++ < MAX_SHOWN)
				test__note(
					"flow %d: CPU 0 sent it to %d, CPU 1 to %d",
					n, a, z);
			continue;
		}
		if (!ASSERT_OK(send_frame(&env.main, &ack, &in, &out, &v),
			       "bpf_prog_test_run_opts"))
			goto out;
		e = server_of(&s, &out, v);
		if (e != (a >= 0 ? a : z) && lost++ < MAX_SHOWN)
			test__note("flow %d: its SYN went to %d, its ACK to %d",
				   n, a >= 0 ? a : z, e);
	}
	ASSERT_EQ(odd, 0, "SYNs neither forwarded nor dropped");
	ASSERT_EQ(split, 0, "flows sent to two servers");
	ASSERT_EQ(lost, 0, "flows whose ACK went elsewhere");
	/* A flow placed twice (the second kept the first's entry) counts
	 * two new flows: how many races this run's timing made. */
	test__note("%lld of %d flows placed by both CPUs; %d SYNs dropped busy",
		   (long long)(v1.new_flows - v0.new_flows) -
			   (RACE_FLOWS - both),
		   RACE_FLOWS, dropped);
out:
	free(x);
	flood_set(&env.main, rate0);
	svc_end(&s);
	test__end();
}

/*
 * Under the flood guard an mh SYN skips the flow table only where no flow
 * of its slot has had an entry within the timeout: a slot whose table named
 * another server for a while (its server down, then up) keeps the entries
 * made there live, though its history is gone once it names its old server
 * again.
 */
static void test_flood_mh_back(void)
{
	struct lbxdp_backend_change down = {.weight = -1, .up = 0};
	struct lbxdp_backend_change up = {.weight = -1, .up = 1};
	struct lbxdp_ctx *c = &env.main.ctx;
	__u32 vip = IP4(198, 18, 0, 15), rate0 = c->cfg.flood_rate, id;
	int where[NFLOWS_MH], i;
	struct fspec syn, ack;
	__u8 mac[6];
	struct svc s;

	test__begin(
		"flood guard: an mh SYN keeps a live entry made while its slot named another server");
	s.added = false;
	if (!flood_set(&env.main, 0) || !mh_setup(&s, vip, 50, where))
		goto out;
	for (i = 0; i < NFLOWS_MH && where[i] != 0; i++)
		;
	if (!ASSERT_TRUE(i < NFLOWS_MH, "a flow on web50"))
		goto out;
	syn = flow_n(i, TH_SYN, vip);
	ack = flow_n(i, TH_ACK, vip);
	test__context("web50 down");
	if (!ASSERT_OK(lbxdp_backend_set(c, &s.key, s.sb[0].addr, &down),
		       "web50 down"))
		goto out;
	s.sb[0].weight = 0;
	id = maglev_pick(s.sb, s.n, c->cfg.ring_size, &syn);
	be_mac(mac, 1, (int)id - 1);
	if (!send_expect(&env.main, &syn, XDP_TX, mac, STAT_BIT(forwarded),
			 "a new flow on its ports: by the table", NULL) ||
	    !ASSERT_TRUE(has_entry(&syn), "with an entry: its slot changed"))
		goto out;
	test__context("web50 up, guard on");
	if (!ASSERT_OK(lbxdp_backend_set(c, &s.key, s.sb[0].addr, &up),
		       "web50 up"))
		goto out;
	s.sb[0].weight = 1;
	if (ASSERT_EQ(maglev_pick(s.sb, s.n, c->cfg.ring_size, &syn), 1,
		      "its slot names web50 again"))
		guard_keeps(&s, &syn, &ack, vip, 200, mac);
out:
	flood_set(&env.main, rate0);
	svc_end(&s);
	test__end();
}

/* Flows 0..NFLOWS_MH-1 of @s, a packet each with @flags, to where the live
 * table sends them, which @where says then. */
static bool by_table(struct svc *s, __u8 flags, int *where, const char *what)
{
	int i, moved;

	for (i = 0; i < NFLOWS_MH; i++) {
		struct fspec f = flow_n(i, flags, ntohl(s->key.addr[0]));

		where[i] = (int)maglev_pick(s->sb, s->n,
					    env.main.ctx.cfg.ring_size, &f) -
			   1;
	}
	return flows_to(s, flags, where, &moved, what);
}

/* How many of flows 0..NFLOWS_MH-1 of @s have an entry; with @where, only
 * those the live table sends elsewhere. */
static int with_entry(struct svc *s, const int *where)
{
	int i, n = 0;

	for (i = 0; i < NFLOWS_MH; i++) {
		struct fspec f = flow_n(i, TH_ACK, ntohl(s->key.addr[0]));
		__u32 id = maglev_pick(s->sb, s->n, env.main.ctx.cfg.ring_size,
				       &f);

		n += has_entry(&f) && (!where || (int)id - 1 != where[i]);
	}
	return n;
}

/* An expired entry of @s's flows that the program rewrote between the
 * walk and the delete of jet_before_raise() is kept; its key into @out. */
static bool rewritten_kept(struct svc *s, const int *where,
			   struct lbxdp_flow_key *out)
{
	struct lbxdp_ctx *c = &env.main.ctx;
	struct lbxdp_flow_key k;
	struct lbxdp_flow v;
	struct fspec f;
	__u64 seen;
	int i;

	for (i = 0; i < NFLOWS_MH; i++) {
		__u32 id;

		f = flow_n(i, TH_ACK, ntohl(s->key.addr[0]));
		id = maglev_pick(s->sb, s->n, c->cfg.ring_size, &f);
		if (has_entry(&f) && (int)id - 1 == where[i])
			break;
	}
	test__context("an expired entry rewritten");
	if (!ASSERT_TRUE(i < NFLOWS_MH, "an expired entry"))
		return false;
	k = flow_key_of(&f);
	*out = k;
	v.backend = 0;
	if (!ASSERT_OK(lbxdp_flow_get(c, &k, &v), "read"))
		return false;
	seen = v.last_seen_ns;
	if (!ASSERT_OK(jet_forget_keys(c, &k, &seen, 1), "forget it") ||
	    !ASSERT_TRUE(!has_entry(&f), "forgotten"))
		return false;
	/* As forward_new() would rewrite it, after the walk. */
	v.last_seen_ns = lbxdp_prog_now(c);
	if (!ASSERT_OK(lbxdp_flow_put(c, &k, &v, BPF_ANY), "rewrite") ||
	    !ASSERT_OK(jet_forget_keys(c, &k, &seen, 1), "forget it again") ||
	    !ASSERT_TRUE(has_entry(&f), "kept"))
		return false;
	/* Expired again, for jet_before_raise(). */
	v.last_seen_ns = seen;
	return ASSERT_OK(lbxdp_flow_put(c, &k, &v, BPF_ANY), "age it");
}

/* How many slots of @s's live table have a base the change of which is
 * @fresh (within a minute) or not; its summary's stamp into @sum. */
static bool bases(struct svc *s, __u32 *fresh, __u32 *stale, __u32 *sum)
{
	struct lbxdp_ctx *c = &env.main.ctx;
	__u32 ring = c->cfg.ring_size, flips = 0, tidx, i;
	__u32 e = jet_epoch(lbxdp_prog_now(c));
	struct lbxdp_ring_meta *m;
	struct lbxdp_vip vip;
	bool ok = false;

	*fresh = *stale = 0;
	m = calloc(ring, sizeof(*m));
	if (!ASSERT_TRUE(m != NULL, "memory") ||
	    !ASSERT_OK(lbxdp_vip_get(c, &s->key, &vip), "the VIP") ||
	    !ASSERT_OK(bpf_map_lookup_elem(c->fd[M_VIP_SLOT], &vip.id, &flips),
		       "read vip_slot"))
		goto out;
	tidx = vip.id * 2 + (flips & 1);
	if (!ASSERT_OK(lbxdp_array_read_at(c->fd[M_RING_META], tidx * ring, m,
					   ring),
		       "read ring_meta") ||
	    !ASSERT_OK(bpf_map_lookup_elem(c->fd[M_RING_LEFT], &tidx, sum),
		       "read ring_left"))
		goto out;
	for (i = 0; i < ring; i++)
		if (m[i].base && e - m[i].left < 60)
			(*fresh)++;
		else if (m[i].base || m[i].left)
			(*stale)++;
	ok = true;
out:
	free(m);
	return ok;
}

/* @f's two buckets in the flow table, as a flow of VIP @key. */
static bool buckets_of(const struct fspec *f, const struct lbxdp_vip_key *key,
		       __u32 b[2])
{
	struct lbxdp_ctx *c = &env.main.ctx;
	struct lbxdp_vip vip = {};
	struct lbxdp_ft_way w;

	if (!ASSERT_OK(lbxdp_config_read(c), "config read") ||
	    !ASSERT_OK(lbxdp_vip_get(c, key, &vip), "the VIP"))
		return false;
	w = way_of(f, vip.id);
	lbxdp_ft_pair(&w, c->cfg.ft_seed, c->cfg.ft_nbuckets, b);
	return true;
}

/*
 * Whether @f's buckets (a flow of @key) hold no flow 0..NFLOWS_MH-1 of @s
 * or @t: a put of those, which may take a way expired, never takes @f's.
 * Into *apart; false if it cannot tell.
 */
static bool buckets_apart(const struct fspec *f,
			  const struct lbxdp_vip_key *key, const struct svc *s,
			  const struct svc *t, bool *apart)
{
	const struct svc *v[2] = {s, t};
	__u32 fb[2], b[2];
	int i, j;

	*apart = true;
	if (!buckets_of(f, key, fb))
		return false;
	for (j = 0; j < 2; j++)
		for (i = 0; i < NFLOWS_MH && *apart; i++) {
			struct fspec g =
				flow_n(i, TH_ACK, ntohl(v[j]->key.addr[0]));

			if (!buckets_of(&g, &v[j]->key, b))
				return false;
			*apart = b[0] != fb[0] && b[0] != fb[1] &&
				 b[1] != fb[0] && b[1] != fb[1];
		}
	return true;
}

/* A longer TCP timeout does not bring back what the old one let go: the
 * slots' settled history, nor the expired entries of ports that flows
 * placed by the table since reuse. What it had not let go stays. */
static void test_jet_raise(void)
{
	int where[NFLOWS_MH], now[NFLOWS_MH], moved = 0;
	struct fspec wf =
		TCPF(IP4(198, 19, 9, 1), 4000, IP4(198, 18, 0, 18), 80, TH_SYN);
	__u32 fresh, stale, sum;
	struct lbxdp_flow_key ek;
	struct lbxdp_vip vip;
	struct svc s, t, w;
	bool apart = false;
	__u8 mac[6];

	test__begin(
		"jet: raising the TCP timeout revives no settled base nor expired entry");
	/* @t only changes once, long ago: its history goes, summary too. */
	s.added = t.added = w.added = false;
	/* @w's flows are all looked up: its expired entry comes back. */
	be_mac(mac, 1, 0);
	if (!svc_begin(&w, IP4(198, 18, 0, 18), 80, LBXDP_SCHED_WRR) ||
	    !svc_backend(&w, IP4(198, 18, 1, 85), 1) ||
	    !mh_setup(&t, IP4(198, 18, 0, 17), 81, where) ||
	    !svc_backend(&t, IP4(198, 18, 1, 84), 1) ||
	    !mh_setup(&s, IP4(198, 18, 0, 16), 71, where))
		goto out;
	/* The table's seed is random: its port keeps it out of the buckets
	 * that this test's puts write, which may take an expired way. */
	test__context("wrr SYN");
	for (;;) {
		if (!buckets_apart(&wf, &w.key, &s, &t, &apart))
			goto out;
		if (apart || wf.sport == 4100)
			break;
		wf.sport++;
	}
	if (!ASSERT_TRUE(apart, "a port whose buckets no other flow has") ||
	    !send_expect(&env.main, &wf, XDP_TX, mac, STAT_BIT(forwarded),
			 "wrr SYN", NULL))
		goto out;
	/* The moved flows get entries on their slots' bases. */
	test__context("add web4");
	if (!svc_backend(&s, IP4(198, 18, 1, 74), 1) ||
	    !flows_stay(&s, where, &moved, "after adding web4"))
		goto out;
	test__context("after adding web4");
	if (!ASSERT_GT(moved, 0, "flows a new SYN would now send elsewhere"))
		goto out;
	/* Idle past the timeout; then new flows reuse their ports and go
	 * by the table, the expired entries left as they are. */
	if (!age_all(1000) || !jet_age(M_RING_LEFT, 1000) ||
	    !bases(&t, &fresh, &stale, &sum) ||
	    !ASSERT_GT(stale, 0, "settled history") ||
	    !by_table(&s, TH_SYN, now, "reused, SYN") ||
	    !by_table(&s, TH_ACK, now, "reused, ACK"))
		goto out;
	/* A change within the timeout: its moved flows' entries are live. */
	test__context("add web5");
	if (!svc_backend(&s, IP4(198, 18, 1, 75), 1) ||
	    !flows_stay(&s, now, &moved, "after adding web5"))
		goto out;
	test__context("after adding web5");
	if (!ASSERT_GT(moved, 0, "flows moved by web5") ||
	    !ASSERT_EQ(with_entry(&s, now), moved, "live entries") ||
	    !ASSERT_GT(with_entry(&s, NULL), moved, "expired entries too") ||
	    !rewritten_kept(&s, now, &ek) ||
	    !ASSERT_OK(lbxdp_vip_get(&env.main.ctx, &s.key, &vip), "vip get"))
		goto out;
	/* One of them moved by a put while the raise's walk runs. */
	if (!walk_move_arm(&env.main.ctx, &ek, vip.id) ||
	    !tcp_timeout_set(&env.main, 3600) ||
	    !ASSERT_TRUE(walk_move_done(&env.main.ctx),
			 "an expired entry moved during the walk"))
		goto out;
	test__context("tcp timeout 3600 s");
	if (!ASSERT_EQ(with_entry(&s, NULL), moved,
		       "the live entries, and no other") ||
	    !flows_stay(&s, now, &moved, "tcp timeout 3600 s"))
		goto out;
	ASSERT_EQ(with_entry(&s, NULL), moved, "the live entries, still");
	ASSERT_TRUE(has_entry(&wf), "a wrr VIP's expired entry");
	/* The settled history is gone, the live one stays. */
	if (bases(&t, &fresh, &stale, &sum) &&
	    ASSERT_EQ(fresh + stale, 0, "the settled VIP's bases"))
		ASSERT_EQ(sum, 0, "its summary");
	if (bases(&s, &fresh, &stale, &sum) &&
	    ASSERT_GT(fresh, 0, "the live bases") &&
	    ASSERT_EQ(stale, 0, "the settled ones"))
		ASSERT_NEQ(sum, 0, "its summary");
out:
	walk_move_done(&env.main.ctx);
	tcp_timeout_set(&env.main, LBXDP_DEF_TCP_TIMEOUT);
	svc_end(&s);
	svc_end(&t);
	svc_end(&w);
	test__end();
}

/* A refresh never dates a slot's stamp back: one a run that began later,
 * or user space a tick ahead, wrote stays. */
static void test_jet_stamp_forward(void)
{
	struct lbxdp_ctx *c = &env.main.ctx;
	int where[NFLOWS_MH], moved = 0, i;
	struct lbxdp_flow_key k;
	__u32 slot, ahead, got = 0;
	struct lbxdp_vip vip;
	struct lbxdp_flow v;
	struct fspec f;
	__u8 mac[6];
	struct svc s;

	test__begin("jet: a flow's refresh stamps its slot forward only");
	if (!mh_setup(&s, IP4(198, 18, 0, 19), 91, where) ||
	    !svc_backend(&s, IP4(198, 18, 1, 94), 1) ||
	    !flows_stay(&s, where, &moved, "after adding web4") ||
	    !svc_hold(&s)) /* the refresh is checked to 0.5 s */
		goto out;
	for (i = 0; i < NFLOWS_MH; i++) {
		f = flow_n(i, TH_ACK, IP4(198, 18, 0, 19));
		if (has_entry(&f))
			break;
	}
	test__context("flow %d, its entry a second old", i);
	k = flow_key_of(&f);
	if (!ASSERT_TRUE(i < NFLOWS_MH, "a flow with an entry") ||
	    !ASSERT_OK(lbxdp_vip_get(c, &s.key, &vip), "the VIP") ||
	    !ASSERT_OK(lbxdp_flow_get(c, &k, &v), "read"))
		goto out;
	slot = jet_slot_key(c, &vip, &k);
	ahead = jet_epoch(lbxdp_prog_now(c)) + 5;
	v.last_seen_ns -= 1000000000ULL;
	be_mac(mac, 1, where[i]);
	if (!ASSERT_OK(bpf_map_update_elem(c->fd[M_RING_TRACK], &slot, &ahead,
					   BPF_ANY),
		       "a stamp ahead") ||
	    !ASSERT_OK(lbxdp_flow_put(c, &k, &v, BPF_EXIST), "age the entry") ||
	    !ASSERT_OK(lbxdp_memo_clear(c), "memos cleared") ||
	    !send_expect(&env.main, &f, XDP_TX, mac, STAT_BIT(forwarded), "ACK",
			 NULL) ||
	    !ASSERT_OK(lbxdp_flow_get(c, &k, &v), "read") ||
	    !ASSERT_GT(v.last_seen_ns + 500000000ULL, lbxdp_prog_now(c),
		       "the entry refreshed") ||
	    !ASSERT_OK(bpf_map_lookup_elem(c->fd[M_RING_TRACK], &slot, &got),
		       "read the stamp"))
		goto out;
	ASSERT_EQ(got, ahead, "the stamp ahead, kept");
out:
	svc_end(&s);
	test__end();
}

static int event_count(void *ctx, void *data, size_t len)
{
	(*(int *)ctx)++;
	return 0;
}

/* How many events the flow sync ring holds, read out. */
static int ring_events(void)
{
	struct ring_buffer *rb;
	int n = 0;

	rb = ring_buffer__new(env.main.ctx.fd[M_SYNC_RING], event_count, &n,
			      NULL);
	if (!ASSERT_TRUE(rb != NULL, "ring_buffer__new"))
		return -1;
	ring_buffer__consume(rb);
	ring_buffer__free(rb);
	return n;
}

/* The master of a flow sync pair (feed on) tracks every mh flow, where the
 * slots' history says: its peer, after a failover, knows the flows it was
 * sent entries of only. Flows placed before the feed get theirs with their
 * next packet. */
static void test_jet_feed(void)
{
	int where[NFLOWS_MH], moved = 0, i, n = 0;
	struct svc s;

	test__begin("jet: a flow sync master gives every mh flow an entry");
	if (!mh_setup(&s, IP4(198, 18, 0, 22), 101, where) ||
	    !ASSERT_EQ(with_entry(&s, NULL), 0, "entries before the feed") ||
	    !svc_backend(&s, IP4(198, 18, 1, 104), 1) ||
	    !ASSERT_OK(lbxdp_sync_feed_set(&env.main.ctx, true), "feed on") ||
	    !flows_stay(&s, where, &moved, "feed on, after adding web4"))
		goto out;
	test__context("feed on, after adding web4");
	ASSERT_GT(moved, 0, "flows a new SYN would now send elsewhere");
	ASSERT_EQ(with_entry(&s, NULL), NFLOWS_MH, "flows with an entry");
	if (new_flows(&s, 3000, 0, "new SYN, feed on") < 0)
		goto out;
	for (i = 3000; i < 3000 + NFLOWS_MH; i++) {
		struct fspec f = flow_n(i, TH_SYN, IP4(198, 18, 0, 22));

		n += has_entry(&f);
	}
	test__context("new SYN, feed on");
	ASSERT_EQ(n, NFLOWS_MH, "new flows with an entry");
	ASSERT_EQ(ring_events(), 2 * NFLOWS_MH, "events for the peer");
out:
	lbxdp_sync_feed_set(&env.main.ctx, false);
	ring_events();
	svc_end(&s);
	test__end();
}

/* Where an sh VIP of @s's servers sends @f: an index, -1 for none. */
static int sh_index(const struct svc *s, const struct fspec *f)
{
	return (int)sh_pick(s->sb, s->n, env.main.ctx.cfg.ring_size, f) - 1;
}

/* A never-seen flow (from @from on) that sh sends elsewhere than mh: its
 * index, into *sh where sh sends it. */
static int sh_differs(struct svc *s, int from, int *sh)
{
	int i;

	for (i = from; i < from + 1000; i++) {
		struct fspec f = flow_n(i, TH_ACK, ntohl(s->key.addr[0]));
		__u32 mh = maglev_pick(s->sb, s->n, env.main.ctx.cfg.ring_size,
				       &f);

		*sh = sh_index(s, &f);
		if (*sh >= 0 && (int)mh - 1 != *sh)
			return i;
	}
	ASSERT_TRUE(false, "a flow that sh and mh place apart");
	return -1;
}

/* A never-seen flow @i's ACK goes where sh sends it, with no entry: the
 * scheduler before is forgotten. */
static bool by_sh(struct svc *s, int i, int sh, const char *what)
{
	struct fspec f = flow_n(i, TH_ACK, ntohl(s->key.addr[0]));
	__u8 mac[6];

	test__context("%s", what);
	be_mac(mac, 1, sh);
	return send_expect(&env.main, &f, XDP_TX, mac, STAT_BIT(forwarded),
			   "a never-seen ACK: by sh", NULL) &&
	       ASSERT_TRUE(!has_entry(&f), "no entry");
}

/* Beyond the flood guard's rate (@rate0 restored), the SYN of never-seen
 * flow @k is given an entry, so its ACK reaches the same server. */
static bool flood_tracked(struct svc *s, int k, __u32 rate0, const char *what)
{
	struct lbxdp_global_stats before, after;
	__u32 vip = ntohl(s->key.addr[0]), verdict = 0;
	struct fspec syn = flow_n(k - 1, TH_SYN, vip), ack;
	struct frame in, out;
	bool ok = false;

	test__context("%s", what);
	/* Held, so that both SYNs fall within the guard's second. */
	if (!svc_hold(s) || !flood_set(&env.main, 1) ||
	    !ASSERT_OK(send_frame(&env.main, &syn, &in, &out, &verdict),
		       "a SYN within the rate"))
		goto out;
	syn = flow_n(k, TH_SYN, vip);
	if (!ASSERT_OK(stats_read(&env.main, &before), "read stats") ||
	    !ASSERT_OK(send_frame(&env.main, &syn, &in, &out, &verdict),
		       "the SYN beyond it") ||
	    !ASSERT_OK(stats_read(&env.main, &after), "read stats"))
		goto out;
	ASSERT_VERDICT(verdict, XDP_TX, "the SYN beyond the rate");
	ASSERT_STATS(&before, &after, STAT_BIT(forwarded),
		     "the SYN beyond the rate: tracked");
	ack = flow_n(k, TH_ACK, vip);
	ok = has_entry(&syn) &&
	     send_expect(&env.main, &ack, XDP_TX, out.data, STAT_BIT(forwarded),
			 "its ACK: the SYN's server", NULL);
	ASSERT_TRUE(ok, "tracked, the ACK with it");
out:
	return clock_restore(&env.main.ctx, &s->cfg0) &&
	       flood_set(&env.main, rate0) && ok;
}

/*
 * An mh VIP set to sh (a keepalived reload that adds mh-port), then to
 * wrr: for a TCP timeout, a flow without an entry that is no SYN goes
 * where mh placed it (its slot's base, or its backend) and gets an entry
 * there, and every new flow gets one, under the flood guard too; then the
 * scheduler alone decides, and a longer timeout does not bring mh back.
 */
static void test_jet_prior(void)
{
	int where[NFLOWS_MH], moved = 0, differ = 0, i, n = 0, sh, k;
	__u32 vip = IP4(198, 18, 0, 23), rate0;
	struct lbxdp_ctx *c = &env.main.ctx;
	struct fspec syn, ack;
	__u8 mac[6];
	struct svc s;

	test__begin(
		"jet: an mh VIP set to sh, then wrr, keeps the flows mh placed without entries");
	rate0 = c->cfg.flood_rate;
	if (!mh_setup(&s, vip, 111, where))
		goto out;
	test__context("del web3, set sh");
	s.sb[2].weight = 0;
	if (!ASSERT_OK(lbxdp_backend_del(c, &s.key, s.sb[2].addr),
		       "backend del") ||
	    !ASSERT_OK(lbxdp_vip_set(c, &s.key, LBXDP_SCHED_SH, 0),
		       "vip set sh"))
		goto out;
	for (i = 0; i < NFLOWS_MH; i++) {
		struct fspec f = flow_n(i, TH_ACK, vip);

		differ += sh_index(&s, &f) != where[i];
	}
	if (!ASSERT_GT(differ, 0, "flows sh places elsewhere"))
		goto out;
	/* Path MTU discovery follows them there too. */
	for (i = 0, n = 0; i < NFLOWS_MH && !n; i++) {
		struct fspec f = flow_n(i, TH_ACK, vip);
		struct fspec icmp = ICMPF(IP4(198, 18, 9, 1), vip, 3, 4,
					  f.saddr, f.sport, 80);

		if (sh_index(&s, &f) == where[i])
			continue;
		test__context("frag-needed about flow %d", i);
		be_mac(mac, 1, where[i]);
		n = send_expect(&env.main, &icmp, XDP_TX, mac,
				STAT_BIT(icmp_forwarded),
				"frag-needed: to where mh placed its flow",
				NULL) &&
		    ASSERT_TRUE(!has_entry(&f), "no entry");
		if (!n)
			goto out;
	}
	n = 0;
	/* New flows, by sh, with an entry: their ACKs are no misses. */
	for (i = 2000; i < 2000 + NFLOWS_MH; i++) {
		syn = flow_n(i, TH_SYN, vip);
		ack = flow_n(i, TH_ACK, vip);
		test__context("new flow %d", i);
		be_mac(mac, 1, sh_index(&s, &syn));
		if (!send_expect(&env.main, &syn, XDP_TX, mac,
				 STAT_BIT(forwarded), "SYN: by sh", NULL) ||
		    !send_expect(&env.main, &ack, XDP_TX, mac,
				 STAT_BIT(forwarded), "its ACK: the same",
				 NULL))
			goto out;
		n += has_entry(&syn);
	}
	test__context("new flows");
	if (!ASSERT_EQ(n, NFLOWS_MH, "new flows with an entry"))
		goto out;
	/* A stateless SYN would go by sh, its ACK by mh. */
	k = sh_differs(&s, 4000, &sh);
	if (k < 0 || !flood_tracked(&s, k, rate0, "sh, flood"))
		goto out;
	/* Within the timeout still: mh stays the scheduler before. */
	test__context("set wrr");
	if (!ASSERT_OK(lbxdp_vip_set(c, &s.key, LBXDP_SCHED_WRR, 0),
		       "vip set wrr") ||
	    !flows_stay(&s, where, &moved, "set sh, then wrr"))
		goto out;
	test__context("set sh, then wrr");
	if (!ASSERT_EQ(with_entry(&s, NULL), NFLOWS_MH, "flows with an entry"))
		goto out;
	/* A timeout on, every flow mh placed is idle past it. */
	test__context("a timeout on, set sh");
	if (!age_all(1000) || !jet_age(M_VIP_PRIOR, 1000) ||
	    !ASSERT_OK(lbxdp_vip_set(c, &s.key, LBXDP_SCHED_SH, 0),
		       "vip set sh"))
		goto out;
	k = sh_differs(&s, 5000, &sh);
	if (k < 0 || !by_sh(&s, k, sh, "a timeout on, set sh") ||
	    !tcp_timeout_set(&env.main, 3600))
		goto out;
	k = sh_differs(&s, 6000, &sh);
	if (k < 0 || !by_sh(&s, k, sh, "tcp timeout 3600 s"))
		goto out;
	/* sh before wrr: a stateless SYN would go by mh, its ACK by sh. */
	k = sh_differs(&s, 7000, &sh);
	if (k < 0 ||
	    !ASSERT_OK(lbxdp_vip_set(c, &s.key, LBXDP_SCHED_WRR, 0),
		       "vip set wrr") ||
	    !flood_tracked(&s, k, rate0, "sh to wrr, flood"))
		goto out;
	/* The VIP that gets its id next has no scheduler before. */
	svc_end(&s);
	test__context("a new wrr VIP");
	if (!svc_begin(&s, vip, 80, LBXDP_SCHED_WRR) ||
	    !svc_backend(&s, IP4(198, 18, 1, 111), 1) ||
	    !svc_backend(&s, IP4(198, 18, 1, 112), 1))
		goto out;
	k = sh_differs(&s, 8000, &sh);
	if (k < 0)
		goto out;
	ack = flow_n(k, TH_ACK, vip);
	be_mac(mac, 1, (int)maglev_pick(s.sb, s.n, c->cfg.ring_size, &ack) - 1);
	send_expect(&env.main, &ack, XDP_TX, mac,
		    STAT_BIT(forwarded) | STAT_BIT(flow_miss_nonsyn),
		    "a never-seen ACK: by Maglev, a miss", NULL);
out:
	flood_set(&env.main, rate0);
	tcp_timeout_set(&env.main, LBXDP_DEF_TCP_TIMEOUT);
	svc_end(&s);
	test__end();
}

/*
 * A change whose writer stopped after recording the scheduler before (a
 * writer killed, a wrr schedule refused): the VIP, still mh, gives its new
 * flows entries while the record lives, so a change retried within it may
 * keep the record, and its expiry moves none of them.
 */
static void test_jet_prior_stopped(void)
{
	struct lbxdp_ctx *c = &env.main.ctx;
	__u32 vip = IP4(198, 18, 0, 26);
	int where[NFLOWS_MH], k, sh;
	struct fspec syn, ack;
	struct lbxdp_vip old;
	__u8 mac[6];
	struct svc s;

	test__begin(
		"jet: a change stopped after recording the scheduler before moves no flow placed meanwhile");
	if (!mh_setup(&s, vip, 131, where) ||
	    !ASSERT_OK(lbxdp_vip_get(c, &s.key, &old), "the VIP") ||
	    !ASSERT_OK(jet_prior_set(c, &s.key, &old), "record mh only"))
		goto out;
	k = sh_differs(&s, 3000, &sh);
	if (k < 0)
		goto out;
	syn = flow_n(k, TH_SYN, vip);
	ack = flow_n(k, TH_ACK, vip);
	be_mac(mac, 1, (int)maglev_pick(s.sb, s.n, c->cfg.ring_size, &syn) - 1);
	if (!send_expect(&env.main, &syn, XDP_TX, mac, STAT_BIT(forwarded),
			 "still mh: a new flow by mh", NULL) ||
	    !ASSERT_TRUE(has_entry(&syn), "with an entry") ||
	    !jet_age(M_VIP_PRIOR, 600) ||
	    !ASSERT_OK(lbxdp_vip_set(c, &s.key, LBXDP_SCHED_SH, 0),
		       "vip set sh, the record kept") ||
	    !jet_age(M_VIP_PRIOR, 400))
		goto out;
	send_expect(&env.main, &ack, XDP_TX, mac, STAT_BIT(forwarded),
		    "the record expired: its ACK by its entry", NULL);
out:
	svc_end(&s);
	test__end();
}

/* The scheduler before as vip_prior holds it for @key's VIP. */
static bool prior_read(const struct lbxdp_vip_key *key,
		       struct lbxdp_vip_prior *pr)
{
	struct lbxdp_ctx *c = &env.main.ctx;
	struct lbxdp_vip vip;

	memset(pr, 0, sizeof(*pr));
	return ASSERT_OK(lbxdp_vip_get(c, key, &vip), "the VIP") &&
	       ASSERT_OK(bpf_map_lookup_elem(c->fd[M_VIP_PRIOR], &vip.id, pr),
			 "read vip_prior");
}

/* Only TCP flows go without entries: a UDP VIP set from mh records no
 * scheduler before, a TCP one does. */
static void test_jet_prior_udp(void)
{
	struct lbxdp_ctx *c = &env.main.ctx;
	struct lbxdp_vip_key u, t;
	struct lbxdp_vip_prior pr;
	bool added_u, added_t;

	test__begin("jet: a UDP VIP set from mh records no scheduler before");
	vip_key(&u, IP4(198, 18, 0, 25), 53, IPPROTO_UDP);
	vip_key(&t, IP4(198, 18, 0, 25), 80, IPPROTO_TCP);
	added_u = ASSERT_OK(
		lbxdp_vip_add(c, &u, LBXDP_SCHED_MH, 0, LBXDP_OWNER_CLI),
		"vip add udp");
	added_t = ASSERT_OK(
		lbxdp_vip_add(c, &t, LBXDP_SCHED_MH, 0, LBXDP_OWNER_CLI),
		"vip add tcp");
	if (!added_u || !added_t ||
	    !ASSERT_OK(lbxdp_vip_set(c, &u, LBXDP_SCHED_WRR, 0), "set udp") ||
	    !ASSERT_OK(lbxdp_vip_set(c, &t, LBXDP_SCHED_WRR, 0), "set tcp"))
		goto out;
	if (prior_read(&u, &pr))
		ASSERT_EQ(pr.since, 0, "udp: no scheduler before");
	if (prior_read(&t, &pr) && ASSERT_NEQ(pr.since, 0, "tcp: one"))
		ASSERT_EQ(pr.sched, LBXDP_SCHED_MH, "tcp: mh");
out:
	if (added_u)
		ASSERT_OK(lbxdp_vip_del(c, &u), "vip del udp");
	if (added_t)
		ASSERT_OK(lbxdp_vip_del(c, &t), "vip del tcp");
	test__end();
}

/* A VIP set from mh to wrr, then a longer TCP timeout: the entries that
 * expired while mh placed its flows without one are deleted, as for an mh
 * VIP, or they would take back flows placed by the table since. */
static void test_jet_prior_raise(void)
{
	int where[NFLOWS_MH], now[NFLOWS_MH], moved = 0;
	struct lbxdp_ctx *c = &env.main.ctx;
	struct svc s;

	test__begin(
		"jet: raising the TCP timeout after mh -> wrr revives no expired entry");
	if (!mh_setup(&s, IP4(198, 18, 0, 24), 121, where) ||
	    !svc_backend(&s, IP4(198, 18, 1, 124), 1) ||
	    !flows_stay(&s, where, &moved, "after adding web4"))
		goto out;
	test__context("after adding web4");
	if (!ASSERT_GT(moved, 0, "flows with an entry on their slot's base") ||
	    !age_all(1000) || !jet_age(M_RING_LEFT, 1000) ||
	    !by_table(&s, TH_ACK, now, "idle past the timeout: by the table"))
		goto out;
	test__context("set wrr, tcp timeout 3600 s");
	if (!ASSERT_OK(lbxdp_vip_set(c, &s.key, LBXDP_SCHED_WRR, 0),
		       "vip set wrr") ||
	    !tcp_timeout_set(&env.main, 3600))
		goto out;
	flows_to(&s, TH_ACK, now, &moved, "wrr, tcp timeout 3600 s");
out:
	tcp_timeout_set(&env.main, LBXDP_DEF_TCP_TIMEOUT);
	svc_end(&s);
	test__end();
}

/* An lb of its own on IF_MODEL (pin dir @sub, --flows @flows; every
 * entry refresh failing if @fail_refresh) with a wrr VIP1:80 of one
 * backend, BACKEND(1) of MAC set 1. */
static bool model_wrr(struct lb *lb, const char *sub, __u32 flows,
		      bool fail_refresh)
{
	struct lbxdp_ctx *c = &lb->ctx;
	struct lbxdp_vip_key key;
	__be32 a[4];
	__u8 mac[6];

	vip_key(&key, VIP1, 80, IPPROTO_TCP);
	addr4(a, BACKEND(1));
	be_mac(mac, 1, 0);
	return ASSERT_OK(lb_attach_faults(lb, sub, IF_MODEL, flows, T_RING,
					  fail_refresh),
			 "attach") &&
	       ASSERT_OK(lbxdp_vip_add(c, &key, LBXDP_SCHED_WRR, 0,
				       LBXDP_OWNER_CLI),
			 "vip add") &&
	       ASSERT_OK(lbxdp_backend_add(c, &key, a, 1, mac, LBXDP_OWNER_CLI),
			 "backend add");
}

/* Close @lb and purge its pin directory, which leaves IF_MODEL to the
 * model test. */
static void lb_purge(struct lb *lb)
{
	lb_close(lb);
	if (lb->pin_dir[0])
		ASSERT_OK(lbxdp_detach(lb->pin_dir, IF_MODEL, true),
			  "detach --purge");
}

/*
 * User space's writer (bpf/sync_put.bpf.c), loaded once by a daemon, reads
 * the timeouts at each write: a way idle longer than the timeout it was
 * loaded with but within the one `timeout set` raised it to holds a live
 * flow, not a free way. In a table of two buckets, six flows fill them.
 */
static void test_writer_tmo(void)
{
	static struct lb lb;
	struct lbxdp_ctx *c = &lb.ctx;
	struct fspec f[7];
	struct lbxdp_flow_key k;
	struct lbxdp_config cfg;
	struct lbxdp_flow v;
	struct frame in, out;
	__u32 verdict = 0;
	__u64 now;
	int i;

	test__begin(
		"flows: user space's writer takes the timeouts of the write, not of its load");
	test__context("set-up");
	for (i = 0; i < 7; i++)
		f[i] = (struct fspec)TCPF(CLIENT(7), (__u16)(42000 + i), VIP1,
					  80, TH_SYN);
	if (!model_wrr(&lb, "tmo", 2, false) ||
	    !ASSERT_EQ(c->cfg.ft_nbuckets, 2, "buckets"))
		goto out;
	cfg = c->cfg;
	cfg.tcp_timeout = 5;
	cfg.udp_timeout = 5;
	if (!ASSERT_OK(lbxdp_timeout_write(c, &cfg), "timeouts 5 s") ||
	    !ASSERT_OK(send_frame(&lb, &f[0], &in, &out, &verdict), "SYN") ||
	    !ASSERT_VERDICT(verdict, XDP_TX, "SYN"))
		goto out;
	/* The writer loads at its first write, with the 5 s timeouts. */
	k = flow_key_of(&f[0]);
	if (!ASSERT_OK(lbxdp_flow_get(c, &k, &v), "the SYN's entry") ||
	    !ASSERT_OK(lbxdp_flow_put(c, &k, &v, BPF_EXIST), "rewrite it") ||
	    !ASSERT_OK(lbxdp_flow_del(c, &k, NULL), "delete it") ||
	    !ASSERT_EQ(lbxdp_flow_put(c, &k, &v, BPF_EXIST), -ENOENT,
		       "rewrite it, deleted: ENOENT") ||
	    !ASSERT_EQ(lbxdp_flow_get(c, &k, &v), -ENOENT, "not put back"))
		goto out;

	test__context("timeout raised to 3600 s");
	cfg = c->cfg;
	cfg.tcp_timeout = 3600;
	if (!ASSERT_OK(lbxdp_timeout_write(c, &cfg), "timeout 3600 s"))
		goto out;
	/* Idle 36, 30, ..., 6 s, in that order: at each put (the writer's
	 * clock is the put's stamp) the others are idle 6 s and more. */
	now = lbxdp_prog_now(c);
	for (i = 1; i < 7; i++) {
		k = flow_key_of(&f[i]);
		v.last_seen_ns = now - (__u64)(6 * (7 - i)) * 1000000000ULL;
		if (!ASSERT_OK(lbxdp_flow_put(c, &k, &v, BPF_NOEXIST),
			       "put a flow idle 36-6 s"))
			goto out;
	}
	for (i = 1; i < 7; i++) {
		k = flow_key_of(&f[i]);
		ASSERT_OK(lbxdp_flow_get(c, &k, &v),
			  "each of the six is there, none written over");
	}
out:
	lb_purge(&lb);
	test__end();
}

/*
 * An entry's refresh can fail, when a writer takes or moves its way between
 * the find and the touch (injected here: lbxdp_attach_opts.fail_refresh).
 * Then no memo: one would spare the entry its refresh for 0.5 s, and so let
 * it expire under a flow whose packets keep coming. The next packet goes by
 * the table and tries again.
 */
static void test_refresh_failed(void)
{
	static struct lb lb;
	struct fspec syn = TCPF(CLIENT(8), 43000, VIP1, 80, TH_SYN), ack = syn;
	struct lbxdp_ctx *c = &lb.ctx;
	struct lbxdp_config cfg0;
	struct lbxdp_flow_key k;
	struct frame in, out;
	struct lbxdp_flow v;
	__u32 verdict = 0;
	__u64 t0;

	test__begin(
		"flows: a packet whose entry's refresh failed makes no memo");
	ack.tcp_flags = TH_ACK;
	test__context("set-up");
	if (!model_wrr(&lb, "refresh", T_FLOWS, true))
		goto out;
	/* The program's clock held: the ACK is not due for a refresh. */
	cfg0 = c->cfg;
	t0 = lbxdp_prog_now(c);
	if (!clock_hold(c, &cfg0, t0) ||
	    !ASSERT_OK(send_frame(&lb, &syn, &in, &out, &verdict), "SYN") ||
	    !ASSERT_VERDICT(verdict, XDP_TX, "SYN") ||
	    !ASSERT_OK(send_frame(&lb, &ack, &in, &out, &verdict), "ACK") ||
	    !ASSERT_VERDICT(verdict, XDP_TX, "ACK"))
		goto out;
	if (!ASSERT_EQ(memo_scan(c, &ack, 0, NULL), 1,
		       "memos after a fresh entry's ACK"))
		goto out;
	test__context("2 s later: the entry due for its refresh");
	if (!ASSERT_OK(lbxdp_memo_clear(c), "memos forgotten") ||
	    !clock_hold(c, &cfg0, t0 + 2 * 1000000000ULL) ||
	    !ASSERT_OK(send_frame(&lb, &ack, &in, &out, &verdict), "ACK") ||
	    !ASSERT_VERDICT(verdict, XDP_TX, "ACK: forwarded by its entry"))
		goto out;
	ASSERT_EQ(memo_scan(c, &ack, 0, NULL), 0,
		  "memos after the failed refresh");
	k = flow_key_of(&ack);
	if (ASSERT_OK(lbxdp_flow_get(c, &k, &v), "the flow's entry"))
		ASSERT_TRUE(v.last_seen_ns < t0 + 1000000000ULL,
			    "not refreshed (the fault)");
out:
	clock_release(c);
	lb_purge(&lb);
	test__end();
}

/* Ways of @c's table that hold a flow whose tag flow_tags lacks; -1 if
 * they cannot be read. */
static int untagged_ways(struct lbxdp_ctx *c)
{
	long page = sysconf(_SC_PAGESIZE);
	__u32 nb = c->cfg.ft_nbuckets, i;
	size_t len = ((size_t)nb * sizeof(struct lbxdp_ft_bucket) + page - 1) /
		     page * page;
	const struct lbxdp_ft_bucket *tab;
	int j, n = 0;
	__u64 v;

	tab = mmap(NULL, len, PROT_READ, MAP_SHARED, c->fd[M_FLOWS], 0);
	if (tab == MAP_FAILED)
		return -1;
	for (i = 0; i < nb && n >= 0; i++) {
		__u32 e = i / 2;

		if (bpf_map_lookup_elem(c->fd[M_FLOW_TAGS], &e, &v)) {
			n = -1;
			break;
		}
		for (j = 0; j < LBXDP_FT_WAYS; j++)
			if (tab[i].w[j].seen &&
			    (__u8)(v >> ((i & 1) * 32 + j * 8)) !=
				    lbxdp_ft_tag(&tab[i].w[j], c->cfg.ft_seed))
				n++;
	}
	munmap((void *)tab, len);
	return n;
}

/* As a program without tags leaves flow_tags: zeros. */
static bool tags_zero(struct lbxdp_ctx *c)
{
	__u32 i, n = lbxdp_ft_ntags(c->cfg.ft_nbuckets);
	__u64 zero = 0;

	for (i = 0; i < n; i++)
		if (!ASSERT_OK(bpf_map_update_elem(c->fd[M_FLOW_TAGS], &i,
						   &zero, BPF_ANY),
			       "zero a tag"))
			return false;
	return true;
}

#define TAG_FLOWS 20

/*
 * attach tags the ways an older program wrote without tags (after the
 * swap), and says the tags are valid (config.flags) only once it has: a
 * bucket a writer holds through the retag leaves the flag clear, even if
 * the flag was set (a downgrade leaves it so), and SYNs beyond the guard
 * are then looked up.
 */
static void test_attach_retag(void)
{
	static struct lb lb;
	struct lbxdp_ctx *c = &lb.ctx;
	struct lbxdp_ft_bucket *tab = MAP_FAILED;
	struct frame in, out;
	struct fspec f;
	size_t len = 0;
	__u32 verdict;
	int i;

	test__begin(
		"flows: attach tags the ways an older program wrote; the tags count once all are");
	test__context("set-up");
	if (!model_wrr(&lb, "tags", 64, false) ||
	    !ASSERT_TRUE(c->cfg.flags & LBXDP_CFG_F_TAGS,
			 "a fresh table: its tags valid"))
		goto out;
	for (i = 0; i < TAG_FLOWS; i++) {
		f = (struct fspec)TCPF(CLIENT(8), (__u16)(43000 + i), VIP1, 80,
				       TH_SYN);
		if (!ASSERT_OK(send_frame(&lb, &f, &in, &out, &verdict),
			       "SYN") ||
		    !ASSERT_VERDICT(verdict, XDP_TX, "SYN"))
			goto out;
	}
	if (!ASSERT_EQ(untagged_ways(c), 0, "the program's ways, tagged") ||
	    !tags_zero(c) ||
	    !ASSERT_EQ(untagged_ways(c), TAG_FLOWS, "tags zeroed: untagged"))
		goto out;

	test__context("a bucket held through the retag");
	tab = flows_mmap_rw(c, &len);
	if (!ASSERT_TRUE(tab != MAP_FAILED, "mmap flows"))
		goto out;
	tab[0].seq |= 1;
	lb_close(&lb);
	if (!ASSERT_OK(lb_attach_caps(&lb, "tags", IF_MODEL, 64, T_RING),
		       "attach again") ||
	    !ASSERT_TRUE(!(c->cfg.flags & LBXDP_CFG_F_TAGS),
			 "a bucket left untagged: the tags do not count"))
		goto out;
	tab[0].seq++;

	test__context("none held");
	lb_close(&lb);
	if (!ASSERT_OK(lb_attach_caps(&lb, "tags", IF_MODEL, 64, T_RING),
		       "attach again"))
		goto out;
	ASSERT_TRUE(c->cfg.flags & LBXDP_CFG_F_TAGS, "all tagged: they count");
	ASSERT_EQ(untagged_ways(c), 0, "every way tagged again");
out:
	if (tab != MAP_FAILED) {
		tab[0].seq &= ~1U;
		munmap(tab, len);
	}
	lb_purge(&lb);
	test__end();
}

/* VIP id 0's vip_track stamp in @lb's pin directory, or -1. */
static long long vip_track0(const struct lb *lb)
{
	char path[PATH_MAX + 32];
	__u32 zero = 0, v;
	int fd, err;

	snprintf(path, sizeof(path), "%s/vip_track", lb->pin_dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -1;
	err = bpf_map_lookup_elem(fd, &zero, &v);
	close(fd);
	return err ? -1 : (long long)v;
}

/* An XDP program of an lbxdp build before vip_track (it reads no map),
 * put on @lb's pinned link. */
static bool link_to_old_build(struct lb *lb)
{
	struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .imm = XDP_PASS},
		{.code = BPF_JMP | BPF_EXIT},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, po, .expected_attach_type = BPF_XDP);
	char path[PATH_MAX + 32];
	int pfd, lfd, err;

	pfd = bpf_prog_load(BPF_PROG_TYPE_XDP, "old_build", "Dual BSD/GPL",
			    insns, 2, &po);
	if (!ASSERT_TRUE(pfd >= 0, "load a program that reads no map"))
		return false;
	snprintf(path, sizeof(path), "%s/%s", lb->pin_dir, LBXDP_LINK_PIN);
	lfd = bpf_obj_get(path);
	err = lfd < 0 ? -errno : bpf_link_update(lfd, pfd, NULL);
	if (lfd >= 0)
		close(lfd);
	close(pfd);
	return ASSERT_OK(err, "put it on the link");
}

/*
 * Which flows an attach tracks is asked of the program on the link: one
 * that does not read vip_track (a build before it; an attach killed
 * during its load left the pin, which libbpf makes first) placed every
 * flow with an entry, so that all are looked up for a timeout after. One
 * that reads it tracked what it had to: nothing more is.
 */
static void test_attach_track_asks(void)
{
	struct lb lb = {};

	test__begin(
		"attach: tracks every flow where the program on the link does not read vip_track");
	if (!ASSERT_OK(lb_attach_caps(&lb, "trk", IF_MODEL, 64, T_RING),
		       "attach") ||
	    !ASSERT_EQ(vip_track0(&lb), 0, "fresh: nothing tracked"))
		goto out;
	lb_close(&lb);
	if (!ASSERT_OK(lb_attach_caps(&lb, "trk", IF_MODEL, 64, T_RING),
		       "attach again, over this build") ||
	    !ASSERT_EQ(vip_track0(&lb), 0, "this build's: nothing tracked"))
		goto out;
	lb_close(&lb);
	if (!link_to_old_build(&lb) ||
	    !ASSERT_OK(lb_attach_caps(&lb, "trk", IF_MODEL, 64, T_RING),
		       "attach again, over an older build"))
		goto out;
	ASSERT_GT(vip_track0(&lb), 0,
		  "its flows, placed with entries, all tracked: vip_track");
out:
	lb_purge(&lb);
	test__end();
}

struct vip_count {
	__be32 addr;
	__u32 n;
};

static int count_vip(const struct lbxdp_flow_key *k, const struct lbxdp_flow *v,
		     void *arg)
{
	struct vip_count *vc = arg;

	vc->n += k->dst[0] == vc->addr;
	return 0;
}

/*
 * A walk in steps (flow sync's refresh scan) reads the VIPs' and
 * backends' names once, and again when config.gen moves: the flows of a
 * VIP deleted half way are not named after it in the rest of the walk.
 */
static void test_walk_names(void)
{
	struct lbxdp_ctx *c = &env.main.ctx;
	struct lbxdp_flow_walk w = {};
	struct vip_count vc = {.addr = htonl(VIP2)};
	struct frame in, out;
	struct svc s;
	__u32 verdict;
	int i, r;

	test__begin(
		"flows: a walk in steps names the flows as the records are at each step");
	test__context("set-up");
	if (!svc_begin(&s, VIP2, 80, LBXDP_SCHED_WRR) ||
	    !svc_backend(&s, BACKEND(1), 1))
		goto out;
	for (i = 0; i < 200; i++) {
		struct fspec f = flow_n(i, TH_SYN, VIP2);

		verdict = 0;
		if (!ASSERT_OK(send_frame(&env.main, &f, &in, &out, &verdict),
			       "SYN") ||
		    !ASSERT_VERDICT(verdict, XDP_TX, "SYN"))
			goto out;
	}
	ASSERT_OK(lbxdp_flows_walk(c, count_vip, &vc), "walk");
	ASSERT_EQ(vc.n, 200, "a whole walk meets each flow");

	test__context("the VIP deleted after a first step");
	vc.n = 0;
	r = lbxdp_flows_walk_step(c, &w, LBXDP_FT_WAYS, count_vip, &vc);
	if (!ASSERT_EQ(r, 0, "one bucket: a step of many") ||
	    !ASSERT_OK(lbxdp_vip_del(c, &s.key), "vip del"))
		goto out;
	s.added = false;
	vc.n = 0;
	do
		r = lbxdp_flows_walk_step(c, &w, 64 * LBXDP_FT_WAYS, count_vip,
					  &vc);
	while (!r);
	ASSERT_EQ(r, 1, "the walk is done");
	ASSERT_EQ(vc.n, 0, "no flow named after the deleted VIP");
	ASSERT_TRUE(!w.names && !w.at, "a walk done is one not begun");
out:
	lbxdp_flows_walk_end(&w);
	svc_end(&s);
	test__end();
}

/* What flow list met: its first 64 entries, how many, how many of @vip. */
struct listed {
	__be32 vip;
	__u32 n, nvip;
	struct lbxdp_flow_entry e[64];
};

static int list_one(const struct lbxdp_flow_entry *e, void *arg)
{
	struct listed *l = arg;

	if (l->n < 64)
		l->e[l->n] = *e;
	l->n++;
	l->nvip += e->svc.addr[0] == l->vip;
	return 0;
}

static __u32 list_count(int vip_id, __u32 backend)
{
	struct listed l = {};

	if (!ASSERT_OK(lbxdp_flow_list(&env.main.ctx, vip_id, backend, list_one,
				       &l),
		       "flow list"))
		return ~0U;
	return l.n;
}

/*
 * flow list names each live entry, as the program would take it:
 * its service, client and server; of a VIP, of a backend; not an entry of
 * an earlier holder of the backend's id, an entry idle past its timeout,
 * or the entries of a deleted VIP whose id a new one took.
 */
static void test_flow_list(void)
{
	struct lbxdp_ctx *c = &env.main.ctx;
	const __u32 vip_b = IP4(198, 18, 0, 12);
	struct svc a = {}, b = {};
	struct lbxdp_vip va, vb, vb2;
	bool bb = false;
	struct lbxdp_flow_key k;
	struct lbxdp_flow v;
	struct listed l = {.vip = htonl(VIP2)};
	struct lbxdp_ft_bucket *tab = MAP_FAILED;
	__u32 be1, n1 = 0, i, j;
	size_t len = 0;
	__u64 tmo;

	test__begin("flows: flow list names the live entries");
	test__context("set-up");
	if (!svc_begin(&a, VIP2, 80, LBXDP_SCHED_WRR) ||
	    !svc_backend(&a, BACKEND(1), 1) || !svc_backend(&a, BACKEND(2), 1))
		goto out;
	/* Its own MACs, and torn down only if begun (its config before). */
	bb = svc_begin(&b, vip_b, 80, LBXDP_SCHED_WRR);
	b.set = 3;
	if (!bb || !svc_backend(&b, BACKEND(3), 1) ||
	    !ASSERT_OK(lbxdp_vip_get(c, &a.key, &va), "vip A") ||
	    !ASSERT_OK(lbxdp_vip_get(c, &b.key, &vb), "vip B") ||
	    !ASSERT_OK(lbxdp_backend_find(c, &a.key, a.sb[0].addr, &be1),
		       "backend 1") ||
	    /* Held: flow 22 below is within its timeout by 2 s only. */
	    !svc_hold(&a))
		goto out;
	for (i = 0; i < 30; i++) {
		struct fspec f = flow_n(i, TH_SYN, i < 20 ? VIP2 : vip_b);
		struct frame in, out;
		__u32 verdict = 0;

		if (!ASSERT_OK(send_frame(&env.main, &f, &in, &out, &verdict),
			       "SYN") ||
		    !ASSERT_VERDICT(verdict, XDP_TX, "SYN"))
			goto out;
	}

	test__context("all the entries");
	if (!ASSERT_OK(lbxdp_flow_list(c, -1, 0, list_one, &l), "flow list") ||
	    !ASSERT_EQ(l.n, 30, "30 flows, 30 entries") ||
	    !ASSERT_EQ(l.nvip, 20, "20 of VIP A"))
		goto out;
	tmo = (__u64)c->cfg.tcp_timeout * 1000000000ULL;
	for (j = 0; j < 30; j++) {
		const struct lbxdp_flow_entry *e = &l.e[j];
		struct lbxdp_backend be;

		for (i = 0; i < 30; i++) {
			struct fspec f =
				flow_n(i, TH_SYN, i < 20 ? VIP2 : vip_b);

			k = flow_key_of(&f);
			if (!memcmp(&k, &e->key, sizeof(k)))
				break;
		}
		if (!ASSERT_TRUE(i < 30, "an entry of a flow sent") ||
		    !ASSERT_OK(lbxdp_flow_get(c, &k, &v), "its entry") ||
		    !ASSERT_OK(lbxdp_backend_get(c, v.backend, &be, NULL, NULL),
			       "its backend") ||
		    !ASSERT_TRUE(!memcmp(&e->svc, i < 20 ? &a.key : &b.key,
					 sizeof(e->svc)),
				 "its service") ||
		    !ASSERT_EQ(e->backend, v.backend, "its backend's id") ||
		    !ASSERT_TRUE(!memcmp(e->server, be.addr, sizeof(be.addr)),
				 "its server's address") ||
		    !ASSERT_EQ(e->timeout_ns, tmo, "the tcp timeout") ||
		    !ASSERT_TRUE(e->idle_ns < 5000000000ULL, "idle < 5 s"))
			goto out;
		n1 += v.backend == be1;
	}

	test__context("of a VIP, of a backend");
	ASSERT_EQ(list_count(va.id, 0), 20, "VIP A's");
	ASSERT_EQ(list_count(vb.id, 0), 10, "VIP B's");
	if (!ASSERT_TRUE(n1 > 0 && n1 < 20, "both of A's backends have flows"))
		goto out;
	ASSERT_EQ(list_count(va.id, be1), n1, "backend 1's");
	ASSERT_EQ(list_count(-1, be1), n1, "backend 1's, of any VIP");

	test__context("not the program's");
	/* Flow 20 of an earlier holder of its backend's id, flow 21 idle
	 * past the timeout, flow 22 just within it. */
	for (i = 20; i < 23; i++) {
		struct fspec f = flow_n(i, TH_SYN, vip_b);

		k = flow_key_of(&f);
		if (!ASSERT_OK(lbxdp_flow_get(c, &k, &v), "read"))
			goto out;
		if (i == 20)
			v.gen ^= 1;
		else
			v.last_seen_ns =
				lbxdp_prog_now(c) - tmo +
				(i == 21 ? -2000000000LL : 2000000000LL);
		if (!ASSERT_OK(lbxdp_flow_put(c, &k, &v, BPF_EXIST), "rewrite"))
			goto out;
	}
	ASSERT_EQ(list_count(vb.id, 0), 8,
		  "VIP B's: not another holder's, not idle past the timeout");

	test__context("a VIP deleted, and added again");
	if (!ASSERT_OK(lbxdp_vip_del(c, &b.key), "vip del") ||
	    !ASSERT_OK(lbxdp_vip_add(c, &b.key, LBXDP_SCHED_WRR, 0,
				     LBXDP_OWNER_CLI),
		       "vip add") ||
	    !ASSERT_OK(lbxdp_vip_get(c, &b.key, &vb2), "vip B again") ||
	    !ASSERT_EQ(vb2.id, vb.id, "the same id"))
		goto out;
	ASSERT_EQ(list_count(vb2.id, 0), 0,
		  "none of the flows of the VIP before (their records freed)");
	ASSERT_EQ(list_count(-1, 0), 20, "VIP A's stay");

	test__context("a bucket a writer holds");
	tab = flows_mmap_rw(c, &len);
	if (!ASSERT_TRUE(tab != MAP_FAILED, "mmap flows"))
		goto out;
	tab[0].seq |= 1;
	ASSERT_EQ(lbxdp_flow_list(c, -1, 0, list_one, &l), -EBUSY,
		  "the list fails, the bucket not skipped");
out:
	if (tab != MAP_FAILED) {
		tab[0].seq = (tab[0].seq | 1) + 1;
		munmap(tab, len);
	}
	if (bb)
		svc_end(&b);
	svc_end(&a);
	test__end();
}

/* Seen in the last unit before the wrap, which reads as the next one. */
static void seen_at_wrap(__u64 t)
{
	const __u64 wrap = 1ULL << (32 + LBXDP_FT_SEEN_SHIFT);

	ASSERT_CMP(t, >=, wrap - (1ULL << LBXDP_FT_SEEN_SHIFT), "last seen",
		   "at least ");
	ASSERT_CMP(t, <=, wrap, "last seen", "at most ");
}

/*
 * A way's seen counts units of 2^24 ns and wraps after 2^56 ns (834 days
 * of uptime). The unit that would read 0, a free way, reads 1; lbxdp reads
 * a way's time as the one nearest now, as the program takes its age. A
 * flow seen just before the wrap keeps its entry after it.
 */
static void test_seen_wrap(void)
{
	struct lbxdp_ctx *c = &env.main.ctx;
	const __u64 unit = 1ULL << LBXDP_FT_SEEN_SHIFT;
	const __u64 wrap = 1ULL << (32 + LBXDP_FT_SEEN_SHIFT);
	const __u64 last = wrap - unit / 2; /* in the unit that reads 0 */
	struct fspec f = flow_n(7, TH_SYN, VIP2), f2 = flow_n(8, TH_ACK, VIP2),
		     f3 = flow_n(9, TH_ACK, VIP2);
	struct lbxdp_flow_key k = flow_key_of(&f), k2 = flow_key_of(&f2),
			      k3 = flow_key_of(&f3);
	struct frame in, out;
	struct lbxdp_flow v, w;
	struct svc s = {};
	__u32 verdict = 0;
	__u64 t;

	test__begin(
		"flows: a flow keeps its entry across the wrap of its seen");
	test__context("set-up");
	if (!svc_begin(&s, VIP2, 80, LBXDP_SCHED_WRR) ||
	    !svc_backend(&s, BACKEND(1), 1) || !svc_backend(&s, BACKEND(2), 1))
		goto out;

	test__context("a SYN in the last unit before the wrap");
	if (!clock_hold(c, &s.cfg0, last) ||
	    !ASSERT_OK(send_frame(&env.main, &f, &in, &out, &verdict), "SYN") ||
	    !ASSERT_VERDICT(verdict, XDP_TX, "SYN") ||
	    !ASSERT_OK(lbxdp_flow_get(c, &k, &v), "an entry, not a free way"))
		goto out;
	seen_at_wrap(v.last_seen_ns);
	ASSERT_EQ(list_count(-1, 0), 1, "flow list lists it");

	test__context("2 s after the wrap");
	f.tcp_flags = TH_ACK;
	if (!clock_hold(c, &s.cfg0, wrap + 2000000000ULL) ||
	    !ASSERT_OK(lbxdp_flow_get(c, &k, &w), "its entry"))
		goto out;
	ASSERT_EQ(w.last_seen_ns, v.last_seen_ns, "seen as before the wrap");
	ASSERT_EQ(list_count(-1, 0), 1, "listed: not idle past its timeout");
	if (!ASSERT_OK(send_frame(&env.main, &f, &in, &out, &verdict), "ACK") ||
	    !ASSERT_VERDICT(verdict, XDP_TX, "ACK") ||
	    !ASSERT_OK(lbxdp_flow_get(c, &k, &w), "its entry"))
		goto out;
	ASSERT_EQ(w.backend, v.backend, "the ACK on the SYN's server");
	ASSERT_CMP(w.last_seen_ns, >=, wrap + 1000000000ULL, "refreshed",
		   "at least ");

	test__context("lbxdp's put of a flow seen in the unit that reads 0");
	v.last_seen_ns = last;
	if (!ASSERT_OK(lbxdp_flow_put(c, &k2, &v, BPF_NOEXIST), "put") ||
	    !ASSERT_OK(lbxdp_flow_get(c, &k2, &w), "an entry, not a free way"))
		goto out;
	seen_at_wrap(w.last_seen_ns);
	ASSERT_EQ(list_count(-1, 0), 2, "both listed");

	/* Beyond 2^31 units: read as old, not as a stamp ahead. */
	test__context("a flow idle 600 days");
	t = wrap + 2000000000ULL - 600ULL * 86400 * 1000000000ULL;
	v.last_seen_ns = t;
	if (!ASSERT_OK(lbxdp_flow_put(c, &k3, &v, BPF_NOEXIST), "put") ||
	    !ASSERT_OK(lbxdp_flow_get(c, &k3, &w), "its entry"))
		goto out;
	ASSERT_EQ(w.last_seen_ns, t & ~(unit - 1), "seen 600 days ago");
	ASSERT_EQ(list_count(-1, 0), 2, "not listed: idle past its timeout");
	/* Its server quiesced: a live flow's ACK would stay there. */
	if (!svc_weight(&s, v.backend - 1, 0) ||
	    !ASSERT_OK(send_frame(&env.main, &f3, &in, &out, &verdict),
		       "ACK") ||
	    !ASSERT_VERDICT(verdict, XDP_TX, "ACK") ||
	    !ASSERT_OK(lbxdp_flow_get(c, &k3, &w), "its entry"))
		goto out;
	ASSERT_NEQ(w.backend, v.backend,
		   "placed anew, not on its quiesced server");
out:
	clock_release(c);
	svc_end(&s);
	test__end();
}

void test_flows(void)
{
	test_memo();
	test_memo_twins();
	test_set_mac();
	test_flood_reuse();
	test_flood_mh_back();
	test_place_race();
	test_literal_frame();
	test_miss_maglev();
	test_mh_consistency();
	test_jet();
	test_jet_sync();
	test_jet_vip_set();
	test_jet_drain();
	test_jet_raise();
	test_jet_stamp_forward();
	test_jet_feed();
	test_jet_prior();
	test_jet_prior_raise();
	test_jet_prior_udp();
	test_jet_prior_stopped();
	test_sh();
	test_counters();
	test_writer_tmo();
	test_refresh_failed();
	test_attach_retag();
	test_attach_track_asks();
	test_walk_names();
	test_flow_list();
	test_seen_wrap();
}
