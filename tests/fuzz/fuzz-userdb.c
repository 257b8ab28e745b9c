/*
 * Fuzz target for io.systemd.UserDatabase (staffd/userdb.c): GetUserRecord,
 * GetGroupRecord and GetMemberships with arbitrary parameters, on the
 * seeded temporary LMDB (fixture.c).
 *
 * Input: one selector byte (bits 0-2 choose the caller as in fuzz-dispatch:
 * the userdb socket is open to everyone), then Varlink call frames
 * (NUL-separated). Frames calling io.practice.Staff methods go to the staff
 * endpoint as root first, so that lookups also meet directories the input
 * has changed; every other frame goes to the userdb endpoint.
 *
 * Checked besides the fixture's protocol rules: a lookup never changes the
 * database; every record names the service, carries the fields nss-systemd
 * needs and no other; a record found by name is the one found by its id and
 * the other way round; the id filters hold.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "staff-protocol.h"
#include "varlink.h"
#include "json-fields.h"
#include "daemon.h"
#include "fixture.h"

#define FUZZ_INPUT_MAX (STAFF_FRAME_MAX + 1)
#define FUZZ_CALLS_MAX 8
#define USERDB "io.systemd.UserDatabase."

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool only_fields(const json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		size_t i;

		for (i = 0; allowed[i] && strcmp(allowed[i], key) != 0; i++)
			;
		if (!allowed[i])
			return false;
	}
	return true;
}

/* One lookup by the other key; its record, or NULL. */
static json_t *lookup(uid_t uid, const char *method, json_t *params)
{
	struct varlink_call vc;
	struct fixture_result r;
	json_t *record;

	json_object_set_new(params, "service", json_string("io.practice.staff"));
	fixture_make_call(&vc, method, params, false);
	fixture_call(ENDPOINT_USERDB, uid, &vc, -1, &r);
	record = r.error ? NULL : json_incref(json_object_get(r.parameters, "record"));
	fixture_result_clear(&r);
	return record;
}

static void check_record(uid_t uid, const char *method, const json_t *params, const json_t *reply)
{
	static const char *const reply_fields[] = { "record", "incomplete", NULL };
	static const char *const user_fields[] = { "userName", "uid", "gid", "realName", "homeDirectory", "shell",
						   "disposition", "locked", "service", NULL };
	static const char *const group_fields[] = { "groupName", "gid", "description", "disposition", "service", NULL };
	const struct config *cfg = &fixture_daemon()->config;
	json_t *record = json_object_get(reply, "record"), *again = NULL;
	bool user = strcmp(method, USERDB "GetUserRecord") == 0;
	const char *name = json_get_str(record, user ? "userName" : "groupName");
	json_int_t id = json_integer_value(json_object_get(record, user ? "uid" : "gid"));
	const char *min = user ? "uidMin" : "gidMin", *max = user ? "uidMax" : "gidMax";

	if (!json_is_object(record) || !only_fields(reply, reply_fields) ||
	    !json_is_false(json_object_get(reply, "incomplete")))
		fixture_fail("%s: not a record reply", method);
	if (!only_fields(record, user ? user_fields : group_fields) || !name ||
	    !json_is_integer(json_object_get(record, user ? "uid" : "gid")) ||
	    strcmp(json_get_str(record, "service") ? json_get_str(record, "service") : "", "io.practice.staff") != 0)
		fixture_fail("%s: a record without its name, id or service, or with a field nss-systemd does not know",
			     method);
	/* Every staff id comes from the configured range. */
	if (id < (json_int_t)cfg->uid_min || id > (json_int_t)cfg->uid_max)
		fixture_fail("%s: %s has id %lld, outside %u-%u", method, name, (long long)id, cfg->uid_min,
			     cfg->uid_max);
	if ((json_is_integer(json_object_get(params, min)) && id < json_integer_value(json_object_get(params, min))) ||
	    (json_is_integer(json_object_get(params, max)) && id > json_integer_value(json_object_get(params, max))))
		fixture_fail("%s: %s has id %lld, outside the filter", method, name, (long long)id);
	if (user && (json_integer_value(json_object_get(record, "gid")) != id ||
		     !json_is_boolean(json_object_get(record, "locked"))))
		fixture_fail("%s: %s is not its own primary group or has no lock state", method, name);

	/* By name, then by id: the same record. */
	again = lookup(uid, method, json_pack("{s:s}", user ? "userName" : "groupName", name));
	if (!again || !json_equal(again, record))
		fixture_fail("%s: %s is not found again by its name", method, name);
	json_decref(again);
	again = lookup(uid, method, json_pack("{s:I}", user ? "uid" : "gid", id));
	if (!again || !json_equal(again, record))
		fixture_fail("%s: %s is not found again by its id %lld", method, name, (long long)id);
	json_decref(again);
}

static void check_membership(const json_t *params, const json_t *reply)
{
	static const char *const fields[] = { "userName", "groupName", NULL };
	const char *user = json_get_str(reply, "userName"), *group = json_get_str(reply, "groupName");
	const char *want_user = json_get_str(params, "userName"), *want_group = json_get_str(params, "groupName");

	if (!user || !group || !only_fields(reply, fields))
		fixture_fail("GetMemberships: not a membership");
	if ((want_user && strcmp(user, want_user) != 0) || (want_group && strcmp(group, want_group) != 0))
		fixture_fail("GetMemberships: %s in %s does not match the request", user, group);
}

static void run_call(uid_t uid, const char *frame, size_t len)
{
	struct varlink_call vc = { 0 };
	struct fixture_result r;
	json_t *params;
	char *method;
	bool staff;

	if (varlink_call_decode(frame, len, &vc, NULL) < 0)
		return;
	staff = strncmp(vc.method, STAFF_INTERFACE ".", strlen(STAFF_INTERFACE) + 1) == 0;
	method = strdup(vc.method);
	params = json_deep_copy(vc.parameters);
	if (!method || !params)
		abort();
	if (staff) {
		fixture_call(ENDPOINT_STAFF, 0, &vc, -1, &r);
	} else {
		fixture_call(ENDPOINT_USERDB, uid, &vc, -1, &r);
		if (r.changed)
			fixture_fail("%s changed the database", method);
		if (!r.error) {
			json_t *reply;
			size_t i;

			json_array_foreach(r.all, i, reply) {
				if (strcmp(method, USERDB "GetMemberships") == 0)
					check_membership(params, reply);
				else
					check_record(uid, method, params, reply);
			}
		}
	}
	fixture_result_clear(&r);
	free(method);
	json_decref(params);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	unsigned calls = 0;
	size_t off = 1;
	uid_t uid;

	if (size < 1 || size > FUZZ_INPUT_MAX)
		return 0;
	fixture_daemon();
	fixture_reset();
	uid = fixture_uid((enum fixture_caller)(data[0] & 7));
	while (off < size && calls < FUZZ_CALLS_MAX) {
		size_t frame_len = 0;
		int r = varlink_frame_next(buf + off, size - off, STAFF_FRAME_MAX, &frame_len);

		if (r < 0)
			break;
		if (r == 0) {
			run_call(uid, buf + off, size - off);
			break;
		}
		run_call(uid, buf + off, frame_len - 1);
		off += frame_len;
		calls++;
	}
	return 0;
}
