// SPDX-License-Identifier: GPL-2.0
/*
 * onprem: the return path's destinations (VM -> on-prem) by hand. An
 * on-prem prefix is an entry of the same tables as the VM routes, whose
 * result names an uplink and the next hop's MAC and carries
 * FP_ROUTE_F_ONPREM (maps/fastpath.h): fastpath_port sends a VM's frame
 * to it out of the uplink, fastpath_xdp reads it as no entry. The entry
 * is fib.c's to write, the uplink's egress record (its MAC, MTU and
 * redirect slot) port.c's; this file checks, builds and asks them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include <netlink/netlink.h>
#include <netlink/route/neighbour.h>

#include "args.h"
#include "commands.h"
#include "fib.h"
#include "ifinfo.h"
#include "log.h"
#include "nlsock.h"
#include "mapio.h"
#include "onprem.h"
#include "parse.h"
#include "pinset.h"
#include "port.h"
#include "xlate.h"

int fp_onprem__build(__u32 uplink, const __u8 *mac, enum fp_origin origin,
		     struct fp_route *out)
{
	if (!uplink || (mac && (mac[0] & 1)))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->ifindex = uplink;
	if (mac)
		memcpy(out->dmac, mac, sizeof(out->dmac));
	out->origin = origin;
	out->flags = FP_ROUTE_F_ONPREM;
	return 0;
}

/* The uplink's egress record: where the return path sends, from what. */
static int egress_put(const struct fp_maps *m, const struct fp_ifinfo *info)
{
	struct fp_port want, have;
	__u64 how = BPF_NOEXIST;

	fp_ports__record(&want, info->name, info->mac, info->mtu, NULL,
			 FP_PORT_F_UPLINK);
	if (!bpf_map_lookup_elem(m->ports, &info->ifindex, &have)) {
		if (!(have.flags & FP_PORT_F_UPLINK))
			return -EADDRINUSE;
		if (!memcmp(&have, &want, sizeof(want)))
			return 0;
		how = BPF_EXIST;
	}
	return fp_ports__put(m, info->ifindex, &want, how);
}

int fp_onprem__add(const struct fp_maps *m, const struct fp_prefix *p,
		   const struct fp_ifinfo *uplink, const __u8 *mac,
		   enum fp_origin origin)
{
	struct fp_uplink up;
	struct fp_route rt;
	int err;

	if (bpf_map_lookup_elem(m->uplinks, &uplink->ifindex, &up))
		return -ENODEV;
	err = fp_onprem__build(uplink->ifindex, mac, origin, &rt);
	if (err)
		return err;
	/* The target before anything names it. */
	err = egress_put(m, uplink);
	if (err)
		return err;
	return fp_fib__set(m, p, &rt, true);
}

int fp_onprem__del(const struct fp_maps *m, const struct fp_prefix *p)
{
	struct fp_route rt;

	if (fp_fib__get(m, p, &rt) || !(rt.flags & FP_ROUTE_F_ONPREM) ||
	    (rt.flags & FP_ROUTE_F_MARKER))
		return -ENOENT;
	return fp_fib__del(m, p);
}

/*
 * The next hop's MAC from the kernel's neighbour table: 0, -ENOENT when
 * it has no usable entry (not resolved yet, failed), else -errno.
 */
static int neigh_mac(__u32 ifindex, const struct fp_prefix *via, __u8 *mac)
{
	struct nl_cache *cache = NULL;
	struct nl_sock *sk;
	struct nl_addr *a = NULL, *ll;
	struct rtnl_neigh *n;
	int err = fp_nlsock__route(&sk, 0, "onprem");

	if (!err)
		err = rtnl_neigh_alloc_cache(sk, &cache);
	if (err < 0) {
		pr_warn("neighbour table: %s\n", nl_geterror(err));
		err = -EIO;
		goto out;
	}
	a = nl_addr_build(via->family, via->addr,
			  via->family == AF_INET ? 4 : 16);
	n = a ? rtnl_neigh_get(cache, (int)ifindex, a) : NULL;
	err = a ? -ENOENT : -ENOMEM;
	if (n) {
		ll = rtnl_neigh_get_lladdr(n);
		if (ll && nl_addr_get_len(ll) == 6 &&
		    (rtnl_neigh_get_state(n) & FP_NUD_USABLE)) {
			memcpy(mac, nl_addr_get_binary_addr(ll), 6);
			err = 0;
		}
		rtnl_neigh_put(n);
	}
out:
	nl_addr_put(a);
	nl_cache_free(cache);
	nl_socket_free(sk);
	return err;
}

/* ---- the command ---------------------------------------------------- */

struct onprem_list {
	bool json;
	json_object *arr;
};

static int show_onprem(const struct fp_prefix *p, const struct fp_route *rt,
		       void *ctx)
{
	char pfx[FP_PREFIX_STRLEN], mac[FP_MAC_STRLEN], name[IF_NAMESIZE];
	struct onprem_list *l = ctx;
	bool resolved = !fp_mac_is_zero(rt->dmac);
	json_object *o;

	if (!(rt->flags & FP_ROUTE_F_ONPREM))
		return 0;
	fp_format_prefix(p, pfx, sizeof(pfx));
	fp_format_mac(rt->dmac, mac, sizeof(mac));
	if (!if_indextoname(rt->ifindex, name))
		snprintf(name, sizeof(name), "if%u", rt->ifindex);
	if (!l->json) {
		printf("%s dev %s lladdr %s origin %s\n", pfx, name,
		       resolved ? mac : "unresolved",
		       fp_origin_name(rt->origin));
		return 0;
	}
	o = json_object_new_object();
	json_object_object_add(o, "prefix", json_object_new_string(pfx));
	json_object_object_add(o, "uplink", json_object_new_string(name));
	json_object_object_add(o, "ifindex",
			       json_object_new_int64(rt->ifindex));
	json_object_object_add(o, "lladdr",
			       resolved ? json_object_new_string(mac) : NULL);
	json_object_object_add(
		o, "origin",
		json_object_new_string(fp_origin_name(rt->origin)));
	json_object_array_add(l->arr, o);
	return 0;
}

static int onprem_list(struct fp_maps *m, bool json)
{
	struct onprem_list l = { json, json_object_new_array() };
	int err = fp_fib__for_each(m, show_onprem, &l);

	if (!err && json)
		fp_json__print(l.arr);
	json_object_put(l.arr);
	return err;
}

static int onprem_add(struct fp_maps *m, const char *prefix,
		      const struct fp_prefix *p, const struct fp_prefix *via,
		      const char *ifname, const __u8 *lladdr)
{
	char addr[FP_PREFIX_STRLEN];
	struct fp_ifinfo info;
	__u8 mac[6];
	int err;

	err = fp_ifinfo__by_name(ifname, &info);
	if (err) {
		pr_warn("onprem %s: dev %s: no such interface in this network "
			"namespace\n",
			prefix, ifname);
		return err;
	}
	fp_format_prefix(via, addr, sizeof(addr));
	*strchr(addr, '/') = '\0';
	if (lladdr) {
		memcpy(mac, lladdr, 6);
	} else {
		err = neigh_mac(info.ifindex, via, mac);
		if (err == -ENOENT) {
			pr_warn("onprem %s: next hop %s on %s is not resolved "
				"(no usable neighbour entry: reach it once, or "
				"give lladdr MAC)\n",
				prefix, addr, ifname);
			return err;
		}
		if (err)
			return err;
	}
	err = fp_onprem__add(m, p, &info, mac, FP_ORIGIN_STATIC);
	switch (err) {
	case 0:
		break;
	case -ENODEV:
		pr_warn("onprem %s: %s is not a configured uplink (fastpath load "
			"%s)\n",
			prefix, ifname, ifname);
		break;
	case -EADDRINUSE:
		pr_warn("onprem %s: %s is registered as a VM port (port del "
			"it first)\n",
			prefix, ifname);
		break;
	case -EEXIST:
		pr_warn("onprem %s: an entry is there already (onprem del or "
			"route del it first)\n",
			prefix);
		break;
	default:
		pr_warn("onprem %s: %s: %s\n", prefix, fp_fib__map_name(p),
			fp_map__strerror(err));
	}
	return err;
}

static int onprem_usage(void)
{
	fp_usage_error("onprem add PREFIX via ADDR dev UPLINK [lladdr MAC] | "
		       "onprem del PREFIX | onprem list");
	return FP_EXIT_USAGE;
}

int fp_cmd_onprem(const struct fp_opts *o, int argc, char **argv)
{
	const char *pos[FP_MAX_POS];
	struct fp_prefix p = { 0 }, via = { 0 };
	struct fp_maps m;
	bool add, del, list;
	__u8 mac[6];
	int npos, err;

	npos = fp_args__parse("onprem", argc, argv, NULL, NULL, pos);
	if (npos < 0)
		return FP_EXIT_USAGE;
	if (npos < 1)
		return onprem_usage();
	add = !strcmp(pos[0], "add");
	del = !strcmp(pos[0], "del");
	list = !strcmp(pos[0], "list");
	if ((add && ((npos != 6 && npos != 8) || strcmp(pos[2], "via") ||
		     strcmp(pos[4], "dev") ||
		     (npos == 8 && strcmp(pos[6], "lladdr")))) ||
	    (del && npos != 2) || (list && npos != 1) || !(add || del || list))
		return onprem_usage();
	if (!list) {
		err = fp_parse_prefix(pos[1], &p);
		if (err) {
			pr_warn("onprem %s: %s\n", pos[1],
				err == -EDOM ?
					"host bits set beyond the prefix length" :
					"not an IPv4 or IPv6 prefix in CIDR form");
			return FP_EXIT_USAGE;
		}
	}
	if (add) {
		if (fp_parse_addr(pos[3], &via) || via.family != p.family) {
			pr_warn("onprem %s: via %s is not an %s address\n",
				pos[1], pos[3],
				p.family == AF_INET ? "IPv4" : "IPv6");
			return FP_EXIT_USAGE;
		}
		if (fp_args__ifname("onprem: dev", pos[5]))
			return FP_EXIT_USAGE;
		if (npos == 8 && (fp_parse_mac(pos[7], mac) || (mac[0] & 1) ||
				  fp_mac_is_zero(mac))) {
			pr_warn("onprem %s: lladdr %s is not a unicast MAC "
				"address\n",
				pos[1], pos[7]);
			return FP_EXIT_USAGE;
		}
	}
	if (fp_env__enter(o))
		return FP_EXIT_ERR;
	err = list ? fp_maps__open_readonly(&m, o) : fp_maps__open(&m, o);
	if (err)
		return FP_EXIT_ERR;
	if (list) {
		err = onprem_list(&m, o->json);
		if (err)
			pr_warn("onprem list: %s\n", strerror(-err));
	} else if (add) {
		err = onprem_add(&m, pos[1], &p, &via, pos[5],
				 npos == 8 ? mac : NULL);
	} else {
		err = fp_onprem__del(&m, &p);
		if (err == -ENOENT)
			pr_warn("onprem %s: no such on-prem entry\n", pos[1]);
		else if (err)
			pr_warn("onprem %s: %s: %s\n", pos[1],
				fp_fib__map_name(&p), fp_map__strerror(err));
	}
	fp_maps__close(&m);
	return err ? FP_EXIT_ERR : FP_EXIT_OK;
}
