// SPDX-License-Identifier: GPL-2.0
/*
 * The model's state files and their lock, and the one transaction every
 * model command goes through. Before the first step the next state is
 * written beside the state file (.pending): a run that dies half-way
 * (SIGKILL, power) is finished by the next apply. That one cannot know
 * how far the dead run got, so it takes neither plan's word for what the
 * maps hold: it writes every object the config wants (or checks it in
 * the maps), and removes whatever either plan put in the maps and the
 * config does not want.
 */
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "maps.h"
#include "ifinfo.h"
#include "log.h"
#include "model.h"
#include "state.h"
#include "steps.h"
#include "store.h"
#include "vec.h"

/*
 * The state directory, locked. readonly (apply --check): nothing is
 * created; the lock, when an apply ever made it, is shared, so that the
 * check reads a state no apply is half-way through. A state that was
 * never written reads as empty (fp_state__load).
 */
int fp_store__open(struct fp_store *s, const struct fp_opts *o, bool readonly)
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

void fp_store__close(struct fp_store *s)
{
	if (s->lockfd >= 0)
		close(s->lockfd);
	s->lockfd = -1;
}

/* Whether dst holds circuit x where x is: its uplink, port and tags. */
static bool same_circuit(const struct fp_plan *dst,
			 const struct fp_plan_circuit *x)
{
	const struct fp_plan_circuit *c = fp_plan__circuit(dst, x->id);

	return c && !strcmp(c->uplink, x->uplink) &&
	       !strcmp(c->port, x->port) && c->stag == x->stag &&
	       c->vlan == x->vlan;
}

/*
 * src's objects that dst lacks, added to dst: once each, so that a
 * removal is one step. A circuit counts as another on another uplink, or
 * port or tags (the dead run may have switched that uplink, or those
 * tags, into it).
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
	APPEND(circuits, ncircuits, same_circuit(dst, x));
	APPEND(spaces, nspaces, fp_plan__space(dst, &x->prefix));
	APPEND(conns, nconns, fp_plan__conn(dst, x->vnet, x->circuit));
	APPEND(excls, nexcls, fp_plan__excl(dst, &x->prefix));
	APPEND(ports, nports, fp_plan__port(dst, x->name));
#undef APPEND
	return 0;
}

/*
 * The state, and the plan the maps may hold: after an apply that died,
 * anything its pending plan put there too.
 */
int fp_store__load(struct fp_store *s, struct fp_state *st,
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
		const struct fp_plan_port *was = fp_plan__port(held, p->name);
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
static int save_pending(const struct fp_store *s, const struct fp_plan *held,
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
int fp_store__transact(struct fp_maps *m, struct fp_store *s,
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
	err = fp_steps__run(m, held, &next->applied, false, s->interrupted,
			    &steps);
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
