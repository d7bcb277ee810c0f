// SPDX-License-Identifier: GPL-2.0
/*
 * The forwarding entries as the XDP program reads them, and the one place
 * that writes them (the CLI and sync both come through here).
 *
 * Host routes (/32, /128) live in exact-match hashes that the program
 * looks up first; other prefixes in the LPM tries. Exclusions are
 * compiled in: every entry an exclusion covers carries
 * FP_ROUTE_F_EXCLUDED, and an exclusion with no route at its own prefix
 * is a marker entry (FP_ROUTE_F_MARKER). So one lookup per address
 * decides, and the program never walks fp_excl4/6, which stay the list of
 * exclusions that the flags are computed from.
 *
 * A marker's ifindex is that of the route covering it (0 if none): the
 * destination still goes to the gateway (the flag wins), but a source
 * there is still a VM's, so the anti-spoofing lookup must see the port.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>

#include "fib.h"

/* Map and key bytes for p's entry. */
static int locate(const struct fp_maps *m, const struct fp_prefix *p, void *key)
{
	if (p->family == AF_INET) {
		if (p->len == 32) {
			memcpy(key, p->addr, 4);
			return m->hosts4;
		}
		fp_prefix__to_lpm4(p, key);
		return m->routes4;
	}
	if (p->len == 128) {
		memcpy(key, p->addr, 16);
		return m->hosts6;
	}
	fp_prefix__to_lpm6(p, key);
	return m->routes6;
}

static int excl_key(const struct fp_maps *m, const struct fp_prefix *p,
		    void *key)
{
	if (p->family == AF_INET) {
		fp_prefix__to_lpm4(p, key);
		return m->excl4;
	}
	fp_prefix__to_lpm6(p, key);
	return m->excl6;
}

/* An exclusion at p or at a prefix containing p. */
static bool excluded(const struct fp_maps *m, const struct fp_prefix *p)
{
	struct fp_lpm6 key;
	struct fp_excl ex;
	int fd = excl_key(m, p, &key);

	/* An LPM lookup matches entries no longer than the key's length. */
	return !bpf_map_lookup_elem(fd, &key, &ex);
}

static bool has_exclusion_at(const struct fp_maps *m, const struct fp_prefix *p)
{
	struct fp_lpm6 key;
	int fd = excl_key(m, p, &key);
	void *prev = NULL;
	struct fp_lpm6 k;

	/* The trie's lookup is inexact; walk its keys for this one. */
	while (!bpf_map_get_next_key(fd, prev, &k)) {
		if (!memcmp(&k, &key,
			    p->family == AF_INET ? sizeof(struct fp_lpm4) :
						   sizeof(struct fp_lpm6)))
			return true;
		prev = &k;
	}
	return false;
}

int fp_fib__get(const struct fp_maps *m, const struct fp_prefix *p,
		struct fp_route *rt)
{
	struct fp_lpm6 key;
	int fd = locate(m, p, &key);

	if (bpf_map_lookup_elem(fd, &key, rt))
		return -ENOENT;
	/* An LPM lookup may answer with a shorter, covering entry. */
	return rt->plen == p->len ? 0 : -ENOENT;
}

static int put(const struct fp_maps *m, const struct fp_prefix *p,
	       const struct fp_route *rt, __u64 how)
{
	__u32 family = p->family == AF_INET ? FP_PRESENT_HOSTS4 :
					      FP_PRESENT_HOSTS6;
	struct fp_lpm6 key;
	int fd = locate(m, p, &key);
	__u32 one = 1;

	/*
	 * The program looks into a family's host hash only once it is marked
	 * present: mark it before the first entry lands. Never unmarked: one
	 * key per family, so concurrent writers cannot lose each other's mark.
	 */
	if ((fd == m->hosts4 || fd == m->hosts6) &&
	    bpf_map_update_elem(m->present, &family, &one, BPF_ANY))
		return -errno;
	return bpf_map_update_elem(fd, &key, rt, how) ? -errno : 0;
}

static int drop(const struct fp_maps *m, const struct fp_prefix *p)
{
	struct fp_lpm6 key;
	int fd = locate(m, p, &key);

	return bpf_map_delete_elem(fd, &key) ? -errno : 0;
}

/* The ifindex of the longest entry strictly shorter than p covering it. */
static __u32 covering_ifindex(const struct fp_maps *m,
			      const struct fp_prefix *p)
{
	struct fp_prefix q = *p;
	struct fp_lpm6 key;
	struct fp_route rt;
	int fd;

	if (!p->len)
		return 0;
	q.len--;
	/* A host hash holds only full-length keys: never a cover. */
	if (q.family == AF_INET) {
		fp_prefix__to_lpm4(&q, (struct fp_lpm4 *)&key);
		fd = m->routes4;
	} else {
		fp_prefix__to_lpm6(&q, &key);
		fd = m->routes6;
	}
	return bpf_map_lookup_elem(fd, &key, &rt) ? 0 : rt.ifindex;
}

static struct fp_route marker_at(const struct fp_maps *m,
				 const struct fp_prefix *p)
{
	return (struct fp_route){
		.ifindex = covering_ifindex(m, p),
		.flags = FP_ROUTE_F_EXCLUDED | FP_ROUTE_F_MARKER,
		.plen = p->len,
	};
}

static int by_len(const void *a, const void *b)
{
	return ((const struct fp_prefix *)a)->len -
	       ((const struct fp_prefix *)b)->len;
}

struct excl_list {
	const struct fp_prefix *under;
	struct fp_prefix *v;
	size_t n, cap;
};

static int collect_excl(const struct fp_prefix *p, __u32 class, void *ctx);

/*
 * The markers strictly inside `under` take their ifindex from their cover,
 * which a route change at `under` may have changed; outer ones first, as
 * an inner marker's cover may be an outer marker.
 */
static int refresh_markers(const struct fp_maps *m,
			   const struct fp_prefix *under)
{
	struct excl_list l = { .under = under };
	int err;

	/* Nothing lies strictly inside a host route. */
	if (under->len == (under->family == AF_INET ? 32 : 128))
		return 0;
	err = fp_fib__for_each_exclusion(m, collect_excl, &l);
	if (!err && l.n)
		qsort(l.v, l.n, sizeof(*l.v), by_len);
	for (size_t i = 0; !err && i < l.n; i++) {
		struct fp_route rt, fresh;

		if (fp_fib__get(m, &l.v[i], &rt) ||
		    !(rt.flags & FP_ROUTE_F_MARKER))
			continue;
		fresh = marker_at(m, &l.v[i]);
		if (fresh.ifindex != rt.ifindex)
			err = put(m, &l.v[i], &fresh, BPF_EXIST);
	}
	free(l.v);
	return err;
}

int fp_fib__set(const struct fp_maps *m, const struct fp_prefix *p,
		const struct fp_route *in, bool exclusive)
{
	struct fp_route rt = *in, old;
	bool exists = !fp_fib__get(m, p, &old);
	int err;

	if (exclusive && exists && !(old.flags & FP_ROUTE_F_MARKER))
		return -EEXIST;
	rt.plen = p->len;
	rt.flags = excluded(m, p) ? FP_ROUTE_F_EXCLUDED : 0;
	memset(rt.pad, 0, sizeof(rt.pad));
	err = put(m, p, &rt, BPF_ANY);
	if (err || (exists && old.ifindex == rt.ifindex))
		return err;
	return refresh_markers(m, p);
}

int fp_fib__del(const struct fp_maps *m, const struct fp_prefix *p)
{
	struct fp_route rt;
	int err;

	if (fp_fib__get(m, p, &rt) || (rt.flags & FP_ROUTE_F_MARKER))
		return -ENOENT;
	/* The exclusion at p still needs its marker once the route goes. */
	if (has_exclusion_at(m, p)) {
		struct fp_route marker = marker_at(m, p);

		err = put(m, p, &marker, BPF_EXIST);
	} else {
		err = drop(m, p);
	}
	return err ? err : refresh_markers(m, p);
}

static bool within(const struct fp_prefix *q, const struct fp_prefix *p)
{
	if (q->family != p->family || q->len < p->len)
		return false;
	for (int bit = 0; bit < p->len; bit++) {
		__u8 mask = 0x80 >> (bit % 8);

		if ((q->addr[bit / 8] ^ p->addr[bit / 8]) & mask)
			return false;
	}
	return true;
}

/* Every entry of one map; markers included when all is set. */
static int walk(const struct fp_maps *m, int fd, int family, bool host,
		bool all, fp_fib_fn fn, void *ctx)
{
	__u8 key[sizeof(struct fp_lpm6)], next[sizeof(struct fp_lpm6)];
	void *prev = NULL;
	struct fp_prefix p;
	struct fp_route rt;
	int err;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, sizeof(key));
		prev = key;
		if (bpf_map_lookup_elem(fd, key, &rt))
			continue;
		if (!all && (rt.flags & FP_ROUTE_F_MARKER))
			continue;
		memset(&p, 0, sizeof(p));
		p.family = family;
		if (host) {
			p.len = family == AF_INET ? 32 : 128;
			memcpy(p.addr, key, family == AF_INET ? 4 : 16);
		} else if (family == AF_INET) {
			fp_prefix__from_lpm4((struct fp_lpm4 *)key, &p);
		} else {
			fp_prefix__from_lpm6((struct fp_lpm6 *)key, &p);
		}
		err = fn(&p, &rt, ctx);
		if (err)
			return err;
	}
	return 0;
}

static int walk_all(const struct fp_maps *m, bool all, fp_fib_fn fn, void *ctx)
{
	int err;

	err = walk(m, m->hosts4, AF_INET, true, all, fn, ctx);
	if (!err)
		err = walk(m, m->routes4, AF_INET, false, all, fn, ctx);
	if (!err)
		err = walk(m, m->hosts6, AF_INET6, true, all, fn, ctx);
	if (!err)
		err = walk(m, m->routes6, AF_INET6, false, all, fn, ctx);
	return err;
}

int fp_fib__for_each(const struct fp_maps *m, fp_fib_fn fn, void *ctx)
{
	return walk_all(m, false, fn, ctx);
}

/* Entries inside an exclusion's prefix whose flag must be recomputed. */
struct reflag {
	const struct fp_maps *m;
	const struct fp_prefix *under;
	struct fp_prefix *list;
	size_t n, cap;
};

static int collect(const struct fp_prefix *p, const struct fp_route *rt,
		   void *ctx)
{
	struct reflag *r = ctx;

	(void)rt;
	if (!within(p, r->under))
		return 0;
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		struct fp_prefix *l = realloc(r->list, cap * sizeof(*l));

		if (!l)
			return -ENOMEM;
		r->list = l;
		r->cap = cap;
	}
	r->list[r->n++] = *p;
	return 0;
}

/*
 * Recomputes the flag of every entry at or inside `under`; a marker that
 * no longer has its exclusion goes. Updates only: nothing new is added,
 * so nothing here can fail for a full map.
 */
static int reflag_under(const struct fp_maps *m, const struct fp_prefix *under)
{
	struct reflag r = { .m = m, .under = under };
	int err;

	/* Only the entry itself lies inside a host prefix: skip the walk. */
	if (under->len == (under->family == AF_INET ? 32 : 128))
		err = collect(under, NULL, &r);
	else
		err = walk_all(m, true, collect, &r);
	for (size_t i = 0; !err && i < r.n; i++) {
		struct fp_route rt;
		__u8 flags;

		if (fp_fib__get(m, &r.list[i], &rt))
			continue;
		if ((rt.flags & FP_ROUTE_F_MARKER) &&
		    !has_exclusion_at(m, &r.list[i])) {
			err = drop(m, &r.list[i]);
			continue;
		}
		flags = (rt.flags & FP_ROUTE_F_MARKER) |
			(excluded(m, &r.list[i]) ? FP_ROUTE_F_EXCLUDED : 0);
		if (flags != rt.flags) {
			rt.flags = flags;
			err = put(m, &r.list[i], &rt, BPF_EXIST);
		}
	}
	free(r.list);
	return err;
}

int fp_fib__exclude(const struct fp_maps *m, const struct fp_prefix *p,
		    __u32 class)
{
	struct fp_excl ex = { .class = class };
	struct fp_route rt;
	struct fp_lpm6 key;
	int fd = excl_key(m, p, &key), err;

	if (bpf_map_update_elem(fd, &key, &ex, BPF_NOEXIST))
		return -errno;
	/* The exclusion's own prefix: flag its route, or mark it. */
	if (fp_fib__get(m, p, &rt)) {
		struct fp_route marker = marker_at(m, p);

		err = put(m, p, &marker, BPF_NOEXIST);
		if (err) {
			bpf_map_delete_elem(fd, &key);
			return err;
		}
	}
	return reflag_under(m, p);
}

int fp_fib__unexclude(const struct fp_maps *m, const struct fp_prefix *p)
{
	struct fp_lpm6 key;
	int fd = excl_key(m, p, &key);

	if (bpf_map_delete_elem(fd, &key))
		return -errno;
	return reflag_under(m, p);
}

int fp_fib__for_each_exclusion(const struct fp_maps *m, fp_excl_fn fn,
			       void *ctx)
{
	int fds[2] = { m->excl4, m->excl6 };
	struct fp_prefix p;
	struct fp_excl ex;
	int err;

	for (int f = 0; f < 2; f++) {
		struct fp_lpm6 key, *prev = NULL;

		while (!bpf_map_get_next_key(fds[f], prev, &key)) {
			prev = &key;
			if (bpf_map_lookup_elem(fds[f], &key, &ex))
				continue;
			if (f == 0)
				fp_prefix__from_lpm4((struct fp_lpm4 *)&key,
						     &p);
			else
				fp_prefix__from_lpm6(&key, &p);
			err = fn(&p, ex.class, ctx);
			if (err)
				return err;
		}
	}
	return 0;
}

/* The map an entry at p lives in, for messages. */
const char *fp_fib__map_name(const struct fp_prefix *p)
{
	if (p->family == AF_INET)
		return p->len == 32 ? FP_MAP_HOSTS4 : FP_MAP_ROUTES4;
	return p->len == 128 ? FP_MAP_HOSTS6 : FP_MAP_ROUTES6;
}

static int collect_excl(const struct fp_prefix *p, __u32 class, void *ctx)
{
	struct excl_list *l = ctx;

	(void)class;
	if (!within(p, l->under) || p->len == l->under->len)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct fp_prefix *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *p;
	return 0;
}
