// SPDX-License-Identifier: GPL-2.0
/*
 * Route messages (RTM_NEWROUTE, RTM_DELROUTE) into fp_xroute, read in
 * place. libnl's rtnl_route_parse() allocates an object, a nexthop and
 * two or three addresses per route, a third of a full sync at a million
 * routes; and it trusts lengths a message could get wrong (a short
 * RTA_VIA makes it copy a negative length, a zero-length nexthop in
 * RTA_MULTIPATH loops for ever). This reads the attributes itself, each
 * length checked, and otherwise gives what libnl's object gives
 * (tests/test_nlroute.c holds it to that): the nexthop count from
 * RTA_MULTIPATH, else one from RTA_OIF and its friends; the gateway from
 * RTA_GATEWAY, else RTA_VIA; the table from RTA_TABLE over rtm_table;
 * and libnl's refusal of old- and new-style nexthops that disagree.
 *
 * Attributes are walked here rather than with nla_parse(): that one
 * stops quietly at an attribute running past its message, and a route
 * missing its RTA_MULTIPATH would read as another route.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "nlroute.h"

/* An attribute's payload, once its length is checked. */
struct attr {
	const void *p;
	size_t len;
};

/* The attributes a route is read from; others are skipped. */
enum {
	A_DST,
	A_OIF,
	A_GATEWAY,
	A_PRIORITY,
	A_MULTIPATH,
	A_FLOW,
	A_TABLE,
	A_VIA,
	A_NEWDST,
	A_ENCAP,
	A_ENCAP_TYPE,
	A_MAX
};

struct attrs {
	struct attr a[A_MAX];
	bool has[A_MAX];
};

static int attr_slot(unsigned int type)
{
	switch (type) {
	case RTA_DST:
		return A_DST;
	case RTA_OIF:
		return A_OIF;
	case RTA_GATEWAY:
		return A_GATEWAY;
	case RTA_PRIORITY:
		return A_PRIORITY;
	case RTA_MULTIPATH:
		return A_MULTIPATH;
	case RTA_FLOW:
		return A_FLOW;
	case RTA_TABLE:
		return A_TABLE;
	case RTA_VIA:
		return A_VIA;
	case RTA_NEWDST:
		return A_NEWDST;
	case RTA_ENCAP:
		return A_ENCAP;
	case RTA_ENCAP_TYPE:
		return A_ENCAP_TYPE;
	default:
		return -1;
	}
}

static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

/*
 * The attributes in [p, p + len) into *at. Every one must lie inside the
 * range; only the last one's alignment padding may be missing.
 */
static int walk_attrs(const void *p, size_t len, struct attrs *at,
		      const char **why)
{
	const unsigned char *c = p;

	memset(at, 0, sizeof(*at));
	while (len) {
		const struct rtattr *rta = (const struct rtattr *)c;
		size_t step;
		int slot;

		if (len < sizeof(*rta) || rta->rta_len < sizeof(*rta) ||
		    rta->rta_len > len) {
			*why = "an attribute runs past its message";
			return -EINVAL;
		}
		slot = attr_slot(rta->rta_type & NLA_TYPE_MASK);
		if (slot >= 0) {
			at->has[slot] = true;
			at->a[slot].p = RTA_DATA(rta);
			at->a[slot].len = RTA_PAYLOAD(rta);
		}
		step = RTA_ALIGN(rta->rta_len);
		if (step >= len)
			break;
		len -= step;
		c += step;
	}
	return 0;
}

/* A u32 attribute, which must be exactly that long. */
static int get_u32(const struct attrs *at, int slot, const char *name, __u32 *v,
		   const char **why)
{
	if (at->a[slot].len != sizeof(__u32)) {
		*why = name;
		return -EINVAL;
	}
	memcpy(v, at->a[slot].p, sizeof(*v));
	return 0;
}

/* An address in an attribute: where, how long, which family. */
struct addr {
	const void *p;
	size_t len;
	int family;
	bool set;
};

/* One nexthop: what the route's fields are taken from, and compared. */
struct nh {
	__u32 oif, realms;
	unsigned int flags;
	bool has_oif, has_realms;
	struct addr gateway, via;
};

/* RTA_GATEWAY (in the route's family), RTA_VIA and RTA_FLOW of at. */
static int nh_attrs(const struct attrs *at, int family, struct nh *nh,
		    const char **why)
{
	if (at->has[A_GATEWAY]) {
		if (at->a[A_GATEWAY].len != addr_len(family)) {
			*why = "RTA_GATEWAY is not one address long";
			return -EINVAL;
		}
		nh->gateway = (struct addr){ at->a[A_GATEWAY].p,
					     at->a[A_GATEWAY].len, family,
					     true };
	}
	if (at->has[A_VIA]) {
		const size_t hdr = offsetof(struct rtvia, rtvia_addr);
		struct rtvia via;
		size_t len;

		if (at->a[A_VIA].len < hdr) {
			*why = "RTA_VIA is shorter than its family";
			return -EINVAL;
		}
		memcpy(&via, at->a[A_VIA].p, hdr);
		len = at->a[A_VIA].len - hdr;
		if (addr_len(via.rtvia_family) ?
			    len != addr_len(via.rtvia_family) :
			    len > sizeof(((struct fp_xroute *)0)->gw)) {
			*why = "RTA_VIA is not one address long";
			return -EINVAL;
		}
		nh->via = (struct addr){ (const char *)at->a[A_VIA].p + hdr,
					 len, via.rtvia_family, true };
	}
	if (at->has[A_FLOW]) {
		nh->has_realms = true;
		if (get_u32(at, A_FLOW, "RTA_FLOW is not 4 bytes long",
			    &nh->realms, why))
			return -EINVAL;
	}
	return 0;
}

/* RTA_MULTIPATH: the count, and the first nexthop in *first. */
static int multipath(const struct attr *mp, int family, struct nh *first,
		     unsigned int *count, const char **why)
{
	const unsigned char *c = mp->p;
	size_t len = mp->len;

	*count = 0;
	while (len) {
		struct rtnexthop rtnh;
		struct nh nh = { 0 };
		struct attrs at;
		size_t step;

		if (len < sizeof(rtnh)) {
			*why = "RTA_MULTIPATH ends inside a nexthop";
			return -EINVAL;
		}
		memcpy(&rtnh, c, sizeof(rtnh));
		if (rtnh.rtnh_len < sizeof(rtnh) || rtnh.rtnh_len > len) {
			*why = "a nexthop of RTA_MULTIPATH runs past it";
			return -EINVAL;
		}
		nh.oif = rtnh.rtnh_ifindex;
		nh.flags = rtnh.rtnh_flags;
		nh.has_oif = true;
		if (walk_attrs(c + sizeof(rtnh), rtnh.rtnh_len - sizeof(rtnh),
			       &at, why) ||
		    nh_attrs(&at, family, &nh, why))
			return -EINVAL;
		if (!*count)
			*first = nh;
		(*count)++;
		step = RTNH_ALIGN(rtnh.rtnh_len);
		if (step >= len)
			break;
		len -= step;
		c += step;
	}
	return 0;
}

static bool same_addr(const struct addr *a, const struct addr *b)
{
	return a->set == b->set &&
	       (!a->set || (a->family == b->family && a->len == b->len &&
			    !memcmp(a->p, b->p, a->len)));
}

/*
 * libnl's check of old against new style (rtnl_route_nh_compare): what
 * the old style names must be in the first nexthop too, and equal.
 */
static bool same_nexthop(const struct nh *old, const struct nh *first)
{
	return (!old->has_oif || old->oif == first->oif) &&
	       (!old->has_realms ||
		(first->has_realms && old->realms == first->realms)) &&
	       (!old->gateway.set ||
		same_addr(&old->gateway, &first->gateway)) &&
	       (!old->via.set || same_addr(&old->via, &first->via)) &&
	       old->flags == first->flags;
}

/* The old single-nexthop attributes, as libnl gathers them. */
static int old_style(const struct attrs *at, const struct rtmsg *rtm,
		     struct nh *old, bool *has, const char **why)
{
	*has = at->has[A_OIF] || at->has[A_GATEWAY] || at->has[A_FLOW] ||
	       at->has[A_NEWDST] || at->has[A_VIA] ||
	       (at->has[A_ENCAP] && at->has[A_ENCAP_TYPE]);
	if (!*has)
		return 0;
	old->flags = rtm->rtm_flags & 0xff;
	if (at->has[A_OIF]) {
		old->has_oif = true;
		if (get_u32(at, A_OIF, "RTA_OIF is not 4 bytes long", &old->oif,
			    why))
			return -EINVAL;
	}
	return nh_attrs(at, rtm->rtm_family, old, why);
}

int fp_nlroute__parse(const struct nlmsghdr *nh, __u32 want_table,
		      struct fp_xroute *x, const char **why)
{
	struct nh old = { 0 }, first = { 0 };
	unsigned int count = 0;
	const struct addr *gw;
	struct rtmsg rtm;
	struct attrs at;
	size_t alen;
	bool has_old;
	__u32 table;

	memset(x, 0, sizeof(*x));
	*why = NULL;
	if (nh->nlmsg_len < NLMSG_SPACE(sizeof(rtm))) {
		*why = "shorter than a route message";
		return -EINVAL;
	}
	memcpy(&rtm, NLMSG_DATA(nh), sizeof(rtm));
	/* Other families (MPLS, bridge) are another grammar: not ours. */
	alen = addr_len(rtm.rtm_family);
	if (!alen)
		return 0;
	if (walk_attrs((const char *)NLMSG_DATA(nh) + NLMSG_ALIGN(sizeof(rtm)),
		       nh->nlmsg_len - NLMSG_SPACE(sizeof(rtm)), &at, why))
		return -EINVAL;
	if (at.has[A_MULTIPATH] &&
	    multipath(&at.a[A_MULTIPATH], rtm.rtm_family, &first, &count, why))
		return -EINVAL;
	if (old_style(&at, &rtm, &old, &has_old, why))
		return -EINVAL;
	if (has_old && !count) {
		first = old;
		count = 1;
	} else if (has_old && !same_nexthop(&old, &first)) {
		*why = "RTA_MULTIPATH and RTA_OIF name different nexthops";
		return -EINVAL;
	}
	if (rtm.rtm_dst_len > alen * 8) {
		*why = "rtm_dst_len is longer than an address";
		return -EINVAL;
	}
	if (at.has[A_DST] ? at.a[A_DST].len != alen : rtm.rtm_dst_len != 0) {
		*why = "RTA_DST is not one address long";
		return -EINVAL;
	}
	table = rtm.rtm_table;
	if (at.has[A_TABLE] &&
	    get_u32(&at, A_TABLE, "RTA_TABLE is not 4 bytes long", &table, why))
		return -EINVAL;
	if (at.has[A_PRIORITY] &&
	    get_u32(&at, A_PRIORITY, "RTA_PRIORITY is not 4 bytes long",
		    &x->priority, why))
		return -EINVAL;

	if ((table != want_table && table != RT_TABLE_LOCAL) || rtm.rtm_tos) {
		x->priority = 0;
		return 0;
	}
	x->dst.family = rtm.rtm_family;
	x->dst.len = rtm.rtm_dst_len;
	if (at.has[A_DST])
		memcpy(x->dst.addr, at.a[A_DST].p, alen);
	x->table = table;
	x->type = rtm.rtm_type;
	x->nhops = count > 255 ? 255 : count;
	if (x->nhops != 1)
		return 1;
	x->oif = first.oif;
	x->dead = first.flags & (RTNH_F_DEAD | RTNH_F_LINKDOWN);
	/* The gateway, else the RTA_VIA address, as libnl's nexthop has it. */
	gw = first.gateway.set ? &first.gateway : &first.via;
	if (gw->set) {
		x->has_gw = true;
		x->gw_family = gw->family;
		memcpy(x->gw, gw->p, gw->len);
	}
	return 1;
}
