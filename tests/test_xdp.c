// SPDX-License-Identifier: GPL-2.0
/*
 * The packet verdict table of DESIGN.md, run against the real XDP object
 * with BPF_PROG_TEST_RUN (the kernel's prog_tests/xdp.c, Katran's fixtures).
 *
 * The object is loaded from the skeleton with every pin path cleared, so
 * nothing under /sys/fs/bpf is touched, inside a private network namespace
 * holding the devices the maps name: BPF_PROG_TEST_RUN wants a real
 * ingress device and DEVMAP_HASH entries want real ifindexes. Each row
 * builds a frame, builds the frame it expects back independently of the
 * program (MACs set, TTL/hop limit decremented, IPv4 checksum recomputed
 * from scratch), and checks the verdict, the bytes and that exactly one
 * counter moved, by one packet and the frame's length.
 *
 * Trunk uplinks: a row may carry VLAN tags, put in after the frame is
 * built and mutated. A redirected tagged frame must come back without
 * them (the expected bytes are the untagged frame's, rewritten, and so
 * shorter), any other one exactly as it went in; the counter moves by
 * the length that went in, and the fp_vlanstat slot of the circuit the
 * tags name (if any) by one packet in the verdict's class.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>

#include "fastpath.skel.h"
#include "harness.h"
#include "parse.h"
#include "pktgen.h"
#include "port.h"
#include "uplink.h"
#include "check.h"
#include "fib.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define FRAME_MAX 1024
#define META_LEN ((int)sizeof(struct fp_probe))

/* Addresses: the test ranges of DESIGN.md. */
/* In the one /16 of the test range with no VM address: the lane's. */
#define SRC4 "198.19.255.1"
#define SRC6 "2001:db8:ffff::1"

/* MACs. Routes and ports below name these, the rows expect them. */
static const __u8 OP_MAC[6] = { 0x02, 0, 0, 0, 0x00, 0xaa }; /* on-prem */
static const __u8 UP0_MAC[6] = { 0x02, 0, 0, 0, 0x00, 0x01 };
static const __u8 UP1_MAC[6] = { 0x02, 0, 0, 0, 0x00, 0x02 };
static const __u8 UP2_MAC[6] = { 0x02, 0, 0, 0, 0x00, 0x03 };
static const __u8 UP3_MAC[6] = { 0x02, 0, 0, 0, 0x00, 0x04 };
static const __u8 OTHER_MAC[6] = { 0x02, 0, 0, 0, 0x99, 0x99 };
static const __u8 VM0_MAC[6] = { 0x02, 0, 0, 0, 0x10, 0x00 };
static const __u8 VM0_PEER[6] = { 0x02, 0, 0, 0, 0x10, 0x01 };
static const __u8 VM0_LLADDR[6] = { 0x02, 0, 0, 0, 0x10, 0x0a };
static const __u8 VM1_MAC[6] = { 0x02, 0, 0, 0, 0x11, 0x00 };
static const __u8 VM1_PEER[6] = { 0x02, 0, 0, 0, 0x11, 0x01 };
static const __u8 VM2_MAC[6] = { 0x02, 0, 0, 0, 0x12, 0x00 };
static const __u8 VM3_MAC[6] = { 0x02, 0, 0, 0, 0x13, 0x00 };
static const __u8 VM3_PEER[6] = { 0x02, 0, 0, 0, 0x13, 0x01 };
static const __u8 GW0_MAC[6] = { 0x02, 0, 0, 0, 0x20, 0x00 };
static const __u8 GW_PEER[6] = { 0x02, 0, 0, 0, 0x20, 0x01 };
static const __u8 GW3_MAC[6] = { 0x02, 0, 0, 0, 0x23, 0x00 };
static const __u8 GW3_PEER[6] = { 0x02, 0, 0, 0, 0x23, 0x01 };
static const __u8 NO_MAC[6] = { 0 };
static const __u8 BCAST_MAC[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const __u8 ALLNODES_MAC[6] = { 0x33, 0x33, 0, 0, 0, 0x01 };
static const __u8 LLDP_MAC[6] = { 0x01, 0x80, 0xc2, 0, 0, 0x0e };

/*
 * Devices, each one end of a veth pair:
 *   up0   uplink, gateway verdict XDP_PASS
 *   up1   uplink whose gateway is port gw0
 *   up2   uplink with anti-spoofing off (--allow-spoofed-sources)
 *   vm0   port, mtu 1500, in fp_ports and fp_tx
 *   vm1   port whose fp_ports mtu is 500
 *   vm2   a device in no map: routes to it point at an unknown port
 *   vm3   in fp_ports but not in the devmap fp_tx
 *   gw0   the gateway port of up1
 *   up3   trunk uplink: the tagged circuits of recs[] below; its own
 *         (untagged) gateway port is gw0
 *   gw3   the gateway port of two of up3's tagged circuits
 */
enum dev {
	D_UP0,
	D_UP1,
	D_UP2,
	D_VM0,
	D_VM1,
	D_VM2,
	D_VM3,
	D_GW0,
	D_UP3,
	D_GW3,
	D_MAX
};
#define NO_PORT D_MAX /* a probe that names no redirect target */

static const struct fp_test_dev devs[D_MAX] = {
	[D_UP0] = { "up0", "op0", UP0_MAC },
	[D_UP1] = { "up1", "op1", UP1_MAC },
	[D_UP2] = { "up2", "op2", UP2_MAC },
	[D_VM0] = { "vm0", "vmp0", VM0_MAC },
	[D_VM1] = { "vm1", "vmp1", VM1_MAC },
	[D_VM2] = { "vm2", "vmp2", VM2_MAC },
	[D_VM3] = { "vm3", "vmp3", VM3_MAC },
	[D_GW0] = { "gw0", "gw1", GW0_MAC },
	[D_UP3] = { "up3", "op3", UP3_MAC },
	[D_GW3] = { "gw3", "gwp3", GW3_MAC },
};

/* up3's tagged circuits (fp_vlans): (S-tag, C-tag), outer 0 for Dot1Q. */
enum rec { REC_NONE, REC_100, REC_200, REC_300_400, REC_300_500, REC_MAX };

static const struct {
	__u16 outer, inner;
	bool gw3; /* gateway frames popped into gw3; else passed, tagged */
} recs[REC_MAX] = {
	[REC_100] = { 0, 100, false },
	[REC_200] = { 0, 200, true },
	[REC_300_400] = { 300, 400, false },
	[REC_300_500] = { 300, 500, true },
};

/* fp_vlanstat's classes, as the rows expect them. */
enum vclass { VC_FAST, VC_GATEWAY, VC_OTHER, VC_MAX };

static __u32 ifidx[D_MAX];
static struct fastpath *skel;
static int prog_fd, stats_fd, vlans_fd, vlanstat_fd, ncpus;
static struct fp_vlanstat *percpu_v; /* one fp_vlanstat slot, every CPU */

enum meta {
	META_NONE, /* ctx.data = 0: the frame alone */
	META_PROBE, /* a struct fp_probe with FP_EXPLAIN_MAGIC in front */
	META_OTHER, /* 16 bytes of metadata that are no probe */
};

struct row {
	const char *name;
	const char *dst; /* destination address: its family is the frame's */
	int (*mutate)(__u8 *f, int len); /* edge cases: returns the length */
	const __u8 *dmac, *smac; /* the rewrite expected; NULL: untouched */
	enum dev in; /* ingress device */
	enum meta meta;
	__u32 retval;
	__u32 reason;
	enum dev probe_to; /* META_PROBE: the ifindex the probe reports */
	__u16 payload; /* UDP payload bytes */
	__u8 ttl; /* TTL or hop limit */
	/*
	 * VLAN tags put in behind the MACs once the frame is built and
	 * mutated: TPID, TCI pairs up to a 0 TPID (at most three tags);
	 * the frame's own EtherType follows the last.
	 */
	__u16 tag[6];
	__u16 cut; /* the tagged frame cut to this many bytes; 0: whole */
	enum rec rec; /* the circuit the tags name; its fp_vlanstat moves */
};

#define PKT(d, t, p) .dst = (d), .ttl = (t), .payload = (p)
#define Q 0x8100 /* 802.1Q TPID */
#define AD 0x88a8 /* 802.1ad (S-tag) TPID */
#define TAGS(...) .tag = { __VA_ARGS__ }
#define TRUNK(rec_) .in = D_UP3, .rec = (rec_)
#define FWD(d, s) .retval = XDP_REDIRECT, .dmac = (d), .smac = (s)
#define PASS(r) .retval = XDP_PASS, .reason = (r)
#define DROP .retval = XDP_DROP, .reason = FP_R_MALFORMED

/* Frame bytes: checksums and mutations, independent of loader/ and bpf/. */

static __u32 csum_add(__u32 sum, const void *data, size_t len)
{
	const __u8 *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (__u32)p[len - 1] << 8;
	return sum;
}

static __u16 csum_finish(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

/*
 * The IP header of a frame sits 14 bytes in, so it is only 2-byte aligned:
 * these types tell the compiler (and UBSan) so.
 */
typedef struct iphdr __attribute__((aligned(2))) iphdr_u;
typedef struct ipv6hdr __attribute__((aligned(2))) ipv6hdr_u;

static iphdr_u *ip4(__u8 *f)
{
	return (iphdr_u *)(f + ETH_HLEN);
}

static ipv6hdr_u *ip6(__u8 *f)
{
	return (ipv6hdr_u *)(f + ETH_HLEN);
}

/* The IPv4 header checksum from scratch, over the header IHL claims. */
static void ip4_checksum(__u8 *f)
{
	iphdr_u *ip = ip4(f);
	size_t hlen = ip->ihl >= 5 ? ip->ihl * 4U : sizeof(*ip);

	ip->check = 0;
	ip->check = csum_finish(csum_add(0, ip, hlen));
}

static int m_ihl(__u8 *f, int len, int ihl)
{
	ip4(f)->ihl = ihl;
	ip4_checksum(f);
	return len;
}

static int m_ip_options(__u8 *f, int len)
{
	return m_ihl(f, len, 6);
}

static int m_ihl4(__u8 *f, int len)
{
	return m_ihl(f, len, 4);
}

static int m_ihl0(__u8 *f, int len)
{
	return m_ihl(f, len, 0);
}

static int m_version6_in_ip4(__u8 *f, int len)
{
	ip4(f)->version = 6;
	ip4_checksum(f);
	return len;
}

static int m_version4_in_ip6(__u8 *f, int len)
{
	ip6(f)->version = 4;
	return len;
}

static int m_tot_len(__u8 *f, int len, int tot_len)
{
	ip4(f)->tot_len = htons(tot_len);
	ip4_checksum(f);
	return len;
}

static int m_tot_len_beyond(__u8 *f, int len)
{
	return m_tot_len(f, len, len - ETH_HLEN + 1);
}

static int m_tot_len_19(__u8 *f, int len)
{
	return m_tot_len(f, len, 19);
}

/* IHL 6 claims 24 header bytes; tot_len 20 is shorter than that. */
static int m_options_tot_len_20(__u8 *f, int len)
{
	ip4(f)->ihl = 6;
	return m_tot_len(f, len, 20);
}

/* tot_len = the header alone: the UDP bytes become Ethernet padding. */
static int m_tot_len_20(__u8 *f, int len)
{
	return m_tot_len(f, len, 20);
}

static int m_payload_len(__u8 *f, int len, int plen)
{
	ip6(f)->payload_len = htons(plen);
	return len;
}

static int m_payload_len_beyond(__u8 *f, int len)
{
	return m_payload_len(f, len, len - ETH_HLEN - 40 + 1);
}

static int m_payload_len_0(__u8 *f, int len)
{
	return m_payload_len(f, len, 0);
}

static int m_hop_by_hop(__u8 *f, int len)
{
	ip6(f)->nexthdr = 0; /* IPPROTO_HOPOPTS */
	return len;
}

static int m_pad10(__u8 *f, int len)
{
	memset(f + len, 0, 10);
	return len + 10;
}

static int m_bcast_mac(__u8 *f, int len)
{
	memcpy(f, BCAST_MAC, 6);
	return len;
}

static int m_allnodes_mac(__u8 *f, int len)
{
	memcpy(f, ALLNODES_MAC, 6);
	return len;
}

static int m_arp(__u8 *f, int len)
{
	static const __u8 arp[28] = {
		0x00, 0x01, 0x08, 0x00, 6,    4,    0x00, 0x01, /* request */
		0x02, 0,    0,	  0,	0x00, 0xaa, 198,  18,
		255,  1, /* OP_MAC, SRC4 */
		0,    0,    0,	  0,	0,    0,    198,  18,
		1,    10, /* who has 198.18.1.10 */
	};

	f[12] = 0x08;
	f[13] = 0x06;
	memcpy(f + ETH_HLEN, arp, sizeof(arp));
	return ETH_HLEN + sizeof(arp);
}

static int m_lldp(__u8 *f, int len)
{
	memcpy(f, LLDP_MAC, 6);
	f[12] = 0x88;
	f[13] = 0xcc;
	return len;
}

/* An 802.1Q tag (VLAN 100) in front of the IPv4 ethertype. */
static int m_vlan(__u8 *f, int len)
{
	memmove(f + 16, f + 12, len - 12);
	f[12] = 0x81;
	f[13] = 0x00;
	f[14] = 0x00;
	f[15] = 100;
	return len + 4;
}

static int m_eth_only(__u8 *f, int len)
{
	return ETH_HLEN;
}

static int m_ip4_truncated(__u8 *f, int len)
{
	return ETH_HLEN + 19;
}

static int m_ip6_truncated(__u8 *f, int len)
{
	return ETH_HLEN + 39;
}

/*
 * ICMPv6 neighbour solicitation for target, to the frame's destination
 * (RFC 4861 4.3: hop limit 255, 24 bytes without options).
 */
static int ns(__u8 *f, const char *target)
{
	ipv6hdr_u *ip = ip6(f);
	__u8 *icmp = f + ETH_HLEN + sizeof(*ip);
	__u32 sum;

	ip->nexthdr = 58; /* IPPROTO_ICMPV6 */
	ip->hop_limit = 255;
	ip->payload_len = htons(24);
	memset(icmp, 0, 24);
	icmp[0] = 135;
	if (inet_pton(AF_INET6, target, icmp + 8) != 1)
		return -1;
	sum = csum_add(0, &ip->saddr, 32) + 24 + 58;
	memcpy(icmp + 2, (__u16[]){ csum_finish(csum_add(sum, icmp, 24)) }, 2);
	return ETH_HLEN + sizeof(*ip) + 24;
}

static int m_ns_unicast(__u8 *f, int len)
{
	char dst[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, &ip6(f)->daddr, dst, sizeof(dst));
	return ns(f, dst);
}

/* To the target's solicited-node group ff02::1:ffXX:XXXX, as ND does. */
static int m_ns_multicast(__u8 *f, int len)
{
	static const __u8 group[16] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff };
	static const __u8 mac[6] = { 0x33, 0x33, 0xff };
	ipv6hdr_u *ip = ip6(f);
	char target[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, &ip->daddr, target, sizeof(target));
	memcpy(f, mac, 3);
	memcpy(f + 3, &ip->daddr.s6_addr[13], 3);
	memcpy(ip->daddr.s6_addr, group, 13);
	return ns(f, target);
}

/*
 * An IPv4 header whose checksum is `check` before the TTL decrement:
 * search the IP ID for it. The one's complement corner cases are where an
 * incremental update can go wrong (RFC 1624 section 3).
 */
static int with_check(__u8 *f, int len, __u16 check)
{
	iphdr_u *ip = ip4(f);

	for (__u32 id = 0; id <= 0xffff; id++) {
		ip->id = htons(id);
		ip4_checksum(f);
		if (ip->check == htons(check))
			return len;
	}
	print_error("no IP ID gives the checksum 0x%04x\n", check);
	return -1;
}

static int m_check_0000(__u8 *f, int len)
{
	return with_check(f, len, 0x0000);
}

static int m_check_00ff(__u8 *f, int len)
{
	return with_check(f, len, 0x00ff);
}

static int m_check_feff(__u8 *f, int len)
{
	return with_check(f, len, 0xfeff);
}

static int m_check_ff00(__u8 *f, int len)
{
	return with_check(f, len, 0xff00);
}

static int m_check_fffe(__u8 *f, int len)
{
	return with_check(f, len, 0xfffe);
}

/* 0xffff is the other zero: a valid header a sender may still emit. */
static int m_check_ffff(__u8 *f, int len)
{
	if (with_check(f, len, 0x0000) < 0)
		return -1;
	ip4(f)->check = 0xffff;
	return len;
}

/* Hostile and unusual frames (issue 5): sources, fragments, extensions. */

static int set_src(__u8 *f, int len, const char *src)
{
	bool v6 = strchr(src, ':');

	if (inet_pton(v6 ? AF_INET6 : AF_INET, src,
		      v6 ? (void *)&ip6(f)->saddr : (void *)&ip4(f)->saddr) !=
	    1)
		return -1;
	if (!v6)
		ip4_checksum(f);
	return len;
}

static int m_src4_multicast(__u8 *f, int len)
{
	return set_src(f, len, "224.0.0.1");
}

static int m_src4_loopback(__u8 *f, int len)
{
	return set_src(f, len, "127.0.0.1");
}

static int m_src4_class_e(__u8 *f, int len)
{
	return set_src(f, len, "240.0.0.1");
}

static int m_src4_limited_bcast(__u8 *f, int len)
{
	return set_src(f, len, "255.255.255.255");
}

static int m_src6_multicast(__u8 *f, int len)
{
	return set_src(f, len, "ff02::1");
}

static int m_src6_loopback(__u8 *f, int len)
{
	return set_src(f, len, "::1");
}

/* A VM's own address (a fast-path host route) as the source. */
static int m_src4_vm(__u8 *f, int len)
{
	return set_src(f, len, "198.18.1.10");
}

static int m_src6_vm(__u8 *f, int len)
{
	return set_src(f, len, "2001:db8:1::10");
}

/* On-prem sources behind a wide route to a port (an NVA's next hop). */
static int m_src4_nva(__u8 *f, int len)
{
	return set_src(f, len, "198.18.100.7");
}

static int m_src6_nva(__u8 *f, int len)
{
	return set_src(f, len, "2001:db8:a000::7");
}

/* A VM's own address inside that wide route. */
static int m_src4_nva_vm(__u8 *f, int len)
{
	return set_src(f, len, "198.18.100.50");
}

/* Inside a /24 route to a port, but no host entry: not a VM's own. */
static int m_src4_prefix(__u8 *f, int len)
{
	return set_src(f, len, "198.18.3.9");
}

static int m_other_host(__u8 *f, int len)
{
	memcpy(f, OTHER_MAC, 6);
	return len;
}

/* An 802.1ad (QinQ) service tag in front of the IPv4 ethertype. */
static int m_qinq(__u8 *f, int len)
{
	len = m_vlan(f, len);
	f[12] = 0x88;
	f[13] = 0xa8;
	return len;
}

static int frag4(__u8 *f, int len, __u16 frag_off)
{
	ip4(f)->frag_off = htons(frag_off);
	ip4_checksum(f);
	return len;
}

static int m_frag4_first(__u8 *f, int len)
{
	return frag4(f, len, 0x2000); /* MF, offset 0 */
}

static int m_frag4_middle(__u8 *f, int len)
{
	return frag4(f, len, 0x2000 | 185);
}

static int m_frag4_last(__u8 *f, int len)
{
	return frag4(f, len, 370);
}

/*
 * Puts an extension header of type `type` right behind the fixed IPv6
 * header: it takes over the fixed header's next header, and the fixed
 * header now names it. Called again, it nests in front.
 */
static int ext6(__u8 *f, int len, __u8 type, const __u8 *ext, int elen)
{
	ipv6hdr_u *ip = ip6(f);
	__u8 *at = f + ETH_HLEN + sizeof(*ip);

	if (len + elen > FRAME_MAX)
		return -1;
	memmove(at + elen, at, len - ETH_HLEN - sizeof(*ip));
	memcpy(at, ext, elen);
	at[0] = ip->nexthdr;
	ip->nexthdr = type;
	ip->payload_len = htons(ntohs(ip->payload_len) + elen);
	return len + elen;
}

/* An ICMP error (frag needed / packet too big) addressed to a VM. */
static int m_icmp4_error(__u8 *f, int len)
{
	__u8 *icmp = f + ETH_HLEN + sizeof(struct iphdr);

	ip4(f)->protocol = 1; /* IPPROTO_ICMP */
	ip4_checksum(f);
	icmp[0] = 3; /* destination unreachable */
	icmp[1] = 4; /* fragmentation needed */
	return len;
}

static int m_icmp6_error(__u8 *f, int len)
{
	__u8 *icmp = f + ETH_HLEN + sizeof(struct ipv6hdr);

	ip6(f)->nexthdr = 58; /* IPPROTO_ICMPV6 */
	icmp[0] = 2; /* packet too big: an error, not ND */
	icmp[1] = 0;
	return len;
}

/* Destination options holding one PadN option: 8 bytes. */
static const __u8 DSTOPTS[8] = { 0, 0, 1, 4 };

static int m_dstopts(__u8 *f, int len)
{
	return ext6(f, len, 60, DSTOPTS, sizeof(DSTOPTS));
}

/* A routing header of an experimental type with no segments left. */
static int m_routing(__u8 *f, int len)
{
	static const __u8 rh[8] = { 0, 0, 253, 0 };

	return ext6(f, len, 43, rh, sizeof(rh));
}

static int m_frag6_first(__u8 *f, int len)
{
	static const __u8 fh[8] = { 0, 0, 0x00, 0x01, 0, 0, 0, 7 };

	return ext6(f, len, 44, fh, sizeof(fh));
}

static int m_frag6_later(__u8 *f, int len)
{
	static const __u8 fh[8] = { 0, 0, 0x05, 0xc9, 0, 0, 0, 7 };

	return ext6(f, len, 44, fh, sizeof(fh));
}

/* A later ICMPv6 fragment whose data happens to start like an ND type. */
static int m_frag6_later_icmp(__u8 *f, int len)
{
	static const __u8 fh[8] = { 0, 0, 0x05, 0xc9, 0, 0, 0, 7 };
	__u8 *data;

	len = ext6(f, len, 44, fh, sizeof(fh));
	if (len < 0)
		return len;
	f[ETH_HLEN + sizeof(struct ipv6hdr)] = 58; /* IPPROTO_ICMPV6 */
	data = f + ETH_HLEN + sizeof(struct ipv6hdr) + sizeof(fh);
	data[0] = 135;
	return len;
}

static int m_unknown_nexthdr(__u8 *f, int len)
{
	ip6(f)->nexthdr = 253;
	return len;
}

static int dstopts_chain(__u8 *f, int len, int n)
{
	for (int i = 0; i < n && len > 0; i++)
		len = m_dstopts(f, len);
	return len;
}

static int m_chain5(__u8 *f, int len)
{
	return dstopts_chain(f, len, 5);
}

static int m_chain7(__u8 *f, int len)
{
	return dstopts_chain(f, len, 7);
}

/* Hop-by-hop behind destination options: invalid, the kernel judges. */
static int m_late_hopopts(__u8 *f, int len)
{
	len = ext6(f, len, 0, DSTOPTS, sizeof(DSTOPTS));
	return len < 0 ? len : m_dstopts(f, len);
}

static int m_ns_behind_dstopts(__u8 *f, int len)
{
	len = m_ns_unicast(f, len);
	return len < 0 ? len : m_dstopts(f, len);
}

/* The fixed header names destination options, the frame ends inside it. */
static int m_ext_truncated(__u8 *f, int len)
{
	ip6(f)->nexthdr = 60;
	ip6(f)->payload_len = htons(4);
	return ETH_HLEN + sizeof(struct ipv6hdr) + 4;
}

/* Payloads giving an L3 length of 586 (a 600-byte frame), 500 and 501. */
#define V4_L3(n) ((n)-20 - 8)
#define V6_L3(n) ((n)-40 - 8)

static const struct row rows[] = {
	/* Fast path: rewrite MACs, decrement TTL, redirect to the port. */
	{ "ipv4 host route", PKT("198.18.1.10", 64, 18),
	  FWD(VM0_LLADDR, VM0_MAC), .reason = FP_R_FASTPATH },
	{ "ipv6 host route", PKT("2001:db8:1::10", 64, 18),
	  FWD(VM0_LLADDR, VM0_MAC), .reason = FP_R_FASTPATH },
	{ "ipv4 prefix route", PKT("198.18.2.1", 64, 18),
	  FWD(VM0_PEER, VM0_MAC), .reason = FP_R_FASTPATH },
	{ "ipv6 prefix route", PKT("2001:db8:2::1", 64, 18),
	  FWD(VM0_PEER, VM0_MAC), .reason = FP_R_FASTPATH },
	{ "ipv4 longest prefix wins", PKT("198.18.2.200", 64, 18),
	  FWD(VM1_PEER, VM1_MAC), .reason = FP_R_FASTPATH },
	{ "ipv6 longest prefix wins", PKT("2001:db8:2:0:8000::1", 64, 18),
	  FWD(VM1_PEER, VM1_MAC), .reason = FP_R_FASTPATH },
	{ "ipv4 ttl 2 leaves with 1", PKT("198.18.1.10", 2, 18),
	  FWD(VM0_LLADDR, VM0_MAC), .reason = FP_R_FASTPATH },
	{ "ipv6 hop limit 2 leaves with 1", PKT("2001:db8:1::10", 2, 18),
	  FWD(VM0_LLADDR, VM0_MAC), .reason = FP_R_FASTPATH },
	{ "ipv4 ttl 255", PKT("198.18.1.10", 255, 18), FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "ipv4 with Ethernet padding", PKT("198.18.1.10", 64, 18),
	  .mutate = m_pad10, FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "ipv6 with Ethernet padding", PKT("2001:db8:1::10", 64, 18),
	  .mutate = m_pad10, FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "ipv4 tot_len equal to the header", PKT("198.18.1.10", 64, 18),
	  .mutate = m_tot_len_20, FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "ipv6 payload_len 0", PKT("2001:db8:1::10", 64, 18),
	  .mutate = m_payload_len_0, FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },

	/* The IPv4 checksum, updated incrementally, at its corners. */
	{ "ipv4 checksum 0x0000 before", PKT("198.18.1.10", 64, 18),
	  .mutate = m_check_0000, FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "ipv4 checksum 0x00ff before", PKT("198.18.1.10", 64, 18),
	  .mutate = m_check_00ff, FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "ipv4 checksum 0xfeff before, 0x0000 after",
	  PKT("198.18.1.10", 64, 18), .mutate = m_check_feff,
	  FWD(VM0_LLADDR, VM0_MAC), .reason = FP_R_FASTPATH },
	{ "ipv4 checksum 0xff00 before, wraps", PKT("198.18.1.10", 64, 18),
	  .mutate = m_check_ff00, FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "ipv4 checksum 0xfffe before, wraps", PKT("198.18.1.10", 64, 18),
	  .mutate = m_check_fffe, FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "ipv4 checksum 0xffff (negative zero) before",
	  PKT("198.18.1.10", 64, 18), .mutate = m_check_ffff,
	  FWD(VM0_LLADDR, VM0_MAC), .reason = FP_R_FASTPATH },

	/* TTL / hop limit <= 1: the kernel answers with ICMP. */
	{ "ipv4 ttl 1", PKT("198.18.1.10", 1, 18), PASS(FP_R_TTL_EXPIRED) },
	{ "ipv4 ttl 0", PKT("198.18.1.10", 0, 18), PASS(FP_R_TTL_EXPIRED) },
	{ "ipv6 hop limit 1", PKT("2001:db8:1::10", 1, 18),
	  PASS(FP_R_TTL_EXPIRED) },
	{ "ipv6 hop limit 0", PKT("2001:db8:1::10", 0, 18),
	  PASS(FP_R_TTL_EXPIRED) },

	/* Larger than the port's MTU (vm1: 500): the kernel answers. */
	{ "ipv4 600-byte frame to a 500-mtu port",
	  PKT("198.18.5.1", 64, V4_L3(586)), PASS(FP_R_TOO_BIG) },
	{ "ipv4 l3 length 500 fits a 500-mtu port",
	  PKT("198.18.5.1", 64, V4_L3(500)), FWD(VM1_PEER, VM1_MAC),
	  .reason = FP_R_FASTPATH },
	{ "ipv4 l3 length 501 to a 500-mtu port",
	  PKT("198.18.5.1", 64, V4_L3(501)), PASS(FP_R_TOO_BIG) },
	{ "ipv6 600-byte frame to a 500-mtu port",
	  PKT("2001:db8:5::1", 64, V6_L3(586)), PASS(FP_R_TOO_BIG) },
	{ "ipv6 l3 length 500 fits a 500-mtu port",
	  PKT("2001:db8:5::1", 64, V6_L3(500)), FWD(VM1_PEER, VM1_MAC),
	  .reason = FP_R_FASTPATH },
	{ "ipv6 l3 length 501 to a 500-mtu port",
	  PKT("2001:db8:5::1", 64, V6_L3(501)), PASS(FP_R_TOO_BIG) },

	/* Exclusions win over routes, whatever the prefix lengths. */
	{ "ipv4 /32 exclusion inside a /24 route", PKT("198.18.3.7", 64, 18),
	  PASS(FP_R_EXCLUDED) },
	{ "ipv4 next to the /32 exclusion", PKT("198.18.3.8", 64, 18),
	  FWD(VM0_PEER, VM0_MAC), .reason = FP_R_FASTPATH },
	{ "ipv6 /128 exclusion inside a /64 route",
	  PKT("2001:db8:3::7", 64, 18), PASS(FP_R_EXCLUDED) },
	{ "ipv6 next to the /128 exclusion", PKT("2001:db8:3::8", 64, 18),
	  FWD(VM0_PEER, VM0_MAC), .reason = FP_R_FASTPATH },
	{ "ipv4 /20 exclusion over a /32 route", PKT("198.18.244.5", 64, 18),
	  PASS(FP_R_EXCLUDED) },
	{ "ipv6 /48 exclusion over a /128 route", PKT("2001:db8:4::5", 64, 18),
	  PASS(FP_R_EXCLUDED) },

	/* No route, unknown port, unknown MAC: the gateway. */
	{ "ipv4 no route", PKT("198.18.7.1", 64, 18), PASS(FP_R_MISS) },
	{ "ipv6 no route", PKT("2001:db8:7::1", 64, 18), PASS(FP_R_MISS) },
	{ "ipv4 route to a port missing from fp_ports",
	  PKT("198.18.6.1", 64, 18), PASS(FP_R_MISS) },
	{ "ipv6 route to a port missing from fp_ports",
	  PKT("2001:db8:6::1", 64, 18), PASS(FP_R_MISS) },
	{ "ipv4 route without a MAC", PKT("198.18.9.1", 64, 18),
	  PASS(FP_R_MISS) },
	{ "ipv6 route without a MAC", PKT("2001:db8:9::1", 64, 18),
	  PASS(FP_R_MISS) },
	{ "ipv4 port missing from the devmap", PKT("198.18.8.1", 64, 18),
	  PASS(FP_R_REDIRECT_ERR) },
	{ "ipv6 port missing from the devmap", PKT("2001:db8:8::1", 64, 18),
	  PASS(FP_R_REDIRECT_ERR) },

	/* Options and hop-by-hop: every router must see them. */
	{ "ipv4 options (ihl 6)", PKT("198.18.1.10", 64, 18),
	  .mutate = m_ip_options, PASS(FP_R_IP_OPTIONS) },
	{ "ipv6 hop-by-hop header", PKT("2001:db8:1::10", 64, 18),
	  .mutate = m_hop_by_hop, PASS(FP_R_IP_OPTIONS) },

	/* Multicast and broadcast. */
	{ "ipv4 multicast 224.0.0.5", PKT("224.0.0.5", 64, 18),
	  PASS(FP_R_MULTICAST) },
	{ "ipv4 multicast 239.255.255.250", PKT("239.255.255.250", 64, 18),
	  PASS(FP_R_MULTICAST) },
	{ "ipv4 broadcast 255.255.255.255", PKT("255.255.255.255", 64, 18),
	  PASS(FP_R_MULTICAST) },
	{ "ipv4 broadcast MAC to a routed address", PKT("198.18.1.10", 64, 18),
	  .mutate = m_bcast_mac, PASS(FP_R_MULTICAST) },
	{ "ipv6 multicast ff02::1", PKT("ff02::1", 64, 18),
	  PASS(FP_R_MULTICAST) },
	{ "ipv6 multicast MAC to a routed address",
	  PKT("2001:db8:1::10", 64, 18), .mutate = m_allnodes_mac,
	  PASS(FP_R_MULTICAST) },
	{ "ipv4 multicast with ttl 1", PKT("224.0.0.5", 1, 18),
	  PASS(FP_R_MULTICAST) },

	/* ARP, ND and everything that is not IP: the kernel answers. */
	{ "arp request", PKT("198.18.1.10", 64, 18), .mutate = m_arp,
	  PASS(FP_R_NOT_IP) },
	{ "vlan-tagged ipv4 to a routed address", PKT("198.18.1.10", 64, 18),
	  .mutate = m_vlan, PASS(FP_R_NOT_IP) },
	{ "lldp", PKT("198.18.1.10", 64, 18), .mutate = m_lldp,
	  PASS(FP_R_NOT_IP) },
	{ "ipv6 nd solicitation to the solicited-node group",
	  PKT("2001:db8:1::10", 64, 18), .mutate = m_ns_multicast,
	  PASS(FP_R_MULTICAST) },
	/* DESIGN.md: ND is passed like ARP, counted as not_ip. */
	{ "ipv6 nd unicast solicitation to a routed address",
	  PKT("2001:db8:1::10", 64, 18), .mutate = m_ns_unicast,
	  PASS(FP_R_NOT_IP) },

	/* Hostile sources: dropped and counted (issue 5). */
	{ "ipv4 multicast source", PKT("198.18.1.10", 64, 18),
	  .mutate = m_src4_multicast, .retval = XDP_DROP,
	  .reason = FP_R_BAD_SOURCE },
	{ "ipv4 loopback source", PKT("198.18.1.10", 64, 18),
	  .mutate = m_src4_loopback, .retval = XDP_DROP,
	  .reason = FP_R_BAD_SOURCE },
	{ "ipv4 class e source", PKT("198.18.1.10", 64, 18),
	  .mutate = m_src4_class_e, .retval = XDP_DROP,
	  .reason = FP_R_BAD_SOURCE },
	{ "ipv4 limited broadcast source", PKT("198.18.9.9", 64, 18),
	  .mutate = m_src4_limited_bcast, .retval = XDP_DROP,
	  .reason = FP_R_BAD_SOURCE },
	{ "ipv6 multicast source", PKT("2001:db8:1::10", 64, 18),
	  .mutate = m_src6_multicast, .retval = XDP_DROP,
	  .reason = FP_R_BAD_SOURCE },
	{ "ipv6 loopback source", PKT("2001:db8:1::10", 64, 18),
	  .mutate = m_src6_loopback, .retval = XDP_DROP,
	  .reason = FP_R_BAD_SOURCE },
	{ "ipv4 spoofed vm source", PKT("198.18.2.1", 64, 18),
	  .mutate = m_src4_vm, .retval = XDP_DROP, .reason = FP_R_SPOOFED },
	{ "ipv6 spoofed vm source", PKT("2001:db8:2::1", 64, 18),
	  .mutate = m_src6_vm, .retval = XDP_DROP, .reason = FP_R_SPOOFED },
	{ "ipv4 spoofed vm source to a miss", PKT("198.18.9.9", 64, 18),
	  .mutate = m_src4_vm, .retval = XDP_DROP, .reason = FP_R_SPOOFED },
	{ "ipv4 on-prem source under an nva route", PKT("198.18.2.1", 64, 18),
	  .mutate = m_src4_nva, FWD(VM0_PEER, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "ipv6 on-prem source under an nva route",
	  PKT("2001:db8:2::1", 64, 18), .mutate = m_src6_nva,
	  FWD(VM0_PEER, VM0_MAC), .reason = FP_R_FASTPATH },
	{ "ipv4 source in a prefix route, no host", PKT("198.18.2.1", 64, 18),
	  .mutate = m_src4_prefix, FWD(VM0_PEER, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "ipv4 vm host source under an nva route", PKT("198.18.2.1", 64, 18),
	  .mutate = m_src4_nva_vm, .retval = XDP_DROP, .reason = FP_R_SPOOFED },
	{ "ipv4 vm source, anti-spoofing off", PKT("198.18.2.1", 64, 18),
	  .mutate = m_src4_vm, .in = D_UP2, FWD(VM0_PEER, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "ipv6 vm source, anti-spoofing off", PKT("2001:db8:2::1", 64, 18),
	  .mutate = m_src6_vm, .in = D_UP2, FWD(VM0_PEER, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "ipv4 unicast to another mac", PKT("198.18.1.10", 64, 18),
	  .mutate = m_other_host, PASS(FP_R_OTHER_HOST) },
	{ "ipv6 unicast to another mac", PKT("2001:db8:1::10", 64, 18),
	  .mutate = m_other_host, PASS(FP_R_OTHER_HOST) },
	{ "802.1ad-tagged ipv4 to a routed address", PKT("198.18.1.10", 64, 18),
	  .mutate = m_qinq, PASS(FP_R_NOT_IP) },

	{ "ipv4 icmp error to a vm", PKT("198.18.1.10", 64, 18),
	  .mutate = m_icmp4_error, FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "ipv6 icmp error to a vm", PKT("2001:db8:1::10", 64, 18),
	  .mutate = m_icmp6_error, FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },

	/* Fragments: routed on L3 alone, every fragment alike. */
	{ "ipv4 first fragment", PKT("198.18.1.10", 64, 18),
	  .mutate = m_frag4_first, FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "ipv4 middle fragment", PKT("198.18.1.10", 64, 18),
	  .mutate = m_frag4_middle, FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "ipv4 last fragment", PKT("198.18.1.10", 64, 18),
	  .mutate = m_frag4_last, FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "ipv6 first fragment", PKT("2001:db8:1::10", 64, 18),
	  .mutate = m_frag6_first, FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "ipv6 later fragment", PKT("2001:db8:1::10", 64, 18),
	  .mutate = m_frag6_later, FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "ipv6 later icmpv6 fragment, data like nd",
	  PKT("2001:db8:1::10", 64, 18), .mutate = m_frag6_later_icmp,
	  FWD(VM0_LLADDR, VM0_MAC), .reason = FP_R_FASTPATH },

	/* IPv6 extension headers: forwarded on the fixed header's address. */
	{ "ipv6 destination options", PKT("2001:db8:1::10", 64, 18),
	  .mutate = m_dstopts, FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "ipv6 routing header", PKT("2001:db8:1::10", 64, 18),
	  .mutate = m_routing, FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "ipv6 unknown next header", PKT("2001:db8:1::10", 64, 18),
	  .mutate = m_unknown_nexthdr, FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "ipv6 chain of 5 extension headers", PKT("2001:db8:1::10", 64, 18),
	  .mutate = m_chain5, FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "ipv6 runaway chain of 7", PKT("2001:db8:1::10", 64, 18),
	  .mutate = m_chain7, PASS(FP_R_IP_OPTIONS) },
	{ "ipv6 hop-by-hop behind destination options",
	  PKT("2001:db8:1::10", 64, 18), .mutate = m_late_hopopts,
	  PASS(FP_R_IP_OPTIONS) },
	{ "ipv6 nd behind destination options", PKT("2001:db8:1::10", 64, 18),
	  .mutate = m_ns_behind_dstopts, PASS(FP_R_NOT_IP) },
	{ "ipv6 extension header cut by the frame's end",
	  PKT("2001:db8:1::10", 64, 18), .mutate = m_ext_truncated, DROP },

	/* Malformed: dropped, and counted. */
	{ "ethernet header only, ethertype ipv4", PKT("198.18.1.10", 64, 18),
	  .mutate = m_eth_only, DROP },
	{ "ethernet header only, ethertype ipv6", PKT("2001:db8:1::10", 64, 18),
	  .mutate = m_eth_only, DROP },
	{ "ipv4 header truncated to 19 bytes", PKT("198.18.1.10", 64, 18),
	  .mutate = m_ip4_truncated, DROP },
	{ "ipv6 header truncated to 39 bytes", PKT("2001:db8:1::10", 64, 18),
	  .mutate = m_ip6_truncated, DROP },
	{ "ipv4 ihl 4", PKT("198.18.1.10", 64, 18), .mutate = m_ihl4, DROP },
	{ "ipv4 ihl 0", PKT("198.18.1.10", 64, 18), .mutate = m_ihl0, DROP },
	{ "ipv4 ethertype, version 6", PKT("198.18.1.10", 64, 18),
	  .mutate = m_version6_in_ip4, DROP },
	{ "ipv6 ethertype, version 4", PKT("2001:db8:1::10", 64, 18),
	  .mutate = m_version4_in_ip6, DROP },
	{ "ipv4 tot_len one past the frame", PKT("198.18.1.10", 64, 18),
	  .mutate = m_tot_len_beyond, DROP },
	{ "ipv4 tot_len 19, below ihl*4", PKT("198.18.1.10", 64, 18),
	  .mutate = m_tot_len_19, DROP },
	{ "ipv4 tot_len 20 with ihl 6", PKT("198.18.1.10", 64, 18),
	  .mutate = m_options_tot_len_20, DROP },
	{ "ipv6 payload_len one past the frame", PKT("2001:db8:1::10", 64, 18),
	  .mutate = m_payload_len_beyond, DROP },

	/* Not from an uplink: untouched, whatever it is. */
	{ "ipv4 arriving on a vm port", PKT("198.18.1.10", 64, 18), .in = D_VM0,
	  PASS(FP_R_NOT_UPLINK) },
	{ "ipv6 arriving on a vm port", PKT("2001:db8:1::10", 64, 18),
	  .in = D_VM0, PASS(FP_R_NOT_UPLINK) },
	{ "malformed ipv4 arriving on the gateway port",
	  PKT("198.18.1.10", 64, 18), .mutate = m_ihl4, .in = D_GW0,
	  PASS(FP_R_NOT_UPLINK) },

	/* Uplink up1 has a gateway port: gateway verdicts go to gw0. */
	{ "gw port: ipv4 no route", PKT("198.18.7.1", 64, 18), .in = D_UP1,
	  FWD(GW_PEER, GW0_MAC), .reason = FP_R_MISS },
	{ "gw port: ipv6 no route", PKT("2001:db8:7::1", 64, 18), .in = D_UP1,
	  FWD(GW_PEER, GW0_MAC), .reason = FP_R_MISS },
	{ "gw port: ipv4 no route, ttl 2", PKT("198.18.7.1", 2, 18),
	  .in = D_UP1, FWD(GW_PEER, GW0_MAC), .reason = FP_R_MISS },
	{ "gw port: ipv4 excluded", PKT("198.18.3.7", 64, 18), .in = D_UP1,
	  FWD(GW_PEER, GW0_MAC), .reason = FP_R_EXCLUDED },
	{ "gw port: ipv6 excluded", PKT("2001:db8:4::5", 64, 18), .in = D_UP1,
	  FWD(GW_PEER, GW0_MAC), .reason = FP_R_EXCLUDED },
	{ "gw port: ipv4 route to a port missing from fp_ports",
	  PKT("198.18.6.1", 64, 18), .in = D_UP1, FWD(GW_PEER, GW0_MAC),
	  .reason = FP_R_MISS },
	{ "gw port: ipv6 route without a MAC", PKT("2001:db8:9::1", 64, 18),
	  .in = D_UP1, FWD(GW_PEER, GW0_MAC), .reason = FP_R_MISS },
	{ "gw port: ipv4 port missing from the devmap",
	  PKT("198.18.8.1", 64, 18), .in = D_UP1, FWD(GW_PEER, GW0_MAC),
	  .reason = FP_R_REDIRECT_ERR },
	{ "gw port: ipv4 fast-path route still wins",
	  PKT("198.18.1.10", 64, 18), .in = D_UP1, FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "gw port: ipv6 fast-path route still wins",
	  PKT("2001:db8:2::1", 64, 18), .in = D_UP1, FWD(VM0_PEER, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "gw port: ipv4 ttl 1 is passed", PKT("198.18.7.1", 1, 18),
	  .in = D_UP1, PASS(FP_R_TTL_EXPIRED) },
	{ "gw port: ipv4 too big is passed", PKT("198.18.5.1", 64, V4_L3(586)),
	  .in = D_UP1, PASS(FP_R_TOO_BIG) },
	{ "gw port: ipv6 multicast is passed", PKT("ff02::1", 64, 18),
	  .in = D_UP1, PASS(FP_R_MULTICAST) },
	{ "gw port: arp is passed", PKT("198.18.1.10", 64, 18), .mutate = m_arp,
	  .in = D_UP1, PASS(FP_R_NOT_IP) },
	{ "gw port: malformed is dropped", PKT("198.18.7.1", 64, 18),
	  .mutate = m_ihl4, .in = D_UP1, DROP },

	/* `fastpath explain` probes: normal path, reported, not counted. */
	{ "probe: ipv4 host route", PKT("198.18.1.10", 64, 18),
	  .meta = META_PROBE, FWD(VM0_LLADDR, VM0_MAC), .reason = FP_R_FASTPATH,
	  .probe_to = D_VM0 },
	{ "probe: ipv6 prefix route", PKT("2001:db8:2::1", 64, 18),
	  .meta = META_PROBE, FWD(VM0_PEER, VM0_MAC), .reason = FP_R_FASTPATH,
	  .probe_to = D_VM0 },
	{ "probe: ipv6 no route", PKT("2001:db8:7::1", 64, 18),
	  .meta = META_PROBE, PASS(FP_R_MISS), .probe_to = NO_PORT },
	{ "probe: ipv4 excluded", PKT("198.18.3.7", 64, 18), .meta = META_PROBE,
	  PASS(FP_R_EXCLUDED), .probe_to = NO_PORT },
	{ "probe: ipv4 excluded, gateway port", PKT("198.18.3.7", 64, 18),
	  .in = D_UP1, .meta = META_PROBE, FWD(GW_PEER, GW0_MAC),
	  .reason = FP_R_EXCLUDED, .probe_to = D_GW0 },
	{ "probe: ipv4 ttl 1", PKT("198.18.1.10", 1, 18), .meta = META_PROBE,
	  PASS(FP_R_TTL_EXPIRED), .probe_to = NO_PORT },
	{ "probe: ipv4 too big", PKT("198.18.5.1", 64, V4_L3(586)),
	  .meta = META_PROBE, PASS(FP_R_TOO_BIG), .probe_to = NO_PORT },
	{ "probe: ipv4 devmap miss", PKT("198.18.8.1", 64, 18),
	  .meta = META_PROBE, PASS(FP_R_REDIRECT_ERR), .probe_to = NO_PORT },
	{ "probe: truncated ipv4", PKT("198.18.1.10", 64, 18),
	  .mutate = m_ip4_truncated, .meta = META_PROBE, DROP,
	  .probe_to = NO_PORT },
	{ "probe: not an uplink", PKT("198.18.1.10", 64, 18), .in = D_VM0,
	  .meta = META_PROBE, PASS(FP_R_NOT_UPLINK), .probe_to = NO_PORT },
	{ "metadata without the probe magic is counted",
	  PKT("198.18.1.10", 64, 18), .meta = META_OTHER,
	  FWD(VM0_LLADDR, VM0_MAC), .reason = FP_R_FASTPATH },

	/*
	 * Trunk uplink up3: one tag or two name a circuit (recs[]) that then
	 * stands in for the uplink; a redirect pops the tags.
	 */
	{ "trunk: 802.1Q 100, ipv4 host route", PKT("198.18.1.10", 64, 18),
	  TRUNK(REC_100), TAGS(Q, 100), FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "trunk: 802.1Q 100, ipv6 host route", PKT("2001:db8:1::10", 64, 18),
	  TRUNK(REC_100), TAGS(Q, 100), FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "trunk: 802.1Q 200, ipv4 prefix route", PKT("198.18.2.1", 64, 18),
	  TRUNK(REC_200), TAGS(Q, 200), FWD(VM0_PEER, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "trunk: 802.1ad 300 + 802.1Q 400, ipv4 host route",
	  PKT("198.18.1.10", 64, 18), TRUNK(REC_300_400), TAGS(AD, 300, Q, 400),
	  FWD(VM0_LLADDR, VM0_MAC), .reason = FP_R_FASTPATH },
	{ "trunk: 802.1ad 300 + 802.1Q 400, ipv6 prefix route",
	  PKT("2001:db8:2::1", 64, 18), TRUNK(REC_300_400),
	  TAGS(AD, 300, Q, 400), FWD(VM0_PEER, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "trunk: 802.1Q 300 + 802.1Q 400, ipv4 host route",
	  PKT("198.18.1.10", 64, 18), TRUNK(REC_300_400), TAGS(Q, 300, Q, 400),
	  FWD(VM0_LLADDR, VM0_MAC), .reason = FP_R_FASTPATH },
	{ "trunk: 802.1Q 300 + 802.1Q 500, ipv6 host route",
	  PKT("2001:db8:1::10", 64, 18), TRUNK(REC_300_500),
	  TAGS(Q, 300, Q, 500), FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "trunk: 802.1Q 100 with PCP 7 and DEI 1", PKT("198.18.1.10", 64, 18),
	  TRUNK(REC_100), TAGS(Q, 0xf000 | 100), FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "trunk: QinQ 300/500, priority bits on both tags",
	  PKT("2001:db8:1::10", 64, 18), TRUNK(REC_300_500),
	  TAGS(AD, 0xb000 | 300, Q, 0x7000 | 500), FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "trunk: 802.1Q 100, ipv4 with Ethernet padding",
	  PKT("198.18.1.10", 64, 18), TRUNK(REC_100), TAGS(Q, 100),
	  .mutate = m_pad10, FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "trunk: 802.1Q 100, ipv4 ttl 2 leaves with 1",
	  PKT("198.18.1.10", 2, 18), TRUNK(REC_100), TAGS(Q, 100),
	  FWD(VM0_LLADDR, VM0_MAC), .reason = FP_R_FASTPATH },
	{ "trunk: 802.1Q 100, ipv4 checksum 0xfeff before",
	  PKT("198.18.1.10", 64, 18), TRUNK(REC_100), TAGS(Q, 100),
	  .mutate = m_check_feff, FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "trunk: 802.1Q 100, l3 length 500 fits a 500-mtu port",
	  PKT("198.18.5.1", 64, V4_L3(500)), TRUNK(REC_100), TAGS(Q, 100),
	  FWD(VM1_PEER, VM1_MAC), .reason = FP_R_FASTPATH },

	/* Tags that name no circuit: passed with the tags, no circuit counts. */
	{ "trunk: priority tag (VID 0)", PKT("198.18.1.10", 64, 18),
	  TRUNK(REC_NONE), TAGS(Q, 0), PASS(FP_R_UNKNOWN_VLAN) },
	{ "trunk: priority tag with PCP 5", PKT("198.18.1.10", 64, 18),
	  TRUNK(REC_NONE), TAGS(Q, 0xa000), PASS(FP_R_UNKNOWN_VLAN) },
	{ "trunk: VID 4095", PKT("198.18.1.10", 64, 18), TRUNK(REC_NONE),
	  TAGS(Q, 0x0fff), PASS(FP_R_UNKNOWN_VLAN) },
	{ "trunk: VID 4095 with PCP bits", PKT("198.18.1.10", 64, 18),
	  TRUNK(REC_NONE), TAGS(Q, 0xffff), PASS(FP_R_UNKNOWN_VLAN) },
	{ "trunk: unknown VID 101", PKT("198.18.1.10", 64, 18), TRUNK(REC_NONE),
	  TAGS(Q, 101), PASS(FP_R_UNKNOWN_VLAN) },
	{ "trunk: 802.1Q 100 with DEI alone", PKT("198.18.1.10", 64, 18),
	  TRUNK(REC_100), TAGS(Q, 0x1000 | 100), FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "trunk: C-tag 400 alone (a circuit only under S-tag 300)",
	  PKT("198.18.1.10", 64, 18), TRUNK(REC_NONE), TAGS(Q, 400),
	  PASS(FP_R_UNKNOWN_VLAN) },
	{ "trunk: S-tag 300 + unknown C-tag 401", PKT("198.18.1.10", 64, 18),
	  TRUNK(REC_NONE), TAGS(AD, 300, Q, 401), PASS(FP_R_UNKNOWN_VLAN) },
	{ "trunk: unknown S-tag 301 + C-tag 400", PKT("198.18.1.10", 64, 18),
	  TRUNK(REC_NONE), TAGS(AD, 301, Q, 400), PASS(FP_R_UNKNOWN_VLAN) },
	{ "trunk: S-tag 300 + C-tag 100 (a Dot1Q circuit's VID)",
	  PKT("198.18.1.10", 64, 18), TRUNK(REC_NONE), TAGS(AD, 300, Q, 100),
	  PASS(FP_R_UNKNOWN_VLAN) },
	{ "trunk: S-tag VID 0 + C-tag 100", PKT("198.18.1.10", 64, 18),
	  TRUNK(REC_NONE), TAGS(AD, 0, Q, 100), PASS(FP_R_UNKNOWN_VLAN) },
	{ "trunk: 802.1Q VID 0 + 802.1Q 200", PKT("198.18.7.1", 64, 18),
	  TRUNK(REC_NONE), TAGS(Q, 0, Q, 200), PASS(FP_R_UNKNOWN_VLAN) },
	{ "trunk: S-tag 300 + C-tag VID 0", PKT("198.18.1.10", 64, 18),
	  TRUNK(REC_NONE), TAGS(AD, 300, Q, 0), PASS(FP_R_UNKNOWN_VLAN) },
	{ "trunk: S-tag VID 4095 + C-tag 400", PKT("198.18.1.10", 64, 18),
	  TRUNK(REC_NONE), TAGS(AD, 0x0fff, Q, 400), PASS(FP_R_UNKNOWN_VLAN) },
	{ "trunk: a third tag behind QinQ 300/400", PKT("198.18.1.10", 64, 18),
	  TRUNK(REC_NONE), TAGS(AD, 300, Q, 400, Q, 100),
	  PASS(FP_R_UNKNOWN_VLAN) },
	{ "trunk: an S-tag behind QinQ 300/400", PKT("198.18.1.10", 64, 18),
	  TRUNK(REC_NONE), TAGS(AD, 300, Q, 400, AD, 100),
	  PASS(FP_R_UNKNOWN_VLAN) },
	{ "trunk: an S-tag behind 802.1Q 100", PKT("198.18.1.10", 64, 18),
	  TRUNK(REC_NONE), TAGS(Q, 100, AD, 300), PASS(FP_R_UNKNOWN_VLAN) },
	{ "trunk: S-tag inside an S-tag", PKT("198.18.1.10", 64, 18),
	  TRUNK(REC_NONE), TAGS(AD, 300, AD, 400), PASS(FP_R_UNKNOWN_VLAN) },
	{ "trunk: S-tag 300 alone", PKT("198.18.1.10", 64, 18), TRUNK(REC_NONE),
	  TAGS(AD, 300), PASS(FP_R_UNKNOWN_VLAN) },
	{ "trunk: S-tag alone with a Dot1Q circuit's VID 100",
	  PKT("198.18.1.10", 64, 18), TRUNK(REC_NONE), TAGS(AD, 100),
	  PASS(FP_R_UNKNOWN_VLAN) },

	/* A frame that ends inside a tag: malformed. */
	{ "trunk: frame ends inside the first tag", PKT("198.18.1.10", 64, 18),
	  TRUNK(REC_NONE), TAGS(Q, 100), .cut = 16, DROP },
	{ "trunk: frame ends one byte short of the first tag's end",
	  PKT("198.18.1.10", 64, 18), TRUNK(REC_NONE), TAGS(Q, 100), .cut = 17,
	  DROP },
	{ "trunk: frame ends inside the second tag", PKT("198.18.1.10", 64, 18),
	  TRUNK(REC_NONE), TAGS(AD, 300, Q, 400), .cut = 20, DROP },
	{ "trunk: frame ends inside an S-tag alone", PKT("198.18.1.10", 64, 18),
	  TRUNK(REC_NONE), TAGS(AD, 300), .cut = 16, DROP },
	{ "trunk: frame ends right behind the tag, ethertype ipv4",
	  PKT("198.18.1.10", 64, 18), TRUNK(REC_100), TAGS(Q, 100), .cut = 18,
	  DROP },

	/* Tags on an uplink that is no trunk: not IP, as ever. */
	{ "untagged uplink: 802.1Q 100 on up0", PKT("198.18.1.10", 64, 18),
	  TAGS(Q, 100), PASS(FP_R_NOT_IP) },
	{ "untagged uplink: QinQ 300/400 on up1", PKT("198.18.7.1", 64, 18),
	  .in = D_UP1, TAGS(AD, 300, Q, 400), PASS(FP_R_NOT_IP) },
	{ "untagged uplink: a cut tag on up0", PKT("198.18.1.10", 64, 18),
	  TAGS(Q, 100), .cut = 16, PASS(FP_R_NOT_IP) },

	/* The circuit's gateway: its port (popped), or passed with the tags. */
	{ "trunk: 802.1Q 100, ipv4 no route, no gateway port",
	  PKT("198.18.7.1", 64, 18), TRUNK(REC_100), TAGS(Q, 100),
	  PASS(FP_R_MISS) },
	{ "trunk: 802.1Q 200, ipv4 no route to gw3", PKT("198.18.7.1", 64, 18),
	  TRUNK(REC_200), TAGS(Q, 200), FWD(GW3_PEER, GW3_MAC),
	  .reason = FP_R_MISS },
	{ "trunk: 802.1Q 200, ipv6 no route to gw3",
	  PKT("2001:db8:7::1", 64, 18), TRUNK(REC_200), TAGS(Q, 200),
	  FWD(GW3_PEER, GW3_MAC), .reason = FP_R_MISS },
	{ "trunk: QinQ 300/500, ipv4 no route to gw3",
	  PKT("198.18.7.1", 64, 18), TRUNK(REC_300_500), TAGS(AD, 300, Q, 500),
	  FWD(GW3_PEER, GW3_MAC), .reason = FP_R_MISS },
	{ "trunk: QinQ 300/400, ipv6 no route, no gateway port",
	  PKT("2001:db8:7::1", 64, 18), TRUNK(REC_300_400),
	  TAGS(AD, 300, Q, 400), PASS(FP_R_MISS) },
	{ "trunk: 802.1Q 200, ipv4 excluded to gw3", PKT("198.18.3.7", 64, 18),
	  TRUNK(REC_200), TAGS(Q, 200), FWD(GW3_PEER, GW3_MAC),
	  .reason = FP_R_EXCLUDED },
	{ "trunk: QinQ 300/500, ipv6 excluded to gw3",
	  PKT("2001:db8:4::5", 64, 18), TRUNK(REC_300_500),
	  TAGS(AD, 300, Q, 500), FWD(GW3_PEER, GW3_MAC),
	  .reason = FP_R_EXCLUDED },
	{ "trunk: 802.1Q 100, ipv4 excluded, no gateway port",
	  PKT("198.18.3.7", 64, 18), TRUNK(REC_100), TAGS(Q, 100),
	  PASS(FP_R_EXCLUDED) },
	{ "trunk: 802.1Q 200, port missing from the devmap to gw3",
	  PKT("198.18.8.1", 64, 18), TRUNK(REC_200), TAGS(Q, 200),
	  FWD(GW3_PEER, GW3_MAC), .reason = FP_R_REDIRECT_ERR },

	/* Every other rule of the untagged path, on the inner packet. */
	{ "trunk: 802.1Q 100, arp", PKT("198.18.1.10", 64, 18), TRUNK(REC_100),
	  TAGS(Q, 100), .mutate = m_arp, PASS(FP_R_NOT_IP) },
	{ "trunk: QinQ 300/500, arp", PKT("198.18.1.10", 64, 18),
	  TRUNK(REC_300_500), TAGS(AD, 300, Q, 500), .mutate = m_arp,
	  PASS(FP_R_NOT_IP) },
	{ "trunk: 802.1Q 200, ipv6 nd unicast solicitation",
	  PKT("2001:db8:1::10", 64, 18), TRUNK(REC_200), TAGS(Q, 200),
	  .mutate = m_ns_unicast, PASS(FP_R_NOT_IP) },
	{ "trunk: 802.1Q 100, ipv4 ttl 1", PKT("198.18.1.10", 1, 18),
	  TRUNK(REC_100), TAGS(Q, 100), PASS(FP_R_TTL_EXPIRED) },
	{ "trunk: 802.1Q 200, ipv4 ttl 1, no route (not to gw3)",
	  PKT("198.18.7.1", 1, 18), TRUNK(REC_200), TAGS(Q, 200),
	  PASS(FP_R_TTL_EXPIRED) },
	{ "trunk: QinQ 300/400, ipv6 hop limit 1", PKT("2001:db8:1::10", 1, 18),
	  TRUNK(REC_300_400), TAGS(AD, 300, Q, 400), PASS(FP_R_TTL_EXPIRED) },
	{ "trunk: 802.1Q 200, ipv4 too big for vm1 (mtu 500)",
	  PKT("198.18.5.1", 64, V4_L3(586)), TRUNK(REC_200), TAGS(Q, 200),
	  PASS(FP_R_TOO_BIG) },
	{ "trunk: 802.1Q 100, ipv4 l3 length 501 to vm1 (mtu 500)",
	  PKT("198.18.5.1", 64, V4_L3(501)), TRUNK(REC_100), TAGS(Q, 100),
	  PASS(FP_R_TOO_BIG) },
	{ "trunk: 802.1Q 100, ipv4 ihl 4", PKT("198.18.1.10", 64, 18),
	  TRUNK(REC_100), TAGS(Q, 100), .mutate = m_ihl4, DROP },
	{ "trunk: 802.1Q 200, ipv4 header truncated to 19 bytes",
	  PKT("198.18.1.10", 64, 18), TRUNK(REC_200), TAGS(Q, 200),
	  .mutate = m_ip4_truncated, DROP },
	{ "trunk: QinQ 300/400, ipv6 payload_len past the frame",
	  PKT("2001:db8:1::10", 64, 18), TRUNK(REC_300_400),
	  TAGS(AD, 300, Q, 400), .mutate = m_payload_len_beyond, DROP },
	{ "trunk: 802.1Q 100, ipv4 tot_len past the frame (tags not counted)",
	  PKT("198.18.1.10", 64, 18), TRUNK(REC_100), TAGS(Q, 100),
	  .mutate = m_tot_len_beyond, DROP },
	{ "trunk: 802.1Q 100, ipv4 spoofed vm source",
	  PKT("198.18.2.1", 64, 18), TRUNK(REC_100), TAGS(Q, 100),
	  .mutate = m_src4_vm, .retval = XDP_DROP, .reason = FP_R_SPOOFED },
	{ "trunk: 802.1Q 100, ipv4 loopback source", PKT("198.18.1.10", 64, 18),
	  TRUNK(REC_100), TAGS(Q, 100), .mutate = m_src4_loopback,
	  .retval = XDP_DROP, .reason = FP_R_BAD_SOURCE },
	{ "trunk: 802.1Q 100, ipv4 options", PKT("198.18.1.10", 64, 18),
	  TRUNK(REC_100), TAGS(Q, 100), .mutate = m_ip_options,
	  PASS(FP_R_IP_OPTIONS) },
	{ "trunk: 802.1Q 200, ipv4 multicast", PKT("224.0.0.5", 64, 18),
	  TRUNK(REC_200), TAGS(Q, 200), PASS(FP_R_MULTICAST) },
	{ "trunk: 802.1Q 100, broadcast MAC", PKT("198.18.1.10", 64, 18),
	  TRUNK(REC_100), TAGS(Q, 100), .mutate = m_bcast_mac,
	  PASS(FP_R_MULTICAST) },
	/* The MACs come before the tags: no circuit is looked up. */
	{ "trunk: 802.1Q 100 to another mac", PKT("198.18.1.10", 64, 18),
	  TRUNK(REC_NONE), TAGS(Q, 100), .mutate = m_other_host,
	  PASS(FP_R_OTHER_HOST) },

	/* Untagged on the trunk: the uplink's own verdicts. */
	{ "trunk: untagged ipv4 host route", PKT("198.18.1.10", 64, 18),
	  TRUNK(REC_NONE), FWD(VM0_LLADDR, VM0_MAC), .reason = FP_R_FASTPATH },
	{ "trunk: untagged ipv6 host route", PKT("2001:db8:1::10", 64, 18),
	  TRUNK(REC_NONE), FWD(VM0_LLADDR, VM0_MAC), .reason = FP_R_FASTPATH },
	{ "trunk: untagged ipv4 no route to the uplink's gw0",
	  PKT("198.18.7.1", 64, 18), TRUNK(REC_NONE), FWD(GW_PEER, GW0_MAC),
	  .reason = FP_R_MISS },
	{ "trunk: untagged arp", PKT("198.18.1.10", 64, 18), TRUNK(REC_NONE),
	  .mutate = m_arp, PASS(FP_R_NOT_IP) },
	{ "trunk: untagged, ethernet header only", PKT("198.18.1.10", 64, 18),
	  TRUNK(REC_NONE), .mutate = m_eth_only, DROP },

	/* Probes of tagged frames: reported, not counted, popped as ever. */
	{ "probe: trunk 802.1Q 100, ipv4 host route",
	  PKT("198.18.1.10", 64, 18), TRUNK(REC_100), TAGS(Q, 100),
	  .meta = META_PROBE, FWD(VM0_LLADDR, VM0_MAC), .reason = FP_R_FASTPATH,
	  .probe_to = D_VM0 },
	{ "probe: trunk QinQ 300/400, ipv6 prefix route",
	  PKT("2001:db8:2::1", 64, 18), TRUNK(REC_300_400),
	  TAGS(AD, 300, Q, 400), .meta = META_PROBE, FWD(VM0_PEER, VM0_MAC),
	  .reason = FP_R_FASTPATH, .probe_to = D_VM0 },
	{ "probe: trunk 802.1Q 200, ipv4 no route to gw3",
	  PKT("198.18.7.1", 64, 18), TRUNK(REC_200), TAGS(Q, 200),
	  .meta = META_PROBE, FWD(GW3_PEER, GW3_MAC), .reason = FP_R_MISS,
	  .probe_to = D_GW3 },
	{ "probe: trunk 802.1Q 100, ipv4 no route", PKT("198.18.7.1", 64, 18),
	  TRUNK(REC_100), TAGS(Q, 100), .meta = META_PROBE, PASS(FP_R_MISS),
	  .probe_to = NO_PORT },
	{ "probe: trunk unknown VID", PKT("198.18.1.10", 64, 18),
	  TRUNK(REC_NONE), TAGS(Q, 101), .meta = META_PROBE,
	  PASS(FP_R_UNKNOWN_VLAN), .probe_to = NO_PORT },
	{ "metadata without the probe magic, trunk 802.1Q 100",
	  PKT("198.18.1.10", 64, 18), TRUNK(REC_100), TAGS(Q, 100),
	  .meta = META_OTHER, FWD(VM0_LLADDR, VM0_MAC),
	  .reason = FP_R_FASTPATH },
	{ "metadata without the probe magic, trunk to gw3",
	  PKT("198.18.7.1", 64, 18), TRUNK(REC_300_500), TAGS(AD, 300, Q, 500),
	  .meta = META_OTHER, FWD(GW3_PEER, GW3_MAC), .reason = FP_R_MISS },
};

static int build_frame(const struct row *r, __u8 *f)
{
	struct fp_pktspec s = { .ttl = r->ttl, .payload = r->payload };
	int family = strchr(r->dst, ':') ? AF_INET6 : AF_INET;
	int len;

	memcpy(s.dmac, devs[r->in].mac, 6);
	memcpy(s.smac, OP_MAC, 6);
	s.src.family = s.dst.family = family;
	if (inet_pton(family, r->dst, s.dst.addr) != 1 ||
	    inet_pton(family, family == AF_INET ? SRC4 : SRC6, s.src.addr) != 1)
		return -1;
	len = fp_pkt__build(&s, f, FRAME_MAX);
	if (len > 0 && r->mutate)
		len = r->mutate(f, len);
	return len;
}

static int ntags(const struct row *r)
{
	int n = 0;

	while (n < 3 && r->tag[2 * n])
		n++;
	return n;
}

/* The row's tags behind the MACs of the frame plain: into f, its length. */
static int tagged_frame(const struct row *r, const __u8 *plain, int len,
			__u8 *f)
{
	int n = ntags(r), tl = 4 * n;

	if (len < 12 || len + tl > FRAME_MAX)
		return -1;
	memcpy(f, plain, 12);
	for (int i = 0; i < n; i++) {
		f[12 + 4 * i] = r->tag[2 * i] >> 8;
		f[13 + 4 * i] = r->tag[2 * i] & 0xff;
		f[14 + 4 * i] = r->tag[2 * i + 1] >> 8;
		f[15 + 4 * i] = r->tag[2 * i + 1] & 0xff;
	}
	memcpy(f + 12 + tl, plain + 12, len - 12);
	len += tl;
	if (r->cut) {
		if (r->cut >= len)
			return -1;
		len = r->cut;
	}
	return len;
}

/*
 * What a router would send: new MACs, one hop less, checksum anew, from
 * the frame before it was tagged (a redirect leaves without the tags).
 * Anything not redirected comes back as it went in, tags and all.
 */
static int expected_frame(const struct row *r, const __u8 *plain, int plen,
			  const __u8 *in, int len, __u8 *want)
{
	if (!r->dmac) {
		memcpy(want, in, len);
		return len;
	}
	memcpy(want, plain, plen);
	memcpy(want, r->dmac, 6);
	memcpy(want + 6, r->smac, 6);
	if (want[12] == 0x08 && want[13] == 0x00) {
		ip4(want)->ttl--;
		ip4_checksum(want);
	} else {
		ip6(want)->hop_limit--;
	}
	return plen;
}

static void read_counters(struct fp_counter sum[FP_R_MAX])
{
	check_int("read fp_stats", 0, fp_test__counters(stats_fd, sum));
}

/* Exactly the row's reason moved, by one packet of len bytes. */
static void check_counters(const struct row *r,
			   const struct fp_counter before[FP_R_MAX],
			   const struct fp_counter after[FP_R_MAX], int len)
{
	char what[96];
	__u32 reason = r->reason;

	for (__u32 i = 0; i < FP_R_MAX; i++) {
		bool counted = r->meta != META_PROBE && i == reason;

		snprintf(what, sizeof(what), "counter %s: packets moved by",
			 fp_reason_name(i));
		check_int(what, counted, after[i].packets - before[i].packets);
		snprintf(what, sizeof(what), "counter %s: bytes moved by",
			 fp_reason_name(i));
		check_int(what, counted ? len : 0,
			  after[i].bytes - before[i].bytes);
	}
}

/* The fp_vlanstat slot of each of up3's circuits, summed over the CPUs. */
static void read_vstat(struct fp_counter sum[REC_MAX][VC_MAX])
{
	memset(sum, 0, REC_MAX * sizeof(*sum));
	for (int i = REC_NONE + 1; i < REC_MAX; i++) {
		struct fp_vlan_key k = { .ifindex = ifidx[D_UP3],
					 .outer = recs[i].outer,
					 .inner = recs[i].inner };
		struct fp_vlan v;

		check_int("bpf_map_lookup_elem(fp_vlans)", 0,
			  bpf_map_lookup_elem(vlans_fd, &k, &v) ? -errno : 0);
		check_int("bpf_map_lookup_elem(fp_vlanstat)", 0,
			  bpf_map_lookup_elem(vlanstat_fd, &v.stat, percpu_v) ?
				  -errno :
				  0);
		for (int c = 0; c < ncpus; c++) {
			const struct fp_counter *by[VC_MAX] = {
				&percpu_v[c].fast, &percpu_v[c].gateway,
				&percpu_v[c].other
			};

			for (int k2 = 0; k2 < VC_MAX; k2++) {
				sum[i][k2].packets += by[k2]->packets;
				sum[i][k2].bytes += by[k2]->bytes;
			}
		}
	}
}

/* The class a circuit counts a verdict in: fast, gateway or other. */
static enum vclass vclass_of(__u32 reason)
{
	switch (reason) {
	case FP_R_FASTPATH:
		return VC_FAST;
	case FP_R_MISS:
	case FP_R_EXCLUDED:
	case FP_R_REDIRECT_ERR:
	case FP_R_CONN_OFF:
	case FP_R_OVER_BUDGET:
		return VC_GATEWAY;
	default:
		return VC_OTHER;
	}
}

/* Only the row's circuit moved, in the verdict's class, by len bytes. */
static void check_vstat(const struct row *r,
			const struct fp_counter before[REC_MAX][VC_MAX],
			const struct fp_counter after[REC_MAX][VC_MAX], int len)
{
	static const char *const names[VC_MAX] = { "fast", "gateway", "other" };
	enum vclass want = vclass_of(r->reason);
	char what[96];

	for (int i = REC_NONE + 1; i < REC_MAX; i++) {
		for (int c = 0; c < VC_MAX; c++) {
			bool counted = r->meta != META_PROBE &&
				       i == (int)r->rec && c == (int)want;

			snprintf(what, sizeof(what),
				 "fp_vlanstat %u/%u %s: packets moved by",
				 recs[i].outer, recs[i].inner, names[c]);
			check_int(what, counted,
				  after[i][c].packets - before[i][c].packets);
			snprintf(what, sizeof(what),
				 "fp_vlanstat %u/%u %s: bytes moved by",
				 recs[i].outer, recs[i].inner, names[c]);
			check_int(what, counted ? len : 0,
				  after[i][c].bytes - before[i][c].bytes);
		}
	}
}

/*
 * One run of the row's frame, with metadata m in front: META_NONE lets
 * the program judge a plain frame in its lane, any metadata sends it
 * through handle() (bpf/fastpath.bpf.c), so a row without metadata runs
 * both ways and must come out the same.
 */
static void run_pass(const struct row *r, enum meta m)
{
	static __u8 in[META_LEN + FRAME_MAX], out[2 * FRAME_MAX],
		want[FRAME_MAX], plain[FRAME_MAX];
	struct fp_counter before[FP_R_MAX], after[FP_R_MAX];
	struct fp_counter vbefore[REC_MAX][VC_MAX], vafter[REC_MAX][VC_MAX];
	int meta = m == META_NONE ? 0 : META_LEN;
	struct fp_probe probe = { 0 };
	struct xdp_md ctx = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, t);
	int len, plen, want_len, err;

	print_message("%s: expect %s, counter %s%s\n", r->name,
		      fp_test__xdp_name(r->retval), fp_reason_name(r->reason),
		      m == META_PROBE ? " (probe: uncounted)" :
		      m != r->meta    ? " (again, behind metadata)" :
					"");
	memset(in, 0, sizeof(in));
	memset(plain, 0, sizeof(plain));
	plen = build_frame(r, plain);
	check_true("the frame was built", plen > 0 && plen <= FRAME_MAX);
	len = tagged_frame(r, plain, plen, in + meta);
	check_true("the frame was tagged", len >= ETH_HLEN);
	want_len = expected_frame(r, plain, plen, in + meta, len, want);
	if (m == META_PROBE)
		probe.magic = FP_EXPLAIN_MAGIC;
	memcpy(in, &probe, meta);

	ctx.data = meta;
	ctx.data_end = meta + len;
	ctx.ingress_ifindex = ifidx[r->in];
	t.data_in = in;
	t.data_size_in = meta + len;
	t.data_out = out;
	t.data_size_out = sizeof(out);
	t.ctx_in = &ctx;
	t.ctx_size_in = sizeof(ctx);

	read_counters(before);
	read_vstat(vbefore);
	err = bpf_prog_test_run_opts(prog_fd, &t);
	if (err)
		err = -errno;
	read_counters(after);
	read_vstat(vafter);

	check_int("bpf_prog_test_run_opts", 0, err);
	if (t.retval != r->retval) {
		print_error("verdict: expected %s, saw %s\n",
			    fp_test__xdp_name(r->retval),
			    fp_test__xdp_name(t.retval));
		fail();
		abort();
	}
	check_int("bytes out (metadata + frame)", meta + want_len,
		  t.data_size_out);
	check_mem(r->dmac ? "frame out (rewritten)" : "frame out (untouched)",
		  want, out + meta, want_len);
	check_counters(r, before, after, len);
	check_vstat(r, vbefore, vafter, len);

	if (m == META_PROBE) {
		memcpy(&probe, out, sizeof(probe));
		check_int("probe magic", FP_EXPLAIN_MAGIC, probe.magic);
		if (probe.reason != r->reason) {
			print_error("probe reason: expected %s, saw %s\n",
				    fp_reason_name(r->reason),
				    fp_reason_name(probe.reason));
			fail();
			abort();
		}
		check_int("probe ifindex",
			  r->probe_to == NO_PORT ? 0 : ifidx[r->probe_to],
			  probe.ifindex);
	} else if (meta) {
		check_mem("metadata out (untouched)", in, out, meta);
	}
}

static void run_row(void **state)
{
	const struct row *r = *state;

	run_pass(r, r->meta);
	if (r->meta == META_NONE)
		run_pass(r, META_OTHER);
}

/* Setup: namespace, devices, object, maps. */

static int make_devices(void)
{
	return fp_test__devices(devs, D_MAX, ifidx);
}

/* Ports, routes and exclusions go in through the loader, as the CLI's do. */
static struct fp_maps fib_maps;

static int add_port(enum dev d, const __u8 *peer, __u16 mtu, bool tx)
{
	if (fp_test__port(&fib_maps, ifidx[d], devs[d].name, devs[d].mac, peer,
			  mtu, 0))
		return -1;
	return tx ? 0 : fp_test__untx(&fib_maps, ifidx[d]);
}

static int fib_prefix(const char *addr, __u32 len, struct fp_prefix *p)
{
	if (fp_parse_addr(addr, p))
		return -1;
	p->len = len;
	return 0;
}

static int add_route(const char *addr, __u32 len, enum dev d, const __u8 *dmac)
{
	return fp_test__route(&fib_maps, addr, len, ifidx[d], dmac);
}

static int add_excl(const char *addr, __u32 len, __u32 class)
{
	struct fp_prefix p;

	return fib_prefix(addr, len, &p) ||
	       fp_fib__exclude(&fib_maps, &p, class);
}

/* up3's tagged circuits, outside the model, as `uplink add --vlan` does. */
static int add_recs(void)
{
	for (int i = REC_NONE + 1; i < REC_MAX; i++) {
		struct fp_uplink cir = { .gw_ifindex =
						 recs[i].gw3 ? ifidx[D_GW3] : 0,
					 .xallow = FP_XALLOW_DEFAULT };
		int err = fp_vlans__put(&fib_maps, ifidx[D_UP3], recs[i].outer,
					recs[i].inner, &cir, NULL, NULL);

		if (err) {
			print_error("fp_vlans__put %u/%u: %s\n", recs[i].outer,
				    recs[i].inner, strerror(-err));
			return -1;
		}
	}
	return 0;
}

static int fill_maps(void)
{
	struct fp_uplink up0 = { 0 }, up1 = { .gw_ifindex = ifidx[D_GW0] };
	struct fp_uplink up2 = { .flags = FP_UPLINK_F_ALLOW_SPOOFED };
	struct fp_uplink up3 = { .gw_ifindex = ifidx[D_GW0] };

	memcpy(up0.mac, UP0_MAC, 6);
	memcpy(up1.mac, UP1_MAC, 6);
	memcpy(up2.mac, UP2_MAC, 6);
	memcpy(up3.mac, UP3_MAC, 6);

	fib_maps.skel = skel;
	return fp_maps__fill_fds(&fib_maps) ||
	       fp_uplinks__put(&fib_maps, ifidx[D_UP0], &up0) ||
	       fp_uplinks__put(&fib_maps, ifidx[D_UP1], &up1) ||
	       fp_uplinks__put(&fib_maps, ifidx[D_UP2], &up2) ||
	       fp_uplinks__put(&fib_maps, ifidx[D_UP3], &up3) ||
	       add_port(D_VM0, VM0_PEER, 1500, true) ||
	       add_port(D_VM1, VM1_PEER, 500, true) ||
	       add_port(D_VM3, VM3_PEER, 1500, false) ||
	       add_port(D_GW0, GW_PEER, 1500, true) ||
	       add_port(D_GW3, GW3_PEER, 1500, true) || add_recs() ||
	       /* IPv4 */
	       add_route("198.18.1.10", 32, D_VM0, VM0_LLADDR) ||
	       add_route("198.18.2.0", 24, D_VM0, VM0_PEER) ||
	       add_route("198.18.2.128", 25, D_VM1, VM1_PEER) ||
	       add_route("198.18.3.0", 24, D_VM0, VM0_PEER) ||
	       add_excl("198.18.3.7", 32, FP_CLASS_PEERING) ||
	       add_route("198.18.244.5", 32, D_VM0, VM0_PEER) ||
	       add_excl("198.18.240.0", 20, FP_CLASS_PRIVATE_LINK) ||
	       add_route("198.18.5.0", 24, D_VM1, VM1_PEER) ||
	       add_route("198.18.6.0", 24, D_VM2, VM0_PEER) ||
	       add_route("198.18.8.0", 24, D_VM3, VM3_PEER) ||
	       add_route("198.18.9.0", 24, D_VM0, NO_MAC) ||
	       /* an NVA's wide route, and a VM's address inside it */
	       add_route("198.18.64.0", 18, D_VM0, VM0_PEER) ||
	       add_route("198.18.100.50", 32, D_VM0, VM0_PEER) ||
	       /* IPv6 */
	       add_route("2001:db8:1::10", 128, D_VM0, VM0_LLADDR) ||
	       add_route("2001:db8:2::", 64, D_VM0, VM0_PEER) ||
	       add_route("2001:db8:2:0:8000::", 65, D_VM1, VM1_PEER) ||
	       add_route("2001:db8:3::", 64, D_VM0, VM0_PEER) ||
	       add_excl("2001:db8:3::7", 128, FP_CLASS_BASIC_LB) ||
	       add_route("2001:db8:4::5", 128, D_VM0, VM0_PEER) ||
	       add_excl("2001:db8:4::", 48, FP_CLASS_OTHER) ||
	       add_route("2001:db8:5::", 64, D_VM1, VM1_PEER) ||
	       add_route("2001:db8:6::", 64, D_VM2, VM0_PEER) ||
	       add_route("2001:db8:8::", 64, D_VM3, VM3_PEER) ||
	       add_route("2001:db8:9::", 64, D_VM0, NO_MAC) ||
	       add_route("2001:db8:a000::", 35, D_VM0, VM0_PEER);
}

static int group_setup(void **state)
{
	if (fp_test__netns() || make_devices())
		return -1;
	skel = fp_test__load();
	if (!skel)
		return -1;
	prog_fd = bpf_program__fd(skel->progs.fastpath_xdp);
	stats_fd = bpf_map__fd(skel->maps.fp_stats);
	vlans_fd = bpf_map__fd(skel->maps.fp_vlans);
	vlanstat_fd = bpf_map__fd(skel->maps.fp_vlanstat);
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		print_error("libbpf_num_possible_cpus: %s\n", strerror(-ncpus));
		return -1;
	}
	percpu_v = calloc(ncpus, sizeof(*percpu_v));
	if (!percpu_v) {
		print_error("calloc: %s\n", strerror(errno));
		return -1;
	}
	return fill_maps() ? -1 : 0;
}

static int group_teardown(void **state)
{
	fastpath__destroy(skel);
	skel = NULL;
	free(percpu_v);
	percpu_v = NULL;
	return 0;
}

/*
 * Not a row: the kernel's own floor. BPF_PROG_TEST_RUN refuses an XDP
 * frame shorter than an Ethernet header, with or without metadata in
 * front, so the shortest malformed rows are 14 bytes (an Ethernet header
 * and no IP header). Should a kernel ever accept 13 bytes, this fails and
 * a 13-byte row belongs in the table.
 */
static void test_kernel_refuses_runt(void **state)
{
	__u8 in[META_LEN + 13] = { 0 }, out[128];
	char what[64];

	for (int meta = 0; meta <= META_LEN; meta += META_LEN) {
		struct xdp_md ctx = { .data = meta,
				      .data_end = meta + 13,
				      .ingress_ifindex = ifidx[D_UP0] };
		LIBBPF_OPTS(bpf_test_run_opts, t);
		int err;

		t.data_in = in;
		t.data_size_in = meta + 13;
		t.data_out = out;
		t.data_size_out = sizeof(out);
		t.ctx_in = &ctx;
		t.ctx_size_in = sizeof(ctx);
		err = bpf_prog_test_run_opts(prog_fd, &t);

		snprintf(what, sizeof(what),
			 "test run of 13 bytes after %d of metadata", meta);
		check_int(what, -EINVAL, err ? -errno : 0);
	}
}

int main(void)
{
	static struct CMUnitTest tests[ARRAY_SIZE(rows) + 1];

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		tests[i].name = rows[i].name;
		tests[i].test_func = run_row;
		tests[i].initial_state = (void *)&rows[i];
	}
	tests[ARRAY_SIZE(rows)] =
		(struct CMUnitTest)cmocka_unit_test(test_kernel_refuses_runt);

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests_name("xdp", tests, group_setup,
					   group_teardown);
}
