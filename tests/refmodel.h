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
 *
 * The ExpressRoute model (README "The ExpressRoute model", maps/fastpath.h
 * fp_route, fp_conns, fp_uplink): VNets' address spaces, connections
 * (VNet, circuit) -> FP_CONN_F_*, each circuit's fast-path IP budget and
 * exclusion-class profile, and the circuit an ingress belongs to.
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
	__u8 xclass; /* exclusions: enum fp_class */
	__u16 vnet; /* VNet address spaces: the VNet, 1 .. FP_MAX_VNETS - 1 */
};

/* A circuit's exclusion-class profile (README: `profile`). */
enum ref_profile {
	REF_PROFILE_2020, /* accelerates udr only */
	REF_PROFILE_DIRECT_2025, /* also peering and private-link */
};

/* The circuit an ingress (an uplink, a tagged circuit) belongs to. */
struct ref_circuit {
	__u8 id; /* 1 .. FP_MAX_CIRCUITS; 0: outside the model */
	enum ref_profile profile;
};

/* A connection (or a hub's, for a peered spoke): fp_conns' flags. */
struct ref_conn {
	__u16 vnet;
	__u8 circuit;
	__u32 flags; /* FP_CONN_F_*; a pair not listed has none */
};

/* An uplink's own circuit: what the return path leaves into. */
struct ref_upcircuit {
	__u32 ifindex;
	__u8 circuit; /* 0: outside the model */
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
	__u16 vnet; /* the model's VNet behind it (fp_port.vnet), 0: none */
};

/*
 * routes are in the order they arrived: a budget's places go first come,
 * first served (README), so an entry's places follow from its index.
 */
struct ref_tables {
	const struct ref_prefix *routes;
	size_t nroutes;
	const struct ref_prefix *excl;
	size_t nexcl;
	const struct ref_port *ports;
	size_t nports;
	/* The model; all empty (and budgets 0) outside it. */
	const struct ref_prefix *spaces; /* VNets' address spaces, disjoint */
	size_t nspaces;
	const struct ref_conn *conns;
	size_t nconns;
	__u32 budget[FP_MAX_CIRCUITS]; /* circuit id - 1: its IP budget */
	const struct ref_upcircuit *upcircuits;
	size_t nupcircuits;
};

/*
 * A tagged circuit of a trunk uplink (fp_vlans): the frames whose tags
 * are exactly these, routed with the uplink's rules but this gateway.
 */
struct ref_vlan {
	__u16 outer; /* S-tag VID 1 .. 4094; 0: the circuit has one tag */
	__u16 inner; /* C-tag VID 1 .. 4094 (the only tag's) */
	__u32 gw_ifindex; /* the circuit's gateway port; 0: XDP_PASS */
	struct ref_circuit circuit; /* the model's circuit it is */
};

/* The ingress device: its fp_uplinks entry, if it has one. */
struct ref_ingress {
	bool uplink;
	__u8 mac[6];
	__u32 flags; /* FP_UPLINK_F_ALLOW_SPOOFED (the circuits' too) */
	__u32 gw_ifindex; /* 0: the gateway verdict is XDP_PASS */
	struct ref_circuit circuit; /* its untagged frames' circuit */
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
	/*
	 * For the fuzzer's summary, which rules decided: an exclusion covered
	 * the destination and the circuit (its profile, the VNet's own
	 * connection) set it aside; the VNet's entry was judged by its
	 * connection on the ingress's circuit (both programs).
	 */
	bool xaccel, in_model;
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
 * judged as fastpath_port does; out and v as for ref_model__run (v->vlan
 * is -1).
 */
void ref_model__run_port(const struct ref_tables *t, __u32 ingress,
			 const __u8 *frame, int len, __u8 *out,
			 struct ref_verdict *v);

/* Longest-prefix match by linear scan: NULL when nothing matches. */
const struct ref_prefix *ref_model__lookup(const struct ref_prefix *tab,
					   size_t n, int family,
					   const __u8 *addr);

/*
 * Whether route r (an element of t->routes) holds a place in circuit's
 * budget: an entry of a VNet through a port, fast on that circuit for its
 * family, among the first the budget has room for.
 */
bool ref_model__holds_place(const struct ref_tables *t,
			    const struct ref_prefix *r, __u8 circuit);

#endif /* FASTPATH_TESTS_REFMODEL_H */
