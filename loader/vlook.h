/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The looks at a disagreement, shared by `fastpath verify` and the
 * daemon's sampled verify (`sync --verify-interval`, vdaemon.h).
 *
 * A disagreement seen while the kernel's table changes is no evidence:
 * the maps may be behind an event sync has not applied yet. So one
 * counts only when it holds, the same kind with the same three answers,
 * on FP_VLOOKS looks, each at least FP_VLOOK_GAP_MS after the one before
 * (the daemon also waits until it has caught up with the events pending
 * at the look before). One that goes away, or whose answers change (the
 * table moved between looks), is transient, whatever a later look would
 * say; so is one the daemon could not look at again before its settle
 * time (events kept coming).
 *
 * fp_vlook__decide and fp_vlook__when are pure (tests/test_verify.c).
 */
#ifndef FASTPATH_VLOOK_H
#define FASTPATH_VLOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "vrun.h"

#define FP_VLOOKS 3 /* looks a disagreement holds on to count */
#define FP_VLOOK_GAP_MS 200 /* at least this long between two looks */

enum fp_vlook {
	FP_VLOOK_AGAIN, /* the same as before: one more look */
	FP_VLOOK_CONFIRMED, /* held on its FP_VLOOKS looks: it counts */
	FP_VLOOK_TRANSIENT, /* gone or changed: the table was moving */
};

/*
 * What this look (now) makes of a suspect last seen as was, after looks
 * looks (1 .. FP_VLOOKS - 1) that all saw the same. Pure.
 */
enum fp_vlook fp_vlook__decide(const struct fp_vresult *was,
			       const struct fp_vresult *now, int looks);

/* The suspects' clock: when their next look is due. */
struct fp_vlook_clock {
	long long next_ms; /* not before (the last look + FP_VLOOK_GAP_MS) */
	long long settle_ms; /* caught up by then, or they are transient */
	__u64 look_step; /* the daemon's step of the last look */
};

enum fp_vlook_when {
	FP_VLOOK_WAIT, /* not yet */
	FP_VLOOK_NOW, /* look again now */
	FP_VLOOK_GIVE_UP, /* never caught up: no evidence either way */
};

/* The clock of suspects first seen (or last looked at) at now_ms. */
void fp_vlook__start(struct fp_vlook_clock *c, long long now_ms,
		     long long settle_ms, __u64 step);

/*
 * Whether a look is due at step (the daemon's count of its steps; the
 * command passes look_step + 1): its time came, the caller is caught up
 * (idle: nothing pending, everything read applied) and this is a later
 * step than the last look's. Else, past settle_ms: give up. Pure.
 */
enum fp_vlook_when fp_vlook__when(const struct fp_vlook_clock *c, bool idle,
				  __u64 step, long long now_ms);

/* Disagreements, each with its looks so far; grows as needed. */
struct fp_vlist {
	struct fp_vresult *r;
	int *looks;
	size_t n, cap;
};

/* Room for n in all, so that adding up to n cannot fail. 0 or -ENOMEM. */
int fp_vlist__reserve(struct fp_vlist *l, size_t n);
/* r with one look. 0 or -ENOMEM (l unchanged). */
int fp_vlist__add(struct fp_vlist *l, const struct fp_vresult *r);
/* A finding of r's address and kind is in l. */
bool fp_vlist__has(const struct fp_vlist *l, const struct fp_vresult *r);
void fp_vlist__free(struct fp_vlist *l);

/*
 * Another look at every suspect in s, asked anew through v: a transient
 * one is counted in *transient and dropped; a confirmed one moves to
 * confirmed (room reserved by the caller, or it grows) and is passed to
 * on_confirm (if not NULL); the rest stay, one look more. 0 or -errno
 * (s then unchanged).
 */
int fp_vlook__pass(struct fp_vctx *v, struct fp_vlist *s,
		   struct fp_vlist *confirmed, __u64 *transient,
		   void (*on_confirm)(const struct fp_vresult *r, void *ctx),
		   void *ctx);

#endif
