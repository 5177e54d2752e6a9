// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* What a user types: services, addresses, MACs, numbers, schedulers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "lbxdp/abi.h"
#include "parse.h"

struct svc_ok {
	const char *in;
	const char *addr;
	__u16 port;
	__u8 proto;
	const char *out; /* lbxdp_format_service() of the result */
};

static void test_service_good(void **state)
{
	static const struct svc_ok cases[] = {
		{"192.168.4.15:80", "192.168.4.15", 80, IPPROTO_TCP,
		 "192.168.4.15:80/tcp"},
		{"192.168.4.15:80/tcp", "192.168.4.15", 80, IPPROTO_TCP,
		 "192.168.4.15:80/tcp"},
		{"198.18.0.10:53/udp", "198.18.0.10", 53, IPPROTO_UDP,
		 "198.18.0.10:53/udp"},
		{"198.18.0.10:53/UDP", "198.18.0.10", 53, IPPROTO_UDP,
		 "198.18.0.10:53/udp"},
		{"10.0.0.1:0", "10.0.0.1", 0, IPPROTO_TCP, "10.0.0.1:0/tcp"},
		{"10.0.0.1:65535/udp", "10.0.0.1", 65535, IPPROTO_UDP,
		 "10.0.0.1:65535/udp"},
		{"0.0.0.0:443", "0.0.0.0", 443, IPPROTO_TCP, "0.0.0.0:443/tcp"},
	};
	char buf[LBXDP_SVC_STRLEN], err[128];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct svc_ok *c = &cases[i];
		struct lbxdp_vip_key k;
		struct lbxdp_vip_key want = {
			.port = htons(c->port),
			.proto = c->proto,
			.family = LBXDP_AF_INET,
		};

		memset(&k, 0xaa, sizeof(k));
		want.addr[0] = inet_addr(c->addr);
		err[0] = '\0';
		if (lbxdp_parse_service(c->in, &k, err, sizeof(err)))
			fail_msg("'%s' refused: %s", c->in, err);
		/* Whole key compared: no stray bytes in a hash map key. */
		assert_memory_equal(&k, &want, sizeof(k));
		assert_string_equal(lbxdp_format_service(&k, buf, sizeof(buf)),
				    c->out);
	}
}

struct svc_bad {
	const char *in;
	int ret;
	const char *err; /* NULL: any non-empty text */
};

static void test_service_bad(void **state)
{
	static const struct svc_bad cases[] = {
		{"", -EINVAL, NULL},
		{"1.2.3.4", -EINVAL, "missing ':PORT' in service '1.2.3.4'"},
		{"1.2.3.4:", -EINVAL,
		 "missing port after ':' in service '1.2.3.4:'"},
		{"1.2.3.4:/tcp", -EINVAL, NULL},
		{":80", -EINVAL, "missing address before ':' in service ':80'"},
		{"1.2.3.4:80/icmp", -EINVAL, "protocol 'icmp' not tcp or udp"},
		{"1.2.3.4:80/", -EINVAL, NULL},
		{"1.2.3.4:80/tcp/udp", -EINVAL, NULL},
		{"1.2.3.4:80/tcp:1", -EINVAL, NULL},
		{"1.2.3.4:-1", -EINVAL, "port '-1' is not a number 0-65535"},
		{"1.2.3.4:+80", -EINVAL, NULL},
		{"1.2.3.4: 80", -EINVAL, NULL},
		{"1.2.3.4:80 ", -EINVAL, NULL},
		{"1.2.3.4:0x50", -EINVAL, NULL},
		{"1.2.3.4:80x", -EINVAL, "port '80x' is not a number 0-65535"},
		{"1.2.3.4:65536", -EINVAL, "port '65536' out of range 0-65535"},
		{"1.2.3.4:99999999999999999999", -EINVAL,
		 "port '99999999999999999999' out of range 0-65535"},
		{"1.2.3:80", -EINVAL, "address '1.2.3' is not an IPv4 address"},
		{"1.2.3.256:80", -EINVAL, NULL},
		{"01.2.3.4:80", -EINVAL, NULL},
		{" 1.2.3.4:80", -EINVAL, NULL},
		{"web1:80", -EINVAL, "address 'web1' is not an IPv4 address"},
		{"1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20:80",
		 -EINVAL, NULL},
		{"::1:80", -EINVAL,
		 "IPv6 service '::1:80' must be written [ADDR]:PORT"},
		{"[::1:80", -EINVAL, NULL},
		{"[::1]80", -EINVAL, NULL},
		{"[1.2.3.4]:80", -EINVAL,
		 "address '1.2.3.4' is not an IPv6 address"},
		{"[2001:db8::1]:80", -EAFNOSUPPORT,
		 "IPv6 service '[2001:db8::1]:80' not supported yet"},
		{"[2001:db8::1]:80/udp", -EAFNOSUPPORT, NULL},
	};
	struct lbxdp_vip_key k, orig;
	char err[128];
	size_t i;

	memset(&orig, 0x5a, sizeof(orig));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct svc_bad *c = &cases[i];
		int ret;

		k = orig;
		err[0] = '\0';
		ret = lbxdp_parse_service(c->in, &k, err, sizeof(err));
		if (ret != c->ret)
			fail_msg("'%s': returned %d, want %d (%s)", c->in, ret,
				 c->ret, err);
		if (!err[0])
			fail_msg("'%s': no reason given", c->in);
		if (c->err && strcmp(err, c->err))
			fail_msg("'%s': reason \"%s\", want \"%s\"", c->in, err,
				 c->err);
		/* A refused service leaves the key alone. */
		assert_memory_equal(&k, &orig, sizeof(k));
	}
}

/* No room for a reason is not a crash, and a short buffer is cut. */
static void test_service_errbuf(void **state)
{
	struct lbxdp_vip_key k;
	char err[8];

	assert_int_equal(lbxdp_parse_service("1.2.3.4:x", &k, NULL, 0),
			 -EINVAL);
	assert_int_equal(lbxdp_parse_service(NULL, &k, NULL, 0), -EINVAL);
	assert_int_equal(lbxdp_parse_service("1.2.3.4:x", &k, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "port 'x");
}

static void test_addr(void **state)
{
	static const char *const bad[] = {
		"",	   "1.2.3",	 "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ",
		"a.b.c.d", "0x01020304", "16909060",  "::1",	   "1.2.3.-4",
	};
	__be32 addr[4] = {1, 2, 3, 4};
	char buf[INET6_ADDRSTRLEN];
	__u8 fam = 0;
	size_t i;

	assert_int_equal(lbxdp_parse_addr("192.168.4.100", addr, &fam), 0);
	assert_int_equal(fam, LBXDP_AF_INET);
	assert_int_equal(addr[0], inet_addr("192.168.4.100"));
	assert_int_equal(addr[1] | addr[2] | addr[3], 0);
	assert_string_equal(lbxdp_format_addr(addr, fam, buf, sizeof(buf)),
			    "192.168.4.100");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (lbxdp_parse_addr(bad[i], addr, &fam) != -EINVAL)
			fail_msg("address '%s' accepted", bad[i]);
	assert_int_equal(lbxdp_parse_addr(NULL, addr, &fam), -EINVAL);

	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", addr), 1);
	assert_string_equal(
		lbxdp_format_addr(addr, LBXDP_AF_INET6, buf, sizeof(buf)),
		"2001:db8::1");
	assert_string_equal(lbxdp_format_addr(addr, 7, buf, sizeof(buf)), "?");
}

static void test_mac(void **state)
{
	static const __u8 want[6] = {0x02, 0xab, 0xcd, 0xef, 0x00, 0x9f};
	static const char *const bad[] = {
		"",
		"02:ab:cd:ef:00",
		"02:ab:cd:ef:00:9f:11",
		"02:ab:cd:ef:00:9",
		"2:ab:cd:ef:00:9f",
		"02:ab:cd:ef:00:9g",
		"02:ab-cd:ef:00:9f",
		"02.ab.cd.ef.00.9f",
		"02abcdef009f",
		"02:ab:cd:ef:00:9f ",
		" 2:ab:cd:ef:00:9f",
	};
	__u8 mac[6];
	char buf[18];
	size_t i;

	assert_int_equal(lbxdp_parse_mac("02:ab:cd:ef:00:9f", mac), 0);
	assert_memory_equal(mac, want, 6);
	memset(mac, 0, sizeof(mac));
	assert_int_equal(lbxdp_parse_mac("02-AB-cd-EF-00-9F", mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_string_equal(lbxdp_format_mac(mac, buf, sizeof(buf)),
			    "02:ab:cd:ef:00:9f");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (lbxdp_parse_mac(bad[i], mac) != -EINVAL)
			fail_msg("MAC '%s' accepted", bad[i]);
	assert_int_equal(lbxdp_parse_mac(NULL, mac), -EINVAL);
}

static void test_u32(void **state)
{
	__u32 v = 0;

	assert_int_equal(lbxdp_parse_u32("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(lbxdp_parse_u32("10", 0, 10, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(lbxdp_parse_u32("007", 0, 10, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(lbxdp_parse_u32("4294967295", 0, UINT32_MAX, &v), 0);
	assert_int_equal(v, UINT32_MAX);

	v = 42;
	assert_int_equal(lbxdp_parse_u32("11", 0, 10, &v), -ERANGE);
	assert_int_equal(lbxdp_parse_u32("0", 1, 10, &v), -ERANGE);
	assert_int_equal(lbxdp_parse_u32("4294967296", 0, UINT32_MAX, &v),
			 -ERANGE);
	assert_int_equal(
		lbxdp_parse_u32("184467440737095516160", 0, UINT32_MAX, &v),
		-ERANGE);
	assert_int_equal(lbxdp_parse_u32("", 0, 10, &v), -EINVAL);
	assert_int_equal(lbxdp_parse_u32(NULL, 0, 10, &v), -EINVAL);
	assert_int_equal(lbxdp_parse_u32("-1", 0, 10, &v), -EINVAL);
	assert_int_equal(lbxdp_parse_u32("+1", 0, 10, &v), -EINVAL);
	assert_int_equal(lbxdp_parse_u32(" 1", 0, 10, &v), -EINVAL);
	assert_int_equal(lbxdp_parse_u32("1 ", 0, 10, &v), -EINVAL);
	assert_int_equal(lbxdp_parse_u32("0x1", 0, 10, &v), -EINVAL);
	assert_int_equal(lbxdp_parse_u32("1e3", 0, 10000, &v), -EINVAL);
	assert_int_equal(lbxdp_parse_u32("99999999999999999999x", 0, 10, &v),
			 -EINVAL);
	assert_int_equal(v, 42);
}

static void test_sched(void **state)
{
	static const char *const later[] = {
		"lc", "wlc", "lblc", "lblcr", "dh", "sed", "nq", "fo", "ovf",
	};
	static const char *const bad[] = {
		"", "WRR", "wrr ", "roundrobin", "leastconn", "maglev", "w",
	};
	size_t i;

	assert_int_equal(lbxdp_parse_sched("wrr"), LBXDP_SCHED_WRR);
	assert_int_equal(lbxdp_parse_sched("rr"), LBXDP_SCHED_RR);
	assert_int_equal(lbxdp_parse_sched("mh"), LBXDP_SCHED_MH);
	assert_int_equal(lbxdp_parse_sched("sh"), LBXDP_SCHED_SH);
	for (i = 0; i < sizeof(later) / sizeof(later[0]); i++)
		if (lbxdp_parse_sched(later[i]) != -EOPNOTSUPP)
			fail_msg("'%s' not -EOPNOTSUPP", later[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (lbxdp_parse_sched(bad[i]) != -EINVAL)
			fail_msg("'%s' not -EINVAL", bad[i]);
	assert_int_equal(lbxdp_parse_sched(NULL), -EINVAL);

	for (i = LBXDP_SCHED_WRR; i <= LBXDP_SCHED_SH; i++)
		assert_int_equal(lbxdp_parse_sched(lbxdp_sched_name(i)), i);
	assert_string_equal(lbxdp_sched_name(-1), "unknown");
	assert_string_equal(lbxdp_sched_name(4), "unknown");
}

static struct lbxdp_vip_key v4key(const char *addr)
{
	struct lbxdp_vip_key k = {.family = LBXDP_AF_INET};

	k.addr[0] = inet_addr(addr);
	return k;
}

/* Addresses no VIP or backend can have, each with its reason. */
static void test_check_addr(void **state)
{
	static const struct {
		const char *addr, *why;
	} bad[] = {
		{"0.0.0.0", "unspecified"},
		{"255.255.255.255", "broadcast"},
		{"224.0.0.0", "multicast"},
		{"224.0.0.18", "multicast"},
		{"239.255.255.255", "multicast"},
		{"127.0.0.1", "loopback"},
		{"127.255.255.254", "loopback"},
	};
	static const char *const good[] = {
		"198.18.0.10",	   "10.0.0.1",	"1.0.0.0",
		"223.255.255.255", "240.0.0.1", "128.0.0.1",
		"126.255.255.255", "0.0.0.1",	"255.255.255.254",
		"169.254.1.1",
	};
	struct lbxdp_vip_key vip = v4key("198.18.0.10"), k;
	__be32 be[4] = {0};
	char err[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		k = v4key(bad[i].addr);
		be[0] = k.addr[0];
		err[0] = '\0';
		if (lbxdp_check_vip_addr(&k, err, sizeof(err)) != -EINVAL)
			fail_msg("VIP %s taken", bad[i].addr);
		if (!strstr(err, bad[i].why))
			fail_msg("VIP %s: '%s' does not say %s", bad[i].addr,
				 err, bad[i].why);
		err[0] = '\0';
		if (lbxdp_check_backend_addr(be, &vip, err, sizeof(err)) !=
		    -EINVAL)
			fail_msg("backend %s taken", bad[i].addr);
		if (!strstr(err, bad[i].why))
			fail_msg("backend %s: '%s' does not say %s",
				 bad[i].addr, err, bad[i].why);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		k = v4key(good[i]);
		be[0] = k.addr[0];
		if (lbxdp_check_vip_addr(&k, err, sizeof(err)))
			fail_msg("VIP %s refused: %s", good[i], err);
		if (!strcmp(good[i], "198.18.0.10"))
			continue;
		if (lbxdp_check_backend_addr(be, &vip, err, sizeof(err)))
			fail_msg("backend %s refused: %s", good[i], err);
	}
	/* The VIP's own address is no backend of it. */
	be[0] = vip.addr[0];
	assert_int_equal(lbxdp_check_backend_addr(be, &vip, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "the VIP itself");
	/* No reason buffer: still refused. */
	assert_int_equal(lbxdp_check_backend_addr(be, &vip, NULL, 0), -EINVAL);
}

static int edge(const char *addr, const char *prefix, __u8 plen, char *err)
{
	err[0] = '\0';
	return lbxdp_check_prefix_edge(inet_addr(addr), inet_addr(prefix), plen,
				       err, 128);
}

/* The network and broadcast addresses of a prefix, none on /31 and /32. */
static void test_check_prefix_edge(void **state)
{
	char err[128];

	assert_int_equal(edge("198.18.0.0", "198.18.0.2", 24, err), -EINVAL);
	assert_string_equal(err, "the network address of 198.18.0.0/24");
	assert_int_equal(edge("198.18.0.255", "198.18.0.2", 24, err), -EINVAL);
	assert_string_equal(err, "the broadcast address of 198.18.0.0/24");
	assert_int_equal(edge("198.18.0.1", "198.18.0.2", 24, err), 0);
	assert_int_equal(edge("198.18.0.254", "198.18.0.2", 24, err), 0);
	/* Another prefix's edges are not this one's. */
	assert_int_equal(edge("198.18.1.0", "198.18.0.2", 24, err), 0);
	assert_int_equal(edge("198.18.1.255", "198.18.0.2", 24, err), 0);
	/* /30: .4 and .7 are the edges, .5 and .6 hosts. */
	assert_int_equal(edge("198.18.0.4", "198.18.0.5", 30, err), -EINVAL);
	assert_int_equal(edge("198.18.0.7", "198.18.0.5", 30, err), -EINVAL);
	assert_string_equal(err, "the broadcast address of 198.18.0.4/30");
	assert_int_equal(edge("198.18.0.6", "198.18.0.5", 30, err), 0);
	/* /31 (RFC 3021) and /32: both addresses are hosts. */
	assert_int_equal(edge("198.18.0.4", "198.18.0.5", 31, err), 0);
	assert_int_equal(edge("198.18.0.5", "198.18.0.4", 31, err), 0);
	assert_int_equal(edge("198.18.0.10", "198.18.0.10", 32, err), 0);
	/* /16 and /0. */
	assert_int_equal(edge("198.19.255.255", "198.19.3.4", 16, err),
			 -EINVAL);
	assert_string_equal(err, "the broadcast address of 198.19.0.0/16");
	assert_int_equal(edge("198.19.255.0", "198.19.3.4", 16, err), 0);
	assert_int_equal(edge("0.0.0.0", "10.0.0.1", 0, err), -EINVAL);
	assert_int_equal(edge("10.0.0.0", "10.0.0.1", 0, err), 0);
}

static void test_check_mac(void **state)
{
	static const struct {
		__u8 mac[6];
		const char *why;
	} bad[] = {
		{{0, 0, 0, 0, 0, 0}, "zero"},
		{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "broadcast"},
		{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x12}, "multicast"},
		{{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}, "multicast"},
		{{0x03, 0x00, 0x00, 0x00, 0x00, 0x00}, "multicast"},
	};
	static const __u8 good[][6] = {
		{0x02, 0x00, 0x00, 0x00, 0x00, 0x0b},
		{0x00, 0x00, 0x00, 0x00, 0x00, 0x01},
		{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff},
		{0x52, 0x54, 0x00, 0x12, 0x34, 0x56},
	};
	char err[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (lbxdp_check_mac(bad[i].mac, err, sizeof(err)) != -EINVAL)
			fail_msg("MAC %zu taken", i);
		if (!strstr(err, bad[i].why))
			fail_msg("MAC %zu: '%s' does not say %s", i, err,
				 bad[i].why);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (lbxdp_check_mac(good[i], err, sizeof(err)))
			fail_msg("MAC %zu refused: %s", i, err);
}

/* Formatting into a short buffer truncates and terminates. */
static void test_format_short(void **state)
{
	struct lbxdp_vip_key k;
	char buf[8], big[LBXDP_SVC_STRLEN];
	__u8 mac[6] = {0};

	assert_int_equal(lbxdp_parse_service("198.18.0.10:80", &k, NULL, 0), 0);
	assert_string_equal(lbxdp_format_service(&k, buf, sizeof(buf)),
			    "198.18.");
	assert_string_equal(
		lbxdp_format_addr(k.addr, k.family, buf, sizeof(buf)),
		"198.18.");
	assert_string_equal(lbxdp_format_mac(mac, buf, sizeof(buf)), "00:00:0");
	k.proto = 132;
	assert_ptr_equal(lbxdp_format_service(&k, buf, 0), buf);
	assert_string_equal(lbxdp_format_service(&k, big, sizeof(big)),
			    "198.18.0.10:80/132");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_service_good),
		cmocka_unit_test(test_service_bad),
		cmocka_unit_test(test_service_errbuf),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_u32),
		cmocka_unit_test(test_sched),
		cmocka_unit_test(test_check_addr),
		cmocka_unit_test(test_check_prefix_edge),
		cmocka_unit_test(test_check_mac),
		cmocka_unit_test(test_format_short),
	};

	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
