// SPDX-License-Identifier: GPL-2.0
/* Journald priorities on our messages, none on a terminal or a pipe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "log.h"

static void test_prefixes(void **state)
{
	assert_string_equal(fp_log__prefix(FP_LOG_WARN, true), "<4>");
	assert_string_equal(fp_log__prefix(FP_LOG_INFO, true), "<6>");
	assert_string_equal(fp_log__prefix(FP_LOG_DEBUG, true), "<7>");
	assert_string_equal(fp_log__prefix(FP_LOG_WARN, false), "");
	assert_string_equal(fp_log__prefix(FP_LOG_DEBUG, false), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefixes),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
