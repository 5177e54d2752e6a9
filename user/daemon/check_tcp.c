// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* TCP_CHECK: a non-blocking connect; SO_ERROR says how it went. */
#include <errno.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "check_int.h"

static int tcp_init(struct checker *c)
{
	return 0;
}

void checker_close(struct checker *c)
{
	int fd = c->lfd.fd;

	if (fd < 0)
		return;
	loop_fd_del(checker_loop(c), &c->lfd);
	close(fd);
}

static void tcp_event(struct loop_fd *lfd, uint32_t events)
{
	struct checker *c = lfd->arg;
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(lfd->fd, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	if (err) {
		checker_errno(c, "connect", -err);
		checker_done(c, false);
		return;
	}
	checker_reason(c, "connected");
	checker_done(c, true);
}

int checker_connect(struct checker *c, int type, uint32_t events,
		    void (*cb)(struct loop_fd *h, uint32_t events))
{
	struct sockaddr_in dst;
	int fd, err;

	fd = checker_socket(c, type);
	if (fd < 0)
		return fd;
	checker_dst(c, &dst);
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) &&
	    errno != EINPROGRESS) {
		err = -errno;
		close(fd);
		return checker_errno(c, "connect", err);
	}
	err = loop_fd_add(checker_loop(c), &c->lfd, fd, events, cb, c);
	if (err) {
		close(fd);
		return checker_errno(c, "epoll", err);
	}
	return 0;
}

static int tcp_start(struct checker *c)
{
	return checker_connect(c, SOCK_STREAM, EPOLLOUT, tcp_event);
}

static void tcp_fini(struct checker *c)
{
	checker_close(c);
}

const struct checker_ops check_tcp_ops = {
	.name = "TCP_CHECK",
	.init = tcp_init,
	.start = tcp_start,
	.stop = checker_close,
	.fini = tcp_fini,
};
