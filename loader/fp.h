/* SPDX-License-Identifier: GPL-2.0 */
/* The loader's global options and exit codes, which every command takes. */
#ifndef FASTPATH_FP_H
#define FASTPATH_FP_H

#include <stdbool.h>

/* With -n NAME and no --pin-path: FP_DEFAULT_PIN_PATH@NAME. */
#define FP_DEFAULT_PIN_PATH "/sys/fs/bpf/fastpath"

/* Exit codes of every command. */
enum { FP_EXIT_OK = 0, FP_EXIT_ERR = 1, FP_EXIT_USAGE = 2 };

struct fp_opts {
	const char *pin_path;
	const char *state_dir; /* the model's state (apply) */
	const char *netns;
	bool default_pin_path; /* no --pin-path: FP_DEFAULT_PIN_PATH or -n's */
	bool json;
	int verbose;
};

#endif
