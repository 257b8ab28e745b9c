/* Talking to staffd: connection, calls, and what failures mean to the user. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "client.h"
#include "escape.h"
#include "json-wipe.h"
#include "json-fields.h"
#include "staff-protocol.h"
#include "staffctl.h"

const char *ctl_socket_path(const char *option, const char *env)
{
	if (option)
		return option;
	if (env && *env)
		return env;
	return STAFFD_DEFAULT_SOCKET;
}

int ctl_exit_code(int r)
{
	switch (r) {
	case 0:
		return CTL_EXIT_OK;
	case CTL_E_REFUSED:
	case CTL_E_CHECK:
		return CTL_EXIT_REFUSED;
	case CTL_E_USAGE:
		return CTL_EXIT_USAGE;
	case CTL_E_UNREACHABLE:
		return CTL_EXIT_UNREACHABLE;
	default:
		return CTL_EXIT_LOCAL;
	}
}

static void report(struct ctl *ctl, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void report(struct ctl *ctl, const char *fmt, va_list ap)
{
	fputs("staffctl: ", ctl->err);
	vfprintf(ctl->err, fmt, ap);
	fputc('\n', ctl->err);
}

int ctl_usage_error(struct ctl *ctl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(ctl, fmt, ap);
	va_end(ap);
	return CTL_E_USAGE;
}

int ctl_local_error(struct ctl *ctl, int r, const char *fmt, ...)
{
	va_list ap;

	fputs("staffctl: ", ctl->err);
	va_start(ap, fmt);
	vfprintf(ctl->err, fmt, ap);
	va_end(ap);
	fprintf(ctl->err, ": %s\n", strerror(r < 0 ? -r : r));
	return CTL_E_LOCAL;
}

int ctl_malformed(struct ctl *ctl, const char *what)
{
	fprintf(ctl->err, "staffctl: malformed reply from staffd: %s\n", what);
	ctl_disconnect(ctl);
	return CTL_E_UNREACHABLE;
}

void ctl_transport_message(int r, const char *socket, int timeout_ms, char *buf, size_t len)
{
	switch (-r) {
	case ENOENT:
		snprintf(buf, len, "cannot reach staffd: no socket at %s (is staffd running?)", socket);
		break;
	case ECONNREFUSED:
		snprintf(buf, len, "cannot reach staffd at %s: connection refused (is staffd running?)", socket);
		break;
	case EACCES:
	case EPERM:
		snprintf(buf, len, "cannot reach staffd at %s: permission denied", socket);
		break;
	case ETIMEDOUT:
		snprintf(buf, len, "staffd at %s did not answer within %d ms", socket, timeout_ms);
		break;
	case ECONNRESET:
	case EPIPE:
		snprintf(buf, len, "staffd at %s closed the connection", socket);
		break;
	case EBADMSG:
	case EPROTO:
		snprintf(buf, len, "malformed reply from staffd at %s", socket);
		break;
	case ENAMETOOLONG:
		snprintf(buf, len, "socket path too long: %s", socket);
		break;
	case EINVAL:
		snprintf(buf, len, "cannot reach staffd at '%s': invalid socket path", socket);
		break;
	default:
		snprintf(buf, len, "cannot reach staffd at %s: %s", socket, strerror(r < 0 ? -r : r));
		break;
	}
}

static int transport_error(struct ctl *ctl, int r)
{
	char msg[512];

	ctl_disconnect(ctl);
	if (r == -ENOMEM) {
		fputs("staffctl: out of memory\n", ctl->err);
		return CTL_E_LOCAL;
	}
	if (r == -EMSGSIZE) {
		fprintf(ctl->err, "staffctl: request too large: staffd accepts at most %d bytes\n", STAFF_FRAME_MAX);
		return CTL_E_USAGE;
	}
	ctl_transport_message(r, ctl->socket, ctl->timeout_ms, msg, sizeof(msg));
	fprintf(ctl->err, "staffctl: %s\n", msg);
	return CTL_E_UNREACHABLE;
}

/* What an administrator may do that others may not, by method. */
static const struct {
	const char *method;
	const char *what;
} admin_actions[] = {
	{ "LocationAdd", "add locations" },
	{ "LocationList", "list locations" },
	{ "LocationRename", "rename locations" },
	{ "LocationRemove", "remove locations" },
	{ "RoleAdd", "add roles" },
	{ "RoleGrant", "change roles" },
	{ "RoleRevoke", "change roles" },
	{ "RoleRemove", "remove roles" },
	{ "UserAdd", "add staff members" },
	{ "UserList", "list staff members" },
	{ "UserShow", "see other staff members' accounts" },
	{ "UserEdit", "edit staff accounts" },
	{ "UserDeactivate", "deactivate staff members" },
	{ "UserReactivate", "reactivate staff members" },
	{ "UserUnlock", "unlock staff accounts" },
	{ "UserResetPassword", "reset passwords" },
	{ "UserResendInvite", "resend invitations" },
	{ "UserCancelInvite", "cancel invitations" },
	{ "UserSetPin", "set other staff members' PINs" },
	{ "CodewordShow", "see the practice code word" },
	{ "CodewordRotate", "change the practice code word" },
	{ "AuditList", "read the audit trail" },
	{ "AuditVerify", "verify the audit trail" },
	{ "Backup", "back up the staff directory" },
};

static const char *short_name(const char *name)
{
	size_t n = strlen(STAFF_INTERFACE);

	if (name && strncmp(name, STAFF_INTERFACE, n) == 0 && name[n] == '.')
		return name + n + 1;
	return name;
}

static const char *str_or(const json_t *params, const char *key, const char *def)
{
	const char *s = json_is_object(params) ? json_get_str(params, key) : NULL;

	return s ? s : def;
}

static long long int_or(const json_t *params, const char *key, long long def)
{
	return json_is_object(params) ? json_get_int(params, key, def) : def;
}

static void permission_message(FILE *f, const json_t *params)
{
	const char *m = short_name(str_or(params, "method", NULL));

	if (m && strcmp(m, "Init") == 0) {
		fputs("permission denied: only root may set up the practice", f);
		return;
	}
	for (size_t i = 0; m && i < sizeof(admin_actions) / sizeof(admin_actions[0]); i++)
		if (strcmp(m, admin_actions[i].method) == 0) {
			fprintf(f, "permission denied: only administrators may %s", admin_actions[i].what);
			return;
		}
	if (m)
		fprintf(f, "permission denied: only administrators may call %s", m);
	else
		fputs("permission denied: only administrators may do this", f);
}

static void policy_message(FILE *f, const json_t *params)
{
	const json_t *rules = json_is_object(params) ? json_object_get(params, "rules") : NULL;
	const json_t *rule;
	size_t i, n = 0;

	fputs("the password does not meet the policy", f);
	json_array_foreach(rules, i, rule) {
		const char *msg = str_or(rule, "message", NULL);

		if (json_is_object(rule) && json_is_true(json_object_get(rule, "ok")))
			continue;
		if (!msg)
			msg = str_or(rule, "description", str_or(rule, "name", "unnamed rule"));
		fprintf(f, "%s\n  - %s", n++ == 0 ? ":" : "", msg);
	}
}

static void field_message(FILE *f, const json_t *params, const char *def)
{
	const char *field = str_or(params, "field", NULL);
	const char *msg = str_or(params, "message", def);

	if (field)
		fprintf(f, "%s: %s", field, msg);
	else
		fputs(msg, f);
}

/* Escapes every string in v, in place; -ENOMEM. */
static int escape_strings(json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;
	char *safe;
	int r = 0;

	if (json_is_string(v)) {
		if (!(safe = escape_dup(json_string_value(v), 0)))
			return -ENOMEM;
		r = json_string_set(v, safe) < 0 ? -ENOMEM : 0;
		free(safe);
	} else if (json_is_object(v)) {
		json_object_foreach(v, key, item)
			if (r == 0)
				r = escape_strings(item);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			if (r == 0)
				r = escape_strings(item);
	}
	return r;
}

/* The sentence for error (escaped already, as are the strings in p). */
static void describe(FILE *f, const char *error, const json_t *p)
{
	const char *e = short_name(error);
	char when[64];

	if (strcmp(e, "NotInitialized") == 0)
		fputs("the practice is not set up yet; run 'staffctl init' first", f);
	else if (strcmp(e, "AlreadyInitialized") == 0)
		fputs("the practice is already set up", f);
	else if (strcmp(e, "PermissionDenied") == 0)
		permission_message(f, p);
	else if (strcmp(e, "InvalidValue") == 0)
		field_message(f, p, "invalid value");
	else if (strcmp(e, "Conflict") == 0)
		field_message(f, p, "already in use");
	else if (strcmp(e, "NoSuchUser") == 0)
		fprintf(f, "no such user: %s", str_or(p, "username", "?"));
	else if (strcmp(e, "NoSuchRole") == 0)
		fprintf(f, "no such role: %s", str_or(p, "name", "?"));
	else if (strcmp(e, "NoSuchLocation") == 0)
		fprintf(f, "no such location: %s", str_or(p, "name", "?"));
	else if (strcmp(e, "InvalidState") == 0)
		fputs(str_or(p, "message", "not possible in the account's current state"), f);
	else if (strcmp(e, "SeatLimit") == 0)
		fprintf(f, "seat limit reached: the practice allows at most %lld active and pending staff members; "
			"deactivate someone or raise max_staff", int_or(p, "max_staff", 0));
	else if (strcmp(e, "PolicyViolation") == 0)
		policy_message(f, p);
	else if (strcmp(e, "Locked") == 0)
		fputs("the account is locked; an administrator can unlock it with 'staffctl user unlock'", f);
	else if (strcmp(e, "AuthenticationFailed") == 0)
		fputs("authentication failed", f);
	else if (strcmp(e, "AccountInactive") == 0)
		fputs("the account is deactivated", f);
	else if (strcmp(e, "NotActivated") == 0)
		fputs(str_or(p, "message", "the account is not activated yet"), f);
	else if (strcmp(e, "CodewordRequired") == 0)
		fputs("the practice code word is required", f);
	else if (strcmp(e, "NotPermitted") == 0)
		fprintf(f, "not permitted: %s", str_or(p, "message", "not allowed here"));
	else if (strcmp(e, "ProtocolViolation") == 0)
		fprintf(f, "staffd could not read the request: %s", str_or(p, "message", "protocol violation"));
	else if (strcmp(e, "TooSoon") == 0) {
		ctl_format_duration(int_or(p, "retry_after", 0), when, sizeof(when));
		fprintf(f, "too soon: try again in %s", when);
	} else if (strcmp(e, "FrameTooLarge") == 0)
		fprintf(f, "request too large: staffd accepts at most %lld bytes", int_or(p, "max", STAFF_FRAME_MAX));
	else if (strcmp(e, "Busy") == 0)
		fputs("staffd is busy; try again in a moment", f);
	else if (strcmp(e, "StorageFull") == 0)
		fprintf(f, "the staff database is full (%.1f of %.1f MiB used): nothing was changed; raise map_size "
			"in staffd.conf and restart staffd (until then only sign-ins and lockouts are recorded)",
			(double)int_or(p, "used", 0) / (1 << 20), (double)int_or(p, "map_size", 0) / (1 << 20));
	else if (strcmp(e, "InternalError") == 0)
		fprintf(f, "internal error in staffd: %s", str_or(p, "message", "no details"));
	else if (strcmp(e, "org.varlink.service.MethodNotFound") == 0)
		fprintf(f, "staffd does not support %s (is it an older version?)", str_or(p, "method", "this call"));
	else if (strcmp(e, "org.varlink.service.InvalidParameter") == 0)
		fprintf(f, "staffd rejected the parameter '%s'", str_or(p, "parameter", "?"));
	else
		fprintf(f, "staffd refused the request: %s", error[0] ? error : "unknown error");
}

int ctl_error_message(const char *error, const json_t *parameters, char **ret)
{
	char *buf = NULL, *name = NULL;
	size_t len = 0;
	json_t *p = NULL;
	FILE *f;
	int r = -ENOMEM;

	/* The reply quotes names and values as they were given: none may end
	 * the line or move the cursor. */
	if (parameters && (!(p = json_deep_copy(parameters)) || escape_strings(p) < 0))
		goto out;
	if (!(name = escape_dup(error ? error : "", 0)))
		goto out;
	if (!(f = open_memstream(&buf, &len)))
		goto out;
	describe(f, name, p);
	if (fclose(f) != 0) {
		free(buf);
		goto out;
	}
	*ret = buf;
	r = 0;
out:
	json_decref(p);
	free(name);
	return r;
}

void ctl_disconnect(struct ctl *ctl)
{
	varlink_client_free(ctl->client);
	ctl->client = NULL;
}

static int connect_once(struct ctl *ctl)
{
	int r;

	if (ctl->client)
		return 0;
	r = varlink_client_connect(ctl->socket, ctl->timeout_ms, &ctl->client);
	if (r < 0)
		return transport_error(ctl, r);
	return 0;
}

static int refused(struct ctl *ctl, const struct varlink_reply *reply)
{
	char *msg = NULL;

	if (ctl_error_message(reply->error, reply->parameters, &msg) < 0) {
		fputs("staffctl: out of memory\n", ctl->err);
		return CTL_E_LOCAL;
	}
	/* Escaped already: its line breaks are the message's own. */
	fprintf(ctl->err, "staffctl: %s\n", msg);
	free(msg);
	return CTL_E_REFUSED;
}

int ctl_call_full(struct ctl *ctl, const char *method, json_t *parameters, int fd, bool more,
		  ctl_reply_fn each, void *userdata, json_t **ret)
{
	struct varlink_reply reply = { 0 };
	int r;

	if ((r = connect_once(ctl)) < 0)
		return r;
	r = varlink_client_send(ctl->client, method, parameters, more, fd);
	if (r < 0)
		return transport_error(ctl, r);

	for (;;) {
		r = varlink_client_recv(ctl->client, &reply);
		if (r < 0)
			return transport_error(ctl, r);
		if (reply.error) {
			r = refused(ctl, &reply);
			/* Replies still queued for the call would confuse the next one. */
			if (reply.continues)
				ctl_disconnect(ctl);
			goto out;
		}
		if (!more) {
			if (reply.continues) {
				r = ctl_malformed(ctl, "more than one reply to a single call");
				goto out;
			}
			if (ret)
				*ret = json_incref(reply.parameters);
			r = 0;
			goto out;
		}
		r = each(ctl, reply.parameters, userdata);
		if (r < 0) {
			if (reply.continues)
				ctl_disconnect(ctl);
			goto out;
		}
		if (!reply.continues)
			goto out;
		varlink_reply_clear(&reply);
	}
out:
	varlink_reply_clear(&reply);
	return r;
}

int ctl_call(struct ctl *ctl, const char *method, json_t *parameters, json_t **ret)
{
	return ctl_call_full(ctl, method, parameters, -1, false, NULL, NULL, ret);
}

int ctl_reply_object(struct ctl *ctl, const json_t *parameters, const char *key, json_t **ret)
{
	json_t *v = json_object_get(parameters, key);
	char what[96];

	if (!json_is_object(v)) {
		snprintf(what, sizeof(what), "'%s' is missing or not an object", key);
		return ctl_malformed(ctl, what);
	}
	*ret = v;
	return 0;
}

int ctl_reply_array(struct ctl *ctl, const json_t *parameters, const char *key, json_t **ret)
{
	json_t *v = json_object_get(parameters, key);
	char what[96];

	if (!json_is_array(v)) {
		snprintf(what, sizeof(what), "'%s' is missing or not an array", key);
		return ctl_malformed(ctl, what);
	}
	*ret = v;
	return 0;
}

int ctl_oom(struct ctl *ctl)
{
	fputs("staffctl: out of memory\n", ctl->err);
	return CTL_E_LOCAL;
}

int ctl_json_set_str(json_t *obj, const char *key, const char *s)
{
	json_t *v;

	if (!s)
		return -EINVAL;
	v = json_string(s);
	if (!v) {
		/* json_string() also fails on bad UTF-8; tell the two apart. */
		v = json_stringn_nocheck(s, strlen(s));
		if (!v)
			return -ENOMEM;
		json_decref(v);
		return -EINVAL;
	}
	return json_object_set_new(obj, key, v) < 0 ? -ENOMEM : 0;
}

int ctl_set_str(struct ctl *ctl, json_t *obj, const char *key, const char *s, const char *what)
{
	int r = ctl_json_set_str(obj, key, s);

	if (r == -EINVAL)
		return ctl_usage_error(ctl, "%s: not valid UTF-8 text", what);
	if (r < 0)
		return ctl_oom(ctl);
	return 0;
}

int ctl_set_new(struct ctl *ctl, json_t *obj, const char *key, json_t *v)
{
	if (!v || json_object_set_new(obj, key, v) < 0)
		return ctl_oom(ctl);
	return 0;
}

/*
 * Every jansson block carries its size in front so that it can be wiped
 * when freed: codes and code words in replies then leave no copy behind.
 */
void ctl_json_wipe_on_free(void)
{
	json_wipe_install();
}
