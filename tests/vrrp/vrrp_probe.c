// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The VRRP codec and sockets on the wire, for tests against keepalived:
 *
 *   vrrp_probe IFNAME recv N TIMEOUT_MS
 *	print the first N adverts heard (decoded), exit 0 if N came
 *   vrrp_probe IFNAME send SADDR[:DADDR[:old]] VERSION VRID PRIO INTERVAL_CS COUNT PASS VIP...
 *	send COUNT adverts, INTERVAL_CS apart, as a master would: to the
 *	VRRP group, or to DADDR as a unicast_peer's (old: v3's checksum over
 *	the group's address, as keepalived before 1.3.7); PASS "-": none
 *   vrrp_probe IFNAME watch
 *	until killed, one line per advert heard, decoded, after the kernel's
 *	receive time (SO_TIMESTAMPNS, CLOCK_REALTIME) as SEC.NSEC: takeover
 *	times measured from the packets, whatever the machine's speed
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/socket.h>
#include "daemon/vrrp_net.h"
#include "daemon/vrrp_pkt.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void print_advert(const struct vrrp_advert *a)
{
	char s[INET_ADDRSTRLEN];
	int i;

	inet_ntop(AF_INET, &a->saddr, s, sizeof(s));
	printf("from %s ttl %u v%u vrid %u prio %u interval_cs %u auth %u pass '%s' addrs",
	       s, a->ttl, a->version, a->vrid, a->priority, a->interval_cs,
	       a->auth_type, a->auth_pass);
	for (i = 0; i < a->naddrs; i++) {
		inet_ntop(AF_INET, &a->addrs[i], s, sizeof(s));
		printf(" %s", s);
	}
	printf("\n");
	fflush(stdout);
}

static int do_recv(int fd, int n, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	struct vrrp_advert a;
	uint8_t buf[2048];
	int got = 0, ifindex;

	while (got < n && now_ms() < end) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t len;
		enum vrrp_drop r;

		if (poll(&p, 1, (int)(end - now_ms())) <= 0)
			continue;
		len = vrrp_sock_recv(fd, buf, sizeof(buf), &ifindex);
		if (len < 0)
			continue;
		r = vrrp_decode(buf, (size_t)len, &a);
		if (r != VRRP_OK) {
			printf("dropped: %s\n", vrrp_drop_name(r));
			continue;
		}
		print_advert(&a);
		got++;
	}
	return got == n ? 0 : 1;
}

/* One packet and its kernel receive time; its length or -errno. */
static ssize_t recv_stamped(int fd, uint8_t *buf, size_t len,
			    struct timespec *ts)
{
	char ctl[CMSG_SPACE(sizeof(*ts))];
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr m = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl,
		.msg_controllen = sizeof(ctl),
	};
	struct cmsghdr *c;
	ssize_t n;

	n = recvmsg(fd, &m, 0);
	if (n < 0)
		return -errno;
	ts->tv_sec = 0;
	ts->tv_nsec = 0;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_TIMESTAMPNS)
			memcpy(ts, CMSG_DATA(c), sizeof(*ts));
	/* No stamp would make every interval measured from it wrong. */
	return ts->tv_sec ? n : -ENOMSG;
}

static int do_watch(int fd)
{
	struct vrrp_advert a;
	struct timespec ts;
	uint8_t buf[2048];
	int on = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on))) {
		fprintf(stderr, "SO_TIMESTAMPNS: %s\n", strerror(errno));
		return 2;
	}
	/* The socket is joined: what is sent from now on is heard. */
	printf("# watching\n");
	fflush(stdout);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		enum vrrp_drop r;
		ssize_t len;

		if (poll(&p, 1, -1) <= 0)
			continue;
		len = recv_stamped(fd, buf, sizeof(buf), &ts);
		if (len == -EAGAIN || len == -EINTR)
			continue;
		if (len < 0) {
			fprintf(stderr, "recv: %s\n", strerror((int)-len));
			return 1;
		}
		printf("%lld.%09ld ", (long long)ts.tv_sec, ts.tv_nsec);
		r = vrrp_decode(buf, (size_t)len, &a);
		if (r != VRRP_OK) {
			printf("dropped: %s\n", vrrp_drop_name(r));
			fflush(stdout);
			continue;
		}
		print_advert(&a);
	}
}

static int do_send(int fd, int ifindex, char **av, int ac)
{
	struct vrrp_advert a = {.daddr = htonl(VRRP_GROUP)};
	char *dst = strchr(av[0], ':');
	uint8_t buf[1500];
	int i, count, len, err;

	if (ac < 8)
		return 2;
	if (dst) {
		char *old = strchr(++dst, ':');

		dst[-1] = '\0';
		if (old) {
			*old++ = '\0';
			if (strcmp(old, "old"))
				return 2;
			a.csum_group = true;
		}
		if (inet_pton(AF_INET, dst, &a.daddr) != 1)
			return 2;
	}
	if (inet_pton(AF_INET, av[0], &a.saddr) != 1)
		return 2;
	a.version = (uint8_t)atoi(av[1]);
	a.vrid = (uint8_t)atoi(av[2]);
	a.priority = (uint8_t)atoi(av[3]);
	a.interval_cs = (uint16_t)atoi(av[4]);
	count = atoi(av[5]);
	if (a.version == 2 && strcmp(av[6], "-")) {
		a.auth_type = 1;
		strncpy(a.auth_pass, av[6], VRRP_AUTH_LEN);
	}
	for (i = 7; i < ac && a.naddrs < VRRP_MAX_ADDRS; i++)
		if (inet_pton(AF_INET, av[i], &a.addrs[a.naddrs++]) != 1)
			return 2;
	len = vrrp_encode(&a, buf, sizeof(buf));
	if (len < 0) {
		fprintf(stderr, "encode: %s\n", strerror(-len));
		return 2;
	}
	for (i = 0; i < count; i++) {
		err = vrrp_sock_send(fd, ifindex, a.saddr, a.daddr, buf,
				     (size_t)len);
		if (err) {
			fprintf(stderr, "send: %s\n", strerror(-err));
			return 1;
		}
		usleep(a.interval_cs * 10000U);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int ifindex, fd, rc;

	if (argc < 3) {
		fprintf(stderr,
			"usage: see the head of tests/vrrp/vrrp_probe.c\n");
		return 2;
	}
	ifindex = (int)if_nametoindex(argv[1]);
	if (!ifindex) {
		fprintf(stderr, "%s: no such interface\n", argv[1]);
		return 2;
	}
	fd = vrrp_sock_open(ifindex, false);
	if (fd < 0) {
		fprintf(stderr, "socket: %s\n", strerror(-fd));
		return 2;
	}
	if (!strcmp(argv[2], "recv"))
		rc = do_recv(fd, argc > 3 ? atoi(argv[3]) : 1,
			     argc > 4 ? atoi(argv[4]) : 5000);
	else if (!strcmp(argv[2], "watch"))
		rc = do_watch(fd);
	else if (!strcmp(argv[2], "send"))
		rc = do_send(fd, ifindex, argv + 3, argc - 3);
	else
		rc = 2;
	close(fd);
	return rc;
}
