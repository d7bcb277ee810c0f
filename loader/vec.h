/* SPDX-License-Identifier: GPL-2.0 */
/* Growing arrays: every growable array of the loader goes through here. */
#ifndef FASTPATH_VEC_H
#define FASTPATH_VEC_H

#include <errno.h>
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

/*
 * Room for one more element after the n of the array *arrp, whose
 * capacity *cap doubles (from 64) when full: for arrays that grow often.
 * 0, or -ENOMEM with nothing changed.
 */
static inline int fp_vec__grow(void *arrp, size_t *cap, size_t n, size_t sz)
{
	void **arr = arrp;
	size_t c;
	void *v;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 64;
	v = realloc(*arr, c * sz);
	if (!v)
		return -ENOMEM;
	*arr = v;
	*cap = c;
	return 0;
}

#endif
