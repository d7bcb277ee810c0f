// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink state to fast-path entries. The one rule behind every other: for
 * each destination the map must give the kernel's own answer, or send the
 * packet to the gateway (which asks the kernel). It must never give a
 * different answer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>

#include "vec.h"
#include "xlate.h"

static int addr_bytes(int family)
{
	return family == AF_INET ? 4 : 16;
}

static bool mac_usable(const __u8 *mac)
{
	return !fp_mac_is_zero(mac) && !(mac[0] & 1);
}

static void xset_unindex(struct fp_xset *s)
{
	free(s->ix);
	s->ix = NULL;
	s->ixmask = 0;
}

int fp_xset__add(struct fp_xset *s, const struct fp_prefix *p,
		 const struct fp_route *rt)
{
	xset_unindex(s);
	if (fp_vec__grow(&s->e, &s->cap, s->n, sizeof(*s->e)))
		return -ENOMEM;
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

/* A mix of all of p that fp_prefix__cmp() looks at. */
static __u32 prefix_hash(const struct fp_prefix *p)
{
	__u64 h = (__u64)p->family << 8 | p->len;
	__u32 w;

	for (int i = 0; i < 16; i += 4) {
		memcpy(&w, p->addr + i, 4);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return (__u32)(h >> 32);
}

/* Entries ahead whose index slot is fetched while this one goes in. */
#define IX_AHEAD 8

void fp_xset__prefetch_slot(const struct fp_xset *s, const struct fp_prefix *p)
{
	if (s->ix)
		__builtin_prefetch(&s->ix[prefix_hash(p) & s->ixmask]);
}

void fp_xset__prefetch_entry(const struct fp_xset *s, const struct fp_prefix *p)
{
	size_t k;

	if (!s->ix)
		return;
	k = prefix_hash(p) & s->ixmask;
	if (s->ix[k])
		__builtin_prefetch(&s->e[s->ix[k] - 1]);
}

int fp_xset__index(struct fp_xset *s)
{
	size_t slots = 64, j = 0;

	xset_unindex(s);
	/* At most half full: short probe runs. */
	while (slots < 2 * s->n)
		slots *= 2;
	if (s->n >= UINT32_MAX)
		return -ENOMEM;
	s->ix = calloc(slots, sizeof(*s->ix));
	if (!s->ix)
		return -ENOMEM;
	fp_vec__huge(s->ix, slots * sizeof(*s->ix));
	s->ixmask = slots - 1;
	for (size_t i = 0; i < s->n; i++) {
		size_t k = prefix_hash(&s->e[i].prefix) & s->ixmask;

		if (i + IX_AHEAD < s->n)
			fp_xset__prefetch_slot(s, &s->e[i + IX_AHEAD].prefix);

		for (; s->ix[k]; k = (k + 1) & s->ixmask)
			if (!fp_prefix__cmp(&s->e[s->ix[k] - 1].prefix,
					    &s->e[i].prefix))
				break;
		if (s->ix[k])
			continue; /* a duplicate: the first stays */
		s->e[j] = s->e[i];
		s->ix[k] = (__u32)++j;
	}
	s->n = j;
	return 0;
}

const struct fp_xentry *fp_xset__find(const struct fp_xset *s,
				      const struct fp_prefix *p)
{
	struct fp_xentry key = { .prefix = *p };

	if (!s->n)
		return NULL;
	if (s->ix) {
		for (size_t k = prefix_hash(p) & s->ixmask; s->ix[k];
		     k = (k + 1) & s->ixmask)
			if (!fp_prefix__cmp(&s->e[s->ix[k] - 1].prefix, p))
				return &s->e[s->ix[k] - 1];
		return NULL;
	}
	return bsearch(&key, s->e, s->n, sizeof(*s->e), entry_cmp);
}

void fp_xset__free(struct fp_xset *s)
{
	free(s->e);
	free(s->ix);
	memset(s, 0, sizeof(*s));
}

int fp_xport__cmp(const void *a, const void *b)
{
	__u32 x = ((const struct fp_xport *)a)->ifindex;
	__u32 y = ((const struct fp_xport *)b)->ifindex;

	return x < y ? -1 : x > y;
}

static bool link_local6(int family, const __u8 *addr)
{
	return family == AF_INET6 && addr[0] == 0xfe &&
	       (addr[1] & 0xc0) == 0x80;
}

/* rank: the route's table rank, 0 for a table that is not looked at. */
bool fp_xroute__usable(int rank, const struct fp_xroute *r)
{
	/* Local, broadcast, blackhole, ...: the kernel keeps or drops it. */
	if (rank == 0 || r->type != RTN_UNICAST)
		return false;
	/*
	 * fe80::/10 (every port's fe80::/64): the kernel never forwards a
	 * link-local destination, so no entry may deliver one to a port.
	 */
	if (r->dst.len >= 10 && link_local6(r->dst.family, r->dst.addr))
		return false;
	/* Multipath hashes flows over nexthops: not one port to name. */
	return r->nhops == 1 && !r->dead;
}

/*
 * The fast entry a usable route asks for, given its port and, for a route
 * via a gateway, the gateway's neighbour; false when it does not lead to a
 * port with a MAC to put in the frame. The incremental state and the
 * tests' oracle (tests/xlate_oracle.c) both decide here.
 */
bool fp_xroute__decide(const struct fp_xroute *r, const struct fp_xport *port,
		       const struct fp_xneigh *gw_neigh, struct fp_route *out)
{
	const __u8 *mac;

	if (!port || !port->up)
		return false;
	if (port->uplink) {
		/*
		 * Only a next hop names one MAC for a whole on-prem prefix;
		 * a link route's hosts each have their own.
		 */
		if (!r->has_gw || r->gw_family != r->dst.family)
			return false;
		memset(out, 0, sizeof(*out));
		out->ifindex = r->oif;
		if (gw_neigh && mac_usable(gw_neigh->lladdr))
			memcpy(out->dmac, gw_neigh->lladdr, 6);
		out->origin = FP_ORIGIN_ROUTE;
		out->flags = FP_ROUTE_F_ONPREM;
		return true;
	}
	if (r->has_gw) {
		if (r->gw_family != r->dst.family || !gw_neigh)
			return false;
		mac = gw_neigh->lladdr;
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

static bool is_link_local6(const struct fp_xneigh *n)
{
	return link_local6(n->family, n->addr);
}

bool fp_xneigh__usable(const struct fp_xport *port, const struct fp_xneigh *n)
{
	/* On an uplink it is on-prem's, never a VM's own address. */
	return port && port->up && !port->uplink && !is_link_local6(n) &&
	       mac_usable(n->lladdr);
}

void fp_xset__sort(struct fp_xset *s)
{
	size_t j = 0;

	xset_unindex(s);
	if (!s->n)
		return;
	qsort(s->e, s->n, sizeof(*s->e), entry_cmp);
	/* The same neighbour listed twice is one entry. */
	for (size_t i = 0; i < s->n; i++)
		if (!j || entry_cmp(&s->e[i], &s->e[j - 1]))
			s->e[j++] = s->e[i];
	s->n = j;
}

/* ---- incremental state ------------------------------------------------ */

/*
 * The same rules, kept up to date one change at a time. Routes, neighbours
 * and entries are held in "tree order" (family, address, length): there a
 * prefix is followed directly by everything inside it, so the entries a
 * route change can affect are one contiguous run. Arrays of pointers with
 * binary search: an insert moves at most n pointers (8 bytes each), which
 * is cheaper than chasing a tree's n log n cache misses at start-up.
 */
struct fp_xstate {
	__u32 table;
	struct fp_xport *ports; /* sorted by ifindex */
	size_t nports;
	struct fp_xroute **routes; /* tree order, then the winner first */
	size_t nroutes, rcap;
	/*
	 * The routes of the last load, in one block: a million mallocs cost
	 * more than the rest of a load. Routes added since are malloc'd.
	 */
	struct fp_xroute *slab;
	size_t nslab;
	struct fp_xneigh **neighs; /* usable only; tree order, then ifindex */
	size_t nneighs, ncap;
	struct fp_xentry *want; /* tree order */
	size_t nwant, wcap;
	struct fp_xdirty *dirty;
	size_t ndirty, dcap;
	bool all_dirty;
	/* Routes per family and length: ancestor walks skip empty lengths. */
	__u32 nlen[2][129];
};

struct fp_xdirty {
	struct fp_prefix p;
	bool subtree; /* and everything inside it */
};

static int max_len(int family)
{
	return family == AF_INET ? 32 : 128;
}

static int fam_idx(int family)
{
	return family == AF_INET ? 0 : 1;
}

static int xs_rank(const struct fp_xstate *st, const struct fp_xroute *r)
{
	return r->table == RT_TABLE_LOCAL && st->table != RT_TABLE_LOCAL ? 0 :
									   1;
}

/* Tree order, then the kernel's preference (route_cmp), then identity. */
static int xs_route_cmp(const struct fp_xstate *st, const struct fp_xroute *x,
			const struct fp_xroute *y)
{
	int d = fp_prefix__tree_cmp(&x->dst, &y->dst);

	if (d)
		return d;
	d = xs_rank(st, x) - xs_rank(st, y);
	if (d)
		return d;
	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return x->table < y->table ? -1 : x->table > y->table;
}

/* First route whose prefix is not before p in tree order. */
static size_t xs_route_lb(const struct fp_xstate *st, const struct fp_prefix *p)
{
	size_t lo = 0, hi = st->nroutes;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (fp_prefix__tree_cmp(&st->routes[mid]->dst, p) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct fp_xroute *xs_winner(const struct fp_xstate *st,
					 const struct fp_prefix *p)
{
	size_t i = xs_route_lb(st, p);

	if (i < st->nroutes && !fp_prefix__tree_cmp(&st->routes[i]->dst, p))
		return st->routes[i];
	return NULL;
}

static int xs_neigh_cmp(const struct fp_xneigh *x, const struct fp_xneigh *y)
{
	int d;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	d = memcmp(x->addr, y->addr, sizeof(x->addr));
	if (d)
		return d;
	return x->ifindex < y->ifindex ? -1 : x->ifindex > y->ifindex;
}

static size_t xs_neigh_lb(const struct fp_xstate *st, const struct fp_xneigh *k)
{
	size_t lo = 0, hi = st->nneighs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (xs_neigh_cmp(st->neighs[mid], k) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct fp_xneigh *xs_neigh(const struct fp_xstate *st, int family,
					__u32 ifindex, const __u8 *addr)
{
	struct fp_xneigh k = { .family = family, .ifindex = ifindex };
	size_t i;

	memcpy(k.addr, addr, addr_bytes(family));
	i = xs_neigh_lb(st, &k);
	if (i < st->nneighs && !xs_neigh_cmp(st->neighs[i], &k))
		return st->neighs[i];
	return NULL;
}

static size_t xs_want_lb(const struct fp_xstate *st, const struct fp_prefix *p)
{
	size_t lo = 0, hi = st->nwant;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (fp_prefix__tree_cmp(&st->want[mid].prefix, p) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct fp_xentry *fp_xstate__find(const struct fp_xstate *st,
					const struct fp_prefix *p)
{
	size_t i = xs_want_lb(st, p);

	if (i < st->nwant && !fp_prefix__tree_cmp(&st->want[i].prefix, p))
		return &st->want[i];
	return NULL;
}

const struct fp_xentry *fp_xstate__entries(const struct fp_xstate *st,
					   size_t *n)
{
	*n = st->nwant;
	return st->want;
}

static const struct fp_xport *xs_port(const struct fp_xstate *st, __u32 ifindex)
{
	struct fp_xport key = { .ifindex = ifindex };

	if (!st->nports)
		return NULL;
	return bsearch(&key, st->ports, st->nports, sizeof(key), fp_xport__cmp);
}

static bool xs_usable_route(const struct fp_xstate *st,
			    const struct fp_xroute *r)
{
	return fp_xroute__usable(xs_rank(st, r), r);
}

/* route_entry() on the incremental state. */
static bool xs_route_entry(const struct fp_xstate *st,
			   const struct fp_xroute *r, struct fp_route *out)
{
	const struct fp_xneigh *n = NULL;

	if (!xs_usable_route(st, r))
		return false;
	if (r->has_gw && r->gw_family == r->dst.family)
		n = xs_neigh(st, r->gw_family, r->oif, r->gw);
	return fp_xroute__decide(r, xs_port(st, r->oif), n, out);
}

static const struct fp_xroute *xs_lpm(const struct fp_xstate *st,
				      const struct fp_prefix *p, bool strict)
{
	const __u32 *nlen = st->nlen[fam_idx(p->family)];
	struct fp_prefix a = *p;
	const struct fp_xroute *r;

	if (strict) {
		if (!a.len)
			return NULL;
		fp_prefix__shorten(&a);
	}
	for (;;) {
		if (nlen[a.len]) {
			r = xs_winner(st, &a);
			if (r)
				return r;
		}
		if (!a.len)
			return NULL;
		fp_prefix__shorten(&a);
	}
}

static bool xs_covered_by_fast(const struct fp_xstate *st,
			       const struct fp_prefix *p)
{
	const __u32 *nlen = st->nlen[fam_idx(p->family)];
	struct fp_prefix a = *p;
	const struct fp_xroute *r;
	struct fp_route rt;

	while (a.len) {
		fp_prefix__shorten(&a);
		if (!nlen[a.len])
			continue;
		r = xs_winner(st, &a);
		if (r && xs_route_entry(st, r, &rt))
			return true;
	}
	return false;
}

/* A neighbour's host entry, where its longest route is its own link. */
static bool xs_neigh_entry(const struct fp_xstate *st,
			   const struct fp_prefix *host, struct fp_route *out)
{
	const struct fp_xroute *r = xs_lpm(st, host, false);
	const struct fp_xport *port;
	const struct fp_xneigh *n;

	if (!r || !xs_usable_route(st, r) || r->has_gw)
		return false;
	n = xs_neigh(st, host->family, r->oif, host->addr);
	port = xs_port(st, r->oif);
	if (!n || !fp_xneigh__usable(port, n))
		return false;
	memset(out, 0, sizeof(*out));
	out->ifindex = r->oif;
	memcpy(out->dmac, n->lladdr, 6);
	out->origin = FP_ORIGIN_NEIGHBOUR;
	return true;
}

/*
 * The entry prefix p asks for, r its winning route (NULL: none): its own
 * fast route, else a neighbour's host entry, else a shadow when a fast
 * prefix covers a route of its own.
 */
static bool xs_entry_of(const struct fp_xstate *st, const struct fp_prefix *p,
			const struct fp_xroute *r, struct fp_route *out)
{
	if (r && xs_route_entry(st, r, out))
		return true;
	if (p->len == max_len(p->family) && xs_neigh_entry(st, p, out))
		return true;
	if (r && xs_covered_by_fast(st, p)) {
		memset(out, 0, sizeof(*out));
		out->origin = FP_ORIGIN_ROUTE;
		return true;
	}
	return false;
}

/* xs_entry_of() with p's winning route looked up. */
static bool xs_entry_at(const struct fp_xstate *st, const struct fp_prefix *p,
			struct fp_route *out)
{
	return xs_entry_of(st, p, xs_winner(st, p), out);
}

int fp_xstate__new(__u32 table, struct fp_xstate **out)
{
	struct fp_xstate *st = calloc(1, sizeof(*st));

	if (!st)
		return -ENOMEM;
	st->table = table;
	st->all_dirty = true;
	*out = st;
	return 0;
}

/* In the load's block, or malloc'd on its own by an event. */
static void xs_route_free(struct fp_xstate *st, struct fp_xroute *r)
{
	uintptr_t a = (uintptr_t)r, lo = (uintptr_t)st->slab;

	if (a < lo || a >= lo + st->nslab * sizeof(*r))
		free(r);
}

void fp_xstate__clear_inputs(struct fp_xstate *st)
{
	for (size_t i = 0; i < st->nroutes; i++)
		xs_route_free(st, st->routes[i]);
	free(st->slab);
	st->slab = NULL;
	st->nslab = 0;
	for (size_t i = 0; i < st->nneighs; i++)
		free(st->neighs[i]);
	st->nroutes = st->nneighs = 0;
	memset(st->nlen, 0, sizeof(st->nlen));
	st->all_dirty = true;
}

void fp_xstate__free(struct fp_xstate *st)
{
	if (!st)
		return;
	fp_xstate__clear_inputs(st);
	free(st->routes);
	free(st->neighs);
	free(st->ports);
	free(st->want);
	free(st->dirty);
	free(st);
}

static int mark(struct fp_xstate *st, const struct fp_prefix *p, bool subtree)
{
	int err;

	if (st->all_dirty)
		return 0;
	err = fp_vec__grow(&st->dirty, &st->dcap, st->ndirty,
			   sizeof(*st->dirty));
	if (err)
		return err;
	st->dirty[st->ndirty].p = *p;
	st->dirty[st->ndirty].subtree = subtree;
	st->ndirty++;
	return 0;
}

int fp_xstate__set_ports(struct fp_xstate *st, const struct fp_xport *ports,
			 size_t n)
{
	struct fp_xport *p = calloc(n + 1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	if (n)
		memcpy(p, ports, n * sizeof(*p));
	qsort(p, n, sizeof(*p), fp_xport__cmp);
	/* Any port change may touch every entry: recompute them all. */
	if (n != st->nports || (n && memcmp(p, st->ports, n * sizeof(*p))))
		st->all_dirty = true;
	free(st->ports);
	st->ports = p;
	st->nports = n;
	return 0;
}

/* Routes xlate ignores: other tables, other families, bad lengths. */
static bool xs_route_ignored(const struct fp_xstate *st,
			     const struct fp_xroute *r)
{
	if (r->dst.family != AF_INET && r->dst.family != AF_INET6)
		return true;
	if (r->dst.len > max_len(r->dst.family))
		return true;
	return r->table != st->table && r->table != RT_TABLE_LOCAL;
}

int fp_xstate__route(struct fp_xstate *st, const struct fp_xroute *route,
		     bool present)
{
	struct fp_xroute key = *route, *r;
	size_t lo = 0, hi = st->nroutes;
	bool found;
	int err;

	if (xs_route_ignored(st, route))
		return 0;
	fp_prefix__mask(&key.dst);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (xs_route_cmp(st, st->routes[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	found = lo < st->nroutes && !xs_route_cmp(st, st->routes[lo], &key);
	/* The winner may change, and with it everything inside the prefix. */
	err = mark(st, &key.dst, true);
	if (err)
		return err;
	if (found && present) {
		*st->routes[lo] = key;
		return 0;
	}
	if (found) {
		xs_route_free(st, st->routes[lo]);
		memmove(&st->routes[lo], &st->routes[lo + 1],
			(st->nroutes - lo - 1) * sizeof(struct fp_xroute *));
		st->nroutes--;
		st->nlen[fam_idx(key.dst.family)][key.dst.len]--;
		return 0;
	}
	if (!present)
		return 0;
	err = fp_vec__grow(&st->routes, &st->rcap, st->nroutes,
			   sizeof(struct fp_xroute *));
	if (err)
		return err;
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	*r = key;
	memmove(&st->routes[lo + 1], &st->routes[lo],
		(st->nroutes - lo) * sizeof(struct fp_xroute *));
	st->routes[lo] = r;
	st->nroutes++;
	st->nlen[fam_idx(key.dst.family)][key.dst.len]++;
	return 0;
}

/* Every route via this neighbour, and all inside them, is recomputed. */
static int mark_routes_via(struct fp_xstate *st, const struct fp_xneigh *n)
{
	int err;

	if (st->all_dirty)
		return 0;
	for (size_t i = 0; i < st->nroutes; i++) {
		const struct fp_xroute *r = st->routes[i];

		if (!r->has_gw || r->gw_family != n->family ||
		    r->oif != n->ifindex ||
		    memcmp(r->gw, n->addr, addr_bytes(n->family)))
			continue;
		err = mark(st, &r->dst, true);
		if (err)
			return err;
	}
	return 0;
}

int fp_xstate__neigh(struct fp_xstate *st, const struct fp_xneigh *neigh,
		     bool present)
{
	struct fp_xneigh key = { 0 }, *n;
	struct fp_prefix host = { 0 };
	bool found;
	size_t i;
	int err;

	if (neigh->family != AF_INET && neigh->family != AF_INET6)
		return 0;
	key.family = neigh->family;
	key.ifindex = neigh->ifindex;
	memcpy(key.addr, neigh->addr, addr_bytes(neigh->family));
	memcpy(key.lladdr, neigh->lladdr, 6);
	key.state = neigh->state;
	/* Only usable neighbours are kept: the others are as good as gone. */
	present = present && (neigh->state & FP_NUD_USABLE);
	i = xs_neigh_lb(st, &key);
	found = i < st->nneighs && !xs_neigh_cmp(st->neighs[i], &key);
	if (found && present && !memcmp(st->neighs[i]->lladdr, key.lladdr, 6)) {
		st->neighs[i]->state =
			key.state; /* same answer: nothing to do */
		return 0;
	}
	if (!found && !present)
		return 0;
	host.family = key.family;
	host.len = max_len(key.family);
	memcpy(host.addr, key.addr, sizeof(host.addr));
	err = mark(st, &host, false);
	if (!err)
		err = mark_routes_via(st, &key);
	if (err)
		return err;
	if (found && present) {
		*st->neighs[i] = key;
		return 0;
	}
	if (found) {
		free(st->neighs[i]);
		memmove(&st->neighs[i], &st->neighs[i + 1],
			(st->nneighs - i - 1) * sizeof(struct fp_xneigh *));
		st->nneighs--;
		return 0;
	}
	err = fp_vec__grow(&st->neighs, &st->ncap, st->nneighs,
			   sizeof(struct fp_xneigh *));
	if (err)
		return err;
	n = malloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	*n = key;
	memmove(&st->neighs[i + 1], &st->neighs[i],
		(st->nneighs - i) * sizeof(struct fp_xneigh *));
	st->neighs[i] = n;
	st->nneighs++;
	return 0;
}

/* c NULL: the state settles, nobody asked what changed. */
static int add_change(struct fp_xchanges *c, const struct fp_prefix *p,
		      const struct fp_route *before,
		      const struct fp_route *after)
{
	struct fp_xchange *x;
	int err;

	if (!c)
		return 0;
	err = fp_vec__grow(&c->v, &c->cap, c->n, sizeof(*c->v));
	if (err)
		return err;
	x = &c->v[c->n++];
	memset(x, 0, sizeof(*x));
	x->prefix = *p;
	x->has_before = before != NULL;
	x->has_after = after != NULL;
	if (before)
		x->before = *before;
	if (after)
		x->after = *after;
	return 0;
}

/* Recompute one prefix; record and apply the change to want. */
static int xs_update(struct fp_xstate *st, const struct fp_prefix *p,
		     struct fp_xchanges *c)
{
	size_t i = xs_want_lb(st, p);
	bool had = i < st->nwant &&
		   !fp_prefix__tree_cmp(&st->want[i].prefix, p);
	struct fp_route rt;
	bool has = xs_entry_at(st, p, &rt);
	int err;

	if (had && has) {
		if (!memcmp(&st->want[i].rt, &rt, sizeof(rt)))
			return 0;
		err = add_change(c, p, &st->want[i].rt, &rt);
		if (!err)
			st->want[i].rt = rt;
		return err;
	}
	if (had) {
		err = add_change(c, p, &st->want[i].rt, NULL);
		if (err)
			return err;
		memmove(&st->want[i], &st->want[i + 1],
			(st->nwant - i - 1) * sizeof(*st->want));
		st->nwant--;
		return 0;
	}
	if (!has)
		return 0;
	err = fp_vec__grow(&st->want, &st->wcap, st->nwant, sizeof(*st->want));
	if (!err)
		err = add_change(c, p, NULL, &rt);
	if (err)
		return err;
	memmove(&st->want[i + 1], &st->want[i],
		(st->nwant - i) * sizeof(*st->want));
	memset(&st->want[i], 0, sizeof(st->want[i]));
	st->want[i].prefix = *p;
	st->want[i].rt = rt;
	st->nwant++;
	return 0;
}

/* Every prefix inside p that has a route, a neighbour or an entry. */
static int xs_update_subtree(struct fp_xstate *st, const struct fp_prefix *p,
			     struct fp_xchanges *c)
{
	struct fp_xneigh nk = { .family = p->family };
	struct fp_prefix q;
	size_t i;
	int err;

	/* Indices move as entries come and go: look each next one up. */
	for (i = xs_route_lb(st, p);
	     i < st->nroutes && fp_prefix__within(&st->routes[i]->dst, p);) {
		q = st->routes[i]->dst;
		err = xs_update(st, &q, c);
		if (err)
			return err;
		while (i < st->nroutes &&
		       !fp_prefix__tree_cmp(&st->routes[i]->dst, &q))
			i++;
	}
	memcpy(nk.addr, p->addr, sizeof(nk.addr));
	for (i = xs_neigh_lb(st, &nk); i < st->nneighs; i++) {
		memset(&q, 0, sizeof(q));
		q.family = st->neighs[i]->family;
		q.len = max_len(q.family);
		memcpy(q.addr, st->neighs[i]->addr, sizeof(q.addr));
		if (!fp_prefix__within(&q, p))
			break;
		err = xs_update(st, &q, c);
		if (err)
			return err;
	}
	/* Entries whose route or neighbour went. */
	for (i = xs_want_lb(st, p);
	     i < st->nwant && fp_prefix__within(&st->want[i].prefix, p);) {
		q = st->want[i].prefix;
		err = xs_update(st, &q, c);
		if (err)
			return err;
		i = xs_want_lb(st, &q);
		if (i < st->nwant &&
		    !fp_prefix__tree_cmp(&st->want[i].prefix, &q))
			i++;
	}
	return 0;
}

/* Everything from scratch: one sorted pass, then a merge against want. */
static int xs_rebuild(struct fp_xstate *st, struct fp_xchanges *c)
{
	struct fp_xentry *next = NULL;
	size_t n = 0, cap = 0, ri = 0, ni = 0, oi = 0;
	struct fp_prefix p;
	struct fp_route rt;
	int err = 0;

	/* At most one entry per route and neighbour: no regrowth at 1M. */
	cap = st->nroutes + st->nneighs;
	next = malloc((cap ? cap : 1) * sizeof(*next));
	if (!next)
		return -ENOMEM;
	fp_vec__huge(next, cap * sizeof(*next));
	while (ri < st->nroutes || ni < st->nneighs) {
		const struct fp_xroute *r = NULL;
		struct fp_prefix np = { 0 };

		if (ni < st->nneighs) {
			np.family = st->neighs[ni]->family;
			np.len = max_len(np.family);
			memcpy(np.addr, st->neighs[ni]->addr, sizeof(np.addr));
		}
		if (ni >= st->nneighs ||
		    (ri < st->nroutes &&
		     fp_prefix__tree_cmp(&st->routes[ri]->dst, &np) <= 0))
			p = st->routes[ri]->dst;
		else
			p = np;
		/* The first route at p is its winner: no search for it. */
		if (ri < st->nroutes &&
		    !fp_prefix__tree_cmp(&st->routes[ri]->dst, &p))
			r = st->routes[ri];
		while (ri < st->nroutes &&
		       !fp_prefix__tree_cmp(&st->routes[ri]->dst, &p))
			ri++;
		while (ni < st->nneighs && st->neighs[ni]->family == p.family &&
		       p.len == max_len(p.family) &&
		       !memcmp(st->neighs[ni]->addr, p.addr, sizeof(p.addr)))
			ni++;
		if (!xs_entry_of(st, &p, r, &rt))
			continue;
		err = fp_vec__grow(&next, &cap, n, sizeof(*next));
		if (err)
			goto out_free;
		memset(&next[n], 0, sizeof(next[n]));
		next[n].prefix = p;
		next[n].rt = rt;
		n++;
	}
	/* The changes: a merge of the old and the new want. */
	for (size_t j = 0; j < n || oi < st->nwant;) {
		int d = j >= n ? 1 :
			oi >= st->nwant ?
				 -1 :
				 fp_prefix__tree_cmp(&next[j].prefix,
						     &st->want[oi].prefix);

		if (d < 0)
			err = add_change(c, &next[j].prefix, NULL, &next[j].rt);
		else if (d > 0)
			err = add_change(c, &st->want[oi].prefix,
					 &st->want[oi].rt, NULL);
		else if (memcmp(&next[j].rt, &st->want[oi].rt, sizeof(rt)))
			err = add_change(c, &next[j].prefix, &st->want[oi].rt,
					 &next[j].rt);
		if (err)
			goto out_free;
		if (d <= 0)
			j++;
		if (d >= 0)
			oi++;
	}
	free(st->want);
	st->want = next;
	st->nwant = n;
	st->wcap = cap;
	return 0;
out_free:
	free(next);
	return err;
}

int fp_xstate__changes(struct fp_xstate *st, struct fp_xchanges *c)
{
	int err = 0;

	if (c)
		c->n = 0;
	if (st->all_dirty) {
		err = xs_rebuild(st, c);
		if (!err)
			st->all_dirty = false;
		st->ndirty = 0;
		return err;
	}
	for (size_t i = 0; i < st->ndirty && !err; i++) {
		if (st->dirty[i].subtree)
			err = xs_update_subtree(st, &st->dirty[i].p, c);
		else
			err = xs_update(st, &st->dirty[i].p, c);
	}
	st->ndirty = 0;
	return err;
}

void fp_xchanges__free(struct fp_xchanges *c)
{
	free(c->v);
	memset(c, 0, sizeof(*c));
}

static int xs_qsort_neigh(const void *a, const void *b)
{
	return xs_neigh_cmp(*(struct fp_xneigh *const *)a,
			    *(struct fp_xneigh *const *)b);
}

/*
 * Duplicates (same identity) keep the last one given, as updates would;
 * the routes that stay are counted by family and length (st->nlen).
 * Routes live in the load's block: only neighbours are freed one by one.
 */
static size_t xs_dedup_routes(struct fp_xstate *st)
{
	struct fp_xroute **v = st->routes;
	size_t j = 0;

	for (size_t i = 0; i < st->nroutes; i++) {
		if (j && !xs_route_cmp(st, v[j - 1], v[i]))
			j--;
		else
			st->nlen[fam_idx(v[i]->dst.family)][v[i]->dst.len]++;
		v[j++] = v[i];
	}
	return j;
}

static size_t xs_dedup_neighs(struct fp_xneigh **v, size_t n)
{
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		if (j && !xs_neigh_cmp(v[j - 1], v[i])) {
			free(v[j - 1]);
			v[j - 1] = v[i];
			continue;
		}
		v[j++] = v[i];
	}
	return j;
}

/* Merges the sorted runs a[lo, mid) and a[mid, hi) into out, stably. */
static void xs_merge(const struct fp_xstate *st, struct fp_xroute **a,
		     struct fp_xroute **out, size_t lo, size_t mid, size_t hi)
{
	size_t i = lo, j = mid, k = lo;

	while (i < mid && j < hi)
		out[k++] = xs_route_cmp(st, a[j], a[i]) < 0 ? a[j++] : a[i++];
	while (i < mid)
		out[k++] = a[i++];
	while (j < hi)
		out[k++] = a[j++];
}

/*
 * The routes in tree order. A dump is one sorted run per family and
 * table (main, then local), so a merge of the runs already there costs
 * a few linear passes where a sort costs n log n comparisons. Stable:
 * of two routes with one identity the later given stays later, and
 * xs_dedup_routes() keeps it. runs: where each run starts, found as the
 * routes came in (while each was at hand), with room for one more.
 */
static int xs_sort_routes(struct fp_xstate *st, size_t *runs, size_t nruns)
{
	struct fp_xroute **a = st->routes, **b;
	size_t n = st->nroutes;
	int err = 0;

	if (nruns <= 1)
		goto out;
	runs[nruns] = n;
	b = malloc(n * sizeof(struct fp_xroute *));
	if (!b) {
		err = -ENOMEM;
		goto out;
	}
	fp_vec__huge(b, n * sizeof(struct fp_xroute *));
	/* Bottom up: neighbouring runs pairwise until one is left. */
	while (nruns > 1) {
		size_t r = 0, m = 0;
		struct fp_xroute **t;

		for (; r + 1 < nruns; r += 2) {
			xs_merge(st, a, b, runs[r], runs[r + 1], runs[r + 2]);
			runs[m++] = runs[r];
		}
		if (r < nruns) {
			memcpy(&b[runs[r]], &a[runs[r]],
			       (n - runs[r]) * sizeof(struct fp_xroute *));
			runs[m++] = runs[r];
		}
		runs[m] = n;
		nruns = m;
		t = a;
		a = b;
		b = t;
	}
	if (a != st->routes) {
		memcpy(st->routes, a, n * sizeof(struct fp_xroute *));
		b = a;
	}
	free(b);
out:
	return err;
}

int fp_xstate__load_take(struct fp_xstate *st, struct fp_xroute *routes,
			 size_t nroutes, const struct fp_xneigh *neighs,
			 size_t nneighs)
{
	size_t *runs = NULL, nruns = 0, rcap = 0;
	int err;

	fp_xstate__clear_inputs(st);
	st->slab = routes;
	st->nslab = nroutes;
	if (nroutes > st->rcap) {
		void *p = realloc(st->routes,
				  nroutes * sizeof(struct fp_xroute *));

		if (!p) {
			err = -ENOMEM;
			goto out_clear;
		}
		st->routes = p;
		st->rcap = nroutes;
		fp_vec__huge(p, nroutes * sizeof(struct fp_xroute *));
	}
	if (nneighs > st->ncap) {
		void *p = realloc(st->neighs,
				  nneighs * sizeof(struct fp_xneigh *));

		if (!p) {
			err = -ENOMEM;
			goto out_clear;
		}
		st->neighs = p;
		st->ncap = nneighs;
	}
	for (size_t i = 0; i < nroutes; i++) {
		struct fp_xroute *r = &routes[i];

		if (xs_route_ignored(st, r))
			continue;
		fp_prefix__mask(&r->dst);
		/* A run of routes in tree order ends before r. */
		if (!st->nroutes ||
		    xs_route_cmp(st, st->routes[st->nroutes - 1], r) > 0) {
			err = fp_vec__grow(&runs, &rcap, nruns + 1,
					   sizeof(*runs));
			if (err)
				goto out_clear;
			runs[nruns++] = st->nroutes;
		}
		st->routes[st->nroutes++] = r;
	}
	for (size_t i = 0; i < nneighs; i++) {
		const struct fp_xneigh *x = &neighs[i];
		struct fp_xneigh *n;

		if ((x->family != AF_INET && x->family != AF_INET6) ||
		    !(x->state & FP_NUD_USABLE))
			continue;
		n = calloc(1, sizeof(*n));
		if (!n) {
			err = -ENOMEM;
			goto out_clear;
		}
		n->family = x->family;
		n->ifindex = x->ifindex;
		n->state = x->state;
		memcpy(n->addr, x->addr, addr_bytes(x->family));
		memcpy(n->lladdr, x->lladdr, 6);
		st->neighs[st->nneighs++] = n;
	}
	err = xs_sort_routes(st, runs, nruns);
	if (err)
		goto out_clear;
	st->nroutes = xs_dedup_routes(st);
	if (st->nneighs) /* none: no array, and qsort wants one */
		qsort(st->neighs, st->nneighs, sizeof(struct fp_xneigh *),
		      xs_qsort_neigh);
	st->nneighs = xs_dedup_neighs(st->neighs, st->nneighs);
	free(runs);
	st->all_dirty = true;
	return 0;
out_clear:
	free(runs);
	/* Frees the block too: it is the state's from the start. */
	fp_xstate__clear_inputs(st);
	return err;
}

int fp_xstate__load(struct fp_xstate *st, const struct fp_xroute *routes,
		    size_t nroutes, const struct fp_xneigh *neighs,
		    size_t nneighs)
{
	struct fp_xroute *copy =
		malloc((nroutes ? nroutes : 1) * sizeof(*copy));

	if (!copy)
		return -ENOMEM;
	if (nroutes)
		memcpy(copy, routes, nroutes * sizeof(*copy));
	return fp_xstate__load_take(st, copy, nroutes, neighs, nneighs);
}
