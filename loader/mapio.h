/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every reader and writer of the maps asks alike: is this error the
 * map being full, and what do the CPUs' counters add up to.
 */
#ifndef FASTPATH_MAPIO_H
#define FASTPATH_MAPIO_H

#include <stdbool.h>
#include <stddef.h>

#include "fastpath.h"

/*
 * A write refused for want of room (err is -errno): E2BIG from a hash or
 * LPM map at max_entries, ENOSPC from the FIB compiler's trie, ENOMEM
 * when the kernel cannot allocate the element.
 */
bool fp_map__full(int err);
/* "map is full" for those, strerror otherwise: a write's error to print. */
const char *fp_map__strerror(int err);

/*
 * One slot of a per-CPU map whose value is n counters ({packets, bytes}),
 * with a buffer for every possible CPU.
 */
struct fp_percpu {
	int fd;
	int ncpu;
	size_t n;
	struct fp_counter *buf;
};

/* 0, -ENOMEM, or libbpf's error when the possible CPUs are unknown. */
int fp_percpu__init(struct fp_percpu *pc, int fd, size_t n);
void fp_percpu__fini(struct fp_percpu *pc);
/* The n counters at key summed over the CPUs; zeros and -errno on error. */
int fp_percpu__sum(struct fp_percpu *pc, const void *key,
		   struct fp_counter *out);
/* Every CPU's counters at key back to zero. */
int fp_percpu__zero(struct fp_percpu *pc, const void *key);

#endif
