// SPDX-License-Identifier: GPL-2.0
/*
 * Ports, routes, exclusions and uplinks: checked against each other, then
 * written in an order that never blackholes (port before route on add,
 * route before port on removal). A refused change writes nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <json-c/json.h>

#include "args.h"
#include "fib.h"
#include "commands.h"
#include "ifcmd.h"
#include "pinset.h"
#include "table.h"
#include "ifinfo.h"
#include "log.h"
#include "mapio.h"
#include "parse.h"
#include "model.h"
#include "port.h"
#include "state.h"
#include "uplink.h"

static int lookup_port(struct fp_maps *m, __u32 ifindex, struct fp_port *port)
{
	return bpf_map_lookup_elem(m->ports, &ifindex, port) ? -errno : 0;
}

int fp_port__by_name(struct fp_maps *m, const char *name, __u32 *ifindex,
		     struct fp_port *port)
{
	__u32 key, *prev = NULL;

	while (!bpf_map_get_next_key(m->ports, prev, &key)) {
		if (!lookup_port(m, key, port) &&
		    !strncmp(port->name, name, sizeof(port->name))) {
			*ifindex = key;
			return 0;
		}
		prev = &key;
	}
	return -ENOENT;
}

struct port_use {
	__u32 ifindex;
	int n;
};

static int count_use(const struct fp_prefix *p, const struct fp_route *rt,
		     void *ctx)
{
	struct port_use *u = ctx;

	if (rt->ifindex == u->ifindex)
		u->n++;
	return 0;
}

int fp_port__routes(struct fp_maps *m, __u32 ifindex)
{
	struct port_use u = { .ifindex = ifindex };

	fp_fib__for_each(m, count_use, &u);
	return u.n;
}

static int same_port(__u32 gw_ifindex, void *ctx)
{
	return gw_ifindex == *(const __u32 *)ctx;
}

/* An uplink's or a tagged circuit's gateway port. */
static bool is_gateway_port(struct fp_maps *m, __u32 ifindex)
{
	return fp_uplinks__walk_gateways(m, same_port, &ifindex) > 0;
}

int fp_port__add(struct fp_maps *m, const struct fp_ifinfo *info,
		 const __u8 *peer_mac)
{
	struct fp_port port;

	if (!lookup_port(m, info->ifindex, &port))
		return -EEXIST;
	fp_ports__record(&port, info->name, info->mac, info->mtu, peer_mac, 0);
	return fp_ports__put(m, info->ifindex, &port, BPF_NOEXIST);
}

int fp_port__del(struct fp_maps *m, __u32 ifindex)
{
	struct fp_port port;

	if (lookup_port(m, ifindex, &port))
		return -ENOENT;
	if (fp_port__routes(m, ifindex))
		return -EBUSY;
	if (is_gateway_port(m, ifindex))
		return -EADDRINUSE;
	return fp_ports__del(m, ifindex);
}

static int parse_prefix_arg(const char *what, const char *s,
			    struct fp_prefix *p)
{
	int err = fp_parse_prefix(s, p);

	if (err)
		pr_warn("%s %s: %s\n", what, s,
			err == -EDOM ?
				"host bits set beyond the prefix length" :
				"not an IPv4 or IPv6 prefix in CIDR form");
	return err;
}

static int report(int err, const char *what, const char *prefix,
		  const struct fp_prefix *p, const char *map)
{
	if (err == -EEXIST)
		pr_warn("%s %s: already exists (delete it first)\n", what,
			prefix);
	else if (err == -ENOENT)
		pr_warn("%s %s: no such %s\n", what, prefix, what);
	else
		pr_warn("%s %s: %s: %s\n", what, prefix,
			map ? map : fp_fib__map_name(p), fp_map__strerror(err));
	return err;
}

int fp_route__build(const struct fp_port *port, __u32 ifindex,
		    const __u8 *lladdr, enum fp_origin origin,
		    struct fp_route *out)
{
	const __u8 *mac = lladdr ? lladdr : port->peer_mac;

	if (fp_mac_is_zero(mac) || (mac[0] & 1))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->ifindex = ifindex;
	memcpy(out->dmac, mac, 6);
	out->origin = origin;
	return 0;
}

/*
 * A static route for p towards the registered port ifindex, with lladdr
 * (or the port's peer MAC) as destination. -ENODEV: ifindex is not a
 * registered port; -EINVAL: no unicast MAC for the frame.
 */
int fp_route__add(struct fp_maps *m, const struct fp_prefix *p, __u32 ifindex,
		  const __u8 *lladdr)
{
	struct fp_port port;
	struct fp_route rt;

	if (lookup_port(m, ifindex, &port))
		return -ENODEV;
	if (fp_route__build(&port, ifindex, lladdr, FP_ORIGIN_STATIC, &rt))
		return -EINVAL;
	return fp_fib__set(m, p, &rt, true);
}

/* A gateway port gw (0: none) for frames arriving on uplink ifindex. */
static int gateway_check(struct fp_maps *m, __u32 ifindex, __u32 gw)
{
	struct fp_port port;

	if (!gw)
		return 0;
	if (lookup_port(m, gw, &port))
		return -ENOENT;
	if (fp_mac_is_zero(port.peer_mac))
		return -EINVAL;
	return gw == ifindex ? -ELOOP : 0;
}

int fp_port__set_return(struct fp_maps *m, __u32 ifindex, bool on)
{
	struct fp_port port;

	if (lookup_port(m, ifindex, &port))
		return -ENOENT;
	if (!!(port.flags & FP_PORT_F_RETURN) == on)
		return 0;
	port.flags ^= FP_PORT_F_RETURN;
	return fp_ports__put(m, ifindex, &port, BPF_EXIST);
}

/*
 * A gateway port carries the gateway's traffic to the host, from any
 * source: never the return path's, whatever port add attached.
 */
static int gateway_no_return(struct fp_maps *m, __u32 gw)
{
	return gw ? fp_port__set_return(m, gw, false) : 0;
}

int fp_uplink__set(struct fp_maps *m, __u32 ifindex, const struct fp_uplink *up,
		   struct fp_uplink *old, bool *existed)
{
	struct fp_uplink on = *up;
	int err = gateway_check(m, ifindex, up->gw_ifindex);

	if (err)
		return err;
	err = gateway_no_return(m, up->gw_ifindex);
	if (err)
		return err;
	*existed = !bpf_map_lookup_elem(m->uplinks, &ifindex, old);
	/* The circuit it serves is `fastpath apply`'s to change. */
	if (*existed) {
		on.circuit = old->circuit;
		on.xallow = old->xallow;
	}
	return fp_uplinks__put(m, ifindex, &on);
}

int fp_vlan__set(struct fp_maps *m, __u32 ifindex, __u16 outer, __u16 inner,
		 __u32 gw_ifindex, struct fp_vlan *old, bool *existed)
{
	struct fp_uplink up;
	int err;

	if (!fp_vlan__valid(outer, inner))
		return -EINVAL;
	if (bpf_map_lookup_elem(m->uplinks, &ifindex, &up))
		return -ENODEV;
	err = gateway_check(m, ifindex, gw_ifindex);
	if (!err)
		err = gateway_no_return(m, gw_ifindex);
	if (err)
		return err;
	/* The circuit it serves is `fastpath apply`'s to change. */
	return fp_vlans__put_gw(m, ifindex, outer, inner, gw_ifindex, old,
				existed);
}

int fp_uplink__restore(struct fp_maps *m, __u32 ifindex,
		       const struct fp_uplink *old, bool existed)
{
	if (existed)
		return fp_uplinks__put(m, ifindex, old);
	return fp_uplinks__del(m, ifindex);
}

/* ---- listing ---------------------------------------------------------- */

static const char *port_name(struct fp_maps *m, __u32 ifindex, char *buf)
{
	struct fp_port port;

	if (!lookup_port(m, ifindex, &port)) {
		snprintf(buf, 16, "%.15s", port.name);
		return buf;
	}
	snprintf(buf, 16, "if%u", ifindex);
	return buf;
}

struct lister {
	struct fp_maps *m;
	bool json;
	json_object *arr;
};

static void json_add_str(json_object *o, const char *key, const char *val)
{
	json_object_object_add(o, key,
			       val ? json_object_new_string(val) : NULL);
}

static int show_route(const struct fp_prefix *p, const struct fp_route *rt,
		      void *ctx)
{
	char pfx[FP_PREFIX_STRLEN], mac[FP_MAC_STRLEN], name[16];
	bool excl = rt->xclasses != 0;
	struct lister *l = ctx;
	const char *origin = fp_origin_name(rt->origin);
	json_object *o;

	fp_format_prefix(p, pfx, sizeof(pfx));
	fp_format_mac(rt->dmac, mac, sizeof(mac));
	port_name(l->m, rt->ifindex, name);
	/* On-prem destinations are `onprem list`'s, not VM routes. */
	if (rt->flags & FP_ROUTE_F_ONPREM)
		return 0;
	/* ifindex 0: a shadow, sending its prefix to the gateway */
	if (!l->json) {
		if (rt->ifindex)
			printf("%s dev %s lladdr %s origin %s%s\n", pfx, name,
			       mac, origin, excl ? " excluded" : "");
		else
			printf("%s gateway origin %s\n", pfx, origin);
		return 0;
	}
	o = json_object_new_object();
	json_add_str(o, "prefix", pfx);
	json_add_str(o, "port", rt->ifindex ? name : NULL);
	json_object_object_add(o, "ifindex",
			       json_object_new_int64(rt->ifindex));
	json_add_str(o, "lladdr", rt->ifindex ? mac : NULL);
	json_add_str(o, "origin", origin);
	/* Covered by an exclusion: listed, but its traffic goes to the gateway. */
	json_object_object_add(o, "excluded", json_object_new_boolean(excl));
	json_object_array_add(l->arr, o);
	return 0;
}

static int show_exclusion(const struct fp_prefix *p, __u32 class, void *ctx)
{
	struct lister *l = ctx;
	char pfx[FP_PREFIX_STRLEN];
	json_object *o;

	fp_format_prefix(p, pfx, sizeof(pfx));
	if (!l->json) {
		printf("%s class %s\n", pfx, fp_class_name(class));
		return 0;
	}
	o = json_object_new_object();
	json_add_str(o, "prefix", pfx);
	json_add_str(o, "class", fp_class_name(class));
	json_object_array_add(l->arr, o);
	return 0;
}

static void list_routes(struct fp_maps *m, bool json)
{
	struct lister l = { m, json, json_object_new_array() };

	fp_fib__for_each(m, show_route, &l);
	if (json)
		fp_json__print(l.arr);
	json_object_put(l.arr);
}

static void list_exclusions(struct fp_maps *m, bool json)
{
	struct lister l = { m, json, json_object_new_array() };

	fp_fib__for_each_exclusion(m, show_exclusion, &l);
	if (json)
		fp_json__print(l.arr);
	json_object_put(l.arr);
}

static void list_ports(struct fp_maps *m, bool json)
{
	json_object *arr = json_object_new_array();
	char mac[FP_MAC_STRLEN], peer[FP_MAC_STRLEN];
	__u32 key, *prev = NULL;
	struct fp_port port;

	while (!bpf_map_get_next_key(m->ports, prev, &key)) {
		prev = &key;
		if (lookup_port(m, key, &port))
			continue;
		fp_format_mac(port.mac, mac, sizeof(mac));
		fp_format_mac(port.peer_mac, peer, sizeof(peer));
		if (!json) {
			char vnet[24] = "";

			if (port.vnet)
				snprintf(vnet, sizeof(vnet), " vnet %u",
					 port.vnet);
			printf("%.15s ifindex %u mac %s peer-mac %s mtu %u%s%s%s\n",
			       port.name, key, mac,
			       fp_mac_is_zero(port.peer_mac) ? "-" : peer,
			       port.mtu,
			       port.flags & FP_PORT_F_RETURN ? " return" : "",
			       port.flags & FP_PORT_F_UPLINK ?
				       " uplink-egress" :
				       "",
			       vnet);
			continue;
		}
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name",
				       json_object_new_string(port.name));
		json_object_object_add(o, "ifindex",
				       json_object_new_int64(key));
		json_object_object_add(o, "mac", json_object_new_string(mac));
		json_object_object_add(o, "peer_mac",
				       fp_mac_is_zero(port.peer_mac) ?
					       NULL :
					       json_object_new_string(peer));
		json_object_object_add(o, "mtu", json_object_new_int(port.mtu));
		/* The return path runs on it; an uplink's egress record. */
		json_object_object_add(
			o, "return",
			json_object_new_boolean(port.flags & FP_PORT_F_RETURN));
		json_object_object_add(
			o, "uplink",
			json_object_new_boolean(port.flags & FP_PORT_F_UPLINK));
		/* The model's VNet behind it (apply), null for none. */
		json_object_object_add(
			o, "vnet",
			port.vnet ? json_object_new_int(port.vnet) : NULL);
		json_object_array_add(arr, o);
	}
	if (json)
		fp_json__print(arr);
	json_object_put(arr);
}

struct vlan_list {
	struct fp_maps *m;
	json_object *arr; /* NULL: print lines */
};

static int list_vlan(const struct fp_vlan_key *k, const struct fp_vlan *v,
		     void *ctx)
{
	struct vlan_list *l = ctx;
	char gw[16], vlan[16];
	json_object *o;

	if (v->up.gw_ifindex)
		port_name(l->m, v->up.gw_ifindex, gw);
	if (!l->arr) {
		printf("  vlan %s circuit %u gateway %s\n",
		       fp_format_vlan(k->outer, k->inner, vlan, sizeof(vlan)),
		       v->up.circuit, v->up.gw_ifindex ? gw : "pass");
		return 0;
	}
	o = json_object_new_object();
	json_object_object_add(o, "s_tag",
			       k->outer ? json_object_new_int(k->outer) : NULL);
	json_object_object_add(o, "vlan", json_object_new_int(k->inner));
	json_object_object_add(o, "circuit",
			       json_object_new_int((int)v->up.circuit));
	json_object_object_add(o, "gateway_port",
			       v->up.gw_ifindex ? json_object_new_string(gw) :
						  NULL);
	json_object_array_add(l->arr, o);
	return 0;
}

static void list_uplinks(struct fp_maps *m, bool json)
{
	json_object *arr = json_object_new_array();
	char name[IF_NAMESIZE], gw[16];
	__u32 key, *prev = NULL;
	struct fp_uplink up;

	while (!bpf_map_get_next_key(m->uplinks, prev, &key)) {
		struct vlan_list l = { .m = m };

		prev = &key;
		if (bpf_map_lookup_elem(m->uplinks, &key, &up))
			continue;
		if (!if_indextoname(key, name))
			snprintf(name, sizeof(name), "if%u", key);
		if (up.gw_ifindex)
			port_name(m, up.gw_ifindex, gw);
		if (!json) {
			printf("%s ifindex %u gateway %s%s\n", name, key,
			       up.gw_ifindex ? gw : "pass",
			       up.flags & FP_UPLINK_F_TRUNK ? " trunk" : "");
			fp_vlans__walk(m, key, list_vlan, &l);
			continue;
		}
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "ifindex",
				       json_object_new_int64(key));
		json_object_object_add(
			o, "gateway_port",
			up.gw_ifindex ? json_object_new_string(gw) : NULL);
		l.arr = json_object_new_array();
		fp_vlans__walk(m, key, list_vlan, &l);
		json_object_object_add(o, "vlans", l.arr);
		json_object_array_add(arr, o);
	}
	if (json)
		fp_json__print(arr);
	json_object_put(arr);
}

/* ---- commands ------------------------------------------------------- */

/* The options of the table commands, each command's by its name. */
struct table_opts {
	struct {
		const char *peer_mac;
		bool no_return;
	} port;
	struct {
		const char *class;
	} exclude;
	struct {
		const char *gateway_port;
		const char *vlan;
		bool allow_spoofed;
	} uplink;
};

static int check_vlan(const char *ifname, const struct table_opts *opt)
{
	__u16 outer, inner;
	int err = fp_parse_vlan(opt->uplink.vlan, &outer, &inner);

	if (err) {
		pr_warn("uplink %s: --vlan %s: %s\n", ifname, opt->uplink.vlan,
			err == -ERANGE ?
				"a VLAN ID is 1 to 4094" :
				"expected C or S/C (a C-tag, or an S-tag and a C-tag)");
		return -1;
	}
	if (opt->uplink.allow_spoofed) {
		pr_warn("uplink %s: --allow-spoofed-sources is the uplink's, not a "
			"tagged circuit's (uplink add %s --allow-spoofed-sources)\n",
			ifname, ifname);
		return -1;
	}
	return 0;
}

/*
 * Malformed arguments are usage errors (exit 2), found before the maps
 * are opened; what is refused on well-formed ones is a runtime error (1).
 */
static int check_args(const char *cmd, int npos, const char **pos,
		      const struct table_opts *opt)
{
	bool add = !strcmp(pos[0], "add");
	char what[FP_PREFIX_STRLEN + 16];
	struct fp_prefix p;
	__u8 mac[6];

	if ((!add && strcmp(pos[0], "del")) || npos < 2)
		return 0;
	if (!strcmp(cmd, "route")) {
		if (parse_prefix_arg("route", pos[1], &p))
			return -1;
		snprintf(what, sizeof(what), "route %s: dev", pos[1]);
		if (add && npos >= 4 && fp_args__ifname(what, pos[3]))
			return -1;
		if (add && npos >= 6 &&
		    (fp_parse_mac(pos[5], mac) || (mac[0] & 1) ||
		     fp_mac_is_zero(mac))) {
			pr_warn("route %s: lladdr %s is not a unicast MAC address\n",
				pos[1], pos[5]);
			return -1;
		}
	} else if (!strcmp(cmd, "exclude")) {
		if (parse_prefix_arg("exclusion", pos[1], &p))
			return -1;
		if (add && opt->exclude.class &&
		    fp_class_from_name(opt->exclude.class) < 0) {
			pr_warn("exclusion %s: unknown class %s (peering, basic-lb, "
				"private-link, udr, other)\n",
				pos[1], opt->exclude.class);
			return -1;
		}
	} else if (!strcmp(cmd, "port")) {
		if (fp_args__ifname("port", pos[1]))
			return -1;
		if (add && opt->port.peer_mac &&
		    fp_parse_mac(opt->port.peer_mac, mac)) {
			pr_warn("port %s: --peer-mac %s is not a MAC address\n",
				pos[1], opt->port.peer_mac);
			return -1;
		}
	} else if (!strcmp(cmd, "uplink")) {
		if (fp_args__ifname("uplink", pos[1]))
			return -1;
		if (add && opt->uplink.gateway_port &&
		    fp_args__ifname("gateway port", opt->uplink.gateway_port))
			return -1;
		if (opt->uplink.vlan && check_vlan(pos[1], opt))
			return -1;
	}
	return 0;
}

typedef int (*table_fn)(struct fp_maps *m, const struct fp_opts *o, int npos,
			const char **pos, const struct table_opts *opt);

static int with_maps(const struct fp_opts *o, const char *cmd, int argc,
		     char **argv, const struct fp_option *options, table_fn fn)
{
	struct table_opts opt = { .port.peer_mac = NULL };
	const char *pos[FP_MAX_POS];
	struct fp_maps m;
	int npos, ret, err;

	npos = fp_args__parse(cmd, argc, argv, options, &opt, pos);
	if (npos < 1) {
		if (npos == 0)
			fp_usage_error("%s: add, del or list", cmd);
		return FP_EXIT_USAGE;
	}
	if (check_args(cmd, npos, pos, &opt))
		return FP_EXIT_USAGE;
	if (fp_env__enter(o))
		return FP_EXIT_ERR;
	/* list only reads: it never creates a pin set. */
	err = strcmp(pos[0], "list") ? fp_maps__open(&m, o) :
				       fp_maps__open_readonly(&m, o);
	if (err)
		return FP_EXIT_ERR;
	ret = fn(&m, o, npos, pos, &opt);
	fp_maps__close(&m);
	return ret;
}

static int need(const char *cmd, int npos, int want, const char *syntax)
{
	if (npos == want)
		return 0;
	fp_usage_error("%s %s", cmd, syntax);
	return -1;
}

/*
 * The return path on a newly registered port: fastpath_port attached,
 * then the port's flag that makes it act, so no frame sees half of it.
 * The port stays registered without it when that fails: the way in does
 * not depend on it, and one warning says why.
 */
void fp_port__return_on(struct fp_maps *m, const struct fp_opts *o,
			const char *ifname)
{
	__u32 ifindex = if_nametoindex(ifname);
	const char *how = NULL;
	int err;

	if (!ifindex)
		return;
	if (is_gateway_port(m, ifindex)) {
		pr_info("port %s: a gateway port: no return path\n", ifname);
		return;
	}
	err = fp_attach__port(o, (int)ifindex, &how);
	if (!err) {
		err = fp_port__set_return(m, ifindex, true);
		if (err)
			fp_attach__port_off(ifindex);
	}
	if (err)
		pr_warn("port %s: registered without the return path: %s%s\n",
			ifname,
			err == -EBUSY ? "another XDP program is attached" :
					strerror(-err),
			" (--no-return to go without it)");
	else if (strcmp(how, "native"))
		pr_info("port %s: return path attached in %s mode\n", ifname,
			how);
}

int fp_port__model_load(const struct fp_opts *o, struct fp_state *st)
{
	char path[4096];

	memset(st, 0, sizeof(*st));
	if (!o->state_dir)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/state.json", o->state_dir);
	return fp_state__load(path, st);
}

void fp_port__model_vnet(struct fp_maps *m, const struct fp_state *st,
			 const char *ifname)
{
	__u32 ifindex = if_nametoindex(ifname);
	const struct fp_plan_port *p;
	int err;

	if (!ifindex || !st)
		return;
	p = fp_plan__port(&st->applied, ifname);
	if (p && p->vnet) {
		err = fp_ports__bind(m, ifindex, p->vnet);
		if (err)
			pr_warn("port %s: cannot bind to the model's vnet %u: %s\n",
				ifname, p->vnet, strerror(-err));
	}
}

static int port_fn(struct fp_maps *m, const struct fp_opts *o, int npos,
		   const char **pos, const struct table_opts *opt)
{
	__u8 mac[6];

	if (!strcmp(pos[0], "list")) {
		if (need("port", npos, 1, "list"))
			return FP_EXIT_USAGE;
		list_ports(m, o->json);
		return FP_EXIT_OK;
	}
	if (!strcmp(pos[0], "add")) {
		struct fp_state st;

		if (need("port", npos, 2, "add IFACE [--peer-mac MAC]"))
			return FP_EXIT_USAGE;
		if (opt->port.peer_mac &&
		    fp_parse_mac(opt->port.peer_mac, mac)) {
			pr_warn("port %s: --peer-mac %s is not a MAC address\n",
				pos[1], opt->port.peer_mac);
			return FP_EXIT_USAGE;
		}
		if (fp_ifcmd__port_add(m, pos[1],
				       opt->port.peer_mac ? mac : NULL))
			return FP_EXIT_ERR;
		if (!fp_port__model_load(o, &st))
			fp_port__model_vnet(m, &st, pos[1]);
		fp_state__free(&st);
		if (!opt->port.no_return)
			fp_port__return_on(m, o, pos[1]);
		return FP_EXIT_OK;
	}
	if (!strcmp(pos[0], "del")) {
		__u32 ifindex = if_nametoindex(pos[1]);

		if (need("port", npos, 2, "del IFACE"))
			return FP_EXIT_USAGE;
		if (fp_ifcmd__port_del(m, pos[1]))
			return FP_EXIT_ERR;
		/* Unregistered, the program passed everything already. */
		if (ifindex)
			fp_attach__port_off(ifindex);
		return FP_EXIT_OK;
	}
	fp_usage_error("port: unknown subcommand %s", pos[0]);
	return FP_EXIT_USAGE;
}

int fp_cmd_port(const struct fp_opts *o, int argc, char **argv)
{
	static const struct fp_option options[] = {
		FP_OPT_VALUE("--peer-mac", struct table_opts, port.peer_mac),
		FP_OPT_FLAG("--no-return", struct table_opts, port.no_return),
		{ 0 },
	};

	return with_maps(o, "port", argc, argv, options, port_fn);
}

static int route_add(struct fp_maps *m, const char *prefix, const char *ifname,
		     const char *lladdr)
{
	struct fp_prefix p;
	struct fp_port port;
	__u8 mac[6];
	__u32 ifindex;
	int err;

	err = parse_prefix_arg("route", prefix, &p);
	if (err)
		return err;
	if (lladdr && fp_parse_mac(lladdr, mac)) {
		pr_warn("route %s: lladdr %s is not a MAC address\n", prefix,
			lladdr);
		return -EINVAL;
	}
	err = fp_port__by_name(m, ifname, &ifindex, &port);
	if (!err)
		err = fp_route__add(m, &p, ifindex, lladdr ? mac : NULL);
	if (err == -ENOENT || err == -ENODEV) {
		pr_warn("route %s: port %s is not registered (fastpath port add %s)\n",
			prefix, ifname, ifname);
		return -ENOENT;
	}
	if (err == -EINVAL) {
		pr_warn("route %s: %s\n", prefix,
			lladdr ?
				"lladdr must be a unicast MAC" :
				"no lladdr given and the port has no --peer-mac");
		return -EINVAL;
	}
	return err ? report(err, "route", prefix, &p, NULL) : 0;
}

/* route del / exclude del: what names the object, and fib.c's removal. */
static int prefix_del(struct fp_maps *m, const char *what, const char *prefix,
		      int (*del)(const struct fp_maps *,
				 const struct fp_prefix *))
{
	struct fp_prefix p;
	int err;

	err = parse_prefix_arg(what, prefix, &p);
	if (err)
		return err;
	err = del(m, &p);
	return err && err != -EINVAL && err != -EDOM ?
		       report(err, what, prefix, &p, NULL) :
		       err;
}

static int excl_add(struct fp_maps *m, const char *prefix, const char *class)
{
	enum fp_class c = FP_CLASS_OTHER;
	struct fp_prefix p;
	int err;

	if (class) {
		err = fp_class_from_name(class);
		if (err < 0) {
			pr_warn("exclusion %s: unknown class %s (peering, basic-lb, "
				"private-link, udr, other)\n",
				prefix, class);
			return err;
		}
		c = err;
	}
	err = parse_prefix_arg("exclusion", prefix, &p);
	if (err)
		return err;
	/* A UDR on the gateway subnet has no effect on fast-pathed traffic. */
	if (c == FP_CLASS_UDR)
		pr_warn("exclusion %s: class udr is recorded, but a UDR on the gateway "
			"subnet does not apply to fast-pathed traffic\n",
			prefix);
	err = fp_fib__exclude(m, &p, c);
	return err ? report(err, "exclusion", prefix, &p,
			    p.family == AF_INET ? FP_MAP_EXCL4 : FP_MAP_EXCL6) :
		     0;
}

static int route_fn(struct fp_maps *m, const struct fp_opts *o, int npos,
		    const char **pos, const struct table_opts *opt)
{
	if (!strcmp(pos[0], "list")) {
		if (need("route", npos, 1, "list"))
			return FP_EXIT_USAGE;
		list_routes(m, o->json);
		return FP_EXIT_OK;
	}
	if (!strcmp(pos[0], "add")) {
		if ((npos != 4 && npos != 6) || strcmp(pos[2], "dev") ||
		    (npos == 6 && strcmp(pos[4], "lladdr"))) {
			fp_usage_error(
				"route add PREFIX dev IFACE [lladdr MAC]");
			return FP_EXIT_USAGE;
		}
		return route_add(m, pos[1], pos[3], npos == 6 ? pos[5] : NULL) ?
			       FP_EXIT_ERR :
			       FP_EXIT_OK;
	}
	if (!strcmp(pos[0], "del")) {
		if (need("route", npos, 2, "del PREFIX"))
			return FP_EXIT_USAGE;
		return prefix_del(m, "route", pos[1], fp_fib__del) ?
			       FP_EXIT_ERR :
			       FP_EXIT_OK;
	}
	fp_usage_error("route: unknown subcommand %s", pos[0]);
	return FP_EXIT_USAGE;
}

int fp_cmd_route(const struct fp_opts *o, int argc, char **argv)
{
	return with_maps(o, "route", argc, argv, NULL, route_fn);
}

static int exclude_fn(struct fp_maps *m, const struct fp_opts *o, int npos,
		      const char **pos, const struct table_opts *opt)
{
	if (!strcmp(pos[0], "list")) {
		if (need("exclude", npos, 1, "list"))
			return FP_EXIT_USAGE;
		list_exclusions(m, o->json);
		return FP_EXIT_OK;
	}
	if (!strcmp(pos[0], "add")) {
		if (need("exclude", npos, 2, "add PREFIX [--class CLASS]"))
			return FP_EXIT_USAGE;
		return excl_add(m, pos[1], opt->exclude.class) ? FP_EXIT_ERR :
								 FP_EXIT_OK;
	}
	if (!strcmp(pos[0], "del")) {
		if (need("exclude", npos, 2, "del PREFIX"))
			return FP_EXIT_USAGE;
		return prefix_del(m, "exclusion", pos[1], fp_fib__unexclude) ?
			       FP_EXIT_ERR :
			       FP_EXIT_OK;
	}
	fp_usage_error("exclude: unknown subcommand %s", pos[0]);
	return FP_EXIT_USAGE;
}

int fp_cmd_exclude(const struct fp_opts *o, int argc, char **argv)
{
	static const struct fp_option options[] = {
		FP_OPT_VALUE("--class", struct table_opts, exclude.class),
		{ 0 },
	};

	return with_maps(o, "exclude", argc, argv, options, exclude_fn);
}

static int uplink_fn(struct fp_maps *m, const struct fp_opts *o, int npos,
		     const char **pos, const struct table_opts *opt)
{
	struct fp_uplink old;
	__u16 outer, inner;
	bool existed;

	if (!strcmp(pos[0], "list")) {
		if (need("uplink", npos, 1, "list"))
			return FP_EXIT_USAGE;
		if (opt->uplink.vlan) {
			fp_usage_error("uplink list: takes no --vlan");
			return FP_EXIT_USAGE;
		}
		list_uplinks(m, o->json);
		return FP_EXIT_OK;
	}
	/* check_args refused a malformed --vlan, and --vlan on list. */
	if (opt->uplink.vlan && npos == 2 &&
	    !fp_parse_vlan(opt->uplink.vlan, &outer, &inner)) {
		if (!strcmp(pos[0], "add"))
			return fp_ifcmd__vlan_set(m, pos[1], outer, inner,
						  opt->uplink.gateway_port) ?
				       FP_EXIT_ERR :
				       FP_EXIT_OK;
		if (!strcmp(pos[0], "del"))
			return fp_ifcmd__vlan_del(m, pos[1], outer, inner) ?
				       FP_EXIT_ERR :
				       FP_EXIT_OK;
	}
	if (!strcmp(pos[0], "add")) {
		if (need("uplink", npos, 2,
			 "add IFACE [--vlan [S/]C] [--gateway-port IFACE] "
			 "[--allow-spoofed-sources]"))
			return FP_EXIT_USAGE;
		return fp_ifcmd__uplink_set(m, pos[1], opt->uplink.gateway_port,
					    opt->uplink.allow_spoofed ?
						    FP_UPLINK_F_ALLOW_SPOOFED :
						    0,
					    &old, &existed) < 0 ?
			       FP_EXIT_ERR :
			       FP_EXIT_OK;
	}
	if (!strcmp(pos[0], "del")) {
		if (need("uplink", npos, 2, "del IFACE [--vlan [S/]C]"))
			return FP_EXIT_USAGE;
		return fp_ifcmd__uplink_del(m, pos[1]) ? FP_EXIT_ERR :
							 FP_EXIT_OK;
	}
	fp_usage_error("uplink: unknown subcommand %s", pos[0]);
	return FP_EXIT_USAGE;
}

int fp_cmd_uplink(const struct fp_opts *o, int argc, char **argv)
{
	static const struct fp_option options[] = {
		FP_OPT_VALUE("--gateway-port", struct table_opts,
			     uplink.gateway_port),
		FP_OPT_FLAG("--allow-spoofed-sources", struct table_opts,
			    uplink.allow_spoofed),
		FP_OPT_VALUE("--vlan", struct table_opts, uplink.vlan),
		{ 0 },
	};

	return with_maps(o, "uplink", argc, argv, options, uplink_fn);
}
