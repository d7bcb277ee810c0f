// SPDX-License-Identifier: GPL-2.0
/*
 * The anti-spoofing pre-filter (fp_srcfilt): whatever it lets the program
 * skip, a source inside an entry with a port is still dropped as spoofed,
 * and one outside still passes the check. Prefixes shorter than the
 * filter's blocks (/16 for IPv4, /48 buckets for IPv6) included, through
 * loader/fib.c and BPF_PROG_TEST_RUN on the real object.
 *
 * Sources outside 198.18.0.0/15 and 2001:db8::/32: VNets live in RFC 1918
 * space (10/8, 172.16/12) and ULAs, and these frames never leave the
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
#include "fp.h"
#include "parse.h"
#include "pktgen.h"
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

/* Empties the route maps and starts a new filter: each test from nothing. */
static int reset(void **state)
{
	int fds[] = { m.hosts4, m.hosts6, m.routes4, m.routes6 };
	__u64 zero = 0;
	(void)state;
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		fp_test__empty(fds[i]);
	for (__u32 w = 0; w < FP_SRCFILT_WORDS; w++)
		if (bpf_map_update_elem(m.srcfilt, &w, &zero, BPF_EXIST))
			return -1;
	return fp_fib__srcfilt_init(&m) ? -1 : 0;
}

static void test_ipv4(void **state)
{
	const char *const inside[] = { "10.0.0.1",	 "10.128.7.7",
				       "10.255.255.254", "172.16.0.1",
				       "172.23.4.5",	 "172.31.255.254",
				       "198.18.1.10",	 "198.18.2.77" };
	const char *const outside[] = { "9.255.255.255", "11.0.0.1",
					"172.15.255.255", "172.32.0.1",
					"198.19.0.1" };
	struct fp_prefix gone = pfx("10.0.0.0/8");
	__u64 spoofed0 = reason_packets(FP_R_SPOOFED);

	(void)state;
	put_route(&m, "10.0.0.0/8");
	put_route(&m, "172.16.0.0/12");
	put_route(&m, "198.18.1.10/32");
	put_route(&m, "198.18.2.0/24");
	for (size_t i = 0; i < sizeof(inside) / sizeof(inside[0]); i++) {
		check_int(inside[i], 0, skipped(&m, inside[i]));
		spoofed(inside[i]);
	}
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		check_int(outside[i], 1, skipped(&m, outside[i]));
		clean(outside[i]);
	}
	/* In a block the filter sends to the lookups, but no VM's. */
	check_int("198.18.1.11", 0, skipped(&m, "198.18.1.11"));
	clean("198.18.1.11");
	check_int("spoofed drops", 8, reason_packets(FP_R_SPOOFED) - spoofed0);
	/* A route gone leaves its bits clear: looked up, not spoofed. */
	check_int("del 10.0.0.0/8", 0, fp_fib__del(&m, &gone));
	check_int("10.0.0.1 after del", 0, skipped(&m, "10.0.0.1"));
	clean("10.0.0.1");
}

static void test_ipv6(void **state)
{
	const char *const inside[] = { "2001:db8:1::10", "2001:db8:ab00::1",
				       "2001:db8:ab42:7::1",
				       "2001:db8:abff:ffff::1" };
	const char *const outside[] = { "2001:db8:aaff:ffff::1",
					"2001:db8:ac00::1", "fd00:1000::1",
					"2a01:111:f400::1" };
	__u64 spoofed0 = reason_packets(FP_R_SPOOFED);

	(void)state;
	put_route(&m, "2001:db8:1::10/128");
	put_route(&m, "2001:db8:ab00::/40");
	for (size_t i = 0; i < sizeof(inside) / sizeof(inside[0]); i++) {
		check_int(inside[i], 0, skipped(&m, inside[i]));
		spoofed(inside[i]);
	}
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		check_int(outside[i], 1, skipped(&m, outside[i]));
		clean(outside[i]);
	}
	check_int("2001:db8:1::11", 0, skipped(&m, "2001:db8:1::11"));
	clean("2001:db8:1::11");
	/* A /20: shorter than the buckets' /32 part, every bucket clear. */
	put_route(&m, "fd00::/20");
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++)
		check_int(outside[i], 0, skipped(&m, outside[i]));
	spoofed("fd00::1");
	spoofed("fd00:fff:ffff::1");
	clean("fd00:1000::1");
	clean("2001:db8:ac00::1");
	spoofed("2001:db8:ab00::1");
	check_int("spoofed drops", 7, reason_packets(FP_R_SPOOFED) - spoofed0);
}

/*
 * Entries written before the filter map existed (pinned maps of an older
 * build): the first initialisation finds them, and until then nothing is
 * skipped.
 */
static void test_init_from_existing_tables(void **state)
{
	struct fp_maps raw;
	__u32 ctl = FP_SRCFILT_CTL;
	__u64 v;

	(void)state;
	assert_int_equal(fp_test__maps(&raw, 0, 0), 0);
	/* As a new map is: all clear, not initialised. */
	v = 0;
	for (__u32 w = 0; w < FP_SRCFILT_WORDS; w++)
		check_int("zeroing fp_srcfilt", 0,
			  bpf_map_update_elem(raw.srcfilt, &w, &v, BPF_EXIST));
	put_route(&raw, "172.16.0.0/12");
	put_route(&raw, "198.18.1.10/32");
	put_route(&raw, "2001:db8:ab00::/40");
	check_int("11.0.0.1 before init", 0, skipped(&raw, "11.0.0.1"));
	check_int("init", 0, fp_fib__srcfilt_init(&raw));
	check_int("ctl", 0, bpf_map_lookup_elem(raw.srcfilt, &ctl, &v));
	check_int("FP_SRCFILT_F_INIT", FP_SRCFILT_F_INIT, v);
	check_int("172.31.0.1", 0, skipped(&raw, "172.31.0.1"));
	check_int("198.18.1.10", 0, skipped(&raw, "198.18.1.10"));
	check_int("2001:db8:abcd::1", 0, skipped(&raw, "2001:db8:abcd::1"));
	check_int("11.0.0.1", 1, skipped(&raw, "11.0.0.1"));
	check_int("172.32.0.1", 1, skipped(&raw, "172.32.0.1"));
	check_int("2001:db8:ac00::1", 1, skipped(&raw, "2001:db8:ac00::1"));
	/* Once only: a second call leaves the words as they are. */
	put_route(&raw, "11.0.0.0/16");
	check_int("init again", 0, fp_fib__srcfilt_init(&raw));
	check_int("11.0.0.1 after a second init", 0, skipped(&raw, "11.0.0.1"));
	fp_maps__close(&raw);
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
	return fp_devs__uplink_put(&m, up_if, &up) ? -1 : 0;
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
		cmocka_unit_test(test_init_from_existing_tables),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
