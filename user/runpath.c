// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The daemon's pid file and control socket paths (runpath.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "log.h"
#include "runpath.h"

/* sun_path holds 108 bytes with its NUL. */
#define SUN_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

static const char *run_dir(void)
{
	const char *d = getenv("LBXDP_RUN_DIR");

	return d && *d ? d : LBXDP_RUN_DIR;
}

/* FNV-1a: a name for a pin directory too long to spell out. */
static unsigned long long fnv1a(const char *s)
{
	unsigned long long h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

int lbxdp_run_path(const char *pin_dir, const char *suffix, char *buf,
		   size_t len)
{
	char name[256];
	size_t n = 0;
	const char *p;
	int w;

	char real[PATH_MAX];

	if (!pin_dir || !*pin_dir)
		return -EINVAL;
	/* One name however the directory is written (./, //, a symlink):
	 * else two daemons could each lock their own pid file. */
	if (realpath(pin_dir, real))
		pin_dir = real;
	/* systemd-escape --path: slashes trimmed and turned into dashes,
	 * anything outside [A-Za-z0-9:_.] as \xNN. */
	for (p = pin_dir; *p == '/'; p++)
		;
	for (; *p && n + 5 < sizeof(name); p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '/') {
			if (p[1] == '/' || !p[1])
				continue;
			name[n++] = '-';
		} else if ((ch >= 'a' && ch <= 'z') ||
			   (ch >= 'A' && ch <= 'Z') ||
			   (ch >= '0' && ch <= '9') || ch == ':' || ch == '_' ||
			   (ch == '.' && n)) {
			name[n++] = (char)ch;
		} else {
			n += (size_t)snprintf(name + n, sizeof(name) - n,
					      "\\x%02x", ch);
		}
	}
	name[n] = '\0';
	if (*p || !n)
		n = 0;
	if (n) {
		w = snprintf(buf, len, "%s/%s.%s", run_dir(), name, suffix);
		if (w >= 0 && (size_t)w < len && (size_t)w <= SUN_MAX)
			return 0;
	}
	w = snprintf(buf, len, "%s/pin-%016llx.%s", run_dir(), fnv1a(pin_dir),
		     suffix);
	if (w < 0 || (size_t)w >= len || (size_t)w > SUN_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/* The pid written in an open pid file, 0 if none is. */
static pid_t read_pid(int fd)
{
	char buf[32] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long pid;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, NULL, 10);
	return pid > 0 ? (pid_t)pid : 0;
}

pid_t lbxdp_daemon_pid(const char *pin_dir)
{
	char path[256];
	pid_t pid = 0;
	int fd;

	if (lbxdp_run_path(pin_dir, "pid", path, sizeof(path)))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	/* A held lock is a running daemon; a file left by a killed one is
	 * not (its lock went with it). */
	if (flock(fd, LOCK_SH | LOCK_NB) && errno == EWOULDBLOCK)
		pid = read_pid(fd);
	close(fd);
	return pid;
}

int lbxdp_daemon_lock(const char *pin_dir, int *fdp)
{
	char path[256], buf[32];
	int fd, err, n;

	err = lbxdp_run_path(pin_dir, "pid", path, sizeof(path));
	if (err) {
		p_err("no run path for pin directory %s: %s", pin_dir,
		      strerror(-err));
		return err;
	}
	if (mkdir(run_dir(), 0755) && errno != EEXIST) {
		err = -errno;
		p_err("cannot create %s: %s", run_dir(), strerror(errno));
		return err;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		err = -errno;
		p_err("cannot open %s: %s", path, strerror(errno));
		return err;
	}
	/* lbxdp_daemon_pid() holds a shared lock for a moment: a few
	 * tries tell it from a running daemon. */
	for (n = 0;
	     n < 20 && flock(fd, LOCK_EX | LOCK_NB) && errno == EWOULDBLOCK;
	     n++)
		usleep(10000);
	if (n == 20 || flock(fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		if (err == -EBUSY)
			p_err("lbxdp daemon already runs on %s (pid %d, %s)",
			      pin_dir, (int)read_pid(fd), path);
		else
			p_err("cannot lock %s: %s", path, strerror(-err));
		goto cleanup;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)n, 0) != n) {
		err = -errno;
		p_err("cannot write %s: %s", path, strerror(errno));
		goto cleanup;
	}
	*fdp = fd;
	return 0;
cleanup:
	close(fd);
	return err;
}
