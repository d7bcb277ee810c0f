/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The compiled forwarding table (maps/fastpath.h): one multibit trie per
 * family and the results its leaves point at, changed in place so that a
 * packet reading along always sees a whole answer. Pure: it works on
 * memory, the maps' mmaps in the loader or plain arrays in the tests, and
 * knows nothing of BPF or of the table of record it is compiled from.
 */
#ifndef FASTPATH_TRIE_H
#define FASTPATH_TRIE_H

#include <linux/types.h>

#include "fastpath.h"
#include "parse.h"

/*
 * The tables as this process last saw them. Writes go to the shadow and
 * to a log that fp_trie__insert/remove flush to the maps in order before
 * they return (results first, then plies before the slots linking them);
 * a generation in fp_plies[0] tells a process whose shadow another one
 * made stale. With no maps (fd_slots[0] < 0) it is memory only: tests.
 */
struct fp_trie {
	int fd_slots[2], fd_nh, fd_plies; /* fp_trie4, fp_trie6, ... */
	__u32 nplies[2]; /* ply numbers of each, the root's 256 included */
	__u32 *slots[2]; /* shadow of fp_trie4, fp_trie6 */
	__u8 *loaded[2]; /* per ply: shadow read from the map */
	__u32 *plies; /* shadow of fp_plies: IPv4's ply numbers, IPv6's */
	struct fp_nh *nh; /* shadow of fp_nh */
	__u32 gen; /* fp_plies[0] when the shadow was last right */
	int held; /* fp_trie__hold depth: changes wait to be flushed */
	bool begun; /* held, and the shadow checked once */
	__u32 (*now)(void); /* CLOCK_MONOTONIC seconds; tests set their own */
	/* Tests: called after every slot write, to look at each state. */
	void (*on_write)(void *ctx);
	void *on_write_ctx;
	/* Writes not yet in the maps, in the order they were made. */
	__u32 *log_key[2], *log_val[2], log_n[2], log_cap[2];
	__u32 *dirty_nh, n_dirty_nh, *dirty_ply, n_dirty_ply;
	__u8 *nh_mark, *ply_mark;
	/* This process's index of results by content; rebuilt when stale. */
	__u32 *index;
	__u32 index_cap, index_used, cursor_nh, cursor_ply[2];
};

/*
 * Sets up t over the maps' fds (all -1: memory only), with their sizes in
 * plies (fp_plies holds plies4 + plies6 entries); 0 or -errno.
 */
int fp_trie__init(struct fp_trie *t, int fd4, int fd6, int fd_nh, int fd_plies,
		  __u32 plies4, __u32 plies6, __u32 (*now)(void));
void fp_trie__fini(struct fp_trie *t);

/*
 * p now leads to res (an all-zero res: to no entry). -ENOSPC when a ply or
 * a result cannot be had; the table is then as it was.
 */
int fp_trie__insert(struct fp_trie *t, const struct fp_prefix *p,
		    const struct fp_nh *res);

/*
 * p's own leaves go back to its cover: cover_len and cover (NULL for
 * none), the longest entry of the table of record strictly shorter than p
 * that holds it. Plies left uniform fold back into their parent.
 */
int fp_trie__remove(struct fp_trie *t, const struct fp_prefix *p,
		    const struct fp_nh *cover, int cover_len);

/*
 * Between hold and release, changes stay in the shadow and the log, and
 * release writes them all, in order, with a few batched updates: for a
 * writer of many entries at once, holding the lock that serialises the
 * writers of the maps all along. Release returns 0 or -errno.
 */
void fp_trie__hold(struct fp_trie *t);
int fp_trie__release(struct fp_trie *t);

/* The result index the program would find for addr, 0 for none. */
__u32 fp_trie__lookup(const struct fp_trie *t, int family, const __u8 *addr);

/* The shadow read again where another process changed the maps. */
int fp_trie__refresh(struct fp_trie *t);

/* Plies and results in use, for status and the tests. */
void fp_trie__usage(const struct fp_trie *t, __u32 *plies4, __u32 *plies6,
		    __u32 *results);

#endif
