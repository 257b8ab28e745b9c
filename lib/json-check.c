/*
 * A JSON checker for stored records that are sent on as they are stored:
 * it answers whether jansson (as the clients run it) would read the text,
 * without building anything, so that a listing need not parse every record
 * to make sure that no damaged one breaks the reply stream.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json-check.h"

/* Longest number text checked; records hold small integers only. */
#define NUMBER_MAX 64

#define END (-1L)	/* the closing quote of a string */
#define BAD (-2L)

struct cursor {
	const unsigned char *p, *end;
};

/* What the top-level object must hold, and what was found of it. */
struct wanted {
	const struct json_member *members;
	size_t count;
	bool found[JSON_CHECK_MAX_REQUIRED];
	const unsigned char *name;
	size_t name_len;
};

static void skip_space(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int hex4(const unsigned char *p, const unsigned char *end)
{
	int v = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		unsigned char h = p[i];

		v <<= 4;
		if (h >= '0' && h <= '9')
			v |= h - '0';
		else if (h >= 'a' && h <= 'f')
			v |= h - 'a' + 10;
		else if (h >= 'A' && h <= 'F')
			v |= h - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* One UTF-8 sequence of a code point that is no surrogate and at most U+10FFFF, none overlong. */
static long utf8_decode(const unsigned char **pp, const unsigned char *end)
{
	const unsigned char *p = *pp;
	long cp;
	size_t n;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
	} else
		return BAD;
	if ((size_t)(end - p) < n)
		return BAD;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return BAD;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return BAD;
	*pp = p + n;
	return cp;
}

/* The next character of a string whose opening quote is behind *pp: its
 * code point, END at the closing quote, BAD for anything jansson refuses. */
static long next_char(const unsigned char **pp, const unsigned char *end)
{
	const unsigned char *p = *pp;
	long cp;
	int hi, lo;

	if (p >= end || *p < 0x20)
		return BAD;
	if (*p == '"') {
		*pp = p + 1;
		return END;
	}
	if (*p >= 0x80)
		return utf8_decode(pp, end);
	if (*p != '\\') {
		*pp = p + 1;
		return *p;
	}
	if (end - p < 2)
		return BAD;
	switch (p[1]) {
	case '"':
	case '\\':
	case '/':
		cp = p[1];
		break;
	case 'b':
		cp = '\b';
		break;
	case 'f':
		cp = '\f';
		break;
	case 'n':
		cp = '\n';
		break;
	case 'r':
		cp = '\r';
		break;
	case 't':
		cp = '\t';
		break;
	case 'u':
		hi = hex4(p + 2, end);
		if (hi <= 0 || (hi >= 0xdc00 && hi <= 0xdfff))
			return BAD;	/* \u0000, or a low surrogate alone */
		p += 6;
		if (hi >= 0xd800 && hi <= 0xdbff) {
			if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
				return BAD;
			lo = hex4(p + 2, end);
			if (lo < 0xdc00 || lo > 0xdfff)
				return BAD;
			p += 6;
			hi = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
		}
		*pp = p;
		return hi;
	default:
		return BAD;
	}
	*pp = p + 2;
	return cp;
}

/* At the opening quote: steps past the string. */
static bool string_scan(struct cursor *c)
{
	long cp;

	c->p++;
	while ((cp = next_char(&c->p, c->end)) >= 0)
		;
	return cp == END;
}

/* Two member names (behind their opening quotes, both known to be valid) decode alike. */
static bool names_equal(const unsigned char *a, const unsigned char *b, const unsigned char *end)
{
	for (;;) {
		long x = next_char(&a, end), y = next_char(&b, end);

		if (x != y)
			return false;
		if (x == END)
			return true;
	}
}

/* A string (behind its opening quote, known to be valid) decodes to the len bytes of text. */
static bool string_is(const unsigned char *s, const unsigned char *end, const unsigned char *text, size_t len)
{
	for (size_t i = 0;; ) {
		long x = next_char(&s, end);

		if (x == END)
			return i == len;
		/* The bytes compared are the UTF-8 of the decoded characters. */
		unsigned char u[4];
		size_t n;

		if (x < 0x80) {
			u[0] = (unsigned char)x;
			n = 1;
		} else if (x < 0x800) {
			u[0] = (unsigned char)(0xc0 | (x >> 6));
			u[1] = (unsigned char)(0x80 | (x & 0x3f));
			n = 2;
		} else if (x < 0x10000) {
			u[0] = (unsigned char)(0xe0 | (x >> 12));
			u[1] = (unsigned char)(0x80 | ((x >> 6) & 0x3f));
			u[2] = (unsigned char)(0x80 | (x & 0x3f));
			n = 3;
		} else {
			u[0] = (unsigned char)(0xf0 | (x >> 18));
			u[1] = (unsigned char)(0x80 | ((x >> 12) & 0x3f));
			u[2] = (unsigned char)(0x80 | ((x >> 6) & 0x3f));
			u[3] = (unsigned char)(0x80 | (x & 0x3f));
			n = 4;
		}
		if (len - i < n || memcmp(text + i, u, n) != 0)
			return false;
		i += n;
	}
}

static bool number_scan(struct cursor *c, bool *ret_integer)
{
	const unsigned char *start = c->p;
	char buf[NUMBER_MAX + 1];
	bool integer = true;
	size_t len;

	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p < c->end && *c->p == '0')
		c->p++;
	else if (c->p < c->end && *c->p >= '1' && *c->p <= '9')
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
			c->p++;
	else
		return false;
	if (c->p < c->end && *c->p == '.') {
		integer = false;
		c->p++;
		if (c->p >= c->end || *c->p < '0' || *c->p > '9')
			return false;
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
			c->p++;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		integer = false;
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (c->p >= c->end || *c->p < '0' || *c->p > '9')
			return false;
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
			c->p++;
	}
	len = (size_t)(c->p - start);
	if (len > NUMBER_MAX)
		return false;
	memcpy(buf, start, len);
	buf[len] = '\0';
	/* jansson refuses integers beyond long long and reals that overflow. */
	errno = 0;
	if (integer)
		(void)strtoll(buf, NULL, 10);
	else if (!isinf(strtod(buf, NULL)))
		errno = 0;
	*ret_integer = integer;
	return errno != ERANGE;
}

static bool literal_scan(struct cursor *c, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
		return false;
	c->p += n;
	return true;
}

static bool value_scan(struct cursor *c, unsigned depth);

/* A required member's value: of its type, and the first one equal to the name wanted. */
static bool member_scan(struct cursor *c, unsigned depth, const struct json_member *m, const struct wanted *w)
{
	const unsigned char *start;
	bool integer;

	skip_space(c);
	if (c->p >= c->end)
		return false;
	switch (m->type) {
	case JM_STRING:
		if (*c->p != '"')
			return false;
		start = c->p + 1;
		if (!string_scan(c))
			return false;
		return !w || string_is(start, c->end, w->name, w->name_len);
	case JM_INTEGER:
		return number_scan(c, &integer) && integer;
	case JM_STRING_ARRAY:
		if (*c->p != '[' || depth + 1 > JSON_CHECK_MAX_DEPTH)
			return false;
		c->p++;
		skip_space(c);
		if (c->p < c->end && *c->p == ']') {
			c->p++;
			return true;
		}
		for (;;) {
			skip_space(c);
			if (c->p >= c->end || *c->p != '"' || !string_scan(c))
				return false;
			skip_space(c);
			if (c->p < c->end && *c->p == ',') {
				c->p++;
				continue;
			}
			if (c->p < c->end && *c->p == ']') {
				c->p++;
				return true;
			}
			return false;
		}
	}
	return false;
}

/* w: what the object must hold (the top level only), or NULL. */
static bool object_scan(struct cursor *c, unsigned depth, struct wanted *w)
{
	const unsigned char *names[JSON_CHECK_MAX_MEMBERS];
	size_t n = 0;

	if (depth > JSON_CHECK_MAX_DEPTH)
		return false;
	c->p++;
	skip_space(c);
	if (c->p < c->end && *c->p == '}') {
		c->p++;
		return true;
	}
	for (;;) {
		skip_space(c);
		if (c->p >= c->end || *c->p != '"' || n == JSON_CHECK_MAX_MEMBERS)
			return false;
		names[n] = c->p + 1;
		if (!string_scan(c))
			return false;
		for (size_t i = 0; i < n; i++)
			if (names_equal(names[i], names[n], c->end))
				return false;
		size_t which = w ? w->count : 0;

		for (size_t j = 0; w && j < w->count && which == w->count; j++)
			if (string_is(names[n], c->end, (const unsigned char *)w->members[j].name, strlen(w->members[j].name)))
				which = j;
		n++;
		skip_space(c);
		if (c->p >= c->end || *c->p != ':')
			return false;
		c->p++;
		if (w && which < w->count) {
			if (!member_scan(c, depth, &w->members[which], which == 0 && w->name ? w : NULL))
				return false;
			w->found[which] = true;
		} else if (!value_scan(c, depth))
			return false;
		skip_space(c);
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == '}') {
			c->p++;
			return true;
		}
		return false;
	}
}

static bool array_scan(struct cursor *c, unsigned depth)
{
	if (depth > JSON_CHECK_MAX_DEPTH)
		return false;
	c->p++;
	skip_space(c);
	if (c->p < c->end && *c->p == ']') {
		c->p++;
		return true;
	}
	for (;;) {
		if (!value_scan(c, depth))
			return false;
		skip_space(c);
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == ']') {
			c->p++;
			return true;
		}
		return false;
	}
}

static bool value_scan(struct cursor *c, unsigned depth)
{
	skip_space(c);
	if (c->p >= c->end)
		return false;
	bool integer;

	switch (*c->p) {
	case '{':
		return object_scan(c, depth + 1, NULL);
	case '[':
		return array_scan(c, depth + 1);
	case '"':
		return string_scan(c);
	case 't':
		return literal_scan(c, "true");
	case 'f':
		return literal_scan(c, "false");
	case 'n':
		return literal_scan(c, "null");
	default:
		return number_scan(c, &integer);
	}
}

bool json_record_check(const char *text, size_t len, const struct json_member *required, const char *name,
		       size_t name_len)
{
	struct cursor c = { (const unsigned char *)text, (const unsigned char *)text + len };
	struct wanted w = { .members = required, .name = (const unsigned char *)name, .name_len = name_len };

	if (!text)
		return false;
	while (required && required[w.count].name)
		if (++w.count > JSON_CHECK_MAX_REQUIRED)
			return false;
	if (w.count == 0)
		w.name = NULL;
	skip_space(&c);
	if (c.p >= c.end || *c.p != '{' || !object_scan(&c, 1, &w))
		return false;
	skip_space(&c);
	for (size_t i = 0; i < w.count; i++)
		if (!w.found[i])
			return false;
	return c.p == c.end;
}
