// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of prefix arithmetic (loader/prefix.c): the orders, the
 * containment, shortening and masking that the FIB compiler, sync, the
 * netlink translation and the model share. No BPF, no root.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "prefix.h"
#include "check.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A prefix from its text, host bits allowed (fp_parse_prefix refuses them). */
static struct fp_prefix pfx(const char *addr, int len)
{
	struct fp_prefix p = { .family = strchr(addr, ':') ? AF_INET6 : AF_INET,
			       .len = len };

	check_int(addr, 1, inet_pton(p.family, addr, p.addr));
	return p;
}

static void test_within(void **state)
{
	static const struct {
		const char *q;
		int qlen;
		const char *p;
		int plen;
		bool want;
	} cases[] = {
		{ "10.1.2.0", 24, "10.1.0.0", 16, true },
		{ "10.1.0.0", 16, "10.1.0.0", 16, true },
		{ "10.1.0.0", 16, "10.1.2.0", 24, false },
		{ "10.2.0.0", 16, "10.1.0.0", 16, false },
		{ "10.1.2.3", 32, "0.0.0.0", 0, true },
		/* A bit inside the last partial byte decides. */
		{ "10.1.0.128", 25, "10.1.0.0", 25, false },
		{ "10.1.0.127", 32, "10.1.0.0", 25, true },
		{ "10.1.0.128", 32, "10.1.0.0", 25, false },
		{ "2001:db8::1", 128, "2001:db8::", 32, true },
		{ "2001:db9::1", 128, "2001:db8::", 32, false },
		{ "2001:db8::", 33, "2001:db8:8000::", 33, false },
		{ "::", 0, "::", 0, true },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct fp_prefix q = pfx(cases[i].q, cases[i].qlen);
		struct fp_prefix p = pfx(cases[i].p, cases[i].plen);

		check_int(cases[i].q, cases[i].want, fp_prefix__within(&q, &p));
	}
}

static void test_within_family(void **state)
{
	struct fp_prefix v4 = pfx("0.0.0.0", 0), v6 = pfx("::", 0);

	check_true("v4 not inside ::/0", !fp_prefix__within(&v4, &v6));
	check_true("v6 not inside 0/0", !fp_prefix__within(&v6, &v4));
}

static void test_shorten(void **state)
{
	struct fp_prefix p = pfx("10.1.2.255", 32), want;

	fp_prefix__shorten(&p);
	want = pfx("10.1.2.254", 31);
	check_true("/32 to /31", fp_prefix__equal(&p, &want));
	while (p.len > 20)
		fp_prefix__shorten(&p);
	want = pfx("10.1.0.0", 20);
	check_true("down to /20", fp_prefix__equal(&p, &want));
	while (p.len)
		fp_prefix__shorten(&p);
	want = pfx("0.0.0.0", 0);
	check_true("down to /0", fp_prefix__equal(&p, &want));

	p = pfx("2001:db8::ffff", 128);
	for (int len = 128; len > 0; len--) {
		struct fp_prefix m = p;

		fp_prefix__shorten(&p);
		m.len = len - 1;
		fp_prefix__mask(&m);
		check_true("shorten is mask one bit shorter",
			   fp_prefix__equal(&p, &m));
	}
}

static void test_mask(void **state)
{
	struct fp_prefix p = pfx("10.1.2.3", 23), want = pfx("10.1.2.0", 23);

	fp_prefix__mask(&p);
	check_true("10.1.2.3/23", fp_prefix__equal(&p, &want));
	p = pfx("255.255.255.255", 0);
	want = pfx("0.0.0.0", 0);
	fp_prefix__mask(&p);
	check_true("/0", fp_prefix__equal(&p, &want));
	p = pfx("2001:db8::1", 128);
	want = p;
	fp_prefix__mask(&p);
	check_true("/128 unchanged", fp_prefix__equal(&p, &want));
	p = pfx("2001:db8:ffff::1", 36);
	want = pfx("2001:db8:f000::", 36);
	fp_prefix__mask(&p);
	check_true("2001:db8:ffff::1/36", fp_prefix__equal(&p, &want));
}

static void test_orders(void **state)
{
	struct fp_prefix a = pfx("10.0.0.0", 8), b = pfx("10.0.0.0", 16);
	struct fp_prefix c = pfx("9.0.0.0", 16), v6 = pfx("::", 0);

	/* Length first: 10/8 < 9.0/16 < 10.0/16. */
	check_true("cmp 10/8 < 9.0/16", fp_prefix__cmp(&a, &c) < 0);
	check_true("cmp 9.0/16 < 10.0/16", fp_prefix__cmp(&c, &b) < 0);
	check_int("cmp equal", 0, fp_prefix__cmp(&a, &a));
	/* Address first: 9.0/16 < 10/8 < 10.0/16, a prefix before its inside. */
	check_true("tree 9.0/16 < 10/8", fp_prefix__tree_cmp(&c, &a) < 0);
	check_true("tree 10/8 < 10.0/16", fp_prefix__tree_cmp(&a, &b) < 0);
	check_int("tree equal", 0, fp_prefix__tree_cmp(&b, &b));
	/* Family before everything. */
	check_true("cmp v4 < v6", fp_prefix__cmp(&b, &v6) < 0);
	check_true("tree v6 > v4", fp_prefix__tree_cmp(&v6, &a) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_within),
		cmocka_unit_test(test_within_family),
		cmocka_unit_test(test_shorten),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_orders),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests_name("prefix", tests, NULL, NULL);
}
