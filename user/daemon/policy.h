/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What a virtual server's backend records should be, from the
 * configuration, the checks and the operator: keepalived's rules (a failed
 * server is taken out, or kept at weight 0 with inhibit_on_failure; below
 * the quorum the sorry server replaces them all) and the operator's
 * overrides over them. Pure: no maps, no clock; unit-tested.
 */
#ifndef LBXDP_POLICY_H
#define LBXDP_POLICY_H

#include <stdbool.h>
#include <linux/types.h>
#include "daemon/check.h"

struct pol_in {
	__u32 cfg_weight;
	int check_weight;    /* misc_dynamic's, -1: none */
	enum rs_state state; /* the checks' verdict */
	bool checked;	     /* state is a result's, not the start's */
	bool inhibit;	     /* inhibit_on_failure (its own or the vs's) */
	bool sorry;	     /* the sorry server, not a real server */
	__u8 op;	     /* LBXDP_OP_* of the operator's override */
	__u16 op_weight;
};

struct pol_out {
	bool present; /* a record; false: removed (drains) */
	bool up;      /* false: health down */
	__u32 weight;
	/* Who decided: "check", "config", "operator", "quorum". */
	const char *by;
};

/*
 * The records of one virtual server's @n servers (the sorry server, if
 * any, flagged in @in). @quorum_up is the quorum's state before this
 * call and after it (keepalived's hysteresis needs the former). Returns
 * whether the quorum state changed.
 */
bool policy_vs(__u32 quorum, __u32 hysteresis, const struct pol_in *in, int n,
	       bool sorry_inhibit, bool *quorum_up, struct pol_out *out);

/* The weight of the live real servers (keepalived's weight_sum). */
__u64 policy_live(const struct pol_in *in, int n);

#endif /* LBXDP_POLICY_H */
