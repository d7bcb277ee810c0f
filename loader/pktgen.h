/* SPDX-License-Identifier: GPL-2.0 */
/* Building test frames: Ethernet + IPv4/IPv6 + UDP. Pure, no I/O. */
#ifndef FASTPATH_PKTGEN_H
#define FASTPATH_PKTGEN_H

#include <stddef.h>
#include <linux/types.h>

#include "parse.h"

struct fp_pktspec {
	__u8 dmac[6];
	__u8 smac[6];
	struct fp_prefix src; /* only family and addr are used */
	struct fp_prefix dst;
	__u8 ttl; /* TTL or hop limit */
	__u16 payload; /* UDP payload bytes */
	/* VLAN tags after the MACs: none when inner is 0; outer 0: one. */
	__u16 outer, inner; /* VIDs */
	__u16 outer_tpid; /* of two tags; 0: 802.1ad (0x88a8) */
};

/* Internet checksum of len bytes, folded, not inverted. */
__u16 fp_csum_fold(const void *data, size_t len, __u32 sum);

/* Writes the frame into buf; returns its length or -ENOSPC. */
int fp_pkt__build(const struct fp_pktspec *s, __u8 *buf, size_t size);

#endif
