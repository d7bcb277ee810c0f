// SPDX-License-Identifier: GPL-2.0
/*
 * loader/fib.c against a naive model: random sequences of route sets and
 * deletes, exclusions and their removal, in any order, on small prefix
 * pools; after every step every address of the pool is looked up in the
 * maps the way the XDP program does (host hash, then LPM) and compared with
 * what the plain lists say: excluded or not, which port, and which port a
 * source there belongs to (anti-spoofing).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fastpath.skel.h"
#include "harness.h"
#include "fib.h"
#include "mapio.h"
#include "parse.h"

#define POOL 24 /* prefixes per family and kind */

struct model {
	struct fp_prefix routes[POOL];
	__u32 route_if[POOL]; /* 0: not present; shadows use 1000 + i */
	bool route_on[POOL];
	struct fp_prefix excl[POOL];
	bool excl_on[POOL];
};

static int setup(void **state)
{
	struct fp_maps *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	assert_int_equal(fp_test__maps(m, 0, 0), 0);
	*state = m;
	return 0;
}

static int teardown(void **state)
{
	fp_maps__close(*state);
	free(*state);
	return 0;
}

static bool same(const struct fp_prefix *a, const struct fp_prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

static bool within(const struct fp_prefix *q, const struct fp_prefix *p)
{
	if (q->family != p->family || q->len < p->len)
		return false;
	for (int bit = 0; bit < p->len; bit++)
		if ((q->addr[bit / 8] ^ p->addr[bit / 8]) & (0x80 >> (bit % 8)))
			return false;
	return true;
}

/* A random prefix of family inside a small space, host bits cleared. */
static void random_prefix(int family, struct fp_prefix *p, unsigned int *seed)
{
	static const int lens4[] = { 15, 16, 22, 24, 25, 30, 32, 32 };
	static const int lens6[] = { 32, 48, 56, 64, 120, 127, 128, 128 };
	int max = family == AF_INET ? 32 : 128;

	memset(p, 0, sizeof(*p));
	p->family = family;
	if (family == AF_INET) {
		p->addr[0] = 198;
		p->addr[1] = 18 + (rand_r(seed) & 1);
		p->addr[2] = rand_r(seed) & 3;
		p->addr[3] = rand_r(seed) & 7;
		p->len = lens4[rand_r(seed) % 8];
	} else {
		p->addr[0] = 0x20;
		p->addr[1] = 0x01;
		p->addr[2] = 0x0d;
		p->addr[3] = 0xb8;
		p->addr[7] = rand_r(seed) & 1;
		p->addr[15] = rand_r(seed) & 7;
		p->len = lens6[rand_r(seed) % 8];
	}
	for (int bit = p->len; bit < max; bit++)
		p->addr[bit / 8] &= ~(0x80 >> (bit % 8));
}

/* What the program would find for a host address: host hash, then LPM. */
static bool lookup(const struct fp_maps *m, const struct fp_prefix *a,
		   struct fp_route *rt)
{
	struct fp_lpm6 key;

	if (a->family == AF_INET) {
		if (!bpf_map_lookup_elem(m->hosts4, a->addr, rt))
			return true;
		fp_prefix__to_lpm4(a, (struct fp_lpm4 *)&key);
		return !bpf_map_lookup_elem(m->routes4, &key, rt);
	}
	if (!bpf_map_lookup_elem(m->hosts6, a->addr, rt))
		return true;
	fp_prefix__to_lpm6(a, &key);
	return !bpf_map_lookup_elem(m->routes6, &key, rt);
}

/*
 * What the program finds for a host address in the compiled trie, read
 * from the kernel's maps as it reads them (so the writes really landed):
 * the result, or an empty one for none.
 */
static void compiled(const struct fp_maps *m, const struct fp_prefix *a,
		     struct fp_nh *nh)
{
	int fd = a->family == AF_INET ? m->trie4 : m->trie6;
	int depth = a->family == AF_INET ? 2 : 14;
	__u32 key = (__u32)a->addr[0] << 8 | a->addr[1], v, id;

	memset(nh, 0, sizeof(*nh));
	/* IPv6 host routes are read from fp_hosts6 first. */
	if (a->family == AF_INET6 &&
	    !bpf_map_lookup_elem(m->hosts6, a->addr, &nh->rt))
		return;
	assert_int_equal(bpf_map_lookup_elem(fd, &key, &v), 0);
	for (int d = 1; d <= depth && v & FP_LEAF_PLY; d++) {
		key = (v & FP_LEAF_PLY_MASK) << 8 | a->addr[1 + d];
		assert_int_equal(bpf_map_lookup_elem(fd, &key, &v), 0);
	}
	assert_false(v & FP_LEAF_PLY);
	id = v & FP_LEAF_NH_MASK;
	if (id)
		assert_int_equal(bpf_map_lookup_elem(m->nh, &id, nh), 0);
}

/* The plain answer: longest route, any exclusion. */
static void expect(const struct model *md, const struct fp_prefix *a,
		   bool *excluded, __u32 *ifindex)
{
	int best = -1;

	*excluded = false;
	for (int i = 0; i < POOL; i++) {
		if (md->excl_on[i] && within(a, &md->excl[i]))
			*excluded = true;
		if (md->route_on[i] && within(a, &md->routes[i]) &&
		    (best < 0 || md->routes[i].len > md->routes[best].len))
			best = i;
	}
	*ifindex = best < 0 ? 0 : md->route_if[best];
}

static void check_all(const struct fp_maps *m, const struct model *md,
		      int family, int step)
{
	char buf[FP_PREFIX_STRLEN];
	struct fp_prefix a;
	struct fp_route rt;
	struct fp_nh nh;
	__u32 want_if;
	bool want_ex, found;

	/* Every address the pools can name: the corners of each prefix. */
	for (int i = 0; i < 2 * POOL; i++) {
		const struct fp_prefix *p = i < POOL ? &md->routes[i] :
						       &md->excl[i - POOL];

		a = *p;
		a.len = family == AF_INET ? 32 : 128;
		expect(md, &a, &want_ex, &want_if);
		found = lookup(m, &a, &rt);
		fp_format_prefix(&a, buf, sizeof(buf));
		if (want_ex != (found && rt.xclasses))
			fail_msg("step %d, %s: excluded expected %d, saw %d",
				 step, buf, want_ex, found && rt.xclasses);
		/* The source side: the port of the covering route, 0 if none. */
		if ((found ? rt.ifindex : 0) != want_if)
			fail_msg("step %d, %s: ifindex expected %u, saw %u",
				 step, buf, want_if, found ? rt.ifindex : 0);
		/* The compiled trie gives the program the same answer. */
		compiled(m, &a, &nh);
		if (want_ex != !!nh.rt.xclasses || want_if != nh.rt.ifindex)
			fail_msg("step %d, %s: compiled trie: expected ifindex "
				 "%u excluded %d, saw %u %d",
				 step, buf, want_if, want_ex, nh.rt.ifindex,
				 !!nh.rt.xclasses);
	}
}

static int count_one(const struct fp_prefix *p, const struct fp_route *rt,
		     void *ctx)
{
	(void)p;
	if (rt->flags & FP_ROUTE_F_MARKER)
		fail_msg("fp_fib__for_each: expected no markers, saw one");
	(*(int *)ctx)++;
	return 0;
}

/*
 * batch > 1: the steps run in batches of that many (fp_fib__batch_begin),
 * checked at each batch's end, as sync and retag write; what fib.c knows
 * at a batch's start (no exclusions yet, say) must follow the batch's own
 * writes.
 */
static void run_family(void **state, int family, unsigned int seed, int batch)
{
	struct fp_maps *m = *state;
	struct model md = { 0 };
	int listed, seen = 0;

	for (int i = 0; i < POOL; i++) {
		random_prefix(family, &md.routes[i], &seed);
		random_prefix(family, &md.excl[i], &seed);
		/* Shadows (port 0 in the model: gateway) and real ports. */
		md.route_if[i] = i % 5 ? 10 + i % 4 : 0;
	}
	for (int step = 0; step < 1500; step++) {
		int i = rand_r(&seed) % POOL, err;
		struct fp_route rt = { .origin = FP_ORIGIN_ROUTE };

		if (batch > 1 && step % batch == 0)
			fp_fib__batch_begin(m);

		switch (rand_r(&seed) % 4) {
		case 0:
			rt.ifindex = md.route_if[i];
			rt.dmac[0] = 0x02;
			err = fp_fib__set(m, &md.routes[i], &rt, false);
			assert_int_equal(err, 0);
			for (int j = 0; j < POOL; j++)
				if (same(&md.routes[j], &md.routes[i])) {
					md.route_on[j] = true;
					md.route_if[j] = md.route_if[i];
				}
			break;
		case 1:
			err = fp_fib__del(m, &md.routes[i]);
			assert_true(err == 0 || err == -ENOENT);
			for (int j = 0; j < POOL; j++)
				if (same(&md.routes[j], &md.routes[i]))
					md.route_on[j] = false;
			break;
		case 2:
			err = fp_fib__exclude(m, &md.excl[i], FP_CLASS_PEERING);
			assert_true(err == 0 || err == -EEXIST);
			for (int j = 0; j < POOL; j++)
				if (same(&md.excl[j], &md.excl[i]))
					md.excl_on[j] = true;
			break;
		default:
			err = fp_fib__unexclude(m, &md.excl[i]);
			assert_true(err == 0 || err == -ENOENT);
			for (int j = 0; j < POOL; j++)
				if (same(&md.excl[j], &md.excl[i]))
					md.excl_on[j] = false;
			break;
		}
		if (batch > 1 && step % batch != batch - 1)
			continue;
		if (batch > 1)
			assert_int_equal(fp_fib__batch_end(m), 0);
		check_all(m, &md, family, step);
	}
	/* Listing shows routes and shadows, never the markers. */
	listed = 0;
	for (int i = 0; i < POOL; i++) {
		bool dup = false;

		for (int j = 0; j < i; j++)
			dup |= md.route_on[j] &&
			       same(&md.routes[j], &md.routes[i]);
		listed += md.route_on[i] && !dup;
	}
	assert_int_equal(fp_fib__for_each(m, count_one, &seen), 0);
	assert_int_equal(seen, listed);
	/* Emptied, the compiled table holds no ply and no result. */
	for (int i = 0; i < POOL; i++) {
		fp_fib__del(m, &md.routes[i]);
		fp_fib__unexclude(m, &md.excl[i]);
	}
	{
		__u32 p4, p6, nres;

		fp_trie__usage(&m->trie, &p4, &p6, &nres);
		if (p4 || p6 || nres)
			fail_msg("emptied: expected 0 plies and results, saw "
				 "%u + %u plies, %u results",
				 p4, p6, nres);
	}
}

static void test_random_ipv4(void **state)
{
	run_family(state, AF_INET, 1, 1);
}

static void test_random_ipv6(void **state)
{
	run_family(state, AF_INET6, 2, 1);
}

static void test_batched_ipv4(void **state)
{
	run_family(state, AF_INET, 3, 20);
}

static void test_batched_ipv6(void **state)
{
	run_family(state, AF_INET6, 4, 20);
}

/*
 * A batch that compiles nothing (IPv6 host routes only, on fresh maps)
 * ends cleanly: the compiled table was never read, so nothing is written.
 */
static void test_batch_of_hosts6(void **state)
{
	struct fp_maps *m = *state;
	struct fp_route rt = { .ifindex = 10, .origin = FP_ORIGIN_ROUTE };
	struct fp_prefix p;

	rt.dmac[0] = 0x02;
	assert_int_equal(fp_parse_prefix("2001:db8::7/128", &p), 0);
	fp_fib__batch_begin(m);
	assert_int_equal(fp_fib__set(m, &p, &rt, false), 0);
	assert_int_equal(fp_fib__batch_end(m), 0);
	assert_int_equal(fp_fib__get(m, &p, &rt), 0);
	assert_int_equal(rt.ifindex, 10);
}

/*
 * fp_fib__set_many against fp_fib__set one entry at a time, each on maps
 * of its own: the same outcome per entry, the same entries in the table
 * of record and the same answers from the compiled trie. cap: the IPv4
 * maps' size (0: the default); excl: an exclusion written first (NULL:
 * none), which leaves its family to the one-entry path.
 */
static void many_vs_one(const struct fp_fib_entry *e, size_t n, __u32 cap,
			const char *excl, int *res)
{
	struct fp_maps a, b;
	struct fp_prefix x;
	int one[64];

	assert_true(n <= 64);
	assert_int_equal(fp_test__maps(&a, cap, 0), 0);
	assert_int_equal(fp_test__maps(&b, cap, 0), 0);
	if (excl) {
		assert_int_equal(fp_parse_prefix(excl, &x), 0);
		assert_int_equal(fp_fib__exclude(&a, &x, FP_CLASS_OTHER), 0);
		assert_int_equal(fp_fib__exclude(&b, &x, FP_CLASS_OTHER), 0);
	}
	fp_fib__batch_begin(&a);
	assert_int_equal(fp_fib__set_many(&a, e, n, res), n);
	assert_int_equal(fp_fib__batch_end(&a), 0);
	fp_fib__batch_begin(&b);
	for (size_t i = 0; i < n; i++)
		one[i] = fp_fib__set(&b, &e[i].prefix, &e[i].rt, false);
	assert_int_equal(fp_fib__batch_end(&b), 0);
	for (size_t i = 0; i < n; i++) {
		struct fp_route ra, rb;
		struct fp_nh na, nb;
		char buf[FP_PREFIX_STRLEN];
		int ga, gb;

		fp_format_prefix(&e[i].prefix, buf, sizeof(buf));
		if (res[i] != one[i])
			fail_msg("%s: expected outcome %d (one entry at a "
				 "time), saw %d",
				 buf, one[i], res[i]);
		memset(&ra, 0, sizeof(ra));
		memset(&rb, 0, sizeof(rb));
		ga = fp_fib__get(&a, &e[i].prefix, &ra);
		gb = fp_fib__get(&b, &e[i].prefix, &rb);
		if (ga != gb || (!ga && memcmp(&ra, &rb, sizeof(ra))))
			fail_msg("%s: expected entry %d ifindex %u flags %#x "
				 "xclasses %#x, saw %d %u %#x %#x",
				 buf, gb, rb.ifindex, rb.flags, rb.xclasses, ga,
				 ra.ifindex, ra.flags, ra.xclasses);
		compiled(&a, &e[i].prefix, &na);
		compiled(&b, &e[i].prefix, &nb);
		if (na.rt.ifindex != nb.rt.ifindex ||
		    na.rt.xclasses != nb.rt.xclasses)
			fail_msg("%s: compiled trie: expected ifindex %u "
				 "xclasses %#x, saw %u %#x",
				 buf, nb.rt.ifindex, nb.rt.xclasses,
				 na.rt.ifindex, na.rt.xclasses);
	}
	fp_maps__close(&a);
	fp_maps__close(&b);
}

static size_t hosts(int family, size_t n, struct fp_fib_entry *e)
{
	char buf[64];

	memset(e, 0, n * sizeof(*e));
	for (size_t i = 0; i < n; i++) {
		if (family == AF_INET)
			snprintf(buf, sizeof(buf), "198.18.%zu.%zu/32", i / 4,
				 i % 4 + 1);
		else
			snprintf(buf, sizeof(buf), "2001:db8:%zu::%zu/128",
				 i / 4, i % 4 + 1);
		assert_int_equal(fp_parse_prefix(buf, &e[i].prefix), 0);
		/* Every other one a shadow: no port, so no own address. */
		e[i].rt.ifindex = i % 2 ? 0 : 10 + i % 3;
		e[i].rt.dmac[0] = 0x02;
		e[i].rt.dmac[5] = i;
		e[i].rt.origin = FP_ORIGIN_ROUTE;
	}
	return n;
}

/*
 * A batched update that the map refuses midway (8 entries' room, 12 new
 * ones) leaves what the one-entry path leaves: the first 8 written and
 * compiled, the last 4 refused as "full", neither in the hash nor in the
 * trie.
 */
static void test_set_many_full(void **state)
{
	struct fp_fib_entry e[12];
	int res[12];

	(void)state;
	many_vs_one(e, hosts(AF_INET, 12, e), 8, NULL, res);
	for (int i = 0; i < 12; i++)
		if (i < 8 ? res[i] != 0 : !fp_map__full(res[i]))
			fail_msg("entry %d: expected %s, saw %d", i,
				 i < 8 ? "written" : "map full", res[i]);
}

static void test_set_many_ipv6(void **state)
{
	struct fp_fib_entry e[40];
	int res[40];

	(void)state;
	many_vs_one(e, hosts(AF_INET6, 40, e), 0, NULL, res);
	for (int i = 0; i < 40; i++)
		assert_int_equal(res[i], 0);
}

/* An exclusion in the family: its entries carry the class, one by one. */
static void test_set_many_excluded(void **state)
{
	struct fp_fib_entry e[16];
	int res[16];

	(void)state;
	many_vs_one(e, hosts(AF_INET, 16, e), 0, "198.18.1.0/24", res);
	many_vs_one(e, hosts(AF_INET6, 16, e), 0, "2001:db8:1::/48", res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_many_full),
		cmocka_unit_test(test_set_many_ipv6),
		cmocka_unit_test(test_set_many_excluded),
		cmocka_unit_test_setup_teardown(test_batch_of_hosts6, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_random_ipv4, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_random_ipv6, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_batched_ipv4, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_batched_ipv6, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("fib", tests, NULL, NULL);
}
