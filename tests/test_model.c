// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the ExpressRoute model: the config parser (loader/config.c)
 * and the rules and plan (loader/model.c). Each rule of issue 6 has a
 * config that keeps it and one that breaks it; a broken rule must be a
 * finding on the line that breaks it, naming the object and the rule.
 * Pure: configs are inline text, interfaces a list, state built here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "model.h"
#include "state.h"
#include "check.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define KEY_A "0a1b2c3d-0000-4000-8000-00000000000a"
#define KEY_B "0a1b2c3d-0000-4000-8000-00000000000b"

/* ---- fixtures ------------------------------------------------------------ */

/* Interfaces that exist: gw0, vm1 .. vm9 and up1 .. up32. */
static bool known_iface(const char *name, void *ctx)
{
	static const char *const fixed[] = { "gw0", "vm1", "vm2", "vm3", "vm4",
					     "vm5", "vm6", "vm7", "vm8", "vm9" };
	char *end;
	long n;

	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
		if (!strcmp(name, fixed[i]))
			return true;
	if (strncmp(name, "up", 2) || !name[2])
		return false;
	n = strtol(name + 2, &end, 10);
	return !*end && n >= 1 && n <= 32;
}

static const struct fp_world world = { .iface_exists = known_iface };

struct fx {
	struct fp_config cfg;
	struct fp_diag d;
	struct fp_plan plan;
	struct fp_state next;
};

static void fx_free(struct fx *f)
{
	fp_config__free(&f->cfg);
	fp_diag__free(&f->d);
	fp_plan__free(&f->plan);
	fp_state__free(&f->next);
}

static void dump(const struct fp_diag *d)
{
	print_error("  %zu findings (%d errors, %d warnings):\n", d->n,
		    d->errors, d->warnings);
	for (size_t i = 0; i < d->n; i++)
		print_error("    %s\n", d->msg[i]);
}

/* Parses text into f, whatever it finds. */
static void parse(struct fx *f, const char *text)
{
	int ret;

	memset(f, 0, sizeof(*f));
	ret = fp_config__parse_string(&f->cfg, "test.conf", text, &f->d);
	check_int("fp_config__parse_string return", 0, ret);
}

/* Plans the parsed config from state st (an empty one when NULL). */
static void plan(struct fx *f, const struct fp_state *st)
{
	static const struct fp_state empty;
	int ret;

	ret = fp_model__plan(&f->cfg, st ? st : &empty, &world, &f->plan,
			     &f->next, &f->d);
	check_int("fp_model__plan return", 0, ret);
}

static void check_clean(const struct fp_diag *d, int warnings)
{
	if (d->errors || d->warnings != warnings) {
		print_error(
			"expected 0 errors and %d warnings, saw %d and %d\n",
			warnings, d->errors, d->warnings);
		dump(d);
		fail();
		abort();
	}
}

static void check_errors(const struct fp_diag *d, int errors)
{
	if (d->errors != errors) {
		print_error("expected %d errors, saw %d\n", errors, d->errors);
		dump(d);
		fail();
		abort();
	}
}

/*
 * A finding "LINE: error: ..." (or warning) naming every one of subs
 * (NULL-terminated); fails showing what there was instead.
 */
static void check_finding(const struct fp_diag *d, const char *kind, int line,
			  const char *const *subs)
{
	char head[32];
	int n;

	n = snprintf(head, sizeof(head), "%d: %s: ", line, kind);
	for (size_t i = 0; i < d->n; i++) {
		bool all = !strncmp(d->msg[i], head, n);

		for (const char *const *s = subs; all && *s; s++)
			all = strstr(d->msg[i] + n, *s) != NULL;
		if (all)
			return;
	}
	print_error("expected a finding \"%s...\" naming", head);
	for (const char *const *s = subs; *s; s++)
		print_error(" \"%s\"", *s);
	print_error("; saw none\n");
	dump(d);
	fail();
	abort();
}

#define check_error(d, line, ...)           \
	check_finding((d), "error", (line), \
		      (const char *const[]){ __VA_ARGS__, NULL })
#define check_warning(d, line, ...)           \
	check_finding((d), "warning", (line), \
		      (const char *const[]){ __VA_ARGS__, NULL })
#define check_note(d, line, ...)           \
	check_finding((d), "note", (line), \
		      (const char *const[]){ __VA_ARGS__, NULL })

/* The line of text holding needle, which must be there exactly once. */
static int line_of(const char *text, const char *needle)
{
	const char *at = strstr(text, needle);
	int line = 1;

	if (!at || strstr(at + 1, needle)) {
		print_error("test text: expected \"%s\" once, saw it %s\n",
			    needle, at ? "twice or more" : "nowhere");
		fail();
		abort();
	}
	for (const char *p = text; p < at; p++)
		line += *p == '\n';
	return line;
}

/* Config text built line by line, each add() returning its line number. */
struct text {
	char *s;
	size_t len, cap;
	int lines;
};

__attribute__((format(printf, 2, 3))) static int add(struct text *t,
						     const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->s ? t->s + t->len : NULL,
			      t->s ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		if (t->s && t->len + n + 1 < t->cap)
			break;
		t->cap = 2 * (t->cap + n + 2);
		t->s = realloc(t->s, t->cap);
		check_true("config text allocated", t->s != NULL);
	}
	t->len += n;
	t->s[t->len++] = '\n';
	t->s[t->len] = 0;
	return ++t->lines;
}

static void text_free(struct text *t)
{
	free(t->s);
	memset(t, 0, sizeof(*t));
}

/* ---- plan look-ups ------------------------------------------------------- */

static struct fp_prefix prefix(const char *s)
{
	struct fp_prefix p;

	check_int(s, 0, fp_parse_prefix(s, &p));
	return p;
}

static const struct fp_plan_circuit *plan_circuit(const struct fp_plan *p,
						  const char *name)
{
	for (size_t i = 0; i < p->ncircuits; i++)
		if (!strcmp(p->circuits[i].name, name))
			return &p->circuits[i];
	print_error("plan: expected circuit %s, saw none of %zu\n", name,
		    p->ncircuits);
	fail();
	abort();
}

static const struct fp_plan_conn *
plan_conn(const struct fp_plan *p, const char *vnet, const char *circuit)
{
	for (size_t i = 0; i < p->nconns; i++)
		if (!strcmp(p->conns[i].vnet_name, vnet) &&
		    !strcmp(p->conns[i].circuit_name, circuit))
			return &p->conns[i];
	print_error("plan: expected a link vnet %s - circuit %s, saw none of "
		    "%zu\n",
		    vnet, circuit, p->nconns);
	fail();
	abort();
}

static __u32 id_of(const struct fp_id *ids, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(ids[i].name, name))
			return ids[i].id;
	return 0;
}

#define vnet_id(st, name) id_of((st)->vnet_ids, (st)->nvnet_ids, (name))
#define circuit_id(st, name) \
	id_of((st)->circuit_ids, (st)->ncircuit_ids, (name))

/* The class of an exclusion of the plan, or -1 when there is none. */
static int plan_excl(const struct fp_plan *p, const char *s)
{
	struct fp_prefix want = prefix(s);

	for (size_t i = 0; i < p->nexcls; i++)
		if (fp_prefix__equal(&p->excls[i].prefix, &want))
			return (int)p->excls[i].class;
	return -1;
}

/* The VNet id of an address space of the plan, or 0 when there is none. */
static __u32 plan_space(const struct fp_plan *p, const char *s)
{
	struct fp_prefix want = prefix(s);

	for (size_t i = 0; i < p->nspaces; i++)
		if (fp_prefix__equal(&p->spaces[i].prefix, &want))
			return p->spaces[i].vnet;
	return 0;
}

static bool plan_port(const struct fp_plan *p, const char *name)
{
	for (size_t i = 0; i < p->nports; i++)
		if (!strcmp(p->ports[i].name, name))
			return true;
	return false;
}

/* The VNet id behind a port of the plan, 0 when none (or no such port). */
static __u32 plan_port_vnet(const struct fp_plan *p, const char *name)
{
	for (size_t i = 0; i < p->nports; i++)
		if (!strcmp(p->ports[i].name, name))
			return p->ports[i].vnet;
	return 0;
}

/* ---- a whole valid config ------------------------------------------------ */

static const char full_conf[] =
	"# xdp-fastpath: one host, three circuits, three VNets\n"
	"; both comment characters start a line\n"
	"[gateway]\n"
	"name = gw1 ; an inline comment after a blank\n"
	"sku = ergw3az # the other inline comment; SKUs ignore case\n"
	"namespace = gwns\n"
	"port = gw0\n"
	"\n"
	"[circuit c-direct]\n"
	"uplink = up1\n"
	"type = direct\n"
	"bandwidth = 10G\n"
	"premium = yes\n"
	"region = westeurope\n"
	"owner = alice\n"
	"profile = direct-2025\n"
	"ip-budget = 50000\n"
	"\n"
	"[circuit c-prov]\n"
	"  uplink = up2\n"
	"type = provider\n"
	"bandwidth = 1 Gbps\n"
	"region = westeurope\n"
	"owner = alice\n"
	"\n"
	"[circuit c-big]\n"
	"uplink = up3\n"
	"type = direct\n"
	"bandwidth = 40G\n"
	"owner = alice\n"
	"\n"
	"[vnet hub]\n"
	"address-space = 10.1.0.0/16\n"
	"address-space = 2001:db8:1::/48\n"
	"port = vm1\n"
	"port = vm2\n"
	"peering = spoke\n"
	"exclude = private-link 10.1.5.0/24\n"
	"region = westeurope\n"
	"owner = alice\n"
	"\n"
	"[vnet spoke]\n"
	"address-space = 10.2.0.0/16\n"
	"port = vm3\n"
	"owner = alice\n"
	"\n"
	"[vnet other]\n"
	"address-space = 10.3.0.0/16\n"
	"port = vm4\n"
	"owner = bob\n"
	"\n"
	"[connection hub-direct]\n"
	"vnet = hub\n"
	"circuit = c-direct\n"
	"\n"
	"[connection hub-prov]\n"
	"vnet = hub\n"
	"circuit = c-prov\n"
	"fastpath = on\n"
	"\n"
	"[connection other-big]\n"
	"vnet = other\n"
	"circuit = c-big\n"
	"fastpath = off\n"
	"authorization = " KEY_A "\n";

static void test_full_config_parses(void **state)
{
	const struct fp_cfg_circuit *c;
	const struct fp_cfg_vnet *v;
	struct fx f;

	parse(&f, full_conf);
	check_clean(&f.d, 0);
	check_int("gateway line", line_of(full_conf, "[gateway]"),
		  f.cfg.gateway.line);
	check_str("gateway name (inline ; comment cut)", "gw1",
		  f.cfg.gateway.name);
	check_int("gateway sku (inline # comment cut)", FP_SKU_ERGW3AZ,
		  f.cfg.gateway.sku);
	check_str("gateway namespace", "gwns", f.cfg.gateway.netns);
	check_str("gateway port", "gw0", f.cfg.gateway.port);
	check_int("circuits", 3, f.cfg.ncircuits);
	check_int("vnets", 3, f.cfg.nvnets);
	check_int("connections", 3, f.cfg.nconns);

	c = fp_config__circuit(&f.cfg, "c-direct");
	check_true("circuit c-direct parsed", c != NULL);
	check_int("c-direct line", line_of(full_conf, "[circuit c-direct]"),
		  c->line);
	check_int("c-direct type", FP_CIRCUIT_DIRECT, c->type);
	check_int("c-direct bandwidth", 10000, c->bandwidth);
	check_true("c-direct premium", c->premium);
	check_str("c-direct region", "westeurope", c->region);
	check_int("c-direct profile", FP_PROFILE_DIRECT_2025, c->profile);
	check_int("c-direct ip-budget", 50000, c->ip_budget);

	c = fp_config__circuit(&f.cfg, "c-prov");
	check_true("circuit c-prov parsed", c != NULL);
	check_str("c-prov uplink (indented line)", "up2", c->uplink);
	check_int("c-prov type", FP_CIRCUIT_PROVIDER, c->type);
	check_int("c-prov bandwidth (1 Gbps)", 1000, c->bandwidth);
	check_true("c-prov not premium", !c->premium);
	check_int("c-prov profile (default)", FP_PROFILE_2020, c->profile);

	v = fp_config__vnet(&f.cfg, "hub");
	check_true("vnet hub parsed", v != NULL);
	check_int("hub spaces", 2, v->nspaces);
	check_int("hub space 2 line",
		  line_of(full_conf, "address-space = 2001:db8:1::/48"),
		  v->space_lines[1]);
	check_int("hub ports", 2, v->nports);
	check_str("hub port 2", "vm2", v->ports[1]);
	check_int("hub peerings", 1, v->npeerings);
	check_str("hub peering", "spoke", v->peerings[0]);
	check_int("hub exclusions", 1, v->nexcls);
	check_int("hub exclusion class", FP_CLASS_PRIVATE_LINK,
		  v->excls[0].class);

	check_true("connection hub-direct fastpath (default on)",
		   f.cfg.conns[0].fastpath);
	check_true("connection hub-prov fastpath on", f.cfg.conns[1].fastpath);
	check_true("connection other-big fastpath off",
		   !f.cfg.conns[2].fastpath);
	check_str("other-big authorization", KEY_A,
		  f.cfg.conns[2].authorization);
	check_int("other-big authorization line",
		  line_of(full_conf, "authorization ="),
		  f.cfg.conns[2].auth_line);
	fx_free(&f);
}

static void test_full_config_plan(void **state)
{
	struct fp_auth auth = { .circuit = "c-big",
				.name = "a1",
				.key = KEY_A };
	struct fp_state st = { .auths = &auth, .nauths = 1 };
	const struct fp_plan_circuit *pc;
	const struct fp_plan_conn *pk;
	__u32 hub, spoke, other;
	struct fx f;

	parse(&f, full_conf);
	plan(&f, &st);
	/* The one finding: hub's IPv6 over a provider circuit. */
	check_clean(&f.d, 1);
	check_warning(&f.d, line_of(full_conf, "[connection hub-prov]"),
		      "hub-prov", "provider circuit c-prov carries IPv6",
		      "no IPv6 FastPath");

	check_int("plan circuits", 3, f.plan.ncircuits);
	pc = plan_circuit(&f.plan, "c-direct");
	check_int("c-direct id", 1, pc->id);
	check_str("c-direct uplink", "up1", pc->uplink);
	check_int("c-direct budget (ip-budget below the port's)", 50000,
		  pc->budget);
	check_int("c-direct xallow (direct-2025)",
		  1U << FP_CLASS_PEERING | 1U << FP_CLASS_PRIVATE_LINK |
			  1U << FP_CLASS_UDR,
		  pc->xallow);
	pc = plan_circuit(&f.plan, "c-prov");
	check_int("c-prov id", 2, pc->id);
	check_int("c-prov budget (provider)", FP_BUDGET_PROVIDER, pc->budget);
	check_int("c-prov xallow (2020)", 1U << FP_CLASS_UDR, pc->xallow);
	pc = plan_circuit(&f.plan, "c-big");
	check_int("c-big id", 3, pc->id);
	check_int("c-big budget (40G: a 100G port)", FP_BUDGET_DIRECT_100G,
		  pc->budget);

	hub = vnet_id(&f.next, "hub");
	spoke = vnet_id(&f.next, "spoke");
	other = vnet_id(&f.next, "other");
	check_int("hub id", 1, hub);
	check_int("spoke id", 2, spoke);
	check_int("other id", 3, other);

	check_int("plan spaces", 4, f.plan.nspaces);
	check_int("space 10.1.0.0/16 vnet", hub,
		  plan_space(&f.plan, "10.1.0.0/16"));
	check_int("space 2001:db8:1::/48 vnet", hub,
		  plan_space(&f.plan, "2001:db8:1::/48"));
	check_int("space 10.2.0.0/16 vnet", spoke,
		  plan_space(&f.plan, "10.2.0.0/16"));
	check_int("space 10.3.0.0/16 vnet", other,
		  plan_space(&f.plan, "10.3.0.0/16"));

	/* Three connections and two peerings through the hub's. */
	check_int("plan links", 5, f.plan.nconns);
	pk = plan_conn(&f.plan, "hub", "c-direct");
	check_str("hub-direct name", "hub-direct", pk->name);
	check_int("hub-direct ids", hub * 100 + 1,
		  pk->vnet * 100 + pk->circuit);
	check_int("hub-direct flags (ErGw3AZ, Direct: v4 and v6)",
		  FP_CONN_F_LINKED | FP_CONN_F_FAST4 | FP_CONN_F_FAST6,
		  pk->flags);
	pk = plan_conn(&f.plan, "hub", "c-prov");
	check_int("hub-prov flags (provider: IPv4 only)",
		  FP_CONN_F_LINKED | FP_CONN_F_FAST4, pk->flags);
	pk = plan_conn(&f.plan, "other", "c-big");
	check_int("other-big flags (fastpath off)", FP_CONN_F_LINKED,
		  pk->flags);
	pk = plan_conn(&f.plan, "spoke", "c-direct");
	check_str("spoke over c-direct: the hub's connection", "hub-direct",
		  pk->name);
	check_int("spoke over c-direct ids", spoke * 100 + 1,
		  pk->vnet * 100 + pk->circuit);
	/* The hub's link, in the spoke's one family. */
	check_int("spoke over c-direct flags (IPv4: the spoke's only)",
		  FP_CONN_F_LINKED | FP_CONN_F_FAST4 | FP_CONN_F_PEERED,
		  pk->flags);
	pk = plan_conn(&f.plan, "spoke", "c-prov");
	check_int("spoke over c-prov flags",
		  FP_CONN_F_LINKED | FP_CONN_F_FAST4 | FP_CONN_F_PEERED,
		  pk->flags);

	check_int("plan exclusions", 2, f.plan.nexcls);
	check_int("exclusion 10.1.5.0/24 class", FP_CLASS_PRIVATE_LINK,
		  plan_excl(&f.plan, "10.1.5.0/24"));
	check_int("spoke's space: a peering exclusion", FP_CLASS_PEERING,
		  plan_excl(&f.plan, "10.2.0.0/16"));

	check_int("plan ports", 4, f.plan.nports);
	for (int i = 1; i <= 4; i++) {
		char name[8], what[32];

		snprintf(name, sizeof(name), "vm%d", i);
		snprintf(what, sizeof(what), "plan port %s", name);
		check_true(what, plan_port(&f.plan, name));
	}
	/* Each port carries the id of the VNet it is `port =` of. */
	check_true("hub has an id", plan_space(&f.plan, "10.1.0.0/16") != 0);
	check_int("vm1: hub's", plan_space(&f.plan, "10.1.0.0/16"),
		  plan_port_vnet(&f.plan, "vm1"));
	check_int("vm2: hub's", plan_space(&f.plan, "10.1.0.0/16"),
		  plan_port_vnet(&f.plan, "vm2"));
	check_int("vm3: spoke's", plan_space(&f.plan, "10.2.0.0/16"),
		  plan_port_vnet(&f.plan, "vm3"));
	check_int("vm4: other's", plan_space(&f.plan, "10.3.0.0/16"),
		  plan_port_vnet(&f.plan, "vm4"));

	check_int("next: authorizations", 1, f.next.nauths);
	check_str("next: authorization a1 redeemed by", "other-big",
		  f.next.auths[0].connection);
	check_int("next: connections", 3, f.next.nconns);
	check_true("next: connection other-big recorded",
		   fp_state__conn(&f.next, "other-big") != NULL);
	check_str("next: other-big key", KEY_A,
		  fp_state__conn(&f.next, "other-big")->key);
	check_str("next: hub-prov circuit", "c-prov",
		  fp_state__conn(&f.next, "hub-prov")->circuit);
	check_int("next: applied plan links", 5, f.next.applied.nconns);
	check_int("next: circuit ids", 3, f.next.ncircuit_ids);
	check_int("next: c-big id", 3, circuit_id(&f.next, "c-big"));
	/* The input state is not touched. */
	check_str("input state: a1 not redeemed", "", auth.connection);
	fx_free(&f);
}

/* ---- syntax -------------------------------------------------------------- */

#define CIRCUIT_OK \
	"[circuit c1]\nuplink = up1\ntype = direct\nbandwidth = 10G\n"

struct syntax_case {
	const char *name;
	const char *good; /* parses with no finding */
	const char *bad;
	const char *at; /* the text of bad's line with the error */
	const char *subs[4];
};

static void test_syntax(void **state)
{
	static const struct syntax_case cases[] = {
		{ "unknown section kind",
		  CIRCUIT_OK,
		  "[router r1]\nuplink = up1\n",
		  "[router r1]",
		  { "router r1", "unknown section kind router" } },
		{ "unknown section kind, no keys",
		  CIRCUIT_OK,
		  CIRCUIT_OK "[router r1]\n",
		  "[router r1]",
		  { "router r1", "unknown section kind" } },
		{ "section without a name",
		  CIRCUIT_OK,
		  "[circuit]\nuplink = up1\n",
		  "[circuit]",
		  { "[circuit]", "expected [gateway], [circuit NAME]" } },
		{ "section name with a bad character",
		  CIRCUIT_OK,
		  "[circuit c/1]\nuplink = up1\n",
		  "[circuit c/1]",
		  { "c/1", "names: letters, digits" } },
		{ "unknown key",
		  CIRCUIT_OK,
		  CIRCUIT_OK "colour = blue\n",
		  "colour",
		  { "[circuit c1]", "unknown key colour" } },
		{ "unknown gateway key",
		  "[gateway]\nsku = ErGw3AZ\n",
		  "[gateway]\nsku = ErGw3AZ\nspeed = 1\n",
		  "speed",
		  { "[gateway]", "unknown key speed" } },
		{ "bandwidth not in the list",
		  CIRCUIT_OK,
		  "[circuit c1]\nuplink = up1\ntype = direct\n"
		  "bandwidth = 300M\n",
		  "300M",
		  { "[circuit c1] bandwidth = 300M",
		    "not an ExpressRoute bandwidth" } },
		{ "bandwidth not a number",
		  "[circuit c1]\nuplink = up1\ntype = direct\n"
		  "bandwidth = 500 Mbps\n",
		  "[circuit c1]\nuplink = up1\ntype = direct\n"
		  "bandwidth = fast\n",
		  "fast",
		  { "bandwidth = fast", "expected a bandwidth" } },
		{ "type neither direct nor provider",
		  CIRCUIT_OK,
		  "[circuit c1]\nuplink = up1\ntype = metro\n"
		  "bandwidth = 10G\n",
		  "metro",
		  { "[circuit c1] type = metro",
		    "expected direct or provider" } },
		{ "premium not a boolean",
		  CIRCUIT_OK "premium = no\n",
		  CIRCUIT_OK "premium = gold\n",
		  "gold",
		  { "premium = gold", "expected yes or no" } },
		{ "port-speed not a Direct port",
		  CIRCUIT_OK "port-speed = 100G\n",
		  CIRCUIT_OK "port-speed = 40G\n",
		  "port-speed",
		  { "port-speed = 40G", "Direct port is 10G or 100G" } },
		{ "unknown profile",
		  CIRCUIT_OK "profile = 2020\n",
		  CIRCUIT_OK "profile = 2024\n",
		  "2024",
		  { "profile = 2024", "expected 2020 or direct-2025" } },
		{ "ip-budget not a number",
		  CIRCUIT_OK "ip-budget = 1000\n",
		  CIRCUIT_OK "ip-budget = lots\n",
		  "lots",
		  { "ip-budget = lots", "expected 1 to 1000000" } },
		{ "unknown SKU",
		  "[gateway]\nsku = ErGw2AZ\n",
		  "[gateway]\nsku = ErGw4AZ\n",
		  "ErGw4AZ",
		  { "sku = ErGw4AZ", "unknown gateway SKU" } },
		{ "scale-units out of range",
		  "[gateway]\nsku = ErGwScale\nscale-units = 40\n",
		  "[gateway]\nsku = ErGwScale\nscale-units = 41\n",
		  "41",
		  { "scale-units = 41", "expected 1 to 40" } },
		{ "fastpath = maybe",
		  "[connection k1]\nvnet = v1\ncircuit = c1\nfastpath = off\n",
		  "[connection k1]\nvnet = v1\ncircuit = c1\n"
		  "fastpath = maybe\n",
		  "maybe",
		  { "[connection k1] fastpath = maybe",
		    "expected on or off" } },
		{ "bad prefix",
		  "[vnet v1]\naddress-space = 10.0.0.0/24\n",
		  "[vnet v1]\naddress-space = 10.0.0/24\n",
		  "10.0.0/24",
		  { "[vnet v1] address-space = 10.0.0/24",
		    "expected a prefix" } },
		{ "prefix with host bits set",
		  "[vnet v1]\naddress-space = 2001:db8::/64\n",
		  "[vnet v1]\naddress-space = 10.0.0.1/24\n",
		  "10.0.0.1/24",
		  { "address-space = 10.0.0.1/24", "no host bits set" } },
		{ "exclusion with an unknown class",
		  "[vnet v1]\naddress-space = 10.0.0.0/24\n"
		  "exclude = basic-lb 10.0.0.0/28\n",
		  "[vnet v1]\naddress-space = 10.0.0.0/24\n"
		  "exclude = firewall 10.0.0.0/28\n",
		  "firewall",
		  { "exclude = firewall", "unknown class" } },
		{ "exclusion with host bits set",
		  "[vnet v1]\naddress-space = 10.0.0.0/24\n"
		  "exclude = other 10.0.0.16/28\n",
		  "[vnet v1]\naddress-space = 10.0.0.0/24\n"
		  "exclude = other 10.0.0.1/28\n",
		  "10.0.0.1/28",
		  { "exclude = other 10.0.0.1/28", "host bits" } },
		{ "authorization key too short",
		  "[connection k1]\nvnet = v1\ncircuit = c1\n"
		  "authorization = " KEY_A "\n",
		  "[connection k1]\nvnet = v1\ncircuit = c1\n"
		  "authorization = 0a1b2c3d\n",
		  "0a1b2c3d",
		  { "[connection k1] authorization = 0a1b2c3d",
		    "expected a key" } },
		{ "authorization key in upper case",
		  "[connection k1]\nvnet = v1\ncircuit = c1\n"
		  "authorization = " KEY_B "\n",
		  "[connection k1]\nvnet = v1\ncircuit = c1\n"
		  "authorization = 0A1B2C3D-0000-4000-8000-00000000000B\n",
		  "0A1B",
		  { "authorization = 0A1B", "expected a key" } },
		{ "key outside any section",
		  CIRCUIT_OK,
		  "uplink = up1\n" CIRCUIT_OK "\n",
		  "uplink = up1\n[",
		  { "uplink = up1", "outside any section" } },
		{ "neither a section nor key = value",
		  CIRCUIT_OK,
		  CIRCUIT_OK "premium\n",
		  "premium",
		  { "not a [section] or a key = value line" } },
		{ "a section header without its bracket",
		  CIRCUIT_OK,
		  CIRCUIT_OK "[vnet v1\n",
		  "[vnet",
		  { "not a [section] or a key = value line" } },
		{ "circuit defined twice",
		  CIRCUIT_OK,
		  CIRCUIT_OK "[vnet v1]\naddress-space = 10.0.0.0/24\n"
			     "[circuit c1]\nowner = x\n",
		  "owner",
		  { "circuit c1", "defined twice (first at line 1)" } },
		{ "circuit defined twice in a row",
		  CIRCUIT_OK,
		  CIRCUIT_OK "\n[circuit c1]\nowner = x\n",
		  "owner",
		  { "circuit c1", "defined twice (first at line 1)" } },
		{ "vnet defined twice",
		  "[vnet v1]\naddress-space = 10.0.0.0/24\n",
		  "[vnet v1]\naddress-space = 10.0.0.0/24\n"
		  "[vnet v2]\naddress-space = 10.0.1.0/24\n"
		  "[vnet v1]\naddress-space = 10.0.2.0/24\n",
		  "10.0.2.0",
		  { "vnet v1", "defined twice (first at line 1)" } },
		{ "connection defined twice",
		  "[connection k1]\nvnet = v1\ncircuit = c1\n",
		  "[connection k1]\nvnet = v1\ncircuit = c1\n"
		  "[connection k2]\nvnet = v2\ncircuit = c1\n"
		  "[connection k1]\nvnet = v3\ncircuit = c1\n",
		  "v3",
		  { "connection k1", "defined twice (first at line 1)" } },
		{ "port speed not a Direct port's",
		  "[port p1]\nuplink = up1\nspeed = 100G\n"
		  "encapsulation = dot1q\n",
		  "[port p1]\nuplink = up1\nspeed = 40G\n"
		  "encapsulation = dot1q\n",
		  "40G",
		  { "[port p1] speed = 40G", "Direct port is 10G or 100G" } },
		{ "port encapsulation neither dot1q nor qinq",
		  "[port p1]\nuplink = up1\nspeed = 10G\n"
		  "encapsulation = QinQ\n",
		  "[port p1]\nuplink = up1\nspeed = 10G\n"
		  "encapsulation = vxlan\n",
		  "vxlan",
		  { "encapsulation = vxlan", "expected dot1q or qinq" } },
		{ "unknown port key",
		  "[port p1]\nuplink = up1\nspeed = 10G\n"
		  "encapsulation = dot1q\n",
		  "[port p1]\nuplink = up1\nspeed = 10G\n"
		  "encapsulation = dot1q\nmtu = 9000\n",
		  "mtu",
		  { "[port p1]", "unknown key mtu" } },
		{ "port defined twice",
		  "[port p1]\nuplink = up1\nspeed = 10G\n"
		  "encapsulation = dot1q\n",
		  "[port p1]\nuplink = up1\nspeed = 10G\n"
		  "encapsulation = dot1q\n[port p1]\nuplink = up9\n",
		  "up9",
		  { "port p1", "defined twice (first at line 1)" } },
		{ "a circuit's port with a bad character",
		  CIRCUIT_OK "port = p-1.a_b\n",
		  CIRCUIT_OK "port = p/1\n",
		  "p/1",
		  { "port = p/1", "names: letters, digits" } },
		/* VLAN IDs: 1 to 4094 (802.1Q: 0 and 4095 are no VLAN's). */
		{ "vlan 4095",
		  CIRCUIT_OK "vlan = 4094\n",
		  CIRCUIT_OK "vlan = 4095\n",
		  "4095",
		  { "[circuit c1] vlan = 4095",
		    "VLAN ID 4095 is reserved by 802.1Q",
		    "expected 1 to 4094" } },
		{ "vlan 0",
		  CIRCUIT_OK "vlan = 1\n",
		  CIRCUIT_OK "vlan = 0\n",
		  "vlan",
		  { "[circuit c1] vlan = 0",
		    "VLAN ID 0 is no VLAN (802.1Q: a priority-tagged frame)",
		    "expected 1 to 4094" } },
		{ "s-tag 4095",
		  CIRCUIT_OK "s-tag = 4094\n",
		  CIRCUIT_OK "s-tag = 4095\n",
		  "4095",
		  { "[circuit c1] s-tag = 4095",
		    "VLAN ID 4095 is reserved by 802.1Q" } },
		{ "s-tag 0",
		  CIRCUIT_OK "s-tag = 1\n",
		  CIRCUIT_OK "s-tag = 0\n",
		  "s-tag",
		  { "[circuit c1] s-tag = 0", "VLAN ID 0 is no VLAN" } },
		{ "vlan past 12 bits",
		  CIRCUIT_OK "vlan = 100\n",
		  CIRCUIT_OK "vlan = 5000\n",
		  "5000",
		  { "vlan = 5000", "expected a VLAN ID, 1 to 4094" } },
		{ "vlan not a number",
		  CIRCUIT_OK "vlan = 100\n",
		  CIRCUIT_OK "vlan = ten\n",
		  "ten",
		  { "vlan = ten", "expected a VLAN ID, 1 to 4094" } },
		{ "gateway defined twice",
		  "[gateway]\nsku = ErGw3AZ\n",
		  "[gateway]\nsku = ErGw3AZ\n" CIRCUIT_OK
		  "[gateway]\nname = g2\n",
		  "g2",
		  { "[gateway]", "defined twice (first at line 1)" } },
	};
	char what[160];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct syntax_case *c = &cases[i];
		const char *const *subs = c->subs;
		struct fx f;
		int line;

		print_message("syntax: %s\n", c->name);
		parse(&f, c->good);
		snprintf(what, sizeof(what), "%s: the valid config", c->name);
		if (f.d.n) {
			print_error("%s: expected no finding\n", what);
			dump(&f.d);
			fail();
			abort();
		}
		fx_free(&f);

		parse(&f, c->bad);
		line = line_of(c->bad, c->at);
		/* The duplicates are reported on their section's line. */
		if (strstr(c->name, "twice"))
			line = line_of(c->bad, c->at) - 1;
		check_finding(&f.d, "error", line, subs);
		fx_free(&f);
	}
}

/* Each required key, missing, is an error on its object's section line. */
static void test_required_keys(void **state)
{
	static const struct {
		const char *text, *at, *sub;
		int errors;
	} cases[] = {
		{ "\n[circuit c1]\ntype = direct\nbandwidth = 10G\n",
		  "[circuit c1]", "circuit c1: no uplink", 1 },
		{ "\n[circuit c1]\nuplink = up1\nbandwidth = 10G\n",
		  "[circuit c1]", "circuit c1: no type", 1 },
		{ "\n[circuit c1]\nuplink = up1\ntype = direct\n",
		  "[circuit c1]", "circuit c1: no bandwidth", 1 },
		{ "# c1 is only named\n[circuit c1]\n", "[circuit c1]",
		  "circuit c1: no uplink", 3 },
		{ "\n[connection k1]\ncircuit = c1\n", "[connection k1]",
		  "connection k1: no vnet", 1 },
		{ "\n[connection k1]\nvnet = v1\n", "[connection k1]",
		  "connection k1: no circuit", 1 },
		{ "\n[connection k1]\n", "[connection k1]",
		  "connection k1: no circuit", 2 },
		{ "[gateway]\n" CIRCUIT_OK, "[gateway]", "[gateway]: no sku",
		  1 },
		{ "\n[port p1]\nspeed = 10G\nencapsulation = qinq\n",
		  "[port p1]", "port p1: no uplink (uplink = IFACE", 1 },
		{ "\n[port p1]\nuplink = up1\nencapsulation = qinq\n",
		  "[port p1]", "port p1: no speed (speed = 10G or 100G)", 1 },
		{ "\n[port p1]\nuplink = up1\nspeed = 10G\n", "[port p1]",
		  "port p1: no encapsulation (encapsulation = dot1q or qinq",
		  1 },
		{ "\n[port p1]\n", "[port p1]", "port p1: no encapsulation",
		  3 },
		/* A circuit on a port has the port's uplink: no uplink key. */
		{ "\n[circuit c1]\nport = p1\nbandwidth = 10G\n",
		  "[circuit c1]", "circuit c1: no type", 1 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct fx f;

		print_message("required: %s\n", cases[i].sub);
		parse(&f, cases[i].text);
		if (strstr(cases[i].sub, "sku"))
			plan(&f, NULL); /* a rule, not a key of the parser */
		check_error(&f.d, line_of(cases[i].text, cases[i].at),
			    cases[i].sub);
		check_errors(&f.d, cases[i].errors);
		fx_free(&f);
	}
}

static void test_comments(void **state)
{
	static const char text[] = "# a comment\n"
				   "; another\n"
				   "   # indented\n"
				   "[circuit c1] ; after the header\n"
				   "uplink = up1 ; inline\n"
				   "type = direct # inline\n"
				   "bandwidth = 10G;not a comment\n"
				   "region = west#europe\n"
				   "owner = a ;; b\n";
	struct fx f;

	parse(&f, text);
	/* "10G;not a comment" is a value: no blank before ';'. */
	check_error(&f.d, line_of(text, "bandwidth"),
		    "bandwidth = 10G;not a comment");
	check_errors(&f.d, 1);
	check_int("circuits", 1, f.cfg.ncircuits);
	check_int("circuit line", 4, f.cfg.circuits[0].line);
	check_str("uplink", "up1", f.cfg.circuits[0].uplink);
	check_int("type", FP_CIRCUIT_DIRECT, f.cfg.circuits[0].type);
	check_str("region (# inside a word)", "west#europe",
		  f.cfg.circuits[0].region);
	check_str("owner", "a", f.cfg.circuits[0].owner);
	fx_free(&f);
}

/* Every finding line of a file carries the file's own line numbers. */
static void test_lines_counted(void **state)
{
	struct text t = { 0 };
	int bad[5];
	struct fx f;

	add(&t, "[circuit c1]");
	add(&t, "uplink = up1");
	bad[0] = add(&t, "type = wire");
	for (int i = 0; i < 300; i++)
		add(&t, "# filler %d", i);
	add(&t, "bandwidth = 10G");
	bad[1] = add(&t, "port-speed = 1G");
	add(&t, "[vnet v1]");
	add(&t, "address-space = 10.0.0.0/24");
	bad[2] = add(&t, "garbage line");
	bad[3] = add(&t, "port = vm%0300d", 1);
	bad[4] = add(&t, "more garbage");
	add(&t, "port = vm1");
	parse(&f, t.s);
	check_error(&f.d, bad[0], "type = wire");
	check_error(&f.d, bad[1], "port-speed = 1G");
	check_error(&f.d, bad[2], "not a [section] or a key = value line");
	check_error(&f.d, bad[3], "[vnet v1] port = vm0", "too long");
	check_error(&f.d, bad[4], "not a [section] or a key = value line");
	check_errors(&f.d, 5);
	check_int("vnet v1 ports (the long name refused)", 1,
		  f.cfg.vnets[0].nports);
	fx_free(&f);
	text_free(&t);
}

/* A line of n characters: c repeated after head (n counts head). */
static char *long_line(const char *head, char c, size_t n)
{
	char *s = malloc(n + 1);
	size_t h = strlen(head);

	check_true("line allocated", s != NULL);
	memcpy(s, head, h);
	memset(s + h, c, n - h);
	s[n] = 0;
	return s;
}

/*
 * Lines of any length up to FP_CONFIG_LINE_MAX characters are read whole
 * (libinih's own buffer was 200 bytes); a longer one is one error on its
 * line, and the lines after it keep their numbers.
 */
static void test_long_lines(void **state)
{
	char *comment = long_line("# ", 'x', 300);
	char *inline_c = long_line("uplink = up1 ; ", 'y', 1000);
	char *spaced = long_line("type", ' ', 500);
	char *at_max = long_line("#", 'z', FP_CONFIG_LINE_MAX);
	char *over = long_line("#", 'z', FP_CONFIG_LINE_MAX + 1);
	char *huge = long_line("bandwidth = ", '1', 1 << 20);
	struct text t = { 0 };
	int bad, after;
	struct fx f;

	(void)state;
	add(&t, "%s", comment);
	add(&t, "[circuit c1]");
	add(&t, "%s", inline_c);
	add(&t, "%s= direct", spaced);
	add(&t, "%s", at_max);
	add(&t, "%s\r", at_max);
	add(&t, "bandwidth = 10G");
	parse(&f, t.s);
	check_clean(&f.d, 0);
	check_int("circuits", 1, f.cfg.ncircuits);
	check_int("circuit line (after a 300-character comment)", 2,
		  f.cfg.circuits[0].line);
	check_str("uplink (a 1000-character inline comment)", "up1",
		  f.cfg.circuits[0].uplink);
	check_int("type (500 blanks before =)", FP_CIRCUIT_DIRECT,
		  f.cfg.circuits[0].type);
	check_int("bandwidth", 10000, f.cfg.circuits[0].bandwidth);
	fx_free(&f);
	text_free(&t);

	/* One character more: one error, the next line still counted. */
	add(&t, "[circuit c1]");
	add(&t, "uplink = up1");
	bad = add(&t, "%s", over);
	add(&t, "type = direct");
	after = add(&t, "bandwidth = 3G");
	parse(&f, t.s);
	check_error(&f.d, bad, "line of 65537 characters: at most 65536");
	check_error(&f.d, after, "bandwidth = 3G");
	check_errors(&f.d, 2);
	check_int("type (after the long line)", FP_CIRCUIT_DIRECT,
		  f.cfg.circuits[0].type);
	fx_free(&f);
	text_free(&t);

	/* A megabyte, alone or after three lines, with no newline at its end. */
	parse(&f, huge);
	check_error(&f.d, 1, "line of 1048576 characters: at most 65536");
	check_errors(&f.d, 1);
	fx_free(&f);
	add(&t, "[circuit c1]");
	add(&t, "uplink = up1");
	add(&t, "type = direct");
	add(&t, "%s", huge);
	t.s[--t.len] = 0; /* the newline add() put */
	parse(&f, t.s);
	check_error(&f.d, 4, "line of 1048576 characters: at most 65536");
	check_error(&f.d, 1, "circuit c1: no bandwidth");
	check_errors(&f.d, 2);
	fx_free(&f);
	text_free(&t);
	free(comment);
	free(inline_c);
	free(spaced);
	free(at_max);
	free(over);
	free(huge);
}

/* Names up to FP_NAME_MAX - 1 characters, longer than libinih's sections. */
static void test_long_names(void **state)
{
	char name[FP_NAME_MAX], conn[FP_NAME_MAX], too[FP_NAME_MAX + 1];
	struct text t = { 0 };
	struct fx f;
	int line;

	memset(name, 'c', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	memset(conn, 'k', sizeof(conn) - 1);
	conn[sizeof(conn) - 1] = 0;
	add(&t, "[gateway]");
	add(&t, "sku = ErGw3AZ");
	add(&t, "[circuit %s]", name);
	add(&t, "uplink = up1");
	add(&t, "type = direct");
	add(&t, "bandwidth = 10G");
	add(&t, "[vnet v1]");
	add(&t, "address-space = 10.1.0.0/16");
	add(&t, "[connection %s]", conn);
	add(&t, "vnet = v1");
	add(&t, "circuit = %s", name);
	parse(&f, t.s);
	plan(&f, NULL);
	check_clean(&f.d, 0);
	check_str("circuit name, whole", name, f.cfg.circuits[0].name);
	check_str("connection name, whole", conn, f.cfg.conns[0].name);
	check_str("planned link's circuit", name,
		  plan_conn(&f.plan, "v1", name)->circuit_name);
	fx_free(&f);
	text_free(&t);

	memset(too, 'c', sizeof(too) - 1);
	too[sizeof(too) - 1] = 0;
	line = add(&t, "[circuit %s]", too);
	add(&t, "uplink = up1");
	parse(&f, t.s);
	check_error(&f.d, line, too,
		    "name too long (64 characters; 63 at most)");
	check_errors(&f.d, 1);
	fx_free(&f);
	text_free(&t);
}

/* ---- gateway SKU --------------------------------------------------------- */

/* gateway, a Direct circuit c1 on up1, vnet v1, connection k1. */
static int conf_one(struct text *t, const char *sku, unsigned int units,
		    const char *type, const char *fastpath, bool v6)
{
	if (sku) {
		add(t, "[gateway]");
		add(t, "sku = %s", sku);
		if (units)
			add(t, "scale-units = %u", units);
	}
	add(t, "[circuit c1]");
	add(t, "uplink = up1");
	add(t, "type = %s", type);
	add(t, "bandwidth = 10G");
	add(t, "[vnet v1]");
	add(t, "address-space = 10.1.0.0/16");
	if (v6)
		add(t, "address-space = 2001:db8:1::/48");
	add(t, "port = vm1");
	add(t, "[connection k1]");
	add(t, "vnet = v1");
	add(t, "circuit = c1");
	return add(t, "fastpath = %s", fastpath) - 3;
}

static void test_gateway_sku(void **state)
{
	static const struct {
		const char *sku;
		unsigned int units;
		bool fast;
	} cases[] = {
		{ "UltraPerformance", 0, true },
		{ "ErGw3AZ", 0, true },
		{ "ErGwScale", 10, true },
		{ "ErGwScale", 40, true },
		{ "Standard", 0, false },
		{ "HighPerformance", 0, false },
		{ "ErGw1AZ", 0, false },
		{ "ErGw2AZ", 0, false },
		{ "ErGwScale", 9, false },
		{ "ErGwScale", 1, false },
	};
	char what[128];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *sku = cases[i].sku;
		struct text t = { 0 };
		__u32 want;
		struct fx f;
		int line;

		print_message("sku %s, %u scale units\n", sku, cases[i].units);
		line = conf_one(&t, sku, cases[i].units, "direct", "on", false);
		parse(&f, t.s);
		check_clean(&f.d, 0);
		plan(&f, NULL);
		if (cases[i].fast) {
			check_clean(&f.d, 0);
			snprintf(what, sizeof(what), "%s/%u: k1 flags", sku,
				 cases[i].units);
			/* v1 has no IPv6 space: IPv4 only (test_ipv6). */
			want = FP_CONN_F_LINKED | FP_CONN_F_FAST4;
			check_int(what, want,
				  plan_conn(&f.plan, "v1", "c1")->flags);
		} else {
			check_error(&f.d, line, "connection k1",
				    "fastpath on needs gateway SKU", sku);
			check_errors(&f.d, 1);
			check_int("no plan for a config with errors", 0,
				  f.plan.nconns);
		}
		fx_free(&f);
		text_free(&t);

		/* fastpath off: any SKU, the traffic takes the gateway. */
		conf_one(&t, sku, cases[i].units, "direct", "off", false);
		parse(&f, t.s);
		plan(&f, NULL);
		check_clean(&f.d, 0);
		want = FP_CONN_F_LINKED;
		snprintf(what, sizeof(what), "%s/%u fastpath off: k1 flags",
			 sku, cases[i].units);
		check_int(what, want, plan_conn(&f.plan, "v1", "c1")->flags);
		fx_free(&f);
		text_free(&t);
	}
}

static void test_gateway_required(void **state)
{
	struct text t = { 0 };
	struct fx f;
	int line;

	line = conf_one(&t, NULL, 0, "direct", "on", false);
	parse(&f, t.s);
	check_clean(&f.d, 0);
	plan(&f, NULL);
	check_error(&f.d, line, "connection k1", "no [gateway]");
	check_errors(&f.d, 1);
	fx_free(&f);
	text_free(&t);

	/* No connection: no gateway needed. */
	parse(&f, CIRCUIT_OK);
	plan(&f, NULL);
	check_clean(&f.d, 0);
	check_int("circuits planned", 1, f.plan.ncircuits);
	fx_free(&f);
}

static void test_scale_units(void **state)
{
	static const char *const skus[] = { "Standard", "UltraPerformance",
					    "ErGw3AZ" };
	struct text t = { 0 };
	struct fx f;

	for (size_t i = 0; i < ARRAY_SIZE(skus); i++) {
		conf_one(&t, skus[i], 10, "direct", "off", false);
		parse(&f, t.s);
		plan(&f, NULL);
		check_error(&f.d, line_of(t.s, "scale-units ="), "[gateway]",
			    "scale-units only apply to sku ErGwScale", skus[i]);
		check_errors(&f.d, 1);
		fx_free(&f);
		text_free(&t);
	}
	conf_one(&t, "ErGwScale", 0, "direct", "off", false);
	parse(&f, t.s);
	plan(&f, NULL);
	check_error(&f.d, line_of(t.s, "sku ="), "[gateway]",
		    "ErGwScale needs scale-units");
	check_errors(&f.d, 1);
	fx_free(&f);
	text_free(&t);
}

/* ---- IPv6 ---------------------------------------------------------------- */

static void test_ipv6(void **state)
{
	static const struct {
		const char *sku, *type;
		const char *warn; /* NULL: no warning */
		unsigned int units;
		bool v6, fast6;
	} cases[] = {
		{ "ErGw3AZ", "direct", NULL, 0, true, true },
		{ "ErGw3AZ", "provider",
		  "carries IPv6 but has no IPv6 FastPath", 0, true, false },
		{ "UltraPerformance", "direct",
		  "IPv6 fast path needs gateway SKU ErGw3AZ on a Direct", 0,
		  true, false },
		{ "ErGwScale", "direct",
		  "IPv6 fast path needs gateway SKU ErGw3AZ on a Direct", 20,
		  true, false },
		{ "UltraPerformance", "provider", "has no IPv6 FastPath", 0,
		  true, false },
		/* No IPv6 space: nothing to warn about, no IPv6 to be fast. */
		{ "ErGw3AZ", "direct", NULL, 0, false, false },
		{ "ErGw3AZ", "provider", NULL, 0, false, false },
		{ "UltraPerformance", "direct", NULL, 0, false, false },
	};
	char what[128];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct text t = { 0 };
		__u32 flags;
		struct fx f;
		int line;

		snprintf(what, sizeof(what), "%s %s%s: k1 flags", cases[i].sku,
			 cases[i].type, cases[i].v6 ? " with IPv6" : "");
		print_message("%s\n", what);
		line = conf_one(&t, cases[i].sku, cases[i].units, cases[i].type,
				"on", cases[i].v6);
		parse(&f, t.s);
		plan(&f, NULL);
		check_clean(&f.d, cases[i].warn ? 1 : 0);
		if (cases[i].warn)
			check_warning(&f.d, line, "k1", cases[i].warn);
		flags = FP_CONN_F_LINKED | FP_CONN_F_FAST4 |
			(cases[i].fast6 ? FP_CONN_F_FAST6 : 0);
		check_int(what, flags, plan_conn(&f.plan, "v1", "c1")->flags);
		fx_free(&f);
		text_free(&t);
	}
}

/*
 * IPv6 spaces a VNet advertises, with its spokes' (each once): at most
 * 100; a provider circuit with fastpath off has nothing to warn about.
 */
static void test_ipv6_spaces(void **state)
{
	static const struct {
		int own, spoke;
		bool twice; /* the spoke listed twice */
		bool ok;
	} cases[] = {
		{ 100, 0, false, true }, { 101, 0, false, false },
		{ 60, 40, false, true }, { 60, 41, false, false },
		{ 50, 50, true, true },
	};
	struct text t = { 0 };
	char says[64];
	struct fx f;
	int vline;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		print_message("%d own + %d spoke IPv6 spaces%s\n", cases[i].own,
			      cases[i].spoke,
			      cases[i].twice ? ", the spoke listed twice" : "");
		add(&t, "[gateway]");
		add(&t, "sku = ErGw3AZ");
		add(&t, "[circuit c1]");
		add(&t, "uplink = up1");
		add(&t, "type = direct");
		add(&t, "bandwidth = 10G");
		vline = add(&t, "[vnet hub]");
		for (int j = 0; j < cases[i].own; j++)
			add(&t, "address-space = 2001:db8:%x::/48", j);
		if (cases[i].spoke) {
			add(&t, "peering = spoke");
			if (cases[i].twice)
				add(&t, "peering = spoke");
			add(&t, "[vnet spoke]");
			for (int j = 0; j < cases[i].spoke; j++)
				add(&t, "address-space = 2001:db8:1%03x::/48",
				    j);
		}
		add(&t, "[connection k1]");
		add(&t, "vnet = hub");
		add(&t, "circuit = c1");
		parse(&f, t.s);
		check_clean(&f.d, 0);
		plan(&f, NULL);
		if (cases[i].ok) {
			check_clean(&f.d, 0);
		} else {
			snprintf(says, sizeof(says),
				 "advertises %d IPv6 address spaces",
				 cases[i].own + cases[i].spoke);
			check_error(&f.d, vline, "vnet hub", says,
				    "at most 100");
			check_errors(&f.d, 1);
		}
		fx_free(&f);
		text_free(&t);
	}

	/* Provider, IPv6 spaces, fastpath off: no IPv6 FastPath to miss. */
	conf_one(&t, "ErGw3AZ", 0, "provider", "off", true);
	parse(&f, t.s);
	plan(&f, NULL);
	check_clean(&f.d, 0);
	fx_free(&f);
	text_free(&t);
}

/* ---- VNets per circuit --------------------------------------------------- */

static void test_vnet_limit_table(void **state)
{
	static const struct {
		__u32 mbps;
		unsigned int premium;
	} rows[] = { { 50, 20 },     { 100, 25 },    { 200, 25 },
		     { 500, 40 },    { 1000, 50 },   { 2000, 60 },
		     { 5000, 75 },   { 10000, 100 }, { 40000, 100 },
		     { 100000, 100 } };
	char what[64];

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		snprintf(what, sizeof(what), "premium %u Mbps", rows[i].mbps);
		check_int(what, rows[i].premium,
			  fp_model__vnet_limit(rows[i].mbps, true));
		snprintf(what, sizeof(what), "standard %u Mbps", rows[i].mbps);
		check_int(what, 10, fp_model__vnet_limit(rows[i].mbps, false));
	}
}

/*
 * One circuit (bandwidth, premium) with n VNets each connected to it;
 * *last is the line of the last connection's section.
 */
static void conf_many_vnets(struct text *t, const char *bandwidth, bool premium,
			    int n, int *last)
{
	add(t, "[gateway]");
	add(t, "sku = ErGw3AZ");
	add(t, "[circuit c1]");
	add(t, "uplink = up1");
	/* Below 1G a circuit is a provider's (Direct sizes start at 1G). */
	add(t, "type = %s", strchr(bandwidth, 'M') ? "provider" : "direct");
	add(t, "bandwidth = %s", bandwidth);
	add(t, "premium = %s", premium ? "yes" : "no");
	for (int i = 0; i < n; i++) {
		add(t, "[vnet v%d]", i);
		add(t, "address-space = 10.%d.%d.0/24", i / 256, i % 256);
	}
	for (int i = 0; i < n; i++) {
		*last = add(t, "[connection k%d]", i);
		add(t, "vnet = v%d", i);
		add(t, "circuit = c1");
	}
}

static void test_vnets_per_circuit(void **state)
{
	static const struct {
		const char *bandwidth;
		bool premium;
		int limit;
		const char *says;
	} cases[] = {
		{ "10G", false, 10, "a standard 10G circuit links at most 10" },
		{ "100G", false, 10,
		  "a standard 100G circuit links at most 10" },
		{ "50M", true, 20, "a premium 50M circuit links at most 20" },
		{ "500M", true, 40, "a premium 500M circuit links at most 40" },
		{ "10G", true, 100, "a premium 10G circuit links at most 100" },
	};
	char would[64];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int n = cases[i].limit, last = 0;
		struct text t = { 0 };
		struct fx f;

		print_message("%s %s: %d VNets\n", cases[i].bandwidth,
			      cases[i].premium ? "premium" : "standard", n);
		conf_many_vnets(&t, cases[i].bandwidth, cases[i].premium, n,
				&last);
		parse(&f, t.s);
		plan(&f, NULL);
		check_clean(&f.d, 0);
		check_int("links at the limit", n, f.plan.nconns);
		fx_free(&f);
		text_free(&t);

		conf_many_vnets(&t, cases[i].bandwidth, cases[i].premium, n + 1,
				&last);
		parse(&f, t.s);
		plan(&f, NULL);
		snprintf(would, sizeof(would), "circuit c1 would link %d VNets",
			 n + 1);
		check_error(&f.d, last, "connection k", would, cases[i].says);
		check_errors(&f.d, 1);
		fx_free(&f);
		text_free(&t);
	}
}

static void test_region_needs_premium(void **state)
{
	static const char *const texts[] = {
		"[gateway]\nsku = ErGw3AZ\n"
		"[circuit c1]\nuplink = up1\ntype = direct\nbandwidth = 10G\n"
		"region = westeurope\npremium = no\n"
		"[vnet v1]\naddress-space = 10.1.0.0/16\nregion = eastus\n"
		"[connection k1]\nvnet = v1\ncircuit = c1\n",
		"[gateway]\nsku = ErGw3AZ\n"
		"[circuit c1]\nuplink = up1\ntype = direct\nbandwidth = 10G\n"
		"region = westeurope\npremium = yes\n"
		"[vnet v1]\naddress-space = 10.1.0.0/16\nregion = eastus\n"
		"[connection k1]\nvnet = v1\ncircuit = c1\n",
		"[gateway]\nsku = ErGw3AZ\n"
		"[circuit c1]\nuplink = up1\ntype = direct\nbandwidth = 10G\n"
		"region = westeurope\npremium = no\n"
		"[vnet v1]\naddress-space = 10.1.0.0/16\nregion = WestEurope\n"
		"[connection k1]\nvnet = v1\ncircuit = c1\n",
	};
	struct fx f;

	parse(&f, texts[0]);
	plan(&f, NULL);
	check_error(&f.d, line_of(texts[0], "[connection k1]"), "connection k1",
		    "vnet v1 (region eastus)",
		    "circuit c1's geopolitical region (westeurope)",
		    "needs the premium add-on");
	check_errors(&f.d, 1);
	fx_free(&f);
	for (size_t i = 1; i < ARRAY_SIZE(texts); i++) {
		parse(&f, texts[i]);
		plan(&f, NULL);
		check_clean(&f.d, 0);
		check_int("link planned", 1, f.plan.nconns);
		fx_free(&f);
	}
}

/*
 * n circuits c0.. each connecting vnet v1. A VNet's 17th circuit is also
 * a host's 17th: both rules fire, and the host's always does.
 */
static void test_circuits_per_vnet(void **state)
{
	for (int n = FP_VNET_LINKS_MAX; n <= FP_VNET_LINKS_MAX + 1; n++) {
		struct text t = { 0 };
		int circ_line = 0, conn_line = 0;
		char would[64];
		struct fx f;

		add(&t, "[gateway]");
		add(&t, "sku = ErGw3AZ");
		for (int i = 0; i < n; i++) {
			circ_line = add(&t, "[circuit c%d]", i);
			add(&t, "uplink = up%d", i + 1);
			add(&t, "type = direct");
			add(&t, "bandwidth = 10G");
		}
		add(&t, "[vnet v1]");
		add(&t, "address-space = 10.1.0.0/16");
		for (int i = 0; i < n; i++) {
			conn_line = add(&t, "[connection k%d]", i);
			add(&t, "vnet = v1");
			add(&t, "circuit = c%d", i);
		}
		parse(&f, t.s);
		plan(&f, NULL);
		if (n == FP_VNET_LINKS_MAX) {
			check_clean(&f.d, 0);
			check_int("16 links", n, f.plan.nconns);
		} else {
			snprintf(would, sizeof(would),
				 "vnet v1 would link %d circuits", n);
			check_error(&f.d, conn_line, "connection k16", would,
				    "a VNet links at most 16");
			check_error(&f.d, circ_line, "circuit c16",
				    "a host serves at most 16 circuits");
			check_errors(&f.d, 2);
		}
		fx_free(&f);
		text_free(&t);
	}
}

/*
 * Gateway sku (units scale units), n circuits c0.. (location loc(i), NULL
 * for none) each connecting vnet v1 with fastpath off: the last
 * connection's line.
 */
static int conf_vnet_circuits(struct text *t, const char *sku,
			      unsigned int units, int n,
			      const char *(*loc)(int i))
{
	int line = 0;

	add(t, "[gateway]");
	add(t, "sku = %s", sku);
	if (units)
		add(t, "scale-units = %u", units);
	for (int i = 0; i < n; i++) {
		add(t, "[circuit c%d]", i);
		add(t, "uplink = up%d", i + 1);
		add(t, "type = direct");
		add(t, "bandwidth = 10G");
		if (loc && loc(i))
			add(t, "location = %s", loc(i));
	}
	add(t, "[vnet v1]");
	add(t, "address-space = 10.1.0.0/16");
	for (int i = 0; i < n; i++) {
		line = add(t, "[connection k%d]", i);
		add(t, "vnet = v1");
		add(t, "circuit = c%d", i);
		add(t, "fastpath = off");
	}
	return line;
}

/* The circuits of a VNet by gateway SKU: n links, n + 1 refused. */
static void test_circuits_per_vnet_by_sku(void **state)
{
	static const struct {
		const char *sku;
		unsigned int units, limit;
	} cases[] = {
		{ "Standard", 0, 4 },	       { "ErGw1AZ", 0, 4 },
		{ "HighPerformance", 0, 8 },   { "ErGw2AZ", 0, 8 },
		{ "UltraPerformance", 0, 16 }, { "ErGw3AZ", 0, 16 },
		{ "ErGwScale", 1, 4 },	       { "ErGwScale", 2, 8 },
		{ "ErGwScale", 9, 8 },	       { "ErGwScale", 10, 16 },
		{ "ErGwScale", 40, 16 },
	};
	char would[64], most[64];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned int n = cases[i].limit;
		struct text t = { 0 };
		struct fx f;
		int line;

		print_message("%s, %u scale units: %u circuits\n", cases[i].sku,
			      cases[i].units, n);
		conf_vnet_circuits(&t, cases[i].sku, cases[i].units, n, NULL);
		parse(&f, t.s);
		plan(&f, NULL);
		check_clean(&f.d, 0);
		check_int("links at the limit", n, f.plan.nconns);
		fx_free(&f);
		text_free(&t);

		/* 16 + 1 is also the host's 17th: test_circuits_per_vnet. */
		line = conf_vnet_circuits(&t, cases[i].sku, cases[i].units,
					  n + 1, NULL);
		parse(&f, t.s);
		plan(&f, NULL);
		if (n < FP_VNET_LINKS_MAX) {
			snprintf(would, sizeof(would),
				 "vnet v1 would link %u circuits", n + 1);
			snprintf(most, sizeof(most), "a VNet links at most %u",
				 n);
			check_error(&f.d, line, would, most, cases[i].sku);
			check_errors(&f.d, 1);
		}
		check_int("fp_model__circuit_limit", n,
			  fp_model__circuit_limit(&f.cfg.gateway));
		fx_free(&f);
		text_free(&t);
	}
}

static const char *amsterdam(int i)
{
	return i == 5 ? "London" : i % 2 ? "amsterdam" : "Amsterdam";
}

static const char *amsterdam_or_none(int i)
{
	return i < 4 ? "Amsterdam" : NULL;
}

/* At most 4 circuits of one peering location per VNet, any SKU. */
static void test_circuits_per_location(void **state)
{
	struct text t = { 0 };
	struct fx f;
	int line;

	(void)state;
	conf_vnet_circuits(&t, "ErGw3AZ", 0, 4, amsterdam);
	parse(&f, t.s);
	plan(&f, NULL);
	check_clean(&f.d, 0);
	check_str("location", "Amsterdam", f.cfg.circuits[0].location);
	fx_free(&f);
	text_free(&t);

	/* The fifth in Amsterdam (either case) is refused, London's not. */
	line = conf_vnet_circuits(&t, "ErGw3AZ", 0, 6, amsterdam);
	parse(&f, t.s);
	plan(&f, NULL);
	check_error(&f.d, line - 4, "connection k4",
		    "vnet v1 would link 5 circuits at peering location "
		    "Amsterdam",
		    "at most 4 from one peering location");
	check_errors(&f.d, 1);
	fx_free(&f);
	text_free(&t);

	/* Circuits with no location are not counted with any. */
	conf_vnet_circuits(&t, "ErGw3AZ", 0, 8, amsterdam_or_none);
	parse(&f, t.s);
	plan(&f, NULL);
	check_clean(&f.d, 0);
	fx_free(&f);
	text_free(&t);
}

/* ---- address spaces ------------------------------------------------------ */

/*
 * hub (own spaces) peering spoke (spoke spaces), and a connection k1 of
 * hub. *vnet_line is hub's section line, *conn_line k1's.
 */
static void conf_spaces(struct text *t, int own, int spoke, int *vnet_line,
			int *conn_line)
{
	add(t, "[gateway]");
	add(t, "sku = ErGw3AZ");
	add(t, "[circuit c1]");
	add(t, "uplink = up1");
	add(t, "type = direct");
	add(t, "bandwidth = 10G");
	*vnet_line = add(t, "[vnet hub]");
	for (int i = 0; i < own; i++)
		add(t, "address-space = 10.%d.%d.0/24", i / 256, i % 256);
	if (spoke) {
		add(t, "peering = spoke");
		add(t, "[vnet spoke]");
		for (int i = 0; i < spoke; i++)
			add(t, "address-space = 172.%d.%d.0/24", 16 + i / 256,
			    i % 256);
	}
	*conn_line = add(t, "[connection k1]");
	add(t, "vnet = hub");
	add(t, "circuit = c1");
}

static void test_address_spaces(void **state)
{
	struct fp_conn_rec rec = { .name = "k1",
				   .vnet = "hub",
				   .circuit = "c1" };
	struct fp_state existing = { .conns = &rec, .nconns = 1 };
	static const struct {
		int own, spoke;
		bool exists;
		int errors; /* 0, or which: 1 creation limit, 2 total limit */
	} cases[] = {
		{ 200, 0, false, 0 },  { 100, 100, false, 0 },
		{ 201, 0, false, 1 },  { 101, 100, false, 1 },
		{ 101, 100, true, 0 }, { 1000, 0, true, 0 },
		{ 500, 500, true, 0 }, { 1001, 0, true, 2 },
		{ 501, 500, true, 2 }, { 1001, 0, false, 3 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int total = cases[i].own + cases[i].spoke, vline, cline;
		struct text t = { 0 };
		char says[64], says4[64];
		struct fx f;

		print_message("%d own + %d peered spaces, %s connection\n",
			      cases[i].own, cases[i].spoke,
			      cases[i].exists ? "an existing" : "a new");
		conf_spaces(&t, cases[i].own, cases[i].spoke, &vline, &cline);
		parse(&f, t.s);
		check_clean(&f.d, 0);
		plan(&f, cases[i].exists ? &existing : NULL);
		snprintf(says, sizeof(says), "advertises %d address spaces",
			 total);
		if (cases[i].errors & 1)
			check_error(&f.d, cline, "connection k1", "vnet hub",
				    says, "created with at most 200");
		snprintf(says4, sizeof(says4),
			 "advertises %d IPv4 address spaces", total);
		if (cases[i].errors & 2)
			check_error(&f.d, vline, "vnet hub", says4,
				    "at most 1000");
		check_errors(&f.d,
			     (cases[i].errors & 1) + !!(cases[i].errors & 2));
		if (!cases[i].errors)
			check_int("spaces planned", total, f.plan.nspaces);
		fx_free(&f);
		text_free(&t);
	}
}

/*
 * A connection the state knows under its name but between another VNet
 * and circuit is created anew: the creation limit applies to it.
 */
static void test_address_spaces_relinked(void **state)
{
	struct fp_conn_rec rec = { .name = "k1",
				   .vnet = "hub",
				   .circuit = "c0" };
	struct fp_state st = { .conns = &rec, .nconns = 1 };
	struct text t = { 0 };
	int vline, cline;
	struct fx f;

	conf_spaces(&t, 201, 0, &vline, &cline);
	parse(&f, t.s);
	plan(&f, &st);
	check_error(&f.d, cline, "connection k1", "advertises 201",
		    "created with at most 200");
	check_errors(&f.d, 1);
	fx_free(&f);

	snprintf(rec.circuit, sizeof(rec.circuit), "c1");
	parse(&f, t.s);
	plan(&f, &st);
	check_clean(&f.d, 0);
	fx_free(&f);
	text_free(&t);
}

/* ---- budgets and circuit shapes ----------------------------------------- */

static void test_port_budget(void **state)
{
	static const struct {
		enum fp_circuit_type type;
		__u32 bandwidth, port_speed, budget;
	} cases[] = {
		{ FP_CIRCUIT_DIRECT, 10000, 0, 100000 },
		{ FP_CIRCUIT_DIRECT, 1000, 0, 100000 },
		{ FP_CIRCUIT_DIRECT, 10000, 10000, 100000 },
		{ FP_CIRCUIT_DIRECT, 10000, 100000, 200000 },
		{ FP_CIRCUIT_DIRECT, 100000, 0, 200000 },
		{ FP_CIRCUIT_DIRECT, 40000, 0, 200000 },
		{ FP_CIRCUIT_PROVIDER, 1000, 0, 25000 },
		{ FP_CIRCUIT_PROVIDER, 10000, 0, 25000 },
		{ FP_CIRCUIT_PROVIDER, 50, 0, 25000 },
	};
	char what[96];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct fp_cfg_circuit c = { .type = cases[i].type,
					    .bandwidth = cases[i].bandwidth,
					    .port_speed = cases[i].port_speed };

		snprintf(what, sizeof(what), "budget of %s %u Mbps, port %u",
			 c.type == FP_CIRCUIT_DIRECT ? "direct" : "provider",
			 c.bandwidth, c.port_speed);
		check_int(what, cases[i].budget, fp_model__port_budget(&c));
	}
}

static void test_ip_budget(void **state)
{
	static const struct {
		const char *circuit; /* the circuit's keys */
		unsigned int budget;
		unsigned int port; /* 0: within it */
	} cases[] = {
		{ "type = direct\nbandwidth = 10G\n", 100000, 0 },
		{ "type = direct\nbandwidth = 10G\n", 99999, 0 },
		{ "type = direct\nbandwidth = 10G\n", 100001, 100000 },
		{ "type = direct\nbandwidth = 100G\n", 200000, 0 },
		{ "type = direct\nbandwidth = 100G\n", 200001, 200000 },
		{ "type = direct\nbandwidth = 10G\nport-speed = 100G\n", 150000,
		  0 },
		{ "type = provider\nbandwidth = 10G\n", 25000, 0 },
		{ "type = provider\nbandwidth = 1G\n", 1000, 0 },
		{ "type = provider\nbandwidth = 1G\n", 25001, 25000 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char text[256], says[64];
		struct fx f;
		int line;

		snprintf(text, sizeof(text),
			 "[circuit c1]\nuplink = up1\n%sip-budget = %u\n",
			 cases[i].circuit, cases[i].budget);
		print_message("%s", text);
		line = line_of(text, "ip-budget");
		parse(&f, text);
		plan(&f, NULL);
		if (cases[i].port) {
			snprintf(says, sizeof(says),
				 "ip-budget %u exceeds the port's %u",
				 cases[i].budget, cases[i].port);
			check_error(&f.d, line, "circuit c1", says);
			check_errors(&f.d, 1);
		} else {
			check_clean(&f.d, 0);
			check_int("plan budget: the ip-budget", cases[i].budget,
				  plan_circuit(&f.plan, "c1")->budget);
		}
		fx_free(&f);
	}
}

static void test_circuit_shape(void **state)
{
	static const struct {
		const char *keys, *at, *says;
	} cases[] = {
		{ "type = provider\nbandwidth = 10G\n", NULL, NULL },
		{ "type = provider\nbandwidth = 40G\n", "[circuit",
		  "bandwidth 40G: a provider circuit goes up to 10G" },
		{ "type = provider\nbandwidth = 100G\n", "[circuit",
		  "bandwidth 100G: a provider circuit goes up to 10G" },
		{ "type = direct\nbandwidth = 10G\nport-speed = 10G\n", NULL,
		  NULL },
		{ "type = direct\nbandwidth = 100M\n", "[circuit",
		  "bandwidth 100M is not a circuit size of a 10G" },
		{ "type = provider\nbandwidth = 10G\nport-speed = 10G\n",
		  "[circuit", "port-speed is for Direct circuits" },
		{ "type = direct\nbandwidth = 100G\nport-speed = 100G\n", NULL,
		  NULL },
		{ "type = direct\nbandwidth = 40G\nport-speed = 10G\n",
		  "[circuit",
		  "bandwidth 40G is not a circuit size of a 10G ExpressRoute "
		  "Direct port (1G, 2G, 5G or 10G)" },
		{ "type = direct\nbandwidth = 100G\nport-speed = 10G\n",
		  "[circuit", "bandwidth 100G is not a circuit size of a 10G" },
		{ "type = direct\nbandwidth = 1G\nprofile = direct-2025\n",
		  NULL, NULL },
		{ "type = provider\nbandwidth = 1G\nprofile = 2020\n", NULL,
		  NULL },
		{ "type = provider\nbandwidth = 1G\nprofile = direct-2025\n",
		  "profile", "profile direct-2025 is for Direct circuits" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char text[256];
		struct fx f;

		snprintf(text, sizeof(text), "[circuit c1]\nuplink = up1\n%s",
			 cases[i].keys);
		print_message("%s", text);
		parse(&f, text);
		check_clean(&f.d, 0);
		plan(&f, NULL);
		if (cases[i].says) {
			check_error(&f.d, line_of(text, cases[i].at),
				    "circuit c1", cases[i].says);
			check_errors(&f.d, 1);
		} else {
			check_clean(&f.d, 0);
		}
		fx_free(&f);
	}
}

/*
 * Direct circuit sizes by port: each ExpressRoute bandwidth on a 10G and
 * on a 100G port, valid exactly when the port lists it.
 */
static void test_direct_sizes(void **state)
{
	static const char *const bw[] = {
		"50M", "100M", "200M", "500M", "1G",
		"2G",  "5G",   "10G",  "40G",  "100G"
	};
	static const char *const on10g = " 1G 2G 5G 10G ",
				 *const on100g = " 5G 10G 40G 100G ";
	static const char *const ports[] = { "10G", "100G" };

	(void)state;
	for (size_t p = 0; p < ARRAY_SIZE(ports); p++) {
		for (size_t i = 0; i < ARRAY_SIZE(bw); i++) {
			char text[256], word[16], says[96];
			bool ok;
			struct fx f;

			snprintf(word, sizeof(word), " %s ", bw[i]);
			ok = strstr(p ? on100g : on10g, word) != NULL;
			snprintf(text, sizeof(text),
				 "[circuit c1]\nuplink = up1\ntype = direct\n"
				 "bandwidth = %s\nport-speed = %s\n",
				 bw[i], ports[p]);
			print_message("%s on a %s port: %s\n", bw[i], ports[p],
				      ok ? "valid" : "refused");
			parse(&f, text);
			check_clean(&f.d, 0);
			plan(&f, NULL);
			if (ok) {
				check_clean(&f.d, 0);
			} else {
				snprintf(
					says, sizeof(says),
					"bandwidth %s is not a circuit size of "
					"a %s ExpressRoute Direct port",
					bw[i], ports[p]);
				check_error(&f.d, 1, "circuit c1", says);
				check_errors(&f.d, 1);
			}
			fx_free(&f);
		}
	}
	/* With no port-speed, the port is 100G above 10G, else 10G. */
	check_true("100M on a 10G port", !fp_model__direct_size(10000, 100));
	check_true("1G on a 100G port", !fp_model__direct_size(100000, 1000));
	check_true("5G on a 100G port", fp_model__direct_size(100000, 5000));
}

static void test_xallow(void **state)
{
	check_int("2020: only UDRs on the gateway subnet ignored",
		  1U << FP_CLASS_UDR, fp_model__xallow(FP_PROFILE_2020));
	check_int("2020 is the data plane's default", FP_XALLOW_DEFAULT,
		  fp_model__xallow(FP_PROFILE_2020));
	check_int("direct-2025: peering, private link and UDR",
		  1U << FP_CLASS_PEERING | 1U << FP_CLASS_PRIVATE_LINK |
			  1U << FP_CLASS_UDR,
		  fp_model__xallow(FP_PROFILE_DIRECT_2025));
}

/* ---- authorizations ------------------------------------------------------ */

/* c1 owned by alice, c2 by alice, v1 and v2 owned by bob. */
static const char auth_head[] =
	"[gateway]\nsku = ErGw3AZ\n"
	"[circuit c1]\nuplink = up1\ntype = direct\nbandwidth = 10G\n"
	"owner = alice\n"
	"[circuit c2]\nuplink = up2\ntype = direct\nbandwidth = 10G\n"
	"owner = alice\n"
	"[vnet v1]\naddress-space = 10.1.0.0/16\nowner = bob\n"
	"[vnet v2]\naddress-space = 10.2.0.0/16\nowner = bob\n"
	"[vnet mine]\naddress-space = 10.3.0.0/16\nowner = alice\n";

static void auth_conf(char *buf, size_t n, const char *conns)
{
	snprintf(buf, n, "%s%s", auth_head, conns);
}

static void test_auth_owner(void **state)
{
	char text[1024];
	struct fx f;

	/* Same owner: no key needed. */
	auth_conf(text, sizeof(text),
		  "[connection k1]\nvnet = mine\ncircuit = c1\n");
	parse(&f, text);
	plan(&f, NULL);
	check_clean(&f.d, 0);
	check_str("next: k1 redeemed no key", "",
		  fp_state__conn(&f.next, "k1")->key);
	fx_free(&f);

	auth_conf(text, sizeof(text),
		  "[connection k1]\nvnet = v1\ncircuit = c1\n");
	parse(&f, text);
	plan(&f, NULL);
	check_error(&f.d, line_of(text, "[connection k1]"), "connection k1",
		    "vnet v1 (owner bob)", "circuit c1's owner's (alice)",
		    "needs an authorization key");
	check_errors(&f.d, 1);
	fx_free(&f);
}

static void test_auth_keys(void **state)
{
	struct fp_auth auths[] = {
		{ .circuit = "c1", .name = "a1", .key = KEY_A },
		{ .circuit = "c2", .name = "b1", .key = KEY_B },
	};
	struct fp_conn_rec recs[] = {
		{ .name = "k-old", .vnet = "v2", .circuit = "c1", .key = KEY_A },
	};
	struct fp_state free_keys = { .auths = auths, .nauths = 2 };
	struct fp_state no_keys = { 0 };
	char text[1024];
	struct fx f;
	int line;

	/* A's key of c1 redeems k1. */
	auth_conf(text, sizeof(text),
		  "[connection k1]\nvnet = v1\ncircuit = c1\n"
		  "authorization = " KEY_A "\n");
	line = line_of(text, "authorization");
	parse(&f, text);
	plan(&f, &free_keys);
	check_clean(&f.d, 0);
	check_int("next: authorizations", 2, f.next.nauths);
	check_str("next: a1 redeemed by", "k1",
		  fp_state__auth_by_key(&f.next, KEY_A)->connection);
	check_str("next: b1 still free", "",
		  fp_state__auth_by_key(&f.next, KEY_B)->connection);
	check_str("next: k1's key", KEY_A, fp_state__conn(&f.next, "k1")->key);
	check_str("input state: a1 still free", "", auths[0].connection);
	fx_free(&f);

	/* A key nobody created, or revoked: not in the state. */
	parse(&f, text);
	plan(&f, &no_keys);
	check_error(&f.d, line, "connection k1", KEY_A,
		    "is not one of circuit c1's");
	check_errors(&f.d, 1);
	fx_free(&f);

	/* B is c2's key, not c1's. */
	auth_conf(text, sizeof(text),
		  "[connection k1]\nvnet = v1\ncircuit = c1\n"
		  "authorization = " KEY_B "\n");
	parse(&f, text);
	plan(&f, &free_keys);
	check_error(&f.d, line, "connection k1", KEY_B,
		    "is not one of circuit c1's");
	check_errors(&f.d, 1);
	fx_free(&f);

	/* Two connections of the config with one key. */
	auth_conf(text, sizeof(text),
		  "[connection k1]\nvnet = v1\ncircuit = c1\n"
		  "authorization = " KEY_A "\n"
		  "[connection k2]\nvnet = v2\ncircuit = c1\n"
		  "authorization = " KEY_A " ; again\n");
	parse(&f, text);
	plan(&f, &free_keys);
	check_error(&f.d, line_of(text, "again"), "connection k2",
		    "authorization a1 is also connection k1's",
		    "redeems exactly one");
	check_errors(&f.d, 1);
	fx_free(&f);

	/* A key already redeemed by k-old (still in the config, later). */
	snprintf(auths[0].connection, sizeof(auths[0].connection), "k-old");
	free_keys.conns = recs;
	free_keys.nconns = 1;
	auth_conf(text, sizeof(text),
		  "[connection k1]\nvnet = v1\ncircuit = c1\n"
		  "authorization = " KEY_A "\n"
		  "[connection k-old]\nvnet = v2\ncircuit = c1\n"
		  "authorization = " KEY_A " ; old\n");
	parse(&f, text);
	plan(&f, &free_keys);
	check_error(&f.d, line, "connection k1", "authorization a1",
		    "already redeemed connection k-old");
	fx_free(&f);

	/* k-old itself keeps it. */
	auth_conf(text, sizeof(text),
		  "[connection k-old]\nvnet = v2\ncircuit = c1\n"
		  "authorization = " KEY_A "\n");
	parse(&f, text);
	plan(&f, &free_keys);
	check_clean(&f.d, 0);
	check_str("next: a1 still k-old's", "k-old",
		  fp_state__auth_by_key(&f.next, KEY_A)->connection);
	fx_free(&f);

	/* k-old removed from the config: its key is free again. */
	auth_conf(text, sizeof(text),
		  "[connection k2]\nvnet = mine\ncircuit = c2\n");
	parse(&f, text);
	plan(&f, &free_keys);
	check_clean(&f.d, 0);
	check_str("next: a1 freed with k-old", "",
		  fp_state__auth_by_key(&f.next, KEY_A)->connection);
	check_true("next: k-old gone",
		   fp_state__conn(&f.next, "k-old") == NULL);
	check_int("next: connections", 1, f.next.nconns);
	fx_free(&f);
}

/* ---- VNets: spaces, ports, peerings, exclusions -------------------------- */

struct vnet_case {
	const char *name;
	const char *vnets; /* after a gateway and circuit c1 */
	const char *at; /* NULL: valid */
	bool warning;
	const char *subs[4];
};

static void test_vnet_rules(void **state)
{
	static const struct vnet_case cases[] = {
		{ "disjoint spaces",
		  "[vnet v1]\naddress-space = 10.0.0.0/24\n"
		  "address-space = 10.0.1.0/24\naddress-space = ::/0\n"
		  "[vnet v2]\naddress-space = 10.0.2.0/23\n" },
		{ "overlap within a vnet",
		  "[vnet v1]\naddress-space = 10.0.0.0/16\n"
		  "address-space = 10.0.1.0/24\n",
		  "10.0.1.0/24",
		  false,
		  { "vnet v1: address-space 10.0.1.0/24",
		    "overlaps 10.0.0.0/16 of vnet v1 (line 6)" } },
		{ "overlap across vnets",
		  "[vnet v1]\naddress-space = 10.0.0.0/16\n"
		  "[vnet v2]\naddress-space = 10.0.128.0/17\n",
		  "10.0.128.0/17",
		  false,
		  { "vnet v2: address-space 10.0.128.0/17",
		    "overlaps 10.0.0.0/16 of vnet v1 (line 6)" } },
		{ "IPv6 overlap across vnets",
		  "[vnet v1]\naddress-space = 2001:db8::/32\n"
		  "[vnet v2]\naddress-space = 2001:db8:5::/48\n",
		  "2001:db8:5::/48",
		  false,
		  { "vnet v2", "overlaps 2001:db8::/32 of vnet v1" } },
		{ "ports",
		  "[vnet v1]\naddress-space = 10.0.0.0/24\nport = vm1\n"
		  "[vnet v2]\naddress-space = 10.0.1.0/24\nport = vm2\n" },
		{ "a port in two vnets",
		  "[vnet v1]\naddress-space = 10.0.0.0/24\nport = vm1\n"
		  "[vnet v2]\naddress-space = 10.0.1.0/24\nport = vm1 ; twice\n",
		  "twice",
		  false,
		  { "vnet v2: port vm1 is already vnet v1's (line 7)" } },
		{ "an unknown port",
		  "[vnet v1]\naddress-space = 10.0.0.0/24\nport = vm77\n",
		  "vm77",
		  false,
		  { "vnet v1", "port vm77: no such interface" } },
		{ "no address space",
		  "[vnet v1]\nport = vm1\n",
		  "[vnet v1]",
		  false,
		  { "vnet v1: no address-space" } },
		{ "peering",
		  "[vnet v1]\naddress-space = 10.0.0.0/24\npeering = v2\n"
		  "[vnet v2]\naddress-space = 10.0.1.0/24\n" },
		{ "peering with an unknown vnet",
		  "[vnet v1]\naddress-space = 10.0.0.0/24\npeering = v9\n",
		  "peering",
		  false,
		  { "vnet v1", "peering v9: no such vnet" } },
		{ "peering with itself",
		  "[vnet v1]\naddress-space = 10.0.0.0/24\npeering = v1\n",
		  "peering",
		  false,
		  { "vnet v1: peering with itself" } },
		{ "exclusions inside",
		  "[vnet v1]\naddress-space = 10.0.0.0/24\n"
		  "address-space = 2001:db8::/48\n"
		  "exclude = basic-lb 10.0.0.16/28\n"
		  "exclude = private-link 2001:db8::5\n"
		  "exclude = other 10.0.0.0/24\n" },
		{ "an exclusion outside",
		  "[vnet v1]\naddress-space = 10.0.0.0/24\n"
		  "exclude = basic-lb 10.0.1.16/28\n",
		  "exclude",
		  false,
		  { "vnet v1: exclude 10.0.1.16/28",
		    "outside its address spaces" } },
		{ "an exclusion wider than the space",
		  "[vnet v1]\naddress-space = 10.0.0.0/24\n"
		  "exclude = other 10.0.0.0/23\n",
		  "exclude",
		  false,
		  { "exclude 10.0.0.0/23", "outside its address spaces" } },
		{ "an exclusion of class udr",
		  "[vnet v1]\naddress-space = 10.0.0.0/24\n"
		  "exclude = udr 10.0.0.128/25\n",
		  "exclude",
		  true,
		  { "vnet v1: exclude udr 10.0.0.128/25",
		    "does not apply to fast-pathed traffic" } },
		{ "one prefix excluded as two classes",
		  "[vnet v1]\naddress-space = 10.0.0.0/24\n"
		  "exclude = other 10.0.0.128/25\n"
		  "exclude = basic-lb 10.0.0.128/25 ; again\n",
		  "again",
		  false,
		  { "exclude 10.0.0.128/25", "given twice",
		    "as other and as basic-lb" } },
		{ "an unknown uplink",
		  "[circuit c2]\nuplink = eth9\ntype = direct\n"
		  "bandwidth = 10G\n",
		  "[circuit c2]",
		  false,
		  { "circuit c2: uplink eth9: no such interface" } },
		{ "an uplink shared by two circuits",
		  "[circuit c2]\nuplink = up1\ntype = direct\n"
		  "bandwidth = 10G\n",
		  "[circuit c2]",
		  false,
		  { "circuit c2: uplink up1 is circuit c1's (line 1)" } },
		{ "a connection to unknown objects",
		  "[vnet v1]\naddress-space = 10.0.0.0/24\n"
		  "[gateway]\nsku = ErGw3AZ\n"
		  "[connection k1]\nvnet = v9\ncircuit = c1\n",
		  "[connection k1]",
		  false,
		  { "connection k1: vnet v9: no such vnet" } },
		{ "a connection to an unknown circuit",
		  "[vnet v1]\naddress-space = 10.0.0.0/24\n"
		  "[gateway]\nsku = ErGw3AZ\n"
		  "[connection k1]\nvnet = v1\ncircuit = c9\n",
		  "[connection k1]",
		  false,
		  { "connection k1: circuit c9: no such circuit" } },
		{ "two connections of one pair",
		  "[vnet v1]\naddress-space = 10.0.0.0/24\n"
		  "[gateway]\nsku = ErGw3AZ\n"
		  "[connection k1]\nvnet = v1\ncircuit = c1\n"
		  "[connection k2]\nvnet = v1\ncircuit = c1\n",
		  "[connection k2]",
		  false,
		  { "connection k2: vnet v1 and circuit c1 are already linked "
		    "by connection k1" } },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct vnet_case *c = &cases[i];
		char text[1024];
		struct fx f;

		print_message("vnet: %s\n", c->name);
		snprintf(text, sizeof(text),
			 "[circuit c1]\nuplink = up1\ntype = direct\n"
			 "bandwidth = 10G\n%s",
			 c->vnets);
		parse(&f, text);
		check_clean(&f.d, 0);
		plan(&f, NULL);
		if (!c->at) {
			check_clean(&f.d, 0);
		} else if (c->warning) {
			check_clean(&f.d, 1);
			check_finding(&f.d, "warning", line_of(text, c->at),
				      c->subs);
		} else {
			check_finding(&f.d, "error", line_of(text, c->at),
				      c->subs);
			check_errors(&f.d, 1);
		}
		fx_free(&f);
	}
}

/* An exclusion of class udr is recorded in the plan with its class. */
static void test_udr_exclusion_planned(void **state)
{
	static const char text[] = "[vnet v1]\naddress-space = 10.0.0.0/24\n"
				   "exclude = udr 10.0.0.128/25\n";
	struct fx f;

	parse(&f, text);
	plan(&f, NULL);
	check_clean(&f.d, 1);
	check_int("udr exclusion class", FP_CLASS_UDR,
		  plan_excl(&f.plan, "10.0.0.128/25"));
	fx_free(&f);
}

/*
 * A spoke may link a circuit itself (the FastPath peering workaround):
 * there its own connection decides (not PEERED, so the program lifts its
 * peering exclusion), elsewhere it rides on its hub; a spoke peered with
 * two hubs on one circuit takes either's flags.
 */
static void test_spoke_own_connection(void **state)
{
	static const char text[] =
		"[gateway]\nsku = ErGw3AZ\n"
		"[circuit c1]\nuplink = up1\ntype = direct\nbandwidth = 10G\n"
		"[circuit c2]\nuplink = up2\ntype = direct\nbandwidth = 10G\n"
		"[vnet hub]\naddress-space = 10.1.0.0/16\npeering = spoke\n"
		"[vnet spoke]\naddress-space = 10.2.0.0/16\n"
		"address-space = 2001:db8:2::/48\n"
		"[connection k-hub]\nvnet = hub\ncircuit = c1\n"
		"[connection k-hub2]\nvnet = hub\ncircuit = c2\n"
		"[connection k-spoke]\nvnet = spoke\ncircuit = c1\n"
		"fastpath = off\n";
	static const char on_c2[] =
		"[gateway]\nsku = ErGw3AZ\n"
		"[circuit c1]\nuplink = up1\ntype = direct\nbandwidth = 10G\n"
		"[circuit c2]\nuplink = up2\ntype = direct\nbandwidth = 10G\n"
		"[vnet hub]\naddress-space = 10.1.0.0/16\npeering = spoke\n"
		"[vnet spoke]\naddress-space = 10.2.0.0/16\n"
		"[connection k-hub]\nvnet = hub\ncircuit = c1\nfastpath = off\n"
		"[connection k-spoke]\nvnet = spoke\ncircuit = c2\n";
	static const char two_hubs[] =
		"[gateway]\nsku = ErGw3AZ\n"
		"[circuit c1]\nuplink = up1\ntype = direct\nbandwidth = 10G\n"
		"[vnet hub]\naddress-space = 10.1.0.0/16\npeering = spoke\n"
		"[vnet hub2]\naddress-space = 10.3.0.0/16\npeering = spoke\n"
		"[vnet spoke]\naddress-space = 10.2.0.0/16\n"
		"[connection k-hub]\nvnet = hub\ncircuit = c1\nfastpath = off\n"
		"[connection k-hub2]\nvnet = hub2\ncircuit = c1\n";
	const struct fp_plan_conn *pk;
	struct fx f;

	(void)state;
	parse(&f, text);
	plan(&f, NULL);
	check_clean(&f.d, 0);
	check_int("links: hub twice, spoke own on c1, spoke via hub on c2", 4,
		  f.plan.nconns);
	pk = plan_conn(&f.plan, "spoke", "c1");
	check_str("spoke on c1: its own connection", "k-spoke", pk->name);
	check_int("spoke on c1: its own flags (fastpath off), not PEERED",
		  FP_CONN_F_LINKED, pk->flags);
	pk = plan_conn(&f.plan, "spoke", "c2");
	check_str("spoke on c2: through the hub's connection", "k-hub2",
		  pk->name);
	check_int("spoke on c2: the hub's flags, PEERED",
		  FP_CONN_F_LINKED | FP_CONN_F_PEERED | FP_CONN_F_FAST4 |
			  FP_CONN_F_FAST6,
		  pk->flags);
	check_int("spoke's space: still a peering exclusion (for c2)",
		  FP_CLASS_PEERING, plan_excl(&f.plan, "10.2.0.0/16"));
	check_int("spoke's IPv6 space too", FP_CLASS_PEERING,
		  plan_excl(&f.plan, "2001:db8:2::/48"));
	fx_free(&f);

	/* On a circuit the hub does not link, the spoke is on its own. */
	parse(&f, on_c2);
	plan(&f, NULL);
	check_clean(&f.d, 0);
	check_int("spoke on c1 via hub (fastpath off)",
		  FP_CONN_F_LINKED | FP_CONN_F_PEERED,
		  plan_conn(&f.plan, "spoke", "c1")->flags);
	check_int("spoke on c2: its own, fast (IPv4, its one family)",
		  FP_CONN_F_LINKED | FP_CONN_F_FAST4,
		  plan_conn(&f.plan, "spoke", "c2")->flags);
	fx_free(&f);

	parse(&f, two_hubs);
	plan(&f, NULL);
	check_clean(&f.d, 0);
	check_int("links: two hubs, one spoke", 3, f.plan.nconns);
	pk = plan_conn(&f.plan, "spoke", "c1");
	check_int("spoke's flags (hub2's fastpath on; IPv4, its one family)",
		  FP_CONN_F_LINKED | FP_CONN_F_PEERED | FP_CONN_F_FAST4,
		  pk->flags);
	fx_free(&f);
}

/*
 * Spaces count once per connection, as Azure counts them: the hub's
 * connection advertises the hub's and the spoke's, the spoke's own only
 * the spoke's.
 */
static void test_spoke_own_connection_spaces(void **state)
{
	struct text t = { 0 };
	struct fx f;
	int hub_line;

	(void)state;
	add(&t, "[gateway]");
	add(&t, "sku = ErGw3AZ");
	add(&t, "[circuit c1]");
	add(&t, "uplink = up1");
	add(&t, "type = direct");
	add(&t, "bandwidth = 10G");
	add(&t, "[vnet hub]");
	for (int i = 0; i < 150; i++)
		add(&t, "address-space = 10.0.%d.0/24", i);
	add(&t, "peering = spoke");
	add(&t, "[vnet spoke]");
	for (int i = 0; i < 200; i++)
		add(&t, "address-space = 10.1.%d.0/24", i);
	hub_line = add(&t, "[connection k-hub]");
	add(&t, "vnet = hub");
	add(&t, "circuit = c1");
	add(&t, "[connection k-spoke]"); /* 200: within the creation limit */
	add(&t, "vnet = spoke");
	add(&t, "circuit = c1");
	parse(&f, t.s);
	plan(&f, NULL);
	check_error(&f.d, hub_line, "connection k-hub",
		    "advertises 350 address spaces",
		    "created with at most 200");
	check_errors(&f.d, 1);
	fx_free(&f);
	text_free(&t);
}

/* ---- ids ----------------------------------------------------------------- */

static void conf_ids(struct text *t, const char *const *vnets, size_t n,
		     const char *const *circuits, size_t nc)
{
	for (size_t i = 0; i < nc; i++) {
		add(t, "[circuit %s]", circuits[i]);
		add(t, "uplink = up%zu", i + 1);
		add(t, "type = direct");
		add(t, "bandwidth = 10G");
	}
	for (size_t i = 0; i < n; i++) {
		add(t, "[vnet %s]", vnets[i]);
		add(t, "address-space = 10.%d.0.0/16", vnets[i][1]);
	}
}

/* Plans vnets and circuits from st into f. */
static void plan_ids(struct fx *f, const struct fp_state *st,
		     const char *const *vnets, size_t n,
		     const char *const *circuits, size_t nc)
{
	struct text t = { 0 };

	conf_ids(&t, vnets, n, circuits, nc);
	parse(f, t.s);
	plan(f, st);
	check_clean(&f->d, 0);
	text_free(&t);
}

static void test_ids_stable(void **state)
{
	static const char *const v123[] = { "v1", "v2", "v3" };
	static const char *const v4123[] = { "v4", "v1", "v2", "v3" };
	static const char *const v314[] = { "v3", "v1", "v4" };
	static const char *const v5314[] = { "v5", "v3", "v1", "v4" };
	static const char *const c12[] = { "c1", "c2" };
	static const char *const c32[] = { "c3", "c2" };
	struct fx f[5];
	char what[64];

	plan_ids(&f[0], NULL, v123, 3, c12, 2);
	for (size_t i = 0; i < 3; i++) {
		snprintf(what, sizeof(what), "first plan: %s id", v123[i]);
		check_int(what, i + 1, vnet_id(&f[0].next, v123[i]));
	}
	check_int("first plan: c1 id", 1, circuit_id(&f[0].next, "c1"));
	check_int("first plan: c2 id", 2, circuit_id(&f[0].next, "c2"));

	/* Again from its own next state: the same ids. */
	plan_ids(&f[1], &f[0].next, v123, 3, c12, 2);
	for (size_t i = 0; i < 3; i++) {
		snprintf(what, sizeof(what), "second plan: %s id", v123[i]);
		check_int(what, i + 1, vnet_id(&f[1].next, v123[i]));
		check_int("plan space's vnet id", i + 1,
			  f[1].plan.spaces[i].vnet);
	}
	check_int("second plan: c2 id", 2, circuit_id(&f[1].next, "c2"));

	/* A new VNet listed first takes no live VNet's id. */
	plan_ids(&f[2], &f[1].next, v4123, 4, c32, 2);
	check_int("v4 id (new, first in the file)", 4,
		  vnet_id(&f[2].next, "v4"));
	check_int("v1 id kept", 1, vnet_id(&f[2].next, "v1"));
	check_int("v2 id kept", 2, vnet_id(&f[2].next, "v2"));
	check_int("v3 id kept", 3, vnet_id(&f[2].next, "v3"));
	check_int("c2 id kept, c1 removed", 2, circuit_id(&f[2].next, "c2"));
	check_int("c3 takes c1's id, c1 gone", 1, circuit_id(&f[2].next, "c3"));
	check_int("next: circuit ids, c1's forgotten", 2,
		  f[2].next.ncircuit_ids);

	/* v2 removed: its id is gone from the state, the others kept. */
	plan_ids(&f[3], &f[2].next, v314, 3, c32, 2);
	check_int("v2 forgotten", 0, vnet_id(&f[3].next, "v2"));
	check_int("next: vnet ids", 3, f[3].next.nvnet_ids);
	check_int("v1 id", 1, vnet_id(&f[3].next, "v1"));
	check_int("v3 id", 3, vnet_id(&f[3].next, "v3"));
	check_int("v4 id", 4, vnet_id(&f[3].next, "v4"));

	/* Once v2 is gone, a new VNet reuses its id. */
	plan_ids(&f[4], &f[3].next, v5314, 4, c32, 2);
	check_int("v5 takes v2's id", 2, vnet_id(&f[4].next, "v5"));
	check_int("v4 id kept", 4, vnet_id(&f[4].next, "v4"));
	check_int("plan: space of v5", 2,
		  plan_space(&f[4].plan, "10.53.0.0/16"));
	for (size_t i = 0; i < ARRAY_SIZE(f); i++)
		fx_free(&f[i]);
}

/* ---- offline checks, messages ------------------------------------------- */

static const struct fp_world offline_world = { .iface_exists = known_iface,
					       .offline = true };

/*
 * Offline (apply --check --offline), interfaces and the state are not
 * asked: each check that needs them is a note on its line, not an error;
 * every other rule still holds.
 */
static void test_offline(void **state)
{
	static const struct fp_state empty;
	struct text t = { 0 };
	int gw, circ, port, conn, key;
	struct fx f;

	(void)state;
	gw = add(&t, "[gateway]");
	add(&t, "sku = ErGw3AZ");
	add(&t, "port = nogw0");
	circ = add(&t, "[circuit c1]");
	add(&t, "uplink = noup0");
	add(&t, "type = direct");
	add(&t, "bandwidth = 10G");
	add(&t, "owner = alice");
	add(&t, "[vnet v1]");
	for (int i = 0; i < FP_SPACES_AT_CREATION + 1; i++)
		add(&t, "address-space = 10.%d.%d.0/24", i / 256, i % 256);
	port = add(&t, "port = novm0");
	add(&t, "owner = bob");
	conn = add(&t, "[connection k1]");
	add(&t, "vnet = v1");
	add(&t, "circuit = c1");
	key = add(&t, "authorization = " KEY_A);

	/* Online, against the test's world: four errors. */
	parse(&f, t.s);
	plan(&f, NULL);
	check_error(&f.d, gw, "[gateway] port nogw0: no such interface");
	check_error(&f.d, circ, "circuit c1: uplink noup0: no such interface");
	check_error(&f.d, port, "vnet v1: port novm0: no such interface");
	check_error(&f.d, key, "authorization key", "not one of circuit c1's");
	check_error(&f.d, conn, "advertises 201 address spaces");
	check_errors(&f.d, 5);
	fx_free(&f);

	/* Offline: notes, and a plan. */
	parse(&f, t.s);
	check_int("offline plan return", 0,
		  fp_model__plan(&f.cfg, &empty, &offline_world, &f.plan,
				 &f.next, &f.d));
	check_clean(&f.d, 0);
	check_int("notes: the five checks skipped", 5, f.d.notes);
	check_note(&f.d, gw, "[gateway] port nogw0", "not checked offline");
	check_note(&f.d, circ, "circuit c1: uplink noup0",
		   "not checked offline");
	check_note(&f.d, port, "vnet v1: port novm0", "not checked offline");
	check_note(&f.d, key, "connection k1: authorization key",
		   "not checked offline");
	check_note(&f.d, conn, "connection k1", "201 address spaces",
		   "not checked offline");
	check_int("offline: planned", 1, f.plan.nconns);
	fx_free(&f);

	/* Rules that need no host still hold offline: 1,001 IPv4 spaces. */
	text_free(&t);
	add(&t, "[vnet v1]");
	for (int i = 0; i < FP_SPACES_MAX + 1; i++)
		add(&t, "address-space = 10.%d.%d.0/24", i / 256, i % 256);
	parse(&f, t.s);
	check_int("offline plan return", 0,
		  fp_model__plan(&f.cfg, &empty, &offline_world, &f.plan,
				 &f.next, &f.d));
	check_error(&f.d, 1, "vnet v1", "1001 IPv4 address spaces");
	check_errors(&f.d, 1);
	fx_free(&f);
	text_free(&t);
}

/* A name of 63 characters is one; of 64, "too long", wherever it is. */
static void test_name_too_long(void **state)
{
	char at_max[FP_NAME_MAX], over[FP_NAME_MAX + 1], text[1024];
	struct fx f;

	(void)state;
	memset(at_max, 'n', sizeof(at_max) - 1);
	at_max[sizeof(at_max) - 1] = 0;
	memset(over, 'n', sizeof(over) - 1);
	over[sizeof(over) - 1] = 0;
	snprintf(text, sizeof(text), "[gateway]\nname = %s\n", at_max);
	parse(&f, text);
	check_clean(&f.d, 0);
	fx_free(&f);
	snprintf(text, sizeof(text), "[gateway]\nname = %s\n", over);
	parse(&f, text);
	check_error(&f.d, 2, "[gateway] name",
		    "name too long (64 characters; 63 at most)");
	check_errors(&f.d, 1);
	fx_free(&f);
	snprintf(text, sizeof(text), "[vnet %s]\n", over);
	parse(&f, text);
	check_error(&f.d, 1, "name too long (64 characters; 63 at most)");
	check_errors(&f.d, 1);
	fx_free(&f);
	snprintf(text, sizeof(text), "[vnet v1]\npeering = %s\n", over);
	parse(&f, text);
	check_error(&f.d, 2, "peering",
		    "name too long (64 characters; 63 at most)");
	check_errors(&f.d, 1);
	fx_free(&f);
	snprintf(text, sizeof(text),
		 "[connection k1]\nvnet = v1\ncircuit = %s\n", over);
	parse(&f, text);
	check_error(&f.d, 3, "circuit", "too long (64 characters; 63 at most)");
	fx_free(&f);
}

/* Bytes that are not UTF-8, and control characters, come back as \xNN. */
static void test_escaped(void **state)
{
	struct fx f;

	(void)state;
	parse(&f, "[circuit c\xff\x1b[31m]\n"
		  "[vnet v1]\nregion = caf\xc3\xa9\ncolour = \xc3\x28\n");
	check_error(&f.d, 1, "[circuit c\\xff\\x1b[31m]");
	check_error(&f.d, 4, "unknown key colour");
	check_errors(&f.d, 2);
	for (size_t i = 0; i < f.d.n; i++)
		for (const char *c = f.d.msg[i]; *c; c++)
			if ((unsigned char)*c >= 0x80 || *c < 0x20) {
				print_error("raw byte 0x%02x in \"%s\"\n",
					    (unsigned char)*c, f.d.msg[i]);
				fail();
			}
	fx_free(&f);
	parse(&f, "[gateway]\nsku = caf\xc3\xa9 \xed\xa0\x80\n");
	/* Valid UTF-8 kept, a surrogate (not UTF-8) escaped. */
	check_error(&f.d, 2, "sku = caf\xc3\xa9 \\xed\\xa0\\x80");
	fx_free(&f);
}

/*
 * A VNet that names no owner is its circuit's owner's: no key, a warning
 * saying so. A circuit that names none needs the VNet owner's key.
 */
static void test_auth_no_owner(void **state)
{
	static const char head[] =
		"[gateway]\nsku = ErGw3AZ\n"
		"[circuit c1]\nuplink = up1\ntype = direct\nbandwidth = 10G\n"
		"owner = alice\n"
		"[circuit c2]\nuplink = up2\ntype = direct\nbandwidth = 10G\n"
		"[vnet anon]\naddress-space = 10.1.0.0/16\n"
		"[vnet v1]\naddress-space = 10.2.0.0/16\nowner = bob\n";
	char text[1024];
	struct fx f;

	(void)state;
	snprintf(text, sizeof(text), "%s%s", head,
		 "[connection k1]\nvnet = anon\ncircuit = c1\n");
	parse(&f, text);
	plan(&f, NULL);
	check_clean(&f.d, 1);
	check_warning(&f.d, line_of(text, "[connection k1]"),
		      "vnet anon names no owner",
		      "circuit c1's owner (alice) is assumed");
	fx_free(&f);
	snprintf(text, sizeof(text), "%s%s", head,
		 "[connection k1]\nvnet = v1\ncircuit = c2\n");
	parse(&f, text);
	plan(&f, NULL);
	check_error(&f.d, line_of(text, "[connection k1]"),
		    "vnet v1 (owner bob)", "circuit c2 names no owner",
		    "authorization key");
	check_errors(&f.d, 1);
	fx_free(&f);
	/* Neither names one: one owner's, nothing to say. */
	snprintf(text, sizeof(text), "%s%s", head,
		 "[connection k1]\nvnet = anon\ncircuit = c2\n");
	parse(&f, text);
	plan(&f, NULL);
	check_clean(&f.d, 0);
	fx_free(&f);
}

/*
 * A connection is fast in the families its VNet has: an IPv4-only VNet's
 * link is no IPv6 one, an IPv6-only VNet's no IPv4 one, and a spoke
 * reached over a dual-stack hub keeps its own families.
 */
static void test_plan_families(void **state)
{
	static const char text[] =
		"[gateway]\nsku = ErGw3AZ\n"
		"[circuit c1]\nuplink = up1\ntype = direct\nbandwidth = 10G\n"
		"[vnet hub]\naddress-space = 10.1.0.0/16\n"
		"address-space = 2001:db8:1::/48\npeering = spoke\n"
		"[vnet spoke]\naddress-space = 10.2.0.0/16\n"
		"[vnet six]\naddress-space = 2001:db8:6::/48\n"
		"[vnet four]\naddress-space = 10.4.0.0/16\n"
		"[connection k-hub]\nvnet = hub\ncircuit = c1\n"
		"[connection k-six]\nvnet = six\ncircuit = c1\n"
		"[connection k-four]\nvnet = four\ncircuit = c1\n";
	struct fx f;

	(void)state;
	parse(&f, text);
	plan(&f, NULL);
	check_clean(&f.d, 0);
	check_int("hub: both families",
		  FP_CONN_F_LINKED | FP_CONN_F_FAST4 | FP_CONN_F_FAST6,
		  plan_conn(&f.plan, "hub", "c1")->flags);
	check_int("four: IPv4 only", FP_CONN_F_LINKED | FP_CONN_F_FAST4,
		  plan_conn(&f.plan, "four", "c1")->flags);
	check_int("six: IPv6 only", FP_CONN_F_LINKED | FP_CONN_F_FAST6,
		  plan_conn(&f.plan, "six", "c1")->flags);
	check_int("spoke over the hub: IPv4 only",
		  FP_CONN_F_LINKED | FP_CONN_F_FAST4 | FP_CONN_F_PEERED,
		  plan_conn(&f.plan, "spoke", "c1")->flags);
	fx_free(&f);
}

/* ---- ExpressRoute Direct ports ------------------------------------------- */

#define PORT_QINQ "[port p1]\nuplink = up1\nspeed = 10G\nencapsulation = qinq\n"
#define PORT_DOT1Q \
	"[port p2]\nuplink = up2\nspeed = 10G\nencapsulation = dot1q\n"
/* A 1G circuit on QinQ port p1 (S-tag, VLAN) or on Dot1Q port p2 (VLAN). */
#define ON_P1(name, stag, vlan)                                          \
	"[circuit " name "]\nport = p1\ntype = direct\nbandwidth = 1G\n" \
	"s-tag = " stag "\nvlan = " vlan "\n"
#define ON_P2(name, vlan)                                                \
	"[circuit " name "]\nport = p2\ntype = direct\nbandwidth = 1G\n" \
	"vlan = " vlan "\n"

struct port_case {
	const char *name;
	const char *text;
	const char *at; /* NULL: valid */
	bool warning;
	const char *subs[4];
};

/* Each rule of a circuit on a port: a config that keeps it, one that breaks it. */
static void test_port_rules(void **state)
{
	static const struct port_case cases[] = {
		{ "QinQ: two circuits, an S-tag each, one VLAN",
		  PORT_QINQ ON_P1("c1", "100", "10") ON_P1("c2", "101", "10") },
		{ "QinQ: two circuits with one S-tag",
		  PORT_QINQ ON_P1("c1", "100", "10")
			  ON_P1("c2", "100 ; again", "11"),
		  "again",
		  false,
		  { "circuit c2: s-tag 100 is circuit c1's (line 5) on port p1",
		    "each circuit on a QinQ port has its own S-tag" } },
		{ "Dot1Q: two circuits, a VLAN each",
		  PORT_DOT1Q ON_P2("c1", "10") ON_P2("c2", "11") },
		{ "Dot1Q: two circuits with one VLAN",
		  PORT_DOT1Q ON_P2("c1", "10") ON_P2("c2", "10 ; again"),
		  "again",
		  false,
		  { "circuit c2: vlan 10 is circuit c1's (line 5) on port p2",
		    "unique across the port's circuits" } },
		{ "one VLAN on two ports",
		  PORT_QINQ PORT_DOT1Q ON_P1("c1", "100", "10")
			  ON_P2("c2", "10") },
		{ "an unknown port",
		  PORT_QINQ ON_P1(
			  "c1", "100",
			  "10") "[circuit c2]\nport = p9\ntype = direct\nbandwidth = 1G\n"
				"vlan = 10\n",
		  "p9",
		  false,
		  { "circuit c2: port p9: no such port ([port p9])" } },
		{ "a provider circuit on a port",
		  PORT_DOT1Q
		  "[circuit c1]\nport = p2\ntype = provider\nbandwidth = 1G\n"
		  "vlan = 10\n",
		  "port = p2",
		  false,
		  { "circuit c1: port p2",
		    "only a Direct circuit is on an ExpressRoute Direct port" } },
		{ "an uplink and a port",
		  PORT_DOT1Q "[circuit c1]\nuplink = up3\nport = p2\n"
			     "type = direct\nbandwidth = 1G\nvlan = 10\n",
		  "[circuit c1]",
		  false,
		  { "circuit c1: uplink up3 and port p2 both given",
		    "arrives on the port's uplink (up2)" } },
		{ "port-speed the port's",
		  PORT_DOT1Q ON_P2("c1", "10") "port-speed = 10G\n" },
		{ "port-speed not the port's",
		  PORT_DOT1Q
		  "[circuit c1]\nport = p2\ntype = direct\nbandwidth = 10G\n"
		  "vlan = 10\nport-speed = 100G\n",
		  "[circuit c1]",
		  false,
		  { "circuit c1: port-speed 100G is not port p2's speed (10G)" } },
		{ "no vlan",
		  PORT_DOT1Q
		  "[circuit c1]\nport = p2\ntype = direct\nbandwidth = 1G\n",
		  "[circuit c1]",
		  false,
		  { "circuit c1: no vlan: a circuit on port p2 needs its private "
		    "peering's VLAN ID" } },
		{ "QinQ without an S-tag",
		  PORT_QINQ
		  "[circuit c1]\nport = p1\ntype = direct\nbandwidth = 1G\n"
		  "vlan = 10\n",
		  "[circuit c1]",
		  false,
		  { "circuit c1: no s-tag: port p1 is QinQ" } },
		{ "Dot1Q with an S-tag",
		  PORT_DOT1Q ON_P2("c1", "10") "s-tag = 100\n",
		  "s-tag",
		  false,
		  { "circuit c1: s-tag on port p2, which is Dot1Q" } },
		{ "a vlan without a port",
		  "[circuit c1]\nuplink = up3\ntype = direct\nbandwidth = 1G\n"
		  "vlan = 10\n",
		  "vlan",
		  false,
		  { "circuit c1: vlan is for a circuit on a [port]" } },
		{ "an s-tag without a port",
		  "[circuit c1]\nuplink = up3\ntype = direct\nbandwidth = 1G\n"
		  "s-tag = 10\n",
		  "s-tag",
		  false,
		  { "circuit c1: s-tag is for a circuit on a QinQ [port]" } },
		{ "a gateway-port without a port",
		  "[circuit c1]\nuplink = up3\ntype = direct\nbandwidth = 1G\n"
		  "gateway-port = up9\n",
		  "gateway-port",
		  false,
		  { "circuit c1: gateway-port is for a circuit on a [port]" } },
		{ "an untagged circuit beside a port",
		  PORT_DOT1Q ON_P2(
			  "c1",
			  "10") "[circuit c2]\nuplink = up3\ntype = direct\nbandwidth = 1G\n" },
		{ "an untagged circuit on a port's uplink",
		  PORT_DOT1Q ON_P2(
			  "c1",
			  "10") "[circuit c2]\nuplink = up2\ntype = direct\nbandwidth = 1G\n",
		  "[circuit c2]",
		  false,
		  { "circuit c2: uplink up2 is port p2's (line 1), a trunk",
		    "its untagged frames belong to no circuit",
		    "(port = p2, vlan = N)" } },
		{ "two ports on one uplink",
		  PORT_DOT1Q ON_P2(
			  "c1",
			  "10") "[port p3]\nuplink = up2\nspeed = 10G\n"
				"encapsulation = qinq\n"
				"[circuit c2]\nport = p3\ntype = direct\nbandwidth = 1G\n"
				"s-tag = 7\nvlan = 10\n",
		  "[port p3]",
		  false,
		  { "port p3: uplink up2 is port p2's (line 1)" } },
		{ "a port no circuit is on",
		  PORT_DOT1Q ON_P2("c1", "10") PORT_QINQ,
		  "[port p1]",
		  true,
		  { "port p1: no circuit is on it (port = p1 in a [circuit])" } },
		{ "a gateway-port that exists",
		  PORT_DOT1Q ON_P2("c1", "10") "gateway-port = up9\n" },
		{ "a gateway-port that does not",
		  PORT_DOT1Q ON_P2("c1", "10") "gateway-port = gw-c1\n",
		  "gw-c1",
		  false,
		  { "circuit c1: gateway-port gw-c1: no such interface" } },
		{ "a port's uplink that does not exist",
		  "[port p2]\nuplink = eth7\nspeed = 10G\n"
		  "encapsulation = dot1q\n" ON_P2("c1", "10"),
		  "[port p2]",
		  false,
		  { "port p2: uplink eth7: no such interface" } },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct port_case *c = &cases[i];
		struct fx f;

		print_message("port: %s\n", c->name);
		parse(&f, c->text);
		check_clean(&f.d, 0);
		plan(&f, NULL);
		if (!c->at) {
			check_clean(&f.d, 0);
		} else if (c->warning) {
			check_clean(&f.d, 1);
			check_finding(&f.d, "warning", line_of(c->text, c->at),
				      c->subs);
		} else {
			check_finding(&f.d, "error", line_of(c->text, c->at),
				      c->subs);
			check_errors(&f.d, 1);
		}
		fx_free(&f);
	}
}

/*
 * Circuit sizes on a [port] are the port's speed's: each ExpressRoute
 * bandwidth on a 10G and on a 100G port, valid when the port lists it.
 */
static void test_port_sizes(void **state)
{
	static const char *const bw[] = {
		"50M", "100M", "200M", "500M", "1G",
		"2G",  "5G",   "10G",  "40G",  "100G"
	};
	static const __u32 mbps[] = { 50,   100,  200,	 500,	1000,
				      2000, 5000, 10000, 40000, 100000 };
	static const char *const speeds[] = { "10G", "100G" };

	(void)state;
	for (size_t p = 0; p < ARRAY_SIZE(speeds); p++) {
		__u32 speed = p ? 100000 : 10000;

		for (size_t i = 0; i < ARRAY_SIZE(bw); i++) {
			bool ok = fp_model__direct_size(speed, mbps[i]);
			int errors = !ok + (mbps[i] > 2 * speed);
			char text[256], says[96];
			struct fx f;

			snprintf(text, sizeof(text),
				 "[port p1]\nuplink = up1\nspeed = %s\n"
				 "encapsulation = dot1q\n"
				 "[circuit c1]\nport = p1\ntype = direct\n"
				 "bandwidth = %s\nvlan = 10\n",
				 speeds[p], bw[i]);
			print_message("%s on a %s [port]: %s\n", bw[i],
				      speeds[p], ok ? "valid" : "refused");
			parse(&f, text);
			check_clean(&f.d, 0);
			plan(&f, NULL);
			if (ok) {
				check_clean(&f.d, 0);
			} else {
				snprintf(says, sizeof(says),
					 "bandwidth %s is not a circuit size "
					 "of a %s ExpressRoute Direct port",
					 bw[i], speeds[p]);
				check_error(&f.d, line_of(text, "[circuit"),
					    "circuit c1", says);
				check_errors(&f.d, errors);
			}
			fx_free(&f);
		}
	}
}

/*
 * Text of port p1 of speed (dot1q) with a Direct circuit c<i> of each
 * bandwidth of bw (n of them), and ip-budget budget[i] when budget and
 * budget[i] are given.
 */
static void port_text(struct text *t, const char *speed, const char *const *bw,
		      const unsigned int *budget, size_t n)
{
	add(t, "[port p1]");
	add(t, "uplink = up1");
	add(t, "speed = %s", speed);
	add(t, "encapsulation = dot1q");
	for (size_t i = 0; i < n; i++) {
		add(t, "[circuit c%zu]", i + 1);
		add(t, "port = p1");
		add(t, "type = direct");
		add(t, "bandwidth = %s", bw[i]);
		add(t, "vlan = %zu", 10 + i);
		if (budget && budget[i])
			add(t, "ip-budget = %u", budget[i]);
	}
}

/*
 * The circuits on a port are provisioned up to its subscribed bandwidth,
 * twice its speed; past its speed (over-subscribed) is a warning.
 */
static void test_port_bandwidth_sum(void **state)
{
	static const struct {
		const char *speed;
		const char *bw[4];
		const char *sum; /* NULL: within the port's speed */
		bool error;
	} cases[] = {
		{ "10G", { "10G" }, NULL, false },
		{ "10G", { "5G", "2G", "2G", "1G" }, NULL, false },
		{ "10G", { "10G", "1G" }, "11G", false },
		{ "10G", { "10G", "10G" }, "20G", false },
		{ "10G", { "10G", "10G", "1G" }, "21G", true },
		{ "100G", { "100G" }, NULL, false },
		{ "100G", { "100G", "5G" }, "105G", false },
		{ "100G", { "100G", "100G" }, "200G", false },
		{ "100G", { "100G", "100G", "5G" }, "205G", true },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct text t = { 0 };
		char says[96];
		struct fx f;
		size_t n = 0;

		while (n < 4 && cases[i].bw[n])
			n++;
		port_text(&t, cases[i].speed, cases[i].bw, NULL, n);
		print_message("%zu circuits on a %s port: %s\n", n,
			      cases[i].speed,
			      cases[i].sum ? cases[i].sum : "within");
		parse(&f, t.s);
		check_clean(&f.d, 0);
		plan(&f, NULL);
		if (!cases[i].sum) {
			check_clean(&f.d, 0);
		} else if (!cases[i].error) {
			snprintf(says, sizeof(says),
				 "bandwidths sum to %s, more than its speed "
				 "(%s): over-subscribed",
				 cases[i].sum, cases[i].speed);
			check_clean(&f.d, 1);
			check_warning(&f.d, 1, "port p1: its circuits'", says);
		} else {
			snprintf(says, sizeof(says),
				 "bandwidths sum to %s; a %s ExpressRoute "
				 "Direct port is provisioned up to",
				 cases[i].sum, cases[i].speed);
			check_error(&f.d, 1, "port p1: its circuits'", says);
			check_errors(&f.d, 1);
		}
		fx_free(&f);
		text_free(&t);
	}
}

/*
 * The FastPath IP limit of a port is its circuits' together: the
 * ip-budgets given sum within it, and circuits without one share what
 * they leave, so that the budgets of the plan never sum past it.
 */
static void test_port_ip_budget(void **state)
{
	static const struct {
		const char *speed;
		const char *over; /* the sum past the limit, or NULL */
		size_t n;
		unsigned int given[3]; /* 0: no ip-budget */
		unsigned int want[3]; /* the plan's budgets */
		int starved; /* circuits left with no budget (a warning) */
	} cases[] = {
		{ "10G", NULL, 2, { 60000, 40000 }, { 60000, 40000 }, 0 },
		{ "10G", "100001", 2, { 60000, 40001 }, { 0 }, 0 },
		{ "100G", NULL, 1, { 200000 }, { 200000 }, 0 },
		{ "100G", "200001", 1, { 200001 }, { 0 }, 0 },
		{ "10G", NULL, 1, { 0 }, { 100000 }, 0 },
		{ "10G", NULL, 3, { 30000, 0, 0 }, { 30000, 35000, 35000 }, 0 },
		{ "10G", NULL, 3, { 0, 0, 0 }, { 33333, 33333, 33333 }, 0 },
		{ "100G", NULL, 3, { 0, 0, 0 }, { 66666, 66666, 66666 }, 0 },
		{ "10G", NULL, 3, { 99998, 0, 0 }, { 99998, 1, 1 }, 0 },
		{ "10G", NULL, 3, { 99999, 0, 0 }, { 99999, 0, 0 }, 2 },
		{ "10G", NULL, 2, { 100000, 0 }, { 100000, 0 }, 1 },
	};
	/* Circuit sizes of each port, within its speed. */
	static const char *const on10g[] = { "1G", "1G", "1G" },
				 *const on100g[] = { "5G", "5G", "5G" };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		bool big = strcmp(cases[i].speed, "10G");
		__u32 limit = big ? FP_BUDGET_DIRECT_100G :
				    FP_BUDGET_DIRECT_10G;
		struct text t = { 0 };
		char says[96], name[24], hdr[48];
		__u64 sum = 0;
		struct fx f;

		port_text(&t, cases[i].speed, big ? on100g : on10g,
			  cases[i].given, cases[i].n);
		print_message("ip-budgets %u %u %u on a %s port\n",
			      cases[i].given[0], cases[i].given[1],
			      cases[i].given[2], cases[i].speed);
		parse(&f, t.s);
		check_clean(&f.d, 0);
		plan(&f, NULL);
		if (cases[i].over) {
			snprintf(says, sizeof(says),
				 "ip-budgets sum to %s; the FastPath IP limit "
				 "of a %s ExpressRoute Direct port is %u",
				 cases[i].over, cases[i].speed, limit);
			check_error(&f.d, 1, "port p1: its circuits'", says,
				    "shared by all its circuits");
			check_errors(&f.d, 1);
			fx_free(&f);
			text_free(&t);
			continue;
		}
		check_clean(&f.d, cases[i].starved);
		for (size_t c = 0; c < cases[i].n; c++) {
			const struct fp_plan_circuit *pc;

			snprintf(name, sizeof(name), "c%zu", c + 1);
			pc = plan_circuit(&f.plan, name);
			snprintf(says, sizeof(says), "plan: %s's budget", name);
			check_int(says, cases[i].want[c], pc->budget);
			sum += pc->budget;
			snprintf(hdr, sizeof(hdr), "[circuit %s]", name);
			if (!pc->budget)
				check_warning(&f.d, line_of(t.s, hdr), name,
					      "no FastPath IP budget is left "
					      "for it on port p1",
					      "goes through the gateway");
		}
		check_true("plan: the port's budgets within its limit",
			   sum <= limit);
		fx_free(&f);
		text_free(&t);
	}
}

/* What the plan says of circuits on ports, and of one on its own uplink. */
static void test_port_plan(void **state)
{
	static const char text[] =
		"[port p1]\nuplink = up1\nspeed = 10G\nencapsulation = qinq\n"
		"[port p2]\nuplink = up2\nspeed = 100G\nencapsulation = dot1q\n"
		"[circuit c1]\nport = p1\ntype = direct\nbandwidth = 5G\n"
		"s-tag = 100\nvlan = 10\ngateway-port = up9\n"
		"ip-budget = 40000\n"
		"[circuit c2]\nport = p1\ntype = direct\nbandwidth = 5G\n"
		"s-tag = 101\nvlan = 10\n"
		"[circuit c3]\nport = p2\ntype = direct\nbandwidth = 40G\n"
		"vlan = 4094\n"
		"[circuit c4]\nuplink = up4\ntype = direct\nbandwidth = 10G\n";
	const struct fp_plan_circuit *pc;
	struct fx f;

	(void)state;
	parse(&f, text);
	check_clean(&f.d, 0);
	check_int("ports", 2, f.cfg.nports);
	check_str("p1 uplink", "up1", f.cfg.ports[0].uplink);
	check_int("p1 speed", 10000, f.cfg.ports[0].speed);
	check_int("p1 encapsulation", FP_ENCAP_QINQ, f.cfg.ports[0].encap);
	check_int("p2 speed", 100000, f.cfg.ports[1].speed);
	check_int("p2 encapsulation", FP_ENCAP_DOT1Q, f.cfg.ports[1].encap);
	check_int("c1 s-tag line", line_of(text, "s-tag = 100"),
		  f.cfg.circuits[0].stag_line);
	plan(&f, NULL);
	check_clean(&f.d, 0);

	pc = plan_circuit(&f.plan, "c1");
	check_str("c1 uplink: the port's", "up1", pc->uplink);
	check_str("c1 port", "p1", pc->port);
	check_int("c1 s-tag", 100, pc->stag);
	check_int("c1 vlan", 10, pc->vlan);
	check_str("c1 gateway-port", "up9", pc->gw_port);
	check_int("c1 budget: its ip-budget", 40000, pc->budget);
	pc = plan_circuit(&f.plan, "c2");
	check_str("c2 uplink: the port's", "up1", pc->uplink);
	check_int("c2 s-tag", 101, pc->stag);
	check_int("c2 vlan (another S-tag's too)", 10, pc->vlan);
	check_str("c2 gateway-port: none", "", pc->gw_port);
	check_int("c2 budget: what c1 leaves of p1's", 60000, pc->budget);
	pc = plan_circuit(&f.plan, "c3");
	check_str("c3 uplink", "up2", pc->uplink);
	check_str("c3 port", "p2", pc->port);
	check_int("c3 s-tag: none on Dot1Q", 0, pc->stag);
	check_int("c3 vlan", 4094, pc->vlan);
	check_int("c3 budget: the 100G port's", FP_BUDGET_DIRECT_100G,
		  pc->budget);
	/* An untagged circuit: as before ports. */
	pc = plan_circuit(&f.plan, "c4");
	check_str("c4 uplink", "up4", pc->uplink);
	check_str("c4 port: none", "", pc->port);
	check_int("c4 s-tag", 0, pc->stag);
	check_int("c4 vlan", 0, pc->vlan);
	check_int("c4 budget: its own port's", FP_BUDGET_DIRECT_10G,
		  pc->budget);
	check_int("next: applied circuits", 4, f.next.applied.ncircuits);
	check_int("next: applied c1 s-tag", 100,
		  f.next.applied.circuits[0].stag);
	fx_free(&f);
}

/* Offline, a port's uplink and a gateway-port are notes, and it plans. */
static void test_port_offline(void **state)
{
	static const struct fp_state empty;
	static const char text[] =
		"[port p1]\nuplink = notrunk0\nspeed = 10G\n"
		"encapsulation = dot1q\n"
		"[circuit c1]\nport = p1\ntype = direct\nbandwidth = 10G\n"
		"vlan = 10\ngateway-port = nogw1\n";
	struct fx f;

	(void)state;
	parse(&f, text);
	plan(&f, NULL);
	check_error(&f.d, 1, "port p1: uplink notrunk0: no such interface");
	check_error(&f.d, line_of(text, "nogw1"),
		    "circuit c1: gateway-port nogw1: no such interface");
	check_errors(&f.d, 2);
	fx_free(&f);

	parse(&f, text);
	check_int("offline plan return", 0,
		  fp_model__plan(&f.cfg, &empty, &offline_world, &f.plan,
				 &f.next, &f.d));
	check_clean(&f.d, 0);
	check_int("notes: the two interfaces", 2, f.d.notes);
	check_note(&f.d, 1, "port p1: uplink notrunk0", "not checked offline");
	check_note(&f.d, line_of(text, "nogw1"), "circuit c1: gateway-port",
		   "not checked offline");
	check_str("offline plan: c1 on the port's uplink", "notrunk0",
		  plan_circuit(&f.plan, "c1")->uplink);
	fx_free(&f);
}

/* A state file in a fresh directory; the caller removes both. */
static void state_path(char *dir, size_t n, char *path, size_t m)
{
	snprintf(dir, n, "/tmp/test_model.XXXXXX");
	check_true("temporary directory", mkdtemp(dir) != NULL);
	snprintf(path, m, "%s/state.json", dir);
}

/* The applied plan's port fields go to the state file and come back. */
static void test_state_ports(void **state)
{
	struct fp_plan_circuit circ[2] = {
		{ .name = "c1",
		  .id = 1,
		  .uplink = "up1",
		  .budget = 35000,
		  .port = "p1",
		  .stag = 100,
		  .vlan = 4094,
		  .gw_port = "gw-c1" },
		{ .name = "c2", .id = 2, .uplink = "up2", .budget = 100000 },
	};
	struct fp_plan_port ports[2] = {
		{ .name = "vm1", .owned = true, .vnet = 7 },
		{ .name = "vm2" },
	};
	struct fp_state st = { .applied = { .circuits = circ,
					    .ncircuits = 2,
					    .ports = ports,
					    .nports = 2 } },
			back;
	char dir[64], path[96];

	(void)state;
	state_path(dir, sizeof(dir), path, sizeof(path));
	check_int("fp_state__save", 0, fp_state__save(path, &st));
	check_int("fp_state__load", 0, fp_state__load(path, &back));
	check_int("circuits back", 2, back.applied.ncircuits);
	check_str("c1 port back", "p1", back.applied.circuits[0].port);
	check_int("c1 s-tag back", 100, back.applied.circuits[0].stag);
	check_int("c1 vlan back", 4094, back.applied.circuits[0].vlan);
	check_str("c1 gateway-port back", "gw-c1",
		  back.applied.circuits[0].gw_port);
	check_int("c1 budget back", 35000, back.applied.circuits[0].budget);
	check_str("c2 port back: none", "", back.applied.circuits[1].port);
	check_int("c2 vlan back: none", 0, back.applied.circuits[1].vlan);
	check_int("ports back", 2, back.applied.nports);
	check_str("vm1 back", "vm1", back.applied.ports[0].name);
	check_true("vm1 owned back", back.applied.ports[0].owned);
	check_int("vm1's VNet back", 7, back.applied.ports[0].vnet);
	check_int("vm2's VNet back: none", 0, back.applied.ports[1].vnet);
	fp_state__free(&back);
	unlink(path);
	rmdir(dir);
}

/*
 * A state written before ports (no port, stag, vlan, gw_port in its
 * circuits, no vnet in its ports) still loads: its circuits are
 * untagged, its ports have no VNet.
 */
static void test_state_before_ports(void **state)
{
	static const char old[] =
		"{ \"version\": 1, \"authorizations\": [], "
		"\"connections\": [], \"vnet_ids\": {}, "
		"\"circuit_ids\": { \"c1\": 1 }, \"applied\": { \"circuits\": "
		"[ { \"name\": \"c1\", \"id\": 1, \"uplink\": \"up1\", "
		"\"budget\": 100000, \"xallow\": 8 } ], \"spaces\": [], "
		"\"connections\": [], \"exclusions\": [], \"ports\": [ "
		"{ \"name\": \"vm1\", \"owned\": true } ] } }\n";
	struct fp_state back;
	char dir[64], path[96];
	FILE *fp;

	(void)state;
	state_path(dir, sizeof(dir), path, sizeof(path));
	fp = fopen(path, "w");
	check_true("state file written", fp && fputs(old, fp) >= 0);
	fclose(fp);
	check_int("fp_state__load of an old state", 0,
		  fp_state__load(path, &back));
	check_int("circuits", 1, back.applied.ncircuits);
	check_str("c1 uplink", "up1", back.applied.circuits[0].uplink);
	check_str("c1 port: none", "", back.applied.circuits[0].port);
	check_int("c1 s-tag: none", 0, back.applied.circuits[0].stag);
	check_int("c1 vlan: none", 0, back.applied.circuits[0].vlan);
	check_str("c1 gateway-port: none", "",
		  back.applied.circuits[0].gw_port);
	check_int("a port", 1, back.applied.nports);
	check_int("vm1's VNet: none", 0, back.applied.ports[0].vnet);
	fp_state__free(&back);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_config_parses),
		cmocka_unit_test(test_full_config_plan),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_required_keys),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_lines_counted),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_gateway_sku),
		cmocka_unit_test(test_gateway_required),
		cmocka_unit_test(test_scale_units),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_ipv6_spaces),
		cmocka_unit_test(test_vnet_limit_table),
		cmocka_unit_test(test_vnets_per_circuit),
		cmocka_unit_test(test_region_needs_premium),
		cmocka_unit_test(test_circuits_per_vnet),
		cmocka_unit_test(test_circuits_per_vnet_by_sku),
		cmocka_unit_test(test_circuits_per_location),
		cmocka_unit_test(test_address_spaces),
		cmocka_unit_test(test_address_spaces_relinked),
		cmocka_unit_test(test_port_budget),
		cmocka_unit_test(test_ip_budget),
		cmocka_unit_test(test_circuit_shape),
		cmocka_unit_test(test_direct_sizes),
		cmocka_unit_test(test_xallow),
		cmocka_unit_test(test_auth_owner),
		cmocka_unit_test(test_auth_keys),
		cmocka_unit_test(test_vnet_rules),
		cmocka_unit_test(test_udr_exclusion_planned),
		cmocka_unit_test(test_spoke_own_connection),
		cmocka_unit_test(test_spoke_own_connection_spaces),
		cmocka_unit_test(test_ids_stable),
		cmocka_unit_test(test_offline),
		cmocka_unit_test(test_name_too_long),
		cmocka_unit_test(test_escaped),
		cmocka_unit_test(test_auth_no_owner),
		cmocka_unit_test(test_plan_families),
		cmocka_unit_test(test_port_rules),
		cmocka_unit_test(test_port_sizes),
		cmocka_unit_test(test_port_bandwidth_sum),
		cmocka_unit_test(test_port_ip_budget),
		cmocka_unit_test(test_port_plan),
		cmocka_unit_test(test_port_offline),
		cmocka_unit_test(test_state_ports),
		cmocka_unit_test(test_state_before_ports),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
