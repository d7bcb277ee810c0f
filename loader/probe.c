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

const char *fp_probe__verdict(const struct fp_probe_out *out)
{
	static const char *const names[FP_CAP_MAX] = {
		[FP_CAP_FAST] = "fastpath",
		[FP_CAP_GATEWAY] = "gateway",
		[FP_CAP_DROP] = "drop",
		[FP_CAP_PASS] = "pass",
	};

	return names[fp_verdict_class(out->reason,
				      out->action == XDP_DROP ||
					      out->action == XDP_ABORTED)];
}

/* Messages name the command; a NULL one asks for silence (the daemon). */
#define say(cmd, fmt, ...)                                     \
	do {                                                   \
		if (cmd)                                       \
			pr_warn("%s: " fmt, cmd, __VA_ARGS__); \
	} while (0)

int fp_prober__open(struct fp_prober *p, const struct fp_maps *m,
		    const char *uplink, const char *cmd)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct fp_ifinfo up;
	__u32 ifindex;
	int err;

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
	if (fp_ifinfo__by_index(ifindex, &up)) {
		say(cmd, "uplink ifindex %u: no such interface\n", ifindex);
		return -ENODEV;
	}
	if (bpf_xdp_query(ifindex, 0, &q) || !q.prog_id) {
		say(cmd, "uplink %s: no XDP program attached\n", up.name);
		return -ENOENT;
	}
	p->prog_fd = bpf_prog_get_fd_by_id(q.prog_id);
	if (p->prog_fd < 0) {
		err = -errno;
		say(cmd, "uplink %s: program id %u: %s\n", up.name, q.prog_id,
		    strerror(-err));
		return err;
	}
	p->prog_id = q.prog_id;
	p->ifindex = ifindex;
	memcpy(p->mac, up.mac, 6);
	snprintf(p->name, sizeof(p->name), "%s", up.name);
	return 0;
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
