// SPDX-License-Identifier: GPL-2.0
/* The three answers gathered for many addresses: see vrun.h. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <linux/rtnetlink.h>
#include <netlink/cache.h>
#include <netlink/route/neighbour.h>
#include <linux/neighbour.h>

#include "log.h"
#include "state.h"
#include "uplink.h"
#include "vrun.h"
#include "xlate.h"

static int port_cmp(const void *a, const void *b)
{
	__u32 x = ((const struct fp_vport *)a)->ifindex;
	__u32 y = ((const struct fp_vport *)b)->ifindex;

	return x < y ? -1 : x > y;
}

static bool vm_port(__u32 ifindex, __u8 peer_mac[6], void *ctx)
{
	struct fp_vctx *v = ctx;
	struct fp_vport key = { .ifindex = ifindex };
	const struct fp_vport *p =
		bsearch(&key, v->ports, v->nports, sizeof(key), port_cmp);

	if (p)
		memcpy(peer_mac, p->peer_mac, 6);
	return p != NULL;
}

int fp_vctx__open(struct fp_vctx *v, const struct fp_opts *o,
		  const struct fp_maps *m, const char *uplink, __u32 table,
		  struct nl_cache *neighs, const char *cmd)
{
	int err;

	memset(v, 0, sizeof(*v));
	v->o = o;
	v->m = m;
	v->uplink = uplink;
	v->table = table;
	v->pr.prog_fd = -1;
	err = fp_prober__open(&v->pr, m, uplink, cmd);
	if (err)
		return err;
	err = fp_routeget__open(&v->rg, v->pr.ifindex, table, vm_port, v, cmd);
	if (err) {
		fp_prober__close(&v->pr);
		return err;
	}
	if (neighs) {
		v->rg.neighs = neighs;
		v->borrowed_neighs = true;
	}
	return 0;
}

void fp_vctx__close(struct fp_vctx *v)
{
	if (v->borrowed_neighs)
		v->rg.neighs = NULL;
	fp_routeget__close(&v->rg);
	fp_prober__close(&v->pr);
	if (v->have_plan)
		fp_plan__free(&v->plan);
	v->have_plan = false;
	free(v->ports);
	v->ports = NULL;
}

/* A gateway port (an uplink's, a tagged circuit's) is no VM port. */
struct gw_list {
	__u32 *v;
	size_t n, cap;
};

static int gw_add(struct gw_list *g, __u32 ifindex)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 16;
		__u32 *nv = realloc(g->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		g->v = nv;
		g->cap = cap;
	}
	g->v[g->n++] = ifindex;
	return 0;
}

static int gw_of_vlan(const struct fp_vlan_key *k, const struct fp_vlan *r,
		      void *ctx)
{
	(void)k;
	return r->up.gw_ifindex ? gw_add(ctx, r->up.gw_ifindex) : 0;
}

static bool in_gw(const struct gw_list *g, __u32 ifindex)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->v[i] == ifindex)
			return true;
	return false;
}

static int read_ports(struct fp_vctx *v)
{
	const struct fp_maps *m = v->m;
	struct gw_list gw = { 0 };
	__u32 key, *prev = NULL;
	struct fp_uplink up;
	struct fp_port port;
	size_t cap = 0;
	int err = 0;

	while (!err && !bpf_map_get_next_key(m->uplinks, prev, &key)) {
		prev = &key;
		err = gw_add(&gw, key);
		if (!err && !bpf_map_lookup_elem(m->uplinks, &key, &up) &&
		    up.gw_ifindex)
			err = gw_add(&gw, up.gw_ifindex);
	}
	if (!err && m->vlans >= 0)
		err = fp_vlans__walk(m, 0, gw_of_vlan, &gw);
	v->nports = 0;
	prev = NULL;
	while (!err && !bpf_map_get_next_key(m->ports, prev, &key)) {
		prev = &key;
		if (in_gw(&gw, key) ||
		    bpf_map_lookup_elem(m->ports, &key, &port))
			continue;
		if (v->nports == cap) {
			struct fp_vport *np;

			cap = cap ? 2 * cap : 64;
			np = realloc(v->ports, cap * sizeof(*np));
			if (!np) {
				err = -ENOMEM;
				break;
			}
			v->ports = np;
		}
		v->ports[v->nports].ifindex = key;
		memcpy(v->ports[v->nports++].peer_mac, port.peer_mac, 6);
	}
	free(gw.v);
	if (!err)
		qsort(v->ports, v->nports, sizeof(*v->ports), port_cmp);
	return err;
}

static void read_model(struct fp_vctx *v)
{
	struct fp_uplink up = { 0 };
	struct fp_circuit c = { 0 };
	struct fp_state st;
	char path[4096];
	__u32 idx;

	if (v->have_plan)
		fp_plan__free(&v->plan);
	v->have_plan = false;
	v->circuit = 0;
	v->circuit_full = false;
	if (bpf_map_lookup_elem(v->m->uplinks, &v->pr.ifindex, &up) ||
	    !up.circuit || up.circuit > FP_MAX_CIRCUITS)
		return;
	v->circuit = up.circuit;
	idx = up.circuit - 1;
	if (!bpf_map_lookup_elem(v->m->circuits, &idx, &c))
		v->circuit_full = c.budget && c.used >= c.budget;
	snprintf(path, sizeof(path), "%s/state.json", v->o->state_dir);
	/* No readable state: no model to hold the maps to. */
	if (fp_state__load(path, &st))
		return;
	v->plan = st.applied;
	memset(&st.applied, 0, sizeof(st.applied));
	v->have_plan = true;
	fp_state__free(&st);
}

int fp_vctx__refresh(struct fp_vctx *v)
{
	int err = read_ports(v);

	if (!err && !v->borrowed_neighs)
		err = fp_routeget__neighbours(&v->rg);
	if (!err)
		read_model(v);
	return err;
}

int fp_vctx__check(struct fp_vctx *v, struct fp_vresult *r, size_t n)
{
	struct fp_prefix *dst;
	struct fp_vkernel *kern;
	int err;

	if (!n)
		return 0;
	dst = calloc(n, sizeof(*dst));
	kern = calloc(n, sizeof(*kern));
	if (!dst || !kern) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct fp_pktspec spec = { .smac = { 0x02, 0, 0, 0, 0, 0x01 },
					   .ttl = 64,
					   .payload = 18 };

		dst[i] = r[i].addr;
		spec.dst = r[i].addr;
		spec.src = *fp_routeget__source(&v->rg, r[i].addr.family);
		memset(&r[i].prog, 0, sizeof(r[i].prog));
		r[i].prog_err = fp_prober__run(&v->pr, &spec, &r[i].prog);
	}
	err = fp_routeget__ask(&v->rg, dst, kern, n);
	if (err)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct fp_vprog p = {
			.reason = r[i].prog.reason,
			.dropped = r[i].prog.action == XDP_DROP ||
				   r[i].prog.action == XDP_ABORTED,
			.ifindex = r[i].prog.ifindex,
		};

		memcpy(p.dmac, r[i].prog.dmac, 6);
		r[i].kern = kern[i];
		fp_verify__model(v->have_plan ? &v->plan : NULL, v->circuit,
				 &r[i].addr, v->circuit_full, &r[i].model);
		r[i].kind = r[i].prog_err ? FP_V_AGREE :
					    fp_verify__classify(&p, &r[i].kern,
								&r[i].model);
	}
out:
	free(dst);
	free(kern);
	return err;
}

/* ---- output ----------------------------------------------------------- */

static const char *ifname(__u32 ifindex, char *buf)
{
	if (!ifindex || !if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "if%u", ifindex);
	return buf;
}

static const char *table_name(__u32 table, char *buf, size_t n)
{
	if (table == RT_TABLE_MAIN)
		return "main";
	if (table == RT_TABLE_LOCAL)
		return "local";
	snprintf(buf, n, "%u", table);
	return buf;
}

static const char *kern_kind(enum fp_vkernel_kind k)
{
	static const char *const names[] = {
		[FP_VK_UNKNOWN] = "unknown",  [FP_VK_PORT] = "port",
		[FP_VK_OTHER] = "other",      [FP_VK_LOCAL] = "local",
		[FP_VK_NOROUTE] = "no_route",
	};

	return (unsigned int)k < sizeof(names) / sizeof(names[0]) ? names[k] :
								    "unknown";
}

static void gw_text(const struct fp_vresult *r, char *buf, size_t n)
{
	struct fp_prefix g = { .family = r->addr.family };

	buf[0] = '\0';
	if (!r->kern.has_gw)
		return;
	memcpy(g.addr, r->kern.gw, sizeof(g.addr));
	g.len = g.family == AF_INET ? 32 : 128;
	fp_format_prefix(&g, buf, n);
	/* A host prefix prints without its length. */
	if (strchr(buf, '/'))
		*strchr(buf, '/') = '\0';
}

static void prog_text(const struct fp_vresult *r, char *buf, size_t n)
{
	char name[IF_NAMESIZE], mac[FP_MAC_STRLEN];

	if (r->prog_err) {
		snprintf(buf, n, "no answer (%s)", strerror(-r->prog_err));
		return;
	}
	if (r->prog.reason == FP_R_FASTPATH)
		snprintf(buf, n, "fastpath -> %s %s",
			 ifname(r->prog.ifindex, name),
			 fp_format_mac(r->prog.dmac, mac, sizeof(mac)));
	else
		snprintf(buf, n, "%s (%s)", fp_probe__verdict(&r->prog, false),
			 fp_reason_name(r->prog.reason));
}

static void kern_text(const struct fp_vresult *r, char *buf, size_t n)
{
	char name[IF_NAMESIZE], mac[FP_MAC_STRLEN], gw[FP_PREFIX_STRLEN],
		tbl[16];
	const struct fp_vkernel *k = &r->kern;

	gw_text(r, gw, sizeof(gw));
	switch (k->kind) {
	case FP_VK_PORT:
	case FP_VK_OTHER:
		snprintf(buf, n, "%s %s%s%s %s (table %s)",
			 k->kind == FP_VK_PORT ? "port" : "dev",
			 ifname(k->oif, name), gw[0] ? " via " : "", gw,
			 k->mac_known ?
				 fp_format_mac(k->mac, mac, sizeof(mac)) :
				 "no MAC",
			 table_name(k->table, tbl, sizeof(tbl)));
		break;
	case FP_VK_LOCAL:
		snprintf(buf, n, "local");
		break;
	case FP_VK_NOROUTE:
		snprintf(buf, n, "no route (%s)",
			 k->err ? strerror(-k->err) : "unreachable");
		break;
	default:
		snprintf(buf, n, "unknown (%s)",
			 k->err ? strerror(-k->err) :
				  "answered by a table sync does not follow");
		break;
	}
}

static void model_text(const struct fp_vresult *r, char *buf, size_t n)
{
	const struct fp_vmodel *m = &r->model;

	if (!m->known)
		snprintf(buf, n, "none");
	else if (m->reason == FP_R_EXCLUDED)
		snprintf(buf, n, "gateway (excluded: %s)",
			 fp_class_name(m->xclass));
	else if (m->reason == FP_R_CONN_OFF)
		snprintf(buf, n, "gateway (conn_off: vnet %u)", m->vnet);
	else
		snprintf(buf, n, "fast%s%s", m->vnet ? " (vnet)" : "",
			 m->budget_full ? ", budget full" : "");
}

void fp_vresult__print(const struct fp_vctx *v, const struct fp_vresult *r,
		       FILE *f)
{
	char a[FP_PREFIX_STRLEN], from[FP_PREFIX_STRLEN], p[96], k[160], m[64];

	(void)v;
	fp_format_prefix(&r->addr, a, sizeof(a));
	if (strchr(a, '/'))
		*strchr(a, '/') = '\0';
	fp_format_prefix(&r->from, from, sizeof(from));
	prog_text(r, p, sizeof(p));
	kern_text(r, k, sizeof(k));
	model_text(r, m, sizeof(m));
	fprintf(f, "%s %s (%s %s): program %s; kernel %s; model %s\n",
		fp_verify__kind_name(r->kind), a, r->what, from, p, k, m);
}

static json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

json_object *fp_vresult__json(const struct fp_vctx *v,
			      const struct fp_vresult *r)
{
	json_object *j = json_object_new_object(), *x;
	char a[FP_PREFIX_STRLEN], name[IF_NAMESIZE], mac[FP_MAC_STRLEN],
		gw[FP_PREFIX_STRLEN], tbl[16];

	(void)v;
	fp_format_prefix(&r->addr, a, sizeof(a));
	if (strchr(a, '/'))
		*strchr(a, '/') = '\0';
	json_object_object_add(j, "address", json_object_new_string(a));
	json_object_object_add(
		j, "kind",
		json_object_new_string(fp_verify__kind_name(r->kind)));
	json_object_object_add(j, "critical",
			       json_object_new_boolean(r->kind ==
						       FP_V_WRONG_DELIVERY));
	json_object_object_add(j, "source", json_object_new_string(r->what));
	fp_format_prefix(&r->from, a, sizeof(a));
	json_object_object_add(j, "prefix", json_object_new_string(a));

	x = json_object_new_object();
	json_object_object_add(
		x, "verdict",
		str_or_null(r->prog_err ? NULL :
					  fp_probe__verdict(&r->prog, false)));
	json_object_object_add(
		x, "reason",
		str_or_null(r->prog_err ? NULL :
					  fp_reason_name(r->prog.reason)));
	json_object_object_add(
		x, "port",
		str_or_null(r->prog.ifindex && !r->prog_err ?
				    ifname(r->prog.ifindex, name) :
				    NULL));
	json_object_object_add(
		x, "dmac",
		str_or_null(
			r->prog.reason == FP_R_FASTPATH && !r->prog_err ?
				fp_format_mac(r->prog.dmac, mac, sizeof(mac)) :
				NULL));
	json_object_object_add(j, "program", x);

	x = json_object_new_object();
	json_object_object_add(x, "kind",
			       json_object_new_string(kern_kind(r->kern.kind)));
	json_object_object_add(
		x, "dev",
		str_or_null(r->kern.oif ? ifname(r->kern.oif, name) : NULL));
	gw_text(r, gw, sizeof(gw));
	json_object_object_add(x, "via", str_or_null(gw[0] ? gw : NULL));
	json_object_object_add(
		x, "lladdr",
		str_or_null(r->kern.mac_known ? fp_format_mac(r->kern.mac, mac,
							      sizeof(mac)) :
						NULL));
	json_object_object_add(
		x, "table",
		str_or_null(r->kern.table ? table_name(r->kern.table, tbl,
						       sizeof(tbl)) :
					    NULL));
	json_object_object_add(x, "error", json_object_new_int(-r->kern.err));
	json_object_object_add(j, "kernel", x);

	x = json_object_new_object();
	json_object_object_add(x, "known",
			       json_object_new_boolean(r->model.known));
	json_object_object_add(
		x, "reason",
		str_or_null(r->model.known ? fp_reason_name(r->model.reason) :
					     NULL));
	json_object_object_add(
		x, "class",
		str_or_null(r->model.known && r->model.reason == FP_R_EXCLUDED ?
				    fp_class_name(r->model.xclass) :
				    NULL));
	json_object_object_add(x, "vnet", json_object_new_int64(r->model.vnet));
	json_object_object_add(x, "budget_full",
			       json_object_new_boolean(r->model.budget_full));
	json_object_object_add(j, "model", x);
	return j;
}

int fp_vctx__neighbours(const struct fp_vctx *v,
			int (*fn)(const struct fp_prefix *a, void *ctx),
			void *ctx)
{
	struct nl_object *obj;
	int err = 0;

	for (obj = v->rg.neighs ? nl_cache_get_first(v->rg.neighs) : NULL;
	     obj && !err; obj = nl_cache_get_next(obj)) {
		struct rtnl_neigh *n = (struct rtnl_neigh *)obj;
		struct nl_addr *dst = rtnl_neigh_get_dst(n);
		struct fp_vport key = { .ifindex = rtnl_neigh_get_ifindex(n) };
		struct fp_prefix a = { .family = rtnl_neigh_get_family(n) };

		if ((a.family != AF_INET && a.family != AF_INET6) || !dst ||
		    nl_addr_get_len(dst) != (a.family == AF_INET ? 4U : 16U) ||
		    !(rtnl_neigh_get_state(n) & FP_NUD_USABLE) ||
		    !bsearch(&key, v->ports, v->nports, sizeof(key), port_cmp))
			continue;
		memcpy(a.addr, nl_addr_get_binary_addr(dst),
		       nl_addr_get_len(dst));
		a.len = a.family == AF_INET ? 32 : 128;
		/* Link-local addresses are the link's, never routed. */
		if (a.family == AF_INET6 && a.addr[0] == 0xfe &&
		    (a.addr[1] & 0xc0) == 0x80)
			continue;
		err = fn(&a, ctx);
	}
	return err;
}
