// SPDX-License-Identifier: GPL-2.0
/*
 * Ports: the registry the loader lists and keeps (fp_ports and the devmap
 * fp_tx, by ifindex in hashes) and the arrays the program reads (fp_portv,
 * fp_txv, indexed by ifindex below FP_DEV_SLOTS), the one place that
 * writes both. Order is what keeps packets whole: a slot the program can
 * see is written last on the way in and cleared first on the way out, and
 * a redirect target exists before any port names it.
 */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>

#include "fp.h"
#include "port.h"

static bool in_array(__u32 ifindex)
{
	return ifindex < FP_DEV_SLOTS;
}

static int update(int fd, __u32 key, const void *val, __u64 how)
{
	return bpf_map_update_elem(fd, &key, val, how) ? -errno : 0;
}

int fp_ports__tx_put(const struct fp_maps *m, __u32 ifindex)
{
	int err = update(m->tx, ifindex, &ifindex, BPF_ANY);

	if (!err && in_array(ifindex))
		err = update(m->txv, ifindex, &ifindex, BPF_ANY);
	return err;
}

int fp_ports__put(const struct fp_maps *m, __u32 ifindex,
		  const struct fp_port *port, __u64 how)
{
	bool had_tx;
	__u32 tx;
	int err;

	had_tx = !bpf_map_lookup_elem(m->tx, &ifindex, &tx);
	err = fp_ports__tx_put(m, ifindex);
	if (err)
		return err;
	err = update(m->ports, ifindex, port, how);
	if (!err && in_array(ifindex))
		err = update(m->portv, ifindex, port, BPF_ANY);
	if (err && !had_tx) {
		bpf_map_delete_elem(m->tx, &ifindex);
		if (in_array(ifindex))
			bpf_map_delete_elem(m->txv, &ifindex);
	}
	return err;
}

int fp_ports__del(const struct fp_maps *m, __u32 ifindex)
{
	static const struct fp_port none;
	int err;

	if (in_array(ifindex)) {
		err = update(m->portv, ifindex, &none, BPF_ANY);
		if (err)
			return err;
	}
	if (bpf_map_delete_elem(m->ports, &ifindex))
		return -errno;
	bpf_map_delete_elem(m->tx, &ifindex);
	if (in_array(ifindex))
		bpf_map_delete_elem(m->txv, &ifindex);
	return 0;
}
