// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Frame builders for the fixtures: see frames.h. */
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/if_ether.h>
#include "frames.h"

#define IP_DF 0x4000
#define IP_MF 0x2000
#define ETH_HLEN_ 14
#define ARP_LEN 28
#define ICMP_HLEN 8

const __u8 peer_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
const __u8 other_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x99};

static const __u8 bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const char tcp_data[] = "hello\n";   /* 6 bytes on data segments */
static const char udp_data[] = "lbxdp-q\n"; /* 8 bytes */

static void put16(__u8 *p, __u16 v)
{
	v = htons(v);
	memcpy(p, &v, sizeof(v));
}

static void put32(__u8 *p, __u32 v)
{
	v = htonl(v);
	memcpy(p, &v, sizeof(v));
}

__u16 csum16(const void *data, size_t len, __u32 sum)
{
	const __u8 *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (__u32)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* Sum of the TCP/UDP pseudo-header, not folded. */
static __u32 pseudo_sum(__u32 saddr, __u32 daddr, __u8 proto, __u32 len)
{
	return (saddr >> 16) + (saddr & 0xffff) + (daddr >> 16) +
	       (daddr & 0xffff) + proto + len;
}

static void ip_csum(__u8 *ip)
{
	unsigned int hl = (ip[0] & 0x0f) * 4;

	put16(ip + 10, 0);
	put16(ip + 10, csum16(ip, hl < 20 ? 20 : hl, 0));
}

static void build_arp(struct frame *f, const struct fspec *s)
{
	__u8 *a = f->data + ETH_HLEN_;

	memcpy(f->data, bcast_mac, 6);
	put16(a, 1);		/* Ethernet */
	put16(a + 2, ETH_P_IP); /* protocol */
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1); /* request */
	memcpy(a + 8, peer_mac, 6);
	put32(a + 14, s->saddr);
	memset(a + 18, 0, 6);
	put32(a + 24, s->daddr);
	f->len = ETH_HLEN_ + ARP_LEN;
}

static __u32 build_tcp(__u8 *l4, const struct fspec *s)
{
	__u32 len = 20;

	put16(l4, s->sport);
	put16(l4 + 2, s->dport);
	put32(l4 + 4, 0x10000000U + s->sport); /* seq */
	put32(l4 + 8, s->tcp_flags & TH_ACK ? 0x20000000U : 0);
	l4[12] = 5 << 4;
	l4[13] = s->tcp_flags;
	put16(l4 + 14, 65535); /* window */
	if (!(s->tcp_flags & TH_SYN)) {
		memcpy(l4 + len, tcp_data, sizeof(tcp_data) - 1);
		len += sizeof(tcp_data) - 1;
	}
	return len;
}

static __u32 build_udp(__u8 *l4, const struct fspec *s)
{
	__u32 len = 8 + sizeof(udp_data) - 1;

	put16(l4, s->sport);
	put16(l4 + 2, s->dport);
	put16(l4 + 4, len);
	memcpy(l4 + 8, udp_data, sizeof(udp_data) - 1);
	return len;
}

static __u32 build_icmp(__u8 *l4, const struct fspec *s)
{
	__u8 *q = l4 + ICMP_HLEN;
	__u32 len = ICMP_HLEN;

	l4[0] = s->icmp_type;
	l4[1] = s->icmp_code;
	if (s->icmp_type == 3 || s->icmp_type == 11) {
		/* An error quotes the offending packet: the server's reply,
		 * whose source is the VIP we are asked about. */
		if (s->icmp_type == 3 && s->icmp_code == 4)
			put16(l4 + 6, 1400); /* next-hop MTU */
		q[0] = 0x45;
		put16(q + 2, 1500);
		put16(q + 4, 0x4242);
		put16(q + 6, IP_DF);
		q[8] = 63;
		q[9] = s->inner.proto;
		put32(q + 12, s->inner.vip ? s->inner.vip : s->daddr);
		put32(q + 16, s->inner.client);
		ip_csum(q);
		put16(q + 20, s->inner.vport);
		put16(q + 22, s->inner.cport);
		put32(q + 24, 0x30000000U); /* seq, or UDP len+csum */
		len += 28;
	} else {
		put16(l4 + 4, 0x4242); /* echo id */
		put16(l4 + 6, 1);      /* echo seq */
		memcpy(q, udp_data, sizeof(udp_data) - 1);
		len += sizeof(udp_data) - 1;
	}
	return len;
}

static void l4_csum(__u8 *l4, __u32 l4len, const struct fspec *s)
{
	__u32 sum;

	switch (s->proto) {
	case IPPROTO_TCP:
		sum = pseudo_sum(s->saddr, s->daddr, IPPROTO_TCP, l4len);
		put16(l4 + 16, csum16(l4, l4len, sum));
		break;
	case IPPROTO_UDP:
		sum = pseudo_sum(s->saddr, s->daddr, IPPROTO_UDP, l4len);
		put16(l4 + 6, csum16(l4, l4len, sum));
		break;
	case IPPROTO_ICMP:
		put16(l4 + 2, csum16(l4, l4len, 0));
		break;
	}
}

static void mangle(struct frame *f, enum mangle m)
{
	__u8 *ip = f->data + ETH_HLEN_;
	__u8 *l4 = ip + 20;

	switch (m) {
	case M_NONE:
	case M_IP_OPTIONS: /* built in */
	case M_IP_OPTIONS_MAX:
		return;
	case M_OPTIONS_TRUNC:
		f->len = ETH_HLEN_ + 24 + 2;
		put16(ip + 2, 26);
		break;
	case M_OPTIONS_FRAG:
		put16(ip + 6, IP_MF);
		break;
	case M_SHORT_IP:
		f->len = ETH_HLEN_ + 12;
		return; /* no whole header to checksum */
	case M_BAD_VERSION:
		ip[0] = 0x65;
		break;
	case M_BAD_IHL:
		ip[0] = 0x44;
		break;
	case M_TOT_LEN_BIG:
		put16(ip + 2, f->len - ETH_HLEN_ + 4);
		break;
	case M_TOT_LEN_SMALL:
		put16(ip + 2, 16);
		break;
	case M_TRUNC_TCP:
		f->len = ETH_HLEN_ + 20 + 10;
		put16(ip + 2, 30);
		break;
	case M_DOFF_SMALL:
		l4[12] = 4 << 4;
		break;
	case M_DOFF_BIG:
		l4[12] = 15 << 4; /* 60 bytes; tot_len has 26 or 20 after IP */
		break;
	case M_TRUNC_UDP:
		f->len = ETH_HLEN_ + 20 + 4;
		put16(ip + 2, 24);
		break;
	case M_FRAG_FIRST:
		put16(ip + 6, IP_MF);
		break;
	case M_FRAG_LATER:
		put16(ip + 6, 1480 / 8);
		break;
	case M_PAD:
		f->len += 8; /* zeroed by frame_build() */
		return;
	case M_UDP_LEN_0:
		put16(l4 + 4, 0);
		return; /* the UDP checksum goes stale: nothing checks it */
	case M_UDP_LEN_SMALL:
		put16(l4 + 4, 7);
		return;
	case M_UDP_LEN_BIG:
		put16(l4 + 4, f->len - ETH_HLEN_ - 20 + 1);
		return;
	case M_UDP_LEN_SHORT:
		put16(l4 + 4, 8);
		return;
	case M_RESERVED_FLAG:
		put16(ip + 6, 0x8000 | IP_DF);
		break;
	case M_QUOTE_PAD:
		put16(ip + 2, 20 + ICMP_HLEN + 20);
		break;
	}
	ip_csum(ip);
}

void frame_build(struct frame *f, const struct fspec *s, const __u8 our_mac[6])
{
	__u8 *ip = f->data + ETH_HLEN_, *l4;
	__u32 iphl = 20, l4len = 0;

	if (s->mangle == M_IP_OPTIONS || s->mangle == M_OPTIONS_TRUNC ||
	    s->mangle == M_OPTIONS_FRAG)
		iphl = 24;
	else if (s->mangle == M_IP_OPTIONS_MAX)
		iphl = 60;
	memset(f, 0, sizeof(*f));
	memcpy(f->data, s->other_mac ? other_mac : our_mac, 6);
	memcpy(f->data + 6, peer_mac, 6);
	put16(f->data + 12, s->ethertype ? s->ethertype : ETH_P_IP);
	if (s->ethertype == ETH_P_ARP) {
		build_arp(f, s);
		return;
	}

	l4 = ip + iphl;
	if (s->proto == IPPROTO_TCP)
		l4len = build_tcp(l4, s);
	else if (s->proto == IPPROTO_UDP)
		l4len = build_udp(l4, s);
	else if (s->proto == IPPROTO_ICMP)
		l4len = build_icmp(l4, s);

	ip[0] = 0x40 | iphl / 4;
	put16(ip + 2, iphl + l4len);
	put16(ip + 4, s->sport ^ 0x1d00); /* id */
	put16(ip + 6, IP_DF);
	ip[8] = 64;
	ip[9] = s->proto;
	put32(ip + 12, s->saddr);
	put32(ip + 16, s->daddr);
	if (iphl >= 24) {
		ip[20] = 0x94; /* Router Alert, RFC 2113 */
		ip[21] = 4;
		memset(ip + 24, 1, iphl - 24); /* NOPs */
	}
	ip_csum(ip);
	l4_csum(l4, l4len, s);
	f->len = ETH_HLEN_ + iphl + l4len;
	mangle(f, s->mangle);
}

void frame_forwarded(struct frame *out, const struct frame *in,
		     const __u8 be_mac[6], const __u8 src_mac[6])
{
	*out = *in;
	memcpy(out->data, be_mac, 6);
	memcpy(out->data + 6, src_mac, 6);
}
