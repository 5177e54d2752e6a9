/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Flow sync on the wire: lbxdp's own format (not IPVS's), one UDP datagram
 * a batch, pure code (unit-tested, fuzzed). All fields in network order:
 *
 *   header, 16 bytes: magic "LBFS", version 2, count (1-FSYNC_MAX_ENTRIES;
 *     0 in a control datagram, FSYNC_F_CTL, and only there), syncid
 *     (lvs_sync_daemon's id), flags (FSYNC_F_*; senders before them sent
 *     0, receivers before them ignore it), sequence (be64: the
 *     sender's CLOCK_REALTIME in us, or its last plus one if that is more,
 *     so that a restarted sender goes on after its last datagram; the
 *     receiver ages the entries by the time since: fsync_age_in_flight())
 *   a control datagram's payload instead of entries, 8 bytes: the join's
 *     nonce (be64), random to each wait of a joiner; its answer's end
 *     (FSYNC_F_JOINED) names the join it answers by it
 *   count entries of 64 bytes:
 *     0  family (2: IPv4), proto (6, 17), kind (LBXDP_SYNC_*), 0
 *     4  VIP port (0: every port), client port, destination port, 0 0
 *     12 age in ms (be32): idle time of the entry on the sender
 *     16 VIP address, 32 client address, 48 backend address (16 bytes
 *        each, IPv4 in the first 4, the rest zero)
 *   HMAC-SHA256 (32 bytes) of all that precedes it, under the shared key
 *
 * The backend goes by address: ids differ between two load balancers.
 */
#ifndef LBXDP_FSYNC_PKT_H
#define LBXDP_FSYNC_PKT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "flowsync.h"

#define FSYNC_MAGIC 0x4c424653U /* "LBFS" */
#define FSYNC_VERSION 2
#define FSYNC_HDR_LEN 16
#define FSYNC_ENTRY_LEN 64
#define FSYNC_MAC_LEN 32
#define FSYNC_CTL_LEN 8 /* a control datagram's payload: the nonce */
/* A batch fits a 1500-byte MTU with its IP and UDP headers: 1456 bytes. */
#define FSYNC_MAX_ENTRIES 22
#define FSYNC_MAX_LEN \
	(FSYNC_HDR_LEN + FSYNC_MAX_ENTRIES * FSYNC_ENTRY_LEN + FSYNC_MAC_LEN)
/* Sent by a master that steps down: a new master takes it (fsync.c). */
#define FSYNC_F_HANDOVER 0x01
/* Control datagrams, of no entry (receivers before them drop them as
 * "count"): a backup that starts asks the master for every live entry;
 * the master says when the pass that answers it is all sent, naming the
 * join by its nonce, so that a joiner takes no other's end, nor an end
 * replayed from an earlier wait. */
#define FSYNC_F_JOIN 0x02
#define FSYNC_F_JOINED 0x04
#define FSYNC_F_CTL (FSYNC_F_JOIN | FSYNC_F_JOINED)

#define FSYNC_KEY_MIN 16
#define FSYNC_KEY_MAX 64

struct fsync_key {
	uint8_t b[FSYNC_KEY_MAX];
	size_t len;
};

/* One batch, decoded or to encode. */
struct fsync_batch {
	uint8_t syncid;
	uint8_t flags; /* FSYNC_F_* */
	uint64_t seq;
	uint64_t nonce; /* a control datagram's (FSYNC_F_CTL), else 0 */
	int count;
	struct lbxdp_sync_entry e[FSYNC_MAX_ENTRIES];
};

/* Why a datagram is dropped, in the order decoding checks. */
enum fsync_drop {
	FSYNC_OK = 0,
	/* shorter than a header, or not what count (or a control
	 * datagram's payload) says */
	FSYNC_DROP_LENGTH,
	FSYNC_DROP_MAGIC,   /* not flow sync's */
	FSYNC_DROP_VERSION, /* another version */
	FSYNC_DROP_SYNCID,  /* another pair's (lvs_sync_daemon id) */
	/* more than FSYNC_MAX_ENTRIES; 0 but in a control datagram, or
	 * entries in one */
	FSYNC_DROP_COUNT,
	FSYNC_DROP_HMAC,  /* not made with our key */
	FSYNC_DROP_ENTRY, /* an entry's family, protocol, kind or address */
	FSYNC_DROP__MAX,
};

/* A short name for logs and counters ("hmac", "syncid", ...). */
const char *fsync_drop_name(enum fsync_drop r);

/*
 * The key from @path: its bytes, less trailing white space, 16 to 64 of
 * them. -EACCES for a file that group or others may read, -EINVAL for a
 * key too short or too long, -errno else.
 */
int fsync_key_load(const char *path, struct fsync_key *k);

/*
 * Encode @b into @buf, authenticated under @k. Returns the length, or
 * -EINVAL (count out of range for its flags, a key shorter than
 * FSYNC_KEY_MIN, an entry
 * that decoding would refuse) or -ENOSPC.
 */
int fsync_encode(const struct fsync_batch *b, const struct fsync_key *k,
		 uint8_t *buf, size_t len);

/*
 * Decode the datagram @pkt of @len bytes into @b: FSYNC_OK, or the reason
 * to drop it (then @b is undefined). Checks the syncid against @syncid and
 * the HMAC under @k (in constant time) before it reads an entry; never
 * reads past @len.
 */
enum fsync_drop fsync_decode(const uint8_t *pkt, size_t len, uint8_t syncid,
			     const struct fsync_key *k, struct fsync_batch *b);

/* How far a sender's clock may run ahead of the receiver's before its
 * last sequence no longer bounds the next. */
#define FSYNC_SKEW_US (60ULL * 1000000)

/*
 * Whether a receiver whose real-time clock reads @now_us takes sequence
 * @seq after @last (64 bits of us: no wrap): only after it, so that a
 * replayed or reordered batch is dropped; but where @last is ahead of
 * that clock by more than FSYNC_SKEW_US and @seq is within it, either
 * way, anew. A sender whose clock was ahead (a bad RTC) and was stepped
 * back would otherwise be dropped after its restart until its clock
 * passed where it was. Only a batch of the last FSYNC_SKEW_US could be
 * replayed so, as after the receiver's restart, aged by its sequence
 * (fsync_age_in_flight()).
 */
static inline int fsync_seq_fresh(uint64_t seq, uint64_t last, uint64_t now_us)
{
	uint64_t ahead = now_us + FSYNC_SKEW_US;

	return seq > last ||
	       (last > ahead && seq <= ahead && seq + FSYNC_SKEW_US >= now_us);
}

/*
 * Add to each entry's age the time @b spent since it was sent, by the
 * receiver's real-time clock @now_us (none if the sender's clock is
 * ahead): an entry is then no fresher than it was, so that a datagram
 * replayed after the receiver forgot its last sequence (a restart) only
 * installs what is still live. Saturates at the age's 32 bits.
 */
void fsync_age_in_flight(struct fsync_batch *b, uint64_t now_us);

/*
 * Whether a send's errno @err may last (no route, a firewall's drop:
 * EPERM), as against a full buffer, memory short for a moment, or a
 * signal.
 */
static inline bool fsync_err_lasting(int err)
{
	return err != EAGAIN && err != EWOULDBLOCK && err != ENOBUFS &&
	       err != ENOMEM && err != EINTR;
}

#endif /* LBXDP_FSYNC_PKT_H */
