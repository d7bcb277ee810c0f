// SPDX-License-Identifier: GPL-2.0
/*
 * Uplinks: the registry the loader lists and keeps (fp_uplinks, by
 * ifindex in a hash) and the array the program reads (fp_upv, indexed by
 * ifindex below FP_DEV_SLOTS), the one place that writes both. The slot
 * the program can see is written last on the way in and cleared first on
 * the way out, and a call that fails takes back what it wrote.
 *
 * Also the tagged circuits of trunk uplinks (fp_vlans, their counters in
 * fp_vlanstat): a record is written before its uplink is flagged a trunk
 * and the flag cleared only once the last record is gone, and each
 * record carries its uplink's MAC and flags, so the program may use it
 * in the uplink's place.
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

static int refresh_one(const struct fp_vlan_key *k, const struct fp_vlan *v,
		       void *ctx)
{
	const struct fp_maps *m = ((void **)ctx)[0];
	struct fp_vlan now = *v;

	inherit(&now, ((void **)ctx)[1]);
	if (!memcmp(&now, v, sizeof(now)))
		return 0;
	return bpf_map_update_elem(m->vlans, k, &now, BPF_EXIST) ? -errno : 0;
}

static int put_uplink(const struct fp_maps *m, __u32 ifindex,
		      const struct fp_uplink *up, bool trunk);

int fp_uplinks__put(const struct fp_maps *m, __u32 ifindex,
		    const struct fp_uplink *up)
{
	void *ctx[2] = { (void *)m, (void *)up };
	bool trunk = has_vlans(m, ifindex);
	int err;

	err = put_uplink(m, ifindex, up, trunk);
	if (err || !trunk)
		return err;
	/* Records that miss the change serve the old MAC and flags. */
	return fp_vlans__walk(m, ifindex, refresh_one, ctx);
}

static int put_uplink(const struct fp_maps *m, __u32 ifindex,
		      const struct fp_uplink *up, bool trunk)
{
	struct fp_uplink on = *up, old;
	bool had;
	int err;

	had = !bpf_map_lookup_elem(m->uplinks, &ifindex, &old);
	on.flags &= ~(FP_UPLINK_F_ON | FP_UPLINK_F_TRUNK);
	if (trunk)
		on.flags |= FP_UPLINK_F_TRUNK;
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
	bool had;
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
	if (had) {
		v.stat = was.stat;
	} else {
		err = free_slot(m, &v.stat);
		if (err)
			return err;
	}
	if (bpf_map_update_elem(m->vlans, &k, &v, BPF_ANY))
		return errno == E2BIG ? -ENOSPC : -errno;
	if (up.flags & FP_UPLINK_F_TRUNK)
		return 0;
	err = put_uplink(m, ifindex, &up, true);
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

	if (bpf_map_delete_elem(m->vlans, &k))
		return -errno;
	if (has_vlans(m, ifindex) ||
	    bpf_map_lookup_elem(m->uplinks, &ifindex, &up))
		return 0;
	/* Tagged frames are not_ip again, and passed as unknown ones were. */
	return put_uplink(m, ifindex, &up, false);
}
