// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include "log.h"
#include "maps.h"
#include "migrate.h"
#include "pindir.h"

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && !strncmp(s + n - k, suffix, k);
}

int lbxdp_pin_dir_name(const char *dir, char *buf, size_t len)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (!n) {
		p_err("--pin-dir: an empty directory name");
		return -EINVAL;
	}
	if (ends_with(dir, n, LBXDP_STAGING_SUFFIX) ||
	    ends_with(dir, n, LBXDP_PURGING_SUFFIX)) {
		p_err("--pin-dir %s: a name that ends in '%s' or '%s' is what lbxdp calls the leftovers of a killed attach or purge; choose another",
		      dir, LBXDP_STAGING_SUFFIX, LBXDP_PURGING_SUFFIX);
		return -EINVAL;
	}
	if (n >= len) {
		p_err("--pin-dir: a name of %zu bytes, more than %zu", n,
		      len - 1);
		return -ENAMETOOLONG;
	}
	memcpy(buf, dir, n);
	buf[n] = '\0';
	return 0;
}

int lbxdp_sibling(const char *dir, const char *suffix, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%s", dir, suffix);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int empty_at(int dfd, const char *path, int depth)
{
	struct dirent *e;
	DIR *d;
	int fd, sub, err = 0;

	/* Unpinning the link drops what holds the program on the
	 * interface (no process holds it open). */
	if (unlinkat(dfd, LBXDP_LINK_PIN, 0) && errno != ENOENT)
		err = -errno;
	fd = dup(dfd);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (e->d_type == DT_DIR && depth > 0) {
			/* Never through a link: only what is in here. */
			sub = openat(dfd, e->d_name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					     O_CLOEXEC);
			if (sub >= 0) {
				empty_at(sub, path, depth - 1);
				close(sub);
			}
			if (unlinkat(dfd, e->d_name, AT_REMOVEDIR) && !err)
				err = -errno;
		} else if (unlinkat(dfd, e->d_name, 0) && errno != ENOENT &&
			   !err) {
			err = -errno;
		}
	}
	closedir(d);
	if (err)
		p_warn("cannot empty %s: %s", path, strerror(-err));
	return err;
}

int lbxdp_dir_has_entries(int dfd, const char *path)
{
	struct dirent *e;
	int fd, n = 0;
	DIR *d;

	/* Opened anew, for an offset of its own: a dup() of a caller's fd
	 * would move the caller's. */
	fd = openat(dfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		n = -errno;
		if (fd >= 0)
			close(fd);
		return n;
	}
	errno = 0;
	while (!n && (e = readdir(d)))
		n = strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (!n && errno)
		n = -errno;
	closedir(d);
	return n;
}

bool lbxdp_dir_holds_ours(int dfd)
{
	if (!faccessat(dfd, LBXDP_CONFIG_PIN, F_OK, AT_SYMLINK_NOFOLLOW) ||
	    !faccessat(dfd, LBXDP_MIGRATE_DIR "/" LBXDP_CONFIG_PIN, F_OK,
		       AT_SYMLINK_NOFOLLOW))
		return true;
	return !lbxdp_dir_has_entries(dfd, ".");
}

int lbxdp_dir_empty(int dfd, const char *path)
{
	char link[4096 + 8];
	int fd;

	/* Detached before it is unpinned: the kernel may release an
	 * unpinned link later (a deferred put), and an attach that comes
	 * next must not find its program still on the interface. */
	snprintf(link, sizeof(link), "%s/%s", path, LBXDP_LINK_PIN);
	fd = bpf_obj_get(link);
	if (fd >= 0) {
		bpf_link_detach(fd);
		close(fd);
	}
	return empty_at(dfd, path, 1);
}

/*
 * Whether the directory @fd may be emptied as a leftover of ours: on a
 * bpffs (so only pins can go), owned by root or us, and writable by no
 * one else; another user's (a stranger may make entries in a 1777 mount)
 * is left alone, and said so.
 */
static bool ours(int fd, const char *path)
{
	struct statfs sf;
	struct stat st;

	if (fstatfs(fd, &sf) || sf.f_type != BPF_FS_MAGIC || fstat(fd, &st))
		return false;
	if ((st.st_uid == 0 || st.st_uid == geteuid()) &&
	    !(st.st_mode & (S_IWGRP | S_IWOTH)))
		return true;
	p_warn("%s is not lbxdp's (owner uid %u, mode %04o): left alone; remove it",
	       path, (unsigned int)st.st_uid,
	       (unsigned int)(st.st_mode & 07777));
	return false;
}

/* Empty and remove @path unless a live writer holds its lock. */
static int reap(const char *path, const char *what)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int reaped = 0;

	if (fd < 0)
		return 0;
	if (!ours(fd, path) || flock(fd, LOCK_EX | LOCK_NB)) {
		close(fd); /* a stranger's, or its writer is still at work */
		return 0;
	}
	if (!lbxdp_dir_empty(fd, path) && !rmdir(path)) {
		p_info("removed %s, which a killed %s left", path, what);
		reaped = 1;
	}
	close(fd);
	return reaped;
}

int lbxdp_reap_leftovers(const char *pin_dir)
{
	char path[4096];
	int n = 0;

	if (!lbxdp_sibling(pin_dir, LBXDP_STAGING_SUFFIX, path, sizeof(path)))
		n += reap(path, "attach");
	if (!lbxdp_sibling(pin_dir, LBXDP_PURGING_SUFFIX, path, sizeof(path)))
		n += reap(path, "detach --purge");
	return n;
}
