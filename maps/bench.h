/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The benchmarks' contract between BPF and userspace (DESIGN.md
 * "Performance method"): tier 1, bpf/bench.bpf.c and tests/bench_pkt.c;
 * tier 2, bpf/livegen.bpf.c and tests/bench_e2e.c. Include
 * <linux/types.h> (or vmlinux.h) before this header; it includes nothing.
 */
#ifndef FASTPATH_BENCH_H
#define FASTPATH_BENCH_H

/*
 * Every benchmark frame is this long, and the wrapper restores all of it
 * from bn_frames before each run: BPF_PROG_TEST_RUN with repeat hands the
 * programs the same buffer every time, already rewritten by the last run.
 */
#define BN_FRAME_LEN 64
#define BN_MAX_FRAMES 1048576

/* The prog array slot the wrapper tail-calls: the arm under test. */
#define BN_ARM_SLOT 0

/* bn_frames values: one ready-made frame per destination. */
struct bn_frame {
	__u8 bytes[BN_FRAME_LEN];
};

/* bn_stats slots (per-CPU __u64): what the wrapper and the fib arm did. */
enum bn_counter {
	BN_C_TAIL_FAIL = 0, /* no arm in the slot: XDP_ABORTED */
	BN_C_NO_FRAME, /* no frames configured, or the packet is too short
			* and its head cannot grow back to BN_FRAME_LEN */
	BN_C_FIB_FWD, /* fib arm: FIB and neighbour found, redirected */
	BN_C_FIB_PASS, /* fib arm: anything else, passed to the stack */
	BN_C_FLOOR_FWD, /* floor arm: found, redirected */
	BN_C_FLOOR_PASS, /* floor arm: anything else, passed to the stack */
	BN_C_MAX,
};

/*
 * The floor arm (tier 2): the least a table-driven forwarder does per
 * packet, to show what this machine allows a program that looks routes up
 * at all. IPv4: a 16-8-8 trie in one flat array (bn_fl_trie4; a slot with
 * BN_FL_PLY set names the ply whose 256 slots start at (ply << 8), plies
 * from 256 up), IPv6: an exact /128 in a hash (bn_fl_hosts6); then one
 * result (bn_fl_nh) and a DEVMAP array slot (bn_fl_tx). A tagged frame
 * (the floor-vlan arm) also finds its circuit by its (inner) VID in
 * bn_fl_vids and has its tags popped.
 */
#define BN_FL_PLY 0x80000000U
#define BN_FL_VIDS 4096 /* bn_fl_vids: the floor-vlan arm's circuits */
#define BN_FL_PLIES 4 /* beyond the 16-bit root */

/*
 * The three bn_fl_trie4 slots that lead IPv4 address a (network order) to
 * result res, for the drivers that fill the floor arm's tables: root ->
 * ply 256 (third byte) -> ply 257 (fourth) -> res.
 */
static inline void bn_fl_path4(const __u8 *a, __u32 res, __u32 key[3],
			       __u32 leaf[3])
{
	key[0] = (__u32)a[0] << 8 | a[1];
	leaf[0] = BN_FL_PLY | 256;
	key[1] = 256U << 8 | a[2];
	leaf[1] = BN_FL_PLY | 257;
	key[2] = 257U << 8 | a[3];
	leaf[2] = res;
}

struct bn_fl_nh {
	__u32 port; /* bn_fl_tx slot */
	__u16 mtu;
	__u8 dmac[6];
	__u8 smac[6];
	__u16 pad;
};

/*
 * Tier 2, the live-frames generator. BPF_F_TEST_XDP_LIVE_FRAMES recycles
 * its pages without resetting them, and every arm downstream rewrites
 * MACs and TTL in place: so the generator copies a whole header block
 * from lg_flows into each frame before sending it. Nothing on any path
 * writes past the first LG_HDR_LEN bytes, so the rest of a 1500-byte frame
 * keeps the payload the page was first filled with.
 */
#define LG_HDR_LEN 64
#define LG_MAX_FLOWS 64
/* The sink and the tap reader count UDP to this port, nothing else. */
#define LG_UDP_DPORT 9

/* lg_flows values: the first LG_HDR_LEN bytes of one flow's frame. */
struct lg_hdr {
	__u8 bytes[LG_HDR_LEN];
};

/*
 * lg_stats slots (per-CPU __u64). The sink sorts what it counts by the
 * routers the frame crossed (64 - TTL), which tells the arms apart: the
 * limit arm forwards without a rewrite (0), the fast path and fib arms are
 * one router (1), the gateway path is host, gateway, host (3).
 */
enum lg_counter {
	LG_C_SENT = 0, /* generator: header written, XDP_TX */
	LG_C_SHORT, /* generator: frame shorter than LG_HDR_LEN: aborted */
	LG_C_HOPS0, /* sink: benchmark frames by routers crossed */
	LG_C_HOPS1,
	LG_C_HOPS2,
	LG_C_HOPS3,
	LG_C_HOPS_OTHER,
	LG_C_MAX,
};

/*
 * lg_devmap keys and values: what the devmap flushes (tracepoint
 * xdp:xdp_devmap_xmit) handed to one device and how many it refused. The
 * netns inode keeps devices of other namespaces with the same ifindex out.
 */
struct lg_devkey {
	__u32 netns_ino;
	__u32 ifindex;
};

struct lg_devcnt {
	__u64 sent;
	__u64 drops;
};

_Static_assert(sizeof(struct bn_frame) == BN_FRAME_LEN, "bn_frame layout");
_Static_assert(sizeof(struct bn_fl_nh) == 20, "bn_fl_nh layout");
_Static_assert(sizeof(struct lg_hdr) == LG_HDR_LEN, "lg_hdr layout");
_Static_assert(sizeof(struct lg_devkey) == 8, "lg_devkey layout");
_Static_assert(sizeof(struct lg_devcnt) == 16, "lg_devcnt layout");

#endif /* FASTPATH_BENCH_H */
