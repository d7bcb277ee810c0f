/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The forwarding entries (routes, shadows, compiled exclusions) behind one
 * narrow interface: fib.c is the only writer of fp_hosts*, fp_routes*,
 * fp_excl* and fp_srcfilt. Functions return 0 or -errno; the only thing they print is a
 * circuit's fast-path IP budget reaching 80 % or running out.
 */
#ifndef FASTPATH_FIB_H
#define FASTPATH_FIB_H

#include <stdbool.h>
#include <stdlib.h>

#include "maps.h"
#include "parse.h"

/* The entry at exactly p (markers included), or -ENOENT. */
int fp_fib__get(const struct fp_maps *m, const struct fp_prefix *p,
		struct fp_route *rt);

/*
 * Writes rt at p; its flags (but FP_ROUTE_F_ONPREM, the writer's) and plen
 * are computed here. exclusive: refuse
 * with -EEXIST when a route is there already (a marker does not count).
 */
int fp_fib__set(const struct fp_maps *m, const struct fp_prefix *p,
		const struct fp_route *rt, bool exclusive);

/*
 * Clears the fields fib.c computes, leaving what a writer gave (of the
 * flags, FP_ROUTE_F_ONPREM).
 */
static inline void fp_fib__plain(struct fp_route *rt)
{
	rt->flags &= FP_ROUTE_F_ONPREM;
	rt->plen = rt->xclasses = 0;
	rt->vnet = rt->circuits = rt->pad = 0;
}

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

/*
 * After a change to the model (VNets' address spaces, connections,
 * budgets): every entry's VNet, and its places in the circuits' budgets,
 * recomputed. Entries that held a place keep it.
 */
int fp_fib__retag(const struct fp_maps *m);

/*
 * fp_circuits' one writer for `apply`: circuit id's uplink and fast-path
 * IP budget, its used and over counts kept (this file makes them anew at
 * the next retag); ifindex and budget both 0 clear the record. *old (may
 * be NULL) gets the record as it was, for an undo. 0 or -errno; -EINVAL
 * for an id outside 1 .. FP_MAX_CIRCUITS.
 */
int fp_fib__circuit(const struct fp_maps *m, __u32 id, __u32 ifindex,
		    __u32 budget, struct fp_circuit *old);

/*
 * Once per fp_srcfilt map (a new one looks up every source): flags the
 * host entries with a port as a VM's own (FP_ROUTE_F_OWN) where pins of
 * an older build lack it, and sets the bits of the blocks no own address
 * (such an entry, a VNet address space) lies in, from the tables as they
 * are. Until then, and if it fails, nothing is skipped.
 */
int fp_fib__srcfilt_init(const struct fp_maps *m);

/*
 * Before a VNet address space p is written: the program must look up
 * sources in its blocks. Call with fp_maps__lock held across the write,
 * so that fp_fib__srcfilt_init cannot set the bits in between.
 */
int fp_fib__srcfilt_space(const struct fp_maps *m, const struct fp_prefix *p);

/*
 * Around many writes at once (sync, a benchmark's table): the writers'
 * lock held all along and the compiled table written once, in order, at
 * the end. Nests; end returns 0 or -errno.
 */
void fp_fib__batch_begin(const struct fp_maps *m);
int fp_fib__batch_end(const struct fp_maps *m);

/* One entry of fp_fib__set_many. */
struct fp_fib_entry {
	struct fp_prefix prefix;
	struct fp_route rt;
};

/*
 * New entries, none of them in the maps now (the caller read them in
 * this batch): fp_fib__set(m, e[i].prefix, e[i].rt, false) for each in
 * order, its outcome in res[i], inside a batch (fp_fib__batch_begin).
 * Host routes of a family with no exclusion and no VNet go to their hash
 * in batched updates, one syscall per few thousand entries (such an
 * update has no BPF_NOEXIST: hence new entries only); one it refuses (a
 * full map) takes the one-entry path, so each entry ends as fp_fib__set
 * would leave it. Stops after the first error that is not a full map
 * (fp_map__full): returns how many entries have an outcome in res.
 */
size_t fp_fib__set_many(const struct fp_maps *m, const struct fp_fib_entry *e,
			size_t n, int *res);

/* The map an entry at p lives in, for messages. */
const char *fp_fib__map_name(const struct fp_prefix *p);

#endif
