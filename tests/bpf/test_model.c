// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The model test (issue 12): random flows and changes through the real
 * program, each packet checked against a reference that tracks every flow
 * in an unbounded table, by the README's rules alone. Black box: changes go
 * through the library as lbxdp makes them, time moves by config.clock_ns0,
 * and a forwarded frame's destination MAC names its server. So it holds for
 * any data plane that keeps the README's promises, with or without an
 * entry for every flow.
 *
 * The rules, for a packet of a flow whose last forwarded packet was @idle
 * ago (its protocol's timeout: tmo):
 * - live (idle < tmo - FUZZ): its server again, unless that server is down
 *   or its record was freed (then re-placed as a new flow), or it is a SYN
 *   and the server is quiesced or draining (then a new flow); a SYN of an
 *   mh or sh flow may also go where the table says (README, "just enough
 *   tracking": where its slot changed, a SYN without an entry is a new
 *   flow), its flow then on that server, and so may one whose VIP went
 *   from mh or sh to wrr since (any server that takes new flows);
 * - new (its first packet; a SYN of expired ports): a server that takes new
 *   flows, for mh and sh exactly the model's Maglev table's pick, for wrr
 *   any; a drop only when none takes new flows;
 * - expired (idle > tmo + FUZZ), or a TCP non-SYN never seen: any server
 *   that is up, the program's choice; a drop only when none takes new flows;
 * - within FUZZ of tmo (last_seen is refreshed every 0.5 s, the clock is
 *   jiffies): not checked, whatever happens is recorded.
 * The flood guard goes on (a rate of one new flow a second) and off now
 * and then. A flow whose last packet it placed by the Maglev table without
 * an entry (a wrr or UDP one: @bare) keeps its server while its VIP's table
 * and scheduler stay the same; after a change of either it may be
 * re-placed (README, "Flood guard"), and a SYN of its ports is a new flow;
 * once its server is down or freed, it may go to any server up (the
 * program cannot tell it from the flows its slot's history names).
 * A SYN of a live flow with an entry keeps its server under the guard too.
 * When the TCP timeout changes, a flow idle past the old one (by more than
 * FUZZ) stays expired at its next packet, unless a raise brings its entry
 * back (revived(): then it keeps its server; where the model cannot tell,
 * either holds); one within FUZZ of it is not checked then.
 * The model's Maglev table is lbxdp_maglev_build() over the model's servers,
 * not the maps. lbxdp_gc() never frees the record of a draining server that
 * a live flow uses, and frees it once its flows all expired and it was
 * drained a timeout ago.
 *
 * Deterministic: the events come from a seeded PRNG and a virtual clock,
 * which the program and lbxdp both read (clock_set()): a seed runs the same
 * whenever it starts and however fast. LBXDP_MODEL_SEED=N runs seed N
 * alone, its rules checked but not that it reached every case (`make
 * soak` runs a range); LBXDP_MODEL_STEPS=N sets the events per seed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include "lbxdp/hash.h"
#include "records.h"
#include "fixture.h"

#define NSEC 1000000000ULL
#define MSEC 1000000ULL

#define MD_FLOWS 131072U /* the attach's flow table */
#define MD_RING 1601U	 /* prime, 100 x T_MAX_BACKENDS */
#define MD_STEPS 20000U
#define MD_TCP_TMO 60U
#define MD_UDP_TMO 30U
/* Not checked within this of a timeout (the program's view of idle time
 * differs from the model's by the 0.5 s refresh). */
#define FUZZ_NS (1 * NSEC)
/* lbxdp keeps a slot's history a timeout, 2 s (jet.c's SETTLE_SPARE_NS)
 * and up to an epoch (its stamp's rounding) after the slot changed: a
 * drained record that history names is not freed sooner. */
#define SETTLE_FUZZ_NS (4 * NSEC)
/* The generator keeps further from a timeout, by its virtual clock. */
#define GEN_FUZZ_NS (2 * NSEC)
#define NVIP 4
#define NADDR 7	   /* addresses a VIP's servers come from */
#define MAX_UP 6   /* servers taking flows or quiesced, at most */
#define ACTIVE 48  /* flows sending, about */
#define NCLIENT 97 /* client addresses */
#define NLOG 16	   /* events shown on a failure */

static const unsigned int default_seeds[] = {1, 2, 3};
/* The last default seed starts this many epochs (~1 s) before a way's
 * seen wraps (2^32 units of 2^24 ns: 834 days of uptime), so that half
 * its run is after: flows, their entries, lbxdp_gc() and the walks across
 * the wrap. */
#define WRAP_NS (1ULL << (32 + LBXDP_FT_SEEN_SHIFT))
#define WRAP_LEAD 1024U

/* What happened on a VIP since a flow's previous packet. */
enum kind {
	K_ADD,
	K_REVIVE,
	K_DEL,
	K_WEIGHT,
	K_QUIESCE,
	K_DOWN,
	K_UP,
	K_FREE,
	K_NOOP,	 /* a record write or flip that changes no table */
	K_SCHED, /* vip set --sched: another scheduler, the same table */
	K_MULTI, /* two or more of the above */
	K_NR,
};

static const char *const kind_names[K_NR] = {
	"add", "revive",  "del",   "weight", "quiesce", "down",
	"up",  "gc-free", "no-op", "sched",  "several",
};

enum rule {
	R_SAME,	   /* live: its server */
	R_DOWN,	   /* live, its server down: re-placed */
	R_FREED,   /* live, its server's record freed: re-placed */
	R_ANEW,	   /* live SYN, server quiesced or draining: new flow */
	R_NEW,	   /* first packet */
	R_REUSE,   /* SYN on expired ports */
	R_EXPIRED, /* idle past its timeout: any server up */
	R_UNSEEN,  /* TCP non-SYN never seen: any server up */
	R_FUZZY,   /* near its timeout: not checked */
	R_NR,
};

static const char *const rule_names[R_NR] = {
	"live, same server",
	"live, server down: re-placed",
	"live, record freed: re-placed",
	"live SYN, server quiesced/draining: new",
	"new flow",
	"SYN on expired ports: new",
	"expired: any server up",
	"non-SYN never seen: any server up",
	"near the timeout: not checked",
};

struct mbe {
	bool present; /* has a record: up, quiesced, down or draining */
	bool draining, down;
	__u16 weight;
	__u32 inst;	  /* a new record, a new number */
	__u64 drained_at; /* program time of its del */
};

struct mvip {
	const char *name;
	struct lbxdp_vip_key key;
	__u8 sched, proto;
	struct mbe be[NADDR];
	__u32 *ring; /* the Maglev table the model expects: index + 1 */
	__u32 sig;   /* of the set the ring was built from */
	__u32 tver;  /* table changes so far */
	__u8 *log;   /* kind of each change so far */
	__u32 nlog;
	__u32 tmo_s; /* its protocol's timeout */
	/* Program time of its last change of scheduler from mh or sh (TCP):
	 * lbxdp keeps the scheduler before for about a timeout from the
	 * first of such changes (vip_prior), so no later than this. */
	__u64 unjet_ns;
};

enum fstate { F_NEW, F_SYN, F_EST };
enum fmode { M_ACTIVE, M_QUIET, M_DEAD };

struct mflow {
	__u8 vip;
	__u8 state;   /* enum fstate */
	__u8 mode;    /* enum fmode */
	bool midflow; /* first seen mid-connection: sends no SYN */
	__u32 client;
	__u16 sport;
	int be;		     /* address index of its server, -1 none */
	__u32 inst;	     /* the record it was placed on */
	__u64 last;	     /* program time of its last forwarded packet */
	__u64 vlast, resume; /* virtual clock, for the generator */
	__u32 seen;	     /* vip's nlog at its previous packet */
	__u32 tver0;	     /* vip's tver when placed */
	/* A TCP timeout change found it past the old timeout (@gone: its
	 * next packet as an expired flow's) or near it (@blur: unchecked);
	 * @either: a raise may have brought its entry back, so its next
	 * packet may also keep its server. */
	bool gone, blur, either;
	/* Last placed by mh or sh, TCP: it may have no entry, so a SYN of its
	 * ports may be a new flow's (README, "just enough tracking"). */
	bool jet;
	/* Last placed by the flood guard without an entry, by the table of
	 * version @tver0 under scheduler @sched0. */
	bool bare;
	__u8 sched0;
};

struct counts {
	__u64 rule[R_NR];
	__u64 same_after[K_NR]; /* R_SAME checks after each kind of change */
	__u64 same_vip[NVIP];
	__u64 moved;	   /* R_SAME where the table now picks another */
	__u64 moved_chain; /* ... placed two or more table changes ago */
	__u64 drops;	   /* expected drops: no server takes new flows */
	__u64 syn_table;   /* live mh/sh SYN placed by the table instead */
	__u64 either_kept; /* gone or brought back: kept its server */
	__u64 revived;	   /* flows a TCP timeout raise brought back */
	__u64 guard_syn;   /* live SYN with an entry, guard on: R_SAME */
	__u64 bare;	   /* packets the guard placed without an entry */
	__u64 bare_moved;  /* a bare flow re-placed: a change, or its SYN */
	__u64 guard_flips; /* the guard on or off */
	__u64 changes, gcs, frees, free_checks, revives;
	__u64 tmo_changes;
};

struct mrun {
	struct lb *lb;
	const struct mclock *clk;
	unsigned int seed;
	__u64 rng;
	__u32 step, nsteps;
	__u64 vnow; /* the virtual clock: what the test added */
	struct mvip vip[NVIP];
	struct mflow *flow;
	__u32 nflow, cap;
	__u32 ninst;
	char log[NLOG][160];
	__u32 nlogged;
	struct counts n;
	bool failed;
	bool guard; /* the flood guard is on */
};

/* --- PRNG (splitmix64) --- */

static __u64 rnd(struct mrun *r)
{
	__u64 z = (r->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static __u32 below(struct mrun *r, __u32 n)
{
	return n ? (__u32)(rnd(r) % n) : 0;
}

static __u64 between(struct mrun *r, __u64 lo, __u64 hi)
{
	return lo + rnd(r) % (hi - lo + 1);
}

/* --- the event log, shown on a failure --- */

static void note(struct mrun *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note(struct mrun *r, const char *fmt, ...)
{
	char *line = r->log[r->nlogged++ % NLOG];
	int n;
	va_list ap;

	n = snprintf(line, sizeof(r->log[0]),
		     "step %u t+%llu.%03llus: ", r->step,
		     (unsigned long long)(r->vnow / NSEC),
		     (unsigned long long)(r->vnow % NSEC / MSEC));
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(r->log[0]) - n, fmt, ap);
	va_end(ap);
}

static void fail(struct mrun *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void fail(struct mrun *r, const char *fmt, ...)
{
	char msg[512];
	__u32 i, first;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* The context names the seed. */
	test__fail(__FILE__, __LINE__, "step %u: %s", r->step, msg);
	test__note("last events (LBXDP_MODEL_SEED=%u repeats them):", r->seed);
	first = r->nlogged > NLOG ? r->nlogged - NLOG : 0;
	for (i = first; i < r->nlogged; i++)
		test__note("  %s", r->log[i % NLOG]);
	r->failed = true;
}

/* --- the model's servers --- */

static __u32 be_addr(int v, int i)
{
	return IP4(198, 18, 3, v * 16 + i + 1);
}

static void mac_of(__u8 mac[6], int v, int i)
{
	const __u8 m[6] = {0x02, 0xbe,		0x00,
			   0x0e, (__u8)(v + 1), (__u8)(i + 1)};

	memcpy(mac, m, sizeof(m));
}

static bool takes_new(const struct mbe *b)
{
	return b->present && !b->draining && !b->down && b->weight;
}

static bool is_up(const struct mbe *b)
{
	return b->present && !b->down;
}

static bool any_takes_new(const struct mvip *v)
{
	int i;

	for (i = 0; i < NADDR; i++)
		if (takes_new(&v->be[i]))
			return true;
	return false;
}

/* Rebuild @v's expected Maglev table; a new table version if its set of
 * (address, weight) changed. */
static int ring_build(struct mrun *r, struct mvip *v)
{
	struct lbxdp_sched_backend sb[NADDR];
	__u32 sig = LBXDP_SEED_FLOW;
	size_t n = 0;
	int i;

	memset(sb, 0, sizeof(sb));
	for (i = 0; i < NADDR; i++) {
		if (!takes_new(&v->be[i]))
			continue;
		addr4(sb[n].addr, be_addr(v - r->vip, i));
		sb[n].id = i + 1;
		sb[n].weight = v->be[i].weight;
		sig = lbxdp_hash_mix(lbxdp_hash_mix(sig, i + 1),
				     v->be[i].weight);
		n++;
	}
	sig = lbxdp_hash_final(sig, n);
	if (sig != v->sig)
		v->tver++;
	v->sig = sig;
	return lbxdp_maglev_build(sb, n, v->ring, MD_RING);
}

static void flow_key_addrs(const struct mrun *r, const struct mflow *f,
			   __be32 src[4], __be32 dst[4])
{
	addr4(src, IP4(198, 19, 20 + f->client / 200, 1 + f->client % 200));
	memcpy(dst, r->vip[f->vip].key.addr, 4 * sizeof(__be32));
}

/* The model table's pick for @f: an address index, -1 if none. */
static int pick(const struct mrun *r, const struct mflow *f)
{
	const struct mvip *v = &r->vip[f->vip];
	__be32 src[4], dst[4];
	__u32 h;

	flow_key_addrs(r, f, src, dst);
	if (v->sched == LBXDP_SCHED_SH)
		h = lbxdp_hash_addr(src, LBXDP_SEED_FLOW);
	else
		h = lbxdp_hash_flow(src, dst, htons(f->sport), v->key.port,
				    v->proto, LBXDP_AF_INET);
	return (int)v->ring[lbxdp_ring_slot(h, MD_RING)] - 1;
}

static bool hashed(const struct mvip *v)
{
	return v->sched == LBXDP_SCHED_MH || v->sched == LBXDP_SCHED_SH;
}

static __u64 tmo_ns(const struct mvip *v)
{
	return (__u64)v->tmo_s * NSEC;
}

/* --- the program --- */

static __u64 prog_now(const struct mrun *r)
{
	return lbxdp_prog_now(&r->lb->ctx);
}

/* Move the program's clock (and the library's view of it) by @ns. */
static bool advance(struct mrun *r, __u64 ns)
{
	struct lbxdp_ctx *c = &r->lb->ctx;
	int err;

	err = clock_set(c, r->clk, c->clock_held_ns + ns);
	if (err) {
		fail(r, "moving the program's clock: %s", strerror(-err));
		return false;
	}
	r->vnow += ns;
	return true;
}

static const char *flow_str(const struct mrun *r, const struct mflow *f,
			    char *buf, size_t len)
{
	__be32 src[4], dst[4];
	char s[16], d[16];

	flow_key_addrs(r, f, src, dst);
	inet_ntop(AF_INET, src, s, sizeof(s));
	inet_ntop(AF_INET, dst, d, sizeof(d));
	snprintf(buf, len, "#%ld %s %s:%u -> %s:%u", (long)(f - r->flow),
		 f->state == F_NEW && !f->midflow ? "new"
		 : f->midflow			  ? "midflow"
						  : "flow",
		 s, f->sport, d, ntohs(r->vip[f->vip].key.port));
	return buf;
}

static void be_str(int i, char *buf, size_t len)
{
	if (i == -1)
		snprintf(buf, len, "drop");
	else if (i < -1)
		snprintf(buf, len, "an unknown MAC");
	else
		snprintf(buf, len, "server %d", i);
}

/*
 * One packet of @f (@syn: a SYN, else data) through the program, checked
 * by the rules. Records what the program did.
 */
static void packet(struct mrun *r, struct mflow *f, bool syn)
{
	struct mvip *v = &r->vip[f->vip];
	struct lbxdp_global_stats before, after;
	struct frame in = {}, out = {};
	struct fspec s = {};
	__u64 now, idle = 0, tmo = tmo_ns(v);
	__u32 verdict = 0, kinds = 0, i;
	enum rule rule;
	char fs[96], want[48], got_s[24];
	int got = -2, exp = -1, err;
	bool ok, live = false;

	s.proto = v->proto;
	s.saddr = IP4(198, 19, 20 + f->client / 200, 1 + f->client % 200);
	s.daddr = ntohl(v->key.addr[0]);
	s.sport = f->sport;
	s.dport = ntohs(v->key.port);
	if (v->proto == IPPROTO_TCP)
		s.tcp_flags = syn ? TH_SYN : TH_ACK | TH_PSH;

	now = prog_now(r);
	if (f->be >= 0) {
		idle = now > f->last ? now - f->last : 0;
		live = idle + FUZZ_NS < tmo;
	}
	if (f->be < 0)
		rule = syn || v->proto == IPPROTO_UDP ? R_NEW : R_UNSEEN;
	else if (f->blur || (!live && !f->gone && idle <= tmo + FUZZ_NS))
		rule = R_FUZZY;
	else if (!live || f->gone)
		rule = syn ? R_REUSE : R_EXPIRED;
	else if (!v->be[f->be].present || v->be[f->be].inst != f->inst)
		rule = R_FREED;
	else if (v->be[f->be].down)
		rule = R_DOWN;
	else if (syn && (v->be[f->be].draining || !v->be[f->be].weight))
		rule = R_ANEW;
	else
		rule = R_SAME;

	note(r, "%s %s, idle %llu ms: %s", syn ? "SYN" : "data",
	     flow_str(r, f, fs, sizeof(fs)), (unsigned long long)(idle / MSEC),
	     rule_names[rule]);
	frame_build(&in, &s, r->lb->mac);
	err = stats_read(r->lb, &before);
	if (!err)
		err = xdp_run(r->lb, &in, &out, &verdict);
	if (!err)
		err = stats_read(r->lb, &after);
	if (err) {
		fail(r, "BPF_PROG_TEST_RUN: %s", strerror(-err));
		return;
	}
	if (verdict == XDP_TX) {
		for (i = 0; i < NADDR && got < -1; i++) {
			__u8 mac[6];

			mac_of(mac, f->vip, i);
			if (!memcmp(out.data, mac, 6))
				got = i;
		}
	} else if (verdict == XDP_DROP) {
		got = -1;
	} else {
		fail(r, "%s: verdict %s", fs, verdict_name(verdict));
		return;
	}
	if (got < -1) {
		fail(r, "%s: sent to a MAC of no server of %s", fs, v->name);
		return;
	}
	if (got >= 0 && !v->be[got].present) {
		fail(r, "%s: sent to server %d, which has no record", fs, got);
		return;
	}

	switch (rule) {
	case R_SAME:
		exp = f->be;
		ok = got == exp;
		/* Placed without an entry by a table the VIP no longer has,
		 * or under another scheduler: re-placed (README, "Flood
		 * guard"); a SYN of its ports is a new flow. */
		if (!ok && f->bare &&
		    (syn || v->sched != f->sched0 || v->tver != f->tver0) &&
		    (got >= 0 ? is_up(&v->be[got]) : !any_takes_new(v))) {
			ok = true;
			r->n.bare_moved++;
		}
		if (!ok && syn && hashed(v) && got == pick(r, f)) {
			ok = true;
			r->n.syn_table++;
		}
		/* Its VIP left mh or sh since: a new flow of wrr's. */
		if (!ok && syn && !hashed(v) && f->jet && got >= 0 &&
		    takes_new(&v->be[got])) {
			ok = true;
			r->n.syn_table++;
		}
		snprintf(want, sizeof(want), "server %d", exp);
		break;
	case R_DOWN:
	case R_FREED:
	case R_ANEW:
	case R_NEW:
	case R_REUSE:
		/* A flow without an entry whose server left: the program
		 * cannot tell it from the flows its slot's history names
		 * (README, "Flood guard": re-placed after a change). */
		if ((rule == R_DOWN || rule == R_FREED) && f->bare &&
		    got >= 0 && is_up(&v->be[got])) {
			ok = true;
			r->n.bare_moved++;
			want[0] = '\0';
			break;
		}
		if (!any_takes_new(v)) {
			ok = got == -1;
			snprintf(want, sizeof(want), "drop");
		} else if (hashed(v)) {
			exp = pick(r, f);
			ok = got == exp;
			snprintf(want, sizeof(want), "server %d (Maglev)", exp);
		} else {
			ok = got >= 0 && takes_new(&v->be[got]);
			snprintf(want, sizeof(want),
				 "a server taking new flows");
		}
		break;
	case R_EXPIRED:
	case R_UNSEEN:
		if (any_takes_new(v)) {
			ok = got >= 0 && is_up(&v->be[got]);
			snprintf(want, sizeof(want), "a server up");
		} else {
			ok = got == -1 || (got >= 0 && is_up(&v->be[got]));
			snprintf(want, sizeof(want), "a server up, or drop");
		}
		break;
	default:
		ok = true;
		want[0] = '\0';
	}
	/* An entry a raise brought back keeps its server, as a live one,
	 * until the timeout now: data while it is up, a SYN while it takes
	 * new flows. */
	if (!ok && f->either && idle <= tmo + FUZZ_NS && got >= 0 &&
	    got == f->be && v->be[got].present && v->be[got].inst == f->inst &&
	    (syn ? takes_new(&v->be[got]) : is_up(&v->be[got]))) {
		ok = true;
		r->n.either_kept++;
	}
	if (!ok) {
		be_str(got, got_s, sizeof(got_s));
		fail(r, "%s %s (%s, %s), idle %llu ms: want %s, got %s",
		     syn ? "SYN" : "data", fs, v->name, rule_names[rule],
		     (unsigned long long)(idle / MSEC), want, got_s);
		for (i = 0; i < NADDR; i++)
			test__note(
				"  %s server %u: %s%s%s%s weight %u, record %u",
				v->name, i,
				v->be[i].present ? "present" : "absent",
				v->be[i].draining ? ", draining" : "",
				v->be[i].down ? ", down" : "",
				(int)i == f->be ? ", the flow's" : "",
				v->be[i].weight, v->be[i].inst);
		return;
	}

	r->n.rule[rule]++;
	if (got == -1 && rule != R_FUZZY)
		r->n.drops++;
	if (rule == R_SAME && syn && r->guard && !f->bare && !f->jet)
		r->n.guard_syn++;
	if (rule == R_SAME) {
		for (i = f->seen; i < v->nlog; i++)
			kinds |= 1U << v->log[i];
		if (v->nlog - f->seen >= 2)
			kinds |= 1U << K_MULTI;
		for (i = 0; i < K_NR; i++)
			if (kinds & (1U << i))
				r->n.same_after[i]++;
		r->n.same_vip[f->vip]++;
		if (hashed(v) && pick(r, f) != f->be) {
			r->n.moved++;
			if (v->tver - f->tver0 >= 2)
				r->n.moved_chain++;
		}
	}
	f->seen = v->nlog;
	if (got < 0)
		return; /* nothing forwarded: the flow is as it was */
	if (got != f->be || v->be[got].inst != f->inst)
		f->tver0 = v->tver;
	f->be = got;
	f->inst = v->be[got].inst;
	f->last = now;
	f->vlast = r->vnow;
	f->state = syn ? F_SYN : F_EST;
	f->gone = f->blur = f->either = false;
	/* Forwarded by wrr or for UDP: it has an entry now, unless the
	 * guard placed it without one. */
	f->jet = v->proto == IPPROTO_TCP && hashed(v);
	f->bare = !f->jet && after.flood_stateless > before.flood_stateless;
	if (f->bare) {
		f->tver0 = v->tver;
		f->sched0 = v->sched;
		r->n.bare++;
	}
}

/* --- changes, through the library as lbxdp makes them --- */

static void logged_change(struct mrun *r, struct mvip *v, enum kind k)
{
	v->log[v->nlog++] = k;
	r->n.changes++;
	if (ring_build(r, v))
		fail(r, "lbxdp_maglev_build failed");
}

/* The flow on record @inst of @v's server @i that sent last, NULL if none;
 * how many flows use it, into *n. @sure: not those a TCP timeout change
 * left past or near its old value, nor those the table places (@bare). */
static const struct mflow *last_use(const struct mrun *r, int v, int i,
				    __u32 inst, bool sure, __u32 *n)
{
	const struct mflow *last = NULL;
	__u32 k;

	*n = 0;
	for (k = 0; k < r->nflow; k++) {
		const struct mflow *f = &r->flow[k];

		if (f->vip != v || f->be != i || f->inst != inst ||
		    (sure && (f->gone || f->blur || f->bare)))
			continue;
		(*n)++;
		if (!last || f->last > last->last)
			last = f;
	}
	return last;
}

/*
 * Which draining records are gone (lbxdp_gc(), or an add that needed the
 * room): none may be one that a live flow uses. After lbxdp_gc(), called
 * at @gc_at (program time; 0: no gc), none may stay whose flows had all
 * expired then, drained a timeout before (a data plane that keeps the
 * table before a change for a timeout may count its flows until then).
 * Each check takes the time that favours the program: gc's start for what
 * must go, now for what must stay.
 */
static void sync_frees(struct mrun *r, __u64 gc_at)
{
	__u64 now = prog_now(r), last;
	const struct mflow *lf;
	char fs[96];
	__u32 id, n;
	int v, i;

	for (v = 0; v < NVIP && !r->failed; v++) {
		struct mvip *mv = &r->vip[v];
		__u64 tmo = tmo_ns(mv);

		for (i = 0; i < NADDR && !r->failed; i++) {
			struct mbe *b = &mv->be[i];
			__be32 a[4];
			int err;

			if (!b->present || !b->draining)
				continue;
			lf = last_use(r, v, i, b->inst, false, &n);
			last = lf ? lf->last : 0;
			addr4(a, be_addr(v, i));
			err = lbxdp_backend_find(&r->lb->ctx, &mv->key, a, &id);
			if (!err) {
				if (gc_at &&
				    gc_at - b->drained_at >
					    tmo + SETTLE_FUZZ_NS &&
				    gc_at - last > tmo + FUZZ_NS)
					fail(r,
					     "%s server %d: drained %llu ms ago, its %u flows idle %llu ms or more, and its record still kept after lbxdp_gc()",
					     mv->name, i,
					     (unsigned long long)((now -
								   b->drained_at) /
								  MSEC),
					     n,
					     (unsigned long long)((now - last) /
								  MSEC));
				continue;
			}
			if (err != -ENOENT) {
				fail(r, "lbxdp_backend_find: %s",
				     strerror(-err));
				return;
			}
			note(r, "%s server %d: record freed", mv->name, i);
			lf = last_use(r, v, i, b->inst, true, &n);
			last = lf ? lf->last : 0;
			r->n.frees++;
			r->n.free_checks += n;
			if (n && now - last + FUZZ_NS < tmo) {
				fail(r,
				     "%s server %d (draining): record freed while %s uses it, idle %llu ms",
				     mv->name, i,
				     flow_str(r, lf, fs, sizeof(fs)),
				     (unsigned long long)((now - last) / MSEC));
				return;
			}
			b->present = false;
			b->draining = false;
			b->down = false;
			logged_change(r, mv, K_FREE);
		}
	}
}

static bool lib_ok(struct mrun *r, int err, const char *what)
{
	if (err)
		fail(r, "%s: %s", what, strerror(-err));
	return !err;
}

static int count_if(const struct mvip *v, bool (*pred)(const struct mbe *))
{
	int i, n = 0;

	for (i = 0; i < NADDR; i++)
		n += pred(&v->be[i]);
	return n;
}

static bool present_live(const struct mbe *b)
{
	return b->present && !b->draining;
}

static bool absent_or_draining(const struct mbe *b)
{
	return !b->present || b->draining;
}

static bool live_down(const struct mbe *b)
{
	return present_live(b) && b->down;
}

static bool live_up(const struct mbe *b)
{
	return present_live(b) && !b->down;
}

/* The @nth address of @v for which @pred holds, -1 if none. */
static int nth(const struct mvip *v, bool (*pred)(const struct mbe *), int nth)
{
	int i;

	for (i = 0; i < NADDR; i++)
		if (pred(&v->be[i]) && nth-- == 0)
			return i;
	return -1;
}

static int random_of(struct mrun *r, const struct mvip *v,
		     bool (*pred)(const struct mbe *))
{
	int n = count_if(v, pred);

	return n ? nth(v, pred, below(r, n)) : -1;
}

/* `lbxdp backend set` of @vi's server @i with @ch, told as @what. */
static bool backend_set(struct mrun *r, int vi, int i,
			const struct lbxdp_backend_change *ch, const char *what)
{
	struct mvip *v = &r->vip[vi];
	char msg[64];
	__be32 a[4];

	addr4(a, be_addr(vi, i));
	note(r, "%s backend set server %d %s", v->name, i, what);
	snprintf(msg, sizeof(msg), "backend set %s", what);
	return lib_ok(r, lbxdp_backend_set(&r->lb->ctx, &v->key, a, ch), msg);
}

static void change(struct mrun *r)
{
	int vi = below(r, NVIP), i, err, op;
	struct mvip *v = &r->vip[vi];
	struct lbxdp_ctx *c = &r->lb->ctx;
	struct lbxdp_backend_change ch = {.weight = -1, .up = -1};
	int nlive = count_if(v, present_live);
	__be32 a[4];
	__u8 mac[6];
	__u16 w;

	op = below(r, 100);
	/* Keep 2-6 servers about, down to none now and then. */
	if (op < 25 && nlive < MAX_UP) {
		i = random_of(r, v, absent_or_draining);
		w = below(r, 10) ? 1 + below(r, 4) : 0;
		addr4(a, be_addr(vi, i));
		mac_of(mac, vi, i);
		note(r, "%s backend add server %d weight %u%s", v->name, i, w,
		     v->be[i].present ? " (revives it)" : "");
		err = lbxdp_backend_add(c, &v->key, a, w, mac, LBXDP_OWNER_CLI);
		if (!lib_ok(r, err, "backend add"))
			return;
		if (v->be[i].present) {
			r->n.revives++;
			v->be[i].draining = false;
			v->be[i].weight = w;
			logged_change(r, v, K_REVIVE);
		} else {
			v->be[i] = (struct mbe){.present = true,
						.weight = w,
						.inst = ++r->ninst};
			logged_change(r, v, K_ADD);
		}
		sync_frees(r, 0); /* an add may free drained records */
		return;
	}
	if (op < 42 && (nlive > 2 || (nlive && !below(r, 8)))) {
		i = random_of(r, v, present_live);
		addr4(a, be_addr(vi, i));
		note(r, "%s backend del server %d", v->name, i);
		if (!lib_ok(r, lbxdp_backend_del(c, &v->key, a), "backend del"))
			return;
		v->be[i].draining = true;
		v->be[i].drained_at = prog_now(r);
		logged_change(r, v, K_DEL);
		return;
	}
	if (op < 70 && nlive) {
		char what[40];

		i = random_of(r, v, present_live);
		w = below(r, 5) ? 1 + below(r, 5) : 0;
		if (w == v->be[i].weight)
			w = w ? 0 : 1 + below(r, 5);
		ch.weight = w;
		snprintf(what, sizeof(what), "--weight %u (was %u)", w,
			 v->be[i].weight);
		if (!backend_set(r, vi, i, &ch, what))
			return;
		v->be[i].weight = w;
		logged_change(r, v, w ? K_WEIGHT : K_QUIESCE);
		return;
	}
	if (op < 83 && count_if(v, live_up) > (below(r, 8) ? 1 : 0)) {
		i = random_of(r, v, live_up);
		ch.up = 0;
		if (!backend_set(r, vi, i, &ch, "--down"))
			return;
		v->be[i].down = true;
		logged_change(r, v, K_DOWN);
		return;
	}
	i = random_of(r, v, live_down);
	if (op < 95 && i >= 0) {
		ch.up = 1;
		if (!backend_set(r, vi, i, &ch, "--up"))
			return;
		v->be[i].down = false;
		logged_change(r, v, K_UP);
		return;
	}
	/* Now and then another scheduler, in place, as a keepalived reload
	 * that changes lb_algo does: the same servers and table. */
	if (op >= 95 && !below(r, 3)) {
		static const __u8 to[] = {LBXDP_SCHED_MH, LBXDP_SCHED_SH,
					  LBXDP_SCHED_WRR};
		static const char *const to_s[] = {"mh", "sh", "wrr"};
		int t = below(r, 3);

		if (to[t] == v->sched)
			t = (t + 1 + below(r, 2)) % 3;
		note(r, "%s vip set --sched %s", v->name, to_s[t]);
		if (!lib_ok(r, lbxdp_vip_set(c, &v->key, to[t], 0), "vip set"))
			return;
		if (v->proto == IPPROTO_TCP && hashed(v))
			v->unjet_ns = prog_now(r);
		v->sched = to[t];
		logged_change(r, v, K_SCHED);
		return;
	}
	/* A record write or table flip that changes no table (the repair,
	 * set --mac): the table before the last change stays what it was. */
	i = random_of(r, v, present_live);
	if (i >= 0 && below(r, 2)) {
		mac_of(mac, vi, i);
		ch.mac = mac;
		if (!backend_set(r, vi, i, &ch, "--mac (its own)"))
			return;
	} else {
		struct lbxdp_vip vip;

		note(r, "%s tables rebuilt, unchanged", v->name);
		if (!lib_ok(r, lbxdp_vip_get(c, &v->key, &vip), "vip get") ||
		    !lib_ok(r, lbxdp_rebuild(c, &vip), "lbxdp_rebuild"))
			return;
	}
	logged_change(r, v, K_NOOP);
}

static void gc(struct mrun *r)
{
	__u64 t0 = prog_now(r);

	note(r, "gc");
	r->n.gcs++;
	if (lib_ok(r, lbxdp_gc(&r->lb->ctx), "lbxdp_gc"))
		sync_frees(r, t0);
}

/* --- flows --- */

static struct mflow *flow_new(struct mrun *r, int vi, bool midflow)
{
	struct mflow *f;

	if (r->nflow == r->cap) {
		fail(r, "more flows than the model's table holds");
		return NULL;
	}
	f = &r->flow[r->nflow];
	memset(f, 0, sizeof(*f));
	f->vip = vi;
	f->midflow = midflow;
	f->client = below(r, NCLIENT);
	f->sport = 1024 + r->nflow; /* a key never used before */
	f->be = -1;
	f->mode = M_ACTIVE;
	f->seen = r->vip[vi].nlog;
	f->vlast = r->vnow;
	r->nflow++;
	return f;
}

static __u64 vidle(const struct mrun *r, const struct mflow *f)
{
	return r->vnow - f->vlast;
}

/* Whether the generator keeps away from @f now: near its timeout. */
static bool near_tmo(const struct mrun *r, const struct mflow *f)
{
	__u64 idle = vidle(r, f), tmo = tmo_ns(&r->vip[f->vip]);

	return f->be >= 0 && idle + GEN_FUZZ_NS > tmo &&
	       idle < tmo + GEN_FUZZ_NS;
}

/* The next packet of @f, as its state says; then it may go quiet or end. */
static void send_next(struct mrun *r, struct mflow *f)
{
	const struct mvip *v = &r->vip[f->vip];
	bool tcp = v->proto == IPPROTO_TCP && !f->midflow;
	/* A SYN first; retransmitted now and then; a new connection on the
	 * ports of a live one (DR: the LB never sees its FIN) rarely. */
	bool syn = tcp &&
		   (f->state == F_NEW || (f->state == F_SYN && !below(r, 4)) ||
		    (f->state == F_EST && !below(r, 100)));
	__u64 tmo = tmo_ns(v);
	__u32 x;

	packet(r, f, syn);
	if (f->be < 0 || f->state == F_SYN)
		return;
	x = below(r, 1000);
	if (x < 40) {
		f->mode = M_DEAD;
	} else if (x < 70) {
		/* Quiet, back while live, or after its timeout. */
		f->mode = M_QUIET;
		f->resume =
			r->vnow +
			(below(r, 2) ? between(r, NSEC, tmo - GEN_FUZZ_NS)
				     : between(r, tmo + GEN_FUZZ_NS, 2 * tmo));
	}
}

static int active_count(const struct mrun *r, int *oldest)
{
	__u32 k;
	int n = 0;
	__u64 worst = 0;

	*oldest = -1;
	for (k = 0; k < r->nflow; k++) {
		const struct mflow *f = &r->flow[k];
		__u64 i = vidle(r, f);

		if (f->mode != M_ACTIVE)
			continue;
		n++;
		/* Keep active flows well within the UDP timeout. */
		if (!near_tmo(r, f) && i > worst &&
		    i > tmo_ns(&r->vip[f->vip]) / 2) {
			worst = i;
			*oldest = k;
		}
	}
	return n;
}

static struct mflow *random_flow(struct mrun *r, int mode, bool due,
				 bool tcp_expired)
{
	__u32 k, tries;

	if (!r->nflow)
		return NULL;
	for (tries = 0; tries < 64; tries++) {
		struct mflow *f = &r->flow[below(r, r->nflow)];

		if (f->mode != mode || near_tmo(r, f))
			continue;
		if (due && f->resume > r->vnow)
			continue;
		if (tcp_expired &&
		    (r->vip[f->vip].proto != IPPROTO_TCP || f->be < 0 ||
		     vidle(r, f) < tmo_ns(&r->vip[f->vip]) + GEN_FUZZ_NS))
			continue;
		return f;
	}
	/* Few of them: look at each, from a random start. */
	for (k = 0, tries = below(r, r->nflow); k < r->nflow; k++) {
		struct mflow *f = &r->flow[(tries + k) % r->nflow];

		if (f->mode != mode || near_tmo(r, f))
			continue;
		if (due && f->resume > r->vnow)
			continue;
		if (tcp_expired &&
		    (r->vip[f->vip].proto != IPPROTO_TCP || f->be < 0 ||
		     vidle(r, f) < tmo_ns(&r->vip[f->vip]) + GEN_FUZZ_NS))
			continue;
		return f;
	}
	return NULL;
}

static int random_vip(struct mrun *r, bool tcp)
{
	int vi;

	do
		vi = below(r, NVIP);
	while (tcp && r->vip[vi].proto != IPPROTO_TCP);
	return vi;
}

/*
 * Whether the TCP timeout raised from @tmo brings back flow @f, idle past
 * it (README, `timeout set`): 0 no, on a VIP whose expired entries lbxdp
 * deletes first (mh or sh, or one that left them within a timeout: its
 * scheduler before lives); 1 yes, on a wrr VIP, whose expired entries
 * count again; -1 either: its VIP left mh or sh about a timeout ago, or
 * the flow may have no entry to count (placed by mh or sh, or by the
 * flood guard without one).
 */
static int revived(const struct mrun *r, const struct mflow *f, __u64 now,
		   __u64 tmo)
{
	const struct mvip *v = &r->vip[f->vip];

	if (hashed(v))
		return 0;
	if (v->unjet_ns && now - v->unjet_ns <= tmo + SETTLE_FUZZ_NS)
		return -1;
	return f->jet || f->bare ? -1 : 1;
}

/*
 * The TCP timeout doubled, or back, as `lbxdp timeout set tcp` sets it: a
 * TCP flow idle past the old one is expired for good, unless a raise
 * brings it back (revived()); one near it is not checked at its next
 * packet; the others keep their servers.
 */
static void tcp_timeout(struct mrun *r)
{
	__u32 old = r->vip[0].tmo_s, k;
	__u32 sec = old == MD_TCP_TMO ? 2 * MD_TCP_TMO : MD_TCP_TMO;
	__u64 now = prog_now(r), idle, tmo = (__u64)old * NSEC;
	int v, back;

	note(r, "tcp timeout %u s -> %u s", old, sec);
	for (k = 0; k < r->nflow; k++) {
		struct mflow *f = &r->flow[k];

		if (r->vip[f->vip].proto != IPPROTO_TCP || f->be < 0)
			continue;
		idle = now > f->last ? now - f->last : 0;
		if (idle > tmo + FUZZ_NS) {
			/* Gone before and back now, or either: both hold.
			 * Where lbxdp deletes it, or a lowering finds it past
			 * the higher timeout, its entry is gone for good. */
			back = sec > old ? revived(r, f, now, tmo) : 0;
			f->either = back < 0 ||
				    (back > 0 && (f->either || f->gone));
			f->gone = f->gone || back <= 0;
			if (back > 0 && !f->gone)
				r->n.revived++;
		} else if (idle + FUZZ_NS >= tmo) {
			f->blur = true;
		}
	}
	for (v = 0; v < NVIP; v++)
		if (r->vip[v].proto == IPPROTO_TCP)
			r->vip[v].tmo_s = sec;
	if (!tcp_timeout_set(r->lb, sec))
		fail(r, "lbxdp_timeout_write failed");
	r->n.tmo_changes++;
}

/* "lbxdp flood set 1", or off: one new flow a second beyond which (and for
 * LBXDP_FLOOD_HOLD_S after) the guard places new flows without entries. */
static void guard_flip(struct mrun *r)
{
	r->guard = !r->guard;
	note(r, "flood guard %s", r->guard ? "on" : "off");
	if (lib_ok(r, flood_rate_set(r->lb, r->guard ? 1 : 0), "flood rate"))
		r->n.guard_flips++;
}

static void step(struct mrun *r)
{
	__u32 x = below(r, 1000), n;
	struct mflow *f = NULL;
	int oldest;

	n = active_count(r, &oldest);
	if (x < 700) {
		if (oldest >= 0 && below(r, 2))
			f = &r->flow[oldest];
		else
			f = random_flow(r, M_ACTIVE, false, false);
		if (!f || (n < ACTIVE && below(r, 4) == 0))
			f = flow_new(r, random_vip(r, false), false);
	} else if (x < 760) {
		f = random_flow(r, M_QUIET, true, false);
		if (f)
			f->mode = M_ACTIVE;
	} else if (x < 830) {
		if (n < 2 * ACTIVE)
			f = flow_new(r, random_vip(r, false), false);
	} else if (x < 840) {
		/* A flow this LB never saw: another's, or evicted. */
		f = flow_new(r, random_vip(r, true), true);
	} else if (x < 845) {
		/* A new connection on the ports of an expired one. */
		f = random_flow(r, M_DEAD, false, true);
		if (f) {
			f->mode = M_ACTIVE;
			f->state = F_NEW;
			f->midflow = false;
		}
	} else if (x < 875) {
		change(r);
	} else if (x < 879) {
		/* Several changes at once. */
		for (n = 2 + below(r, 3); n && !r->failed; n--)
			change(r);
	} else if (x < 889) {
		gc(r);
	} else if (x < 894) {
		note(r, "clock +2-10 s");
		advance(r, between(r, 2 * NSEC, 10 * NSEC));
	} else if (x < 895) {
		if (below(r, 2)) {
			note(r, "clock past the timeouts");
			if (advance(r, between(r, (r->vip[0].tmo_s + 5) * NSEC,
					       (r->vip[0].tmo_s + 40) * NSEC)))
				gc(r);
		}
	} else if (x < 898) {
		tcp_timeout(r);
	} else if (x < 900) {
		guard_flip(r);
	}
	if (f && !r->failed)
		send_next(r, f);
	if (!r->failed)
		advance(r, between(r, 0, 50 * MSEC));
}

/* --- set-up and the run --- */

/* The attach's anchor of the program's clock, into @k: clock_set() makes
 * the clock the test's alone from then on. */
static int clock_anchor(struct lb *lb, struct mclock *k)
{
	struct lbxdp_ctx *c = &lb->ctx;
	int err;

	err = lbxdp_config_read(c);
	if (err)
		return err;
	k->j0 = c->cfg.clock_j0;
	k->ns0 = c->cfg.clock_ns0;
	k->ns_per_jiffy = c->cfg.ns_per_jiffy;
	return 0;
}

/* The program's clock moved on to the next epoch: the longest unit the
 * program and lbxdp count time in, so that a seed's run starts at the same
 * phase of each, whatever ran before it. */
static int clock_align(struct lb *lb, const struct mclock *k)
{
	const __u64 epoch = 1ULL << LBXDP_EPOCH_SHIFT;

	return clock_set(&lb->ctx, k,
			 (lbxdp_prog_now(&lb->ctx) / epoch + 1) * epoch);
}

static const struct {
	const char *name;
	__u32 addr;
	__u16 port;
	__u8 proto, sched;
} vips[NVIP] = {
	{"mh/tcp", IP4(198, 18, 0, 40), 80, IPPROTO_TCP, LBXDP_SCHED_MH},
	{"sh/tcp", IP4(198, 18, 0, 41), 80, IPPROTO_TCP, LBXDP_SCHED_SH},
	{"wrr/tcp", IP4(198, 18, 0, 42), 80, IPPROTO_TCP, LBXDP_SCHED_WRR},
	{"mh/udp", IP4(198, 18, 0, 43), 53, IPPROTO_UDP, LBXDP_SCHED_MH},
};

static bool setup(struct mrun *r)
{
	struct lbxdp_ctx *c = &r->lb->ctx;
	struct lbxdp_config cfg;
	int v, i, n;

	for (v = 0; v < NVIP; v++) {
		struct mvip *mv = &r->vip[v];

		mv->name = vips[v].name;
		mv->sched = vips[v].sched;
		mv->proto = vips[v].proto;
		mv->tmo_s = mv->proto == IPPROTO_TCP ? MD_TCP_TMO : MD_UDP_TMO;
		vip_key(&mv->key, vips[v].addr, vips[v].port, vips[v].proto);
		mv->ring = calloc(MD_RING, sizeof(*mv->ring));
		mv->log = calloc((size_t)r->nsteps * (4 + NADDR) + 64, 1);
		if (!ASSERT_TRUE(mv->ring && mv->log, "calloc"))
			return false;
		if (!ASSERT_OK(lbxdp_vip_add(c, &mv->key, mv->sched, 0,
					     LBXDP_OWNER_CLI),
			       "vip add"))
			return false;
		for (i = 0, n = 3 + below(r, 3); i < n; i++) {
			__be32 a[4];
			__u8 mac[6];

			addr4(a, be_addr(v, i));
			mac_of(mac, v, i);
			mv->be[i] = (struct mbe){.present = true,
						 .weight = 1 + below(r, 3),
						 .inst = ++r->ninst};
			if (!ASSERT_OK(lbxdp_backend_add(c, &mv->key, a,
							 mv->be[i].weight, mac,
							 LBXDP_OWNER_CLI),
				       "backend add"))
				return false;
		}
		if (!ASSERT_OK(ring_build(r, mv), "lbxdp_maglev_build"))
			return false;
	}
	/* As "lbxdp timeout set tcp 60 udp 30" and "lbxdp flood set off". */
	if (!ASSERT_OK(lbxdp_config_read(c), "config read"))
		return false;
	cfg = c->cfg;
	cfg.tcp_timeout = MD_TCP_TMO;
	cfg.udp_timeout = MD_UDP_TMO;
	cfg.flood_rate = 0;
	return ASSERT_OK(lbxdp_config_write(c, &cfg), "config write");
}

static void teardown(struct mrun *r)
{
	int v;

	for (v = 0; v < NVIP; v++) {
		struct lbxdp_vip vip;

		if (!bpf_map_lookup_elem(r->lb->ctx.fd[M_VIPS], &r->vip[v].key,
					 &vip))
			ASSERT_OK(lbxdp_vip_del(&r->lb->ctx, &r->vip[v].key),
				  "tear-down vip del");
		free(r->vip[v].ring);
		free(r->vip[v].log);
	}
	ASSERT_OK(lb_flush_flows(r->lb), "tear-down flush flows");
	free(r->flow);
}

static int count_entry(const struct lbxdp_flow_key *k,
		       const struct lbxdp_flow *v, void *arg)
{
	(*(__u32 *)arg)++;
	return 0;
}

static __u32 flow_entries(struct lb *lb)
{
	__u32 n = 0;

	ASSERT_OK(lbxdp_flows_walk(&lb->ctx, count_entry, &n),
		  "walk the flows");
	return n;
}

static void counts_add(struct counts *t, const struct counts *n)
{
	const __u64 *s = (const __u64 *)n;
	__u64 *d = (__u64 *)t;
	size_t i;

	for (i = 0; i < sizeof(*n) / sizeof(__u64); i++)
		d[i] += s[i];
}

static void counts_print(const struct counts *n)
{
	char line[512];
	int i, len;

	for (i = 0; i < R_NR; i++)
		test__note("  %-40s %llu", rule_names[i],
			   (unsigned long long)n->rule[i]);
	len = snprintf(line, sizeof(line), "  live, same server, after:");
	for (i = 0; i < K_NR; i++)
		len += snprintf(line + len, sizeof(line) - len, " %s %llu",
				kind_names[i],
				(unsigned long long)n->same_after[i]);
	test__note("%s", line);
	len = snprintf(line, sizeof(line), "  live, same server, by VIP:");
	for (i = 0; i < NVIP; i++)
		len += snprintf(line + len, sizeof(line) - len, " %s %llu",
				vips[i].name,
				(unsigned long long)n->same_vip[i]);
	test__note("%s", line);
	test__note(
		"  kept though the table now picks another: %llu (placed 2+ table changes ago: %llu); expected drops %llu; live SYNs by the table %llu",
		(unsigned long long)n->moved,
		(unsigned long long)n->moved_chain,
		(unsigned long long)n->drops, (unsigned long long)n->syn_table);
	test__note(
		"  flood guard: flips %llu, packets placed without an entry %llu, of such flows re-placed after a change or by a SYN %llu, live SYNs with an entry kept %llu",
		(unsigned long long)n->guard_flips, (unsigned long long)n->bare,
		(unsigned long long)n->bare_moved,
		(unsigned long long)n->guard_syn);
	test__note(
		"  changes %llu (revives %llu), gc runs %llu, records freed %llu, flows checked at a free %llu, TCP timeout changes %llu (flows brought back by a raise %llu; that may be, and kept their server %llu)",
		(unsigned long long)n->changes, (unsigned long long)n->revives,
		(unsigned long long)n->gcs, (unsigned long long)n->frees,
		(unsigned long long)n->free_checks,
		(unsigned long long)n->tmo_changes,
		(unsigned long long)n->revived,
		(unsigned long long)n->either_kept);
}

static bool run_seed(struct lb *lb, const struct mclock *clk, unsigned int seed,
		     __u32 nsteps, bool wrap, struct counts *total)
{
	const __u64 wrap_start =
		WRAP_NS - ((__u64)WRAP_LEAD << LBXDP_EPOCH_SHIFT);
	struct mrun *r = calloc(1, sizeof(*r));
	__u32 entries;
	bool ok;

	if (!r) {
		test__fail(__FILE__, __LINE__, "calloc: out of memory");
		return false;
	}
	r->lb = lb;
	r->clk = clk;
	r->seed = seed;
	r->rng = seed;
	r->nsteps = nsteps;
	r->cap = 2 * nsteps + 16;
	r->flow = calloc(r->cap, sizeof(*r->flow));
	test__context("seed %u", seed);
	if (ASSERT_TRUE(r->flow != NULL, "calloc") &&
	    ASSERT_OK(wrap ? clock_set(&lb->ctx, clk, wrap_start)
			   : clock_align(lb, clk),
		      "move the program's clock") &&
	    setup(r)) {
		for (r->step = 0; r->step < nsteps && !r->failed; r->step++)
			step(r);
		if (!r->failed)
			gc(r);
	}
	entries = flow_entries(lb);
	test__note(
		"seed %u: %u events, %u flows, %u flow entries, clock +%llu s",
		seed, r->step, r->nflow, entries,
		(unsigned long long)(r->vnow / NSEC));
	counts_print(&r->n);
	/* The rules hold while the table is not full: far from it. */
	ASSERT_CMP(entries, <, MD_FLOWS / 2, "flow entries", "less than ");
	counts_add(total, &r->n);
	teardown(r);
	ok = !r->failed && !test__failed();
	free(r);
	return ok;
}

void test_model(void)
{
	static struct lb lb;
	const char *env_seed = getenv("LBXDP_MODEL_SEED");
	const char *env_steps = getenv("LBXDP_MODEL_STEPS");
	__u32 nsteps =
		env_steps ? (__u32)strtoul(env_steps, NULL, 0) : MD_STEPS;
	struct counts t = {};
	const size_t n = sizeof(default_seeds) / sizeof(default_seeds[0]);
	struct mclock clk = {};
	unsigned int seed;
	size_t i;

	test__begin(
		"model: random flows and changes, every packet where a reference tracking every flow says");
	test__context("set-up");
	/* Every event makes at most one flow: a table four times larger
	 * never fills (an LRU evicts before it is full). */
	if (!ASSERT_CMP(nsteps, <=, MD_FLOWS / 4, "LBXDP_MODEL_STEPS",
			"at most ") ||
	    !ASSERT_OK(
		    lb_attach_caps(&lb, "model", IF_MODEL, MD_FLOWS, MD_RING),
		    "attach") ||
	    !ASSERT_TRUE(
		    lb.ctx.cfg.ns_per_jiffy != 0,
		    "the program's clock runs on jiffies (else the test cannot move it)") ||
	    !ASSERT_OK(clock_anchor(&lb, &clk),
		       "read the program's clock anchor"))
		goto out;
	if (env_seed) {
		seed = (unsigned int)strtoul(env_seed, NULL, 0);
		run_seed(&lb, &clk, seed, nsteps, false, &t);
	} else {
		for (i = 0; i < n; i++)
			if (!run_seed(&lb, &clk, default_seeds[i], nsteps,
				      i == n - 1, &t))
				break;
		if (i == n)
			ASSERT_CMP(lbxdp_prog_now(&lb.ctx), >, WRAP_NS,
				   "the program's clock",
				   "the last seed ran past the wrap: ");
	}
	if (test__failed())
		goto out;
	test__context("counts");
	test__note("all seeds:");
	counts_print(&t);
	/* Near a timeout stays rare, else the checks thin out: under 1% of
	 * the live checks over the default seeds, under 2% for any seed of
	 * 2000-2599 alone. */
	ASSERT_CMP(t.rule[R_FUZZY] * 50, <=, t.rule[R_SAME], "fuzzy x 50",
		   "at most the live checks ");
	/* A test that checks nothing must not pass: the default seeds reach
	 * every rule and case, where one seed alone (a soak) may miss some. */
	if (env_seed)
		goto out;
	for (i = 0; i < R_NR; i++)
		if (i != R_FUZZY && i != R_FREED)
			ASSERT_GT(t.rule[i], 0, rule_names[i]);
	for (i = 0; i < K_NR; i++)
		ASSERT_GT(t.same_after[i], 0, kind_names[i]);
	for (i = 0; i < NVIP; i++)
		ASSERT_GT(t.same_vip[i], 0, vips[i].name);
	ASSERT_GT(t.moved_chain, 0, "kept though moved by 2+ table changes");
	ASSERT_GT(t.guard_syn, 0, "live SYNs with an entry under the guard");
	ASSERT_GT(t.bare, 0, "packets the guard placed without an entry");
	ASSERT_GT(t.frees, 0, "drained records freed by lbxdp_gc()");
	ASSERT_GT(t.revives, 0, "draining servers revived by backend add");
	ASSERT_GT(t.free_checks, 0, "flows checked at a record's free");
	ASSERT_GT(t.drops, 0, "expected drops");
	ASSERT_GT(t.revived, 0, "flows a TCP timeout raise brought back");
out:
	lb_close(&lb);
	test__end();
}
