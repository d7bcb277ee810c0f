// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of loader/mapio.c: which write errors mean "map is full",
 * and per-CPU counters summed and zeroed through a real per-CPU array
 * (needs root for bpf(2)).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

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

/* Two counters per slot, like fp_connstat; CPU c holds c+1 and 10(c+1). */
static void test_percpu_sum(void **state)
{
	int ncpu = libbpf_num_possible_cpus(), fd;
	struct fp_counter *v, sum[2];
	struct fp_percpu pc;
	__u32 key = 1, bad = 4;
	__u64 tri;

	check_true("possible CPUs", ncpu > 0);
	fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "test_mapio",
			    sizeof(__u32), 2 * sizeof(struct fp_counter), 4,
			    NULL);
	check_true("per-CPU array created", fd >= 0);
	v = calloc((size_t)ncpu * 2, sizeof(*v));
	check_true("buffer", v != NULL);
	for (int c = 0; c < ncpu; c++) {
		v[2 * c] = (struct fp_counter){ c + 1, 10 * (c + 1) };
		v[2 * c + 1] = (struct fp_counter){ 100, 1000 };
	}
	check_int("write", 0, bpf_map_update_elem(fd, &key, v, BPF_ANY));
	tri = (__u64)ncpu * (ncpu + 1) / 2;

	check_int("init", 0, fp_percpu__init(&pc, fd, 2));
	check_int("sum", 0, fp_percpu__sum(&pc, &key, sum));
	check_int("first packets", tri, sum[0].packets);
	check_int("first bytes", 10 * tri, sum[0].bytes);
	check_int("second packets", 100 * ncpu, sum[1].packets);
	check_int("second bytes", 1000 * ncpu, sum[1].bytes);

	check_int("zero", 0, fp_percpu__zero(&pc, &key));
	check_int("sum after zero", 0, fp_percpu__sum(&pc, &key, sum));
	check_int("zeroed packets", 0, sum[0].packets + sum[1].packets);
	check_int("zeroed bytes", 0, sum[0].bytes + sum[1].bytes);

	sum[0].packets = 7;
	check_int("out of range", -ENOENT, fp_percpu__sum(&pc, &bad, sum));
	check_int("zeros on error", 0, sum[0].packets);
	fp_percpu__fini(&pc);
	free(v);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_full),
		cmocka_unit_test(test_percpu_sum),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests_name("mapio", tests, NULL, NULL);
}
