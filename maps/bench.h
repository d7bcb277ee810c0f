/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The tier-1 benchmark's contract between bpf/bench.bpf.c and
 * tests/bench_pkt.c (DESIGN.md "Performance method"). Include
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
	BN_C_NO_FRAME, /* no frames configured, or the packet is too short */
	BN_C_FIB_FWD, /* fib arm: FIB and neighbour found, redirected */
	BN_C_FIB_PASS, /* fib arm: anything else, passed to the stack */
	BN_C_MAX,
};

_Static_assert(sizeof(struct bn_frame) == BN_FRAME_LEN, "bn_frame layout");

#endif /* FASTPATH_BENCH_H */
