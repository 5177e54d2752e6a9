/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The daemon's files outside bpffs: its pid file (an flock held while it
 * runs, so a second daemon and the CLI can tell) and its control socket,
 * in /run/lbxdp/ (or $LBXDP_RUN_DIR), named after the pin directory so
 * that daemons of different pin directories do not meet.
 */
#ifndef LBXDP_RUNPATH_H
#define LBXDP_RUNPATH_H

#include <stddef.h>
#include <sys/types.h>

#define LBXDP_RUN_DIR "/run/lbxdp"

/*
 * "RUNDIR/NAME.@suffix", NAME from @pin_dir as systemd-escape writes a
 * path ("/sys/fs/bpf/lbxdp" -> "sys-fs-bpf-lbxdp"), hashed when too long
 * for a unix socket address. -ENAMETOOLONG, -EINVAL.
 */
int lbxdp_run_path(const char *pin_dir, const char *suffix, char *buf,
		   size_t len);

/* The pid of the daemon running on @pin_dir, 0 if none runs. */
pid_t lbxdp_daemon_pid(const char *pin_dir);

/*
 * For the daemon: create RUNDIR (0755, root's), take the pid file's lock
 * and write our pid. *@fd holds the lock until closed. -EBUSY (printed,
 * naming the running daemon's pid) when another daemon holds it.
 */
int lbxdp_daemon_lock(const char *pin_dir, int *fd);

#endif /* LBXDP_RUNPATH_H */
