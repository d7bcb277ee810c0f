/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `fastpath verify`: three answers for one destination arriving on an
 * uplink, and what their disagreement means.
 *
 *   program: what the attached fastpath_xdp does (probe.h);
 *   kernel:  where the host's routing sends it, in the table sync follows
 *            (RTM_GETROUTE, routeget.h), with the neighbour's MAC;
 *   model:   what the applied ExpressRoute model allows (exclusions,
 *            connections, budgets), or nothing outside the model.
 *
 * Deciding is pure: fp_verify__classify and fp_verify__model take plain
 * values, so cmocka tests them without a program or a kernel.
 */
#ifndef FASTPATH_VERIFY_H
#define FASTPATH_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "model.h"
#include "parse.h"

enum fp_vkind {
	FP_V_AGREE = 0,
	/* fast to a port or MAC the kernel would not use: critical */
	FP_V_WRONG_DELIVERY = FP_VERIFY_WRONG_DELIVERY,
	/* gateway (miss) where the kernel and the model say fast */
	FP_V_MISSED = FP_VERIFY_MISSED,
	/* the program applies policy the model does not, or not the
	 * policy it does */
	FP_V_MODEL_MISMATCH = FP_VERIFY_MODEL_MISMATCH,
	FP_V_KINDS, /* the size of fp_ctl's verify_last and verify_total */
};

/* "wrong_delivery", "missed_acceleration", "model_mismatch", "agree". */
const char *fp_verify__kind_name(enum fp_vkind k);

/* The program's answer (struct fp_probe_out, reduced). */
struct fp_vprog {
	__u32 reason; /* enum fp_reason */
	bool dropped; /* XDP_DROP / XDP_ABORTED */
	__u32 ifindex; /* redirect target of a fast answer */
	__u8 dmac[6];
};

enum fp_vkernel_kind {
	FP_VK_UNKNOWN = 0, /* no answer from the table sync follows */
	FP_VK_PORT, /* unicast out of a VM port */
	FP_VK_OTHER, /* unicast out of any other device (the gateway's) */
	FP_VK_LOCAL, /* one of the host's own addresses */
	FP_VK_NOROUTE, /* no route, blackhole, unreachable, prohibit */
};

struct fp_vkernel {
	enum fp_vkernel_kind kind;
	__u32 oif;
	__u32 table; /* the table that answered */
	bool has_gw;
	__u8 gw[16]; /* the nexthop, of the destination's family */
	/*
	 * The MAC the kernel would send to: the neighbour's (usable states,
	 * as sync takes them), or for a link route without one the port's
	 * --peer-mac, as sync takes it. Unknown: no fast answer is possible.
	 */
	bool mac_known;
	__u8 mac[6];
	int err; /* the lookup's -errno, for NOROUTE and UNKNOWN */
};

/* What the model says of the destination on this uplink. */
struct fp_vmodel {
	bool known; /* the uplink is a circuit of an applied model */
	__u32 reason; /* FP_R_FASTPATH, FP_R_EXCLUDED or FP_R_CONN_OFF */
	__u32 xclass; /* an exclusion class that holds (FP_R_EXCLUDED) */
	__u32 vnet; /* the VNet whose address space holds it, 0 if none */
	/*
	 * The circuit's budget is used up: an entry may rightly be over it
	 * (places go first come, first served; the model cannot say which).
	 */
	bool budget_full;
};

/*
 * The disagreement of the three answers, or FP_V_AGREE. Pure.
 *
 * - program fast: the kernel must send the packet out of the same port
 *   to the same MAC (when it knows one), else wrong delivery; the model
 *   must allow it, else model mismatch.
 * - program gateway for a policy (excluded, conn_off, over_budget): with
 *   a model, that policy must be the model's (over_budget: the budget
 *   full), else model mismatch. Without a model, it is the operator's.
 * - program gateway for a miss or a redirect error: missed acceleration
 *   when the kernel sends it out of a VM port with a MAC it knows and
 *   the model (if any) allows it.
 * - pass or drop (not the destination's doing: a spoofed source, ...),
 *   and an unknown kernel answer where the kernel decides: no finding.
 */
enum fp_vkind fp_verify__classify(const struct fp_vprog *prog,
				  const struct fp_vkernel *kern,
				  const struct fp_vmodel *model);

/*
 * The model's answer for address a (a host prefix) arriving on the
 * circuit id (1 .. FP_MAX_CIRCUITS) of plan p; circuit 0 or p NULL: not
 * known. circuit_full: that circuit's budget is used up. Pure: mirrors
 * the program's order (exclusions, unless the circuit's profile or the
 * VNet's own connection accelerates their class; then the connection).
 */
void fp_verify__model(const struct fp_plan *p, __u32 circuit,
		      const struct fp_prefix *a, bool circuit_full,
		      struct fp_vmodel *out);

/*
 * Address which of prefix p: 0 its first, 1 its last, 2 the one whose
 * host bits are rnd's low bits (repeated past 64). Pure.
 */
void fp_verify__address(const struct fp_prefix *p, int which, __u64 rnd,
			struct fp_prefix *out);

#endif
