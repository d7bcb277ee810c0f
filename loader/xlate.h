/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's forwarding state (ports, neighbours, routes) translated into
 * the fast-path entries that give the same answer. Pure: plain structs in,
 * a sorted set of entries out; no BPF, no netlink, so unit tests drive it.
 */
#ifndef FASTPATH_XLATE_H
#define FASTPATH_XLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/neighbour.h>
#include <linux/types.h>

#include "fastpath.h"
#include "parse.h"
#include "prefix.h"

/*
 * A VM port sync may redirect to, or an uplink (the return path's way
 * out). Ports that are gone are not listed.
 */
struct fp_xport {
	__u32 ifindex;
	__u8 peer_mac[6]; /* zero when unknown */
	bool up; /* IFF_UP and carrier */
	/*
	 * An uplink: a route through it via a next hop is an on-prem
	 * destination (FP_ROUTE_F_ONPREM), its neighbours no VM's.
	 */
	bool uplink;
};

struct fp_xneigh {
	int family; /* AF_INET or AF_INET6 */
	__u32 ifindex;
	__u8 addr[16]; /* network byte order; IPv4 in the first 4 bytes */
	__u8 lladdr[6];
	__u16 state; /* NUD_* */
};

struct fp_xroute {
	struct fp_prefix dst;
	__u32 table;
	__u32 priority; /* the kernel uses the lowest metric per prefix */
	__u8 type; /* RTN_* */
	__u8 nhops; /* number of nexthops; only a single one is fast */
	bool dead; /* nexthop flagged dead or linkdown */
	bool has_gw;
	int gw_family; /* may differ from dst.family (RTA_VIA): not fast */
	__u32 oif;
	__u8 gw[16];
};

/*
 * One map entry. rt.ifindex 0 is a shadow: a more specific route that does
 * not lead to a VM port, so its destination goes to the gateway even though
 * a fast-path prefix covers it.
 */
struct fp_xentry {
	struct fp_prefix prefix;
	struct fp_route rt;
};

/*
 * Entries sorted by family, prefix length, address (fp_xset__find); or,
 * once fp_xset__index() gave it an index, in any order.
 */
struct fp_xset {
	struct fp_xentry *e;
	size_t n, cap;
	__u32 *ix; /* open addressing: 1 + the entry's place, 0 free */
	size_t ixmask;
};

/* Neighbour states whose MAC the kernel itself would use. */
#define FP_NUD_USABLE \
	(NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT)

const struct fp_xentry *fp_xset__find(const struct fp_xset *s,
				      const struct fp_prefix *p);
void fp_xset__free(struct fp_xset *s);
/* Building a set by hand: add in any order, then sort (drops duplicates). */
int fp_xset__add(struct fp_xset *s, const struct fp_prefix *p,
		 const struct fp_route *rt);
void fp_xset__sort(struct fp_xset *s);
/*
 * Finding without sorting: a hash index over the entries as they are (a
 * million read from the maps come in hash order, and a sort of them
 * costs more than the rest of a warm pass). Duplicates are dropped, as
 * a sort drops them, the first kept; the others keep their order. Adding
 * or sorting drops the index. 0 or -ENOMEM.
 */
int fp_xset__index(struct fp_xset *s);
/*
 * Hints for a find of p soon, in an indexed set: first fetch its index
 * slot, then (a few finds later, the slot at hand) the entry the slot
 * names. A million finds in a row wait on memory twice each without; no
 * effect on any answer.
 */
void fp_xset__prefetch_slot(const struct fp_xset *s, const struct fp_prefix *p);
void fp_xset__prefetch_entry(const struct fp_xset *s,
			     const struct fp_prefix *p);

/*
 * The decisions the incremental state below makes, and the oracle that
 * tests it (tests/xlate_oracle.c) makes alike.
 */
/* fp_xport by ifindex, for qsort and bsearch. */
int fp_xport__cmp(const void *a, const void *b);
/* Can route r be fast at all? rank 0: its table is not looked at. */
bool fp_xroute__usable(int rank, const struct fp_xroute *r);
/*
 * The fast entry a usable route asks for, given its port and, for a route
 * via a gateway, the gateway's neighbour; false when it does not lead to a
 * port with a MAC to put in the frame. Through an uplink: an on-prem entry
 * for a route via a next hop of its family, with the next hop's MAC, or
 * none (unresolved: the return path hands its frames to the host).
 */
bool fp_xroute__decide(const struct fp_xroute *r, const struct fp_xport *port,
		       const struct fp_xneigh *gw_neigh, struct fp_route *out);
/* May neighbour n on port (NULL: not a port) have a host entry? */
bool fp_xneigh__usable(const struct fp_xport *port, const struct fp_xneigh *n);

/*
 * The same translation kept up to date one change at a time, for sync's
 * events: feed it route and neighbour changes, then ask for the entries
 * that changed. Only the prefixes a change can affect are recomputed (the
 * changed prefix and what lies inside it; for a neighbour, its host entry
 * and the routes via it). Its entries equal those the oracle in
 * tests/xlate_oracle.c computes from scratch on the same input
 * (tests/test_xlate.c and tests/fuzz_xlate.c check that).
 */
struct fp_xstate;

struct fp_xchange {
	struct fp_prefix prefix;
	bool has_before, has_after;
	struct fp_route before, after;
};

struct fp_xchanges {
	struct fp_xchange *v;
	size_t n, cap;
};

int fp_xstate__new(__u32 table, struct fp_xstate **st);
void fp_xstate__free(struct fp_xstate *st);
/* Replace every route and neighbour at once (start-up, re-dump). */
int fp_xstate__load(struct fp_xstate *st, const struct fp_xroute *routes,
		    size_t nroutes, const struct fp_xneigh *neighs,
		    size_t nneighs);
/*
 * The same, taking routes (malloc'd, nroutes of them) over instead of
 * copying them, whatever it returns: a million routes are 60+ MB.
 */
int fp_xstate__load_take(struct fp_xstate *st, struct fp_xroute *routes,
			 size_t nroutes, const struct fp_xneigh *neighs,
			 size_t nneighs);
void fp_xstate__clear_inputs(struct fp_xstate *st);
/* Any difference to the last set recomputes everything. */
int fp_xstate__set_ports(struct fp_xstate *st, const struct fp_xport *ports,
			 size_t n);
/* Add or replace (present) or remove one route, by table, prefix, metric. */
int fp_xstate__route(struct fp_xstate *st, const struct fp_xroute *r,
		     bool present);
/* Add or replace (present) or remove one neighbour, by family, port, addr. */
int fp_xstate__neigh(struct fp_xstate *st, const struct fp_xneigh *n,
		     bool present);
/*
 * The entries changed since the last call (c->n = 0 first); c NULL: the
 * state settles without listing them (a full reconcile diffs the maps).
 */
int fp_xstate__changes(struct fp_xstate *st, struct fp_xchanges *c);
void fp_xchanges__free(struct fp_xchanges *c);
/* The desired entry for p, or NULL; all of them in tree order. */
const struct fp_xentry *fp_xstate__find(const struct fp_xstate *st,
					const struct fp_prefix *p);
const struct fp_xentry *fp_xstate__entries(const struct fp_xstate *st,
					   size_t *n);

#endif
