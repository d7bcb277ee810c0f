// SPDX-License-Identifier: GPL-2.0
/*
 * The pin set: the namespace a command runs in, the bpffs the pins live
 * on, and every check before a map is opened or created: who owns and
 * may write the directory and its pins, the layout version, the network
 * namespace the set serves and whether it is whole. Sets are opened and
 * created under a lock on their directory, one creator at a time; a
 * read-only command checks the same without it (fp_pinset__open_ro).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "maps.h"
#include "pinset.h"
#include "log.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

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

/* The -n of this process and whether --pin-path was left to its
 * default, to name commands in messages. */
static const char *env_netns;
static bool env_default_pin;

int fp_env__enter_netns(const struct fp_opts *o)
{
	env_netns = o->netns;
	env_default_pin = o->default_pin_path;
	return o->netns ? enter_netns(o->netns) : 0;
}

int fp_env__enter(const struct fp_opts *o)
{
	int err = fp_env__enter_netns(o);

	return err ? err : ensure_bpffs(o->pin_path);
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

/*
 * pin_path's map name, kept only if it has the shape want says (a zero
 * field is not checked): its fd, or -errno (-EPROTO for another shape).
 */
static int open_shaped(const char *pin_path, const char *name,
		       const struct bpf_map_info *want)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pin_path, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    (want->type && info.type != want->type) ||
	    info.key_size != want->key_size ||
	    (want->value_size && info.value_size != want->value_size)) {
		close(fd);
		return -EPROTO;
	}
	return fd;
}

int fp_pins__open_uplinks(const char *pin_path)
{
	/* Key __u32 ifindex in every layout so far. */
	const struct bpf_map_info want = { .key_size = sizeof(__u32) };

	return open_shaped(pin_path, FP_MAP_UPLINKS, &want);
}

int fp_pins__open_upv(const char *pin_path)
{
	const struct bpf_map_info want = {
		.type = BPF_MAP_TYPE_ARRAY,
		.key_size = sizeof(__u32),
		.value_size = sizeof(struct fp_uplink),
	};

	return open_shaped(pin_path, FP_MAP_UPV, &want);
}

/* The command that clears pin_path, as the user would type it. */
static void clear_command(const char *pin_path, char *buf, size_t n)
{
	bool dflt = env_default_pin;

	snprintf(buf, n, "fastpath%s%s%s%s unload --all",
		 env_netns ? " -n " : "", env_netns ? env_netns : "",
		 dflt ? "" : " --pin-path ", dflt ? "" : pin_path);
}

/* ---- the network namespace a set serves ---------------------------- */

/* The cookie of this process's network namespace, 0 before Linux 5.14. */
static __u64 netns_cookie(void)
{
	socklen_t len = sizeof(__u64);
	__u64 cookie = 0;
	int fd;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len))
		cookie = 0;
	close(fd);
	return cookie;
}

static int netns_self(struct fp_netns *id, struct stat *st)
{
	memset(id, 0, sizeof(*id));
	if (stat("/proc/self/ns/net", st))
		return -errno;
	id->ino = st->st_ino;
	id->cookie = netns_cookie();
	if (env_netns)
		snprintf(id->name, sizeof(id->name), "%s", env_netns);
	return 0;
}

static bool same_netns(const struct fp_netns *a, const struct fp_netns *b)
{
	if (a->cookie && b->cookie)
		return a->cookie == b->cookie;
	return a->ino == b->ino;
}

/*
 * The cookie of the namespace of nsfs file path: enter it, ask, come
 * back. Only on the way to a refusal, so the cost does not matter.
 */
static __u64 netns_cookie_at(const char *path)
{
	__u64 cookie = 0;
	int self, fd;

	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (self >= 0 && fd >= 0 && !setns(fd, CLONE_NEWNET)) {
		cookie = netns_cookie();
		if (setns(self, CLONE_NEWNET)) {
			/* Never go on in the wrong namespace. */
			pr_warn("netns: cannot come back from %s: %s\n", path,
				strerror(errno));
			exit(FP_EXIT_ERR);
		}
	}
	if (fd >= 0)
		close(fd);
	if (self >= 0)
		close(self);
	return cookie;
}

/*
 * The first nsfs file (a /run/netns name, else a process's
 * /proc/PID/ns/net) of a live namespace with inode ino: its path, and a
 * label for messages. Inode numbers are unique among live namespaces
 * (and reused after), so there is at most one such namespace.
 */
static bool netns_find(__u64 ino, dev_t dev, char *path, size_t n, char *label,
		       size_t ln)
{
	const char *dirs[] = { "/run/netns", "/proc" };
	bool found = false;
	struct dirent *e;
	struct stat st;

	for (int i = 0; i < 2 && !found; i++) {
		DIR *d = opendir(dirs[i]);

		while (d && !found && (e = readdir(d))) {
			if (e->d_name[0] == '.' ||
			    (i == 1 && !isdigit((unsigned char)e->d_name[0])))
				continue;
			snprintf(path, n, i ? "%s/%s/ns/net" : "%s/%s", dirs[i],
				 e->d_name);
			if (stat(path, &st) || st.st_ino != ino ||
			    st.st_dev != dev)
				continue;
			found = true;
			if (i == 0)
				snprintf(label, ln, "%s", e->d_name);
			else
				snprintf(label, ln, "of pid %s", e->d_name);
		}
		if (d)
			closedir(d);
	}
	return found;
}

/*
 * Is rec's namespace alive? It is while a /run/netns name or a process
 * holds it; one kept only by an open fd or a bind mount elsewhere counts
 * as gone. A namespace with rec's inode that has another cookie is a
 * newer one that got the inode number back.
 */
static bool netns_alive(const struct fp_netns *rec, dev_t dev, char *label,
			size_t ln)
{
	char path[PATH_MAX];

	if (!netns_find(rec->ino, dev, path, sizeof(path), label, ln))
		return false;
	if (rec->name[0] && !strncmp(label, "of pid", 6))
		snprintf(label, ln, "%s", rec->name);
	return !rec->cookie || netns_cookie_at(path) == rec->cookie;
}

/* This process's namespace, for messages: its -n, or its /run/netns name. */
static void netns_label_self(const struct stat *st, char *label, size_t ln)
{
	char path[PATH_MAX];

	if (env_netns)
		snprintf(label, ln, "%s", env_netns);
	else if (!netns_find(st->st_ino, st->st_dev, path, sizeof(path), label,
			     ln) ||
		 !strncmp(label, "of pid", 6))
		snprintf(label, ln, "%s", "the caller's namespace (no -n)");
}

int fp_pins__check_netns(const char *pin_path, bool claim, bool gone_ok)
{
	char path[PATH_MAX], cmd[PATH_MAX + 64], them[NAME_MAX + 16],
		us[NAME_MAX + 16];
	struct bpf_map_info info = { 0 };
	__u32 key = 0, len = sizeof(info);
	struct fp_netns rec, self;
	struct stat st;
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s", pin_path, FP_MAP_NETNS);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		/* None: no set, a layout before fp_netns, or damaged. */
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		err = -errno;
		pr_warn("%s: %s\n", path, strerror(errno));
		return err;
	}
	err = netns_self(&self, &st);
	if (!err && (bpf_obj_get_info_by_fd(fd, &info, &len) ||
		     info.value_size != sizeof(rec)))
		err = -EPROTO;
	if (!err && bpf_map_lookup_elem(fd, &key, &rec))
		err = -errno;
	if (err) {
		pr_warn("%s: cannot read the namespace record: %s\n", path,
			strerror(-err));
		goto out;
	}
	if (!rec.cookie && !rec.ino) {
		/* Pinned from the object by someone else: ours to claim. */
		if (claim && bpf_map_update_elem(fd, &key, &self, BPF_ANY))
			err = -errno;
		goto out;
	}
	if (same_netns(&rec, &self))
		goto out;
	rec.name[sizeof(rec.name) - 1] = 0;
	if (netns_alive(&rec, st.st_dev, them, sizeof(them))) {
		netns_label_self(&st, us, sizeof(us));
		pr_warn("%s: pinned maps serve network namespace %s, this "
			"command runs in %s: give each namespace its own "
			"--pin-path (-n NAME's default is one per name)\n",
			pin_path, them, us);
		err = -EXDEV;
	} else if (!gone_ok) {
		/* The cookie: a new namespace may have taken the name. */
		snprintf(them, sizeof(them), "%s%scookie %llu)", rec.name,
			 rec.name[0] ? " (" : "(",
			 (unsigned long long)rec.cookie);
		clear_command(pin_path, cmd, sizeof(cmd));
		pr_warn("%s: pinned maps serve network namespace %s, which no "
			"longer exists: run '%s' to clear them\n",
			pin_path, them, cmd);
		err = -ESTALE;
	}
out:
	close(fd);
	return err;
}

/* ---- creating a fresh set ------------------------------------------ */

/* BTF for fp_layout's value (an int) and fp_netns' (struct fp_netns). */
static int meta_btf(struct btf *btf, bool netns)
{
	int u32, u64, chr, arr, st;

	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	if (u32 < 0 || !netns)
		return u32;
	u64 = btf__add_int(btf, "unsigned long long", 8, 0);
	chr = btf__add_int(btf, "char", 1, BTF_INT_CHAR);
	if (u64 < 0 || chr < 0)
		return -ENOMEM;
	arr = btf__add_array(btf, u32, chr,
			     sizeof(((struct fp_netns *)0)->name));
	st = arr < 0 ?
		     arr :
		     btf__add_struct(btf, "fp_netns", sizeof(struct fp_netns));
	if (st < 0 || btf__add_field(btf, "cookie", u64, 0, 0) ||
	    btf__add_field(btf, "ino", u64, 64, 0) ||
	    btf__add_field(btf, "name", arr, 128, 0))
		return -ENOMEM;
	return st;
}

/* One meta map (array of one value) named name, pinned under pin_path. */
static int pin_meta(const char *pin_path, const char *name, const void *value,
		    __u32 size)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo);
	struct btf *btf = btf__new_empty();
	char path[PATH_MAX];
	int id, fd, err = 0;
	__u32 key = 0;

	/* With BTF, so that bpftool prints named fields. */
	id = btf ? meta_btf(btf, size != sizeof(__u32)) : -ENOMEM;
	if (id > 0 && !btf__load_into_kernel(btf)) {
		mo.btf_fd = btf__fd(btf);
		mo.btf_key_type_id = 1; /* the first type: unsigned int */
		mo.btf_value_type_id = id;
	}
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, sizeof(key), size, 1,
			    &mo);
	btf__free(btf);
	if (fd < 0)
		return -errno;
	snprintf(path, sizeof(path), "%s/%s", pin_path, name);
	if (bpf_map_update_elem(fd, &key, value, BPF_ANY) ||
	    bpf_obj_pin(fd, path))
		err = -errno;
	close(fd);
	if (err)
		pr_warn("%s: cannot pin: %s\n", path, strerror(-err));
	return err;
}

/*
 * A fresh set: its layout version and namespace pinned before libbpf pins
 * any other map, so that no set is ever seen without them.
 */
static int create_meta(const char *pin_path)
{
	__u32 version = FP_LAYOUT_VERSION;
	struct fp_netns self;
	struct stat st;
	int err;

	err = netns_self(&self, &st);
	if (err) {
		pr_warn("/proc/self/ns/net: %s\n", strerror(-err));
		return err;
	}
	err = pin_meta(pin_path, FP_MAP_LAYOUT, &version, sizeof(version));
	if (!err)
		err = pin_meta(pin_path, FP_MAP_NETNS, &self, sizeof(self));
	return err;
}

/* The version of pinned fp_layout at path, 1 when there is none. */
static int pinned_layout(const char *path, bool claim)
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
	 * which writes no version: ours, since the object is (claimed by the
	 * first command that may write).
	 */
	if (!err && !version && claim) {
		version = FP_LAYOUT_VERSION;
		if (bpf_map_update_elem(fd, &key, &version, BPF_ANY))
			err = -errno;
	}
	close(fd);
	if (!err && !version)
		version = FP_LAYOUT_VERSION;
	return err ? err : (int)version;
}

/*
 * An existing set: refuse pins of another layout with one line that names
 * the command clearing them, not libbpf's "parameter mismatch".
 */
static int check_layout(const char *pin_path, bool claim)
{
	char path[PATH_MAX], cmd[PATH_MAX + 64];
	int v;

	snprintf(path, sizeof(path), "%s/%s", pin_path, FP_MAP_LAYOUT);
	v = pinned_layout(path, claim);
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

/* ---- trust: sshd's StrictModes for the pin set --------------------- */

/*
 * path must be root's (or this user's) and writable by nobody else: a
 * directory anyone may write lets them unlink a pin and have the next
 * command re-create it empty while the attached program keeps the old
 * one. An ancestor may be world-writable when sticky (/tmp, a bare
 * bpffs mounted 1777): nobody can then rename or remove our entry in it.
 */
static int check_trust(const char *path, const struct stat *st, bool ancestor)
{
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		pr_warn("%s: owned by uid %u, not root: refusing to use it "
			"(pick a --pin-path of root's)\n",
			path, (unsigned int)st->st_uid);
		return -EPERM;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) &&
	    !(ancestor && (st->st_mode & S_ISVTX))) {
		pr_warn("%s: writable by group or others (mode %04o): refusing "
			"to use it (chmod go-w it, or pick another --pin-path)\n",
			path, (unsigned int)(st->st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/* Every directory above pin_path, up to /. */
static int check_ancestors(const char *pin_path)
{
	char buf[PATH_MAX];
	struct stat st;
	char *slash;
	int err;

	snprintf(buf, sizeof(buf), "%s", pin_path);
	while ((slash = strrchr(buf, '/'))) {
		if (slash == buf)
			slash[1] = 0;
		else
			*slash = 0;
		if (stat(buf, &st)) {
			err = -errno;
			pr_warn("%s: %s\n", buf, strerror(errno));
			return err;
		}
		err = check_trust(buf, &st, true);
		if (err || slash == buf)
			return err;
	}
	return 0;
}

/* Our pins in the directory: each must be trusted. How many, or -errno. */
static int check_pins(const char *pin_path, int dfd)
{
	char path[PATH_MAX];
	struct dirent *e;
	struct stat st;
	int n = 0, err = 0, fd;
	DIR *d;

	fd = dup(dfd);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		pr_warn("%s: %s\n", pin_path, strerror(-err));
		return err;
	}
	while (!err && (e = readdir(d))) {
		if (!is_our_pin(e->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_path, e->d_name);
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW)) {
			err = -errno;
			pr_warn("%s: %s\n", path, strerror(errno));
		} else if (!S_ISREG(st.st_mode)) {
			pr_warn("%s: not a pinned map: refusing to use the set\n",
				path);
			err = -EPERM;
		} else {
			err = check_trust(path, &st, false);
		}
		n++;
	}
	closedir(d);
	return err ? err : n;
}

/* ---- opening a set -------------------------------------------------- */

static int no_maps(const char *pin_path)
{
	pr_warn("no fastpath maps at %s (not loaded? see --pin-path)\n",
		pin_path);
	return -ENOENT;
}

/* The directory path, or the one that would hold it, is on a bpffs. */
static int check_bpffs(const char *pin_path, bool exists)
{
	char buf[PATH_MAX], *slash;
	const char *where = pin_path;
	struct statfs sf;

	if (!exists) {
		snprintf(buf, sizeof(buf), "%s", pin_path);
		slash = strrchr(buf, '/');
		if (slash)
			slash[slash == buf] = 0;
		where = slash ? buf : ".";
	}
	if (statfs(where, &sf)) {
		int err = -errno;

		pr_warn("%s: %s\n", where, strerror(errno));
		return err;
	}
	if (sf.f_type != BPF_FS_MAGIC) {
		pr_warn("%s: not on a bpffs: pins need one (a --pin-path under "
			"/sys/fs/bpf, or mount -t bpf bpf DIR)\n",
			pin_path);
		return -EOPNOTSUPP;
	}
	return 0;
}

/*
 * The checks of fp_pinset__open and fp_pinset__open_ro. lock: LOCK_EX,
 * LOCK_SH or 0 for none; without a lock an empty set is -EAGAIN, silent,
 * for the caller to ask again under one (it may be being created).
 */
static int pinset_open(const char *pin_path, bool create, int lock, bool *fresh)
{
	struct stat st;
	bool exists;
	int dfd, n, err;

	*fresh = false;
	exists = !stat(pin_path, &st);
	if (!exists && errno != ENOENT) {
		err = -errno;
		pr_warn("%s: %s\n", pin_path, strerror(errno));
		return err;
	}
	if (!exists && !create)
		return no_maps(pin_path);
	err = check_bpffs(pin_path, exists);
	if (!err)
		err = check_ancestors(pin_path);
	if (err)
		return err;
	if (!exists && mkdir(pin_path, 0700) && errno != EEXIST) {
		err = -errno;
		pr_warn("%s: cannot create the pin directory: %s\n", pin_path,
			strerror(errno));
		return err;
	}
	dfd = open(pin_path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		err = -errno;
		pr_warn("%s: %s\n", pin_path,
			errno == ELOOP ? "a symbolic link: refusing to use it" :
					 strerror(errno));
		return err;
	}
	if (fstat(dfd, &st)) {
		err = -errno;
		pr_warn("%s: %s\n", pin_path, strerror(errno));
		goto fail;
	}
	err = check_trust(pin_path, &st, false);
	if (err)
		goto fail;
	/*
	 * Exclusive for a command that may create maps: two first commands
	 * would otherwise both create and pin, and one of them then finds
	 * the other's devmap "incompatible" (reuse_devmap) or its pin taken.
	 */
	while (lock && flock(dfd, lock) && errno == EINTR)
		;
	n = check_pins(pin_path, dfd);
	if (n < 0) {
		err = n;
		goto fail;
	}
	if (!n && !lock) {
		err = -EAGAIN;
		goto fail;
	}
	if (!n) {
		err = create ? create_meta(pin_path) : no_maps(pin_path);
		*fresh = !err;
	} else {
		err = check_layout(pin_path, create);
		if (!err)
			err = fp_pins__check_netns(pin_path, create, false);
	}
	if (err)
		goto fail;
	return dfd;
fail:
	close(dfd);
	return err;
}

int fp_pinset__open(const char *pin_path, bool create, bool *fresh)
{
	return pinset_open(pin_path, create, create ? LOCK_EX : LOCK_SH, fresh);
}

int fp_pinset__open_ro(const char *pin_path)
{
	bool fresh;

	return pinset_open(pin_path, false, 0, &fresh);
}

/* How many of the maps obj pins are missing at dfd; *first names one. */
static int missing_pins(int dfd, const struct bpf_object *obj, int *total,
			const char **first)
{
	struct bpf_map *map;
	int missing = 0;
	struct stat st;

	*total = 0;
	*first = NULL;
	bpf_object__for_each_map(map, obj) {
		if (!bpf_map__pin_path(map))
			continue;
		(*total)++;
		if (!fstatat(dfd, bpf_map__name(map), &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (!missing++)
			*first = bpf_map__name(map);
	}
	return missing;
}

bool fp_pinset__whole(int dfd, const struct bpf_object *obj)
{
	const char *first;
	int total;

	return !missing_pins(dfd, obj, &total, &first);
}

int fp_pinset__complete(const char *pin_path, int dfd,
			const struct bpf_object *obj)
{
	char cmd[PATH_MAX + 64];
	const char *first;
	int total, missing;

	missing = missing_pins(dfd, obj, &total, &first);
	if (!missing)
		return 0;
	/* Never re-create one beside the others: the program keeps the old. */
	clear_command(pin_path, cmd, sizeof(cmd));
	pr_warn("%s: pin set damaged: %s missing%s (%d of %d maps pinned): "
		"run '%s' to clear it\n",
		pin_path, first, missing > 1 ? " and more" : "",
		total - missing, total, cmd);
	return -EBADF;
}
