// SPDX-License-Identifier: GPL-2.0
/*
 * Uplinks: the registry the loader lists and keeps (fp_uplinks, by
 * ifindex in a hash) and the array the program reads (fp_upv, indexed by
 * ifindex below FP_DEV_SLOTS), the one place that writes both. The slot
 * the program can see is written last on the way in and cleared first on
 * the way out, and a call that fails takes back what it wrote.
 *
 * Also the tagged circuits of trunk uplinks: their registry (fp_vlans),
 * their counters (fp_vlanstat) and what the program reads of them, the
 * records (fp_vlanv) and the VID tables that find them (fp_vids, through
 * the trunk number in the uplink's flags; maps/fastpath.h). A circuit is
 * in the tables before its uplink is flagged a trunk, and the flag is
 * cleared only once the last circuit is gone; each record carries its
 * uplink's MAC and flags, so the program may use it in the uplink's
 * place. Which trunk numbers, inner tables and counter slots are taken
 * is read from the maps (the uplinks' flags, the registry), never kept
 * here; a number or table is zeroed when it is taken, so nothing left
 * behind by an uplink that went (or by `unload`) is ever read.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "maps.h"
#include "uplink.h"

static bool in_array(__u32 ifindex)
{
	return ifindex < FP_DEV_SLOTS;
}

static int update(int fd, __u32 key, const void *val, __u64 how)
{
	return bpf_map_update_elem(fd, &key, val, how) ? -errno : 0;
}

int fp_vlans__walk(const struct fp_maps *m, __u32 ifindex,
		   int (*fn)(const struct fp_vlan_key *k,
			     const struct fp_vlan *v, void *ctx),
		   void *ctx)
{
	struct fp_vlan_key k, next;
	struct fp_vlan v;
	void *prev = NULL;
	int err;

	while (!bpf_map_get_next_key(m->vlans, prev, &next)) {
		k = next;
		prev = &k;
		if (ifindex && k.ifindex != ifindex)
			continue;
		/* Gone since get_next_key: nothing to say of it. */
		if (bpf_map_lookup_elem(m->vlans, &k, &v))
			continue;
		err = fn(&k, &v, ctx);
		if (err)
			return err;
	}
	return 0;
}

static int found(const struct fp_vlan_key *k, const struct fp_vlan *v,
		 void *ctx)
{
	(void)k;
	(void)v;
	(void)ctx;
	return 1;
}

/* Whether uplink ifindex has a tagged circuit: the walk stops at one. */
static bool has_vlans(const struct fp_maps *m, __u32 ifindex)
{
	return m->vlans >= 0 && fp_vlans__walk(m, ifindex, found, NULL) > 0;
}

/* The uplink's MAC and flags in one of its tagged circuits' records. */
static void inherit(struct fp_vlan *v, const struct fp_uplink *up)
{
	memcpy(v->up.mac, up->mac, sizeof(v->up.mac));
	v->up.flags = up->flags & FP_UPLINK_F_ALLOW_SPOOFED;
}

/* ---- the program's view of the tagged circuits: fp_vids, fp_vlanv ---- */

static __u32 vid_key(__u32 table, __u16 vid)
{
	return table * FP_VID_TABLE_WORDS + vid / 4;
}

/* Entry vid of fp_vids table `table`: a record + 1, or an inner table. */
static int vid_get(const struct fp_maps *m, __u32 table, __u16 vid, __u16 *val)
{
	__u32 key = vid_key(table, vid);
	__u64 w = 0;
	int err;

	err = bpf_map_lookup_elem(m->vids, &key, &w) ? -errno : 0;
	*val = (__u16)(w >> (16 * (vid % 4)));
	return err;
}

/* One word written: the entry's three neighbours keep their values. */
static int vid_set(const struct fp_maps *m, __u32 table, __u16 vid, __u16 val)
{
	__u32 key = vid_key(table, vid);
	unsigned int shift = 16 * (vid % 4);
	__u64 w;

	if (bpf_map_lookup_elem(m->vids, &key, &w))
		return -errno;
	w = (w & ~(0xffffULL << shift)) | (__u64)val << shift;
	return update(m->vids, key, &w, BPF_ANY);
}

/* Table `table` all zero, in one call. */
static int table_clear(const struct fp_maps *m, __u32 table)
{
	static const __u64 zero[FP_VID_TABLE_WORDS];
	__u32 keys[FP_VID_TABLE_WORDS], n = FP_VID_TABLE_WORDS;

	for (__u32 i = 0; i < n; i++)
		keys[i] = table * FP_VID_TABLE_WORDS + i;
	return bpf_map_update_batch(m->vids, keys, zero, &n, NULL) ? -errno : 0;
}

static bool is_trunk(const struct fp_uplink *up)
{
	return up->flags & FP_UPLINK_F_TRUNK;
}

/* A trunk number no uplink holds, its two tables zeroed; -ENOSPC: none. */
static int free_trunk(const struct fp_maps *m, __u32 *nr)
{
	bool used[FP_MAX_TRUNKS] = { false };
	__u32 key, *prev = NULL, t;
	struct fp_uplink up;
	int err;

	while (!bpf_map_get_next_key(m->uplinks, prev, &key)) {
		prev = &key;
		if (!bpf_map_lookup_elem(m->uplinks, &key, &up) &&
		    is_trunk(&up) &&
		    FP_UPLINK_TRUNK_NR(up.flags) < FP_MAX_TRUNKS)
			used[FP_UPLINK_TRUNK_NR(up.flags)] = true;
	}
	for (t = 0; t < FP_MAX_TRUNKS && used[t]; t++)
		;
	if (t == FP_MAX_TRUNKS)
		return -ENOSPC;
	err = table_clear(m, FP_VIDS_DOT1Q(t));
	if (!err)
		err = table_clear(m, FP_VIDS_QINQ(t));
	*nr = t;
	return err;
}

/* Table `table`'s words, in one call. */
static int table_read(const struct fp_maps *m, __u32 table, __u64 *words)
{
	__u32 keys[FP_VID_TABLE_WORDS], n = FP_VID_TABLE_WORDS;
	/* The batch starts after the key it is given: table 0 is never read. */
	__u32 prev = table * FP_VID_TABLE_WORDS - 1, out;

	if (!table)
		return -EINVAL;
	if (bpf_map_lookup_batch(m->vids, &prev, &out, keys, words, &n, NULL))
		return -errno;
	return n == FP_VID_TABLE_WORDS ? 0 : -EIO;
}

/* The inner tables trunk t's S-tags name, marked in used. */
static int mark_inner(const struct fp_maps *m, __u32 t, unsigned char *used,
		      __u64 *words)
{
	int err = table_read(m, FP_VIDS_QINQ(t), words);

	for (__u32 i = 0; !err && i < 4 * FP_VID_TABLE_WORDS; i++) {
		__u16 b = (__u16)(words[i / 4] >> (16 * (i % 4)));

		if (b >= FP_VIDS_INNER && b < FP_VID_TABLES)
			used[b - FP_VIDS_INNER] = 1;
	}
	return err;
}

/*
 * An inner table no trunk's S-tag names, zeroed; -ENOSPC: none. Uplink
 * ifindex is trunk number t, flagged or not yet.
 */
static int free_inner(const struct fp_maps *m, __u32 ifindex, __u32 t,
		      __u16 *table)
{
	unsigned char used[FP_MAX_STAGS] = { 0 };
	__u64 *words = calloc(FP_VID_TABLE_WORDS, sizeof(*words));
	__u32 key, *prev = NULL, i;
	struct fp_uplink up;
	int err;

	if (!words)
		return -ENOMEM;
	err = mark_inner(m, t, used, words);
	while (!err && !bpf_map_get_next_key(m->uplinks, prev, &key)) {
		prev = &key;
		if (key != ifindex &&
		    !bpf_map_lookup_elem(m->uplinks, &key, &up) &&
		    is_trunk(&up) &&
		    FP_UPLINK_TRUNK_NR(up.flags) < FP_MAX_TRUNKS)
			err = mark_inner(m, FP_UPLINK_TRUNK_NR(up.flags), used,
					 words);
	}
	free(words);
	for (i = 0; !err && i < FP_MAX_STAGS && used[i]; i++)
		;
	if (err)
		return err;
	if (i == FP_MAX_STAGS)
		return -ENOSPC;
	*table = (__u16)(FP_VIDS_INNER + i);
	return table_clear(m, *table);
}

/* Whether table `table` is all zero; an error counts as not. */
static bool table_empty(const struct fp_maps *m, __u32 table)
{
	__u64 *words = calloc(FP_VID_TABLE_WORDS, sizeof(*words));
	bool empty = words && !table_read(m, table, words);

	for (__u32 i = 0; empty && i < FP_VID_TABLE_WORDS; i++)
		empty = !words[i];
	free(words);
	return empty;
}

/*
 * The table holding circuit k's entry on trunk t: for QinQ, the one its
 * S-tag names (0 when the S-tag has none yet).
 */
static int entry_table(const struct fp_maps *m, __u32 t,
		       const struct fp_vlan_key *k, __u32 *table)
{
	__u16 b;
	int err;

	if (!k->outer) {
		*table = FP_VIDS_DOT1Q(t);
		return 0;
	}
	err = vid_get(m, FP_VIDS_QINQ(t), k->outer, &b);
	*table = b;
	return err;
}

/*
 * Circuit k with record v, as trunk t's frames find it: the record goes
 * to the place of its slot (2 * stat, 2 * stat + 1) not in use, then its
 * entry turns to it; an S-tag new on the trunk gets a table, named last.
 */
static int show_vlan(const struct fp_maps *m, __u32 t,
		     const struct fp_vlan_key *k, const struct fp_vlan *v)
{
	__u32 table, place = 2 * v->stat;
	__u16 cur = 0, b;
	int err;

	if (v->stat >= FP_MAX_VLANS)
		return -EINVAL;
	err = entry_table(m, t, k, &table);
	if (!err && table)
		err = vid_get(m, table, k->inner, &cur);
	if (err)
		return err;
	if (cur == place + 1)
		place++;
	err = update(m->vlanv, place, v, BPF_ANY);
	if (err || table)
		return err ? err : vid_set(m, table, k->inner, place + 1);
	err = free_inner(m, k->ifindex, t, &b);
	if (!err)
		err = vid_set(m, b, k->inner, place + 1);
	return err ? err : vid_set(m, FP_VIDS_QINQ(t), k->outer, b);
}

/*
 * Trunk t's frames no longer find circuit k; an S-tag left with no
 * circuit no longer names its table (which is then free).
 */
static int hide_vlan(const struct fp_maps *m, __u32 t,
		     const struct fp_vlan_key *k)
{
	__u32 table;
	int err;

	err = entry_table(m, t, k, &table);
	if (err || !table)
		return err;
	err = vid_set(m, table, k->inner, 0);
	if (err || !k->outer || !table_empty(m, table))
		return err;
	return vid_set(m, FP_VIDS_QINQ(t), k->outer, 0);
}

/* The uplink's records brought to its MAC and flags, or to a new trunk. */
struct refresh {
	const struct fp_maps *m;
	const struct fp_uplink *up;
	__u32 trunk;
	bool build; /* a trunk number just taken: every record into it */
};

static int refresh_one(const struct fp_vlan_key *k, const struct fp_vlan *v,
		       void *ctx)
{
	const struct refresh *r = ctx;
	struct fp_vlan now = *v;
	int err;

	inherit(&now, r->up);
	if (r->build)
		return show_vlan(r->m, r->trunk, k, &now);
	if (!memcmp(&now, v, sizeof(now)))
		return 0;
	err = show_vlan(r->m, r->trunk, k, &now);
	if (!err && bpf_map_update_elem(r->m->vlans, k, &now, BPF_EXIST))
		err = -errno;
	return err;
}

/* trunk: the uplink's trunk number, or -1 for no trunk. */
static int put_uplink(const struct fp_maps *m, __u32 ifindex,
		      const struct fp_uplink *up, int trunk);

int fp_uplinks__put(const struct fp_maps *m, __u32 ifindex,
		    const struct fp_uplink *up)
{
	struct refresh r = { .m = m, .up = up };
	struct fp_uplink old;
	int err;

	if (!has_vlans(m, ifindex))
		return put_uplink(m, ifindex, up, -1);
	if (!bpf_map_lookup_elem(m->uplinks, &ifindex, &old) &&
	    is_trunk(&old)) {
		r.trunk = FP_UPLINK_TRUNK_NR(old.flags);
	} else {
		/* Its circuits outlived it (unload): a number, tables anew. */
		err = free_trunk(m, &r.trunk);
		r.build = true;
		if (!err)
			err = fp_vlans__walk(m, ifindex, refresh_one, &r);
		if (err)
			return err;
	}
	err = put_uplink(m, ifindex, up, (int)r.trunk);
	if (err)
		return err;
	/* Records that miss the change serve the old MAC and flags. */
	r.build = false;
	return fp_vlans__walk(m, ifindex, refresh_one, &r);
}

static int put_uplink(const struct fp_maps *m, __u32 ifindex,
		      const struct fp_uplink *up, int trunk)
{
	struct fp_uplink on = *up, old;
	bool had;
	int err;

	had = !bpf_map_lookup_elem(m->uplinks, &ifindex, &old);
	on.flags &=
		~(FP_UPLINK_F_ON | FP_UPLINK_F_TRUNK | FP_UPLINK_TRUNK_MASK);
	if (trunk >= 0)
		on.flags |= FP_UPLINK_F_TRUNK |
			    (__u32)trunk << FP_UPLINK_TRUNK_SHIFT;
	err = update(m->uplinks, ifindex, &on, BPF_ANY);
	if (err || !in_array(ifindex))
		return err;
	on.flags |= FP_UPLINK_F_ON;
	err = update(m->upv, ifindex, &on, BPF_ANY);
	if (err)
		goto out_registry;
	return 0;

out_registry:
	if (had)
		update(m->uplinks, ifindex, &old, BPF_ANY);
	else
		bpf_map_delete_elem(m->uplinks, &ifindex);
	return err;
}

int fp_uplinks__del_fds(int uplinks_fd, int upv_fd, __u32 ifindex)
{
	static const struct fp_uplink none;
	bool slot = upv_fd >= 0 && in_array(ifindex);
	struct fp_uplink old;
	bool had;
	int err;

	had = !bpf_map_lookup_elem(uplinks_fd, &ifindex, &old);
	/* Also without a registry entry: no stale slot outlives it. */
	if (slot) {
		err = update(upv_fd, ifindex, &none, BPF_ANY);
		if (err)
			return err;
	}
	if (!had)
		return -ENOENT;
	if (bpf_map_delete_elem(uplinks_fd, &ifindex)) {
		err = -errno;
		goto out_slot;
	}
	return 0;

out_slot:
	if (slot) {
		old.flags |= FP_UPLINK_F_ON;
		update(upv_fd, ifindex, &old, BPF_ANY);
	}
	return err;
}

static int del_one(const struct fp_vlan_key *k, const struct fp_vlan *v,
		   void *ctx)
{
	const struct fp_maps *m = ctx;

	(void)v;
	return bpf_map_delete_elem(m->vlans, k) && errno != ENOENT ? -errno : 0;
}

int fp_uplinks__del(const struct fp_maps *m, __u32 ifindex)
{
	int err = fp_uplinks__del_fds(m->uplinks, m->upv, ifindex);

	/* Once the uplink is gone, its circuits' records are unread. */
	if (!err && m->vlans >= 0)
		err = fp_vlans__walk(m, ifindex, del_one, (void *)m);
	return err;
}

struct gw_walk {
	int (*fn)(__u32 gw_ifindex, void *ctx);
	void *ctx;
};

static int vlan_gateway(const struct fp_vlan_key *k, const struct fp_vlan *v,
			void *ctx)
{
	const struct gw_walk *w = ctx;

	(void)k;
	return v->up.gw_ifindex ? w->fn(v->up.gw_ifindex, w->ctx) : 0;
}

int fp_uplinks__walk_gateways(const struct fp_maps *m,
			      int (*fn)(__u32 gw_ifindex, void *ctx), void *ctx)
{
	struct gw_walk w = { .fn = fn, .ctx = ctx };
	__u32 key, *prev = NULL;
	struct fp_uplink up;
	int err;

	while (!bpf_map_get_next_key(m->uplinks, prev, &key)) {
		prev = &key;
		if (bpf_map_lookup_elem(m->uplinks, &key, &up) ||
		    !up.gw_ifindex)
			continue;
		err = fn(up.gw_ifindex, ctx);
		if (err)
			return err;
	}
	/* A tagged circuit's gateway port is as much the gateway's. */
	return m->vlans >= 0 ? fp_vlans__walk(m, 0, vlan_gateway, &w) : 0;
}

bool fp_vlan__valid(__u16 outer, __u16 inner)
{
	return inner >= 1 && inner <= 4094 && outer <= 4094;
}

struct slots {
	unsigned char used[FP_MAX_VLANS];
};

static int mark_slot(const struct fp_vlan_key *k, const struct fp_vlan *v,
		     void *ctx)
{
	struct slots *s = ctx;

	(void)k;
	if (v->stat < FP_MAX_VLANS)
		s->used[v->stat] = 1;
	return 0;
}

/* A counter slot no record holds, zeroed on every CPU; -ENOSPC: none. */
static int free_slot(const struct fp_maps *m, __u32 *slot)
{
	struct slots *s = calloc(1, sizeof(*s));
	struct fp_vlanstat *zero;
	int ncpu = libbpf_num_possible_cpus(), err = -ENOSPC;
	__u32 i;

	if (!s)
		return -ENOMEM;
	fp_vlans__walk(m, 0, mark_slot, s);
	for (i = 0; i < FP_MAX_VLANS && s->used[i]; i++)
		;
	free(s);
	if (i == FP_MAX_VLANS)
		return err;
	if (ncpu < 1)
		return ncpu ? ncpu : -EINVAL;
	zero = calloc((size_t)ncpu, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	err = bpf_map_update_elem(m->vlanstat, &i, zero, BPF_ANY) ? -errno : 0;
	free(zero);
	*slot = i;
	return err;
}

/*
 * fp_vlans__put, and with keep the command's fp_vlans__put_gw: a record
 * already there keeps its circuit and xallow. The record is read once.
 */
static int put_vlan(const struct fp_maps *m, __u32 ifindex, __u16 outer,
		    __u16 inner, const struct fp_uplink *cir, bool keep,
		    struct fp_vlan *old, bool *existed)
{
	struct fp_vlan_key k = { .ifindex = ifindex,
				 .outer = outer,
				 .inner = inner };
	struct fp_vlan v = { .up = *cir }, was;
	struct fp_uplink up;
	struct refresh r = { .m = m, .up = &up, .build = true };
	bool had, live;
	int err;

	if (!fp_vlan__valid(outer, inner))
		return -EINVAL;
	if (bpf_map_lookup_elem(m->uplinks, &ifindex, &up))
		return -ENOENT;
	had = !bpf_map_lookup_elem(m->vlans, &k, &was);
	if (existed)
		*existed = had;
	if (old && had)
		*old = was;
	inherit(&v, &up);
	if (had && keep) {
		v.up.circuit = was.up.circuit;
		v.up.xallow = was.up.xallow;
	}
	live = is_trunk(&up);
	if (live) {
		r.trunk = FP_UPLINK_TRUNK_NR(up.flags);
	} else {
		err = free_trunk(m, &r.trunk);
		/* None before this one, unless a call broke off half way. */
		if (!err)
			err = fp_vlans__walk(m, ifindex, refresh_one, &r);
		if (err)
			return err;
	}
	if (had) {
		v.stat = was.stat;
	} else {
		err = free_slot(m, &v.stat);
		if (err)
			return err;
	}
	if (bpf_map_update_elem(m->vlans, &k, &v, BPF_ANY))
		return errno == E2BIG ? -ENOSPC : -errno;
	err = show_vlan(m, r.trunk, &k, &v);
	if (!err && !live)
		err = put_uplink(m, ifindex, &up, (int)r.trunk);
	/* What the program could see is as it was: the registry too. */
	if (err && !had)
		bpf_map_delete_elem(m->vlans, &k);
	else if (err)
		bpf_map_update_elem(m->vlans, &k, &was, BPF_ANY);
	return err;
}

int fp_vlans__put(const struct fp_maps *m, __u32 ifindex, __u16 outer,
		  __u16 inner, const struct fp_uplink *cir, struct fp_vlan *old,
		  bool *existed)
{
	return put_vlan(m, ifindex, outer, inner, cir, false, old, existed);
}

int fp_vlans__put_gw(const struct fp_maps *m, __u32 ifindex, __u16 outer,
		     __u16 inner, __u32 gw_ifindex, struct fp_vlan *old,
		     bool *existed)
{
	struct fp_uplink cir = { .gw_ifindex = gw_ifindex,
				 .xallow = FP_XALLOW_DEFAULT };

	return put_vlan(m, ifindex, outer, inner, &cir, true, old, existed);
}

int fp_vlans__del(const struct fp_maps *m, __u32 ifindex, __u16 outer,
		  __u16 inner)
{
	struct fp_vlan_key k = { .ifindex = ifindex,
				 .outer = outer,
				 .inner = inner };
	struct fp_uplink up;
	struct fp_vlan was;
	bool live;
	int err;

	if (bpf_map_lookup_elem(m->vlans, &k, &was))
		return -errno;
	live = !bpf_map_lookup_elem(m->uplinks, &ifindex, &up) && is_trunk(&up);
	if (live) {
		err = hide_vlan(m, FP_UPLINK_TRUNK_NR(up.flags), &k);
		if (err)
			return err;
	}
	if (bpf_map_delete_elem(m->vlans, &k)) {
		err = -errno;
		if (live)
			show_vlan(m, FP_UPLINK_TRUNK_NR(up.flags), &k, &was);
		return err;
	}
	if (!live || has_vlans(m, ifindex))
		return 0;
	/* Tagged frames are not_ip again, and passed as unknown ones were. */
	return put_uplink(m, ifindex, &up, -1);
}
