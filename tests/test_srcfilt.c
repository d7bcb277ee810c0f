// SPDX-License-Identifier: GPL-2.0
/*
 * Anti-spoofing: a source arriving on the uplink is dropped as spoofed
 * when it is a VM's own address, a host entry with a port (/32, /128) or
 * an address inside a VNet's address space; a wider route through a port
 * (a default route, an NVA's 10.0.0.0/8) leaves on-prem sources inside it
 * alone. And the pre-filter (fp_srcfilt): whatever it lets the program
 * skip, the verdict stays that rule's. Prefixes shorter than the filter's
 * blocks (/16 for IPv4, /48 buckets for IPv6) included, through
 * loader/fib.c and BPF_PROG_TEST_RUN on the real object.
 *
 * Sources outside 198.18.0.0/15 and 2001:db8::/32 too: VNets live in RFC
 * 1918 space (10/8, 172.16/12) and ULAs, and these frames never leave the
 * private maps of a throwaway namespace.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "fastpath.skel.h"
#include "harness.h"
#include "fib.h"
#include "parse.h"
#include "pktgen.h"
#include "uplink.h"
#include "check.h"

static const __u8 UP_MAC[6] = { 0x02, 0, 0, 0, 0x0d, 0x01 };
static const __u8 SRC_MAC[6] = { 0x02, 0, 0, 0, 0x0d, 0xaa };
static const __u8 VM_PEER[6] = { 0x02, 0, 0, 0, 0x0d, 0x11 };
#define VM_PORT 42 /* any port: the source check only asks ifindex != 0 */
#define DST4 "198.19.200.1" /* no route: a source passing the check misses */
#define DST6 "2001:db8:ffff::1"

static struct fastpath *skel;
static struct fp_maps m;
static __u32 up_if;

static struct fp_prefix pfx(const char *s)
{
	struct fp_prefix p;

	if (fp_parse_prefix(s, &p))
		fail_msg("%s: not a prefix", s);
	return p;
}

static void put_route(const struct fp_maps *mm, const char *prefix)
{
	struct fp_route rt = { .ifindex = VM_PORT, .origin = FP_ORIGIN_STATIC };
	struct fp_prefix p = pfx(prefix);

	memcpy(rt.dmac, VM_PEER, 6);
	check_int(prefix, 0, fp_fib__set(mm, &p, &rt, false));
}

/* Whether the filter lets the program skip the lookups for source addr. */
static int skipped(const struct fp_maps *mm, const char *addr)
{
	struct fp_prefix a = pfx(addr);
	__u32 b, word;
	__u64 v;

	if (a.family == AF_INET) {
		b = fp_srcfilt_block4(a.addr);
		word = FP_SRCFILT_V4 + b / 64;
	} else {
		b = fp_srcfilt_bucket6(a.addr);
		word = FP_SRCFILT_V6 + b / 64;
	}
	check_int("fp_srcfilt lookup", 0,
		  bpf_map_lookup_elem(mm->srcfilt, &word, &v));
	return !!(v & (1ULL << (b % 64)));
}

static __u64 reason_packets(__u32 reason)
{
	int n = libbpf_num_possible_cpus();
	struct fp_counter *c = calloc(n, sizeof(*c));
	__u64 sum = 0;

	assert_non_null(c);
	check_int("fp_stats lookup", 0,
		  bpf_map_lookup_elem(m.stats, &reason, c));
	for (int i = 0; i < n; i++)
		sum += c[i].packets;
	free(c);
	return sum;
}

/* One frame from src into the uplink: the action and the one reason. */
static void expect(const char *src, int action, __u32 reason)
{
	struct fp_pktspec s = { .ttl = 64, .payload = 18 };
	struct xdp_md ctx = { .ingress_ifindex = up_if };
	__u8 buf[128];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx));
	__u64 before[FP_R_MAX];
	int len;

	memcpy(s.dmac, UP_MAC, 6);
	memcpy(s.smac, SRC_MAC, 6);
	s.src = pfx(src);
	s.dst = pfx(s.src.family == AF_INET ? DST4 : DST6);
	len = fp_pkt__build(&s, buf, sizeof(buf));
	check_true("the frame was built", len > 0);
	opts.data_size_in = len;
	ctx.data_end = len;
	for (__u32 r = 0; r < FP_R_MAX; r++)
		before[r] = reason_packets(r);
	check_int("bpf_prog_test_run_opts", 0,
		  bpf_prog_test_run_opts(
			  bpf_program__fd(skel->progs.fastpath_xdp), &opts));
	for (__u32 r = 0; r < FP_R_MAX; r++) {
		__u64 moved = reason_packets(r) - before[r];

		if (moved != (r == reason))
			fail_msg(
				"source %s: expected counter %s +%d, saw +%llu",
				src, fp_reason_name(r), r == reason,
				(unsigned long long)moved);
	}
	if ((int)opts.retval != action)
		fail_msg("source %s: expected action %d, saw %u", src, action,
			 opts.retval);
}

static void spoofed(const char *src)
{
	expect(src, XDP_DROP, FP_R_SPOOFED);
}

static void clean(const char *src)
{
	expect(src, XDP_PASS, FP_R_MISS);
}

struct plist {
	struct fp_prefix v[64];
	size_t n;
};

static int collect(const struct fp_prefix *p, const struct fp_route *rt,
		   void *ctx)
{
	struct plist *l = ctx;

	(void)rt;
	if (l->n == sizeof(l->v) / sizeof(l->v[0]))
		return -E2BIG;
	l->v[l->n++] = *p;
	return 0;
}

/*
 * Removes every route through loader/fib.c (the compiled table with it),
 * every address space, and starts a new filter: each test from nothing.
 */
static int reset(void **state)
{
	struct plist l = { .n = 0 };
	__u64 zero = 0;

	(void)state;
	if (fp_fib__for_each(&m, collect, &l))
		return -1;
	for (size_t i = 0; i < l.n; i++)
		if (fp_fib__del(&m, &l.v[i]))
			return -1;
	fp_test__empty(m.vnets4);
	fp_test__empty(m.vnets6);
	for (__u32 w = 0; w < FP_SRCFILT_WORDS; w++)
		if (bpf_map_update_elem(m.srcfilt, &w, &zero, BPF_EXIST))
			return -1;
	return fp_fib__srcfilt_init(&m) ? -1 : 0;
}

/* A VNet's address space, as `fastpath apply` writes it. */
static void put_space(const char *prefix, __u32 id)
{
	struct fp_prefix p = pfx(prefix);
	struct fp_vnet v = { .id = id };
	struct fp_lpm6 key;
	int fd;

	if (p.family == AF_INET) {
		fp_prefix__to_lpm4(&p, (struct fp_lpm4 *)&key);
		fd = m.vnets4;
	} else {
		fp_prefix__to_lpm6(&p, &key);
		fd = m.vnets6;
	}
	fp_maps__lock(&m);
	check_int(prefix, 0, fp_fib__srcfilt_space(&m, &p));
	check_int(prefix, 0, bpf_map_update_elem(fd, &key, &v, BPF_ANY));
	fp_maps__unlock(&m);
	/* The entries inside it learn their VNet. */
	check_int("retag", 0, fp_fib__retag(&m));
}

static void test_ipv4(void **state)
{
	/* Under wide routes through a port only: on-prem, never spoofed. */
	const char *const onprem[] = { "10.0.0.1",	 "10.128.7.7",
				       "10.255.255.254", "172.16.0.1",
				       "172.31.255.254", "9.255.255.255",
				       "11.0.0.1",	 "198.19.0.1",
				       "203.0.113.9" };
	struct fp_prefix host = pfx("198.18.1.10/32");
	__u64 spoofed0 = reason_packets(FP_R_SPOOFED);

	(void)state;
	put_route(&m, "0.0.0.0/0"); /* a default route to an NVA's port */
	put_route(&m, "10.0.0.0/8");
	put_route(&m, "172.16.0.0/12");
	put_route(&m, "198.18.2.0/24");
	put_route(&m, "198.18.1.10/32"); /* a VM's own address */
	spoofed("198.18.1.10");
	for (size_t i = 0; i < sizeof(onprem) / sizeof(onprem[0]); i++) {
		check_int(onprem[i], 1, skipped(&m, onprem[i]));
		clean(onprem[i]);
	}
	/* In the block of a VM's address the filter looks, and lets by. */
	check_int("198.18.1.11", 0, skipped(&m, "198.18.1.11"));
	clean("198.18.1.11");
	clean("198.18.2.77");
	check_int("spoofed drops", 1, reason_packets(FP_R_SPOOFED) - spoofed0);
	/* A host gone leaves its bit clear: looked up, not spoofed. */
	check_int("del 198.18.1.10/32", 0, fp_fib__del(&m, &host));
	check_int("198.18.1.10 after del", 0, skipped(&m, "198.18.1.10"));
	clean("198.18.1.10");
}

static void test_ipv6(void **state)
{
	const char *const onprem[] = { "2001:db8:ab00::1", "2001:db8:ab42:7::1",
				       "2001:db8:ac00::1", "fd00:1000::1",
				       "fd00::1",	   "2a01:111:f400::1" };
	__u64 spoofed0 = reason_packets(FP_R_SPOOFED);

	(void)state;
	put_route(&m, "::/0");
	put_route(&m, "2001:db8:ab00::/40");
	put_route(&m, "fd00::/20");
	put_route(&m, "2001:db8:1::10/128");
	spoofed("2001:db8:1::10");
	for (size_t i = 0; i < sizeof(onprem) / sizeof(onprem[0]); i++) {
		check_int(onprem[i], 1, skipped(&m, onprem[i]));
		clean(onprem[i]);
	}
	check_int("2001:db8:1::11", 0, skipped(&m, "2001:db8:1::11"));
	clean("2001:db8:1::11");
	check_int("spoofed drops", 1, reason_packets(FP_R_SPOOFED) - spoofed0);
}

/*
 * Inside a VNet's address space every source is a VM's: in a VNet entry
 * that is no host, unrouted, or under nothing but a wider route through a
 * port. Just outside it, under that wider route, a source is on-prem.
 */
static void test_vnet_spaces(void **state)
{
	__u64 spoofed0 = reason_packets(FP_R_SPOOFED);

	(void)state;
	put_route(&m, "0.0.0.0/0");
	put_route(&m, "198.18.64.0/24");
	put_space("198.18.64.0/20", 1);
	put_route(&m, "::/0");
	put_space("2001:db8:40::/48", 2);
	spoofed("198.18.64.5"); /* its entry is the VNet's /24 */
	spoofed("198.18.70.1"); /* only the default route covers it */
	spoofed("198.18.79.255");
	spoofed("2001:db8:40::1");
	spoofed("2001:db8:40:ffff::1");
	check_int("198.18.80.1", 0, skipped(&m, "198.18.80.1"));
	clean("198.18.80.1");
	clean("198.18.63.255");
	clean("2001:db8:41::1");
	check_int("11.0.0.1", 1, skipped(&m, "11.0.0.1"));
	clean("11.0.0.1");
	check_int("spoofed drops", 5, reason_packets(FP_R_SPOOFED) - spoofed0);
}

/*
 * Pins of an older build: host entries without FP_ROUTE_F_OWN, and a
 * filter initialised under the old rule (a wide route cleared every bit).
 * The first initialisation under the own-address rule flags the hosts and
 * sets the bits of the blocks where no own address lies.
 */
static void test_init_from_older_pins(void **state)
{
	struct fp_prefix h6 = pfx("2001:db8:1::10/128");
	__u32 ctl = FP_SRCFILT_CTL;
	struct fp_route rt;
	__u64 v;

	(void)state;
	put_route(&m, "0.0.0.0/0");
	put_route(&m, "198.18.1.10/32");
	put_route(&m, "2001:db8:1::10/128");
	put_space("172.16.0.0/12", 3);
	/* As the older build left them: no flag, every bit clear. */
	check_int("hosts6 lookup", 0, fp_fib__get(&m, &h6, &rt));
	rt.flags &= ~FP_ROUTE_F_OWN;
	check_int("hosts6 rewrite", 0,
		  bpf_map_update_elem(m.hosts6, h6.addr, &rt, BPF_EXIST));
	clean("2001:db8:1::10");
	v = 0;
	for (__u32 w = 0; w < FP_SRCFILT_CTL; w++)
		check_int("zeroing fp_srcfilt", 0,
			  bpf_map_update_elem(m.srcfilt, &w, &v, BPF_EXIST));
	v = FP_SRCFILT_F_INIT;
	check_int("old ctl", 0,
		  bpf_map_update_elem(m.srcfilt, &ctl, &v, BPF_EXIST));
	check_int("11.0.0.1 before init", 0, skipped(&m, "11.0.0.1"));
	check_int("init", 0, fp_fib__srcfilt_init(&m));
	check_int("ctl", 0, bpf_map_lookup_elem(m.srcfilt, &ctl, &v));
	check_int("FP_SRCFILT_F_OWN", FP_SRCFILT_F_INIT | FP_SRCFILT_F_OWN, v);
	check_int("hosts6 lookup again", 0, fp_fib__get(&m, &h6, &rt));
	check_int("FP_ROUTE_F_OWN", FP_ROUTE_F_OWN, rt.flags & FP_ROUTE_F_OWN);
	check_int("11.0.0.1", 1, skipped(&m, "11.0.0.1"));
	check_int("198.18.1.10", 0, skipped(&m, "198.18.1.10"));
	check_int("172.31.0.1", 0, skipped(&m, "172.31.0.1"));
	check_int("2001:db8:1::10 bucket", 0, skipped(&m, "2001:db8:1::10"));
	check_int("2001:db8:ac00::1", 1, skipped(&m, "2001:db8:ac00::1"));
	spoofed("2001:db8:1::10");
	spoofed("198.18.1.10");
	spoofed("172.31.0.1");
	clean("11.0.0.1");
	/* Once only: a second call leaves the words as they are. */
	put_route(&m, "11.0.0.1/32");
	check_int("init again", 0, fp_fib__srcfilt_init(&m));
	check_int("11.0.0.1 after a second init", 0, skipped(&m, "11.0.0.1"));
}

/*
 * A fresh set's filter is set up by the first FIB write of a process (not
 * by opening the maps): before it every source is looked up, after it an
 * on-prem block is skipped.
 */
static void test_first_write_inits(void **state)
{
	__u32 ctl = FP_SRCFILT_CTL;
	struct fp_maps fresh;
	__u64 v = 1;

	(void)state;
	check_int("fresh maps", 0, fp_test__maps(&fresh, 0, 0));
	check_int("ctl before", 0,
		  bpf_map_lookup_elem(fresh.srcfilt, &ctl, &v));
	check_int("not set up by the open", 0, v);
	check_int("11.0.0.1 before a write", 0, skipped(&fresh, "11.0.0.1"));
	put_route(&fresh, "198.18.1.10/32");
	check_int("ctl after", 0, bpf_map_lookup_elem(fresh.srcfilt, &ctl, &v));
	check_int("set up by the first write",
		  FP_SRCFILT_F_INIT | FP_SRCFILT_F_OWN, v);
	check_int("11.0.0.1 after", 1, skipped(&fresh, "11.0.0.1"));
	check_int("198.18.1.10 after", 0, skipped(&fresh, "198.18.1.10"));
	fp_maps__close(&fresh);
}

static int group_setup(void **state)
{
	struct fp_uplink up = { 0 };

	(void)state;
	if (fp_test__netns())
		return -1;
	up_if = fp_test__veth("up0", UP_MAC, "up0p");
	if (!up_if)
		return -1;
	skel = fp_test__load();
	if (!skel)
		return -1;
	m.skel = skel;
	if (fp_maps__fill_fds(&m))
		return -1;
	memcpy(up.mac, UP_MAC, 6);
	return fp_uplinks__put(&m, up_if, &up) ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	fastpath__destroy(skel);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_ipv4, reset),
		cmocka_unit_test_setup(test_ipv6, reset),
		cmocka_unit_test_setup(test_vnet_spaces, reset),
		cmocka_unit_test_setup(test_init_from_older_pins, reset),
		cmocka_unit_test(test_first_write_inits),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
