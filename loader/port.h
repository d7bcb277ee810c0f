/* SPDX-License-Identifier: GPL-2.0 */
/*
 * port.c: the one writer of the ports and their redirect targets, the
 * registry (fp_ports, the devmap fp_tx, by ifindex in hashes) and the
 * program's arrays (fp_portv, fp_txv, for ifindex < FP_DEV_SLOTS)
 * together. Return 0 or -errno; print nothing.
 */
#ifndef FASTPATH_PORT_H
#define FASTPATH_PORT_H

#include <linux/types.h>

#include "fastpath.h"

struct fp_maps;

/*
 * The port at ifindex, its redirect target first; how is BPF_NOEXIST,
 * BPF_EXIST or BPF_ANY for the fp_ports entry.
 */
int fp_ports__put(const struct fp_maps *m, __u32 ifindex,
		  const struct fp_port *port, __u64 how);
/*
 * The model's VNet behind the registered port at ifindex (fp_port.vnet;
 * 0: none), which fp_ports__put keeps whatever record it writes.
 */
int fp_ports__bind(const struct fp_maps *m, __u32 ifindex, __u32 vnet);
/* The port at ifindex, then its redirect target; -ENOENT if none. */
int fp_ports__del(const struct fp_maps *m, __u32 ifindex);
/* The redirect slot again, after the kernel emptied it (device gone). */
int fp_ports__tx_put(const struct fp_maps *m, __u32 ifindex);
/*
 * The fp_ports record of an interface (name, MAC, MTU clamped to the
 * field's 16 bits), whoever registers it: `port add` or sync.
 */
void fp_ports__record(struct fp_port *p, const char *name, const __u8 *mac,
		      __u32 mtu, const __u8 *peer_mac, __u32 flags);

#endif
