// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "maps.h"
#include "parse.h"
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
	[M_VIP_MEMO] = "vip_memo",
	[M_PERSIST] = "persist",
	[M_STATS_VIP] = "stats_vip",
	[M_STATS_BACKEND] = "stats_backend",
	[M_STATS] = "stats",
	[M_VIP_META] = "vip_meta",
	[M_BACKEND_META] = "backend_meta",
	[M_HEALTH] = "health",
	[M_SYNC_RING] = "sync_ring",
	[M_SYNC_STATS] = "sync_stats",
	[M_RING_META] = "ring_meta",
	[M_RING_TRACK] = "ring_track",
	[M_RING_LEFT] = "ring_left",
	[M_VIP_TRACK] = "vip_track",
	[M_VIP_PRIOR] = "vip_prior",
	[M_FLOW_MEMO_CPU] = "flow_memo_cpu",
	[M_FLOW_TAGS] = "flow_tags",
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

int lbxdp_lock_wait(const char *opt, int *wait_ms)
{
	const char *env = getenv("LBXDP_LOCK_WAIT");
	const char *s = opt ? opt : env && *env ? env : NULL;
	__u32 sec;

	*wait_ms = LBXDP_LOCK_WAIT_MS;
	if (!s)
		return 0;
	if (lbxdp_parse_u32(s, 0, 3600, &sec)) {
		p_err("bad %s '%s': expected whole seconds 0-3600",
		      opt ? "--wait" : "LBXDP_LOCK_WAIT", s);
		return -EINVAL;
	}
	*wait_ms = sec * 1000;
	return 0;
}

/*
 * A directory that another user controls (owns it, or may write in it
 * without the sticky bit) lets them unlink our pins (the link is the
 * attachment) or put their own directory in its place.
 */
static int dir_trusted(const char *path, const char *pin_dir, bool self,
		       const struct stat *st)
{
	struct passwd pwb, *pw = NULL;
	char pwbuf[1024];
	bool owner_ok = st->st_uid == 0 || st->st_uid == geteuid();
	bool mode_ok =
		!(st->st_mode & (S_IWGRP | S_IWOTH)) || (st->st_mode & S_ISVTX);
	const char *harm = self ? "unlink the pinned maps and link"
				: "replace the pin directory";
	char what[2 * PATH_MAX + 32], fix[2 * PATH_MAX + 32];

	if (owner_ok && mode_ok)
		return 0;
	/* _r: the daemon's stats threads open the pins too */
	if (getpwuid_r(st->st_uid, &pwb, pwbuf, sizeof(pwbuf), &pw))
		pw = NULL;
	if (self)
		snprintf(what, sizeof(what), "pin directory %s", pin_dir);
	else
		snprintf(what, sizeof(what), "%s, above pin directory %s,",
			 path, pin_dir);
	if (!owner_ok)
		snprintf(
			fix, sizeof(fix),
			"neither root nor you: that user could %s; remove it or 'chown root %s'",
			harm, path);
	else
		snprintf(
			fix, sizeof(fix),
			"writable by group or others without the sticky bit: they could %s; 'chmod go-w %s' or 'chmod +t %s'",
			harm, path, path);
	p_err("%s is owned by uid %u (%s), mode %04o, %s, or use another --pin-dir",
	      what, (unsigned int)st->st_uid, pw ? pw->pw_name : "no name",
	      (unsigned int)(st->st_mode & 07777), fix);
	return -EPERM;
}

/*
 * @from (@pin_dir or its parent) and every directory above it up to its
 * bpffs mount are trusted.
 */
static int pin_dir_trusted(const char *from, const char *pin_dir)
{
	bool self = from == pin_dir;
	char path[PATH_MAX], *slash;
	struct stat st, up;
	int err;

	if (!realpath(from, path) || stat(path, &st)) {
		err = -errno;
		p_err("cannot resolve %s: %s", from, strerror(errno));
		return err;
	}
	for (;; self = false) {
		err = dir_trusted(path, pin_dir, self, &st);
		if (err || !strcmp(path, "/"))
			return err;
		slash = strrchr(path, '/');
		slash[slash == path ? 1 : 0] = '\0';
		if (stat(path, &up)) {
			err = -errno;
			p_err("cannot stat %s: %s", path, strerror(errno));
			return err;
		}
		/* st was the root of the bpffs mount. */
		if (up.st_dev != st.st_dev)
			return 0;
		st = up;
	}
}

int lbxdp_pin_dir_check(const char *dir, bool create)
{
	char parent[PATH_MAX];
	char *slash;
	int err;

	if (on_bpffs(dir))
		return pin_dir_trusted(dir, dir);
	if (access(dir, F_OK) == 0) {
		p_err("pin directory %s is not on a bpffs; mount one on it with 'mount -t bpf bpf %s' and use a directory in it (--pin-dir %s/lbxdp)",
		      dir, dir, dir);
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
			p_err("%s is not on a bpffs; mount one on its parent with 'mkdir -p %s && mount -t bpf bpf %s' (or choose another --pin-dir)",
			      dir, parent, parent);
		return -EMEDIUMTYPE;
	}
	if (!create) {
		p_err("nothing pinned in %s: run 'lbxdp attach IFACE' first",
		      dir);
		return -ENOENT;
	}
	err = pin_dir_trusted(parent, dir);
	if (err)
		return err;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		err = -errno;
		p_err("cannot create pin directory %s: %s", dir,
		      strerror(errno));
		return err;
	}
	/* Another user's, made since we looked. */
	return pin_dir_trusted(dir, dir);
}

/* Whether @fd is still the directory at @dir (not one a purge removed). */
static bool same_dir(int fd, const char *dir)
{
	struct stat a, b;

	return !fstat(fd, &a) && !stat(dir, &b) && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

int lbxdp_trylock(struct lbxdp_ctx *c, const char *dir)
{
	struct stat st;
	int err, tries;

	/* A "detach --purge" and a new attach while we waited leave us the
	 * lock of a removed directory: take the new one's. */
	for (tries = 0; tries < 10; tries++) {
		c->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (c->dir_fd < 0)
			return -errno;
		if (flock(c->dir_fd, LOCK_EX | LOCK_NB)) {
			err = -errno;
			lbxdp_unlock(c);
			return err;
		}
		if (!same_dir(c->dir_fd, dir)) {
			lbxdp_unlock(c);
			continue;
		}
		/* The one we checked may have been purged and made anew by
		 * someone else while we waited. */
		err = fstat(c->dir_fd, &st) ? -errno
					    : dir_trusted(dir, dir, true, &st);
		if (err)
			lbxdp_unlock(c);
		return err;
	}
	return -ESTALE;
}

/*
 * Who holds the flock of @dir, into @who: "pid N (COMM)" from /proc/locks
 * (the pid as our pid namespace sees it).
 */
static void lock_holder(const char *dir, char *who, size_t len)
{
	unsigned long long ino;
	unsigned int maj, min;
	char line[256], type[16], comm[32] = "?";
	struct stat st;
	FILE *f;
	int pid = 0, n;

	snprintf(who, len, "a process that /proc/locks does not name");
	if (stat(dir, &st))
		return;
	f = fopen("/proc/locks", "re");
	if (!f)
		return;
	/* "1: FLOCK  ADVISORY  WRITE 1234 00:2a:5678 0 EOF"; a waiter's
	 * line reads "1: -> FLOCK ...". */
	while (!pid && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*d: %15s %*s %*s %d %x:%x:%llu", type, &n,
			   &maj, &min, &ino) == 5 &&
		    !strcmp(type, "FLOCK") && maj == major(st.st_dev) &&
		    min == minor(st.st_dev) && ino == st.st_ino && n > 0)
			pid = n;
	fclose(f);
	if (!pid)
		return;
	snprintf(line, sizeof(line), "/proc/%d/comm", pid);
	f = fopen(line, "re");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	snprintf(who, len, "pid %d (%s)", pid, comm);
}

static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int lbxdp_lock(struct lbxdp_ctx *c, const char *dir)
{
	__u64 deadline = now_ms() + c->lock_wait_ms;
	struct timespec poll = {.tv_nsec = 50 * 1000000};
	char who[80], after[32] = "";
	bool said = false;
	int err;

	/* Not LOCK_EX alone: anyone who can open the directory can take
	 * its flock, and must not stop every writer forever. */
	for (;;) {
		err = lbxdp_trylock(c, dir);
		if (err != -EWOULDBLOCK || !c->lock_wait_ms ||
		    (said && now_ms() >= deadline))
			break;
		if (!said) {
			lock_holder(dir, who, sizeof(who));
			p_info("waiting up to %d s for the lock on %s, held by %s",
			       c->lock_wait_ms / 1000, dir, who);
			said = true;
		}
		nanosleep(&poll, NULL);
	}
	switch (err) {
	case 0:
	case -EPERM: /* printed */
		break;
	case -EWOULDBLOCK:
		lock_holder(dir, who, sizeof(who));
		if (c->lock_wait_ms)
			snprintf(after, sizeof(after), " after %d s",
				 c->lock_wait_ms / 1000);
		p_err("the lock on %s is held by %s%s: wait for it with --wait SECONDS (or LBXDP_LOCK_WAIT), or stop that process",
		      dir, who, after);
		break;
	case -ENOENT:
		p_err("nothing pinned in %s: run 'lbxdp attach IFACE' first",
		      dir);
		break;
	case -ESTALE:
		p_err("pin directory %s keeps being replaced", dir);
		break;
	default:
		p_err("cannot lock %s: %s", dir, strerror(-err));
	}
	return err;
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
	return lbxdp_open_wait(c, dir, lock, LBXDP_LOCK_WAIT_MS);
}

void lbxdp_ctx_init(struct lbxdp_ctx *c, const char *dir)
{
	int i;

	memset(c, 0, sizeof(*c));
	c->dir_fd = -1;
	for (i = 0; i < M_NR; i++)
		c->fd[i] = -1;
	snprintf(c->pin_dir, sizeof(c->pin_dir), "%s", dir);
	c->ncpus = libbpf_num_possible_cpus();
}

/* lbxdp_open_wait(); @side_ok: although DIR/abi3 is there (attach, to
 * finish an upgrade whose swap was made). */
static int open_pinned(struct lbxdp_ctx *c, const char *dir, bool lock,
		       int wait_ms, bool side_ok)
{
	char path[PATH_MAX];
	__u32 abi = 0, zero = 0;
	int i, err;

	lbxdp_ctx_init(c, dir);
	c->lock_wait_ms = wait_ms;
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
	if (!side_ok && !access(path, F_OK)) {
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
		/* Missing optional maps read as all-zero. */
		if (c->fd[i] < 0 && errno == ENOENT && i >= M_FIRST_OPTIONAL)
			continue;
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

int lbxdp_open_wait(struct lbxdp_ctx *c, const char *dir, bool lock,
		    int wait_ms)
{
	return open_pinned(c, dir, lock, wait_ms, false);
}

int lbxdp_open_upgrading(struct lbxdp_ctx *c, const char *dir)
{
	return open_pinned(c, dir, false, 0, true);
}

void lbxdp_close(struct lbxdp_ctx *c)
{
	int i;

	lbxdp_flows_unmap(c);

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
	struct lbxdp_flow_memo *zero;
	int cpu, err = 0;

	if (c->fd[M_FLOW_MEMO_CPU] < 0)
		return 0;
	zero = calloc(LBXDP_MEMO_SIZE, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	for (cpu = 0; cpu < c->ncpus && !err; cpu++)
		err = lbxdp_array_fill(c->fd[M_FLOW_MEMO_CPU],
				       cpu * LBXDP_MEMO_SIZE, zero,
				       LBXDP_MEMO_SIZE);
	free(zero);
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
	return lbxdp_array_read_at(fd, 0, values, n);
}

__u64 lbxdp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

__u64 lbxdp_prog_now(const struct lbxdp_ctx *c)
{
	if (c->clock_held_ns)
		return c->clock_held_ns;
	return lbxdp_now_ns();
}

int lbxdp_array_read_at(int fd, __u32 first, void *values, __u32 n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 *keys, count = n, in = first - 1, out = 0;
	int err = 0;

	if (!n)
		return 0;
	keys = malloc(n * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	/* A batch starts after its in_batch key: an array's index - 1. */
	if (bpf_map_lookup_batch(fd, first ? &in : NULL, &out, keys, values,
				 &count, &opts) &&
	    errno != ENOENT)
		err = -errno;
	else if (count != n)
		err = -EIO;
	free(keys);
	return err;
}
