/* Password changes. staffd is the only judge of a new password: the module
 * shows its rating and the rules it names, and has no rule of its own. */
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <jansson.h>
#include <security/pam_ext.h>

#include "staff-protocol.h"
#include "account.h"
#include "answers.h"
#include "conv.h"
#include "json-fields.h"
#include "password.h"
#include "staffd-call.h"
#include "state.h"

/* The message of every rule in rules that is not met. */
static void show_failed_rules(pam_handle_t *pamh, const json_t *rules)
{
	const json_t *rule;
	size_t i;
	int shown = 0;

	json_array_foreach(rules, i, rule) {
		const char *m = json_get_str(rule, "message");

		if (json_is_true(json_object_get(rule, "ok")))
			continue;
		if (!m)
			m = json_get_str(rule, "description");
		pp_error(pamh, m ? m : PP_MSG_POLICY);
		shown++;
	}
	if (!shown)
		pp_error(pamh, PP_MSG_POLICY);
}

static void show_strength(pam_handle_t *pamh, const struct pp_options *o, long long score)
{
	char meter[64];

	if (score < 0)
		score = 0;
	if (score > 4)
		score = 4;
	snprintf(meter, sizeof(meter), "Strength: [%.*s%.*s] %lld of 4", (int)score, "####", (int)(4 - score), "----",
		 score);
	pp_info(pamh, o, meter);
}

/*
 * PolicyCheck: PAM_SUCCESS when the password may be tried, PAM_TRY_AGAIN
 * when staffd already says it breaks a rule (shown), or a failure.
 */
static int policy_check(pam_handle_t *pamh, const struct pp_options *o, const char *user, const char *password)
{
	struct varlink_reply reply = { 0 };
	json_t *params = json_object(), *ok, *score, *rules;
	int r, pr;

	if (!params)
		return PAM_BUF_ERR;
	if (pp_json_set_string(params, "password", password) < 0 || pp_json_set_string(params, "username", user) < 0) {
		pp_error(pamh, PP_MSG_NOT_UTF8);
		pr = PAM_TRY_AGAIN;
		goto out;
	}
	r = pp_staffd_call(pamh, o, STAFF_METHOD("PolicyCheck"), params, &reply);
	if (r < 0) {
		pr = pp_unavailable(pamh);
		goto out;
	}
	ok = json_object_get(reply.parameters, "ok");
	score = json_object_get(reply.parameters, "score");
	rules = json_object_get(reply.parameters, "rules");
	if (pp_is_error(&reply, "InvalidValue")) {
		pp_show_daemon_message(pamh, &reply, PP_MSG_TOO_LONG);
		pr = PAM_TRY_AGAIN;
	} else if (reply.error) {
		pr = pp_login_refusal(pamh, o, &reply);
	} else if (!json_is_boolean(ok) || !json_is_integer(score) || !json_is_array(rules)) {
		pam_syslog(pamh, LOG_ERR, "malformed PolicyCheck reply from staffd");
		pr = pp_unavailable(pamh);
	} else {
		show_strength(pamh, o, json_integer_value(score));
		pr = PAM_SUCCESS;
		if (!json_is_true(ok)) {
			show_failed_rules(pamh, rules);
			pr = PAM_TRY_AGAIN;
		}
	}
out:
	varlink_reply_clear(&reply);
	pp_json_wipe(params);
	json_decref(params);
	return pr;
}

/* ChangePassword: PAM_SUCCESS, PAM_TRY_AGAIN after a policy refusal (shown), or a failure. */
static int change_password(pam_handle_t *pamh, const struct pp_options *o, const char *user, const char *old,
			   const char *grant, const char *password)
{
	struct varlink_reply reply = { 0 };
	json_t *params = json_object();
	int r, pr;

	if (!params)
		return PAM_BUF_ERR;
	if (pp_json_set_string(params, "username", user) < 0 ||
	    pp_json_set_string(params, "new_password", password) < 0 ||
	    (grant ? pp_json_set_string(params, "grant", grant)
		   : pp_json_set_string(params, "old_password", old)) < 0) {
		pp_error(pamh, PP_MSG_AUTH_FAILURE);
		pr = PAM_AUTH_ERR;
		goto out;
	}
	pp_json_add_origin(pamh, params);
	r = pp_staffd_call(pamh, o, STAFF_METHOD("ChangePassword"), params, &reply);
	if (r < 0) {
		pr = pp_unavailable(pamh);
		goto out;
	}
	if (!reply.error) {
		pr = PAM_SUCCESS;
	} else if (pp_is_error(&reply, "PolicyViolation")) {
		show_failed_rules(pamh, json_object_get(reply.parameters, "rules"));
		pr = PAM_TRY_AGAIN;
	} else if (pp_is_error(&reply, "InvalidValue")) {
		pp_show_daemon_message(pamh, &reply, PP_MSG_TOO_LONG);
		pr = PAM_TRY_AGAIN;
	} else if (pp_is_error(&reply, "NotPermitted")) {
		/* The grant of the code ran out, or the account may not change its password now. */
		pp_show_daemon_message(pamh, &reply, PP_MSG_PERMISSION_DENIED);
		pr = PAM_PERM_DENIED;
	} else {
		pr = pp_login_refusal(pamh, o, &reply);
	}
	pp_debug_outcome(pamh, o, "ChangePassword", user, &reply, "ok");
out:
	varlink_reply_clear(&reply);
	pp_json_wipe(params);
	json_decref(params);
	return pr;
}

/* The current password: PAM_OLDAUTHTOK when a module before asked for it, else a prompt. */
static int get_old_password(pam_handle_t *pamh, const char **old)
{
	const void *item = NULL;
	char *answer = NULL;
	int r;

	if (pam_get_item(pamh, PAM_OLDAUTHTOK, &item) == PAM_SUCCESS && item) {
		*old = item;
		return PAM_SUCCESS;
	}
	r = pp_ask_secret(pamh, PP_PROMPT_CURRENT, &answer);
	if (r != PAM_SUCCESS)
		return r;
	/* PAM keeps its own copy and wipes it at pam_end. */
	r = pam_set_item(pamh, PAM_OLDAUTHTOK, answer);
	pp_secret_free(answer);
	if (r == PAM_SUCCESS)
		r = pam_get_item(pamh, PAM_OLDAUTHTOK, &item);
	if (r == PAM_SUCCESS && !item)
		r = PAM_AUTHTOK_ERR;
	if (r == PAM_SUCCESS)
		*old = item;
	return r;
}

/* One new password, rated, asked twice and sent: PAM_TRY_AGAIN for another round. */
static int change_round(pam_handle_t *pamh, const struct pp_options *o, const char *user, const char *old,
			const char *grant)
{
	char *password = NULL, *again = NULL;
	int r;

	r = pp_ask_secret(pamh, PP_PROMPT_NEW, &password);
	if (r != PAM_SUCCESS)
		goto out;
	if (strlen(password) > STAFF_SECRET_MAX) {
		pp_error(pamh, PP_MSG_TOO_LONG);
		r = PAM_TRY_AGAIN;
		goto out;
	}
	r = policy_check(pamh, o, user, password);
	if (r != PAM_SUCCESS)
		goto out;
	r = pp_ask_secret(pamh, PP_PROMPT_RETYPE, &again);
	if (r != PAM_SUCCESS)
		goto out;
	if (strcmp(password, again) != 0) {
		pp_error(pamh, PP_MSG_MISMATCH);
		r = PAM_TRY_AGAIN;
		goto out;
	}
	r = change_password(pamh, o, user, old, grant, password);
	if (r == PAM_SUCCESS) {
		/* The grant is spent. Modules stacked after this one see the new password. */
		pp_state_drop(pamh);
		r = pam_set_item(pamh, PAM_AUTHTOK, password);
	}
out:
	pp_secret_free(password);
	pp_secret_free(again);
	return r;
}

int pp_password_prelim(pam_handle_t *pamh, const struct pp_options *o, const char *user)
{
	struct varlink_reply reply = { 0 };
	json_t *params = json_object();
	int r, pr;

	if (!params)
		return PAM_BUF_ERR;
	if (pp_json_set_string(params, "username", user) < 0) {
		pr = PAM_USER_UNKNOWN;
		goto out;
	}
	r = pp_staffd_call(pamh, o, STAFF_METHOD("CheckAccount"), params, &reply);
	if (r < 0)
		pr = pp_unavailable(pamh);
	else if (pp_is_error(&reply, "NoSuchUser") || pp_is_error(&reply, "Busy") ||
		 (reply.error && !pp_is_staff_error(&reply)))
		pr = pp_account_refusal(pamh, o, &reply);
	else
		/* Refusals of a known account are explained by the second pass. */
		pr = PAM_SUCCESS;
out:
	varlink_reply_clear(&reply);
	json_decref(params);
	return pr;
}

int pp_password_update(pam_handle_t *pamh, const struct pp_options *o, const char *user)
{
	const char *old = NULL, *grant = pp_grant_get(pamh);
	bool must_change = false;
	int r;

	if (!grant) {
		/* No code's grant: an account that may not change its password is told before typing anything. */
		r = pp_check_account(pamh, o, user, false, false, &must_change);
		if (r != PAM_SUCCESS)
			return r == PAM_ACCT_EXPIRED ? PAM_PERM_DENIED : r;
		r = get_old_password(pamh, &old);
		if (r != PAM_SUCCESS)
			return r;
	}
	for (unsigned i = 0; i < o->retry; i++) {
		r = change_round(pamh, o, user, old, grant);
		if (r != PAM_TRY_AGAIN)
			return r;
	}
	pp_error(pamh, PP_MSG_RETRIES);
	return PAM_AUTHTOK_ERR;
}
