// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The program is attached through a bpf_link pinned in the pin directory,
 * so it outlives every lbxdp process; a newer build is swapped in with
 * bpf_link_update(), which leaves no gap. Maps are pinned by name by libbpf
 * (pin_root_path), and reused by the next load.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "lbxdp/flowtab.h"
#include "attach.h"
#include "log.h"
#include "maps.h"
#include "jet.h"
#include "migrate.h"
#include "netlink.h"
#include "parse.h"
#include "pindir.h"
#include "records.h"
#include "sched.h"
#include "lbxdp.skel.h"

static void link_path(const char *dir, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", dir, LBXDP_LINK_PIN);
}

static int prog_tag(int prog_fd, __u32 prog_id, char tag[17], char *name)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = prog_fd, err, i;

	if (fd < 0) {
		fd = bpf_prog_get_fd_by_id(prog_id);
		if (fd < 0)
			return -errno;
	}
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (fd != prog_fd)
		close(fd);
	if (err)
		return -errno;
	for (i = 0; i < 8; i++)
		snprintf(tag + 2 * i, 3, "%02x", info.tag[i]);
	if (name)
		snprintf(name, 16, "%s", info.name);
	return 0;
}

int lbxdp_link_query(const char *pin_dir, struct lbxdp_link_info *li)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd, err = 0;

	memset(li, 0, sizeof(*li));
	link_path(pin_dir, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = -errno;
		goto cleanup;
	}
	/* A link whose interface went away is defunct: ifindex 0. */
	li->attached = info.xdp.ifindex != 0;
	li->ifindex = info.xdp.ifindex;
	li->prog_id = info.prog_id;
	if (li->attached && !bpf_xdp_query(li->ifindex, 0, &q))
		li->mode = q.attach_mode == XDP_ATTACHED_SKB
				   ? LBXDP_MODE_GENERIC
				   : LBXDP_MODE_NATIVE;
	prog_tag(-1, li->prog_id, li->tag, li->prog_name);
cleanup:
	close(fd);
	return err;
}

int lbxdp_link_prog_fd(const char *pin_dir)
{
	struct lbxdp_link_info li;
	int err = lbxdp_link_query(pin_dir, &li);

	if (err)
		return err;
	if (!li.prog_id)
		return -ENOENT;
	err = bpf_prog_get_fd_by_id(li.prog_id);
	return err < 0 ? -errno : err;
}

int lbxdp_link_prog_reads(const char *pin_dir, const char *map, bool *yes)
{
	struct bpf_prog_info pi = {};
	struct bpf_map_info mi = {};
	__u32 ids[256], len, i;
	char path[PATH_MAX];
	int pfd, mfd = -1, err = 0;

	*yes = false;
	pfd = lbxdp_link_prog_fd(pin_dir);
	if (pfd < 0)
		return pfd;
	snprintf(path, sizeof(path), "%s/%s", pin_dir, map);
	mfd = bpf_obj_get(path);
	if (mfd < 0) {
		err = errno == ENOENT ? 0 : -errno;
		goto cleanup;
	}
	len = sizeof(mi);
	if (bpf_obj_get_info_by_fd(mfd, &mi, &len)) {
		err = -errno;
		goto cleanup;
	}
	pi.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	pi.map_ids = (__u64)(unsigned long)ids;
	len = sizeof(pi);
	if (bpf_obj_get_info_by_fd(pfd, &pi, &len)) {
		err = -errno;
		goto cleanup;
	}
	for (i = 0; i < pi.nr_map_ids && i < sizeof(ids) / sizeof(ids[0]); i++)
		if (ids[i] == mi.id)
			*yes = true;
cleanup:
	if (mfd >= 0)
		close(mfd);
	close(pfd);
	return err;
}

/* One jiffies reading from the program, paired with CLOCK_MONOTONIC_COARSE:
 * both move on the same tick. */
static int clock_sample(struct lbxdp_bpf *skel, __u64 *j, __u64 *ns)
{
	char frame[64] = {};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
		    .data_size_in = sizeof(frame), .repeat = 1);

	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.lbxdp_clock),
				   &o))
		return -errno;
	*j = skel->bss->clock_jiffies;
	*ns = lbxdp_now_ns();
	return 0;
}

/*
 * Anchor the program's clock (see struct lbxdp_config): HZ from the ticks in
 * 100 ms, snapped to the values Linux allows, so 25 +- 1 ticks still read
 * as 250 and not 300.
 */
static int clock_calibrate(struct lbxdp_bpf *skel, struct lbxdp_config *cfg)
{
	static const __u32 hz_values[] = {100, 250, 300, 1000};
	__u64 j1, ns1, j2, ns2;
	double hz;
	__u32 best = 0;
	size_t i;
	int err;

	err = clock_sample(skel, &j1, &ns1);
	if (!err) {
		usleep(100000);
		err = clock_sample(skel, &j2, &ns2);
	}
	if (err)
		return err;
	if (ns2 <= ns1 || j2 <= j1)
		return -EAGAIN;
	hz = (double)(j2 - j1) * 1e9 / (double)(ns2 - ns1);
	for (i = 0; i < sizeof(hz_values) / sizeof(hz_values[0]); i++)
		if (!best || fabs(hz - hz_values[i]) < fabs(hz - best))
			best = hz_values[i];
	if (fabs(hz - best) > best * 0.2)
		return -ERANGE;
	cfg->ns_per_jiffy = 1000000000U / best;
	cfg->clock_j0 = j2;
	cfg->clock_ns0 = ns2;
	return 0;
}

/* Capacities: what was asked, else what is pinned, else the defaults. */
static int choose_caps(const struct lbxdp_attach_opts *o,
		       const struct lbxdp_config *pinned, bool have_pinned,
		       struct lbxdp_config *cfg)
{
	struct {
		const char *opt;
		__u32 asked, *val, def;
	} caps[] = {
		{"--max-vips", o->max_vips, &cfg->max_vips, LBXDP_DEF_MAX_VIPS},
		{"--max-backends", o->max_backends, &cfg->max_backends,
		 LBXDP_DEF_MAX_BACKENDS},
		{"--flows", o->flows, &cfg->flows, LBXDP_DEF_FLOWS},
		{"--ring-size", o->ring_size, &cfg->ring_size,
		 LBXDP_DEF_RING_SIZE},
	};
	size_t i;

	if (have_pinned)
		*cfg = *pinned;
	else
		*cfg = (struct lbxdp_config){
			.abi_version = LBXDP_ABI_VERSION,
			.persist = LBXDP_DEF_PERSIST,
			.tcp_timeout = LBXDP_DEF_TCP_TIMEOUT,
			.udp_timeout = LBXDP_DEF_UDP_TIMEOUT,
			.active_window = LBXDP_DEF_ACTIVE_WINDOW,
			.flood_rate = LBXDP_DEF_FLOOD_RATE,
		};
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		if (have_pinned && caps[i].asked &&
		    caps[i].asked != *caps[i].val) {
			p_err("maps pinned in %s have %s %u, not %u: recreate them with 'lbxdp detach --purge' and attach again",
			      o->pin_dir, caps[i].opt, *caps[i].val,
			      caps[i].asked);
			return -EEXIST;
		}
		if (!have_pinned)
			*caps[i].val =
				caps[i].asked ? caps[i].asked : caps[i].def;
	}
	if (!lbxdp_is_prime(cfg->ring_size)) {
		p_err("--ring-size %u is not a prime", cfg->ring_size);
		return -EDOM;
	}
	/* Maglev gives each backend about ring/n slots: weights hold to
	 * ~1% from 100 slots a backend; a backend needs one at least. */
	if (!have_pinned && cfg->ring_size <= cfg->max_backends) {
		p_err("--ring-size %u is not larger than --max-backends %u: give a prime of at least %u",
		      cfg->ring_size, cfg->max_backends,
		      cfg->max_backends * 100);
		return -EDOM;
	}
	if (!have_pinned && (__u64)cfg->ring_size < cfg->max_backends * 100ULL)
		p_warn("--ring-size %u is less than 100 x --max-backends %u: with that many backends the weights are kept less closely than 1%%",
		       cfg->ring_size, cfg->max_backends);
	/* A flow entry keeps its VIP's id in 16 bits (lbxdp/flowtab.h). */
	if (cfg->max_vips > 65536) {
		p_err("--max-vips %u is more than 65536", cfg->max_vips);
		return -EDOM;
	}
	if (!have_pinned) {
		cfg->ft_nbuckets = lbxdp_ft_nbuckets(cfg->flows);
		/* The bucket pairs' seed: a client must not know it. */
		if (getrandom(&cfg->ft_seed, sizeof(cfg->ft_seed), 0) !=
		    sizeof(cfg->ft_seed)) {
			int err = -errno;

			p_err("cannot draw the flow table's seed: %s",
			      strerror(-err));
			return err;
		}
	}
	/* Every array index must fit in 32 bits. */
	if ((__u64)cfg->max_vips * 2 * cfg->ring_size > UINT32_MAX ||
	    (__u64)cfg->max_vips * cfg->max_backends + 1 > UINT32_MAX) {
		p_err("--max-vips %u with --ring-size %u / --max-backends %u is too large",
		      cfg->max_vips, cfg->ring_size, cfg->max_backends);
		return -EDOM;
	}
	return 0;
}

static int set_sizes(struct lbxdp_bpf *skel, const struct lbxdp_config *cfg)
{
	int ncpus = libbpf_num_possible_cpus();
	__u32 nbe = cfg->max_vips * cfg->max_backends + 1;
	struct {
		struct bpf_map *map;
		__u32 n;
	} sz[] = {
		{skel->maps.vips, cfg->max_vips},
		{skel->maps.vip_info, cfg->max_vips},
		{skel->maps.vip_addrs, cfg->max_vips},
		{skel->maps.vip_slot, cfg->max_vips},
		{skel->maps.tables, cfg->max_vips * 2},
		{skel->maps.maglev, cfg->max_vips * 2 * cfg->ring_size},
		{skel->maps.wrr, cfg->max_vips * 2 * LBXDP_WRR_MAX},
		{skel->maps.ring_meta, cfg->max_vips * 2 * cfg->ring_size},
		{skel->maps.ring_track, cfg->max_vips * cfg->ring_size},
		{skel->maps.ring_left, cfg->max_vips * 2},
		{skel->maps.vip_track, cfg->max_vips},
		{skel->maps.vip_prior, cfg->max_vips},
		{skel->maps.wrr_cursor, cfg->max_vips},
		{skel->maps.backends, nbe},
		{skel->maps.flows, cfg->ft_nbuckets},
		{skel->maps.flow_tags, lbxdp_ft_ntags(cfg->ft_nbuckets)},
		{skel->maps.persist, cfg->persist},
		{skel->maps.stats_vip, cfg->max_vips},
		{skel->maps.stats_backend, nbe},
		{skel->maps.vip_meta, cfg->max_vips},
		{skel->maps.backend_meta, nbe},
		{skel->maps.health, nbe},
		{skel->maps.flow_memo_cpu, (__u32)ncpus * LBXDP_MEMO_SIZE},
		{skel->maps.flow_memo_tags, (__u32)ncpus * LBXDP_MEMO_SIZE / 4},
	};
	size_t i;
	int err;

	if (ncpus < 0)
		return ncpus;
	for (i = 0; i < sizeof(sz) / sizeof(sz[0]); i++) {
		err = bpf_map__set_max_entries(sz[i].map, sz[i].n);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Remove foreign XDP program @prog_id from @ifindex, by its link if it has
 * one, else by netlink in the mode it was attached in. Link info names an
 * ifindex but no namespace: the program id tells our device's link apart.
 */
static int detach_foreign(int ifindex, __u32 prog_id, __u8 attach_mode)
{
	struct bpf_link_info info;
	__u32 id = 0, len;
	int fd, err;

	while (!bpf_link_get_next_id(id, &id)) {
		fd = bpf_link_get_fd_by_id(id);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    info.type == BPF_LINK_TYPE_XDP && info.prog_id == prog_id &&
		    info.xdp.ifindex == (__u32)ifindex) {
			err = bpf_link_detach(fd) ? -errno : 0;
			close(fd);
			return err;
		}
		close(fd);
	}
	return bpf_xdp_detach(
		ifindex,
		attach_mode == XDP_ATTACHED_SKB	 ? XDP_FLAGS_SKB_MODE
		: attach_mode == XDP_ATTACHED_HW ? XDP_FLAGS_HW_MODE
						 : XDP_FLAGS_DRV_MODE,
		NULL);
}

static int refuse_foreign(const struct lbxdp_attach_opts *o, __u32 prog_id)
{
	p_err("%s already has XDP program id %u, not lbxdp's from %s: use --force to replace it",
	      o->ifname, prog_id, o->pin_dir);
	return -EBUSY;
}

/* Attach @prog_fd to @ifindex and pin the link in @link_dir. */
static int attach_new(const struct lbxdp_attach_opts *o, int ifindex,
		      int prog_fd, const char *link_dir)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo);
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char path[PATH_MAX];
	int fd, err;

	if (!bpf_xdp_query(ifindex, 0, &q) && q.prog_id) {
		if (!o->force)
			return refuse_foreign(o, q.prog_id);
		err = detach_foreign(ifindex, q.prog_id, q.attach_mode);
		if (err) {
			p_err("cannot detach XDP program %u from %s: %s",
			      q.prog_id, o->ifname, strerror(-err));
			return err;
		}
		p_info("detached XDP program %u from %s (traffic bypasses XDP until attached)",
		       q.prog_id, o->ifname);
	}
	lo.flags = o->mode == LBXDP_MODE_GENERIC ? XDP_FLAGS_SKB_MODE
						 : XDP_FLAGS_DRV_MODE;
	fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &lo);
	if (fd < 0) {
		err = -errno;
		p_err("cannot attach to %s in %s mode: %s%s", o->ifname,
		      o->mode == LBXDP_MODE_GENERIC ? "generic" : "native",
		      strerror(errno),
		      o->mode == LBXDP_MODE_NATIVE
			      ? " (the driver may lack native XDP: try --mode generic)"
			      : "");
		return err;
	}
	/* A link whose interface went away stays pinned, defunct. */
	link_path(link_dir, path, sizeof(path));
	unlink(path);
	if (bpf_obj_pin(fd, path)) {
		err = -errno;
		p_err("cannot pin the link at %s: %s", path, strerror(errno));
		bpf_link_detach(fd);
		close(fd);
		return err;
	}
	close(fd);
	p_info("attached to %s (%s mode), pinned in %s", o->ifname,
	       o->mode == LBXDP_MODE_GENERIC ? "generic" : "native",
	       o->pin_dir);
	return 0;
}

/* Our pinned link exists: nothing to do, or swap the program in place.
 * @new_maps: swap even the same code, as its maps are new (a tag does not
 * cover the maps). */
static int update_link(const struct lbxdp_attach_opts *o,
		       const struct lbxdp_link_info *li, int prog_fd,
		       bool mac_changed, bool new_maps)
{
	char path[PATH_MAX], tag[17];
	int fd, err;

	err = prog_tag(prog_fd, 0, tag, NULL);
	if (err)
		return err;
	if (!new_maps && !strcmp(tag, li->tag)) {
		p_info("already attached to %s (program %u): %s", o->ifname,
		       li->prog_id,
		       mac_changed ? "program unchanged" : "nothing to do");
		return 0;
	}
	link_path(o->pin_dir, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	err = bpf_link_update(fd, prog_fd, NULL) ? -errno : 0;
	close(fd);
	if (err) {
		p_err("cannot replace the program on %s: %s", o->ifname,
		      strerror(-err));
		return err;
	}
	p_info("replaced program %u on %s with this build's, without a gap",
	       li->prog_id, o->ifname);
	return 0;
}

/* The CPUs' copies (abi.h "flow_memo_cpu", "vip_memo"): only the program
 * of the build that made one reads it. */
#define NR_COPIES 2
#define REPIN_SUFFIX "_repin" /* bpffs takes no '.' in a name */

static void copies_of(struct lbxdp_bpf *skel, struct bpf_map *maps[NR_COPIES])
{
	maps[0] = skel->maps.flow_memo_cpu;
	maps[1] = skel->maps.vip_memo;
}

/*
 * A pinned copy of another layout (a build whose memo differs) would make
 * the load fail. The load makes this build's unpinned instead (bit i of
 * *stale), and repin_copies() puts it in the old one's place once its
 * program runs: until then the old pin stays, so that a load or swap that
 * fails, or an attach killed midway, leaves the pin directory as it was.
 */
static int stale_copies(const char *pin_dir, struct lbxdp_bpf *skel,
			unsigned int *stale)
{
	struct bpf_map *maps[NR_COPIES];
	struct bpf_map_info info;
	char path[PATH_MAX];
	__u32 len;
	size_t i;
	bool same;
	int fd, err;

	copies_of(skel, maps);
	*stale = 0;
	for (i = 0; i < NR_COPIES; i++) {
		/* What an attach killed while repinning left. */
		snprintf(path, sizeof(path), "%s/%s" REPIN_SUFFIX, pin_dir,
			 bpf_map__name(maps[i]));
		unlink(path);
		snprintf(path, sizeof(path), "%s/%s", pin_dir,
			 bpf_map__name(maps[i]));
		fd = bpf_obj_get(path);
		if (fd < 0 && errno == ENOENT)
			continue; /* none: the load makes it */
		err = fd < 0 ? -errno : 0;
		if (!err) {
			memset(&info, 0, sizeof(info));
			len = sizeof(info);
			err = bpf_obj_get_info_by_fd(fd, &info, &len);
			close(fd);
		}
		if (err) {
			p_err("cannot read pinned map %s: %s", path,
			      strerror(-err));
			return err;
		}
		same = info.type == bpf_map__type(maps[i]) &&
		       info.key_size == bpf_map__key_size(maps[i]) &&
		       info.value_size == bpf_map__value_size(maps[i]) &&
		       info.max_entries == bpf_map__max_entries(maps[i]) &&
		       info.map_flags == bpf_map__map_flags(maps[i]);
		if (same)
			continue;
		err = bpf_map__set_pin_path(maps[i], NULL);
		if (err)
			return err;
		*stale |= 1U << i;
	}
	return 0;
}

/* The copies of @stale, in place of the pinned ones of another layout:
 * pinned beside, then renamed over them, so the name never goes missing.
 * A failure leaves the old pin, which the next attach replaces. */
static void repin_copies(const char *pin_dir, struct lbxdp_bpf *skel,
			 unsigned int stale)
{
	struct bpf_map *maps[NR_COPIES];
	char path[PATH_MAX], tmp[PATH_MAX];
	size_t i;

	copies_of(skel, maps);
	for (i = 0; i < NR_COPIES; i++) {
		if (!(stale & (1U << i)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_dir,
			 bpf_map__name(maps[i]));
		snprintf(tmp, sizeof(tmp), "%s/%s" REPIN_SUFFIX, pin_dir,
			 bpf_map__name(maps[i]));
		if (bpf_obj_pin(bpf_map__fd(maps[i]), tmp) ||
		    rename(tmp, path)) {
			p_warn("cannot pin %s in place of one of another layout: %s (the next attach tries again)",
			       path, strerror(errno));
			unlink(tmp);
			continue;
		}
		p_info("%s was of another layout: made anew", path);
	}
}

/* Whether @dir is the root of a mount (its parent is on another one):
 * such a directory cannot be renamed, nor replaced by a rename. */
static bool is_mount_root(const char *dir)
{
	char parent[PATH_MAX + 4];
	struct stat a, b;

	snprintf(parent, sizeof(parent), "%s/..", dir);
	return !stat(dir, &a) && !stat(parent, &b) && a.st_dev != b.st_dev;
}

/*
 * The sibling of @pin_dir that a fresh attach pins into, made and locked
 * (the lock is the pin directory's once renamed onto it). @pin_dir must be
 * empty: rename() replaces only an empty directory.
 */
static int stage_dir(const char *pin_dir, char *stage, size_t len,
		     struct lbxdp_ctx *lock)
{
	int err;

	if (is_mount_root(pin_dir)) {
		p_err("%s is the root of a bpffs mount: give lbxdp a directory of its own in it (--pin-dir %s/lbxdp)",
		      pin_dir, pin_dir);
		return -EISDIR;
	}
	err = lbxdp_dir_has_entries(AT_FDCWD, pin_dir);
	if (err < 0) {
		p_err("cannot read %s: %s", pin_dir, strerror(-err));
		return err;
	}
	if (err) {
		p_err("%s holds pins but no lbxdp config map: not lbxdp's pin directory (another program's, or an lbxdp's from before that map); remove them by hand, or use another --pin-dir",
		      pin_dir);
		return -ENOTEMPTY;
	}
	err = lbxdp_sibling(pin_dir, LBXDP_STAGING_SUFFIX, stage, len);
	if (err) {
		p_err("pin directory name %s is too long", pin_dir);
		return err;
	}
	if (mkdir(stage, 0700)) {
		err = -errno;
		p_err("cannot create %s: %s%s", stage, strerror(errno),
		      err == -EEXIST
			      ? " (and it is no leftover of lbxdp's to remove: remove it by hand)"
			      : "");
		return err;
	}
	lock->dir_fd = open(stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock->dir_fd < 0 || flock(lock->dir_fd, LOCK_EX | LOCK_NB)) {
		err = -errno;
		p_err("cannot lock %s: %s", stage, strerror(errno));
		lbxdp_unlock(lock);
		rmdir(stage);
		return err;
	}
	return 0;
}

/*
 * Tags the ways of a table an older program may have written without
 * them (lbxdp/flowtab.h); a new table has none. Whether the tags are all
 * there: if not (said), SYNs beyond the flood guard are looked up, as
 * before tags. We hold the pin directory's lock; an upgrade from ABI 3
 * is not finished yet, so the maps are not opened as a reader would.
 */
static bool retag(const char *pin_dir, const struct lbxdp_config *cfg,
		  bool have_pinned)
{
	struct lbxdp_ctx c;
	int err;

	if (!have_pinned)
		return true;
	lbxdp_ctx_init(&c, pin_dir);
	c.cfg = *cfg;
	err = lbxdp_ft_retag(&c);
	lbxdp_close(&c);
	if (err)
		p_warn("cannot tag the flow table's ways: %s (SYNs beyond the flood guard are looked up until the next attach)",
		       strerror(-err));
	return !err;
}

int lbxdp_attach(const struct lbxdp_attach_opts *o)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = o->pin_dir);
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct lbxdp_ctx lock = {.dir_fd = -1, .lock_wait_ms = o->lock_wait_ms};
	struct lbxdp_config pinned = {}, cfg;
	struct lbxdp_migration mig = {};
	struct lbxdp_link_info li;
	struct lbxdp_bpf *skel = NULL;
	char path[PATH_MAX];
	struct lbxdp_ctx stage_lock = {.dir_fd = -1};
	bool have_pinned = false, mac_changed = false, dir_existed;
	bool upgrade = false, track_all, swapped = false;
	unsigned int stale = 0;
	char stage[PATH_MAX] = "";
	__u32 zero = 0, ifindex;
	__u8 mac[6];
	int fd, err;

	ifindex = if_nametoindex(o->ifname);
	if (!ifindex) {
		p_err("interface '%s' not found", o->ifname);
		return -ENODEV;
	}
	err = lbxdp_nl_link_mac(ifindex, mac);
	if (err) {
		p_err("cannot read the MAC address of %s: %s", o->ifname,
		      strerror(-err));
		return err;
	}
	/* A refused attach removes the directory it made. */
	dir_existed = !access(o->pin_dir, F_OK);
	err = lbxdp_pin_dir_check(o->pin_dir, true);
	if (err)
		return err;
	err = lbxdp_lock(&lock, o->pin_dir);
	if (err)
		goto cleanup;
	lbxdp_reap_leftovers(o->pin_dir);

	/* Maps of the previous ABI are upgraded, records kept. */
	err = lbxdp_migrate_begin(o->pin_dir, &mig);
	if (err < 0)
		goto cleanup;
	upgrade = err > 0;
	err = 0;
	if (upgrade) {
		pinned = mig.cfg;
		have_pinned = true;
	}
	snprintf(path, sizeof(path), "%s/config", o->pin_dir);
	fd = upgrade ? -1 : bpf_obj_get(path);
	if (fd >= 0) {
		struct lbxdp_ctx c;

		close(fd);
		/* Checks the ABI version, with the message that says how to
		 * recreate; we already hold the lock. */
		err = lbxdp_open(&c, o->pin_dir, false);
		if (err)
			goto cleanup;
		pinned = c.cfg;
		lbxdp_close(&c);
		have_pinned = true;
	}
	err = choose_caps(o, &pinned, have_pinned, &cfg);
	if (err)
		goto cleanup;

	err = lbxdp_link_query(o->pin_dir, &li);
	if (err)
		goto cleanup;
	if (li.attached && li.ifindex != ifindex) {
		char name[IF_NAMESIZE] = "?";

		if_indextoname(li.ifindex, name);
		p_err("%s is already attached to %s: one interface per pin directory (detach it, or use another --pin-dir)",
		      o->pin_dir, name);
		err = -EBUSY;
		goto cleanup;
	}
	if (li.attached && o->mode_set && li.mode != o->mode) {
		p_err("%s is attached in %s mode: detach first to change mode",
		      o->ifname,
		      li.mode == LBXDP_MODE_GENERIC ? "generic" : "native");
		err = -EBUSY;
		goto cleanup;
	}
	/* Before the load pins anything: a refusal must leave no maps. */
	if (!li.attached && !o->force && !bpf_xdp_query(ifindex, 0, &q) &&
	    q.prog_id) {
		err = refuse_foreign(o, q.prog_id);
		goto cleanup;
	}

	/* A program without vip_track (the last of the jet maps) placed
	 * every flow with an entry: the new one looks them all up until
	 * they are idle. Asked of the program on the link, for an attach
	 * killed during its load leaves a vip_track that none has read
	 * (libbpf pins the maps first); with none there, told by the pin. */
	track_all = have_pinned && !upgrade;
	if (track_all) {
		bool reads;

		err = lbxdp_link_prog_reads(o->pin_dir, "vip_track", &reads);
		/* No program to ask, or no right to: its fd by id wants
		 * CAP_SYS_ADMIN, which the daemon's unit does not grant. */
		if (err == -ENOENT || err == -EPERM) {
			snprintf(path, sizeof(path), "%s/vip_track",
				 o->pin_dir);
			reads = !access(path, F_OK);
			err = 0;
		}
		if (err) {
			p_err("cannot read which maps %s's program reads: %s",
			      o->pin_dir, strerror(-err));
			goto cleanup;
		}
		track_all = !reads;
	}
	track_all |= upgrade;
	if (upgrade) {
		err = lbxdp_migrate_stage(&mig);
		if (err)
			goto cleanup;
	}
	/* Nothing pinned yet: pin into a sibling and rename it onto the
	 * pin directory once attached, so that an attach killed midway
	 * leaves no maps that would fix the next one's capacities. */
	if (!have_pinned) {
		err = stage_dir(o->pin_dir, stage, sizeof(stage), &stage_lock);
		if (err)
			goto cleanup;
		oo.pin_root_path = stage;
	}
	skel = lbxdp_bpf__open_opts(&oo);
	if (!skel) {
		err = -errno;
		p_err("cannot open the BPF object: %s", strerror(errno));
		goto cleanup;
	}
	skel->rodata->fail_refresh = o->fail_refresh;
	err = set_sizes(skel, &cfg);
	if (!err && have_pinned)
		err = stale_copies(o->pin_dir, skel, &stale);
	if (!err)
		err = lbxdp_bpf__load(skel);
	if (err) {
		p_err("cannot load the XDP program: %s (see the libbpf messages above)",
		      strerror(-err));
		goto cleanup;
	}

	cfg.ifindex = ifindex;
	/* Until the ways the old program wrote are tagged (after the swap:
	 * it writes none after it), the new one looks every SYN up. */
	cfg.flags &= ~LBXDP_CFG_F_TAGS;
	/* The MAC is read here only: attach again is how a new one is
	 * taken up (status warns when they differ). */
	mac_changed = have_pinned && pinned.ifindex == ifindex &&
		      memcmp(pinned.mac, mac, sizeof(mac));
	memcpy(cfg.mac, mac, sizeof(cfg.mac));
	if (!cfg.ns_per_jiffy) {
		err = clock_calibrate(skel, &cfg);
		if (err)
			p_warn("cannot read the kernel's tick (%s): the program will ask for the time with a helper call",
			       strerror(-err));
	}
	if (bpf_map__update_elem(skel->maps.config, &zero, sizeof(zero), &cfg,
				 sizeof(cfg), BPF_ANY)) {
		err = -errno;
		p_err("cannot write map config: %s", strerror(errno));
		goto cleanup;
	}
	/* The records go in before the program that reads them. */
	if (upgrade)
		err = lbxdp_migrate_records(&mig, skel->obj, &cfg);
	if (!err && track_all)
		err = jet_track_span(bpf_map__fd(skel->maps.ring_track),
				     bpf_map__fd(skel->maps.vip_track), 0,
				     cfg.max_vips, cfg.ring_size,
				     lbxdp_now_ns());
	/* A failure from here on is refused below, the config restored. */
	if (!err && li.attached)
		err = update_link(o, &li,
				  bpf_program__fd(skel->progs.lbxdp_xdp),
				  mac_changed, upgrade);
	else if (!err)
		err = attach_new(o, ifindex,
				 bpf_program__fd(skel->progs.lbxdp_xdp),
				 have_pinned ? o->pin_dir : stage);
	swapped = !err;
	/* The one step that makes a fresh attach: the pin directory is
	 * empty, and rename() replaces an empty directory. */
	if (!err && !have_pinned && rename(stage, o->pin_dir)) {
		err = -errno;
		p_err("cannot move %s onto %s: %s", stage, o->pin_dir,
		      strerror(errno));
	}
	if (err && have_pinned) {
		/* A refused attach leaves the pinned config as it was. */
		bpf_map__update_elem(skel->maps.config, &zero, sizeof(zero),
				     &pinned, sizeof(pinned), BPF_ANY);
		goto cleanup;
	}
	if (!err && mac_changed) {
		char was[18], now[18];

		p_info("%s's MAC changed from %s to %s: the program now uses the new one",
		       o->ifname,
		       lbxdp_format_mac(pinned.mac, was, sizeof(was)),
		       lbxdp_format_mac(mac, now, sizeof(now)));
	}
	if (!err && retag(o->pin_dir, &cfg, have_pinned))
		cfg.flags |= LBXDP_CFG_F_TAGS;
	/* What the CPUs copied from the records under the old program (up
	 * to the swap) is not for the new one to trust. */
	if (!err) {
		cfg.gen++;
		if (bpf_map__update_elem(skel->maps.config, &zero, sizeof(zero),
					 &cfg, sizeof(cfg), BPF_ANY))
			p_warn("cannot write map config: %s (copies of the records made by the old program last up to a second)",
			       strerror(errno));
		repin_copies(o->pin_dir, skel, stale);
	}
	if (!err && upgrade) {
		/* Not fatal: the upgrade is done, and a flow it misses is
		 * placed again, as before the copy existed. */
		if (lbxdp_migrate_delta(&mig, skel->obj, &cfg))
			p_warn("flows placed during the upgrade may be placed again");
		err = lbxdp_migrate_finish(&mig);
	}
cleanup:
	/* An upgrade that failed before the swap: the old release's. */
	if (err && upgrade && !swapped)
		lbxdp_migrate_unstage(&mig);
	/* A failed fresh attach: its maps would fix the next attach's
	 * capacities, its link would hold the program on the interface. */
	if (err && stage_lock.dir_fd >= 0 &&
	    !lbxdp_dir_empty(stage_lock.dir_fd, stage))
		rmdir(stage);
	lbxdp_migrate_free(&mig);
	lbxdp_bpf__destroy(skel);
	/* Before the lock goes: a writer waiting for it must not find its
	 * directory gone under it. */
	if (err && !dir_existed)
		rmdir(o->pin_dir); /* only if empty */
	lbxdp_unlock(&stage_lock);
	lbxdp_unlock(&lock);
	return err;
}

int lbxdp_detach(const char *pin_dir, const char *ifname, bool purge)
{
	return lbxdp_detach_wait(pin_dir, ifname, purge, LBXDP_LOCK_WAIT_MS);
}

int lbxdp_detach_wait(const char *pin_dir, const char *ifname, bool purge,
		      int lock_wait_ms)
{
	struct lbxdp_ctx lock = {.dir_fd = -1, .lock_wait_ms = lock_wait_ms};
	char path[PATH_MAX + 8], gone[PATH_MAX];
	struct lbxdp_link_info li;
	const char *dir = pin_dir;
	struct stat st;
	int fd, err;

	/* A purge killed after its rename left only the sibling (whose link
	 * may still hold the program): finishing it is all there is to do. */
	if (stat(pin_dir, &st) && errno == ENOENT &&
	    lbxdp_reap_leftovers(pin_dir) > 0)
		return 0;
	err = lbxdp_pin_dir_check(pin_dir, false);
	if (err)
		return err;
	err = lbxdp_lock(&lock, pin_dir);
	if (err)
		return err;
	lbxdp_reap_leftovers(pin_dir);
	/* A directory given by mistake (the bpffs root, another tool's):
	 * its link and pins are not ours to take. */
	if (!lbxdp_dir_holds_ours(lock.dir_fd)) {
		p_err("%s holds pins but no lbxdp config map: not lbxdp's pin directory, nothing %s",
		      pin_dir, purge ? "removed" : "detached");
		err = -ENOTEMPTY;
		goto cleanup;
	}
	err = lbxdp_link_query(pin_dir, &li);
	if (err)
		goto cleanup;
	if (ifname && li.attached &&
	    (__u32)if_nametoindex(ifname) != li.ifindex) {
		p_err("%s is not the interface attached from %s", ifname,
		      pin_dir);
		err = -ENODEV;
		goto cleanup;
	}
	link_path(pin_dir, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0 && !purge) {
		p_err("nothing attached from %s", pin_dir);
		err = -ENOENT;
		goto cleanup;
	}
	if (fd >= 0)
		close(fd);
	/* A purge is made by one rename: from then on nothing is pinned in
	 * the pin directory; what is left in the sibling (the link, which
	 * holds the program, then the maps) is emptied now, or by the next
	 * attach or detach if this one is killed. We keep its lock. */
	/* A pin directory that is a mount's root cannot move: emptied in
	 * place, then, the link first. */
	if (purge && is_mount_root(pin_dir)) {
		dir = pin_dir;
	} else if (purge) {
		err = lbxdp_sibling(pin_dir, LBXDP_PURGING_SUFFIX, gone,
				    sizeof(gone));
		if (!err && rename(pin_dir, gone))
			err = -errno;
		if (err) {
			p_err("cannot move %s aside to remove it: %s", pin_dir,
			      strerror(-err));
			goto cleanup;
		}
		dir = gone;
		link_path(dir, path, sizeof(path));
	}
	/* Unpinned first, then detached: a detach killed after the unlink
	 * took the link's last reference with it, and the kernel detached
	 * the program then; so it is whole or not at all. */
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		if (unlink(path)) {
			err = -errno;
			p_err("cannot unpin %s: %s", path, strerror(errno));
			close(fd);
			goto cleanup;
		}
		if (li.attached && bpf_link_detach(fd))
			p_warn("cannot detach the link: %s (it goes with its last reference)",
			       strerror(errno));
		close(fd);
		p_info("detached%s%s", ifname ? " from " : "",
		       ifname ? ifname : "");
	}
	if (purge) {
		/* An upgrade's copy of the old maps goes too: an attach must
		 * not bring purged services back. */
		lbxdp_migrate_purge(dir);
		if (!lbxdp_dir_empty(lock.dir_fd, dir) && dir != pin_dir &&
		    rmdir(dir))
			p_warn("cannot remove %s: %s", dir, strerror(errno));
		p_info("removed the maps pinned in %s", pin_dir);
	}
cleanup:
	lbxdp_unlock(&lock);
	return err;
}
