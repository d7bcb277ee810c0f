// SPDX-License-Identifier: GPL-2.0
/*
 * Tier-2 benchmark, packets per second end to end (DESIGN.md "Performance
 * method", issue 4 part 2), run by scripts/bench.sh inside the namespace
 * lab of selftests/lib.sh. Traffic comes from livegen_xdp
 * (bpf/livegen.bpf.c) run with BPF_F_TEST_XDP_LIVE_FRAMES on on-prem's
 * op0: every frame goes out of op0 into the host's uplink0 and from there
 * takes the path of one arm:
 *   limit     arm_limit of bpf/bench.bpf.c on uplink0: a bare redirect
 *   fastpath  the real program, `fastpath load uplink0`, port and route
 *   gateway   no program on uplink0: the kernel, its ip rule, the gateway
 *             namespace and back through the host
 *   fib       arm_fib of bpf/bench.bpf.c: bpf_fib_lookup() in the main
 *             table and the neighbour it returns (xdp-forward fib-direct)
 *   floor     arm_floor of bpf/bench.bpf.c: the least a table-driven
 *             forwarder does (a 16-8-8 walk or a /128 hash, one result,
 *             a DEVMAP slot, the rewrite): what this machine allows any
 *             program that looks routes up, the fast path's own ceiling
 *   fastpath-vlan  the fast path on a trunk uplink0 (`fastpath uplink add
 *             uplink0 --vlan [S/]C` after the load): the same packets,
 *             each tagged so on the wire (the frame 4 or 8 bytes longer),
 *             popped by the program; the VM gets what the fastpath arm
 *             delivers. --vlan none leaves this arm out.
 *   floor-vlan  the floor arm on the same tagged packets: it finds the
 *             circuit by the (inner) VID in one array read and pops the
 *             tags; beside floor, what tags cost a program that does
 *             nothing else. Left out with fastpath-vlan.
 * into one of two VMs: the lab's vm2 behind a veth, whose eth0 runs
 * sink_xdp (count and drop), or a tap this program creates and reads
 * itself on the other CPU (the lab's tapwire copies each frame into a
 * second tap, so a figure through it would time tapwire).
 *
 * The return direction (issue 17), the "return" target: the same
 * generator runs on vm2's eth0, its frames (from vm2's address to an
 * on-prem one, --up-dst4/6) enter the host's veth-vm2 and take the path
 * of one arm there, out of uplink0 into op0, whose sink_xdp counts them:
 *   limit     arm_limit on veth-vm2: a bare redirect to uplink0
 *   fastpath  fastpath_port, as `port add veth-vm2` attached it, with the
 *             uplink loaded and /32 or /128 `onprem add` entries
 *   stack     no program on veth-vm2 (GRO on: its NAPI): the host's own
 *             forwarding (in the "gateway" slot: the path without XDP)
 *   fib       arm_fib on veth-vm2: bpf_fib_lookup() in the main table
 *   floor     arm_floor on veth-vm2: the on-prem destinations in its
 *             tables, uplink0 its port and on-prem's op0 the next hop
 *
 * Arms run interleaved (A B C D A B C D ...) for every family, frame size
 * and target. Each run is booked: what the generator sent, what arrived
 * (and across how many routers), what each hop counted as dropped, and
 * what the gateway forwarded. A fast-path run whose books do not balance,
 * or an arm whose frames took another path than its own, fails the
 * benchmark; a missed goal does not.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "bench.skel.h"
#include "livegen.skel.h"
#include "bench.h"
#include "harness.h"
#include "log.h"
#include "parse.h"
#include "pktgen.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ROUNDS 15
#define CHUNK 65536 /* frames per test run; runs repeat until time is up */
#define MAX_CHUNKS 2000 /* bounds a run whatever the rate */
#define BATCH 64 /* live-frames batch: a quarter of a veth's ring */
#define N_FLOWS 64 /* UDP source ports the generator cycles through */
#define SPORT_BASE 40000

/* The tap target: created here, in the host namespace, read here. */
#define TAP_NAME "tap-bn0"
#define TAP_HOST4 "198.19.3.1/24"
#define TAP_HOST6 "2001:db8:100:3::1/64"
#define TAP_DST4 "198.19.3.10"
#define TAP_DST6 "2001:db8:100:3::10"
#define TAP_VM_MAC "02:00:00:00:03:10"

enum family { F4, F6, F_MAX };
enum target { T_VETH, T_TAP, T_QEMU, T_UP, T_MAX };
enum arm {
	ARM_LIMIT,
	ARM_FAST,
	ARM_GW,
	ARM_FIB,
	ARM_FLOOR,
	ARM_FASTV,
	ARM_FLOORV,
	ARM_MAX
};
enum nsid { NS_OP, NS_HOST, NS_GW, NS_VM, NS_MAX };
#define S_MAX 2

static const char *const fam_name[F_MAX] = { "ipv4", "ipv6" };
static const char *const tgt_name[T_MAX] = { "veth", "tap", "qemu", "return" };
static const char *const arm_name[ARM_MAX] = { "limit",	    "fastpath",
					       "gateway",   "fib",
					       "floor",	    "fastpath-vlan",
					       "floor-vlan" };
static const __u32 frame_sizes[S_MAX] = { 64, 1500 };
/* Routers each arm's frames cross (64 - TTL on arrival). */
static const int arm_hops[ARM_MAX] = { 0, 1, 3, 1, 1, 1, 1 };

/* The same, by direction: VM -> on-prem has no gateway, the host routes. */
static int hops(enum arm a, enum target t)
{
	return t == T_UP && a == ARM_GW ? 1 : arm_hops[a];
}

static struct {
	const char *ns[NS_MAX];
	const char *fp, *pin, *out;
	const char *fast_args; /* more `fastpath load` options, for A/B runs */
	const char *napi; /* how bench.sh set up the NAPIs, for the report */
	const char *veth_dst[F_MAX], *vm_mac;
	/* --qemu-*: the QEMU guest's tap, MAC, addresses, rx counter */
	const char *qemu_tap, *qemu_mac, *qemu_dst[F_MAX], *qemu_rx;
	/* --up-*: the return target's on-prem destinations, their next hops */
	const char *up_dst[F_MAX], *up_via[F_MAX];
	int rounds;
	double secs;
	bool quick, profile;
	const char *vlan; /* the fastpath-vlan arm's tags, "[S/]C" */
	__u16 outer, inner; /* its VIDs; inner 0: no such arm */
} opt = { .out = "build/bench", .napi = "softirq", .vlan = "100" };

/*
 * Targets that run: the QEMU guest's only when bench.sh booted one, the
 * return direction's when it gave its on-prem destinations.
 */
static bool tgt_on(int t)
{
	return t == T_QEMU ? opt.qemu_tap != NULL :
	       t == T_UP   ? opt.up_dst[F4] != NULL :
			     true;
}

/* The arms on tagged frames (--vlan). */
static bool tagged_arm(int a)
{
	return a == ARM_FASTV || a == ARM_FLOORV;
}

/*
 * Arms that run: all but the tagged ones (fastpath-vlan, floor-vlan)
 * under --vlan none; the return direction's limit, fastpath, stack,
 * fib and floor.
 */
static bool arm_on(int a, int t)
{
	if (t == T_UP)
		return a == ARM_LIMIT || a == ARM_FAST || a == ARM_GW ||
		       a == ARM_FIB || a == ARM_FLOOR;
	return !tagged_arm(a) || opt.inner;
}

/* An arm's name in a direction: the return path's gateway arm is the stack. */
static const char *arm_label(int a, int t)
{
	return t == T_UP && a == ARM_GW ? "stack" : arm_name[a];
}

/* The fast path's arms, whose books must balance. */
static bool arm_fast(int a)
{
	return a == ARM_FAST || a == ARM_FASTV;
}

/* The arms of bpf/bench.bpf.c's arm_floor, untagged and tagged. */
static bool floor_arm(int a)
{
	return a == ARM_FLOOR || a == ARM_FLOORV;
}

/* Bytes of tags on an arm's frames: 4 or 8 for the tagged arms, else 0. */
static __u32 arm_tags(int a)
{
	return !tagged_arm(a) || !opt.inner ? 0 : opt.outer ? 8 : 4;
}

/* One arm's run: the figures and the books. */
struct run {
	double secs;
	__u64 sent, delivered, on_path;
	__u64 op_sent, op_drops, fp_drops, fp_fast, fp_other, tgt_drops,
		tgt_dev_drops;
	__u64 fib_fwd, floor_fwd, gw_fwd;
	__s64 unexplained;
	double pps;
	/* --profile: ns per run of uplink0's program, the generator, the sink */
	double up_ns, gen_ns, sink_ns;
};

struct cell {
	struct run run[ARM_MAX][MAX_ROUNDS];
	double median[ARM_MAX];
};

static struct cell cells[F_MAX][S_MAX][T_MAX];

static int ns_fd[NS_MAX], cur_ns = -1;
static __u32 ns_ino[NS_MAX];
static __u32 op0, uplink0, tgt_ifindex[T_MAX];
/* The return direction's generator (vm2's eth0) and port (veth-vm2). */
static __u32 vm_eth0;
static int port_prog_fd = -1; /* fastpath_port, as port add attached it */
static bool onprem_added, op_sink_on;
static __u8 op0_mac[6], uplink0_mac[6], tgt_mac[T_MAX][6];
static struct bench *bn[T_MAX];
static struct livegen *lg;
static int ncpus;
static bool fast_loaded, failed;

/* The tap and its reader: per routers-crossed slot, like the sink. */
static int tap_fd = -1;
static volatile int reader_stop;
static __u64 tap_count[LG_C_MAX];

/* Namespaces: this thread moves between them; sockets stay where made. */

static int ns_enter(enum nsid id)
{
	if (cur_ns == (int)id)
		return 0;
	if (setns(ns_fd[id], CLONE_NEWNET)) {
		pr_warn("setns %s: %s\n", opt.ns[id], strerror(errno));
		return -errno;
	}
	cur_ns = id;
	return 0;
}

static int ns_open(void)
{
	char path[256];
	struct stat st;

	for (int i = 0; i < NS_MAX; i++) {
		snprintf(path, sizeof(path), "/run/netns/%s", opt.ns[i]);
		ns_fd[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (ns_fd[i] < 0 || fstat(ns_fd[i], &st)) {
			pr_warn("%s: %s\n", path, strerror(errno));
			return -errno;
		}
		ns_ino[i] = (__u32)st.st_ino;
	}
	return 0;
}

/* ifindex and MAC of dev in namespace id. */
static int dev_info(enum nsid id, const char *dev, __u32 *ifindex, __u8 *mac)
{
	struct ifreq ifr = { 0 };
	int fd, err = 0;

	err = ns_enter(id);
	if (err)
		return err;
	*ifindex = if_nametoindex(dev);
	if (!*ifindex) {
		pr_warn("%s in %s: %s\n", dev, opt.ns[id], strerror(errno));
		return -ENODEV;
	}
	if (!mac)
		return 0;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return err;
}

static const char *tgt_dst(enum target t, enum family f)
{
	static const char *const tap_dst[F_MAX] = { TAP_DST4, TAP_DST6 };

	return t == T_VETH ? opt.veth_dst[f] :
	       t == T_TAP  ? tap_dst[f] :
	       t == T_UP   ? opt.up_dst[f] :
			     opt.qemu_dst[f];
}

static const char *tgt_vm_mac(enum target t)
{
	return t == T_VETH ? opt.vm_mac :
	       t == T_TAP  ? TAP_VM_MAC :
			     opt.qemu_mac;
}

static const char *tgt_dev(enum target t)
{
	return t == T_VETH ? "veth-vm2" :
	       t == T_TAP  ? TAP_NAME :
	       t == T_UP   ? "uplink0" :
			     opt.qemu_tap;
}

/* The CLI, as the lab drives it: -n and --pin-path, never ip netns exec. */
static int fp_cli(const char *args)
{
	return fp_test__sh("%s -n %s --pin-path %s %s >/dev/null", opt.fp,
			   opt.ns[NS_HOST], opt.pin, args);
}

/* Run cmd, parse its standard output as JSON; NULL after saying why. */
static json_object *json_of(const char *cmd)
{
	static char buf[65536];
	json_object *j;
	size_t n;
	FILE *p;

	p = popen(cmd, "r");
	if (!p) {
		pr_warn("%s: %s\n", cmd, strerror(errno));
		return NULL;
	}
	n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = 0;
	if (pclose(p)) {
		pr_warn("`%s` failed\n", cmd);
		return NULL;
	}
	j = json_tokener_parse(buf);
	if (!j)
		pr_warn("`%s`: not JSON: %.80s\n", cmd, buf);
	return j;
}

static __u64 json_u64(json_object *o, const char *a, const char *b,
		      const char *c)
{
	json_object *v = o;

	if ((a && !json_object_object_get_ex(v, a, &v)) ||
	    (b && !json_object_object_get_ex(v, b, &v)) ||
	    (c && !json_object_object_get_ex(v, c, &v)))
		return 0;
	return (__u64)json_object_get_int64(v);
}

/* `ip -s -j link show`: one device's stats64.DIR.FIELD. */
static int link_stat(enum nsid id, const char *dev, const char *dir,
		     const char *field, __u64 *v)
{
	char cmd[256];
	json_object *j;

	snprintf(cmd, sizeof(cmd), "ip -s -j -n %s link show dev %s",
		 opt.ns[id], dev);
	j = json_of(cmd);
	if (!j)
		return -EIO;
	*v = json_u64(json_object_array_get_idx(j, 0), "stats64", dir, field);
	json_object_put(j);
	return 0;
}

/*
 * What namespace id's kernel forwarded, both families: the gateway's
 * inbound, the host's on the return path.
 */
static int forwarded(enum nsid id, __u64 *v)
{
	char line[4096], *save = NULL;
	int col = -1, err;
	FILE *f;

	*v = 0;
	err = ns_enter(id);
	if (err)
		return err;
	/* /proc/self/net follows the namespace the opener is in. */
	f = fopen("/proc/self/net/snmp", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *tok = strtok_r(line, " \n", &save);
		int i = 0;

		if (!tok || strcmp(tok, "Ip:"))
			continue;
		while ((tok = strtok_r(NULL, " \n", &save))) {
			i++;
			if (col < 0 && !strcmp(tok, "ForwDatagrams"))
				col = i;
			else if (col > 0 && i == col)
				*v += strtoull(tok, NULL, 10);
		}
	}
	fclose(f);
	f = fopen("/proc/self/net/snmp6", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long n;

		if (sscanf(line, "Ip6OutForwDatagrams %llu", &n) == 1)
			*v += n;
	}
	fclose(f);
	return col > 0 ? 0 : -EINVAL;
}

static int sum_percpu(struct bpf_map *map, __u32 slots, __u64 *out)
{
	__u64 vals[256];

	if (ncpus > (int)ARRAY_SIZE(vals))
		return -E2BIG;
	for (__u32 k = 0; k < slots; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(bpf_map__fd(map), &k, vals))
			return -errno;
		for (int c = 0; c < ncpus; c++)
			out[k] += vals[c];
	}
	return 0;
}

/* kernel.bpf_stats_enabled figures of one program. */
struct progtime {
	__u64 ns, cnt;
};

static int prog_time(int fd, struct progtime *pt)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	pt->ns = info.run_time_ns;
	pt->cnt = info.run_cnt;
	return 0;
}

/*
 * Whatever runs on the arms' device now (uplink0, or veth-vm2 for the
 * return direction): an arm, or the CLI's program.
 */
static int uplink_time(__u32 ifindex, struct progtime *pt)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int fd, err;

	pt->ns = pt->cnt = 0;
	err = ns_enter(NS_HOST);
	if (!err && bpf_xdp_query((int)ifindex, 0, &q))
		err = -errno;
	if (err || !q.prog_id)
		return err;
	fd = bpf_prog_get_fd_by_id(q.prog_id);
	if (fd < 0)
		return -errno;
	err = prog_time(fd, pt);
	close(fd);
	return err;
}

/* Every counter the books need, read at once before and after a run. */
struct snap {
	__u64 lg[LG_C_MAX];
	__u64 tap[LG_C_MAX];
	__u64 bn[BN_C_MAX];
	__u64 fp[FP_R_MAX];
	struct lg_devcnt dm_op, dm_tgt;
	__u64 tgt_tx_dropped, gw_fwd;
	__u64 guest_rx; /* the QEMU guest's UDP datagrams to no listener */
	struct progtime up, gen, sink;
};

static int devcnt(enum nsid id, __u32 ifindex, struct lg_devcnt *c)
{
	struct lg_devkey k = { .netns_ino = ns_ino[id], .ifindex = ifindex };

	if (bpf_map_lookup_elem(bpf_map__fd(lg->maps.lg_devmap), &k, c))
		return -errno;
	return 0;
}

/* The uplinks' counters, or the return path's ("return" section). */
static int fp_counters(bool ret, __u64 *out)
{
	char cmd[512];
	json_object *j;

	snprintf(cmd, sizeof(cmd), "%s -n %s --pin-path %s --json stats",
		 opt.fp, opt.ns[NS_HOST], opt.pin);
	j = json_of(cmd);
	if (!j)
		return -EIO;
	for (int r = 0; r < FP_R_MAX; r++)
		out[r] = ret ? json_u64(j, "return", fp_reason_name(r),
					"packets") :
			       json_u64(j, fp_reason_name(r), "packets", NULL);
	json_object_put(j);
	return 0;
}

/*
 * What the QEMU guest received of the generator's frames: its UDP
 * datagrams to a port nobody listens on (IPv4 and IPv6), which is every
 * frame sent to port 9, read in the guest by bench.sh's --qemu-rx command.
 */
static int guest_rx(__u64 *n)
{
	unsigned long long v;
	FILE *p = popen(opt.qemu_rx, "r");
	int ok;

	if (!p)
		return -errno;
	ok = fscanf(p, "%llu", &v) == 1;
	if (pclose(p) || !ok) {
		pr_warn("--qemu-rx '%s': expected one number\n", opt.qemu_rx);
		return -EIO;
	}
	*n = v;
	return 0;
}

static int snap__read(enum target t, struct snap *s)
{
	int err;

	for (int i = 0; i < LG_C_MAX; i++)
		s->tap[i] = __atomic_load_n(&tap_count[i], __ATOMIC_RELAXED);
	err = sum_percpu(lg->maps.lg_stats, LG_C_MAX, s->lg);
	if (!err)
		err = sum_percpu(bn[t]->maps.bn_stats, BN_C_MAX, s->bn);
	if (!err)
		err = t == T_UP ? devcnt(NS_VM, vm_eth0, &s->dm_op) :
				  devcnt(NS_OP, op0, &s->dm_op);
	if (!err)
		err = devcnt(NS_HOST, tgt_ifindex[t], &s->dm_tgt);
	if (!err)
		err = fp_counters(t == T_UP, s->fp);
	if (!err)
		err = link_stat(NS_HOST, tgt_dev(t), "tx", "dropped",
				&s->tgt_tx_dropped);
	if (!err && t == T_QEMU)
		err = guest_rx(&s->guest_rx);
	if (!err)
		err = forwarded(t == T_UP ? NS_HOST : NS_GW, &s->gw_fwd);
	if (!err && opt.profile)
		err = uplink_time(t == T_UP ? tgt_ifindex[T_VETH] : uplink0,
				  &s->up);
	if (!err && opt.profile)
		err = prog_time(bpf_program__fd(lg->progs.livegen_xdp),
				&s->gen);
	if (!err && opt.profile)
		err = prog_time(bpf_program__fd(lg->progs.sink_xdp), &s->sink);
	if (err)
		pr_warn("reading counters: %s\n", strerror(-err));
	return err;
}

/* The tap: made here so that this process owns its only queue. */

static int tap__open(void)
{
	struct ifreq ifr = { 0 };
	int err;

	err = ns_enter(NS_HOST);
	if (err)
		return err;
	tap_fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (tap_fd < 0) {
		pr_warn("/dev/net/tun: %s\n", strerror(errno));
		return -errno;
	}
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", TAP_NAME);
	if (ioctl(tap_fd, TUNSETIFF, &ifr)) {
		pr_warn("TUNSETIFF %s: %s\n", TAP_NAME, strerror(errno));
		return -errno;
	}
	/* The gateway routes 198.19.0.0/16 and 2001:db8:100::/48 back. */
	if (fp_test__sh(
		    "ip -n %s link set dev %s up && "
		    "ip -n %s addr add %s dev %s && "
		    "ip -n %s addr add %s dev %s nodad && "
		    "ip -n %s neigh replace %s lladdr %s dev %s nud permanent && "
		    "ip -n %s neigh replace %s lladdr %s dev %s nud permanent",
		    opt.ns[NS_HOST], TAP_NAME, opt.ns[NS_HOST], TAP_HOST4,
		    TAP_NAME, opt.ns[NS_HOST], TAP_HOST6, TAP_NAME,
		    opt.ns[NS_HOST], TAP_DST4, TAP_VM_MAC, TAP_NAME,
		    opt.ns[NS_HOST], TAP_DST6, TAP_VM_MAC, TAP_NAME))
		return -EIO;
	return dev_info(NS_HOST, TAP_NAME, &tgt_ifindex[T_TAP], tgt_mac[T_TAP]);
}

/* Routers crossed by a frame read from the tap, as sink_xdp sorts them. */
static int tap_slot(const __u8 *f, ssize_t n)
{
	__u16 proto = (__u16)(f[12] << 8 | f[13]);
	const __u8 *udp;
	__u8 ttl;

	if (proto == ETH_P_IP && n >= ETH_HLEN + 28 && f[ETH_HLEN] == 0x45 &&
	    f[ETH_HLEN + 9] == IPPROTO_UDP) {
		ttl = f[ETH_HLEN + 8];
		udp = f + ETH_HLEN + 20;
	} else if (proto == ETH_P_IPV6 && n >= ETH_HLEN + 48 &&
		   f[ETH_HLEN + 6] == IPPROTO_UDP) {
		ttl = f[ETH_HLEN + 7];
		udp = f + ETH_HLEN + 40;
	} else {
		return -1;
	}
	if ((udp[2] << 8 | udp[3]) != LG_UDP_DPORT)
		return -1;
	if (ttl > 64 || ttl < 61)
		return LG_C_HOPS_OTHER;
	return LG_C_HOPS0 + (64 - ttl);
}

/* A VM that reads everything as fast as one CPU can: poll, drain, count. */
static void *tap__reader(void *arg)
{
	struct pollfd pfd = { .fd = tap_fd, .events = POLLIN };
	static __u8 buf[2048];
	cpu_set_t cpus;

	(void)arg;
	CPU_ZERO(&cpus);
	CPU_SET(ncpus > 1 ? 1 : 0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	while (!reader_stop) {
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		for (;;) {
			ssize_t n = read(tap_fd, buf, sizeof(buf));
			int slot;

			if (n < 0)
				break;
			slot = tap_slot(buf, n);
			if (slot >= 0)
				__atomic_fetch_add(&tap_count[slot], 1,
						   __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

static __u64 tap_total(void)
{
	__u64 n = 0;

	for (int i = LG_C_HOPS0; i <= LG_C_HOPS_OTHER; i++)
		n += __atomic_load_n(&tap_count[i], __ATOMIC_RELAXED);
	return n;
}

/* BPF objects. */

static int map_put(int fd, const void *key, const void *val)
{
	return bpf_map_update_elem(fd, key, val, BPF_ANY) ? -errno : 0;
}

/*
 * The floor arm's tables for target t: its two destinations, result 1
 * (the VM's MAC, the port's own, MTU 1500), port slot 0, and the
 * floor-vlan arm's circuit: the (inner) VID of --vlan. The return
 * target's: the on-prem destinations, to op0's MAC out of uplink0.
 */
static int floor__fill(enum target t)
{
	struct bn_fl_nh nh = { .port = 0, .mtu = 1500 };
	int trie = bpf_map__fd(bn[t]->maps.bn_fl_trie4);
	__u32 one = 1, zero = 0, key[3], leaf[3], vid = opt.inner;
	struct fp_prefix d4, d6;
	int err;

	if (t == T_UP)
		memcpy(nh.dmac, op0_mac, 6);
	else if (fp_parse_mac(tgt_vm_mac(t), nh.dmac))
		return -EINVAL;
	if (fp_parse_addr(tgt_dst(t, F4), &d4) ||
	    fp_parse_addr(tgt_dst(t, F6), &d6))
		return -EINVAL;
	memcpy(nh.smac, tgt_mac[t], 6);
	bn_fl_path4(d4.addr, one, key, leaf);
	err = map_put(trie, &key[0], &leaf[0]);
	for (int i = 1; !err && i < 3; i++)
		err = map_put(trie, &key[i], &leaf[i]);
	if (!err)
		err = map_put(bpf_map__fd(bn[t]->maps.bn_fl_hosts6), d6.addr,
			      &one);
	if (!err)
		err = map_put(bpf_map__fd(bn[t]->maps.bn_fl_nh), &one, &nh);
	if (!err && opt.inner)
		err = map_put(bpf_map__fd(bn[t]->maps.bn_fl_vids), &vid, &one);
	/* A devmap resolves its ifindexes in the updater's namespace. */
	if (!err)
		err = ns_enter(NS_HOST);
	if (!err)
		err = map_put(bpf_map__fd(bn[t]->maps.bn_fl_tx), &zero,
			      &tgt_ifindex[t]);
	if (err)
		pr_warn("floor arm tables: %s\n", strerror(-err));
	return err;
}

static int bench__setup(enum target t)
{
	__u32 ifx = tgt_ifindex[t];
	int err;

	bn[t] = bench__open();
	if (!bn[t]) {
		pr_warn("bench__open: %s\n", strerror(errno));
		return -errno;
	}
	/* Tier 1's frame table: not used here, 64 MB otherwise. */
	bpf_map__set_max_entries(bn[t]->maps.bn_frames, 1);
	bn[t]->rodata->port_ifindex = ifx; /* uplink0 for the return arms */
	bn[t]->rodata->fib_flags = BPF_FIB_LOOKUP_DIRECT;
	err = bench__load(bn[t]);
	if (err) {
		pr_warn("bench__load: %s\n", strerror(-err));
		return err;
	}
	/* A devmap resolves its ifindexes in the updater's namespace. */
	err = ns_enter(NS_HOST);
	if (!err && bpf_map_update_elem(bpf_map__fd(bn[t]->maps.bn_tx), &ifx,
					&ifx, BPF_ANY))
		err = -errno;
	if (err)
		pr_warn("bn_tx: %s\n", strerror(-err));
	return err ? err : floor__fill(t);
}

static int watch(enum nsid id, __u32 ifindex)
{
	struct lg_devkey k = { .netns_ino = ns_ino[id], .ifindex = ifindex };
	struct lg_devcnt zero = { 0 };

	if (bpf_map_update_elem(bpf_map__fd(lg->maps.lg_devmap), &k, &zero,
				BPF_NOEXIST))
		return -errno;
	return 0;
}

static int livegen__setup(void)
{
	__u32 eth0;
	int err;

	lg = livegen__open_and_load();
	if (!lg) {
		pr_warn("livegen__open_and_load: %s\n", strerror(errno));
		return -errno;
	}
	err = watch(NS_OP, op0);
	if (!err)
		err = watch(NS_HOST, tgt_ifindex[T_VETH]);
	if (!err)
		err = watch(NS_HOST, tgt_ifindex[T_TAP]);
	if (!err && tgt_on(T_QEMU))
		err = watch(NS_HOST, tgt_ifindex[T_QEMU]);
	if (!err && tgt_on(T_UP))
		err = watch(NS_VM, vm_eth0);
	if (!err && tgt_on(T_UP))
		err = watch(NS_HOST, uplink0);
	if (err)
		return err;
	lg->links.devmap_xmit = bpf_program__attach(lg->progs.devmap_xmit);
	if (!lg->links.devmap_xmit) {
		pr_warn("attach raw_tp xdp_devmap_xmit: %s\n", strerror(errno));
		return -errno;
	}
	err = dev_info(NS_VM, "eth0", &eth0, NULL);
	if (!err)
		err = bpf_xdp_attach((int)eth0,
				     bpf_program__fd(lg->progs.sink_xdp),
				     XDP_FLAGS_DRV_MODE, NULL);
	if (err)
		pr_warn("sink on %s eth0: %s\n", opt.ns[NS_VM], strerror(-err));
	return err;
}

/*
 * fastpath_port as `port add veth-vm2` attached it (through libxdp: its
 * dispatcher or the program), kept by fd for the return direction's
 * fastpath arm and detached until then: the port stays registered with
 * its return flag on, so attaching the fd again is all that arm does.
 */
static int port_prog__take(void)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	__u32 port = tgt_ifindex[T_VETH];
	int err;

	err = ns_enter(NS_HOST);
	if (!err && bpf_xdp_query((int)port, 0, &q))
		err = -errno;
	if (!err && !q.drv_prog_id) {
		pr_warn("veth-vm2: expected fastpath_port attached (native) "
			"by port add, saw no program\n");
		return -ENOENT;
	}
	if (!err) {
		port_prog_fd = bpf_prog_get_fd_by_id(q.drv_prog_id);
		if (port_prog_fd < 0)
			err = -errno;
	}
	if (!err)
		err = bpf_xdp_detach((int)port, XDP_FLAGS_DRV_MODE, NULL);
	if (err)
		pr_warn("fastpath_port on veth-vm2: %s\n", strerror(-err));
	return err;
}

/*
 * Before the return direction's arms: the fast path on uplink0 (the
 * return path's egress record), the on-prem entries once, sink_xdp on
 * op0 to count what arrives. up__end undoes the first and the last.
 */
static int up__begin(void)
{
	char a[256];
	__u32 op;
	int err;

	if (fp_cli("load uplink0"))
		return -EIO;
	fast_loaded = true;
	for (int f = 0; f < F_MAX && !onprem_added; f++) {
		snprintf(a, sizeof(a), "onprem add %s/%d via %s dev uplink0",
			 opt.up_dst[f], f == F4 ? 32 : 128, opt.up_via[f]);
		if (fp_cli(a))
			return -EIO;
	}
	onprem_added = true;
	err = dev_info(NS_OP, "op0", &op, NULL);
	if (!err)
		err = bpf_xdp_attach((int)op,
				     bpf_program__fd(lg->progs.sink_xdp),
				     XDP_FLAGS_DRV_MODE, NULL);
	if (err)
		pr_warn("sink on op0: %s\n", strerror(-err));
	op_sink_on = !err;
	return err;
}

static int up__end(void)
{
	int err = 0;

	if (op_sink_on && !ns_enter(NS_OP))
		err = bpf_xdp_detach((int)op0, XDP_FLAGS_DRV_MODE, NULL);
	op_sink_on = false;
	if (fp_cli("unload uplink0"))
		err = -EIO;
	else
		fast_loaded = false;
	return err;
}

/* Ports and routes once; they stay pinned while the program comes and goes. */
static int fastpath__setup(void)
{
	char a[256];

	if (fp_cli("load uplink0"))
		return -EIO;
	fast_loaded = true;
	snprintf(a, sizeof(a), "port add veth-vm2 --peer-mac %s", opt.vm_mac);
	if (fp_cli(a))
		return -EIO;
	if (tgt_on(T_UP) && port_prog__take())
		return -EIO;
	if (fp_cli("port add " TAP_NAME " --peer-mac " TAP_VM_MAC))
		return -EIO;
	for (int f = 0; f < F_MAX; f++) {
		snprintf(a, sizeof(a), "route add %s/%d dev veth-vm2",
			 opt.veth_dst[f], f == F4 ? 32 : 128);
		if (fp_cli(a))
			return -EIO;
	}
	if (fp_cli("route add " TAP_DST4 "/32 dev " TAP_NAME) ||
	    fp_cli("route add " TAP_DST6 "/128 dev " TAP_NAME))
		return -EIO;
	if (tgt_on(T_QEMU)) {
		snprintf(a, sizeof(a), "port add %s --peer-mac %s",
			 opt.qemu_tap, opt.qemu_mac);
		if (fp_cli(a))
			return -EIO;
		for (int f = 0; f < F_MAX; f++) {
			snprintf(a, sizeof(a), "route add %s/%d dev %s",
				 opt.qemu_dst[f], f == F4 ? 32 : 128,
				 opt.qemu_tap);
			if (fp_cli(a))
				return -EIO;
		}
	}
	if (fp_cli("unload uplink0"))
		return -EIO;
	fast_loaded = false;
	return 0;
}

/* Arms: what is on uplink0. */

/* The return direction's arms: what is on veth-vm2. */
static int up_arm__on(enum arm a)
{
	int fd, err;

	switch (a) {
	case ARM_GW:
		return 0; /* veth-vm2 has GRO on: its NAPI without XDP */
	case ARM_FAST:
		fd = port_prog_fd;
		break;
	case ARM_LIMIT:
		fd = bpf_program__fd(bn[T_UP]->progs.arm_limit);
		break;
	case ARM_FLOOR:
		fd = bpf_program__fd(bn[T_UP]->progs.arm_floor);
		break;
	default:
		fd = bpf_program__fd(bn[T_UP]->progs.arm_fib);
		break;
	}
	err = ns_enter(NS_HOST);
	if (!err)
		err = bpf_xdp_attach((int)tgt_ifindex[T_VETH], fd,
				     XDP_FLAGS_DRV_MODE, NULL);
	if (err)
		pr_warn("%s on veth-vm2: %s\n", arm_label(a, T_UP),
			strerror(-err));
	return err;
}

static int arm__on(enum arm a, enum target t)
{
	char cmd[256];
	int fd, err;

	if (t == T_UP)
		return up_arm__on(a);
	switch (a) {
	case ARM_FAST:
	case ARM_FASTV:
		snprintf(cmd, sizeof(cmd), "load uplink0 %s",
			 opt.fast_args ? opt.fast_args : "");
		if (fp_cli(cmd))
			return -EIO;
		fast_loaded = true;
		if (a == ARM_FAST)
			return 0;
		/* unload takes the uplink's tagged circuits with it */
		snprintf(cmd, sizeof(cmd), "uplink add uplink0 --vlan %s",
			 opt.vlan);
		return fp_cli(cmd) ? -EIO : 0;
	case ARM_GW:
		return 0; /* uplink0 has GRO on: the veth NAPI without XDP */
	case ARM_LIMIT:
		fd = bpf_program__fd(bn[t]->progs.arm_limit);
		break;
	case ARM_FLOOR:
	case ARM_FLOORV:
		fd = bpf_program__fd(bn[t]->progs.arm_floor);
		break;
	default:
		fd = bpf_program__fd(bn[t]->progs.arm_fib);
		break;
	}
	err = ns_enter(NS_HOST);
	if (!err)
		err = bpf_xdp_attach((int)uplink0, fd, XDP_FLAGS_DRV_MODE,
				     NULL);
	if (err)
		pr_warn("%s on uplink0: %s\n", arm_name[a], strerror(-err));
	return err;
}

static int arm__off(enum arm a, enum target t)
{
	int err;

	if (a == ARM_GW)
		return 0;
	if (t == T_UP) {
		err = ns_enter(NS_HOST);
		return err ? err :
			     bpf_xdp_detach((int)tgt_ifindex[T_VETH],
					    XDP_FLAGS_DRV_MODE, NULL);
	}
	if (arm_fast(a)) {
		if (fp_cli("unload uplink0"))
			return -EIO;
		fast_loaded = false;
		return 0;
	}
	err = ns_enter(NS_HOST);
	if (!err)
		err = bpf_xdp_detach((int)uplink0, XDP_FLAGS_DRV_MODE, NULL);
	return err;
}

/* Frames. */

static __u16 csum_replace(__u16 check, __u16 old, __u16 new)
{
	__u32 s = (__u16)~check + (__u16)~old + (__u32) new;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

static __u8 frame[2048];
/* What frame[] and lg_flows hold now (f -1: nothing yet). */
static struct {
	int f, t;
	__u32 size, tags;
	bool to_vm;
} frames_now = { .f = -1 };

/* a - b in ones' complement arithmetic (the Internet checksum's). */
static __u16 oc_sub(__u16 a, __u16 b)
{
	__u32 s = (__u32)a + (__u16)~b;

	return (__u16)((s & 0xffff) + (s >> 16));
}

/* Whether the UDP checksum of the frame in buf (IP at l3) verifies. */
static bool udp_ok(const __u8 *buf, size_t l3, bool v6)
{
	size_t l4 = l3 + (v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr));
	size_t alen = v6 ? 16 : 4, src = l3 + (v6 ? 8 : 12);
	__u16 ulen = (__u16)(buf[l4 + 4] << 8 | buf[l4 + 5]);
	__u32 sum = fp_csum_fold(buf + src, 2 * alen, 0) + IPPROTO_UDP + ulen;

	return fp_csum_fold(buf + l4, ulen, sum) == 0xffff;
}

/*
 * The frame of flow 0 in frame[] (the page contents the run starts with),
 * every flow's header block in lg_flows: same addresses, source port
 * SPORT_BASE + i, UDP checksum patched to match (RFC 1624). A tagged
 * IPv6 frame's checksum lies past the LG_HDR_LEN bytes the generator
 * writes: there the source address's seventh word (2001:db8::2 becomes
 * 2001:db8::fffe:2, ::fffd:2 ...: on-prem's /64, the same source-filter
 * bucket) absorbs the port's change, and the checksum stays flow 0's.
 * size is the frame the VM gets; tags (fastpath-vlan) lengthen it.
 * to_vm: addressed to the VM's MAC rather than uplink0's, for an arm that
 * rewrites nothing into a target that checks (the QEMU guest's kernel
 * drops a frame for another host; the sink and the tap reader count all).
 */
static int frames__load(enum family f, __u32 size, enum target t, __u32 tags,
			bool to_vm)
{
	static const char *const src[F_MAX] = { "198.18.0.2", "2001:db8::2" };
	struct fp_pktspec s = { .ttl = 64 };
	size_t l3 = ETH_HLEN + tags,
	       l4 = l3 +
		    (f == F4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr));
	/* the source address's seventh 16-bit word (IPv6) */
	size_t w7 = l3 + 8 + 12;
	bool fold = l4 + sizeof(struct udphdr) > LG_HDR_LEN;
	int fd = bpf_map__fd(lg->maps.lg_flows);
	static __u8 check_buf[sizeof(frame)];

	if (frames_now.f == (int)f && frames_now.t == (int)t &&
	    frames_now.size == size && frames_now.tags == tags &&
	    frames_now.to_vm == to_vm)
		return 0;
	if (t == T_UP) {
		/* vm2 to its port's MAC, from its own address */
		memcpy(s.dmac, tgt_mac[T_VETH], 6);
		if (fp_parse_mac(opt.vm_mac, s.smac))
			return -EINVAL;
	} else {
		if (!to_vm)
			memcpy(s.dmac, uplink0_mac, 6);
		else if (fp_parse_mac(tgt_vm_mac(t), s.dmac))
			return -EINVAL;
		memcpy(s.smac, op0_mac, 6);
	}
	if (tags) {
		s.outer = opt.outer;
		s.inner = opt.inner;
	}
	if (fp_parse_addr(t == T_UP ? opt.veth_dst[f] : src[f], &s.src) ||
	    fp_parse_addr(tgt_dst(t, f), &s.dst))
		return -EINVAL;
	s.payload = size - (l4 - tags) - sizeof(struct udphdr);
	if (fp_pkt__build(&s, frame, sizeof(frame)) != (int)(size + tags) ||
	    (fold && (f != F6 || l4 + 2 > LG_HDR_LEN)) ||
	    (frame[l4 + 2] << 8 | frame[l4 + 3]) != LG_UDP_DPORT) {
		pr_warn("frame: not %u bytes to UDP port %d\n", size + tags,
			LG_UDP_DPORT);
		return -EINVAL;
	}
	for (__u32 i = 0; i < N_FLOWS; i++) {
		struct lg_hdr h;
		__u16 old, new = SPORT_BASE + i, check, w;

		memcpy(h.bytes, frame, LG_HDR_LEN);
		old = (__u16)(h.bytes[l4] << 8 | h.bytes[l4 + 1]);
		h.bytes[l4] = new >> 8;
		h.bytes[l4 + 1] = new & 0xff;
		if (fold) {
			w = (__u16)(h.bytes[w7] << 8 | h.bytes[w7 + 1]);
			w = oc_sub(w, oc_sub(new, old));
			h.bytes[w7] = w >> 8;
			h.bytes[w7 + 1] = w & 0xff;
		} else {
			check = (__u16)(h.bytes[l4 + 6] << 8 | h.bytes[l4 + 7]);
			check = csum_replace(check, old, new);
			if (!check)
				check = 0xffff; /* 0 is "no checksum" */
			h.bytes[l4 + 6] = check >> 8;
			h.bytes[l4 + 7] = check & 0xff;
		}
		/* the frame as the generator will send it */
		memcpy(check_buf, frame, size + tags);
		memcpy(check_buf, h.bytes, LG_HDR_LEN);
		if (!udp_ok(check_buf, l3, f == F6)) {
			pr_warn("frame of flow %u: bad UDP checksum\n", i);
			return -EINVAL;
		}
		if (bpf_map_update_elem(fd, &i, &h, BPF_ANY))
			return -errno;
	}
	lg->bss->n_flows = N_FLOWS;
	frames_now.f = (int)f;
	frames_now.t = (int)t;
	frames_now.size = size;
	frames_now.tags = tags;
	frames_now.to_vm = to_vm;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Live frames out of op0 for secs (at least one chunk), from on-prem's
 * namespace: the kernel looks ingress_ifindex up in the caller's. The
 * return direction's, out of vm2's eth0 from its namespace.
 */
static int generate(enum target tg, __u32 size, double secs, __u64 *frames,
		    double *elapsed)
{
	struct xdp_md ctx = { .data_end = size,
			      .ingress_ifindex = tg == T_UP ? vm_eth0 : op0 };
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = frame,
		    .data_size_in = size, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx),
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .repeat = CHUNK,
		    .batch_size = BATCH);
	int fd = bpf_program__fd(lg->progs.livegen_xdp), err;
	double t0;

	err = ns_enter(tg == T_UP ? NS_VM : NS_OP);
	if (err)
		return err;
	*frames = 0;
	t0 = now_s();
	for (int i = 0; i < MAX_CHUNKS; i++) {
		if (bpf_prog_test_run_opts(fd, &t)) {
			err = -errno;
			pr_warn("live frames: bpf_prog_test_run_opts: %s\n",
				strerror(errno));
			return err;
		}
		*frames += CHUNK;
		*elapsed = now_s() - t0;
		if (*elapsed >= secs)
			break;
	}
	return 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Until the tap reader has had nothing new for 50 ms (2 s at most); the
 * QEMU guest, until its count stands still across two reads 200 ms apart
 * (8 s at most: QEMU empties the tap's queue at the guest's pace, and a
 * TCG guest can stall for a read's time).
 */
static void drain(enum target t)
{
	__u64 last = tap_total(), g, prev = 0;
	int still = 0;

	sleep_ms(50);
	if (t == T_QEMU) {
		for (int i = 0; i < 40 && still < 2; i++) {
			if (guest_rx(&g))
				return;
			still = i && g == prev ? still + 1 : 0;
			prev = g;
			sleep_ms(200);
		}
		return;
	}
	if (t != T_TAP)
		return;
	for (int i = 0; i < 40; i++) {
		__u64 n = tap_total();

		if (n == last)
			return;
		last = n;
		sleep_ms(50);
	}
}

static __u64 d(__u64 after, __u64 before)
{
	return after - before;
}

static double per_run(const struct progtime *b, const struct progtime *e)
{
	__u64 n = e->cnt - b->cnt;

	return n ? (double)(e->ns - b->ns) / n : 0;
}

/*
 * The books of one run. Counted drops: what op0 refused of the
 * generator's transmits, what the fast path dropped by verdict, what the
 * target refused of the devmap's. For the gateway arm the kernel's drops
 * along the way are not all counted: its books are shown, not checked.
 */
static void book(enum arm a, const struct snap *b, const struct snap *e,
		 enum target t, struct run *r)
{
	const __u64 *sb = t == T_TAP ? b->tap : b->lg;
	const __u64 *se = t == T_TAP ? e->tap : e->lg;

	r->sent = d(e->lg[LG_C_SENT], b->lg[LG_C_SENT]);
	r->delivered = 0;
	for (int i = LG_C_HOPS0; i <= LG_C_HOPS_OTHER; i++)
		r->delivered += d(se[i], sb[i]);
	r->on_path =
		d(se[LG_C_HOPS0 + hops(a, t)], sb[LG_C_HOPS0 + hops(a, t)]);
	/*
	 * The guest counts what it got, not the routers it crossed: the
	 * path checks rest on the arms' own counters (fast path, fib,
	 * floor, gateway), which verify() holds against what op0 sent.
	 */
	if (t == T_QEMU)
		r->delivered = r->on_path = d(e->guest_rx, b->guest_rx);
	r->op_sent = d(e->dm_op.sent, b->dm_op.sent);
	r->op_drops = d(e->dm_op.drops, b->dm_op.drops);
	r->fp_fast = d(e->fp[FP_R_FASTPATH], b->fp[FP_R_FASTPATH]);
	r->fp_drops = d(e->fp[FP_R_MALFORMED], b->fp[FP_R_MALFORMED]) +
		      d(e->fp[FP_R_BAD_SOURCE], b->fp[FP_R_BAD_SOURCE]) +
		      d(e->fp[FP_R_SPOOFED], b->fp[FP_R_SPOOFED]);
	r->fp_other = 0;
	for (int i = 0; i < FP_R_MAX; i++)
		r->fp_other += d(e->fp[i], b->fp[i]);
	r->fp_other -= r->fp_fast + r->fp_drops;
	r->tgt_drops = d(e->dm_tgt.drops, b->dm_tgt.drops);
	r->tgt_dev_drops = d(e->tgt_tx_dropped, b->tgt_tx_dropped);
	r->fib_fwd = d(e->bn[BN_C_FIB_FWD], b->bn[BN_C_FIB_FWD]);
	r->floor_fwd = d(e->bn[BN_C_FLOOR_FWD], b->bn[BN_C_FLOOR_FWD]);
	r->gw_fwd = d(e->gw_fwd, b->gw_fwd);
	r->unexplained = (__s64)r->sent - (__s64)(r->delivered + r->op_drops +
						  r->fp_drops + r->tgt_drops);
	r->pps = r->secs > 0 ? r->delivered / r->secs : 0;
	r->up_ns = per_run(&b->up, &e->up);
	r->gen_ns = per_run(&b->gen, &e->gen);
	r->sink_ns = per_run(&b->sink, &e->sink);
}

/* Did the run measure what its arm says? Loud, and fatal where noted. */
static void verify(enum arm a, enum target t, const char *what, __u64 generated,
		   const struct run *r)
{
	/* who forwards on the path without XDP; where the arms run */
	const char *fwd = t == T_UP ? "the host" : "the gateway",
		   *dev = t == T_UP ? "veth-vm2" : "uplink0";
	bool bad = false;

	if (r->sent != generated) {
		pr_warn("ACCOUNTING %s: the generator counted %llu frames, "
			"the test runs asked for %llu\n",
			what, (unsigned long long)r->sent,
			(unsigned long long)generated);
		bad = true;
	}
	if (!r->delivered) {
		pr_warn("ACCOUNTING %s: nothing delivered of %llu sent\n", what,
			(unsigned long long)r->sent);
		bad = true;
	} else if (r->on_path * 1000 < r->delivered * 999) {
		pr_warn("PATH %s: expected frames that crossed %d routers, "
			"saw %llu of %llu delivered\n",
			what, hops(a, t), (unsigned long long)r->on_path,
			(unsigned long long)r->delivered);
		bad = true;
	}
	if (a != ARM_GW && r->gw_fwd * 100 > r->sent) {
		pr_warn("PATH %s: expected %s to forward ~0, saw %llu "
			"of %llu sent\n",
			what, fwd, (unsigned long long)r->gw_fwd,
			(unsigned long long)r->sent);
		bad = true;
	}
	if (a == ARM_GW && r->gw_fwd < r->delivered) {
		pr_warn("PATH %s: expected %s to forward every frame "
			"delivered (%llu), saw %llu\n",
			what, fwd, (unsigned long long)r->delivered,
			(unsigned long long)r->gw_fwd);
		bad = true;
	}
	/*
	 * Every frame op0 took reached the program on uplink0. The fast
	 * path's other verdicts are not checked: the lab's own ND and MLD
	 * frames from on-prem land there too.
	 */
	if (arm_fast(a) && r->fp_fast != r->op_sent) {
		pr_warn("PATH %s: expected all %llu frames %s took "
			"fast-pathed, saw %llu (and %llu dropped, %llu other "
			"verdicts)\n",
			what, (unsigned long long)r->op_sent, dev,
			(unsigned long long)r->fp_fast,
			(unsigned long long)r->fp_drops,
			(unsigned long long)r->fp_other);
		bad = true;
	}
	/* The fib and floor arms count what they forwarded themselves. */
	if ((a == ARM_FIB || floor_arm(a)) &&
	    (a == ARM_FIB ? r->fib_fwd : r->floor_fwd) != r->op_sent) {
		pr_warn("PATH %s: expected all %llu frames %s took "
			"forwarded by the %s arm, saw %llu\n",
			what, (unsigned long long)r->op_sent, dev, arm_name[a],
			(unsigned long long)(a == ARM_FIB ? r->fib_fwd :
							    r->floor_fwd));
		bad = true;
	}
	if (a != ARM_GW && r->unexplained) {
		pr_warn("ACCOUNTING %s: sent %llu != delivered %llu + drops "
			"(op0 %llu, fast path %llu, target %llu): %lld "
			"unexplained\n",
			what, (unsigned long long)r->sent,
			(unsigned long long)r->delivered,
			(unsigned long long)r->op_drops,
			(unsigned long long)r->fp_drops,
			(unsigned long long)r->tgt_drops,
			(long long)r->unexplained);
		/* Only the fast-path arms' books must balance (issue 4). */
		bad = bad || arm_fast(a);
	}
	if (bad)
		failed = true;
}

static int run_arm(enum family f, int si, enum target t, enum arm a, int rd)
{
	struct run *r = &cells[f][si][t].run[a][rd];
	/* on the wire: the VM's frame and the arm's tags */
	__u32 wire = frame_sizes[si] + arm_tags(a);
	struct snap b, e;
	__u64 generated, warm;
	double warm_s;
	char what[96];
	int err;

	snprintf(what, sizeof(what), "%s %uB %s %s round %d", fam_name[f],
		 frame_sizes[si], tgt_name[t], arm_label(a, t), rd + 1);
	err = frames__load(f, frame_sizes[si], t, arm_tags(a),
			   a == ARM_LIMIT && t == T_QEMU);
	if (err)
		return err;
	err = arm__on(a, t);
	/* Warm up: neighbours, page pools, the arm's first packets. */
	if (!err)
		err = generate(t, wire, 0, &warm, &warm_s);
	if (err)
		goto out_off;
	drain(t);
	err = snap__read(t, &b);
	if (!err)
		err = generate(t, wire, opt.secs, &generated, &r->secs);
	if (err)
		goto out_off;
	drain(t);
	err = snap__read(t, &e);
	if (err)
		goto out_off;
	book(a, &b, &e, t, r);
	verify(a, t, what, generated, r);
	if (opt.profile)
		fprintf(stderr,
			"  %-34s uplink0 program %.0f ns, generator %.0f ns, "
			"sink %.0f ns per run\n",
			what, r->up_ns, r->gen_ns, r->sink_ns);
	fprintf(stderr,
		"  %-34s %10.0f pps  sent %llu delivered %llu drops op0 %llu "
		"target %llu (dev %llu) gw %llu\n",
		what, r->pps, (unsigned long long)r->sent,
		(unsigned long long)r->delivered,
		(unsigned long long)r->op_drops,
		(unsigned long long)r->tgt_drops,
		(unsigned long long)r->tgt_dev_drops,
		(unsigned long long)r->gw_fwd);

out_off:
	if (arm__off(a, t) && !err)
		err = -EIO;
	return err;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median_pps(const struct run *runs, int n)
{
	double v[MAX_ROUNDS];

	for (int i = 0; i < n; i++)
		v[i] = runs[i].pps;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Arms interleaved: A B C D A B C D ... */
static int measure(enum family f, int si, enum target t)
{
	struct cell *c = &cells[f][si][t];
	int err;

	fprintf(stderr, "%s, %u-byte frames, %s target:\n", fam_name[f],
		frame_sizes[si], tgt_name[t]);
	for (int rd = 0; rd < opt.rounds; rd++)
		for (int a = 0; a < ARM_MAX; a++) {
			if (!arm_on(a, t))
				continue;
			err = run_arm(f, si, t, a, rd);
			if (err)
				return err;
		}
	for (int a = 0; a < ARM_MAX; a++)
		c->median[a] =
			arm_on(a, t) ? median_pps(c->run[a], opt.rounds) : 0;
	return 0;
}

/* Reports. */

static double ratio(double a, double b)
{
	return a > 0 && b > 0 ? a / b : 0;
}

struct goal {
	const char *name;
	int vs; /* the arm compared with */
	double factor;
};

static const struct goal goals[] = {
	{ "fast >= 0.90 x limit (64 B)", ARM_LIMIT, 0.90 },
	{ "fast >= 5 x gateway", ARM_GW, 5.0 },
	{ "fast >= 1.2 x fib", ARM_FIB, 1.2 },
};

static bool goal_applies(int g, int si)
{
	return goals[g].vs != ARM_LIMIT || frame_sizes[si] == 64;
}

/*
 * The tagged fast path's goal (issue s7): a packet costs at most 3 % more
 * than untagged, so its rate is at least fastpath / 1.03.
 */
#define VLAN_COST_MAX 1.03

static const char *vlan_goal_word(const struct cell *c)
{
	if (!opt.inner)
		return "—";
	return c->median[ARM_FAST] <= VLAN_COST_MAX * c->median[ARM_FASTV] ?
		       "met" :
		       "MISSED";
}

static const char *goal_word(const struct cell *c, int g, int si)
{
	if (!goal_applies(g, si))
		return "—";
	return c->median[ARM_FAST] >= goals[g].factor * c->median[goals[g].vs] ?
		       "met" :
		       "MISSED";
}

static void print_table(void)
{
	printf("\n| family | frame | target | limit | fastpath | gateway | fib "
	       "| floor | fast/limit | fast/gw | fast/fib | floor/limit "
	       "| fast/floor | ≥0.90×limit | ≥5×gw | ≥1.2×fib "
	       "| fastpath-vlan | vlan/fast | vlan cost ≤1.03×fast "
	       "| floor-vlan | floor vlan/floor |\n"
	       "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:"
	       "|---:|---|---|---|---:|---:|---|---:|---:|\n");
	for (int f = 0; f < F_MAX; f++)
		for (int si = 0; si < S_MAX; si++)
			for (int t = 0; t < T_MAX; t++) {
				if (!tgt_on(t) || t == T_UP)
					continue;
				const struct cell *c = &cells[f][si][t];
				const double *m = c->median;

				printf("| %s | %u | %s | %.0f | %.0f | %.0f | "
				       "%.0f | %.0f | %.2f | %.2f | %.2f | "
				       "%.2f | %.2f | %s | %s | %s | %.0f | "
				       "%.3f | %s | %.0f | %.3f |\n",
				       fam_name[f], frame_sizes[si],
				       tgt_name[t], m[ARM_LIMIT], m[ARM_FAST],
				       m[ARM_GW], m[ARM_FIB], m[ARM_FLOOR],
				       ratio(m[ARM_FAST], m[ARM_LIMIT]),
				       ratio(m[ARM_FAST], m[ARM_GW]),
				       ratio(m[ARM_FAST], m[ARM_FIB]),
				       ratio(m[ARM_FLOOR], m[ARM_LIMIT]),
				       ratio(m[ARM_FAST], m[ARM_FLOOR]),
				       goal_word(c, 0, si), goal_word(c, 1, si),
				       goal_word(c, 2, si), m[ARM_FASTV],
				       ratio(m[ARM_FASTV], m[ARM_FAST]),
				       vlan_goal_word(c), m[ARM_FLOORV],
				       ratio(m[ARM_FLOORV], m[ARM_FLOOR]));
			}
	printf("\npackets per second delivered to the VM, median of %d "
	       "interleaved rounds of %.2f s each; %s\n",
	       opt.rounds, opt.secs,
	       !strcmp(opt.napi, "threaded") ?
		       "CPU 0 generates; uplink0's and the veth VM's NAPI "
		       "(threaded) forward and deliver on CPU 1, where the tap "
		       "is read too." :
		       "one CPU generates and forwards (NAPI in softirq), the "
		       "tap is read on the other.");
	if (opt.inner)
		printf("fastpath-vlan: the same packets tagged %s (%s) on the "
		       "wire, 4 or 8 bytes longer; uplink0 a trunk with that "
		       "circuit, the VM gets them untagged; floor-vlan: the "
		       "floor arm on them (the circuit by VID, the pop).\n",
		       opt.vlan,
		       opt.outer ? "802.1ad S-tag + 802.1Q C-tag" :
				   "one 802.1Q tag");
}

/*
 * The return direction (VM -> on-prem), its own table: the same goals
 * against limit and fib as inbound; the stack is the host's forwarding.
 */
static void print_return_table(void)
{
	if (!tgt_on(T_UP))
		return;
	printf("\nVM -> on-prem (return path): vm2's frames into veth-vm2, "
	       "out of uplink0, counted at on-prem's op0\n\n"
	       "| family | frame | limit | fastpath | stack | fib | floor "
	       "| fast/limit | fast/fib | fast/stack | floor/limit "
	       "| floor/fib | fast/floor | ≥0.90×limit | ≥1.2×fib |\n"
	       "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:"
	       "|---:|---|---|\n");
	for (int f = 0; f < F_MAX; f++)
		for (int si = 0; si < S_MAX; si++) {
			const struct cell *c = &cells[f][si][T_UP];
			const double *m = c->median;

			printf("| %s | %u | %.0f | %.0f | %.0f | %.0f | %.0f "
			       "| %.2f | %.2f | %.2f | %.2f | %.2f | %.2f "
			       "| %s | %s |\n",
			       fam_name[f], frame_sizes[si], m[ARM_LIMIT],
			       m[ARM_FAST], m[ARM_GW], m[ARM_FIB], m[ARM_FLOOR],
			       ratio(m[ARM_FAST], m[ARM_LIMIT]),
			       ratio(m[ARM_FAST], m[ARM_FIB]),
			       ratio(m[ARM_FAST], m[ARM_GW]),
			       ratio(m[ARM_FLOOR], m[ARM_LIMIT]),
			       ratio(m[ARM_FLOOR], m[ARM_FIB]),
			       ratio(m[ARM_FAST], m[ARM_FLOOR]),
			       goal_word(c, 0, si), goal_word(c, 2, si));
		}
	printf("\nlimit: a bare redirect from veth-vm2 to uplink0; fastpath: "
	       "fastpath_port; stack: no XDP on the port, the host "
	       "forwards; fib: bpf_fib_lookup() and redirect from the port; "
	       "floor: the floor arm on the port, with no source check "
	       "and no checksum to finish. "
	       "Same rounds and seconds as above; in the books below, its "
	       "\"gateway fwd\" is the host's forwarding.\n");
}

/* A fast-path arm's books, summed over rounds, per row. */
static void print_books(enum arm a)
{
	printf("\n%s arm books (all rounds): sent = delivered + "
	       "drops (op0, fast path, target)\n\n",
	       a == ARM_FAST ? "Fast-path" : "Fast-path-vlan");
	printf("| family | frame | target | sent | delivered | op0 drops | "
	       "fp drops | target drops (devmap) | target tx_dropped (dev) | "
	       "unexplained | gateway fwd |\n"
	       "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int f = 0; f < F_MAX; f++)
		for (int si = 0; si < S_MAX; si++)
			for (int t = 0; t < T_MAX; t++) {
				if (!tgt_on(t) || !arm_on(a, t))
					continue;
				struct run s = { 0 };

				for (int rd = 0; rd < opt.rounds; rd++) {
					const struct run *r =
						&cells[f][si][t].run[a][rd];

					s.sent += r->sent;
					s.delivered += r->delivered;
					s.op_drops += r->op_drops;
					s.fp_drops += r->fp_drops;
					s.tgt_drops += r->tgt_drops;
					s.tgt_dev_drops += r->tgt_dev_drops;
					s.unexplained += r->unexplained;
					s.gw_fwd += r->gw_fwd;
				}
				printf("| %s | %u | %s | %llu | %llu | %llu | "
				       "%llu | %llu | %llu | %lld | %llu |\n",
				       fam_name[f], frame_sizes[si],
				       tgt_name[t], (unsigned long long)s.sent,
				       (unsigned long long)s.delivered,
				       (unsigned long long)s.op_drops,
				       (unsigned long long)s.fp_drops,
				       (unsigned long long)s.tgt_drops,
				       (unsigned long long)s.tgt_dev_drops,
				       (long long)s.unexplained,
				       (unsigned long long)s.gw_fwd);
			}
}

/*
 * The figure at off of n rounds: their median, or (least) the least
 * round. Other guests of a shared host and the softirq work around a run
 * only ever add to a program's time, so the least of many rounds is
 * nearest the code's own cost (bench_pkt --fine's argument).
 */
static double of_rounds(const struct run *runs, size_t off, int n, bool least)
{
	double v[MAX_ROUNDS];

	for (int i = 0; i < n; i++)
		v[i] = *(const double *)((const char *)&runs[i] + off);
	qsort(v, n, sizeof(*v), cmp_double);
	if (least)
		return v[0];
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double median_of(const struct run *runs, size_t off, int n)
{
	return of_rounds(runs, off, n, false);
}

/*
 * Goal 2 (issue 11): a host-route hit's program time at most 1.5 x the
 * bare redirect's, on 64-byte frames in (the rows it applies to).
 */
#define PROG_COST_MAX 1.5

static bool prog_goal_applies(int si, int t)
{
	return frame_sizes[si] == 64 && t != T_UP;
}

/* An arm's program time on uplink0: the median, or the least round. */
static double prog_ns(const struct cell *c, int a, bool least)
{
	return of_rounds(c->run[a], offsetof(struct run, up_ns), opt.rounds,
			 least);
}

/* An arm's program time over the bare redirect's; 0 without figures. */
static double prog_over_limit(const struct cell *c, int a, bool least)
{
	return ratio(prog_ns(c, a, least), prog_ns(c, ARM_LIMIT, least));
}

static const char *prog_goal_word(const struct cell *c, bool least)
{
	double r = prog_over_limit(c, ARM_FAST, least);

	return r > 0 && r <= PROG_COST_MAX ? "met" : "MISSED";
}

/*
 * Goal 2's lines: each arm's program time, median and least round, and
 * the fast path's and the floor's over the bare redirect's. The floor
 * (the least table-driven forwarder) shows what the goal asks of any
 * program on this machine that day.
 */
static void print_prog_goal(void)
{
	printf("\nProgram time of a host-route hit against the bare "
	       "redirect's (goal 2: fastpath <= %.1f x limit), 64-byte "
	       "frames in; ns, median | least of %d rounds:\n\n",
	       PROG_COST_MAX, opt.rounds);
	for (int f = 0; f < F_MAX; f++)
		for (int si = 0; si < S_MAX; si++)
			for (int t = 0; t < T_MAX; t++) {
				const struct cell *c = &cells[f][si][t];
				double m[3], l[3];
				const int arm[3] = { ARM_LIMIT, ARM_FLOOR,
						     ARM_FAST };

				if (!tgt_on(t) || !prog_goal_applies(si, t))
					continue;
				for (int i = 0; i < 3; i++) {
					m[i] = prog_ns(c, arm[i], false);
					l[i] = prog_ns(c, arm[i], true);
				}
				printf("- %s %s: limit %.0f | %.0f, floor "
				       "%.0f | %.0f, fastpath %.0f | %.0f; "
				       "fastpath %.2f x | %.2f x limit, floor "
				       "%.2f x | %.2f x: %s (least: %s)\n",
				       fam_name[f], tgt_name[t], m[0], l[0],
				       m[1], l[1], m[2], l[2],
				       ratio(m[2], m[0]), ratio(l[2], l[0]),
				       ratio(m[1], m[0]), ratio(l[1], l[0]),
				       prog_goal_word(c, false),
				       prog_goal_word(c, true));
			}
}

/* --profile: where a packet's time goes, by program, medians. */
static void print_profile(void)
{
	printf("\nBPF run time per packet (BPF_ENABLE_STATS, medians; the "
	       "gateway arm has no program on uplink0)\n\n"
	       "| family | frame | target | limit ns | fastpath ns | fib ns | "
	       "floor ns | generator ns | sink ns (veth) | fastpath-vlan ns "
	       "| vlan/fast | floor-vlan ns | floor vlan/floor |\n"
	       "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:"
	       "|---:|\n");
	for (int f = 0; f < F_MAX; f++)
		for (int si = 0; si < S_MAX; si++)
			for (int t = 0; t < T_MAX; t++) {
				if (!tgt_on(t))
					continue;
				const struct cell *c = &cells[f][si][t];
				size_t up = offsetof(struct run, up_ns);
				double fast = median_of(c->run[ARM_FAST], up,
							opt.rounds),
				       vlan = opt.inner ?
						      median_of(
							      c->run[ARM_FASTV],
							      up, opt.rounds) :
						      0,
				       floor = median_of(c->run[ARM_FLOOR], up,
							 opt.rounds),
				       floorv =
					       opt.inner ?
						       median_of(
							       c->run[ARM_FLOORV],
							       up, opt.rounds) :
						       0;

				printf("| %s | %u | %s | %.0f | %.0f | %.0f | "
				       "%.0f | %.0f | %.0f | %.0f | %.2f | "
				       "%.0f | %.2f |\n",
				       fam_name[f], frame_sizes[si],
				       tgt_name[t],
				       median_of(c->run[ARM_LIMIT], up,
						 opt.rounds),
				       fast,
				       median_of(c->run[ARM_FIB], up,
						 opt.rounds),
				       floor,
				       median_of(c->run[ARM_FAST],
						 offsetof(struct run, gen_ns),
						 opt.rounds),
				       median_of(c->run[ARM_FAST],
						 offsetof(struct run, sink_ns),
						 opt.rounds),
				       vlan, ratio(vlan, fast), floorv,
				       ratio(floorv, floor));
			}
	print_prog_goal();
}

static void jadd_u64(json_object *o, const char *k, __u64 v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static json_object *run_json(const struct run *r)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "secs", json_object_new_double(r->secs));
	json_object_object_add(o, "pps", json_object_new_double(r->pps));
	if (opt.profile) {
		json_object_object_add(o, "uplink_prog_ns",
				       json_object_new_double(r->up_ns));
		json_object_object_add(o, "generator_prog_ns",
				       json_object_new_double(r->gen_ns));
		json_object_object_add(o, "sink_prog_ns",
				       json_object_new_double(r->sink_ns));
	}
	jadd_u64(o, "sent", r->sent);
	jadd_u64(o, "delivered", r->delivered);
	jadd_u64(o, "delivered_on_path", r->on_path);
	jadd_u64(o, "op0_sent", r->op_sent);
	jadd_u64(o, "op0_drops", r->op_drops);
	jadd_u64(o, "fastpath_fast", r->fp_fast);
	jadd_u64(o, "fastpath_drops", r->fp_drops);
	jadd_u64(o, "fastpath_other", r->fp_other);
	jadd_u64(o, "target_devmap_drops", r->tgt_drops);
	jadd_u64(o, "target_tx_dropped", r->tgt_dev_drops);
	jadd_u64(o, "fib_forwarded", r->fib_fwd);
	jadd_u64(o, "floor_forwarded", r->floor_fwd);
	jadd_u64(o, "gateway_forwarded", r->gw_fwd);
	json_object_object_add(o, "unexplained",
			       json_object_new_int64(r->unexplained));
	return o;
}

/* An arm's program time over the bare redirect's, median and least round. */
static void prog_json(json_object *o, const struct cell *c, const char *key,
		      int a)
{
	char least[64];

	snprintf(least, sizeof(least), "%s_least", key);
	json_object_object_add(
		o, key, json_object_new_double(prog_over_limit(c, a, false)));
	json_object_object_add(
		o, least, json_object_new_double(prog_over_limit(c, a, true)));
}

static json_object *cell_json(int f, int si, int t)
{
	const struct cell *c = &cells[f][si][t];
	json_object *o = json_object_new_object(), *arms, *g;

	json_object_object_add(o, "family",
			       json_object_new_string(fam_name[f]));
	json_object_object_add(o, "frame_bytes",
			       json_object_new_int((int)frame_sizes[si]));
	json_object_object_add(o, "target",
			       json_object_new_string(tgt_name[t]));
	json_object_object_add(o, "direction",
			       json_object_new_string(t == T_UP ?
							      "vm-to-onprem" :
							      "onprem-to-vm"));
	arms = json_object_new_object();
	for (int a = 0; a < ARM_MAX; a++) {
		json_object *arm, *rounds;

		if (!arm_on(a, t))
			continue;
		arm = json_object_new_object();
		rounds = json_object_new_array();
		for (int rd = 0; rd < opt.rounds; rd++)
			json_object_array_add(rounds, run_json(&c->run[a][rd]));
		json_object_object_add(arm, "median_pps",
				       json_object_new_double(c->median[a]));
		json_object_object_add(arm, "rounds", rounds);
		json_object_object_add(arms, arm_label(a, t), arm);
	}
	json_object_object_add(o, "arms", arms);
	json_object_object_add(
		o, "fast_over_limit",
		json_object_new_double(
			ratio(c->median[ARM_FAST], c->median[ARM_LIMIT])));
	json_object_object_add(
		o, t == T_UP ? "fast_over_stack" : "fast_over_gateway",
		json_object_new_double(
			ratio(c->median[ARM_FAST], c->median[ARM_GW])));
	json_object_object_add(
		o, "fast_over_fib",
		json_object_new_double(
			ratio(c->median[ARM_FAST], c->median[ARM_FIB])));
	json_object_object_add(
		o, "floor_over_limit",
		json_object_new_double(
			ratio(c->median[ARM_FLOOR], c->median[ARM_LIMIT])));
	json_object_object_add(
		o, "fast_over_floor",
		json_object_new_double(
			ratio(c->median[ARM_FAST], c->median[ARM_FLOOR])));
	if (opt.inner)
		json_object_object_add(
			o, "fast_vlan_over_fast",
			json_object_new_double(ratio(c->median[ARM_FASTV],
						     c->median[ARM_FAST])));
	if (opt.inner)
		json_object_object_add(
			o, "floor_vlan_over_floor",
			json_object_new_double(ratio(c->median[ARM_FLOORV],
						     c->median[ARM_FLOOR])));
	if (opt.profile) {
		prog_json(o, c, "prog_fast_over_limit", ARM_FAST);
		prog_json(o, c, "prog_floor_over_limit", ARM_FLOOR);
	}
	g = json_object_new_object();
	if (opt.profile && prog_goal_applies(si, t)) {
		char name[64];

		snprintf(name, sizeof(name),
			 "program time <= %.1f x limit (64 B)", PROG_COST_MAX);
		json_object_object_add(
			g, name,
			json_object_new_boolean(
				!strcmp(prog_goal_word(c, false), "met")));
	}
	if (opt.inner)
		json_object_object_add(g, "vlan cost <= 1.03 x fast",
				       json_object_new_boolean(!strcmp(
					       vlan_goal_word(c), "met")));
	for (size_t i = 0; i < ARRAY_SIZE(goals); i++)
		if (goal_applies((int)i, si) &&
		    (t != T_UP || goals[i].vs != ARM_GW))
			json_object_object_add(
				g, goals[i].name,
				json_object_new_boolean(!strcmp(
					goal_word(c, (int)i, si), "met")));
	json_object_object_add(o, "goals_met", g);
	return o;
}

static int write_json(void)
{
	json_object *root = json_object_new_object(), *rows;
	char path[256];
	int err;

	fp_test__bench_head(root, 2, opt.quick, opt.rounds);
	json_object_object_add(root, "secs_per_run",
			       json_object_new_double(opt.secs));
	json_object_object_add(root, "napi", json_object_new_string(opt.napi));
	json_object_object_add(root, "batch_size", json_object_new_int(BATCH));
	json_object_object_add(root, "flows", json_object_new_int(N_FLOWS));
	json_object_object_add(root, "vlan",
			       opt.inner ? json_object_new_string(opt.vlan) :
					   NULL);
	json_object_object_add(root, "accounting_ok",
			       json_object_new_boolean(!failed));
	rows = json_object_new_array();
	for (int f = 0; f < F_MAX; f++)
		for (int si = 0; si < S_MAX; si++)
			for (int t = 0; t < T_MAX; t++)
				if (tgt_on(t))
					json_object_array_add(
						rows, cell_json(f, si, t));
	json_object_object_add(root, "results", rows);
	snprintf(path, sizeof(path), "%s/tier2.json", opt.out);
	err = json_object_to_file_ext(path, root, JSON_C_TO_STRING_PRETTY);
	if (err)
		pr_warn("%s: %s\n", path, json_util_get_last_err());
	json_object_put(root);
	return err ? -EIO : 0;
}

/* For scripts/bench.sh's gnuplot: one line per row, medians in Mpps. */
static int write_dat(void)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/tier2.dat", opt.out);
	f = fopen(path, "w");
	if (!f) {
		pr_warn("%s: %s\n", path, strerror(errno));
		return -errno;
	}
	fprintf(f, "# row limit fastpath gateway fib floor fastpath-vlan "
		   "floor-vlan (Mpps)\n");
	for (int fa = 0; fa < F_MAX; fa++)
		for (int si = 0; si < S_MAX; si++)
			for (int t = 0; t < T_MAX; t++) {
				if (!tgt_on(t))
					continue;
				const double *m = cells[fa][si][t].median;

				fprintf(f,
					"%s/%u/%s %.4f %.4f %.4f %.4f %.4f "
					"%.4f %.4f\n",
					fam_name[fa], frame_sizes[si],
					tgt_name[t], m[ARM_LIMIT] / 1e6,
					m[ARM_FAST] / 1e6, m[ARM_GW] / 1e6,
					m[ARM_FIB] / 1e6, m[ARM_FLOOR] / 1e6,
					m[ARM_FASTV] / 1e6,
					m[ARM_FLOORV] / 1e6);
			}
	return fclose(f) ? -errno : 0;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s --op NS --host NS --gw NS --vm NS --vm-mac MAC\n"
		"          --dst4 ADDR --dst6 ADDR --fp PATH --pin-path DIR\n"
		"          [--quick] [--rounds N] [--secs S] [--out DIR]\n"
		"  the namespaces and addresses of selftests/lib.sh's lab; "
		"--vm is vm2 (veth)\n"
		"  --quick      3 rounds of 0.25 s (also QUICK=1)\n"
		"  --rounds N   interleaved rounds per arm, 3..%d (5)\n"
		"  --secs S     seconds per run, 0.1..10 (1)\n"
		"  --profile    BPF run time per program (BPF_ENABLE_STATS);\n"
		"               it slows every program: not for figures\n"
		"  --fast-load-args S  more options for the fastpath arm's "
		"`fastpath load`\n"
		"  --napi MODE  how the NAPIs run, for the report: softirq (the\n"
		"               generator's CPU) or threaded (pinned by bench.sh)\n"
		"  --vlan [S/]C the fastpath-vlan arm's tags (100); none: no "
		"such arm\n"
		"  --qemu-tap DEV --qemu-mac MAC --qemu-dst4 A --qemu-dst6 A "
		"--qemu-rx CMD\n"
		"               a QEMU guest behind tap DEV as a third target; "
		"CMD prints\n"
		"               the UDP datagrams it received for no listener\n"
		"  --up-dst4 A --up-dst6 A --up-via4 A --up-via6 A\n"
		"               the return direction (VM -> on-prem): on-prem "
		"addresses\n"
		"               routed by the host via the next hops A out of "
		"uplink0\n",
		prog, MAX_ROUNDS);
}

static int parse_args(int argc, char **argv)
{
	/* Options that take a string: where each goes, by longopts' index. */
	const char **const dst[] = {
		&opt.ns[NS_OP],	   &opt.ns[NS_HOST],  &opt.ns[NS_GW],
		&opt.ns[NS_VM],	   &opt.vm_mac,	      &opt.veth_dst[F4],
		&opt.veth_dst[F6], &opt.fp,	      &opt.pin,
		&opt.out,	   &opt.fast_args,    &opt.napi,
		&opt.vlan,	   &opt.qemu_tap,     &opt.qemu_mac,
		&opt.qemu_dst[F4], &opt.qemu_dst[F6], &opt.qemu_rx,
		&opt.up_dst[F4],   &opt.up_dst[F6],   &opt.up_via[F4],
		&opt.up_via[F6],
	};
	static const struct option longopts[] = {
		{ "op", required_argument, NULL, 0 },
		{ "host", required_argument, NULL, 0 },
		{ "gw", required_argument, NULL, 0 },
		{ "vm", required_argument, NULL, 0 },
		{ "vm-mac", required_argument, NULL, 0 },
		{ "dst4", required_argument, NULL, 0 },
		{ "dst6", required_argument, NULL, 0 },
		{ "fp", required_argument, NULL, 0 },
		{ "pin-path", required_argument, NULL, 0 },
		{ "out", required_argument, NULL, 0 },
		{ "fast-load-args", required_argument, NULL, 0 },
		{ "napi", required_argument, NULL, 0 },
		{ "vlan", required_argument, NULL, 0 },
		{ "qemu-tap", required_argument, NULL, 0 },
		{ "qemu-mac", required_argument, NULL, 0 },
		{ "qemu-dst4", required_argument, NULL, 0 },
		{ "qemu-dst6", required_argument, NULL, 0 },
		{ "qemu-rx", required_argument, NULL, 0 },
		{ "up-dst4", required_argument, NULL, 0 },
		{ "up-dst6", required_argument, NULL, 0 },
		{ "up-via4", required_argument, NULL, 0 },
		{ "up-via6", required_argument, NULL, 0 },
		{ "quick", no_argument, NULL, 'q' },
		{ "profile", no_argument, NULL, 'P' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "secs", required_argument, NULL, 's' },
		{ 0 },
	};
	const char *q = getenv("QUICK");
	int c, li, rounds = 0;
	double secs = 0;

	opt.quick = q && !strcmp(q, "1");
	while ((c = getopt_long(argc, argv, "", longopts, &li)) != -1) {
		switch (c) {
		case 0:
			if (li < 0 || (size_t)li >= ARRAY_SIZE(dst))
				return -EINVAL;
			*dst[li] = optarg;
			break;
		case 'q':
			opt.quick = true;
			break;
		case 'P':
			opt.profile = true;
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 's':
			secs = strtod(optarg, NULL);
			break;
		default:
			return -EINVAL;
		}
	}
	if (strcmp(opt.vlan, "none") &&
	    fp_parse_vlan(opt.vlan, &opt.outer, &opt.inner))
		return -EINVAL;
	opt.rounds = rounds ? rounds : opt.quick ? 3 : 5;
	opt.secs = secs > 0 ? secs : opt.quick ? 0.25 : 1.0;
	for (int i = 0; i < NS_MAX; i++)
		if (!opt.ns[i])
			return -EINVAL;
	if (optind != argc || !opt.vm_mac || !opt.veth_dst[F4] ||
	    !opt.veth_dst[F6] || !opt.fp || !opt.pin || opt.rounds < 3 ||
	    opt.rounds > MAX_ROUNDS || opt.secs < 0.1 || opt.secs > 10 ||
	    (strcmp(opt.napi, "softirq") && strcmp(opt.napi, "threaded")) ||
	    (opt.qemu_tap && (!opt.qemu_mac || !opt.qemu_dst[F4] ||
			      !opt.qemu_dst[F6] || !opt.qemu_rx)) ||
	    (!opt.up_dst[F4] + !opt.up_dst[F6] + !opt.up_via[F4] +
	     !opt.up_via[F6]) %
		    4)
		return -EINVAL;
	return 0;
}

/* Leave the lab as bench.sh made it: its trap deletes the rest. */
static void teardown(pthread_t reader, bool have_reader)
{
	__u32 eth0;

	if (fast_loaded)
		fp_cli("unload uplink0");
	if (op_sink_on && !ns_enter(NS_OP))
		bpf_xdp_detach((int)op0, XDP_FLAGS_DRV_MODE, NULL);
	if (port_prog_fd >= 0) {
		if (!ns_enter(NS_HOST))
			bpf_xdp_detach((int)tgt_ifindex[T_VETH],
				       XDP_FLAGS_DRV_MODE, NULL);
		close(port_prog_fd);
	}
	if (!ns_enter(NS_HOST))
		bpf_xdp_detach((int)uplink0, XDP_FLAGS_DRV_MODE, NULL);
	if (lg && !dev_info(NS_VM, "eth0", &eth0, NULL))
		bpf_xdp_detach((int)eth0, XDP_FLAGS_DRV_MODE, NULL);
	reader_stop = 1;
	if (have_reader)
		pthread_join(reader, NULL);
	livegen__destroy(lg);
	for (int t = 0; t < T_MAX; t++)
		bench__destroy(bn[t]);
	if (tap_fd >= 0)
		close(tap_fd);
}

int main(int argc, char **argv)
{
	bool have_reader = false;
	pthread_t reader = 0;
	int stats_fd = -1;
	cpu_set_t cpus;
	int err, rc = 1;

	if (parse_args(argc, argv)) {
		usage(argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	fp_log__route_libs();
	if (mkdir(opt.out, 0755) && errno != EEXIST) {
		pr_warn("%s: %s\n", opt.out, strerror(errno));
		return 1;
	}
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		pr_warn("libbpf_num_possible_cpus: %s\n", strerror(-ncpus));
		return 1;
	}
	/*
	 * The generator stays on CPU 0, and with it the softirq work it
	 * triggers unless bench.sh moved the NAPIs to kthreads on CPU 1.
	 */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		pr_warn("sched_setaffinity: %s\n", strerror(errno));
	/*
	 * BPF_ENABLE_STATS rather than the sysctl: the counting stops when
	 * this process exits, whatever way it does.
	 */
	if (opt.profile) {
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (stats_fd < 0) {
			pr_warn("bpf_enable_stats: %s\n", strerror(-stats_fd));
			return 1;
		}
	}
	err = ns_open();
	if (!err)
		err = dev_info(NS_OP, "op0", &op0, op0_mac);
	if (!err)
		err = dev_info(NS_HOST, "uplink0", &uplink0, uplink0_mac);
	if (!err)
		err = dev_info(NS_HOST, "veth-vm2", &tgt_ifindex[T_VETH],
			       tgt_mac[T_VETH]);
	if (!err)
		err = tap__open();
	if (!err && tgt_on(T_QEMU))
		err = dev_info(NS_HOST, opt.qemu_tap, &tgt_ifindex[T_QEMU],
			       tgt_mac[T_QEMU]);
	/* The return direction's target is uplink0, its generator vm2. */
	tgt_ifindex[T_UP] = uplink0;
	memcpy(tgt_mac[T_UP], uplink0_mac, 6);
	if (!err)
		err = dev_info(NS_VM, "eth0", &vm_eth0, NULL);
	if (err)
		goto out;
	if (pthread_create(&reader, NULL, tap__reader, NULL)) {
		pr_warn("pthread_create: %s\n", strerror(errno));
		goto out;
	}
	have_reader = true;
	for (int t = 0; t < T_MAX && !err; t++)
		if (tgt_on(t))
			err = bench__setup(t);
	if (!err)
		err = livegen__setup();
	if (!err)
		err = fastpath__setup();
	for (int f = 0; f < F_MAX && !err; f++)
		for (int si = 0; si < S_MAX && !err; si++)
			for (int t = 0; t < T_MAX && !err; t++) {
				if (!tgt_on(t))
					continue;
				if (t == T_UP)
					err = up__begin();
				if (!err)
					err = measure(f, si, t);
				if (t == T_UP && up__end() && !err)
					err = -EIO;
			}
	if (err)
		goto out;
	print_table();
	print_return_table();
	print_books(ARM_FAST);
	if (opt.inner)
		print_books(ARM_FASTV);
	if (opt.profile)
		print_profile();
	if (write_json() || write_dat())
		goto out;
	printf("\nraw figures: %s/tier2.json\n", opt.out);
	if (failed)
		printf("\nACCOUNTING OR PATH CHECKS FAILED (see the lines "
		       "above): these figures do not measure what they say.\n");
	rc = failed ? 1 : 0;

out:
	teardown(reader, have_reader);
	if (stats_fd >= 0)
		close(stats_fd);
	return rc;
}
