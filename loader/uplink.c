// SPDX-License-Identifier: GPL-2.0
/*
 * Uplinks: the registry the loader lists and keeps (fp_uplinks, by
 * ifindex in a hash) and the array the program reads (fp_upv, indexed by
 * ifindex below FP_DEV_SLOTS), the one place that writes both. The slot
 * the program can see is written last on the way in and cleared first on
 * the way out, and a call that fails takes back what it wrote.
 */
#include <errno.h>
#include <bpf/bpf.h>

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

int fp_uplinks__put(const struct fp_maps *m, __u32 ifindex,
		    const struct fp_uplink *up)
{
	struct fp_uplink on = *up, old;
	bool had;
	int err;

	had = !bpf_map_lookup_elem(m->uplinks, &ifindex, &old);
	on.flags &= ~FP_UPLINK_F_ON;
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

int fp_uplinks__del(const struct fp_maps *m, __u32 ifindex)
{
	return fp_uplinks__del_fds(m->uplinks, m->upv, ifindex);
}
