// SPDX-License-Identifier: GPL-2.0
/* The Prometheus text exposition of the counters (stats --prometheus). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "conncount.h"
#include "commands.h"
#include "parse.h"

static char *render(const struct fp_counter *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(fp_stats__write_prometheus(f, c), 0);
	fclose(f);
	return buf;
}

static void test_every_reason_both_kinds(void **state)
{
	struct fp_counter c[FP_R_MAX] = { 0 };
	char line[128], *out, *p;
	int samples = 0;

	c[FP_R_FASTPATH] =
		(struct fp_counter){ 12345678901ULL, 98765432101ULL };
	c[FP_R_SPOOFED] = (struct fp_counter){ 3, 180 };
	out = render(c);
	for (int r = 0; r < FP_R_MAX; r++) {
		snprintf(line, sizeof(line),
			 "\nfastpath_packets_total{reason=\"%s\"} %llu\n",
			 fp_reason_name(r), (unsigned long long)c[r].packets);
		if (!strstr(out, line))
			fail_msg("expected line %s in:\n%s", line + 1, out);
		snprintf(line, sizeof(line),
			 "\nfastpath_bytes_total{reason=\"%s\"} %llu\n",
			 fp_reason_name(r), (unsigned long long)c[r].bytes);
		if (!strstr(out, line))
			fail_msg("expected line %s in:\n%s", line + 1, out);
	}
	/* Exactly one sample per reason and kind, and typed as counters. */
	for (p = out; (p = strstr(p, "_total{")); p++)
		samples++;
	assert_int_equal(samples, 2 * FP_R_MAX);
	assert_non_null(strstr(out, "# TYPE fastpath_packets_total counter\n"));
	assert_non_null(strstr(out, "# TYPE fastpath_bytes_total counter\n"));
	assert_int_equal(strncmp(out, "# HELP fastpath_packets_total ", 30), 0);
	free(out);
}

static void test_connections(void **state)
{
	struct fp_conn_counters c[2] = {
		{ "hub-c1", "hub", "c1", { 10, 1000 }, { 3, 300 } },
		{ "hub-c1", "spoke", "c1", { 0, 0 }, { 7, 700 } },
	};
	char *buf = NULL, *p;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int samples = 0;

	assert_non_null(f);
	assert_int_equal(fp_stats__write_prometheus_conns(f, c, 0), 0);
	fflush(f);
	assert_int_equal(len, 0); /* no model: nothing at all */
	assert_int_equal(fp_stats__write_prometheus_conns(f, c, 2), 0);
	fclose(f);
	if (!strstr(buf,
		    "\nfastpath_connection_packets_total{connection=\"hub-c1\","
		    "vnet=\"hub\",circuit=\"c1\",path=\"fast\"} 10\n") ||
	    !strstr(buf,
		    "\nfastpath_connection_bytes_total{connection=\"hub-c1\","
		    "vnet=\"spoke\",circuit=\"c1\",path=\"gateway\"} 700\n"))
		fail_msg("expected hub's fast packets and the spoke's gateway "
			 "bytes in:\n%s",
			 buf);
	for (p = buf; (p = strstr(p, "_total{")); p++)
		samples++;
	assert_int_equal(samples, 2 * 2 * 2); /* kinds x connections x paths */
	assert_non_null(strstr(
		buf, "# TYPE fastpath_connection_packets_total counter\n"));
	free(buf);
}

/* The daemon's verify runs: a gauge per kind, totals, probes, time. */
static void test_verify(void **state)
{
	struct fp_ctl ctl = { .verify_runs = 3,
			      .verify_probes = 3000,
			      .verify_last_s = 1764566400 };
	static const char *const want[] = {
		"# TYPE fastpath_verify_disagreements gauge\n",
		"\nfastpath_verify_disagreements{kind=\"wrong_delivery\"} 2\n",
		"\nfastpath_verify_disagreements{kind=\"missed_acceleration\"} 0\n",
		"\nfastpath_verify_disagreements{kind=\"model_mismatch\"} 5\n",
		"# TYPE fastpath_verify_disagreements_total counter\n",
		"\nfastpath_verify_disagreements_total{kind=\"wrong_delivery\"} 7\n",
		"\nfastpath_verify_transient 4\n",
		"# TYPE fastpath_verify_transient_total counter\n",
		"\nfastpath_verify_transient_total 9\n",
		"\nfastpath_verify_probes_total 3000\n",
		"\nfastpath_verify_last_run_timestamp_seconds 1764566400\n",
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	ctl.verify_last[FP_VERIFY_WRONG_DELIVERY] = 2;
	ctl.verify_last[FP_VERIFY_MODEL_MISMATCH] = 5;
	ctl.verify_total[FP_VERIFY_WRONG_DELIVERY] = 7;
	ctl.verify_last[FP_VERIFY_TRANSIENT] = 4;
	ctl.verify_total[FP_VERIFY_TRANSIENT] = 9;
	assert_int_equal(fp_stats__write_prometheus_verify(f, &ctl), 0);
	fclose(f);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(buf, want[i]))
			fail_msg("expected %s in:\n%s", want[i], buf);
	free(buf);
}

static void test_write_error_reported(void **state)
{
	struct fp_counter c[FP_R_MAX] = { 0 };
	FILE *f = fopen("/dev/full", "w");

	assert_non_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	assert_int_equal(fp_stats__write_prometheus(f, c), -EIO);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_reason_both_kinds),
		cmocka_unit_test(test_write_error_reported),
		cmocka_unit_test(test_connections),
		cmocka_unit_test(test_verify),
	};

	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
