// SPDX-License-Identifier: GPL-2.0
/*
 * capture: frames with their verdict, sampled by the XDP program into the
 * fp_capture ring buffer while fp_capctl says so, written to a pcap file.
 * tcpdump on the uplink never sees a redirected frame, and xdpdump needs
 * fentry on the program, which some kernels refuse; this needs neither.
 *
 * The program samples only while its deadline lies ahead; this command
 * pushes it forward every second and clears it on the way out, so even a
 * capture killed with SIGKILL stops costing anything within seconds.
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "args.h"
#include "capture.h"
#include "fastpath.skel.h"
#include "commands.h"
#include "maps.h"
#include "pinset.h"
#include "log.h"
#include "parse.h"
#include "pcapfile.h"

/* How far ahead the deadline is pushed, every REFRESH_NS. */
#define DEADLINE_NS (3ULL * 1000000000ULL)
#define REFRESH_NS (1000000000ULL)
#define POLL_MS 200

static const char *const class_names[FP_CAP_MAX] = {
	[FP_CAP_FAST] = "fast",
	[FP_CAP_GATEWAY] = "gateway",
	[FP_CAP_DROP] = "drop",
	[FP_CAP_PASS] = "pass",
};

const char *fp_capture__class_name(__u32 class, __u32 prog)
{
	if (class == FP_CAP_GATEWAY && prog == FP_CAP_PROG_PORT)
		return "stack";
	return class < FP_CAP_MAX ? class_names[class] : "?";
}

const char *fp_capture__prog_name(__u32 prog)
{
	return prog == FP_CAP_PROG_PORT	  ? "port" :
	       prog == FP_CAP_PROG_UPLINK ? "uplink" :
					    "?";
}

int fp_capture__parse_filter(const char *s, __u32 *mask)
{
	const char *p = s;

	*mask = 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		__u32 bit = 0;

		if (n == 3 && !strncmp(p, "all", 3))
			bit = (1U << FP_CAP_MAX) - 1;
		if (n == 5 && !strncmp(p, "stack", 5))
			bit = 1U << FP_CAP_GATEWAY;
		for (__u32 c = 0; c < FP_CAP_MAX && !bit; c++)
			if (strlen(class_names[c]) == n &&
			    !strncmp(p, class_names[c], n))
				bit = 1U << c;
		if (!bit)
			return -EINVAL;
		*mask |= bit;
		p += n;
		if (*p == ',' && *++p == '\0')
			return -EINVAL;
	}
	return *mask ? 0 : -EINVAL;
}

static bool is_tpid(const __u8 *p)
{
	return (p[0] == 0x81 && p[1] == 0x00) || (p[0] == 0x88 && p[1] == 0xa8);
}

static __u16 vid(const __u8 *tci)
{
	return (__u16)((tci[0] & 0x0f) << 8 | tci[1]);
}

bool fp_capture__vlan(const struct fp_cap_rec *r, __u16 *outer, __u16 *inner)
{
	const __u8 *d = r->data;

	if (r->cap_len < 18 || !is_tpid(d + 12))
		return false;
	*outer = 0;
	*inner = vid(d + 14);
	if (d[16] != 0x81 || d[17] != 0x00)
		return true;
	if (r->cap_len < 22)
		return false;
	*outer = *inner;
	*inner = vid(d + 18);
	return true;
}

int fp_capture__format(const struct fp_cap_rec *r, const char *in,
		       const char *out, char *buf, size_t n)
{
	char vlan[24] = "";
	__u16 outer, inner;

	if (fp_capture__vlan(r, &outer, &inner)) {
		memcpy(vlan, " vlan=", 7);
		fp_format_vlan(outer, inner, vlan + 6, sizeof(vlan) - 6);
	}
	/*
	 * The uplink's lines read as they did before the return path had
	 * a program: only the port program's say which one judged them.
	 */
	return snprintf(buf, n, "%s reason=%s in=%s out=%s len=%u%s%s",
			fp_capture__class_name(r->class, r->prog),
			fp_reason_name(r->reason), in, out, r->len,
			r->prog == FP_CAP_PROG_UPLINK ? "" : " prog=port",
			vlan);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static __u64 now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Interface names, looked up once each: records arrive by the thousand. */
struct name_cache {
	__u32 ifindex[32];
	char name[32][IF_NAMESIZE + 8];
	unsigned int next;
};

static const char *if_name(struct name_cache *c, __u32 ifindex)
{
	unsigned int i, slot;

	if (!ifindex)
		return "-";
	for (i = 0; i < 32; i++)
		if (c->ifindex[i] == ifindex)
			return c->name[i];
	slot = c->next++ % 32;
	c->ifindex[slot] = ifindex;
	if (!if_indextoname(ifindex, c->name[slot]))
		snprintf(c->name[slot], sizeof(c->name[slot]), "if%u", ifindex);
	return c->name[slot];
}

struct capture {
	struct fp_pcap *pcap;
	struct name_cache names;
	__u64 realtime_off; /* CLOCK_REALTIME - CLOCK_MONOTONIC, in ns */
	unsigned long long count; /* 0: no limit */
	unsigned long long written;
	bool discard; /* draining records of an earlier capture */
	bool quiet;
	bool json;
};

static void print_record(struct capture *c, const struct fp_cap_rec *r)
{
	const char *in = if_name(&c->names, r->ifindex);
	const char *out = if_name(&c->names, r->out_ifindex);
	char line[160], vlan[16];
	__u16 outer, inner;
	json_object *j;

	if (!c->json) {
		fp_capture__format(r, in, out, line, sizeof(line));
		printf("%s\n", line);
		return;
	}
	j = json_object_new_object();
	json_object_object_add(j, "class",
			       json_object_new_string(fp_capture__class_name(
				       r->class, r->prog)));
	json_object_object_add(
		j, "reason", json_object_new_string(fp_reason_name(r->reason)));
	json_object_object_add(j, "in", json_object_new_string(in));
	json_object_object_add(
		j, "out", r->out_ifindex ? json_object_new_string(out) : NULL);
	json_object_object_add(j, "len", json_object_new_int64(r->len));
	json_object_object_add(
		j, "prog",
		json_object_new_string(fp_capture__prog_name(r->prog)));
	json_object_object_add(
		j, "vlan",
		fp_capture__vlan(r, &outer, &inner) ?
			json_object_new_string(fp_format_vlan(
				outer, inner, vlan, sizeof(vlan))) :
			NULL);
	json_object_object_add(j, "caplen", json_object_new_int64(r->cap_len));
	json_object_object_add(
		j, "ts_ns", json_object_new_uint64(r->ts_ns + c->realtime_off));
	fp_json__print(j);
	json_object_put(j);
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct capture *c = ctx;
	const struct fp_cap_rec *r = data;

	if (c->discard || size < sizeof(*r) ||
	    (c->count && c->written >= c->count))
		return 0;
	fp_pcap__write(c->pcap, r->ts_ns + c->realtime_off, r->data,
		       r->cap_len < FP_CAP_SNAPLEN_MAX ? r->cap_len :
							 FP_CAP_SNAPLEN_MAX,
		       r->len);
	c->written++;
	if (!c->quiet)
		print_record(c, r);
	return 0;
}

/* Read-modify-write: the program counts lost records in the same slot. */
static int capctl_set(int fd, const struct fp_capctl *in, struct fp_capctl *old)
{
	__u32 key = 0;

	if (old && bpf_map_lookup_elem(fd, &key, old))
		return -errno;
	return bpf_map_update_elem(fd, &key, in, BPF_ANY) ? -errno : 0;
}

static int capctl_refresh(int fd)
{
	struct fp_capctl ctl;
	__u32 key = 0;

	if (bpf_map_lookup_elem(fd, &key, &ctl))
		return -errno;
	ctl.deadline_ns = now_ns(CLOCK_MONOTONIC) + DEADLINE_NS;
	return bpf_map_update_elem(fd, &key, &ctl, BPF_ANY) ? -errno : 0;
}

/* Another capture owns the ring while its deadline lies ahead. */
static bool capture_running(int fd, __u32 *owner)
{
	struct fp_capctl ctl;
	__u32 key = 0;

	if (bpf_map_lookup_elem(fd, &key, &ctl) || !ctl.deadline_ns ||
	    ctl.deadline_ns <= now_ns(CLOCK_MONOTONIC))
		return false;
	*owner = ctl.owner;
	return !ctl.owner || !kill((pid_t)ctl.owner, 0) || errno == EPERM;
}

static int cmd_stop(const struct fp_opts *o)
{
	struct fp_capctl off = { 0 };
	struct fp_maps m;
	int ret = FP_EXIT_OK, err;

	if (fp_env__enter(o) || fp_maps__open_readonly(&m, o))
		return FP_EXIT_ERR;
	err = capctl_set(bpf_map__fd(m.skel->maps.fp_capctl), &off, NULL);
	if (err) {
		pr_warn("capture: %s: cannot switch off: %s\n", FP_MAP_CAPCTL,
			strerror(-err));
		ret = FP_EXIT_ERR;
	}
	fp_maps__close(&m);
	return ret;
}

/* Words until the first option value: -w and -q are tcpdump's spellings. */
static void long_spellings(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-w"))
			argv[i] = "--write";
		else if (!strcmp(argv[i], "-q"))
			argv[i] = "--quiet";
		else if (!strncmp(argv[i], "--", 2) && argv[i][2] &&
			 strcmp(argv[i], "--quiet") &&
			 strcmp(argv[i], "--stop"))
			i++; /* its value may well be "-w" */
	}
}

static const char usage_line[] =
	"capture -w FILE.pcap [--count N] "
	"[--filter fast|gateway|stack|drop|pass|all[,...]] [--snaplen N] [--quiet] "
	"| capture --stop";

/* A count or a length: at least 1. */
static int parse_uint(const char *s, unsigned long long max,
		      unsigned long long *v)
{
	return fp_parse_uint(s, max, v) || !*v ? -EINVAL : 0;
}

struct capture_opts {
	const char *write, *count, *filter, *snaplen;
	bool quiet, stop;
};

static const struct fp_option capture_options[] = {
	FP_OPT_VALUE("--write", struct capture_opts, write),
	FP_OPT_VALUE("--count", struct capture_opts, count),
	FP_OPT_VALUE("--filter", struct capture_opts, filter),
	FP_OPT_VALUE("--snaplen", struct capture_opts, snaplen),
	FP_OPT_FLAG("--quiet", struct capture_opts, quiet),
	FP_OPT_FLAG("--stop", struct capture_opts, stop),
	{ 0 },
};

int fp_cmd_capture(const struct fp_opts *o, int argc, char **argv)
{
	struct capture_opts opt = { .write = NULL };
	struct capture c = { .json = o->json };
	struct fp_capctl ctl = { 0 }, old;
	unsigned long long snaplen = FP_CAP_SNAPLEN_MAX, v;
	const char *pos[FP_MAX_POS], *file;
	struct ring_buffer *rb = NULL;
	struct sigaction sa = { 0 };
	__u64 refreshed, lost = 0;
	int npos, ctl_fd, err, ret = FP_EXIT_ERR;
	struct fp_maps m;
	__u32 owner = 0;

	long_spellings(argc, argv);
	npos = fp_args__parse("capture", argc, argv, capture_options, &opt,
			      pos);
	if (npos != 0) {
		if (npos > 0)
			fp_usage_error("%s", usage_line);
		return FP_EXIT_USAGE;
	}
	if (opt.stop) {
		if (opt.write || opt.count || opt.filter || opt.snaplen ||
		    opt.quiet) {
			fp_usage_error("capture --stop takes no other option");
			return FP_EXIT_USAGE;
		}
		return cmd_stop(o);
	}
	file = opt.write;
	if (!file || !*file) {
		fp_usage_error("%s", usage_line);
		return FP_EXIT_USAGE;
	}
	if (opt.count) {
		if (parse_uint(opt.count, ~0ULL, &v)) {
			fp_usage_error("capture: --count takes a number >= 1");
			return FP_EXIT_USAGE;
		}
		c.count = v;
	}
	ctl.mask = (1U << FP_CAP_MAX) - 1;
	if (opt.filter && fp_capture__parse_filter(opt.filter, &ctl.mask)) {
		fp_usage_error("capture: --filter takes fast, gateway (stack), "
			       "drop, pass or all, comma-separated");
		return FP_EXIT_USAGE;
	}
	if (opt.snaplen &&
	    parse_uint(opt.snaplen, FP_CAP_SNAPLEN_MAX, &snaplen)) {
		fp_usage_error("capture: --snaplen takes 1 to %d",
			       FP_CAP_SNAPLEN_MAX);
		return FP_EXIT_USAGE;
	}
	ctl.snaplen = (__u32)snaplen;
	/* pcap on stdout leaves no room for the text lines. */
	c.quiet = opt.quiet || !strcmp(file, "-");

	if (fp_env__enter(o) || fp_maps__open_readonly(&m, o))
		return FP_EXIT_ERR;
	ctl_fd = bpf_map__fd(m.skel->maps.fp_capctl);
	if (capture_running(ctl_fd, &owner)) {
		pr_warn("capture: %s: another capture (pid %u) is running; "
			"fastpath capture --stop ends it\n",
			FP_MAP_CAPCTL, owner);
		goto out;
	}
	c.pcap = fp_pcap__open(file, ctl.snaplen);
	if (!c.pcap)
		goto out;
	rb = ring_buffer__new(bpf_map__fd(m.skel->maps.fp_capture), on_record,
			      &c, NULL);
	if (!rb) {
		pr_warn("capture: %s: cannot map the ring buffer: %s\n",
			FP_MAP_CAPTURE, strerror(errno));
		goto out_dump;
	}
	/* Records a capture that ended early left behind are not ours. */
	c.discard = true;
	ring_buffer__consume(rb);
	c.discard = false;

	sa.sa_handler = on_signal; /* no SA_RESTART: poll returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	c.realtime_off = now_ns(CLOCK_REALTIME) - now_ns(CLOCK_MONOTONIC);
	ctl.owner = (__u32)getpid();
	refreshed = now_ns(CLOCK_MONOTONIC);
	ctl.deadline_ns = refreshed + DEADLINE_NS;
	err = capctl_set(ctl_fd, &ctl, NULL);
	if (err) {
		pr_warn("capture: %s: cannot switch on: %s\n", FP_MAP_CAPCTL,
			strerror(-err));
		goto out_rb;
	}
	ret = FP_EXIT_OK;
	while (!stop && (!c.count || c.written < c.count)) {
		err = ring_buffer__poll(rb, POLL_MS);
		if (err < 0 && err != -EINTR) {
			pr_warn("capture: %s: %s\n", FP_MAP_CAPTURE,
				strerror(-err));
			ret = FP_EXIT_ERR;
			break;
		}
		if (err > 0 && fp_pcap__flush(c.pcap)) {
			pr_warn("capture: %s: write failed\n", file);
			ret = FP_EXIT_ERR;
			break;
		}
		fflush(stdout);
		if (now_ns(CLOCK_MONOTONIC) - refreshed >= REFRESH_NS) {
			err = capctl_refresh(ctl_fd);
			if (err) {
				pr_warn("capture: %s: cannot refresh: %s\n",
					FP_MAP_CAPCTL, strerror(-err));
				ret = FP_EXIT_ERR;
				break;
			}
			refreshed = now_ns(CLOCK_MONOTONIC);
		}
	}
	memset(&ctl, 0, sizeof(ctl));
	err = capctl_set(ctl_fd, &ctl, &old);
	if (err) {
		pr_warn("capture: %s: cannot switch off: %s\n", FP_MAP_CAPCTL,
			strerror(-err));
		ret = FP_EXIT_ERR;
	} else {
		lost = old.lost;
	}
	/* What the program wrote before it saw the switch. */
	ring_buffer__consume(rb);
	fflush(stdout);
out_rb:
	ring_buffer__free(rb);
out_dump:
	if (fp_pcap__flush(c.pcap) && ret == FP_EXIT_OK) {
		pr_warn("capture: %s: write failed\n", file);
		ret = FP_EXIT_ERR;
	}
	fp_pcap__close(c.pcap);
	if (ret == FP_EXIT_OK)
		fprintf(stderr,
			"capture: %llu packets written to %s, %llu lost "
			"(ring full)\n",
			c.written, file, (unsigned long long)lost);
out:
	fp_maps__close(&m);
	return ret;
}
