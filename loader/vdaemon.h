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
 * it probed. So a disagreement counts only when it holds on its looks
 * (vlook.h, as `fastpath verify`'s), each taken only once the daemon has
 * caught up with the events pending at the one before: the ACK of a
 * barrier sync sent on its route socket at that look (the kernel queues
 * it behind the route events pending then) read and applied, or a
 * re-dump since, with the neighbour and link socket empty; without a
 * barrier, a later step whose poll found both sockets empty. One that
 * goes away or changes, or for which
 * the daemon does not catch up within FP_VDAEMON_SETTLE_MS, counts as
 * transient (kind slot FP_V_AGREE of fp_ctl's arrays), not as a
 * disagreement. An address and kind count once a run; every suspect of a
 * run is kept for its looks (room for FP_VDAEMON_PROBES is taken when the
 * run starts, so none is lost). A finished run publishes its counts in
 * fp_ctl (status, stats --prometheus).
 */
#ifndef FASTPATH_VDAEMON_H
#define FASTPATH_VDAEMON_H

#include <stdbool.h>
#include <linux/types.h>

#include "fp.h"
#include "maps.h"
#include "vlook.h"
#include "vrun.h"
#include "xlate.h"

#define FP_VDAEMON_PROBES 1000
#define FP_VDAEMON_SLICE 8
#define FP_VDAEMON_PACE_MS 5
#define FP_VDAEMON_GAP_MS 100
#define FP_VDAEMON_SETTLE_MS 10000

struct nl_cache;

struct fp_vdaemon {
	const struct fp_opts *o;
	const struct fp_maps *m;
	struct nl_cache *neighs; /* sync's, kept current by its manager */
	__u32 table;
	unsigned int interval_s; /* 0: off */
	long long next_run_ms, last_step_ms;
	bool running, open;
	/*
	 * Steps so far: a look is due at an idle step after the last one's
	 * (the events pending then applied; clock.look_step).
	 */
	__u64 steps;
	/*
	 * Route events never pause under churn the daemon cannot keep up
	 * with, so an empty socket is no test of catching up: with barrier
	 * set, a look waits instead for a barrier the caller sent behind the
	 * events pending at the look before (barrier returns its number) to
	 * be read, everything before it applied (*barrier_read), and for the
	 * other events (neighbours, links: step's others_idle).
	 */
	__u64 (*barrier)(void *ctx);
	void *barrier_ctx;
	const __u64 *barrier_read;
	struct fp_vlook_clock clock; /* the suspects' next look */
	size_t done;
	__u64 found[FP_V_KINDS];
	struct fp_vlist suspects; /* waiting for their looks */
	/* counted this run: an address and kind count once a run */
	struct fp_vlist confirmed;
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

/* Looks wait for the caller's barriers (see barrier above). */
void fp_vdaemon__set_barrier(struct fp_vdaemon *d, __u64 (*barrier)(void *ctx),
			     void *ctx, const __u64 *barrier_read);

/*
 * One slice, if one is due. idle: both event sockets are empty now and
 * everything read before is applied to the maps (the caller calls only
 * when the maps are not known to be behind); others_idle: the same of the
 * events other than routes (with a barrier). Returns true when a run
 * finished: its counts are in *ctl (the caller publishes).
 */
bool fp_vdaemon__step(struct fp_vdaemon *d, const struct fp_xstate *xs,
		      bool idle, bool others_idle, long long now_ms,
		      struct fp_ctl *ctl);

void fp_vdaemon__fini(struct fp_vdaemon *d);

#endif
