/* SPDX-License-Identifier: GPL-2.0 */
/* loader/pinset.c: the namespace, the bpffs, and the checks of a pin set. */
#ifndef FASTPATH_PINSET_H
#define FASTPATH_PINSET_H

#include <stdbool.h>

#include "fp.h"

int fp_env__enter(const struct fp_opts *o);
/* Only -n's namespace, no bpffs: for a command that only looks. */
int fp_env__enter_netns(const struct fp_opts *o);
/*
 * The pin set at pin_path checked (bpffs; directory, its parents and pins
 * root's and nobody else's to write; layout; network namespace), and
 * locked for the caller: its directory fd, or -errno after one line.
 * With create, a missing directory or empty set is made (*fresh: only the
 * meta maps are pinned, libbpf pins the rest); without, it is "no
 * fastpath maps at DIR" and nothing is created.
 */
int fp_pinset__open(const char *pin_path, bool create, bool *fresh);
/*
 * The same checks for a command that only reads, with no lock (a writer
 * may hold it for long) and no creation: the directory fd, -errno after
 * one line, or -EAGAIN and nothing said when the set is empty, which a
 * creator may be filling: ask fp_pinset__open then, which waits for it.
 */
int fp_pinset__open_ro(const char *pin_path);
struct bpf_object;
/* Every map obj pins is in the set at dfd, or one line "damaged". */
int fp_pinset__complete(const char *pin_path, int dfd,
			const struct bpf_object *obj);
/* The same question, silent. */
bool fp_pinset__whole(int dfd, const struct bpf_object *obj);
/*
 * The set's namespace record against this process's namespace: 0 when
 * they agree or the set has none (claimed when claim and all zero), else
 * one line and -EXDEV (another live namespace's set) or -ESTALE (its
 * namespace is gone; 0 instead when gone_ok).
 */
int fp_pins__check_netns(const char *pin_path, bool claim, bool gone_ok);
/* Our pins (fp_*) under pin_path: how many, or -errno. */
int fp_pins__present(const char *pin_path);
/*
 * Unpin every fp_* under pin_path (and the directory once empty), whatever
 * its layout: how many, or -errno.
 */
int fp_pins__remove(const char *pin_path);
/* The pinned fp_uplinks (key __u32 ifindex in every layout), or -errno. */
int fp_pins__open_uplinks(const char *pin_path);
/* The pinned fp_upv if it has this layout's shape, or -errno. */
int fp_pins__open_upv(const char *pin_path);

#endif
