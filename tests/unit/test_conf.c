// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The config parser: every tests/unit/conf/NAME.conf is checked as the
 * daemon's -t checks it (config id "lbtest"), and its messages and exit
 * code compared whole with NAME.conf.expect. Then the model of the good
 * ones, value by value: defaults and keepalived's inheritance.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/conf.h"

#define MIN_FILES 40

static char dir[PATH_MAX];

/* tests/unit/conf, from the source tree (the tests run from the top of
 * the tree), or $LBXDP_CONF_DIR. */
static int find_dir(void)
{
	const char *env = getenv("LBXDP_CONF_DIR");
	char abs_dir[PATH_MAX];
	const char *slash;

	if (env) {
		snprintf(dir, sizeof(dir), "%s", env);
	} else {
		slash = strrchr(__FILE__, '/');
		snprintf(dir, sizeof(dir), "%.*s/conf",
			 slash ? (int)(slash - __FILE__) : 1,
			 slash ? __FILE__ : ".");
	}
	/* absolute: the tests chdir() there */
	if (!realpath(dir, abs_dir))
		return -1;
	memcpy(dir, abs_dir, sizeof(dir));
	return 0;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)n + 1);
	if (buf)
		len = fread(buf, 1, (size_t)n, f);
	if (buf)
		buf[len] = '\0';
	fclose(f);
	return buf;
}

static const char *ip_str(__be32 a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void print_script(FILE *f, const char *what,
			 const struct conf_script *sc)
{
	if (sc->cmd)
		fprintf(f, "  %s \"%s\" user %s group %s (line %d)\n", what,
			sc->cmd, sc->user ? sc->user : "-",
			sc->group ? sc->group : "-", sc->at.line);
}

static void print_notifies(FILE *f, const struct conf_script *m,
			   const struct conf_script *b,
			   const struct conf_script *fa,
			   const struct conf_script *st,
			   const struct conf_script *n)
{
	print_script(f, "notify_master", m);
	print_script(f, "notify_backup", b);
	print_script(f, "notify_fault", fa);
	print_script(f, "notify_stop", st);
	print_script(f, "notify", n);
}

/* The VRRP model of a file that loads, all of it, for its .expect. */
static void print_vrrp(FILE *f, const struct conf *cf)
{
	char a[INET_ADDRSTRLEN];
	int i, j;

	for (i = 0; i < cf->nvrrp; i++) {
		const struct conf_vrrp *v = &cf->vrrp[i];

		fprintf(f,
			"vrrp_instance %s (line %d): %s%s %s vrid %u priority %u advert_int %u ms v%d auth \"%s\" %s preempt_delay %u ms vips %d excluded %d\n",
			v->name, v->at.line, v->master ? "MASTER" : "BACKUP",
			v->state_given ? "" : " (not given)", v->interface,
			v->vrid, v->priority, v->advert_int_ms, v->version,
			v->auth_pass, v->nopreempt ? "nopreempt" : "preempt",
			v->preempt_delay_ms, v->nvips, v->nvips_excluded);
		fprintf(f,
			"  garp delay %u ms repeat %u refresh %u ms repeat %u lower_prio delay %u ms repeat %u interval %u ms\n",
			v->garp_delay_ms, v->garp_repeat, v->garp_refresh_ms,
			v->garp_refresh_repeat, v->garp_lower_delay_ms,
			v->garp_lower_repeat, v->garp_interval_ms);
		if (v->unicast_src || v->npeers) {
			fprintf(f, "  unicast_src %s peers",
				v->unicast_src ? ip_str(v->unicast_src, a)
					       : "-");
			for (j = 0; j < v->npeers; j++)
				fprintf(f, " %s",
					ip_str(v->unicast_peers[j], a));
			fprintf(f, "\n");
		}
		if (v->csum != VRRP_CSUM_AUTO)
			fprintf(f, "  old_unicast_checksum%s\n",
				v->csum == VRRP_CSUM_NEVER ? " never" : "");
		print_notifies(f, &v->notify_master, &v->notify_backup,
			       &v->notify_fault, &v->notify_stop, &v->notify);
		for (j = 0; j < v->ntrack_ifs; j++)
			fprintf(f,
				"  track_interface %s weight %d%s (line %d)\n",
				v->track_ifs[j].name, v->track_ifs[j].weight,
				v->track_ifs[j].reverse ? " reverse" : "",
				v->track_ifs[j].at.line);
		for (j = 0; j < v->ntrack_scripts; j++) {
			const struct conf_track_script *t =
				&v->track_scripts[j];

			fprintf(f,
				"  track_script %d=%s weight %d%s (line %d)\n",
				t->script, cf->vscripts[t->script].name,
				t->weight, t->reverse ? " reverse" : "",
				t->at.line);
		}
		if (v->sync_group >= 0)
			fprintf(f, "  sync_group %d=%s\n", v->sync_group,
				cf->sync_groups[v->sync_group].name);
	}
	for (i = 0; i < cf->nvscripts; i++) {
		const struct conf_vrrp_script *sc = &cf->vscripts[i];

		fprintf(f,
			"vrrp_script %s (line %d): interval %u ms timeout %u ms weight %d%s rise %u fall %u%s\n",
			sc->name, sc->at.line, sc->interval_ms, sc->timeout_ms,
			sc->weight, sc->reverse ? " reverse" : "", sc->rise,
			sc->fall, sc->init_fail ? " init_fail" : "");
		print_script(f, "script", &sc->script);
	}
	for (i = 0; i < cf->nsync_groups; i++) {
		const struct conf_sync_group *g = &cf->sync_groups[i];

		fprintf(f, "vrrp_sync_group %s (line %d):", g->name,
			g->at.line);
		for (j = 0; j < g->nmembers; j++)
			fprintf(f, " %d=%s", g->members[j],
				cf->vrrp[g->members[j]].name);
		fprintf(f, "%s\n",
			g->smtp_alert == CONF_ON ? " smtp_alert" : "");
		print_notifies(f, &g->notify_master, &g->notify_backup,
			       &g->notify_fault, &g->notify_stop, &g->notify);
	}
	if (cf->lvs_sync.interface)
		fprintf(f,
			"lvs_sync_daemon %s instance %s id %u port %u group %s (line %d)\n",
			cf->lvs_sync.interface,
			cf->lvs_sync.instance ? cf->lvs_sync.instance : "-",
			cf->lvs_sync.syncid, cf->lvs_sync.port,
			cf->lvs_sync.group
				? inet_ntop(AF_INET, &cf->lvs_sync.group, a,
					    sizeof(a))
				: "-",
			cf->lvs_sync.at.line);
	if (cf->xdp.sync_key_file)
		fprintf(f, "sync_key_file %s (line %d)\n",
			cf->xdp.sync_key_file, cf->xdp.sync_key_at.line);
}

/* What the daemon's -t prints for @name (in dir), and its exit code;
 * then, when it loads, its VRRP model. */
static char *check_file(const char *name)
{
	struct conf_opts o = {.config_id = "lbtest", .rand_seed = 1};
	struct conf_diag d = {0};
	struct conf *cf = NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	f = open_memstream(&out, &len);
	assert_non_null(f);
	rc = conf_test(name, &o, f);
	fprintf(f, "exit: %d\n", rc);
	d.out = fopen("/dev/null", "w");
	assert_non_null(d.out);
	if (!rc && !conf_load(name, &o, &cf, &d)) {
		print_vrrp(f, cf);
		conf_free(cf);
	}
	fclose(d.out);
	fclose(f);
	return out;
}

static void test_file(void **state)
{
	const char *name = *state;
	char expect_path[PATH_MAX];
	char *got, *want;

	assert_int_equal(chdir(dir), 0);
	snprintf(expect_path, sizeof(expect_path), "%s.expect", name);
	got = check_file(name);
	want = slurp(expect_path);
	if (!want)
		fail_msg("%s: no %s; it says:\n%s", name, expect_path, got);
	if (strcmp(got, want))
		fail_msg("%s: got:\n%s\nexpected:\n%s", name, got, want);
	free(got);
	free(want);
}

static struct conf *load(const char *name)
{
	struct conf_opts o = {.config_id = "lbtest", .rand_seed = 1};
	struct conf_diag d = {0};
	struct conf *cf = NULL;
	char *msgs = NULL;
	size_t len = 0;
	int err;

	assert_int_equal(chdir(dir), 0);
	d.out = open_memstream(&msgs, &len);
	assert_non_null(d.out);
	err = conf_load(name, &o, &cf, &d);
	fclose(d.out);
	if (err)
		fail_msg("%s: %d:\n%s", name, err, msgs);
	free(msgs);
	assert_non_null(cf);
	return cf;
}

static __be32 ip(const char *s)
{
	return inet_addr(s);
}

static void test_seed(void **state)
{
	struct conf *cf = load("keepalived-lvs-dr-master.conf");
	const struct conf_checker *c;
	const struct conf_vs *vs;
	int i;

	assert_string_equal(cf->g.router_id, "LVS_DEVEL");
	assert_int_equal(cf->g.nemails, 1);
	assert_string_equal(cf->g.emails[0], "root@localhost");
	assert_string_equal(cf->g.email_from, "ka@localhost");
	assert_string_equal(cf->g.smtp_server, "127.0.0.1");
	assert_int_equal(cf->g.smtp_port, 25);
	assert_int_equal(cf->g.smtp_timeout_ms, 30000);
	assert_false(cf->g.script_security);
	assert_null(cf->g.script_user);

	assert_int_equal(cf->nvrrp, 1);
	assert_string_equal(cf->vrrp[0].name, "VI_1");
	assert_true(cf->vrrp[0].master);
	assert_string_equal(cf->vrrp[0].interface, "eth0");
	assert_int_equal(cf->vrrp[0].vrid, 50);
	assert_int_equal(cf->vrrp[0].priority, 100);
	assert_int_equal(cf->vrrp[0].advert_int_ms, 1000);
	assert_int_equal(cf->vrrp[0].version, 2);
	assert_string_equal(cf->vrrp[0].auth_pass, "1111");
	assert_int_equal(cf->vrrp[0].nvips, 1);
	assert_int_equal(cf->vrrp[0].vips[0].addr, ip("192.168.4.15"));
	assert_int_equal(cf->vrrp[0].vips[0].prefix, 32);
	assert_int_equal(cf->vrrp[0].vips[0].scope, -1);
	assert_null(cf->vrrp[0].vips[0].dev);

	assert_null(cf->xdp.interface);
	assert_int_equal(cf->xdp.mode, -1);
	assert_int_equal(cf->xdp.flows, 0);

	assert_int_equal(cf->nvs, 1);
	vs = &cf->vs[0];
	assert_int_equal(vs->addr, ip("192.168.4.15"));
	assert_int_equal(vs->port, 80);
	assert_int_equal(vs->proto, IPPROTO_TCP);
	assert_int_equal(vs->sched, CONF_SCHED_WRR);
	assert_string_equal(vs->sched_as_written, "wrr");
	assert_int_equal(vs->persist_sec, 0);
	assert_int_equal(vs->delay_loop_ms, 6000);
	assert_int_equal(vs->quorum, 1);
	assert_int_equal(vs->hysteresis, 0);
	assert_false(vs->alpha);
	assert_false(vs->has_sorry);
	assert_int_equal(vs->at.line, 31);
	assert_int_equal(vs->nrs, 2);
	for (i = 0; i < 2; i++) {
		const struct conf_rs *rs = &vs->rs[i];

		assert_int_equal(rs->addr,
				 ip(i ? "192.168.4.200" : "192.168.4.100"));
		assert_int_equal(rs->port, 80);
		assert_int_equal(rs->weight, i + 1);
		assert_false(rs->inhibit_on_failure);
		assert_null(rs->notify_up.cmd);
		assert_int_equal(rs->nchecks, 1);
		c = &rs->checkers[0];
		assert_int_equal(c->type, CHECK_TCP);
		assert_int_equal(c->connect_ip, rs->addr);
		assert_int_equal(c->connect_port, 80);
		assert_int_equal(c->bindto, 0);
		assert_int_equal(c->connect_timeout_ms, 3000);
		assert_int_equal(c->delay_loop_ms, 6000);
		assert_int_equal(c->retry, 3);
		assert_int_equal(c->delay_before_retry_ms, 3000);
		assert_int_equal(c->warmup_ms, 6000);
		assert_false(c->alpha);
		assert_int_equal(c->rise, 0);
		assert_int_equal(c->fall, 0);
		assert_int_equal(c->inter_ms, 6000);
	}
	conf_free(cf);
}

struct timing {
	__u32 ct, dl, retry, dbr;
	__u32 warmup;
	bool alpha;
};

static void check_timing(const struct conf_checker *c, struct timing t)
{
	assert_int_equal(c->connect_timeout_ms, t.ct);
	assert_int_equal(c->delay_loop_ms, t.dl);
	assert_int_equal(c->retry, t.retry);
	assert_int_equal(c->delay_before_retry_ms, t.dbr);
	assert_int_equal(c->warmup_ms, t.warmup);
	assert_int_equal(c->alpha, t.alpha);
}

static void test_inherit(void **state)
{
	struct conf *cf = load("g-inherit.conf");
	const struct conf_vs *vs = &cf->vs[0];

	assert_int_equal(cf->nvs, 2);
	assert_int_equal(vs->delay_loop_ms, 10000);
	assert_true(vs->alpha);
	assert_true(vs->inhibit_on_failure);
	assert_true(vs->rs[0].inhibit_on_failure);
	assert_int_equal(vs->rs[0].nchecks, 3);
	/* real server's retry 5 and warmup 0, VS's dbr 7 set after it */
	check_timing(&vs->rs[0].checkers[0],
		     (struct timing){4000, 10000, 5, 7000, 0, true});
	check_timing(&vs->rs[0].checkers[1],
		     (struct timing){250, 2500, 0, 1, 1500, true});
	check_timing(&vs->rs[0].checkers[2],
		     (struct timing){4000, 10000, 5, 7000, 0, true});
	/* the VS's retry 3 and warmup 4 */
	check_timing(&vs->rs[1].checkers[0],
		     (struct timing){4000, 10000, 3, 7000, 4000, true});
	check_timing(&vs->rs[1].checkers[1],
		     (struct timing){4000, 10000, 3, 7000, 4000, true});
	assert_int_equal(vs->rs[1].checkers[2].type, CHECK_MISC);
	assert_int_equal(vs->rs[1].checkers[2].misc_timeout_ms, 10000);
	/* keepalived 2.2.7's defaults */
	vs = &cf->vs[1];
	assert_int_equal(vs->delay_loop_ms, 60000);
	assert_false(vs->alpha);
	assert_false(vs->rs[0].inhibit_on_failure);
	check_timing(&vs->rs[0].checkers[0],
		     (struct timing){5000, 60000, 1, 1000, 60000, false});
	check_timing(&vs->rs[0].checkers[1],
		     (struct timing){5000, 60000, 1, 3000, 60000, false});
	conf_free(cf);
}

static void test_defaults_by_type(void **state)
{
	struct conf *cf = load("g-udp-dns.conf");
	const struct conf_rs *rs = &cf->vs[0].rs[0];
	const struct conf_checker *dns = &rs->checkers[0], *udp;

	assert_int_equal(cf->vs[0].proto, IPPROTO_UDP);
	assert_int_equal(cf->vs[0].sched, CONF_SCHED_SH);
	assert_string_equal(cf->vs[0].sched_as_written, "mh");
	assert_int_equal(rs->nchecks, 4);
	assert_int_equal(dns->type, CHECK_DNS);
	assert_int_equal(dns->dns_type, 1);
	assert_string_equal(dns->dns_name, "example.com");
	/* DNS_CHECK: retry 3, delay_before_retry = delay_loop */
	check_timing(dns, (struct timing){5000, 60000, 3, 60000, 60000, false});
	udp = &rs->checkers[1];
	assert_int_equal(udp->type, CHECK_UDP);
	assert_int_equal(udp->udp_payload_len, 6);
	assert_memory_equal(udp->udp_payload, "\x00\x01\x02\x03\x04\xff", 6);
	assert_true(udp->udp_require_reply);
	assert_int_equal(udp->udp_reply_len, 2);
	assert_memory_equal(udp->udp_reply, "\x00\x01", 2);
	check_timing(udp, (struct timing){5000, 60000, 1, 1000, 60000, false});
	assert_int_equal(rs->checkers[2].type, CHECK_TCP);
	assert_int_equal(rs->checkers[3].dns_type, 6); /* SOA */
	assert_string_equal(rs->checkers[3].dns_name, ".");
	conf_free(cf);

	cf = load("g-misc.conf");
	rs = &cf->vs[0].rs[0];
	assert_int_equal(rs->checkers[0].type, CHECK_MISC);
	assert_string_equal(rs->checkers[0].misc.cmd, "/bin/true arg1 arg2");
	assert_string_equal(rs->checkers[0].misc.user, "root");
	assert_string_equal(rs->checkers[0].misc.group, "root");
	assert_true(rs->checkers[0].misc_dynamic);
	assert_int_equal(rs->checkers[0].misc_timeout_ms, 3000);
	assert_int_equal(rs->checkers[0].retry, 2);
	assert_string_equal(rs->checkers[1].misc.cmd, "true");
	assert_null(rs->checkers[1].misc.user);
	assert_false(rs->checkers[1].misc_dynamic);
	/* MISC_CHECK: retry 0, misc_timeout = delay_loop */
	check_timing(&rs->checkers[1],
		     (struct timing){5000, 60000, 0, 1000, 60000, false});
	assert_int_equal(rs->checkers[1].misc_timeout_ms, 60000);
	conf_free(cf);
}

static void test_http(void **state)
{
	struct conf *cf = load("g-http.conf");
	const struct conf_rs *rs = &cf->vs[0].rs[0];
	const struct conf_checker *ssl = &rs->checkers[0];
	const struct conf_checker *http = &rs->checkers[1];
	const struct conf_url *u = &ssl->urls[0];

	assert_int_equal(ssl->type, CHECK_SSL);
	assert_int_equal(ssl->nurls, 2);
	assert_string_equal(u->path, "/health");
	assert_string_equal(u->digest, "9b3a0c85a887a256d6939da88aabd8cd");
	assert_int_equal(u->nstatus, 3);
	assert_int_equal(u->status[0].lo, 200);
	assert_int_equal(u->status[0].hi, 299);
	assert_int_equal(u->status[1].lo, 301);
	assert_int_equal(u->status[1].hi, 301);
	assert_int_equal(u->status[2].lo, 400);
	assert_int_equal(u->status[2].hi, 404);
	assert_null(u->virtualhost);
	assert_null(ssl->urls[1].status);
	assert_null(ssl->urls[1].digest);
	assert_string_equal(ssl->urls[1].virtualhost, "url.example.com");
	/* the real server's virtualhost, over the virtual server's */
	assert_string_equal(ssl->virtualhost, "rs.example.com");
	assert_true(ssl->enable_sni);
	assert_true(ssl->fast_recovery);
	assert_int_equal(ssl->http_protocol, 11);
	assert_int_equal(ssl->connect_port, 8443);
	assert_int_equal(ssl->connect_ip, ip("198.18.1.1"));
	assert_int_equal(ssl->bindto, ip("198.18.0.2"));
	assert_int_equal(ssl->bind_port, 40000);
	check_timing(ssl, (struct timing){5000, 60000, 1, 3000, 60000, false});
	assert_string_equal(http->virtualhost, "ck.example.com");
	assert_int_equal(http->http_protocol, 10);
	assert_true(http->http_close); /* 1.0C */
	assert_false(ssl->http_close);
	assert_false(http->enable_sni);
	assert_int_equal(http->retry, 2);
	assert_int_equal(http->connect_port, 443);
	assert_string_equal(cf->vs[0].rs[1].checkers[0].virtualhost,
			    "vs.example.com");
	conf_free(cf);
}

static void test_haproxy(void **state)
{
	struct conf *cf = load("g-haproxy.conf");
	const struct conf_checker *c = cf->vs[0].rs[0].checkers;

	assert_int_equal(c[0].rise, 2);
	assert_int_equal(c[0].fall, 5);
	assert_int_equal(c[0].inter_ms, 2000);
	assert_int_equal(c[1].rise, 2);
	assert_int_equal(c[1].fall, 3);
	assert_int_equal(c[1].inter_ms, 2000);
	assert_int_equal(c[2].rise, 2);
	assert_int_equal(c[2].fall, 1);
	assert_int_equal(c[2].inter_ms, 500);
	assert_int_equal(c[3].rise, 4);
	assert_int_equal(c[3].fall, 3);
	assert_int_equal(c[3].inter_ms, 6000);
	assert_int_equal(c[3].delay_loop_ms, 6000);
	/* warmup: up to inter by default, up to delay_loop without rise/fall */
	assert_int_equal(c[0].warmup_ms, 2000);
	assert_int_equal(c[2].warmup_ms, 500);
	assert_int_equal(c[3].warmup_ms, 6000);
	conf_free(cf);
}

static void test_algos(void **state)
{
	static const struct {
		int sched;
		const char *as_written;
	} want[] = {
		{CONF_SCHED_RR, "rr"},	 {CONF_SCHED_WRR, "wrr"},
		{CONF_SCHED_SH, "sh"},	 {CONF_SCHED_SH, "mh"},
		{CONF_SCHED_MH, "mh"},	 {CONF_SCHED_MH, "sh"},
		{CONF_SCHED_WRR, "wrr"},
	};
	struct conf *cf = load("g-algos.conf");
	size_t i;

	assert_int_equal(cf->nvs, 7);
	for (i = 0; i < 7; i++) {
		assert_int_equal(cf->vs[i].sched, want[i].sched);
		assert_string_equal(cf->vs[i].sched_as_written,
				    want[i].as_written);
	}
	conf_free(cf);
}

static void test_preprocessor(void **state)
{
	static const char *const seq[] = {
		"198.18.1.1",  "198.18.1.3",  "198.18.1.5",  "198.18.1.7",
		"198.18.1.20", "198.18.1.19", "198.18.1.18", "198.18.2.10",
		"198.18.2.11", "198.18.3.1",  "198.18.3.2",
	};
	static const __u32 seq_w[] = {1, 3, 5, 7, 20, 19, 18, 1, 1, 1, 1};
	static const char *const lst[] = {
		"198.18.1.1",  "198.18.1.2",  "198.18.1.3",  "198.18.2.20",
		"198.18.2.21", "198.18.2.22", "198.18.3.5",  "198.18.3.6",
		"198.18.4.5",  "198.18.4.6",  "198.18.30.1", "198.18.30.2",
		"198.18.31.1", "198.18.31.2", "198.18.4.90", "198.18.4.80",
	};
	static const __u32 lst_w[] = {1, 2, 3, 14, 1, 17, 1, 1,
				      1, 1, 1, 1,  1, 1,  1, 1};
	struct conf *cf = load("g-defs.conf");
	size_t i;

	assert_int_equal(cf->nvs, 1);
	assert_int_equal(cf->vs[0].addr, ip("198.18.0.10"));
	assert_int_equal(cf->vs[0].nrs, 2);
	for (i = 0; i < 2; i++) {
		assert_int_equal(cf->vs[0].rs[i].addr,
				 ip(i ? "198.18.1.2" : "198.18.1.1"));
		assert_int_equal(cf->vs[0].rs[i].weight, i + 1);
		assert_int_equal(cf->vs[0].rs[i].checkers[0].connect_timeout_ms,
				 2000);
	}
	conf_free(cf);

	cf = load("g-multiline.conf");
	assert_int_equal(cf->nvs, 2);
	for (i = 0; i < 6; i++) {
		const struct conf_vs *vs = &cf->vs[i / 3];
		const struct conf_rs *rs = &vs->rs[i % 3];
		char addr[32], cmd[64];

		assert_int_equal(vs->nrs, 3);
		assert_int_equal(vs->alpha, i < 3);
		snprintf(addr, sizeof(addr), "198.18.%zu.%zu", i / 3,
			 i % 3 + 1);
		assert_int_equal(rs->addr, ip(addr));
		assert_int_equal(rs->weight, i % 3 + 1);
		assert_true(rs->inhibit_on_failure);
		snprintf(cmd, sizeof(cmd), "/bin/true RS_misc.%zu.%zu", i / 3,
			 i % 3 + 1);
		assert_string_equal(rs->checkers[0].misc.cmd, cmd);
		assert_string_equal(rs->notify_up.cmd, "/bin/echo . # ! UP");
	}
	conf_free(cf);

	cf = load("g-seq.conf");
	assert_int_equal(cf->vs[0].nrs, 11);
	for (i = 0; i < 11; i++) {
		assert_int_equal(cf->vs[0].rs[i].addr, ip(seq[i]));
		assert_int_equal(cf->vs[0].rs[i].weight, seq_w[i]);
	}
	conf_free(cf);

	cf = load("g-lst.conf");
	assert_int_equal(cf->vs[0].nrs, 16);
	for (i = 0; i < 16; i++) {
		assert_int_equal(cf->vs[0].rs[i].addr, ip(lst[i]));
		assert_int_equal(cf->vs[0].rs[i].weight, lst_w[i]);
	}
	conf_free(cf);

	cf = load("g-conditional.conf");
	assert_string_equal(cf->g.router_id, "yes_lbtest");
	assert_string_equal(cf->g.smtp_helo, "yes_not_other");
	assert_int_equal(cf->nvs, 1);
	assert_int_equal(cf->vs[0].addr, ip("198.18.0.11"));
	assert_int_equal(cf->vs[0].nrs, 1);
	assert_int_equal(cf->vs[0].rs[0].addr, ip("198.18.1.1"));
	conf_free(cf);

	cf = load("g-include.conf");
	assert_int_equal(cf->nvs, 3);
	assert_int_equal(cf->vs[0].addr, ip("198.18.0.11"));
	assert_int_equal(cf->vs[1].addr, ip("198.18.0.12"));
	assert_int_equal(cf->vs[2].rs[0].addr, ip("198.18.1.5"));
	assert_string_equal(cf->vs[2].rs[0].at.file, "inc/rs.inc");
	assert_int_equal(cf->vs[2].rs[0].at.line, 1);
	assert_string_equal(cf->vs[0].at.file, "inc/vs-1.conf");
	assert_string_equal(cf->vs[0].rs[0].at.file, "inc/vs-1-rs.inc");
	assert_int_equal(cf->vs[0].rs[0].weight, 2);
	conf_free(cf);

	cf = load("g-quotes.conf");
	assert_string_equal(cf->g.router_id, "lb one");
	assert_int_equal(cf->g.nemails, 3);
	assert_string_equal(cf->g.emails[0], "ops@example.com");
	assert_string_equal(cf->g.emails[2], "dev@example.com");
	assert_string_equal(cf->g.email_from, "lb@example.com");
	assert_string_equal(cf->g.smtp_helo, "abc de");
	assert_string_equal(cf->vs[0].rs[0].notify_up.cmd,
			    "/bin/echo up \"one\"");
	assert_string_equal(cf->vs[0].rs[0].notify_up.user, "root");
	assert_string_equal(cf->vs[0].rs[0].notify_up.group, "root");
	assert_null(cf->vs[0].rs[0].notify_down.user);
	assert_string_equal(cf->vs[0].rs[0].checkers[0].misc.cmd,
			    "/bin/true 'a b' c");
	assert_int_equal(cf->vs[0].rs[0].checkers[0].misc_timeout_ms, 3000);
	conf_free(cf);

	cf = load("g-braces.conf");
	assert_string_equal(cf->g.router_id, "lb#1");
	assert_int_equal(cf->vs[0].sched, CONF_SCHED_RR);
	assert_int_equal(cf->vs[0].rs[0].weight, 3);
	assert_int_equal(cf->vs[0].rs[1].weight, 4);
	assert_int_equal(cf->vs[0].rs[1].checkers[0].connect_timeout_ms, 2000);
	conf_free(cf);
}

static struct conf *load_seeded(const char *name, __u64 seed)
{
	struct conf_opts o = {.config_id = "lbtest", .rand_seed = seed};
	struct conf_diag d = {0};
	struct conf *cf = NULL;

	assert_int_equal(chdir(dir), 0);
	d.out = fopen("/dev/null", "w");
	assert_non_null(d.out);
	assert_int_equal(conf_load(name, &o, &cf, &d), 0);
	fclose(d.out);
	return cf;
}

/* ${_INSTANCE} is the config id; ${_RANDOM} is in its range and the same
 * for the same seed (conf_opts), not for another. */
static void test_builtins(void **state)
{
	struct conf *a = load("g-builtins.conf"), *b, *c;
	bool differ = false;
	int i;

	assert_string_equal(a->g.router_id, "lb_lbtest_lbtest");
	assert_string_equal(a->g.smtp_helo, "h#!");
	assert_int_equal(a->vs[0].nrs, 3);
	assert_in_range(a->vs[0].rs[0].weight, 1, 100);
	assert_int_equal(a->vs[0].rs[0].checkers[0].connect_timeout_ms, 2000);
	assert_in_range(a->vs[0].rs[1].weight, 0, 32767);
	assert_in_range(a->vs[0].rs[2].weight, 32000, 32767);
	b = load_seeded("g-builtins.conf", 1);
	c = load_seeded("g-builtins.conf", 2);
	for (i = 0; i < 3; i++) {
		assert_int_equal(a->vs[0].rs[i].weight, b->vs[0].rs[i].weight);
		if (a->vs[0].rs[i].weight != c->vs[0].rs[i].weight)
			differ = true;
	}
	assert_true(differ);
	conf_free(a);
	conf_free(b);
	conf_free(c);
}

static void test_vs_options(void **state)
{
	struct conf *cf = load("g-vs-options.conf");
	const struct conf_vs *vs = &cf->vs[0];

	assert_int_equal(vs->persist_sec, 50);
	assert_true(vs->omega);
	assert_true(vs->ha_suspend);
	assert_int_equal(vs->quorum, 2);
	assert_int_equal(vs->hysteresis, 1);
	assert_string_equal(vs->quorum_up.cmd, "/bin/true up");
	assert_string_equal(vs->quorum_down.cmd, "/bin/true");
	assert_true(vs->has_sorry);
	assert_int_equal(vs->sorry_addr, ip("198.18.1.9"));
	assert_int_equal(vs->sorry_port, 80);
	assert_true(vs->sorry_inhibit);
	assert_int_equal(vs->rs[0].weight, 2); /* the VS's weight */
	assert_int_equal(vs->rs[1].weight, 0);
	conf_free(cf);

	/* keepalived 2.2.7: no protocol is UDP (with a warning) */
	cf = load("g-minimal.conf");
	assert_int_equal(cf->vs[0].proto, IPPROTO_UDP);
	assert_int_equal(cf->vs[0].rs[0].weight, 1);
	conf_free(cf);

	cf = load("g-ports.conf");
	vs = &cf->vs[0];
	assert_int_equal(vs->sorry_port, 80);
	assert_int_equal(vs->rs[0].port, 80);
	assert_int_equal(vs->rs[0].checkers[0].connect_port, 80);
	assert_int_equal(vs->rs[0].checkers[1].connect_port, 8081);
	assert_int_equal(vs->rs[1].port, 80);
	vs = &cf->vs[1];
	assert_int_equal(vs->port, 0);
	assert_int_equal(vs->persist_sec, 360);
	assert_int_equal(vs->rs[0].port, 0);
	conf_free(cf);
}

static void test_vrrp_xdp_global(void **state)
{
	struct conf *cf = load("g-vrrp.conf");
	const struct conf_vrrp *v = &cf->vrrp[0];

	assert_true(v->master);
	assert_int_equal(v->priority, 150);
	assert_int_equal(v->advert_int_ms, 500);
	assert_int_equal(v->version, 3);
	assert_false(v->nopreempt);		  /* cleared: state MASTER */
	assert_int_equal(v->preempt_delay_ms, 0); /* cleared: state MASTER */
	assert_string_equal(v->auth_pass, "");	  /* v3 */
	assert_int_equal(v->nvips, 3);
	assert_int_equal(v->vips[1].addr, ip("198.18.0.11"));
	assert_int_equal(v->vips[1].prefix, 24);
	assert_string_equal(v->vips[1].dev, "eth0");
	assert_string_equal(v->vips[1].label, "eth0:1");
	assert_int_equal(v->vips[1].scope, 253);
	assert_int_equal(v->vips[2].scope, 200);
	assert_int_equal(v->nvips_excluded, 1);
	assert_int_equal(v->vips_excluded[0].prefix, 24);
	assert_false(cf->vrrp[1].master);
	assert_true(cf->vrrp[1].nopreempt);
	assert_int_equal(cf->vrrp[1].version, 2);
	assert_string_equal(cf->vrrp[1].auth_pass, "");
	conf_free(cf);

	cf = load("g-xdp.conf");
	assert_string_equal(cf->xdp.interface, "eth1");
	assert_int_equal(cf->xdp.mode, 1);
	assert_int_equal(cf->xdp.flows, 1048576);
	assert_int_equal(cf->xdp.max_vips, 64);
	assert_int_equal(cf->xdp.max_backends, 512);
	assert_int_equal(cf->xdp.ring_size, 65537);
	assert_int_equal(cf->xdp.at.line, 5);
	assert_string_equal(cf->xdp.sync_key_file, "/etc/lbxdp/sync.key");
	assert_int_equal(cf->xdp.sync_key_at.line, 12);
	conf_free(cf);

	cf = load("g-stats.conf");
	assert_true(cf->stats.on);
	assert_int_equal(cf->stats.bind_addr, ip("127.0.0.1"));
	assert_int_equal(cf->stats.bind_port, 8404);
	assert_string_equal(cf->stats.uri, "/lbstats");
	assert_string_equal(cf->stats.realm, "lbxdp stats");
	assert_int_equal(cf->stats.nusers, 3);
	assert_string_equal(cf->stats.users[0].name, "admin");
	assert_string_equal(cf->stats.users[0].pass, "secret");
	assert_false(cf->stats.users[0].hashed);
	assert_true(cf->stats.users[0].admin);
	assert_string_equal(cf->stats.users[1].name, "ops");
	assert_true(cf->stats.users[1].hashed);
	assert_true(cf->stats.users[1].admin);
	/* bcrypt: a hash too, as every password that begins with $ */
	assert_string_equal(cf->stats.users[2].name, "bc");
	assert_true(cf->stats.users[2].hashed);
	assert_false(cf->stats.users[2].admin);
	assert_int_equal(cf->stats.refresh_ms, 30000);
	assert_int_equal(cf->stats.request_timeout_ms, 20000);
	assert_true(cf->stats.hide_version);
	assert_false(cf->stats.metrics_auth);
	assert_string_equal(cf->stats.cert, "/etc/lbxdp/stats.pem");
	assert_string_equal(cf->stats.key, "/etc/lbxdp/stats.key");
	conf_free(cf);

	/* no block: off; an empty one: HAProxy's examples' defaults */
	cf = load("g-xdp.conf");
	assert_false(cf->stats.on);
	conf_free(cf);
	cf = load("g-stats-default.conf");
	assert_true(cf->stats.on);
	assert_int_equal(cf->stats.bind_addr, 0);
	assert_int_equal(cf->stats.bind_port, 1080);
	assert_string_equal(cf->stats.uri, "/stats");
	assert_string_equal(cf->stats.realm, "lbxdp");
	assert_int_equal(cf->stats.nusers, 0);
	assert_int_equal(cf->stats.refresh_ms, 0);
	assert_int_equal(cf->stats.request_timeout_ms, 10000); /* HAProxy's */
	assert_false(cf->stats.hide_version);
	assert_true(cf->stats.metrics_auth);
	assert_null(cf->stats.cert);
	conf_free(cf);

	cf = load("g-global.conf");
	assert_int_equal(cf->g.nemails, 2);
	assert_string_equal(cf->g.smtp_server, "198.18.0.25");
	assert_int_equal(cf->g.smtp_port, 2525);
	assert_int_equal(cf->g.smtp_timeout_ms, 10000);
	assert_int_equal(cf->g.smtp_alert, CONF_ON);
	assert_string_equal(cf->g.script_user, "root");
	assert_string_equal(cf->g.script_group, "root");
	assert_true(cf->g.script_security);
	assert_int_equal(cf->vrrp[0].version, 3); /* global_defs' */
	conf_free(cf);
}

/* smtp_alert: each block's own, else smtp_alert_checker or
 * smtp_alert_vrrp (instances and sync groups), else the global one, else
 * keepalived 2.2.7's default (on for real servers only). */
static void test_smtp_alert(void **state)
{
	struct conf *cf;

	(void)state;
	cf = load("g-smtp.conf");
	assert_int_equal(cf->g.smtp_alert, CONF_UNSET);
	assert_int_equal(cf->g.smtp_alert_checker, CONF_UNSET);
	assert_int_equal(cf->g.smtp_alert_vrrp, CONF_ON);
	assert_int_equal(cf->g.smtp_port, 2525);
	assert_int_equal(cf->vs[0].smtp_alert, CONF_OFF);
	assert_int_equal(cf->vs[0].rs[0].smtp_alert, CONF_ON);
	assert_int_equal(cf->vs[0].rs[1].smtp_alert, CONF_OFF);
	assert_int_equal(cf->vs[1].smtp_alert, CONF_ON);
	assert_int_equal(cf->vs[1].rs[0].smtp_alert, CONF_ON);
	assert_int_equal(cf->vrrp[0].smtp_alert, CONF_ON);
	assert_int_equal(cf->vrrp[1].smtp_alert, CONF_OFF);
	assert_int_equal(cf->sync_groups[0].smtp_alert, CONF_ON);
	assert_int_equal(cf->sync_groups[1].smtp_alert, CONF_OFF);
	conf_free(cf);

	cf = load("g-smtp-global.conf");
	assert_int_equal(cf->g.nemails, 2);
	assert_string_equal(cf->g.smtp_server, "mail.example.com");
	assert_int_equal(cf->g.smtp_port, 25);
	assert_int_equal(cf->g.smtp_timeout_ms, 30000);
	assert_int_equal(cf->g.smtp_alert, CONF_OFF);
	assert_int_equal(cf->vs[0].smtp_alert, CONF_ON);
	assert_int_equal(cf->vs[0].rs[0].smtp_alert, CONF_ON);
	assert_int_equal(cf->vrrp[0].smtp_alert, CONF_OFF);
	assert_int_equal(cf->sync_groups[0].smtp_alert, CONF_OFF);
	assert_int_equal(cf->sync_groups[1].smtp_alert, CONF_ON);
	conf_free(cf);

	/* nothing written: real servers on, the rest off */
	cf = load("g-global.conf");
	assert_int_equal(cf->vrrp[0].smtp_alert, CONF_ON); /* global on */
	assert_int_equal(cf->sync_groups[0].smtp_alert, CONF_ON);
	conf_free(cf);
	cf = load("g-minimal.conf");
	assert_int_equal(cf->vs[0].smtp_alert, CONF_OFF);
	assert_int_equal(cf->vs[0].rs[0].smtp_alert, CONF_ON);
	conf_free(cf);
}

/* Exit 2 when the file cannot be read; -errno from conf_load. */
static void test_unreadable(void **state)
{
	struct conf_opts o = {.config_id = "lbtest", .rand_seed = 1};
	struct conf_diag d = {0};
	struct conf *cf = NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	assert_int_equal(chdir(dir), 0);
	f = open_memstream(&out, &len);
	assert_non_null(f);
	assert_int_equal(conf_test("no-such-file.conf", &o, f), 2);
	assert_int_equal(conf_test("inc", &o, f), 2);
	fclose(f);
	assert_string_equal(
		out,
		"no-such-file.conf: error: cannot read: No such file or directory\n"
		"inc: error: cannot read: Is a directory\n");
	free(out);
	assert_int_equal(conf_load("no-such-file.conf", &o, &cf, &d), -ENOENT);
	assert_null(cf);
	assert_int_equal(conf_load("b-dup.conf", &o, &cf, &d), -EINVAL);
	assert_null(cf);
}

/* conf_opts: no_include, max_line, max_depth, and the host name as the
 * default config id. */
static void test_opts(void **state)
{
	char host[256] = "", path[] = "/tmp/lbxdp-test-conf.XXXXXX";
	struct conf_opts o = {.config_id = "lbtest", .no_include = true};
	struct conf_diag d = {0};
	struct conf *cf = NULL;
	FILE *f;
	int fd;

	assert_int_equal(chdir(dir), 0);
	assert_int_equal(conf_load("g-include.conf", &o, &cf, &d), -EINVAL);
	assert_int_equal(d.errors, 3); /* include, includer, include */

	assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f,
		"$L=0123456789\n"
		"$M=${L}${L}${L}${L}${L}${L}${L}${L}${L}${L}\n"
		"global_defs {\n@%s router_id $M\n}\n",
		host);
	fclose(f);
	memset(&o, 0, sizeof(o));
	memset(&d, 0, sizeof(d));
	assert_int_equal(conf_load(path, &o, &cf, &d), 0);
	assert_int_equal(strlen(cf->g.router_id), 100);
	conf_free(cf);
	o.max_line = 99 + strlen("router_id ");
	assert_int_equal(conf_load(path, &o, &cf, &d), -EINVAL);
	o.max_line = 100 + strlen("router_id ");
	assert_int_equal(conf_load(path, &o, &cf, &d), 0);
	conf_free(cf);
	o.max_depth = 1;
	assert_int_equal(conf_load(path, &o, &cf, &d), -EINVAL);
	o.max_depth = 2;
	assert_int_equal(conf_load(path, &o, &cf, &d), 0);
	conf_free(cf);
	o.config_id = "not-this-host";
	assert_int_equal(conf_load(path, &o, &cf, &d), 0);
	assert_null(cf->g.router_id);
	conf_free(cf);

	/* 1024 vrrp_instance blocks at most (quadratic checks) */
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f,
		"$V= \\\nvrrp_instance V${I} { \\\ninterface e${I} \\\n"
		"virtual_router_id 1 \\\n}\n~SEQ(I, 1, %d) $V\n",
		1025);
	fclose(f);
	memset(&d, 0, sizeof(d));
	assert_int_equal(conf_load(path, &o, &cf, &d), -EINVAL);
	assert_int_equal(d.errors, 1);
	assert_int_equal(d.warnings, 0);
	unlink(path);
}

static int write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	fclose(f);
	return chmod(path, mode);
}

static char *host_check(struct conf *cf, bool fatal, int *ret,
			struct conf_diag *d)
{
	char *out = NULL;
	size_t len = 0;

	memset(d, 0, sizeof(*d));
	d->out = open_memstream(&out, &len);
	assert_non_null(d->out);
	*ret = conf_check_host(cf, fatal, d);
	fclose(d->out);
	return out;
}

/* Script security: a script root runs must not be changeable by anyone
 * else: an error at start under enable_script_security, a warning under
 * -t, and a warning without script security. */
static void test_host(void **state)
{
	char tmp[] = "/tmp/lbxdp-test-host.XXXXXX";
	char script[PATH_MAX], cfg[PATH_MAX], text[PATH_MAX + 512];
	struct conf_opts o = {.config_id = "lbtest", .rand_seed = 1};
	struct conf_diag d = {0};
	struct conf *cf = NULL;
	char *out;
	int ret;

	assert_non_null(mkdtemp(tmp));
	assert_int_equal(chmod(tmp, 0755), 0);
	snprintf(script, sizeof(script), "%s/check.sh", tmp);
	snprintf(cfg, sizeof(cfg), "%s/k.conf", tmp);
	assert_int_equal(write_file(script, "#!/bin/sh\nexit 0\n", 0777), 0);
	snprintf(
		text, sizeof(text),
		"global_defs {\n script_user root\n enable_script_security\n}\n"
		"virtual_server 198.18.0.10 80 {\n lb_algo rr\n lb_kind DR\n"
		" protocol TCP\n"
		" real_server 198.18.1.1 80 {\n  notify_up /bin/true\n"
		"  MISC_CHECK {\n   misc_path %s\n  }\n }\n}\n",
		script);
	assert_int_equal(write_file(cfg, text, 0644), 0);
	assert_int_equal(conf_load(cfg, &o, &cf, &d), 0);
	assert_int_equal(d.warnings, 0);

	out = host_check(cf, true, &ret, &d);
	assert_int_equal(ret, 1);
	assert_int_equal(d.errors, 1);
	assert_int_equal(d.warnings, 0);
	assert_non_null(strstr(out, ":12: error: misc_path "));
	assert_non_null(strstr(out, ": refused under enable_script_security"));
	free(out);
	out = host_check(cf, false, &ret, &d);
	assert_int_equal(ret, 0);
	assert_int_equal(d.errors, 0);
	assert_int_equal(d.warnings, 1);
	assert_non_null(strstr(out, ":12: warning: misc_path "));
	free(out);

	/* no script security: a warning that it would be refused */
	cf->g.script_security = false;
	out = host_check(cf, true, &ret, &d);
	assert_int_equal(ret, 0);
	assert_int_equal(d.warnings, 1);
	assert_non_null(
		strstr(out, "(enable_script_security would refuse it)"));
	free(out);
	cf->g.script_security = true;

	/* safe when only root can change it (we are root), and always when
	 * it runs as someone else */
	assert_int_equal(chmod(script, 0755), 0);
	out = host_check(cf, true, &ret, &d);
	assert_int_equal(ret, geteuid() == 0 ? 0 : 1);
	free(out);
	free(cf->g.script_user);
	cf->g.script_user = strdup("nobody");
	assert_int_equal(chmod(script, 0777), 0);
	out = host_check(cf, true, &ret, &d);
	assert_int_equal(ret, 0);
	assert_string_equal(out, "");
	free(out);
	/* each script knows its user's ids: the daemon looks none up */
	assert_true(cf->vs[0].rs[0].notify_up.cred.drop);
	assert_int_equal(cf->vs[0].rs[0].notify_up.cred.uid,
			 getpwnam("nobody")->pw_uid);

	/* No script_user: keepalived_script, where it exists; else no one
	 * under enable_script_security (keepalived: "Unable to set default
	 * user"), however safe the script. */
	free(cf->g.script_user);
	cf->g.script_user = NULL;
	assert_int_equal(chmod(script, 0755), 0);
	out = host_check(cf, true, &ret, &d);
	if (getpwnam(SCRIPT_DEFAULT_USER)) {
		assert_int_equal(ret, 0);
	} else {
		assert_int_equal(ret, 2);
		assert_non_null(strstr(out,
				       ":10: error: notify_up /bin/true: no "
				       "user to run it as: "));
		assert_non_null(strstr(out, ":12: error: misc_path "));
		assert_false(cf->vs[0].rs[0].notify_up.cred.drop);
	}
	free(out);
	cf->g.script_security = false;
	out = host_check(cf, true, &ret, &d);
	assert_int_equal(ret, 0);
	free(out);

	conf_free(cf);
	unlink(script);
	unlink(cfg);
	rmdir(tmp);
}

int main(int argc, char **argv)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_seed),
		cmocka_unit_test(test_inherit),
		cmocka_unit_test(test_defaults_by_type),
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_haproxy),
		cmocka_unit_test(test_algos),
		cmocka_unit_test(test_preprocessor),
		cmocka_unit_test(test_builtins),
		cmocka_unit_test(test_vs_options),
		cmocka_unit_test(test_vrrp_xdp_global),
		cmocka_unit_test(test_smtp_alert),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_opts),
		cmocka_unit_test(test_host),
	};
	size_t nfixed = sizeof(fixed) / sizeof(fixed[0]), i, n;
	struct CMUnitTest *tests;
	glob_t g;
	int rc;

	/* test_conf FILE...: what the test compares with FILE.expect */
	if (argc > 1) {
		for (i = 1; i < (size_t)argc; i++) {
			char *out = check_file(argv[i]);

			fputs(out, stdout);
			free(out);
		}
		return 0;
	}
	if (find_dir() || chdir(dir)) {
		fprintf(stderr, "test_conf: no %s (set LBXDP_CONF_DIR)\n", dir);
		return 1;
	}
	if (glob("*.conf", 0, NULL, &g) || g.gl_pathc < MIN_FILES) {
		fprintf(stderr, "test_conf: fewer than %d files in %s\n",
			MIN_FILES, dir);
		return 1;
	}
	n = g.gl_pathc + nfixed;
	tests = calloc(n, sizeof(*tests));
	if (!tests)
		return 1;
	for (i = 0; i < g.gl_pathc; i++) {
		tests[i].name = g.gl_pathv[i];
		tests[i].test_func = test_file;
		tests[i].initial_state = g.gl_pathv[i];
	}
	memcpy(&tests[g.gl_pathc], fixed, sizeof(fixed));
	rc = _cmocka_run_group_tests("conf", tests, n, NULL, NULL);
	free(tests);
	globfree(&g);
	return rc;
}
