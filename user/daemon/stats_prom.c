// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * /metrics: the snapshot in Prometheus's text exposition format 0.0.4.
 * Every family is written whole (its HELP, its TYPE, then all its
 * samples), as the format requires, and its HELP and TYPE are written
 * even when it has no sample (a VIP without counters, maps not open), so
 * that the set of families does not depend on the daemon's state.
 *
 * Counters come from the maps: a VIP's or backend's only when its record
 * was found (st_ctr.valid), the frame verdicts only when the maps could
 * be read (maps_ok). Rates are not exported: Prometheus computes them.
 *
 * lbxdp_backend_up follows haproxy_exporter's reading of HAProxy's
 * status: 1 for up, drain, no check and the sorry server (alive as far
 * as checks and configuration say, whatever its weight), 0 for down,
 * maint (the operator's) and pending (no result yet: not known alive).
 * lbxdp_backend_state says which, one-hot.
 *
 * Also st_proc_read(): the process_* metrics of the calling process.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <unistd.h>
#include "daemon/stats.h"

/* A label value or HELP text, escaped as the format says. */
static void put_esc(FILE *o, const char *v)
{
	for (; *v; v++) {
		switch (*v) {
		case '\\':
			fputs("\\\\", o);
			break;
		case '"':
			fputs("\\\"", o);
			break;
		case '\n':
			fputs("\\n", o);
			break;
		default:
			fputc(*v, o);
		}
	}
}

/* The shortest decimal that reads back as @d (Go's ParseFloat's words
 * for what is not finite). */
static void put_double(FILE *o, double d)
{
	char b[40];
	int p;

	if (isnan(d)) {
		fputs("NaN", o);
		return;
	}
	if (isinf(d)) {
		fputs(d > 0 ? "+Inf" : "-Inf", o);
		return;
	}
	for (p = 15; p < 17; p++) {
		snprintf(b, sizeof(b), "%.*g", p, d);
		if (strtod(b, NULL) == d)
			break;
	}
	snprintf(b, sizeof(b), "%.*g", p, d);
	fputs(b, o);
}

/* Milliseconds as seconds, exactly: no binary fraction in between. */
static void put_ms(FILE *o, uint64_t ms)
{
	fprintf(o, "%" PRIu64 ".%03u", ms / 1000, (unsigned int)(ms % 1000));
}

static void head(FILE *o, const char *name, const char *type, const char *help)
{
	fprintf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void one(FILE *o, const char *name, const char *type, const char *help,
		uint64_t v)
{
	head(o, name, type, help);
	fprintf(o, "%s %" PRIu64 "\n", name, v);
}

/* @name{vip="...",backend="..." — the caller closes the braces. */
static void open_sample(FILE *o, const char *name, const struct st_vs *vs,
			const char *backend)
{
	fprintf(o, "%s{vip=\"", name);
	put_esc(o, vs->svc);
	fputc('"', o);
	if (backend) {
		fputs(",backend=\"", o);
		put_esc(o, backend);
		fputc('"', o);
	}
}

/* The per VIP and per backend families. */
enum fld {
	F_PACKETS,
	F_BYTES,
	F_NEW_FLOWS,
	F_ACTIVE,
	F_FLOWS,
	F_QUORUM,
	F_UP,
	F_WEIGHT,
	F_CFG_WEIGHT,
	F_FAILS,
	F_TRANSITIONS,
	F_LAST_CHECK,
	F_SINCE,
};

struct fam {
	const char *name, *type, *help;
	enum fld f;
};

static const struct fam vs_fams[] = {
	{"lbxdp_vip_packets_total", "counter",
	 "Packets sent to the VIP's backends.", F_PACKETS},
	{"lbxdp_vip_bytes_total", "counter",
	 "Bytes sent to the VIP's backends.", F_BYTES},
	{"lbxdp_vip_new_flows_total", "counter",
	 "Flows scheduled to the VIP's backends.", F_NEW_FLOWS},
	{"lbxdp_vip_active_flows", "gauge",
	 "The VIP's flows seen within the active window.", F_ACTIVE},
	{"lbxdp_vip_flows", "gauge",
	 "The VIP's flows not yet idle past their timeout.", F_FLOWS},
	{"lbxdp_vip_quorum_up", "gauge",
	 "1 when the VIP's live backends reach its quorum.", F_QUORUM},
};

static const struct fam rs_fams[] = {
	{"lbxdp_backend_packets_total", "counter",
	 "Packets sent to the backend.", F_PACKETS},
	{"lbxdp_backend_bytes_total", "counter", "Bytes sent to the backend.",
	 F_BYTES},
	{"lbxdp_backend_new_flows_total", "counter",
	 "Flows scheduled to the backend.", F_NEW_FLOWS},
	{"lbxdp_backend_active_flows", "gauge",
	 "The backend's flows seen within the active window.", F_ACTIVE},
	{"lbxdp_backend_flows", "gauge",
	 "The backend's flows not yet idle past their timeout.", F_FLOWS},
	{"lbxdp_backend_up", "gauge",
	 "1 when the backend is alive by its checks or configuration (up, drain, no check, sorry), 0 when down, in maintenance or pending.",
	 F_UP},
	{"lbxdp_backend_weight", "gauge",
	 "The backend's weight as applied (0 when removed or down).", F_WEIGHT},
	{"lbxdp_backend_config_weight", "gauge",
	 "The backend's weight in the configuration.", F_CFG_WEIGHT},
	{"lbxdp_backend_check_failures", "gauge",
	 "The backend's consecutive failed checks.", F_FAILS},
	{"lbxdp_backend_transitions_total", "counter",
	 "The backend's state changes since the daemon started.",
	 F_TRANSITIONS},
	{"lbxdp_backend_last_check_timestamp_seconds", "gauge",
	 "When the backend's last check result came, seconds since the epoch.",
	 F_LAST_CHECK},
	{"lbxdp_backend_state_since_timestamp_seconds", "gauge",
	 "When the backend's state last changed, seconds since the epoch.",
	 F_SINCE},
};

static bool alive(enum st_state st)
{
	return st == ST_UP || st == ST_DRAIN || st == ST_NOCHECK ||
	       st == ST_SORRY;
}

/* Whether @vs, or @rs when not NULL, has a value for @f: not without a
 * record in the maps, nor before a result or a change. */
static bool has(enum fld f, const struct st_vs *vs, const struct st_rs *rs)
{
	switch (f) {
	case F_PACKETS:
	case F_BYTES:
	case F_NEW_FLOWS:
	case F_ACTIVE:
	case F_FLOWS:
		return rs ? rs->m.valid : vs->m.valid;
	case F_LAST_CHECK:
		return rs->last_ms;
	case F_SINCE:
		return rs->since_ms;
	default:
		return true;
	}
}

/* " VALUE\n" of @f for @vs, or @rs when not NULL. */
static void put_value(FILE *o, enum fld f, const struct st_vs *vs,
		      const struct st_rs *rs)
{
	const struct st_ctr *m = rs ? &rs->m : &vs->m;
	uint64_t v = 0;

	switch (f) {
	case F_PACKETS:
		v = m->c.packets;
		break;
	case F_BYTES:
		v = m->c.bytes;
		break;
	case F_NEW_FLOWS:
		v = m->c.new_flows;
		break;
	case F_ACTIVE:
		v = m->active;
		break;
	case F_FLOWS:
		v = m->flows;
		break;
	case F_QUORUM:
		v = vs->quorum_up;
		break;
	case F_UP:
		v = alive(rs->state);
		break;
	case F_WEIGHT:
		v = rs->weight;
		break;
	case F_CFG_WEIGHT:
		v = rs->cfg_weight;
		break;
	case F_FAILS:
		v = rs->fails;
		break;
	case F_TRANSITIONS:
		v = rs->transitions;
		break;
	case F_LAST_CHECK:
	case F_SINCE:
		fputc(' ', o);
		put_ms(o, f == F_LAST_CHECK ? rs->last_ms : rs->since_ms);
		fputc('\n', o);
		return;
	}
	fprintf(o, " %" PRIu64 "\n", v);
}

/* Whether backend @j of @vs has the address of one before it (a sorry
 * server that is also a real server): its samples would be duplicates,
 * the first's stand. */
static bool rs_dup(const struct st_vs *vs, int j)
{
	int k;

	for (k = 0; k < j; k++)
		if (vs->rs[k].addr == vs->rs[j].addr)
			return true;
	return false;
}

static void vs_families(FILE *o, const struct st_snap *s)
{
	size_t f;
	int i;

	for (f = 0; f < sizeof(vs_fams) / sizeof(vs_fams[0]); f++) {
		head(o, vs_fams[f].name, vs_fams[f].type, vs_fams[f].help);
		for (i = 0; i < s->nvs; i++) {
			const struct st_vs *vs = &s->vs[i];

			if (!has(vs_fams[f].f, vs, NULL))
				continue;
			open_sample(o, vs_fams[f].name, vs, NULL);
			fputc('}', o);
			put_value(o, vs_fams[f].f, vs, NULL);
		}
	}
}

/* Backend state one-hot: a sample for every state, 1 for its own. */
static void rs_state(FILE *o, const struct st_snap *s)
{
	char addr[INET_ADDRSTRLEN], name[16];
	int i, j, k;
	unsigned int st;

	head(o, "lbxdp_backend_state", "gauge",
	     "The backend's state, one-hot: 1 for its state, 0 for the others.");
	for (i = 0; i < s->nvs; i++) {
		const struct st_vs *vs = &s->vs[i];

		for (j = 0; j < vs->nrs; j++) {
			const struct st_rs *rs = &vs->rs[j];

			if (rs_dup(vs, j))
				continue;
			inet_ntop(AF_INET, &rs->addr, addr, sizeof(addr));
			for (st = 0; st < ST__MAX; st++) {
				/* "no check": label values may hold spaces,
				 * but the names are matched in PromQL. */
				snprintf(name, sizeof(name), "%s",
					 st_state_name(st));
				for (k = 0; name[k]; k++)
					if (name[k] == ' ')
						name[k] = '_';
				open_sample(o, "lbxdp_backend_state", vs, addr);
				fprintf(o, ",state=\"%s\"} %d\n", name,
					rs->state == st);
			}
		}
	}
}

static void rs_families(FILE *o, const struct st_snap *s)
{
	char addr[INET_ADDRSTRLEN];
	size_t f;
	int i, j;

	for (f = 0; f < sizeof(rs_fams) / sizeof(rs_fams[0]); f++) {
		head(o, rs_fams[f].name, rs_fams[f].type, rs_fams[f].help);
		for (i = 0; i < s->nvs; i++) {
			const struct st_vs *vs = &s->vs[i];

			for (j = 0; j < vs->nrs; j++) {
				const struct st_rs *rs = &vs->rs[j];

				if (!has(rs_fams[f].f, vs, rs) || rs_dup(vs, j))
					continue;
				inet_ntop(AF_INET, &rs->addr, addr,
					  sizeof(addr));
				open_sample(o, rs_fams[f].name, vs, addr);
				fputc('}', o);
				put_value(o, rs_fams[f].f, vs, rs);
			}
		}
		if (rs_fams[f].f == F_UP)
			rs_state(o, s);
	}
}

static void vrrp_open(FILE *o, const char *name, const struct st_vrrp *v)
{
	fprintf(o, "%s{instance=\"", name);
	put_esc(o, v->name);
	fputc('"', o);
}

static void vrrp_families(FILE *o, const struct st_snap *s)
{
	static const char *const states[] = {"INIT", "BACKUP", "MASTER",
					     "FAULT"};
	size_t k;
	int i;

	head(o, "lbxdp_vrrp_state", "gauge",
	     "The VRRP instance's state, one-hot: 1 for its state, 0 for the others.");
	for (i = 0; i < s->nvrrp; i++)
		for (k = 0; k < sizeof(states) / sizeof(states[0]); k++) {
			vrrp_open(o, "lbxdp_vrrp_state", &s->vrrp[i]);
			fprintf(o, ",state=\"%s\"} %d\n", states[k],
				!strcmp(s->vrrp[i].state, states[k]));
		}
	head(o, "lbxdp_vrrp_priority", "gauge",
	     "The VRRP instance's priority as it stands (tracking applied).");
	for (i = 0; i < s->nvrrp; i++) {
		vrrp_open(o, "lbxdp_vrrp_priority", &s->vrrp[i]);
		fprintf(o, "} %d\n", s->vrrp[i].prio);
	}
	head(o, "lbxdp_vrrp_transitions_total", "counter",
	     "The VRRP instance's state changes since the daemon started.");
	for (i = 0; i < s->nvrrp; i++) {
		vrrp_open(o, "lbxdp_vrrp_transitions_total", &s->vrrp[i]);
		fprintf(o, "} %" PRIu32 "\n", s->vrrp[i].transitions);
	}
}

static void reasons(FILE *o, const struct st_snap *s)
{
	unsigned int i;

	head(o, "lbxdp_frames_total", "counter",
	     "Frames the XDP program saw, by verdict.");
	for (i = 0; s->maps_ok && i < LBXDP_NR_COUNTERS; i++)
		if (!st_reason_is_event(i))
			fprintf(o, "lbxdp_frames_total{reason=\"%s\"} %llu\n",
				st_reason_name(i), s->reasons[i]);
	head(o, "lbxdp_events_total", "counter",
	     "Events counted beside a frame's verdict.");
	for (i = 0; s->maps_ok && i < LBXDP_NR_COUNTERS; i++)
		if (st_reason_is_event(i))
			fprintf(o, "lbxdp_events_total{event=\"%s\"} %llu\n",
				st_reason_name(i), s->reasons[i]);
}

/* The client libraries' names; written only when st_proc_read() filled
 * them (a process started after the epoch). */
static void proc_families(FILE *o, const struct st_snap *s)
{
	const struct st_proc *p = &s->proc;
	bool ok = p->start_time > 0;

	head(o, "process_cpu_seconds_total", "counter",
	     "Total user and system CPU time spent in seconds.");
	if (ok) {
		fputs("process_cpu_seconds_total ", o);
		put_double(o, p->cpu_seconds);
		fputc('\n', o);
	}
	head(o, "process_resident_memory_bytes", "gauge",
	     "Resident memory size in bytes.");
	if (ok)
		fprintf(o, "process_resident_memory_bytes %" PRIu64 "\n",
			p->rss_bytes);
	head(o, "process_virtual_memory_bytes", "gauge",
	     "Virtual memory size in bytes.");
	if (ok)
		fprintf(o, "process_virtual_memory_bytes %" PRIu64 "\n",
			p->vsize_bytes);
	head(o, "process_open_fds", "gauge",
	     "Number of open file descriptors.");
	if (ok)
		fprintf(o, "process_open_fds %" PRIu64 "\n", p->open_fds);
	head(o, "process_max_fds", "gauge",
	     "Maximum number of open file descriptors.");
	if (ok)
		fprintf(o, "process_max_fds %" PRIu64 "\n", p->max_fds);
	head(o, "process_start_time_seconds", "gauge",
	     "Start time of the process since unix epoch in seconds.");
	if (ok) {
		fputs("process_start_time_seconds ", o);
		put_double(o, p->start_time);
		fputc('\n', o);
	}
}

int st_metrics(FILE *out, const struct st_snap *s)
{
	head(out, "lbxdp_build_info", "gauge",
	     "A metric with a constant 1 labeled by the daemon's version.");
	fputs("lbxdp_build_info{version=\"", out);
	put_esc(out, s->version ? s->version : "");
	fputs("\"} 1\n", out);
	one(out, "lbxdp_daemon_reloads_total", "counter",
	    "Configuration reloads since the daemon started.", s->reloads);
	one(out, "lbxdp_daemon_reload_errors_total", "counter",
	    "Configuration reloads that failed (the running one kept).",
	    s->reload_errors);
	one(out, "lbxdp_maps_ok", "gauge",
	    "1 when the pinned maps could be read for the counters.",
	    s->maps_ok);
	reasons(out, s);
	vs_families(out, s);
	rs_families(out, s);
	vrrp_families(out, s);
	proc_families(out, s);
	if (fflush(out))
		return -errno;
	return ferror(out) ? -EIO : 0;
}

/* The fields of /proc/self/stat after "(comm)" that we want. */
static int read_stat(struct st_proc *p, unsigned long long *start_ticks)
{
	unsigned long long utime, stime, vsize;
	long long rss;
	char buf[1024], *c;
	size_t n;
	FILE *f;
	int err = 0;

	f = fopen("/proc/self/stat", "re");
	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: the last ')' ends it. */
	c = strrchr(buf, ')');
	if (!c ||
	    sscanf(c + 1,
		   " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu %llu %lld",
		   &utime, &stime, start_ticks, &vsize, &rss) != 5) {
		err = -EPROTO;
		goto out;
	}
	p->cpu_seconds = (double)(utime + stime) / sysconf(_SC_CLK_TCK);
	p->vsize_bytes = vsize;
	p->rss_bytes = rss > 0 ? (uint64_t)rss * sysconf(_SC_PAGESIZE) : 0;
out:
	fclose(f);
	return err;
}

/* /proc/stat's btime: the boot, seconds since the epoch. */
static int read_btime(unsigned long long *btime)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f;
	int err = -EPROTO;

	f = fopen("/proc/stat", "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0)
		if (sscanf(line, "btime %llu", btime) == 1) {
			err = 0;
			break;
		}
	free(line);
	fclose(f);
	return err;
}

/* The open fds, not counting the one that reads the directory. */
static int count_fds(uint64_t *n)
{
	struct dirent *e;
	DIR *d;

	d = opendir("/proc/self/fd");
	if (!d)
		return -errno;
	*n = 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
			(*n)++;
	closedir(d);
	return 0;
}

int st_proc_read(struct st_proc *p)
{
	unsigned long long start_ticks, btime;
	struct st_proc r = {0};
	struct rlimit rl;
	int err;

	err = read_stat(&r, &start_ticks);
	if (err)
		return err;
	err = read_btime(&btime);
	if (err)
		return err;
	r.start_time = btime + (double)start_ticks / sysconf(_SC_CLK_TCK);
	err = count_fds(&r.open_fds);
	if (err)
		return err;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	r.max_fds = rl.rlim_cur;
	*p = r;
	return 0;
}
