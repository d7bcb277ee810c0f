/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's answer for packets arriving on an uplink: RTM_GETROUTE
 * with the uplink as input interface and an on-premises source, as
 * `ip route get DST from SRC iif UPLINK` asks, pipelined over one libnl
 * socket, and the neighbour the answer would use (one dump per run).
 *
 * Policy routing may take uplink ingress to another table (the lab's
 * `ip rule iif uplink0 lookup 100`: the gateway). The packet comes back
 * from the gateway over the link it left by, so such an answer is asked
 * again with that link as the input interface; only an answer from the
 * table sync follows (or the local table) is an answer, anything else is
 * FP_VK_UNKNOWN.
 */
#ifndef FASTPATH_ROUTEGET_H
#define FASTPATH_ROUTEGET_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "parse.h"
#include "verify.h"

struct nl_sock;
struct nl_cache;

/* Whether ifindex is a VM port; its --peer-mac (zero if none). */
typedef bool (*fp_vm_port_fn)(__u32 ifindex, __u8 peer_mac[6], void *ctx);

struct fp_routeget {
	struct nl_sock *sk;
	struct nl_cache *neighs;
	__u32 uplink, table;
	/* The on-prem sources: the uplink's first peer address per family. */
	struct fp_prefix src4, src6;
	fp_vm_port_fn vm_port;
	void *ctx;
	__u32 seq; /* the last request's number */
	char *buf; /* a window's requests and replies */
};

/*
 * For uplink (ifindex) and sync's table. 0, or -errno after one line on
 * stderr naming what failed (cmd first; none when cmd is NULL).
 */
int fp_routeget__open(struct fp_routeget *g, __u32 uplink, __u32 table,
		      fp_vm_port_fn vm_port, void *ctx, const char *cmd);
void fp_routeget__close(struct fp_routeget *g);

/* The neighbours anew (once per run). 0 or -errno. */
int fp_routeget__neighbours(struct fp_routeget *g);

/* The on-prem source for dst's family. */
const struct fp_prefix *fp_routeget__source(const struct fp_routeget *g,
					    int family);

/* The kernel's answers for n destinations (host prefixes). 0 or -errno. */
int fp_routeget__ask(struct fp_routeget *g, const struct fp_prefix *dst,
		     struct fp_vkernel *out, size_t n);

#endif
