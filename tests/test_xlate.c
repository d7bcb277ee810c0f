// SPDX-License-Identifier: GPL-2.0
/*
 * The pure translation (loader/xlate.c) from ports, neighbours and routes
 * to map entries, rule by rule, each for IPv4 and IPv6: the exact entries
 * (prefix, port, MAC, origin) and nothing else.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "check.h"
#include "parse.h"
#include "xlate_oracle.h"

#define VM 5 /* a VM port */
#define VM_B 6 /* a second VM port */
#define GW 9 /* the gateway link: no VM port */

static const __u8 vm_mac[6] = { 0x02, 0, 0, 0, 0x01, 0x10 };
static const __u8 vm2_mac[6] = { 0x02, 0, 0, 0, 0x01, 0x11 };
static const __u8 peer_mac[6] = { 0x02, 0, 0, 0, 0x0f, 0x01 };
static const __u8 zero_mac[6];

/* The same scenario in each family. */
struct fam {
	const char *name;
	const char *conn; /* the VM port's connected subnet */
	const char *vm, *vm_host; /* a VM and its host prefix */
	const char *vm2, *vm2_host;
	const char *pfx; /* a prefix behind the VM */
	const char *more; /* more specific, inside pfx */
	const char *outside; /* not inside pfx */
	const char *gw; /* the gateway's address, on GW */
	const char *lladdr; /* a link-local neighbour (IPv6 only) */
};

static const struct fam fams[] = {
	{ "IPv4", "198.19.1.0/24", "198.19.1.10", "198.19.1.10/32",
	  "198.19.1.11", "198.19.1.11/32", "198.20.0.0/24", "198.20.0.128/25",
	  "198.21.0.0/24", "198.18.1.2", NULL },
	{ "IPv6", "2001:db8:100:1::/64", "2001:db8:100:1::10",
	  "2001:db8:100:1::10/128", "2001:db8:100:1::11",
	  "2001:db8:100:1::11/128", "2001:db8:200::/48", "2001:db8:200:1::/64",
	  "2001:db8:300::/48", "2001:db8:1::2", "fe80::10" },
};

#define NFAMS (sizeof(fams) / sizeof(fams[0]))

struct scene {
	struct fp_xport ports[4];
	struct fp_xneigh neighs[8];
	struct fp_xroute routes[16];
	struct fp_xinput in;
	struct fp_xset out;
};

/* A fresh scene; the previous one's output set is freed, not leaked. */
static void scene_init(struct scene *s)
{
	fp_xset__free(&s->out);
	memset(s, 0, sizeof(*s));
	s->in.ports = s->ports;
	s->in.neighs = s->neighs;
	s->in.routes = s->routes;
	s->in.table = RT_TABLE_MAIN;
}

static void add_port(struct scene *s, __u32 ifindex, const __u8 *peer, bool up)
{
	struct fp_xport *p = &s->ports[s->in.nports++];

	p->ifindex = ifindex;
	memcpy(p->peer_mac, peer ? peer : zero_mac, 6);
	p->up = up;
}

static void add_neigh(struct scene *s, __u32 ifindex, const char *addr,
		      const __u8 *mac, __u16 state)
{
	struct fp_xneigh *n = &s->neighs[s->in.nneighs++];
	struct fp_prefix p;

	assert_int_equal(fp_parse_addr(addr, &p), 0);
	n->family = p.family;
	n->ifindex = ifindex;
	memcpy(n->addr, p.addr, 16);
	memcpy(n->lladdr, mac, 6);
	n->state = state;
}

/* A unicast route in the main table; gw NULL: a link route. */
static struct fp_xroute *add_route(struct scene *s, const char *prefix,
				   __u32 oif, const char *gw)
{
	struct fp_xroute *r = &s->routes[s->in.nroutes++];
	struct fp_prefix p;

	assert_int_equal(fp_parse_prefix(prefix, &r->dst), 0);
	r->table = RT_TABLE_MAIN;
	r->type = RTN_UNICAST;
	r->nhops = 1;
	r->oif = oif;
	if (gw) {
		assert_int_equal(fp_parse_addr(gw, &p), 0);
		r->has_gw = true;
		r->gw_family = p.family;
		memcpy(r->gw, p.addr, 16);
	}
	return r;
}

static void compute(struct scene *s)
{
	fp_xset__free(&s->out);
	check_int("fp_xlate__compute", 0, fp_xlate__compute(&s->in, &s->out));
}

static void expect_count(const struct fam *f, const struct scene *s, size_t n)
{
	char what[64];

	snprintf(what, sizeof(what), "%s: number of entries", f->name);
	check_int(what, n, s->out.n);
}

/* The entry for prefix is exactly {ifindex, mac, origin}. */
static void expect_entry(const struct fam *f, const struct scene *s,
			 const char *prefix, __u32 ifindex, const __u8 *mac,
			 enum fp_origin origin)
{
	const struct fp_xentry *e;
	struct fp_prefix p;
	char what[128];

	assert_int_equal(fp_parse_prefix(prefix, &p), 0);
	e = fp_xset__find(&s->out, &p);
	if (!e) {
		print_error("%s: expected an entry for %s, saw none\n", f->name,
			    prefix);
		fail();
		return;
	}
	snprintf(what, sizeof(what), "%s %s: ifindex", f->name, prefix);
	check_int(what, ifindex, e->rt.ifindex);
	snprintf(what, sizeof(what), "%s %s: origin", f->name, prefix);
	check_int(what, origin, e->rt.origin);
	snprintf(what, sizeof(what), "%s %s: dmac", f->name, prefix);
	check_hexdump_diff(what, mac, e->rt.dmac, 6);
	assert_memory_equal(mac, e->rt.dmac, 6);
}

static void expect_shadow(const struct fam *f, const struct scene *s,
			  const char *prefix)
{
	expect_entry(f, s, prefix, 0, zero_mac, FP_ORIGIN_ROUTE);
}

static void expect_none(const struct fam *f, const struct scene *s,
			const char *prefix)
{
	struct fp_prefix p;

	assert_int_equal(fp_parse_prefix(prefix, &p), 0);
	if (fp_xset__find(&s->out, &p))
		print_error("%s: expected no entry for %s, saw one\n", f->name,
			    prefix);
	assert_null(fp_xset__find(&s->out, &p));
}

/* A VM port with its connected subnet, as the kernel sets it up. */
static void vm_port(struct scene *s, const struct fam *f)
{
	scene_init(s);
	add_port(s, VM, NULL, true);
	add_route(s, f->conn, VM, NULL);
}

static void test_neighbour_states(void **state)
{
	static const struct {
		__u16 nud;
		bool fast;
	} states[] = {
		{ NUD_REACHABLE, true },   { NUD_STALE, true },
		{ NUD_DELAY, true },	   { NUD_PROBE, true },
		{ NUD_PERMANENT, true },   { NUD_FAILED, false },
		{ NUD_INCOMPLETE, false }, { NUD_NOARP, false },
		{ NUD_NONE, false },
	};
	struct scene s = { 0 };

	for (size_t i = 0; i < NFAMS; i++) {
		const struct fam *f = &fams[i];

		for (size_t j = 0; j < sizeof(states) / sizeof(states[0]);
		     j++) {
			vm_port(&s, f);
			add_neigh(&s, VM, f->vm, vm_mac, states[j].nud);
			compute(&s);
			/* The connected subnet alone is no entry: no MAC. */
			expect_none(f, &s, f->conn);
			if (!states[j].fast) {
				expect_count(f, &s, 0);
				continue;
			}
			expect_count(f, &s, 1);
			expect_entry(f, &s, f->vm_host, VM, vm_mac,
				     FP_ORIGIN_NEIGHBOUR);
		}
	}
	fp_xset__free(&s.out);
}

/* Deleted: the same scene without the neighbour has no entry. */
static void test_neighbour_deleted(void **state)
{
	struct scene s = { 0 };

	for (size_t i = 0; i < NFAMS; i++) {
		const struct fam *f = &fams[i];

		vm_port(&s, f);
		add_neigh(&s, VM, f->vm, vm_mac, NUD_REACHABLE);
		add_neigh(&s, VM, f->vm2, vm2_mac, NUD_STALE);
		compute(&s);
		expect_count(f, &s, 2);
		expect_entry(f, &s, f->vm2_host, VM, vm2_mac,
			     FP_ORIGIN_NEIGHBOUR);
		s.in.nneighs = 1;
		compute(&s);
		expect_count(f, &s, 1);
		expect_entry(f, &s, f->vm_host, VM, vm_mac,
			     FP_ORIGIN_NEIGHBOUR);
		expect_none(f, &s, f->vm2_host);
	}
	fp_xset__free(&s.out);
}

/* A neighbour counts only where the kernel would send its address. */
static void test_neighbour_needs_the_kernels_route(void **state)
{
	struct scene s = { 0 };

	for (size_t i = 0; i < NFAMS; i++) {
		const struct fam *f = &fams[i];

		/* Not a VM port. */
		vm_port(&s, f);
		add_neigh(&s, GW, f->vm, vm_mac, NUD_REACHABLE);
		compute(&s);
		expect_count(f, &s, 0);

		/* No route to it at all. */
		scene_init(&s);
		add_port(&s, VM, NULL, true);
		add_neigh(&s, VM, f->vm, vm_mac, NUD_REACHABLE);
		compute(&s);
		expect_count(f, &s, 0);

		/* A host route sends it elsewhere. */
		vm_port(&s, f);
		add_route(&s, f->vm_host, GW, f->gw);
		add_neigh(&s, VM, f->vm, vm_mac, NUD_REACHABLE);
		compute(&s);
		expect_count(f, &s, 0);

		/* Multicast or zero MAC: nothing to put in a frame. */
		vm_port(&s, f);
		add_neigh(&s, VM, f->vm,
			  (const __u8[6]){ 0x01, 0, 0x5e, 0, 0, 1 },
			  NUD_PERMANENT);
		add_neigh(&s, VM, f->vm2, zero_mac, NUD_PERMANENT);
		compute(&s);
		expect_count(f, &s, 0);

		/* A host route with the port's peer MAC wins over it. */
		scene_init(&s);
		add_port(&s, VM, peer_mac, true);
		add_route(&s, f->vm_host, VM, NULL);
		add_neigh(&s, VM, f->vm, vm_mac, NUD_REACHABLE);
		compute(&s);
		expect_count(f, &s, 1);
		expect_entry(f, &s, f->vm_host, VM, peer_mac, FP_ORIGIN_ROUTE);

		if (!f->lladdr)
			continue;
		/* Link-local addresses are never routed in from the uplink. */
		vm_port(&s, f);
		add_route(&s, "fe80::/64", VM, NULL);
		add_neigh(&s, VM, f->lladdr, vm_mac, NUD_REACHABLE);
		compute(&s);
		expect_count(f, &s, 0);

		/*
		 * Nor is the link-local route of a port with a peer MAC,
		 * which answers for any other connected route (found by
		 * verify: the kernel never forwards fe80::/10).
		 */
		scene_init(&s);
		add_port(&s, VM, peer_mac, true);
		add_route(&s, "fe80::/64", VM, NULL);
		add_route(&s, "fe80::/10", VM, NULL);
		add_route(&s, f->conn, VM, NULL);
		compute(&s);
		expect_count(f, &s, 1);
		expect_entry(f, &s, f->conn, VM, peer_mac, FP_ORIGIN_ROUTE);
		expect_none(f, &s, "fe80::/64");
		expect_none(f, &s, "fe80::/10");

		/* Inside a fast prefix, each is a shadow: the gateway's. */
		add_route(&s, "::/0", VM, f->vm);
		add_neigh(&s, VM, f->vm, vm_mac, NUD_REACHABLE);
		compute(&s);
		expect_entry(f, &s, "::/0", VM, vm_mac, FP_ORIGIN_ROUTE);
		expect_shadow(f, &s, "fe80::/10");
		expect_shadow(f, &s, "fe80::/64");
	}
	fp_xset__free(&s.out);
}

static void test_route_via_neighbour(void **state)
{
	struct scene s = { 0 };

	for (size_t i = 0; i < NFAMS; i++) {
		const struct fam *f = &fams[i];

		vm_port(&s, f);
		add_route(&s, f->pfx, VM, f->vm);
		add_neigh(&s, VM, f->vm, vm_mac, NUD_REACHABLE);
		compute(&s);
		expect_count(f, &s, 2);
		expect_entry(f, &s, f->pfx, VM, vm_mac, FP_ORIGIN_ROUTE);
		expect_entry(f, &s, f->vm_host, VM, vm_mac,
			     FP_ORIGIN_NEIGHBOUR);

		/* The nexthop's MAC changes: the prefix follows. */
		memcpy(s.neighs[0].lladdr, vm2_mac, 6);
		compute(&s);
		expect_entry(f, &s, f->pfx, VM, vm2_mac, FP_ORIGIN_ROUTE);

		/* The nexthop fails: the prefix goes back to the gateway. */
		s.neighs[0].state = NUD_FAILED;
		compute(&s);
		expect_count(f, &s, 0);

		/* A neighbour of the same address on another port is not it. */
		add_port(&s, VM_B, NULL, true);
		add_neigh(&s, VM_B, f->vm, vm_mac, NUD_REACHABLE);
		compute(&s);
		expect_count(f, &s, 0);
	}
	fp_xset__free(&s.out);
}

static void test_onlink_route_peer_mac(void **state)
{
	struct scene s = { 0 };

	for (size_t i = 0; i < NFAMS; i++) {
		const struct fam *f = &fams[i];

		scene_init(&s);
		add_port(&s, VM, peer_mac, true);
		add_route(&s, f->conn, VM, NULL);
		add_route(&s, f->pfx, VM, NULL);
		add_neigh(&s, VM, f->vm, vm_mac, NUD_REACHABLE);
		compute(&s);
		expect_count(f, &s, 3);
		expect_entry(f, &s, f->conn, VM, peer_mac, FP_ORIGIN_ROUTE);
		expect_entry(f, &s, f->pfx, VM, peer_mac, FP_ORIGIN_ROUTE);
		expect_entry(f, &s, f->vm_host, VM, vm_mac,
			     FP_ORIGIN_NEIGHBOUR);

		/* Without a peer MAC only the neighbour is known. */
		s.ports[0].peer_mac[0] = 0;
		s.ports[0].peer_mac[4] = 0;
		s.ports[0].peer_mac[5] = 0;
		compute(&s);
		expect_count(f, &s, 1);
		expect_entry(f, &s, f->vm_host, VM, vm_mac,
			     FP_ORIGIN_NEIGHBOUR);
	}
	fp_xset__free(&s.out);
}

/* Fast prefix pfx via the VM; `more` inside it made non-fast by setup. */
static void shadow_case(struct scene *s, const struct fam *f,
			void (*make)(struct scene *s, const struct fam *f))
{
	vm_port(s, f);
	add_route(s, f->pfx, VM, f->vm);
	add_neigh(s, VM, f->vm, vm_mac, NUD_REACHABLE);
	make(s, f);
	compute(s);
	expect_entry(f, s, f->pfx, VM, vm_mac, FP_ORIGIN_ROUTE);
	expect_entry(f, s, f->vm_host, VM, vm_mac, FP_ORIGIN_NEIGHBOUR);
	expect_shadow(f, s, f->more);
	expect_count(f, s, 3);
}

static void more_via_gateway(struct scene *s, const struct fam *f)
{
	add_route(s, f->more, GW, f->gw);
	/* Not inside a fast prefix: already a miss, no entry needed. */
	add_route(s, f->outside, GW, f->gw);
}

static void more_blackhole(struct scene *s, const struct fam *f)
{
	add_route(s, f->more, 0, NULL)->type = RTN_BLACKHOLE;
}

static void more_unreachable(struct scene *s, const struct fam *f)
{
	add_route(s, f->more, 0, NULL)->type = RTN_UNREACHABLE;
}

static void more_prohibit(struct scene *s, const struct fam *f)
{
	add_route(s, f->more, 0, NULL)->type = RTN_PROHIBIT;
}

static void more_multipath(struct scene *s, const struct fam *f)
{
	/* Even when every nexthop is a VM port. */
	add_route(s, f->more, VM, f->vm)->nhops = 2;
}

static void more_mac_unknown(struct scene *s, const struct fam *f)
{
	/* Via the VM port, but the nexthop is not resolved. */
	add_route(s, f->more, VM, f->vm2);
}

static void more_port_down(struct scene *s, const struct fam *f)
{
	add_port(s, VM_B, peer_mac, false);
	add_route(s, f->more, VM_B, NULL);
}

static void more_dead_nexthop(struct scene *s, const struct fam *f)
{
	add_route(s, f->more, VM, f->vm)->dead = true;
}

static void more_local(struct scene *s, const struct fam *f)
{
	struct fp_xroute *r = add_route(s, f->more, VM, NULL);

	r->type = RTN_LOCAL;
	r->table = RT_TABLE_LOCAL;
}

static void more_via_other_family(struct scene *s, const struct fam *f)
{
	struct fp_xroute *r = add_route(s, f->more, VM, f->vm);

	r->gw_family = r->gw_family == AF_INET ? AF_INET6 : AF_INET;
}

static void test_shadows(void **state)
{
	void (*makes[])(struct scene * s, const struct fam *f) = {
		more_via_gateway,      more_blackhole,	  more_unreachable,
		more_prohibit,	       more_multipath,	  more_mac_unknown,
		more_port_down,	       more_dead_nexthop, more_local,
		more_via_other_family,
	};
	struct scene s = { 0 };

	for (size_t i = 0; i < NFAMS; i++)
		for (size_t j = 0; j < sizeof(makes) / sizeof(makes[0]); j++)
			shadow_case(&s, &fams[i], makes[j]);
	fp_xset__free(&s.out);
}

/* A fast prefix inside the shadow is fast again: LPM sorts it out. */
static void test_fast_inside_shadow(void **state)
{
	struct scene s = { 0 };

	for (size_t i = 0; i < NFAMS; i++) {
		const struct fam *f = &fams[i];
		struct fp_prefix inner;
		char buf[FP_PREFIX_STRLEN];

		assert_int_equal(fp_parse_prefix(f->more, &inner), 0);
		inner.len += 2;
		fp_format_prefix(&inner, buf, sizeof(buf));
		vm_port(&s, f);
		add_route(&s, f->pfx, VM, f->vm);
		add_route(&s, f->more, GW, f->gw);
		add_route(&s, buf, VM, f->vm);
		add_neigh(&s, VM, f->vm, vm_mac, NUD_REACHABLE);
		compute(&s);
		expect_count(f, &s, 4);
		expect_shadow(f, &s, f->more);
		expect_entry(f, &s, buf, VM, vm_mac, FP_ORIGIN_ROUTE);
	}
	fp_xset__free(&s.out);
}

static void test_port_down_or_gone(void **state)
{
	struct scene s = { 0 };

	for (size_t i = 0; i < NFAMS; i++) {
		const struct fam *f = &fams[i];

		vm_port(&s, f);
		s.ports[0].up = false;
		add_route(&s, f->pfx, VM, f->vm);
		add_neigh(&s, VM, f->vm, vm_mac, NUD_REACHABLE);
		compute(&s);
		expect_count(f, &s, 0);
		s.in.nports = 0; /* gone */
		compute(&s);
		expect_count(f, &s, 0);
	}
	fp_xset__free(&s.out);
}

static void test_table_and_metric(void **state)
{
	struct scene s = { 0 };

	for (size_t i = 0; i < NFAMS; i++) {
		const struct fam *f = &fams[i];

		/* Another table is not the one followed. */
		vm_port(&s, f);
		add_route(&s, f->pfx, VM, f->vm)->table = 100;
		add_neigh(&s, VM, f->vm, vm_mac, NUD_REACHABLE);
		compute(&s);
		expect_none(f, &s, f->pfx);
		s.in.table = 100;
		s.routes[0].table = 100; /* the connected route, too */
		compute(&s);
		expect_entry(f, &s, f->pfx, VM, vm_mac, FP_ORIGIN_ROUTE);

		/* Same prefix twice: the lower metric is the kernel's. */
		vm_port(&s, f);
		add_neigh(&s, VM, f->vm, vm_mac, NUD_REACHABLE);
		add_route(&s, f->pfx, VM, f->vm)->priority = 20;
		add_route(&s, f->pfx, GW, f->gw)->priority = 10;
		compute(&s);
		expect_count(f, &s, 1);
		expect_none(f, &s, f->pfx);
		s.routes[2].priority = 30;
		compute(&s);
		expect_count(f, &s, 2);
		expect_entry(f, &s, f->pfx, VM, vm_mac, FP_ORIGIN_ROUTE);
	}
	fp_xset__free(&s.out);
}

/* A default route via an appliance VM: the host's own routes shadow it. */
static void test_default_via_vm(void **state)
{
	struct scene s = { 0 };

	for (size_t i = 0; i < NFAMS; i++) {
		const struct fam *f = &fams[i];
		const char *def = i ? "::/0" : "0.0.0.0/0";

		vm_port(&s, f);
		add_route(&s, def, VM, f->vm);
		add_route(&s, f->outside, GW, f->gw);
		add_neigh(&s, VM, f->vm, vm_mac, NUD_REACHABLE);
		compute(&s);
		expect_entry(f, &s, def, VM, vm_mac, FP_ORIGIN_ROUTE);
		expect_shadow(f, &s, f->outside);
		/* The connected subnet: only the known neighbour is fast. */
		expect_shadow(f, &s, f->conn);
		expect_entry(f, &s, f->vm_host, VM, vm_mac,
			     FP_ORIGIN_NEIGHBOUR);
		expect_count(f, &s, 4);
	}
	fp_xset__free(&s.out);
}

/*
 * The incremental state against the whole computation: random route and
 * neighbour changes (add, replace, delete) on a small prefix space, so
 * that prefixes nest, shadow and share nexthops; after every change the
 * incremental entries must equal fp_xlate__compute's, entry by entry.
 */
#define RND_ROUTES 24
#define RND_NEIGHS 8

struct rnd_scene {
	struct fp_xport ports[4]; /* the last one an uplink */
	struct fp_xroute routes[RND_ROUTES];
	bool route_on[RND_ROUTES];
	struct fp_xneigh neighs[RND_NEIGHS];
	bool neigh_on[RND_NEIGHS];
};

static unsigned int rnd_next(unsigned int *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 16) & 0x7fff;
}

/* An address in the first /28 (/124) of base, or a prefix of it. */
static void rnd_addr(unsigned int *seed, const struct fam *f, __u8 *addr)
{
	struct fp_prefix p;

	assert_int_equal(fp_parse_addr(f->vm, &p), 0);
	memcpy(addr, p.addr, 16);
	addr[p.family == AF_INET ? 3 : 15] = rnd_next(seed) % 16;
}

static void rnd_route(unsigned int *seed, const struct fam *f,
		      struct fp_xroute *r)
{
	int max = f == &fams[0] ? 32 : 128;
	static const __u32 oifs[] = { VM, VM, VM_B, GW, 7 };

	memset(r, 0, sizeof(*r));
	r->dst.family = f == &fams[0] ? AF_INET : AF_INET6;
	rnd_addr(seed, f, r->dst.addr);
	r->dst.len = max - rnd_next(seed) % 6;
	if (rnd_next(seed) % 8 == 0)
		r->dst.len = rnd_next(seed) % 2 ? 0 : max - 24;
	/* Host bits clear, as the kernel reports them. */
	for (int b = r->dst.len; b < max; b++)
		r->dst.addr[b / 8] &= (__u8) ~(0x80 >> (b % 8));
	r->table = rnd_next(seed) % 10 ? RT_TABLE_MAIN :
		   rnd_next(seed) % 2  ? RT_TABLE_LOCAL :
					 100;
	r->type = rnd_next(seed) % 8 ? RTN_UNICAST : RTN_BLACKHOLE;
	r->priority = rnd_next(seed) % 3;
	r->nhops = rnd_next(seed) % 10 ? 1 : 2;
	r->dead = rnd_next(seed) % 12 == 0;
	r->oif = oifs[rnd_next(seed) % 5];
	if (rnd_next(seed) % 3) {
		r->has_gw = true;
		r->gw_family = r->dst.family;
		rnd_addr(seed, f, r->gw);
	}
}

static void rnd_neigh(unsigned int *seed, const struct fam *f,
		      struct fp_xneigh *n)
{
	static const __u16 states[] = { NUD_REACHABLE, NUD_STALE, NUD_FAILED,
					NUD_PERMANENT };

	memset(n, 0, sizeof(*n));
	n->family = f == &fams[0] ? AF_INET : AF_INET6;
	n->ifindex = rnd_next(seed) % 3 ? VM : VM_B;
	rnd_addr(seed, f, n->addr);
	memcpy(n->lladdr, rnd_next(seed) % 2 ? vm_mac : vm2_mac, 6);
	n->state = states[rnd_next(seed) % 4];
}

static void rnd_compare(const struct fam *f, struct rnd_scene *r,
			const struct fp_xstate *st, int step)
{
	struct fp_xroute routes[RND_ROUTES];
	struct fp_xneigh neighs[RND_NEIGHS];
	struct fp_xinput in = { .ports = r->ports, .nports = 4 };
	struct fp_xset want = { 0 };
	const struct fp_xentry *e;
	size_t n;

	in.table = RT_TABLE_MAIN;
	for (size_t i = 0; i < RND_ROUTES; i++)
		if (r->route_on[i])
			routes[in.nroutes++] = r->routes[i];
	for (size_t i = 0; i < RND_NEIGHS; i++)
		if (r->neigh_on[i])
			neighs[in.nneighs++] = r->neighs[i];
	in.routes = routes;
	in.neighs = neighs;
	check_int("fp_xlate__compute", 0, fp_xlate__compute(&in, &want));
	e = fp_xstate__entries(st, &n);
	if (n != want.n)
		print_error("%s step %d: expected %zu entries, saw %zu\n",
			    f->name, step, want.n, n);
	assert_int_equal(want.n, n);
	for (size_t i = 0; i < n; i++) {
		const struct fp_xentry *w = fp_xset__find(&want, &e[i].prefix);
		char buf[FP_PREFIX_STRLEN];

		fp_format_prefix(&e[i].prefix, buf, sizeof(buf));
		if (!w || memcmp(&w->rt, &e[i].rt, sizeof(w->rt)))
			print_error("%s step %d: entry %s differs\n", f->name,
				    step, buf);
		assert_non_null(w);
		assert_memory_equal(&w->rt, &e[i].rt, sizeof(w->rt));
	}
	fp_xset__free(&want);
}

/*
 * Through an uplink, a route via a next hop is an on-prem entry of the
 * return path (FP_ROUTE_F_ONPREM, the next hop's MAC, none while it is
 * unresolved); a link route through it, and its neighbours, are nothing.
 */
static void test_onprem_via_uplink(void **state)
{
	struct scene s = { 0 };
	const struct fp_xentry *e;
	struct fp_prefix p;

	for (size_t i = 0; i < NFAMS; i++) {
		const struct fam *f = &fams[i];

		vm_port(&s, f);
		add_port(&s, GW, NULL, true);
		s.ports[s.in.nports - 1].uplink = true;
		add_route(&s, f->outside, GW, f->gw);
		add_neigh(&s, GW, f->gw, vm2_mac, NUD_REACHABLE);
		compute(&s);
		expect_count(f, &s, 1);
		expect_entry(f, &s, f->outside, GW, vm2_mac, FP_ORIGIN_ROUTE);
		assert_int_equal(fp_parse_prefix(f->outside, &p), 0);
		e = fp_xset__find(&s.out, &p);
		check_int("on-prem flag", FP_ROUTE_F_ONPREM,
			  e ? e->rt.flags : 0);

		/* The next hop fails: unresolved, still the return path's. */
		s.neighs[0].state = NUD_FAILED;
		compute(&s);
		expect_count(f, &s, 1);
		expect_entry(f, &s, f->outside, GW, zero_mac, FP_ORIGIN_ROUTE);

		/* A link route through the uplink names no one MAC. */
		s.routes[s.in.nroutes - 1].has_gw = false;
		s.neighs[0].state = NUD_REACHABLE;
		compute(&s);
		expect_count(f, &s, 0);

		/* Not an uplink: the route leads nowhere fast, as before. */
		s.routes[s.in.nroutes - 1].has_gw = true;
		s.ports[s.in.nports - 1].uplink = false;
		compute(&s);
		expect_entry(f, &s, f->outside, GW, vm2_mac, FP_ORIGIN_ROUTE);
		e = fp_xset__find(&s.out, &p);
		check_int("a VM port's route: no flag", 0, e ? e->rt.flags : 1);
	}
	fp_xset__free(&s.out);
}

static void test_incremental_equals_full(void **state)
{
	for (size_t fi = 0; fi < NFAMS; fi++) {
		const struct fam *f = &fams[fi];
		unsigned int seed = 42 + fi;
		struct fp_xchanges ch = { 0 };
		struct rnd_scene r = { 0 };
		struct fp_xstate *st;

		r.ports[0] = (struct fp_xport){ .ifindex = VM, .up = true };
		memcpy(r.ports[1].peer_mac, peer_mac, 6);
		r.ports[1].ifindex = VM_B;
		r.ports[1].up = true;
		r.ports[2] = (struct fp_xport){ .ifindex = 7, .up = false };
		r.ports[3] = (struct fp_xport){ .ifindex = GW,
						.up = true,
						.uplink = true };
		check_int("fp_xstate__new", 0,
			  fp_xstate__new(RT_TABLE_MAIN, &st));
		check_int("set_ports", 0, fp_xstate__set_ports(st, r.ports, 4));
		for (int step = 0; step < 3000; step++) {
			size_t i;

			if (rnd_next(&seed) % 2) {
				i = rnd_next(&seed) % RND_ROUTES;
				if (r.route_on[i]) {
					check_int("route del", 0,
						  fp_xstate__route(st,
								   &r.routes[i],
								   false));
					r.route_on[i] = false;
				} else {
					rnd_route(&seed, f, &r.routes[i]);
					/* One identity at a time per slot. */
					for (size_t j = 0; j < RND_ROUTES; j++)
						if (j != i && r.route_on[j] &&
						    !fp_prefix__cmp(
							    &r.routes[j].dst,
							    &r.routes[i].dst) &&
						    r.routes[j].table ==
							    r.routes[i].table &&
						    r.routes[j].priority ==
							    r.routes[i].priority)
							r.route_on[j] = false;
					check_int("route add", 0,
						  fp_xstate__route(st,
								   &r.routes[i],
								   true));
					r.route_on[i] = true;
				}
			} else {
				i = rnd_next(&seed) % RND_NEIGHS;
				if (r.neigh_on[i] && rnd_next(&seed) % 2) {
					check_int("neigh del", 0,
						  fp_xstate__neigh(st,
								   &r.neighs[i],
								   false));
					r.neigh_on[i] = false;
				} else {
					if (r.neigh_on[i])
						fp_xstate__neigh(st,
								 &r.neighs[i],
								 false);
					rnd_neigh(&seed, f, &r.neighs[i]);
					for (size_t j = 0; j < RND_NEIGHS; j++)
						if (j != i && r.neigh_on[j] &&
						    r.neighs[j].ifindex ==
							    r.neighs[i].ifindex &&
						    !memcmp(r.neighs[j].addr,
							    r.neighs[i].addr,
							    16))
							r.neigh_on[j] = false;
					check_int("neigh set", 0,
						  fp_xstate__neigh(st,
								   &r.neighs[i],
								   true));
					r.neigh_on[i] = true;
				}
			}
			check_int("changes", 0, fp_xstate__changes(st, &ch));
			rnd_compare(f, &r, st, step);
		}
		fp_xchanges__free(&ch);
		fp_xstate__free(st);
	}
}

/* Tree order, then the kernel's preference: the order a dump may come in. */
static int rnd_tree_cmp(const void *a, const void *b)
{
	const struct fp_xroute *x = a, *y = b;
	int d = fp_prefix__tree_cmp(&x->dst, &y->dst);
	int rx = x->table != RT_TABLE_LOCAL, ry = y->table != RT_TABLE_LOCAL;

	if (d)
		return d;
	if (rx != ry)
		return rx - ry;
	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return x->table < y->table ? -1 : x->table > y->table;
}

/*
 * A whole load settled without listing its changes (a full reconcile),
 * from routes in tree order (no sort needed) and in reverse, gives the
 * entries the whole computation gives.
 */
static void test_load_settles(void **state)
{
	for (size_t fi = 0; fi < NFAMS; fi++) {
		const struct fam *f = &fams[fi];
		unsigned int seed = 7 + fi;
		struct rnd_scene r = { 0 };

		r.ports[0] = (struct fp_xport){ .ifindex = VM, .up = true };
		memcpy(r.ports[1].peer_mac, peer_mac, 6);
		r.ports[1].ifindex = VM_B;
		r.ports[1].up = true;
		r.ports[2] = (struct fp_xport){ .ifindex = 7, .up = false };
		r.ports[3] = (struct fp_xport){ .ifindex = GW,
						.up = true,
						.uplink = true };
		for (int step = 0; step < 200; step++) {
			struct fp_xroute routes[RND_ROUTES] = { 0 };
			struct fp_xneigh neighs[RND_NEIGHS] = { 0 };
			size_t nr = 0, nn = 0;
			size_t i = rnd_next(&seed) % RND_ROUTES;

			rnd_route(&seed, f, &r.routes[i]);
			r.route_on[i] = rnd_next(&seed) % 4;
			i = rnd_next(&seed) % RND_NEIGHS;
			rnd_neigh(&seed, f, &r.neighs[i]);
			r.neigh_on[i] = rnd_next(&seed) % 4;
			/* One identity per slot, as the kernel has it. */
			for (size_t j = 0; j < RND_ROUTES; j++)
				for (size_t k = j + 1; k < RND_ROUTES; k++)
					if (r.route_on[j] && r.route_on[k] &&
					    !fp_prefix__cmp(&r.routes[j].dst,
							    &r.routes[k].dst) &&
					    r.routes[j].table ==
						    r.routes[k].table &&
					    r.routes[j].priority ==
						    r.routes[k].priority)
						r.route_on[j] = false;
			for (size_t j = 0; j < RND_NEIGHS; j++)
				for (size_t k = j + 1; k < RND_NEIGHS; k++)
					if (r.neigh_on[j] && r.neigh_on[k] &&
					    r.neighs[j].ifindex ==
						    r.neighs[k].ifindex &&
					    !memcmp(r.neighs[j].addr,
						    r.neighs[k].addr, 16))
						r.neigh_on[j] = false;
			for (size_t j = 0; j < RND_ROUTES; j++)
				if (r.route_on[j])
					routes[nr++] = r.routes[j];
			for (size_t j = 0; j < RND_NEIGHS; j++)
				if (r.neigh_on[j])
					neighs[nn++] = r.neighs[j];
			qsort(routes, nr, sizeof(routes[0]), rnd_tree_cmp);
			for (int rev = 0; rev < 2; rev++) {
				struct fp_xstate *st;

				if (rev)
					for (size_t j = 0; j < nr / 2; j++) {
						struct fp_xroute t = routes[j];

						routes[j] = routes[nr - 1 - j];
						routes[nr - 1 - j] = t;
					}
				check_int("fp_xstate__new", 0,
					  fp_xstate__new(RT_TABLE_MAIN, &st));
				check_int("set_ports", 0,
					  fp_xstate__set_ports(st, r.ports, 4));
				check_int("load", 0,
					  fp_xstate__load(st, routes, nr,
							  neighs, nn));
				check_int("changes", 0,
					  fp_xstate__changes(st, NULL));
				rnd_compare(f, &r, st, step);
				fp_xstate__free(st);
			}
		}
	}
	(void)state;
}

/*
 * Routes as a dump gives them: a few runs, each in tree order (one per
 * family and table), which the load merges instead of sorting. Loaded
 * into a block the state takes over, then every route withdrawn one by
 * one as events would: the block's routes are never freed on their own.
 */
static void test_load_dump_runs(void **state)
{
	for (size_t fi = 0; fi < NFAMS; fi++) {
		const struct fam *f = &fams[fi];
		unsigned int seed = 99 + fi;
		struct rnd_scene r = { 0 };

		r.ports[0] = (struct fp_xport){ .ifindex = VM, .up = true };
		memcpy(r.ports[1].peer_mac, peer_mac, 6);
		r.ports[1].ifindex = VM_B;
		r.ports[1].up = true;
		r.ports[2] = (struct fp_xport){ .ifindex = 7, .up = false };
		for (int step = 0; step < 200; step++) {
			struct fp_xroute runs[4][RND_ROUTES], *routes;
			struct fp_xneigh neighs[RND_NEIGHS];
			size_t nrun[4] = { 0 }, nr = 0, nn = 0;
			struct fp_xstate *st;

			for (size_t j = 0; j < RND_ROUTES; j++) {
				rnd_route(&seed, f, &r.routes[j]);
				r.route_on[j] = true;
			}
			for (size_t j = 0; j < RND_NEIGHS; j++) {
				rnd_neigh(&seed, f, &r.neighs[j]);
				r.neigh_on[j] = true;
			}
			/* One identity per route, as the kernel has it. */
			for (size_t j = 0; j < RND_ROUTES; j++)
				for (size_t k = j + 1; k < RND_ROUTES; k++)
					if (r.route_on[j] &&
					    !fp_prefix__cmp(&r.routes[j].dst,
							    &r.routes[k].dst) &&
					    r.routes[j].table ==
						    r.routes[k].table &&
					    r.routes[j].priority ==
						    r.routes[k].priority)
						r.route_on[j] = false;
			for (size_t j = 0; j < RND_NEIGHS; j++)
				for (size_t k = j + 1; k < RND_NEIGHS; k++)
					if (r.neigh_on[j] &&
					    r.neighs[j].ifindex ==
						    r.neighs[k].ifindex &&
					    !memcmp(r.neighs[j].addr,
						    r.neighs[k].addr, 16))
						r.neigh_on[j] = false;
			for (size_t j = 0; j < RND_ROUTES; j++) {
				unsigned int run =
					rnd_next(&seed) % (1 + step % 4);

				if (r.route_on[j])
					runs[run][nrun[run]++] = r.routes[j];
			}
			for (size_t j = 0; j < RND_NEIGHS; j++)
				if (r.neigh_on[j])
					neighs[nn++] = r.neighs[j];
			routes = malloc(RND_ROUTES * sizeof(*routes));
			assert_non_null(routes);
			for (size_t k = 0; k < 4; k++) {
				qsort(runs[k], nrun[k], sizeof(runs[k][0]),
				      rnd_tree_cmp);
				memcpy(&routes[nr], runs[k],
				       nrun[k] * sizeof(runs[k][0]));
				nr += nrun[k];
			}
			check_int("fp_xstate__new", 0,
				  fp_xstate__new(RT_TABLE_MAIN, &st));
			check_int("set_ports", 0,
				  fp_xstate__set_ports(st, r.ports, 3));
			check_int("load_take", 0,
				  fp_xstate__load_take(st, routes, nr, neighs,
						       nn));
			check_int("changes", 0, fp_xstate__changes(st, NULL));
			rnd_compare(f, &r, st, step);
			for (size_t j = 0; j < RND_ROUTES; j++) {
				if (!r.route_on[j])
					continue;
				check_int("route withdrawn", 0,
					  fp_xstate__route(st, &r.routes[j],
							   false));
				r.route_on[j] = false;
				check_int("changes", 0,
					  fp_xstate__changes(st, NULL));
				rnd_compare(f, &r, st, step);
			}
			fp_xstate__free(st);
		}
	}
	(void)state;
}

/*
 * The same route (table, prefix, metric) given twice in one load, in two
 * runs: the later one is what the kernel has, as an update would leave it.
 */
static void test_load_later_duplicate_wins(void **state)
{
	static const struct fp_xport ports[] = {
		{ .ifindex = VM,
		  .peer_mac = { 0x02, 0, 0, 0, 0x0f, 0x01 },
		  .up = true },
		{ .ifindex = VM_B,
		  .peer_mac = { 0x02, 0, 0, 0, 0x0f, 0x02 },
		  .up = true },
	};

	for (size_t fi = 0; fi < NFAMS; fi++) {
		const struct fam *f = &fams[fi];

		for (int later = 0; later < 2; later++) {
			struct scene s;
			struct fp_xroute in[3];
			const struct fp_xentry *e;
			struct fp_xstate *st;
			struct fp_prefix p;
			char what[96];

			memset(&s, 0, sizeof(s));
			scene_init(&s);
			/* A route before, in tree order, between the two. */
			in[0] = *add_route(&s, f->more, later ? VM_B : VM,
					   NULL);
			in[1] = *add_route(&s, f->pfx, GW, NULL);
			in[2] = *add_route(&s, f->more, later ? VM : VM_B,
					   NULL);
			check_int("fp_xstate__new", 0,
				  fp_xstate__new(RT_TABLE_MAIN, &st));
			check_int("set_ports", 0,
				  fp_xstate__set_ports(st, ports, 2));
			check_int("load", 0,
				  fp_xstate__load(st, in, 3, NULL, 0));
			check_int("changes", 0, fp_xstate__changes(st, NULL));
			assert_int_equal(fp_parse_prefix(f->more, &p), 0);
			e = fp_xstate__find(st, &p);
			snprintf(what, sizeof(what),
				 "%s %s given twice: an entry", f->name,
				 f->more);
			check_true(what, e != NULL);
			snprintf(what, sizeof(what),
				 "%s %s given twice: the later one's port",
				 f->name, f->more);
			check_int(what, in[2].oif, e->rt.ifindex);
			fp_xstate__free(st);
			fp_xset__free(&s.out);
		}
	}
	(void)state;
}

/*
 * An indexed set finds what a sorted copy of it finds: every prefix in
 * it (with its own entry), none that is not (its neighbours by one bit,
 * other lengths, the other family); duplicates dropped, the first
 * kept, the rest in their order; adding drops the index.
 */
static void test_xset_index(void **state)
{
	struct fp_xset ix = { 0 }, sorted = { 0 };
	unsigned int seed = 5;
	struct fp_route rt;
	struct fp_prefix p;

	for (int i = 0; i < 20000; i++) {
		memset(&p, 0, sizeof(p));
		memset(&rt, 0, sizeof(rt));
		seed = seed * 1103515245u + 12345u;
		p.family = seed & 0x10000 ? AF_INET6 : AF_INET;
		p.len = p.family == AF_INET ? 32 - (seed >> 20) % 3 :
					      128 - (seed >> 20) % 3;
		/* Few addresses, so that some repeat. */
		p.addr[p.family == AF_INET ? 3 : 15] = (seed >> 8) & 0xff;
		p.addr[0] = p.family == AF_INET ? 198 : 0x20;
		p.addr[1] = (seed >> 24) % 40;
		fp_prefix__mask(&p);
		rt.ifindex = i + 1; /* which copy a find gives */
		assert_int_equal(fp_xset__add(&ix, &p, &rt), 0);
		assert_int_equal(fp_xset__add(&sorted, &p, &rt), 0);
	}
	assert_int_equal(fp_xset__index(&ix), 0);
	/* The first of duplicates kept: a stable sort's first. */
	for (size_t i = 1; i < sorted.n; i++)
		for (size_t j = i;
		     j > 0 && fp_prefix__cmp(&sorted.e[j - 1].prefix,
					     &sorted.e[j].prefix) > 0;
		     j--) {
			struct fp_xentry t = sorted.e[j];

			sorted.e[j] = sorted.e[j - 1];
			sorted.e[j - 1] = t;
		}
	{
		size_t j = 0;

		for (size_t i = 0; i < sorted.n; i++)
			if (!j || fp_prefix__cmp(&sorted.e[j - 1].prefix,
						 &sorted.e[i].prefix))
				sorted.e[j++] = sorted.e[i];
		sorted.n = j;
	}
	check_int("index: entries after dropping duplicates", sorted.n, ix.n);
	for (size_t i = 1; i < ix.n; i++)
		check_true("index: the rest keep their order",
			   ix.e[i - 1].rt.ifindex < ix.e[i].rt.ifindex);
	for (size_t i = 0; i < sorted.n; i++) {
		const struct fp_xentry *e =
			fp_xset__find(&ix, &sorted.e[i].prefix);

		check_true("index: finds every prefix it holds", e != NULL);
		check_int("index: the first copy", sorted.e[i].rt.ifindex,
			  e ? e->rt.ifindex : 0);
		p = sorted.e[i].prefix;
		p.addr[p.family == AF_INET ? 3 : 15] ^= 0x01;
		check_true("index: a neighbour is found as a sorted set has it",
			   (fp_xset__find(&ix, &p) != NULL) ==
				   (fp_xset__find(&sorted, &p) != NULL));
		p = sorted.e[i].prefix;
		p.family = p.family == AF_INET ? AF_INET6 : AF_INET;
		check_true("index: the other family as a sorted set has it",
			   (fp_xset__find(&ix, &p) != NULL) ==
				   (fp_xset__find(&sorted, &p) != NULL));
	}
	p = sorted.e[0].prefix;
	p.len--;
	fp_prefix__mask(&p);
	check_true("index: a shorter prefix as a sorted set has it",
		   (fp_xset__find(&ix, &p) != NULL) ==
			   (fp_xset__find(&sorted, &p) != NULL));
	/* Added to, the set is unindexed: sorted again, it finds as before. */
	assert_int_equal(fp_xset__add(&ix, &p, &rt), 0);
	check_true("index: adding drops it", ix.ix == NULL);
	fp_xset__sort(&ix);
	check_true("index: sorted again, finds the added one",
		   fp_xset__find(&ix, &p) != NULL);
	fp_xset__free(&ix);
	fp_xset__free(&sorted);
	/* An empty set indexes, and finds nothing. */
	assert_int_equal(fp_xset__index(&ix), 0);
	check_true("index: empty finds nothing", !fp_xset__find(&ix, &p));
	fp_xset__free(&ix);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_neighbour_states),
		cmocka_unit_test(test_neighbour_deleted),
		cmocka_unit_test(test_neighbour_needs_the_kernels_route),
		cmocka_unit_test(test_route_via_neighbour),
		cmocka_unit_test(test_onlink_route_peer_mac),
		cmocka_unit_test(test_shadows),
		cmocka_unit_test(test_fast_inside_shadow),
		cmocka_unit_test(test_port_down_or_gone),
		cmocka_unit_test(test_table_and_metric),
		cmocka_unit_test(test_default_via_vm),
		cmocka_unit_test(test_onprem_via_uplink),
		cmocka_unit_test(test_incremental_equals_full),
		cmocka_unit_test(test_load_settles),
		cmocka_unit_test(test_load_dump_runs),
		cmocka_unit_test(test_load_later_duplicate_wins),
		cmocka_unit_test(test_xset_index),
	};

	return cmocka_run_group_tests_name("xlate", tests, NULL, NULL);
}
