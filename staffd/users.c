/* Staff account records and the rules for their fields. */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-wipe.h"
#include "json-fields.h"
#include "call.h"
#include "config.h"
#include "daemon.h"
#include "localnames.h"
#include "methods.h"
#include "record.h"
#include "roles.h"
#include "store.h"
#include "user-record.h"
#include "users.h"
#include "validate.h"

/* Optional fields: stored only when set, shown as null when not. */
static const char *const optional_fields[] = {
	"locked_at", "primary_location", "primary_provider", "npi", "dea", "taxonomy", "ncsbn_id", "degree",
	"specialty", "care_team_role", "cell_phone", "home_phone", "bio", "activated", "last_login",
	"last_login_service", "last_login_tty", "last_login_host", "last_password_change", "deactivated",
	"local_clash", NULL,
};

/* Fields clients never see. */
static const char *const secret_fields[] = { "password_hash", "password_history", "pin_hash", "token", "grant", NULL };

const struct json_field user_input_fields[] = {
	{ "username", JF_STRING, false, false },
	{ "email", JF_STRING, false, false },
	{ "first_name", JF_STRING, false, false },
	{ "last_name", JF_STRING, false, false },
	{ "role", JF_STRING, false, false },
	{ "admin", JF_BOOL, false, false },
	{ "employment", JF_STRING, false, false },
	{ "primary_location", JF_STRING, false, true },
	{ "locations", JF_STRING_ARRAY, false, true },
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
	{ "capacity", JF_INT, false, false },
	{ "step", JF_INT, false, false },
	{ "daily_billing_report", JF_BOOL, false, false },
	{ "email_updates", JF_BOOL, false, false },
	{ "eprescribing_verified", JF_BOOL, false, false },
	{ "bio", JF_STRING, false, true },
	{ NULL, 0, false, false },
};

/* The status counters; -ENOENT before the first user. */
static int counts_get(struct txn *t, json_t **ret)
{
	const void *v;
	size_t n;
	int r = store_get(t, DB_META, "counts", strlen("counts"), &v, &n);

	return r < 0 ? r : user_counts_parse(v, n, ret);
}

static void lower_copy(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < len && src[i]; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

int user_get(struct txn *t, const char *username, json_t **ret)
{
	const void *v;
	size_t n;
	int r = store_get(t, DB_USERS, username, strlen(username), &v, &n);

	return r < 0 ? r : user_record_parse(username, strlen(username), v, n, ret);
}

/* The username the uid index gives for uid. */
static int uid_to_name(struct txn *t, uid_t uid, char *name, size_t len)
{
	unsigned char key[4];
	const void *v;
	size_t n;
	int r;

	store_be32((uint32_t)uid, key);
	r = store_get(t, DB_UIDS, key, sizeof(key), &v, &n);
	if (r < 0)
		return r;
	if (n == 0 || n >= len || memchr(v, '\0', n))
		return record_refuse("uids", key, sizeof(key), "not a username");
	memcpy(name, v, n);
	name[n] = '\0';
	return 0;
}

/* The uid index must lead to the record holding that uid: it decides who a caller is. */
static int check_uid(json_t *rec, uid_t uid, json_t **ret)
{
	unsigned char key[4];

	if (json_integer_value(json_object_get(rec, "uid")) != (json_int_t)uid) {
		json_decref(rec);
		store_be32((uint32_t)uid, key);
		return record_refuse("uids", key, sizeof(key), "it names a user with another uid");
	}
	*ret = rec;
	return 0;
}

int user_get_by_uid(struct txn *t, uid_t uid, json_t **ret)
{
	char name[64];
	json_t *rec = NULL;
	int r = uid_to_name(t, uid, name, sizeof(name));

	if (r == 0)
		r = user_get(t, name, &rec);
	return r < 0 ? r : check_uid(rec, uid, ret);
}

bool user_served(const json_t *rec)
{
	return json_object_get(rec, "local_clash") == NULL;
}

/* Drops *ret and answers -ENOENT when it is not served. */
static int served_only(int r, json_t **ret)
{
	if (r == 0 && !user_served(*ret)) {
		json_decref(*ret);
		*ret = NULL;
		return -ENOENT;
	}
	return r;
}

int user_get_served(struct txn *t, const char *username, json_t **ret)
{
	return served_only(user_get(t, username, ret), ret);
}

int user_summary_get_served(struct txn *t, const char *username, json_t **ret)
{
	return served_only(user_summary_get(t, username, ret), ret);
}

static const char *str(const json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

static int counts_adjust(struct txn *t, const json_t *rec, int delta)
{
	json_t *counts = NULL;
	const char *status = str(rec, "status");
	int r;

	r = counts_get(t, &counts);
	if (r == -ENOENT) {
		counts = json_pack("{s:i,s:i,s:i,s:i}", "pending", 0, "active", 0, "inactive", 0, "locked", 0);
		r = counts ? 0 : -ENOMEM;
	}
	if (r < 0)
		return r;
	if (status)
		json_object_set_new(counts, status,
				    json_integer(json_integer_value(json_object_get(counts, status)) + delta));
	if (json_is_true(json_object_get(rec, "locked")))
		json_object_set_new(counts, "locked",
				    json_integer(json_integer_value(json_object_get(counts, "locked")) + delta));
	r = store_put_json(t, DB_META, "counts", counts);
	json_decref(counts);
	return r;
}

int user_counts(struct txn *t, struct user_counts *ret)
{
	json_t *counts = NULL;
	int r;

	r = counts_get(t, &counts);
	if (r == -ENOENT) {
		*ret = (struct user_counts){ 0 };
		return 0;
	}
	if (r < 0)
		return r;
	ret->pending = json_integer_value(json_object_get(counts, "pending"));
	ret->active = json_integer_value(json_object_get(counts, "active"));
	ret->inactive = json_integer_value(json_object_get(counts, "inactive"));
	ret->locked = json_integer_value(json_object_get(counts, "locked"));
	json_decref(counts);
	return 0;
}

struct scan {
	user_visit_fn visit;
	void *userdata;
	const char *after;
};

static int scan_one(const void *key, size_t klen, const void *val, size_t vlen, void *userdata)
{
	struct scan *s = userdata;
	json_t *rec;
	int r;

	if (s->after && klen == strlen(s->after) && memcmp(key, s->after, klen) == 0)
		return 0;
	r = user_record_parse(key, klen, val, vlen, &rec);
	if (r == -EBADMSG)
		return 0;	/* that record is refused (and logged), the others go on */
	if (r < 0)
		return r;
	r = s->visit(rec, s->userdata);
	json_decref(rec);
	return r;
}

int users_scan(struct txn *t, const char *after, user_visit_fn visit, void *userdata)
{
	struct scan s = { visit, userdata, after };

	return store_scan(t, DB_USERS, after, after ? strlen(after) : 0, false, scan_one, &s);
}

/* What a listing shows of a user: kept beside the record so that listing
 * 10,000 staff needs neither to parse nor to encode full records. */
static int summary_put(struct txn *t, const json_t *rec)
{
	const char *username = str(rec, "username");
	json_t *sum;
	int r;

	sum = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:O,s:I}", "username", username, "first_name",
			str(rec, "first_name"), "last_name", str(rec, "last_name"), "email", str(rec, "email"), "role",
			str(rec, "role"), "status", str(rec, "status"), "locked",
			json_is_true(json_object_get(rec, "locked")), "admin", json_is_true(json_object_get(rec, "admin")),
			"locations", json_object_get(rec, "locations"), "uid",
			json_integer_value(json_object_get(rec, "uid")));
	if (!sum)
		return -ENOMEM;
	if (str(rec, "primary_location"))
		json_object_set(sum, "primary_location", json_object_get(rec, "primary_location"));
	/* What the account check needs besides. */
	json_object_set_new(sum, "must_change_password", json_boolean(json_is_true(json_object_get(rec, "must_change_password"))));
	if (json_object_get(rec, "locked_at"))
		json_object_set(sum, "locked_at", json_object_get(rec, "locked_at"));
	/* Every path that serves an account reads the summary: it must see the mark. */
	if (json_object_get(rec, "local_clash"))
		json_object_set(sum, "local_clash", json_object_get(rec, "local_clash"));
	r = store_put_json(t, DB_USER_SUMMARY, username, sum);
	json_decref(sum);
	return r;
}

static int summary_one(json_t *rec, void *userdata)
{
	return summary_put(userdata, rec);
}

/* Bumped whenever summary_put writes something new. */
#define SUMMARY_VERSION "2"

int users_rebuild_summaries(struct txn *t)
{
	const void *v;
	size_t n;
	int r;

	r = store_get(t, DB_META, "summary_version", strlen("summary_version"), &v, &n);
	if (r == 0 && n == strlen(SUMMARY_VERSION) && memcmp(v, SUMMARY_VERSION, n) == 0)
		return 0;
	if (r < 0 && r != -ENOENT)
		return r;
	r = users_scan(t, NULL, summary_one, t);
	if (r == 0)
		r = store_put(t, DB_META, "summary_version", strlen("summary_version"), SUMMARY_VERSION,
			      strlen(SUMMARY_VERSION), false);
	return r;
}

int user_summary_get(struct txn *t, const char *username, json_t **ret)
{
	const void *v;
	size_t n;
	int r = store_get(t, DB_USER_SUMMARY, username, strlen(username), &v, &n);

	return r < 0 ? r : user_summary_parse(username, strlen(username), v, n, ret);
}

int user_summary_by_uid(struct txn *t, uid_t uid, json_t **ret)
{
	char name[64];
	json_t *sum = NULL;
	int r = uid_to_name(t, uid, name, sizeof(name));

	if (r == 0)
		r = user_summary_get(t, name, &sum);
	return r < 0 ? r : check_uid(sum, uid, ret);
}

static int summary_visit(const void *key, size_t klen, const void *val, size_t vlen, void *userdata)
{
	struct scan *s = userdata;
	json_t *sum;
	int r;

	r = user_summary_parse(key, klen, val, vlen, &sum);
	if (r == -EBADMSG)
		return 0;	/* that record is refused (and logged), the others go on */
	if (r < 0)
		return r;
	r = s->visit(sum, s->userdata);
	json_decref(sum);
	return r;
}

int summaries_scan(struct txn *t, user_visit_fn visit, void *userdata)
{
	struct scan s = { visit, userdata, NULL };

	return store_scan(t, DB_USER_SUMMARY, NULL, 0, false, summary_visit, &s);
}

int user_put(struct txn *t, const json_t *old, const json_t *rec)
{
	const char *username = str(rec, "username");
	unsigned char key[4];
	char *buf;
	int r;

	buf = json_dumps(rec, JSON_COMPACT);
	if (!buf)
		return -ENOMEM;
	r = store_put(t, DB_USERS, username, strlen(username), buf, strlen(buf), old == NULL);
	json_text_free(buf);
	if (r == 0)
		r = summary_put(t, rec);
	if (r < 0)
		return r;
	if (!old) {
		store_be32((uint32_t)json_integer_value(json_object_get(rec, "uid")), key);
		r = store_put(t, DB_UIDS, key, sizeof(key), username, strlen(username), true);
		if (r < 0)
			return r;
	}
	if (old && (r = counts_adjust(t, old, -1)) < 0)
		return r;
	return counts_adjust(t, rec, +1);
}

json_t *user_public(const json_t *rec)
{
	json_t *pub = json_deep_copy(rec);
	json_t *token;

	if (!pub)
		return NULL;
	token = json_object_get(rec, "token");
	json_object_set_new(pub, "has_pin", json_boolean(json_object_get(rec, "pin_hash") != NULL));
	json_object_set_new(pub, "code_expires",
			    token ? json_incref(json_object_get(token, "expires")) : json_null());
	for (size_t i = 0; secret_fields[i]; i++)
		json_object_del(pub, secret_fields[i]);
	json_object_del(pub, "forgot_at");
	for (size_t i = 0; optional_fields[i]; i++)
		if (!json_object_get(pub, optional_fields[i]))
			json_object_set_new(pub, optional_fields[i], json_null());
	return pub;
}

bool role_has_permission(struct txn *t, const char *role, const char *permission)
{
	json_t *rec = NULL, *perm;
	bool found = false;
	size_t i;

	if (!role || role_get(t, role, &rec) < 0)
		return false;
	json_array_foreach(json_object_get(rec, "permissions"), i, perm)
		if (strcmp(json_string_value(perm), permission) == 0)
			found = true;
	json_decref(rec);
	return found;
}

bool user_is_admin(struct txn *t, const json_t *rec)
{
	const char *status = str(rec, "status");

	if (!status || strcmp(status, "active") != 0 || json_is_true(json_object_get(rec, "locked")) ||
	    !user_served(rec))
		return false;
	return json_is_true(json_object_get(rec, "admin")) ||
	       role_has_permission(t, str(rec, "role"), "admin.accounts");
}

static bool uid_in_system_files(uint32_t uid)
{
	bool used = false;
	FILE *f;

	f = fopen("/etc/passwd", "re");
	if (f) {
		struct passwd *pw;
		while (!used && (pw = fgetpwent(f)))
			used = pw->pw_uid == uid;
		fclose(f);
	}
	f = used ? NULL : fopen("/etc/group", "re");
	if (f) {
		struct group *gr;
		while (!used && (gr = fgetgrent(f)))
			used = gr->gr_gid == uid;
		fclose(f);
	}
	return used;
}

int user_allocate_uid(struct txn *t, const struct config *cfg, uint32_t *ret)
{
	unsigned char key[4];
	const void *v;
	size_t n;
	uint32_t next = cfg->uid_min;
	char buf[16];
	int r;

	r = store_get(t, DB_META, "next_uid", strlen("next_uid"), &v, &n);
	if (r == 0 && n < sizeof(buf)) {
		memcpy(buf, v, n);
		buf[n] = '\0';
		next = (uint32_t)strtoul(buf, NULL, 10);
	} else if (r < 0 && r != -ENOENT)
		return r;
	if (next < cfg->uid_min)
		next = cfg->uid_min;
	for (; next <= cfg->uid_max; next++) {
		store_be32(next, key);
		r = store_get(t, DB_UIDS, key, sizeof(key), &v, &n);
		if (r == 0)
			continue;
		if (r != -ENOENT)
			return r;
		if (!uid_in_system_files(next))
			break;
	}
	if (next > cfg->uid_max)
		return -EUSERS;	/* not -ENOSPC: that is a full database */
	snprintf(buf, sizeof(buf), "%u", next + 1);
	r = store_put(t, DB_META, "next_uid", strlen("next_uid"), buf, strlen(buf), false);
	if (r < 0)
		return r;
	*ret = next;
	return 0;
}

/* ---- field rules ---- */

static int set_checked_string(struct call *c, json_t *rec, const char *field, const json_t *value,
			      int (*check)(const char *, const char **))
{
	const char *why;

	if (json_is_null(value)) {
		json_object_del(rec, field);
		return 0;
	}
	if (check(json_string_value(value), &why) < 0)
		return call_invalid(c, field, "%s %s", field, why);
	json_object_set(rec, field, (json_t *)value);
	return 0;
}

static int check_short_text(const char *s, const char **why)
{
	if (s && strlen(s) > 64) {
		*why = "must be at most 64 bytes";
		return -EINVAL;
	}
	if (s && !*s) {
		*why = "must not be empty";
		return -EINVAL;
	}
	return validate_text(s, 64, why);
}

static int check_bio(const char *s, const char **why)
{
	if (s && strlen(s) > 2000) {
		*why = "must be at most 2000 bytes";
		return -EINVAL;
	}
	return validate_text(s, 2000, why);
}

static int check_ncsbn(const char *s, const char **why)
{
	if (!s || !*s || strlen(s) > 16) {
		*why = "must be 1 to 16 digits";
		return -EINVAL;
	}
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p)) {
			*why = "must be 1 to 16 digits";
			return -EINVAL;
		}
	return 0;
}

static int set_email(struct call *c, json_t *rec, const json_t *value)
{
	const char *email = json_string_value(value), *why, *old = str(rec, "email");
	const char *username = str(rec, "username");
	char key[256], oldkey[256];
	const void *v;
	size_t n;
	int r;

	if (validate_email(email, &why) < 0)
		return call_invalid(c, "email", "email %s", why);
	lower_copy(key, sizeof(key), email);
	if (old) {
		lower_copy(oldkey, sizeof(oldkey), old);
		if (strcmp(oldkey, key) == 0) {
			json_object_set(rec, "email", (json_t *)value);
			return 0;
		}
	}
	r = store_get(c->txn, DB_EMAILS, key, strlen(key), &v, &n);
	if (r == 0) {
		char owner[64];
		snprintf(owner, sizeof(owner), "%.*s", (int)(n < 63 ? n : 63), (const char *)v);
		return call_conflict(c, "email", "%s is already used by %s", email, owner);
	}
	if (r != -ENOENT)
		return r;
	if (old && (r = store_del(c->txn, DB_EMAILS, oldkey, strlen(oldkey))) < 0 && r != -ENOENT)
		return r;
	r = store_put(c->txn, DB_EMAILS, key, strlen(key), username, strlen(username), true);
	if (r < 0)
		return r;
	json_object_set(rec, "email", (json_t *)value);
	return 0;
}

static int location_exists(struct call *c, const char *name)
{
	const void *v;
	size_t n;

	return store_get(c->txn, DB_LOCATIONS, name, strlen(name), &v, &n);
}

static int set_locations(struct call *c, json_t *rec, const json_t *value)
{
	json_t *loc, *list;
	size_t i, j;
	int r;

	if (json_is_null(value) || json_array_size(value) == 0) {
		json_object_set_new(rec, "locations", json_array());
		return 0;
	}
	json_array_foreach(value, i, loc) {
		const char *name = json_string_value(loc);
		r = location_exists(c, name);
		if (r == -ENOENT)
			return call_fail(c, "NoSuchLocation", json_pack("{s:s}", "name", name));
		if (r < 0)
			return r;
		for (j = 0; j < i; j++)
			if (strcmp(json_string_value(json_array_get(value, j)), name) == 0)
				return call_invalid(c, "locations", "locations lists %s twice", name);
	}
	list = json_deep_copy(value);
	if (!list)
		return -ENOMEM;
	json_object_set_new(rec, "locations", list);
	return 0;
}

static int set_primary_location(struct call *c, json_t *rec, const json_t *value)
{
	int r;

	if (json_is_null(value)) {
		json_object_del(rec, "primary_location");
		return 0;
	}
	r = location_exists(c, json_string_value(value));
	if (r == -ENOENT)
		return call_fail(c, "NoSuchLocation", json_pack("{s:s}", "name", json_string_value(value)));
	if (r < 0)
		return r;
	json_object_set(rec, "primary_location", (json_t *)value);
	return 0;
}

static int set_role(struct call *c, json_t *rec, const json_t *value)
{
	const char *name = json_string_value(value);
	const void *v;
	size_t n;
	int r;

	r = store_get(c->txn, DB_ROLES, name, strlen(name), &v, &n);
	if (r == -ENOENT)
		return call_fail(c, "NoSuchRole", json_pack("{s:s}", "name", name));
	if (r < 0)
		return r;
	json_object_set(rec, "role", (json_t *)value);
	return 0;
}

/* A provider is a staff member whose role may prescribe (docs/decisions.md). */
static int set_primary_provider(struct call *c, json_t *rec, const json_t *value)
{
	const char *name = json_string_value(value);
	json_t *provider = NULL;
	bool ok;
	int r;

	if (json_is_null(value)) {
		json_object_del(rec, "primary_provider");
		return 0;
	}
	if (strcmp(name, str(rec, "username")) == 0)
		return call_invalid(c, "primary_provider", "primary_provider cannot be the user itself");
	r = user_get(c->txn, name, &provider);
	if (r == -ENOENT)
		return call_invalid(c, "primary_provider", "primary_provider %s is not a staff user", name);
	if (r < 0)
		return r;
	ok = role_has_permission(c->txn, str(provider, "role"), "clinical.prescribe") &&
	     strcmp(str(provider, "status"), "inactive") != 0;
	json_decref(provider);
	if (!ok)
		return call_invalid(c, "primary_provider",
				    "primary_provider %s is not a provider (an active or pending user whose role has clinical.prescribe)",
				    name);
	json_object_set(rec, "primary_provider", (json_t *)value);
	return 0;
}

static int set_int(struct call *c, json_t *rec, const char *field, const json_t *value,
		   int (*check)(long long, const char **))
{
	const char *why;

	if (check(json_integer_value(value), &why) < 0)
		return call_invalid(c, field, "%s %s", field, why);
	json_object_set(rec, field, (json_t *)value);
	return 0;
}

static int set_name(struct call *c, json_t *rec, const char *field, const json_t *value)
{
	const char *old = str(rec, field), *why;

	if (validate_person_name(json_string_value(value), &why) < 0)
		return call_invalid(c, field, "%s %s", field, why);
	if (old && strcmp(old, json_string_value(value)) != 0 &&
	    json_is_true(json_object_get(rec, "eprescribing_verified")))
		return call_invalid(c, field, "%s cannot change once e-prescribing is verified", field);
	json_object_set(rec, field, (json_t *)value);
	return 0;
}

static int apply_field(struct call *c, json_t *rec, const char *field, const json_t *value, bool creating)
{
	static const struct {
		const char *field;
		int (*check)(const char *, const char **);
	} text_fields[] = {
		{ "npi", validate_npi },
		{ "taxonomy", validate_taxonomy },
		{ "ncsbn_id", check_ncsbn },
		{ "degree", check_short_text },
		{ "specialty", check_short_text },
		{ "care_team_role", check_short_text },
		{ "cell_phone", validate_phone },
		{ "home_phone", validate_phone },
		{ "bio", check_bio },
	};
	const char *why;
	char clash[256];
	int r;

	for (size_t i = 0; i < sizeof(text_fields) / sizeof(text_fields[0]); i++)
		if (strcmp(field, text_fields[i].field) == 0)
			return set_checked_string(c, rec, field, value, text_fields[i].check);

	if (strcmp(field, "username") == 0) {
		if (!creating) {
			if (strcmp(json_string_value(value), str(rec, "username")) != 0)
				return call_invalid(c, "username", "username cannot be changed");
			return 0;
		}
		if (validate_username(json_string_value(value), &why) < 0)
			return call_invalid(c, "username", "username %s", why);
		r = local_name_check_system(json_string_value(value), clash, sizeof(clash));
		if (r == -EEXIST)
			return call_conflict(c, "username", "%s", clash);
		if (r < 0)
			return r;
		json_object_set(rec, "username", (json_t *)value);
		return 0;
	}
	if (strcmp(field, "email") == 0)
		return set_email(c, rec, value);
	if (strcmp(field, "first_name") == 0 || strcmp(field, "last_name") == 0)
		return set_name(c, rec, field, value);
	if (strcmp(field, "role") == 0)
		return set_role(c, rec, value);
	if (strcmp(field, "employment") == 0) {
		if (validate_employment(json_string_value(value), &why) < 0)
			return call_invalid(c, field, "employment %s", why);
		json_object_set(rec, field, (json_t *)value);
		return 0;
	}
	if (strcmp(field, "locations") == 0)
		return set_locations(c, rec, value);
	if (strcmp(field, "primary_location") == 0)
		return set_primary_location(c, rec, value);
	if (strcmp(field, "primary_provider") == 0)
		return set_primary_provider(c, rec, value);
	if (strcmp(field, "capacity") == 0)
		return set_int(c, rec, field, value, validate_capacity);
	if (strcmp(field, "step") == 0)
		return set_int(c, rec, field, value, validate_step);
	if (strcmp(field, "eprescribing_verified") == 0) {
		if (json_is_true(json_object_get(rec, field)) && !json_is_true(value))
			return call_invalid(c, field, "eprescribing_verified cannot be cleared once set");
		json_object_set(rec, field, (json_t *)value);
		return 0;
	}
	if (strcmp(field, "dea") == 0)
		return 0;	/* checked after the loop: it depends on last_name */
	/* admin, daily_billing_report, email_updates: plain booleans. */
	json_object_set(rec, field, (json_t *)value);
	return 0;
}

int user_apply_input(struct call *c, json_t *rec, const json_t *input, bool creating)
{
	static const char *const required[] = { "username", "email", "first_name", "last_name", "role", NULL };
	const char *bad = NULL, *key, *why;
	const char *order[] = { "username", NULL };
	json_t *value, *dea;
	int r;

	r = json_fields_check(input, user_input_fields, &bad);
	if (r == -EPROTO)
		return call_invalid(c, bad, "unknown field %s", bad);
	if (r < 0)
		return call_invalid(c, bad, "%s has the wrong type", bad);
	if (creating)
		for (size_t i = 0; required[i]; i++)
			if (!json_string_value(json_object_get(input, required[i])) &&
			    !json_string_value(json_object_get(rec, required[i])))
				return call_invalid(c, required[i], "%s is required", required[i]);
	for (size_t i = 0; required[i]; i++) {
		value = json_object_get(input, required[i]);
		if (value && json_is_null(value))
			return call_invalid(c, required[i], "%s cannot be cleared", required[i]);
	}
	/* The username first: the email index refers to it. */
	for (size_t i = 0; order[i]; i++)
		if ((value = json_object_get(input, order[i])) &&
		    (r = apply_field(c, rec, order[i], value, creating)) < 0)
			return r;
	json_object_foreach((json_t *)input, key, value) {
		if (strcmp(key, "username") == 0)
			continue;
		r = apply_field(c, rec, key, value, creating);
		if (r < 0)
			return r;
	}
	dea = json_object_get(input, "dea");
	if (dea && !json_is_null(dea)) {
		if (validate_dea(json_string_value(dea), str(rec, "last_name"), &why) < 0)
			return call_invalid(c, "dea", "dea %s", why);
		json_object_set(rec, "dea", dea);
	} else if (dea)
		json_object_del(rec, "dea");
	else if (str(rec, "dea") && json_object_get(input, "last_name") &&
		 validate_dea(str(rec, "dea"), str(rec, "last_name"), &why) < 0)
		return call_invalid(c, "last_name", "last_name no longer matches the DEA number: dea %s", why);

	/* A primary location must be one the user may work at. */
	{
		const char *primary = str(rec, "primary_location");
		json_t *locs = json_object_get(rec, "locations"), *l;
		size_t i;
		bool found = json_array_size(locs) == 0;

		json_array_foreach(locs, i, l)
			if (primary && strcmp(json_string_value(l), primary) == 0)
				found = true;
		if (primary && !found)
			return call_invalid(c, "primary_location",
					    "primary_location %s is not among the user's locations", primary);
	}
	return 0;
}
