// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: prefixes and addresses as `route add`, `exclude add`
 * and `explain` read them. Whatever fp_parse_prefix() accepts must come
 * back unchanged through fp_format_prefix(): parse(format(parse(x))) ==
 * parse(x), so `route list` prints what `route add` took.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const struct fp_prefix *a, const struct fp_prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

/* format, parse again, compare: abort() is what libFuzzer reports. */
static void round_trip(const struct fp_prefix *p)
{
	char buf[FP_PREFIX_STRLEN];
	struct fp_prefix q;

	if (p->family != AF_INET && p->family != AF_INET6)
		abort();
	if (p->len > (p->family == AF_INET ? 32 : 128))
		abort();
	fp_format_prefix(p, buf, sizeof(buf));
	if (fp_parse_prefix(buf, &q) || !same(p, &q))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exactly size bytes and a NUL: ASan sees any read past them. */
	char *s = malloc(size + 1);
	struct fp_prefix p;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (!fp_parse_prefix(s, &p))
		round_trip(&p);
	if (!fp_parse_addr(s, &p)) {
		/* A bare address is a host prefix, /32 or /128. */
		if (p.len != (p.family == AF_INET ? 32 : 128))
			abort();
		round_trip(&p);
	}
	free(s);
	return 0;
}
