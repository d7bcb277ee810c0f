// SPDX-License-Identifier: GPL-2.0
/* Prefix arithmetic, written once (see prefix.h). */
#include <string.h>

#include "prefix.h"

int fp_prefix__cmp(const struct fp_prefix *a, const struct fp_prefix *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(a->addr, b->addr, sizeof(a->addr));
}

int fp_prefix__tree_cmp(const struct fp_prefix *a, const struct fp_prefix *b)
{
	int d;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	d = memcmp(a->addr, b->addr, sizeof(a->addr));
	if (d)
		return d;
	return a->len < b->len ? -1 : a->len > b->len;
}

bool fp_prefix__within(const struct fp_prefix *q, const struct fp_prefix *p)
{
	int full = p->len / 8, rest = p->len % 8;

	if (q->family != p->family || q->len < p->len)
		return false;
	if (memcmp(q->addr, p->addr, full))
		return false;
	return !rest ||
	       !((q->addr[full] ^ p->addr[full]) & (0xff << (8 - rest)));
}

void fp_prefix__shorten(struct fp_prefix *p)
{
	p->len--;
	p->addr[p->len / 8] &= (__u8) ~(0x80 >> (p->len % 8));
}

void fp_prefix__mask(struct fp_prefix *p)
{
	int full = p->len / 8, rest = p->len % 8;

	if (full >= 16)
		return;
	if (rest)
		p->addr[full++] &= (__u8)(0xff << (8 - rest));
	memset(p->addr + full, 0, sizeof(p->addr) - full);
}
