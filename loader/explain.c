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
#include "probe.h"

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
	const char *pos[FP_MAX_POS];
	struct fp_answering ans = { 0 };
	struct fp_prober pr = { .prog_fd = -1 };
	struct fp_probe_out out;
	struct fp_ifinfo port;
	struct fp_maps m;
	char smac[FP_MAC_STRLEN], dmac[FP_MAC_STRLEN], vlan[16] = "";
	int npos, err, ret = FP_EXIT_ERR;
	const char *verdict;
	json_object *j;

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
	if (fp_prober__open(&pr, &m, opt.uplink, "explain"))
		goto out;
	err = fp_prober__run(&pr, &spec, &out);
	if (err == -EPROTO) {
		pr_warn("explain: program id %u on %s did not answer the probe "
			"(not fastpath_xdp?)\n",
			pr.prog_id, pr.name);
		goto out;
	}
	if (err) {
		pr_warn("explain: test run of program id %u on %s: %s\n",
			pr.prog_id, pr.name, strerror(-err));
		goto out;
	}
	verdict = fp_probe__verdict(&out);
	fp_format_mac(out.dmac, dmac, sizeof(dmac));
	fp_format_mac(out.smac, smac, sizeof(smac));
	if (!out.ifindex || fp_ifinfo__by_index(out.ifindex, &port))
		port.name[0] = '\0';
	/*
	 * The program answers from the maps it was loaded with, which need
	 * not be the ones at the pin path this command opened: say so.
	 */
	if (!fp_attach__maps_of(pr.ifindex, m.uplinks, &ans) && !ans.pinned)
		pr_warn("explain: %s id %u on %s does not use the maps at %s: "
			"this answer comes from its own maps (fp_uplinks id %u)\n",
			FP_PROG_NAME, ans.prog_id, pr.name, o->pin_path,
			ans.uplinks_id);

	if (o->json) {
		j = json_object_new_object();
		json_object_object_add(j, "address",
				       json_object_new_string(pos[0]));
		json_object_object_add(j, "verdict",
				       json_object_new_string(verdict));
		json_object_object_add(
			j, "reason",
			json_object_new_string(fp_reason_name(out.reason)));
		json_object_object_add(j, "uplink",
				       json_object_new_string(pr.name));
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
		       fp_reason_name(out.reason), pr.name, vlan);
		if (port.name[0])
			printf(" -> port %s dmac %s smac %s", port.name, dmac,
			       smac);
		printf("\n");
	}
	ret = FP_EXIT_OK;
out:
	fp_prober__close(&pr);
	fp_maps__close(&m);
	return ret;
}
