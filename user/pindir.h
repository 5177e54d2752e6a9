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

#include <stddef.h>

#define LBXDP_STAGING_SUFFIX "-attaching"
#define LBXDP_PURGING_SUFFIX "-purging"

/* @dir with @suffix appended, into @buf; -ENAMETOOLONG if it does not fit. */
int lbxdp_sibling(const char *dir, const char *suffix, char *buf, size_t len);

/*
 * Unlink everything in the directory @dfd (at @path, for messages): the
 * link first, so that the program is detached before its maps go. One
 * level of subdirectories is emptied and removed too.
 */
int lbxdp_dir_empty(int dfd, const char *path);

/*
 * Remove the siblings that a killed attach or purge of @pin_dir left, each
 * only when it is on a bpffs, root's or ours and writable by no one else
 * (never through a symlink), and no live writer holds its lock. Returns
 * how many it removed.
 */
int lbxdp_reap_leftovers(const char *pin_dir);

#endif /* LBXDP_PINDIR_H */
