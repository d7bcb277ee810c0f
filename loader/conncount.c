// SPDX-License-Identifier: GPL-2.0
/*
 * Each applied connection's traffic by path (fp_connstat), for
 * `connection list` and `stats`, and each tagged circuit's (fp_vlanstat),
 * for `status` and `stats`: read only, from the state file and the maps.
 */
#include <errno.h>
#include <net/if.h>
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
#include "uplink.h"

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

struct vlan_acc {
	struct fp_percpu pc;
	struct fp_vlan_counters *v;
	size_t n, cap;
};

static int vlan_one(const struct fp_vlan_key *k, const struct fp_vlan *r,
		    void *ctx)
{
	struct vlan_acc *a = ctx;
	struct fp_counter sum[FP_VLANSTAT_N];
	struct fp_vlan_counters *v;

	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 16;

		v = realloc(a->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		a->v = v;
		a->cap = cap;
	}
	v = &a->v[a->n++];
	memset(v, 0, sizeof(*v));
	v->ifindex = k->ifindex;
	if (!if_indextoname(k->ifindex, v->uplink))
		snprintf(v->uplink, sizeof(v->uplink), "if%u", k->ifindex);
	v->outer = k->outer;
	v->inner = k->inner;
	v->circuit = r->up.circuit;
	v->gw_ifindex = r->up.gw_ifindex;
	/* Not there: counted as zero. */
	fp_percpu__sum(&a->pc, &r->stat, sum);
	v->fast = sum[0];
	v->gateway = sum[1];
	v->other = sum[2];
	return 0;
}

static int vlan_order(const void *x, const void *y)
{
	const struct fp_vlan_counters *a = x, *b = y;

	if (a->ifindex != b->ifindex)
		return a->ifindex < b->ifindex ? -1 : 1;
	if (a->outer != b->outer)
		return a->outer < b->outer ? -1 : 1;
	return (a->inner > b->inner) - (a->inner < b->inner);
}

int fp_vlan__counters(const struct fp_maps *m, struct fp_vlan_counters **out,
		      size_t *n)
{
	struct vlan_acc a = { 0 };
	int err;

	*out = NULL;
	*n = 0;
	err = fp_percpu__init(&a.pc, m->vlanstat, FP_VLANSTAT_N);
	if (err)
		return err;
	err = fp_vlans__walk(m, 0, vlan_one, &a);
	fp_percpu__fini(&a.pc);
	if (err) {
		free(a.v);
		return err;
	}
	if (a.n)
		qsort(a.v, a.n, sizeof(*a.v), vlan_order);
	*out = a.v;
	*n = a.n;
	return 0;
}
