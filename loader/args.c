// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "log.h"
#include "parse.h"

void fp_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("usage: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see fastpath --help)\n", stderr);
}

int fp_args__parse(const char *cmd, int argc, char **argv,
		   const struct fp_option *opts, void *cfg, const char **pos)
{
	unsigned int seen = 0; /* bit i: opts[i] given */
	int npos = 0;

	for (int i = 0; i < argc; i++) {
		const struct fp_option *o = NULL;
		unsigned int bit;
		char *field;

		if (strncmp(argv[i], "--", 2) || !argv[i][2]) {
			if (npos == FP_MAX_POS) {
				fp_usage_error("%s: too many arguments", cmd);
				return -1;
			}
			pos[npos++] = argv[i];
			continue;
		}
		for (const struct fp_option *a = opts;
		     a && a->name && a - opts < FP_MAX_OPTS; a++)
			if (!strcmp(a->name, argv[i]))
				o = a;
		if (!o) {
			fp_usage_error("%s: unknown option %s", cmd, argv[i]);
			return -1;
		}
		bit = 1U << (o - opts);
		/* As iproute2: a second value would silently win. */
		if (seen & bit) {
			fp_usage_error("%s: %s given twice", cmd, o->name);
			return -1;
		}
		seen |= bit;
		field = (char *)cfg + o->offset;
		if (o->type == FP_OPT_T_FLAG) {
			*(bool *)field = true;
			continue;
		}
		if (i + 1 >= argc) {
			fp_usage_error("%s: %s needs a value", cmd, o->name);
			return -1;
		}
		*(const char **)field = argv[++i];
	}
	return npos;
}

int fp_args__ifname(const char *what, const char *name)
{
	int err = fp_parse_ifname(name);

	if (err)
		pr_warn("%s %s: %s\n", what, name, fp_ifname_error(err));
	return err ? -1 : 0;
}
