/* Staff records as they are stored: every member a reader may rely on,
 * checked once when a record is read back (record.h). users.c writes them. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "json-fields.h"
#include "json-flat.h"
#include "record.h"
#include "user-record.h"
#include "validate.h"

/* Every member a stored user record may have: what user_new_record, the
 * UserInput fields and the login methods write. Optional members may be
 * null: a login stores the origin it was given as is. */
static const struct json_field user_record_fields[] = {
	{ "username", JF_STRING, true, false },
	{ "email", JF_STRING, true, false },
	{ "first_name", JF_STRING, true, false },
	{ "last_name", JF_STRING, true, false },
	{ "role", JF_STRING, true, false },
	{ "admin", JF_BOOL, true, false },
	{ "employment", JF_STRING, true, false },
	{ "status", JF_STRING, true, false },
	{ "locked", JF_BOOL, true, false },
	{ "failed_logins", JF_INT, true, false },
	{ "must_change_password", JF_BOOL, true, false },
	{ "locations", JF_STRING_ARRAY, true, false },
	{ "capacity", JF_INT, true, false },
	{ "step", JF_INT, true, false },
	{ "daily_billing_report", JF_BOOL, true, false },
	{ "email_updates", JF_BOOL, true, false },
	{ "eprescribing_verified", JF_BOOL, true, false },
	{ "uid", JF_INT, true, false },
	{ "created", JF_INT, true, false },
	{ "locked_at", JF_INT, false, true },
	{ "primary_location", JF_STRING, false, true },
	{ "primary_provider", JF_STRING, false, true },
	{ "npi", JF_STRING, false, true },
	{ "dea", JF_STRING, false, true },
	{ "taxonomy", JF_STRING, false, true },
	{ "ncsbn_id", JF_STRING, false, true },
	{ "degree", JF_STRING, false, true },
	{ "specialty", JF_STRING, false, true },
	{ "care_team_role", JF_STRING, false, true },
	{ "cell_phone", JF_STRING, false, true },
	{ "home_phone", JF_STRING, false, true },
	{ "bio", JF_STRING, false, true },
	{ "activated", JF_INT, false, true },
	{ "last_login", JF_INT, false, true },
	{ "last_login_service", JF_STRING, false, true },
	{ "last_login_tty", JF_STRING, false, true },
	{ "last_login_host", JF_STRING, false, true },
	{ "last_password_change", JF_INT, false, true },
	{ "deactivated", JF_INT, false, true },
	{ "forgot_at", JF_INT, false, true },
	{ "password_hash", JF_STRING, false, false },
	{ "password_history", JF_STRING_ARRAY, false, false },
	{ "pin_hash", JF_STRING, false, false },
	{ "token", JF_OBJECT, false, false },
	{ "grant", JF_OBJECT, false, false },
	{ "local_clash", JF_STRING, false, false },
	{ NULL, 0, false, false },
};

/* An outstanding code ("token") and the grant it earned: a keyed hash, its kind and expiry. */
static const struct json_field code_fields[] = {
	{ "hash", JF_STRING, true, false },
	{ "kind", JF_STRING, true, false },
	{ "expires", JF_INT, true, false },
	{ NULL, 0, false, false },
};

static const struct json_field summary_fields[] = {
	{ "username", JF_STRING, true, false },
	{ "first_name", JF_STRING, true, false },
	{ "last_name", JF_STRING, true, false },
	{ "email", JF_STRING, true, false },
	{ "role", JF_STRING, true, false },
	{ "status", JF_STRING, true, false },
	{ "locked", JF_BOOL, true, false },
	{ "admin", JF_BOOL, true, false },
	{ "locations", JF_STRING_ARRAY, true, false },
	{ "uid", JF_INT, true, false },
	{ "primary_location", JF_STRING, false, true },
	{ "must_change_password", JF_BOOL, false, false },
	{ "locked_at", JF_INT, false, true },
	{ "local_clash", JF_STRING, false, false },
	{ NULL, 0, false, false },
};

static const struct json_field counts_fields[] = {
	{ "pending", JF_INT, true, false },
	{ "active", JF_INT, true, false },
	{ "inactive", JF_INT, true, false },
	{ "locked", JF_INT, true, false },
	{ NULL, 0, false, false },
};

static bool code_ok(const json_t *code)
{
	const char *kind = json_string_value(json_object_get(code, "kind"));

	return !code || (json_fields_check(code, code_fields, NULL) == 0 &&
			 (strcmp(kind, "activation") == 0 || strcmp(kind, "reset") == 0) &&
			 record_int_in(code, "expires", 0, RECORD_TIME_MAX));
}

/* What the member types do not say: the values the readers compare and count with. */
static const char *user_record_problem(const json_t *rec)
{
	static const char *const times[] = { "created", "locked_at", "activated", "last_login",
					     "last_password_change", "deactivated", "forgot_at" };
	const char *why;

	if (validate_status(json_string_value(json_object_get(rec, "status")), &why) < 0)
		return "its status is not pending, active or inactive";
	if (!record_int_in(rec, "uid", 0, UINT32_MAX))
		return "its uid is out of range";
	if (!record_int_in(rec, "failed_logins", 0, INT32_MAX))
		return "its failure count is out of range";
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
		if (!record_int_in(rec, times[i], 0, RECORD_TIME_MAX))
			return "a time is out of range";
	if (!code_ok(json_object_get(rec, "token")) || !code_ok(json_object_get(rec, "grant")))
		return "its code or grant is malformed";
	return NULL;
}

int user_record_parse(const void *key, size_t klen, const void *val, size_t vlen, json_t **ret)
{
	const char *why;
	json_t *rec;
	int r = record_parse("users", key, klen, val, vlen, user_record_fields, "username", &rec);

	if (r < 0)
		return r;
	why = user_record_problem(rec);
	if (why) {
		json_decref(rec);
		return record_refuse("users", key, klen, why);
	}
	*ret = rec;
	return 0;
}

int user_summary_parse(const void *key, size_t klen, const void *val, size_t vlen, json_t **ret)
{
	const char *why = NULL;
	json_t *sum;
	int r = record_parse("user_summary", key, klen, val, vlen, summary_fields, "username", &sum);

	if (r < 0)
		return r;
	if (validate_status(json_string_value(json_object_get(sum, "status")), &why) < 0)
		why = "its status is not pending, active or inactive";
	else if (!record_int_in(sum, "uid", 0, UINT32_MAX) || !record_int_in(sum, "locked_at", 0, RECORD_TIME_MAX))
		why = "its uid or lock time is out of range";
	if (why) {
		json_decref(sum);
		return record_refuse("user_summary", key, klen, why);
	}
	*ret = sum;
	return 0;
}

/* What user_summary_text checks as it goes. */
struct summary_scan {
	const void *key;
	size_t klen;
	unsigned seen;		/* bit i: summary_fields[i] */
	size_t next;		/* where the member after the last one usually is */
	const char *why;
};

static bool span_is(const char *s, size_t len, const char *word)
{
	return len == strlen(word) && memcmp(s, word, len) == 0;
}

static bool flat_type_ok(const struct json_field *f, const struct json_flat_member *m)
{
	switch (m->type) {
	case JSON_FLAT_NULL:
		return f->nullable;
	case JSON_FLAT_STRING:
		return f->type == JF_STRING;
	case JSON_FLAT_INT:
		return f->type == JF_INT;
	case JSON_FLAT_BOOL:
		return f->type == JF_BOOL;
	case JSON_FLAT_STRING_ARRAY:
		return f->type == JF_STRING_ARRAY;
	}
	return false;
}

/* The members with rules of their own, by their place in summary_fields. */
enum { SUM_USERNAME = 0, SUM_STATUS = 5, SUM_UID = 9, SUM_LOCKED_AT = 12, SUM_FIELDS = 14 };
_Static_assert(sizeof(summary_fields) / sizeof(summary_fields[0]) == SUM_FIELDS + 1,
	       "the SUM_ indexes follow summary_fields");

static int summary_member(const struct json_flat_member *m, void *userdata)
{
	struct summary_scan *k = userdata;
	size_t i = SUM_FIELDS;

	/* summary_put writes the members in the table's order: look there first. */
	for (size_t j = 0; j < SUM_FIELDS; j++)
		if (span_is(m->key, m->key_len, summary_fields[(k->next + j) % SUM_FIELDS].name)) {
			i = (k->next + j) % SUM_FIELDS;
			break;
		}
	if (i == SUM_FIELDS || (k->seen & (1U << i)))
		k->why = "an unknown or repeated member";
	else if (!flat_type_ok(&summary_fields[i], m))
		k->why = "a member of the wrong type";
	else if (i == SUM_USERNAME && (m->value_len != k->klen || memcmp(m->value, k->key, k->klen) != 0))
		k->why = "it holds another username than the one it is stored under";
	else if (i == SUM_STATUS && !span_is(m->value, m->value_len, "pending") &&
		 !span_is(m->value, m->value_len, "active") && !span_is(m->value, m->value_len, "inactive"))
		k->why = "its status is not pending, active or inactive";
	else if ((i == SUM_UID && (m->integer < 0 || m->integer > UINT32_MAX)) ||
		 (i == SUM_LOCKED_AT && (m->integer < 0 || m->integer > RECORD_TIME_MAX)))
		k->why = "its uid or lock time is out of range";
	if (k->why)
		return -EBADMSG;
	k->seen |= 1U << i;
	k->next = i + 1;
	return 0;
}

int user_summary_text(const void *key, size_t klen, const void *val, size_t vlen)
{
	struct summary_scan k = { key, klen, 0, 0, NULL };
	int r;

	if (vlen == 0)
		return record_refuse("user_summary", key, klen, "it is empty");
	r = json_flat_check(val, vlen, summary_member, &k);

	for (size_t i = 0; r == 0 && summary_fields[i].name; i++)
		if (summary_fields[i].required && !(k.seen & (1U << i))) {
			k.why = "a field its readers need is missing";
			r = -EBADMSG;
		}
	return r < 0 ? record_refuse("user_summary", key, klen, k.why ? k.why : "not a flat JSON object") : 0;
}

int user_counts_parse(const void *val, size_t vlen, json_t **ret)
{
	static const char key[] = "counts";
	json_t *counts;
	int r = record_parse("meta", key, strlen(key), val, vlen, counts_fields, NULL, &counts);

	if (r < 0)
		return r;
	/* They are added to: a stored count near the integer limits is no count. */
	for (size_t i = 0; counts_fields[i].name; i++)
		if (!record_int_in(counts, counts_fields[i].name, 0, INT32_MAX)) {
			json_decref(counts);
			return record_refuse("meta", key, strlen(key), "a count is out of range");
		}
	*ret = counts;
	return 0;
}
