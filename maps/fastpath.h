/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The contract between the XDP program and the loader: every struct, enum
 * and map name used on both sides. Include <linux/types.h> (or vmlinux.h)
 * before this header; it includes nothing itself.
 */
#ifndef FASTPATH_MAPS_H
#define FASTPATH_MAPS_H

#define FP_MAPS_CONTRACT 1

/* Map names: pinned as <pin path>/<name>, at most 15 characters. */
#define FP_MAP_UPLINKS "fp_uplinks"
#define FP_MAP_PORTS "fp_ports"
#define FP_MAP_HOSTS4 "fp_hosts4"
#define FP_MAP_HOSTS6 "fp_hosts6"
#define FP_MAP_UPV "fp_upv"
#define FP_MAP_NH "fp_nh"
#define FP_MAP_TRIE4 "fp_trie4"
#define FP_MAP_TRIE6 "fp_trie6"
#define FP_MAP_SRCFILT "fp_srcfilt"
#define FP_MAP_ROUTES4 "fp_routes4"
#define FP_MAP_ROUTES6 "fp_routes6"
#define FP_MAP_EXCL4 "fp_excl4"
#define FP_MAP_EXCL6 "fp_excl6"
#define FP_MAP_STATS "fp_stats"
#define FP_MAP_CAPCTL "fp_capctl"
#define FP_MAP_CAPTURE "fp_capture"
#define FP_MAP_LAYOUT "fp_layout"
#define FP_MAP_NETNS "fp_netns"
#define FP_MAP_CIDX4 "fp_cidx4"
#define FP_MAP_CPOOL4 "fp_cpool4"
#define FP_MAP_VLANS "fp_vlans"
#define FP_MAP_VLANSTAT "fp_vlanstat"
#define FP_MAP_VLANV "fp_vlanv"
#define FP_MAP_VIDS "fp_vids"
#define FP_MAP_RSTATS "fp_rstats"
#define FP_MAP_FIBGEN "fp_fibgen"
#define FP_MAP_SRCCACHE "fp_srccache"

/*
 * fp_layout (array, key 0): the layout version of the pin set, written by
 * the loader when it creates a fresh one. Bump it whenever a pinned map is
 * added, removed or changes type, key, value or capacity: the loader then
 * refuses an older pin set with one line instead of libbpf's "parameter
 * mismatch". Pin sets from before fp_layout existed are layout 1.
 */
#define FP_LAYOUT_VERSION 8

/*
 * fp_netns (array, key 0): the network namespace the pin set serves,
 * written by the loader before any other map of a fresh set is pinned.
 * Interface indexes in the maps mean something in that namespace only,
 * so the loader refuses the set from any other. The cookie
 * (SO_NETNS_COOKIE) is never reused; the nsfs inode number is, but finds
 * the namespace while it lives. All zero: pinned by someone else from
 * this object (ip link ... xdp obj), claimed by the first fastpath.
 */
struct fp_netns {
	__u64 cookie; /* 0 on kernels without SO_NETNS_COOKIE (< 5.14) */
	__u64 ino; /* of /proc/self/ns/net */
	char name[48]; /* -n NAME when it was created, "" without -n */
};

#define FP_PROG_NAME "fastpath_xdp"
/*
 * The return path's program (VM -> on-prem), in the same object and
 * section "xdp" (libbpf 1.1 knows no "xdp/<name>"; `ip link ... xdp obj
 * fastpath.bpf.o program fastpath_port` picks it by name), after
 * fastpath_xdp so that `sec xdp` still means the uplink's. Attached to VM
 * ports by `fastpath port add`; it counts into fp_rstats (indexed by enum
 * fp_reason, like fp_stats).
 */
#define FP_PROG_PORT_NAME "fastpath_port"

/* Capacities; the loader reports a full map by name. */
#define FP_MAX_UPLINKS 64
#define FP_MAX_PORTS 4096
#define FP_MAX_ROUTES 1048576
#define FP_MAX_EXCLUSIONS 65536
#define FP_MAX_VLANS 4096 /* tagged circuits over every trunk uplink */

/*
 * The ExpressRoute model (`fastpath apply`): circuits are numbered
 * 1 .. FP_MAX_CIRCUITS (0 is an uplink outside the model), VNets
 * 1 .. FP_MAX_VNETS - 1 (0 is an entry outside every VNet).
 */
#define FP_MAX_CIRCUITS 16
#define FP_MAX_VNETS 256
#define FP_MAX_VNET_SPACES 65536
#define FP_CONN_SLOTS (FP_MAX_VNETS * FP_MAX_CIRCUITS)
#define FP_CONN_INDEX(vnet, circuit) \
	((__u32)(vnet)*FP_MAX_CIRCUITS + (__u32)(circuit)-1)

/*
 * A frame whose XDP metadata is a struct fp_probe with this magic is a
 * probe from `fastpath explain`: it takes the normal path, is not counted,
 * and the program writes its reason and target port back into the probe.
 */
#define FP_EXPLAIN_MAGIC 0x66707865U /* "fpxe" */

/* Reason codes: one counter slot each, every verdict names one. */
enum fp_reason {
	FP_R_FASTPATH = 0, /* redirected to a VM port */
	FP_R_MISS, /* no route, or route to an unknown port: gateway */
	FP_R_EXCLUDED, /* destination in an exclusion: gateway */
	FP_R_TTL_EXPIRED, /* TTL / hop limit <= 1: pass, kernel answers */
	FP_R_TOO_BIG, /* larger than the port MTU: pass, kernel answers */
	FP_R_NOT_IP, /* ARP, IPv6 ND, LLDP, anything not IP; tagged frames
		      * on an uplink that is no trunk */
	FP_R_MALFORMED, /* truncated or inconsistent header: drop */
	FP_R_NOT_UPLINK, /* arrived on an interface that is no uplink */
	FP_R_IP_OPTIONS, /* IPv4 options or IPv6 hop-by-hop: pass */
	FP_R_MULTICAST, /* multicast or broadcast destination: pass */
	FP_R_REDIRECT_ERR, /* port vanished from the devmap: gateway */
	FP_R_OTHER_HOST, /* unicast to another MAC than the uplink's: pass */
	FP_R_BAD_SOURCE, /* multicast, loopback or class E source: drop */
	FP_R_SPOOFED, /* source is a VM's own address (FP_ROUTE_F_OWN or
		       * a VNet's address space): drop */
	FP_R_CONN_OFF, /* VNet not connected on this circuit, its connection
			* has fastpath off, or its family is not allowed:
			* gateway */
	FP_R_OVER_BUDGET, /* past the circuit's fast-path IP budget: gateway */
	FP_R_UNKNOWN_VLAN, /* on a trunk uplink, tags that name no circuit
			    * (VID 0 or 4095, a third tag, an S-tag
			    * alone): pass, tags intact */
	/* The return path's own (fastpath_port, counted in fp_rstats): */
	FP_R_NOT_PORT, /* not a port with the return path on (unregistered,
			* --no-return, a gateway port): pass, untouched */
	FP_R_UNRESOLVED, /* on-prem next hop's MAC unknown: pass, the host
			  * resolves it */
	FP_R_CSUM_PARTIAL, /* TCP/UDP checksum left to offload (a VM's
			    * CHECKSUM_PARTIAL) that could not be finished
			    * in XDP (past the frame's end): drop */
	FP_R_UNKNOWN_SOURCE, /* source no entry names (none of the port's,
			      * nobody else's): pass, the host's rules decide */
	FP_R_MAX,
};

/* Counter slot; fp_stats is a per-CPU array of these indexed by reason. */
struct fp_counter {
	__u64 packets;
	__u64 bytes;
};

struct fp_probe {
	__u32 magic; /* FP_EXPLAIN_MAGIC */
	__u32 reason; /* out: enum fp_reason */
	__u32 ifindex; /* out: redirect target, 0 if none */
	__u32 pad;
};

/* Origin of a route entry, for `route list`. */
enum fp_origin {
	FP_ORIGIN_STATIC = 0,
	FP_ORIGIN_NEIGHBOUR = 1,
	FP_ORIGIN_ROUTE = 2,
};

/* Exclusion classes (DESIGN.md). */
enum fp_class {
	FP_CLASS_OTHER = 0,
	FP_CLASS_PEERING = 1,
	FP_CLASS_BASIC_LB = 2,
	FP_CLASS_PRIVATE_LINK = 3,
	FP_CLASS_UDR = 4,
	FP_CLASS_MAX,
};

/* fp_uplink.flags */
#define FP_UPLINK_F_ALLOW_SPOOFED 0x1 /* no anti-spoofing on this uplink */
#define FP_UPLINK_F_TRUNK 0x2 /* tagged frames name circuits in fp_vlans */
/* A trunk's number, 0 .. FP_MAX_TRUNKS - 1: its tables in fp_vids. */
#define FP_UPLINK_TRUNK_SHIFT 8
#define FP_UPLINK_TRUNK_MASK 0xff00U
#define FP_UPLINK_TRUNK_NR(flags) \
	(((flags)&FP_UPLINK_TRUNK_MASK) >> FP_UPLINK_TRUNK_SHIFT)
#define FP_UPLINK_F_ON 0x80000000U /* fp_upv: this slot is an uplink */

/* fp_uplinks: key __u32 ifindex. */
struct fp_uplink {
	__u32 gw_ifindex; /* 0: gateway verdict is XDP_PASS */
	__u32 flags; /* FP_UPLINK_F_* */
	__u8 mac[6]; /* the uplink's own MAC: frames to others are passed */
	__u8 circuit; /* 1 .. FP_MAX_CIRCUITS, 0 outside the model */
	__u8 xallow; /* 1 << enum fp_class: exclusion classes the circuit's
		      * profile accelerates (ignores) */
};

/*
 * Trunk uplinks (ExpressRoute Direct ports): a circuit arrives as tagged
 * frames, one 802.1Q tag (Dot1Q: the peering's VLAN) or two (QinQ: an
 * outer 802.1ad or 802.1Q S-tag per circuit, an inner 802.1Q C-tag per
 * peering). The program reads at most two tags, only on an uplink whose
 * flags have FP_UPLINK_F_TRUNK, and routes the inner packet with the
 * circuit (uplink, S-tag, C-tag) names: its model tags, its gateway port.
 * A frame it redirects (to a VM, or to that gateway port) leaves with its
 * tags popped; one it passes keeps them.
 *
 * fp_vlans (hash), the registry: key struct fp_vlan_key, VIDs in host
 * order; a single tag is outer 0, inner VID. Only VIDs 1 .. 4094 are
 * ever written, so a priority tag (VID 0) or VID 4095 finds nothing; two
 * tags whose outer VID is 0 are not looked up (theirs would be the
 * single tag's key). Written by loader/uplink.c, which copies the trunk
 * uplink's MAC and flags into each record, so the record serves in
 * place of the uplink's own.
 */
struct fp_vlan_key {
	__u32 ifindex; /* the trunk uplink */
	__u16 outer; /* S-tag VID, 0 for a single tag */
	__u16 inner; /* C-tag VID (the only tag's, for Dot1Q) */
};

struct fp_vlan {
	struct fp_uplink up; /* gw_ifindex: the circuit's gateway port, 0:
			      * gateway frames pass with their tags */
	__u32 stat; /* its slot in fp_vlanstat, 0 .. FP_MAX_VLANS - 1 */
	__u32 pad;
};

/*
 * What the program reads of them: arrays, whose lookups the verifier
 * inlines (a lookup in fp_vlans, a hash, is a helper call that hashes
 * the key: ~12 ns a tagged frame here).
 *
 * fp_vids (array of __u64, FP_VID_WORDS): tables of 4096 16-bit entries
 * indexed by VID, four to a word (VID v in word v / 4, bits 16 * (v % 4)
 * up). Table 0 is all zero. Trunk uplink number t has two:
 * FP_VIDS_DOT1Q(t), a single tag's VID → its record + 1 (0: none), and
 * FP_VIDS_QINQ(t), an S-tag → the table of its C-tags (0: none, which is
 * table 0), numbered from FP_VIDS_INNER, whose entries are records + 1.
 * A frame's circuit is thus two or three inlined reads, and a VID no
 * circuit has reads a zero.
 *
 * fp_vlanv (array of struct fp_vlan, 2 * FP_MAX_VLANS): the records, two
 * places per circuit, 2 * stat and 2 * stat + 1. A record that changes is
 * written into the place not in use and the VID entry then turned to it
 * in one word, so no frame reads one half written (as fp_vlans' hash
 * replaced a whole element).
 *
 * Written by loader/uplink.c, in the order: record, inner table (zeroed
 * when taken), VID entries, and the uplink's FP_UPLINK_F_TRUNK and
 * number last; taken down the other way round.
 */
#define FP_MAX_TRUNKS 16 /* trunk uplinks at a time */
#define FP_MAX_STAGS 512 /* (trunk, S-tag) pairs in use, over all trunks */
#define FP_VID_TABLE_WORDS 1024 /* 4096 VIDs, four to a word */
#define FP_VIDS_DOT1Q(t) (1 + 2 * (__u32)(t))
#define FP_VIDS_QINQ(t) (2 + 2 * (__u32)(t))
#define FP_VIDS_INNER (1 + 2 * FP_MAX_TRUNKS)
#define FP_VID_TABLES (FP_VIDS_INNER + FP_MAX_STAGS)
#define FP_VID_WORDS (FP_VID_TABLES * FP_VID_TABLE_WORDS)
#define FP_VLAN_RECORDS (2 * FP_MAX_VLANS)

/* fp_vlanstat (per-CPU array, fp_vlan.stat): each tagged circuit's. */
struct fp_vlanstat {
	struct fp_counter fast; /* FP_CAP_FAST */
	struct fp_counter gateway; /* FP_CAP_GATEWAY */
	struct fp_counter other; /* passed or dropped */
};

/* fp_uplink.xallow outside the model: a UDR on the gateway subnet has no
 * effect on fast-pathed traffic (DESIGN.md), every other class holds. */
#define FP_XALLOW_DEFAULT (1U << FP_CLASS_UDR)

/* fp_port.flags: registered by `fastpath sync --ports`, which removes it. */
#define FP_PORT_F_SYNC 0x1
/*
 * An uplink's egress record, not a VM port: where the return path sends
 * on-prem frames (its MAC the source, its MTU the limit, its fp_txv slot
 * the redirect). Written by `onprem add` and sync; `port list` marks it.
 */
#define FP_PORT_F_UPLINK 0x2
/*
 * The return path is on for this port: fastpath_port forwards its frames.
 * Without it (--no-return, a gateway port) the program passes them.
 */
#define FP_PORT_F_RETURN 0x4

/* fp_ports: key __u32 ifindex; also holds the gateway port. */
struct fp_port {
	__u8 mac[6]; /* the port's own MAC: source of rewritten frames */
	__u8 peer_mac[6]; /* default destination MAC (the VM), 0 if unset */
	__u16 mtu; /* largest L3 packet the port takes */
	/*
	 * The model's VNet behind the port (`port =` of a [vnet]), 0 for
	 * none: the return path takes a source in that VNet's address space
	 * as the port's own, and one in another VNet's as spoofed. Written
	 * by apply (fp_ports__bind), and by `port add` and sync for a port
	 * they register anew, from the applied model (state.json); every
	 * other rewrite of the record keeps it.
	 */
	__u16 vnet;
	__u32 flags;
	char name[16]; /* interface name when registered */
};

/* LPM keys: prefixlen in bits, address in network byte order. */
struct fp_lpm4 {
	__u32 prefixlen;
	__be32 addr;
};

struct fp_lpm6 {
	__u32 prefixlen;
	__u8 addr[16];
};

/* fp_route.flags */
/* 0x1 was "excluded": an entry is excluded exactly when xclasses != 0. */
#define FP_ROUTE_F_MARKER 0x2 /* no route: an exclusion's own prefix */
/*
 * A VM's own address: a host entry (/32, /128; a neighbour on a VM port
 * is one) with a port, not a marker. Set by loader/fib.c and carried into
 * the entry's result. A source arriving on an uplink is spoofed when its
 * entry has this flag or a VNet (its address lies in a VNet's address
 * space), or when it lies in fp_vnets4/6; a wider route through a port (a
 * default route, an NVA's 10.0.0.0/8) is a path, not an address, and
 * makes no source spoofed.
 */
#define FP_ROUTE_F_OWN 0x4
/*
 * An on-prem destination (the return path's): ifindex is an uplink, dmac
 * the next hop's MAC (zero: unresolved). Never OWN, never in a VNet, never
 * budgeted; the uplink program reads it as no entry (a miss: gateway), so
 * it may share the compiled tables with the VM entries. Set by the writer
 * (`fastpath onprem add`, sync) and kept by loader/fib.c.
 */
#define FP_ROUTE_F_ONPREM 0x8

/*
 * The compiled forwarding table: what the program reads per packet.
 *
 * fp_hosts4/6 and fp_routes4/6 stay the table of record (the loader's,
 * `route list`'s); loader/fib.c compiles every entry of them, markers and
 * shadows included, into one multibit trie per family, in the manner of
 * VPP's ip4_mtrie: a 16-bit root and 8-bit plies below it (16-8-8 for
 * IPv4, 16-8-...-8 down to /128 for IPv6), each slot one __u32 *leaf*.
 * A lookup is at most 3 (IPv4) or 15 (IPv6) array reads, which the
 * verifier inlines, whatever the table size.
 *
 * fp_trie4 / fp_trie6 (mmapable arrays of __u32): the root is slots
 * 0 .. 65535 (ply numbers 0 .. 255), ply k >= 256 is slots k * 256 ..
 * k * 256 + 255. A leaf is either FP_LEAF_PLY | k, or a result:
 * nh | plen << 16, where nh indexes fp_nh (0: no entry, a miss) and plen
 * is the prefix length of the entry that wrote it, which the loader needs
 * to insert and remove in place. Every change is a single __u32 store of a
 * finished leaf, a new ply is filled before the store that links it, and
 * a freed ply or nh is not reused for FP_REUSE_SECS: a packet sees the
 * old answer or the new one, never a mix of the two.
 */
#define FP_LEAF_PLY 0x80000000U
#define FP_LEAF_NH_MASK 0xffffU
#define FP_LEAF_PLY_MASK 0xffffffU
#define FP_LEAF(nh, plen) ((__u32)(nh) | (__u32)(plen) << 16)
#define FP_LEAF_PLEN(leaf) (((leaf) >> 16) & 0xff)
#define FP_ROOT_PLIES 256 /* the 16-bit root, counted in plies */
#define FP_PLIES4 16384 /* ply numbers of fp_trie4, the root's included */
#define FP_PLIES6 32768
#define FP_TRIE4_SLOTS (FP_PLIES4 * 256)
#define FP_TRIE6_SLOTS (FP_PLIES6 * 256)
#define FP_MAX_NH 65536 /* results; 0 is "no entry" */
#define FP_REUSE_SECS 2

/*
 * Compressed last plies (IPv4 only). Once a table holds many plies, a
 * lookup into a large one touches a cache line of a different 1 KiB ply
 * for every destination; at 1M prefixes that is 64 MiB of plies, and
 * every packet pays a miss to memory. So the loader also writes each
 * IPv4 ply of the last level (the /24s: its leaves are results only) in
 * the manner of Poptrie's leaf compression: one bit per slot, set where
 * the result differs from the slot before (slot 0 always), and one
 * 16-bit result per run. 16 /28s of different results in a /24 take 72
 * bytes instead of 1,024.
 *
 * fp_cidx4 (array of __u32, one per IPv4 ply number): the word of
 * fp_cpool4 where ply k's compressed node starts, 0 for none (read the
 * ply itself). A node never changes once fp_cidx4 names it: a changed
 * ply gets a new node, written whole before the single __u32 store that
 * names it, and a node is not overwritten for FP_REUSE_SECS after the
 * last store that named it went away. The ply itself stays the table of
 * record and is always right, so no node at all is never wrong.
 *
 * fp_cpool4 (array of __u64): two halves of FP_CPOOL_HALF words, nodes
 * packed one after another in the active one; when it is full, the live
 * nodes move to the other half (once that has been idle FP_REUSE_SECS).
 * A node at word o:
 *   word o:       bits 8w .. 8w + 7 (w = 0 .. 3): the number of runs that
 *                 start in bitmap words before w (byte 0 is 0); bits
 *                 32 .. 55 the ply number; bits 56 .. 63 the node's size
 *                 in words;
 *   words o+1..4: the bitmap, slot s is bit s % 64 of word s / 64;
 *   words o+5..:  the runs' results, four per word, run r in bits
 *                 16 (r % 4) .. of word o + 5 + r / 4.
 */
#define FP_CPOOL_HALF 1048576 /* words per half: 8 MiB */
#define FP_CPOOL_WORDS (2 * FP_CPOOL_HALF)
#define FP_CNODE_HDR 5 /* header and bitmap words */
#define FP_CNODE_MAX (FP_CNODE_HDR + 256 / 4)
/* Plies of IPv4 in use before the loader starts to compress them. */
#define FP_CPLY_MIN 1024

/*
 * fp_plies (array of __u32, the loader's only): the state of each ply
 * number, IPv4's at 0 .. FP_PLIES4 - 1, IPv6's after them. 0 free, 1 in
 * use, else 1 + the CLOCK_MONOTONIC second it was freed.
 */
#define FP_PLY_USED 1

/*
 * fp_upv / fp_portv / fp_txv: the uplinks, ports and redirect targets of
 * ifindex < FP_DEV_SLOTS as arrays indexed by ifindex, so the program
 * finds them with an inlined array read; fp_uplinks, fp_ports and fp_tx
 * stay the registry and serve larger ifindexes. Written together by
 * loader/port.c and loader/uplink.c. An fp_upv slot is an uplink when
 * its flags have FP_UPLINK_F_ON; an fp_portv slot is a port when its mtu
 * is not 0.
 */
#define FP_DEV_SLOTS 65536

/*
 * fp_srcfilt (array of __u64 words): a pre-filter in front of the
 * anti-spoofing source check. Bit b of the IPv4 part is block b, the /16
 * whose first two bytes are b; bit b of the IPv6 part is bucket b, a /48
 * folded to 16 bits (fp_srcfilt_bucket6). A set bit says no VM's own
 * address (an FP_ROUTE_F_OWN entry, a VNet's address space) lies in that
 * block or bucket, so the source lookups cannot answer "spoofed" and the
 * program skips them; a clear bit says look. A new map is all clear
 * (every source looked up, as without the filter) until loader/fib.c sets
 * the bits of the other blocks once (FP_SRCFILT_F_OWN); from then on it
 * clears a block's bit before an own address lands there, and never sets
 * one again: a stale clear bit only costs a lookup, never a verdict.
 *
 * IPv6 buckets are /48s, not /32s: one organisation's /32 (or the
 * documentation 2001:db8::/32 of DESIGN.md) often holds its on-premises
 * sites and its VNets alike, which differ from the /48 on.
 */
#define FP_SRCFILT_V4 0 /* words 0 .. 1023: IPv4 /16 blocks */
#define FP_SRCFILT_V6 1024 /* words 1024 .. 2047: IPv6 /48 buckets */
#define FP_SRCFILT_CTL 2048 /* FP_SRCFILT_F_*; the program never reads it */
#define FP_SRCFILT_WORDS 2049
/*
 * FP_SRCFILT_F_INIT: set under the rule before the own-address one (any
 * entry with a port cleared its blocks). FP_SRCFILT_F_OWN: the bits set
 * from the own addresses, and every host entry's FP_ROUTE_F_OWN written.
 */
#define FP_SRCFILT_F_INIT 0x1
#define FP_SRCFILT_F_OWN 0x2

/* The block of an IPv4 address (network byte order): its /16. */
static inline __u32 fp_srcfilt_block4(const __u8 *addr)
{
	return (__u32)addr[0] << 8 | addr[1];
}

/*
 * The bucket of an IPv6 address: its first three 16-bit words XORed. An
 * address's /48 decides it; for a prefix between /33 and /47 the buckets
 * of its addresses are one aligned run of 2^(48 - len).
 */
static inline __u32 fp_srcfilt_bucket6(const __u8 *addr)
{
	return (__u32)(addr[0] ^ addr[2] ^ addr[4]) << 8 |
	       (addr[1] ^ addr[3] ^ addr[5]);
}

/*
 * fp_fibgen (array, key 0): the generation of what the route lookups
 * answer. loader/maps.c turns it odd before the first write of a change
 * to the route maps the program reads (loader/fib.c, loader/trie.c) and
 * even again, never 0, once the change is written. 0 until the loader
 * first writes a route.
 *
 * fp_srccache (per-CPU array, slot ifindex % FP_SRCCACHE_SLOTS): the
 * source address of each family that the return path (fastpath_port)
 * last found to be the port's own, with its VNet and the generation it
 * was found under. A frame from that address on that port skips the
 * source's lookup while the generation is the same; an odd one, or one
 * that moved, sends every frame to the lookup. An entry is written only
 * under an even generation read before its lookup, so it never outlives
 * the table state it was read from. Written by the program only. That
 * argument leans on x86-64's ordering of loads and of stores: on a
 * weakly ordered CPU the generation's read would need load-acquire,
 * which clang 14 cannot emit for BPF.
 */
#define FP_SRCCACHE_SLOTS 256

struct fp_srccache {
	__u32 ifindex; /* the port; 0: empty */
	__u32 gen4; /* fp_fibgen when addr4 was found; 0: none */
	__be32 addr4;
	__u32 vnet4;
	__u32 gen6; /* the same for IPv6 */
	__u32 vnet6;
	__u8 addr6[16];
};

/* fp_hosts6 key: an IPv6 address, network byte order. */
struct fp_in6 {
	__u8 addr[16];
};

/*
 * fp_hosts4 / fp_hosts6 (/32, /128, exact match, looked up first) and
 * fp_routes4 / fp_routes6 (other prefix lengths) values. ifindex 0 sends
 * the destination to the gateway (a shadow, or an exclusion's marker).
 */
struct fp_route {
	__u32 ifindex; /* VM port */
	__u8 dmac[6]; /* the VM's MAC */
	__u8 origin; /* enum fp_origin */
	/* The rest is kept by loader/fib.c, whoever writes the entry. */
	__u8 flags; /* FP_ROUTE_F_* */
	__u8 plen; /* the entry's own prefix length: LPM lookups are inexact */
	__u8 xclasses; /* 1 << enum fp_class of every exclusion covering it;
			* excluded on an uplink unless its xallow has them all */
	__u16 vnet; /* the VNet whose address space holds it, 0 if none */
	__u16 circuits; /* 1 << (circuit - 1): budgets this entry holds a
			 * place in; a circuit not here sends it to the
			 * gateway (over budget) */
	__u16 pad;
};

/*
 * fp_nh (array): one result per distinct (port, MAC, model tags), shared
 * by every entry that has it: an fp_route whose origin and plen are 0 and
 * whose flags keep only FP_ROUTE_F_OWN, so the program reads a result and
 * an IPv6 host entry alike. The
 * port's own MAC and MTU are the port's (fp_portv): a port change touches
 * no result.
 */
struct fp_nh {
	struct fp_route rt;
	/* The loader's, never read by the program: */
	__u32 refs; /* leaves pointing here */
	__u32 freed; /* CLOCK_MONOTONIC seconds when refs fell to 0 */
};

/*
 * IPv6 host routes (/128) are not compiled: a trie walk down to bit 128
 * is fifteen dependent reads, one hash lookup is cheaper. The program
 * looks into fp_hosts6 first, and only once fp_present says a /128 was
 * ever written there (marked before it lands, never unmarked), so a table
 * without them pays nothing for it.
 */
enum {
	FP_PRESENT_HOSTS6 = 0,
	FP_PRESENT_MAX,
};

/* fp_conns (array, FP_CONN_INDEX) values: written by `fastpath apply`. */
#define FP_CONN_F_LINKED 0x1 /* a connection (or a peering) links them */
#define FP_CONN_F_FAST4 0x2 /* IPv4 may take the fast path */
#define FP_CONN_F_FAST6 0x4 /* IPv6 may take the fast path */
#define FP_CONN_F_PEERED 0x8 /* linked through a peered hub's connection */

struct fp_conn {
	__u32 flags; /* FP_CONN_F_* */
	__u32 pad;
};

/* fp_connstat (per-CPU array, FP_CONN_INDEX): each path's traffic. */
struct fp_connstat {
	struct fp_counter fast;
	struct fp_counter gateway;
};

/*
 * fp_circuits (array, index circuit - 1): the per-port fast-path IP
 * budget. budget and ifindex are written by `fastpath apply`; used and
 * over by loader/fib.c as entries come and go.
 */
struct fp_circuit {
	__u32 ifindex; /* the circuit's uplink */
	__u32 budget; /* fast-path entries the port may hold */
	__u32 used; /* entries holding a place */
	__u32 over; /* entries past the budget, sent to the gateway */
};

/*
 * fp_arrival (hash, the loader's only; values __u64): when each entry that
 * may hold a place in a budget (a route to a port inside a VNet) came,
 * so that places go first come, first served whatever order the maps
 * walk in. The key with family 0 holds the next ticket.
 */
struct fp_arrival_key {
	__u8 family; /* AF_INET, AF_INET6; 0 for the next ticket */
	__u8 len; /* prefix length */
	__u16 pad;
	__u8 addr[16]; /* network byte order; IPv4 in the first 4 bytes */
};

/* fp_vnets4 / fp_vnets6 (LPM, keys fp_lpm4/6) values: address spaces. */
struct fp_vnet {
	__u32 id; /* 1 .. FP_MAX_VNETS - 1 */
};

/*
 * fp_ctl: one slot (key 0) that `fastpath sync` writes and `fastpath
 * status` shows, so that another process can see what sync could not do.
 */
struct fp_ctl {
	__u64 not_programmed; /* wanted entries not in a route map (full) */
	__u64 withdrawn; /* of those: fast prefixes whose more specific
			  * entry was refused, so they go to the gateway */
	__u64 full_syncs; /* full reconciles (start-up, overflow, links) */
	__u64 batches; /* event batches applied incrementally */
	__u64 heartbeat_ns; /* CLOCK_MONOTONIC of sync's last sign of life */
	__u32 pid; /* the following sync daemon, 0 when none */
	__u32 pad;
	/*
	 * `sync --verify-interval`: the daemon's sampled verify. verify_last
	 * and verify_total are indexed by kind: FP_VERIFY_WRONG_DELIVERY,
	 * FP_VERIFY_MISSED, FP_VERIFY_MODEL_MISMATCH; slot FP_VERIFY_TRANSIENT
	 * (0) counts the transient ones: gone, or not confirmed, once the
	 * daemon had caught up with the route changes under way.
	 */
	__u64 verify_runs; /* runs finished */
	__u64 verify_probes; /* probes of every run */
	__u64 verify_last_s; /* CLOCK_REALTIME seconds the last run ended */
	__u64 verify_last_probes; /* probes of the last run */
	__u64 verify_last[4]; /* disagreements of the last run */
	__u64 verify_total[4]; /* disagreements of every run */
};

#define FP_VERIFY_TRANSIENT 0 /* not a disagreement: see fp_ctl */
#define FP_VERIFY_WRONG_DELIVERY 1 /* critical */
#define FP_VERIFY_MISSED 2
#define FP_VERIFY_MODEL_MISMATCH 3

/*
 * Packet capture (`fastpath capture`). Verdict classes, one bit each in
 * fp_capctl.mask: fast is FP_R_FASTPATH; gateway is a miss, an exclusion
 * or a redirect error, whether passed or redirected to the gateway port;
 * drop is XDP_DROP; pass is everything else.
 */
enum fp_cap_class {
	FP_CAP_FAST = 0,
	FP_CAP_GATEWAY = 1,
	FP_CAP_DROP = 2,
	FP_CAP_PASS = 3,
	FP_CAP_MAX,
};

/*
 * The class of a verdict, from its reason and whether the frame was
 * dropped: what capture filters on and what explain calls the verdict.
 */
static inline __u32 fp_verdict_class(__u32 reason, int dropped)
{
	if (reason == FP_R_FASTPATH)
		return FP_CAP_FAST;
	if (reason == FP_R_MISS || reason == FP_R_EXCLUDED ||
	    reason == FP_R_REDIRECT_ERR || reason == FP_R_CONN_OFF ||
	    reason == FP_R_OVER_BUDGET || reason == FP_R_UNRESOLVED)
		return FP_CAP_GATEWAY;
	return dropped ? FP_CAP_DROP : FP_CAP_PASS;
}

#define FP_CAP_SNAPLEN_MAX 256 /* bytes of a frame a record holds */
#define FP_CAP_RING_SIZE (1U << 20) /* fp_capture: ~3,600 records */

/*
 * fp_capctl: one slot (key 0). The program samples while
 * bpf_ktime_get_ns() < deadline_ns (CLOCK_MONOTONIC); the capture command
 * pushes the deadline a few seconds ahead every second, so a capture that
 * dies without cleaning up (SIGKILL) stops sampling by itself.
 */
struct fp_capctl {
	__u64 deadline_ns; /* 0: off */
	__u64 lost; /* records the ring had no room for */
	__u32 mask; /* 1 << enum fp_cap_class */
	__u32 snaplen; /* 1 .. FP_CAP_SNAPLEN_MAX */
	__u32 owner; /* pid of the capture command, 0 if none */
	__u32 pad;
};

/*
 * The program that judged a captured frame: both share the ring. A record
 * of a program from before the field existed reads 0, the uplink's (the
 * only one there was).
 */
enum fp_cap_prog {
	FP_CAP_PROG_UPLINK = 0, /* fastpath_xdp: on-prem -> VM */
	FP_CAP_PROG_PORT = 1, /* fastpath_port: VM -> on-prem */
};

/* fp_capture ring buffer record: the frame as it leaves the program. */
struct fp_cap_rec {
	__u64 ts_ns; /* bpf_ktime_get_ns() */
	__u32 ifindex; /* ingress */
	__u32 out_ifindex; /* redirect target, 0 if none */
	__u32 len; /* frame length */
	__u32 action; /* XDP action */
	__u16 cap_len; /* bytes of data[] filled */
	__u8 class; /* enum fp_cap_class */
	__u8 reason; /* enum fp_reason */
	__u8 prog; /* enum fp_cap_prog */
	__u8 pad[3];
	__u8 data[FP_CAP_SNAPLEN_MAX];
};

/* fp_excl4 / fp_excl6 values. */
struct fp_excl {
	__u32 class; /* enum fp_class */
	__u32 plen; /* its own prefix length: LPM lookups are inexact */
};

_Static_assert(sizeof(struct fp_counter) == 16, "fp_counter layout");
_Static_assert(sizeof(struct fp_probe) == 16, "fp_probe layout");
_Static_assert(sizeof(struct fp_uplink) == 16, "fp_uplink layout");
_Static_assert(sizeof(struct fp_vlan_key) == 8, "fp_vlan_key layout");
_Static_assert(sizeof(struct fp_vlan) == 24, "fp_vlan layout");
_Static_assert(sizeof(struct fp_vlanstat) == 48, "fp_vlanstat layout");
_Static_assert(sizeof(struct fp_port) == 36, "fp_port layout");
_Static_assert(sizeof(struct fp_srccache) == 40, "fp_srccache layout");
_Static_assert(sizeof(struct fp_lpm4) == 8, "fp_lpm4 layout");
_Static_assert(sizeof(struct fp_lpm6) == 20, "fp_lpm6 layout");
_Static_assert(sizeof(struct fp_route) == 20, "fp_route layout");
_Static_assert(sizeof(struct fp_conn) == 8, "fp_conn layout");
_Static_assert(sizeof(struct fp_connstat) == 32, "fp_connstat layout");
_Static_assert(sizeof(struct fp_circuit) == 16, "fp_circuit layout");
_Static_assert(sizeof(struct fp_vnet) == 4, "fp_vnet layout");
_Static_assert(sizeof(struct fp_arrival_key) == 20, "fp_arrival_key layout");
_Static_assert(sizeof(struct fp_in6) == 16, "fp_in6 layout");
_Static_assert(sizeof(struct fp_excl) == 8, "fp_excl layout");
_Static_assert(sizeof(struct fp_nh) == 28, "fp_nh layout");
_Static_assert(sizeof(struct fp_ctl) == 144, "fp_ctl layout");
_Static_assert(sizeof(struct fp_netns) == 64, "fp_netns layout");
_Static_assert(sizeof(struct fp_capctl) == 32, "fp_capctl layout");
_Static_assert(sizeof(struct fp_cap_rec) == 32 + FP_CAP_SNAPLEN_MAX,
	       "fp_cap_rec layout");

#endif /* FASTPATH_MAPS_H */
