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
	int fd_cidx, fd_cpool; /* fp_cidx4, fp_cpool4 */
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
	/*
	 * Compressed last plies of IPv4: the shadow of fp_cidx4, the plies
	 * written since the last flush, and (memory only) the pool itself.
	 */
	__u32 *cidx, *cdirty, n_cdirty, cpool_half, cply_min;
	__u8 *cdirty_mark;
	bool cvalidate; /* fp_cidx4 read anew: check it before use */
	__u64 *cpool;
	/* This process's index of results by content; rebuilt when stale. */
	__u32 *index;
	__u32 index_cap, index_used, cursor_nh, cursor_ply[2];
};

/* The maps a trie lives in, and their sizes. */
struct fp_trie_maps {
	int trie4, trie6, nh, plies, cidx4, cpool4; /* all -1: memory only */
	__u32 plies4, plies6; /* in plies; fp_plies holds their sum */
	__u32 cpool_half; /* words in each half of fp_cpool4 */
	__u32 cply_min; /* IPv4 plies in use before compressing */
};

/* Sets up t over the maps (all fds -1: memory only); 0 or -errno. */
int fp_trie__init(struct fp_trie *t, const struct fp_trie_maps *maps,
		  __u32 (*now)(void));
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

/*
 * The result index the program would find for addr, 0 for none: from the
 * plies, or (memory only) from a compressed last ply where there is one.
 */
__u32 fp_trie__lookup(const struct fp_trie *t, int family, const __u8 *addr);

/* The shadow read again where another process changed the maps. */
int fp_trie__refresh(struct fp_trie *t);

/* Plies and results in use, for status and the tests. */
void fp_trie__usage(const struct fp_trie *t, __u32 *plies4, __u32 *plies6,
		    __u32 *results);

/* IPv4 plies with a compressed node, and the pool's words in use. */
void fp_trie__cusage(const struct fp_trie *t, __u32 *nodes, __u32 *words);

/*
 * A compressed node of the 256 leaves of ply k into out (FP_CNODE_MAX
 * words): its size in words, 0 when a leaf links a ply (not a last ply).
 */
__u32 fp_cnode__encode(const __u32 *leaves, __u32 k, __u64 *out);

/* The result of slot s in the node at words[0], as the program reads it. */
__u32 fp_cnode__lookup(const __u64 *node, __u32 s);

#endif
