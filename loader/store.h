/* SPDX-License-Identifier: GPL-2.0 */
/* loader/store.c: the model's state files, their lock, one transaction. */
#ifndef FASTPATH_STORE_H
#define FASTPATH_STORE_H

#include <stdbool.h>

struct fp_opts;
struct fp_maps;
struct fp_plan;
struct fp_state;

struct fp_store {
	char dir[4096 - 32];
	char path[4096], pending[4096];
	int lockfd;
	bool interrupted; /* a pending plan was left: an apply died */
	bool readonly; /* apply --check: creates nothing, finishes nothing */
};

/* The state directory, locked (readonly: shared, nothing created). */
int fp_store__open(struct fp_store *s, const struct fp_opts *o, bool readonly);
void fp_store__close(struct fp_store *s);
/* The state, and in held the plan the maps may hold (a dead apply's too). */
int fp_store__load(struct fp_store *s, struct fp_state *st,
		   struct fp_plan *held);
/* Plan, pending note, steps, state: the one way any model command changes. */
int fp_store__transact(struct fp_maps *m, struct fp_store *s,
		       const struct fp_plan *held, struct fp_state *next);

#endif
