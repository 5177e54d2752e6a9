// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Two load balancers with the same configuration pick the same server for
 * the same flow (DESIGN.md §3, mh): two pin directories, each attached to
 * its own veth (both veths carry the same MAC, so frames compare byte for
 * byte), the same backends added in different orders (so their record ids
 * differ), and 1000 flows through each. Then a failover: data of flows that
 * only LB A saw, sent to LB B, must reach the server A chose.
 */
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include "service.h"
#include "fixture.h"

#define NFLOWS 1000
#define NBE 7
#define MAX_SHOWN 5
#define DET_VIP IP4(198, 18, 0, 20)
#define MAC_SET 2

static const __u16 weights[NBE] = {1, 2, 3, 5, 8, 13, 21};
/* The order in which each LB gets the backends. */
static const int order_a[NBE] = {0, 1, 2, 3, 4, 5, 6};
static const int order_b[NBE] = {5, 2, 6, 0, 3, 1, 4};

static struct lb lb_a, lb_b;

static __u32 be_addr(int i)
{
	return IP4(198, 18, 2, 1 + 3 * i);
}

static bool fill(struct lb *lb, const int *order)
{
	struct lbxdp_vip_key key;
	int i;

	vip_key(&key, DET_VIP, 80, IPPROTO_TCP);
	if (!ASSERT_OK(lbxdp_vip_add(&lb->ctx, &key, LBXDP_SCHED_MH, 0,
				     LBXDP_OWNER_CLI),
		       "vip add"))
		return false;
	for (i = 0; i < NBE; i++) {
		int k = order[i];
		__be32 a[4];
		__u8 mac[6];

		addr4(a, be_addr(k));
		be_mac(mac, MAC_SET, k);
		if (!ASSERT_OK(lbxdp_backend_add(&lb->ctx, &key, a, weights[k],
						 mac, LBXDP_OWNER_CLI),
			       "backend add"))
			return false;
	}
	return true;
}

static struct fspec flow(int i, __u8 flags, int salt)
{
	struct fspec f = TCPF(IP4(198, 19, 10 + i / 250, 1 + i % 250),
			      (__u16)(1024 + (i * 7919 + salt) % 60000),
			      DET_VIP, 80, flags);

	return f;
}

/* Which backend (index into weights[]) a forwarded frame went to. */
static int dest(const struct frame *f)
{
	return be_of(f, MAC_SET, NBE);
}

static void test_same_frames(const struct lbxdp_sched_backend *sb)
{
	int hits[NBE] = {}, i, bad = 0;

	test__begin(
		"determinism: 1000 mh SYNs give byte-identical frames on two LBs fed the same backends in shuffled orders");
	for (i = 0; i < NFLOWS && bad < MAX_SHOWN; i++) {
		struct fspec f = flow(i, TH_SYN, 0);
		struct frame in, out_a = {}, out_b = {};
		__u32 va = 0, vb = 0, id;
		bool ok;
		int d;

		test__context("flow %d", i);
		if (!ASSERT_OK(send_frame(&lb_a, &f, &in, &out_a, &va),
			       "LB A") ||
		    !ASSERT_OK(send_frame(&lb_b, &f, &in, &out_b, &vb), "LB B"))
			break;
		ok = ASSERT_VERDICT(va, XDP_TX, "LB A") &&
		     ASSERT_VERDICT(vb, XDP_TX, "LB B") &&
		     ASSERT_FRAME(&out_b, &out_a, "LB B's frame vs LB A's");
		d = dest(&out_a);
		if (ok)
			ok = ASSERT_TRUE(d >= 0, "sent to one of the backends");
		if (ok) {
			hits[d]++;
			id = maglev_pick(sb, NBE, lb_a.ctx.cfg.ring_size, &f);
			ok = ASSERT_EQ(d, (int)id - 1,
				       "backend vs user-space Maglev");
		}
		if (!ok)
			bad++;
	}
	test__context("spread");
	for (i = 0; i < NBE; i++)
		ASSERT_GT(hits[i], 0, "flows on each backend");
	ASSERT_GT(hits[NBE - 1], hits[0], "weight 21 vs weight 1");
	test__end();
}

static void test_failover(void)
{
	int i, bad = 0;
	struct lbxdp_global_stats b0, b1;

	test__begin(
		"failover: data of 1000 flows only LB A saw goes, through LB B, where A sent their SYNs");
	if (!ASSERT_OK(stats_read(&lb_b, &b0), "LB B stats")) {
		test__end();
		return;
	}
	for (i = 0; i < NFLOWS && bad < MAX_SHOWN; i++) {
		struct fspec syn = flow(i, TH_SYN, 1), ack = flow(i, TH_ACK, 1);
		struct frame in, out_a = {}, out_b = {};
		__u32 va = 0, vb = 0;

		test__context("flow %d", i);
		if (!ASSERT_OK(send_frame(&lb_a, &syn, &in, &out_a, &va),
			       "LB A") ||
		    !ASSERT_OK(send_frame(&lb_b, &ack, &in, &out_b, &vb),
			       "LB B"))
			break;
		if (!ASSERT_VERDICT(va, XDP_TX, "SYN on LB A") ||
		    !ASSERT_VERDICT(vb, XDP_TX, "data on LB B") ||
		    !ASSERT_EQ(dest(&out_b), dest(&out_a),
			       "LB B's backend vs LB A's"))
			bad++;
	}
	test__context("LB B counters");
	if (ASSERT_OK(stats_read(&lb_b, &b1), "LB B stats"))
		/* Their slots never changed: no entry needed, none missed. */
		ASSERT_EQ(b1.flow_miss_nonsyn - b0.flow_miss_nonsyn, 0,
			  "LB B flow_miss_nonsyn");
	test__end();
}

void test_determinism(void)
{
	struct lbxdp_sched_backend sb[NBE];
	int i;

	test__begin(
		"determinism: two pin dirs attached to two veths with one MAC");
	if (!ASSERT_OK(lb_attach(&lb_a, "detA", IF_DET_A), "attach LB A") ||
	    !ASSERT_OK(lb_attach(&lb_b, "detB", IF_DET_B), "attach LB B") ||
	    !ASSERT_TRUE(!memcmp(lb_a.mac, lb_b.mac, 6), "same MAC") ||
	    !ASSERT_TRUE(fill(&lb_a, order_a), "fill LB A") ||
	    !ASSERT_TRUE(fill(&lb_b, order_b), "fill LB B")) {
		test__end();
		goto out;
	}
	if (!test__end())
		goto out;

	memset(sb, 0, sizeof(sb));
	for (i = 0; i < NBE; i++) {
		addr4(sb[i].addr, be_addr(i));
		sb[i].id = i + 1;
		sb[i].weight = weights[i];
	}
	test_same_frames(sb);
	test_failover();
out:
	lb_close(&lb_a);
	lb_close(&lb_b);
}
