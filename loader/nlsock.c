// SPDX-License-Identifier: GPL-2.0
/* NETLINK_ROUTE sockets: see nlsock.h. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "log.h"
#include "nlsock.h"

int fp_nlsock__route(struct nl_sock **out, int rcvbuf, const char *who)
{
	struct nl_sock *sk = nl_socket_alloc();
	int err;

	*out = NULL;
	if (!sk)
		return -NLE_NOMEM;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err < 0) {
		nl_socket_free(sk);
		return err;
	}
	/* Not root: as much as rmem_max allows. */
	if (rcvbuf > 0 && setsockopt(nl_socket_get_fd(sk), SOL_SOCKET,
				     SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf))) {
		pr_debug("%s: SO_RCVBUFFORCE: %s\n", who, strerror(errno));
		setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			   sizeof(rcvbuf));
	}
	*out = sk;
	return 0;
}
