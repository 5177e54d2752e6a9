// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Scripts' users and groups, looked up once, when the file is loaded. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

/* NSS's answer for a name: a group of many members needs a large buffer. */
#define NSS_BUF_MAX (1 << 20)

/* getpwnam_r()'s "not found" may be an errno too (getpwnam_r(3)). */
static bool not_found(int err)
{
	return err == 0 || err == ENOENT || err == ESRCH;
}

/*
 * getpwnam_r() of @name into @cr, or with @cr NULL getgrnam_r() into
 * @gid, its buffer grown as needed: 0, -ENOENT or -errno.
 */
static int lookup(const char *name, struct conf_cred *cr, gid_t *gid)
{
	struct passwd pw, *pres = NULL;
	struct group gr, *gres = NULL;
	size_t len = 1024;
	char *buf = NULL, *nb;
	int err;

	do {
		len *= 2;
		nb = realloc(buf, len);
		if (!nb) {
			err = ENOMEM;
			goto cleanup;
		}
		buf = nb;
		err = cr ? getpwnam_r(name, &pw, buf, len, &pres)
			 : getgrnam_r(name, &gr, buf, len, &gres);
	} while (err == ERANGE && len < NSS_BUF_MAX);
	if (!pres && !gres) {
		err = not_found(err) ? ENOENT : err;
		goto cleanup;
	}
	err = 0;
	if (gres) {
		*gid = gr.gr_gid;
	} else if (strlen(pw.pw_name) >= sizeof(cr->user)) {
		err = ENAMETOOLONG;
	} else {
		strcpy(cr->user, pw.pw_name);
		cr->uid = pw.pw_uid;
		cr->gid = pw.pw_gid;
	}
cleanup:
	free(buf);
	return -err;
}

int conf_find_group(const char *name, gid_t *gid)
{
	return lookup(name, NULL, gid);
}

int conf_script_cred(const struct conf_global *g, struct conf_script *s,
		     char *why, size_t len)
{
	const char *user = NULL, *group = NULL, *what = "user", *name;
	struct conf_cred *cr = &s->cred;
	int err;

	memset(cr, 0, sizeof(*cr));
	if (s->user) {
		user = s->user;
		group = s->group;
	} else if (g->script_user) {
		user = g->script_user;
		group = g->script_group;
	}
	name = user ? user : SCRIPT_DEFAULT_USER;
	err = lookup(name, cr, NULL);
	if (err && !user) {
		/* keepalived: root, but not under script security */
		memset(cr, 0, sizeof(*cr));
		if (!g->script_security)
			return 0;
		snprintf(why, len,
			 "no user to run it as: enable_script_security runs "
			 "none as root unless script_user says so, and %s %s%s",
			 name,
			 err == -ENOENT ? "does not exist"
					: "cannot be looked up: ",
			 err == -ENOENT ? "" : strerror(-err));
		return -EPERM;
	}
	if (!err && group) {
		what = "group";
		name = group;
		err = conf_find_group(group, &cr->gid);
	}
	if (err) {
		memset(cr, 0, sizeof(*cr));
		if (err == -ENOENT)
			snprintf(why, len, "%s %s does not exist", what, name);
		else
			snprintf(why, len, "%s %s: cannot look it up: %s", what,
				 name, strerror(-err));
		return err;
	}
	cr->drop = true;
	return 0;
}
