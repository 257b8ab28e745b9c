/* staffd's refusals as PAM codes and sentences. One table per phase, so
 * that pam_practice(8) and this file can be read side by side. */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <security/pam_ext.h>

#include "staff-protocol.h"
#include "answers.h"
#include "conv.h"
#include "json-fields.h"

#define STAFF_PREFIX STAFF_INTERFACE "."

/* The bare name of an io.practice.Staff error, else NULL. */
static const char *staff_error(const struct varlink_reply *reply)
{
	if (!reply->error || strncmp(reply->error, STAFF_PREFIX, strlen(STAFF_PREFIX)) != 0)
		return NULL;
	return reply->error + strlen(STAFF_PREFIX);
}

bool pp_is_error(const struct varlink_reply *reply, const char *name)
{
	const char *e = staff_error(reply);

	return e && strcmp(e, name) == 0;
}

bool pp_is_staff_error(const struct varlink_reply *reply)
{
	return staff_error(reply) != NULL;
}

void pp_show_daemon_message(pam_handle_t *pamh, const struct varlink_reply *reply, const char *fallback)
{
	const char *m = json_get_str(reply->parameters, "message");
	size_t n;
	char *s;

	if (!m || !*m) {
		pp_error(pamh, fallback);
		return;
	}
	n = strlen(m);
	s = malloc(n + 2);
	if (!s) {
		pp_error(pamh, fallback);
		return;
	}
	memcpy(s, m, n + 1);
	if (s[0] >= 'a' && s[0] <= 'z')
		s[0] = (char)(s[0] - 'a' + 'A');
	if (s[n - 1] != '.') {
		s[n] = '.';
		s[n + 1] = '\0';
	}
	pp_error(pamh, s);
	free(s);
}

int pp_unavailable(pam_handle_t *pamh)
{
	pp_error(pamh, PP_MSG_UNAVAILABLE);
	return PAM_AUTHINFO_UNAVAIL;
}

static int unexpected(pam_handle_t *pamh, const struct varlink_reply *reply)
{
	pam_syslog(pamh, LOG_ERR, "unexpected answer from staffd: %s", reply->error ? reply->error : "(none)");
	return pp_unavailable(pamh);
}

int pp_login_refusal(pam_handle_t *pamh, const struct pp_options *o, const struct varlink_reply *reply)
{
	const char *e = staff_error(reply);

	if (!e)
		return unexpected(pamh, reply);
	if (strcmp(e, "AuthenticationFailed") == 0) {
		pp_error(pamh, PP_MSG_AUTH_FAILURE);
		return PAM_AUTH_ERR;
	}
	if (strcmp(e, "Locked") == 0) {
		pp_error(pamh, o->silent ? PP_MSG_AUTH_FAILURE : PP_MSG_LOCKED);
		return PAM_AUTH_ERR;
	}
	if (strcmp(e, "AccountInactive") == 0) {
		pp_error(pamh, o->silent ? PP_MSG_AUTH_FAILURE : PP_MSG_INACTIVE);
		return PAM_AUTH_ERR;
	}
	if (strcmp(e, "NotActivated") == 0) {
		pp_show_daemon_message(pamh, reply, PP_MSG_NOT_ACTIVATED);
		return PAM_AUTH_ERR;
	}
	if (strcmp(e, "NotPermitted") == 0) {
		pp_show_daemon_message(pamh, reply, PP_MSG_NOT_PERMITTED);
		return PAM_AUTH_ERR;
	}
	if (strcmp(e, "NoSuchUser") == 0) {
		pp_error(pamh, PP_MSG_AUTH_FAILURE);
		return PAM_USER_UNKNOWN;
	}
	if (strcmp(e, "PermissionDenied") == 0) {
		pp_error(pamh, PP_MSG_PERMISSION_DENIED);
		return PAM_PERM_DENIED;
	}
	if (strcmp(e, "Busy") == 0) {
		pp_error(pamh, PP_MSG_BUSY);
		return PAM_AUTHINFO_UNAVAIL;
	}
	/* A secret the daemon would not take (too long), or the code word asked for again. */
	if (strcmp(e, "InvalidValue") == 0 || strcmp(e, "CodewordRequired") == 0) {
		pp_error(pamh, PP_MSG_AUTH_FAILURE);
		return PAM_AUTH_ERR;
	}
	return unexpected(pamh, reply);
}

int pp_account_refusal(pam_handle_t *pamh, const struct pp_options *o, const struct varlink_reply *reply)
{
	const char *e = staff_error(reply);

	if (!e)
		return unexpected(pamh, reply);
	if (strcmp(e, "AccountInactive") == 0) {
		pp_error(pamh, o->silent ? PP_MSG_PERMISSION_DENIED : PP_MSG_INACTIVE);
		return PAM_ACCT_EXPIRED;
	}
	if (strcmp(e, "Locked") == 0) {
		pp_error(pamh, o->silent ? PP_MSG_PERMISSION_DENIED : PP_MSG_LOCKED);
		return PAM_PERM_DENIED;
	}
	if (strcmp(e, "NotActivated") == 0) {
		pp_error(pamh, PP_MSG_NOT_ACTIVATED);
		return PAM_PERM_DENIED;
	}
	if (strcmp(e, "NotPermitted") == 0) {
		pp_error(pamh, PP_MSG_NOT_PERMITTED);
		return PAM_PERM_DENIED;
	}
	/* Quiet, so that local accounts fall through to pam_unix without a word. */
	if (strcmp(e, "NoSuchUser") == 0)
		return PAM_USER_UNKNOWN;
	if (strcmp(e, "PermissionDenied") == 0) {
		pp_error(pamh, PP_MSG_PERMISSION_DENIED);
		return PAM_PERM_DENIED;
	}
	if (strcmp(e, "Busy") == 0) {
		pp_error(pamh, PP_MSG_BUSY);
		return PAM_AUTHINFO_UNAVAIL;
	}
	return unexpected(pamh, reply);
}
