// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Flow sync's feed: with LBXDP_CFG_F_SYNC the program reports each flow
 * entry it writes for a new flow to the ring "sync_ring", and nothing
 * else; a full ring loses the event and counts it in "sync_stats". And
 * the backup's side: lbxdp_sync_install() writes a peer's entries so that
 * the program forwards their flows where the peer did.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "clock.h"
#include "daemon/fsync.h"
#include "daemon/fsync_pkt.h"
#include "daemon/loop.h"
#include "flowsync.h"
#include "lbxdp/flowtab.h"
#include "records.h"
#include "fixture.h"

/* What the ring holds: the kernel's 8-byte header, then the event. */
#define EV_SLOT (8 + ((sizeof(struct lbxdp_sync_event) + 7) & ~7UL))
#define RING_EVENTS (LBXDP_SYNC_RING_BYTES / EV_SLOT)
#define MAX_SEEN 8

struct seen {
	struct lbxdp_sync_event ev[MAX_SEEN];
	size_t n; /* all events, kept or not */
	size_t bad_size;
};

static int on_event(void *ctx, void *data, size_t len)
{
	struct seen *s = ctx;

	if (len != sizeof(struct lbxdp_sync_event))
		s->bad_size++;
	else if (s->n < MAX_SEEN)
		memcpy(&s->ev[s->n], data, len);
	s->n++;
	return 0;
}

/* Everything in the ring now, into @s (zeroed first). */
static bool drain(struct seen *s)
{
	struct ring_buffer *rb;
	int n;

	memset(s, 0, sizeof(*s));
	rb = ring_buffer__new(env.main.ctx.fd[M_SYNC_RING], on_event, s, NULL);
	if (!ASSERT_TRUE(rb != NULL, "ring_buffer__new"))
		return false;
	n = ring_buffer__consume(rb);
	ring_buffer__free(rb);
	if (!ASSERT_CMP(n, >=, 0, "ring_buffer__consume", "at least "))
		return false;
	return ASSERT_EQ(s->bad_size, 0, "events of another size");
}

static bool feed(bool on)
{
	return ASSERT_OK(lbxdp_sync_feed_set(&env.main.ctx, on), "feed switch");
}

static __u64 ring_full(void)
{
	__u64 n = ~0ULL;

	ASSERT_OK(lbxdp_sync_ring_full(&env.main.ctx, &n), "read sync_stats");
	return n;
}

struct svc {
	struct lbxdp_vip_key key;
	struct lbxdp_config cfg0;
	bool added;
};

static bool svc_begin(struct svc *s, int sched, __u32 persist, int nbe)
{
	struct lbxdp_ctx *c = &env.main.ctx;
	__be32 addr[4];
	__u8 mac[6];
	int i;

	memset(s, 0, sizeof(*s));
	if (!ASSERT_OK(lbxdp_config_read(c), "config read"))
		return false;
	s->cfg0 = c->cfg;
	vip_key(&s->key, VIP1, 80, IPPROTO_TCP);
	s->added = ASSERT_OK(
		lbxdp_vip_add(c, &s->key, sched, persist, LBXDP_OWNER_CLI),
		"vip add");
	for (i = 0; s->added && i < nbe; i++) {
		addr4(addr, BACKEND(i + 1));
		be_mac(mac, 1, i);
		if (!ASSERT_OK(lbxdp_backend_add(c, &s->key, addr, 1, mac,
						 LBXDP_OWNER_CLI),
			       "backend add"))
			return false;
	}
	return s->added;
}

static void svc_end(struct svc *s)
{
	test__context("tear-down");
	lb_reset(&env.main, &s->key, s->added ? 1 : 0, &s->cfg0);
	clock_release(&env.main.ctx);
}

/* The event the program must have written for @f, sent to backend index
 * @i of the service (MAC set 1), with @kind. */
static bool want_event(const struct svc *s, const struct fspec *f, int i,
		       __u8 kind, struct lbxdp_sync_event *ev)
{
	struct lbxdp_ctx *c = &env.main.ctx;
	struct lbxdp_backend be = {};
	struct lbxdp_vip vip = {};
	__be32 addr[4];
	__u32 id = 0;

	memset(ev, 0, sizeof(*ev));
	addr4(addr, BACKEND(i + 1));
	if (!ASSERT_OK(lbxdp_vip_get(c, &s->key, &vip), "vip get") ||
	    !ASSERT_OK(lbxdp_backend_find(c, &s->key, addr, &id),
		       "backend find") ||
	    !ASSERT_OK(lbxdp_backend_get(c, id, &be, NULL, NULL),
		       "backend get"))
		return false;
	ev->key = flow_key_of(f);
	memcpy(ev->backend_addr, addr, sizeof(addr));
	ev->vip_id = vip.id;
	ev->backend = id;
	ev->gen = be.gen;
	ev->kind = kind;
	return true;
}

static bool event_eq(const struct lbxdp_sync_event *got,
		     const struct lbxdp_sync_event *want, const char *what)
{
	const __u8 *g = (const void *)got, *w = (const void *)want;
	size_t i;

	for (i = 0; i < sizeof(*got); i++)
		if (g[i] != w[i]) {
			test__fail(__FILE__, __LINE__,
				   "%s: event byte %zu is 0x%02x, want 0x%02x",
				   what, i, g[i], w[i]);
			return false;
		}
	return true;
}

/* Which backend index (MAC set 1) @out went to, or -1. */
static int went_to(const struct frame *out)
{
	return be_of(out, 1, FX_BES);
}

/* Send @f: forwarded, and to which backend index. */
static int forward(const struct fspec *f, const char *what)
{
	struct frame in, out;
	__u32 v = 0;

	if (!ASSERT_OK(send_frame(&env.main, f, &in, &out, &v), what) ||
	    !ASSERT_VERDICT(v, XDP_TX, what))
		return -1;
	return went_to(&out);
}

static void test_reported(void)
{
	struct fspec syn = SYNF(CLIENT(1), 40001, VIP1, 80);
	struct fspec ack = TCPF(CLIENT(1), 40001, VIP1, 80, TH_ACK);
	struct lbxdp_sync_event want;
	struct seen s;
	struct svc v;
	int be;

	test__begin(
		"sync feed on: a new flow's event, byte for byte; none for its next packets");
	test__context("set-up");
	if (!svc_begin(&v, LBXDP_SCHED_WRR, 0, 2) || !feed(true) || !drain(&s))
		goto out;
	test__context("SYN");
	be = forward(&syn, "SYN");
	if (!ASSERT_CMP(be, >=, 0, "SYN's backend index", "at least ") ||
	    !drain(&s) || !ASSERT_EQ(s.n, 1, "events after the SYN") ||
	    !want_event(&v, &syn, be, LBXDP_SYNC_FLOW, &want))
		goto out;
	event_eq(&s.ev[0], &want, "SYN's event");
	test__context("ACK, then the SYN again");
	ASSERT_EQ(forward(&ack, "ACK"), be, "ACK's backend index");
	ASSERT_EQ(forward(&syn, "SYN again"), be, "SYN again's backend");
	if (drain(&s))
		ASSERT_EQ(s.n, 0, "events for an existing flow");
	ASSERT_EQ(ring_full(), 0, "ring_full");
out:
	feed(false);
	svc_end(&v);
	test__end();
}

static void test_persist(void)
{
	struct fspec a = SYNF(CLIENT(2), 40002, VIP1, 80);
	struct fspec b = SYNF(CLIENT(2), 40003, VIP1, 80);
	struct lbxdp_sync_event want;
	struct seen s;
	struct svc v;
	int be;

	test__begin(
		"sync feed: a new persistence entry is reported, a kept one is not");
	test__context("set-up");
	if (!svc_begin(&v, LBXDP_SCHED_RR, 300, 3) || !feed(true) || !drain(&s))
		goto out;
	test__context("first flow of the client");
	be = forward(&a, "first SYN");
	if (!ASSERT_CMP(be, >=, 0, "first SYN's backend index", "at least ") ||
	    !drain(&s) || !ASSERT_EQ(s.n, 1, "events after the first SYN") ||
	    !want_event(&v, &a, be, LBXDP_SYNC_FLOW | LBXDP_SYNC_PERSIST,
			&want))
		goto out;
	event_eq(&s.ev[0], &want, "first SYN's event");
	test__context("second flow, persisted");
	if (!ASSERT_EQ(forward(&b, "second SYN"), be, "second SYN's backend") ||
	    !drain(&s) || !ASSERT_EQ(s.n, 1, "events after the second SYN") ||
	    !want_event(&v, &b, be, LBXDP_SYNC_FLOW, &want))
		goto out;
	event_eq(&s.ev[0], &want, "second SYN's event");
out:
	feed(false);
	svc_end(&v);
	test__end();
}

static void test_off(void)
{
	struct fspec syn = SYNF(CLIENT(3), 40004, VIP1, 80);
	struct seen s;
	struct svc v;
	__u64 full0;

	test__begin("sync feed off: a new flow is forwarded, nothing reported");
	test__context("set-up");
	if (!svc_begin(&v, LBXDP_SCHED_WRR, 300, 2) || !feed(false) ||
	    !drain(&s))
		goto out;
	full0 = ring_full();
	test__context("SYN");
	ASSERT_CMP(forward(&syn, "SYN"), >=, 0, "SYN's backend index",
		   "at least ");
	if (drain(&s))
		ASSERT_EQ(s.n, 0, "events with the feed off");
	ASSERT_EQ(ring_full(), full0, "ring_full");
out:
	svc_end(&v);
	test__end();
}

static struct fspec nth_syn(__u32 i)
{
	struct fspec f = SYNF(IP4(198, 19, 16 + i / 60000, 1 + i / 250 % 240),
			      (__u16)(1024 + i % 60000), VIP1, 80);

	return f;
}

static void test_full(void)
{
	struct seen s;
	struct svc v;
	__u32 i;
	int be;

	test__begin(
		"sync feed: a full ring loses the event, counted in sync_stats; the frame is forwarded");
	test__context("set-up");
	if (!svc_begin(&v, LBXDP_SCHED_WRR, 0, 2) || !flood_set(&env.main, 0) ||
	    !feed(true) || !drain(&s))
		goto out;
	/* Exact by construction: the ring holds RING_EVENTS whole slots. */
	test__context("filling the ring");
	for (i = 0; i < RING_EVENTS; i++) {
		struct fspec f = nth_syn(i);

		be = forward(&f, "SYN filling the ring");
		if (be < 0)
			goto out;
	}
	if (!ASSERT_EQ(ring_full(), 0, "ring_full with the ring just full"))
		goto out;
	test__context("one more");
	{
		struct fspec f = nth_syn(RING_EVENTS);

		ASSERT_CMP(forward(&f, "SYN past a full ring"), >=, 0,
			   "backend index", "at least ");
	}
	ASSERT_EQ(ring_full(), 1, "ring_full after one more");
	if (drain(&s))
		ASSERT_EQ(s.n, RING_EVENTS, "events in the ring");
	ASSERT_OK(lbxdp_percpu_zero(&env.main.ctx, M_SYNC_STATS, 0,
				    sizeof(struct lbxdp_sync_stats)),
		  "zero sync_stats");
out:
	feed(false);
	drain(&s);
	svc_end(&v);
	test__end();
}

/* The entry a peer sends for @f (a client-to-VIP frame) to @backend. */
static struct lbxdp_sync_entry peer_entry(const struct fspec *f, __u32 backend,
					  __u8 kind, __u32 age_ms)
{
	struct lbxdp_sync_entry e = {};

	vip_key(&e.vip, f->daddr, f->dport, f->proto);
	addr4(e.client, f->saddr);
	e.sport = htons(f->sport);
	e.dport = htons(f->dport);
	addr4(e.backend, backend);
	e.kind = kind;
	e.age_ms = age_ms;
	return e;
}

static bool install(struct lbxdp_sync_installer *in,
		    const struct lbxdp_sync_entry *e, size_t n, __u64 now,
		    struct lbxdp_sync_install_stats *st)
{
	memset(st, 0, sizeof(*st));
	return ASSERT_OK(lbxdp_sync_install(&env.main.ctx, in, e, n, now, st),
			 "lbxdp_sync_install");
}

/* The flow entry of @f, into @v: whether there is one. */
static bool flow_entry(const struct fspec *f, struct lbxdp_flow *v)
{
	struct lbxdp_flow_key k = flow_key_of(f);

	return !lbxdp_flow_get(&env.main.ctx, &k, v);
}

static __u32 backend_id(const struct svc *s, int i)
{
	__be32 addr[4];
	__u32 id = 0;

	addr4(addr, BACKEND(i + 1));
	ASSERT_OK(lbxdp_backend_find(&env.main.ctx, &s->key, addr, &id),
		  "backend find");
	return id;
}

static void test_install_flow(void)
{
	struct fspec ack = TCPF(CLIENT(5), 40010, VIP1, 80, TH_ACK);
	struct fspec other = TCPF(CLIENT(5), 40011, VIP1, 80, TH_ACK);
	struct lbxdp_sync_installer *in = NULL;
	struct lbxdp_sync_install_stats st;
	struct lbxdp_sync_entry e[4];
	struct lbxdp_flow fv;
	struct svc v;
	__u64 now, hold;
	int x, y;

	test__begin(
		"sync install: a peer's flow is forwarded to its server, a newer entry here is kept, unknown and down servers are skipped");
	test__context("set-up");
	if (!svc_begin(&v, LBXDP_SCHED_WRR, 0, 3) ||
	    !ASSERT_OK(lbxdp_sync_installer_new(&in), "installer"))
		goto out;
	/* Where this LB sends the flow by itself (Maglev, for a miss). */
	x = forward(&ack, "ACK with no entry");
	if (!ASSERT_CMP(x, >=, 0, "its backend index", "at least ") ||
	    !ASSERT_OK(lb_flush_flows(&env.main), "flush flows"))
		goto out;
	y = (x + 1) % 3;

	test__context("the peer's entry to another server");
	now = lbxdp_now_ns();
	e[0] = peer_entry(&ack, BACKEND(y + 1), LBXDP_SYNC_FLOW, 2000);
	if (!install(in, e, 1, now, &st))
		goto out;
	ASSERT_EQ(st.flows, 1, "flows written");
	ASSERT_EQ(st.kept + st.expired + st.no_vip + st.no_backend +
			  st.backend_down + st.no_persist,
		  0, "entries skipped");
	if (ASSERT_TRUE(flow_entry(&ack, &fv), "flow entry")) {
		ASSERT_EQ(fv.backend, backend_id(&v, y), "entry's backend");
		/* To the table's unit of time (lbxdp/flowtab.h). */
		ASSERT_EQ((now - 2000000000ULL) >> LBXDP_FT_SEEN_SHIFT,
			  fv.last_seen_ns >> LBXDP_FT_SEEN_SHIFT,
			  "entry's last_seen_ns, in 2^24 ns units");
	}
	ASSERT_EQ(forward(&ack, "ACK"), y, "ACK's backend index");

	test__context("an older entry of the peer");
	e[0] = peer_entry(&ack, BACKEND(x + 1), LBXDP_SYNC_FLOW, 5000);
	if (!install(in, e, 1, now, &st))
		goto out;
	ASSERT_EQ(st.kept, 1, "entries kept");
	ASSERT_EQ(st.flows, 0, "flows written");
	ASSERT_EQ(forward(&ack, "ACK"), y, "ACK's backend index");

	/* Six hours older than the entry here, more than a stamp runs
	 * ahead: older still (the clock held past any uptime, a timeout of
	 * a day). */
	test__context("an entry of the peer idle 6 hours");
	hold = 30ULL * 86400 * 1000000000ULL;
	e[0] = peer_entry(&ack, BACKEND(y + 1), LBXDP_SYNC_FLOW, 0);
	e[1] = peer_entry(&ack, BACKEND(x + 1), LBXDP_SYNC_FLOW,
			  6 * 3600 * 1000);
	if (!tcp_timeout_set(&env.main, 86400) ||
	    !clock_hold(&env.main.ctx, &v.cfg0, hold) ||
	    !install(in, e, 1, hold, &st) ||
	    !ASSERT_EQ(st.flows, 1, "the peer's fresh entry written") ||
	    !install(in, e + 1, 1, hold, &st))
		goto out;
	ASSERT_EQ(st.kept, 1, "entries kept");
	ASSERT_EQ(st.flows, 0, "flows written");
	ASSERT_OK(lbxdp_memo_clear(&env.main.ctx), "memo clear");
	ASSERT_EQ(forward(&ack, "ACK"), y, "ACK's backend index");
	if (!clock_restore(&env.main.ctx, &v.cfg0) ||
	    !tcp_timeout_set(&env.main, v.cfg0.tcp_timeout))
		goto out;

	/* A backup booted a minute ago, the peer's flow idle two: within
	 * its timeout, kept, though its last packet came before this
	 * clock's start. */
	test__context("an entry idle longer than this LB's uptime");
	hold = 60ULL * 1000000000ULL;
	e[0] = peer_entry(&ack, BACKEND(y + 1), LBXDP_SYNC_FLOW, 120000);
	if (!ASSERT_OK(lb_flush_flows(&env.main), "flush flows") ||
	    !clock_hold(&env.main.ctx, &v.cfg0, hold) ||
	    !install(in, e, 1, hold, &st))
		goto out;
	ASSERT_EQ(st.flows, 1, "flows written");
	ASSERT_EQ(st.expired, 0, "expired");
	ASSERT_OK(lbxdp_memo_clear(&env.main.ctx), "memo clear");
	ASSERT_EQ(forward(&ack, "ACK"), y, "ACK's backend index");
	if (!clock_restore(&env.main.ctx, &v.cfg0))
		goto out;

	test__context("a newer entry of the peer");
	e[0] = peer_entry(&ack, BACKEND(x + 1), LBXDP_SYNC_FLOW, 0);
	if (!install(in, e, 1, lbxdp_now_ns() + 1000000000ULL, &st))
		goto out;
	ASSERT_EQ(st.flows, 1, "flows written");
	/* A CPU's memo of the flow lasts its 0.5 s: forgotten here. */
	ASSERT_OK(lbxdp_memo_clear(&env.main.ctx), "memo clear");
	ASSERT_EQ(forward(&ack, "ACK"), x, "ACK's backend index");

	test__context("skipped entries");
	ASSERT_OK(lb_flush_flows(&env.main), "flush flows");
	{
		struct lbxdp_backend_change ch = {.weight = -1, .up = 0};
		__be32 addr[4];

		addr4(addr, BACKEND(y + 1));
		if (!ASSERT_OK(
			    lbxdp_backend_set(&env.main.ctx, &v.key, addr, &ch),
			    "backend set down"))
			goto out;
	}
	e[0] = peer_entry(&other, BACKEND(y + 1), LBXDP_SYNC_FLOW, 0);
	e[1] = peer_entry(&other, BACKEND(9), LBXDP_SYNC_FLOW, 0);
	e[2] = peer_entry(&other, BACKEND(x + 1), LBXDP_SYNC_FLOW, 0);
	e[2].vip.port = htons(81);
	e[3] = peer_entry(&other, BACKEND(x + 1), LBXDP_SYNC_FLOW, 901000);
	if (!install(in, e, 4, lbxdp_now_ns(), &st))
		goto out;
	ASSERT_EQ(st.backend_down, 1, "backend_down");
	ASSERT_EQ(st.no_backend, 1, "no_backend");
	ASSERT_EQ(st.no_vip, 1, "no_vip");
	ASSERT_EQ(st.expired, 1, "expired");
	ASSERT_EQ(st.flows + st.persists + st.kept, 0, "entries written");
	ASSERT_TRUE(!flow_entry(&other, &fv), "no flow entry");
out:
	clock_release(&env.main.ctx);
	lbxdp_sync_installer_free(in);
	svc_end(&v);
	test__end();
}

static void test_install_persist(void)
{
	struct fspec probe = SYNF(CLIENT(7), 40020, VIP1, 80);
	struct fspec syn = SYNF(CLIENT(8), 40021, VIP1, 80);
	struct lbxdp_sync_installer *in = NULL;
	struct lbxdp_sync_install_stats st;
	struct lbxdp_global_stats before, after;
	struct lbxdp_sync_entry e;
	struct svc v;
	__u64 now;
	int x;

	test__begin(
		"sync install: a peer's persistence entry holds the client's next new flow; an older one does not replace this LB's");
	test__context("set-up");
	now = lbxdp_now_ns();
	/* Held, so that the SYN's entry here is newer than the peer's 5 s
	 * old one however long this machine stalls between the two. */
	if (!svc_begin(&v, LBXDP_SCHED_RR, 300, 3) ||
	    !clock_hold(&env.main.ctx, &v.cfg0, now) ||
	    !ASSERT_OK(lbxdp_sync_installer_new(&in), "installer"))
		goto out;
	/* rr's last pick: its next is another server. */
	x = forward(&probe, "probe SYN");
	if (!ASSERT_CMP(x, >=, 0, "probe's backend index", "at least "))
		goto out;
	e = peer_entry(&syn, BACKEND(x + 1), LBXDP_SYNC_PERSIST, 1000);
	if (!install(in, &e, 1, now, &st))
		goto out;
	ASSERT_EQ(st.persists, 1, "persistence entries written");
	ASSERT_EQ(st.flows, 0, "flows written");
	if (!ASSERT_OK(stats_read(&env.main, &before), "read stats"))
		goto out;
	ASSERT_EQ(forward(&syn, "client's SYN"), x, "SYN's backend index");
	if (ASSERT_OK(stats_read(&env.main, &after), "read stats"))
		ASSERT_STATS(&before, &after,
			     STAT_BIT(forwarded) | STAT_BIT(persist_hits),
			     "client's SYN");

	test__context("an older persistence entry of the peer");
	e = peer_entry(&syn, BACKEND((x + 1) % 3 + 1), LBXDP_SYNC_PERSIST,
		       5000);
	if (!install(in, &e, 1, now, &st))
		goto out;
	ASSERT_EQ(st.kept, 1, "entries kept");
	ASSERT_EQ(st.persists, 0, "persistence entries written");
	syn.sport++;
	ASSERT_EQ(forward(&syn, "client's next SYN"), x,
		  "the next SYN's backend index: this LB's entry, kept");
out:
	lbxdp_sync_installer_free(in);
	svc_end(&v);
	test__end();
}

static void test_install_no_persist(void)
{
	struct fspec syn = SYNF(CLIENT(9), 40030, VIP1, 80);
	struct lbxdp_sync_installer *in = NULL;
	struct lbxdp_sync_install_stats st;
	struct lbxdp_sync_entry e;
	struct svc v;

	test__begin(
		"sync install: persistence for a service without it here is skipped, its flow written");
	test__context("set-up");
	if (!svc_begin(&v, LBXDP_SCHED_WRR, 0, 2) ||
	    !ASSERT_OK(lbxdp_sync_installer_new(&in), "installer"))
		goto out;
	e = peer_entry(&syn, BACKEND(2), LBXDP_SYNC_FLOW | LBXDP_SYNC_PERSIST,
		       0);
	if (!install(in, &e, 1, lbxdp_now_ns(), &st))
		goto out;
	ASSERT_EQ(st.flows, 1, "flows written");
	ASSERT_EQ(st.no_persist, 1, "no_persist");
	ASSERT_EQ(st.persists, 0, "persistence entries written");

	/* More than the program takes at once: flushed in two runs. */
	test__context("a call of %u entries", LBXDP_SYNC_PUT_MAX + 6);
	{
		struct lbxdp_sync_entry many[LBXDP_SYNC_PUT_MAX + 6];
		struct lbxdp_flow fv;
		__u32 i;

		for (i = 0; i < LBXDP_SYNC_PUT_MAX + 6; i++) {
			struct fspec f = TCPF(CLIENT(10), (__u16)(41000 + i),
					      VIP1, 80, TH_ACK);

			many[i] =
				peer_entry(&f, BACKEND(1), LBXDP_SYNC_FLOW, 0);
		}
		if (install(in, many, LBXDP_SYNC_PUT_MAX + 6, lbxdp_now_ns(),
			    &st)) {
			struct fspec last =
				TCPF(CLIENT(10),
				     (__u16)(41000 + LBXDP_SYNC_PUT_MAX + 5),
				     VIP1, 80, TH_ACK);

			ASSERT_EQ(st.flows, LBXDP_SYNC_PUT_MAX + 6,
				  "flows written");
			ASSERT_TRUE(flow_entry(&last, &fv), "last flow entry");
		}
	}
out:
	lbxdp_sync_installer_free(in);
	svc_end(&v);
	test__end();
}

/* @b's one entry: a flow of @client:@sport to @vip's port 80, idle @age_ms,
 * to BACKEND(1). */
static void one_entry(struct fsync_batch *b, const struct lbxdp_vip_key *vip,
		      __u32 client, __u16 sport, __u32 age_ms)
{
	struct lbxdp_sync_entry *e = &b->e[0];

	memset(e, 0, sizeof(*e));
	e->vip = *vip;
	addr4(e->client, client);
	e->sport = htons(sport);
	e->dport = htons(80);
	addr4(e->backend, BACKEND(1));
	e->kind = LBXDP_SYNC_FLOW;
	e->age_ms = age_ms;
}

/* @b, signed with @k, from @fd to 127.0.0.1:@port as a peer would send
 * it. */
static void send_batch_from(int fd, const struct fsync_batch *b,
			    const struct fsync_key *k, __u16 port)
{
	struct sockaddr_in to = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(0x7f000001),
	};
	uint8_t buf[FSYNC_MAX_LEN];
	int len = fsync_encode(b, k, buf, sizeof(buf));

	if (ASSERT_CMP(len, >, 0, "encode", "more than "))
		ASSERT_EQ(sendto(fd, buf, len, 0, (struct sockaddr *)&to,
				 sizeof(to)),
			  len, "sendto");
}

/* The same from a socket of its own. */
static void send_batch_to(const struct fsync_batch *b,
			  const struct fsync_key *k, __u16 port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (ASSERT_CMP(fd, >=, 0, "socket", "at least ")) {
		send_batch_from(fd, b, k, port);
		close(fd);
	}
}

/* To test_pair()'s backup. */
static void send_batch(const struct fsync_batch *b, const struct fsync_key *k)
{
	send_batch_to(b, k, 18848);
}

/* Until @f sent nothing for 1 s (at most 20 s): its passes are over. */
static void sync_idle(struct fsync *f, struct loop *l)
{
	__u64 until = lbxdp_now_ns() + 20000000000ULL, was;
	struct fsync_stats st;
	int i;

	do {
		fsync_get_stats(f, &st);
		was = st.datagrams;
		for (i = 0; i < 20; i++)
			loop_run_once(l, 50);
		fsync_get_stats(f, &st);
	} while (st.datagrams != was && lbxdp_now_ns() < until);
}

/* What @fd received before the first JOINED, in entries; -1: none. */
static int entries_before_joined(int fd, const struct fsync_key *k)
{
	uint8_t buf[FSYNC_MAX_LEN + 1];
	struct fsync_batch b;
	int n = 0;
	ssize_t len;

	while ((len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		if (fsync_decode(buf, (size_t)len, 5, k, &b) != FSYNC_OK)
			continue;
		if (b.flags & FSYNC_F_JOINED)
			return n;
		n += b.count;
	}
	return -1;
}

/* @n datagrams of junk (1000 bytes) to 127.0.0.1:@port, more than its
 * socket's buffer holds. */
static void flood(__u16 port, int n)
{
	struct sockaddr_in to = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(0x7f000001),
	};
	static const uint8_t junk[1000];
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), i, sent = 0;

	if (!ASSERT_CMP(fd, >=, 0, "socket", "at least "))
		return;
	for (i = 0; i < n; i++)
		sent += sendto(fd, junk, sizeof(junk), 0,
			       (struct sockaddr *)&to,
			       sizeof(to)) == (ssize_t)sizeof(junk);
	ASSERT_EQ(sent, n, "junk sent");
	close(fd);
}

/* The nonces of the JOINEDs @fd received (at most @max into @out), all
 * it holds read: how many. */
static int joined_nonces(int fd, const struct fsync_key *k, __u64 *out, int max)
{
	uint8_t buf[FSYNC_MAX_LEN + 1];
	struct fsync_batch b;
	int n = 0;
	ssize_t len;

	while ((len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		if (fsync_decode(buf, (size_t)len, 5, k, &b) != FSYNC_OK ||
		    !(b.flags & FSYNC_F_JOINED))
			continue;
		if (n < max)
			out[n] = b.nonce;
		n++;
	}
	return n;
}

/* Output to UDP @port dropped (sendto: EPERM), or no more: nft, in this
 * test's own network namespace. */
static int sends_refused(__u16 port, bool on)
{
	char cmd[256];

	if (on)
		snprintf(cmd, sizeof(cmd),
			 "nft add table ip lbxdp_bpft && "
			 "nft add chain ip lbxdp_bpft out "
			 "'{ type filter hook output priority 0; }' && "
			 "nft add rule ip lbxdp_bpft out udp dport %u drop",
			 port);
	else
		snprintf(cmd, sizeof(cmd), "nft delete table ip lbxdp_bpft");
	return system(cmd) ? -ECHILD : 0;
}

/* A UDP socket on 127.0.0.1:@port, a joiner's. */
static int join_sock(__u16 port)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(0x7f000001),
	};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* A join of @nonce, signed with @k, from @fd to 127.0.0.1:@port. */
static void join_from(int fd, const struct fsync_key *k, __u16 port,
		      __u64 nonce)
{
	struct fsync_batch b = {
		.syncid = 5,
		.flags = FSYNC_F_JOIN,
		.seq = lbxdp_realtime_us(),
		.nonce = nonce,
	};

	send_batch_from(fd, &b, k, port);
}

/*
 * The daemon's side, two LBs in one process over loopback: a SYN placed by
 * the master's program reaches the backup's flows map, with the backup's
 * own id of the same server; the master's ACKs sent to the backup then go
 * where the master sent the SYN. Polls the loop with a bound (5 s).
 */
static void test_pair(void)
{
	struct fspec syn = SYNF(CLIENT(11), 40040, VIP1, 80);
	struct fspec ack = TCPF(CLIENT(11), 40040, VIP1, 80, TH_ACK);
	/* The flow of @syn, as the backup's table names it. */
	const struct lbxdp_flow_key bk_key = {
		.src = {htonl(CLIENT(11))},
		.dst = {htonl(VIP1)},
		.sport = htons(40040),
		.dport = htons(80),
		.proto = IPPROTO_TCP,
		.family = LBXDP_AF_INET,
	};
	/* The flow of a SYN the handover carries, and the join's pass. */
	const struct lbxdp_flow_key k17 = {
		.src = {htonl(CLIENT(17))},
		.dst = {htonl(VIP1)},
		.sport = htons(40046),
		.dport = htons(80),
		.proto = IPPROTO_TCP,
		.family = LBXDP_AF_INET,
	};
	struct fsync_opts o = {
		.ifindex = 1,
		.syncid = 5,
		.port = 18848,
		.dest = htonl(0x7f000001),
		.source = htonl(0x7f000001),
		.key = {.b = "0123456789abcdef-pair", .len = 21},
		.handover_ms = 1500,
	};
	struct fsync *m = NULL, *bk = NULL, *m2 = NULL, *m3 = NULL;
	struct lbxdp_config bcfg0 = {};
	struct fsync_stats ms, bs;
	struct lbxdp_vip_key bkey;
	static struct lb lb_b;
	struct lbxdp_flow fv;
	struct loop l;
	bool loop_ok = false, b_added = false, tmo_set = false;
	bool clock_held = false, nft_on = false;
	struct lbxdp_config mcfg0 = {};
	__be32 addr[4];
	__u8 mac[6];
	struct svc v;
	int be = -1, i, tries;

	test__begin(
		"fsync: a master's new flow is installed on its backup over UDP, with the backup's id of the server");
	test__context("set-up");
	if (!svc_begin(&v, LBXDP_SCHED_WRR, 0, 3) ||
	    !ASSERT_OK(lb_attach(&lb_b, "detA", IF_DET_A), "attach LB B") ||
	    !ASSERT_OK(lbxdp_config_read(&lb_b.ctx), "B config read"))
		goto out;
	bcfg0 = lb_b.ctx.cfg;
	/* The backup's service: the same servers, added in another order,
	 * so that their ids differ from the master's. */
	vip_key(&bkey, VIP1, 80, IPPROTO_TCP);
	b_added = ASSERT_OK(lbxdp_vip_add(&lb_b.ctx, &bkey, LBXDP_SCHED_WRR, 0,
					  LBXDP_OWNER_CLI),
			    "B vip add");
	for (i = 2; b_added && i >= 0; i--) {
		addr4(addr, BACKEND(i + 1));
		be_mac(mac, 1, i);
		if (!ASSERT_OK(lbxdp_backend_add(&lb_b.ctx, &bkey, addr, 1, mac,
						 LBXDP_OWNER_CLI),
			       "B backend add"))
			goto out;
	}
	if (!ASSERT_OK(loop_init(&l), "loop_init"))
		goto out;
	loop_ok = true;
	o.bind_port = 18849;
	if (!ASSERT_OK(fsync_open(&m, &l, &env.main.ctx, &o), "master open"))
		goto out;
	o.bind_port = 0;
	if (!ASSERT_OK(fsync_open(&bk, &l, &lb_b.ctx, &o), "backup open") ||
	    !ASSERT_OK(fsync_set_master(m, true), "set master") ||
	    !ASSERT_OK(lbxdp_sync_feed_set(&env.main.ctx, true), "feed on"))
		goto out;
	fsync_feed_on(m);

	/* Mastership begins with a scan of the whole table (empty of this
	 * flow): let it pass, so that only the feed can carry the SYN. */
	for (tries = 0; tries < 5; tries++)
		loop_run_once(&l, 10);
	fsync_get_stats(bk, &bs);
	if (!ASSERT_EQ(bs.install.flows, 0, "flows installed before the SYN"))
		goto out;

	test__context("SYN on the master");
	be = forward(&syn, "SYN");
	if (!ASSERT_CMP(be, >=, 0, "SYN's backend index", "at least "))
		goto out;
	/* Bounded: 100 iterations of at most 50 ms. */
	for (tries = 0; tries < 100; tries++) {
		loop_run_once(&l, 50);
		fsync_get_stats(m, &ms);
		fsync_get_stats(bk, &bs);
		if (bs.install.flows && bs.received == ms.datagrams)
			break;
	}
	ASSERT_EQ(ms.sent, 1, "entries the master sent");
	ASSERT_EQ(ms.refreshed, 0, "entries the refresh scan sent");
	ASSERT_EQ(bs.received, ms.datagrams, "datagrams received");
	ASSERT_EQ(bs.install.flows, 1, "flows installed on the backup");
	ASSERT_EQ(bs.install.no_vip + bs.install.no_backend +
			  bs.install.backend_down + bs.install.expired,
		  0, "entries skipped on the backup");
	ASSERT_EQ(bs.dropped[FSYNC_DROP_HMAC] + bs.replayed, 0,
		  "datagrams dropped");
	test__context("the flow on the backup");
	if (ASSERT_OK(lbxdp_flow_get(&lb_b.ctx, &bk_key, &fv),
		      "backup's flow entry")) {
		__u32 id = 0;

		addr4(addr, BACKEND(be + 1));
		ASSERT_OK(lbxdp_backend_find(&lb_b.ctx, &bkey, addr, &id),
			  "B backend find");
		ASSERT_EQ(fv.backend, id, "backup's entry: its own id");
		ASSERT_NEQ(id, backend_id(&v, be),
			   "the backup's id differs from the master's");
	}
	{
		struct frame in, out;
		__u32 verdict = 0;

		if (ASSERT_OK(send_frame(&lb_b, &ack, &in, &out, &verdict),
			      "ACK on the backup") &&
		    ASSERT_VERDICT(verdict, XDP_TX, "ACK on the backup"))
			ASSERT_EQ(went_to(&out), be, "ACK's backend index");
	}
	test__context("a replayed datagram");
	{
		/* Signed with the pair's key, sequence 1: long before the
		 * master's (microseconds of the real-time clock). */
		struct fsync_batch rb = {.syncid = 5, .seq = 1, .count = 1};
		__u64 replayed, flows;

		one_entry(&rb, &bkey, CLIENT(12), 40041, 0);
		fsync_get_stats(bk, &bs);
		replayed = bs.replayed;
		flows = bs.install.flows;
		send_batch(&rb, &o.key);
		for (tries = 0; tries < 100; tries++) {
			loop_run_once(&l, 50);
			fsync_get_stats(bk, &bs);
			if (bs.replayed != replayed)
				break;
		}
		ASSERT_EQ(bs.replayed, replayed + 1,
			  "datagrams dropped as replayed");
		ASSERT_EQ(bs.install.flows, flows, "flows installed from it");
	}
	test__context("a new mastership's scan");
	{
		/* The scan (lbxdp_flows_walk_step()) sends what lives: the
		 * flow the backup has lost comes back, once. */
		__u64 flows;

		fsync_get_stats(bk, &bs);
		flows = bs.install.flows;
		if (!ASSERT_OK(lbxdp_flow_del(&lb_b.ctx, &bk_key, NULL),
			       "the backup loses the flow") ||
		    !ASSERT_OK(fsync_set_master(m, false), "master off") ||
		    !ASSERT_OK(fsync_set_master(m, true), "master again"))
			goto out;
		fsync_feed_on(m);
		for (tries = 0; tries < 100; tries++) {
			loop_run_once(&l, 50);
			fsync_get_stats(m, &ms);
			fsync_get_stats(bk, &bs);
			if (bs.install.flows != flows &&
			    bs.received == ms.datagrams)
				break;
		}
		ASSERT_EQ(ms.refreshed, 1, "entries the scan sent");
		ASSERT_EQ(bs.install.flows, flows + 1, "flows installed");
		if (ASSERT_OK(lbxdp_flow_get(&lb_b.ctx, &bk_key, &fv),
			      "the backup's entry again")) {
			__u32 id = 0;

			addr4(addr, BACKEND(be + 1));
			ASSERT_OK(
				lbxdp_backend_find(&lb_b.ctx, &bkey, addr, &id),
				"B backend find");
			ASSERT_EQ(fv.backend, id, "the backup's entry: its id");
		}
	}
	test__context("a later pass, with the flow idle since the last");
	{
		/* A TCP timeout of 12 s: a pass every 3 s. The flow, seen
		 * before the first pass began, is live at the second, which
		 * sends it to the backup that lost it (say, rebooted). */
		__u64 sent, refreshed, until;

		if (!tcp_timeout_set(&env.main, 12))
			goto out;
		tmo_set = true;
		if (forward(&ack, "ACK on the master") != be ||
		    !ASSERT_OK(fsync_set_master(m, false), "master off") ||
		    !ASSERT_OK(fsync_set_master(m, true), "master again"))
			goto out;
		fsync_feed_on(m);
		fsync_get_stats(m, &ms);
		refreshed = ms.refreshed;
		sent = ms.datagrams;
		/* Sent, and received: the backup's copy is not lost after. */
		for (tries = 0; tries < 100; tries++) {
			loop_run_once(&l, 50);
			fsync_get_stats(m, &ms);
			fsync_get_stats(bk, &bs);
			if (ms.datagrams != sent && bs.received == ms.datagrams)
				break;
		}
		if (!ASSERT_EQ(ms.refreshed, refreshed + 1,
			       "entries the first pass sent") ||
		    !ASSERT_OK(lbxdp_flow_del(&lb_b.ctx, &bk_key, NULL),
			       "the backup loses the flow"))
			goto out;
		refreshed = ms.refreshed;
		sent = ms.datagrams;
		/* Bounded: 8 s, past the 3 s. */
		until = lbxdp_now_ns() + 8000000000ULL;
		while (lbxdp_now_ns() < until) {
			loop_run_once(&l, 50);
			fsync_get_stats(m, &ms);
			fsync_get_stats(bk, &bs);
			if (ms.datagrams != sent && bs.received == ms.datagrams)
				break;
		}
		ASSERT_EQ(ms.refreshed, refreshed + 1,
			  "entries the next pass sent");
		ASSERT_OK(lbxdp_flow_get(&lb_b.ctx, &bk_key, &fv),
			  "the backup's entry, from the next pass");
	}
	test__context("a pass with the flow expired");
	{
		/* The master's clock held 20 s on: the flow is idle past the
		 * 12 s, a new one is not; the next pass sends only that. */
		struct fspec syn2 = SYNF(CLIENT(15), 40044, VIP1, 80);
		__u64 sent, refreshed, until;

		if (!ASSERT_OK(lbxdp_config_read(&env.main.ctx), "config read"))
			goto out;
		mcfg0 = env.main.ctx.cfg;
		if (!clock_hold(&env.main.ctx, &mcfg0,
				lbxdp_now_ns() + 20000000000ULL))
			goto out;
		clock_held = true;
		fsync_get_stats(m, &ms);
		refreshed = ms.refreshed;
		sent = ms.sent;
		if (forward(&syn2, "a new flow's SYN") < 0)
			goto out;
		/* Its entry sent twice, by the feed and by the pass. */
		until = lbxdp_now_ns() + 8000000000ULL;
		while (lbxdp_now_ns() < until) {
			loop_run_once(&l, 50);
			fsync_get_stats(m, &ms);
			fsync_get_stats(bk, &bs);
			if (ms.refreshed != refreshed && ms.sent >= sent + 2 &&
			    bs.received == ms.datagrams)
				break;
		}
		ASSERT_EQ(ms.refreshed, refreshed + 1,
			  "entries the pass sent: the new flow's");
	}
	test__context("the maps away: the ring's events dropped, counted");
	{
		/* Between two syncs the daemon's maps are closed: the
		 * ring's events, which the records name, are read and
		 * dropped, not left to wake the loop at every turn. */
		struct fspec syn3 = SYNF(CLIENT(16), 40045, VIP1, 80);
		int cfd = env.main.ctx.fd[M_CONFIG];
		__u64 unnamed;

		fsync_get_stats(m, &ms);
		unnamed = ms.unnamed;
		if (forward(&syn3, "a new flow's SYN") < 0)
			goto out;
		env.main.ctx.fd[M_CONFIG] = -1;
		for (tries = 0; tries < 5; tries++)
			loop_run_once(&l, 50);
		env.main.ctx.fd[M_CONFIG] = cfd;
		for (tries = 0; tries < 5; tries++)
			loop_run_once(&l, 50);
		fsync_get_stats(m, &ms);
		ASSERT_EQ(ms.unnamed, unnamed + 1, "events dropped");
	}
	test__context("a handover to a new master");
	{
		/* A SYN whose event the master has not read, and a flow the
		 * backup lost: the old master's pass carries both to the new
		 * one, which takes them within its window (1.5 s here). */
		struct fspec syn5 = SYNF(CLIENT(17), 40046, VIP1, 80);
		const struct lbxdp_flow_key k15 = {
			.src = {htonl(CLIENT(15))},
			.dst = {htonl(VIP1)},
			.sport = htons(40044),
			.dport = htons(80),
			.proto = IPPROTO_TCP,
			.family = LBXDP_AF_INET,
		};
		struct fsync_batch rb = {.syncid = 5, .count = 1};
		__u64 handover, not_backup, flows, since, ended = 0;
		int be5;

		/* The default timeouts: a new mastership's pass, then none
		 * for 75 s, so that only the handover sends these. */
		if (!tcp_timeout_set(&env.main, LBXDP_DEF_TCP_TIMEOUT))
			goto out;
		tmo_set = false;
		if (!ASSERT_OK(fsync_set_master(m, false), "master off") ||
		    !ASSERT_OK(fsync_set_master(m, true), "master again"))
			goto out;
		fsync_feed_on(m);
		for (tries = 0; tries < 10; tries++)
			loop_run_once(&l, 50);
		fsync_get_stats(bk, &bs);
		handover = bs.handover;
		not_backup = bs.not_backup;
		be5 = forward(&syn5, "a SYN just before the handover");
		if (be5 < 0 ||
		    !ASSERT_OK(lbxdp_flow_del(&lb_b.ctx, &k15, NULL),
			       "the backup loses a flow") ||
		    !ASSERT_OK(fsync_set_master(bk, true),
			       "the backup: master") ||
		    !ASSERT_OK(fsync_set_master(m, false),
			       "the master steps down"))
			goto out;
		since = loop_now(&l);
		ASSERT_TRUE(fsync_is_leaving(m), "the old master hands over");
		for (tries = 0; tries < 100; tries++) {
			loop_run_once(&l, 50);
			fsync_get_stats(m, &ms);
			fsync_get_stats(bk, &bs);
			if (!fsync_is_leaving(m) && !ended)
				ended = loop_now(&l);
			if (ended && bs.received == ms.datagrams)
				break;
		}
		/* Its pass sent (a few flows): not the whole window. */
		ASSERT_TRUE(ended, "its handover ends");
		ASSERT_CMP(ended - since, <, 1500, "the handover's ms",
			   "less than ");
		ASSERT_CMP(bs.handover, >, handover,
			   "datagrams the new master took", "more than ");
		ASSERT_EQ(bs.not_backup, not_backup,
			  "datagrams it dropped as master");
		if (ASSERT_OK(lbxdp_flow_get(&lb_b.ctx, &k17, &fv),
			      "the new master's entry of the unread SYN")) {
			__u32 id = 0;

			addr4(addr, BACKEND(be5 + 1));
			ASSERT_OK(
				lbxdp_backend_find(&lb_b.ctx, &bkey, addr, &id),
				"B backend find");
			ASSERT_EQ(fv.backend, id, "its server");
		}
		ASSERT_OK(lbxdp_flow_get(&lb_b.ctx, &k15, &fv),
			  "the new master's entry of the flow it lost");

		/* A peer's datagram not of a handover (two masters), within
		 * the window, and a handover's past it (1.5 s and the 2 s of
		 * slack): a master's own entries stand. */
		for (i = 0; i < 2; i++) {
			if (i)
				while (loop_now(&l) < since + 3600)
					loop_run_once(&l, 50);
			fsync_get_stats(bk, &bs);
			flows = bs.install.flows;
			handover = bs.handover;
			not_backup = bs.not_backup;
			one_entry(&rb, &bkey, CLIENT(18), 40047, 0);
			rb.flags = i ? FSYNC_F_HANDOVER : 0;
			rb.seq = lbxdp_realtime_us();
			send_batch(&rb, &o.key);
			for (tries = 0;
			     tries < 100 && bs.not_backup == not_backup;
			     tries++) {
				loop_run_once(&l, 50);
				fsync_get_stats(bk, &bs);
			}
			test__context(
				i ? "a handover's datagram past the window"
				  : "a datagram not of a handover");
			ASSERT_EQ(bs.not_backup, not_backup + 1,
				  "datagrams dropped as master");
			ASSERT_EQ(bs.install.flows, flows, "flows installed");
			ASSERT_EQ(bs.handover, handover, "taken as master");
		}
	}
	test__context("a daemon's stop, its queue full and the rate spent");
	{
		/* A queue of 8 and 100 entries a second: the pass waits for
		 * the rate at every live flow, in the stop's own loop, which
		 * must not spin in one turn (its clock, and so the rate's
		 * tokens, stand still in one). Its pass took 1.4 s here;
		 * bounded by 6 s, so that a slow machine still ends it. */
		struct fsync_opts o2 = o;
		__u64 t0, t1;

		o2.bind_port = 18850;
		o2.queue = 8;
		o2.rate = 100;
		o2.handover_ms = 6000;
		if (!ASSERT_OK(fsync_open(&m2, &l, &env.main.ctx, &o2),
			       "open") ||
		    !ASSERT_OK(fsync_set_master(m2, true), "set master"))
			goto out;
		t0 = loop_clock_ms();
		fsync_stop(m2);
		t1 = loop_clock_ms();
		fsync_get_stats(m2, &ms);
		ASSERT_TRUE(!fsync_is_leaving(m2) && !fsync_is_master(m2),
			    "the handover is over");
		ASSERT_CMP(ms.sent, >=, 3, "entries it sent", "at least ");
		ASSERT_CMP(t1 - t0, <=, 6100, "its ms", "at most ");
		fsync_close(m2);
		m2 = NULL;
	}
	test__context("a restarted backup, and datagrams of before");
	{
		/* The restart forgets the last sequence: a datagram sent
		 * longer ago than the timeout holds nothing live, and one
		 * sent 3 s ago holds its entries 3 s older. */
		__u64 tmo_us = (__u64)lb_b.ctx.cfg.tcp_timeout * 1000000;
		struct fsync_batch rb = {.syncid = 5, .count = 1};
		const struct lbxdp_flow_key k14 = {
			.src = {htonl(CLIENT(14))},
			.dst = {htonl(VIP1)},
			.sport = htons(40043),
			.dport = htons(80),
			.proto = IPPROTO_TCP,
			.family = LBXDP_AF_INET,
		};
		__u64 t0, t1, p0, p1, expired, flows;

		/* Only these datagrams: the master sends none. */
		if (!ASSERT_OK(fsync_set_master(m, false), "master off"))
			goto out;
		fsync_close(bk);
		bk = NULL;
		if (!ASSERT_OK(fsync_open(&bk, &l, &lb_b.ctx, &o),
			       "backup open again"))
			goto out;
		one_entry(&rb, &bkey, CLIENT(13), 40042, 0);
		rb.seq = lbxdp_realtime_us() - tmo_us - 1000000;
		fsync_get_stats(bk, &bs);
		flows = bs.install.flows;
		expired = bs.install.expired;
		send_batch(&rb, &o.key);
		for (tries = 0; tries < 100 && !bs.received; tries++) {
			loop_run_once(&l, 50);
			fsync_get_stats(bk, &bs);
		}
		ASSERT_EQ(bs.received, 1, "datagrams taken after the restart");
		ASSERT_EQ(bs.install.expired, expired + 1,
			  "entries of a timeout ago: expired");
		ASSERT_EQ(bs.install.flows, flows, "flows installed from it");

		one_entry(&rb, &bkey, CLIENT(14), 40043, 2000);
		p0 = lbxdp_prog_now(&lb_b.ctx);
		t0 = lbxdp_realtime_us();
		rb.seq = t0 - 3000000;
		send_batch(&rb, &o.key);
		for (tries = 0; tries < 100 && bs.received < 2; tries++) {
			loop_run_once(&l, 50);
			fsync_get_stats(bk, &bs);
		}
		t1 = lbxdp_realtime_us();
		p1 = lbxdp_prog_now(&lb_b.ctx);
		ASSERT_EQ(bs.install.flows, flows + 1, "flows installed");
		if (ASSERT_OK(lbxdp_flow_get(&lb_b.ctx, &k14, &fv),
			      "the flow sent 3 s ago, idle 2 s then")) {
			ASSERT_CMP(fv.last_seen_ns, <=, p1 - 5000000000ULL,
				   "its stamp", "at most ");
			ASSERT_CMP(fv.last_seen_ns, >=,
				   p0 - 6000000000ULL - (t1 - t0) * 1000,
				   "its stamp", "at least ");
		}
	}
	test__context("a backup that starts joins: the master's pass");
	{
		/* A backup (re)started lacks the flows placed before, and
		 * the next refresh pass is 75 s away: it asks, the master
		 * sends a pass at once, then says it is done, after the
		 * pass's entries. Sends to the master's port (18849). */
		struct fsync_opts o3 = o;
		struct fsync_batch jb = {.syncid = 5, .flags = FSYNC_F_JOIN};
		struct fsync_batch other = {
			.syncid = 5,
			.flags = FSYNC_F_JOINED,
			.nonce = 1,
		};
		__u64 refreshed, joins, replayed, answered;

		o3.port = 18849;
		o3.bind_port = 18848;
		fsync_close(bk);
		bk = NULL;
		if (!ASSERT_OK(fsync_set_master(m, true), "master again"))
			goto out;
		fsync_feed_on(m);
		for (tries = 0; tries < 10; tries++) /* its first pass */
			loop_run_once(&l, 50);
		if (!ASSERT_OK(fsync_open(&bk, &l, &lb_b.ctx, &o3),
			       "backup open again") ||
		    !ASSERT_OK(lbxdp_flow_del(&lb_b.ctx, &k17, NULL),
			       "the backup lacks a flow"))
			goto out;
		fsync_get_stats(m, &ms);
		refreshed = ms.refreshed;
		ASSERT_TRUE(fsync_join(bk), "it asks");
		ASSERT_TRUE(fsync_is_joining(bk), "it waits for the answer");
		/* Another join's end, there first: not its own (the
		 * assertion on joined_flows below fails if taken). */
		other.seq = lbxdp_realtime_us();
		send_batch_to(&other, &o.key, 18848);
		for (tries = 0; tries < 100 && fsync_is_joining(bk); tries++)
			loop_run_once(&l, 50);
		fsync_get_stats(m, &ms);
		fsync_get_stats(bk, &bs);
		ASSERT_TRUE(fsync_has_joined(bk), "the master said it is done");
		ASSERT_OK(lbxdp_flow_get(&lb_b.ctx, &k17, &fv),
			  "the flow, installed");
		/* the pass's entries, k17's among them, before its end */
		ASSERT_CMP(bs.joined_flows, >=, 1, "flows installed at JOINED",
			   "at least ");
		ASSERT_CMP(bs.joins_sent, >=, 1, "joins sent", "at least ");
		ASSERT_CMP(ms.joins, >=, 1, "joins the master heard",
			   "at least ");
		ASSERT_CMP(ms.joins_answered, >=, 1, "passes that answered one",
			   "at least ");
		ASSERT_CMP(ms.refreshed, >, refreshed, "entries its pass sent",
			   "more than ");
		/* Once: a second call asks nothing. */
		ASSERT_TRUE(!fsync_join(bk), "once: it does not ask again");
		ASSERT_TRUE(!fsync_is_joining(bk), "it waits no more");

		test__context("a join replayed");
		joins = ms.joins;
		replayed = ms.replayed;
		jb.seq = 1; /* long before the last join's */
		send_batch_to(&jb, &o.key, 18849);
		for (tries = 0; tries < 100 && ms.replayed == replayed;
		     tries++) {
			loop_run_once(&l, 50);
			fsync_get_stats(m, &ms);
		}
		ASSERT_EQ(ms.replayed, replayed + 1,
			  "joins dropped as replayed");
		ASSERT_EQ(ms.joins, joins, "joins heard");

		test__context("an answer the socket dropped from: asked anew");
		/* Junk that overflows the backup's socket before the answer
		 * comes: its entries may be lost with it, so the end of the
		 * answer is taken only for a join made since (10 s here). */
		fsync_close(bk);
		bk = NULL;
		o3.handover_ms = 10000;
		if (!ASSERT_OK(fsync_open(&bk, &l, &lb_b.ctx, &o3),
			       "backup open again"))
			goto out;
		o3.handover_ms = o.handover_ms;
		fsync_get_stats(m, &ms);
		answered = ms.joins_answered;
		ASSERT_TRUE(fsync_join(bk), "it asks");
		flood(18848, 20000);
		for (tries = 0; tries < 200 && fsync_is_joining(bk); tries++)
			loop_run_once(&l, 50);
		fsync_get_stats(m, &ms);
		fsync_get_stats(bk, &bs);
		ASSERT_CMP(bs.overflow, >, 0, "datagrams the socket dropped",
			   "more than ");
		ASSERT_EQ(bs.join_overflowed, 1, "answers asked for anew");
		ASSERT_TRUE(fsync_has_joined(bk), "joined, by the second");
		ASSERT_CMP(ms.joins_answered, >=, answered + 2,
			   "passes that answered one", "at least ");

		test__context("a join no master answers");
		/* Asked again each second while nothing comes, then waited
		 * for no more: 1.5 s here. */
		if (!ASSERT_OK(fsync_set_master(m, false), "master off"))
			goto out;
		for (tries = 0; tries < 100 && fsync_is_leaving(m); tries++)
			loop_run_once(&l, 50);
		fsync_close(bk);
		bk = NULL;
		if (!ASSERT_OK(fsync_open(&bk, &l, &lb_b.ctx, &o3),
			       "backup open again"))
			goto out;
		fsync_join(bk);
		for (tries = 0; tries < 100 && fsync_is_joining(bk); tries++)
			loop_run_once(&l, 50);
		fsync_get_stats(bk, &bs);
		ASSERT_TRUE(!fsync_is_joining(bk), "it waits no more");
		ASSERT_TRUE(!fsync_has_joined(bk), "not joined");
		ASSERT_EQ(bs.joins_sent, 2, "joins sent");
		ASSERT_EQ(bs.join_unanswered, 1, "waits that ran out");
	}
	test__context("a joiner's repeat during its answer; another's join");
	{
		/* 20 entries a second: a pass of the 60 flows below is sent
		 * over ~2 s, during which the joiner asks again (each
		 * second): its pass answers that; another LB's join gets a
		 * pass of its own. m3 sends to the first joiner's port. */
		struct fsync_opts o4 = o;
		int ja = -1, jb2 = -1, n;
		__u64 answered, refreshed, live, joins, ends[8];

		o4.bind_port = 18851;
		o4.port = 18863;
		o4.rate = 20;
		if (!ASSERT_OK(fsync_open(&m3, &l, &env.main.ctx, &o4),
			       "open") ||
		    !ASSERT_OK(fsync_set_master(m3, true), "set master") ||
		    !ASSERT_OK(lbxdp_sync_feed_set(&env.main.ctx, true),
			       "feed on"))
			goto out;
		fsync_feed_on(m3);
		for (i = 0; i < 60; i++) {
			struct fspec sn = SYNF(CLIENT(40 + i), 41000, VIP1, 80);

			if (forward(&sn, "a SYN") < 0)
				goto out;
		}
		sync_idle(m3, &l); /* its first pass, the feed's events */
		ja = join_sock(18863);
		jb2 = join_sock(18864);
		if (!ASSERT_CMP(ja, >=, 0, "socket A", "at least ") ||
		    !ASSERT_CMP(jb2, >=, 0, "socket B", "at least "))
			goto out;
		for (i = 0; i < 2; i++) {
			fsync_get_stats(m3, &ms);
			answered = ms.joins_answered;
			refreshed = ms.refreshed;
			join_from(ja, &o.key, 18851, 100 + i);
			for (tries = 0; tries < 2; tries++)
				loop_run_once(&l, 50);
			/* the same join (its nonce) again, or another's */
			join_from(i ? jb2 : ja, &o.key, 18851, i ? 200 : 100);
			sync_idle(m3, &l);
			fsync_get_stats(m3, &ms);
			test__context(i ? "another's join during a pass"
					: "a joiner's repeat during its pass");
			live = ms.refreshed - refreshed;
			ASSERT_EQ(ms.joins_answered, answered + 1 + i,
				  "passes that answered a join");
			if (!i) /* JOINED after them, the rate holding them */
				ASSERT_CMP(entries_before_joined(ja, &o.key),
					   >=, 60,
					   "entries the joiner had at JOINED",
					   "at least ");
			ASSERT_CMP(live, >=, 60 * (1 + i), "entries they sent",
				   "at least ");
			ASSERT_CMP(live, <, 2 * 60 * (1 + i),
				   "entries they sent", "less than ");
		}
		test__context("joins of five LBs, answered back to back");
		/* Each join once the last one's pass is queued: at 30
		 * entries a second (2 s a pass) they queue faster than
		 * they are sent, each end waits for the queue, and past 4
		 * the oldest is dropped (its joiner asks again). */
		fsync_close(m3);
		m3 = NULL;
		o4.rate = 30;
		joined_nonces(ja, &o.key, NULL, 0); /* the rounds' before */
		if (!ASSERT_OK(fsync_open(&m3, &l, &env.main.ctx, &o4),
			       "open") ||
		    !ASSERT_OK(fsync_set_master(m3, true), "set master"))
			goto out;
		fsync_feed_on(m3);
		sync_idle(m3, &l);
		joined_nonces(ja, &o.key, NULL, 0); /* its first pass */
		fsync_get_stats(m3, &ms);
		answered = ms.joins_answered;
		joins = ms.joins;
		for (i = 0; i < 5; i++) {
			join_from(ja, &o.key, 18851, 300 + i);
			for (tries = 0; tries < 100 &&
					ms.joins_answered < answered + i + 1;
			     tries++) {
				loop_run_once(&l, 10);
				fsync_get_stats(m3, &ms);
			}
		}
		/* a joiner's repeat, its pass done, its end queued: no pass */
		join_from(ja, &o.key, 18851, 303);
		/* read as they come: the socket holds less than the 300 */
		for (n = 0, tries = 0; tries < 400 && n < 4; tries++) {
			loop_run_once(&l, 50);
			n += joined_nonces(ja, &o.key, ends + n, 8 - n);
		}
		sync_idle(m3, &l);
		n += joined_nonces(ja, &o.key, ends + n, 8 - n);
		fsync_get_stats(m3, &ms);
		ASSERT_EQ(ms.joins_answered, answered + 5,
			  "passes that answered one");
		ASSERT_EQ(ms.joins, joins + 6, "joins heard");
		if (ASSERT_EQ(n, 4, "ends sent"))
			for (i = 0; i < 4; i++)
				ASSERT_EQ(ends[i], 301 + i, "the end's join");
		if (ja >= 0)
			close(ja);
		if (jb2 >= 0)
			close(jb2);
	}
	test__context("a handover whose sends are refused");
	{
		/* A send refused while master, then one that goes: the
		 * handover after goes on. Refused throughout: it ends after
		 * 1 s of that, not at its bound. */
		struct fspec s1 = SYNF(CLIENT(120), 41100, VIP1, 80);
		struct fspec s2 = SYNF(CLIENT(121), 41100, VIP1, 80);
		__u64 refused, errors, datagrams, t_fail;

		if (!ASSERT_OK(fsync_set_master(m, true), "master again"))
			goto out;
		fsync_feed_on(m);
		sync_idle(m, &l);
		fsync_get_stats(m, &ms);
		refused = ms.handovers_refused;
		errors = ms.send_errors;
		if (!ASSERT_OK(sends_refused(18848, true), "nft: drop"))
			goto out;
		nft_on = true;
		if (forward(&s1, "a SYN") < 0)
			goto out;
		for (tries = 0; tries < 100 && ms.send_errors == errors;
		     tries++) {
			loop_run_once(&l, 50);
			fsync_get_stats(m, &ms);
		}
		t_fail = lbxdp_now_ns();
		ASSERT_CMP(ms.send_errors, >, errors, "sends refused",
			   "more than ");
		if (!ASSERT_OK(sends_refused(18848, false), "nft: no drop"))
			goto out;
		nft_on = false;
		datagrams = ms.datagrams;
		if (forward(&s2, "a SYN") < 0)
			goto out;
		/* sent, and more than SEND_FAIL_MS since the refusal */
		for (tries = 0;
		     tries < 200 && (ms.datagrams == datagrams ||
				     lbxdp_now_ns() < t_fail + 1500000000ULL);
		     tries++) {
			loop_run_once(&l, 50);
			fsync_get_stats(m, &ms);
		}
		ASSERT_CMP(ms.datagrams, >, datagrams, "sent again",
			   "more than ");
		if (!ASSERT_OK(fsync_set_master(m, false), "master off"))
			goto out;
		for (tries = 0; tries < 100 && fsync_is_leaving(m); tries++)
			loop_run_once(&l, 50);
		fsync_get_stats(m, &ms);
		ASSERT_EQ(ms.handovers_refused, refused,
			  "handovers refused, a send gone since");

		if (!ASSERT_OK(fsync_set_master(m, true), "master again"))
			goto out;
		fsync_feed_on(m);
		sync_idle(m, &l);
		if (!ASSERT_OK(sends_refused(18848, true), "nft: drop"))
			goto out;
		nft_on = true;
		if (!ASSERT_OK(fsync_set_master(m, false), "master off"))
			goto out;
		for (tries = 0; tries < 200 && fsync_is_leaving(m); tries++)
			loop_run_once(&l, 50);
		fsync_get_stats(m, &ms);
		ASSERT_TRUE(!fsync_is_leaving(m), "the handover over");
		ASSERT_EQ(ms.handovers_refused, refused + 1,
			  "handovers refused");
	}
out:
	if (nft_on)
		sends_refused(18848, false);
	if (clock_held)
		clock_restore(&env.main.ctx, &mcfg0);
	if (tmo_set)
		tcp_timeout_set(&env.main, LBXDP_DEF_TCP_TIMEOUT);
	if (m || m3) {
		if (m)
			fsync_set_master(m, false);
		if (m3)
			fsync_set_master(m3, false);
		lbxdp_sync_feed_set(&env.main.ctx, false);
	}
	fsync_close(m);
	fsync_close(m3);
	fsync_close(bk);
	fsync_close(m2);
	if (loop_ok)
		loop_fini(&l);
	if (lb_b.open) {
		test__context("tear-down B");
		lb_reset(&lb_b, &bkey, b_added ? 1 : 0, &bcfg0);
		lb_close(&lb_b);
	}
	svc_end(&v);
	test__end();
}

void test_sync(void)
{
	test_reported();
	test_persist();
	test_off();
	test_full();
	test_install_flow();
	test_install_persist();
	test_install_no_persist();
	test_pair();
}
