// SPDX-License-Identifier: GPL-2.0
/*
 * The return path's verdict table: fastpath_port (VM -> on-prem) run with
 * BPF_PROG_TEST_RUN against the real object, as tests/test_xdp.c runs
 * fastpath_xdp, in a private network namespace with veth devices for the
 * ifindexes the maps name. Each row builds a frame (UDP, from src to dst,
 * arriving on a device), builds the frame it expects back independently
 * of the program (MACs set, TTL/hop limit decremented, IPv4 checksum from
 * scratch), and checks the verdict, the bytes, and that exactly one
 * counter of the program's own map moved (fp_rstats for fastpath_port,
 * fp_stats for fastpath_xdp), by one packet and the frame's length, and
 * none of the other's.
 *
 * The entries go in through the loader's writers: VM host entries with
 * fp_fib__set, on-prem prefixes with fp_onprem__add (the same tables,
 * FP_ROUTE_F_ONPREM results naming an uplink and the next hop's MAC).
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
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>

#include "fastpath.skel.h"
#include "harness.h"
#include "check.h"
#include "fib.h"
#include "ifinfo.h"
#include "onprem.h"
#include "parse.h"
#include "pktgen.h"
#include "port.h"
#include "uplink.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define FRAME_MAX 2048
#define META_LEN ((int)sizeof(struct fp_probe))

static const __u8 OP_MAC[6] = { 0x02, 0, 0, 0, 0x00, 0xaa }; /* next hop */
static const __u8 UP0_MAC[6] = { 0x02, 0, 0, 0, 0x00, 0x01 };
static const __u8 UP1_MAC[6] = { 0x02, 0, 0, 0, 0x00, 0x02 };
static const __u8 VM0_MAC[6] = { 0x02, 0, 0, 0, 0x10, 0x00 }; /* port */
static const __u8 VM0_PEER[6] = { 0x02, 0, 0, 0, 0x10, 0x01 }; /* the VM */
static const __u8 VM1_MAC[6] = { 0x02, 0, 0, 0, 0x11, 0x00 };
static const __u8 VM1_PEER[6] = { 0x02, 0, 0, 0, 0x11, 0x01 };
static const __u8 OTHER_MAC[6] = { 0x02, 0, 0, 0, 0x99, 0x99 };
static const __u8 BCAST_MAC[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/*
 *   up0  uplink; egress record MTU 1500; on-prem 198.18.100.0/24,
 *        198.18.102.0/24 (next hop unresolved), 2001:db8:100::/64
 *   up1  uplink; egress record MTU 500: on-prem 198.18.101.0/24
 *   vm0  port with the return path on; 198.18.1.10, 2001:db8:1::10
 *   vm1  port with the return path off; 198.18.2.10, 2001:db8:2::10,
 *        and a VM route 198.18.3.0/24
 */
enum dev { D_UP0, D_UP1, D_VM0, D_VM1, D_MAX };

static const struct fp_test_dev devs[D_MAX] = {
	[D_UP0] = { "up0", "op0", UP0_MAC },
	[D_UP1] = { "up1", "op1", UP1_MAC },
	[D_VM0] = { "vm0", "vmp0", VM0_MAC },
	[D_VM1] = { "vm1", "vmp1", VM1_MAC },
};

static __u32 ifidx[D_MAX];
static struct fastpath *skel;
static struct fp_maps maps;

enum prog { P_PORT, P_UPLINK };

struct row {
	const char *name;
	enum prog prog;
	enum dev in;
	const char *src, *dst; /* their family is the frame's */
	int (*mutate)(__u8 *f, int len);
	const __u8 *dmac, *smac; /* the rewrite expected; NULL: untouched */
	__u32 retval, reason;
	enum dev out; /* a probe's redirect target; D_MAX: none */
	__u16 payload;
	__u8 ttl;
	bool probe; /* an explain probe in the metadata: not counted */
	bool finished; /* out: the UDP checksum computed here, from scratch */
};

#define FWD(d, s)                                                     \
	.retval = XDP_REDIRECT, .reason = FP_R_FASTPATH, .dmac = (d), \
	.smac = (s)
#define PASS(r) .retval = XDP_PASS, .reason = (r)
#define DROP(r) .retval = XDP_DROP, .reason = (r)
#define V4(s, d) .src = (s), .dst = (d), .ttl = 64, .payload = 32
#define V6(s, d) .src = (s), .dst = (d), .ttl = 64, .payload = 32

/* ---- frame bytes, independent of loader/ and bpf/ ----------------------- */

static __u32 csum_add(__u32 sum, const void *data, size_t len)
{
	const __u8 *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (__u32)p[len - 1] << 8;
	return sum;
}

static __u16 fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static bool is_ip4(const __u8 *f)
{
	return f[12] == 0x08 && f[13] == 0x00;
}

static void ip4_checksum(__u8 *f)
{
	__u8 *ip = f + ETH_HLEN;

	ip[10] = ip[11] = 0;
	__u16 c = ~fold(csum_add(0, ip, 20)) & 0xffff;
	ip[10] = c >> 8;
	ip[11] = c & 0xff;
}

/*
 * What a sender with checksum offload leaves in a UDP header: the folded
 * pseudo-header sum (RFC 768, RFC 8200 8.1), not the checksum.
 */
static int m_csum_partial(__u8 *f, int len)
{
	__u8 pseudo[40] = { 0 }, *udp;
	int alen = is_ip4(f) ? 4 : 16, l4 = is_ip4(f) ? 20 : 40;
	__u32 sum, ulen;

	udp = f + ETH_HLEN + l4;
	ulen = (__u32)udp[4] << 8 | udp[5];
	memcpy(pseudo, f + ETH_HLEN + (is_ip4(f) ? 12 : 8), 2 * alen);
	sum = csum_add(0, pseudo, 2 * alen) + IPPROTO_UDP + ulen;
	sum = fold(sum);
	udp[6] = sum >> 8;
	udp[7] = sum & 0xff;
	return len;
}

/* The UDP header and the sum of the pseudo-header, of frame f. */
static __u8 *udp_pseudo(const __u8 *f, __u32 *sum)
{
	__u8 pseudo[32];
	int alen = is_ip4(f) ? 4 : 16, l4 = is_ip4(f) ? 20 : 40;
	__u8 *udp = (__u8 *)f + ETH_HLEN + l4;
	__u32 ulen = (__u32)udp[4] << 8 | udp[5];

	memcpy(pseudo, f + ETH_HLEN + (is_ip4(f) ? 12 : 8), 2 * alen);
	*sum = csum_add(0, pseudo, 2 * alen) + IPPROTO_UDP + ulen;
	return udp;
}

/*
 * A finished checksum that equals the pseudo-header sum, as if left for
 * offload: the payload's last two bytes are chosen so that the frame
 * still verifies. The program must not tell it from a partial one, and
 * need not: finishing it gives the same bytes.
 */
static int m_csum_like_partial(__u8 *f, int len)
{
	__u32 sum, ulen;
	__u8 *udp = udp_pseudo(f, &sum);
	__u16 p = fold(sum), x;

	ulen = (__u32)udp[4] << 8 | udp[5];
	udp[6] = p >> 8;
	udp[7] = p & 0xff;
	udp[ulen - 2] = udp[ulen - 1] = 0;
	x = ~fold(sum + csum_add(0, udp, ulen)) & 0xffff;
	udp[ulen - 2] = x >> 8;
	udp[ulen - 1] = x & 0xff;
	check_int("the frame verifies", 0xffff,
		  fold(sum + csum_add(0, udp, ulen)));
	return len;
}

/* The finished UDP checksum of frame f, by RFC 768 / RFC 8200 8.1. */
static void udp_checksum(__u8 *f)
{
	__u32 sum, ulen;
	__u8 *udp = udp_pseudo(f, &sum);
	__u16 c;

	ulen = (__u32)udp[4] << 8 | udp[5];
	udp[6] = udp[7] = 0;
	c = ~fold(sum + csum_add(0, udp, ulen)) & 0xffff;
	if (!c)
		c = 0xffff;
	udp[6] = c >> 8;
	udp[7] = c & 0xff;
}

static int m_no_udp_csum(__u8 *f, int len)
{
	f[ETH_HLEN + 20 + 6] = f[ETH_HLEN + 20 + 7] = 0;
	return len;
}

static int m_other_host(__u8 *f, int len)
{
	memcpy(f, OTHER_MAC, 6);
	return len;
}

static int m_bcast(__u8 *f, int len)
{
	memcpy(f, BCAST_MAC, 6);
	return len;
}

static int m_arp(__u8 *f, int len)
{
	f[12] = 0x08;
	f[13] = 0x06;
	return ETH_HLEN + 28;
}

static int m_ihl4(__u8 *f, int len)
{
	f[ETH_HLEN] = 0x44;
	return len;
}

/* Four bytes of options (NOPs) in front of the UDP header. */
static int m_ip_options(__u8 *f, int len)
{
	__u8 *ip = f + ETH_HLEN;
	__u16 tot = (ip[2] << 8 | ip[3]) + 4;

	memmove(ip + 24, ip + 20, len - ETH_HLEN - 20);
	memset(ip + 20, 1, 4);
	ip[0] = 0x46;
	ip[2] = tot >> 8;
	ip[3] = tot & 0xff;
	ip4_checksum(f);
	return len + 4;
}

static const struct row rows[] = {
	/* What the return path takes: to on-prem, out of its uplink. */
	{ "v4_to_onprem", P_PORT, D_VM0, V4("198.18.1.10", "198.18.100.5"),
	  FWD(OP_MAC, UP0_MAC) },
	{ "v6_to_onprem", P_PORT, D_VM0,
	  V6("2001:db8:1::10", "2001:db8:100::5"), FWD(OP_MAC, UP0_MAC) },
	{ "v4_no_udp_checksum", P_PORT, D_VM0,
	  V4("198.18.1.10", "198.18.100.5"), .mutate = m_no_udp_csum,
	  FWD(OP_MAC, UP0_MAC) },
	{ "v4_probe", P_PORT, D_VM0, V4("198.18.1.10", "198.18.100.5"),
	  .probe = true, FWD(OP_MAC, UP0_MAC), .out = D_UP0 },
	/* Anti-spoofing: only the port's own addresses. */
	{ "v4_src_other_vm", P_PORT, D_VM0, V4("198.18.2.10", "198.18.100.5"),
	  DROP(FP_R_SPOOFED) },
	{ "v4_src_vm_route_of_other", P_PORT, D_VM0,
	  V4("198.18.3.3", "198.18.100.5"), DROP(FP_R_SPOOFED) },
	{ "v4_src_onprem", P_PORT, D_VM0, V4("198.18.100.7", "198.18.100.5"),
	  DROP(FP_R_SPOOFED) },
	{ "v6_src_other_vm", P_PORT, D_VM0,
	  V6("2001:db8:2::10", "2001:db8:100::5"), DROP(FP_R_SPOOFED) },
	{ "v6_src_onprem", P_PORT, D_VM0,
	  V6("2001:db8:100::7", "2001:db8:100::5"), DROP(FP_R_SPOOFED) },
	{ "v4_src_unknown", P_PORT, D_VM0, V4("198.18.50.1", "198.18.100.5"),
	  PASS(FP_R_UNKNOWN_SOURCE) },
	{ "v6_src_link_local", P_PORT, D_VM0, V6("fe80::1", "2001:db8:100::5"),
	  PASS(FP_R_UNKNOWN_SOURCE) },
	{ "v4_probe_spoofed", P_PORT, D_VM0, V4("198.18.2.10", "198.18.100.5"),
	  .probe = true, DROP(FP_R_SPOOFED), .out = D_MAX },
	/* What it must leave to the host's stack, untouched. */
	{ "v4_to_vm", P_PORT, D_VM0, V4("198.18.1.10", "198.18.3.5"),
	  PASS(FP_R_MISS) },
	{ "v4_no_entry", P_PORT, D_VM0, V4("198.18.1.10", "198.18.200.1"),
	  PASS(FP_R_MISS) },
	{ "v6_no_entry", P_PORT, D_VM0, V6("2001:db8:1::10", "2001:db8:200::1"),
	  PASS(FP_R_MISS) },
	{ "v4_unresolved", P_PORT, D_VM0, V4("198.18.1.10", "198.18.102.1"),
	  PASS(FP_R_UNRESOLVED) },
	{ "v4_ttl_1", P_PORT, D_VM0, .src = "198.18.1.10",
	  .dst = "198.18.100.5", .ttl = 1, .payload = 32,
	  PASS(FP_R_TTL_EXPIRED) },
	{ "v6_hop_limit_1", P_PORT, D_VM0, .src = "2001:db8:1::10",
	  .dst = "2001:db8:100::5", .ttl = 1, .payload = 32,
	  PASS(FP_R_TTL_EXPIRED) },
	{ "v4_too_big_for_uplink", P_PORT, D_VM0, .src = "198.18.1.10",
	  .dst = "198.18.101.1", .ttl = 64, .payload = 600,
	  PASS(FP_R_TOO_BIG) },
	{ "v4_fits_small_uplink", P_PORT, D_VM0, .src = "198.18.1.10",
	  .dst = "198.18.101.1", .ttl = 64, .payload = 400,
	  FWD(OP_MAC, UP1_MAC) },
	/*
	 * Checksums left for offload leave finished, at every length the
	 * summing takes a different way through: its 512-byte steps, each
	 * bit of the remainder, an odd last byte.
	 */
	{ "v4_csum_partial", P_PORT, D_VM0, V4("198.18.1.10", "198.18.100.5"),
	  .mutate = m_csum_partial, FWD(OP_MAC, UP0_MAC), .finished = true },
	{ "v6_csum_partial", P_PORT, D_VM0,
	  V6("2001:db8:1::10", "2001:db8:100::5"), .mutate = m_csum_partial,
	  FWD(OP_MAC, UP0_MAC), .finished = true },
	{ "v4_csum_partial_1", P_PORT, D_VM0, .src = "198.18.1.10",
	  .dst = "198.18.100.5", .ttl = 64, .payload = 1,
	  .mutate = m_csum_partial, FWD(OP_MAC, UP0_MAC), .finished = true },
	{ "v4_csum_partial_1403", P_PORT, D_VM0, .src = "198.18.1.10",
	  .dst = "198.18.100.5", .ttl = 64, .payload = 1403,
	  .mutate = m_csum_partial, FWD(OP_MAC, UP0_MAC), .finished = true },
	{ "v6_csum_partial_1018", P_PORT, D_VM0, .src = "2001:db8:1::10",
	  .dst = "2001:db8:100::5", .ttl = 64, .payload = 1018,
	  .mutate = m_csum_partial, FWD(OP_MAC, UP0_MAC), .finished = true },
	{ "v6_csum_partial_507", P_PORT, D_VM0, .src = "2001:db8:1::10",
	  .dst = "2001:db8:100::5", .ttl = 64, .payload = 507,
	  .mutate = m_csum_partial, FWD(OP_MAC, UP0_MAC), .finished = true },
	{ "v4_csum_like_partial", P_PORT, D_VM0, .src = "198.18.1.10",
	  .dst = "198.18.100.5", .ttl = 64, .payload = 64,
	  .mutate = m_csum_like_partial, FWD(OP_MAC, UP0_MAC),
	  .finished = true },
	{ "v4_options", P_PORT, D_VM0, V4("198.18.1.10", "198.18.100.5"),
	  .mutate = m_ip_options, PASS(FP_R_IP_OPTIONS) },
	{ "v4_broadcast", P_PORT, D_VM0, V4("198.18.1.10", "198.18.100.5"),
	  .mutate = m_bcast, PASS(FP_R_MULTICAST) },
	{ "v4_other_host", P_PORT, D_VM0, V4("198.18.1.10", "198.18.100.5"),
	  .mutate = m_other_host, PASS(FP_R_OTHER_HOST) },
	{ "arp", P_PORT, D_VM0, V4("198.18.1.10", "198.18.100.5"),
	  .mutate = m_arp, PASS(FP_R_NOT_IP) },
	{ "v4_ihl_4", P_PORT, D_VM0, V4("198.18.1.10", "198.18.100.5"),
	  .mutate = m_ihl4, DROP(FP_R_MALFORMED) },
	{ "return_off", P_PORT, D_VM1, V4("198.18.2.10", "198.18.100.5"),
	  PASS(FP_R_NOT_PORT) },
	{ "on_uplink", P_PORT, D_UP0, V4("198.18.100.5", "198.18.1.10"),
	  PASS(FP_R_NOT_PORT) },
	/*
	 * The uplink's program on the same tables: an on-prem entry is no
	 * route in (gateway), and no VM's address (its sources come in).
	 */
	{ "uplink_to_onprem", P_UPLINK, D_UP0,
	  V4("198.18.200.9", "198.18.100.5"), PASS(FP_R_MISS) },
	{ "uplink_v6_to_onprem", P_UPLINK, D_UP0,
	  V6("2001:db8:200::9", "2001:db8:100::5"), PASS(FP_R_MISS) },
	{ "uplink_from_onprem", P_UPLINK, D_UP0,
	  V4("198.18.100.7", "198.18.1.10"), FWD(VM0_PEER, VM0_MAC) },
	{ "uplink_v6_from_onprem", P_UPLINK, D_UP0,
	  V6("2001:db8:100::7", "2001:db8:1::10"), FWD(VM0_PEER, VM0_MAC) },
};

static int build_frame(const struct row *r, __u8 *f)
{
	struct fp_pktspec s = { .ttl = r->ttl, .payload = r->payload };
	int family = strchr(r->dst, ':') ? AF_INET6 : AF_INET;
	int len;

	/* From the VM (or on-prem) to the device's own MAC. */
	memcpy(s.dmac, devs[r->in].mac, 6);
	memcpy(s.smac, r->in == D_VM0 || r->in == D_VM1 ? VM0_PEER : OP_MAC, 6);
	s.src.family = s.dst.family = family;
	if (inet_pton(family, r->dst, s.dst.addr) != 1 ||
	    inet_pton(family, r->src, s.src.addr) != 1)
		return -1;
	len = fp_pkt__build(&s, f, FRAME_MAX);
	if (len > 0 && r->mutate)
		len = r->mutate(f, len);
	return len;
}

static int expected_frame(const struct row *r, const __u8 *in, int len,
			  __u8 *want)
{
	memcpy(want, in, len);
	if (!r->dmac)
		return len;
	memcpy(want, r->dmac, 6);
	memcpy(want + 6, r->smac, 6);
	if (r->finished)
		udp_checksum(want);
	if (is_ip4(want)) {
		want[ETH_HLEN + 8]--;
		ip4_checksum(want);
	} else {
		want[ETH_HLEN + 7]--;
	}
	return len;
}

static void read_counters(int fd, struct fp_counter sum[FP_R_MAX])
{
	check_int("read the counters", 0, fp_test__counters(fd, sum));
}

/* Of map `which`, exactly reason moved (or nothing, counted false). */
static void check_counters(const char *which, __u32 reason, bool counted,
			   const struct fp_counter *before,
			   const struct fp_counter *after, int len)
{
	char what[96];

	for (__u32 i = 0; i < FP_R_MAX; i++) {
		bool moved = counted && i == reason;

		snprintf(what, sizeof(what), "%s %s: packets moved by", which,
			 fp_reason_name(i));
		check_int(what, moved, after[i].packets - before[i].packets);
		snprintf(what, sizeof(what), "%s %s: bytes moved by", which,
			 fp_reason_name(i));
		check_int(what, moved ? len : 0,
			  after[i].bytes - before[i].bytes);
	}
}

/*
 * One run of the row's frame: behind a probe (r->probe), behind
 * metadata that is no probe (behind), or alone. Metadata sends the
 * frame through the programs' handlers, a frame alone may take their
 * lanes (bpf/fastpath.bpf.c): a row without a probe runs both ways,
 * behind metadata first, which keeps its source in fp_srccache for the
 * return path's lane.
 */
static void run_pass(const struct row *r, bool behind)
{
	static __u8 in[FRAME_MAX], out[2 * FRAME_MAX], want[FRAME_MAX];
	struct fp_counter sb[FP_R_MAX], sa[FP_R_MAX], rb[FP_R_MAX],
		ra[FP_R_MAX];
	int meta = r->probe || behind ? META_LEN : 0, len, want_len, err;
	struct fp_probe probe = { .magic = behind ? 0 : FP_EXPLAIN_MAGIC };
	int stats_fd = bpf_map__fd(skel->maps.fp_stats);
	int rstats_fd = bpf_map__fd(skel->maps.fp_rstats);
	struct fp_test_run t = { .ifindex = ifidx[r->in],
				 .meta = &probe,
				 .meta_len = meta };

	t.prog_fd = bpf_program__fd(r->prog == P_PORT ?
					    skel->progs.fastpath_port :
					    skel->progs.fastpath_xdp);
	print_message("%s: expect %s, counter %s%s\n", r->name,
		      fp_test__xdp_name(r->retval), fp_reason_name(r->reason),
		      behind ? " (behind metadata)" : "");
	memset(in, 0, sizeof(in));
	len = build_frame(r, in);
	check_true("the frame was built", len >= ETH_HLEN && len <= FRAME_MAX);
	want_len = expected_frame(r, in, len, want);

	read_counters(stats_fd, sb);
	read_counters(rstats_fd, rb);
	err = fp_test__run(&t, in, len, out, sizeof(out));
	read_counters(stats_fd, sa);
	read_counters(rstats_fd, ra);

	check_int("fp_test__run", 0, err);
	if (t.retval != r->retval) {
		print_error("verdict: expected %s, saw %s\n",
			    fp_test__xdp_name(r->retval),
			    fp_test__xdp_name(t.retval));
		fail();
	}
	check_int("bytes out (metadata + frame)", meta + want_len, t.out_len);
	check_mem(r->dmac ? "frame out (rewritten)" : "frame out (untouched)",
		  want, out + meta, want_len);
	check_counters("fp_rstats", r->reason, !r->probe && r->prog == P_PORT,
		       rb, ra, len);
	check_counters("fp_stats", r->reason, !r->probe && r->prog == P_UPLINK,
		       sb, sa, len);
	if (r->probe) {
		memcpy(&probe, out, sizeof(probe));
		if (probe.reason != r->reason) {
			print_error("probe reason: expected %s, saw %s\n",
				    fp_reason_name(r->reason),
				    fp_reason_name(probe.reason));
			fail();
		}
		check_int("probe ifindex", r->out == D_MAX ? 0 : ifidx[r->out],
			  probe.ifindex);
	}
}

static void run_row(void **state)
{
	const struct row *r = *state;

	if (!r->probe)
		run_pass(r, true);
	run_pass(r, false);
}

/* ---- setup ---------------------------------------------------------------- */

static int add_port(enum dev d, const __u8 *peer, bool ret)
{
	return fp_test__port(&maps, ifidx[d], devs[d].name, devs[d].mac, peer,
			     1500, ret ? FP_PORT_F_RETURN : 0);
}

static int add_uplink(enum dev d)
{
	struct fp_uplink up = { .xallow = FP_XALLOW_DEFAULT };

	memcpy(up.mac, devs[d].mac, 6);
	return fp_uplinks__put(&maps, ifidx[d], &up);
}

static int add_route(const char *addr, __u32 len, enum dev d, const __u8 *dmac)
{
	return fp_test__route(&maps, addr, len, ifidx[d], dmac);
}

static int add_onprem(const char *addr, __u32 len, enum dev d, __u32 mtu,
		      const __u8 *mac)
{
	return fp_test__onprem(&maps, addr, len, ifidx[d], devs[d].name,
			       devs[d].mac, mtu, mac);
}

static int group_setup(void **state)
{
	if (fp_test__netns() || fp_test__one_cpu() ||
	    fp_test__devices(devs, D_MAX, ifidx))
		return -1;
	skel = fp_test__load();
	if (!skel)
		return -1;
	maps.skel = skel;
	return fp_maps__fill_fds(&maps) || add_uplink(D_UP0) ||
	       add_uplink(D_UP1) || add_port(D_VM0, VM0_PEER, true) ||
	       add_port(D_VM1, VM1_PEER, false) ||
	       add_route("198.18.1.10", 32, D_VM0, VM0_PEER) ||
	       add_route("2001:db8:1::10", 128, D_VM0, VM0_PEER) ||
	       add_route("198.18.2.10", 32, D_VM1, VM1_PEER) ||
	       add_route("2001:db8:2::10", 128, D_VM1, VM1_PEER) ||
	       add_route("198.18.3.0", 24, D_VM1, VM1_PEER) ||
	       add_onprem("198.18.100.0", 24, D_UP0, 1500, OP_MAC) ||
	       add_onprem("198.18.102.0", 24, D_UP0, 1500, NULL) ||
	       add_onprem("2001:db8:100::", 64, D_UP0, 1500, OP_MAC) ||
	       add_onprem("198.18.101.0", 24, D_UP1, 500, OP_MAC);
}

static int group_teardown(void **state)
{
	fp_maps__free_shadow(&maps);
	fastpath__destroy(skel);
	return 0;
}

/* The entry the writers build for an on-prem prefix, without maps. */
static void test_onprem_build(void **state)
{
	struct fp_route rt;

	check_int("build", 0,
		  fp_onprem__build(7, OP_MAC, FP_ORIGIN_ROUTE, &rt));
	check_int("ifindex: the uplink", 7, rt.ifindex);
	check_mem("dmac: the next hop's", OP_MAC, rt.dmac, 6);
	check_int("flags", FP_ROUTE_F_ONPREM, rt.flags);
	check_int("origin", FP_ORIGIN_ROUTE, rt.origin);
	check_int("unresolved", 0,
		  fp_onprem__build(7, NULL, FP_ORIGIN_ROUTE, &rt));
	check_true("unresolved: no MAC", fp_mac_is_zero(rt.dmac));
	check_int("group MAC", -EINVAL,
		  fp_onprem__build(7, BCAST_MAC, FP_ORIGIN_ROUTE, &rt));
	check_int("no uplink", -EINVAL,
		  fp_onprem__build(0, OP_MAC, FP_ORIGIN_ROUTE, &rt));
}

/*
 * What fib.c keeps of an on-prem entry: the flag, its result with it,
 * never FP_ROUTE_F_OWN (a /32 on-prem is no VM's address) nor a VNet.
 */
static void test_onprem_entry(void **state)
{
	struct fp_prefix p;
	struct fp_route rt;
	struct fp_nh nh;
	__u32 key, leaf;

	check_int("add a /32", 0,
		  add_onprem("198.18.110.1", 32, D_UP0, 1500, OP_MAC));
	check_int("parse", 0, fp_parse_addr("198.18.110.1", &p));
	check_int("get", 0, fp_fib__get(&maps, &p, &rt));
	check_int("flags: on-prem, not own", FP_ROUTE_F_ONPREM, rt.flags);
	check_int("vnet", 0, rt.vnet);
	/* Its compiled result: 198.18 -> ply -> .110 -> ply -> .1 */
	key = 198 << 8 | 18;
	check_int("root", 0,
		  bpf_map_lookup_elem(maps.trie4, &key, &leaf) ? -errno : 0);
	check_true("a ply under 198.18", leaf & FP_LEAF_PLY);
	key = (leaf & FP_LEAF_PLY_MASK) << 8 | 110;
	check_int("ply", 0,
		  bpf_map_lookup_elem(maps.trie4, &key, &leaf) ? -errno : 0);
	check_true("a ply under 198.18.110", leaf & FP_LEAF_PLY);
	key = (leaf & FP_LEAF_PLY_MASK) << 8 | 1;
	check_int("last ply", 0,
		  bpf_map_lookup_elem(maps.trie4, &key, &leaf) ? -errno : 0);
	key = leaf & FP_LEAF_NH_MASK;
	check_int("result", 0,
		  bpf_map_lookup_elem(maps.nh, &key, &nh) ? -errno : 0);
	check_int("result flags", FP_ROUTE_F_ONPREM, nh.rt.flags);
	check_int("result ifindex", ifidx[D_UP0], nh.rt.ifindex);
	check_int("del", 0, fp_onprem__del(&maps, &p));
	check_int("del again", -ENOENT, fp_onprem__del(&maps, &p));
	check_int("parse", 0, fp_parse_addr("198.18.1.10", &p));
	check_int("del a VM's entry", -ENOENT, fp_onprem__del(&maps, &p));
	/* The uplink's egress record, and a VM port refused as an uplink. */
	check_true("vm0 is no uplink",
		   add_onprem("198.18.111.0", 24, D_VM0, 1500, OP_MAC) != 0);
}

/* ---- the source cache (fp_fibgen, fp_srccache) ------------------------- */

static __u32 fibgen(void)
{
	__u32 key = 0, g = 0;

	check_int("read fp_fibgen", 0,
		  bpf_map_lookup_elem(maps.fibgen, &key, &g) ? -errno : 0);
	return g;
}

static void fibgen_set(__u32 g)
{
	__u32 key = 0;

	check_int("write fp_fibgen", 0,
		  bpf_map_update_elem(maps.fibgen, &key, &g, BPF_ANY) ? -errno :
									0);
}

/* vm0's fp_srccache entry on every CPU (e: one per possible CPU). */
static void srccache_io(struct fp_srccache *e, bool write)
{
	int fd = bpf_map__fd(skel->maps.fp_srccache);
	__u32 slot = ifidx[D_VM0] % FP_SRCCACHE_SLOTS;
	int err = write ? bpf_map_update_elem(fd, &slot, e, BPF_ANY) :
			  bpf_map_lookup_elem(fd, &slot, e);

	check_int(write ? "write fp_srccache" : "read fp_srccache", 0,
		  err ? -errno : 0);
}

/* A route to port d, replacing whatever is at addr/len. */
static void route_to(const char *addr, __u32 len, enum dev d, const __u8 *mac)
{
	struct fp_route rt = { .ifindex = ifidx[d],
			       .origin = FP_ORIGIN_STATIC };
	struct fp_prefix p;

	memcpy(rt.dmac, mac, 6);
	check_int("parse", 0, fp_parse_addr(addr, &p));
	p.len = len;
	check_int("fp_fib__set", 0, fp_fib__set(&maps, &p, &rt, false));
}

static void run(const struct row *r)
{
	void *state = (void *)r;

	run_row(&state);
}

/*
 * The return path keeps a port's own source per CPU under the route
 * lookups' generation: a route change (odd while written, even after)
 * makes the next frame look its source up again, and nothing kept is
 * trusted while a change is being written.
 */
static void test_source_cache(void **state)
{
	static const struct row own4 = { "own v4", P_PORT, D_VM0,
					 V4("198.18.1.10", "198.18.100.5"),
					 FWD(OP_MAC, UP0_MAC) };
	static const struct row own6 = {
		"own v6", P_PORT, D_VM0,
		V6("2001:db8:1::10", "2001:db8:100::5"), FWD(OP_MAC, UP0_MAC)
	};
	static const struct row moved4 = { "moved v4", P_PORT, D_VM0,
					   V4("198.18.1.10", "198.18.100.5"),
					   DROP(FP_R_SPOOFED) };
	static const struct row moved6 = {
		"moved v6", P_PORT, D_VM0,
		V6("2001:db8:1::10", "2001:db8:100::5"), DROP(FP_R_SPOOFED)
	};
	static const struct row planted = { "planted", P_PORT, D_VM0,
					    V4("198.18.2.10", "198.18.100.5"),
					    FWD(OP_MAC, UP0_MAC) };
	static const struct row looked_up = { "looked up", P_PORT, D_VM0,
					      V4("198.18.2.10", "198.18.100.5"),
					      DROP(FP_R_SPOOFED) };
	int ncpu = libbpf_num_possible_cpus();
	struct fp_srccache *e = calloc(ncpu > 0 ? ncpu : 1, sizeof(*e));
	__u32 g, a4, a2;
	__u8 a6[16];
	bool seen4 = false, seen6 = false;

	check_true("possible CPUs", ncpu > 0 && e);
	inet_pton(AF_INET, "198.18.1.10", &a4);
	inet_pton(AF_INET, "198.18.2.10", &a2);
	inet_pton(AF_INET6, "2001:db8:1::10", a6);

	/* Odd from a section's first route write, even at its end. */
	g = fibgen();
	check_true("even and not 0 after the setup's routes", g && !(g & 1));
	fp_maps__lock(&maps);
	route_to("198.18.1.11", 32, D_VM0, VM0_PEER);
	check_int("odd while the section writes", g + 1, fibgen());
	route_to("198.18.1.12", 32, D_VM0, VM0_PEER);
	check_int("odd once per section", g + 1, fibgen());
	fp_maps__unlock(&maps);
	check_int("even after it", g + 2, fibgen());
	fp_maps__lock(&maps);
	fp_maps__unlock(&maps);
	check_int("a section without writes leaves it", g + 2, fibgen());
	g += 2;

	/* A hit keeps its source, with its generation. */
	run(&own4);
	run(&own6);
	srccache_io(e, false);
	for (int c = 0; c < ncpu; c++) {
		if (e[c].ifindex != ifidx[D_VM0])
			continue;
		seen4 |= e[c].gen4 == g && e[c].addr4 == a4;
		seen6 |= e[c].gen6 == g && !memcmp(e[c].addr6, a6, 16);
	}
	check_true("a CPU kept vm0's IPv4 source", seen4);
	check_true("a CPU kept vm0's IPv6 source", seen6);

	/* The addresses move to vm1: vm0 sending from them is spoofing. */
	route_to("198.18.1.10", 32, D_VM1, VM1_PEER);
	route_to("2001:db8:1::10", 128, D_VM1, VM1_PEER);
	run(&moved4);
	run(&moved6);
	route_to("198.18.1.10", 32, D_VM0, VM0_PEER);
	route_to("2001:db8:1::10", 128, D_VM0, VM0_PEER);
	run(&own4);
	run(&own6);

	/*
	 * What the cache answers under an even generation: a planted entry
	 * (vm1's address as vm0's) is believed. Under an odd one it is not,
	 * and nothing is kept.
	 */
	g = fibgen();
	for (int c = 0; c < ncpu; c++)
		e[c] = (struct fp_srccache){ .ifindex = ifidx[D_VM0],
					     .gen4 = g,
					     .addr4 = a2 };
	srccache_io(e, true);
	run(&planted);
	fibgen_set(g + 1);
	run(&looked_up);
	run(&own4);
	srccache_io(e, false);
	for (int c = 0; c < ncpu; c++)
		check_int("nothing kept under an odd generation", a2,
			  e[c].addr4);
	fibgen_set(g + 2);
	run(&looked_up);
	run(&own4);
	free(e);
}

/* ---- a port's VNet (fp_port.vnet) ---------------------------------------- */

/* A VNet's address space into fp_vnets4/6, as apply writes it; del: out. */
static void space(const char *addr, __u32 len, __u32 vnet, bool del)
{
	struct fp_prefix p;

	check_int("parse", 0, fp_parse_addr(addr, &p));
	p.len = len;
	check_int(del ? "delete the space" : "add the space", 0,
		  fp_test__space(&maps, &p, vnet, del));
}

static __u32 vnet_of_port(enum dev d)
{
	struct fp_port port = { 0 };

	check_int("read the port", 0,
		  bpf_map_lookup_elem(maps.ports, &ifidx[d], &port) ? -errno :
								      0);
	return port.vnet;
}

/*
 * In the model, a source no entry names is judged by the VNet behind the
 * port: inside that VNet's address space it is the port's own, inside
 * another VNet's it is spoofed; on a port with no VNet, or outside every
 * space, the host's stack judges it. An entry still decides first.
 */
static void test_vnet_sources(void **state)
{
#define ROW(n, s, d, verdict) \
	static const struct row n = { #n, P_PORT, D_VM0, V4(s, d), verdict }
#define ROW6(n, s, d, verdict) \
	static const struct row n = { #n, P_PORT, D_VM0, V6(s, d), verdict }
	ROW(own_space, "198.18.1.77", "198.18.100.5", FWD(OP_MAC, UP0_MAC));
	ROW6(own_space6, "2001:db8:1::77", "2001:db8:100::5",
	     FWD(OP_MAC, UP0_MAC));
	ROW(other_space, "198.18.2.77", "198.18.100.5", DROP(FP_R_SPOOFED));
	ROW(own_space_unbound, "198.18.1.77", "198.18.100.5",
	    PASS(FP_R_UNKNOWN_SOURCE));
	ROW(other_space_unbound, "198.18.2.77", "198.18.100.5",
	    PASS(FP_R_UNKNOWN_SOURCE));
	ROW(rebound_space, "198.18.2.77", "198.18.100.5", FWD(OP_MAC, UP0_MAC));
	ROW(old_space, "198.18.1.77", "198.18.100.5", DROP(FP_R_SPOOFED));
	ROW(entry_first, "198.18.1.10", "198.18.100.5", FWD(OP_MAC, UP0_MAC));
	ROW(no_space, "198.18.50.1", "198.18.100.5", PASS(FP_R_UNKNOWN_SOURCE));
	ROW(space_miss, "198.18.1.77", "198.18.200.1", PASS(FP_R_MISS));
#undef ROW
#undef ROW6

	space("198.18.1.0", 24, 1, false);
	space("2001:db8:1::", 64, 1, false);
	space("198.18.2.0", 24, 2, false);
	check_int("bind vm0 to VNet 1", 0,
		  fp_ports__bind(&maps, ifidx[D_VM0], 1));
	check_int("bound", 1, vnet_of_port(D_VM0));
	run(&own_space);
	run(&own_space6);
	run(&other_space);
	run(&no_space);
	run(&space_miss);
	/* Whoever rewrites the port's record keeps its VNet. */
	check_int("the record rewritten", 0, add_port(D_VM0, VM0_PEER, true));
	check_int("still bound", 1, vnet_of_port(D_VM0));
	run(&own_space);

	check_int("unbind", 0, fp_ports__bind(&maps, ifidx[D_VM0], 0));
	run(&own_space_unbound);
	run(&other_space_unbound);
	check_int("bind vm0 to VNet 2", 0,
		  fp_ports__bind(&maps, ifidx[D_VM0], 2));
	run(&rebound_space);
	run(&old_space);
	run(&entry_first);

	check_int("no such port", -ENOENT, fp_ports__bind(&maps, 999999, 1));
	check_int("no such VNet", -ERANGE,
		  fp_ports__bind(&maps, ifidx[D_VM0], FP_MAX_VNETS));
	check_int("unbind", 0, fp_ports__bind(&maps, ifidx[D_VM0], 0));
	space("198.18.1.0", 24, 1, true);
	space("2001:db8:1::", 64, 1, true);
	space("198.18.2.0", 24, 2, true);
}

int main(void)
{
	static struct CMUnitTest tests[ARRAY_SIZE(rows) + 4];

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		tests[i].name = rows[i].name;
		tests[i].test_func = run_row;
		tests[i].initial_state = (void *)&rows[i];
	}
	tests[ARRAY_SIZE(rows)] =
		(struct CMUnitTest)cmocka_unit_test(test_onprem_build);
	tests[ARRAY_SIZE(rows) + 1] =
		(struct CMUnitTest)cmocka_unit_test(test_onprem_entry);
	tests[ARRAY_SIZE(rows) + 2] =
		(struct CMUnitTest)cmocka_unit_test(test_source_cache);
	tests[ARRAY_SIZE(rows) + 3] =
		(struct CMUnitTest)cmocka_unit_test(test_vnet_sources);
	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests_name("xdp_port", tests, group_setup,
					   group_teardown);
}
