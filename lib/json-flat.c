/* A scanner for flat JSON objects: one pass, no allocation. It accepts a
 * subset of JSON that jansson always reads back, so that text it accepts
 * can go to a client as it is. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "json-flat.h"

/* More digits could overflow a long long, and staffd never stores such numbers. */
#define INT_DIGITS_MAX 18

struct scan {
	const unsigned char *p, *end;
};

static void skip_space(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static bool take(struct scan *s, char ch)
{
	skip_space(s);
	if (s->p == s->end || *s->p != (unsigned char)ch)
		return false;
	s->p++;
	return true;
}

/* The length of the UTF-8 sequence at p (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), or 0 when there is none. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned cp;
	size_t n;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1fU;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0fU;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07U;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3fU);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

static int hex_digit(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* A string from its opening quote; *text and *len get what lies between the quotes. */
static int scan_string(struct scan *s, const char **text, size_t *len)
{
	const unsigned char *start;

	skip_space(s);
	if (s->p == s->end || *s->p != '"')
		return -EBADMSG;
	start = ++s->p;
	while (s->p < s->end) {
		unsigned char ch = *s->p;

		if (ch == '"') {
			*text = (const char *)start;
			*len = (size_t)(s->p - start);
			s->p++;
			return 0;
		}
		if (ch < 0x20)
			return -EBADMSG;
		if (ch == '\\') {
			unsigned cp = 0;

			if (s->end - s->p < 2)
				return -EBADMSG;
			if (s->p[1] != '\0' && strchr("\"\\/bfnrt", s->p[1])) {
				s->p += 2;
				continue;
			}
			if (s->p[1] != 'u' || s->end - s->p < 6)
				return -EBADMSG;
			for (int i = 2; i < 6; i++) {
				int d = hex_digit(s->p[i]);

				if (d < 0)
					return -EBADMSG;
				cp = cp << 4 | (unsigned)d;
			}
			/* A NUL would cut the string short; surrogate pairs are never written. */
			if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
				return -EBADMSG;
			s->p += 6;
			continue;
		}
		if (ch < 0x80) {
			s->p++;
			continue;
		}
		{
			size_t n = utf8_len(s->p, s->end);

			if (n == 0)
				return -EBADMSG;
			s->p += n;
		}
	}
	return -EBADMSG;
}

static int scan_int(struct scan *s, long long *ret)
{
	bool negative = false;
	long long v = 0;
	unsigned digits = 0;

	if (*s->p == '-') {
		negative = true;
		s->p++;
	}
	if (s->p == s->end || *s->p < '0' || *s->p > '9')
		return -EBADMSG;
	if (*s->p == '0') {
		s->p++;
	} else {
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
			if (++digits > INT_DIGITS_MAX)
				return -EBADMSG;
			v = v * 10 + (*s->p++ - '0');
		}
	}
	/* No leading zero, fraction or exponent. */
	if (s->p < s->end && ((*s->p >= '0' && *s->p <= '9') || *s->p == '.' || *s->p == 'e' || *s->p == 'E'))
		return -EBADMSG;
	*ret = negative ? -v : v;
	return 0;
}

static bool scan_word(struct scan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return false;
	s->p += n;
	return true;
}

static int scan_value(struct scan *s, struct json_flat_member *m)
{
	const unsigned char *start;
	const char *text;
	size_t len;
	int r;

	skip_space(s);
	if (s->p == s->end)
		return -EBADMSG;
	start = s->p;
	switch (*s->p) {
	case '"':
		m->type = JSON_FLAT_STRING;
		return scan_string(s, &m->value, &m->value_len);
	case '[':
		m->type = JSON_FLAT_STRING_ARRAY;
		s->p++;
		if (!take(s, ']')) {
			do {
				r = scan_string(s, &text, &len);
				if (r < 0)
					return r;
			} while (take(s, ','));
			if (!take(s, ']'))
				return -EBADMSG;
		}
		break;
	case 't':
	case 'f':
		m->type = JSON_FLAT_BOOL;
		m->boolean = *s->p == 't';
		if (!scan_word(s, m->boolean ? "true" : "false"))
			return -EBADMSG;
		break;
	case 'n':
		m->type = JSON_FLAT_NULL;
		if (!scan_word(s, "null"))
			return -EBADMSG;
		break;
	default:
		m->type = JSON_FLAT_INT;
		r = scan_int(s, &m->integer);
		if (r < 0)
			return r;
		break;
	}
	m->value = (const char *)start;
	m->value_len = (size_t)(s->p - start);
	return 0;
}

int json_flat_check(const char *text, size_t len, json_flat_visit_fn visit, void *userdata)
{
	struct scan s = { (const unsigned char *)text, (const unsigned char *)text + len };
	int r;

	if (!take(&s, '{'))
		return -EBADMSG;
	if (!take(&s, '}')) {
		do {
			struct json_flat_member m = { 0 };

			r = scan_string(&s, &m.key, &m.key_len);
			if (r == 0)
				r = take(&s, ':') ? scan_value(&s, &m) : -EBADMSG;
			if (r == 0 && visit)
				r = visit(&m, userdata);
			if (r < 0)
				return r;
		} while (take(&s, ','));
		if (!take(&s, '}'))
			return -EBADMSG;
	}
	skip_space(&s);
	return s.p == s.end ? 0 : -EBADMSG;
}
