/* What one PAM transaction remembers between its phases (pam_set_data):
 * the grant an activation or reset code earned, and staffd's word that the
 * password must be changed. */
#ifndef PAM_PRACTICE_STATE_H
#define PAM_PRACTICE_STATE_H

#include <stdbool.h>
#include <security/pam_modules.h>

/* A grant as staffd hands it out: 64 lowercase hex digits. */
bool pp_grant_valid(const char *grant);

/* Keeps a copy of grant until pam_end or pp_state_drop, which wipe it. */
int pp_grant_keep(pam_handle_t *pamh, const char *grant);

/* The grant kept, or NULL. */
const char *pp_grant_get(pam_handle_t *pamh);

int pp_must_change_set(pam_handle_t *pamh);
bool pp_must_change_get(pam_handle_t *pamh);

/* Forgets (and wipes) both. */
void pp_state_drop(pam_handle_t *pamh);

#endif
