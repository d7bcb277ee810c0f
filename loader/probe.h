/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The program's answer for one packet: the fastpath_xdp attached to an
 * uplink (or the return path's fastpath_port attached to a VM port) run
 * with BPF_PROG_TEST_RUN on a synthetic frame against the live maps, the
 * frame carrying a struct fp_probe in its XDP metadata so the program
 * does not count it and writes its reason and target back. `explain`
 * asks one question, `verify` many.
 */
#ifndef FASTPATH_PROBE_H
#define FASTPATH_PROBE_H

#include <stdbool.h>
#include <linux/types.h>

#include "maps.h"
#include "pktgen.h"

struct fp_prober {
	int prog_fd; /* -1 when not open */
	__u32 prog_id;
	__u32 ifindex; /* the uplink (the VM port) the probes arrive on */
	__u8 mac[6]; /* its MAC: the probes' destination */
	char name[16];
};

struct fp_probe_out {
	__u32 action; /* XDP_* */
	__u32 reason; /* enum fp_reason */
	__u32 ifindex; /* redirect target, 0 if none */
	__u8 dmac[6], smac[6]; /* of the frame as it left */
};

/*
 * The program on uplink (NULL: the first in fp_uplinks). 0, or -errno
 * after one line on stderr starting with cmd and naming the uplink
 * (none when cmd is NULL).
 */
int fp_prober__open(struct fp_prober *p, const struct fp_maps *m,
		    const char *uplink, const char *cmd);
/*
 * The return path's program on the VM port named port: it must be a
 * registered port (fp_ports) with the return path on. 0, or -errno after
 * one line as above naming the port and what it lacks.
 */
int fp_prober__open_port(struct fp_prober *p, const struct fp_maps *m,
			 const char *port, const char *cmd);
void fp_prober__close(struct fp_prober *p);

/*
 * One probe; spec's dmac is set to the device's. 0, -EPROTO when the
 * program did not answer the probe (not one of ours), or -errno.
 */
int fp_prober__run(const struct fp_prober *p, struct fp_pktspec *spec,
		   struct fp_probe_out *out);

/*
 * DESIGN.md's verdict name of an answer: fastpath, gateway, pass, drop;
 * the return path's program (port) says stack where the uplink's says
 * gateway: what it does not forward goes to the host's stack.
 */
const char *fp_probe__verdict(const struct fp_probe_out *out, bool port);

#endif
