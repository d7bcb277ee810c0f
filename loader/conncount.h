/* SPDX-License-Identifier: GPL-2.0 */
/* loader/conncount.c: each applied connection's traffic by path. */
#ifndef FASTPATH_CONNCOUNT_H
#define FASTPATH_CONNCOUNT_H

#include <stddef.h>
#include <linux/types.h>

#include "fastpath.h"

/* fp_connstat's counters, fast then gateway, for fp_percpu. */
#define FP_CONNSTAT_N (sizeof(struct fp_connstat) / sizeof(struct fp_counter))
/* fp_vlanstat's: fast, gateway, other. */
#define FP_VLANSTAT_N (sizeof(struct fp_vlanstat) / sizeof(struct fp_counter))

struct fp_opts;
struct fp_maps;
struct fp_plan;

/* One connection's traffic by path (the model's, `fastpath apply`). */
struct fp_conn_counters {
	char name[64], vnet[64], circuit[64];
	struct fp_counter fast, gateway;
};

/*
 * The counters of every connection the state file says is applied (read
 * without the apply lock: the file is renamed into place). *out is
 * malloc'ed; none when there is no state.
 */
int fp_conn__counters(const struct fp_opts *o, const struct fp_maps *m,
		      struct fp_conn_counters **out, size_t *n);

/* The counters of p's connections; *out is calloc'ed (free it). */
int fp_conn__sum(const struct fp_maps *m, const struct fp_plan *p,
		 struct fp_conn_counters **out, size_t *n);

/* One tagged circuit of a trunk uplink (fp_vlans) and its traffic. */
struct fp_vlan_counters {
	__u32 ifindex;
	char uplink[16]; /* its name, or ifN once it is gone */
	__u16 outer, inner;
	__u32 circuit; /* the model's id, 0 outside it */
	__u32 gw_ifindex;
	struct fp_counter fast, gateway, other;
};

/* Every tagged circuit with its counters; *out is malloc'ed (free it). */
int fp_vlan__counters(const struct fp_maps *m, struct fp_vlan_counters **out,
		      size_t *n);

#endif
