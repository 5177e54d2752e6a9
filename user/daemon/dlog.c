// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The daemon's log (dlog.h). */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <unistd.h>
#include "daemon/daemon.h"
#include "daemon/dlog.h"

static void d_vlog(struct daemon *d, int pri, const char *fmt, va_list ap)
{
	char line[512];
	int n;

	if (d && d->use_syslog) {
		vsyslog(pri, fmt, ap);
		return;
	}
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* One write: lines of a killed daemon are never torn. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

void d_log(struct daemon *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	d_vlog(d, LOG_INFO, fmt, ap);
	va_end(ap);
}

void d_err(struct daemon *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	d_vlog(d, LOG_ERR, fmt, ap);
	va_end(ap);
}
