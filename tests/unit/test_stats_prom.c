// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * /metrics (stats_prom.c) on a snapshot built by hand: two virtual
 * servers with a backend in every state, one VRRP instance, the maps
 * read or not. Exact sample lines, label escaping of hostile values, the
 * one-hot families, every family once and whole, a failed write, and the
 * whole output through promtool check metrics when it is installed.
 * st_proc_read() against what this process knows of itself.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/stats.h"

#define VIP0 "198.18.0.10:80/tcp"
#define VIP1 "198.18.0.20:53/udp"
#define PROMTOOL "/usr/bin/promtool"
/* stats_prom.c's families: 6 daemon-wide, 6 a VIP, 13 a backend, 3 VRRP,
 * 6 process. */
#define NR_FAMILIES 34

struct fx {
	struct st_snap s;
	struct st_vs vs[2];
	struct st_rs rs0[ST__MAX], rs1[2];
	struct st_vrrp vrrp[1];
};

static __be32 ip(const char *a)
{
	__be32 v;

	assert_int_equal(inet_pton(AF_INET, a, &v), 1);
	return v;
}

static void ctr(struct st_ctr *m, __u64 pkts, __u32 active, __u32 flows)
{
	m->valid = true;
	m->c.packets = pkts;
	m->c.bytes = pkts * 100;
	m->c.new_flows = pkts / 6;
	m->active = active;
	m->flows = flows;
}

/* VIP0: 198.18.0.11 + state, one backend in each state, the last the
 * sorry server; only .11 has counters, and .12 a failing check. VIP1:
 * .21 up and a sorry server with the same address. */
static void fx_init(struct fx *f, bool maps_ok)
{
	char a[INET_ADDRSTRLEN];
	unsigned int i;

	memset(f, 0, sizeof(*f));
	f->s.now_ms = 1764714900000ULL;
	f->s.start_ms = 1764700000000ULL;
	f->s.version = "1.2.3";
	f->s.reloads = 4;
	f->s.reload_errors = 1;
	f->s.vs = f->vs;
	f->s.nvs = 2;
	f->s.vrrp = f->vrrp;
	f->s.nvrrp = 1;
	f->s.maps_ok = maps_ok;
	for (i = 0; i < LBXDP_NR_COUNTERS; i++)
		f->s.reasons[i] = 1000 + i;
	f->s.proc.cpu_seconds = 1.5;
	f->s.proc.rss_bytes = 1 << 20;
	f->s.proc.vsize_bytes = 2 << 20;
	f->s.proc.open_fds = 12;
	f->s.proc.max_fds = 1024;
	f->s.proc.start_time = 1764700000.25;

	strcpy(f->vs[0].svc, VIP0);
	f->vs[0].quorum_up = true;
	f->vs[0].rs = f->rs0;
	f->vs[0].nrs = ST__MAX;
	for (i = 0; i < ST__MAX; i++) {
		struct st_rs *rs = &f->rs0[i];

		snprintf(a, sizeof(a), "198.18.0.%u", 11 + i);
		rs->addr = ip(a);
		rs->state = i;
		rs->cfg_weight = 10 + i;
		rs->weight = i == ST_UP ? 10 : 0;
	}
	f->rs0[ST_UP].last_ms = 1764714863123ULL;
	f->rs0[ST_UP].since_ms = 1764714800000ULL;
	f->rs0[ST_UP].transitions = 1;
	f->rs0[ST_DOWN].fails = 3;
	f->rs0[ST_DOWN].transitions = 2;
	f->rs0[ST_DOWN].last_ms = 1764714899001ULL;

	strcpy(f->vs[1].svc, VIP1);
	f->vs[1].rs = f->rs1;
	f->vs[1].nrs = 2;
	f->rs1[0].addr = ip("198.18.0.21");
	f->rs1[1].addr = ip("198.18.0.21");
	f->rs1[1].state = ST_SORRY;

	strcpy(f->vrrp[0].name, "VI_1");
	strcpy(f->vrrp[0].state, "MASTER");
	f->vrrp[0].prio = 150;
	f->vrrp[0].cfg_prio = 100;
	f->vrrp[0].transitions = 2;

	if (maps_ok) {
		ctr(&f->vs[0].m, 120, 4, 6);
		ctr(&f->rs0[ST_UP].m, 42, 3, 5);
		ctr(&f->rs1[0].m, 60, 1, 2);
	}
}

static char *render(const struct st_snap *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(st_metrics(f, s), 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(strlen(buf), len);
	return buf;
}

/* Lines of @buf equal to @line. */
static int lines(const char *buf, const char *line)
{
	size_t n = strlen(line);
	const char *p = buf;
	int c = 0;

	while (*p) {
		const char *e = strchr(p, '\n');

		assert_non_null(e); /* every line ends */
		if ((size_t)(e - p) == n && !memcmp(p, line, n))
			c++;
		p = e + 1;
	}
	return c;
}

/* Lines of @buf that begin with @pre. */
static int prefixed(const char *buf, const char *pre)
{
	const char *p = buf;
	int c = 0;

	while (*p) {
		if (!strncmp(p, pre, strlen(pre)))
			c++;
		p = strchr(p, '\n') + 1;
	}
	return c;
}

static void has(const char *buf, const char *line)
{
	if (lines(buf, line) != 1)
		fail_msg("not once: %s\n--- output:\n%s", line, buf);
}

#define RS0(name, addr) name "{vip=\"" VIP0 "\",backend=\"198.18.0." addr "\"}"

static void test_samples(void **state)
{
	struct fx f;
	char *m;

	(void)state;
	fx_init(&f, true);
	m = render(&f.s);
	has(m, "lbxdp_build_info{version=\"1.2.3\"} 1");
	has(m, "lbxdp_daemon_reloads_total 4");
	has(m, "lbxdp_daemon_reload_errors_total 1");
	has(m, "lbxdp_maps_ok 1");

	has(m, RS0("lbxdp_backend_packets_total", "11") " 42");
	has(m, RS0("lbxdp_backend_bytes_total", "11") " 4200");
	has(m, RS0("lbxdp_backend_new_flows_total", "11") " 7");
	has(m, RS0("lbxdp_backend_active_flows", "11") " 3");
	has(m, RS0("lbxdp_backend_flows", "11") " 5");
	/* the one backend of VIP0 with counters */
	assert_int_equal(prefixed(m, "lbxdp_backend_packets_total{vip=\"" VIP0),
			 1);
	assert_int_equal(prefixed(m, "lbxdp_backend_flows{"), 2);

	has(m, "lbxdp_vip_packets_total{vip=\"" VIP0 "\"} 120");
	has(m, "lbxdp_vip_bytes_total{vip=\"" VIP0 "\"} 12000");
	has(m, "lbxdp_vip_new_flows_total{vip=\"" VIP0 "\"} 20");
	has(m, "lbxdp_vip_active_flows{vip=\"" VIP0 "\"} 4");
	has(m, "lbxdp_vip_flows{vip=\"" VIP0 "\"} 6");
	assert_int_equal(prefixed(m, "lbxdp_vip_packets_total{"), 1);
	has(m, "lbxdp_vip_quorum_up{vip=\"" VIP0 "\"} 1");
	has(m, "lbxdp_vip_quorum_up{vip=\"" VIP1 "\"} 0");

	/* up, down, drain, maint, no check, pending, sorry */
	has(m, RS0("lbxdp_backend_up", "11") " 1");
	has(m, RS0("lbxdp_backend_up", "12") " 0");
	has(m, RS0("lbxdp_backend_up", "13") " 1");
	has(m, RS0("lbxdp_backend_up", "14") " 0");
	has(m, RS0("lbxdp_backend_up", "15") " 1");
	has(m, RS0("lbxdp_backend_up", "16") " 0");
	has(m, RS0("lbxdp_backend_up", "17") " 1");
	has(m, RS0("lbxdp_backend_weight", "11") " 10");
	has(m, RS0("lbxdp_backend_weight", "12") " 0");
	has(m, RS0("lbxdp_backend_config_weight", "12") " 11");
	has(m, RS0("lbxdp_backend_check_failures", "12") " 3");
	has(m, RS0("lbxdp_backend_check_failures", "11") " 0");
	has(m, RS0("lbxdp_backend_transitions_total", "12") " 2");
	has(m, RS0("lbxdp_backend_last_check_timestamp_seconds",
		   "11") " 1764714863.123");
	has(m, RS0("lbxdp_backend_last_check_timestamp_seconds",
		   "12") " 1764714899.001");
	has(m, RS0("lbxdp_backend_state_since_timestamp_seconds",
		   "11") " 1764714800.000");
	/* no result, no change: no sample */
	assert_int_equal(
		prefixed(m, "lbxdp_backend_last_check_timestamp_seconds{"), 2);
	assert_int_equal(
		prefixed(m, "lbxdp_backend_state_since_timestamp_seconds{"), 1);

	/* VIP1's sorry server has .21's address: .21's samples only */
	has(m, "lbxdp_backend_up{vip=\"" VIP1 "\",backend=\"198.18.0.21\"} 1");
	has(m, "lbxdp_backend_packets_total{vip=\"" VIP1
	       "\",backend=\"198.18.0.21\"} 60");
	assert_int_equal(prefixed(m, "lbxdp_backend_up{"), ST__MAX + 1);

	has(m, "lbxdp_frames_total{reason=\"forwarded\"} 1000");
	has(m, "lbxdp_frames_total{reason=\"ip_options\"} 1006");
	has(m, "lbxdp_events_total{event=\"flow_miss_nonsyn\"} 1007");
	has(m, "lbxdp_events_total{event=\"flood_stateless\"} 1012");
	has(m, "lbxdp_frames_total{reason=\"flow_busy\"} 1013");
	assert_int_equal(prefixed(m, "lbxdp_frames_total{"), 10);
	assert_int_equal(prefixed(m, "lbxdp_events_total{"), 4);

	has(m, "lbxdp_vrrp_priority{instance=\"VI_1\"} 150");
	has(m, "lbxdp_vrrp_transitions_total{instance=\"VI_1\"} 2");

	has(m, "process_cpu_seconds_total 1.5");
	has(m, "process_resident_memory_bytes 1048576");
	has(m, "process_virtual_memory_bytes 2097152");
	has(m, "process_open_fds 12");
	has(m, "process_max_fds 1024");
	has(m, "process_start_time_seconds 1764700000.25");
	free(m);
}

static void test_one_hot(void **state)
{
	static const char *const names[ST__MAX] = {
		"up", "down", "drain", "maint", "no_check", "pending", "sorry",
	};
	static const char *const vrrp[] = {"INIT", "BACKUP", "MASTER", "FAULT"};
	char line[256];
	unsigned int i, k;
	struct fx f;
	char *m;

	(void)state;
	fx_init(&f, true);
	m = render(&f.s);
	for (i = 0; i < ST__MAX; i++)
		for (k = 0; k < ST__MAX; k++) {
			snprintf(line, sizeof(line),
				 "lbxdp_backend_state{vip=\"" VIP0
				 "\",backend=\"198.18.0.%u\",state=\"%s\"} %d",
				 11 + i, names[k], i == k);
			has(m, line);
		}
	assert_int_equal(prefixed(m, "lbxdp_backend_state{"),
			 (ST__MAX + 1) * ST__MAX);
	for (k = 0; k < 4; k++) {
		snprintf(line, sizeof(line),
			 "lbxdp_vrrp_state{instance=\"VI_1\",state=\"%s\"} %d",
			 vrrp[k], k == 2);
		has(m, line);
	}
	assert_int_equal(prefixed(m, "lbxdp_vrrp_state{"), 4);
	free(m);

	/* a state that is none of the four: no 1 at all */
	strcpy(f.vrrp[0].state, "STOP");
	m = render(&f.s);
	assert_int_equal(prefixed(m, "lbxdp_vrrp_state{"), 4);
	assert_int_equal(lines(m, "lbxdp_vrrp_state{instance=\"VI_1\","
				  "state=\"MASTER\"} 0"),
			 1);
	free(m);
}

/* Every family once: HELP, then TYPE, then its samples, all together. */
static void check_families(const char *m)
{
	char fams[NR_FAMILIES][64], cur[64] = "", name[80];
	const char *p = m;
	int n = 0, i;

	while (*p) {
		const char *e = strchr(p, '\n');
		size_t len = strcspn(p, "{ \n");

		assert_non_null(e);
		if (!strncmp(p, "# HELP ", 7)) {
			len = strcspn(p + 7, " \n");
			assert_true(len < sizeof(cur));
			memcpy(cur, p + 7, len);
			cur[len] = '\0';
			for (i = 0; i < n; i++)
				if (!strcmp(fams[i], cur))
					fail_msg("family %s twice", cur);
			assert_true(n < NR_FAMILIES);
			strcpy(fams[n++], cur);
			p = e + 1;
			e = strchr(p, '\n');
			snprintf(name, sizeof(name), "# TYPE %s ", cur);
			assert_int_equal(strncmp(p, name, strlen(name)), 0);
		} else {
			assert_true(len < sizeof(name));
			memcpy(name, p, len);
			name[len] = '\0';
			if (strcmp(name, cur))
				fail_msg("sample of %s in family %s", name,
					 cur);
		}
		p = e + 1;
	}
	assert_int_equal(n, NR_FAMILIES);
}

static void test_families(void **state)
{
	struct fx f;
	char *m;

	(void)state;
	fx_init(&f, true);
	m = render(&f.s);
	check_families(m);
	free(m);
	fx_init(&f, false);
	m = render(&f.s);
	check_families(m);
	free(m);
}

static void test_maps_down(void **state)
{
	struct fx f;
	char *m;

	(void)state;
	fx_init(&f, false);
	m = render(&f.s);
	has(m, "lbxdp_maps_ok 0");
	assert_int_equal(prefixed(m, "lbxdp_frames_total"), 0);
	assert_int_equal(prefixed(m, "lbxdp_events_total"), 0);
	assert_int_equal(prefixed(m, "lbxdp_vip_packets_total"), 0);
	assert_int_equal(prefixed(m, "lbxdp_backend_packets_total"), 0);
	assert_int_equal(prefixed(m, "lbxdp_backend_active_flows"), 0);
	has(m, "# TYPE lbxdp_frames_total counter");
	has(m, RS0("lbxdp_backend_up", "11") " 1");
	free(m);
}

static void test_escape(void **state)
{
	struct fx f;
	char *m;

	(void)state;
	fx_init(&f, true);
	strcpy(f.vs[0].svc, "a\\b\"c\nd");
	strcpy(f.vrrp[0].name, "x\\y\"\n");
	f.s.version = "v\"1\\";
	m = render(&f.s);
	has(m, "lbxdp_vip_quorum_up{vip=\"a\\\\b\\\"c\\nd\"} 1");
	has(m, "lbxdp_backend_up{vip=\"a\\\\b\\\"c\\nd\","
	       "backend=\"198.18.0.11\"} 1");
	has(m, "lbxdp_backend_state{vip=\"a\\\\b\\\"c\\nd\","
	       "backend=\"198.18.0.12\",state=\"down\"} 1");
	has(m, "lbxdp_vrrp_priority{instance=\"x\\\\y\\\"\\n\"} 150");
	has(m, "lbxdp_build_info{version=\"v\\\"1\\\\\"} 1");
	/* no raw newline split a sample */
	check_families(m);
	free(m);
}

static void test_write_error(void **state)
{
	struct fx f;
	FILE *o;

	(void)state;
	fx_init(&f, true);
	o = fopen("/dev/full", "w");
	assert_non_null(o);
	assert_int_equal(st_metrics(o, &f.s), -ENOSPC);
	fclose(o);
}

/* The open fds by another way: every fd fcntl() knows. */
static unsigned int count_fds(rlim_t max)
{
	unsigned int n = 0;
	rlim_t fd;

	for (fd = 0; fd < max && fd < 65536; fd++)
		if (fcntl((int)fd, F_GETFD) != -1)
			n++;
	return n;
}

static int open_fds(void)
{
	struct st_proc p;

	assert_int_equal(st_proc_read(&p), 0);
	return (int)p.open_fds;
}

static void test_proc_read(void **state)
{
	struct st_proc p;
	struct rlimit rl;
	time_t now = time(NULL);
	int before, fd;

	(void)state;
	assert_int_equal(st_proc_read(&p), 0);
	assert_true(p.rss_bytes > 0);
	assert_true(p.vsize_bytes >= p.rss_bytes);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	assert_int_equal(p.open_fds, count_fds(rl.rlim_cur));
	assert_true(p.open_fds > 0);
	assert_true(p.max_fds == rl.rlim_cur);
	assert_true(p.cpu_seconds >= 0);
	assert_true(p.start_time > now - 86400 && p.start_time <= now + 1);
	/* one more fd open, one more counted (the directory's is not) */
	before = open_fds();
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(open_fds(), before + 1);
	close(fd);
	assert_int_equal(open_fds(), before);
}

/* promtool check metrics on @m: it parses the format and lints the
 * names; silent and 0 when both pass. */
static void promtool(const char *m)
{
	char in[] = "/tmp/lbxdp-prom-XXXXXX", cmd[256], out[4096];
	size_t n;
	FILE *f;
	int fd, rc;

	fd = mkstemp(in);
	assert_true(fd >= 0);
	n = strlen(m);
	assert_int_equal(write(fd, m, n), (ssize_t)n);
	close(fd);
	snprintf(cmd, sizeof(cmd), PROMTOOL " check metrics < %s 2>&1", in);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	rc = pclose(f);
	unlink(in);
	if (!WIFEXITED(rc) || WEXITSTATUS(rc) || n)
		fail_msg("promtool: status %d: %s", rc, out);
}

static void test_promtool(void **state)
{
	struct fx f;
	char *m;

	(void)state;
	if (access(PROMTOOL, X_OK))
		skip();
	fx_init(&f, true);
	assert_int_equal(st_proc_read(&f.s.proc), 0);
	m = render(&f.s);
	promtool(m);
	free(m);
	fx_init(&f, false);
	strcpy(f.vs[0].svc, "a\\b\"c\nd");
	m = render(&f.s);
	promtool(m);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_one_hot),
		cmocka_unit_test(test_families),
		cmocka_unit_test(test_maps_down),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_proc_read),
		cmocka_unit_test(test_promtool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
