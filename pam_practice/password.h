/* Password changes: the two passes of pam_sm_chauthtok. */
#ifndef PAM_PRACTICE_PASSWORD_H
#define PAM_PRACTICE_PASSWORD_H

#include <security/pam_modules.h>

#include "options.h"

/*
 * PAM_PRELIM_CHECK: PAM_SUCCESS when staffd answers for user,
 * PAM_USER_UNKNOWN (quietly) when user is not one of its accounts,
 * PAM_AUTHINFO_UNAVAIL when it does not answer.
 */
int pp_password_prelim(pam_handle_t *pamh, const struct pp_options *o, const char *user);

/*
 * PAM_UPDATE_AUTHTOK: the current password (or the grant of an activation
 * or reset code), then up to o->retry new passwords, each rated by staffd.
 * Returns the code of pam_practice(8)'s password-change table.
 */
int pp_password_update(pam_handle_t *pamh, const struct pp_options *o, const char *user);

#endif
