/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `sync --verify-interval SECS`: a sampled verify inside the daemon, in
 * slices small enough never to hold up an event. Every SECS a run of
 * FP_VDAEMON_PROBES probes starts (random entries of sync's desired state:
 * an entry's first, last or a random address); a slice of
 * FP_VDAEMON_SLICE probes runs at most every FP_VDAEMON_PACE_MS, when the
 * event sockets are idle, or (when they never are) every
 * FP_VDAEMON_GAP_MS. A disagreement counts only when it holds
 * on two more looks FP_VDAEMON_RECHECK_MS apart, with the events read in
 * between (the kernel may be one event ahead of the maps), and once a run
 * per address and kind (at most FP_VDAEMON_SUSPECTS wait for their looks
 * at a time; more are not counted). A finished run
 * publishes its counts in fp_ctl (status, stats --prometheus).
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
#define FP_VDAEMON_GAP_MS 20
#define FP_VDAEMON_RECHECK_MS 200
#define FP_VDAEMON_SUSPECTS 64

struct nl_cache;

struct fp_vdaemon {
	const struct fp_opts *o;
	const struct fp_maps *m;
	struct nl_cache *neighs; /* sync's, kept current by its manager */
	__u32 table;
	unsigned int interval_s; /* 0: off */
	long long next_run_ms, last_step_ms, recheck_ms;
	bool running, open;
	int looks; /* of the suspects so far */
	size_t done;
	__u64 found[FP_V_KINDS];
	struct fp_vresult suspects[FP_VDAEMON_SUSPECTS];
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
 * One slice, if one is due (idle: the event sockets had nothing). Returns
 * true when a run finished: its counts are in *ctl (the caller publishes).
 */
bool fp_vdaemon__step(struct fp_vdaemon *d, const struct fp_xstate *xs,
		      bool idle, long long now_ms, struct fp_ctl *ctl);

void fp_vdaemon__fini(struct fp_vdaemon *d);

#endif
