/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A libnl NETLINK_ROUTE socket, allocated and connected (bound) in one
 * place for sync, verify's route lookups and onprem's neighbour reads.
 */
#ifndef FASTPATH_NLSOCK_H
#define FASTPATH_NLSOCK_H

struct nl_sock;

/*
 * *out: a connected NETLINK_ROUTE socket, or NULL on failure. rcvbuf > 0:
 * its receive buffer, forced past rmem_max (as root; a failure there is
 * only logged at debug level, named by who). Returns 0 or -NLE_*.
 */
int fp_nlsock__route(struct nl_sock **out, int rcvbuf, const char *who);

#endif
