// SPDX-License-Identifier: GPL-2.0
/*
 * Ports: the registry the loader lists and keeps (fp_ports and the devmap
 * fp_tx, by ifindex in hashes) and the arrays the program reads (fp_portv,
 * fp_txv, indexed by ifindex below FP_DEV_SLOTS), the one place that
 * writes both. Order is what keeps packets whole: a redirect target
 * exists before any port names it, a slot the program can see is written
 * last on the way in and cleared first on the way out, and a call that
 * fails takes back what it wrote, so no caller has a rollback of its own.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>

#include "maps.h"
#include "port.h"

static bool in_array(__u32 ifindex)
{
	return ifindex < FP_DEV_SLOTS;
}

static int update(int fd, __u32 key, const void *val, __u64 how)
{
	return bpf_map_update_elem(fd, &key, val, how) ? -errno : 0;
}

static bool has_tx(const struct fp_maps *m, __u32 ifindex)
{
	__u32 tx;

	return !bpf_map_lookup_elem(m->tx, &ifindex, &tx);
}

static void tx_drop(const struct fp_maps *m, __u32 ifindex)
{
	bpf_map_delete_elem(m->tx, &ifindex);
	if (in_array(ifindex))
		bpf_map_delete_elem(m->txv, &ifindex);
}

/* The redirect slots; had: fp_tx held the slot before, so it stays. */
static int tx_put(const struct fp_maps *m, __u32 ifindex, bool had)
{
	int err = update(m->tx, ifindex, &ifindex, BPF_ANY);

	if (err || !in_array(ifindex))
		return err;
	err = update(m->txv, ifindex, &ifindex, BPF_ANY);
	if (err && !had)
		bpf_map_delete_elem(m->tx, &ifindex);
	return err;
}

int fp_ports__tx_put(const struct fp_maps *m, __u32 ifindex)
{
	return tx_put(m, ifindex, has_tx(m, ifindex));
}

/* put() with the VNet binding: the record's own (bind), or the old one. */
static int put(const struct fp_maps *m, __u32 ifindex,
	       const struct fp_port *port, __u64 how, bool bind)
{
	bool had_tx = has_tx(m, ifindex), had_port;
	struct fp_port old, rec = *port;
	int err;

	had_port = !bpf_map_lookup_elem(m->ports, &ifindex, &old);
	if (!bind)
		rec.vnet = had_port ? old.vnet : 0;
	err = tx_put(m, ifindex, had_tx);
	if (err)
		return err;
	err = update(m->ports, ifindex, &rec, how);
	if (err)
		goto out_tx;
	if (in_array(ifindex)) {
		err = update(m->portv, ifindex, &rec, BPF_ANY);
		if (err)
			goto out_port;
	}
	return 0;

out_port:
	if (had_port)
		update(m->ports, ifindex, &old, BPF_ANY);
	else
		bpf_map_delete_elem(m->ports, &ifindex);
out_tx:
	if (!had_tx)
		tx_drop(m, ifindex);
	return err;
}

int fp_ports__put(const struct fp_maps *m, __u32 ifindex,
		  const struct fp_port *port, __u64 how)
{
	return put(m, ifindex, port, how, false);
}

int fp_ports__bind(const struct fp_maps *m, __u32 ifindex, __u32 vnet)
{
	struct fp_port port;

	if (vnet >= FP_MAX_VNETS)
		return -ERANGE;
	if (bpf_map_lookup_elem(m->ports, &ifindex, &port))
		return -errno;
	if (port.vnet == vnet)
		return 0;
	port.vnet = vnet;
	return put(m, ifindex, &port, BPF_EXIST, true);
}

int fp_ports__del(const struct fp_maps *m, __u32 ifindex)
{
	static const struct fp_port none;
	struct fp_port old;
	int err;

	if (bpf_map_lookup_elem(m->ports, &ifindex, &old))
		return -errno;
	if (in_array(ifindex)) {
		err = update(m->portv, ifindex, &none, BPF_ANY);
		if (err)
			return err;
	}
	if (bpf_map_delete_elem(m->ports, &ifindex)) {
		err = -errno;
		goto out_portv;
	}
	/* Last: no port names the redirect slot any more. */
	tx_drop(m, ifindex);
	return 0;

out_portv:
	if (in_array(ifindex))
		update(m->portv, ifindex, &old, BPF_ANY);
	return err;
}

void fp_ports__record(struct fp_port *p, const char *name, const __u8 *mac,
		      __u32 mtu, const __u8 *peer_mac, __u32 flags)
{
	memset(p, 0, sizeof(*p));
	memcpy(p->mac, mac, sizeof(p->mac));
	if (peer_mac)
		memcpy(p->peer_mac, peer_mac, sizeof(p->peer_mac));
	p->mtu = mtu > 0xffff ? 0xffff : mtu;
	p->flags = flags;
	snprintf(p->name, sizeof(p->name), "%s", name);
}
