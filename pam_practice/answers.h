/* What the user is told: the module's messages, and staffd's refusals
 * turned into PAM codes, each message shown as the code is decided. */
#ifndef PAM_PRACTICE_ANSWERS_H
#define PAM_PRACTICE_ANSWERS_H

#include <stdbool.h>
#include <security/pam_modules.h>

#include "options.h"
#include "varlink.h"

#define PP_MSG_AUTH_FAILURE "Authentication failure"
#define PP_MSG_PERMISSION_DENIED "Permission denied"
#define PP_MSG_LOCKED "Your account is locked: ask your administrator to unlock it."
#define PP_MSG_INACTIVE "Your account has been deactivated."
#define PP_MSG_NOT_ACTIVATED "Your account is not activated: sign in with the activation code from your invitation."
#define PP_MSG_NOT_PERMITTED "You are not permitted to sign in here."
#define PP_MSG_BUSY "The sign-in service is busy: try again in a moment."
#define PP_MSG_UNAVAILABLE "The sign-in service is unavailable."
#define PP_MSG_ACTIVATE "Activation code accepted: choose your password."
#define PP_MSG_RESET "Reset code accepted: choose a new password."
#define PP_MSG_MISMATCH "Passwords do not match."
#define PP_MSG_TOO_LONG "Passwords are at most 1024 bytes."
#define PP_MSG_NOT_UTF8 "The password must be valid UTF-8 text."
#define PP_MSG_POLICY "The password does not meet the policy."
#define PP_MSG_RETRIES "The password was not changed: too many attempts."

/* True when reply is the io.practice.Staff error name (e.g. "Locked"). */
bool pp_is_error(const struct varlink_reply *reply, const char *name);

/* True for any io.practice.Staff error, false for a success or another interface's error. */
bool pp_is_staff_error(const struct varlink_reply *reply);

/* Shows staffd's "message" parameter as a sentence, or fallback without one. */
void pp_show_daemon_message(pam_handle_t *pamh, const struct varlink_reply *reply, const char *fallback);

/* "The sign-in service is unavailable.": PAM_AUTHINFO_UNAVAIL. */
int pp_unavailable(pam_handle_t *pamh);

/*
 * A refused Authenticate or ChangePassword (reply->error set): shows the
 * message and returns the PAM code of pam_practice(8)'s authentication
 * table. silent hides whether the account is locked or deactivated.
 */
int pp_login_refusal(pam_handle_t *pamh, const struct pp_options *o, const struct varlink_reply *reply);

/* A refused CheckAccount (reply->error set), as in the account table. */
int pp_account_refusal(pam_handle_t *pamh, const struct pp_options *o, const struct varlink_reply *reply);

#endif
