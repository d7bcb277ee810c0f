// SPDX-License-Identifier: GPL-2.0
/*
 * The ExpressRoute rules, each one a finding with the line that breaks
 * it, and the plan for a config that keeps them all.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model.h"
#include "prefix.h"
#include "vec.h"

unsigned int fp_model__vnet_limit(__u32 mbps, bool premium)
{
	static const struct {
		__u32 mbps;
		unsigned int vnets;
	} premium_limits[] = { { 50, 20 },     { 100, 25 },    { 200, 25 },
			       { 500, 40 },    { 1000, 50 },   { 2000, 60 },
			       { 5000, 75 },   { 10000, 100 }, { 40000, 100 },
			       { 100000, 100 } };

	if (!premium)
		return 10;
	for (size_t i = 0;
	     i < sizeof(premium_limits) / sizeof(premium_limits[0]); i++)
		if (premium_limits[i].mbps == mbps)
			return premium_limits[i].vnets;
	return 10;
}

/*
 * The circuits one VNet's gateway links, by SKU: "About ExpressRoute
 * virtual network gateways", Feature support by gateway SKU
 * (https://learn.microsoft.com/azure/expressroute/expressroute-about-virtual-network-gateways),
 * and "ExpressRoute limits" (https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#expressroute-limits):
 * Standard/ErGw1Az 4, HighPerformance/ErGw2Az 8, UltraPerformance/ErGw3Az
 * 16; ErGwScale 4 with 1 scale unit, 8 with 2, 16 with 10 or more. A
 * gateway without a (valid) SKU is its own finding: the most, not two.
 */
unsigned int fp_model__circuit_limit(const struct fp_cfg_gateway *g)
{
	switch (g->sku) {
	case FP_SKU_STANDARD:
	case FP_SKU_ERGW1AZ:
		return 4;
	case FP_SKU_HIGH_PERFORMANCE:
	case FP_SKU_ERGW2AZ:
		return 8;
	case FP_SKU_ERGWSCALE:
		if (!g->scale_units || g->scale_units >= 10)
			return FP_VNET_LINKS_MAX;
		return g->scale_units >= 2 ? 8 : 4;
	default:
		return FP_VNET_LINKS_MAX;
	}
}

static __u32 port_speed(const struct fp_cfg_circuit *c)
{
	if (c->port_speed)
		return c->port_speed;
	return c->bandwidth > 10000 ? 100000 : 10000;
}

/*
 * The circuit sizes a Direct port carries: "About ExpressRoute Direct",
 * Circuit sizes (https://learn.microsoft.com/azure/expressroute/expressroute-erdirect-about):
 * 1, 2, 5 and 10 Gbps on a 10G port; 5, 10, 40 and 100 Gbps on 100G.
 */
bool fp_model__direct_size(__u32 port_mbps, __u32 mbps)
{
	static const __u32 on10g[] = { 1000, 2000, 5000, 10000 },
			   on100g[] = { 5000, 10000, 40000, 100000 };
	const __u32 *sizes = port_mbps == 100000 ? on100g : on10g;

	for (size_t i = 0; i < 4; i++)
		if (sizes[i] == mbps)
			return true;
	return false;
}

/* The FastPath IP limit of a Direct port of port_mbps. */
static __u32 direct_budget(__u32 port_mbps)
{
	return port_mbps == 100000 ? FP_BUDGET_DIRECT_100G :
				     FP_BUDGET_DIRECT_10G;
}

__u32 fp_model__port_budget(const struct fp_cfg_circuit *c)
{
	if (c->type == FP_CIRCUIT_PROVIDER)
		return FP_BUDGET_PROVIDER;
	return direct_budget(port_speed(c));
}

/* The [port] circuit k rides on; NULL when it is untagged or names none. */
static const struct fp_cfg_port *port_of(const struct fp_config *cfg,
					 const struct fp_cfg_circuit *k)
{
	return k->port[0] ? fp_config__port(cfg, k->port) : NULL;
}

/* The speed of the Direct port k is on: its [port]'s, else its own. */
static __u32 circuit_port_speed(const struct fp_config *cfg,
				const struct fp_cfg_circuit *k)
{
	const struct fp_cfg_port *p = port_of(cfg, k);

	return p && p->speed ? p->speed : port_speed(k);
}

/*
 * A port's FastPath IP limit as its circuits share it: the ip-budgets
 * they give, summed, and how many give none (they share the rest).
 */
struct share {
	__u32 limit;
	__u64 given;
	unsigned int rest;
};

static struct share port_share(const struct fp_config *cfg,
			       const struct fp_cfg_port *p)
{
	struct share s = { .limit = direct_budget(p->speed) };

	for (size_t i = 0; i < cfg->ncircuits; i++) {
		const struct fp_cfg_circuit *k = &cfg->circuits[i];

		if (strcmp(k->port, p->name))
			continue;
		if (k->ip_budget)
			s.given += k->ip_budget;
		else
			s.rest++;
	}
	return s;
}

/*
 * The fast-path IP budget the plan gives circuit k. The data plane counts
 * budgets per circuit: on a port, what the ip-budgets leave is shared
 * equally (rounded down), so that the circuits' budgets never add up to
 * more than the port's limit.
 */
static __u32 circuit_budget(const struct fp_config *cfg,
			    const struct fp_cfg_circuit *k)
{
	const struct fp_cfg_port *p = port_of(cfg, k);
	struct share s;

	if (k->ip_budget)
		return k->ip_budget;
	if (!p)
		return fp_model__port_budget(k);
	s = port_share(cfg, p);
	/* s.rest counts k itself. */
	return s.given < s.limit && s.rest ? (s.limit - s.given) / s.rest : 0;
}

__u8 fp_model__xallow(enum fp_profile profile)
{
	/*
	 * 2020: peering, basic-lb and private-link go to the gateway and
	 * UDRs on the gateway subnet are ignored. direct-2025: peering, UDR
	 * and Private Link are accelerated; load balancers and the rest of
	 * what sits in spokes still go to the gateway. Private Link only in
	 * the VNet the circuit connects, not in a peered spoke ("About
	 * ExpressRoute FastPath", https://learn.microsoft.com/azure/expressroute/about-fastpath:
	 * "FastPath only supports connectivity to Private Endpoints/Link
	 * services deployed to the Hub Virtual Network"): the program drops
	 * the class for a PEERED link (xallowed() in bpf/fastpath.bpf.c).
	 */
	if (profile == FP_PROFILE_DIRECT_2025)
		return 1U << FP_CLASS_PEERING | 1U << FP_CLASS_PRIVATE_LINK |
		       1U << FP_CLASS_UDR;
	return 1U << FP_CLASS_UDR;
}

/* ---- small containers ---------------------------------------------------- */

#define PUSH(arr, n) \
	((__typeof__(arr))fp_vec__push(&(arr), &(n), sizeof(*(arr))))

void fp_plan__free(struct fp_plan *p)
{
	free(p->circuits);
	free(p->spaces);
	free(p->conns);
	free(p->excls);
	free(p->ports);
	*p = (struct fp_plan){ .circuits = NULL };
}

static int dup_array(void *dstp, const void *src, size_t n, size_t sz)
{
	void **dst = dstp;

	*dst = NULL;
	if (!n)
		return 0;
	*dst = malloc(n * sz);
	if (!*dst)
		return -ENOMEM;
	memcpy(*dst, src, n * sz);
	return 0;
}

int fp_plan__copy(struct fp_plan *dst, const struct fp_plan *src)
{
	memset(dst, 0, sizeof(*dst));
	if (dup_array(&dst->circuits, src->circuits, src->ncircuits,
		      sizeof(*src->circuits)) ||
	    dup_array(&dst->spaces, src->spaces, src->nspaces,
		      sizeof(*src->spaces)) ||
	    dup_array(&dst->conns, src->conns, src->nconns,
		      sizeof(*src->conns)) ||
	    dup_array(&dst->excls, src->excls, src->nexcls,
		      sizeof(*src->excls)) ||
	    dup_array(&dst->ports, src->ports, src->nports,
		      sizeof(*src->ports))) {
		fp_plan__free(dst);
		return -ENOMEM;
	}
	dst->ncircuits = src->ncircuits;
	dst->nspaces = src->nspaces;
	dst->nconns = src->nconns;
	dst->nexcls = src->nexcls;
	dst->nports = src->nports;
	return 0;
}

void fp_state__free(struct fp_state *st)
{
	free(st->auths);
	free(st->conns);
	free(st->vnet_ids);
	free(st->circuit_ids);
	fp_plan__free(&st->applied);
	memset(st, 0, sizeof(*st));
}

int fp_state__copy(struct fp_state *dst, const struct fp_state *src)
{
	memset(dst, 0, sizeof(*dst));
	if (dup_array(&dst->auths, src->auths, src->nauths,
		      sizeof(*src->auths)) ||
	    dup_array(&dst->conns, src->conns, src->nconns,
		      sizeof(*src->conns)) ||
	    dup_array(&dst->vnet_ids, src->vnet_ids, src->nvnet_ids,
		      sizeof(*src->vnet_ids)) ||
	    dup_array(&dst->circuit_ids, src->circuit_ids, src->ncircuit_ids,
		      sizeof(*src->circuit_ids)) ||
	    fp_plan__copy(&dst->applied, &src->applied)) {
		fp_state__free(dst);
		return -ENOMEM;
	}
	dst->nauths = src->nauths;
	dst->nconns = src->nconns;
	dst->nvnet_ids = src->nvnet_ids;
	dst->ncircuit_ids = src->ncircuit_ids;
	return 0;
}

const struct fp_auth *fp_state__auth_by_key(const struct fp_state *st,
					    const char *key)
{
	for (size_t i = 0; i < st->nauths; i++)
		if (!strcmp(st->auths[i].key, key))
			return &st->auths[i];
	return NULL;
}

const struct fp_conn_rec *fp_state__conn(const struct fp_state *st,
					 const char *name)
{
	for (size_t i = 0; i < st->nconns; i++)
		if (!strcmp(st->conns[i].name, name))
			return &st->conns[i];
	return NULL;
}

/* The id of name, kept from earlier applies, or the lowest free one. */
static int assign_id(struct fp_id **ids, size_t *n, const char *name, __u32 max,
		     const char *const *live, size_t nlive, __u32 *out)
{
	struct fp_id *e;

	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*ids)[i].name, name)) {
			*out = (*ids)[i].id;
			return 0;
		}
	for (__u32 id = 1; id <= max; id++) {
		bool used = false;

		/* An id is free once no live object holds it. */
		for (size_t i = 0; i < *n && !used; i++) {
			if ((*ids)[i].id != id)
				continue;
			for (size_t j = 0; j < nlive && !used; j++)
				used = !strcmp(live[j], (*ids)[i].name);
		}
		if (used)
			continue;
		for (size_t i = 0; i < *n; i++)
			if ((*ids)[i].id == id)
				(*ids)[i].id = 0; /* forgotten */
		e = PUSH(*ids, *n);
		if (!e)
			return -ENOMEM;
		snprintf(e->name, sizeof(e->name), "%s", name);
		e->id = id;
		*out = id;
		return 0;
	}
	return -ENOSPC;
}

/* Drops ids no live object holds any more. */
static void prune_ids(struct fp_id *ids, size_t *n, const char *const *live,
		      size_t nlive)
{
	size_t k = 0;

	for (size_t i = 0; i < *n; i++) {
		bool keep = false;

		for (size_t j = 0; j < nlive && !keep; j++)
			keep = ids[i].id && !strcmp(live[j], ids[i].name);
		if (keep)
			ids[k++] = ids[i];
	}
	*n = k;
}

/* ---- rules --------------------------------------------------------------- */

/* One holds the other: they share an address. */
static bool overlaps(const struct fp_prefix *a, const struct fp_prefix *b)
{
	return fp_prefix__within(a, b) || fp_prefix__within(b, a);
}

static bool fastpath_sku(const struct fp_cfg_gateway *g)
{
	return g->sku == FP_SKU_ULTRA_PERFORMANCE || g->sku == FP_SKU_ERGW3AZ ||
	       (g->sku == FP_SKU_ERGWSCALE && g->scale_units >= 10);
}

static bool same_region(const char *a, const char *b)
{
	return !*a || !*b || !strcasecmp(a, b);
}

struct ctx {
	const struct fp_config *cfg;
	const struct fp_state *st;
	const struct fp_world *w;
	struct fp_diag *d;
};

#define ERR(c, line, ...) fp_diag__add((c)->d, true, (line), __VA_ARGS__)
#define WARN(c, line, ...) fp_diag__add((c)->d, false, (line), __VA_ARGS__)

static bool offline(const struct ctx *c)
{
	return c->w && c->w->offline;
}

/*
 * Interface name of what (a prefix such as "circuit c1: uplink") exists:
 * else an error on line; offline, a note that it was not checked.
 */
static void check_iface(const struct ctx *c, int line, const char *what,
			const char *name)
{
	if (offline(c)) {
		fp_diag__note(c->d, line,
			      "%s %s: not checked offline (an interface of "
			      "the host)",
			      what, name);
		return;
	}
	if (c->w && c->w->iface_exists && !c->w->iface_exists(name, c->w->ctx))
		ERR(c, line, "%s %s: no such interface", what, name);
}

static void check_gateway(const struct ctx *c)
{
	const struct fp_cfg_gateway *g = &c->cfg->gateway;

	if (!g->line) {
		if (c->cfg->nconns)
			ERR(c, c->cfg->conns[0].line,
			    "connection %s: no [gateway]: a gateway is still "
			    "required, it exchanges the routes",
			    c->cfg->conns[0].name);
		return;
	}
	if (g->sku == FP_SKU_NONE && !g->sku_line)
		ERR(c, g->line, "[gateway]: no sku (sku = ErGw3AZ)");
	if (g->sku == FP_SKU_ERGWSCALE && !g->scale_units)
		ERR(c, g->sku_line,
		    "[gateway]: sku ErGwScale needs scale-units (1 to 40)");
	if (g->sku != FP_SKU_ERGWSCALE && g->scale_units)
		ERR(c, g->scale_units_line,
		    "[gateway]: scale-units only apply to sku ErGwScale, not %s",
		    fp_sku_name(g->sku));
	if (g->port[0])
		check_iface(c, g->line, "[gateway] port", g->port);
}

/* The [port] whose uplink is name, NULL for none. */
static const struct fp_cfg_port *port_on(const struct fp_config *cfg,
					 const char *name)
{
	for (size_t i = 0; i < cfg->nports; i++)
		if (cfg->ports[i].uplink[0] &&
		    !strcmp(cfg->ports[i].uplink, name))
			return &cfg->ports[i];
	return NULL;
}

/*
 * A circuit on a port: p is the [port] k names, NULL when there is none
 * of that name. Tags: "About ExpressRoute Direct", VLAN Tagging
 * (https://learn.microsoft.com/azure/expressroute/expressroute-erdirect-about).
 */
static void check_tagged(const struct ctx *c, const struct fp_cfg_circuit *k,
			 const struct fp_cfg_port *p)
{
	const struct fp_config *cfg = c->cfg;
	char a[16], b[16];

	if (!p) {
		ERR(c, k->port_line,
		    "circuit %s: port %s: no such port ([port %s])", k->name,
		    k->port, k->port);
		return;
	}
	/* "About ExpressRoute Direct": a port carries Direct circuits only. */
	if (k->type != FP_CIRCUIT_DIRECT)
		ERR(c, k->port_line,
		    "circuit %s: port %s: only a Direct circuit is on an "
		    "ExpressRoute Direct port (type = direct)",
		    k->name, p->name);
	if (k->uplink[0])
		ERR(c, k->line,
		    "circuit %s: uplink %s and port %s both given: a circuit on "
		    "a port arrives on the port's uplink (%s)",
		    k->name, k->uplink, p->name, p->uplink);
	if (k->port_speed && p->speed && k->port_speed != p->speed)
		ERR(c, k->line,
		    "circuit %s: port-speed %s is not port %s's speed (%s)",
		    k->name, fp_bandwidth_name(k->port_speed, a, sizeof(a)),
		    p->name, fp_bandwidth_name(p->speed, b, sizeof(b)));
	if (!k->vlan && !k->vlan_line)
		ERR(c, k->line,
		    "circuit %s: no vlan: a circuit on port %s needs its "
		    "private peering's VLAN ID (vlan = 1 to 4094)",
		    k->name, p->name);
	/*
	 * QinQ: Azure gives each circuit an S-tag, its peerings C-tags. Dot1Q:
	 * one tag per peering, nothing per circuit.
	 */
	if (p->encap == FP_ENCAP_QINQ && !k->stag && !k->stag_line)
		ERR(c, k->line,
		    "circuit %s: no s-tag: port %s is QinQ, where each circuit "
		    "has its own S-tag (s-tag = 1 to 4094, as Azure gave it)",
		    k->name, p->name);
	if (p->encap == FP_ENCAP_DOT1Q && k->stag_line)
		ERR(c, k->stag_line,
		    "circuit %s: s-tag on port %s, which is Dot1Q: a peering "
		    "there has one tag, its vlan",
		    k->name, p->name);
	for (const struct fp_cfg_circuit *o = cfg->circuits; o < k; o++) {
		if (strcmp(o->port, k->port))
			continue;
		/* QinQ: the S-tag tells the port's circuits apart. */
		if (p->encap == FP_ENCAP_QINQ && k->stag && o->stag == k->stag)
			ERR(c, k->stag_line,
			    "circuit %s: s-tag %u is circuit %s's (line %d) on "
			    "port %s: each circuit on a QinQ port has its own "
			    "S-tag",
			    k->name, k->stag, o->name, o->line, p->name);
		/*
		 * Dot1Q: "A C-Tag used on a peering must be unique across all
		 * circuits and peerings on the ExpressRoute Direct port pair";
		 * on QinQ it need not be unique across circuits.
		 */
		if (p->encap == FP_ENCAP_DOT1Q && k->vlan && o->vlan == k->vlan)
			ERR(c, k->vlan_line,
			    "circuit %s: vlan %u is circuit %s's (line %d) on "
			    "port %s: on a Dot1Q port a VLAN is one peering's, "
			    "unique across the port's circuits",
			    k->name, k->vlan, o->name, o->line, p->name);
	}
	if (k->gw_port[0]) {
		char what[FP_NAME_MAX + 32];

		snprintf(what, sizeof(what), "circuit %s: gateway-port",
			 k->name);
		check_iface(c, k->gw_port_line, what, k->gw_port);
	}
}

/* An untagged circuit: its own uplink, which no other circuit or port has. */
static void check_untagged(const struct ctx *c, const struct fp_cfg_circuit *k)
{
	const struct fp_config *cfg = c->cfg;
	const struct fp_cfg_port *p;

	if (k->vlan_line)
		ERR(c, k->vlan_line,
		    "circuit %s: vlan is for a circuit on a [port] (port = "
		    "NAME); without one the circuit is untagged on its uplink",
		    k->name);
	if (k->stag_line)
		ERR(c, k->stag_line,
		    "circuit %s: s-tag is for a circuit on a QinQ [port] (port "
		    "= NAME)",
		    k->name);
	if (k->gw_port_line)
		ERR(c, k->gw_port_line,
		    "circuit %s: gateway-port is for a circuit on a [port] "
		    "(port = NAME)",
		    k->name);
	if (!k->uplink[0])
		return;
	for (const struct fp_cfg_circuit *o = cfg->circuits; o < k; o++)
		if (!o->port[0] && !strcmp(o->uplink, k->uplink))
			ERR(c, k->line,
			    "circuit %s: uplink %s is circuit %s's (line %d)",
			    k->name, k->uplink, o->name, o->line);
	/*
	 * A trunk's frames are told apart by their tags; an untagged one
	 * belongs to none of its circuits, so no circuit takes the trunk
	 * untagged.
	 */
	p = port_on(cfg, k->uplink);
	if (p)
		ERR(c, k->line,
		    "circuit %s: uplink %s is port %s's (line %d), a trunk: "
		    "its untagged frames belong to no circuit; a circuit there "
		    "is on the port (port = %s, vlan = N)",
		    k->name, k->uplink, p->name, p->line, p->name);
	else {
		char what[FP_NAME_MAX + 32];

		snprintf(what, sizeof(what), "circuit %s: uplink", k->name);
		check_iface(c, k->line, what, k->uplink);
	}
}

static void check_circuits(const struct ctx *c)
{
	const struct fp_config *cfg = c->cfg;
	char bw[16], ps[16];

	if (cfg->ncircuits > FP_MAX_CIRCUITS)
		ERR(c, cfg->circuits[FP_MAX_CIRCUITS].line,
		    "circuit %s: a host serves at most %d circuits",
		    cfg->circuits[FP_MAX_CIRCUITS].name, FP_MAX_CIRCUITS);
	for (size_t i = 0; i < cfg->ncircuits; i++) {
		const struct fp_cfg_circuit *k = &cfg->circuits[i];
		const struct fp_cfg_port *p = port_of(cfg, k);
		__u32 speed = circuit_port_speed(cfg, k);

		if (k->port[0])
			check_tagged(c, k, p);
		else
			check_untagged(c, k);
		fp_bandwidth_name(k->bandwidth, bw, sizeof(bw));
		if (k->type == FP_CIRCUIT_PROVIDER) {
			if (k->bandwidth > 10000)
				ERR(c, k->line,
				    "circuit %s: bandwidth %s: a provider circuit "
				    "goes up to 10G",
				    k->name, bw);
			if (k->port_speed)
				ERR(c, k->line,
				    "circuit %s: port-speed is for Direct circuits",
				    k->name);
			if (k->profile == FP_PROFILE_DIRECT_2025)
				ERR(c, k->profile_line,
				    "circuit %s: profile direct-2025 is for "
				    "Direct circuits; a provider circuit keeps 2020",
				    k->name);
		} else if (k->bandwidth &&
			   !fp_model__direct_size(speed, k->bandwidth)) {
			/* On a [port], of the port's speed. */
			ERR(c, k->line,
			    "circuit %s: bandwidth %s is not a circuit size of a "
			    "%s ExpressRoute Direct port (%s)",
			    k->name, bw,
			    fp_bandwidth_name(speed, ps, sizeof(ps)),
			    speed == 100000 ? "5G, 10G, 40G or 100G" :
					      "1G, 2G, 5G or 10G");
		}
		/* A port's circuits share its limit: check_ports() sums them. */
		if (!k->port[0] && k->ip_budget > fp_model__port_budget(k))
			ERR(c, k->budget_line,
			    "circuit %s: ip-budget %u exceeds the port's %u "
			    "(100,000 on a 10G Direct port, 200,000 on 100G, "
			    "25,000 on a provider circuit)",
			    k->name, k->ip_budget, fp_model__port_budget(k));
	}
}

/* Each [port]: its uplink, and what its circuits take of it together. */
static void check_ports(const struct ctx *c)
{
	const struct fp_config *cfg = c->cfg;
	char sum[16], speed[16], most[16];

	for (size_t i = 0; i < cfg->nports; i++) {
		const struct fp_cfg_port *p = &cfg->ports[i];
		unsigned int circuits = 0;
		__u32 mbps = 0;
		struct share s;

		if (p->uplink[0]) {
			char what[FP_NAME_MAX + 32];

			for (const struct fp_cfg_port *o = cfg->ports; o < p;
			     o++)
				if (!strcmp(o->uplink, p->uplink))
					ERR(c, p->line,
					    "port %s: uplink %s is port %s's "
					    "(line %d)",
					    p->name, p->uplink, o->name,
					    o->line);
			snprintf(what, sizeof(what), "port %s: uplink",
				 p->name);
			check_iface(c, p->line, what, p->uplink);
		}
		for (size_t j = 0; j < cfg->ncircuits; j++) {
			if (strcmp(cfg->circuits[j].port, p->name))
				continue;
			circuits++;
			mbps += cfg->circuits[j].bandwidth;
		}
		if (!circuits) {
			WARN(c, p->line,
			     "port %s: no circuit is on it (port = %s in a "
			     "[circuit]): uplink %s is left alone",
			     p->name, p->name, p->uplink);
			continue;
		}
		if (!p->speed)
			continue; /* no speed: its own finding */
		fp_bandwidth_name(mbps, sum, sizeof(sum));
		fp_bandwidth_name(p->speed, speed, sizeof(speed));
		fp_bandwidth_name(2 * p->speed, most, sizeof(most));
		/*
		 * "About ExpressRoute Direct", Circuit sizes (above): circuits
		 * are provisioned on a port pair up to its subscribed
		 * bandwidth, 20 Gbps on 10G and 200 Gbps on 100G; past the
		 * port's speed only from PowerShell or the CLI
		 * (over-subscribed).
		 */
		if (mbps > 2 * p->speed)
			ERR(c, p->line,
			    "port %s: its circuits' bandwidths sum to %s; a %s "
			    "ExpressRoute Direct port is provisioned up to %s "
			    "(its subscribed bandwidth, twice its speed)",
			    p->name, sum, speed, most);
		else if (mbps > p->speed)
			WARN(c, p->line,
			     "port %s: its circuits' bandwidths sum to %s, more "
			     "than its speed (%s): over-subscribed (Azure allows "
			     "up to %s, set from PowerShell or the CLI)",
			     p->name, sum, speed, most);
		/*
		 * "About ExpressRoute FastPath", IP address limits
		 * (https://learn.microsoft.com/azure/expressroute/about-fastpath):
		 * 100,000 on a 10G Direct port, 200,000 on 100G, "a cumulative
		 * limit at the port level": the port's circuits share it.
		 */
		s = port_share(cfg, p);
		if (s.given > s.limit) {
			ERR(c, p->line,
			    "port %s: its circuits' ip-budgets sum to %llu; the "
			    "FastPath IP limit of a %s ExpressRoute Direct port "
			    "is %u, shared by all its circuits",
			    p->name, (unsigned long long)s.given, speed,
			    s.limit);
			continue;
		}
		if (!s.rest || (s.limit - s.given) / s.rest)
			continue;
		for (size_t j = 0; j < cfg->ncircuits; j++) {
			const struct fp_cfg_circuit *k = &cfg->circuits[j];

			if (!strcmp(k->port, p->name) && !k->ip_budget)
				WARN(c, k->line,
				     "circuit %s: no FastPath IP budget is left "
				     "for it on port %s (the ip-budgets of its "
				     "other circuits take %llu of %u): its "
				     "traffic goes through the gateway",
				     k->name, p->name,
				     (unsigned long long)s.given, s.limit);
		}
	}
}

/*
 * Address spaces a VNet advertises over each of its connections, per
 * family: its own and its peered spokes', each spoke once however often
 * it is listed.
 */
struct spaces {
	size_t n4, n6;
};

static void count_spaces(const struct fp_cfg_vnet *v, struct spaces *n)
{
	for (size_t i = 0; i < v->nspaces; i++) {
		if (v->spaces[i].family == AF_INET6)
			n->n6++;
		else
			n->n4++;
	}
}

static struct spaces advertised(const struct fp_config *cfg,
				const struct fp_cfg_vnet *v)
{
	struct spaces n = { 0 };

	count_spaces(v, &n);
	for (size_t i = 0; i < v->npeerings; i++) {
		const struct fp_cfg_vnet *s =
			fp_config__vnet(cfg, v->peerings[i]);
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(v->peerings[j], v->peerings[i]);
		if (s && s != v && !seen)
			count_spaces(s, &n);
	}
	return n;
}

static void check_vnets(const struct ctx *c)
{
	const struct fp_config *cfg = c->cfg;
	char a[FP_PREFIX_STRLEN], b[FP_PREFIX_STRLEN];

	if (cfg->nvnets >= FP_MAX_VNETS)
		ERR(c, cfg->vnets[FP_MAX_VNETS - 1].line,
		    "vnet %s: a host serves at most %d VNets",
		    cfg->vnets[FP_MAX_VNETS - 1].name, FP_MAX_VNETS - 1);
	for (size_t i = 0; i < cfg->nvnets; i++) {
		const struct fp_cfg_vnet *v = &cfg->vnets[i];
		struct spaces n = advertised(cfg, v);

		if (!v->nspaces)
			ERR(c, v->line,
			    "vnet %s: no address-space (address-space = PREFIX)",
			    v->name);
		/*
		 * "ExpressRoute limits", route advertisement limits
		 * (https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#expressroute-limits):
		 * from the VNet address space to the gateway, at most 1,000
		 * IPv4 and 100 IPv6 routes.
		 */
		if (n.n4 > FP_SPACES_MAX)
			ERR(c, v->line,
			    "vnet %s: advertises %zu IPv4 address spaces (with "
			    "its peerings); at most %d",
			    v->name, n.n4, FP_SPACES_MAX);
		if (n.n6 > FP_SPACES6_MAX)
			ERR(c, v->line,
			    "vnet %s: advertises %zu IPv6 address spaces (with "
			    "its peerings); at most %d",
			    v->name, n.n6, FP_SPACES6_MAX);
		for (size_t s = 0; s < v->nspaces; s++) {
			/* Against every earlier space, this VNet's and others'. */
			for (size_t j = 0; j <= i; j++) {
				const struct fp_cfg_vnet *o = &cfg->vnets[j];
				size_t end = j == i ? s : o->nspaces;

				for (size_t t = 0; t < end; t++)
					if (overlaps(&v->spaces[s],
						     &o->spaces[t]))
						ERR(c, v->space_lines[s],
						    "vnet %s: address-space %s "
						    "overlaps %s of vnet %s "
						    "(line %d)",
						    v->name,
						    fp_format_prefix(
							    &v->spaces[s], a,
							    sizeof(a)),
						    fp_format_prefix(
							    &o->spaces[t], b,
							    sizeof(b)),
						    o->name, o->space_lines[t]);
			}
		}
		for (size_t p = 0; p < v->nports; p++) {
			char what[FP_NAME_MAX + 32];

			snprintf(what, sizeof(what), "vnet %s: port", v->name);
			check_iface(c, v->port_lines[p], what, v->ports[p]);
			for (size_t j = 0; j <= i; j++) {
				const struct fp_cfg_vnet *o = &cfg->vnets[j];
				size_t end = j == i ? p : o->nports;

				for (size_t t = 0; t < end; t++)
					if (!strcmp(v->ports[p], o->ports[t]))
						ERR(c, v->port_lines[p],
						    "vnet %s: port %s is already "
						    "vnet %s's (line %d)",
						    v->name, v->ports[p],
						    o->name, o->port_lines[t]);
			}
		}
		for (size_t p = 0; p < v->npeerings; p++) {
			const struct fp_cfg_vnet *s =
				fp_config__vnet(cfg, v->peerings[p]);

			if (!s)
				ERR(c, v->peering_lines[p],
				    "vnet %s: peering %s: no such vnet",
				    v->name, v->peerings[p]);
			else if (s == v)
				ERR(c, v->peering_lines[p],
				    "vnet %s: peering with itself", v->name);
		}
		for (size_t e = 0; e < v->nexcls; e++) {
			const struct fp_cfg_excl *x = &v->excls[e];
			bool in = false;

			for (size_t s = 0; s < v->nspaces && !in; s++)
				in = fp_prefix__within(&x->prefix,
						       &v->spaces[s]);
			if (!in)
				ERR(c, x->line,
				    "vnet %s: exclude %s is outside its "
				    "address spaces",
				    v->name,
				    fp_format_prefix(&x->prefix, a, sizeof(a)));
			if (x->class == FP_CLASS_UDR)
				WARN(c, x->line,
				     "vnet %s: exclude udr %s: a UDR on the "
				     "gateway subnet does not apply to "
				     "fast-pathed traffic; recorded, not applied",
				     v->name,
				     fp_format_prefix(&x->prefix, a,
						      sizeof(a)));
		}
	}
}

/* The authorization a connection redeems, if it needs or names one. */
static void check_authorization(const struct ctx *c,
				const struct fp_cfg_conn *k,
				const struct fp_cfg_circuit *circ,
				const struct fp_cfg_vnet *v)
{
	const struct fp_auth *a;

	/*
	 * A VNet that names no owner is taken as its circuit's owner's: it
	 * needs no key, and the warning says so. A circuit that names none
	 * cannot be a VNet owner's: that VNet needs a key.
	 */
	if (!k->authorization[0] && !v->owner[0] && circ->owner[0])
		WARN(c, k->line,
		     "connection %s: vnet %s names no owner: circuit %s's owner "
		     "(%s) is assumed, no authorization needed",
		     k->name, v->name, circ->name, circ->owner);
	else if (!k->authorization[0] && v->owner[0] && !circ->owner[0])
		ERR(c, k->line,
		    "connection %s: vnet %s (owner %s): circuit %s names no "
		    "owner, so it needs an authorization key (fastpath "
		    "authorization create %s NAME), or owner = %s in [circuit "
		    "%s]",
		    k->name, v->name, v->owner, circ->name, circ->name,
		    v->owner, circ->name);
	else if (!k->authorization[0] && strcmp(circ->owner, v->owner))
		ERR(c, k->line,
		    "connection %s: vnet %s (owner %s) is not circuit %s's "
		    "owner's (%s): it needs an authorization key (fastpath "
		    "authorization create %s NAME)",
		    k->name, v->name, v->owner, circ->name, circ->owner,
		    circ->name);
	if (!k->authorization[0])
		return;
	/* Offline there is no state: the key, not its name. */
	a = offline(c) ? NULL : fp_state__auth_by_key(c->st, k->authorization);
	for (const struct fp_cfg_conn *o = c->cfg->conns; o < k; o++)
		if (!strcmp(o->authorization, k->authorization))
			ERR(c, k->auth_line,
			    "connection %s: authorization %s is also "
			    "connection %s's (line %d); a key redeems exactly one",
			    k->name, a ? a->name : k->authorization, o->name,
			    o->line);
	if (offline(c)) {
		fp_diag__note(
			c->d, k->auth_line,
			"connection %s: authorization key not checked "
			"offline (circuit %s's keys are the host's state)",
			k->name, circ->name);
		return;
	}
	if (!a || strcmp(a->circuit, circ->name)) {
		ERR(c, k->auth_line,
		    "connection %s: authorization key %s is not one of circuit "
		    "%s's (revoked, or never created)",
		    k->name, k->authorization, circ->name);
		return;
	}
	if (a->connection[0] && strcmp(a->connection, k->name))
		ERR(c, k->auth_line,
		    "connection %s: authorization %s of circuit %s already "
		    "redeemed connection %s; a key redeems exactly one",
		    k->name, a->name, circ->name, a->connection);
}

static void check_connections(const struct ctx *c)
{
	const struct fp_config *cfg = c->cfg;
	const struct fp_cfg_gateway *g = &cfg->gateway;
	char bw[16];

	for (size_t i = 0; i < cfg->nconns; i++) {
		const struct fp_cfg_conn *k = &cfg->conns[i];
		const struct fp_cfg_circuit *circ =
			fp_config__circuit(cfg, k->circuit);
		const struct fp_cfg_vnet *v = fp_config__vnet(cfg, k->vnet);
		unsigned int links = 0, circuits = 0, at_location = 0, limit;
		const struct fp_conn_rec *rec;
		struct spaces spaces;
		bool has6;

		if (k->circuit[0] && !circ)
			ERR(c, k->line,
			    "connection %s: circuit %s: no such circuit",
			    k->name, k->circuit);
		if (k->vnet[0] && !v)
			ERR(c, k->line, "connection %s: vnet %s: no such vnet",
			    k->name, k->vnet);
		if (!circ || !v)
			continue;
		for (size_t j = 0; j < i; j++) {
			const struct fp_cfg_conn *o = &cfg->conns[j];

			if (!strcmp(o->vnet, k->vnet) &&
			    !strcmp(o->circuit, k->circuit))
				ERR(c, k->line,
				    "connection %s: vnet %s and circuit %s are "
				    "already linked by connection %s (line %d)",
				    k->name, k->vnet, k->circuit, o->name,
				    o->line);
		}
		/* The limits count this connection among those before it. */
		for (size_t j = 0; j <= i; j++) {
			const struct fp_cfg_circuit *o =
				fp_config__circuit(cfg, cfg->conns[j].circuit);

			links += !strcmp(cfg->conns[j].circuit, k->circuit);
			if (strcmp(cfg->conns[j].vnet, k->vnet))
				continue;
			circuits++;
			at_location += o && circ->location[0] &&
				       !strcasecmp(o->location, circ->location);
		}
		limit = fp_model__vnet_limit(circ->bandwidth, circ->premium);
		if (links > limit)
			ERR(c, k->line,
			    "connection %s: circuit %s would link %u VNets; a "
			    "%s %s circuit links at most %u",
			    k->name, circ->name, links,
			    circ->premium ? "premium" : "standard",
			    fp_bandwidth_name(circ->bandwidth, bw, sizeof(bw)),
			    limit);
		/* Sources: fp_model__circuit_limit(). */
		limit = fp_model__circuit_limit(g);
		if (circuits > limit)
			ERR(c, k->line,
			    "connection %s: vnet %s would link %u circuits; a "
			    "VNet links at most %u with gateway SKU %s (4 "
			    "Standard/ErGw1AZ, 8 HighPerformance/ErGw2AZ, 16 "
			    "UltraPerformance/ErGw3AZ; ErGwScale 4, 8 from 2 "
			    "scale units, 16 from 10)",
			    k->name, v->name, circuits, limit,
			    fp_sku_name(g->sku));
		/*
		 * "ExpressRoute limits" (above): "Maximum number of circuits
		 * in the same peering location linked to the same virtual
		 * network: 4", for every gateway SKU.
		 */
		if (at_location > FP_SAME_LOCATION_MAX)
			ERR(c, k->line,
			    "connection %s: vnet %s would link %u circuits at "
			    "peering location %s; a VNet links at most %d from "
			    "one peering location",
			    k->name, v->name, at_location, circ->location,
			    FP_SAME_LOCATION_MAX);
		if (!same_region(v->region, circ->region) && !circ->premium)
			ERR(c, k->line,
			    "connection %s: vnet %s (region %s) is outside "
			    "circuit %s's geopolitical region (%s): that needs "
			    "the premium add-on",
			    k->name, v->name, v->region, circ->name,
			    circ->region);
		spaces = advertised(cfg, v);
		has6 = spaces.n6 > 0;
		/* Linking another VNet or circuit under its name creates it. */
		rec = fp_state__conn(c->st, k->name);
		if (offline(c) && spaces.n4 + spaces.n6 > FP_SPACES_AT_CREATION)
			fp_diag__note(
				c->d, k->line,
				"connection %s: vnet %s advertises %zu "
				"address spaces, more than the %d a "
				"connection is created with: not checked "
				"offline (whether it exists is the host's "
				"state)",
				k->name, v->name, spaces.n4 + spaces.n6,
				FP_SPACES_AT_CREATION);
		else if ((!rec || strcmp(rec->vnet, k->vnet) ||
			  strcmp(rec->circuit, k->circuit)) &&
			 spaces.n4 + spaces.n6 > FP_SPACES_AT_CREATION)
			ERR(c, k->line,
			    "connection %s: vnet %s advertises %zu address "
			    "spaces; a connection is created with at most %d "
			    "(up to %d once it exists)",
			    k->name, v->name, spaces.n4 + spaces.n6,
			    FP_SPACES_AT_CREATION, FP_SPACES_MAX);
		check_authorization(c, k, circ, v);
		if (k->fastpath && g->line && !fastpath_sku(g))
			ERR(c, k->line,
			    "connection %s: fastpath on needs gateway SKU "
			    "UltraPerformance, ErGw3AZ, or ErGwScale with 10 or "
			    "more scale units; [gateway] (line %d) is %s%s",
			    k->name, g->line, fp_sku_name(g->sku),
			    g->sku == FP_SKU_ERGWSCALE ? " with fewer" : "");
		/*
		 * A provider circuit carries IPv6 private peering; what it
		 * lacks is IPv6 FastPath: "Add IPv6 support for private
		 * peering", Limitations: "FastPath with non-ExpressRoute
		 * Direct circuits"
		 * (https://learn.microsoft.com/azure/expressroute/expressroute-howto-add-ipv6-portal).
		 */
		if (has6 && k->fastpath && circ->type == FP_CIRCUIT_PROVIDER)
			WARN(c, k->line,
			     "connection %s: vnet %s has IPv6 address spaces; "
			     "provider circuit %s carries IPv6 but has no IPv6 "
			     "FastPath (Direct circuits only): its IPv6 traffic "
			     "goes through the gateway",
			     k->name, v->name, circ->name);
		else if (has6 && k->fastpath &&
			 (g->sku != FP_SKU_ERGW3AZ ||
			  circ->type != FP_CIRCUIT_DIRECT))
			WARN(c, k->line,
			     "connection %s: IPv6 fast path needs gateway SKU "
			     "ErGw3AZ on a Direct circuit: vnet %s's IPv6 traffic "
			     "goes through the gateway",
			     k->name, v->name);
	}
}

/* ---- the plan ------------------------------------------------------------ */

static __u32 conn_flags(const struct fp_config *cfg,
			const struct fp_cfg_conn *k,
			const struct fp_cfg_circuit *circ)
{
	__u32 flags = FP_CONN_F_LINKED;

	if (!k->fastpath || !fastpath_sku(&cfg->gateway))
		return flags;
	flags |= FP_CONN_F_FAST4;
	if (cfg->gateway.sku == FP_SKU_ERGW3AZ &&
	    circ->type == FP_CIRCUIT_DIRECT)
		flags |= FP_CONN_F_FAST6;
	return flags;
}

/*
 * flags with fast families v has no address space of taken off: they
 * would change no packet (none of that family belongs to v), and the
 * plan and `connection list` say only the families the VNet has.
 */
static __u32 own_families(const struct fp_cfg_vnet *v, __u32 flags)
{
	struct spaces n = { 0 };

	count_spaces(v, &n);
	if (!n.n4)
		flags &= ~FP_CONN_F_FAST4;
	if (!n.n6)
		flags &= ~FP_CONN_F_FAST6;
	return flags;
}

struct fp_plan_conn *fp_plan__conn(const struct fp_plan *p, __u32 vnet,
				   __u32 circuit)
{
	for (size_t i = 0; i < p->nconns; i++)
		if (p->conns[i].vnet == vnet && p->conns[i].circuit == circuit)
			return &p->conns[i];
	return NULL;
}

static int add_excl(struct fp_plan *p, const struct ctx *c, int line,
		    const struct fp_prefix *prefix, __u32 class)
{
	char a[FP_PREFIX_STRLEN];
	struct fp_plan_excl *e;

	for (size_t i = 0; i < p->nexcls; i++) {
		if (!fp_prefix__equal(&p->excls[i].prefix, prefix))
			continue;
		if (p->excls[i].class != class)
			ERR(c, line, "exclude %s: given twice, as %s and as %s",
			    fp_format_prefix(prefix, a, sizeof(a)),
			    fp_class_name(p->excls[i].class),
			    fp_class_name(class));
		return 0;
	}
	e = PUSH(p->excls, p->nexcls);
	if (!e)
		return -ENOMEM;
	e->prefix = *prefix;
	e->class = class;
	return 0;
}

/* The names of n objects of size sz, each at offset off. */
static const char **names_of(const void *objs, size_t n, size_t sz, size_t off)
{
	const char **v = calloc(n + 1, sizeof(*v));

	for (size_t i = 0; v && i < n; i++)
		v[i] = (const char *)objs + i * sz + off;
	return v;
}

static int build_plan(const struct ctx *c, struct fp_plan *p,
		      struct fp_state *next)
{
	const struct fp_config *cfg = c->cfg;
	const char **circ_names, **vnet_names;
	__u32 *circ_id = NULL, *vnet_id = NULL;
	int err = -ENOMEM;

	circ_names = names_of(cfg->circuits, cfg->ncircuits,
			      sizeof(*cfg->circuits),
			      offsetof(struct fp_cfg_circuit, name));
	vnet_names = names_of(cfg->vnets, cfg->nvnets, sizeof(*cfg->vnets),
			      offsetof(struct fp_cfg_vnet, name));
	circ_id = calloc(cfg->ncircuits + 1, sizeof(*circ_id));
	vnet_id = calloc(cfg->nvnets + 1, sizeof(*vnet_id));
	if (!circ_names || !vnet_names || !circ_id || !vnet_id)
		goto out;
	for (size_t i = 0; i < cfg->ncircuits; i++) {
		const struct fp_cfg_circuit *k = &cfg->circuits[i];
		const struct fp_cfg_port *port = port_of(cfg, k);
		struct fp_plan_circuit *pc;

		err = assign_id(&next->circuit_ids, &next->ncircuit_ids,
				k->name, FP_MAX_CIRCUITS, circ_names,
				cfg->ncircuits, &circ_id[i]);
		if (err)
			goto out;
		pc = PUSH(p->circuits, p->ncircuits);
		if (!pc)
			goto nomem;
		snprintf(pc->name, sizeof(pc->name), "%s", k->name);
		/* A circuit on a port arrives on the port's uplink, tagged. */
		snprintf(pc->uplink, sizeof(pc->uplink), "%s",
			 port ? port->uplink : k->uplink);
		snprintf(pc->port, sizeof(pc->port), "%s", k->port);
		pc->stag = k->stag;
		pc->vlan = k->vlan;
		snprintf(pc->gw_port, sizeof(pc->gw_port), "%s", k->gw_port);
		pc->id = circ_id[i];
		pc->budget = circuit_budget(cfg, k);
		pc->xallow = fp_model__xallow(k->profile);
	}
	for (size_t i = 0; i < cfg->nvnets; i++) {
		const struct fp_cfg_vnet *v = &cfg->vnets[i];

		err = assign_id(&next->vnet_ids, &next->nvnet_ids, v->name,
				FP_MAX_VNETS - 1, vnet_names, cfg->nvnets,
				&vnet_id[i]);
		if (err)
			goto out;
		for (size_t s = 0; s < v->nspaces; s++) {
			struct fp_plan_space *ps = PUSH(p->spaces, p->nspaces);

			if (!ps)
				goto nomem;
			ps->prefix = v->spaces[s];
			ps->vnet = vnet_id[i];
		}
		for (size_t s = 0; s < v->nports; s++) {
			struct fp_plan_port *pp = PUSH(p->ports, p->nports);

			if (!pp)
				goto nomem;
			snprintf(pp->name, sizeof(pp->name), "%s", v->ports[s]);
			pp->vnet = vnet_id[i];
		}
		for (size_t e = 0; e < v->nexcls; e++)
			if (add_excl(p, c, v->excls[e].line,
				     &v->excls[e].prefix, v->excls[e].class))
				goto nomem;
	}
	for (size_t i = 0; i < cfg->nconns; i++) {
		const struct fp_cfg_conn *k = &cfg->conns[i];
		const struct fp_cfg_circuit *circ =
			fp_config__circuit(cfg, k->circuit);
		const struct fp_cfg_vnet *v = fp_config__vnet(cfg, k->vnet);
		size_t ci = circ - cfg->circuits, vi = v - cfg->vnets;
		struct fp_plan_conn *pc = PUSH(p->conns, p->nconns);

		if (!pc)
			goto nomem;
		snprintf(pc->name, sizeof(pc->name), "%s", k->name);
		snprintf(pc->vnet_name, sizeof(pc->vnet_name), "%s", v->name);
		snprintf(pc->circuit_name, sizeof(pc->circuit_name), "%s",
			 circ->name);
		pc->vnet = vnet_id[vi];
		pc->circuit = circ_id[ci];
		pc->flags = own_families(v, conn_flags(cfg, k, circ));
	}
	/*
	 * A spoke is reached over its hub's connections; its address spaces
	 * are a peering exclusion, which the circuit's profile may accelerate.
	 * A spoke may also link a circuit itself, the workaround About
	 * ExpressRoute FastPath gives for peering ("connect all the virtual
	 * networks to the ExpressRoute circuit directly",
	 * https://learn.microsoft.com/azure/expressroute/about-fastpath):
	 * there its own connection decides, and the program lifts the
	 * peering exclusion for a link that is not PEERED.
	 */
	for (size_t i = 0, n = p->nconns; i < n; i++) {
		const struct fp_cfg_vnet *hub =
			fp_config__vnet(cfg, p->conns[i].vnet_name);
		/* p->conns[i] is cfg->conns[i]'s, in the hub's families. */
		__u32 hub_flags = conn_flags(
			cfg, &cfg->conns[i],
			fp_config__circuit(cfg, cfg->conns[i].circuit));

		for (size_t s = 0; s < hub->npeerings; s++) {
			const struct fp_cfg_vnet *spoke =
				fp_config__vnet(cfg, hub->peerings[s]);
			struct fp_plan_conn *pc, hubc = p->conns[i];
			__u32 sid = vnet_id[spoke - cfg->vnets];

			/* The spoke's spaces, wherever it rides on a hub. */
			for (size_t t = 0; t < spoke->nspaces; t++)
				if (add_excl(p, c, hub->peering_lines[s],
					     &spoke->spaces[t],
					     FP_CLASS_PEERING))
					goto nomem;
			/*
			 * Its own connection on this circuit wins; peered
			 * with two hubs on it, either one.
			 */
			/* What the hub's link allows, in the spoke's families. */
			hubc.flags = own_families(spoke, hub_flags);
			pc = fp_plan__conn(p, sid, hubc.circuit);
			if (pc) {
				if (pc->flags & FP_CONN_F_PEERED)
					pc->flags |= hubc.flags;
				continue;
			}
			pc = PUSH(p->conns, p->nconns);
			if (!pc)
				goto nomem;
			*pc = hubc;
			snprintf(pc->vnet_name, sizeof(pc->vnet_name), "%s",
				 spoke->name);
			pc->vnet = sid;
			pc->flags |= FP_CONN_F_PEERED;
		}
	}
	prune_ids(next->circuit_ids, &next->ncircuit_ids, circ_names,
		  cfg->ncircuits);
	prune_ids(next->vnet_ids, &next->nvnet_ids, vnet_names, cfg->nvnets);
	err = 0;
	goto out;
nomem:
	err = -ENOMEM;
out:
	if (err == -ENOSPC)
		ERR(c, 0, "no free circuit or VNet number");
	free(circ_names);
	free(vnet_names);
	free(circ_id);
	free(vnet_id);
	return err == -ENOSPC ? 0 : err;
}

/* Connections created, kept and removed; authorizations redeemed. */
static int next_records(const struct ctx *c, struct fp_state *next)
{
	const struct fp_config *cfg = c->cfg;
	struct fp_conn_rec *recs = NULL;
	size_t n = 0;

	for (size_t i = 0; i < next->nauths; i++) {
		struct fp_auth *a = &next->auths[i];
		bool kept = false;

		for (size_t j = 0; j < cfg->nconns && !kept; j++)
			kept = !strcmp(cfg->conns[j].name, a->connection) &&
			       !strcmp(cfg->conns[j].authorization, a->key);
		if (!kept)
			a->connection[0] = 0;
	}
	for (size_t i = 0; i < cfg->nconns; i++) {
		const struct fp_cfg_conn *k = &cfg->conns[i];
		struct fp_conn_rec *r = PUSH(recs, n);

		if (!r) {
			free(recs);
			return -ENOMEM;
		}
		snprintf(r->name, sizeof(r->name), "%s", k->name);
		snprintf(r->vnet, sizeof(r->vnet), "%s", k->vnet);
		snprintf(r->circuit, sizeof(r->circuit), "%s", k->circuit);
		snprintf(r->key, sizeof(r->key), "%.36s", k->authorization);
		for (size_t j = 0; j < next->nauths; j++)
			if (!strcmp(next->auths[j].key, k->authorization))
				snprintf(next->auths[j].connection,
					 sizeof(next->auths[j].connection),
					 "%s", k->name);
	}
	free(next->conns);
	next->conns = recs;
	next->nconns = n;
	return 0;
}

int fp_model__plan(const struct fp_config *cfg, const struct fp_state *st,
		   const struct fp_world *w, struct fp_plan *plan,
		   struct fp_state *next, struct fp_diag *d)
{
	struct ctx c = { .cfg = cfg, .st = st, .w = w, .d = d };
	int err;

	memset(plan, 0, sizeof(*plan));
	memset(next, 0, sizeof(*next));
	check_gateway(&c);
	check_circuits(&c);
	check_ports(&c);
	check_vnets(&c);
	check_connections(&c);
	if (d->errors)
		return 0;
	err = fp_state__copy(next, st);
	if (err)
		return err;
	err = build_plan(&c, plan, next);
	if (!err)
		err = next_records(&c, next);
	if (!err) {
		fp_plan__free(&next->applied);
		err = fp_plan__copy(&next->applied, plan);
	}
	if (err || d->errors) {
		fp_plan__free(plan);
		fp_state__free(next);
	}
	return err;
}

const char *fp_conn__flags_text(__u32 flags, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s%s",
		 flags & FP_CONN_F_PEERED ? "via peering, " : "",
		 flags & (FP_CONN_F_FAST4 | FP_CONN_F_FAST6) ? "fastpath" :
							       "fastpath off",
		 flags & FP_CONN_F_FAST4 ? " ipv4" : "",
		 flags & FP_CONN_F_FAST6 ? " ipv6" : "");
	return buf;
}

const struct fp_plan_circuit *fp_plan__circuit(const struct fp_plan *p,
					       __u32 id)
{
	for (size_t i = 0; i < p->ncircuits; i++)
		if (p->circuits[i].id == id)
			return &p->circuits[i];
	return NULL;
}

const struct fp_plan_space *fp_plan__space(const struct fp_plan *p,
					   const struct fp_prefix *x)
{
	for (size_t i = 0; i < p->nspaces; i++)
		if (fp_prefix__equal(&p->spaces[i].prefix, x))
			return &p->spaces[i];
	return NULL;
}

const struct fp_plan_excl *fp_plan__excl(const struct fp_plan *p,
					 const struct fp_prefix *x)
{
	for (size_t i = 0; i < p->nexcls; i++)
		if (fp_prefix__equal(&p->excls[i].prefix, x))
			return &p->excls[i];
	return NULL;
}

struct fp_plan_port *fp_plan__port(const struct fp_plan *p, const char *name)
{
	for (size_t i = 0; i < p->nports; i++)
		if (!strcmp(p->ports[i].name, name))
			return &p->ports[i];
	return NULL;
}
