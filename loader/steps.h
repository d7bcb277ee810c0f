/* SPDX-License-Identifier: GPL-2.0 */
/* loader/steps.c: the model maps' one writer, a plan at a time. */
#ifndef FASTPATH_STEPS_H
#define FASTPATH_STEPS_H

#include <stdbool.h>
#include <stddef.h>

struct fp_maps;
struct fp_plan;

/*
 * Moves the maps from old to next (whose ports learn whether they are
 * ours). On failure every step taken is undone. dry: print only.
 * recover: old is what an apply that died may have left, not what the
 * maps hold. *steps: how many were taken (dry: would be).
 */
int fp_steps__run(struct fp_maps *m, const struct fp_plan *old,
		  struct fp_plan *next, bool dry, bool recover, size_t *steps);

#endif
