// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The daemon's log (dlog.h). */
#define _GNU_SOURCE /* fopencookie */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
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

/* Each complete line of the stream is one syslog message: the stream is
 * line-buffered, so a write is a line, or a part of one too long for it. */
static ssize_t syslog_write(void *cookie, const char *buf, size_t size)
{
	size_t n = size;

	(void)cookie;
	if (n && buf[n - 1] == '\n')
		n--;
	if (n)
		syslog(memmem(buf, n, ": error:", 8) ? LOG_ERR : LOG_WARNING,
		       "%.*s", (int)n, buf);
	return (ssize_t)size;
}

FILE *d_syslog_stream(void)
{
	cookie_io_functions_t io = {.write = syslog_write};
	FILE *f;

	f = fopencookie(NULL, "w", io);
	if (f)
		setvbuf(f, NULL, _IOLBF, 1024);
	return f;
}
