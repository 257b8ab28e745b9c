/* The method table: every call the daemon answers, with who may make it.
 * A method not in the table is refused with MethodNotFound. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "staff-protocol.h"
#include "varlink.h"
#include "json-fields.h"
#include "call.h"
#include "daemon.h"
#include "dispatch.h"
#include "interface.h"
#include "log.h"
#include "methods.h"
#include "server.h"
#include "store.h"
#include "unknown-logins.h"
#include "userdb.h"
#include "users.h"

enum access {
	ANYONE,		/* any peer */
	SELF,		/* an administrator, or the staff user named by "username" */
	OWN,		/* root, or the staff user named by "username": never another admin */
	ADMIN,		/* root or an active, unlocked staff administrator */
	ROOT,		/* uid 0 only */
};

enum {
	WRITES = 1 << 0,	/* runs in a write transaction */
	NEEDS_PRACTICE = 1 << 1,	/* refused with NotInitialized before Init */
	STREAMS = 1 << 2,	/* needs "more" */
	/* Queues work for the worker pool and any local user may call it:
	 * a uid other than root's and the daemon's has a few in flight at most. */
	WORKER = 1 << 3,
};

struct method {
	const char *name;
	int (*handler)(struct call *c);
	enum access access;
	unsigned flags;
	const struct json_field *params;
};

#define NONE ((const struct json_field[]){ { NULL, 0, false, false } })
#define USERNAME_ONLY ((const struct json_field[]){ { "username", JF_STRING, true, false }, { NULL, 0, false, false } })
#define USERNAME_SHOW_CODE                                                                         \
	((const struct json_field[]){ { "username", JF_STRING, true, false },                      \
				      { "show_code", JF_BOOL, false, true },                       \
				      { NULL, 0, false, false } })
#define NAME_ONLY ((const struct json_field[]){ { "name", JF_STRING, true, false }, { NULL, 0, false, false } })
#define NAME_PERMS                                                                                 \
	((const struct json_field[]){ { "name", JF_STRING, true, false },                          \
				      { "permissions", JF_STRING_ARRAY, true, false },             \
				      { NULL, 0, false, false } })

static const struct method staff_methods[] = {
	{ "GetStatus", method_get_status, ANYONE, 0, NONE },
	{ "Init", method_init, ROOT, WRITES,
	  (const struct json_field[]){ { "practice", JF_STRING, true, false },
				       { "admin", JF_OBJECT, true, false },
				       { "codeword", JF_STRING, false, true },
				       { "show_code", JF_BOOL, false, true },
				       { NULL, 0, false, false } } },
	{ "LocationAdd", method_location_add, ADMIN, WRITES | NEEDS_PRACTICE,
	  (const struct json_field[]){ { "name", JF_STRING, true, false },
				       { "address", JF_STRING, false, true },
				       { NULL, 0, false, false } } },
	{ "LocationList", method_location_list, ANYONE, NEEDS_PRACTICE, NONE },
	{ "LocationRename", method_location_rename, ADMIN, WRITES | NEEDS_PRACTICE,
	  (const struct json_field[]){ { "name", JF_STRING, true, false },
				       { "new_name", JF_STRING, true, false },
				       { NULL, 0, false, false } } },
	{ "LocationRemove", method_location_remove, ADMIN, WRITES | NEEDS_PRACTICE, NAME_ONLY },
	{ "RoleAdd", method_role_add, ADMIN, WRITES | NEEDS_PRACTICE,
	  (const struct json_field[]){ { "name", JF_STRING, true, false },
				       { "permissions", JF_STRING_ARRAY, false, true },
				       { "copy_of", JF_STRING, false, true },
				       { NULL, 0, false, false } } },
	{ "RoleList", method_role_list, ANYONE, NEEDS_PRACTICE, NONE },
	{ "RoleShow", method_role_show, ANYONE, NEEDS_PRACTICE, NAME_ONLY },
	{ "RoleGrant", method_role_grant, ADMIN, WRITES | NEEDS_PRACTICE, NAME_PERMS },
	{ "RoleRevoke", method_role_revoke, ADMIN, WRITES | NEEDS_PRACTICE, NAME_PERMS },
	{ "RoleRemove", method_role_remove, ADMIN, WRITES | NEEDS_PRACTICE, NAME_ONLY },
	{ "UserAdd", method_user_add, ADMIN, WRITES | NEEDS_PRACTICE,
	  (const struct json_field[]){ { "user", JF_OBJECT, true, false },
				       { "show_code", JF_BOOL, false, true },
				       { NULL, 0, false, false } } },
	{ "UserList", method_user_list, ADMIN, NEEDS_PRACTICE | STREAMS,
	  (const struct json_field[]){ { "status", JF_STRING, false, true },
				       { "role", JF_STRING, false, true },
				       { "location", JF_STRING, false, true },
				       { "search", JF_STRING, false, true },
				       { NULL, 0, false, false } } },
	{ "UserShow", method_user_show, SELF, NEEDS_PRACTICE, USERNAME_ONLY },
	{ "UserEdit", method_user_edit, SELF, WRITES | NEEDS_PRACTICE,
	  (const struct json_field[]){ { "username", JF_STRING, true, false },
				       { "changes", JF_OBJECT, true, false },
				       { NULL, 0, false, false } } },
	{ "UserDeactivate", method_user_deactivate, ADMIN, WRITES | NEEDS_PRACTICE, USERNAME_ONLY },
	{ "UserReactivate", method_user_reactivate, ADMIN, WRITES | NEEDS_PRACTICE, USERNAME_ONLY },
	{ "UserUnlock", method_user_unlock, ADMIN, WRITES | NEEDS_PRACTICE, USERNAME_ONLY },
	{ "UserResetPassword", method_user_reset_password, ADMIN, WRITES | NEEDS_PRACTICE, USERNAME_SHOW_CODE },
	{ "UserResendInvite", method_user_resend_invite, ADMIN, WRITES | NEEDS_PRACTICE, USERNAME_SHOW_CODE },
	{ "UserCancelInvite", method_user_cancel_invite, ADMIN, WRITES | NEEDS_PRACTICE, USERNAME_ONLY },
	{ "UserSetPin", method_user_set_pin, SELF, NEEDS_PRACTICE | WORKER,
	  (const struct json_field[]){ { "username", JF_STRING, true, false },
				       { "pin", JF_STRING, true, false },
				       { NULL, 0, false, false } } },
	{ "ForgotPassword", method_forgot_password, ANYONE, WRITES | NEEDS_PRACTICE | WORKER, USERNAME_ONLY },
	{ "Authenticate", method_authenticate, OWN, NEEDS_PRACTICE | WORKER,
	  (const struct json_field[]){ { "username", JF_STRING, true, false },
				       { "secret", JF_STRING, true, false },
				       { "codeword", JF_STRING, false, true },
				       { "require_codeword", JF_BOOL, false, true },
				       { "pin", JF_BOOL, false, true },
				       { "service", JF_STRING, false, true },
				       { "tty", JF_STRING, false, true },
				       { "rhost", JF_STRING, false, true },
				       { NULL, 0, false, false } } },
	{ "CheckAccount", method_check_account, SELF, NEEDS_PRACTICE,
	  (const struct json_field[]){ { "username", JF_STRING, true, false },
				       { "location", JF_STRING, false, true },
				       { "require", JF_STRING, false, true },
				       { NULL, 0, false, false } } },
	{ "ChangePassword", method_change_password, OWN, NEEDS_PRACTICE | WORKER,
	  (const struct json_field[]){ { "username", JF_STRING, true, false },
				       { "old_password", JF_STRING, false, true },
				       { "grant", JF_STRING, false, true },
				       { "new_password", JF_STRING, true, false },
				       { "service", JF_STRING, false, true },
				       { "tty", JF_STRING, false, true },
				       { "rhost", JF_STRING, false, true },
				       { NULL, 0, false, false } } },
	{ "PolicyCheck", method_policy_check, ANYONE, WORKER,
	  (const struct json_field[]){ { "password", JF_STRING, true, false },
				       { "username", JF_STRING, false, true },
				       { NULL, 0, false, false } } },
	{ "CodewordShow", method_codeword_show, ADMIN, NEEDS_PRACTICE, NONE },
	{ "CodewordRotate", method_codeword_rotate, ADMIN, WRITES | NEEDS_PRACTICE,
	  (const struct json_field[]){ { "codeword", JF_STRING, false, true }, { NULL, 0, false, false } } },
	{ "PolicyShow", method_policy_show, ANYONE, 0, NONE },
	{ "AuditList", method_audit_list, ADMIN, NEEDS_PRACTICE | STREAMS,
	  (const struct json_field[]){ { "user", JF_STRING, false, true },
				       { "since", JF_INT, false, true },
				       { "limit", JF_INT, false, true },
				       { NULL, 0, false, false } } },
	{ "AuditVerify", method_audit_verify, ADMIN, NEEDS_PRACTICE, NONE },
	{ "Backup", method_backup, ADMIN, NEEDS_PRACTICE, NONE },
};

/* ---- replies ---- */

static void send_reply(struct call *c, const char *error, json_t *params, bool continues)
{
	size_t len;
	char *msg;

	if (c->oneway)
		return;
	msg = varlink_reply_encode(error, params, continues, &len);
	if (!msg) {
		log_error("out of memory encoding a reply");
		return;
	}
	conn_send(c->conn, msg, len);
	if (c->secret_reply)
		sodium_memzero(msg, len);
	free(msg);
}

int call_reply(struct call *c, json_t *params)
{
	json_decref(c->reply);
	c->reply = params ? params : json_object();
	return 0;
}

int call_stream(struct call *c, json_t *params)
{
	send_reply(c, NULL, params, true);
	json_decref(params);
	return 0;
}

int call_stream_text(struct call *c, const char *member, const char *json, size_t len)
{
	static const char head[] = "{\"continues\":true,\"parameters\":{\"";
	static const char mid[] = "\":";
	static const char tail[] = "}}";
	size_t mlen = strlen(member), total = sizeof(head) - 1 + mlen + sizeof(mid) - 1 + len + sizeof(tail);
	char stack[2048], *frame = total <= sizeof(stack) ? stack : malloc(total);
	char *p = frame;
	int r;

	if (c->oneway)
		return 0;
	if (!frame)
		return -ENOMEM;
	memcpy(p, head, sizeof(head) - 1), p += sizeof(head) - 1;
	memcpy(p, member, mlen), p += mlen;
	memcpy(p, mid, sizeof(mid) - 1), p += sizeof(mid) - 1;
	memcpy(p, json, len), p += len;
	memcpy(p, tail, sizeof(tail));	/* with the terminating NUL */
	r = conn_queue(c->conn, frame, total);
	if (frame != stack)
		free(frame);
	return r;
}

int call_fail(struct call *c, const char *name, json_t *params)
{
	char buf[128];

	free(c->error);
	json_decref(c->error_params);
	if (strchr(name, '.'))
		c->error = strdup(name);
	else {
		snprintf(buf, sizeof(buf), STAFF_INTERFACE ".%s", name);
		c->error = strdup(buf);
	}
	c->error_params = params ? params : json_object();
	return CALL_REFUSED;
}

__attribute__((format(printf, 4, 0)))
static int fail_field(struct call *c, const char *name, const char *field, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	return call_fail(c, name, json_pack("{s:s,s:s}", "field", field, "message", msg));
}

int call_invalid(struct call *c, const char *field, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = fail_field(c, "InvalidValue", field, fmt, ap);
	va_end(ap);
	return r;
}

int call_conflict(struct call *c, const char *field, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = fail_field(c, "Conflict", field, fmt, ap);
	va_end(ap);
	return r;
}

int call_state(struct call *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return call_fail(c, "InvalidState", json_pack("{s:s}", "message", msg));
}

int call_no_such_user(struct call *c, const char *username)
{
	return call_fail(c, "NoSuchUser", json_pack("{s:s}", "username", username));
}

int call_denied(struct call *c)
{
	return call_fail(c, "PermissionDenied", json_pack("{s:s}", "method", c->method));
}

const char *call_actor(const struct call *c, char *buf, size_t len)
{
	if (c->who.root)
		return "root";
	if (c->who.username[0])
		return c->who.username;
	snprintf(buf, len, "uid:%u", (unsigned)c->who.uid);
	return buf;
}

int call_begin_write(struct call *c)
{
	store_abort(c->txn);
	c->txn = NULL;
	return store_begin(c->daemon->store, true, &c->txn);
}

/* Secrets arrive as parameters (PIN, code word) and leave in replies (codes). */
static void wipe_strings(json_t *obj)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v)
		if (json_is_string(v))
			sodium_memzero((char *)json_string_value(v), json_string_length(v));
}

static void call_free(struct call *c)
{
	wipe_strings(c->params);
	if (c->secret_reply)
		wipe_strings(c->reply);
	store_abort(c->txn);
	if (c->passed_fd >= 0)
		close(c->passed_fd);
	if (c->free_state)
		c->free_state(c->state);
	json_decref(c->audit_log);
	json_decref(c->reply);
	json_decref(c->params);
	json_decref(c->error_params);
	free(c->error);
	free(c->method);
	free(c);
}

/* A full map, in words an administrator can act on. */
static int fail_storage_full(struct call *c)
{
	struct store_usage u = { 0 };
	char msg[512];

	store_usage(c->daemon->store, &u);
	snprintf(msg, sizeof(msg),
		 "the staff database is full: data.mdb has used %.1f MiB of its %.1f MiB map; raise map_size in "
		 "%s and restart staffd. Until then only sign-ins and lockouts are recorded",
		 (double)u.used / (1 << 20), (double)u.map_size / (1 << 20),
		 c->daemon->config_path ? c->daemon->config_path : "staffd.conf");
	log_error("%s: refused: %s", c->method, msg);
	return call_fail(c, "StorageFull", json_pack("{s:s,s:I,s:I}", "message", msg, "map_size", (json_int_t)u.map_size,
					      "used", (json_int_t)u.used));
}

void call_finish(struct call *c, int r)
{
	struct conn *conn;

	/* The call belongs to a worker's done step now, which may have freed it already. */
	if (r == CALL_ASYNC)
		return;
	conn = c->conn;
	if (r == CALL_PENDING) {
		/* A streaming handler waits for its connection to drain. */
		conn_set_stream(conn, c);
		return;
	}
	/* Whatever a handler made of it, a write the map had no room for is StorageFull. */
	if (c->txn && r < 0 && r != CALL_REFUSED && store_txn_error(c->txn) == -ENOSPC)
		r = -ENOSPC;
	if (c->txn && (r >= 0 || (r == CALL_REFUSED && c->keep_on_refusal))) {
		int cr = store_commit(c->txn);

		c->txn = NULL;
		if (cr < 0 && cr != -ENOSPC)
			log_error("%s: commit failed: %s", c->method, strerror(-cr));
		if (cr < 0)
			r = cr;
	}
	if (r == -ENOSPC) {
		/* Nothing was written, so there is no record to journal. */
		c->keep_on_refusal = false;
		r = fail_storage_full(c);
	}
	if (r >= 0 || (r == CALL_REFUSED && c->keep_on_refusal)) {
		size_t i;
		json_t *rec;

		json_array_foreach(c->audit_log, i, rec)
			log_audit(rec);
	}
	if (r >= 0) {
		send_reply(c, NULL, c->reply, false);
	} else if (r == -ECONNRESET) {
		/* The peer went away; there is nobody to answer. */
	} else if (r == CALL_REFUSED && c->error) {
		send_reply(c, c->error, c->error_params, false);
	} else if (r == -EBUSY) {
		send_reply(c, STAFF_ERROR("Busy"), NULL, false);
	} else {
		/* store_parse_json named the record in the log already. */
		json_t *p = json_pack("{s:s}", "message", r == -EBADMSG ? "a stored record does not parse; "
						"the journal names it" : strerror(-r));
		log_error("%s: %s", c->method, strerror(-r));
		send_reply(c, STAFF_ERROR("InternalError"), p, false);
		json_decref(p);
	}
	if (c->worker_share)
		conn_worker_call_end(conn);
	call_free(c);
	conn_call_done(conn);
	conn_unref(conn);
}

void call_resume(struct call *c)
{
	call_finish(c, c->resume(c));
}

/* ---- who is calling ---- */

static int resolve_caller(struct call *c)
{
	json_t *user = NULL;
	int r;

	c->who.uid = conn_uid(c->conn);
	c->who.pid = conn_pid(c->conn);
	c->who.root = c->who.uid == 0;
	c->who.admin = c->who.root;
	if (c->who.root)
		return 0;
	r = user_get_by_uid(c->txn, c->who.uid, &user);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	/* A disabled account's uid is nobody in particular. */
	if (!user_served(user)) {
		json_decref(user);
		return 0;
	}
	snprintf(c->who.username, sizeof(c->who.username), "%s", json_string_value(json_object_get(user, "username")));
	c->who.admin = user_is_admin(c->txn, user);
	json_decref(user);
	return 0;
}

static bool allowed(const struct call *c, enum access access)
{
	const char *target;

	switch (access) {
	case ANYONE:
		return true;
	case ROOT:
		return c->who.root;
	case ADMIN:
		return c->who.admin;
	case SELF:
	case OWN:
		target = json_get_str(c->params, "username");
		if (access == SELF ? c->who.admin : c->who.root)
			return true;
		return c->who.username[0] && target && strcmp(target, c->who.username) == 0;
	}
	return false;
}

/* ---- org.varlink.service ---- */

static int service_get_info(struct call *c)
{
	return call_reply(c, json_pack("{s:s,s:s,s:s,s:s,s:[s,s]}", "vendor", "Practice Staff", "product",
				       "staffd", "version", STAFF_VERSION, "url", "https://practice.invalid/staffd",
				       "interfaces", "org.varlink.service", STAFF_INTERFACE));
}

static int service_get_description(struct call *c)
{
	const char *iface = json_get_str(c->params, "interface");

	if (!iface || strcmp(iface, STAFF_INTERFACE) != 0)
		return call_fail(c, "org.varlink.service.InterfaceNotFound",
				 json_pack("{s:s}", "interface", iface ? iface : ""));
	return call_reply(c, json_pack("{s:s}", "description", staff_interface_description));
}

static const struct method service_methods[] = {
	{ "GetInfo", service_get_info, ANYONE, 0, NONE },
	{ "GetInterfaceDescription", service_get_description, ANYONE, 0,
	  (const struct json_field[]){ { "interface", JF_STRING, true, false }, { NULL, 0, false, false } } },
};

static const struct method *find_method(const char *qualified, const char **error)
{
	static const struct {
		const char *interface;
		const struct method *methods;
		size_t n;
	} interfaces[] = {
		{ "org.varlink.service", service_methods, sizeof(service_methods) / sizeof(service_methods[0]) },
		{ STAFF_INTERFACE, staff_methods, sizeof(staff_methods) / sizeof(staff_methods[0]) },
	};
	const char *dot = strrchr(qualified, '.');

	*error = "org.varlink.service.InterfaceNotFound";
	if (!dot)
		return NULL;
	for (size_t i = 0; i < sizeof(interfaces) / sizeof(interfaces[0]); i++) {
		if (strlen(interfaces[i].interface) != (size_t)(dot - qualified) ||
		    strncmp(qualified, interfaces[i].interface, (size_t)(dot - qualified)) != 0)
			continue;
		*error = "org.varlink.service.MethodNotFound";
		for (size_t j = 0; j < interfaces[i].n; j++)
			if (strcmp(interfaces[i].methods[j].name, dot + 1) == 0)
				return &interfaces[i].methods[j];
		return NULL;
	}
	return NULL;
}

static bool practice_exists(struct txn *t)
{
	const void *v;
	size_t n;

	return store_get(t, DB_META, "practice", strlen("practice"), &v, &n) == 0;
}

static int run_staff_call(struct call *c, const struct method *m)
{
	const char *bad = NULL;
	int r;

	r = json_fields_check(c->params, m->params, &bad);
	if (r < 0) {
		const char *why = r == -EPROTO ? "unknown parameter" : r == -ENOENT ? "missing parameter" : "wrong type";
		char msg[160];

		/* org.varlink.service.InvalidParameter only names the parameter; say why in the log. */
		snprintf(msg, sizeof(msg), "%s", bad ? bad : "");
		log_info("%s: %s '%s'", c->method, why, msg);
		return call_fail(c, "org.varlink.service.InvalidParameter", json_pack("{s:s}", "parameter", msg));
	}
	if ((m->flags & STREAMS) && !c->more)
		return call_fail(c, "org.varlink.service.ExpectedMore", NULL);
	/* Attempts for unknown names counted in an interval now over go into the trail first. */
	unknown_logins_flush(c->daemon, c->now, false);
	/* Before anything is read or written: an over-share caller changes nothing. */
	if (m->flags & WORKER) {
		r = conn_worker_call_begin(c->conn);
		if (r == -EBUSY)
			return call_fail(c, "Busy", NULL);
		if (r < 0)
			return r;
		c->worker_share = true;
	}
	r = store_begin(c->daemon->store, (m->flags & WRITES) != 0, &c->txn);
	if (r < 0)
		return r;
	r = resolve_caller(c);
	if (r < 0)
		return r;
	if (!allowed(c, m->access)) {
		char buf[32];
		log_info("refused %s to %s", m->name, call_actor(c, buf, sizeof(buf)));
		return call_denied(c);
	}
	if ((m->flags & NEEDS_PRACTICE) && !practice_exists(c->txn))
		return call_fail(c, "NotInitialized", NULL);
	return m->handler(c);
}

void dispatch_call(struct daemon *d, struct conn *conn, enum endpoint endpoint, struct varlink_call *vc,
		   int passed_fd)
{
	const struct method *m;
	const char *error;
	struct call *c;
	int r;

	c = calloc(1, sizeof(*c));
	if (!c) {
		varlink_call_clear(vc);
		if (passed_fd >= 0)
			close(passed_fd);
		conn_call_done(conn);
		return;
	}
	conn_ref(conn);
	c->daemon = d;
	c->conn = conn;
	c->method = vc->method;
	c->params = vc->parameters;
	c->more = vc->more;
	c->oneway = vc->oneway;
	c->passed_fd = passed_fd;
	c->now = (long long)time(NULL);
	c->audit_log = json_array();
	vc->method = NULL;
	vc->parameters = NULL;

	if (endpoint == ENDPOINT_USERDB) {
		r = userdb_dispatch(c);
	} else {
		m = find_method(c->method, &error);
		if (!m)
			r = call_fail(c, error, json_pack("{s:s}", strstr(error, "Interface") ? "interface" : "method",
							  c->method));
		else if (strncmp(c->method, "org.varlink.service.", 20) == 0)
			r = json_fields_check(c->params, m->params, &error) < 0
				    ? call_fail(c, "org.varlink.service.InvalidParameter",
						json_pack("{s:s}", "parameter", error ? error : ""))
				    : m->handler(c);
		else
			r = run_staff_call(c, m);
	}
	call_finish(c, r);
}
