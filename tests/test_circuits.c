// SPDX-License-Identifier: GPL-2.0
/*
 * The ExpressRoute model in the maps and the program (issue 6): route
 * entries tagged with their VNet, places in the circuits' IP budgets
 * (granted, refused, given back, handed to a waiting entry, kept across a
 * retag), exclusion classes against a circuit profile, and the verdicts
 * the real object gives on a modelled uplink, with the per-connection
 * counters, through BPF_PROG_TEST_RUN.
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
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "fastpath.skel.h"
#include "harness.h"
#include "fib.h"
#include "parse.h"
#include "pktgen.h"
#include "port.h"
#include "uplink.h"

static const __u8 UP_MAC[2][6] = { { 0x02, 0, 0, 0, 0x0c, 0x01 },
				   { 0x02, 0, 0, 0, 0x0c, 0x02 } };
static const __u8 SRC_MAC[6] = { 0x02, 0, 0, 0, 0x0c, 0xaa };
static const __u8 VM_MAC[6] = { 0x02, 0, 0, 0, 0x0c, 0x10 };
static const __u8 VM_PEER[6] = { 0x02, 0, 0, 0, 0x0c, 0x11 };

static struct fastpath *skel;
static struct fp_maps m;
static __u32 up_if[2], vm_if;

static struct fp_prefix pfx(const char *s)
{
	struct fp_prefix p;

	assert_int_equal(fp_parse_prefix(s, &p), 0);
	return p;
}

static void put_route(const char *prefix)
{
	struct fp_route rt = { .ifindex = vm_if, .origin = FP_ORIGIN_STATIC };
	struct fp_prefix p = pfx(prefix);

	memcpy(rt.dmac, VM_PEER, 6);
	assert_int_equal(fp_fib__set(&m, &p, &rt, false), 0);
}

static struct fp_route get_route(const char *prefix)
{
	struct fp_prefix p = pfx(prefix);
	struct fp_route rt;

	assert_int_equal(fp_fib__get(&m, &p, &rt), 0);
	return rt;
}

static void del_route(const char *prefix)
{
	struct fp_prefix p = pfx(prefix);

	assert_int_equal(fp_fib__del(&m, &p), 0);
}

static void set_space(const char *prefix, __u32 vnet)
{
	struct fp_prefix p = pfx(prefix);
	struct fp_vnet v = { .id = vnet };
	struct fp_lpm6 key;

	if (p.family == AF_INET) {
		fp_prefix__to_lpm4(&p, (struct fp_lpm4 *)&key);
		assert_int_equal(bpf_map_update_elem(m.vnets4, &key, &v, 0), 0);
	} else {
		fp_prefix__to_lpm6(&p, &key);
		assert_int_equal(bpf_map_update_elem(m.vnets6, &key, &v, 0), 0);
	}
}

static void set_conn(__u32 vnet, __u32 circuit, __u32 flags)
{
	struct fp_conn c = { .flags = flags };
	__u32 idx = FP_CONN_INDEX(vnet, circuit);

	assert_int_equal(bpf_map_update_elem(m.conns, &idx, &c, 0), 0);
}

/* Through fp_circuits' one writer, as `apply` does. */
static void set_budget(__u32 circuit, __u32 budget)
{
	assert_int_equal(fp_fib__circuit(&m, circuit, up_if[0], budget, NULL),
			 0);
}

static struct fp_circuit circuit(__u32 id)
{
	struct fp_circuit c;
	__u32 key = id - 1;

	assert_int_equal(bpf_map_lookup_elem(m.circuits, &key, &c), 0);
	return c;
}

static void set_uplink(int i, __u8 circuit_id, __u8 xallow)
{
	struct fp_uplink up = { .circuit = circuit_id, .xallow = xallow };

	memcpy(up.mac, UP_MAC[i], 6);
	assert_int_equal(fp_uplinks__put(&m, up_if[i], &up), 0);
}

/* Empties every model and route map: each test starts from nothing. */
static int reset(void **state)
{
	int fds[] = { m.hosts4, m.hosts6, m.routes4, m.routes6, m.excl4,
		      m.excl6,	m.vnets4, m.vnets6,  m.arrival };
	struct fp_circuit zc = { 0 };
	struct fp_conn zconn = { 0 };
	(void)state;
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		fp_test__empty(fds[i]);
	for (__u32 i = 0; i < FP_MAX_CIRCUITS; i++)
		bpf_map_update_elem(m.circuits, &i, &zc, 0);
	for (__u32 i = 0; i < FP_CONN_SLOTS; i++)
		bpf_map_update_elem(m.conns, &i, &zconn, 0);
	return 0;
}

static int group_setup(void **state)
{
	struct fp_port port = { .mtu = 1500 };

	(void)state;
	if (fp_test__netns())
		return -1;
	up_if[0] = fp_test__veth("up0", UP_MAC[0], "up0p");
	up_if[1] = fp_test__veth("up1", UP_MAC[1], "up1p");
	vm_if = fp_test__veth("vm0", VM_MAC, "vm0p");
	if (!up_if[0] || !up_if[1] || !vm_if)
		return -1;
	skel = fp_test__load();
	if (!skel)
		return -1;
	m.skel = skel;
	if (fp_maps__fill_fds(&m))
		return -1;
	memcpy(port.mac, VM_MAC, 6);
	memcpy(port.peer_mac, VM_PEER, 6);
	if (fp_ports__put(&m, vm_if, &port, BPF_ANY))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	fastpath__destroy(skel);
	return 0;
}

/* ---- tagging and budgets (loader/fib.c) ---------------------------------- */

static void test_vnet_tag(void **state)
{
	(void)state;
	set_space("198.18.10.0/24", 3);
	set_space("2001:db8:a::/48", 4);
	put_route("198.18.10.5/32");
	put_route("198.18.10.0/25");
	put_route("198.18.11.5/32");
	put_route("2001:db8:a::5/128");
	assert_int_equal(get_route("198.18.10.5/32").vnet, 3);
	assert_int_equal(get_route("198.18.10.0/25").vnet, 3);
	assert_int_equal(get_route("198.18.11.5/32").vnet, 0);
	assert_int_equal(get_route("2001:db8:a::5/128").vnet, 4);
	/* A space changed afterwards reaches the entries on a retag. */
	set_space("198.18.11.0/24", 5);
	assert_int_equal(get_route("198.18.11.5/32").vnet, 0);
	assert_int_equal(fp_fib__retag(&m), 0);
	assert_int_equal(get_route("198.18.11.5/32").vnet, 5);
}

static void test_budget_grant_refuse_promote(void **state)
{
	(void)state;
	set_space("198.18.10.0/24", 1);
	set_conn(1, 1, FP_CONN_F_LINKED | FP_CONN_F_FAST4);
	set_conn(1, 2, FP_CONN_F_LINKED | FP_CONN_F_FAST4);
	set_budget(1, 2);
	set_budget(2, 10);
	put_route("198.18.10.1/32");
	put_route("198.18.10.2/32");
	put_route("198.18.10.3/32");
	/* The third has no place on circuit 1, one on circuit 2. */
	assert_int_equal(get_route("198.18.10.1/32").circuits, 0x3);
	assert_int_equal(get_route("198.18.10.2/32").circuits, 0x3);
	assert_int_equal(get_route("198.18.10.3/32").circuits, 0x2);
	assert_int_equal(circuit(1).used, 2);
	assert_int_equal(circuit(1).over, 1);
	assert_int_equal(circuit(2).used, 3);
	/* Rewriting an entry keeps its place. */
	put_route("198.18.10.1/32");
	assert_int_equal(get_route("198.18.10.1/32").circuits, 0x3);
	assert_int_equal(circuit(1).used, 2);
	/* A freed place goes to the one waiting. */
	del_route("198.18.10.2/32");
	assert_int_equal(get_route("198.18.10.3/32").circuits, 0x3);
	assert_int_equal(circuit(1).used, 2);
	assert_int_equal(circuit(1).over, 0);
	assert_int_equal(circuit(2).used, 2);
	/* Outside the VNets and shadows (no port): no place taken. */
	put_route("198.18.12.1/32");
	assert_int_equal(get_route("198.18.12.1/32").circuits, 0);
	assert_int_equal(circuit(2).used, 2);
}

/*
 * The writer changes a circuit's uplink and budget and keeps its counts
 * (the FIB's, made anew at a retag); both 0 clear the record; it hands
 * back the record as it was, and refuses ids outside the model.
 */
static void test_circuit_writer(void **state)
{
	struct fp_circuit old;

	(void)state;
	set_space("198.18.10.0/24", 1);
	set_conn(1, 1, FP_CONN_F_LINKED | FP_CONN_F_FAST4);
	set_budget(1, 1);
	put_route("198.18.10.1/32");
	put_route("198.18.10.2/32");
	assert_int_equal(circuit(1).used, 1);
	assert_int_equal(circuit(1).over, 1);
	assert_int_equal(fp_fib__circuit(&m, 1, up_if[1], 5, &old), 0);
	assert_int_equal(old.ifindex, up_if[0]);
	assert_int_equal(old.budget, 1);
	assert_int_equal(old.used, 1);
	assert_int_equal(circuit(1).ifindex, up_if[1]);
	assert_int_equal(circuit(1).budget, 5);
	assert_int_equal(circuit(1).used, 1);
	assert_int_equal(circuit(1).over, 1);
	assert_int_equal(fp_fib__circuit(&m, 1, 0, 0, NULL), 0);
	assert_int_equal(circuit(1).ifindex, 0);
	assert_int_equal(circuit(1).budget, 0);
	assert_int_equal(circuit(1).used, 0);
	assert_int_equal(circuit(1).over, 0);
	assert_int_equal(fp_fib__circuit(&m, 0, up_if[0], 1, NULL), -EINVAL);
	assert_int_equal(fp_fib__circuit(&m, FP_MAX_CIRCUITS + 1, up_if[0], 1,
					 NULL),
			 -EINVAL);
}

static void test_budget_follows_connections(void **state)
{
	(void)state;
	set_space("198.18.10.0/24", 1);
	set_space("2001:db8:a::/48", 1);
	set_budget(1, 100);
	set_conn(1, 1, FP_CONN_F_LINKED | FP_CONN_F_FAST4);
	put_route("198.18.10.1/32");
	put_route("2001:db8:a::1/128");
	/* IPv6 is not fast on this connection: no place for it. */
	assert_int_equal(get_route("198.18.10.1/32").circuits, 0x1);
	assert_int_equal(get_route("2001:db8:a::1/128").circuits, 0);
	assert_int_equal(circuit(1).used, 1);
	set_conn(1, 1, FP_CONN_F_LINKED | FP_CONN_F_FAST4 | FP_CONN_F_FAST6);
	assert_int_equal(fp_fib__retag(&m), 0);
	assert_int_equal(get_route("2001:db8:a::1/128").circuits, 0x1);
	assert_int_equal(circuit(1).used, 2);
	/* fastpath off: places given back. */
	set_conn(1, 1, FP_CONN_F_LINKED);
	assert_int_equal(fp_fib__retag(&m), 0);
	assert_int_equal(get_route("198.18.10.1/32").circuits, 0);
	assert_int_equal(circuit(1).used, 0);
	assert_int_equal(circuit(1).over, 0);
}

static void test_retag_keeps_held_places(void **state)
{
	(void)state;
	set_space("198.18.10.0/24", 1);
	set_conn(1, 1, FP_CONN_F_LINKED | FP_CONN_F_FAST4);
	set_budget(1, 1);
	put_route("198.18.10.9/32");
	put_route("198.18.10.1/32");
	assert_int_equal(get_route("198.18.10.9/32").circuits, 0x1);
	assert_int_equal(get_route("198.18.10.1/32").circuits, 0);
	/* Whatever order the walk takes, the holder keeps its place. */
	assert_int_equal(fp_fib__retag(&m), 0);
	assert_int_equal(get_route("198.18.10.9/32").circuits, 0x1);
	assert_int_equal(get_route("198.18.10.1/32").circuits, 0);
	assert_int_equal(circuit(1).used, 1);
	assert_int_equal(circuit(1).over, 1);
}

/* The i-th of the routes below: an order unlike any hash's or key's. */
static void nth_route(int i, char *buf, size_t n)
{
	snprintf(buf, n, "198.18.10.%d/32", (i * 37) % 200 + 1);
}

/*
 * Places go first come, first served, also when the budget shrinks: the
 * oldest entries keep theirs, and a freed place goes to the oldest of
 * those waiting, whatever order the maps walk in.
 */
static void test_budget_shrink_keeps_arrival_order(void **state)
{
	enum { N = 40 };
	char a[32];

	(void)state;
	set_space("198.18.10.0/24", 1);
	set_conn(1, 1, FP_CONN_F_LINKED | FP_CONN_F_FAST4);
	set_budget(1, 100000);
	for (int i = 0; i < N; i++) {
		nth_route(i, a, sizeof(a));
		put_route(a);
	}
	set_budget(1, 10);
	assert_int_equal(fp_fib__retag(&m), 0);
	for (int i = 0; i < N; i++) {
		nth_route(i, a, sizeof(a));
		if (get_route(a).circuits != (i < 10 ? 0x1 : 0))
			fail_msg("%s (arrived %d of %d), budget 10: expected "
				 "circuits %#x, saw %#x",
				 a, i + 1, N, i < 10 ? 0x1 : 0,
				 get_route(a).circuits);
	}
	assert_int_equal(circuit(1).used, 10);
	assert_int_equal(circuit(1).over, N - 10);
	/* The oldest goes: its place to the 11th, not to a newer one. */
	nth_route(0, a, sizeof(a));
	del_route(a);
	for (int i = 1; i < N; i++) {
		nth_route(i, a, sizeof(a));
		if (get_route(a).circuits != (i <= 10 ? 0x1 : 0))
			fail_msg("%s (arrived %d of %d), the first gone: "
				 "expected circuits %#x, saw %#x",
				 a, i + 1, N, i <= 10 ? 0x1 : 0,
				 get_route(a).circuits);
	}
	/* Rewritten, an entry is no newcomer: it keeps its place. */
	nth_route(1, a, sizeof(a));
	put_route(a);
	set_budget(1, 15);
	assert_int_equal(fp_fib__retag(&m), 0);
	for (int i = 1; i < N; i++) {
		nth_route(i, a, sizeof(a));
		if (get_route(a).circuits != (i <= 15 ? 0x1 : 0))
			fail_msg("%s (arrived %d of %d), budget 15: expected "
				 "circuits %#x, saw %#x",
				 a, i + 1, N, i <= 15 ? 0x1 : 0,
				 get_route(a).circuits);
	}
}

static void test_exclusion_classes(void **state)
{
	struct fp_prefix lb = pfx("198.18.10.7/32"), sp = pfx("198.18.10.0/24");
	struct fp_route rt;

	(void)state;
	put_route("198.18.10.7/32");
	put_route("198.18.0.0/16");
	assert_int_equal(fp_fib__exclude(&m, &sp, FP_CLASS_PEERING), 0);
	assert_int_equal(fp_fib__exclude(&m, &lb, FP_CLASS_BASIC_LB), 0);
	rt = get_route("198.18.10.7/32");
	assert_int_equal(rt.xclasses,
			 1U << FP_CLASS_PEERING | 1U << FP_CLASS_BASIC_LB);
	assert_false(rt.flags & FP_ROUTE_F_MARKER);
	/* The /24's marker copies the /16 it sits in. */
	assert_int_equal(fp_fib__get(&m, &sp, &rt), 0);
	assert_true(rt.flags & FP_ROUTE_F_MARKER);
	assert_int_equal(rt.xclasses, 1U << FP_CLASS_PEERING);
	assert_int_equal(rt.ifindex, vm_if);
	assert_memory_equal(rt.dmac, VM_PEER, 6);
	assert_int_equal(fp_fib__unexclude(&m, &lb), 0);
	assert_int_equal(get_route("198.18.10.7/32").xclasses,
			 1U << FP_CLASS_PEERING);
}

/* Fails naming the entry at prefix when its circuits are not want. */
static void expect_circuits(const char *prefix, __u16 want)
{
	struct fp_route rt = get_route(prefix);

	if (rt.circuits != want)
		fail_msg("%s%s: expected circuits %u, saw %u", prefix,
			 rt.flags & FP_ROUTE_F_MARKER ? " (marker)" : "", want,
			 rt.circuits);
}

/*
 * Markers nested in markers: the /24's cover is the /16's marker, whose
 * cover is the /8. One retag must carry the /8's lost place down to both,
 * whatever order the trie walks them in.
 */
static void test_retag_nested_markers(void **state)
{
	struct fp_prefix outer = pfx("10.0.0.0/16"), inner = pfx("10.0.1.0/24");

	(void)state;
	set_space("10.0.0.0/8", 1);
	set_conn(1, 1, FP_CONN_F_LINKED | FP_CONN_F_FAST4);
	set_budget(1, 10);
	put_route("10.0.0.0/8");
	assert_int_equal(fp_fib__exclude(&m, &outer, FP_CLASS_PEERING), 0);
	assert_int_equal(fp_fib__exclude(&m, &inner, FP_CLASS_PEERING), 0);
	expect_circuits("10.0.0.0/8", 0x1);
	expect_circuits("10.0.0.0/16", 0x1);
	expect_circuits("10.0.1.0/24", 0x1);
	set_budget(1, 0);
	assert_int_equal(fp_fib__retag(&m), 0);
	expect_circuits("10.0.0.0/8", 0);
	expect_circuits("10.0.0.0/16", 0);
	expect_circuits("10.0.1.0/24", 0);
	assert_int_equal(circuit(1).used, 0);
}

/* ---- verdicts of the real object on modelled uplinks ---------------------- */

static __u64 reason_packets(__u32 reason)
{
	int n = libbpf_num_possible_cpus();
	struct fp_counter *c = calloc(n, sizeof(*c));
	__u64 sum = 0;

	assert_non_null(c);
	assert_int_equal(bpf_map_lookup_elem(m.stats, &reason, c), 0);
	for (int i = 0; i < n; i++)
		sum += c[i].packets;
	free(c);
	return sum;
}

static void conn_packets(__u32 vnet, __u32 circ, __u64 *fast, __u64 *gw)
{
	int n = libbpf_num_possible_cpus();
	struct fp_connstat *c = calloc(n, sizeof(*c));
	__u32 idx = FP_CONN_INDEX(vnet, circ);

	assert_non_null(c);
	assert_int_equal(bpf_map_lookup_elem(m.connstat, &idx, c), 0);
	*fast = *gw = 0;
	for (int i = 0; i < n; i++) {
		*fast += c[i].fast.packets;
		*gw += c[i].gateway.packets;
	}
	free(c);
}

/* One frame to dst into uplink i: the action, and the one reason counted. */
static void expect(int i, const char *dst, int action, __u32 reason)
{
	struct fp_pktspec s = { .ttl = 64, .payload = 18 };
	struct xdp_md ctx = { .ingress_ifindex = up_if[i] };
	__u8 buf[128];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx));
	__u64 before[FP_R_MAX];
	int len;

	memcpy(s.dmac, UP_MAC[i], 6);
	memcpy(s.smac, SRC_MAC, 6);
	s.dst = pfx(dst);
	s.src = pfx(s.dst.family == AF_INET ? "198.19.250.1" :
					      "2001:db8:fa::1");
	len = fp_pkt__build(&s, buf, sizeof(buf));
	assert_true(len > 0);
	opts.data_size_in = len;
	ctx.data_end = len;
	for (__u32 r = 0; r < FP_R_MAX; r++)
		before[r] = reason_packets(r);
	assert_int_equal(bpf_prog_test_run_opts(
				 bpf_program__fd(skel->progs.fastpath_xdp),
				 &opts),
			 0);
	if ((int)opts.retval != action ||
	    reason_packets(reason) != before[reason] + 1) {
		for (__u32 r = 0; r < FP_R_MAX; r++)
			if (reason_packets(r) != before[r])
				print_error("  counter %s moved\n",
					    fp_reason_name(r));
		fail_msg("%s on uplink %d: expected action %d, reason %s +1; "
			 "saw action %u, reason counter +%llu",
			 dst, i, action, fp_reason_name(reason), opts.retval,
			 (unsigned long long)(reason_packets(reason) -
					      before[reason]));
	}
	for (__u32 r = 0; r < FP_R_MAX; r++)
		if (r != reason && reason_packets(r) != before[r])
			fail_msg("%s on uplink %d: counter %s moved too", dst,
				 i, fp_reason_name(r));
}

static void test_verdicts(void **state)
{
	struct fp_prefix peer = pfx("198.18.20.0/24");
	__u64 f0, g0, f1, g1;

	(void)state;
	/* vnet 1 on circuits 1 (fast, IPv4 only) and 2 (fastpath off). */
	set_space("198.18.10.0/24", 1);
	set_space("2001:db8:a::/48", 1);
	set_space("198.18.20.0/24", 2);
	set_conn(1, 1, FP_CONN_F_LINKED | FP_CONN_F_FAST4);
	set_conn(1, 2, FP_CONN_F_LINKED);
	set_conn(2, 1, FP_CONN_F_LINKED | FP_CONN_F_FAST4 | FP_CONN_F_PEERED);
	set_budget(1, 2);
	set_budget(2, 10);
	set_uplink(0, 1, FP_XALLOW_DEFAULT);
	set_uplink(1, 2, FP_XALLOW_DEFAULT);
	put_route("198.18.10.1/32");
	put_route("2001:db8:a::1/128");
	put_route("198.18.20.1/32");
	put_route("198.18.10.2/32"); /* over circuit 1's budget of 2 */
	put_route("198.18.30.1/32"); /* in no VNet */
	assert_int_equal(fp_fib__exclude(&m, &peer, FP_CLASS_PEERING), 0);
	conn_packets(1, 1, &f0, &g0);

	expect(0, "198.18.10.1", XDP_REDIRECT, FP_R_FASTPATH);
	expect(0, "2001:db8:a::1", XDP_PASS, FP_R_CONN_OFF);
	expect(0, "198.18.10.2", XDP_PASS, FP_R_OVER_BUDGET);
	expect(0, "198.18.20.1", XDP_PASS, FP_R_EXCLUDED);
	expect(0, "198.18.30.1", XDP_REDIRECT, FP_R_FASTPATH);
	expect(1, "198.18.10.1", XDP_PASS, FP_R_CONN_OFF);
	expect(1, "198.18.20.1", XDP_PASS, FP_R_EXCLUDED);
	conn_packets(1, 1, &f1, &g1);
	assert_int_equal(f1 - f0, 1);
	assert_int_equal(g1 - g0, 2);
	/* Profile direct-2025 accelerates peering: the spoke goes fast. */
	set_uplink(0, 1, 1U << FP_CLASS_PEERING | FP_XALLOW_DEFAULT);
	expect(0, "198.18.20.1", XDP_REDIRECT, FP_R_FASTPATH);
	/* Outside the model (circuit 0) everything is as before. */
	set_uplink(1, 0, FP_XALLOW_DEFAULT);
	expect(1, "198.18.10.2", XDP_REDIRECT, FP_R_FASTPATH);
	expect(1, "198.18.20.1", XDP_PASS, FP_R_EXCLUDED);
}

/*
 * A spoke with a connection of its own on circuit 1 (not PEERED) is fast
 * there despite its peering exclusion; on circuit 2 it rides on its hub
 * (PEERED) and the exclusion holds under profile 2020.
 */
static void test_spoke_own_connection(void **state)
{
	struct fp_prefix spoke = pfx("198.18.20.0/24"),
			 lb = pfx("198.18.20.9/32");

	(void)state;
	set_space("198.18.10.0/24", 1);
	set_space("198.18.20.0/24", 2);
	set_conn(1, 2, FP_CONN_F_LINKED | FP_CONN_F_FAST4);
	set_conn(2, 1, FP_CONN_F_LINKED | FP_CONN_F_FAST4);
	set_conn(2, 2, FP_CONN_F_LINKED | FP_CONN_F_FAST4 | FP_CONN_F_PEERED);
	set_budget(1, 10);
	set_budget(2, 10);
	set_uplink(0, 1, FP_XALLOW_DEFAULT);
	set_uplink(1, 2, FP_XALLOW_DEFAULT);
	put_route("198.18.20.1/32");
	put_route("198.18.20.9/32");
	assert_int_equal(fp_fib__exclude(&m, &spoke, FP_CLASS_PEERING), 0);
	assert_int_equal(fp_fib__exclude(&m, &lb, FP_CLASS_BASIC_LB), 0);
	expect(0, "198.18.20.1", XDP_REDIRECT, FP_R_FASTPATH);
	expect(1, "198.18.20.1", XDP_PASS, FP_R_EXCLUDED);
	/* Other classes hold on its own connection too. */
	expect(0, "198.18.20.9", XDP_PASS, FP_R_EXCLUDED);
	/* Its own connection with fastpath off: the gateway, said so. */
	set_conn(2, 1, FP_CONN_F_LINKED);
	expect(0, "198.18.20.1", XDP_PASS, FP_R_CONN_OFF);
	/* No connection at all on circuit 1: the exclusion again. */
	set_conn(2, 1, 0);
	expect(0, "198.18.20.1", XDP_PASS, FP_R_EXCLUDED);
}

/*
 * Private Link over FastPath (direct-2025) only in the VNet the circuit
 * connects: an endpoint in a spoke reached through its hub (PEERED) goes
 * to the gateway, while the spoke's other addresses are fast (peering is
 * accelerated) and so is an endpoint in a spoke with its own connection.
 */
static void test_private_link_hub_only(void **state)
{
	struct fp_prefix spoke = pfx("198.18.20.0/24"),
			 hub_pl = pfx("198.18.10.7/32"),
			 spoke_pl = pfx("198.18.20.7/32");
	__u8 direct2025 = 1U << FP_CLASS_PEERING | 1U << FP_CLASS_PRIVATE_LINK |
			  FP_XALLOW_DEFAULT;

	(void)state;
	set_space("198.18.10.0/24", 1);
	set_space("198.18.20.0/24", 2);
	set_conn(1, 1, FP_CONN_F_LINKED | FP_CONN_F_FAST4);
	set_conn(2, 1, FP_CONN_F_LINKED | FP_CONN_F_FAST4 | FP_CONN_F_PEERED);
	set_conn(2, 2, FP_CONN_F_LINKED | FP_CONN_F_FAST4);
	set_budget(1, 10);
	set_budget(2, 10);
	set_uplink(0, 1, direct2025);
	set_uplink(1, 2, direct2025);
	put_route("198.18.10.7/32");
	put_route("198.18.20.1/32");
	put_route("198.18.20.7/32");
	assert_int_equal(fp_fib__exclude(&m, &spoke, FP_CLASS_PEERING), 0);
	assert_int_equal(fp_fib__exclude(&m, &hub_pl, FP_CLASS_PRIVATE_LINK),
			 0);
	assert_int_equal(fp_fib__exclude(&m, &spoke_pl, FP_CLASS_PRIVATE_LINK),
			 0);
	expect(0, "198.18.10.7", XDP_REDIRECT, FP_R_FASTPATH);
	expect(0, "198.18.20.1", XDP_REDIRECT, FP_R_FASTPATH);
	expect(0, "198.18.20.7", XDP_PASS, FP_R_EXCLUDED);
	expect(1, "198.18.20.7", XDP_REDIRECT, FP_R_FASTPATH);
	/* Profile 2020 accelerates Private Link nowhere. */
	set_uplink(1, 2, FP_XALLOW_DEFAULT);
	expect(1, "198.18.20.7", XDP_PASS, FP_R_EXCLUDED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_vnet_tag, reset),
		cmocka_unit_test_setup(test_budget_grant_refuse_promote, reset),
		cmocka_unit_test_setup(test_circuit_writer, reset),
		cmocka_unit_test_setup(test_budget_follows_connections, reset),
		cmocka_unit_test_setup(test_retag_keeps_held_places, reset),
		cmocka_unit_test_setup(test_budget_shrink_keeps_arrival_order,
				       reset),
		cmocka_unit_test_setup(test_exclusion_classes, reset),
		cmocka_unit_test_setup(test_retag_nested_markers, reset),
		cmocka_unit_test_setup(test_verdicts, reset),
		cmocka_unit_test_setup(test_spoke_own_connection, reset),
		cmocka_unit_test_setup(test_private_link_hub_only, reset),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
