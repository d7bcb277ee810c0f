/* SPDX-License-Identifier: GPL-2.0 */
/* capture: the pure parts (filter words, record lines), for the tests. */
#ifndef FASTPATH_CAPTURE_H
#define FASTPATH_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "fastpath.h"

/*
 * "fast", "gateway", "drop", "pass"; "?" for anything else. The return
 * path's program (prog FP_CAP_PROG_PORT) hands its gateway class to the
 * host's stack, not to a gateway: "stack" there.
 */
const char *fp_capture__class_name(__u32 class, __u32 prog);

/* The program of a record (enum fp_cap_prog): "uplink", "port"; "?". */
const char *fp_capture__prog_name(__u32 prog);

/*
 * A --filter value: class names or "all", comma-separated, into a mask of
 * 1 << enum fp_cap_class ("stack" is the gateway class, the return
 * path's name for it). -EINVAL for an unknown word or an empty list.
 */
int fp_capture__parse_filter(const char *s, __u32 *mask);

/*
 * The VLAN tags a captured frame carries (a gateway frame from a trunk
 * keeps those it came with): *outer 0 for one tag. false: untagged, or
 * the snapshot ends inside the tags.
 */
bool fp_capture__vlan(const struct fp_cap_rec *r, __u16 *outer, __u16 *inner);

/*
 * The text line of a record (no newline): "fast reason=fastpath
 * in=uplink0 out=tap-vm1 len=98", interface names as given ("-" for
 * none), " prog=port" when the return path's program judged it (VM ->
 * on-prem), and " vlan=S/C" for a tagged frame.
 */
int fp_capture__format(const struct fp_cap_rec *r, const char *in,
		       const char *out, char *buf, size_t n);

#endif
