/* Role records, and the predefined roles (DESIGN 3). Those are marked
 * system: not deletable and not editable; an editable copy is made with
 * RoleAdd copy_of. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <jansson.h>

#include "record.h"
#include "roles.h"
#include "store.h"

static const struct json_field role_fields[] = {
	{ "name", JF_STRING, true, false },
	{ "permissions", JF_STRING_ARRAY, true, false },
	{ "system", JF_BOOL, true, false },
	{ "gid", JF_INT, false, false },
	{ NULL, 0, false, false },
};

int role_parse(const void *key, size_t klen, const void *val, size_t vlen, json_t **ret)
{
	json_t *role;
	int r = record_parse("roles", key, klen, val, vlen, role_fields, "name", &role);

	if (r < 0)
		return r;
	if (!record_int_in(role, "gid", 0, UINT32_MAX)) {
		json_decref(role);
		return record_refuse("roles", key, klen, "its gid is out of range");
	}
	*ret = role;
	return 0;
}

int role_get(struct txn *t, const char *name, json_t **ret)
{
	const void *v;
	size_t n;
	int r = store_get(t, DB_ROLES, name, strlen(name), &v, &n);

	return r < 0 ? r : role_parse(name, strlen(name), v, n, ret);
}

static const struct {
	const char *name;
	const char *permissions[15];
} predefined[] = {
	{ "Owner",
	  { "calendar.view", "calendar.create", "calendar.delete", "billing.payments", "billing.refunds",
	    "billing.reports", "clinical.charts", "clinical.notes", "clinical.medications", "clinical.sign",
	    "clinical.prescribe", "admin.accounts", "admin.settings", "reports.business", NULL } },
	{ "Office Administrator",
	  { "calendar.view", "calendar.create", "calendar.delete", "billing.payments", "billing.reports",
	    "admin.accounts", "admin.settings", "reports.business", NULL } },
	{ "Provider",
	  { "calendar.view", "calendar.create", "clinical.charts", "clinical.notes", "clinical.medications",
	    "clinical.sign", "clinical.prescribe", NULL } },
	{ "Nurse",
	  { "calendar.view", "calendar.create", "clinical.charts", "clinical.notes", "clinical.medications", NULL } },
	{ "Front Desk", { "calendar.view", "calendar.create", "calendar.delete", "billing.payments", NULL } },
	{ "Billing Manager",
	  { "calendar.view", "billing.payments", "billing.refunds", "billing.reports", "reports.business", NULL } },
	{ "Staff", { "calendar.view", NULL } },
};

int roles_create_predefined(struct txn *t)
{
	for (size_t i = 0; i < sizeof(predefined) / sizeof(predefined[0]); i++) {
		json_t *perms = json_array(), *role;
		int r;

		for (size_t j = 0; predefined[i].permissions[j]; j++)
			json_array_append_new(perms, json_string(predefined[i].permissions[j]));
		role = json_pack("{s:s,s:o,s:b}", "name", predefined[i].name, "permissions", perms, "system", 1);
		if (!role)
			return -ENOMEM;
		r = store_put_json(t, DB_ROLES, predefined[i].name, role);
		json_decref(role);
		if (r < 0)
			return r;
	}
	return 0;
}
