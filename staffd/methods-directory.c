/* Locations and roles. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json-wipe.h"
#include "call.h"
#include "daemon.h"
#include "methods.h"
#include "record.h"
#include "roles.h"
#include "store.h"
#include "userdb.h"
#include "users.h"
#include "validate.h"

static int no_such(struct call *c, const char *error, const char *name)
{
	return call_fail(c, error, json_pack("{s:s}", "name", name));
}

/* ---- locations ---- */

int method_location_add(struct call *c)
{
	const char *name = json_get_str(c->params, "name"), *address = json_get_str(c->params, "address");
	const char *why;
	json_t *loc;
	char *text;
	int r;

	if (validate_label(name, &why) < 0)
		return call_invalid(c, "name", "location name %s", why);
	if (address && strlen(address) > 256)
		return call_invalid(c, "address", "address must be at most 256 bytes");
	if (address && validate_text(address, 256, &why) < 0)
		return call_invalid(c, "address", "address %s", why);
	loc = json_pack("{s:s}", "name", name);
	if (address)
		json_object_set_new(loc, "address", json_string(address));
	text = json_dumps(loc, JSON_COMPACT);
	r = text ? store_put(c->txn, DB_LOCATIONS, name, strlen(name), text, strlen(text), true) : -ENOMEM;
	json_text_free(text);
	if (r == -EEXIST)
		r = call_conflict(c, "name", "a location named %s already exists", name);
	if (r == 0)
		r = audit_call(c, "location.add", name, address);
	if (r == 0)
		return call_reply(c, json_pack("{s:o}", "location", loc));
	json_decref(loc);
	return r;
}

static const struct json_field location_fields[] = {
	{ "name", JF_STRING, true, false },
	{ "address", JF_STRING, false, false },
	{ NULL, 0, false, false },
};

static int location_parse(const void *key, size_t klen, const void *val, size_t vlen, json_t **ret)
{
	return record_parse("locations", key, klen, val, vlen, location_fields, "name", ret);
}

struct collect {
	int (*parse)(const void *key, size_t klen, const void *val, size_t vlen, json_t **ret);
	json_t *list;
};

static int collect(const void *key, size_t klen, const void *val, size_t vlen, void *userdata)
{
	struct collect *k = userdata;
	json_t *item;
	int r = k->parse(key, klen, val, vlen, &item);

	/* A record that does not parse is left out (and logged), the others listed. */
	if (r == -EBADMSG)
		return 0;
	if (r < 0)
		return r;
	json_array_append_new(k->list, item);
	return 0;
}

/* How many staff are assigned to each location (primary or allowed) or hold each role. */
struct tally {
	json_t *locations;	/* name -> count */
	json_t *roles;
};

static void tally_add(json_t *counts, const char *name)
{
	json_object_set_new(counts, name, json_integer(json_integer_value(json_object_get(counts, name)) + 1));
}

static int tally_one(json_t *rec, void *userdata)
{
	struct tally *t = userdata;
	const char *primary = json_string_value(json_object_get(rec, "primary_location"));
	json_t *loc;
	size_t i;
	bool primary_listed = false;

	json_array_foreach(json_object_get(rec, "locations"), i, loc) {
		tally_add(t->locations, json_string_value(loc));
		primary_listed |= primary && strcmp(json_string_value(loc), primary) == 0;
	}
	if (primary && !primary_listed)
		tally_add(t->locations, primary);
	tally_add(t->roles, json_string_value(json_object_get(rec, "role")));
	return 0;
}

/* Lists a table, each entry with its staff count from counts. */
static int list_with_counts(struct call *c, enum store_db db, const char *member, bool locations)
{
	struct tally t = { json_object(), json_object() };
	json_t *list = json_array(), *item;
	struct collect k = { locations ? location_parse : role_parse, list };
	size_t i;
	int r;

	r = store_scan(c->txn, db, NULL, 0, false, collect, &k);
	if (r == 0)
		r = users_scan(c->txn, NULL, tally_one, &t);
	json_array_foreach(list, i, item) {
		json_t *counts = locations ? t.locations : t.roles;
		json_object_set_new(item, "staff",
				    json_integer(json_integer_value(
					    json_object_get(counts, json_string_value(json_object_get(item, "name"))))));
	}
	json_decref(t.locations);
	json_decref(t.roles);
	if (r < 0) {
		json_decref(list);
		return r;
	}
	return call_reply(c, json_pack("{s:o}", member, list));
}

int method_location_list(struct call *c)
{
	return list_with_counts(c, DB_LOCATIONS, "locations", true);
}

struct relocate {
	struct call *call;
	const char *from, *to;	/* to NULL: only look */
	json_t *changed;	/* records to rewrite */
	long long users;
};

static bool replace_name(json_t *str, const char *from, const char *to)
{
	if (!json_is_string(str) || strcmp(json_string_value(str), from) != 0)
		return false;
	if (to)
		json_string_set(str, to);
	return true;
}

static int relocate_one(json_t *rec, void *userdata)
{
	struct relocate *m = userdata;
	json_t *loc;
	size_t i;
	bool hit = replace_name(json_object_get(rec, "primary_location"), m->from, m->to);

	json_array_foreach(json_object_get(rec, "locations"), i, loc)
		hit |= replace_name(loc, m->from, m->to);
	if (hit) {
		m->users++;
		if (m->to)
			json_array_append(m->changed, rec);
	}
	return 0;
}

int method_location_rename(struct call *c)
{
	const char *name = json_get_str(c->params, "name"), *new_name = json_get_str(c->params, "new_name");
	struct relocate m = { c, name, new_name, NULL, 0 };
	json_t *loc = NULL, *rec;
	const char *why;
	size_t i;
	int r;

	if (validate_label(new_name, &why) < 0)
		return call_invalid(c, "new_name", "location name %s", why);
	{
		const void *v;
		size_t n;

		r = store_get(c->txn, DB_LOCATIONS, name, strlen(name), &v, &n);
		if (r == 0)
			r = location_parse(name, strlen(name), v, n, &loc);
	}
	if (r == -ENOENT)
		return no_such(c, "NoSuchLocation", name);
	if (r < 0)
		return r;
	if (strcmp(name, new_name) != 0) {
		const void *v;
		size_t n;

		r = store_get(c->txn, DB_LOCATIONS, new_name, strlen(new_name), &v, &n);
		if (r != -ENOENT) {
			json_decref(loc);
			return r == 0 ? call_conflict(c, "new_name", "a location named %s already exists", new_name) : r;
		}
	}
	json_object_set_new(loc, "name", json_string(new_name));
	m.changed = json_array();
	r = store_del(c->txn, DB_LOCATIONS, name, strlen(name));
	if (r == 0)
		r = store_put_json(c->txn, DB_LOCATIONS, new_name, loc);
	json_decref(loc);
	if (r < 0)
		goto out;
	r = users_scan(c->txn, NULL, relocate_one, &m);
	json_array_foreach(m.changed, i, rec) {
		if (r < 0)
			break;
		r = store_put_json(c->txn, DB_USERS, json_string_value(json_object_get(rec, "username")), rec);
	}
	if (r == 0)
		r = audit_call(c, "location.rename", new_name, name);
	if (r == 0)
		r = call_reply(c, json_pack("{s:{s:s,s:I}}", "location", "name", new_name, "staff", (json_int_t)m.users));
out:
	json_decref(m.changed);
	return r;
}

int method_location_remove(struct call *c)
{
	const char *name = json_get_str(c->params, "name");
	struct relocate m = { c, name, NULL, NULL, 0 };
	int r;

	r = store_del(c->txn, DB_LOCATIONS, name, strlen(name));
	if (r == -ENOENT)
		return no_such(c, "NoSuchLocation", name);
	if (r < 0)
		return r;
	r = users_scan(c->txn, NULL, relocate_one, &m);
	if (r < 0)
		return r;
	if (m.users > 0)
		return call_state(c, "location %s is assigned to %lld staff user%s; move them first", name, m.users,
				  m.users == 1 ? "" : "s");
	r = audit_call(c, "location.remove", name, NULL);
	return r < 0 ? r : call_reply(c, NULL);
}

/* ---- roles ---- */

static int check_permissions(struct call *c, const json_t *perms)
{
	json_t *p;
	size_t i;
	const char *why;

	json_array_foreach(perms, i, p)
		if (validate_permission(json_string_value(p), &why) < 0)
			return call_invalid(c, "permissions", "%s: %s", json_string_value(p), why);
	return 0;
}

static bool has_permission(const json_t *perms, const char *perm)
{
	json_t *p;
	size_t i;

	json_array_foreach(perms, i, p)
		if (strcmp(json_string_value(p), perm) == 0)
			return true;
	return false;
}

/* Permissions kept in the order of DESIGN 3, without duplicates. */
static json_t *normalize_permissions(const json_t *perms)
{
	json_t *out = json_array();

	for (size_t i = 0; staff_permissions[i]; i++)
		if (has_permission(perms, staff_permissions[i]))
			json_array_append_new(out, json_string(staff_permissions[i]));
	return out;
}

static int load_role(struct call *c, const char *name, json_t **ret)
{
	int r = role_get(c->txn, name, ret);

	return r == -ENOENT ? no_such(c, "NoSuchRole", name) : r;
}

struct group_clash {
	const char *group;
	char *holder;
};

static int find_group_clash(const void *key, size_t klen, const void *val, size_t vlen, void *userdata)
{
	struct group_clash *g = userdata;
	json_t *role = NULL;
	char group[64];
	int r = role_parse(key, klen, val, vlen, &role);

	if (r == -EBADMSG)
		return 0;	/* refused and logged: it holds no group */
	if (r < 0)
		return r;
	if (userdb_role_group(json_string_value(json_object_get(role, "name")), group, sizeof(group)) == 0 &&
	    strcmp(group, g->group) == 0) {
		g->holder = strdup(json_string_value(json_object_get(role, "name")));
		r = 1;
	}
	json_decref(role);
	return r;
}

/* Each role is an OS group practice-<role> (userdb.c): the name must make a distinct, valid one. */
static int check_role_group(struct call *c, const char *name)
{
	struct group_clash g = { NULL, NULL };
	char group[64];
	int r;

	if (userdb_role_group(name, group, sizeof(group)) < 0)
		return call_invalid(c, "name",
				    "role name must have a letter or digit and make a group name practice-... of at most 32 characters");
	if (strcmp(group, USERDB_ADMINS_GROUP) == 0)
		return call_conflict(c, "name", "role name would make the group %s, which is the administrators' group",
				     group);
	g.group = group;
	r = store_scan(c->txn, DB_ROLES, NULL, 0, false, find_group_clash, &g);
	if (r > 0) {
		r = call_conflict(c, "name", "role name would make the group %s, like the role %s", group,
				  g.holder ? g.holder : "?");
		free(g.holder);
	}
	return r < 0 ? r : 0;
}

int method_role_add(struct call *c)
{
	const char *name = json_get_str(c->params, "name"), *copy_of = json_get_str(c->params, "copy_of");
	json_t *perms = json_object_get(c->params, "permissions"), *source = NULL, *role, *all;
	const char *why;
	uint32_t gid;
	char *text;
	int r;

	if (validate_label(name, &why) < 0)
		return call_invalid(c, "name", "role name %s", why);
	if (perms && !json_is_null(perms) && (r = check_permissions(c, perms)) < 0)
		return r;
	if ((r = check_role_group(c, name)) < 0)
		return r;
	r = user_allocate_uid(c->txn, &c->daemon->config, &gid);
	if (r == -EUSERS)
		return call_state(c, "no free id left between uid_min and uid_max for the role's group");
	if (r < 0)
		return r;
	all = json_array();
	if (copy_of) {
		r = load_role(c, copy_of, &source);
		if (r < 0) {
			json_decref(all);
			return r;
		}
		json_array_extend(all, json_object_get(source, "permissions"));
		json_decref(source);
	}
	if (perms && json_is_array(perms))
		json_array_extend(all, perms);
	role = json_pack("{s:s,s:o,s:b,s:I}", "name", name, "permissions", normalize_permissions(all), "system", 0, "gid",
			 (json_int_t)gid);
	json_decref(all);
	text = json_dumps(role, JSON_COMPACT);
	r = text ? store_put(c->txn, DB_ROLES, name, strlen(name), text, strlen(text), true) : -ENOMEM;
	json_text_free(text);
	if (r == -EEXIST)
		r = call_conflict(c, "name", "a role named %s already exists", name);
	if (r == 0)
		r = audit_call(c, "role.add", name, copy_of);
	if (r == 0)
		return call_reply(c, json_pack("{s:o}", "role", role));
	json_decref(role);
	return r;
}

int method_role_list(struct call *c)
{
	return list_with_counts(c, DB_ROLES, "roles", false);
}

struct members {
	const char *role;
	json_t *names;
};

static int member_one(json_t *rec, void *userdata)
{
	struct members *m = userdata;
	const char *role = json_string_value(json_object_get(rec, "role"));

	if (role && strcmp(role, m->role) == 0)
		json_array_append(m->names, json_object_get(rec, "username"));
	return 0;
}

static int role_members(struct call *c, const char *role, json_t **ret)
{
	struct members m = { role, json_array() };
	int r = users_scan(c->txn, NULL, member_one, &m);

	if (r < 0) {
		json_decref(m.names);
		return r;
	}
	*ret = m.names;
	return 0;
}

int method_role_show(struct call *c)
{
	const char *name = json_get_str(c->params, "name");
	json_t *role = NULL, *members = NULL;
	int r;

	r = load_role(c, name, &role);
	if (r == 0)
		r = role_members(c, name, &members);
	if (r == 0) {
		json_object_set_new(role, "staff", json_integer((json_int_t)json_array_size(members)));
		return call_reply(c, json_pack("{s:o,s:o}", "role", role, "members", members));
	}
	json_decref(role);
	return r;
}

static int edit_role(struct call *c, bool grant)
{
	const char *name = json_get_str(c->params, "name");
	json_t *perms = json_object_get(c->params, "permissions"), *role = NULL, *now, *p;
	size_t i;
	int r;

	r = check_permissions(c, perms);
	if (r == 0)
		r = load_role(c, name, &role);
	if (r < 0)
		return r;
	if (json_is_true(json_object_get(role, "system"))) {
		json_decref(role);
		return call_state(c, "%s is a predefined role and cannot be changed; make an editable copy with "
				     "'staffctl role add NAME --copy-of \"%s\"'", name, name);
	}
	now = json_array();
	json_array_foreach(json_object_get(role, "permissions"), i, p)
		if (grant || !has_permission(perms, json_string_value(p)))
			json_array_append(now, p);
	if (grant)
		json_array_extend(now, perms);
	json_object_set_new(role, "permissions", normalize_permissions(now));
	json_decref(now);
	r = store_put_json(c->txn, DB_ROLES, name, role);
	if (r == 0) {
		char *list = json_dumps(perms, JSON_COMPACT);
		r = audit_call(c, grant ? "role.grant" : "role.revoke", name, list);
		json_text_free(list);
	}
	if (r == 0)
		return call_reply(c, json_pack("{s:o}", "role", role));
	json_decref(role);
	return r;
}

int method_role_grant(struct call *c)
{
	return edit_role(c, true);
}

int method_role_revoke(struct call *c)
{
	return edit_role(c, false);
}

int method_role_remove(struct call *c)
{
	const char *name = json_get_str(c->params, "name");
	json_t *role = NULL, *members = NULL;
	bool system;
	int r;

	r = load_role(c, name, &role);
	if (r < 0)
		return r;
	system = json_is_true(json_object_get(role, "system"));
	json_decref(role);
	if (system)
		return call_state(c, "%s is a predefined role and cannot be removed", name);
	r = role_members(c, name, &members);
	if (r < 0)
		return r;
	if (json_array_size(members) > 0) {
		size_t n = json_array_size(members);
		json_decref(members);
		return call_state(c, "role %s is held by %zu staff user%s; give them another role first", name, n,
				  n == 1 ? "" : "s");
	}
	json_decref(members);
	r = store_del(c->txn, DB_ROLES, name, strlen(name));
	if (r == 0)
		r = audit_call(c, "role.remove", name, NULL);
	return r < 0 ? r : call_reply(c, NULL);
}
