/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Whole-directory changes of a pin directory, made atomic by rename(2) on
 * the bpffs: a fresh attach fills DIR-attaching and renames it onto the
 * empty DIR, a purge renames DIR to DIR-purging before it empties it (bpffs
 * refuses names with a dot). A
 * writer killed before the rename changed nothing that DIR shows, one
 * killed after it left only the sibling, which the next attach or detach
 * removes.
 */
#ifndef LBXDP_PINDIR_H
#define LBXDP_PINDIR_H

#include <stdbool.h>
#include <stddef.h>

#define LBXDP_STAGING_SUFFIX "-attaching"
#define LBXDP_PURGING_SUFFIX "-purging"

/*
 * The pin directory @dir as lbxdp names it, into @buf: without trailing
 * slashes (its siblings are DIR-attaching, not DIR/-attaching, and the
 * daemon's run files are named after it). -EINVAL, printed, for an empty
 * name or one that ends in a sibling's suffix (the next attach or detach
 * of DIR would take it for a leftover); -ENAMETOOLONG.
 */
int lbxdp_pin_dir_name(const char *dir, char *buf, size_t len);

/* @dir with @suffix appended, into @buf; -ENAMETOOLONG if it does not fit. */
int lbxdp_sibling(const char *dir, const char *suffix, char *buf, size_t len);

/*
 * Unlink everything in the directory @dfd (at @path, for messages): the
 * link first, so that the program is detached before its maps go. One
 * level of subdirectories is emptied and removed too.
 */
int lbxdp_dir_empty(int dfd, const char *path);

/*
 * Whether the directory @path (relative to @dfd, as openat(2) takes them)
 * has any entry but "." and "..": 1, 0, or -errno if it cannot be read.
 */
int lbxdp_dir_has_entries(int dfd, const char *path);

/*
 * Whether the directory @dfd is lbxdp's to detach from or purge: it holds
 * a config pin (or an upgrade's, in LBXDP_MIGRATE_DIR), or nothing at all.
 * A pin directory given by mistake (the bpffs root, another tool's) is not.
 */
bool lbxdp_dir_holds_ours(int dfd);

/*
 * Remove the siblings that a killed attach or purge of @pin_dir left, each
 * only when it is on a bpffs, root's or ours and writable by no one else
 * (never through a symlink), and no live writer holds its lock. Returns
 * how many it removed.
 */
int lbxdp_reap_leftovers(const char *pin_dir);

#endif /* LBXDP_PINDIR_H */
