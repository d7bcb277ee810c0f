/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ExpressRoute rules (DESIGN.md "The rules it implements") and the
 * plan they give: what the maps must hold for a config. Pure: no BPF, no
 * netlink; the world (interfaces) comes in through fp_world, and what
 * earlier applies left (ids, authorizations, connections) through
 * fp_state. cmocka tests every rule here.
 */
#ifndef FASTPATH_MODEL_H
#define FASTPATH_MODEL_H

#include "config.h"

/*
 * Budgets of the fast-path IP count per port (DESIGN.md): a Direct port's
 * is shared by every circuit on it.
 */
#define FP_BUDGET_DIRECT_10G 100000
#define FP_BUDGET_DIRECT_100G 200000
#define FP_BUDGET_PROVIDER 25000
#define FP_VNET_LINKS_MAX 16 /* circuits one VNet may link to, any SKU */
#define FP_SAME_LOCATION_MAX 4 /* of them at one peering location */
#define FP_SPACES_AT_CREATION 200
#define FP_SPACES_MAX 1000 /* IPv4 spaces a VNet advertises */
#define FP_SPACES6_MAX 100 /* IPv6 spaces a VNet advertises */

struct fp_plan_circuit {
	char name[FP_NAME_MAX];
	__u32 id; /* 1 .. FP_MAX_CIRCUITS */
	char uplink[IF_NAMESIZE]; /* on a port, the port's */
	__u32 budget; /* on a port, its share of the port's limit */
	__u8 xallow; /* exclusion classes the profile accelerates */
	char port[FP_NAME_MAX]; /* the [port] name, "" for an untagged circuit */
	__u16 stag; /* QinQ S-tag, 0 on dot1q or untagged */
	__u16 vlan; /* the private peering's VLAN (C-tag), 0 untagged */
	char gw_port[IF_NAMESIZE]; /* gateway-port, "" for none */
};

struct fp_plan_space {
	struct fp_prefix prefix;
	__u32 vnet;
};

struct fp_plan_conn {
	char name[FP_NAME_MAX]; /* the connection; a peering's is its hub's */
	char vnet_name[FP_NAME_MAX];
	char circuit_name[FP_NAME_MAX];
	__u32 vnet, circuit;
	__u32 flags; /* FP_CONN_F_* */
};

struct fp_plan_excl {
	struct fp_prefix prefix;
	__u32 class;
};

struct fp_plan_port {
	char name[IF_NAMESIZE];
	bool owned; /* registered by apply, so apply removes it */
	__u32 vnet; /* the VNet it is `port =` of (fp_port.vnet) */
};

/* What the maps hold for the model: apply moves them from one to another. */
struct fp_plan {
	struct fp_plan_circuit *circuits;
	size_t ncircuits;
	struct fp_plan_space *spaces;
	size_t nspaces;
	struct fp_plan_conn *conns;
	size_t nconns;
	struct fp_plan_excl *excls;
	size_t nexcls;
	struct fp_plan_port *ports;
	size_t nports;
};

struct fp_auth {
	char circuit[FP_NAME_MAX];
	char name[FP_NAME_MAX];
	char key[FP_AUTH_KEY_LEN + 1];
	char connection[FP_NAME_MAX]; /* the one it redeemed, "" if none */
};

/* A connection that exists: created by an earlier apply. */
struct fp_conn_rec {
	char name[FP_NAME_MAX];
	char vnet[FP_NAME_MAX];
	char circuit[FP_NAME_MAX];
	char key[FP_AUTH_KEY_LEN + 1]; /* authorization redeemed, "" if none */
};

struct fp_id {
	char name[FP_NAME_MAX];
	__u32 id;
};

struct fp_state {
	struct fp_auth *auths;
	size_t nauths;
	struct fp_conn_rec *conns;
	size_t nconns;
	struct fp_id *vnet_ids, *circuit_ids;
	size_t nvnet_ids, ncircuit_ids;
	struct fp_plan applied;
};

struct fp_world {
	/* Whether an interface exists in the host's network namespace. */
	bool (*iface_exists)(const char *name, void *ctx);
	void *ctx;
	/*
	 * No host to ask (apply --check --offline): what needs it (its
	 * interfaces; its state: authorization keys, which connections
	 * exist) is a note that the check was skipped, not a finding.
	 */
	bool offline;
};

/*
 * Checks cfg against every rule; findings go to d (errors stop an apply).
 * When there is no error, *plan is what the maps must hold and *next the
 * state once it is applied (new ids, created and removed connections,
 * redeemed authorizations). Returns 0 or -ENOMEM.
 */
int fp_model__plan(const struct fp_config *cfg, const struct fp_state *st,
		   const struct fp_world *w, struct fp_plan *plan,
		   struct fp_state *next, struct fp_diag *d);

/* The VNets a circuit may link (premium by bandwidth, else 10). */
unsigned int fp_model__vnet_limit(__u32 bandwidth_mbps, bool premium);
/* The circuits a VNet may link through gateway g (by SKU). */
unsigned int fp_model__circuit_limit(const struct fp_cfg_gateway *g);
/* Whether a Direct port of port_mbps carries a circuit of mbps. */
bool fp_model__direct_size(__u32 port_mbps, __u32 mbps);
/*
 * The fast-path IP budget of an untagged circuit's port (its own); the
 * circuits on a [port] share that port's.
 */
__u32 fp_model__port_budget(const struct fp_cfg_circuit *c);
/* The exclusion classes a profile accelerates, 1 << enum fp_class. */
__u8 fp_model__xallow(enum fp_profile profile);

/* The connection of vnet on circuit in p, or NULL. */
struct fp_plan_conn *fp_plan__conn(const struct fp_plan *p, __u32 vnet,
				   __u32 circuit);
/* p's circuit of that id, address space, exclusion or port; NULL for none. */
const struct fp_plan_circuit *fp_plan__circuit(const struct fp_plan *p,
					       __u32 id);
const struct fp_plan_space *fp_plan__space(const struct fp_plan *p,
					   const struct fp_prefix *x);
const struct fp_plan_excl *fp_plan__excl(const struct fp_plan *p,
					 const struct fp_prefix *x);
struct fp_plan_port *fp_plan__port(const struct fp_plan *p, const char *name);
/* A connection's flags as `connection list` and apply's steps say them. */
const char *fp_conn__flags_text(__u32 flags, char *buf, size_t n);
void fp_plan__free(struct fp_plan *p);
int fp_plan__copy(struct fp_plan *dst, const struct fp_plan *src);
void fp_state__free(struct fp_state *st);
int fp_state__copy(struct fp_state *dst, const struct fp_state *src);

const struct fp_auth *fp_state__auth_by_key(const struct fp_state *st,
					    const char *key);
const struct fp_conn_rec *fp_state__conn(const struct fp_state *st,
					 const char *name);

#endif
