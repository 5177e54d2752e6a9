// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The stats page, HAProxy's CSV export and the JSON export, rendered from
 * a snapshot. Pure: no clock (every age is the snapshot's now_ms minus a
 * stamp), no I/O but @out, so the HTTP threads and the unit tests see the
 * same bytes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "daemon/stats.h"

/* Seconds from @ms to the snapshot's now; 0 if the clock went back. */
static uint64_t age_s(const struct st_snap *s, uint64_t ms)
{
	return s->now_ms > ms ? (s->now_ms - ms) / 1000 : 0;
}

/* "45s", "3m20s", "1h2m", "2d3h": two units, as HAProxy's lastchg. */
static void dur(char *buf, size_t n, uint64_t sec)
{
	if (sec < 60)
		snprintf(buf, n, "%" PRIu64 "s", sec);
	else if (sec < 3600)
		snprintf(buf, n, "%" PRIu64 "m%" PRIu64 "s", sec / 60,
			 sec % 60);
	else if (sec < 86400)
		snprintf(buf, n, "%" PRIu64 "h%" PRIu64 "m", sec / 3600,
			 sec % 3600 / 60);
	else
		snprintf(buf, n, "%" PRIu64 "d%" PRIu64 "h", sec / 86400,
			 sec % 86400 / 3600);
}

static void addr_str(__be32 a, char buf[INET_ADDRSTRLEN])
{
	if (!inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN))
		snprintf(buf, INET_ADDRSTRLEN, "?");
}

/* st_state_name() as a class or attribute word: "no check" -> "no-check". */
static void state_slug(enum st_state st, char *buf, size_t n)
{
	char *p;

	snprintf(buf, n, "%s", st_state_name(st));
	for (p = buf; *p; p++)
		if (*p == ' ')
			*p = '-';
}

/* ---------------------------------------------------------------- HTML */

/*
 * Every string of the snapshot and of the page's settings goes through
 * here, in text and in attributes alike (attributes are always quoted with
 * '"'): the five characters that could open a tag or close an attribute.
 */
static void esc(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			fputc(*s, out);
		}
	}
}

/* A rate: one decimal under 1000, then SI prefixes ("1.5M"). */
static void si(FILE *out, double v)
{
	static const char pfx[] = "kMGT";
	int i = -1;

	while (v >= 1000 && i < 3) {
		v /= 1000;
		i++;
	}
	if (i < 0)
		fprintf(out, "%.1f", v);
	else
		fprintf(out, "%.1f%c", v, pfx[i]);
}

/* The counters' cells: packets, bytes, new flows, pps, bps, new flows/s,
 * active, flows; "-" for what the maps did not say. */
static void ctr_cells(FILE *out, const struct st_ctr *m)
{
	int i;

	if (!m->valid) {
		for (i = 0; i < 8; i++)
			fputs("<td>-</td>", out);
		return;
	}
	fprintf(out,
		"<td>%" PRIu64 "</td><td>%" PRIu64 "</td><td>%" PRIu64 "</td>",
		(uint64_t)m->c.packets, (uint64_t)m->c.bytes,
		(uint64_t)m->c.new_flows);
	if (m->have_rate) {
		fputs("<td>", out);
		si(out, m->pps);
		fputs("</td><td>", out);
		si(out, m->bps);
		fputs("</td><td>", out);
		si(out, m->nfps);
		fputs("</td>", out);
	} else {
		fputs("<td>-</td><td>-</td><td>-</td>", out);
	}
	fprintf(out, "<td>%u</td><td>%u</td>", m->active, m->flows);
}

/* The VIP's counters in its caption. */
static void ctr_caption(FILE *out, const struct st_ctr *m)
{
	if (!m->valid) {
		fputs(" &middot; no counters", out);
		return;
	}
	fprintf(out,
		" &middot; packets %" PRIu64 ", bytes %" PRIu64
		", new flows %" PRIu64,
		(uint64_t)m->c.packets, (uint64_t)m->c.bytes,
		(uint64_t)m->c.new_flows);
	if (m->have_rate) {
		fputs(", pps ", out);
		si(out, m->pps);
		fputs(", bps ", out);
		si(out, m->bps);
		fputs(", new flows/s ", out);
		si(out, m->nfps);
	}
	fprintf(out, ", active %u, flows %u", m->active, m->flows);
}

static const char css[] =
	"body{font-family:sans-serif;font-size:13px}"
	"table{border-collapse:collapse;margin:1em 0}"
	"th,td{border:1px solid #999;padding:2px 5px;text-align:right}"
	"th{background:#eee}td:first-child{text-align:left}"
	"caption{text-align:left;font-weight:bold;padding:2px}"
	".q-up{color:#080}.q-down{color:#c00}.by,.op{font-size:smaller}"
	".op{color:#c00}.notice{background:#ffffa0}.error{background:#ff9090}"
	".act{display:inline;margin:0}.act input[type=number]{width:5em}"
	/* HAProxy's colours */
	".st-up{background:#c0ffc0}.st-down{background:#ff9090}"
	".st-drain{background:#20a0ff}.st-maint{background:#c07820}"
	".st-no-check{background:#e0e0e0}.st-pending{background:#ffffa0}"
	".st-sorry{background:#f0f0f0}";

static void html_head(FILE *out, const struct st_snap *s,
		      const struct st_page *pg)
{
	char up[32], w[16];
	int i;

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n",
	      out);
	if (pg->refresh_ms)
		fprintf(out, "<meta http-equiv=\"refresh\" content=\"%u\">\n",
			(pg->refresh_ms + 999) / 1000);
	fprintf(out, "<title>lbxdp statistics</title>\n<style>%s</style>\n",
		css);
	fputs("</head><body>\n<h1>lbxdp statistics</h1>\n<p class=\"info\">router_id <b>",
	      out);
	esc(out, s->router_id);
	fputs("</b> &middot; interface <b>", out);
	esc(out, s->interface);
	dur(up, sizeof(up), age_s(s, s->start_ms));
	fprintf(out, "</b> &middot; pid <b>%d</b> &middot; uptime <b>%s</b>",
		s->pid, up);
	if (!pg->hide_version && s->version) {
		fputs(" &middot; version <b>", out);
		esc(out, s->version);
		fputs("</b>", out);
	}
	fprintf(out, " &middot; reloads <b>%u</b>", s->reloads);
	if (s->reload_errors)
		fprintf(out, " (%u failed)", s->reload_errors);
	if (pg->user) {
		fputs(" &middot; user <b>", out);
		esc(out, pg->user);
		fputs("</b>", out);
	}
	fputs("</p>\n<p class=\"exports\">export: <a href=\"", out);
	esc(out, pg->uri);
	fputs(";csv\">CSV</a> <a href=\"", out);
	esc(out, pg->uri);
	fputs(";json\">JSON</a> &middot; states:", out);
	for (i = 0; i < ST__MAX; i++) {
		state_slug(i, w, sizeof(w));
		fprintf(out, " <span class=\"st-%s\">%s</span>", w,
			st_state_name(i));
	}
	fputs("</p>\n", out);
	if (pg->notice) {
		fputs("<p class=\"notice\">", out);
		esc(out, pg->notice);
		fputs("</p>\n", out);
	}
	if (!s->maps_ok) {
		fputs("<p class=\"error\">no counters: ", out);
		esc(out, s->maps_err);
		fputs("</p>\n", out);
	}
}

/*
 * An admin's form for one server. The weight's button comes first: it is
 * the form's default button, the one Enter in the number field presses,
 * so that typing a weight can never drain the server instead.
 */
static void html_form(FILE *out, const struct st_vs *vs, const char *addr,
		      const struct st_page *pg)
{
	static const char *const acts[] = {"drain", "maint", "ready"};
	unsigned int i;

	fputs("<form method=\"post\" action=\"", out);
	esc(out, pg->uri);
	fputs("\" class=\"act\"><input type=\"hidden\" name=\"csrf\" value=\"",
	      out);
	esc(out, pg->csrf);
	fputs("\"><input type=\"hidden\" name=\"svc\" value=\"", out);
	esc(out, vs->svc);
	fputs("\"><input type=\"hidden\" name=\"rs\" value=\"", out);
	esc(out, addr);
	fputs("\"><input type=\"number\" name=\"weight\" min=\"0\" max=\"65535\">"
	      "<button type=\"submit\" name=\"action\" value=\"weight\">set weight</button>",
	      out);
	for (i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
		fprintf(out,
			" <button type=\"submit\" name=\"action\" value=\"%s\">%s</button>",
			acts[i], acts[i]);
	fputs("</form>", out);
}

static void html_rs(FILE *out, const struct st_snap *s, const struct st_vs *vs,
		    const struct st_rs *rs, const struct st_page *pg)
{
	char addr[INET_ADDRSTRLEN], st[16], d[32];

	addr_str(rs->addr, addr);
	state_slug(rs->state, st, sizeof(st));
	fprintf(out,
		"<tr class=\"rs st-%s\" data-rs=\"%s\" data-state=\"%s\" data-weight=\"%u\">",
		st, addr, st, rs->weight);
	fprintf(out, "<td>%s</td><td>%s", addr, st_state_name(rs->state));
	if (rs->by[0]) {
		fputs(" <span class=\"by\">(", out);
		esc(out, rs->by);
		fputs(")</span>", out);
	}
	fprintf(out, "</td><td>%u", rs->weight);
	if (rs->cfg_weight != rs->weight)
		fprintf(out, " (cfg %u)", rs->cfg_weight);
	if (rs->op)
		fputs(" <span class=\"op\">operator</span>", out);
	fputs("</td><td class=\"chk\">", out);
	if (rs->last_ms) {
		esc(out, rs->checker);
		if (rs->checker[0] && rs->reason[0])
			fputs(": ", out);
		esc(out, rs->reason);
		dur(d, sizeof(d), age_s(s, rs->last_ms));
		fprintf(out, ", %s ago", d);
	} else {
		fputs("-", out);
	}
	fprintf(out, "</td><td>%u</td><td>", rs->fails);
	if (rs->since_ms) {
		dur(d, sizeof(d), age_s(s, rs->since_ms));
		fputs(d, out);
	} else {
		fputs("-", out);
	}
	fprintf(out, "</td><td>%u</td>", rs->transitions);
	ctr_cells(out, &rs->m);
	if (pg->csrf) {
		fputs("<td>", out);
		if (rs->state != ST_SORRY)
			html_form(out, vs, addr, pg);
		fputs("</td>", out);
	}
	fputs("</tr>\n", out);
}

static void html_vs(FILE *out, const struct st_snap *s, const struct st_vs *vs,
		    const struct st_page *pg)
{
	int i;

	fputs("<table class=\"vs\" data-svc=\"", out);
	esc(out, vs->svc);
	fputs("\">\n<caption>", out);
	esc(out, vs->svc);
	fputs(" ", out);
	esc(out, vs->sched);
	fprintf(out, " &middot; <span class=\"q-%s\">quorum %s</span>",
		vs->quorum_up ? "up" : "down", vs->quorum_up ? "up" : "down");
	ctr_caption(out, &vs->m);
	fputs("</caption>\n<thead><tr><th>server</th><th>state</th>"
	      "<th>weight</th><th>last check</th><th>fails</th>"
	      "<th>in state</th><th>changes</th><th>packets</th>"
	      "<th>bytes</th><th>new flows</th><th>pps</th><th>bps</th>"
	      "<th>new flows/s</th><th>active</th><th>flows</th>",
	      out);
	if (pg->csrf)
		fputs("<th>actions</th>", out);
	fputs("</tr></thead>\n<tbody>\n", out);
	for (i = 0; i < vs->nrs; i++)
		html_rs(out, s, vs, &vs->rs[i], pg);
	fputs("</tbody></table>\n", out);
}

static void html_vrrp(FILE *out, const struct st_snap *s)
{
	char d[32];
	int i;

	fputs("<table class=\"vrrp\">\n<caption>VRRP</caption>\n"
	      "<thead><tr><th>instance</th><th>interface</th><th>vrid</th>"
	      "<th>state</th><th>priority</th><th>master</th>"
	      "<th>sync group</th><th>changes</th><th>in state</th></tr></thead>\n"
	      "<tbody>\n",
	      out);
	for (i = 0; i < s->nvrrp; i++) {
		const struct st_vrrp *v = &s->vrrp[i];

		fputs("<tr data-instance=\"", out);
		esc(out, v->name);
		fputs("\" data-state=\"", out);
		esc(out, v->state);
		fputs("\"><td>", out);
		esc(out, v->name);
		fputs("</td><td>", out);
		esc(out, v->iface);
		fprintf(out, "</td><td>%d</td><td>", v->vrid);
		esc(out, v->state);
		fprintf(out, "</td><td>%d", v->prio);
		if (v->cfg_prio != v->prio)
			fprintf(out, " (cfg %d)", v->cfg_prio);
		fputs("</td><td>", out);
		esc(out, v->master[0] ? v->master : "-");
		fputs("</td><td>", out);
		esc(out, v->group[0] ? v->group : "-");
		fprintf(out, "</td><td>%u</td><td>", v->transitions);
		if (v->since_ms) {
			dur(d, sizeof(d), age_s(s, v->since_ms));
			fputs(d, out);
		} else {
			fputs("-", out);
		}
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
}

static void html_frames(FILE *out, const struct st_snap *s)
{
	unsigned int i;

	fputs("<table class=\"frames\">\n<caption>frames</caption>\n<tbody>\n",
	      out);
	for (i = 0; i < LBXDP_NR_COUNTERS; i++)
		fprintf(out, "<tr><td>%s%s</td><td>%" PRIu64 "</td></tr>\n",
			st_reason_name(i),
			st_reason_is_event(i) ? " (event)" : "",
			(uint64_t)s->reasons[i]);
	fputs("</tbody></table>\n", out);
}

int st_html(FILE *out, const struct st_snap *s, const struct st_page *pg)
{
	int i;

	html_head(out, s, pg);
	for (i = 0; i < s->nvs; i++)
		html_vs(out, s, &s->vs[i], pg);
	if (pg->csrf)
		fputs("<p class=\"legend\">actions: drain = weight 0, open flows "
		      "go on (backend set --weight 0); maint = down "
		      "(backend set --down); ready = back to the checks and "
		      "the configuration (backend set --auto); set weight = "
		      "backend set --weight N. An operator's action holds "
		      "until ready.</p>\n",
		      out);
	if (s->nvrrp > 0)
		html_vrrp(out, s);
	if (s->maps_ok)
		html_frames(out, s);
	fputs("</body></html>\n", out);
	return ferror(out) ? -EIO : 0;
}

/* ----------------------------------------------------------------- CSV */

/* A field, quoted as RFC 4180 says when it holds a comma, a quote or a
 * line break; then the comma that ends every field (HAProxy's rows end
 * with one too). */
static void csv_str(FILE *out, const char *v)
{
	if (!strpbrk(v, ",\"\r\n")) {
		fprintf(out, "%s,", v);
		return;
	}
	fputc('"', out);
	for (; *v; v++) {
		if (*v == '"')
			fputc('"', out);
		fputc(*v, out);
	}
	fputs("\",", out);
}

static void csv_u64(FILE *out, bool have, uint64_t v)
{
	if (have)
		fprintf(out, "%" PRIu64 ",", v);
	else
		fputc(',', out);
}

/* Rates rounded to integers, as HAProxy's rate column. */
static void csv_rate(FILE *out, const struct st_ctr *m, double v)
{
	if (m->valid && m->have_rate)
		fprintf(out, "%.0f,", v);
	else
		fputc(',', out);
}

/* scur,stot,rate,bin. */
static void csv_ctr1(FILE *out, const struct st_ctr *m)
{
	csv_u64(out, m->valid, m->active);
	csv_u64(out, m->valid, m->c.new_flows);
	csv_rate(out, m, m->nfps);
	csv_u64(out, m->valid, m->c.bytes);
}

/* pkts,pps,bps,flows. */
static void csv_ctr2(FILE *out, const struct st_ctr *m)
{
	csv_u64(out, m->valid, m->c.packets);
	csv_rate(out, m, m->pps);
	csv_rate(out, m, m->bps);
	csv_u64(out, m->valid, m->flows);
}

static const char csv_header[] =
	"# pxname,svname,status,weight,scur,stot,rate,bin,lastchg,check_desc,"
	"last_chk,pkts,pps,bps,flows,check_fails,transitions,check_age,\n";

static void csv_rs(FILE *out, const struct st_snap *s, const struct st_vs *vs,
		   const struct st_rs *rs)
{
	char addr[INET_ADDRSTRLEN];
	char desc[sizeof(rs->checker) + sizeof(rs->reason) + 2];
	bool chk = rs->last_ms != 0;

	addr_str(rs->addr, addr);
	snprintf(desc, sizeof(desc), "%s%s%s", rs->checker,
		 rs->checker[0] && rs->reason[0] ? ": " : "", rs->reason);
	csv_str(out, vs->svc);
	csv_str(out, addr);
	csv_str(out, st_state_csv(rs->state));
	csv_u64(out, true, rs->weight);
	csv_ctr1(out, &rs->m);
	csv_u64(out, rs->since_ms, age_s(s, rs->since_ms));
	csv_str(out, chk ? desc : "");
	csv_str(out, chk ? rs->reason : "");
	csv_ctr2(out, &rs->m);
	csv_u64(out, true, rs->fails);
	csv_u64(out, true, rs->transitions);
	csv_u64(out, chk, age_s(s, rs->last_ms));
	fputc('\n', out);
}

/*
 * HAProxy's CSV: its column names where it has one (pxname is the
 * service, svname the server's address or BACKEND for the service's
 * aggregate row, after its servers; check_desc "CHECKER: reason",
 * last_chk the reason), lbxdp's own after them. Every row, the header
 * too, ends with a comma, as HAProxy's do. Seconds (lastchg, check_age)
 * and rates are integers, as HAProxy's; what is not known is empty. The
 * BACKEND row's weight is its servers' sum, as HAProxy's, sorry server
 * aside.
 */
int st_csv(FILE *out, const struct st_snap *s)
{
	int i, j;

	fputs(csv_header, out);
	for (i = 0; i < s->nvs; i++) {
		const struct st_vs *vs = &s->vs[i];
		uint64_t wsum = 0;

		for (j = 0; j < vs->nrs; j++) {
			csv_rs(out, s, vs, &vs->rs[j]);
			if (vs->rs[j].state != ST_SORRY)
				wsum += vs->rs[j].weight;
		}
		csv_str(out, vs->svc);
		csv_str(out, "BACKEND");
		csv_str(out, vs->quorum_up ? "UP" : "DOWN");
		csv_u64(out, true, wsum);
		csv_ctr1(out, &vs->m);
		fputs(",,,", out); /* lastchg, check_desc, last_chk */
		csv_ctr2(out, &vs->m);
		fputs(",,,\n", out); /* check_fails, transitions, check_age */
	}
	return ferror(out) ? -EIO : 0;
}

/* ---------------------------------------------------------------- JSON */

/* Adds @v (NULL: allocation failed, remembered in *@err) to @o. */
static void put(int *err, struct json_object *o, const char *k,
		struct json_object *v)
{
	if (!v || json_object_object_add(o, k, v)) {
		json_object_put(v);
		*err = -ENOMEM;
	}
}

static void put_null(int *err, struct json_object *o, const char *k)
{
	if (json_object_object_add(o, k, NULL))
		*err = -ENOMEM;
}

/* A string, null when empty. */
static void put_str(int *err, struct json_object *o, const char *k,
		    const char *v)
{
	if (v && v[0])
		put(err, o, k, json_object_new_string(v));
	else
		put_null(err, o, k);
}

static void put_u64(int *err, struct json_object *o, const char *k, uint64_t v)
{
	put(err, o, k, json_object_new_uint64(v));
}

/*
 * A rate with 15 significant digits: enough to read back the same double,
 * without json-c's 17 ("61.200000000000003"). Not finite: null.
 */
static void put_rate(int *err, struct json_object *o, const char *k, double v)
{
	char buf[32];

	if (!isfinite(v)) {
		put_null(err, o, k);
		return;
	}
	snprintf(buf, sizeof(buf), "%.15g", v);
	put(err, o, k, json_object_new_double_s(v, buf));
}

/* Seconds since @ms, null when @ms is 0 (never). */
static void put_since(int *err, struct json_object *o, const char *k,
		      const struct st_snap *s, uint64_t ms)
{
	if (ms)
		put_u64(err, o, k, age_s(s, ms));
	else
		put_null(err, o, k);
}

/* The counters' keys, null each when the maps had no record. */
static void put_ctr(int *err, struct json_object *o, const struct st_ctr *m)
{
	static const char *const keys[] = {"packets",	   "bytes",
					   "new_flows",	   "rates",
					   "active_flows", "flows"};
	struct json_object *r;
	unsigned int i;

	if (!m->valid) {
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			put_null(err, o, keys[i]);
		return;
	}
	put_u64(err, o, "packets", m->c.packets);
	put_u64(err, o, "bytes", m->c.bytes);
	put_u64(err, o, "new_flows", m->c.new_flows);
	if (m->have_rate) {
		r = json_object_new_object();
		if (r) {
			put_rate(err, r, "pps", m->pps);
			put_rate(err, r, "bps", m->bps);
			put_rate(err, r, "new_flows_per_s", m->nfps);
		}
		put(err, o, "rates", r);
	} else {
		put_null(err, o, "rates");
	}
	put_u64(err, o, "active_flows", m->active);
	put_u64(err, o, "flows", m->flows);
}

static struct json_object *json_rs(int *err, const struct st_snap *s,
				   const struct st_rs *rs)
{
	struct json_object *o = json_object_new_object(), *c;
	char addr[INET_ADDRSTRLEN];

	if (!o)
		return NULL;
	addr_str(rs->addr, addr);
	put(err, o, "address", json_object_new_string(addr));
	put(err, o, "state", json_object_new_string(st_state_name(rs->state)));
	put_u64(err, o, "weight", rs->weight);
	put_u64(err, o, "config_weight", rs->cfg_weight);
	put_str(err, o, "by", rs->by);
	put(err, o, "operator", json_object_new_boolean(rs->op));
	put(err, o, "sorry", json_object_new_boolean(rs->state == ST_SORRY));
	if (rs->last_ms) {
		c = json_object_new_object();
		if (c) {
			put_str(err, c, "checker", rs->checker);
			put_str(err, c, "reason", rs->reason);
			put_u64(err, c, "age_s", age_s(s, rs->last_ms));
		}
		put(err, o, "check", c);
	} else {
		put_null(err, o, "check");
	}
	put_u64(err, o, "fails", rs->fails);
	put_since(err, o, "since_s", s, rs->since_ms);
	put_u64(err, o, "transitions", rs->transitions);
	put_ctr(err, o, &rs->m);
	return o;
}

static struct json_object *json_vs(int *err, const struct st_snap *s,
				   const struct st_vs *vs)
{
	struct json_object *o = json_object_new_object(), *a;
	int i;

	if (!o)
		return NULL;
	put(err, o, "service", json_object_new_string(vs->svc));
	put(err, o, "scheduler", json_object_new_string(vs->sched));
	put(err, o, "quorum_up", json_object_new_boolean(vs->quorum_up));
	put_ctr(err, o, &vs->m);
	a = json_object_new_array();
	for (i = 0; a && i < vs->nrs; i++) {
		struct json_object *r = json_rs(err, s, &vs->rs[i]);

		if (!r || json_object_array_add(a, r)) {
			json_object_put(r);
			*err = -ENOMEM;
		}
	}
	put(err, o, "real_servers", a);
	return o;
}

static struct json_object *json_vrrp(int *err, const struct st_snap *s,
				     const struct st_vrrp *v)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	put(err, o, "name", json_object_new_string(v->name));
	put(err, o, "interface", json_object_new_string(v->iface));
	put(err, o, "vrid", json_object_new_int(v->vrid));
	put(err, o, "state", json_object_new_string(v->state));
	put(err, o, "priority", json_object_new_int(v->prio));
	put(err, o, "configured_priority", json_object_new_int(v->cfg_prio));
	put_str(err, o, "master", v->master);
	put_str(err, o, "sync_group", v->group);
	put_u64(err, o, "transitions", v->transitions);
	put_since(err, o, "since_s", s, v->since_ms);
	return o;
}

/* Appends @v to the array @a (NULL: failed, remembered in *@err). */
static void push(int *err, struct json_object *a, struct json_object *v)
{
	if (!a || !v || json_object_array_add(a, v)) {
		json_object_put(v);
		*err = -ENOMEM;
	}
}

/*
 * One document and a newline. Empty strings and what is not known are
 * null: maps_error when the maps were read, frames when they were not,
 * a service's or a server's counters without a record, check before a
 * first result, since_s before a first change.
 */
int st_json(FILE *out, const struct st_snap *s, bool hide_version)
{
	struct json_object *root = json_object_new_object(), *a, *f;
	const char *txt;
	unsigned int k;
	int err = 0, i;

	if (!root)
		return -ENOMEM;
	if (!hide_version && s->version)
		put(&err, root, "version", json_object_new_string(s->version));
	put(&err, root, "pid", json_object_new_int(s->pid));
	put_str(&err, root, "router_id", s->router_id);
	put_str(&err, root, "interface", s->interface);
	put_u64(&err, root, "uptime", age_s(s, s->start_ms));
	put_u64(&err, root, "reloads", s->reloads);
	put_u64(&err, root, "reload_errors", s->reload_errors);
	put(&err, root, "maps_ok", json_object_new_boolean(s->maps_ok));
	if (s->maps_ok)
		put_null(&err, root, "maps_error");
	else
		put(&err, root, "maps_error",
		    json_object_new_string(s->maps_err));

	a = json_object_new_array();
	for (i = 0; a && i < s->nvs; i++)
		push(&err, a, json_vs(&err, s, &s->vs[i]));
	put(&err, root, "virtual_servers", a);
	a = json_object_new_array();
	for (i = 0; a && i < s->nvrrp; i++)
		push(&err, a, json_vrrp(&err, s, &s->vrrp[i]));
	put(&err, root, "vrrp_instances", a);
	if (s->maps_ok) {
		f = json_object_new_object();
		for (k = 0; f && k < LBXDP_NR_COUNTERS; k++)
			put_u64(&err, f, st_reason_name(k), s->reasons[k]);
		put(&err, root, "frames", f);
	} else {
		put_null(&err, root, "frames");
	}
	if (err)
		goto out;
	/* unescaped slashes, as lbxdp -j: "198.18.0.10:80/tcp" */
	txt = json_object_to_json_string_ext(
		root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!txt) {
		err = -ENOMEM;
		goto out;
	}
	fputs(txt, out);
	fputc('\n', out);
	err = ferror(out) ? -EIO : 0;
out:
	json_object_put(root);
	return err;
}
