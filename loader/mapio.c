// SPDX-License-Identifier: GPL-2.0
/* Map-full errors and per-CPU counter sums, written once (see mapio.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mapio.h"

bool fp_map__full(int err)
{
	return err == -E2BIG || err == -ENOSPC || err == -ENOMEM;
}

const char *fp_map__strerror(int err)
{
	return fp_map__full(err) ? "map is full" : strerror(-err);
}

int fp_percpu__init(struct fp_percpu *pc, int fd, size_t n)
{
	int ncpu = libbpf_num_possible_cpus();

	memset(pc, 0, sizeof(*pc));
	if (ncpu < 1)
		return ncpu < 0 ? ncpu : -EINVAL;
	pc->buf = calloc((size_t)ncpu * n, sizeof(*pc->buf));
	if (!pc->buf)
		return -ENOMEM;
	pc->fd = fd;
	pc->ncpu = ncpu;
	pc->n = n;
	return 0;
}

void fp_percpu__fini(struct fp_percpu *pc)
{
	free(pc->buf);
	memset(pc, 0, sizeof(*pc));
}

int fp_percpu__sum(struct fp_percpu *pc, const void *key,
		   struct fp_counter *out)
{
	memset(out, 0, pc->n * sizeof(*out));
	if (bpf_map_lookup_elem(pc->fd, key, pc->buf))
		return -errno;
	for (int c = 0; c < pc->ncpu; c++)
		for (size_t i = 0; i < pc->n; i++) {
			out[i].packets += pc->buf[c * pc->n + i].packets;
			out[i].bytes += pc->buf[c * pc->n + i].bytes;
		}
	return 0;
}

int fp_percpu__zero(struct fp_percpu *pc, const void *key)
{
	memset(pc->buf, 0, (size_t)pc->ncpu * pc->n * sizeof(*pc->buf));
	return bpf_map_update_elem(pc->fd, key, pc->buf, BPF_ANY) ? -errno : 0;
}
