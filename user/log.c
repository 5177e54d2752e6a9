// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <syslog.h>
#include "log.h"

/* The one process-wide setting (see lbxdp_log_syslog()). */
static bool to_syslog;

/* One write a line: a process killed mid-message leaves no half line. */
static void vlog(FILE *f, int pri, const char *prefix, const char *fmt,
		 va_list ap)
{
	char line[1024];
	int n;

	n = snprintf(line, sizeof(line), "%s", prefix);
	n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	if (to_syslog) {
		/* libbpf's lines end in a newline of their own. */
		if (n && line[n - 1] == '\n')
			n--;
		line[n] = '\0';
		syslog(pri, "%s", line);
		return;
	}
	line[n++] = '\n';
	fwrite(line, 1, n, f);
	fflush(f);
}

void lbxdp_log_syslog(void)
{
	to_syslog = true;
}

void p_vlog(bool warn, const char *fmt, va_list ap)
{
	vlog(stderr, warn ? LOG_WARNING : LOG_INFO, "", fmt, ap);
}

void p_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(stderr, LOG_ERR, "Error: ", fmt, ap);
	va_end(ap);
}

void p_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(stderr, LOG_WARNING, "Warning: ", fmt, ap);
	va_end(ap);
}

void p_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(stderr, LOG_INFO, "", fmt, ap);
	va_end(ap);
}
