// SPDX-License-Identifier: GPL-2.0
/* The three answers compared: see verify.h. Pure. */
#include <string.h>
#include <sys/socket.h>
#include <linux/types.h>

#include "fastpath.h"
#include "prefix.h"
#include "verify.h"

const char *fp_verify__kind_name(enum fp_vkind k)
{
	static const char *const names[FP_V_KINDS] = {
		[FP_V_AGREE] = "agree",
		[FP_V_WRONG_DELIVERY] = "wrong_delivery",
		[FP_V_MISSED] = "missed_acceleration",
		[FP_V_MODEL_MISMATCH] = "model_mismatch",
	};

	return (unsigned int)k < FP_V_KINDS ? names[k] : "unknown";
}

static bool policy_reason(__u32 reason)
{
	return reason == FP_R_EXCLUDED || reason == FP_R_CONN_OFF ||
	       reason == FP_R_OVER_BUDGET;
}

enum fp_vkind fp_verify__classify(const struct fp_vprog *prog,
				  const struct fp_vkernel *kern,
				  const struct fp_vmodel *model)
{
	bool model_fast = !model->known || model->reason == FP_R_FASTPATH;

	switch (fp_verdict_class(prog->reason, prog->dropped)) {
	case FP_CAP_FAST:
		if (kern->kind == FP_VK_UNKNOWN)
			break;
		if (kern->kind != FP_VK_PORT || kern->oif != prog->ifindex ||
		    (kern->mac_known && memcmp(kern->mac, prog->dmac, 6)))
			return FP_V_WRONG_DELIVERY;
		if (!model_fast)
			return FP_V_MODEL_MISMATCH;
		break;
	case FP_CAP_GATEWAY:
		if (policy_reason(prog->reason)) {
			if (!model->known)
				break;
			if (prog->reason == FP_R_OVER_BUDGET)
				return model_fast && !model->budget_full ?
					       FP_V_MODEL_MISMATCH :
					       FP_V_AGREE;
			/* Gateway for a policy the model does not have. */
			return model_fast ? FP_V_MODEL_MISMATCH : FP_V_AGREE;
		}
		if (kern->kind == FP_VK_PORT && kern->mac_known && model_fast)
			return FP_V_MISSED;
		break;
	default:
		break;
	}
	return FP_V_AGREE;
}

void fp_verify__model(const struct fp_plan *p, __u32 circuit,
		      const struct fp_prefix *a, bool circuit_full,
		      struct fp_vmodel *out)
{
	const struct fp_plan_circuit *c = p ? fp_plan__circuit(p, circuit) :
					      NULL;
	const struct fp_plan_conn *conn = NULL;
	__u32 xclasses = 0, allow, flag;
	int best = -1;

	memset(out, 0, sizeof(*out));
	if (!c)
		return;
	out->known = true;
	out->reason = FP_R_FASTPATH;
	out->budget_full = circuit_full;
	for (size_t i = 0; i < p->nspaces; i++)
		if (p->spaces[i].prefix.family == a->family &&
		    p->spaces[i].prefix.len > best &&
		    fp_prefix__within(a, &p->spaces[i].prefix)) {
			best = p->spaces[i].prefix.len;
			out->vnet = p->spaces[i].vnet;
		}
	if (out->vnet)
		conn = fp_plan__conn(p, out->vnet, circuit);
	for (size_t i = 0; i < p->nexcls; i++)
		if (p->excls[i].prefix.family == a->family &&
		    fp_prefix__within(a, &p->excls[i].prefix))
			xclasses |= 1U << p->excls[i].class;
	/* As the program: a VNet's own connection, or one through a hub. */
	allow = c->xallow;
	if (conn && (conn->flags & FP_CONN_F_LINKED)) {
		if (conn->flags & FP_CONN_F_PEERED)
			allow &= ~(1U << FP_CLASS_PRIVATE_LINK);
		else
			allow |= 1U << FP_CLASS_PEERING;
	}
	if (xclasses & ~allow) {
		out->reason = FP_R_EXCLUDED;
		out->xclass = __builtin_ctz(xclasses & ~allow);
		return;
	}
	if (!out->vnet)
		return;
	flag = a->family == AF_INET6 ? FP_CONN_F_FAST6 : FP_CONN_F_FAST4;
	if (!conn || !(conn->flags & flag))
		out->reason = FP_R_CONN_OFF;
}

void fp_verify__address(const struct fp_prefix *p, int which, __u64 rnd,
			struct fp_prefix *out)
{
	int bytes = p->family == AF_INET ? 4 : 16;
	int bits = bytes * 8;

	*out = *p;
	out->len = bits;
	for (int b = p->len; b < bits; b++) {
		__u8 mask = 0x80 >> (b % 8);
		bool one = which == 1 ||
			   (which == 2 && (rnd >> ((bits - 1 - b) % 64) & 1));

		if (one)
			out->addr[b / 8] |= mask;
		else
			out->addr[b / 8] &= ~mask;
	}
}
