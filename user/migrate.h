/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * attach's upgrade of the maps pinned by the previous ABI (DESIGN.md §3):
 * the maps whose layout changed (flows, config) are made anew, config's
 * values and the live flows carried into them, every other map kept as it
 * is, and the program is swapped in on the pinned link. The old flows and
 * config are first pinned again under DIR/abi3, which stays until the
 * swap is done: every attach that finds it resumes from it, and every other
 * command refuses the pin directory meanwhile. All with the writer lock held.
 */
#ifndef LBXDP_MIGRATE_H
#define LBXDP_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "lbxdp/abi.h"

/* The one older ABI that attach upgrades, and where its maps wait (no dot:
 * bpffs refuses every name with one). */
#define LBXDP_MIGRATE_ABI 3
#define LBXDP_MIGRATE_DIR "abi3"
#define PATH_MAX_MIGRATE 4096

struct bpf_object;

struct lbxdp_migration {
	char pin_dir[256];
	char src[PATH_MAX_MIGRATE]; /* where the old maps are pinned */
	bool staged;		    /* the old maps are pinned under DIR/abi3 */
	/* The old config as this ABI's: the table's shape and a new seed. */
	struct lbxdp_config cfg;
	__u64 flows;   /* live flows copied into the new table */
	__u64 copy_ns; /* the program's clock when the first copy began */
};

/*
 * Before attach reads the pinned config: removes what the cleanup of a
 * finished upgrade left if it was killed, finishes one killed after its
 * swap (the new program's table kept, the old one's entries copied into
 * it again where newer: 0), and reads the ABI-3 config in
 * @dir or @dir/abi3. 1 (@m filled: attach upgrades), 0 (nothing to
 * upgrade), or -errno (printed). lbxdp_migrate_free() @m whatever it says.
 */
int lbxdp_migrate_begin(const char *dir, struct lbxdp_migration *m);
/*
 * Pins the old flows and config under DIR/abi3 (config last: the mark that
 * the copy is whole), then unpins them from DIR, so that loading creates
 * this ABI's there and reuses the rest. The old program keeps forwarding
 * with the old maps.
 */
int lbxdp_migrate_stage(struct lbxdp_migration *m);
/*
 * Copies the old table's live flows into the new one of @obj (loaded, not
 * yet live), whose config attach has written as @cfg.
 */
int lbxdp_migrate_records(struct lbxdp_migration *m, struct bpf_object *obj,
			  struct lbxdp_config *cfg);
/*
 * After the swap: copies again the old table's flows seen since the first
 * copy began, where newer than the new one's: those the old program
 * placed (or placed again) between the first copy and the swap, before
 * their next packets find them missing or stale for long.
 */
int lbxdp_migrate_delta(struct lbxdp_migration *m, struct bpf_object *obj,
			const struct lbxdp_config *cfg);
/* After the swap: unpins the old maps (config first) and DIR/abi3. */
int lbxdp_migrate_finish(struct lbxdp_migration *m);
/*
 * An attach that failed before the swap: the old maps pinned in DIR again
 * (over those the load made there; config last) and DIR/abi3 removed, so
 * that the old release's commands find DIR as they left it. Killed
 * midway, the next attach resumes the upgrade. Said, not fatal.
 */
void lbxdp_migrate_unstage(struct lbxdp_migration *m);
void lbxdp_migrate_free(struct lbxdp_migration *m);

/* detach --purge: the old maps go too, so no later attach revives them. */
void lbxdp_migrate_purge(const char *dir);

#endif /* LBXDP_MIGRATE_H */
