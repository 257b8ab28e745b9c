/* Per-transaction state. Nothing lives outside the PAM handle: the same
 * module may serve many handles in one process, one thread each. */
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "state.h"

#define DATA_GRANT "pam_practice_grant"
#define DATA_MUST_CHANGE "pam_practice_must_change"
#define GRANT_LEN 64

/* Stands for "true" under DATA_MUST_CHANGE; never written through. */
static const char must_change_marker[] = "1";

static void cleanup_grant(pam_handle_t *pamh, void *data, int error_status)
{
	(void)pamh;
	(void)error_status;
	pp_secret_free(data);
}

bool pp_grant_valid(const char *grant)
{
	if (!grant || strlen(grant) != GRANT_LEN)
		return false;
	for (; *grant; grant++)
		if (!((*grant >= '0' && *grant <= '9') || (*grant >= 'a' && *grant <= 'f')))
			return false;
	return true;
}

int pp_grant_keep(pam_handle_t *pamh, const char *grant)
{
	char *copy = strdup(grant);
	int r;

	if (!copy)
		return PAM_BUF_ERR;
	r = pam_set_data(pamh, DATA_GRANT, copy, cleanup_grant);
	if (r != PAM_SUCCESS)
		pp_secret_free(copy);
	return r;
}

const char *pp_grant_get(pam_handle_t *pamh)
{
	const void *g = NULL;

	return pam_get_data(pamh, DATA_GRANT, &g) == PAM_SUCCESS ? g : NULL;
}

int pp_must_change_set(pam_handle_t *pamh)
{
	return pam_set_data(pamh, DATA_MUST_CHANGE, (void *)must_change_marker, NULL);
}

bool pp_must_change_get(pam_handle_t *pamh)
{
	const void *m = NULL;

	return pam_get_data(pamh, DATA_MUST_CHANGE, &m) == PAM_SUCCESS && m;
}

void pp_state_drop(pam_handle_t *pamh)
{
	(void)pam_set_data(pamh, DATA_GRANT, NULL, NULL);
	(void)pam_set_data(pamh, DATA_MUST_CHANGE, NULL, NULL);
}
