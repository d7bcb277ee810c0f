// SPDX-License-Identifier: GPL-2.0
/*
 * `fastpath verify`: every entry of the maps (its first, last and one
 * random address), every exclusion and VNet address space, every usable
 * neighbour on a VM port, and N random addresses inside the fast
 * prefixes, each answered by the program, the kernel and the model
 * (vrun.h); each disagreement has the daemon's looks (vlook.h), so that
 * an update in flight is no finding but a transient one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include <linux/rtnetlink.h>

#include "args.h"
#include "commands.h"
#include "fib.h"
#include "log.h"
#include "pinset.h"
#include "vlook.h"
#include "vrun.h"

#define VERIFY_CHUNK 4096
#define VERIFY_SAMPLE_DEFAULT 1000
#define VERIFY_SAMPLE_MAX 10000000ULL
#define VERIFY_USAGE "verify [--sample N] [--uplink IFACE] [--table ID]"

/*
 * The probes, in chunks of VERIFY_CHUNK: a full chunk is answered at once
 * and only its disagreements are kept, so a table of millions needs a
 * chunk's memory and its findings'.
 */
struct plist {
	struct fp_vctx *vc; /* &ctx */
	struct fp_vctx ctx;
	struct fp_vresult v[VERIFY_CHUNK];
	size_t n;
	struct fp_vresult *bad; /* disagreements so far */
	size_t nbad, capbad;
	struct fp_prefix *fastp; /* the entries with a port, to sample */
	size_t nfast, capfast;
	size_t probes, unknown;
	__u64 transient; /* disagreements gone or changed on a look */
	size_t entries, exclusions, spaces, neighbours, samples;
	__u64 rnd;
};

/* xorshift64*: no need for more than an even spread. */
static __u64 next_rnd(__u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static int keep_bad(struct plist *l, const struct fp_vresult *r)
{
	if (l->nbad == l->capbad) {
		size_t cap = l->capbad ? 2 * l->capbad : 64;
		struct fp_vresult *nb = realloc(l->bad, cap * sizeof(*nb));

		if (!nb)
			return -ENOMEM;
		l->bad = nb;
		l->capbad = cap;
	}
	l->bad[l->nbad++] = *r;
	return 0;
}

/* The chunk answered; its disagreements kept. */
static int flush(struct plist *l)
{
	int err = fp_vctx__check(l->vc, l->v, l->n);

	for (size_t i = 0; i < l->n && !err; i++) {
		l->unknown += l->v[i].kern.kind == FP_VK_UNKNOWN;
		if (l->v[i].kind != FP_V_AGREE)
			err = keep_bad(l, &l->v[i]);
	}
	l->probes += l->n;
	l->n = 0;
	return err;
}

static int push(struct plist *l, const struct fp_prefix *p, int which,
		const char *what)
{
	struct fp_vresult *r;
	int err;

	if (l->n == VERIFY_CHUNK) {
		err = flush(l);
		if (err)
			return err;
	}
	r = &l->v[l->n++];
	memset(r, 0, sizeof(*r));
	fp_verify__address(p, which, next_rnd(&l->rnd), &r->addr);
	r->from = *p;
	r->what = what;
	return 0;
}

/* First, last and a random address; a host prefix has one. */
static int push3(struct plist *l, const struct fp_prefix *p, const char *what)
{
	int bits = p->family == AF_INET ? 32 : 128;
	int err = 0;

	for (int w = 0; w < 3 && !err; w++)
		if (!w || bits - p->len >= (w == 1 ? 1 : 2))
			err = push(l, p, w, what);
	return err;
}

static int on_entry(const struct fp_prefix *p, const struct fp_route *rt,
		    void *ctx)
{
	struct plist *l = ctx;

	l->entries++;
	if (rt->ifindex) {
		if (l->nfast == l->capfast) {
			size_t cap = l->capfast ? 2 * l->capfast : 1024;
			struct fp_prefix *np =
				realloc(l->fastp, cap * sizeof(*np));

			if (!np)
				return -ENOMEM;
			l->fastp = np;
			l->capfast = cap;
		}
		l->fastp[l->nfast++] = *p;
	}
	return push3(l, p, "entry");
}

static int on_exclusion(const struct fp_prefix *p, __u32 class, void *ctx)
{
	struct plist *l = ctx;

	(void)class;
	l->exclusions++;
	return push3(l, p, "exclusion");
}

static int on_neighbour(const struct fp_prefix *a, void *ctx)
{
	struct plist *l = ctx;

	l->neighbours++;
	return push(l, a, 0, "neighbour");
}

static int spaces(const struct fp_maps *m, struct plist *l)
{
	int fds[2] = { m->vnets4, m->vnets6 };
	int err = 0;

	for (int f = 0; f < 2 && !err; f++) {
		struct fp_lpm6 key, *prev = NULL;
		struct fp_prefix p;

		while (fds[f] > 0 && !err &&
		       !bpf_map_get_next_key(fds[f], prev, &key)) {
			prev = &key;
			if (f == 0)
				fp_prefix__from_lpm4((struct fp_lpm4 *)&key,
						     &p);
			else
				fp_prefix__from_lpm6(&key, &p);
			l->spaces++;
			err = push3(l, &p, "space");
		}
	}
	return err;
}

/* Every probe asked and answered; the disagreements in l->bad. */
static int run(const struct fp_maps *m, struct plist *l, size_t samples)
{
	int err = fp_fib__for_each(m, on_entry, l);

	if (!err)
		err = fp_fib__for_each_exclusion(m, on_exclusion, l);
	if (!err)
		err = spaces(m, l);
	if (!err)
		err = fp_vctx__neighbours(l->vc, on_neighbour, l);
	for (size_t i = 0; i < samples && l->nfast && !err; i++) {
		err = push(l, &l->fastp[next_rnd(&l->rnd) % l->nfast], 2,
			   "sample");
		l->samples++;
	}
	return err ? err : flush(l);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int by_address(const void *a, const void *b)
{
	const struct fp_vresult *x = a, *y = b;
	int c = x->addr.family - y->addr.family;

	if (!c)
		c = memcmp(x->addr.addr, y->addr.addr, sizeof(x->addr.addr));
	return c ? c : (int)x->kind - (int)y->kind;
}

/* One finding per address and kind, in address order. */
static size_t dedupe(struct fp_vresult *r, size_t n)
{
	size_t k = 0;

	if (!n)
		return 0;
	qsort(r, n, sizeof(*r), by_address);
	for (size_t i = 0; i < n; i++)
		if (!k || by_address(&r[k - 1], &r[i]))
			r[k++] = r[i];
	return k;
}

/*
 * The disagreements that hold on their looks (vlook.h: the kernel's and
 * the maps' state may have been between an event and its update; each
 * look FP_VLOOK_GAP_MS after the one before, with the ports, neighbours
 * and model read anew): l->bad keeps those, one per address and kind;
 * the others count in l->transient.
 */
static int confirm(struct plist *l)
{
	struct timespec gap = { 0, FP_VLOOK_GAP_MS * 1000000L };
	struct fp_vlist s = { 0 }, held = { 0 };
	size_t n = dedupe(l->bad, l->nbad);
	int err;

	l->nbad = n;
	err = fp_vlist__reserve(&s, n);
	for (size_t i = 0; i < n && !err; i++)
		err = fp_vlist__add(&s, &l->bad[i]);
	while (s.n && !err) {
		nanosleep(&gap, NULL);
		err = fp_vctx__refresh(l->vc);
		if (!err)
			err = fp_vlook__pass(l->vc, &s, &held, &l->transient,
					     NULL, NULL);
	}
	if (!err) {
		/* held.n <= n: the room of l->bad. */
		if (held.n)
			memcpy(l->bad, held.r, held.n * sizeof(*held.r));
		l->nbad = dedupe(l->bad, held.n);
	}
	fp_vlist__free(&s);
	fp_vlist__free(&held);
	return err;
}

static void print_json(const struct fp_vctx *v, const struct plist *l,
		       const size_t *count, double secs)
{
	json_object *j = json_object_new_object(), *c, *a;
	char src[FP_PREFIX_STRLEN];

	json_object_object_add(j, "uplink", json_object_new_string(v->pr.name));
	json_object_object_add(j, "table", json_object_new_int64(v->table));
	json_object_object_add(j, "source4",
			       json_object_new_string(fp_format_prefix(
				       &v->rg.src4, src, sizeof(src))));
	json_object_object_add(j, "source6",
			       json_object_new_string(fp_format_prefix(
				       &v->rg.src6, src, sizeof(src))));
	json_object_object_add(j, "model",
			       json_object_new_boolean(v->have_plan &&
						       v->circuit));
	json_object_object_add(j, "probes", json_object_new_int64(l->probes));
	json_object_object_add(j, "entries", json_object_new_int64(l->entries));
	json_object_object_add(j, "exclusions",
			       json_object_new_int64(l->exclusions));
	json_object_object_add(j, "spaces", json_object_new_int64(l->spaces));
	json_object_object_add(j, "neighbours",
			       json_object_new_int64(l->neighbours));
	json_object_object_add(j, "samples", json_object_new_int64(l->samples));
	json_object_object_add(j, "unknown", json_object_new_int64(l->unknown));
	json_object_object_add(j, "seconds", json_object_new_double(secs));
	c = json_object_new_object();
	for (int k = FP_V_AGREE + 1; k < FP_V_KINDS; k++)
		json_object_object_add(c, fp_verify__kind_name(k),
				       json_object_new_int64(count[k]));
	json_object_object_add(j, "disagreements", c);
	json_object_object_add(j, "transient",
			       json_object_new_uint64(l->transient));
	a = json_object_new_array();
	for (size_t i = 0; i < l->nbad; i++)
		json_object_array_add(a, fp_vresult__json(v, &l->bad[i]));
	json_object_object_add(j, "findings", a);
	fp_json__print(j);
	json_object_put(j);
}

struct verify_opts {
	const char *sample, *uplink, *table;
};

static const struct fp_option verify_options[] = {
	FP_OPT_VALUE("--sample", struct verify_opts, sample),
	FP_OPT_VALUE("--uplink", struct verify_opts, uplink),
	FP_OPT_VALUE("--table", struct verify_opts, table),
	{ 0 },
};

static int verify(const struct fp_opts *o, const struct verify_opts *opt,
		  size_t samples, __u32 table, struct plist *l)
{
	size_t count[FP_V_KINDS] = { 0 };
	struct fp_vctx *v = &l->ctx;
	int err, ret = FP_EXIT_ERR;
	struct fp_maps m;
	double t0;

	if (fp_env__enter(o) || fp_maps__open_readonly(&m, o))
		return FP_EXIT_ERR;
	t0 = now_s();
	if (fp_vctx__open(v, o, &m, opt->uplink, table, NULL, "verify"))
		goto out_close;
	l->vc = v;
	l->rnd = (__u64)time(NULL) * 0x9e3779b97f4a7c15ULL | 1;
	err = fp_vctx__refresh(v);
	if (!err)
		err = run(&m, l, samples);
	if (!err)
		err = confirm(l);
	if (err) {
		pr_warn("verify: uplink %s: %s\n", v->pr.name, strerror(-err));
		goto out;
	}
	for (size_t i = 0; i < l->nbad; i++)
		count[l->bad[i].kind]++;
	if (o->json) {
		print_json(v, l, count, now_s() - t0);
	} else {
		for (size_t i = 0; i < l->nbad; i++)
			fp_vresult__print(v, &l->bad[i], stdout);
		printf("verify: uplink %s: %zu probes (%zu entries, %zu "
		       "exclusions, %zu VNet spaces, %zu neighbours, %zu "
		       "samples) in %.2f s: %zu wrong_delivery, %zu "
		       "missed_acceleration, %zu model_mismatch (%llu "
		       "transient); %zu without a kernel answer\n",
		       v->pr.name, l->probes, l->entries, l->exclusions,
		       l->spaces, l->neighbours, l->samples, now_s() - t0,
		       count[FP_V_WRONG_DELIVERY], count[FP_V_MISSED],
		       count[FP_V_MODEL_MISMATCH],
		       (unsigned long long)l->transient, l->unknown);
	}
	ret = count[FP_V_WRONG_DELIVERY] ? FP_EXIT_ERR : FP_EXIT_OK;
out:
	fp_vctx__close(v);
out_close:
	fp_maps__close(&m);
	return ret;
}

int fp_cmd_verify(const struct fp_opts *o, int argc, char **argv)
{
	struct verify_opts opt = { .sample = NULL };
	unsigned long long samples = VERIFY_SAMPLE_DEFAULT;
	const char *pos[FP_MAX_POS];
	__u32 table = RT_TABLE_MAIN;
	struct plist *l;
	int npos, ret;

	npos = fp_args__parse("verify", argc, argv, verify_options, &opt, pos);
	if (npos != 0) {
		if (npos > 0)
			fp_usage_error(VERIFY_USAGE);
		return FP_EXIT_USAGE;
	}
	if (opt.sample &&
	    fp_parse_uint(opt.sample, VERIFY_SAMPLE_MAX, &samples)) {
		fp_usage_error("verify: --sample %s: a number 0 to %llu",
			       opt.sample, VERIFY_SAMPLE_MAX);
		return FP_EXIT_USAGE;
	}
	if (opt.uplink && fp_args__ifname("verify: uplink", opt.uplink))
		return FP_EXIT_USAGE;
	if (opt.table && fp_parse_table(opt.table, &table)) {
		fp_usage_error("verify: --table %s is not a table number",
			       opt.table);
		return FP_EXIT_USAGE;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		pr_warn("verify: out of memory\n");
		return FP_EXIT_ERR;
	}
	ret = verify(o, &opt, samples, table, l);
	free(l->bad);
	free(l->fastp);
	free(l);
	return ret;
}
