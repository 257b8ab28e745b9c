/* staffctl location add|list|rename|remove */
#include <errno.h>
#include <stdlib.h>

#include "json-fields.h"
#include "staff-protocol.h"
#include "staffctl.h"

static const struct ctl_option add_options[] = {
	{ "address", CTL_VALUE, "ADDRESS", "street address" },
	{ NULL, 0, NULL, NULL },
};

/* A reply holding one location: JSON as is, or a sentence. */
static int location_done(struct ctl *ctl, json_t *reply, const char *verb)
{
	json_t *loc;
	int r;

	if ((r = ctl_reply_object(ctl, reply, "location", &loc)) < 0)
		return r;
	if (ctl->json)
		return ctl_print_json(ctl->out, reply);
	char *name = ctl_sanitize(json_get_str(loc, "name") ? json_get_str(loc, "name") : "?");
	if (!name)
		return ctl_oom(ctl);
	fprintf(ctl->out, "%s location %s.\n", verb, name);
	free(name);
	return 0;
}

static int location_add(struct ctl *ctl, const struct ctl_args *a)
{
	json_t *p = json_object(), *reply = NULL;
	const char *address = ctl_args_value(a, "address");
	int r;

	if (!p)
		return ctl_oom(ctl);
	if ((r = ctl_set_str(ctl, p, "name", ctl_args_pos(a, 0), "NAME")) < 0)
		goto out;
	if (address && (r = ctl_set_str(ctl, p, "address", address, "--address")) < 0)
		goto out;
	if ((r = ctl_call(ctl, STAFF_METHOD("LocationAdd"), p, &reply)) < 0)
		goto out;
	r = location_done(ctl, reply, "Added");
out:
	json_decref(reply);
	json_decref(p);
	return r;
}

static int location_list(struct ctl *ctl, const struct ctl_args *a)
{
	struct ctl_table *t = NULL;
	json_t *reply = NULL, *list, *loc;
	size_t i;
	int r;

	(void)a;
	if ((r = ctl_call(ctl, STAFF_METHOD("LocationList"), NULL, &reply)) < 0)
		goto out;
	if ((r = ctl_reply_array(ctl, reply, "locations", &list)) < 0)
		goto out;
	if (ctl->json) {
		r = ctl_print_json(ctl->out, list);
		goto out;
	}
	if (json_array_size(list) == 0) {
		fputs("No locations yet; add one with 'staffctl location add NAME'.\n", ctl->out);
		goto out;
	}
	if (ctl_table_new(3, &t) < 0) {
		r = ctl_oom(ctl);
		goto out;
	}
	ctl_table_add(t, (const char *[]){ "NAME", "STAFF", "ADDRESS" });
	json_array_foreach(list, i, loc) {
		char staff[24] = "-";
		const json_t *n = json_object_get(loc, "staff");

		if (json_is_integer(n))
			snprintf(staff, sizeof(staff), "%lld", (long long)json_integer_value(n));
		ctl_table_add(t, (const char *[]){ json_get_str(loc, "name"), staff, json_get_str(loc, "address") });
	}
	r = ctl_table_print(t, ctl->out);
out:
	ctl_table_free(t);
	json_decref(reply);
	return r;
}

static int location_rename(struct ctl *ctl, const struct ctl_args *a)
{
	json_t *p = json_object(), *reply = NULL;
	int r;

	if (!p)
		return ctl_oom(ctl);
	if ((r = ctl_set_str(ctl, p, "name", ctl_args_pos(a, 0), "OLD")) < 0 ||
	    (r = ctl_set_str(ctl, p, "new_name", ctl_args_pos(a, 1), "NEW")) < 0)
		goto out;
	if ((r = ctl_call(ctl, STAFF_METHOD("LocationRename"), p, &reply)) < 0)
		goto out;
	r = location_done(ctl, reply, "Renamed to");
out:
	json_decref(reply);
	json_decref(p);
	return r;
}

static int location_remove(struct ctl *ctl, const struct ctl_args *a)
{
	json_t *p = json_object(), *reply = NULL;
	int r;

	if (!p)
		return ctl_oom(ctl);
	if ((r = ctl_set_str(ctl, p, "name", ctl_args_pos(a, 0), "NAME")) < 0)
		goto out;
	if ((r = ctl_call(ctl, STAFF_METHOD("LocationRemove"), p, &reply)) < 0)
		goto out;
	if (ctl->json)
		r = ctl_print_json(ctl->out, reply);
	else
		fprintf(ctl->out, "Removed location %s.\n", ctl_args_pos(a, 0));
out:
	json_decref(reply);
	json_decref(p);
	return r;
}

const struct ctl_command ctl_location_commands[] = {
	{ "add", "NAME [--address ADDRESS]", "Add a location.", add_options, 1, 1, location_add, NULL, NULL },
	{ "list", "", "List the locations and how many staff members each has.", NULL, 0, 0, location_list, NULL,
	  NULL },
	{ "rename", "OLD NEW", "Rename a location; staff assigned to it follow.", NULL, 2, 2, location_rename, NULL,
	  NULL },
	{ "remove", "NAME", "Remove a location no staff member is assigned to.", NULL, 1, 1, location_remove, NULL,
	  NULL },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL },
};
