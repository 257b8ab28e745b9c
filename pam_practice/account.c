/* The account check: no secret is involved, so it also serves SSH keys,
 * cron, and the first look a password change takes. */
#include <string.h>
#include <syslog.h>
#include <jansson.h>
#include <security/pam_ext.h>

#include "staff-protocol.h"
#include "account.h"
#include "answers.h"
#include "json-fields.h"
#include "staffd-call.h"

int pp_check_account(pam_handle_t *pamh, const struct pp_options *o, const char *user, bool here, bool signed_in_with_code,
		     bool *must_change)
{
	struct varlink_reply reply = { 0 };
	json_t *params = json_object(), *must;
	int r, pr;

	if (!params)
		return PAM_BUF_ERR;
	if (pp_json_set_string(params, "username", user) < 0) {
		/* Not UTF-8: no staff account is named like that. */
		pr = PAM_USER_UNKNOWN;
		goto out;
	}
	if (here && ((o->location && pp_json_set_string(params, "location", o->location) < 0) ||
		     (o->require && pp_json_set_string(params, "require", o->require) < 0))) {
		pr = PAM_BUF_ERR;
		goto out;
	}
	r = pp_staffd_call(pamh, o, STAFF_METHOD("CheckAccount"), params, &reply);
	if (r < 0) {
		pr = pp_unavailable(pamh);
		goto out;
	}
	if (reply.error && signed_in_with_code &&
	    (strcmp(reply.error, STAFF_ERROR("NotActivated")) == 0 || strcmp(reply.error, STAFF_ERROR("Locked")) == 0)) {
		/* Expected while the code's grant is held: activation or the reset of a lock comes next. */
		*must_change = true;
		pr = PAM_SUCCESS;
	} else if (reply.error) {
		pr = pp_account_refusal(pamh, o, &reply);
	} else if (!json_get_str(reply.parameters, "status") ||
		   !json_is_boolean(must = json_object_get(reply.parameters, "must_change_password"))) {
		pam_syslog(pamh, LOG_ERR, "malformed CheckAccount reply from staffd");
		pr = pp_unavailable(pamh);
	} else {
		*must_change = json_is_true(must);
		pr = PAM_SUCCESS;
	}
	pp_debug_outcome(pamh, o, "CheckAccount", user, &reply, "ok");
out:
	varlink_reply_clear(&reply);
	json_decref(params);
	return pr;
}
