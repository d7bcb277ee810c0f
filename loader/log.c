// SPDX-License-Identifier: GPL-2.0
/*
 * One place for messages: ours, libbpf's and libxdp's (quiet unless -v).
 * Under systemd (stderr is a journal stream) each line carries a <N>
 * syslog-level prefix that journald turns into the entry's priority; no
 * colour anywhere.
 */
#include <stdarg.h>
#include <stdio.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "log.h"

static enum fp_log_level log_level = FP_LOG_WARN;
static int to_journal = -1; /* unknown until the first message */

void fp_log__set_level(enum fp_log_level level)
{
	log_level = level;
}

const char *fp_log__prefix(enum fp_log_level level, bool journal)
{
	static const char *const prefix[] = {
		[FP_LOG_WARN] = "<4>",
		[FP_LOG_INFO] = "<6>",
		[FP_LOG_DEBUG] = "<7>",
	};

	return journal ? prefix[level] : "";
}

static void vlog(enum fp_log_level level, const char *fmt, va_list ap)
{
	if (to_journal < 0)
		to_journal = getenv("JOURNAL_STREAM") != NULL;
	fputs(fp_log__prefix(level, to_journal), stderr);
	vfprintf(stderr, fmt, ap);
}

void fp_log(enum fp_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (level <= log_level)
		vlog(level, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (log_level < FP_LOG_DEBUG)
		return 0;
	vlog(level == LIBBPF_WARN ? FP_LOG_WARN : FP_LOG_DEBUG, fmt, ap);
	return 0;
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt,
			va_list ap)
{
	if (log_level < FP_LOG_DEBUG)
		return 0;
	vlog(level == LIBXDP_WARN ? FP_LOG_WARN : FP_LOG_DEBUG, fmt, ap);
	return 0;
}

void fp_log__route_libs(void)
{
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
}

void fp_json__print(struct json_object *j)
{
	printf("%s\n", json_object_to_json_string_ext(
			       j, JSON_C_TO_STRING_PLAIN |
					  JSON_C_TO_STRING_NOSLASHESCAPE));
}
