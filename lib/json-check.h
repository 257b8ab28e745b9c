/* Checking JSON text without parsing it into objects. */
#ifndef JSON_CHECK_H
#define JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* Limits of json_record_check, far above any record staffd writes. */
#define JSON_CHECK_MAX_DEPTH 32
#define JSON_CHECK_MAX_MEMBERS 64
#define JSON_CHECK_MAX_REQUIRED 16

enum json_member_type {
	JM_STRING,
	JM_INTEGER,
	JM_STRING_ARRAY,	/* an array of strings, maybe empty */
};

/* A member the object must have at its top level, with its type. */
struct json_member {
	const char *name;	/* plain ASCII */
	enum json_member_type type;
};

/*
 * Whether text (len bytes, no terminator needed) is one JSON object that
 * jansson reads with JSON_REJECT_DUPLICATES, as a client decodes a reply
 * carrying it: valid UTF-8, no control characters or \u0000 in strings,
 * paired surrogates, integers within long long, finite reals, no duplicate
 * member names. Records deeper than JSON_CHECK_MAX_DEPTH or with more than
 * JSON_CHECK_MAX_MEMBERS members in one object are refused too.
 *
 * required (NULL, or ended by a NULL name; at most JSON_CHECK_MAX_REQUIRED)
 * lists members the object must have with their types; when name is not
 * NULL, the first of them must be a string equal to its name_len bytes.
 * Pure: no allocation, linear in len (times the members of one object).
 */
bool json_record_check(const char *text, size_t len, const struct json_member *required, const char *name,
		       size_t name_len);

#endif
