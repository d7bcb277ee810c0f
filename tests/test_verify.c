// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of loader/verify.c: the kind of a disagreement between the
 * program's, the kernel's and the model's answers (a table of cases),
 * the model's answer from an applied plan, the probe addresses of a
 * prefix, and the looks at a disagreement (loader/vlook.c: when one is
 * confirmed or transient, when a look is due, and that every suspect is
 * kept).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "verify.h"
#include "vlook.h"
#include "check.h"

#define PORT_A 7
#define PORT_B 9
#define GW_DEV 3

static const __u8 MAC_A[6] = { 0x02, 0, 0, 0, 0, 0xa };
static const __u8 MAC_B[6] = { 0x02, 0, 0, 0, 0, 0xb };

enum prog_k {
	P_FAST_A,
	P_FAST_A_MAC_B,
	P_MISS,
	P_EXCL,
	P_CONN_OFF,
	P_BUDGET,
	P_SPOOFED,
	P_REDIR_ERR
};
enum kern_k {
	K_PORT_A,
	K_PORT_A_MAC_B,
	K_PORT_A_NOMAC,
	K_PORT_B,
	K_GW,
	K_LOCAL,
	K_NOROUTE,
	K_UNKNOWN
};
enum model_k { M_NONE, M_FAST, M_EXCL, M_CONN_OFF, M_FAST_FULL };

static struct fp_vprog prog_of(enum prog_k k)
{
	struct fp_vprog p = { .reason = FP_R_FASTPATH, .ifindex = PORT_A };

	memcpy(p.dmac, k == P_FAST_A_MAC_B ? MAC_B : MAC_A, 6);
	switch (k) {
	case P_MISS:
		p = (struct fp_vprog){ .reason = FP_R_MISS };
		break;
	case P_EXCL:
		p = (struct fp_vprog){ .reason = FP_R_EXCLUDED };
		break;
	case P_CONN_OFF:
		p = (struct fp_vprog){ .reason = FP_R_CONN_OFF };
		break;
	case P_BUDGET:
		p = (struct fp_vprog){ .reason = FP_R_OVER_BUDGET };
		break;
	case P_SPOOFED:
		p = (struct fp_vprog){ .reason = FP_R_SPOOFED,
				       .dropped = true };
		break;
	case P_REDIR_ERR:
		p = (struct fp_vprog){ .reason = FP_R_REDIRECT_ERR };
		break;
	default:
		break;
	}
	return p;
}

static struct fp_vkernel kern_of(enum kern_k k)
{
	struct fp_vkernel x = { .kind = FP_VK_PORT,
				.oif = PORT_A,
				.table = 254,
				.mac_known = true };

	memcpy(x.mac, k == K_PORT_A_MAC_B ? MAC_B : MAC_A, 6);
	switch (k) {
	case K_PORT_A_NOMAC:
		x.mac_known = false;
		break;
	case K_PORT_B:
		x.oif = PORT_B;
		break;
	case K_GW:
		x = (struct fp_vkernel){ .kind = FP_VK_OTHER, .oif = GW_DEV };
		break;
	case K_LOCAL:
		x = (struct fp_vkernel){ .kind = FP_VK_LOCAL, .oif = 1 };
		break;
	case K_NOROUTE:
		x = (struct fp_vkernel){ .kind = FP_VK_NOROUTE, .err = -101 };
		break;
	case K_UNKNOWN:
		x = (struct fp_vkernel){ .kind = FP_VK_UNKNOWN };
		break;
	default:
		break;
	}
	return x;
}

static struct fp_vmodel model_of(enum model_k k)
{
	struct fp_vmodel m = { .known = k != M_NONE, .reason = FP_R_FASTPATH };

	if (k == M_EXCL)
		m.reason = FP_R_EXCLUDED;
	if (k == M_CONN_OFF)
		m.reason = FP_R_CONN_OFF;
	m.budget_full = k == M_FAST_FULL;
	return m;
}

static void test_classify_table(void **state)
{
	static const struct {
		const char *name;
		enum prog_k p;
		enum kern_k k;
		enum model_k m;
		enum fp_vkind want;
	} cases[] = {
		/* fast: the kernel's port and MAC, the model's permission */
		{ "fast, all agree", P_FAST_A, K_PORT_A, M_NONE, FP_V_AGREE },
		{ "fast, model fast", P_FAST_A, K_PORT_A, M_FAST, FP_V_AGREE },
		{ "fast, kernel has no MAC", P_FAST_A, K_PORT_A_NOMAC, M_NONE,
		  FP_V_AGREE },
		{ "fast to another port", P_FAST_A, K_PORT_B, M_NONE,
		  FP_V_WRONG_DELIVERY },
		{ "fast with a stale MAC", P_FAST_A, K_PORT_A_MAC_B, M_NONE,
		  FP_V_WRONG_DELIVERY },
		{ "fast with the wrong MAC", P_FAST_A_MAC_B, K_PORT_A, M_FAST,
		  FP_V_WRONG_DELIVERY },
		{ "fast where the kernel routes to the gateway", P_FAST_A, K_GW,
		  M_NONE, FP_V_WRONG_DELIVERY },
		{ "fast to a local address", P_FAST_A, K_LOCAL, M_NONE,
		  FP_V_WRONG_DELIVERY },
		{ "fast where the kernel has no route", P_FAST_A, K_NOROUTE,
		  M_FAST, FP_V_WRONG_DELIVERY },
		{ "wrong port beats a model mismatch", P_FAST_A, K_PORT_B,
		  M_EXCL, FP_V_WRONG_DELIVERY },
		{ "fast where the model excludes", P_FAST_A, K_PORT_A, M_EXCL,
		  FP_V_MODEL_MISMATCH },
		{ "fast where the connection is off", P_FAST_A, K_PORT_A,
		  M_CONN_OFF, FP_V_MODEL_MISMATCH },
		{ "fast, no kernel answer", P_FAST_A, K_UNKNOWN, M_NONE,
		  FP_V_AGREE },
		/* gateway for a miss */
		{ "miss, kernel fast", P_MISS, K_PORT_A, M_NONE, FP_V_MISSED },
		{ "miss, kernel and model fast", P_MISS, K_PORT_A, M_FAST,
		  FP_V_MISSED },
		{ "redirect error, kernel fast", P_REDIR_ERR, K_PORT_A, M_NONE,
		  FP_V_MISSED },
		{ "miss, kernel without a MAC", P_MISS, K_PORT_A_NOMAC, M_NONE,
		  FP_V_AGREE },
		{ "miss, model excludes", P_MISS, K_PORT_A, M_EXCL,
		  FP_V_AGREE },
		{ "miss, kernel to the gateway", P_MISS, K_GW, M_NONE,
		  FP_V_AGREE },
		{ "miss, no route", P_MISS, K_NOROUTE, M_NONE, FP_V_AGREE },
		{ "miss, no kernel answer", P_MISS, K_UNKNOWN, M_FAST,
		  FP_V_AGREE },
		/* gateway for a policy */
		{ "excluded, model excludes", P_EXCL, K_PORT_A, M_EXCL,
		  FP_V_AGREE },
		{ "excluded, model fast", P_EXCL, K_PORT_A, M_FAST,
		  FP_V_MODEL_MISMATCH },
		{ "excluded, no model", P_EXCL, K_PORT_A, M_NONE, FP_V_AGREE },
		{ "excluded, model says conn_off", P_EXCL, K_PORT_A, M_CONN_OFF,
		  FP_V_AGREE },
		{ "conn_off, model fast", P_CONN_OFF, K_PORT_A, M_FAST,
		  FP_V_MODEL_MISMATCH },
		{ "conn_off, model conn_off", P_CONN_OFF, K_PORT_A, M_CONN_OFF,
		  FP_V_AGREE },
		{ "over budget, budget not full", P_BUDGET, K_PORT_A, M_FAST,
		  FP_V_MODEL_MISMATCH },
		{ "over budget, budget full", P_BUDGET, K_PORT_A, M_FAST_FULL,
		  FP_V_AGREE },
		{ "over budget, no model", P_BUDGET, K_PORT_A, M_NONE,
		  FP_V_AGREE },
		/* pass and drop are not the destination's doing */
		{ "spoofed source", P_SPOOFED, K_PORT_A, M_FAST, FP_V_AGREE },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fp_vprog p = prog_of(cases[i].p);
		struct fp_vkernel k = kern_of(cases[i].k);
		struct fp_vmodel m = model_of(cases[i].m);
		enum fp_vkind got = fp_verify__classify(&p, &k, &m);

		if (got != cases[i].want)
			fail_msg("%s: expected %s, saw %s", cases[i].name,
				 fp_verify__kind_name(cases[i].want),
				 fp_verify__kind_name(got));
	}
}

static void test_kind_names(void **state)
{
	check_true("wrong_delivery",
		   !strcmp(fp_verify__kind_name(FP_V_WRONG_DELIVERY),
			   "wrong_delivery"));
	check_true("missed_acceleration",
		   !strcmp(fp_verify__kind_name(FP_V_MISSED),
			   "missed_acceleration"));
	check_true("model_mismatch",
		   !strcmp(fp_verify__kind_name(FP_V_MODEL_MISMATCH),
			   "model_mismatch"));
	check_true("out of range",
		   !strcmp(fp_verify__kind_name(FP_V_KINDS), "unknown"));
}

static struct fp_prefix pfx(const char *s)
{
	struct fp_prefix p;

	if (strchr(s, '/'))
		check_int(s, 0, fp_parse_prefix(s, &p));
	else
		check_int(s, 0, fp_parse_addr(s, &p));
	return p;
}

/* hub 198.19.1.0/24 (vnet 1) and spoke 198.19.2.0/24 (vnet 2). */
static void plan_init(struct fp_plan *p, struct fp_plan_circuit *c,
		      struct fp_plan_space *s, struct fp_plan_conn *conn,
		      struct fp_plan_excl *x, __u32 hub_flags,
		      __u32 spoke_flags)
{
	memset(p, 0, sizeof(*p));
	memset(c, 0, sizeof(*c));
	c->id = 1;
	c->xallow = 1U << FP_CLASS_UDR;
	s[0] = (struct fp_plan_space){ .prefix = pfx("198.19.1.0/24"),
				       .vnet = 1 };
	s[1] = (struct fp_plan_space){ .prefix = pfx("198.19.2.0/24"),
				       .vnet = 2 };
	s[2] = (struct fp_plan_space){ .prefix = pfx("2001:db8:100:1::/64"),
				       .vnet = 1 };
	conn[0] = (struct fp_plan_conn){ .vnet = 1,
					 .circuit = 1,
					 .flags = hub_flags };
	conn[1] = (struct fp_plan_conn){ .vnet = 2,
					 .circuit = 1,
					 .flags = spoke_flags };
	x[0] = (struct fp_plan_excl){ .prefix = pfx("198.19.1.64/26"),
				      .class = FP_CLASS_PRIVATE_LINK };
	x[1] = (struct fp_plan_excl){ .prefix = pfx("198.19.2.0/24"),
				      .class = FP_CLASS_PEERING };
	x[2] = (struct fp_plan_excl){ .prefix = pfx("198.19.1.128/25"),
				      .class = FP_CLASS_UDR };
	p->circuits = c;
	p->ncircuits = 1;
	p->spaces = s;
	p->nspaces = 3;
	p->conns = conn;
	p->nconns = 2;
	p->excls = x;
	p->nexcls = 3;
}

static void model_check(const struct fp_plan *p, __u32 circuit,
			const char *addr, bool full, bool known, __u32 reason,
			__u32 vnet)
{
	struct fp_prefix a = pfx(addr);
	struct fp_vmodel m;
	char what[96];

	fp_verify__model(p, circuit, &a, full, &m);
	snprintf(what, sizeof(what), "model of %s: known", addr);
	check_int(what, known, m.known);
	if (!known)
		return;
	snprintf(what, sizeof(what), "model of %s: reason", addr);
	check_int(what, reason, m.reason);
	snprintf(what, sizeof(what), "model of %s: vnet", addr);
	check_int(what, vnet, m.vnet);
	snprintf(what, sizeof(what), "model of %s: budget full", addr);
	check_int(what, full, m.budget_full);
}

static void test_model(void **state)
{
	struct fp_plan p;
	struct fp_plan_circuit c;
	struct fp_plan_space s[3];
	struct fp_plan_conn conn[2];
	struct fp_plan_excl x[3];
	const __u32 on = FP_CONN_F_LINKED | FP_CONN_F_FAST4 | FP_CONN_F_FAST6;

	plan_init(&p, &c, s, conn, x, on, on | FP_CONN_F_PEERED);
	/* No plan, or an uplink outside it: the model says nothing. */
	model_check(NULL, 1, "198.19.1.10", false, false, 0, 0);
	model_check(&p, 0, "198.19.1.10", false, false, 0, 0);
	model_check(&p, 2, "198.19.1.10", false, false, 0, 0);
	model_check(&p, 1, "198.19.1.10", false, true, FP_R_FASTPATH, 1);
	model_check(&p, 1, "198.19.1.10", true, true, FP_R_FASTPATH, 1);
	model_check(&p, 1, "2001:db8:100:1::10", false, true, FP_R_FASTPATH, 1);
	/* Private Link excluded; UDR accelerated by the circuit. */
	model_check(&p, 1, "198.19.1.70", false, true, FP_R_EXCLUDED, 1);
	model_check(&p, 1, "198.19.1.200", false, true, FP_R_FASTPATH, 1);
	/* The spoke rides on the hub's connection: peering excluded. */
	model_check(&p, 1, "198.19.2.10", false, true, FP_R_EXCLUDED, 2);
	/* Outside every VNet: only exclusions apply. */
	model_check(&p, 1, "198.19.9.1", false, true, FP_R_FASTPATH, 0);

	/* The spoke's own connection accelerates its peering class. */
	plan_init(&p, &c, s, conn, x, on, on);
	model_check(&p, 1, "198.19.2.10", false, true, FP_R_FASTPATH, 2);
	/* IPv4 only on the hub: its IPv6 space is off. */
	plan_init(&p, &c, s, conn, x, FP_CONN_F_LINKED | FP_CONN_F_FAST4, on);
	model_check(&p, 1, "198.19.1.10", false, true, FP_R_FASTPATH, 1);
	model_check(&p, 1, "2001:db8:100:1::10", false, true, FP_R_CONN_OFF, 1);
	/* No connection for the VNet on this circuit. */
	p.nconns = 0;
	model_check(&p, 1, "198.19.1.10", false, true, FP_R_CONN_OFF, 1);
}

static void address_check(const char *prefix, int which, __u64 rnd,
			  const char *want)
{
	struct fp_prefix p = pfx(prefix), out, w = pfx(want);
	char what[96];

	fp_verify__address(&p, which, rnd, &out);
	snprintf(what, sizeof(what), "address %d of %s is %s", which, prefix,
		 want);
	check_true(what, fp_prefix__equal(&out, &w));
}

static void test_addresses(void **state)
{
	address_check("198.19.200.0/24", 0, 0, "198.19.200.0");
	address_check("198.19.200.0/24", 1, 0, "198.19.200.255");
	address_check("198.19.200.0/24", 2, 0x2a, "198.19.200.42");
	address_check("198.19.1.10/32", 1, ~0ULL, "198.19.1.10");
	address_check("0.0.0.0/0", 1, 0, "255.255.255.255");
	address_check("2001:db8:100::/48", 0, ~0ULL, "2001:db8:100::");
	address_check("2001:db8:100::/48", 1, 0,
		      "2001:db8:100:ffff:ffff:ffff:ffff:ffff");
	address_check("2001:db8:100:1::10/128", 2, 12345, "2001:db8:100:1::10");
	/* A random address stays inside its prefix. */
	for (__u64 r = 1; r < 1000; r = r * 7 + 3) {
		struct fp_prefix p = pfx("198.19.64.0/18"), out;

		fp_verify__address(&p, 2, r * 0x9e3779b97f4a7c15ULL, &out);
		check_int("random address's prefix length", 32, out.len);
		check_int("random address inside /18 (byte 2)", 64,
			  out.addr[2] & 0xc0);
		check_int("random address inside /18 (bytes 0-1)", 0,
			  memcmp(out.addr, p.addr, 2));
	}
}

/* A wrong delivery: the program sends to PORT_B, the kernel to PORT_A. */
static struct fp_vresult wrong(const char *addr)
{
	struct fp_vresult r = { .addr = pfx(addr),
				.kind = FP_V_WRONG_DELIVERY };

	r.prog.action = 4; /* XDP_REDIRECT */
	r.prog.reason = FP_R_FASTPATH;
	r.prog.ifindex = PORT_B;
	memcpy(r.prog.dmac, MAC_A, 6);
	r.kern.kind = FP_VK_PORT;
	r.kern.oif = PORT_A;
	r.kern.table = 254;
	r.kern.mac_known = true;
	memcpy(r.kern.mac, MAC_A, 6);
	return r;
}

/*
 * The looks of one suspect through answers seen[0 .. n-1] (seen[0] the
 * first look): the decision that ended it, or FP_VLOOK_AGAIN; *at, the
 * look that decided.
 */
static enum fp_vlook looks_of(const struct fp_vresult *seen, int n, int *at)
{
	struct fp_vresult was = seen[0];

	for (int i = 1; i < n; i++) {
		enum fp_vlook d = fp_vlook__decide(&was, &seen[i], i);

		*at = i + 1;
		if (d != FP_VLOOK_AGAIN)
			return d;
		was = seen[i];
	}
	return FP_VLOOK_AGAIN;
}

static void test_look_decide(void **state)
{
	struct fp_vresult w = wrong("198.19.200.7"), s[4], gone = w;
	int at = 0;

	(void)state;
	gone.kind = FP_V_AGREE;
	/* The same answers on every look: confirmed on the third, not before. */
	check_int("same, look 2", FP_VLOOK_AGAIN, fp_vlook__decide(&w, &w, 1));
	check_int("same, look 3", FP_VLOOK_CONFIRMED,
		  fp_vlook__decide(&w, &w, 2));
	s[0] = s[1] = s[2] = w;
	check_int("three same looks", FP_VLOOK_CONFIRMED, looks_of(s, 3, &at));
	check_int("confirmed at look", FP_VLOOKS, at);
	check_int("two looks decide nothing", FP_VLOOK_AGAIN,
		  looks_of(s, 2, &at));
	/* Gone on the second or the third look. */
	check_int("gone, look 2", FP_VLOOK_TRANSIENT,
		  fp_vlook__decide(&w, &gone, 1));
	check_int("gone, look 3", FP_VLOOK_TRANSIENT,
		  fp_vlook__decide(&w, &gone, 2));
	/* The answer flips back: gone on look 2, back on 3: still transient,
	 * decided at look 2 (the table was moving). */
	s[1] = gone;
	check_int("flips back", FP_VLOOK_TRANSIENT, looks_of(s, 3, &at));
	check_int("flips back: decided at look", 2, at);
	/* Another kind on a later look. */
	s[1] = w;
	s[1].kind = FP_V_MISSED;
	check_int("another kind", FP_VLOOK_TRANSIENT, looks_of(s, 3, &at));
	/* The table changes between looks: the same kind from other answers. */
	s[1] = w;
	s[1].kern.oif = PORT_B + 1;
	check_int("kernel's port changed", FP_VLOOK_TRANSIENT,
		  looks_of(s, 3, &at));
	s[1] = w;
	memcpy(s[1].kern.mac, MAC_B, 6);
	check_int("kernel's MAC changed", FP_VLOOK_TRANSIENT,
		  looks_of(s, 3, &at));
	s[1] = w;
	s[1].kern.kind = FP_VK_NOROUTE;
	check_int("kernel's route gone", FP_VLOOK_TRANSIENT,
		  looks_of(s, 3, &at));
	s[1] = w;
	s[1].prog.ifindex = GW_DEV;
	check_int("program's port changed", FP_VLOOK_TRANSIENT,
		  looks_of(s, 3, &at));
	s[1] = w;
	s[1].model.known = true;
	s[1].model.reason = FP_R_EXCLUDED;
	check_int("model changed", FP_VLOOK_TRANSIENT, looks_of(s, 3, &at));
	/* Changed on the last look only: never confirmed from two. */
	s[1] = w;
	s[2] = w;
	s[2].kern.oif = PORT_B + 1;
	check_int("changed on look 3", FP_VLOOK_TRANSIENT, looks_of(s, 3, &at));
	check_int("changed on look 3: decided at look", 3, at);
	/* Bytes nobody reads (a MAC not known, no gateway) do not count. */
	s[1] = w;
	s[0].kern.mac_known = s[1].kern.mac_known = false;
	s[1].kern.mac[0] ^= 1;
	s[1].kern.gw[0] ^= 1;
	s[2] = s[1];
	check_int("unknown MAC's bytes", FP_VLOOK_CONFIRMED,
		  looks_of(s, 3, &at));
}

static void test_look_when(void **state)
{
	struct fp_vlook_clock c;

	(void)state;
	fp_vlook__start(&c, 1000, 10000, 5);
	check_int("next look", 1000 + FP_VLOOK_GAP_MS, (int)c.next_ms);
	check_int("too early", FP_VLOOK_WAIT,
		  fp_vlook__when(&c, true, 9, 1100));
	check_int("due, idle, later step", FP_VLOOK_NOW,
		  fp_vlook__when(&c, true, 6, 1200));
	check_int("due, not caught up", FP_VLOOK_WAIT,
		  fp_vlook__when(&c, false, 9, 1200));
	check_int("due, idle, the look's own step", FP_VLOOK_WAIT,
		  fp_vlook__when(&c, true, 5, 1200));
	check_int("never caught up by settle time", FP_VLOOK_GIVE_UP,
		  fp_vlook__when(&c, false, 9, 11000));
	check_int("caught up at settle time", FP_VLOOK_NOW,
		  fp_vlook__when(&c, true, 9, 11000));
	check_int("just before settle time", FP_VLOOK_WAIT,
		  fp_vlook__when(&c, false, 9, 10999));
}

static void test_look_list(void **state)
{
	struct fp_vlist l = { 0 };
	struct fp_vresult r = wrong("198.19.200.0");
	char a[32];

	(void)state;
	/* Every suspect is kept: far more than a fixed array's 64. */
	for (int i = 0; i < 1000; i++) {
		snprintf(a, sizeof(a), "198.19.%d.%d", 100 + i / 256, i % 256);
		r = wrong(a);
		check_int("add", 0, fp_vlist__add(&l, &r));
	}
	check_int("suspects kept", 1000, (int)l.n);
	check_int("first look", 1, l.looks[999]);
	r = wrong("198.19.103.231");
	check_true("the last one is there", fp_vlist__has(&l, &r));
	r.kind = FP_V_MISSED;
	check_true("another kind is another finding", !fp_vlist__has(&l, &r));
	r = wrong("198.19.104.0");
	check_true("an address never added", !fp_vlist__has(&l, &r));
	check_int("reserve what is there", 0, fp_vlist__reserve(&l, 10));
	check_true("reserve keeps the room", l.cap >= 1000);
	fp_vlist__free(&l);
	check_int("freed", 0, (int)l.n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_table),
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_look_decide),
		cmocka_unit_test(test_look_when),
		cmocka_unit_test(test_look_list),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests_name("verify", tests, NULL, NULL);
}
