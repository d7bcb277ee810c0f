/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uplink.c: the one writer of the uplinks, the registry (fp_uplinks, by
 * ifindex in a hash) and the program's array (fp_upv, for ifindex <
 * FP_DEV_SLOTS) together. Return 0 or -errno; print nothing.
 */
#ifndef FASTPATH_UPLINK_H
#define FASTPATH_UPLINK_H

#include <stdbool.h>
#include <linux/types.h>

#include "fastpath.h"

struct fp_maps;

/*
 * Keeps FP_UPLINK_F_TRUNK as the uplink's tagged circuits say (up's is
 * ignored) and their copies of its MAC and flags.
 */
int fp_uplinks__put(const struct fp_maps *m, __u32 ifindex,
		    const struct fp_uplink *up);
/* -ENOENT when ifindex is not an uplink. Its tagged circuits go too. */
int fp_uplinks__del(const struct fp_maps *m, __u32 ifindex);

/*
 * Calls fn for the gateway port of every uplink and of every tagged
 * circuit (one port may come more than once): ports that are the
 * gateway's, never a VM's. Stops at fn's first non-zero return and
 * returns it.
 */
int fp_uplinks__walk_gateways(const struct fp_maps *m,
			      int (*fn)(__u32 gw_ifindex, void *ctx),
			      void *ctx);

/* A tagged circuit: VIDs 1 .. 4094, outer 0 for a single tag. */
bool fp_vlan__valid(__u16 outer, __u16 inner);
/*
 * The tagged circuit (outer, inner) on uplink ifindex, routed with cir's
 * circuit, xallow and gw_ifindex (its gateway port, 0: none); the uplink
 * becomes a trunk. A new one counts from zero in fp_vlanstat. *old and
 * *existed (both may be NULL) say what it replaced. -ENOENT: ifindex is
 * no uplink; -EINVAL: a VID out of range; -ENOSPC: fp_vlans is full.
 */
int fp_vlans__put(const struct fp_maps *m, __u32 ifindex, __u16 outer,
		  __u16 inner, const struct fp_uplink *cir, struct fp_vlan *old,
		  bool *existed);
/*
 * As fp_vlans__put, for the command that names only the gateway port: a
 * new circuit is outside the model (circuit 0, FP_XALLOW_DEFAULT), one
 * already there keeps its circuit and xallow (`fastpath apply`'s).
 */
int fp_vlans__put_gw(const struct fp_maps *m, __u32 ifindex, __u16 outer,
		     __u16 inner, __u32 gw_ifindex, struct fp_vlan *old,
		     bool *existed);
/* -ENOENT when there is no such tagged circuit. The last one's uplink is
 * a trunk no more. */
int fp_vlans__del(const struct fp_maps *m, __u32 ifindex, __u16 outer,
		  __u16 inner);
/*
 * Calls fn for every tagged circuit (of uplink ifindex; 0: of all), in
 * no order; stops at fn's first non-zero return and returns it.
 */
int fp_vlans__walk(const struct fp_maps *m, __u32 ifindex,
		   int (*fn)(const struct fp_vlan_key *k,
			     const struct fp_vlan *v, void *ctx),
		   void *ctx);
/*
 * The same by fd, on a pin set of any layout (unload): upv_fd < 0 when
 * the set has no fp_upv.
 */
int fp_uplinks__del_fds(int uplinks_fd, int upv_fd, __u32 ifindex);

#endif
