/* SPDX-License-Identifier: GPL-2.0 */
/*
 * loader/ifcmd.c: ports and uplinks by interface name for the commands
 * that name them (port, uplink, load, apply): look the name up, call
 * table.c's typed operation, print its refusal. Each returns what that
 * operation returned (0 or -errno), the message already printed.
 */
#ifndef FASTPATH_IFCMD_H
#define FASTPATH_IFCMD_H

#include <stdbool.h>
#include <linux/types.h>

#include "fastpath.h"

struct fp_maps;

int fp_ifcmd__port_add(struct fp_maps *m, const char *ifname,
		       const __u8 *peer_mac);
int fp_ifcmd__port_del(struct fp_maps *m, const char *ifname);
/*
 * gw_port: a registered port's name, or NULL. The uplink's ifindex (> 0)
 * on success; *old and *existed as fp_uplink__set gives them.
 */
int fp_ifcmd__uplink_set(struct fp_maps *m, const char *ifname,
			 const char *gw_port, __u32 flags,
			 struct fp_uplink *old, bool *existed);
/* -ENOENT when ifname is no interface or not an uplink. */
int fp_ifcmd__uplink_del(struct fp_maps *m, const char *ifname);
/*
 * The tagged circuit (outer, inner) on uplink ifname, as fp_vlan__set;
 * gw_port: a registered port's name, or NULL.
 */
int fp_ifcmd__vlan_set(struct fp_maps *m, const char *ifname, __u16 outer,
		       __u16 inner, const char *gw_port);
/* -ENOENT when there is no such tagged circuit. */
int fp_ifcmd__vlan_del(struct fp_maps *m, const char *ifname, __u16 outer,
		       __u16 inner);

#endif
