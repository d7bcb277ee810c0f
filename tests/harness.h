/* SPDX-License-Identifier: GPL-2.0 */
/* What the tests, the fuzzer and the benchmark share to build their labs. */
#ifndef FASTPATH_TEST_HARNESS_H
#define FASTPATH_TEST_HARNESS_H

#include <linux/types.h>

#include "fastpath.h"

struct fastpath;
struct fp_maps;
struct fp_prefix;

/* Runs a shell command (ip link add …); 0, or -1 after saying which. */
int fp_test__sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Moves the process into a network namespace of its own, loopback up: the
 * devices made in it vanish with the process. 0, or -1 after saying why.
 */
int fp_test__netns(void);

/*
 * Keeps the process on the CPU it runs on: BPF_PROG_TEST_RUN runs there,
 * so per-CPU state (the return path's source cache) one run leaves is the
 * next one's. 0, or -1 after saying why.
 */
int fp_test__one_cpu(void);

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

/* The devices of a lab: veth ends whose ifindexes the maps name. */
struct fp_test_dev {
	const char *name, *peer;
	const __u8 *mac;
};

/* Makes n of them (fp_test__veth), their ifindexes into ifidx; 0 or -1. */
int fp_test__devices(const struct fp_test_dev *devs, int n, __u32 *ifidx);

/* "XDP_PASS" and the like; "XDP_?" for anything else. */
const char *fp_test__xdp_name(__u32 action);

/*
 * A per-CPU counter map indexed by enum fp_reason (fp_stats, fp_rstats),
 * summed over the CPUs into sum[FP_R_MAX]; 0 or -errno.
 */
int fp_test__counters(int fd, struct fp_counter *sum);

/*
 * Entries as the CLI writes them, through loader/fib.c, port.c and
 * onprem.c: a route (addr/len to ifindex, the VM's MAC), a port (its
 * record, BPF_ANY), an on-prem prefix out of an uplink via a next hop
 * (MAC NULL: unresolved). 0 or -1, after saying which failed.
 */
int fp_test__route(const struct fp_maps *m, const char *addr, __u32 len,
		   __u32 ifindex, const __u8 *dmac);
int fp_test__port(const struct fp_maps *m, __u32 ifindex, const char *name,
		  const __u8 *mac, const __u8 *peer, __u16 mtu, __u32 flags);
int fp_test__onprem(const struct fp_maps *m, const char *addr, __u32 len,
		    __u32 uplink, const char *name, const __u8 *mac, __u32 mtu,
		    const __u8 *nh_mac);

/*
 * VNet vnet's address space p into fp_vnets4/6 as apply's steps write it
 * (the anti-spoofing pre-filter told first, under the writers' lock), or
 * out of it (del). 0 or -errno.
 */
int fp_test__space(const struct fp_maps *m, const struct fp_prefix *p,
		   __u32 vnet, bool del);

/*
 * One BPF_PROG_TEST_RUN of an XDP program: meta_len bytes of metadata
 * (a struct fp_probe, or anything) in front of the frame, arriving on
 * ifindex. out receives the metadata and the frame as the program let
 * them go; retval and out_len (metadata included) are set. 0 or -errno.
 */
struct fp_test_run {
	int prog_fd;
	__u32 ifindex;
	const void *meta;
	int meta_len;
	__u32 repeat;
	__u32 retval; /* out */
	int out_len; /* out */
};

int fp_test__run(struct fp_test_run *r, const __u8 *frame, int len, __u8 *out,
		 int out_size);

struct json_object;

/* What every benchmark report starts with: tier, kernel, CPUs, quick, rounds. */
void fp_test__bench_head(struct json_object *root, int tier, int quick,
			 int rounds);

#endif
