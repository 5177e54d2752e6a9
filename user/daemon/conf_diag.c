// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Config diagnostics: "FILE:LINE: error: ...", printed as found. */
#include <stdarg.h>

#include "conf.h"

static void vreport(struct conf_diag *d, const struct conf_loc *at,
		    const char *what, const char *fmt, va_list ap)
{
	if (!d->out)
		return;
	if (at && at->file && at->line > 0)
		fprintf(d->out, "%s:%d: ", at->file, at->line);
	else if (at && at->file)
		fprintf(d->out, "%s: ", at->file);
	fprintf(d->out, "%s: ", what);
	vfprintf(d->out, fmt, ap);
	fputc('\n', d->out);
}

void conf_error(struct conf_diag *d, const struct conf_loc *at, const char *fmt,
		...)
{
	va_list ap;

	d->errors++;
	va_start(ap, fmt);
	vreport(d, at, "error", fmt, ap);
	va_end(ap);
}

void conf_warning(struct conf_diag *d, const struct conf_loc *at,
		  const char *fmt, ...)
{
	va_list ap;

	d->warnings++;
	va_start(ap, fmt);
	vreport(d, at, "warning", fmt, ap);
	va_end(ap);
}
