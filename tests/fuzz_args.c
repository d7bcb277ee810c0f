// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: fp_args__split(), the option splitter every command
 * runs over its argv. The input, split on NUL bytes, is the argv. What
 * comes back must point into that argv: positional words in order, and a
 * value for every seen option that takes one. Usage errors are the
 * common outcome: run it with -close_fd_mask=2 to keep them off the log.
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fp_arg opts[] = {
		{ .name = "--peer-mac", .has_value = true },
		{ .name = "--class", .has_value = true },
		{ .name = "--json" },
		{ .name = "--once" },
		{ 0 },
	};
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

	n = fp_args__split("fuzz", argc, argv, opts, pos);
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
	for (struct fp_arg *o = opts; n >= 0 && o->name; o++) {
		if (o->seen && o->has_value && !in_argv(o->value, argv, argc))
			abort();
		if (!o->seen && o->value)
			abort();
	}
	free(buf);
	return 0;
}
