// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * kt: the killed-writer test's view of a pin directory (test_killed.sh).
 *
 *   kt save DIR FILE       every pinned map's entries into FILE
 *   kt restore DIR FILE    the maps as FILE holds them (entries not in it go)
 *   kt state DIR           the configuration as text: the records and all
 *                          that is derived from them, without counters,
 *                          generations or flows, so that two states compare
 *   kt probe DIR SVC...    the verdict the attached program gives a new
 *                          flow, its next packet, a flow that misses the
 *                          table, and a fragment, for each service
 *   kt fp DIR SVC...       state, then probe: what a run is compared by
 *   kt age DIR             every flow entry idle since the clock's origin
 *   kt dadd DIR SVC [RIP WEIGHT MAC]
 *                          add a service (wrr) or backend as the daemon
 *                          does, owned by it, under the writer lock
 *   kt health DIR SVC RIP STATE FAILS OKS AGO CHECKER REASON [WEIGHT]
 *                          write a backend's health entry as the daemon
 *                          does (STATE none|pending|up|down, AGO seconds)
 *
 * save and restore put a pin directory back to a state between runs in a
 * few milliseconds, where detach --purge and attach take half a second.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "frames.h"
#include "lbxdp/abi.h"
#include "maps.h"
#include "parse.h"
#include "records.h"
#include "service.h"

static void die(const char *what, int err)
{
	fprintf(stderr, "kt: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(2);
}

struct minfo {
	__u32 type, key_size, value_size, max_entries;
	size_t vsize; /* bytes of a value as lookups return it */
};

static void map_info(int fd, struct minfo *mi)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int ncpus = libbpf_num_possible_cpus();

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		die("map info", errno);
	mi->type = info.type;
	mi->key_size = info.key_size;
	mi->value_size = info.value_size;
	mi->max_entries = info.max_entries;
	mi->vsize = info.value_size;
	if (info.type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	    info.type == BPF_MAP_TYPE_PERCPU_HASH ||
	    info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH)
		mi->vsize = ((info.value_size + 7) & ~7U) * ncpus;
}

static bool is_array(const struct minfo *mi)
{
	return mi->type == BPF_MAP_TYPE_ARRAY ||
	       mi->type == BPF_MAP_TYPE_PERCPU_ARRAY;
}

/* All @mi->max_entries values of an array map, in one syscall. */
static __u8 *array_all(int fd, const struct minfo *mi)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 n = mi->max_entries, out = 0, *keys;
	__u8 *vals = calloc(n, mi->vsize);

	keys = calloc(n, sizeof(*keys));
	if (!keys || !vals)
		die("array", ENOMEM);
	if (bpf_map_lookup_batch(fd, NULL, &out, keys, vals, &n, &opts) &&
	    errno != ENOENT)
		die("lookup_batch", errno);
	if (n != mi->max_entries)
		die("lookup_batch: short", EIO);
	free(keys);
	return vals;
}

/* FILE: per map, its index, entry count, then key and value of each. */
static void save(struct lbxdp_ctx *c, const char *file)
{
	FILE *f = fopen(file, "w");
	int i;

	if (!f)
		die(file, errno);
	for (i = 0; i < M_NR; i++) {
		struct minfo mi;
		__u8 *k, *nk, *v;
		__u32 n = 0;
		long at;
		bool first = true;

		/* An optional map not pinned; a ring has no entries. */
		if (c->fd[i] < 0 || i == M_SYNC_RING)
			continue;
		map_info(c->fd[i], &mi);
		k = calloc(1, mi.key_size);
		nk = calloc(1, mi.key_size);
		v = calloc(1, mi.vsize);
		if (!k || !nk || !v)
			die("save", ENOMEM);
		fwrite(&i, sizeof(i), 1, f);
		if (is_array(&mi)) {
			__u8 *all = array_all(c->fd[i], &mi);

			fwrite(&mi.max_entries, sizeof(n), 1, f);
			fwrite(all, mi.vsize, mi.max_entries, f);
			free(all);
			free(k);
			free(nk);
			free(v);
			continue;
		}
		at = ftell(f);
		fwrite(&n, sizeof(n), 1, f);
		while (!bpf_map_get_next_key(c->fd[i], first ? NULL : k, nk)) {
			first = false;
			memcpy(k, nk, mi.key_size);
			if (bpf_map_lookup_elem(c->fd[i], k, v))
				continue;
			fwrite(k, mi.key_size, 1, f);
			fwrite(v, mi.vsize, 1, f);
			n++;
		}
		fseek(f, at, SEEK_SET);
		fwrite(&n, sizeof(n), 1, f);
		fseek(f, 0, SEEK_END);
		free(k);
		free(nk);
		free(v);
	}
	if (fclose(f))
		die(file, errno);
}

static void restore(struct lbxdp_ctx *c, const char *file)
{
	FILE *f = fopen(file, "r");
	int i, m;

	if (!f)
		die(file, errno);
	for (i = 0; i < M_NR; i++) {
		struct minfo mi;
		__u8 *keys, *vals, *k, *nk, *cur;
		__u32 n, j;
		bool first = true;

		if (c->fd[i] < 0 || i == M_SYNC_RING)
			continue;
		if (fread(&m, sizeof(m), 1, f) != 1 || m != i ||
		    fread(&n, sizeof(n), 1, f) != 1)
			die("restore: bad snapshot", EINVAL);
		map_info(c->fd[i], &mi);
		keys = calloc(n + 1, mi.key_size);
		vals = calloc(n + 1, mi.vsize);
		k = calloc(1, mi.key_size);
		nk = calloc(1, mi.key_size);
		cur = calloc(1, mi.vsize);
		if (!keys || !vals || !k || !nk || !cur)
			die("restore", ENOMEM);
		if (is_array(&mi)) {
			__u8 *now = array_all(c->fd[i], &mi);

			if (n != mi.max_entries ||
			    fread(vals, mi.vsize, n, f) != n)
				die("restore: short snapshot", EINVAL);
			for (j = 0; j < n; j++) {
				if (!memcmp(now + j * mi.vsize,
					    vals + j * mi.vsize, mi.vsize))
					continue;
				if (bpf_map_update_elem(c->fd[i], &j,
							vals + j * mi.vsize,
							BPF_ANY))
					die(lbxdp_map_names[i], errno);
			}
			free(now);
			n = 0; /* written */
		}
		for (j = 0; j < n; j++)
			if (fread(keys + j * mi.key_size, mi.key_size, 1, f) !=
				    1 ||
			    fread(vals + j * mi.vsize, mi.vsize, 1, f) != 1)
				die("restore: short snapshot", EINVAL);
		/* Hash entries the snapshot lacks go; the walk restarts
		 * after each delete, which moves the walk's place. */
		while (!is_array(&mi) &&
		       !bpf_map_get_next_key(c->fd[i], first ? NULL : k, nk)) {
			bool keep = false;

			first = false;
			memcpy(k, nk, mi.key_size);
			for (j = 0; j < n && !keep; j++)
				keep = !memcmp(keys + j * mi.key_size, k,
					       mi.key_size);
			if (!keep && !bpf_map_delete_elem(c->fd[i], k))
				first = true;
		}
		for (j = 0; j < n; j++) {
			const void *key = keys + j * mi.key_size;
			const void *val = vals + j * mi.vsize;

			if (!bpf_map_lookup_elem(c->fd[i], key, cur) &&
			    !memcmp(cur, val, mi.vsize))
				continue;
			if (bpf_map_update_elem(c->fd[i], key, val, BPF_ANY))
				die(lbxdp_map_names[i], errno);
		}
		free(keys);
		free(vals);
		free(k);
		free(nk);
		free(cur);
	}
	fclose(f);
}

/* FNV-1a, to print a table's contents as one number. */
static __u32 fnv(__u32 h, const void *p, size_t n)
{
	const __u8 *b = p;

	while (n--)
		h = (h ^ *b++) * 16777619U;
	return h;
}

static __u32 array_hash(int fd, __u32 first, __u32 n)
{
	__u32 h = 2166136261U, i, k, v;

	for (i = 0; i < n; i++) {
		k = first + i;
		v = 0;
		bpf_map_lookup_elem(fd, &k, &v);
		h = fnv(h, &v, sizeof(v));
	}
	return h;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lines of @fd's entries, sorted, each made by @fmt from key and value. */
static void print_sorted(int fd, size_t ksz,
			 void (*fmt)(char *buf, size_t len, const void *k,
				     const void *v, struct lbxdp_ctx *c),
			 struct lbxdp_ctx *c)
{
	__u8 k[64], nk[64], v[128];
	char *lines[4096] = {0};
	size_t n = 0, i;
	bool first = true;

	while (n < 4096 && !bpf_map_get_next_key(fd, first ? NULL : k, nk)) {
		first = false;
		memcpy(k, nk, ksz);
		if (bpf_map_lookup_elem(fd, k, v))
			continue;
		lines[n] = malloc(512);
		if (!lines[n])
			die("state", ENOMEM);
		fmt(lines[n], 512, k, v, c);
		n++;
	}
	qsort(lines, n, sizeof(lines[0]), cmp_line);
	for (i = 0; i < n; i++) {
		puts(lines[i]);
		free(lines[i]);
	}
}

static void fmt_vip(char *buf, size_t len, const void *kp, const void *vp,
		    struct lbxdp_ctx *c)
{
	const struct lbxdp_vip_key *k = kp;
	const struct lbxdp_vip *v = vp;
	struct lbxdp_vip info = {};
	struct lbxdp_table t = {};
	char svc[LBXDP_SVC_STRLEN];
	__u32 slot = 0, tidx, ring = c->cfg.ring_size;

	bpf_map_lookup_elem(c->fd[M_VIP_INFO], &v->id, &info);
	bpf_map_lookup_elem(c->fd[M_VIP_SLOT], &v->id, &slot);
	tidx = v->id * 2 + (slot & 1);
	bpf_map_lookup_elem(c->fd[M_TABLES], &tidx, &t);
	snprintf(buf, len,
		 "vip %s id %u flags %u sched %u persist %u owner %u info %s "
		 "table n %u wrr %u sig %08x maglev %08x wrr %08x",
		 lbxdp_format_service(k, svc, sizeof(svc)), v->id, v->flags,
		 v->sched, v->persist_sec, lbxdp_vip_owner(c, v->id),
		 memcmp(&info, v, sizeof(info)) ? "DIFFERS" : "same",
		 t.nbackends, t.wrr_len, t.sig,
		 array_hash(c->fd[M_MAGLEV], tidx * ring, ring),
		 array_hash(c->fd[M_WRR], tidx * LBXDP_WRR_MAX, t.wrr_len));
}

static void fmt_addr(char *buf, size_t len, const void *kp, const void *vp,
		     struct lbxdp_ctx *c)
{
	const struct lbxdp_addr_key *k = kp;
	char a[64];

	snprintf(buf, len, "vip_addr %s services %u",
		 lbxdp_format_addr(k->addr, k->family, a, sizeof(a)),
		 *(const __u32 *)vp);
}

static void state(struct lbxdp_ctx *c)
{
	struct lbxdp_config *g = &c->cfg;
	__u32 i, n = g->max_vips * g->max_backends + 1;
	struct lbxdp_link_info li;
	char a[64], m[18];

	/* The program by its tag: its id changes with every load. */
	if (lbxdp_link_query(c->pin_dir, &li))
		printf("link unreadable\n");
	else if (!li.prog_id)
		printf("link none\n");
	else
		printf("link %s ifindex %u mode %d program %s\n",
		       li.attached ? "attached" : "defunct", li.ifindex,
		       (int)li.mode, li.tag);

	printf("config ifindex %u mac %s caps %u %u %u %u %u timeouts %u %u %u flood %u nport0 %u bloom %016llx\n",
	       g->ifindex, lbxdp_format_mac(g->mac, m, sizeof(m)), g->max_vips,
	       g->max_backends, g->flows, g->persist, g->ring_size,
	       g->tcp_timeout, g->udp_timeout, g->active_window, g->flood_rate,
	       g->nport0, (unsigned long long)g->addr_bloom);
	print_sorted(c->fd[M_VIPS], sizeof(struct lbxdp_vip_key), fmt_vip, c);
	print_sorted(c->fd[M_VIP_ADDRS], sizeof(struct lbxdp_addr_key),
		     fmt_addr, c);
	for (i = 1; i < n; i++) {
		struct lbxdp_backend be = {};
		struct lbxdp_backend_meta bm;

		/* The meta as every reader sees it: its gen's record's. */
		if (lbxdp_backend_get(c, i, &be, &bm, NULL))
			continue;
		printf("backend %u vip %u %s mac %s flags %u weight %u gen %u owner %u op %u/%u cfg %u\n",
		       i, be.vip_id,
		       lbxdp_format_addr(be.addr, be.family, a, sizeof(a)),
		       lbxdp_format_mac(be.mac, m, sizeof(m)), be.flags,
		       be.weight, be.gen, bm.owner, bm.op, bm.op_weight,
		       bm.cfg_weight);
	}
}

/* One frame through the attached program: "VERDICT" or "tx:MAC". */
static void run_one(int prog, const struct fspec *s, const __u8 *our_mac,
		    char *out, size_t len)
{
	static const char *const names[] = {"aborted", "drop", "pass", "tx",
					    "redirect"};
	struct frame in, res;
	char m[18];
	/* No ctx: the program knows its interface by config.mac alone, so
	 * the probe needs no way into the lab's namespace. */
	struct bpf_test_run_opts o = {
		.sz = sizeof(o),
		.data_out = res.data,
		.data_size_out = sizeof(res.data),
		.repeat = 1,
	};

	frame_build(&in, s, our_mac);
	o.data_in = in.data;
	o.data_size_in = in.len;
	if (bpf_prog_test_run_opts(prog, &o)) {
		snprintf(out, len, "error:%d", errno);
		return;
	}
	if (o.retval == XDP_TX)
		snprintf(out, len, "tx:%s",
			 lbxdp_format_mac(res.data, m, sizeof(m)));
	else
		snprintf(out, len, "%s",
			 o.retval < 5 ? names[o.retval] : "unknown");
}

static void probe(struct lbxdp_ctx *c, const char *dir, int argc, char **argv)
{
	int prog = lbxdp_link_prog_fd(dir), i;
	cpu_set_t cpus;

	/* The wrr cursor is per CPU: one CPU, the first allowed, so that a
	 * run repeats. */
	if (sched_getaffinity(0, sizeof(cpus), &cpus))
		die("sched_getaffinity", errno);
	for (i = 0; i < CPU_SETSIZE && !CPU_ISSET(i, &cpus); i++)
		;
	CPU_ZERO(&cpus);
	CPU_SET(i, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		die("sched_setaffinity", errno);
	for (i = 0; i < argc; i++) {
		struct lbxdp_vip_key key = {};
		char err[128], r[4][32];
		struct fspec s = {};
		__u16 port;

		if (lbxdp_parse_service(argv[i], &key, err, sizeof(err)))
			die(argv[i], EINVAL);
		if (prog < 0) {
			printf("%s no-program\n", argv[i]);
			continue;
		}
		port = key.port ? ntohs(key.port) : 80;
		s.proto = key.proto;
		s.saddr = IP4(198, 19, 200, 1);
		s.daddr = ntohl(key.addr[0]);
		s.sport = 40001;
		s.dport = port;
		s.tcp_flags = TH_SYN;
		run_one(prog, &s, c->cfg.mac, r[0], 32);
		s.tcp_flags = TH_ACK | TH_PSH;
		run_one(prog, &s, c->cfg.mac, r[1], 32);
		s.sport = 40002;
		run_one(prog, &s, c->cfg.mac, r[2], 32);
		s.mangle = M_FRAG_LATER;
		run_one(prog, &s, c->cfg.mac, r[3], 32);
		printf("%s new %s next %s miss %s fragment %s\n", argv[i], r[0],
		       r[1], r[2], r[3]);
	}
}

static int age_one(const struct lbxdp_flow_key *k, const struct lbxdp_flow *v,
		   void *arg)
{
	struct lbxdp_flow f = *v;

	f.last_seen_ns = 1;
	lbxdp_flow_put(arg, k, &f, BPF_EXIST);
	return 0;
}

static void age(struct lbxdp_ctx *c)
{
	lbxdp_flows_walk(c, age_one, c);
	lbxdp_memo_clear(c);
}

/* The daemon's own adds: a service, or a backend of it. */
static int dadd(const char *dir, int argc, char **argv)
{
	struct lbxdp_vip_key key = {};
	struct lbxdp_ctx c;
	char why[128];
	__be32 addr[4] = {};
	__u8 mac[6], fam;
	int err;

	if (argc != 1 && argc != 4)
		die("dadd: SVC [RIP WEIGHT MAC]", EINVAL);
	if (lbxdp_parse_service(argv[0], &key, why, sizeof(why)))
		die(argv[0], EINVAL);
	err = lbxdp_open(&c, dir, true);
	if (err)
		die(dir, err);
	if (argc == 1) {
		err = lbxdp_vip_add(&c, &key, LBXDP_SCHED_WRR, 0,
				    LBXDP_OWNER_DAEMON);
	} else {
		if (lbxdp_parse_addr(argv[1], addr, &fam) ||
		    lbxdp_parse_mac(argv[3], mac))
			die(argv[1], EINVAL);
		err = lbxdp_backend_add(&c, &key, addr, atoi(argv[2]), mac,
					LBXDP_OWNER_DAEMON);
	}
	lbxdp_close(&c);
	return err ? 2 : 0;
}

/* A health entry as the daemon writes it, without the lock. */
static int health(const char *dir, int argc, char **argv)
{
	static const char *const states[] = {"none", "pending", "up", "down"};
	struct lbxdp_vip_key key = {};
	struct lbxdp_backend be;
	struct lbxdp_health h = {};
	struct lbxdp_ctx c;
	struct timespec ts;
	char why[128];
	__be32 addr[4] = {};
	__u8 fam;
	__u32 id;
	int err;

	if (argc != 8 && argc != 9)
		die("health: SVC RIP STATE FAILS OKS AGO CHECKER REASON [WEIGHT]",
		    EINVAL);
	if (lbxdp_parse_service(argv[0], &key, why, sizeof(why)) ||
	    lbxdp_parse_addr(argv[1], addr, &fam))
		die(argv[0], EINVAL);
	for (h.state = 0; h.state < 4 && strcmp(states[h.state], argv[2]);
	     h.state++)
		;
	if (h.state == 4)
		die(argv[2], EINVAL);
	err = lbxdp_open(&c, dir, false);
	if (!err)
		err = lbxdp_backend_find(&c, &key, addr, &id);
	if (!err)
		err = lbxdp_backend_get(&c, id, &be, NULL, NULL);
	if (err)
		die(argv[1], err);
	clock_gettime(CLOCK_REALTIME, &ts);
	h.gen = be.gen;
	h.fails = atoi(argv[3]);
	h.oks = atoi(argv[4]);
	h.last_ms = (__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 -
		    (__u64)atoi(argv[5]) * 1000;
	h.since_ms = h.last_ms;
	h.transitions = 1;
	h.weight = argc == 9 ? atoi(argv[8]) : be.weight;
	/* Unterminated when they fill the field, as the daemon may. */
	memcpy(h.checker, argv[6], strnlen(argv[6], sizeof(h.checker)));
	memcpy(h.reason, argv[7], strnlen(argv[7], sizeof(h.reason)));
	err = lbxdp_health_set(&c, id, &h);
	lbxdp_close(&c);
	return err ? 2 : 0;
}

int main(int argc, char **argv)
{
	struct lbxdp_ctx c;
	int err;

	if (argc < 3) {
		fprintf(stderr,
			"usage: kt save|restore DIR FILE | state|age DIR | probe|fp DIR SVC...\n");
		return 1;
	}
	libbpf_set_print(NULL);
	if (!strcmp(argv[1], "dadd"))
		return dadd(argv[2], argc - 3, argv + 3);
	if (!strcmp(argv[1], "health"))
		return health(argv[2], argc - 3, argv + 3);
	err = lbxdp_open(&c, argv[2], false);
	if (err) {
		/* Nothing pinned is a state too: the one before an attach. */
		if (!strcmp(argv[1], "state") || !strcmp(argv[1], "probe") ||
		    !strcmp(argv[1], "fp")) {
			printf("nothing-pinned\n");
			return 0;
		}
		die(argv[2], err);
	}
	if (!strcmp(argv[1], "save") && argc == 4)
		save(&c, argv[3]);
	else if (!strcmp(argv[1], "restore") && argc == 4)
		restore(&c, argv[3]);
	else if (!strcmp(argv[1], "state"))
		state(&c);
	else if (!strcmp(argv[1], "probe"))
		probe(&c, argv[2], argc - 3, argv + 3);
	else if (!strcmp(argv[1], "fp")) {
		state(&c);
		probe(&c, argv[2], argc - 3, argv + 3);
	} else if (!strcmp(argv[1], "age"))
		age(&c);
	else
		die(argv[1], EINVAL);
	lbxdp_close(&c);
	return 0;
}
