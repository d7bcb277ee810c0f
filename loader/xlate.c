// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink state to fast-path entries. The one rule behind every other: for
 * each destination the map must give the kernel's own answer, or send the
 * packet to the gateway (which asks the kernel). It must never give a
 * different answer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>

#include "xlate.h"

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

int fp_prefix__cmp(const struct fp_prefix *a, const struct fp_prefix *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(a->addr, b->addr, sizeof(a->addr));
}

/* The covering prefix one bit shorter: bit len-1 cleared. */
static void prefix_shorten(struct fp_prefix *p)
{
	p->len--;
	p->addr[p->len / 8] &= (__u8) ~(0x80 >> (p->len % 8));
}

static bool mac_usable(const __u8 *mac)
{
	return !fp_mac_is_zero(mac) && !(mac[0] & 1);
}

int fp_xset__add(struct fp_xset *s, const struct fp_prefix *p,
		 const struct fp_route *rt)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct fp_xentry *e = realloc(s->e, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		s->e = e;
		s->cap = cap;
	}
	memset(&s->e[s->n], 0, sizeof(s->e[s->n]));
	s->e[s->n].prefix = *p;
	s->e[s->n].rt = *rt;
	s->n++;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	return fp_prefix__cmp(&((const struct fp_xentry *)a)->prefix,
			      &((const struct fp_xentry *)b)->prefix);
}

const struct fp_xentry *fp_xset__find(const struct fp_xset *s,
				      const struct fp_prefix *p)
{
	struct fp_xentry key = { .prefix = *p };

	if (!s->n)
		return NULL;
	return bsearch(&key, s->e, s->n, sizeof(*s->e), entry_cmp);
}

void fp_xset__free(struct fp_xset *s)
{
	free(s->e);
	memset(s, 0, sizeof(*s));
}

static int port_cmp(const void *a, const void *b)
{
	__u32 x = ((const struct fp_xport *)a)->ifindex;
	__u32 y = ((const struct fp_xport *)b)->ifindex;

	return x < y ? -1 : x > y;
}

static const struct fp_xport *find_port(const struct xctx *c, __u32 ifindex)
{
	struct fp_xport key = { .ifindex = ifindex };

	if (!c->in->nports)
		return NULL;
	return bsearch(&key, c->ports, c->in->nports, sizeof(key), port_cmp);
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
		prefix_shorten(&p);
	}
}

static bool usable_route(const struct xctx *c, const struct fp_xroute *r)
{
	/* Local, broadcast, blackhole, ...: the kernel keeps or drops it. */
	if (route_rank(c, r) == 0 || r->type != RTN_UNICAST)
		return false;
	/* Multipath hashes flows over nexthops: not one port to name. */
	return r->nhops == 1 && !r->dead;
}

/* The fast entry a route asks for; false when it does not lead to a port. */
static bool route_entry(const struct xctx *c, const struct fp_xroute *r,
			struct fp_route *out)
{
	const struct fp_xport *port;
	const struct fp_xneigh *n;
	const __u8 *mac;

	if (!usable_route(c, r))
		return false;
	port = find_port(c, r->oif);
	if (!port || !port->up)
		return false;
	if (r->has_gw) {
		if (r->gw_family != r->dst.family)
			return false;
		n = find_neigh(c, r->gw_family, r->oif, r->gw);
		if (!n)
			return false;
		mac = n->lladdr;
	} else {
		/* A connected route: only a known peer MAC answers for all of it. */
		mac = port->peer_mac;
	}
	if (!mac_usable(mac))
		return false;
	memset(out, 0, sizeof(*out));
	out->ifindex = r->oif;
	memcpy(out->dmac, mac, 6);
	out->origin = FP_ORIGIN_ROUTE;
	return true;
}

/* Is a strict ancestor of p a fast entry of the (sorted) set s? */
static bool covered_by_fast(const struct fp_xset *s, const struct fp_prefix *p)
{
	struct fp_prefix a = *p;
	const struct fp_xentry *e;

	while (a.len) {
		prefix_shorten(&a);
		e = fp_xset__find(s, &a);
		if (e && e->rt.ifindex)
			return true;
	}
	return false;
}

static bool is_link_local6(const struct fp_xneigh *n)
{
	return n->family == AF_INET6 && n->addr[0] == 0xfe &&
	       (n->addr[1] & 0xc0) == 0x80;
}

/*
 * A neighbour is the kernel's answer only where its longest-prefix route
 * is a link route on the neighbour's own port. Appends unsorted.
 */
static int add_neighbours(const struct xctx *c, struct fp_xset *out)
{
	struct fp_route rt = { .origin = FP_ORIGIN_NEIGHBOUR };
	size_t nfast = out->n;
	const struct fp_xport *port;
	const struct fp_xroute *r;
	struct fp_prefix host;
	int err;

	for (size_t i = 0; i < c->nneighs; i++) {
		const struct fp_xneigh *n = c->neighs[i];

		port = find_port(c, n->ifindex);
		if (!port || !port->up || is_link_local6(n) ||
		    !mac_usable(n->lladdr))
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
		if (r->dst.len == host.len && nfast &&
		    bsearch(&(struct fp_xentry){ .prefix = host }, out->e,
			    nfast, sizeof(*out->e), entry_cmp))
			continue;
		rt.ifindex = n->ifindex;
		memcpy(rt.dmac, n->lladdr, 6);
		err = fp_xset__add(out, &host, &rt);
		if (err)
			return err;
	}
	return 0;
}

void fp_xset__sort(struct fp_xset *s)
{
	size_t j = 0;

	if (!s->n)
		return;
	qsort(s->e, s->n, sizeof(*s->e), entry_cmp);
	/* The same neighbour listed twice is one entry. */
	for (size_t i = 0; i < s->n; i++)
		if (!j || entry_cmp(&s->e[i], &s->e[j - 1]))
			s->e[j++] = s->e[i];
	s->n = j;
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
	qsort(c->ports, in->nports, sizeof(*c->ports), port_cmp);

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
