// SPDX-License-Identifier: GPL-2.0
/*
 * The netlink translation computed whole, from scratch: the oracle that
 * tests/test_xlate.c and tests/fuzz_xlate.c hold loader/xlate.c's
 * incremental state to. It takes the decisions both share (which route
 * can be fast, the entry it asks for, which neighbour answers) from
 * xlate.h, and computes the rest its own way: sorted arrays rebuilt from
 * the whole input at every call.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>

#include "xlate_oracle.h"

struct xctx {
	const struct fp_xinput *in;
	struct fp_xport *ports; /* sorted by ifindex */
	const struct fp_xneigh **neighs; /* usable only; sorted */
	size_t nneighs;
	const struct fp_xroute **routes; /* the winner per prefix; sorted */
	size_t nroutes;
};

static int addr_bytes(int family)
{
	return family == AF_INET ? 4 : 16;
}

static const struct fp_xport *find_port(const struct xctx *c, __u32 ifindex)
{
	struct fp_xport key = { .ifindex = ifindex };

	if (!c->in->nports)
		return NULL;
	return bsearch(&key, c->ports, c->in->nports, sizeof(key),
		       fp_xport__cmp);
}

static int neigh_cmp(const void *a, const void *b)
{
	const struct fp_xneigh *x = *(const struct fp_xneigh *const *)a;
	const struct fp_xneigh *y = *(const struct fp_xneigh *const *)b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	return memcmp(x->addr, y->addr, addr_bytes(x->family));
}

static const struct fp_xneigh *find_neigh(const struct xctx *c, int family,
					  __u32 ifindex, const __u8 *addr)
{
	struct fp_xneigh key = { .family = family, .ifindex = ifindex };
	const struct fp_xneigh *kp = &key, *const * hit;

	if (!c->nneighs)
		return NULL;
	memcpy(key.addr, addr, addr_bytes(family));
	hit = bsearch(&kp, c->neighs, c->nneighs,
		      sizeof(const struct fp_xneigh *), neigh_cmp);
	return hit ? *hit : NULL;
}

/*
 * Routes of the local table are looked up first by the kernel (rule 0),
 * so at an equal prefix they win; then the lowest metric.
 */
static int route_rank(const struct xctx *c, const struct fp_xroute *r)
{
	return r->table == RT_TABLE_LOCAL && c->in->table != RT_TABLE_LOCAL ?
		       0 :
		       1;
}

static int route_cmp(const void *a, const void *b, void *ctx)
{
	const struct fp_xroute *x = *(const struct fp_xroute *const *)a;
	const struct fp_xroute *y = *(const struct fp_xroute *const *)b;
	int d = fp_prefix__cmp(&x->dst, &y->dst);

	if (d)
		return d;
	d = route_rank(ctx, x) - route_rank(ctx, y);
	if (d)
		return d;
	return x->priority < y->priority ? -1 : x->priority > y->priority;
}

static int route_key_cmp(const void *key, const void *elem)
{
	return fp_prefix__cmp(key,
			      &(*(const struct fp_xroute *const *)elem)->dst);
}

static const struct fp_xroute *find_route(const struct xctx *c,
					  const struct fp_prefix *p)
{
	const struct fp_xroute *const *hit;

	if (!c->nroutes)
		return NULL;
	hit = bsearch(p, c->routes, c->nroutes,
		      sizeof(const struct fp_xroute *), route_key_cmp);
	return hit ? *hit : NULL;
}

/* The route the kernel picks for a host address (longest prefix). */
static const struct fp_xroute *lpm_route(const struct xctx *c,
					 const struct fp_prefix *host)
{
	struct fp_prefix p = *host;
	const struct fp_xroute *r;

	for (;;) {
		r = find_route(c, &p);
		if (r || !p.len)
			return r;
		fp_prefix__shorten(&p);
	}
}

static bool usable_route(const struct xctx *c, const struct fp_xroute *r)
{
	return fp_xroute__usable(route_rank(c, r), r);
}

/* The fast entry a route asks for; false when it does not lead to a port. */
static bool route_entry(const struct xctx *c, const struct fp_xroute *r,
			struct fp_route *out)
{
	const struct fp_xneigh *n = NULL;

	if (!usable_route(c, r))
		return false;
	if (r->has_gw && r->gw_family == r->dst.family)
		n = find_neigh(c, r->gw_family, r->oif, r->gw);
	return fp_xroute__decide(r, find_port(c, r->oif), n, out);
}

/* Is a strict ancestor of p a fast entry of the (sorted) set s? */
static bool covered_by_fast(const struct fp_xset *s, const struct fp_prefix *p)
{
	struct fp_prefix a = *p;
	const struct fp_xentry *e;

	while (a.len) {
		fp_prefix__shorten(&a);
		e = fp_xset__find(s, &a);
		if (e && e->rt.ifindex)
			return true;
	}
	return false;
}

/*
 * A neighbour is the kernel's answer only where its longest-prefix route
 * is a link route on the neighbour's own port. Appends unsorted.
 */
static int add_neighbours(const struct xctx *c, struct fp_xset *out)
{
	struct fp_route rt = { .origin = FP_ORIGIN_NEIGHBOUR };
	size_t nfast = out->n;
	struct fp_xset sorted;
	const struct fp_xroute *r;
	struct fp_prefix host;
	int err;

	for (size_t i = 0; i < c->nneighs; i++) {
		const struct fp_xneigh *n = c->neighs[i];

		if (!fp_xneigh__usable(find_port(c, n->ifindex), n))
			continue;
		memset(&host, 0, sizeof(host));
		host.family = n->family;
		host.len = addr_bytes(n->family) * 8;
		memcpy(host.addr, n->addr, addr_bytes(n->family));
		r = lpm_route(c, &host);
		if (!r || !usable_route(c, r) || r->has_gw ||
		    r->oif != n->ifindex)
			continue;
		/* A host route with the port's peer MAC already says it. */
		sorted = (struct fp_xset){ .e = out->e, .n = nfast };
		if (r->dst.len == host.len && fp_xset__find(&sorted, &host))
			continue;
		rt.ifindex = n->ifindex;
		memcpy(rt.dmac, n->lladdr, 6);
		err = fp_xset__add(out, &host, &rt);
		if (err)
			return err;
	}
	return 0;
}

static int add_fast_routes(const struct xctx *c, struct fp_xset *out)
{
	struct fp_route rt;
	int err;

	for (size_t i = 0; i < c->nroutes; i++) {
		if (!route_entry(c, c->routes[i], &rt))
			continue;
		err = fp_xset__add(out, &c->routes[i]->dst, &rt);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Every route without an entry of its own that lies inside a fast entry
 * shadows it, so the gateway (and so the kernel) answers for it. out must
 * be sorted; the shadows are appended unsorted.
 */
static int add_shadows(const struct xctx *c, struct fp_xset *out)
{
	struct fp_route shadow = { .origin = FP_ORIGIN_ROUTE };
	size_t nsorted = out->n;
	struct fp_xset sorted;
	int err;

	for (size_t i = 0; i < c->nroutes; i++) {
		const struct fp_prefix *p = &c->routes[i]->dst;

		/* out->e may move in set_add: look only at the sorted part. */
		sorted = (struct fp_xset){ .e = out->e, .n = nsorted };
		if (fp_xset__find(&sorted, p) || !covered_by_fast(&sorted, p))
			continue;
		err = fp_xset__add(out, p, &shadow);
		if (err)
			return err;
	}
	return 0;
}

static int build_ctx(const struct fp_xinput *in, struct xctx *c)
{
	size_t nr = 0;

	memset(c, 0, sizeof(*c));
	c->in = in;
	c->ports = calloc(in->nports + 1, sizeof(*c->ports));
	c->neighs = calloc(in->nneighs + 1, sizeof(const struct fp_xneigh *));
	c->routes = calloc(in->nroutes + 1, sizeof(const struct fp_xroute *));
	if (!c->ports || !c->neighs || !c->routes)
		return -ENOMEM;

	if (in->nports)
		memcpy(c->ports, in->ports, in->nports * sizeof(*c->ports));
	qsort(c->ports, in->nports, sizeof(*c->ports), fp_xport__cmp);

	for (size_t i = 0; i < in->nneighs; i++) {
		const struct fp_xneigh *n = &in->neighs[i];

		if ((n->family == AF_INET || n->family == AF_INET6) &&
		    (n->state & FP_NUD_USABLE))
			c->neighs[c->nneighs++] = n;
	}
	qsort(c->neighs, c->nneighs, sizeof(const struct fp_xneigh *),
	      neigh_cmp);

	for (size_t i = 0; i < in->nroutes; i++) {
		const struct fp_xroute *r = &in->routes[i];

		if ((r->dst.family != AF_INET && r->dst.family != AF_INET6) ||
		    r->dst.len > addr_bytes(r->dst.family) * 8)
			continue;
		if (r->table == in->table || r->table == RT_TABLE_LOCAL)
			c->routes[nr++] = r;
	}
	qsort_r(c->routes, nr, sizeof(const struct fp_xroute *), route_cmp, c);
	/* Keep the winner per prefix: the first after sorting. */
	for (size_t i = 0; i < nr; i++)
		if (!c->nroutes ||
		    fp_prefix__cmp(&c->routes[c->nroutes - 1]->dst,
				   &c->routes[i]->dst))
			c->routes[c->nroutes++] = c->routes[i];
	return 0;
}

static void free_ctx(struct xctx *c)
{
	free(c->ports);
	free((void *)c->neighs);
	free((void *)c->routes);
}

int fp_xlate__compute(const struct fp_xinput *in, struct fp_xset *out)
{
	struct xctx c;
	int err;

	memset(out, 0, sizeof(*out));
	err = build_ctx(in, &c);
	if (err)
		goto out_free;
	/* Each step looks things up in what the one before it sorted. */
	err = add_fast_routes(&c, out);
	if (!err) {
		fp_xset__sort(out);
		err = add_neighbours(&c, out);
	}
	if (!err) {
		fp_xset__sort(out);
		err = add_shadows(&c, out);
	}
	if (err)
		fp_xset__free(out);
	else
		fp_xset__sort(out);
out_free:
	free_ctx(&c);
	return err;
}
