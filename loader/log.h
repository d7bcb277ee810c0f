/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FASTPATH_LOG_H
#define FASTPATH_LOG_H

#include <stdbool.h>

enum fp_log_level { FP_LOG_WARN, FP_LOG_INFO, FP_LOG_DEBUG };

void fp_log__set_level(enum fp_log_level level);
void fp_log__route_libs(void);
/* "<4>" etc. for journald when journal is set, else "". */
const char *fp_log__prefix(enum fp_log_level level, bool journal);
void fp_log(enum fp_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

struct json_object;

/*
 * A command's --json output: one line, iproute2 style (no pretty
 * printing, no escaped slashes). Does not take the object.
 */
void fp_json__print(struct json_object *j);

#define pr_warn(...) fp_log(FP_LOG_WARN, __VA_ARGS__)
#define pr_info(...) fp_log(FP_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) fp_log(FP_LOG_DEBUG, __VA_ARGS__)

#endif
