/* SPDX-License-Identifier: GPL-2.0 */
/* Command-level argument splitting: --options and positional words. */
#ifndef FASTPATH_ARGS_H
#define FASTPATH_ARGS_H

#include <stdbool.h>

struct fp_arg {
	const char *name; /* "--peer-mac" */
	bool has_value;
	const char *value; /* out */
	bool seen; /* out */
};

#define FP_MAX_POS 8

/*
 * Split argv into known options and positional words. Returns the number
 * of positional words, or -1 after printing a usage error for cmd (an
 * unknown option, one given twice, a missing value, too many words).
 */
int fp_args__split(const char *cmd, int argc, char **argv, struct fp_arg *opts,
		   const char **pos);

/*
 * An interface-name argument: 0, or -1 after one line "WHAT NAME: why"
 * (a usage error: the name cannot be any interface's).
 */
int fp_args__ifname(const char *what, const char *name);

void fp_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
