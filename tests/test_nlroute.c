// SPDX-License-Identifier: GPL-2.0
/*
 * The route parser (fp_nlroute__parse, raw messages) against libnl's
 * reading of the same messages (rtnl_route_parse, then the fields sync
 * took from the object before): the same verdict and fp_xroute out, field
 * by field. Hand-made cases name the rules (multipath, blackhole, tables,
 * TOS, via, link-local); malformed messages, some of which libnl reads
 * anyway or cannot survive, are refused by the raw parser alone, with a
 * reason; random messages cover what the cases miss, and random damage
 * to good messages is refused or read, never read past.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>

#include "check.h"
#include "nlroute.h"

#define MAIN RT_TABLE_MAIN

static void copy_addr(struct nl_addr *a, __u8 *out, size_t max)
{
	size_t len = a ? nl_addr_get_len(a) : 0;

	memset(out, 0, max);
	if (len > max)
		len = max;
	if (len)
		memcpy(out, nl_addr_get_binary_addr(a), len);
}

/* The reference: sync's reading of a libnl route object, as it was. */
static int from_obj(struct rtnl_route *r, __u32 want_table, struct fp_xroute *x)
{
	struct nl_addr *dst = rtnl_route_get_dst(r), *gw;
	__u32 table = rtnl_route_get_table(r);
	struct rtnl_nexthop *nh;

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
	x->nhops = rtnl_route_get_nnexthops(r) > 255 ?
			   255 :
			   rtnl_route_get_nnexthops(r);
	if (x->nhops != 1)
		return 1;
	nh = rtnl_route_nexthop_n(r, 0);
	x->oif = rtnl_route_nh_get_ifindex(nh);
	x->dead = rtnl_route_nh_get_flags(nh) & (RTNH_F_DEAD | RTNH_F_LINKDOWN);
	gw = rtnl_route_nh_get_gateway(nh);
	if (!gw)
		gw = rtnl_route_nh_get_via(nh);
	if (gw) {
		x->has_gw = true;
		x->gw_family = nl_addr_get_family(gw);
		copy_addr(gw, x->gw, sizeof(x->gw));
	}
	return 1;
}

/* A route message under construction. */
struct rmsg {
	struct nl_msg *msg;
	struct nlattr *mp; /* RTA_MULTIPATH open */
};

static void rmsg_start(struct rmsg *m, int type, __u8 family, __u8 dst_len,
		       __u8 table, __u8 rtype)
{
	struct rtmsg rtm = { .rtm_family = family,
			     .rtm_dst_len = dst_len,
			     .rtm_table = table,
			     .rtm_protocol = RTPROT_STATIC,
			     .rtm_scope = RT_SCOPE_UNIVERSE,
			     .rtm_type = rtype };

	m->msg = nlmsg_alloc_simple(type, 0);
	assert_non_null(m->msg);
	m->mp = NULL;
	assert_int_equal(nlmsg_append(m->msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO),
			 0);
}

static struct rtmsg *rmsg_rtm(struct rmsg *m)
{
	return nlmsg_data(nlmsg_hdr(m->msg));
}

static void put_addr(struct rmsg *m, int attr, const char *text)
{
	__u8 a[16];
	int family = strchr(text, ':') ? AF_INET6 : AF_INET;

	assert_int_equal(inet_pton(family, text, a), 1);
	assert_int_equal(nla_put(m->msg, attr, family == AF_INET ? 4 : 16, a),
			 0);
}

static void put_u32(struct rmsg *m, int attr, __u32 v)
{
	assert_int_equal(nla_put_u32(m->msg, attr, v), 0);
}

static void put_via(struct rmsg *m, const char *text)
{
	struct {
		struct rtvia via;
		__u8 a[16];
	} v = { 0 };
	int family = strchr(text, ':') ? AF_INET6 : AF_INET;

	v.via.rtvia_family = family;
	assert_int_equal(inet_pton(family, text, v.a), 1);
	assert_int_equal(nla_put(m->msg, RTA_VIA,
				 sizeof(v.via) + (family == AF_INET ? 4 : 16),
				 &v),
			 0);
}

/* One nexthop of RTA_MULTIPATH; gw NULL: none. */
static void put_nexthop(struct rmsg *m, __u32 oif, __u8 flags, const char *gw)
{
	struct rtnexthop *rtnh;

	if (!m->mp) {
		m->mp = nla_nest_start(m->msg, RTA_MULTIPATH);
		assert_non_null(m->mp);
	}
	rtnh = nlmsg_reserve(m->msg, sizeof(*rtnh), NLMSG_ALIGNTO);
	assert_non_null(rtnh);
	rtnh->rtnh_ifindex = oif;
	rtnh->rtnh_flags = flags;
	rtnh->rtnh_hops = 0;
	if (gw)
		put_addr(m, RTA_GATEWAY, gw);
	rtnh->rtnh_len = (char *)nlmsg_tail(nlmsg_hdr(m->msg)) - (char *)rtnh;
}

static void end_multipath(struct rmsg *m)
{
	if (m->mp)
		nla_nest_end(m->msg, m->mp);
	m->mp = NULL;
}

static void expect_field(const char *name, const char *what, long long want,
			 long long seen)
{
	char buf[160];

	snprintf(buf, sizeof(buf), "%s: %s (object path vs raw parse)", name,
		 what);
	check_int(buf, want, seen);
}

/* Both paths on m; the verdict they agree on (1, 0 or < 0) is returned. */
static int both(const char *name, struct rmsg *m, __u32 table,
		struct fp_xroute *out)
{
	struct nlmsghdr *nh = nlmsg_hdr(m->msg);
	struct rtnl_route *r = NULL;
	struct fp_xroute a, b;
	const char *why;
	int ra, rb;
	char buf[160];

	end_multipath(m);
	memset(&a, 0, sizeof(a));
	ra = rtnl_route_parse(nh, &r) < 0 ? -1 : from_obj(r, table, &a);
	if (r)
		rtnl_route_put(r);
	rb = fp_nlroute__parse(nh, table, &b, &why);
	check_true("a refusal says why", rb >= 0 || why);
	expect_field(name, "verdict", ra, rb < 0 ? -1 : rb);
	if (ra == 1) {
		expect_field(name, "family", a.dst.family, b.dst.family);
		expect_field(name, "prefix length", a.dst.len, b.dst.len);
		snprintf(buf, sizeof(buf), "%s: destination", name);
		check_hexdump_diff(buf, a.dst.addr, b.dst.addr, 16);
		assert_memory_equal(a.dst.addr, b.dst.addr, 16);
		expect_field(name, "table", a.table, b.table);
		expect_field(name, "priority", a.priority, b.priority);
		expect_field(name, "type", a.type, b.type);
		expect_field(name, "nexthops", a.nhops, b.nhops);
		expect_field(name, "dead", a.dead, b.dead);
		expect_field(name, "has_gw", a.has_gw, b.has_gw);
		expect_field(name, "gw_family", a.gw_family, b.gw_family);
		expect_field(name, "oif", a.oif, b.oif);
		snprintf(buf, sizeof(buf), "%s: gateway", name);
		check_hexdump_diff(buf, a.gw, b.gw, 16);
		assert_memory_equal(a.gw, b.gw, 16);
		if (out)
			*out = b;
	}
	nlmsg_free(m->msg);
	return ra;
}

static void test_single_nexthop(void **state)
{
	struct fp_xroute x;
	struct rmsg m;

	rmsg_start(&m, RTM_NEWROUTE, AF_INET, 32, MAIN, RTN_UNICAST);
	put_u32(&m, RTA_TABLE, MAIN);
	put_addr(&m, RTA_DST, "198.18.0.7");
	put_addr(&m, RTA_GATEWAY, "198.19.1.10");
	put_u32(&m, RTA_OIF, 5);
	put_u32(&m, RTA_PRIORITY, 100);
	check_int("v4 host via gw: kept", 1, both("v4 host", &m, MAIN, &x));
	check_int("v4 host: oif", 5, x.oif);
	check_int("v4 host: nexthops", 1, x.nhops);
	check_int("v4 host: priority", 100, x.priority);

	rmsg_start(&m, RTM_NEWROUTE, AF_INET6, 128, MAIN, RTN_UNICAST);
	put_u32(&m, RTA_TABLE, MAIN);
	put_addr(&m, RTA_DST, "2001:db8:1::7");
	put_addr(&m, RTA_GATEWAY, "2001:db8:100:1::10");
	put_u32(&m, RTA_OIF, 5);
	put_u32(&m, RTA_PRIORITY, 1024);
	check_int("v6 host via gw: kept", 1, both("v6 host", &m, MAIN, &x));
	check_true("v6 host: has a gateway", x.has_gw);

	/* A connected route: no gateway, and a deleted one reads alike. */
	rmsg_start(&m, RTM_DELROUTE, AF_INET6, 64, MAIN, RTN_UNICAST);
	put_addr(&m, RTA_DST, "2001:db8:100:1::");
	put_u32(&m, RTA_OIF, 5);
	check_int("v6 link route: kept", 1, both("v6 link", &m, MAIN, &x));
	check_true("v6 link route: no gateway", !x.has_gw);

	/* Link-local: a connected fe80::/64 and a route via fe80::1. */
	rmsg_start(&m, RTM_NEWROUTE, AF_INET6, 64, MAIN, RTN_UNICAST);
	put_addr(&m, RTA_DST, "fe80::");
	put_u32(&m, RTA_OIF, 5);
	put_u32(&m, RTA_PRIORITY, 256);
	both("fe80::/64", &m, MAIN, NULL);
	rmsg_start(&m, RTM_NEWROUTE, AF_INET6, 48, MAIN, RTN_UNICAST);
	put_addr(&m, RTA_DST, "2001:db8:300::");
	put_addr(&m, RTA_GATEWAY, "fe80::1");
	put_u32(&m, RTA_OIF, 5);
	both("via fe80::1", &m, MAIN, NULL);

	/* RTA_VIA: an IPv4 route via an IPv6 gateway. */
	rmsg_start(&m, RTM_NEWROUTE, AF_INET, 24, MAIN, RTN_UNICAST);
	put_addr(&m, RTA_DST, "198.20.0.0");
	put_via(&m, "2001:db8:100:1::10");
	put_u32(&m, RTA_OIF, 5);
	check_int("v4 via v6: kept", 1, both("v4 via v6", &m, MAIN, &x));
	check_int("v4 via v6: gw_family", AF_INET6, x.gw_family);

	/* Dead and link-down nexthops, in the header's flags. */
	for (int f = 0; f < 2; f++) {
		rmsg_start(&m, RTM_NEWROUTE, AF_INET, 24, MAIN, RTN_UNICAST);
		rmsg_rtm(&m)->rtm_flags = f ? RTNH_F_LINKDOWN : RTNH_F_DEAD;
		put_addr(&m, RTA_DST, "198.20.0.0");
		put_u32(&m, RTA_OIF, 5);
		check_int("dead or link-down: kept", 1,
			  both(f ? "linkdown" : "dead", &m, MAIN, &x));
		check_true("dead or link-down: dead", x.dead);
	}
	(void)state;
}

static void test_multipath(void **state)
{
	struct fp_xroute x;
	struct rmsg m;

	rmsg_start(&m, RTM_NEWROUTE, AF_INET, 24, MAIN, RTN_UNICAST);
	put_addr(&m, RTA_DST, "198.20.0.0");
	put_nexthop(&m, 5, 0, "198.19.1.10");
	put_nexthop(&m, 6, 0, "198.19.2.10");
	check_int("v4 multipath: kept", 1, both("v4 ecmp", &m, MAIN, &x));
	check_int("v4 multipath: nexthops", 2, x.nhops);

	rmsg_start(&m, RTM_NEWROUTE, AF_INET6, 64, MAIN, RTN_UNICAST);
	put_addr(&m, RTA_DST, "2001:db8:200:1::");
	put_nexthop(&m, 5, 0, "2001:db8:100:1::10");
	put_nexthop(&m, 6, RTNH_F_DEAD, "fe80::2");
	put_nexthop(&m, 7, 0, NULL);
	check_int("v6 multipath: kept", 1, both("v6 ecmp", &m, MAIN, &x));
	check_int("v6 multipath: nexthops", 3, x.nhops);

	/* One nexthop in RTA_MULTIPATH is one nexthop. */
	rmsg_start(&m, RTM_NEWROUTE, AF_INET6, 64, MAIN, RTN_UNICAST);
	put_addr(&m, RTA_DST, "2001:db8:200:1::");
	put_nexthop(&m, 5, RTNH_F_LINKDOWN, "2001:db8:100:1::10");
	check_int("multipath of one: kept", 1,
		  both("multipath of one", &m, MAIN, &x));
	check_int("multipath of one: oif", 5, x.oif);
	check_true("multipath of one: dead", x.dead);

	/* Both styles: the same nexthop is fine, another one is refused. */
	for (int other = 0; other < 2; other++) {
		rmsg_start(&m, RTM_NEWROUTE, AF_INET, 24, MAIN, RTN_UNICAST);
		put_addr(&m, RTA_DST, "198.20.0.0");
		put_u32(&m, RTA_OIF, other ? 6 : 5);
		put_nexthop(&m, 5, 0, "198.19.1.10");
		check_int("both styles", other ? -1 : 1,
			  both(other ? "both styles, other" :
				       "both styles, same",
			       &m, MAIN, NULL));
	}
	(void)state;
}

static void test_types_tables_protocols(void **state)
{
	static const __u8 types[] = { RTN_BLACKHOLE, RTN_UNREACHABLE,
				      RTN_PROHIBIT,  RTN_LOCAL,
				      RTN_BROADCAST, RTN_THROW };
	static const __u8 protos[] = { RTPROT_KERNEL, RTPROT_BOOT,
				       RTPROT_STATIC, RTPROT_BGP };
	struct fp_xroute x;
	struct rmsg m;

	for (size_t i = 0; i < sizeof(types); i++) {
		rmsg_start(&m, RTM_NEWROUTE, AF_INET6, 48, MAIN, types[i]);
		put_addr(&m, RTA_DST, "2001:db8:300::");
		put_u32(&m, RTA_PRIORITY, 1024);
		if (types[i] == RTN_LOCAL)
			put_u32(&m, RTA_OIF, 1);
		check_int("typed route: kept", 1,
			  both("typed route", &m, MAIN, &x));
		check_int("typed route: type", types[i], x.type);
	}
	for (size_t i = 0; i < sizeof(protos); i++) {
		rmsg_start(&m, RTM_NEWROUTE, AF_INET, 24, MAIN, RTN_UNICAST);
		rmsg_rtm(&m)->rtm_protocol = protos[i];
		put_addr(&m, RTA_DST, "198.20.0.0");
		put_u32(&m, RTA_OIF, 5);
		check_int("any protocol: kept", 1,
			  both("protocol", &m, MAIN, NULL));
	}
	/* Another table: not looked at; local always; RTA_TABLE wins. */
	rmsg_start(&m, RTM_NEWROUTE, AF_INET, 24, 100, RTN_UNICAST);
	put_addr(&m, RTA_DST, "198.20.0.0");
	put_u32(&m, RTA_OIF, 5);
	check_int("table 100: not looked at", 0,
		  both("table 100", &m, MAIN, NULL));
	rmsg_start(&m, RTM_NEWROUTE, AF_INET, 24, 100, RTN_UNICAST);
	put_addr(&m, RTA_DST, "198.20.0.0");
	put_u32(&m, RTA_OIF, 5);
	check_int("table 100 under --table 100", 1,
		  both("table 100, synced", &m, 100, NULL));
	rmsg_start(&m, RTM_NEWROUTE, AF_INET, 32, RT_TABLE_LOCAL, RTN_LOCAL);
	put_addr(&m, RTA_DST, "198.19.1.1");
	put_u32(&m, RTA_OIF, 5);
	check_int("local table: kept", 1, both("local", &m, MAIN, &x));
	check_int("local table: table", RT_TABLE_LOCAL, x.table);
	rmsg_start(&m, RTM_NEWROUTE, AF_INET, 24, RT_TABLE_COMPAT, RTN_UNICAST);
	put_u32(&m, RTA_TABLE, 1000);
	put_addr(&m, RTA_DST, "198.20.0.0");
	put_u32(&m, RTA_OIF, 5);
	check_int("RTA_TABLE 1000 over rtm_table", 1,
		  both("RTA_TABLE", &m, 1000, &x));
	check_int("RTA_TABLE: table", 1000, x.table);
	/* TOS and foreign families: not looked at. */
	rmsg_start(&m, RTM_NEWROUTE, AF_INET, 24, MAIN, RTN_UNICAST);
	rmsg_rtm(&m)->rtm_tos = 0x10;
	put_addr(&m, RTA_DST, "198.20.0.0");
	put_u32(&m, RTA_OIF, 5);
	check_int("TOS route: not looked at", 0, both("tos", &m, MAIN, NULL));
	rmsg_start(&m, RTM_NEWROUTE, AF_BRIDGE, 0, MAIN, RTN_UNICAST);
	put_u32(&m, RTA_OIF, 5);
	check_int("AF_BRIDGE: not looked at", 0,
		  both("bridge", &m, MAIN, NULL));
	(void)state;
}

/*
 * The raw parser alone on m: refused, for the reason named. libnl is not
 * asked; it reads some of these anyway and cannot survive others.
 */
static void refused(const char *name, struct rmsg *m, const char *reason)
{
	struct fp_xroute x;
	const char *why = NULL;
	char buf[160];
	int ret;

	end_multipath(m);
	ret = fp_nlroute__parse(nlmsg_hdr(m->msg), MAIN, &x, &why);
	snprintf(buf, sizeof(buf), "%s: refused", name);
	check_int(buf, -EINVAL, ret);
	snprintf(buf, sizeof(buf), "%s: the reason", name);
	check_str(buf, reason, why ? why : "(none)");
	nlmsg_free(m->msg);
}

static void test_missing(void **state)
{
	struct fp_xroute x;
	struct rmsg m;

	/* The default route: no RTA_DST, no metric, no table attribute. */
	rmsg_start(&m, RTM_NEWROUTE, AF_INET, 0, MAIN, RTN_UNICAST);
	put_addr(&m, RTA_GATEWAY, "198.19.1.10");
	put_u32(&m, RTA_OIF, 5);
	check_int("default route: kept", 1, both("default", &m, MAIN, &x));
	check_int("default route: length", 0, x.dst.len);
	/* No nexthop attribute at all, and only RTA_FLOW. */
	rmsg_start(&m, RTM_NEWROUTE, AF_INET6, 64, MAIN, RTN_UNICAST);
	put_addr(&m, RTA_DST, "2001:db8:200:1::");
	check_int("no nexthop: kept", 1, both("no nexthop", &m, MAIN, &x));
	check_int("no nexthop: nexthops", 0, x.nhops);
	rmsg_start(&m, RTM_NEWROUTE, AF_INET, 24, MAIN, RTN_UNICAST);
	put_addr(&m, RTA_DST, "198.20.0.0");
	put_u32(&m, RTA_FLOW, 7);
	both("only RTA_FLOW", &m, MAIN, NULL);
	/* Short u32 attributes: refused by both. */
	rmsg_start(&m, RTM_NEWROUTE, AF_INET, 24, MAIN, RTN_UNICAST);
	put_addr(&m, RTA_DST, "198.20.0.0");
	assert_int_equal(nla_put_u16(m.msg, RTA_PRIORITY, 7), 0);
	check_int("short RTA_PRIORITY: refused", -1,
		  both("short priority", &m, MAIN, NULL));
	rmsg_start(&m, RTM_NEWROUTE, AF_INET, 24, MAIN, RTN_UNICAST);
	put_addr(&m, RTA_DST, "198.20.0.0");
	assert_int_equal(nla_put_u8(m.msg, RTA_OIF, 5), 0);
	check_int("short RTA_OIF: refused", -1,
		  both("short oif", &m, MAIN, NULL));
	/* Another family is another grammar: left alone, whatever it holds. */
	rmsg_start(&m, RTM_NEWROUTE, AF_MPLS, 20, MAIN, RTN_UNICAST);
	assert_int_equal(nla_put_u16(m.msg, RTA_DST, 7), 0);
	assert_int_equal(nla_put_u8(m.msg, RTA_OIF, 5), 0);
	check_int("AF_MPLS: not looked at", 0,
		  fp_nlroute__parse(nlmsg_hdr(m.msg), MAIN, &x,
				    &(const char *){ NULL }));
	nlmsg_free(m.msg);
	(void)state;
}

static struct rtnexthop *first_nexthop(struct rmsg *m)
{
	struct nlattr *mp;

	end_multipath(m);
	mp = nlmsg_find_attr(nlmsg_hdr(m->msg), sizeof(struct rtmsg),
			     RTA_MULTIPATH);
	assert_non_null(mp);
	return nla_data(mp);
}

static void test_malformed(void **state)
{
	static const __u8 long_dst[20] = { 198, 20, 0, 0, 1 };
	struct rtnexthop *rtnh;
	struct rmsg m;

	rmsg_start(&m, RTM_NEWROUTE, AF_INET6, 128, MAIN, RTN_UNICAST);
	assert_int_equal(nla_put(m.msg, RTA_DST, sizeof(long_dst), long_dst),
			 0);
	put_u32(&m, RTA_OIF, 5);
	refused("20-byte RTA_DST", &m, "RTA_DST is not one address long");
	rmsg_start(&m, RTM_NEWROUTE, AF_INET6, 64, MAIN, RTN_UNICAST);
	put_addr(&m, RTA_DST, "198.20.0.0");
	refused("IPv4 RTA_DST in an IPv6 route", &m,
		"RTA_DST is not one address long");
	rmsg_start(&m, RTM_NEWROUTE, AF_INET, 24, MAIN, RTN_UNICAST);
	put_u32(&m, RTA_OIF, 5);
	refused("a /24 without RTA_DST", &m, "RTA_DST is not one address long");
	rmsg_start(&m, RTM_NEWROUTE, AF_INET, 33, MAIN, RTN_UNICAST);
	put_addr(&m, RTA_DST, "198.20.0.0");
	refused("IPv4 /33", &m, "rtm_dst_len is longer than an address");
	rmsg_start(&m, RTM_NEWROUTE, AF_INET, 24, MAIN, RTN_UNICAST);
	put_addr(&m, RTA_DST, "198.20.0.0");
	put_addr(&m, RTA_GATEWAY, "2001:db8:100:1::10");
	refused("IPv6 RTA_GATEWAY in an IPv4 route", &m,
		"RTA_GATEWAY is not one address long");
	rmsg_start(&m, RTM_NEWROUTE, AF_INET, 24, MAIN, RTN_UNICAST);
	put_addr(&m, RTA_DST, "198.20.0.0");
	assert_int_equal(nla_put_u16(m.msg, RTA_TABLE, MAIN), 0);
	refused("short RTA_TABLE", &m, "RTA_TABLE is not 4 bytes long");
	/* libnl 3.7 copies a negative length for a short RTA_VIA. */
	rmsg_start(&m, RTM_NEWROUTE, AF_INET, 24, MAIN, RTN_UNICAST);
	put_addr(&m, RTA_DST, "198.20.0.0");
	assert_int_equal(nla_put_u8(m.msg, RTA_VIA, AF_INET), 0);
	refused("short RTA_VIA", &m, "RTA_VIA is shorter than its family");
	rmsg_start(&m, RTM_NEWROUTE, AF_INET, 24, MAIN, RTN_UNICAST);
	put_addr(&m, RTA_DST, "198.20.0.0");
	put_via(&m, "198.19.1.10");
	/* The family says IPv6, the address is IPv4. */
	((struct rtvia *)nla_data(nlmsg_find_attr(
		 nlmsg_hdr(m.msg), sizeof(struct rtmsg), RTA_VIA)))
		->rtvia_family = AF_INET6;
	refused("RTA_VIA family and length disagree", &m,
		"RTA_VIA is not one address long");

	/* The last attribute runs past the message. */
	rmsg_start(&m, RTM_NEWROUTE, AF_INET, 24, MAIN, RTN_UNICAST);
	put_addr(&m, RTA_DST, "198.20.0.0");
	put_u32(&m, RTA_OIF, 5);
	nlmsg_hdr(m.msg)->nlmsg_len -= 4;
	refused("truncated message", &m, "an attribute runs past its message");
	rmsg_start(&m, RTM_NEWROUTE, AF_INET, 0, MAIN, RTN_UNICAST);
	nlmsg_hdr(m.msg)->nlmsg_len = NLMSG_HDRLEN + 4;
	refused("no room for the header", &m, "shorter than a route message");

	/* A zero-length nexthop: libnl 3.7 loops on it for ever. */
	rmsg_start(&m, RTM_NEWROUTE, AF_INET, 24, MAIN, RTN_UNICAST);
	put_addr(&m, RTA_DST, "198.20.0.0");
	put_nexthop(&m, 5, 0, "198.19.1.10");
	first_nexthop(&m)->rtnh_len = 0;
	refused("zero-length nexthop", &m,
		"a nexthop of RTA_MULTIPATH runs past it");
	rmsg_start(&m, RTM_NEWROUTE, AF_INET, 24, MAIN, RTN_UNICAST);
	put_addr(&m, RTA_DST, "198.20.0.0");
	put_nexthop(&m, 5, 0, "198.19.1.10");
	rtnh = first_nexthop(&m);
	rtnh->rtnh_len += 8;
	refused("nexthop past RTA_MULTIPATH", &m,
		"a nexthop of RTA_MULTIPATH runs past it");
	/* RTA_MULTIPATH 4 bytes longer than its nexthops: half a header. */
	rmsg_start(&m, RTM_NEWROUTE, AF_INET, 24, MAIN, RTN_UNICAST);
	put_addr(&m, RTA_DST, "198.20.0.0");
	put_nexthop(&m, 5, 0, "198.19.1.10");
	assert_non_null(nlmsg_reserve(m.msg, 4, NLMSG_ALIGNTO));
	end_multipath(&m);
	refused("RTA_MULTIPATH with a partial nexthop", &m,
		"RTA_MULTIPATH ends inside a nexthop");
	/* A nexthop's own attribute runs past the nexthop. */
	rmsg_start(&m, RTM_NEWROUTE, AF_INET, 24, MAIN, RTN_UNICAST);
	put_addr(&m, RTA_DST, "198.20.0.0");
	put_nexthop(&m, 5, 0, "198.19.1.10");
	put_nexthop(&m, 6, 0, "198.19.2.10");
	rtnh = first_nexthop(&m);
	rtnh->rtnh_len -= 2;
	refused("nexthop attribute past its nexthop", &m,
		"an attribute runs past its message");
	rmsg_start(&m, RTM_NEWROUTE, AF_INET6, 64, MAIN, RTN_UNICAST);
	put_addr(&m, RTA_DST, "2001:db8:200:1::");
	put_nexthop(&m, 5, 0, "198.19.1.10");
	refused("IPv4 gateway in an IPv6 nexthop", &m,
		"RTA_GATEWAY is not one address long");
	(void)state;
}

static unsigned int rnd(unsigned int *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 16) & 0x7fff;
}

static const char *const addrs4[] = { "198.18.0.1", "198.19.1.10",
				      "198.20.0.0" };
static const char *const addrs6[] = { "2001:db8:1::1", "fe80::1",
				      "2001:db8:100:1::10" };

/*
 * A random message from the attributes a route can carry, each one well
 * formed but for a u16 RTA_OIF now and then (which both refuse); the
 * table to read it for in *table.
 */
static void random_msg(unsigned int *seed, struct rmsg *m, __u32 *table)
{
	int fam = rnd(seed) % 2 ? AF_INET6 : AF_INET;
	const char *const *ad = fam == AF_INET ? addrs4 : addrs6;
	static const __u8 tables[] = { MAIN, RT_TABLE_LOCAL, 100,
				       RT_TABLE_COMPAT };
	static const __u8 types[] = { RTN_UNICAST, RTN_UNICAST, RTN_BLACKHOLE,
				      RTN_LOCAL };
	int len = rnd(seed) % (fam == AF_INET ? 33 : 129);

	rmsg_start(m, rnd(seed) % 4 ? RTM_NEWROUTE : RTM_DELROUTE, fam, len,
		   tables[rnd(seed) % 4], types[rnd(seed) % 4]);
	if (rnd(seed) % 8 == 0)
		rmsg_rtm(m)->rtm_tos = 4;
	if (rnd(seed) % 4 == 0)
		rmsg_rtm(m)->rtm_flags = rnd(seed) % 32;
	if (len || rnd(seed) % 5)
		put_addr(m, RTA_DST, ad[rnd(seed) % 3]);
	if (rnd(seed) % 4 == 0)
		put_u32(m, RTA_TABLE, tables[rnd(seed) % 4]);
	if (rnd(seed) % 2)
		put_u32(m, RTA_PRIORITY, rnd(seed));
	if (rnd(seed) % 3)
		put_u32(m, RTA_OIF, 5 + rnd(seed) % 2);
	if (rnd(seed) % 2)
		put_addr(m, RTA_GATEWAY, ad[rnd(seed) % 3]);
	if (rnd(seed) % 8 == 0)
		put_via(m, rnd(seed) % 2 ? addrs4[1] : addrs6[2]);
	if (rnd(seed) % 10 == 0)
		put_u32(m, RTA_FLOW, rnd(seed) % 2);
	if (rnd(seed) % 4 == 0) {
		int n = rnd(seed) % 3;

		for (int k = 0; k < n; k++)
			put_nexthop(m, 5 + rnd(seed) % 2,
				    rnd(seed) % 2 ? RTNH_F_DEAD : 0,
				    rnd(seed) % 2 ? ad[rnd(seed) % 3] : NULL);
		end_multipath(m);
	}
	if (rnd(seed) % 30 == 0)
		assert_int_equal(nla_put_u16(m->msg, RTA_OIF, 5), 0);
	*table = rnd(seed) % 4 ? MAIN : 100;
}

/* Whatever libnl makes of a random message, the raw parse agrees. */
static void test_random_messages(void **state)
{
	unsigned int seed = 11;

	for (int i = 0; i < 20000; i++) {
		char name[32];
		struct rmsg m;
		__u32 table;

		random_msg(&seed, &m, &table);
		snprintf(name, sizeof(name), "random message %d", i);
		both(name, &m, table, NULL);
	}
	(void)state;
}

/*
 * Random messages damaged at random (cut short, a byte or a length
 * changed), each parsed from a block of exactly its claimed length, so
 * that the sanitizers see a read past it: refused with a reason, or read
 * as a route whose prefix fits its family.
 */
static void test_damage(void **state)
{
	unsigned int seed = 7;
	int seen[3] = { 0 };

	for (int i = 0; i < 50000; i++) {
		struct nlmsghdr *nh, *copy;
		const char *why = NULL;
		struct fp_xroute x;
		struct rmsg m;
		__u32 table, len, at;
		int ret;

		random_msg(&seed, &m, &table);
		end_multipath(&m);
		nh = nlmsg_hdr(m.msg);
		len = nh->nlmsg_len;
		at = NLMSG_HDRLEN + rnd(&seed) % (len - NLMSG_HDRLEN);
		switch (rnd(&seed) % 4) {
		case 0: /* cut short */
			len = at;
			break;
		case 1: /* a byte */
			((__u8 *)nh)[at] = rnd(&seed);
			break;
		default: /* a 16-bit length, wherever one may lie */
			at &= ~1u;
			if (at + 2 <= len)
				memcpy((__u8 *)nh + at,
				       &(__u16){ (__u16)(rnd(&seed) % 64) }, 2);
			break;
		}
		copy = malloc(len);
		assert_non_null(copy);
		memcpy(copy, nh, len);
		copy->nlmsg_len = len;
		ret = fp_nlroute__parse(copy, table, &x, &why);
		free(copy);
		nlmsg_free(m.msg);
		check_true("damage: -EINVAL, 0 or 1",
			   ret == -EINVAL || ret == 0 || ret == 1);
		if (ret < 0)
			check_true("damage: a refusal says why", why != NULL);
		if (ret == 1)
			check_true("damage: the prefix fits its family",
				   x.dst.len <= (x.dst.family == AF_INET ?
							 32 :
							 128));
		seen[ret < 0 ? 0 : ret + 1]++;
	}
	/* Not all refused: damage past the attributes read changes nothing. */
	check_true("damage: some refused", seen[0] > 0);
	check_true("damage: some read", seen[2] > 0);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_nexthop),
		cmocka_unit_test(test_multipath),
		cmocka_unit_test(test_types_tables_protocols),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_damage),
		cmocka_unit_test(test_random_messages),
	};

	return cmocka_run_group_tests_name("nlroute", tests, NULL, NULL);
}
