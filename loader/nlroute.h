/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A route as the kernel reports it (RTM_NEWROUTE, RTM_DELROUTE), turned
 * into the fp_xroute xlate decides on. Two ways to the same answer: from
 * the raw message, which a dump of a million routes takes (no libnl object
 * per route), and from a libnl route object, which events take and the
 * tests hold the first to (tests/test_nlroute.c).
 */
#ifndef FASTPATH_NLROUTE_H
#define FASTPATH_NLROUTE_H

#include <linux/netlink.h>
#include <linux/types.h>

#include "xlate.h"

struct rtnl_route;

/*
 * 1: *x is the route; 0: a route xlate never looks at (another table or
 * family, a TOS); -EINVAL: a message libnl would refuse to parse.
 */
int fp_nlroute__parse(const struct nlmsghdr *nh, __u32 table,
		      struct fp_xroute *x);
/* 1 or 0 as above, from a route libnl parsed. */
int fp_nlroute__from_obj(struct rtnl_route *r, __u32 table,
			 struct fp_xroute *x);

#endif
