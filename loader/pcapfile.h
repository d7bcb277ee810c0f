/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A pcap file written with libpcap. Its own unit: <pcap/bpf.h> and
 * <linux/bpf.h> both define struct bpf_insn, so no file includes both.
 */
#ifndef FASTPATH_PCAPFILE_H
#define FASTPATH_PCAPFILE_H

#include <linux/types.h>

struct fp_pcap;

/*
 * Ethernet frames of at most snaplen bytes into path ("-": stdout).
 * NULL after printing one line naming path and the reason.
 */
struct fp_pcap *fp_pcap__open(const char *path, __u32 snaplen);
/* ts_ns: CLOCK_REALTIME in nanoseconds; len: the frame's whole length. */
void fp_pcap__write(struct fp_pcap *w, __u64 ts_ns, const void *data,
		    __u32 caplen, __u32 len);
/* 0, or -EIO once a write failed. */
int fp_pcap__flush(struct fp_pcap *w);
void fp_pcap__close(struct fp_pcap *w);

#endif
