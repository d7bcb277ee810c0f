// SPDX-License-Identifier: GPL-2.0
/*
 * The ports' and uplinks' writers (loader/port.c, loader/uplink.c) on
 * real, unpinned maps in a private network namespace: the redirect slot
 * is there before a port entry names it and goes after it, the program's
 * slot is written last and cleared first, and a write that fails (a full
 * map, a device that is no redirect target, a map the syscall may not
 * write) leaves the maps as they were. Above them, table.c's checked
 * operations on typed values: each refusal has its own errno (the
 * commands word each differently) and writes nothing.
 */
#include <errno.h>
#include <net/if.h>
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
#include "ifinfo.h"
#include "maps.h"
#include "log.h"
#include "parse.h"
#include "port.h"
#include "table.h"
#include "uplink.h"

/* Room for one port and one uplink: the second fills the map. */
#define CAP 1
/* No device has it: the devmap refuses it. */
#define NO_DEV 4000
#define BIG_INDEX 70000 /* above FP_DEV_SLOTS: the hashes only */

static const __u8 mac0[6] = { 0x02, 0, 0, 0, 0, 0x10 };
static __u32 vm0, vm1, vmbig;

struct lab {
	struct fp_maps m;
	int portv, txv, upv; /* the real ones while a test swaps them */
};

static int setup(void **state)
{
	struct lab *l = calloc(1, sizeof(*l));
	struct fastpath *skel;

	assert_non_null(l);
	skel = fp_skel__open_private();
	assert_non_null(skel);
	bpf_map__set_max_entries(skel->maps.fp_ports, CAP);
	bpf_map__set_max_entries(skel->maps.fp_uplinks, CAP);
	bpf_program__set_autoload(skel->progs.fastpath_xdp, false);
	assert_int_equal(fastpath__load(skel), 0);
	l->m.skel = skel;
	assert_int_equal(fp_maps__fill_fds(&l->m), 0);
	l->portv = l->m.portv;
	l->txv = l->m.txv;
	l->upv = l->m.upv;
	*state = l;
	return 0;
}

static int teardown(void **state)
{
	struct lab *l = *state;

	/* The read-only stand-ins are the test's own. */
	if (l->m.portv != l->portv)
		close(l->m.portv);
	if (l->m.txv != l->txv)
		close(l->m.txv);
	if (l->m.upv != l->upv)
		close(l->m.upv);
	l->m.portv = l->portv;
	l->m.txv = l->txv;
	l->m.upv = l->upv;
	fp_maps__close(&l->m);
	free(l);
	return 0;
}

/* A map of the same shape that the syscall may read but not write. */
static int read_only(enum bpf_map_type type, __u32 value_size)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_RDONLY);
	int fd = bpf_map_create(type, NULL, sizeof(__u32), value_size,
				FP_DEV_SLOTS, &o);

	assert_true(fd >= 0);
	return fd;
}

static struct fp_port port_of(__u32 ifindex, __u16 mtu)
{
	struct fp_port p = { .mtu = mtu };

	memcpy(p.mac, mac0, 6);
	if (!if_indextoname(ifindex, p.name))
		snprintf(p.name, sizeof(p.name), "if%u", ifindex);
	return p;
}

static bool in_ports(const struct fp_maps *m, __u32 ifindex,
		     struct fp_port *out)
{
	struct fp_port p;

	return !bpf_map_lookup_elem(m->ports, &ifindex, out ? out : &p);
}

static bool in_tx(const struct fp_maps *m, __u32 ifindex)
{
	__u32 v;

	return !bpf_map_lookup_elem(m->tx, &ifindex, &v);
}

static bool in_txv(const struct fp_maps *m, __u32 ifindex)
{
	__u32 v;

	return !bpf_map_lookup_elem(m->txv, &ifindex, &v);
}

/* The program's port slot's mtu: 0 is "no port". */
static __u16 portv_mtu(const struct fp_maps *m, __u32 ifindex)
{
	struct fp_port p;

	assert_int_equal(bpf_map_lookup_elem(m->portv, &ifindex, &p), 0);
	return p.mtu;
}

static bool nothing_of(const struct fp_maps *m, __u32 ifindex)
{
	return !in_ports(m, ifindex, NULL) && !in_tx(m, ifindex) &&
	       (ifindex >= FP_DEV_SLOTS ||
		(!in_txv(m, ifindex) && !portv_mtu(m, ifindex)));
}

static void test_port_put_del(void **state)
{
	struct fp_maps *m = &((struct lab *)*state)->m;
	struct fp_port p = port_of(vm0, 1500), got;

	assert_int_equal(fp_ports__put(m, vm0, &p, BPF_NOEXIST), 0);
	assert_true(in_ports(m, vm0, &got));
	assert_memory_equal(&got, &p, sizeof(p));
	assert_true(in_tx(m, vm0));
	assert_true(in_txv(m, vm0));
	assert_int_equal(portv_mtu(m, vm0), 1500);
	assert_int_equal(fp_ports__put(m, vm0, &p, BPF_NOEXIST), -EEXIST);
	assert_true(in_tx(m, vm0));
	assert_int_equal(portv_mtu(m, vm0), 1500);

	assert_int_equal(fp_ports__del(m, vm0), 0);
	assert_true(nothing_of(m, vm0));
	assert_int_equal(fp_ports__del(m, vm0), -ENOENT);
}

/* No device: nothing may name the slot that could not be made. */
static void test_port_no_target(void **state)
{
	struct fp_maps *m = &((struct lab *)*state)->m;
	struct fp_port p = port_of(NO_DEV, 1500);

	assert_int_equal(fp_ports__put(m, NO_DEV, &p, BPF_ANY), -EINVAL);
	assert_true(nothing_of(m, NO_DEV));
}

/* fp_ports full: the redirect slots written first are taken back. */
static void test_port_map_full(void **state)
{
	struct fp_maps *m = &((struct lab *)*state)->m;
	struct fp_port p0 = port_of(vm0, 1500), p1 = port_of(vm1, 1500);

	assert_int_equal(fp_ports__put(m, vm0, &p0, BPF_NOEXIST), 0);
	assert_int_equal(fp_ports__put(m, vm1, &p1, BPF_NOEXIST), -E2BIG);
	assert_true(nothing_of(m, vm1));
	assert_true(in_ports(m, vm0, NULL));
	assert_true(in_tx(m, vm0));
	assert_int_equal(portv_mtu(m, vm0), 1500);
	/* An update of a port that is not there: the same. */
	assert_int_equal(fp_ports__del(m, vm0), 0);
	assert_int_equal(fp_ports__put(m, vm1, &p1, BPF_EXIST), -ENOENT);
	assert_true(nothing_of(m, vm1));
}

/* The program's slot refused: the registry entry and target go back. */
static void test_port_slot_fails(void **state)
{
	struct lab *l = *state;
	struct fp_maps *m = &l->m;
	struct fp_port p = port_of(vm0, 1500), q = port_of(vm0, 900), got;

	m->portv = read_only(BPF_MAP_TYPE_ARRAY, sizeof(struct fp_port));
	assert_int_equal(fp_ports__put(m, vm0, &p, BPF_NOEXIST), -EPERM);
	assert_false(in_ports(m, vm0, NULL));
	assert_false(in_tx(m, vm0));
	assert_false(in_txv(m, vm0));

	/* A port already there keeps its entry and its target. */
	close(m->portv);
	m->portv = l->portv;
	assert_int_equal(fp_ports__put(m, vm0, &p, BPF_NOEXIST), 0);
	m->portv = read_only(BPF_MAP_TYPE_ARRAY, sizeof(struct fp_port));
	assert_int_equal(fp_ports__put(m, vm0, &q, BPF_EXIST), -EPERM);
	assert_true(in_ports(m, vm0, &got));
	assert_int_equal(got.mtu, 1500);
	assert_true(in_tx(m, vm0));
	assert_true(in_txv(m, vm0));

	/* Removal that cannot clear the slot removes nothing. */
	assert_int_equal(fp_ports__del(m, vm0), -EPERM);
	assert_true(in_ports(m, vm0, NULL));
	assert_true(in_tx(m, vm0));
	close(m->portv);
	m->portv = l->portv;
	assert_int_equal(portv_mtu(m, vm0), 1500);
}

/* The array's redirect slot refused: no port entry, no hash slot. */
static void test_port_txv_fails(void **state)
{
	struct lab *l = *state;
	struct fp_maps *m = &l->m;
	struct fp_port p = port_of(vm0, 1500);

	m->txv = read_only(BPF_MAP_TYPE_DEVMAP, sizeof(__u32));
	assert_int_equal(fp_ports__put(m, vm0, &p, BPF_NOEXIST), -EPERM);
	assert_false(in_ports(m, vm0, NULL));
	assert_false(in_tx(m, vm0));
	close(m->txv);
	m->txv = l->txv;
	assert_int_equal(portv_mtu(m, vm0), 0);

	/* Put back over a slot that was there: the slot stays. */
	assert_int_equal(fp_ports__put(m, vm0, &p, BPF_NOEXIST), 0);
	m->txv = read_only(BPF_MAP_TYPE_DEVMAP, sizeof(__u32));
	assert_int_equal(fp_ports__tx_put(m, vm0), -EPERM);
	assert_true(in_tx(m, vm0));
	close(m->txv);
	m->txv = l->txv;
	assert_int_equal(fp_ports__tx_put(m, vm0), 0);
	assert_true(in_txv(m, vm0));
}

/* Above FP_DEV_SLOTS the hashes are all there is. */
static void test_port_big_ifindex(void **state)
{
	struct fp_maps *m = &((struct lab *)*state)->m;
	struct fp_port p = port_of(vmbig, 1500);

	assert_int_equal(fp_ports__put(m, vmbig, &p, BPF_NOEXIST), 0);
	assert_true(in_ports(m, vmbig, NULL));
	assert_true(in_tx(m, vmbig));
	assert_int_equal(fp_ports__del(m, vmbig), 0);
	assert_true(nothing_of(m, vmbig));
}

static bool in_uplinks(const struct fp_maps *m, __u32 ifindex,
		       struct fp_uplink *out)
{
	struct fp_uplink up;

	return !bpf_map_lookup_elem(m->uplinks, &ifindex, out ? out : &up);
}

static struct fp_uplink upv_of(const struct fp_maps *m, __u32 ifindex)
{
	struct fp_uplink up;

	assert_int_equal(bpf_map_lookup_elem(m->upv, &ifindex, &up), 0);
	return up;
}

static void test_uplink_put_del(void **state)
{
	struct fp_maps *m = &((struct lab *)*state)->m;
	struct fp_uplink up = { .gw_ifindex = vm0, .circuit = 3 }, got;

	assert_int_equal(fp_uplinks__put(m, 7, &up), 0);
	assert_true(in_uplinks(m, 7, &got));
	assert_int_equal(got.flags, 0); /* ON is the array's word only */
	assert_int_equal(got.circuit, 3);
	got = upv_of(m, 7);
	assert_int_equal(got.flags, FP_UPLINK_F_ON);
	assert_int_equal(got.gw_ifindex, vm0);

	assert_int_equal(fp_uplinks__del(m, 7), 0);
	assert_false(in_uplinks(m, 7, NULL));
	assert_int_equal(upv_of(m, 7).flags, 0);
	assert_int_equal(fp_uplinks__del(m, 7), -ENOENT);
}

static void test_uplink_map_full(void **state)
{
	struct fp_maps *m = &((struct lab *)*state)->m;
	struct fp_uplink up = { .circuit = 1 };

	assert_int_equal(fp_uplinks__put(m, 7, &up), 0);
	assert_int_equal(fp_uplinks__put(m, 8, &up), -E2BIG);
	assert_false(in_uplinks(m, 8, NULL));
	assert_int_equal(upv_of(m, 8).flags, 0);
	assert_int_equal(upv_of(m, 7).flags, FP_UPLINK_F_ON);
}

/* The program's slot refused: the registry is as it was. */
static void test_uplink_slot_fails(void **state)
{
	struct lab *l = *state;
	struct fp_maps *m = &l->m;
	struct fp_uplink up = { .circuit = 1 }, next = { .circuit = 2 }, got;

	m->upv = read_only(BPF_MAP_TYPE_ARRAY, sizeof(struct fp_uplink));
	assert_int_equal(fp_uplinks__put(m, 7, &up), -EPERM);
	assert_false(in_uplinks(m, 7, NULL));
	close(m->upv);
	m->upv = l->upv;

	assert_int_equal(fp_uplinks__put(m, 7, &up), 0);
	m->upv = read_only(BPF_MAP_TYPE_ARRAY, sizeof(struct fp_uplink));
	assert_int_equal(fp_uplinks__put(m, 7, &next), -EPERM);
	assert_true(in_uplinks(m, 7, &got));
	assert_int_equal(got.circuit, 1);
	assert_int_equal(fp_uplinks__del(m, 7), -EPERM);
	assert_true(in_uplinks(m, 7, NULL));
	close(m->upv);
	m->upv = l->upv;
	got = upv_of(m, 7);
	assert_int_equal(got.circuit, 1);
	assert_int_equal(got.flags, FP_UPLINK_F_ON);
}

/* By fd (unload): a slot left behind is cleared, a set without fp_upv works. */
static void test_uplink_del_fds(void **state)
{
	struct fp_maps *m = &((struct lab *)*state)->m;
	struct fp_uplink up = { .flags = FP_UPLINK_F_ON, .circuit = 1 };
	__u32 key = 7;

	assert_int_equal(bpf_map_update_elem(m->upv, &key, &up, BPF_ANY), 0);
	assert_int_equal(fp_uplinks__del_fds(m->uplinks, m->upv, 7), -ENOENT);
	assert_int_equal(upv_of(m, 7).flags, 0);

	assert_int_equal(fp_uplinks__put(m, 8, &up), 0);
	assert_int_equal(fp_uplinks__del_fds(m->uplinks, -1, 8), 0);
	assert_false(in_uplinks(m, 8, NULL));
	assert_int_equal(fp_uplinks__del_fds(m->uplinks, -1, 8), -ENOENT);
}

/* The interface facts the commands look up for fp_port__add. */
static struct fp_ifinfo info_of(const char *name)
{
	struct fp_ifinfo info;

	assert_int_equal(fp_ifinfo__by_name(name, &info), 0);
	return info;
}

static void test_port_add_refusals(void **state)
{
	struct fp_maps *m = &((struct lab *)*state)->m;
	struct fp_ifinfo vm = info_of("vm0"), other = info_of("vm1");
	struct fp_ifinfo nodev = vm;
	struct fp_port got;

	/* No device at the index: nothing to redirect to. */
	nodev.ifindex = NO_DEV;
	assert_int_equal(fp_port__add(m, &nodev, mac0), -EINVAL);
	assert_true(nothing_of(m, NO_DEV));

	assert_int_equal(fp_port__add(m, &vm, mac0), 0);
	assert_true(in_ports(m, vm0, &got));
	assert_string_equal(got.name, "vm0");
	assert_memory_equal(got.peer_mac, mac0, 6);
	assert_int_equal(portv_mtu(m, vm0), vm.mtu);
	/* Registered already: refused as such, the record untouched. */
	assert_int_equal(fp_port__add(m, &vm, NULL), -EEXIST);
	assert_true(in_ports(m, vm0, &got));
	assert_memory_equal(got.peer_mac, mac0, 6);
	/* fp_ports full (CAP 1): the map's word, not "already there". */
	assert_int_equal(fp_port__add(m, &other, NULL), -E2BIG);
	assert_true(nothing_of(m, vm1));
}

static void test_port_del_refusals(void **state)
{
	struct fp_maps *m = &((struct lab *)*state)->m;
	struct fp_ifinfo vm = info_of("vm0");
	struct fp_uplink up = { .gw_ifindex = vm0 };
	struct fp_prefix p;

	assert_int_equal(fp_port__del(m, vm0), -ENOENT);
	assert_int_equal(fp_port__add(m, &vm, mac0), 0);

	/* A route names it: -EBUSY, and the port stays whole. */
	assert_int_equal(fp_parse_prefix("198.19.1.0/24", &p), 0);
	assert_int_equal(fp_route__add(m, &p, vm0, NULL), 0);
	assert_int_equal(fp_port__routes(m, vm0), 1);
	assert_int_equal(fp_port__del(m, vm0), -EBUSY);
	assert_true(in_ports(m, vm0, NULL));
	assert_true(in_tx(m, vm0));
	assert_int_equal(fp_fib__del(m, &p), 0);
	assert_int_equal(fp_port__routes(m, vm0), 0);

	/* An uplink's gateway port: a refusal of its own. */
	assert_int_equal(fp_uplinks__put(m, 7, &up), 0);
	assert_int_equal(fp_port__del(m, vm0), -EADDRINUSE);
	assert_true(in_ports(m, vm0, NULL));
	assert_true(in_tx(m, vm0));
	assert_int_equal(fp_uplinks__del(m, 7), 0);

	assert_int_equal(fp_port__del(m, vm0), 0);
	assert_true(nothing_of(m, vm0));
}

static void test_uplink_set_refusals(void **state)
{
	struct fp_maps *m = &((struct lab *)*state)->m;
	struct fp_ifinfo vm = info_of("vm0");
	struct fp_uplink up = { .gw_ifindex = vm0,
				.xallow = FP_XALLOW_DEFAULT },
			 old, got;
	bool existed;

	memcpy(up.mac, mac0, 6);
	/* The gateway port: not registered, no peer MAC, the uplink itself. */
	assert_int_equal(fp_uplink__set(m, vm1, &up, &old, &existed), -ENOENT);
	assert_int_equal(fp_port__add(m, &vm, NULL), 0);
	assert_int_equal(fp_uplink__set(m, vm1, &up, &old, &existed), -EINVAL);
	assert_int_equal(fp_port__del(m, vm0), 0);
	assert_int_equal(fp_port__add(m, &vm, mac0), 0);
	assert_int_equal(fp_uplink__set(m, vm0, &up, &old, &existed), -ELOOP);
	assert_false(in_uplinks(m, vm0, NULL));
	assert_false(in_uplinks(m, vm1, NULL));

	assert_int_equal(fp_uplink__set(m, vm1, &up, &old, &existed), 0);
	assert_false(existed);
	assert_true(in_uplinks(m, vm1, &got));
	assert_int_equal(got.gw_ifindex, vm0);
	assert_int_equal(upv_of(m, vm1).flags, FP_UPLINK_F_ON);

	/* Set again: the circuit `apply` gave it stays; restore undoes. */
	got.circuit = 5;
	assert_int_equal(fp_uplinks__put(m, vm1, &got), 0);
	up.flags = FP_UPLINK_F_ALLOW_SPOOFED;
	up.circuit = 9;
	assert_int_equal(fp_uplink__set(m, vm1, &up, &old, &existed), 0);
	assert_true(existed);
	assert_int_equal(old.circuit, 5);
	assert_true(in_uplinks(m, vm1, &got));
	assert_int_equal(got.circuit, 5);
	assert_int_equal(got.flags, FP_UPLINK_F_ALLOW_SPOOFED);
	assert_int_equal(fp_uplink__restore(m, vm1, &old, existed), 0);
	assert_true(in_uplinks(m, vm1, &got));
	assert_int_equal(got.flags, 0);
	assert_int_equal(got.circuit, 5);
}

static int group_setup(void **state)
{
	(void)state;
	if (fp_test__netns() ||
	    fp_test__sh("ip link add vm0 type veth peer name vmp0 && "
			"ip link add vm1 type veth peer name vmp1 && "
			"ip link add vmbig index %d type veth peer name vmbigp",
			BIG_INDEX))
		return -1;
	vm0 = if_nametoindex("vm0");
	vm1 = if_nametoindex("vm1");
	vmbig = if_nametoindex("vmbig");
	return vm0 && vm1 && vmbig == BIG_INDEX ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_port_put_del, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_port_no_target, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_port_map_full, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_port_slot_fails, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_port_txv_fails, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_port_big_ifindex, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_uplink_put_del, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_uplink_map_full, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_uplink_slot_fails, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_uplink_del_fds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_port_add_refusals, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_port_del_refusals, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_uplink_set_refusals, setup,
						teardown),
	};

	fp_log__set_level(FP_LOG_WARN);
	return cmocka_run_group_tests_name("port", tests, group_setup, NULL);
}
