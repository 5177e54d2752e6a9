// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The daemon's pid file and socket paths (runpath.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "log.h"
#include "runpath.h"

/* @pin_dir as "systemd-escape --path" writes it, into @buf. */
static int escape_path(const char *pin_dir, char *buf, size_t len)
{
	const char *p = pin_dir;
	size_t n = 0;
	int w;

	while (*p == '/')
		p++;
	if (!*p)
		return snprintf(buf, len, "-") < (int)len ? 0 : -ENAMETOOLONG;
	for (; *p; p++) {
		char ch = *p;

		if (ch == '/') {
			while (p[1] == '/')
				p++;
			if (!p[1])
				break;
			w = snprintf(buf + n, len - n, "-");
		} else if ((ch >= 'a' && ch <= 'z') ||
			   (ch >= 'A' && ch <= 'Z') ||
			   (ch >= '0' && ch <= '9') || ch == ':' || ch == '_' ||
			   (ch == '.' && n)) {
			w = snprintf(buf + n, len - n, "%c", ch);
		} else {
			w = snprintf(buf + n, len - n, "\\x%02x",
				     (unsigned char)ch);
		}
		if (w < 0 || (size_t)w >= len - n)
			return -ENAMETOOLONG;
		n += w;
	}
	return 0;
}

int lbxdp_run_path(const char *pin_dir, const char *suffix, char *buf,
		   size_t len)
{
	const char *env = getenv("LBXDP_RUN_DIR");
	const char *dir = env && *env ? env : LBXDP_RUN_DIR;
	struct sockaddr_un sun;
	char name[4096];
	unsigned long long h = 14695981039346656037ULL;
	const char *p;
	int w;

	if (!pin_dir || !*pin_dir || !suffix)
		return -EINVAL;
	if (escape_path(pin_dir, name, sizeof(name)))
		return -ENAMETOOLONG;
	w = snprintf(buf, len, "%s/%s.%s", dir, name, suffix);
	if (w >= 0 && (size_t)w < len && (size_t)w < sizeof(sun.sun_path))
		return 0;
	/* Too long for a socket address: the name's FNV-1a hash. */
	for (p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	w = snprintf(buf, len, "%s/lbxdp-%016llx.%s", dir, h, suffix);
	if (w < 0 || (size_t)w >= len || (size_t)w >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	return 0;
}

pid_t lbxdp_daemon_pid(const char *pin_dir)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)], b[32] = "";
	ssize_t n;
	long pid;
	int fd;

	if (lbxdp_run_path(pin_dir, "pid", path, sizeof(path)))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	/* The daemon holds it exclusively while it runs. */
	if (!flock(fd, LOCK_SH | LOCK_NB) || errno != EWOULDBLOCK) {
		close(fd);
		return 0;
	}
	n = read(fd, b, sizeof(b) - 1);
	close(fd);
	pid = n > 0 ? strtol(b, NULL, 10) : 0;
	return pid > 0 ? (pid_t)pid : 0;
}

int lbxdp_daemon_lock(const char *pin_dir, int *fd)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)], b[32];
	const char *env = getenv("LBXDP_RUN_DIR");
	pid_t other;
	int err, n;

	err = lbxdp_run_path(pin_dir, "pid", path, sizeof(path));
	if (err)
		return err;
	if (mkdir(env && *env ? env : LBXDP_RUN_DIR, 0755) && errno != EEXIST) {
		err = -errno;
		p_err("cannot create %s: %s", env && *env ? env : LBXDP_RUN_DIR,
		      strerror(errno));
		return err;
	}
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (*fd < 0) {
		err = -errno;
		p_err("cannot open %s: %s", path, strerror(errno));
		return err;
	}
	if (flock(*fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(*fd);
		*fd = -1;
		other = lbxdp_daemon_pid(pin_dir);
		if (err == -EBUSY)
			p_err("lbxdp daemon (pid %d) already runs on %s",
			      (int)other, pin_dir);
		else
			p_err("cannot lock %s: %s", path, strerror(-err));
		return err;
	}
	n = snprintf(b, sizeof(b), "%d\n", (int)getpid());
	if (ftruncate(*fd, 0) || pwrite(*fd, b, n, 0) != n) {
		err = -errno;
		p_err("cannot write %s: %s", path, strerror(errno));
		close(*fd);
		*fd = -1;
		return err;
	}
	return 0;
}
