// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Mail alerts: keepalived 2.2.7's subjects and bodies, the DATA's headers,
 * and the client in a real loop against a scripted server on 127.0.0.1 (a
 * child process): the whole session, a server that never answers (the
 * step's timeout; the loop runs other timers meanwhile), a refused
 * connection, the bounded queue, and the drain at exit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/smtp.h"

static struct conf_vs vs_tcp(void)
{
	struct conf_vs vs = {0};

	inet_pton(AF_INET, "198.18.0.10", &vs.addr);
	vs.port = 80;
	vs.proto = IPPROTO_TCP;
	return vs;
}

static void test_subjects(void **state)
{
	struct conf_vs vs = vs_tcp();
	struct conf_rs rs = {0};
	struct smtp_msg m = {0};

	(void)state;
	inet_pton(AF_INET, "198.18.0.11", &rs.addr);
	rs.port = 80;
	smtp_msg_rs(&m, "LVS_DEVEL", &vs, &rs, false, "TCP_CHECK");
	assert_string_equal(
		m.subject,
		"[LVS_DEVEL] Realserver [198.18.0.11]:tcp:80 of virtual server [198.18.0.10]:tcp:80 - DOWN");
	assert_string_equal(m.body, "=> TCP CHECK failed on service <=");
	smtp_msg_rs(&m, "LVS_DEVEL", &vs, &rs, true, "TCP_CHECK");
	assert_string_equal(
		m.subject,
		"[LVS_DEVEL] Realserver [198.18.0.11]:tcp:80 of virtual server [198.18.0.10]:tcp:80 - UP");
	assert_string_equal(m.body, "=> TCP CHECK succeed on service <=");
	smtp_msg_rs(&m, "r", &vs, &rs, false, "HTTP_GET");
	assert_string_equal(
		m.body, "=> CHECK failed on service : HTTP request failed <=");
	smtp_msg_rs(&m, "r", &vs, &rs, true, "SSL_GET");
	assert_string_equal(m.body, "=> CHECK succeed on service <=");
	smtp_msg_rs(&m, "r", &vs, &rs, false, "DNS_CHECK");
	assert_string_equal(m.body, "=> DNS_CHECK: failed on service <=");
	smtp_msg_rs(&m, "r", &vs, &rs, true, "MISC_CHECK");
	assert_string_equal(m.body, "=> MISC CHECK succeeded on service <=");

	vs.proto = IPPROTO_UDP;
	vs.port = 53;
	rs.port = 53;
	smtp_msg_rs(&m, "lb1", &vs, &rs, true, "UDP_CHECK");
	assert_string_equal(
		m.subject,
		"[lb1] Realserver [198.18.0.11]:udp:53 of virtual server [198.18.0.10]:udp:53 - UP");
	assert_string_equal(m.body, "=> UDP CHECK succeed on service <=");

	vs = vs_tcp();
	vs.quorum = 3;
	vs.hysteresis = 1;
	smtp_msg_vs(&m, "lb1", &vs, false, 2, 1);
	assert_string_equal(m.subject,
			    "[lb1] Virtualserver [198.18.0.10]:tcp:80 - DOWN");
	assert_string_equal(m.body, "=> Lost quorum 3+1=2 <= 1 <=");
	smtp_msg_vs(&m, "lb1", &vs, true, 4, 5);
	assert_string_equal(m.body, "=> Gained quorum 3+1=4 <= 5 <=");

	smtp_msg_vrrp(&m, "lb1", "VI_1", VRRP_STATE_MASTER);
	assert_string_equal(m.subject,
			    "[lb1] VRRP Instance VI_1 - Entering MASTER state");
	assert_string_equal(m.body,
			    "=> VRRP Instance is now owning VRRP VIPs <=");
	smtp_msg_vrrp(&m, "lb1", "VI_1", VRRP_STATE_BACKUP);
	assert_string_equal(m.subject,
			    "[lb1] VRRP Instance VI_1 - Entering BACKUP state");
	assert_string_equal(
		m.body, "=> VRRP Instance is no longer owning VRRP VIPs <=");
	smtp_msg_vrrp(&m, "lb1", "VI_1", VRRP_STATE_FAULT);
	assert_string_equal(m.subject,
			    "[lb1] VRRP Instance VI_1 - Entering FAULT state");
	smtp_msg_vrrp(&m, "lb1", "VI_1", VRRP_STATE_INIT);
	assert_string_equal(m.subject, "[lb1] VRRP Instance VI_1 - Stopping");
	assert_string_equal(m.body, "=> VRRP Instance stopping <=");

	smtp_msg_vgroup(&m, "lb1", "G1", VRRP_STATE_MASTER);
	assert_string_equal(m.subject,
			    "[lb1] VRRP Group G1 - Entering MASTER state");
	assert_string_equal(
		m.body,
		"=> All VRRP group instances are now in MASTER state <=");
	smtp_msg_vgroup(&m, "lb1", "G1", VRRP_STATE_BACKUP);
	assert_string_equal(m.subject,
			    "[lb1] VRRP Group G1 - Entering BACKUP state");
	assert_string_equal(
		m.body,
		"=> All VRRP group instances are now in BACKUP state <=");
	smtp_msg_vgroup(&m, "lb1", "G1", VRRP_STATE_FAULT);
	assert_string_equal(m.subject,
			    "[lb1] VRRP Group G1 - Entering FAULT state");
	assert_string_equal(
		m.body,
		"=> All VRRP group instances are now in FAULT state <=");
	smtp_msg_vgroup(&m, "lb1", "G1", VRRP_STATE_INIT);
	assert_string_equal(m.subject, "[lb1] VRRP Group G1 - Stopping");
	assert_string_equal(m.body,
			    "=> All VRRP group instances are now stopping <=");
}

static void test_data(void **state)
{
	struct smtp_msg m = {.subject = "[lb1] VRRP\r\nBcc: x", .body = "b"};
	char *to[] = {"a@example.com", "b@example.com"};
	char buf[1024];
	int n;

	(void)state;
	m.at = 1614591848; /* Mon, 01 Mar 2021 09:44:08 +0000 */
	n = smtp_format_data(buf, sizeof(buf), &m, "lb@example.com", to, 2);
	assert_int_equal(n, (int)strlen(buf));
	/* a name cannot add a header: CR and LF become spaces */
	assert_string_equal(buf, "Date: Mon, 01 Mar 2021 09:44:08 +0000\r\n"
				 "From: lb@example.com\r\n"
				 "Subject: [lb1] VRRP  Bcc: x\r\n"
				 "X-Mailer: lbxdp\r\n"
				 "To: a@example.com, b@example.com\r\n"
				 "\r\n"
				 "b\r\n"
				 "\r\n.\r\n");
	assert_int_equal(smtp_format_data(buf, 40, &m, "f", to, 2), -ENOSPC);
}

/* ---- the client, against a server on 127.0.0.1 ---- */

static int listener(__u16 *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void say(int fd, const char *s)
{
	ssize_t w = write(fd, s, strlen(s));

	(void)w;
}

enum serve_mode {
	SERVE_OK,
	SERVE_STALL, /* silent from the DATA command on */
	SERVE_SLOW,  /* each reply 150 ms late */
};

/* A child answering one session as a server would, writing what it got
 * to @out (a pipe). */
static void serve_one(int lfd, int out, enum serve_mode mode)
{
	char buf[4096];
	size_t len = 0;
	bool data = false;
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0)
		_exit(1);
	/* a greeting longer than the client's buffer */
	for (int i = 0; i < 20; i++)
		say(fd, "220-mx.test ESMTP, a long greeting line of many\r\n");
	say(fd, "220 ready\r\n");
	for (;;) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);
		char *eol;

		if (r <= 0)
			break;
		len += (size_t)r;
		buf[len] = '\0';
		if (data) {
			if (!strstr(buf, "\r\n.\r\n"))
				continue;
			data = false;
			if (write(out, buf, len) < 0)
				_exit(1);
			len = 0;
			say(fd, "250 queued\r\n");
			continue;
		}
		while ((eol = strstr(buf, "\r\n"))) {
			size_t n = (size_t)(eol - buf) + 2;

			if (write(out, buf, n) < 0)
				_exit(1);
			if (mode == SERVE_SLOW)
				usleep(150000);
			if (!strncmp(buf, "DATA", 4) && mode == SERVE_STALL) {
				pause();
			} else if (!strncmp(buf, "DATA", 4)) {
				say(fd, "354 go on\r\n");
				data = true;
			} else if (!strncmp(buf, "QUIT", 4)) {
				say(fd, "221 bye\r\n");
				close(fd);
				_exit(0);
			} else if (!strncmp(buf, "RCPT", 4)) {
				say(fd, "251 forwarded\r\n");
			} else {
				say(fd, "250-mx.test\r\n250 OK\r\n");
			}
			memmove(buf, buf + n, len - n);
			len -= n;
			buf[len] = '\0';
		}
	}
	_exit(1);
}

static void run_until_idle(struct smtp *s, struct loop *l)
{
	int i;

	for (i = 0; i < 500 && (s->stage != SMTP_IDLE || s->n); i++)
		loop_run_once(l, 20);
	assert_int_equal(s->stage, SMTP_IDLE);
}

static char *emails[] = {"a@example.com", "b@example.com"};

static void setup_client(struct smtp *s, struct loop *l, __u16 port,
			 uint32_t timeout_ms)
{
	struct conf_global g = {
		.router_id = "lb1",
		.emails = emails,
		.nemails = 2,
		.email_from = "lb@example.com",
		.smtp_server = "127.0.0.1",
		.smtp_port = port,
		.smtp_helo = "lb1.example.com",
		.smtp_timeout_ms = timeout_ms,
	};

	assert_int_equal(loop_init(l), 0);
	smtp_init(s, l, NULL, NULL);
	assert_int_equal(smtp_configure(s, &g), 0);
	assert_true(s->on);
}

static void session(enum serve_mode mode, uint32_t timeout_ms)
{
	struct smtp *s = calloc(1, sizeof(*s));
	struct smtp_msg m = {0};
	struct loop l;
	char got[4096], want[4096];
	int lfd, p[2], st;
	size_t len = 0;
	ssize_t r;
	__u16 port;
	pid_t pid;

	assert_non_null(s);
	lfd = listener(&port);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		close(p[0]);
		serve_one(lfd, p[1], mode);
	}
	close(p[1]);
	setup_client(s, &l, port, timeout_ms);
	smtp_msg_vrrp(&m, s->router_id, "VI_1", VRRP_STATE_MASTER);
	m.at = 1614591848;
	smtp_queue(s, &m);
	run_until_idle(s, &l);
	assert_int_equal(s->nsent, 1);
	assert_int_equal(s->nfailed, 0);
	while ((r = read(p[0], got + len, sizeof(got) - 1 - len)) > 0)
		len += (size_t)r;
	got[len] = '\0';
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	snprintf(want, sizeof(want),
		 "HELO lb1.example.com\r\n"
		 "MAIL FROM:<lb@example.com>\r\n"
		 "RCPT TO:<a@example.com>\r\n"
		 "RCPT TO:<b@example.com>\r\n"
		 "DATA\r\n"
		 "Date: Mon, 01 Mar 2021 09:44:08 +0000\r\n"
		 "From: lb@example.com\r\n"
		 "Subject: [lb1] VRRP Instance VI_1 - Entering MASTER state\r\n"
		 "X-Mailer: lbxdp\r\n"
		 "To: a@example.com, b@example.com\r\n"
		 "\r\n"
		 "=> VRRP Instance is now owning VRRP VIPs <=\r\n"
		 "\r\n.\r\n"
		 "QUIT\r\n");
	assert_string_equal(got, want);
	smtp_fini(s);
	loop_fini(&l);
	close(lfd);
	close(p[0]);
	free(s);
}

static void test_session(void **state)
{
	(void)state;
	session(SERVE_OK, 5000);
}

/* Each reply 150 ms late, 8 replies, a timeout of 300 ms: each step has
 * the whole timeout, not the session. */
static void test_slow(void **state)
{
	(void)state;
	session(SERVE_SLOW, 300);
}

static int ticks;
static void on_tick(struct loop_timer *t)
{
	(void)t;
	ticks++;
}

/* A server that accepts and never answers: each step times out, and the
 * loop goes on running everything else meanwhile. */
static void test_silent_server(void **state)
{
	struct smtp *s = calloc(1, sizeof(*s));
	struct loop_timer tick;
	struct smtp_msg m = {.subject = "s", .body = "b"};
	struct loop l;
	uint64_t t0;
	int lfd, i;
	__u16 port;

	(void)state;
	assert_non_null(s);
	lfd = listener(&port); /* the kernel accepts; nobody speaks */
	setup_client(s, &l, port, 300);
	loop_timer_init(&tick, on_tick, NULL);
	t0 = loop_clock_ms();
	smtp_queue(s, &m);
	/* stuck waiting for the greeting, a timer 20 ms away still runs */
	for (i = 0; i < 50 && s->stage != SMTP_REPLY; i++)
		loop_run_once(&l, 20);
	assert_int_equal(s->stage, SMTP_REPLY);
	loop_timer_in(&l, &tick, 20);
	for (i = 0; i < 50 && !ticks; i++)
		loop_run_once(&l, 100);
	assert_int_equal(ticks, 1);
	assert_int_equal(s->stage, SMTP_REPLY);
	assert_int_equal(s->nfailed, 0);
	run_until_idle(s, &l);
	assert_int_equal(s->nfailed, 1);
	assert_int_equal(s->nsent, 0);
	/* the greeting's timeout, not earlier */
	assert_true(loop_clock_ms() - t0 >= 300);

	/* the queue: one in the session, 64 waiting, the 5 oldest dropped */
	for (i = 0; i < SMTP_QUEUE_LEN + 6; i++) {
		snprintf(m.subject, sizeof(m.subject), "m%d", i);
		smtp_queue(s, &m);
	}
	assert_int_equal(s->n, SMTP_QUEUE_LEN);
	assert_int_equal(s->ndropped, 5);
	assert_string_equal(s->q[s->head].subject, "m6");
	smtp_fini(s);
	assert_int_equal(s->n, 0);
	assert_int_equal(s->stage, SMTP_IDLE);
	loop_fini(&l);
	close(lfd);
	free(s);
}

/* A server that stops answering mid-session: the step's own timeout. */
static void test_stall(void **state)
{
	struct smtp *s = calloc(1, sizeof(*s));
	struct smtp_msg m = {.subject = "s", .body = "b"};
	struct loop l;
	int lfd, p[2];
	__u16 port;
	pid_t pid;

	(void)state;
	assert_non_null(s);
	lfd = listener(&port);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		close(p[0]);
		serve_one(lfd, p[1], SERVE_STALL);
	}
	close(p[1]);
	setup_client(s, &l, port, 300);
	smtp_queue(s, &m);
	run_until_idle(s, &l);
	assert_int_equal(s->nfailed, 1);
	assert_int_equal(s->nsent, 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	smtp_fini(s);
	loop_fini(&l);
	close(lfd);
	close(p[0]);
	free(s);
}

/* A server whose SYNs are dropped (its accept queue is full): connect()
 * is bounded by the timeout too. */
static void test_dead(void **state)
{
	struct smtp *s = calloc(1, sizeof(*s));
	struct smtp_msg m = {.subject = "s", .body = "b"};
	struct sockaddr_in a = {.sin_family = AF_INET};
	struct loop l;
	int lfd, fill[4], i;
	__u16 port;

	(void)state;
	assert_non_null(s);
	lfd = listener(&port);
	assert_int_equal(listen(lfd, 0), 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	for (i = 0; i < 4; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(fill[i], (struct sockaddr *)&a, sizeof(a));
	}
	usleep(100000);
	setup_client(s, &l, port, 300);
	smtp_queue(s, &m);
	for (i = 0; i < 50 && s->stage == SMTP_CONNECT; i++)
		loop_run_once(&l, 20);
	run_until_idle(s, &l);
	assert_int_equal(s->nfailed, 1);
	smtp_fini(s);
	loop_fini(&l);
	for (i = 0; i < 4; i++)
		close(fill[i]);
	close(lfd);
	free(s);
}

/* Nobody listens: the message fails at once and the next one goes. */
static void test_refused(void **state)
{
	struct smtp *s = calloc(1, sizeof(*s));
	struct smtp_msg m = {.subject = "s", .body = "b"};
	struct loop l;
	int lfd;
	__u16 port;

	(void)state;
	assert_non_null(s);
	lfd = listener(&port);
	close(lfd); /* the port is free again: refused */
	setup_client(s, &l, port, 5000);
	smtp_queue(s, &m);
	smtp_queue(s, &m);
	run_until_idle(s, &l);
	assert_int_equal(s->nfailed, 2);
	assert_int_equal(s->nsent, 0);
	smtp_fini(s);
	loop_fini(&l);
	free(s);
}

/*
 * At exit: a session half done in the daemon's loop and one queued are
 * both sent by smtp_drain() in its own loop; the daemon's loop runs
 * nothing meanwhile and gets the client back idle.
 */
static void test_drain(void **state)
{
	struct smtp *s = calloc(1, sizeof(*s));
	struct smtp_msg m = {.subject = "s", .body = "b"};
	struct loop_timer tick;
	struct loop l;
	char got[8192];
	int lfd, p[2], i, st;
	size_t len = 0;
	ssize_t r;
	__u16 port;
	pid_t pid[2];

	(void)state;
	assert_non_null(s);
	lfd = listener(&port);
	assert_int_equal(pipe(p), 0);
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (!pid[i]) {
			close(p[0]);
			serve_one(lfd, p[1], SERVE_OK);
		}
	}
	close(p[1]);
	setup_client(s, &l, port, 5000);
	ticks = 0;
	loop_timer_init(&tick, on_tick, NULL);
	smtp_queue(s, &m);
	/* waiting for HELO's reply, in the daemon's loop */
	for (i = 0; i < 100 && (s->stage != SMTP_REPLY || s->cur < 1); i++)
		loop_run_once(&l, 20);
	assert_int_equal(s->stage, SMTP_REPLY);
	assert_int_equal(s->cur, 1);
	smtp_queue(s, &m);
	assert_int_equal(smtp_pending(s), 2);
	loop_timer_in(&l, &tick, 0);
	assert_int_equal(smtp_drain(s, 5000), 0);
	assert_int_equal(s->nsent, 2);
	assert_int_equal(s->nfailed, 0);
	assert_int_equal(smtp_pending(s), 0);
	assert_ptr_equal(s->loop, &l);
	assert_int_equal(s->fd.fd, -1);
	assert_false(loop_timer_armed(&s->t));
	assert_int_equal(ticks, 0); /* the daemon's timer did not run */
	for (i = 0; i < 2; i++) {
		assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	while ((r = read(p[0], got + len, sizeof(got) - 1 - len)) > 0)
		len += (size_t)r;
	got[len] = '\0';
	assert_int_equal(
		(int)(strstr(strstr(got, "QUIT\r\n") + 1, "QUIT\r\n") != NULL),
		1);
	/* nothing pending: no loop of its own, nothing to do */
	assert_int_equal(smtp_drain(s, 5000), 0);
	loop_timer_cancel(&l, &tick);
	smtp_fini(s);
	loop_fini(&l);
	close(lfd);
	close(p[0]);
	free(s);
}

/*
 * A server that never answers: the drain gives up at its bound, not at
 * smtp_connect_timeout (30 s), and not once per message; the session in
 * flight goes back to the daemon's loop for smtp_fini() to close. The
 * bounds on the time taken are generous: 10 times the one they test.
 */
static void test_drain_dead(void **state)
{
	struct smtp *s = calloc(1, sizeof(*s));
	struct smtp_msg m = {.subject = "s", .body = "b"};
	struct loop l;
	uint64_t t0, took;
	int lfd, i;
	__u16 port;

	(void)state;
	assert_non_null(s);
	lfd = listener(&port); /* the kernel accepts; nobody speaks */
	setup_client(s, &l, port, 30000);
	for (i = 0; i < 3; i++)
		smtp_queue(s, &m);
	t0 = loop_clock_ms();
	assert_int_equal(smtp_drain(s, 200), 0);
	took = loop_clock_ms() - t0;
	assert_true(took >= 200 && took < 2000);
	assert_int_equal(smtp_pending(s), 3);
	assert_int_equal(s->nfailed, 0);
	assert_ptr_equal(s->loop, &l);
	assert_true(s->fd.fd >= 0);
	smtp_fini(s);
	assert_int_equal(smtp_pending(s), 0);
	assert_int_equal(s->fd.fd, -1);
	loop_fini(&l);

	/* smtp_connect_timeout (100 ms) bounds a longer drain: the first
	 * message's greeting times out, and the drain ends with it */
	setup_client(s, &l, port, 100);
	for (i = 0; i < 10; i++)
		smtp_queue(s, &m);
	t0 = loop_clock_ms();
	assert_int_equal(smtp_drain(s, 60000), 0);
	took = loop_clock_ms() - t0;
	assert_true(took >= 100 && took < 1000);
	assert_true(smtp_pending(s) >= 9);
	smtp_fini(s);
	loop_fini(&l);
	close(lfd);
	free(s);
}

/* Off without a server or an address: nothing is queued. */
static void test_off(void **state)
{
	struct smtp *s = calloc(1, sizeof(*s));
	struct conf_global g = {.smtp_server = "127.0.0.1", .smtp_port = 25};
	struct smtp_msg m = {.subject = "s"};
	struct loop l;

	(void)state;
	assert_non_null(s);
	assert_int_equal(loop_init(&l), 0);
	smtp_init(s, &l, NULL, NULL);
	assert_int_equal(smtp_configure(s, &g), 0);
	assert_false(s->on);
	smtp_queue(s, &m);
	assert_int_equal(s->n, 0);
	smtp_fini(s);
	loop_fini(&l);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subjects),
		cmocka_unit_test(test_data),
		cmocka_unit_test(test_session),
		cmocka_unit_test(test_slow),
		cmocka_unit_test(test_silent_server),
		cmocka_unit_test(test_stall),
		cmocka_unit_test(test_dead),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_off),
		cmocka_unit_test(test_drain),
		cmocka_unit_test(test_drain_dead),
	};

	setenv("TZ", "UTC", 1);
	alarm(60); /* a client that blocks fails, rather than hangs */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
