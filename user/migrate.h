/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * attach's upgrade of the maps pinned by the previous ABI (DESIGN.md §3): the
 * records (VIPs, backends, config) are carried into this ABI's maps, with
 * their ids and gens, and the program is swapped in on the pinned link. The
 * old maps are first pinned again under DIR/abi2, which stays until the
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
#define LBXDP_MIGRATE_ABI 2
#define LBXDP_MIGRATE_DIR "abi2"

struct bpf_object;

struct lbxdp_migration {
	char pin_dir[256];
	bool staged; /* the old maps are pinned under DIR/abi2 */
	/* The old config's knobs and capacities, as this ABI's config. */
	struct lbxdp_config cfg;
	/* The records to carry over, read from the old maps. */
	struct lbxdp_vip_key *keys;
	struct lbxdp_vip *vips;
	size_t nvips;
	struct lbxdp_backend *backends; /* every record, by id */
	__u32 nbackends;
	__u32 nused; /* records in use */
};

/*
 * Before attach reads the pinned config: removes what the cleanup of a
 * finished upgrade left if it was killed, and reads the records of ABI-2
 * maps in @dir or @dir/abi2. 1 (@m filled: attach upgrades), 0 (nothing to
 * upgrade), or -errno (printed). lbxdp_migrate_free() @m whatever it says.
 */
int lbxdp_migrate_begin(const char *dir, struct lbxdp_migration *m);
/*
 * Pins the old maps under DIR/abi2 (config last: the mark that the copy is
 * whole), then unpins every map from DIR, so that loading creates this
 * ABI's maps there. The old program keeps forwarding with the old maps.
 */
int lbxdp_migrate_stage(struct lbxdp_migration *m);
/*
 * Writes the records into the new maps of @obj (loaded, not yet live), then
 * the counts and tables derived from them; @cfg is the config attach
 * writes, completed here (port-0 count, address filter, gen) and written.
 */
int lbxdp_migrate_records(struct lbxdp_migration *m, struct bpf_object *obj,
			  struct lbxdp_config *cfg);
/* After the swap: unpins the old maps (config first) and DIR/abi2. */
int lbxdp_migrate_finish(struct lbxdp_migration *m);
void lbxdp_migrate_free(struct lbxdp_migration *m);

/* detach --purge: the old maps go too, so no later attach revives them. */
void lbxdp_migrate_purge(const char *dir);

#endif /* LBXDP_MIGRATE_H */
