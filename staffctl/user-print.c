/* A staff account on the screen: table rows, the show block, and codes handed out. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json-fields.h"
#include "staffctl.h"

static const char *str(const json_t *o, const char *key)
{
	return json_is_object(o) ? json_get_str(o, key) : NULL;
}

static const char *or_dash(const char *s)
{
	return s ? s : "-";
}

int ctl_user_table_add(struct ctl_table *t, const json_t *u)
{
	char *name = NULL;
	int r;

	if (asprintf(&name, "%s %s", or_dash(str(u, "first_name")), or_dash(str(u, "last_name"))) < 0)
		return -ENOMEM;
	r = ctl_table_add(t, (const char *[]){
		str(u, "username"), name, str(u, "role"), str(u, "status"),
		json_is_true(json_object_get(u, "locked")) ? "yes" : "no",
		str(u, "primary_location"), str(u, "email") });
	free(name);
	return r;
}

static void kv_opt(struct ctl_table *t, const char *key, const char *value)
{
	if (value)
		ctl_kv_add(t, key, value);
}

static void kv_time(struct ctl_table *t, const char *key, const json_t *u, const char *member)
{
	char buf[64];

	kv_opt(t, key, ctl_json_time(u, member, buf, sizeof(buf)));
}

int ctl_print_user(struct ctl *ctl, const json_t *u)
{
	struct ctl_table *t = NULL;
	const json_t *locs = json_object_get(u, "locations");
	char *where = NULL, buf[64];
	int r;

	if (ctl_table_new(2, &t) < 0)
		return ctl_oom(ctl);
	ctl_kv_add(t, "Username", str(u, "username"));
	ctl_kv_addf(t, "Name", "%s %s", or_dash(str(u, "first_name")), or_dash(str(u, "last_name")));
	ctl_kv_add(t, "Email", str(u, "email"));
	ctl_kv_add(t, "Role", str(u, "role"));
	ctl_kv_add(t, "Administrator", ctl_yes_no(json_get_bool(u, "admin", false)));
	ctl_kv_add(t, "Employment", str(u, "employment"));
	ctl_kv_add(t, "Status", str(u, "status"));
	if (str(u, "local_clash"))
		ctl_kv_addf(t, "Disabled", "%s: the account is not served until the name is free", str(u, "local_clash"));
	if (json_get_bool(u, "locked", false)) {
		const char *since = ctl_json_time(u, "locked_at", buf, sizeof(buf));
		if (since)
			ctl_kv_addf(t, "Locked", "yes, since %s", since);
		else
			ctl_kv_add(t, "Locked", "yes");
	} else
		ctl_kv_add(t, "Locked", "no");
	ctl_kv_addf(t, "Failed logins", "%lld", json_get_int(u, "failed_logins", 0));
	ctl_kv_add(t, "Must change password", ctl_yes_no(json_get_bool(u, "must_change_password", false)));
	ctl_kv_add(t, "Primary location", str(u, "primary_location"));
	if (json_array_size(locs) > 0) {
		where = ctl_join(locs, "none");
		if (!where) {
			r = ctl_oom(ctl);
			goto out;
		}
		ctl_kv_add(t, "Locations", where);
	} else
		ctl_kv_add(t, "Locations", "all");
	kv_opt(t, "Primary provider", str(u, "primary_provider"));
	kv_opt(t, "NPI", str(u, "npi"));
	kv_opt(t, "DEA", str(u, "dea"));
	kv_opt(t, "Taxonomy", str(u, "taxonomy"));
	kv_opt(t, "NCSBN id", str(u, "ncsbn_id"));
	kv_opt(t, "Degree", str(u, "degree"));
	kv_opt(t, "Specialty", str(u, "specialty"));
	kv_opt(t, "Care team role", str(u, "care_team_role"));
	kv_opt(t, "Cell phone", str(u, "cell_phone"));
	kv_opt(t, "Home phone", str(u, "home_phone"));
	ctl_kv_addf(t, "Capacity", "%lld", json_get_int(u, "capacity", 1));
	ctl_kv_addf(t, "Scheduling step", "%lld minutes", json_get_int(u, "step", 0));
	ctl_kv_add(t, "Daily billing report", ctl_yes_no(json_get_bool(u, "daily_billing_report", false)));
	ctl_kv_add(t, "Email updates", ctl_yes_no(json_get_bool(u, "email_updates", false)));
	ctl_kv_add(t, "E-prescribing verified", ctl_yes_no(json_get_bool(u, "eprescribing_verified", false)));
	ctl_kv_add(t, "App PIN set", ctl_yes_no(json_get_bool(u, "has_pin", false)));
	kv_opt(t, "Bio", str(u, "bio"));
	ctl_kv_addf(t, "UID", "%lld", json_get_int(u, "uid", -1));
	kv_time(t, "Created", u, "created");
	kv_time(t, "Activated", u, "activated");
	if (ctl_json_time(u, "last_login", buf, sizeof(buf))) {
		const char *via[] = { str(u, "last_login_service"), str(u, "last_login_tty"),
				      str(u, "last_login_host") };
		char how[256] = "";
		size_t n = 0;

		for (size_t i = 0; i < CTL_ELEMENTS(via); i++)
			if (via[i] && n < sizeof(how))
				n += (size_t)snprintf(how + n, sizeof(how) - n, "%s%s%s", n ? ", " : "",
						      i == 2 ? "from " : "", via[i]);
		if (n)
			ctl_kv_addf(t, "Last login", "%s (%s)", buf, how);
		else
			ctl_kv_add(t, "Last login", buf);
	}
	kv_time(t, "Last password change", u, "last_password_change");
	kv_time(t, "Deactivated", u, "deactivated");
	kv_time(t, "Code expires", u, "code_expires");
	r = ctl_kv_print(t, ctl->out);
out:
	free(where);
	ctl_table_free(t);
	return r;
}

int ctl_print_code_reply(struct ctl *ctl, const json_t *reply, const char *user_key, bool reset)
{
	json_t *u, *delivery;
	const char *code = str(reply, reset ? "reset_code" : "activation_code");
	const char *username, *error;
	char expires[64];
	bool mailed;
	int r;

	if ((r = ctl_reply_object(ctl, reply, user_key, &u)) < 0 ||
	    (r = ctl_reply_object(ctl, reply, "delivery", &delivery)) < 0)
		return r;
	username = or_dash(str(u, "username"));
	mailed = json_get_bool(delivery, "mailed", false);
	error = str(delivery, "error");

	if (!ctl->json) {
		if (mailed)
			ctl_printf_safe(ctl->out, "%s mailed to %s.\n", reset ? "Reset code" : "Invitation",
					or_dash(str(u, "email")));
		if (code) {
			ctl_printf_safe(ctl->out, "\n%s code for %s:  %s\n", reset ? "Reset" : "Activation",
					username, code);
			if (ctl_json_time(u, "code_expires", expires, sizeof(expires)))
				fprintf(ctl->out, "Valid until %s.\n", expires);
			ctl_printf_safe(ctl->out,
					"Hand it to %s %s in person: it is shown only this once. They sign in\n"
					"with it and the practice code word, then choose %s password.\n\n",
					or_dash(str(u, "first_name")), or_dash(str(u, "last_name")),
					reset ? "a new" : "their");
		}
	}
	if (!mailed) {
		ctl_printf_safe(ctl->err, "staffctl: %s was not mailed: %s\n", reset ? "reset code" : "invitation",
				error ? error : "no reason given");
		if (!code)
			ctl_printf_safe(ctl->err,
					"staffctl: to hand the code over in person instead, rerun with "
					"'staffctl user %s %s --show-code'\n",
					reset ? "reset-password" : "resend-invite", username);
	}
	return 0;
}
