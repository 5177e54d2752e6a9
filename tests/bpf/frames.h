/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Hand-built Ethernet frames for the fixtures: IPv4 TCP/UDP/ICMP and ARP,
 * with valid checksums, and the ways to break them (enum mangle). Addresses
 * are host order in the spec, network order on the wire; tests use only
 * 198.18.0.0/15.
 */
#ifndef LBXDP_TEST_FRAMES_H
#define LBXDP_TEST_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define FRAME_MAX 512

struct frame {
	__u8 data[FRAME_MAX];
	__u32 len;
};

#define IP4(a, b, c, d) \
	((__u32)(a) << 24 | (__u32)(b) << 16 | (__u32)(c) << 8 | (__u32)(d))

/* TCP flag bits, byte 13 of the header. */
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

/* The sender's MAC (the router or client side of the veth). */
extern const __u8 peer_mac[6];
/* A unicast MAC that is not the load balancer's. */
extern const __u8 other_mac[6];

/* How to break an otherwise well-formed frame. */
enum mangle {
	M_NONE,
	M_SHORT_IP,	  /* frame ends 12 bytes into the IPv4 header */
	M_BAD_VERSION,	  /* version 6 under ethertype IPv4 */
	M_BAD_IHL,	  /* IHL 4 (16 bytes) */
	M_TOT_LEN_BIG,	  /* tot_len 4 bytes past the frame */
	M_TOT_LEN_SMALL,  /* tot_len 16, less than the header */
	M_TRUNC_TCP,	  /* 10 of the 20 TCP header bytes */
	M_DOFF_SMALL,	  /* TCP data offset 4 */
	M_DOFF_BIG,	  /* TCP data offset 6, past tot_len */
	M_TRUNC_UDP,	  /* 4 of the 8 UDP header bytes */
	M_FRAG_FIRST,	  /* first fragment: MF set, offset 0 */
	M_FRAG_LATER,	  /* last fragment: offset 1480, MF clear */
	M_IP_OPTIONS,	  /* IHL 6 with a Router Alert option */
	M_IP_OPTIONS_MAX, /* IHL 15: Router Alert, then NOPs */
	M_OPTIONS_TRUNC,  /* IHL 6, the frame and tot_len end 2 bytes later */
	M_OPTIONS_FRAG,	  /* IHL 6 on a first fragment (MF) */
	M_PAD,		  /* 8 zero bytes after tot_len (Ethernet padding) */
	M_UDP_LEN_0,	  /* UDP length 0 */
	M_UDP_LEN_SMALL,  /* UDP length 7, less than its header */
	M_UDP_LEN_BIG,	  /* UDP length 1 byte past tot_len */
	M_UDP_LEN_SHORT,  /* UDP length 8: the payload lies past it */
	M_RESERVED_FLAG,  /* the reserved IP flag bit (0x8000) set */
	M_QUOTE_PAD,	  /* tot_len ends with the quoted IP header: the
			   * quoted ports lie in the padding after it */
};

/* The header an ICMP error quotes: the server's reply, VIP -> client. */
struct icmp_inner {
	__u8 proto;
	__u32 client; /* quoted destination */
	__u16 cport;
	__u16 vport; /* quoted source port */
	__u32 vip;   /* quoted source; 0: the outer destination */
};

struct fspec {
	__u16 ethertype; /* 0: IPv4; ETH_P_ARP builds a who-has for daddr */
	bool other_mac;	 /* destination MAC not the load balancer's */
	__u8 proto;	 /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP */
	__u32 saddr, daddr;
	__u16 sport, dport;
	__u8 tcp_flags; /* TH_*; data frames (no SYN) carry 6 bytes */
	__u8 icmp_type, icmp_code;
	struct icmp_inner inner; /* for ICMP types 3 and 11 */
	enum mangle mangle;
};

#define TCPF(src, sp, dst, dp, flags, ...)                           \
	{                                                            \
		.proto = IPPROTO_TCP, .saddr = (src), .sport = (sp), \
		.daddr = (dst), .dport = (dp), .tcp_flags = (flags), \
		__VA_ARGS__                                          \
	}
#define SYNF(src, sp, dst, dp, ...) TCPF(src, sp, dst, dp, TH_SYN, __VA_ARGS__)
#define ACKF(src, sp, dst, dp, ...) \
	TCPF(src, sp, dst, dp, TH_ACK | TH_PSH, __VA_ARGS__)
#define UDPF(src, sp, dst, dp, ...)                                  \
	{                                                            \
		.proto = IPPROTO_UDP, .saddr = (src), .sport = (sp), \
		.daddr = (dst), .dport = (dp), __VA_ARGS__           \
	}
/* ICMP from @src to @dst; quoting (dst:vp -> client:cp) for errors. */
#define ICMPF(src, dst, type, code, cl, cp, vp, ...)                   \
	{                                                              \
		.proto = IPPROTO_ICMP, .saddr = (src), .daddr = (dst), \
		.icmp_type = (type), .icmp_code = (code),              \
		.inner = {.proto = IPPROTO_TCP,                        \
			  .client = (cl),                              \
			  .cport = (cp),                               \
			  .vport = (vp)},                              \
		__VA_ARGS__                                            \
	}

/* Build @s into @f; the destination MAC is @our_mac unless s->other_mac. */
void frame_build(struct frame *f, const struct fspec *s, const __u8 our_mac[6]);

/* Internet checksum of @len bytes (folded, complemented). */
__u16 csum16(const void *data, size_t len, __u32 sum);

/* The frame a DR forward of @in must produce. */
void frame_forwarded(struct frame *out, const struct frame *in,
		     const __u8 be_mac[6], const __u8 src_mac[6]);

#endif /* LBXDP_TEST_FRAMES_H */
