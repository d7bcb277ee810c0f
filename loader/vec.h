/* SPDX-License-Identifier: GPL-2.0 */
/* Growing arrays: every growable array of the loader goes through here. */
#ifndef FASTPATH_VEC_H
#define FASTPATH_VEC_H

#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define FP_VEC_HUGE (2UL << 20) /* a transparent huge page */

/*
 * Asks for huge pages under a large malloc'd block (Debian's THP mode is
 * "madvise": nobody gets them unasked). A million routes fill a few
 * hundred MB of arrays, each 4 KB page faulted in on first touch; under
 * a hypervisor that shadows page tables each fault costs tens of
 * microseconds, the largest part of a cold sync. The whole block, to its
 * allocated end: advice on part of its mapping would split it, and
 * realloc could no longer move it by remapping. Advice only: a kernel
 * without THP ignores it, and so does this.
 */
static inline void fp_vec__huge(void *p, size_t bytes)
{
	const uintptr_t page = 4096;
	uintptr_t lo, hi;

	if (!p || bytes < 2 * FP_VEC_HUGE)
		return;
	lo = (uintptr_t)p & ~(page - 1);
	hi = ((uintptr_t)p + malloc_usable_size(p) + page - 1) & ~(page - 1);
	(void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
}

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
	fp_vec__huge(v, c * sz);
	return 0;
}

#endif
