// SPDX-License-Identifier: GPL-2.0
/*
 * Tier-1 benchmark, cost per packet (DESIGN.md "Performance method",
 * issue 4 part 1): BPF_PROG_TEST_RUN with repeat on bench_xdp
 * (bpf/bench.bpf.c), which restores a frame for the next destination and
 * tail-calls one arm: empty, limit (a bare redirect), fib (the kernel FIB
 * from XDP, as xdp-forward), the real fastpath_xdp, or floor (arm_floor,
 * the least a table-driven forwarder does, as tier 2 runs it; on the host
 * and miss scenarios of one route only, the one its tables hold).
 *
 * Everything runs in a private network namespace that vanishes with the
 * process; the fast path's maps are unpinned, as in tests/test_xdp.c.
 * For each family, scenario and table size the arms are timed in
 * interleaved rounds, after one warm-up round that is not kept, and the
 * median of each is reported, then the least round of each (--fine: many
 * short rounds, whose least resolves 1 ns on a noisy machine). Every
 * timed run is checked: its verdict, and that the counter of the
 * expected outcome moved by exactly the repeat count, so a run that took
 * the wrong path is an error and not a figure.
 *
 * Addresses: the tables use 10.0.0.0/8 and fd00::/8, which DESIGN.md
 * allows here because they never carry traffic (the frames stay inside
 * BPF_PROG_TEST_RUN, in the process's own namespace), so that both
 * families reach 1M routes; the lab's own addresses stay in 198.18.0.0/15
 * and 2001:db8::/32, outside every table.
 *
 * After filling each table it also reports the kernel memory of the fast
 * path's maps (the memlock of every map of the skeleton).
 *
 * --vlan [S/]C: every frame carries that tag (or S-tag and C-tag) and up0
 * is a trunk with that one tagged circuit, so the fast path routes the
 * inner packet and pops the tags of what it redirects. Frames stay
 * BN_FRAME_LEN long: IPv4 loses UDP payload, IPv6 (whose UDP header alone
 * would not fit) carries "no next header" and 6 or 2 bytes of payload,
 * a packet the fast path treats as it does UDP. The wrapper grows back the
 * head that a pop took, so these fast-path figures include that re-grow.
 * The fib arm is off: bpf_fib_lookup() has no VLAN to look up from (this
 * kernel cannot make VLAN devices), and arm_fib parses no tags.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "fastpath.skel.h"
#include "harness.h"
#include "bench.skel.h"
#include "bench.h"
#include "log.h"
#include "fib.h"
#include "parse.h"
#include "pktgen.h"
#include "port.h"
#include "uplink.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const __u8 OP_MAC[6] = { 0x02, 0, 0, 0, 0x00, 0xaa }; /* on-prem */
static const __u8 UP0_MAC[6] = { 0x02, 0, 0, 0, 0x00, 0x01 };
static const __u8 VM0_MAC[6] = { 0x02, 0, 0, 0, 0x10, 0x00 };
static const __u8 VM0_PEER[6] = { 0x02, 0, 0, 0, 0x10, 0x01 };
/*
 * Prefix i goes to the VM MAC VM0_PEER + i % NH_SPREAD (last byte): next
 * to each other, prefixes have different results, as in a table of many
 * VMs, so no table can merge neighbours into one entry.
 */
#define NH_SPREAD 4

/*
 * The tables: IPv4 in 10.0.0.0/8 (2^24 /32s, 2^20 /28s), IPv6 in fd00::/8.
 * The lab (vm0's subnet and neighbour, the frames' source) is in the test
 * ranges, apart from them.
 */
#define V4_BASE 0x0a000000U /* 10.0.0.0 */
#define V4_SPACE (1U << 24)
#define V4_PREFIX_LEN 28
#define SRC4 "198.19.254.1"
#define VM0_IP4 "198.19.255.1/30"
#define NH4 "198.19.255.2"
#define SRC6 "2001:db8:fffe::1"
#define VM0_IP6 "2001:db8:ffff::1/64"
#define NH6 "2001:db8:ffff::2"
#define ROUTE_PROTO 99 /* tags the benchmark's kernel routes for flushing */

enum family { F4, F6, F_MAX };
enum scen { SC_HOST, SC_PREFIX, SC_EXCL, SC_MISS, SC_MAX };
enum arm { ARM_EMPTY, ARM_LIMIT, ARM_FIB, ARM_FAST, ARM_FLOOR, ARM_MAX };

static const char *const fam_name[F_MAX] = { "ipv4", "ipv6" };
static const char *const scen_name[SC_MAX] = { "host", "prefix", "exclusion",
					       "miss" };
static const char *const arm_name[ARM_MAX] = { "empty", "limit", "fib",
					       "fastpath", "floor" };

#define MAX_SIZES 4
#define MAX_ROUNDS 401

static const __u32 sizes_full[] = { 1, 1000, 100000, 1000000 };

/* --fine: rounds of ~1 ms each, enough of them that some are undisturbed. */
#define FINE_ROUNDS 201
#define FINE_REPEAT 20000

/* One (family, scenario, table size): the figures and how they came. */
struct cell {
	bool measured;
	char why_not[96];
	__u32 routes, dsts, excl;
	bool arm_on[ARM_MAX];
	bool fib_not_fed; /* the kernel FIB did not take the table */
	bool fib_tagged; /* tagged frames: no fib arm (--vlan) */
	__u32 ns[ARM_MAX][MAX_ROUNDS];
	double median[ARM_MAX];
	double lowest[ARM_MAX]; /* the least round: the code's own cost */
};

static struct cell cells[F_MAX][SC_MAX][MAX_SIZES];

/*
 * The fast path's map memory once a table is in: host routes (the host,
 * miss and exclusion scenarios' table), prefixes, and host routes with
 * their exclusions added.
 */
enum mem_kind { MK_HOST, MK_PREFIX, MK_EXCL, MK_MAX };

static const char *const mem_kind_name[MK_MAX] = { "host", "prefix",
						   "exclusion" };

struct mem_row {
	bool measured;
	__u32 routes, excl;
	__u64 bytes; /* every map's memlock, summed */
	__u64 empty; /* the same before the first route */
};

static struct mem_row mem[F_MAX][MK_MAX][MAX_SIZES];

static struct {
	__u32 sizes[MAX_SIZES];
	int n_sizes;
	int family; /* -1: both, else enum family */
	int kind; /* -1: both, 0 host tables, 1 prefix tables */
	int rounds;
	__u32 repeat;
	const char *out;
	bool quick;
	const char *vlan; /* --vlan as given, NULL: untagged frames */
	__u16 outer, inner; /* its VIDs; inner 0: untagged */
} opt = { .rounds = 3,
	  .repeat = 1000000,
	  .out = "build/bench",
	  .family = -1,
	  .kind = -1 };

static __u32 up0, vm0;
static struct bench *bn;
static int ncpus;
static void *percpu; /* one slot of a per-CPU map, every CPU */
static struct bn_frame *frames;

/* The lab. */

static const char *mac_str(const __u8 *m, char *buf)
{
	return fp_format_mac(m, buf, FP_MAC_STRLEN);
}

/*
 * up0 is the uplink; vm0 the port every route leads to, with a permanent
 * neighbour so bpf_fib_lookup() finds a MAC. Forwarding must be on for
 * bpf_fib_lookup(), which otherwise answers FWD_DISABLED.
 */
static int lab__up(void)
{
	char m1[FP_MAC_STRLEN], m2[FP_MAC_STRLEN];

	if (fp_test__netns() ||
	    fp_test__sh(
		    "sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 "
		    "net.ipv6.conf.default.forwarding=1") ||
	    fp_test__sh("ip link add up0 address %s type veth peer name op0",
			mac_str(UP0_MAC, m1)) ||
	    fp_test__sh(
		    "ip link add vm0 address %s type veth peer name vmp0 address %s",
		    mac_str(VM0_MAC, m1), mac_str(VM0_PEER, m2)) ||
	    fp_test__sh(
		    "for d in up0 op0 vm0 vmp0; do ip link set dev $d up; done") ||
	    fp_test__sh("ip addr add %s dev vm0", VM0_IP4) ||
	    fp_test__sh("ip addr add %s dev vm0 nodad", VM0_IP6) ||
	    fp_test__sh("ip neigh replace %s lladdr %s dev vm0 nud permanent",
			NH4, m2) ||
	    fp_test__sh("ip neigh replace %s lladdr %s dev vm0 nud permanent",
			NH6, m2))
		return -1;
	up0 = if_nametoindex("up0");
	vm0 = if_nametoindex("vm0");
	if (!up0 || !vm0) {
		pr_warn("if_nametoindex: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int update(struct bpf_map *map, const void *key, const void *value)
{
	if (bpf_map_update_elem(bpf_map__fd(map), key, value, BPF_ANY)) {
		pr_warn("%s: update: %s\n", bpf_map__name(map),
			strerror(errno));
		return -1;
	}
	return 0;
}

static int bench__setup(void)
{
	int err;

	bn = bench__open();
	if (!bn) {
		pr_warn("bench__open: %s\n", strerror(errno));
		return -1;
	}
	bn->rodata->port_ifindex = vm0;
	err = bench__load(bn);
	if (err) {
		pr_warn("bench__load: %s\n", strerror(-err));
		return -1;
	}
	return update(bn->maps.bn_tx, &vm0, &vm0);
}

/* The real fast path, unpinned, with up0 as uplink and vm0 as port. */
static struct fastpath *fastpath__setup(void)
{
	struct fp_port port = { .mtu = 1500 };
	struct fp_uplink up = { 0 };
	struct fp_maps m = { 0 };
	struct fastpath *fp;

	fp = fp_test__load();
	if (!fp)
		return NULL;
	memcpy(up.mac, UP0_MAC, 6);
	memcpy(port.mac, VM0_MAC, 6);
	memcpy(port.peer_mac, VM0_PEER, 6);
	snprintf(port.name, sizeof(port.name), "vm0");
	m.skel = fp;
	if (fp_maps__fill_fds(&m))
		goto out_destroy;
	if (fp_uplinks__put(&m, up0, &up) ||
	    fp_ports__put(&m, vm0, &port, BPF_ANY))
		goto out_unmap;
	if (opt.inner) {
		struct fp_uplink cir = { .xallow = FP_XALLOW_DEFAULT };
		int err = fp_vlans__put(&m, up0, opt.outer, opt.inner, &cir,
					NULL, NULL);

		if (err) {
			pr_warn("vlan %s on up0: %s\n", opt.vlan,
				strerror(-err));
			goto out_unmap;
		}
	}
	fp_maps__free_shadow(&m);
	return fp;

out_unmap:
	fp_maps__free_shadow(&m);
out_destroy:
	fastpath__destroy(fp);
	return NULL;
}

/* Address layouts. */

static void v4_addr(__u32 off, __u8 len, struct fp_prefix *p)
{
	__be32 a = htonl(V4_BASE + off);

	memset(p, 0, sizeof(*p));
	p->family = AF_INET;
	p->len = len;
	memcpy(p->addr, &a, 4);
}

/* fd00:0:<hi>:<lo>: hi the 32 bits after fd00:0::/32, lo the last 64. */
static void v6_addr(__u32 hi, __u64 lo, __u8 len, struct fp_prefix *p)
{
	static const __u8 ula[4] = { 0xfd, 0x00, 0x00, 0x00 };
	__be32 h = htonl(hi);

	memset(p, 0, sizeof(*p));
	p->family = AF_INET6;
	p->len = len;
	memcpy(p->addr, ula, 4);
	memcpy(p->addr + 4, &h, 4);
	for (int b = 0; b < 8; b++)
		p->addr[15 - b] = (__u8)(lo >> (8 * b));
}

/*
 * Host routes sit two apart (10.0.0.1, .3, .5, ...; fd00::1, ::3, ...), so
 * that each miss lies between two routes and walks the trie as deep as a
 * hit.
 */
static void host_addr(enum family f, __u32 i, struct fp_prefix *p)
{
	__u32 off = 1 + 2 * i;

	if (f == F4)
		v4_addr(off, 32, p);
	else
		v6_addr(0, off, 128, p);
}

/* The j-th miss: the unrouted address just after host route j. */
static void miss_addr(enum family f, __u32 j, struct fp_prefix *p)
{
	__u32 off = 2 + 2 * j;

	if (f == F4)
		v4_addr(off, 32, p);
	else
		v6_addr(0, off, 128, p);
}

/*
 * The floor arm's tables: host route 0 of each family (the one route of
 * a one-route table) to result 1, vm0's neighbour as the route's is, on
 * port slot 0 (vm0); with --vlan, the circuit by its (inner) VID.
 */
static int floor__fill(void)
{
	struct bn_fl_nh nh = { .port = 0, .mtu = 1500 };
	__u32 one = 1, zero = 0, vid = opt.inner, key[3], leaf[3];
	struct fp_prefix d4, d6;

	host_addr(F4, 0, &d4);
	host_addr(F6, 0, &d6);
	memcpy(nh.dmac, VM0_PEER, 6);
	memcpy(nh.smac, VM0_MAC, 6);
	bn_fl_path4(d4.addr, one, key, leaf);
	for (int i = 0; i < 3; i++)
		if (update(bn->maps.bn_fl_trie4, &key[i], &leaf[i]))
			return -1;
	return update(bn->maps.bn_fl_hosts6, d6.addr, &one) ||
	       update(bn->maps.bn_fl_nh, &one, &nh) ||
	       (opt.inner && update(bn->maps.bn_fl_vids, &vid, &one)) ||
	       update(bn->maps.bn_fl_tx, &zero, &vm0);
}

/*
 * Prefix i (a /28 of 10/8, or fd00:0:<i + 1>::/64, apart from the hosts'
 * fd00::/64) and (want_dst) a host inside it, different for each i.
 */
static void prefix_addr(enum family f, __u32 i, bool want_dst,
			struct fp_prefix *p)
{
	if (f == F4)
		v4_addr((i << (32 - V4_PREFIX_LEN)) +
				(want_dst ? 1 + i % 14 : 0),
			want_dst ? 32 : V4_PREFIX_LEN, p);
	else
		v6_addr(i + 1, want_dst ? 0x100 + (i & 0xff) : 0,
			want_dst ? 128 : 64, p);
}

/* Why a table does not fit its address space, or NULL when it does. */
static const char *does_not_fit(enum family f, bool prefixes, __u32 n)
{
	if (f == F6)
		return NULL;
	if (prefixes && n > V4_SPACE >> (32 - V4_PREFIX_LEN))
		return "not measurable within 10.0.0.0/8 (1,048,576 /28s)";
	/* n hosts two apart and the n misses between them */
	if (!prefixes && (__u64)2 * n + 1 > V4_SPACE)
		return "not measurable within 10.0.0.0/8 (8,388,607 hosts)";
	return NULL;
}

/* The fast path's maps and the kernel FIB: the same n routes in both. */

struct table {
	enum family fam;
	bool prefixes;
	__u32 n;
	struct fastpath *fp;
	bool fib_fed; /* the kernel took all n routes */
	double fib_secs; /* how long `ip -batch` took */
	__u64 mem_empty; /* the maps' memlock before the first route */
};

/* Routes and exclusions go in through loader/fib.c, as the CLI's do. */
static struct fp_maps fib_of(struct table *t)
{
	struct fp_maps m = { .skel = t->fp };

	fp_maps__fill_fds(&m);
	return m;
}

static void table_prefix(const struct table *t, __u32 i, struct fp_prefix *p)
{
	if (t->prefixes)
		prefix_addr(t->fam, i, false, p);
	else
		host_addr(t->fam, i, p);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * `ip -batch`: one netlink request per line, far quicker than n forks
 * (60-150 us a route here: 1 to 2.5 minutes for 1M). When the kernel does
 * not take them all, the table is measured without the fib arm, and its
 * rows say so.
 */
static int kernel_routes(struct table *t)
{
	char path[] = "/tmp/bench_pkt.XXXXXX", buf[FP_PREFIX_STRLEN];
	const char *nh = t->fam == F4 ? NH4 : NH6;
	struct fp_prefix p;
	FILE *f;
	int fd, err;

	fd = mkstemp(path);
	if (fd < 0) {
		pr_warn("mkstemp: %s\n", strerror(errno));
		return -1;
	}
	f = fdopen(fd, "w");
	if (!f) {
		pr_warn("fdopen: %s\n", strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	for (__u32 i = 0; i < t->n; i++) {
		table_prefix(t, i, &p);
		fprintf(f, "route add %s via %s dev vm0 proto %d\n",
			fp_format_prefix(&p, buf, sizeof(buf)), nh,
			ROUTE_PROTO);
	}
	if (fclose(f)) {
		pr_warn("%s: %s\n", path, strerror(errno));
		unlink(path);
		return -1;
	}
	t->fib_secs = now_s();
	err = fp_test__sh("ip -batch %s", path);
	t->fib_secs = now_s() - t->fib_secs;
	unlink(path);
	t->fib_fed = !err;
	if (err) {
		pr_warn("%s: the kernel FIB did not take %u routes: no fib arm "
			"for this table\n",
			fam_name[t->fam], t->n);
		fp_test__sh("ip -%d route flush proto %d", t->fam == F4 ? 4 : 6,
			    ROUTE_PROTO);
	}
	return 0;
}

/*
 * Kernel memory of the fast path's maps: the memlock of each map of the
 * skeleton's object (whatever maps it has), from /proc/self/fdinfo.
 */
static int maps_memory(const struct fastpath *fp, __u64 *bytes)
{
	const struct bpf_map *map;

	*bytes = 0;
	bpf_object__for_each_map(map, fp->obj) {
		unsigned long long v;
		bool found = false;
		char path[64], line[128];
		int fd = bpf_map__fd(map);
		FILE *f;

		if (fd < 0) /* not created (autocreate off) */
			continue;
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
		f = fopen(path, "r");
		if (!f) {
			pr_warn("%s: %s\n", path, strerror(errno));
			return -1;
		}
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "memlock: %llu", &v) == 1) {
				found = true;
				break;
			}
		fclose(f);
		if (!found) {
			pr_warn("%s (%s): no memlock line\n", path,
				bpf_map__name(map));
			return -1;
		}
		*bytes += v;
	}
	return 0;
}

static int table__fill(struct table *t)
{
	struct fp_route rt = { .ifindex = vm0, .origin = FP_ORIGIN_STATIC };
	struct fp_prefix p;
	struct fp_maps m;
	int err;

	memcpy(rt.dmac, VM0_PEER, 6);
	/*
	 * 1M IPv4 /28s fill 10.0.0.0/8: a ply for each of its 65,536 /24s
	 * and 256 /16s, more than the default trie holds (loader/maps.c).
	 */
	if (t->n > 100000 && setenv("FASTPATH_PLIES4", "66048", 1))
		return -1;
	if (t->n <= 100000 && unsetenv("FASTPATH_PLIES4"))
		return -1;
	t->fp = fastpath__setup();
	if (!t->fp || maps_memory(t->fp, &t->mem_empty))
		return -1;
	m = fib_of(t);
	/* As sync does: one batch, the compiled table written at its end. */
	fp_fib__batch_begin(&m);
	err = 0;
	for (__u32 i = 0; !err && i < t->n; i++) {
		table_prefix(t, i, &p);
		if (t->prefixes)
			rt.dmac[5] = (__u8)(VM0_PEER[5] + i % NH_SPREAD);
		err = fp_fib__set(&m, &p, &rt, false);
		if (err)
			pr_warn("route %u: %s\n", i, strerror(-err));
	}
	err = fp_fib__batch_end(&m) || err;
	fp_maps__free_shadow(&m);
	/* Tagged frames: no fib arm, so no kernel routes to time it with. */
	if (err || opt.inner)
		return err ? -1 : 0;
	return kernel_routes(t);
}

static void table__clear(struct table *t)
{
	fastpath__destroy(t->fp);
	t->fp = NULL;
	fp_test__sh("ip -%d route flush proto %d", t->fam == F4 ? 4 : 6,
		    ROUTE_PROTO);
}

static __u32 excl_count(__u32 n)
{
	return n < FP_MAX_EXCLUSIONS ? n : FP_MAX_EXCLUSIONS;
}

/* The k-th excluded host: spread evenly over the n host routes. */
static __u32 excl_host(__u32 n, __u32 k)
{
	return (__u32)((__u64)k * n / excl_count(n));
}

static int table__exclude(struct table *t, bool add)
{
	struct fp_maps m = fib_of(t);
	struct fp_prefix p;
	int err;

	fp_fib__batch_begin(&m);
	err = 0;
	for (__u32 k = 0; !err && k < excl_count(t->n); k++) {
		host_addr(t->fam, excl_host(t->n, k), &p);
		err = add ? fp_fib__exclude(&m, &p, FP_CLASS_OTHER) :
			    fp_fib__unexclude(&m, &p);
		if (err)
			pr_warn("exclusion %u: %s\n", k, strerror(-err));
	}
	err = fp_fib__batch_end(&m) || err;
	fp_maps__free_shadow(&m);
	return err ? -1 : 0;
}

/* Frames: one per destination, in a shuffled order. */

static __u64 rng_state = 0x9e3779b97f4a7c15ULL;

static __u64 rng(void)
{
	/* xorshift64*: reproducible, and enough to defeat the prefetcher */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* Bytes of VLAN tags in every frame: 0, 4 or 8. */
static size_t tag_bytes(void)
{
	return !opt.inner ? 0 : opt.outer ? 8 : 4;
}

/*
 * A tagged IPv6 frame of BN_FRAME_LEN bytes: UDP's header does not fit
 * after the tags, so the packet has no upper layer (next header 59, RFC
 * 8200 4.7) and its payload length is what the frame leaves.
 */
static int frame_ipv6_no_next(__u8 *buf, int len)
{
	size_t l3 = ETH_HLEN + tag_bytes();
	struct ipv6hdr ip6;

	if (len < (int)(l3 + sizeof(ip6)) || l3 + sizeof(ip6) > BN_FRAME_LEN)
		return -1;
	memcpy(&ip6, buf + l3, sizeof(ip6));
	ip6.nexthdr = 59; /* IPPROTO_NONE */
	ip6.payload_len = htons(BN_FRAME_LEN - l3 - sizeof(ip6));
	memcpy(buf + l3, &ip6, sizeof(ip6));
	memset(buf + l3 + sizeof(ip6), 0, BN_FRAME_LEN - l3 - sizeof(ip6));
	return BN_FRAME_LEN;
}

static int frame_build(const struct fp_prefix *dst, struct bn_frame *f)
{
	struct fp_pktspec s = {
		.ttl = 64, .dst = *dst, .outer = opt.outer, .inner = opt.inner
	};
	size_t l3 = dst->family == AF_INET ? sizeof(struct iphdr) :
					     sizeof(struct ipv6hdr);
	size_t head = ETH_HLEN + tag_bytes() + l3 + 8;
	__u8 buf[BN_FRAME_LEN + 16];
	int len;

	memcpy(s.dmac, UP0_MAC, 6);
	memcpy(s.smac, OP_MAC, 6);
	if (fp_parse_addr(dst->family == AF_INET ? SRC4 : SRC6, &s.src))
		return -1;
	/* Payload chosen so that both families make a 64-byte frame. */
	s.payload = head < BN_FRAME_LEN ? BN_FRAME_LEN - head : 0;
	len = fp_pkt__build(&s, buf, sizeof(buf));
	if (head > BN_FRAME_LEN && dst->family == AF_INET6)
		len = frame_ipv6_no_next(buf, len);
	if (len != BN_FRAME_LEN) {
		pr_warn("frame: not %d bytes\n", BN_FRAME_LEN);
		return -1;
	}
	memcpy(f->bytes, buf, BN_FRAME_LEN);
	return 0;
}

static int frames__load(__u32 n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	static __u32 keys[65536];
	int fd = bpf_map__fd(bn->maps.bn_frames);

	for (__u32 i = n - 1; i > 0; i--) {
		__u32 j = rng() % (i + 1);
		struct bn_frame tmp = frames[i];

		frames[i] = frames[j];
		frames[j] = tmp;
	}
	for (__u32 done = 0; done < n;) {
		__u32 count = n - done < ARRAY_SIZE(keys) ? n - done :
							    ARRAY_SIZE(keys);

		for (__u32 i = 0; i < count; i++)
			keys[i] = done + i;
		if (bpf_map_update_batch(fd, keys, frames + done, &count, &o)) {
			pr_warn("bn_frames: update batch: %s\n",
				strerror(errno));
			return -1;
		}
		done += count;
	}
	bn->bss->n_frames = n;
	return 0;
}

/* Counters, summed over CPUs. */

static int sum_percpu(struct bpf_map *map, __u32 slots, size_t stride,
		      __u64 *out)
{
	for (__u32 k = 0; k < slots; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(bpf_map__fd(map), &k, percpu)) {
			pr_warn("%s: lookup: %s\n", bpf_map__name(map),
				strerror(errno));
			return -1;
		}
		/* fp_counter's first field is packets: read that alone */
		for (int c = 0; c < ncpus; c++)
			out[k] += *(const __u64 *)((const char *)percpu +
						   c * stride);
	}
	return 0;
}

struct counts {
	__u64 fp[FP_R_MAX];
	__u64 bn[BN_C_MAX];
};

static int counts__read(struct fastpath *fp, struct counts *c)
{
	return sum_percpu(fp->maps.fp_stats, FP_R_MAX,
			  sizeof(struct fp_counter), c->fp) ||
	       sum_percpu(bn->maps.bn_stats, BN_C_MAX, sizeof(__u64), c->bn);
}

/* What a run of an arm must do in a scenario. */
struct expect {
	__u32 retval;
	bool rewritten; /* MACs from the route, TTL - 1 */
	bool popped; /* tags gone (--vlan, the fast path's redirects) */
	int fp_reason; /* fastpath: the fp_stats slot that moves, or -1 */
	int bn_slot; /* the bn_stats slot that moves, or -1 */
};

static struct expect expect_of(enum scen sc, enum arm a)
{
	bool hit = sc == SC_HOST || sc == SC_PREFIX;
	struct expect e = { .retval = XDP_PASS,
			    .fp_reason = -1,
			    .bn_slot = -1 };

	if (a == ARM_EMPTY)
		return e;
	if (a == ARM_LIMIT) {
		e.retval = XDP_REDIRECT;
		return e;
	}
	/*
	 * The forwarding arms: a hit redirected, rewritten and (--vlan)
	 * popped, whatever else passed; each counts it in its own slot.
	 */
	e.retval = hit ? XDP_REDIRECT : XDP_PASS;
	e.rewritten = hit;
	e.popped = hit && opt.inner;
	if (a == ARM_FIB)
		e.bn_slot = hit ? BN_C_FIB_FWD : BN_C_FIB_PASS;
	else if (a == ARM_FLOOR)
		e.bn_slot = hit ? BN_C_FLOOR_FWD : BN_C_FLOOR_PASS;
	else
		e.fp_reason = hit	    ? FP_R_FASTPATH :
			      sc == SC_EXCL ? FP_R_EXCLUDED :
					      FP_R_MISS;
	return e;
}

/* The frame's tags after the MACs are the ones --vlan asked for (none: 0). */
static bool tags_ok(const __u8 *f, size_t tags)
{
	__u8 want[8];
	__u16 w[4];

	if (!tags)
		return !(f[12] == 0x81 && f[13] == 0x00) &&
		       !(f[12] == 0x88 && f[13] == 0xa8);
	if (opt.outer) {
		w[0] = htons(ETH_P_8021AD);
		w[1] = htons(opt.outer);
		w[2] = htons(ETH_P_8021Q);
		w[3] = htons(opt.inner);
	} else {
		w[0] = htons(ETH_P_8021Q);
		w[1] = htons(opt.inner);
	}
	memcpy(want, w, tags);
	return !memcmp(f + 2 * ETH_ALEN, want, tags);
}

/*
 * The frame out of a single run: untagged, as built or rewritten; with
 * --vlan, the tags still in place and the IP header after them, or (a
 * fast-path redirect) popped, the frame that much shorter.
 */
static int check_frame(const char *what, const __u8 *f, __u32 len,
		       const struct expect *e)
{
	size_t tags = e->popped ? 0 : tag_bytes();
	__u32 want_len = BN_FRAME_LEN - (e->popped ? tag_bytes() : 0);
	bool v4 = f[12 + tags] == 0x08 && f[13 + tags] == 0x00;
	const struct iphdr *ip = (const void *)(f + ETH_HLEN + tags);
	const struct ipv6hdr *ip6 = (const void *)(f + ETH_HLEN + tags);
	__u8 ttl = v4 ? ip->ttl : ip6->hop_limit;
	const __u8 *dmac = e->rewritten ? VM0_PEER : UP0_MAC;
	/* A prefix's result: one of NH_SPREAD MACs from VM0_PEER on. */
	bool dmac_ok = !memcmp(f, dmac, 5) &&
		       (__u8)(f[5] - dmac[5]) < (e->rewritten ? NH_SPREAD : 1);
	const __u8 *smac = e->rewritten ? VM0_MAC : OP_MAC;
	__u8 want_ttl = e->rewritten ? 63 : 64;

	if (len != want_len || !tags_ok(f, tags)) {
		pr_warn("%s: frame out: expected %u bytes, %s, saw %u bytes%s\n",
			what, want_len, tags ? "tags in place" : "untagged",
			len, tags_ok(f, tags) ? "" : " with other tags");
		return -1;
	}
	if (!dmac_ok || memcmp(f + 6, smac, 6) || ttl != want_ttl ||
	    (v4 && fp_csum_fold(ip, sizeof(*ip), 0) != 0xffff)) {
		pr_warn("%s: frame out: expected %s MACs and ttl %u with a "
			"valid checksum, saw ttl %u\n",
			what, e->rewritten ? "rewritten" : "original", want_ttl,
			ttl);
		return -1;
	}
	return 0;
}

/* One test run of the wrapper with arm_fd in the slot; checked. */
static int run_arm(const char *what, struct fastpath *fp, int arm_fd,
		   const struct expect *e, __u32 repeat, __u32 *ns)
{
	struct xdp_md ctx = { .data_end = BN_FRAME_LEN,
			      .ingress_ifindex = up0 };
	__u8 out[BN_FRAME_LEN];
	LIBBPF_OPTS(bpf_test_run_opts, t);
	__u32 slot = BN_ARM_SLOT;
	struct counts before = { 0 }, after = { 0 };
	__u64 moved = 0;

	if (update(bn->maps.bn_arms, &slot, &arm_fd) ||
	    counts__read(fp, &before))
		return -1;
	t.data_in = frames[0].bytes;
	t.data_size_in = BN_FRAME_LEN;
	t.ctx_in = &ctx;
	t.ctx_size_in = sizeof(ctx);
	t.repeat = repeat;
	if (repeat == 1) {
		t.data_out = out;
		t.data_size_out = sizeof(out);
	}
	if (bpf_prog_test_run_opts(bpf_program__fd(bn->progs.bench_xdp), &t)) {
		pr_warn("%s: bpf_prog_test_run_opts: %s\n", what,
			strerror(errno));
		return -1;
	}
	if (counts__read(fp, &after))
		return -1;
	if (t.retval != e->retval) {
		pr_warn("%s: verdict: expected %u, saw %u\n", what, e->retval,
			t.retval);
		for (int r = 0; r < FP_R_MAX; r++)
			if (after.fp[r] != before.fp[r])
				pr_warn("  fast path counted %s\n",
					fp_reason_name(r));
		return -1;
	}
	if (after.bn[BN_C_TAIL_FAIL] != before.bn[BN_C_TAIL_FAIL] ||
	    after.bn[BN_C_NO_FRAME] != before.bn[BN_C_NO_FRAME]) {
		pr_warn("%s: the wrapper failed (tail call or frame)\n", what);
		return -1;
	}
	if (e->bn_slot >= 0 &&
	    after.bn[e->bn_slot] - before.bn[e->bn_slot] != repeat) {
		pr_warn("%s: bn_stats slot %d: expected +%u, saw +%llu\n", what,
			e->bn_slot, repeat,
			(unsigned long long)(after.bn[e->bn_slot] -
					     before.bn[e->bn_slot]));
		return -1;
	}
	for (int r = 0; r < FP_R_MAX; r++)
		moved += after.fp[r] - before.fp[r];
	if (e->fp_reason >= 0 &&
	    (after.fp[e->fp_reason] - before.fp[e->fp_reason] != repeat ||
	     moved != repeat)) {
		pr_warn("%s: counter %s: expected +%u of +%u, saw +%llu of "
			"+%llu\n",
			what, fp_reason_name(e->fp_reason), repeat, repeat,
			(unsigned long long)(after.fp[e->fp_reason] -
					     before.fp[e->fp_reason]),
			(unsigned long long)moved);
		return -1;
	}
	if (repeat == 1 && check_frame(what, out, t.data_size_out, e))
		return -1;
	*ns = t.duration;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/*
 * The median and the least of n rounds, from one sort. Whatever else the
 * machine does only adds to a round, never takes away: with many short
 * rounds (--fine) the least is the code's own cost, the same to 1 ns from
 * run to run where the median moves by half (a shared host's neighbours,
 * one round in two).
 */
static void summarize(const __u32 *v, int n, double *median, double *least)
{
	__u32 s[MAX_ROUNDS];
	int mid = n / 2;

	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_u32);
	*median = n % 2 ? s[mid] : ((double)s[mid - 1] + s[mid]) / 2;
	*least = s[0];
}

/*
 * Whether arm a has a figure in scenario sc: the kernel FIB has no
 * exclusions to compare with, nor (arm_fib) tags; the floor's tables hold
 * one host route.
 */
static bool arm_runs(const struct table *t, enum scen sc, enum arm a)
{
	if (a == ARM_FIB)
		return sc != SC_EXCL && t->fib_fed && !opt.inner;
	if (a == ARM_FLOOR)
		return t->n == 1 && (sc == SC_HOST || sc == SC_MISS);
	return true;
}

/* Arms interleaved: A, B, C, D, A, B, C, D, ...; every run checked. */
static int measure(struct table *t, enum scen sc, struct cell *c, __u32 dsts)
{
	int fds[ARM_MAX] = {
		[ARM_EMPTY] = bpf_program__fd(bn->progs.arm_empty),
		[ARM_LIMIT] = bpf_program__fd(bn->progs.arm_limit),
		[ARM_FIB] = bpf_program__fd(bn->progs.arm_fib),
		[ARM_FAST] = bpf_program__fd(t->fp->progs.fastpath_xdp),
		[ARM_FLOOR] = bpf_program__fd(bn->progs.arm_floor),
	};
	__u32 repeat = opt.repeat > dsts ? opt.repeat : dsts;
	char what[128];
	__u32 unused;

	c->routes = t->n;
	c->dsts = dsts;
	c->excl = sc == SC_EXCL ? excl_count(t->n) : 0;
	c->fib_not_fed = !t->fib_fed;
	for (int a = 0; a < ARM_MAX; a++)
		c->arm_on[a] = arm_runs(t, sc, a);
	c->fib_tagged = opt.inner;
	if (frames__load(dsts))
		return -1;
	fprintf(stderr, "  %s %s, %u routes, %u destinations ...\n",
		fam_name[t->fam], scen_name[sc], t->n, dsts);
	for (int a = 0; a < ARM_MAX; a++) {
		struct expect e = expect_of(sc, a);

		snprintf(what, sizeof(what), "%s %s n=%u %s (one frame)",
			 fam_name[t->fam], scen_name[sc], t->n, arm_name[a]);
		if (c->arm_on[a] &&
		    run_arm(what, t->fp, fds[a], &e, 1, &unused))
			return -1;
	}
	/*
	 * Round -1 warms up and is not kept: the first arm of a scenario
	 * read 21-24 ns for the empty wrapper (16-17 after), below the
	 * limit arm that does more.
	 */
	for (int r = -1; r < opt.rounds; r++) {
		for (int a = 0; a < ARM_MAX; a++) {
			struct expect e = expect_of(sc, a);

			if (!c->arm_on[a])
				continue;
			snprintf(what, sizeof(what), "%s %s n=%u %s round %d",
				 fam_name[t->fam], scen_name[sc], t->n,
				 arm_name[a], r);
			if (run_arm(what, t->fp, fds[a], &e, repeat,
				    r < 0 ? &unused : &c->ns[a][r]))
				return -1;
		}
	}
	for (int a = 0; a < ARM_MAX; a++)
		if (c->arm_on[a])
			summarize(c->ns[a], opt.rounds, &c->median[a],
				  &c->lowest[a]);
	c->measured = true;
	return 0;
}

static void not_measurable(struct cell *c, __u32 n, const char *why)
{
	c->routes = n;
	snprintf(c->why_not, sizeof(c->why_not), "%s", why);
}

static int mem_note(const struct table *t, enum mem_kind k, int si)
{
	struct mem_row *r = &mem[t->fam][k][si];

	if (maps_memory(t->fp, &r->bytes))
		return -1;
	r->routes = t->n;
	r->excl = k == MK_EXCL ? excl_count(t->n) : 0;
	r->empty = t->mem_empty;
	r->measured = true;
	return 0;
}

/* One table: host routes (host, miss, exclusion) or prefixes (prefix). */
static int run_table(enum family f, bool prefixes, int si)
{
	struct table t = { .fam = f, .prefixes = prefixes, .n = opt.sizes[si] };
	const char *why = does_not_fit(f, prefixes, t.n);

	if ((opt.family >= 0 && opt.family != (int)f) ||
	    (opt.kind >= 0 && opt.kind != prefixes))
		why = "not asked for (--family, --kind)";
	struct fp_prefix p;
	int err = -1;

	if (why) {
		if (prefixes) {
			not_measurable(&cells[f][SC_PREFIX][si], t.n, why);
		} else {
			not_measurable(&cells[f][SC_HOST][si], t.n, why);
			not_measurable(&cells[f][SC_MISS][si], t.n, why);
			not_measurable(&cells[f][SC_EXCL][si], t.n, why);
		}
		return 0;
	}
	fprintf(stderr, "%s: installing %u %s routes\n", fam_name[f], t.n,
		prefixes ? "prefix" : "host");
	if (table__fill(&t) || mem_note(&t, prefixes ? MK_PREFIX : MK_HOST, si))
		goto out_clear;
	if (t.fib_fed)
		fprintf(stderr, "  kernel FIB: %u routes in %.1f s\n", t.n,
			t.fib_secs);
	if (prefixes) {
		for (__u32 i = 0; i < t.n; i++) {
			prefix_addr(f, i, true, &p);
			if (frame_build(&p, &frames[i]))
				goto out_clear;
		}
		err = measure(&t, SC_PREFIX, &cells[f][SC_PREFIX][si], t.n);
		goto out_clear;
	}
	for (__u32 i = 0; i < t.n; i++) {
		host_addr(f, i, &p);
		if (frame_build(&p, &frames[i]))
			goto out_clear;
	}
	if (measure(&t, SC_HOST, &cells[f][SC_HOST][si], t.n))
		goto out_clear;
	for (__u32 j = 0; j < t.n; j++) {
		miss_addr(f, j, &p);
		if (frame_build(&p, &frames[j]))
			goto out_clear;
	}
	if (measure(&t, SC_MISS, &cells[f][SC_MISS][si], t.n))
		goto out_clear;
	if (table__exclude(&t, true) || mem_note(&t, MK_EXCL, si))
		goto out_clear;
	for (__u32 k = 0; k < excl_count(t.n); k++) {
		host_addr(f, excl_host(t.n, k), &p);
		if (frame_build(&p, &frames[k]))
			goto out_clear;
	}
	err = measure(&t, SC_EXCL, &cells[f][SC_EXCL][si], excl_count(t.n));

out_clear:
	table__clear(&t);
	return err;
}

/* Reports. */

static double ratio(double a, double b)
{
	return a > 0 && b > 0 ? a / b : 0;
}

/* An arm's two columns: its ns, and num / den (32-byte buffers). */
static void arm_cols(double ns, double num, double den, char *col,
		     char *ratio_col)
{
	snprintf(col, 32, "%.0f", ns);
	snprintf(ratio_col, 32, "%.2f", ratio(num, den));
}

/* The table of one statistic: each arm's median, or its least round. */
static void print_table(bool least)
{
	printf("\n| family | scenario | routes | dsts | empty | limit | fib | "
	       "fastpath | fast/limit | fib/fast | floor | fast/floor |\n"
	       "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int f = 0; f < F_MAX; f++)
		for (int sc = 0; sc < SC_MAX; sc++)
			for (int si = 0; si < opt.n_sizes; si++) {
				const struct cell *c = &cells[f][sc][si];
				const double *m = least ? c->lowest : c->median;
				char fib[32] = "—", fr[32] = "—";
				char fl[32] = "—", flr[32] = "—";

				if (!c->measured) {
					printf("| %s | %s | %u | | %s |||||||| \n",
					       fam_name[f], scen_name[sc],
					       opt.sizes[si], c->why_not);
					continue;
				}
				if (c->fib_tagged)
					snprintf(fib, sizeof(fib),
						 "off (tagged)");
				else if (c->fib_not_fed && sc != SC_EXCL)
					snprintf(
						fib, sizeof(fib),
						"not fed (kernel FIB refused)");
				if (c->arm_on[ARM_FIB])
					arm_cols(m[ARM_FIB], m[ARM_FIB],
						 m[ARM_FAST], fib, fr);
				if (c->arm_on[ARM_FLOOR])
					arm_cols(m[ARM_FLOOR], m[ARM_FAST],
						 m[ARM_FLOOR], fl, flr);
				printf("| %s | %s | %u | %u | %.0f | %.0f | %s "
				       "| %.0f | %.2f | %s | %s | %s |\n",
				       fam_name[f], scen_name[sc], c->routes,
				       c->dsts, m[ARM_EMPTY], m[ARM_LIMIT], fib,
				       m[ARM_FAST],
				       ratio(m[ARM_FAST], m[ARM_LIMIT]), fr, fl,
				       flr);
			}
	printf("\nns per packet, %s of %d interleaved rounds of %u+ "
	       "runs after one warm-up round; each figure includes the "
	       "wrapper (the empty arm). floor: arm_floor (tier 2's floor "
	       "arm), whose tables hold the one host route of a one-route "
	       "table.\n",
	       least ? "the least" : "median", opt.rounds, opt.repeat);
	if (opt.inner && !least)
		printf("Frames tagged %s (%s), up0 a trunk with that circuit; "
		       "the fast path's redirects pop the tags and their "
		       "figures include the wrapper growing the head back. "
		       "fib off: arm_fib parses no tags.\n",
		       opt.vlan,
		       opt.outer ? "802.1ad S-tag + 802.1Q C-tag" :
				   "one 802.1Q tag");
}

/* The largest measured size of a scenario, when larger than 1; or -1. */
static int largest(enum family f, enum scen sc)
{
	for (int si = opt.n_sizes - 1; si > 0; si--)
		if (cells[f][sc][si].measured)
			return si;
	return -1;
}

/*
 * The fast path's cost at the largest table over its cost at 1 route, per
 * family (goal: at most `limit`); the ratio net of the wrapper (the empty
 * arm) is shown beside it.
 */
static void goal_growth(json_object *g, enum scen sc, double limit,
			const char *what)
{
	for (int f = 0; f < F_MAX; f++) {
		int si = largest(f, sc);
		const struct cell *one = &cells[f][sc][0], *big;
		json_object *o;
		double r, net, least;
		char key[48];

		if (si < 0 || !one->measured)
			continue;
		big = &cells[f][sc][si];
		r = ratio(big->median[ARM_FAST], one->median[ARM_FAST]);
		/* the wrapper's own cost grows with the frame set: net too */
		net = ratio(big->median[ARM_FAST] - big->median[ARM_EMPTY],
			    one->median[ARM_FAST] - one->median[ARM_EMPTY]);
		least = ratio(big->lowest[ARM_FAST], one->lowest[ARM_FAST]);
		printf("- %s %s, fastpath cost at %u ÷ at 1: "
		       "%.0f / %.0f ns = %.2f× (net of the wrapper %.2f×; "
		       "least rounds %.2f×; goal ≤ %.1f× at 1M): %s\n",
		       fam_name[f], what, big->routes, big->median[ARM_FAST],
		       one->median[ARM_FAST], r, net, least, limit,
		       r <= limit ? "met" : "MISSED");
		o = json_object_new_object();
		json_object_object_add(o, "routes",
				       json_object_new_int64(big->routes));
		json_object_object_add(o, "ratio", json_object_new_double(r));
		json_object_object_add(o, "ratio_net_of_wrapper",
				       json_object_new_double(net));
		json_object_object_add(o, "ratio_lowest",
				       json_object_new_double(least));
		json_object_object_add(o, "goal",
				       json_object_new_double(limit));
		json_object_object_add(o, "met",
				       json_object_new_boolean(r <= limit));
		snprintf(key, sizeof(key), "%s_%s_cost_largest_over_1",
			 fam_name[f], scen_name[sc]);
		json_object_object_add(g, key, o);
	}
}

/*
 * Goal 2's tier-1 side: what a host hit costs beyond the floor arm (the
 * least table-driven forwarder), each family's one-route table, least
 * rounds: the fast path's own checks, model and counters, hot.
 */
static void over_floor(json_object *g)
{
	for (int f = 0; f < F_MAX; f++) {
		const struct cell *c = &cells[f][SC_HOST][0];
		const double *m = c->lowest;
		char key[48];
		double over;

		if (!c->measured || !c->arm_on[ARM_FLOOR])
			continue;
		over = m[ARM_FAST] - m[ARM_FLOOR];
		printf("- %s host hit, 1 route, least rounds: fastpath %.0f, "
		       "floor %.0f, limit %.0f, wrapper %.0f ns: %.0f ns over "
		       "the floor (goal 2 is tier 2's)\n",
		       fam_name[f], m[ARM_FAST], m[ARM_FLOOR], m[ARM_LIMIT],
		       m[ARM_EMPTY], over);
		snprintf(key, sizeof(key), "%s_host_over_floor_ns",
			 fam_name[f]);
		json_object_object_add(g, key, json_object_new_double(over));
	}
}

static json_object *goals(void)
{
	json_object *g = json_object_new_object();
	bool fib_ok = true;
	int fib_rows = 0, no_fib = 0;

	printf("\nGoals (ratios from this run; reported, never failed):\n");
	goal_growth(g, SC_HOST, 1.5, "host routes");
	goal_growth(g, SC_PREFIX, 2.0, "prefixes");
	over_floor(g);
	/* every row with both figures: host, prefix and miss */
	for (int f = 0; f < F_MAX; f++)
		for (int sc = 0; sc < SC_MAX; sc++)
			for (int si = 0; si < opt.n_sizes; si++) {
				const struct cell *c = &cells[f][sc][si];

				if (!c->measured || sc == SC_EXCL)
					continue;
				if (!c->arm_on[ARM_FIB]) {
					no_fib++;
					continue;
				}
				fib_rows++;
				if (c->median[ARM_FAST] >= c->median[ARM_FIB]) {
					fib_ok = false;
					printf("- fastpath not cheaper than fib: "
					       "%s %s %u routes (%.0f vs %.0f "
					       "ns)\n",
					       fam_name[f], scen_name[sc],
					       c->routes, c->median[ARM_FAST],
					       c->median[ARM_FIB]);
				}
			}
	printf("- fastpath cheaper per packet than fib at every measured "
	       "point (%d rows: host, prefix, miss%s): %s\n",
	       fib_rows, no_fib ? "; some without a fib figure" : "",
	       fib_ok ? "met" : "MISSED");
	json_object_object_add(g, "fastpath_cheaper_than_fib_every_size",
			       json_object_new_boolean(fib_ok));
	json_object_object_add(g, "fastpath_vs_fib_rows",
			       json_object_new_int(fib_rows));
	json_object_object_add(g, "rows_without_fib_figure",
			       json_object_new_int(no_fib));
	return g;
}

static double per_route(__u64 bytes, __u32 routes)
{
	return routes ? (double)bytes / routes : 0;
}

static void print_memory(void)
{
	printf("\nFast-path map memory (memlock of every map, /proc/self/fdinfo)"
	       ":\n\n| family | kind | routes | exclusions | map memory | "
	       "bytes/route | over empty maps, bytes/route |\n"
	       "|---|---|---:|---:|---:|---:|---:|\n");
	for (int f = 0; f < F_MAX; f++)
		for (int k = 0; k < MK_MAX; k++)
			for (int si = 0; si < opt.n_sizes; si++) {
				const struct mem_row *r = &mem[f][k][si];

				if (!r->measured)
					continue;
				printf("| %s | %s | %u | %u | %.2f MiB | %.0f | "
				       "%.0f |\n",
				       fam_name[f], mem_kind_name[k], r->routes,
				       r->excl, r->bytes / 1048576.0,
				       per_route(r->bytes, r->routes),
				       per_route(r->bytes - r->empty,
						 r->routes));
			}
}

static json_object *mem_row_json(int f, int k, const struct mem_row *r)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "family",
			       json_object_new_string(fam_name[f]));
	json_object_object_add(o, "kind",
			       json_object_new_string(mem_kind_name[k]));
	json_object_object_add(o, "routes", json_object_new_int64(r->routes));
	json_object_object_add(o, "exclusions", json_object_new_int64(r->excl));
	json_object_object_add(o, "bytes",
			       json_object_new_int64((int64_t)r->bytes));
	json_object_object_add(
		o, "bytes_per_route",
		json_object_new_double(per_route(r->bytes, r->routes)));
	json_object_object_add(o, "empty_bytes",
			       json_object_new_int64((int64_t)r->empty));
	json_object_object_add(o, "bytes_per_route_over_empty",
			       json_object_new_double(per_route(
				       r->bytes - r->empty, r->routes)));
	return o;
}

static json_object *memory_json(void)
{
	json_object *rows = json_object_new_array();

	for (int f = 0; f < F_MAX; f++)
		for (int k = 0; k < MK_MAX; k++)
			for (int si = 0; si < opt.n_sizes; si++)
				if (mem[f][k][si].measured)
					json_object_array_add(
						rows,
						mem_row_json(f, k,
							     &mem[f][k][si]));
	return rows;
}

static json_object *cell_json(int f, int sc, int si)
{
	const struct cell *c = &cells[f][sc][si];
	json_object *o = json_object_new_object(), *arms;

	json_object_object_add(o, "family",
			       json_object_new_string(fam_name[f]));
	json_object_object_add(o, "scenario",
			       json_object_new_string(scen_name[sc]));
	json_object_object_add(o, "routes",
			       json_object_new_int64(opt.sizes[si]));
	json_object_object_add(o, "measured",
			       json_object_new_boolean(c->measured));
	if (!c->measured) {
		json_object_object_add(o, "why_not",
				       json_object_new_string(c->why_not));
		return o;
	}
	json_object_object_add(o, "destinations",
			       json_object_new_int64(c->dsts));
	json_object_object_add(o, "exclusions", json_object_new_int64(c->excl));
	arms = json_object_new_object();
	for (int a = 0; a < ARM_MAX; a++) {
		json_object *arm, *ns;

		if (!c->arm_on[a])
			continue;
		arm = json_object_new_object();
		ns = json_object_new_array();
		for (int r = 0; r < opt.rounds; r++)
			json_object_array_add(
				ns, json_object_new_int64(c->ns[a][r]));
		json_object_object_add(arm, "ns_per_round", ns);
		json_object_object_add(arm, "median_ns",
				       json_object_new_double(c->median[a]));
		json_object_object_add(arm, "lowest_ns",
				       json_object_new_double(c->lowest[a]));
		json_object_object_add(arms, arm_name[a], arm);
	}
	json_object_object_add(o, "arms", arms);
	if (c->fib_tagged)
		json_object_object_add(o, "fib_why_not",
				       json_object_new_string(
					       "tagged frames: arm_fib parses "
					       "no VLAN tags"));
	else if (c->fib_not_fed && sc != SC_EXCL)
		json_object_object_add(o, "fib_why_not",
				       json_object_new_string(
					       "the kernel FIB did not take "
					       "the routes (ip -batch)"));
	json_object_object_add(
		o, "fast_over_limit",
		json_object_new_double(
			ratio(c->median[ARM_FAST], c->median[ARM_LIMIT])));
	if (c->arm_on[ARM_FIB])
		json_object_object_add(
			o, "fib_over_fast",
			json_object_new_double(ratio(c->median[ARM_FIB],
						     c->median[ARM_FAST])));
	return o;
}

static int write_json(json_object *g)
{
	json_object *root = json_object_new_object(), *rows;
	char path[256];
	int err;

	fp_test__bench_head(root, 1, opt.quick, opt.rounds);
	json_object_object_add(root, "repeat_min",
			       json_object_new_int64(opt.repeat));
	json_object_object_add(root, "frame_bytes",
			       json_object_new_int(BN_FRAME_LEN));
	json_object_object_add(root, "vlan",
			       opt.inner ? json_object_new_string(opt.vlan) :
					   NULL);
	rows = json_object_new_array();
	for (int f = 0; f < F_MAX; f++)
		for (int sc = 0; sc < SC_MAX; sc++)
			for (int si = 0; si < opt.n_sizes; si++)
				json_object_array_add(rows,
						      cell_json(f, sc, si));
	json_object_object_add(root, "results", rows);
	json_object_object_add(root, "goals", g);
	json_object_object_add(root, "map_memory", memory_json());
	snprintf(path, sizeof(path), "%s/tier1.json", opt.out);
	err = json_object_to_file_ext(path, root, JSON_C_TO_STRING_PRETTY);
	if (err)
		pr_warn("%s: %s\n", path, json_util_get_last_err());
	json_object_put(root);
	return err ? -1 : 0;
}

/* For scripts/bench.sh's gnuplot: one data block per family and scenario. */
static int write_dat(void)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/tier1.dat", opt.out);
	f = fopen(path, "w");
	if (!f) {
		pr_warn("%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (int fa = 0; fa < F_MAX; fa++)
		for (int sc = 0; sc < SC_MAX; sc++) {
			fprintf(f, "# %s %s\n# routes", fam_name[fa],
				scen_name[sc]);
			for (int a = 0; a < ARM_MAX; a++)
				fprintf(f, " %s", arm_name[a]);
			fputc('\n', f);
			for (int si = 0; si < opt.n_sizes; si++) {
				const struct cell *c = &cells[fa][sc][si];

				if (!c->measured)
					continue;
				fprintf(f, "%u", c->routes);
				for (int a = 0; a < ARM_MAX; a++) {
					if (c->arm_on[a])
						fprintf(f, " %.1f",
							c->median[a]);
					else
						fprintf(f, " NaN");
				}
				fputc('\n', f);
			}
			fprintf(f, "\n\n");
		}
	return fclose(f) ? -1 : 0;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--quick] [--fine] [--rounds N] [--repeat N] [--vlan [S/]C] [--out DIR]\n"
		"  --quick      1, 1k and 100k routes (also QUICK=1)\n"
		"  --fine       many short rounds (201 of 20000 runs; also\n"
		"               FINE=1): the least round resolves 1 ns\n"
		"  --rounds N   interleaved rounds per arm, 3..%d (3)\n"
		"  --repeat N   test runs per round, at least (1000000)\n"
		"  --sizes N    only the first N table sizes (1, 1k, 100k, 1M)\n"
		"  --family F   only ipv4 or ipv6\n"
		"  --kind K     only host tables (host, miss, exclusion) or "
		"prefix\n"
		"  --vlan [S/]C every frame tagged so (S: 802.1ad), up0 a "
		"trunk\n"
		"               with that circuit; no fib arm\n"
		"  --out DIR    where tier1.json goes (build/bench)\n",
		prog, MAX_ROUNDS);
}

static int parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "fine", no_argument, NULL, 'F' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "repeat", required_argument, NULL, 'n' },
		{ "out", required_argument, NULL, 'o' },
		{ "sizes", required_argument, NULL, 's' },
		{ "family", required_argument, NULL, 'f' },
		{ "kind", required_argument, NULL, 'k' },
		{ "vlan", required_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *q = getenv("QUICK"), *fine = getenv("FINE");
	int c, n_sizes = 0, rounds = -1;
	bool fine_on = fine && !strcmp(fine, "1");
	long long repeat = -1;

	opt.quick = q && !strcmp(q, "1");
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			opt.quick = true;
			break;
		case 'F':
			fine_on = true;
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'n':
			repeat = strtoll(optarg, NULL, 10);
			break;
		case 'o':
			opt.out = optarg;
			break;
		case 's':
			n_sizes = atoi(optarg);
			break;
		case 'f':
			opt.family = !strcmp(optarg, "ipv4") ? F4 :
				     !strcmp(optarg, "ipv6") ? F6 :
							       -2;
			break;
		case 'k':
			opt.kind = !strcmp(optarg, "host")   ? 0 :
				   !strcmp(optarg, "prefix") ? 1 :
							       -2;
			break;
		case 'V':
			if (fp_parse_vlan(optarg, &opt.outer, &opt.inner)) {
				pr_warn("--vlan %s: expected C or S/C, VLAN "
					"IDs 1 to 4094\n",
					optarg);
				usage(argv[0]);
				return -1;
			}
			opt.vlan = optarg;
			break;
		default:
			usage(argv[0]);
			return -1;
		}
	}
	/* --rounds and --repeat win over --fine, wherever they stand. */
	if (fine_on)
		opt.rounds = FINE_ROUNDS, opt.repeat = FINE_REPEAT;
	if (rounds != -1)
		opt.rounds = rounds;
	if (repeat != -1)
		opt.repeat = repeat > 0 && repeat <= UINT32_MAX ? repeat : 0;
	if (optind != argc || opt.family == -2 || opt.kind == -2 ||
	    opt.rounds < 3 || opt.rounds > MAX_ROUNDS || !opt.repeat ||
	    n_sizes < 0 || n_sizes > MAX_SIZES) {
		usage(argv[0]);
		return -1;
	}
	opt.n_sizes = n_sizes ? n_sizes : opt.quick ? 3 : 4;
	memcpy(opt.sizes, sizes_full, sizeof(opt.sizes));
	return 0;
}

int main(int argc, char **argv)
{
	json_object *g;
	int err = 1;

	if (parse_args(argc, argv))
		return 2;
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
	percpu = calloc(ncpus, sizeof(struct fp_counter));
	frames = calloc(BN_MAX_FRAMES, sizeof(*frames));
	if (!percpu || !frames) {
		pr_warn("calloc: %s\n", strerror(errno));
		goto out_free;
	}
	if (lab__up() || bench__setup() || floor__fill())
		goto out_destroy;
	for (int f = 0; f < F_MAX; f++)
		for (int si = 0; si < opt.n_sizes; si++)
			if (run_table(f, false, si) || run_table(f, true, si))
				goto out_destroy;
	print_table(false);
	print_table(true);
	print_memory();
	g = goals();
	if (write_json(g) || write_dat())
		goto out_destroy;
	printf("\nraw figures: %s/tier1.json\n", opt.out);
	err = 0;

out_destroy:
	bench__destroy(bn);
out_free:
	free(frames);
	free(percpu);
	return err;
}
