/* staffctl user add|list|show|edit|deactivate|reactivate|unlock|reset-password|resend-invite|cancel-invite|set-pin */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json-fields.h"
#include "staff-protocol.h"
#include "staffctl.h"

static int user_input_or_report(struct ctl *ctl, const char *cmd, const struct ctl_args *a, bool for_edit,
				json_t **ret)
{
	char err[512];
	int r = ctl_user_input(a, for_edit, ret, err, sizeof(err));

	if (r == -EINVAL)
		return ctl_usage_error(ctl, "%s: %s", cmd, err);
	if (r < 0)
		return ctl_oom(ctl);
	return 0;
}

static const char *str(const json_t *o, const char *key)
{
	return json_is_object(o) ? json_get_str(o, key) : NULL;
}

static const char *or_dash(const char *s)
{
	return s ? s : "-";
}

static const struct ctl_option add_options[] = {
	CTL_USER_OPTIONS,
	{ "admin", CTL_FLAG, NULL, "administrator of the directory" },
	{ "no-admin", CTL_FLAG, NULL, "not an administrator (the default)" },
	{ "show-code", CTL_FLAG, NULL, "print the activation code once, to hand over in person" },
	{ NULL, 0, NULL, NULL },
};

static const struct ctl_option edit_options[] = {
	CTL_USER_OPTIONS,
	{ "admin", CTL_FLAG, NULL, "make an administrator of the directory" },
	{ "no-admin", CTL_FLAG, NULL, "no longer an administrator" },
	{ "clear", CTL_LIST, "FIELD", "empty an optional field, e.g. --clear npi; repeatable" },
	{ NULL, 0, NULL, NULL },
};

static const struct ctl_option list_options[] = {
	{ "status", CTL_VALUE, "STATUS", "only pending, active or inactive accounts" },
	{ "role", CTL_VALUE, "ROLE", "only staff with this role" },
	{ "location", CTL_VALUE, "NAME", "only staff allowed at this location" },
	{ "search", CTL_VALUE, "TEXT", "username, names or email containing TEXT (any case)" },
	{ NULL, 0, NULL, NULL },
};

static const struct ctl_option show_code_options[] = {
	{ "show-code", CTL_FLAG, NULL, "print the code once, to hand over in person" },
	{ NULL, 0, NULL, NULL },
};


static int user_add(struct ctl *ctl, const struct ctl_args *a)
{
	json_t *in = NULL, *p = NULL, *reply = NULL, *u;
	char *username = NULL;
	int r;

	/* Flags first, so that nobody answers questions for a command line that is wrong anyway. */
	if ((r = user_input_or_report(ctl, "user add", a, false, &in)) < 0)
		return r;
	if ((r = ctl_require(ctl, "user add", ctl_args_pos(a, 0), "USER", "Username", &username)) < 0)
		goto out;
	if ((r = ctl_set_str(ctl, in, "username", username, "USER")) < 0 ||
	    (r = ctl_require_person(ctl, "user add", in)) < 0 ||
	    (r = ctl_require_member(ctl, "user add", in, "role", "--role", "Role")) < 0)
		goto out;
	if (!(p = json_object())) {
		r = ctl_oom(ctl);
		goto out;
	}
	if ((r = ctl_set_new(ctl, p, "user", json_incref(in))) < 0)
		goto out;
	if (ctl_args_count(a, "show-code") && (r = ctl_set_new(ctl, p, "show_code", json_true())) < 0)
		goto out;
	if ((r = ctl_call(ctl, STAFF_METHOD("UserAdd"), p, &reply)) < 0)
		goto out;
	if ((r = ctl_reply_object(ctl, reply, "user", &u)) < 0)
		goto out;
	if (ctl->json)
		r = ctl_print_json(ctl->out, reply);
	else
		ctl_printf_safe(ctl->out, "Added %s (%s %s, %s), waiting for activation.\n", or_dash(str(u, "username")),
				or_dash(str(u, "first_name")), or_dash(str(u, "last_name")), or_dash(str(u, "role")));
	if (r == 0)
		r = ctl_print_code_reply(ctl, reply, "user", false);
out:
	free(username);
	json_decref(reply);
	json_decref(p);
	json_decref(in);
	return r;
}

struct list_state {
	struct ctl_table *table;	/* human output */
	size_t count;
};

static int list_one(struct ctl *ctl, json_t *params, void *userdata)
{
	struct list_state *st = userdata;
	json_t *u = json_object_get(params, "user");

	/* An empty list is one reply without a user. */
	if (!u || json_is_null(u))
		return 0;
	if (!json_is_object(u))
		return ctl_malformed(ctl, "'user' is not an object");
	/* --json: one array, written a record per line as they arrive, so that a
	 * large directory is never held whole. */
	if (!st->table) {
		fputs(st->count++ ? ",\n" : "[\n", ctl->out);
		return json_dumpf(u, ctl->out, JSON_COMPACT) < 0 ? ctl_oom(ctl) : 0;
	}
	st->count++;
	return ctl_user_table_add(st->table, u) < 0 ? ctl_oom(ctl) : 0;
}

static int user_list(struct ctl *ctl, const struct ctl_args *a)
{
	static const char *const filters[][2] = {
		{ "status", "status" }, { "role", "role" }, { "location", "location" }, { "search", "search" },
	};
	struct list_state st = { 0 };
	const char *status = ctl_args_value(a, "status");
	json_t *p = json_object();
	int r;

	if (!p)
		return ctl_oom(ctl);
	if (status && strcmp(status, "pending") != 0 && strcmp(status, "active") != 0 &&
	    strcmp(status, "inactive") != 0) {
		r = ctl_usage_error(ctl, "user list: --status must be pending, active or inactive, not '%s'", status);
		goto out;
	}
	for (size_t i = 0; i < CTL_ELEMENTS(filters); i++) {
		const char *v = ctl_args_value(a, filters[i][0]);
		char what[32];

		snprintf(what, sizeof(what), "--%s", filters[i][0]);
		if (v && (r = ctl_set_str(ctl, p, filters[i][1], v, what)) < 0)
			goto out;
	}
	if (!ctl->json) {
		if (ctl_table_new(7, &st.table) < 0) {
			r = ctl_oom(ctl);
			goto out;
		}
		ctl_table_add(st.table, (const char *[]){ "USERNAME", "NAME", "ROLE", "STATUS", "LOCKED", "LOCATION",
							  "EMAIL" });
	}
	r = ctl_call_full(ctl, STAFF_METHOD("UserList"), p, -1, true, list_one, &st, NULL);
	if (ctl->json) {
		/* Closed even after an error, so that what was printed stays valid JSON. */
		if (st.count > 0 || r >= 0)
			fputs(st.count ? "\n]\n" : "[]\n", ctl->out);
	} else if (r >= 0) {
		if (st.count == 0)
			fputs("No staff members match.\n", ctl->out);
		else
			r = ctl_table_print(st.table, ctl->out);
	}
out:
	ctl_table_free(st.table);
	json_decref(p);
	return r;
}

/* Calls method(username[, extra]) that replies with a user; *ret is the whole reply. */
static int user_call(struct ctl *ctl, const char *method, const char *username, json_t *extra, json_t **ret,
		     json_t **user)
{
	json_t *p = extra ? json_incref(extra) : json_object(), *reply = NULL;
	int r;

	if (!p)
		return ctl_oom(ctl);
	if ((r = ctl_set_str(ctl, p, "username", username, "USER")) < 0)
		goto out;
	if ((r = ctl_call(ctl, method, p, &reply)) < 0)
		goto out;
	if ((r = ctl_reply_object(ctl, reply, "user", user)) < 0)
		goto out;
	*ret = reply;
	reply = NULL;
out:
	json_decref(reply);
	json_decref(p);
	return r;
}

static int user_show(struct ctl *ctl, const struct ctl_args *a)
{
	json_t *reply = NULL, *u;
	int r;

	if ((r = user_call(ctl, STAFF_METHOD("UserShow"), ctl_args_pos(a, 0), NULL, &reply, &u)) < 0)
		return r;
	r = ctl->json ? ctl_print_json(ctl->out, reply) : ctl_print_user(ctl, u);
	json_decref(reply);
	return r;
}

static int user_edit(struct ctl *ctl, const struct ctl_args *a)
{
	json_t *changes = NULL, *p = NULL, *reply = NULL, *u;
	int r;

	if ((r = user_input_or_report(ctl, "user edit", a, true, &changes)) < 0)
		return r;
	if (json_object_size(changes) == 0) {
		r = ctl_usage_error(ctl, "user edit: nothing to change; see 'staffctl user edit --help'");
		goto out;
	}
	if (!(p = json_object())) {
		r = ctl_oom(ctl);
		goto out;
	}
	if ((r = ctl_set_new(ctl, p, "changes", json_incref(changes))) < 0)
		goto out;
	if ((r = user_call(ctl, STAFF_METHOD("UserEdit"), ctl_args_pos(a, 0), p, &reply, &u)) < 0)
		goto out;
	if (ctl->json)
		r = ctl_print_json(ctl->out, reply);
	else
		ctl_printf_safe(ctl->out, "Updated %s.\n", or_dash(str(u, "username")));
out:
	json_decref(reply);
	json_decref(p);
	json_decref(changes);
	return r;
}

/* A change of state: method(username) -> (user). */
static int user_transition(struct ctl *ctl, const struct ctl_args *a, const char *method, const char *done)
{
	json_t *reply = NULL, *u;
	int r;

	if ((r = user_call(ctl, method, ctl_args_pos(a, 0), NULL, &reply, &u)) < 0)
		return r;
	if (ctl->json)
		r = ctl_print_json(ctl->out, reply);
	else
		ctl_printf_safe(ctl->out, "%s %s; status: %s%s.\n", done, or_dash(str(u, "username")),
				or_dash(str(u, "status")), json_get_bool(u, "locked", false) ? ", locked" : "");
	json_decref(reply);
	return r;
}

static int user_deactivate(struct ctl *ctl, const struct ctl_args *a)
{
	return user_transition(ctl, a, STAFF_METHOD("UserDeactivate"), "Deactivated");
}

static int user_reactivate(struct ctl *ctl, const struct ctl_args *a)
{
	return user_transition(ctl, a, STAFF_METHOD("UserReactivate"), "Reactivated");
}

static int user_unlock(struct ctl *ctl, const struct ctl_args *a)
{
	return user_transition(ctl, a, STAFF_METHOD("UserUnlock"), "Unlocked");
}

static int user_cancel_invite(struct ctl *ctl, const struct ctl_args *a)
{
	return user_transition(ctl, a, STAFF_METHOD("UserCancelInvite"), "Cancelled the invitation of");
}

/* Calls that hand out a code: reset-password and resend-invite. */
static int user_code(struct ctl *ctl, const struct ctl_args *a, const char *method, bool reset)
{
	json_t *p = json_object(), *reply = NULL, *u;
	int r;

	if (!p)
		return ctl_oom(ctl);
	if (ctl_args_count(a, "show-code") && (r = ctl_set_new(ctl, p, "show_code", json_true())) < 0)
		goto out;
	if ((r = user_call(ctl, method, ctl_args_pos(a, 0), p, &reply, &u)) < 0)
		goto out;
	if (ctl->json)
		r = ctl_print_json(ctl->out, reply);
	else if (reset)
		ctl_printf_safe(ctl->out, "Issued a reset code for %s; they must choose a new password at their "
				"next sign-in.\n", or_dash(str(u, "username")));
	else
		ctl_printf_safe(ctl->out, "Issued a new activation code for %s; the old one no longer works.\n",
				or_dash(str(u, "username")));
	if (r == 0)
		r = ctl_print_code_reply(ctl, reply, "user", reset);
out:
	json_decref(reply);
	json_decref(p);
	return r;
}

static int user_reset_password(struct ctl *ctl, const struct ctl_args *a)
{
	return user_code(ctl, a, STAFF_METHOD("UserResetPassword"), true);
}

static int user_resend_invite(struct ctl *ctl, const struct ctl_args *a)
{
	return user_code(ctl, a, STAFF_METHOD("UserResendInvite"), false);
}


static int user_set_pin(struct ctl *ctl, const struct ctl_args *a)
{
	struct ctl_secret *pin = NULL;
	json_t *p = NULL, *reply = NULL, *u;
	int r;

	if ((r = ctl_ask_secret(ctl, "New PIN (4 digits): ", "Repeat the PIN: ", &pin)) < 0)
		return r;
	if (ctl_check_pin(pin->buf) < 0) {
		r = ctl_usage_error(ctl, "user set-pin: the PIN must be exactly 4 digits");
		goto out;
	}
	if (!(p = json_object())) {
		r = ctl_oom(ctl);
		goto out;
	}
	if ((r = ctl_set_str(ctl, p, "pin", pin->buf, "PIN")) < 0)
		goto out;
	if ((r = user_call(ctl, STAFF_METHOD("UserSetPin"), ctl_args_pos(a, 0), p, &reply, &u)) < 0)
		goto out;
	if (ctl->json)
		r = ctl_print_json(ctl->out, reply);
	else
		ctl_printf_safe(ctl->out, "Set the app unlock PIN of %s.\n", or_dash(str(u, "username")));
out:
	json_decref(reply);
	json_decref(p);
	ctl_secret_free(pin);
	return r;
}

const struct ctl_command ctl_user_commands[] = {
	{ "add", "USER --email EMAIL --first NAME --last NAME --role ROLE [OPTIONS]",
	  "Add a staff member and send the invitation.", add_options, 0, 1, user_add, NULL,
	  "USER is the login name: a lowercase letter or _, then up to 31 of a-z 0-9 _ -.\n"
	  "Locations must exist; without --location the account is allowed at all of them.\n"
	  "When standard input is a terminal, missing required values are asked for." },
	{ "list", "[--status STATUS] [--role ROLE] [--location NAME] [--search TEXT]",
	  "List staff members.", list_options, 0, 0, user_list, NULL, NULL },
	{ "show", "USER", "Show everything about a staff account.", NULL, 1, 1, user_show, NULL, NULL },
	{ "edit", "USER [OPTIONS]", "Change a staff account.", edit_options, 1, 1, user_edit, NULL,
	  "Only the options given change. --clear FIELD empties an optional field: primary-location,\n"
	  "location (then all locations are allowed), provider, npi, dea, taxonomy, ncsbn, degree,\n"
	  "specialty, care-team-role, cell, home-phone or bio." },
	{ "deactivate", "USER", "Deactivate a staff member who left; history is kept.", NULL, 1, 1,
	  user_deactivate, NULL, NULL },
	{ "reactivate", "USER", "Reactivate a deactivated staff member.", NULL, 1, 1, user_reactivate, NULL,
	  NULL },
	{ "unlock", "USER", "Unlock an account locked by failed logins.", NULL, 1, 1, user_unlock, NULL, NULL },
	{ "reset-password", "USER [--show-code]", "Issue a reset code; the user must then choose a new password.",
	  show_code_options, 1, 1, user_reset_password, NULL, NULL },
	{ "resend-invite", "USER [--show-code]", "Send a pending user a new activation code.", show_code_options,
	  1, 1, user_resend_invite, NULL, NULL },
	{ "cancel-invite", "USER", "Cancel a pending invitation.", NULL, 1, 1, user_cancel_invite, NULL, NULL },
	{ "set-pin", "USER", "Set a staff member's 4-digit app unlock PIN.", NULL, 1, 1, user_set_pin, NULL,
	  "The PIN is read twice without echo from the terminal, or as one line from standard\n"
	  "input when that is not a terminal. It is never taken from the command line." },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL },
};

