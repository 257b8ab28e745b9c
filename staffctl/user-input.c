/* From the command line to a UserInput: the flags shared by user add, user edit and init. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "json-fields.h"
#include "staffctl.h"

/* Flags carrying text, and the UserInput member each fills. */
static const struct {
	const char *flag;
	const char *key;
	bool clearable;
} string_fields[] = {
	{ "email", "email", false },
	{ "first", "first_name", false },
	{ "last", "last_name", false },
	{ "role", "role", false },
	{ "primary-location", "primary_location", true },
	{ "provider", "primary_provider", true },
	{ "npi", "npi", true },
	{ "dea", "dea", true },
	{ "taxonomy", "taxonomy", true },
	{ "ncsbn", "ncsbn_id", true },
	{ "degree", "degree", true },
	{ "specialty", "specialty", true },
	{ "care-team-role", "care_team_role", true },
	{ "cell", "cell_phone", true },
	{ "home-phone", "home_phone", true },
	{ "bio", "bio", true },
};

/* Pairs of flags that set a boolean member one way or the other. */
static const struct {
	const char *on;
	const char *off;
	const char *key;
} bool_fields[] = {
	{ "admin", "no-admin", "admin" },
	{ "daily-billing-report", "no-daily-billing-report", "daily_billing_report" },
	{ "email-updates", "no-email-updates", "email_updates" },
	{ "eprescribing-verified", NULL, "eprescribing_verified" },
};

/* The UserInput member a --clear FIELD names, by flag or member name; NULL if none may be cleared. */
static const char *clear_key(const char *field, const char **flag)
{
	if (strcmp(field, "location") == 0 || strcmp(field, "locations") == 0) {
		*flag = "location";
		return "locations";
	}
	for (size_t i = 0; i < CTL_ELEMENTS(string_fields); i++)
		if (string_fields[i].clearable &&
		    (strcmp(field, string_fields[i].flag) == 0 || strcmp(field, string_fields[i].key) == 0)) {
			*flag = string_fields[i].flag;
			return string_fields[i].key;
		}
	return NULL;
}

/* How often a flag was given; init's --admin USER shares a name with a flag and must not count. */
static size_t flag_count(const struct ctl_args *a, const char *name)
{
	for (const struct ctl_option *o = a->options; o && o->name; o++)
		if (strcmp(o->name, name) == 0)
			return o->kind == CTL_FLAG ? ctl_args_count(a, name) : 0;
	return 0;
}

static int set_text(json_t *obj, const char *key, const char *value, const char *flag, char *err, size_t errlen)
{
	int r = ctl_json_set_str(obj, key, value);

	if (r == -EINVAL)
		snprintf(err, errlen, "--%s: not valid UTF-8 text", flag);
	return r;
}

static int set_int(json_t *obj, const struct ctl_args *a, const char *flag, const char *key, const char *unit,
		   char *err, size_t errlen)
{
	const char *s = ctl_args_value(a, flag);
	long long v;

	if (!s)
		return 0;
	if (ctl_parse_int(s, 1, INT_MAX, &v) < 0) {
		snprintf(err, errlen, "--%s: '%s' is not a positive whole number%s", flag, s, unit);
		return -EINVAL;
	}
	return json_object_set_new(obj, key, json_integer(v)) < 0 ? -ENOMEM : 0;
}

static int set_locations(json_t *obj, const struct ctl_args *a, bool primary_cleared, char *err, size_t errlen)
{
	size_t n = ctl_args_count(a, "location");
	json_t *list;
	int r;

	if (n == 0)
		return 0;
	list = json_array();
	if (!list)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *loc = ctl_args_nth(a, "location", i);
		json_t *v = json_string(loc);

		if (!v) {
			snprintf(err, errlen, "--location: not valid UTF-8 text");
			json_decref(list);
			return -EINVAL;
		}
		if (json_array_append_new(list, v) < 0) {
			json_decref(list);
			return -ENOMEM;
		}
	}
	if (json_object_set_new(obj, "locations", list) < 0)
		return -ENOMEM;
	/* The first location given is the primary one unless said otherwise. */
	if (!ctl_args_value(a, "primary-location") && !primary_cleared &&
	    (r = set_text(obj, "primary_location", ctl_args_nth(a, "location", 0), "location", err, errlen)) < 0)
		return r;
	return 0;
}

int ctl_user_input(const struct ctl_args *a, bool for_edit, json_t **ret, char *err, size_t errlen)
{
	json_t *in = json_object();
	bool primary_cleared = false;
	int r;

	if (!in)
		return -ENOMEM;

	if (for_edit) {
		for (size_t i = 0; i < ctl_args_count(a, "clear"); i++) {
			const char *field = ctl_args_nth(a, "clear", i), *flag = NULL;
			const char *key = clear_key(field, &flag);

			if (!key) {
				snprintf(err, errlen,
					 "--clear: '%s' cannot be cleared; these can: primary-location location "
					 "provider npi dea taxonomy ncsbn degree specialty care-team-role cell "
					 "home-phone bio", field);
				r = -EINVAL;
				goto out;
			}
			if (ctl_args_count(a, flag)) {
				snprintf(err, errlen, "--clear %s contradicts --%s", field, flag);
				r = -EINVAL;
				goto out;
			}
			if (strcmp(key, "primary_location") == 0)
				primary_cleared = true;
			if (json_object_set_new(in, key, json_null()) < 0) {
				r = -ENOMEM;
				goto out;
			}
		}
	}

	for (size_t i = 0; i < CTL_ELEMENTS(string_fields); i++) {
		const char *v = ctl_args_value(a, string_fields[i].flag);

		if (v && (r = set_text(in, string_fields[i].key, v, string_fields[i].flag, err, errlen)) < 0)
			goto out;
	}

	for (size_t i = 0; i < CTL_ELEMENTS(bool_fields); i++) {
		bool on = flag_count(a, bool_fields[i].on) > 0;
		bool off = bool_fields[i].off && flag_count(a, bool_fields[i].off) > 0;

		if (on && off) {
			snprintf(err, errlen, "--%s contradicts --%s", bool_fields[i].on, bool_fields[i].off);
			r = -EINVAL;
			goto out;
		}
		if ((on || off) && json_object_set_new(in, bool_fields[i].key, json_boolean(on)) < 0) {
			r = -ENOMEM;
			goto out;
		}
	}

	if (flag_count(a, "external") && flag_count(a, "employee")) {
		snprintf(err, errlen, "--external contradicts --employee");
		r = -EINVAL;
		goto out;
	}
	if (flag_count(a, "external") || flag_count(a, "employee")) {
		r = ctl_json_set_str(in, "employment", flag_count(a, "external") ? "external" : "employee");
		if (r < 0)
			goto out;
	}

	if ((r = set_int(in, a, "capacity", "capacity", "", err, errlen)) < 0 ||
	    (r = set_int(in, a, "step", "step", " of minutes", err, errlen)) < 0 ||
	    (r = set_locations(in, a, primary_cleared, err, errlen)) < 0)
		goto out;

	*ret = in;
	in = NULL;
	r = 0;
out:
	if (r == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	json_decref(in);
	return r;
}

int ctl_require_member(struct ctl *ctl, const char *cmd, json_t *in, const char *key, const char *flag,
			  const char *question)
{
	char *v = NULL;
	int r;

	if (json_is_string(json_object_get(in, key)))
		return 0;
	if ((r = ctl_require(ctl, cmd, NULL, flag, question, &v)) < 0)
		return r;
	r = ctl_set_str(ctl, in, key, v, flag);
	free(v);
	return r;
}

int ctl_require_person(struct ctl *ctl, const char *cmd, json_t *in)
{
	int r;

	if ((r = ctl_require_member(ctl, cmd, in, "email", "--email", "Email address")) < 0 ||
	    (r = ctl_require_member(ctl, cmd, in, "first_name", "--first", "First name")) < 0 ||
	    (r = ctl_require_member(ctl, cmd, in, "last_name", "--last", "Last name")) < 0)
		return r;
	return 0;
}

int ctl_check_pin(const char *pin)
{
	if (strlen(pin) != 4)
		return -EINVAL;
	for (size_t i = 0; i < 4; i++)
		if (pin[i] < '0' || pin[i] > '9')
			return -EINVAL;
	return 0;
}
