/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * keepalived's mail alerts: a bounded queue of messages and a non-blocking
 * SMTP client in the daemon's loop, one connection at a time. Each step
 * (connect, each reply) is bounded by smtp_connect_timeout; a server that
 * is dead, refuses or hangs costs the message and a log line, never the
 * loop's time. The message text is keepalived 2.2.7's (core/smtp.c).
 */
#ifndef LBXDP_SMTP_H
#define LBXDP_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/socket.h>
#include "conf.h"
#include "loop.h"
#include "vrrp_fsm.h"

/* Messages waiting; when full the oldest is dropped (and logged). */
#define SMTP_QUEUE_LEN 64
/* At exit, the time left to send what is pending. keepalived's vrrp
 * process runs 1 s more after its stop notifies (its
 * vrrp_shutdown_timer_thread), its mails sent side by side; ours go one
 * at a time, hence twice that. */
#define SMTP_DRAIN_MS 2000
/* keepalived's MAX_HEADERS_LENGTH and MAX_BODY_LENGTH */
#define SMTP_SUBJECT_MAX 256
#define SMTP_BODY_MAX 512

struct smtp_msg {
	char subject[SMTP_SUBJECT_MAX];
	char body[SMTP_BODY_MAX];
	time_t at; /* when it happened: its Date header */
};

/* Where the client is in its session. */
enum smtp_stage {
	SMTP_IDLE = 0,
	SMTP_CONNECT, /* connect() in progress */
	SMTP_REPLY,   /* waiting for the reply to step[cur] */
	SMTP_SEND,    /* step[cur]'s command partly sent */
};

/* One command and the reply it wants (the greeting: no command). */
struct smtp_step {
	size_t off, len; /* in smtp.script */
	int want;	 /* 220, 250, 354, 221 */
	const char *what;
};

struct smtp {
	struct loop *loop;
	void (*log)(void *log_arg, const char *line);
	void *log_arg;

	/* smtp_configure(): off unless both a server and an address */
	bool on;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char server[300]; /* "HOST:PORT", for the log */
	char router_id[256], helo[256], from[256];
	char **to;
	int nto;
	uint32_t timeout_ms;

	struct smtp_msg q[SMTP_QUEUE_LEN];
	unsigned int head, n;

	/* the session: its whole transcript made when it starts, so that a
	 * reload may change the settings under it */
	enum smtp_stage stage;
	struct loop_fd fd;
	struct loop_timer t;
	char *script;
	struct smtp_step *steps;
	int nsteps, cur;
	size_t sent;  /* of step[cur]'s command */
	char in[512]; /* the reply being read */
	size_t inlen;

	unsigned long nsent, nfailed, ndropped;
};

/* Set up @s, off, in @loop; @log gets each line (NULL: stderr). */
void smtp_init(struct smtp *s, struct loop *loop,
	       void (*log)(void *log_arg, const char *line), void *log_arg);
/*
 * Take @g's settings (start, reload). The server's name is resolved here,
 * not in the loop. Mail is on when notification_email has an address and
 * smtp_server is set (keepalived's rule). 0 or -errno (then off).
 */
int smtp_configure(struct smtp *s, const struct conf_global *g);
/* Messages not sent yet: queued, or in the session. */
unsigned int smtp_pending(const struct smtp *s);
/*
 * At exit: send what is pending for at most @max_ms, or
 * smtp_connect_timeout if smaller, in a loop of its own so that nothing
 * else of the daemon runs. A dead server costs the bound, no more; what
 * is left stays for smtp_fini() to drop and log. 0 or -errno of the loop.
 */
int smtp_drain(struct smtp *s, uint32_t max_ms);
/* Close the session, drop the queue (logged when it is not empty). */
void smtp_fini(struct smtp *s);

/* Queue @m (a no-op when off). The session starts at once if idle. */
void smtp_queue(struct smtp *s, const struct smtp_msg *m);

/* keepalived's "[ADDR]:tcp:PORT" of a service. */
void smtp_fmt_service(char *buf, size_t len, __be32 addr, __u16 port,
		      __u8 proto);
/* A real server's state change, found by @checker ("TCP_CHECK", ...). */
void smtp_msg_rs(struct smtp_msg *m, const char *router_id,
		 const struct conf_vs *vs, const struct conf_rs *rs, bool up,
		 const char *checker);
/* A virtual server's quorum change. */
void smtp_msg_vs(struct smtp_msg *m, const char *router_id,
		 const struct conf_vs *vs, bool up, uint32_t threshold,
		 uint64_t weight_sum);
/* A vrrp_instance's transition to @to (VRRP_STATE_INIT: stopping). */
void smtp_msg_vrrp(struct smtp_msg *m, const char *router_id, const char *iname,
		   enum vrrp_state to);
/* A vrrp_sync_group's transition to @to (VRRP_STATE_INIT: stopping). */
void smtp_msg_vgroup(struct smtp_msg *m, const char *router_id,
		     const char *gname, enum vrrp_state to);
/*
 * The DATA of @m, headers, body and the final ".": keepalived's, with the
 * date in local time. The length written, or -ENOSPC.
 */
int smtp_format_data(char *buf, size_t len, const struct smtp_msg *m,
		     const char *from, char *const *to, int nto);

#endif /* LBXDP_SMTP_H */
