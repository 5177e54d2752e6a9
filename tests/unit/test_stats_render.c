// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The stats page, HAProxy's CSV and the JSON export, from a synthetic
 * snapshot: two virtual servers with a real server in every state, one
 * VRRP instance, counters with rates, without, and none at all. Hostile
 * strings everywhere a string can come from (reasons, names, the uri, the
 * token, the notice) must come out escaped; the admin's forms only with a
 * token and never for the sorry server.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/stats.h"

#define NOW 1700000000000ULL
#define HOSTILE "<script>\"x'&"
#define HOSTILE_ESC "&lt;script&gt;&quot;x&#39;&amp;"

struct fix {
	struct st_snap s;
	struct st_vs vs[2];
	struct st_rs rs0[5], rs1[2];
	struct st_vrrp vrrp;
};

static void rs_set(struct st_rs *rs, const char *addr, enum st_state st,
		   __u32 w, __u32 cw)
{
	inet_pton(AF_INET, addr, &rs->addr);
	rs->state = st;
	rs->weight = w;
	rs->cfg_weight = cw;
	rs->present = true;
}

static void fix_init(struct fix *f)
{
	struct st_snap *s = &f->s;
	unsigned int i;

	memset(f, 0, sizeof(*f));
	s->now_ms = NOW;
	s->start_ms = NOW - 3723000; /* 1h2m3s */
	s->pid = 4242;
	s->version = "v1.2-test";
	snprintf(s->router_id, sizeof(s->router_id), "%s", "lb" HOSTILE);
	snprintf(s->interface, sizeof(s->interface), "eth0");
	s->reloads = 2;
	s->maps_ok = true;
	for (i = 0; i < LBXDP_NR_COUNTERS; i++)
		s->reasons[i] = 10 * i;

	/* 198.18.0.10:80/tcp: counters with rates */
	snprintf(f->vs[0].svc, sizeof(f->vs[0].svc), "198.18.0.10:80/tcp");
	snprintf(f->vs[0].sched, sizeof(f->vs[0].sched), "wrr");
	f->vs[0].quorum_up = true;
	f->vs[0].m = (struct st_ctr){
		.valid = true,
		.c = {.packets = 5000, .bytes = 320000, .new_flows = 40},
		.have_rate = true,
		.pps = 61.2,
		.bps = 31000,
		.nfps = 4.1,
		.active = 9,
		.flows = 20,
	};
	f->vs[0].rs = f->rs0;
	f->vs[0].nrs = 5;

	rs_set(&f->rs0[0], "198.18.0.11", ST_UP, 100, 100);
	snprintf(f->rs0[0].by, sizeof(f->rs0[0].by), "check");
	snprintf(f->rs0[0].checker, sizeof(f->rs0[0].checker), "HTTP_GET");
	snprintf(f->rs0[0].reason, sizeof(f->rs0[0].reason), "HTTP 200");
	f->rs0[0].last_ms = NOW - 3000;
	f->rs0[0].since_ms = NOW - 3723000;
	f->rs0[0].transitions = 2;
	f->rs0[0].m = (struct st_ctr){
		.valid = true,
		.c = {.packets = 1000, .bytes = 64000, .new_flows = 10},
		.have_rate = true,
		.pps = 12.3,
		.bps = 2500000,
		.nfps = 2.2,
		.active = 3,
		.flows = 7,
	};

	/* down, a hostile reason, counters without rates */
	rs_set(&f->rs0[1], "198.18.0.12", ST_DOWN, 0, 100);
	snprintf(f->rs0[1].by, sizeof(f->rs0[1].by), "check");
	snprintf(f->rs0[1].checker, sizeof(f->rs0[1].checker), "HTTP_GET");
	snprintf(f->rs0[1].reason, sizeof(f->rs0[1].reason), HOSTILE);
	f->rs0[1].last_ms = NOW - 65000;
	f->rs0[1].fails = 3;
	f->rs0[1].transitions = 1;
	f->rs0[1].m = (struct st_ctr){
		.valid = true,
		.c = {.packets = 20, .bytes = 1280, .new_flows = 2},
		.flows = 1,
	};

	/* the operator's, no check result, no counters */
	rs_set(&f->rs0[2], "198.18.0.13", ST_DRAIN, 0, 50);
	f->rs0[2].op = true;
	snprintf(f->rs0[2].by, sizeof(f->rs0[2].by), "operator");
	rs_set(&f->rs0[3], "198.18.0.14", ST_MAINT, 0, 100);
	f->rs0[3].op = true;
	snprintf(f->rs0[3].by, sizeof(f->rs0[3].by), "operator");
	rs_set(&f->rs0[4], "198.18.0.15", ST_SORRY, 1, 1);

	/* 198.18.0.20:53/udp: quorum down, no counters */
	snprintf(f->vs[1].svc, sizeof(f->vs[1].svc), "198.18.0.20:53/udp");
	snprintf(f->vs[1].sched, sizeof(f->vs[1].sched), "mh");
	f->vs[1].rs = f->rs1;
	f->vs[1].nrs = 2;
	rs_set(&f->rs1[0], "198.18.0.21", ST_NOCHECK, 10, 10);
	snprintf(f->rs1[0].by, sizeof(f->rs1[0].by), "config");
	rs_set(&f->rs1[1], "198.18.0.22", ST_PENDING, 10, 10);

	s->vs = f->vs;
	s->nvs = 2;

	snprintf(f->vrrp.name, sizeof(f->vrrp.name), "VI_1");
	snprintf(f->vrrp.iface, sizeof(f->vrrp.iface), "eth0");
	f->vrrp.vrid = 51;
	snprintf(f->vrrp.state, sizeof(f->vrrp.state), "MASTER");
	f->vrrp.prio = 150;
	f->vrrp.cfg_prio = 100;
	snprintf(f->vrrp.master, sizeof(f->vrrp.master), "198.18.0.1");
	f->vrrp.transitions = 3;
	f->vrrp.since_ms = NOW - (2 * 86400 + 3 * 3600 + 5) * 1000ULL;
	s->vrrp = &f->vrrp;
	s->nvrrp = 1;
}

static const struct st_page page_ro = {.uri = "/stats"};

enum fmt { HTML, CSV, JSON };

/* What st_html/st_csv/st_json wrote, NUL-terminated; the caller frees. */
static char *render(enum fmt fmt, const struct st_snap *s,
		    const struct st_page *pg, bool hide)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int rc;

	assert_non_null(out);
	if (fmt == HTML)
		rc = st_html(out, s, pg);
	else if (fmt == CSV)
		rc = st_csv(out, s);
	else
		rc = st_json(out, s, hide);
	assert_int_equal(rc, 0);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(strlen(buf), len);
	return buf;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (hay = strstr(hay, needle); hay; hay = strstr(hay + 1, needle))
		n++;
	return n;
}

/* The row of server @addr, up to its "</tr>", as a new string. */
static char *row(const char *page, const char *addr)
{
	char key[64];
	const char *b, *e;

	snprintf(key, sizeof(key), "data-rs=\"%s\"", addr);
	b = strstr(page, key);
	assert_non_null(b);
	while (b > page && strncmp(b, "<tr", 3))
		b--;
	e = strstr(b, "</tr>");
	assert_non_null(e);
	return strndup(b, e + 5 - b);
}

static void test_html_escape(void **state)
{
	struct st_page pg = {
		.uri = "/st\"ats<x>",
		.csrf = "t<o>k\"en",
		.notice = "<script>alert(1)</script>",
		.user = "a'dmin",
	};
	struct fix f;
	char *p;

	(void)state;
	fix_init(&f);
	snprintf(f.vs[1].svc, sizeof(f.vs[1].svc), "%s", "svc" HOSTILE);
	snprintf(f.vs[1].sched, sizeof(f.vs[1].sched), "<i>");
	snprintf(f.rs1[0].by, sizeof(f.rs1[0].by), "<b>");
	snprintf(f.vrrp.name, sizeof(f.vrrp.name), "%s", "vi" HOSTILE);
	snprintf(f.vrrp.state, sizeof(f.vrrp.state), "<M>");
	snprintf(f.vrrp.group, sizeof(f.vrrp.group), "%s", "g" HOSTILE);
	f.s.maps_ok = false;
	snprintf(f.s.maps_err, sizeof(f.s.maps_err), "%s", "err" HOSTILE);
	p = render(HTML, &f.s, &pg, false);

	/* not one hostile string came through raw */
	assert_null(strstr(p, "<script"));
	assert_null(strstr(p, "<x>"));
	assert_null(strstr(p, "<i>"));
	assert_null(strstr(p, "<M>"));
	assert_null(strstr(p, "\"x'"));
	assert_null(strstr(p, "t<o>"));
	assert_null(strstr(p, "a'dmin"));

	assert_non_null(strstr(p, "router_id <b>lb" HOSTILE_ESC "</b>"));
	assert_non_null(strstr(p, "<td class=\"chk\">HTTP_GET: " HOSTILE_ESC
				  ", 1m5s ago</td>"));
	assert_non_null(strstr(p, "<p class=\"notice\">&lt;script&gt;alert(1)"
				  "&lt;/script&gt;</p>\n"));
	assert_non_null(strstr(
		p, "<p class=\"error\">no counters: err" HOSTILE_ESC "</p>\n"));
	assert_non_null(strstr(p,
			       "<table class=\"vs\" data-svc=\"svc" HOSTILE_ESC
			       "\">\n<caption>svc" HOSTILE_ESC " &lt;i&gt; "));
	assert_non_null(strstr(p, "<td>no check <span class=\"by\">(&lt;b&gt;)"
				  "</span></td>"));
	assert_non_null(strstr(
		p, "<tr data-instance=\"vi" HOSTILE_ESC
		   "\" data-state=\"&lt;M&gt;\"><td>vi" HOSTILE_ESC "</td>"));
	assert_non_null(strstr(p, "<td>g" HOSTILE_ESC "</td>"));
	assert_non_null(strstr(p, "user <b>a&#39;dmin</b>"));
	assert_non_null(strstr(p, "<a href=\"/st&quot;ats&lt;x&gt;;csv\">"));
	assert_non_null(strstr(p, "<a href=\"/st&quot;ats&lt;x&gt;;json\">"));
	assert_int_equal(
		count(p, "<form method=\"post\" action=\"/st&quot;ats"
			 "&lt;x&gt;\" class=\"act\"><input type=\"hidden\" "
			 "name=\"csrf\" value=\"t&lt;o&gt;k&quot;en\">"),
		6);
	assert_non_null(strstr(p, "<input type=\"hidden\" name=\"svc\" "
				  "value=\"svc" HOSTILE_ESC "\">"));
	/* no counters: no frames table */
	assert_null(strstr(p, "class=\"frames\""));
	free(p);
}

static void test_html_rows(void **state)
{
	static const struct {
		const char *addr, *tr;
	} want[] = {
		{"198.18.0.11",
		 "<tr class=\"rs st-up\" data-rs=\"198.18.0.11\" "
		 "data-state=\"up\" data-weight=\"100\">"},
		{"198.18.0.12",
		 "<tr class=\"rs st-down\" data-rs=\"198.18.0.12\" "
		 "data-state=\"down\" data-weight=\"0\">"},
		{"198.18.0.13",
		 "<tr class=\"rs st-drain\" data-rs=\"198.18.0.13\" "
		 "data-state=\"drain\" data-weight=\"0\">"},
		{"198.18.0.14",
		 "<tr class=\"rs st-maint\" data-rs=\"198.18.0.14\" "
		 "data-state=\"maint\" data-weight=\"0\">"},
		{"198.18.0.15",
		 "<tr class=\"rs st-sorry\" data-rs=\"198.18.0.15\" "
		 "data-state=\"sorry\" data-weight=\"1\">"},
		{"198.18.0.21",
		 "<tr class=\"rs st-no-check\" "
		 "data-rs=\"198.18.0.21\" data-state=\"no-check\" "
		 "data-weight=\"10\">"},
		{"198.18.0.22",
		 "<tr class=\"rs st-pending\" "
		 "data-rs=\"198.18.0.22\" data-state=\"pending\" "
		 "data-weight=\"10\">"},
	};
	struct fix f;
	unsigned int i;
	char *p, *r;

	(void)state;
	fix_init(&f);
	p = render(HTML, &f.s, &page_ro, false);
	assert_int_equal(count(p, "<tr class=\"rs "), 7);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		r = row(p, want[i].addr);
		assert_memory_equal(r, want[i].tr, strlen(want[i].tr));
		free(r);
	}

	/* every column of an up server with rates */
	r = row(p, "198.18.0.11");
	assert_string_equal(
		r,
		"<tr class=\"rs st-up\" data-rs=\"198.18.0.11\" data-state=\"up\" "
		"data-weight=\"100\"><td>198.18.0.11</td><td>up <span "
		"class=\"by\">(check)</span></td><td>100</td><td "
		"class=\"chk\">HTTP_GET: HTTP 200, 3s ago</td><td>0</td>"
		"<td>1h2m</td><td>2</td><td>1000</td><td>64000</td><td>10</td>"
		"<td>12.3</td><td>2.5M</td><td>2.2</td><td>3</td><td>7</td></tr>");
	free(r);
	/* without rates: "-"; no time in state: "-" */
	r = row(p, "198.18.0.12");
	assert_non_null(strstr(r, "<td>0 (cfg 100)</td>"));
	assert_non_null(
		strstr(r, "</td><td>3</td><td>-</td><td>1</td>"
			  "<td>20</td><td>1280</td><td>2</td><td>-</td>"
			  "<td>-</td><td>-</td><td>0</td><td>1</td></tr>"));
	free(r);
	/* the operator's, no check, no counters */
	r = row(p, "198.18.0.13");
	assert_non_null(strstr(r, "<td>drain <span class=\"by\">(operator)"
				  "</span></td><td>0 (cfg 50) <span "
				  "class=\"op\">operator</span></td><td "
				  "class=\"chk\">-</td><td>0</td><td>-</td>"
				  "<td>0</td><td>-</td><td>-</td><td>-</td>"
				  "<td>-</td><td>-</td><td>-</td><td>-</td>"
				  "<td>-</td></tr>"));
	free(r);

	assert_non_null(strstr(
		p, "<caption>198.18.0.10:80/tcp wrr &middot; <span "
		   "class=\"q-up\">quorum up</span> &middot; packets 5000, "
		   "bytes 320000, new flows 40, pps 61.2, bps 31.0k, new "
		   "flows/s 4.1, active 9, flows 20</caption>"));
	assert_non_null(
		strstr(p, "<caption>198.18.0.20:53/udp mh &middot; <span "
			  "class=\"q-down\">quorum down</span> &middot; no "
			  "counters</caption>"));
	assert_non_null(strstr(p,
			       "router_id <b>lb" HOSTILE_ESC
			       "</b> &middot; interface <b>eth0</b> &middot; "
			       "pid <b>4242</b> &middot; uptime <b>1h2m</b> "
			       "&middot; version <b>v1.2-test</b> &middot; "
			       "reloads <b>2</b></p>"));
	assert_non_null(strstr(p, "<title>lbxdp statistics</title>"));
	assert_non_null(strstr(p, "<a href=\"/stats;csv\">"));
	assert_non_null(strstr(p, "<a href=\"/stats;json\">"));
	assert_non_null(strstr(p, "<tr><td>forwarded</td><td>0</td></tr>\n"
				  "<tr><td>passed</td><td>10</td></tr>\n"));
	assert_null(strstr(p, "class=\"notice\""));
	assert_null(strstr(p, "class=\"error\""));
	free(p);
}

static void test_html_vrrp(void **state)
{
	struct fix f;
	char *p;

	(void)state;
	fix_init(&f);
	p = render(HTML, &f.s, &page_ro, false);
	assert_non_null(strstr(
		p, "<tr data-instance=\"VI_1\" data-state=\"MASTER\"><td>VI_1"
		   "</td><td>eth0</td><td>51</td><td>MASTER</td><td>150 (cfg "
		   "100)</td><td>198.18.0.1</td><td>-</td><td>3</td>"
		   "<td>2d3h</td></tr>\n"));
	assert_int_equal(count(p, "<table class=\"vrrp\">"), 1);
	free(p);

	f.s.nvrrp = 0;
	p = render(HTML, &f.s, &page_ro, false);
	assert_null(strstr(p, "class=\"vrrp\""));
	assert_null(strstr(p, "data-instance"));
	free(p);
}

static void test_html_admin(void **state)
{
	struct st_page pg = {.uri = "/stats", .csrf = "tok123"};
	struct fix f;
	char *p, *r;

	(void)state;
	fix_init(&f);
	p = render(HTML, &f.s, &pg, false);
	/* six servers, the sorry server has none */
	assert_int_equal(count(p, "<form method=\"post\" action=\"/stats\" "
				  "class=\"act\">"),
			 6);
	assert_int_equal(count(p, "<th>actions</th>"), 2);
	r = row(p, "198.18.0.15");
	assert_null(strstr(r, "<form"));
	assert_non_null(strstr(r, "<td></td></tr>"));
	free(r);
	r = row(p, "198.18.0.13");
	assert_non_null(strstr(
		r, "<td><form method=\"post\" action=\"/stats\" "
		   "class=\"act\"><input type=\"hidden\" name=\"csrf\" "
		   "value=\"tok123\"><input type=\"hidden\" name=\"svc\" "
		   "value=\"198.18.0.10:80/tcp\"><input type=\"hidden\" "
		   "name=\"rs\" value=\"198.18.0.13\"><input type=\"number\" "
		   "name=\"weight\" min=\"0\" max=\"65535\"><button "
		   "type=\"submit\" name=\"action\" value=\"weight\">set "
		   "weight</button> <button type=\"submit\" name=\"action\" "
		   "value=\"drain\">drain</button> <button type=\"submit\" "
		   "name=\"action\" value=\"maint\">maint</button> <button "
		   "type=\"submit\" name=\"action\" "
		   "value=\"ready\">ready</button></form></td></tr>"));
	free(r);
	r = row(p, "198.18.0.22");
	assert_non_null(strstr(r, "<input type=\"hidden\" name=\"svc\" "
				  "value=\"198.18.0.20:53/udp\"><input "
				  "type=\"hidden\" name=\"rs\" "
				  "value=\"198.18.0.22\">"));
	free(r);
	assert_non_null(strstr(p, "drain = weight 0"));
	assert_non_null(strstr(p, "(backend set --weight 0)"));
	assert_non_null(strstr(p, "maint = down (backend set --down)"));
	assert_non_null(strstr(p, "(backend set --auto)"));
	free(p);

	/* read-only: no form, no column, no legend */
	p = render(HTML, &f.s, &page_ro, false);
	assert_null(strstr(p, "<form"));
	assert_null(strstr(p, "<button"));
	assert_null(strstr(p, "actions"));
	assert_null(strstr(p, "backend set"));
	free(p);
}

static void test_html_head(void **state)
{
	struct st_page pg = {.uri = "/stats", .refresh_ms = 30000};
	struct fix f;
	char *p;

	(void)state;
	fix_init(&f);
	p = render(HTML, &f.s, &pg, false);
	assert_memory_equal(p, "<!DOCTYPE html>\n", 16);
	assert_non_null(strstr(p, "<meta charset=\"utf-8\">"));
	assert_int_equal(
		count(p, "<meta http-equiv=\"refresh\" content=\"30\">\n"), 1);
	assert_non_null(strstr(p, "version <b>v1.2-test</b>"));
	assert_memory_equal(p + strlen(p) - 15, "</body></html>\n", 15);
	free(p);

	/* rounded up: never 0, which would reload without pause */
	pg.refresh_ms = 1500;
	p = render(HTML, &f.s, &pg, false);
	assert_non_null(
		strstr(p, "<meta http-equiv=\"refresh\" content=\"2\">"));
	free(p);
	pg.refresh_ms = 1;
	p = render(HTML, &f.s, &pg, false);
	assert_non_null(
		strstr(p, "<meta http-equiv=\"refresh\" content=\"1\">"));
	free(p);

	pg.refresh_ms = 0;
	pg.hide_version = true;
	p = render(HTML, &f.s, &pg, false);
	assert_null(strstr(p, "http-equiv"));
	assert_null(strstr(p, "v1.2-test"));
	assert_null(strstr(p, "version"));
	assert_non_null(
		strstr(p, "uptime <b>1h2m</b> &middot; reloads <b>2</b>"));
	free(p);

	f.s.reload_errors = 1;
	f.s.now_ms = f.s.start_ms + 45000;
	p = render(HTML, &f.s, &pg, false);
	assert_non_null(strstr(p, "uptime <b>45s</b> &middot; reloads <b>2</b> "
				  "(1 failed)</p>"));
	free(p);
}

static const char csv_head[] =
	"# pxname,svname,status,weight,scur,stot,rate,bin,lastchg,check_desc,"
	"last_chk,pkts,pps,bps,flows,check_fails,transitions,check_age,\n";

static void test_csv(void **state)
{
	static const char want[] =
		"198.18.0.10:80/tcp,198.18.0.11,UP,100,3,10,2,64000,3723,"
		"HTTP_GET: HTTP 200,HTTP 200,1000,12,2500000,7,0,2,3,\n"
		"198.18.0.10:80/tcp,198.18.0.12,DOWN,0,0,2,,1280,,"
		"\"HTTP_GET: <script>\"\"x'&\",\"<script>\"\"x'&\","
		"20,,,1,3,1,65,\n"
		"198.18.0.10:80/tcp,198.18.0.13,DRAIN,0,,,,,,,,,,,,0,0,,\n"
		"198.18.0.10:80/tcp,198.18.0.14,MAINT,0,,,,,,,,,,,,0,0,,\n"
		"198.18.0.10:80/tcp,198.18.0.15,UP,1,,,,,,,,,,,,0,0,,\n"
		"198.18.0.10:80/tcp,BACKEND,UP,100,9,40,4,320000,,,,5000,61,"
		"31000,20,,,,\n"
		"198.18.0.20:53/udp,198.18.0.21,no check,10,,,,,,,,,,,,0,0,,\n"
		"198.18.0.20:53/udp,198.18.0.22,INI,10,,,,,,,,,,,,0,0,,\n"
		"198.18.0.20:53/udp,BACKEND,DOWN,20,,,,,,,,,,,,,,,\n";
	struct fix f;
	char *p;

	(void)state;
	fix_init(&f);
	p = render(CSV, &f.s, NULL, false);
	assert_memory_equal(p, csv_head, strlen(csv_head));
	assert_string_equal(p + strlen(csv_head), want);
	/* every line has the header's 18 fields, each ended by a comma */
	assert_int_equal(count(csv_head, ","), 18);
	free(p);
}

static void test_csv_quoting(void **state)
{
	struct fix f;
	char *p;

	(void)state;
	fix_init(&f);
	f.vs[1].nrs = 0;
	f.vs[0].nrs = 1;
	snprintf(f.rs0[0].reason, sizeof(f.rs0[0].reason),
		 "say \"hi\", then\nbye\r");
	snprintf(f.rs0[0].checker, sizeof(f.rs0[0].checker), "MISC");
	p = render(CSV, &f.s, NULL, false);
	assert_non_null(strstr(p, ",3723,\"MISC: say \"\"hi\"\", then\nbye\r\","
				  "\"say \"\"hi\"\", then\nbye\r\",1000,"));
	free(p);

	/* nothing but a comma, nothing but a quote */
	snprintf(f.rs0[0].reason, sizeof(f.rs0[0].reason), ",");
	snprintf(f.rs0[0].checker, sizeof(f.rs0[0].checker), "\"");
	p = render(CSV, &f.s, NULL, false);
	assert_non_null(strstr(p, ",3723,\"\"\": ,\",\",\",1000,"));
	free(p);
}

static json_object *get(json_object *o, const char *k)
{
	json_object *v = NULL;

	assert_true(json_object_object_get_ex(o, k, &v));
	return v;
}

static void test_json(void **state)
{
	json_object *root, *vs, *rs, *o, *c;
	struct fix f;
	char *p;

	(void)state;
	fix_init(&f);
	p = render(JSON, &f.s, NULL, false);
	/* one document on one line */
	assert_int_equal(count(p, "\n"), 1);
	assert_int_equal(p[strlen(p) - 1], '\n');
	/* rates as written, not json-c's 17 digits */
	assert_non_null(strstr(p, "\"rates\":{\"pps\":61.2,\"bps\":31000,"
				  "\"new_flows_per_s\":4.1}"));
	root = json_tokener_parse(p);
	assert_non_null(root);
	assert_string_equal(json_object_get_string(get(root, "version")),
			    "v1.2-test");
	assert_int_equal(json_object_get_int(get(root, "pid")), 4242);
	assert_string_equal(json_object_get_string(get(root, "router_id")),
			    "lb" HOSTILE);
	assert_string_equal(json_object_get_string(get(root, "interface")),
			    "eth0");
	assert_int_equal(json_object_get_int64(get(root, "uptime")), 3723);
	assert_int_equal(json_object_get_int(get(root, "reloads")), 2);
	assert_int_equal(json_object_get_int(get(root, "reload_errors")), 0);
	assert_true(json_object_get_boolean(get(root, "maps_ok")));
	assert_null(get(root, "maps_error"));

	vs = get(root, "virtual_servers");
	assert_int_equal(json_object_array_length(vs), 2);
	o = json_object_array_get_idx(vs, 0);
	assert_string_equal(json_object_get_string(get(o, "service")),
			    "198.18.0.10:80/tcp");
	assert_string_equal(json_object_get_string(get(o, "scheduler")), "wrr");
	assert_true(json_object_get_boolean(get(o, "quorum_up")));
	assert_int_equal(json_object_get_int64(get(o, "packets")), 5000);
	assert_int_equal(json_object_get_int64(get(o, "bytes")), 320000);
	assert_int_equal(json_object_get_int64(get(o, "new_flows")), 40);
	assert_int_equal(json_object_get_int64(get(o, "active_flows")), 9);
	assert_int_equal(json_object_get_int64(get(o, "flows")), 20);
	c = get(o, "rates");
	assert_true(json_object_get_double(get(c, "pps")) == 61.2);
	assert_true(json_object_get_double(get(c, "bps")) == 31000);
	assert_true(json_object_get_double(get(c, "new_flows_per_s")) == 4.1);

	rs = get(o, "real_servers");
	assert_int_equal(json_object_array_length(rs), 5);
	o = json_object_array_get_idx(rs, 1);
	assert_string_equal(json_object_get_string(get(o, "address")),
			    "198.18.0.12");
	assert_string_equal(json_object_get_string(get(o, "state")), "down");
	assert_int_equal(json_object_get_int(get(o, "weight")), 0);
	assert_int_equal(json_object_get_int(get(o, "config_weight")), 100);
	assert_string_equal(json_object_get_string(get(o, "by")), "check");
	assert_false(json_object_get_boolean(get(o, "operator")));
	assert_false(json_object_get_boolean(get(o, "sorry")));
	c = get(o, "check");
	assert_string_equal(json_object_get_string(get(c, "checker")),
			    "HTTP_GET");
	assert_string_equal(json_object_get_string(get(c, "reason")), HOSTILE);
	assert_int_equal(json_object_get_int(get(c, "age_s")), 65);
	assert_int_equal(json_object_get_int(get(o, "fails")), 3);
	assert_null(get(o, "since_s"));
	assert_int_equal(json_object_get_int(get(o, "transitions")), 1);
	assert_int_equal(json_object_get_int64(get(o, "packets")), 20);
	assert_null(get(o, "rates"));
	assert_int_equal(json_object_get_int(get(o, "active_flows")), 0);
	assert_int_equal(json_object_get_int(get(o, "flows")), 1);

	o = json_object_array_get_idx(rs, 0);
	assert_int_equal(json_object_get_int(get(o, "since_s")), 3723);
	assert_true(json_object_get_double(get(get(o, "rates"), "pps")) ==
		    12.3);

	o = json_object_array_get_idx(rs, 2);
	assert_string_equal(json_object_get_string(get(o, "state")), "drain");
	assert_true(json_object_get_boolean(get(o, "operator")));
	assert_string_equal(json_object_get_string(get(o, "by")), "operator");
	assert_null(get(o, "check"));
	assert_null(get(o, "packets"));
	assert_null(get(o, "rates"));
	assert_null(get(o, "flows"));

	o = json_object_array_get_idx(rs, 4);
	assert_true(json_object_get_boolean(get(o, "sorry")));
	assert_string_equal(json_object_get_string(get(o, "state")), "sorry");
	assert_null(get(o, "by"));

	o = json_object_array_get_idx(vs, 1);
	assert_false(json_object_get_boolean(get(o, "quorum_up")));
	assert_null(get(o, "packets"));
	assert_null(get(o, "rates"));
	o = json_object_array_get_idx(get(o, "real_servers"), 0);
	assert_string_equal(json_object_get_string(get(o, "state")),
			    "no check");

	vs = get(root, "vrrp_instances");
	assert_int_equal(json_object_array_length(vs), 1);
	o = json_object_array_get_idx(vs, 0);
	assert_string_equal(json_object_get_string(get(o, "name")), "VI_1");
	assert_string_equal(json_object_get_string(get(o, "interface")),
			    "eth0");
	assert_int_equal(json_object_get_int(get(o, "vrid")), 51);
	assert_string_equal(json_object_get_string(get(o, "state")), "MASTER");
	assert_int_equal(json_object_get_int(get(o, "priority")), 150);
	assert_int_equal(json_object_get_int(get(o, "configured_priority")),
			 100);
	assert_string_equal(json_object_get_string(get(o, "master")),
			    "198.18.0.1");
	assert_null(get(o, "sync_group"));
	assert_int_equal(json_object_get_int(get(o, "transitions")), 3);
	assert_int_equal(json_object_get_int(get(o, "since_s")),
			 2 * 86400 + 3 * 3600 + 5);

	o = get(root, "frames");
	assert_int_equal(json_object_object_length(o), LBXDP_NR_COUNTERS);
	assert_int_equal(json_object_get_int64(get(o, "forwarded")), 0);
	assert_int_equal(json_object_get_int64(get(o, "passed")), 10);
	assert_int_equal(json_object_get_int64(
				 get(o, st_reason_name(LBXDP_NR_COUNTERS - 1))),
			 10 * (LBXDP_NR_COUNTERS - 1));
	json_object_put(root);
	free(p);
}

static void test_json_hidden(void **state)
{
	json_object *root;
	struct fix f;
	char *p;

	(void)state;
	fix_init(&f);
	f.s.maps_ok = false;
	snprintf(f.s.maps_err, sizeof(f.s.maps_err), "no pinned maps");
	f.s.nvrrp = 0;
	f.rs0[0].m.bps = NAN;
	p = render(JSON, &f.s, NULL, true);
	assert_null(strstr(p, "v1.2-test"));
	assert_null(strstr(p, "\"version\""));
	root = json_tokener_parse(p);
	assert_non_null(root);
	assert_false(json_object_object_get_ex(root, "version", NULL));
	assert_false(json_object_get_boolean(get(root, "maps_ok")));
	assert_string_equal(json_object_get_string(get(root, "maps_error")),
			    "no pinned maps");
	assert_null(get(root, "frames"));
	assert_int_equal(json_object_array_length(get(root, "vrrp_instances")),
			 0);
	/* a rate that is no number is null, the document still valid */
	assert_null(
		get(get(json_object_array_get_idx(
				get(json_object_array_get_idx(
					    get(root, "virtual_servers"), 0),
				    "real_servers"),
				0),
			"rates"),
		    "bps"));
	json_object_put(root);
	free(p);
}

/* A stream that refuses writes: -EIO, whatever the format. */
static void test_eio(void **state)
{
	char buf[16] = "";
	struct fix f;
	FILE *ro;

	(void)state;
	fix_init(&f);
	ro = fmemopen(buf, sizeof(buf), "r");
	assert_non_null(ro);
	assert_int_equal(st_html(ro, &f.s, &page_ro), -EIO);
	assert_int_equal(st_csv(ro, &f.s), -EIO);
	assert_int_equal(st_json(ro, &f.s, false), -EIO);
	fclose(ro);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_escape),
		cmocka_unit_test(test_html_rows),
		cmocka_unit_test(test_html_vrrp),
		cmocka_unit_test(test_html_admin),
		cmocka_unit_test(test_html_head),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_csv_quoting),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_hidden),
		cmocka_unit_test(test_eio),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
