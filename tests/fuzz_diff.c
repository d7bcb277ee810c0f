// SPDX-License-Identifier: GPL-2.0
/*
 * Differential fuzzer: the real XDP object and the reference model of
 * tests/refmodel.c judge the same random and mutated frames against the
 * same random route, exclusion and port tables; any difference in verdict,
 * reason, output bytes or counters is a mismatch.
 *
 * The object is loaded unpinned inside a private network namespace, like
 * tests/test_xdp.c, so nothing under /sys/fs/bpf is touched. Everything
 * random comes from one seed: `--seed S --packets N` replays a run, and a
 * mismatch prints what is needed to reproduce it.
 *
 * Counters are compared in aggregate after every table (one map read per
 * reason rather than per packet); when a batch disagrees, it is replayed
 * packet by packet with the counters read around each run to name the
 * packet. One packet in PROBE_EVERY also goes through as an `explain`
 * probe, which reports the program's reason and target port directly.
 *
 * The return path: fastpath_port judges frames from the VM ports against
 * the same tables, which hold on-prem entries too (`onprem add`, through
 * loader/onprem.c: an uplink, the next hop's MAC or none) and the uplinks'
 * egress records it writes (their MTU, and now and then one taken out of
 * the devmap or deleted). VM ports have the return path on or off per
 * table. Each packet goes to one program (--program, default both, half
 * and half); its frames are mostly from a VM's own address to an on-prem
 * one, TCP or UDP, with the check field finished, partial (the folded
 * pseudo-header sum a sender with offload leaves) or zero. fp_rstats is
 * compared as fp_stats is, and neither may move for the other's packet.
 *
 * Trunk uplinks: up3 has random tagged circuits (fp_vlans) per table,
 * some with the gateway port gw3, written through loader/uplink.c; its
 * own anti-spoofing flag changes per table too (fp_uplinks__put must
 * carry it into the records). Frames to it, and now and then to the
 * other uplinks, get one to three tags: mostly a circuit's own, else
 * unknown VIDs (0 and 4095 among them), either TPID anywhere, priority
 * bits, and cuts inside the tags. Each circuit's fp_vlanstat counters
 * are compared in aggregate like fp_stats.
 *
 * The ExpressRoute model: most tables also have VNets' address spaces
 * (fp_vnets4/6, some over the routes, some beside them), circuits with
 * budgets (fp_circuits through fp_fib__circuit), connections (fp_conns:
 * linked, fast4, fast6, peered) and exclusions of every class; up0 ..
 * up2 and up3's tagged circuits belong to circuits with a profile
 * (xallow from loader/model.c), and the routes go in after the model so
 * that fp_fib__set tags them and hands out budget places in their order
 * (now and then fp_fib__retag after all, as apply does). Frames aim into
 * the spaces too, so conn_off, over_budget and the profiles' exclusion
 * rules are reached on the way in and conn_off on the way out.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fastpath.skel.h"
#include "harness.h"
#include "parse.h"
#include "pktgen.h"
#include "port.h"
#include "uplink.h"
#include "fib.h"
#include "ifinfo.h"
#include "onprem.h"
#include "model.h"
#include "refmodel.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define FRAME_MAX 1514 /* the largest frame generated */
#define BUF_MAX 2048 /* room for headers inserted before trimming */
#define META_LEN ((int)sizeof(struct fp_probe))
#define MAX_ROUTES 48
#define MAX_EXCL 12
#define MAX_VLANS 6 /* up3's tagged circuits in one table */
#define MAX_SPACES 8 /* VNets' address spaces in one table */
#define NCIRC 4 /* circuits of the model in use */
#define NVNET 4 /* VNets of the model in use */
#define PROBE_EVERY 8

/* Devices: veth ends whose ifindexes the maps name. */
enum dev {
	D_UP0, /* uplink, gateway verdict XDP_PASS */
	D_UP1, /* uplink whose gateway is the port gw0 */
	D_UP2, /* uplink with anti-spoofing off */
	D_UP3, /* trunk uplink (while it has tagged circuits), gateway gw0 */
	D_GW0, /* gateway port of up1 and up3: never an uplink */
	D_GW3, /* gateway port of some of up3's circuits */
	D_VM0, /* VM ports: registration, devmap and MTU vary per table */
	D_VM1,
	D_VM2,
	D_VM3,
	D_VM4,
	D_VM5,
	D_MAX,
};
#define NVM (D_MAX - D_VM0)
#define NUP (D_UP3 + 1) /* uplinks, D_UP0 .. D_UP3 */

static const char *const dev_names[D_MAX] = {
	"up0", "up1", "up2", "up3", "gw0", "gw3",
	"vm0", "vm1", "vm2", "vm3", "vm4", "vm5",
};

static __u32 ifidx[D_MAX];

/* 02:00:00:00:NN:00, NN the device's number plus one. */
static void dev_mac(enum dev d, __u8 mac[6])
{
	static const __u8 base[6] = { 0x02, 0, 0, 0, 0, 0 };

	memcpy(mac, base, 6);
	mac[4] = d + 1;
}

static const __u8 OP_MAC[6] = { 0x02, 0, 0, 0, 0xee, 0xaa };

/* Options. */
static unsigned long long opt_packets = 20000, opt_seed;
static unsigned long opt_tables = 2000;
static bool opt_keep_going, opt_verbose;

/* The programs judged: fastpath_xdp on the uplinks, fastpath_port. */
enum prog { P_UPLINK, P_PORT, P_NPROG };
static const char *const prog_names[P_NPROG] = { "uplink", "port" };
static bool opt_prog[P_NPROG] = { true, true };

/* State of the run. */
static struct fastpath *skel;
static struct fp_maps fm; /* skel's, for loader/fib.c, port.c, uplink.c */
static int prog_fd[P_NPROG], stats_fd[P_NPROG], ncpus;
static int vlans_fd, vlanstat_fd;
static struct fp_vlanstat *percpu_v;
static unsigned long long mismatches;
/* The model's verdicts, for the summary. */
static unsigned long long tally[P_NPROG][FP_R_MAX];
/* Of those, tagged frames on up3: named a circuit; then redirected. */
static unsigned long long tagged, on_circuit, popped;
/* Of the model's: judged by a connection, and of those fast; exclusions
 * a circuit set aside, and of those fast. */
static unsigned long long in_model[P_NPROG], model_fast[P_NPROG];
static unsigned long long xaccel, xaccel_fast;

/* xorshift64*: small, fast, and the same sequence on every machine. */
static __u64 rng_state;

static __u64 rnd64(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static __u32 rnd(__u32 n)
{
	return n ? (__u32)(rnd64() >> 32) % n : 0;
}

/* True with probability pct percent. */
static bool chance(__u32 pct)
{
	return rnd(100) < pct;
}

static void rnd_bytes(__u8 *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (__u8)rnd64();
}

static void rnd_unicast_mac(__u8 mac[6])
{
	rnd_bytes(mac, 6);
	mac[0] = (mac[0] & 0xfc) | 0x02; /* local, unicast */
}

/* Tables: the model's view; the maps get the same through install(). */

static struct ref_prefix routes[MAX_ROUTES], excl[MAX_EXCL];
static struct ref_port ports[NVM + 2 + NUP];
/*
 * The uplinks' egress records, written by fp_onprem__add with the MTU of
 * this table: none without an on-prem entry on the uplink; now and then
 * deleted or taken out of the devmap behind its back.
 */
enum egress { EG_NONE, EG_ON, EG_GONE };
static enum egress egress[NUP];
static __u16 egress_mtu[NUP];
static struct ref_vlan vlans[MAX_VLANS]; /* up3's tagged circuits */
static size_t nvlans;
static __u32 up3_flags; /* FP_UPLINK_F_ALLOW_SPOOFED or not, per table */
/* The model: spaces, connections, the uplinks' circuits and budgets. */
static struct ref_prefix spaces[MAX_SPACES];
static struct ref_conn conns[NCIRC * NVNET];
static struct ref_circuit up_circuit[NUP]; /* up3's own: always 0 */
static struct ref_upcircuit upcircuits[NUP];
static bool retagged; /* fp_fib__retag ran after this table went in */
static const __u8 circ_ids[NCIRC] = { 1, 2, 3, FP_MAX_CIRCUITS };
static const __u16 vnet_ids[NVNET] = { 1, 2, 3, FP_MAX_VNETS - 1 };
static struct ref_tables tables = { .routes = routes,
				    .excl = excl,
				    .ports = ports,
				    .spaces = spaces,
				    .conns = conns,
				    .upcircuits = upcircuits };

static const __u8 len4[] = { 15, 16, 20, 22, 23, 24, 24, 24,
			     25, 26, 28, 30, 31, 32, 32, 32 };
static const __u8 len6[] = { 32, 40, 48,  56,  63,  64,	 64,  64,
			     65, 96, 112, 120, 127, 128, 128, 128 };

/*
 * An address from a small pool inside the test ranges (198.18.0.0/15,
 * 2001:db8::/32), so random prefixes overlap and lookups hit often.
 */
static void pool_addr(int family, __u8 *a)
{
	static const __u8 low[] = { 0, 1, 2, 10, 127, 128, 129, 200, 254, 255 };

	memset(a, 0, 16);
	if (family == AF_INET) {
		a[0] = 198;
		a[1] = 18 + rnd(2);
		a[2] = chance(80) ? rnd(4) : 128 + rnd(2) * 127;
		a[3] = chance(80) ? low[rnd(ARRAY_SIZE(low))] : rnd(256);
		return;
	}
	a[0] = 0x20;
	a[1] = 0x01;
	a[2] = 0x0d;
	a[3] = 0xb8;
	a[5] = rnd(4);
	a[6] = chance(20) ? 0x80 : 0;
	a[8] = chance(15) ? 0x80 : 0;
	a[15] = low[rnd(ARRAY_SIZE(low))];
	if (chance(15))
		rnd_bytes(a + 8, 8);
}

static void mask(__u8 *a, __u8 len, int bytes)
{
	for (int bit = len; bit < bytes * 8; bit++)
		a[bit / 8] &= ~(0x80 >> (bit % 8));
}

/* An address inside p: host bits random, all zero or all one. */
static void inside(const struct ref_prefix *p, __u8 *a)
{
	int bytes = p->family == AF_INET ? 4 : 16;
	__u32 how = rnd(4);

	memset(a, 0, 16);
	memcpy(a, p->addr, bytes);
	for (int bit = p->len; bit < bytes * 8; bit++) {
		bool one = how == 0 ? (rnd64() >> 40) & 1 : how == 1;

		if (how == 3) /* near the network address: low bits only */
			one = bit >= bytes * 8 - 3 && ((rnd64() >> 40) & 1);
		if (one)
			a[bit / 8] |= 0x80 >> (bit % 8);
	}
}

static bool same_prefix(const struct ref_prefix *a, const struct ref_prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	       !memcmp(a->addr, b->addr, 16);
}

/* A prefix not yet in tab (LPM keys are unique); false if none found. */
static bool new_prefix(const struct ref_prefix *tab, size_t n,
		       struct ref_prefix *p)
{
	for (int tries = 0; tries < 8; tries++) {
		bool dup = false;

		memset(p, 0, sizeof(*p));
		p->family = chance(50) ? AF_INET : AF_INET6;
		pool_addr(p->family, p->addr);
		p->len = p->family == AF_INET ? len4[rnd(ARRAY_SIZE(len4))] :
						len6[rnd(ARRAY_SIZE(len6))];
		mask(p->addr, p->len, p->family == AF_INET ? 4 : 16);
		for (size_t i = 0; i < n && !dup; i++)
			dup = same_prefix(&tab[i], p);
		if (!dup)
			return true;
	}
	return false;
}

/* Shortens p to /0 or a /8 (/16 for IPv6) unless that is in tab already. */
static void widen(const struct ref_prefix *tab, size_t n, struct ref_prefix *p)
{
	struct ref_prefix w = *p;

	w.len = chance(50) ? 0 : w.family == AF_INET ? 8 : 16;
	mask(w.addr, w.len, w.family == AF_INET ? 4 : 16);
	for (size_t i = 0; i < n; i++)
		if (same_prefix(&tab[i], &w))
			return;
	*p = w;
}

/* A VID a circuit may have: a few, so that circuits share them. */
static __u16 circuit_vid(void)
{
	static const __u16 pool[] = { 1, 2, 100, 200, 300, 400, 4093, 4094 };

	return chance(80) ? pool[rnd(ARRAY_SIZE(pool))] : 1 + rnd(4094);
}

/* An ingress's circuit: mostly one of the model's, with a profile. */
static struct ref_circuit random_circuit(void)
{
	struct ref_circuit c = { 0 };

	if (!tables.nconns && chance(50))
		return c;
	if (chance(75)) {
		c.id = circ_ids[rnd(NCIRC)];
		c.profile = chance(50) ? REF_PROFILE_DIRECT_2025 :
					 REF_PROFILE_2020;
	}
	return c;
}

/* up3's tagged circuits, and its anti-spoofing flag, for this table. */
static void random_vlans(void)
{
	size_t want = chance(10) ? 0 : 1 + rnd(MAX_VLANS);

	up3_flags = chance(30) ? FP_UPLINK_F_ALLOW_SPOOFED : 0;
	nvlans = 0;
	for (int tries = 0; nvlans < want && tries < 4 * MAX_VLANS; tries++) {
		struct ref_vlan c = { .outer = chance(50) ? 0 : circuit_vid(),
				      .inner = circuit_vid() };
		bool dup = false;

		for (size_t i = 0; i < nvlans && !dup; i++)
			dup = vlans[i].outer == c.outer &&
			      vlans[i].inner == c.inner;
		if (dup)
			continue;
		c.gw_ifindex = chance(60) ? ifidx[D_GW3] : 0;
		c.circuit = random_circuit();
		vlans[nvlans++] = c;
	}
}

/* The uplinks' egress records, as the on-prem entries left them. */
static void random_egress(const __u16 *mtus, size_t nmtus)
{
	for (int u = 0; u < NUP; u++) {
		struct ref_port *pt = &ports[tables.nports];

		egress[u] = EG_NONE;
		egress_mtu[u] = chance(70) ? 1500 : mtus[rnd(nmtus)];
		for (size_t i = 0; i < tables.nroutes; i++)
			if (routes[i].onprem && routes[i].ifindex == ifidx[u])
				egress[u] = EG_ON;
		if (egress[u] == EG_NONE)
			continue;
		if (chance(4)) {
			egress[u] = EG_GONE;
			continue;
		}
		memset(pt, 0, sizeof(*pt));
		pt->ifindex = ifidx[u];
		dev_mac(u, pt->mac);
		pt->mtu = egress_mtu[u];
		pt->in_devmap = chance(93);
		pt->flags = FP_PORT_F_UPLINK;
		tables.nports++;
	}
}

/* Whether prefixes a and b share an address: one holds the other. */
static bool overlap(const struct ref_prefix *a, const struct ref_prefix *b)
{
	__u8 len = a->len < b->len ? a->len : b->len;
	__u8 x[16], y[16];

	if (a->family != b->family)
		return false;
	memcpy(x, a->addr, 16);
	memcpy(y, b->addr, 16);
	mask(x, len, 16);
	mask(y, len, 16);
	return !memcmp(x, y, 16);
}

/*
 * VNets' address spaces (disjoint, as apply requires): mostly a route's
 * prefix or a wider one holding it, so that its entries are the VNet's,
 * else anywhere in the pool. Then the circuits' budgets and connections.
 */
static void random_model(void)
{
	size_t want = chance(15) ? 0 : 1 + rnd(MAX_SPACES);

	tables.nspaces = tables.nconns = 0;
	memset(tables.budget, 0, sizeof(tables.budget));
	for (int tries = 0; tables.nspaces < want && tries < 4 * MAX_SPACES;
	     tries++) {
		struct ref_prefix sp;
		bool clash = false;

		if (tables.nroutes && chance(75)) {
			sp = routes[rnd(tables.nroutes)];
			if (sp.onprem && chance(80))
				continue;
			if (chance(60) && sp.len > 8) {
				sp.len -=
					rnd(sp.len - 8 < 10 ? sp.len - 8 : 10);
				mask(sp.addr, sp.len, 16);
			}
		} else if (!new_prefix(spaces, tables.nspaces, &sp)) {
			continue;
		}
		memset(sp.dmac, 0, 6);
		sp.ifindex = 0;
		sp.onprem = false;
		sp.xclass = 0;
		for (size_t i = 0; i < tables.nspaces && !clash; i++)
			clash = overlap(&spaces[i], &sp);
		if (clash)
			continue;
		sp.vnet = vnet_ids[rnd(NVNET)];
		spaces[tables.nspaces++] = sp;
	}
	/* The VNet behind each VM port (a [vnet]'s `port =`), or none. */
	for (size_t i = 0; i < tables.nports; i++)
		if (!(ports[i].flags & FP_PORT_F_UPLINK) &&
		    ports[i].ifindex != ifidx[D_GW0] &&
		    ports[i].ifindex != ifidx[D_GW3])
			ports[i].vnet = chance(60) ? vnet_ids[rnd(NVNET)] : 0;
	if (!tables.nspaces && chance(80))
		return;
	for (int c = 0; c < NCIRC; c++) {
		static const __u32 budgets[] = { 0, 1, 2, 3, 5, 8, 1000, 1000 };

		tables.budget[circ_ids[c] - 1] =
			budgets[rnd(ARRAY_SIZE(budgets))];
		for (int n = 0; n < NVNET; n++) {
			struct ref_conn *k = &conns[tables.nconns];

			if (chance(35))
				continue;
			k->vnet = vnet_ids[n];
			k->circuit = circ_ids[c];
			if (chance(5)) { /* any bits, as a fuzzer may */
				k->flags = rnd(16);
			} else {
				k->flags = FP_CONN_F_LINKED;
				k->flags |= chance(75) ? FP_CONN_F_FAST4 : 0;
				k->flags |= chance(65) ? FP_CONN_F_FAST6 : 0;
				k->flags |= chance(25) ? FP_CONN_F_PEERED : 0;
			}
			if (k->flags)
				tables.nconns++;
		}
	}
}

static void random_tables(void)
{
	static const __u16 mtus[] = { 296, 576, 1280, 1500 };
	size_t want;

	tables.nports = 0;
	for (int i = 0; i < NVM; i++) {
		struct ref_port *pt = &ports[tables.nports];

		/* An unregistered device: routes to it point at no port. */
		if (chance(15))
			continue;
		memset(pt, 0, sizeof(*pt));
		pt->ifindex = ifidx[D_VM0 + i];
		dev_mac(D_VM0 + i, pt->mac);
		if (chance(90))
			rnd_unicast_mac(pt->peer_mac);
		pt->mtu = mtus[rnd(ARRAY_SIZE(mtus))];
		pt->in_devmap = chance(85);
		pt->flags = chance(80) ? FP_PORT_F_RETURN : 0;
		tables.nports++;
	}
	/* The gateway port is always usable: its corners are not the table's. */
	memset(&ports[tables.nports], 0, sizeof(ports[0]));
	ports[tables.nports].ifindex = ifidx[D_GW0];
	dev_mac(D_GW0, ports[tables.nports].mac);
	rnd_unicast_mac(ports[tables.nports].peer_mac);
	ports[tables.nports].mtu = 1500;
	ports[tables.nports].in_devmap = true;
	tables.nports++;
	/* The circuits' gateway port gw3 has corners of its own. */
	if (chance(92)) {
		struct ref_port *pt = &ports[tables.nports++];

		memset(pt, 0, sizeof(*pt));
		pt->ifindex = ifidx[D_GW3];
		dev_mac(D_GW3, pt->mac);
		if (chance(92))
			rnd_unicast_mac(pt->peer_mac);
		pt->mtu = chance(80) ? 1500 : mtus[rnd(ARRAY_SIZE(mtus))];
		pt->in_devmap = chance(92);
	}

	want = 1 + rnd(MAX_ROUTES);
	tables.nroutes = 0;
	while (tables.nroutes < want) {
		struct ref_prefix *r = &routes[tables.nroutes];

		if (!new_prefix(routes, tables.nroutes, r))
			break;
		/*
		 * Now and then a wide route through a port (a default route,
		 * an NVA's next hop for a /8): the sources inside it are
		 * on-premises ones, not spoofed.
		 */
		r->onprem = chance(25);
		if (chance(r->onprem ? 12 : 6))
			widen(routes, tables.nroutes, r);
		if (r->onprem) {
			/* Out of an uplink via a next hop, or unresolved. */
			r->ifindex = ifidx[D_UP0 + rnd(NUP)];
			if (chance(88))
				rnd_unicast_mac(r->dmac);
			tables.nroutes++;
			continue;
		}
		/* A shadow (no port) sometimes, else any VM device. */
		r->ifindex = chance(5) ? 0 : ifidx[D_VM0 + rnd(NVM)];
		if (chance(92))
			rnd_unicast_mac(r->dmac);
		tables.nroutes++;
	}
	random_egress(mtus, ARRAY_SIZE(mtus));
	want = rnd(MAX_EXCL + 1);
	tables.nexcl = 0;
	while (tables.nexcl < want &&
	       new_prefix(excl, tables.nexcl, &excl[tables.nexcl])) {
		excl[tables.nexcl].xclass = chance(40) ? FP_CLASS_OTHER :
							 rnd(FP_CLASS_MAX);
		tables.nexcl++;
	}
	random_model();
	for (int u = 0; u < NUP; u++) {
		/* The trunk's own record stays outside the model. */
		memset(&up_circuit[u], 0, sizeof(up_circuit[u]));
		if (u != D_UP3)
			up_circuit[u] = random_circuit();
		upcircuits[u].ifindex = ifidx[u];
		upcircuits[u].circuit = up_circuit[u].id;
	}
	tables.nupcircuits = NUP;
	random_vlans();
}

/* Maps: what was installed, so the next table can remove it. */

static int map_err(const char *what, const char *map)
{
	int err = -errno;

	fprintf(stderr, "fuzz_diff: %s %s: %s\n", what, map, strerror(-err));
	return err;
}

/* The uplink whose ifindex this is: D_UP0 .. D_UP3. */
static int uplink_nr(__u32 ifindex)
{
	for (int u = 0; u < NUP; u++)
		if (ifidx[u] == ifindex)
			return u;
	return 0;
}

/* An on-prem entry through loader/onprem.c, as `onprem add` writes it. */
static int onprem_update(const struct ref_prefix *p, const struct fp_prefix *fp,
			 bool del)
{
	int u = uplink_nr(p->ifindex);
	struct fp_ifinfo info = { .ifindex = p->ifindex, .mtu = egress_mtu[u] };

	if (del)
		return fp_onprem__del(&fm, fp);
	dev_mac(u, info.mac);
	snprintf(info.name, sizeof(info.name), "%s", dev_names[u]);
	return fp_onprem__add(&fm, fp, &info,
			      fp_mac_is_zero(p->dmac) ? NULL : p->dmac,
			      FP_ORIGIN_STATIC);
}

/* Routes and exclusions go in through loader/fib.c, as the CLI's do. */
static int prefix_update(const struct ref_prefix *p, bool route, bool del)
{
	struct fp_route rt = { .ifindex = p->ifindex };
	struct fp_prefix fp = { .family = p->family, .len = p->len };
	int err;

	memcpy(fp.addr, p->addr, sizeof(fp.addr));
	memcpy(rt.dmac, p->dmac, 6);
	if (route && p->onprem)
		err = onprem_update(p, &fp, del);
	else if (route)
		err = del ? fp_fib__del(&fm, &fp) :
			    fp_fib__set(&fm, &fp, &rt, true);
	else
		err = del ? fp_fib__unexclude(&fm, &fp) :
			    fp_fib__exclude(&fm, &fp, p->xclass);
	if (!err)
		return 0;
	errno = -err;
	return map_err(del ? "delete from" : "add to",
		       route ? fp_fib__map_name(&fp) : "the exclusions");
}

static int ports_update(bool del)
{
	for (size_t i = 0; i < tables.nports; i++) {
		const struct ref_port *pt = &ports[i];
		struct fp_port v = { .mtu = pt->mtu, .flags = pt->flags };

		/* Egress records: the on-prem entries' (egress_update). */
		if (pt->flags & FP_PORT_F_UPLINK)
			continue;
		if (del) {
			errno = -fp_ports__del(&fm, pt->ifindex);
			if (errno)
				return map_err("delete from", "fp_ports");
			continue;
		}
		memcpy(v.mac, pt->mac, 6);
		memcpy(v.peer_mac, pt->peer_mac, 6);
		errno = -fp_ports__put(&fm, pt->ifindex, &v, BPF_NOEXIST);
		if (errno)
			return map_err("add to", "fp_ports");
		errno = -fp_ports__bind(&fm, pt->ifindex, pt->vnet);
		if (errno)
			return map_err("bind a VNet in", "fp_ports");
		/* A port the kernel took out of the devmap (device gone). */
		if (!pt->in_devmap && fp_test__untx(&fm, pt->ifindex))
			return map_err("delete from", "fp_tx");
	}
	return 0;
}

/* The uplinks: fixed for the run, mirrored in ref_ingress. */
static struct ref_ingress ingress_of(enum dev d)
{
	struct ref_ingress in = { .uplink = d <= D_UP3 };

	dev_mac(d, in.mac);
	if (d == D_UP1 || d == D_UP3)
		in.gw_ifindex = ifidx[D_GW0];
	if (d == D_UP2)
		in.flags = FP_UPLINK_F_ALLOW_SPOOFED;
	if (d <= D_UP3)
		in.circuit = up_circuit[d];
	if (d == D_UP3) {
		in.flags = up3_flags;
		in.vlans = vlans;
		in.nvlans = nvlans;
	}
	return in;
}

/* What apply writes for a circuit's profile, or outside the model. */
static __u8 xallow_of(const struct ref_circuit *c)
{
	if (!c->id)
		return FP_XALLOW_DEFAULT;
	return fp_model__xallow(c->profile == REF_PROFILE_DIRECT_2025 ?
					FP_PROFILE_DIRECT_2025 :
					FP_PROFILE_2020);
}

static int put_up3(void)
{
	struct fp_uplink up = { .gw_ifindex = ifidx[D_GW0],
				.flags = up3_flags,
				.circuit = up_circuit[D_UP3].id,
				.xallow = xallow_of(&up_circuit[D_UP3]) };

	dev_mac(D_UP3, up.mac);
	errno = -fp_uplinks__put(&fm, ifidx[D_UP3], &up);
	return errno ? map_err("add to", "fp_uplinks") : 0;
}

static int count_vlan(const struct fp_vlan_key *k, const struct fp_vlan *v,
		      void *ctx)
{
	(void)k;
	(void)v;
	++*(size_t *)ctx;
	return 0;
}

/*
 * up3's circuits in, then the uplink with this table's flag, which the
 * records must take on; out either one by one or with the uplink, which
 * must take them all along. No trunk without a circuit, either way.
 */
static int vlans_update(bool del)
{
	struct fp_uplink up = { 0 };
	size_t left = 0;
	__u32 ifindex = ifidx[D_UP3];

	if (!del) {
		for (size_t i = 0; i < nvlans; i++) {
			struct fp_uplink cir = {
				.gw_ifindex = vlans[i].gw_ifindex,
				.circuit = vlans[i].circuit.id,
				.xallow = xallow_of(&vlans[i].circuit),
			};

			errno = -fp_vlans__put(&fm, ifindex, vlans[i].outer,
					       vlans[i].inner, &cir, NULL,
					       NULL);
			if (errno)
				return map_err("add to", FP_MAP_VLANS);
		}
		return put_up3();
	}
	if (chance(25)) {
		errno = -fp_uplinks__del(&fm, ifindex);
		if (errno || put_up3())
			return map_err("delete from", "fp_uplinks");
	} else {
		for (size_t i = 0; i < nvlans; i++) {
			errno = -fp_vlans__del(&fm, ifindex, vlans[i].outer,
					       vlans[i].inner);
			if (errno)
				return map_err("delete from", FP_MAP_VLANS);
		}
	}
	fp_vlans__walk(&fm, 0, count_vlan, &left);
	if (left || bpf_map_lookup_elem(fm.uplinks, &ifindex, &up) ||
	    (up.flags & FP_UPLINK_F_TRUNK)) {
		fprintf(stderr,
			"fuzz_diff: %zu circuits left, up3 %s a trunk\n", left,
			up.flags & FP_UPLINK_F_TRUNK ? "still" : "not");
		return -1;
	}
	return 0;
}

static int install_uplinks(void)
{
	for (enum dev d = D_UP0; d <= D_UP2; d++) {
		struct ref_ingress in = ingress_of(d);
		struct fp_uplink up = { .gw_ifindex = in.gw_ifindex,
					.flags = in.flags,
					.circuit = in.circuit.id,
					.xallow = xallow_of(&in.circuit) };

		memcpy(up.mac, in.mac, 6);
		errno = -fp_uplinks__put(&fm, ifidx[d], &up);
		if (errno)
			return map_err("add to", "fp_uplinks");
	}
	return put_up3();
}

/*
 * After the on-prem entries went in: the corners of their egress
 * records. Once they are out: the records themselves, which
 * fp_onprem__del leaves (the uplink may well carry other entries).
 */
static int egress_update(bool del)
{
	for (int u = 0; u < NUP; u++) {
		const struct ref_port *pt = NULL;

		for (size_t i = 0; i < tables.nports; i++)
			if (ports[i].ifindex == ifidx[u])
				pt = &ports[i];
		errno = 0;
		/* Out with the table, or gone behind the entries' back. */
		if (egress[u] == (del ? EG_ON : EG_GONE))
			errno = -fp_ports__del(&fm, ifidx[u]);
		else if (!del && pt && !pt->in_devmap &&
			 fp_test__untx(&fm, ifidx[u]))
			return map_err("delete from", "fp_tx");
		if (errno)
			return map_err("delete from", "fp_ports");
	}
	return 0;
}

/*
 * The model's maps, as apply writes them: budgets (fp_fib__circuit),
 * address spaces (the pre-filter told first, under the writers' lock),
 * connections. In before the routes, out after them.
 */
static int model_update(bool del)
{
	for (int c = 0; c < NCIRC; c++) {
		__u32 id = circ_ids[c];

		errno = -fp_fib__circuit(&fm, id, del ? 0 : ifidx[D_UP0],
					 del ? 0 : tables.budget[id - 1], NULL);
		if (errno)
			return map_err(del ? "delete from" : "add to",
				       "fp_circuits");
	}
	for (size_t i = 0; i < tables.nspaces; i++) {
		const struct ref_prefix *sp = &spaces[i];
		struct fp_prefix fp = { .family = sp->family, .len = sp->len };

		memcpy(fp.addr, sp->addr, sizeof(fp.addr));
		errno = -fp_test__space(&fm, &fp, sp->vnet, del);
		if (errno)
			return map_err(del ? "delete from" : "add to",
				       "fp_vnets");
	}
	for (size_t i = 0; i < tables.nconns; i++) {
		__u32 idx = FP_CONN_INDEX(conns[i].vnet, conns[i].circuit);
		struct fp_conn k = { .flags = del ? 0 : conns[i].flags };

		if (bpf_map_update_elem(fm.conns, &idx, &k, BPF_ANY))
			return map_err(del ? "delete from" : "add to",
				       "fp_conns");
	}
	return 0;
}

static int tables_update(bool del)
{
	int err = ports_update(del);

	if (!err && !del)
		err = model_update(false);
	if (!err && !del)
		err = install_uplinks();

	for (size_t i = 0; !err && i < tables.nroutes; i++)
		err = prefix_update(&routes[i], true, del);
	for (size_t i = 0; !err && i < tables.nexcl; i++)
		err = prefix_update(&excl[i], false, del);
	if (!err)
		err = egress_update(del);
	if (!err)
		err = vlans_update(del);
	if (!err && del)
		err = model_update(true);
	/* As apply does after a model change: every entry tagged anew. */
	retagged = !del && chance(50);
	if (!err && retagged) {
		errno = -fp_fib__retag(&fm);
		if (errno)
			err = map_err("retag", "the route maps");
	}
	return err;
}

/* Frames: a valid frame aimed at the tables, then mutations. */

static __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static bool is_v4(const __u8 *f)
{
	return get16(f + 12) == ETH_P_IP;
}

static bool is_v6(const __u8 *f)
{
	return get16(f + 12) == ETH_P_IPV6;
}

/* The IPv4 checksum anew over the header IHL claims, within the frame. */
static void fix_csum4(__u8 *f, int len)
{
	__u8 *ip = f + ETH_HLEN;
	int hlen = (ip[0] & 0xf) >= 5 ? (ip[0] & 0xf) * 4 : 20;

	if (len < ETH_HLEN + 20)
		return;
	if (hlen > len - ETH_HLEN)
		hlen = 20;
	put16(ip + 10, 0);
	put16(ip + 10, (__u16)~fp_csum_fold(ip, hlen, 0));
}

static void random_dest(int family, __u8 *a)
{
	static const char *const group4[] = { "224.0.0.5", "239.255.255.250",
					      "255.255.255.255", "224.0.0.1" };
	static const char *const group6[] = { "ff02::1", "ff05::2",
					      "ff02::1:ff00:10" };
	__u32 pick = rnd(100);
	bool v4 = family == AF_INET;

	if (pick < 45 && tables.nroutes) {
		const struct ref_prefix *r = &routes[rnd(tables.nroutes)];

		if (r->family == family) {
			inside(r, a);
			return;
		}
	} else if (pick < 60 && tables.nexcl) {
		const struct ref_prefix *e = &excl[rnd(tables.nexcl)];

		if (e->family == family) {
			inside(e, a);
			return;
		}
	} else if (pick < 72 && tables.nspaces) {
		const struct ref_prefix *sp = &spaces[rnd(tables.nspaces)];

		if (sp->family == family) {
			inside(sp, a);
			return;
		}
	} else if (pick < 76) {
		inet_pton(family,
			  v4 ? group4[rnd(ARRAY_SIZE(group4))] :
			       group6[rnd(ARRAY_SIZE(group6))],
			  a);
		return;
	}
	pool_addr(family, a);
}

/* Sources the README singles out, and a VM's own (spoofed) addresses. */
static void random_source(int family, __u8 *a)
{
	static const char *const bad4[] = { "224.0.0.1", "239.1.2.3",
					    "127.0.0.1", "127.255.0.9",
					    "240.0.0.1", "255.255.255.255",
					    "254.1.1.1" };
	static const char *const bad6[] = { "ff02::1", "ff0e::5", "::1" };
	__u32 pick = rnd(100);
	bool v4 = family == AF_INET;

	memset(a, 0, 16);
	if (pick < 60) {
		inet_pton(family, v4 ? "198.19.254.1" : "2001:db8:fffe::1", a);
	} else if (pick < 75 && tables.nroutes) {
		const struct ref_prefix *r = &routes[rnd(tables.nroutes)];

		if (r->family == family)
			inside(r, a);
		else
			pool_addr(family, a);
	} else if (pick < 80 && tables.nspaces) {
		const struct ref_prefix *sp = &spaces[rnd(tables.nspaces)];

		if (sp->family == family)
			inside(sp, a);
		else
			pool_addr(family, a);
	} else if (pick < 87) {
		inet_pton(family,
			  v4 ? bad4[rnd(ARRAY_SIZE(bad4))] :
			       bad6[rnd(ARRAY_SIZE(bad6))],
			  a);
	} else {
		pool_addr(family, a);
	}
}

/*
 * Puts an extension header of type `type` and elen bytes right behind
 * the fixed IPv6 header; it takes over the fixed header's next header.
 */
static int ext6(__u8 *f, int len, __u8 type, int elen)
{
	__u8 *ip = f + ETH_HLEN, *at = ip + 40;

	if (len < ETH_HLEN + 40 || len + elen > BUF_MAX)
		return len;
	memmove(at + elen, at, len - ETH_HLEN - 40);
	memset(at, 0, elen);
	at[0] = ip[6];
	if (type == 44) { /* fragment: offset and M flag, an ID */
		put16(at + 2, chance(50) ? rnd(0x10000) & 0xfff9 : rnd(2));
		rnd_bytes(at + 4, 4);
	} else {
		at[1] = elen / 8 - 1;
		if (type == 43) {
			at[2] = chance(50) ? 253 : rnd(5); /* routing type */
			at[3] = chance(80) ? 0 : rnd(4); /* segments left */
		} else if (elen > 2) { /* one PadN filling the rest */
			at[2] = 1;
			at[3] = elen - 4;
		}
	}
	ip[6] = type;
	put16(ip + 4, get16(ip + 4) + elen);
	return len + elen;
}

static int ext_chain(__u8 *f, int len)
{
	static const __u8 types[] = { 60, 60, 43, 44, 0, 253 };
	int n = 1 + rnd(chance(30) ? 9 : 3);

	for (int i = 0; i < n; i++) {
		__u8 t = types[rnd(ARRAY_SIZE(types))];

		if (t == 253) { /* an unknown header: the walk ends there */
			len = ext6(f, len, 60, 8);
			f[ETH_HLEN + 6] = 253;
			continue;
		}
		len = ext6(f, len, t, t == 44 ? 8 : 8 * (1 + rnd(3)));
	}
	return len;
}

/* The UDP datagram becomes ICMPv6: ND (133..137) or another type. */
static void to_icmp6(__u8 *f, int len)
{
	static const __u8 types[] = { 133, 134, 135, 136, 137, 128,
				      129, 1,	3,   143, 132, 138 };
	__u8 *ip = f + ETH_HLEN;

	if (len < ETH_HLEN + 40 + 8)
		return;
	ip[6] = 58;
	ip[7] = chance(80) ? 255 : ip[7];
	ip[40] = types[rnd(ARRAY_SIZE(types))];
	ip[41] = 0;
}

static int vlan(__u8 *f, int len, __u16 tpid)
{
	if (len + 4 > BUF_MAX)
		return len;
	memmove(f + 16, f + 12, len - 12);
	put16(f + 12, tpid);
	put16(f + 14, rnd(4096));
	return len + 4;
}

/* a as the IP source (or destination), the IPv4 checksum made right. */
static void put_addr(__u8 *f, int len, __u8 *ip, bool v4, bool dest,
		     const __u8 *a)
{
	int alen = v4 ? 4 : 16;

	memcpy(ip + (v4 ? 12 : 8) + (dest ? alen : 0), a, alen);
	if (v4)
		fix_csum4(f, len);
}

static int mutate(__u8 *f, int len)
{
	static const __u16 ethertypes[] = { ETH_P_IP, ETH_P_IPV6, ETH_P_ARP,
					    0x88cc,   0x8100,	  0x88a8,
					    0x8847,   0x0000,	  0xffff };
	static const __u8 ttls[] = { 0, 1, 2, 255 };
	__u8 *ip = f + ETH_HLEN;
	bool v4 = is_v4(f), v6 = is_v6(f), l3 = len >= ETH_HLEN + 40;
	int at;

	switch (rnd(20)) {
	case 0: /* flip bits, mostly in the headers */
		at = chance(80) ? rnd(len < 80 ? len : 80) : rnd(len);
		f[at] ^= 1 << rnd(8);
		break;
	case 1: /* a random byte, anywhere */
		f[rnd(len)] = rnd(256);
		break;
	case 2: /* truncate */
		len = ETH_HLEN + rnd(len - ETH_HLEN + 1);
		break;
	case 3: /* Ethernet padding or trailing junk */
		at = 1 + rnd(64);
		if (len + at <= BUF_MAX) {
			if (chance(50))
				memset(f + len, 0, at);
			else
				rnd_bytes(f + len, at);
			len += at;
		}
		break;
	case 4: /* IP version */
		if (l3) {
			ip[0] = (ip[0] & 0x0f) | rnd(16) << 4;
			if (v4)
				fix_csum4(f, len);
		}
		break;
	case 5: /* IHL, sometimes leaving the checksum as it was */
		if (v4 && l3) {
			ip[0] = (ip[0] & 0xf0) | (chance(50) ? rnd(16) : 6);
			if (chance(80))
				fix_csum4(f, len);
		}
		break;
	case 6: /* tot_len around the truth, or anything */
		if (v4 && l3) {
			__u16 truth = len - ETH_HLEN;

			put16(ip + 2, chance(30) ? rnd(0x10000) :
				      chance(50) ? truth + rnd(5) - 2 :
						   20 + rnd(8) - 2);
			fix_csum4(f, len);
		}
		break;
	case 7: /* payload_len around the truth, or anything */
		if (v6 && l3)
			put16(ip + 4, chance(30) ? rnd(0x10000) :
						   get16(ip + 4) + rnd(5) - 2);
		break;
	case 8: /* TTL / hop limit at the edges */
		if (l3) {
			ip[v4 ? 8 : 7] = ttls[rnd(ARRAY_SIZE(ttls))];
			if (v4)
				fix_csum4(f, len);
		}
		break;
	case 9: /* another ethertype */
		put16(f + 12, ethertypes[rnd(ARRAY_SIZE(ethertypes))]);
		break;
	case 10: /* 802.1Q or 802.1ad tag */
		len = vlan(f, len, chance(50) ? 0x8100 : 0x88a8);
		break;
	case 11: /* a group or a foreign destination MAC */
		switch (rnd(4)) {
		case 0:
			memset(f, 0xff, 6);
			break;
		case 1:
			memcpy(f, (const __u8[]){ 0x01, 0, 0x5e, 0, 0, 5 }, 6);
			break;
		case 2:
			memcpy(f, (const __u8[]){ 0x33, 0x33, 0, 0, 0, 1 }, 6);
			break;
		default:
			dev_mac(rnd(D_MAX), f);
			break;
		}
		break;
	case 12: /* hostile or spoofed source */
		if (l3) {
			__u8 a[16];

			random_source(v4 ? AF_INET : AF_INET6, a);
			put_addr(f, len, ip, v4, false, a);
		}
		break;
	case 13: /* IPv6 extension headers */
		if (v6)
			len = ext_chain(f, len);
		break;
	case 14: /* ICMPv6, ND or not */
		if (v6)
			to_icmp6(f, len);
		break;
	case 15: /* IPv4 fragments: first, middle, last, DF */
		if (v4 && l3) {
			static const __u16 frag[] = { 0x2000, 0x2000 | 185, 370,
						      0x4000, 0x8000 };

			put16(ip + 6, chance(80) ? frag[rnd(ARRAY_SIZE(frag))] :
						   rnd(0x10000));
			fix_csum4(f, len);
		}
		break;
	case 16: /* a broken IPv4 checksum: the rewrite must keep it broken */
		if (v4 && l3)
			put16(ip + 10, rnd(0x10000));
		break;
	case 17: /* another destination */
		if (l3) {
			__u8 a[16];

			random_dest(v4 ? AF_INET : AF_INET6, a);
			put_addr(f, len, ip, v4, true, a);
		}
		break;
	case 18: /* the checksum at the corners an update can get wrong */
		if (v4 && l3) {
			put16(ip + 4, rnd(0x10000));
			fix_csum4(f, len);
		}
		break;
	default: /* IPv4 protocol or IPv6 next header */
		if (l3)
			ip[v4 ? 9 : 6] = chance(50) ? rnd(256) : 0;
		if (v4)
			fix_csum4(f, len);
		break;
	}
	return len;
}

static const enum dev ingress_pick[] = { D_UP0, D_UP0, D_UP0, D_UP0,
					 D_UP1, D_UP1, D_UP1, D_UP2,
					 D_UP2, D_UP2, D_UP3, D_UP3,
					 D_UP3, D_UP3, D_GW0, D_VM0 };

/* A tag's VID: a circuit's, 0 or 4095 (never a circuit's), or any. */
static __u16 tag_vid(void)
{
	static const __u16 odd[] = { 0, 0, 4095, 4095, 1, 4094 };
	__u32 pick = rnd(100);

	if (pick < 30 && nvlans) {
		const struct ref_vlan *c = &vlans[rnd(nvlans)];

		return chance(50) && c->outer ? c->outer : c->inner;
	}
	if (pick < 60)
		return odd[rnd(ARRAY_SIZE(odd))];
	return pick < 80 ? circuit_vid() : rnd(4096);
}

/*
 * One to three VLAN tags behind the MACs: mostly a circuit's own (an
 * S-tag of either TPID, or none), else anything, either TPID at any
 * depth; priority and DEI bits now and then; at times a cut that ends
 * the frame inside the tags. Returns the new length.
 */
static int add_tags(__u8 *f, int len)
{
	__u16 tpid[3], tci[3];
	int n;

	if (nvlans && chance(65)) {
		const struct ref_vlan *c = &vlans[rnd(nvlans)];

		n = 0;
		if (c->outer) {
			tpid[n] = chance(50) ? 0x88a8 : 0x8100;
			tci[n++] = c->outer;
		}
		tpid[n] = chance(92) ? 0x8100 : 0x88a8;
		tci[n++] = c->inner;
		if (chance(5)) { /* one more: a third tag, or an S-tag */
			tpid[n] = chance(50) ? 0x88a8 : 0x8100;
			tci[n++] = tag_vid();
		}
	} else {
		n = chance(40) ? 1 : chance(85) ? 2 : 3;
		for (int i = 0; i < n; i++) {
			tpid[i] = chance(i ? 70 : 55) ? 0x8100 : 0x88a8;
			tci[i] = tag_vid();
		}
	}
	if (len < 12 || len + 4 * n > BUF_MAX)
		return len;
	for (int i = 0; i < n; i++)
		if (chance(25))
			tci[i] |= rnd(16) << 12; /* PCP and DEI */
	memmove(f + 12 + 4 * n, f + 12, len - 12);
	for (int i = 0; i < n; i++) {
		put16(f + 12 + 4 * i, tpid[i]);
		put16(f + 14 + 4 * i, tci[i]);
	}
	len += 4 * n;
	if (chance(5)) /* ends inside a tag, or right behind the last */
		len = ETH_HLEN + rnd(4 * n + 1);
	else if (chance(5)) /* one bit of the tags */
		f[12 + rnd(4 * n)] ^= 1 << rnd(8);
	return len;
}

/* One frame into f; returns its length, *in the ingress device. */
static int random_frame(__u8 *f, enum dev *in)
{
	static const __u8 ttls[] = { 64, 64, 64, 2, 1, 0, 255 };
	struct fp_pktspec s = { 0 };
	int family = chance(50) ? AF_INET : AF_INET6;
	int len, nmut;

	*in = ingress_pick[rnd(ARRAY_SIZE(ingress_pick))];
	/* A frame for some other uplink's MAC now and then, to other_host. */
	dev_mac(chance(3) ? D_UP0 + rnd(4) : *in, s.dmac);
	memcpy(s.smac, OP_MAC, 6);
	s.src.family = s.dst.family = family;
	random_dest(family, s.dst.addr);
	random_source(family, s.src.addr);
	s.ttl = chance(70) ? 64 : ttls[rnd(ARRAY_SIZE(ttls))];
	s.payload = chance(70) ? rnd(64) : rnd(FRAME_MAX - 62 - 64);
	len = fp_pkt__build(&s, f, BUF_MAX);
	if (len < 0)
		return len;
	if (family == AF_INET6 && chance(15))
		to_icmp6(f, len);
	if (family == AF_INET6 && chance(15))
		len = ext_chain(f, len);

	nmut = chance(35) ? 0 : 1 + rnd(chance(20) ? 6 : 2);
	for (int i = 0; i < nmut; i++)
		len = mutate(f, len);
	/* Tags: mostly on the trunk, now and then where they are not IP. */
	if (chance(*in == D_UP3 ? 60 : 6)) {
		len = add_tags(f, len);
		if (chance(8)) /* then anything, as to an untagged frame */
			len = mutate(f, len);
	}
	/* Mutations never cut below ETH_HLEN: the kernel refuses runts. */
	if (len > FRAME_MAX)
		len = FRAME_MAX;
	return len;
}

/* Frames from a VM: the return path's. */

/*
 * An address of a VM behind port d (an entry through it), or false. Half
 * the time the one it gave for d last, whatever the tables say of it now
 * (a VM keeps sending from its address): the return path keeps a port's
 * own source per CPU (fp_srccache), and a table changed since must be
 * what judges it.
 */
static bool own_source(int family, enum dev d, __u8 *a)
{
	static __u8 last[D_MAX][2][16];
	static bool have[D_MAX][2];
	const struct ref_prefix *mine[MAX_ROUTES];
	int f = family == AF_INET6;
	size_t n = 0;

	if (have[d][f] && chance(50)) {
		memcpy(a, last[d][f], 16);
		return true;
	}
	for (size_t i = 0; i < tables.nroutes; i++)
		if (routes[i].family == family && !routes[i].onprem &&
		    routes[i].ifindex == ifidx[d])
			mine[n++] = &routes[i];
	if (!n)
		return false;
	inside(mine[rnd(n)], a);
	memcpy(last[d][f], a, 16);
	have[d][f] = true;
	return true;
}

/* An address inside an on-prem entry, or false. */
static bool onprem_dest(int family, __u8 *a)
{
	const struct ref_prefix *op[MAX_ROUTES];
	size_t n = 0;

	for (size_t i = 0; i < tables.nroutes; i++)
		if (routes[i].family == family && routes[i].onprem)
			op[n++] = &routes[i];
	if (!n)
		return false;
	inside(op[rnd(n)], a);
	return true;
}

/*
 * The transport of a frame fp_pkt__build made (UDP right behind the
 * fixed header): now and then TCP instead, and its check field finished
 * (as built), partial (the folded pseudo-header sum that a sender with
 * checksum offload leaves), zero, or random.
 */
static __u8 transport(__u8 *f, int len)
{
	bool v4 = is_v4(f);
	int l3 = v4 ? 20 : 40, alen = v4 ? 4 : 16, l4 = ETH_HLEN + l3, at;
	__u8 *ip = f + ETH_HLEN, proto = IPPROTO_UDP;
	__u32 l4len = len - l4, pseudo;
	__u16 sum;

	if (l4len >= 20 && chance(45)) {
		proto = IPPROTO_TCP;
		ip[v4 ? 9 : 6] = proto;
		f[l4 + 12] = 5 << 4; /* data offset: 20 bytes */
		if (v4)
			fix_csum4(f, len);
	}
	at = l4 + (proto == IPPROTO_TCP ? 16 : 6);
	pseudo = fp_csum_fold(ip + (v4 ? 12 : 8), 2 * alen, 0) + proto + l4len;
	switch (rnd(10)) {
	case 0:
	case 1:
	case 2:
	case 3: /* partial */
		while (pseudo >> 16)
			pseudo = (pseudo & 0xffff) + (pseudo >> 16);
		put16(f + at, (__u16)pseudo);
		break;
	case 4:
	case 5:
	case 6: /* finished */
		put16(f + at, 0);
		sum = ~fp_csum_fold(f + l4, l4len, pseudo);
		put16(f + at, proto == IPPROTO_UDP && !sum ? 0xffff : sum);
		break;
	case 7: /* none (UDP over IPv4) */
		put16(f + at, 0);
		break;
	case 8:
		put16(f + at, rnd(0x10000));
		break;
	default: /* as built: a finished UDP checksum, even under TCP */
		break;
	}
	return proto;
}

/*
 * IPv6 with ext bytes of extension headers: a payload length shorter than
 * they are, so that the upper-layer length wraps below zero, and the
 * check field of the proto header behind them partial for that length
 * (a segment no one can finish).
 */
static void wrap_l4len(__u8 *f, int len, int ext, __u8 proto)
{
	__u8 *ip = f + ETH_HLEN;
	int at = ETH_HLEN + 40 + ext + (proto == IPPROTO_TCP ? 16 : 6);
	__u32 l4len, sum;

	if (at + 2 > len)
		return;
	put16(ip + 4, rnd(ext));
	l4len = 40 + get16(ip + 4) - (40 + ext);
	sum = fp_csum_fold(ip + 8, 32, 0) + proto + (l4len & 0xffff) +
	      (l4len >> 16);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(f + at, (__u16)sum);
}

/* Mostly a port with the return path on, else any VM device. */
static enum dev return_port(void)
{
	enum dev on[NVM];
	size_t n = 0;

	for (size_t i = 0; i < tables.nports; i++)
		for (int d = D_VM0; d < D_MAX; d++)
			if ((ports[i].flags & FP_PORT_F_RETURN) &&
			    ports[i].ifindex == ifidx[d])
				on[n++] = d;
	return n && chance(85) ? on[rnd(n)] : D_VM0 + rnd(NVM);
}

/* One frame from a VM (now and then elsewhere) for fastpath_port. */
static int random_port_frame(__u8 *f, enum dev *in)
{
	static const enum dev not_vm[] = { D_UP0, D_UP1, D_UP2,
					   D_UP3, D_GW0, D_GW3 };
	static const __u8 ttls[] = { 64, 64, 64, 2, 1, 0, 255 };
	struct fp_pktspec s = { 0 };
	int family = chance(50) ? AF_INET : AF_INET6;
	int len, nmut;
	__u8 proto;

	*in = chance(92) ? return_port() : not_vm[rnd(ARRAY_SIZE(not_vm))];
	/* To the port's MAC, the host's, or now and then another one. */
	dev_mac(chance(4) ? rnd(D_MAX) : *in, s.dmac);
	rnd_unicast_mac(s.smac);
	s.src.family = s.dst.family = family;
	if (chance(25) || !onprem_dest(family, s.dst.addr))
		random_dest(family, s.dst.addr);
	if (family == AF_INET6 && chance(4))
		inet_pton(AF_INET6, "fe80::1", s.src.addr);
	else if (chance(30) || !own_source(family, *in, s.src.addr))
		random_source(family, s.src.addr);
	s.ttl = chance(80) ? 64 : ttls[rnd(ARRAY_SIZE(ttls))];
	s.payload = chance(70) ? rnd(64) : rnd(FRAME_MAX - 62 - 64);
	len = fp_pkt__build(&s, f, BUF_MAX);
	if (len < 0)
		return len;
	proto = transport(f, len);
	if (family == AF_INET6 && chance(8))
		to_icmp6(f, len);
	if (family == AF_INET6 && chance(12)) {
		int plain = len;

		len = ext_chain(f, len);
		if (len > plain && chance(20))
			wrap_l4len(f, len, len - plain, proto);
	}
	nmut = chance(50) ? 0 : 1 + rnd(chance(20) ? 6 : 2);
	for (int i = 0; i < nmut; i++)
		len = mutate(f, len);
	if (chance(3))
		len = add_tags(f, len);
	if (len > FRAME_MAX)
		len = FRAME_MAX;
	return len;
}

/* Running: the program, the model, and their comparison. */

static const char *dev_name_of(__u32 ifindex)
{
	for (int d = 0; d < D_MAX; d++)
		if (ifidx[d] == ifindex)
			return dev_names[d];
	return ifindex ? "?" : "none";
}

static void hexdump(const char *what, const __u8 *p, int len)
{
	fprintf(stderr, "%s (%d bytes):", what, len);
	for (int i = 0; i < len; i++)
		fprintf(stderr, "%s%02x", i % 32 ? " " : "\n  ", p[i]);
	fputc('\n', stderr);
}

static void dump_prefixes(const char *what, const struct ref_prefix *t,
			  size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct fp_prefix p = { .family = t[i].family, .len = t[i].len };
		char buf[FP_PREFIX_STRLEN], mac[FP_MAC_STRLEN];

		memcpy(p.addr, t[i].addr, 16);
		fprintf(stderr, "  %s %s", what,
			fp_format_prefix(&p, buf, sizeof(buf)));
		if (t == excl)
			fprintf(stderr, " class %u", t[i].xclass);
		if (t == spaces)
			fprintf(stderr, " vnet %u", t[i].vnet);
		if (t == routes)
			fprintf(stderr, "%s dev %s lladdr %s",
				t[i].onprem ? " onprem" : "",
				dev_name_of(t[i].ifindex),
				fp_format_mac(t[i].dmac, mac, sizeof(mac)));
		fputc('\n', stderr);
	}
}

static void dump_tables(void)
{
	char mac[FP_MAC_STRLEN];

	fprintf(stderr, "tables:\n");
	for (size_t i = 0; i < tables.nports; i++)
		fprintf(stderr, "  port %s peer %s mtu %u vnet %u%s%s%s\n",
			dev_name_of(ports[i].ifindex),
			fp_format_mac(ports[i].peer_mac, mac, sizeof(mac)),
			ports[i].mtu, ports[i].vnet,
			ports[i].in_devmap ? "" : " (not in fp_tx)",
			ports[i].flags & FP_PORT_F_RETURN ? " return" : "",
			ports[i].flags & FP_PORT_F_UPLINK ? " uplink-egress" :
							    "");
	dump_prefixes("route", routes, tables.nroutes);
	dump_prefixes("exclude", excl, tables.nexcl);
	dump_prefixes("vnet space", spaces, tables.nspaces);
	for (size_t i = 0; i < tables.nconns; i++)
		fprintf(stderr, "  connection vnet %u circuit %u flags 0x%x\n",
			conns[i].vnet, conns[i].circuit, conns[i].flags);
	for (int c = 0; c < NCIRC; c++)
		fprintf(stderr, "  circuit %u budget %u\n", circ_ids[c],
			tables.budget[circ_ids[c] - 1]);
	for (int u = 0; u < NUP; u++)
		fprintf(stderr, "  uplink %s circuit %u profile %s\n",
			dev_names[u], up_circuit[u].id,
			up_circuit[u].profile == REF_PROFILE_DIRECT_2025 ?
				"direct-2025" :
				"2020");
	fprintf(stderr, "  %s\n",
		retagged ? "retagged after install" : "not retagged");
	fprintf(stderr, "  uplink up3 gateway gw0%s%s\n",
		up3_flags & FP_UPLINK_F_ALLOW_SPOOFED ?
			" --allow-spoofed-sources" :
			"",
		nvlans ? " trunk:" : " (no tagged circuit)");
	for (size_t i = 0; i < nvlans; i++) {
		char vid[16];

		fprintf(stderr, "    vlan %s gateway %s\n",
			fp_format_vlan(vlans[i].outer, vlans[i].inner, vid,
				       sizeof(vid)),
			vlans[i].gw_ifindex ? "gw3" : "pass");
		fprintf(stderr, "      circuit %u profile %s\n",
			vlans[i].circuit.id,
			vlans[i].circuit.profile == REF_PROFILE_DIRECT_2025 ?
				"direct-2025" :
				"2020");
	}
}

struct seen {
	__u32 action, reason, ifindex;
	bool has_reason; /* a probe run, or a counter replay */
	int out_len;
	__u8 out[BUF_MAX];
};

static void report(unsigned long long idx, unsigned long long table,
		   enum prog pg, enum dev in, const __u8 *f, int len,
		   const struct ref_verdict *want, const __u8 *want_out,
		   const struct seen *saw, const char *what)
{
	mismatches++;
	if (!opt_verbose && mismatches > 1 && opt_keep_going) {
		fprintf(stderr,
			"mismatch: packet %llu: %s: model %s/%s, program %s/%s\n",
			idx, what, fp_test__xdp_name(want->action),
			fp_reason_name(want->reason),
			fp_test__xdp_name(saw->action),
			saw->has_reason ? fp_reason_name(saw->reason) : "?");
		return;
	}
	fprintf(stderr,
		"MISMATCH (%s): seed %llu, packet %llu (table %llu, --tables %lu), %s program, ingress %s\n",
		what, opt_seed, idx, table, opt_tables, prog_names[pg],
		dev_names[in]);
	fprintf(stderr, "  model:   %s, reason %s, to %s",
		fp_test__xdp_name(want->action), fp_reason_name(want->reason),
		dev_name_of(want->ifindex));
	if (want->vlan >= 0) {
		char vid[16];

		fprintf(stderr, ", circuit %s counts it %s",
			fp_format_vlan(vlans[want->vlan].outer,
				       vlans[want->vlan].inner, vid,
				       sizeof(vid)),
			want->vclass == REF_VC_FAST    ? "fast" :
			want->vclass == REF_VC_GATEWAY ? "gateway" :
							 "other");
	}
	fputc('\n', stderr);
	fprintf(stderr, "  program: %s, reason %s, to %s\n",
		fp_test__xdp_name(saw->action),
		saw->has_reason ? fp_reason_name(saw->reason) : "(not seen)",
		saw->has_reason ? dev_name_of(saw->ifindex) : "(not seen)");
	hexdump("frame in", f, len);
	if (saw->out_len != want->out_len ||
	    memcmp(want_out, saw->out, want->out_len)) {
		hexdump("frame out, model", want_out, want->out_len);
		hexdump("frame out, program", saw->out,
			saw->out_len > 0 ? saw->out_len : 0);
	}
	dump_tables();
	fprintf(stderr,
		"reproduce: build/fuzz_diff --seed %llu --tables %lu --packets %llu\n",
		opt_seed, opt_tables, idx + 1);
}

static int test_run(enum prog pg, enum dev in, const __u8 *f, int len,
		    bool probe, struct seen *saw)
{
	static __u8 out[META_LEN + BUF_MAX];
	int meta = probe ? META_LEN : 0, err;
	struct fp_probe pr = { .magic = FP_EXPLAIN_MAGIC };
	struct fp_test_run t = { .prog_fd = prog_fd[pg],
				 .ifindex = ifidx[in],
				 .meta = &pr,
				 .meta_len = meta };

	err = fp_test__run(&t, f, len, out, sizeof(out));
	if (err) {
		fprintf(stderr, "fuzz_diff: BPF_PROG_TEST_RUN: %s\n",
			strerror(-err));
		return -1;
	}
	saw->action = t.retval;
	saw->out_len = t.out_len - meta;
	memcpy(saw->out, out + meta, saw->out_len > 0 ? saw->out_len : 0);
	if (probe) {
		memcpy(&pr, out, sizeof(pr));
		saw->reason = pr.reason;
		saw->ifindex = pr.ifindex;
		saw->has_reason = true;
	}
	return 0;
}

/* Both programs' counters: fp_stats, fp_rstats. */
static int read_counters(struct fp_counter sum[P_NPROG][FP_R_MAX])
{
	memset(sum, 0, P_NPROG * sizeof(*sum));
	for (int pg = 0; pg < P_NPROG; pg++) {
		errno = -fp_test__counters(stats_fd[pg], sum[pg]);
		if (errno)
			return map_err("read",
				       pg == P_PORT ? "fp_rstats" : "fp_stats");
	}
	return 0;
}

/* The reason whose counter moved by one packet of len bytes, or -1. */
static int moved(const struct fp_counter *before,
		 const struct fp_counter *after, int len)
{
	int which = -1;

	for (int r = 0; r < FP_R_MAX; r++) {
		__u64 dp = after[r].packets - before[r].packets;
		__u64 db = after[r].bytes - before[r].bytes;

		if (!dp && !db)
			continue;
		if (which >= 0 || dp != 1 || db != (__u64)len)
			return -2;
		which = r;
	}
	return which;
}

static bool differs(const struct ref_verdict *want, const __u8 *want_out,
		    const struct seen *saw)
{
	return saw->action != want->action || saw->out_len != want->out_len ||
	       memcmp(saw->out, want_out, want->out_len);
}

/* Each of up3's circuits' fp_vlanstat counters, summed over the CPUs. */
static int read_vstat(struct fp_counter sum[MAX_VLANS][REF_VC_MAX])
{
	memset(sum, 0, MAX_VLANS * sizeof(*sum));
	for (size_t i = 0; i < nvlans; i++) {
		struct fp_vlan_key k = { .ifindex = ifidx[D_UP3],
					 .outer = vlans[i].outer,
					 .inner = vlans[i].inner };
		struct fp_vlan v;

		if (bpf_map_lookup_elem(vlans_fd, &k, &v))
			return map_err("read", FP_MAP_VLANS);
		if (bpf_map_lookup_elem(vlanstat_fd, &v.stat, percpu_v))
			return map_err("read", FP_MAP_VLANSTAT);
		for (int c = 0; c < ncpus; c++) {
			const struct fp_counter *by[REF_VC_MAX] = {
				[REF_VC_FAST] = &percpu_v[c].fast,
				[REF_VC_GATEWAY] = &percpu_v[c].gateway,
				[REF_VC_OTHER] = &percpu_v[c].other,
			};

			for (int k2 = 0; k2 < REF_VC_MAX; k2++) {
				sum[i][k2].packets += by[k2]->packets;
				sum[i][k2].bytes += by[k2]->bytes;
			}
		}
	}
	return 0;
}

/* The circuits' counters moved as want says, by a packet of len bytes. */
static bool vstat_as_model(const struct fp_counter before[][REF_VC_MAX],
			   const struct fp_counter after[][REF_VC_MAX],
			   const struct ref_verdict *want, int len)
{
	for (size_t i = 0; i < nvlans; i++)
		for (int c = 0; c < REF_VC_MAX; c++) {
			bool counted = want->vlan == (int)i &&
				       want->vclass == (enum ref_vclass)c;

			if (after[i][c].packets - before[i][c].packets !=
				    (counted ? 1 : 0) ||
			    after[i][c].bytes - before[i][c].bytes !=
				    (counted ? (__u64)len : 0))
				return false;
		}
	return true;
}

/* Which program judges the next packet. */
static enum prog pick_prog(void)
{
	if (opt_prog[P_UPLINK] && opt_prog[P_PORT])
		return chance(50) ? P_PORT : P_UPLINK;
	return opt_prog[P_PORT] ? P_PORT : P_UPLINK;
}

/*
 * One packet through both. replay: read the counters around the run and
 * compare the one that moved. Returns -1 on a system error, else 0.
 */
static int one_packet(unsigned long long idx, unsigned long long table,
		      bool replay, struct fp_counter batch[][FP_R_MAX],
		      struct fp_counter vbatch[][REF_VC_MAX])
{
	static __u8 f[BUF_MAX], want_out[BUF_MAX];
	static struct seen saw;
	struct fp_counter before[P_NPROG][FP_R_MAX], after[P_NPROG][FP_R_MAX];
	struct fp_counter vbefore[MAX_VLANS][REF_VC_MAX],
		vafter[MAX_VLANS][REF_VC_MAX];
	struct ref_ingress ingress;
	struct ref_verdict want;
	bool probe = idx % PROBE_EVERY == PROBE_EVERY - 1;
	enum prog pg = pick_prog();
	enum dev in;
	int len;

	memset(f, 0, sizeof(f));
	len = pg == P_PORT ? random_port_frame(f, &in) : random_frame(f, &in);
	if (len < ETH_HLEN) {
		fprintf(stderr, "fuzz_diff: frame not built (%d)\n", len);
		return -1;
	}
	if (pg == P_PORT) {
		ref_model__run_port(&tables, ifidx[in], f, len, want_out,
				    &want);
	} else {
		ingress = ingress_of(in);
		ref_model__run(&tables, &ingress, f, len, want_out, &want);
	}

	if (replay && (read_counters(before) || read_vstat(vbefore)))
		return -1;
	saw.has_reason = false;
	if (test_run(pg, in, f, len, false, &saw))
		return -1;
	if (replay) {
		bool vok;
		int r, other;

		if (read_counters(after) || read_vstat(vafter))
			return -1;
		r = moved(before[pg], after[pg], len);
		other = moved(before[!pg], after[!pg], len);
		vok = vstat_as_model(vbefore, vafter, &want, len);
		/* A wrong verdict was reported on the first pass already. */
		if ((r != (int)want.reason || other != -1 || !vok) &&
		    !differs(&want, want_out, &saw)) {
			saw.reason = r < 0 ? FP_R_MAX : (__u32)r;
			saw.has_reason = true;
			report(idx, table, pg, in, f, len, &want, want_out,
			       &saw,
			       r == -2 ? "counters: not exactly one moved" :
			       r != (int)want.reason ?
					 "counter" :
			       other != -1 ?
					 "the other program's counters moved" :
					 "fp_vlanstat counters");
		}
		return 0;
	}
	if (batch) {
		tally[pg][want.reason]++;
		batch[pg][want.reason].packets++;
		batch[pg][want.reason].bytes += len;
		if (want.vlan >= 0) {
			vbatch[want.vlan][want.vclass].packets++;
			vbatch[want.vlan][want.vclass].bytes += len;
		}
	}
	if (batch && want.in_model) {
		in_model[pg]++;
		model_fast[pg] += want.reason == FP_R_FASTPATH;
	}
	if (batch && want.xaccel) {
		xaccel++;
		xaccel_fast += want.reason == FP_R_FASTPATH;
	}
	if (pg == P_UPLINK && in == D_UP3 && len >= ETH_HLEN &&
	    (get16(f + 12) == 0x8100 || get16(f + 12) == 0x88a8)) {
		tagged++;
		on_circuit += want.vlan >= 0;
		popped += want.vlan >= 0 && want.action == XDP_REDIRECT;
	}
	if (differs(&want, want_out, &saw)) {
		report(idx, table, pg, in, f, len, &want, want_out, &saw,
		       saw.action != want.action ? "verdict" : "frame out");
		return 0;
	}
	if (probe) {
		if (test_run(pg, in, f, len, true, &saw))
			return -1;
		if (saw.action != want.action || saw.reason != want.reason ||
		    saw.ifindex != want.ifindex ||
		    differs(&want, want_out, &saw))
			report(idx, table, pg, in, f, len, &want, want_out,
			       &saw, "explain probe");
	}
	return 0;
}

static bool stop(void)
{
	return mismatches && !opt_keep_going;
}

/*
 * One table's packets: run them, then compare the counters in aggregate;
 * on a difference replay the batch (same seed state) packet by packet.
 */
static int run_batch(unsigned long long first, unsigned long long n,
		     unsigned long long table)
{
	struct fp_counter before[P_NPROG][FP_R_MAX], after[P_NPROG][FP_R_MAX];
	struct fp_counter batch[P_NPROG][FP_R_MAX] = { 0 };
	struct fp_counter vbefore[MAX_VLANS][REF_VC_MAX],
		vafter[MAX_VLANS][REF_VC_MAX];
	struct fp_counter vbatch[MAX_VLANS][REF_VC_MAX] = { 0 };
	__u64 state = rng_state;
	unsigned long long found = mismatches;
	bool replay = false;
	char vid[16];

	if (read_counters(before) || read_vstat(vbefore))
		return -1;
	for (unsigned long long i = 0; i < n && !stop(); i++)
		if (one_packet(first + i, table, false, batch, vbatch))
			return -1;
	if (stop())
		return 0;
	if (read_counters(after) || read_vstat(vafter))
		return -1;
	for (size_t i = 0; i < nvlans && !replay; i++)
		for (int c = 0; c < REF_VC_MAX && !replay; c++) {
			if (vafter[i][c].packets - vbefore[i][c].packets ==
				    vbatch[i][c].packets &&
			    vafter[i][c].bytes - vbefore[i][c].bytes ==
				    vbatch[i][c].bytes)
				continue;
			fprintf(stderr,
				"fp_vlanstat of vlan %s, %s: program +%llu packets, model +%llu; replaying the batch\n",
				fp_format_vlan(vlans[i].outer, vlans[i].inner,
					       vid, sizeof(vid)),
				c == REF_VC_FAST    ? "fast" :
				c == REF_VC_GATEWAY ? "gateway" :
						      "other",
				(unsigned long long)(vafter[i][c].packets -
						     vbefore[i][c].packets),
				(unsigned long long)vbatch[i][c].packets);
			replay = true;
		}
	for (int pg = 0; pg < P_NPROG && !replay; pg++)
		for (int r = 0; r < FP_R_MAX && !replay; r++) {
			const struct fp_counter *b = &before[pg][r],
						*a = &after[pg][r],
						*m = &batch[pg][r];

			if (a->packets - b->packets == m->packets &&
			    a->bytes - b->bytes == m->bytes)
				continue;
			fprintf(stderr,
				"%s counter %s: program +%llu packets +%llu bytes, model +%llu +%llu; replaying the batch\n",
				pg == P_PORT ? "fp_rstats" : "fp_stats",
				fp_reason_name(r),
				(unsigned long long)(a->packets - b->packets),
				(unsigned long long)(a->bytes - b->bytes),
				(unsigned long long)m->packets,
				(unsigned long long)m->bytes);
			replay = true;
		}
	if (!replay)
		return 0;
	rng_state = state;
	for (unsigned long long i = 0; i < n && !stop(); i++)
		if (one_packet(first + i, table, true, NULL, NULL))
			return -1;
	if (mismatches == found) /* must not pass unnamed */
		mismatches++;
	return 0;
}

/* Setup: namespace, devices, object. */

static int setup(void)
{
	if (fp_test__netns() || fp_test__one_cpu())
		return -1;
	for (int d = 0; d < D_MAX; d++) {
		char peer[IF_NAMESIZE];
		__u8 m[6];

		dev_mac(d, m);
		snprintf(peer, sizeof(peer), "p%s", dev_names[d]);
		ifidx[d] = fp_test__veth(dev_names[d], m, peer);
		if (!ifidx[d])
			return -1;
	}
	skel = fp_test__load();
	if (!skel)
		return -1;
	fm.skel = skel;
	if (fp_maps__fill_fds(&fm))
		return -1;
	prog_fd[P_UPLINK] = bpf_program__fd(skel->progs.fastpath_xdp);
	prog_fd[P_PORT] = bpf_program__fd(skel->progs.fastpath_port);
	stats_fd[P_UPLINK] = bpf_map__fd(skel->maps.fp_stats);
	stats_fd[P_PORT] = bpf_map__fd(skel->maps.fp_rstats);
	vlans_fd = bpf_map__fd(skel->maps.fp_vlans);
	vlanstat_fd = bpf_map__fd(skel->maps.fp_vlanstat);
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		fprintf(stderr, "fuzz_diff: libbpf_num_possible_cpus: %s\n",
			strerror(-ncpus));
		return -1;
	}
	percpu_v = calloc(ncpus, sizeof(*percpu_v));
	if (!percpu_v) {
		fprintf(stderr, "fuzz_diff: calloc: %s\n", strerror(errno));
		return -1;
	}
	return install_uplinks();
}

static void usage(FILE *to)
{
	fprintf(to,
		"usage: fuzz_diff [--packets N] [--seed S] [--tables K] [--program uplink|port|both] [--keep-going] [-v]\n"
		"  --packets N   frames to run (default 20000)\n"
		"  --program P   the programs judged: fastpath_xdp on the uplinks, the\n"
		"                return path's fastpath_port, or both (default: half each)\n"
		"  --seed S      replay a run (default: from the clock)\n"
		"  --tables K    new random tables every K packets (default 2000)\n"
		"  --keep-going  count every mismatch instead of stopping at the first\n");
}

static int parse_args(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "packets", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "tables", required_argument, NULL, 't' },
		{ "program", required_argument, NULL, 'p' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool seeded = false;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "n:s:t:p:kvh", lopts, NULL)) !=
	       -1) {
		unsigned long long v = 0;

		if (c == 'n' || c == 's' || c == 't') {
			errno = 0;
			v = strtoull(optarg, &end, 0);
			if (errno || *end || !*optarg || optarg[0] == '-') {
				fprintf(stderr, "fuzz_diff: bad number: %s\n",
					optarg);
				return -1;
			}
		}
		switch (c) {
		case 'n':
			opt_packets = v;
			break;
		case 's':
			opt_seed = v;
			seeded = true;
			break;
		case 't':
			if (!v) {
				fprintf(stderr,
					"fuzz_diff: --tables must be > 0\n");
				return -1;
			}
			opt_tables = v;
			break;
		case 'p':
			opt_prog[P_UPLINK] = !strcmp(optarg, "uplink") ||
					     !strcmp(optarg, "both");
			opt_prog[P_PORT] = !strcmp(optarg, "port") ||
					   !strcmp(optarg, "both");
			if (!opt_prog[P_UPLINK] && !opt_prog[P_PORT]) {
				fprintf(stderr,
					"fuzz_diff: --program %s: expected uplink, port or both\n",
					optarg);
				return -1;
			}
			break;
		case 'k':
			opt_keep_going = true;
			break;
		case 'v':
			opt_verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	if (!seeded) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		opt_seed = ((unsigned long long)ts.tv_sec * 1000003ULL) ^
			   (unsigned long long)ts.tv_nsec ^
			   (unsigned long long)getpid() << 32;
		opt_seed %= 1000000000000ULL; /* short enough to retype */
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	unsigned long long done = 0, table = 0;
	double secs;
	int rc = 1;

	if (parse_args(argc, argv))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("fuzz_diff: seed %llu, %llu packets, new tables every %lu, programs:%s%s\n",
	       opt_seed, opt_packets, opt_tables,
	       opt_prog[P_UPLINK] ? " " FP_PROG_NAME : "",
	       opt_prog[P_PORT] ? " " FP_PROG_PORT_NAME : "");
	/* splitmix64 step: any seed, 0 included, gives a good state. */
	rng_state = opt_seed + 0x9e3779b97f4a7c15ULL;
	rng_state = (rng_state ^ (rng_state >> 30)) * 0xbf58476d1ce4e5b9ULL;
	rng_state = (rng_state ^ (rng_state >> 27)) * 0x94d049bb133111ebULL;
	rng_state ^= rng_state >> 31;
	if (!rng_state)
		rng_state = 1;

	if (setup())
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (done < opt_packets && !stop()) {
		unsigned long long n = opt_packets - done;

		if (n > opt_tables)
			n = opt_tables;
		if (table && tables_update(true))
			goto out;
		random_tables();
		if (tables_update(false) || run_batch(done, n, table))
			goto out;
		done += n;
		table++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

	for (int pg = 0; pg < P_NPROG; pg++) {
		unsigned long long n = 0;

		for (int r = 0; r < FP_R_MAX; r++)
			n += tally[pg][r];
		if (!opt_prog[pg])
			continue;
		printf("model verdicts, %s (%llu packets):",
		       pg == P_PORT ? FP_PROG_PORT_NAME : FP_PROG_NAME, n);
		for (int r = 0; r < FP_R_MAX; r++)
			printf(" %s %llu", fp_reason_name(r), tally[pg][r]);
		printf("\n");
	}
	for (int pg = 0; pg < P_NPROG; pg++)
		if (opt_prog[pg])
			printf("model (%s): %llu packets of a VNet judged by its connection on the circuit, %llu of them fast\n",
			       prog_names[pg], in_model[pg], model_fast[pg]);
	printf("model (uplink): %llu packets under an exclusion its circuit sets aside, %llu of them fast\n",
	       xaccel, xaccel_fast);
	printf("tagged frames on the trunk: %llu, %llu naming a circuit, %llu of those redirected without their tags\n",
	       tagged, on_circuit, popped);
	printf("%llu tables, %.2f s, %.0f packets/s\n", table, secs,
	       secs > 0 ? done / secs : 0);
	printf("fuzz_diff: %llu packets, %llu mismatches, seed %llu\n", done,
	       mismatches, opt_seed);
	rc = mismatches ? 1 : 0;
out:
	fastpath__destroy(skel);
	free(percpu_v);
	return rc;
}
