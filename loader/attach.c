// SPDX-License-Identifier: GPL-2.0
/*
 * load, unload, status: attaching the XDP program to uplinks through libxdp.
 * libxdp uses its multi-program dispatcher where the kernel allows
 * extension programs and falls back to a single-program attach where it
 * refuses them; a reload of our own single program is an atomic replace.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include <xdp/libxdp.h>

#include "args.h"
#include "fastpath.skel.h"
#include "commands.h"
#include "conncount.h"
#include "maps.h"
#include "ifcmd.h"
#include "pinset.h"
#include "table.h"
#include "ifinfo.h"
#include "log.h"
#include "parse.h"
#include "uplink.h"
#include "verify.h"

struct attached {
	bool present; /* some XDP program is attached */
	bool ours; /* fastpath_xdp is (one of) the attached programs */
	bool legacy; /* single program, no libxdp dispatcher */
	enum xdp_attach_mode mode;
	__u32 prog_id; /* the attached program (or dispatcher) */
	__u32 our_id; /* fastpath_xdp's id, also inside a dispatcher */
	char name[BPF_OBJ_NAME_LEN]; /* the attached program's name */
};

static const char *mode_name(enum xdp_attach_mode mode)
{
	switch (mode) {
	case XDP_MODE_NATIVE:
		return "native";
	case XDP_MODE_SKB:
		return "skb";
	case XDP_MODE_HW:
		return "hw";
	default:
		return "none";
	}
}

/* What load and status --json say of an uplink's attachment. */
static void attachment_json(json_object *o, const struct attached *st)
{
	json_object_object_add(o, "prog_id", json_object_new_int64(st->our_id));
	json_object_object_add(o, "mode",
			       json_object_new_string(mode_name(st->mode)));
	json_object_object_add(
		o, "attach",
		json_object_new_string(!st->present ? "none" :
				       st->legacy   ? "single-program" :
						      "dispatcher"));
}

static int prog_name_by_id(__u32 id, char *name, size_t n)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	int fd, err;

	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	if (err)
		return err;
	snprintf(name, n, "%s", info.name);
	return 0;
}

/* What is attached to ifindex, and whether program `want` is among it. */
static int query_prog(int ifindex, const char *want, struct attached *st)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct xdp_multiprog *mp;
	int err;

	memset(st, 0, sizeof(*st));
	err = bpf_xdp_query(ifindex, 0, &q);
	if (err)
		return err;
	if (!q.prog_id)
		return 0;
	st->present = true;
	st->prog_id = q.prog_id;
	st->mode = q.attach_mode == XDP_ATTACHED_SKB ? XDP_MODE_SKB :
		   q.attach_mode == XDP_ATTACHED_HW  ? XDP_MODE_HW :
						       XDP_MODE_NATIVE;
	prog_name_by_id(q.prog_id, st->name, sizeof(st->name));

	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (libxdp_get_error(mp) || !mp) {
		/* Not libxdp's: a plain program attached by ip link or others. */
		st->legacy = true;
		st->ours = !strcmp(st->name, want);
		st->our_id = st->ours ? st->prog_id : 0;
		return 0;
	}
	st->legacy = xdp_multiprog__is_legacy(mp);
	if (st->legacy) {
		st->ours = !strcmp(st->name, want);
		st->our_id = st->ours ? st->prog_id : 0;
	}
	for (struct xdp_program *p = xdp_multiprog__next_prog(NULL, mp);
	     !st->legacy && p; p = xdp_multiprog__next_prog(p, mp)) {
		if (!strcmp(xdp_program__name(p), want)) {
			struct bpf_prog_info info = { 0 };
			__u32 len = sizeof(info);

			st->ours = true;
			if (!bpf_obj_get_info_by_fd(xdp_program__fd(p), &info,
						    &len))
				st->our_id = info.id;
		}
	}
	xdp_multiprog__close(mp);
	return 0;
}

static int query_attached(int ifindex, struct attached *st)
{
	return query_prog(ifindex, FP_PROG_NAME, st);
}

static __u32 mode_flags(enum xdp_attach_mode mode)
{
	return mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
}

/* Swap our old single program for the new one without a gap. */
static int replace_ours(struct fastpath *skel, int ifindex,
			const struct attached *st)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, ao);
	int err, old_fd;

	err = fastpath__load(skel);
	if (err)
		return err;
	old_fd = bpf_prog_get_fd_by_id(st->prog_id);
	if (old_fd < 0)
		return -errno;
	ao.old_prog_fd = old_fd;
	err = bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.fastpath_xdp),
			     mode_flags(st->mode) | XDP_FLAGS_REPLACE, &ao);
	close(old_fd);
	return err;
}

static int detach_all(int ifindex, const struct attached *st)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	int err;

	if (!libxdp_get_error(mp) && mp) {
		err = xdp_multiprog__detach(mp);
		xdp_multiprog__close(mp);
		return err;
	}
	return bpf_xdp_detach(ifindex, mode_flags(st->mode), NULL);
}

static int attach_new(struct fastpath *skel, int ifindex,
		      enum xdp_attach_mode mode)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, xo, .obj = skel->obj,
			    .prog_name = FP_PROG_NAME);
	struct xdp_program *prog;
	int err;

	prog = xdp_program__create(&xo);
	err = libxdp_get_error(prog);
	if (err)
		return err;
	err = xdp_program__attach(prog, ifindex, mode, 0);
	xdp_program__close(prog);
	return err;
}

static const char *attach_error(int err, char *buf, size_t n)
{
	if (err == -EOPNOTSUPP)
		return "the driver refused native mode (try --mode skb)";
	libxdp_strerror(err, buf, n);
	return buf;
}

/* Detach fastpath_xdp (found by query_attached) from ifindex. */
static int detach_ours(int ifindex, const struct attached *st)
{
	struct xdp_program *prog;
	int err;

	if (st->legacy)
		return detach_all(ifindex, st);
	prog = xdp_program__from_id(st->our_id);
	err = libxdp_get_error(prog);
	/* NULL with errno 0 is possible: never hand NULL on. */
	if (err || !prog)
		return err ? err : -ENOENT;
	err = xdp_program__detach(prog, ifindex, st->mode, 0);
	xdp_program__close(prog);
	return err;
}

/* ---- the return path on VM ports (fastpath_port) ------------------------ */

/*
 * fastpath_port, loaded once per process and pin set and attached to each
 * port: sync registers ports by the hundred, and loading it for each
 * would cost a verification apiece. A new pin set (unload --all, load)
 * brings new maps, so the program is loaded again: the fp_ports map it
 * uses tells which set it belongs to.
 */
static struct {
	struct fastpath *skel;
	struct xdp_program *prog;
	__u32 ports_id;
	/*
	 * libxdp fell back to a single-program attach (this kernel refuses
	 * its dispatcher): later ports go that way at once. libxdp would try
	 * the dispatcher again for each, and every query it and we make dumps
	 * all links, so with 1,000 ports each attach cost milliseconds.
	 */
	bool single;
} port_prog;

static __u32 map_id(int fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	return fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) ? info.id :
								     0;
}

static __u32 pinned_ports_id(const char *pin_path)
{
	char path[PATH_MAX];
	__u32 id;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pin_path, FP_MAP_PORTS);
	fd = bpf_obj_get(path);
	id = map_id(fd);
	if (fd >= 0)
		close(fd);
	return id;
}

static void port_prog_drop(void)
{
	xdp_program__close(port_prog.prog);
	fastpath__destroy(port_prog.skel);
	memset(&port_prog, 0, sizeof(port_prog));
}

/* The loaded port program of the pin set at o->pin_path, or NULL. */
static struct xdp_program *port_prog_get(const struct fp_opts *o, int *err)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, xo,
			    .prog_name = FP_PROG_PORT_NAME);
	__u32 id = pinned_ports_id(o->pin_path);
	struct bpf_program *one;

	if (port_prog.prog && id && id == port_prog.ports_id)
		return port_prog.prog;
	port_prog_drop();
	port_prog.skel = fp_skel__open(o->pin_path);
	if (!port_prog.skel) {
		*err = -ENOENT;
		return NULL;
	}
	/* The port program alone: the uplink's would be verified for nothing. */
	bpf_object__for_each_program(one, port_prog.skel->obj)
		bpf_program__set_autoload(
			one, one == port_prog.skel->progs.fastpath_port);
	*err = fastpath__load(port_prog.skel);
	if (!*err) {
		xo.obj = port_prog.skel->obj;
		port_prog.prog = xdp_program__create(&xo);
		*err = libxdp_get_error(port_prog.prog);
		if (*err)
			port_prog.prog = NULL;
	}
	if (*err) {
		port_prog_drop();
		return NULL;
	}
	port_prog.ports_id = map_id(bpf_map__fd(port_prog.skel->maps.fp_ports));
	return port_prog.prog;
}

/*
 * prog onto ifindex in mode: through libxdp, or (single) as libxdp's
 * single-program fallback attaches, only where no program is (-EBUSY or
 * -EEXIST, one in the other mode, when one is).
 */
static int attach_in(struct xdp_program *prog, int ifindex, bool single,
		     enum xdp_attach_mode mode)
{
	__u32 flags = mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE :
					     XDP_FLAGS_DRV_MODE;

	if (!single)
		return xdp_program__attach(prog, ifindex, mode, 0);
	return bpf_xdp_attach(ifindex, xdp_program__fd(prog),
			      XDP_FLAGS_UPDATE_IF_NOEXIST | flags, NULL);
}

/* Native where the driver has it, else skb; *how says which. */
static int attach_native_or_skb(struct xdp_program *prog, int ifindex,
				bool single, const char **how)
{
	int err;

	*how = "native";
	err = attach_in(prog, ifindex, single, XDP_MODE_NATIVE);
	if (err == -EOPNOTSUPP) {
		*how = "skb";
		err = attach_in(prog, ifindex, single, XDP_MODE_SKB);
	}
	return err;
}

int fp_attach__port(const struct fp_opts *o, int ifindex, const char **how)
{
	struct xdp_program *prog;
	struct attached st;
	int err;

	if (port_prog.single) {
		prog = port_prog_get(o, &err);
		if (!prog)
			return err;
		/* A new pin set starts over, with libxdp. */
		if (port_prog.single) {
			err = attach_native_or_skb(prog, ifindex, true, how);
			/* Some program is there: ours, or someone's. */
			if (err != -EBUSY && err != -EEXIST)
				return err;
		}
	}
	err = query_prog(ifindex, FP_PROG_PORT_NAME, &st);
	if (err)
		return err;
	*how = st.mode == XDP_MODE_SKB ? "skb" : "native";
	if (st.ours)
		return 0;
	/* Someone's single program: libxdp would not share the hook. */
	if (st.present && st.legacy)
		return -EBUSY;
	prog = port_prog_get(o, &err);
	if (!prog)
		return err;
	err = attach_native_or_skb(prog, ifindex, false, how);
	if (!err && !query_prog(ifindex, FP_PROG_PORT_NAME, &st) && st.ours &&
	    st.legacy)
		port_prog.single = true;
	return err;
}

int fp_attach__port_off(int ifindex)
{
	struct attached st;
	int err = query_prog(ifindex, FP_PROG_PORT_NAME, &st);

	if (err || !st.ours)
		return err;
	return detach_ours(ifindex, &st);
}

struct load_opts {
	const char *mode, *gateway_port;
	bool force, allow_spoofed;
};

static const struct fp_option load_options[] = {
	FP_OPT_VALUE("--mode", struct load_opts, mode),
	FP_OPT_VALUE("--gateway-port", struct load_opts, gateway_port),
	FP_OPT_FLAG("--force", struct load_opts, force),
	FP_OPT_FLAG("--allow-spoofed-sources", struct load_opts, allow_spoofed),
	{ 0 },
};

int fp_cmd_load(const struct fp_opts *o, int argc, char **argv)
{
	struct load_opts opt = { .mode = NULL };
	enum xdp_attach_mode mode = XDP_MODE_NATIVE;
	struct fastpath *skel = NULL;
	const char *pos[FP_MAX_POS];
	struct fp_uplink old_up;
	struct attached st, now;
	struct fp_ifinfo info;
	struct fp_maps m;
	int npos, err, ret = FP_EXIT_ERR;
	bool existed;
	char buf[128];

	npos = fp_args__parse("load", argc, argv, load_options, &opt, pos);
	if (npos != 1) {
		if (npos >= 0)
			fp_usage_error("load IFACE [--mode native|skb] "
				       "[--gateway-port IFACE] [--force] "
				       "[--allow-spoofed-sources]");
		return FP_EXIT_USAGE;
	}
	if (opt.mode) {
		if (!strcmp(opt.mode, "skb")) {
			mode = XDP_MODE_SKB;
		} else if (strcmp(opt.mode, "native")) {
			fp_usage_error("load: --mode is native or skb, not %s",
				       opt.mode);
			return FP_EXIT_USAGE;
		}
	}
	if (fp_args__ifname("uplink", pos[0]) ||
	    (opt.gateway_port &&
	     fp_args__ifname("gateway port", opt.gateway_port)))
		return FP_EXIT_USAGE;
	if (fp_env__enter(o))
		return FP_EXIT_ERR;
	err = fp_ifinfo__by_name(pos[0], &info);
	if (err) {
		pr_warn("uplink %s: %s\n", pos[0],
			err == -ENODEV ?
				"no such interface in this network namespace" :
				strerror(-err));
		return FP_EXIT_ERR;
	}
	err = query_attached(info.ifindex, &st);
	if (err) {
		pr_warn("uplink %s: cannot query XDP state: %s\n", pos[0],
			strerror(-err));
		return FP_EXIT_ERR;
	}
	if (st.present && !st.ours && st.legacy && !opt.force) {
		pr_warn("uplink %s: XDP program '%s' (id %u) is already attached; "
			"--force replaces it\n",
			pos[0], st.name, st.prog_id);
		return FP_EXIT_ERR;
	}
	if (fp_maps__open(&m, o))
		return FP_EXIT_ERR;
	if (fp_ifcmd__uplink_set(&m, pos[0], opt.gateway_port,
				 opt.allow_spoofed ? FP_UPLINK_F_ALLOW_SPOOFED :
						     0,
				 &old_up, &existed) < 0)
		goto out_maps;
	skel = fp_skel__open(o->pin_path);
	if (!skel)
		goto out_uplink;

	if (st.present && st.ours && st.legacy && st.mode == mode) {
		err = replace_ours(skel, info.ifindex, &st);
	} else {
		err = 0;
		if (st.present && (st.legacy || st.ours))
			err = st.ours ? detach_ours(info.ifindex, &st) :
					detach_all(info.ifindex, &st);
		if (!err)
			err = attach_new(skel, info.ifindex, mode);
	}
	if (err) {
		pr_warn("uplink %s: cannot attach in %s mode: %s\n", pos[0],
			mode_name(mode), attach_error(err, buf, sizeof(buf)));
		goto out_uplink;
	}
	query_attached(info.ifindex, &now);
	if (o->json) {
		json_object *j = json_object_new_object();

		json_object_object_add(j, "uplink",
				       json_object_new_string(info.name));
		attachment_json(j, &now);
		fp_json__print(j);
		json_object_put(j);
	} else {
		printf("%s: %s id %u attached in %s mode (%s)\n", info.name,
		       FP_PROG_NAME, now.our_id, mode_name(now.mode),
		       now.legacy ? "single program" : "libxdp dispatcher");
	}
	ret = FP_EXIT_OK;
	goto out_skel;

out_uplink:
	fp_uplink__restore(&m, info.ifindex, &old_up, existed);
out_skel:
	fastpath__destroy(skel);
out_maps:
	fp_maps__close(&m);
	return ret;
}

/* Does program prog_id use the map map_id? */
static bool prog_uses_map(__u32 prog_id, __u32 map_id)
{
	__u32 ids[64], len = sizeof(struct bpf_prog_info);
	struct bpf_prog_info info = { 0 };
	bool found = false;
	int fd;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return false;
	info.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	info.map_ids = (__u64)(unsigned long)ids;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
		__u32 n = info.nr_map_ids < sizeof(ids) / sizeof(ids[0]) ?
				  info.nr_map_ids :
				  sizeof(ids) / sizeof(ids[0]);

		for (__u32 i = 0; i < n; i++)
			found |= ids[i] == map_id;
	}
	close(fd);
	return found;
}

/* The id of the map named name that program prog_id uses, 0 if none. */
static __u32 prog_map_by_name(__u32 prog_id, const char *name)
{
	__u32 ids[64], len = sizeof(struct bpf_prog_info), found = 0;
	struct bpf_prog_info info = { 0 };
	int fd;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return 0;
	info.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	info.map_ids = (__u64)(unsigned long)ids;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
		__u32 n = info.nr_map_ids < sizeof(ids) / sizeof(ids[0]) ?
				  info.nr_map_ids :
				  sizeof(ids) / sizeof(ids[0]);

		for (__u32 i = 0; i < n && !found; i++) {
			struct bpf_map_info mi = { 0 };
			__u32 mlen = sizeof(mi);
			int mfd = bpf_map_get_fd_by_id(ids[i]);

			if (mfd < 0)
				continue;
			if (!bpf_obj_get_info_by_fd(mfd, &mi, &mlen) &&
			    !strcmp(mi.name, name))
				found = ids[i];
			close(mfd);
		}
	}
	close(fd);
	return found;
}

int fp_attach__maps_of(int ifindex, const char *prog, int uplinks_fd,
		       struct fp_answering *a)
{
	struct bpf_map_info mi = { 0 };
	__u32 len = sizeof(mi);
	struct attached st;
	int err;

	memset(a, 0, sizeof(*a));
	err = query_prog(ifindex, prog, &st);
	if (err)
		return err;
	if (!st.ours || !st.our_id)
		return -ENOENT;
	if (bpf_obj_get_info_by_fd(uplinks_fd, &mi, &len))
		return -errno;
	a->prog_id = st.our_id;
	a->uplinks_id = prog_map_by_name(st.our_id, FP_MAP_UPLINKS);
	a->pinned = a->uplinks_id == mi.id;
	return 0;
}

/*
 * unload --all: detach our program from every uplink the pinned
 * fp_uplinks records, then unpin the whole set. The pins are read by fd,
 * never through the skeleton, so that this works on a pin set of any
 * layout (the way out of a layout mismatch).
 */
/*
 * The return path's program off every registered port whose copy reads
 * this pin set (uplinks_id: its fp_uplinks); "ports_detached" in JSON,
 * when there were any.
 */
static int detach_ports(const struct fp_opts *o, __u32 uplinks_id,
			json_object *root)
{
	json_object *det = json_object_new_array();
	__u32 key, *prev = NULL;
	char path[4096];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", o->pin_path, FP_MAP_PORTS);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		json_object_put(det);
		return 0; /* no ports, or a layout without them */
	}
	while (!err && !bpf_map_get_next_key(fd, prev, &key)) {
		char name[IF_NAMESIZE];
		struct attached st;

		prev = &key;
		if (!if_indextoname(key, name) ||
		    query_prog(key, FP_PROG_PORT_NAME, &st) || !st.ours ||
		    !prog_uses_map(st.our_id, uplinks_id))
			continue;
		err = detach_ours(key, &st);
		if (err) {
			pr_warn("port %s: cannot detach %s: %s\n", name,
				FP_PROG_PORT_NAME, strerror(-err));
			break;
		}
		if (!o->json)
			printf("%s: %s id %u detached\n", name,
			       FP_PROG_PORT_NAME, st.our_id);
		json_object_array_add(det, json_object_new_string(name));
	}
	close(fd);
	/* An addition to the shape, there only when it says something. */
	if (json_object_array_length(det))
		json_object_object_add(root, "ports_detached", det);
	else
		json_object_put(det);
	return err;
}

static int unload_all(const struct fp_opts *o)
{
	struct bpf_map_info minfo = { 0 };
	__u32 len = sizeof(minfo), key, *prev = NULL;
	json_object *root = NULL, *det = NULL;
	int fd, n, err, ret = FP_EXIT_ERR;

	n = fp_pins__present(o->pin_path);
	if (n < 0) {
		pr_warn("%s: %s\n", o->pin_path, strerror(-n));
		return FP_EXIT_ERR;
	}
	fd = fp_pins__open_uplinks(o->pin_path);
	if (fd < 0 && fd != -ENOENT) {
		pr_warn("%s/%s: %s\n", o->pin_path, FP_MAP_UPLINKS,
			fd == -EPROTO ? "not a map of uplinks" : strerror(-fd));
		return FP_EXIT_ERR;
	}
	if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &minfo, &len)) {
		pr_warn("%s/%s: %s\n", o->pin_path, FP_MAP_UPLINKS,
			strerror(errno));
		goto out;
	}
	root = json_object_new_object();
	det = json_object_new_array();
	json_object_object_add(root, "pin_path",
			       json_object_new_string(o->pin_path));
	json_object_object_add(root, "detached", det);
	while (fd >= 0 && !bpf_map_get_next_key(fd, prev, &key)) {
		char name[IF_NAMESIZE];
		struct attached st;

		prev = &key;
		if (!if_indextoname(key, name) || query_attached(key, &st) ||
		    !st.ours)
			continue; /* gone, or nothing of ours on it */
		if (!prog_uses_map(st.our_id, minfo.id)) {
			pr_warn("uplink %s: %s id %u uses another pin set than %s; "
				"leaving it attached\n",
				name, FP_PROG_NAME, st.our_id, o->pin_path);
			continue;
		}
		err = detach_ours(key, &st);
		if (err) {
			/* The pins stay, so that unload --all can be retried. */
			pr_warn("uplink %s: cannot detach: %s\n", name,
				strerror(-err));
			goto out;
		}
		if (!o->json)
			printf("%s: %s id %u detached\n", name, FP_PROG_NAME,
			       st.our_id);
		json_object_array_add(det, json_object_new_string(name));
	}
	if (fd >= 0 && detach_ports(o, minfo.id, root))
		goto out;
	n = fp_pins__remove(o->pin_path);
	if (n < 0)
		goto out; /* named by fp_pins__remove */
	json_object_object_add(root, "removed", json_object_new_int64(n));
	if (o->json)
		fp_json__print(root);
	else
		printf("%s: %d pinned maps removed\n", o->pin_path, n);
	ret = FP_EXIT_OK;
out:
	json_object_put(root);
	if (fd >= 0)
		close(fd);
	return ret;
}

struct unload_opts {
	bool all;
};

static const struct fp_option unload_options[] = {
	FP_OPT_FLAG("--all", struct unload_opts, all),
	{ 0 },
};

int fp_cmd_unload(const struct fp_opts *o, int argc, char **argv)
{
	struct unload_opts opt = { .all = false };
	const char *pos[FP_MAX_POS];
	struct attached st;
	__u32 ifindex;
	int npos, err, fd;

	npos = fp_args__parse("unload", argc, argv, unload_options, &opt, pos);
	if (npos != (opt.all ? 0 : 1)) {
		if (npos >= 0)
			fp_usage_error("unload IFACE | unload --all");
		return FP_EXIT_USAGE;
	}
	if (!opt.all && fp_args__ifname("uplink", pos[0]))
		return FP_EXIT_USAGE;
	if (fp_env__enter(o))
		return FP_EXIT_ERR;
	/*
	 * Never another live namespace's set: its ifindexes name other
	 * interfaces here. A gone namespace's set may be cleared (--all).
	 */
	if (fp_pins__check_netns(o->pin_path, false, opt.all))
		return FP_EXIT_ERR;
	if (opt.all)
		return unload_all(o);
	ifindex = if_nametoindex(pos[0]);
	if (!ifindex) {
		pr_warn("uplink %s: no such interface in this network namespace\n",
			pos[0]);
		return FP_EXIT_ERR;
	}
	err = query_attached(ifindex, &st);
	if (err || !st.present || !st.ours) {
		if (err)
			pr_warn("uplink %s: cannot query XDP state: %s\n",
				pos[0], strerror(-err));
		else if (!st.present)
			pr_warn("uplink %s: no XDP program attached\n", pos[0]);
		else
			pr_warn("uplink %s: attached XDP program '%s' (id %u) is not "
				"fastpath's; leaving it alone\n",
				pos[0], st.name, st.prog_id);
		return FP_EXIT_ERR;
	}
	err = detach_ours(ifindex, &st);
	if (err) {
		pr_warn("uplink %s: cannot detach: %s\n", pos[0],
			strerror(-err));
		return FP_EXIT_ERR;
	}
	/*
	 * The maps stay pinned: a later load finds its routes again. By fd,
	 * not the skeleton: this works on pins of any layout.
	 */
	fd = fp_pins__open_uplinks(o->pin_path);
	if (fd >= 0) {
		int upv = fp_pins__open_upv(o->pin_path);

		fp_uplinks__del_fds(fd, upv, ifindex);
		if (upv >= 0)
			close(upv);
		close(fd);
	}
	return FP_EXIT_OK;
}

static json_object *usage_json(const char *name, __u32 count, __u32 cap)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "entries", json_object_new_int64(count));
	json_object_object_add(o, "capacity", json_object_new_int64(cap));
	return o;
}

/*
 * The compiled table's fill: plies of each trie and shared results (the
 * route maps' own counts say nothing of how much room they take there).
 */
static void trie_json(struct fp_maps *m, json_object *maps)
{
	__u32 p4 = 0, p6 = 0, nres = 0, nodes, words;

	if (fp_trie__refresh(&m->trie))
		return;
	fp_trie__usage(&m->trie, &p4, &p6, &nres);
	json_object_array_add(maps, usage_json(FP_MAP_TRIE4, p4 + FP_ROOT_PLIES,
					       m->trie.nplies[0]));
	json_object_array_add(maps, usage_json(FP_MAP_TRIE6, p6 + FP_ROOT_PLIES,
					       m->trie.nplies[1]));
	json_object_array_add(maps, usage_json(FP_MAP_NH, nres, FP_MAX_NH - 1));
	/* Compressed IPv4 last plies: nodes, and the active half's words. */
	fp_trie__cusage(&m->trie, &nodes, &words);
	json_object_array_add(maps, usage_json(FP_MAP_CIDX4, nodes,
					       m->trie.nplies[0]));
	json_object_array_add(maps, usage_json(FP_MAP_CPOOL4, words,
					       m->trie.cpool_half));
}

static json_object *fill_json(int fd, const char *name)
{
	json_object *o = json_object_new_object();
	__u32 count = 0, cap = 0;

	fp_maps__count(fd, &count, &cap);
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "entries", json_object_new_int64(count));
	json_object_object_add(o, "capacity", json_object_new_int64(cap));
	return o;
}

/* The registered ports (VM ports and gateway ports), by name. */
static json_object *port_names(const struct fp_maps *m)
{
	json_object *arr = json_object_new_array();
	__u32 key, *prev = NULL;
	struct fp_port port;

	while (!bpf_map_get_next_key(m->ports, prev, &key)) {
		prev = &key;
		if (!bpf_map_lookup_elem(m->ports, &key, &port))
			json_object_array_add(
				arr, json_object_new_string(port.name));
	}
	return arr;
}

/*
 * "running": its pid lives and it has written a heartbeat within 3 s;
 * "stale": it said it runs, but is gone or silent (killed -9, hung);
 * "stopped": none follows the kernel (never started, or exited cleanly).
 */
static const char *sync_health(const struct fp_ctl *ctl)
{
	struct timespec ts;
	__u64 now;

	if (!ctl->pid)
		return "stopped";
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	if (kill(ctl->pid, 0) && errno == ESRCH)
		return "stale";
	return now - ctl->heartbeat_ns < 3000000000ULL ? "running" : "stale";
}

/* The daemon's sampled verify (sync --verify-interval), by kind. */
static json_object *verify_kinds(const __u64 *n)
{
	json_object *o = json_object_new_object();

	for (int k = FP_VERIFY_WRONG_DELIVERY; k <= FP_VERIFY_MODEL_MISMATCH;
	     k++)
		json_object_object_add(o, fp_verify__kind_name(k),
				       json_object_new_uint64(n[k]));
	json_object_object_add(o, "transient",
			       json_object_new_uint64(n[FP_VERIFY_TRANSIENT]));
	return o;
}

static json_object *verify_json(const struct fp_ctl *ctl)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "runs",
			       json_object_new_uint64(ctl->verify_runs));
	json_object_object_add(o, "probes",
			       json_object_new_uint64(ctl->verify_probes));
	json_object_object_add(
		o, "last_run",
		ctl->verify_runs ? json_object_new_uint64(ctl->verify_last_s) :
				   NULL);
	json_object_object_add(o, "last_probes",
			       json_object_new_uint64(ctl->verify_last_probes));
	json_object_object_add(o, "last", verify_kinds(ctl->verify_last));
	json_object_object_add(o, "total", verify_kinds(ctl->verify_total));
	return o;
}

static void print_verify(json_object *sy)
{
	json_object *v, *x, *last, *total;
	const char *kinds[] = { "wrong_delivery", "missed_acceleration",
				"model_mismatch" };
	time_t when;

	if (!json_object_object_get_ex(sy, "verify", &v) ||
	    !json_object_object_get_ex(v, "last_run", &x) || !x) {
		printf("verify none yet (sync --verify-interval)\n");
		return;
	}
	when = (time_t)json_object_get_int64(x);
	json_object_object_get_ex(v, "last_probes", &x);
	printf("verify last run %lld s ago, %" PRId64 " probes:",
	       (long long)(time(NULL) - when), json_object_get_int64(x));
	json_object_object_get_ex(v, "last", &last);
	json_object_object_get_ex(v, "total", &total);
	for (int k = 0; k < 3; k++) {
		json_object_object_get_ex(last, kinds[k], &x);
		printf("%s %" PRId64 " %s", k ? "," : "",
		       json_object_get_int64(x), kinds[k]);
	}
	json_object_object_get_ex(last, "transient", &x);
	printf(" (%" PRId64 " transient)", json_object_get_int64(x));
	json_object_object_get_ex(v, "runs", &x);
	printf("; %" PRId64 " runs,", json_object_get_int64(x));
	json_object_object_get_ex(v, "probes", &x);
	printf(" %" PRId64 " probes,", json_object_get_int64(x));
	json_object_object_get_ex(total, kinds[0], &x);
	printf(" %" PRId64 " wrong_delivery in all\n",
	       json_object_get_int64(x));
}

static json_object *sync_json(const struct fp_maps *m)
{
	json_object *o = json_object_new_object();
	struct fp_ctl ctl = { 0 };
	__u32 key = 0;

	bpf_map_lookup_elem(bpf_map__fd(m->skel->maps.fp_ctl), &key, &ctl);
	json_object_object_add(o, "not_programmed",
			       json_object_new_int64(ctl.not_programmed));
	json_object_object_add(o, "withdrawn",
			       json_object_new_int64(ctl.withdrawn));
	json_object_object_add(o, "full_syncs",
			       json_object_new_int64(ctl.full_syncs));
	json_object_object_add(o, "batches",
			       json_object_new_int64(ctl.batches));
	json_object_object_add(o, "daemon",
			       json_object_new_string(sync_health(&ctl)));
	json_object_object_add(o, "pid", json_object_new_int64(ctl.pid));
	json_object_object_add(o, "verify", verify_json(&ctl));
	return o;
}

/* The circuits' fast-path IP budgets (the model's, `fastpath apply`). */
static json_object *circuits_json(const struct fp_maps *m)
{
	json_object *arr = json_object_new_array();

	for (__u32 i = 0; i < FP_MAX_CIRCUITS; i++) {
		struct fp_circuit c;
		char name[IF_NAMESIZE];
		json_object *j;

		if (bpf_map_lookup_elem(m->circuits, &i, &c) || !c.budget)
			continue;
		if (!if_indextoname(c.ifindex, name))
			snprintf(name, sizeof(name), "if%u", c.ifindex);
		j = json_object_new_object();
		json_object_object_add(j, "circuit",
				       json_object_new_int64(i + 1));
		json_object_object_add(j, "uplink",
				       json_object_new_string(name));
		json_object_object_add(j, "budget",
				       json_object_new_int64(c.budget));
		json_object_object_add(j, "used",
				       json_object_new_int64(c.used));
		json_object_object_add(j, "over_budget",
				       json_object_new_int64(c.over));
		json_object_array_add(arr, j);
	}
	return arr;
}

static json_object *counter_json(const struct fp_counter *c)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "packets",
			       json_object_new_uint64(c->packets));
	json_object_object_add(j, "bytes", json_object_new_uint64(c->bytes));
	return j;
}

/* The tagged circuits of trunk uplinks, with their traffic by path. */
static json_object *vlans_json(const struct fp_maps *m)
{
	json_object *arr = json_object_new_array();
	struct fp_vlan_counters *v = NULL;
	char gw[IF_NAMESIZE];
	size_t n = 0;

	if (fp_vlan__counters(m, &v, &n))
		return arr;
	for (size_t i = 0; i < n; i++) {
		json_object *j = json_object_new_object();

		json_object_object_add(j, "uplink",
				       json_object_new_string(v[i].uplink));
		json_object_object_add(
			j, "s_tag",
			v[i].outer ? json_object_new_int(v[i].outer) : NULL);
		json_object_object_add(j, "vlan",
				       json_object_new_int(v[i].inner));
		json_object_object_add(j, "circuit",
				       json_object_new_int64(v[i].circuit));
		json_object_object_add(
			j, "gateway_port",
			v[i].gw_ifindex && if_indextoname(v[i].gw_ifindex, gw) ?
				json_object_new_string(gw) :
				NULL);
		json_object_object_add(j, "fast", counter_json(&v[i].fast));
		json_object_object_add(j, "gateway",
				       counter_json(&v[i].gateway));
		json_object_object_add(j, "other", counter_json(&v[i].other));
		json_object_array_add(arr, j);
	}
	free(v);
	return arr;
}

static long long packets_of(json_object *c, const char *path)
{
	json_object *p, *v;

	json_object_object_get_ex(c, path, &p);
	json_object_object_get_ex(p, "packets", &v);
	return json_object_get_int64(v);
}

static void print_vlans(json_object *root)
{
	json_object *arr, *v;
	char vlan[16];

	json_object_object_get_ex(root, "vlans", &arr);
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *c = json_object_array_get_idx(arr, i);
		int outer, inner;

		json_object_object_get_ex(c, "s_tag", &v);
		outer = json_object_get_int(v);
		json_object_object_get_ex(c, "vlan", &v);
		inner = json_object_get_int(v);
		json_object_object_get_ex(c, "uplink", &v);
		printf("vlan %s on %s:",
		       fp_format_vlan(outer, inner, vlan, sizeof(vlan)),
		       json_object_get_string(v));
		json_object_object_get_ex(c, "circuit", &v);
		if (json_object_get_int64(v))
			printf(" circuit %lld",
			       (long long)json_object_get_int64(v));
		json_object_object_get_ex(c, "gateway_port", &v);
		printf(" gateway %s, packets fast %lld gateway %lld other %lld\n",
		       v ? json_object_get_string(v) : "pass",
		       packets_of(c, "fast"), packets_of(c, "gateway"),
		       packets_of(c, "other"));
	}
}

static void print_circuits(json_object *root)
{
	json_object *arr, *v;

	json_object_object_get_ex(root, "circuits", &arr);
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *c = json_object_array_get_idx(arr, i);
		long long f[4];
		const char *keys[] = { "circuit", "budget", "used",
				       "over_budget" };

		for (int k = 0; k < 4; k++) {
			json_object_object_get_ex(c, keys[k], &v);
			f[k] = json_object_get_int64(v);
		}
		json_object_object_get_ex(c, "uplink", &v);
		printf("circuit %lld on %s: ip budget %lld/%lld (%lld%%), %lld "
		       "over budget\n",
		       f[0], json_object_get_string(v), f[2], f[1],
		       f[1] ? f[2] * 100 / f[1] : 0, f[3]);
	}
}

int fp_cmd_status(const struct fp_opts *o, int argc, char **argv)
{
	const char *pos[FP_MAX_POS];
	json_object *root, *ups, *maps, *sy, *np, *wd, *dm, *pt;
	__u32 key, *prev = NULL;
	struct fp_maps m;
	int npos;

	npos = fp_args__parse("status", argc, argv, NULL, NULL, pos);
	if (npos != 0) {
		if (npos > 0)
			fp_usage_error("status takes no arguments");
		return FP_EXIT_USAGE;
	}
	if (fp_env__enter(o) || fp_maps__open_readonly(&m, o))
		return FP_EXIT_ERR;

	root = json_object_new_object();
	ups = json_object_new_array();
	maps = json_object_new_array();
	json_object_object_add(root, "pin_path",
			       json_object_new_string(o->pin_path));
	while (!bpf_map_get_next_key(m.uplinks, prev, &key)) {
		json_object *u = json_object_new_object();
		char name[IF_NAMESIZE];
		struct attached st = { 0 };

		prev = &key;
		if (!if_indextoname(key, name))
			snprintf(name, sizeof(name), "if%u", key);
		query_attached(key, &st);
		json_object_object_add(u, "name", json_object_new_string(name));
		json_object_object_add(u, "ifindex",
				       json_object_new_int64(key));
		json_object_object_add(u, "attached",
				       json_object_new_boolean(st.ours));
		attachment_json(u, &st);
		json_object_array_add(ups, u);
	}
	json_object_object_add(root, "uplinks", ups);
	json_object_object_add(root, "ports", port_names(&m));
	json_object_array_add(maps, fill_json(m.uplinks, FP_MAP_UPLINKS));
	json_object_array_add(maps, fill_json(m.ports, FP_MAP_PORTS));
	json_object_array_add(maps, fill_json(m.hosts4, FP_MAP_HOSTS4));
	json_object_array_add(maps, fill_json(m.hosts6, FP_MAP_HOSTS6));
	json_object_array_add(maps, fill_json(m.routes4, FP_MAP_ROUTES4));
	json_object_array_add(maps, fill_json(m.routes6, FP_MAP_ROUTES6));
	json_object_array_add(maps, fill_json(m.excl4, FP_MAP_EXCL4));
	json_object_array_add(maps, fill_json(m.excl6, FP_MAP_EXCL6));
	json_object_array_add(maps, fill_json(m.vlans, FP_MAP_VLANS));
	trie_json(&m, maps);
	json_object_object_add(root, "maps", maps);
	json_object_object_add(root, "sync", sync_json(&m));
	json_object_object_add(root, "circuits", circuits_json(&m));
	json_object_object_add(root, "vlans", vlans_json(&m));

	if (o->json) {
		fp_json__print(root);
	} else {
		printf("pin path %s\n", o->pin_path);
		json_object_object_get_ex(root, "ports", &pt);
		printf("ports");
		for (size_t i = 0; i < json_object_array_length(pt); i++)
			printf(" %s",
			       json_object_get_string(
				       json_object_array_get_idx(pt, i)));
		printf("\n");
		for (size_t i = 0; i < json_object_array_length(ups); i++) {
			json_object *u = json_object_array_get_idx(ups, i), *v;

			json_object_object_get_ex(u, "name", &v);
			printf("uplink %s:", json_object_get_string(v));
			json_object_object_get_ex(u, "prog_id", &v);
			printf(" prog id %d", json_object_get_int(v));
			json_object_object_get_ex(u, "mode", &v);
			printf(" mode %s", json_object_get_string(v));
			json_object_object_get_ex(u, "attach", &v);
			printf(" attach %s\n", json_object_get_string(v));
		}
		for (size_t i = 0; i < json_object_array_length(maps); i++) {
			json_object *mo = json_object_array_get_idx(maps, i),
				    *n, *e, *c;

			json_object_object_get_ex(mo, "name", &n);
			json_object_object_get_ex(mo, "entries", &e);
			json_object_object_get_ex(mo, "capacity", &c);
			printf("map %-11s %d/%d\n", json_object_get_string(n),
			       json_object_get_int(e), json_object_get_int(c));
		}
		json_object_object_get_ex(root, "sync", &sy);
		json_object_object_get_ex(sy, "not_programmed", &np);
		json_object_object_get_ex(sy, "withdrawn", &wd);
		json_object_object_get_ex(sy, "daemon", &dm);
		printf("sync %s, not-programmed %" PRId64 " (withdrawn %" PRId64
		       ")\n",
		       json_object_get_string(dm), json_object_get_int64(np),
		       json_object_get_int64(wd));
		print_verify(sy);
		print_circuits(root);
		print_vlans(root);
	}
	json_object_put(root);
	fp_maps__close(&m);
	return FP_EXIT_OK;
}
