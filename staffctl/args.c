/* Command-line options and the parsers of values typed on the command line. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "staffctl.h"

static int find_option(const struct ctl_option *options, const char *name, size_t len)
{
	for (int i = 0; options && options[i].name; i++)
		if (strlen(options[i].name) == len && memcmp(options[i].name, name, len) == 0)
			return i;
	return -1;
}

static bool is_help(const char *s)
{
	return strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0;
}

int ctl_args_parse(int argc, char *const *argv, const struct ctl_option *options, unsigned flags,
		   struct ctl_args *ret, char *err, size_t errlen)
{
	struct ctl_args a = { .options = options, .next = argc };
	bool only_positionals = false;
	int r = -EINVAL;

	if (argc < 0)
		argc = 0;
	a.v = calloc((size_t)argc + 1, sizeof(*a.v));
	if (!a.v)
		return -ENOMEM;

	for (int i = 0; i < argc; i++) {
		const char *s = argv[i];

		if (only_positionals || s[0] != '-' || s[1] == '\0') {
			if (flags & CTL_ARGS_STOP) {
				a.next = i;
				break;
			}
			a.v[a.n++] = (struct ctl_arg){ .option = -1, .value = s };
			continue;
		}
		if (strcmp(s, "--") == 0) {
			only_positionals = true;
			continue;
		}
		if (is_help(s)) {
			a.help = true;
			a.next = i + 1;
			break;
		}
		if (s[1] != '-') {
			snprintf(err, errlen, "unknown option '%s'", s);
			goto out;
		}

		const char *name = s + 2;
		const char *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		int o = find_option(options, name, len);

		if (o < 0) {
			snprintf(err, errlen, "unknown option '--%.*s'", (int)len, name);
			goto out;
		}
		const struct ctl_option *opt = &options[o];

		if (opt->kind == CTL_FLAG) {
			if (eq) {
				snprintf(err, errlen, "option --%s takes no value", opt->name);
				goto out;
			}
			a.v[a.n++] = (struct ctl_arg){ .option = o, .value = NULL };
			continue;
		}
		if (opt->kind == CTL_VALUE) {
			for (size_t k = 0; k < a.n; k++)
				if (a.v[k].option == o) {
					snprintf(err, errlen, "option --%s given more than once", opt->name);
					goto out;
				}
		}
		const char *value;
		if (eq)
			value = eq + 1;
		else if (i + 1 < argc)
			value = argv[++i];
		else {
			snprintf(err, errlen, "option --%s needs a value (%s)", opt->name,
				 opt->metavar ? opt->metavar : "VALUE");
			goto out;
		}
		a.v[a.n++] = (struct ctl_arg){ .option = o, .value = value };
	}

	*ret = a;
	a.v = NULL;
	r = 0;
out:
	free(a.v);
	return r;
}

void ctl_args_free(struct ctl_args *a)
{
	if (!a)
		return;
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

size_t ctl_args_count(const struct ctl_args *a, const char *name)
{
	int o = find_option(a->options, name, strlen(name));
	size_t n = 0;

	if (o < 0)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].option == o)
			n++;
	return n;
}

const char *ctl_args_nth(const struct ctl_args *a, const char *name, size_t nth)
{
	int o = find_option(a->options, name, strlen(name));

	if (o < 0)
		return NULL;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].option == o && nth-- == 0)
			return a->v[i].value;
	return NULL;
}

const char *ctl_args_value(const struct ctl_args *a, const char *name)
{
	size_t n = ctl_args_count(a, name);

	return n ? ctl_args_nth(a, name, n - 1) : NULL;
}

size_t ctl_args_npos(const struct ctl_args *a)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].option < 0)
			n++;
	return n;
}

const char *ctl_args_pos(const struct ctl_args *a, size_t nth)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].option < 0 && nth-- == 0)
			return a->v[i].value;
	return NULL;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int ctl_parse_int(const char *s, long long min, long long max, long long *ret)
{
	const char *p = s;
	unsigned long long v = 0;
	bool neg = false;

	if (!s)
		return -EINVAL;
	if (*p == '-') {
		neg = true;
		p++;
	}
	if (!is_digit(*p))
		return -EINVAL;
	for (; *p; p++) {
		if (!is_digit(*p))
			return -EINVAL;
		unsigned d = (unsigned)(*p - '0');
		if (v > (ULLONG_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}

	long long x;
	if (neg) {
		if (v > (unsigned long long)LLONG_MAX + 1)
			return -ERANGE;
		x = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
	} else {
		if (v > (unsigned long long)LLONG_MAX)
			return -ERANGE;
		x = (long long)v;
	}
	if (x < min || x > max)
		return -ERANGE;
	*ret = x;
	return 0;
}

static long long unit_seconds(char c)
{
	switch (c) {
	case 's': return 1;
	case 'm': return 60;
	case 'h': return 3600;
	case 'd': return 86400;
	case 'w': return 7 * 86400;
	default: return 0;
	}
}

int ctl_parse_duration(const char *s, long long *ret)
{
	long long total = 0;
	const char *p = s;

	if (!s || !*s)
		return -EINVAL;
	while (*p) {
		long long n = 0;

		if (!is_digit(*p))
			return -EINVAL;
		for (; is_digit(*p); p++) {
			if (n > (LLONG_MAX - 9) / 10)
				return -ERANGE;
			n = n * 10 + (*p - '0');
		}
		long long unit = unit_seconds(*p);
		if (!unit)
			return -EINVAL;
		p++;
		if (n > LLONG_MAX / unit || total > LLONG_MAX - n * unit)
			return -ERANGE;
		total += n * unit;
	}
	*ret = total;
	return 0;
}

/* Exactly n digits at *p; advances past them. */
static int digits(const char **p, int n, int *ret)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!is_digit((*p)[i]))
			return -EINVAL;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*ret = v;
	return 0;
}

static int days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

static int local_epoch(struct tm *tm, long long *ret)
{
	tm->tm_isdst = -1;
	errno = 0;
	time_t t = mktime(tm);
	/* -1 is also 1969-12-31 23:59:59 UTC, which is before anything we accept. */
	if (t == (time_t)-1 || t < 0)
		return -ERANGE;
	*ret = (long long)t;
	return 0;
}

static int parse_date(const char *s, long long *ret)
{
	const char *p = s;
	int year, mon, day, hour = 0, min = 0, sec = 0;

	if (digits(&p, 4, &year) < 0 || *p++ != '-' || digits(&p, 2, &mon) < 0 || *p++ != '-' ||
	    digits(&p, 2, &day) < 0)
		return -EINVAL;
	if (*p == ' ' || *p == 'T') {
		p++;
		if (digits(&p, 2, &hour) < 0 || *p++ != ':' || digits(&p, 2, &min) < 0)
			return -EINVAL;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec) < 0)
				return -EINVAL;
		}
	}
	if (*p)
		return -EINVAL;
	if (mon < 1 || mon > 12 || day < 1 || hour > 23 || min > 59 || sec > 59)
		return -EINVAL;
	if (year < 1970)
		return -ERANGE;
	if (day > days_in_month(year, mon))
		return -EINVAL;

	struct tm tm = {
		.tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = day,
		.tm_hour = hour, .tm_min = min, .tm_sec = sec,
	};
	return local_epoch(&tm, ret);
}

static int local_midnight(time_t now, int days_back, long long *ret)
{
	struct tm tm;

	if (!localtime_r(&now, &tm))
		return -ERANGE;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mday -= days_back;
	return local_epoch(&tm, ret);
}

int ctl_parse_since(const char *s, time_t now, long long *ret)
{
	long long v;
	int r;

	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '@') {
		if (s[1] == '-')
			return -EINVAL;
		if ((r = ctl_parse_int(s + 1, 0, LLONG_MAX, &v)) < 0)
			return r;
		*ret = v;
		return 0;
	}
	if (strcmp(s, "today") == 0)
		return local_midnight(now, 0, ret);
	if (strcmp(s, "yesterday") == 0)
		return local_midnight(now, 1, ret);
	if (strlen(s) >= 10 && s[4] == '-')
		return parse_date(s, ret);
	if ((r = ctl_parse_duration(s, &v)) < 0)
		return r;
	if (v > (long long)now)
		return -ERANGE;
	*ret = (long long)now - v;
	return 0;
}
