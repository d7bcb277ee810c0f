// SPDX-License-Identifier: GPL-2.0
/*
 * The verdict as DESIGN.md and the README document it, one check after
 * another in the order a packet is read: device, Ethernet, IP header,
 * source, options, destination, IPv6 extension chain, TTL,
 * anti-spoofing, exclusion, connection, budget, route, port.
 *
 * The ExpressRoute model (README "The ExpressRoute model", "Why is my
 * traffic not fast-pathed?"): an entry belongs to the VNet whose address
 * space holds it; on an ingress of a circuit, an entry of a VNet is fast
 * only while a connection links them with fastpath on for the family
 * (else conn_off) and the entry holds a place in the circuit's budget,
 * handed out first come, first served (else over_budget). Exclusions
 * count by class: the circuit's profile (and a spoke's own connection,
 * for peering) may set a class aside, Private Link never through a hub.
 * The return path asks the same connection, on the circuit of the uplink
 * a frame leaves by, for the source's VNet. What a lookup finds is the
 * longest route, or an exclusion's own prefix when that is longer: it
 * takes the route under it to the port, and its own VNet.
 *
 * The documents give each class of packet its verdict but do not say
 * which check comes first when a packet falls into two classes (a
 * broadcast frame with a class E source; a route with an unknown MAC
 * to a port whose MTU it exceeds). There the model takes the order
 * above, which is also bpf/'s: written down here so that changing it is
 * a decision, and the fuzzer notices if either side drifts.
 *
 * Deliberately naive: prefixes are matched by a linear scan over plain
 * arrays and the IPv4 checksum is recomputed from scratch, so that nothing
 * here shares a shortcut (LPM trie, incremental checksum) with bpf/.
 *
 * Trunk uplinks (maps/fastpath.h, fp_vlans): on an uplink with tagged
 * circuits, a frame tagged 802.1Q or 802.1ad names one by its tags, one
 * (a C-tag) or two (an S-tag of either TPID, then an 802.1Q C-tag).
 * Only the 12 VID bits of a tag count. An S-tag alone, a third tag or an
 * S-tag inside, or tags no circuit has are unknown_vlan and passed; a
 * frame that ends inside a tag is malformed. The packet inside a known
 * circuit's tags is judged here exactly as if it had come untagged, with
 * the circuit's gateway port in place of the uplink's: the model takes
 * the tags out, judges that frame, and hands it back so (rewritten)
 * when it is redirected, and otherwise the frame as it came, tags and
 * all.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/bpf.h>

#include "refmodel.h"

#define ETH_LEN 14
#define IP4_LEN 20
#define IP6_LEN 40
#define ETHERTYPE_IP4 0x0800
#define ETHERTYPE_IP6 0x86dd
#define TPID_8021Q 0x8100 /* a C-tag, or an S-tag in front of one */
#define TPID_8021AD 0x88a8 /* an S-tag */
#define TAG_LEN 4 /* TCI and the next EtherType */
#define VID_MASK 0x0fff

/* IPv6 next-header values the README names. */
#define NH_HOPOPTS 0
#define NH_ROUTING 43
#define NH_FRAGMENT 44
#define NH_ICMPV6 58
#define NH_DSTOPTS 60
#define NH_AH 51
#define NH_MOBILITY 135
#define NH_NONE 59
#define PROTO_TCP 6
#define PROTO_UDP 17

/* README: "a chain longer than 6 headers" goes to the kernel. */
#define EXT_CHAIN_MAX 6

static __u16 be16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

/* One's complement sum of len bytes (len even), folded, not inverted. */
static __u16 sum16(const __u8 *p, size_t len)
{
	__u32 sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += be16(p + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

static bool prefix_match(const struct ref_prefix *p, int family,
			 const __u8 *addr)
{
	int full = p->len / 8, rest = p->len % 8;

	if (p->family != family || memcmp(p->addr, addr, full))
		return false;
	return !rest || !((p->addr[full] ^ addr[full]) & (0xff00 >> rest));
}

const struct ref_prefix *ref_model__lookup(const struct ref_prefix *tab,
					   size_t n, int family,
					   const __u8 *addr)
{
	const struct ref_prefix *best = NULL;

	for (size_t i = 0; i < n; i++)
		if (prefix_match(&tab[i], family, addr) &&
		    (!best || tab[i].len > best->len))
			best = &tab[i];
	return best;
}

static const struct ref_port *find_port(const struct ref_tables *t,
					__u32 ifindex)
{
	for (size_t i = 0; i < t->nports; i++)
		if (ifindex && t->ports[i].ifindex == ifindex)
			return &t->ports[i];
	return NULL;
}

/* ---- the ExpressRoute model ------------------------------------------ */

/*
 * The VNet whose address space holds all of prefix p (the README: an
 * entry is the VNet's when it lies in one of its spaces), 0 if none.
 * Spaces never overlap (apply refuses it), so at most one does.
 */
static __u16 vnet_of(const struct ref_tables *t, const struct ref_prefix *p)
{
	for (size_t i = 0; t->spaces && i < t->nspaces; i++)
		if (t->spaces[i].len <= p->len &&
		    prefix_match(&t->spaces[i], p->family, p->addr))
			return t->spaces[i].vnet;
	return 0;
}

/* Whether addr lies in any VNet's address space: a VM's own address. */
static bool in_space(const struct ref_tables *t, int family, const __u8 *addr)
{
	return ref_model__lookup(t->spaces, t->nspaces, family, addr) != NULL;
}

/* The connection's flags linking vnet and circuit; 0 when none does. */
static __u32 conn_flags(const struct ref_tables *t, __u16 vnet, __u8 circuit)
{
	for (size_t i = 0; t->conns && i < t->nconns; i++)
		if (t->conns[i].vnet == vnet && t->conns[i].circuit == circuit)
			return t->conns[i].flags;
	return 0;
}

static __u32 fast_flag(int family)
{
	return family == AF_INET ? FP_CONN_F_FAST4 : FP_CONN_F_FAST6;
}

/* A VNet's entry, on-prem destinations never (they are in no VNet). */
static __u16 route_vnet(const struct ref_tables *t, const struct ref_prefix *r)
{
	return r->onprem ? 0 : vnet_of(t, r);
}

/*
 * README: "One route entry of a VNet connected with fastpath on counts as
 * one IP on each circuit it is fast on"; routes to a port only (a shadow
 * carries no traffic), and a budget's places go first come, first served.
 */
static bool counts_on(const struct ref_tables *t, const struct ref_prefix *r,
		      __u8 circuit)
{
	__u16 vnet = route_vnet(t, r);

	return vnet && r->ifindex &&
	       (conn_flags(t, vnet, circuit) & fast_flag(r->family));
}

bool ref_model__holds_place(const struct ref_tables *t,
			    const struct ref_prefix *r, __u8 circuit)
{
	__u32 before = 0;

	if (!circuit || circuit > FP_MAX_CIRCUITS || !counts_on(t, r, circuit))
		return false;
	for (const struct ref_prefix *q = t->routes; q < r; q++)
		before += counts_on(t, q, circuit);
	return before < t->budget[circuit - 1];
}

/*
 * What a lookup of addr finds: the longest route, or an exclusion longer
 * than every route (its marker), which takes the route under it (if any)
 * for the way out and its own place for the VNet. xclasses: every
 * exclusion covering addr, whatever the prefix lengths.
 */
struct entry {
	const struct ref_prefix *rt; /* the route the traffic takes, or NULL */
	const struct ref_prefix *at; /* the entry's own prefix: rt's, or the
				      * exclusion's; NULL: no entry at all */
	__u16 vnet;
	__u32 xclasses;
};

static struct entry entry_of(const struct ref_tables *t, int family,
			     const __u8 *addr)
{
	const struct ref_prefix *ex;
	struct entry e = { 0 };

	e.rt = ref_model__lookup(t->routes, t->nroutes, family, addr);
	ex = ref_model__lookup(t->excl, t->nexcl, family, addr);
	e.at = ex && (!e.rt || ex->len > e.rt->len) ? ex : e.rt;
	for (size_t i = 0; t->excl && i < t->nexcl; i++)
		if (prefix_match(&t->excl[i], family, addr))
			e.xclasses |= 1U << t->excl[i].xclass;
	if (e.at && !(e.rt && e.rt->onprem))
		e.vnet = vnet_of(t, e.at);
	return e;
}

/*
 * The exclusion classes an ingress's circuit accelerates for an entry of
 * a VNet linked to it by flags (README, profiles): outside the model a
 * UDR has no effect and every other class holds; 2020 ignores udr;
 * direct-2025 also peering and private-link. A spoke's own connection
 * (linked, not through a hub) sets its peering exclusion aside there;
 * through its hub (peered) Private Link is never fast.
 */
static __u32 accelerated(const struct ref_circuit *c, __u32 flags)
{
	__u32 allow = 1U << FP_CLASS_UDR;

	if (!c->id)
		return allow;
	if (c->profile == REF_PROFILE_DIRECT_2025)
		allow |= 1U << FP_CLASS_PEERING | 1U << FP_CLASS_PRIVATE_LINK;
	if (flags & FP_CONN_F_LINKED) {
		if (flags & FP_CONN_F_PEERED)
			allow &= ~(1U << FP_CLASS_PRIVATE_LINK);
		else
			allow |= 1U << FP_CLASS_PEERING;
	}
	return allow;
}

/* The circuit uplink ifindex's own record names, 0 if none. */
static __u8 upcircuit(const struct ref_tables *t, __u32 ifindex)
{
	for (size_t i = 0; t->upcircuits && i < t->nupcircuits; i++)
		if (t->upcircuits[i].ifindex == ifindex)
			return t->upcircuits[i].circuit;
	return 0;
}

static bool mac_zero(const __u8 *m)
{
	return !(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]);
}

/* README: multicast, loopback, class E or 255.255.255.255 (inside E). */
static bool bad_source4(const __u8 *a)
{
	return (a[0] & 0xf0) == 0xe0 || a[0] == 127 || (a[0] & 0xf0) == 0xf0;
}

/* README: IPv6 multicast or ::1. */
static bool bad_source6(const __u8 *a)
{
	static const __u8 loopback[16] = { [15] = 1 };

	return a[0] == 0xff || !memcmp(a, loopback, 16);
}

/* DESIGN.md: multicast/broadcast destinations (224/4, 255.255.255.255). */
static bool group_dest4(const __u8 *a)
{
	static const __u8 bcast[4] = { 255, 255, 255, 255 };

	return (a[0] & 0xf0) == 0xe0 || !memcmp(a, bcast, 4);
}

struct pkt {
	int family;
	const __u8 *saddr, *daddr;
	__u32 l3_len; /* what the IP header says the packet is */
	__u8 ttl;
	__u32 l4off; /* where the upper-layer header starts in the frame */
	__u8 l4proto; /* and its protocol (IPv6: behind the extensions) */
};

static void set(struct ref_verdict *v, __u32 action, __u32 reason)
{
	v->action = action;
	v->reason = reason;
	v->ifindex = 0;
}

/* The frame's destination MAC is a group address (multicast, broadcast). */
static bool group_mac(const __u8 *f)
{
	return f[0] & 1;
}

/* Both programs begin so: the frame copied out, no tag, no class yet. */
static void start(const __u8 *frame, int len, __u8 *out, struct ref_verdict *v)
{
	memcpy(out, frame, len);
	v->out_len = len;
	v->xaccel = v->in_model = false;
	v->vlan = -1;
	v->vclass = REF_VC_OTHER;
}

/*
 * Whether the frame is whole enough to have MACs and is for mac (or a
 * group); otherwise v says why (malformed, or other_host as the stack
 * would: unicast to another MAC is not for this host).
 */
static bool l2_for_us(const __u8 *frame, int len, const __u8 *mac,
		      struct ref_verdict *v)
{
	if (len < ETH_LEN) {
		set(v, XDP_DROP, FP_R_MALFORMED);
		return false;
	}
	if (!group_mac(frame) && memcmp(frame, mac, 6)) {
		set(v, XDP_PASS, FP_R_OTHER_HOST);
		return false;
	}
	return true;
}

/*
 * Parses and validates the IPv4 header. Returns -1 with *v set when the
 * verdict is already decided, 0 to go on to TTL, anti-spoofing, lookup.
 */
static int ip4_judge(const __u8 *f, int len, struct pkt *p,
		     struct ref_verdict *v)
{
	const __u8 *ip = f + ETH_LEN;
	__u32 ihl, tot_len;

	if (len < ETH_LEN + IP4_LEN || ip[0] >> 4 != 4 || (ip[0] & 0xf) < 5)
		goto malformed;
	ihl = (ip[0] & 0xf) * 4U;
	tot_len = be16(ip + 2);
	/* Shorter than the header, or past the frame (padding is fine). */
	if (tot_len < ihl || tot_len > (__u32)(len - ETH_LEN))
		goto malformed;

	p->family = AF_INET;
	p->saddr = ip + 12;
	p->daddr = ip + 16;
	p->l3_len = tot_len;
	p->ttl = ip[8];

	if (bad_source4(p->saddr)) {
		set(v, XDP_DROP, FP_R_BAD_SOURCE);
		return -1;
	}
	if (ihl > IP4_LEN) {
		set(v, XDP_PASS, FP_R_IP_OPTIONS);
		return -1;
	}
	if (group_mac(f) || group_dest4(p->daddr)) {
		set(v, XDP_PASS, FP_R_MULTICAST);
		return -1;
	}
	p->l4off = ETH_LEN + IP4_LEN;
	p->l4proto = ip[9];
	/* Fragments: nothing to do, the fast path routes on L3 alone. */
	return 0;

malformed:
	set(v, XDP_DROP, FP_R_MALFORMED);
	return -1;
}

/* ICMPv6 types 133..137 (RFC 4861): router/neighbour ND and redirect. */
static bool is_nd(__u8 type)
{
	return type >= 133 && type <= 137;
}

/*
 * The extension chain behind the fixed header. README: hop-by-hop
 * anywhere, or a chain longer than six headers, is passed (ip_options);
 * ND behind any of them is not_ip; a header the frame cuts off is
 * malformed. Everything else ends the walk and is forwarded: an unknown
 * next header, a transport, or a later fragment, whose bytes are data
 * (every fragment of a packet must get the same verdict). Extension
 * headers are those of RFC 8200 and RFC 7045, AH and Mobility included.
 */
/*
 * Whether the extension headers, ending at off, ran past the packet the
 * payload length gives (into the frame's padding): malformed.
 */
static bool past_payload(const struct pkt *p, __u32 off)
{
	return off - ETH_LEN > p->l3_len;
}

static int ip6_chain(const __u8 *f, int len, struct pkt *p,
		     struct ref_verdict *v)
{
	__u32 off = ETH_LEN + IP6_LEN, n = 0, hlen;
	__u8 nh = f[ETH_LEN + 6];

	for (;; n++) {
		p->l4off = off;
		p->l4proto = nh;
		switch (nh) {
		case NH_HOPOPTS:
			set(v, XDP_PASS, FP_R_IP_OPTIONS);
			return -1;
		case NH_ROUTING:
		case NH_DSTOPTS:
		case NH_FRAGMENT:
		case NH_AH:
		case NH_MOBILITY:
			break;
		case NH_ICMPV6:
			if (past_payload(p, off))
				goto malformed;
			if (off < (__u32)len && is_nd(f[off])) {
				set(v, XDP_PASS, FP_R_NOT_IP);
				return -1;
			}
			return 0;
		default:
			if (past_payload(p, off))
				goto malformed;
			return 0;
		}
		if (n == EXT_CHAIN_MAX) {
			set(v, XDP_PASS, FP_R_IP_OPTIONS);
			return -1;
		}
		if (off + 2 > (__u32)len)
			goto malformed;
		if (nh == NH_FRAGMENT)
			hlen = 8;
		else if (nh == NH_AH)
			hlen = (f[off + 1] + 2U) * 4;
		else
			hlen = (f[off + 1] + 1U) * 8;
		if (off + hlen > (__u32)len)
			goto malformed;
		/* A later fragment's bytes are data: no upper-layer header. */
		if (nh == NH_FRAGMENT && (be16(f + off + 2) & 0xfff8)) {
			p->l4off = off + hlen;
			p->l4proto = NH_NONE;
			if (past_payload(p, off + hlen))
				goto malformed;
			return 0;
		}
		nh = f[off];
		off += hlen;
	}

malformed:
	set(v, XDP_DROP, FP_R_MALFORMED);
	return -1;
}

static int ip6_judge(const __u8 *f, int len, struct pkt *p,
		     struct ref_verdict *v)
{
	const __u8 *ip = f + ETH_LEN;
	__u32 plen;

	if (len < ETH_LEN + IP6_LEN || ip[0] >> 4 != 6)
		goto malformed;
	plen = be16(ip + 4);
	if (IP6_LEN + plen > (__u32)(len - ETH_LEN))
		goto malformed;

	p->family = AF_INET6;
	p->saddr = ip + 8;
	p->daddr = ip + 24;
	p->l3_len = IP6_LEN + plen;
	p->ttl = ip[7];

	if (bad_source6(p->saddr)) {
		set(v, XDP_DROP, FP_R_BAD_SOURCE);
		return -1;
	}
	/* Hop-by-hop first is IPv6's "options": judged where IPv4's are. */
	if (ip[6] == NH_HOPOPTS) {
		set(v, XDP_PASS, FP_R_IP_OPTIONS);
		return -1;
	}
	if (group_mac(f) || p->daddr[0] == 0xff) {
		set(v, XDP_PASS, FP_R_MULTICAST);
		return -1;
	}
	return ip6_chain(f, len, p, v);

malformed:
	set(v, XDP_DROP, FP_R_MALFORMED);
	return -1;
}

/* A router's rewrite: new MACs, one hop less, a valid checksum. */
static void rewrite(__u8 *out, int family, const __u8 *dmac, const __u8 *smac)
{
	__u8 *ip = out + ETH_LEN;
	__u16 old, hc;
	bool valid;
	__u32 s;

	memcpy(out, dmac, 6);
	memcpy(out + 6, smac, 6);
	if (family == AF_INET6) {
		ip[7]--;
		return;
	}
	/*
	 * A valid header gets the checksum recomputed from scratch. One that
	 * arrived broken must stay as broken as it was (RFC 1624 eqn. 3,
	 * what an incremental update yields), else the next hop would take
	 * a corrupted header for a good one.
	 */
	old = be16(ip + 8);
	hc = be16(ip + 10);
	valid = sum16(ip, IP4_LEN) == 0xffff;
	ip[8]--;
	if (valid) {
		ip[10] = ip[11] = 0;
		hc = (__u16)~sum16(ip, IP4_LEN);
	} else {
		s = (__u16)~hc + (__u32)(__u16)~old + be16(ip + 8);
		while (s >> 16)
			s = (s & 0xffff) + (s >> 16);
		hc = (__u16)~s;
	}
	ip[10] = hc >> 8;
	ip[11] = hc & 0xff;
}

/* The gateway verdict: XDP_PASS, or the uplink's gateway port. */
static void gateway(const struct ref_tables *t, const struct ref_ingress *in,
		    const struct pkt *p, __u8 *out, __u32 reason,
		    struct ref_verdict *v)
{
	const struct ref_port *gw = find_port(t, in->gw_ifindex);

	set(v, XDP_PASS, reason);
	if (!gw || p->l3_len > gw->mtu || mac_zero(gw->peer_mac) ||
	    !gw->in_devmap)
		return;
	v->action = XDP_REDIRECT;
	v->ifindex = gw->ifindex;
	rewrite(out, p->family, gw->peer_mac, gw->mac);
}

/* The verdict of an untagged IPv4 or IPv6 frame (EtherType at 12). */
static void judge_ip(const struct ref_tables *t, const struct ref_ingress *in,
		     const __u8 *frame, int len, __u8 *out,
		     struct ref_verdict *v)
{
	const struct ref_prefix *rt;
	const struct ref_port *port;
	struct pkt p = { 0 };
	struct entry e;
	__u32 flags;
	bool model;

	if ((be16(frame + 12) == ETHERTYPE_IP4 ? ip4_judge :
						 ip6_judge)(frame, len, &p, v))
		return;

	if (p.ttl <= 1) {
		set(v, XDP_PASS, FP_R_TTL_EXPIRED);
		return;
	}
	/*
	 * A VM's own address: a host route (/32, /128) with a port, or an
	 * address inside a VNet's address space. A wider route through a
	 * port (a default route, an NVA's /8) is a path that on-prem sources
	 * may lie on; a shadow names no VM.
	 */
	rt = ref_model__lookup(t->routes, t->nroutes, p.family, p.saddr);
	if (!(in->flags & FP_UPLINK_F_ALLOW_SPOOFED) &&
	    ((rt && rt->ifindex && !rt->onprem &&
	      rt->len == (p.family == AF_INET ? 32 : 128)) ||
	     in_space(t, p.family, p.saddr))) {
		set(v, XDP_DROP, FP_R_SPOOFED);
		return;
	}

	/*
	 * An on-prem destination is the return path's: coming in from the
	 * circuit it has no route (whatever exclusion covers it), as if the
	 * entry were not there.
	 */
	e = entry_of(t, p.family, p.daddr);
	rt = e.rt;
	if (rt && rt->onprem) {
		gateway(t, in, &p, out, FP_R_MISS, v);
		return;
	}
	/*
	 * Inside the model (the ingress on a circuit, the entry in a VNet),
	 * the VNet's connection on that circuit decides.
	 */
	model = in->circuit.id && e.vnet;
	flags = model ? conn_flags(t, e.vnet, in->circuit.id) : 0;
	/*
	 * An exclusion always wins, whatever the prefix lengths, unless the
	 * circuit accelerates its class for this VNet.
	 */
	if (e.xclasses & ~accelerated(&in->circuit, flags)) {
		gateway(t, in, &p, out, FP_R_EXCLUDED, v);
		return;
	}
	v->xaccel = e.xclasses != 0;
	v->in_model = model && rt && rt->ifindex;
	/*
	 * Fast only while a connection links the VNet to the circuit with
	 * fastpath on for the family, and only for an entry holding a place
	 * in the circuit's budget (a marker's is its route's).
	 */
	if (model && rt && rt->ifindex) {
		if (!(flags & fast_flag(p.family))) {
			gateway(t, in, &p, out, FP_R_CONN_OFF, v);
			return;
		}
		if (!ref_model__holds_place(t, rt, in->circuit.id)) {
			gateway(t, in, &p, out, FP_R_OVER_BUDGET, v);
			return;
		}
	}
	port = rt ? find_port(t, rt->ifindex) : NULL;
	if (!port) {
		gateway(t, in, &p, out, FP_R_MISS, v);
		return;
	}
	if (p.l3_len > port->mtu) {
		set(v, XDP_PASS, FP_R_TOO_BIG);
		return;
	}
	if (mac_zero(rt->dmac)) {
		gateway(t, in, &p, out, FP_R_MISS, v);
		return;
	}
	if (!port->in_devmap) {
		gateway(t, in, &p, out, FP_R_REDIRECT_ERR, v);
		return;
	}
	set(v, XDP_REDIRECT, FP_R_FASTPATH);
	v->ifindex = port->ifindex;
	rewrite(out, p.family, rt->dmac, port->mac);
}

/* ---- the return path: fastpath_port on a VM port ---------------------- */

/*
 * The one's complement sum of the TCP/UDP pseudo-header (RFC 793, RFC
 * 768, RFC 8200 8.1): addresses, protocol, and the upper-layer length the
 * IP header implies, taken as 32 bits (two 16-bit words) even when the
 * extension headers claim more than the payload length holds.
 */
static __u16 pseudo_sum(const struct pkt *p)
{
	int alen = p->family == AF_INET ? 4 : 16;
	__u32 l4len = p->l3_len - (p->l4off - ETH_LEN), sum = 0;

	for (int i = 0; i < alen; i += 2)
		sum += be16(p->saddr + i) + be16(p->daddr + i);
	sum += p->l4proto + (l4len & 0xffff) + (l4len >> 16);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/*
 * Where a TCP or UDP header's check field is, when the frame holds it and
 * the packet is no IPv4 fragment (whose checksum was finished before it
 * was cut); -1 otherwise.
 */
static int check_field(const __u8 *f, int len, const struct pkt *p)
{
	int at;

	if (p->l4proto == PROTO_TCP)
		at = (int)p->l4off + 16;
	else if (p->l4proto == PROTO_UDP)
		at = (int)p->l4off + 6;
	else
		return -1;
	if (at + 2 > len)
		return -1;
	if (p->family == AF_INET && (be16(f + ETH_LEN + 6) & 0x3fff))
		return -1;
	return at;
}

/*
 * The longest segment the return path finishes: the program's bound
 * (bpf/fastpath.bpf.c FP_CSUM_MAX_SEG, 18 steps of 512 bytes and a
 * remainder), far beyond any linear frame but not an IPv6 upper-layer
 * length that wrapped below zero.
 */
#define CSUM_MAX_SEG (18 * 512 + 511)

/* The one's complement sum of len bytes, an odd last byte zero-padded. */
static __u16 sum_bytes(const __u8 *p, __u32 len)
{
	__u32 sum = 0;

	for (__u32 i = 0; i < len; i += 2)
		sum += (__u32)p[i] << 8 | (i + 1 < len ? p[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/*
 * A frame on its way out (rewritten in out) whose TCP/UDP check field
 * holds the folded pseudo-header sum: its sender (a veth's, a
 * virtio-net's) left the checksum to offload (CHECKSUM_PARTIAL), and a
 * redirect carries no offload state. It is finished as the stack's
 * skb_checksum_help would: the complement of the sum of the segment,
 * the field included (it holds the pseudo-header's share); UDP sends a
 * computed 0 as 0xffff. A finished checksum that looks partial comes out
 * as itself. 0, or -1 when it cannot be finished (a segment past the
 * frame or longer than CSUM_MAX_SEG): then it must not leave at all.
 */
static int finish_partial(const struct pkt *p, __u8 *out, int len)
{
	int at = check_field(out, len, p);
	__u32 seg = p->l3_len - (p->l4off - ETH_LEN);
	__u16 c;

	if (at < 0 || be16(out + at) != pseudo_sum(p))
		return 0;
	if (seg > CSUM_MAX_SEG || p->l4off + seg > (__u32)len)
		return -1;
	c = (__u16)~sum_bytes(out + p->l4off, seg);
	if (!c && p->l4proto == PROTO_UDP)
		c = 0xffff;
	out[at] = c >> 8;
	out[at + 1] = c & 0xff;
	return 0;
}

/* IPv6 link-local (fe80::/10): such a source never leaves its link. */
static bool link_local6(const __u8 *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/*
 * An IP frame from the VM on port ingress: the checks every packet
 * passes, the source (the VM's own), the destination (on-prem), then out
 * of the uplink through its egress record, as a router would.
 */
static void judge_port_ip(const struct ref_tables *t, __u32 ingress,
			  const __u8 *frame, int len, __u8 *out,
			  struct ref_verdict *v)
{
	const struct ref_prefix *src, *dst;
	const struct ref_port *egress;
	struct pkt p = { 0 };
	struct entry se;
	__u8 circuit;
	__u32 r;

	if ((be16(frame + 12) == ETHERTYPE_IP4 ? ip4_judge :
						 ip6_judge)(frame, len, &p, v))
		return;
	if (p.ttl <= 1) {
		set(v, XDP_PASS, FP_R_TTL_EXPIRED);
		return;
	}
	/*
	 * A VM sends only from its own addresses: those whose entry leads
	 * back to its port. Another port's or an on-prem entry is spoofed.
	 * Without an entry (or with a shadow), a source in a VNet's address
	 * space is the port's own when the port is that VNet's and spoofed
	 * when it is another VNet's; else the host's own rules judge it.
	 */
	if (p.family == AF_INET6 && link_local6(p.saddr)) {
		set(v, XDP_PASS, FP_R_UNKNOWN_SOURCE);
		return;
	}
	se = entry_of(t, p.family, p.saddr);
	src = se.rt;
	if (!src || !src->ifindex) {
		const struct ref_prefix *sp = ref_model__lookup(
			t->spaces, t->nspaces, p.family, p.saddr);
		const struct ref_port *in = find_port(t, ingress);

		if (!sp || !in || !in->vnet) {
			set(v, XDP_PASS, FP_R_UNKNOWN_SOURCE);
			return;
		}
		if (in->vnet != sp->vnet) {
			set(v, XDP_DROP, FP_R_SPOOFED);
			return;
		}
		se.vnet = sp->vnet;
	} else if (src->ifindex != ingress || src->onprem) {
		set(v, XDP_DROP, FP_R_SPOOFED);
		return;
	}
	dst = ref_model__lookup(t->routes, t->nroutes, p.family, p.daddr);
	if (!dst || !dst->onprem) {
		set(v, XDP_PASS, FP_R_MISS);
		return;
	}
	if (mac_zero(dst->dmac)) {
		set(v, XDP_PASS, FP_R_UNRESOLVED);
		return;
	}
	/*
	 * Inside the model, as on the way in: the source's VNet must be
	 * connected to the circuit of the uplink it leaves by, with
	 * fastpath on for the family.
	 */
	circuit = upcircuit(t, dst->ifindex);
	v->in_model = se.vnet && circuit;
	if (v->in_model &&
	    !(conn_flags(t, se.vnet, circuit) & fast_flag(p.family))) {
		set(v, XDP_PASS, FP_R_CONN_OFF);
		return;
	}
	/* The uplink's egress record: its MAC, its MTU, its redirect slot. */
	egress = find_port(t, dst->ifindex);
	if (!egress)
		r = FP_R_MISS;
	else if (p.l3_len > egress->mtu)
		r = FP_R_TOO_BIG;
	else if (!egress->in_devmap)
		r = FP_R_REDIRECT_ERR;
	else
		r = FP_R_FASTPATH;
	if (r != FP_R_FASTPATH) {
		set(v, XDP_PASS, r);
		return;
	}
	set(v, XDP_REDIRECT, FP_R_FASTPATH);
	v->ifindex = egress->ifindex;
	rewrite(out, p.family, dst->dmac, egress->mac);
	/*
	 * Last, on the frame as it leaves: one that cannot leave finished
	 * is dropped, rewritten as it is (a probe names the uplink still).
	 */
	if (finish_partial(&p, out, len)) {
		set(v, XDP_DROP, FP_R_CSUM_PARTIAL);
		v->ifindex = egress->ifindex;
	}
}

void ref_model__run_port(const struct ref_tables *t, __u32 ingress,
			 const __u8 *frame, int len, __u8 *out,
			 struct ref_verdict *v)
{
	const struct ref_port *port = find_port(t, ingress);
	__u16 proto;

	start(frame, len, out, v);
	/* Not a port with the return path on: untouched, to the stack. */
	if (!port || !(port->flags & FP_PORT_F_RETURN)) {
		set(v, XDP_PASS, FP_R_NOT_PORT);
		return;
	}
	/* A VM routes through the host by the port's MAC. */
	if (!l2_for_us(frame, len, port->mac, v))
		return;
	/* A VM's frames carry no tags: a tagged one is not IP here. */
	proto = be16(frame + 12);
	if (proto != ETHERTYPE_IP4 && proto != ETHERTYPE_IP6) {
		set(v, XDP_PASS, FP_R_NOT_IP);
		return;
	}
	judge_port_ip(t, ingress, frame, len, out, v);
}

static bool is_tpid(__u16 type)
{
	return type == TPID_8021Q || type == TPID_8021AD;
}

/*
 * The circuit with exactly these tags: ntags 1 names a one-tag circuit
 * by its VID, 2 a two-tag one by both. No circuit has VID 0 or 4095.
 */
static int find_vlan(const struct ref_ingress *in, int ntags, __u16 outer,
		     __u16 inner)
{
	for (size_t i = 0; i < in->nvlans; i++) {
		const struct ref_vlan *c = &in->vlans[i];

		if ((c->outer != 0) == (ntags == 2) && c->inner == inner &&
		    (ntags == 1 || c->outer == outer))
			return (int)i;
	}
	return -1;
}

/* A frame with a TPID after its MACs, on a trunk uplink. */
static void judge_tagged(const struct ref_tables *t,
			 const struct ref_ingress *in, const __u8 *frame,
			 int len, __u8 *out, struct ref_verdict *v)
{
	__u16 outer = 0, inner, next;
	struct ref_ingress cir;
	int ntags = 1, tags, plen;
	__u8 *plain, *pout;

	/* The first tag: TCI and the EtherType after it. */
	if (len < ETH_LEN + TAG_LEN) {
		set(v, XDP_DROP, FP_R_MALFORMED);
		return;
	}
	inner = be16(frame + 14) & VID_MASK;
	next = be16(frame + 16);
	if (next == TPID_8021Q) {
		/* An S-tag (of either TPID) and its C-tag. */
		if (len < ETH_LEN + 2 * TAG_LEN) {
			set(v, XDP_DROP, FP_R_MALFORMED);
			return;
		}
		ntags = 2;
		outer = inner;
		inner = be16(frame + 18) & VID_MASK;
		next = be16(frame + 20);
	} else if (be16(frame + 12) == TPID_8021AD) {
		set(v, XDP_PASS, FP_R_UNKNOWN_VLAN); /* an S-tag alone */
		return;
	}
	if (is_tpid(next)) {
		set(v, XDP_PASS, FP_R_UNKNOWN_VLAN); /* a third, an inner S */
		return;
	}
	v->vlan = find_vlan(in, ntags, outer, inner);
	if (v->vlan < 0) {
		set(v, XDP_PASS, FP_R_UNKNOWN_VLAN);
		return;
	}
	if (next != ETHERTYPE_IP4 && next != ETHERTYPE_IP6) {
		set(v, XDP_PASS, FP_R_NOT_IP);
		return;
	}

	/* The frame without its tags, judged as the circuit's. */
	tags = ntags * TAG_LEN;
	plen = len - tags;
	plain = malloc(plen);
	pout = malloc(plen);
	if (!plain || !pout) {
		set(v, XDP_ABORTED, FP_R_MAX); /* a mismatch, not a crash */
		goto out;
	}
	memcpy(plain, frame, 12);
	memcpy(plain + 12, frame + 12 + tags, plen - 12);
	memcpy(pout, plain, plen);
	cir = *in;
	cir.gw_ifindex = in->vlans[v->vlan].gw_ifindex;
	cir.circuit = in->vlans[v->vlan].circuit;
	judge_ip(t, &cir, plain, plen, pout, v);
	if (v->action == XDP_REDIRECT) {
		memcpy(out, pout, plen);
		v->out_len = plen;
	}
out:
	free(plain);
	free(pout);
}

static enum ref_vclass vclass_of(__u32 reason)
{
	switch (reason) {
	case FP_R_FASTPATH:
		return REF_VC_FAST;
	case FP_R_MISS:
	case FP_R_EXCLUDED:
	case FP_R_REDIRECT_ERR:
	case FP_R_CONN_OFF:
	case FP_R_OVER_BUDGET:
		return REF_VC_GATEWAY;
	default:
		return REF_VC_OTHER;
	}
}

void ref_model__run(const struct ref_tables *t, const struct ref_ingress *in,
		    const __u8 *frame, int len, __u8 *out,
		    struct ref_verdict *v)
{
	__u16 proto;

	start(frame, len, out, v);
	if (!in->uplink) {
		set(v, XDP_PASS, FP_R_NOT_UPLINK);
		return;
	}
	if (!l2_for_us(frame, len, in->mac, v))
		return;
	proto = be16(frame + 12);
	if (proto == ETHERTYPE_IP4 || proto == ETHERTYPE_IP6) {
		judge_ip(t, in, frame, len, out, v);
		return;
	}
	/* Tagged frames are not IP on an untagged uplink. */
	if (!in->nvlans || !is_tpid(proto)) {
		set(v, XDP_PASS, FP_R_NOT_IP);
		return;
	}
	judge_tagged(t, in, frame, len, out, v);
	if (v->vlan >= 0)
		v->vclass = vclass_of(v->reason);
}
