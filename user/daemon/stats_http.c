// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The stats page's HTTP server: libmicrohttpd with a thread per connection
 * (bounded), so that a slow client, the delay after a wrong password or a
 * big flow table to count never reaches the daemon's loop. A thread asks
 * the loop for a snapshot through an eventfd and waits for it (bounded);
 * it reads the maps through its own descriptors, and acts as the CLI
 * does: an admin's action is "lbxdp backend set" under the writer lock.
 */
#define _GNU_SOURCE /* gettid */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include "maps.h"
#include "service.h"
#include "daemon/stats.h"
#include "daemon/stats_guard.h"

#define CONN_LIMIT 64	  /* connections, each a thread */
#define PER_IP_LIMIT 16	  /* of them from one address */
#define CONN_TIMEOUT_S 10 /* an idle connection is closed */
#define SNAP_FRESH_MS 100 /* a snapshot younger than this is reused */
#define SNAP_WAIT_MS 1000 /* the loop answers within this, or stale */
#define BAD_AUTH_DELAY_MS 1000
#define BODY_MAX 4096		/* an admin action's form */
#define SAMPLE_NS 1000000000ULL /* the maps are read at most this often */
#define STATS_NICE 10		/* the server's threads yield to the loop */
#define ACT_LOCK_WAIT_MS 1000	/* an action waits this for the writer lock */
#define HELD_WAIT_MS 2000	/* a reload's commit comes within this */
#define CRYPT_LIMIT 2		/* logins checking hashed passwords at once */

/* What the server's threads read of the maps, kept for a second (a
 * scrape of every server costs a read of each record and of the flow
 * table) and for rates. */
struct sample {
	uint64_t ns;
	__u64 reasons[LBXDP_NR_COUNTERS];
	struct lbxdp_vip_entry *v;
	size_t nv;
	struct lbxdp_backend_entry *b;
	size_t nb;
};

struct st_server {
	struct conf_stats cs; /* a copy: the conf may go on a reload */
	char *pin_dir;
	bool use_syslog;
	int lfd; /* the listening socket: ours; MHD has its own dup */
	int mfd; /* MHD's, until it stops (quiesced: ours to close) */
	struct MHD_Daemon *mhd;
	struct st_guard *guard; /* the request deadline */
	char *tls_cert, *tls_key;
	unsigned char csrf_key[32];

	int efd; /* eventfd: a thread wants a snapshot */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct snap_ref *snap; /* the loop's latest */
	uint64_t snap_at;      /* CLOCK_MONOTONIC ms it came */
	bool held;	       /* prepared, not committed: requests wait */
	bool kick;	       /* an action changed the maps: sync first */
	uint64_t seq;	       /* snapshots fed */
	bool stopping;
	bool hashed;  /* an auth line's password is a crypt() hash */
	int crypting; /* logins in st_auth(), of CRYPT_LIMIT */

	pthread_mutex_t map_mu; /* the maps' fds and the samples */
	struct lbxdp_ctx c;
	bool c_open;
	struct sample prev, cur; /* the last two, SAMPLE_NS apart or more */
};

/* A snapshot is read by several threads: copied outside the lock, so
 * that the loop never waits for a thread at nice 10. */
struct snap_ref {
	struct st_snap *s;
	int refs; /* under st_server.mu */
};

static void ref_put(struct st_server *sv, struct snap_ref *r);

/* A request's state between libmicrohttpd's calls. */
struct req {
	char body[BODY_MAX + 1];
	size_t len;
	bool too_big;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void slog(const struct st_server *sv, int pri, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void slog(const struct st_server *sv, int pri, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	if (sv->use_syslog) {
		syslog(pri, "%.*s", n, line);
		return;
	}
	line[n++] = '\n';
	/* one write: lines of threads are never interleaved */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[400];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = 0;
	slog(cls, LOG_WARNING, "stats: %s", line);
}

/* ---- the loop's snapshot ---- */

void st_server_feed(struct st_server *sv, struct st_snap *s)
{
	struct snap_ref *r, *old = NULL;
	uint64_t v;

	/* the eventfd's count: every waiter is answered by this one */
	if (read(sv->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		slog(sv, LOG_ERR, "stats: eventfd: %s", strerror(errno));
	r = s ? malloc(sizeof(*r)) : NULL;
	if (r) {
		r->s = s;
		r->refs = 1;
	} else {
		st_snap_free(s);
	}
	pthread_mutex_lock(&sv->mu);
	if (r) {
		old = sv->snap;
		sv->snap = r;
		sv->snap_at = mono_ms();
	}
	sv->seq++;
	pthread_cond_broadcast(&sv->cv);
	pthread_mutex_unlock(&sv->mu);
	ref_put(sv, old);
}

bool st_server_take_kick(struct st_server *sv)
{
	bool k;

	pthread_mutex_lock(&sv->mu);
	k = sv->kick;
	sv->kick = false;
	pthread_mutex_unlock(&sv->mu);
	return k;
}

int st_server_fd(const struct st_server *sv)
{
	return sv->efd;
}

static struct st_snap *snap_dup(const struct st_snap *s)
{
	struct st_snap *o = malloc(sizeof(*o));
	int i;

	if (!o)
		return NULL;
	*o = *s;
	o->vs = calloc(s->nvs ? s->nvs : 1, sizeof(*o->vs));
	o->vrrp = calloc(s->nvrrp ? s->nvrrp : 1, sizeof(*o->vrrp));
	o->nvs = 0;
	if (!o->vs || !o->vrrp)
		goto nomem;
	memcpy(o->vrrp, s->vrrp, s->nvrrp * sizeof(*o->vrrp));
	for (i = 0; i < s->nvs; i++, o->nvs++) {
		o->vs[i] = s->vs[i];
		o->vs[i].rs = malloc((s->vs[i].nrs ? s->vs[i].nrs : 1) *
				     sizeof(*o->vs[i].rs));
		if (!o->vs[i].rs)
			goto nomem;
		memcpy(o->vs[i].rs, s->vs[i].rs,
		       s->vs[i].nrs * sizeof(*o->vs[i].rs));
	}
	return o;
nomem:
	st_snap_free(o);
	return NULL;
}

static void ref_put(struct st_server *sv, struct snap_ref *r)
{
	bool last;

	if (!r)
		return;
	pthread_mutex_lock(&sv->mu);
	last = !--r->refs;
	pthread_mutex_unlock(&sv->mu);
	if (last) {
		st_snap_free(r->s);
		free(r);
	}
}

/* A copy of a snapshot at most SNAP_FRESH_MS old, asked of the loop;
 * the last one if the loop does not answer in time; NULL: none. */
static struct st_snap *snap_get(struct st_server *sv)
{
	struct st_snap *s = NULL;
	struct snap_ref *r;
	struct timespec ts;
	uint64_t want, end;
	__u64 one = 1;

	pthread_mutex_lock(&sv->mu);
	if (!sv->snap || mono_ms() - sv->snap_at > SNAP_FRESH_MS) {
		want = sv->seq + 1;
		if (write(sv->efd, &one, sizeof(one)) < 0)
			slog(sv, LOG_ERR, "stats: eventfd: %s",
			     strerror(errno));
		end = mono_ms() + SNAP_WAIT_MS;
		ts.tv_sec = end / 1000;
		ts.tv_nsec = (end % 1000) * 1000000;
		while (sv->seq < want && !sv->stopping &&
		       pthread_cond_timedwait(&sv->cv, &sv->mu, &ts) !=
			       ETIMEDOUT)
			;
	}
	r = sv->snap;
	if (r)
		r->refs++;
	pthread_mutex_unlock(&sv->mu);
	if (r)
		s = snap_dup(r->s);
	ref_put(sv, r);
	return s;
}

/* ---- the maps' side ---- */

static void sample_free(struct sample *m)
{
	free(m->v);
	free(m->b);
	memset(m, 0, sizeof(*m));
}

static double per_s(__u64 cur, __u64 old, double secs)
{
	/* a counter that went down was reset: its record was reused */
	return (cur >= old ? (double)(cur - old) : (double)cur) / secs;
}

static void rates(struct st_ctr *m, const struct lbxdp_counters *old,
		  double secs)
{
	if (!old || secs <= 0)
		return;
	m->have_rate = true;
	m->pps = per_s(m->c.packets, old->packets, secs);
	m->bps = per_s(m->c.bytes, old->bytes, secs) * 8;
	m->nfps = per_s(m->c.new_flows, old->new_flows, secs);
}

static const struct lbxdp_vip_entry *vip_of(const struct sample *m,
					    const struct lbxdp_vip_key *key)
{
	size_t i;

	for (i = 0; i < m->nv; i++)
		if (!memcmp(&m->v[i].key, key, sizeof(*key)))
			return &m->v[i];
	return NULL;
}

/* Backend entries are sorted by id (lbxdp_backend_list's order). */
static const struct lbxdp_backend_entry *be_of(const struct sample *m, __u32 id,
					       __u32 gen)
{
	size_t lo = 0, hi = m->nb;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (m->b[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->nb && m->b[lo].id == id && m->b[lo].be.gen == gen
		       ? &m->b[lo]
		       : NULL;
}

static const struct lbxdp_backend_entry *be_by_addr(const struct sample *m,
						    __u32 vip_id, __be32 addr)
{
	size_t i;

	for (i = 0; i < m->nb; i++)
		if (m->b[i].be.vip_id == vip_id &&
		    m->b[i].be.family == LBXDP_AF_INET &&
		    m->b[i].be.addr[0] == addr)
			return &m->b[i];
	return NULL;
}

static int be_cmp(const void *a, const void *b)
{
	const struct lbxdp_backend_entry *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int sample_take(struct st_server *sv, struct sample *m)
{
	__u64 words[LBXDP_STATS_WORDS];
	int err;

	memset(m, 0, sizeof(*m));
	if (!sv->c_open) {
		err = lbxdp_open(&sv->c, sv->pin_dir, false);
		if (err)
			return err;
		sv->c_open = true;
	}
	m->ns = lbxdp_now_ns();
	err = lbxdp_percpu_sum(&sv->c, M_STATS, 0, words, LBXDP_STATS_WORDS);
	if (!err)
		err = lbxdp_vip_list(&sv->c, &m->v, &m->nv);
	if (!err)
		err = lbxdp_backend_list(&sv->c, -1, &m->b, &m->nb);
	if (err) {
		sample_free(m);
		/* reopened next time: a re-attach may have replaced them */
		lbxdp_close(&sv->c);
		sv->c_open = false;
		return err;
	}
	qsort(m->b, m->nb, sizeof(*m->b), be_cmp);
	memcpy(m->reasons, words, sizeof(m->reasons));
	return 0;
}

/* Counters, rates and flows of @s's servers from the maps: read again
 * when the last read is a second old, rates between the last two. */
static void maps_fill(struct st_server *sv, struct st_snap *s)
{
	const struct sample *cur = &sv->cur, *old;
	struct sample next;
	double secs = 0;
	int i, k, err;

	pthread_mutex_lock(&sv->map_mu);
	if (!cur->ns || lbxdp_now_ns() - cur->ns >= SAMPLE_NS) {
		err = sample_take(sv, &next);
		if (err) {
			sample_free(&sv->prev);
			sample_free(&sv->cur);
			snprintf(s->maps_err, sizeof(s->maps_err),
				 "the pinned maps of %s: %s", sv->pin_dir,
				 strerror(-err));
			goto out;
		}
		sample_free(&sv->prev);
		sv->prev = sv->cur;
		sv->cur = next;
	}
	s->maps_ok = true;
	memcpy(s->reasons, cur->reasons, sizeof(s->reasons));
	old = sv->prev.ns ? &sv->prev : NULL;
	if (old)
		secs = (cur->ns - old->ns) / 1e9;
	for (i = 0; i < s->nvs; i++) {
		struct st_vs *v = &s->vs[i];
		const struct lbxdp_vip_entry *ve = vip_of(cur, &v->key), *vo;

		if (!ve)
			continue;
		v->m.valid = true;
		v->m.c = ve->ctr;
		vo = old ? vip_of(old, &v->key) : NULL;
		if (vo && vo->vip.id == ve->vip.id)
			rates(&v->m, &vo->ctr, secs);
		for (k = 0; k < v->nrs; k++) {
			struct st_rs *r = &v->rs[k];
			const struct lbxdp_backend_entry *be, *bo;

			be = r->id ? be_of(cur, r->id, r->gen) : NULL;
			if (!be)
				be = be_by_addr(cur, ve->vip.id, r->addr);
			if (!be)
				continue;
			r->m.valid = true;
			r->m.c = be->ctr;
			r->m.active = be->active;
			r->m.flows = be->flows;
			v->m.active += be->active;
			v->m.flows += be->flows;
			bo = old ? be_of(old, be->id, be->be.gen) : NULL;
			if (bo)
				rates(&r->m, &bo->ctr, secs);
		}
	}
out:
	pthread_mutex_unlock(&sv->map_mu);
}

/* ---- responses ---- */

static enum MHD_Result send_buf(struct MHD_Connection *conn,
				unsigned int status, const char *type,
				char *buf, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(
		r, "Content-Security-Policy",
		"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *conn,
				 unsigned int status, const char *text)
{
	char *b = strdup(text);

	return b ? send_buf(conn, status, "text/plain; charset=utf-8", b,
			    strlen(b))
		 : MHD_NO;
}

static void client_ip(struct MHD_Connection *conn, char *ip, size_t len)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr_in *sin;

	snprintf(ip, len, "?");
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr || ci->client_addr->sa_family != AF_INET)
		return;
	sin = (const struct sockaddr_in *)ci->client_addr;
	inet_ntop(AF_INET, &sin->sin_addr, ip, len);
}

/* Sleep up to @ms, woken early by a stop. */
static void nap(struct st_server *sv, unsigned int ms)
{
	uint64_t end = mono_ms() + ms;
	struct timespec ts = {.tv_sec = end / 1000,
			      .tv_nsec = (end % 1000) * 1000000};

	pthread_mutex_lock(&sv->mu);
	while (!sv->stopping &&
	       pthread_cond_timedwait(&sv->cv, &sv->mu, &ts) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&sv->mu);
}

/*
 * A turn at the hashed passwords, false when the server stops first. A
 * yescrypt hash takes 16 MiB and ~20 ms at its default cost, more at a
 * higher one: 64 connections hashing wrong passwords at once would take
 * a GiB of the LB's memory, and its CPUs from the loop.
 */
static bool crypt_enter(struct st_server *sv)
{
	bool ok;

	pthread_mutex_lock(&sv->mu);
	while (!sv->stopping && sv->crypting >= CRYPT_LIMIT)
		pthread_cond_wait(&sv->cv, &sv->mu);
	ok = !sv->stopping;
	if (ok)
		sv->crypting++;
	pthread_mutex_unlock(&sv->mu);
	return ok;
}

static void crypt_leave(struct st_server *sv)
{
	pthread_mutex_lock(&sv->mu);
	sv->crypting--;
	/* cv's other waiters check what they wait for again */
	pthread_cond_broadcast(&sv->cv);
	pthread_mutex_unlock(&sv->mu);
}

/* The user of a request, or NULL after queueing a 401 (a 503 when the
 * server stops meanwhile). */
static enum MHD_Result auth(struct st_server *sv, struct MHD_Connection *conn,
			    char **user, bool *admin, bool *done)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *pass = NULL, ip[INET_ADDRSTRLEN];
	bool ok, stopped = false;

	*done = false;
	*user = MHD_basic_auth_get_username_password(conn, &pass);
	if (!sv->hashed || !*user || !pass) {
		ok = st_auth(&sv->cs, *user, pass, admin);
	} else if (crypt_enter(sv)) {
		ok = st_auth(&sv->cs, *user, pass, admin);
		crypt_leave(sv);
	} else {
		ok = false;
		*admin = false;
		stopped = true;
	}
	if (pass) {
		OPENSSL_cleanse(pass, strlen(pass));
		MHD_free(pass);
	}
	if (ok)
		return MHD_YES;
	if (stopped) {
		/* no verdict on these credentials: no 401, no log line */
		MHD_free(*user);
		*user = NULL;
		*done = true;
		return send_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				 "503 the server is stopping\n");
	}
	if (!*user &&
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_AUTHORIZATION)) {
		/* Credentials it cannot decode (libmicrohttpd says why): a
		 * failed login too, or a client could try them, and have
		 * the library log, as fast as it sends. */
		nap(sv, BAD_AUTH_DELAY_MS);
	} else if (*user) {
		char name[65];
		size_t i;

		/* the name only, never a password (even a wrong one), and
		 * printable: a client's newline must not forge a log line */
		for (i = 0; i < sizeof(name) - 1 && (*user)[i]; i++)
			name[i] = (*user)[i] < ' ' || (*user)[i] == 127
					  ? '?'
					  : (*user)[i];
		name[i] = 0;
		client_ip(conn, ip, sizeof(ip));
		slog(sv, LOG_WARNING,
		     "stats: authentication failed for user '%s' from %s", name,
		     ip);
		MHD_free(*user);
		*user = NULL;
		nap(sv, BAD_AUTH_DELAY_MS);
	}
	*done = true;
	r = MHD_create_response_from_buffer(strlen("401 Unauthorized\n"),
					    (void *)"401 Unauthorized\n",
					    MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain");
	ret = MHD_queue_basic_auth_fail_response(conn, sv->cs.realm, r);
	MHD_destroy_response(r);
	return ret;
}

static void csrf_token(const struct st_server *sv, const char *user,
		       char out[65])
{
	unsigned char mac[32];
	unsigned int len = sizeof(mac), i;

	HMAC(EVP_sha256(), sv->csrf_key, sizeof(sv->csrf_key),
	     (const unsigned char *)user, strlen(user), mac, &len);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

typedef int render_fn(FILE *out, const struct st_snap *s, const void *arg);

static int r_html(FILE *out, const struct st_snap *s, const void *arg)
{
	return st_html(out, s, arg);
}

static int r_csv(FILE *out, const struct st_snap *s, const void *arg)
{
	return st_csv(out, s);
}

static int r_json(FILE *out, const struct st_snap *s, const void *arg)
{
	return st_json(out, s, *(const bool *)arg);
}

static int r_metrics(FILE *out, const struct st_snap *s, const void *arg)
{
	return st_metrics(out, s);
}

static enum MHD_Result view(struct st_server *sv, struct MHD_Connection *conn,
			    const char *type, render_fn *fn, const void *arg)
{
	struct st_snap *s = snap_get(sv);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	if (!s)
		return send_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				 "503 the daemon has not answered yet\n");
	maps_fill(sv, s);
	st_proc_read(&s->proc);
	f = open_memstream(&buf, &len);
	if (!f) {
		st_snap_free(s);
		return MHD_NO;
	}
	err = fn(f, s, arg);
	if (fclose(f) || err) {
		st_snap_free(s);
		free(buf);
		return send_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				 "500 out of memory\n");
	}
	st_snap_free(s);
	return send_buf(conn, MHD_HTTP_OK, type, buf, len);
}

/* ---- admin actions ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Field @name of an application/x-www-form-urlencoded @body, decoded
 * into @out; -ENOENT, -EINVAL (bad escape), -E2BIG. */
static int form_field(const char *body, const char *name, char *out, size_t len)
{
	size_t nl = strlen(name), o = 0;
	const char *p = body;

	while (p && *p) {
		if (!strncmp(p, name, nl) && p[nl] == '=') {
			for (p += nl + 1; *p && *p != '&'; p++) {
				int c = (unsigned char)*p, h, l;

				if (c == '+') {
					c = ' ';
				} else if (c == '%') {
					h = hexval(p[1]);
					l = h < 0 ? -1 : hexval(p[2]);
					if (l < 0)
						return -EINVAL;
					c = h * 16 + l;
					p += 2;
				}
				if (!c || o + 1 >= len)
					return -E2BIG;
				out[o++] = (char)c;
			}
			out[o] = 0;
			return 0;
		}
		p = strchr(p, '&');
		if (p)
			p++;
	}
	return -ENOENT;
}

static bool snap_has_rs(const struct st_snap *s,
			const struct lbxdp_vip_key *key, __be32 addr)
{
	int i, k;

	for (i = 0; s && i < s->nvs; i++) {
		if (memcmp(&s->vs[i].key, key, sizeof(*key)))
			continue;
		for (k = 0; k < s->vs[i].nrs; k++)
			if (s->vs[i].rs[k].addr == addr &&
			    s->vs[i].rs[k].state != ST_SORRY)
				return true;
	}
	return false;
}

/* The form's action, done as "lbxdp backend set" would: 0 or -errno,
 * @what says what for the log. */
static int act(struct st_server *sv, const struct req *rq, const char *user,
	       char *what, size_t wlen)
{
	struct lbxdp_backend_change ch = {.weight = -1, .up = -1};
	char tok[65], got[80], svc[LBXDP_SVC_STRLEN], rs[32], a[16], w[16];
	char err_s[128];
	struct lbxdp_vip_key key = {};
	__be32 addr[4];
	struct lbxdp_ctx c;
	struct st_snap *s;
	__u8 fam;
	__u32 wt = 0;
	bool known;
	int err;

	snprintf(what, wlen, "a malformed form");
	csrf_token(sv, user, tok);
	if (form_field(rq->body, "csrf", got, sizeof(got)) ||
	    strlen(got) != 64 || CRYPTO_memcmp(got, tok, 64)) {
		snprintf(what, wlen, "a form without its CSRF token");
		return -EPERM;
	}
	if (form_field(rq->body, "svc", svc, sizeof(svc)) ||
	    form_field(rq->body, "rs", rs, sizeof(rs)) ||
	    form_field(rq->body, "action", a, sizeof(a)))
		return -EINVAL;
	if (lbxdp_parse_service(svc, &key, err_s, sizeof(err_s)) ||
	    lbxdp_parse_addr(rs, addr, &fam) || fam != LBXDP_AF_INET)
		return -EINVAL;
	if (!strcmp(a, "drain")) {
		ch.weight = 0;
	} else if (!strcmp(a, "maint")) {
		ch.up = 0;
	} else if (!strcmp(a, "weight")) {
		if (form_field(rq->body, "weight", w, sizeof(w)) ||
		    lbxdp_parse_u32(w, 0, LBXDP_MAX_WEIGHT, &wt))
			return -EINVAL;
		ch.weight = (int)wt;
	} else if (strcmp(a, "ready")) {
		return -EINVAL;
	}
	if (ch.weight > 0)
		snprintf(what, wlen, "weight %u of %s %s", wt, svc, rs);
	else
		snprintf(what, wlen, "%s of %s %s", a, svc, rs);
	/* only the daemon's own servers: the page shows no others */
	s = snap_get(sv);
	known = snap_has_rs(s, &key, addr[0]);
	st_snap_free(s);
	if (!known)
		return -ENOENT;
	/* the loop's priority while holding the writer lock, which the
	 * daemon's syncs try; a bounded wait, as a stop waits for us */
	setpriority(PRIO_PROCESS, (id_t)gettid(), 0);
	err = lbxdp_open_wait(&c, sv->pin_dir, true, ACT_LOCK_WAIT_MS);
	if (!err) {
		/* as open_writer(): what a killed writer left, first */
		lbxdp_repair(&c, true);
		if (!strcmp(a, "ready"))
			err = lbxdp_backend_auto(&c, &key, addr);
		else
			err = lbxdp_backend_set_op(&c, &key, addr, &ch);
		lbxdp_close(&c);
	}
	setpriority(PRIO_PROCESS, (id_t)gettid(), STATS_NICE);
	return err;
}

/* A browser's POST says where its form was (Origin): it must be this
 * server's page, whatever the token (defence in depth for CSRF). No
 * Origin (curl, old browsers): the token alone. */
static bool same_origin(struct MHD_Connection *conn)
{
	const char *o =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
	const char *h =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
	const char *p;

	if (!o)
		return true;
	p = strstr(o, "://");
	return h && p && !strcmp(p + 3, h);
}

static enum MHD_Result post(struct st_server *sv, struct MHD_Connection *conn,
			    const struct req *rq, const char *user, bool admin)
{
	char what[160], ip[INET_ADDRSTRLEN], loc[300];
	struct MHD_Response *r;
	enum MHD_Result ret;
	int err;

	client_ip(conn, ip, sizeof(ip));
	if (!admin) {
		slog(sv, LOG_WARNING,
		     "stats: user '%s' from %s is not an admin: action refused",
		     user, ip);
		return send_text(conn, MHD_HTTP_FORBIDDEN,
				 "403 not an admin user\n");
	}
	if (rq->too_big)
		return send_text(conn, 413, "413 form too large\n");
	if (!same_origin(conn)) {
		slog(sv, LOG_WARNING,
		     "stats: %s from %s: a form posted from another site: refused",
		     user, ip);
		return send_text(conn, MHD_HTTP_FORBIDDEN,
				 "403 a form of another site\n");
	}
	err = act(sv, rq, user, what, sizeof(what));
	if (!err) {
		__u64 one = 1;

		/* the page after the redirect shows it: the loop syncs (it
		 * polls the maps once a second) before its next snapshot */
		pthread_mutex_lock(&sv->mu);
		sv->kick = true;
		sv->snap_at = 0;
		pthread_mutex_unlock(&sv->mu);
		if (write(sv->efd, &one, sizeof(one)) < 0)
			slog(sv, LOG_ERR, "stats: eventfd: %s",
			     strerror(errno));
	}
	slog(sv, err ? LOG_WARNING : LOG_NOTICE, "stats: %s from %s: %s: %s",
	     user, ip, what, err ? strerror(-err) : "done");
	if (err == -EPERM)
		return send_text(
			conn, MHD_HTTP_FORBIDDEN,
			"403 the form's CSRF token is wrong: reload the page\n");
	if (err == -EINVAL || err == -ENOENT)
		return send_text(
			conn, MHD_HTTP_BAD_REQUEST,
			"400 not a server of the page, or a bad action\n");
	/* back to the page (POST, redirect, GET): a reload does not repeat */
	snprintf(loc, sizeof(loc), "%s?action=%s", sv->cs.uri,
		 err ? "failed" : "done");
	r = MHD_create_response_from_buffer(0, (void *)"",
					    MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Location", loc);
	ret = MHD_queue_response(conn, MHD_HTTP_SEE_OTHER, r);
	MHD_destroy_response(r);
	return ret;
}

/* Whether @sv serves: a reload's new server waits for its commit (its
 * configuration may yet be refused), a stopped one never does. */
static bool live(struct st_server *sv)
{
	uint64_t end = mono_ms() + HELD_WAIT_MS;
	struct timespec ts = {.tv_sec = end / 1000,
			      .tv_nsec = (end % 1000) * 1000000};
	bool ok;

	pthread_mutex_lock(&sv->mu);
	while (sv->held && !sv->stopping &&
	       pthread_cond_timedwait(&sv->cv, &sv->mu, &ts) != ETIMEDOUT)
		;
	ok = !sv->held && !sv->stopping;
	pthread_mutex_unlock(&sv->mu);
	return ok;
}

/* GET of the page (@tail ""), its exports (";csv", ";json") or /metrics;
 * @user (NULL: no auth lines) has passed. */
static enum MHD_Result get(struct st_server *sv, struct MHD_Connection *conn,
			   const char *tail, bool metrics, const char *user,
			   bool admin)
{
	const struct conf_stats *cs = &sv->cs;
	char tok[65], notice[64];
	struct st_page pg;
	const char *res;

	if (metrics)
		return view(sv, conn,
			    "text/plain; version=0.0.4; charset=utf-8",
			    r_metrics, NULL);
	if (!strcmp(tail, ";csv"))
		return view(sv, conn, "text/csv; charset=utf-8", r_csv, NULL);
	if (!strcmp(tail, ";json"))
		return view(sv, conn, "application/json", r_json,
			    &cs->hide_version);
	memset(&pg, 0, sizeof(pg));
	pg.uri = cs->uri;
	pg.refresh_ms = cs->refresh_ms;
	pg.hide_version = cs->hide_version;
	pg.user = user;
	if (user && admin) {
		csrf_token(sv, user, tok);
		pg.csrf = tok;
	}
	res = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
					  "action");
	if (res && (!strcmp(res, "done") || !strcmp(res, "failed"))) {
		snprintf(notice, sizeof(notice), "the last action %s%s", res,
			 strcmp(res, "done") ? ": see the daemon's log" : "");
		pg.notice = notice;
	}
	return view(sv, conn, "text/html; charset=utf-8", r_html, &pg);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_len, void **con_cls)
{
	struct st_server *sv = cls;
	struct req *rq = *con_cls;
	const struct conf_stats *cs = &sv->cs;
	size_t ul = strlen(cs->uri);
	bool is_get = !strcmp(method, MHD_HTTP_METHOD_GET) ||
		      !strcmp(method, MHD_HTTP_METHOD_HEAD);
	bool is_post = !strcmp(method, MHD_HTTP_METHOD_POST);
	bool metrics = !strcmp(url, "/metrics"), admin = false, done;
	bool page = !strncmp(url, cs->uri, ul) &&
		    (!url[ul] || !strcmp(url + ul, ";csv") ||
		     !strcmp(url + ul, ";json"));
	enum MHD_Result ret = MHD_YES;
	char *user = NULL;

	/* the request is here, or its headers: ours to answer, untimed */
	st_guard_waiting(sv->guard, conn, false);
	/* a connection's thread: below the loop, whose checks and adverts
	 * must not wait for a page (per thread on Linux; cheap) */
	if (!rq) {
		setpriority(PRIO_PROCESS, (id_t)gettid(), STATS_NICE);
		if (!live(sv))
			return send_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
					 "503 the daemon is reloading\n");
	}
	if (!page && !metrics)
		return send_text(conn, MHD_HTTP_NOT_FOUND, "404 not found\n");
	if (!is_get && !(is_post && page && !url[ul]))
		return send_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				 "405 method not allowed\n");
	if (!rq) {
		/* the first call: headers only */
		if (cs->nusers && (page || cs->metrics_auth)) {
			ret = auth(sv, conn, &user, &admin, &done);
			if (done)
				return ret;
		}
		if (is_get) {
			ret = get(sv, conn, url + ul, metrics, user, admin);
			if (user)
				MHD_free(user);
			return ret;
		}
		if (user)
			MHD_free(user);
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		st_guard_waiting(sv->guard, conn, true); /* for the body */
		return MHD_YES;
	}
	if (*upload_len) {
		if (rq->len + *upload_len > BODY_MAX)
			rq->too_big = true;
		else
			memcpy(rq->body + rq->len, upload, *upload_len);
		if (!rq->too_big)
			rq->len += *upload_len;
		*upload_len = 0;
		st_guard_waiting(sv->guard, conn, true);
		return MHD_YES;
	}
	rq->body[rq->len] = 0;
	if (!cs->nusers)
		return send_text(conn, MHD_HTTP_FORBIDDEN,
				 "403 no auth line: no admin actions\n");
	ret = auth(sv, conn, &user, &admin, &done);
	if (done)
		return ret;
	ret = post(sv, conn, rq, user, admin);
	MHD_free(user);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct st_server *sv = cls;

	st_guard_done(sv->guard, conn);
	free(*con_cls);
	*con_cls = NULL;
}

/* ---- start and stop ---- */

static int read_file(const char *path, char **out)
{
	FILE *f = fopen(path, "re");
	size_t n, cap = 1 << 20;
	char *b;
	int err = 0;

	if (!f)
		return -errno;
	b = malloc(cap + 1);
	if (!b) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(b, 1, cap, f);
	if (ferror(f))
		err = -EIO;
	else if (!feof(f))
		err = -EFBIG;
	fclose(f);
	if (err) {
		free(b);
		return err;
	}
	b[n] = 0;
	*out = b;
	return 0;
}

static void wipe_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

static void cs_free(struct conf_stats *cs)
{
	int i;

	for (i = 0; i < cs->nusers; i++) {
		free(cs->users[i].name);
		wipe_free(cs->users[i].pass);
	}
	free(cs->users);
	free(cs->uri);
	free(cs->realm);
	free(cs->cert);
	free(cs->key);
	memset(cs, 0, sizeof(*cs));
}

static int cs_copy(struct conf_stats *o, const struct conf_stats *cs)
{
	int i;

	*o = *cs;
	o->users = calloc(cs->nusers ? cs->nusers : 1, sizeof(*o->users));
	o->nusers = 0;
	o->uri = strdup(cs->uri);
	o->realm = strdup(cs->realm);
	o->cert = cs->cert ? strdup(cs->cert) : NULL;
	o->key = cs->key ? strdup(cs->key) : NULL;
	if (!o->users || !o->uri || !o->realm || !!o->cert != !!cs->cert ||
	    !!o->key != !!cs->key)
		return -ENOMEM;
	for (i = 0; i < cs->nusers; i++, o->nusers++) {
		o->users[i] = cs->users[i];
		o->users[i].name = strdup(cs->users[i].name);
		o->users[i].pass = strdup(cs->users[i].pass);
		if (!o->users[i].name || !o->users[i].pass) {
			o->nusers++;
			return -ENOMEM;
		}
	}
	return 0;
}

static int listen_on(const struct conf_stats *cs, int *fd)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons(cs->bind_port),
				  .sin_addr.s_addr = cs->bind_addr};
	int s, one = 1, err;

	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -errno;
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s, (struct sockaddr *)&sin, sizeof(sin)) || listen(s, 64)) {
		err = -errno;
		close(s);
		return err;
	}
	*fd = s;
	return 0;
}

static void sv_free(struct st_server *sv)
{
	st_guard_stop(sv->guard);
	if (sv->efd >= 0)
		close(sv->efd);
	if (sv->lfd >= 0)
		close(sv->lfd);
	if (sv->c_open)
		lbxdp_close(&sv->c);
	sample_free(&sv->prev);
	sample_free(&sv->cur);
	ref_put(sv, sv->snap);
	cs_free(&sv->cs);
	free(sv->pin_dir);
	wipe_free(sv->tls_key);
	free(sv->tls_cert);
	OPENSSL_cleanse(sv->csrf_key, sizeof(sv->csrf_key));
	pthread_cond_destroy(&sv->cv);
	pthread_mutex_destroy(&sv->mu);
	pthread_mutex_destroy(&sv->map_mu);
	free(sv);
}

int st_server_start(const struct conf_stats *cs, const char *pin_dir,
		    bool use_syslog, const struct st_server *old,
		    struct st_server **out, FILE *errf)
{
	unsigned int flags = MHD_USE_THREAD_PER_CONNECTION |
			     MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ITC |
			     MHD_USE_ERROR_LOG;
	struct st_server *sv = calloc(1, sizeof(*sv));
	pthread_condattr_t ca;
	char a[INET_ADDRSTRLEN];
	int err, i;

	if (!sv)
		return -ENOMEM;
	sv->efd = sv->lfd = sv->mfd = -1;
	sv->held = true;
	pthread_mutex_init(&sv->mu, NULL);
	pthread_mutex_init(&sv->map_mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sv->cv, &ca);
	pthread_condattr_destroy(&ca);
	sv->use_syslog = use_syslog;
	inet_ntop(AF_INET, &cs->bind_addr, a, sizeof(a));
	err = cs_copy(&sv->cs, cs);
	sv->pin_dir = strdup(pin_dir);
	if (err || !sv->pin_dir) {
		err = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < sv->cs.nusers; i++)
		sv->hashed |= sv->cs.users[i].hashed;
	if (getrandom(sv->csrf_key, sizeof(sv->csrf_key), 0) !=
	    sizeof(sv->csrf_key)) {
		err = -EIO;
		goto fail;
	}
	if (cs->cert) {
		err = read_file(cs->cert, &sv->tls_cert);
		if (err) {
			fprintf(errf, "%s:%d: error: certificate %s: %s\n",
				cs->cert_at.file, cs->cert_at.line, cs->cert,
				strerror(-err));
			goto fail;
		}
		err = read_file(cs->key, &sv->tls_key);
		if (err) {
			fprintf(errf, "%s:%d: error: key %s: %s\n",
				cs->cert_at.file, cs->cert_at.line, cs->key,
				strerror(-err));
			goto fail;
		}
		flags |= MHD_USE_TLS;
	}
	sv->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (sv->efd < 0) {
		err = -errno;
		goto fail;
	}
	/* the same address: share the old server's socket, so that a
	 * reload never refuses a connection */
	if (old && old->cs.bind_addr == cs->bind_addr &&
	    old->cs.bind_port == cs->bind_port) {
		sv->lfd = fcntl(old->lfd, F_DUPFD_CLOEXEC, 3);
		err = sv->lfd < 0 ? -errno : 0;
	} else {
		err = listen_on(cs, &sv->lfd);
	}
	if (err) {
		fprintf(errf,
			"%s:%d: error: lbxdp_stats: cannot listen on %s:%u: %s\n",
			cs->at.file, cs->at.line, a, cs->bind_port,
			strerror(-err));
		goto fail;
	}
	err = st_guard_start(cs->request_timeout_ms, &sv->guard);
	if (err)
		goto fail;
	/* MHD closes the socket it is given, even when it fails to start */
	sv->mfd = fcntl(sv->lfd, F_DUPFD_CLOEXEC, 3);
	if (sv->mfd < 0) {
		err = -errno;
		goto fail;
	}
	{
		/* the logger first: MHD's own reports go to ours */
		struct MHD_OptionItem o[] = {
			{MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, sv},
			{MHD_OPTION_LISTEN_SOCKET, sv->mfd, NULL},
			{MHD_OPTION_CONNECTION_LIMIT, CONN_LIMIT, NULL},
			{MHD_OPTION_PER_IP_CONNECTION_LIMIT, PER_IP_LIMIT,
			 NULL},
			{MHD_OPTION_CONNECTION_TIMEOUT, CONN_TIMEOUT_S, NULL},
			{MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed, sv},
			{MHD_OPTION_NOTIFY_CONNECTION,
			 (intptr_t)st_guard_notify, sv->guard},
			/* plain HTTP: the list ends before the TLS items */
			{sv->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT
				      : MHD_OPTION_END,
			 0, sv->tls_cert},
			{MHD_OPTION_HTTPS_MEM_KEY, 0, sv->tls_key},
			{MHD_OPTION_END, 0, NULL},
		};

		sv->mhd = MHD_start_daemon(flags, cs->bind_port, NULL, NULL,
					   handle, sv, MHD_OPTION_ARRAY, o,
					   MHD_OPTION_END);
	}
	if (!sv->mhd) {
		fprintf(errf,
			"%s:%d: error: lbxdp_stats: the HTTP server on %s:%u did not start%s\n",
			cs->at.file, cs->at.line, a, cs->bind_port,
			sv->tls_cert
				? " (is the certificate a PEM one, and the key its key?)"
				: "");
		err = -EINVAL;
		goto fail;
	}
	slog(sv, LOG_INFO, "stats: serving %s%s:%u%s and /metrics",
	     sv->tls_cert ? "https://" : "http://", a, cs->bind_port, cs->uri);
	*out = sv;
	return 0;
fail:
	sv_free(sv);
	return err;
}

void st_server_commit(struct st_server *sv)
{
	pthread_mutex_lock(&sv->mu);
	sv->held = false;
	pthread_cond_broadcast(&sv->cv);
	pthread_mutex_unlock(&sv->mu);
}

/* MHD_stop_daemon() waits for the connections' threads: an action
 * waiting for the writer lock, a count of a big flow table. */
static void *reap(void *arg)
{
	struct st_server *sv = arg;

	MHD_stop_daemon(sv->mhd);
	sv_free(sv);
	return NULL;
}

void st_server_stop(struct st_server *sv, bool wait)
{
	pthread_attr_t at;
	pthread_t t;
	int fd;

	if (!sv)
		return;
	pthread_mutex_lock(&sv->mu);
	sv->stopping = true;
	pthread_cond_broadcast(&sv->cv);
	pthread_mutex_unlock(&sv->mu);
	/* no new connection from here (a new server shares the socket);
	 * MHD_USE_ITC: quiescing does not shut the shared socket down */
	fd = MHD_quiesce_daemon(sv->mhd);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	if (!wait && !pthread_attr_init(&at)) {
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		if (!pthread_create(&t, &at, reap, sv)) {
			pthread_attr_destroy(&at);
			return;
		}
		pthread_attr_destroy(&at);
	}
	reap(sv);
}
