/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uplink.c: the one writer of the uplinks, the registry (fp_uplinks, by
 * ifindex in a hash) and the program's array (fp_upv, for ifindex <
 * FP_DEV_SLOTS) together. Return 0 or -errno; print nothing.
 */
#ifndef FASTPATH_UPLINK_H
#define FASTPATH_UPLINK_H

#include <linux/types.h>

#include "fastpath.h"

struct fp_maps;

int fp_uplinks__put(const struct fp_maps *m, __u32 ifindex,
		    const struct fp_uplink *up);
/* -ENOENT when ifindex is not an uplink. */
int fp_uplinks__del(const struct fp_maps *m, __u32 ifindex);
/*
 * The same by fd, on a pin set of any layout (unload): upv_fd < 0 when
 * the set has no fp_upv.
 */
int fp_uplinks__del_fds(int uplinks_fd, int upv_fd, __u32 ifindex);

#endif
