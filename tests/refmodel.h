/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A reference model of the XDP verdict, written from DESIGN.md's "Packet
 * verdicts" table and the README's extension of it, and for trunk
 * uplinks from maps/fastpath.h's description of fp_vlans, not from bpf/.
 * Plain C over plain tables: the differential fuzzer runs it next to the
 * real program and compares verdict, reason, output bytes and target.
 * Both programs: fastpath_xdp on an uplink (ref_model__run) and the
 * return path's fastpath_port on a VM port (ref_model__run_port), over
 * the same tables.
 */
#ifndef FASTPATH_TESTS_REFMODEL_H
#define FASTPATH_TESTS_REFMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "fastpath.h"

/*
 * A route (fp_routes4/6) or, with ifindex and dmac unused, an exclusion.
 * A route with onprem is the return path's on-prem destination (`onprem
 * add`): ifindex the uplink it leaves by, dmac the next hop's MAC.
 */
struct ref_prefix {
	int family; /* AF_INET or AF_INET6 */
	__u8 len; /* bits */
	__u8 addr[16]; /* network byte order, host bits clear */
	__u32 ifindex; /* routes: the VM port, 0 for a portless shadow */
	__u8 dmac[6]; /* routes: the VM's MAC, zero when unknown */
	bool onprem; /* routes: an on-prem destination, not a VM's */
};

/*
 * A device in fp_ports (registered) and maybe in the devmap fp_tx: a VM
 * port (flags FP_PORT_F_RETURN when the return path is on for it), a
 * gateway port, or an uplink's egress record (FP_PORT_F_UPLINK).
 */
struct ref_port {
	__u32 ifindex;
	__u8 mac[6];
	__u8 peer_mac[6];
	__u16 mtu;
	bool in_devmap;
	__u32 flags; /* FP_PORT_F_RETURN, FP_PORT_F_UPLINK */
};

struct ref_tables {
	const struct ref_prefix *routes;
	size_t nroutes;
	const struct ref_prefix *excl;
	size_t nexcl;
	const struct ref_port *ports;
	size_t nports;
};

/*
 * A tagged circuit of a trunk uplink (fp_vlans): the frames whose tags
 * are exactly these, routed with the uplink's rules but this gateway.
 */
struct ref_vlan {
	__u16 outer; /* S-tag VID 1 .. 4094; 0: the circuit has one tag */
	__u16 inner; /* C-tag VID 1 .. 4094 (the only tag's) */
	__u32 gw_ifindex; /* the circuit's gateway port; 0: XDP_PASS */
};

/* The ingress device: its fp_uplinks entry, if it has one. */
struct ref_ingress {
	bool uplink;
	__u8 mac[6];
	__u32 flags; /* FP_UPLINK_F_ALLOW_SPOOFED (the circuits' too) */
	__u32 gw_ifindex; /* 0: the gateway verdict is XDP_PASS */
	/* Its tagged circuits: the uplink is a trunk while it has one. */
	const struct ref_vlan *vlans;
	size_t nvlans;
};

/* A tagged circuit's counters (fp_vlanstat): which one a verdict moves. */
enum ref_vclass {
	REF_VC_FAST, /* fastpath */
	REF_VC_GATEWAY, /* miss, excluded, redirect_error, conn_off,
			 * over_budget: passed or to the gateway port */
	REF_VC_OTHER, /* every other verdict */
	REF_VC_MAX,
};

struct ref_verdict {
	__u32 action; /* XDP_PASS, XDP_DROP, XDP_REDIRECT */
	__u32 reason; /* enum fp_reason */
	__u32 ifindex; /* XDP_REDIRECT: the target, else 0 */
	int out_len; /* bytes of the frame handed back */
	int vlan; /* the circuit (index into ingress vlans) the tags
		   * named, whose counters move; -1: none */
	enum ref_vclass vclass; /* with vlan >= 0: the one that moves */
};

/*
 * Judges the frame of len bytes; out (len bytes) receives the frame the
 * program must hand back, v->out_len bytes of it: rewritten for
 * XDP_REDIRECT, and without the tags it came with, else a copy.
 */
void ref_model__run(const struct ref_tables *t, const struct ref_ingress *in,
		    const __u8 *frame, int len, __u8 *out,
		    struct ref_verdict *v);

/*
 * The return path: the frame of len bytes from the VM on port ingress,
 * judged as fastpath_port does (VNets and their connections are outside
 * these tables); out and v as for ref_model__run (v->vlan is -1).
 */
void ref_model__run_port(const struct ref_tables *t, __u32 ingress,
			 const __u8 *frame, int len, __u8 *out,
			 struct ref_verdict *v);

/* Longest-prefix match by linear scan: NULL when nothing matches. */
const struct ref_prefix *ref_model__lookup(const struct ref_prefix *tab,
					   size_t n, int family,
					   const __u8 *addr);

#endif /* FASTPATH_TESTS_REFMODEL_H */
