// SPDX-License-Identifier: GPL-2.0
/*
 * Capture in the XDP program (fastpath capture's data path): rows of
 * frames run through the real object with BPF_PROG_TEST_RUN, with
 * fp_capctl set per row, and the fp_capture ring read back with
 * ring_buffer__consume(). The object is loaded unpinned, inside a private
 * network namespace, as in test_xdp.c.
 *
 * Each row says whether a record must appear and, if so, its class,
 * reason, ports and lengths; the bytes must be the frame as the program
 * let it go (data_out of the test run), and a forwarded frame's MACs must
 * already be the rewritten ones.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/if_ether.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>

#include "fastpath.skel.h"
#include "harness.h"
#include "capture.h"
#include "fib.h"
#include "parse.h"
#include "pktgen.h"
#include "port.h"
#include "uplink.h"
#include "check.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define FRAME_MAX 1024
#define META_LEN ((int)sizeof(struct fp_probe))
#define ALL ((1U << FP_CAP_MAX) - 1)
#define BIT(c) (1U << (c))

static const __u8 OP_MAC[6] = { 0x02, 0, 0, 0, 0x00, 0xaa };
static const __u8 UP0_MAC[6] = { 0x02, 0, 0, 0, 0x00, 0x01 };
static const __u8 UP1_MAC[6] = { 0x02, 0, 0, 0, 0x00, 0x02 };
static const __u8 VM0_MAC[6] = { 0x02, 0, 0, 0, 0x10, 0x00 };
static const __u8 VM0_PEER[6] = { 0x02, 0, 0, 0, 0x10, 0x01 };
static const __u8 GW0_MAC[6] = { 0x02, 0, 0, 0, 0x20, 0x00 };
static const __u8 GW_PEER[6] = { 0x02, 0, 0, 0, 0x20, 0x01 };

/* In the one /16 of the test range with no VM address: the lane's. */
#define SRC4 "198.19.255.1"
#define FAST4 "198.18.1.10" /* host route to vm0 */
#define MISS4 "198.18.7.7" /* no route */
#define ONPREM4 "198.18.100.5" /* on-prem, out of up0 */

/*
 *   up0  uplink, gateway verdict XDP_PASS
 *   up1  uplink whose gateway is port gw0
 *   vm0  port
 *   gw0  the gateway port of up1
 */
enum dev { D_UP0, D_UP1, D_VM0, D_GW0, D_MAX };
#define NONE D_MAX

static const struct fp_test_dev devs[D_MAX] = {
	[D_UP0] = { "up0", "op0", UP0_MAC },
	[D_UP1] = { "up1", "op1", UP1_MAC },
	[D_VM0] = { "vm0", "vmp0", VM0_MAC },
	[D_GW0] = { "gw0", "gw1", GW0_MAC },
};

static __u32 ifidx[D_MAX];
static struct fastpath *skel;
static struct ring_buffer *rb;
static int prog_fd, port_fd, capctl_fd;

enum state {
	ON, /* deadline ahead */
	OFF, /* deadline 0: the state when no capture runs */
	EXPIRED, /* on, but the reader stopped refreshing: ignored */
};

struct row {
	const char *name;
	const char *dst;
	enum dev in;
	__u8 ttl;
	__u16 payload;
	int cut; /* > 0: the frame is cut to this many bytes */
	bool probe; /* an `explain` probe in the metadata */
	enum state state;
	__u32 mask;
	__u32 snaplen;
	__u32 retval;
	bool recorded;
	__u32 class, reason;
	enum dev out; /* the record's redirect target, NONE for 0 */
	const __u8 *dmac, *smac; /* a forwarded frame's rewrite */
};

#define REC(c, r, o) .recorded = true, .class = (c), .reason = (r), .out = (o)

static const struct row rows[] = {
	{ "off: a fast frame leaves no record", FAST4, D_UP0, 64, 56, 0, false,
	  OFF, ALL, 256, XDP_REDIRECT, .out = NONE },
	{ "off: a dropped frame leaves no record", FAST4, D_UP0, 64, 56,
	  ETH_HLEN + 19, false, OFF, ALL, 256, XDP_DROP, .out = NONE },
	{ "expired deadline: no record", FAST4, D_UP0, 64, 56, 0, false,
	  EXPIRED, ALL, 256, XDP_REDIRECT, .out = NONE },
	{ "fast: rewritten frame, out vm0", FAST4, D_UP0, 64, 56, 0, false, ON,
	  ALL, 256, XDP_REDIRECT, REC(FP_CAP_FAST, FP_R_FASTPATH, D_VM0),
	  .dmac = VM0_PEER, .smac = VM0_MAC },
	{ "gateway, passed: miss, no out", MISS4, D_UP0, 64, 56, 0, false, ON,
	  ALL, 256, XDP_PASS, REC(FP_CAP_GATEWAY, FP_R_MISS, NONE) },
	{ "gateway, redirected: miss, out gw0", MISS4, D_UP1, 64, 56, 0, false,
	  ON, ALL, 256, XDP_REDIRECT, REC(FP_CAP_GATEWAY, FP_R_MISS, D_GW0),
	  .dmac = GW_PEER, .smac = GW0_MAC },
	{ "drop: truncated IPv4 header", FAST4, D_UP0, 64, 56, ETH_HLEN + 19,
	  false, ON, ALL, 256, XDP_DROP,
	  REC(FP_CAP_DROP, FP_R_MALFORMED, NONE) },
	{ "pass: TTL 1", FAST4, D_UP0, 1, 56, 0, false, ON, ALL, 256, XDP_PASS,
	  REC(FP_CAP_PASS, FP_R_TTL_EXPIRED, NONE) },
	{ "pass: arriving on no uplink", FAST4, D_VM0, 64, 56, 0, false, ON,
	  ALL, 256, XDP_PASS, REC(FP_CAP_PASS, FP_R_NOT_UPLINK, NONE) },
	{ "probe, fast: never recorded", FAST4, D_UP0, 64, 56, 0, true, ON, ALL,
	  256, XDP_REDIRECT, .out = NONE },
	{ "probe, miss: never recorded", MISS4, D_UP0, 64, 56, 0, true, ON, ALL,
	  256, XDP_PASS, .out = NONE },
	{ "filter fast: a miss is not recorded", MISS4, D_UP0, 64, 56, 0, false,
	  ON, BIT(FP_CAP_FAST), 256, XDP_PASS, .out = NONE },
	{ "filter fast: a fast frame is", FAST4, D_UP0, 64, 56, 0, false, ON,
	  BIT(FP_CAP_FAST), 256, XDP_REDIRECT,
	  REC(FP_CAP_FAST, FP_R_FASTPATH, D_VM0), .dmac = VM0_PEER,
	  .smac = VM0_MAC },
	{ "filter gateway,drop: a fast frame is not", FAST4, D_UP0, 64, 56, 0,
	  false, ON, BIT(FP_CAP_GATEWAY) | BIT(FP_CAP_DROP), 256, XDP_REDIRECT,
	  .out = NONE },
	{ "filter gateway,drop: a drop is", FAST4, D_UP0, 64, 56, ETH_HLEN + 19,
	  false, ON, BIT(FP_CAP_GATEWAY) | BIT(FP_CAP_DROP), 256, XDP_DROP,
	  REC(FP_CAP_DROP, FP_R_MALFORMED, NONE) },
	{ "filter drop: a pass is not", FAST4, D_UP0, 1, 56, 0, false, ON,
	  BIT(FP_CAP_DROP), 256, XDP_PASS, .out = NONE },
	{ "snaplen 64 of a 98-byte frame", FAST4, D_UP0, 64, 56, 0, false, ON,
	  ALL, 64, XDP_REDIRECT, REC(FP_CAP_FAST, FP_R_FASTPATH, D_VM0),
	  .dmac = VM0_PEER, .smac = VM0_MAC },
	{ "snaplen 1", MISS4, D_UP0, 64, 56, 0, false, ON, ALL, 1, XDP_PASS,
	  REC(FP_CAP_GATEWAY, FP_R_MISS, NONE) },
	{ "a 1,000-byte frame: 256 bytes kept", FAST4, D_UP0, 64, 958, 0, false,
	  ON, ALL, 256, XDP_REDIRECT, REC(FP_CAP_FAST, FP_R_FASTPATH, D_VM0),
	  .dmac = VM0_PEER, .smac = VM0_MAC },
	{ "snaplen above the maximum: clamped to 256", FAST4, D_UP0, 64, 958, 0,
	  false, ON, ALL, 4096, XDP_REDIRECT,
	  REC(FP_CAP_FAST, FP_R_FASTPATH, D_VM0), .dmac = VM0_PEER,
	  .smac = VM0_MAC },
};

/* Records read back; the tests keep at most a few. */
struct seen {
	struct fp_cap_rec rec[4];
	int n;
	size_t size;
};

static struct seen seen;

static int on_record(void *ctx, void *data, size_t size)
{
	(void)ctx;
	if (seen.n < (int)ARRAY_SIZE(seen.rec))
		memcpy(&seen.rec[seen.n], data,
		       size < sizeof(seen.rec[0]) ? size : sizeof(seen.rec[0]));
	seen.size = size;
	seen.n++;
	return 0;
}

static int drain(void)
{
	memset(&seen, 0, sizeof(seen));
	return ring_buffer__consume(rb);
}

static void set_capctl(enum state st, __u32 mask, __u32 snaplen)
{
	struct fp_capctl ctl = { .mask = mask, .snaplen = snaplen };
	__u32 key = 0;

	ctl.deadline_ns = st == ON ? UINT64_MAX : st == EXPIRED ? 1 : 0;
	check_int("update fp_capctl", 0,
		  bpf_map_update_elem(capctl_fd, &key, &ctl, BPF_ANY) ? -errno :
									0);
}

static int build_frame(const char *dst, enum dev in, __u8 ttl, __u16 payload,
		       __u8 *f)
{
	struct fp_pktspec s = { .ttl = ttl, .payload = payload };

	memcpy(s.dmac, devs[in].mac, 6);
	memcpy(s.smac, OP_MAC, 6);
	s.src.family = s.dst.family = AF_INET;
	if (inet_pton(AF_INET, dst, s.dst.addr) != 1 ||
	    inet_pton(AF_INET, SRC4, s.src.addr) != 1)
		return -1;
	return fp_pkt__build(&s, f, FRAME_MAX);
}

/* One test run; returns the frame length, fills out (metadata stripped). */
static int run_prog(int fd, const __u8 *frame, int len, bool probe, enum dev in,
		    __u8 *out, __u32 *retval, __u32 repeat)
{
	static __u8 out_buf[2 * FRAME_MAX];
	struct fp_probe p = { .magic = FP_EXPLAIN_MAGIC };
	struct fp_test_run t = { .prog_fd = fd,
				 .ifindex = ifidx[in],
				 .meta = &p,
				 .meta_len = probe ? META_LEN : 0,
				 .repeat = repeat };

	check_int("fp_test__run", 0,
		  fp_test__run(&t, frame, len, out_buf, sizeof(out_buf)));
	*retval = t.retval;
	if (out)
		memcpy(out, out_buf + t.meta_len, len);
	return len;
}

static int run(const __u8 *frame, int len, bool probe, enum dev in, __u8 *out,
	       __u32 *retval, __u32 repeat)
{
	return run_prog(prog_fd, frame, len, probe, in, out, retval, repeat);
}

static __u64 monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void run_row(void **state)
{
	const struct row *r = *state;
	static __u8 frame[FRAME_MAX], out[FRAME_MAX];
	const struct fp_cap_rec *rec = &seen.rec[0];
	__u32 retval, want_cap;
	__u64 t0, t1;
	int len;

	print_message("%s\n", r->name);
	len = build_frame(r->dst, r->in, r->ttl, r->payload, frame);
	check_true("the frame was built", len > 0);
	if (r->cut)
		len = r->cut;
	check_int("records left from earlier rows", 0, drain());
	set_capctl(r->state, r->mask, r->snaplen);
	t0 = monotonic_ns();
	run(frame, len, r->probe, r->in, out, &retval, 1);
	t1 = monotonic_ns();
	set_capctl(OFF, 0, 0);
	check_int("verdict (XDP action)", r->retval, retval);
	check_int("records consumed", r->recorded, drain());
	check_int("records seen", r->recorded, seen.n);
	if (!r->recorded)
		return;

	want_cap = r->snaplen < (__u32)len ? r->snaplen : (__u32)len;
	if (want_cap > FP_CAP_SNAPLEN_MAX)
		want_cap = FP_CAP_SNAPLEN_MAX;
	check_int("record size", sizeof(struct fp_cap_rec), seen.size);
	check_str("program", "uplink", fp_capture__prog_name(rec->prog));
	if (rec->class != r->class) {
		print_error("class: expected %s, saw %s\n",
			    fp_capture__class_name(r->class,
						   FP_CAP_PROG_UPLINK),
			    fp_capture__class_name(rec->class, rec->prog));
		fail();
		abort();
	}
	check_str("reason", fp_reason_name(r->reason),
		  fp_reason_name(rec->reason));
	check_int("action", r->retval, rec->action);
	check_int("ifindex in", ifidx[r->in], rec->ifindex);
	check_int("ifindex out", r->out == NONE ? 0 : ifidx[r->out],
		  rec->out_ifindex);
	check_int("frame length", len, rec->len);
	check_int("captured length", want_cap, rec->cap_len);
	check_true("timestamp within the test run",
		   rec->ts_ns >= t0 && rec->ts_ns <= t1);
	check_mem("captured bytes = the frame as it left", out, rec->data,
		  want_cap);
	if (r->dmac && want_cap >= 12) {
		check_mem("captured destination MAC (rewritten)", r->dmac,
			  rec->data, 6);
		check_mem("captured source MAC (rewritten)", r->smac,
			  rec->data + 6, 6);
	} else if (want_cap >= 12) {
		check_mem("captured frame (untouched)", frame, rec->data,
			  want_cap);
	}
}

/*
 * The return path's program writes into the same ring, its records
 * marked FP_CAP_PROG_PORT: a frame from vm0 to on-prem, out of up0, and
 * one from an address vm0 does not own, dropped.
 */
static void test_port_records(void **state)
{
	static const struct {
		const char *src, *dst, *class;
		__u32 retval, reason;
		enum dev out;
	} runs[] = {
		{ FAST4, ONPREM4, "fast", XDP_REDIRECT, FP_R_FASTPATH, D_UP0 },
		{ ONPREM4, ONPREM4, "drop", XDP_DROP, FP_R_SPOOFED, NONE },
		/* No on-prem entry: the host's stack, not a gateway. */
		{ FAST4, MISS4, "stack", XDP_PASS, FP_R_MISS, NONE },
	};
	static __u8 frame[FRAME_MAX], out[FRAME_MAX];
	struct fp_pktspec s = { .ttl = 64, .payload = 56 };
	const struct fp_cap_rec *rec = &seen.rec[0];
	__u32 retval;
	int len;

	for (size_t i = 0; i < ARRAY_SIZE(runs); i++) {
		memcpy(s.dmac, VM0_MAC, 6);
		memcpy(s.smac, VM0_PEER, 6);
		s.src.family = s.dst.family = AF_INET;
		check_int("source", 1,
			  inet_pton(AF_INET, runs[i].src, s.src.addr));
		check_int("destination", 1,
			  inet_pton(AF_INET, runs[i].dst, s.dst.addr));
		len = fp_pkt__build(&s, frame, FRAME_MAX);
		check_true("the frame was built", len > 0);
		check_int("records left from earlier rows", 0, drain());
		set_capctl(ON, ALL, 256);
		run_prog(port_fd, frame, len, false, D_VM0, out, &retval, 1);
		set_capctl(OFF, 0, 0);
		check_int("verdict (XDP action)", runs[i].retval, retval);
		check_int("records", 1, drain());
		check_str("program", "port", fp_capture__prog_name(rec->prog));
		check_str("class", runs[i].class,
			  fp_capture__class_name(rec->class, rec->prog));
		check_str("reason", fp_reason_name(runs[i].reason),
			  fp_reason_name(rec->reason));
		check_int("ifindex in", ifidx[D_VM0], rec->ifindex);
		check_int("ifindex out",
			  runs[i].out == NONE ? 0 : ifidx[runs[i].out],
			  rec->out_ifindex);
		check_mem("captured bytes = the frame as it left", out,
			  rec->data, len < 256 ? len : 256);
	}
}

/* A full ring: what does not fit is counted in fp_capctl.lost. */
static void test_ring_full_counts_lost(void **state)
{
	static __u8 frame[FRAME_MAX];
	const __u32 runs = 5000;
	struct fp_capctl ctl;
	__u32 retval, key = 0;
	int len, got;

	len = build_frame(MISS4, D_UP0, 64, 56, frame);
	check_true("the frame was built", len > 0);
	check_int("records left from earlier rows", 0, drain());
	set_capctl(ON, ALL, 256);
	run(frame, len, false, D_UP0, NULL, &retval, runs);
	check_int("lookup fp_capctl", 0,
		  bpf_map_lookup_elem(capctl_fd, &key, &ctl) ? -errno : 0);
	set_capctl(OFF, 0, 0);
	got = drain();
	check_int("verdict", XDP_PASS, retval);
	check_true("the ring filled up (some records lost)", ctl.lost > 0);
	check_true("fewer records than runs", got < (int)runs);
	check_int("records + lost", runs, got + ctl.lost);
}

/* The pure parts of loader/capture.c. */
static void test_filter_words(void **state)
{
	static const struct {
		const char *s;
		int err;
		__u32 mask;
	} cases[] = {
		{ "fast", 0, BIT(FP_CAP_FAST) },
		{ "gateway", 0, BIT(FP_CAP_GATEWAY) },
		{ "drop", 0, BIT(FP_CAP_DROP) },
		{ "pass", 0, BIT(FP_CAP_PASS) },
		{ "all", 0, ALL },
		{ "fast,drop", 0, BIT(FP_CAP_FAST) | BIT(FP_CAP_DROP) },
		{ "gateway,all", 0, ALL },
		{ "stack", 0, BIT(FP_CAP_GATEWAY) },
		{ "stack,drop", 0, BIT(FP_CAP_GATEWAY) | BIT(FP_CAP_DROP) },
		{ "stac", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ "fast,", -EINVAL, 0 },
		{ ",fast", -EINVAL, 0 },
		{ "fastpath", -EINVAL, 0 },
		{ "fas", -EINVAL, 0 },
		{ "FAST", -EINVAL, 0 },
	};
	char what[64];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		__u32 mask = 0;
		int err = fp_capture__parse_filter(cases[i].s, &mask);

		snprintf(what, sizeof(what), "parse_filter(\"%s\")",
			 cases[i].s);
		check_int(what, cases[i].err, err);
		if (!err)
			check_int(what, cases[i].mask, mask);
	}
}

static void test_format_line(void **state)
{
	struct fp_cap_rec r = { .class = FP_CAP_FAST,
				.reason = FP_R_FASTPATH,
				.len = 98 };
	char buf[128];

	fp_capture__format(&r, "uplink0", "tap-vm1", buf, sizeof(buf));
	check_str("line", "fast reason=fastpath in=uplink0 out=tap-vm1 len=98",
		  buf);
	r.class = FP_CAP_GATEWAY;
	r.reason = FP_R_EXCLUDED;
	r.len = 60;
	fp_capture__format(&r, "uplink0", "-", buf, sizeof(buf));
	check_str("line", "gateway reason=excluded in=uplink0 out=- len=60",
		  buf);
	/* A gateway frame from a trunk: the tags it came with. */
	static const __u8 q[] = { 0x81, 0x00, 0xe0, 0x64, 0x08, 0x00 };
	static const __u8 qinq[] = { 0x88, 0xa8, 0x01, 0x2c,
				     0x81, 0x00, 0x21, 0x90 };

	memcpy(r.data + 12, q, sizeof(q));
	r.cap_len = 60;
	fp_capture__format(&r, "uplink0", "-", buf, sizeof(buf));
	check_str("line, one tag (priority bits set)",
		  "gateway reason=excluded in=uplink0 out=- len=60 vlan=100",
		  buf);
	memcpy(r.data + 12, qinq, sizeof(qinq));
	fp_capture__format(&r, "uplink0", "-", buf, sizeof(buf));
	check_str(
		"line, QinQ",
		"gateway reason=excluded in=uplink0 out=- len=60 vlan=300/400",
		buf);
	/* Cut inside the second tag: no VLAN claimed. */
	r.cap_len = 20;
	fp_capture__format(&r, "uplink0", "-", buf, sizeof(buf));
	check_str("line, cut in the tags",
		  "gateway reason=excluded in=uplink0 out=- len=60", buf);
	/* The return path's program says so; the uplink's lines do not. */
	memset(&r, 0, sizeof(r));
	r.class = FP_CAP_FAST;
	r.reason = FP_R_FASTPATH;
	r.len = 98;
	r.prog = FP_CAP_PROG_PORT;
	fp_capture__format(&r, "tap-vm1", "uplink0", buf, sizeof(buf));
	check_str(
		"line, the return path",
		"fast reason=fastpath in=tap-vm1 out=uplink0 len=98 prog=port",
		buf);
	r.class = FP_CAP_GATEWAY;
	r.reason = FP_R_MISS;
	fp_capture__format(&r, "tap-vm1", "-", buf, sizeof(buf));
	check_str("line, the return path's miss (to the host's stack)",
		  "stack reason=miss in=tap-vm1 out=- len=98 prog=port", buf);
	check_str("prog name, port", "port",
		  fp_capture__prog_name(FP_CAP_PROG_PORT));
	check_str("prog name, uplink", "uplink",
		  fp_capture__prog_name(FP_CAP_PROG_UPLINK));
	check_str("prog name, unknown", "?", fp_capture__prog_name(7));
}

/* Setup: namespace, devices, object, maps. */

static struct fp_maps m; /* skel's, for loader/fib.c, port.c, uplink.c */

/* vm0 with the return path on: fastpath_port's records too. */
static int add_port(enum dev d, const __u8 *peer)
{
	return fp_test__port(&m, ifidx[d], devs[d].name, devs[d].mac, peer,
			     1500, d == D_VM0 ? FP_PORT_F_RETURN : 0);
}

static int fill_maps(void)
{
	struct fp_uplink up0 = { 0 }, up1 = { .gw_ifindex = ifidx[D_GW0] };

	memcpy(up0.mac, UP0_MAC, 6);
	memcpy(up1.mac, UP1_MAC, 6);
	/* Through loader/fib.c, the one writer of the route maps. */
	m.skel = skel;
	return fp_maps__fill_fds(&m) ||
	       fp_uplinks__put(&m, ifidx[D_UP0], &up0) ||
	       fp_uplinks__put(&m, ifidx[D_UP1], &up1) ||
	       add_port(D_VM0, VM0_PEER) || add_port(D_GW0, GW_PEER) ||
	       fp_test__route(&m, FAST4, 32, ifidx[D_VM0], VM0_PEER) ||
	       fp_test__onprem(&m, "198.18.100.0", 24, ifidx[D_UP0], "up0",
			       UP0_MAC, 1500, OP_MAC);
}

static int group_setup(void **state)
{
	if (fp_test__netns() || fp_test__devices(devs, D_MAX, ifidx))
		return -1;
	skel = fp_test__load();
	if (!skel)
		return -1;
	prog_fd = bpf_program__fd(skel->progs.fastpath_xdp);
	port_fd = bpf_program__fd(skel->progs.fastpath_port);
	capctl_fd = bpf_map__fd(skel->maps.fp_capctl);
	rb = ring_buffer__new(bpf_map__fd(skel->maps.fp_capture), on_record,
			      NULL, NULL);
	if (!rb) {
		print_error("ring_buffer__new: %s\n", strerror(errno));
		return -1;
	}
	return fill_maps() ? -1 : 0;
}

static int group_teardown(void **state)
{
	ring_buffer__free(rb);
	rb = NULL;
	fastpath__destroy(skel);
	skel = NULL;
	return 0;
}

int main(void)
{
	static struct CMUnitTest tests[ARRAY_SIZE(rows) + 4];
	size_t n = ARRAY_SIZE(rows);

	for (size_t i = 0; i < n; i++) {
		tests[i].name = rows[i].name;
		tests[i].test_func = run_row;
		tests[i].initial_state = (void *)&rows[i];
	}
	tests[n] =
		(struct CMUnitTest)cmocka_unit_test(test_ring_full_counts_lost);
	tests[n + 1] = (struct CMUnitTest)cmocka_unit_test(test_filter_words);
	tests[n + 2] = (struct CMUnitTest)cmocka_unit_test(test_format_line);
	tests[n + 3] = (struct CMUnitTest)cmocka_unit_test(test_port_records);

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests_name("capture", tests, group_setup,
					   group_teardown);
}
