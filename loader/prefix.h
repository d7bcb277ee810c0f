/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prefix arithmetic: order, containment, shortening, masking. Pure: the
 * FIB compiler, the netlink translation, sync and the model all ask here.
 */
#ifndef FASTPATH_PREFIX_H
#define FASTPATH_PREFIX_H

#include <stdbool.h>

#include "parse.h"

/* Total order on prefixes: family, length, address. */
int fp_prefix__cmp(const struct fp_prefix *a, const struct fp_prefix *b);

/* Tree order: family, address, length; a prefix precedes all inside it. */
int fp_prefix__tree_cmp(const struct fp_prefix *a, const struct fp_prefix *b);

/* Is q inside p (or p itself)? */
bool fp_prefix__within(const struct fp_prefix *q, const struct fp_prefix *p);

/* The covering prefix one bit shorter: bit len-1 cleared. p->len > 0. */
void fp_prefix__shorten(struct fp_prefix *p);

/* Host bits cleared: the form the kernel and the maps use. */
void fp_prefix__mask(struct fp_prefix *p);

#endif
