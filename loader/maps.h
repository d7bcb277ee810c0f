/* SPDX-License-Identifier: GPL-2.0 */
/*
 * loader/maps.c: one pin set's maps opened (or created) for this process,
 * their fds, the compiled table's shadow, and the writers' lock.
 */
#ifndef FASTPATH_LOADER_MAPS_H
#define FASTPATH_LOADER_MAPS_H

#include <stdbool.h>
#include <linux/types.h>

#include "fastpath.h"
#include "fp.h"
#include "trie.h"

struct fastpath; /* the generated skeleton */

struct fp_maps {
	struct fastpath *skel;
	int uplinks, ports, tx, hosts4, hosts6, routes4, routes6, excl4, excl6;
	int stats, srcfilt, present;
	int rstats; /* the return path's counters (fastpath_port) */
	int fibgen; /* the route lookups' generation (fp_maps__fib_writing) */
	int upv, portv, txv; /* by ifindex: loader/port.c, uplink.c */
	int nh, trie4, trie6, plies; /* the compiled table: loader/fib.c */
	int cidx4, cpool4; /* its compressed IPv4 last plies (trie.c) */
	struct fp_trie trie; /* their shadow (loader/trie.c) */
	int circuits, vnets4, vnets6, conns, connstat, arrival;
	int vlans, vlanstat; /* trunk uplinks' tagged circuits: uplink.c */
	int vlanv, vids; /* what the program reads of them: uplink.c */
	int lockfd; /* the pin directory, flock()ed by model writers; -1 */
	/*
	 * What loader/fib.c learned of the maps, so as not to ask again: at
	 * the start of the batch it holds open (fp_fib__batch_begin), whether
	 * the exclusion and VNet maps of each family ([0] IPv4, [1] IPv6) may
	 * hold entries, and in the batch the fp_srcfilt word it read last;
	 * for good, whether it marked fp_hosts6 present.
	 */
	struct fp_fib_batch {
		int depth;
		bool excl[2], vnets[2];
		bool sf_known, hosts6_marked;
		bool sf_ready; /* fp_srcfilt initialised, or tried */
		__u32 sf_word;
		__u64 sf_bits;
	} batch;
};

/* Reuse the pinned maps, or create a fresh set when there is none. */
int fp_maps__open(struct fp_maps *m, const struct fp_opts *o);
/*
 * For read-only commands: an existing, whole set or one line, never
 * created; no waiting for the lock that writers hold (but for a set not
 * yet whole) and nothing initialised. Reads see each entry whole, as they always did: the lock
 * was never held while they read.
 */
int fp_maps__open_readonly(struct fp_maps *m, const struct fp_opts *o);
void fp_maps__close(struct fp_maps *m);
/*
 * Map fds from m->skel, once loaded (tests load unpinned skeletons), and
 * the compiled table's shadow, which fp_maps__close() or
 * fp_maps__free_shadow() frees.
 */
int fp_maps__fill_fds(struct fp_maps *m);
void fp_maps__free_shadow(struct fp_maps *m);
/* The skeleton on an existing, whole pin set (the program's, for load). */
struct fastpath *fp_skel__open(const char *pin_path);
/* The object with no pin paths: private maps for tests and benchmarks. */
struct fastpath *fp_skel__open_private(void);
/*
 * Serialises the writers of the model's shared counters (the circuits'
 * budgets) across processes: sync, the CLI and apply. Nests.
 */
void fp_maps__lock(const struct fp_maps *m);
void fp_maps__unlock(const struct fp_maps *m);
/*
 * Under fp_maps__lock, before a write that may change what the program's
 * route lookups answer (loader/fib.c): fp_fibgen turns odd, and the
 * outermost fp_maps__unlock turns it even again (maps/fastpath.h).
 */
void fp_maps__fib_writing(const struct fp_maps *m);
int fp_maps__count(int fd, __u32 *count, __u32 *capacity);
int fp_stats__sum(const struct fp_maps *m, struct fp_counter out[FP_R_MAX]);
/* The same for the return path's program (fp_rstats). */
int fp_rstats__sum(const struct fp_maps *m, struct fp_counter out[FP_R_MAX]);

#endif
