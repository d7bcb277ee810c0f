/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Assertions that say what they expected and what they saw, on top of
 * cmocka's (which print only "0x1 != 0x0"). Include after <cmocka.h>.
 *
 * A failing cmocka assertion longjmps out of the test; cmocka 1.1 does
 * not mark it noreturn, so each failure branch ends in abort() (never
 * reached) to let the static analyser see the test stops there.
 */
#ifndef FASTPATH_TESTS_CHECK_H
#define FASTPATH_TESTS_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Integers: `what` names the value, e.g. "retval" or "counter miss". */
#define check_int(what, expected, seen)                                      \
	do {                                                                 \
		long long e_ = (long long)(expected);                        \
		long long s_ = (long long)(seen);                            \
		if (e_ != s_) {                                              \
			print_error("%s: expected %lld, saw %lld\n", (what), \
				    e_, s_);                                 \
			assert_int_equal(e_, s_);                            \
			abort();                                             \
		}                                                            \
	} while (0)

/* A condition, described by `what` ("the frame was built"). */
#define check_true(what, cond)                                             \
	do {                                                               \
		if (!(cond)) {                                             \
			print_error("%s: expected true, saw false (%s)\n", \
				    (what), #cond);                        \
			assert_true(cond);                                 \
			abort();                                           \
		}                                                          \
	} while (0)

/* Strings; a NULL on either side is shown as (null), never dereferenced. */
#define check_str(what, expected, seen)                                  \
	do {                                                             \
		const char *e_ = (expected);                             \
		const char *s_ = (seen);                                 \
		if (!e_ || !s_ || strcmp(e_, s_)) {                      \
			print_error("%s: expected \"%s\", saw \"%s\"\n", \
				    (what), e_ ? e_ : "(null)",          \
				    s_ ? s_ : "(null)");                 \
			fail();                                          \
			abort();                                         \
		}                                                        \
	} while (0)

/* Prints both buffers as hex from the first differing byte on. */
static inline void check_hexdump_diff(const char *what, const void *expected,
				      const void *seen, size_t len)
{
	const unsigned char *e = expected, *s = seen;
	size_t first = 0, i;

	while (first < len && e[first] == s[first])
		first++;
	if (first == len)
		return;
	print_error("%s: %zu bytes differ from offset %zu\n", what, len, first);
	print_error("  expected:");
	for (i = first; i < len && i < first + 32; i++)
		print_error(" %02x", e[i]);
	print_error("\n  saw:     ");
	for (i = first; i < len && i < first + 32; i++)
		print_error(" %02x", s[i]);
	print_error("\n");
}

#define check_mem(what, expected, seen, len)                                   \
	do {                                                                   \
		if (memcmp((expected), (seen), (len))) {                       \
			check_hexdump_diff((what), (expected), (seen), (len)); \
			assert_memory_equal((expected), (seen), (len));        \
			abort();                                               \
		}                                                              \
	} while (0)

#endif /* FASTPATH_TESTS_CHECK_H */
