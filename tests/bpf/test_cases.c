// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The fixture table: one case per behaviour of the data plane (DESIGN.md §3,
 * README "data path rules"). Backends sit in address order, so a wrr 1:1
 * schedule is web1, web2 and a 1:2 one web2, web1, web2; the process runs on
 * one CPU and every case starts with a fresh VIP, so the wrr cursor starts at
 * 0. Each "SYN"/"ACK" is a new or established TCP flow of that 4-tuple.
 */
#include <netinet/in.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include "fixture.h"

#define C1 CLIENT(1)
#define C2 CLIENT(2)

#define FWD STAT_BIT(forwarded)
#define PASSED STAT_BIT(passed)
#define NOT_OURS STAT_BIT(not_our_mac)
#define INACTIVE STAT_BIT(inactive)
#define NO_BE STAT_BIT(no_backend)
#define MALFORMED STAT_BIT(malformed)
#define FRAGMENT STAT_BIT(fragment)
#define IP_OPTS STAT_BIT(ip_options)
#define MISS STAT_BIT(flow_miss_nonsyn)
#define RESCHED STAT_BIT(down_resched)
#define ICMP_FWD STAT_BIT(icmp_forwarded)
#define ICMP_PASS STAT_BIT(icmp_passed)
#define PERSIST STAT_BIT(persist_hits)
#define FLOOD STAT_BIT(flood_stateless)

#define TCP_SVC(a, p, s)                                                     \
	{                                                                    \
		.addr = (a), .port = (p), .proto = IPPROTO_TCP, .sched = (s) \
	}
#define UDP_SVC(a, p, s)                                                     \
	{                                                                    \
		.addr = (a), .port = (p), .proto = IPPROTO_UDP, .sched = (s) \
	}
#define PERSIST_SVC(a, p, sec)                                  \
	{                                                       \
		.addr = (a), .port = (p), .proto = IPPROTO_TCP, \
		.sched = LBXDP_SCHED_WRR, .persist = (sec)      \
	}
#define WEB(n, w, ...)                                               \
	{                                                            \
		.name = "web" #n, .addr = BACKEND(n), .weight = (w), \
		__VA_ARGS__                                          \
	}
/* The reference setup: VIP1:80/tcp wrr, web1 and web2 of weight 1. */
#define WEB_SVC                                    \
	{                                          \
		TCP_SVC(VIP1, 80, LBXDP_SCHED_WRR) \
	}
#define WEB12                        \
	{                            \
		WEB(1, 1), WEB(2, 1) \
	}

#define FRAG_NEEDED(client, cport, vport, ...) \
	ICMPF(ROUTER, VIP1, 3, 4, (client), (cport), (vport), __VA_ARGS__)

/* Malformed frames: dropped when for a VIP address, never forwarded
 * half-parsed; left to the kernel when not. */
#define BAD_CASE(title, fspec_vip, fspec_other, counter)                     \
	{                                                                    \
		.name = title, .svc = WEB_SVC, .be = WEB12,                  \
		.step = {                                                    \
			{"to the VIP", .f = fspec_vip, .verdict = XDP_DROP,  \
			 .out = SAME, .stats = (counter)},                   \
			{"to a non-VIP address", .f = fspec_other,           \
			 .verdict = XDP_PASS, .out = SAME, .stats = PASSED}, \
		},                                                           \
	}
#define BAD_TCP(title, m, counter)                               \
	BAD_CASE(title, SYNF(C1, 1000, VIP1, 80, .mangle = (m)), \
		 SYNF(C1, 1000, NOT_VIP, 80, .mangle = (m)), counter)

static const struct fixture cases[] = {
	{
		.name = "non-VIP TCP to our MAC -> PASS untouched",
		.svc = WEB_SVC,
		.be = WEB12,
		.step = {
			{"TCP to an address without services",
			 .f = SYNF(C1, 40000, NOT_VIP, 80),
			 .verdict = XDP_PASS, .out = SAME, .stats = PASSED},
			{"TCP to the VIP address, port without a service",
			 .f = SYNF(C1, 40001, VIP1, 81),
			 .verdict = XDP_PASS, .out = SAME, .stats = PASSED},
			{"UDP to the port of a TCP service",
			 .f = UDPF(C1, 40002, VIP1, 80),
			 .verdict = XDP_PASS, .out = SAME, .stats = PASSED},
			{"TCP data to an address without services",
			 .f = ACKF(C1, 40000, NOT_VIP, 80),
			 .verdict = XDP_PASS, .out = SAME, .stats = PASSED},
		},
	},
	{
		.name = "VIP frame not to our MAC -> PASS untouched (not_our_mac)",
		.svc = WEB_SVC,
		.be = WEB12,
		.step = {
			{"SYN to the VIP, another host's MAC",
			 .f = SYNF(C1, 40000, VIP1, 80, .other_mac = true),
			 .verdict = XDP_PASS, .out = SAME, .stats = NOT_OURS},
			{"data to the VIP, another host's MAC",
			 .f = ACKF(C1, 40000, VIP1, 80, .other_mac = true),
			 .verdict = XDP_PASS, .out = SAME, .stats = NOT_OURS},
			{"frag-needed about a VIP flow, another host's MAC",
			 .f = FRAG_NEEDED(C1, 40000, 80, .other_mac = true),
			 .verdict = XDP_PASS, .out = SAME, .stats = NOT_OURS},
		},
	},
	{
		.name = "non-IPv4 (ARP who-has VIP) -> PASS untouched",
		.svc = WEB_SVC,
		.be = WEB12,
		.step = {
			{"ARP request for the VIP",
			 .f = {.ethertype = ETH_P_ARP, .saddr = C1, .daddr = VIP1},
			 .verdict = XDP_PASS, .out = SAME, .stats = PASSED},
		},
	},
	{
		.name = "VIP SYN -> XDP_TX, dst MAC = backend's, src MAC = veth's, rest identical",
		.svc = WEB_SVC,
		.be = WEB12,
		.step = {
			{"SYN, first of the wrr schedule",
			 .f = SYNF(C1, 40000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"its data segment, same backend",
			 .f = ACKF(C1, 40000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"a retransmitted SYN stays too",
			 .f = SYNF(C1, 40000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"SYN padded past tot_len (Ethernet minimum)",
			 .f = SYNF(C1, 40001, VIP1, 80, .mangle = M_PAD),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
		},
	},
	{
		.name = "UDP service -> XDP_TX; TCP to its port -> PASS",
		.svc = {UDP_SVC(VIP3, 53, LBXDP_SCHED_WRR)},
		.be = WEB12,
		.step = {
			{"UDP to the VIP",
			 .f = UDPF(C1, 5353, VIP3, 53),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"UDP, same flow",
			 .f = UDPF(C1, 5353, VIP3, 53),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"UDP, new flow: next of the schedule",
			 .f = UDPF(C1, 5354, VIP3, 53),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"TCP to the UDP service's port",
			 .f = SYNF(C1, 5353, VIP3, 53),
			 .verdict = XDP_PASS, .out = SAME, .stats = PASSED},
			{"UDP to another port",
			 .f = UDPF(C1, 5353, VIP3, 54),
			 .verdict = XDP_PASS, .out = SAME, .stats = PASSED},
		},
	},
	{
		.name = "port-0 service matches any port of its protocol only",
		.svc = {TCP_SVC(VIP2, 0, LBXDP_SCHED_WRR),
			TCP_SVC(VIP2, 443, LBXDP_SCHED_WRR)},
		.be = {WEB(1, 1), WEB(2, 1, .svc = 1)},
		.step = {
			{"TCP to port 22",
			 .f = SYNF(C1, 40000, VIP2, 22),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"TCP to port 8080",
			 .f = SYNF(C1, 40001, VIP2, 8080),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"TCP to port 443: its own service first",
			 .f = SYNF(C1, 40002, VIP2, 443),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"UDP to port 53: no UDP service",
			 .f = UDPF(C1, 40003, VIP2, 53),
			 .verdict = XDP_PASS, .out = SAME, .stats = PASSED},
		},
	},
	{
		.name = "VIP with no backends -> DROP (no_backend)",
		.svc = WEB_SVC,
		.step = {
			{"SYN",
			 .f = SYNF(C1, 40000, VIP1, 80),
			 .verdict = XDP_DROP, .out = SAME, .stats = NO_BE},
			{"data without a flow",
			 .f = ACKF(C1, 40001, VIP1, 80),
			 .verdict = XDP_DROP, .out = SAME, .stats = NO_BE | MISS},
		},
	},
	{
		.name = "VIP whose only backend is down -> DROP (no_backend)",
		.svc = WEB_SVC,
		.be = {WEB(1, 1)},
		.step = {
			{"SYN while up",
			 .f = SYNF(C1, 40000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"new SYN after set --down",
			 .act = {DO_DOWN(0)},
			 .f = SYNF(C1, 40001, VIP1, 80),
			 .verdict = XDP_DROP, .out = SAME, .stats = NO_BE},
			{"the established flow: re-scheduled, nowhere to go",
			 .f = ACKF(C1, 40000, VIP1, 80),
			 .verdict = XDP_DROP, .out = SAME,
			 .stats = NO_BE | RESCHED},
		},
	},
	{
		.name = "wrr 1:2 -> web2, web1, web2 for SYNs from different ports",
		.svc = WEB_SVC,
		.be = {WEB(1, 1), WEB(2, 2)},
		.step = {
			{"SYN 1", .f = SYNF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"SYN 2", .f = SYNF(C1, 1001, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"SYN 3", .f = SYNF(C1, 1002, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"SYN 4: the schedule starts over",
			 .f = SYNF(C1, 1003, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
		},
	},
	{
		.name = "rr ignores weights -> web1, web2, web1",
		.svc = {TCP_SVC(VIP1, 80, LBXDP_SCHED_RR)},
		.be = {WEB(1, 1), WEB(2, 3)},
		.step = {
			{"SYN 1", .f = SYNF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"SYN 2", .f = SYNF(C1, 1001, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"SYN 3", .f = SYNF(C1, 1002, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
		},
	},
	{
		.name = "established flow keeps its backend when a backend is added",
		.svc = WEB_SVC,
		.be = {WEB(1, 1), WEB(2, 1), WEB(3, 1, .later = true)},
		.step = {
			{"SYN A", .f = SYNF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"SYN B", .f = SYNF(C1, 1001, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"add web3, data of A", .act = {DO_ADD(2)},
			 .f = ACKF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"data of B", .f = ACKF(C1, 1001, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"new SYN: web3 is in the schedule",
			 .f = SYNF(C1, 1002, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(2), .stats = FWD},
		},
	},
	{
		.name = "established flow keeps its backend when weights change",
		.svc = WEB_SVC,
		.be = WEB12,
		.step = {
			{"SYN A", .f = SYNF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"web2 weight 3 (web2 web2 web1 web2), data of A",
			 .act = {DO_WEIGHT(1, 3)},
			 .f = ACKF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"new SYN follows the new schedule",
			 .f = SYNF(C1, 1001, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"web1 weight 5, data of A", .act = {DO_WEIGHT(0, 5)},
			 .f = ACKF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
		},
	},
	{
		.name = "weight 0 quiesces: existing flow stays, new SYNs go elsewhere",
		.svc = WEB_SVC,
		.be = WEB12,
		.step = {
			{"SYN A", .f = SYNF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"web1 weight 0, data of A", .act = {DO_WEIGHT(0, 0)},
			 .f = ACKF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"new SYN", .f = SYNF(C2, 2000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"another new SYN", .f = SYNF(C2, 2001, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"a SYN reusing A's ports is a new connection",
			 .f = SYNF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
		},
	},
	{
		.name = "backend set --down moves its flow (down_resched), gets no new flows",
		.svc = WEB_SVC,
		.be = WEB12,
		.step = {
			{"SYN A", .f = SYNF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"SYN B", .f = SYNF(C1, 1001, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"web1 down, data of A: re-scheduled by Maglev",
			 .act = {DO_DOWN(0)},
			 .f = ACKF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1),
			 .stats = FWD | RESCHED},
			{"new SYN", .f = SYNF(C2, 2000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"another new SYN", .f = SYNF(C2, 2001, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"web1 up again, data of A stays on web2",
			 .act = {DO_UP(0)},
			 .f = ACKF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
		},
	},
	{
		.name = "backend del drains: existing flow continues, new SYNs never go to it",
		.svc = WEB_SVC,
		.be = WEB12,
		.step = {
			{"SYN A", .f = SYNF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"SYN B", .f = SYNF(C1, 1001, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"del web1, data of A", .act = {DO_DEL(0)},
			 .f = ACKF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"new SYN 1", .f = SYNF(C1, 1002, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"new SYN 2", .f = SYNF(C1, 1003, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"new SYN 3", .f = SYNF(C2, 2000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"data of A, still draining to web1",
			 .f = ACKF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"a SYN reusing A's ports is a new connection",
			 .f = SYNF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
		},
	},
	{
		.name = "re-adding a draining backend revives it, flows and all",
		.svc = WEB_SVC,
		.be = WEB12,
		.step = {
			{"SYN A", .f = SYNF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"del web1, new SYN", .act = {DO_DEL(0)},
			 .f = SYNF(C1, 1001, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"add web1 again, data of A", .act = {DO_ADD(0)},
			 .f = ACKF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"new SYN (cursor at 1 of web1 web2)",
			 .f = SYNF(C1, 1002, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"new SYN goes to web1 again",
			 .f = SYNF(C1, 1003, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
		},
	},
	{
		.name = "persistence: same client, other source ports -> same backend",
		.svc = {PERSIST_SVC(VIP1, 80, 300)},
		.be = WEB12,
		.step = {
			{"client 1, SYN", .f = SYNF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"client 1, SYN from another port",
			 .f = SYNF(C1, 1001, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD | PERSIST},
			{"client 1, SYN from a third port",
			 .f = SYNF(C1, 1002, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD | PERSIST},
			{"client 2, SYN: next of the schedule",
			 .f = SYNF(C2, 2000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"client 2, SYN from another port",
			 .f = SYNF(C2, 2001, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD | PERSIST},
			{"frag-needed about client 1 port 1009 (no flow): its server",
			 .f = FRAG_NEEDED(C1, 1009, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = ICMP_FWD},
			{"frag-needed about client 1 port 1010 (no flow): its server",
			 .f = FRAG_NEEDED(C1, 1010, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = ICMP_FWD},
			{"frag-needed about client 1 port 1011 (no flow): its server",
			 .f = FRAG_NEEDED(C1, 1011, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = ICMP_FWD},
			{"frag-needed about client 2 port 2009 (no flow): its server",
			 .f = FRAG_NEEDED(C2, 2009, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = ICMP_FWD},
			{"frag-needed about client 2 port 2010 (no flow): its server",
			 .f = FRAG_NEEDED(C2, 2010, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = ICMP_FWD},
			{"frag-needed about client 2 port 2011 (no flow): its server",
			 .f = FRAG_NEEDED(C2, 2011, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = ICMP_FWD},
		},
	},
	{
		.name = "persistence not honoured for a down backend",
		.svc = {PERSIST_SVC(VIP1, 80, 300)},
		.be = WEB12,
		.step = {
			{"client 1, SYN", .f = SYNF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"web1 down, client 1 SYN from another port",
			 .act = {DO_DOWN(0)},
			 .f = SYNF(C1, 1001, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"web1 up, client 1 now sticks to web2",
			 .act = {DO_UP(0)},
			 .f = SYNF(C1, 1002, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD | PERSIST},
		},
	},
	{
		.name = "persistence not honoured for a removed (draining) backend",
		.svc = {PERSIST_SVC(VIP1, 80, 300)},
		.be = WEB12,
		.step = {
			{"client 1, SYN", .f = SYNF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"del web1, client 1 SYN from another port",
			 .act = {DO_DEL(0)},
			 .f = SYNF(C1, 1001, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"the first flow still drains to web1",
			 .f = ACKF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
		},
	},
	{
		.name = "persistence honoured for a weight 0 backend",
		.svc = {PERSIST_SVC(VIP1, 80, 300)},
		.be = WEB12,
		.step = {
			{"client 1, SYN", .f = SYNF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"web1 weight 0, client 1 SYN from another port",
			 .act = {DO_WEIGHT(0, 0)},
			 .f = SYNF(C1, 1001, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD | PERSIST},
			{"client 2, SYN: not to web1",
			 .f = SYNF(C2, 2000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
		},
	},
	{
		.name = "UDP flow idle past udp_timeout is re-scheduled; TCP flow of that age stays",
		.svc = {UDP_SVC(VIP3, 53, LBXDP_SCHED_WRR),
			TCP_SVC(VIP1, 80, LBXDP_SCHED_WRR)},
		.be = {WEB(1, 1), WEB(2, 1), WEB(3, 1, .svc = 1)},
		.step = {
			{"UDP flow", .f = UDPF(C1, 5000, VIP3, 53),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"udp_timeout 1 s, same flow at once",
			 .act = {DO_UDP_TIMEOUT(1)},
			 .f = UDPF(C1, 5000, VIP3, 53),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"same flow after 3 s idle: scheduled anew",
			 .act = {DO_AGE(3)},
			 .f = UDPF(C1, 5000, VIP3, 53),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"and it stays there",
			 .f = UDPF(C1, 5000, VIP3, 53),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"TCP flow", .f = SYNF(C1, 5000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(2), .stats = FWD},
			{"TCP flow after 3 s idle (tcp_timeout 900 s)",
			 .act = {DO_AGE(3)},
			 .f = ACKF(C1, 5000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(2), .stats = FWD},
		},
	},
	{
		.name = "inactive VIP (VRRP backup) -> PASS untouched",
		.svc = WEB_SVC,
		.be = WEB12,
		.step = {
			{"SYN while active", .f = SYNF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"clear the active flag, data of the flow",
			 .act = {DO_INACTIVE(0)},
			 .f = ACKF(C1, 1000, VIP1, 80),
			 .verdict = XDP_PASS, .out = SAME, .stats = INACTIVE},
			{"new SYN", .f = SYNF(C1, 1001, VIP1, 80),
			 .verdict = XDP_PASS, .out = SAME, .stats = INACTIVE},
			{"frag-needed about the flow",
			 .f = FRAG_NEEDED(C1, 1000, 80),
			 .verdict = XDP_PASS, .out = SAME, .stats = INACTIVE},
			{"active again (VRRP master): the flow is forwarded",
			 .act = {DO_ACTIVE(0)},
			 .f = ACKF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
		},
	},
	{
		.name = "flood guard: beyond the rate a SYN goes by Maglev without an entry; its ACK gets one",
		.svc = WEB_SVC,
		.be = WEB12,
		.step = {
			{"rate 1/s: the second's first SYN is tracked (wrr)",
			 .act = {DO_FLOOD(1)}, .f = SYNF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"the next SYN: Maglev, no entry",
			 .f = SYNF(C2, 2000, VIP1, 80),
			 .verdict = XDP_TX, .out = MAGLEV, .stats = FWD | FLOOD},
			{"its ACK misses the table: the same Maglev slot, the entry made",
			 .f = ACKF(C2, 2000, VIP1, 80),
			 .verdict = XDP_TX, .out = MAGLEV, .stats = FWD | MISS},
			{"memos forgotten: the entry is there",
			 .act = {DO_FORGET}, .f = ACKF(C2, 2000, VIP1, 80),
			 .verdict = XDP_TX, .out = MAGLEV, .stats = FWD},
			{"a retransmitted SYN of the tracked flow: its entry's server",
			 .f = SYNF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"the tracked flow keeps its server",
			 .f = ACKF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"guard off: a SYN is tracked by wrr again",
			 .act = {DO_FLOOD(0)}, .f = SYNF(C2, 2001, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"its ACK finds its entry",
			 .f = ACKF(C2, 2001, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
		},
	},
	{
		.name = "flood guard: over the rate it holds 3 s, though a new second began; then a SYN is tracked again",
		.svc = WEB_SVC,
		.be = WEB12,
		.step = {
			{"rate 1/s: the second's first SYN is tracked (wrr)",
			 .act = {DO_FLOOD(1)}, .f = SYNF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"the next is over the rate: Maglev",
			 .f = SYNF(C2, 2000, VIP1, 80),
			 .verdict = XDP_TX, .out = MAGLEV, .stats = FWD | FLOOD},
			{"2 s later, the first of its second: the guard holds",
			 .act = {DO_FLOOD_AGE(2)}, .f = SYNF(C2, 2001, VIP1, 80),
			 .verdict = XDP_TX, .out = MAGLEV, .stats = FWD | FLOOD},
			{"4 s after the last over: tracked by wrr again",
			 .act = {DO_FLOOD_AGE(4)}, .f = SYNF(C2, 2002, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
		},
	},
	{
		.name = "flood guard: an mh VIP's SYN beyond the rate goes by Maglev too",
		.svc = {TCP_SVC(VIP1, 80, LBXDP_SCHED_MH)},
		.be = WEB12,
		.step = {
			{"rate 1/s: the second's first SYN is tracked",
			 .act = {DO_FLOOD(1)}, .f = SYNF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = MAGLEV, .stats = FWD},
			{"the next SYN: no entry",
			 .f = SYNF(C2, 2000, VIP1, 80),
			 .verdict = XDP_TX, .out = MAGLEV, .stats = FWD | FLOOD},
			{"its ACK misses the table, lands alike, makes the entry",
			 .f = ACKF(C2, 2000, VIP1, 80),
			 .verdict = XDP_TX, .out = MAGLEV, .stats = FWD | MISS},
			{"memos forgotten: the entry is there",
			 .act = {DO_FORGET}, .f = ACKF(C2, 2000, VIP1, 80),
			 .verdict = XDP_TX, .out = MAGLEV, .stats = FWD},
		},
	},
	{
		.name = "flood guard: UDP of an mh VIP beyond the rate goes by Maglev and gets no entry while it lasts",
		.svc = {UDP_SVC(VIP3, 53, LBXDP_SCHED_MH)},
		.be = WEB12,
		.step = {
			{"rate 1/s: the second's first flow is tracked",
			 .act = {DO_FLOOD(1)}, .f = UDPF(C1, 5000, VIP3, 53),
			 .verdict = XDP_TX, .out = MAGLEV, .stats = FWD},
			{"another flow: no entry",
			 .f = UDPF(C2, 5001, VIP3, 53),
			 .verdict = XDP_TX, .out = MAGLEV, .stats = FWD | FLOOD},
			{"its next packet: Maglev again, still no entry",
			 .f = UDPF(C2, 5001, VIP3, 53),
			 .verdict = XDP_TX, .out = MAGLEV, .stats = FWD | FLOOD},
			{"the tracked flow finds its entry",
			 .f = UDPF(C1, 5000, VIP3, 53),
			 .verdict = XDP_TX, .out = MAGLEV, .stats = FWD},
		},
	},
	{
		.name = "flood guard: UDP of a wrr VIP is always tracked (its packets must not move when the guard lets go)",
		.svc = {UDP_SVC(VIP3, 53, LBXDP_SCHED_WRR)},
		.be = WEB12,
		.step = {
			{"rate 1/s, a flow", .act = {DO_FLOOD(1)},
			 .f = UDPF(C1, 5000, VIP3, 53),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"another flow: wrr, tracked",
			 .f = UDPF(C2, 5001, VIP3, 53),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"its next packet finds its entry",
			 .f = UDPF(C2, 5001, VIP3, 53),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
		},
	},
	{
		.name = "flood guard: a VIP with persistence keeps its state",
		.svc = {PERSIST_SVC(VIP1, 80, 300)},
		.be = WEB12,
		.step = {
			{"rate 1/s, client 1 SYN",
			 .act = {DO_FLOOD(1)}, .f = SYNF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"client 1 SYN from another port: its persistent server",
			 .f = SYNF(C1, 1001, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD | PERSIST},
			{"its ACK finds an entry",
			 .f = ACKF(C1, 1001, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
		},
	},
	{
		.name = "flow memo: a busy flow skips the table; without it, a miss goes by Maglev",
		.svc = WEB_SVC,
		.be = WEB12,
		.step = {
			{"SYN", .f = SYNF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"data: from the flow table, memo written",
			 .f = ACKF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"its backend down: the memo is not used, the flow moves",
			 .act = {DO_DOWN(0)}, .f = ACKF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD | RESCHED},
			{"backend up again: the flow stays where it moved",
			 .act = {DO_UP(0)}, .f = ACKF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"flow evicted: this CPU's memo still knows it",
			 .act = {DO_EVICT}, .f = ACKF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"memo forgotten too: a miss, placed by Maglev",
			 .act = {DO_FORGET}, .f = ACKF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = MAGLEV, .stats = FWD | MISS},
		},
	},
	{
		.name = "flow memo: a VIP made inactive or deleted stops its memoized flows at once",
		.svc = WEB_SVC,
		.be = WEB12,
		.step = {
			{"SYN", .f = SYNF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"data: from the table, memo written",
			 .f = ACKF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"VIP inactive (VRRP backup): data to the kernel",
			 .act = {DO_INACTIVE(0)}, .f = ACKF(C1, 1000, VIP1, 80),
			 .verdict = XDP_PASS, .out = SAME, .stats = INACTIVE},
			{"active again: forwarded, memo written again",
			 .act = {DO_ACTIVE(0)}, .f = ACKF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"VIP deleted: data to the kernel",
			 .act = {DO_VIP_DEL(0)}, .f = ACKF(C1, 1000, VIP1, 80),
			 .verdict = XDP_PASS, .out = SAME, .stats = PASSED},
		},
	},
	{
		.name = "vip del: established flows and new ones go to the kernel",
		.svc = WEB_SVC,
		.be = WEB12,
		.step = {
			{"SYN", .f = SYNF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"vip del, data of the flow", .act = {DO_VIP_DEL(0)},
			 .f = ACKF(C1, 1000, VIP1, 80),
			 .verdict = XDP_PASS, .out = SAME, .stats = PASSED},
			{"new SYN", .f = SYNF(C1, 1001, VIP1, 80),
			 .verdict = XDP_PASS, .out = SAME, .stats = PASSED},
		},
	},
	{
		.name = "ICMP frag-needed about a VIP flow -> its backend (icmp_forwarded); other ICMP -> PASS",
		.svc = WEB_SVC,
		.be = WEB12,
		.step = {
			{"SYN A", .f = SYNF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = FWD},
			{"SYN B", .f = SYNF(C1, 1001, VIP1, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = FWD},
			{"frag-needed quoting A's reply",
			 .f = FRAG_NEEDED(C1, 1000, 80),
			 .verdict = XDP_TX, .out = TO(0), .stats = ICMP_FWD},
			{"frag-needed quoting B's reply",
			 .f = FRAG_NEEDED(C1, 1001, 80),
			 .verdict = XDP_TX, .out = TO(1), .stats = ICMP_FWD},
			{"frag-needed about an unknown flow: Maglev",
			 .f = FRAG_NEEDED(C2, 3000, 80),
			 .verdict = XDP_TX, .out = MAGLEV, .stats = ICMP_FWD},
			{"echo request to the VIP",
			 .f = ICMPF(C1, VIP1, 8, 0, 0, 0, 0),
			 .verdict = XDP_PASS, .out = SAME, .stats = ICMP_PASS},
			{"port unreachable quoting A's reply",
			 .f = ICMPF(ROUTER, VIP1, 3, 3, C1, 1000, 80),
			 .verdict = XDP_PASS, .out = SAME, .stats = ICMP_PASS},
			{"frag-needed quoting a port without a service",
			 .f = FRAG_NEEDED(C1, 1000, 81),
			 .verdict = XDP_PASS, .out = SAME, .stats = ICMP_PASS},
			{"fragment of a big echo request to the VIP (ping -s 3000)",
			 .f = ICMPF(C1, VIP1, 8, 0, 0, 0, 0,
				    .mangle = M_FRAG_FIRST),
			 .verdict = XDP_PASS, .out = SAME, .stats = PASSED},
			{"echo request with IP options to the VIP",
			 .f = ICMPF(C1, VIP1, 8, 0, 0, 0, 0,
				    .mangle = M_IP_OPTIONS),
			 .verdict = XDP_PASS, .out = SAME, .stats = PASSED},
			{"echo request to a non-VIP address",
			 .f = ICMPF(C1, NOT_VIP, 8, 0, 0, 0, 0),
			 .verdict = XDP_PASS, .out = SAME, .stats = PASSED},
		},
	},
	{
		.name = "TCP non-SYN without a flow -> user-space Maglev's pick (flow_miss_nonsyn), even for wrr",
		.svc = WEB_SVC,
		.be = {WEB(1, 1), WEB(2, 2), WEB(3, 3)},
		.step = {
			{"data of unknown flow 1", .f = ACKF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = MAGLEV, .stats = FWD | MISS},
			{"data of unknown flow 2", .f = ACKF(C1, 1001, VIP1, 80),
			 .verdict = XDP_TX, .out = MAGLEV, .stats = FWD | MISS},
			{"data of unknown flow 3", .f = ACKF(C2, 1002, VIP1, 80),
			 .verdict = XDP_TX, .out = MAGLEV, .stats = FWD | MISS},
			{"data of unknown flow 4", .f = ACKF(C2, 1003, VIP1, 80),
			 .verdict = XDP_TX, .out = MAGLEV, .stats = FWD | MISS},
			{"flow 1 again: now known", .f = ACKF(C1, 1000, VIP1, 80),
			 .verdict = XDP_TX, .out = MAGLEV, .stats = FWD},
		},
	},

	/* Malformed frames (BAD_CASE). */
	BAD_TCP("bad IP version -> DROP malformed; non-VIP -> PASS",
		M_BAD_VERSION, MALFORMED),
	BAD_TCP("IHL < 5 -> DROP malformed; non-VIP -> PASS", M_BAD_IHL,
		MALFORMED),
	BAD_TCP("tot_len beyond the frame -> DROP malformed; non-VIP -> PASS",
		M_TOT_LEN_BIG, MALFORMED),
	BAD_TCP("tot_len below the header -> DROP malformed; non-VIP -> PASS",
		M_TOT_LEN_SMALL, MALFORMED),
	BAD_TCP("truncated TCP header -> DROP malformed; non-VIP -> PASS",
		M_TRUNC_TCP, MALFORMED),
	BAD_TCP("TCP doff < 5 -> DROP malformed; non-VIP -> PASS",
		M_DOFF_SMALL, MALFORMED),
	BAD_CASE("TCP doff past tot_len -> DROP malformed; non-VIP -> PASS",
		 ACKF(C1, 1000, VIP1, 80, .mangle = M_DOFF_BIG),
		 ACKF(C1, 1000, NOT_VIP, 80, .mangle = M_DOFF_BIG),
		 MALFORMED),
	BAD_CASE("truncated UDP header -> DROP malformed; non-VIP -> PASS",
		 UDPF(C1, 1000, VIP1, 80, .mangle = M_TRUNC_UDP),
		 UDPF(C1, 1000, NOT_VIP, 80, .mangle = M_TRUNC_UDP),
		 MALFORMED),
	BAD_TCP("first fragment (MF) -> DROP fragment; non-VIP -> PASS",
		M_FRAG_FIRST, FRAGMENT),
	BAD_TCP("later fragment (offset) -> DROP fragment; non-VIP -> PASS",
		M_FRAG_LATER, FRAGMENT),
	BAD_TCP("IP options -> DROP ip_options; non-VIP -> PASS",
		M_IP_OPTIONS, IP_OPTS),
	{
		.name = "frame too short for an IPv4 header, to a VIP -> PASS",
		.svc = WEB_SVC,
		.be = WEB12,
		.step = {
			{"12 bytes of IPv4 header",
			 .f = SYNF(C1, 1000, VIP1, 80, .mangle = M_SHORT_IP),
			 .verdict = XDP_PASS, .out = SAME, .stats = PASSED},
		},
	},
	{
		.name = "fragment to a VIP address, any port -> DROP fragment",
		.svc = WEB_SVC,
		.be = WEB12,
		.step = {
			{"first fragment to a port without a service",
			 .f = SYNF(C1, 1000, VIP1, 81, .mangle = M_FRAG_FIRST),
			 .verdict = XDP_DROP, .out = SAME, .stats = FRAGMENT},
			{"UDP later fragment",
			 .f = UDPF(C1, 1000, VIP1, 53, .mangle = M_FRAG_LATER),
			 .verdict = XDP_DROP, .out = SAME, .stats = FRAGMENT},
		},
	},
	{
		/* DESIGN.md §3 and the program's own header: anything not
		 * addressed to our MAC is passed untouched. */
		.name = "fragment to a VIP address, not our MAC -> PASS untouched",
		.svc = WEB_SVC,
		.be = WEB12,
		.step = {
			{"first fragment, another host's MAC",
			 .f = SYNF(C1, 1000, VIP1, 80, .mangle = M_FRAG_FIRST,
				   .other_mac = true),
			 .verdict = XDP_PASS, .out = SAME, .stats = NOT_OURS},
		},
	},
};

void test_cases(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		fixture_run(&cases[i]);
}
