// SPDX-License-Identifier: GPL-2.0
/* One place for messages: ours, libbpf's and libxdp's (quiet unless -v). */
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "log.h"

static enum fp_log_level log_level = FP_LOG_WARN;

void fp_log__set_level(enum fp_log_level level)
{
	log_level = level;
}

void fp_log(enum fp_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (level <= log_level)
		vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (log_level < FP_LOG_DEBUG)
		return 0;
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt,
			va_list ap)
{
	if (log_level < FP_LOG_DEBUG)
		return 0;
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

void fp_log__route_libs(void)
{
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
}
