/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `sync --verify-interval SECS`: a sampled verify inside the daemon, in
 * slices small enough never to hold up an event. Every SECS a run of
 * FP_VDAEMON_PROBES probes starts (random entries of sync's desired state:
 * an entry's first, last or a random address); a slice of
 * FP_VDAEMON_SLICE probes runs at most every FP_VDAEMON_PACE_MS, when the
 * event sockets are idle, or (when they never are) every
 * FP_VDAEMON_GAP_MS. A disagreement seen while the kernel's table changes
 * is no evidence: the daemon may not have applied the events pending when
 * it probed. So a disagreement counts only when it holds on two more
 * looks, each at least FP_VDAEMON_RECHECK_MS after the one before and
 * taken only once the daemon has caught up with the events pending at
 * that one (a later step whose poll found both event sockets empty, after
 * the reconcile of everything read before). One that goes away, or for
 * which the daemon does not catch up within FP_VDAEMON_SETTLE_MS, counts
 * as transient (kind slot FP_V_AGREE of fp_ctl's arrays), not as a
 * disagreement. An address and kind count once a run (at most
 * FP_VDAEMON_SUSPECTS wait for their looks at a time; more are not
 * counted). A finished run publishes its counts in fp_ctl (status, stats
 * --prometheus).
 */
#ifndef FASTPATH_VDAEMON_H
#define FASTPATH_VDAEMON_H

#include <stdbool.h>
#include <linux/types.h>

#include "fp.h"
#include "maps.h"
#include "vrun.h"
#include "xlate.h"

#define FP_VDAEMON_PROBES 1000
#define FP_VDAEMON_SLICE 8
#define FP_VDAEMON_PACE_MS 5
#define FP_VDAEMON_GAP_MS 100
#define FP_VDAEMON_RECHECK_MS 200
#define FP_VDAEMON_SUSPECTS 64
#define FP_VDAEMON_SETTLE_MS 10000

struct nl_cache;

struct fp_vdaemon {
	const struct fp_opts *o;
	const struct fp_maps *m;
	struct nl_cache *neighs; /* sync's, kept current by its manager */
	__u32 table;
	unsigned int interval_s; /* 0: off */
	long long next_run_ms, last_step_ms, recheck_ms;
	bool running, open;
	/*
	 * Steps so far, and the one of the suspects' last look: a look is
	 * due at an idle step after it (the events pending then applied).
	 */
	__u64 steps, look_step;
	long long settle_ms; /* caught up by then, or the suspects go */
	size_t done;
	__u64 found[FP_V_KINDS];
	struct fp_vresult suspects[FP_VDAEMON_SUSPECTS];
	int looks[FP_VDAEMON_SUSPECTS]; /* each suspect's, so far */
	size_t nsuspects;
	/* counted this run: an address and kind count once a run */
	struct fp_vresult confirmed[FP_VDAEMON_SUSPECTS];
	size_t nconfirmed;
	int warned; /* lines logged this run */
	__u64 rnd;
	struct fp_vctx v;
};

void fp_vdaemon__init(struct fp_vdaemon *d, const struct fp_opts *o,
		      const struct fp_maps *m, struct nl_cache *neighs,
		      __u32 table, unsigned int interval_s, long long now_ms);

/* How long the daemon may sleep in poll before the next step is due. */
int fp_vdaemon__timeout(const struct fp_vdaemon *d, long long now_ms,
			int timeout);

/*
 * One slice, if one is due. idle: both event sockets are empty now and
 * everything read before is applied to the maps (the caller calls only
 * when the maps are not known to be behind). Returns
 * true when a run finished: its counts are in *ctl (the caller publishes).
 */
bool fp_vdaemon__step(struct fp_vdaemon *d, const struct fp_xstate *xs,
		      bool idle, long long now_ms, struct fp_ctl *ctl);

void fp_vdaemon__fini(struct fp_vdaemon *d);

#endif
