/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The forwarding entries (routes, shadows, compiled exclusions) behind one
 * narrow interface: fib.c is the only writer of fp_hosts*, fp_routes* and
 * fp_excl*. Functions return 0 or -errno and print nothing.
 */
#ifndef FASTPATH_FIB_H
#define FASTPATH_FIB_H

#include <stdbool.h>
#include <stdlib.h>

#include "fp.h"
#include "parse.h"

/* The entry at exactly p (markers included), or -ENOENT. */
int fp_fib__get(const struct fp_maps *m, const struct fp_prefix *p,
		struct fp_route *rt);

/*
 * Writes rt at p; its flags and plen are computed here. exclusive: refuse
 * with -EEXIST when a route is there already (a marker does not count).
 */
int fp_fib__set(const struct fp_maps *m, const struct fp_prefix *p,
		const struct fp_route *rt, bool exclusive);

/* Removes the route at p (-ENOENT if none); an exclusion keeps its marker. */
int fp_fib__del(const struct fp_maps *m, const struct fp_prefix *p);

typedef int (*fp_fib_fn)(const struct fp_prefix *p, const struct fp_route *rt,
			 void *ctx);

/* Every route and shadow (not the markers); stops at fn's first error. */
int fp_fib__for_each(const struct fp_maps *m, fp_fib_fn fn, void *ctx);

/* Adds an exclusion (-EEXIST if there) and flags what it covers. */
int fp_fib__exclude(const struct fp_maps *m, const struct fp_prefix *p,
		    __u32 class);

/* Removes an exclusion (-ENOENT if none) and recomputes what it covered. */
int fp_fib__unexclude(const struct fp_maps *m, const struct fp_prefix *p);

typedef int (*fp_excl_fn)(const struct fp_prefix *p, __u32 class, void *ctx);

/* Every exclusion with its class. */
int fp_fib__for_each_exclusion(const struct fp_maps *m, fp_excl_fn fn,
			       void *ctx);

/* The map an entry at p lives in, for messages. */
const char *fp_fib__map_name(const struct fp_prefix *p);

#endif
