/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A reference model of the XDP verdict, written from DESIGN.md's "Packet
 * verdicts" table and the README's extension of it, not from bpf/. Plain
 * C over plain tables: the differential fuzzer runs it next to the real
 * program and compares verdict, reason, output bytes and target.
 */
#ifndef FASTPATH_TESTS_REFMODEL_H
#define FASTPATH_TESTS_REFMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "fastpath.h"

/* A route (fp_routes4/6) or, with ifindex and dmac unused, an exclusion. */
struct ref_prefix {
	int family; /* AF_INET or AF_INET6 */
	__u8 len; /* bits */
	__u8 addr[16]; /* network byte order, host bits clear */
	__u32 ifindex; /* routes: the VM port, 0 for a portless shadow */
	__u8 dmac[6]; /* routes: the VM's MAC, zero when unknown */
};

/* A device in fp_ports (registered) and maybe in the devmap fp_tx. */
struct ref_port {
	__u32 ifindex;
	__u8 mac[6];
	__u8 peer_mac[6];
	__u16 mtu;
	bool in_devmap;
};

struct ref_tables {
	const struct ref_prefix *routes;
	size_t nroutes;
	const struct ref_prefix *excl;
	size_t nexcl;
	const struct ref_port *ports;
	size_t nports;
};

/* The ingress device: its fp_uplinks entry, if it has one. */
struct ref_ingress {
	bool uplink;
	__u8 mac[6];
	__u32 flags; /* FP_UPLINK_F_* */
	__u32 gw_ifindex; /* 0: the gateway verdict is XDP_PASS */
};

struct ref_verdict {
	__u32 action; /* XDP_PASS, XDP_DROP, XDP_REDIRECT */
	__u32 reason; /* enum fp_reason */
	__u32 ifindex; /* XDP_REDIRECT: the target, else 0 */
};

/*
 * Judges the frame of len bytes; out (len bytes) receives the frame the
 * program must hand back: rewritten for XDP_REDIRECT, else a copy.
 */
void ref_model__run(const struct ref_tables *t, const struct ref_ingress *in,
		    const __u8 *frame, int len, __u8 *out,
		    struct ref_verdict *v);

/* Longest-prefix match by linear scan: NULL when nothing matches. */
const struct ref_prefix *ref_model__lookup(const struct ref_prefix *tab,
					   size_t n, int family,
					   const __u8 *addr);

#endif /* FASTPATH_TESTS_REFMODEL_H */
