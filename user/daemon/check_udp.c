// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * UDP_CHECK: a datagram on a connected UDP socket, so that the ICMP port
 * unreachable of a closed port comes back as ECONNREFUSED (a failure). It
 * passes on a reply (that starts with udp_reply, when given) or, without
 * require_reply, on no error within the timeout.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "check_int.h"

static int udp_init(struct checker *c)
{
	return 0;
}

int checker_recv(struct checker *c, uint8_t *buf, size_t len, ssize_t *got)
{
	ssize_t n = recv(c->lfd.fd, buf, len, 0);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n < 0) {
		checker_errno(c, "recv", -errno);
		checker_done(c, false);
		return -1;
	}
	*got = n;
	return 1;
}

static void udp_event(struct loop_fd *lfd, uint32_t events)
{
	struct checker *c = lfd->arg;
	const struct conf_checker *cc = c->cc;
	uint8_t buf[2048];
	ssize_t n = 0;

	if (checker_recv(c, buf, sizeof(buf), &n) <= 0)
		return;
	if (cc->udp_reply_len &&
	    (n < cc->udp_reply_len ||
	     memcmp(buf, cc->udp_reply, cc->udp_reply_len))) {
		checker_reason(c, "reply mismatch");
		checker_done(c, false);
		return;
	}
	checker_reason(c, "reply");
	checker_done(c, true);
}

int checker_send(struct checker *c, const void *buf, size_t len)
{
	if (send(c->lfd.fd, buf, len, 0) < 0)
		return checker_errno(c, "send", -errno);
	return 0;
}

static int udp_start(struct checker *c)
{
	int err;

	err = checker_connect(c, SOCK_DGRAM, EPOLLIN, udp_event);
	if (!err)
		err = checker_send(c,
				   c->cc->udp_payload
					   ? (const void *)c->cc->udp_payload
					   : "",
				   c->cc->udp_payload_len);
	if (err)
		checker_close(c);
	return err;
}

static bool udp_timeout_ok(struct checker *c)
{
	if (c->cc->udp_require_reply)
		return false;
	checker_reason(c, "no error");
	return true;
}

const struct checker_ops check_udp_ops = {
	.name = "UDP_CHECK",
	.init = udp_init,
	.start = udp_start,
	.stop = checker_close,
	.fini = checker_close,
	.timeout_ok = udp_timeout_ok,
};
