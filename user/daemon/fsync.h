/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Flow sync in the daemon (keepalived's lvs_sync_daemon, lbxdp's own
 * format, daemon/fsync_pkt.h): while master, the new flow and persistence
 * entries the data plane reports (map "sync_ring") are sent to the backup,
 * batched, bounded in rate, and every live entry is sent again once a
 * quarter of its timeout so that the backup's copy does not expire; while
 * backup, what arrives is installed (lbxdp_sync_install()). UDP on the
 * sync interface: to a multicast group (IPVS's 224.0.0.81 by default,
 * TTL 1) or a unicast peer.
 *
 * The daemon (dfsync.c) calls fsync_set_master() on each transition of
 * the instance that lvs_sync_daemon names (any instance if it names none).
 */
#ifndef LBXDP_FSYNC_H
#define LBXDP_FSYNC_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "fsync_pkt.h"
#include "loop.h"
#include "maps.h"

#define FSYNC_DEF_PORT 8848	    /* IPVS's */
#define FSYNC_DEF_GROUP 0xe0000051U /* 224.0.0.81, IPVS's, host order */
#define FSYNC_DEF_RATE 200000U	    /* entries a second, at most */
#define FSYNC_DEF_QUEUE 65536U	    /* entries waiting for the rate */
#define FSYNC_TICK_MS 20	    /* sends and ring reads at least */
/* How long a master that steps down goes on sending (its queue, then a
 * scan pass): 2M flows at the default rate. A new master takes a
 * handover's datagrams for FSYNC_HANDOVER_SLACK_MS more, as the old one
 * begins after it. */
#define FSYNC_HANDOVER_MS 10000U
#define FSYNC_HANDOVER_SLACK_MS 2000U

struct fsync_opts {
	int ifindex; /* the sync interface */
	uint8_t syncid;
	uint16_t port;	    /* 0: FSYNC_DEF_PORT */
	uint16_t bind_port; /* to receive on; 0: port (another: tests) */
	__be32 dest;	    /* multicast group or unicast peer; 0: the group */
	__be32 source;	/* to send from (and, unicast, to receive on); 0: any */
	uint32_t rate;	/* 0: FSYNC_DEF_RATE */
	uint32_t queue; /* 0: FSYNC_DEF_QUEUE */
	uint32_t handover_ms; /* 0: FSYNC_HANDOVER_MS */
	struct fsync_key key;
};

struct fsync_stats {
	__u64 sent, datagrams; /* entries and datagrams sent */
	__u64 queue_full;      /* entries dropped: the rate held them */
	__u64 unnamed;	       /* events dropped: the maps could not be read */
	__u64 refreshed;       /* entries sent again by the refresh scan */
	__u64 send_errors;     /* datagrams the socket refused */
	__u64 received;	       /* datagrams that decoded */
	__u64 dropped[FSYNC_DROP__MAX]; /* by reason */
	__u64 replayed;			/* a sequence not after the last one */
	/* a peer's datagrams dropped while master: no handover's, or
	 * past its window */
	__u64 not_backup;
	__u64 handover; /* of those received, a handover's taken as master */
	__u64 handovers_refused; /* ended early: the system refused sends */
	/* datagrams the socket dropped (its buffer full: the loop behind;
	 * a bad checksum too) */
	__u64 overflow;
	__u64 install_errors;  /* datagrams a map error cut short */
	__u64 joins_sent;      /* backup: joins asked */
	__u64 join_unanswered; /* backup: waits for the answer that ran out */
	__u64 joined_flows;    /* backup: install.flows when JOINED came */
	__u64 join_overflowed; /* backup: asked anew, the socket overflowed */
	__u64 joins;	       /* master: joins heard */
	__u64 joins_answered;  /* master: passes that answered one, queued */
	struct lbxdp_sync_install_stats install;
};

struct fsync;

/*
 * Flow sync on @c's maps, in loop @l, as a backup (receiving) until
 * fsync_set_master(). @c stays the caller's and must outlive it. -errno,
 * printed: the socket, the maps of an older attach (-EOPNOTSUPP).
 */
int fsync_open(struct fsync **out, struct loop *l, struct lbxdp_ctx *c,
	       const struct fsync_opts *o);

/*
 * Master: the data plane's events and the refresh scan sent, and for
 * o.handover_ms (and FSYNC_HANDOVER_SLACK_MS) what the master before
 * sends in its handover (FSYNC_F_HANDOVER) installed.
 * Backup: what arrives installed; a master that steps down hands over
 * (sends what it holds and one scan pass) for up to o.handover_ms.
 * Idempotent. -errno, printed. The caller switches the data plane's feed
 * to match (lbxdp_sync_feed_set(), writer lock held).
 */
int fsync_set_master(struct fsync *f, bool master);

/*
 * A backup that opened (a daemon that starts, or opened its flow sync
 * anew) lacks the flows placed before: it waits for them, from now for
 * o.handover_ms at most (fsync_is_joining()). Once per @f, and not once
 * it has been master.
 */
void fsync_join_start(struct fsync *f);
/*
 * Its maps hold its servers now: it asks the master for every live entry
 * (FSYNC_F_JOIN), again each second, until the end of the pass that
 * answers (FSYNC_F_JOINED) or of the wait. Starts the wait if need be.
 * Returns whether it asked just now (not while asked, nor once done).
 */
bool fsync_join(struct fsync *f);
/* Whether @f waits for the answer: its peer's VRRP preemption waits. */
bool fsync_is_joining(const struct fsync *f);
/* Whether the master said it has sent every live entry since the join. */
bool fsync_has_joined(const struct fsync *f);

/* Whether @f is master. */
bool fsync_is_master(const struct fsync *f);

/* Whether @f, master no more, still hands its flows over. */
bool fsync_is_leaving(const struct fsync *f);

/*
 * The data plane's feed is on now: the master's first refresh scan
 * starts, so that it sees every flow the feed did not report (those of
 * before, and of the moments the flag took). Idempotent.
 */
void fsync_feed_on(struct fsync *f);

/* Whether the maps @f opened on were pinned anew since (a re-attach):
 * its ring and installer read the old ones; the caller opens it again. */
bool fsync_maps_changed(const struct fsync *f);

void fsync_get_stats(const struct fsync *f, struct fsync_stats *st);

/*
 * The daemon stops: a master hands over at once (a handover under way
 * goes on), in a loop of its own, and returns when done, o.handover_ms
 * after its start at most. Nothing is received after. The caller then
 * closes @f and turns the feed off. NULL ok.
 */
void fsync_stop(struct fsync *f);

/* Leaves the feed as it is (the caller turns it off, lock held); NULL ok. */
void fsync_close(struct fsync *f);

#endif /* LBXDP_FSYNC_H */
