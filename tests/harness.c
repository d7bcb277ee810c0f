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

int fp_test__untx(const struct fp_maps *m, __u32 ifindex)
{
	if (bpf_map_delete_elem(m->tx, &ifindex) ||
	    (ifindex < FP_DEV_SLOTS && bpf_map_delete_elem(m->txv, &ifindex)))
		return -errno;
	return 0;
}
