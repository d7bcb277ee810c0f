// SPDX-License-Identifier: GPL-2.0
/*
 * explain ADDRESS: run the program attached to an uplink, with
 * BPF_PROG_TEST_RUN, on a synthetic UDP packet to ADDRESS, against the live
 * maps. The probe travels in the XDP metadata so the program does not
 * count it and writes its reason and target port back.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include <linux/if_ether.h>

#include "args.h"
#include "commands.h"
#include "maps.h"
#include "pinset.h"
#include "ifinfo.h"
#include "log.h"
#include "parse.h"
#include "pktgen.h"

/* The verdict names of DESIGN.md's explain --json, by class. */
static const char *verdict_name(__u32 action, __u32 reason)
{
	static const char *const names[FP_CAP_MAX] = {
		[FP_CAP_FAST] = "fastpath",
		[FP_CAP_GATEWAY] = "gateway",
		[FP_CAP_DROP] = "drop",
		[FP_CAP_PASS] = "pass",
	};

	return names[fp_verdict_class(reason, action == XDP_DROP ||
						      action == XDP_ABORTED)];
}

/*
 * Which maps answered: those at the pin path, or the program's own when
 * it was loaded with another pin set; prog_id 0 when that is unknown.
 */
static json_object *maps_json(const struct fp_opts *o,
			      const struct fp_answering *a)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "pin_path",
			       json_object_new_string(o->pin_path));
	json_object_object_add(j, "answered_from",
			       json_object_new_string(!a->prog_id ? "unknown" :
						      a->pinned	  ? "pin_path" :
								    "program"));
	json_object_object_add(j, "prog_id", json_object_new_int64(a->prog_id));
	json_object_object_add(j, "fp_uplinks_id",
			       json_object_new_int64(a->uplinks_id));
	return j;
}

static int first_uplink(struct fp_maps *m, __u32 *ifindex)
{
	return bpf_map_get_next_key(m->uplinks, NULL, ifindex) ? -ENOENT : 0;
}

struct explain_opts {
	const char *uplink;
	const char *vlan;
};

static const struct fp_option explain_options[] = {
	FP_OPT_VALUE("--uplink", struct explain_opts, uplink),
	FP_OPT_VALUE("--vlan", struct explain_opts, vlan),
	{ 0 },
};

int fp_cmd_explain(const struct fp_opts *o, int argc, char **argv)
{
	struct explain_opts opt = { .uplink = NULL, .vlan = NULL };
	struct fp_pktspec spec = { .smac = { 0x02, 0, 0, 0, 0, 0x01 },
				   .ttl = 64,
				   .payload = 18 };
	__u8 in[256], out[256];
	struct fp_probe *probe = (struct fp_probe *)in;
	struct xdp_md ctx = { 0 };
	const char *pos[FP_MAX_POS];
	struct fp_answering ans = { 0 };
	struct fp_ifinfo up, port;
	struct fp_maps m;
	LIBBPF_OPTS(bpf_test_run_opts, t);
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char smac[FP_MAC_STRLEN], dmac[FP_MAC_STRLEN], vlan[16] = "";
	int npos, len, fd = -1, ret = FP_EXIT_ERR;
	const char *verdict;
	json_object *j;
	__u32 ifindex;

	npos = fp_args__parse("explain", argc, argv, explain_options, &opt,
			      pos);
	if (npos != 1) {
		if (npos >= 0)
			fp_usage_error(
				"explain ADDRESS [--uplink IFACE] [--vlan [S/]C]");
		return FP_EXIT_USAGE;
	}
	if (fp_parse_addr(pos[0], &spec.dst)) {
		pr_warn("explain %s: not an IPv4 or IPv6 address\n", pos[0]);
		return FP_EXIT_USAGE;
	}
	if (opt.uplink && fp_args__ifname("explain: uplink", opt.uplink))
		return FP_EXIT_USAGE;
	if (opt.vlan) {
		if (fp_parse_vlan(opt.vlan, &spec.outer, &spec.inner)) {
			pr_warn("explain: --vlan %s: expected C or S/C, VLAN IDs "
				"1 to 4094\n",
				opt.vlan);
			return FP_EXIT_USAGE;
		}
		snprintf(vlan, sizeof(vlan), " vlan %s", opt.vlan);
	}
	spec.src.family = spec.dst.family;
	/* A source from the documentation range stands in for on-prem. */
	if (spec.dst.family == AF_INET)
		fp_parse_addr("198.18.255.254", &spec.src);
	else
		fp_parse_addr("2001:db8:ffff::fffe", &spec.src);

	if (fp_env__enter(o) || fp_maps__open_readonly(&m, o))
		return FP_EXIT_ERR;
	if (opt.uplink) {
		ifindex = if_nametoindex(opt.uplink);
		if (!ifindex) {
			pr_warn("explain: uplink %s: no such interface\n",
				opt.uplink);
			goto out;
		}
	} else if (first_uplink(&m, &ifindex)) {
		pr_warn("explain: no uplink is configured (fastpath load IFACE)\n");
		goto out;
	}
	if (fp_ifinfo__by_index(ifindex, &up)) {
		pr_warn("explain: uplink ifindex %u: no such interface\n",
			ifindex);
		goto out;
	}
	if (bpf_xdp_query(ifindex, 0, &q) || !q.prog_id) {
		pr_warn("explain: uplink %s: no XDP program attached\n",
			up.name);
		goto out;
	}
	fd = bpf_prog_get_fd_by_id(q.prog_id);
	if (fd < 0) {
		pr_warn("explain: uplink %s: program id %u: %s\n", up.name,
			q.prog_id, strerror(errno));
		goto out;
	}

	memcpy(spec.dmac, up.mac, 6);
	memset(in, 0, sizeof(*probe));
	probe->magic = FP_EXPLAIN_MAGIC;
	len = fp_pkt__build(&spec, in + sizeof(*probe),
			    sizeof(in) - sizeof(*probe));
	ctx.data = sizeof(*probe);
	ctx.data_end = sizeof(*probe) + len;
	ctx.ingress_ifindex = ifindex;
	t.data_in = in;
	t.data_size_in = ctx.data_end;
	t.data_out = out;
	t.data_size_out = sizeof(out);
	t.ctx_in = &ctx;
	t.ctx_size_in = sizeof(ctx);
	if (bpf_prog_test_run_opts(fd, &t)) {
		pr_warn("explain: test run of program id %u on %s: %s\n",
			q.prog_id, up.name, strerror(errno));
		goto out;
	}
	probe = (struct fp_probe *)out;
	if (t.data_size_out < sizeof(*probe) + ETH_HLEN ||
	    probe->magic != FP_EXPLAIN_MAGIC) {
		pr_warn("explain: program id %u on %s did not answer the probe "
			"(not fastpath_xdp?)\n",
			q.prog_id, up.name);
		goto out;
	}
	verdict = verdict_name(t.retval, probe->reason);
	fp_format_mac(out + sizeof(*probe), dmac, sizeof(dmac));
	fp_format_mac(out + sizeof(*probe) + 6, smac, sizeof(smac));
	if (!probe->ifindex || fp_ifinfo__by_index(probe->ifindex, &port))
		port.name[0] = '\0';
	/*
	 * The program answers from the maps it was loaded with, which need
	 * not be the ones at the pin path this command opened: say so.
	 */
	if (!fp_attach__maps_of(ifindex, m.uplinks, &ans) && !ans.pinned)
		pr_warn("explain: %s id %u on %s does not use the maps at %s: "
			"this answer comes from its own maps (fp_uplinks id %u)\n",
			FP_PROG_NAME, ans.prog_id, up.name, o->pin_path,
			ans.uplinks_id);

	if (o->json) {
		j = json_object_new_object();
		json_object_object_add(j, "address",
				       json_object_new_string(pos[0]));
		json_object_object_add(j, "verdict",
				       json_object_new_string(verdict));
		json_object_object_add(
			j, "reason",
			json_object_new_string(fp_reason_name(probe->reason)));
		json_object_object_add(j, "uplink",
				       json_object_new_string(up.name));
		json_object_object_add(
			j, "vlan",
			opt.vlan ? json_object_new_string(opt.vlan) : NULL);
		json_object_object_add(
			j, "port",
			port.name[0] ? json_object_new_string(port.name) :
				       NULL);
		json_object_object_add(j, "dmac", json_object_new_string(dmac));
		json_object_object_add(j, "smac", json_object_new_string(smac));
		json_object_object_add(j, "maps", maps_json(o, &ans));
		fp_json__print(j);
		json_object_put(j);
	} else {
		printf("%s: %s (reason %s) on uplink %s%s", pos[0], verdict,
		       fp_reason_name(probe->reason), up.name, vlan);
		if (port.name[0])
			printf(" -> port %s dmac %s smac %s", port.name, dmac,
			       smac);
		printf("\n");
	}
	ret = FP_EXIT_OK;
out:
	if (fd >= 0)
		close(fd);
	fp_maps__close(&m);
	return ret;
}
