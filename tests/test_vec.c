// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of loader/vec.h, the one way the loader grows an array:
 * elements kept across growth, pushed elements zeroed, capacity doubling.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vec.h"
#include "check.h"

struct item {
	int a;
	char pad[20];
};

static void test_push(void **state)
{
	struct item *v = NULL, *x;
	size_t n = 0;

	for (int i = 0; i < 1000; i++) {
		x = fp_vec__push(&v, &n, sizeof(*v));
		check_true("pushed", x != NULL);
		check_int("count", i + 1, n);
		check_true("the last element", x == &v[i]);
		check_int("zeroed", 0, x->a);
		x->a = i;
	}
	for (int i = 0; i < 1000; i++)
		check_int("kept", i, v[i].a);
	free(v);
}

static void test_grow(void **state)
{
	size_t n = 0, cap = 0;
	int *v = NULL;

	check_int("first", 0, fp_vec__grow(&v, &cap, n, sizeof(*v)));
	check_int("first capacity", 64, cap);
	for (int i = 0; i < 1000; i++) {
		check_int("grow", 0, fp_vec__grow(&v, &cap, n, sizeof(*v)));
		check_true("room for one more", n < cap);
		v[n++] = i;
	}
	/* 64 doubled until 1000 fit. */
	check_int("capacity", 1024, cap);
	for (int i = 0; i < 1000; i++)
		check_int("kept", i, v[i]);
	/* Room already there: nothing moves. */
	{
		int *before = v;

		n = 10;
		check_int("no growth", 0,
			  fp_vec__grow(&v, &cap, n, sizeof(*v)));
		check_true("same array", v == before);
		check_int("same capacity", 1024, cap);
	}
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push),
		cmocka_unit_test(test_grow),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests_name("vec", tests, NULL, NULL);
}
