// SPDX-License-Identifier: GPL-2.0
/*
 * The machine's cost of one dependent memory read, by working-set size:
 * the floor under any lookup whose table outgrows the caches (issue 11,
 * goal 3: a prefix lookup at 1M prefixes against one at 1 prefix). A
 * random cyclic chain of 64-byte lines is walked pointer by pointer, so
 * each read waits for the one before, as the plies of a trie walk do.
 * Pages are 4 KiB (MADV_NOHUGEPAGE), as the kernel's vmalloc'ed BPF
 * arrays are; --huge asks for transparent huge pages instead.
 *
 * Usage: bench_memlat [--huge] [--max-mib N]
 * Prints a markdown table: working set, ns per dependent read.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define LINE 64
#define READS 20000000UL

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

/* xorshift64*: a fixed seed, so every run walks the same chain. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* ns per read of a random chain through size bytes, or < 0 on error. */
static double chase(size_t size, bool huge)
{
	size_t n = size / LINE, *order;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	void **p;
	char *buf;
	double t0, t1;

	buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return -errno;
	madvise(buf, size, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	order = malloc(n * sizeof(*order));
	if (!order) {
		munmap(buf, size);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = next_rand(&seed) % (i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (size_t i = 0; i < n; i++)
		*(void **)(buf + order[i] * LINE) =
			buf + order[(i + 1) % n] * LINE;
	p = (void **)(buf + order[0] * LINE);
	free(order);
	for (size_t i = 0; i < n; i++) /* fault in, warm the caches */
		p = *p;
	t0 = now_ns();
	for (unsigned long i = 0; i < READS; i++)
		p = *p;
	t1 = now_ns();
	/* Keep the chain's end alive, or the walk is dead code. */
	__asm__ volatile("" : : "r"(p));
	munmap(buf, size);
	return (t1 - t0) / READS;
}

int main(int argc, char **argv)
{
	size_t max_mib = 256;
	bool huge = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--huge")) {
			huge = true;
		} else if (!strcmp(argv[i], "--max-mib") && i + 1 < argc) {
			max_mib = strtoul(argv[++i], NULL, 10);
		} else {
			fprintf(stderr,
				"usage: bench_memlat [--huge] [--max-mib N]\n");
			return 2;
		}
	}
	if (max_mib < 1 || max_mib > 4096) {
		fprintf(stderr, "bench_memlat: --max-mib: 1 to 4096\n");
		return 2;
	}
	printf("| working set | ns per dependent read (%s pages) |\n",
	       huge ? "huge" : "4 KiB");
	printf("|---:|---:|\n");
	for (size_t size = 32 << 10; size <= max_mib << 20; size <<= 1) {
		double ns = chase(size, huge);

		if (ns < 0) {
			fprintf(stderr, "bench_memlat: %zu KiB: %s\n",
				size >> 10, strerror((int)-ns));
			return 1;
		}
		if (size < 1 << 20)
			printf("| %zu KiB | %.1f |\n", size >> 10, ns);
		else
			printf("| %zu MiB | %.1f |\n", size >> 20, ns);
	}
	return 0;
}
