// SPDX-License-Identifier: GPL-2.0
/* The daemon's sampled verify, in slices: see vdaemon.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "parse.h"
#include "vdaemon.h"

_Static_assert(FP_V_KINDS == sizeof(((struct fp_ctl *)0)->verify_last) /
				     sizeof(__u64),
	       "fp_ctl.verify_last holds every kind");

/* Lines logged per run: a broken table must not flood the journal. */
#define WARN_LINES 10

void fp_vdaemon__init(struct fp_vdaemon *d, const struct fp_opts *o,
		      const struct fp_maps *m, struct nl_cache *neighs,
		      __u32 table, unsigned int interval_s, long long now_ms)
{
	memset(d, 0, sizeof(*d));
	d->o = o;
	d->m = m;
	d->neighs = neighs;
	d->table = table;
	d->interval_s = interval_s;
	d->next_run_ms = now_ms + interval_s * 1000LL;
	d->rnd = (__u64)now_ms * 0x9e3779b97f4a7c15ULL | 1;
	d->v.pr.prog_fd = -1;
}

static __u64 next_rnd(__u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

int fp_vdaemon__timeout(const struct fp_vdaemon *d, long long now_ms,
			int timeout)
{
	long long due;

	if (!d->interval_s)
		return timeout;
	if (!d->running)
		due = d->next_run_ms;
	else if (d->done >= FP_VDAEMON_PROBES && d->nsuspects)
		due = d->recheck_ms > d->last_step_ms + FP_VDAEMON_PACE_MS ?
			      d->recheck_ms :
			      d->last_step_ms + FP_VDAEMON_PACE_MS;
	else
		due = d->last_step_ms + FP_VDAEMON_PACE_MS;
	due -= now_ms;
	if (due < 0)
		due = 0;
	return due < timeout ? (int)due : timeout;
}

static void close_run(struct fp_vdaemon *d)
{
	if (d->open)
		fp_vctx__close(&d->v);
	d->open = false;
	d->running = false;
}

static void start_run(struct fp_vdaemon *d, long long now_ms)
{
	d->next_run_ms = now_ms + d->interval_s * 1000LL;
	/* Quietly: no uplink or no program now is what status says. */
	d->open = !fp_vctx__open(&d->v, d->o, d->m, NULL, d->table, d->neighs,
				 NULL);
	if (!d->open)
		return;
	if (fp_vctx__refresh(&d->v)) {
		close_run(d);
		return;
	}
	d->running = true;
	d->done = 0;
	d->nsuspects = 0;
	d->nconfirmed = 0;
	d->warned = 0;
	memset(d->found, 0, sizeof(d->found));
}

/* Probes of random entries: first, last or a random address of each. */
static size_t pick(struct fp_vdaemon *d, const struct fp_xstate *xs,
		   struct fp_vresult *r, size_t max)
{
	size_t n, k = 0;
	const struct fp_xentry *e = fp_xstate__entries(xs, &n);

	for (; k < max && n; k++) {
		const struct fp_xentry *x = &e[next_rnd(&d->rnd) % n];

		memset(&r[k], 0, sizeof(r[k]));
		fp_verify__address(&x->prefix, (int)(next_rnd(&d->rnd) % 3),
				   next_rnd(&d->rnd), &r[k].addr);
		r[k].from = x->prefix;
		r[k].what = "entry";
	}
	return k;
}

static bool same_finding(const struct fp_vresult *a, const struct fp_vresult *b)
{
	return a->kind == b->kind && fp_prefix__equal(&a->addr, &b->addr);
}

static bool known(const struct fp_vresult *list, size_t n,
		  const struct fp_vresult *r)
{
	for (size_t i = 0; i < n; i++)
		if (same_finding(&list[i], r))
			return true;
	return false;
}

/* A new disagreement to look at again: one per address and kind. */
static void suspect(struct fp_vdaemon *d, const struct fp_vresult *r,
		    long long now_ms)
{
	if (d->nsuspects == FP_VDAEMON_SUSPECTS ||
	    known(d->suspects, d->nsuspects, r) ||
	    known(d->confirmed, d->nconfirmed, r))
		return;
	if (!d->nsuspects) {
		d->recheck_ms = now_ms + FP_VDAEMON_RECHECK_MS;
		d->settle_ms = now_ms + FP_VDAEMON_SETTLE_MS;
		d->look_step = d->steps;
	}
	d->looks[d->nsuspects] = 1;
	d->suspects[d->nsuspects++] = *r;
}

/* A look at the suspects is due: its time came, and the daemon caught up. */
static bool look_due(const struct fp_vdaemon *d, bool idle, long long now_ms)
{
	return now_ms >= d->recheck_ms && idle && d->steps > d->look_step;
}

/* A disagreement that held on its three looks counts. */
static void confirm(struct fp_vdaemon *d, const struct fp_vresult *r)
{
	d->found[r->kind]++;
	if (d->nconfirmed < FP_VDAEMON_SUSPECTS)
		d->confirmed[d->nconfirmed++] = *r;
	if (d->warned++ < WARN_LINES) {
		fputs("sync: verify: ", stderr);
		fp_vresult__print(&d->v, r, stderr);
	}
}

/* Another look at each suspect; the third one that still disagrees counts. */
static void recheck(struct fp_vdaemon *d, long long now_ms)
{
	struct fp_vresult again[FP_VDAEMON_SUSPECTS];
	size_t k = 0;

	memcpy(again, d->suspects, d->nsuspects * sizeof(again[0]));
	if (fp_vctx__check(&d->v, again, d->nsuspects)) {
		d->nsuspects = 0;
		return;
	}
	for (size_t i = 0; i < d->nsuspects; i++) {
		/* Gone, or another one: the table was moving. */
		if (again[i].kind != d->suspects[i].kind)
			d->found[FP_V_AGREE]++;
		else if (d->looks[i] + 1 >= 3)
			confirm(d, &again[i]);
		else {
			d->looks[k] = d->looks[i] + 1;
			d->suspects[k++] = again[i];
		}
	}
	d->nsuspects = k;
	d->recheck_ms = now_ms + FP_VDAEMON_RECHECK_MS;
	d->settle_ms = now_ms + FP_VDAEMON_SETTLE_MS;
	d->look_step = d->steps;
}

static void finish(struct fp_vdaemon *d, struct fp_ctl *ctl)
{
	ctl->verify_runs++;
	ctl->verify_probes += d->done;
	ctl->verify_last_s = (__u64)time(NULL);
	ctl->verify_last_probes = d->done;
	/* Slot FP_V_AGREE: the transient ones. */
	for (int k = 0; k < FP_V_KINDS; k++) {
		ctl->verify_last[k] = d->found[k];
		ctl->verify_total[k] += d->found[k];
	}
	pr_info("sync: verify: %zu probes: %llu wrong_delivery, %llu "
		"missed_acceleration, %llu model_mismatch; %llu transient\n",
		d->done, (unsigned long long)d->found[FP_V_WRONG_DELIVERY],
		(unsigned long long)d->found[FP_V_MISSED],
		(unsigned long long)d->found[FP_V_MODEL_MISMATCH],
		(unsigned long long)d->found[FP_V_AGREE]);
	close_run(d);
}

bool fp_vdaemon__step(struct fp_vdaemon *d, const struct fp_xstate *xs,
		      bool idle, long long now_ms, struct fp_ctl *ctl)
{
	struct fp_vresult r[FP_VDAEMON_SLICE];
	size_t n;

	if (!d->interval_s)
		return false;
	if (!d->running) {
		if (now_ms >= d->next_run_ms)
			start_run(d, now_ms);
		return false;
	}
	/*
	 * Events first: a slice waits for idle sockets, or its turn; and at
	 * most one slice a PACE_MS, so that the daemon stays one that mostly
	 * sleeps, which the scheduler wakes at once for the next event.
	 */
	if (now_ms - d->last_step_ms < FP_VDAEMON_PACE_MS ||
	    (!idle && now_ms - d->last_step_ms < FP_VDAEMON_GAP_MS))
		return false;
	d->last_step_ms = now_ms;
	d->steps++;
	if (d->nsuspects && look_due(d, idle, now_ms)) {
		recheck(d, now_ms);
		return false;
	}
	if (d->nsuspects && now_ms >= d->settle_ms) {
		/* Never caught up with the table: no evidence either way. */
		pr_warn("sync: verify: %zu disagreements not looked at again: events kept coming for %d s\n",
			d->nsuspects, FP_VDAEMON_SETTLE_MS / 1000);
		d->found[FP_V_AGREE] += d->nsuspects;
		d->nsuspects = 0;
	}
	if (d->done >= FP_VDAEMON_PROBES) {
		/* The last suspects have their looks first. */
		if (d->nsuspects)
			return false;
		finish(d, ctl);
		return true;
	}
	n = pick(d, xs, r,
		 FP_VDAEMON_PROBES - d->done < FP_VDAEMON_SLICE ?
			 FP_VDAEMON_PROBES - d->done :
			 FP_VDAEMON_SLICE);
	if (!n || fp_vctx__check(&d->v, r, n)) {
		/* Nothing to verify, or no answer: this run ends here. */
		finish(d, ctl);
		return true;
	}
	d->done += n;
	for (size_t i = 0; i < n; i++)
		if (r[i].kind != FP_V_AGREE)
			suspect(d, &r[i], now_ms);
	return false;
}

void fp_vdaemon__fini(struct fp_vdaemon *d)
{
	close_run(d);
}
