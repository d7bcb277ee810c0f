// SPDX-License-Identifier: GPL-2.0
/*
 * `fastpath apply`, `authorization` and `connection`: the model moved into
 * the maps. Every change goes from the plan the maps hold (the state
 * file's "applied") to the next one, step by step, each step recorded
 * with what it replaced; when a step fails, the steps taken are undone in
 * reverse and the state file is left as it was. Before the first step
 * the next state is written beside the state file (.pending): a run that
 * dies half-way (SIGKILL, power) is finished by the next apply. That one
 * cannot know how far the dead run got, so it takes neither plan's word
 * for what the maps hold: it writes every object the config wants (or
 * checks it in the maps), and removes whatever either plan put in the
 * maps and the config does not want.
 *
 * The steps are loader/steps.c's, the state files and the transaction
 * loader/store.c's, the connection counters loader/conncount.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "args.h"
#include "conncount.h"
#include "config.h"
#include "fib.h"
#include "commands.h"
#include "pinset.h"
#include "ifinfo.h"
#include "log.h"
#include "mapio.h"
#include "model.h"
#include "state.h"
#include "steps.h"
#include "store.h"
#include "table.h"
#include "uplink.h"
#include "vec.h"

#define FP_DEFAULT_CONFIG "/etc/fastpath/fastpath.conf"

/* ---- commands --------------------------------------------------------------- */

/*
 * After a change went in: the return path on the ports apply registered
 * (now or by an apply that died), as `port add` attaches it, and off the
 * ones it unregistered. Outside the steps, like `port add`'s own: a port
 * works without it, and one warning says why it has none.
 */
static void ports_return(struct fp_maps *m, const struct fp_opts *o,
			 const struct fp_plan *held, const struct fp_plan *next)
{
	struct fp_port port;
	__u32 ifindex;

	for (size_t i = 0; i < next->nports; i++) {
		const struct fp_plan_port *p = &next->ports[i];

		ifindex = if_nametoindex(p->name);
		if (p->owned && ifindex &&
		    !bpf_map_lookup_elem(m->ports, &ifindex, &port) &&
		    !(port.flags & FP_PORT_F_RETURN))
			fp_port__return_on(m, o, p->name);
	}
	for (size_t i = 0; i < held->nports; i++) {
		const struct fp_plan_port *p = &held->ports[i];

		ifindex = if_nametoindex(p->name);
		if (p->owned && !fp_plan__port(next, p->name) && ifindex &&
		    bpf_map_lookup_elem(m->ports, &ifindex, &port))
			fp_attach__port_off((int)ifindex);
	}
}

static bool iface_exists(const char *name, void *ctx)
{
	struct fp_ifinfo info;

	(void)ctx;
	return !fp_ifinfo__by_name(name, &info);
}

static void print_diag(const struct fp_diag *d, const char *file)
{
	for (size_t i = 0; i < d->n; i++) {
		const char *msg = d->msg[i];

		if (!strncmp(msg, "0: ", 3))
			fprintf(stderr, "%s: %s\n", file, msg + 3);
		else
			fprintf(stderr, "%s:%s\n", file, msg);
	}
}

struct apply_opts {
	const char *config;
	bool check, offline;
};

static const struct fp_option apply_options[] = {
	FP_OPT_VALUE("--config", struct apply_opts, config),
	FP_OPT_FLAG("--check", struct apply_opts, check),
	FP_OPT_FLAG("--offline", struct apply_opts, offline),
	{ 0 },
};

int fp_cmd_apply(const struct fp_opts *o, int argc, char **argv)
{
	struct apply_opts opt = { .config = NULL };
	struct fp_state st = { 0 }, next = { 0 };
	struct fp_world w = { .iface_exists = iface_exists };
	bool check, offline;
	struct fp_plan plan = { 0 }, held = { 0 }, dry = { 0 };
	struct fp_store s = { .lockfd = -1 };
	struct fp_diag d = { 0 };
	struct fp_config cfg = { .ncircuits = 0 };
	const char *pos[FP_MAX_POS], *file;
	struct fp_maps m = { .skel = NULL };
	int ret = FP_EXIT_ERR, npos;
	size_t steps;

	npos = fp_args__parse("apply", argc, argv, apply_options, &opt, pos);
	check = opt.check;
	offline = opt.offline;
	if (npos != 0 || (offline && !check)) {
		if (npos >= 0)
			fp_usage_error(
				"apply [--config FILE] [--check [--offline]]");
		return FP_EXIT_USAGE;
	}
	file = opt.config ? opt.config : FP_DEFAULT_CONFIG;
	if (fp_config__parse_file(&cfg, file, &d) == -ENOMEM)
		goto out_state;
	if (d.errors) {
		print_diag(&d, file);
		fprintf(stderr, "%s: %d error(s); nothing applied\n", file,
			d.errors);
		goto out_state;
	}
	/*
	 * A check writes nothing: no bpffs mount, no state directory or
	 * lock. Offline it asks neither the host's interfaces nor its state
	 * (an empty one: the plan is from a fresh host).
	 */
	w.offline = offline;
	if (!offline &&
	    ((check ? fp_env__enter_netns(o) : fp_env__enter(o)) ||
	     fp_store__open(&s, o, check) || fp_store__load(&s, &st, &held)))
		goto out_state;
	if (fp_model__plan(&cfg, &st, &w, &plan, &next, &d))
		goto out_state;
	print_diag(&d, file);
	if (d.errors) {
		fprintf(stderr, "%s: %d error(s); nothing applied\n", file,
			d.errors);
		goto out_state;
	}
	if (check) {
		/* A copy: a dry run still learns which ports are ours. */
		if (fp_plan__copy(&dry, &plan))
			goto out_state;
		struct fp_maps none = { .skel = NULL };

		fp_steps__run(&none, &held, &dry, true, s.interrupted, &steps);
		if (offline)
			printf("%s: valid offline (%d warning(s), %d check(s) "
			       "skipped: interfaces, authorization keys and "
			       "existing connections are the host's); nothing "
			       "changed\n",
			       file, d.warnings, d.notes);
		else
			printf("%s: valid (%d warning(s)); nothing changed\n",
			       file, d.warnings);
		ret = FP_EXIT_OK;
		goto out_state;
	}
	if (fp_maps__open(&m, o))
		goto out_state;
	ret = fp_store__transact(&m, &s, &held, &next) ? FP_EXIT_ERR :
							 FP_EXIT_OK;
	if (ret == FP_EXIT_OK)
		ports_return(&m, o, &held, &next.applied);
	fp_maps__close(&m);
out_state:
	fp_plan__free(&dry);
	fp_plan__free(&plan);
	fp_plan__free(&held);
	fp_state__free(&next);
	fp_state__free(&st);
	fp_store__close(&s);
	fp_config__free(&cfg);
	fp_diag__free(&d);
	return ret;
}

/* The state with connection `name` gone (and its authorization freed). */
static void drop_connection(struct fp_state *st, const char *name)
{
	struct fp_plan *p = &st->applied;
	size_t k = 0;

	for (size_t i = 0; i < p->nconns; i++)
		if (strcmp(p->conns[i].name, name))
			p->conns[k++] = p->conns[i];
	p->nconns = k;
	k = 0;
	for (size_t i = 0; i < st->nconns; i++)
		if (strcmp(st->conns[i].name, name))
			st->conns[k++] = st->conns[i];
	st->nconns = k;
	for (size_t i = 0; i < st->nauths; i++)
		if (!strcmp(st->auths[i].connection, name))
			st->auths[i].connection[0] = 0;
}

/* Opens state (locked) and maps for a command that changes the model. */
static int begin(const struct fp_opts *o, struct fp_store *s,
		 struct fp_state *st, struct fp_plan *held, struct fp_maps *m)
{
	memset(m, 0, sizeof(*m));
	if (fp_env__enter(o) || fp_store__open(s, o, false))
		return -1;
	if (fp_store__load(s, st, held))
		return -1;
	return 0;
}

static void finish(struct fp_store *s, struct fp_state *st,
		   struct fp_plan *held, struct fp_maps *m)
{
	if (m->skel)
		fp_maps__close(m);
	fp_plan__free(held);
	fp_state__free(st);
	fp_store__close(s);
}

static void gen_key(char *key)
{
	__u8 b[16];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);

		if (n > 0)
			got += n;
	}
	b[6] = (b[6] & 0x0f) | 0x40; /* RFC 4122 version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(
		key, FP_AUTH_KEY_LEN + 1,
		"%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		b[10], b[11], b[12], b[13], b[14], b[15]);
}

static void print_json(json_object *j)
{
	fp_json__print(j);
	json_object_put(j);
}

static int auth_create(const struct fp_opts *o, const char *circuit,
		       const char *name)
{
	struct fp_state st = { 0 }, next = { 0 };
	struct fp_store s = { .lockfd = -1 };
	struct fp_plan held = { 0 };
	struct fp_maps m;
	struct fp_auth *a;
	bool known = false;
	int ret = FP_EXIT_ERR;

	if (strlen(name) >= FP_NAME_MAX || !*name ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789-_.") != strlen(name)) {
		fp_usage_error(
			"authorization %s: a name of letters, digits, - _ .",
			name);
		return FP_EXIT_USAGE;
	}
	if (begin(o, &s, &st, &held, &m))
		goto out;
	for (size_t i = 0; i < st.applied.ncircuits; i++)
		known |= !strcmp(st.applied.circuits[i].name, circuit);
	if (!known) {
		pr_warn("authorization %s: circuit %s is not applied (fastpath "
			"apply a config with [circuit %s] first)\n",
			name, circuit, circuit);
		goto out;
	}
	for (size_t i = 0; i < st.nauths; i++)
		if (!strcmp(st.auths[i].circuit, circuit) &&
		    !strcmp(st.auths[i].name, name)) {
			pr_warn("authorization %s: circuit %s has it already\n",
				name, circuit);
			goto out;
		}
	if (fp_state__copy(&next, &st))
		goto out;
	a = fp_vec__push(&next.auths, &next.nauths, sizeof(*a));
	if (!a)
		goto out;
	snprintf(a->circuit, sizeof(a->circuit), "%s", circuit);
	snprintf(a->name, sizeof(a->name), "%s", name);
	gen_key(a->key);
	if (fp_state__save(s.path, &next)) {
		pr_warn("state %s: cannot write it\n", s.path);
		goto out;
	}
	if (o->json) {
		json_object *j = json_object_new_object();

		json_object_object_add(j, "circuit",
				       json_object_new_string(a->circuit));
		json_object_object_add(j, "name",
				       json_object_new_string(a->name));
		json_object_object_add(j, "key",
				       json_object_new_string(a->key));
		print_json(j);
	} else {
		printf("%s\n", a->key);
	}
	ret = FP_EXIT_OK;
out:
	fp_state__free(&next);
	finish(&s, &st, &held, &m);
	return ret;
}

/* Deletes connections (by name) and, with auth, the authorization too. */
static int remove_objects(const struct fp_opts *o, const char *circuit,
			  const char *auth, const char *conn)
{
	struct fp_state st = { 0 }, next = { 0 };
	struct fp_store s = { .lockfd = -1 };
	struct fp_plan held = { 0 };
	struct fp_maps m;
	int ret = FP_EXIT_ERR;
	bool found = false;

	if (begin(o, &s, &st, &held, &m) || fp_state__copy(&next, &st))
		goto out;
	if (auth) {
		size_t k = 0;

		for (size_t i = 0; i < next.nauths; i++) {
			struct fp_auth *a = &next.auths[i];

			if (strcmp(a->circuit, circuit) ||
			    strcmp(a->name, auth)) {
				next.auths[k++] = *a;
				continue;
			}
			found = true;
			/* Every connection made with it goes with it. */
			for (size_t j = 0; j < next.nconns;) {
				if (!strcmp(next.conns[j].key, a->key)) {
					printf("connection %s deleted (it "
					       "redeemed authorization %s)\n",
					       next.conns[j].name, auth);
					drop_connection(&next,
							next.conns[j].name);
				} else {
					j++;
				}
			}
		}
		next.nauths = k;
		if (!found) {
			pr_warn("authorization %s: circuit %s has none by that "
				"name\n",
				auth, circuit);
			goto out;
		}
	} else {
		found = fp_state__conn(&next, conn) != NULL;
		if (!found) {
			pr_warn("connection %s: no such connection\n", conn);
			goto out;
		}
		drop_connection(&next, conn);
	}
	if (fp_maps__open(&m, o))
		goto out;
	if (!fp_store__transact(&m, &s, &held, &next)) {
		ret = FP_EXIT_OK;
		/* It may have finished an interrupted apply's ports. */
		ports_return(&m, o, &held, &next.applied);
	}
out:
	fp_state__free(&next);
	finish(&s, &st, &held, &m);
	return ret;
}

static int auth_list(const struct fp_opts *o)
{
	struct fp_state st = { 0 };
	struct fp_store s = { .lockfd = -1 };
	struct fp_plan held = { 0 };
	struct fp_maps m;
	json_object *arr;

	if (begin(o, &s, &st, &held, &m)) {
		finish(&s, &st, &held, &m);
		return FP_EXIT_ERR;
	}
	arr = json_object_new_array();
	for (size_t i = 0; i < st.nauths; i++) {
		const struct fp_auth *a = &st.auths[i];
		json_object *j = json_object_new_object();

		json_object_object_add(j, "circuit",
				       json_object_new_string(a->circuit));
		json_object_object_add(j, "name",
				       json_object_new_string(a->name));
		json_object_object_add(j, "key",
				       json_object_new_string(a->key));
		json_object_object_add(
			j, "connection",
			a->connection[0] ?
				json_object_new_string(a->connection) :
				NULL);
		json_object_array_add(arr, j);
		if (!o->json)
			printf("%-16s %-16s %s %s\n", a->circuit, a->name,
			       a->key,
			       a->connection[0] ? a->connection : "available");
	}
	if (o->json)
		print_json(arr);
	else
		json_object_put(arr);
	finish(&s, &st, &held, &m);
	return FP_EXIT_OK;
}

static json_object *counter_json(const struct fp_counter *c)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "packets", json_object_new_int64(c->packets));
	json_object_object_add(j, "bytes", json_object_new_int64(c->bytes));
	return j;
}

static int conn_list(const struct fp_opts *o)
{
	struct fp_state st = { 0 };
	struct fp_store s = { .lockfd = -1 };
	struct fp_plan held = { 0 };
	struct fp_conn_counters *cnt = NULL;
	struct fp_maps m = { .skel = NULL };
	json_object *arr;
	size_t n = 0;
	char fl[64];

	/* It only reads: the state as apply --check does, creating nothing. */
	if (fp_env__enter(o) || fp_store__open(&s, o, true) ||
	    fp_store__load(&s, &st, &held) || fp_maps__open_readonly(&m, o) ||
	    fp_conn__sum(&m, &st.applied, &cnt, &n)) {
		finish(&s, &st, &held, &m);
		return FP_EXIT_ERR;
	}
	arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		const struct fp_plan_conn *c = &st.applied.conns[i];
		json_object *j = json_object_new_object();

		json_object_object_add(j, "name",
				       json_object_new_string(c->name));
		json_object_object_add(j, "vnet",
				       json_object_new_string(c->vnet_name));
		json_object_object_add(j, "circuit",
				       json_object_new_string(c->circuit_name));
		json_object_object_add(
			j, "fastpath",
			json_object_new_boolean(c->flags & (FP_CONN_F_FAST4 |
							    FP_CONN_F_FAST6)));
		json_object_object_add(
			j, "ipv4",
			json_object_new_boolean(c->flags & FP_CONN_F_FAST4));
		json_object_object_add(
			j, "ipv6",
			json_object_new_boolean(c->flags & FP_CONN_F_FAST6));
		json_object_object_add(
			j, "peered",
			json_object_new_boolean(c->flags & FP_CONN_F_PEERED));
		json_object_object_add(j, "fast", counter_json(&cnt[i].fast));
		json_object_object_add(j, "gateway",
				       counter_json(&cnt[i].gateway));
		json_object_array_add(arr, j);
		if (!o->json)
			printf("%-16s %-12s %-12s %-28s fast %llu pkts, gateway "
			       "%llu pkts\n",
			       c->name, c->vnet_name, c->circuit_name,
			       fp_conn__flags_text(c->flags, fl, sizeof(fl)),
			       (unsigned long long)cnt[i].fast.packets,
			       (unsigned long long)cnt[i].gateway.packets);
	}
	if (o->json)
		print_json(arr);
	else
		json_object_put(arr);
	free(cnt);
	finish(&s, &st, &held, &m);
	return FP_EXIT_OK;
}

int fp_cmd_authorization(const struct fp_opts *o, int argc, char **argv)
{
	const char *pos[FP_MAX_POS];
	int npos = fp_args__parse("authorization", argc, argv, NULL, NULL, pos);

	if (npos < 0)
		return FP_EXIT_USAGE;
	if (npos == 3 && !strcmp(pos[0], "create"))
		return auth_create(o, pos[1], pos[2]);
	if (npos == 3 && (!strcmp(pos[0], "revoke") || !strcmp(pos[0], "del")))
		return remove_objects(o, pos[1], pos[2], NULL);
	if (npos == 1 && !strcmp(pos[0], "list"))
		return auth_list(o);
	fp_usage_error("authorization create|revoke|del CIRCUIT NAME | "
		       "authorization list");
	return FP_EXIT_USAGE;
}

int fp_cmd_connection(const struct fp_opts *o, int argc, char **argv)
{
	const char *pos[FP_MAX_POS];
	int npos = fp_args__parse("connection", argc, argv, NULL, NULL, pos);

	if (npos < 0)
		return FP_EXIT_USAGE;
	if (npos == 2 && !strcmp(pos[0], "del"))
		return remove_objects(o, NULL, NULL, pos[1]);
	if (npos == 1 && !strcmp(pos[0], "list"))
		return conn_list(o);
	fp_usage_error("connection del NAME | connection list");
	return FP_EXIT_USAGE;
}
