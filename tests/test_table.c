// SPDX-License-Identifier: GPL-2.0
/*
 * The loader's table operations (loader/table.c, by interface name through
 * loader/ifcmd.c as the commands call them) against real, unpinned
 * maps in a private network namespace: every refusal leaves the maps
 * exactly as they were, and the add order never leaves a route without
 * its port.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fastpath.skel.h"
#include "harness.h"
#include "fib.h"
#include "ifcmd.h"
#include "maps.h"
#include "table.h"
#include "log.h"
#include "parse.h"

static const __u8 vm_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x10 };
static const char vm_mac_str[] = "02:00:00:00:00:10";

/* Fresh maps, small enough to fill: 4 routes, 2 exclusions per family. */
static int setup(void **state)
{
	struct fp_maps *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	assert_int_equal(fp_test__maps(m, 4, 2), 0);
	*state = m;
	return 0;
}

static int teardown(void **state)
{
	fp_maps__close(*state);
	free(*state);
	return 0;
}

static int count(int fd)
{
	__u32 n = 0, cap = 0;

	assert_int_equal(fp_maps__count(fd, &n, &cap), 0);
	return n;
}

/* Total entries across every table map: a refused change must not move it. */
static int total(struct fp_maps *m)
{
	return count(m->uplinks) + count(m->ports) + count(m->tx) +
	       count(m->hosts4) + count(m->hosts6) + count(m->routes4) +
	       count(m->routes6) + count(m->excl4) + count(m->excl6);
}

/*
 * The table functions take parsed values; these parse the test's strings
 * as the commands do, so a malformed one is refused before any write.
 */
static int route_add(struct fp_maps *m, const char *prefix, const char *dev,
		     const char *lladdr)
{
	struct fp_prefix p;
	__u8 mac[6];
	int err;

	err = fp_parse_prefix(prefix, &p);
	if (err)
		return err;
	if (lladdr && fp_parse_mac(lladdr, mac))
		return -EINVAL;
	return fp_route__add(m, &p, if_nametoindex(dev), lladdr ? mac : NULL);
}

static int route_del(struct fp_maps *m, const char *prefix)
{
	struct fp_prefix p;
	int err;

	err = fp_parse_prefix(prefix, &p);
	return err ? err : fp_fib__del(m, &p);
}

static int excl_add(struct fp_maps *m, const char *prefix, const char *class)
{
	int c = class ? fp_class_from_name(class) : FP_CLASS_OTHER;
	struct fp_prefix p;
	int err;

	if (c < 0)
		return c;
	err = fp_parse_prefix(prefix, &p);
	return err ? err : fp_fib__exclude(m, &p, c);
}

static int excl_del(struct fp_maps *m, const char *prefix)
{
	struct fp_prefix p;
	int err;

	err = fp_parse_prefix(prefix, &p);
	return err ? err : fp_fib__unexclude(m, &p);
}

static void test_port_add_del(void **state)
{
	struct fp_maps *m = *state;
	__u32 ifindex = if_nametoindex("vm0");
	struct fp_port port;
	__u32 tx;

	assert_int_equal(fp_ifcmd__port_add(m, "vm0", vm_mac), 0);
	assert_int_equal(bpf_map_lookup_elem(m->ports, &ifindex, &port), 0);
	assert_memory_equal(port.peer_mac, vm_mac, 6);
	assert_int_equal(port.mtu, 1400);
	assert_string_equal(port.name, "vm0");
	assert_int_equal(bpf_map_lookup_elem(m->tx, &ifindex, &tx), 0);
	assert_int_equal(tx, ifindex);

	assert_int_equal(fp_ifcmd__port_add(m, "vm0", vm_mac), -EEXIST);
	assert_int_equal(fp_ifcmd__port_add(m, "nosuch0", vm_mac), -ENODEV);
	assert_int_equal(fp_ifcmd__port_del(m, "vm0"), 0);
	assert_int_equal(count(m->ports), 0);
	assert_int_equal(count(m->tx), 0);
	assert_int_equal(fp_ifcmd__port_del(m, "vm0"), -ENOENT);
}

static void test_route_refusals_leave_state(void **state)
{
	struct fp_maps *m = *state;
	int before;

	assert_int_equal(fp_ifcmd__port_add(m, "vm0", NULL), 0);
	before = total(m);
	/* No lladdr and no peer MAC: nothing to put in the frame. */
	assert_int_equal(route_add(m, "198.19.1.0/24", "vm0", NULL), -EINVAL);
	/* Not a registered port: no such interface, or one not added. */
	assert_int_equal(route_add(m, "198.19.1.0/24", "vm9", NULL), -ENODEV);
	assert_int_equal(route_add(m, "198.19.1.0/24", "gw0", vm_mac_str),
			 -ENODEV);
	assert_int_equal(route_add(m, "198.19.1.1/24", "vm0",
				   "02:00:00:00:00:01"),
			 -EDOM);
	assert_int_equal(route_add(m, "198.19.1.0/24", "vm0", "02:00:00:00:00"),
			 -EINVAL);
	assert_int_equal(route_add(m, "198.19.1.0/24", "vm0",
				   "01:00:5e:00:00:01"),
			 -EINVAL);
	assert_int_equal(route_add(m, "not-a-prefix", "vm0", NULL), -EINVAL);
	assert_int_equal(total(m), before);

	assert_int_equal(
		route_add(m, "198.19.1.0/24", "vm0", "02:00:00:00:00:01"), 0);
	assert_int_equal(route_add(m, "198.19.1.0/24", "vm0",
				   "02:00:00:00:00:02"),
			 -EEXIST);
	assert_int_equal(total(m), before + 1);
	/* A port in use cannot go: its routes would point nowhere. */
	assert_int_equal(fp_ifcmd__port_del(m, "vm0"), -EBUSY);
	assert_int_equal(route_del(m, "198.19.1.0/24"), 0);
	assert_int_equal(route_del(m, "198.19.1.0/24"), -ENOENT);
	assert_int_equal(fp_ifcmd__port_del(m, "vm0"), 0);
}

static void test_route_map_full(void **state)
{
	struct fp_maps *m = *state;
	char pfx[32];
	int before;

	assert_int_equal(fp_ifcmd__port_add(m, "vm0", vm_mac), 0);
	for (int i = 0; i < 4; i++) {
		snprintf(pfx, sizeof(pfx), "198.19.%d.0/24", i);
		assert_int_equal(route_add(m, pfx, "vm0", NULL), 0);
	}
	before = total(m);
	assert_int_equal(route_add(m, "198.19.9.0/24", "vm0", NULL), -ENOSPC);
	assert_int_equal(total(m), before);
	for (int i = 0; i < 4; i++) {
		snprintf(pfx, sizeof(pfx), "198.19.%d.0/24", i);
		assert_int_equal(route_del(m, pfx), 0);
	}
	assert_int_equal(fp_ifcmd__port_del(m, "vm0"), 0);
}

static void test_route_v6_and_lpm_key(void **state)
{
	struct fp_maps *m = *state;
	struct fp_lpm6 key = { .prefixlen = 64 };
	struct fp_route rt;
	__u32 ifindex = if_nametoindex("vm0");

	assert_int_equal(fp_ifcmd__port_add(m, "vm0", vm_mac), 0);
	assert_int_equal(route_add(m, "2001:db8:100:1::/64", "vm0", NULL), 0);
	key.addr[0] = 0x20;
	key.addr[1] = 0x01;
	key.addr[2] = 0x0d;
	key.addr[3] = 0xb8;
	key.addr[4] = 0x01;
	key.addr[5] = 0x00;
	key.addr[7] = 0x01;
	assert_int_equal(bpf_map_lookup_elem(m->routes6, &key, &rt), 0);
	assert_int_equal(rt.ifindex, ifindex);
	assert_memory_equal(rt.dmac, vm_mac, 6);
	assert_int_equal(rt.origin, FP_ORIGIN_STATIC);
	assert_int_equal(route_del(m, "2001:db8:100:1::/64"), 0);
	assert_int_equal(fp_ifcmd__port_del(m, "vm0"), 0);
}

static void test_exclusions(void **state)
{
	struct fp_maps *m = *state;
	struct fp_lpm4 key = { .prefixlen = 32, .addr = htonl(0xc6130214) };
	struct fp_excl ex;
	int before;

	assert_int_equal(excl_add(m, "198.19.2.20/32", "private-link"), 0);
	assert_int_equal(bpf_map_lookup_elem(m->excl4, &key, &ex), 0);
	assert_int_equal(ex.class, FP_CLASS_PRIVATE_LINK);
	before = total(m);
	assert_int_equal(excl_add(m, "198.19.2.20/32", "peering"), -EEXIST);
	assert_int_equal(excl_add(m, "198.19.3.0/24", "bogus"), -EINVAL);
	assert_int_equal(excl_add(m, "198.19.3.1/24", NULL), -EDOM);
	assert_int_equal(total(m), before);
	/* The exclusion and its marker in fp_routes4 (no route there). */
	assert_int_equal(excl_add(m, "198.19.3.0/24", NULL), 0);
	/* max_entries 2: the third is refused by name, nothing changes. */
	assert_int_equal(excl_add(m, "198.19.4.0/24", "basic-lb"), -ENOSPC);
	assert_int_equal(total(m), before + 2);
	assert_int_equal(excl_del(m, "198.19.2.20/32"), 0);
	assert_int_equal(excl_del(m, "198.19.3.0/24"), 0);
	assert_int_equal(excl_del(m, "198.19.3.0/24"), -ENOENT);
}

static void test_uplink_gateway_port(void **state)
{
	struct fp_maps *m = *state;
	struct fp_uplink old, up;
	__u32 ifindex = if_nametoindex("up0");
	bool existed;
	int before;

	before = total(m);
	/* The gateway port must be registered, with the gateway's MAC. */
	assert_int_equal(fp_ifcmd__uplink_set(m, "up0", "gw0", 0, &old,
					      &existed),
			 -ENOENT);
	assert_int_equal(fp_ifcmd__port_add(m, "gw0", NULL), 0);
	assert_int_equal(fp_ifcmd__uplink_set(m, "up0", "gw0", 0, &old,
					      &existed),
			 -EINVAL);
	assert_int_equal(fp_ifcmd__uplink_set(m, "nosuch0", NULL, 0, &old,
					      &existed),
			 -ENODEV);
	assert_int_equal(total(m), before + 2); /* gw0 in fp_ports and fp_tx */
	assert_int_equal(fp_ifcmd__port_del(m, "gw0"), 0);

	assert_int_equal(fp_ifcmd__port_add(m, "gw0", vm_mac), 0);
	assert_int_equal(fp_ifcmd__uplink_set(m, "up0", "gw0", 0, &old,
					      &existed),
			 (int)ifindex);
	assert_false(existed);
	assert_int_equal(bpf_map_lookup_elem(m->uplinks, &ifindex, &up), 0);
	assert_int_equal(up.gw_ifindex, if_nametoindex("gw0"));
	/* An uplink's gateway port: refused, and not for routes (-EBUSY). */
	assert_int_equal(fp_ifcmd__port_del(m, "gw0"), -EADDRINUSE);
	assert_int_equal(fp_uplink__restore(m, ifindex, &old, existed), 0);
	assert_int_equal(count(m->uplinks), 0);
	assert_int_equal(fp_ifcmd__port_del(m, "gw0"), 0);
}

static int group_setup(void **state)
{
	if (fp_test__netns())
		return -1;
	if (system("ip link add up0 type veth peer name op0 && "
		   "ip link add vm0 mtu 1400 type veth peer name vmp && "
		   "ip link add gw0 type veth peer name gw1")) {
		print_message("cannot create test veths\n");
		return -1;
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_port_add_del, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_route_refusals_leave_state,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_route_map_full, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_route_v6_and_lpm_key,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_exclusions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_uplink_gateway_port, setup,
						teardown),
	};

	fp_log__set_level(FP_LOG_WARN);
	return cmocka_run_group_tests_name("table", tests, group_setup, NULL);
}
