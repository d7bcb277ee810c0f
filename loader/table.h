/* SPDX-License-Identifier: GPL-2.0 */
/* loader/table.c: ports, routes, exclusions and uplinks by hand. */
#ifndef FASTPATH_TABLE_H
#define FASTPATH_TABLE_H

#include <stdbool.h>
#include <linux/types.h>

#include "fastpath.h"

struct fp_maps;
struct fp_prefix;

/*
 * The route entry for a prefix towards a port: the route's own lladdr
 * wins over the port's peer MAC. -EINVAL when neither gives a MAC.
 */
int fp_route__build(const struct fp_port *port, __u32 ifindex,
		    const __u8 *lladdr, enum fp_origin origin,
		    struct fp_route *out);

int fp_port__add(struct fp_maps *m, const char *ifname, const __u8 *peer_mac);
int fp_port__del(struct fp_maps *m, const char *ifname);
/*
 * Typed table writes: 0 or -errno, nothing printed (the commands print).
 * fp_route__add: -ENODEV when ifindex is not a registered port, -EINVAL
 * when neither lladdr nor the port's peer MAC is a unicast MAC.
 */
int fp_route__add(struct fp_maps *m, const struct fp_prefix *p, __u32 ifindex,
		  const __u8 *lladdr);
int fp_uplink__set(struct fp_maps *m, const char *ifname, const char *gw_port,
		   __u32 flags, struct fp_uplink *old, bool *existed);
int fp_uplink__restore(struct fp_maps *m, __u32 ifindex,
		       const struct fp_uplink *old, bool existed);
int fp_uplink__del(struct fp_maps *m, const char *ifname);

#endif
