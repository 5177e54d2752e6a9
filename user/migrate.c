// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Upgrade of ABI-2 maps (see migrate.h). The steps, each safe to kill:
 *   1. pin the old maps again under DIR/abi2, config last;
 *   2. unpin them from DIR;
 *   3. load: libbpf creates and pins this ABI's maps in DIR;
 *   4. write the records into them, then the tables;
 *   5. swap the program on the pinned link (attach.c);
 *   6. unpin DIR/abi2, config first, and remove it.
 * Until 5 the old program forwards with the old maps. An attach that finds
 * DIR/abi2/config redoes 2-6 from the copy there, with fresh maps (what a
 * killed 3-5 left is dropped; records are only read from the old maps);
 * abi2 without its config is a step 1 or 6 cut short, told apart by the
 * ABI of DIR/config. Flows, persistence, memos and counters are re-learnt.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "maps.h"
#include "migrate.h"
#include "service.h"

/*
 * The ABI-2 layouts read here, as lbxdp a73450b pinned them (its
 * include/lbxdp/abi.h). Only what the records need; the sizes are checked
 * against the pinned maps before any read.
 */
struct v2_vip_key {
	__be32 addr[4];
	__be16 port;
	__u8 proto;
	__u8 family;
};

#define V2_VIP_F_ACTIVE (1U << 0)

struct v2_vip {
	__u32 id;
	__u32 flags;
	__u32 persist_sec;
	__u8 sched;
	__u8 pad[3];
};

#define V2_BE_F_USED (1U << 0)
#define V2_BE_F_DOWN (1U << 1)
#define V2_BE_F_DRAINING (1U << 2)

struct v2_backend {
	__be32 addr[4];
	__u8 mac[6];
	__u8 family;
	__u8 pad;
	__u32 vip_id;
	__u32 flags;
	__u32 gen;
	__u16 weight;
	__u16 pad2;
};

struct v2_config {
	__u32 abi_version;
	__u32 ifindex;
	__u8 mac[6];
	__u16 nport0;
	__u64 addr_bloom;
	__u32 max_vips;
	__u32 max_backends;
	__u32 flows;
	__u32 persist;
	__u32 ring_size;
	__u32 tcp_timeout;
	__u32 udp_timeout;
	__u32 active_window;
	__u32 ns_per_jiffy;
	__u32 flood_rate;
	__u64 clock_j0;
	__u64 clock_ns0;
	__u32 gen;
	__u32 pad;
};

_Static_assert(sizeof(struct v2_vip_key) == 20, "ABI 2 vip key");
_Static_assert(sizeof(struct v2_vip) == 16, "ABI 2 vip");
_Static_assert(sizeof(struct v2_backend) == 40, "ABI 2 backend");
_Static_assert(sizeof(struct v2_config) == 88, "ABI 2 config");

/* Every map ABI 2 pinned; config last, the mark of a whole copy. */
static const char *const v2_maps[] = {
	"vips",	     "vip_info", "vip_addrs",  "vip_slot",  "tables",
	"maglev",    "wrr",	 "wrr_cursor", "backends",  "flows",
	"flow_memo", "vip_memo", "persist",    "stats_vip", "stats_backend",
	"stats",     "config",
};

#define NR_V2_MAPS (sizeof(v2_maps) / sizeof(v2_maps[0]))

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

/* Unpin DIR/abi2's maps, config first, and remove it. */
static int side_remove(const char *dir)
{
	char path[PATH_MAX];
	int i, err;

	for (i = NR_V2_MAPS - 1; i >= 0; i--) {
		side_path(dir, v2_maps[i], path, sizeof(path));
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
 * size is not ABI 2's, whatever it says. */
static int config_abi(const char *path, __u32 *abi)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), zero = 0;
	struct v2_config *raw;
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
	if (*abi == LBXDP_MIGRATE_ABI && info.value_size != sizeof(*raw))
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

static int read_config(struct lbxdp_migration *m, const char *src)
{
	__u32 zero = 0, n;
	struct v2_config o;
	int fd, err;

	fd = old_map(src, "config", sizeof(__u32), sizeof(o), &n);
	if (fd < 0)
		return fd;
	err = bpf_map_lookup_elem(fd, &zero, &o) ? -errno : 0;
	close(fd);
	if (err) {
		p_err("cannot read the ABI-%u config in %s: %s",
		      LBXDP_MIGRATE_ABI, src, strerror(-err));
		return err;
	}
	/* What a user set, and the clock's anchor; the rest is derived. */
	m->cfg = (struct lbxdp_config){
		.abi_version = LBXDP_ABI_VERSION,
		.ifindex = o.ifindex,
		.max_vips = o.max_vips,
		.max_backends = o.max_backends,
		.flows = o.flows,
		.persist = o.persist,
		.ring_size = o.ring_size,
		.tcp_timeout = o.tcp_timeout,
		.udp_timeout = o.udp_timeout,
		.active_window = o.active_window,
		.ns_per_jiffy = o.ns_per_jiffy,
		.flood_rate = o.flood_rate,
		.clock_j0 = o.clock_j0,
		.clock_ns0 = o.clock_ns0,
		.gen = o.gen + 1,
	};
	memcpy(m->cfg.mac, o.mac, sizeof(m->cfg.mac));
	if (!o.max_vips || !o.max_backends ||
	    (__u64)o.max_vips * o.max_backends + 1 > UINT32_MAX) {
		p_err("the ABI-%u config in %s has capacities %u x %u: recreate the maps with 'lbxdp detach --purge' and attach again",
		      LBXDP_MIGRATE_ABI, src, o.max_vips, o.max_backends);
		return -EPROTO;
	}
	return 0;
}

/*
 * The services: the vips hash is their truth (vip_info is the same records
 * by id, rebuilt from it). A VIP that is not active in ABI 2 is one whose
 * "vip del" was killed midway (no command made one otherwise): its delete
 * is completed, its records are not carried over.
 */
static int read_vips(struct lbxdp_migration *m, const char *src)
{
	struct v2_vip_key k, next;
	const void *prev = NULL;
	struct v2_vip v;
	__u32 n;
	int fd, err = 0;

	fd = old_map(src, "vips", sizeof(k), sizeof(v), &n);
	if (fd < 0)
		return fd;
	m->keys = calloc(n + 1, sizeof(*m->keys));
	m->vips = calloc(n + 1, sizeof(*m->vips));
	if (!m->keys || !m->vips) {
		err = -ENOMEM;
		goto cleanup;
	}
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, &v))
			continue;
		if (!(v.flags & V2_VIP_F_ACTIVE) || v.id >= m->cfg.max_vips ||
		    m->nvips >= n)
			continue;
		memcpy(m->keys[m->nvips].addr, k.addr, sizeof(k.addr));
		m->keys[m->nvips].port = k.port;
		m->keys[m->nvips].proto = k.proto;
		m->keys[m->nvips].family = k.family;
		m->vips[m->nvips] = (struct lbxdp_vip){
			.id = v.id,
			.persist_sec = v.persist_sec,
			.sched = v.sched,
		};
		m->nvips++;
	}
	if (errno != ENOENT) {
		err = -errno;
		p_err("cannot read the ABI-%u map vips in %s: %s",
		      LBXDP_MIGRATE_ABI, src, strerror(errno));
	}
cleanup:
	close(fd);
	return err;
}

/* Every backend record, in use or free, with its id and gen: a record of
 * a VIP that is not carried over is freed, its gen kept. */
static int read_backends(struct lbxdp_migration *m, const char *src)
{
	__u32 want = m->cfg.max_vips * m->cfg.max_backends + 1, n, i, j;
	struct v2_backend *old = NULL;
	bool live;
	int fd, err;

	fd = old_map(src, "backends", sizeof(__u32), sizeof(*old), &n);
	if (fd < 0)
		return fd;
	if (n != want) {
		p_err("the ABI-%u map backends in %s has %u records, its config says %u: recreate the maps with 'lbxdp detach --purge' and attach again",
		      LBXDP_MIGRATE_ABI, src, n, want);
		err = -EPROTO;
		goto cleanup;
	}
	old = calloc(n, sizeof(*old));
	m->backends = calloc(n, sizeof(*m->backends));
	if (!old || !m->backends) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = lbxdp_array_read(fd, old, n);
	if (err) {
		p_err("cannot read the ABI-%u map backends in %s: %s",
		      LBXDP_MIGRATE_ABI, src, strerror(-err));
		goto cleanup;
	}
	m->nbackends = n;
	for (i = 0; i < n; i++) {
		struct lbxdp_backend *be = &m->backends[i];

		memcpy(be->addr, old[i].addr, sizeof(be->addr));
		memcpy(be->mac, old[i].mac, sizeof(be->mac));
		be->family = old[i].family;
		be->vip_id = old[i].vip_id;
		be->gen = old[i].gen;
		be->weight = old[i].weight;
		for (live = false, j = 0; j < m->nvips && !live; j++)
			live = m->vips[j].id == old[i].vip_id;
		if (!i || !(old[i].flags & V2_BE_F_USED) || !live)
			continue;
		be->flags =
			LBXDP_BE_F_USED |
			(old[i].flags & V2_BE_F_DOWN ? LBXDP_BE_F_DOWN : 0) |
			(old[i].flags & V2_BE_F_DRAINING ? LBXDP_BE_F_DRAINING
							 : 0);
		m->nused++;
	}
cleanup:
	free(old);
	close(fd);
	return err;
}

int lbxdp_migrate_begin(const char *dir, struct lbxdp_migration *m)
{
	char path[PATH_MAX], src[PATH_MAX];
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
	} else {
		snprintf(src, sizeof(src), "%s", dir);
		snprintf(path, sizeof(path), "%s/config", dir);
		err = config_abi(path, &abi);
		if (err)
			return err;
		/* A copy without its config: cut short while it was made
		 * (DIR is still ABI 2's) or while it was removed after the
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
	err = read_config(m, src);
	if (!err)
		err = read_vips(m, src);
	if (!err)
		err = read_backends(m, src);
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
		for (i = 0; i < NR_V2_MAPS && !err; i++) {
			snprintf(path, sizeof(path), "%s/%s", m->pin_dir,
				 v2_maps[i]);
			fd = bpf_obj_get(path);
			if (fd < 0 && errno == ENOENT)
				continue;
			if (fd < 0) {
				err = -errno;
				p_err("cannot open %s: %s", path,
				      strerror(-err));
				return err;
			}
			side_path(m->pin_dir, v2_maps[i], side, sizeof(side));
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
	}
	/* Old maps, and new ones a killed attempt pinned: loading makes and
	 * fills its own. */
	for (i = 0; i < NR_V2_MAPS; i++) {
		snprintf(path, sizeof(path), "%s/%s", m->pin_dir, v2_maps[i]);
		if (unlink(path) && errno != ENOENT)
			goto fail;
	}
	for (i = 0; i < M_NR; i++) {
		snprintf(path, sizeof(path), "%s/%s", m->pin_dir,
			 lbxdp_map_names[i]);
		if (unlink(path) && errno != ENOENT)
			goto fail;
	}
	return 0;
fail:
	err = -errno;
	p_err("cannot unpin %s: %s", path, strerror(-err));
	return err;
}

int lbxdp_migrate_records(struct lbxdp_migration *m, struct bpf_object *obj,
			  struct lbxdp_config *cfg)
{
	struct lbxdp_ctx c = {.dir_fd = -1};
	size_t i;
	int err;

	/* The new maps, not yet live: no lock or repair of their own. */
	snprintf(c.pin_dir, sizeof(c.pin_dir), "%s", m->pin_dir);
	c.ncpus = libbpf_num_possible_cpus();
	c.cfg = *cfg;
	for (i = 0; i < M_NR; i++) {
		c.fd[i] = bpf_object__find_map_fd_by_name(obj,
							  lbxdp_map_names[i]);
		if (c.fd[i] < 0) {
			p_err("the program has no map %s", lbxdp_map_names[i]);
			return -ENOENT;
		}
	}
	if (lbxdp_nbackend_slots(cfg) != m->nbackends) {
		p_err("the new maps hold %u backend records, the old %u",
		      lbxdp_nbackend_slots(cfg), m->nbackends);
		return -EPROTO;
	}
	err = lbxdp_array_fill(c.fd[M_BACKENDS], 0, m->backends, m->nbackends);
	if (err) {
		p_err("cannot write map backends: %s", strerror(-err));
		return err;
	}
	for (i = 0; i < m->nvips; i++) {
		if (bpf_map_update_elem(c.fd[M_VIP_INFO], &m->vips[i].id,
					&m->vips[i], BPF_ANY) ||
		    bpf_map_update_elem(c.fd[M_VIPS], &m->keys[i], &m->vips[i],
					BPF_ANY)) {
			p_err("cannot write the VIP records: %s",
			      strerror(errno));
			return -errno;
		}
	}
	/* Everything but the records is derived: the repair counts the
	 * addresses and the port-0 services, sets the address filter and
	 * builds every table, and a second look checks nothing is left. */
	err = lbxdp_repair(&c, true);
	if (err > 0)
		err = lbxdp_repair(&c, false);
	if (err > 0) {
		p_err("%d derived entries of the new maps could not be written",
		      err);
		err = -EIO;
	}
	/* The caller writes config again (its gen) after the swap. */
	if (!err)
		*cfg = c.cfg;
	return err;
}

int lbxdp_migrate_finish(struct lbxdp_migration *m)
{
	int err = side_remove(m->pin_dir);

	if (!err)
		p_info("upgraded the maps in %s from ABI %u to %u: %zu services and %u backends kept, flows re-learnt",
		       m->pin_dir, LBXDP_MIGRATE_ABI, LBXDP_ABI_VERSION,
		       m->nvips, m->nused);
	return err;
}

void lbxdp_migrate_free(struct lbxdp_migration *m)
{
	free(m->keys);
	free(m->vips);
	free(m->backends);
	m->keys = NULL;
	m->vips = NULL;
	m->backends = NULL;
}

void lbxdp_migrate_purge(const char *dir)
{
	char path[PATH_MAX];

	side_path(dir, NULL, path, sizeof(path));
	if (exists(path))
		side_remove(dir);
}
