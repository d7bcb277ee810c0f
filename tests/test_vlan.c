// SPDX-License-Identifier: GPL-2.0
/*
 * The tagged circuits of trunk uplinks (loader/uplink.c's fp_vlans and
 * fp_vlanstat writer, and table.c's checked fp_vlan__set above it) on
 * real, unpinned maps in a private network namespace: the uplink is a
 * trunk exactly while it has a record, each record carries its uplink's
 * MAC and flags and follows them, goes with its uplink, counts from zero
 * in a counter slot of its own, and a refusal writes nothing.
 */
#include <errno.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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
#include "ifinfo.h"
#include "log.h"
#include "maps.h"
#include "table.h"
#include "uplink.h"
#include "check.h"

#define SMALL 4 /* fp_vlans entries in the lab of test_full */
#define BIG_INDEX 70000 /* above FP_DEV_SLOTS: the registry hash only */

static const __u8 mac0[6] = { 0x02, 0, 0, 0, 0, 0x10 };
static const __u8 mac1[6] = { 0x02, 0, 0, 0, 0, 0x11 };
static const __u8 mac2[6] = { 0x02, 0, 0, 0, 0, 0x12 };
static __u32 vm0, vm1;
static int ncpus;

static int open_lab(void **state, __u32 vlans_cap)
{
	struct fp_maps *m = calloc(1, sizeof(*m));
	struct fastpath *skel;

	assert_non_null(m);
	skel = fp_skel__open_private();
	assert_non_null(skel);
	if (vlans_cap)
		assert_int_equal(bpf_map__set_max_entries(skel->maps.fp_vlans,
							  vlans_cap),
				 0);
	bpf_program__set_autoload(skel->progs.fastpath_xdp, false);
	assert_int_equal(fastpath__load(skel), 0);
	m->skel = skel;
	assert_int_equal(fp_maps__fill_fds(m), 0);
	*state = m;
	return 0;
}

static int setup(void **state)
{
	return open_lab(state, 0);
}

static int setup_small(void **state)
{
	return open_lab(state, SMALL);
}

static int teardown(void **state)
{
	struct fp_maps *m = *state;

	fp_maps__close(m);
	free(m);
	return 0;
}

/*
 * The registry's flags (-1: no entry) and the program's slot's, but for
 * the trunk number (trunk_nr, test_program_view).
 */
static long long reg_flags(const struct fp_maps *m, __u32 ifindex)
{
	struct fp_uplink up;

	if (bpf_map_lookup_elem(m->uplinks, &ifindex, &up))
		return -1;
	return up.flags & ~FP_UPLINK_TRUNK_MASK;
}

static __u32 slot_flags(const struct fp_maps *m, __u32 ifindex)
{
	struct fp_uplink up;

	check_int("fp_upv lookup", 0,
		  bpf_map_lookup_elem(m->upv, &ifindex, &up) ? -errno : 0);
	return up.flags & ~FP_UPLINK_TRUNK_MASK;
}

/* The trunk number in uplink ifindex's flags, slot and registry alike. */
static __u32 trunk_nr(const struct fp_maps *m, __u32 ifindex)
{
	struct fp_uplink up, slot;

	check_int("fp_uplinks lookup", 0,
		  bpf_map_lookup_elem(m->uplinks, &ifindex, &up) ? -errno : 0);
	if (ifindex < FP_DEV_SLOTS) {
		check_int("fp_upv lookup", 0,
			  bpf_map_lookup_elem(m->upv, &ifindex, &slot) ?
				  -errno :
				  0);
		check_int("trunk number: slot as registry",
			  FP_UPLINK_TRUNK_NR(up.flags),
			  FP_UPLINK_TRUNK_NR(slot.flags));
	}
	return FP_UPLINK_TRUNK_NR(up.flags);
}

static void put_uplink(const struct fp_maps *m, __u32 ifindex, const __u8 *mac,
		       __u32 flags, __u32 gw)
{
	struct fp_uplink up = { .gw_ifindex = gw, .flags = flags };

	memcpy(up.mac, mac, 6);
	check_int("fp_uplinks__put", 0, fp_uplinks__put(m, ifindex, &up));
}

/* A circuit record with gateway port gw, circuit c, xallow x. */
static int put_rec(const struct fp_maps *m, __u32 ifindex, __u16 outer,
		   __u16 inner, __u32 gw, __u8 c, __u8 x)
{
	struct fp_uplink cir = { .gw_ifindex = gw, .circuit = c, .xallow = x };

	return fp_vlans__put(m, ifindex, outer, inner, &cir, NULL, NULL);
}

static bool get_rec(const struct fp_maps *m, __u32 ifindex, __u16 outer,
		    __u16 inner, struct fp_vlan *v)
{
	struct fp_vlan_key k = { .ifindex = ifindex,
				 .outer = outer,
				 .inner = inner };
	struct fp_vlan dummy;

	return !bpf_map_lookup_elem(m->vlans, &k, v ? v : &dummy);
}

static int count_one(const struct fp_vlan_key *k, const struct fp_vlan *v,
		     void *ctx)
{
	(void)k;
	(void)v;
	++*(int *)ctx;
	return 0;
}

/* Records of uplink ifindex (0: of all), by fp_vlans__walk. */
static int count_recs(const struct fp_maps *m, __u32 ifindex)
{
	int n = 0;

	check_int("fp_vlans__walk", 0,
		  fp_vlans__walk(m, ifindex, count_one, &n));
	return n;
}

/* Every counter of fp_vlanstat slot `slot`, summed over the CPUs. */
static __u64 vstat_sum(const struct fp_maps *m, __u32 slot)
{
	struct fp_vlanstat *v = calloc(ncpus, sizeof(*v));
	__u64 sum = 0;

	assert_non_null(v);
	check_int("fp_vlanstat lookup", 0,
		  bpf_map_lookup_elem(m->vlanstat, &slot, v) ? -errno : 0);
	for (int c = 0; c < ncpus; c++)
		sum += v[c].fast.packets + v[c].fast.bytes +
		       v[c].gateway.packets + v[c].gateway.bytes +
		       v[c].other.packets + v[c].other.bytes;
	free(v);
	return sum;
}

/* A slot that has counted: 1 in every counter of every CPU. */
static void vstat_dirty(const struct fp_maps *m, __u32 slot)
{
	struct fp_vlanstat *v = calloc(ncpus, sizeof(*v));

	assert_non_null(v);
	for (int c = 0; c < ncpus; c++)
		v[c] = (struct fp_vlanstat){ { 1, 1 }, { 1, 1 }, { 1, 1 } };
	check_int("fp_vlanstat update", 0,
		  bpf_map_update_elem(m->vlanstat, &slot, v, BPF_ANY) ? -errno :
									0);
	free(v);
}

/* Entry vid of fp_vids table `table`, read as the program reads it. */
static __u16 vid_entry(const struct fp_maps *m, __u32 table, __u16 vid)
{
	__u32 key = table * FP_VID_TABLE_WORDS + vid / 4;
	__u64 w = 0;

	check_int("fp_vids lookup", 0,
		  bpf_map_lookup_elem(m->vids, &key, &w) ? -errno : 0);
	return (__u16)(w >> (16 * (vid % 4)));
}

/* The entry the program reads for (outer, inner) on trunk number t. */
static __u16 prog_entry(const struct fp_maps *m, __u32 t, __u16 outer,
			__u16 inner)
{
	__u32 table = outer ? vid_entry(m, FP_VIDS_QINQ(t), outer) :
			      FP_VIDS_DOT1Q(t);

	return vid_entry(m, table, inner);
}

/*
 * The record the program finds for tags (outer, inner) on trunk uplink
 * ifindex, as bpf/fastpath.bpf.c's handle_tagged finds it; false: none.
 */
static bool prog_rec(const struct fp_maps *m, __u32 ifindex, __u16 outer,
		     __u16 inner, struct fp_vlan *v, __u32 *place)
{
	__u16 e = prog_entry(m, trunk_nr(m, ifindex), outer, inner);
	__u32 key = (__u32)e - 1;

	if (!e)
		return false;
	if (place)
		*place = key;
	check_int("fp_vlanv lookup", 0,
		  bpf_map_lookup_elem(m->vlanv, &key, v) ? -errno : 0);
	return true;
}

/* Trunk while it has a record, in the registry and the program's slot. */
static void test_trunk_flag(void **state)
{
	struct fp_maps *m = *state;
	const __u32 spoof = FP_UPLINK_F_ALLOW_SPOOFED;
	struct fp_uplink cir = { .gw_ifindex = 12 };
	struct fp_vlan old = { 0 };
	bool existed = true;

	put_uplink(m, 7, mac0, spoof, 0);
	check_int("uplink flags", spoof, reg_flags(m, 7));
	check_int("slot flags", FP_UPLINK_F_ON | spoof, slot_flags(m, 7));

	check_int("first record", 0,
		  fp_vlans__put(m, 7, 0, 100, &cir, &old, &existed));
	check_true("new record", !existed);
	check_int("uplink flags, trunk", spoof | FP_UPLINK_F_TRUNK,
		  reg_flags(m, 7));
	check_int("slot flags, trunk",
		  FP_UPLINK_F_ON | FP_UPLINK_F_TRUNK | spoof, slot_flags(m, 7));
	check_int("second record", 0, put_rec(m, 7, 300, 400, 0, 0, 0));
	cir.gw_ifindex = 13;
	check_int("first record again", 0,
		  fp_vlans__put(m, 7, 0, 100, &cir, &old, &existed));
	check_true("replaced", existed);
	check_int("old gateway port", 12, old.up.gw_ifindex);

	/* up's own TRUNK flag is ignored: the records decide. */
	put_uplink(m, 7, mac0, spoof, 0);
	check_int("put without the flag: still a trunk",
		  spoof | FP_UPLINK_F_TRUNK, reg_flags(m, 7));
	put_uplink(m, 8, mac0, FP_UPLINK_F_TRUNK | FP_UPLINK_F_ON, 0);
	check_int("put with the flag, no record: no trunk", 0, reg_flags(m, 8));
	check_int("its slot", FP_UPLINK_F_ON, slot_flags(m, 8));

	check_int("del first", 0, fp_vlans__del(m, 7, 0, 100));
	check_int("one left: still a trunk", spoof | FP_UPLINK_F_TRUNK,
		  reg_flags(m, 7));
	check_int("del last", 0, fp_vlans__del(m, 7, 300, 400));
	check_int("none left: no trunk", spoof, reg_flags(m, 7));
	check_int("none left: the slot", FP_UPLINK_F_ON | spoof,
		  slot_flags(m, 7));
	check_int("del again", -ENOENT, fp_vlans__del(m, 7, 300, 400));
	check_int("records", 0, count_recs(m, 0));
}

/* Above FP_DEV_SLOTS the program reads the registry: the flag is there. */
static void test_trunk_flag_big_ifindex(void **state)
{
	struct fp_maps *m = *state;

	put_uplink(m, BIG_INDEX, mac0, 0, 0);
	check_int("record", 0, put_rec(m, BIG_INDEX, 0, 5, 0, 0, 0));
	check_int("trunk", FP_UPLINK_F_TRUNK, reg_flags(m, BIG_INDEX));
	check_int("del", 0, fp_vlans__del(m, BIG_INDEX, 0, 5));
	check_int("no trunk", 0, reg_flags(m, BIG_INDEX));
}

/* A record: the circuit's own fields, the uplink's MAC and flags. */
static void test_record_inherits(void **state)
{
	struct fp_maps *m = *state;
	struct fp_uplink cir = { .gw_ifindex = 12,
				 .flags = FP_UPLINK_F_ON | FP_UPLINK_F_TRUNK,
				 .circuit = 5,
				 .xallow = 0x12 };
	struct fp_vlan v, w;
	__u32 stat;

	memcpy(cir.mac, mac2, 6);
	put_uplink(m, 7, mac0, FP_UPLINK_F_ALLOW_SPOOFED, 11);
	put_uplink(m, 8, mac1, 0, 0);
	check_int("record of 7", 0,
		  fp_vlans__put(m, 7, 0, 100, &cir, NULL, NULL));
	check_int("record of 8", 0, put_rec(m, 8, 0, 100, 0, 2, 0));
	check_true("7's record", get_rec(m, 7, 0, 100, &v));
	check_mem("its MAC: the uplink's", mac0, v.up.mac, 6);
	check_int("its flags: the uplink's", FP_UPLINK_F_ALLOW_SPOOFED,
		  v.up.flags);
	check_int("its gateway port: the circuit's", 12, v.up.gw_ifindex);
	check_int("its circuit", 5, v.up.circuit);
	check_int("its xallow", 0x12, v.up.xallow);
	stat = v.stat;

	/* The uplink changes: its records follow, the other's do not. */
	put_uplink(m, 7, mac2, 0, 11);
	check_true("7's record", get_rec(m, 7, 0, 100, &v));
	check_mem("new MAC", mac2, v.up.mac, 6);
	check_int("new flags", 0, v.up.flags);
	check_int("gateway port kept", 12, v.up.gw_ifindex);
	check_int("circuit kept", 5, v.up.circuit);
	check_int("xallow kept", 0x12, v.up.xallow);
	check_int("counter slot kept", stat, v.stat);
	check_true("8's record", get_rec(m, 8, 0, 100, &w));
	check_mem("8's MAC", mac1, w.up.mac, 6);
	check_int("8's circuit", 2, w.up.circuit);
	check_int("7 still a trunk", FP_UPLINK_F_TRUNK, reg_flags(m, 7));

	put_uplink(m, 7, mac2, FP_UPLINK_F_ALLOW_SPOOFED, 11);
	check_true("7's record", get_rec(m, 7, 0, 100, &v));
	check_int("anti-spoofing off again", FP_UPLINK_F_ALLOW_SPOOFED,
		  v.up.flags);
}

/* An uplink's records go with it; another's stay. */
static void test_uplink_del_takes_records(void **state)
{
	struct fp_maps *m = *state;

	put_uplink(m, 7, mac0, 0, 0);
	put_uplink(m, 8, mac1, 0, 0);
	check_int("7: 100", 0, put_rec(m, 7, 0, 100, 0, 0, 0));
	check_int("7: 300/400", 0, put_rec(m, 7, 300, 400, 0, 0, 0));
	check_int("7: 1/1", 0, put_rec(m, 7, 1, 1, 0, 0, 0));
	check_int("8: 100", 0, put_rec(m, 8, 0, 100, 0, 0, 0));
	check_int("records of 7", 3, count_recs(m, 7));

	check_int("fp_uplinks__del", 0, fp_uplinks__del(m, 7));
	check_int("records of 7", 0, count_recs(m, 7));
	check_int("records of 8", 1, count_recs(m, 8));
	check_int("records", 1, count_recs(m, 0));
	check_int("uplink gone", -1, reg_flags(m, 7));
	check_int("slot cleared", 0, slot_flags(m, 7));
	check_int("fp_uplinks__del again", -ENOENT, fp_uplinks__del(m, 7));

	/* Back again: no record, no trunk. */
	put_uplink(m, 7, mac0, 0, 0);
	check_int("no trunk", 0, reg_flags(m, 7));
}

/* Each record a slot of its own, from zero; a freed slot serves again. */
static void test_stat_slots(void **state)
{
	struct fp_maps *m = *state;
	struct fp_vlan a, b, c, d;
	bool existed;

	put_uplink(m, 7, mac0, 0, 0);
	check_int("A", 0, put_rec(m, 7, 0, 100, 0, 0, 0));
	check_true("A", get_rec(m, 7, 0, 100, &a));
	check_true("A's slot in range", a.stat < FP_MAX_VLANS);
	check_int("A counts from zero", 0, vstat_sum(m, a.stat));
	vstat_dirty(m, a.stat);

	check_int("B", 0, put_rec(m, 7, 0, 200, 0, 0, 0));
	check_true("B", get_rec(m, 7, 0, 200, &b));
	check_true("B's slot is not A's", b.stat != a.stat);
	check_int("B counts from zero", 0, vstat_sum(m, b.stat));
	vstat_dirty(m, b.stat);

	/* Replaced, not new: same slot, the counts stay. */
	check_int("A again", 0,
		  fp_vlans__put(m, 7, 0, 100,
				&(struct fp_uplink){ .gw_ifindex = 3 }, NULL,
				&existed));
	check_true("A existed", existed);
	check_true("A", get_rec(m, 7, 0, 100, &c));
	check_int("A keeps its slot", a.stat, c.stat);
	check_true("A keeps its counts", vstat_sum(m, a.stat) != 0);

	/* A's slot, freed, serves C, and from zero again. */
	check_int("del A", 0, fp_vlans__del(m, 7, 0, 100));
	check_int("C", 0, put_rec(m, 7, 300, 400, 0, 0, 0));
	check_true("C", get_rec(m, 7, 300, 400, &c));
	check_int("C takes A's slot", a.stat, c.stat);
	check_int("C counts from zero", 0, vstat_sum(m, c.stat));
	check_true("B's counts untouched", vstat_sum(m, b.stat) != 0);
	check_int("D", 0, put_rec(m, 7, 300, 500, 0, 0, 0));
	check_true("D", get_rec(m, 7, 300, 500, &d));
	check_true("D's slot is its own", d.stat != b.stat && d.stat != c.stat);
}

static void test_refusals(void **state)
{
	struct fp_maps *m = *state;
	static const struct {
		__u16 outer, inner;
		bool valid;
	} vids[] = {
		{ 0, 1, true },	      { 0, 4094, true },     { 1, 1, true },
		{ 4094, 4094, true }, { 0, 0, false },	     { 0, 4095, false },
		{ 0, 65535, false },  { 1, 0, false },	     { 4095, 1, false },
		{ 65535, 1, false },  { 4095, 4095, false },
	};
	char what[64];

	/* No uplink: nothing written, nothing made a trunk. */
	check_int("not an uplink", -ENOENT, put_rec(m, 9, 0, 100, 0, 0, 0));
	check_int("records", 0, count_recs(m, 0));
	check_int("still no uplink", -1, reg_flags(m, 9));

	put_uplink(m, 7, mac0, 0, 0);
	for (size_t i = 0; i < sizeof(vids) / sizeof(vids[0]); i++) {
		snprintf(what, sizeof(what), "fp_vlan__valid(%u, %u)",
			 vids[i].outer, vids[i].inner);
		check_int(what, vids[i].valid,
			  fp_vlan__valid(vids[i].outer, vids[i].inner));
		if (vids[i].valid)
			continue;
		snprintf(what, sizeof(what), "fp_vlans__put(%u, %u)",
			 vids[i].outer, vids[i].inner);
		check_int(what, -EINVAL,
			  put_rec(m, 7, vids[i].outer, vids[i].inner, 0, 0, 0));
	}
	check_int("refused: no record", 0, count_recs(m, 0));
	check_int("refused: no trunk", 0, reg_flags(m, 7));
	check_int("no such record", -ENOENT, fp_vlans__del(m, 7, 5, 5));
	check_int("the ends of the range", 0,
		  put_rec(m, 7, 4094, 4094, 0, 0, 0));
	check_int("no such record beside one", -ENOENT,
		  fp_vlans__del(m, 7, 0, 4094));
	check_int("still a trunk", FP_UPLINK_F_TRUNK, reg_flags(m, 7));
}

/* fp_vlans full (SMALL entries): -ENOSPC, nothing half-written. */
static void test_full(void **state)
{
	struct fp_maps *m = *state;
	struct fp_vlan before, after;
	bool existed;

	put_uplink(m, 7, mac0, 0, 0);
	put_uplink(m, 8, mac1, 0, 0);
	for (__u16 vid = 1; vid <= SMALL; vid++)
		check_int("fill", 0, put_rec(m, 7, 0, vid, 0, 0, 0));
	check_int("one more", -ENOSPC, put_rec(m, 7, 0, SMALL + 1, 0, 0, 0));
	check_int("records", SMALL, count_recs(m, 0));
	check_true("not written", !get_rec(m, 7, 0, SMALL + 1, NULL));
	check_int("another uplink's first", -ENOSPC,
		  put_rec(m, 8, 0, 1, 0, 0, 0));
	check_int("it is no trunk", 0, reg_flags(m, 8));
	check_int("its slot neither", FP_UPLINK_F_ON, slot_flags(m, 8));

	/* Replacing one needs no room. */
	check_true("record 2", get_rec(m, 7, 0, 2, &before));
	check_int("replace when full", 0,
		  fp_vlans__put(m, 7, 0, 2,
				&(struct fp_uplink){ .gw_ifindex = 4 }, NULL,
				&existed));
	check_true("existed", existed);
	check_true("record 2", get_rec(m, 7, 0, 2, &after));
	check_int("replaced", 4, after.up.gw_ifindex);
	check_int("same slot", before.stat, after.stat);

	check_int("room made", 0, fp_vlans__del(m, 7, 0, 1));
	check_int("now it fits", 0, put_rec(m, 8, 0, 1, 0, 0, 0));
	check_int("a trunk now", FP_UPLINK_F_TRUNK, reg_flags(m, 8));
}

/* A map of the same shape that the syscall may read but not write. */
static int read_only_upv(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_RDONLY);
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, sizeof(__u32),
				sizeof(struct fp_uplink), FP_DEV_SLOTS, &o);

	assert_true(fd >= 0);
	return fd;
}

/* The trunk flag refused: the record it came with is taken back. */
static void test_put_rolls_back(void **state)
{
	struct fp_maps *m = *state;
	int upv = m->upv;

	put_uplink(m, 7, mac0, 0, 0);
	m->upv = read_only_upv();
	check_int("slot refused", -EPERM, put_rec(m, 7, 0, 100, 0, 0, 0));
	close(m->upv);
	m->upv = upv;
	check_true("record taken back", !get_rec(m, 7, 0, 100, NULL));
	check_int("registry as it was", 0, reg_flags(m, 7));
	check_int("slot as it was", FP_UPLINK_F_ON, slot_flags(m, 7));
}

static int stop_at_second(const struct fp_vlan_key *k, const struct fp_vlan *v,
			  void *ctx)
{
	(void)k;
	(void)v;
	return ++*(int *)ctx == 2 ? 42 : 0;
}

static void test_walk(void **state)
{
	struct fp_maps *m = *state;
	int n = 0;

	put_uplink(m, 7, mac0, 0, 0);
	put_uplink(m, 8, mac1, 0, 0);
	check_int("7: 1", 0, put_rec(m, 7, 0, 1, 0, 0, 0));
	check_int("7: 2", 0, put_rec(m, 7, 0, 2, 0, 0, 0));
	check_int("7: 3", 0, put_rec(m, 7, 0, 3, 0, 0, 0));
	check_int("8: 1", 0, put_rec(m, 8, 0, 1, 0, 0, 0));
	check_int("walk of 7", 3, count_recs(m, 7));
	check_int("walk of 8", 1, count_recs(m, 8));
	check_int("walk of 9", 0, count_recs(m, 9));
	check_int("walk of all", 4, count_recs(m, 0));
	check_int("stops at fn's first non-zero", 42,
		  fp_vlans__walk(m, 0, stop_at_second, &n));
	check_int("after two calls", 2, n);
}

/* The interface facts the commands look up for fp_port__add. */
static struct fp_ifinfo info_of(const char *name)
{
	struct fp_ifinfo info;

	assert_int_equal(fp_ifinfo__by_name(name, &info), 0);
	return info;
}

/* table.c's fp_vlan__set: the command's checks, then fp_vlans__put. */
static void test_vlan_set(void **state)
{
	struct fp_maps *m = *state;
	struct fp_ifinfo vm = info_of("vm0"), other = info_of("vm1");
	struct fp_vlan old, v;
	bool existed;

	check_int("not an uplink", -ENODEV,
		  fp_vlan__set(m, 7, 0, 100, 0, &old, &existed));
	put_uplink(m, 7, mac0, 0, 0);
	check_int("VID 0", -EINVAL,
		  fp_vlan__set(m, 7, 0, 0, 0, &old, &existed));
	check_int("gateway port not registered", -ENOENT,
		  fp_vlan__set(m, 7, 0, 100, vm0, &old, &existed));
	check_int("port without a peer MAC", 0, fp_port__add(m, &other, NULL));
	check_int("gateway port without a peer MAC", -EINVAL,
		  fp_vlan__set(m, 7, 0, 100, vm1, &old, &existed));
	check_int("port", 0, fp_port__add(m, &vm, mac0));
	put_uplink(m, vm0, mac1, 0, 0);
	check_int("gateway port is the uplink", -ELOOP,
		  fp_vlan__set(m, vm0, 0, 100, vm0, &old, &existed));
	check_int("refused: no record", 0, count_recs(m, 0));
	check_int("refused: no trunk", 0, reg_flags(m, 7));

	check_int("set", 0, fp_vlan__set(m, 7, 0, 100, vm0, &old, &existed));
	check_true("new", !existed);
	check_true("record", get_rec(m, 7, 0, 100, &v));
	check_int("gateway port", vm0, v.up.gw_ifindex);
	check_int("outside the model", 0, v.up.circuit);
	check_int("default xallow", FP_XALLOW_DEFAULT, v.up.xallow);

	/* `apply` gave it a circuit: set again keeps it, changes the port. */
	check_int("apply's", 0, put_rec(m, 7, 0, 100, vm0, 4, 0x1f));
	check_int("set again", 0,
		  fp_vlan__set(m, 7, 0, 100, 0, &old, &existed));
	check_true("existed", existed);
	check_int("old port", vm0, old.up.gw_ifindex);
	check_true("record", get_rec(m, 7, 0, 100, &v));
	check_int("no gateway port", 0, v.up.gw_ifindex);
	check_int("circuit kept", 4, v.up.circuit);
	check_int("xallow kept", 0x1f, v.up.xallow);
}

/*
 * What the program reads (fp_vids, fp_vlanv) follows the registry: each
 * circuit found by its tags, as written; a change written to the record's
 * other place; nothing found for tags no circuit has, or once it is gone.
 */
static void test_program_view(void **state)
{
	struct fp_maps *m = *state;
	struct fp_vlan v, reg;
	__u32 place, t7, t8;

	put_uplink(m, 7, mac0, FP_UPLINK_F_ALLOW_SPOOFED, 0);
	check_int("100", 0, put_rec(m, 7, 0, 100, 12, 3, 0x5));
	check_int("300/400", 0, put_rec(m, 7, 300, 400, 0, 0, 0));
	check_int("300/500", 0, put_rec(m, 7, 300, 500, 0, 0, 0));
	check_int("301/400", 0, put_rec(m, 7, 301, 400, 0, 0, 0));
	t7 = trunk_nr(m, 7);
	check_true("trunk number in range", t7 < FP_MAX_TRUNKS);

	check_true("100 found", prog_rec(m, 7, 0, 100, &v, &place));
	check_true("100 in the registry", get_rec(m, 7, 0, 100, &reg));
	check_mem("100: the registry's record", &reg, &v, sizeof(v));
	check_int("100: its slot's first place", 2 * reg.stat, place);
	check_int("100: gateway port", 12, v.up.gw_ifindex);
	check_int("100: circuit", 3, v.up.circuit);
	check_mem("100: the uplink's MAC", mac0, v.up.mac, 6);
	check_int("100: the uplink's flags", FP_UPLINK_F_ALLOW_SPOOFED,
		  v.up.flags);
	check_true("300/400 found", prog_rec(m, 7, 300, 400, &v, NULL));
	check_true("300/400 in the registry", get_rec(m, 7, 300, 400, &reg));
	check_int("300/400: its slot", reg.stat, v.stat);
	check_true("300/500 found", prog_rec(m, 7, 300, 500, &v, NULL));
	check_true("301/400 found", prog_rec(m, 7, 301, 400, &v, NULL));
	check_true("301/400: not 300/400's record", v.stat != reg.stat);
	check_true("one table for S-tag 300",
		   vid_entry(m, FP_VIDS_QINQ(t7), 300) >= FP_VIDS_INNER);
	check_true("another for 301",
		   vid_entry(m, FP_VIDS_QINQ(t7), 301) !=
			   vid_entry(m, FP_VIDS_QINQ(t7), 300));

	check_int("101: none", 0, prog_entry(m, t7, 0, 101));
	check_int("400 alone: none", 0, prog_entry(m, t7, 0, 400));
	check_int("300 alone: none", 0, prog_entry(m, t7, 0, 300));
	check_int("100/100: none", 0, prog_entry(m, t7, 100, 100));
	check_int("300/401: none", 0, prog_entry(m, t7, 300, 401));
	check_int("302/400: none", 0, prog_entry(m, t7, 302, 400));

	/* Replaced: written to the other place, then back. */
	check_int("100 again", 0, put_rec(m, 7, 0, 100, 13, 3, 0x5));
	check_true("100 found", prog_rec(m, 7, 0, 100, &v, &place));
	check_int("100: the other place", 2 * v.stat + 1, place);
	check_int("100: new gateway port", 13, v.up.gw_ifindex);
	check_int("100 once more", 0, put_rec(m, 7, 0, 100, 14, 3, 0x5));
	check_true("100 found", prog_rec(m, 7, 0, 100, &v, &place));
	check_int("100: the first place again", 2 * v.stat, place);
	check_int("100: newest gateway port", 14, v.up.gw_ifindex);

	/* The uplink changes: what the program reads follows. */
	put_uplink(m, 7, mac2, 0, 0);
	check_int("same trunk number", t7, trunk_nr(m, 7));
	check_true("300/400 found", prog_rec(m, 7, 300, 400, &v, NULL));
	check_mem("300/400: the new MAC", mac2, v.up.mac, 6);
	check_int("300/400: the new flags", 0, v.up.flags);

	/* A second trunk: a number and tables of its own. */
	put_uplink(m, 8, mac1, 0, 0);
	check_int("8: 100", 0, put_rec(m, 8, 0, 100, 21, 0, 0));
	t8 = trunk_nr(m, 8);
	check_true("8's number is not 7's", t8 != t7 && t8 < FP_MAX_TRUNKS);
	check_true("8: 100 found", prog_rec(m, 8, 0, 100, &v, NULL));
	check_int("8: 100's own record", 21, v.up.gw_ifindex);
	check_int("8: no 300/400", 0, prog_entry(m, t8, 300, 400));
	check_true("7: 100 found", prog_rec(m, 7, 0, 100, &v, NULL));
	check_int("7: 100's own record", 14, v.up.gw_ifindex);

	/* Gone: not found; an S-tag with no circuit left names no table. */
	check_int("del 300/400", 0, fp_vlans__del(m, 7, 300, 400));
	check_int("300/400: none", 0, prog_entry(m, t7, 300, 400));
	check_true("300/500 still found", prog_rec(m, 7, 300, 500, &v, NULL));
	check_int("del 300/500", 0, fp_vlans__del(m, 7, 300, 500));
	check_int("S-tag 300 names no table", 0,
		  vid_entry(m, FP_VIDS_QINQ(t7), 300));
	check_true("301/400 still found", prog_rec(m, 7, 301, 400, &v, NULL));
	check_int("del 100", 0, fp_vlans__del(m, 7, 0, 100));
	check_int("100: none", 0, prog_entry(m, t7, 0, 100));
	check_int("del 301/400", 0, fp_vlans__del(m, 7, 301, 400));
	check_int("7: no trunk", 0, reg_flags(m, 7));
	check_true("8: 100 untouched", prog_rec(m, 8, 0, 100, &v, NULL));
}

/*
 * `unload` takes the uplink and leaves its circuits for the next load:
 * the trunk number it had may serve another, whose tables are zeroed
 * first; the next load gives it a number and tables anew.
 */
static void test_unload_reload(void **state)
{
	struct fp_maps *m = *state;
	struct fp_vlan v;
	__u32 t7, t8;

	put_uplink(m, 7, mac0, 0, 0);
	check_int("7: 100", 0, put_rec(m, 7, 0, 100, 12, 0, 0));
	check_int("7: 300/400", 0, put_rec(m, 7, 300, 400, 13, 0, 0));
	t7 = trunk_nr(m, 7);
	check_int("unload 7", 0, fp_uplinks__del_fds(m->uplinks, m->upv, 7));
	check_int("its circuits stay", 2, count_recs(m, 7));

	put_uplink(m, 8, mac1, 0, 0);
	check_int("8: 200", 0, put_rec(m, 8, 0, 200, 21, 0, 0));
	t8 = trunk_nr(m, 8);
	check_int("8 takes the free number, 7's", t7, t8);
	check_int("7's 100 is not 8's", 0, prog_entry(m, t8, 0, 100));
	check_int("7's 300/400 is not 8's", 0, prog_entry(m, t8, 300, 400));
	check_true("8: 200 found", prog_rec(m, 8, 0, 200, &v, NULL));

	put_uplink(m, 7, mac2, 0, 0);
	check_int("7 a trunk again", FP_UPLINK_F_TRUNK, reg_flags(m, 7));
	t7 = trunk_nr(m, 7);
	check_true("under a number of its own", t7 != t8);
	check_true("7: 100 found", prog_rec(m, 7, 0, 100, &v, NULL));
	check_int("7: 100's gateway port", 12, v.up.gw_ifindex);
	check_mem("7: 100 with the uplink's new MAC", mac2, v.up.mac, 6);
	check_true("7: 300/400 found", prog_rec(m, 7, 300, 400, &v, NULL));
	check_int("7: 300/400's gateway port", 13, v.up.gw_ifindex);
	check_true("registry: the new MAC too", get_rec(m, 7, 0, 100, &v));
	check_mem("registry's MAC", mac2, v.up.mac, 6);
	check_true("8: 200 untouched", prog_rec(m, 8, 0, 200, &v, NULL));
	check_int("8: 200's gateway port", 21, v.up.gw_ifindex);
}

/* Trunk numbers and S-tag tables run out: -ENOSPC, nothing written. */
static void test_trunks_full(void **state)
{
	struct fp_maps *m = *state;
	__u32 last = 100 + FP_MAX_TRUNKS;
	struct fp_vlan v;
	__u16 s;

	for (__u32 i = 100; i < last; i++) {
		put_uplink(m, i, mac0, 0, 0);
		check_int("a trunk", 0, put_rec(m, i, 0, 1, 0, 0, 0));
	}
	put_uplink(m, last, mac0, 0, 0);
	check_int("one trunk too many", -ENOSPC,
		  put_rec(m, last, 0, 1, 0, 0, 0));
	check_int("no record", 0, count_recs(m, last));
	check_int("no trunk", 0, reg_flags(m, last));
	check_int("a trunk goes", 0, fp_vlans__del(m, 100, 0, 1));
	check_int("its number serves", 0, put_rec(m, last, 0, 1, 0, 0, 0));

	for (s = 1; s <= FP_MAX_STAGS; s++)
		if (put_rec(m, last, s, 1, 0, 0, 0))
			break;
	check_int("an S-tag per table", FP_MAX_STAGS + 1, s);
	check_int("one S-tag too many", -ENOSPC,
		  put_rec(m, last, s, 1, 0, 0, 0));
	check_true("not written", !get_rec(m, last, s, 1, NULL));
	check_int("a C-tag under a known S-tag needs none", 0,
		  put_rec(m, last, 1, 2, 0, 0, 0));
	check_true("found", prog_rec(m, last, 1, 2, &v, NULL));
	check_int("an S-tag goes", 0, fp_vlans__del(m, last, 5, 1));
	check_int("its table serves", 0, put_rec(m, last, s, 1, 0, 0, 0));
	check_true("found", prog_rec(m, last, s, 1, &v, NULL));
	check_int("the old S-tag: none", 0,
		  prog_entry(m, trunk_nr(m, last), 5, 1));
}

struct gw_seen {
	__u32 gw[8];
	int n, stop_at; /* return 1 at the stop_at-th call (0: never) */
};

static int note_gw(__u32 gw_ifindex, void *ctx)
{
	struct gw_seen *g = ctx;

	if (g->n < 8)
		g->gw[g->n] = gw_ifindex;
	return ++g->n == g->stop_at;
}

static bool seen_gw(const struct gw_seen *g, __u32 gw)
{
	for (int i = 0; i < g->n && i < 8; i++)
		if (g->gw[i] == gw)
			return true;
	return false;
}

/*
 * uplink.c's one answer to "whose gateway port": an uplink's and a tagged
 * circuit's, so that `port del` (table.c) refuses both, as sync skips them.
 */
static void test_gateways(void **state)
{
	struct fp_maps *m = *state;
	struct fp_ifinfo vm = info_of("vm0"), other = info_of("vm1");
	struct gw_seen g = { 0 };

	check_int("port vm0", 0, fp_port__add(m, &vm, mac0));
	check_int("port vm1", 0, fp_port__add(m, &other, mac1));
	put_uplink(m, 7, mac0, 0, 0);
	put_uplink(m, 8, mac1, 0, vm1);
	check_int("walk, no tagged circuit", 0,
		  fp_uplinks__walk_gateways(m, note_gw, &g));
	check_int("the uplink's gateway port alone", 1, g.n);
	check_true("vm1 (uplink 8's)", seen_gw(&g, vm1));
	check_int("vm0 is no gateway port yet", 0, fp_port__del(m, vm0));
	check_int("port vm0 again", 0, fp_port__add(m, &vm, mac0));

	check_int("circuit without a gateway port", 0,
		  put_rec(m, 7, 0, 100, 0, 0, 0));
	check_int("circuit into vm0", 0, put_rec(m, 7, 300, 400, vm0, 0, 0));
	g = (struct gw_seen){ 0 };
	check_int("walk", 0, fp_uplinks__walk_gateways(m, note_gw, &g));
	check_int("one per gateway port named", 2, g.n);
	check_true("vm0 (the circuit's)", seen_gw(&g, vm0));
	check_true("vm1 (the uplink's)", seen_gw(&g, vm1));
	g = (struct gw_seen){ .stop_at = 1 };
	check_int("stops at the first non-zero", 1,
		  fp_uplinks__walk_gateways(m, note_gw, &g));
	check_int("after one call", 1, g.n);

	check_int("port del: the circuit's gateway port", -EADDRINUSE,
		  fp_port__del(m, vm0));
	check_int("port del: the uplink's gateway port", -EADDRINUSE,
		  fp_port__del(m, vm1));
	check_int("the circuit goes", 0, fp_vlans__del(m, 7, 300, 400));
	check_int("port del once no circuit names it", 0, fp_port__del(m, vm0));
}

static int group_setup(void **state)
{
	(void)state;
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0 || fp_test__netns() ||
	    fp_test__sh("ip link add vm0 type veth peer name vmp0 && "
			"ip link add vm1 type veth peer name vmp1"))
		return -1;
	vm0 = if_nametoindex("vm0");
	vm1 = if_nametoindex("vm1");
	return vm0 && vm1 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_trunk_flag, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_trunk_flag_big_ifindex,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_inherits, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_uplink_del_takes_records,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_stat_slots, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full, setup_small,
						teardown),
		cmocka_unit_test_setup_teardown(test_put_rolls_back, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vlan_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gateways, setup, teardown),
		cmocka_unit_test_setup_teardown(test_program_view, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unload_reload, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_trunks_full, setup,
						teardown),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	fp_log__set_level(FP_LOG_WARN);
	return cmocka_run_group_tests_name("vlan", tests, group_setup, NULL);
}
