// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: fp_args__parse(), the option splitter every command
 * runs over its argv. The input, split on NUL bytes, is the argv. What
 * comes back must point into that argv: positional words in order, and a
 * value for every seen option that takes one; a flag is set exactly when
 * given, and no byte of the struct outside the options' fields changes.
 * Usage errors are the common outcome: run it with -close_fd_mask=2 to
 * keep them off the log.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool in_argv(const char *p, char **argv, int argc)
{
	for (int i = 0; i < argc; i++)
		if (p == argv[i])
			return true;
	return false;
}

struct fuzz_opts {
	long before;
	const char *peer_mac, *class;
	bool json, once;
	long after;
};

static const struct fp_option opts[] = {
	FP_OPT_VALUE("--peer-mac", struct fuzz_opts, peer_mac),
	FP_OPT_VALUE("--class", struct fuzz_opts, class),
	FP_OPT_FLAG("--json", struct fuzz_opts, json),
	FP_OPT_FLAG("--once", struct fuzz_opts, once),
	{ 0 },
};

/* Whether name is given in argv as an option, not as another's value. */
static bool given(const char *name, char **argv, int argc)
{
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], name))
			return true;
		if (!strcmp(argv[i], "--peer-mac") ||
		    !strcmp(argv[i], "--class"))
			i++;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_opts opt = { .before = 0x5a5a, .after = 0xa5a5 };
	const char *pos[FP_MAX_POS + 1] = { 0 };
	char *buf = malloc(size + 1), *argv[MAX_ARGS];
	int argc = 0, n, last = -1;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (char *p = buf; p <= buf + size && argc < MAX_ARGS;
	     p += strlen(p) + 1)
		argv[argc++] = p;

	n = fp_args__parse("fuzz", argc, argv, opts, &opt, pos);
	if (n < -1 || n > FP_MAX_POS || pos[FP_MAX_POS])
		abort();
	for (int i = 0; i < n; i++) {
		int at = -1;

		for (int j = 0; j < argc; j++)
			if (pos[i] == argv[j])
				at = j;
		/* Positional words are argv's, in argv's order. */
		if (at <= last)
			abort();
		last = at;
	}
	if (opt.before != 0x5a5a || opt.after != 0xa5a5)
		abort();
	if (n >= 0 && ((opt.peer_mac && !in_argv(opt.peer_mac, argv, argc)) ||
		       (opt.class && !in_argv(opt.class, argv, argc)) ||
		       !opt.peer_mac != !given("--peer-mac", argv, argc) ||
		       !opt.class != !given("--class", argv, argc) ||
		       opt.json != given("--json", argv, argc) ||
		       opt.once != given("--once", argv, argc)))
		abort();
	free(buf);
	return 0;
}
