// SPDX-License-Identifier: GPL-2.0
/*
 * The model's state on disk (JSON, json-c): ids, authorizations, existing
 * connections and what the maps hold for the model. Written to a
 * temporary file, synced and renamed over the old one, so a reader sees
 * the old state or the new one, never half of either.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <json-c/json.h>

#include "state.h"

#define STATE_VERSION 1

static void put_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void put_int(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static json_object *prefix_json(const struct fp_prefix *p)
{
	char buf[FP_PREFIX_STRLEN];

	return json_object_new_string(fp_format_prefix(p, buf, sizeof(buf)));
}

static json_object *plan_json(const struct fp_plan *p)
{
	json_object *o = json_object_new_object(), *a;

	a = json_object_new_array();
	for (size_t i = 0; i < p->ncircuits; i++) {
		json_object *c = json_object_new_object();

		put_str(c, "name", p->circuits[i].name);
		put_int(c, "id", p->circuits[i].id);
		put_str(c, "uplink", p->circuits[i].uplink);
		put_int(c, "budget", p->circuits[i].budget);
		put_int(c, "xallow", p->circuits[i].xallow);
		put_str(c, "port", p->circuits[i].port);
		put_int(c, "stag", p->circuits[i].stag);
		put_int(c, "vlan", p->circuits[i].vlan);
		put_str(c, "gw_port", p->circuits[i].gw_port);
		json_object_array_add(a, c);
	}
	json_object_object_add(o, "circuits", a);
	a = json_object_new_array();
	for (size_t i = 0; i < p->nspaces; i++) {
		json_object *c = json_object_new_object();

		json_object_object_add(c, "prefix",
				       prefix_json(&p->spaces[i].prefix));
		put_int(c, "vnet", p->spaces[i].vnet);
		json_object_array_add(a, c);
	}
	json_object_object_add(o, "spaces", a);
	a = json_object_new_array();
	for (size_t i = 0; i < p->nconns; i++) {
		json_object *c = json_object_new_object();

		put_str(c, "name", p->conns[i].name);
		put_str(c, "vnet_name", p->conns[i].vnet_name);
		put_str(c, "circuit_name", p->conns[i].circuit_name);
		put_int(c, "vnet", p->conns[i].vnet);
		put_int(c, "circuit", p->conns[i].circuit);
		put_int(c, "flags", p->conns[i].flags);
		json_object_array_add(a, c);
	}
	json_object_object_add(o, "connections", a);
	a = json_object_new_array();
	for (size_t i = 0; i < p->nexcls; i++) {
		json_object *c = json_object_new_object();

		json_object_object_add(c, "prefix",
				       prefix_json(&p->excls[i].prefix));
		put_str(c, "class", fp_class_name(p->excls[i].class));
		json_object_array_add(a, c);
	}
	json_object_object_add(o, "exclusions", a);
	a = json_object_new_array();
	for (size_t i = 0; i < p->nports; i++) {
		json_object *c = json_object_new_object();

		put_str(c, "name", p->ports[i].name);
		json_object_object_add(
			c, "owned", json_object_new_boolean(p->ports[i].owned));
		put_int(c, "vnet", p->ports[i].vnet);
		json_object_array_add(a, c);
	}
	json_object_object_add(o, "ports", a);
	return o;
}

static json_object *ids_json(const struct fp_id *ids, size_t n)
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < n; i++)
		put_int(o, ids[i].name, ids[i].id);
	return o;
}

json_object *fp_state__to_json(const struct fp_state *st)
{
	json_object *o = json_object_new_object(), *a;

	put_int(o, "version", STATE_VERSION);
	a = json_object_new_array();
	for (size_t i = 0; i < st->nauths; i++) {
		json_object *c = json_object_new_object();

		put_str(c, "circuit", st->auths[i].circuit);
		put_str(c, "name", st->auths[i].name);
		put_str(c, "key", st->auths[i].key);
		put_str(c, "connection", st->auths[i].connection);
		json_object_array_add(a, c);
	}
	json_object_object_add(o, "authorizations", a);
	a = json_object_new_array();
	for (size_t i = 0; i < st->nconns; i++) {
		json_object *c = json_object_new_object();

		put_str(c, "name", st->conns[i].name);
		put_str(c, "vnet", st->conns[i].vnet);
		put_str(c, "circuit", st->conns[i].circuit);
		put_str(c, "authorization", st->conns[i].key);
		json_object_array_add(a, c);
	}
	json_object_object_add(o, "connections", a);
	json_object_object_add(o, "vnet_ids",
			       ids_json(st->vnet_ids, st->nvnet_ids));
	json_object_object_add(o, "circuit_ids",
			       ids_json(st->circuit_ids, st->ncircuit_ids));
	json_object_object_add(o, "applied", plan_json(&st->applied));
	return o;
}

/* ---- reading ------------------------------------------------------------- */

struct rd {
	const char *path;
	int err;
};

static void bad(struct rd *r, const char *what)
{
	if (!r->err)
		fprintf(stderr, "state %s: %s: not what fastpath writes\n",
			r->path, what);
	r->err = -EINVAL;
}

static void get_str(struct rd *r, json_object *o, const char *k, char *dst,
		    size_t n)
{
	json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strlen(s = json_object_get_string(v)) >= n) {
		bad(r, k);
		return;
	}
	memcpy(dst, s, strlen(s) + 1);
}

static __u32 get_u32(struct rd *r, json_object *o, const char *k, __u32 max)
{
	json_object *v;
	int64_t x;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    (x = json_object_get_int64(v)) < 0 || x > max) {
		bad(r, k);
		return 0;
	}
	return x;
}

/*
 * Keys a state written before they existed lacks: absent, "" or 0 (a
 * circuit on no port); present, as get_str() and get_u32().
 */
static void get_str_opt(struct rd *r, json_object *o, const char *k, char *dst,
			size_t n)
{
	if (json_object_object_get_ex(o, k, NULL))
		get_str(r, o, k, dst, n);
	else
		dst[0] = 0;
}

static __u32 get_u32_opt(struct rd *r, json_object *o, const char *k, __u32 max)
{
	return json_object_object_get_ex(o, k, NULL) ? get_u32(r, o, k, max) :
						       0;
}

static void get_prefix(struct rd *r, json_object *o, struct fp_prefix *p)
{
	char buf[FP_PREFIX_STRLEN];

	get_str(r, o, "prefix", buf, sizeof(buf));
	if (!r->err && fp_parse_prefix(buf, p))
		bad(r, "prefix");
}

/* The array at k, its length in *n and storage of n elements in *out. */
static json_object *get_array(struct rd *r, json_object *o, const char *k,
			      void *out, size_t *n, size_t sz)
{
	json_object *a;
	void **v = out;

	*n = 0;
	*v = NULL;
	if (!json_object_object_get_ex(o, k, &a) ||
	    !json_object_is_type(a, json_type_array)) {
		bad(r, k);
		return NULL;
	}
	*n = json_object_array_length(a);
	if (*n) {
		*v = calloc(*n, sz);
		if (!*v) {
			r->err = -ENOMEM;
			*n = 0;
			return NULL;
		}
	}
	return a;
}

static void read_plan(struct rd *r, json_object *o, struct fp_plan *p)
{
	json_object *a;

	a = get_array(r, o, "circuits", &p->circuits, &p->ncircuits,
		      sizeof(*p->circuits));
	for (size_t i = 0; a && i < p->ncircuits; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		struct fp_plan_circuit *c = &p->circuits[i];

		get_str(r, e, "name", c->name, sizeof(c->name));
		get_str(r, e, "uplink", c->uplink, sizeof(c->uplink));
		c->id = get_u32(r, e, "id", FP_MAX_CIRCUITS);
		c->budget = get_u32(r, e, "budget", UINT32_MAX);
		c->xallow = get_u32(r, e, "xallow", 255);
		get_str_opt(r, e, "port", c->port, sizeof(c->port));
		c->stag = get_u32_opt(r, e, "stag", FP_VLAN_MAX);
		c->vlan = get_u32_opt(r, e, "vlan", FP_VLAN_MAX);
		get_str_opt(r, e, "gw_port", c->gw_port, sizeof(c->gw_port));
	}
	a = get_array(r, o, "spaces", &p->spaces, &p->nspaces,
		      sizeof(*p->spaces));
	for (size_t i = 0; a && i < p->nspaces; i++) {
		json_object *e = json_object_array_get_idx(a, i);

		get_prefix(r, e, &p->spaces[i].prefix);
		p->spaces[i].vnet = get_u32(r, e, "vnet", FP_MAX_VNETS - 1);
	}
	a = get_array(r, o, "connections", &p->conns, &p->nconns,
		      sizeof(*p->conns));
	for (size_t i = 0; a && i < p->nconns; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		struct fp_plan_conn *c = &p->conns[i];

		get_str(r, e, "name", c->name, sizeof(c->name));
		get_str(r, e, "vnet_name", c->vnet_name, sizeof(c->vnet_name));
		get_str(r, e, "circuit_name", c->circuit_name,
			sizeof(c->circuit_name));
		c->vnet = get_u32(r, e, "vnet", FP_MAX_VNETS - 1);
		c->circuit = get_u32(r, e, "circuit", FP_MAX_CIRCUITS);
		c->flags = get_u32(r, e, "flags", 0xff);
		if (!c->vnet || !c->circuit)
			bad(r, "connections");
	}
	a = get_array(r, o, "exclusions", &p->excls, &p->nexcls,
		      sizeof(*p->excls));
	for (size_t i = 0; a && i < p->nexcls; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		char class[32];
		int cls;

		get_prefix(r, e, &p->excls[i].prefix);
		get_str(r, e, "class", class, sizeof(class));
		cls = fp_class_from_name(class);
		if (cls < 0)
			bad(r, "class");
		else
			p->excls[i].class = cls;
	}
	a = get_array(r, o, "ports", &p->ports, &p->nports, sizeof(*p->ports));
	for (size_t i = 0; a && i < p->nports; i++) {
		json_object *e = json_object_array_get_idx(a, i), *v;

		get_str(r, e, "name", p->ports[i].name,
			sizeof(p->ports[i].name));
		p->ports[i].owned = json_object_object_get_ex(e, "owned", &v) &&
				    json_object_get_boolean(v);
		p->ports[i].vnet = get_u32_opt(r, e, "vnet", FP_MAX_VNETS - 1);
	}
}

static void read_ids(struct rd *r, json_object *o, const char *k,
		     struct fp_id **ids, size_t *n, __u32 max)
{
	json_object *m;
	size_t i = 0;

	*ids = NULL;
	*n = 0;
	if (!json_object_object_get_ex(o, k, &m) ||
	    !json_object_is_type(m, json_type_object)) {
		bad(r, k);
		return;
	}
	*ids = calloc(json_object_object_length(m) + 1, sizeof(**ids));
	if (!*ids) {
		r->err = -ENOMEM;
		return;
	}
	json_object_object_foreach(m, name, v)
	{
		int64_t id = json_object_get_int64(v);

		if (strlen(name) >= FP_NAME_MAX || id < 1 || id > max) {
			bad(r, k);
			break;
		}
		snprintf((*ids)[i].name, FP_NAME_MAX, "%s", name);
		(*ids)[i++].id = id;
	}
	*n = i;
}

int fp_state__load(const char *path, struct fp_state *st)
{
	struct rd r = { .path = path };
	json_object *o, *a;

	memset(st, 0, sizeof(*st));
	if (access(path, F_OK))
		return errno == ENOENT ? 0 : -errno;
	o = json_object_from_file(path);
	if (!o) {
		fprintf(stderr, "state %s: cannot read it: %s\n", path,
			json_util_get_last_err());
		return -EINVAL;
	}
	if (get_u32(&r, o, "version", 1000) != STATE_VERSION)
		bad(&r, "version");
	a = get_array(&r, o, "authorizations", &st->auths, &st->nauths,
		      sizeof(*st->auths));
	for (size_t i = 0; a && i < st->nauths; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		struct fp_auth *x = &st->auths[i];

		get_str(&r, e, "circuit", x->circuit, sizeof(x->circuit));
		get_str(&r, e, "name", x->name, sizeof(x->name));
		get_str(&r, e, "key", x->key, sizeof(x->key));
		get_str(&r, e, "connection", x->connection,
			sizeof(x->connection));
	}
	a = get_array(&r, o, "connections", &st->conns, &st->nconns,
		      sizeof(*st->conns));
	for (size_t i = 0; a && i < st->nconns; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		struct fp_conn_rec *x = &st->conns[i];

		get_str(&r, e, "name", x->name, sizeof(x->name));
		get_str(&r, e, "vnet", x->vnet, sizeof(x->vnet));
		get_str(&r, e, "circuit", x->circuit, sizeof(x->circuit));
		get_str(&r, e, "authorization", x->key, sizeof(x->key));
	}
	read_ids(&r, o, "vnet_ids", &st->vnet_ids, &st->nvnet_ids,
		 FP_MAX_VNETS - 1);
	read_ids(&r, o, "circuit_ids", &st->circuit_ids, &st->ncircuit_ids,
		 FP_MAX_CIRCUITS);
	if (json_object_object_get_ex(o, "applied", &a))
		read_plan(&r, a, &st->applied);
	else
		bad(&r, "applied");
	json_object_put(o);
	if (r.err)
		fp_state__free(st);
	return r.err;
}

int fp_state__save(const char *path, const struct fp_state *st)
{
	json_object *o = fp_state__to_json(st);
	char tmp[4096];
	const char *text;
	int fd, err = 0;
	size_t len;

	if (!o)
		return -ENOMEM;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
	len = strlen(text);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    fsync(fd))
		err = errno ? -errno : -EIO;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
out:
	json_object_put(o);
	return err;
}
