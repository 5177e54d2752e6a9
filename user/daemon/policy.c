// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A virtual server's wanted records (policy.h). */
#include "lbxdp/abi.h"
#include "daemon/policy.h"

/* One real server on its own: the operator over the checks over the
 * configuration. */
static void policy_rs(const struct pol_in *in, struct pol_out *o)
{
	bool alive = in->state != RS_DOWN;

	o->present = true;
	o->weight = in->check_weight >= 0 ? (__u32)in->check_weight
					  : in->cfg_weight;
	o->up = true;
	/* The checks decide once they have a result; until then (alpha's
	 * down, or up) or without a checker, the configuration does. */
	o->by = in->check_weight >= 0 || in->checked ? "check" : "config";
	if (!alive && in->inhibit) {
		o->weight = 0; /* keeps its flows, takes no new ones */
	} else if (!alive) {
		o->up = false;
	}
	if (in->op & LBXDP_OP_WEIGHT) {
		/* inhibit_on_failure's 0 stands: a failed server takes no
		 * new flows whatever weight the operator gave it. */
		if (alive || !in->inhibit)
			o->weight = in->op_weight;
		o->by = "operator";
	}
	if (in->op & LBXDP_OP_DOWN) {
		o->up = false;
		o->by = "operator";
	} else if (in->op & LBXDP_OP_UP) {
		o->up = true;
		if (!alive && !in->inhibit && !(in->op & LBXDP_OP_WEIGHT))
			o->weight = in->check_weight >= 0
					    ? (__u32)in->check_weight
					    : in->cfg_weight;
		o->by = "operator";
	}
}

__u64 policy_live(const struct pol_in *in, int n)
{
	struct pol_out o;
	__u64 live = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (in[i].sorry)
			continue;
		policy_rs(&in[i], &o);
		if (o.up)
			live += o.weight;
	}
	return live;
}

bool policy_vs(__u32 quorum, __u32 hysteresis, const struct pol_in *in, int n,
	       bool sorry_inhibit, bool *quorum_up, struct pol_out *out)
{
	bool was = *quorum_up, has_sorry = false;
	__u64 live = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (in[i].sorry) {
			has_sorry = true;
			continue;
		}
		policy_rs(&in[i], &out[i]);
		if (out[i].up)
			live += out[i].weight;
	}
	/* keepalived: lost below quorum - hysteresis (or with no live
	 * weight at all), gained again at quorum + hysteresis, so that a
	 * server on the edge does not flap. */
	if (was && (!live || live + hysteresis < quorum))
		*quorum_up = false;
	else if (!was && live >= (__u64)quorum + hysteresis)
		*quorum_up = true;

	for (i = 0; i < n; i++) {
		if (in[i].sorry) {
			out[i].present = !*quorum_up || sorry_inhibit;
			out[i].up = true;
			out[i].weight = *quorum_up ? 0 : 1;
			out[i].by = "quorum";
		} else if (!*quorum_up && has_sorry && out[i].up) {
			/* The sorry server replaces them all. */
			out[i].up = false;
			out[i].by = "quorum";
		}
	}
	return was != *quorum_up;
}
