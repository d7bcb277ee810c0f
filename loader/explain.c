// SPDX-License-Identifier: GPL-2.0
/*
 * explain ADDRESS: run the program attached to an uplink, with
 * BPF_PROG_TEST_RUN, on a synthetic UDP packet to ADDRESS, against the live
 * maps. The probe travels in the XDP metadata so the program does not
 * count it and writes its reason and target port back. explain --from
 * PORT ADDRESS asks the return path the same: the fastpath_port attached
 * to a VM port, for a frame from that VM.
 */
#include <arpa/inet.h>
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
#include "fib.h"
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
	const char *from; /* the return path: a frame from this VM port */
	const char *src; /* its source; default: an address of the VM's */
};

static const struct fp_option explain_options[] = {
	FP_OPT_VALUE("--uplink", struct explain_opts, uplink),
	FP_OPT_VALUE("--vlan", struct explain_opts, vlan),
	FP_OPT_VALUE("--from", struct explain_opts, from),
	FP_OPT_VALUE("--src", struct explain_opts, src),
	{ 0 },
};

static const char usage_line[] =
	"explain ADDRESS [--uplink IFACE] [--vlan [S/]C] | "
	"explain --from PORT [--src ADDRESS] ADDRESS";

/* The VM's own address behind a port: its host entries first. */
struct vm_source {
	__u32 ifindex;
	int family;
	struct fp_prefix best;
	bool found;
};

/*
 * An entry of the port's (not on-prem, not a shadow) of the family: a
 * host entry (a VM's own address) over a wider route, the lowest
 * address among equals, so that the answer is the same every time.
 */
static int vm_source_of(const struct fp_prefix *p, const struct fp_route *rt,
			void *ctx)
{
	struct vm_source *v = ctx;
	int full = v->family == AF_INET ? 32 : 128;

	if (p->family != v->family || rt->ifindex != v->ifindex ||
	    (rt->flags & FP_ROUTE_F_ONPREM))
		return 0;
	if (v->found && (v->best.len == full) > (p->len == full))
		return 0;
	if (v->found && (v->best.len == full) == (p->len == full) &&
	    memcmp(v->best.addr, p->addr, sizeof(p->addr)) <= 0)
		return 0;
	v->best = *p;
	v->found = true;
	return 0;
}

/*
 * The probe of `explain --from PORT`: a frame from the VM on PORT to dst,
 * from src (or the VM's own address), through that port's fastpath_port.
 */
static int from_port(const struct explain_opts *opt, const struct fp_maps *m,
		     struct fp_prober *pr, struct fp_pktspec *spec)
{
	struct vm_source v = { .family = spec->dst.family };
	struct fp_port rec;
	int err;

	err = fp_prober__open_port(pr, m, opt->from, "explain");
	if (err)
		return err;
	if (!bpf_map_lookup_elem(m->ports, &pr->ifindex, &rec) &&
	    !fp_mac_is_zero(rec.peer_mac))
		memcpy(spec->smac, rec.peer_mac, 6);
	if (opt->src)
		return 0;
	v.ifindex = pr->ifindex;
	err = fp_fib__for_each(m, vm_source_of, &v);
	if (err) {
		pr_warn("explain: port %s: reading its entries: %s\n", pr->name,
			strerror(-err));
		return err;
	}
	if (!v.found) {
		pr_warn("explain: port %s: no %s entry names the VM's address; "
			"give one with --src\n",
			pr->name, v.family == AF_INET ? "IPv4" : "IPv6");
		return -ENOENT;
	}
	spec->src.family = v.family;
	memcpy(spec->src.addr, v.best.addr, sizeof(v.best.addr));
	return 0;
}

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
	char src[FP_PREFIX_STRLEN];
	int npos, err, ret = FP_EXIT_ERR;
	const char *verdict, *prog;
	json_object *j;

	npos = fp_args__parse("explain", argc, argv, explain_options, &opt,
			      pos);
	if (npos != 1) {
		if (npos >= 0)
			fp_usage_error("%s", usage_line);
		return FP_EXIT_USAGE;
	}
	if (fp_parse_addr(pos[0], &spec.dst)) {
		pr_warn("explain %s: not an IPv4 or IPv6 address\n", pos[0]);
		return FP_EXIT_USAGE;
	}
	if (opt.from && (opt.uplink || opt.vlan)) {
		fp_usage_error("explain --from PORT: a frame from a VM; "
			       "--uplink and --vlan are the other direction's");
		return FP_EXIT_USAGE;
	}
	if (opt.src && !opt.from) {
		fp_usage_error("explain: --src goes with --from PORT");
		return FP_EXIT_USAGE;
	}
	if (opt.from && fp_args__ifname("explain: port", opt.from))
		return FP_EXIT_USAGE;
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
	if (opt.src) {
		if (fp_parse_addr(opt.src, &spec.src) ||
		    spec.src.family != spec.dst.family) {
			pr_warn("explain: --src %s: not an %s address (as %s "
				"is)\n",
				opt.src,
				spec.dst.family == AF_INET ? "IPv4" : "IPv6",
				pos[0]);
			return FP_EXIT_USAGE;
		}
	} else if (spec.dst.family == AF_INET) {
		/* A source from the documentation range stands in for on-prem. */
		fp_parse_addr("198.18.255.254", &spec.src);
	} else {
		fp_parse_addr("2001:db8:ffff::fffe", &spec.src);
	}

	if (fp_env__enter(o) || fp_maps__open_readonly(&m, o))
		return FP_EXIT_ERR;
	prog = opt.from ? FP_PROG_PORT_NAME : FP_PROG_NAME;
	if (opt.from ? from_port(&opt, &m, &pr, &spec) :
		       fp_prober__open(&pr, &m, opt.uplink, "explain"))
		goto out;
	err = fp_prober__run(&pr, &spec, &out);
	if (err == -EPROTO) {
		pr_warn("explain: program id %u on %s did not answer the probe "
			"(not %s?)\n",
			pr.prog_id, pr.name, prog);
		goto out;
	}
	if (err) {
		pr_warn("explain: test run of program id %u on %s: %s\n",
			pr.prog_id, pr.name, strerror(-err));
		goto out;
	}
	verdict = fp_probe__verdict(&out, opt.from != NULL);
	fp_format_mac(out.dmac, dmac, sizeof(dmac));
	fp_format_mac(out.smac, smac, sizeof(smac));
	inet_ntop(spec.src.family, spec.src.addr, src, sizeof(src));
	if (!out.ifindex || fp_ifinfo__by_index(out.ifindex, &port))
		port.name[0] = '\0';
	/*
	 * The program answers from the maps it was loaded with, which need
	 * not be the ones at the pin path this command opened: say so.
	 */
	if (!fp_attach__maps_of(pr.ifindex, prog, m.uplinks, &ans) &&
	    !ans.pinned)
		pr_warn("explain: %s id %u on %s does not use the maps at %s: "
			"this answer comes from its own maps (fp_uplinks id %u)\n",
			prog, ans.prog_id, pr.name, o->pin_path,
			ans.uplinks_id);

	if (o->json) {
		/*
		 * "uplink" is always the uplink and "port" the VM port: the
		 * probe's ingress and target swap places with --from.
		 */
		const char *vm = opt.from ? pr.name : port.name;
		const char *up = opt.from ? port.name : pr.name;

		j = json_object_new_object();
		json_object_object_add(j, "address",
				       json_object_new_string(pos[0]));
		json_object_object_add(j, "source",
				       json_object_new_string(src));
		json_object_object_add(
			j, "from",
			opt.from ? json_object_new_string(pr.name) : NULL);
		json_object_object_add(j, "verdict",
				       json_object_new_string(verdict));
		json_object_object_add(
			j, "reason",
			json_object_new_string(fp_reason_name(out.reason)));
		json_object_object_add(
			j, "uplink", up[0] ? json_object_new_string(up) : NULL);
		json_object_object_add(
			j, "vlan",
			opt.vlan ? json_object_new_string(opt.vlan) : NULL);
		json_object_object_add(
			j, "port", vm[0] ? json_object_new_string(vm) : NULL);
		json_object_object_add(j, "dmac", json_object_new_string(dmac));
		json_object_object_add(j, "smac", json_object_new_string(smac));
		json_object_object_add(j, "maps", maps_json(o, &ans));
		fp_json__print(j);
		json_object_put(j);
	} else if (opt.from) {
		printf("%s from %s: %s (reason %s) on port %s", pos[0], src,
		       verdict, fp_reason_name(out.reason), pr.name);
		if (port.name[0])
			printf(" -> uplink %s dmac %s smac %s", port.name, dmac,
			       smac);
		printf("\n");
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
