// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Upgrade of ABI-3 maps (see migrate.h). ABI 4 changed three maps only:
 * flows (the kernel's LRU hash became a table of buckets,
 * docs/flow-table.md), config (the table's shape and seed) and stats (a
 * counter more: the counters start again). Every other map, records and
 * state alike, keeps its layout and stays pinned: the load reuses it.
 * The steps, each safe to kill:
 *   1. pin the old flows, stats and config under DIR/abi3, config last;
 *   2. unpin them from DIR;
 *   3. load: libbpf creates and pins the new flows and config in DIR,
 *      and reuses every other pinned map;
 *   4. attach writes the config; the live flows of the old table are
 *      copied into the new one;
 *   5. swap the program on the pinned link (attach.c);
 *   6. unpin DIR/abi3, config first, and remove it.
 * Until 5 the old program forwards with the old maps. An attach that finds
 * DIR/abi3/config redoes 2-6 from the copy there, with a fresh table
 * (what a killed 3-4 made is dropped), unless the program on the link
 * reads DIR/config: then 5 was made, the new program has been placing
 * flows in the table since, and the attach keeps it, copies the old
 * table's entries again where newer, and does 6. abi3 without its config
 * is a step 1 or 6 cut short, told apart by the ABI of DIR/config. Flows
 * the old program placed after the copy (step 4) are copied again after
 * the swap, where newer than what the table holds.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "log.h"
#include "maps.h"
#include "migrate.h"
#include "records.h"
#include "service.h"

/* ABI 3's config: this one's up to the flow table's fields. */
#define V3_CONFIG_SIZE offsetof(struct lbxdp_config, ft_nbuckets)

/* ABI 3's flows map: struct lbxdp_flow_key -> struct lbxdp_flow. */
#define V3_FLOW_KEY 40
#define V3_FLOW_VAL 16
#define NSEC 1000000000ULL

_Static_assert(V3_CONFIG_SIZE == 88, "ABI 3 config");
_Static_assert(sizeof(struct lbxdp_flow_key) == V3_FLOW_KEY, "ABI 3 key");
_Static_assert(sizeof(struct lbxdp_flow) == V3_FLOW_VAL, "ABI 3 value");

/* The maps ABI 4 changed (stats: a counter more); config last, the mark
 * of a whole copy. */
static const char *const v3_maps[] = {"flows", "stats", "config"};

#define NR_V3_MAPS (sizeof(v3_maps) / sizeof(v3_maps[0]))

static void side_path(const char *dir, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s%s%s", dir, LBXDP_MIGRATE_DIR, name ? "/" : "",
		 name ? name : "");
}

static bool exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

/* Unpin DIR/abi3's maps, config first, and remove it. */
static int side_remove(const char *dir)
{
	char path[PATH_MAX];
	int i, err;

	for (i = NR_V3_MAPS - 1; i >= 0; i--) {
		side_path(dir, v3_maps[i], path, sizeof(path));
		if (unlink(path) && errno != ENOENT)
			goto fail;
	}
	side_path(dir, NULL, path, sizeof(path));
	if (rmdir(path) && errno != ENOENT)
		goto fail;
	return 0;
fail:
	err = -errno;
	p_err("cannot remove %s: %s", path, strerror(-err));
	return err;
}

/* The ABI of the config pinned at @path (0 if none). A config of another
 * size is not ABI 3's, whatever it says. */
static int config_abi(const char *path, __u32 *abi)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), zero = 0;
	struct lbxdp_config *raw;
	int fd, err = 0;

	*abi = 0;
	fd = bpf_obj_get(path);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = -errno;
		p_err("cannot read %s: %s", path, strerror(errno));
		goto cleanup;
	}
	raw = calloc(1, info.value_size > sizeof(*raw) ? info.value_size
						       : sizeof(*raw));
	if (!raw) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (bpf_map_lookup_elem(fd, &zero, raw)) {
		err = -errno;
		p_err("cannot read %s: %s", path, strerror(errno));
	} else {
		*abi = raw->abi_version;
	}
	if (*abi == LBXDP_MIGRATE_ABI && info.value_size != V3_CONFIG_SIZE)
		*abi = 0;
	free(raw);
cleanup:
	if (fd >= 0)
		close(fd);
	return err;
}

/* A pinned map of the old ABI, checked against the layout read here. */
static int old_map(const char *src, const char *name, __u32 key_size,
		   __u32 value_size, __u32 *max_entries)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", src, name);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		p_err("cannot open the ABI-%u map %s: %s", LBXDP_MIGRATE_ABI,
		      path, strerror(errno));
		return -errno;
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    info.key_size != key_size || info.value_size != value_size) {
		p_err("map %s is not ABI %u's (a development build?): recreate the maps with 'lbxdp detach --purge' and attach again",
		      path, LBXDP_MIGRATE_ABI);
		close(fd);
		return -EPROTO;
	}
	*max_entries = info.max_entries;
	return fd;
}

/* The old config as this ABI's: all of it kept, the table's fields new. */
static int read_config(struct lbxdp_migration *m, const char *src)
{
	__u32 zero = 0, n;
	int fd, err;

	fd = old_map(src, "config", sizeof(__u32), V3_CONFIG_SIZE, &n);
	if (fd < 0)
		return fd;
	memset(&m->cfg, 0, sizeof(m->cfg));
	err = bpf_map_lookup_elem(fd, &zero, &m->cfg) ? -errno : 0;
	close(fd);
	if (err) {
		p_err("cannot read the ABI-%u config in %s: %s",
		      LBXDP_MIGRATE_ABI, src, strerror(-err));
		return err;
	}
	if (!m->cfg.max_vips || m->cfg.max_vips > 65536 || !m->cfg.flows) {
		p_err("the ABI-%u config in %s has %u VIPs and %u flows: recreate the maps with 'lbxdp detach --purge' and attach again",
		      LBXDP_MIGRATE_ABI, src, m->cfg.max_vips, m->cfg.flows);
		return -EPROTO;
	}
	m->cfg.abi_version = LBXDP_ABI_VERSION;
	m->cfg.ft_nbuckets = lbxdp_ft_nbuckets(m->cfg.flows);
	if (getrandom(&m->cfg.ft_seed, sizeof(m->cfg.ft_seed), 0) !=
	    sizeof(m->cfg.ft_seed)) {
		err = -errno;
		p_err("cannot draw the flow table's seed: %s", strerror(-err));
		return err;
	}
	return 0;
}

/* Whether the program on @dir's link reads @dir/config: the swap of an
 * upgrade was made (the old program reads its own, under DIR/abi3). */
static int swapped(const char *dir, bool *yes)
{
	int err = lbxdp_link_prog_reads(dir, "config", yes);

	if (err == -ENOENT)
		return 0;
	if (err)
		p_err("cannot tell whether %s's program was swapped: %s", dir,
		      strerror(-err));
	return err;
}

static int copy_flows(struct lbxdp_migration *m, struct lbxdp_ctx *c,
		      __u64 since, __u64 flags, __u64 *copied);

/* An upgrade killed after its swap: the table the new program has been
 * writing stays; the old one's entries go into it where newer (those
 * the old program wrote after the first copy, if the copy after the swap
 * was cut short), then the old maps go. */
static int finish_swapped(struct lbxdp_migration *m)
{
	__u64 copied = 0;
	struct lbxdp_ctx c;
	int err;

	err = lbxdp_open_upgrading(&c, m->pin_dir);
	if (err)
		return err;
	if (copy_flows(m, &c, 0, LBXDP_FLOWS_NEWER, &copied))
		p_warn("flows placed during the upgrade may be placed again");
	lbxdp_close(&c);
	err = side_remove(m->pin_dir);
	if (!err)
		p_info("finished the upgrade of %s from ABI %u: the new program was in; %llu flows of the old table copied again",
		       m->pin_dir, LBXDP_MIGRATE_ABI,
		       (unsigned long long)copied);
	return err;
}

int lbxdp_migrate_begin(const char *dir, struct lbxdp_migration *m)
{
	char path[PATH_MAX], src[PATH_MAX];
	bool done = false;
	__u32 abi;
	int err;

	memset(m, 0, sizeof(*m));
	snprintf(m->pin_dir, sizeof(m->pin_dir), "%s", dir);
	side_path(dir, "config", path, sizeof(path));
	err = config_abi(path, &abi);
	if (err)
		return err;
	if (exists(path) && abi != LBXDP_MIGRATE_ABI) {
		p_err("%s is not an ABI-%u config: remove the maps with 'lbxdp detach --purge' and attach again",
		      path, LBXDP_MIGRATE_ABI);
		return -EPROTO;
	}
	if (abi == LBXDP_MIGRATE_ABI) {
		m->staged = true;
		side_path(dir, NULL, src, sizeof(src));
		snprintf(m->src, sizeof(m->src), "%s", src);
		/* Until step 2, DIR/config is the old one, which the old
		 * program reads too. */
		snprintf(path, sizeof(path), "%s/config", dir);
		err = config_abi(path, &abi);
		if (!err && abi == LBXDP_ABI_VERSION)
			err = swapped(dir, &done);
		if (err)
			return err;
		if (done)
			return finish_swapped(m);
	} else {
		snprintf(src, sizeof(src), "%s", dir);
		snprintf(path, sizeof(path), "%s/config", dir);
		err = config_abi(path, &abi);
		if (err)
			return err;
		/* A copy without its config: cut short while it was made
		 * (DIR is still ABI 3's) or while it was removed after the
		 * swap (DIR is this ABI's). Start again, or finish. */
		side_path(dir, NULL, path, sizeof(path));
		if (exists(path)) {
			err = side_remove(dir);
			if (err)
				return err;
			if (abi != LBXDP_MIGRATE_ABI)
				p_info("finished the upgrade of %s from ABI %u: removed the old maps",
				       dir, LBXDP_MIGRATE_ABI);
		}
		if (abi != LBXDP_MIGRATE_ABI)
			return 0;
	}
	snprintf(m->src, sizeof(m->src), "%s", src);
	err = read_config(m, src);
	return err ? err : 1;
}

int lbxdp_migrate_stage(struct lbxdp_migration *m)
{
	char path[PATH_MAX], side[PATH_MAX];
	size_t i;
	int fd, err = 0;

	if (!m->staged) {
		side_path(m->pin_dir, NULL, side, sizeof(side));
		if (mkdir(side, 0700) && errno != EEXIST) {
			err = -errno;
			p_err("cannot create %s: %s", side, strerror(-err));
			return err;
		}
		for (i = 0; i < NR_V3_MAPS && !err; i++) {
			snprintf(path, sizeof(path), "%s/%s", m->pin_dir,
				 v3_maps[i]);
			fd = bpf_obj_get(path);
			if (fd < 0) {
				err = -errno;
				p_err("cannot open %s: %s", path,
				      strerror(-err));
				return err;
			}
			side_path(m->pin_dir, v3_maps[i], side, sizeof(side));
			if (unlink(side) && errno != ENOENT)
				err = -errno;
			if (!err && bpf_obj_pin(fd, side))
				err = -errno;
			if (err)
				p_err("cannot pin %s: %s", side,
				      strerror(-err));
			close(fd);
		}
		if (err)
			return err;
		m->staged = true;
		side_path(m->pin_dir, NULL, m->src, sizeof(m->src));
	}
	/* The old maps, or new ones a killed attempt pinned: loading makes
	 * its own; the other maps stay, for the load to reuse. */
	for (i = 0; i < NR_V3_MAPS; i++) {
		snprintf(path, sizeof(path), "%s/%s", m->pin_dir, v3_maps[i]);
		if (unlink(path) && errno != ENOENT) {
			err = -errno;
			p_err("cannot unpin %s: %s", path, strerror(-err));
			return err;
		}
	}
	return 0;
}

/* The old table's live entries, copied into the new one a batch at a
 * time; an entry of a VIP deleted since is left. */
struct flow_copy {
	struct lbxdp_ctx *c;
	struct lbxdp_flow_key *keys;
	struct lbxdp_flow *vals;
	__u32 n;
	__u64 now, since, copied, flags;
};

static int copy_flush(struct flow_copy *fc)
{
	__u32 i, q = 0;
	int err;

	/* One at a time where the batch fails: a VIP gone since. */
	err = lbxdp_flows_put_many(fc->c, fc->keys, fc->vals, fc->n, fc->flags);
	if (err == -ENOENT) {
		for (i = 0, err = 0; i < fc->n && !err; i++) {
			err = lbxdp_flows_put_many(fc->c, &fc->keys[i],
						   &fc->vals[i], 1, fc->flags);
			if (!err)
				q++;
			if (err == -ENOENT)
				err = 0;
		}
	} else if (!err) {
		q = fc->n;
	}
	fc->copied += q;
	fc->n = 0;
	return err;
}

/* Those seen at @since or later (0: all); @flags as
 * lbxdp_flows_put_many()'s; how many were written into *@copied. */
static int copy_flows(struct lbxdp_migration *m, struct lbxdp_ctx *c,
		      __u64 since, __u64 flags, __u64 *copied)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	struct flow_copy fc = {.c = c,
			       .now = lbxdp_prog_now(c),
			       .since = since,
			       .flags = flags};
	/* Read in large batches: a bucket of the old hash with more
	 * entries than the batch holds fails it (ENOSPC). */
	__u32 batch = 4096, count, i, in = 0, out, n;
	struct lbxdp_flow_key *keys;
	struct lbxdp_flow *vals;
	bool done = false;
	int fd, err = 0;

	fd = old_map(m->src, "flows", V3_FLOW_KEY, V3_FLOW_VAL, &n);
	if (fd < 0)
		return fd;
	keys = calloc(batch, sizeof(*keys));
	vals = calloc(batch, sizeof(*vals));
	fc.keys = calloc(batch, sizeof(*fc.keys));
	fc.vals = calloc(batch, sizeof(*fc.vals));
	if (!keys || !vals || !fc.keys || !fc.vals) {
		err = -ENOMEM;
		goto cleanup;
	}
	while (!done && !err) {
		count = batch;
		if (bpf_map_lookup_batch(fd, &in, &out, keys, vals, &count,
					 &o)) {
			if (errno != ENOENT) {
				err = -errno;
				p_err("cannot read the ABI-%u map flows: %s",
				      LBXDP_MIGRATE_ABI, strerror(errno));
				break;
			}
			done = true;
		}
		in = out;
		for (i = 0; i < count && !err; i++) {
			__u64 tmo =
				lbxdp_flow_timeout_ns(&c->cfg, keys[i].proto);

			/* Only the live: an idle one is placed anew. */
			if (vals[i].last_seen_ns + tmo < fc.now ||
			    vals[i].last_seen_ns < fc.since)
				continue;
			fc.keys[fc.n] = keys[i];
			fc.vals[fc.n++] = vals[i];
			if (fc.n == batch)
				err = copy_flush(&fc);
		}
	}
	if (!err && fc.n)
		err = copy_flush(&fc);
	if (!err)
		*copied = fc.copied;
	else
		p_err("cannot copy the flows into the new table: %s",
		      strerror(-err));
cleanup:
	free(keys);
	free(vals);
	free(fc.keys);
	free(fc.vals);
	close(fd);
	return err;
}

/* The old table's live flows into the new one of @obj: @since, @flags
 * and @copied as copy_flows()'s. */
static int copy_into(struct lbxdp_migration *m, struct bpf_object *obj,
		     const struct lbxdp_config *cfg, __u64 since, __u64 flags,
		     __u64 *copied)
{
	struct lbxdp_ctx c;
	size_t i;
	int err = 0;

	/* The new maps, not yet live: no lock or repair of their own. */
	lbxdp_ctx_init(&c, m->pin_dir);
	c.cfg = *cfg;
	for (i = 0; i < M_NR && !err; i++) {
		c.fd[i] = bpf_object__find_map_fd_by_name(obj,
							  lbxdp_map_names[i]);
		if (c.fd[i] < 0) {
			p_err("the program has no map %s", lbxdp_map_names[i]);
			err = -ENOENT;
			break;
		}
		/* dup: lbxdp_close() closes its own. */
		c.fd[i] = dup(c.fd[i]);
		if (c.fd[i] < 0)
			err = -errno;
	}
	if (!err)
		err = copy_flows(m, &c, since, flags, copied);
	lbxdp_close(&c);
	return err;
}

int lbxdp_migrate_records(struct lbxdp_migration *m, struct bpf_object *obj,
			  struct lbxdp_config *cfg)
{
	m->copy_ns = lbxdp_now_ns();
	return copy_into(m, obj, cfg, 0, BPF_ANY, &m->flows);
}

int lbxdp_migrate_delta(struct lbxdp_migration *m, struct bpf_object *obj,
			const struct lbxdp_config *cfg)
{
	__u64 copied;

	/* What the old program wrote after the first copy, up to the swap
	 * (last seen since: a second's margin for the two clocks), where it
	 * is newer than the table's: the first copy of a flow it placed
	 * again meanwhile goes, an entry the new program wrote since stays. */
	return copy_into(m, obj, cfg, m->copy_ns > NSEC ? m->copy_ns - NSEC : 0,
			 LBXDP_FLOWS_NEWER, &copied);
}

int lbxdp_migrate_finish(struct lbxdp_migration *m)
{
	int err = side_remove(m->pin_dir);

	if (!err)
		p_info("upgraded the maps in %s from ABI %u to %u: services and backends kept, %llu live flows copied into the new flow table",
		       m->pin_dir, LBXDP_MIGRATE_ABI, LBXDP_ABI_VERSION,
		       (unsigned long long)m->flows);
	return err;
}

void lbxdp_migrate_unstage(struct lbxdp_migration *m)
{
	char path[PATH_MAX], side[PATH_MAX];
	size_t i;
	int fd, err = 0;

	if (!m->staged)
		return;
	for (i = 0; i < NR_V3_MAPS && !err; i++) {
		side_path(m->pin_dir, v3_maps[i], side, sizeof(side));
		snprintf(path, sizeof(path), "%s/%s", m->pin_dir, v3_maps[i]);
		fd = bpf_obj_get(side);
		if (fd < 0) {
			err = -errno;
			break;
		}
		if (unlink(path) && errno != ENOENT)
			err = -errno;
		if (!err && bpf_obj_pin(fd, path))
			err = -errno;
		close(fd);
	}
	if (!err)
		err = side_remove(m->pin_dir);
	if (err) {
		p_warn("cannot give %s back to ABI %u: %s (the next attach resumes the upgrade)",
		       m->pin_dir, LBXDP_MIGRATE_ABI, strerror(-err));
		return;
	}
	m->staged = false;
	p_info("%s left at ABI %u, as it was", m->pin_dir, LBXDP_MIGRATE_ABI);
}

void lbxdp_migrate_free(struct lbxdp_migration *m)
{
	(void)m;
}

void lbxdp_migrate_purge(const char *dir)
{
	char path[PATH_MAX];

	side_path(dir, NULL, path, sizeof(path));
	if (exists(path))
		side_remove(dir);
}
