// SPDX-License-Identifier: GPL-2.0
/* The attached program's answer for a synthetic packet: see probe.h. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>

#include "ifinfo.h"
#include "log.h"
#include "probe.h"

const char *fp_probe__verdict(const struct fp_probe_out *out, bool port)
{
	static const char *const names[FP_CAP_MAX] = {
		[FP_CAP_FAST] = "fastpath",
		[FP_CAP_GATEWAY] = "gateway",
		[FP_CAP_DROP] = "drop",
		[FP_CAP_PASS] = "pass",
	};
	__u32 class = fp_verdict_class(out->reason,
				       out->action == XDP_DROP ||
					       out->action == XDP_ABORTED);

	return port && class == FP_CAP_GATEWAY ? "stack" : names[class];
}

/* Messages name the command; a NULL one asks for silence (the daemon). */
#define say(cmd, fmt, ...)                                     \
	do {                                                   \
		if (cmd)                                       \
			pr_warn("%s: " fmt, cmd, __VA_ARGS__); \
	} while (0)

/* The program attached to ifindex, a device of kind what (its messages). */
static int open_on(struct fp_prober *p, __u32 ifindex, const char *what,
		   const char *cmd)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct fp_ifinfo dev;
	int err;

	if (fp_ifinfo__by_index(ifindex, &dev)) {
		say(cmd, "%s ifindex %u: no such interface\n", what, ifindex);
		return -ENODEV;
	}
	if (bpf_xdp_query(ifindex, 0, &q) || !q.prog_id) {
		say(cmd, "%s %s: no XDP program attached\n", what, dev.name);
		return -ENOENT;
	}
	p->prog_fd = bpf_prog_get_fd_by_id(q.prog_id);
	if (p->prog_fd < 0) {
		err = -errno;
		say(cmd, "%s %s: program id %u: %s\n", what, dev.name,
		    q.prog_id, strerror(-err));
		return err;
	}
	p->prog_id = q.prog_id;
	p->ifindex = ifindex;
	memcpy(p->mac, dev.mac, 6);
	snprintf(p->name, sizeof(p->name), "%s", dev.name);
	return 0;
}

int fp_prober__open(struct fp_prober *p, const struct fp_maps *m,
		    const char *uplink, const char *cmd)
{
	__u32 ifindex;

	p->prog_fd = -1;
	if (uplink) {
		ifindex = if_nametoindex(uplink);
		if (!ifindex) {
			say(cmd, "uplink %s: no such interface\n", uplink);
			return -ENODEV;
		}
	} else if (bpf_map_get_next_key(m->uplinks, NULL, &ifindex)) {
		say(cmd, "%s\n",
		    "no uplink is configured (fastpath load IFACE)");
		return -ENOENT;
	}
	return open_on(p, ifindex, "uplink", cmd);
}

int fp_prober__open_port(struct fp_prober *p, const struct fp_maps *m,
			 const char *port, const char *cmd)
{
	struct fp_port rec;
	__u32 ifindex;

	p->prog_fd = -1;
	ifindex = if_nametoindex(port);
	if (!ifindex) {
		say(cmd, "port %s: no such interface\n", port);
		return -ENODEV;
	}
	if (bpf_map_lookup_elem(m->ports, &ifindex, &rec)) {
		say(cmd,
		    "port %s: not a fastpath port (fastpath port add %s)\n",
		    port, port);
		return -ENOENT;
	}
	if (rec.flags & FP_PORT_F_UPLINK) {
		say(cmd, "port %s: an uplink, not a VM port\n", port);
		return -EINVAL;
	}
	if (!(rec.flags & FP_PORT_F_RETURN)) {
		say(cmd,
		    "port %s: the return path is off on it (added with "
		    "--no-return, or a gateway port)\n",
		    port);
		return -ENOENT;
	}
	return open_on(p, ifindex, "port", cmd);
}

void fp_prober__close(struct fp_prober *p)
{
	if (p->prog_fd >= 0)
		close(p->prog_fd);
	p->prog_fd = -1;
}

int fp_prober__run(const struct fp_prober *p, struct fp_pktspec *spec,
		   struct fp_probe_out *out)
{
	__u8 in[256], res[256];
	struct fp_probe *probe = (struct fp_probe *)in;
	struct xdp_md ctx = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, t);
	int len;

	memcpy(spec->dmac, p->mac, 6);
	memset(in, 0, sizeof(*probe));
	probe->magic = FP_EXPLAIN_MAGIC;
	len = fp_pkt__build(spec, in + sizeof(*probe),
			    sizeof(in) - sizeof(*probe));
	if (len < 0)
		return len;
	ctx.data = sizeof(*probe);
	ctx.data_end = sizeof(*probe) + len;
	ctx.ingress_ifindex = p->ifindex;
	t.data_in = in;
	t.data_size_in = ctx.data_end;
	t.data_out = res;
	t.data_size_out = sizeof(res);
	t.ctx_in = &ctx;
	t.ctx_size_in = sizeof(ctx);
	if (bpf_prog_test_run_opts(p->prog_fd, &t))
		return -errno;
	probe = (struct fp_probe *)res;
	if (t.data_size_out < sizeof(*probe) + ETH_HLEN ||
	    probe->magic != FP_EXPLAIN_MAGIC)
		return -EPROTO;
	out->action = t.retval;
	out->reason = probe->reason;
	out->ifindex = probe->ifindex;
	memcpy(out->dmac, res + sizeof(*probe), 6);
	memcpy(out->smac, res + sizeof(*probe) + 6, 6);
	return 0;
}
