/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The whole netlink translation computed from scratch, for the tests: the
 * oracle loader/xlate.c's incremental state must equal, entry by entry.
 */
#ifndef FASTPATH_TESTS_XLATE_ORACLE_H
#define FASTPATH_TESTS_XLATE_ORACLE_H

#include <stddef.h>
#include <linux/types.h>

#include "xlate.h"

struct fp_xinput {
	const struct fp_xport *ports;
	size_t nports;
	const struct fp_xneigh *neighs;
	size_t nneighs;
	const struct fp_xroute *routes;
	size_t nroutes;
	__u32 table; /* routes of other tables are ignored, except local */
};

/* Every entry the input asks for, sorted (fp_xset__find); 0 or -ENOMEM. */
int fp_xlate__compute(const struct fp_xinput *in, struct fp_xset *out);

#endif
