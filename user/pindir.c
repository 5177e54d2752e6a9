// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "log.h"
#include "maps.h"
#include "pindir.h"

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
			sub = openat(dfd, e->d_name,
				     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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

int lbxdp_dir_empty(int dfd, const char *path)
{
	return empty_at(dfd, path, 1);
}

/* Empty and remove @path unless a live writer holds its lock. */
static void reap(const char *path, const char *what)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		close(fd); /* its writer is still at work */
		return;
	}
	if (!lbxdp_dir_empty(fd, path) && !rmdir(path))
		p_info("removed %s, which a killed %s left", path, what);
	close(fd);
}

void lbxdp_reap_leftovers(const char *pin_dir)
{
	char path[4096];

	if (!lbxdp_sibling(pin_dir, LBXDP_STAGING_SUFFIX, path, sizeof(path)))
		reap(path, "attach");
	if (!lbxdp_sibling(pin_dir, LBXDP_PURGING_SUFFIX, path, sizeof(path)))
		reap(path, "detach --purge");
}
