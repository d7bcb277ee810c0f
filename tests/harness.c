// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <json-c/json.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fastpath.skel.h"
#include "fib.h"
#include "harness.h"
#include "ifinfo.h"
#include "onprem.h"
#include "parse.h"
#include "port.h"

int fp_test__sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc)
		fprintf(stderr, "`%s` failed (status %d)\n", cmd, rc);
	return rc ? -1 : 0;
}

int fp_test__netns(void)
{
	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "unshare(CLONE_NEWNET): %s (needs root)\n",
			strerror(errno));
		return -1;
	}
	return fp_test__sh("ip link set dev lo up");
}

int fp_test__one_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "sched_setaffinity: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

__u32 fp_test__veth(const char *name, const __u8 *mac, const char *peer)
{
	__u32 ifindex;

	if (fp_test__sh("ip link add %s address %02x:%02x:%02x:%02x:%02x:%02x "
			"type veth peer name %s && ip link set dev %s up && "
			"ip link set dev %s up",
			name, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
			peer, name, peer))
		return 0;
	ifindex = if_nametoindex(name);
	if (!ifindex)
		fprintf(stderr, "%s: no ifindex: %s\n", name, strerror(errno));
	return ifindex;
}

static int load(struct fastpath *skel)
{
	int err = fastpath__load(skel);

	if (err)
		fprintf(stderr, "fastpath__load: %s\n", strerror(-err));
	return err;
}

struct fastpath *fp_test__load(void)
{
	struct fastpath *skel = fp_skel__open_private();
	struct fp_maps m = { .skel = skel };

	if (!skel) {
		fprintf(stderr, "fastpath__open: %s\n", strerror(errno));
		return NULL;
	}
	if (load(skel)) {
		fastpath__destroy(skel);
		return NULL;
	}
	if (fp_maps__fill_fds(&m)) {
		fp_maps__free_shadow(&m);
		fastpath__destroy(skel);
		return NULL;
	}
	fp_maps__free_shadow(&m);
	return skel;
}

int fp_test__maps(struct fp_maps *m, __u32 route_cap, __u32 excl_cap)
{
	memset(m, 0, sizeof(*m));
	m->skel = fp_skel__open_private();
	if (!m->skel) {
		fprintf(stderr, "fastpath__open: %s\n", strerror(errno));
		return -1;
	}
	if (route_cap) {
		bpf_map__set_max_entries(m->skel->maps.fp_hosts4, route_cap);
		bpf_map__set_max_entries(m->skel->maps.fp_routes4, route_cap);
	}
	if (excl_cap)
		bpf_map__set_max_entries(m->skel->maps.fp_excl4, excl_cap);
	bpf_program__set_autoload(m->skel->progs.fastpath_xdp, false);
	if (load(m->skel)) {
		fp_maps__close(m);
		return -1;
	}
	if (fp_maps__fill_fds(m)) {
		fp_maps__close(m);
		return -1;
	}
	return 0;
}

void fp_test__empty(int fd)
{
	__u8 key[64], next[64];

	while (!bpf_map_get_next_key(fd, NULL, next)) {
		memcpy(key, next, sizeof(key));
		if (bpf_map_delete_elem(fd, key))
			break;
	}
}

void fp_test__bench_head(struct json_object *root, int tier, int quick,
			 int rounds)
{
	struct utsname u;

	uname(&u);
	json_object_object_add(root, "tier", json_object_new_int(tier));
	json_object_object_add(root, "kernel",
			       json_object_new_string(u.release));
	json_object_object_add(
		root, "cpus",
		json_object_new_int((int)sysconf(_SC_NPROCESSORS_ONLN)));
	json_object_object_add(root, "quick", json_object_new_boolean(quick));
	json_object_object_add(root, "rounds", json_object_new_int(rounds));
}

int fp_test__devices(const struct fp_test_dev *devs, int n, __u32 *ifidx)
{
	for (int d = 0; d < n; d++) {
		ifidx[d] =
			fp_test__veth(devs[d].name, devs[d].mac, devs[d].peer);
		if (!ifidx[d])
			return -1;
	}
	return 0;
}

const char *fp_test__xdp_name(__u32 action)
{
	static const char *const names[] = { "XDP_ABORTED", "XDP_DROP",
					     "XDP_PASS", "XDP_TX",
					     "XDP_REDIRECT" };

	return action < sizeof(names) / sizeof(names[0]) ? names[action] :
							   "XDP_?";
}

int fp_test__counters(int fd, struct fp_counter *sum)
{
	static struct fp_counter *percpu;
	static int ncpus;

	if (!percpu) {
		ncpus = libbpf_num_possible_cpus();
		if (ncpus <= 0)
			return ncpus ? ncpus : -EINVAL;
		percpu = calloc(ncpus, sizeof(*percpu));
		if (!percpu)
			return -ENOMEM;
	}
	memset(sum, 0, FP_R_MAX * sizeof(*sum));
	for (__u32 r = 0; r < FP_R_MAX; r++) {
		if (bpf_map_lookup_elem(fd, &r, percpu))
			return -errno;
		for (int c = 0; c < ncpus; c++) {
			sum[r].packets += percpu[c].packets;
			sum[r].bytes += percpu[c].bytes;
		}
	}
	return 0;
}

static int said(int err, const char *what, const char *addr, __u32 len)
{
	if (err)
		fprintf(stderr, "%s %s/%u: %s\n", what, addr, len,
			strerror(err < 0 ? -err : EINVAL));
	return err ? -1 : 0;
}

int fp_test__route(const struct fp_maps *m, const char *addr, __u32 len,
		   __u32 ifindex, const __u8 *dmac)
{
	struct fp_route rt = { .ifindex = ifindex, .origin = FP_ORIGIN_STATIC };
	struct fp_prefix p;

	memcpy(rt.dmac, dmac, 6);
	if (fp_parse_addr(addr, &p))
		return said(-EINVAL, "route", addr, len);
	p.len = len;
	return said(fp_fib__set(m, &p, &rt, true), "fp_fib__set", addr, len);
}

int fp_test__port(const struct fp_maps *m, __u32 ifindex, const char *name,
		  const __u8 *mac, const __u8 *peer, __u16 mtu, __u32 flags)
{
	struct fp_port port;
	int err;

	fp_ports__record(&port, name, mac, mtu, peer, flags);
	err = fp_ports__put(m, ifindex, &port, BPF_ANY);
	if (err)
		fprintf(stderr, "fp_ports__put %s: %s\n", name, strerror(-err));
	return err ? -1 : 0;
}

int fp_test__space(const struct fp_maps *m, const struct fp_prefix *p,
		   __u32 vnet, bool del)
{
	int fd = p->family == AF_INET ? m->vnets4 : m->vnets6, err;
	struct fp_vnet v = { .id = vnet };
	struct fp_lpm6 key;

	if (p->family == AF_INET)
		fp_prefix__to_lpm4(p, (struct fp_lpm4 *)&key);
	else
		fp_prefix__to_lpm6(p, &key);
	if (del)
		return bpf_map_delete_elem(fd, &key) ? -errno : 0;
	fp_maps__lock(m);
	err = fp_fib__srcfilt_space(m, p);
	if (!err && bpf_map_update_elem(fd, &key, &v, BPF_NOEXIST))
		err = -errno;
	fp_maps__unlock(m);
	return err;
}

int fp_test__onprem(const struct fp_maps *m, const char *addr, __u32 len,
		    __u32 uplink, const char *name, const __u8 *mac, __u32 mtu,
		    const __u8 *nh_mac)
{
	struct fp_ifinfo info = { .ifindex = uplink, .mtu = mtu };
	struct fp_prefix p;

	memcpy(info.mac, mac, 6);
	snprintf(info.name, sizeof(info.name), "%s", name);
	if (fp_parse_addr(addr, &p))
		return said(-EINVAL, "on-prem", addr, len);
	p.len = len;
	return said(fp_onprem__add(m, &p, &info, nh_mac, FP_ORIGIN_STATIC),
		    "fp_onprem__add", addr, len);
}

int fp_test__run(struct fp_test_run *r, const __u8 *frame, int len, __u8 *out,
		 int out_size)
{
	static __u8 in[4096];
	struct xdp_md ctx = { .data = r->meta_len,
			      .data_end = r->meta_len + len,
			      .ingress_ifindex = r->ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = in,
		    .data_size_in = r->meta_len + len, .data_out = out,
		    .data_size_out = out_size, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = r->repeat);

	if (r->meta_len + len > (int)sizeof(in))
		return -E2BIG;
	memcpy(in, r->meta, r->meta_len);
	memcpy(in + r->meta_len, frame, len);
	if (bpf_prog_test_run_opts(r->prog_fd, &t))
		return -errno;
	r->retval = t.retval;
	r->out_len = (int)t.data_size_out;
	return 0;
}

int fp_test__untx(const struct fp_maps *m, __u32 ifindex)
{
	if (bpf_map_delete_elem(m->tx, &ifindex) ||
	    (ifindex < FP_DEV_SLOTS && bpf_map_delete_elem(m->txv, &ifindex)))
		return -errno;
	return 0;
}
