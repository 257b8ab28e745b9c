/* Conversation helpers: prompts and messages through the application. */
#ifndef PAM_PRACTICE_CONV_H
#define PAM_PRACTICE_CONV_H

#include <stdbool.h>
#include <security/pam_modules.h>

#include "options.h"

#define PP_PROMPT_PASSWORD "Password: "
#define PP_PROMPT_PIN "PIN: "
#define PP_PROMPT_CODEWORD "Practice code word: "
#define PP_PROMPT_CURRENT "Current password: "
#define PP_PROMPT_NEW "New password: "
#define PP_PROMPT_RETYPE "Retype new password: "

/*
 * Asks prompt with echo off. Returns PAM_SUCCESS and a malloc'd answer in
 * *ret, to be released with pp_secret_free(), or the conversation's error
 * (PAM_CONV_ERR when the application gave no answer); *ret is untouched on
 * failure.
 */
int pp_ask_secret(pam_handle_t *pamh, const char *prompt, char **ret);

/* Wipes and frees a string holding a secret; NULL is fine. */
void pp_secret_free(char *s);

/* Wipes a string in place (for copies the module does not own, such as
 * strings inside JSON values). */
void pp_secret_wipe(char *s);

/* A PAM_TEXT_INFO message, not shown when silent. */
void pp_info(pam_handle_t *pamh, const struct pp_options *o, const char *text);

/* A PAM_ERROR_MSG message: always shown. */
void pp_error(pam_handle_t *pamh, const char *text);

#endif
