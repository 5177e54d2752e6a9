// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The control socket: "lbxdp daemon status|reload|stop". A unix stream
 * socket, mode 0600, root's (or the daemon user's), in the run directory
 * and named after the pin directory. A request is one line; the answer is
 * "EXIT N" on a line, then what to print, then the daemon closes.
 */
#define _GNU_SOURCE /* accept4, struct ucred */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "cli.h"
#include "daemon/daemon.h"
#include "daemon/dlog.h"
#include "log.h"
#include "runpath.h"

#define CTL_REQ_MAX 64
/* A client that says nothing in this long is dropped. */
#define CTL_CLIENT_MS 2000
/* How long the client waits for a reload to be applied or refused. */
#define CTL_WAIT_MS 60000

struct ctl_client {
	struct daemon *d;
	struct loop_fd h;
	struct loop_timer t;
	char req[CTL_REQ_MAX];
	size_t len;
};

static void client_free(struct ctl_client *cl)
{
	int fd = cl->h.fd;

	loop_timer_cancel(&cl->d->loop, &cl->t);
	loop_fd_del(&cl->d->loop, &cl->h); /* sets h.fd to -1 */
	close(fd);
	free(cl);
}

static void client_timeout(struct loop_timer *t)
{
	client_free(t->arg);
}

/* Write all of @buf: the reply is small, and a client that does not read
 * it gets dropped by the send timeout. */
static void send_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

static void serve(struct ctl_client *cl, const char *req)
{
	struct daemon *d = cl->d;
	char *body = NULL;
	size_t blen = 0;
	bool json = false, stop = false;
	char head[32];
	int code = 0;
	FILE *out;

	out = open_memstream(&body, &blen);
	if (!out)
		return;
	if (!strncmp(req, "status", 6)) {
		json = !strcmp(req + 6, " json");
		daemon_status(d, out, json);
	} else if (!strcmp(req, "reload")) {
		int err = daemon_reload(d, out);

		code = err ? EXIT_FAIL : EXIT_OK;
		if (err == -ECANCELED)
			fprintf(out,
				"reload refused: the running configuration stays\n");
		else if (!err)
			fprintf(out, "reloaded\n");
	} else if (!strcmp(req, "stop")) {
		d_log(d, "stopping on request");
		fprintf(out,
			"stopping (pid %d); forwarding goes on from the pinned maps\n",
			(int)getpid());
		stop = true;
	} else {
		fprintf(out, "unknown request '%s'\n", req);
		code = EXIT_USAGE;
	}
	fclose(out);
	/* Blocking, so that SO_SNDTIMEO bounds a client that does not read
	 * and a long reply is not cut at the socket buffer. */
	fcntl(cl->h.fd, F_SETFL, 0);
	snprintf(head, sizeof(head), "EXIT %d\n", code);
	send_all(cl->h.fd, head, strlen(head));
	send_all(cl->h.fd, body, blen);
	free(body);
	if (stop)
		loop_stop(&d->loop);
}

static void client_read(struct loop_fd *h, uint32_t events)
{
	struct ctl_client *cl = h->arg;
	ssize_t n;
	char *nl;

	n = recv(h->fd, cl->req + cl->len, sizeof(cl->req) - 1 - cl->len,
		 MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_free(cl);
		return;
	}
	cl->len += (size_t)n;
	cl->req[cl->len] = '\0';
	nl = strchr(cl->req, '\n');
	if (!nl && cl->len < sizeof(cl->req) - 1)
		return;
	if (nl)
		*nl = '\0';
	serve(cl, cl->req);
	client_free(cl);
}

static void on_accept(struct loop_fd *h, uint32_t events)
{
	struct daemon *d = h->arg;
	struct timeval tv = {.tv_sec = 1};
	struct ctl_client *cl;
	struct ucred cr;
	socklen_t sl = sizeof(cr);
	int fd;

	fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	/* The socket's mode keeps others out; this says so in the code. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &sl) ||
	    (cr.uid != 0 && cr.uid != geteuid())) {
		close(fd);
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	cl = calloc(1, sizeof(*cl));
	if (!cl) {
		close(fd);
		return;
	}
	cl->d = d;
	loop_timer_init(&cl->t, client_timeout, cl);
	cl->h.fd = -1;
	if (loop_fd_add(&d->loop, &cl->h, fd, EPOLLIN, client_read, cl) ||
	    loop_timer_in(&d->loop, &cl->t, CTL_CLIENT_MS)) {
		loop_fd_del(&d->loop, &cl->h);
		close(fd);
		free(cl);
	}
}

int ctl_listen(struct daemon *d)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	mode_t old;
	int fd, err;

	d->ctl.fd = -1;
	err = lbxdp_run_path(d->pin_dir, "sock", sa.sun_path,
			     sizeof(sa.sun_path));
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* We hold the pid file's lock: a socket left there is a dead
	 * daemon's. */
	unlink(sa.sun_path);
	old = umask(0177);
	err = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old);
	if (!err && listen(fd, 8))
		err = -errno;
	if (!err)
		err = loop_fd_add(&d->loop, &d->ctl, fd, EPOLLIN, on_accept, d);
	if (err) {
		d_err(d, "control socket %s: %s", sa.sun_path, strerror(-err));
		close(fd);
		d->ctl.fd = -1;
	}
	return err;
}

void ctl_close(struct daemon *d)
{
	int fd = d->ctl.fd;
	char path[108];

	if (fd < 0)
		return;
	loop_fd_del(&d->loop, &d->ctl);
	close(fd);
	if (!lbxdp_run_path(d->pin_dir, "sock", path, sizeof(path)))
		unlink(path);
}

int ctl_request(const char *pin_dir, const char *cmd, bool json)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char buf[4096], req[CTL_REQ_MAX];
	struct pollfd p;
	bool head = true;
	int fd, code = EXIT_FAIL, n, err;
	FILE *to = stdout;
	size_t used = 0;

	err = lbxdp_run_path(pin_dir, "sock", sa.sun_path, sizeof(sa.sun_path));
	if (err) {
		p_err("no control socket path for %s", pin_dir);
		return EXIT_FAIL;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		p_err("lbxdp daemon is not running on %s (no answer on %s)",
		      pin_dir, sa.sun_path);
		if (fd >= 0)
			close(fd);
		return EXIT_FAIL;
	}
	n = snprintf(req, sizeof(req), "%s%s\n", cmd, json ? " json" : "");
	if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n)
		goto cleanup;
	p.fd = fd;
	p.events = POLLIN;
	for (;;) {
		if (poll(&p, 1, CTL_WAIT_MS) <= 0) {
			p_err("lbxdp daemon did not answer '%s' in %d s", cmd,
			      CTL_WAIT_MS / 1000);
			goto cleanup;
		}
		n = (int)recv(fd, buf + used, sizeof(buf) - 1 - used, 0);
		if (n <= 0)
			break;
		used += (size_t)n;
		buf[used] = '\0';
		if (head) {
			char *nl = strchr(buf, '\n');

			if (!nl) {
				if (used < sizeof(buf) - 1)
					continue;
				break;
			}
			if (sscanf(buf, "EXIT %d", &code) != 1)
				break;
			to = code ? stderr : stdout;
			head = false;
			fwrite(nl + 1, 1, used - (size_t)(nl + 1 - buf), to);
		} else {
			fwrite(buf, 1, used, to);
		}
		used = 0;
	}
	if (head) {
		p_err("lbxdp daemon gave no answer to '%s'", cmd);
		code = EXIT_FAIL;
	}
cleanup:
	close(fd);
	return code;
}
