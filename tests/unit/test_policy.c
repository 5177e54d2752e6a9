// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The daemon's policy: checks, inhibit, quorum and sorry server, and the
 * operator's overrides over them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "lbxdp/abi.h"
#include "daemon/policy.h"

static struct pol_in rs(__u32 w, enum rs_state st)
{
	return (struct pol_in){.cfg_weight = w,
			       .check_weight = -1,
			       .state = st,
			       .checked = st != RS_UNKNOWN};
}

static struct pol_in sorry(void)
{
	return (struct pol_in){.cfg_weight = 1,
			       .check_weight = -1,
			       .state = RS_UP,
			       .sorry = true};
}

static void all_up(void **state)
{
	struct pol_in in[2] = {rs(1, RS_UP), rs(2, RS_UP)};
	struct pol_out out[2];
	bool q = true;

	assert_false(policy_vs(1, 0, in, 2, false, &q, out));
	assert_true(q);
	assert_true(out[0].present && out[0].up);
	assert_int_equal(out[0].weight, 1);
	assert_int_equal(out[1].weight, 2);
	assert_string_equal(out[1].by, "check");
	/* Up before any result (or without a checker): the configuration's. */
	in[1].checked = false;
	assert_false(policy_vs(1, 0, in, 2, false, &q, out));
	assert_true(out[1].up);
	assert_string_equal(out[1].by, "config");
}

static void down_and_inhibit(void **state)
{
	struct pol_in in[3] = {rs(1, RS_DOWN), rs(2, RS_DOWN), rs(3, RS_UP)};
	struct pol_out out[3];
	bool q = true;

	in[1].inhibit = true;
	policy_vs(1, 0, in, 3, false, &q, out);
	/* Taken out: no flows at all. */
	assert_true(out[0].present);
	assert_false(out[0].up);
	assert_string_equal(out[0].by, "check");
	/* inhibit_on_failure: weight 0 keeps its flows. */
	assert_true(out[1].up);
	assert_int_equal(out[1].weight, 0);
	assert_int_equal(out[2].weight, 3);
}

static void dynamic_weight(void **state)
{
	struct pol_in in[1] = {rs(1, RS_UP)};
	struct pol_out out[1];
	bool q = true;

	in[0].check_weight = 5;
	policy_vs(1, 0, in, 1, false, &q, out);
	assert_int_equal(out[0].weight, 5);
	assert_string_equal(out[0].by, "check");
}

static void operator_holds(void **state)
{
	struct pol_in in[3] = {rs(1, RS_UP), rs(2, RS_DOWN), rs(3, RS_UP)};
	struct pol_out out[3];
	bool q = true;

	in[0].op = LBXDP_OP_DOWN; /* over a passing check */
	in[1].op = LBXDP_OP_UP;	  /* over a failing one */
	in[2].op = LBXDP_OP_WEIGHT;
	in[2].op_weight = 0;
	policy_vs(1, 0, in, 3, false, &q, out);
	assert_false(out[0].up);
	assert_string_equal(out[0].by, "operator");
	assert_true(out[1].up);
	assert_int_equal(out[1].weight, 2);
	assert_true(out[2].up);
	assert_int_equal(out[2].weight, 0);
	assert_string_equal(out[2].by, "operator");
}

static void quorum_sorry(void **state)
{
	struct pol_in in[3] = {rs(1, RS_UP), rs(2, RS_DOWN), sorry()};
	struct pol_out out[3];
	bool q = true;

	/* Live weight 1 < quorum 2: the sorry server replaces them. */
	assert_true(policy_vs(2, 0, in, 3, false, &q, out));
	assert_false(q);
	assert_false(out[0].up);
	assert_string_equal(out[0].by, "quorum");
	assert_true(out[2].present && out[2].up);
	assert_int_equal(out[2].weight, 1);
	/* Back: the sorry server goes (drains), the servers come back. */
	in[1].state = RS_UP;
	assert_true(policy_vs(2, 0, in, 3, false, &q, out));
	assert_true(q);
	assert_true(out[0].up && out[1].up);
	assert_false(out[2].present);
	/* sorry_server_inhibit: kept at weight 0 instead. */
	assert_false(policy_vs(2, 0, in, 3, true, &q, out));
	assert_true(out[2].present);
	assert_int_equal(out[2].weight, 0);
}

static void quorum_no_sorry(void **state)
{
	struct pol_in in[2] = {rs(1, RS_UP), rs(2, RS_DOWN)};
	struct pol_out out[2];
	bool q = true;

	/* Without a sorry server the live ones keep serving. */
	assert_true(policy_vs(2, 0, in, 2, false, &q, out));
	assert_false(q);
	assert_true(out[0].up);
	assert_int_equal(out[0].weight, 1);
}

static void hysteresis(void **state)
{
	struct pol_in in[3] = {rs(1, RS_UP), rs(1, RS_UP), rs(2, RS_UP)};
	struct pol_out out[3];
	bool q = true;

	/* quorum 3, hysteresis 1: lost below 2, gained at 4. */
	in[2].state = RS_DOWN; /* live 2: 2 + 1 < 3 is false */
	assert_false(policy_vs(3, 1, in, 3, false, &q, out));
	assert_true(q);
	in[1].state = RS_DOWN; /* live 1 */
	assert_true(policy_vs(3, 1, in, 3, false, &q, out));
	assert_false(q);
	in[1].state = RS_UP; /* live 2 < 4: still lost */
	assert_false(policy_vs(3, 1, in, 3, false, &q, out));
	in[2].state = RS_UP; /* live 4 */
	assert_true(policy_vs(3, 1, in, 3, false, &q, out));
	assert_true(q);
}

static void quorum_none_alive(void **state)
{
	struct pol_in in[2] = {rs(1, RS_DOWN), sorry()};
	struct pol_out out[2];
	bool q = true;

	/* hysteresis >= quorum: no live weight at all still loses it. */
	assert_true(policy_vs(1, 1, in, 2, false, &q, out));
	assert_false(q);
	assert_true(out[1].present && out[1].up);
}

static void inhibit_over_operator_weight(void **state)
{
	struct pol_in in[1] = {rs(1, RS_DOWN)};
	struct pol_out out[1];
	bool q = true;

	/* A failed server with inhibit_on_failure stays at weight 0,
	 * whatever weight the operator gave it. */
	in[0].inhibit = true;
	in[0].op = LBXDP_OP_WEIGHT;
	in[0].op_weight = 7;
	policy_vs(1, 0, in, 1, false, &q, out);
	assert_true(out[0].up);
	assert_int_equal(out[0].weight, 0);
	in[0].state = RS_UP;
	policy_vs(1, 0, in, 1, false, &q, out);
	assert_int_equal(out[0].weight, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(all_up),
		cmocka_unit_test(down_and_inhibit),
		cmocka_unit_test(dynamic_weight),
		cmocka_unit_test(operator_holds),
		cmocka_unit_test(quorum_sorry),
		cmocka_unit_test(quorum_no_sorry),
		cmocka_unit_test(hysteresis),
		cmocka_unit_test(quorum_none_alive),
		cmocka_unit_test(inhibit_over_operator_weight),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
