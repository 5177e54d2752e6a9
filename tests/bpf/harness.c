// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Set-up of the BPF test binary, after the kernel's BPF selftests: the
 * process moves into its own network and mount namespaces (so the veths and
 * the bpffs die with it whatever happens) and a time namespace (see
 * clock_ahead()), pins itself to one CPU (the wrr
 * cursor is per-CPU, and BPF_F_TEST_RUN_ON_CPU is refused for XDP), and
 * attaches the real lbxdp object with the library, as the CLI would.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/sched.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "records.h"
#include "netlink.h"
#include "harness.h"

struct test_env env = {.cpu = -1};

/* Every attached lb, so that env_cleanup() can close them on any exit. */
#define MAX_LBS 4
static struct lb *lbs[MAX_LBS];

const char *const stat_names[STAT_NR] = {
	"forwarded",	   "passed",	     "not_our_mac", "no_backend",
	"malformed",	   "fragment",	     "ip_options",  "flow_miss_nonsyn",
	"down_resched",	   "icmp_forwarded", "icmp_passed", "persist_hits",
	"flood_stateless", "flow_busy",
};

_Static_assert(STAT_NR == 14, "stat_names out of date with the ABI");

const char *verdict_name(__u32 v)
{
	static const char *const names[] = {"XDP_ABORTED", "XDP_DROP",
					    "XDP_PASS", "XDP_TX",
					    "XDP_REDIRECT"};

	return v < sizeof(names) / sizeof(names[0]) ? names[v] : "XDP_?";
}

/* --- TAP runner --- */

static struct {
	const char *name;
	char ctx[160];
	int fails;
	int run, failed;
} cur;

void test__begin(const char *name)
{
	cur.name = name;
	cur.ctx[0] = '\0';
	cur.fails = 0;
}

bool test__end(void)
{
	bool ok = !cur.fails;

	printf("%s - %s\n", ok ? "ok" : "not ok", cur.name);
	fflush(stdout);
	cur.run++;
	if (!ok)
		cur.failed++;
	return ok;
}

bool test__failed(void)
{
	return cur.fails != 0;
}

void test__totals(int *run, int *failed)
{
	*run = cur.run;
	*failed = cur.failed;
}

void test__context(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cur.ctx, sizeof(cur.ctx), fmt, ap);
	va_end(ap);
}

void test__note(const char *fmt, ...)
{
	va_list ap;

	fputs("#   ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

void test__fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	cur.fails++;
	printf("#   %s:%d: ", file, line);
	if (cur.ctx[0])
		printf("[%s] ", cur.ctx);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

/* Name of byte @off of an Ethernet/IPv4 frame, for diffs. */
static void field_name(const struct frame *f, __u32 off, char *buf, size_t len)
{
	__u32 ihl = f->len > 14 ? (f->data[14] & 0x0f) * 4 : 20;

	if (off < 6)
		snprintf(buf, len, "eth.dst[%u]", off);
	else if (off < 12)
		snprintf(buf, len, "eth.src[%u]", off - 6);
	else if (off < 14)
		snprintf(buf, len, "eth.proto");
	else if (off < 14 + ihl)
		snprintf(buf, len, "ip+%u", off - 14);
	else
		snprintf(buf, len, "l4+%u", off - 14 - ihl);
}

static void hexdump(const char *what, const struct frame *f)
{
	__u32 i;

	for (i = 0; i < f->len; i += 16) {
		__u32 j;

		printf("#     %s %04x:", what, i);
		for (j = i; j < i + 16 && j < f->len; j++)
			printf(" %02x", f->data[j]);
		fputc('\n', stdout);
	}
}

bool test__frame_eq(const char *file, int line, const struct frame *got,
		    const struct frame *want, const char *name)
{
	__u32 i, n = got->len < want->len ? got->len : want->len, shown = 0;
	char fld[32];
	bool ok = got->len == want->len;

	if (!ok)
		test__fail(file, line, "%s: frame length %u, want %u", name,
			   got->len, want->len);
	for (i = 0; i < n; i++) {
		if (got->data[i] == want->data[i])
			continue;
		if (ok)
			test__fail(file, line, "%s: frame differs", name);
		ok = false;
		if (shown++ < 12) {
			field_name(want, i, fld, sizeof(fld));
			printf("#     byte %u (%s): got 0x%02x, want 0x%02x\n",
			       i, fld, got->data[i], want->data[i]);
		}
	}
	if (!ok) {
		hexdump("got ", got);
		hexdump("want", want);
	}
	return ok;
}

bool test__stats_delta(const char *file, int line,
		       const struct lbxdp_global_stats *before,
		       const struct lbxdp_global_stats *after, __u64 mask,
		       const char *name)
{
	const __u64 *b = (const __u64 *)before, *a = (const __u64 *)after;
	bool ok = true;
	size_t i;

	for (i = 0; i < STAT_NR; i++) {
		long long d = (long long)(a[i] - b[i]);
		long long want = (mask >> i) & 1;

		if (d == want)
			continue;
		test__fail(file, line,
			   "%s: counter %s moved by %lld, want %lld", name,
			   stat_names[i], d, want);
		ok = false;
	}
	return ok;
}

/* --- environment --- */

static int run_cmd(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run_cmd(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0) {
		fprintf(stderr, "bpf_test: '%s' failed (status %d)\n", cmd, rc);
		return -ECHILD;
	}
	return 0;
}

static void write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return; /* no IPv6 at all: nothing will chatter */
	if (write(fd, val, strlen(val)) < 0)
		fprintf(stderr, "bpf_test: %s: %s\n", path, strerror(errno));
	close(fd);
}

/*
 * Pin the process to the last CPU it may use (CPU 0 takes most interrupts,
 * and the memo and flood cases have windows to keep): per-CPU state (the
 * wrr cursor, the stats) then belongs to one CPU for the whole run. Raw
 * system calls: with -Iuser, <sched.h> is user/sched.h, not libc's.
 */
int cpu_pin(int cpu)
{
	unsigned long mask[1024 / (8 * sizeof(unsigned long))] = {};
	const size_t bits = 8 * sizeof(unsigned long);

	if (cpu < 0 || (size_t)cpu >= 8 * sizeof(mask))
		return -EINVAL;
	mask[cpu / bits] = 1UL << (cpu % bits);
	if (syscall(SYS_sched_setaffinity, 0, sizeof(mask), mask))
		return -errno;
	return 0;
}

static int pin_cpu(void)
{
	unsigned long mask[1024 / (8 * sizeof(unsigned long))] = {};
	const size_t bits = 8 * sizeof(unsigned long);
	size_t i;
	long n;
	int err;

	n = syscall(SYS_sched_getaffinity, 0, sizeof(mask), mask);
	if (n < 0)
		return -errno;
	for (i = (size_t)n * 8;
	     i > 0 && !(mask[(i - 1) / bits] >> ((i - 1) % bits) & 1); i--)
		;
	if (i == 0)
		return -EINVAL;
	err = cpu_pin((int)i - 1);
	if (!err)
		env.cpu = (int)i - 1;
	return err;
}

static void on_signal(int sig)
{
	env_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A veth pair, both ends up; @mac for the load balancer's end. */
static int veth(const char *name, const char *mac)
{
	int err;

	err = run_cmd("ip link add %s address %s type veth peer name %sp", name,
		      mac, name);
	if (!err)
		err = run_cmd("ip link set dev %s up && ip link set dev %sp up",
			      name, name);
	return err;
}

/*
 * The tests date stamps back by a timeout and more, and the maps read a
 * stamp of 0 as never: on a machine up for less than that, an aged stamp
 * stops at the clock's start and still reads as recent. So the process
 * moves into a time namespace whose CLOCK_MONOTONIC, which lbxdp_attach()
 * anchors the program's clock to, runs a day ahead (time_namespaces(7)).
 */
static int clock_ahead(void)
{
	static const char off[] = "monotonic 86400 0\n";
	int fd, err = 0;
	ssize_t n;

	if (syscall(SYS_unshare, CLONE_NEWTIME))
		return -errno;
	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, off, sizeof(off) - 1);
	if (n != (ssize_t)sizeof(off) - 1)
		err = n < 0 ? -errno : -EIO;
	close(fd);
	if (err)
		return err;
	/* The offset is fixed once a process is in the namespace. */
	fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_setns, fd, CLONE_NEWTIME))
		err = -errno;
	close(fd);
	return err;
}

int env_setup(void)
{
	int err;

	err = pin_cpu();
	if (err) {
		fprintf(stderr, "bpf_test: cannot pin to a CPU: %s\n",
			strerror(-err));
		return err;
	}
	/* Without one (a kernel without CONFIG_TIME_NS), the tests that
	 * age stamps fail on a machine up for less than ~20 minutes. */
	err = clock_ahead();
	if (err)
		fprintf(stderr,
			"bpf_test: no time namespace a day ahead (%s): stamps dated back stop at this machine's boot\n",
			strerror(-err));
	/* Our own namespaces: veths and the bpffs vanish with the process,
	 * even after a SIGKILL; nothing leaks into the host's. */
	if (syscall(SYS_unshare, CLONE_NEWNET | CLONE_NEWNS)) {
		err = -errno;
		fprintf(stderr, "bpf_test: unshare: %s\n", strerror(errno));
		return err;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		err = -errno;
		fprintf(stderr, "bpf_test: private mounts: %s\n",
			strerror(errno));
		return err;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);

	/* No IPv6 autoconf or MLD: no frame but ours reaches the attached
	 * program, so counter deltas are exact. */
	write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	err = run_cmd("ip link set dev lo up");
	if (!err)
		err = veth(IF_MAIN, "02:00:00:00:00:01");
	/* Two load balancers with the same MAC, for byte-identical frames. */
	if (!err)
		err = veth(IF_DET_A, "02:00:00:00:0d:01");
	if (!err)
		err = veth(IF_DET_B, "02:00:00:00:0d:01");
	if (!err)
		err = veth(IF_MODEL, "02:00:00:00:0e:01");
	if (err)
		return err;

	snprintf(env.bpffs, sizeof(env.bpffs), "/tmp/lbxdp-bpftest.XXXXXX");
	if (!mkdtemp(env.bpffs)) {
		err = -errno;
		fprintf(stderr, "bpf_test: mkdtemp: %s\n", strerror(errno));
		env.bpffs[0] = '\0';
		return err;
	}
	if (mount("bpf", env.bpffs, "bpf", 0, NULL)) {
		err = -errno;
		fprintf(stderr, "bpf_test: mount bpffs on %s: %s\n", env.bpffs,
			strerror(errno));
		return err;
	}
	env.mounted = true;
	return lb_attach(&env.main, "main", IF_MAIN);
}

int lb_attach(struct lb *lb, const char *sub, const char *ifname)
{
	return lb_attach_caps(lb, sub, ifname, T_FLOWS, T_RING);
}

int lb_attach_caps(struct lb *lb, const char *sub, const char *ifname,
		   __u32 flows, __u32 ring)
{
	return lb_attach_faults(lb, sub, ifname, flows, ring, false);
}

int lb_attach_faults(struct lb *lb, const char *sub, const char *ifname,
		     __u32 flows, __u32 ring, bool fail_refresh)
{
	struct lbxdp_attach_opts o = {
		.pin_dir = lb->pin_dir,
		.ifname = lb->ifname,
		.mode = LBXDP_MODE_GENERIC,
		.max_vips = T_MAX_VIPS,
		.max_backends = T_MAX_BACKENDS,
		.flows = flows,
		.ring_size = ring,
		.fail_refresh = fail_refresh,
	};
	int err, i;

	memset(lb, 0, sizeof(*lb));
	lb->prog_fd = -1;
	for (i = 0; i < MAX_LBS && lbs[i]; i++)
		;
	if (i == MAX_LBS)
		return -ENOSPC;
	lbs[i] = lb;
	snprintf(lb->pin_dir, sizeof(lb->pin_dir), "%s/%s", env.bpffs, sub);
	snprintf(lb->ifname, sizeof(lb->ifname), "%s", ifname);
	lb->ifindex = if_nametoindex(ifname);
	if (!lb->ifindex) {
		fprintf(stderr, "bpf_test: no interface %s\n", ifname);
		return -ENODEV;
	}
	err = lbxdp_nl_link_mac(lb->ifindex, lb->mac);
	if (err) {
		fprintf(stderr, "bpf_test: MAC of %s: %s\n", ifname,
			strerror(-err));
		return err;
	}
	err = lbxdp_attach(&o);
	if (err) {
		/* The caller reports lb->attach_err as a failed test. */
		lb->attach_err = err;
		fprintf(stderr, "bpf_test: lbxdp_attach(%s, %s): %s\n",
			lb->pin_dir, ifname, strerror(-err));
		return err;
	}
	lb->attached = true;
	err = lbxdp_open(&lb->ctx, lb->pin_dir, true);
	if (err) {
		fprintf(stderr, "bpf_test: lbxdp_open(%s): %s\n", lb->pin_dir,
			strerror(-err));
		return err;
	}
	lb->open = true;
	lb->prog_fd = lbxdp_link_prog_fd(lb->pin_dir);
	if (lb->prog_fd < 0) {
		err = lb->prog_fd;
		fprintf(stderr, "bpf_test: program of %s: %s\n", lb->pin_dir,
			strerror(-err));
		return err;
	}
	return 0;
}

void lb_close(struct lb *lb)
{
	int i;

	if (lb->open)
		lbxdp_close(&lb->ctx);
	lb->open = false;
	if (lb->prog_fd >= 0)
		close(lb->prog_fd);
	lb->prog_fd = -1;
	for (i = 0; i < MAX_LBS; i++)
		if (lbs[i] == lb)
			lbs[i] = NULL;
}

void env_cleanup(void)
{
	int i;

	for (i = 0; i < MAX_LBS; i++)
		if (lbs[i])
			lb_close(lbs[i]);
	/* Unpins the links and maps: the program leaves the veths, which
	 * leave with the namespace. */
	if (env.mounted && umount2(env.bpffs, MNT_DETACH))
		fprintf(stderr, "bpf_test: umount %s: %s\n", env.bpffs,
			strerror(errno));
	env.mounted = false;
	if (env.bpffs[0] && rmdir(env.bpffs))
		fprintf(stderr, "bpf_test: rmdir %s: %s\n", env.bpffs,
			strerror(errno));
	env.bpffs[0] = '\0';
}

int xdp_run(const struct lb *lb, const struct frame *in, struct frame *out,
	    __u32 *verdict)
{
	struct xdp_md md = {
		.data_end = in->len,
		.ingress_ifindex = lb->ifindex,
	};
	/* Not LIBBPF_OPTS: cppcheck cannot see through it. */
	struct bpf_test_run_opts o = {
		.sz = sizeof(o),
		.data_in = in->data,
		.data_size_in = in->len,
		.data_out = out->data,
		.data_size_out = sizeof(out->data),
		.ctx_in = &md,
		.ctx_size_in = sizeof(md),
		.repeat = 1, /* >1 would not restore the frame between runs */
	};

	memset(out, 0, sizeof(*out));
	if (bpf_prog_test_run_opts(lb->prog_fd, &o))
		return -errno;
	out->len = o.data_size_out;
	*verdict = o.retval;
	return 0;
}

int stats_read(struct lb *lb, struct lbxdp_global_stats *gs)
{
	return lbxdp_percpu_sum(&lb->ctx, M_STATS, 0, (__u64 *)gs,
				LBXDP_STATS_WORDS);
}

int flood_reset(struct lb *lb)
{
	return flood_age(lb, 0);
}

int flood_rate_set(struct lb *lb, __u32 rate)
{
	struct lbxdp_config cfg;
	int err;

	err = lbxdp_config_read(&lb->ctx);
	if (!err)
		err = flood_reset(lb);
	if (err)
		return err;
	cfg = lb->ctx.cfg;
	cfg.flood_rate = rate;
	return lbxdp_config_write(&lb->ctx, &cfg);
}

int flood_age(struct lb *lb, __u64 sec)
{
	struct lbxdp_global_stats *v;
	__u32 zero = 0;
	int cpu, err = 0;

	v = calloc(lb->ctx.ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(lb->ctx.fd[M_STATS], &zero, v))
		err = -errno;
	for (cpu = 0; !err && cpu < lb->ctx.ncpus; cpu++) {
		struct lbxdp_flood_state *f = &v[cpu].flood;

		if (!sec) {
			*f = (struct lbxdp_flood_state){};
			continue;
		}
		f->window_ns = f->window_ns > sec * 1000000000ULL
				       ? f->window_ns - sec * 1000000000ULL
				       : 0;
		f->over_ns = f->over_ns > sec * 1000000000ULL
				     ? f->over_ns - sec * 1000000000ULL
				     : 0;
	}
	if (!err && bpf_map_update_elem(lb->ctx.fd[M_STATS], &zero, v, BPF_ANY))
		err = -errno;
	free(v);
	return err;
}

static int flush_map(int fd)
{
	__u8 key[64]; /* larger than any flow or persist key */

	while (!bpf_map_get_next_key(fd, NULL, key))
		if (bpf_map_delete_elem(fd, key))
			return -errno;
	return errno == ENOENT ? 0 : -errno;
}

int lb_flush_flows(struct lb *lb)
{
	int err = lbxdp_flows_clear(&lb->ctx);

	if (!err)
		err = flush_map(lb->ctx.fd[M_PERSIST]);
	return err ? err : lbxdp_memo_clear(&lb->ctx);
}
