/*
 * pam_practice: staff sign-in through staffd. The daemon is the only judge
 * of passwords, codes, lockout and policy; this file holds the PAM entry
 * points and the sign-in flow: it asks the questions, sends them to staffd
 * and turns the answers into PAM codes and messages (DESIGN 5).
 */
#include <stdbool.h>
#include <string.h>
#include <syslog.h>
#include <jansson.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "staff-protocol.h"
#include "account.h"
#include "answers.h"
#include "conv.h"
#include "json-fields.h"
#include "localfiles.h"
#include "options.h"
#include "password.h"
#include "staffd-call.h"
#include "state.h"

static void warn_argument(void *ctx, const char *arg, const char *why)
{
	pam_syslog(ctx, LOG_ERR, "ignoring argument \"%s\": %s", arg, why);
}

static void options_load(pam_handle_t *pamh, int flags, int argc, const char **argv, struct pp_options *o)
{
	pp_options_parse(o, flags, argc, argv, warn_argument, pamh);
}

/*
 * A local account (a line in /etc/passwd) is never a staff account: staffd
 * refuses such names, and an account added locally later must not be
 * answered for by staffd either. It is handed to the modules after this
 * one, pam_unix usually, before anything is asked or sent, so that root and
 * other local accounts never depend on staffd, whether it is down, frozen,
 * busy or lying.
 */
static bool is_local_account(pam_handle_t *pamh, const struct pp_options *o, const char *user)
{
	int r = local_file_has(LOCAL_PASSWD_FILE, user);

	if (r < 0) {
		/* pam_unix cannot read it either; staffd refuses local names anyway. */
		pam_syslog(pamh, LOG_ERR, "cannot read %s: %s", LOCAL_PASSWD_FILE, strerror(-r));
		return false;
	}
	if (r > 0 && o->debug)
		pam_syslog(pamh, LOG_DEBUG, "%s is a local account: left to the other modules", user);
	return r > 0;
}

/* The user name, or a PAM error: an empty name is nobody staffd knows, and a
 * local account is not one of its own. */
static int get_user(pam_handle_t *pamh, const struct pp_options *o, const char **user)
{
	int r = pam_get_user(pamh, user, NULL);

	if (r != PAM_SUCCESS) {
		pam_syslog(pamh, LOG_ERR, "cannot get the user name: %s", pam_strerror(pamh, r));
		return r;
	}
	if (!*user || !**user || is_local_account(pamh, o, *user))
		return PAM_USER_UNKNOWN;
	return PAM_SUCCESS;
}

/* ---- authenticate ---- */

/*
 * The password (or PIN) to check: *secret points at PAM's copy or at *owned.
 * A PIN is never taken from or left in PAM_AUTHTOK: the modules stacked
 * after this one expect a password there.
 */
static int get_secret(pam_handle_t *pamh, const struct pp_options *o, const char **secret, char **owned)
{
	const void *item = NULL;
	char *answer = NULL;
	int r;

	if (o->pin) {
		r = pp_ask_secret(pamh, PP_PROMPT_PIN, owned);
		if (r == PAM_SUCCESS)
			*secret = *owned;
		return r;
	}
	if (o->use_first_pass || o->try_first_pass) {
		r = pam_get_item(pamh, PAM_AUTHTOK, &item);
		if (r == PAM_SUCCESS && item) {
			*secret = item;
			return PAM_SUCCESS;
		}
		if (o->use_first_pass) {
			pam_syslog(pamh, LOG_ERR, "use_first_pass given but no password was entered before");
			return PAM_AUTH_ERR;
		}
	}
	r = pp_ask_secret(pamh, PP_PROMPT_PASSWORD, &answer);
	if (r != PAM_SUCCESS)
		return r;
	/* PAM keeps its own copy for the modules after this one and wipes it at pam_end. */
	r = pam_set_item(pamh, PAM_AUTHTOK, answer);
	pp_secret_free(answer);
	if (r == PAM_SUCCESS)
		r = pam_get_item(pamh, PAM_AUTHTOK, &item);
	if (r == PAM_SUCCESS && !item)
		r = PAM_AUTH_ERR;
	if (r == PAM_SUCCESS)
		*secret = item;
	return r;
}

/* An accepted Authenticate: remember what the next phases need. */
static int auth_accepted(pam_handle_t *pamh, const struct pp_options *o, const json_t *p)
{
	const char *result = json_get_str(p, "result"), *grant = json_get_str(p, "grant");
	json_t *must = json_object_get(p, "must_change_password");
	int r;

	if (!result || !json_is_boolean(must))
		goto malformed;
	if (strcmp(result, "ok") == 0)
		return json_is_true(must) ? pp_must_change_set(pamh) : PAM_SUCCESS;
	if ((strcmp(result, "activate") != 0 && strcmp(result, "reset") != 0) || !pp_grant_valid(grant))
		goto malformed;
	r = pp_grant_keep(pamh, grant);
	if (r != PAM_SUCCESS)
		return r;
	pp_info(pamh, o, strcmp(result, "reset") == 0 ? PP_MSG_RESET : PP_MSG_ACTIVATE);
	return PAM_SUCCESS;
malformed:
	pam_syslog(pamh, LOG_ERR, "malformed Authenticate reply from staffd");
	return pp_unavailable(pamh);
}

/*
 * Authenticate, asking for the code word when staffd says the secret was an
 * activation or reset code. *codeword may be set on entry (codeword=always)
 * or here; the caller wipes it.
 */
static int authenticate(pam_handle_t *pamh, const struct pp_options *o, const char *user, const char *secret,
			char **codeword)
{
	struct varlink_reply reply = { 0 };
	json_t *params = json_object();
	int r, pr;

	if (!params)
		return PAM_BUF_ERR;
	if (pp_json_set_string(params, "username", user) < 0) {
		/* Not UTF-8: no staff account is named like that. */
		pp_error(pamh, PP_MSG_AUTH_FAILURE);
		pr = PAM_USER_UNKNOWN;
		goto out;
	}
	if (pp_json_set_string(params, "secret", secret) < 0 ||
	    (*codeword && pp_json_set_string(params, "codeword", *codeword) < 0)) {
		pp_error(pamh, PP_MSG_AUTH_FAILURE);
		pr = PAM_AUTH_ERR;
		goto out;
	}
	if ((o->pin && json_object_set_new(params, "pin", json_true()) < 0) ||
	    (o->codeword == PP_CODEWORD_ALWAYS && json_object_set_new(params, "require_codeword", json_true()) < 0)) {
		pr = PAM_BUF_ERR;
		goto out;
	}
	pp_json_add_origin(pamh, params);

	r = pp_staffd_call(pamh, o, STAFF_METHOD("Authenticate"), params, &reply);
	if (r == 0 && pp_is_error(&reply, "CodewordRequired") && !*codeword) {
		varlink_reply_clear(&reply);
		pr = pp_ask_secret(pamh, PP_PROMPT_CODEWORD, codeword);
		if (pr != PAM_SUCCESS)
			goto out;
		if (pp_json_set_string(params, "codeword", *codeword) < 0) {
			pp_error(pamh, PP_MSG_AUTH_FAILURE);
			pr = PAM_AUTH_ERR;
			goto out;
		}
		r = pp_staffd_call(pamh, o, STAFF_METHOD("Authenticate"), params, &reply);
	}
	if (r < 0) {
		pr = pp_unavailable(pamh);
		goto out;
	}
	pr = reply.error ? pp_login_refusal(pamh, o, &reply) : auth_accepted(pamh, o, reply.parameters);
	pp_debug_outcome(pamh, o, "Authenticate", user, &reply, "accepted");
out:
	/* The request holds the secret and the code word, an accepted reply the grant. */
	pp_json_wipe(reply.parameters);
	varlink_reply_clear(&reply);
	pp_json_wipe(params);
	json_decref(params);
	return pr;
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct pp_options o;
	const char *user = NULL, *secret = NULL;
	char *owned = NULL, *codeword = NULL;
	int r;

	options_load(pamh, flags, argc, argv, &o);
	r = get_user(pamh, &o, &user);
	if (r != PAM_SUCCESS)
		return r;
	/* A new sign-in voids what an earlier one in this transaction earned. */
	pp_state_drop(pamh);
	/* Asked before staffd is, so the prompts do not tell which accounts exist. */
	r = get_secret(pamh, &o, &secret, &owned);
	if (r != PAM_SUCCESS)
		goto out;
	if (o.codeword == PP_CODEWORD_ALWAYS) {
		r = pp_ask_secret(pamh, PP_PROMPT_CODEWORD, &codeword);
		if (r != PAM_SUCCESS)
			goto out;
	}
	if (strlen(secret) > STAFF_SECRET_MAX) {
		pp_error(pamh, PP_MSG_AUTH_FAILURE);
		r = PAM_AUTH_ERR;
		goto out;
	}
	r = authenticate(pamh, &o, user, secret, &codeword);
out:
	pp_secret_free(owned);
	pp_secret_free(codeword);
	return r;
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}

/* ---- account ---- */

PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct pp_options o;
	const char *user = NULL;
	bool must_change = false;
	int r;

	options_load(pamh, flags, argc, argv, &o);
	r = get_user(pamh, &o, &user);
	if (r != PAM_SUCCESS)
		return r;
	/* Signed in with an activation or reset code: the password comes next,
	 * but location= and require= hold all the same. */
	r = pp_check_account(pamh, &o, user, true, pp_grant_get(pamh) != NULL, &must_change);
	if (r != PAM_SUCCESS)
		return r;
	if (pp_grant_get(pamh))
		return PAM_NEW_AUTHTOK_REQD;
	return must_change || pp_must_change_get(pamh) ? PAM_NEW_AUTHTOK_REQD : PAM_SUCCESS;
}

/* ---- password ---- */

PAM_EXTERN int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct pp_options o;
	const char *user = NULL;
	int r;

	options_load(pamh, flags, argc, argv, &o);
	if (!(flags & (PAM_PRELIM_CHECK | PAM_UPDATE_AUTHTOK)))
		return PAM_SERVICE_ERR;
	r = get_user(pamh, &o, &user);
	if (r != PAM_SUCCESS)
		return r;
	if (flags & PAM_PRELIM_CHECK)
		return pp_password_prelim(pamh, &o, user);
	return pp_password_update(pamh, &o, user);
}
