/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every reader and writer of the maps asks alike: is this error the
 * map being full.
 */
#ifndef FASTPATH_MAPIO_H
#define FASTPATH_MAPIO_H

#include <stdbool.h>

/*
 * A write refused for want of room (err is -errno): E2BIG from a hash or
 * LPM map at max_entries, ENOSPC from the FIB compiler's trie, ENOMEM
 * when the kernel cannot allocate the element.
 */
bool fp_map__full(int err);
/* "map is full" for those, strerror otherwise: a write's error to print. */
const char *fp_map__strerror(int err);

#endif
