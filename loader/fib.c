// SPDX-License-Identifier: GPL-2.0
/*
 * The forwarding entries as the XDP program reads them, and the one place
 * that writes them (the CLI and sync both come through here).
 *
 * Host routes (/32, /128) live in exact-match hashes that the program
 * looks up first; other prefixes in the LPM tries. Exclusions are
 * compiled in: every entry an exclusion covers carries that exclusion's
 * class in xclasses, and an exclusion with no route at its own prefix
 * is a marker entry (FP_ROUTE_F_MARKER). So one lookup per address
 * decides, and the program never walks fp_excl4/6, which stay the list of
 * exclusions that the flags are computed from.
 *
 * Exclusions are per class: an entry carries the classes of every
 * exclusion covering it (xclasses), and an uplink whose circuit profile
 * accelerates a class ignores it. So a marker copies the route covering
 * it (0 if none): on such an uplink the destination takes that route.
 *
 * Anti-spoofing asks whether a source is a VM's own address: a host entry
 * with a port (FP_ROUTE_F_OWN, computed here, never a marker) or an
 * address inside a VNet's address space. A wider route through a port is
 * a path to addresses that may well be on-premises (a default route, an
 * NVA's next hop), so it makes no source spoofed.
 *
 * The ExpressRoute model (`fastpath apply`) adds two fields: the VNet
 * whose address space holds the entry (fp_vnets4/6), and the circuits in
 * whose fast-path IP budget the entry holds a place (fp_circuits). Places
 * go first come, first served; an entry past a budget goes to the gateway
 * on that circuit, and is counted there. Budget changes print a warning
 * at 80 % and when the budget runs out. When each such entry came is kept
 * beside it (fp_arrival), so that a retag, which walks the maps in hash
 * order, still hands places out by arrival.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>

#include "fib.h"
#include "log.h"
#include "mapio.h"
#include "prefix.h"
#include "vec.h"

#ifndef ENOTSUPP
#define ENOTSUPP 524 /* the kernel's answer for an operation a map lacks */
#endif

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

/* ---- what a batch knows ------------------------------------------------ */

static struct fp_fib_batch *batch_of(const struct fp_maps *m)
{
	return (struct fp_fib_batch *)&m->batch;
}

static int fam_of(const struct fp_prefix *p)
{
	return p->family != AF_INET;
}

static bool may_hold(int fd)
{
	struct fp_lpm6 key;

	return fd > 0 &&
	       (!bpf_map_get_next_key(fd, NULL, &key) || errno != ENOENT);
}

/*
 * Whether the exclusion (VNet) map of p's family may hold an entry: true
 * outside a batch. Inside one the answer was read at its start, and the
 * pin directory's lock keeps it: exclusions are written under the lock,
 * by this unit. VNets are written by apply without it, and apply retags
 * every entry after (fp_fib__retag, a batch of its own that reads anew).
 * This spares the two lookups per route that a table without a model or
 * exclusions would always answer with ENOENT.
 */
static bool may_exclude(const struct fp_maps *m, const struct fp_prefix *p)
{
	const struct fp_fib_batch *b = batch_of(m);

	return !b->depth || b->excl[fam_of(p)];
}

static bool may_be_in_vnet(const struct fp_maps *m, const struct fp_prefix *p)
{
	const struct fp_fib_batch *b = batch_of(m);

	return !b->depth || b->vnets[fam_of(p)];
}

/* The classes of every exclusion at p or containing it, 1 << class. */
static __u8 exclusion_classes(const struct fp_maps *m,
			      const struct fp_prefix *p)
{
	struct fp_prefix q = *p;
	__u8 mask = 0;

	if (!may_exclude(m, p))
		return 0;
	/* An LPM lookup matches entries no longer than the key's length. */
	for (;;) {
		struct fp_lpm6 key;
		struct fp_excl ex;
		int fd = excl_key(m, &q, &key);

		if (bpf_map_lookup_elem(fd, &key, &ex))
			break;
		if (ex.class < FP_CLASS_MAX)
			mask |= 1U << ex.class;
		if (!ex.plen || ex.plen > q.len)
			break;
		q.len = ex.plen - 1;
	}
	return mask;
}

/* The VNet whose address space holds p, 0 if none. */
static __u16 vnet_of(const struct fp_maps *m, const struct fp_prefix *p)
{
	struct fp_lpm6 key;
	struct fp_vnet v;
	int fd;

	if (p->family == AF_INET) {
		fp_prefix__to_lpm4(p, (struct fp_lpm4 *)&key);
		fd = m->vnets4;
	} else {
		fp_prefix__to_lpm6(p, &key);
		fd = m->vnets6;
	}
	if (fd <= 0 || !may_be_in_vnet(m, p) ||
	    bpf_map_lookup_elem(fd, &key, &v) || v.id >= FP_MAX_VNETS)
		return 0;
	return v.id;
}

/* ---- budgets ------------------------------------------------------------ */

struct budget {
	struct fp_circuit c[FP_MAX_CIRCUITS], was[FP_MAX_CIRCUITS];
};

static int budget_load(const struct fp_maps *m, struct budget *b)
{
	__u32 keys[FP_MAX_CIRCUITS], count = FP_MAX_CIRCUITS, next;

	/* One syscall for the whole array; it says ENOENT at its end. */
	if (bpf_map_lookup_batch(m->circuits, NULL, &next, keys, b->c, &count,
				 NULL) &&
	    (errno != ENOENT || count != FP_MAX_CIRCUITS)) {
		for (__u32 i = 0; i < FP_MAX_CIRCUITS; i++)
			if (bpf_map_lookup_elem(m->circuits, &i, &b->c[i]))
				return -errno;
	}
	memcpy(b->was, b->c, sizeof(b->was));
	return 0;
}

static void budget_warn(__u32 i, const struct fp_circuit *was,
			const struct fp_circuit *c)
{
	__u64 mark = ((__u64)c->budget * 8 + 9) / 10; /* 80 %, rounded up */

	if (was->used < mark && c->used >= mark && c->budget)
		pr_warn("circuit %u (uplink ifindex %u): fast-path IP budget "
			"80%% used (%u of %u)\n",
			i + 1, c->ifindex, c->used, c->budget);
	if (!was->over && c->over)
		pr_warn("circuit %u (uplink ifindex %u): fast-path IP budget of "
			"%u used up: new routes go through the gateway\n",
			i + 1, c->ifindex, c->budget);
}

static int budget_store(const struct fp_maps *m, struct budget *b)
{
	for (__u32 i = 0; i < FP_MAX_CIRCUITS; i++) {
		if (!memcmp(&b->c[i], &b->was[i], sizeof(b->c[i])))
			continue;
		if (bpf_map_update_elem(m->circuits, &i, &b->c[i], BPF_EXIST))
			return -errno;
		budget_warn(i, &b->was[i], &b->c[i]);
	}
	return 0;
}

int fp_fib__circuit(const struct fp_maps *m, __u32 id, __u32 ifindex,
		    __u32 budget, struct fp_circuit *old)
{
	struct fp_circuit c = { 0 }, zero = { 0 };
	__u32 key = id - 1;

	if (!id || id > FP_MAX_CIRCUITS)
		return -EINVAL;
	if (bpf_map_lookup_elem(m->circuits, &key, &c))
		return -errno;
	if (old)
		*old = c;
	if (!ifindex && !budget)
		c = zero;
	c.ifindex = ifindex;
	c.budget = budget;
	return bpf_map_update_elem(m->circuits, &key, &c, BPF_ANY) ? -errno : 0;
}

/* ---- arrival order -------------------------------------------------------- */

static struct fp_arrival_key arrival_key(const struct fp_prefix *p)
{
	struct fp_arrival_key k = { .family = p->family, .len = p->len };

	memcpy(k.addr, p->addr, p->family == AF_INET ? 4 : 16);
	return k;
}

/*
 * p arrives now: a ticket after every one given before (the writers'
 * lock is held). Without one (the map full) the entry only queues behind
 * those that have one: not an error worth refusing a route for.
 */
static __u64 arrival_stamp(const struct fp_maps *m, const struct fp_prefix *p)
{
	struct fp_arrival_key k = arrival_key(p), next = { 0 };
	__u64 t = 1, after;

	bpf_map_lookup_elem(m->arrival, &next, &t);
	after = t + 1;
	if (bpf_map_update_elem(m->arrival, &next, &after, BPF_ANY) ||
	    bpf_map_update_elem(m->arrival, &k, &t, BPF_ANY))
		return UINT64_MAX;
	return t;
}

/* When p came, UINT64_MAX if unknown. */
static __u64 arrival_of(const struct fp_maps *m, const struct fp_prefix *p)
{
	struct fp_arrival_key k = arrival_key(p);
	__u64 t;

	return bpf_map_lookup_elem(m->arrival, &k, &t) ? UINT64_MAX : t;
}

static void arrival_forget(const struct fp_maps *m, const struct fp_prefix *p)
{
	struct fp_arrival_key k = arrival_key(p);

	bpf_map_delete_elem(m->arrival, &k);
}

/* Whether a connection lets entries of vnet be fast on circuit i + 1. */
static bool fast_on(const struct fp_maps *m, __u16 vnet, __u32 i, int family)
{
	__u32 idx = FP_CONN_INDEX(vnet, i + 1);
	struct fp_conn conn;

	if (bpf_map_lookup_elem(m->conns, &idx, &conn))
		return false;
	return conn.flags &
	       (family == AF_INET ? FP_CONN_F_FAST4 : FP_CONN_F_FAST6);
}

/* Entries that may hold a place: routes to a port inside a VNet. */
static bool budgeted(const struct fp_route *rt)
{
	return rt->vnet && rt->ifindex &&
	       !(rt->flags & (FP_ROUTE_F_MARKER | FP_ROUTE_F_ONPREM));
}

/*
 * The VNet an entry at p is tagged with: an on-prem destination is in
 * none (a VNet space over it would make its sources spoofed on the way
 * in), whatever the spaces say.
 */
static __u16 entry_vnet(const struct fp_maps *m, const struct fp_prefix *p,
			const struct fp_route *rt)
{
	return rt->flags & FP_ROUTE_F_ONPREM ? 0 : vnet_of(m, p);
}

/* Gives back what old held (places, and its count past a budget). */
static void budget_release(const struct fp_maps *m, struct budget *b,
			   const struct fp_route *old, int family)
{
	if (!budgeted(old))
		return;
	for (__u32 i = 0; i < FP_MAX_CIRCUITS; i++) {
		if (old->circuits & (1U << i)) {
			if (b->c[i].used)
				b->c[i].used--;
		} else if (b->c[i].budget && b->c[i].over &&
			   fast_on(m, old->vnet, i, family)) {
			b->c[i].over--;
		}
	}
}

/* A place for rt in the budget of every circuit it may be fast on. */
static void budget_grant(const struct fp_maps *m, struct budget *b,
			 struct fp_route *rt, int family)
{
	rt->circuits = 0;
	if (!budgeted(rt))
		return;
	for (__u32 i = 0; i < FP_MAX_CIRCUITS; i++) {
		if (!b->c[i].budget || !fast_on(m, rt->vnet, i, family))
			continue;
		if (b->c[i].used < b->c[i].budget) {
			b->c[i].used++;
			rt->circuits |= 1U << i;
		} else {
			b->c[i].over++;
		}
	}
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

/* ---- the anti-spoofing pre-filter (fp_srcfilt) ------------------------ */

/* Whether rt at p is a VM's own address (FP_ROUTE_F_OWN). */
static bool own(const struct fp_prefix *p, const struct fp_route *rt)
{
	return rt->ifindex &&
	       !(rt->flags & (FP_ROUTE_F_MARKER | FP_ROUTE_F_ONPREM)) &&
	       p->len == (p->family == AF_INET ? 32 : 128);
}

/* The fp_srcfilt bits, counted from word 0, that addresses in p map to. */
static void srcfilt_run(const struct fp_prefix *p, __u32 *first, __u32 *n)
{
	__u32 b, base;

	if (p->family == AF_INET) {
		b = fp_srcfilt_block4(p->addr);
		base = FP_SRCFILT_V4 * 64;
		*n = p->len >= 16 ? 1 : 1U << (16 - p->len);
	} else {
		b = fp_srcfilt_bucket6(p->addr);
		base = FP_SRCFILT_V6 * 64;
		/* Up to /32 every bucket: the /48's other 16 bits are free. */
		*n = p->len >= 48 ? 1 :
		     p->len > 32  ? 1U << (48 - p->len) :
				    65536;
	}
	*first = base + (b & ~(*n - 1));
}

/* The mask of the bits of word w in [first, first + n). */
static __u64 run_mask(__u32 w, __u32 first, __u32 n)
{
	__u32 lo = first > w * 64 ? first - w * 64 : 0;
	__u32 hi = first + n - w * 64 < 64 ? first + n - w * 64 : 64;

	return hi - lo == 64 ? ~0ULL : ((1ULL << (hi - lo)) - 1) << lo;
}

/*
 * Clears the bits of p's blocks, so that the program looks its sources up,
 * before an entry with a port lands at p. Never set again: a stale clear
 * bit costs a lookup, never a verdict. Under fp_maps__lock, as the word
 * is read, changed and written back.
 */
static int srcfilt_clear(const struct fp_maps *m, const struct fp_prefix *p)
{
	struct fp_fib_batch *b = batch_of(m);
	__u32 first, n;

	srcfilt_run(p, &first, &n);
	for (__u32 w = first / 64; w <= (first + n - 1) / 64; w++) {
		__u64 mask = run_mask(w, first, n), v;

		/* In a batch nobody else writes it: the last word read holds. */
		if (b->depth && b->sf_known && b->sf_word == w) {
			v = b->sf_bits;
		} else if (bpf_map_lookup_elem(m->srcfilt, &w, &v)) {
			return -errno;
		}
		if (v & mask) {
			v &= ~mask;
			if (bpf_map_update_elem(m->srcfilt, &w, &v, BPF_EXIST))
				return -errno;
		}
		b->sf_known = b->depth > 0;
		b->sf_word = w;
		b->sf_bits = v;
	}
	return 0;
}

/* ---- the compiled table (loader/trie.c) -------------------------------- */

static struct fp_trie *trie_of(const struct fp_maps *m)
{
	return (struct fp_trie *)&m->trie;
}

/* What the program needs of an entry: its result. */
static void result_of_route(const struct fp_route *rt, struct fp_nh *nh)
{
	memset(nh, 0, sizeof(*nh));
	nh->rt.ifindex = rt->ifindex;
	memcpy(nh->rt.dmac, rt->dmac, sizeof(nh->rt.dmac));
	nh->rt.flags = rt->flags & (FP_ROUTE_F_OWN | FP_ROUTE_F_ONPREM);
	nh->rt.xclasses = rt->xclasses;
	nh->rt.vnet = rt->vnet;
	nh->rt.circuits = rt->circuits;
}

/* IPv6 host routes: the program reads fp_hosts6 itself (maps/fastpath.h). */
static bool compiled(const struct fp_prefix *p)
{
	return p->family == AF_INET || p->len < 128;
}

static bool covering_route(const struct fp_maps *m, const struct fp_prefix *p,
			   struct fp_route *rt);

/*
 * The program looks into fp_hosts6 once it is marked present: mark it
 * before the first entry lands. Never unmarked: one key, so concurrent
 * writers cannot lose each other's mark.
 */
static int hosts6_mark(const struct fp_maps *m)
{
	__u32 one = 1, which = FP_PRESENT_HOSTS6;

	if (batch_of(m)->hosts6_marked)
		return 0;
	if (bpf_map_update_elem(m->present, &which, &one, BPF_ANY))
		return -errno;
	batch_of(m)->hosts6_marked = true;
	return 0;
}

/*
 * Writes the entry at p into the table of record, then compiles it; a
 * table full on the way leaves both as they were: old is the entry it
 * replaces (NULL: none), read by the caller under fp_maps__lock.
 */
static int put_over(const struct fp_maps *m, const struct fp_prefix *p,
		    const struct fp_route *rt, __u64 how,
		    const struct fp_route *old)
{
	struct fp_lpm6 key;
	int fd = locate(m, p, &key), err = 0;
	struct fp_nh nh;

	fp_maps__lock(m);
	fp_maps__fib_writing(m);
	if (rt->flags & FP_ROUTE_F_OWN)
		err = srcfilt_clear(m, p);
	if (!err && !compiled(p))
		err = hosts6_mark(m);
	if (!err && bpf_map_update_elem(fd, &key, rt, how))
		err = -errno;
	if (!err && compiled(p)) {
		result_of_route(rt, &nh);
		err = fp_trie__insert(trie_of(m), p, &nh);
		if (err && old)
			bpf_map_update_elem(fd, &key, old, BPF_EXIST);
		else if (err)
			bpf_map_delete_elem(fd, &key);
		if (err == -ENOSPC)
			err = -E2BIG; /* what a full map says: "map is full" */
	}
	fp_maps__unlock(m);
	return err;
}

/* put_over() whatever is at p now. */
static int put(const struct fp_maps *m, const struct fp_prefix *p,
	       const struct fp_route *rt, __u64 how)
{
	struct fp_route old;
	int err;

	fp_maps__lock(m);
	err = put_over(m, p, rt, how, fp_fib__get(m, p, &old) ? NULL : &old);
	fp_maps__unlock(m);
	return err;
}

/* Takes p out of the compiled table (to its cover), then out of record. */
static int drop(const struct fp_maps *m, const struct fp_prefix *p)
{
	struct fp_route cover, old;
	struct fp_lpm6 key;
	int fd = locate(m, p, &key), err;
	struct fp_nh nh;
	bool covered;

	fp_maps__lock(m);
	err = fp_fib__get(m, p, &old);
	if (err)
		goto out;
	fp_maps__fib_writing(m);
	if (!compiled(p)) {
		err = bpf_map_delete_elem(fd, &key) ? -errno : 0;
		goto out;
	}
	covered = covering_route(m, p, &cover);
	if (covered)
		result_of_route(&cover, &nh);
	err = fp_trie__remove(trie_of(m), p, covered ? &nh : NULL,
			      covered ? cover.plen : 0);
	if (err) {
		err = err == -ENOSPC ? -E2BIG : err;
		goto out;
	}
	if (bpf_map_delete_elem(fd, &key)) {
		err = -errno;
		result_of_route(&old, &nh);
		fp_trie__insert(trie_of(m), p, &nh);
	}
out:
	fp_maps__unlock(m);
	return err;
}

/* The longest route strictly shorter than p covering it, if any. */
static bool covering_route(const struct fp_maps *m, const struct fp_prefix *p,
			   struct fp_route *rt)
{
	struct fp_prefix q = *p;
	struct fp_lpm6 key;
	int fd;

	if (!p->len)
		return false;
	q.len--;
	/* A host hash holds only full-length keys: never a cover. */
	if (q.family == AF_INET) {
		fp_prefix__to_lpm4(&q, (struct fp_lpm4 *)&key);
		fd = m->routes4;
	} else {
		fp_prefix__to_lpm6(&q, &key);
		fd = m->routes6;
	}
	return !bpf_map_lookup_elem(fd, &key, rt);
}

/* An exclusion's own entry when no route is at its prefix. */
static struct fp_route marker_at(const struct fp_maps *m,
				 const struct fp_prefix *p)
{
	struct fp_route cover, rt = { 0 };

	/* A cover that is itself a marker is already a copy of its route. */
	if (covering_route(m, p, &cover) && cover.ifindex) {
		rt.ifindex = cover.ifindex;
		memcpy(rt.dmac, cover.dmac, sizeof(rt.dmac));
		rt.origin = cover.origin;
		rt.circuits = cover.circuits;
		/* Inside an on-prem route it is one too, never a VM's. */
		rt.flags = cover.flags & FP_ROUTE_F_ONPREM;
	}
	rt.xclasses = exclusion_classes(m, p);
	rt.flags |= FP_ROUTE_F_MARKER;
	rt.plen = p->len;
	rt.vnet = entry_vnet(m, p, &rt);
	return rt;
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
		if (memcmp(&fresh, &rt, sizeof(rt)))
			err = put(m, &l.v[i], &fresh, BPF_EXIST);
	}
	free(l.v);
	return err;
}

/*
 * The anti-spoofing pre-filter is set up by the first write of a process,
 * once per pin set (its control word remembers): until then the program
 * looks up every source, which costs a lookup, never a verdict.
 */
static void srcfilt_ready(const struct fp_maps *m)
{
	struct fp_fib_batch *b = batch_of(m);
	int err;

	if (b->sf_ready)
		return;
	b->sf_ready = true; /* before: the set-up writes through here too */
	err = fp_fib__srcfilt_init(m);
	if (err)
		pr_warn("%s: anti-spoofing pre-filter off: %s\n",
			FP_MAP_SRCFILT, strerror(-err));
}

int fp_fib__set(const struct fp_maps *m, const struct fp_prefix *p,
		const struct fp_route *in, bool exclusive)
{
	struct fp_route rt = *in, old;
	bool exists, model;
	struct budget b;
	int err;

	srcfilt_ready(m);
	fp_maps__lock(m);
	rt.plen = p->len;
	rt.xclasses = exclusion_classes(m, p);
	rt.flags = in->flags & FP_ROUTE_F_ONPREM; /* the writer's */
	if (own(p, &rt))
		rt.flags |= FP_ROUTE_F_OWN;
	rt.vnet = entry_vnet(m, p, &rt);
	rt.pad = 0;
	rt.circuits = 0;
	/*
	 * Most entries a table gets are new and hold no budget place: one
	 * write that fails if anything is there, rather than a lookup first.
	 */
	if (!budgeted(&rt)) {
		err = put_over(m, p, &rt, BPF_NOEXIST, NULL);
		if (err != -EEXIST) {
			if (!err)
				err = refresh_markers(m, p);
			goto out;
		}
	}
	exists = !fp_fib__get(m, p, &old);
	if (exclusive && exists && !(old.flags & FP_ROUTE_F_MARKER)) {
		err = -EEXIST;
		goto out;
	}
	/* Outside every VNet (the common case without a model): no budget. */
	model = budgeted(&rt) || (exists && budgeted(&old));
	if (model) {
		err = budget_load(m, &b);
		if (err)
			goto out;
		if (exists)
			budget_release(m, &b, &old, p->family);
		budget_grant(m, &b, &rt, p->family);
	}
	err = put_over(m, p, &rt, BPF_ANY, exists ? &old : NULL);
	if (!err && model)
		err = budget_store(m, &b);
	/* Rewritten in its VNet, an entry is no newcomer. */
	if (!err && budgeted(&rt) &&
	    !(exists && budgeted(&old) && old.vnet == rt.vnet))
		arrival_stamp(m, p);
	else if (!err && !budgeted(&rt) && exists && budgeted(&old))
		arrival_forget(m, p);
	if (!err && !(exists && !memcmp(&old, &rt, sizeof(rt))))
		err = refresh_markers(m, p);
out:
	fp_maps__unlock(m);
	return err;
}

int fp_fib__del(const struct fp_maps *m, const struct fp_prefix *p)
{
	struct fp_route rt;
	struct budget b;
	bool model;
	int err;

	fp_maps__lock(m);
	if (fp_fib__get(m, p, &rt) || (rt.flags & FP_ROUTE_F_MARKER)) {
		err = -ENOENT;
		goto out;
	}
	model = budgeted(&rt);
	if (model) {
		err = budget_load(m, &b);
		if (err)
			goto out;
		budget_release(m, &b, &rt, p->family);
	}
	/* The exclusion at p still needs its marker once the route goes. */
	if (has_exclusion_at(m, p)) {
		struct fp_route marker = marker_at(m, p);

		err = put(m, p, &marker, BPF_EXIST);
	} else {
		err = drop(m, p);
	}
	if (!err && model) {
		err = budget_store(m, &b);
		arrival_forget(m, p);
	}
	if (!err)
		err = refresh_markers(m, p);
	/* A freed place goes to an entry waiting past the budget. */
	for (__u32 i = 0; model && !err && i < FP_MAX_CIRCUITS; i++)
		if (b.c[i].over && b.c[i].used < b.c[i].budget) {
			err = fp_fib__retag(m);
			break;
		}
out:
	fp_maps__unlock(m);
	return err;
}

/* ---- many entries at once (sync) ---------------------------------------- */

#define SET_CHUNK 4096 /* entries per batched update of a host hash */

/*
 * Whether p's entry may be written in a batched update: a host route (no
 * marker lies inside it, nothing to refresh), in a batch that read at its
 * start that no exclusion and no VNet of p's family exists, so the entry
 * has no classes, no VNet and no budget place: for an entry not there
 * yet, fp_fib__set would compute nothing but its flags and write it.
 */
static bool batchable(const struct fp_maps *m, const struct fp_prefix *p)
{
	return batch_of(m)->depth && !may_exclude(m, p) &&
	       !may_be_in_vnet(m, p) &&
	       p->len == (p->family == AF_INET ? 32 : 128);
}

/* The entry fp_fib__set would write for a batchable in at p. */
static void plain_host(const struct fp_prefix *p, const struct fp_route *in,
		       struct fp_route *rt)
{
	*rt = *in;
	fp_fib__plain(rt);
	rt->plen = p->len;
	if (own(p, rt))
		rt->flags |= FP_ROUTE_F_OWN;
}

struct run_buf {
	__u8 keys[SET_CHUNK * 16];
	struct fp_route vals[SET_CHUNK];
	bool no_batch; /* the kernel has no batched update for the hash */
};

/*
 * e[0..n), batchable and of one family, n <= SET_CHUNK: as many as one
 * batched update takes, compiled as put_over() does, then the first one
 * it refused through fp_fib__set. Returns how many have an outcome in res
 * (at least one); *hard when one failed for another reason than room,
 * after which nothing more was written.
 */
static size_t set_run(const struct fp_maps *m, const struct fp_fib_entry *e,
		      size_t n, int *res, struct run_buf *b, bool *hard)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	int family = e[0].prefix.family, fd, err = 0;
	size_t ksz = family == AF_INET ? 4 : 16;
	__u32 count = 0;
	struct fp_nh nh;

	fd = family == AF_INET ? m->hosts4 : m->hosts6;
	/* What put_over() does before its write, for every entry first. */
	fp_maps__fib_writing(m);
	if (family != AF_INET)
		err = hosts6_mark(m);
	for (; !err && !b->no_batch && count < n; count++) {
		plain_host(&e[count].prefix, &e[count].rt, &b->vals[count]);
		if ((b->vals[count].flags & FP_ROUTE_F_OWN) &&
		    srcfilt_clear(m, &e[count].prefix))
			break;
		memcpy(b->keys + count * ksz, e[count].prefix.addr, ksz);
	}
	if (err || b->no_batch)
		count = 0;
	/*
	 * It stops at the first entry it refuses, count says where; a kernel
	 * without it, or one refusing the call, says EINVAL before any and
	 * leaves count alone.
	 */
	if (count &&
	    bpf_map_update_batch(fd, b->keys, b->vals, &count, &opts) &&
	    (errno == EINVAL || errno == ENOTSUPP || errno == EOPNOTSUPP)) {
		b->no_batch = true;
		count = 0;
	}
	for (__u32 i = 0; i < count; i++) {
		res[i] = 0;
		if (family != AF_INET)
			continue;
		result_of_route(&b->vals[i], &nh);
		res[i] = fp_trie__insert(trie_of(m), &e[i].prefix, &nh);
		if (!res[i])
			continue;
		/* Out of the record again, as put_over() leaves it. */
		bpf_map_delete_elem(fd, b->keys + i * ksz);
		if (res[i] == -ENOSPC)
			res[i] = -E2BIG;
		if (fp_map__full(res[i]))
			continue;
		/* The one-entry path stops here: the rest were never written. */
		*hard = true;
		for (__u32 k = i + 1; k < count; k++)
			bpf_map_delete_elem(fd, b->keys + k * ksz);
		return i + 1;
	}
	if (count == n)
		return count;
	res[count] = fp_fib__set(m, &e[count].prefix, &e[count].rt, false);
	*hard = res[count] && !fp_map__full(res[count]);
	return count + 1;
}

size_t fp_fib__set_many(const struct fp_maps *m, const struct fp_fib_entry *e,
			size_t n, int *res)
{
	struct run_buf *b = NULL;
	bool hard = false;
	size_t i = 0, j;

	fp_maps__lock(m);
	while (i < n && !hard) {
		if (!b && batchable(m, &e[i].prefix))
			b = calloc(1, sizeof(*b));
		if (!b || !batchable(m, &e[i].prefix)) {
			res[i] = fp_fib__set(m, &e[i].prefix, &e[i].rt, false);
			hard = res[i] && !fp_map__full(res[i]);
			i++;
			continue;
		}
		for (j = i + 1; j < n && j - i < SET_CHUNK &&
				e[j].prefix.family == e[i].prefix.family &&
				batchable(m, &e[j].prefix);
		     j++)
			;
		i += set_run(m, e + i, j - i, res + i, b, &hard);
	}
	free(b);
	fp_maps__unlock(m);
	return i;
}

/* Hands p and its entry to fn, unless a marker that all leaves out. */
static int visit(const void *key, int family, bool host, bool all,
		 const struct fp_route *rt, fp_fib_fn fn, void *ctx)
{
	struct fp_prefix p;

	if (!all && (rt->flags & FP_ROUTE_F_MARKER))
		return 0;
	memset(&p, 0, sizeof(p));
	p.family = family;
	if (host) {
		p.len = family == AF_INET ? 32 : 128;
		memcpy(p.addr, key, family == AF_INET ? 4 : 16);
	} else if (family == AF_INET) {
		fp_prefix__from_lpm4(key, &p);
	} else {
		fp_prefix__from_lpm6(key, &p);
	}
	return fn(&p, rt, ctx);
}

#define WALK_CHUNK 4096 /* entries per batched read of a host hash */

/*
 * A host hash in chunks of WALK_CHUNK entries per syscall (a 1M-entry
 * table: 250 reads rather than 2M); -EOPNOTSUPP from a kernel without
 * batched reads, before any entry was handed out.
 */
static int walk_hash(int fd, int family, bool all, fp_fib_fn fn, void *ctx)
{
	size_t ksz = family == AF_INET ? 4 : 16;
	__u32 in, out, n;
	struct fp_route *vals;
	bool first = true;
	__u8 *keys;
	int err = 0;

	/* Zeroed: valgrind does not know the batch syscall fills them. */
	keys = calloc(WALK_CHUNK, ksz);
	vals = calloc(WALK_CHUNK, sizeof(*vals));
	while (keys && vals && !err) {
		n = WALK_CHUNK;
		if (bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys,
					 vals, &n, NULL))
			err = -errno;
		if (err && err != -ENOENT) {
			n = 0;
			if (first && (err == -EINVAL || err == -ENOTSUPP))
				err = -EOPNOTSUPP;
		}
		for (__u32 i = 0; i < n && (!err || err == -ENOENT); i++) {
			int e = visit(keys + i * ksz, family, true, all,
				      &vals[i], fn, ctx);

			err = e ? e : err;
		}
		first = false;
		in = out;
	}
	if (!keys || !vals)
		err = -ENOMEM;
	free(keys);
	free(vals);
	return err == -ENOENT ? 0 : err;
}

/* Every entry of one map; markers included when all is set. */
static int walk(const struct fp_maps *m, int fd, int family, bool host,
		bool all, fp_fib_fn fn, void *ctx)
{
	__u8 key[sizeof(struct fp_lpm6)], next[sizeof(struct fp_lpm6)];
	void *prev = NULL;
	struct fp_route rt;
	int err;

	if (host) {
		err = walk_hash(fd, family, all, fn, ctx);
		if (err != -EOPNOTSUPP)
			return err;
	}
	/* LPM tries have no batched reads. */
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, sizeof(key));
		prev = key;
		if (bpf_map_lookup_elem(fd, key, &rt))
			continue;
		err = visit(key, family, host, all, &rt, fn, ctx);
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
	if (!fp_prefix__within(p, r->under))
		return 0;
	if (fp_vec__grow(&r->list, &r->cap, r->n, sizeof(*r->list)))
		return -ENOMEM;
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
		__u8 classes;

		if (fp_fib__get(m, &r.list[i], &rt))
			continue;
		if ((rt.flags & FP_ROUTE_F_MARKER) &&
		    !has_exclusion_at(m, &r.list[i])) {
			err = drop(m, &r.list[i]);
			continue;
		}
		classes = exclusion_classes(m, &r.list[i]);
		if (classes != rt.xclasses) {
			rt.xclasses = classes;
			err = put(m, &r.list[i], &rt, BPF_EXIST);
		}
	}
	free(r.list);
	return err;
}

int fp_fib__exclude(const struct fp_maps *m, const struct fp_prefix *p,
		    __u32 class)
{
	struct fp_excl ex = { .class = class, .plen = p->len };
	struct fp_route rt;
	struct fp_lpm6 key;
	int fd = excl_key(m, p, &key), err;

	/* Whole, under the lock: a batch holding it trusts may_exclude(). */
	fp_maps__lock(m);
	if (bpf_map_update_elem(fd, &key, &ex, BPF_NOEXIST)) {
		err = -errno;
		goto out;
	}
	batch_of(m)->excl[fam_of(p)] = true;
	/* The exclusion's own prefix: flag its route, or mark it. */
	if (fp_fib__get(m, p, &rt)) {
		struct fp_route marker = marker_at(m, p);

		err = put(m, p, &marker, BPF_NOEXIST);
		if (err) {
			bpf_map_delete_elem(fd, &key);
			goto out;
		}
	}
	err = reflag_under(m, p);
out:
	fp_maps__unlock(m);
	return err;
}

int fp_fib__unexclude(const struct fp_maps *m, const struct fp_prefix *p)
{
	struct fp_lpm6 key;
	int fd = excl_key(m, p, &key), err;

	fp_maps__lock(m);
	err = bpf_map_delete_elem(fd, &key) ? -errno : reflag_under(m, p);
	fp_maps__unlock(m);
	return err;
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

struct entry {
	struct fp_prefix p;
	struct fp_route rt, was;
	__u64 arrival; /* fp_arrival's ticket, UINT64_MAX if none */
};

struct entries {
	struct entry *v;
	size_t n, cap;
};

static int collect_entry(const struct fp_prefix *p, const struct fp_route *rt,
			 void *ctx)
{
	struct entries *l = ctx;

	if (fp_vec__grow(&l->v, &l->cap, l->n, sizeof(*l->v)))
		return -ENOMEM;
	l->v[l->n].p = *p;
	l->v[l->n].rt = *rt;
	l->v[l->n].was = *rt;
	l->n++;
	return 0;
}

static int srcfilt_used(const struct fp_prefix *p, const struct fp_route *rt,
			void *ctx)
{
	__u64 *used = ctx;
	__u32 first, n;

	if (!(rt->flags & FP_ROUTE_F_OWN))
		return 0;
	srcfilt_run(p, &first, &n);
	for (__u32 w = first / 64; w <= (first + n - 1) / 64; w++)
		used[w] |= run_mask(w, first, n);
	return 0;
}

/* The blocks of every VNet address space (fp_vnets4/6). */
static void srcfilt_spaces(const struct fp_maps *m, __u64 *used)
{
	int fds[2] = { m->vnets4, m->vnets6 };
	struct fp_route own_rt = { .flags = FP_ROUTE_F_OWN };

	for (int f = 0; f < 2; f++) {
		struct fp_lpm6 key, *prev = NULL;
		struct fp_prefix p;

		if (fds[f] <= 0)
			continue;
		while (!bpf_map_get_next_key(fds[f], prev, &key)) {
			prev = &key;
			if (f == 0)
				fp_prefix__from_lpm4((struct fp_lpm4 *)&key,
						     &p);
			else
				fp_prefix__from_lpm6(&key, &p);
			srcfilt_used(&p, &own_rt, used);
		}
	}
}

/* Host entries written before FP_ROUTE_F_OWN existed. */
static int collect_unflagged(const struct fp_prefix *p,
			     const struct fp_route *rt, void *ctx)
{
	return own(p, rt) && !(rt->flags & FP_ROUTE_F_OWN) ?
		       collect_entry(p, rt, ctx) :
		       0;
}

/* Flags every own host entry that lacks FP_ROUTE_F_OWN, in one batch. */
static int flag_own(const struct fp_maps *m)
{
	struct entries l = { 0 };
	int err, ret;

	fp_fib__batch_begin(m);
	err = walk(m, m->hosts4, AF_INET, true, false, collect_unflagged, &l);
	if (!err)
		err = walk(m, m->hosts6, AF_INET6, true, false,
			   collect_unflagged, &l);
	for (size_t k = 0; !err && k < l.n; k++) {
		l.v[k].rt.flags |= FP_ROUTE_F_OWN;
		err = put(m, &l.v[k].p, &l.v[k].rt, BPF_EXIST);
	}
	ret = fp_fib__batch_end(m);
	free(l.v);
	return err ? err : ret;
}

int fp_fib__srcfilt_init(const struct fp_maps *m)
{
	__u32 ctl_key = FP_SRCFILT_CTL;
	__u64 ctl, *used = NULL;
	int err;

	fp_maps__lock(m);
	if (bpf_map_lookup_elem(m->srcfilt, &ctl_key, &ctl)) {
		err = -errno;
		goto out;
	}
	err = 0;
	if (ctl & FP_SRCFILT_F_OWN)
		goto out;
	used = calloc(FP_SRCFILT_CTL, sizeof(*used));
	if (!used) {
		err = -ENOMEM;
		goto out;
	}
	/*
	 * Holding the lock: no writer adds an entry or an address space
	 * behind the walk's back. Pins of a build before the own-address
	 * rule get their host entries flagged first, as the walk reads them.
	 */
	err = flag_own(m);
	if (!err)
		err = walk_all(m, true, srcfilt_used, used);
	if (!err)
		srcfilt_spaces(m, used);
	for (__u32 w = 0; !err && w < FP_SRCFILT_CTL; w++) {
		__u64 v = ~used[w];

		if (bpf_map_update_elem(m->srcfilt, &w, &v, BPF_EXIST))
			err = -errno;
	}
	ctl |= FP_SRCFILT_F_INIT | FP_SRCFILT_F_OWN;
	if (!err && bpf_map_update_elem(m->srcfilt, &ctl_key, &ctl, BPF_EXIST))
		err = -errno;
out:
	fp_maps__unlock(m);
	free(used);
	return err;
}

int fp_fib__srcfilt_space(const struct fp_maps *m, const struct fp_prefix *p)
{
	int err;

	srcfilt_ready(m);
	fp_maps__lock(m);
	err = srcfilt_clear(m, p);
	fp_maps__unlock(m);
	return err;
}

void fp_fib__batch_begin(const struct fp_maps *m)
{
	struct fp_fib_batch *b = batch_of(m);

	if (!b->depth)
		srcfilt_ready(m);
	fp_maps__lock(m);
	fp_trie__hold(trie_of(m));
	if (b->depth++)
		return;
	b->sf_known = false;
	b->excl[0] = may_hold(m->excl4);
	b->excl[1] = may_hold(m->excl6);
	b->vnets[0] = may_hold(m->vnets4);
	b->vnets[1] = may_hold(m->vnets6);
}

int fp_fib__batch_end(const struct fp_maps *m)
{
	int err = fp_trie__release(trie_of(m));

	batch_of(m)->depth--;
	fp_maps__unlock(m);
	return err;
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
	if (!fp_prefix__within(p, l->under) || p->len == l->under->len)
		return 0;
	if (fp_vec__grow(&l->v, &l->cap, l->n, sizeof(*l->v)))
		return -ENOMEM;
	l->v[l->n++] = *p;
	return 0;
}

/* ---- the whole table against a changed model -------------------------- */

static int entry_by_arrival(const void *a, const void *b)
{
	__u64 x = ((const struct entry *)a)->arrival;
	__u64 y = ((const struct entry *)b)->arrival;

	return x < y ? -1 : x > y;
}

static int entry_by_len(const void *a, const void *b)
{
	return by_len(&((const struct entry *)a)->p,
		      &((const struct entry *)b)->p);
}

/* fp_conns flags of every VNet on every circuit, in one array. */
static int load_conns(const struct fp_maps *m, __u32 *flags)
{
	struct fp_conn conn;

	for (__u32 i = 0; i < FP_CONN_SLOTS; i++) {
		if (bpf_map_lookup_elem(m->conns, &i, &conn))
			return -errno;
		flags[i] = conn.flags;
	}
	return 0;
}

static bool may_take(const __u32 *conns, const struct entry *e, __u32 i)
{
	__u32 want = e->p.family == AF_INET ? FP_CONN_F_FAST4 : FP_CONN_F_FAST6;

	return budgeted(&e->rt) &&
	       (conns[FP_CONN_INDEX(e->rt.vnet, i + 1)] & want);
}

int fp_fib__retag(const struct fp_maps *m)
{
	struct entries l = { 0 };
	size_t markers = 0;
	__u32 *conns;
	struct budget b;
	int err, ret;

	conns = calloc(FP_CONN_SLOTS, sizeof(*conns));
	if (!conns)
		return -ENOMEM;
	/* Every entry may change: one batch, the compiled table at its end. */
	fp_fib__batch_begin(m);
	err = load_conns(m, conns);
	if (!err)
		err = budget_load(m, &b);
	if (!err)
		err = walk_all(m, true, collect_entry, &l);
	if (err)
		goto out;
	for (__u32 i = 0; i < FP_MAX_CIRCUITS; i++)
		b.c[i].used = b.c[i].over = 0;
	for (size_t k = 0; k < l.n; k++) {
		struct entry *e = &l.v[k];
		__u16 vnet = entry_vnet(m, &e->p, &e->rt);
		bool stays = vnet == e->rt.vnet;

		/* A place is kept only by an entry that stays in its VNet. */
		if (!stays)
			e->rt.circuits = 0;
		e->rt.vnet = vnet;
		e->arrival = UINT64_MAX;
		if (budgeted(&e->rt) && budgeted(&e->was) && stays)
			e->arrival = arrival_of(m, &e->p);
		else if (budgeted(&e->was))
			arrival_forget(m, &e->p);
	}
	/* Into a VNet (or another one), an entry arrives now. */
	for (size_t k = 0; k < l.n; k++)
		if (budgeted(&l.v[k].rt) && l.v[k].arrival == UINT64_MAX)
			l.v[k].arrival = arrival_stamp(m, &l.v[k].p);
	/* First come, first served, whatever order the walk took. */
	for (__u32 i = 0; i < FP_MAX_CIRCUITS; i++)
		if (b.c[i].budget) {
			qsort(l.v, l.n, sizeof(*l.v), entry_by_arrival);
			break;
		}
	/* Entries that held a place keep it: new ones queue behind them. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t k = 0; k < l.n; k++) {
			struct entry *e = &l.v[k];

			if (e->rt.flags & FP_ROUTE_F_MARKER)
				continue;
			for (__u32 i = 0; i < FP_MAX_CIRCUITS; i++) {
				__u16 bit = 1U << i;
				bool held = e->was.circuits & bit &&
					    e->was.vnet == e->rt.vnet;

				if (pass == 0 && !held)
					continue;
				if (pass == 1 && held)
					continue;
				e->rt.circuits &= ~bit;
				if (!b.c[i].budget || !may_take(conns, e, i))
					continue;
				/* Each entry meets each circuit in one pass. */
				if (b.c[i].used < b.c[i].budget) {
					b.c[i].used++;
					e->rt.circuits |= bit;
				} else {
					b.c[i].over++;
				}
			}
		}
	}
	for (size_t k = 0; !err && k < l.n; k++) {
		struct entry *e = &l.v[k];

		if (!(e->rt.flags & FP_ROUTE_F_MARKER) &&
		    memcmp(&e->rt, &e->was, sizeof(e->rt)))
			err = put(m, &e->p, &e->rt, BPF_EXIST);
	}
	if (!err)
		err = budget_store(m, &b);
	/*
	 * Markers copy their covers, and a cover may be an outer marker: so
	 * outer ones first, or an inner one copies what its cover was before
	 * this retag. The walk gives host maps first and a trie more specific
	 * first, so take the markers out and sort them by length.
	 */
	for (size_t k = 0; k < l.n; k++)
		if (l.v[k].rt.flags & FP_ROUTE_F_MARKER)
			l.v[markers++] = l.v[k];
	if (!err && markers)
		qsort(l.v, markers, sizeof(*l.v), entry_by_len);
	for (size_t k = 0; !err && k < markers; k++) {
		struct entry *e = &l.v[k];
		struct fp_route fresh;

		fresh = marker_at(m, &e->p);
		if (memcmp(&fresh, &e->was, sizeof(fresh)))
			err = put(m, &e->p, &fresh, BPF_EXIST);
	}
out:
	ret = fp_fib__batch_end(m);
	free(l.v);
	free(conns);
	return err ? err : ret;
}
