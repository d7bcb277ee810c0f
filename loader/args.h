/* SPDX-License-Identifier: GPL-2.0 */
/* Command-level argument splitting: --options and positional words. */
#ifndef FASTPATH_ARGS_H
#define FASTPATH_ARGS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A command's options are the fields of its own struct: a bool for a
 * flag, a const char * for an option with a value. A table of
 * fp_option, ended by { 0 }, maps each name to its field (xdp-tools'
 * DEFINE_OPTION), and the parser fills the struct: nobody reads an
 * option by its place in the table.
 */
enum fp_opt_type { FP_OPT_T_FLAG = 1, FP_OPT_T_VALUE };

struct fp_option {
	const char *name; /* "--peer-mac" */
	enum fp_opt_type type;
	size_t offset; /* of its field in the command's struct */
};

/* 0, or a compile error when field is not of type T. */
#define FP_OPT_CHECK_(cfg, field, T)                                 \
	(0 * sizeof(char[__builtin_types_compatible_p(               \
				 __typeof__(((cfg *)0)->field), T) ? \
				 1 :                                 \
				 -1]))
/* A flag: the bool field is set when given. */
#define FP_OPT_FLAG(nm, cfg, field)                                            \
	{                                                                      \
		.name = (nm), .type = FP_OPT_T_FLAG,                           \
		.offset =                                                      \
			offsetof(cfg, field) + FP_OPT_CHECK_(cfg, field, bool) \
	}
/* An option with a value: the const char * field points at it. */
#define FP_OPT_VALUE(nm, cfg, field)                              \
	{                                                         \
		.name = (nm), .type = FP_OPT_T_VALUE,             \
		.offset = offsetof(cfg, field) +                  \
			  FP_OPT_CHECK_(cfg, field, const char *) \
	}

#define FP_MAX_POS 8
#define FP_MAX_OPTS 32 /* options in one table; more are unknown */

/*
 * Split argv into the options of opts, written into the struct cfg, and
 * positional words. Returns the number of positional words, or -1 after
 * printing a usage error for cmd (an unknown option, one given twice, a
 * missing value, too many words). Fields of options not given keep what
 * cfg held. opts may be NULL: a command without options.
 */
int fp_args__parse(const char *cmd, int argc, char **argv,
		   const struct fp_option *opts, void *cfg, const char **pos);

/*
 * An interface-name argument: 0, or -1 after one line "WHAT NAME: why"
 * (a usage error: the name cannot be any interface's).
 */
int fp_args__ifname(const char *what, const char *name);

void fp_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
