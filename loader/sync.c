// SPDX-License-Identifier: GPL-2.0
/*
 * `fastpath sync`: the maps follow the kernel's links, neighbours and
 * routes. libnl keeps caches of all three. At start-up, after a netlink
 * overflow and after a link change (IPv4 drops a dead link's routes
 * without telling) the whole desired state is recomputed (xlate.c) and
 * reconciled into the maps in place (mark and sweep). Route and neighbour
 * events in between go to the incremental state, which recomputes only
 * the prefixes they can affect, and only those entries are written: with
 * 1M routes one event costs microseconds, not a re-read of the maps.
 * Either way the order never sends traffic to a dead port.
 */
#include <errno.h>
#include <fnmatch.h>
#include <malloc.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netlink/netlink.h>
#include <netlink/cache.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>

#include "args.h"
#include "fib.h"
#include "fastpath.skel.h"
#include "commands.h"
#include "pinset.h"
#include "log.h"
#include "nlsock.h"
#include "mapio.h"
#include "nldump.h"
#include "nlroute.h"
#include "table.h"
#include "parse.h"
#include "port.h"
#include "prefix.h"
#include "uplink.h"
#include "vdaemon.h"
#include "vec.h"
#include "xlate.h"

/* After a netlink overflow, at most one full re-dump per interval. */
#define RESYNC_INTERVAL_MS 1000
#define EVENT_RCVBUF (8 << 20)
/* sync's sign of life in fp_ctl, read by `status`. */
#define HEARTBEAT_MS 1000
/* A retry's wait: the first, doubled up to the last. */
#define RETRY_MIN_MS 100
#define RETRY_MAX_MS 10000
/*
 * While a full map keeps entries refused: a sweep this often all the same
 * (FASTPATH_SYNC_POLL_MS for tests). Room that no event announces, a
 * static entry `fastpath route del` took out, is found that way.
 */
#define POLL_MS 30000

/* Why a full sweep is due without an event (sync.retry). */
enum sync_retry {
	RETRY_NONE,
	RETRY_FAILED, /* the last pass failed */
	RETRY_ROOM, /* entries left a map that refused some: room again? */
	RETRY_POLL, /* entries stay refused: room that no event told of? */
};

struct vec {
	void *v;
	size_t n, cap;
};

struct sync {
	struct fp_maps *m;
	struct nl_cache_mngr *mngr;
	struct nl_sock *sk; /* for re-dumps; the manager's socket takes events */
	/*
	 * Routes bypass libnl's caches: their hash table has a fixed 1,024
	 * buckets, quadratic at 100k+ routes. rsk takes route events, dumps
	 * go over sk, and the desired state (xs) is the only copy kept.
	 */
	struct nl_sock *rsk;
	struct vec *dump; /* where a route dump collects, NULL otherwise */
	int dump_err; /* the first failure of the dump under way */
	/*
	 * Dumps are read off sk without libnl, under sequence numbers of
	 * their own: taking one of libnl's would leave it expecting an
	 * answer it never reads, and its next refill would fail.
	 */
	__u32 dump_seq;
	struct nl_cache *links, *neighs;
	__u32 table;
	const char *glob;
	const struct fp_opts *o;
	bool ret; /* ports it registers get the return path (not --no-return) */
	struct fp_xstate *xs; /* the desired entries, kept up to date */
	int ctl_fd; /* fp_ctl */
	struct fp_ctl ctl;
	/* Entries a full map refused, and fast prefixes withdrawn for them. */
	struct fp_xset failed, blocked;
	bool dirty; /* apply what changed */
	bool full; /* re-gather everything, mark and sweep */
	bool refill; /* routes may have gone without RTM_DELROUTE */
	bool resync; /* events were lost: re-dump everything */
	long long last_resync_ms;
	/* ports sync registered or dropped this round */
	int ports_changed;
	/* Link events that asked for a pass, and those that changed nothing. */
	unsigned long link_events, link_quiet;
	struct fp_vdaemon vd; /* --verify-interval */
	/*
	 * verify's barriers on rsk: an NLMSG_NOOP asking for an ACK, which
	 * the kernel queues behind the route events pending when it was
	 * sent. Numbered from 1; the number is the request's sequence.
	 */
	__u64 barrier_sent, barrier_read;
	/*
	 * One retry for both causes: a full sweep at retry_ms, backoff_ms
	 * after it was asked for. The wait doubles while retries keep
	 * failing or keep leaving entries refused, and starts again at
	 * RETRY_MIN_MS once a pass succeeds with nothing refused.
	 */
	enum sync_retry retry;
	long long retry_ms;
	int backoff_ms;
	int poll_ms; /* RETRY_POLL's wait (POLL_MS) */
	unsigned long long retry_sweeps; /* full sweeps when it was armed */
	bool once; /* --once: no retry of any kind */
	int inject_failures; /* FASTPATH_SYNC_FAIL_PASSES: tests */
};

/* Uplinks, and the gateway ports of uplinks and of their tagged circuits. */
struct uplinks {
	__u32 up[FP_MAX_UPLINKS], gw[FP_MAX_UPLINKS + FP_MAX_VLANS];
	int nup, ngw;
};

static int vec_push(struct vec *v, const void *item, size_t size)
{
	int err = fp_vec__grow(&v->v, &v->cap, v->n, size);

	if (!err)
		memcpy((char *)v->v + v->n++ * size, item, size);
	return err;
}

static void vec_free(struct vec *v)
{
	free(v->v);
	memset(v, 0, sizeof(*v));
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* libnl returns -NLE_*: say what failed, hand back an -errno. */
static int nl_err(const char *what, int err)
{
	pr_warn("sync: %s: %s\n", what, nl_geterror(err));
	return err == -NLE_NOMEM ? -ENOBUFS : -EIO;
}

static void copy_addr(struct nl_addr *a, __u8 *out, size_t max)
{
	size_t len = a ? nl_addr_get_len(a) : 0;

	memset(out, 0, max);
	if (len > max)
		len = max;
	if (len)
		memcpy(out, nl_addr_get_binary_addr(a), len);
}

/* ---- ports ------------------------------------------------------------ */

static bool in_list(const __u32 *list, int n, __u32 v)
{
	for (int i = 0; i < n; i++)
		if (list[i] == v)
			return true;
	return false;
}

static int add_gateway(__u32 gw_ifindex, void *ctx)
{
	struct uplinks *u = ctx;

	if (!in_list(u->gw, u->ngw, gw_ifindex) &&
	    u->ngw < (int)(sizeof(u->gw) / sizeof(u->gw[0])))
		u->gw[u->ngw++] = gw_ifindex;
	return 0;
}

/* The uplinks, and the gateway ports (uplink.c's), which are no VM ports. */
static void read_uplinks(struct fp_maps *m, struct uplinks *u)
{
	__u32 key, *prev = NULL;
	struct fp_uplink up;

	u->nup = u->ngw = 0;
	while (!bpf_map_get_next_key(m->uplinks, prev, &key) &&
	       u->nup < FP_MAX_UPLINKS) {
		prev = &key;
		if (!bpf_map_lookup_elem(m->uplinks, &key, &up))
			u->up[u->nup++] = key;
	}
	fp_uplinks__walk_gateways(m, add_gateway, u);
}

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000 /* <linux/if.h>, which clashes with <net/if.h> */
#endif

/* Administratively up and with carrier, from the link's own flags. */
static bool link_is_up(struct rtnl_link *l)
{
	unsigned int flags = rtnl_link_get_flags(l);

	return (flags & IFF_UP) && (flags & IFF_LOWER_UP);
}

/*
 * The link object for ifindex. The kernel also sends per-family link
 * messages (AF_INET6 carries IPv6 link state, no carrier), which libnl
 * caches as separate objects and does not drop on RTM_DELLINK: only the
 * AF_UNSPEC object is the device itself.
 */
static bool is_device(struct rtnl_link *l)
{
	return rtnl_link_get_family(l) == AF_UNSPEC;
}

static struct rtnl_link *find_link(struct sync *s, __u32 ifindex)
{
	struct nl_object *obj;

	for (obj = nl_cache_get_first(s->links); obj;
	     obj = nl_cache_get_next(obj)) {
		struct rtnl_link *l = (struct rtnl_link *)obj;

		if (is_device(l) &&
		    (__u32)rtnl_link_get_ifindex(l) == ifindex) {
			nl_object_get(obj);
			return l;
		}
	}
	return NULL;
}

/* The fp_ports value for a link, as `port add` would write it. */
static void port_from_link(struct rtnl_link *l, struct fp_port *p)
{
	__u8 mac[6] = { 0 };

	copy_addr(rtnl_link_get_addr(l), mac, sizeof(mac));
	fp_ports__record(p, rtnl_link_get_name(l), mac, rtnl_link_get_mtu(l),
			 NULL, FP_PORT_F_SYNC);
}

static bool glob_match(const struct sync *s, const char *name)
{
	return s->glob && !fnmatch(s->glob, name, 0);
}

/* st: the applied model, to bind the port to its VNet by. */
static int register_port(struct sync *s, struct rtnl_link *l,
			 const struct fp_state *st)
{
	__u32 ifindex = rtnl_link_get_ifindex(l);
	struct fp_port port;
	int err;

	port_from_link(l, &port);
	err = fp_ports__put(s->m, ifindex, &port, BPF_NOEXIST);
	if (err) {
		pr_warn("sync: port %s: cannot add to %s: %s\n", port.name,
			FP_MAP_PORTS, strerror(-err));
		return err;
	}
	pr_info("sync: port %s (ifindex %u) registered\n", port.name, ifindex);
	fp_port__model_vnet(s->m, st, port.name);
	s->ports_changed++;
	if (s->ret)
		fp_port__return_on(s->m, s->o, port.name);
	return 0;
}

/*
 * The uplinks as xlate sees them (the return path's way out), each with
 * its egress record in fp_ports (its MAC, MTU, redirect slot) written
 * before any entry can name it. An uplink registered as a VM port stays
 * one.
 */
static int gather_uplinks(struct sync *s, const struct uplinks *u,
			  struct vec *ports)
{
	for (int i = 0; i < u->nup; i++) {
		struct fp_xport xp = { .ifindex = u->up[i], .uplink = true };
		struct fp_port want, have;
		struct rtnl_link *l;
		__u64 how = BPF_NOEXIST;
		int err = 0;

		if (!bpf_map_lookup_elem(s->m->ports, &xp.ifindex, &have)) {
			if (!(have.flags & FP_PORT_F_UPLINK))
				continue;
			how = BPF_EXIST;
		}
		l = find_link(s, xp.ifindex);
		if (!l)
			continue;
		port_from_link(l, &want);
		want.flags = FP_PORT_F_UPLINK;
		if (how == BPF_EXIST)
			want.vnet = have.vnet; /* apply's: put() keeps it */
		if (how == BPF_NOEXIST || memcmp(&want, &have, sizeof(want)))
			err = fp_ports__put(s->m, xp.ifindex, &want, how);
		xp.up = link_is_up(l);
		rtnl_link_put(l);
		if (!err)
			err = vec_push(ports, &xp, sizeof(xp));
		else
			pr_warn("sync: uplink %s: no egress record in %s: %s\n",
				want.name, FP_MAP_PORTS, strerror(-err));
		if (err == -ENOMEM)
			return err;
	}
	return 0;
}

/*
 * The VM ports as xlate sees them: registered ports whose interface is
 * still the one registered (same ifindex and name), and interfaces
 * matching --ports, registered here. Sync-made ports that are gone or no
 * longer match go on *drop, removed once no entry points at them.
 */
static int gather_ports(struct sync *s, const struct uplinks *u,
			struct vec *ports, struct vec *drop)
{
	enum { MODEL_UNREAD, MODEL_NONE, MODEL_READ } model;
	__u32 key, *prev = NULL, tx;
	struct fp_port port, now;
	struct nl_object *obj;
	struct fp_state st;
	int err;

	while (!bpf_map_get_next_key(s->m->ports, prev, &key)) {
		struct fp_xport xp = { .ifindex = key };
		struct rtnl_link *l;
		bool alive, wanted;

		err = 0;
		prev = &key;
		/* An uplink's egress record (return path) is no VM port. */
		if (bpf_map_lookup_elem(s->m->ports, &key, &port) ||
		    in_list(u->gw, u->ngw, key) ||
		    (port.flags & FP_PORT_F_UPLINK))
			continue;
		l = find_link(s, key);
		alive = l && !strncmp(rtnl_link_get_name(l), port.name,
				      sizeof(port.name));
		wanted = alive;
		if (port.flags & FP_PORT_F_SYNC) {
			wanted = alive && glob_match(s, port.name) &&
				 !in_list(u->up, u->nup, key);
			if (!wanted)
				err = vec_push(drop, &key, sizeof(key));
			else
				port_from_link(l, &now);
			/* A new MAC or MTU on the same device: follow it. */
			if (wanted && (memcmp(now.mac, port.mac, 6) ||
				       now.mtu != port.mtu))
				fp_ports__put(s->m, key, &now, BPF_EXIST);
		}
		/*
		 * The kernel empties a device's devmap slot when it goes away;
		 * a new device under the same name and ifindex needs it back.
		 */
		if (wanted && bpf_map_lookup_elem(s->m->tx, &key, &tx))
			fp_ports__tx_put(s->m, key);
		if (wanted) {
			memcpy(xp.peer_mac, port.peer_mac, 6);
			xp.up = link_is_up(l);
			err = vec_push(ports, &xp, sizeof(xp));
		}
		if (l)
			rtnl_link_put(l);
		if (err)
			return err;
	}
	err = gather_uplinks(s, u, ports);
	if (err || !s->glob)
		return err;
	/* Read once a pass, and only when a port is new: 1,000 on churn. */
	model = MODEL_UNREAD;
	for (obj = nl_cache_get_first(s->links); obj;
	     obj = nl_cache_get_next(obj)) {
		struct rtnl_link *l = (struct rtnl_link *)obj;
		struct fp_xport xp = { .ifindex = rtnl_link_get_ifindex(l) };

		/* A reused ifindex waits until the old port is dropped. */
		if (!is_device(l) || !glob_match(s, rtnl_link_get_name(l)) ||
		    in_list(u->up, u->nup, xp.ifindex) ||
		    in_list(u->gw, u->ngw, xp.ifindex) ||
		    !bpf_map_lookup_elem(s->m->ports, &xp.ifindex, &port))
			continue;
		if (model == MODEL_UNREAD)
			model = fp_port__model_load(s->o, &st) ? MODEL_NONE :
								 MODEL_READ;
		if (register_port(s, l, model == MODEL_READ ? &st : NULL))
			continue;
		xp.up = link_is_up(l);
		err = vec_push(ports, &xp, sizeof(xp));
		if (err)
			break;
	}
	if (model != MODEL_UNREAD)
		fp_state__free(&st);
	return err;
}

/* ---- neighbours and routes ------------------------------------------- */

/* False for neighbours without an Ethernet address: never usable. */
static bool neigh_to_x(struct rtnl_neigh *n, struct fp_xneigh *x)
{
	struct nl_addr *ll = rtnl_neigh_get_lladdr(n);

	memset(x, 0, sizeof(*x));
	x->family = rtnl_neigh_get_family(n);
	x->ifindex = rtnl_neigh_get_ifindex(n);
	copy_addr(rtnl_neigh_get_dst(n), x->addr, sizeof(x->addr));
	if ((x->family != AF_INET && x->family != AF_INET6) || !ll ||
	    nl_addr_get_len(ll) != 6)
		return false;
	x->state = rtnl_neigh_get_state(n);
	copy_addr(ll, x->lladdr, sizeof(x->lladdr));
	return true;
}

static int gather_neighs(struct sync *s, struct vec *out)
{
	struct nl_object *obj;
	struct fp_xneigh x;

	for (obj = nl_cache_get_first(s->neighs); obj;
	     obj = nl_cache_get_next(obj)) {
		if (!neigh_to_x((struct rtnl_neigh *)obj, &x))
			continue;
		if (vec_push(out, &x, sizeof(x)))
			return -ENOMEM;
	}
	return 0;
}

static const char *family_name(int family)
{
	return family == AF_INET ? "inet" : family == AF_INET6 ? "inet6" : "?";
}

/*
 * A route message (event or dump part) into the state or the dump, read
 * in place (nlroute.c): no libnl object per route. A malformed one fails
 * a dump, which then leaves the maps as they are; an event's is dropped
 * and a full pass (a fresh dump) follows.
 */
static void route_nlmsg(struct sync *s, const struct nlmsghdr *nh)
{
	const char *why;
	struct fp_xroute x;
	int err, kept;

	if (nh->nlmsg_type != RTM_NEWROUTE && nh->nlmsg_type != RTM_DELROUTE)
		return;
	kept = fp_nlroute__parse(nh, s->table, &x, &why);
	if (kept < 0) {
		const struct rtmsg *rtm = NLMSG_DATA(nh);
		int family = nh->nlmsg_len >= NLMSG_SPACE(sizeof(*rtm)) ?
				     rtm->rtm_family :
				     AF_UNSPEC;
		const char *type = nh->nlmsg_type == RTM_NEWROUTE ?
					   "RTM_NEWROUTE" :
					   "RTM_DELROUTE";

		if (s->dump && !s->dump_err)
			pr_warn("sync: route dump: %s message (%s, seq %u) is malformed: %s; the maps are left as they are\n",
				type, family_name(family), nh->nlmsg_seq, why);
		else if (!s->dump)
			pr_warn("sync: route event: %s message (%s) is malformed: %s; a full re-dump follows\n",
				type, family_name(family), why);
		if (s->dump)
			s->dump_err = -EINVAL;
		s->full = true;
		return;
	}
	if (kept) {
		if (s->dump)
			err = vec_push(s->dump, &x, sizeof(x));
		else
			err = fp_xstate__route(s->xs, &x,
					       nh->nlmsg_type == RTM_NEWROUTE);
		if (err && s->dump && !s->dump_err)
			s->dump_err = err;
		if (err)
			s->full = true;
	}
	if (!s->dump)
		s->dirty = true;
}

static int route_msg(struct nl_msg *msg, void *arg)
{
	route_nlmsg(arg, nlmsg_hdr(msg));
	return NL_OK;
}

/* The ACK of a barrier: every route event before it is read. */
static int route_ack(struct nl_msg *msg, void *arg)
{
	struct sync *s = arg;

	if (nlmsg_hdr(msg)->nlmsg_seq == (__u32)s->barrier_sent)
		s->barrier_read = s->barrier_sent;
	return NL_OK;
}

/* A barrier behind the route events pending now: its number. */
static __u64 send_barrier(void *arg)
{
	struct sync *s = arg;
	struct nl_msg *msg = nlmsg_alloc_simple(NLMSG_NOOP, NLM_F_ACK);
	int err = msg ? 0 : -NLE_NOMEM;

	if (!err) {
		nlmsg_hdr(msg)->nlmsg_seq = (__u32)(s->barrier_sent + 1);
		err = nl_send(s->rsk, msg);
		nlmsg_free(msg);
	}
	if (err < 0) {
		/* Never read: the looks wait, then give up and say so. */
		pr_warn("sync: verify: barrier: %s\n", nl_geterror(err));
		return s->barrier_read + 2;
	}
	return ++s->barrier_sent;
}

#define DUMP_TRIES 3 /* a dump the kernel marks interrupted is redone */

/* One message of the dump: a route, or something else route_nlmsg skips. */
static void dump_msg(const struct nlmsghdr *nh, void *ctx)
{
	route_nlmsg(ctx, nh);
}

/*
 * Every route of the kernel, dumped afresh over the request socket and
 * read off it in place: libnl's receive path copies each message into an
 * nl_msg of its own, two allocations a route at a million routes.
 */
static int gather_routes(struct sync *s, struct vec *out)
{
	int fd = nl_socket_get_fd(s->sk), err = -EAGAIN;

	s->dump = out;
	for (int i = 0; i < DUMP_TRIES && err == -EAGAIN; i++) {
		struct {
			struct nlmsghdr nh;
			struct rtgenmsg g;
		} req = {
			.nh = { .nlmsg_len = NLMSG_LENGTH(sizeof(req.g)),
				.nlmsg_type = RTM_GETROUTE,
				.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
				.nlmsg_seq = ++s->dump_seq },
			.g = { .rtgen_family = AF_UNSPEC },
		};

		out->n = 0;
		s->dump_err = 0;
		if (send(fd, &req, req.nh.nlmsg_len, 0) < 0)
			err = -errno;
		else
			err = fp_nldump__read(fd, req.nh.nlmsg_seq, dump_msg,
					      s);
		if (!err)
			err = s->dump_err;
	}
	s->dump = NULL;
	if (err == -EAGAIN)
		pr_warn("sync: route dump: interrupted %d times by route changes\n",
			DUMP_TRIES);
	else if (err && err != s->dump_err)
		pr_warn("sync: route dump: %s\n", strerror(-err));
	return err;
}

/* ---- reconcile -------------------------------------------------------- */

struct read_ctx {
	struct fp_xset *cur, *statics;
};

static int read_one(const struct fp_prefix *p, const struct fp_route *rt,
		    void *ctx)
{
	struct read_ctx *r = ctx;
	struct fp_route plain = *rt;

	/* Compare what sync writes, not what fib.c keeps. */
	fp_fib__plain(&plain);
	return fp_xset__add(rt->origin == FP_ORIGIN_STATIC ? r->statics :
							     r->cur,
			    p, &plain);
}

/*
 * The non-static entries now in the maps (in the maps' order, indexed),
 * and the static prefixes (sorted).
 */
static int read_entries(struct fp_maps *m, struct fp_xset *cur,
			struct fp_xset *statics)
{
	struct read_ctx r = { cur, statics };
	int err = fp_fib__for_each(m, read_one, &r);

	if (err)
		return err;
	/* A million entries in hash order: indexed, not sorted. */
	fp_xset__sort(statics);
	return fp_xset__index(cur);
}

/*
 * read_entries() on the second core while the first dumps the kernel's
 * routes and settles the state: a million entries take both about half
 * a second, and neither needs the other until apply(). Only reads: the
 * maps' one writer stays this pass, after the join.
 */
struct map_reader {
	pthread_t thread;
	struct fp_maps *m;
	struct fp_xset cur, statics;
	int err;
	bool threaded; /* a thread to join; else read at the join */
	__u64 busy_ns; /* how long the read took */
};

static void *map_reader_run(void *arg)
{
	struct map_reader *r = arg;
	__u64 t0 = mono_ns();

	r->err = read_entries(r->m, &r->cur, &r->statics);
	r->busy_ns = mono_ns() - t0;
	return NULL;
}

static void map_reader_start(struct map_reader *r, struct fp_maps *m)
{
	int err;

	memset(r, 0, sizeof(*r));
	r->m = m;
	err = pthread_create(&r->thread, NULL, map_reader_run, r);
	r->threaded = !err;
	if (err)
		pr_debug(
			"sync: reading the maps alongside the dump: %s; read after it\n",
			strerror(err));
}

/* The maps' entries, read by now: 0 or the read's -errno. */
static int map_reader_join(struct map_reader *r)
{
	if (r->threaded)
		pthread_join(r->thread, NULL);
	else
		map_reader_run(r);
	r->threaded = false;
	return r->err;
}

/* The rt of a static entry at p, which sync never touches. */
static bool is_static(struct sync *s, const struct fp_prefix *p)
{
	struct fp_route rt;

	return !fp_fib__get(s->m, p, &rt) && !(rt.flags & FP_ROUTE_F_MARKER) &&
	       rt.origin == FP_ORIGIN_STATIC;
}

static void publish_ctl(struct sync *s)
{
	__u32 key = 0;

	s->ctl.not_programmed = s->failed.n + s->blocked.n;
	s->ctl.withdrawn = s->blocked.n;
	if (s->ctl.pid)
		s->ctl.heartbeat_ns = mono_ns();
	if (s->ctl_fd >= 0)
		bpf_map_update_elem(s->ctl_fd, &key, &s->ctl, BPF_ANY);
}

static const char *const retry_cause[] = {
	[RETRY_FAILED] = "the pass failed",
	[RETRY_ROOM] = "entries left a full map",
	[RETRY_POLL] = "entries a full map refused",
};

/*
 * A full sweep, without waiting for an event, backoff_ms from now (the
 * wait doubled since the last retry that did not clear). A room retry
 * already due keeps its time: its sweep serves every removal before it.
 */
static void retry_arm(struct sync *s, enum sync_retry why)
{
	long long now = now_ms(), due;

	if (s->once || (why == RETRY_ROOM && s->retry != RETRY_NONE &&
			s->retry != RETRY_POLL))
		return;
	s->backoff_ms = !s->backoff_ms			  ? RETRY_MIN_MS :
			s->backoff_ms >= RETRY_MAX_MS / 2 ? RETRY_MAX_MS :
							    2 * s->backoff_ms;
	due = now + s->backoff_ms;
	/* A poll due sooner keeps its time: its sweep serves both. */
	if (s->retry == RETRY_POLL && s->retry_ms < due)
		due = s->retry_ms;
	s->retry = why;
	s->retry_ms = due;
	s->retry_sweeps = s->ctl.full_syncs;
	pr_info("sync: %s: trying again in %lld ms\n", retry_cause[why],
		due - now);
}

/*
 * A refused entry leaves its destinations to whatever covers it in the
 * map; a fast prefix there would answer for them with the wrong port. So
 * every fast prefix covering it is withdrawn too (recorded in *blocked):
 * its traffic then goes to the gateway, the one safe answer.
 */
static int block_ancestors(const struct fp_xstate *xs,
			   const struct fp_prefix *p, struct fp_xset *blocked)
{
	struct fp_prefix a = *p;
	const struct fp_xentry *e;
	int err;

	while (a.len) {
		fp_prefix__shorten(&a);
		e = fp_xstate__find(xs, &a);
		if (!e || !e->rt.ifindex || fp_xset__find(blocked, &a))
			continue;
		err = fp_xset__add(blocked, &a, &e->rt);
		if (err)
			return err;
		fp_xset__sort(blocked);
	}
	return 0;
}

/* Warn once per entry: only when it was not refused the time before. */
static void warn_new(const struct fp_xset *now, const struct fp_xset *before,
		     bool withdrawn)
{
	char pfx[FP_PREFIX_STRLEN];

	for (size_t i = 0; i < now->n; i++) {
		const struct fp_prefix *p = &now->e[i].prefix;

		if (fp_xset__find(before, p))
			continue;
		fp_format_prefix(p, pfx, sizeof(pfx));
		if (withdrawn)
			pr_warn("sync: route %s: withdrawn, a more specific entry is not programmed; its traffic goes to the gateway\n",
				pfx);
		else
			pr_warn("sync: route %s: %s is full: not programmed, its traffic goes to the gateway\n",
				pfx, fp_fib__map_name(p));
	}
}

/* A write's outcome err: 0, or 1 when the map is full, or -errno. */
static int write_result(const struct fp_prefix *p, int err)
{
	char pfx[FP_PREFIX_STRLEN];

	if (!err)
		return 0;
	if (fp_map__full(err))
		return 1;
	fp_format_prefix(p, pfx, sizeof(pfx));
	pr_warn("sync: route %s: %s\n", pfx, strerror(-err));
	return err;
}

static int write_entry(struct sync *s, const struct fp_prefix *p,
		       const struct fp_route *rt)
{
	return write_result(p, fp_fib__set(s->m, p, rt, false));
}

static int delete_entry(struct sync *s, const struct fp_prefix *p)
{
	int err = fp_fib__del(s->m, p);

	return err == -ENOENT ? 0 : err;
}

static bool same_entry(const struct fp_xentry *a, const struct fp_xentry *b)
{
	return b && !memcmp(&a->rt, &b->rt, sizeof(a->rt));
}

static bool refused(const struct fp_xset *failed, const struct fp_xset *blocked,
		    const struct fp_prefix *p)
{
	return fp_xset__find(failed, p) || fp_xset__find(blocked, p);
}

/* What a full reconcile writes, and what the map refused of it. */
struct writes {
	struct fp_xset failed, blocked;
	int added;
	/* Host routes in a row, for fp_fib__set_many. */
	struct fp_fib_entry *hosts;
	int *res;
	size_t nhosts, cap;
};

#define HOSTS_PENDING 16384 /* host routes gathered before they are written */
#define FIND_AHEAD 16 /* apply(): finds in cur prefetched ahead */

static bool is_host(const struct fp_prefix *p)
{
	return p->len == (p->family == AF_INET ? 32 : 128);
}

/* A write's outcome ret (write_result()) counted, or the entry refused. */
static int count_write(struct sync *s, struct writes *w,
		       const struct fp_prefix *p, const struct fp_route *rt,
		       int ret)
{
	int err;

	if (ret <= 0) {
		w->added += !ret;
		return ret;
	}
	err = fp_xset__add(&w->failed, p, rt);
	if (err)
		return err;
	fp_xset__sort(&w->failed);
	return block_ancestors(s->xs, p, &w->blocked);
}

/*
 * The host routes gathered, in batched writes. Nothing inside a host
 * route can withdraw it, so only the shorter prefixes that follow wait
 * for their outcome.
 */
static int write_hosts(struct sync *s, struct writes *w)
{
	size_t done = fp_fib__set_many(s->m, w->hosts, w->nhosts, w->res);
	int err = 0;

	for (size_t i = 0; i < done && !err; i++)
		err = count_write(s, w, &w->hosts[i].prefix, &w->hosts[i].rt,
				  write_result(&w->hosts[i].prefix, w->res[i]));
	w->nhosts = 0;
	return err;
}

static int write_host(struct sync *s, struct writes *w,
		      const struct fp_xentry *e)
{
	size_t cap = w->cap;

	if (fp_vec__grow(&w->hosts, &w->cap, w->nhosts, sizeof(*w->hosts)))
		return -ENOMEM;
	if (w->cap != cap) {
		int *res = realloc(w->res, w->cap * sizeof(*w->res));

		if (!res)
			return -ENOMEM;
		w->res = res;
	}
	w->hosts[w->nhosts].prefix = e->prefix;
	w->hosts[w->nhosts++].rt = e->rt;
	return w->nhosts < HOSTS_PENDING ? 0 : write_hosts(s, w);
}

/*
 * Shadows first (a destination going to the gateway early is safe), then
 * fast entries, most specific first (so that a refused one withdraws its
 * covering prefixes before they are written), then stale fast entries,
 * and only then stale shadows, which would otherwise expose an outdated
 * covering entry.
 */
static int apply(struct sync *s, const struct fp_xset *cur,
		 const struct fp_xset *statics)
{
	size_t nwant;
	/* Tree order: backwards, what lies inside a prefix comes first. */
	const struct fp_xentry *want = fp_xstate__entries(s->xs, &nwant);
	struct writes w = { 0 };
	struct fp_xset stale = { 0 };
	/* Each entry's reading in the maps, and which readings stay. */
	const struct fp_xentry **in =
		calloc(nwant ? nwant : 1, sizeof(const struct fp_xentry *));
	bool *wanted = calloc(cur->n ? cur->n : 1, sizeof(*wanted));
	/* Whether the map already holds want[k] as it is. */
	bool *same = malloc(nwant ? nwant : 1);
	int removed = 0, err = 0, ret;

	if (!in || !wanted || !same) {
		err = -ENOMEM;
		goto out_free;
	}
	fp_vec__huge(in, nwant * sizeof(const struct fp_xentry *));
	/*
	 * A million finds in hash order: each slot fetched FIND_AHEAD finds
	 * early, its entry FIND_AHEAD / 2 early, and the entry compared while
	 * it is at hand.
	 */
	for (size_t k = 0; k < nwant; k++) {
		if (k + FIND_AHEAD < nwant)
			fp_xset__prefetch_slot(cur,
					       &want[k + FIND_AHEAD].prefix);
		if (k + FIND_AHEAD / 2 < nwant)
			fp_xset__prefetch_entry(
				cur, &want[k + FIND_AHEAD / 2].prefix);
		in[k] = fp_xset__find(cur, &want[k].prefix);
		if (in[k])
			wanted[in[k] - cur->e] = true;
		same[k] = same_entry(&want[k], in[k]);
	}
	fp_fib__batch_begin(s->m);
	for (int shadow = 1; shadow >= 0 && !err; shadow--) {
		for (size_t k = nwant; k-- > 0 && !err;) {
			const struct fp_xentry *e = &want[k];

			if ((e->rt.ifindex == 0) != shadow ||
			    fp_xset__find(statics, &e->prefix) ||
			    fp_xset__find(&w.blocked, &e->prefix) || same[k])
				continue;
			if (is_host(&e->prefix) && !in[k]) {
				err = write_host(s, &w, e);
				continue;
			}
			/* A shorter prefix: the host routes' outcome first. */
			err = write_hosts(s, &w);
			if (err)
				break;
			ret = write_entry(s, &e->prefix, &e->rt);
			err = count_write(s, &w, &e->prefix, &e->rt, ret);
		}
		if (!err)
			err = write_hosts(s, &w);
	}
	/*
	 * The stale ones, sorted as cur was before it had an index: shorter
	 * prefixes go first, so no destination falls back from a stale entry
	 * to another stale one that covers it.
	 */
	for (size_t i = 0; i < cur->n && !err; i++) {
		const struct fp_xentry *e = &cur->e[i];
		if (!wanted[i] || refused(&w.failed, &w.blocked, &e->prefix))
			err = fp_xset__add(&stale, &e->prefix, &e->rt);
	}
	fp_xset__sort(&stale);
	for (int shadow = 0; shadow <= 1; shadow++)
		for (size_t i = 0; i < stale.n && !err; i++) {
			const struct fp_xentry *e = &stale.e[i];

			if ((e->rt.ifindex == 0) != shadow)
				continue;
			err = delete_entry(s, &e->prefix);
			removed++;
		}
	ret = fp_fib__batch_end(s->m);
	if (!err)
		err = ret;
	if (w.added || removed)
		pr_info("sync: %d entries written, %d removed\n", w.added,
			removed);
	warn_new(&w.failed, &s->failed, false);
	warn_new(&w.blocked, &s->blocked, true);
	fp_xset__free(&s->failed);
	fp_xset__free(&s->blocked);
	s->failed = w.failed;
	s->blocked = w.blocked;
	publish_ctl(s);
	free(w.hosts);
	free(w.res);
	fp_xset__free(&stale);
out_free:
	free(in);
	free(wanted);
	free(same);
	return err;
}

/* Sync-made ports, once no entry of ours points at them any more. */
static void drop_ports(struct sync *s, const struct vec *drop)
{
	const __u32 *ifindex = drop->v;

	for (size_t i = 0; i < drop->n; i++) {
		struct rtnl_link *l = find_link(s, ifindex[i]);

		/*
		 * Unregistered, the port program passes everything anyway. A
		 * device that is gone took its program with it: no query.
		 */
		if (l) {
			fp_attach__port_off((int)ifindex[i]);
			rtnl_link_put(l);
		}
		fp_ports__del(s->m, ifindex[i]);
		pr_info("sync: port ifindex %u dropped\n", ifindex[i]);
		s->ports_changed++;
	}
}

/* Everything from the caches, against everything in the maps. */
static int reconcile_full(struct sync *s, const struct vec *ports)
{
	struct vec neighs = { 0 }, routes = { 0 };
	struct map_reader maps;
	/* Phase times for -v: where a million routes' seconds go. */
	__u64 t0 = mono_ns(), t1 = 0, tl = 0, t2 = 0, t3 = 0;
	int err, rerr;

	/* Nothing below touches the maps before the join. */
	map_reader_start(&maps, s->m);
	err = gather_neighs(s, &neighs);
	if (!err)
		err = gather_routes(s, &routes);
	t1 = mono_ns();
	if (!err)
		err = fp_xstate__set_ports(s->xs, ports->v, ports->n);
	if (!err) {
		err = fp_xstate__load_take(s->xs, routes.v, routes.n, neighs.v,
					   neighs.n);
		routes.v = NULL; /* the state's now */
	}
	tl = mono_ns();
	/* Settles the state; the maps are diffed below, not against it. */
	if (!err)
		err = fp_xstate__changes(s->xs, NULL);
	t2 = mono_ns();
	rerr = map_reader_join(&maps);
	if (!err)
		err = rerr;
	t3 = mono_ns();
	if (!err)
		err = apply(s, &maps.cur, &maps.statics);
	if (!err) {
		s->full = false;
		s->ctl.full_syncs++;
		publish_ctl(s);
		pr_debug(
			"sync: full pass of %zu routes: dump %llu ms, load %llu ms, settle %llu ms, read maps %llu ms alongside (then waited %llu ms), apply %llu ms; link events since the last: %lu, %lu more that changed nothing\n",
			routes.n, (t1 - t0) / 1000000ULL,
			(tl - t1) / 1000000ULL, (t2 - tl) / 1000000ULL,
			maps.busy_ns / 1000000ULL, (t3 - t2) / 1000000ULL,
			(mono_ns() - t3) / 1000000ULL, s->link_events,
			s->link_quiet);
		s->link_events = s->link_quiet = 0;
	}
	fp_xset__free(&maps.cur);
	fp_xset__free(&maps.statics);
	vec_free(&neighs);
	vec_free(&routes);
	return err;
}

/* One change of an event batch; 1 when the map refused it. */
static int apply_one(struct sync *s, const struct fp_xchange *c, bool write)
{
	const struct fp_prefix *p = &c->prefix;
	char pfx[FP_PREFIX_STRLEN];
	int ret;

	if (is_static(s, p))
		return 0;
	if (!write)
		return delete_entry(s, p);
	if (refused(&s->failed, &s->blocked, p))
		return 0; /* stays out until the next full reconcile */
	ret = write_entry(s, p, &c->after);
	if (ret <= 0)
		return ret;
	fp_format_prefix(p, pfx, sizeof(pfx));
	pr_warn("sync: route %s: %s is full: not programmed, its traffic goes to the gateway\n",
		pfx, fp_fib__map_name(p));
	ret = fp_xset__add(&s->failed, p, &c->after);
	if (ret)
		return ret;
	fp_xset__sort(&s->failed);
	return 1;
}

/* The entries an event batch changed, in the never-blackhole order. */
static int apply_changes(struct sync *s, const struct fp_xchanges *ch)
{
	int written = 0, removed = 0, err = 0, ret;
	size_t nfailed = s->failed.n;

	fp_fib__batch_begin(s->m);

	for (int shadow = 1; shadow >= 0; shadow--)
		for (size_t i = 0; i < ch->n && !err; i++) {
			const struct fp_xchange *c = &ch->v[i];

			if (!c->has_after || (c->after.ifindex == 0) != shadow)
				continue;
			ret = apply_one(s, c, true);
			if (ret < 0)
				err = ret;
			else if (ret == 0)
				written++;
			else
				err = block_ancestors(s->xs, &c->prefix,
						      &s->blocked);
		}
	for (int shadow = 0; shadow <= 1; shadow++)
		for (size_t i = 0; i < ch->n && !err; i++) {
			const struct fp_xchange *c = &ch->v[i];

			if (c->has_after || !c->has_before ||
			    (c->before.ifindex == 0) != shadow)
				continue;
			err = apply_one(s, c, false);
			removed++;
		}
	if (s->failed.n != nfailed) {
		/* Withdrawn fast prefixes leave the map now. */
		for (size_t i = 0; i < s->blocked.n && !err; i++)
			err = delete_entry(s, &s->blocked.e[i].prefix);
		pr_debug("sync: %zu new entries refused by a full route map\n",
			 s->failed.n - nfailed);
		publish_ctl(s);
	}
	ret = fp_fib__batch_end(s->m);
	if (!err)
		err = ret;
	/* Space may have come free for what was refused. */
	if (removed && (s->failed.n || s->blocked.n))
		retry_arm(s, RETRY_ROOM);
	if (written || removed)
		pr_debug("sync: %d entries written, %d removed\n", written,
			 removed);
	return err;
}

static int reconcile(struct sync *s)
{
	struct vec ports = { 0 }, drop = { 0 };
	struct fp_xchanges ch = { 0 };
	struct uplinks u;
	int err;

	s->ports_changed = 0;
	if (s->inject_failures > 0) {
		s->inject_failures--;
		err = -EIO;
		pr_warn("sync: injected failure (FASTPATH_SYNC_FAIL_PASSES)\n");
		goto out_failed;
	}
	read_uplinks(s->m, &u);
	err = gather_ports(s, &u, &ports, &drop);
	if (err)
		goto out_failed;
	if (s->full) {
		err = reconcile_full(s, &ports);
	} else {
		err = fp_xstate__set_ports(s->xs, ports.v, ports.n);
		if (!err)
			err = fp_xstate__changes(s->xs, &ch);
		if (!err)
			err = apply_changes(s, &ch);
		if (!err) {
			s->ctl.batches++;
			publish_ctl(s);
		}
	}
	if (!err)
		drop_ports(s, &drop);
out_failed:
	if (err) {
		pr_warn("sync: reconcile: %s\n", strerror(-err));
		/* The maps may be behind the state: sweep them next time. */
		s->full = true;
	}
	fp_xchanges__free(&ch);
	vec_free(&ports);
	vec_free(&drop);
	return err;
}

/*
 * A pass that failed, or a full pass whose outcome a later pass may change
 * (the set of entries a full map refused is fixed until a sweep); a sweep is
 * tried again after RETRY_MIN_MS, doubling to RETRY_MAX_MS while retries keep
 * failing or keep leaving entries refused.
 */
static void pass_result(struct sync *s, int err, bool swept)
{
	if (err) {
		retry_arm(s, RETRY_FAILED);
		return;
	}
	/*
	 * Room is only found by a sweep: an event's pass leaves it waiting,
	 * and so does a sweep that came before entries left (a later round
	 * of the same pass armed it).
	 */
	if ((s->retry == RETRY_ROOM || s->retry == RETRY_POLL) &&
	    (!swept ||
	     (s->retry == RETRY_ROOM && s->retry_sweeps == s->ctl.full_syncs)))
		return;
	s->retry = RETRY_NONE;
	if (!s->failed.n && !s->blocked.n) {
		s->backoff_ms = 0;
	} else if (!s->once) {
		/*
		 * Refused by this pass or kept so by a sweep. Its own wait: a
		 * room retry still doubles as before.
		 */
		s->retry = RETRY_POLL;
		s->retry_ms = now_ms() + s->poll_ms;
		pr_debug("sync: %s: looking for room again in %d ms\n",
			 retry_cause[RETRY_POLL], s->poll_ms);
	}
}

/* Until the ports settle: a dropped port may free an ifindex for a new one. */
static int reconcile_all(struct sync *s)
{
	unsigned long long sweeps = s->ctl.full_syncs;
	int err = 0;

	for (int round = 0; round < 3; round++) {
		err = reconcile(s);
		if (err || !s->ports_changed)
			break;
	}
	pass_result(s, err, s->ctl.full_syncs != sweeps);
	return err;
}

/* ---- netlink ---------------------------------------------------------- */

static void on_change(struct nl_cache *c, struct nl_object *obj, int action,
		      void *data)
{
	struct sync *s = data;
	struct fp_xneigh n;
	/* One without a MAC is as good as gone. */
	bool ok = neigh_to_x((struct rtnl_neigh *)obj, &n);

	(void)c;
	s->dirty = true;
	if (fp_xstate__neigh(s->xs, &n, ok && action != NL_ACT_DEL))
		s->full = true;
}

static bool same_addr(struct nl_addr *a, struct nl_addr *b)
{
	return (!a && !b) || (a && b && !nl_addr_cmp(a, b));
}

/*
 * Whether a link change can change sync's answer: what it reads of a
 * device is its name (--ports), flags (up, carrier), MAC and MTU. Other
 * changes, such as the kernel's RTM_NEWLINK after an XDP program is
 * attached (sync's own --return attach among them), change nothing.
 */
static bool link_matters(struct rtnl_link *old, struct rtnl_link *now)
{
	return strcmp(rtnl_link_get_name(old), rtnl_link_get_name(now)) ||
	       rtnl_link_get_flags(old) != rtnl_link_get_flags(now) ||
	       rtnl_link_get_mtu(old) != rtnl_link_get_mtu(now) ||
	       !same_addr(rtnl_link_get_addr(old), rtnl_link_get_addr(now));
}

/*
 * Link events only mark: however many the socket holds, the loop makes
 * one full pass of them. Per-family link objects (AF_INET6 link state) are
 * no device, and sync reads none of them.
 */
static void on_link(struct nl_cache *c, struct nl_object *old,
		    struct nl_object *now, uint64_t diff, int action,
		    void *data)
{
	struct rtnl_link *l = (struct rtnl_link *)(now ? now : old);
	struct sync *s = data;

	(void)c;
	(void)diff;
	if (!l || !is_device(l))
		return;
	if (action == NL_ACT_CHANGE && old && now &&
	    !link_matters((struct rtnl_link *)old, (struct rtnl_link *)now)) {
		s->link_quiet++;
		return;
	}
	s->link_events++;
	/* IPv4 flushes a dead device's routes without telling anyone. */
	s->dirty = s->refill = s->full = true;
}

static int refill(struct sync *s, bool links)
{
	int err;

	if (links) {
		err = nl_cache_refill(s->sk, s->links);
		if (err < 0)
			return nl_err("re-dump links", err);
	}
	err = nl_cache_refill(s->sk, s->neighs);
	if (err < 0)
		return nl_err("re-dump neighbours", err);
	/* Routes are dumped afresh by the full pass that follows. */
	return 0;
}

static int caches_open(struct sync *s)
{
	const char *env = getenv("FASTPATH_SYNC_RCVBUF");
	int err, rcvbuf = EVENT_RCVBUF;

	/* Tests shrink the buffer to force the overflow path. */
	if (env && atoi(env) > 0)
		rcvbuf = atoi(env);

	err = fp_nlsock__route(&s->sk, 0, "sync");
	if (err < 0)
		return nl_err("connect", err);
	err = nl_cache_mngr_alloc(NULL, NETLINK_ROUTE, NL_AUTO_PROVIDE,
				  &s->mngr);
	if (err < 0)
		return nl_err("cache manager", err);
	/* A bigger buffer makes overflows (and full re-dumps) rarer. */
	if (setsockopt(nl_cache_mngr_get_fd(s->mngr), SOL_SOCKET,
		       SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		pr_debug("sync: SO_RCVBUFFORCE: %s\n", strerror(errno));
	/* Links with the object before a change as well: link_matters(). */
	err = nl_cache_alloc_name("route/link", &s->links);
	if (err >= 0) {
		err = nl_cache_mngr_add_cache_v2(s->mngr, s->links, on_link, s);
		if (err < 0) {
			nl_cache_free(s->links);
			s->links = NULL;
		}
	}
	if (err < 0)
		return nl_err("route/link", err);
	err = nl_cache_mngr_add(s->mngr, "route/neigh", on_change, s,
				&s->neighs);
	if (err < 0)
		return nl_err("route/neigh", err);
	/* Route events: subscribed before the first dump, so none is lost. */
	err = fp_nlsock__route(&s->rsk, rcvbuf, "sync");
	if (err >= 0) {
		nl_socket_disable_seq_check(s->rsk);
		nl_socket_modify_cb(s->rsk, NL_CB_VALID, NL_CB_CUSTOM,
				    route_msg, s);
		nl_socket_modify_cb(s->rsk, NL_CB_ACK, NL_CB_CUSTOM, route_ack,
				    s);
		err = nl_socket_add_memberships(s->rsk, RTNLGRP_IPV4_ROUTE,
						RTNLGRP_IPV6_ROUTE, 0);
	}
	if (err >= 0)
		err = nl_socket_set_nonblocking(s->rsk);
	if (err < 0)
		return nl_err("route events", err);
	return 0;
}

static void caches_close(struct sync *s)
{
	/* The manager owns the caches it added. */
	if (s->mngr)
		nl_cache_mngr_free(s->mngr);
	if (s->sk)
		nl_socket_free(s->sk);
	if (s->rsk)
		nl_socket_free(s->rsk);
}

static int signals_fd(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	fd = signalfd(-1, &set, SFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* What a failed read of events means: lost ones ask for a re-dump. */
static void events_failed(struct sync *s, int err, const char *what)
{
	if (err == -NLE_NOMEM) {
		pr_warn("sync: netlink events lost (%s): full re-dump\n",
			nl_geterror(err));
		s->resync = true;
	} else {
		nl_err(what, err);
	}
}

/*
 * After an overflow the kernel reports ENOBUFS first and the messages
 * queued before it after: applied once the re-dump has replaced the state,
 * they would bring back what the kernel has since removed, or undo what
 * the lost messages carried (a port down again whose carrier came back).
 * They are older than the dump that follows, so they go unread. Both
 * event sockets, routes and links with neighbours, need it.
 */
static void drain(int fd)
{
	char buf[16384];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0 ||
	       errno == ENOBUFS || errno == EINTR)
		;
}

/* One batch of link and neighbour events, through libnl's caches. */
static void read_events(struct sync *s)
{
	int err = nl_cache_mngr_data_ready(s->mngr);

	if (err == -NLE_NOMEM)
		drain(nl_cache_mngr_get_fd(s->mngr));
	if (err < 0)
		events_failed(s, err, "events");
}

/*
 * Route events: everything the socket holds now, so that one pass takes
 * them all (a datagram at a time, a burst of routes would cost a pass per
 * datagram).
 */
static void read_route_events(struct sync *s)
{
	struct nl_cb *cb = nl_socket_get_cb(s->rsk);
	int err;

	while ((err = nl_recvmsgs_report(s->rsk, cb)) > 0)
		;
	nl_cb_put(cb);
	if (err == -NLE_NOMEM)
		drain(nl_socket_get_fd(s->rsk));
	if (err < 0 && err != -NLE_AGAIN)
		events_failed(s, err, "route events");
}

static int follow(struct sync *s)
{
	struct pollfd pfd[3];
	int sfd, timeout, err = 0;
	struct pollfd events[2];
	bool idle;

	sfd = signals_fd();
	if (sfd < 0) {
		pr_warn("sync: signals: %s\n", strerror(-sfd));
		return sfd;
	}
	pfd[0] = (struct pollfd){ .fd = nl_cache_mngr_get_fd(s->mngr),
				  .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	pfd[2] = (struct pollfd){ .fd = nl_socket_get_fd(s->rsk),
				  .events = POLLIN };
	events[0] = pfd[0];
	events[1] = pfd[2];
	/* status reads the daemon's health from its pid and heartbeat. */
	s->ctl.pid = getpid();
	publish_ctl(s);
	for (;;) {
		timeout = HEARTBEAT_MS;
		if (s->resync) {
			long long wait = s->last_resync_ms +
					 RESYNC_INTERVAL_MS - now_ms();

			timeout = wait <= 0	      ? 0 :
				  wait < HEARTBEAT_MS ? (int)wait :
							HEARTBEAT_MS;
		}
		/* A re-dump pending ends in a sweep: no retry before it. */
		if (s->retry && !s->resync) {
			long long wait = s->retry_ms - now_ms();

			if (wait < timeout)
				timeout = wait <= 0 ? 0 : (int)wait;
		}
		timeout = fp_vdaemon__timeout(&s->vd, now_ms(), timeout);
		if (poll(pfd, 3, timeout) < 0 && errno != EINTR) {
			err = -errno;
			pr_warn("sync: poll: %s\n", strerror(errno));
			break;
		}
		if (pfd[1].revents & POLLIN)
			break;
		if (pfd[0].revents & POLLIN)
			read_events(s);
		if (pfd[2].revents & POLLIN)
			read_route_events(s);
		if (s->resync &&
		    now_ms() - s->last_resync_ms >= RESYNC_INTERVAL_MS) {
			s->last_resync_ms = now_ms();
			s->resync = false;
			if (!refill(s, true)) {
				s->dirty = s->full = true;
				/* The dump is newer than any barrier sent. */
				s->barrier_read = s->barrier_sent;
			} else {
				s->resync = true;
			}
		} else if (s->refill) {
			s->refill = false;
			if (refill(s, false))
				s->resync = true;
		}
		/* The caches are current: a sweep, no re-dump. */
		if (s->retry && now_ms() >= s->retry_ms)
			s->dirty = s->full = true;
		if (s->dirty && !s->resync) {
			s->dirty = false;
			reconcile_all(s);
		}
		/*
		 * The maps are behind the kernel until the re-dump. Idle:
		 * nothing waits in the event sockets now, so everything the
		 * kernel reported so far is in the maps (and verify yields to
		 * events that came during this turn's reconcile).
		 */
		if (!s->resync && !s->full) {
			/* Route events behind a look: its barrier tells. */
			bool others = poll(events, 1, 0) == 0;

			idle = others && poll(&events[1], 1, 0) == 0;
			fp_vdaemon__step(&s->vd, s->xs, idle, others, now_ms(),
					 &s->ctl);
		}
		publish_ctl(s);
	}
	/* Gone on purpose: the maps stay, nobody follows them any more. */
	s->ctl.pid = 0;
	publish_ctl(s);
	close(sfd);
	return err;
}

/* ---- command ---------------------------------------------------------- */

struct sync_opts {
	const char *table, *ports, *verify_interval;
	bool once, ret, no_return;
};

#define VERIFY_INTERVAL_DEFAULT 60
#define VERIFY_INTERVAL_MAX 86400
#define SYNC_USAGE                                                 \
	"sync [--table ID] [--ports GLOB [--no-return]] [--once] " \
	"[--verify-interval SECS]"

static const struct fp_option sync_options[] = {
	FP_OPT_VALUE("--table", struct sync_opts, table),
	FP_OPT_VALUE("--verify-interval", struct sync_opts, verify_interval),
	FP_OPT_VALUE("--ports", struct sync_opts, ports),
	FP_OPT_FLAG("--once", struct sync_opts, once),
	/* The default since the return path is; kept for old command lines. */
	FP_OPT_FLAG("--return", struct sync_opts, ret),
	FP_OPT_FLAG("--no-return", struct sync_opts, no_return),
	{ 0 },
};

int fp_cmd_sync(const struct fp_opts *o, int argc, char **argv)
{
	struct sync_opts opt = { .table = NULL };
	struct sync s = { .table = RT_TABLE_MAIN, .ctl_fd = -1, .full = true };
	__u32 ctl_key = 0;
	const char *pos[FP_MAX_POS];
	unsigned long long verify_s = VERIFY_INTERVAL_DEFAULT;
	const char *inject;
	struct fp_maps m;
	int npos, err, ret = FP_EXIT_ERR;

	npos = fp_args__parse("sync", argc, argv, sync_options, &opt, pos);
	if (npos < 0)
		return FP_EXIT_USAGE;
	if (npos > 0) {
		fp_usage_error(SYNC_USAGE);
		return FP_EXIT_USAGE;
	}
	if (opt.ret && opt.no_return) {
		fp_usage_error(
			"sync: --return and --no-return contradict each other");
		return FP_EXIT_USAGE;
	}
	if (opt.verify_interval &&
	    fp_parse_uint(opt.verify_interval, VERIFY_INTERVAL_MAX,
			  &verify_s)) {
		fp_usage_error("sync: --verify-interval %s: seconds, 0 (off) "
			       "to %d",
			       opt.verify_interval, VERIFY_INTERVAL_MAX);
		return FP_EXIT_USAGE;
	}
	if (opt.table && fp_parse_table(opt.table, &s.table)) {
		fp_usage_error("sync: --table %s is not a table number",
			       opt.table);
		return FP_EXIT_USAGE;
	}
	s.glob = opt.ports;
	s.ret = !opt.no_return;
	s.o = o;
	/*
	 * Arrays of a million routes grow by realloc: mapped on their own
	 * they move by remapping, where glibc's sliding threshold (up to
	 * 32 MB) would put them on the heap and copy them at every doubling.
	 */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	if (fp_env__enter(o) || fp_maps__open(&m, o))
		return FP_EXIT_ERR;
	s.m = &m;
	s.ctl_fd = bpf_map__fd(m.skel->maps.fp_ctl);
	/* Counters continue from the last run; --once is no daemon. */
	bpf_map_lookup_elem(s.ctl_fd, &ctl_key, &s.ctl);
	s.ctl.pid = 0;
	err = fp_xstate__new(s.table, &s.xs);
	if (err)
		goto out_close;
	err = caches_open(&s);
	if (err)
		goto out_close;
	inject = getenv("FASTPATH_SYNC_FAIL_PASSES");
	if (inject && atoi(inject) > 0)
		s.inject_failures = atoi(inject);
	inject = getenv("FASTPATH_SYNC_POLL_MS");
	s.poll_ms = inject && atoi(inject) > 0 ? atoi(inject) : POLL_MS;
	s.once = opt.once;
	err = reconcile_all(&s);
	if (opt.once) {
		if (!err)
			ret = FP_EXIT_OK;
		goto out_close;
	}
	s.last_resync_ms = now_ms();
	fp_vdaemon__init(&s.vd, o, &m, s.neighs, s.table, verify_s, now_ms());
	fp_vdaemon__set_barrier(&s.vd, send_barrier, &s, &s.barrier_read);
	err = follow(&s);
	fp_vdaemon__fini(&s.vd);
	if (!err)
		ret = FP_EXIT_OK;
out_close:
	caches_close(&s);
	fp_xstate__free(s.xs);
	fp_xset__free(&s.failed);
	fp_xset__free(&s.blocked);
	fp_maps__close(&m);
	return ret;
}
