/*
 * Fuzz target for stored records: whatever staffd parses when it reads a
 * user, summary, role, location, audit, practice, token, counter or index
 * record back from LMDB. The input replaces one record of the seeded
 * temporary database (fixture.c), then a battery of calls reads it the ways
 * the daemon does, and so does the start-up migration.
 *
 * Input: byte 0 picks the record (see records[]), byte 1 the calls (see
 * run_battery: bits 0-2 one group of methods, bit 3 an administrator's uid
 * rather than root's), the rest is the record's new value as stored.
 *
 * A record that does not parse must be refused, never crash the daemon,
 * leak, or reach a client half read: the fixture's protocol checks hold
 * for every reply. The new value also goes through json_flat_check (the
 * check listings rely on to send stored text as it is): whatever it
 * accepts, jansson must read back with the same members.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "staff-protocol.h"
#include "json-flat.h"
#include "varlink.h"
#include "daemon.h"
#include "store.h"
#include "userdb.h"
#include "users.h"
#include "fixture.h"

#define FUZZ_INPUT_MAX (16 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum key_kind {
	KEY_NAME,		/* the key is name */
	KEY_UID_OF,		/* the uid index entry of the staff user name */
	KEY_AUDIT_LAST,		/* the newest audit record */
	KEY_AUDIT_FIRST,
	KEY_FIRST,		/* the table's first key */
};

static const struct {
	enum store_db db;
	enum key_kind kind;
	const char *name;
} records[] = {
	{ DB_USERS, KEY_NAME, "jdoe" },
	{ DB_USER_SUMMARY, KEY_NAME, "jdoe" },
	{ DB_USERS, KEY_NAME, "amy" },
	{ DB_USER_SUMMARY, KEY_NAME, "amy" },
	{ DB_USERS, KEY_NAME, "pend" },
	{ DB_ROLES, KEY_NAME, "Nurse" },
	{ DB_ROLES, KEY_NAME, "Scribe" },
	{ DB_LOCATIONS, KEY_NAME, "Main" },
	{ DB_AUDIT, KEY_AUDIT_LAST, NULL },
	{ DB_AUDIT, KEY_AUDIT_FIRST, NULL },
	{ DB_META, KEY_NAME, "practice" },
	{ DB_META, KEY_NAME, "counts" },
	{ DB_META, KEY_NAME, "next_uid" },
	{ DB_META, KEY_NAME, "admins_gid" },
	{ DB_TOKENS, KEY_FIRST, NULL },
	{ DB_UIDS, KEY_UID_OF, "jdoe" },
	{ DB_EMAILS, KEY_NAME, "jane.doe@riverside.example" },
	{ DB_USERS, KEY_NAME, "hprov" },
};
#define N_RECORDS (sizeof(records) / sizeof(records[0]))

struct first_key {
	unsigned char key[512];
	size_t len;
};

static int take_key(const void *key, size_t klen, const void *val, size_t vlen, void *userdata)
{
	struct first_key *k = userdata;

	(void)val;
	(void)vlen;
	if (klen > sizeof(k->key))
		return -E2BIG;
	memcpy(k->key, key, klen);
	k->len = klen;
	return 1;
}

static void replace_record(unsigned which, const uint8_t *value, size_t len)
{
	struct daemon *d = fixture_daemon();
	struct first_key k = { .len = 0 };
	struct txn *t = NULL;
	json_t *rec = NULL;
	uint64_t count = 0;
	size_t n;
	int r;

	which %= N_RECORDS;
	if (store_begin(d->store, true, &t) < 0)
		fixture_fail("cannot start a write transaction");
	switch (records[which].kind) {
	case KEY_NAME:
		k.len = strlen(records[which].name);
		memcpy(k.key, records[which].name, k.len);
		break;
	case KEY_UID_OF:
		if (user_get(t, records[which].name, &rec) < 0)
			fixture_fail("the seeded %s is missing", records[which].name);
		store_be32((uint32_t)json_integer_value(json_object_get(rec, "uid")), k.key);
		k.len = 4;
		json_decref(rec);
		break;
	case KEY_AUDIT_LAST:
	case KEY_AUDIT_FIRST:
		if (store_count(t, DB_AUDIT, &n) < 0)
			fixture_fail("cannot count the audit records");
		count = records[which].kind == KEY_AUDIT_LAST ? n : 1;
		store_be64(count, k.key);
		k.len = 8;
		break;
	case KEY_FIRST:
		if (store_scan(t, records[which].db, NULL, 0, false, take_key, &k) <= 0)
			fixture_fail("the seeded table %d is empty", (int)records[which].db);
		break;
	}
	r = store_put(t, records[which].db, k.key, k.len, value, len, false);
	if (r == 0)
		r = store_commit(t);
	else
		store_abort(t);
	/* Too large for the map or as an LMDB value: nothing was replaced, the calls run anyway. */
	if (r < 0 && r != -ENOSPC && r != -E2BIG)
		fixture_fail("cannot store the record: %s", strerror(-r));
}

static void call(enum endpoint endpoint, uid_t uid, const char *method, json_t *params, bool more, int fd)
{
	struct varlink_call vc;
	struct fixture_result r;

	fixture_make_call(&vc, method, params, more);
	fixture_call(endpoint, uid, &vc, fd, &r);
	fixture_result_clear(&r);
}

#define STAFF(m) STAFF_METHOD(m)
#define USERDB(m) "io.systemd.UserDatabase." m

/* What staffd does with the records when it starts (daemon_migrate). */
static void start_up(void)
{
	struct daemon *d = fixture_daemon();
	struct txn *t = NULL;
	int r;

	if (store_begin(d->store, true, &t) < 0)
		fixture_fail("cannot start a write transaction");
	/* Without its version mark every summary is written again from its record. */
	r = store_del(t, DB_META, "summary_version", strlen("summary_version"));
	if (r == 0 || r == -ENOENT)
		r = userdb_ensure_gids(t, &d->config);
	if (r == 0)
		r = users_rebuild_summaries(t);
	if (r == 0)
		store_commit(t);
	else
		store_abort(t);
}

enum group { READ, LOGIN, CHANGE, DIRECTORY, AUDIT, USERDB, START_UP, ALL };

static void run_battery(unsigned selector)
{
	uid_t uid = fixture_uid(selector & 0x08 ? CALLER_ADMIN : CALLER_ROOT);
	/* A group of calls per input keeps inputs quick; ALL is for the corpus. */
	unsigned groups = (selector & 7) == ALL ? ~0U : 1U << (selector & 7);
	const char *pw = FIXTURE_PASSWORD;

	/* Every call resolves its caller: a staff user's record and role are read for it. */
	call(ENDPOINT_STAFF, fixture_uid(CALLER_STAFF), STAFF("GetStatus"), NULL, false, -1);
	call(ENDPOINT_STAFF, fixture_uid(CALLER_STAFF), STAFF("UserShow"), json_pack("{s:s}", "username", "jdoe"), false,
	     -1);
	if (groups & (1U << READ)) {
		call(ENDPOINT_STAFF, uid, STAFF("GetStatus"), NULL, false, -1);
		call(ENDPOINT_STAFF, uid, STAFF("UserShow"), json_pack("{s:s}", "username", "jdoe"), false, -1);
		call(ENDPOINT_STAFF, uid, STAFF("UserShow"), json_pack("{s:s}", "username", "amy"), false, -1);
		call(ENDPOINT_STAFF, uid, STAFF("UserList"), NULL, true, -1);
		call(ENDPOINT_STAFF, uid, STAFF("UserList"),
		     json_pack("{s:s,s:s,s:s,s:s}", "status", "active", "role", "Nurse", "location", "Main", "search", "doe"),
		     true, -1);
		call(ENDPOINT_STAFF, uid, STAFF("CheckAccount"),
		     json_pack("{s:s,s:s,s:s}", "username", "jdoe", "location", "North", "require", "clinical.charts"), false,
		     -1);
		call(ENDPOINT_STAFF, uid, STAFF("PolicyCheck"), json_pack("{s:s,s:s}", "password", "Jane-Doe-1x", "username", "jdoe"),
		     false, -1);
	}
	if (groups & (1U << LOGIN)) {
		call(ENDPOINT_STAFF, 0, STAFF("Authenticate"),
		     json_pack("{s:s,s:s,s:s,s:s}", "username", "jdoe", "secret", pw, "service", "login", "tty", "tty1"), false, -1);
		call(ENDPOINT_STAFF, 0, STAFF("Authenticate"), json_pack("{s:s,s:s}", "username", "jdoe", "secret", "wrong"), false,
		     -1);
		call(ENDPOINT_STAFF, 0, STAFF("Authenticate"), json_pack("{s:s,s:s,s:b}", "username", "jdoe", "secret", "4821", "pin", 1),
		     false, -1);
		call(ENDPOINT_STAFF, 0, STAFF("Authenticate"),
		     json_pack("{s:s,s:s,s:b,s:s}", "username", "amy", "secret", pw, "require_codeword", 1, "codeword",
			       FIXTURE_CODEWORD),
		     false, -1);
		call(ENDPOINT_STAFF, 0, STAFF("Authenticate"),
		     json_pack("{s:s,s:s,s:s}", "username", "pend", "secret", "7KQ2-M9XD-AAAA-BBBB-CCCC-DDDD-EEEE", "codeword",
			       FIXTURE_CODEWORD),
		     false, -1);
		call(ENDPOINT_STAFF, 0, STAFF("ChangePassword"),
		     json_pack("{s:s,s:s,s:s}", "username", "jdoe", "old_password", pw, "new_password", "Silver-Meadow-Canyon-73"),
		     false, -1);
	}
	if (groups & (1U << CHANGE)) {
		call(ENDPOINT_STAFF, uid, STAFF("UserEdit"),
		     json_pack("{s:s,s:{s:i,s:[s],s:s,s:s}}", "username", "jdoe", "changes", "capacity", 2, "locations", "North",
			       "email", "jane@riverside.example", "primary_provider", "hprov"),
		     false, -1);
		call(ENDPOINT_STAFF, uid, STAFF("UserUnlock"), json_pack("{s:s}", "username", "jdoe"), false, -1);
		call(ENDPOINT_STAFF, uid, STAFF("UserDeactivate"), json_pack("{s:s}", "username", "jdoe"), false, -1);
		call(ENDPOINT_STAFF, uid, STAFF("UserReactivate"), json_pack("{s:s}", "username", "jdoe"), false, -1);
		call(ENDPOINT_STAFF, uid, STAFF("UserResetPassword"), json_pack("{s:s,s:b}", "username", "jdoe", "show_code", 1),
		     false, -1);
		call(ENDPOINT_STAFF, fixture_uid(CALLER_UNKNOWN), STAFF("ForgotPassword"), json_pack("{s:s}", "username", "hprov"),
		     false, -1);
		call(ENDPOINT_STAFF, uid, STAFF("UserSetPin"), json_pack("{s:s,s:s}", "username", "jdoe", "pin", "1357"), false, -1);
		call(ENDPOINT_STAFF, uid, STAFF("UserResendInvite"), json_pack("{s:s}", "username", "pend"), false, -1);
		call(ENDPOINT_STAFF, uid, STAFF("UserCancelInvite"), json_pack("{s:s}", "username", "pend"), false, -1);
		call(ENDPOINT_STAFF, uid, STAFF("UserAdd"),
		     json_pack("{s:{s:s,s:s,s:s,s:s,s:s,s:s,s:[s]}}", "user", "username", "newbie", "email", "newbie@riverside.example",
			       "first_name", "New", "last_name", "Bie", "role", "Nurse", "primary_provider", "hprov", "locations",
			       "Main"),
		     false, -1);
	}
	if (groups & (1U << DIRECTORY)) {
		call(ENDPOINT_STAFF, uid, STAFF("RoleList"), NULL, false, -1);
		call(ENDPOINT_STAFF, uid, STAFF("RoleShow"), json_pack("{s:s}", "name", "Nurse"), false, -1);
		call(ENDPOINT_STAFF, uid, STAFF("RoleGrant"), json_pack("{s:s,s:[s]}", "name", "Scribe", "permissions", "calendar.view"),
		     false, -1);
		call(ENDPOINT_STAFF, uid, STAFF("RoleRevoke"),
		     json_pack("{s:s,s:[s]}", "name", "Scribe", "permissions", "clinical.notes"), false, -1);
		call(ENDPOINT_STAFF, uid, STAFF("RoleAdd"), json_pack("{s:s,s:s}", "name", "Nurse Lead", "copy_of", "Nurse"), false, -1);
		call(ENDPOINT_STAFF, uid, STAFF("RoleRemove"), json_pack("{s:s}", "name", "Scribe"), false, -1);
		call(ENDPOINT_STAFF, uid, STAFF("LocationList"), NULL, false, -1);
		call(ENDPOINT_STAFF, uid, STAFF("LocationRename"), json_pack("{s:s,s:s}", "name", "Main", "new_name", "Central"),
		     false, -1);
		call(ENDPOINT_STAFF, uid, STAFF("LocationRemove"), json_pack("{s:s}", "name", "North"), false, -1);
		call(ENDPOINT_STAFF, uid, STAFF("CodewordShow"), NULL, false, -1);
		call(ENDPOINT_STAFF, uid, STAFF("CodewordRotate"), NULL, false, -1);
	}
	if (groups & (1U << AUDIT)) {
		call(ENDPOINT_STAFF, uid, STAFF("AuditList"), NULL, true, -1);
		call(ENDPOINT_STAFF, uid, STAFF("AuditList"), json_pack("{s:s}", "user", "jdoe"), true, -1);
		call(ENDPOINT_STAFF, uid, STAFF("AuditList"), json_pack("{s:I,s:i}", "since", (json_int_t)1, "limit", 3), true, -1);
		call(ENDPOINT_STAFF, uid, STAFF("AuditVerify"), NULL, false, -1);
	}
	if (groups & (1U << USERDB)) {
		uid_t jdoe = fixture_uid(CALLER_STAFF);

		call(ENDPOINT_USERDB, jdoe, USERDB("GetUserRecord"), json_pack("{s:s,s:s}", "userName", "jdoe", "service", "io.practice.staff"),
		     false, -1);
		call(ENDPOINT_USERDB, jdoe, USERDB("GetUserRecord"), json_pack("{s:I,s:s}", "uid", (json_int_t)jdoe, "service", "io.practice.staff"),
		     false, -1);
		call(ENDPOINT_USERDB, jdoe, USERDB("GetUserRecord"),
		     json_pack("{s:s,s:[s]}", "service", "io.practice.staff", "fuzzyNames", "doe"), true, -1);
		call(ENDPOINT_USERDB, jdoe, USERDB("GetGroupRecord"), json_pack("{s:s}", "service", "io.practice.staff"), true, -1);
		call(ENDPOINT_USERDB, jdoe, USERDB("GetGroupRecord"),
		     json_pack("{s:s,s:s}", "groupName", "practice-nurse", "service", "io.practice.staff"), false, -1);
		call(ENDPOINT_USERDB, jdoe, USERDB("GetGroupRecord"), json_pack("{s:I,s:s}", "gid", (json_int_t)jdoe, "service", "io.practice.staff"),
		     false, -1);
		call(ENDPOINT_USERDB, jdoe, USERDB("GetMemberships"), json_pack("{s:s}", "service", "io.practice.staff"), true, -1);
		call(ENDPOINT_USERDB, jdoe, USERDB("GetMemberships"),
		     json_pack("{s:s,s:s}", "userName", "jdoe", "service", "io.practice.staff"), true, -1);
	}
	if (groups & (1U << START_UP))
		start_up();
}

struct flat_members {
	struct json_flat_member m[64];
	size_t n;
};

static int take_member(const struct json_flat_member *m, void *userdata)
{
	struct flat_members *l = userdata;

	if (l->n < sizeof(l->m) / sizeof(l->m[0]))
		l->m[l->n++] = *m;
	return 0;
}

static bool unique_plain_key(const struct flat_members *l, size_t i)
{
	if (memchr(l->m[i].key, '\\', l->m[i].key_len))
		return false;
	for (size_t j = 0; j < l->n; j++)
		if (j != i && l->m[j].key_len == l->m[i].key_len && memcmp(l->m[j].key, l->m[i].key, l->m[i].key_len) == 0)
			return false;
	return true;
}

static void check_flat(const uint8_t *value, size_t len)
{
	struct flat_members l = { .n = 0 };
	json_error_t error;
	json_t *obj;

	if (json_flat_check((const char *)value, len, take_member, &l) < 0)
		return;
	obj = json_loadb((const char *)value, len, 0, &error);
	if (!json_is_object(obj))
		fixture_fail("json_flat_check accepted what jansson refuses: %s", error.text);
	for (size_t i = 0; i < l.n; i++) {
		const struct json_flat_member *m = &l.m[i];
		char key[256];
		json_t *v;
		bool same;

		if (!unique_plain_key(&l, i) || m->key_len >= sizeof(key))
			continue;
		memcpy(key, m->key, m->key_len);
		key[m->key_len] = '\0';
		v = json_object_get(obj, key);
		switch (m->type) {
		case JSON_FLAT_STRING:
			same = json_is_string(v) &&
			       (memchr(m->value, '\\', m->value_len) ||
				(json_string_length(v) == m->value_len && memcmp(json_string_value(v), m->value, m->value_len) == 0));
			break;
		case JSON_FLAT_INT:
			same = json_is_integer(v) && json_integer_value(v) == m->integer;
			break;
		case JSON_FLAT_BOOL:
			same = json_is_boolean(v) && json_is_true(v) == (m->boolean != 0);
			break;
		case JSON_FLAT_NULL:
			same = json_is_null(v);
			break;
		case JSON_FLAT_STRING_ARRAY:
			same = json_is_array(v);
			for (size_t j = 0; same && j < json_array_size(v); j++)
				same = json_is_string(json_array_get(v, j));
			break;
		default:
			same = false;
		}
		if (!same)
			fixture_fail("json_flat_check and jansson read member %s differently", key);
	}
	json_decref(obj);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size > FUZZ_INPUT_MAX)
		return 0;
	fixture_daemon();
	fixture_reset();
	fixture_check_secrets(false);
	check_flat(data + 2, size - 2);
	replace_record(data[0], data + 2, size - 2);
	run_battery(data[1]);
	return 0;
}
