// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The benchmark's private world: network and mount namespaces of its own
 * (they die with the process), two veth pairs, a bpffs under /tmp, and
 * three XDP programs attached natively:
 *
 *   lbxdp on lbb0   its peer lbb1 runs the sink (native XDP_TX on a veth
 *                   delivers only when the peer has an XDP program)
 *   xdp_swap on lbs0  not for live frames (test_run sends the baseline's
 *                   out of lbb0 too): every program that is attached sits
 *                   in the kernel's XDP dispatcher as a direct call, so
 *                   attaching the baseline too keeps the comparison fair
 *
 * The sink is a few raw BPF instructions (the Makefile builds only bpf/):
 * it rewrites each frame to carry the next flow number and drops it, which
 * gives the frame's page back to the live-frames page pool. The next time
 * test_run hands out that page, the frame is another flow.
 *
 * The loop, where the kernel refuses live frames (or -L), a fourth program:
 * bpf/bench_loop.bpf.c in the sink's place on lbb1, and on lbs1, the
 * baseline's peer, whose frames then go through lbs0. A frame sent
 * from lbb1 by a packet socket reaches lbxdp, which sends it back (XDP_TX);
 * the loop makes it the next flow, addresses it to lbb0 and sends it on:
 * the frames go round as XDP frames, in the NAPI of the CPU that sent
 * them, until the loop is turned off. The baseline goes round lbs0-lbs1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <libmnl/libmnl.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "netlink.h"
#include "bench.h"
#include "xdp_swap.skel.h"
#include "../../bpf/bench_loop.h"
#include "bench_loop.skel.h"

#define LB_IF "lbb0"
#define SINK_IF "lbb1"
#define SWAP_IF "lbs0"
#define SWAP_PEER_IF "lbs1"

static int nl_do(struct mnl_socket *sk, struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int portid = mnl_socket_get_portid(sk);
	ssize_t n;
	int ret;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = (unsigned int)time(NULL);
	if (mnl_socket_sendto(sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(sk, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, n, nlh->nlmsg_seq, portid, NULL, NULL);
	} while (ret > MNL_CB_STOP);
	return ret < 0 ? -errno : 0;
}

static int veth_add(struct mnl_socket *sk, const char *name, const char *peer)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlattr *info, *data, *pinfo;
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	pinfo = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	mnl_attr_nest_end(nlh, pinfo);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nl_do(sk, nlh);
}

static int link_up(struct mnl_socket *sk, int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return nl_do(sk, nlh);
}

/* No IPv6 on the new links: no router solicitations, nothing but ours. */
static void no_ipv6(void)
{
	static const char *const paths[] = {
		"/proc/sys/net/ipv6/conf/default/disable_ipv6",
		"/proc/sys/net/ipv6/conf/all/disable_ipv6",
	};
	size_t i;
	int fd;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		fd = open(paths[i], O_WRONLY);
		if (fd < 0)
			continue;
		if (write(fd, "1", 1) != 1)
			fprintf(stderr, "bench: cannot write %s\n", paths[i]);
		close(fd);
	}
}

static int make_links(struct bench_env *e)
{
	static const char *const up[] = {LB_IF, SINK_IF, SWAP_IF, SWAP_PEER_IF};
	struct mnl_socket *sk;
	size_t i;
	int err;

	sk = mnl_socket_open(NETLINK_ROUTE);
	if (!sk)
		return -errno;
	err = mnl_socket_bind(sk, 0, MNL_SOCKET_AUTOPID) < 0 ? -errno : 0;
	if (!err)
		err = veth_add(sk, LB_IF, SINK_IF);
	if (!err)
		err = veth_add(sk, SWAP_IF, SWAP_PEER_IF);
	for (i = 0; !err && i < sizeof(up) / sizeof(up[0]); i++) {
		int ifindex = (int)if_nametoindex(up[i]);

		err = ifindex ? link_up(sk, ifindex) : -ENODEV;
	}
	mnl_socket_close(sk);
	if (err) {
		fprintf(stderr, "bench: cannot create the veths: %s\n",
			strerror(-err));
		return err;
	}
	e->lb_ifindex = (int)if_nametoindex(LB_IF);
	e->sink_ifindex = (int)if_nametoindex(SINK_IF);
	e->swap_ifindex = (int)if_nametoindex(SWAP_IF);
	return lbxdp_nl_link_mac(e->lb_ifindex, e->lb_mac);
}

#define INSN(c, d, s, o, i)                \
	((struct bpf_insn){.code = (c),    \
			   .dst_reg = (d), \
			   .src_reg = (s), \
			   .off = (o),     \
			   .imm = (i)})
#define MOV_X(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV_K(d, k) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, k)
#define ALU_K(op, d, k) INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, k)
#define ALU_X(op, d, s) INSN(BPF_ALU64 | (op) | BPF_X, d, s, 0, 0)
#define LDX(sz, d, s, o) INSN(BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
#define STX(sz, d, s, o) INSN(BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define BE16(d) INSN(BPF_ALU | BPF_END | BPF_TO_BE, d, 0, 0, 16)

/*
 * The sink, as C:
 *	if (data + OFF_SPORT + 2 > data_end) return XDP_DROP;
 *	s = map[0]; n = atomic_fetch_add(&s->counter, 1);
 *	if (s->mod) n = n % s->mod * s->mul % s->mod;
 *	saddr_lo = htons(n / FLOW_PORTS); sport = htons(FLOW_PORT0 + n % FLOW_PORTS);
 *	return XDP_DROP;
 */
static int sink_load(struct bench_env *e)
{
	struct bpf_insn p[] = {
		MOV_X(6, 1),
		LDX(BPF_W, 7, 6, 0), /* data */
		LDX(BPF_W, 8, 6, 4), /* data_end */
		MOV_X(1, 7),
		ALU_K(BPF_ADD, 1, OFF_SPORT + 2),
		INSN(BPF_JMP | BPF_JGT | BPF_X, 1, 8, 23, 0), /* -> drop */
		INSN(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, 0),
		MOV_X(2, 10),
		ALU_K(BPF_ADD, 2, -4),
		INSN(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, 0),
		INSN(0, 0, 0, 0, 0),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
		INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 16, 0), /* -> drop */
		MOV_K(1, 1),
		INSN(BPF_STX | BPF_ATOMIC | BPF_DW, 0, 1, 0,
		     BPF_ADD | BPF_FETCH),
		LDX(BPF_DW, 2, 0, 8),			     /* mod */
		INSN(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 4, 0), /* -> write */
		ALU_X(BPF_MOD, 1, 2),
		LDX(BPF_DW, 3, 0, 16), /* mul */
		ALU_X(BPF_MUL, 1, 3),
		ALU_X(BPF_MOD, 1, 2),
		/* write: */
		MOV_X(2, 1),
		ALU_K(BPF_DIV, 2, FLOW_PORTS),
		ALU_K(BPF_MOD, 1, FLOW_PORTS),
		ALU_K(BPF_ADD, 1, FLOW_PORT0),
		BE16(2),
		BE16(1),
		STX(BPF_H, 7, 2, OFF_SADDR_LO),
		STX(BPF_H, 7, 1, OFF_SPORT),
		/* drop: */
		MOV_K(0, XDP_DROP),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	static char log[65536];
	struct bpf_prog_load_opts po = {.sz = sizeof(po)};
	const size_t n = sizeof(p) / sizeof(p[0]);
	int err;

	e->sink_map =
		bpf_map_create(BPF_MAP_TYPE_ARRAY, "bench_sink", sizeof(__u32),
			       sizeof(struct sink_state), 1, NULL);
	if (e->sink_map < 0)
		return -errno;
	p[9].imm = e->sink_map;
	e->sink_prog = bpf_prog_load(BPF_PROG_TYPE_XDP, "bench_sink", "GPL", p,
				     n, &po);
	if (e->sink_prog >= 0)
		return 0;
	/* Again, for the verifier's reasons. */
	err = -errno;
	po.log_buf = log;
	po.log_size = sizeof(log);
	po.log_level = 1;
	bpf_prog_load(BPF_PROG_TYPE_XDP, "bench_sink", "GPL", p, n, &po);
	fprintf(stderr, "bench: the sink does not load:\n%s\n", log);
	return err;
}

static int attach_native(int prog, int ifindex)
{
	struct bpf_link_create_opts lo = {
		.sz = sizeof(lo),
		.flags = XDP_FLAGS_DRV_MODE,
	};
	int fd = bpf_link_create(prog, ifindex, BPF_XDP, &lo);

	return fd < 0 ? -errno : fd;
}

int sink_set(const struct bench_env *e, __u64 counter, __u64 mod, __u64 mul)
{
	struct sink_state s = {.counter = counter, .mod = mod, .mul = mul};
	__u32 zero = 0;

	return bpf_map_update_elem(e->sink_map, &zero, &s, BPF_ANY) ? -errno
								    : 0;
}

__u64 sink_counter(const struct bench_env *e)
{
	struct sink_state s = {};
	__u32 zero = 0;

	bpf_map_lookup_elem(e->sink_map, &zero, &s);
	return s.counter;
}

int loop_setup(struct bench_env *e)
{
	struct bench_loop_bpf *skel;
	int err, fd;

	if (e->loop_link >= 0)
		return 0;
	bench_loop_bpf__destroy(e->loop_skel);
	e->loop_skel = NULL;
	skel = bench_loop_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "bench: cannot load the loop: %s\n",
			strerror(-err));
		return err;
	}
	e->loop_skel = skel;
	fd = bpf_program__fd(skel->progs.bench_loop);
	/* In the sink's place: its link goes (a program of another attach
	 * type cannot replace it), the loop's takes its fd. */
	close(e->sink_link);
	e->sink_link = attach_native(fd, e->sink_ifindex);
	if (e->sink_link < 0) {
		fprintf(stderr, "bench: cannot put the loop on %s: %s\n",
			SINK_IF, strerror(-e->sink_link));
		return e->sink_link;
	}
	err = lbxdp_nl_link_mac(e->swap_ifindex, e->swap_mac);
	if (err) {
		fprintf(stderr, "bench: no MAC of %s: %s\n", SWAP_IF,
			strerror(-err));
		return err;
	}
	e->loop_link = attach_native(fd, (int)if_nametoindex(SWAP_PEER_IF));
	if (e->loop_link < 0) {
		err = e->loop_link;
		e->loop_link = -1;
		fprintf(stderr, "bench: cannot put the loop on %s: %s\n",
			SWAP_PEER_IF, strerror(-err));
		return err;
	}
	return 0;
}

struct bench_loop *loop_state(const struct bench_env *e)
{
	return &((struct bench_loop_bpf *)e->loop_skel)->bss->loop;
}

int loop_send(const struct bench_env *e, bool lb, const __u8 *f, __u32 len,
	      int k)
{
	struct sockaddr_ll to = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = lb ? e->sink_ifindex
				  : (int)if_nametoindex(SWAP_PEER_IF),
		.sll_halen = ETH_ALEN,
	};
	int fd, i, err = 0;

	memcpy(to.sll_addr, f, ETH_ALEN);
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	for (i = 0; i < k && !err; i++)
		if (sendto(fd, f, len, 0, (struct sockaddr *)&to, sizeof(to)) !=
		    (ssize_t)len)
			err = -errno;
	close(fd);
	return err;
}

static int namespaces(struct bench_env *e)
{
	if (unshare(CLONE_NEWNET | CLONE_NEWNS)) {
		fprintf(stderr, "bench: unshare: %s\n", strerror(errno));
		return -errno;
	}
	/* Nothing mounted here may show in the parent's mount namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		fprintf(stderr, "bench: mount --make-rprivate /: %s\n",
			strerror(errno));
		return -errno;
	}
	snprintf(e->dir, sizeof(e->dir), "/tmp/lbxdp-bench.XXXXXX");
	if (!mkdtemp(e->dir)) {
		fprintf(stderr, "bench: mkdtemp: %s\n", strerror(errno));
		e->dir[0] = '\0';
		return -errno;
	}
	if (mount("bpf", e->dir, "bpf", 0, "mode=0700")) {
		fprintf(stderr, "bench: mount bpffs on %s: %s\n", e->dir,
			strerror(errno));
		return -errno;
	}
	e->mounted = true;
	snprintf(e->pin_dir, sizeof(e->pin_dir), "%s/lbxdp", e->dir);
	return 0;
}

int env_setup(struct bench_env *e, __u32 flows)
{
	struct lbxdp_attach_opts ao = {
		.ifname = LB_IF,
		.mode = LBXDP_MODE_NATIVE,
		.flows = flows,
	};
	struct xdp_swap_bpf *swap;
	int err;

	memset(e, 0, sizeof(*e));
	e->sink_map = e->sink_prog = e->sink_link = -1;
	e->swap_link = e->lb_prog = e->loop_link = -1;
	err = namespaces(e);
	if (err)
		return err;
	no_ipv6();
	err = make_links(e);
	if (err)
		return err;

	err = sink_load(e);
	if (!err) {
		e->sink_link = attach_native(e->sink_prog, e->sink_ifindex);
		err = e->sink_link < 0 ? e->sink_link : 0;
	}
	if (err) {
		fprintf(stderr, "bench: sink: %s\n", strerror(-err));
		return err;
	}

	swap = xdp_swap_bpf__open_and_load();
	if (!swap) {
		fprintf(stderr, "bench: cannot load xdp_swap: %s\n",
			strerror(errno));
		return -errno;
	}
	e->swap_skel = swap;
	e->swap_prog = bpf_program__fd(swap->progs.xdp_swap);
	e->swap_link = attach_native(e->swap_prog, e->swap_ifindex);
	if (e->swap_link < 0) {
		fprintf(stderr, "bench: cannot attach xdp_swap: %s\n",
			strerror(-e->swap_link));
		return e->swap_link;
	}

	ao.pin_dir = e->pin_dir;
	err = lbxdp_attach(&ao);
	if (err)
		return err;
	e->lb_prog = lbxdp_link_prog_fd(e->pin_dir);
	if (e->lb_prog < 0) {
		fprintf(stderr, "bench: no program behind %s/link: %s\n",
			e->pin_dir, strerror(-e->lb_prog));
		return e->lb_prog;
	}
	return 0;
}

void env_cleanup(struct bench_env *e)
{
	int *fds[] = {&e->lb_prog,   &e->swap_link, &e->sink_link,
		      &e->sink_prog, &e->sink_map,  &e->loop_link};
	size_t i;

	if (e->mounted && e->lb_prog >= 0)
		lbxdp_detach(e->pin_dir, NULL, true);
	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	xdp_swap_bpf__destroy(e->swap_skel);
	e->swap_skel = NULL;
	bench_loop_bpf__destroy(e->loop_skel);
	e->loop_skel = NULL;
	if (e->mounted && umount2(e->dir, MNT_DETACH))
		fprintf(stderr, "bench: umount %s: %s\n", e->dir,
			strerror(errno));
	e->mounted = false;
	if (e->dir[0] && rmdir(e->dir))
		fprintf(stderr, "bench: rmdir %s: %s\n", e->dir,
			strerror(errno));
	e->dir[0] = '\0';
}
