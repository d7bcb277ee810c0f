// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the pure parts of the loader: prefixes, MACs, names,
 * route entries, LPM keys (loader/parse.c) and argument splitting
 * (loader/args.c). No BPF, no netlink, no root.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "args.h"
#include "parse.h"
#include "table.h"
#include "check.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Expected bytes of an address, built with libc rather than parse.c. */
static void addr_bytes(int family, const char *addr, __u8 out[16])
{
	memset(out, 0, 16);
	check_int(addr, 1, inet_pton(family, addr, out));
}

struct prefix_case {
	const char *in;
	int ret; /* 0 or a negative errno */
	int family; /* on success */
	int len;
	const char *addr; /* on success: the address part, for inet_pton */
};

static void check_prefix_cases(const struct prefix_case *c, size_t n)
{
	char what[160];

	for (size_t i = 0; i < n; i++, c++) {
		struct fp_prefix p;
		__u8 want[16];
		int ret;

		memset(&p, 0xa5, sizeof(p));
		ret = fp_parse_prefix(c->in, &p);
		snprintf(what, sizeof(what), "fp_parse_prefix(\"%s\") return",
			 c->in);
		check_int(what, c->ret, ret);
		if (c->ret)
			continue;
		snprintf(what, sizeof(what), "fp_parse_prefix(\"%s\") family",
			 c->in);
		check_int(what, c->family, p.family);
		snprintf(what, sizeof(what), "fp_parse_prefix(\"%s\") length",
			 c->in);
		check_int(what, c->len, p.len);
		addr_bytes(c->family, c->addr, want);
		snprintf(what, sizeof(what), "fp_parse_prefix(\"%s\") address",
			 c->in);
		/* all 16 bytes: an IPv4 prefix leaves the rest zero */
		check_mem(what, want, p.addr, sizeof(p.addr));
	}
}

static void test_prefix_valid(void **state)
{
	static const struct prefix_case cases[] = {
		{ "198.19.1.0/24", 0, AF_INET, 24, "198.19.1.0" },
		{ "2001:db8::/32", 0, AF_INET6, 32, "2001:db8::" },
		{ "198.19.1.10", 0, AF_INET, 32, "198.19.1.10" },
		{ "2001:db8::1", 0, AF_INET6, 128, "2001:db8::1" },
		{ "0.0.0.0/0", 0, AF_INET, 0, "0.0.0.0" },
		{ "::/0", 0, AF_INET6, 0, "::" },
		{ "198.19.1.10/32", 0, AF_INET, 32, "198.19.1.10" },
		{ "255.255.255.255/32", 0, AF_INET, 32, "255.255.255.255" },
		{ "2001:db8::1/128", 0, AF_INET6, 128, "2001:db8::1" },
		{ "198.19.1.128/25", 0, AF_INET, 25, "198.19.1.128" },
		{ "198.19.1.254/31", 0, AF_INET, 31, "198.19.1.254" },
		{ "2001:DB8:0:1::/64", 0, AF_INET6, 64, "2001:db8:0:1::" },
		{ "::ffff:198.19.1.10/128", 0, AF_INET6, 128,
		  "::ffff:198.19.1.10" },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 0, AF_INET6,
		  128, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" },
	};

	check_prefix_cases(cases, ARRAY_SIZE(cases));
}

static void test_prefix_host_bits(void **state)
{
	static const struct prefix_case cases[] = {
		{ "198.19.1.1/24", -EDOM },
		{ "198.19.1.64/25", -EDOM },
		{ "198.19.1.255/31", -EDOM },
		{ "1.0.0.0/0", -EDOM },
		{ "2001:db8::1/64", -EDOM },
		{ "2001:db8::/31", 0, AF_INET6, 31, "2001:db8::" },
		{ "2001:db9::/31", -EDOM },
		{ "::1/127", -EDOM },
		{ "2001:db8::/0", -EDOM },
	};

	check_prefix_cases(cases, ARRAY_SIZE(cases));
}

static void test_prefix_garbage(void **state)
{
	static const struct prefix_case cases[] = {
		{ "", -EINVAL },
		{ "foo", -EINVAL },
		{ "1.2.3", -EINVAL },
		{ "1.2.3.4.5", -EINVAL },
		{ "256.1.1.1", -EINVAL },
		{ "1.2.3.4/33", -EINVAL },
		{ "1.2.3.4/", -EINVAL },
		{ "/24", -EINVAL },
		{ "/", -EINVAL },
		{ "1.2.3.4/ 8", -EINVAL },
		{ "1.2.3.4/+8", -EINVAL },
		{ "1.2.3.4/-8", -EINVAL },
		{ "1.2.3.4/8x", -EINVAL },
		{ "1.2.3.4/32/1", -EINVAL },
		{ "1.2.3.4/0x20", -EINVAL },
		/* 2^32 + 32 must not wrap around to a valid length */
		{ "1.2.3.4/4294967328", -EINVAL },
		{ "1.2.3.4/99999999999999999999999", -EINVAL },
		{ "::/129", -EINVAL },
		{ "2001:db8::/1280", -EINVAL },
		{ "2001:db8:::/32", -EINVAL },
		{ " 1.2.3.4/32", -EINVAL },
		{ "1.2.3.4 /32", -EINVAL },
		{ "1.2.3.0/24 ", -EINVAL },
		/* iproute2 reads a leading zero as octal: /024 is /20 there */
		{ "198.19.1.0/024", -EINVAL },
		{ "198.19.0.0/016", -EINVAL },
		{ "0.0.0.0/00", -EINVAL },
		{ "2001:db8::/032", -EINVAL },
	};

	check_prefix_cases(cases, ARRAY_SIZE(cases));
}

/* Strings longer than any address must be refused, not overflow a buffer. */
static void test_prefix_overlong(void **state)
{
	char s[512], what[64];
	struct fp_prefix p;
	const size_t lens[] = { 63, 64, 65, 200, sizeof(s) - 1 };

	for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
		memset(s, '1', lens[i]);
		s[lens[i]] = '\0';
		snprintf(what, sizeof(what), "%zu digits", lens[i]);
		check_int(what, -EINVAL, fp_parse_prefix(s, &p));
		/* a long address part before a valid length */
		memcpy(s + lens[i] - 3, "/24", 4);
		snprintf(what, sizeof(what), "%zu chars ending in /24",
			 lens[i]);
		check_int(what, -EINVAL, fp_parse_prefix(s, &p));
	}
	/* zero-padded IPv6 groups: long but still an address */
	check_int("fp_parse_prefix(zero-padded IPv6)", 0,
		  fp_parse_prefix("0000:0000:0000:0000:0000:0000:0000:0001/128",
				  &p));
	check_int("zero-padded IPv6 length", 128, p.len);
	check_int("fp_parse_prefix(5-digit group)", -EINVAL,
		  fp_parse_prefix("00000:0000:0000:0000:0000:0000:0000:0001",
				  &p));
}

static void test_parse_addr(void **state)
{
	struct fp_prefix p;
	__u8 want[16];

	check_int("fp_parse_addr(198.19.1.10)", 0,
		  fp_parse_addr("198.19.1.10", &p));
	check_int("family", AF_INET, p.family);
	check_int("length", 32, p.len);
	addr_bytes(AF_INET, "198.19.1.10", want);
	check_mem("address", want, p.addr, 16);

	check_int("fp_parse_addr(2001:db8::a)", 0,
		  fp_parse_addr("2001:db8::a", &p));
	check_int("family", AF_INET6, p.family);
	check_int("length", 128, p.len);
	addr_bytes(AF_INET6, "2001:db8::a", want);
	check_mem("address", want, p.addr, 16);

	check_int("fp_parse_addr(a prefix)", -EINVAL,
		  fp_parse_addr("198.19.1.0/24", &p));
	check_int("fp_parse_addr(empty)", -EINVAL, fp_parse_addr("", &p));
	check_int("fp_parse_addr(name)", -EINVAL,
		  fp_parse_addr("localhost", &p));
}

struct mac_case {
	const char *in;
	int ret;
	__u8 mac[6];
};

static void check_mac_cases(const struct mac_case *cases, size_t n)
{
	char what[96];

	for (size_t i = 0; i < n; i++) {
		const struct mac_case *c = &cases[i];
		__u8 mac[6];

		memset(mac, 0xa5, sizeof(mac));
		snprintf(what, sizeof(what), "fp_parse_mac(\"%s\")", c->in);
		check_int(what, c->ret, fp_parse_mac(c->in, mac));
		if (!c->ret)
			check_mem(what, c->mac, mac, 6);
	}
}

static void test_mac(void **state)
{
	static const struct mac_case cases[] = {
		{ "02:00:5e:10:00:01",
		  0,
		  { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 } },
		{ "02:AB:cd:EF:00:FF",
		  0,
		  { 0x02, 0xab, 0xcd, 0xef, 0x00, 0xff } },
		{ "ff:ff:ff:ff:ff:ff",
		  0,
		  { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
		{ "00:00:00:00:00:00", 0, { 0 } },
		{ "02:00:5e:10:00", -EINVAL },
		{ "02:00:5e:10:00:01:02", -EINVAL },
		{ "02:00:5e:10:00:1", -EINVAL },
		{ "2:0:5e:10:0:1", -EINVAL },
		{ "02:00:5e:10:00:0g", -EINVAL },
		{ "0g:00:5e:10:00:01", -EINVAL },
		{ "zz:zz:zz:zz:zz:zz", -EINVAL },
		{ "+1:02:03:04:05:06", -EINVAL },
		{ "-1:02:03:04:05:06", -EINVAL },
		{ " 1:02:03:04:05:06", -EINVAL },
		{ "01:02:03:04:05:+6", -EINVAL },
		{ "01:02:03: 4:05:06", -EINVAL },
		{ "02005e100001", -EINVAL },
		{ "02-00-5e-10-00-01", -EINVAL },
		{ "02005e10000100000", -EINVAL },
		{ "02:00:5e:10:00:01 ", -EINVAL },
		{ "", -EINVAL },
	};

	check_mac_cases(cases, ARRAY_SIZE(cases));
}

/* sscanf's %x takes a "0x" prefix: "0x" alone must not read as 00. */
static void test_mac_hex_prefix(void **state)
{
	static const struct mac_case cases[] = {
		{ "0x:02:03:04:05:06", -EINVAL },
		{ "01:0X:03:04:05:06", -EINVAL },
		{ "01:02:03:04:05:0x", -EINVAL },
	};

	check_mac_cases(cases, ARRAY_SIZE(cases));
}

static void test_format_roundtrip(void **state)
{
	static const struct {
		const char *in, *out;
	} prefixes[] = {
		{ "198.19.1.0/24", "198.19.1.0/24" },
		{ "198.19.1.10", "198.19.1.10/32" },
		{ "0.0.0.0/0", "0.0.0.0/0" },
		{ "2001:DB8::/32", "2001:db8::/32" },
		{ "2001:db8:0:0:0:0:0:1", "2001:db8::1/128" },
		{ "::/0", "::/0" },
	};
	static const struct {
		const char *in, *out;
	} macs[] = {
		{ "02:00:5e:10:00:01", "02:00:5e:10:00:01" },
		{ "02:AB:CD:EF:00:FF", "02:ab:cd:ef:00:ff" },
	};
	char buf[FP_PREFIX_STRLEN], what[96];
	struct fp_prefix p, q;
	__u8 mac[6], mac2[6];

	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
		snprintf(what, sizeof(what), "parse \"%s\"", prefixes[i].in);
		check_int(what, 0, fp_parse_prefix(prefixes[i].in, &p));
		snprintf(what, sizeof(what), "format \"%s\"", prefixes[i].in);
		check_str(what, prefixes[i].out,
			  fp_format_prefix(&p, buf, sizeof(buf)));
		/* and the formatted text parses back to the same prefix */
		snprintf(what, sizeof(what), "reparse \"%s\"", buf);
		check_int(what, 0, fp_parse_prefix(buf, &q));
		check_int(what, p.family, q.family);
		check_int(what, p.len, q.len);
		check_mem(what, p.addr, q.addr, sizeof(p.addr));
	}
	for (size_t i = 0; i < ARRAY_SIZE(macs); i++) {
		snprintf(what, sizeof(what), "parse \"%s\"", macs[i].in);
		check_int(what, 0, fp_parse_mac(macs[i].in, mac));
		snprintf(what, sizeof(what), "format \"%s\"", macs[i].in);
		check_str(what, macs[i].out,
			  fp_format_mac(mac, buf, FP_MAC_STRLEN));
		check_int(what, 0, fp_parse_mac(buf, mac2));
		check_mem(what, mac, mac2, 6);
	}
}

static void test_class_names(void **state)
{
	static const struct {
		const char *name;
		int class;
	} names[] = {
		{ "other", FP_CLASS_OTHER },
		{ "peering", FP_CLASS_PEERING },
		{ "basic-lb", FP_CLASS_BASIC_LB },
		{ "private-link", FP_CLASS_PRIVATE_LINK },
		{ "udr", FP_CLASS_UDR },
	};
	static const char *const bad[] = { "",	      "Peering", "basic_lb",
					   "private", "udr ",	 "unknown" };
	char what[96];

	check_int("classes named", FP_CLASS_MAX, ARRAY_SIZE(names));
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(what, sizeof(what), "fp_class_from_name(\"%s\")",
			 names[i].name);
		check_int(what, names[i].class,
			  fp_class_from_name(names[i].name));
		snprintf(what, sizeof(what), "fp_class_name(%d)",
			 names[i].class);
		check_str(what, names[i].name, fp_class_name(names[i].class));
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(what, sizeof(what), "fp_class_from_name(\"%s\")",
			 bad[i]);
		check_int(what, -EINVAL, fp_class_from_name(bad[i]));
	}
	check_str("fp_class_name(FP_CLASS_MAX)", "unknown",
		  fp_class_name(FP_CLASS_MAX));
	check_str("fp_class_name(~0)", "unknown", fp_class_name(~0U));
}

static void test_reason_names(void **state)
{
	/* The `stats --json` keys DESIGN.md promises to scripts. */
	static const struct {
		__u32 reason;
		const char *name;
	} contract[] = {
		{ FP_R_FASTPATH, "fastpath" },
		{ FP_R_MISS, "miss" },
		{ FP_R_EXCLUDED, "excluded" },
		{ FP_R_TTL_EXPIRED, "ttl_expired" },
		{ FP_R_TOO_BIG, "too_big" },
		{ FP_R_NOT_IP, "not_ip" },
		{ FP_R_MALFORMED, "malformed" },
		{ FP_R_NOT_UPLINK, "not_uplink" },
		{ FP_R_UNKNOWN_VLAN, "unknown_vlan" }, /* trunk uplinks */
	};
	char what[96];

	for (__u32 r = 0; r < FP_R_MAX; r++) {
		const char *name = fp_reason_name(r);

		snprintf(what, sizeof(what), "fp_reason_name(%u) is a name", r);
		check_true(what, name && *name && strcmp(name, "unknown"));
		for (__u32 o = 0; o < r; o++) {
			snprintf(what, sizeof(what),
				 "reasons %u and %u have distinct names", o, r);
			check_true(what, strcmp(name, fp_reason_name(o)));
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(contract); i++) {
		snprintf(what, sizeof(what), "fp_reason_name(%u)",
			 contract[i].reason);
		check_str(what, contract[i].name,
			  fp_reason_name(contract[i].reason));
	}
	check_str("fp_reason_name(FP_R_MAX)", "unknown",
		  fp_reason_name(FP_R_MAX));
	check_str("fp_origin_name(static)", "static",
		  fp_origin_name(FP_ORIGIN_STATIC));
	check_str("fp_origin_name(neighbour)", "neighbour",
		  fp_origin_name(FP_ORIGIN_NEIGHBOUR));
	check_str("fp_origin_name(route)", "route",
		  fp_origin_name(FP_ORIGIN_ROUTE));
	check_str("fp_origin_name(3)", "unknown", fp_origin_name(3));
}

static const __u8 peer_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x10, 0x01 };
static const __u8 lladdr[6] = { 0x02, 0x00, 0x00, 0x00, 0x10, 0x0a };

static void test_route_build(void **state)
{
	struct fp_port port = { .mtu = 1500 };
	struct fp_route rt, want;

	memcpy(port.peer_mac, peer_mac, 6);

	/* the route's lladdr wins over the port's peer MAC */
	memset(&rt, 0xa5, sizeof(rt));
	check_int("build with lladdr", 0,
		  fp_route__build(&port, 7, lladdr, FP_ORIGIN_NEIGHBOUR, &rt));
	memset(&want, 0, sizeof(want));
	want.ifindex = 7;
	memcpy(want.dmac, lladdr, 6);
	want.origin = FP_ORIGIN_NEIGHBOUR;
	check_mem("route with lladdr (all bytes, pad zero)", &want, &rt,
		  sizeof(rt));

	/* no lladdr: the port's peer MAC */
	memset(&rt, 0xa5, sizeof(rt));
	check_int("build without lladdr", 0,
		  fp_route__build(&port, 9, NULL, FP_ORIGIN_STATIC, &rt));
	memset(&want, 0, sizeof(want));
	want.ifindex = 9;
	memcpy(want.dmac, peer_mac, 6);
	want.origin = FP_ORIGIN_STATIC;
	check_mem("route from peer MAC", &want, &rt, sizeof(rt));

	memset(&rt, 0, sizeof(rt));
	check_int("build origin route", 0,
		  fp_route__build(&port, 9, lladdr, FP_ORIGIN_ROUTE, &rt));
	check_int("origin stored", FP_ORIGIN_ROUTE, rt.origin);
}

static void test_route_build_bad_mac(void **state)
{
	static const __u8 zero[6] = { 0 };
	static const __u8 mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x05 };
	static const __u8 v6mcast[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };
	static const __u8 bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct fp_port port = { .mtu = 1500 };
	struct fp_route rt;

	/* neither the route nor the port knows a MAC */
	check_int("no lladdr, zero peer MAC", -EINVAL,
		  fp_route__build(&port, 7, NULL, FP_ORIGIN_STATIC, &rt));
	check_int("zero lladdr, zero peer MAC", -EINVAL,
		  fp_route__build(&port, 7, zero, FP_ORIGIN_STATIC, &rt));
	check_int("multicast lladdr", -EINVAL,
		  fp_route__build(&port, 7, mcast, FP_ORIGIN_STATIC, &rt));
	check_int("IPv6 multicast lladdr", -EINVAL,
		  fp_route__build(&port, 7, v6mcast, FP_ORIGIN_STATIC, &rt));
	check_int("broadcast lladdr", -EINVAL,
		  fp_route__build(&port, 7, bcast, FP_ORIGIN_STATIC, &rt));

	/* a group MAC on the port is refused the same way */
	memcpy(port.peer_mac, mcast, 6);
	check_int("multicast peer MAC", -EINVAL,
		  fp_route__build(&port, 7, NULL, FP_ORIGIN_STATIC, &rt));
	memcpy(port.peer_mac, peer_mac, 6);
	check_int("multicast lladdr over a good peer MAC", -EINVAL,
		  fp_route__build(&port, 7, mcast, FP_ORIGIN_STATIC, &rt));
}

/* An LPM key as the kernel reads it: prefixlen (host order), address. */
static void lpm_bytes(__u32 prefixlen, const __u8 *addr, size_t alen, __u8 *out)
{
	memcpy(out, &prefixlen, 4);
	memcpy(out + 4, addr, alen);
}

static void test_lpm_keys(void **state)
{
	static const __u8 a4[4] = { 198, 19, 1, 0 };
	static const __u8 h4[4] = { 198, 18, 1, 10 };
	static const __u8 a6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x07 };
	__u8 want4[sizeof(struct fp_lpm4)], want6[sizeof(struct fp_lpm6)];
	struct fp_prefix p, back;
	struct fp_lpm4 k4;
	struct fp_lpm6 k6;

	check_int("parse 198.19.1.0/24", 0,
		  fp_parse_prefix("198.19.1.0/24", &p));
	memset(&k4, 0xa5, sizeof(k4));
	fp_prefix__to_lpm4(&p, &k4);
	lpm_bytes(24, a4, sizeof(a4), want4);
	check_mem("lpm4 key of 198.19.1.0/24", want4, &k4, sizeof(k4));
	fp_prefix__from_lpm4(&k4, &back);
	check_int("lpm4 back: family", AF_INET, back.family);
	check_int("lpm4 back: length", 24, back.len);
	check_mem("lpm4 back: address", p.addr, back.addr, sizeof(p.addr));

	check_int("parse 2001:db8:7::/48", 0,
		  fp_parse_prefix("2001:db8:7::/48", &p));
	memset(&k6, 0xa5, sizeof(k6));
	fp_prefix__to_lpm6(&p, &k6);
	lpm_bytes(48, a6, sizeof(a6), want6);
	check_mem("lpm6 key of 2001:db8:7::/48", want6, &k6, sizeof(k6));
	fp_prefix__from_lpm6(&k6, &back);
	check_int("lpm6 back: family", AF_INET6, back.family);
	check_int("lpm6 back: length", 48, back.len);
	check_mem("lpm6 back: address", p.addr, back.addr, sizeof(p.addr));

	/* a bare address: a host key */
	check_int("parse 198.18.1.10", 0, fp_parse_prefix("198.18.1.10", &p));
	fp_prefix__to_lpm4(&p, &k4);
	lpm_bytes(32, h4, sizeof(h4), want4);
	check_mem("lpm4 key of 198.18.1.10", want4, &k4, sizeof(k4));
}

/* fp_args__parse: one set of options, several command lines. */
struct split_case {
	const char *name;
	const char *argv[12]; /* NULL-terminated */
	const char *pos[FP_MAX_POS]; /* expected positionals */
	const char *peer_mac; /* expected value of --peer-mac, NULL unseen */
	int ret; /* expected return */
	bool json; /* expected --json seen */
};

/* The options of the test command; canary: no option's, never written. */
struct test_opts {
	const char *peer_mac;
	bool json;
	long canary;
};

static const struct fp_option test_options[] = {
	FP_OPT_VALUE("--peer-mac", struct test_opts, peer_mac),
	FP_OPT_FLAG("--json", struct test_opts, json),
	{ 0 },
};

static void test_args_split(void **state)
{
	static const struct split_case cases[] = {
		{ "options last",
		  .argv = { "add", "tap0", "--peer-mac", "02:00:00:00:00:01",
			    "--json" },
		  .ret = 2, .pos = { "add", "tap0" },
		  .peer_mac = "02:00:00:00:00:01", .json = true },
		{ "options first",
		  .argv = { "--json", "--peer-mac", "02:00:00:00:00:02", "add",
			    "tap1" },
		  .ret = 2, .pos = { "add", "tap1" },
		  .peer_mac = "02:00:00:00:00:02", .json = true },
		{ "options between",
		  .argv = { "add", "--peer-mac", "02:00:00:00:00:03", "tap2" },
		  .ret = 2, .pos = { "add", "tap2" },
		  .peer_mac = "02:00:00:00:00:03" },
		{ "flag takes no value", .argv = { "--json", "list" }, .ret = 1,
		  .pos = { "list" }, .json = true },
		{ "no arguments", .argv = { NULL }, .ret = 0 },
		{ "eight positionals",
		  .argv = { "1", "2", "3", "4", "5", "6", "7", "8" }, .ret = 8,
		  .pos = { "1", "2", "3", "4", "5", "6", "7", "8" } },
		{ "missing value", .argv = { "add", "tap0", "--peer-mac" },
		  .ret = -1 },
		{ "unknown option", .argv = { "add", "--bogus", "tap0" },
		  .ret = -1 },
		{ "unknown option after --json",
		  .argv = { "--json", "--jsonx" }, .ret = -1 },
		{ "too many positionals",
		  .argv = { "1", "2", "3", "4", "5", "6", "7", "8", "9" },
		  .ret = -1 },
		/* iproute2 refuses these too: the second value would win */
		{ "option given twice",
		  .argv = { "add", "tap0", "--peer-mac", "02:00:00:00:00:01",
			    "--peer-mac", "02:00:00:00:00:02" },
		  .ret = -1 },
		{ "option given twice, same value",
		  .argv = { "--peer-mac", "02:00:00:00:00:01", "add", "tap0",
			    "--peer-mac", "02:00:00:00:00:01" },
		  .ret = -1 },
		{ "flag given twice", .argv = { "--json", "list", "--json" },
		  .ret = -1 },
	};
	char what[128];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct split_case *c = &cases[i];
		struct test_opts opt = { .canary = 0x5a5a };
		const char *pos[FP_MAX_POS] = { 0 };
		char *argv[12];
		int argc = 0, ret;

		while (argc < (int)ARRAY_SIZE(argv) && c->argv[argc]) {
			argv[argc] = (char *)c->argv[argc];
			argc++;
		}
		print_message("args: %s\n", c->name);
		ret = fp_args__parse("test", argc, argv, test_options, &opt,
				     pos);
		snprintf(what, sizeof(what), "%s: return", c->name);
		check_int(what, c->ret, ret);
		if (ret < 0)
			continue;
		for (int j = 0; j < ret; j++) {
			snprintf(what, sizeof(what), "%s: positional %d",
				 c->name, j);
			check_str(what, c->pos[j], pos[j]);
		}
		snprintf(what, sizeof(what), "%s: --peer-mac seen", c->name);
		check_int(what, c->peer_mac != NULL, opt.peer_mac != NULL);
		if (c->peer_mac) {
			snprintf(what, sizeof(what), "%s: --peer-mac value",
				 c->name);
			check_str(what, c->peer_mac, opt.peer_mac);
		}
		snprintf(what, sizeof(what), "%s: --json seen", c->name);
		check_int(what, c->json, opt.json);
		snprintf(what, sizeof(what), "%s: no other field written",
			 c->name);
		check_int(what, 0x5a5a, opt.canary);
	}
}

/*
 * A value the struct held before is a default, not a first --peer-mac:
 * kept when the option is not given, replaced once when it is.
 */
static void test_args_defaults(void **state)
{
	char *given[] = { "add", "--peer-mac", "02:00:00:00:00:09" };
	char *twice[] = { "--peer-mac", "02:00:00:00:00:09", "--peer-mac",
			  "02:00:00:00:00:0a" };
	struct test_opts opt = { .peer_mac = "default" };
	const char *pos[FP_MAX_POS];

	check_int("no option given", 1,
		  fp_args__parse("test", 1, given, test_options, &opt, pos));
	check_str("default kept", "default", opt.peer_mac);
	check_int("option given over a default", 1,
		  fp_args__parse("test", 3, given, test_options, &opt, pos));
	check_str("given value", "02:00:00:00:00:09", opt.peer_mac);
	opt.peer_mac = "default";
	check_int("option given twice over a default", -1,
		  fp_args__parse("test", 4, twice, test_options, &opt, pos));
}

/* Integer options: decimal digits only, as iproute2's get_unsigned is not. */
static void test_parse_uint(void **state)
{
	static const struct {
		const char *in;
		unsigned long long max;
		int ret;
		unsigned long long v;
	} cases[] = {
		{ "0", 10, 0, 0 },
		{ "1", 10, 0, 1 },
		{ "10", 10, 0, 10 },
		{ "11", 10, -ERANGE },
		{ "4294967295", 0xffffffffULL, 0, 0xffffffffULL },
		{ "4294967296", 0xffffffffULL, -ERANGE },
		{ "18446744073709551615", ~0ULL, 0, ~0ULL },
		{ "18446744073709551616", ~0ULL, -ERANGE },
		{ "99999999999999999999999", ~0ULL, -ERANGE },
		{ "", 10, -EINVAL },
		{ " 1", 10, -EINVAL },
		{ "1 ", 10, -EINVAL },
		{ "+1", 10, -EINVAL },
		{ "-1", 10, -EINVAL },
		{ "0x1", 10, -EINVAL },
		{ "01", 10, -EINVAL },
		{ "00", 10, -EINVAL },
		{ "1e1", 100, -EINVAL },
		{ "1.0", 10, -EINVAL },
	};
	char what[96];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned long long v = 12345;
		int ret = fp_parse_uint(cases[i].in, cases[i].max, &v);

		snprintf(what, sizeof(what), "fp_parse_uint(\"%s\", %llu)",
			 cases[i].in, cases[i].max);
		check_int(what, cases[i].ret, ret);
		if (!ret)
			check_int(what, (long long)cases[i].v, (long long)v);
	}
	check_int("fp_parse_uint(NULL)", -EINVAL, fp_parse_uint(NULL, 1, NULL));
}

/* Interface names as the kernel takes them (dev_valid_name). */
static void test_parse_ifname(void **state)
{
	static const struct {
		const char *in;
		int ret;
	} cases[] = {
		{ "tap-vm1", 0 },
		{ "a", 0 },
		{ "abcdefghijklmno", 0 }, /* 15: the most IFNAMSIZ allows */
		{ "abcdefghijklmnop", -ENAMETOOLONG },
		{ "uplink0-but-much-longer", -ENAMETOOLONG },
		{ "", -EINVAL },
		{ ".", -EINVAL },
		{ "..", -EINVAL },
		{ "a/b", -EINVAL },
		{ "eth0:1", -EINVAL },
		{ "tap vm1", -EINVAL },
		{ "tap\tvm1", -EINVAL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check_int(cases[i].in, cases[i].ret,
			  fp_parse_ifname(cases[i].in));
	check_str("reason for a 16-character name",
		  "name too long (15 at most)",
		  fp_ifname_error(fp_parse_ifname("abcdefghijklmnop")));
}

/* Tagged circuits "[S/]C": VIDs 1 .. 4094, -EINVAL or -ERANGE. */
static void test_parse_vlan(void **state)
{
	static const struct {
		const char *in;
		int ret;
		__u16 outer, inner;
	} cases[] = {
		{ "1", 0, 0, 1 },	   { "100", 0, 0, 100 },
		{ "4094", 0, 0, 4094 },	   { "100/200", 0, 100, 200 },
		{ "1/1", 0, 1, 1 },	   { "4094/4094", 0, 4094, 4094 },
		{ "0", -ERANGE },	   { "4095", -ERANGE },
		{ "65536", -ERANGE },	   { "99999999999999999999", -ERANGE },
		{ "0/1", -ERANGE },	   { "1/0", -ERANGE },
		{ "4095/1", -ERANGE },	   { "1/4095", -ERANGE },
		{ "99999999/1", -ERANGE }, { "1/99999999", -ERANGE },
		{ "", -EINVAL },	   { "a", -EINVAL },
		{ "1a", -EINVAL },	   { "1/", -EINVAL },
		{ "/1", -EINVAL },	   { "/", -EINVAL },
		{ "1//2", -EINVAL },	   { "1/2/3", -EINVAL },
		{ "01", -EINVAL },	   { "1/02", -EINVAL },
		{ "+1", -EINVAL },	   { "-1", -EINVAL },
		{ " 1", -EINVAL },	   { "1 ", -EINVAL },
		{ "1 /2", -EINVAL },	   { "0x10", -EINVAL },
		{ "abcdefgh/1", -EINVAL }, { "1234567a/1", -EINVAL },
	};
	char what[96];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		__u16 outer = 7777, inner = 7777;
		int ret = fp_parse_vlan(cases[i].in, &outer, &inner);

		snprintf(what, sizeof(what), "fp_parse_vlan(\"%s\")",
			 cases[i].in);
		check_int(what, cases[i].ret, ret);
		if (ret)
			continue;
		snprintf(what, sizeof(what), "fp_parse_vlan(\"%s\") outer",
			 cases[i].in);
		check_int(what, cases[i].outer, outer);
		snprintf(what, sizeof(what), "fp_parse_vlan(\"%s\") inner",
			 cases[i].in);
		check_int(what, cases[i].inner, inner);
	}
	check_int("fp_parse_vlan(NULL)", -EINVAL,
		  fp_parse_vlan(NULL, &(__u16){ 0 }, &(__u16){ 0 }));
}

/* "C" or "S/C", and back through the parser. */
static void test_format_vlan(void **state)
{
	static const struct {
		__u16 outer, inner;
		const char *out;
	} cases[] = {
		{ 0, 1, "1" },
		{ 0, 4094, "4094" },
		{ 100, 200, "100/200" },
		{ 4094, 1, "4094/1" },
	};
	char buf[16], what[64];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		__u16 outer, inner;

		snprintf(what, sizeof(what), "fp_format_vlan(%u, %u)",
			 cases[i].outer, cases[i].inner);
		check_str(what, cases[i].out,
			  fp_format_vlan(cases[i].outer, cases[i].inner, buf,
					 sizeof(buf)));
		check_int("parsed back", 0, fp_parse_vlan(buf, &outer, &inner));
		check_int("parsed back: outer", cases[i].outer, outer);
		check_int("parsed back: inner", cases[i].inner, inner);
	}
	/* A short buffer holds a terminated prefix, never more. */
	check_str("fp_format_vlan into 4 bytes", "100",
		  fp_format_vlan(100, 200, buf, 4));
}

static void test_args_no_options(void **state)
{
	char *argv[] = { "list", "--json" };
	const char *pos[FP_MAX_POS];

	/* a command without options refuses every --word */
	check_int("split with opts NULL", -1,
		  fp_args__parse("test", 2, argv, NULL, NULL, pos));
	check_int("split with opts NULL, positional only", 1,
		  fp_args__parse("test", 1, argv, NULL, NULL, pos));
	check_str("positional", "list", pos[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_valid),
		cmocka_unit_test(test_prefix_host_bits),
		cmocka_unit_test(test_prefix_garbage),
		cmocka_unit_test(test_prefix_overlong),
		cmocka_unit_test(test_parse_addr),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_mac_hex_prefix),
		cmocka_unit_test(test_format_roundtrip),
		cmocka_unit_test(test_class_names),
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_route_build),
		cmocka_unit_test(test_route_build_bad_mac),
		cmocka_unit_test(test_lpm_keys),
		cmocka_unit_test(test_args_split),
		cmocka_unit_test(test_args_defaults),
		cmocka_unit_test(test_args_no_options),
		cmocka_unit_test(test_parse_uint),
		cmocka_unit_test(test_parse_ifname),
		cmocka_unit_test(test_parse_vlan),
		cmocka_unit_test(test_format_vlan),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
