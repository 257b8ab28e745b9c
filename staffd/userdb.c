/* io.systemd.UserDatabase (systemd's USER_GROUP_API) over the staff
 * directory. Every staff user is a user record with its own primary group
 * (gid = uid); deactivated users are locked records. The service name is
 * the socket's file name (io.practice.staff when installed). Each role is a group
 * practice-<role>, administrators are in practice-admins. Only active and
 * pending users are members of groups. Nothing here is a secret: the
 * records carry no hash and no "privileged" section. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json-fields.h"
#include "call.h"
#include "config.h"
#include "daemon.h"
#include "record.h"
#include "roles.h"
#include "store.h"
#include "userdb.h"
#include "users.h"

#define ERR(name) "io.systemd.UserDatabase." name

static const char *str(const json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

int userdb_role_group(const char *role, char *buf, size_t len)
{
	size_t n = strlen("practice-");
	bool dash = true, alnum = false;

	if (len < n + 1)
		return -EINVAL;
	memcpy(buf, "practice-", n);
	for (const char *p = role; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (isalnum(ch) && ch < 0x80) {
			if (n + 1 >= len || n >= 32)
				return -EINVAL;
			buf[n++] = (char)tolower(ch);
			dash = false;
			alnum = true;
		} else if (!dash) {
			if (n + 1 >= len || n >= 32)
				return -EINVAL;
			buf[n++] = '-';
			dash = true;
		}
	}
	if (n > 0 && buf[n - 1] == '-')
		n--;
	buf[n] = '\0';
	return alnum && n <= 32 ? 0 : -EINVAL;
}

/* ---- gids for roles and the administrators' group ---- */

static int ensure_role_gid(const void *key, size_t klen, const void *val, size_t vlen, void *userdata)
{
	json_t **missing = userdata, *role = NULL;
	int r = role_parse(key, klen, val, vlen, &role);

	if (r == -EBADMSG)
		return 0;	/* refused and logged: no group for it */
	if (r < 0)
		return r;
	if (!json_object_get(role, "gid"))
		json_array_append(*missing, role);
	json_decref(role);
	return 0;
}

int userdb_ensure_gids(struct txn *t, const struct config *cfg)
{
	json_t *missing = json_array(), *role;
	const void *v;
	size_t n, i;
	uint32_t gid;
	char buf[16];
	int r;

	r = store_scan(t, DB_ROLES, NULL, 0, false, ensure_role_gid, &missing);
	json_array_foreach(missing, i, role) {
		if (r < 0)
			break;
		r = user_allocate_uid(t, cfg, &gid);
		if (r == 0) {
			json_object_set_new(role, "gid", json_integer(gid));
			r = store_put_json(t, DB_ROLES, str(role, "name"), role);
		}
	}
	json_decref(missing);
	if (r < 0)
		return r;
	r = store_get(t, DB_META, "admins_gid", strlen("admins_gid"), &v, &n);
	if (r != -ENOENT)
		return r;
	r = user_allocate_uid(t, cfg, &gid);
	if (r < 0)
		return r;
	snprintf(buf, sizeof(buf), "%u", gid);
	return store_put(t, DB_META, "admins_gid", strlen("admins_gid"), buf, strlen(buf), false);
}

/* The administrators' gid, or -1 when there is none (or it does not parse: logged). */
static long long admins_gid(struct txn *t)
{
	const char *v;
	long long gid = 0;
	size_t n;

	if (store_get(t, DB_META, "admins_gid", strlen("admins_gid"), (const void **)&v, &n) < 0)
		return -1;
	for (size_t i = 0; i < n && gid <= UINT32_MAX; i++) {
		if (v[i] < '0' || v[i] > '9') {
			gid = UINT32_MAX + 1LL;
			break;
		}
		gid = gid * 10 + (v[i] - '0');
	}
	if (n == 0 || gid > UINT32_MAX) {
		record_refuse("meta", "admins_gid", strlen("admins_gid"), "not a gid");
		return -1;
	}
	return gid;
}

/* ---- records ---- */

static json_t *user_record(const struct daemon *d, const json_t *rec)
{
	const char *username = str(rec, "username");
	json_int_t uid = json_integer_value(json_object_get(rec, "uid"));
	char home[512], real[160];

	snprintf(home, sizeof(home), "%s/%s", d->config.home_base, username);
	snprintf(real, sizeof(real), "%s %s", str(rec, "first_name"), str(rec, "last_name"));
	return json_pack("{s:s,s:I,s:I,s:s,s:s,s:s,s:s,s:b,s:s}", "userName", username, "uid", uid, "gid", uid,
			 "realName", real, "homeDirectory", home, "shell", d->config.shell, "disposition", "regular",
			 "locked", strcmp(str(rec, "status"), "inactive") == 0, "service", d->userdb_service);
}

static json_t *group_record(const struct daemon *d, const char *name, json_int_t gid, const char *description)
{
	return json_pack("{s:s,s:I,s:s,s:s,s:s}", "groupName", name, "gid", gid, "description", description,
			 "disposition", "regular", "service", d->userdb_service);
}

/* The secondary filters of USER_GROUP_API: all optional. */
static bool filters_match(const json_t *params, const char *name, const char *real, json_int_t id, const char *min,
			  const char *max)
{
	json_t *fuzzy = json_object_get(params, "fuzzyNames"), *mask = json_object_get(params, "dispositionMask"), *v;
	size_t i;

	if (json_is_integer(json_object_get(params, min)) && id < json_integer_value(json_object_get(params, min)))
		return false;
	if (json_is_integer(json_object_get(params, max)) && id > json_integer_value(json_object_get(params, max)))
		return false;
	if (json_array_size(mask) > 0) {
		bool regular = false;
		json_array_foreach(mask, i, v)
			regular |= strcmp(json_string_value(v), "regular") == 0;
		if (!regular)
			return false;
	}
	if (json_array_size(fuzzy) > 0) {
		bool hit = false;
		json_array_foreach(fuzzy, i, v) {
			const char *f = json_string_value(v);
			hit |= strcasestr(name, f) != NULL || (real && strcasestr(real, f) != NULL);
		}
		if (!hit)
			return false;
	}
	return true;
}

/* Sends the collected replies: all but the last with continues. */
static int reply_all(struct call *c, json_t *replies)
{
	size_t n = json_array_size(replies);
	json_t *last;

	if (n == 0) {
		json_decref(replies);
		return call_fail(c, ERR("NoRecordFound"), NULL);
	}
	if (n > 1 && !c->more) {
		json_decref(replies);
		return call_fail(c, "org.varlink.service.ExpectedMore", NULL);
	}
	for (size_t i = 0; i + 1 < n; i++)
		call_stream(c, json_incref(json_array_get(replies, i)));
	last = json_incref(json_array_get(replies, n - 1));
	json_decref(replies);
	return call_reply(c, last);
}

static json_t *wrap(json_t *record)
{
	return json_pack("{s:o,s:b}", "record", record, "incomplete", 0);
}

/* ---- GetUserRecord ---- */

struct collect {
	struct call *call;
	json_t *replies;
};

static int collect_user(json_t *rec, void *userdata)
{
	struct collect *k = userdata;
	json_t *record;

	if (!user_served(rec))
		return 0;
	record = user_record(k->call->daemon, rec);

	if (filters_match(k->call->params, str(record, "userName"), str(record, "realName"),
			  json_integer_value(json_object_get(record, "uid")), "uidMin", "uidMax"))
		json_array_append_new(k->replies, wrap(record));
	else
		json_decref(record);
	return 0;
}

static int get_user_record(struct call *c)
{
	const char *name = json_get_str(c->params, "userName");
	json_t *byname = NULL, *byuid = NULL, *record;
	bool have_uid = json_is_integer(json_object_get(c->params, "uid"));
	int r = 0;

	if (!name && !have_uid) {
		struct collect k = { c, json_array() };

		if (!c->more) {
			json_decref(k.replies);
			return call_fail(c, "org.varlink.service.ExpectedMore", NULL);
		}
		r = summaries_scan(c->txn, collect_user, &k);
		if (r < 0) {
			json_decref(k.replies);
			return r;
		}
		return reply_all(c, k.replies);
	}
	if (name && (r = user_summary_get_served(c->txn, name, &byname)) < 0 && r != -ENOENT)
		return r;
	if (have_uid) {
		json_int_t uid = json_integer_value(json_object_get(c->params, "uid"));
		r = uid >= 0 && uid <= UINT32_MAX ? user_summary_by_uid(c->txn, (uid_t)uid, &byuid) : -ENOENT;
		if (r < 0 && r != -ENOENT) {
			json_decref(byname);
			return r;
		}
		if (byuid && !user_served(byuid)) {
			json_decref(byuid);
			byuid = NULL;
		}
	}
	if (name && have_uid && (byname || byuid) &&
	    (!byname || !byuid || strcmp(str(byname, "username"), str(byuid, "username")) != 0))
		r = call_fail(c, ERR("ConflictingRecordFound"), NULL);
	else if (!byname && !byuid)
		r = call_fail(c, ERR("NoRecordFound"), NULL);
	else {
		record = user_record(c->daemon, byname ? byname : byuid);
		if (!filters_match(c->params, str(record, "userName"), str(record, "realName"),
				   json_integer_value(json_object_get(record, "uid")), "uidMin", "uidMax")) {
			json_decref(record);
			r = call_fail(c, ERR("NonMatchingRecordFound"), NULL);
		} else
			r = call_reply(c, wrap(record));
	}
	json_decref(byname);
	json_decref(byuid);
	return r;
}

/* ---- GetGroupRecord ---- */

struct groups {
	const struct daemon *daemon;
	json_t *list;
};

static int role_group_one(const void *key, size_t klen, const void *val, size_t vlen, void *userdata)
{
	struct groups *g = userdata;
	json_t *role = NULL;
	char name[64], description[128];
	int r = role_parse(key, klen, val, vlen, &role);

	if (r == -EBADMSG)
		return 0;	/* refused and logged: no group for it */
	if (r < 0)
		return r;
	if (json_object_get(role, "gid") && userdb_role_group(str(role, "name"), name, sizeof(name)) == 0) {
		snprintf(description, sizeof(description), "Practice staff with the role %s", str(role, "name"));
		json_array_append_new(g->list, group_record(g->daemon, name,
							    json_integer_value(json_object_get(role, "gid")), description));
	}
	json_decref(role);
	return 0;
}

static int own_group_one(json_t *rec, void *userdata)
{
	struct groups *g = userdata;

	if (!user_served(rec))
		return 0;
	json_array_append_new(g->list, group_record(g->daemon, str(rec, "username"),
						    json_integer_value(json_object_get(rec, "uid")), "Staff member's own group"));
	return 0;
}

/*
 * The groups to choose from: the administrators' group, the role groups and
 * the users' own groups: all of them when enumerating, else only those of
 * the users the keys name (no need to read every user for one lookup).
 */
static int candidate_groups(struct call *c, const char *name, long long gid, json_t *list)
{
	struct groups groups = { c->daemon, list };
	long long agid = admins_gid(c->txn);
	json_t *rec = NULL;
	int r;

	if (agid >= 0)
		json_array_append_new(list, group_record(c->daemon, USERDB_ADMINS_GROUP, agid, "Practice administrators"));
	r = store_scan(c->txn, DB_ROLES, NULL, 0, false, role_group_one, &groups);
	if (r < 0)
		return r;
	if (!name && gid < 0)
		return summaries_scan(c->txn, own_group_one, &groups);
	if (name && (r = user_summary_get(c->txn, name, &rec)) == 0) {
		own_group_one(rec, &groups);
		json_decref(rec);
		rec = NULL;
	}
	if (r < 0 && r != -ENOENT)
		return r;
	if (gid >= 0 && gid <= UINT32_MAX && (r = user_summary_by_uid(c->txn, (uid_t)gid, &rec)) == 0) {
		own_group_one(rec, &groups);
		json_decref(rec);
	}
	return r == -ENOENT ? 0 : r;
}

static bool group_matches(const struct call *c, const json_t *group)
{
	return filters_match(c->params, str(group, "groupName"), str(group, "description"),
			     json_integer_value(json_object_get(group, "gid")), "gidMin", "gidMax");
}

static int get_group_record(struct call *c)
{
	const char *name = json_get_str(c->params, "groupName");
	bool have_gid = json_is_integer(json_object_get(c->params, "gid"));
	long long gid = have_gid ? json_integer_value(json_object_get(c->params, "gid")) : -1;
	json_t *groups = json_array(), *group, *byname = NULL, *bygid = NULL, *found, *replies;
	size_t i;
	int r;

	if (!name && !have_gid && !c->more) {
		json_decref(groups);
		return call_fail(c, "org.varlink.service.ExpectedMore", NULL);
	}
	r = candidate_groups(c, name, have_gid ? gid : -1, groups);
	if (r < 0) {
		json_decref(groups);
		return r;
	}
	if (!name && !have_gid) {
		replies = json_array();
		json_array_foreach(groups, i, group)
			if (group_matches(c, group))
				json_array_append_new(replies, wrap(json_incref(group)));
		json_decref(groups);
		return reply_all(c, replies);
	}
	json_array_foreach(groups, i, group) {
		if (name && !byname && strcmp(str(group, "groupName"), name) == 0)
			byname = group;
		if (have_gid && !bygid && json_integer_value(json_object_get(group, "gid")) == gid)
			bygid = group;
	}
	found = byname ? byname : bygid;
	if (name && have_gid && found && byname != bygid)
		r = call_fail(c, ERR("ConflictingRecordFound"), NULL);
	else if (!found)
		r = call_fail(c, ERR("NoRecordFound"), NULL);
	else if (!group_matches(c, found))
		r = call_fail(c, ERR("NonMatchingRecordFound"), NULL);
	else
		r = call_reply(c, wrap(json_incref(found)));
	json_decref(groups);
	return r;
}

/* ---- GetMemberships ---- */

static bool is_member_status(const json_t *rec)
{
	return strcmp(str(rec, "status"), "inactive") != 0;
}

/* The groups rec is a member of (besides its own primary group). */
static void user_memberships(struct txn *t, const json_t *rec, json_t *pairs, const char *only_group)
{
	char group[64];
	const char *username = str(rec, "username");

	if (!is_member_status(rec) || !user_served(rec))
		return;
	if (userdb_role_group(str(rec, "role"), group, sizeof(group)) == 0 &&
	    (!only_group || strcmp(only_group, group) == 0))
		json_array_append_new(pairs, json_pack("{s:s,s:s}", "userName", username, "groupName", group));
	if ((json_is_true(json_object_get(rec, "admin")) || role_has_permission(t, str(rec, "role"), "admin.accounts")) &&
	    (!only_group || strcmp(only_group, USERDB_ADMINS_GROUP) == 0))
		json_array_append_new(pairs,
				      json_pack("{s:s,s:s}", "userName", username, "groupName", USERDB_ADMINS_GROUP));
}

struct member_scan {
	struct txn *t;
	json_t *pairs;
	const char *group;
};

static int member_one(json_t *rec, void *userdata)
{
	struct member_scan *m = userdata;

	user_memberships(m->t, rec, m->pairs, m->group);
	return 0;
}

static int get_memberships(struct call *c)
{
	const char *user = json_get_str(c->params, "userName"), *group = json_get_str(c->params, "groupName");
	struct member_scan m = { c->txn, json_array(), group };
	json_t *rec = NULL;
	int r;

	if (!(user && group) && !c->more) {
		json_decref(m.pairs);
		return call_fail(c, "org.varlink.service.ExpectedMore", NULL);
	}
	if (user) {
		r = user_summary_get(c->txn, user, &rec);
		if (r == 0)
			user_memberships(c->txn, rec, m.pairs, group);
		json_decref(rec);
		if (r == -ENOENT)
			r = 0;
	} else
		r = summaries_scan(c->txn, member_one, &m);
	if (r < 0) {
		json_decref(m.pairs);
		return r;
	}
	return reply_all(c, m.pairs);
}

/* ---- dispatch ---- */

static const struct json_field user_params[] = {
	{ "uid", JF_INT, false, true },
	{ "userName", JF_STRING, false, true },
	{ "fuzzyNames", JF_STRING_ARRAY, false, true },
	{ "dispositionMask", JF_STRING_ARRAY, false, true },
	{ "uidMin", JF_INT, false, true },
	{ "uidMax", JF_INT, false, true },
	{ "service", JF_STRING, true, false },
	{ NULL, 0, false, false },
};

static const struct json_field group_params[] = {
	{ "gid", JF_INT, false, true },
	{ "groupName", JF_STRING, false, true },
	{ "fuzzyNames", JF_STRING_ARRAY, false, true },
	{ "dispositionMask", JF_STRING_ARRAY, false, true },
	{ "gidMin", JF_INT, false, true },
	{ "gidMax", JF_INT, false, true },
	{ "service", JF_STRING, true, false },
	{ NULL, 0, false, false },
};

static const struct json_field membership_params[] = {
	{ "userName", JF_STRING, false, true },
	{ "groupName", JF_STRING, false, true },
	{ "service", JF_STRING, true, false },
	{ NULL, 0, false, false },
};

int userdb_dispatch(struct call *c)
{
	static const struct {
		const char *method;
		int (*handler)(struct call *c);
		const struct json_field *params;
	} methods[] = {
		{ "io.systemd.UserDatabase.GetUserRecord", get_user_record, user_params },
		{ "io.systemd.UserDatabase.GetGroupRecord", get_group_record, group_params },
		{ "io.systemd.UserDatabase.GetMemberships", get_memberships, membership_params },
	};
	const char *bad = NULL, *service;
	int r;

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (strcmp(c->method, methods[i].method) != 0)
			continue;
		if (json_fields_check(c->params, methods[i].params, &bad) < 0) {
			/* A missing or mistyped service is a bad service, as systemd's own services say. */
			if (bad && strcmp(bad, "service") == 0)
				return call_fail(c, ERR("BadService"), NULL);
			return call_fail(c, "org.varlink.service.InvalidParameter",
					 json_pack("{s:s}", "parameter", bad ? bad : ""));
		}
		service = json_get_str(c->params, "service");
		if (strcmp(service, c->daemon->userdb_service) != 0)
			return call_fail(c, ERR("BadService"), NULL);
		r = store_begin(c->daemon->store, false, &c->txn);
		if (r < 0)
			return r;
		return methods[i].handler(c);
	}
	if (strncmp(c->method, "io.systemd.UserDatabase.", 24) == 0)
		return call_fail(c, "org.varlink.service.MethodNotFound", json_pack("{s:s}", "method", c->method));
	return call_fail(c, "org.varlink.service.InterfaceNotFound", json_pack("{s:s}", "interface", c->method));
}
