/* Declarative checks of JSON objects against a list of known fields. */
#ifndef JSON_FIELDS_H
#define JSON_FIELDS_H

#include <stdbool.h>
#include <jansson.h>

enum json_field_type {
	JF_STRING,
	JF_INT,
	JF_BOOL,
	JF_OBJECT,
	JF_STRING_ARRAY,
};

struct json_field {
	const char *name;
	enum json_field_type type;
	bool required;
	bool nullable;		/* JSON null accepted (means "clear") */
};

/*
 * Checks that obj holds only fields named in spec (terminated by an entry
 * with name NULL), that each present field has its type and that required
 * fields are present. Returns 0, -ENOENT for a missing required field,
 * -EPROTO for an unknown field or -EINVAL for a wrong type, and points
 * *bad at the offending field's name (valid as long as obj and spec are).
 * A string containing NUL counts as a wrong type. When obj is not an
 * object the result is -EINVAL and *bad is "".
 */
int json_fields_check(const json_t *obj, const struct json_field *spec, const char **bad);

/* Accessors that return NULL / the default when absent or null. */
const char *json_get_str(const json_t *obj, const char *key);
long long json_get_int(const json_t *obj, const char *key, long long def);
bool json_get_bool(const json_t *obj, const char *key, bool def);

#endif
