// SPDX-License-Identifier: GPL-2.0
/*
 * Each applied connection's traffic by path (fp_connstat), for
 * `connection list` and `stats`: read only, from the state file and the
 * maps.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "conncount.h"
#include "maps.h"
#include "mapio.h"
#include "model.h"
#include "state.h"

/* A connection's two paths, summed over the CPUs. */
static void conn_sum(struct fp_percpu *pc, const struct fp_plan_conn *c,
		     struct fp_conn_counters *out)
{
	__u32 idx = FP_CONN_INDEX(c->vnet, c->circuit);
	struct fp_counter sum[FP_CONNSTAT_N];

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", c->name);
	snprintf(out->vnet, sizeof(out->vnet), "%s", c->vnet_name);
	snprintf(out->circuit, sizeof(out->circuit), "%s", c->circuit_name);
	/* Not there: counted as zero. */
	fp_percpu__sum(pc, &idx, sum);
	out->fast = sum[0];
	out->gateway = sum[1];
}

int fp_conn__sum(const struct fp_maps *m, const struct fp_plan *p,
		 struct fp_conn_counters **out, size_t *n)
{
	struct fp_percpu pc;
	int err;

	*out = NULL;
	*n = 0;
	err = fp_percpu__init(&pc, m->connstat, FP_CONNSTAT_N);
	if (err)
		return err;
	*out = calloc(p->nconns + 1, sizeof(**out));
	if (!*out) {
		fp_percpu__fini(&pc);
		return -ENOMEM;
	}
	for (size_t i = 0; i < p->nconns; i++)
		conn_sum(&pc, &p->conns[i], &(*out)[i]);
	*n = p->nconns;
	fp_percpu__fini(&pc);
	return 0;
}

int fp_conn__counters(const struct fp_opts *o, const struct fp_maps *m,
		      struct fp_conn_counters **out, size_t *n)
{
	struct fp_state st;
	char path[4096];
	int err;

	*out = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "%s/state.json", o->state_dir);
	err = fp_state__load(path, &st);
	if (err)
		return err;
	err = fp_conn__sum(m, &st.applied, out, n);
	fp_state__free(&st);
	return err;
}
