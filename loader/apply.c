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
 * Order: what new traffic needs (budgets, address spaces, ports,
 * exclusions, connections) first, then the entries retagged, then the
 * uplinks switched into the model, then what goes away. No step sends a
 * packet anywhere worse than the gateway.
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
#include "config.h"
#include "fib.h"
#include "fp.h"
#include "ifinfo.h"
#include "log.h"
#include "mapio.h"
#include "model.h"
#include "state.h"
#include "uplink.h"
#include "vec.h"

#define FP_DEFAULT_CONFIG "/etc/fastpath/fastpath.conf"
/* fp_connstat's counters, fast then gateway, for fp_percpu. */
#define CONNSTAT_N (sizeof(struct fp_connstat) / sizeof(struct fp_counter))

/* ---- the undo journal ---------------------------------------------------- */

enum undo_kind {
	U_MAP,
	U_UPLINK,
	U_PORT_ADDED,
	U_PORT_DELETED,
	U_EXCL_ADDED,
	U_EXCL_DELETED
};

struct undo {
	enum undo_kind kind;
	int fd;
	bool array, existed;
	__u8 key[sizeof(struct fp_lpm6)];
	__u8 old[sizeof(struct fp_uplink) + sizeof(struct fp_circuit)];
	char name[IF_NAMESIZE];
	__u8 peer_mac[6];
	struct fp_prefix prefix;
	__u32 class;
};

struct run {
	struct fp_maps *m;
	bool dry; /* --check: print the steps, take none */
	bool recover; /* finishing a dead run: old is no word on the maps */
	struct undo *u;
	size_t n, cap;
	long fail_after; /* FASTPATH_APPLY_FAIL_AFTER: tests' fault */
	long die_after; /* FASTPATH_APPLY_DIE_AFTER: tests' SIGKILL */
	size_t steps;
};

static struct undo *journal(struct run *r, enum undo_kind kind)
{
	if (fp_vec__grow(&r->u, &r->cap, r->n, sizeof(*r->u)))
		return NULL;
	memset(&r->u[r->n], 0, sizeof(r->u[0]));
	r->u[r->n].kind = kind;
	return &r->u[r->n++];
}

/* A step about to be taken; the tests' fault fires here. */
static int step(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int step(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->dry) {
		char line[512], safe[4 * sizeof(line)];

		/* Names of interfaces are the config's bytes: escaped. */
		va_start(ap, fmt);
		vsnprintf(line, sizeof(line), fmt, ap);
		va_end(ap);
		puts(fp_escape(line, safe, sizeof(safe)));
		return 0;
	}
	/* As if killed: no undo, the pending file stays. */
	if (r->die_after >= 0 && (long)r->steps >= r->die_after)
		_exit(137);
	if (r->fail_after >= 0 && (long)r->steps >= r->fail_after) {
		pr_warn("apply: stopped before step %zu (FASTPATH_APPLY_FAIL_AFTER)\n",
			r->steps + 1);
		return -EIO;
	}
	r->steps++;
	return 0;
}

/* Writes (or with val NULL, deletes) one element, journalled. */
static int map_write(struct run *r, int fd, bool array, const void *key,
		     size_t ksz, const void *val, size_t vsz)
{
	struct undo *u = journal(r, U_MAP);
	__u8 zero[sizeof(u->old)] = { 0 };
	int err;

	if (!u)
		return -ENOMEM;
	u->fd = fd;
	u->array = array;
	memcpy(u->key, key, ksz);
	u->existed = !bpf_map_lookup_elem(fd, key, u->old);
	if (val || array)
		err = bpf_map_update_elem(fd, key, val ? val : zero, BPF_ANY);
	else
		err = u->existed ? bpf_map_delete_elem(fd, key) : 0;
	if (err) {
		err = -errno;
		r->n--;
	}
	return err;
}

/*
 * An uplink's circuit, through its writer (loader/uplink.c), which keeps
 * the registry and the program's slot together; journalled so a failed
 * apply puts the uplink back as it was.
 */
static int uplink_write(struct run *r, __u32 ifindex,
			const struct fp_uplink *up)
{
	struct undo *u = journal(r, U_UPLINK);
	int err;

	if (!u)
		return -ENOMEM;
	memcpy(u->key, &ifindex, sizeof(ifindex));
	u->existed = !bpf_map_lookup_elem(r->m->uplinks, &ifindex, u->old);
	err = fp_uplinks__put(r->m, ifindex, up);
	if (err)
		r->n--;
	return err;
}

static void undo_uplink(struct run *r, const struct undo *u)
{
	struct fp_uplink old;
	__u32 ifindex;

	memcpy(&ifindex, u->key, sizeof(ifindex));
	memcpy(&old, u->old, sizeof(old));
	if (u->existed)
		fp_uplinks__put(r->m, ifindex, &old);
	else
		fp_uplinks__del(r->m, ifindex);
}

static void undo_all(struct run *r)
{
	while (r->n) {
		struct undo *u = &r->u[--r->n];

		switch (u->kind) {
		case U_MAP:
			if (u->existed || u->array)
				bpf_map_update_elem(u->fd, u->key, u->old,
						    BPF_ANY);
			else
				bpf_map_delete_elem(u->fd, u->key);
			break;
		case U_UPLINK:
			undo_uplink(r, u);
			break;
		case U_PORT_ADDED:
			fp_port__del(r->m, u->name);
			break;
		case U_PORT_DELETED:
			fp_port__add(r->m, u->name,
				     fp_mac_is_zero(u->peer_mac) ? NULL :
								   u->peer_mac);
			break;
		case U_EXCL_ADDED:
			fp_fib__unexclude(r->m, &u->prefix);
			break;
		case U_EXCL_DELETED:
			fp_fib__exclude(r->m, &u->prefix, u->class);
			break;
		}
	}
	fp_fib__retag(r->m);
}

/* ---- steps ----------------------------------------------------------------- */

static const char *flags_text(__u32 flags, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s%s",
		 flags & FP_CONN_F_PEERED ? "via peering, " : "",
		 flags & (FP_CONN_F_FAST4 | FP_CONN_F_FAST6) ? "fastpath" :
							       "fastpath off",
		 flags & FP_CONN_F_FAST4 ? " ipv4" : "",
		 flags & FP_CONN_F_FAST6 ? " ipv6" : "");
	return buf;
}

static int lpm_key(const struct fp_maps *m, const struct fp_prefix *p,
		   void *key, size_t *ksz)
{
	if (p->family == AF_INET) {
		fp_prefix__to_lpm4(p, key);
		*ksz = sizeof(struct fp_lpm4);
		return m->vnets4;
	}
	fp_prefix__to_lpm6(p, key);
	*ksz = sizeof(struct fp_lpm6);
	return m->vnets6;
}

static const struct fp_plan_circuit *plan_circuit(const struct fp_plan *p,
						  __u32 id)
{
	for (size_t i = 0; i < p->ncircuits; i++)
		if (p->circuits[i].id == id)
			return &p->circuits[i];
	return NULL;
}

static const struct fp_plan_space *plan_space(const struct fp_plan *p,
					      const struct fp_prefix *x)
{
	for (size_t i = 0; i < p->nspaces; i++)
		if (fp_prefix__equal(&p->spaces[i].prefix, x))
			return &p->spaces[i];
	return NULL;
}

static const struct fp_plan_excl *plan_excl(const struct fp_plan *p,
					    const struct fp_prefix *x)
{
	for (size_t i = 0; i < p->nexcls; i++)
		if (fp_prefix__equal(&p->excls[i].prefix, x))
			return &p->excls[i];
	return NULL;
}

static struct fp_plan_port *plan_port(const struct fp_plan *p, const char *name)
{
	for (size_t i = 0; i < p->nports; i++)
		if (!strcmp(p->ports[i].name, name))
			return &p->ports[i];
	return NULL;
}

static int uplink_of(struct run *r, const struct fp_plan_circuit *c,
		     __u32 *ifindex, struct fp_uplink *up)
{
	struct fp_ifinfo info;

	if (fp_ifinfo__by_name(c->uplink, &info)) {
		pr_warn("circuit %s: uplink %s: no such interface\n", c->name,
			c->uplink);
		return -ENODEV;
	}
	*ifindex = info.ifindex;
	if (bpf_map_lookup_elem(r->m->uplinks, ifindex, up)) {
		pr_warn("circuit %s: uplink %s is not loaded (fastpath load %s)\n",
			c->name, c->uplink, c->uplink);
		return -ENOENT;
	}
	return 0;
}

/* The class of the exclusion at exactly p in the maps, FP_CLASS_MAX if none. */
static __u32 excl_class_at(const struct fp_maps *m, const struct fp_prefix *p)
{
	struct fp_lpm6 key;
	struct fp_excl ex;
	int fd;

	if (p->family == AF_INET) {
		fp_prefix__to_lpm4(p, (struct fp_lpm4 *)&key);
		fd = m->excl4;
	} else {
		fp_prefix__to_lpm6(p, &key);
		fd = m->excl6;
	}
	/* An LPM lookup gives the longest match: exact only at its plen. */
	if (bpf_map_lookup_elem(fd, &key, &ex) || ex.plen != p->len)
		return FP_CLASS_MAX;
	return ex.class;
}

/* Budgets, address spaces, ports, exclusions and connections wanted. */
static int add_steps(struct run *r, const struct fp_plan *old,
		     struct fp_plan *next)
{
	char a[FP_PREFIX_STRLEN], fl[64];
	int err;

	for (size_t i = 0; i < next->ncircuits; i++) {
		const struct fp_plan_circuit *c = &next->circuits[i];
		const struct fp_plan_circuit *was = plan_circuit(old, c->id);
		struct fp_circuit slot = { 0 };
		struct fp_uplink up;
		__u32 key = c->id - 1, ifindex = 0;

		if (!r->dry) {
			err = uplink_of(r, c, &ifindex, &up);
			if (err)
				return err;
		}
		if (!r->dry)
			bpf_map_lookup_elem(r->m->circuits, &key, &slot);
		if (r->recover ? !r->dry && slot.ifindex == ifindex &&
					 slot.budget == c->budget :
				 was && was->budget == c->budget &&
					 was->xallow == c->xallow &&
					 !strcmp(was->uplink, c->uplink))
			continue;
		err = step(r, "%s circuit %s (%u) on %s: ip budget %u",
			   was ? "~" : "+", c->name, c->id, c->uplink,
			   c->budget);
		if (err || r->dry)
			continue;
		slot.ifindex = ifindex;
		slot.budget = c->budget;
		err = map_write(r, r->m->circuits, true, &key, sizeof(key),
				&slot, sizeof(slot));
		if (err)
			return err;
	}
	for (size_t i = 0; i < next->nspaces; i++) {
		const struct fp_plan_space *s = &next->spaces[i];
		const struct fp_plan_space *was = plan_space(old, &s->prefix);
		struct fp_vnet v = { .id = s->vnet };
		struct fp_lpm6 key;
		size_t ksz;
		int fd = lpm_key(r->m, &s->prefix, &key, &ksz);

		if (!r->recover && was && was->vnet == s->vnet)
			continue;
		err = step(r, "%s address space %s: vnet %u", was ? "~" : "+",
			   fp_format_prefix(&s->prefix, a, sizeof(a)), s->vnet);
		if (!err && !r->dry) {
			/* Its sources are a VM's: the filter must let them by. */
			fp_maps__lock(r->m);
			err = fp_fib__srcfilt_space(r->m, &s->prefix);
			if (!err)
				err = map_write(r, fd, false, &key, ksz, &v,
						sizeof(v));
			fp_maps__unlock(r->m);
		}
		if (err)
			return err;
	}
	for (size_t i = 0; i < next->nports; i++) {
		struct fp_plan_port *p = &next->ports[i];
		const struct fp_plan_port *was = plan_port(old, p->name);
		struct fp_ifinfo info;
		struct fp_port port;
		struct undo *u;

		if (was && !r->recover) {
			p->owned = was->owned;
			continue;
		}
		/*
		 * Registered before (not ours to remove), or by the dead run
		 * (ours: claim_ports decided it before that run's first step).
		 */
		if (!r->dry && !fp_ifinfo__by_name(p->name, &info) &&
		    !bpf_map_lookup_elem(r->m->ports, &info.ifindex, &port))
			continue;
		err = step(r, "+ port %s", p->name);
		if (err || r->dry) {
			if (err)
				return err;
			continue;
		}
		err = fp_port__add(r->m, p->name, NULL);
		if (err)
			return err;
		p->owned = true;
		u = journal(r, U_PORT_ADDED);
		if (!u)
			return -ENOMEM;
		snprintf(u->name, sizeof(u->name), "%s", p->name);
	}
	for (size_t i = 0; i < next->nexcls; i++) {
		const struct fp_plan_excl *e = &next->excls[i];
		const struct fp_plan_excl *was = plan_excl(old, &e->prefix);
		__u32 have = was ? was->class : FP_CLASS_MAX;
		struct undo *u;

		if (r->recover && !r->dry)
			have = excl_class_at(r->m, &e->prefix);
		if (have == e->class)
			continue;
		fp_format_prefix(&e->prefix, a, sizeof(a));
		err = step(r, "%s exclusion %s: %s", was ? "~" : "+", a,
			   fp_class_name(e->class));
		if (err)
			return err;
		if (r->dry)
			continue;
		if (have != FP_CLASS_MAX) {
			err = fp_fib__unexclude(r->m, &e->prefix);
			if (err)
				return err;
			u = journal(r, U_EXCL_DELETED);
			if (!u)
				return -ENOMEM;
			u->prefix = e->prefix;
			u->class = have;
		}
		err = fp_fib__exclude(r->m, &e->prefix, e->class);
		if (err == -EEXIST)
			pr_warn("exclusion %s: already there from `fastpath "
				"exclude add` (exclude del it, or drop it from "
				"the config)\n",
				a);
		if (err)
			return err;
		u = journal(r, U_EXCL_ADDED);
		if (!u)
			return -ENOMEM;
		u->prefix = e->prefix;
	}
	for (size_t i = 0; i < next->nconns; i++) {
		const struct fp_plan_conn *c = &next->conns[i];
		const struct fp_plan_conn *was =
			fp_plan__conn(old, c->vnet, c->circuit);
		struct fp_conn conn = { .flags = c->flags }, have = { 0 };
		__u32 idx = FP_CONN_INDEX(c->vnet, c->circuit);
		bool fresh = !was;

		if (r->recover && !r->dry) {
			bpf_map_lookup_elem(r->m->conns, &idx, &have);
			if (have.flags == c->flags)
				continue;
			fresh = !have.flags;
		} else if (was && was->flags == c->flags) {
			continue;
		}
		err = step(r, "%s connection %s: vnet %s - circuit %s: %s",
			   was ? "~" : "+", c->name, c->vnet_name,
			   c->circuit_name,
			   flags_text(c->flags, fl, sizeof(fl)));
		if (err)
			return err;
		if (r->dry)
			continue;
		/* A new connection counts from zero. */
		if (fresh) {
			struct fp_percpu pc;

			err = fp_percpu__init(&pc, r->m->connstat, CONNSTAT_N);
			if (err)
				return err;
			fp_percpu__zero(&pc, &idx);
			fp_percpu__fini(&pc);
		}
		err = map_write(r, r->m->conns, true, &idx, sizeof(idx), &conn,
				sizeof(conn));
		if (err)
			return err;
	}
	return 0;
}

/* Uplinks into (or out of) the model: a circuit's and its profile's. */
static int uplink_steps(struct run *r, const struct fp_plan *old,
			const struct fp_plan *next)
{
	int err;

	for (size_t i = 0; i < old->ncircuits; i++) {
		const struct fp_plan_circuit *c = &old->circuits[i];
		const struct fp_plan_circuit *now = plan_circuit(next, c->id);
		struct fp_ifinfo info;
		struct fp_uplink up;

		if (now && !strcmp(now->uplink, c->uplink))
			continue;
		err = step(r, "- circuit %s (%u) off uplink %s", c->name, c->id,
			   c->uplink);
		if (err)
			return err;
		if (r->dry || fp_ifinfo__by_name(c->uplink, &info) ||
		    bpf_map_lookup_elem(r->m->uplinks, &info.ifindex, &up))
			continue; /* gone already: nothing to switch back */
		up.circuit = 0;
		up.xallow = FP_XALLOW_DEFAULT;
		err = uplink_write(r, info.ifindex, &up);
		if (err)
			return err;
	}
	for (size_t i = 0; !r->dry && i < next->ncircuits; i++) {
		const struct fp_plan_circuit *c = &next->circuits[i];
		struct fp_uplink up;
		__u32 ifindex;

		err = uplink_of(r, c, &ifindex, &up);
		if (err)
			return err;
		if (up.circuit == c->id && up.xallow == c->xallow)
			continue;
		err = step(r, "circuit %s on uplink %s", c->name, c->uplink);
		if (err)
			return err;
		up.circuit = c->id;
		up.xallow = c->xallow;
		err = uplink_write(r, ifindex, &up);
		if (err)
			return err;
	}
	return 0;
}

/* What the old plan had and the next one does not. */
static int remove_steps(struct run *r, const struct fp_plan *old,
			struct fp_plan *next)
{
	char a[FP_PREFIX_STRLEN];
	int err;

	for (size_t i = 0; i < old->nconns; i++) {
		const struct fp_plan_conn *c = &old->conns[i];
		__u32 idx = FP_CONN_INDEX(c->vnet, c->circuit);

		if (fp_plan__conn(next, c->vnet, c->circuit))
			continue;
		err = step(r, "- connection %s: vnet %s - circuit %s", c->name,
			   c->vnet_name, c->circuit_name);
		if (!err && !r->dry)
			err = map_write(r, r->m->conns, true, &idx, sizeof(idx),
					NULL, sizeof(struct fp_conn));
		if (err)
			return err;
	}
	for (size_t i = 0; i < old->nexcls; i++) {
		const struct fp_plan_excl *e = &old->excls[i];
		struct undo *u;

		if (plan_excl(next, &e->prefix))
			continue;
		err = step(r, "- exclusion %s: %s",
			   fp_format_prefix(&e->prefix, a, sizeof(a)),
			   fp_class_name(e->class));
		if (err)
			return err;
		if (r->dry)
			continue;
		err = fp_fib__unexclude(r->m, &e->prefix);
		if (err == -ENOENT)
			continue; /* deleted by hand: already as wanted */
		if (err)
			return err;
		u = journal(r, U_EXCL_DELETED);
		if (!u)
			return -ENOMEM;
		u->prefix = e->prefix;
		u->class = e->class;
	}
	for (size_t i = 0; i < old->nspaces; i++) {
		const struct fp_plan_space *s = &old->spaces[i];
		struct fp_lpm6 key;
		size_t ksz;
		int fd = lpm_key(r->m, &s->prefix, &key, &ksz);

		if (plan_space(next, &s->prefix))
			continue;
		err = step(r, "- address space %s",
			   fp_format_prefix(&s->prefix, a, sizeof(a)));
		if (!err && !r->dry)
			err = map_write(r, fd, false, &key, ksz, NULL,
					sizeof(struct fp_vnet));
		if (err)
			return err;
	}
	for (size_t i = 0; i < old->ncircuits; i++) {
		const struct fp_plan_circuit *c = &old->circuits[i];
		__u32 key = c->id - 1;

		if (plan_circuit(next, c->id))
			continue;
		err = step(r, "- circuit %s (%u) budget", c->name, c->id);
		if (!err && !r->dry)
			err = map_write(r, r->m->circuits, true, &key,
					sizeof(key), NULL,
					sizeof(struct fp_circuit));
		if (err)
			return err;
	}
	for (size_t i = 0; i < old->nports; i++) {
		const struct fp_plan_port *p = &old->ports[i];
		struct fp_plan_port *kept;
		struct fp_ifinfo info;
		struct fp_port port;
		struct undo *u;

		if (!p->owned || plan_port(next, p->name))
			continue;
		err = step(r, "- port %s", p->name);
		if (err)
			return err;
		if (r->dry)
			continue;
		if (fp_ifinfo__by_name(p->name, &info) ||
		    bpf_map_lookup_elem(r->m->ports, &info.ifindex, &port))
			continue; /* gone already */
		err = fp_port__del(r->m, p->name);
		if (err == -EBUSY) {
			/* Routes still use it: keep it, and remember it. */
			kept = fp_vec__push(&next->ports, &next->nports,
					    sizeof(*kept));
			if (!kept)
				return -ENOMEM;
			*kept = *p;
			continue;
		}
		if (err)
			return err;
		u = journal(r, U_PORT_DELETED);
		if (!u)
			return -ENOMEM;
		snprintf(u->name, sizeof(u->name), "%s", p->name);
		memcpy(u->peer_mac, port.peer_mac, 6);
	}
	return 0;
}

/* ---- one transaction ------------------------------------------------------ */

/*
 * Moves the maps from old to next (whose ports learn whether they are
 * ours). On failure every step taken is undone. dry: print only.
 * recover: old is what an apply that died may have left, not what the
 * maps hold.
 */
static int run_plan(struct fp_maps *m, const struct fp_plan *old,
		    struct fp_plan *next, bool dry, bool recover, size_t *steps)
{
	struct run r = { .m = m,
			 .dry = dry,
			 .recover = recover,
			 .fail_after = -1,
			 .die_after = -1 };
	const char *fail = getenv("FASTPATH_APPLY_FAIL_AFTER");
	const char *die = getenv("FASTPATH_APPLY_DIE_AFTER");
	int err;

	if (fail && *fail)
		r.fail_after = strtol(fail, NULL, 10);
	if (die && *die)
		r.die_after = strtol(die, NULL, 10);
	err = add_steps(&r, old, next);
	if (!err && !dry) {
		err = fp_fib__retag(m);
		if (err)
			pr_warn("apply: cannot retag the route entries: %s\n",
				strerror(-err));
	}
	if (!err)
		err = uplink_steps(&r, old, next);
	if (!err)
		err = remove_steps(&r, old, next);
	if (!err && !dry) {
		err = fp_fib__retag(m);
		if (err)
			pr_warn("apply: cannot retag the route entries: %s\n",
				strerror(-err));
	}
	if (err && !dry) {
		pr_warn("apply: undoing %zu step(s); the maps are as before\n",
			r.n);
		undo_all(&r);
	}
	*steps = r.steps;
	free(r.u);
	return err;
}

/* ---- state files and their lock ------------------------------------------ */

struct store {
	char dir[4096 - 32];
	char path[4096], pending[4096];
	int lockfd;
	bool interrupted; /* a pending plan was left: an apply died */
	bool readonly; /* apply --check: creates nothing, finishes nothing */
};

/*
 * The state directory, locked. readonly (apply --check): nothing is
 * created; the lock, when an apply ever made it, is shared, so that the
 * check reads a state no apply is half-way through. A state that was
 * never written reads as empty (fp_state__load).
 */
static int store_open(struct store *s, const struct fp_opts *o, bool readonly)
{
	char lock[4096];

	snprintf(s->dir, sizeof(s->dir), "%s", o->state_dir);
	snprintf(s->path, sizeof(s->path), "%s/state.json", s->dir);
	snprintf(s->pending, sizeof(s->pending), "%s/state.json.pending",
		 s->dir);
	snprintf(lock, sizeof(lock), "%s/state.lock", s->dir);
	s->readonly = readonly;
	if (readonly) {
		s->lockfd = open(lock, O_RDONLY | O_CLOEXEC);
		if (s->lockfd < 0 && errno != ENOENT) {
			pr_warn("state directory %s: %s\n", s->dir,
				strerror(errno));
			return -errno;
		}
		while (s->lockfd >= 0 && flock(s->lockfd, LOCK_SH) &&
		       errno == EINTR)
			;
		return 0;
	}
	if (mkdir(s->dir, 0700) && errno != EEXIST) {
		pr_warn("state directory %s: %s\n", s->dir, strerror(errno));
		return -errno;
	}
	s->lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lockfd < 0) {
		pr_warn("state directory %s: %s\n", s->dir, strerror(errno));
		return -errno;
	}
	/* One apply at a time; a second waits for the first. */
	while (flock(s->lockfd, LOCK_EX) && errno == EINTR)
		;
	return 0;
}

static void store_close(struct store *s)
{
	if (s->lockfd >= 0)
		close(s->lockfd);
	s->lockfd = -1;
}

/*
 * src's objects that dst lacks, added to dst: once each, so that a
 * removal is one step. A circuit counts as another on another uplink
 * (the dead run may have switched that uplink into it).
 */
static int append_plan(struct fp_plan *dst, const struct fp_plan *src)
{
#define APPEND(arr, n, have)                                              \
	do {                                                              \
		for (size_t i = 0; i < src->n; i++) {                     \
			const __typeof__(*src->arr) *x = &src->arr[i];    \
			__typeof__(*dst->arr) *y;                         \
                                                                          \
			if (have)                                         \
				continue;                                 \
			y = fp_vec__push(&dst->arr, &dst->n, sizeof(*y)); \
			if (!y)                                           \
				return -ENOMEM;                           \
			*y = *x;                                          \
		}                                                         \
	} while (0)
	APPEND(circuits, ncircuits,
	       plan_circuit(dst, x->id) &&
		       !strcmp(plan_circuit(dst, x->id)->uplink, x->uplink));
	APPEND(spaces, nspaces, plan_space(dst, &x->prefix));
	APPEND(conns, nconns, fp_plan__conn(dst, x->vnet, x->circuit));
	APPEND(excls, nexcls, plan_excl(dst, &x->prefix));
	APPEND(ports, nports, plan_port(dst, x->name));
#undef APPEND
	return 0;
}

/*
 * The state, and the plan the maps may hold: after an apply that died,
 * anything its pending plan put there too.
 */
static int store_load(struct store *s, struct fp_state *st,
		      struct fp_plan *held)
{
	struct fp_state pend;
	int err;

	err = fp_state__load(s->path, st);
	if (err)
		return err;
	err = fp_plan__copy(held, &st->applied);
	if (err || access(s->pending, F_OK))
		return err;
	err = fp_state__load(s->pending, &pend);
	if (err) {
		fp_state__free(st);
		return err;
	}
	pr_warn("apply: an earlier apply was interrupted; %s (%s)\n",
		s->readonly ? "the next apply finishes it" :
			      "this one finishes it",
		s->pending);
	s->interrupted = true;
	err = append_plan(held, &pend.applied);
	fp_state__free(&pend);
	return err;
}

/*
 * Whether each port of next is ours, decided before the pending note is
 * written, so that an apply finishing a dead one knows a port that run
 * registered from one registered by hand: a port held keeps its word,
 * a new one is ours unless it is registered already.
 */
static void claim_ports(const struct fp_maps *m, const struct fp_plan *held,
			struct fp_plan *next)
{
	for (size_t i = 0; i < next->nports; i++) {
		struct fp_plan_port *p = &next->ports[i];
		const struct fp_plan_port *was = plan_port(held, p->name);
		struct fp_ifinfo info;
		struct fp_port port;

		if (was)
			p->owned = was->owned;
		else
			p->owned = fp_ifinfo__by_name(p->name, &info) ||
				   bpf_map_lookup_elem(m->ports, &info.ifindex,
						       &port);
	}
}

/*
 * The pending note: next, and while an earlier apply is unfinished, all
 * it may have put in the maps too, so that this run dying or failing
 * leaves the next one the whole list to clean up.
 */
static int save_pending(const struct store *s, const struct fp_plan *held,
			const struct fp_state *next)
{
	struct fp_state note;
	int err;

	if (!s->interrupted)
		return fp_state__save(s->pending, next);
	err = fp_state__copy(&note, next);
	if (err)
		return err;
	err = append_plan(&note.applied, held);
	if (!err)
		err = fp_state__save(s->pending, &note);
	fp_state__free(&note);
	return err;
}

/* Plan, pending note, steps, state: the one way any command changes. */
static int transact(struct fp_maps *m, struct store *s,
		    const struct fp_plan *held, struct fp_state *next)
{
	size_t steps;
	int err;

	claim_ports(m, held, &next->applied);
	err = save_pending(s, held, next);
	if (err) {
		pr_warn("state %s: %s\n", s->pending, strerror(-err));
		return err;
	}
	err = run_plan(m, held, &next->applied, false, s->interrupted, &steps);
	if (err) {
		/*
		 * Undone: the maps hold what the old state says, and what the
		 * interrupted apply left, which the note still lists.
		 */
		if (s->interrupted)
			pr_warn("apply: the interrupted apply is still to be "
				"finished (%s kept)\n",
				s->pending);
		else
			unlink(s->pending);
		return err;
	}
	err = fp_state__save(s->path, next);
	if (err) {
		pr_warn("state %s: %s (the maps hold the new plan; %s keeps "
			"it)\n",
			s->path, strerror(-err), s->pending);
		return err;
	}
	unlink(s->pending);
	pr_info("apply: %zu step(s)\n", steps);
	return 0;
}

/* ---- commands --------------------------------------------------------------- */

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
	struct store s = { .lockfd = -1 };
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
	     store_open(&s, o, check) || store_load(&s, &st, &held)))
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

		run_plan(&none, &held, &dry, true, s.interrupted, &steps);
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
	ret = transact(&m, &s, &held, &next) ? FP_EXIT_ERR : FP_EXIT_OK;
	fp_maps__close(&m);
out_state:
	fp_plan__free(&dry);
	fp_plan__free(&plan);
	fp_plan__free(&held);
	fp_state__free(&next);
	fp_state__free(&st);
	store_close(&s);
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
static int begin(const struct fp_opts *o, struct store *s, struct fp_state *st,
		 struct fp_plan *held, struct fp_maps *m)
{
	memset(m, 0, sizeof(*m));
	if (fp_env__enter(o) || store_open(s, o, false))
		return -1;
	if (store_load(s, st, held))
		return -1;
	return 0;
}

static void finish(struct store *s, struct fp_state *st, struct fp_plan *held,
		   struct fp_maps *m)
{
	if (m->skel)
		fp_maps__close(m);
	fp_plan__free(held);
	fp_state__free(st);
	store_close(s);
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
	struct store s = { .lockfd = -1 };
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
	struct store s = { .lockfd = -1 };
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
	if (!transact(&m, &s, &held, &next))
		ret = FP_EXIT_OK;
out:
	fp_state__free(&next);
	finish(&s, &st, &held, &m);
	return ret;
}

static int auth_list(const struct fp_opts *o)
{
	struct fp_state st = { 0 };
	struct store s = { .lockfd = -1 };
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

/* A connection's two paths, summed over the CPUs. */
static void conn_sum(struct fp_percpu *pc, const struct fp_plan_conn *c,
		     struct fp_conn_counters *out)
{
	__u32 idx = FP_CONN_INDEX(c->vnet, c->circuit);
	struct fp_counter sum[CONNSTAT_N];

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", c->name);
	snprintf(out->vnet, sizeof(out->vnet), "%s", c->vnet_name);
	snprintf(out->circuit, sizeof(out->circuit), "%s", c->circuit_name);
	/* Not there: counted as zero. */
	fp_percpu__sum(pc, &idx, sum);
	out->fast = sum[0];
	out->gateway = sum[1];
}

static int sum_all(const struct fp_maps *m, const struct fp_plan *p,
		   struct fp_conn_counters **out, size_t *n)
{
	struct fp_percpu pc;
	int err;

	*out = NULL;
	*n = 0;
	err = fp_percpu__init(&pc, m->connstat, CONNSTAT_N);
	if (err)
		return err;
	*out = calloc(p->nconns + 1, sizeof(**out));
	if (!*out) {
		fp_percpu__fini(&pc);
		return -ENOMEM;
	}
	for (size_t i = 0; i < p->nconns; i++)
		conn_sum(&pc, &p->conns[i], &(*out)[i]);
	*n = p->nconns;
	fp_percpu__fini(&pc);
	return 0;
}

int fp_conn__counters(const struct fp_opts *o, const struct fp_maps *m,
		      struct fp_conn_counters **out, size_t *n)
{
	struct fp_state st;
	char path[4096];
	int err;

	*out = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "%s/state.json", o->state_dir);
	err = fp_state__load(path, &st);
	if (err)
		return err;
	err = sum_all(m, &st.applied, out, n);
	fp_state__free(&st);
	return err;
}

static int conn_list(const struct fp_opts *o)
{
	struct fp_state st = { 0 };
	struct store s = { .lockfd = -1 };
	struct fp_plan held = { 0 };
	struct fp_conn_counters *cnt = NULL;
	struct fp_maps m = { .skel = NULL };
	json_object *arr;
	size_t n = 0;
	char fl[64];

	/* It only reads: the state as apply --check does, creating nothing. */
	if (fp_env__enter(o) || store_open(&s, o, true) ||
	    store_load(&s, &st, &held) || fp_maps__open_readonly(&m, o) ||
	    sum_all(&m, &st.applied, &cnt, &n)) {
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
			       flags_text(c->flags, fl, sizeof(fl)),
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
