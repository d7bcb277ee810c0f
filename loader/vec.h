/* SPDX-License-Identifier: GPL-2.0 */
/* Growing an array one element at a time (config, model, apply). */
#ifndef FASTPATH_VEC_H
#define FASTPATH_VEC_H

#include <stdlib.h>
#include <string.h>

/*
 * Appends one zeroed element of size sz to the array *arrp of *n
 * elements, whatever allocated it; the element, or NULL (nothing
 * changed) when out of memory.
 */
static inline void *fp_vec__push(void *arrp, size_t *n, size_t sz)
{
	void **arr = arrp;
	char *v = realloc(*arr, (*n + 1) * sz);

	if (!v)
		return NULL;
	*arr = v;
	memset(v + *n * sz, 0, sz);
	return v + (*n)++ * sz;
}

#endif
