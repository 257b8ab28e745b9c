/* Conversation helpers. Secrets come back from the application in malloc'd
 * strings: they are wiped before they are freed, whatever happens. */
#include <stdlib.h>
#include <string.h>
#include <security/pam_ext.h>

#include "conv.h"

int pp_ask_secret(pam_handle_t *pamh, const char *prompt, char **ret)
{
	char *answer = NULL;
	int r;

	r = pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &answer, "%s", prompt);
	if (r != PAM_SUCCESS) {
		pp_secret_free(answer);
		return r;
	}
	if (!answer)
		return PAM_CONV_ERR;
	*ret = answer;
	return PAM_SUCCESS;
}

void pp_secret_wipe(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
}

void pp_secret_free(char *s)
{
	pp_secret_wipe(s);
	free(s);
}

void pp_info(pam_handle_t *pamh, const struct pp_options *o, const char *text)
{
	if (!o->silent)
		(void)pam_info(pamh, "%s", text);
}

void pp_error(pam_handle_t *pamh, const char *text)
{
	(void)pam_error(pamh, "%s", text);
}
