/* Checking flat JSON records (an object of strings, integers, booleans,
 * nulls and arrays of strings) without building them: for stored text
 * that goes out as it is, where parsing every record would cost more than
 * the reply. */
#ifndef JSON_FLAT_H
#define JSON_FLAT_H

#include <stddef.h>

enum json_flat_type {
	JSON_FLAT_STRING,
	JSON_FLAT_INT,
	JSON_FLAT_BOOL,
	JSON_FLAT_NULL,
	JSON_FLAT_STRING_ARRAY,
};

struct json_flat_member {
	const char *key;	/* as written between the quotes, escapes and all */
	size_t key_len;
	enum json_flat_type type;
	const char *value;	/* a string's text between its quotes (escapes and all), else the value's text */
	size_t value_len;
	long long integer;	/* JSON_FLAT_INT */
	int boolean;		/* JSON_FLAT_BOOL */
};

/* Told each member in order; a negative result stops the check and is returned. */
typedef int (*json_flat_visit_fn)(const struct json_flat_member *m, void *userdata);

/*
 * Checks that text[0..len) is exactly one JSON object of flat members, in
 * the subset that jansson writes with json_dumps and always reads back with
 * json_loadb: valid UTF-8, no control character or NUL in a string (nor
 * \u0000 or a surrogate escape), integers of at most 18 digits, no
 * fractions or exponents. visit (may be NULL) is told each member. Returns
 * 0, -EBADMSG when the text is not such an object, or what visit returned.
 */
int json_flat_check(const char *text, size_t len, json_flat_visit_fn visit, void *userdata);

#endif
