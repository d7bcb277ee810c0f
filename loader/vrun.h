/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One verify context: the program (probe.h), the kernel (routeget.h) and
 * the model (state.json's applied plan, verify.h) of one uplink, asked
 * about many addresses. The command (`fastpath verify`) and the daemon
 * (`sync --verify-interval`) share it.
 */
#ifndef FASTPATH_VRUN_H
#define FASTPATH_VRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <json-c/json.h>

#include "fp.h"
#include "maps.h"
#include "model.h"
#include "probe.h"
#include "routeget.h"
#include "verify.h"

struct fp_vport {
	__u32 ifindex;
	__u8 peer_mac[6];
};

struct fp_vctx {
	const struct fp_opts *o;
	const struct fp_maps *m;
	const char *uplink; /* NULL: the first */
	__u32 table; /* the table sync follows */
	struct fp_prober pr;
	struct fp_routeget rg;
	bool borrowed_neighs; /* rg.neighs is the caller's */
	struct fp_vport *ports; /* VM ports, by ifindex */
	size_t nports;
	struct fp_plan plan;
	bool have_plan;
	__u32 circuit; /* the uplink's, 0 outside the model */
	bool circuit_full;
};

/* One address's three answers. */
struct fp_vresult {
	struct fp_prefix addr;
	struct fp_prefix from; /* the entry, exclusion or space it came from */
	const char *what; /* "entry", "exclusion", "space", "sample" */
	int prog_err; /* the test run's -errno, 0 when it answered */
	struct fp_probe_out prog;
	struct fp_vkernel kern;
	struct fp_vmodel model;
	enum fp_vkind kind;
};

/*
 * Opens the program and a netlink socket (cmd names the command in
 * messages). neighs: a libnl neighbour cache the caller keeps current
 * (sync's), or NULL to dump one per fp_vctx__refresh. 0 or -errno, after
 * one line on stderr (none when cmd is NULL).
 */
int fp_vctx__open(struct fp_vctx *v, const struct fp_opts *o,
		  const struct fp_maps *m, const char *uplink, __u32 table,
		  struct nl_cache *neighs, const char *cmd);
void fp_vctx__close(struct fp_vctx *v);

/* VM ports, neighbours, the model and the budget, read anew. */
int fp_vctx__refresh(struct fp_vctx *v);

/* Three answers and their kind for r[0 .. n-1] (addr, from, what set). */
int fp_vctx__check(struct fp_vctx *v, struct fp_vresult *r, size_t n);

/*
 * fn for the address of every usable neighbour (as sync takes them) on a
 * VM port: what the kernel would deliver there even when the maps have
 * no entry for it (a missed acceleration).
 */
int fp_vctx__neighbours(const struct fp_vctx *v,
			int (*fn)(const struct fp_prefix *a, void *ctx),
			void *ctx);

/* One line: "KIND ADDR (WHAT FROM): program ...; kernel ...; model ...". */
void fp_vresult__print(const struct fp_vctx *v, const struct fp_vresult *r,
		       FILE *f);
json_object *fp_vresult__json(const struct fp_vctx *v,
			      const struct fp_vresult *r);

#endif
