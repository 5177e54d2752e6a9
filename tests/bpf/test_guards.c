// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The guards that only a crafted state shows: a flow memo past its refresh
 * interval, a record id reused while entries of its earlier holder live,
 * tables a killed writer left naming a backend its record no longer lets
 * take new flows, ICMP errors quoting another address, and the counts that
 * user space derives from the records. Each test here is what catches one
 * mutation of tests/mutate/mutations.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include "lbxdp/flowtab.h"
#include "records.h"
#include "fixture.h"

#define NSEC 1000000000ULL

#define FWD STAT_BIT(forwarded)
#define PASSED STAT_BIT(passed)
#define NOT_OURS STAT_BIT(not_our_mac)
#define NO_BE STAT_BIT(no_backend)
#define MISS STAT_BIT(flow_miss_nonsyn)
#define ICMP_FWD STAT_BIT(icmp_forwarded)
#define ICMP_PASS STAT_BIT(icmp_passed)

#define GUARD_BES 4

/* A service on env.main whose backends have the MACs of set 2; torn down,
 * with the config as it was, by guard_end(). */
struct guard {
	struct lbxdp_vip_key key;
	struct lbxdp_vip vip;
	__be32 addr[GUARD_BES][4];
	struct lbxdp_config cfg0;
	bool have_cfg0;
	bool added;
};

static bool guard_begin(struct guard *g, __u32 addr, int sched, __u32 persist)
{
	struct lbxdp_ctx *c = &env.main.ctx;

	memset(g, 0, sizeof(*g));
	if (!ASSERT_OK(lbxdp_config_read(c), "config read"))
		return false;
	g->cfg0 = c->cfg;
	g->have_cfg0 = true;
	vip_key(&g->key, addr, 80, IPPROTO_TCP);
	g->added = ASSERT_OK(
		lbxdp_vip_add(c, &g->key, sched, persist, LBXDP_OWNER_CLI),
		"vip add");
	return g->added &&
	       ASSERT_OK(lbxdp_vip_get(c, &g->key, &g->vip), "vip get");
}

/* Backend @i (0..GUARD_BES-1) of @g: 198.18.1.(i+1), MAC 02:be:00:00:02:i+1. */
static bool guard_add(struct guard *g, int i, __u16 weight)
{
	__u8 mac[6];

	addr4(g->addr[i], BACKEND(i + 1));
	be_mac(mac, 2, i);
	return ASSERT_OK(lbxdp_backend_add(&env.main.ctx, &g->key, g->addr[i],
					   weight, mac, LBXDP_OWNER_CLI),
			 "backend add");
}

static void guard_end(struct guard *g)
{
	test__context("tear-down");
	lb_reset(&env.main, &g->key, g->added ? 1 : 0,
		 g->have_cfg0 ? &g->cfg0 : NULL);
	clock_release(&env.main.ctx);
}

/* Backend @i's record id and its entry of backend list; 0 if it has none. */
static __u32 guard_id(struct guard *g, int i, struct lbxdp_backend_entry *entry)
{
	struct lbxdp_backend_entry *list = NULL;
	size_t n = 0, k;
	__u32 id = 0;

	if (!ASSERT_OK(lbxdp_backend_list(&env.main.ctx, g->vip.id, &list, &n),
		       "backend list"))
		return 0;
	for (k = 0; k < n; k++) {
		if (memcmp(list[k].be.addr, g->addr[i], sizeof(g->addr[i])))
			continue;
		id = list[k].id;
		if (entry)
			*entry = list[k];
	}
	free(list);
	return id;
}

static bool flow_get(const struct fspec *f, struct lbxdp_flow *v)
{
	struct lbxdp_flow_key k = flow_key_of(f);

	return ASSERT_OK(lbxdp_flow_get(&env.main.ctx, &k, v),
			 "the flow's entry in map flows");
}

static bool flow_put(const struct fspec *f, const struct lbxdp_flow *v)
{
	struct lbxdp_flow_key k = flow_key_of(f);

	return ASSERT_OK(lbxdp_flow_put(&env.main.ctx, &k, v, BPF_EXIST),
			 "write the flow's entry");
}

/* Write backend record @id as a writer killed before its table flip would
 * have left it: @set and @clear flags, vip_id @vip_id (< 0: unchanged). */
static bool record_poke(__u32 id, __u32 set, __u32 clear, int vip_id)
{
	int fd = env.main.ctx.fd[M_BACKENDS];
	struct lbxdp_backend be = {};

	if (!ASSERT_OK(bpf_map_lookup_elem(fd, &id, &be) ? -errno : 0,
		       "read the backend record"))
		return false;
	be.flags = (be.flags & ~clear) | set;
	if (vip_id >= 0)
		be.vip_id = vip_id;
	return ASSERT_OK(bpf_map_update_elem(fd, &id, &be, BPF_ANY) ? -errno
								    : 0,
			 "write the backend record alone");
}

static bool expect(const struct fspec *f, __u32 verdict, int to, __u64 stats,
		   const char *what)
{
	__u8 mac[6];

	test__context("%s", what);
	if (to < 0)
		return send_expect(&env.main, f, verdict, NULL, stats, what,
				   NULL);
	be_mac(mac, 2, to);
	return send_expect(&env.main, f, verdict, mac, stats, what, NULL);
}

/* --- (0) the flow table's buckets, held by a writer --- */

/*
 * Hold (or release) the two buckets of @f's flow as a writer does, by an
 * odd seq: through a mmap of map flows of the test's own, writable.
 */
static bool hold_buckets(const struct guard *g, const struct fspec *f,
			 bool hold)
{
	const struct lbxdp_config *cfg = &env.main.ctx.cfg;
	long page = sysconf(_SC_PAGESIZE);
	size_t len =
		((size_t)cfg->ft_nbuckets * sizeof(struct lbxdp_ft_bucket) +
		 page - 1) /
		page * page;
	struct lbxdp_ft_way k = way_of(f, g->vip.id);
	struct lbxdp_ft_bucket *tab;
	__u32 idx[2], i;

	tab = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		   env.main.ctx.fd[M_FLOWS], 0);
	if (!ASSERT_TRUE(tab != MAP_FAILED, "mmap map flows"))
		return false;
	lbxdp_ft_pair(&k, cfg->ft_seed, cfg->ft_nbuckets, idx);
	for (i = 0; i < 2; i++)
		if (!(tab[idx[i]].seq & 1) == hold)
			tab[idx[i]].seq++;
	munmap(tab, len);
	return true;
}

/*
 * A packet whose flow's two buckets a writer holds through the program's
 * three reads is dropped and counted (flow_busy): a miss would re-place
 * an established wrr flow. Released, the flow goes on where it was.
 */
static void test_flow_busy(void)
{
	struct fspec syn = SYNF(CLIENT(1), 5010, VIP1, 80),
		     ack = ACKF(CLIENT(1), 5010, VIP1, 80),
		     syn2 = SYNF(CLIENT(1), 5010, VIP1, 80);
	struct lbxdp_flow v0, v1;
	struct guard g;
	bool held = false;

	test__begin(
		"flow table: a packet whose flow's buckets a writer holds -> DROP (flow_busy); released, the flow goes on");
	test__context("set-up");
	if (!guard_begin(&g, VIP1, LBXDP_SCHED_WRR, 0) ||
	    !guard_add(&g, 0, 1) ||
	    !ASSERT_OK(lbxdp_config_read(&env.main.ctx), "config read") ||
	    !expect(&syn, XDP_TX, 0, FWD, "SYN") || !flow_get(&ack, &v0))
		goto out;
	held = hold_buckets(&g, &ack, true);
	if (!held || !ASSERT_OK(lbxdp_memo_clear(&env.main.ctx), "memos") ||
	    !expect(&ack, XDP_DROP, -1, STAT_BIT(flow_busy), "data, held") ||
	    !expect(&syn2, XDP_DROP, -1, STAT_BIT(flow_busy),
		    "the SYN again, held"))
		goto out;
	held = !hold_buckets(&g, &ack, false);
	if (held || !expect(&ack, XDP_TX, 0, FWD, "data, released") ||
	    !flow_get(&ack, &v1))
		goto out;
	ASSERT_EQ(v1.backend, v0.backend, "the flow's backend, after");
out:
	if (held)
		hold_buckets(&g, &ack, false);
	guard_end(&g);
	test__end();
}

/*
 * Whether no way of @f's two buckets carries @f's tag (lbxdp/flowtab.h),
 * into *none. A freed way keeps its tag: those of earlier tests' flows
 * stay, and the seed of the table is random.
 */
static bool tag_absent(const struct guard *g, const struct fspec *f, bool *none)
{
	struct lbxdp_ctx *c = &env.main.ctx;
	struct lbxdp_ft_way k = way_of(f, g->vip.id);
	__u8 t = lbxdp_ft_tag(&k, c->cfg.ft_seed), b[8];
	__u32 idx[2], e, i, j;

	*none = true;
	lbxdp_ft_pair(&k, c->cfg.ft_seed, c->cfg.ft_nbuckets, idx);
	for (i = 0; i < 2; i++) {
		e = idx[i] / 2;
		if (!ASSERT_OK(bpf_map_lookup_elem(c->fd[M_FLOW_TAGS], &e, b),
			       "read flow_tags"))
			return false;
		for (j = 0; j < LBXDP_FT_WAYS; j++)
			*none = *none && b[(idx[i] & 1) * 4 + j] != t;
	}
	return true;
}

/*
 * Beyond the flood guard, a wrr SYN whose tag neither of its buckets has
 * is placed by Maglev without reading them: held by a writer, they do not
 * make it busy. With the tags not valid (config.flags), it is looked up.
 */
static void test_flood_tags(void)
{
	struct fspec other = SYNF(CLIENT(2), 5020, VIP1, 80),
		     syn = SYNF(CLIENT(2), 5021, VIP1, 80);
	struct lbxdp_ctx *c = &env.main.ctx;
	struct lbxdp_config cfg;
	struct guard g;
	bool held = false, flag = false, none = false;
	__u32 rate0 = c->cfg.flood_rate;

	test__begin(
		"flood guard: a SYN whose tag its buckets lack is placed without them; tags not valid, looked up");
	test__context("set-up");
	if (!guard_begin(&g, VIP1, LBXDP_SCHED_WRR, 0) ||
	    !guard_add(&g, 0, 1) ||
	    !ASSERT_TRUE(c->cfg.flags & LBXDP_CFG_F_TAGS, "tags valid") ||
	    /* Held, so that both SYNs fall within the guard's second. */
	    !clock_hold(c, &g.cfg0, lbxdp_now_ns()) ||
	    !flood_set(&env.main, 1) ||
	    !expect(&other, XDP_TX, 0, FWD, "a SYN takes the second's one"))
		goto out;
	/* A port of a flow that no way's tag in its buckets names. */
	while (syn.sport < 5100 && tag_absent(&g, &syn, &none) && !none)
		syn.sport++;
	if (!ASSERT_TRUE(none, "a port whose tag its buckets lack"))
		goto out;
	held = hold_buckets(&g, &syn, true);
	if (!held || !expect(&syn, XDP_TX, 0, FWD | STAT_BIT(flood_stateless),
			     "a new flow's SYN, its buckets held: by Maglev"))
		goto out;
	cfg = c->cfg;
	cfg.flags &= ~LBXDP_CFG_F_TAGS;
	flag = ASSERT_OK(lbxdp_config_write(c, &cfg), "tags not valid");
	if (flag)
		expect(&syn, XDP_DROP, -1, STAT_BIT(flow_busy),
		       "tags not valid: looked up, busy");
out:
	if (flag) {
		cfg.flags |= LBXDP_CFG_F_TAGS;
		ASSERT_OK(lbxdp_config_write(c, &cfg), "tags valid again");
	}
	if (held)
		hold_buckets(&g, &syn, false);
	flood_set(&env.main, rate0);
	guard_end(&g);
	test__end();
}

/* --- (1) the flow memo expires --- */

/* A wrr service of one backend, whose flow @syn, @ack this CPU forwarded
 * from the table, which made its memo. */
static bool memo_made(struct guard *g, const struct fspec *syn,
		      const struct fspec *ack)
{
	test__context("set-up");
	return guard_begin(g, VIP1, LBXDP_SCHED_WRR, 0) && guard_add(g, 0, 1) &&
	       expect(syn, XDP_TX, 0, FWD, "SYN") &&
	       expect(ack, XDP_TX, 0, FWD, "data: from the table, memo made");
}

/*
 * A busy flow forwarded from this CPU's memo must still see its flows entry
 * refreshed: the memo lasts only until the entry is due (0.5 s). The memo
 * and the entry are made to look 2 s old, as after 2 s of memo hits.
 */
static void test_memo_expires(void)
{
	struct fspec syn = SYNF(CLIENT(1), 5000, VIP1, 80),
		     ack = ACKF(CLIENT(1), 5000, VIP1, 80);
	struct lbxdp_flow v;
	struct guard g;
	__u64 faked, cpus;
	int found;

	test__begin(
		"flow memo: a flow forwarded from its memo past the refresh interval has its flows entry refreshed");
	if (!memo_made(&g, &syn, &ack))
		goto out;
	test__context("2 s of memo hits");
	faked = lbxdp_now_ns() - 2 * NSEC;
	if (!flow_get(&ack, &v))
		goto out;
	v.last_seen_ns = faked;
	if (!flow_put(&ack, &v))
		goto out;
	found = memo_scan(&env.main.ctx, &ack, faked, &cpus);
	if (!ASSERT_GT(found, 0, "CPUs holding a memo of the flow"))
		goto out;
	if (!expect(&ack, XDP_TX, 0, FWD, "data after 2 s"))
		goto out;
	test__context("after");
	if (flow_get(&ack, &v))
		ASSERT_GT(v.last_seen_ns, faked + NSEC,
			  "last_seen_ns of the flows entry (refreshed)");
out:
	guard_end(&g);
	test__end();
}

/*
 * A memo is fresh while its entry is: its at counts in the unit of the
 * entry's seen and wraps with it (834 days). In ms it read the same again
 * 2^52 ns (52 days) later, when the flow's entry had long expired. The flow
 * is placed anew, with an entry, and a memo made after that is used.
 */
static void test_memo_wrap(void)
{
	struct fspec syn = SYNF(CLIENT(1), 5003, VIP1, 80),
		     ack = ACKF(CLIENT(1), 5003, VIP1, 80);
	struct lbxdp_ctx *c = &env.main.ctx;
	__u64 made, later, cpus;
	struct lbxdp_flow v;
	struct guard g;

	test__begin(
		"flow memo: a memo made 2^52 ns ago, its entry expired -> not used, the flow placed anew");
	if (!memo_made(&g, &syn, &ack))
		goto out;
	test__context("52 days later, to the ns");
	made = lbxdp_now_ns();
	later = made + (1ULL << 52);
	if (!ASSERT_GT(memo_scan(&env.main.ctx, &ack, made, &cpus), 0,
		       "CPUs holding a memo of the flow") ||
	    !clock_hold(c, &g.cfg0, later) ||
	    !expect(&ack, XDP_TX, 0, FWD | MISS, "data: its entry expired"))
		goto out;
	test__context("after");
	if (!flow_get(&ack, &v) ||
	    !ASSERT_GT(v.last_seen_ns, later - NSEC,
		       "last_seen_ns of the flows entry (placed anew)") ||
	    !expect(&ack, XDP_TX, 0, FWD, "data: from the table, memo made"))
		goto out;
	test__context("a memo made after the wrap, its entry gone");
	if (ASSERT_OK(lbxdp_flows_clear(c), "flows cleared, memos kept"))
		expect(&ack, XDP_TX, 0, FWD, "data: from the memo");
out:
	clock_release(c);
	guard_end(&g);
	test__end();
}

/*
 * A memo stands for the flow, not for the frame: a frame of a memoized flow
 * addressed to another host's MAC (flooded unknown unicast) is not ours.
 */
static void test_memo_our_mac(void)
{
	struct fspec syn = SYNF(CLIENT(1), 5001, VIP1, 80),
		     ack = ACKF(CLIENT(1), 5001, VIP1, 80),
		     other = ACKF(CLIENT(1), 5001, VIP1, 80, .other_mac = true);
	struct guard g;

	test__begin(
		"flow memo: a memoized flow's frame to another host's MAC -> PASS (not_our_mac)");
	if (memo_made(&g, &syn, &ack))
		expect(&other, XDP_PASS, -1, NOT_OURS,
		       "data to another host's MAC");
	guard_end(&g);
	test__end();
}

/* Whether the CPUs in @want alone hold a memo of @f's flow. */
static bool memo_on(const struct fspec *f, __u64 want)
{
	__u64 mask;
	int n = memo_scan(&env.main.ctx, f, 0, &mask);

	return ASSERT_OK(n < 0 ? n : 0, "read the memos") &&
	       ASSERT_EQ(mask, want, "CPUs holding a memo of the flow (mask)");
}

/* Run the calling thread on @cpu alone. */
static bool run_on(int cpu)
{
	return ASSERT_OK(cpu_pin(cpu), "move to the CPU");
}

/*
 * Each CPU writes its memos in its own part of one array, and a packet
 * reads only its CPU's part: a memo two CPUs wrote at once could be torn
 * (void, fill, validate holds on one CPU only).
 */
static void test_memo_per_cpu(void)
{
	struct fspec syn = SYNF(CLIENT(1), 5002, VIP1, 80),
		     ack = ACKF(CLIENT(1), 5002, VIP1, 80);
	int other = env.cpu ? env.cpu - 1 : 1;
	struct guard g;

	test__begin(
		"flow memo: each CPU's memos in its own part of flow_memo_cpu, read by it alone");
	if (!memo_made(&g, &syn, &ack))
		goto out;
	memo_on(&ack, 1ULL << env.cpu);
	if (env.main.ctx.ncpus < 2 || other >= 63)
		goto out;
	test__context("the flow's packets on another CPU");
	if (!run_on(other))
		goto out;
	/* Not a memo hit there: the table, which makes that CPU's memo. */
	expect(&ack, XDP_TX, 0, FWD, "data on CPU other");
	run_on(env.cpu);
	memo_on(&ack, (1ULL << env.cpu) | (1ULL << other));
out:
	guard_end(&g);
	test__end();
}

/* --- (2), (3) a reused record id --- */

/*
 * Backend 0 (web1) took flow @ack; then its flows went idle past a short
 * TCP timeout, it was removed and its record freed (as backend list frees
 * finished drains), and web3 took the id.
 * Returns whether all that held, with the id in *id.
 */
static bool reuse_id(struct guard *g, const struct fspec *syn,
		     const struct fspec *ack, __u32 *id)
{
	__u32 old;

	if (!expect(syn, XDP_TX, 0, FWD, "SYN: web1, first of the schedule"))
		return false;
	test__context("web1 removed once its flow is idle past 10 s");
	old = guard_id(g, 0, NULL);
	if (!ASSERT_NEQ(old, 0, "web1's record id") ||
	    !tcp_timeout_set(&env.main, 10) || !age_flow(&env.main, ack, 20) ||
	    !ASSERT_OK(lbxdp_backend_del(&env.main.ctx, &g->key, g->addr[0]),
		       "backend del web1") ||
	    !ASSERT_OK(lbxdp_gc(&env.main.ctx), "free finished drains") ||
	    !ASSERT_EQ(guard_id(g, 0, NULL), 0, "web1's record, freed"))
		return false;
	test__context("web3 added");
	if (!guard_add(g, 2, 1))
		return false;
	*id = guard_id(g, 2, NULL);
	/* Else the test proves nothing. */
	return ASSERT_EQ(*id, old, "web3's record id: web1's, reused");
}

/* The backends Maglev places over once web3 took web1's id: web2, web3
 * (ids: index + 1 of guard_add()), weight 1 each. */
static void web2_web3(struct lbxdp_sched_backend sb[2])
{
	memset(sb, 0, 2 * sizeof(*sb));
	addr4(sb[0].addr, BACKEND(2));
	addr4(sb[1].addr, BACKEND(3));
	sb[0].id = 2;
	sb[1].id = 3;
	sb[0].weight = sb[1].weight = 1;
}

/*
 * An entry of web1's flow, alive again (the TCP timeout raised after the
 * record was freed), names the id that web3 now holds: its gen says it is
 * not web3's. It is neither web3's flow to count nor sent to web3; the
 * data is a miss, placed by Maglev over web2 and web3.
 */
static void test_reused_flow(void)
{
	struct fspec syn = SYNF(CLIENT(1), 6000, VIP2, 80),
		     ack = ACKF(CLIENT(1), 6000, VIP2, 80);
	struct lbxdp_sched_backend sb[2];
	struct lbxdp_backend_entry e = {};
	struct guard g;
	__u32 id;

	test__begin(
		"reused backend id: a live flow entry of its earlier holder is not its new server's");
	test__context("set-up");
	if (!guard_begin(&g, VIP2, LBXDP_SCHED_WRR, 0) ||
	    !guard_add(&g, 0, 1) || !guard_add(&g, 1, 1))
		goto out;
	if (!reuse_id(&g, &syn, &ack, &id))
		goto out;
	test__context("TCP timeout back to 900 s");
	if (!tcp_timeout_set(&env.main, 900) || !guard_id(&g, 2, &e))
		goto out;
	ASSERT_EQ(e.flows, 0, "web3's flows (backend list)");
	web2_web3(sb);
	expect(&ack, XDP_TX,
	       (int)maglev_pick(sb, 2, env.main.ctx.cfg.ring_size, &ack) - 1,
	       FWD | MISS, "data of web1's flow: a miss, by Maglev");
out:
	guard_end(&g);
	test__end();
}

/*
 * The same stale entry, met by an ICMP frag-needed about its flow: the
 * entry is not web3's, so the ICMP goes where the flow's next packet will
 * (Maglev over web2 and web3), for a flow whose Maglev pick is web2.
 */
static void test_reused_icmp(void)
{
	struct lbxdp_sched_backend sb[2];
	struct fspec syn, ack, icmp;
	struct guard g;
	__u16 port;
	__u32 id;

	test__begin(
		"reused backend id: an ICMP about a live flow entry of its earlier holder does not go to its new server");
	web2_web3(sb);
	test__context("set-up");
	if (!guard_begin(&g, VIP2, LBXDP_SCHED_WRR, 0) ||
	    !guard_add(&g, 0, 1) || !guard_add(&g, 1, 1))
		goto out;
	/* A flow whose pick is web2: else web3 would be right either way. */
	for (port = 6200; port < 6300; port++) {
		ack = (struct fspec)ACKF(CLIENT(1), port, VIP2, 80);
		if (maglev_pick(sb, 2, env.main.ctx.cfg.ring_size, &ack) == 2)
			break;
	}
	if (!ASSERT_TRUE(port < 6300, "a flow that Maglev gives web2"))
		goto out;
	syn = (struct fspec)SYNF(CLIENT(1), port, VIP2, 80);
	icmp = (struct fspec)ICMPF(ROUTER, VIP2, 3, 4, CLIENT(1), port, 80);
	if (!reuse_id(&g, &syn, &ack, &id) || !tcp_timeout_set(&env.main, 900))
		goto out;
	expect(&icmp, XDP_TX, 1, ICMP_FWD,
	       "frag-needed about web1's flow: to web2, by Maglev");
out:
	guard_end(&g);
	test__end();
}

/*
 * A persistence entry of a client of web1 outlives web1's record: with
 * web3 in its id, the client's next flow is scheduled (wrr's second turn,
 * of web2 and web3: web3), not persisted.
 */
static void test_reused_persist(void)
{
	struct fspec syn = SYNF(CLIENT(2), 6100, VIP3, 80),
		     ack = ACKF(CLIENT(2), 6100, VIP3, 80),
		     next = SYNF(CLIENT(2), 6101, VIP3, 80);
	struct guard g;
	__u32 id;

	test__begin(
		"reused backend id: a persistence entry of its earlier holder does not send to its new server");
	test__context("set-up");
	if (!guard_begin(&g, VIP3, LBXDP_SCHED_WRR, 3600) ||
	    !guard_add(&g, 0, 1) || !guard_add(&g, 1, 1))
		goto out;
	if (!reuse_id(&g, &syn, &ack, &id))
		goto out;
	expect(&next, XDP_TX, 2, FWD,
	       "the client's next SYN: scheduled, no persistence hit");
out:
	guard_end(&g);
	test__end();
}

/* --- (4) tables a killed writer left --- */

/*
 * A writer killed between a backend's record and its table flip leaves the
 * tables naming a backend that may no longer take new flows: down,
 * draining, or given to another VIP. A new flow that lands on it is
 * dropped (no other backend here), never sent to it.
 */
static void test_stale_slot(void)
{
	struct guard g, h;
	__u32 id;

	test__begin(
		"tables naming a down, draining or foreign backend (record written, no flip): no new flow on it");
	test__context("set-up");
	memset(&h, 0, sizeof(h));
	if (!guard_begin(&g, VIP1, LBXDP_SCHED_WRR, 0) || !guard_add(&g, 0, 1))
		goto out;
	id = guard_id(&g, 0, NULL);
	if (!ASSERT_NEQ(id, 0, "web1's record id"))
		goto out;
	if (!record_poke(id, LBXDP_BE_F_DOWN, 0, -1) ||
	    !expect(&(struct fspec)SYNF(CLIENT(1), 7000, VIP1, 80), XDP_DROP,
		    -1, NO_BE, "wrr SYN, web1's record down"))
		goto out;
	if (!record_poke(id, LBXDP_BE_F_DRAINING, LBXDP_BE_F_DOWN, -1) ||
	    !expect(&(struct fspec)SYNF(CLIENT(1), 7001, VIP1, 80), XDP_DROP,
		    -1, NO_BE, "wrr SYN, web1's record draining"))
		goto out;
	/* The record freed and taken by another VIP's backend. */
	if (!record_poke(id, 0, LBXDP_BE_F_DRAINING, (int)g.vip.id + 1) ||
	    !expect(&(struct fspec)SYNF(CLIENT(1), 7002, VIP1, 80), XDP_DROP,
		    -1, NO_BE, "wrr SYN, web1's record another VIP's"))
		goto out;
	/* Back to VIP1, so that its delete frees the record. */
	if (!record_poke(id, 0, 0, g.vip.id))
		goto out;
	guard_end(&g);

	test__context("set-up mh");
	if (!guard_begin(&h, VIP2, LBXDP_SCHED_MH, 0) || !guard_add(&h, 1, 1))
		goto out_h;
	id = guard_id(&h, 1, NULL);
	if (!ASSERT_NEQ(id, 0, "web2's record id") ||
	    !record_poke(id, LBXDP_BE_F_DOWN, 0, -1))
		goto out_h;
	if (expect(&(struct fspec)SYNF(CLIENT(1), 7003, VIP2, 80), XDP_DROP, -1,
		   NO_BE, "mh SYN, web2's record down"))
		/* An mh flow without an entry is no miss (jet). */
		expect(&(struct fspec)ACKF(CLIENT(1), 7004, VIP2, 80), XDP_DROP,
		       -1, NO_BE, "data without a flow, web2's record down");
out_h:
	guard_end(&h);
	test__end();
	return;
out:
	guard_end(&g);
	test__end();
}

/* --- (5) ICMP errors about another address --- */

/* A frag-needed that quotes a reply from @quoted:80 to @client:@cport, sent
 * to @dst: the quoted source is not the address it was sent to. */
static void frag_needed_quoting(struct frame *in, __u32 dst, __u32 quoted,
				__u32 client, __u16 cport, __u8 code)
{
	struct fspec f = ICMPF(ROUTER, quoted, 3, code, client, cport, 80);
	__u8 *ip = in->data + 14;
	__u32 d = htonl(dst);

	/* Built to @quoted, whose address the quote carries; then sent to
	 * @dst. Only the outer header changes: the ICMP checksum holds. */
	frame_build(in, &f, env.main.mac);
	memcpy(ip + 16, &d, 4);
	ip[10] = ip[11] = 0;
	d = csum16(ip, 20, 0);
	ip[10] = d >> 8;
	ip[11] = d & 0xff;
}

static bool send_raw(const struct frame *in, __u32 verdict, const __u8 *to,
		     __u64 stats, const char *what)
{
	struct lbxdp_global_stats before, after;
	struct frame out = {}, want;
	__u32 v = 0;
	bool ok;

	test__context("%s", what);
	if (!ASSERT_OK(stats_read(&env.main, &before), "read stats") ||
	    !ASSERT_OK(xdp_run(&env.main, in, &out, &v), "test run") ||
	    !ASSERT_OK(stats_read(&env.main, &after), "read stats"))
		return false;
	ok = ASSERT_VERDICT(v, verdict, what);
	if (to)
		frame_forwarded(&want, in, to, env.main.mac);
	else
		want = *in;
	ok = ASSERT_FRAME(&out, &want, what) && ok;
	return ASSERT_STATS(&before, &after, stats, what) && ok;
}

/*
 * ICMP frag-needed is forwarded only about a packet the VIP it was sent to
 * sent: one quoting another VIP's reply (to VIP1, or to an address without
 * services) is passed, though that VIP has the flow. Nor is any other
 * destination-unreachable code frag-needed.
 */
static void test_icmp_quote(void)
{
	struct fspec syn = SYNF(CLIENT(3), 8000, VIP2, 80);
	struct guard g, h;
	struct frame in;
	__u8 mac[6];

	test__begin(
		"ICMP frag-needed quoting another address than it is sent to -> PASS; unreachable codes but 4 -> PASS");
	test__context("set-up");
	memset(&h, 0, sizeof(h));
	if (!guard_begin(&g, VIP1, LBXDP_SCHED_WRR, 0) ||
	    !guard_add(&g, 0, 1) ||
	    !guard_begin(&h, VIP2, LBXDP_SCHED_WRR, 0) || !guard_add(&h, 1, 1))
		goto out;
	if (!expect(&syn, XDP_TX, 1, FWD, "SYN to VIP2: web2"))
		goto out;
	be_mac(mac, 2, 1);
	frag_needed_quoting(&in, VIP2, VIP2, CLIENT(3), 8000, 4);
	if (!send_raw(&in, XDP_TX, mac, ICMP_FWD,
		      "frag-needed to VIP2 about its flow: web2"))
		goto out;
	frag_needed_quoting(&in, VIP1, VIP2, CLIENT(3), 8000, 4);
	send_raw(&in, XDP_PASS, NULL, ICMP_PASS,
		 "frag-needed to VIP1 quoting VIP2's flow");
	frag_needed_quoting(&in, NOT_VIP, VIP2, CLIENT(3), 8000, 4);
	send_raw(&in, XDP_PASS, NULL, PASSED,
		 "frag-needed to a non-VIP address quoting VIP2's flow");
	frag_needed_quoting(&in, VIP2, VIP2, CLIENT(3), 8000, 1);
	send_raw(&in, XDP_PASS, NULL, ICMP_PASS,
		 "host unreachable (code 1) to VIP2 about its flow");
out:
	/* h first: g's tear-down restores the config of before both. */
	test__context("tear-down");
	lb_reset(&env.main, &h.key, h.added ? 1 : 0, NULL);
	guard_end(&g);
	test__end();
}

/* --- what user space derives from the records --- */

static __u32 usable_count(const struct guard *g)
{
	struct lbxdp_vip_entry *v = NULL;
	__u32 n = ~0U;
	size_t k, nv = 0;

	if (!ASSERT_OK(lbxdp_vip_list(&env.main.ctx, &v, &nv), "vip list"))
		return n;
	for (k = 0; k < nv; k++)
		if (v[k].vip.id == g->vip.id)
			n = v[k].nbackends;
	free(v);
	return n;
}

/* vip list's usable backends: neither weight 0, nor down, nor draining. */
static void test_usable(void)
{
	struct lbxdp_backend_change ch = {.weight = -1, .up = -1};
	struct fspec syn = SYNF(CLIENT(4), 9000, VIP1, 80);
	struct guard g;
	int i;

	test__begin(
		"vip list counts as usable only backends of weight > 0, not down, not draining");
	test__context("set-up");
	if (!guard_begin(&g, VIP1, LBXDP_SCHED_WRR, 0))
		goto out;
	for (i = 0; i < GUARD_BES; i++)
		if (!guard_add(&g, i, 1))
			goto out;
	ASSERT_EQ(usable_count(&g), 4, "usable, all up");
	/* web1 gets a flow, so that its drain lasts. */
	if (!expect(&syn, XDP_TX, 0, FWD, "SYN: web1") ||
	    !ASSERT_OK(lbxdp_backend_del(&env.main.ctx, &g.key, g.addr[0]),
		       "backend del web1") ||
	    !ASSERT_NEQ(guard_id(&g, 0, NULL), 0, "web1 draining, kept"))
		goto out;
	ASSERT_EQ(usable_count(&g), 3, "usable, web1 draining");
	ch.weight = 0;
	if (!ASSERT_OK(lbxdp_backend_set(&env.main.ctx, &g.key, g.addr[1], &ch),
		       "backend set web2 --weight 0"))
		goto out;
	ASSERT_EQ(usable_count(&g), 2, "usable, web2 weight 0");
	ch.weight = -1;
	ch.up = 0;
	if (!ASSERT_OK(lbxdp_backend_set(&env.main.ctx, &g.key, g.addr[2], &ch),
		       "backend set web3 --down"))
		goto out;
	ASSERT_EQ(usable_count(&g), 1, "usable, web3 down");
out:
	guard_end(&g);
	test__end();
}

/*
 * lbxdp_repair() finds the VIP whose record a killed writer changed without
 * flipping its tables, a weight change alone included, and rebuilds it.
 */
static void test_repair_weight(void)
{
	int fd = env.main.ctx.fd[M_BACKENDS];
	struct lbxdp_backend be = {};
	struct guard g;
	__u32 id;

	test__begin(
		"repair: a weight written without its table flip is found stale and rebuilt");
	test__context("set-up");
	if (!guard_begin(&g, VIP1, LBXDP_SCHED_WRR, 0) ||
	    !guard_add(&g, 0, 1) || !guard_add(&g, 1, 1))
		goto out;
	if (!ASSERT_EQ(lbxdp_repair(&env.main.ctx, false), 0,
		       "stale VIPs, tables built"))
		goto out;
	id = guard_id(&g, 0, NULL);
	if (!ASSERT_NEQ(id, 0, "web1's record id") ||
	    !ASSERT_OK(bpf_map_lookup_elem(fd, &id, &be) ? -errno : 0,
		       "read web1's record"))
		goto out;
	be.weight = 3;
	if (!ASSERT_OK(bpf_map_update_elem(fd, &id, &be, BPF_ANY) ? -errno : 0,
		       "web1's record, weight 3, alone"))
		goto out;
	ASSERT_EQ(lbxdp_repair(&env.main.ctx, false), 1,
		  "stale VIPs, weight not in the tables");
	ASSERT_EQ(lbxdp_repair(&env.main.ctx, true), 1, "stale VIPs, repaired");
	ASSERT_EQ(lbxdp_repair(&env.main.ctx, false), 0,
		  "stale VIPs after the repair");
out:
	guard_end(&g);
	test__end();
}

/*
 * A wrr VIP whose live table has no wrr schedule (built while it was mh:
 * a vip set killed before its record, then a rebuild from a stale
 * vip_info): its SYNs would find no backend. The repair sees the table
 * is not current and rebuilds it.
 */
static void test_repair_wrr_table(void)
{
	struct fspec syn = SYNF(CLIENT(3), 5200, VIP1, 80);
	struct lbxdp_ctx *c = &env.main.ctx;
	struct lbxdp_config cfg;
	struct lbxdp_vip vip;
	struct guard g;

	test__begin(
		"repair: a wrr VIP's table without its wrr schedule is rebuilt");
	test__context("set-up");
	if (!guard_begin(&g, VIP1, LBXDP_SCHED_MH, 0) || !guard_add(&g, 0, 1))
		goto out;
	vip = g.vip;
	vip.sched = LBXDP_SCHED_WRR;
	if (!ASSERT_OK(bpf_map_update_elem(c->fd[M_VIPS], &g.key, &vip,
					   BPF_EXIST) ||
				       bpf_map_update_elem(c->fd[M_VIP_INFO],
							   &vip.id, &vip,
							   BPF_ANY)
			       ? -errno
			       : 0,
		       "both records say wrr, the table is mh's") ||
	    !ASSERT_OK(lbxdp_memo_clear(c), "forget the memos"))
		goto out;
	ASSERT_EQ(lbxdp_repair(c, false), 1, "stale VIPs, no wrr schedule");
	ASSERT_EQ(lbxdp_repair(c, true), 1, "stale VIPs, repaired");
	/* Void the CPUs' copies of the mh record, as vip set does. */
	if (!ASSERT_OK(lbxdp_config_read(c), "config read"))
		goto out;
	cfg = c->cfg;
	cfg.gen++;
	if (!ASSERT_OK(lbxdp_config_write(c, &cfg), "config write"))
		goto out;
	expect(&syn, XDP_TX, 0, FWD, "a SYN after the repair: forwarded");
out:
	guard_end(&g);
	test__end();
}

/* A persistence entry of VIP @g for client @n, last seen @sec ago. */
static bool persist_put(struct guard *g, int n, __u32 be, __u64 sec)
{
	struct lbxdp_persist_key k = {.vip_id = g->vip.id,
				      .family = LBXDP_AF_INET};
	struct lbxdp_flow v = {.backend = be};
	struct lbxdp_backend rec;

	addr4(k.client, CLIENT(n));
	if (bpf_map_lookup_elem(env.main.ctx.fd[M_BACKENDS], &be, &rec))
		return ASSERT_OK(-errno, "read the backend's record");
	v.gen = rec.gen;
	v.last_seen_ns = lbxdp_now_ns() - sec * NSEC;
	return ASSERT_OK(
		bpf_map_update_elem(env.main.ctx.fd[M_PERSIST], &k, &v, BPF_ANY)
			? -errno
			: 0,
		"write a persistence entry");
}

static bool persist_has(struct guard *g, int n)
{
	struct lbxdp_persist_key k = {.vip_id = g->vip.id,
				      .family = LBXDP_AF_INET};
	struct lbxdp_flow v;

	addr4(k.client, CLIENT(n));
	return !bpf_map_lookup_elem(env.main.ctx.fd[M_PERSIST], &k, &v);
}

/*
 * vip set in place with a longer persistence: the entries the old timeout
 * had expired are forgotten (the program would read their age against the
 * new one and revive them), the live ones kept; turned on after off, the
 * earlier period's are all forgotten. vip_info follows the record.
 */
static void test_vip_set_persist(void)
{
	struct lbxdp_ctx *c = &env.main.ctx;
	struct lbxdp_vip info;
	struct guard g;
	__u32 id;

	test__begin(
		"vip set: a longer persistence forgets what the old one expired, keeps the rest");
	test__context("set-up");
	if (!guard_begin(&g, VIP3, LBXDP_SCHED_WRR, 60) || !guard_add(&g, 0, 1))
		goto out;
	id = guard_id(&g, 0, NULL);
	if (!ASSERT_NEQ(id, 0, "web1's record id") ||
	    !persist_put(&g, 1, id, 100) || !persist_put(&g, 2, id, 10))
		goto out;
	test__context("persistence 60 s -> 3600 s");
	if (!ASSERT_OK(lbxdp_vip_set(c, &g.key, LBXDP_SCHED_WRR, 3600),
		       "vip set"))
		goto out;
	ASSERT_TRUE(!persist_has(&g, 1), "an entry 60 s had expired: gone");
	ASSERT_TRUE(persist_has(&g, 2), "an entry seen 10 s ago: kept");
	if (ASSERT_OK(bpf_map_lookup_elem(c->fd[M_VIP_INFO], &g.vip.id, &info)
			      ? -errno
			      : 0,
		      "read vip_info"))
		ASSERT_EQ(info.persist_sec, 3600, "vip_info's persistence");
	test__context("persistence off, then 60 s");
	if (!ASSERT_OK(lbxdp_vip_set(c, &g.key, LBXDP_SCHED_WRR, 0),
		       "vip set, off"))
		goto out;
	ASSERT_TRUE(persist_has(&g, 2), "turned off: the entry stays");
	if (ASSERT_OK(lbxdp_vip_set(c, &g.key, LBXDP_SCHED_WRR, 60),
		      "vip set, on"))
		ASSERT_TRUE(!persist_has(&g, 2),
			    "turned on again: the earlier period's entry gone");
out:
	guard_end(&g);
	test__end();
}

/*
 * A vip set killed between its vips write and its vip_info write: the
 * established flows' view of the VIP is behind. The repair rewrites it.
 */
static void test_repair_vip_info(void)
{
	struct lbxdp_ctx *c = &env.main.ctx;
	struct lbxdp_vip vip, info;
	struct guard g;

	test__begin("repair: a vip_info behind its vips record is rewritten");
	test__context("set-up");
	if (!guard_begin(&g, VIP1, LBXDP_SCHED_MH, 0) || !guard_add(&g, 0, 1))
		goto out;
	if (!ASSERT_EQ(lbxdp_repair(c, false), 0, "stale VIPs, set up"))
		goto out;
	vip = g.vip;
	vip.persist_sec = 60;
	if (!ASSERT_OK(
		    bpf_map_update_elem(c->fd[M_VIPS], &g.key, &vip, BPF_EXIST)
			    ? -errno
			    : 0,
		    "vips: persistence 60 s, alone"))
		goto out;
	ASSERT_EQ(lbxdp_repair(c, false), 1, "stale VIPs, vip_info behind");
	ASSERT_EQ(lbxdp_repair(c, true), 1, "stale VIPs, repaired");
	ASSERT_EQ(lbxdp_repair(c, false), 0, "stale VIPs after the repair");
	if (ASSERT_OK(bpf_map_lookup_elem(c->fd[M_VIP_INFO], &vip.id, &info)
			      ? -errno
			      : 0,
		      "read vip_info"))
		ASSERT_EQ(info.persist_sec, 60, "vip_info's persistence");
out:
	guard_end(&g);
	test__end();
}

/*
 * A vip add killed after its vips write, before the address counts: the
 * address filter rules the VIP out, so its SYN is passed. The repair
 * recounts vip_addrs and the filter from the VIPs: then it is forwarded.
 */
static void test_repair_addrs(void)
{
	struct fspec syn = SYNF(CLIENT(1), 5100, VIP1, 80);
	struct lbxdp_ctx *c = &env.main.ctx;
	struct lbxdp_addr_key ak = {.family = LBXDP_AF_INET};
	struct lbxdp_config cfg;
	struct guard g;

	test__begin(
		"repair: a VIP whose address counts a killed vip add left out is forwarded once repaired");
	test__context("set-up");
	if (!guard_begin(&g, VIP1, LBXDP_SCHED_WRR, 0) || !guard_add(&g, 0, 1))
		goto out;
	addr4(ak.addr, VIP1);
	if (!ASSERT_OK(bpf_map_delete_elem(c->fd[M_VIP_ADDRS], &ak) ? -errno
								    : 0,
		       "vip_addrs entry removed") ||
	    !ASSERT_OK(lbxdp_config_read(c), "config read"))
		goto out;
	cfg = c->cfg;
	cfg.addr_bloom = 0;
	if (!ASSERT_OK(lbxdp_config_write(c, &cfg), "address filter cleared") ||
	    !expect(&syn, XDP_PASS, -1, PASSED, "SYN, filter cleared: passed"))
		goto out;
	ASSERT_GT(lbxdp_repair(c, true), 0, "things repaired");
	expect(&syn, XDP_TX, 0, FWD, "SYN after the repair: web1");
	ASSERT_EQ(lbxdp_repair(c, false), 0, "stale things after the repair");
out:
	guard_end(&g);
	test__end();
}

/*
 * A vip del killed after its key went: the backend records stay, and the
 * config's gen with them, so this CPU's copy of the VIP (vip_memo) still
 * serves the service's packets, for a second at most (and a flow memo made
 * from it, its 0.5 s). Then they are passed. The repair frees the records
 * as orphans.
 */
static void test_repair_orphans(void)
{
	struct fspec syn = SYNF(CLIENT(1), 5101, VIP1, 80),
		     ack = ACKF(CLIENT(1), 5101, VIP1, 80);
	struct lbxdp_ctx *c = &env.main.ctx;
	struct guard g;
	__u64 t0;

	test__begin(
		"repair: the backends of a VIP whose vip del was killed are freed; its copy serves its flows a second at most");
	test__context("set-up");
	t0 = lbxdp_now_ns();
	if (!guard_begin(&g, VIP1, LBXDP_SCHED_WRR, 0) ||
	    !guard_add(&g, 0, 1) || !clock_hold(c, &g.cfg0, t0) ||
	    !expect(&syn, XDP_TX, 0, FWD, "SYN: web1"))
		goto out;
	if (!ASSERT_OK(bpf_map_delete_elem(c->fd[M_VIPS], &g.key) ? -errno : 0,
		       "the vips key deleted, as vip del's first write"))
		goto out;
	g.added = false; /* the repair finishes the delete */
	if (!ASSERT_OK(lbxdp_memo_clear(c), "memos cleared") ||
	    !expect(&ack, XDP_TX, 0, FWD,
		    "ACK at once: by the CPU's copy of the VIP, web1") ||
	    /* 1 ms each side: the held clock still moves 1 ns a jiffy. */
	    !clock_hold(c, &g.cfg0, t0 + NSEC - 1000000) ||
	    !expect(&ack, XDP_TX, 0, FWD, "ACK within the second: the same") ||
	    !clock_hold(c, &g.cfg0, t0 + NSEC + 1000000) ||
	    /* The last ACK's flow memo outlives the copy by its 0.5 s. */
	    !ASSERT_OK(lbxdp_memo_clear(c), "memos cleared") ||
	    !expect(&ack, XDP_PASS, -1, PASSED,
		    "ACK past the second: no VIP, passed"))
		goto out;
	ASSERT_TRUE(guard_id(&g, 0, NULL) != 0, "web1's record, alive");
	ASSERT_GT(lbxdp_repair(c, true), 0, "things repaired");
	ASSERT_EQ(guard_id(&g, 0, NULL), 0, "web1's record, freed");
	expect(&ack, XDP_PASS, -1, PASSED, "ACK after the repair: passed");
out:
	guard_end(&g);
	test__end();
}

/* A wrr service of web1 and web2 whose flow @syn went to web1, which
 * backend del then drains. */
static bool web1_drained(struct guard *g, const struct fspec *syn)
{
	return guard_begin(g, VIP1, LBXDP_SCHED_WRR, 0) && guard_add(g, 0, 1) &&
	       guard_add(g, 1, 1) &&
	       expect(syn, XDP_TX, 0, FWD,
		      "SYN: web1, first of the schedule") &&
	       ASSERT_OK(lbxdp_backend_del(&env.main.ctx, &g->key, g->addr[0]),
			 "backend del web1");
}

/*
 * A drained record is freed only once no live flow names it: backend
 * list (lbxdp_gc()) keeps web1's while its flow lives, and the flow keeps
 * going to web1; once the flow is idle past its timeout, it goes.
 */
static void test_gc_keeps_live_drain(void)
{
	struct fspec syn = SYNF(CLIENT(1), 5102, VIP1, 80),
		     ack = ACKF(CLIENT(1), 5102, VIP1, 80);
	struct lbxdp_ctx *c = &env.main.ctx;
	struct guard g;

	test__begin(
		"a drained backend's record outlives the gc while a flow names it, then goes");
	test__context("set-up");
	if (!web1_drained(&g, &syn))
		goto out;
	ASSERT_OK(lbxdp_gc(c), "free finished drains");
	ASSERT_NEQ(guard_id(&g, 0, NULL), 0, "web1's record, its flow alive");
	ASSERT_OK(lbxdp_memo_clear(c), "memos cleared");
	expect(&ack, XDP_TX, 0, FWD, "ACK: still web1");
	test__context("the flow idle past the TCP timeout");
	if (!tcp_timeout_set(&env.main, 10) || !age_flow(&env.main, &ack, 20))
		goto out;
	ASSERT_OK(lbxdp_gc(c), "free finished drains");
	ASSERT_EQ(guard_id(&g, 0, NULL), 0, "web1's record, its flow idle");
out:
	guard_end(&g);
	test__end();
}

/*
 * lbxdp's walks read the table bucket by bucket, so a flow that a put
 * moves from a bucket not read yet to one read already is not seen. The
 * last flow of a drained backend moved so while backend list's gc walks:
 * the record stays, as its flow lives.
 */
static void test_gc_moved_drain(void)
{
	struct fspec syn = SYNF(CLIENT(1), 5103, VIP1, 80),
		     ack = ACKF(CLIENT(1), 5103, VIP1, 80);
	struct lbxdp_ctx *c = &env.main.ctx;
	struct lbxdp_flow_key k;
	struct guard g;

	test__begin(
		"a drained backend's record outlives a gc whose walk missed its flow, moved by a put");
	test__context("set-up");
	if (!web1_drained(&g, &syn))
		goto out;
	k = flow_key_of(&syn);
	if (!walk_move_arm(c, &k, g.vip.id))
		goto out;
	test__context("the flow moved back during the gc's walk");
	ASSERT_OK(lbxdp_gc(c), "free finished drains");
	ASSERT_TRUE(walk_move_done(c),
		    "the flow was moved after its first bucket's read");
	ASSERT_NEQ(guard_id(&g, 0, NULL), 0, "web1's record, its flow alive");
	ASSERT_OK(lbxdp_memo_clear(c), "memos cleared");
	expect(&ack, XDP_TX, 0, FWD, "ACK: still web1");
out:
	walk_move_done(c);
	guard_end(&g);
	test__end();
}

void test_guards(void)
{
	test_flow_busy();
	test_flood_tags();
	test_memo_expires();
	test_memo_wrap();
	test_memo_our_mac();
	test_memo_per_cpu();
	test_reused_flow();
	test_reused_icmp();
	test_reused_persist();
	test_stale_slot();
	test_icmp_quote();
	test_usable();
	test_repair_weight();
	test_repair_addrs();
	test_repair_vip_info();
	test_vip_set_persist();
	test_repair_wrr_table();
	test_repair_orphans();
	test_gc_keeps_live_drain();
	test_gc_moved_drain();
}
