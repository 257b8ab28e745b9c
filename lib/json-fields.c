/* Declarative checks of JSON objects against a list of known fields. */
#include <errno.h>
#include <string.h>

#include "json-fields.h"

static const struct json_field *spec_find(const struct json_field *spec, const char *name)
{
	for (; spec->name; spec++)
		if (strcmp(spec->name, name) == 0)
			return spec;
	return NULL;
}

/* A string with an embedded NUL would be silently cut short by json_string_value(). */
static bool plain_string(const json_t *v)
{
	return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v);
}

static bool type_matches(const json_t *v, enum json_field_type type)
{
	size_t i;
	json_t *item;

	switch (type) {
	case JF_STRING:
		return plain_string(v);
	case JF_INT:
		return json_is_integer(v);
	case JF_BOOL:
		return json_is_boolean(v);
	case JF_OBJECT:
		return json_is_object(v);
	case JF_STRING_ARRAY:
		if (!json_is_array(v))
			return false;
		json_array_foreach(v, i, item)
			if (!plain_string(item))
				return false;
		return true;
	}
	return false;
}

int json_fields_check(const json_t *obj, const struct json_field *spec, const char **bad)
{
	const char *key, *name = "";
	json_t *value;
	int r = 0;

	if (!json_is_object(obj) || !spec) {
		r = -EINVAL;
		goto out;
	}
	/* json_object_foreach wants a mutable object; nothing here modifies it. */
	json_object_foreach((json_t *)obj, key, value) {
		if (!spec_find(spec, key)) {
			name = key;
			r = -EPROTO;
			goto out;
		}
	}
	for (const struct json_field *f = spec; f->name; f++) {
		value = json_object_get(obj, f->name);
		if (!value) {
			if (f->required) {
				name = f->name;
				r = -ENOENT;
				goto out;
			}
			continue;
		}
		if (json_is_null(value) ? !f->nullable : !type_matches(value, f->type)) {
			name = f->name;
			r = -EINVAL;
			goto out;
		}
	}
out:
	if (r < 0 && bad)
		*bad = name;
	return r;
}

const char *json_get_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

long long json_get_int(const json_t *obj, const char *key, long long def)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? (long long)json_integer_value(v) : def;
}

bool json_get_bool(const json_t *obj, const char *key, bool def)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_boolean(v) ? json_is_true(v) : def;
}
