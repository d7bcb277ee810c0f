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

void fp_vdaemon__set_barrier(struct fp_vdaemon *d, __u64 (*barrier)(void *ctx),
			     void *ctx, const __u64 *barrier_read)
{
	d->barrier = barrier;
	d->barrier_ctx = ctx;
	d->barrier_read = barrier_read;
}

/* The suspects' clock from now: their next look waits for this mark. */
static void start_clock(struct fp_vdaemon *d, long long now_ms)
{
	/* A look is due once the mark is passed: barrier read, or a step. */
	__u64 mark = d->barrier ? d->barrier(d->barrier_ctx) - 1 : d->steps;

	fp_vlook__start(&d->clock, now_ms, FP_VDAEMON_SETTLE_MS, mark);
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
	else if (d->done >= FP_VDAEMON_PROBES && d->suspects.n)
		due = d->clock.next_ms > d->last_step_ms + FP_VDAEMON_PACE_MS ?
			      d->clock.next_ms :
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
	d->suspects.n = 0;
	d->confirmed.n = 0;
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
	/* A probe finds one suspect at most: room for all of them now. */
	if (fp_vlist__reserve(&d->suspects, FP_VDAEMON_PROBES) ||
	    fp_vlist__reserve(&d->confirmed, FP_VDAEMON_PROBES)) {
		pr_warn("sync: verify: no memory for a run's disagreements\n");
		close_run(d);
		return;
	}
	d->running = true;
	d->done = 0;
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

/* A new disagreement to look at again: one per address and kind. */
static void suspect(struct fp_vdaemon *d, const struct fp_vresult *r,
		    long long now_ms)
{
	if (fp_vlist__has(&d->suspects, r) || fp_vlist__has(&d->confirmed, r))
		return;
	if (!d->suspects.n)
		start_clock(d, now_ms);
	/* Cannot fail: start_run made room for a run's probes. */
	fp_vlist__add(&d->suspects, r);
}

/* A disagreement that held on its looks counts. */
static void confirm(const struct fp_vresult *r, void *ctx)
{
	struct fp_vdaemon *d = ctx;

	d->found[r->kind]++;
	if (d->warned++ < WARN_LINES) {
		fputs("sync: verify: ", stderr);
		fp_vresult__print(&d->v, r, stderr);
	}
}

/* The suspects no look can settle now count as transient, said so. */
static void give_up(struct fp_vdaemon *d, int err)
{
	if (err)
		pr_warn("sync: verify: %zu disagreements not looked at again: %s\n",
			d->suspects.n, strerror(-err));
	else
		pr_warn("sync: verify: %zu disagreements not looked at again: events kept coming for %d s\n",
			d->suspects.n, FP_VDAEMON_SETTLE_MS / 1000);
	d->found[FP_V_AGREE] += d->suspects.n;
	d->suspects.n = 0;
}

/* Another look at each suspect (vlook.h). */
static void recheck(struct fp_vdaemon *d, long long now_ms)
{
	int err = fp_vlook__pass(&d->v, &d->suspects, &d->confirmed,
				 &d->found[FP_V_AGREE], confirm, d);

	if (err) {
		give_up(d, err);
		return;
	}
	if (d->suspects.n)
		start_clock(d, now_ms);
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
		      bool idle, bool others_idle, long long now_ms,
		      struct fp_ctl *ctl)
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
	switch (!d->suspects.n ? FP_VLOOK_WAIT :
		d->barrier     ? fp_vlook__when(&d->clock, others_idle,
						*d->barrier_read, now_ms) :
				 fp_vlook__when(&d->clock, idle, d->steps,
						now_ms)) {
	case FP_VLOOK_NOW:
		recheck(d, now_ms);
		return false;
	case FP_VLOOK_GIVE_UP:
		/* Never caught up with the table: no evidence either way. */
		give_up(d, 0);
		break;
	case FP_VLOOK_WAIT:
		break;
	}
	if (d->done >= FP_VDAEMON_PROBES) {
		/* The last suspects have their looks first. */
		if (d->suspects.n)
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
	fp_vlist__free(&d->suspects);
	fp_vlist__free(&d->confirmed);
}
