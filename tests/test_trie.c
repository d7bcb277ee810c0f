// SPDX-License-Identifier: GPL-2.0
/*
 * loader/trie.c on its own, in memory, against a brute-force longest
 * prefix match: random inserts and removes on small prefix pools, every
 * address of interest compared after every change and, through the
 * on_write hook, after every single slot write inside a change, where it
 * must give the old answer or the new one and nothing else (a packet
 * reading along never sees a half-written table). Then the corners: a
 * ply of 256 host routes sharing one result must not fold into its
 * parent, the table runs out of plies without changing, and an emptied
 * table holds no ply and no result.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "trie.h"

#define POOL 40
#define PROBES (2 * POOL + 32)

static __u32 clock_now = 100;

static __u32 fake_now(void)
{
	return clock_now;
}

/*
 * In memory, compressing every IPv4 last ply from the first one on, into
 * a pool small enough that the random runs fill a half and move to the
 * other (maps/fastpath.h).
 */
static const struct fp_trie_maps mem_maps = {
	.trie4 = -1,
	.trie6 = -1,
	.nh = -1,
	.plies = -1,
	.cidx4 = -1,
	.cpool4 = -1,
	.plies4 = FP_PLIES4,
	.plies6 = FP_PLIES6,
	.cpool_half = 2048,
	.cply_min = 0,
};

struct ref {
	int family;
	struct fp_prefix p[POOL];
	__u32 ifindex[POOL]; /* the result: port i (some shared) */
	bool on[POOL];
	struct fp_prefix probe[PROBES];
	/* During a change: each probe's answer before and after it. */
	__u32 before[PROBES], after[PROBES];
	struct fp_trie *t;
	long writes;
};

static bool within(const struct fp_prefix *a, const struct fp_prefix *p)
{
	for (int bit = 0; bit < p->len; bit++)
		if ((a->addr[bit / 8] ^ p->addr[bit / 8]) & (0x80 >> (bit % 8)))
			return false;
	return true;
}

/* The longest entry on holding a; -1 for none. */
static int longest(const struct ref *r, const struct fp_prefix *a)
{
	int best = -1;

	for (int i = 0; i < POOL; i++)
		if (r->on[i] && within(a, &r->p[i]) &&
		    (best < 0 || r->p[i].len > r->p[best].len))
			best = i;
	return best;
}

static __u32 expected(const struct ref *r, const struct fp_prefix *a)
{
	int i = longest(r, a);

	return i < 0 ? 0 : r->ifindex[i];
}

static __u32 seen(const struct fp_trie *t, const struct fp_prefix *a)
{
	__u32 id = fp_trie__lookup(t, a->family, a->addr);

	return id ? t->nh[id].rt.ifindex : 0;
}

static void result(__u32 ifindex, struct fp_nh *nh)
{
	memset(nh, 0, sizeof(*nh));
	nh->rt.ifindex = ifindex;
	nh->rt.dmac[0] = 0x02;
}

static void random_prefix(int family, struct fp_prefix *p, unsigned int *seed)
{
	static const int lens4[] = { 0, 8, 15, 16, 20, 24, 25, 28, 31, 32, 32 };
	static const int lens6[] = { 16, 32, 48, 56, 60, 64, 120, 127, 128 };
	int max = family == AF_INET ? 32 : 128;

	memset(p, 0, sizeof(*p));
	p->family = family;
	if (family == AF_INET) {
		p->addr[0] = 198;
		p->addr[1] = 18 + (rand_r(seed) & 1);
		p->addr[2] = rand_r(seed) & 3;
		p->addr[3] = rand_r(seed) & 15;
		p->len = lens4[rand_r(seed) % 11];
	} else {
		p->addr[0] = 0x20;
		p->addr[1] = 0x01;
		p->addr[2] = 0x0d;
		p->addr[3] = 0xb8;
		p->addr[6] = rand_r(seed) & 1;
		p->addr[7] = rand_r(seed) & 1;
		p->addr[15] = rand_r(seed) & 15;
		p->len = lens6[rand_r(seed) % 9];
	}
	for (int bit = p->len; bit < max; bit++)
		p->addr[bit / 8] &= ~(0x80 >> (bit % 8));
}

/* After each write inside a change: every probe old or new, no other. */
static void check_write(void *ctx)
{
	struct ref *r = ctx;

	r->writes++;
	for (int k = 0; k < PROBES; k++) {
		__u32 now = seen(r->t, &r->probe[k]);

		if (now != r->before[k] && now != r->after[k])
			fail_msg(
				"mid-change, probe %d: expected %u or %u, saw %u",
				k, r->before[k], r->after[k], now);
	}
}

static void check_all(struct ref *r, int step)
{
	for (int k = 0; k < PROBES; k++) {
		__u32 want = expected(r, &r->probe[k]),
		      got = seen(r->t, &r->probe[k]);

		if (want != got)
			fail_msg("step %d, probe %d: expected port %u, saw %u",
				 step, k, want, got);
	}
}

static void new_trie(struct fp_trie *t)
{
	assert_int_equal(fp_trie__init(t, &mem_maps, fake_now), 0);
}

static void run_family(int family, unsigned int seed)
{
	struct fp_trie t;
	struct ref *r = calloc(1, sizeof(*r));
	__u32 p4, p6, nres, nodes, words, most = 0;

	assert_non_null(r);
	new_trie(&t);
	r->t = &t;
	r->family = family;
	for (int i = 0; i < POOL; i++) {
		random_prefix(family, &r->p[i], &seed);
		r->ifindex[i] = 10 + i % 7; /* results shared by several */
	}
	/* Probes: each prefix's first and last address, and random ones. */
	for (int k = 0; k < PROBES; k++) {
		struct fp_prefix *a = &r->probe[k];
		int max = family == AF_INET ? 32 : 128;

		if (k < 2 * POOL) {
			*a = r->p[k / 2];
			for (int bit = a->len; (k & 1) && bit < max; bit++)
				a->addr[bit / 8] |= 0x80 >> (bit % 8);
		} else {
			random_prefix(family, a, &seed);
		}
		a->len = max;
	}
	t.on_write = check_write;
	t.on_write_ctx = r;
	for (int step = 0; step < 3000; step++) {
		int i = rand_r(&seed) % POOL, c, dup = -1;
		bool add = rand_r(&seed) % 3 != 0;
		struct fp_nh nh;

		for (int j = 0; j < POOL; j++)
			if (j != i && r->on[j] && r->p[j].len == r->p[i].len &&
			    !memcmp(r->p[j].addr, r->p[i].addr, 16))
				dup = j;
		if (dup >= 0)
			continue; /* one entry per prefix, as the maps */
		for (int k = 0; k < PROBES; k++)
			r->before[k] = expected(r, &r->probe[k]);
		if (add) {
			r->on[i] = true;
			for (int k = 0; k < PROBES; k++)
				r->after[k] = expected(r, &r->probe[k]);
			result(r->ifindex[i], &nh);
			assert_int_equal(fp_trie__insert(&t, &r->p[i], &nh), 0);
		} else {
			r->on[i] = false;
			for (int k = 0; k < PROBES; k++)
				r->after[k] = expected(r, &r->probe[k]);
			/* The cover: the longest entry strictly shorter. */
			c = -1;
			for (int j = 0; j < POOL; j++)
				if (r->on[j] && r->p[j].len < r->p[i].len &&
				    within(&r->p[i], &r->p[j]) &&
				    (c < 0 || r->p[j].len > r->p[c].len))
					c = j;
			if (c >= 0)
				result(r->ifindex[c], &nh);
			assert_int_equal(fp_trie__remove(&t, &r->p[i],
							 c >= 0 ? &nh : NULL,
							 c >= 0 ? r->p[c].len :
								  0),
					 0);
		}
		check_all(r, step);
		fp_trie__cusage(&t, &nodes, &words);
		most = nodes > most ? nodes : most;
		if (step % 500 == 499)
			clock_now += FP_REUSE_SECS; /* let freed things age */
	}
	assert_true(r->writes > 1000);
	/* IPv4's last plies were read through their compressed nodes. */
	if (family == AF_INET)
		assert_true(most > 0);
	/* Emptied, shortest first for the covers: nothing held. */
	t.on_write = NULL;
	for (int len = 0; len <= 128; len++)
		for (int i = 0; i < POOL; i++)
			if (r->on[i] && r->p[i].len == len) {
				r->on[i] = false;
				assert_int_equal(fp_trie__remove(&t, &r->p[i],
								 NULL, 0),
						 0);
			}
	fp_trie__usage(&t, &p4, &p6, &nres);
	if (p4 || p6 || nres)
		fail_msg("emptied: expected 0 plies and results, saw %u + %u "
			 "plies, %u results",
			 p4, p6, nres);
	fp_trie__fini(&t);
	free(r);
}

static void test_random_ipv4(void **state)
{
	(void)state;
	run_family(AF_INET, 11);
}

static void test_random_ipv6(void **state)
{
	(void)state;
	run_family(AF_INET6, 12);
}

static void host(struct fp_prefix *p, __u8 c, __u8 d, int len);

/* The result the table gives for 198.18.c.d, as a port (0: none). */
static __u32 port_at(const struct fp_trie *t, __u8 c, __u8 d)
{
	struct fp_prefix a;
	__u32 id;

	host(&a, c, d, 32);
	id = fp_trie__lookup(t, AF_INET, a.addr);
	return id ? t->nh[id].rt.ifindex : 0;
}

/*
 * Every /24 of 198.18/16 with sixteen /28s of alternating results: a
 * compressed node of 16 runs (9 words) each, 2,304 words, more than a
 * half of the test's pool (2,048). The nodes that do not fit are read
 * from their plies until the other half may be used; then a change
 * moves every live node over, and every address keeps its answer.
 */
static void test_compressed_pool(void **state)
{
	struct fp_trie t;
	struct fp_nh nh[2];
	struct fp_prefix p;
	__u32 nodes, words;
	__u64 node[FP_CNODE_MAX];

	(void)state;
	new_trie(&t);
	result(7, &nh[0]);
	result(8, &nh[1]);
	fp_trie__hold(&t);
	for (int c = 0; c < 256; c++)
		for (int d = 0; d < 256; d += 16) {
			host(&p, (__u8)c, (__u8)d, 28);
			assert_int_equal(
				fp_trie__insert(&t, &p, &nh[(d / 16) & 1]), 0);
		}
	assert_int_equal(fp_trie__release(&t), 0);
	fp_trie__cusage(&t, &nodes, &words);
	assert_int_equal(nodes, 2047 / 9);
	assert_int_equal(words, 2047 / 9 * 9);
	for (int c = 0; c < 256; c++)
		for (int d = 0; d < 256; d++)
			assert_int_equal(port_at(&t, (__u8)c, (__u8)d),
					 7 + ((d / 16) & 1));

	/* Too soon for the other half: the change is read from the ply. */
	host(&p, 0, 32, 28);
	assert_int_equal(fp_trie__insert(&t, &p, &nh[0]), 0);
	assert_int_equal(port_at(&t, 0, 33), 7);
	fp_trie__cusage(&t, &nodes, &words);
	assert_int_equal(nodes, 2047 / 9 - 1);

	/* Later: the live nodes move, the changed one with them. */
	clock_now += FP_REUSE_SECS;
	host(&p, 0, 32, 28);
	assert_int_equal(fp_trie__insert(&t, &p, &nh[1]), 0);
	fp_trie__cusage(&t, &nodes, &words);
	assert_int_equal(nodes, 2047 / 9);
	assert_int_equal(words, 2047 / 9 * 9);
	assert_int_equal(port_at(&t, 0, 33), 8);
	for (int c = 1; c < 256; c++)
		for (int d = 0; d < 256; d++)
			assert_int_equal(port_at(&t, (__u8)c, (__u8)d),
					 7 + ((d / 16) & 1));

	/*
	 * A writer that died between the index and the pool's marks left
	 * an index naming words past the top: the next flush takes the
	 * ply back to being read whole before it writes anything.
	 */
	{
		__u32 k = 0, o;

		for (__u32 i = FP_ROOT_PLIES; !k && i < FP_PLIES4; i++)
			if (t.cidx[i])
				k = i;
		assert_true(k != 0);
		o = t.cidx[k];
		t.cidx[k] = 4000; /* in the other half: about to be reused */
		t.cpool[4000] = t.cpool[o] ^ 0xff; /* and not its node */
		t.cvalidate = true;
		host(&p, 1, 0, 28);
		assert_int_equal(fp_trie__insert(&t, &p, &nh[0]), 0);
		assert_int_equal(t.cidx[k], 0);
	}
	for (int c = 1; c < 256; c++)
		for (int d = 0; d < 256; d++)
			assert_int_equal(port_at(&t, (__u8)c, (__u8)d),
					 7 + ((d / 16) & 1));

	/* A ply that links plies is no last ply: no node. */
	memset(node, 0, sizeof(node));
	{
		__u32 leaves[256] = { 0 };

		leaves[3] = FP_LEAF_PLY | 300;
		assert_int_equal(fp_cnode__encode(leaves, 300, node), 0);
	}
	fp_trie__fini(&t);
}

static void host(struct fp_prefix *p, __u8 c, __u8 d, int len)
{
	memset(p, 0, sizeof(*p));
	p->family = AF_INET;
	p->addr[0] = 198;
	p->addr[1] = 18;
	p->addr[2] = c;
	p->addr[3] = d;
	p->len = len;
}

/*
 * 256 host routes with one result fill a ply with one leaf; that leaf
 * is a /32's and covers no more than its slot, so the ply must stay
 * when a /30 comes and goes inside it, or the hosts could never be
 * taken out one by one.
 */
static void test_uniform_hosts_stay(void **state)
{
	struct fp_prefix p, q;
	struct fp_trie t;
	struct fp_nh nh, other;

	(void)state;
	new_trie(&t);
	result(7, &nh);
	result(8, &other);
	for (int d = 0; d < 256; d++) {
		host(&p, 1, (__u8)d, 32);
		assert_int_equal(fp_trie__insert(&t, &p, &nh), 0);
	}
	host(&q, 1, 4, 30);
	assert_int_equal(fp_trie__insert(&t, &q, &other), 0);
	assert_int_equal(fp_trie__remove(&t, &q, NULL, 0), 0);
	host(&p, 1, 5, 32);
	assert_int_equal(fp_trie__remove(&t, &p, NULL, 0), 0);
	if (fp_trie__lookup(&t, AF_INET, p.addr))
		fail_msg("198.18.1.5 removed: expected no result, saw %u",
			 fp_trie__lookup(&t, AF_INET, p.addr));
	host(&p, 1, 6, 32);
	assert_int_equal(t.nh[fp_trie__lookup(&t, AF_INET, p.addr)].rt.ifindex,
			 7);
	fp_trie__fini(&t);
}

/*
 * Out of plies: the insert that needs one more fails with -ENOSPC and
 * the table is as it was, the splits it made on its way folded back.
 */
static void test_out_of_plies(void **state)
{
	struct fp_prefix p;
	struct fp_trie t;
	struct fp_nh nh;
	__u32 p4, p6, nres, used;
	int err = 0, n = 0;

	(void)state;
	new_trie(&t);
	result(7, &nh);
	/* Each /32 in its own /16 and /24: two plies apiece. */
	for (int a = 0; !err && a < 256; a++)
		for (int b = 0; !err && b < 256; b++) {
			memset(&p, 0, sizeof(p));
			p.family = AF_INET;
			p.addr[0] = 10;
			p.addr[1] = (__u8)a;
			p.addr[2] = (__u8)b;
			p.addr[3] = 1;
			p.len = 32;
			err = fp_trie__insert(&t, &p, &nh);
			n += !err;
		}
	assert_int_equal(err, -ENOSPC);
	fp_trie__usage(&t, &p4, &p6, &nres);
	used = p4;
	/* The failed one left nothing: same plies, and no answer for it. */
	assert_int_equal(fp_trie__lookup(&t, AF_INET, p.addr), 0);
	assert_true(used <= FP_PLIES4 - FP_ROOT_PLIES);
	assert_int_equal(p4, used);
	assert_int_equal(nres, 1);
	assert_true(n > 8000);
	fp_trie__fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_ipv4),
		cmocka_unit_test(test_compressed_pool),
		cmocka_unit_test(test_random_ipv6),
		cmocka_unit_test(test_uniform_hosts_stay),
		cmocka_unit_test(test_out_of_plies),
	};

	return cmocka_run_group_tests_name("trie", tests, NULL, NULL);
}
