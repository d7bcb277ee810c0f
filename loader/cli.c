// SPDX-License-Identifier: GPL-2.0
/* Global options (anywhere on the line, like ip's) and command dispatch. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "log.h"
#include "state.h"

static const char usage_text[] =
	"usage: fastpath [-n NAME] [--pin-path DIR] [--json] [-v] COMMAND ...\n"
	"\n"
	"  load IFACE [--mode native|skb] [--gateway-port IFACE] [--force]\n"
	"       [--allow-spoofed-sources]\n"
	"  unload IFACE | unload --all   --all: detach from every uplink the pins\n"
	"       record and remove the pin set (clears pins of another layout,\n"
	"       or of a namespace that is gone)\n"
	"  uplink add IFACE [--gateway-port IFACE] [--allow-spoofed-sources]\n"
	"  uplink add IFACE --vlan [S/]C [--gateway-port IFACE]   a tagged\n"
	"       circuit on a trunk uplink (C-tag, or S-tag/C-tag)\n"
	"  uplink del IFACE [--vlan [S/]C] | uplink list\n"
	"  port add IFACE [--peer-mac MAC] [--no-return] | port del IFACE | port list\n"
	"       (add attaches the return path, fastpath_port, unless --no-return)\n"
	"  route add PREFIX dev IFACE [lladdr MAC] | route del PREFIX | route list\n"
	"  onprem add PREFIX via ADDR dev UPLINK [lladdr MAC] | onprem del PREFIX\n"
	"       | onprem list   on-prem destinations of the return path (VM -> uplink)\n"
	"  exclude add PREFIX [--class peering|basic-lb|private-link|udr|other]\n"
	"  exclude del PREFIX | exclude list\n"
	"  stats [--interval SECS] [--prometheus [--output FILE]]\n"
	"  status\n"
	"  explain ADDRESS [--uplink IFACE] [--vlan [S/]C]\n"
	"  explain --from PORT [--src ADDRESS] ADDRESS   the return path's answer\n"
	"       for a frame from the VM on PORT (from its own address)\n"
	"  verify [--sample N] [--uplink IFACE] [--table ID]   the program's\n"
	"       answers against the kernel's and the model's; exit 1 on a\n"
	"       wrong delivery\n"
	"  sync [--table ID] [--ports GLOB [--no-return]] [--once]\n"
	"       [--verify-interval SECS]   (ports it registers get the return\n"
	"       path, as with port add, unless --no-return; --return: the same)\n"
	"  capture -w FILE.pcap [--count N] [--filter fast|gateway|stack|drop|pass|all]\n"
	"       [--snaplen N] [--quiet] | capture --stop\n"
	"  apply [--config FILE] [--check [--offline]]   the ExpressRoute model\n"
	"       (default /etc/fastpath/fastpath.conf); --check changes nothing,\n"
	"       --offline asks neither this host's interfaces nor its state\n"
	"  authorization create|revoke CIRCUIT NAME | authorization list\n"
	"  connection del NAME | connection list\n"
	"\n"
	"  -n, --netns NAME   run inside network namespace NAME (keeps bpffs pins)\n"
	"  --pin-path DIR     where the maps are pinned (default " FP_DEFAULT_PIN_PATH
	",\n"
	"                     with -n NAME " FP_DEFAULT_PIN_PATH
	"@NAME); a set serves\n"
	"                     one namespace and must be root's alone\n"
	"  --state-dir DIR    the model's state (default $FASTPATH_STATE_DIR or\n"
	"                     " FP_DEFAULT_STATE_DIR
	", with -n NAME " FP_DEFAULT_STATE_DIR "@NAME)\n"
	"  -j, --json         machine-readable output\n"
	"  -v, --verbose      libbpf and libxdp detail on stderr\n"
	"\n"
	"Exit status: 0 success, 1 runtime error (a well-formed command refused),\n"
	"2 usage error (an unknown or repeated option, a malformed argument).\n";

/*
 * The default pin path and state directory of -n NAME: base@NAME, one per
 * namespace, so that two namespaces never share maps (nor the model's
 * state, which says what is in them) unless told to; and then the set's
 * namespace record refuses the second. NAME may be a path to an nsfs
 * file: /run/netns/X is X, other paths are flattened ('/' to '_').
 */
static void netns_path(const char *base, const char *netns, char *buf, size_t n)
{
	const char *name = netns;
	size_t len = strlen(base) + 1;

	if (!strncmp(name, "/run/netns/", 11) && !strchr(name + 11, '/'))
		name += 11;
	while (*name == '/')
		name++;
	snprintf(buf, n, "%s@%s", base, name);
	for (char *c = buf + len; c < buf + n && *c; c++)
		if (*c == '/')
			*c = '_';
}

static const struct {
	const char *name;
	int (*fn)(const struct fp_opts *o, int argc, char **argv);
} commands[] = {
	{ "load", fp_cmd_load },
	{ "unload", fp_cmd_unload },
	{ "uplink", fp_cmd_uplink },
	{ "port", fp_cmd_port },
	{ "route", fp_cmd_route },
	{ "exclude", fp_cmd_exclude },
	{ "onprem", fp_cmd_onprem },
	{ "stats", fp_cmd_stats },
	{ "status", fp_cmd_status },
	{ "explain", fp_cmd_explain },
	{ "verify", fp_cmd_verify },
	{ "sync", fp_cmd_sync },
	{ "capture", fp_cmd_capture },
	{ "apply", fp_cmd_apply },
	{ "authorization", fp_cmd_authorization },
	{ "connection", fp_cmd_connection },
};

/* Pulls the global options out of argv; the rest keeps its order. */
static int take_globals(int argc, char **argv, struct fp_opts *o, int *rest)
{
	const char **given[3]; /* the valued options seen: once each */
	int n = 0, ngiven = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **dst = NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_text, stdout);
			exit(FP_EXIT_OK);
		} else if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			o->json = true;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			o->verbose++;
		} else if (!strcmp(a, "-n") || !strcmp(a, "--netns")) {
			dst = &o->netns;
		} else if (!strcmp(a, "--pin-path")) {
			dst = &o->pin_path;
		} else if (!strcmp(a, "--state-dir")) {
			dst = &o->state_dir;
		} else {
			argv[++n] = argv[i];
			continue;
		}
		if (dst) {
			if (i + 1 >= argc || !argv[i + 1][0]) {
				fp_usage_error("%s needs a value", a);
				return -1;
			}
			for (int g = 0; g < ngiven; g++)
				if (given[g] == dst) {
					fp_usage_error("%s given twice", a);
					return -1;
				}
			given[ngiven++] = dst;
			*dst = argv[++i];
		}
	}
	*rest = n;
	return 0;
}

int fp_cli__run(int argc, char **argv)
{
	const char *state = getenv("FASTPATH_STATE_DIR");
	static char netns_pin[PATH_MAX], netns_state[PATH_MAX];
	struct fp_opts o = { 0 };
	int n;

	if (take_globals(argc, argv, &o, &n))
		return FP_EXIT_USAGE;
	if (!o.pin_path) {
		o.default_pin_path = true;
		o.pin_path = FP_DEFAULT_PIN_PATH;
		if (o.netns) {
			netns_path(FP_DEFAULT_PIN_PATH, o.netns, netns_pin,
				   sizeof(netns_pin));
			o.pin_path = netns_pin;
		}
	}
	if (!o.state_dir && state && *state)
		o.state_dir = state;
	if (!o.state_dir) {
		o.state_dir = FP_DEFAULT_STATE_DIR;
		if (o.netns) {
			netns_path(FP_DEFAULT_STATE_DIR, o.netns, netns_state,
				   sizeof(netns_state));
			o.state_dir = netns_state;
		}
	}
	fp_log__set_level(o.verbose ? FP_LOG_DEBUG : FP_LOG_WARN);
	fp_log__route_libs();
	if (n < 1) {
		fputs(usage_text, stderr);
		return FP_EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(&o, n - 1, argv + 2);
	fp_usage_error("unknown command %s", argv[1]);
	return FP_EXIT_USAGE;
}
