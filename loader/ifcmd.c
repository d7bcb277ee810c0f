// SPDX-License-Identifier: GPL-2.0
/*
 * Ports and uplinks by interface name, for the commands that name them:
 * `port`, `uplink` (table.c), `load` (attach.c) and the model's port
 * steps (steps.c). The name is looked up here and the refusal worded
 * here, once, so every command says the same; the checks and the writes
 * are table.c's, on typed values.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "ifcmd.h"
#include "ifinfo.h"
#include "log.h"
#include "mapio.h"
#include "parse.h"
#include "table.h"
#include "uplink.h"

static int no_iface(const char *what, const char *ifname, int err)
{
	pr_warn("%s %s: %s\n", what, ifname,
		err == -ENODEV ? "no such interface in this network namespace" :
				 strerror(-err));
	return err;
}

int fp_ifcmd__port_add(struct fp_maps *m, const char *ifname,
		       const __u8 *peer_mac)
{
	struct fp_ifinfo info;
	int err;

	err = fp_ifinfo__by_name(ifname, &info);
	if (err)
		return no_iface("port", ifname, err);
	err = fp_port__add(m, &info, peer_mac);
	if (err == -EEXIST)
		pr_warn("port %s: already registered (port del it first)\n",
			ifname);
	else if (err)
		pr_warn("port %s: cannot add to %s: %s\n", ifname, FP_MAP_PORTS,
			err == -EINVAL ? "device cannot be a redirect target" :
					 fp_map__strerror(err));
	return err;
}

int fp_ifcmd__port_del(struct fp_maps *m, const char *ifname)
{
	struct fp_port port;
	__u32 ifindex;
	int err;

	/* By the registry's name: its interface may be gone already. */
	err = fp_port__by_name(m, ifname, &ifindex, &port);
	if (!err)
		err = fp_port__del(m, ifindex);
	switch (err) {
	case 0:
		break;
	case -ENOENT:
		pr_warn("port %s: not registered\n", ifname);
		break;
	case -EBUSY:
		pr_warn("port %s: %d route(s) still use it (route del them first)\n",
			ifname, fp_port__routes(m, ifindex));
		break;
	case -EADDRINUSE:
		pr_warn("port %s: it is an uplink's or a tagged circuit's gateway port "
			"(unload, or uplink del --vlan, first)\n",
			ifname);
		break;
	default:
		pr_warn("port %s: %s\n", ifname, strerror(-err));
	}
	return err;
}

static void gw_unregistered(const char *gw_port)
{
	pr_warn("gateway port %s: not registered "
		"(fastpath port add %s --peer-mac MAC)\n",
		gw_port, gw_port);
}

int fp_ifcmd__uplink_set(struct fp_maps *m, const char *ifname,
			 const char *gw_port, __u32 flags,
			 struct fp_uplink *old, bool *existed)
{
	struct fp_uplink up = { .flags = flags, .xallow = FP_XALLOW_DEFAULT };
	struct fp_ifinfo info;
	struct fp_port port;
	int err;

	err = fp_ifinfo__by_name(ifname, &info);
	if (err)
		return no_iface("uplink", ifname, err);
	if (gw_port && fp_port__by_name(m, gw_port, &up.gw_ifindex, &port)) {
		gw_unregistered(gw_port);
		return -ENOENT;
	}
	memcpy(up.mac, info.mac, sizeof(up.mac));
	err = fp_uplink__set(m, info.ifindex, &up, old, existed);
	if (!err)
		return (int)info.ifindex;
	/* The gateway's refusals come before any write, map errors after. */
	if (gw_port && err == -ENOENT)
		gw_unregistered(gw_port);
	else if (gw_port && err == -EINVAL)
		pr_warn("gateway port %s: has no --peer-mac\n", gw_port);
	else if (gw_port && err == -ELOOP)
		pr_warn("gateway port %s: is the uplink itself\n", gw_port);
	else
		pr_warn("uplink %s: %s\n", ifname, fp_map__strerror(err));
	return err;
}

int fp_ifcmd__uplink_del(struct fp_maps *m, const char *ifname)
{
	__u32 ifindex = if_nametoindex(ifname);

	if (!ifindex || fp_uplinks__del(m, ifindex)) {
		pr_warn("uplink %s: not a configured uplink\n", ifname);
		return -ENOENT;
	}
	return 0;
}

int fp_ifcmd__vlan_set(struct fp_maps *m, const char *ifname, __u16 outer,
		       __u16 inner, const char *gw_port)
{
	__u32 ifindex = if_nametoindex(ifname), gw = 0;
	char vlan[16], what[IF_NAMESIZE + 32];
	struct fp_port port;
	struct fp_vlan old;
	bool existed;
	int err;

	fp_format_vlan(outer, inner, vlan, sizeof(vlan));
	snprintf(what, sizeof(what), "uplink %s vlan %s", ifname, vlan);
	if (gw_port && fp_port__by_name(m, gw_port, &gw, &port)) {
		gw_unregistered(gw_port);
		return -ENOENT;
	}
	err = ifindex ? fp_vlan__set(m, ifindex, outer, inner, gw, &old,
				     &existed) :
			-ENODEV;
	switch (err) {
	case 0:
		break;
	case -ENODEV:
		pr_warn("%s: %s is not a configured uplink (fastpath load %s)\n",
			what, ifname, ifname);
		break;
	case -ENOENT:
		gw_unregistered(gw_port);
		break;
	case -EINVAL:
		pr_warn("gateway port %s: has no --peer-mac\n", gw_port);
		break;
	case -ELOOP:
		pr_warn("gateway port %s: is the uplink itself\n", gw_port);
		break;
	case -ENOSPC:
		pr_warn("%s: no room: at most %d tagged circuits, %d trunk "
			"uplinks and %d S-tags (over all trunks)\n",
			what, FP_MAX_VLANS, FP_MAX_TRUNKS, FP_MAX_STAGS);
		break;
	default:
		pr_warn("%s: cannot add to %s: %s\n", what, FP_MAP_VLANS,
			fp_map__strerror(err));
	}
	return err;
}

int fp_ifcmd__vlan_del(struct fp_maps *m, const char *ifname, __u16 outer,
		       __u16 inner)
{
	__u32 ifindex = if_nametoindex(ifname);
	char vlan[16];
	int err;

	fp_format_vlan(outer, inner, vlan, sizeof(vlan));
	err = ifindex ? fp_vlans__del(m, ifindex, outer, inner) : -ENOENT;
	if (err == -ENOENT)
		pr_warn("uplink %s vlan %s: no such tagged circuit\n", ifname,
			vlan);
	else if (err)
		pr_warn("uplink %s vlan %s: %s\n", ifname, vlan,
			fp_map__strerror(err));
	return err;
}
