/* SPDX-License-Identifier: GPL-2.0 */
/* loader/table.c: ports, routes, exclusions and uplinks by hand. */
#ifndef FASTPATH_TABLE_H
#define FASTPATH_TABLE_H

#include <stdbool.h>
#include <linux/types.h>

#include "fastpath.h"

struct fp_state;

struct fp_ifinfo;
struct fp_maps;
struct fp_opts;
struct fp_prefix;

/*
 * The route entry for a prefix towards a port: the route's own lladdr
 * wins over the port's peer MAC. -EINVAL when neither gives a MAC.
 */
int fp_route__build(const struct fp_port *port, __u32 ifindex,
		    const __u8 *lladdr, enum fp_origin origin,
		    struct fp_route *out);

/*
 * Typed table writes: 0 or -errno, nothing printed (the commands print).
 * Each refusal has its own errno and writes nothing.
 *
 * fp_port__add: the interface as a port, peer_mac (NULL: none) the
 * default destination of routes to it. -EEXIST: already registered;
 * -EINVAL: the device cannot be a redirect target.
 * fp_port__del: -ENOENT: not a registered port; -EBUSY: routes still use
 * it; -EADDRINUSE: it is an uplink's gateway port.
 */
int fp_port__add(struct fp_maps *m, const struct fp_ifinfo *info,
		 const __u8 *peer_mac);
int fp_port__del(struct fp_maps *m, __u32 ifindex);
/*
 * The return path on (FP_PORT_F_RETURN) or off for registered port
 * ifindex; -ENOENT: not registered. An uplink's or a tagged circuit's
 * gateway port is turned off when it becomes one.
 */
int fp_port__set_return(struct fp_maps *m, __u32 ifindex, bool on);
/*
 * The return path on a registered port: fastpath_port attached, then the
 * port's flag. Without it (a gateway port, another program on the hook)
 * the port stays registered, and one line says why.
 */
void fp_port__return_on(struct fp_maps *m, const struct fp_opts *o,
			const char *ifname);
/*
 * A port registered anew (`port add`, sync) under the VNet the applied
 * model (st) puts behind its name, which apply would otherwise only
 * write at its next run. No model (st NULL) or no VNet for it: nothing.
 */
void fp_port__model_vnet(struct fp_maps *m, const struct fp_state *st,
			 const char *ifname);
/*
 * The applied model (state.json under o's state directory) into *st,
 * empty when none was written: 0, else no model to bind ports by. *st
 * is for fp_state__free() either way.
 */
int fp_port__model_load(const struct fp_opts *o, struct fp_state *st);
/*
 * The registered port whose record is named name, also when its
 * interface is gone; -ENOENT if none.
 */
int fp_port__by_name(struct fp_maps *m, const char *name, __u32 *ifindex,
		     struct fp_port *port);
/* How many routes (both families) point at ifindex. */
int fp_port__routes(struct fp_maps *m, __u32 ifindex);
/*
 * fp_route__add: -ENODEV when ifindex is not a registered port, -EINVAL
 * when neither lladdr nor the port's peer MAC is a unicast MAC.
 */
int fp_route__add(struct fp_maps *m, const struct fp_prefix *p, __u32 ifindex,
		  const __u8 *lladdr);
/*
 * fp_uplink__set: ifindex as an uplink with up's MAC, flags and gateway
 * port (gw_ifindex, 0: pass to the stack); an uplink already there keeps
 * its circuit and xallow (`fastpath apply`'s to change), and *old and
 * *existed say what it was, for fp_uplink__restore. -ENOENT: the gateway
 * port is not registered; -EINVAL: it has no peer MAC; -ELOOP: it is the
 * uplink itself.
 */
int fp_uplink__set(struct fp_maps *m, __u32 ifindex, const struct fp_uplink *up,
		   struct fp_uplink *old, bool *existed);
/*
 * fp_vlan__set: the tagged circuit (outer, inner) on uplink ifindex, its
 * gateway frames popped into port gw_ifindex (0: passed, tags and all);
 * one already there keeps its circuit and xallow. -EINVAL: a VID out of
 * range; -ENODEV: ifindex is no uplink; the gateway port's refusals as
 * fp_uplink__set's; -ENOSPC: fp_vlans is full.
 */
int fp_vlan__set(struct fp_maps *m, __u32 ifindex, __u16 outer, __u16 inner,
		 __u32 gw_ifindex, struct fp_vlan *old, bool *existed);
int fp_uplink__restore(struct fp_maps *m, __u32 ifindex,
		       const struct fp_uplink *old, bool existed);

#endif
