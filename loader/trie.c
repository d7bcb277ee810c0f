// SPDX-License-Identifier: GPL-2.0
/*
 * Insertion and removal in the compiled tries, in place, in the manner of
 * VPP's ip4_mtrie: every leaf carries the prefix length of the entry that
 * wrote it, so an insertion overwrites only the leaves of entries no
 * longer than its own, and a removal gives back to the cover only the
 * leaves of its own length. Readers (the XDP program) never lock: each
 * change is one __u32 store of a finished leaf, a new ply is filled before
 * the store that links it, and plies and results freed here are not used
 * again for FP_REUSE_SECS, far longer than any packet takes.
 *
 * Results are shared by content; refs counts the leaves pointing at one.
 *
 * The maps are written through syscalls, not their mmaps: on the machines
 * this project runs on (a Firecracker guest kernel), a BPF_F_MMAPABLE
 * array's mapping does not show the map's memory. A shadow of each table
 * and a log of the writes, flushed in order with batched updates, stand
 * in for it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <bpf/bpf.h>

#include "trie.h"

/* What a result is looked up and shared by: all but the loader's words. */
#define NH_KEY_LEN offsetof(struct fp_nh, refs)

static const int max_depth[2] = { 2, 14 };

/*
 * fp_plies' first slots are the root's ply numbers, never allocated: they
 * hold the table's generation and its high-water marks (results and plies
 * ever used), so a process reads only as much as was ever written.
 */
enum {
	META_GEN = 0,
	META_NH_HWM = 1,
	META_PLY_HWM = 2, /* + family */
	META_CP_HALF = 4, /* fp_cpool4: the half nodes are made in */
	META_CP_TOP = 5, /* its first word not yet used */
	META_CP_FLIP = 6, /* when it became the one, a stamp */
	META_MAX = 8,
};

static __u32 ply_idx(const struct fp_trie *t, int f, __u32 k);

/* A high-water mark, at least the first index there is to use. */
static __u32 hwm(const struct fp_trie *t, int which)
{
	__u32 v = t->plies[which],
	      min = which == META_NH_HWM ? 1 : FP_ROOT_PLIES;

	return v > min ? v : min;
}

static int fam(int family)
{
	return family == AF_INET ? 0 : 1;
}

/* The last address bit, plus one, that a slot at depth d decides. */
static int end_bit(int d)
{
	return 16 + 8 * d;
}

/* The index of addr's slot within its ply at depth d. */
static __u32 slot_of(const __u8 *addr, int d)
{
	return d ? addr[1 + d] : (__u32)addr[0] << 8 | addr[1];
}

static __u32 leaf_nh(__u32 leaf)
{
	return leaf & FP_LEAF_PLY ? 0 : leaf & FP_LEAF_NH_MASK;
}

/* ---- the shadow and the write log ------------------------------------- */

static bool backed(const struct fp_trie *t)
{
	return t->fd_slots[0] >= 0;
}

/* Reads n values of map fd from key first on, into vals (key order). */
static int read_run(int fd, __u32 first, __u32 n, void *vals)
{
	__u32 prev = first - 1, out, count = n, *keys;
	int err = 0;

	keys = calloc(n, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	/* An array's batch starts after the key given: none for key 0. */
	if (bpf_map_lookup_batch(fd, first ? &prev : NULL, &out, keys, vals,
				 &count, NULL) &&
	    errno != ENOENT)
		err = -errno;
	else if (count != n || keys[0] != first)
		err = -EIO;
	free(keys);
	return err;
}

static int load_ply(struct fp_trie *t, int f, __u32 k)
{
	int err = 0;

	/* The root too, a ply's worth at a time: a change reads little. */
	if (backed(t))
		err = read_run(t->fd_slots[f], k * 256, 256,
			       &t->slots[f][k * 256]);
	if (!err)
		t->loaded[f][k] = 1;
	return err;
}

/*
 * A slot's value; *err set once a read fails (the walk then stops
 * short and nothing is flushed).
 */
static __u32 rd(struct fp_trie *t, int f, __u32 i, int *err)
{
	if (!t->loaded[f][i / 256] && !*err)
		*err = load_ply(t, f, i / 256);
	return *err ? 0 : t->slots[f][i];
}

static int log_grow(__u32 **a, __u32 cap)
{
	__u32 *n = realloc(*a, cap * sizeof(**a));

	if (!n)
		return -ENOMEM;
	*a = n;
	return 0;
}

/* An IPv4 ply whose compressed node, if any, is to be made anew. */
static void cdirty(struct fp_trie *t, __u32 k)
{
	if (!t->cdirty_mark[k]) {
		t->cdirty_mark[k] = 1;
		t->cdirty[t->n_cdirty++] = k;
	}
}

static void wr(struct fp_trie *t, int f, __u32 i, __u32 v)
{
	t->slots[f][i] = v;
	if (!f && i >= FP_ROOT_PLIES * 256)
		cdirty(t, i / 256);
	if (t->on_write)
		t->on_write(t->on_write_ctx);
	if (!backed(t))
		return;
	if (t->log_n[f] == t->log_cap[f]) {
		__u32 cap = t->log_cap[f] ? 2 * t->log_cap[f] : 1024;

		/* Out of memory: the flush will resend the whole table. */
		if (log_grow(&t->log_key[f], cap) ||
		    log_grow(&t->log_val[f], cap)) {
			t->log_n[f] = ~0U;
			return;
		}
		t->log_cap[f] = cap;
	}
	if (t->log_n[f] == ~0U)
		return;
	t->log_key[f][t->log_n[f]] = i;
	t->log_val[f][t->log_n[f]++] = v;
}

static void nh_dirty(struct fp_trie *t, __u32 id)
{
	if (backed(t) && !t->nh_mark[id]) {
		t->nh_mark[id] = 1;
		t->dirty_nh[t->n_dirty_nh++] = id;
	}
}

static void ply_set(struct fp_trie *t, __u32 idx, __u32 state)
{
	t->plies[idx] = state;
	if (backed(t) && !t->ply_mark[idx]) {
		t->ply_mark[idx] = 1;
		t->dirty_ply[t->n_dirty_ply++] = idx;
	}
}

static int write_batch(int fd, const __u32 *keys, const void *vals, __u32 n)
{
	__u32 count = n;

	if (!n)
		return 0;
	return bpf_map_update_batch(fd, keys, vals, &count, NULL) ? -errno : 0;
}

/*
 * The dirty results (held: those leaves point at, or the rest) or ply
 * states (taken: in use, and the high-water marks; or the freed ones)
 * into their map, with one batched update.
 */
static int flush_nh(struct fp_trie *t, bool held)
{
	struct fp_nh *v = calloc(t->n_dirty_nh + 1, sizeof(*v));
	__u32 *k = calloc(t->n_dirty_nh + 1, sizeof(*k)), n = 0;
	int err = v && k ? 0 : -ENOMEM;

	for (__u32 i = 0; !err && i < t->n_dirty_nh; i++) {
		const struct fp_nh *r = &t->nh[t->dirty_nh[i]];

		if (!!r->refs != held)
			continue;
		k[n] = t->dirty_nh[i];
		v[n++] = *r;
	}
	if (!err)
		err = write_batch(t->fd_nh, k, v, n);
	free(v);
	free(k);
	return err;
}

static int flush_plies(struct fp_trie *t, bool taken)
{
	__u32 *v = calloc(t->n_dirty_ply + 1, sizeof(*v));
	__u32 *k = calloc(t->n_dirty_ply + 1, sizeof(*k)), n = 0;
	int err = v && k ? 0 : -ENOMEM;

	for (__u32 i = 0; !err && i < t->n_dirty_ply; i++) {
		__u32 idx = t->dirty_ply[i], state = t->plies[idx];

		if ((idx < META_MAX || state == FP_PLY_USED) != taken)
			continue;
		k[n] = idx;
		v[n++] = state;
	}
	if (!err)
		err = write_batch(t->fd_plies, k, v, n);
	free(v);
	free(k);
	return err;
}

static int flush_slots(struct fp_trie *t)
{
	int err = 0;

	for (int f = 0; !err && f < 2; f++) {
		if (t->log_n[f] == ~0U) {
			/* Lost track: send every slot read so far. */
			for (__u32 k = 0; !err && k < t->nplies[f]; k++) {
				__u32 keys[256];

				if (!t->loaded[f][k])
					continue;
				for (int j = 0; j < 256; j++)
					keys[j] = k * 256 + j;
				err = write_batch(t->fd_slots[f], keys,
						  &t->slots[f][k * 256], 256);
			}
		} else {
			err = write_batch(t->fd_slots[f], t->log_key[f],
					  t->log_val[f], t->log_n[f]);
		}
		t->log_n[f] = 0;
	}
	return err;
}

/* ---- compressed last plies of IPv4 (maps/fastpath.h) ------------------ */

static __u32 stamp(const struct fp_trie *t);
static bool cold(__u32 freed_at, __u32 now);

static __u32 pop64(__u64 x)
{
	return (__u32)__builtin_popcountll(x);
}

__u32 fp_cnode__encode(const __u32 *leaves, __u32 k, __u64 *out)
{
	__u32 runs = 0, size, before = 0;
	__u64 hdr = 0;

	memset(out, 0, FP_CNODE_MAX * sizeof(*out));
	for (__u32 i = 0; i < 256; i++) {
		__u32 nh = leaf_nh(leaves[i]);

		if (leaves[i] & FP_LEAF_PLY)
			return 0;
		if (i && nh == leaf_nh(leaves[i - 1]))
			continue;
		out[1 + i / 64] |= 1ULL << (i % 64);
		out[FP_CNODE_HDR + runs / 4] |= (__u64)nh << (16 * (runs % 4));
		runs++;
	}
	for (__u32 w = 0; w < 4; w++) {
		hdr |= (__u64)before << (8 * w);
		before += pop64(out[1 + w]);
	}
	size = FP_CNODE_HDR + (runs + 3) / 4;
	out[0] = hdr | (__u64)(k & 0xffffff) << 32 | (__u64)size << 56;
	return size;
}

__u32 fp_cnode__lookup(const __u64 *node, __u32 s)
{
	__u32 w = s / 64, run = (__u32)(node[0] >> (8 * w) & 0xff) +
				pop64(node[1 + w] & (~0ULL >> (63 - s % 64))) -
				1;

	return (__u32)(node[FP_CNODE_HDR + run / 4] >> (16 * (run % 4))) &
	       FP_LEAF_NH_MASK;
}

static __u32 cnode_size(__u64 hdr)
{
	return (__u32)(hdr >> 56);
}

static __u32 cnode_ply(__u64 hdr)
{
	return (__u32)(hdr >> 32) & 0xffffff;
}

/* A half's words: [half_start, half_end); word 0 stays "no node". */
static __u32 half_start(const struct fp_trie *t, __u32 h)
{
	return h * t->cpool_half + !h;
}

static __u32 half_end(const struct fp_trie *t, __u32 h)
{
	return (h + 1) * t->cpool_half;
}

static void cdirty_clear(struct fp_trie *t)
{
	for (__u32 i = 0; i < t->n_cdirty; i++)
		t->cdirty_mark[t->cdirty[i]] = 0;
	t->n_cdirty = 0;
}

/* Pool words and index entries on their way to the maps. */
struct cwrites {
	__u32 *wkey, nw, *ikey, *ival, ni;
	__u64 *wval;
};

static void cword(struct fp_trie *t, struct cwrites *c, __u32 word, __u64 v)
{
	if (t->cpool) {
		t->cpool[word] = v;
		return;
	}
	c->wkey[c->nw] = word;
	c->wval[c->nw++] = v;
}

static void cindex(struct fp_trie *t, struct cwrites *c, __u32 k, __u32 node)
{
	if (t->cidx[k] == node)
		return;
	t->cidx[k] = node;
	c->ikey[c->ni] = k;
	c->ival[c->ni++] = node;
}

/*
 * The index as another process may have left it, dying half-way through
 * a flush (nodes are written, then the index, then the pool's marks): a
 * node named outside the words in use is about to be written over, so
 * the ply goes back to being read whole before anything else is written.
 */
static int cindex_check(struct fp_trie *t, __u32 lo, __u32 hi)
{
	__u32 top = hwm(t, META_PLY_HWM), *k = calloc(top, sizeof(*k)), n = 0;
	__u32 *zero = calloc(top, sizeof(*zero));
	int err = k && zero ? 0 : -ENOMEM;

	for (__u32 i = 0; !err && i < top; i++)
		if (t->cidx[i] && (t->cidx[i] < lo || t->cidx[i] >= hi)) {
			t->cidx[i] = 0;
			k[n++] = i;
		}
	if (!err && backed(t))
		err = write_batch(t->fd_cidx, k, zero, n);
	/* Packets may still read those words: no half is reused for now. */
	if (!err && n) {
		__u32 key = META_CP_FLIP;

		t->plies[META_CP_FLIP] = stamp(t);
		if (backed(t))
			err = write_batch(t->fd_plies, &key,
					  &t->plies[META_CP_FLIP], 1);
	}
	free(k);
	free(zero);
	return err;
}

/*
 * The active half full: the nodes not about to be made anew move to the
 * other one, once no packet can still be reading it. *top is then the
 * first free word there; -EBUSY when it is not yet idle.
 */
static int compact(struct fp_trie *t, struct cwrites *c, __u32 *top)
{
	__u32 h = t->plies[META_CP_HALF] & 1, lo = half_start(t, h),
	      to = half_start(t, !h), end = half_end(t, !h);
	__u32 flip = t->plies[META_CP_FLIP], ply_top = hwm(t, META_PLY_HWM);
	__u64 *old = t->cpool ? t->cpool + lo : NULL;
	int err = 0;

	if (flip && !cold(flip, t->now()))
		return -EBUSY;
	if (!old && *top > lo) {
		old = calloc(*top - lo, sizeof(*old));
		if (!old)
			return -ENOMEM;
		err = read_run(t->fd_cpool, lo, *top - lo, old);
	}
	/* No old words (an empty half): only dirty plies get nodes. */
	for (__u32 k = FP_ROOT_PLIES; !err && old && k < ply_top; k++) {
		__u32 o = t->cidx[k], size;

		if (!o || t->cdirty_mark[k])
			continue;
		if (o < lo || o >= *top) {
			cindex(t, c, k, 0);
			continue;
		}
		size = cnode_size(old[o - lo]);
		if (cnode_ply(old[o - lo]) != k || size < FP_CNODE_HDR ||
		    size > FP_CNODE_MAX || o + size > *top || to + size > end) {
			cindex(t, c, k, 0); /* read the ply itself */
			continue;
		}
		for (__u32 i = 0; i < size; i++)
			cword(t, c, to + i, old[o - lo + i]);
		cindex(t, c, k, to);
		to += size;
	}
	if (!t->cpool)
		free(old);
	if (err)
		return err;
	t->plies[META_CP_HALF] = !h;
	t->plies[META_CP_FLIP] = stamp(t);
	*top = to;
	return 0;
}

static bool compressing(const struct fp_trie *t)
{
	return t->cpool_half &&
	       hwm(t, META_PLY_HWM) - FP_ROOT_PLIES >= t->cply_min;
}

/*
 * Room for the writes: the dirty plies' nodes and index entries, and when
 * the half is full every live node and entry besides.
 */
static int cwrites_alloc(struct fp_trie *t, struct cwrites *c, __u32 need,
			 bool full, __u32 top)
{
	__u32 h = t->plies[META_CP_HALF] & 1, words = need,
	      entries = t->n_cdirty;

	if (full) {
		words += top - half_start(t, h);
		entries += hwm(t, META_PLY_HWM);
	}
	c->ikey = calloc(entries, sizeof(*c->ikey));
	c->ival = calloc(entries, sizeof(*c->ival));
	if (backed(t)) {
		c->wkey = calloc(words + 1, sizeof(*c->wkey));
		c->wval = calloc(words + 1, sizeof(*c->wval));
	}
	if (!c->ikey || !c->ival || (backed(t) && (!c->wkey || !c->wval)))
		return -ENOMEM;
	return 0;
}

/* The nodes of the IPv4 plies written since the last flush. */
static int make_nodes(struct fp_trie *t, struct cwrites *c, __u32 *top)
{
	__u32 h = t->plies[META_CP_HALF] & 1, *size, need = 0;
	__u64 node[FP_CNODE_MAX];
	bool on = compressing(t);
	int err = 0;

	size = calloc(t->n_cdirty, sizeof(*size));
	if (!size)
		return -ENOMEM;
	for (__u32 i = 0; i < t->n_cdirty; i++) {
		__u32 k = t->cdirty[i];

		if (on && t->plies[k] == FP_PLY_USED && t->loaded[0][k])
			size[i] = fp_cnode__encode(&t->slots[0][k * 256], k,
						   node);
		need += size[i];
	}
	err = cwrites_alloc(t, c, need, *top + need > half_end(t, h), *top);
	if (!err && *top + need > half_end(t, h)) {
		err = compact(t, c, top);
		if (err == -EBUSY)
			err = 0; /* as many as there is room for */
		h = t->plies[META_CP_HALF] & 1;
	}
	for (__u32 i = 0; !err && i < t->n_cdirty; i++) {
		__u32 k = t->cdirty[i];

		if (!size[i] || *top + size[i] > half_end(t, h)) {
			cindex(t, c, k, 0);
			continue;
		}
		fp_cnode__encode(&t->slots[0][k * 256], k, node);
		for (__u32 j = 0; j < size[i]; j++)
			cword(t, c, *top + j, node[j]);
		cindex(t, c, k, *top);
		*top += size[i];
	}
	free(size);
	return err;
}

/*
 * Nodes first, then the index naming them, then the pool's marks: a
 * packet finds a whole node or none, and a writer dying half-way leaves
 * nodes no index names (wasted words) or an index cindex_check mends.
 */
static int flush_cnodes(struct fp_trie *t)
{
	__u32 h = t->plies[META_CP_HALF] & 1, top = t->plies[META_CP_TOP];
	struct cwrites c = { 0 };
	int err = 0;

	if (!t->cpool_half)
		return 0;
	/* A fresh set, or marks that make no sense: the half is full. */
	if (!top)
		top = half_start(t, h);
	if (top < half_start(t, h) || top > half_end(t, h))
		top = half_end(t, h);
	if (t->cvalidate) {
		err = cindex_check(t, half_start(t, h), top);
		t->cvalidate = false;
		if (err)
			return err;
	}
	if (!t->n_cdirty)
		return 0;
	err = make_nodes(t, &c, &top);
	if (!err && backed(t)) {
		__u32 keys[] = { META_CP_HALF, META_CP_TOP, META_CP_FLIP };
		__u32 vals[] = { t->plies[META_CP_HALF], top,
				 t->plies[META_CP_FLIP] };

		err = write_batch(t->fd_cpool, c.wkey, c.wval, c.nw);
		if (!err)
			err = write_batch(t->fd_cidx, c.ikey, c.ival, c.ni);
		if (!err)
			err = write_batch(t->fd_plies, keys, vals, 3);
	}
	if (!err)
		t->plies[META_CP_TOP] = top;
	cdirty_clear(t);
	free(c.wkey);
	free(c.wval);
	free(c.ikey);
	free(c.ival);
	return err;
}

void fp_trie__cusage(const struct fp_trie *t, __u32 *nodes, __u32 *words)
{
	__u32 h = t->plies[META_CP_HALF] & 1, top = t->plies[META_CP_TOP];

	*nodes = 0;
	for (__u32 k = FP_ROOT_PLIES; k < hwm(t, META_PLY_HWM); k++)
		*nodes += t->cidx[k] != 0;
	*words = top > half_start(t, h) ? top - half_start(t, h) : 0;
}

/*
 * The log into the maps. For the program: results a leaf will name
 * before the leaves, and the slots in the order written (a ply is whole
 * before the store linking it). For the next writer, should this one die
 * half-way: what is taken is marked before any leaf uses it, and what is
 * given back only once no leaf does, so a crash leaks, never shares.
 * Then the generation.
 */
static int flush(struct fp_trie *t)
{
	int err;

	/* No shadow yet, or nothing changed: nothing to write. */
	if (!t->nh || !(t->n_dirty_nh | t->n_dirty_ply | t->log_n[0] |
			t->log_n[1] | t->n_cdirty))
		return 0;
	if (!backed(t))
		return flush_cnodes(t);
	err = flush_nh(t, true);
	if (!err)
		err = flush_plies(t, true);
	if (!err)
		err = flush_slots(t);
	if (!err)
		err = flush_cnodes(t);
	if (!err)
		err = flush_plies(t, false);
	if (!err)
		err = flush_nh(t, false);
	if (!err) {
		__u32 key = META_GEN;

		t->gen = t->plies[META_GEN] + 1;
		t->plies[META_GEN] = t->gen;
		err = bpf_map_update_elem(t->fd_plies, &key, &t->gen, BPF_ANY) ?
			      -errno :
			      0;
	}
	for (__u32 i = 0; i < t->n_dirty_nh; i++)
		t->nh_mark[t->dirty_nh[i]] = 0;
	for (__u32 i = 0; i < t->n_dirty_ply; i++)
		t->ply_mark[t->dirty_ply[i]] = 0;
	cdirty_clear(t);
	t->n_dirty_nh = t->n_dirty_ply = 0;
	t->log_n[0] = t->log_n[1] = 0;
	/* A failed flush leaves the maps behind the shadow: reread. */
	if (err)
		t->gen = ~0U;
	return err;
}

/*
 * The shadow's arrays are sized by the maps, 50-60 MiB at the default
 * sizes, most of it the slots. They are mapped, not allocated: pages a
 * table never touches cost nothing (as with glibc, which maps allocations
 * this large anyway), and a sanitized build does not poison and unpoison
 * their shadow memory on every command that changes a route (a third of
 * such a command's time under ASan).
 */
static void *zmap(size_t bytes)
{
	void *p = mmap(NULL, bytes ?: 1, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void zunmap(void *p, size_t bytes)
{
	if (p)
		munmap(p, bytes ?: 1);
}

/* Bytes of each array: one place for zmap and zunmap. */
static size_t slots_bytes(const struct fp_trie *t, int f)
{
	return (size_t)t->nplies[f] * 256 * sizeof(__u32);
}

static size_t plies_n(const struct fp_trie *t)
{
	return (size_t)t->nplies[0] + t->nplies[1];
}

static size_t cpool_bytes(const struct fp_trie *t)
{
	return (size_t)2 * t->cpool_half * sizeof(__u64);
}

static void shadow_free(struct fp_trie *t)
{
	for (int f = 0; f < 2; f++) {
		zunmap(t->slots[f], slots_bytes(t, f));
		zunmap(t->loaded[f], t->nplies[f]);
		t->slots[f] = NULL;
		t->loaded[f] = NULL;
	}
	zunmap(t->plies, plies_n(t) * sizeof(__u32));
	zunmap(t->dirty_ply, plies_n(t) * sizeof(__u32));
	zunmap(t->ply_mark, plies_n(t));
	zunmap(t->nh, FP_MAX_NH * sizeof(*t->nh));
	zunmap(t->dirty_nh, FP_MAX_NH * sizeof(__u32));
	zunmap(t->nh_mark, FP_MAX_NH);
	zunmap(t->cidx, t->nplies[0] * sizeof(*t->cidx));
	zunmap(t->cdirty, t->nplies[0] * sizeof(*t->cdirty));
	zunmap(t->cdirty_mark, t->nplies[0]);
	zunmap(t->cpool, cpool_bytes(t));
	t->plies = t->dirty_nh = t->dirty_ply = NULL;
	t->nh = NULL;
	t->nh_mark = t->ply_mark = NULL;
	t->cidx = t->cdirty = NULL;
	t->cdirty_mark = NULL;
	t->cpool = NULL;
	t->n_cdirty = 0;
}

/* The shadow, made on first use: read-only commands never need it. */
static int shadow_alloc(struct fp_trie *t)
{
	if (t->nh)
		return 0;
	for (int f = 0; f < 2; f++) {
		t->slots[f] = zmap(slots_bytes(t, f));
		t->loaded[f] = zmap(t->nplies[f]);
	}
	t->plies = zmap(plies_n(t) * sizeof(__u32));
	t->dirty_ply = zmap(plies_n(t) * sizeof(__u32));
	t->ply_mark = zmap(plies_n(t));
	t->nh = zmap(FP_MAX_NH * sizeof(*t->nh));
	t->dirty_nh = zmap(FP_MAX_NH * sizeof(__u32));
	t->nh_mark = zmap(FP_MAX_NH);
	t->cidx = zmap(t->nplies[0] * sizeof(*t->cidx));
	t->cdirty = zmap(t->nplies[0] * sizeof(*t->cdirty));
	t->cdirty_mark = zmap(t->nplies[0]);
	if (!backed(t))
		t->cpool = zmap(cpool_bytes(t));
	if (!t->slots[0] || !t->slots[1] || !t->loaded[0] || !t->loaded[1] ||
	    !t->plies || !t->nh || !t->dirty_nh || !t->dirty_ply ||
	    !t->nh_mark || !t->ply_mark || !t->cidx || !t->cdirty ||
	    !t->cdirty_mark || (!backed(t) && !t->cpool)) {
		shadow_free(t);
		return -ENOMEM;
	}
	/* Memory only: nothing to read, all of it is there. */
	if (!backed(t)) {
		memset(t->loaded[0], 1, t->nplies[0]);
		memset(t->loaded[1], 1, t->nplies[1]);
	}
	return 0;
}

/* Before a change: the shadow right again if another process moved on. */
static int begin(struct fp_trie *t)
{
	__u32 gen;
	int err;

	if (!backed(t))
		return 0;
	err = shadow_alloc(t);
	if (err)
		return err;
	err = read_run(t->fd_plies, 0, META_MAX, t->plies);
	if (err)
		return err;
	gen = t->plies[META_GEN];
	if (gen == t->gen)
		return 0;
	/* Only what was ever used: the high-water marks say how far. */
	err = read_run(t->fd_nh, 0, hwm(t, META_NH_HWM), t->nh);
	for (int f = 0; !err && f < 2; f++) {
		__u32 top = hwm(t, META_PLY_HWM + f);

		if (top > FP_ROOT_PLIES)
			err = read_run(t->fd_plies,
				       ply_idx(t, f, FP_ROOT_PLIES),
				       top - FP_ROOT_PLIES,
				       &t->plies[ply_idx(t, f, FP_ROOT_PLIES)]);
	}
	/* The compressed nodes' index, as far as IPv4 plies were used. */
	if (!err)
		err = read_run(t->fd_cidx, 0, hwm(t, META_PLY_HWM), t->cidx);
	if (err)
		return err;
	t->cvalidate = true;
	memset(t->loaded[0], 0, t->nplies[0]);
	memset(t->loaded[1], 0, t->nplies[1]);
	t->index_used = t->index ? t->index_cap : 0; /* rebuild at next use */
	t->gen = gen;
	return 0;
}

int fp_trie__init(struct fp_trie *t, const struct fp_trie_maps *maps,
		  __u32 (*now)(void))
{
	int err = 0;

	memset(t, 0, sizeof(*t));
	t->nplies[0] = maps->plies4;
	t->nplies[1] = maps->plies6;
	t->fd_slots[0] = maps->trie4;
	t->fd_slots[1] = maps->trie6;
	t->fd_nh = maps->nh;
	t->fd_plies = maps->plies;
	t->fd_cidx = maps->cidx4;
	t->fd_cpool = maps->cpool4;
	t->cpool_half = maps->cpool_half;
	t->cply_min = maps->cply_min;
	t->now = now;
	t->gen = ~0U;
	if (!backed(t))
		err = shadow_alloc(t);
	if (err)
		fp_trie__fini(t);
	return err;
}

void fp_trie__fini(struct fp_trie *t)
{
	shadow_free(t);
	for (int f = 0; f < 2; f++) {
		free(t->log_key[f]);
		free(t->log_val[f]);
	}
	free(t->index);
	memset(t, 0, sizeof(*t));
	t->fd_slots[0] = t->fd_slots[1] = t->fd_nh = t->fd_plies = -1;
	t->fd_cidx = t->fd_cpool = -1;
}

/* A non-zero time stamp: 0 means "never freed". */
static __u32 stamp(const struct fp_trie *t)
{
	__u32 now = t->now();

	return now ? now : 1;
}

static bool cold(__u32 freed_at, __u32 now)
{
	return now - freed_at >= FP_REUSE_SECS;
}

static void ref(struct fp_trie *t, __u32 nh, __u32 n)
{
	if (!nh)
		return;
	t->nh[nh].refs += n;
	nh_dirty(t, nh);
}

static void unref(struct fp_trie *t, __u32 nh, __u32 n)
{
	if (!nh)
		return;
	t->nh[nh].refs -= n;
	if (!t->nh[nh].refs)
		t->nh[nh].freed = stamp(t);
	nh_dirty(t, nh);
}

/* The one way a leaf changes: counts taken before, given back after. */
static void store(struct fp_trie *t, int f, __u32 i, __u32 leaf)
{
	__u32 was = t->slots[f][i];

	ref(t, leaf_nh(leaf), 1);
	wr(t, f, i, leaf);
	unref(t, leaf_nh(was), 1);
}

/* ---- results ---------------------------------------------------------- */

static __u32 hash_key(const struct fp_nh *res)
{
	const __u8 *b = (const __u8 *)res;
	__u32 h = 2166136261U;

	for (size_t i = 0; i < NH_KEY_LEN; i++)
		h = (h ^ b[i]) * 16777619U;
	return h;
}

static bool same(const struct fp_nh *a, const struct fp_nh *b)
{
	return !memcmp(a, b, NH_KEY_LEN);
}

/*
 * The index is this process's: other writers (under the same lock, in
 * other processes) may have moved results since. An entry is only a hint,
 * checked against the result itself; a stale one costs a probe.
 */
static int index_rebuild(struct fp_trie *t)
{
	__u32 cap = 4 * FP_MAX_NH;

	if (!t->index) {
		t->index = calloc(cap, sizeof(*t->index));
		if (!t->index)
			return -ENOMEM;
		t->index_cap = cap;
	} else {
		memset(t->index, 0, cap * sizeof(*t->index));
	}
	t->index_used = 0;
	for (__u32 id = 1; id < FP_MAX_NH; id++) {
		__u32 mask = cap - 1, i = hash_key(&t->nh[id]) & mask;

		if (!t->nh[id].refs)
			continue;
		while (t->index[i])
			i = (i + 1) & mask;
		t->index[i] = id;
		t->index_used++;
	}
	return 0;
}

static int index_add(struct fp_trie *t, const struct fp_nh *res, __u32 id)
{
	__u32 mask, i;
	int err;

	if (t->index_used >= t->index_cap / 2) {
		err = index_rebuild(t);
		if (err)
			return err;
	}
	mask = t->index_cap - 1;
	i = hash_key(res) & mask;
	while (t->index[i] && t->index[i] != id)
		i = (i + 1) & mask;
	if (!t->index[i])
		t->index_used++;
	t->index[i] = id;
	return 0;
}

static __u32 index_find(const struct fp_trie *t, const struct fp_nh *res)
{
	__u32 mask = t->index_cap - 1, i = hash_key(res) & mask;

	for (; t->index[i]; i = (i + 1) & mask) {
		const struct fp_nh *c = &t->nh[t->index[i]];

		/* Freed but not yet reused holds the same content: revive. */
		if (same(c, res) && (c->refs || !cold(c->freed, t->now())))
			return t->index[i];
	}
	return 0;
}

/* The result with res's content, made if none; 0 for an empty res. */
static int result_of(struct fp_trie *t, const struct fp_nh *res, __u32 *id)
{
	static const struct fp_nh none;
	__u32 now = t->now();
	int err;

	*id = 0;
	if (same(res, &none))
		return 0;
	if (!t->index || t->index_used >= t->index_cap / 2) {
		err = index_rebuild(t);
		if (err)
			return err;
	}
	*id = index_find(t, res);
	if (*id)
		return 0;
	for (__u32 n = 0; n < FP_MAX_NH; n++) {
		__u32 top = hwm(t, META_NH_HWM),
		      c = top < FP_MAX_NH ? top :
					    (t->cursor_nh + n) % FP_MAX_NH;
		struct fp_nh *r = &t->nh[c];

		if (!c || r->refs || (r->freed && !cold(r->freed, now)))
			continue;
		if (c == top)
			ply_set(t, META_NH_HWM, top + 1);
		/* Unreferenced for long: no packet can still be reading it. */
		memcpy(r, res, NH_KEY_LEN);
		r->refs = 0;
		r->freed = stamp(t);
		nh_dirty(t, c);
		t->cursor_nh = c;
		*id = c;
		return index_add(t, r, c);
	}
	return -ENOSPC;
}

/* ---- plies ------------------------------------------------------------ */

static __u32 ply_idx(const struct fp_trie *t, int f, __u32 k)
{
	return (f ? t->nplies[0] : 0) + k;
}

static int ply_alloc(struct fp_trie *t, int f, __u32 *k)
{
	__u32 now = t->now(), span = t->nplies[f] - FP_ROOT_PLIES;

	for (__u32 n = 0; n < span; n++) {
		__u32 top = hwm(t, META_PLY_HWM + f),
		      c = top < t->nplies[f] ?
				  top :
				  FP_ROOT_PLIES + (t->cursor_ply[f] + n) % span;
		__u32 s = t->plies[ply_idx(t, f, c)];

		if (s == FP_PLY_USED || (s && !cold(s - 1, now)))
			continue;
		if (c == top)
			ply_set(t, META_PLY_HWM + f, top + 1);
		ply_set(t, ply_idx(t, f, c), FP_PLY_USED);
		t->cursor_ply[f] = c + 1 - FP_ROOT_PLIES;
		/* Its old slots are garbage to us: never read them back. */
		t->loaded[f][c] = 1;
		*k = c;
		return 0;
	}
	return -ENOSPC;
}

/* Gives back a ply no slot links any more, with the counts it held. */
static void ply_free(struct fp_trie *t, int f, __u32 k)
{
	const __u32 *s = &t->slots[f][k * 256];

	for (int i = 0; i < 256; i++)
		unref(t, leaf_nh(s[i]), 1);
	ply_set(t, ply_idx(t, f, k), 1 + t->now());
	if (!f)
		cdirty(t, k); /* its node goes with it */
}

/* A ply holding 256 copies of the leaf at slot, linked from it. */
static int split(struct fp_trie *t, int f, __u32 slot)
{
	__u32 leaf = t->slots[f][slot], k;
	int err = ply_alloc(t, f, &k);

	if (err)
		return err;
	for (int i = 0; i < 256; i++)
		wr(t, f, k * 256 + i, leaf);
	ref(t, leaf_nh(leaf), 256);
	store(t, f, slot, FP_LEAF_PLY | k);
	return 0;
}

/*
 * If the ply linked from parent (at depth d) holds one leaf throughout,
 * and that leaf's entry covers the whole of the parent slot, the parent
 * slot takes the leaf.
 */
static void fold(struct fp_trie *t, int f, __u32 parent, int d)
{
	__u32 v = t->slots[f][parent], k = v & FP_LEAF_PLY_MASK;
	const __u32 *s = &t->slots[f][k * 256];

	/* A ply we link to was read or made by us: it is in the shadow. */
	if (!(v & FP_LEAF_PLY) || !t->loaded[f][k])
		return;
	for (int i = 0; i < 256; i++)
		if (s[i] != s[0] || s[i] & FP_LEAF_PLY)
			return;
	if ((int)FP_LEAF_PLEN(s[0]) > end_bit(d - 1))
		return;
	store(t, f, parent, s[0]);
	ply_free(t, f, k);
}

/* ---- insert and remove ------------------------------------------------ */

/*
 * Writes leaf over [first, first + n) of the slots at depth d, and
 * everything below them, wherever the entry there is no longer than len
 * (remove: wherever it is p's own, of length len).
 */
static int paint(struct fp_trie *t, int f, __u32 first, __u32 n, int d,
		 __u32 leaf, int len, bool remove)
{
	int err = 0;

	for (__u32 i = first; !err && i < first + n; i++) {
		__u32 v = rd(t, f, i, &err);

		if (err)
			break;
		if (v & FP_LEAF_PLY) {
			err = paint(t, f, (v & FP_LEAF_PLY_MASK) * 256, 256,
				    d + 1, leaf, len, remove);
			if (!err && remove)
				fold(t, f, i, d + 1);
		} else if (remove ? (int)FP_LEAF_PLEN(v) == len :
				    (int)FP_LEAF_PLEN(v) <= len) {
			store(t, f, i, leaf);
		}
	}
	return err;
}

/*
 * Walks to the ply where p's leaves lie, splitting on the way when
 * insert; path[] gets the slot linking each ply walked into.
 */
static int descend(struct fp_trie *t, int f, const struct fp_prefix *p,
		   bool insert, __u32 *path, int *depth, __u32 *base)
{
	int err = 0;

	*base = 0;
	*depth = 0;
	while (p->len > end_bit(*depth)) {
		__u32 slot = *base + slot_of(p->addr, *depth);
		__u32 v = rd(t, f, slot, &err);

		if (err)
			return err;
		if (!(v & FP_LEAF_PLY)) {
			/* remove: nothing of p's lies below a leaf. */
			if (!insert)
				return -ENOENT;
			err = split(t, f, slot);
			if (err)
				return err;
		}
		path[(*depth)++] = slot;
		*base = (t->slots[f][slot] & FP_LEAF_PLY_MASK) * 256;
	}
	return 0;
}

/* The slots of p at its depth: [first, first + n). */
static void span(const struct fp_prefix *p, int d, __u32 base, __u32 *first,
		 __u32 *n)
{
	*n = 1U << (end_bit(d) - p->len);
	*first = base + (slot_of(p->addr, d) & ~(*n - 1));
}

/* Writes p's leaves (to its cover when remove), then the maps. */
static int change(struct fp_trie *t, const struct fp_prefix *p,
		  const struct fp_nh *res, int leaf_len, bool remove)
{
	int f = fam(p->family), d = 0, err, ferr;
	__u32 path[15], base, first, n, id;

	if (p->len > (f ? 128 : 32))
		return -EINVAL;
	err = t->begun ? 0 : begin(t);
	t->begun = t->held && !err;
	if (!err)
		err = result_of(t, res, &id);
	if (err)
		return err;
	/*
	 * A new result counts no leaf yet: hold it across the walk so that
	 * nothing frees it, and give it back at the end.
	 */
	ref(t, id, 1);
	err = descend(t, f, p, !remove, path, &d, &base);
	if (!err) {
		span(p, d, base, &first, &n);
		err = paint(t, f, first, n, d, FP_LEAF(id, leaf_len), p->len,
			    remove);
	}
	/* Plies left uniform: those p emptied, or splits made in vain. */
	if (remove || err)
		for (int i = d - 1; i >= 0; i--)
			fold(t, f, path[i], i + 1);
	unref(t, id, 1);
	ferr = t->held ? 0 : flush(t);
	if (remove && err == -ENOENT)
		err = 0;
	return err ? err : ferr;
}

int fp_trie__insert(struct fp_trie *t, const struct fp_prefix *p,
		    const struct fp_nh *res)
{
	return change(t, p, res, p->len, false);
}

int fp_trie__remove(struct fp_trie *t, const struct fp_prefix *p,
		    const struct fp_nh *cover, int cover_len)
{
	static const struct fp_nh none;

	return change(t, p, cover ? cover : &none, cover ? cover_len : 0, true);
}

int fp_trie__refresh(struct fp_trie *t)
{
	return begin(t);
}

void fp_trie__hold(struct fp_trie *t)
{
	t->held++;
}

int fp_trie__release(struct fp_trie *t)
{
	if (--t->held)
		return 0;
	t->begun = false;
	return flush(t);
}

__u32 fp_trie__lookup(const struct fp_trie *t, int family, const __u8 *addr)
{
	int f = fam(family);
	__u32 v = t->slots[f][slot_of(addr, 0)];

	for (int d = 1; d <= max_depth[f] && v & FP_LEAF_PLY; d++) {
		__u32 k = v & FP_LEAF_PLY_MASK;

		if (d == max_depth[f] && !f && t->cpool && t->cidx[k])
			return fp_cnode__lookup(&t->cpool[t->cidx[k]],
						slot_of(addr, d));
		v = t->slots[f][k * 256 + slot_of(addr, d)];
	}
	return leaf_nh(v);
}

void fp_trie__usage(const struct fp_trie *t, __u32 *plies4, __u32 *plies6,
		    __u32 *results)
{
	*plies4 = *plies6 = *results = 0;
	/* The root's numbers are never allocated (and hold META_*). */
	for (__u32 k = FP_ROOT_PLIES; k < t->nplies[0]; k++)
		*plies4 += t->plies[k] == FP_PLY_USED;
	for (__u32 k = FP_ROOT_PLIES; k < t->nplies[1]; k++)
		*plies6 += t->plies[t->nplies[0] + k] == FP_PLY_USED;
	for (__u32 id = 1; id < FP_MAX_NH; id++)
		*results += t->nh[id].refs != 0;
}
