/* staffctl role add|list|show|grant|revoke|remove */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json-fields.h"
#include "staff-protocol.h"
#include "staffctl.h"

static const struct ctl_option add_options[] = {
	{ "perm", CTL_LIST, "PERMISSION", "permission to grant, e.g. clinical.charts; repeatable" },
	{ "copy-of", CTL_VALUE, "ROLE", "start from the permissions of ROLE" },
	{ NULL, 0, NULL, NULL },
};

static int print_role(struct ctl *ctl, const json_t *role, const json_t *members)
{
	struct ctl_table *t = NULL;
	char *perms = ctl_join(json_object_get(role, "permissions"), "none");
	char *who = members ? ctl_join(members, "none") : NULL;
	const json_t *staff = json_object_get(role, "staff");
	int r;

	if (!perms || (members && !who) || ctl_table_new(2, &t) < 0) {
		r = ctl_oom(ctl);
		goto out;
	}
	ctl_kv_add(t, "Role", json_get_str(role, "name"));
	ctl_kv_add(t, "Predefined", ctl_yes_no(json_get_bool(role, "system", false)));
	if (json_is_integer(staff))
		ctl_kv_addf(t, "Staff", "%lld", (long long)json_integer_value(staff));
	ctl_kv_add(t, "Permissions", perms);
	if (who)
		ctl_kv_add(t, "Members", who);
	r = ctl_kv_print(t, ctl->out);
out:
	ctl_table_free(t);
	free(perms);
	free(who);
	return r;
}

/* A reply holding one role. */
static int role_done(struct ctl *ctl, json_t *reply, const char *verb)
{
	json_t *role;
	int r;

	if ((r = ctl_reply_object(ctl, reply, "role", &role)) < 0)
		return r;
	if (ctl->json)
		return ctl_print_json(ctl->out, reply);
	fprintf(ctl->out, "%s.\n", verb);
	return print_role(ctl, role, NULL);
}

static int set_permissions(struct ctl *ctl, json_t *p, const struct ctl_args *a, bool from_options)
{
	json_t *perms = json_array();
	size_t n = from_options ? ctl_args_count(a, "perm") : ctl_args_npos(a);

	if (!perms)
		return ctl_oom(ctl);
	for (size_t i = from_options ? 0 : 1; i < n; i++) {
		const char *s = from_options ? ctl_args_nth(a, "perm", i) : ctl_args_pos(a, i);
		json_t *v = json_string(s);

		if (!v) {
			json_decref(perms);
			return ctl_usage_error(ctl, "permission '%s' is not valid UTF-8 text", s);
		}
		if (json_array_append_new(perms, v) < 0) {
			json_decref(perms);
			return ctl_oom(ctl);
		}
	}
	return ctl_set_new(ctl, p, "permissions", perms);
}

static int role_add(struct ctl *ctl, const struct ctl_args *a)
{
	json_t *p = json_object(), *reply = NULL;
	const char *copy = ctl_args_value(a, "copy-of");
	int r;

	if (!p)
		return ctl_oom(ctl);
	if ((r = ctl_set_str(ctl, p, "name", ctl_args_pos(a, 0), "NAME")) < 0)
		goto out;
	if (ctl_args_count(a, "perm") && (r = set_permissions(ctl, p, a, true)) < 0)
		goto out;
	if (copy && (r = ctl_set_str(ctl, p, "copy_of", copy, "--copy-of")) < 0)
		goto out;
	if ((r = ctl_call(ctl, STAFF_METHOD("RoleAdd"), p, &reply)) < 0)
		goto out;
	r = role_done(ctl, reply, "Added the role");
out:
	json_decref(reply);
	json_decref(p);
	return r;
}

static int role_list(struct ctl *ctl, const struct ctl_args *a)
{
	struct ctl_table *t = NULL;
	json_t *reply = NULL, *list, *role;
	size_t i;
	int r;

	(void)a;
	if ((r = ctl_call(ctl, STAFF_METHOD("RoleList"), NULL, &reply)) < 0)
		goto out;
	if ((r = ctl_reply_array(ctl, reply, "roles", &list)) < 0)
		goto out;
	if (ctl->json) {
		r = ctl_print_json(ctl->out, list);
		goto out;
	}
	if (ctl_table_new(4, &t) < 0) {
		r = ctl_oom(ctl);
		goto out;
	}
	ctl_table_add(t, (const char *[]){ "ROLE", "PREDEFINED", "STAFF", "PERMISSIONS" });
	json_array_foreach(list, i, role) {
		char staff[24] = "-";
		const json_t *n = json_object_get(role, "staff");
		char *perms = ctl_join(json_object_get(role, "permissions"), "none");

		if (!perms) {
			r = ctl_oom(ctl);
			goto out;
		}
		if (json_is_integer(n))
			snprintf(staff, sizeof(staff), "%lld", (long long)json_integer_value(n));
		ctl_table_add(t, (const char *[]){ json_get_str(role, "name"),
						   ctl_yes_no(json_get_bool(role, "system", false)), staff, perms });
		free(perms);
	}
	r = ctl_table_print(t, ctl->out);
out:
	ctl_table_free(t);
	json_decref(reply);
	return r;
}

static int role_show(struct ctl *ctl, const struct ctl_args *a)
{
	json_t *p = json_object(), *reply = NULL, *role, *members;
	int r;

	if (!p)
		return ctl_oom(ctl);
	if ((r = ctl_set_str(ctl, p, "name", ctl_args_pos(a, 0), "NAME")) < 0)
		goto out;
	if ((r = ctl_call(ctl, STAFF_METHOD("RoleShow"), p, &reply)) < 0)
		goto out;
	if ((r = ctl_reply_object(ctl, reply, "role", &role)) < 0 ||
	    (r = ctl_reply_array(ctl, reply, "members", &members)) < 0)
		goto out;
	r = ctl->json ? ctl_print_json(ctl->out, reply) : print_role(ctl, role, members);
out:
	json_decref(reply);
	json_decref(p);
	return r;
}

static int role_change(struct ctl *ctl, const struct ctl_args *a, const char *method, const char *verb)
{
	json_t *p = json_object(), *reply = NULL;
	int r;

	if (!p)
		return ctl_oom(ctl);
	if ((r = ctl_set_str(ctl, p, "name", ctl_args_pos(a, 0), "NAME")) < 0)
		goto out;
	if ((r = set_permissions(ctl, p, a, false)) < 0)
		goto out;
	if ((r = ctl_call(ctl, method, p, &reply)) < 0)
		goto out;
	r = role_done(ctl, reply, verb);
out:
	json_decref(reply);
	json_decref(p);
	return r;
}

static int role_grant(struct ctl *ctl, const struct ctl_args *a)
{
	return role_change(ctl, a, STAFF_METHOD("RoleGrant"), "Granted");
}

static int role_revoke(struct ctl *ctl, const struct ctl_args *a)
{
	return role_change(ctl, a, STAFF_METHOD("RoleRevoke"), "Revoked");
}

static int role_remove(struct ctl *ctl, const struct ctl_args *a)
{
	json_t *p = json_object(), *reply = NULL;
	int r;

	if (!p)
		return ctl_oom(ctl);
	if ((r = ctl_set_str(ctl, p, "name", ctl_args_pos(a, 0), "NAME")) < 0)
		goto out;
	if ((r = ctl_call(ctl, STAFF_METHOD("RoleRemove"), p, &reply)) < 0)
		goto out;
	if (ctl->json)
		r = ctl_print_json(ctl->out, reply);
	else
		fprintf(ctl->out, "Removed the role %s.\n", ctl_args_pos(a, 0));
out:
	json_decref(reply);
	json_decref(p);
	return r;
}

const struct ctl_command ctl_role_commands[] = {
	{ "add", "NAME [--perm PERMISSION]... [--copy-of ROLE]", "Add a role.", add_options, 1, 1, role_add, NULL,
	  "With --copy-of the new role starts with that role's permissions, plus any --perm." },
	{ "list", "", "List the roles with their permissions.", NULL, 0, 0, role_list, NULL, NULL },
	{ "show", "NAME", "Show a role, its permissions and its members.", NULL, 1, 1, role_show, NULL, NULL },
	{ "grant", "NAME PERMISSION...", "Add permissions to a role.", NULL, 2, 1000, role_grant, NULL, NULL },
	{ "revoke", "NAME PERMISSION...", "Take permissions from a role.", NULL, 2, 1000, role_revoke, NULL, NULL },
	{ "remove", "NAME", "Remove a role nobody has; predefined roles cannot be removed.", NULL, 1, 1, role_remove,
	  NULL, NULL },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL },
};
