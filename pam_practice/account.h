/* CheckAccount: may this account sign in now, and here? */
#ifndef PAM_PRACTICE_ACCOUNT_H
#define PAM_PRACTICE_ACCOUNT_H

#include <stdbool.h>
#include <security/pam_modules.h>

#include "options.h"

/*
 * Asks staffd about user, with o->location and o->require when here is
 * true. Returns PAM_SUCCESS and sets *must_change, or the refusal of the
 * account table, already shown to the user. With signed_in_with_code (an
 * activation or reset code was accepted), "not activated" and "locked" are
 * what is expected and pass with *must_change set.
 */
int pp_check_account(pam_handle_t *pamh, const struct pp_options *o, const char *user, bool here, bool signed_in_with_code,
		     bool *must_change);

#endif
