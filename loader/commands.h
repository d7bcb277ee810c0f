/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The commands (one file per family: table.c, attach.c, stats.c,
 * explain.c, sync.c, capture.c, apply.c; cli.c dispatches) and what their
 * files lend to others.
 */
#ifndef FASTPATH_COMMANDS_H
#define FASTPATH_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#include "fastpath.h"
#include "fp.h"

/* Commands: each returns an FP_EXIT_* code, messages already printed. */
int fp_cmd_port(const struct fp_opts *o, int argc, char **argv);
int fp_cmd_route(const struct fp_opts *o, int argc, char **argv);
int fp_cmd_exclude(const struct fp_opts *o, int argc, char **argv);
int fp_cmd_onprem(const struct fp_opts *o, int argc, char **argv);
/*
 * The return path's program (fastpath_port) on VM port ifindex, from the
 * object whose maps are pinned at the pin path; native mode, skb mode
 * where the driver refuses it. *how gets "native" or "skb". 0 or -errno
 * (-EBUSY: another program is attached there).
 */
int fp_attach__port(const struct fp_opts *o, int ifindex, const char **how);
/* fastpath_port off port ifindex; 0 also when it was not attached. */
int fp_attach__port_off(int ifindex);
int fp_cmd_uplink(const struct fp_opts *o, int argc, char **argv);
int fp_cmd_load(const struct fp_opts *o, int argc, char **argv);
int fp_cmd_unload(const struct fp_opts *o, int argc, char **argv);
int fp_cmd_status(const struct fp_opts *o, int argc, char **argv);
int fp_cmd_stats(const struct fp_opts *o, int argc, char **argv);
/*
 * Which maps program prog (FP_PROG_NAME on an uplink, FP_PROG_PORT_NAME
 * on a VM port) attached to ifindex reads: its fp_uplinks map's id, and
 * whether that is the pin set's (uplinks_fd). -ENOENT when prog is not
 * attached there.
 */
struct fp_answering {
	__u32 prog_id; /* the program's, also inside a dispatcher */
	__u32 uplinks_id; /* the fp_uplinks map it reads, 0 if unknown */
	bool pinned; /* that map is the one pinned at the pin path */
};
int fp_attach__maps_of(int ifindex, const char *prog, int uplinks_fd,
		       struct fp_answering *a);
int fp_cmd_explain(const struct fp_opts *o, int argc, char **argv);
int fp_cmd_verify(const struct fp_opts *o, int argc, char **argv);
int fp_cmd_sync(const struct fp_opts *o, int argc, char **argv);
int fp_cmd_capture(const struct fp_opts *o, int argc, char **argv);
int fp_cmd_apply(const struct fp_opts *o, int argc, char **argv);
int fp_cmd_authorization(const struct fp_opts *o, int argc, char **argv);
int fp_cmd_connection(const struct fp_opts *o, int argc, char **argv);

int fp_cli__run(int argc, char **argv);

/* stats.c */
/* The counters in Prometheus' text exposition format. */
int fp_stats__write_prometheus(FILE *f, const struct fp_counter *c);
/* The return path's (fp_rstats), as fastpath_return_*_total. */
int fp_stats__write_prometheus_return(FILE *f, const struct fp_counter *c);
struct fp_conn_counters; /* conncount.h */
/* The same format for every applied connection, both paths. */
int fp_stats__write_prometheus_conns(FILE *f, const struct fp_conn_counters *c,
				     size_t n);
struct fp_vlan_counters; /* conncount.h */
/* The same format for every tagged circuit, each path. */
int fp_stats__write_prometheus_vlans(FILE *f, const struct fp_vlan_counters *v,
				     size_t n);

/* The sync daemon's verify runs (fp_ctl): disagreements by kind, probes,
 * the time of the last run. */
int fp_stats__write_prometheus_verify(FILE *f, const struct fp_ctl *ctl);

#endif
