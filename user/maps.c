// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "maps.h"
#include "migrate.h"

/* Every pinned map, by the name the program gives it. */
const char *const lbxdp_map_names[M_NR] = {
	/* clang-format off */
	[M_CONFIG] = "config",
	[M_VIPS] = "vips",
	[M_VIP_INFO] = "vip_info",
	[M_VIP_ADDRS] = "vip_addrs",
	[M_VIP_SLOT] = "vip_slot",
	[M_TABLES] = "tables",
	[M_MAGLEV] = "maglev",
	[M_WRR] = "wrr",
	[M_WRR_CURSOR] = "wrr_cursor",
	[M_BACKENDS] = "backends",
	[M_FLOWS] = "flows",
	[M_FLOW_MEMO] = "flow_memo",
	[M_VIP_MEMO] = "vip_memo",
	[M_PERSIST] = "persist",
	[M_STATS_VIP] = "stats_vip",
	[M_STATS_BACKEND] = "stats_backend",
	[M_STATS] = "stats",
	/* clang-format on */
};

const char *lbxdp_pin_dir(const char *opt)
{
	const char *env = getenv("LBXDP_PIN_DIR");

	if (opt && *opt)
		return opt;
	if (env && *env)
		return env;
	return LBXDP_DEFAULT_PIN_DIR;
}

static bool on_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}

int lbxdp_pin_dir_check(const char *dir, bool create)
{
	char parent[PATH_MAX];
	char *slash;

	if (on_bpffs(dir))
		return 0;
	if (access(dir, F_OK) == 0) {
		p_err("pin directory %s is not on a bpffs; mount one with 'mount -t bpf bpf %s'",
		      dir, dir);
		return -EMEDIUMTYPE;
	}
	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	else
		snprintf(parent, sizeof(parent), "/");
	if (!on_bpffs(parent)) {
		/* Never advise a mount over an ordinary parent (/tmp...). */
		if (!strcmp(parent, "/sys/fs/bpf"))
			p_err("no bpffs mounted at /sys/fs/bpf; mount it with 'mount -t bpf bpf /sys/fs/bpf'");
		else
			p_err("%s is not on a bpffs; mount one there with 'mkdir -p %s && mount -t bpf bpf %s' (or choose another --pin-dir)",
			      dir, dir, dir);
		return -EMEDIUMTYPE;
	}
	if (!create) {
		p_err("nothing pinned in %s: run 'lbxdp attach IFACE' first",
		      dir);
		return -ENOENT;
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		p_err("cannot create pin directory %s: %s", dir,
		      strerror(errno));
		return -errno;
	}
	return 0;
}

/* Whether @fd is still the directory at @dir (not one a purge removed). */
static bool same_dir(int fd, const char *dir)
{
	struct stat a, b;

	return !fstat(fd, &a) && !stat(dir, &b) && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

int lbxdp_lock(struct lbxdp_ctx *c, const char *dir)
{
	int err, tries;

	/* A "detach --purge" and a new attach while we waited leave us the
	 * lock of a removed directory: take the new one's. */
	for (tries = 0; tries < 10; tries++) {
		c->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (c->dir_fd < 0) {
			err = -errno;
			if (errno == ENOENT)
				p_err("nothing pinned in %s: run 'lbxdp attach IFACE' first",
				      dir);
			else
				p_err("cannot open pin directory %s: %s", dir,
				      strerror(errno));
			return err;
		}
		if (flock(c->dir_fd, LOCK_EX)) {
			err = -errno;
			p_err("cannot lock %s: %s", dir, strerror(errno));
			lbxdp_unlock(c);
			return err;
		}
		if (same_dir(c->dir_fd, dir))
			return 0;
		lbxdp_unlock(c);
	}
	p_err("pin directory %s keeps being replaced", dir);
	return -EBUSY;
}

void lbxdp_unlock(struct lbxdp_ctx *c)
{
	if (c->dir_fd >= 0)
		close(c->dir_fd); /* drops the flock */
	c->dir_fd = -1;
}

int lbxdp_config_read(struct lbxdp_ctx *c)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(c->fd[M_CONFIG], &zero, &c->cfg))
		return -errno;
	return 0;
}

int lbxdp_config_write(struct lbxdp_ctx *c, const struct lbxdp_config *cfg)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(c->fd[M_CONFIG], &zero, cfg, BPF_ANY))
		return -errno;
	c->cfg = *cfg;
	return 0;
}

int lbxdp_open(struct lbxdp_ctx *c, const char *dir, bool lock)
{
	char path[PATH_MAX];
	__u32 abi = 0, zero = 0;
	int i, err;

	memset(c, 0, sizeof(*c));
	c->dir_fd = -1;
	for (i = 0; i < M_NR; i++)
		c->fd[i] = -1;
	snprintf(c->pin_dir, sizeof(c->pin_dir), "%s", dir);
	c->ncpus = libbpf_num_possible_cpus();
	if (c->ncpus <= 0)
		return -EINVAL;

	err = lbxdp_pin_dir_check(dir, false);
	if (err)
		return err;
	/* Lock before opening: a writer that waited must not write to maps
	 * that a "detach --purge" unpinned meanwhile. */
	if (lock) {
		err = lbxdp_lock(c, dir);
		if (err)
			return err;
	}

	/* An upgrade cut short: only attach may go on with it. */
	snprintf(path, sizeof(path), "%s/%s", dir, LBXDP_MIGRATE_DIR);
	if (!access(path, F_OK)) {
		p_err("the upgrade of the maps in %s from ABI %u is not finished: run 'lbxdp attach IFACE' to finish it",
		      dir, LBXDP_MIGRATE_ABI);
		err = -EPROTO;
		goto cleanup;
	}

	/* The first word of config is the ABI version in every version. */
	snprintf(path, sizeof(path), "%s/config", dir);
	c->fd[M_CONFIG] = bpf_obj_get(path);
	if (c->fd[M_CONFIG] < 0) {
		p_err("nothing pinned in %s: run 'lbxdp attach IFACE' first",
		      dir);
		err = -ENOENT;
		goto cleanup;
	}
	{
		struct lbxdp_config *raw;
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);

		err = bpf_obj_get_info_by_fd(c->fd[M_CONFIG], &info, &len);
		if (err)
			goto cleanup;
		raw = calloc(1, info.value_size > sizeof(*raw) ? info.value_size
							       : sizeof(*raw));
		if (!raw) {
			err = -ENOMEM;
			goto cleanup;
		}
		err = bpf_map_lookup_elem(c->fd[M_CONFIG], &zero, raw) ? -errno
								       : 0;
		abi = raw->abi_version;
		if (!err && info.value_size == sizeof(*raw))
			c->cfg = *raw;
		free(raw);
		if (err)
			goto cleanup;
		if (abi == LBXDP_MIGRATE_ABI) {
			p_err("maps pinned in %s have ABI version %u, this lbxdp speaks %u: run 'lbxdp attach IFACE' to upgrade them (services and backends are kept)",
			      dir, abi, LBXDP_ABI_VERSION);
			err = -EPROTO;
			goto cleanup;
		}
		if (abi != LBXDP_ABI_VERSION) {
			p_err("maps pinned in %s have ABI version %u, this lbxdp speaks %u: recreate them with 'lbxdp detach --purge' and attach again",
			      dir, abi, LBXDP_ABI_VERSION);
			err = -EPROTO;
			goto cleanup;
		}
		if (info.value_size != sizeof(c->cfg)) {
			p_err("map config in %s holds %u bytes, this build's %zu (a development build of ABI %u?): recreate the maps with 'lbxdp detach --purge' and attach again",
			      dir, info.value_size, sizeof(c->cfg), abi);
			err = -EPROTO;
			goto cleanup;
		}
	}

	for (i = 0; i < M_NR; i++) {
		if (c->fd[i] >= 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, lbxdp_map_names[i]);
		c->fd[i] = bpf_obj_get(path);
		if (c->fd[i] < 0) {
			err = -errno;
			p_err("pinned map %s is missing (%s): recreate the maps with 'lbxdp detach --purge' and attach again",
			      path, strerror(errno));
			goto cleanup;
		}
	}
	return 0;

cleanup:
	lbxdp_close(c);
	return err;
}

void lbxdp_close(struct lbxdp_ctx *c)
{
	int i;

	for (i = 0; i < M_NR; i++) {
		if (c->fd[i] >= 0)
			close(c->fd[i]);
		c->fd[i] = -1;
	}
	lbxdp_unlock(c);
}

int lbxdp_percpu_sum(struct lbxdp_ctx *c, enum lbxdp_map m, __u32 key,
		     __u64 *val, size_t nfields)
{
	size_t stride = (nfields * sizeof(__u64) + 7) & ~7UL;
	__u64 *buf;
	size_t f;
	int cpu, err = 0;

	buf = calloc(c->ncpus, stride);
	if (!buf)
		return -ENOMEM;
	memset(val, 0, nfields * sizeof(__u64));
	if (bpf_map_lookup_elem(c->fd[m], &key, buf)) {
		err = -errno;
		goto cleanup;
	}
	for (cpu = 0; cpu < c->ncpus; cpu++)
		for (f = 0; f < nfields; f++)
			val[f] += buf[cpu * (stride / 8) + f];
cleanup:
	free(buf);
	return err;
}

int lbxdp_percpu_zero(struct lbxdp_ctx *c, enum lbxdp_map m, __u32 key,
		      size_t value_size)
{
	size_t stride = (value_size + 7) & ~7UL;
	void *buf = calloc(c->ncpus, stride);
	int err = 0;

	if (!buf)
		return -ENOMEM;
	if (bpf_map_update_elem(c->fd[m], &key, buf, BPF_ANY))
		err = -errno;
	free(buf);
	return err;
}

int lbxdp_memo_clear(struct lbxdp_ctx *c)
{
	__u32 i;
	int err = 0;

	for (i = 0; i < LBXDP_MEMO_SIZE && !err; i++)
		err = lbxdp_percpu_zero(c, M_FLOW_MEMO, i,
					sizeof(struct lbxdp_flow_memo));
	return err;
}

int lbxdp_array_fill(int fd, __u32 first, const void *values, __u32 n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 *keys, count = n, i;
	int err = 0;

	if (!n)
		return 0;
	keys = malloc(n * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		keys[i] = first + i;
	if (bpf_map_update_batch(fd, keys, values, &count, &opts))
		err = -errno;
	else if (count != n)
		err = -EIO;
	free(keys);
	return err;
}

int lbxdp_array_read(int fd, void *values, __u32 n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 *keys, count = n, out = 0;
	int err = 0;

	keys = malloc(n * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	if (bpf_map_lookup_batch(fd, NULL, &out, keys, values, &count, &opts) &&
	    errno != ENOENT)
		err = -errno;
	else if (count != n)
		err = -EIO;
	free(keys);
	return err;
}

__u64 lbxdp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}
