/* pam_practice module arguments: pure parsing, no PAM calls, no I/O. */
#ifndef PAM_PRACTICE_OPTIONS_H
#define PAM_PRACTICE_OPTIONS_H

#include <stdbool.h>

#define PP_TIMEOUT_DEFAULT 5000
#define PP_TIMEOUT_MAX 600000
#define PP_RETRY_DEFAULT 3
#define PP_RETRY_MAX 20

enum pp_codeword {
	PP_CODEWORD_ACTIVATION,	/* only when signing in with an activation or reset code */
	PP_CODEWORD_ALWAYS,	/* at every login */
};

struct pp_options {
	const char *socket;	/* points into argv or at a string literal */
	int timeout_ms;
	const char *location;	/* NULL: no location check */
	const char *require;	/* NULL: no permission check */
	bool use_first_pass;
	bool try_first_pass;
	bool silent;
	bool debug;
	bool pin;
	enum pp_codeword codeword;
	unsigned retry;
};

/* Told about each argument that is skipped, and why. */
typedef void (*pp_option_warn_fn)(void *ctx, const char *arg, const char *why);

/*
 * Fills o with the defaults, then applies argv in order (a later argument
 * overrides an earlier one). PAM_SILENT in flags sets silent. A bad value
 * or an unknown argument is reported through warn (may be NULL) and
 * skipped, leaving the earlier setting. Returns the number of arguments
 * skipped. The strings in o point into argv.
 */
int pp_options_parse(struct pp_options *o, int flags, int argc, const char **argv, pp_option_warn_fn warn,
		     void *ctx);

#endif
