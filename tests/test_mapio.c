// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of loader/mapio.c: which write errors mean "map is full".
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "mapio.h"
#include "check.h"

static void test_map_full(void **state)
{
	check_true("E2BIG", fp_map__full(-E2BIG));
	check_true("ENOSPC", fp_map__full(-ENOSPC));
	check_true("ENOMEM", fp_map__full(-ENOMEM));
	check_true("EEXIST", !fp_map__full(-EEXIST));
	check_true("ENOENT", !fp_map__full(-ENOENT));
	check_true("0", !fp_map__full(0));
	/* -errno only: a positive errno is a caller's mistake, not full. */
	check_true("positive E2BIG", !fp_map__full(E2BIG));
	check_str("full", "map is full", fp_map__strerror(-ENOSPC));
	check_str("other", strerror(EINVAL), fp_map__strerror(-EINVAL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_full),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests_name("mapio", tests, NULL, NULL);
}
