// SPDX-License-Identifier: GPL-2.0
/* The kernel's answer over RTM_GETROUTE and the neighbours: routeget.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/time.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>

#include "log.h"
#include "nlsock.h"
#include "routeget.h"
#include "xlate.h" /* FP_NUD_USABLE: the states sync takes */

/*
 * Requests in flight at once. A reply takes about 1 KiB of the socket's
 * buffer (its truesize); the buffer is made to hold a window many times.
 */
#define WINDOW 64
#define RCVBUF (1 << 20)
#define REQ_MAX 128 /* an RTM_GETROUTE: rtmsg, two IPv6 addresses, iif */
#define REPLY_MAX 1024 /* an answer: rtmsg and a dozen attributes */
#define REQ_BYTES (WINDOW * REQ_MAX)
#define BUF_BYTES (REQ_BYTES + WINDOW * REPLY_MAX)
#define REPLY_TIMEOUT_S 2

static int addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static void copy_nl(struct nl_addr *a, __u8 *out, size_t max)
{
	size_t len = a ? nl_addr_get_len(a) : 0;

	memset(out, 0, max);
	if (len > max)
		len = max;
	if (len)
		memcpy(out, nl_addr_get_binary_addr(a), len);
}

/*
 * The uplink's peer: the first host address of the uplink's subnet that
 * is not the uplink's own (on a /24 with .1 that is .2, the on-prem
 * router of a point-to-point link); the documentation address explain
 * uses when the uplink has no address of the family.
 */
static void peer_of(struct nl_cache *addrs, __u32 uplink, int family,
		    struct fp_prefix *src)
{
	struct nl_object *obj;
	int bits = addr_len(family) * 8;

	fp_parse_addr(family == AF_INET ? "198.18.255.254" :
					  "2001:db8:ffff::fffe",
		      src);
	for (obj = addrs ? nl_cache_get_first(addrs) : NULL; obj;
	     obj = nl_cache_get_next(obj)) {
		struct rtnl_addr *a = (struct rtnl_addr *)obj;
		struct nl_addr *local = rtnl_addr_get_local(a);
		struct fp_prefix own = { .family = family }, peer;
		int plen = rtnl_addr_get_prefixlen(a);

		if ((__u32)rtnl_addr_get_ifindex(a) != uplink ||
		    rtnl_addr_get_family(a) != family || !local ||
		    plen >= bits - 1)
			continue;
		copy_nl(local, own.addr, sizeof(own.addr));
		/* fe80::/10 is no on-prem source. */
		if (family == AF_INET6 && own.addr[0] == 0xfe &&
		    (own.addr[1] & 0xc0) == 0x80)
			continue;
		own.len = plen;
		fp_verify__address(&own, 0, 0, &peer);
		/* The first host: .1 (IPv4 .0 is the network), then .2. */
		for (int k = 0; k < 2; k++) {
			peer.addr[addr_len(family) - 1] += 1;
			if (memcmp(peer.addr, own.addr, sizeof(own.addr)))
				break;
		}
		*src = peer;
		return;
	}
}

int fp_routeget__open(struct fp_routeget *g, __u32 uplink, __u32 table,
		      fp_vm_port_fn vm_port, void *ctx, const char *cmd)
{
	struct timeval tv = { .tv_sec = REPLY_TIMEOUT_S };
	struct nl_cache *addrs = NULL;
	int err;

	memset(g, 0, sizeof(*g));
	g->uplink = uplink;
	g->table = table;
	g->vm_port = vm_port;
	g->ctx = ctx;
	g->buf = malloc(BUF_BYTES);
	if (!g->buf) {
		if (cmd)
			pr_warn("%s: netlink socket: out of memory\n", cmd);
		fp_routeget__close(g);
		return -ENOMEM;
	}
	err = fp_nlsock__route(&g->sk, RCVBUF, "verify");
	if (err >= 0)
		err = rtnl_addr_alloc_cache(g->sk, &addrs);
	if (err < 0) {
		if (cmd)
			pr_warn("%s: netlink: %s\n", cmd, nl_geterror(err));
		fp_routeget__close(g);
		return -EIO;
	}
	peer_of(addrs, uplink, AF_INET, &g->src4);
	peer_of(addrs, uplink, AF_INET6, &g->src6);
	nl_cache_free(addrs);
	if (setsockopt(nl_socket_get_fd(g->sk), SOL_SOCKET, SO_RCVTIMEO, &tv,
		       sizeof(tv)))
		pr_debug("verify: SO_RCVTIMEO: %s\n", strerror(errno));
	return 0;
}

void fp_routeget__close(struct fp_routeget *g)
{
	if (g->neighs)
		nl_cache_free(g->neighs);
	if (g->sk)
		nl_socket_free(g->sk);
	free(g->buf);
	g->neighs = NULL;
	g->sk = NULL;
	g->buf = NULL;
}

int fp_routeget__neighbours(struct fp_routeget *g)
{
	int err;

	if (g->neighs)
		nl_cache_free(g->neighs);
	g->neighs = NULL;
	err = rtnl_neigh_alloc_cache(g->sk, &g->neighs);
	if (err < 0) {
		pr_warn("verify: neighbours: %s\n", nl_geterror(err));
		g->neighs = NULL;
		return -EIO;
	}
	return 0;
}

const struct fp_prefix *fp_routeget__source(const struct fp_routeget *g,
					    int family)
{
	return family == AF_INET ? &g->src4 : &g->src6;
}

/* One window of requests in flight and where their answers go. */
struct round {
	struct fp_vkernel **out;
	__u32 base;
	size_t n, answered;
	bool done[WINDOW];
};

static struct fp_vkernel *answer_for(struct round *r, __u32 seq)
{
	size_t i = seq - r->base;

	if (i >= r->n || r->done[i])
		return NULL;
	r->done[i] = true;
	r->answered++;
	return r->out[i];
}

static void on_reply(struct round *r, struct nlmsghdr *nh)
{
	struct fp_vkernel *k = answer_for(r, nh->nlmsg_seq);
	struct rtnl_route *rt = NULL;
	struct rtnl_nexthop *hop;
	struct nl_addr *gw;

	if (!k)
		return;
	memset(k, 0, sizeof(*k));
	if (rtnl_route_parse(nh, &rt) < 0) {
		k->err = -EPROTO;
		return;
	}
	k->table = rtnl_route_get_table(rt);
	switch (rtnl_route_get_type(rt)) {
	case RTN_UNICAST:
		k->kind = FP_VK_OTHER; /* a VM port: decided by the caller */
		break;
	case RTN_LOCAL:
		k->kind = FP_VK_LOCAL;
		break;
	case RTN_BLACKHOLE:
	case RTN_UNREACHABLE:
	case RTN_PROHIBIT:
		k->kind = FP_VK_NOROUTE;
		break;
	default:
		k->kind = FP_VK_OTHER;
		break;
	}
	hop = rtnl_route_get_nnexthops(rt) ? rtnl_route_nexthop_n(rt, 0) : NULL;
	if (hop) {
		k->oif = rtnl_route_nh_get_ifindex(hop);
		gw = rtnl_route_nh_get_gateway(hop);
		if (!gw)
			gw = rtnl_route_nh_get_via(hop);
		if (gw) {
			k->has_gw = true;
			copy_nl(gw, k->gw, sizeof(k->gw));
		}
	}
	rtnl_route_put(rt);
}

static void on_error(struct round *r, struct nlmsghdr *nh)
{
	struct nlmsgerr *e = nlmsg_data(nh);
	struct fp_vkernel *k;

	if (nh->nlmsg_len < (__u32)nlmsg_size(sizeof(*e)))
		return;
	k = answer_for(r, e->msg.nlmsg_seq);
	if (!k)
		return;
	memset(k, 0, sizeof(*k));
	k->err = e->error;
	/* No route, blackhole, prohibit: the kernel delivers nothing. */
	if (e->error == -ENETUNREACH || e->error == -EHOSTUNREACH ||
	    e->error == -EINVAL || e->error == -EACCES)
		k->kind = FP_VK_NOROUTE;
}

/* One RTM_GETROUTE, numbered seq, appended to buf (msg's copy). */
static int build_get(struct fp_routeget *g, const struct fp_prefix *dst,
		     __u32 iif, __u32 seq, char *buf, size_t room, size_t *len)
{
	int alen = addr_len(dst->family);
	struct rtmsg rtm = { .rtm_family = dst->family,
			     .rtm_dst_len = alen * 8,
			     .rtm_src_len = alen * 8,
			     /* Name the table that answered, not main. */
			     .rtm_flags = RTM_F_LOOKUP_TABLE };
	const struct fp_prefix *src = fp_routeget__source(g, dst->family);
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETROUTE, NLM_F_REQUEST);
	struct nlmsghdr *nh;
	int err = 0;

	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0 ||
	    nla_put(msg, RTA_DST, alen, dst->addr) < 0 ||
	    nla_put(msg, RTA_SRC, alen, src->addr) < 0 ||
	    nla_put_u32(msg, RTA_IIF, iif) < 0) {
		err = -EMSGSIZE;
		goto out;
	}
	nh = nlmsg_hdr(msg);
	nh->nlmsg_seq = seq;
	nh->nlmsg_pid = nl_socket_get_local_port(g->sk);
	if (NLMSG_ALIGN(nh->nlmsg_len) > room) {
		err = -EMSGSIZE;
		goto out;
	}
	memcpy(buf, nh, nh->nlmsg_len);
	*len = NLMSG_ALIGN(nh->nlmsg_len);
out:
	nlmsg_free(msg);
	return err;
}

/*
 * Up to WINDOW questions in one sendmsg (the kernel answers each message
 * of a datagram in turn), their answers read WINDOW at a time with
 * recvmmsg: two system calls for a window instead of two per question.
 */
static int ask_window(struct fp_routeget *g, const struct fp_prefix *const *dst,
		      const __u32 *iif, struct fp_vkernel **out, size_t n)
{
	char *req = g->buf, (*rep)[REPLY_MAX] = (void *)(g->buf + REQ_BYTES);
	struct round r = { .out = out, .n = n, .base = ++g->seq };
	struct mmsghdr mm[WINDOW];
	struct iovec iov[WINDOW];
	size_t len = 0, one;
	int err, got, fd = nl_socket_get_fd(g->sk);

	g->seq += WINDOW;
	for (size_t i = 0; i < n; i++) {
		memset(out[i], 0, sizeof(*out[i]));
		err = build_get(g, dst[i], iif[i], r.base + i, req + len,
				REQ_BYTES - len, &one);
		if (err)
			return err;
		len += one;
	}
	if (nl_sendto(g->sk, req, len) < 0)
		return -EIO;
	while (r.answered < n) {
		for (size_t i = 0; i < WINDOW; i++) {
			iov[i] = (struct iovec){ rep[i], sizeof(rep[i]) };
			mm[i] = (struct mmsghdr){ .msg_hdr = {
							  .msg_iov = &iov[i],
							  .msg_iovlen = 1 } };
		}
		got = recvmmsg(fd, mm, n - r.answered, MSG_WAITFORONE, NULL);
		if (got < 0 && (errno == EINTR || errno == ENOBUFS))
			continue;
		if (got <= 0) {
			/* The timeout passed: the rest stay unknown. */
			pr_debug(
				"verify: %zu of %zu kernel answers missing: %s\n",
				n - r.answered, n, strerror(errno));
			break;
		}
		for (int i = 0; i < got; i++) {
			struct nlmsghdr *nh = (struct nlmsghdr *)rep[i];
			int left = (int)mm[i].msg_len;

			for (; nlmsg_ok(nh, left); nh = nlmsg_next(nh, &left)) {
				if (nh->nlmsg_type == NLMSG_ERROR)
					on_error(&r, nh);
				else if (nh->nlmsg_type == RTM_NEWROUTE)
					on_reply(&r, nh);
			}
		}
	}
	return 0;
}

static bool answers_here(const struct fp_routeget *g,
			 const struct fp_vkernel *k)
{
	return k->table == g->table || k->table == RT_TABLE_LOCAL;
}

/* The MAC the kernel would use, as sync takes it. */
static void resolve(struct fp_routeget *g, const struct fp_prefix *dst,
		    struct fp_vkernel *k)
{
	__u8 peer[6] = { 0 };
	struct rtnl_neigh *n = NULL;
	struct nl_addr *a;

	if (k->kind != FP_VK_OTHER || !g->vm_port(k->oif, peer, g->ctx))
		return;
	k->kind = FP_VK_PORT;
	a = nl_addr_build(dst->family, k->has_gw ? k->gw : dst->addr,
			  addr_len(dst->family));
	if (a && g->neighs)
		n = rtnl_neigh_get(g->neighs, k->oif, a);
	if (a)
		nl_addr_put(a);
	if (n && (rtnl_neigh_get_state(n) & FP_NUD_USABLE) &&
	    rtnl_neigh_get_lladdr(n) &&
	    nl_addr_get_len(rtnl_neigh_get_lladdr(n)) == 6) {
		copy_nl(rtnl_neigh_get_lladdr(n), k->mac, sizeof(k->mac));
		k->mac_known = true;
	} else if (!k->has_gw && (peer[0] | peer[1] | peer[2] | peer[3] |
				  peer[4] | peer[5])) {
		memcpy(k->mac, peer, 6);
		k->mac_known = true;
	}
	if (n)
		rtnl_neigh_put(n);
}

int fp_routeget__ask(struct fp_routeget *g, const struct fp_prefix *dst,
		     struct fp_vkernel *out, size_t n)
{
	const struct fp_prefix *d[WINDOW];
	struct fp_vkernel *o[WINDOW], again[WINDOW] = { 0 };
	__u32 iif[WINDOW];
	size_t done = 0, m, k;
	int err = 0;

	while (done < n && !err) {
		m = n - done < WINDOW ? n - done : WINDOW;
		for (size_t i = 0; i < m; i++) {
			d[i] = &dst[done + i];
			o[i] = &out[done + i];
			iif[i] = g->uplink;
		}
		err = ask_window(g, d, iif, o, m);
		/* Policy took it elsewhere: ask again where it comes back. */
		k = 0;
		for (size_t i = 0; i < m && !err; i++) {
			if (out[done + i].kind == FP_VK_UNKNOWN ||
			    answers_here(g, &out[done + i]))
				continue;
			if (out[done + i].kind != FP_VK_OTHER ||
			    !out[done + i].oif ||
			    out[done + i].oif == g->uplink) {
				out[done + i].kind = FP_VK_UNKNOWN;
				continue;
			}
			d[k] = &dst[done + i];
			iif[k] = out[done + i].oif;
			o[k] = &again[k];
			k++;
		}
		if (!err && k)
			err = ask_window(g, d, iif, o, k);
		for (size_t j = 0, i = 0; i < m && !err; i++) {
			struct fp_vkernel *x = &out[done + i];

			if (x->kind != FP_VK_UNKNOWN && !answers_here(g, x)) {
				*x = again[j++];
				if (x->kind != FP_VK_NOROUTE &&
				    !answers_here(g, x))
					x->kind = FP_VK_UNKNOWN;
			}
			resolve(g, &dst[done + i], x);
		}
		done += m;
	}
	return err;
}
