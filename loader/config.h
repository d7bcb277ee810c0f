/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ExpressRoute model as the operator writes it (`fastpath apply
 * --config FILE`): a gateway, ExpressRoute Direct ports, circuits, VNets
 * and connections in an INI file parsed with libinih. Parsing checks syntax and values; the rules
 * between objects are model.c's. Every finding names file and line.
 */
#ifndef FASTPATH_CONFIG_H
#define FASTPATH_CONFIG_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "parse.h"

#define FP_NAME_MAX 64
#define FP_AUTH_KEY_LEN 36 /* xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx */
#define FP_CONFIG_LINE_MAX 65536 /* characters in a line, its end not counted */

/* Findings of parsing and of the rules: errors stop an apply. */
struct fp_diag {
	char **msg;
	size_t n, cap;
	int errors, warnings;
	int notes; /* checks not made (offline): they need the host */
};

/* Config text in messages is escaped: see fp_escape(). */
__attribute__((format(printf, 4, 5))) void
fp_diag__add(struct fp_diag *d, bool error, int line, const char *fmt, ...);
__attribute__((format(printf, 3, 4))) void
fp_diag__note(struct fp_diag *d, int line, const char *fmt, ...);
void fp_diag__free(struct fp_diag *d);
/*
 * s for a terminal, in buf (n bytes, cut short if need be): bytes that
 * are not UTF-8, and control characters, as \xNN.
 */
const char *fp_escape(const char *s, char *buf, size_t n);

enum fp_sku {
	FP_SKU_NONE = 0,
	FP_SKU_STANDARD,
	FP_SKU_HIGH_PERFORMANCE,
	FP_SKU_ULTRA_PERFORMANCE,
	FP_SKU_ERGW1AZ,
	FP_SKU_ERGW2AZ,
	FP_SKU_ERGW3AZ,
	FP_SKU_ERGWSCALE,
};

enum fp_circuit_type { FP_CIRCUIT_DIRECT, FP_CIRCUIT_PROVIDER };

/* How an ExpressRoute Direct port tags its circuits' peerings. */
enum fp_encap {
	FP_ENCAP_DOT1Q, /* one tag: a VLAN per peering, unique on the port */
	FP_ENCAP_QINQ, /* an S-tag per circuit, a C-tag per peering in it */
};

#define FP_VLAN_MAX 4094 /* 802.1Q: 0 and 4095 are no VLAN's */

/* Which exclusion classes a circuit sends to the gateway. */
enum fp_profile { FP_PROFILE_2020, FP_PROFILE_DIRECT_2025 };

struct fp_cfg_gateway {
	int line; /* 0: no [gateway] section */
	char name[FP_NAME_MAX];
	enum fp_sku sku;
	int sku_line;
	unsigned int scale_units;
	int scale_units_line;
	char netns[FP_NAME_MAX];
	char port[IF_NAMESIZE];
};

/*
 * An ExpressRoute Direct port ([port NAME]): a trunk carrying several
 * circuits, each peering told apart by its tags.
 */
struct fp_cfg_port {
	int line;
	char name[FP_NAME_MAX];
	char uplink[IF_NAMESIZE]; /* the host interface the port arrives on */
	__u32 speed; /* Mbps: 10000 or 100000 */
	enum fp_encap encap;
	unsigned int seen; /* keys given, 1 << enum in config.c */
};

struct fp_cfg_circuit {
	int line;
	char name[FP_NAME_MAX];
	char uplink[IF_NAMESIZE]; /* "" on a port: the port's */
	char port[FP_NAME_MAX]; /* its [port], "" for an untagged circuit */
	__u16 stag; /* QinQ S-tag, 0 if not given */
	__u16 vlan; /* the private peering's VLAN (C-tag), 0 if not given */
	char gw_port[IF_NAMESIZE]; /* gateway-port, "" if not given */
	int port_line, stag_line, vlan_line, gw_port_line;
	enum fp_circuit_type type;
	__u32 bandwidth; /* Mbps */
	__u32 port_speed; /* Mbps, Direct only; 0: from the bandwidth */
	bool premium;
	char region[FP_NAME_MAX];
	char location[FP_NAME_MAX]; /* peering location, "" if not given */
	char owner[FP_NAME_MAX];
	enum fp_profile profile;
	__u32 ip_budget; /* 0: the port's */
	int budget_line, profile_line;
	unsigned int seen; /* keys given, 1 << enum in config.c */
};

struct fp_cfg_excl {
	int line;
	struct fp_prefix prefix;
	__u32 class;
};

struct fp_cfg_vnet {
	int line;
	char name[FP_NAME_MAX];
	struct fp_prefix *spaces;
	int *space_lines;
	size_t nspaces;
	char (*ports)[IF_NAMESIZE];
	int *port_lines;
	size_t nports;
	char (*peerings)[FP_NAME_MAX];
	int *peering_lines;
	size_t npeerings;
	struct fp_cfg_excl *excls;
	size_t nexcls;
	char region[FP_NAME_MAX];
	char owner[FP_NAME_MAX];
};

struct fp_cfg_conn {
	int line;
	char name[FP_NAME_MAX];
	char vnet[FP_NAME_MAX];
	char circuit[FP_NAME_MAX];
	bool fastpath;
	char authorization[FP_NAME_MAX];
	int auth_line;
	unsigned int seen;
};

struct fp_config {
	char file[256];
	struct fp_cfg_gateway gateway;
	struct fp_cfg_port *ports;
	size_t nports;
	struct fp_cfg_circuit *circuits;
	size_t ncircuits;
	struct fp_cfg_vnet *vnets;
	size_t nvnets;
	struct fp_cfg_conn *conns;
	size_t nconns;
};

/*
 * Parses text (name is the file name for messages) into cfg; findings go
 * to d. Returns 0, or -ENOMEM. A config with errors in d is not usable.
 */
int fp_config__parse_string(struct fp_config *cfg, const char *name,
			    const char *text, struct fp_diag *d);
/* The same from a file; -errno (and a finding) when it cannot be read. */
int fp_config__parse_file(struct fp_config *cfg, const char *path,
			  struct fp_diag *d);
void fp_config__free(struct fp_config *cfg);

const struct fp_cfg_port *fp_config__port(const struct fp_config *cfg,
					  const char *name);
const struct fp_cfg_circuit *fp_config__circuit(const struct fp_config *cfg,
						const char *name);
const struct fp_cfg_vnet *fp_config__vnet(const struct fp_config *cfg,
					  const char *name);

const char *fp_sku_name(enum fp_sku sku);
/* "10G", "500M": a bandwidth in Mbps for messages. */
const char *fp_bandwidth_name(__u32 mbps, char *buf, size_t n);

#endif
