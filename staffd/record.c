/* Parsing stored records: one place that turns bytes from LMDB into an
 * object of a known shape, or refuses them with a line in the log. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "record.h"

/* The key as the log shows it: printable ASCII as is, anything else in hex. */
static void key_text(const void *key, size_t klen, char *buf, size_t len)
{
	const unsigned char *k = key;
	bool printable = klen > 0 && klen <= 64;
	size_t used = 0;

	for (size_t i = 0; printable && i < klen; i++)
		printable = k[i] >= 0x20 && k[i] < 0x7f;
	if (printable) {
		snprintf(buf, len, "%.*s", (int)klen, (const char *)key);
		return;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < klen && i < 32 && used + 3 < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%02x", k[i]);
}

int record_refuse(const char *table, const void *key, size_t klen, const char *why)
{
	char name[80];

	key_text(key, klen, name, sizeof(name));
	log_error("database: table %s, record \"%s\": %s; the record is refused", table, name, why);
	return -EBADMSG;
}

int record_parse(const char *table, const void *key, size_t klen, const void *val, size_t vlen,
		 const struct json_field *fields, const char *name_field, json_t **ret)
{
	const char *bad = NULL, *name;
	json_error_t error;
	char why[160];
	json_t *rec;
	int r;

	if (vlen == 0)
		return record_refuse(table, key, klen, "it is empty");
	rec = json_loadb(val, vlen, JSON_REJECT_DUPLICATES, &error);
	if (!rec)
		return record_refuse(table, key, klen, error.text);
	r = json_fields_check(rec, fields, &bad);
	if (r < 0) {
		snprintf(why, sizeof(why), "%s %s", r == -EPROTO ? "an unknown field" : r == -ENOENT ?
			 "a field its readers need is missing:" : "a field of the wrong type:", bad && *bad ? bad : "(not an object)");
		json_decref(rec);
		return record_refuse(table, key, klen, why);
	}
	if (name_field) {
		name = json_string_value(json_object_get(rec, name_field));
		if (!name || strlen(name) != klen || memcmp(name, key, klen) != 0) {
			json_decref(rec);
			snprintf(why, sizeof(why), "it holds another %s than the one it is stored under", name_field);
			return record_refuse(table, key, klen, why);
		}
	}
	*ret = rec;
	return 0;
}

bool record_int_in(const json_t *rec, const char *member, long long lo, long long hi)
{
	const json_t *v = json_object_get(rec, member);

	return !v || json_is_null(v) ||
	       (json_is_integer(v) && json_integer_value(v) >= lo && json_integer_value(v) <= hi);
}
