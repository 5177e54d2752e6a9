// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The stats snapshot's names and its release: pure, shared by the page,
 * the exports, /metrics and lbxdp stats. */
#include <stdlib.h>
#include <string.h>
#include "daemon/stats.h"

const char *st_state_name(enum st_state s)
{
	static const char *const n[ST__MAX] = {
		[ST_UP] = "up",
		[ST_DOWN] = "down",
		[ST_DRAIN] = "drain",
		[ST_MAINT] = "maint",
		[ST_NOCHECK] = "no check",
		[ST_PENDING] = "pending",
		[ST_SORRY] = "sorry",
	};

	return (unsigned int)s < ST__MAX ? n[s] : "?";
}

const char *st_state_csv(enum st_state s)
{
	static const char *const n[ST__MAX] = {
		[ST_UP] = "UP",
		[ST_DOWN] = "DOWN",
		[ST_DRAIN] = "DRAIN",
		[ST_MAINT] = "MAINT",
		[ST_NOCHECK] = "no check",
		[ST_PENDING] = "INI",
		[ST_SORRY] = "UP",
	};

	return (unsigned int)s < ST__MAX ? n[s] : "?";
}

/* Same order as struct lbxdp_global_stats. */
static const char *const reason_names[LBXDP_NR_COUNTERS] = {
	"forwarded",	   "passed",	     "not_our_mac", "no_backend",
	"malformed",	   "fragment",	     "ip_options",  "flow_miss_nonsyn",
	"down_resched",	   "icmp_forwarded", "icmp_passed", "persist_hits",
	"flood_stateless", "flow_busy",
};

const char *st_reason_name(unsigned int i)
{
	return i < LBXDP_NR_COUNTERS ? reason_names[i] : "?";
}

bool st_reason_is_event(unsigned int i)
{
	const char *n = st_reason_name(i);

	return !strcmp(n, "flow_miss_nonsyn") || !strcmp(n, "down_resched") ||
	       !strcmp(n, "persist_hits") || !strcmp(n, "flood_stateless");
}

void st_snap_free(struct st_snap *s)
{
	int i;

	if (!s)
		return;
	for (i = 0; i < s->nvs; i++)
		free(s->vs[i].rs);
	free(s->vs);
	free(s->vrrp);
	free(s);
}
