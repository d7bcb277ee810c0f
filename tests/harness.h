/* SPDX-License-Identifier: GPL-2.0 */
/* What the tests, the fuzzer and the benchmark share to build their labs. */
#ifndef FASTPATH_TEST_HARNESS_H
#define FASTPATH_TEST_HARNESS_H

/* Runs a shell command (ip link add …); 0, or -1 after saying which. */
int fp_test__sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
