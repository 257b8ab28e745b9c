/* What staffctl prints: aligned tables, key: value blocks, local times and JSON. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "escape.h"
#include "staffctl.h"

struct ctl_table {
	size_t ncols;
	size_t nrows;
	size_t cap;		/* rows */
	char **cells;		/* nrows * ncols, row-major */
	int error;		/* first failure of an add */
};

int ctl_table_new(size_t ncols, struct ctl_table **ret)
{
	struct ctl_table *t;

	if (ncols == 0)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->ncols = ncols;
	*ret = t;
	return 0;
}

void ctl_table_free(struct ctl_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

size_t ctl_table_rows(const struct ctl_table *t)
{
	return t->nrows;
}

/* Values from staffd carry names, ttys and hosts that anyone may have typed. */
char *ctl_sanitize(const char *s)
{
	return escape_dup(s, 0);
}

int ctl_printf_safe(FILE *f, const char *fmt, ...)
{
	char *buf = NULL, *safe;
	va_list ap;
	int n, r = 0;

	va_start(ap, fmt);
	n = vasprintf(&buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	safe = escape_dup(buf, ESCAPE_KEEP_NEWLINE);
	free(buf);
	if (!safe)
		return -ENOMEM;
	if (fputs(safe, f) == EOF)
		r = -EIO;
	free(safe);
	return r;
}

static int table_add(struct ctl_table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;

		if (cap > SIZE_MAX / sizeof(char *) / t->ncols)
			return -ENOMEM;
		char **n = realloc(t->cells, cap * t->ncols * sizeof(char *));
		if (!n)
			return -ENOMEM;
		t->cells = n;
		t->cap = cap;
	}

	char **row = t->cells + t->nrows * t->ncols;
	for (size_t c = 0; c < t->ncols; c++) {
		row[c] = ctl_sanitize(cells[c] ? cells[c] : "-");
		if (!row[c]) {
			while (c-- > 0)
				free(row[c]);
			return -ENOMEM;
		}
	}
	t->nrows++;
	return 0;
}

int ctl_table_add(struct ctl_table *t, const char *const *cells)
{
	int r = table_add(t, cells);

	if (r < 0 && t->error == 0)
		t->error = r;
	return r;
}

int ctl_kv_add(struct ctl_table *t, const char *key, const char *value)
{
	const char *cells[2] = { key, value };

	if (t->ncols != 2)
		return -EINVAL;
	return ctl_table_add(t, cells);
}

int ctl_kv_addf(struct ctl_table *t, const char *key, const char *fmt, ...)
{
	char *v = NULL;
	va_list ap;
	int r, n;

	va_start(ap, fmt);
	n = vasprintf(&v, fmt, ap);
	va_end(ap);
	if (n < 0) {
		if (t->error == 0)
			t->error = -ENOMEM;
		return -ENOMEM;
	}
	r = ctl_kv_add(t, key, v);
	free(v);
	return r;
}

size_t ctl_text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static int pad(FILE *f, size_t n)
{
	while (n-- > 0)
		if (fputc(' ', f) == EOF)
			return -EIO;
	return 0;
}

static int print_rows(const struct ctl_table *t, FILE *f, const char *key_suffix)
{
	size_t *width = calloc(t->ncols, sizeof(*width));
	size_t suffix = key_suffix ? strlen(key_suffix) : 0;
	int r = 0;

	if (t->error)
		return t->error;
	if (!width)
		return -ENOMEM;
	for (size_t i = 0; i < t->nrows; i++)
		for (size_t c = 0; c < t->ncols; c++) {
			size_t w = ctl_text_width(t->cells[i * t->ncols + c]) + (c == 0 ? suffix : 0);
			if (w > width[c])
				width[c] = w;
		}

	for (size_t i = 0; i < t->nrows && r == 0; i++) {
		char *const *row = t->cells + i * t->ncols;
		size_t last = t->ncols;

		/* Trailing empty cells would only leave blanks at the end of the line. */
		while (last > 1 && row[last - 1][0] == '\0')
			last--;
		for (size_t c = 0; c < last && r == 0; c++) {
			if (fputs(row[c], f) == EOF)
				r = -EIO;
			else if (c == 0 && key_suffix && fputs(key_suffix, f) == EOF)
				r = -EIO;
			else if (c + 1 < last)
				r = pad(f, width[c] - ctl_text_width(row[c]) - (c == 0 ? suffix : 0) + 2);
		}
		if (r == 0 && fputc('\n', f) == EOF)
			r = -EIO;
	}
	free(width);
	return r;
}

int ctl_table_print(const struct ctl_table *t, FILE *f)
{
	return print_rows(t, f, NULL);
}

int ctl_kv_print(const struct ctl_table *t, FILE *f)
{
	if (t->ncols != 2)
		return -EINVAL;
	return print_rows(t, f, ":");
}

void ctl_format_time(long long t, bool with_zone, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (len == 0)
		return;
	if ((long long)tt != t || !localtime_r(&tt, &tm) ||
	    strftime(buf, len, with_zone ? "%Y-%m-%d %H:%M:%S %Z" : "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, len, "@%lld", t);
}

static void plural(char *buf, size_t len, long long n, const char *unit)
{
	snprintf(buf, len, "%lld %s%s", n, unit, n == 1 ? "" : "s");
}

void ctl_format_duration(long long s, char *buf, size_t len)
{
	char a[48], b[48];

	if (s < 0)
		s = 0;
	if (s < 60) {
		plural(buf, len, s, "second");
		return;
	}
	if (s < 3600 - 59) {
		/* Rounded up: "try again in 1 minute" must not be too early. */
		plural(buf, len, (s + 59) / 60, "minute");
		return;
	}
	if (s < 86400) {
		long long m = (s % 3600 + 59) / 60;
		long long h = s / 3600;
		if (m == 60) {
			h++;
			m = 0;
		}
		plural(a, sizeof(a), h, "hour");
		if (m == 0)
			snprintf(buf, len, "%s", a);
		else {
			plural(b, sizeof(b), m, "minute");
			snprintf(buf, len, "%s %s", a, b);
		}
		return;
	}
	plural(a, sizeof(a), s / 86400, "day");
	if ((s % 86400) / 3600 == 0)
		snprintf(buf, len, "%s", a);
	else {
		plural(b, sizeof(b), (s % 86400) / 3600, "hour");
		snprintf(buf, len, "%s %s", a, b);
	}
}

const char *ctl_yes_no(bool b)
{
	return b ? "yes" : "no";
}

const char *ctl_json_time(const json_t *obj, const char *key, char *buf, size_t len)
{
	const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	if (!json_is_integer(v))
		return NULL;
	ctl_format_time(json_integer_value(v), true, buf, len);
	return buf;
}

int ctl_print_json(FILE *f, const json_t *j)
{
	if (json_dumpf(j, f, JSON_INDENT(2) | JSON_ENCODE_ANY) < 0 || fputc('\n', f) == EOF)
		return -EIO;
	return 0;
}

/* "a, b, c" from an array of strings; malloc'd. */
char *ctl_join(const json_t *array, const char *none)
{
	char *buf = NULL;
	size_t len = 0, i;
	const json_t *v;
	FILE *f;

	if (json_array_size(array) == 0)
		return strdup(none);
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	json_array_foreach(array, i, v)
		fprintf(f, "%s%s", i ? ", " : "", json_is_string(v) ? json_string_value(v) : "?");
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
