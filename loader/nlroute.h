/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A route as the kernel reports it (RTM_NEWROUTE, RTM_DELROUTE), turned
 * into the fp_xroute xlate decides on, read in place: no libnl object per
 * route, every attribute's length checked. Pure: no socket, no map.
 */
#ifndef FASTPATH_NLROUTE_H
#define FASTPATH_NLROUTE_H

#include <linux/netlink.h>
#include <linux/types.h>

#include "xlate.h"

/*
 * nh is a whole message of nh->nlmsg_len bytes. 1: *x is the route; 0: a
 * route xlate never looks at (another table or family, a TOS); -EINVAL:
 * malformed, and *why names what is wrong (a constant string).
 */
int fp_nlroute__parse(const struct nlmsghdr *nh, __u32 table,
		      struct fp_xroute *x, const char **why);

#endif
