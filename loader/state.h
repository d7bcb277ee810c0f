/* SPDX-License-Identifier: GPL-2.0 */
/* The model's state file: load, save (atomic rename), JSON form. */
#ifndef FASTPATH_STATE_H
#define FASTPATH_STATE_H

#include <json-c/json.h>

#include "model.h"

#define FP_DEFAULT_STATE_DIR "/var/lib/fastpath"

/* An absent file is an empty state (0); a damaged one -EINVAL, said why. */
int fp_state__load(const char *path, struct fp_state *st);
/* Writes path.tmp, syncs it and renames it over path. */
int fp_state__save(const char *path, const struct fp_state *st);
json_object *fp_state__to_json(const struct fp_state *st);

#endif
