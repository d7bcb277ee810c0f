/* SPDX-License-Identifier: GPL-2.0 */
/* What the tests, the fuzzer and the benchmark share to build their labs. */
#ifndef FASTPATH_TEST_HARNESS_H
#define FASTPATH_TEST_HARNESS_H

#include <linux/types.h>

struct fastpath;
struct fp_maps;

/* Runs a shell command (ip link add …); 0, or -1 after saying which. */
int fp_test__sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Moves the process into a network namespace of its own, loopback up: the
 * devices made in it vanish with the process. 0, or -1 after saying why.
 */
int fp_test__netns(void);

/* A veth pair name/peer, both up, name with mac; its ifindex, or 0. */
__u32 fp_test__veth(const char *name, const __u8 *mac, const char *peer);

/*
 * The real object with private (unpinned) maps, loaded, the anti-spoofing
 * pre-filter initialised as fp_maps__open() does, so route maps must be
 * written through loader/fib.c; NULL after saying.
 */
struct fastpath *fp_test__load(void);

/*
 * Private maps only (no program), the route maps (LPM and host hash) and
 * the IPv4 exclusions shrunk to route_cap / excl_cap entries when not 0;
 * the pre-filter initialised too.
 */
int fp_test__maps(struct fp_maps *m, __u32 route_cap, __u32 excl_cap);

/* Deletes every element of a hash or LPM map (fd). */
void fp_test__empty(int fd);

/* Takes a port out of the devmaps, as the kernel does when it goes. */
int fp_test__untx(const struct fp_maps *m, __u32 ifindex);

struct json_object;

/* What every benchmark report starts with: tier, kernel, CPUs, quick, rounds. */
void fp_test__bench_head(struct json_object *root, int tier, int quick,
			 int rounds);

#endif
