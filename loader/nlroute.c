// SPDX-License-Identifier: GPL-2.0
/*
 * Route messages into fp_xroute. libnl's rtnl_route_parse() allocates an
 * object, a nexthop and two or three addresses per route: at a million
 * routes that is a third of a full sync. fp_nlroute__parse() reads the
 * same attributes in place, with libnl's own attribute policy, and gives
 * what fp_nlroute__from_obj() gives for the object libnl would build:
 * the same nexthop count (RTA_MULTIPATH, else one from RTA_OIF and its
 * friends), the same gateway (RTA_GATEWAY, else RTA_VIA), the same table
 * (RTA_TABLE over rtm_table), and the same refusals.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>

#include "nlroute.h"

/* libnl's route_policy (lib/route/route_obj.c, 3.7): it refuses alike. */
static struct nla_policy route_policy[RTA_MAX + 1] = {
	[RTA_IIF] = { .type = NLA_U32 },
	[RTA_OIF] = { .type = NLA_U32 },
	[RTA_PRIORITY] = { .type = NLA_U32 },
	[RTA_FLOW] = { .type = NLA_U32 },
	[RTA_CACHEINFO] = { .minlen = sizeof(struct rta_cacheinfo) },
	[RTA_METRICS] = { .type = NLA_NESTED },
	[RTA_MULTIPATH] = { .type = NLA_NESTED },
	[RTA_TTL_PROPAGATE] = { .type = NLA_U8 },
	[RTA_ENCAP] = { .type = NLA_NESTED },
	[RTA_ENCAP_TYPE] = { .type = NLA_U16 },
};

/* An address in an attribute: where, how long, which family. */
struct addr {
	const void *p;
	int len, family;
	bool set;
};

/* One nexthop: what route_nexthop() reads of it, and libnl compares. */
struct nh {
	__u32 oif, realms;
	unsigned int flags;
	bool has_oif, has_realms;
	struct addr gateway, via;
};

static void copy_bytes(__u8 *out, size_t max, const void *src, int len)
{
	memset(out, 0, max);
	if (len <= 0)
		return;
	memcpy(out, src, (size_t)len > max ? max : (size_t)len);
}

/* RTA_GATEWAY (in the route's family), RTA_VIA and RTA_FLOW of tb. */
static int nh_attrs(struct nlattr **tb, int family, struct nh *nh)
{
	if (tb[RTA_GATEWAY])
		nh->gateway = (struct addr){ nla_data(tb[RTA_GATEWAY]),
					     nla_len(tb[RTA_GATEWAY]), family,
					     true };
	if (tb[RTA_VIA]) {
		const struct rtvia *via = nla_data(tb[RTA_VIA]);
		int len = nla_len(tb[RTA_VIA]) -
			  (int)offsetof(struct rtvia, rtvia_addr);

		/* libnl fails to allocate a negative length: a refusal. */
		if (len < 0)
			return -EINVAL;
		nh->via = (struct addr){ via->rtvia_addr, len,
					 via->rtvia_family, true };
	}
	if (tb[RTA_FLOW]) {
		nh->has_realms = true;
		nh->realms = nla_get_u32(tb[RTA_FLOW]);
	}
	return 0;
}

/* RTA_MULTIPATH: the count, and the first nexthop in *first. */
static int multipath(const struct nlattr *attr, int family, struct nh *first,
		     unsigned int *count)
{
	const struct rtnexthop *rtnh = nla_data(attr);
	size_t tlen = nla_len(attr);

	*count = 0;
	while (tlen >= sizeof(*rtnh) && tlen >= rtnh->rtnh_len) {
		struct nlattr *ntb[RTA_MAX + 1];
		struct nh nh = { .oif = rtnh->rtnh_ifindex,
				 .flags = rtnh->rtnh_flags,
				 .has_oif = true };
		int err;

		if (rtnh->rtnh_len > sizeof(*rtnh)) {
			err = nla_parse(ntb, RTA_MAX,
					(struct nlattr *)RTNH_DATA(rtnh),
					rtnh->rtnh_len - sizeof(*rtnh),
					route_policy);
			if (err < 0)
				return -EINVAL;
			err = nh_attrs(ntb, family, &nh);
			if (err)
				return err;
		}
		if (!*count)
			*first = nh;
		(*count)++;
		tlen -= RTNH_ALIGN(rtnh->rtnh_len);
		rtnh = RTNH_NEXT(rtnh);
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

int fp_nlroute__parse(const struct nlmsghdr *hdr, __u32 want_table,
		      struct fp_xroute *x)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)hdr;
	struct nlattr *tb[RTA_MAX + 1];
	struct nh old = { 0 }, first = { 0 };
	const struct rtmsg *rtm;
	const struct addr *gw;
	unsigned int count = 0;
	bool has_old;
	__u32 table;
	int err;

	memset(x, 0, sizeof(*x));
	if (nlmsg_parse(nh, sizeof(*rtm), tb, RTA_MAX, route_policy) < 0)
		return -EINVAL;
	rtm = nlmsg_data(nh);
	if (tb[RTA_MULTIPATH]) {
		err = multipath(tb[RTA_MULTIPATH], rtm->rtm_family, &first,
				&count);
		if (err)
			return err;
	}
	/* The old single-nexthop attributes, as libnl gathers them. */
	has_old = tb[RTA_OIF] || tb[RTA_GATEWAY] || tb[RTA_FLOW] ||
		  tb[RTA_NEWDST] || tb[RTA_VIA] ||
		  (tb[RTA_ENCAP] && tb[RTA_ENCAP_TYPE]);
	if (has_old) {
		old.flags = rtm->rtm_flags & 0xff;
		if (tb[RTA_OIF]) {
			old.has_oif = true;
			old.oif = nla_get_u32(tb[RTA_OIF]);
		}
		err = nh_attrs(tb, rtm->rtm_family, &old);
		if (err)
			return err;
		if (!count) {
			first = old;
			count = 1;
		} else if (!same_nexthop(&old, &first)) {
			/* Both styles, not the same nexthop: libnl refuses. */
			return -EINVAL;
		}
	}

	table = rtm->rtm_table;
	if (tb[RTA_TABLE])
		table = nla_get_u32(tb[RTA_TABLE]);
	if (table != want_table && table != RT_TABLE_LOCAL)
		return 0;
	x->dst.family = rtm->rtm_family;
	if ((x->dst.family != AF_INET && x->dst.family != AF_INET6) ||
	    rtm->rtm_tos)
		return 0;
	x->dst.len = rtm->rtm_dst_len;
	if (tb[RTA_DST])
		copy_bytes(x->dst.addr, sizeof(x->dst.addr),
			   nla_data(tb[RTA_DST]), nla_len(tb[RTA_DST]));
	x->table = table;
	if (tb[RTA_PRIORITY])
		x->priority = nla_get_u32(tb[RTA_PRIORITY]);
	x->type = rtm->rtm_type;
	x->nhops = count > 255 ? 255 : count;
	if (x->nhops != 1)
		return 1;
	x->oif = first.oif;
	x->dead = first.flags & (RTNH_F_DEAD | RTNH_F_LINKDOWN);
	/* The gateway, else the RTA_VIA address, as route_nexthop() reads. */
	gw = first.gateway.set ? &first.gateway : &first.via;
	if (gw->set) {
		x->has_gw = true;
		x->gw_family = gw->family;
		copy_bytes(x->gw, sizeof(x->gw), gw->p, gw->len);
	}
	return 1;
}

static void copy_addr(struct nl_addr *a, __u8 *out, size_t max)
{
	size_t len = a ? nl_addr_get_len(a) : 0;

	memset(out, 0, max);
	if (len > max)
		len = max;
	if (len)
		memcpy(out, nl_addr_get_binary_addr(a), len);
}

static void route_nexthop(struct rtnl_route *r, struct fp_xroute *x)
{
	struct rtnl_nexthop *nh;
	struct nl_addr *gw;
	unsigned int flags;

	x->nhops = rtnl_route_get_nnexthops(r) > 255 ?
			   255 :
			   rtnl_route_get_nnexthops(r);
	if (x->nhops != 1)
		return;
	nh = rtnl_route_nexthop_n(r, 0);
	x->oif = rtnl_route_nh_get_ifindex(nh);
	flags = rtnl_route_nh_get_flags(nh);
	x->dead = flags & (RTNH_F_DEAD | RTNH_F_LINKDOWN);
	gw = rtnl_route_nh_get_gateway(nh);
	if (!gw)
		gw = rtnl_route_nh_get_via(nh);
	if (gw) {
		x->has_gw = true;
		x->gw_family = nl_addr_get_family(gw);
		copy_addr(gw, x->gw, sizeof(x->gw));
	}
}

int fp_nlroute__from_obj(struct rtnl_route *r, __u32 want_table,
			 struct fp_xroute *x)
{
	struct nl_addr *dst = rtnl_route_get_dst(r);
	__u32 table = rtnl_route_get_table(r);

	memset(x, 0, sizeof(*x));
	if (table != want_table && table != RT_TABLE_LOCAL)
		return 0;
	x->dst.family = rtnl_route_get_family(r);
	if ((x->dst.family != AF_INET && x->dst.family != AF_INET6) ||
	    rtnl_route_get_tos(r))
		return 0;
	x->dst.len = dst ? nl_addr_get_prefixlen(dst) : 0;
	copy_addr(dst, x->dst.addr, sizeof(x->dst.addr));
	x->table = table;
	x->priority = rtnl_route_get_priority(r);
	x->type = rtnl_route_get_type(r);
	route_nexthop(r, x);
	return 1;
}
