// SPDX-License-Identifier: GPL-2.0
/*
 * stats: the per-reason counters, summed over CPUs; --interval for rates
 * (like xdp-bench), --prometheus for the text exposition format, written
 * atomically to --output for node-exporter's textfile collector.
 */
#include <errno.h>
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
#include "conncount.h"
#include "commands.h"
#include "maps.h"
#include "pinset.h"
#include "log.h"
#include "parse.h"
#include "verify.h"
#include "fastpath.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void print_table(const struct fp_counter *c)
{
	printf("%-16s %14s %16s\n", "reason", "packets", "bytes");
	for (int r = 0; r < FP_R_MAX; r++)
		printf("%-16s %14llu %16llu\n", fp_reason_name(r),
		       (unsigned long long)c[r].packets,
		       (unsigned long long)c[r].bytes);
}

static json_object *counters_json(const struct fp_counter *c)
{
	json_object *root = json_object_new_object();

	for (int r = 0; r < FP_R_MAX; r++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "packets",
				       json_object_new_uint64(c[r].packets));
		json_object_object_add(o, "bytes",
				       json_object_new_uint64(c[r].bytes));
		json_object_object_add(root, fp_reason_name(r), o);
	}
	return root;
}

/*
 * The uplinks' counters, then the return path's (fastpath_port on the VM
 * ports: rc, NULL when unread) in a section of their own: "return" in
 * JSON, an addition to DESIGN.md's shape.
 */
static void print_counters(const struct fp_counter *c,
			   const struct fp_counter *rc, bool json)
{
	json_object *root;

	if (!json) {
		print_table(c);
		if (rc) {
			printf("\nreturn path (VM ports -> uplinks)\n");
			print_table(rc);
		}
		return;
	}
	root = counters_json(c);
	if (rc)
		json_object_object_add(root, "return", counters_json(rc));
	fp_json__print(root);
	json_object_put(root);
}

static void print_rates(const struct fp_counter *now,
			const struct fp_counter *before, double secs, bool json)
{
	json_object *root = json_object_new_object();

	for (int r = 0; r < FP_R_MAX; r++) {
		double pps = (now[r].packets - before[r].packets) / secs;
		double bps = (now[r].bytes - before[r].bytes) * 8.0 / secs;
		json_object *o;

		if (!json) {
			if (pps > 0)
				printf("%-16s %12.0f pps %14.0f bit/s\n",
				       fp_reason_name(r), pps, bps);
			continue;
		}
		o = json_object_new_object();
		json_object_object_add(o, "pps", json_object_new_double(pps));
		json_object_object_add(o, "bps", json_object_new_double(bps));
		json_object_object_add(root, fp_reason_name(r), o);
	}
	if (json)
		fp_json__print(root);
	else
		printf("--\n");
	fflush(stdout);
	json_object_put(root);
}

static const char *const kinds[2] = { "packets", "bytes" };

/* The HELP and TYPE lines of counter fastpath_<family>kinds[k]_total. */
static void prom_header(FILE *f, const char *family, int k, const char *help)
{
	fprintf(f,
		"# HELP fastpath_%s%s_total %s %s.\n"
		"# TYPE fastpath_%s%s_total counter\n",
		family, kinds[k], k ? "Bytes" : "Packets", help, family,
		kinds[k]);
}

int fp_stats__write_prometheus(FILE *f, const struct fp_counter *c)
{
	for (int k = 0; k < 2; k++) {
		prom_header(f, "", k,
			    "seen by the fast path on its uplinks, by verdict "
			    "reason");
		for (int r = 0; r < FP_R_MAX; r++)
			fprintf(f, "fastpath_%s_total{reason=\"%s\"} %llu\n",
				kinds[k], fp_reason_name(r),
				(unsigned long long)(k ? c[r].bytes :
							 c[r].packets));
	}
	return ferror(f) ? -EIO : 0;
}

int fp_stats__write_prometheus_return(FILE *f, const struct fp_counter *c)
{
	for (int k = 0; k < 2; k++) {
		prom_header(f, "return_", k,
			    "seen by the return path on the VM ports, by "
			    "verdict reason");
		for (int r = 0; r < FP_R_MAX; r++)
			fprintf(f,
				"fastpath_return_%s_total{reason=\"%s\"} %llu\n",
				kinds[k], fp_reason_name(r),
				(unsigned long long)(k ? c[r].bytes :
							 c[r].packets));
	}
	return ferror(f) ? -EIO : 0;
}

int fp_stats__write_prometheus_conns(FILE *f, const struct fp_conn_counters *c,
				     size_t n)
{
	if (!n)
		return 0;
	for (int k = 0; k < 2; k++) {
		prom_header(f, "connection_", k,
			    "of each ExpressRoute connection, by path (fast or "
			    "gateway)");
		for (size_t i = 0; i < n; i++)
			for (int p = 0; p < 2; p++) {
				const struct fp_counter *x = p ? &c[i].gateway :
								 &c[i].fast;

				fprintf(f,
					"fastpath_connection_%s_total{"
					"connection=\"%s\",vnet=\"%s\","
					"circuit=\"%s\",path=\"%s\"} %llu\n",
					kinds[k], c[i].name, c[i].vnet,
					c[i].circuit, p ? "gateway" : "fast",
					(unsigned long long)(k ? x->bytes :
								 x->packets));
			}
	}
	return ferror(f) ? -EIO : 0;
}

int fp_stats__write_prometheus_vlans(FILE *f, const struct fp_vlan_counters *v,
				     size_t n)
{
	static const char *const paths[3] = { "fast", "gateway", "other" };
	char vlan[16];

	if (!n)
		return 0;
	for (int k = 0; k < 2; k++) {
		prom_header(f, "vlan_", k,
			    "of each tagged circuit of a trunk uplink, by path "
			    "(fast, gateway, other: passed or dropped)");
		for (size_t i = 0; i < n; i++)
			for (int p = 0; p < 3; p++) {
				const struct fp_counter *x =
					p == 0 ? &v[i].fast :
					p == 1 ? &v[i].gateway :
						 &v[i].other;

				fprintf(f,
					"fastpath_vlan_%s_total{uplink=\"%s\","
					"vlan=\"%s\",circuit=\"%u\","
					"path=\"%s\"} %llu\n",
					kinds[k], v[i].uplink,
					fp_format_vlan(v[i].outer, v[i].inner,
						       vlan, sizeof(vlan)),
					v[i].circuit, paths[p],
					(unsigned long long)(k ? x->bytes :
								 x->packets));
			}
	}
	return ferror(f) ? -EIO : 0;
}

int fp_stats__write_prometheus_verify(FILE *f, const struct fp_ctl *ctl)
{
	static const int kinds_v[] = { FP_VERIFY_WRONG_DELIVERY,
				       FP_VERIFY_MISSED,
				       FP_VERIFY_MODEL_MISMATCH };

	fputs("# HELP fastpath_verify_disagreements Disagreements of the "
	      "program with the kernel or the model in the sync daemon's last "
	      "verify run, by kind (wrong_delivery is critical).\n"
	      "# TYPE fastpath_verify_disagreements gauge\n",
	      f);
	for (size_t i = 0; i < 3; i++)
		fprintf(f, "fastpath_verify_disagreements{kind=\"%s\"} %llu\n",
			fp_verify__kind_name(kinds_v[i]),
			(unsigned long long)ctl->verify_last[kinds_v[i]]);
	fputs("# HELP fastpath_verify_disagreements_total Disagreements of "
	      "every verify run of the sync daemon, by kind.\n"
	      "# TYPE fastpath_verify_disagreements_total counter\n",
	      f);
	for (size_t i = 0; i < 3; i++)
		fprintf(f,
			"fastpath_verify_disagreements_total{kind=\"%s\"} "
			"%llu\n",
			fp_verify__kind_name(kinds_v[i]),
			(unsigned long long)ctl->verify_total[kinds_v[i]]);
	fprintf(f,
		"# HELP fastpath_verify_transient Disagreements of the sync "
		"daemon's last verify run that went away (or were not "
		"confirmed) once it had caught up with the route changes under "
		"way: no evidence of a fault.\n"
		"# TYPE fastpath_verify_transient gauge\n"
		"fastpath_verify_transient %llu\n"
		"# HELP fastpath_verify_transient_total Transient disagreements "
		"of every verify run of the sync daemon.\n"
		"# TYPE fastpath_verify_transient_total counter\n"
		"fastpath_verify_transient_total %llu\n",
		(unsigned long long)ctl->verify_last[FP_VERIFY_TRANSIENT],
		(unsigned long long)ctl->verify_total[FP_VERIFY_TRANSIENT]);
	fprintf(f,
		"# HELP fastpath_verify_probes_total Addresses the sync "
		"daemon's verify runs probed.\n"
		"# TYPE fastpath_verify_probes_total counter\n"
		"fastpath_verify_probes_total %llu\n"
		"# HELP fastpath_verify_last_run_timestamp_seconds When the sync "
		"daemon's last verify run ended (Unix time, 0: none yet).\n"
		"# TYPE fastpath_verify_last_run_timestamp_seconds gauge\n"
		"fastpath_verify_last_run_timestamp_seconds %llu\n",
		(unsigned long long)ctl->verify_probes,
		(unsigned long long)ctl->verify_last_s);
	return ferror(f) ? -EIO : 0;
}

/* Everything --prometheus prints: reasons, connections, tagged circuits. */
struct prom {
	const struct fp_opts *o;
	const struct fp_maps *m;
};

static int write_all(FILE *f, const struct prom *pr, const struct fp_counter *c)
{
	struct fp_conn_counters *conns = NULL;
	struct fp_vlan_counters *vlans = NULL;
	struct fp_counter rc[FP_R_MAX];
	size_t n = 0;
	int err;

	err = fp_stats__write_prometheus(f, c);
	if (!err && !fp_rstats__sum(pr->m, rc))
		err = fp_stats__write_prometheus_return(f, rc);
	/* Without a readable state there are no connections to show. */
	if (!err && !fp_conn__counters(pr->o, pr->m, &conns, &n))
		err = fp_stats__write_prometheus_conns(f, conns, n);
	free(conns);
	if (!err && !fp_vlan__counters(pr->m, &vlans, &n))
		err = fp_stats__write_prometheus_vlans(f, vlans, n);
	free(vlans);
	if (!err) {
		struct fp_ctl ctl = { 0 };
		__u32 key = 0;

		bpf_map_lookup_elem(bpf_map__fd(pr->m->skel->maps.fp_ctl), &key,
				    &ctl);
		err = fp_stats__write_prometheus_verify(f, &ctl);
	}
	return err;
}

/* Scrapers must never see half a file: write beside it, then rename. */
static int write_prometheus_file(const char *path, const struct prom *pr,
				 const struct fp_counter *c)
{
	char tmp[4096];
	FILE *f;
	int err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	err = write_all(f, pr, c);
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static int emit(const struct prom *pr, const struct fp_counter *now,
		const struct fp_counter *before, double secs, bool json,
		bool prom, const char *output)
{
	int err;

	if (prom && output) {
		err = write_prometheus_file(output, pr, now);
		if (err)
			pr_warn("stats: %s: %s\n", output, strerror(-err));
		return err;
	}
	if (prom) {
		err = write_all(stdout, pr, now);
		fflush(stdout);
		return err;
	}
	if (before) {
		print_rates(now, before, secs, json);
	} else {
		struct fp_counter rc[FP_R_MAX];

		print_counters(now, fp_rstats__sum(pr->m, rc) ? NULL : rc,
			       json);
	}
	return 0;
}

struct stats_opts {
	const char *interval, *output;
	bool prometheus;
};

static const struct fp_option stats_options[] = {
	FP_OPT_VALUE("--interval", struct stats_opts, interval),
	FP_OPT_FLAG("--prometheus", struct stats_opts, prometheus),
	FP_OPT_VALUE("--output", struct stats_opts, output),
	{ 0 },
};

int fp_cmd_stats(const struct fp_opts *o, int argc, char **argv)
{
	struct stats_opts opt = { .interval = NULL };
	struct fp_counter now[FP_R_MAX], before[FP_R_MAX];
	const char *pos[FP_MAX_POS];
	struct timespec t0, t1;
	double interval = 0;
	struct fp_maps m;
	struct prom pr = { .o = o, .m = &m };
	int npos, ret = FP_EXIT_OK;
	char *end;

	npos = fp_args__parse("stats", argc, argv, stats_options, &opt, pos);
	if (npos != 0) {
		if (npos > 0)
			fp_usage_error("stats [--interval SECS] [--prometheus "
				       "[--output FILE]]");
		return FP_EXIT_USAGE;
	}
	if (opt.output && !opt.prometheus) {
		fp_usage_error("stats: --output goes with --prometheus");
		return FP_EXIT_USAGE;
	}
	if (opt.interval) {
		const char *v = opt.interval;

		/* Decimal only: strtod alone takes " 1", "0x1" and "1e1". */
		bool decimal = v[0] >= '0' && v[0] <= '9' &&
			       strspn(v, "0123456789.") == strlen(v);

		interval = decimal ? strtod(v, &end) : 0;
		if (!decimal || *end ||
		    !(interval >= 0.1 && interval <= 3600)) {
			fp_usage_error(
				"stats: --interval takes seconds (0.1 to 3600)");
			return FP_EXIT_USAGE;
		}
	}
	if (fp_env__enter(o) || fp_maps__open_readonly(&m, o))
		return FP_EXIT_ERR;
	if (fp_stats__sum(&m, now)) {
		pr_warn("stats: cannot read %s: %s\n", FP_MAP_STATS,
			strerror(errno));
		ret = FP_EXIT_ERR;
		goto out;
	}
	if (emit(&pr, now, NULL, 0, o->json, opt.prometheus, opt.output))
		ret = FP_EXIT_ERR;
	if (!interval || ret)
		goto out;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop) {
		struct timespec d = { (time_t)interval,
				      (long)((interval - (time_t)interval) *
					     1e9) };

		memcpy(before, now, sizeof(now));
		if (nanosleep(&d, NULL) && stop)
			break;
		if (fp_stats__sum(&m, now)) {
			ret = FP_EXIT_ERR;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		emit(&pr, now, before,
		     (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
		     o->json, opt.prometheus, opt.output);
		t0 = t1;
	}
out:
	fp_maps__close(&m);
	return ret;
}
