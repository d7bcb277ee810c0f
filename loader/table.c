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
#include "fp.h"
#include "ifinfo.h"
#include "log.h"
#include "parse.h"

static const char *map_error(int err)
{
	if (err == -E2BIG || err == -ENOSPC || err == -ENOMEM)
		return "map is full";
	return strerror(-err);
}

static void report_add(int err, const char *what, const char *prefix,
		       const char *map)
{
	if (err == -EEXIST)
		pr_warn("%s %s: already exists (delete it first)\n", what,
			prefix);
	else
		pr_warn("%s %s: %s: %s\n", what, prefix, map, map_error(err));
}

static int lookup_port(struct fp_maps *m, __u32 ifindex, struct fp_port *port)
{
	return bpf_map_lookup_elem(m->ports, &ifindex, port) ? -errno : 0;
}

/* A registered port by name, also when its interface is already gone. */
static int find_port(struct fp_maps *m, const char *ifname, __u32 *ifindex,
		     struct fp_port *port)
{
	__u32 key, *prev = NULL;

	while (!bpf_map_get_next_key(m->ports, prev, &key)) {
		if (!lookup_port(m, key, port) &&
		    !strncmp(port->name, ifname, sizeof(port->name))) {
			*ifindex = key;
			return 0;
		}
		prev = &key;
	}
	return -ENOENT;
}

/* Calls fn for every entry of an IPv4 and an IPv6 LPM map, in that order. */
typedef void (*prefix_fn)(const struct fp_prefix *p, const void *val,
			  void *ctx);

static void for_each_prefix(int fd4, int fd6, prefix_fn fn, void *ctx)
{
	int fds[2] = { fd4, fd6 };
	__u8 val[64];

	for (int f = 0; f < 2; f++) {
		struct fp_lpm6 key, *prev = NULL;
		struct fp_prefix p;

		while (!bpf_map_get_next_key(fds[f], prev, &key)) {
			prev = &key;
			if (bpf_map_lookup_elem(fds[f], &key, val))
				continue;
			if (f == 0)
				fp_prefix__from_lpm4((struct fp_lpm4 *)&key,
						     &p);
			else
				fp_prefix__from_lpm6(&key, &p);
			fn(&p, val, ctx);
		}
	}
}

struct port_use {
	__u32 ifindex;
	int n;
};

static void count_use(const struct fp_prefix *p, const void *val, void *ctx)
{
	const struct fp_route *rt = val;
	struct port_use *u = ctx;

	(void)p;
	if (rt->ifindex == u->ifindex)
		u->n++;
}

/* Number of routes (both families) that point at ifindex. */
static int routes_using(struct fp_maps *m, __u32 ifindex)
{
	struct port_use u = { .ifindex = ifindex };

	for_each_prefix(m->routes4, m->routes6, count_use, &u);
	return u.n;
}

static bool is_gateway_port(struct fp_maps *m, __u32 ifindex)
{
	__u32 key, *prev = NULL;
	struct fp_uplink up;

	while (!bpf_map_get_next_key(m->uplinks, prev, &key)) {
		if (!bpf_map_lookup_elem(m->uplinks, &key, &up) &&
		    up.gw_ifindex == ifindex)
			return true;
		prev = &key;
	}
	return false;
}

int fp_port__add(struct fp_maps *m, const char *ifname, const __u8 *peer_mac)
{
	struct fp_ifinfo info;
	struct fp_port port = { 0 };
	int err;

	err = fp_ifinfo__by_name(ifname, &info);
	if (err) {
		pr_warn("port %s: %s\n", ifname,
			err == -ENODEV ?
				"no such interface in this network namespace" :
				strerror(-err));
		return err;
	}
	if (!lookup_port(m, info.ifindex, &port)) {
		pr_warn("port %s: already registered (port del it first)\n",
			ifname);
		return -EEXIST;
	}
	memset(&port, 0, sizeof(port));
	memcpy(port.mac, info.mac, 6);
	if (peer_mac)
		memcpy(port.peer_mac, peer_mac, 6);
	port.mtu = info.mtu > 0xffff ? 0xffff : info.mtu;
	memcpy(port.name, info.name, sizeof(port.name));

	/* The devmap entry first: the program only redirects to known ports. */
	if (bpf_map_update_elem(m->tx, &info.ifindex, &info.ifindex, BPF_ANY)) {
		err = -errno;
		pr_warn("port %s: cannot add to %s: %s\n", ifname, FP_MAP_TX,
			err == -EINVAL ? "device cannot be a redirect target" :
					 map_error(err));
		return err;
	}
	if (bpf_map_update_elem(m->ports, &info.ifindex, &port, BPF_NOEXIST)) {
		err = -errno;
		pr_warn("port %s: cannot add to %s: %s\n", ifname, FP_MAP_PORTS,
			map_error(err));
		bpf_map_delete_elem(m->tx, &info.ifindex);
		return err;
	}
	return 0;
}

int fp_port__del(struct fp_maps *m, const char *ifname)
{
	struct fp_port port;
	__u32 ifindex;
	int n;

	if (find_port(m, ifname, &ifindex, &port)) {
		pr_warn("port %s: not registered\n", ifname);
		return -ENOENT;
	}
	n = routes_using(m, ifindex);
	if (n) {
		pr_warn("port %s: %d route(s) still use it (route del them first)\n",
			ifname, n);
		return -EBUSY;
	}
	if (is_gateway_port(m, ifindex)) {
		pr_warn("port %s: it is an uplink's gateway port (unload first)\n",
			ifname);
		return -EBUSY;
	}
	if (bpf_map_delete_elem(m->ports, &ifindex)) {
		pr_warn("port %s: %s\n", ifname, strerror(errno));
		return -errno;
	}
	bpf_map_delete_elem(m->tx, &ifindex);
	return 0;
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

/* The route maps and the exclusion maps: same keys, different values. */
struct prefix_table {
	const char *what; /* "route", "exclusion" */
	int fd4, fd6;
	const char *map4, *map6;
};

static struct prefix_table routes_of(const struct fp_maps *m)
{
	return (struct prefix_table){ "route", m->routes4, m->routes6,
				      FP_MAP_ROUTES4, FP_MAP_ROUTES6 };
}

static struct prefix_table exclusions_of(const struct fp_maps *m)
{
	return (struct prefix_table){ "exclusion", m->excl4, m->excl6,
				      FP_MAP_EXCL4, FP_MAP_EXCL6 };
}

/* Adds a new entry; an existing one is refused, never overwritten. */
static int prefix_table__add(const struct prefix_table *t, const char *prefix,
			     const struct fp_prefix *p, const void *val)
{
	bool v4 = p->family == AF_INET;
	struct fp_lpm6 key;

	if (v4)
		fp_prefix__to_lpm4(p, (struct fp_lpm4 *)&key);
	else
		fp_prefix__to_lpm6(p, &key);
	if (!bpf_map_update_elem(v4 ? t->fd4 : t->fd6, &key, val, BPF_NOEXIST))
		return 0;
	report_add(-errno, t->what, prefix, v4 ? t->map4 : t->map6);
	return -errno;
}

static int prefix_table__del(const struct prefix_table *t, const char *prefix)
{
	struct fp_prefix p;
	struct fp_lpm6 key;
	int err;

	err = parse_prefix_arg(t->what, prefix, &p);
	if (err)
		return err;
	if (p.family == AF_INET)
		fp_prefix__to_lpm4(&p, (struct fp_lpm4 *)&key);
	else
		fp_prefix__to_lpm6(&p, &key);
	if (!bpf_map_delete_elem(p.family == AF_INET ? t->fd4 : t->fd6, &key))
		return 0;
	err = -errno;
	pr_warn("%s %s: %s\n", t->what, prefix,
		err == -ENOENT ? "no such entry" : strerror(-err));
	return err;
}

int fp_route__add(struct fp_maps *m, const char *prefix, const char *ifname,
		  const char *lladdr)
{
	struct prefix_table t;
	struct fp_prefix p;
	struct fp_port port;
	struct fp_route rt;
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
	if (find_port(m, ifname, &ifindex, &port)) {
		pr_warn("route %s: port %s is not registered (fastpath port add %s)\n",
			prefix, ifname, ifname);
		return -ENOENT;
	}
	if (fp_route__build(&port, ifindex, lladdr ? mac : NULL,
			    FP_ORIGIN_STATIC, &rt)) {
		pr_warn("route %s: %s\n", prefix,
			lladdr ?
				"lladdr must be a unicast MAC" :
				"no lladdr given and the port has no --peer-mac");
		return -EINVAL;
	}
	t = routes_of(m);
	return prefix_table__add(&t, prefix, &p, &rt);
}

int fp_route__del(struct fp_maps *m, const char *prefix)
{
	struct prefix_table t = routes_of(m);

	return prefix_table__del(&t, prefix);
}

int fp_excl__add(struct fp_maps *m, const char *prefix, const char *class)
{
	struct fp_excl ex = { .class = FP_CLASS_OTHER };
	struct prefix_table t;
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
		ex.class = err;
	}
	err = parse_prefix_arg("exclusion", prefix, &p);
	if (err)
		return err;
	/* A UDR on the gateway subnet has no effect on fast-pathed traffic. */
	if (ex.class == FP_CLASS_UDR)
		pr_warn("exclusion %s: class udr is recorded, but a UDR on the gateway "
			"subnet does not apply to fast-pathed traffic\n",
			prefix);
	t = exclusions_of(m);
	return prefix_table__add(&t, prefix, &p, &ex);
}

int fp_excl__del(struct fp_maps *m, const char *prefix)
{
	struct prefix_table t = exclusions_of(m);

	return prefix_table__del(&t, prefix);
}

int fp_uplink__set(struct fp_maps *m, const char *ifname, const char *gw_port,
		   __u32 flags, struct fp_uplink *old, bool *existed)
{
	struct fp_uplink up = { .flags = flags };
	struct fp_ifinfo info;
	struct fp_port port;
	int err;

	err = fp_ifinfo__by_name(ifname, &info);
	if (err) {
		pr_warn("uplink %s: %s\n", ifname,
			err == -ENODEV ?
				"no such interface in this network namespace" :
				strerror(-err));
		return err;
	}
	if (gw_port) {
		if (find_port(m, gw_port, &up.gw_ifindex, &port)) {
			pr_warn("gateway port %s: not registered "
				"(fastpath port add %s --peer-mac MAC)\n",
				gw_port, gw_port);
			return -ENOENT;
		}
		if (fp_mac_is_zero(port.peer_mac)) {
			pr_warn("gateway port %s: has no --peer-mac\n",
				gw_port);
			return -EINVAL;
		}
		if (up.gw_ifindex == info.ifindex) {
			pr_warn("gateway port %s: is the uplink itself\n",
				gw_port);
			return -EINVAL;
		}
	}
	memcpy(up.mac, info.mac, sizeof(up.mac));
	*existed = !bpf_map_lookup_elem(m->uplinks, &info.ifindex, old);
	if (bpf_map_update_elem(m->uplinks, &info.ifindex, &up, BPF_ANY)) {
		err = -errno;
		pr_warn("uplink %s: %s\n", ifname, map_error(err));
		return err;
	}
	return (int)info.ifindex;
}

int fp_uplink__restore(struct fp_maps *m, __u32 ifindex,
		       const struct fp_uplink *old, bool existed)
{
	if (existed)
		return bpf_map_update_elem(m->uplinks, &ifindex, old, BPF_ANY);
	return bpf_map_delete_elem(m->uplinks, &ifindex);
}

int fp_uplink__del(struct fp_maps *m, const char *ifname)
{
	__u32 ifindex = if_nametoindex(ifname);

	if (!ifindex || bpf_map_delete_elem(m->uplinks, &ifindex)) {
		pr_warn("uplink %s: not a configured uplink\n", ifname);
		return -ENOENT;
	}
	return 0;
}

/* ---- listing ---------------------------------------------------------- */

static void print_json(json_object *j)
{
	printf("%s\n", json_object_to_json_string_ext(
			       j, JSON_C_TO_STRING_PLAIN |
					  JSON_C_TO_STRING_NOSLASHESCAPE));
}

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

static void show_route(const struct fp_prefix *p, const void *val, void *ctx)
{
	char pfx[FP_PREFIX_STRLEN], mac[FP_MAC_STRLEN], name[16];
	const struct fp_route *rt = val;
	struct lister *l = ctx;
	const char *origin = fp_origin_name(rt->origin);
	json_object *o;

	fp_format_prefix(p, pfx, sizeof(pfx));
	fp_format_mac(rt->dmac, mac, sizeof(mac));
	port_name(l->m, rt->ifindex, name);
	/* ifindex 0: a shadow, sending its prefix to the gateway */
	if (!l->json) {
		if (rt->ifindex)
			printf("%s dev %s lladdr %s origin %s\n", pfx, name,
			       mac, origin);
		else
			printf("%s gateway origin %s\n", pfx, origin);
		return;
	}
	o = json_object_new_object();
	json_add_str(o, "prefix", pfx);
	json_add_str(o, "port", rt->ifindex ? name : NULL);
	json_object_object_add(o, "ifindex",
			       json_object_new_int64(rt->ifindex));
	json_add_str(o, "lladdr", rt->ifindex ? mac : NULL);
	json_add_str(o, "origin", origin);
	json_object_array_add(l->arr, o);
}

static void show_exclusion(const struct fp_prefix *p, const void *val,
			   void *ctx)
{
	const struct fp_excl *ex = val;
	struct lister *l = ctx;
	char pfx[FP_PREFIX_STRLEN];
	json_object *o;

	fp_format_prefix(p, pfx, sizeof(pfx));
	if (!l->json) {
		printf("%s class %s\n", pfx, fp_class_name(ex->class));
		return;
	}
	o = json_object_new_object();
	json_add_str(o, "prefix", pfx);
	json_add_str(o, "class", fp_class_name(ex->class));
	json_object_array_add(l->arr, o);
}

static void list_prefixes(struct fp_maps *m, bool json,
			  const struct prefix_table *t, prefix_fn show)
{
	struct lister l = { m, json, json_object_new_array() };

	for_each_prefix(t->fd4, t->fd6, show, &l);
	if (json)
		print_json(l.arr);
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
			printf("%.15s ifindex %u mac %s peer-mac %s mtu %u\n",
			       port.name, key, mac,
			       fp_mac_is_zero(port.peer_mac) ? "-" : peer,
			       port.mtu);
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
		json_object_array_add(arr, o);
	}
	if (json)
		print_json(arr);
	json_object_put(arr);
}

static void list_uplinks(struct fp_maps *m, bool json)
{
	json_object *arr = json_object_new_array();
	char name[IF_NAMESIZE], gw[16];
	__u32 key, *prev = NULL;
	struct fp_uplink up;

	while (!bpf_map_get_next_key(m->uplinks, prev, &key)) {
		prev = &key;
		if (bpf_map_lookup_elem(m->uplinks, &key, &up))
			continue;
		if (!if_indextoname(key, name))
			snprintf(name, sizeof(name), "if%u", key);
		if (up.gw_ifindex)
			port_name(m, up.gw_ifindex, gw);
		if (!json) {
			printf("%s ifindex %u gateway %s\n", name, key,
			       up.gw_ifindex ? gw : "pass");
			continue;
		}
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "ifindex",
				       json_object_new_int64(key));
		json_object_object_add(
			o, "gateway_port",
			up.gw_ifindex ? json_object_new_string(gw) : NULL);
		json_object_array_add(arr, o);
	}
	if (json)
		print_json(arr);
	json_object_put(arr);
}

/* ---- commands ------------------------------------------------------- */

typedef int (*table_fn)(struct fp_maps *m, const struct fp_opts *o, int npos,
			const char **pos, struct fp_arg *args);

static int with_maps(const struct fp_opts *o, const char *cmd, int argc,
		     char **argv, struct fp_arg *args, table_fn fn)
{
	const char *pos[FP_MAX_POS];
	struct fp_maps m;
	int npos, ret;

	npos = fp_args__split(cmd, argc, argv, args, pos);
	if (npos < 1) {
		if (npos == 0)
			fp_usage_error("%s: add, del or list", cmd);
		return FP_EXIT_USAGE;
	}
	if (fp_env__enter(o) || fp_maps__open(&m, o))
		return FP_EXIT_ERR;
	ret = fn(&m, o, npos, pos, args);
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

static int port_fn(struct fp_maps *m, const struct fp_opts *o, int npos,
		   const char **pos, struct fp_arg *args)
{
	__u8 mac[6];

	if (!strcmp(pos[0], "list")) {
		if (need("port", npos, 1, "list"))
			return FP_EXIT_USAGE;
		list_ports(m, o->json);
		return FP_EXIT_OK;
	}
	if (!strcmp(pos[0], "add")) {
		if (need("port", npos, 2, "add IFACE [--peer-mac MAC]"))
			return FP_EXIT_USAGE;
		if (args[0].value && fp_parse_mac(args[0].value, mac)) {
			pr_warn("port %s: --peer-mac %s is not a MAC address\n",
				pos[1], args[0].value);
			return FP_EXIT_ERR;
		}
		return fp_port__add(m, pos[1], args[0].value ? mac : NULL) ?
			       FP_EXIT_ERR :
			       FP_EXIT_OK;
	}
	if (!strcmp(pos[0], "del")) {
		if (need("port", npos, 2, "del IFACE"))
			return FP_EXIT_USAGE;
		return fp_port__del(m, pos[1]) ? FP_EXIT_ERR : FP_EXIT_OK;
	}
	fp_usage_error("port: unknown subcommand %s", pos[0]);
	return FP_EXIT_USAGE;
}

int fp_cmd_port(const struct fp_opts *o, int argc, char **argv)
{
	struct fp_arg args[] = { { "--peer-mac", true }, { 0 } };

	return with_maps(o, "port", argc, argv, args, port_fn);
}

static int route_fn(struct fp_maps *m, const struct fp_opts *o, int npos,
		    const char **pos, struct fp_arg *args)
{
	struct prefix_table t = routes_of(m);

	if (!strcmp(pos[0], "list")) {
		if (need("route", npos, 1, "list"))
			return FP_EXIT_USAGE;
		list_prefixes(m, o->json, &t, show_route);
		return FP_EXIT_OK;
	}
	if (!strcmp(pos[0], "add")) {
		if ((npos != 4 && npos != 6) || strcmp(pos[2], "dev") ||
		    (npos == 6 && strcmp(pos[4], "lladdr"))) {
			fp_usage_error(
				"route add PREFIX dev IFACE [lladdr MAC]");
			return FP_EXIT_USAGE;
		}
		return fp_route__add(m, pos[1], pos[3],
				     npos == 6 ? pos[5] : NULL) ?
			       FP_EXIT_ERR :
			       FP_EXIT_OK;
	}
	if (!strcmp(pos[0], "del")) {
		if (need("route", npos, 2, "del PREFIX"))
			return FP_EXIT_USAGE;
		return fp_route__del(m, pos[1]) ? FP_EXIT_ERR : FP_EXIT_OK;
	}
	fp_usage_error("route: unknown subcommand %s", pos[0]);
	return FP_EXIT_USAGE;
}

int fp_cmd_route(const struct fp_opts *o, int argc, char **argv)
{
	return with_maps(o, "route", argc, argv, NULL, route_fn);
}

static int exclude_fn(struct fp_maps *m, const struct fp_opts *o, int npos,
		      const char **pos, struct fp_arg *args)
{
	struct prefix_table t = exclusions_of(m);

	if (!strcmp(pos[0], "list")) {
		if (need("exclude", npos, 1, "list"))
			return FP_EXIT_USAGE;
		list_prefixes(m, o->json, &t, show_exclusion);
		return FP_EXIT_OK;
	}
	if (!strcmp(pos[0], "add")) {
		if (need("exclude", npos, 2, "add PREFIX [--class CLASS]"))
			return FP_EXIT_USAGE;
		return fp_excl__add(m, pos[1], args[0].value) ? FP_EXIT_ERR :
								FP_EXIT_OK;
	}
	if (!strcmp(pos[0], "del")) {
		if (need("exclude", npos, 2, "del PREFIX"))
			return FP_EXIT_USAGE;
		return fp_excl__del(m, pos[1]) ? FP_EXIT_ERR : FP_EXIT_OK;
	}
	fp_usage_error("exclude: unknown subcommand %s", pos[0]);
	return FP_EXIT_USAGE;
}

int fp_cmd_exclude(const struct fp_opts *o, int argc, char **argv)
{
	struct fp_arg args[] = { { "--class", true }, { 0 } };

	return with_maps(o, "exclude", argc, argv, args, exclude_fn);
}

static int uplink_fn(struct fp_maps *m, const struct fp_opts *o, int npos,
		     const char **pos, struct fp_arg *args)
{
	struct fp_uplink old;
	bool existed;

	if (!strcmp(pos[0], "list")) {
		if (need("uplink", npos, 1, "list"))
			return FP_EXIT_USAGE;
		list_uplinks(m, o->json);
		return FP_EXIT_OK;
	}
	if (!strcmp(pos[0], "add")) {
		if (need("uplink", npos, 2,
			 "add IFACE [--gateway-port IFACE] [--allow-spoofed-sources]"))
			return FP_EXIT_USAGE;
		return fp_uplink__set(m, pos[1], args[0].value,
				      args[1].seen ? FP_UPLINK_F_ALLOW_SPOOFED :
						     0,
				      &old, &existed) < 0 ?
			       FP_EXIT_ERR :
			       FP_EXIT_OK;
	}
	if (!strcmp(pos[0], "del")) {
		if (need("uplink", npos, 2, "del IFACE"))
			return FP_EXIT_USAGE;
		return fp_uplink__del(m, pos[1]) ? FP_EXIT_ERR : FP_EXIT_OK;
	}
	fp_usage_error("uplink: unknown subcommand %s", pos[0]);
	return FP_EXIT_USAGE;
}

int fp_cmd_uplink(const struct fp_opts *o, int argc, char **argv)
{
	struct fp_arg args[] = { { "--gateway-port", true },
				 { "--allow-spoofed-sources", false },
				 { 0 } };

	return with_maps(o, "uplink", argc, argv, args, uplink_fn);
}
