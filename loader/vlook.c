// SPDX-License-Identifier: GPL-2.0
/* The looks at a disagreement: see vlook.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "prefix.h"
#include "vlook.h"

static bool same_prog(const struct fp_vresult *a, const struct fp_vresult *b)
{
	return a->prog_err == b->prog_err && a->prog.action == b->prog.action &&
	       a->prog.reason == b->prog.reason &&
	       a->prog.ifindex == b->prog.ifindex &&
	       !memcmp(a->prog.dmac, b->prog.dmac, sizeof(a->prog.dmac));
}

static bool same_kern(const struct fp_vkernel *a, const struct fp_vkernel *b)
{
	return a->kind == b->kind && a->oif == b->oif && a->table == b->table &&
	       a->has_gw == b->has_gw &&
	       (!a->has_gw || !memcmp(a->gw, b->gw, sizeof(a->gw))) &&
	       a->mac_known == b->mac_known &&
	       (!a->mac_known || !memcmp(a->mac, b->mac, sizeof(a->mac)));
}

static bool same_model(const struct fp_vmodel *a, const struct fp_vmodel *b)
{
	return a->known == b->known && a->reason == b->reason &&
	       a->xclass == b->xclass && a->vnet == b->vnet &&
	       a->budget_full == b->budget_full;
}

enum fp_vlook fp_vlook__decide(const struct fp_vresult *was,
			       const struct fp_vresult *now, int looks)
{
	/* Gone, another kind, or the same kind from other answers. */
	if (now->kind == FP_V_AGREE || now->kind != was->kind ||
	    !same_prog(was, now) || !same_kern(&was->kern, &now->kern) ||
	    !same_model(&was->model, &now->model))
		return FP_VLOOK_TRANSIENT;
	return looks + 1 >= FP_VLOOKS ? FP_VLOOK_CONFIRMED : FP_VLOOK_AGAIN;
}

void fp_vlook__start(struct fp_vlook_clock *c, long long now_ms,
		     long long settle_ms, __u64 step)
{
	c->next_ms = now_ms + FP_VLOOK_GAP_MS;
	c->settle_ms = now_ms + settle_ms;
	c->look_step = step;
}

enum fp_vlook_when fp_vlook__when(const struct fp_vlook_clock *c, bool idle,
				  __u64 step, long long now_ms)
{
	if (now_ms >= c->next_ms && idle && step > c->look_step)
		return FP_VLOOK_NOW;
	return now_ms >= c->settle_ms ? FP_VLOOK_GIVE_UP : FP_VLOOK_WAIT;
}

int fp_vlist__reserve(struct fp_vlist *l, size_t n)
{
	struct fp_vresult *r;
	int *looks;

	if (n <= l->cap)
		return 0;
	r = realloc(l->r, n * sizeof(*r));
	if (!r)
		return -ENOMEM;
	l->r = r;
	looks = realloc(l->looks, n * sizeof(*looks));
	if (!looks)
		return -ENOMEM;
	l->looks = looks;
	l->cap = n;
	return 0;
}

int fp_vlist__add(struct fp_vlist *l, const struct fp_vresult *r)
{
	if (l->n == l->cap) {
		int err = fp_vlist__reserve(l, l->cap ? 2 * l->cap : 64);

		if (err)
			return err;
	}
	l->looks[l->n] = 1;
	l->r[l->n++] = *r;
	return 0;
}

bool fp_vlist__has(const struct fp_vlist *l, const struct fp_vresult *r)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->r[i].kind == r->kind &&
		    fp_prefix__equal(&l->r[i].addr, &r->addr))
			return true;
	return false;
}

void fp_vlist__free(struct fp_vlist *l)
{
	free(l->r);
	free(l->looks);
	memset(l, 0, sizeof(*l));
}

int fp_vlook__pass(struct fp_vctx *v, struct fp_vlist *s,
		   struct fp_vlist *confirmed, __u64 *transient,
		   void (*on_confirm)(const struct fp_vresult *r, void *ctx),
		   void *ctx)
{
	struct fp_vresult *again;
	size_t k = 0;
	int err;

	if (!s->n)
		return 0;
	again = malloc(s->n * sizeof(*again));
	if (!again)
		return -ENOMEM;
	memcpy(again, s->r, s->n * sizeof(*again));
	err = fp_vctx__check(v, again, s->n);
	/* Room first: a confirmed one is never lost on the way. */
	if (!err)
		err = fp_vlist__reserve(confirmed, confirmed->n + s->n);
	if (err)
		goto out;
	for (size_t i = 0; i < s->n; i++) {
		switch (fp_vlook__decide(&s->r[i], &again[i], s->looks[i])) {
		case FP_VLOOK_TRANSIENT:
			(*transient)++;
			break;
		case FP_VLOOK_CONFIRMED:
			confirmed->looks[confirmed->n] = s->looks[i] + 1;
			confirmed->r[confirmed->n++] = again[i];
			if (on_confirm)
				on_confirm(&again[i], ctx);
			break;
		case FP_VLOOK_AGAIN:
			s->looks[k] = s->looks[i] + 1;
			s->r[k++] = again[i];
			break;
		}
	}
	s->n = k;
out:
	free(again);
	return err;
}
