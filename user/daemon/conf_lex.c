// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * keepalived.conf(5)'s lexical layer, written from the manual and checked
 * against keepalived 2.2.7's behaviour (keepalived -t):
 *  - '!' and '#' start a comment anywhere outside double quotes; "\#" and
 *    "\!" are the characters.
 *  - "@ID line" is read only when ID is the config id, "@^ID line" only
 *    when it is not.
 *  - "$NAME=value" defines NAME; a value ending in '\' goes on over the
 *    next lines (a multiline definition, one line per continuation).
 *    "$NAME" (followed by a blank, ',', ')' or the end) and "${NAME}" are
 *    replaced, recursively, when the line is read; an undefined name stays.
 *  - "~SEQ(VAR, [START,] [STEP,] END) TEXT" reads TEXT once per value of
 *    VAR ("~SEQx" in hex); "~LST(VAR, V1, V2, ...) TEXT" once per value,
 *    "~LST({VAR1, VAR2}, {V1, V2}, ...) TEXT" once per set of values.
 *  - Predefined: $_PWD, $_HASH, $_BANG, $_INSTANCE (the config id) and
 *    ${_RANDOM [MIN [MAX]]} (from conf_opts' seed: reproducible in tests).
 *  - "include GLOB" (and includer/m/w/b/a) reads the matching files in
 *    order; relative to the including file's directory.
 *  - Words are split at blanks; "..." and '...' quote (escapes inside:
 *    \n \t \xHH \NNN ...); an unquoted '{' or '}' is a word of its own.
 * Every expansion is bounded (depth, line size, total size, work), so a
 * file like "$A=${A}${A}" is an error, not a hang.
 */
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf_lex.h"

struct def {
	char *name;
	char *val; /* '\n' separates the lines of a multiline value */
};

struct lex {
	const struct conf_opts *o;
	const char *cid;
	char host[256];
	struct conf *cf;
	struct conf_stmts *out;
	struct conf_diag *d;
	struct def *defs;
	int ndefs;
	int ml;		  /* the multiline definition being read, -1: none */
	const char *file; /* the file being read (for $_PWD, includes) */
	int incl;
	int max_depth;
	size_t max_line;
	size_t total;
	size_t expanded; /* bytes that expansions wrote, lines that failed too */
	unsigned int errors0;
	long work;
	const struct conf_loc *at; /* the line being read */
	__u64 rnd;		   /* ${_RANDOM}'s state (splitmix64) */
	bool abort;		   /* a global bound was hit: stop reading */
	int err;		   /* -ENOMEM */
};

struct sb {
	char *s;
	size_t len, cap;
};

static int sb_add(struct sb *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *s;

		while (cap < b->len + n + 1)
			cap *= 2;
		s = realloc(b->s, cap);
		if (!s)
			return -ENOMEM;
		b->s = s;
		b->cap = cap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

static void oom(struct lex *lx)
{
	lx->err = -ENOMEM;
	lx->abort = true;
}

void conf_stmts_free(struct conf_stmts *s)
{
	int i, j;

	for (i = 0; i < s->n; i++) {
		for (j = 0; j < s->v[i].n; j++)
			free(s->v[i].w[j]);
		free(s->v[i].w);
	}
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

/* The file name that locations point to, owned by cf->files. */
static const char *add_file(struct lex *lx, const char *path)
{
	char **f;
	char *s;
	int i;

	for (i = 0; i < lx->cf->nfiles; i++)
		if (!strcmp(lx->cf->files[i], path))
			return lx->cf->files[i];
	f = realloc(lx->cf->files, (lx->cf->nfiles + 1) * sizeof(*f));
	if (!f)
		return NULL;
	lx->cf->files = f;
	s = strdup(path);
	if (!s)
		return NULL;
	f[lx->cf->nfiles++] = s;
	return s;
}

/* Comments out, leading and trailing blanks out, as keepalived's reader. */
static void decomment(char *s)
{
	bool quote = false;
	char *p = s + strspn(s, " \t");
	size_t n;

	if (p != s)
		memmove(s, p, strlen(p) + 1);
	for (p = s; *p; p++) {
		if (*p == '"') {
			quote = !quote;
		} else if (*p == '\\' && p[1]) {
			if (!quote && (p[1] == '#' || p[1] == '!'))
				memmove(p, p + 1, strlen(p + 1) + 1);
			else
				p++;
		} else if (!quote && (*p == '!' || *p == '#')) {
			*p = '\0';
			break;
		}
	}
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

static struct def *def_find(struct lex *lx, const char *name, size_t len)
{
	int i;

	for (i = 0; i < lx->ndefs; i++)
		if (strlen(lx->defs[i].name) == len &&
		    !memcmp(lx->defs[i].name, name, len))
			return &lx->defs[i];
	return NULL;
}

/* Define (or redefine) @name as @val; returns its index or -1. */
static int def_set(struct lex *lx, const char *name, size_t len,
		   const char *val, const struct conf_loc *at)
{
	struct def *d = def_find(lx, name, len);
	char *v = strdup(val);

	if (!v) {
		oom(lx);
		return -1;
	}
	if (!d) {
		struct def *defs;

		if (lx->ndefs == CONF_MAX_DEFS) {
			free(v);
			conf_error(lx->d, at, "more than %d definitions",
				   CONF_MAX_DEFS);
			lx->abort = true;
			return -1;
		}
		defs = realloc(lx->defs, (lx->ndefs + 1) * sizeof(*defs));
		if (!defs) {
			free(v);
			oom(lx);
			return -1;
		}
		lx->defs = defs;
		d = &defs[lx->ndefs];
		d->name = strndup(name, len);
		if (!d->name) {
			free(v);
			oom(lx);
			return -1;
		}
		lx->ndefs++;
	} else {
		free(d->val);
	}
	d->val = v;
	return (int)(d - lx->defs);
}

static bool name_start(char c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static __u64 next_random(struct lex *lx)
{
	__u64 z = (lx->rnd += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ${_RANDOM [MIN [MAX]]}: as keepalived, one number is the minimum; the
 * range is 0-32767 by default. */
static const char *random_def(struct lex *lx, const char *params, size_t plen,
			      struct sb *tmp)
{
	unsigned long long v[2] = {0, 32767}, r;
	char buf[32], num[24];
	const char *p = buf;
	int n = 0;

	snprintf(buf, sizeof(buf), "%.*s", (int)plen, params ? params : "");
	p += strspn(p, " ");
	while (*p && n < 2) {
		char *end;

		errno = 0;
		v[n++] = strtoull(p, &end, 10);
		if (errno || plen >= sizeof(buf) - 1) {
			conf_error(lx->d, lx->at,
				   "${_RANDOM%.*s}: out of range", (int)plen,
				   params);
			return "";
		}
		p = end + strspn(end, " ");
	}
	if (*p)
		conf_warning(
			lx->d, lx->at,
			"${_RANDOM%.*s}: more than two numbers: the others ignored",
			(int)plen, params);
	if (v[0] > v[1]) {
		conf_error(lx->d, lx->at,
			   "${_RANDOM%.*s}: the minimum is above the maximum",
			   (int)plen, params);
		return "";
	}
	r = next_random(lx);
	if (v[1] - v[0] < ~0ULL)
		r = v[0] + r % (v[1] - v[0] + 1);
	snprintf(num, sizeof(num), "%llu", r);
	tmp->len = 0;
	if (sb_add(tmp, num, strlen(num)))
		return NULL;
	return tmp->s;
}

/* keepalived 2.2.7's standard definitions. Only _RANDOM takes parameters
 * (${NAME N...}): with them, any other is not a definition. */
static const char *std_def(struct lex *lx, const char *name, size_t len,
			   const char *params, size_t plen, struct sb *tmp)
{
	const char *slash;

	if (len == 7 && !memcmp(name, "_RANDOM", 7))
		return random_def(lx, params, plen, tmp);
	if (params)
		return NULL;
	if (len == 9 && !memcmp(name, "_INSTANCE", 9))
		return lx->cid;
	if (len == 5 && !memcmp(name, "_HASH", 5))
		return "#";
	if (len == 5 && !memcmp(name, "_BANG", 5))
		return "!";
	if (len == 4 && !memcmp(name, "_PWD", 4)) {
		slash = strrchr(lx->file, '/');
		tmp->len = 0;
		if (!slash) {
			if (sb_add(tmp, ".", 1))
				return NULL;
		} else if (sb_add(tmp, lx->file,
				  slash == lx->file ? 1 : slash - lx->file)) {
			return NULL;
		}
		return tmp->s;
	}
	return NULL;
}

/* sb_add() for expansions: all of them together are bounded too, so
 * that a ~SEQ of lines that each expand to the limit stays cheap. */
static int ex_add(struct lex *lx, struct sb *out, const char *p, size_t n)
{
	lx->expanded += n;
	if (lx->expanded > CONF_MAX_EXPAND)
		return -EFBIG;
	return sb_add(out, p, n);
}

/*
 * Append @s with its definitions replaced to @out. Returns 0, or -ELOOP /
 * -E2BIG (@why names the definition), -EFBIG (all expansions together too
 * big) or -ENOMEM: see expand_error().
 * @stop is set when a value starting with '~' was inserted: keepalived
 * leaves the rest of such a line to ~SEQ.
 */
static int expand(struct lex *lx, const char *s, struct sb *out, int depth,
		  const char **why, bool *stop, char **rest)
{
	const char *p = s, *start;

	while (*p && !*stop) {
		const char *name, *val = NULL, *next, *params = NULL;
		struct sb tmp = {0};
		size_t len = 0, plen = 0;
		struct def *d;
		int err;

		start = p;
		p = strchr(p, '$');
		if (!p)
			p = start + strlen(start);
		err = ex_add(lx, out, start, p - start);
		if (err)
			return err;
		if (!*p)
			break;
		name = p + 1;
		next = NULL;
		if (*name == '{' && name_start(name[1])) {
			name++;
			size_t q;

			while (name_char(name[len]))
				len++;
			/* "${NAME 1 2}": parameters, digits and blanks, not
			 * ending in a blank */
			for (q = len;
			     name[q] == ' ' || isdigit((unsigned char)name[q]);
			     q++)
				if (name[q] != ' ')
					params = name + len;
			if (name[q] == '}' && (!params || name[q - 1] != ' ')) {
				next = name + q + 1;
				plen = q - len;
			} else {
				params = NULL;
			}
		} else if (name_start(*name)) {
			while (name_char(name[len]))
				len++;
			if (strchr(" \t,)\n", name[len]))
				next = name + len;
		}
		d = next && !params ? def_find(lx, name, len) : NULL;
		/* As keepalived: a multiline definition only alone at the end
		 * of a line; its first line goes on this one, the others are
		 * read after it, one by one (@rest), so that a definition in
		 * one applies to the next. */
		if (d && strchr(d->val, '\n') && (*next || !rest))
			d = NULL;
		if (d && strchr(d->val, '\n')) {
			size_t n = strcspn(d->val, "\n");
			char *first = strndup(d->val, n);

			*rest = strdup(d->val + n + 1);
			if (!first || !*rest) {
				free(first);
				return -ENOMEM;
			}
			if (depth >= lx->max_depth) {
				free(first);
				*why = d->name;
				return -ELOOP;
			}
			err = expand(lx, first, out, depth + 1, why, stop,
				     NULL);
			free(first);
			*stop = true;
			if (!err && out->len > lx->max_line)
				err = -E2BIG;
			return err;
		}
		if (d)
			val = d->val;
		else if (next)
			val = std_def(lx, name, len, params, plen, &tmp);
		if (!val) {
			free(tmp.s);
			err = ex_add(lx, out, p, 1);
			if (err)
				return err;
			p++;
			continue;
		}
		if (depth >= lx->max_depth) {
			free(tmp.s);
			*why = d ? d->name : "";
			return -ELOOP;
		}
		if (val[strspn(val, " \t")] == '~') {
			err = ex_add(lx, out, val, strlen(val));
			if (!err)
				err = ex_add(lx, out, next, strlen(next));
			free(tmp.s);
			*stop = true;
			return err ? err : out->len > lx->max_line ? -E2BIG : 0;
		}
		err = expand(lx, val, out, depth + 1, why, stop, NULL);
		free(tmp.s);
		if (err)
			return err;
		if (out->len > lx->max_line)
			return -E2BIG;
		p = next;
	}
	return out->len > lx->max_line ? -E2BIG : 0;
}

static int add_stmt(struct lex *lx, char **w, int n, bool open, bool close,
		    const struct conf_loc *at)
{
	struct conf_stmts *o = lx->out;
	struct conf_stmt *st;
	int i;

	for (i = 0; i < n; i++)
		lx->total += strlen(w[i]) + 1;
	lx->total += 32;
	if (lx->total > CONF_MAX_TOTAL) {
		conf_error(lx->d, at,
			   "the configuration expands to more than %d bytes",
			   CONF_MAX_TOTAL);
		lx->abort = true;
		return -E2BIG;
	}
	if (o->n == o->cap) {
		int cap = o->cap ? o->cap * 2 : 64;

		st = realloc(o->v, cap * sizeof(*st));
		if (!st)
			return -ENOMEM;
		o->v = st;
		o->cap = cap;
	}
	st = &o->v[o->n++];
	st->w = w;
	st->n = n;
	st->open = open;
	st->close = close;
	st->at = *at;
	return 0;
}

static int hexdig(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* One escape in a quoted string, at @p (after the backslash). */
static const char *unescape(const char *p, char *c)
{
	static const char from[] = "abEfnrtv", to[] = "\a\b\033\f\n\r\t\v";
	const char *f = *p ? strchr(from, *p) : NULL;
	int v, n;

	if (f) {
		*c = to[f - from];
		return p + 1;
	}
	if (*p >= '0' && *p <= '7') {
		for (v = 0, n = 0; n < 3 && *p >= '0' && *p <= '7'; n++, p++)
			v = v * 8 + (*p - '0');
		*c = (char)v;
		return p;
	}
	if (*p == 'x' && hexdig(p[1]) >= 0) {
		for (v = 0, p++; hexdig(*p) >= 0; p++)
			v = v * 16 + hexdig(*p);
		*c = (char)v;
		return p;
	}
	if (*p == 'c' && p[1]) {
		*c = (char)(toupper((unsigned char)p[1]) ^ 0x40);
		return p + 2;
	}
	*c = *p;
	return *p ? p + 1 : p;
}

static void free_words(char **w, int n)
{
	while (n > 0)
		free(w[--n]);
	free(w);
}

/* Split a line into words and statements. */
static void tokenize(struct lex *lx, const char *p, const struct conf_loc *at)
{
	char **w = NULL;
	int n = 0;
	struct sb word = {0};

	for (;;) {
		bool brace;
		char **nw;

		p += strspn(p, " \t\r\v\f");
		if (!*p)
			break;
		brace = *p == '{' || *p == '}';
		if (brace && sb_add(&word, p++, 1))
			goto nomem;
		while (!brace && *p && !strchr(" \t\r\v\f{}", *p)) {
			if (*p == '"' || *p == '\'') {
				char q = *p++;

				while (*p && *p != q) {
					char c = *p++;

					if (c == '\\')
						p = unescape(p, &c);
					if (sb_add(&word, &c, 1))
						goto nomem;
				}
				if (!*p) {
					conf_error(lx->d, at,
						   "unterminated quote %c", q);
					goto drop;
				}
				p++;
				/* "" is a word even when empty */
				if (sb_add(&word, "", 0))
					goto nomem;
			} else if (sb_add(&word, p++, 1)) {
				goto nomem;
			}
		}
		if (brace && word.s[0] == '}' && n) {
			/* "a b }": "a b", then "}" */
			if (add_stmt(lx, w, n, false, false, at))
				goto drop_nofree;
			w = NULL;
			n = 0;
		}
		if (brace) {
			bool open = word.s[0] == '{';

			if (add_stmt(lx, w, n, open, !open, at))
				goto drop_nofree;
			w = NULL;
			n = 0;
			word.len = 0;
			continue;
		}
		/* capacity: the power of two at or above n */
		if (!(n & (n - 1))) {
			nw = realloc(w, (n ? 2 * (size_t)n : 1) * sizeof(*w));
			if (!nw)
				goto nomem;
			w = nw;
		}
		w[n] = strdup(word.s ? word.s : "");
		if (!w[n])
			goto nomem;
		n++;
		free(word.s);
		word = (struct sb){0};
	}
	if (n && add_stmt(lx, w, n, false, false, at))
		goto drop_nofree;
	free(word.s);
	return;
nomem:
	oom(lx);
drop:
	free_words(w, n);
	free(word.s);
	return;
drop_nofree:
	if (!lx->abort)
		oom(lx);
	free_words(w, n);
	free(word.s);
}

static void line(struct lex *lx, char *text, const struct conf_loc *at,
		 int depth, bool expanded);
static int read_file(struct lex *lx, const char *path,
		     const struct conf_loc *from);

static bool is_include(const char *s, char *kind)
{
	if (strncmp(s, "include", 7))
		return false;
	if (s[7] == ' ' || s[7] == '\t') {
		*kind = 0;
		return true;
	}
	if (s[7] && strchr("rmwba", s[7]) && (s[8] == ' ' || s[8] == '\t')) {
		*kind = s[7];
		return true;
	}
	return false;
}

static void include(struct lex *lx, const char *text, char kind,
		    const struct conf_loc *at)
{
	const char *pat = text + (kind ? 8 : 7);
	const char *saved = lx->file;
	struct sb full = {0};
	glob_t g = {0};
	size_t i;
	int err;

	pat += strspn(pat, " \t");
	if (lx->o && lx->o->no_include) {
		conf_error(lx->d, at, "include is not allowed here");
		return;
	}
	if (!*pat) {
		conf_error(lx->d, at, "include: no file name");
		return;
	}
	if (lx->incl >= CONF_MAX_INCLUDE) {
		conf_error(lx->d, at, "includes nested deeper than %d",
			   CONF_MAX_INCLUDE);
		return;
	}
	if (*pat != '/') {
		const char *slash = strrchr(lx->file, '/');

		if (slash && sb_add(&full, lx->file, slash - lx->file + 1))
			goto nomem;
	}
	if (sb_add(&full, pat, strlen(pat)))
		goto nomem;
	err = glob(full.s, GLOB_BRACE, NULL, &g);
	if (err == GLOB_NOSPACE)
		goto nomem;
	if (err) {
		if (kind != 'r')
			conf_error(lx->d, at, "include %s: no file matches",
				   pat);
		goto out;
	}
	lx->incl++;
	for (i = 0; i < g.gl_pathc && !lx->abort; i++)
		read_file(lx, g.gl_pathv[i], at);
	lx->incl--;
	lx->file = saved;
	lx->at = at;
	goto out;
nomem:
	oom(lx);
out:
	globfree(&g);
	free(full.s);
}

/* "$NAME=value": returns true when @text is a definition (then taken). */
static bool definition(struct lex *lx, const char *text,
		       const struct conf_loc *at)
{
	const char *p = text + 1, *v;
	size_t len, n;
	char *val;
	int i;

	if (!name_start(*p))
		return false;
	while (name_char(*p))
		p++;
	if (*p != '=')
		return false;
	len = p - (text + 1);
	v = p + 1 + strspn(p + 1, " \t");
	n = strlen(v);
	if (n && v[n - 1] == '\\') {
		n--;
		while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		val = strndup(v, n);
		if (!val) {
			oom(lx);
			return true;
		}
		if (n) {
			/* the first line ends here */
			char *nv = realloc(val, n + 2);

			if (!nv) {
				free(val);
				oom(lx);
				return true;
			}
			val = nv;
			val[n] = '\n';
			val[n + 1] = '\0';
		}
		i = def_set(lx, text + 1, len, val, at);
		free(val);
		lx->ml = i;
		return true;
	}
	def_set(lx, text + 1, len, v, at);
	return true;
}

/* A continuation line of a multiline definition. */
static void def_more(struct lex *lx, const char *text)
{
	struct def *d = &lx->defs[lx->ml];
	size_t n = strlen(text), old = strlen(d->val);
	bool more = n && text[n - 1] == '\\';
	char *v;

	if (more) {
		n--;
		while (n && (text[n - 1] == ' ' || text[n - 1] == '\t'))
			n--;
	} else {
		lx->ml = -1;
	}
	if (!n)
		return;
	v = realloc(d->val, old + n + 2);
	if (!v) {
		oom(lx);
		return;
	}
	memcpy(v + old, text, n);
	v[old + n] = more ? '\n' : '\0';
	v[old + n + 1] = '\0';
	d->val = v;
}

/* Report what expand() returned; a global bound stops the reading. */
static void expand_error(struct lex *lx, const struct conf_loc *at, int err,
			 const char *why)
{
	if (err == -ELOOP)
		conf_error(
			lx->d, at,
			"$%s: definitions nested deeper than %d (a recursive definition?)",
			why, lx->max_depth);
	else if (err == -E2BIG)
		conf_error(
			lx->d, at,
			"line longer than %zu bytes after expanding definitions",
			lx->max_line);
	else if (err == -EFBIG)
		conf_error(lx->d, at,
			   "definitions expand to more than %d bytes in all",
			   CONF_MAX_EXPAND);
	if (err == -EFBIG)
		lx->abort = true;
	else if (err == -ENOMEM)
		oom(lx);
}

static bool parse_long(const char **p, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(*p, &end, 0);
	if (end == *p || errno)
		return false;
	*p = end + strspn(end, " \t");
	return true;
}

/* "~SEQ(VAR, ...) TEXT" (keepalived's argument forms). */
static void seq(struct lex *lx, const char *text, const struct conf_loc *at,
		int depth)
{
	const char *p = text + 4, *var, *close, *why = NULL;
	long v[3], start, step, end, i;
	struct sb args = {0};
	bool hex = false, stop = false;
	size_t vlen;
	int n = 0, err;

	if (*p == 'x') {
		hex = true;
		p++;
	}
	p += strspn(p, " \t");
	if (*p++ != '(')
		goto bad;
	p += strspn(p, " \t");
	var = p;
	while (name_char(*p))
		p++;
	vlen = p - var;
	p += strspn(p, " \t");
	if (!vlen || !name_start(*var) || *p != ',')
		goto bad;
	p++;
	close = strchr(p, ')');
	if (!close)
		goto bad;
	if (sb_add(&args, p, close - p))
		goto nomem;
	{
		struct sb ex = {0};

		err = expand(lx, args.s, &ex, 0, &why, &stop, NULL);
		free(args.s);
		args = ex;
		if (err == -EFBIG || err == -ENOMEM) {
			expand_error(lx, at, err, why);
			free(args.s);
			return;
		}
		if (err || !args.s) /* no arguments */
			goto bad;
	}
	p = args.s;
	p += strspn(p, " \t");
	for (;;) {
		if (n == 3 || !parse_long(&p, &v[n]))
			goto bad;
		n++;
		if (!*p)
			break;
		if (*p++ != ',')
			goto bad;
		p += strspn(p, " \t");
	}
	if (n == 1) {
		end = v[0];
		step = end < 1 ? -1 : 1;
		start = end < 0 ? -1 : 1;
	} else if (n == 2) {
		start = v[0];
		end = v[1];
		step = start <= end ? 1 : -1;
	} else {
		start = v[0];
		step = v[1];
		end = v[2];
		if (!step || (start < end && step < 0) ||
		    (start > end && step > 0))
			goto bad;
	}
	if (hex && (start < 0 || end < 0))
		goto bad;
	text = close + 1 + strspn(close + 1, " \t");
	for (i = start; !lx->abort; i += step) {
		char num[24], *copy;

		if (hex)
			snprintf(num, sizeof(num), "%lx", (unsigned long)i);
		else
			snprintf(num, sizeof(num), "%ld", i);
		if (def_set(lx, var, vlen, num, at) < 0)
			break;
		copy = strdup(text);
		if (!copy)
			goto nomem;
		line(lx, copy, at, depth + 1, false);
		free(copy);
		if (i == end ||
		    (step > 0 && (i > end - step || i > LONG_MAX - step)) ||
		    (step < 0 && (i < end - step || i < LONG_MIN - step)))
			break;
	}
	free(args.s);
	return;
bad:
	conf_error(lx->d, at, "invalid ~SEQ: '%s'", text);
	free(args.s);
	return;
nomem:
	free(args.s);
	oom(lx);
}

/* Blanks, as keepalived skips them in ~LST. */
static char *blanks(char *p)
{
	return p + strspn(p, " \t");
}

static bool is_name(const char *s)
{
	if (!name_start(*s))
		return false;
	while (name_char(*s))
		s++;
	return !*s;
}

/*
 * "~LST(VAR, V1, V2, ...) TEXT" or "~LST({VAR1, VAR2, ...}, {V1, V2, ...},
 * ...) TEXT": TEXT once per value (set), as keepalived 2.2.7: values end at
 * a blank, ',', '}' or ')', are taken as written (expanded where TEXT uses
 * them), and a set with fewer values than variables leaves the others
 * empty. At most CONF_MAX_LST_VARS variables: each repetition sets them all.
 */
static void lst(struct lex *lx, const char *text, const struct conf_loc *at,
		int depth)
{
	char *buf = strdup(text), *p, *end, c, *vars[CONF_MAX_LST_VARS];
	const char **vals = NULL, **nv;
	int nvars = 0, nvals = 0, cap = 0, nsets = 0, v, i, j;
	bool braced;

	if (!buf)
		goto nomem;
	p = blanks(buf + 4);
	if (*p++ != '(')
		goto bad;
	p = blanks(p);
	braced = *p == '{';
	if (braced)
		p = blanks(p + 1);
	for (;;) {
		char *var = p;

		end = p + strcspn(p, " \t,}");
		p = blanks(end);
		c = *p;
		*end = '\0';
		if (!is_name(var))
			goto bad;
		if (nvars == CONF_MAX_LST_VARS) {
			conf_error(lx->d, at,
				   "~LST: more than %d variables: '%s'",
				   CONF_MAX_LST_VARS, text);
			goto out;
		}
		vars[nvars++] = var;
		if (braced ? c == '}' : c == ',')
			break;
		if (c != ',')
			goto bad;
		p = blanks(p + 1);
	}
	p++;
	if (braced) {
		p = blanks(p);
		if (*p++ != ',')
			goto bad;
	}
	p = blanks(p);
	for (;;) {
		bool set = *p == '{';

		if (set)
			p = blanks(p + 1);
		for (v = 0;; v++) {
			if (nvals == cap) {
				cap = cap ? 2 * cap : 16;
				nv = realloc(vals, cap * sizeof(*vals));
				if (!nv)
					goto nomem;
				vals = nv;
			}
			if (v == nvars) {
				conf_error(
					lx->d, at,
					"~LST: more values than variables: '%s'",
					text);
				goto out;
			}
			vals[nvals++] = p;
			end = p + strcspn(p, " \t,})");
			p = blanks(end);
			c = *p;
			*end = '\0';
			if (set ? c == '}' : c == ',' || c == ')')
				break;
			if (c != ',')
				goto bad;
			p = blanks(p + 1);
		}
		/* the values not given are empty */
		for (v++; v < nvars; v++) {
			if (nvals == cap) {
				cap = 2 * cap;
				nv = realloc(vals, cap * sizeof(*vals));
				if (!nv)
					goto nomem;
				vals = nv;
			}
			vals[nvals++] = "";
		}
		nsets++;
		if (set) {
			p = blanks(p + 1);
			c = *p;
		}
		if (c == ')')
			break;
		if (c != ',')
			goto bad;
		p = blanks(p + 1);
	}
	p = blanks(p + 1);
	for (i = 0; i < nsets && !lx->abort; i++) {
		char *copy;

		for (j = 0; j < nvars; j++)
			if (def_set(lx, vars[j], strlen(vars[j]),
				    vals[i * nvars + j], at) < 0)
				goto out;
		/* setting the variables is work too */
		lx->work += nvars - 1;
		copy = strdup(p);
		if (!copy)
			goto nomem;
		line(lx, copy, at, depth + 1, false);
		free(copy);
	}
	goto out;
bad:
	conf_error(lx->d, at, "invalid ~LST: '%s'", text);
	goto out;
nomem:
	oom(lx);
out:
	free(vals);
	free(buf);
}

/* One line of text: conditions, definitions, ~SEQ, includes, words. */
static void line(struct lex *lx, char *text, const struct conf_loc *at,
		 int depth, bool expanded)
{
	char kind;

	if (lx->abort)
		return;
	lx->at = at;
	if (lx->d->errors - lx->errors0 >= CONF_MAX_ERRORS) {
		conf_error(lx->d, at, "more than %d errors: stopping here",
			   CONF_MAX_ERRORS);
		lx->abort = true;
		return;
	}
	if (++lx->work > CONF_MAX_WORK) {
		conf_error(lx->d, at,
			   "the configuration expands to more than %d lines",
			   CONF_MAX_WORK);
		lx->abort = true;
		return;
	}
	/*
	 * After the work and error bounds: a ~SEQ of 10^9 whose body is
	 * nested too deep must still stop, not print 10^9 errors.
	 */
	if (depth > 2 * lx->max_depth) {
		conf_error(
			lx->d, at,
			"multiline definitions and ~SEQ nested deeper than %d",
			2 * lx->max_depth);
		return;
	}
	if (!*text)
		return;
	if (*text == '@') {
		bool neg = text[1] == '^';
		char *id = text + (neg ? 2 : 1);
		size_t n = strcspn(id, " \t");

		if (!id[n])
			return;
		if ((n == strlen(lx->cid) && !memcmp(id, lx->cid, n)) == neg)
			return;
		text = id + n + strspn(id + n, " \t");
	}
	if (*text == '$' && definition(lx, text, at))
		return;
	if (!strncmp(text, "~SEQ", 4)) {
		seq(lx, text, at, depth);
		return;
	}
	if (!strncmp(text, "~LST", 4)) {
		lst(lx, text, at, depth);
		return;
	}
	if (!expanded && *text != '~' && strchr(text, '$')) {
		struct sb out = {0};
		const char *why = NULL;
		char *rest = NULL, *p, *nl;
		bool stop = false;
		int err;

		err = expand(lx, text, &out, 0, &why, &stop, &rest);
		expand_error(lx, at, err, why);
		if (!err && out.s)
			line(lx, out.s, at, depth + 1, true);
		free(out.s);
		/* the other lines of a multiline definition, read in turn */
		for (p = err ? NULL : rest; p && !lx->abort; p = nl) {
			nl = strchr(p, '\n');
			if (nl)
				*nl++ = '\0';
			line(lx, p, at, depth + 1, false);
		}
		free(rest);
		return;
	}
	if (is_include(text, &kind)) {
		include(lx, text, kind, at);
		return;
	}
	tokenize(lx, text, at);
}

static int read_file(struct lex *lx, const char *path,
		     const struct conf_loc *from)
{
	const char *name = add_file(lx, path);
	struct conf_loc at = {name, 0};
	char *buf = NULL;
	size_t cap = 0;
	struct stat st;
	ssize_t n;
	FILE *f;
	int err = 0;

	if (!name) {
		oom(lx);
		return -ENOMEM;
	}
	f = fopen(path, "re");
	if (!f) {
		err = -errno;
	} else if (fstat(fileno(f), &st)) {
		err = -errno;
	} else if (S_ISDIR(st.st_mode)) {
		err = -EISDIR;
	}
	if (err) {
		if (from)
			conf_error(lx->d, from, "cannot read %s: %s", path,
				   strerror(-err));
		else
			conf_error(lx->d, &at, "cannot read: %s",
				   strerror(-err));
		if (f)
			fclose(f);
		return err;
	}
	lx->file = name;
	while (!lx->abort && (n = getline(&buf, &cap, f)) >= 0) {
		at.line++;
		while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			buf[--n] = '\0';
		if ((size_t)n > lx->max_line) {
			conf_error(lx->d, &at, "line longer than %zu bytes",
				   lx->max_line);
			continue;
		}
		if (lx->ml >= 0 && !n) {
			lx->ml = -1;
			continue;
		}
		decomment(buf);
		if (!*buf)
			continue;
		if (lx->ml >= 0) {
			def_more(lx, buf);
			continue;
		}
		line(lx, buf, &at, 0, false);
		lx->file = name;
	}
	if (ferror(f) && !lx->abort) {
		err = -errno;
		conf_error(lx->d, &at, "read error: %s", strerror(errno));
	}
	/* a definition does not run on into the next file */
	lx->ml = -1;
	free(buf);
	fclose(f);
	return err;
}

int conf_lex(const char *path, const struct conf_opts *o, struct conf *cf,
	     struct conf_stmts *out, struct conf_diag *d)
{
	struct lex lx = {
		.o = o,
		.cf = cf,
		.out = out,
		.d = d,
		.ml = -1,
		.max_depth = o && o->max_depth ? o->max_depth : CONF_MAX_DEPTH,
		.max_line = o && o->max_line ? o->max_line : CONF_MAX_LINE,
	};
	int err, i;

	lx.errors0 = d->errors;
	if (o && o->config_id) {
		lx.cid = o->config_id;
	} else {
		/* keepalived's default: the host name up to its first '.' */
		if (gethostname(lx.host, sizeof(lx.host) - 1))
			lx.host[0] = '\0';
		lx.host[strcspn(lx.host, ".")] = '\0';
		lx.cid = lx.host;
	}
	if (o && o->rand_seed)
		lx.rnd = o->rand_seed;
	else if (getrandom(&lx.rnd, sizeof(lx.rnd), GRND_NONBLOCK) !=
		 sizeof(lx.rnd))
		lx.rnd = (__u64)time(NULL) ^ (__u64)getpid() << 32;
	err = read_file(&lx, path, NULL);
	for (i = 0; i < lx.ndefs; i++) {
		free(lx.defs[i].name);
		free(lx.defs[i].val);
	}
	free(lx.defs);
	if (lx.err)
		return lx.err;
	/* a bound cut the file short: its statements are not all there */
	if (!err && lx.abort)
		return -E2BIG;
	return err;
}
