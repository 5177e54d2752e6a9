// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* stats [-w SECONDS [-c COUNT]]: counters, or rates every SECONDS. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "log.h"
#include "maps.h"
#include "parse.h"
#include "service.h"
#include "daemon/stats.h"

#define NREASONS LBXDP_NR_COUNTERS

/* A counter that went down was reset (its record was reused). */
static double delta(__u64 cur, __u64 old)
{
	return cur >= old ? (double)(cur - old) : (double)cur;
}

struct snap {
	__u64 ns;
	__u64 reason[LBXDP_STATS_WORDS]; /* the counters, then state */
	struct lbxdp_vip_entry *v;
	size_t nv;
	struct lbxdp_backend_entry *b;
	size_t nb;
};

static void snap_free(struct snap *s)
{
	free(s->v);
	free(s->b);
	memset(s, 0, sizeof(*s));
}

static int snap_take(struct lbxdp_ctx *c, struct snap *s)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->ns = lbxdp_now_ns();
	err = lbxdp_percpu_sum(c, M_STATS, 0, s->reason, LBXDP_STATS_WORDS);
	if (!err)
		err = lbxdp_vip_list(c, &s->v, &s->nv);
	if (!err)
		err = lbxdp_backend_list(c, -1, &s->b, &s->nb);
	if (err)
		snap_free(s);
	return err;
}

/* The same VIP in @prev: same key and id (a re-added one may differ). */
static const struct lbxdp_counters *prev_vip(const struct snap *prev,
					     const struct lbxdp_vip_entry *e)
{
	size_t i;

	for (i = 0; prev && i < prev->nv; i++)
		if (!memcmp(&prev->v[i].key, &e->key, sizeof(e->key)) &&
		    prev->v[i].vip.id == e->vip.id)
			return &prev->v[i].ctr;
	return NULL;
}

static const struct lbxdp_counters *prev_be(const struct snap *prev,
					    const struct lbxdp_backend_entry *e)
{
	size_t i;

	for (i = 0; prev && i < prev->nb; i++)
		if (prev->b[i].id == e->id && prev->b[i].be.gen == e->be.gen)
			return &prev->b[i].ctr;
	return NULL;
}

static void rate(const struct lbxdp_counters *cur,
		 const struct lbxdp_counters *old, double secs, double out[3])
{
	static const struct lbxdp_counters zero;

	if (!old)
		old = &zero;
	out[0] = delta(cur->packets, old->packets) / secs;
	out[1] = delta(cur->bytes, old->bytes) * 8 / secs;
	out[2] = delta(cur->new_flows, old->new_flows) / secs;
}

static struct json_object *counters_json(const struct lbxdp_counters *c,
					 const double *r)
{
	struct json_object *o = json_object_new_object();

	if (r) {
		json_object_object_add(o, "pps", json_object_new_double(r[0]));
		json_object_object_add(o, "bps", json_object_new_double(r[1]));
		json_object_object_add(o, "new_flows_per_s",
				       json_object_new_double(r[2]));
	} else {
		json_object_object_add(o, "packets",
				       json_object_new_int64(c->packets));
		json_object_object_add(o, "bytes",
				       json_object_new_int64(c->bytes));
		json_object_object_add(o, "new_flows",
				       json_object_new_int64(c->new_flows));
	}
	return o;
}

static void show(struct cli *cli, const struct snap *s, const struct snap *prev)
{
	double secs = prev ? (s->ns - prev->ns) / 1e9 : 0, r[3];
	struct json_object *root = NULL, *vips = NULL, *sect[2] = {};
	char svc[LBXDP_SVC_STRLEN], a[64];
	size_t i, j;

	if (secs <= 0)
		secs = 1;
	if (cli->json) {
		root = json_object_new_object();
		sect[0] = json_object_new_object();
		sect[1] = json_object_new_object();
		vips = json_object_new_array();
		json_object_object_add(root, "interval",
				       prev ? json_object_new_double(secs)
					    : NULL);
		json_object_object_add(root, "reasons", sect[0]);
		json_object_object_add(root, "events", sect[1]);
		json_object_object_add(root, "vips", vips);
	} else if (prev) {
		printf("--- rates over %.1fs ---\n", secs);
		printf("%-30s %12s %14s %12s\n", "SERVICE / BACKEND", "PPS",
		       "BPS", "NEWFLOWS/S");
	} else {
		printf("%-30s %12s %14s %12s\n", "SERVICE / BACKEND", "PACKETS",
		       "BYTES", "NEWFLOWS");
	}
	for (i = 0; i < s->nv; i++) {
		struct json_object *vo = NULL, *bl = NULL;

		lbxdp_format_service(&s->v[i].key, svc, sizeof(svc));
		rate(&s->v[i].ctr, prev_vip(prev, &s->v[i]), secs, r);
		if (vips) {
			vo = counters_json(&s->v[i].ctr, prev ? r : NULL);
			bl = json_object_new_array();
			json_object_object_add(vo, "service",
					       json_object_new_string(svc));
			json_object_object_add(vo, "backends", bl);
			json_object_array_add(vips, vo);
		} else if (prev) {
			printf("%-30s %12.0f %14.0f %12.0f\n", svc, r[0], r[1],
			       r[2]);
		} else {
			printf("%-30s %12llu %14llu %12llu\n", svc,
			       (unsigned long long)s->v[i].ctr.packets,
			       (unsigned long long)s->v[i].ctr.bytes,
			       (unsigned long long)s->v[i].ctr.new_flows);
		}
		for (j = 0; j < s->nb; j++) {
			const struct lbxdp_backend_entry *b = &s->b[j];

			if (b->be.vip_id != s->v[i].vip.id)
				continue;
			lbxdp_format_addr(b->be.addr, b->be.family, a,
					  sizeof(a));
			rate(&b->ctr, prev_be(prev, b), secs, r);
			if (bl) {
				struct json_object *bo =
					counters_json(&b->ctr, prev ? r : NULL);

				json_object_object_add(
					bo, "address",
					json_object_new_string(a));
				json_object_array_add(bl, bo);
			} else if (prev) {
				printf("  -> %-25s %12.0f %14.0f %12.0f\n", a,
				       r[0], r[1], r[2]);
			} else {
				printf("  -> %-25s %12llu %14llu %12llu\n", a,
				       (unsigned long long)b->ctr.packets,
				       (unsigned long long)b->ctr.bytes,
				       (unsigned long long)b->ctr.new_flows);
			}
		}
	}
	for (j = 0; j < 2; j++) {
		if (!cli->json)
			printf("%s%s\n", j ? "events" : "frames by verdict",
			       prev ? " per second:" : ":");
		for (i = 0; i < NREASONS; i++) {
			double v = prev ? delta(s->reason[i], prev->reason[i]) /
						   secs
					: (double)s->reason[i];

			if (st_reason_is_event(i) != (j == 1))
				continue;
			if (sect[j])
				json_object_object_add(
					sect[j], st_reason_name(i),
					prev ? json_object_new_double(v)
					     : json_object_new_int64(
						       s->reason[i]));
			else
				printf("  %-18s %14.0f\n", st_reason_name(i),
				       v);
		}
	}
	if (root)
		json_print(cli, root);
	fflush(stdout);
}

int do_stats(struct cli *cli, int argc, char **argv)
{
	struct snap cur = {}, prev = {};
	__u32 interval = 0, count = 0, n;
	struct lbxdp_ctx c;
	int i, err;

	for (i = 0; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (has_help_flag(1, argv + i)) {
			return help_print(
				cli,
				"Usage: lbxdp stats [-w SECONDS [-c COUNT]]\n"
				"  Counters per VIP, per backend and per verdict, summed over CPUs;\n"
				"  with -w, rates every SECONDS (COUNT times, default until killed);\n"
				"  with -w -j, one JSON document a line (JSON Lines).\n");
			return EXIT_OK;
		} else if (!strcmp(argv[i], "-w") ||
			   !strcmp(argv[i], "--watch")) {
			if (arg_u32("-w", v, 1, 3600, &interval))
				return EXIT_USAGE;
			i++;
		} else if (!strcmp(argv[i], "-c") ||
			   !strcmp(argv[i], "--count")) {
			if (arg_u32("-c", v, 1, UINT32_MAX, &count))
				return EXIT_USAGE;
			i++;
		} else {
			p_err("unexpected argument '%s' for stats", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (count && !interval) {
		p_err("-c needs -w SECONDS");
		return EXIT_USAGE;
	}
	err = lbxdp_open(&c, cli->pin_dir, false);
	if (err)
		return EXIT_FAIL;
	err = snap_take(&c, &cur);
	if (err)
		goto cleanup;
	if (!interval) {
		show(cli, &cur, NULL);
		goto cleanup;
	}
	for (n = 0; !count || n < count; n++) {
		snap_free(&prev);
		prev = cur;
		memset(&cur, 0, sizeof(cur));
		sleep(interval);
		err = snap_take(&c, &cur);
		if (err)
			break;
		show(cli, &cur, &prev);
	}
cleanup:
	snap_free(&cur);
	snap_free(&prev);
	lbxdp_close(&c);
	return exit_code(err);
}
