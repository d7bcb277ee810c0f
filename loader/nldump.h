/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The answer to a netlink dump request, read off its socket by a thread
 * of its own while the caller parses what came before: at a million
 * routes the kernel fills the datagrams (inside recvmsg()) for about as
 * long as the caller takes to read them, and two cores do both at once.
 */
#ifndef FASTPATH_NLDUMP_H
#define FASTPATH_NLDUMP_H

#include <linux/netlink.h>
#include <linux/types.h>

/* One message of the answer; nh->nlmsg_len bytes are there to read. */
typedef void (*fp_nldump_fn)(const struct nlmsghdr *nh, void *ctx);

/*
 * Reads datagrams off netlink socket fd up to the one with the NLMSG_DONE
 * or NLMSG_ERROR of request seq, whatever goes wrong on the way (what
 * stayed unread would answer the socket's next request), and not one
 * datagram further. Datagrams from another sender than the kernel and
 * messages of another sequence are skipped; every other message goes to
 * fn, in order, until something is wrong. 0; -EAGAIN when the kernel
 * marked the dump interrupted (NLM_F_DUMP_INTR: a table changed under
 * it); -EMSGSIZE for a datagram longer than the reader's buffer,
 * -EBADMSG for a message running past its datagram (both said with
 * pr_warn); the request's error; or recvmsg()'s -errno.
 */
int fp_nldump__read(int fd, __u32 seq, fp_nldump_fn fn, void *ctx);

#endif
