// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The configuration's checks that depend on the machine: scripts and
 * users. keepalived makes them in -t too; lbxdp's -t leaves them as
 * warnings so that a file can be checked on a build machine, and the
 * daemon makes them errors at start.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"

struct host {
	const struct conf *cf;
	struct conf_diag *d;
	bool fatal;
	int errors;
	/* who runs a script that names no user: looked up once a load */
	struct conf_script def;
	int def_err;
	char def_why[256];
};

static void __attribute__((format(printf, 3, 4)))
problem(struct host *h, const struct conf_loc *at, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (h->fatal) {
		conf_error(h->d, at, "%s", buf);
		h->errors++;
	} else {
		conf_warning(h->d, at, "%s", buf);
	}
}

/* The program of a command line: its first word, quotes removed. */
static void program(const char *cmd, char *out, size_t len)
{
	size_t n = 0;
	char q = 0;

	cmd += strspn(cmd, " \t");
	for (; *cmd && n + 1 < len; cmd++) {
		if (q && *cmd == q) {
			q = 0;
		} else if (!q && (*cmd == '\'' || *cmd == '"')) {
			q = *cmd;
		} else if (!q && (*cmd == ' ' || *cmd == '\t')) {
			break;
		} else {
			out[n++] = *cmd;
		}
	}
	out[n] = '\0';
}

/* As execvp: a name without '/' is looked up in PATH. */
static bool find_program(const char *prog, char *out, size_t len)
{
	const char *path = getenv("PATH"), *p, *e;

	if (strchr(prog, '/')) {
		snprintf(out, len, "%s", prog);
		return access(out, F_OK) == 0;
	}
	if (!path || !*path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (p = path; *p; p = *e ? e + 1 : e) {
		e = strchr(p, ':');
		if (!e)
			e = p + strlen(p);
		/* an empty PATH entry is the current directory */
		if ((size_t)snprintf(out, len, "%.*s/%s",
				     e == p ? 1 : (int)(e - p),
				     e == p ? "." : p, prog) < len &&
		    access(out, F_OK) == 0)
			return true;
	}
	snprintf(out, len, "%s", prog);
	return false;
}

/* Whom else than root can change @st's file: a reason, or NULL. */
static const char *unsafe(const struct stat *st, char *buf, size_t len)
{
	if (st->st_uid != 0) {
		snprintf(buf, len, "owned by uid %u", (unsigned)st->st_uid);
		return buf;
	}
	if ((st->st_mode & S_IWGRP) && st->st_gid != 0) {
		snprintf(buf, len, "writable by group %u",
			 (unsigned)st->st_gid);
		return buf;
	}
	/* A sticky directory (/tmp) lets no one replace root's files. */
	if ((st->st_mode & S_IWOTH) &&
	    !(S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX)))
		return "writable by everyone";
	return NULL;
}

/* The first of @path and its directories that non-root can change. */
static bool path_unsafe(const char *path, char *what, size_t len)
{
	char p[PATH_MAX], why[64];
	const char *r;
	struct stat st;
	char *slash;

	if (!realpath(path, p))
		return false;
	for (;;) {
		if (stat(p, &st))
			return false;
		r = unsafe(&st, why, sizeof(why));
		if (r) {
			if ((size_t)snprintf(what, len, "%s is %s", p, r) >=
			    len)
				snprintf(what, len, "a directory is %s", r);
			return true;
		}
		slash = strrchr(p, '/');
		if (!slash || slash == p) {
			if (p[1] == '\0')
				return false;
			p[1] = '\0';
			continue;
		}
		*slash = '\0';
	}
}

/* script_user and script_group, said once for the file (keepalived says
 * them at the keyword), not at each script that runs as them. */
static void check_script_user(struct host *h)
{
	struct conf_script s = {.user = h->cf->g.script_user};
	struct conf_loc at = {h->cf->path, 0};
	const char *group = h->cf->g.script_group;
	char why[256];
	gid_t gid;
	int err;

	if (!s.user)
		return;
	if (conf_script_cred(&h->cf->g, &s, why, sizeof(why)))
		problem(h, &at, "%s", why);
	err = group ? conf_find_group(group, &gid) : 0;
	if (err == -ENOENT)
		problem(h, &at, "group %s does not exist", group);
	else if (err)
		problem(h, &at, "group %s: cannot look it up: %s", group,
			strerror(-err));
}

static void check_script(struct host *h, struct conf_script *s,
			 const char *what)
{
	char prog[PATH_MAX], path[PATH_MAX], why[PATH_MAX + 64];
	struct stat st;
	uid_t uid;
	int err;

	if (!s->cmd)
		return;
	program(s->cmd, prog, sizeof(prog));
	if (s->user) {
		err = conf_script_cred(&h->cf->g, s, why, sizeof(why));
	} else {
		s->cred = h->def.cred;
		err = h->def_err;
		snprintf(why, sizeof(why), "%s", h->def_why);
	}
	if (err == -EPERM)
		problem(h, &s->at, "%s %s: %s", what, prog, why);
	else if (err && s->user) /* script_user's: said once, above */
		problem(h, &s->at, "%s", why);
	uid = s->cred.drop ? s->cred.uid : 0;
	if (!find_program(prog, path, sizeof(path))) {
		problem(h, &s->at, "%s %s: no such file", what, prog);
		return;
	}
	if (stat(path, &st)) {
		problem(h, &s->at, "%s %s: %s", what, path, strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
		problem(h, &s->at, "%s %s: not executable", what, path);
		return;
	}
	if (uid != 0 || !path_unsafe(path, why, sizeof(why)))
		return;
	if (h->cf->g.script_security)
		problem(h, &s->at,
			"%s %s: runs as root and %s: refused under enable_script_security",
			what, path, why);
	else
		conf_warning(
			h->d, &s->at,
			"%s %s: runs as root and %s (enable_script_security would refuse it)",
			what, path, why);
}

int conf_check_host(struct conf *cf, bool fatal, struct conf_diag *d)
{
	struct host h = {.cf = cf, .d = d, .fatal = fatal};
	int i, j, k;

	check_script_user(&h);
	h.def_err =
		conf_script_cred(&cf->g, &h.def, h.def_why, sizeof(h.def_why));
	for (i = 0; i < cf->nvs; i++) {
		struct conf_vs *vs = &cf->vs[i];

		check_script(&h, &vs->quorum_up, "quorum_up");
		check_script(&h, &vs->quorum_down, "quorum_down");
		for (j = 0; j < vs->nrs; j++) {
			struct conf_rs *rs = &vs->rs[j];

			check_script(&h, &rs->notify_up, "notify_up");
			check_script(&h, &rs->notify_down, "notify_down");
			for (k = 0; k < rs->nchecks; k++)
				if (rs->checkers[k].type == CHECK_MISC)
					check_script(&h, &rs->checkers[k].misc,
						     "misc_path");
		}
	}
	for (i = 0; i < cf->nvrrp; i++) {
		struct conf_vrrp *v = &cf->vrrp[i];

		check_script(&h, &v->notify_master, "notify_master");
		check_script(&h, &v->notify_backup, "notify_backup");
		check_script(&h, &v->notify_fault, "notify_fault");
		check_script(&h, &v->notify_stop, "notify_stop");
		check_script(&h, &v->notify, "notify");
	}
	for (i = 0; i < cf->nsync_groups; i++) {
		struct conf_sync_group *g = &cf->sync_groups[i];

		check_script(&h, &g->notify_master, "notify_master");
		check_script(&h, &g->notify_backup, "notify_backup");
		check_script(&h, &g->notify_fault, "notify_fault");
		check_script(&h, &g->notify_stop, "notify_stop");
		check_script(&h, &g->notify, "notify");
	}
	for (i = 0; i < cf->nvscripts; i++)
		check_script(&h, &cf->vscripts[i].script, "script");
	return h.errors;
}
