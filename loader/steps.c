// SPDX-License-Identifier: GPL-2.0
/*
 * The model maps' one writer (address spaces, connections and their
 * counters; the circuits' budgets, the model's exclusions and ports and
 * the uplinks' circuit through their own writers):
 * moves the maps from one plan to the next, step by step, each step
 * recorded with what it replaced; when a step fails, the steps taken are
 * undone in reverse.
 *
 * Order: what new traffic needs (budgets, address spaces, ports,
 * exclusions, connections) first, then the entries retagged, then the
 * uplinks switched into the model, then what goes away. No step sends a
 * packet anywhere worse than the gateway.
 */
#include <stdarg.h>
#include <unistd.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "conncount.h"
#include "fib.h"
#include "ifcmd.h"
#include "ifinfo.h"
#include "log.h"
#include "mapio.h"
#include "model.h"
#include "port.h"
#include "steps.h"
#include "table.h"
#include "uplink.h"
#include "vec.h"

/* ---- the undo journal ---------------------------------------------------- */

enum undo_kind {
	U_MAP,
	U_UPLINK,
	U_PORT_ADDED,
	U_PORT_DELETED,
	U_EXCL_ADDED,
	U_EXCL_DELETED,
	U_CIRCUIT,
	U_VLAN,
	U_PORT_VNET
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

/* An exclusion added or deleted (with the class it had): undone later. */
static int journal_excl(struct run *r, enum undo_kind kind,
			const struct fp_prefix *p, __u32 class)
{
	struct undo *u = journal(r, kind);

	if (!u)
		return -ENOMEM;
	u->prefix = *p;
	u->class = class;
	return 0;
}

/*
 * A circuit's uplink and budget, through fp_circuits' writer
 * (loader/fib.c); journalled with the record as it was.
 */
static int circuit_write(struct run *r, __u32 id, __u32 ifindex, __u32 budget)
{
	struct undo *u = journal(r, U_CIRCUIT);
	struct fp_circuit old;
	int err;

	if (!u)
		return -ENOMEM;
	memcpy(u->key, &id, sizeof(id));
	err = fp_fib__circuit(r->m, id, ifindex, budget, &old);
	if (err)
		r->n--;
	else
		memcpy(u->old, &old, sizeof(old));
	return err;
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

static void undo_circuit(struct run *r, const struct undo *u)
{
	struct fp_circuit old;
	__u32 id;

	memcpy(&id, u->key, sizeof(id));
	memcpy(&old, u->old, sizeof(old));
	fp_fib__circuit(r->m, id, old.ifindex, old.budget, NULL);
}

/*
 * A tagged circuit's record (fp_vlans), or with cir NULL its removal,
 * through its writer (loader/uplink.c); journalled with what it was.
 */
static int vlan_write(struct run *r, __u32 ifindex, __u16 outer, __u16 inner,
		      const struct fp_uplink *cir)
{
	struct fp_vlan_key k = { .ifindex = ifindex,
				 .outer = outer,
				 .inner = inner };
	struct undo *u = journal(r, U_VLAN);
	struct fp_vlan old;
	int err;

	if (!u)
		return -ENOMEM;
	memcpy(u->key, &k, sizeof(k));
	u->existed = !bpf_map_lookup_elem(r->m->vlans, &k, &old);
	memcpy(u->old, &old, sizeof(old));
	if (cir)
		err = fp_vlans__put(r->m, ifindex, outer, inner, cir, NULL,
				    NULL);
	else
		err = u->existed ? fp_vlans__del(r->m, ifindex, outer, inner) :
				   0;
	if (err)
		r->n--;
	return err;
}

static void undo_vlan(struct run *r, const struct undo *u)
{
	struct fp_vlan_key k;
	struct fp_vlan old;

	memcpy(&k, u->key, sizeof(k));
	memcpy(&old, u->old, sizeof(old));
	if (u->existed)
		fp_vlans__put(r->m, k.ifindex, k.outer, k.inner, &old.up, NULL,
			      NULL);
	else
		fp_vlans__del(r->m, k.ifindex, k.outer, k.inner);
}

/*
 * The VNet behind a registered port (fp_ports__bind), the step named
 * after what the maps hold (what old says, in a dry run); journalled with
 * the VNet it had. A port not registered has none to change, nor has one
 * bound to `keep` already (with keep 0: none).
 */
static int bind_write(struct run *r, const char *name, __u32 was, __u32 vnet,
		      __u32 keep)
{
	struct fp_ifinfo info = { 0 };
	struct fp_port port;
	struct undo *u;
	int err;

	if (!r->dry) {
		if (fp_ifinfo__by_name(name, &info) ||
		    bpf_map_lookup_elem(r->m->ports, &info.ifindex, &port))
			return 0;
		was = port.vnet;
	}
	if (was == vnet || (keep && was == keep))
		return 0;
	err = step(r, "~ port %s: vnet %u -> %u", name, was, vnet);
	if (err || r->dry)
		return err;
	u = journal(r, U_PORT_VNET);
	if (!u)
		return -ENOMEM;
	snprintf(u->name, sizeof(u->name), "%s", name);
	u->class = was;
	err = fp_ports__bind(r->m, info.ifindex, vnet);
	if (err) {
		pr_warn("port %s: cannot bind to vnet %u: %s\n", name, vnet,
			strerror(-err));
		r->n--;
	}
	return err;
}

static void undo_bind(struct run *r, const struct undo *u)
{
	struct fp_ifinfo info;

	if (!fp_ifinfo__by_name(u->name, &info))
		fp_ports__bind(r->m, info.ifindex, u->class);
}

/* Registered again, with the return path if it had it (still attached). */
static void undo_port_deleted(struct run *r, const struct undo *u)
{
	struct fp_ifinfo info;

	if (fp_ifcmd__port_add(r->m, u->name,
			       fp_mac_is_zero(u->peer_mac) ? NULL :
							     u->peer_mac) ||
	    !(u->class & FP_PORT_F_RETURN) ||
	    fp_ifinfo__by_name(u->name, &info))
		return;
	fp_port__set_return(r->m, info.ifindex, true);
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
			fp_ifcmd__port_del(r->m, u->name);
			break;
		case U_PORT_DELETED:
			undo_port_deleted(r, u);
			break;
		case U_EXCL_ADDED:
			fp_fib__unexclude(r->m, &u->prefix);
			break;
		case U_EXCL_DELETED:
			fp_fib__exclude(r->m, &u->prefix, u->class);
			break;
		case U_CIRCUIT:
			undo_circuit(r, u);
			break;
		case U_VLAN:
			undo_vlan(r, u);
			break;
		case U_PORT_VNET:
			undo_bind(r, u);
			break;
		}
	}
	fp_fib__retag(r->m);
}

/* ---- steps ----------------------------------------------------------------- */

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
		const struct fp_plan_circuit *was =
			fp_plan__circuit(old, c->id);
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
		err = circuit_write(r, c->id, ifindex, c->budget);
		if (err)
			return err;
	}
	/*
	 * A port moving to another VNet has none while the spaces change:
	 * bound to either VNet meanwhile, its sources in a space on the move
	 * would be spoofed (bound again below, after the spaces).
	 */
	for (size_t i = 0; i < next->nports; i++) {
		const struct fp_plan_port *p = &next->ports[i];
		const struct fp_plan_port *was = fp_plan__port(old, p->name);

		err = bind_write(r, p->name, was ? was->vnet : 0, 0, p->vnet);
		if (err)
			return err;
	}
	for (size_t i = 0; i < next->nspaces; i++) {
		const struct fp_plan_space *s = &next->spaces[i];
		const struct fp_plan_space *was =
			fp_plan__space(old, &s->prefix);
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
		const struct fp_plan_port *was = fp_plan__port(old, p->name);
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
		err = fp_ifcmd__port_add(r->m, p->name, NULL);
		if (err)
			return err;
		p->owned = true;
		u = journal(r, U_PORT_ADDED);
		if (!u)
			return -ENOMEM;
		snprintf(u->name, sizeof(u->name), "%s", p->name);
	}
	/*
	 * The VNet behind each port: the return path takes the port's
	 * sources in that VNet's address space as its own.
	 */
	for (size_t i = 0; i < next->nports; i++) {
		const struct fp_plan_port *p = &next->ports[i];
		const struct fp_plan_port *was = fp_plan__port(old, p->name);
		__u32 had = was ? was->vnet : 0;

		/* In a dry run: as the loop before the spaces left it. */
		err = bind_write(r, p->name, had == p->vnet ? had : 0, p->vnet,
				 p->vnet);
		if (err)
			return err;
	}
	for (size_t i = 0; i < next->nexcls; i++) {
		const struct fp_plan_excl *e = &next->excls[i];
		const struct fp_plan_excl *was = fp_plan__excl(old, &e->prefix);
		__u32 have = was ? was->class : FP_CLASS_MAX;

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
			err = journal_excl(r, U_EXCL_DELETED, &e->prefix, have);
			if (err)
				return err;
		}
		err = fp_fib__exclude(r->m, &e->prefix, e->class);
		if (err == -EEXIST)
			pr_warn("exclusion %s: already there from `fastpath "
				"exclude add` (exclude del it, or drop it from "
				"the config)\n",
				a);
		if (err)
			return err;
		err = journal_excl(r, U_EXCL_ADDED, &e->prefix, 0);
		if (err)
			return err;
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
			   fp_conn__flags_text(c->flags, fl, sizeof(fl)));
		if (err)
			return err;
		if (r->dry)
			continue;
		/* A new connection counts from zero. */
		if (fresh) {
			struct fp_percpu pc;

			err = fp_percpu__init(&pc, r->m->connstat,
					      FP_CONNSTAT_N);
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

static bool same_tags(const struct fp_plan_circuit *a,
		      const struct fp_plan_circuit *b)
{
	return b && b->port[0] && a->stag == b->stag && a->vlan == b->vlan &&
	       !strcmp(a->uplink, b->uplink);
}

static const char *vlan_name(const struct fp_plan_circuit *c, char *buf,
			     size_t n)
{
	return fp_format_vlan(c->stag, c->vlan, buf, n);
}

/*
 * A tagged circuit that the next plan has no more, or has with other
 * tags: its record goes (one with the same tags is rewritten in place by
 * vlan_on, never removed first). Its frames are then unknown_vlan and
 * pass, tags and all.
 */
static int vlan_off(struct run *r, const struct fp_plan_circuit *c,
		    const struct fp_plan_circuit *now)
{
	char vlan[16];
	__u32 ifindex;
	int err;

	if (same_tags(c, now))
		return 0;
	err = step(r, "- circuit %s (%u) off uplink %s vlan %s", c->name, c->id,
		   c->uplink, vlan_name(c, vlan, sizeof(vlan)));
	if (err || r->dry)
		return err;
	ifindex = if_nametoindex(c->uplink);
	if (!ifindex)
		return 0; /* gone already, and its records with it */
	err = vlan_write(r, ifindex, c->stag, c->vlan, NULL);
	return err == -ENOENT ? 0 : err;
}

/* A tagged circuit's record: its id, profile and gateway port. */
static int vlan_on(struct run *r, const struct fp_plan_circuit *c)
{
	struct fp_uplink cir = { .circuit = c->id, .xallow = c->xallow };
	struct fp_vlan_key k = { .outer = c->stag, .inner = c->vlan };
	struct fp_port port;
	struct fp_vlan was;
	struct fp_uplink up;
	char vlan[16];
	int err;

	err = uplink_of(r, c, &k.ifindex, &up);
	if (err)
		return err;
	if (c->gw_port[0] &&
	    fp_port__by_name(r->m, c->gw_port, &cir.gw_ifindex, &port)) {
		pr_warn("circuit %s: gateway-port %s: not registered "
			"(fastpath port add %s --peer-mac MAC, the gateway's)\n",
			c->name, c->gw_port, c->gw_port);
		return -ENOENT;
	}
	if (c->gw_port[0] && fp_mac_is_zero(port.peer_mac)) {
		pr_warn("circuit %s: gateway-port %s: has no --peer-mac\n",
			c->name, c->gw_port);
		return -EINVAL;
	}
	if (!bpf_map_lookup_elem(r->m->vlans, &k, &was) &&
	    was.up.circuit == cir.circuit && was.up.xallow == cir.xallow &&
	    was.up.gw_ifindex == cir.gw_ifindex)
		return 0;
	err = step(r, "circuit %s on uplink %s vlan %s%s%s", c->name, c->uplink,
		   vlan_name(c, vlan, sizeof(vlan)),
		   c->gw_port[0] ? " gateway-port " : "", c->gw_port);
	return err ? err : vlan_write(r, k.ifindex, c->stag, c->vlan, &cir);
}

/*
 * Uplinks into (or out of) the model: a circuit's and its profile's. The
 * uplink record says one circuit for all the uplink's frames: only an
 * untagged circuit has one. A circuit on a [port] shares a trunk with
 * others and has a tagged circuit's record instead (vlan_on, vlan_off);
 * the trunk's own record stays outside the model.
 */
static int uplink_steps(struct run *r, const struct fp_plan *old,
			const struct fp_plan *next)
{
	int err;

	for (size_t i = 0; i < old->ncircuits; i++) {
		const struct fp_plan_circuit *c = &old->circuits[i];
		const struct fp_plan_circuit *now =
			fp_plan__circuit(next, c->id);
		struct fp_ifinfo info;
		struct fp_uplink up;

		if (c->port[0]) {
			err = vlan_off(r, c, fp_plan__circuit(next, c->id));
			if (err)
				return err;
			continue; /* it never had the uplink's record */
		}
		/* Onto a port on the same uplink: the trunk leaves it too. */
		if (now && !now->port[0] && !strcmp(now->uplink, c->uplink))
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

		if (c->port[0]) {
			err = vlan_on(r, c);
			if (err)
				return err;
			continue;
		}
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

		if (fp_plan__excl(next, &e->prefix))
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
		err = journal_excl(r, U_EXCL_DELETED, &e->prefix, e->class);
		if (err)
			return err;
	}
	for (size_t i = 0; i < old->nspaces; i++) {
		const struct fp_plan_space *s = &old->spaces[i];
		struct fp_lpm6 key;
		size_t ksz;
		int fd = lpm_key(r->m, &s->prefix, &key, &ksz);

		if (fp_plan__space(next, &s->prefix))
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

		if (fp_plan__circuit(next, c->id))
			continue;
		err = step(r, "- circuit %s (%u) budget", c->name, c->id);
		if (!err && !r->dry)
			err = circuit_write(r, c->id, 0, 0);
		if (err)
			return err;
	}
	/* Out of the model, a port has no VNet, registered or not. */
	for (size_t i = 0; i < old->nports; i++) {
		const struct fp_plan_port *p = &old->ports[i];

		if (fp_plan__port(next, p->name))
			continue;
		err = bind_write(r, p->name, p->vnet, 0, 0);
		if (err)
			return err;
	}
	for (size_t i = 0; i < old->nports; i++) {
		const struct fp_plan_port *p = &old->ports[i];
		struct fp_plan_port *kept;
		struct fp_ifinfo info;
		struct fp_port port;
		struct undo *u;

		if (!p->owned || fp_plan__port(next, p->name))
			continue;
		err = step(r, "- port %s", p->name);
		if (err)
			return err;
		if (r->dry)
			continue;
		if (fp_ifinfo__by_name(p->name, &info) ||
		    bpf_map_lookup_elem(r->m->ports, &info.ifindex, &port))
			continue; /* gone already */
		err = fp_ifcmd__port_del(r->m, p->name);
		if (err == -EBUSY || err == -EADDRINUSE) {
			/*
			 * Routes still use it, or an uplink as its gateway:
			 * keep it, and remember it.
			 */
			kept = fp_vec__push(&next->ports, &next->nports,
					    sizeof(*kept));
			if (!kept)
				return -ENOMEM;
			*kept = *p;
			kept->vnet = 0;
			continue;
		}
		if (err)
			return err;
		u = journal(r, U_PORT_DELETED);
		if (!u)
			return -ENOMEM;
		snprintf(u->name, sizeof(u->name), "%s", p->name);
		memcpy(u->peer_mac, port.peer_mac, 6);
		u->class = port.flags; /* the return path's flag */
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
int fp_steps__run(struct fp_maps *m, const struct fp_plan *old,
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
