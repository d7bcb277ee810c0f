/* SPDX-License-Identifier: GPL-2.0 */
/* The loader's shared state: global options and the opened maps. */
#ifndef FASTPATH_FP_H
#define FASTPATH_FP_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#include "fastpath.h"
#include "trie.h"

/* With -n NAME and no --pin-path: FP_DEFAULT_PIN_PATH@NAME. */
#define FP_DEFAULT_PIN_PATH "/sys/fs/bpf/fastpath"

/* Exit codes of every command. */
enum { FP_EXIT_OK = 0, FP_EXIT_ERR = 1, FP_EXIT_USAGE = 2 };

struct fp_opts {
	const char *pin_path;
	const char *state_dir; /* the model's state (apply) */
	const char *netns;
	bool default_pin_path; /* no --pin-path: FP_DEFAULT_PIN_PATH or -n's */
	bool json;
	int verbose;
};

struct fastpath; /* the generated skeleton */

struct fp_maps {
	struct fastpath *skel;
	int uplinks, ports, tx, hosts4, hosts6, routes4, routes6, excl4, excl6;
	int stats, srcfilt, present;
	int upv, portv, txv; /* by ifindex: loader/port.c, uplink.c */
	int nh, trie4, trie6, plies; /* the compiled table: loader/fib.c */
	struct fp_trie trie; /* their shadow (loader/trie.c) */
	int circuits, vnets4, vnets6, conns, connstat, arrival;
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

/* pinset.c: the namespace, the bpffs, and the checks of a pin set. */
int fp_env__enter(const struct fp_opts *o);
/* Only -n's namespace, no bpffs: for a command that only looks. */
int fp_env__enter_netns(const struct fp_opts *o);
/*
 * The pin set at pin_path checked (bpffs; directory, its parents and pins
 * root's and nobody else's to write; layout; network namespace), and
 * locked for the caller: its directory fd, or -errno after one line.
 * With create, a missing directory or empty set is made (*fresh: only the
 * meta maps are pinned, libbpf pins the rest); without, it is "no
 * fastpath maps at DIR" and nothing is created.
 */
int fp_pinset__open(const char *pin_path, bool create, bool *fresh);
/*
 * The same checks for a command that only reads, with no lock (a writer
 * may hold it for long) and no creation: the directory fd, -errno after
 * one line, or -EAGAIN and nothing said when the set is empty, which a
 * creator may be filling: ask fp_pinset__open then, which waits for it.
 */
int fp_pinset__open_ro(const char *pin_path);
struct bpf_object;
/* Every map obj pins is in the set at dfd, or one line "damaged". */
int fp_pinset__complete(const char *pin_path, int dfd,
			const struct bpf_object *obj);
/* The same question, silent. */
bool fp_pinset__whole(int dfd, const struct bpf_object *obj);
/*
 * The set's namespace record against this process's namespace: 0 when
 * they agree or the set has none (claimed when claim and all zero), else
 * one line and -EXDEV (another live namespace's set) or -ESTALE (its
 * namespace is gone; 0 instead when gone_ok).
 */
int fp_pins__check_netns(const char *pin_path, bool claim, bool gone_ok);
/* Our pins (fp_*) under pin_path: how many, or -errno. */
int fp_pins__present(const char *pin_path);
/*
 * Unpin every fp_* under pin_path (and the directory once empty), whatever
 * its layout: how many, or -errno.
 */
int fp_pins__remove(const char *pin_path);
/* The pinned fp_uplinks (key __u32 ifindex in every layout), or -errno. */
int fp_pins__open_uplinks(const char *pin_path);
/* The pinned fp_upv if it has this layout's shape, or -errno. */
int fp_pins__open_upv(const char *pin_path);

/* maps.c */
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
int fp_maps__count(int fd, __u32 *count, __u32 *capacity);
int fp_stats__sum(const struct fp_maps *m, struct fp_counter out[FP_R_MAX]);
/* The counters in Prometheus' text exposition format. */
int fp_stats__write_prometheus(FILE *f, const struct fp_counter *c);
struct fp_conn_counters; /* conncount.h */
/* The same format for every applied connection, both paths. */
int fp_stats__write_prometheus_conns(FILE *f, const struct fp_conn_counters *c,
				     size_t n);

/* table.c: ports, routes, exclusions, uplinks. */
int fp_port__add(struct fp_maps *m, const char *ifname, const __u8 *peer_mac);
int fp_port__del(struct fp_maps *m, const char *ifname);
int fp_route__add(struct fp_maps *m, const char *prefix, const char *ifname,
		  const char *lladdr);
int fp_route__del(struct fp_maps *m, const char *prefix);
int fp_excl__add(struct fp_maps *m, const char *prefix, const char *class);
int fp_excl__del(struct fp_maps *m, const char *prefix);
int fp_uplink__set(struct fp_maps *m, const char *ifname, const char *gw_port,
		   __u32 flags, struct fp_uplink *old, bool *existed);
int fp_uplink__restore(struct fp_maps *m, __u32 ifindex,
		       const struct fp_uplink *old, bool existed);
int fp_uplink__del(struct fp_maps *m, const char *ifname);

/* Commands: each returns an FP_EXIT_* code, messages already printed. */
int fp_cmd_port(const struct fp_opts *o, int argc, char **argv);
int fp_cmd_route(const struct fp_opts *o, int argc, char **argv);
int fp_cmd_exclude(const struct fp_opts *o, int argc, char **argv);
int fp_cmd_uplink(const struct fp_opts *o, int argc, char **argv);
int fp_cmd_load(const struct fp_opts *o, int argc, char **argv);
int fp_cmd_unload(const struct fp_opts *o, int argc, char **argv);
int fp_cmd_status(const struct fp_opts *o, int argc, char **argv);
int fp_cmd_stats(const struct fp_opts *o, int argc, char **argv);
/*
 * Which maps the fastpath_xdp attached to an uplink reads: its fp_uplinks
 * map's id, and whether that is the pin set's (uplinks_fd). -ENOENT when
 * fastpath_xdp is not attached there.
 */
struct fp_answering {
	__u32 prog_id; /* fastpath_xdp's, also inside a dispatcher */
	__u32 uplinks_id; /* the fp_uplinks map it reads, 0 if unknown */
	bool pinned; /* that map is the one pinned at the pin path */
};
int fp_attach__maps_of(int ifindex, int uplinks_fd, struct fp_answering *a);
int fp_cmd_explain(const struct fp_opts *o, int argc, char **argv);
int fp_cmd_sync(const struct fp_opts *o, int argc, char **argv);
int fp_cmd_capture(const struct fp_opts *o, int argc, char **argv);
int fp_cmd_apply(const struct fp_opts *o, int argc, char **argv);
int fp_cmd_authorization(const struct fp_opts *o, int argc, char **argv);
int fp_cmd_connection(const struct fp_opts *o, int argc, char **argv);

int fp_cli__run(int argc, char **argv);

#endif
