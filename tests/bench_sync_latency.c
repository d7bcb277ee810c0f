// SPDX-License-Identifier: GPL-2.0
/*
 * Event latency of `fastpath sync`: the time from sending RTM_NEWROUTE
 * (or RTM_DELROUTE) for one IPv4 /32 to its entry appearing in (or going
 * from) the pinned fp_hosts4. The route goes in over our own
 * NETLINK_ROUTE socket, so no fork of ip(8) is inside the measurement;
 * the clock starts just before sendmsg and stops at the first lookup that
 * sees the change (polling, yielding the CPU between lookups).
 *
 * usage: bench_sync_latency NETNS PIN_PATH GATEWAY IFNAME FIRST COUNT GAP_MS
 *   routes FIRST, FIRST+1, ... (IPv4 /32) via GATEWAY dev IFNAME
 * Prints one JSON object:
 *   {"events":N,"all":{"p50_ms":..},"add":{..},"del":{..},"timeouts":T}
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>

#include "fastpath.h"

#define TIMEOUT_NS 2000000000LL

struct req {
	struct nlmsghdr nh;
	struct rtmsg rt;
	char attrs[64];
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void add_attr(struct req *r, unsigned short type, const void *data,
		     unsigned short len)
{
	struct rtattr *a = (struct rtattr *)((char *)&r->nh +
					     NLMSG_ALIGN(r->nh.nlmsg_len));

	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* One route change; the kernel's ack is read after the clock stopped. */
static int send_route(int sk, int type, __be32 dst, __be32 gw, int oif)
{
	struct req r;

	memset(&r, 0, sizeof(r));
	r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(r.rt));
	r.nh.nlmsg_type = type;
	r.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (type == RTM_NEWROUTE)
		r.nh.nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	r.rt.rtm_family = AF_INET;
	r.rt.rtm_dst_len = 32;
	r.rt.rtm_table = RT_TABLE_MAIN;
	r.rt.rtm_protocol = RTPROT_STATIC;
	r.rt.rtm_scope = RT_SCOPE_UNIVERSE;
	r.rt.rtm_type = RTN_UNICAST;
	add_attr(&r, RTA_DST, &dst, 4);
	if (type == RTM_NEWROUTE) {
		add_attr(&r, RTA_GATEWAY, &gw, 4);
		add_attr(&r, RTA_OIF, &oif, 4);
	}
	return send(sk, &r, r.nh.nlmsg_len, 0) < 0 ? -errno : 0;
}

static int read_ack(int sk)
{
	char buf[4096];
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	ssize_t n = recv(sk, buf, sizeof(buf), 0);

	if (n < 0)
		return -errno;
	if (nh->nlmsg_type == NLMSG_ERROR)
		return ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
	return 0;
}

/* Nanoseconds until the entry is (present) or is not (!present); -1: timeout. */
static long long wait_entry(int fd, __be32 dst, bool present, long long t0)
{
	struct fp_route rt;
	long long t;

	/* A /32 is a host route: its entry is keyed by the address. */
	for (;;) {
		bool seen = !bpf_map_lookup_elem(fd, &dst, &rt);

		t = now_ns();
		if (seen == present)
			return t - t0;
		if (t - t0 > TIMEOUT_NS)
			return -1;
		/*
		 * The daemon may be woken on this CPU (the other one busy):
		 * a spin that never yields holds it off for a whole time
		 * slice, milliseconds that are the probe's, not sync's.
		 */
		sched_yield();
	}
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static void print_dist(const char *name, long long *v, int n)
{
	int p50 = (n - 1) / 2, p99 = (n * 99 + 99) / 100 - 1;

	qsort(v, n, sizeof(*v), cmp_ll);
	printf("\"%s\":{\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f}", name,
	       n ? v[p50] / 1e6 : 0.0, n ? v[p99] / 1e6 : 0.0,
	       n ? v[n - 1] / 1e6 : 0.0);
}

static int enter_netns(const char *name)
{
	char path[256];
	int fd, err = 0;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET))
		err = -errno;
	close(fd);
	return err;
}

int main(int argc, char **argv)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	long long *add = NULL, *del = NULL, *all = NULL, d;
	int nadd = 0, ndel = 0, timeouts = 0, count, gap_ms, fd, sk = -1;
	int oif, ret = 1;
	struct in_addr first, gw;
	char path[512];

	if (argc != 8 || inet_pton(AF_INET, argv[3], &gw) != 1 ||
	    inet_pton(AF_INET, argv[5], &first) != 1) {
		fprintf(stderr,
			"usage: %s NETNS PIN_PATH GATEWAY IFNAME FIRST COUNT GAP_MS\n",
			argv[0]);
		return 2;
	}
	count = atoi(argv[6]);
	gap_ms = atoi(argv[7]);
	if (enter_netns(argv[1])) {
		fprintf(stderr, "netns %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	oif = (int)if_nametoindex(argv[4]);
	snprintf(path, sizeof(path), "%s/%s", argv[2], FP_MAP_HOSTS4);
	fd = bpf_obj_get(path);
	if (fd < 0 || !oif || count <= 0) {
		fprintf(stderr, "%s / %s: %s\n", path, argv[4],
			strerror(errno));
		return 1;
	}
	sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (sk < 0 || bind(sk, (struct sockaddr *)&sa, sizeof(sa)))
		goto out;
	add = calloc(count, sizeof(*add));
	del = calloc(count, sizeof(*del));
	all = calloc(2 * (size_t)count, sizeof(*all));
	if (!add || !del || !all)
		goto out;
	for (int i = 0; i < count; i++) {
		__be32 dst = htonl(ntohl(first.s_addr) + i);
		long long t0 = now_ns();

		if (send_route(sk, RTM_NEWROUTE, dst, gw.s_addr, oif))
			goto out;
		d = wait_entry(fd, dst, true, t0);
		if (read_ack(sk)) {
			fprintf(stderr, "route add %d: refused\n", i);
			goto out;
		}
		if (d < 0)
			timeouts++;
		else
			add[nadd++] = d;
		usleep(gap_ms * 1000);
		t0 = now_ns();
		if (send_route(sk, RTM_DELROUTE, dst, 0, 0))
			goto out;
		d = wait_entry(fd, dst, false, t0);
		if (read_ack(sk)) {
			fprintf(stderr, "route del %d: refused\n", i);
			goto out;
		}
		if (d < 0)
			timeouts++;
		else
			del[ndel++] = d;
		usleep(gap_ms * 1000);
	}
	printf("{\"events\":%d,", nadd + ndel + timeouts);
	memcpy(all, add, nadd * sizeof(*all));
	memcpy(all + nadd, del, ndel * sizeof(*all));
	print_dist("all", all, nadd + ndel);
	printf(",");
	print_dist("add", add, nadd);
	printf(",");
	print_dist("del", del, ndel);
	printf(",\"timeouts\":%d}\n", timeouts);
	ret = timeouts ? 1 : 0;
out:
	if (ret && errno)
		fprintf(stderr, "bench_sync_latency: %s\n", strerror(errno));
	free(add);
	free(del);
	free(all);
	if (sk >= 0)
		close(sk);
	close(fd);
	return ret;
}
