// SPDX-License-Identifier: GPL-2.0
/* The pinned maps through the skeleton; pinset.c checks the pin set. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fastpath.skel.h"
#include "maps.h"
#include "pinset.h"
#include "log.h"
#include "mapio.h"

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
	bpf_map__set_max_entries(skel->maps.fp_cidx4, p4);
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

/* How a command opens the pin set. */
enum open_mode {
	OPEN_CREATE, /* a writer: locked, a fresh set made when none */
	OPEN_EXISTING, /* locked, never created */
	OPEN_READ, /* a reader: no lock while the set is whole */
};

/*
 * The skeleton on the pin set at pin_path, checked (fp_pinset__open) and
 * locked unless OPEN_READ: *dfd is its directory, which the caller
 * unlocks or closes once the skeleton is loaded. Only OPEN_CREATE may
 * make a fresh set.
 */
static struct fastpath *skel_open(const char *pin_path, enum open_mode mode,
				  int *dfd)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = pin_path);
	struct fastpath *skel;
	bool fresh = false;

	if (mode == OPEN_READ)
		*dfd = fp_pinset__open_ro(pin_path);
	else
		*dfd = fp_pinset__open(pin_path, mode == OPEN_CREATE, &fresh);
	/* Empty: maybe being created; its creator's lock says when done. */
	if (*dfd == -EAGAIN)
		return skel_open(pin_path, OPEN_EXISTING, dfd);
	if (*dfd < 0)
		return NULL;
	skel = fastpath__open_opts(&oo);
	if (!skel) {
		pr_warn("%s: cannot open the BPF object: %s\n", pin_path,
			strerror(errno));
		goto fail;
	}
	/*
	 * Not whole: being created or removed under the lock, or damaged.
	 * Ask again under the lock, which waits for that writer and then
	 * names the damage, if any, as a writer would.
	 */
	if (mode == OPEN_READ && !fp_pinset__whole(*dfd, skel->obj)) {
		fastpath__destroy(skel);
		close(*dfd);
		return skel_open(pin_path, OPEN_EXISTING, dfd);
	}
	if ((!fresh && fp_pinset__complete(pin_path, *dfd, skel->obj)) ||
	    reuse_devmap(skel->maps.fp_tx, pin_path) ||
	    reuse_devmap(skel->maps.fp_txv, pin_path) || route_capacity(skel) ||
	    trie_capacity(skel)) {
		fastpath__destroy(skel);
		goto fail;
	}
	return skel;
fail:
	close(*dfd);
	*dfd = -1;
	return NULL;
}

struct fastpath *fp_skel__open(const char *pin_path)
{
	struct fastpath *skel;
	int dfd;

	skel = skel_open(pin_path, OPEN_EXISTING, &dfd);
	if (skel)
		close(dfd);
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
	struct fp_trie_maps tm;
	__u32 cply_min;
	int err;

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
	m->cidx4 = bpf_map__fd(s->maps.fp_cidx4);
	m->cpool4 = bpf_map__fd(s->maps.fp_cpool4);
	m->srcfilt = bpf_map__fd(s->maps.fp_srcfilt);
	m->present = bpf_map__fd(s->maps.fp_present);
	m->hosts4 = bpf_map__fd(s->maps.fp_hosts4);
	m->hosts6 = bpf_map__fd(s->maps.fp_hosts6);
	m->routes4 = bpf_map__fd(s->maps.fp_routes4);
	m->routes6 = bpf_map__fd(s->maps.fp_routes6);
	m->excl4 = bpf_map__fd(s->maps.fp_excl4);
	m->excl6 = bpf_map__fd(s->maps.fp_excl6);
	m->stats = bpf_map__fd(s->maps.fp_stats);
	m->rstats = bpf_map__fd(s->maps.fp_rstats);
	m->fibgen = bpf_map__fd(s->maps.fp_fibgen);
	m->circuits = bpf_map__fd(s->maps.fp_circuits);
	m->vnets4 = bpf_map__fd(s->maps.fp_vnets4);
	m->vnets6 = bpf_map__fd(s->maps.fp_vnets6);
	m->conns = bpf_map__fd(s->maps.fp_conns);
	m->connstat = bpf_map__fd(s->maps.fp_connstat);
	m->arrival = bpf_map__fd(s->maps.fp_arrival);
	m->vlans = bpf_map__fd(s->maps.fp_vlans);
	m->vlanstat = bpf_map__fd(s->maps.fp_vlanstat);
	m->vlanv = bpf_map__fd(s->maps.fp_vlanv);
	m->vids = bpf_map__fd(s->maps.fp_vids);
	m->lockfd = -1;
	/*
	 * FASTPATH_CPLY_MIN: IPv4 plies in use before the last ones are
	 * compressed (maps/fastpath.h); tests set 0 to have every one read
	 * through its compressed node.
	 */
	err = env_size("FASTPATH_CPLY_MIN", FP_CPLY_MIN, 0, FP_LEAF_PLY_MASK,
		       &cply_min);
	if (err)
		return err;
	tm = (struct fp_trie_maps){
		.trie4 = m->trie4,
		.trie6 = m->trie6,
		.nh = m->nh,
		.plies = m->plies,
		.cidx4 = m->cidx4,
		.cpool4 = m->cpool4,
		.plies4 = bpf_map__max_entries(s->maps.fp_trie4) / 256,
		.plies6 = bpf_map__max_entries(s->maps.fp_trie6) / 256,
		.cpool_half = bpf_map__max_entries(s->maps.fp_cpool4) / 2,
		.cply_min = cply_min,
	};
	return fp_trie__init(&m->trie, &tm, monotonic_secs);
}

/*
 * One process holds one set of maps: the nesting depth is the process's,
 * and so is fp_fibgen's odd value while its lock section writes routes
 * (0: none written yet).
 */
static int lock_depth;
static __u32 fib_gen;

void fp_maps__lock(const struct fp_maps *m)
{
	if (lock_depth++ == 0 && m->lockfd >= 0)
		while (flock(m->lockfd, LOCK_EX) && errno == EINTR)
			;
}

/*
 * Odd from the first write, so that no CPU keeps a source it found under
 * the old table (fp_srccache) past it. One left odd by a writer that died
 * half-way stays odd until the next change ends: only slower meanwhile.
 */
void fp_maps__fib_writing(const struct fp_maps *m)
{
	__u32 key = 0, g = 0;

	if (fib_gen || m->fibgen < 0)
		return;
	bpf_map_lookup_elem(m->fibgen, &key, &g);
	fib_gen = g | 1;
	if (bpf_map_update_elem(m->fibgen, &key, &fib_gen, BPF_ANY))
		pr_warn("%s: cannot write the route generation: %s\n",
			FP_MAP_FIBGEN, strerror(errno));
}

/* Even again, never 0 (a wrap skips it), once the section's writes are in. */
static void fib_written(const struct fp_maps *m)
{
	__u32 key = 0, g = fib_gen + 1 ? fib_gen + 1 : 2;

	fib_gen = 0;
	if (bpf_map_update_elem(m->fibgen, &key, &g, BPF_ANY))
		pr_warn("%s: cannot write the route generation: %s\n",
			FP_MAP_FIBGEN, strerror(errno));
}

void fp_maps__unlock(const struct fp_maps *m)
{
	if (--lock_depth)
		return;
	if (fib_gen)
		fib_written(m);
	if (m->lockfd >= 0)
		flock(m->lockfd, LOCK_UN);
}

static int maps_open(struct fp_maps *m, const struct fp_opts *o,
		     enum open_mode mode)
{
	struct bpf_program *prog;
	int err, dfd;

	memset(m, 0, sizeof(*m));
	m->lockfd = -1;
	m->skel = skel_open(o->pin_path, mode, &dfd);
	if (!m->skel)
		return -ENOENT;
	/*
	 * The maps only, whatever programs the object holds: verifying
	 * them would cost every command seconds.
	 */
	bpf_object__for_each_program(prog, m->skel->obj)
		bpf_program__set_autoload(prog, false);
	err = fastpath__load(m->skel);
	if (err) {
		pr_warn("%s: cannot open or create the pinned maps: %s\n",
			o->pin_path, strerror(-err));
		goto fail;
	}
	err = fp_maps__fill_fds(m);
	if (err) {
		pr_warn("%s: cannot read the compiled table: %s\n", o->pin_path,
			strerror(-err));
		goto fail;
	}
	/* The set is whole and pinned: other commands may open it now. */
	flock(dfd, LOCK_UN);
	m->lockfd = dfd;
	return 0;
fail:
	close(dfd);
	fastpath__destroy(m->skel);
	m->skel = NULL;
	return err;
}

int fp_maps__open(struct fp_maps *m, const struct fp_opts *o)
{
	return maps_open(m, o, OPEN_CREATE);
}

int fp_maps__open_readonly(struct fp_maps *m, const struct fp_opts *o)
{
	return maps_open(m, o, OPEN_READ);
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

static int sum_reasons(int fd, struct fp_counter out[FP_R_MAX])
{
	struct fp_percpu pc;
	int err = fp_percpu__init(&pc, fd, 1);

	if (err)
		return err;
	for (__u32 r = 0; r < FP_R_MAX && !err; r++)
		err = fp_percpu__sum(&pc, &r, &out[r]);
	fp_percpu__fini(&pc);
	return err;
}

int fp_stats__sum(const struct fp_maps *m, struct fp_counter out[FP_R_MAX])
{
	return sum_reasons(m->stats, out);
}

int fp_rstats__sum(const struct fp_maps *m, struct fp_counter out[FP_R_MAX])
{
	return sum_reasons(m->rstats, out);
}
