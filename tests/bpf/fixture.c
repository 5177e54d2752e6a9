// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The fixture engine: see fixture.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/mman.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include "lbxdp/hash.h"
#include "records.h"
#include "jet.h"
#include "fixture.h"

#define NSEC 1000000000ULL

void addr4(__be32 a[4], __u32 host)
{
	memset(a, 0, 4 * sizeof(__be32));
	a[0] = htonl(host);
}

void vip_key(struct lbxdp_vip_key *k, __u32 addr, __u16 port, __u8 proto)
{
	memset(k, 0, sizeof(*k));
	addr4(k->addr, addr);
	k->port = htons(port);
	k->proto = proto;
	k->family = LBXDP_AF_INET;
}

void be_mac(__u8 mac[6], int set, int i)
{
	const __u8 m[6] = {0x02, 0xbe, 0x00, 0x00, (__u8)set, (__u8)(i + 1)};

	memcpy(mac, m, sizeof(m));
}

int be_of(const struct frame *f, int set, int n)
{
	__u8 mac[6];
	int i;

	for (i = 0; i < n; i++) {
		be_mac(mac, set, i);
		if (!memcmp(f->data, mac, sizeof(mac)))
			return i;
	}
	return -1;
}

struct lbxdp_flow_key flow_key_of(const struct fspec *f)
{
	struct lbxdp_flow_key k;

	memset(&k, 0, sizeof(k));
	addr4(k.src, f->saddr);
	addr4(k.dst, f->daddr);
	k.sport = htons(f->sport);
	k.dport = htons(f->dport);
	k.proto = f->proto;
	k.family = LBXDP_AF_INET;
	return k;
}

int memo_scan(const struct lbxdp_ctx *c, const struct fspec *f, __u64 at_ns,
	      __u64 *cpus)
{
	__u32 i, cpu, n = c->ncpus * LBXDP_MEMO_SIZE;
	struct lbxdp_flow_key k = flow_key_of(f);
	int fd = c->fd[M_FLOW_MEMO_CPU], found = 0;
	struct lbxdp_flow_memo v;

	if (cpus)
		*cpus = 0;
	for (i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(fd, &i, &v))
			return -errno;
		if (memcmp(&v.key, &k, sizeof(k)))
			continue;
		cpu = i / LBXDP_MEMO_SIZE;
		if (cpus)
			*cpus |= 1ULL << (cpu < 63 ? cpu : 63);
		found++;
		if (!at_ns)
			continue;
		v.at = at_ns >> LBXDP_MEMO_SHIFT;
		if (bpf_map_update_elem(fd, &i, &v, BPF_ANY))
			return -errno;
	}
	return found;
}

__u32 flow_hash(const struct fspec *f)
{
	__be32 src[4], dst[4];

	addr4(src, f->saddr);
	addr4(dst, f->daddr);
	return lbxdp_hash_flow(src, dst, htons(f->sport), htons(f->dport),
			       f->proto, LBXDP_AF_INET);
}

struct lbxdp_ft_way way_of(const struct fspec *f, __u32 vip_id)
{
	struct lbxdp_ft_way k = {
		.saddr = htonl(f->saddr),
		.sport = htons(f->sport),
		.dport = htons(f->dport),
		.vip = (__u16)vip_id,
	};

	return k;
}

/* The id a Maglev table of @ring_size over @sb holds for hash @h. */
static __u32 ring_pick(const struct lbxdp_sched_backend *sb, size_t n,
		       __u32 ring_size, __u32 h)
{
	__u32 *ring = calloc(ring_size, sizeof(*ring)), id = 0;

	if (!ring)
		return 0;
	if (!lbxdp_maglev_build(sb, n, ring, ring_size))
		id = ring[lbxdp_ring_slot(h, ring_size)];
	free(ring);
	return id;
}

__u32 maglev_pick(const struct lbxdp_sched_backend *sb, size_t n,
		  __u32 ring_size, const struct fspec *f)
{
	return ring_pick(sb, n, ring_size, flow_hash(f));
}

__u32 sh_pick(const struct lbxdp_sched_backend *sb, size_t n, __u32 ring_size,
	      const struct fspec *f)
{
	__be32 src[4];

	addr4(src, f->saddr);
	return ring_pick(sb, n, ring_size,
			 lbxdp_hash_addr(src, LBXDP_SEED_FLOW));
}

int send_frame(struct lb *lb, const struct fspec *f, struct frame *in,
	       struct frame *out, __u32 *verdict)
{
	frame_build(in, f, lb->mac);
	return xdp_run(lb, in, out, verdict);
}

bool send_expect(struct lb *lb, const struct fspec *f, __u32 verdict,
		 const __u8 *to_mac, __u64 stats, const char *what,
		 struct frame *got)
{
	struct lbxdp_global_stats before, after;
	struct frame in, out, want;
	__u32 v = 0;
	bool ok;

	if (!ASSERT_OK(stats_read(lb, &before), "read stats"))
		return false;
	if (!ASSERT_OK(send_frame(lb, f, &in, &out, &v),
		       "bpf_prog_test_run_opts"))
		return false;
	if (!ASSERT_OK(stats_read(lb, &after), "read stats"))
		return false;
	if (got)
		*got = out;
	ok = ASSERT_VERDICT(v, verdict, what);
	if (to_mac)
		frame_forwarded(&want, &in, to_mac, lb->mac);
	else
		want = in;
	if (!ASSERT_FRAME(&out, &want, what))
		ok = false;
	if (!ASSERT_STATS(&before, &after, stats, what))
		ok = false;
	return ok;
}

bool flood_set(struct lb *lb, __u32 rate)
{
	return ASSERT_OK(flood_rate_set(lb, rate), "flood rate");
}

/* The program's jiffies now, from the attach's anchor of its clock
 * (jiffies and CLOCK_MONOTONIC_COARSE move on the same tick). */
static __u64 jiffies_now(const struct mclock *k)
{
	return k->j0 + (lbxdp_now_ns() - k->ns0) / k->ns_per_jiffy;
}

/*
 * Set the program's clock to @ns, and the library's view of it: the
 * program's runs 1 ns a jiffy from this jiffy on (@k says which one it is),
 * the library's is held there (lbxdp_ctx.clock_held_ns). Real time then
 * moves neither by more than a few ns, so that a seed's run does not depend
 * on when it starts or how fast this machine runs it.
 */
int clock_set(struct lbxdp_ctx *c, const struct mclock *k, __u64 ns)
{
	struct lbxdp_config cfg;
	int err;

	err = lbxdp_config_read(c);
	if (err)
		return err;
	cfg = c->cfg;
	cfg.clock_ns0 = ns;
	cfg.clock_j0 = jiffies_now(k);
	cfg.ns_per_jiffy = 1;
	err = lbxdp_config_write(c, &cfg);
	if (!err)
		c->clock_held_ns = ns;
	return err;
}

bool clock_hold(struct lbxdp_ctx *c, const struct lbxdp_config *cfg0, __u64 ns)
{
	const struct mclock k = {.j0 = cfg0->clock_j0,
				 .ns0 = cfg0->clock_ns0,
				 .ns_per_jiffy = cfg0->ns_per_jiffy};

	return ASSERT_TRUE(k.ns_per_jiffy != 0,
			   "the program's clock runs on jiffies") &&
	       ASSERT_OK(clock_set(c, &k, ns), "hold the program's clock");
}

void clock_release(struct lbxdp_ctx *c)
{
	c->clock_held_ns = 0;
}

bool clock_restore(struct lbxdp_ctx *c, const struct lbxdp_config *cfg0)
{
	struct lbxdp_config cfg;

	clock_release(c);
	if (!ASSERT_OK(lbxdp_config_read(c), "config read"))
		return false;
	cfg = c->cfg;
	cfg.clock_ns0 = cfg0->clock_ns0;
	cfg.clock_j0 = cfg0->clock_j0;
	cfg.ns_per_jiffy = cfg0->ns_per_jiffy;
	return ASSERT_OK(lbxdp_config_write(c, &cfg), "config write");
}

bool tcp_timeout_set(struct lb *lb, __u32 sec)
{
	struct lbxdp_config cfg;

	if (!ASSERT_OK(lbxdp_config_read(&lb->ctx), "config read"))
		return false;
	cfg = lb->ctx.cfg;
	cfg.tcp_timeout = sec;
	return ASSERT_OK(lbxdp_timeout_write(&lb->ctx, &cfg), "timeout set");
}

void lb_reset(struct lb *lb, const struct lbxdp_vip_key *keys, size_t n,
	      const struct lbxdp_config *cfg0)
{
	struct lbxdp_vip v;
	size_t i;

	/* A case may have deleted its service already. */
	for (i = 0; i < n; i++)
		if (!bpf_map_lookup_elem(lb->ctx.fd[M_VIPS], &keys[i], &v))
			ASSERT_OK(lbxdp_vip_del(&lb->ctx, &keys[i]),
				  "tear-down vip_del");
	ASSERT_OK(lb_flush_flows(lb), "tear-down flush flows");
	if (cfg0 && ASSERT_OK(lbxdp_config_read(&lb->ctx), "config read")) {
		struct lbxdp_config cfg = *cfg0;

		/* Never back to an old gen: copies made under it would be
		 * good again. */
		cfg.gen = lb->ctx.cfg.gen + 1;
		ASSERT_OK(lbxdp_config_write(&lb->ctx, &cfg),
			  "tear-down config");
	}
	ASSERT_OK(flood_reset(lb), "tear-down flood counts");
}

/* --- the table runner --- */

struct be_state {
	bool present, down, draining;
	__u16 weight;
};

struct rt {
	const struct fixture *fx;
	struct lb *lb;
	struct lbxdp_vip_key key[FX_SVCS];
	size_t nsvc;
	struct be_state be[FX_BES];
};

static bool be_add(struct rt *rt, int i)
{
	const struct fx_be *b = &rt->fx->be[i];
	__be32 a[4];
	__u8 mac[6];

	addr4(a, b->addr);
	be_mac(mac, 0, i);
	if (!ASSERT_OK(lbxdp_backend_add(&rt->lb->ctx, &rt->key[b->svc], a,
					 b->weight, mac, LBXDP_OWNER_CLI),
		       b->name))
		return false;
	rt->be[i].present = true;
	rt->be[i].draining = false;
	rt->be[i].weight = b->weight;
	return true;
}

/* Which of the case's services a frame is for (port-0 ones last). */
static int svc_of(const struct fixture *fx, const struct fspec *f)
{
	int i, any = -1;

	for (i = 0; i < FX_SVCS && fx->svc[i].addr; i++) {
		const struct fx_svc *s = &fx->svc[i];

		if (s->addr != f->daddr || s->proto != f->proto)
			continue;
		if (s->port == f->dport)
			return i;
		if (!s->port)
			any = i;
	}
	return any;
}

/* The client-to-VIP flow a frame belongs to: an ICMP error's is the
 * reverse of the reply it quotes. */
static struct fspec flow_of(const struct fspec *f)
{
	struct fspec fl = *f;

	if (f->proto == IPPROTO_ICMP) {
		fl.proto = f->inner.proto;
		fl.saddr = f->inner.client;
		fl.daddr = f->inner.vip ? f->inner.vip : f->daddr;
		fl.sport = f->inner.cport;
		fl.dport = f->inner.vport;
	}
	return fl;
}

/* The backend user-space Maglev picks for @f among the usable ones. */
static int expect_maglev(const struct rt *rt, const struct fspec *frame)
{
	struct lbxdp_sched_backend sb[FX_BES];
	struct fspec fl = flow_of(frame), *f = &fl;
	int svc = svc_of(rt->fx, f), i;
	size_t n = 0;
	__u32 id;

	for (i = 0; i < FX_BES && rt->fx->be[i].name; i++) {
		const struct be_state *s = &rt->be[i];

		if (rt->fx->be[i].svc != svc || !s->present || s->down ||
		    s->draining || !s->weight)
			continue;
		memset(&sb[n], 0, sizeof(sb[n]));
		addr4(sb[n].addr, rt->fx->be[i].addr);
		sb[n].id = i + 1;
		sb[n].weight = s->weight;
		n++;
	}
	id = maglev_pick(sb, n, rt->lb->ctx.cfg.ring_size, f);
	return id ? (int)id - 1 : -1;
}

/* As an eviction does to a flow when the table is full. */
static bool evict_flow(struct lb *lb, const struct fspec *f)
{
	struct lbxdp_flow_key k = flow_key_of(f);

	return ASSERT_OK(lbxdp_flow_del(&lb->ctx, &k, NULL),
			 "evict the step's flow");
}

bool age_flow(struct lb *lb, const struct fspec *f, __u64 sec)
{
	struct lbxdp_flow_key k = flow_key_of(f);
	struct lbxdp_flow v;

	if (!ASSERT_OK(lbxdp_flow_get(&lb->ctx, &k, &v),
		       "the flow's entry in map flows"))
		return false;
	v.last_seen_ns = lbxdp_prog_now(&lb->ctx) - sec * NSEC;
	/* A flow idle that long has no fresh memo on any CPU either. */
	return ASSERT_OK(lbxdp_flow_put(&lb->ctx, &k, &v, BPF_EXIST),
			 "age the flow") &&
	       ASSERT_OK(lbxdp_memo_clear(&lb->ctx), "forget the memos");
}

static bool apply(struct rt *rt, const struct fx_act *a, const struct fspec *f)
{
	struct lbxdp_backend_change ch = {.weight = -1, .up = -1};
	struct lbxdp_ctx *c = &rt->lb->ctx;
	const struct fx_be *b = NULL;
	struct lbxdp_config cfg;
	__be32 addr[4] = {};

	/* a is a backend for these, a number of seconds or a service else. */
	if (a->op >= ACT_ADD && a->op <= ACT_DEL) {
		if (!ASSERT_TRUE(a->a >= 0 && a->a < FX_BES &&
					 rt->fx->be[a->a].name,
				 "action names a backend of the case"))
			return false;
		b = &rt->fx->be[a->a];
		addr4(addr, b->addr);
	}
	switch (a->op) {
	case ACT_NONE:
		return true;
	case ACT_ADD:
		return be_add(rt, a->a);
	case ACT_WEIGHT:
	case ACT_DOWN:
	case ACT_UP:
		if (a->op == ACT_WEIGHT) {
			ch.weight = a->b;
			rt->be[a->a].weight = a->b;
		} else {
			ch.up = a->op == ACT_UP;
			rt->be[a->a].down = !ch.up;
		}
		return ASSERT_OK(
			lbxdp_backend_set(c, &rt->key[b->svc], addr, &ch),
			"backend set");
	case ACT_DEL:
		rt->be[a->a].draining = true;
		return ASSERT_OK(lbxdp_backend_del(c, &rt->key[b->svc], addr),
				 "backend del");
	case ACT_VIP_DEL:
		return ASSERT_OK(lbxdp_vip_del(c, &rt->key[a->a]), "vip del");
	case ACT_VIP_SET:
		return ASSERT_OK(lbxdp_vip_set(c, &rt->key[a->a], a->b, 0),
				 "vip set");
	case ACT_UDP_TIMEOUT:
		if (!ASSERT_OK(lbxdp_config_read(c), "config read"))
			return false;
		cfg = c->cfg;
		cfg.udp_timeout = a->a;
		return ASSERT_OK(lbxdp_config_write(c, &cfg), "config write");
	case ACT_AGE_FLOW:
		return age_flow(rt->lb, f, a->a);
	case ACT_EVICT_FLOW:
		return evict_flow(rt->lb, f);
	case ACT_FORGET_MEMO:
		return ASSERT_OK(lbxdp_memo_clear(c), "forget the memos");
	case ACT_FLOOD:
		return ASSERT_OK(flood_rate_set(rt->lb, a->a), "flood rate");
	case ACT_FLOOD_AGE:
		return ASSERT_OK(flood_age(rt->lb, a->a),
				 "age the flood state");
	}
	return false;
}

static bool run_step(struct rt *rt, const struct fx_step *s, int n)
{
	__u8 mac[6], *to = NULL;
	struct frame got;
	int i, want = s->out - 1;
	bool ok;

	test__context("step %d: %s", n + 1, s->what);
	for (i = 0; i < FX_ACTS; i++)
		if (!apply(rt, &s->act[i], &s->f))
			return false;
	if (s->out == MAGLEV) {
		want = expect_maglev(rt, &s->f);
		if (!ASSERT_TRUE(want >= 0, "user-space Maglev has a backend"))
			return false;
	}
	if (s->out != SAME) {
		be_mac(mac, 0, want);
		to = mac;
	}
	ok = send_expect(rt->lb, &s->f, s->verdict, to, s->stats, s->what,
			 &got);
	if (!ok && s->out != SAME) {
		i = be_of(&got, 0, FX_BES);
		if (i >= 0 && rt->fx->be[i].name)
			test__note("went to %s, want %s", rt->fx->be[i].name,
				   rt->fx->be[want].name);
	}
	return ok;
}

/* One run of @fx's steps, between set-up and tear-down. */
static void fixture_once(const struct fixture *fx)
{
	struct rt rt = {.fx = fx, .lb = &env.main};
	struct lbxdp_ctx *c = &rt.lb->ctx;
	struct lbxdp_config cfg0;
	int i;

	test__context("set-up");
	if (!ASSERT_OK(lbxdp_config_read(c), "config read"))
		return;
	cfg0 = c->cfg;
	/* Held, so that no stall of this machine moves a step past a window
	 * (the flood guard's second, a timeout): time passes only by the
	 * steps' actions. */
	if (!clock_hold(c, &cfg0, lbxdp_now_ns()))
		goto out;
	for (i = 0; i < FX_SVCS && fx->svc[i].addr; i++) {
		const struct fx_svc *s = &fx->svc[i];

		vip_key(&rt.key[i], s->addr, s->port, s->proto);
		if (!ASSERT_OK(lbxdp_vip_add(c, &rt.key[i], s->sched,
					     s->persist, LBXDP_OWNER_CLI),
			       "vip add"))
			goto out;
		rt.nsvc++;
	}
	for (i = 0; i < FX_BES && fx->be[i].name; i++)
		if (!fx->be[i].later && !be_add(&rt, i))
			goto out;
	for (i = 0; i < FX_STEPS && fx->step[i].what; i++)
		if (!run_step(&rt, &fx->step[i], i))
			break; /* later steps build on this one */
out:
	test__context("tear-down");
	lb_reset(rt.lb, rt.key, rt.nsvc, &cfg0);
	clock_release(c);
}

bool fixture_run(const struct fixture *fx)
{
	test__begin(fx->name);
	fixture_once(fx);
	return test__end();
}

struct lbxdp_ft_bucket *flows_mmap_rw(const struct lbxdp_ctx *c, size_t *len)
{
	*len = ((size_t)c->cfg.ft_nbuckets * sizeof(struct lbxdp_ft_bucket) +
		4095) /
	       4096 * 4096;
	return mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED,
		    c->fd[M_FLOWS], 0);
}

/* walk_move_arm()'s move, made by the walk's hook. */
static struct {
	struct lbxdp_ft_bucket *tab;
	size_t len;
	struct lbxdp_ft_way key;
	__u32 from, to;
	bool moved;
} mv = {.tab = MAP_FAILED};

/* Flow mv.key from bucket @from to @to, as a put holding both would:
 * true if it was in @from and @to had room. */
static bool way_move(__u32 from, __u32 to)
{
	struct lbxdp_ft_bucket *a = &mv.tab[from], *b = &mv.tab[to];
	int i, j;

	for (i = 0; i < LBXDP_FT_WAYS; i++)
		if (a->w[i].seen && lbxdp_ft_same(&a->w[i], &mv.key))
			break;
	for (j = 0; j < LBXDP_FT_WAYS; j++)
		if (!b->w[j].seen)
			break;
	if (i == LBXDP_FT_WAYS || j == LBXDP_FT_WAYS)
		return false;
	a->seq++;
	b->seq++;
	b->w[j] = a->w[i];
	memset(&a->w[i], 0, sizeof(a->w[i]));
	a->seq++;
	b->seq++;
	return true;
}

static void move_in_walk(struct lbxdp_ctx *c, __u32 bucket)
{
	(void)c;
	if (!mv.moved && bucket == mv.to)
		mv.moved = way_move(mv.from, mv.to);
}

bool walk_move_arm(struct lbxdp_ctx *c, const struct lbxdp_flow_key *k,
		   __u32 vip_id)
{
	__u32 idx[2];

	walk_move_done(c);
	memset(&mv.key, 0, sizeof(mv.key));
	mv.key.saddr = k->src[0];
	mv.key.sport = k->sport;
	mv.key.dport = k->dport;
	mv.key.vip = (__u16)vip_id;
	lbxdp_ft_pair(&mv.key, c->cfg.ft_seed, c->cfg.ft_nbuckets, idx);
	mv.to = idx[0] < idx[1] ? idx[0] : idx[1];
	mv.from = idx[0] < idx[1] ? idx[1] : idx[0];
	mv.tab = flows_mmap_rw(c, &mv.len);
	if (!ASSERT_TRUE(mv.tab != MAP_FAILED, "mmap flows"))
		return false;
	/* In the pair's later bucket, so that a walk reads it last. */
	way_move(mv.to, mv.from);
	c->walk_hook = move_in_walk;
	return true;
}

bool walk_move_done(struct lbxdp_ctx *c)
{
	bool moved = mv.moved;

	c->walk_hook = NULL;
	if (mv.tab != MAP_FAILED)
		munmap(mv.tab, mv.len);
	mv.tab = MAP_FAILED;
	mv.moved = false;
	return moved;
}
