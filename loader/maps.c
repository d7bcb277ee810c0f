// SPDX-License-Identifier: GPL-2.0
/* Opening the pinned maps through the skeleton; the namespace and bpffs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "fastpath.skel.h"
#include "fib.h"
#include "fp.h"
#include "log.h"

static int enter_netns(const char *name)
{
	char path[512];
	int fd, err = 0;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		pr_warn("netns %s: %s\n", name, strerror(errno));
		return err;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		err = -errno;
		pr_warn("netns %s: setns: %s\n", name, strerror(errno));
	}
	close(fd);
	return err;
}

static bool same_mount_ns_as_init(void)
{
	struct stat self, init;

	if (stat("/proc/self/ns/mnt", &self) || stat("/proc/1/ns/mnt", &init))
		return true;
	return self.st_ino == init.st_ino;
}

/* Pins live in a bpffs; mount one at /sys/fs/bpf when none is there. */
static int ensure_bpffs(const char *pin_path)
{
	struct statfs st;

	if (strncmp(pin_path, "/sys/fs/bpf", 11))
		return 0;
	if (!statfs("/sys/fs/bpf", &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
		pr_warn("bpffs: /sys/fs/bpf is not a bpffs and cannot be mounted (%s); "
			"run fastpath -n NAME instead of ip netns exec\n",
			strerror(errno));
		return -errno;
	}
	if (!same_mount_ns_as_init())
		pr_warn("bpffs: mounted /sys/fs/bpf in a private mount namespace; "
			"its pins vanish when this command exits (use fastpath -n NAME "
			"instead of ip netns exec)\n");
	return 0;
}

/* The -n of this process, to name commands in messages. */
static const char *env_netns;

int fp_env__enter(const struct fp_opts *o)
{
	int err;

	env_netns = o->netns;
	if (o->netns) {
		err = enter_netns(o->netns);
		if (err)
			return err;
	}
	return ensure_bpffs(o->pin_path);
}

static int report_pin(const char *path, int err)
{
	pr_warn("%s: cannot reuse the pinned map: %s\n", path, strerror(-err));
	return err;
}

/*
 * The kernel adds BPF_F_RDONLY_PROG to every devmap it creates, so
 * libbpf 1.1 finds a pinned devmap "incompatible" with its own definition
 * (fixed in later libbpf). Hand it the pinned map ourselves.
 */
static int reuse_devmap(struct bpf_map *map, const char *pin_path)
{
	char path[PATH_MAX];
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s", pin_path, bpf_map__name(map));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : report_pin(path, -errno);
	err = bpf_map__reuse_fd(map, fd);
	close(fd);
	if (!err)
		err = bpf_map__set_pin_path(map, NULL);
	return err ? report_pin(path, err) : 0;
}

/*
 * A size from the environment: *out = dflt when name is unset, else its
 * value, which must lie in [min, max].
 */
static int env_size(const char *name, __u32 dflt, __u32 min, __u32 max,
		    __u32 *out)
{
	const char *env = getenv(name);
	unsigned long n;
	char *end;

	*out = dflt;
	if (!env || !*env)
		return 0;
	errno = 0;
	n = strtoul(env, &end, 10);
	if (errno || *end || n < min || n > max) {
		pr_warn("%s=%s: not a number from %u to %u\n", name, env, min,
			max);
		return -EINVAL;
	}
	*out = n;
	return 0;
}

/*
 * FASTPATH_ROUTE_CAPACITY shrinks the route maps (host hashes and LPM
 * tries) when they are first created, so that tests can fill them; every
 * command of one pin path must see the same value, or the pinned maps no
 * longer match and are refused.
 */
static int route_capacity(struct fastpath *skel)
{
	struct bpf_map *maps[] = { skel->maps.fp_hosts4, skel->maps.fp_hosts6,
				   skel->maps.fp_routes4,
				   skel->maps.fp_routes6 };
	__u32 cap;
	int err;

	err = env_size("FASTPATH_ROUTE_CAPACITY", 0, 1, FP_MAX_ROUTES, &cap);
	for (size_t i = 0; !err && cap && i < sizeof(maps) / sizeof(maps[0]);
	     i++)
		bpf_map__set_max_entries(maps[i], cap);
	return err;
}

/*
 * FASTPATH_PLIES4 / FASTPATH_PLIES6 size the compiled tries (in plies of
 * 256 slots, the root's 256 included) when they are first created: a
 * table of many long prefixes over a wide space needs more than the
 * default (1M IPv4 /28s spread over a /8 take 65,792 plies). Like
 * FASTPATH_ROUTE_CAPACITY, every command of one pin path must see the
 * same values.
 */
static int plies_env(const char *name, __u32 dflt, __u32 *out)
{
	return env_size(name, dflt, FP_ROOT_PLIES + 1, FP_LEAF_PLY_MASK / 16,
			out);
}

static int trie_capacity(struct fastpath *skel)
{
	__u32 p4, p6;
	int err;

	err = plies_env("FASTPATH_PLIES4", FP_PLIES4, &p4);
	if (!err)
		err = plies_env("FASTPATH_PLIES6", FP_PLIES6, &p6);
	if (err)
		return err;
	bpf_map__set_max_entries(skel->maps.fp_trie4, p4 * 256);
	bpf_map__set_max_entries(skel->maps.fp_trie6, p6 * 256);
	bpf_map__set_max_entries(skel->maps.fp_plies, p4 + p6);
	return 0;
}

struct fastpath *fp_skel__open_private(void)
{
	struct fastpath *skel = fastpath__open();
	struct bpf_map *map;
	int err;

	if (!skel)
		return NULL;
	bpf_object__for_each_map(map, skel->obj) {
		err = bpf_map__set_pin_path(map, NULL);
		if (!err && map == skel->maps.fp_plies)
			err = trie_capacity(skel);
		if (err) {
			fastpath__destroy(skel);
			errno = -err;
			return NULL;
		}
	}
	return skel;
}

static bool is_our_pin(const char *name)
{
	return !strncmp(name, "fp_", 3);
}

int fp_pins__present(const char *pin_path)
{
	DIR *d = opendir(pin_path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d)))
		n += is_our_pin(e->d_name);
	closedir(d);
	return n;
}

int fp_pins__remove(const char *pin_path)
{
	int dfd, n = 0, err = 0;
	struct dirent *e;
	DIR *d;

	dfd = open(pin_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	/* Not under a model writer's feet (fp_maps__lock). */
	while (flock(dfd, LOCK_EX) && errno == EINTR)
		;
	d = fdopendir(dfd);
	if (!d) {
		err = -errno;
		close(dfd);
		return err;
	}
	while ((e = readdir(d))) {
		if (!is_our_pin(e->d_name))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0)) {
			err = -errno;
			pr_warn("%s/%s: cannot remove the pin: %s\n", pin_path,
				e->d_name, strerror(errno));
			break;
		}
		n++;
	}
	closedir(d); /* drops the lock */
	if (err)
		return err;
	/* Someone else's pins keep the directory; so does a mount point. */
	rmdir(pin_path);
	return n;
}

int fp_pins__open_uplinks(const char *pin_path)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pin_path, FP_MAP_UPLINKS);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	/* Key __u32 ifindex in every layout so far. */
	if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    info.key_size != sizeof(__u32)) {
		close(fd);
		return -EPROTO;
	}
	return fd;
}

/* The command that clears pin_path, as the user would type it. */
static void clear_command(const char *pin_path, char *buf, size_t n)
{
	bool dflt = !strcmp(pin_path, FP_DEFAULT_PIN_PATH);

	snprintf(buf, n, "fastpath%s%s%s%s unload --all",
		 env_netns ? " -n " : "", env_netns ? env_netns : "",
		 dflt ? "" : " --pin-path ", dflt ? "" : pin_path);
}

/*
 * A fresh pin set: pin fp_layout, version written, before libbpf pins any
 * other map, so that no command ever sees our pins without a version.
 * Returns 0, or -EEXIST when another command pinned one first.
 */
static int create_layout(const char *path)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo);
	__u32 key = 0, version = FP_LAYOUT_VERSION;
	struct btf *btf = btf__new_empty();
	int id, fd, err = 0;

	/* With BTF, so that bpftool prints the version as a number. */
	id = btf ? btf__add_int(btf, "unsigned int", 4, 0) : -ENOMEM;
	if (id > 0 && !btf__load_into_kernel(btf)) {
		mo.btf_fd = btf__fd(btf);
		mo.btf_key_type_id = id;
		mo.btf_value_type_id = id;
	}
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, FP_MAP_LAYOUT, sizeof(key),
			    sizeof(version), 1, &mo);
	btf__free(btf);
	if (fd < 0)
		return -errno;
	if (bpf_map_update_elem(fd, &key, &version, BPF_ANY) ||
	    bpf_obj_pin(fd, path))
		err = -errno;
	close(fd);
	return err;
}

/* The version of pinned fp_layout at path, 1 when there is none. */
static int pinned_layout(const char *path)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info), key = 0, version = 0;
	int fd, err;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 1 : -errno;
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (!err &&
	    (info.type != BPF_MAP_TYPE_ARRAY || info.key_size != sizeof(key) ||
	     info.value_size != sizeof(version)))
		err = -EPROTO;
	if (!err && bpf_map_lookup_elem(fd, &key, &version))
		err = -errno;
	/*
	 * 0: created from this object by someone else (ip link ... xdp obj),
	 * which writes no version: ours, since the object is.
	 */
	if (!err && !version) {
		version = FP_LAYOUT_VERSION;
		if (bpf_map_update_elem(fd, &key, &version, BPF_ANY))
			err = -errno;
	}
	close(fd);
	return err ? err : (int)version;
}

/*
 * Before libbpf reuses a pin: refuse pins of another layout with one line
 * that names the command clearing them, not libbpf's "parameter mismatch".
 */
static int check_layout(const char *pin_path)
{
	char path[PATH_MAX], cmd[PATH_MAX + 64];
	int v;

	snprintf(path, sizeof(path), "%s/%s", pin_path, FP_MAP_LAYOUT);
	v = fp_pins__present(pin_path);
	if (!v) {
		v = create_layout(path);
		if (!v)
			return 0;
		if (v != -EEXIST) {
			pr_warn("%s: cannot pin the layout version: %s\n", path,
				strerror(-v));
			return v;
		}
	}
	if (v > 0 || v == -EEXIST)
		v = pinned_layout(path);
	if (v < 0) {
		pr_warn("%s: cannot read the layout version: %s\n", path,
			strerror(-v));
		return v;
	}
	if (v == FP_LAYOUT_VERSION)
		return 0;
	clear_command(pin_path, cmd, sizeof(cmd));
	if (v < FP_LAYOUT_VERSION)
		pr_warn("%s: pinned maps are layout %d, this build uses layout %d: "
			"run '%s' to clear them (detaches fastpath from their "
			"uplinks)\n",
			pin_path, v, FP_LAYOUT_VERSION, cmd);
	else
		pr_warn("%s: pinned maps are layout %d, this build uses layout %d: "
			"use the newer fastpath, or run '%s' to clear them\n",
			pin_path, v, FP_LAYOUT_VERSION, cmd);
	return -EPROTO;
}

struct fastpath *fp_skel__open(const char *pin_path)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = pin_path);
	struct fastpath *skel;

	if (mkdir(pin_path, 0700) && errno != EEXIST) {
		pr_warn("pin path %s: %s\n", pin_path, strerror(errno));
		return NULL;
	}
	if (check_layout(pin_path))
		return NULL;
	skel = fastpath__open_opts(&oo);
	if (!skel) {
		pr_warn("%s: cannot open the BPF object: %s\n", pin_path,
			strerror(errno));
		return NULL;
	}
	if (reuse_devmap(skel->maps.fp_tx, pin_path) ||
	    reuse_devmap(skel->maps.fp_txv, pin_path) || route_capacity(skel) ||
	    trie_capacity(skel)) {
		fastpath__destroy(skel);
		return NULL;
	}
	return skel;
}

static __u32 monotonic_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u32)ts.tv_sec;
}

void fp_maps__free_shadow(struct fp_maps *m)
{
	fp_trie__fini(&m->trie);
}

int fp_maps__fill_fds(struct fp_maps *m)
{
	struct fastpath *s = m->skel;

	m->uplinks = bpf_map__fd(s->maps.fp_uplinks);
	m->ports = bpf_map__fd(s->maps.fp_ports);
	m->tx = bpf_map__fd(s->maps.fp_tx);
	m->upv = bpf_map__fd(s->maps.fp_upv);
	m->portv = bpf_map__fd(s->maps.fp_portv);
	m->txv = bpf_map__fd(s->maps.fp_txv);
	m->nh = bpf_map__fd(s->maps.fp_nh);
	m->trie4 = bpf_map__fd(s->maps.fp_trie4);
	m->trie6 = bpf_map__fd(s->maps.fp_trie6);
	m->plies = bpf_map__fd(s->maps.fp_plies);
	m->srcfilt = bpf_map__fd(s->maps.fp_srcfilt);
	m->present = bpf_map__fd(s->maps.fp_present);
	m->hosts4 = bpf_map__fd(s->maps.fp_hosts4);
	m->hosts6 = bpf_map__fd(s->maps.fp_hosts6);
	m->routes4 = bpf_map__fd(s->maps.fp_routes4);
	m->routes6 = bpf_map__fd(s->maps.fp_routes6);
	m->excl4 = bpf_map__fd(s->maps.fp_excl4);
	m->excl6 = bpf_map__fd(s->maps.fp_excl6);
	m->stats = bpf_map__fd(s->maps.fp_stats);
	m->circuits = bpf_map__fd(s->maps.fp_circuits);
	m->vnets4 = bpf_map__fd(s->maps.fp_vnets4);
	m->vnets6 = bpf_map__fd(s->maps.fp_vnets6);
	m->conns = bpf_map__fd(s->maps.fp_conns);
	m->connstat = bpf_map__fd(s->maps.fp_connstat);
	m->lockfd = -1;
	return fp_trie__init(&m->trie, m->trie4, m->trie6, m->nh, m->plies,
			     bpf_map__max_entries(s->maps.fp_trie4) / 256,
			     bpf_map__max_entries(s->maps.fp_trie6) / 256,
			     monotonic_secs);
	return 0;
}

/* One process holds one set of maps: the nesting depth is the process's. */
static int lock_depth;

void fp_maps__lock(const struct fp_maps *m)
{
	if (lock_depth++ == 0 && m->lockfd >= 0)
		while (flock(m->lockfd, LOCK_EX) && errno == EINTR)
			;
}

void fp_maps__unlock(const struct fp_maps *m)
{
	if (--lock_depth == 0 && m->lockfd >= 0)
		flock(m->lockfd, LOCK_UN);
}

/* Reuse the pinned maps (creating and pinning any that are missing). */
int fp_maps__open(struct fp_maps *m, const struct fp_opts *o)
{
	int err;

	memset(m, 0, sizeof(*m));
	m->skel = fp_skel__open(o->pin_path);
	if (!m->skel)
		return -ENOENT;
	bpf_program__set_autoload(m->skel->progs.fastpath_xdp, false);
	err = fastpath__load(m->skel);
	if (err) {
		pr_warn("%s: cannot open or create the pinned maps: %s\n",
			o->pin_path, strerror(-err));
		fastpath__destroy(m->skel);
		m->skel = NULL;
		return err;
	}
	err = fp_maps__fill_fds(m);
	if (err) {
		pr_warn("%s: cannot read the compiled table: %s\n", o->pin_path,
			strerror(-err));
		fastpath__destroy(m->skel);
		m->skel = NULL;
		return err;
	}
	m->lockfd = open(o->pin_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* Until it succeeds the program looks up every source: no harm. */
	err = fp_fib__srcfilt_init(m);
	if (err)
		pr_warn("%s: anti-spoofing pre-filter off: %s\n",
			FP_MAP_SRCFILT, strerror(-err));
	return 0;
}

void fp_maps__close(struct fp_maps *m)
{
	if (m->lockfd >= 0)
		close(m->lockfd);
	m->lockfd = -1;
	fp_maps__free_shadow(m);
	fastpath__destroy(m->skel);
	m->skel = NULL;
}

int fp_maps__count(int fd, __u32 *count, __u32 *capacity)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	__u8 key[64], next[64];
	void *prev = NULL;
	int err;

	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (err)
		return err;
	*capacity = info.max_entries;
	*count = 0;
	if (info.type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	    info.type == BPF_MAP_TYPE_ARRAY) {
		*count = info.max_entries;
		return 0;
	}
	if (info.key_size > sizeof(key))
		return -E2BIG;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		(*count)++;
		memcpy(key, next, info.key_size);
		prev = key;
	}
	return 0;
}

int fp_stats__sum(const struct fp_maps *m, struct fp_counter out[FP_R_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	struct fp_counter *percpu;
	int err = 0;

	if (ncpu < 0)
		return ncpu;
	percpu = calloc(ncpu, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	for (__u32 r = 0; r < FP_R_MAX; r++) {
		out[r].packets = out[r].bytes = 0;
		if (bpf_map_lookup_elem(m->stats, &r, percpu)) {
			err = -errno;
			break;
		}
		for (int c = 0; c < ncpu; c++) {
			out[r].packets += percpu[c].packets;
			out[r].bytes += percpu[c].bytes;
		}
	}
	free(percpu);
	return err;
}
