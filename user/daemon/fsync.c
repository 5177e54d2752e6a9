// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "clock.h"
#include "fsync.h"
#include "log.h"
#include "records.h"
#include "service.h"

#define SCAN_CHUNK 4096
#define SCAN_STEP_MS 10	   /* between two chunks of a pass */
#define SCAN_RETRY_MS 1000 /* after a map error */
#define JOIN_RETRY_MS 1000 /* a join again, until answered */
/* A handover whose sends fail this long, none sent since (no route, a
 * firewall), ends: no use waiting out its bound. */
#define SEND_FAIL_MS 1000
/* Answers' ends queued at once (joins of as many LBs); past them the
 * oldest is dropped, and its joiner asks again. */
#define JOIN_ENDS 4
#define RECV_BURST 64 /* datagrams a wakeup: VRRP's adverts wait less */
/* The backup's receive buffer, which the kernel doubles: ~1800 datagrams
 * of 22 entries, 0.4 s of 100k new flows a second, for a loop that is
 * busy (a reload) when a burst comes. The default (rmem_default, 208 KiB)
 * held ~90. */
#define RCVBUF (2 << 20)

struct fsync {
	struct loop *l;
	struct lbxdp_ctx *c;
	struct fsync_opts o;
	struct sockaddr_in to;
	int fd;
	struct loop_fd fdh;
	struct ring_buffer *rb;
	/* The ring's own fd: the daemon closes and reopens its maps at each
	 * sync, and epoll forgets a closed file. */
	int ring_fd;
	struct loop_fd rbh;
	struct loop_timer tick, scan, join;
	bool master;
	/* Backup: waits (fsync_join_start()), and until when; asked
	 * (fsync_join()); answered. */
	bool join_tried, joining, join_sent, joined;
	__u64 join_until;
	/* The join's nonce, which its answer's end names; st.overflow when
	 * it was made: an answer the socket may have dropped from is asked
	 * for anew. */
	__u64 join_nonce, join_overflow;
	/* Master: a join heard, that the next pass answers (pending_nonce);
	 * this pass answers one (pass_nonce); passes whose entries are
	 * queued: an FSYNC_F_JOINED naming each goes once they are sent. */
	bool join_pending, join_pass;
	__u64 pending_nonce, pass_nonce;
	__u64 ends[JOIN_ENDS];
	int n_ends;
	__u64 join_seq; /* the last join's: replays are dropped */
	/* Handing over (master no more): the rest of the queue and one
	 * scan pass go out until leave_until. */
	bool leaving, pass_done;
	/* The first of the sends' lasting errors since the last send that
	 * went, and when (0: none): see SEND_FAIL_MS. */
	int send_err;
	__u64 send_fail_since;
	__u64 leave_until, master_since; /* loop ms */
	/* The master's queue: a ring of o.queue entries. */
	struct lbxdp_sync_entry *q;
	__u32 qhead, qlen;
	double tokens;
	__u64 tokens_ms;
	__u64 seq;
	/* The backup's replay check: the last sequence of the pair's master
	 * (the syncid's, whoever sends it). */
	bool have_last;
	__u64 last_seq;
	/* The master's view of the records, by id, as of config.gen. */
	bool view_ok;
	__u32 view_gen;
	struct lbxdp_vip_key *vkey; /* family 0: no VIP */
	__u32 *persist_sec;	    /* each VIP's, by id */
	struct lbxdp_backend *be;
	/* The refresh scan, a chunk a step: its map, cursor and start. */
	bool feed_on, scanning, scan_persist, scan_first;
	bool unnamed; /* the ring's events, read without the records */
	__u64 scan_batch, scan_now;
	__u32 scan_n;
	struct lbxdp_flow_walk scan_walk; /* the flows' */
	__u32 map_ids[3]; /* flows, persist, sync_ring: fsync_maps_changed() */
	/* The persistence scan's buffers, SCAN_CHUNK each. */
	struct lbxdp_persist_key *scan_pk;
	struct lbxdp_flow *scan_v;
	__u32 nvips, nbackends; /* what vkey and be hold */
	__u32 min_persist; /* the shortest persistence timeout, s; 0: none */
	struct lbxdp_sync_installer *inst;
	struct fsync_batch batch; /* the datagram sent or received */
	struct fsync_stats st;
};

static int view_refresh(struct fsync *f)
{
	struct lbxdp_ctx *c = f->c;
	struct lbxdp_vip_key k, nk;
	struct lbxdp_vip v;
	bool first = true;
	int err;

	err = lbxdp_config_read(c);
	if (err)
		return err;
	if (f->view_ok && f->view_gen == c->cfg.gen)
		return 0;
	/* Maps attached anew with other sizes: the daemon opens us again. */
	if (c->cfg.max_vips > f->nvips ||
	    lbxdp_nbackend_slots(&c->cfg) > f->nbackends)
		return -ERANGE;
	memset(f->vkey, 0, c->cfg.max_vips * sizeof(*f->vkey));
	memset(f->persist_sec, 0, c->cfg.max_vips * sizeof(*f->persist_sec));
	f->min_persist = 0;
	while (!bpf_map_get_next_key(c->fd[M_VIPS], first ? NULL : &k, &nk)) {
		first = false;
		k = nk;
		if (bpf_map_lookup_elem(c->fd[M_VIPS], &k, &v) ||
		    v.id >= c->cfg.max_vips)
			continue;
		f->vkey[v.id] = k;
		f->persist_sec[v.id] = v.persist_sec;
		if (v.persist_sec &&
		    (!f->min_persist || v.persist_sec < f->min_persist))
			f->min_persist = v.persist_sec;
	}
	err = lbxdp_array_read(c->fd[M_BACKENDS], f->be,
			       lbxdp_nbackend_slots(&c->cfg));
	if (err)
		return err;
	f->view_gen = c->cfg.gen;
	f->view_ok = true;
	return 0;
}

static bool push(struct fsync *f, const struct lbxdp_sync_entry *e)
{
	if (f->qlen == f->o.queue) {
		f->st.queue_full++;
		return false;
	}
	f->q[(f->qhead + f->qlen++) % f->o.queue] = *e;
	return true;
}

/* An entry for the backup from a flow (@vip_id NO_VIP: the backend's) or
 * persistence record, if its backend record and VIP are still its own. */
#define NO_VIP UINT32_MAX
static bool make_entry(struct fsync *f, __u32 vip_id, __u32 be_id, __u32 gen,
		       const __be32 client[4], __be16 sport, __be16 dport,
		       __u8 kind, __u64 idle_ns, struct lbxdp_sync_entry *e)
{
	const struct lbxdp_backend *be;

	if (be_id >= lbxdp_nbackend_slots(&f->c->cfg))
		return false;
	be = &f->be[be_id];
	if (vip_id == NO_VIP)
		vip_id = be->vip_id;
	if (!(be->flags & LBXDP_BE_F_USED) || be->gen != gen ||
	    be->vip_id != vip_id || vip_id >= f->c->cfg.max_vips ||
	    !f->vkey[vip_id].family)
		return false;
	memset(e, 0, sizeof(*e));
	e->vip = f->vkey[vip_id];
	memcpy(e->client, client, sizeof(e->client));
	e->sport = sport;
	e->dport = dport;
	memcpy(e->backend, be->addr, sizeof(e->backend));
	e->kind = kind;
	e->age_ms =
		idle_ns / 1000000 > UINT32_MAX ? UINT32_MAX : idle_ns / 1000000;
	return true;
}

static int on_event(void *ctx, void *data, size_t len)
{
	const struct lbxdp_sync_event *ev = data;
	struct fsync *f = ctx;
	struct lbxdp_sync_entry e;

	if (len < sizeof(*ev))
		return 0;
	if (f->unnamed) {
		f->st.unnamed++;
		return 0;
	}
	/* The event names its backend by address: the record may have
	 * changed since, the address is what the backup needs. */
	if (ev->vip_id >= f->nvips || ev->vip_id >= f->c->cfg.max_vips ||
	    !f->vkey[ev->vip_id].family)
		return 0;
	memset(&e, 0, sizeof(e));
	e.vip = f->vkey[ev->vip_id];
	memcpy(e.client, ev->key.src, sizeof(e.client));
	e.sport = ev->key.sport;
	e.dport = ev->key.dport;
	memcpy(e.backend, ev->backend_addr, sizeof(e.backend));
	e.kind = ev->kind;
	push(f, &e);
	return 0;
}

/* A sequence after the last: the clock's, or the last plus one. */
static __u64 next_seq(struct fsync *f)
{
	__u64 now_us = lbxdp_realtime_us();

	return now_us > f->seq ? now_us : f->seq + 1;
}

/* A datagram the socket refused (errno): counted; a lasting error kept. */
static void send_failed(struct fsync *f, int err)
{
	f->st.send_errors++;
	if (fsync_err_lasting(err) && !f->send_fail_since) {
		f->send_err = err;
		f->send_fail_since = loop_now(f->l);
	}
}

/* A control datagram (FSYNC_F_CTL): no entry, no token of the rate. */
static void send_ctl(struct fsync *f, uint8_t flags, __u64 nonce)
{
	struct fsync_batch *b = &f->batch;
	uint8_t buf[FSYNC_MAX_LEN];
	int len;

	memset(b, 0, sizeof(*b));
	b->syncid = f->o.syncid;
	b->flags = flags;
	b->seq = next_seq(f);
	b->nonce = nonce;
	len = fsync_encode(b, &f->o.key, buf, sizeof(buf));
	if (len < 0) {
		f->st.send_errors++;
		return;
	}
	if (sendto(f->fd, buf, len, 0, (struct sockaddr *)&f->to,
		   sizeof(f->to)) != len) {
		send_failed(f, errno);
		return;
	}
	f->send_fail_since = 0;
	f->seq = b->seq;
	f->st.datagrams++;
}

/*
 * Send what the rate allows from the queue, FSYNC_MAX_ENTRIES a datagram;
 * a last, partial one only with @flush (the tick's), so that datagrams
 * fill up between ticks. What the socket refuses stays queued for the
 * next tick.
 */
static void send_queued(struct fsync *f, bool flush)
{
	struct fsync_batch *b = &f->batch;
	__u64 now = loop_now(f->l);
	uint8_t buf[FSYNC_MAX_LEN];
	double burst = f->o.rate / 10.0 > FSYNC_MAX_ENTRIES ? f->o.rate / 10.0
							    : FSYNC_MAX_ENTRIES;
	int n, len, i;

	f->tokens += (double)(now - f->tokens_ms) * f->o.rate / 1000.0;
	f->tokens_ms = now;
	if (f->tokens > burst)
		f->tokens = burst;
	while (f->qlen && f->tokens >= 1) {
		n = f->qlen < FSYNC_MAX_ENTRIES ? (int)f->qlen
						: FSYNC_MAX_ENTRIES;
		if (n > f->tokens)
			n = (int)f->tokens;
		if (n < (int)FSYNC_MAX_ENTRIES && !flush)
			break;
		b->syncid = f->o.syncid;
		b->flags = f->leaving ? FSYNC_F_HANDOVER : 0;
		b->seq = next_seq(f);
		b->count = n;
		for (i = 0; i < n; i++)
			b->e[i] = f->q[(f->qhead + i) % f->o.queue];
		len = fsync_encode(b, &f->o.key, buf, sizeof(buf));
		if (len >= 0 &&
		    sendto(f->fd, buf, len, 0, (struct sockaddr *)&f->to,
			   sizeof(f->to)) != len) {
			send_failed(f, errno);
			break;
		}
		f->qhead = (f->qhead + n) % f->o.queue;
		f->qlen -= n;
		if (len < 0) { /* an entry the codec refuses: not sendable */
			f->st.send_errors++;
			continue;
		}
		f->send_fail_since = 0;
		f->seq = b->seq;
		f->tokens -= n;
		f->st.sent += n;
		f->st.datagrams++;
	}
}

/* The data plane's feed, read no more. */
static void ring_close(struct fsync *f)
{
	loop_fd_del(f->l, &f->rbh);
	ring_buffer__free(f->rb);
	f->rb = NULL;
	if (f->ring_fd >= 0)
		close(f->ring_fd);
	f->ring_fd = -1;
}

/* The handover is over: what it did not send is dropped. */
static void leave_end(struct fsync *f)
{
	loop_timer_cancel(f->l, &f->tick);
	loop_timer_cancel(f->l, &f->scan);
	f->leaving = f->pass_done = f->scanning = false;
	f->qlen = 0;
}

/* Read even without the records (the maps between two syncs): events left
 * in the ring would wake the level-triggered loop at every turn. Those
 * are dropped, counted; the next scan sends what lives. */
static void drain_ring(struct fsync *f)
{
	if (!f->rb)
		return;
	f->unnamed = view_refresh(f) != 0;
	ring_buffer__consume(f->rb);
	f->unnamed = false;
}

static void on_ring(struct loop_fd *h, uint32_t events)
{
	struct fsync *f = h->arg;

	drain_ring(f);
	send_queued(f, false);
}

static void on_tick(struct loop_timer *t)
{
	struct fsync *f = t->arg;
	int i;

	if (f->leaving && f->send_fail_since &&
	    loop_now(f->l) - f->send_fail_since >= SEND_FAIL_MS) {
		p_warn("flow sync: the handover cannot be sent (%s): ended, %u queued entries dropped",
		       strerror(f->send_err), f->qlen);
		f->st.handovers_refused++;
		leave_end(f);
		return;
	}
	if (f->leaving &&
	    (loop_now(f->l) >= f->leave_until || (f->pass_done && !f->qlen))) {
		leave_end(f);
		return;
	}
	if (!f->master && !f->leaving)
		return;
	drain_ring(f);
	send_queued(f, true);
	/* After the passes' last entries: the joiners may preempt now. */
	if (f->master && f->n_ends && !f->qlen) {
		for (i = 0; i < f->n_ends; i++)
			send_ctl(f, FSYNC_F_JOINED, f->ends[i]);
		f->n_ends = 0;
	}
	loop_timer_in(f->l, &f->tick, FSYNC_TICK_MS);
}

/* A quarter of the shortest timeout, idle or persistence, at least a
 * second: no entry's copy on the backup outlives its refresh. */
static __u64 scan_period_ms(const struct fsync *f)
{
	const struct lbxdp_config *cfg = &f->c->cfg;
	__u32 t = cfg->tcp_timeout < cfg->udp_timeout ? cfg->tcp_timeout
						      : cfg->udp_timeout;

	if (f->min_persist && f->min_persist < t)
		t = f->min_persist;
	return t >= 4 ? (__u64)t * 1000 / 4 : 1000;
}

/* A refresh scan's entry: sent again while live, idle or not, for the
 * backup may have lost it (restarted, or a datagram lost). */
static void scan_one(struct fsync *f, __u64 now, __u64 last_seen_ns,
		     __u64 timeout_ns, __u32 vip_id, __u32 be_id, __u32 gen,
		     const __be32 client[4], __be16 sport, __be16 dport,
		     __u8 kind)
{
	__u64 idle = now > last_seen_ns ? now - last_seen_ns : 0;
	struct lbxdp_sync_entry e;

	if (idle > timeout_ns || !make_entry(f, vip_id, be_id, gen, client,
					     sport, dport, kind, idle, &e))
		return;
	if (push(f, &e))
		f->st.refreshed++;
}

static int scan_flow(const struct lbxdp_flow_key *k, const struct lbxdp_flow *v,
		     void *arg)
{
	struct fsync *f = arg;

	scan_one(f, f->scan_now, v->last_seen_ns,
		 lbxdp_flow_timeout_ns(&f->c->cfg, k->proto), NO_VIP,
		 v->backend, v->gen, k->src, k->sport, k->dport,
		 LBXDP_SYNC_FLOW);
	return 0;
}

/*
 * One chunk of the refresh scan, which sends again every live entry, so
 * that the backup's copies stay as live as the master's and a backup that
 * lost some (a restart, a reboot, a datagram lost) has them again within
 * a period (a quarter of the shortest timeout): the flows, then the
 * persistence entries. *@done at the end of the pass.
 */
static int scan_chunk(struct fsync *f, bool *done)
{
	struct lbxdp_persist_key *pk = f->scan_pk;
	struct lbxdp_flow *v = f->scan_v;
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	__u32 n = f->scan_n, i;
	int r;

	f->scan_now = lbxdp_prog_now(f->c);
	if (!f->scan_persist) {
		r = lbxdp_flows_walk_step(f->c, &f->scan_walk, n, scan_flow, f);
		if (r < 0)
			return r;
		if (r) { /* the flows are done */
			f->scan_persist = true;
			f->scan_first = true;
		}
		return 0;
	}
	r = bpf_map_lookup_batch(f->c->fd[M_PERSIST],
				 f->scan_first ? NULL : &f->scan_batch,
				 &f->scan_batch, pk, v, &n, &o);
	if (r && errno != ENOENT)
		return -errno;
	f->scan_first = false;
	for (i = 0; i < n; i++) {
		if (pk[i].vip_id >= f->nvips)
			continue;
		scan_one(f, f->scan_now, v[i].last_seen_ns,
			 (__u64)f->persist_sec[pk[i].vip_id] * 1000000000ULL,
			 pk[i].vip_id, v[i].backend, v[i].gen, pk[i].client, 0,
			 0, LBXDP_SYNC_PERSIST);
	}
	*done = r; /* ENOENT: the persistence entries are done */
	return 0;
}

/* A pass that answered the join of @nonce is queued. */
static void end_add(struct fsync *f, __u64 nonce)
{
	if (f->n_ends == JOIN_ENDS) {
		f->n_ends--;
		memmove(f->ends, f->ends + 1, sizeof(f->ends[0]) * f->n_ends);
	}
	f->ends[f->n_ends++] = nonce;
}

/* Whether the answer to the join of @nonce is under way: scanned, or
 * queued as the rate allows. */
static bool answering(const struct fsync *f, __u64 nonce)
{
	int i;

	if (f->scanning && f->join_pass && f->pass_nonce == nonce)
		return true;
	for (i = 0; i < f->n_ends; i++)
		if (f->ends[i] == nonce)
			return true;
	return false;
}

/* A step of the scan, while the queue has room for a whole chunk: a pass
 * never holds the loop long, nor loses what the rate holds back. */
static void on_scan(struct loop_timer *t)
{
	struct fsync *f = t->arg;
	/* A handover races the new master's takeover: the shortest pause
	 * (0 would run it again in this turn of the loop, whose clock,
	 * and so the rate's tokens, stand still). */
	__u64 wait = f->leaving ? 1 : SCAN_STEP_MS;
	bool done = false;
	int err;

	if (!f->master && !f->leaving)
		return;
	if (!f->scanning) {
		f->scanning = true;
		/* A pass begun after a join answers it. */
		if (f->join_pending && !f->leaving) {
			f->join_pending = false;
			f->join_pass = true;
			f->pass_nonce = f->pending_nonce;
		}
		f->scan_persist = false;
		lbxdp_flows_walk_end(&f->scan_walk);
		f->scan_first = true;
	}
	err = view_refresh(f);
	if (!err && f->o.queue - f->qlen >= f->scan_n)
		err = scan_chunk(f, &done);
	if (err) {
		/* The maps between two syncs, or attached anew: again; a
		 * handover does not wait for them. */
		f->scanning = false;
		wait = SCAN_RETRY_MS;
		done = f->leaving;
	} else if (done) {
		f->scanning = false;
		wait = scan_period_ms(f);
		/* Its JOINED goes once the queue is sent. */
		if (f->join_pass && !f->leaving) {
			f->join_pass = false;
			end_add(f, f->pass_nonce);
			f->st.joins_answered++;
		}
		if (f->join_pending) /* heard during this pass */
			wait = SCAN_STEP_MS;
	}
	send_queued(f, false);
	/* A handover makes one pass; the tick ends it once sent. */
	if (f->leaving && done) {
		f->pass_done = true;
		return;
	}
	loop_timer_in(f->l, &f->scan, wait);
}

/* A backup asks for every live entry (again each second until answered):
 * a pass begun after this answers it. */
static void on_join(struct fsync *f, const struct fsync_batch *b)
{
	if (!f->master)
		return; /* another backup's */
	if (f->join_seq &&
	    !fsync_seq_fresh(b->seq, f->join_seq, lbxdp_realtime_us())) {
		f->st.replayed++;
		return;
	}
	f->join_seq = b->seq;
	f->st.joins++;
	/* The joiner's again (its nonce), its answer under way: that
	 * answers it. */
	if (answering(f, b->nonce))
		return;
	if (f->join_pending)
		return;
	f->join_pending = true;
	f->pending_nonce = b->nonce;
	/* Another's, during a pass that answers one: the next, at its end
	 * (a third LB's join: the pass under way began before it). */
	if (f->scanning && f->join_pass)
		return;
	/* Else a pass starts (again) now; before the feed is on, the first
	 * pass (fsync_feed_on()) answers. */
	f->scanning = false;
	if (f->feed_on)
		loop_timer_in(f->l, &f->scan, 0);
}

/* A nonce no other wait, of this LB or another, has: random; the
 * clock if the kernel has no randomness yet (early boot). */
static __u64 nonce_new(void)
{
	__u64 n;

	if (getrandom(&n, sizeof(n), GRND_NONBLOCK) != sizeof(n))
		n = lbxdp_realtime_us() ^ (__u64)getpid() << 40;
	return n;
}

static void join_send(struct fsync *f)
{
	__u64 now = loop_now(f->l);
	__u64 left = f->join_until > now ? f->join_until - now : 0;

	send_ctl(f, FSYNC_F_JOIN, f->join_nonce);
	f->st.joins_sent++;
	loop_timer_in(f->l, &f->join,
		      left < JOIN_RETRY_MS ? left : JOIN_RETRY_MS);
}

/* The end of our join's answer: every live entry is here, unless the
 * socket dropped some since the join was made; then a new join (a new
 * pass). */
static void on_joined(struct fsync *f)
{
	if (f->st.overflow != f->join_overflow) {
		f->st.join_overflowed++;
		p_warn("flow sync: the socket dropped datagrams during the join's answer (overflow %llu): asking again",
		       (unsigned long long)f->st.overflow);
		f->join_nonce = nonce_new();
		f->join_overflow = f->st.overflow;
		join_send(f);
		return;
	}
	f->joining = false;
	f->joined = true;
	f->st.joined_flows = f->st.install.flows;
	loop_timer_cancel(f->l, &f->join);
	p_info("flow sync: joined: the master sent every live entry (%llu flows, %llu persistence installed so far)",
	       (unsigned long long)f->st.install.flows,
	       (unsigned long long)f->st.install.persists);
}

static void on_recv(struct loop_fd *h, uint32_t events)
{
	struct fsync *f = h->arg;
	struct fsync_batch *b = &f->batch;
	uint8_t buf[FSYNC_MAX_LEN + 1];
	union {
		char b[CMSG_SPACE(sizeof(__u32))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct sockaddr_in from;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;
	enum fsync_drop r;
	uint64_t now_us;
	ssize_t n;
	__u32 drops;
	int k;

	/* The loop is level-triggered: what is left waits for the next turn. */
	for (k = 0; k < RECV_BURST; k++) {
		mh.msg_control = ctl.b;
		mh.msg_controllen = sizeof(ctl.b);
		mh.msg_name = &from;
		mh.msg_namelen = sizeof(from);
		n = recvmsg(f->fd, &mh, 0);
		if (n < 0)
			return;
		/* SO_RXQ_OVFL: the socket's drops (a full buffer) so far, as
		 * of this datagram's arrival */
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level != SOL_SOCKET ||
			    cm->cmsg_type != SO_RXQ_OVFL)
				continue;
			memcpy(&drops, CMSG_DATA(cm), sizeof(drops));
			if (drops > f->st.overflow)
				f->st.overflow = drops;
		}
		r = fsync_decode(buf, (size_t)n, f->o.syncid, &f->o.key, b);
		if (r != FSYNC_OK) {
			f->st.dropped[r]++;
			continue;
		}
		if (b->flags & FSYNC_F_JOIN) {
			on_join(f, b);
			continue;
		}
		/* A new master takes its old one's handover, then no more,
		 * nor a peer's other datagrams (two masters): its own
		 * entries are what its data plane placed. */
		if (f->master &&
		    (!(b->flags & FSYNC_F_HANDOVER) ||
		     loop_now(f->l) - f->master_since >=
			     f->o.handover_ms + FSYNC_HANDOVER_SLACK_MS)) {
			f->st.not_backup++;
			continue;
		}
		now_us = lbxdp_realtime_us();
		if (f->have_last &&
		    !fsync_seq_fresh(b->seq, f->last_seq, now_us)) {
			f->st.replayed++;
			continue;
		}
		f->have_last = true;
		f->last_seq = b->seq;
		f->st.received++;
		if (f->master)
			f->st.handover++;
		fsync_age_in_flight(b, now_us);
		if (b->count &&
		    lbxdp_sync_install(f->c, f->inst, b->e, (size_t)b->count,
				       lbxdp_prog_now(f->c), &f->st.install))
			f->st.install_errors++;
		if ((b->flags & FSYNC_F_JOINED) && f->joining && f->join_sent &&
		    b->nonce == f->join_nonce)
			on_joined(f);
	}
}

/* Again each second until answered (no master yet, or a join or its
 * answer lost: a busy master's other datagrams say nothing of it); the
 * wait ends at join_until. */
static void on_join_timer(struct loop_timer *t)
{
	struct fsync *f = t->arg;

	if (!f->joining)
		return;
	if (loop_now(f->l) >= f->join_until) {
		f->joining = false;
		f->st.join_unanswered++;
		if (f->join_sent)
			p_warn("flow sync: no master answered the join within %u ms (no lbxdp master with flow sync, an older lbxdp, or its answer lost): preemption waits no more",
			       f->o.handover_ms);
		else
			p_warn("flow sync: the servers were not all in the maps within %u ms: no join; preemption waits no more",
			       f->o.handover_ms);
		return;
	}
	if (f->join_sent)
		join_send(f);
	else /* not asked yet: only the bound */
		loop_timer_at(f->l, &f->join, f->join_until);
}

static int sock_open(struct fsync *f)
{
	struct sockaddr_in any = {
		.sin_family = AF_INET,
		.sin_port = htons(f->o.bind_port ? f->o.bind_port : f->o.port),
	};
	struct ip_mreqn mr = {.imr_ifindex = f->o.ifindex};
	int one = 1, ttl = 1, off = 0, sndbuf = 1 << 20, rcvbuf = RCVBUF;
	socklen_t len = sizeof(int);
	int got = 0;
	bool mcast = IN_MULTICAST(ntohl(f->to.sin_addr.s_addr));
	char ifname[IF_NAMESIZE];

	f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f->fd < 0)
		return -errno;
	if (setsockopt(f->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		return -errno;
	/* A burst of the rate's is more than the default buffer holds (the
	 * kernel caps it at wmem_max: best effort). */
	setsockopt(f->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	/* Past rmem_max (root, CAP_NET_ADMIN), else as far as it allows. */
	if (setsockopt(f->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf))) {
		setsockopt(f->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			   sizeof(rcvbuf));
		if (getsockopt(f->fd, SOL_SOCKET, SO_RCVBUF, &got, &len) ||
		    got / 2 < rcvbuf)
			p_warn("flow sync: the receive buffer is %d bytes, not %d: net.core.rmem_max caps it (no CAP_NET_ADMIN)",
			       got / 2, rcvbuf);
	}
	/* What the socket drops (a full buffer), told with each datagram
	 * after it. */
	if (setsockopt(f->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)))
		p_warn("flow sync: its socket's drops go uncounted: %s",
		       strerror(errno));
	/* Only the sync interface's datagrams: the clients' side may not
	 * make the backup hash floods. */
	if (f->o.ifindex && if_indextoname(f->o.ifindex, ifname) &&
	    setsockopt(f->fd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
		       strlen(ifname) + 1))
		return -errno;
	any.sin_addr.s_addr = mcast ? f->to.sin_addr.s_addr : f->o.source;
	if (bind(f->fd, (struct sockaddr *)&any, sizeof(any)))
		return -errno;
	if (!mcast)
		return 0;
	mr.imr_multiaddr = f->to.sin_addr;
	mr.imr_address.s_addr = f->o.source;
	if (setsockopt(f->fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) ||
	    setsockopt(f->fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)) ||
	    setsockopt(f->fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl,
		       sizeof(ttl)) ||
	    setsockopt(f->fd, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof(off)))
		return -errno;
	return 0;
}

/* The kernel's ids of the maps flow sync reads and writes. */
static void map_ids(const struct lbxdp_ctx *c, __u32 ids[3])
{
	static const int m[3] = {M_FLOWS, M_PERSIST, M_SYNC_RING};
	struct bpf_map_info info;
	__u32 len;
	int i;

	for (i = 0; i < 3; i++) {
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		ids[i] = 0;
		if (c->fd[m[i]] >= 0 &&
		    !bpf_obj_get_info_by_fd(c->fd[m[i]], &info, &len))
			ids[i] = info.id;
	}
}

bool fsync_maps_changed(const struct fsync *f)
{
	__u32 now[3];

	map_ids(f->c, now);
	/* (no ids: the maps are not open now; nothing to compare) */
	return (now[0] || now[1] || now[2]) &&
	       memcmp(now, f->map_ids, sizeof(now));
}

int fsync_open(struct fsync **out, struct loop *l, struct lbxdp_ctx *c,
	       const struct fsync_opts *o)
{
	struct fsync *f;
	int err;

	*out = NULL;
	if (c->fd[M_SYNC_RING] < 0 || c->fd[M_SYNC_STATS] < 0) {
		p_err("the maps in %s lack flow sync's ring (made by an older lbxdp): run 'lbxdp attach IFACE' again to create it",
		      c->pin_dir);
		return -EOPNOTSUPP;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->l = l;
	f->c = c;
	f->o = *o;
	f->fd = f->ring_fd = -1;
	f->fdh.fd = f->rbh.fd = -1;
	if (!f->o.port)
		f->o.port = FSYNC_DEF_PORT;
	if (!f->o.dest)
		f->o.dest = htonl(FSYNC_DEF_GROUP);
	if (!f->o.rate)
		f->o.rate = FSYNC_DEF_RATE;
	if (!f->o.queue)
		f->o.queue = FSYNC_DEF_QUEUE;
	if (!f->o.handover_ms)
		f->o.handover_ms = FSYNC_HANDOVER_MS;
	f->to.sin_family = AF_INET;
	f->to.sin_port = htons(f->o.port);
	f->to.sin_addr.s_addr = f->o.dest;
	loop_timer_init(&f->tick, on_tick, f);
	loop_timer_init(&f->scan, on_scan, f);
	loop_timer_init(&f->join, on_join_timer, f);
	f->q = calloc(f->o.queue, sizeof(*f->q));
	f->scan_n = f->o.queue < SCAN_CHUNK ? f->o.queue : SCAN_CHUNK;
	f->nvips = c->cfg.max_vips ? c->cfg.max_vips : 1;
	f->nbackends = lbxdp_nbackend_slots(&c->cfg);
	f->vkey = calloc(f->nvips, sizeof(*f->vkey));
	f->persist_sec = calloc(f->nvips, sizeof(*f->persist_sec));
	f->be = calloc(f->nbackends, sizeof(*f->be));
	f->scan_pk = calloc(SCAN_CHUNK, sizeof(*f->scan_pk));
	f->scan_v = calloc(SCAN_CHUNK, sizeof(*f->scan_v));
	if (!f->q || !f->vkey || !f->persist_sec || !f->be || !f->scan_pk ||
	    !f->scan_v)
		err = -ENOMEM;
	else
		err = lbxdp_sync_installer_new(&f->inst);
	if (!err) {
		err = sock_open(f);
		if (err)
			p_err("flow sync: cannot open its UDP socket on port %u: %s",
			      f->o.port, strerror(-err));
	}
	if (!err)
		err = loop_fd_add(l, &f->fdh, f->fd, EPOLLIN, on_recv, f);
	if (!err)
		map_ids(c, f->map_ids);
	if (err) {
		fsync_close(f);
		return err;
	}
	*out = f;
	return 0;
}

/*
 * Master no more: the queue and one scan pass go out, as the rate allows,
 * for up to o.handover_ms, to a new master that takes them for as long
 * after its start (on_recv()). Flows placed here in the last moments (the
 * ring's events not read yet) or since the peer listened (it may preempt
 * as soon as it is back) keep their servers there. The caller turns the
 * feed off: the pass reads the table.
 */
static void leave(struct fsync *f)
{
	drain_ring(f); /* the flows most at risk, first */
	ring_close(f);
	f->feed_on = f->scanning = f->pass_done = false;
	f->join_pending = f->join_pass = false;
	f->n_ends = 0;
	f->leaving = true;
	f->leave_until = loop_now(f->l) + f->o.handover_ms;
	if (loop_timer_in(f->l, &f->scan, 0) ||
	    loop_timer_in(f->l, &f->tick, FSYNC_TICK_MS))
		leave_end(f);
}

int fsync_set_master(struct fsync *f, bool master)
{
	int err;

	if (master == f->master)
		return 0;
	f->master = master;
	if (!master) {
		leave(f);
		return 0;
	}
	/* A handover of ours cut short: the new mastership scans anew. */
	leave_end(f);
	/* Nothing to wait for now, nor after: it has the flows. */
	f->join_tried = true;
	f->joining = false;
	loop_timer_cancel(f->l, &f->join);
	f->join_pending = f->join_pass = false;
	f->n_ends = 0;
	f->master_since = loop_now(f->l);
	f->ring_fd = fcntl(f->c->fd[M_SYNC_RING], F_DUPFD_CLOEXEC, 0);
	if (f->ring_fd < 0) {
		err = -errno;
		goto fail;
	}
	f->rb = ring_buffer__new(f->ring_fd, on_event, f, NULL);
	if (!f->rb) {
		err = -errno;
		goto fail;
	}
	/* Events of an earlier mastership are stale: the scan sends what
	 * lives. */
	ring_buffer__consume(f->rb);
	f->qlen = 0;
	f->tokens_ms = loop_now(f->l);
	err = loop_fd_add(f->l, &f->rbh, ring_buffer__epoll_fd(f->rb), EPOLLIN,
			  on_ring, f);
	if (!err)
		err = loop_timer_in(f->l, &f->tick, FSYNC_TICK_MS);
	if (!err)
		return 0;
fail:
	p_err("flow sync: cannot read the data plane's feed: %s",
	      strerror(-err));
	f->master = false;
	ring_close(f);
	leave_end(f);
	return err;
}

void fsync_stop(struct fsync *f)
{
	struct loop *home, own;

	if (!f || (!f->master && !f->leaving) || loop_init(&own))
		return;
	/* Only the handover runs now: the daemon's loop is done. */
	home = f->l;
	loop_fd_del(home, &f->fdh);
	loop_timer_cancel(home, &f->tick);
	loop_timer_cancel(home, &f->scan);
	loop_fd_del(home, &f->rbh); /* leave() reads the ring, then frees it */
	f->l = &own;
	if (f->master) {
		f->master = false;
		leave(f);
	} else if (loop_timer_in(&own, &f->tick, 0) ||
		   (!f->pass_done && loop_timer_in(&own, &f->scan, 0))) {
		leave_end(f); /* one under way could not go on */
	}
	/* Bounded: the tick ends it at leave_until. */
	while (f->leaving && !loop_run_once(&own, -1))
		;
	leave_end(f);
	f->l = home;
	loop_fini(&own);
}

void fsync_join_start(struct fsync *f)
{
	if (f->master || f->join_tried)
		return;
	f->join_tried = f->joining = true;
	f->join_until = loop_now(f->l) + f->o.handover_ms;
	f->join_nonce = nonce_new();
	loop_timer_at(f->l, &f->join, f->join_until);
}

bool fsync_join(struct fsync *f)
{
	fsync_join_start(f);
	if (!f->joining || f->join_sent)
		return false;
	f->join_sent = true;
	/* drops before the ask are no answer's */
	f->join_overflow = f->st.overflow;
	join_send(f);
	return true;
}

bool fsync_is_joining(const struct fsync *f)
{
	return f->joining;
}

bool fsync_has_joined(const struct fsync *f)
{
	return f->joined;
}

bool fsync_is_leaving(const struct fsync *f)
{
	return f->leaving;
}

void fsync_feed_on(struct fsync *f)
{
	if (!f->master || f->feed_on)
		return;
	f->feed_on = true;
	loop_timer_in(f->l, &f->scan, 0);
}

bool fsync_is_master(const struct fsync *f)
{
	return f->master;
}

void fsync_get_stats(const struct fsync *f, struct fsync_stats *st)
{
	*st = f->st;
}

void fsync_close(struct fsync *f)
{
	if (!f)
		return;
	if (f->leaving)
		p_warn("flow sync: a handover cut short (%u entries unsent)",
		       f->qlen);
	loop_timer_cancel(f->l, &f->tick);
	loop_timer_cancel(f->l, &f->scan);
	loop_timer_cancel(f->l, &f->join);
	ring_close(f);
	loop_fd_del(f->l, &f->fdh);
	if (f->fd >= 0)
		close(f->fd);
	lbxdp_sync_installer_free(f->inst);
	free(f->q);
	free(f->vkey);
	free(f->persist_sec);
	free(f->be);
	lbxdp_flows_walk_end(&f->scan_walk);
	free(f->scan_pk);
	free(f->scan_v);
	explicit_bzero(&f->o.key, sizeof(f->o.key));
	free(f);
}
