// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ExpressRoute-style fast path: frames arriving from the circuit on an
 * uplink are routed straight into the destination VM's port (tap or veth),
 * bypassing the gateway. Whatever this program cannot or must not handle
 * goes on to the gateway unchanged; the verdict table is in DESIGN.md.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "../maps/fastpath.h"
#include "maps.bpf.h"
#include "parsing.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct pkt {
	struct xdp_md *ctx;
	struct ethhdr *eth;
	struct iphdr *ip4; /* exactly one of ip4 / ip6 is set */
	struct ipv6hdr *ip6;
	__u32 l3_len; /* length the IP header claims */
	__u64 bytes; /* frame length, for the counters */
	struct fp_probe *probe; /* set for an `explain` probe: not counted */
	__u32 out_ifindex; /* redirect target once forward() set one up */
	struct fp_connstat *conn; /* the VNet's connection on this circuit */
	struct fp_vlanstat *vstat; /* a tagged frame's circuit */
	__u32 tags; /* bytes of VLAN tags after the MACs: 0, 4 or 8 */
	/*
	 * Where forward() writes the MACs: eth, or for a tagged frame the
	 * place they take once its tags are popped (pop_tags).
	 */
	struct ethhdr *l2;
	/*
	 * Where the upper-layer header starts in the frame, once the IP
	 * checks found it: an offset, not a pointer, so that it is a plain
	 * number to the verifier on every path it lives through.
	 */
	__u32 l4off;
	__u8 l4proto; /* and its protocol (IPv6: after the extensions) */
};

/*
 * An `explain` probe (loader/probe.c) carries struct fp_probe in the
 * frame's metadata: the program writes its verdict there and counts
 * nothing.
 */
static __always_inline struct fp_probe *probe_of(const struct xdp_md *ctx)
{
	struct fp_probe *meta = (void *)(long)ctx->data_meta;

	if ((void *)(meta + 1) <= (void *)(long)ctx->data &&
	    meta->magic == FP_EXPLAIN_MAGIC)
		return meta;
	return NULL;
}

/* Each entry point's packet state, before any header is read. */
static __always_inline struct pkt pkt_init(struct xdp_md *ctx)
{
	struct pkt p = { .ctx = ctx, .probe = probe_of(ctx) };

	p.bytes = ctx->data_end - ctx->data;
	return p;
}

/*
 * Handlers return a reason and an action in one word and the entry point
 * counts once (the xdp-filter manner), so the counting code, the capture
 * check and the probe write-back are emitted once, not at every exit.
 */
#define VERDICT(reason, action) ((__u32)(reason) << 8 | (__u32)(action))

/*
 * One record into the fp_capture ring: the frame as it leaves, after any
 * rewrite. Not inlined: only the check whether a capture runs belongs on
 * the path of every packet. why is the reason, and the program (enum
 * fp_cap_prog) shifted by CAP_PROG_SHIFT: a call takes five arguments.
 */
#define CAP_PROG_SHIFT 8

static __noinline int capture(struct xdp_md *ctx, struct fp_capctl *cap,
			      __u32 why, int action, __u32 out_ifindex)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 reason = why & ((1U << CAP_PROG_SHIFT) - 1);
	__u32 class = fp_verdict_class(reason, action == XDP_DROP);
	__u32 len = data_end - data;
	struct fp_cap_rec *rec;
	__u64 snap;

	/* A reader that went away without switching off stops sampling. */
	if (!(cap->mask & (1U << class)) ||
	    bpf_ktime_get_ns() >= cap->deadline_ns)
		return 0;
	rec = bpf_ringbuf_reserve(&fp_capture, sizeof(*rec), 0);
	if (!rec) {
		__sync_fetch_and_add(&cap->lost, 1);
		return 0;
	}
	snap = cap->snaplen < len ? cap->snaplen : len;
	if (snap > FP_CAP_SNAPLEN_MAX)
		snap = FP_CAP_SNAPLEN_MAX;
	/*
	 * clang copies a clamped value through 32-bit shifts that lose its
	 * bounds: test again the very register the helper gets.
	 */
	asm volatile("" : "+r"(snap));
	if (snap < 1 || snap > FP_CAP_SNAPLEN_MAX ||
	    bpf_xdp_load_bytes(ctx, 0, rec->data, snap))
		snap = 0;
	rec->ts_ns = bpf_ktime_get_ns();
	rec->ifindex = ctx->ingress_ifindex;
	rec->out_ifindex = action == XDP_REDIRECT ? out_ifindex : 0;
	rec->len = len;
	rec->action = action;
	rec->cap_len = snap;
	rec->class = class;
	rec->reason = reason;
	rec->prog = why >> CAP_PROG_SHIFT;
	rec->pad[0] = rec->pad[1] = rec->pad[2] = 0;
	bpf_ringbuf_submit(rec, 0);
	return 0;
}

static __always_inline void count(struct fp_counter *c, __u64 bytes)
{
	/* per-CPU slot: no other writer, no atomics needed */
	c->packets++;
	c->bytes += bytes;
}

/* A tagged frame's verdict in its circuit's counters, by class. */
static __always_inline void count_vlan(struct fp_vlanstat *vs, __u32 reason,
				       int action, __u64 bytes)
{
	__u32 class = fp_verdict_class(reason, action == XDP_DROP);

	count(class == FP_CAP_FAST    ? &vs->fast :
	      class == FP_CAP_GATEWAY ? &vs->gateway :
					&vs->other,
	      bytes);
}

/*
 * The one exit: every verdict is counted here, and only here, in the
 * counters of the program that saw it (stats: fp_stats, fp_rstats; prog
 * names it in the capture records).
 */
static __always_inline int account_to(struct pkt *p, void *stats,
				      enum fp_cap_prog prog, __u32 reason,
				      int action)
{
	struct fp_counter *c;
	struct fp_capctl *cap;
	__u32 zero = 0;

	if (p->probe) {
		p->probe->reason = reason;
		return action;
	}
	c = bpf_map_lookup_elem(stats, &reason);
	if (c)
		count(c, p->bytes);
	if (p->conn)
		count(reason == FP_R_FASTPATH ? &p->conn->fast :
						&p->conn->gateway,
		      p->bytes);
	if (p->vstat)
		count_vlan(p->vstat, reason, action, p->bytes);
	/* With no capture running: one inlined array lookup and a branch. */
	cap = bpf_map_lookup_elem(&fp_capctl, &zero);
	if (cap && cap->deadline_ns)
		capture(p->ctx, cap, reason | (__u32)prog << CAP_PROG_SHIFT,
			action, p->out_ifindex);
	return action;
}

static __always_inline int account(struct pkt *p, __u32 reason, int action)
{
	return account_to(p, &fp_stats, FP_CAP_PROG_UPLINK, reason, action);
}

/*
 * Uplinks and ports of ifindex < FP_DEV_SLOTS are array slots (an inlined
 * read); the registry's hashes serve the rest.
 */
static __always_inline const struct fp_uplink *uplink_of(__u32 ifindex)
{
	const struct fp_uplink *up;

	if (ifindex >= FP_DEV_SLOTS)
		return bpf_map_lookup_elem(&fp_uplinks, &ifindex);
	up = bpf_map_lookup_elem(&fp_upv, &ifindex);
	return up && (up->flags & FP_UPLINK_F_ON) ? up : NULL;
}

static __always_inline const struct fp_port *port_of(__u32 ifindex)
{
	const struct fp_port *port;

	if (ifindex >= FP_DEV_SLOTS)
		return bpf_map_lookup_elem(&fp_ports, &ifindex);
	port = bpf_map_lookup_elem(&fp_portv, &ifindex);
	return port && port->mtu ? port : NULL;
}

static __always_inline void decrement_ttl4(struct iphdr *ip)
{
	__u16 *word = (__u16 *)&ip->ttl; /* ttl and protocol */
	__u16 old = *word;

	ip->ttl--;
	ip->check = csum_replace16(ip->check, old, *word);
}

static __always_inline void decrement_ttl(struct iphdr *ip4,
					  struct ipv6hdr *ip6)
{
	if (ip4)
		decrement_ttl4(ip4);
	else if (ip6)
		ip6->hop_limit--;
}

/* A routed frame's rewrite: to dmac, from port's MAC, one hop less. */
static __always_inline void rewrite(struct ethhdr *l2, struct iphdr *ip4,
				    struct ipv6hdr *ip6, const __u8 *dmac,
				    const struct fp_port *port)
{
	mac_copy(l2->h_dest, dmac);
	mac_copy(l2->h_source, port->mac);
	decrement_ttl(ip4, ip6);
}

/*
 * Sets up the redirect of an l3_len-byte packet out of port ifindex to
 * *dmac (NULL: the port's peer): FP_R_FASTPATH with *port and *dmac
 * what the rewrite needs, else the reason it cannot go. Done before the
 * frame is touched: if the port has left the devmap the frame must
 * reach the gateway unmodified.
 */
static __always_inline __u32 tx_setup(__u32 ifindex, __u32 l3_len,
				      const struct fp_port **port,
				      const __u8 **dmac)
{
	long r;

	*port = port_of(ifindex);
	if (!*port)
		return FP_R_MISS;
	if (l3_len > (*port)->mtu)
		return FP_R_TOO_BIG;
	if (!*dmac)
		*dmac = (*port)->peer_mac;
	if (mac_is_zero(*dmac))
		return FP_R_MISS;
	if (ifindex < FP_DEV_SLOTS) {
		r = bpf_redirect_map(&fp_txv, ifindex, 0);
		/*
		 * Two calls, never one: merged, the call site would see two
		 * maps, and the verifier then emits the generic helper, an
		 * indirect call through the map's ops (8-10 ns a packet
		 * here), instead of a direct call to the devmap's own.
		 */
		asm volatile("" : "+r"(r));
	} else {
		r = bpf_redirect_map(&fp_tx, ifindex, 0);
	}
	return r == XDP_REDIRECT ? FP_R_FASTPATH : FP_R_REDIRECT_ERR;
}

/*
 * Send the frame out of port ifindex as a router would. Returns
 * FP_R_FASTPATH when the redirect is set up, else the reason it is not.
 */
static __always_inline __u32 forward(struct pkt *p, __u32 ifindex,
				     const __u8 *dmac)
{
	const struct fp_port *port;
	__u32 r = tx_setup(ifindex, p->l3_len, &port, &dmac);

	if (r != FP_R_FASTPATH)
		return r;
	if (p->probe)
		p->probe->ifindex = ifindex;
	p->out_ifindex = ifindex;
	rewrite(p->l2, p->ip4, p->ip6, dmac, port);
	return FP_R_FASTPATH;
}

/* The gateway verdict: pass to the stack, or redirect to the gateway port. */
static __always_inline __u32 to_gateway(struct pkt *p,
					const struct fp_uplink *up,
					__u32 reason)
{
	/* capture sees a gateway frame with its tags: MACs in place. */
	p->l2 = p->eth;
	if (up->gw_ifindex && forward(p, up->gw_ifindex, NULL) == FP_R_FASTPATH)
		return VERDICT(reason, XDP_REDIRECT);
	return VERDICT(reason, XDP_PASS);
}

static __always_inline __u32 popcount64(__u64 x)
{
	x -= (x >> 1) & 0x5555555555555555ULL;
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (__u32)((x * 0x0101010101010101ULL) >> 56);
}

/*
 * A compressed last ply (maps/fastpath.h): the run holding slot s is the
 * number of run starts up to and including s, less one; the header has
 * the count before s's bitmap word.
 */
static __always_inline __u32 cnode4(__u32 node, __u32 s)
{
	__u32 key = node, w = s >> 6, run;
	__u64 *hdr, *bits, *res;
	__u64 mask = ~0ULL >> (63 - (s & 63));

	hdr = bpf_map_lookup_elem(&fp_cpool4, &key);
	key = node + 1 + w;
	bits = bpf_map_lookup_elem(&fp_cpool4, &key);
	if (!hdr || !bits)
		return 0;
	run = ((__u32)(*hdr >> (8 * w)) & 0xff) + popcount64(*bits & mask) - 1;
	key = node + FP_CNODE_HDR + (run >> 2);
	res = bpf_map_lookup_elem(&fp_cpool4, &key);
	if (!res)
		return 0;
	return (__u32)(*res >> (16 * (run & 3))) & FP_LEAF_NH_MASK;
}

/*
 * The compiled tries (maps/fastpath.h): the result index of the longest
 * entry covering an address, 0 for none. IPv4 is 16-8-8: at most three
 * inlined array reads, or two and a compressed last ply's (one for its
 * index, three in the node).
 */
static __always_inline __u32 walk4(__be32 addr)
{
	const __u8 *a = (const __u8 *)&addr;
	__u32 key = (__u32)a[0] << 8 | a[1];
	__u32 *leaf = bpf_map_lookup_elem(&fp_trie4, &key), *cidx;

	if (!leaf)
		return 0;
	if (*leaf & FP_LEAF_PLY) {
		key = (*leaf & FP_LEAF_PLY_MASK) << 8 | a[2];
		leaf = bpf_map_lookup_elem(&fp_trie4, &key);
		if (!leaf)
			return 0;
		if (*leaf & FP_LEAF_PLY) {
			key = *leaf & FP_LEAF_PLY_MASK;
			cidx = bpf_map_lookup_elem(&fp_cidx4, &key);
			if (cidx && *cidx)
				return cnode4(*cidx, a[3]);
			key = key << 8 | a[3];
			leaf = bpf_map_lookup_elem(&fp_trie4, &key);
			if (!leaf || *leaf & FP_LEAF_PLY)
				return 0;
		}
	}
	return *leaf & FP_LEAF_NH_MASK;
}

/*
 * IPv6: a 16-bit root and 8-bit plies, down to the longest prefix below
 * /128 the table has (a /64 is seven reads); host routes are found by
 * exact match in fp_hosts6 first, once it was ever written. The steps are
 * spelled out: clang will not unroll a loop whose every step may leave
 * it, and an unrolled walk reads the address at fixed offsets.
 */
#define STEP6(i)                                             \
	do {                                                 \
		if (!(v & FP_LEAF_PLY))                      \
			goto out;                            \
		key = (v & FP_LEAF_PLY_MASK) << 8 | a[i];    \
		leaf = bpf_map_lookup_elem(&fp_trie6, &key); \
		if (!leaf)                                   \
			return 0;                            \
		v = *leaf;                                   \
	} while (0)

static __always_inline __u32 walk6(const __u8 *a)
{
	__u32 key = (__u32)a[0] << 8 | a[1], v;
	__u32 *leaf = bpf_map_lookup_elem(&fp_trie6, &key);

	if (!leaf)
		return 0;
	v = *leaf;
	STEP6(2);
	STEP6(3);
	STEP6(4);
	STEP6(5);
	STEP6(6);
	STEP6(7);
	STEP6(8);
	STEP6(9);
	STEP6(10);
	STEP6(11);
	STEP6(12);
	STEP6(13);
	STEP6(14);
	STEP6(15);
out:
	return v & FP_LEAF_PLY ? 0 : v & FP_LEAF_NH_MASK;
}

/* The entry a result index names; NULL for none (a miss). */
static __always_inline const struct fp_route *result(__u32 nh)
{
	const struct fp_nh *r = nh ? bpf_map_lookup_elem(&fp_nh, &nh) : NULL;

	return r ? &r->rt : NULL;
}

static __always_inline const struct fp_route *lookup4(__be32 addr)
{
	return result(walk4(addr));
}

static __always_inline const struct fp_route *
lookup6(const struct in6_addr *addr)
{
	__u32 key = FP_PRESENT_HOSTS6, *present;
	const struct fp_route *rt;

	present = bpf_map_lookup_elem(&fp_present, &key);
	if (present && *present) {
		rt = bpf_map_lookup_elem(&fp_hosts6, addr);
		if (rt)
			return rt;
	}
	return result(walk6(addr->in6_u.u6_addr8));
}

/*
 * Inside the model, an entry of a VNet is fast on this circuit only while
 * a connection links them with fastpath on for the packet's family, and
 * only if the entry holds a place in the circuit's IP budget.
 */
static __always_inline __u32 connection(__u32 flag, const struct fp_uplink *up,
					const struct fp_route *nh,
					const struct fp_conn *conn)
{
	if (!conn || !(conn->flags & flag))
		return FP_R_CONN_OFF;
	if (!(nh->circuits & (1U << (up->circuit - 1))))
		return FP_R_OVER_BUDGET;
	return FP_R_FASTPATH;
}

/*
 * The exclusion classes ignored for a VNet on this circuit: the profile's,
 * except that a VNet with a connection of its own here is not reached over
 * a peering (the spoke that links the circuit directly: its peering
 * exclusion holds only where it rides on a hub), and Private Link is fast
 * only in the VNet the circuit connects, never in a spoke reached through
 * its hub (About ExpressRoute FastPath).
 */
static __always_inline __u32 xallowed(const struct fp_uplink *up,
				      const struct fp_conn *conn)
{
	__u32 allow = up->xallow;

	if (conn && (conn->flags & FP_CONN_F_LINKED)) {
		if (conn->flags & FP_CONN_F_PEERED)
			allow &= ~(1U << FP_CLASS_PRIVATE_LINK);
		else
			allow |= 1U << FP_CLASS_PEERING;
	}
	return allow;
}

/*
 * What entry nh is worth on uplink up, short of its port: FP_R_FASTPATH
 * to go on to it, else the reason not (flag: FP_CONN_F_FAST4 or _FAST6,
 * the packet's family). *idx: the connection's index when the model
 * holds the entry, else FP_NO_CONN.
 */
#define FP_NO_CONN ((__u32)-1)

static __always_inline __u32 judge(const struct fp_uplink *up,
				   const struct fp_route *nh, __u32 flag,
				   __u32 *idx)
{
	const struct fp_conn *conn = NULL;

	*idx = FP_NO_CONN;
	/* An on-prem destination is the return path's: here, no entry. */
	if (!nh || (nh->flags & FP_ROUTE_F_ONPREM))
		return FP_R_MISS;
	if (up->circuit && up->circuit <= FP_MAX_CIRCUITS && nh->vnet &&
	    nh->vnet < FP_MAX_VNETS) {
		*idx = FP_CONN_INDEX(nh->vnet, up->circuit);
		conn = bpf_map_lookup_elem(&fp_conns, idx);
	}
	/*
	 * An exclusion wins over any route, whatever the prefix lengths,
	 * unless the circuit accelerates its class for this VNet.
	 */
	if (nh->xclasses & ~xallowed(up, conn))
		return FP_R_EXCLUDED;
	if (*idx != FP_NO_CONN && nh->ifindex)
		return connection(flag, up, nh, conn);
	return FP_R_FASTPATH;
}

/* FP_R_FASTPATH with the redirect set up, or why not. */
static __always_inline __u32 decide(struct pkt *p, const struct fp_uplink *up,
				    const struct fp_route *nh)
{
	__u32 idx, r;

	r = judge(up, nh, p->ip6 ? FP_CONN_F_FAST6 : FP_CONN_F_FAST4, &idx);
	if (idx != FP_NO_CONN)
		p->conn = bpf_map_lookup_elem(&fp_connstat, &idx);
	if (r != FP_R_FASTPATH)
		return r;
	return forward(p, nh->ifindex, nh->dmac);
}

static __always_inline __u32 route(struct pkt *p, const struct fp_uplink *up,
				   const struct fp_route *rt)
{
	__u32 r = decide(p, up, rt);

	if (r == FP_R_FASTPATH)
		return VERDICT(r, XDP_REDIRECT);
	if (r == FP_R_TOO_BIG)
		return VERDICT(r, XDP_PASS);
	return to_gateway(p, up, r);
}

/*
 * Whether the source lookups could find a VM's own address: fp_srcfilt
 * has the bit of the source's block set only when none lies there. One
 * inlined array lookup in place of a trie walk.
 */
static __always_inline int src_maybe_ours(__u32 word, __u32 bit)
{
	__u64 *w = bpf_map_lookup_elem(&fp_srcfilt, &word);

	return !w || !(*w & (1ULL << (bit & 63)));
}

/*
 * A VM's own address never arrives from the circuit: a source whose entry
 * is a host entry on a port (FP_ROUTE_F_OWN) or lies in a VNet is
 * spoofed. A wider route through a port (a default route, an NVA's /8)
 * is a path, not an address: on-prem sources inside it are not.
 */
static __always_inline int own_entry(const struct fp_route *rt)
{
	return rt && ((rt->flags & FP_ROUTE_F_OWN) || rt->vnet);
}

/* The VNet address space holding the address (fp_vnets4/6), or NULL. */
static __always_inline const struct fp_vnet *space4(__be32 addr)
{
	struct fp_lpm4 key = { .prefixlen = 32, .addr = addr };

	return bpf_map_lookup_elem(&fp_vnets4, &key);
}

static __always_inline const struct fp_vnet *space6(const struct in6_addr *a)
{
	struct fp_lpm6 key = { .prefixlen = 128 };

	__builtin_memcpy(key.addr, a->in6_u.u6_addr8, 16);
	return bpf_map_lookup_elem(&fp_vnets6, &key);
}

/*
 * The entry covering the source answers for hosts and VNet entries; a
 * VNet's address space with no VNet entry covering the source (unrouted,
 * or only under a wider route) needs the spaces themselves. Both only in
 * a block where an own address lies.
 */
static __always_inline int spoofed4(const struct iphdr *ip)
{
	__u32 b = fp_srcfilt_block4((const __u8 *)&ip->saddr);

	if (!src_maybe_ours(FP_SRCFILT_V4 + b / 64, b))
		return 0;
	if (own_entry(lookup4(ip->saddr)))
		return 1;
	return space4(ip->saddr) != NULL;
}

static __always_inline int spoofed6(const struct ipv6hdr *ip6)
{
	__u32 b = fp_srcfilt_bucket6(ip6->saddr.in6_u.u6_addr8);

	if (!src_maybe_ours(FP_SRCFILT_V6 + b / 64, b))
		return 0;
	if (own_entry(lookup6(&ip6->saddr)))
		return 1;
	return space6(&ip6->saddr) != NULL;
}

/*
 * No router forwards from a multicast, loopback (RFC 1122 3.2.1.3) or
 * class E source; 255.255.255.255 is class E here too.
 */
static __always_inline int bad_source4(const struct iphdr *ip)
{
	return (ip->saddr & bpf_htonl(0xff000000)) == bpf_htonl(0x7f000000) ||
	       (ip->saddr & bpf_htonl(0xe0000000)) == bpf_htonl(0xe0000000);
}

/* Multicast or broadcast, by MAC or by address: the stack's. */
static __always_inline int group_dest4(const struct ethhdr *eth,
				       const struct iphdr *ip)
{
	return mac_is_group(eth->h_dest) ||
	       (ip->daddr & bpf_htonl(0xf0000000)) == bpf_htonl(0xe0000000) ||
	       ip->daddr == 0xffffffff;
}

/* A multicast or loopback (::1) source. */
static __always_inline int bad_source6(const struct ipv6hdr *ip6)
{
	const struct in6_addr *a = &ip6->saddr;

	return a->in6_u.u6_addr8[0] == 0xff ||
	       (!(a->in6_u.u6_addr32[0] | a->in6_u.u6_addr32[1] |
		  a->in6_u.u6_addr32[2]) &&
		a->in6_u.u6_addr32[3] == bpf_htonl(1));
}

static __always_inline int group_dest6(const struct ethhdr *eth,
				       const struct ipv6hdr *ip6)
{
	return mac_is_group(eth->h_dest) ||
	       ip6->daddr.in6_u.u6_addr8[0] == 0xff;
}

/*
 * The checks every IPv4 packet passes before any lookup, whichever way it
 * goes: 0 to go on (p->ip4 and p->l4off set), else the verdict.
 */
static __always_inline __u32 screen_ipv4(struct pkt *p, struct cursor *c)
{
	struct iphdr *ip;
	__u32 avail = c->end - c->pos;

	ip = cursor_pull_hdr(c, struct iphdr);
	if (!ip || ip->version != 4 || ip->ihl < 5)
		return VERDICT(FP_R_MALFORMED, XDP_DROP);
	p->ip4 = ip;
	p->l3_len = bpf_ntohs(ip->tot_len);
	/* Shorter than the frame is fine: Ethernet pads small packets. */
	if (p->l3_len < ip->ihl * 4U || p->l3_len > avail)
		return VERDICT(FP_R_MALFORMED, XDP_DROP);
	if (bad_source4(ip))
		return VERDICT(FP_R_BAD_SOURCE, XDP_DROP);
	if (ip->ihl != 5)
		return VERDICT(FP_R_IP_OPTIONS, XDP_PASS);
	if (group_dest4(p->eth, ip))
		return VERDICT(FP_R_MULTICAST, XDP_PASS);
	if (ip->ttl <= 1)
		return VERDICT(FP_R_TTL_EXPIRED, XDP_PASS);
	p->l4off = (__u32)(c->pos - (void *)(long)p->ctx->data);
	p->l4proto = ip->protocol;
	return 0;
}

static __always_inline __u32 handle_ipv4(struct pkt *p, struct cursor *c,
					 const struct fp_uplink *up)
{
	__u32 v = screen_ipv4(p, c);
	struct iphdr *ip = p->ip4;

	if (v || !ip)
		return v;
	if (!(up->flags & FP_UPLINK_F_ALLOW_SPOOFED) && spoofed4(ip))
		return VERDICT(FP_R_SPOOFED, XDP_DROP);
	return route(p, up, lookup4(ip->daddr));
}

enum { EXT_DONE, EXT_PASS, EXT_TRUNCATED };

/* The extension headers ipv6_skip_ext knows (and the ones it passes). */
static __always_inline int ext_header6(__u8 nexthdr)
{
	switch (nexthdr) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_DSTOPTS:
	case IPPROTO_MH:
	case IPPROTO_AH:
	case IPPROTO_FRAGMENT:
		return 1;
	}
	return 0;
}

/* Extension headers walked to find the upper layer; beyond that, pass. */
#define IPV6_EXT_MAX 6

/*
 * Steps over IPv6 extension headers to the upper-layer header, leaving
 * *nexthdr at its protocol. The fast path routes on the fixed header's
 * destination whatever the chain holds; the walk only exists to spot ND
 * behind extensions, a late hop-by-hop header, or a runaway chain.
 */
static __always_inline int ipv6_skip_ext(struct cursor *c, __u8 *nexthdr)
{
#pragma unroll
	for (int i = 0; i < IPV6_EXT_MAX; i++) {
		struct ipv6_opt_hdr *h;
		__u32 len;

		switch (*nexthdr) {
		case IPPROTO_HOPOPTS:
			/* Only valid first (RFC 8200 4.1): the kernel judges. */
			return EXT_PASS;
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_MH:
			h = cursor_pull_hdr(c, struct ipv6_opt_hdr);
			if (!h)
				return EXT_TRUNCATED;
			len = (h->hdrlen + 1) * 8 - sizeof(*h);
			break;
		case IPPROTO_AH:
			h = cursor_pull_hdr(c, struct ipv6_opt_hdr);
			if (!h)
				return EXT_TRUNCATED;
			len = (h->hdrlen + 2) * 4 - sizeof(*h);
			break;
		case IPPROTO_FRAGMENT: {
			struct frag_hdr *f =
				cursor_pull_hdr(c, struct frag_hdr);

			if (!f)
				return EXT_TRUNCATED;
			*nexthdr = f->nexthdr;
			/*
			 * A later fragment carries no upper-layer header: its
			 * first data byte is no ICMPv6 type.
			 */
			if (f->frag_off & bpf_htons(0xfff8)) {
				*nexthdr = IPPROTO_NONE;
				return EXT_DONE;
			}
			continue;
		}
		default:
			return EXT_DONE;
		}
		if (!cursor_pull(c, len))
			return EXT_TRUNCATED;
		*nexthdr = h->nexthdr;
	}
	return ext_header6(*nexthdr) ? EXT_PASS : EXT_DONE;
}

/* The same for IPv6: 0 to go on (p->ip6 and p->l4off set), else the verdict. */
static __always_inline __u32 screen_ipv6(struct pkt *p, struct cursor *c)
{
	struct ipv6hdr *ip6;
	__u32 avail = c->end - c->pos;
	__u8 nexthdr;
	int ext;

	ip6 = cursor_pull_hdr(c, struct ipv6hdr);
	if (!ip6 || ip6->version != 6)
		return VERDICT(FP_R_MALFORMED, XDP_DROP);
	p->ip6 = ip6;
	p->l3_len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	if (p->l3_len > avail)
		return VERDICT(FP_R_MALFORMED, XDP_DROP);
	if (bad_source6(ip6))
		return VERDICT(FP_R_BAD_SOURCE, XDP_DROP);
	/* Hop-by-hop options must be seen by every router on the path. */
	if (ip6->nexthdr == IPPROTO_HOPOPTS)
		return VERDICT(FP_R_IP_OPTIONS, XDP_PASS);
	if (group_dest6(p->eth, ip6))
		return VERDICT(FP_R_MULTICAST, XDP_PASS);
	nexthdr = ip6->nexthdr;
	ext = ipv6_skip_ext(c, &nexthdr);
	if (ext == EXT_TRUNCATED)
		return VERDICT(FP_R_MALFORMED, XDP_DROP);
	if (ext == EXT_PASS)
		return VERDICT(FP_R_IP_OPTIONS, XDP_PASS);
	/* Extension headers past the payload length (into padding). */
	if ((__u32)(c->pos - (void *)ip6) > p->l3_len)
		return VERDICT(FP_R_MALFORMED, XDP_DROP);
	p->l4off = (__u32)(c->pos - (void *)(long)p->ctx->data);
	p->l4proto = nexthdr;
	/*
	 * Neighbour Discovery (RFC 4861 types 133-137) must arrive with hop
	 * limit 255, so it is never forwarded: the host answers or drops it.
	 */
	if (nexthdr == IPPROTO_ICMPV6) {
		__u8 *type = cursor_pull(c, 1);

		if (type && *type >= 133 && *type <= 137)
			return VERDICT(FP_R_NOT_IP, XDP_PASS);
	}
	if (ip6->hop_limit <= 1)
		return VERDICT(FP_R_TTL_EXPIRED, XDP_PASS);
	return 0;
}

static __always_inline __u32 handle_ipv6(struct pkt *p, struct cursor *c,
					 const struct fp_uplink *up)
{
	__u32 v = screen_ipv6(p, c);
	struct ipv6hdr *ip6 = p->ip6;

	if (v || !ip6)
		return v;
	if (!(up->flags & FP_UPLINK_F_ALLOW_SPOOFED) && spoofed6(ip6))
		return VERDICT(FP_R_SPOOFED, XDP_DROP);
	return route(p, up, lookup6(&ip6->daddr));
}

/* Entry vid of fp_vids table `table` (maps/fastpath.h); 0 for none. */
static __always_inline __u32 vid_entry(__u32 table, __u32 vid)
{
	__u32 key = table * FP_VID_TABLE_WORDS + vid / 4;
	__u64 *w = bpf_map_lookup_elem(&fp_vids, &key);

	return w ? (__u32)(*w >> (16 * (vid & 3))) & 0xffff : 0;
}

/*
 * The circuit a trunk's tagged frame names (maps/fastpath.h), c at its
 * first tag and *proto the EtherType before it: one tag, or an outer
 * tag and an inner 802.1Q one. The priority bits play no part. 0 with
 * *vr the circuit's record, *proto the inner EtherType, *tags the tags'
 * length and c past them; else the verdict.
 */
static __always_inline __u32 circuit_of(struct cursor *c, __u32 trunk,
					__be16 *proto, __u32 *tags,
					const struct fp_vlan **vr)
{
	__be16 outer = *proto;
	const struct vlan_tag *t;
	__u32 vid, rec;

	if (!is_tpid(outer))
		return VERDICT(FP_R_NOT_IP, XDP_PASS);
	t = cursor_pull_hdr(c, struct vlan_tag);
	if (!t)
		return VERDICT(FP_R_MALFORMED, XDP_DROP);
	vid = VLAN_VID(t->tci);
	*proto = t->proto;
	*tags = sizeof(*t);
	if (*proto == bpf_htons(ETH_P_8021Q)) {
		t = cursor_pull_hdr(c, struct vlan_tag);
		if (!t)
			return VERDICT(FP_R_MALFORMED, XDP_DROP);
		/*
		 * An outer VID 0 names no circuit: (0, C) is the single tag
		 * C, not this frame.
		 */
		if (!vid)
			return VERDICT(FP_R_UNKNOWN_VLAN, XDP_PASS);
		/* The S-tag's table of C-tags: table 0, all zero, for none. */
		rec = vid_entry(FP_VIDS_QINQ(trunk), vid);
		vid = VLAN_VID(t->tci);
		*proto = t->proto;
		*tags = 2 * sizeof(*t);
	} else if (outer == bpf_htons(ETH_P_8021AD)) {
		/* An S-tag alone carries no peering. */
		return VERDICT(FP_R_UNKNOWN_VLAN, XDP_PASS);
	} else {
		rec = FP_VIDS_DOT1Q(trunk);
	}
	/* A third tag, or an S-tag inside: no circuit is tagged so. */
	if (is_tpid(*proto))
		return VERDICT(FP_R_UNKNOWN_VLAN, XDP_PASS);
	rec = vid_entry(rec, vid) - 1;
	*vr = bpf_map_lookup_elem(&fp_vlanv, &rec);
	return *vr ? 0 : VERDICT(FP_R_UNKNOWN_VLAN, XDP_PASS);
}

/*
 * A frame on a trunk uplink: its tags name the circuit whose record then
 * serves as the uplink (*up). The tags stay in place until the exit
 * (pop_tags); the MACs go out right before the inner EtherType. 0 with
 * *proto the inner EtherType to go on, else the verdict.
 */
static __always_inline __u32 untag(struct pkt *p, struct cursor *c,
				   const struct fp_uplink **up, __be16 *proto)
{
	const struct fp_vlan *vr;
	__u32 v;

	v = circuit_of(c, FP_UPLINK_TRUNK_NR((*up)->flags), proto, &p->tags,
		       &vr);
	if (v)
		return v;
	p->l2 = c->pos - ETH_HLEN;
	p->vstat = bpf_map_lookup_elem(&fp_vlanstat, &vr->stat);
	*up = &vr->up;
	return 0;
}

static __always_inline __u32 handle(struct pkt *p)
{
	void *data = (void *)(long)p->ctx->data;
	void *data_end = (void *)(long)p->ctx->data_end;
	struct cursor c = { .pos = data, .end = data_end };
	const struct fp_uplink *up = uplink_of(p->ctx->ingress_ifindex);
	__be16 proto;
	__u32 v;

	if (!up)
		return VERDICT(FP_R_NOT_UPLINK, XDP_PASS);
	p->eth = cursor_pull_hdr(&c, struct ethhdr);
	if (!p->eth)
		return VERDICT(FP_R_MALFORMED, XDP_DROP);
	p->l2 = p->eth;
	/* As the stack would: unicast to another MAC is not ours to route. */
	if (!mac_is_group(p->eth->h_dest) &&
	    !mac_equal(p->eth->h_dest, up->mac))
		return VERDICT(FP_R_OTHER_HOST, XDP_PASS);
	proto = p->eth->h_proto;
	if (proto != bpf_htons(ETH_P_IP) && proto != bpf_htons(ETH_P_IPV6)) {
		if (!(up->flags & FP_UPLINK_F_TRUNK))
			return VERDICT(FP_R_NOT_IP, XDP_PASS);
		v = untag(p, &c, &up, &proto);
		if (v)
			return v;
	}
	if (proto == bpf_htons(ETH_P_IP))
		return handle_ipv4(p, &c, up);
	if (proto == bpf_htons(ETH_P_IPV6))
		return handle_ipv6(p, &c, up);
	return VERDICT(FP_R_NOT_IP, XDP_PASS);
}

/*
 * A redirected tagged frame leaves untagged: it starts where its MACs
 * are (p->l2). A fast one's were written there; a gateway one's, at the
 * front for capture to see the tags, move up over the tags first (the
 * six words all read before any is written: the two places overlap).
 */
static __always_inline int pop_tags(struct xdp_md *ctx, __u32 tags, int move)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	mac_word *w = data, a, b, c, d, e, f;

	if (tags != 8)
		tags = 4;
	if (!move)
		return bpf_xdp_adjust_head(ctx, tags);
	if (data + 2 * ETH_ALEN + 8 > data_end)
		return -1;
	a = w[0], b = w[1], c = w[2], d = w[3], e = w[4], f = w[5];
	if (tags == 8)
		w[4] = a, w[5] = b, w[6] = c, w[7] = d, w[8] = e, w[9] = f;
	else
		w[2] = a, w[3] = b, w[4] = c, w[5] = d, w[6] = e, w[7] = f;
	return bpf_xdp_adjust_head(ctx, tags);
}

/*
 * The lane: the frame the fast path exists for, judged first in straight
 * code that keeps no packet state in memory. A unicast IPv4 or IPv6
 * frame to this uplink's MAC, untagged or tagged for one of a trunk's
 * circuits (which then stands in for the uplink, as in handle()), with
 * no options or extension headers, hop limit to spare, a source no VM
 * could own (fp_srcfilt), no probe in its metadata and no capture
 * running: the lane looks its destination up once and gives route()'s
 * verdict (to the port, the gateway's, too big) with forward()'s
 * rewrite, the exit's pop and account()'s counters. Anything else, or
 * any doubt, is LANE_NO before the lookup, and handle() judges the
 * frame from its first byte; fuzz_diff holds both to the reference
 * model. Program time in tier 2, IPv4 64 bytes: 51-52 ns through
 * handle(), 47 through the lane.
 */
#define LANE_NO (-1)

/* An IPv4 packet with nothing to set it apart; *l3 its length. */
static __always_inline int lane_plain4(const struct ethhdr *eth,
				       const struct iphdr *ip, void *end,
				       __u32 *l3)
{
	if ((void *)(ip + 1) > end || ip->version != 4 || ip->ihl != 5 ||
	    ip->ttl <= 1)
		return 0;
	*l3 = bpf_ntohs(ip->tot_len);
	return *l3 >= sizeof(*ip) && *l3 <= end - (void *)ip &&
	       !bad_source4(ip) && !group_dest4(eth, ip);
}

/* The same for IPv6: an upper layer right away, no ND to spot. */
static __always_inline int lane_plain6(const struct ethhdr *eth,
				       const struct ipv6hdr *ip6, void *end,
				       __u32 *l3)
{
	if ((void *)(ip6 + 1) > end || ip6->version != 6 || ip6->hop_limit <= 1)
		return 0;
	if (ext_header6(ip6->nexthdr) || ip6->nexthdr == IPPROTO_ICMPV6)
		return 0;
	*l3 = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	return *l3 <= end - (void *)ip6 && !bad_source6(ip6) &&
	       !group_dest6(eth, ip6);
}

/* No capture runs: the lanes leave a frame to be captured to the handlers. */
static __always_inline int capture_off(void)
{
	__u32 zero = 0;
	const struct fp_capctl *cap = bpf_map_lookup_elem(&fp_capctl, &zero);

	return cap && !cap->deadline_ns;
}

/*
 * A lane's verdict counted as account_to() counts it (a lane never has a
 * probe): in stats (fp_stats, fp_rstats), and in the connection's
 * counters when the model holds the entry (cidx). A tagged frame's
 * circuit counts it too (count_vlan).
 */
static __always_inline void lane_count(void *stats, __u32 reason, __u32 cidx,
				       __u64 bytes)
{
	struct fp_connstat *cs;
	struct fp_counter *c;

	c = bpf_map_lookup_elem(stats, &reason);
	if (c)
		count(c, bytes);
	if (cidx == FP_NO_CONN)
		return;
	cs = bpf_map_lookup_elem(&fp_connstat, &cidx);
	if (cs)
		count(reason == FP_R_FASTPATH ? &cs->fast : &cs->gateway,
		      bytes);
}

static __always_inline int lane(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct cursor c = { .pos = data, .end = end };
	const struct fp_port *port, *out = NULL;
	struct fp_vlanstat *vstat = NULL;
	__u32 l3 = 0, idx, flag, b, r, tags = 0;
	const __u64 bytes = end - data;
	const struct fp_uplink *up;
	const struct fp_route *nh;
	struct ipv6hdr *ip6 = NULL;
	struct iphdr *ip4 = NULL;
	const struct fp_vlan *vr;
	struct ethhdr *eth, *l2;
	int act = XDP_PASS, ret;
	const __u8 *dmac;
	__be16 proto;

	eth = cursor_pull_hdr(&c, struct ethhdr);
	if (!eth || ctx->data_meta < ctx->data)
		return LANE_NO;
	up = uplink_of(ctx->ingress_ifindex);
	if (!up || !mac_equal(eth->h_dest, up->mac))
		return LANE_NO;
	l2 = eth;
	proto = eth->h_proto;
	/* A trunk's tagged frame: its circuit stands in for the uplink. */
	if (proto != bpf_htons(ETH_P_IP) && proto != bpf_htons(ETH_P_IPV6)) {
		if (!(up->flags & FP_UPLINK_F_TRUNK) ||
		    circuit_of(&c, FP_UPLINK_TRUNK_NR(up->flags), &proto, &tags,
			       &vr))
			return LANE_NO;
		vstat = bpf_map_lookup_elem(&fp_vlanstat, &vr->stat);
		up = &vr->up;
		l2 = c.pos - ETH_HLEN;
	}
	/* The source's word of the pre-filter (src_maybe_ours), b its bit. */
	if (proto == bpf_htons(ETH_P_IP)) {
		ip4 = c.pos;
		if (!lane_plain4(eth, ip4, end, &l3))
			return LANE_NO;
		b = fp_srcfilt_block4((const __u8 *)&ip4->saddr);
		idx = FP_SRCFILT_V4 + b / 64;
		flag = FP_CONN_F_FAST4;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		ip6 = c.pos;
		if (!lane_plain6(eth, ip6, end, &l3))
			return LANE_NO;
		b = fp_srcfilt_bucket6(ip6->saddr.in6_u.u6_addr8);
		idx = FP_SRCFILT_V6 + b / 64;
		flag = FP_CONN_F_FAST6;
	} else {
		return LANE_NO;
	}
	if (!(up->flags & FP_UPLINK_F_ALLOW_SPOOFED) && src_maybe_ours(idx, b))
		return LANE_NO;
	if (!capture_off())
		return LANE_NO;
	/*
	 * From here on, route() and the exit's counting in straight code.
	 * ip6 is never NULL without ip4, but spilled to the stack the
	 * verifier loses that: without the last arm it rejects the program.
	 */
	nh = ip4 ? lookup4(ip4->daddr) : ip6 ? lookup6(&ip6->daddr) : NULL;
	r = judge(up, nh, flag, &idx);
	if (nh && r == FP_R_FASTPATH) {
		dmac = nh->dmac;
		r = tx_setup(nh->ifindex, l3, &port, &dmac);
		if (r == FP_R_FASTPATH)
			out = port;
	}
	/* A port too small for the packet: the stack sends the ICMP error. */
	if (!out && r != FP_R_TOO_BIG && up->gw_ifindex) {
		dmac = NULL;
		if (tx_setup(up->gw_ifindex, l3, &port, &dmac) == FP_R_FASTPATH)
			out = port;
	}
	ret = act;
	if (out) {
		rewrite(l2, ip4, ip6, dmac, out);
		act = ret = XDP_REDIRECT;
		/*
		 * A tagged frame leaves untagged, from where its MACs were
		 * written. Popping fails only on a frame shorter than the
		 * headers read: as fastpath_xdp's exit.
		 */
		if (tags && pop_tags(ctx, tags, 0)) {
			if (r == FP_R_FASTPATH)
				r = FP_R_MALFORMED, act = ret = XDP_DROP;
			else
				ret = XDP_ABORTED;
		}
	}
	lane_count(&fp_stats, r, idx, bytes);
	if (vstat)
		count_vlan(vstat, r, act, bytes);
	return ret;
}

SEC("xdp")
int fastpath_xdp(struct xdp_md *ctx)
{
	int action = lane(ctx);
	struct pkt p;
	__u32 v;

	if (action != LANE_NO)
		return action;
	p = pkt_init(ctx);
	/*
	 * Keep p in memory: split into registers, every early exit would
	 * set each field the one exit reads (the connection, the output
	 * port) before its branch; 300 of the program's instructions.
	 */
	asm volatile("" : : "r"(&p) : "memory");
	v = handle(&p);
	if (!p.tags || !p.out_ifindex)
		return account(&p, v >> 8, v & 0xff);
	/*
	 * Tagged and redirected: capture sees a fast frame as it leaves,
	 * a gateway one with the tags it came with. Popping fails only on a
	 * frame shorter than the headers already read.
	 */
	if (v >> 8 == FP_R_FASTPATH) {
		/* Popping ends every pointer into the frame, the probe's too. */
		if (p.probe) {
			p.probe->reason = FP_R_FASTPATH;
			return pop_tags(ctx, p.tags, 0) ? XDP_ABORTED :
							  v & 0xff;
		}
		/*
		 * Known NULL here, but the verifier must see it so: the
		 * old pointer went invalid with the pop.
		 */
		*(struct fp_probe *volatile *)&p.probe = NULL;
		if (pop_tags(ctx, p.tags, 0))
			return account(&p, FP_R_MALFORMED, XDP_DROP);
		return account(&p, v >> 8, v & 0xff);
	}
	v = account(&p, v >> 8, v & 0xff);
	return pop_tags(ctx, p.tags, 1) ? XDP_ABORTED : v;
}

/* ---- the return path: VM -> on-prem (fastpath_port) -------------------- */

/*
 * A TCP or UDP checksum left for offload (CHECKSUM_PARTIAL: a veth's or a
 * virtio-net's sender) holds the folded pseudo-header sum, not the
 * checksum, and a redirect carries no offload state: such a frame would
 * leave unfinished. The return path finishes it as the stack's
 * skb_checksum_help would: the one's-complement sum of the segment from
 * its upper-layer header on, the field included (it already holds the
 * pseudo-header's share), complemented into the field. A finished
 * checksum that happens to equal the pseudo-header sum comes out of the
 * same arithmetic as itself, so the test needs no second look.
 */
static __always_inline __u32 fold16(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/*
 * Adds the n bytes at offset *off of the frame to *sum; 0, or -1 past
 * its end. The offset is masked after every step, so each step starts
 * from the same verifier state whatever steps came before: otherwise
 * every combination of steps is a path of its own, and there are
 * thousands.
 */
#define FP_CSUM_OFF_MASK 0x3fff

static __always_inline int csum_step(const struct xdp_md *ctx, __u32 *off,
				     __u32 n, __u32 *sum)
{
	void *end = (void *)(long)ctx->data_end;
	void *pos = (void *)(long)ctx->data + (*off & FP_CSUM_OFF_MASK);
	long r;

	if (pos + n > end)
		return -1;
	r = bpf_csum_diff(NULL, 0, pos, n, *sum);
	if (r < 0)
		return -1;
	*sum = (__u32)r;
	*off = (*off + n) & FP_CSUM_OFF_MASK;
	return 0;
}

#define FP_CSUM_STEPS 18
#define FP_CSUM_MAX_SEG (FP_CSUM_STEPS * 512 + 511)

/*
 * The folded one's-complement sum of len bytes at offset off, or -1 past
 * the end: 512-byte steps (bpf_csum_diff's most), then a binary
 * remainder, then the last 1-3 bytes by hand. Every step is a multiple
 * of 4 bytes, so each starts at an even offset of the segment.
 */
static __always_inline long csum_bytes(const struct xdp_md *ctx, __u32 off,
				       __u32 len)
{
	void *end = (void *)(long)ctx->data_end;
	__u8 tail[2] = { 0, 0 };
	__u32 sum = 0;
	__u8 *pos;
	__u16 t;

	for (int i = 0; i < FP_CSUM_STEPS; i++) {
		if (len < 512)
			break;
		if (csum_step(ctx, &off, 512, &sum))
			return -1;
		len -= 512;
	}
	if ((len & 256 && csum_step(ctx, &off, 256, &sum)) ||
	    (len & 128 && csum_step(ctx, &off, 128, &sum)) ||
	    (len & 64 && csum_step(ctx, &off, 64, &sum)) ||
	    (len & 32 && csum_step(ctx, &off, 32, &sum)) ||
	    (len & 16 && csum_step(ctx, &off, 16, &sum)) ||
	    (len & 8 && csum_step(ctx, &off, 8, &sum)) ||
	    (len & 4 && csum_step(ctx, &off, 4, &sum)))
		return -1;
	pos = (__u8 *)(long)ctx->data + (off & FP_CSUM_OFF_MASK);
	if (len & 2) {
		if (pos + 2 > (__u8 *)end)
			return -1;
		tail[0] = pos[0];
		tail[1] = pos[1];
		pos += 2;
		__builtin_memcpy(&t, tail, 2);
		sum = fold16(sum) + t;
	}
	if (len & 1) {
		if (pos + 1 > (__u8 *)end)
			return -1;
		/* The odd byte is the high half of a zero-padded word. */
		tail[0] = pos[0];
		tail[1] = 0;
		__builtin_memcpy(&t, tail, 2);
		sum = fold16(sum) + t;
	}
	return fold16(sum);
}

/*
 * Finishes the checksum of the TCP or UDP segment at offset l4 of the
 * frame (its IP header right after the MACs; IPv6 when v6) if it waits
 * for offload: 0,
 * or -1 when it waits but cannot be finished here (a segment past the
 * frame's end or longer than FP_CSUM_MAX_SEG; a linear XDP frame is
 * never that long). A global function, verified once on its own and
 * called once, for a frame already on its way out: called on the
 * forwarding path inside the lookups' branches, it multiplied their
 * states (28,000 instructions verified became 470,000).
 */
__noinline int fp_csum_finish(struct xdp_md *ctx, __u32 l4, __u32 proto,
			      __u32 v6)
{
	const __u32 l3 = ETH_HLEN; /* a VM's frames carry no tags */
	void *end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	const __u16 *w;
	__u32 sum = 0, len;
	__u16 *check;
	long seg;

	/* Masked, not compared: the verifier keeps a mask's bounds. */
	l4 &= 0xfff;
	if (l4 < l3)
		return 0;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return 0;
	check = data + l4 + (proto == IPPROTO_TCP ? 16 : 6);
	if ((void *)(check + 1) > end)
		return 0;
	if (v6) {
		const struct ipv6hdr *ip6 = data + l3;

		if ((void *)(ip6 + 1) > end)
			return 0;
		w = (const __u16 *)&ip6->saddr;
#pragma unroll
		for (int i = 0; i < 16; i++)
			sum += w[i];
		len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len) - (l4 - l3);
	} else {
		const struct iphdr *ip = data + l3;

		if ((void *)(ip + 1) > end)
			return 0;
		/* A fragment's checksum was finished before it was cut. */
		if (ip->frag_off & bpf_htons(0x3fff))
			return 0;
		w = (const __u16 *)&ip->saddr;
		sum = w[0] + w[1] + w[2] + w[3];
		len = bpf_ntohs(ip->tot_len) - (l4 - l3);
	}
	sum += bpf_htons(proto) + bpf_htons(len & 0xffff) +
	       bpf_htons(len >> 16);
	if (*check != (__u16)fold16(sum))
		return 0;
	if (len > FP_CSUM_MAX_SEG)
		return -1;
	seg = csum_bytes(ctx, l4, len);
	if (seg < 0)
		return -1;
	sum = ~seg & 0xffff;
	/* UDP sends a computed 0 as 0xffff: 0 means "no checksum". */
	if (!sum && proto == IPPROTO_UDP)
		sum = 0xffff;
	*check = (__u16)sum;
	return 0;
}

/*
 * A VM sends only from its own addresses: those whose entry leads back
 * to its own port (a host or neighbour entry, a route to it, a VNet's
 * entry). An address whose entry is somebody else's (another port's, an
 * on-prem destination) is spoofed. One that no entry names (a shadow
 * names none) goes to the host's stack, whose own rules (rp_filter, a
 * firewall) decide: a port registered before its routes, or a gateway
 * port, loses nothing that way.
 */
static __always_inline __u32 source_check(__u32 port,
					  const struct fp_route *src)
{
	if (src && src->ifindex == port && !(src->flags & FP_ROUTE_F_ONPREM))
		return 0;
	if (src && src->ifindex)
		return VERDICT(FP_R_SPOOFED, XDP_DROP);
	return VERDICT(FP_R_UNKNOWN_SOURCE, XDP_PASS);
}

/*
 * Inside the model, the source's VNet must be connected to the uplink's
 * circuit with fastpath on for the family, as on the way in.
 */
static __always_inline __u32 ret_connection(__u32 flag, __u32 vnet,
					    const struct fp_route *dst)
{
	const struct fp_uplink *up;
	const struct fp_conn *conn;
	__u32 idx;

	if (!vnet || vnet >= FP_MAX_VNETS)
		return FP_R_FASTPATH;
	up = uplink_of(dst->ifindex);
	if (!up || !up->circuit || up->circuit > FP_MAX_CIRCUITS)
		return FP_R_FASTPATH;
	idx = FP_CONN_INDEX(vnet, up->circuit);
	conn = bpf_map_lookup_elem(&fp_conns, &idx);
	if (!conn || !(conn->flags & flag))
		return FP_R_CONN_OFF;
	return FP_R_FASTPATH;
}

/*
 * What entry dst is worth to a frame from VNet vnet, short of the
 * uplink's port (the return path's judge()): FP_R_FASTPATH to go on to
 * it, else the reason the host's stack gets the frame.
 */
static __always_inline __u32 ret_judge(__u32 flag, __u32 vnet,
				       const struct fp_route *dst)
{
	if (!dst || !(dst->flags & FP_ROUTE_F_ONPREM))
		return FP_R_MISS;
	if (mac_is_zero(dst->dmac))
		return FP_R_UNRESOLVED;
	return ret_connection(flag, vnet, dst);
}

/* To the on-prem next hop out of its uplink, or to the host's stack. */
static __always_inline __u32 ret_route(struct pkt *p, __u32 vnet,
				       const struct fp_route *dst)
{
	__u32 r = ret_judge(p->ip6 ? FP_CONN_F_FAST6 : FP_CONN_F_FAST4, vnet,
			    dst);

	if (dst && r == FP_R_FASTPATH)
		r = forward(p, dst->ifindex, dst->dmac);
	return VERDICT(r, r == FP_R_FASTPATH ? XDP_REDIRECT : XDP_PASS);
}

/*
 * A source no entry names, in the model: inside the address space of
 * the VNet behind the port (fp_port.vnet) it is the port's own (its
 * VNet << 16, as fp_port_source answers); inside another VNet's, on a
 * port with a VNet, spoofed. Anything else is the host's stack's to
 * judge.
 */
static __always_inline __u32 space_source(__u32 port,
					  const struct fp_vnet *space)
{
	__u32 vnet = space ? space->id : 0;
	const struct fp_port *rec = vnet ? port_of(port) : NULL;

	if (!rec || !rec->vnet)
		return VERDICT(FP_R_UNKNOWN_SOURCE, XDP_PASS);
	if (rec->vnet != vnet)
		return VERDICT(FP_R_SPOOFED, XDP_DROP);
	return (vnet & 0xffff) << 16;
}

/*
 * The source's judgement (source_check) on the frame (its IP header
 * right after the MACs; IPv6 when v6): a verdict in the low 16 bits, or
 * 0 there and the source's VNet above. gen: fp_fibgen, read before the
 * lookup, when an own address found may be kept in this CPU's
 * fp_srccache (even and not 0), else 0. A global function, verified once
 * on its own: inlined, the paths out of the source's lookup multiplied
 * those through the destination's, and the verifier walked 700,000
 * instructions.
 */
__noinline int fp_port_source(struct xdp_md *ctx, __u32 v6, __u32 gen)
{
	const __u32 l3 = ETH_HLEN; /* a VM's frames carry no tags */
	void *end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	const __u32 port = ctx->ingress_ifindex;
	const struct ipv6hdr *ip6 = data + l3;
	const struct iphdr *ip = data + l3;
	__u32 slot = port % FP_SRCCACHE_SLOTS, v;
	const struct fp_route *src;
	struct fp_srccache *sc;

	/* No entry names the source (source_check's unknown): the model's. */
	if (v6) {
		if ((void *)(ip6 + 1) > end)
			return VERDICT(FP_R_MALFORMED, XDP_DROP);
		src = lookup6(&ip6->saddr);
		if (!src || !src->ifindex)
			return space_source(port, space6(&ip6->saddr));
	} else {
		if ((void *)(ip + 1) > end)
			return VERDICT(FP_R_MALFORMED, XDP_DROP);
		src = lookup4(ip->saddr);
		if (!src || !src->ifindex)
			return space_source(port, space4(ip->saddr));
	}
	v = source_check(port, src);
	if (v)
		return v;
	sc = gen ? bpf_map_lookup_elem(&fp_srccache, &slot) : NULL;
	if (sc && sc->ifindex != port) {
		sc->ifindex = port;
		sc->gen4 = sc->gen6 = 0;
	}
	if (sc && v6 && (void *)(ip6 + 1) <= end) {
		__builtin_memcpy(sc->addr6, &ip6->saddr, sizeof(sc->addr6));
		sc->vnet6 = src->vnet;
		sc->gen6 = gen;
	} else if (sc && (void *)(ip + 1) <= end) {
		sc->addr4 = ip->saddr;
		sc->vnet4 = src->vnet;
		sc->gen4 = gen;
	}
	return (src->vnet & 0xffff) << 16;
}

/*
 * This CPU's fp_srccache entry for the frame's port and the generation
 * it holds under (*gen; 0 when the table is being written or was never
 * written), or NULL when the entry is another port's.
 */
static __always_inline const struct fp_srccache *srccache(__u32 port,
							  __u32 *gen)
{
	__u32 zero = 0, slot = port % FP_SRCCACHE_SLOTS, *g;
	const struct fp_srccache *sc;

	g = bpf_map_lookup_elem(&fp_fibgen, &zero);
	*gen = g ? *(volatile __u32 *)g : 0;
	if (*gen & 1)
		*gen = 0;
	sc = bpf_map_lookup_elem(&fp_srccache, &slot);
	return *gen && sc && sc->ifindex == port ? sc : NULL;
}

/*
 * The source's judgement s (fp_port_source's answer), then the route to
 * the destination (dst: its entry).
 */
static __always_inline __u32 port_route(struct pkt *p, __u32 s,
					const struct fp_route *dst)
{
	return s & 0xffff ? s & 0xffff : ret_route(p, s >> 16, dst);
}

static __always_inline __u32 port_ipv4(struct pkt *p, struct cursor *c)
{
	__u32 v = screen_ipv4(p, c), gen;
	struct iphdr *ip = p->ip4;
	const struct fp_srccache *sc;

	if (v || !ip)
		return v;
	sc = srccache(p->ctx->ingress_ifindex, &gen);
	if (sc && sc->gen4 == gen && sc->addr4 == ip->saddr)
		v = (sc->vnet4 & 0xffff) << 16;
	else
		v = fp_port_source(p->ctx, 0, gen);
	return port_route(p, v, lookup4(ip->daddr));
}

static __always_inline int same_addr6(const __u8 *cached,
				      const struct in6_addr *a)
{
	const __u32 *c = (const __u32 *)cached;

	return c[0] == a->in6_u.u6_addr32[0] && c[1] == a->in6_u.u6_addr32[1] &&
	       c[2] == a->in6_u.u6_addr32[2] && c[3] == a->in6_u.u6_addr32[3];
}

/* Link-local sources never leave the link: the stack's to judge. */
static __always_inline int link_local6(const struct in6_addr *a)
{
	return a->in6_u.u6_addr8[0] == 0xfe &&
	       (a->in6_u.u6_addr8[1] & 0xc0) == 0x80;
}

static __always_inline __u32 port_ipv6(struct pkt *p, struct cursor *c)
{
	__u32 v = screen_ipv6(p, c), gen;
	struct ipv6hdr *ip6 = p->ip6;
	const struct fp_srccache *sc;

	if (v || !ip6)
		return v;
	if (link_local6(&ip6->saddr))
		return VERDICT(FP_R_UNKNOWN_SOURCE, XDP_PASS);
	sc = srccache(p->ctx->ingress_ifindex, &gen);
	if (sc && sc->gen6 == gen && same_addr6(sc->addr6, &ip6->saddr))
		v = (sc->vnet6 & 0xffff) << 16;
	else
		v = fp_port_source(p->ctx, 1, gen);
	return port_route(p, v, lookup6(&ip6->daddr));
}

static __always_inline __u32 handle_port(struct pkt *p)
{
	void *data = (void *)(long)p->ctx->data;
	void *data_end = (void *)(long)p->ctx->data_end;
	struct cursor c = { .pos = data, .end = data_end };
	const struct fp_port *port = port_of(p->ctx->ingress_ifindex);

	if (!port || !(port->flags & FP_PORT_F_RETURN))
		return VERDICT(FP_R_NOT_PORT, XDP_PASS);
	p->eth = cursor_pull_hdr(&c, struct ethhdr);
	if (!p->eth)
		return VERDICT(FP_R_MALFORMED, XDP_DROP);
	p->l2 = p->eth; /* a VM's frames carry no tags */
	/* A VM routes through the host by the port's MAC. */
	if (!mac_is_group(p->eth->h_dest) &&
	    !mac_equal(p->eth->h_dest, port->mac))
		return VERDICT(FP_R_OTHER_HOST, XDP_PASS);
	if (p->eth->h_proto == bpf_htons(ETH_P_IP))
		return port_ipv4(p, &c);
	if (p->eth->h_proto == bpf_htons(ETH_P_IPV6))
		return port_ipv6(p, &c);
	return VERDICT(FP_R_NOT_IP, XDP_PASS);
}

/*
 * The return path's lane, as the uplink's (lane()): a plain frame from
 * the port's VM to the port's MAC, from the source this CPU's
 * fp_srccache last found to be the port's own under the generation the
 * tables have now, no probe, no capture: its destination looked up once
 * and ret_route()'s verdict given (out of the uplink to an on-prem entry
 * whose connection lets it out, else to the stack, with the reason). A
 * source not in the cache (the first frame from it), a checksum that
 * cannot be finished, or any other doubt: LANE_NO, and handle_port()
 * judges the frame from the start.
 */
static __always_inline int port_lane(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 l3 = 0, gen, vnet, flag, proto, r;
	const __u32 ifindex = ctx->ingress_ifindex;
	const struct fp_port *port, *out;
	const struct fp_srccache *sc;
	const struct fp_route *dst;
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6 = NULL;
	struct iphdr *ip4 = NULL;
	const __u8 *dmac;

	if ((void *)(eth + 1) > end || ctx->data_meta < ctx->data)
		return LANE_NO;
	port = port_of(ifindex);
	if (!port || !(port->flags & FP_PORT_F_RETURN) ||
	    !mac_equal(eth->h_dest, port->mac))
		return LANE_NO;
	sc = srccache(ifindex, &gen);
	if (!sc || !capture_off())
		return LANE_NO;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		ip4 = (void *)(eth + 1);
		if (!lane_plain4(eth, ip4, end, &l3) || sc->gen4 != gen ||
		    sc->addr4 != ip4->saddr)
			return LANE_NO;
		vnet = sc->vnet4;
		flag = FP_CONN_F_FAST4;
		proto = ip4->protocol;
		dst = lookup4(ip4->daddr);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		ip6 = (void *)(eth + 1);
		/* A link-local source never enters the cache (port_ipv6). */
		if (!lane_plain6(eth, ip6, end, &l3) || sc->gen6 != gen ||
		    !same_addr6(sc->addr6, &ip6->saddr))
			return LANE_NO;
		vnet = sc->vnet6;
		flag = FP_CONN_F_FAST6;
		proto = ip6->nexthdr;
		dst = lookup6(&ip6->daddr);
	} else {
		return LANE_NO;
	}
	/* From here on, ret_route() and the exit's counting in straight code. */
	r = ret_judge(flag, vnet, dst);
	if (dst && r == FP_R_FASTPATH) {
		dmac = dst->dmac;
		r = tx_setup(dst->ifindex, l3, &out, &dmac);
		if (r == FP_R_FASTPATH) {
			/*
			 * As fastpath_port's: a checksum left for offload is
			 * finished. One that cannot be is the handler's to
			 * drop, the frame as it came.
			 */
			if (fp_csum_finish(ctx,
					   ETH_HLEN + (ip4 ? sizeof(*ip4) :
							     sizeof(*ip6)),
					   proto, !!ip6))
				return LANE_NO;
			rewrite(eth, ip4, ip6, dmac, out);
		}
	}
	lane_count(&fp_rstats, r, FP_NO_CONN, end - data);
	return r == FP_R_FASTPATH ? XDP_REDIRECT : XDP_PASS;
}

/*
 * The return path on a VM port: frames from the VM to on-prem go straight
 * out of the uplink, routed like the host would (MACs, TTL / hop limit);
 * everything else reaches the host's stack as before. The same tables,
 * lookups and forwarding as fastpath_xdp; its own counters (fp_rstats).
 */
SEC("xdp")
int fastpath_port(struct xdp_md *ctx)
{
	int action = port_lane(ctx);
	struct pkt p;
	__u32 v;

	if (action != LANE_NO)
		return action;
	p = pkt_init(ctx);
	asm volatile("" : : "r"(&p) : "memory"); /* as in fastpath_xdp */
	v = handle_port(&p);
	/*
	 * A frame on its way out must be whole: a VM's checksum left for
	 * offload is finished here (the redirect carries no offload state).
	 */
	if ((v & 0xff) == XDP_REDIRECT && p.l4off &&
	    fp_csum_finish(ctx, p.l4off, p.l4proto, !!p.ip6))
		v = VERDICT(FP_R_CSUM_PARTIAL, XDP_DROP);
	return account_to(&p, &fp_rstats, FP_CAP_PROG_PORT, v >> 8, v & 0xff);
}
