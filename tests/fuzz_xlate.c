// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the netlink -> entry translation (loader/xlate.c):
 * the input drives a sequence of route and neighbour events (add, replace,
 * delete) on a small address space, as sync feeds them from netlink, into
 * the incremental state; after each event its entries must equal those
 * fp_xlate__compute() gives for the same input, and nothing may crash,
 * leak or read out of bounds (ASan, UBSan).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>

#include "xlate_oracle.h"

#define NROUTES 16
#define NNEIGHS 8

struct input {
	const uint8_t *p;
	size_t n;
};

static unsigned int next(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

struct scene {
	struct fp_xport ports[3];
	struct fp_xroute routes[NROUTES];
	bool route_on[NROUTES];
	struct fp_xneigh neighs[NNEIGHS];
	bool neigh_on[NNEIGHS];
};

/* An address in 198.19.1.0/28 or 2001:db8:100:1::/124, by family. */
static void addr(struct input *in, int family, __u8 *a)
{
	static const __u8 v4[4] = { 198, 19, 1, 0 };
	static const __u8 v6[16] = { 0x20, 0x01, 0x0d, 0xb8,
				     0x01, 0x00, 0x00, 0x01 };

	memset(a, 0, 16);
	if (family == AF_INET) {
		memcpy(a, v4, 4);
		a[3] = next(in) % 16;
	} else {
		memcpy(a, v6, 16);
		a[15] = next(in) % 16;
	}
}

static void route(struct input *in, int family, struct fp_xroute *r)
{
	static const __u32 oifs[] = { 10, 10, 11, 12, 7 };
	int max = family == AF_INET ? 32 : 128;
	unsigned int b = next(in);

	memset(r, 0, sizeof(*r));
	r->dst.family = family;
	addr(in, family, r->dst.addr);
	r->dst.len = max - b % 8;
	for (int bit = r->dst.len; bit < max; bit++)
		r->dst.addr[bit / 8] &= (__u8) ~(0x80 >> (bit % 8));
	b = next(in);
	r->table = b & 1 ? RT_TABLE_MAIN : b & 2 ? RT_TABLE_LOCAL : 100;
	r->type = b & 4 ? RTN_UNICAST : b & 8 ? RTN_BLACKHOLE : RTN_LOCAL;
	r->priority = (b >> 4) % 3;
	r->nhops = b & 0x40 ? 2 : 1;
	r->dead = b & 0x80;
	b = next(in);
	r->oif = oifs[b % 5];
	if (b & 0x08) {
		r->has_gw = true;
		r->gw_family = b & 0x10 ? family : AF_INET + AF_INET6 - family;
		addr(in, family, r->gw);
	}
}

static void neigh(struct input *in, int family, struct fp_xneigh *n)
{
	static const __u16 states[] = { NUD_REACHABLE,	NUD_STALE,
					NUD_FAILED,	NUD_PERMANENT,
					NUD_INCOMPLETE, NUD_DELAY };
	unsigned int b = next(in);

	memset(n, 0, sizeof(*n));
	n->family = family;
	n->ifindex = b & 1 ? 10 : 11;
	addr(in, family, n->addr);
	n->lladdr[0] = b & 2 ? 0x02 : 0x01; /* a multicast MAC now and then */
	n->lladdr[5] = next(in);
	n->state = states[(b >> 2) % 6];
}

/* The incremental entries equal the whole computation's, or abort. */
static void compare(const struct scene *s, const struct fp_xstate *st)
{
	struct fp_xroute routes[NROUTES];
	struct fp_xneigh neighs[NNEIGHS];
	struct fp_xinput in = { .ports = s->ports,
				.nports = 3,
				.table = RT_TABLE_MAIN };
	struct fp_xset want = { 0 };
	const struct fp_xentry *e;
	size_t n;

	for (size_t i = 0; i < NROUTES; i++)
		if (s->route_on[i])
			routes[in.nroutes++] = s->routes[i];
	for (size_t i = 0; i < NNEIGHS; i++)
		if (s->neigh_on[i])
			neighs[in.nneighs++] = s->neighs[i];
	in.routes = routes;
	in.neighs = neighs;
	if (fp_xlate__compute(&in, &want))
		abort();
	e = fp_xstate__entries(st, &n);
	if (n != want.n)
		abort();
	for (size_t i = 0; i < n; i++) {
		const struct fp_xentry *w = fp_xset__find(&want, &e[i].prefix);

		if (!w || memcmp(&w->rt, &e[i].rt, sizeof(w->rt)))
			abort();
	}
	fp_xset__free(&want);
}

static bool same_route_key(const struct fp_xroute *a, const struct fp_xroute *b)
{
	return a->table == b->table && a->priority == b->priority &&
	       !fp_prefix__cmp(&a->dst, &b->dst);
}

static bool same_neigh_key(const struct fp_xneigh *a, const struct fp_xneigh *b)
{
	return a->family == b->family && a->ifindex == b->ifindex &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct fp_xchanges ch = { 0 };
	struct fp_xstate *st;
	struct scene s;
	int family = next(&in) & 1 ? AF_INET6 : AF_INET;

	memset(&s, 0, sizeof(s));
	s.ports[0] = (struct fp_xport){ .ifindex = 10, .up = true };
	s.ports[1] = (struct fp_xport){ .ifindex = 11, .up = next(&in) & 1 };
	s.ports[1].peer_mac[0] = 0x02;
	s.ports[1].peer_mac[5] = 0x11;
	s.ports[2] = (struct fp_xport){ .ifindex = 7 };
	if (fp_xstate__new(RT_TABLE_MAIN, &st))
		return 0;
	if (fp_xstate__set_ports(st, s.ports, 3))
		abort();
	for (int step = 0; step < 64 && in.n; step++) {
		unsigned int op = next(&in), i;
		struct fp_xroute r;
		struct fp_xneigh nb;

		if (op & 1) {
			route(&in, family, &r);
			/* The kernel keys a route by table, prefix and metric. */
			for (i = 0; i < NROUTES; i++)
				if (s.route_on[i] &&
				    same_route_key(&s.routes[i], &r))
					break;
			if (op & 2) {
				if (i == NROUTES)
					for (i = 0;
					     i < NROUTES && s.route_on[i]; i++)
						;
				if (i == NROUTES)
					continue;
				s.routes[i] = r;
				s.route_on[i] = true;
			} else if (i < NROUTES) {
				s.route_on[i] = false;
			}
			if (fp_xstate__route(st, &r, op & 2))
				abort();
		} else {
			neigh(&in, family, &nb);
			for (i = 0; i < NNEIGHS; i++)
				if (s.neigh_on[i] &&
				    same_neigh_key(&s.neighs[i], &nb))
					break;
			if (op & 2) {
				if (i == NNEIGHS)
					for (i = 0;
					     i < NNEIGHS && s.neigh_on[i]; i++)
						;
				if (i == NNEIGHS)
					continue;
				s.neighs[i] = nb;
				s.neigh_on[i] = true;
			} else if (i < NNEIGHS) {
				s.neigh_on[i] = false;
			}
			if (fp_xstate__neigh(st, &nb, op & 2))
				abort();
		}
		ch.n = 0;
		if (fp_xstate__changes(st, &ch))
			abort();
		compare(&s, st);
	}
	fp_xchanges__free(&ch);
	fp_xstate__free(st);
	return 0;
}
