/* SPDX-License-Identifier: GPL-2.0 */
/*
 * onprem.c: the return path's on-prem destinations, entries of the same
 * tables as the VM routes (FP_ROUTE_F_ONPREM, maps/fastpath.h). Return 0
 * or -errno; print nothing but the command's messages.
 */
#ifndef FASTPATH_ONPREM_H
#define FASTPATH_ONPREM_H

#include <linux/types.h>

#include "fastpath.h"

struct fp_ifinfo;
struct fp_maps;
struct fp_prefix;

/*
 * The entry of an on-prem prefix reached out of uplink via the next hop
 * whose MAC is mac (NULL: unresolved, the return path hands its frames
 * to the host). Pure. -EINVAL: no uplink, or a group MAC.
 */
int fp_onprem__build(__u32 uplink, const __u8 *mac, enum fp_origin origin,
		     struct fp_route *out);
/*
 * Writes it at p, the uplink's egress record first. -ENODEV: not a
 * configured uplink; -EADDRINUSE: the uplink is registered as a VM port;
 * -EEXIST: an entry (on-prem or not) is at p.
 */
int fp_onprem__add(const struct fp_maps *m, const struct fp_prefix *p,
		   const struct fp_ifinfo *uplink, const __u8 *mac,
		   enum fp_origin origin);
/* -ENOENT when p holds no on-prem entry. */
int fp_onprem__del(const struct fp_maps *m, const struct fp_prefix *p);

#endif
