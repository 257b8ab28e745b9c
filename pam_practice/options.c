/* Module arguments, in the style of pam_unix and pam_faillock: defaults
 * first, then each argument in order; a bad one is reported and skipped so a
 * typo in a PAM stack never locks everybody out. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/un.h>
#include <security/pam_appl.h>

#include "staff-protocol.h"
#include "options.h"

#define LOCATION_MAX 255
#define PERMISSION_MAX 64

/* Decimal digits only, no sign or space, within [min, max]. */
static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *ret)
{
	unsigned long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return -ERANGE;
	}
	if (v < min)
		return -ERANGE;
	*ret = v;
	return 0;
}

static bool socket_path_ok(const char *s)
{
	return s[0] == '/' && strlen(s) < sizeof(((struct sockaddr_un *)NULL)->sun_path);
}

static bool location_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > LOCATION_MAX)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* A permission is module.action, both lowercase words. */
static bool permission_ok(const char *s)
{
	const char *dot = strchr(s, '.');

	if (!dot || dot == s || !dot[1] || strlen(s) > PERMISSION_MAX)
		return false;
	for (; *s; s++)
		if (s != dot && (*s < 'a' || *s > 'z'))
			return false;
	return true;
}

/* The value of "name=value" when arg starts with name and "=", else NULL. */
static const char *value_of(const char *arg, const char *name)
{
	size_t n = strlen(name);

	return strncmp(arg, name, n) == 0 && arg[n] == '=' ? arg + n + 1 : NULL;
}

/* Applies one argument; returns NULL, or why it was skipped. */
static const char *apply(struct pp_options *o, const char *arg)
{
	unsigned long n;
	const char *v;

	if (strcmp(arg, "use_first_pass") == 0)
		o->use_first_pass = true;
	else if (strcmp(arg, "try_first_pass") == 0)
		o->try_first_pass = true;
	else if (strcmp(arg, "silent") == 0)
		o->silent = true;
	else if (strcmp(arg, "debug") == 0)
		o->debug = true;
	else if (strcmp(arg, "pin") == 0)
		o->pin = true;
	else if ((v = value_of(arg, "socket"))) {
		if (!socket_path_ok(v))
			return "not an absolute path that fits a Unix socket address";
		o->socket = v;
	} else if ((v = value_of(arg, "timeout"))) {
		if (parse_uint(v, 1, PP_TIMEOUT_MAX, &n) < 0)
			return "not a number of milliseconds between 1 and 600000";
		o->timeout_ms = (int)n;
	} else if ((v = value_of(arg, "location"))) {
		if (!location_ok(v))
			return "not a location name";
		o->location = v;
	} else if ((v = value_of(arg, "require"))) {
		if (!permission_ok(v))
			return "not a permission such as clinical.charts";
		o->require = v;
	} else if ((v = value_of(arg, "codeword"))) {
		if (strcmp(v, "activation") == 0)
			o->codeword = PP_CODEWORD_ACTIVATION;
		else if (strcmp(v, "always") == 0)
			o->codeword = PP_CODEWORD_ALWAYS;
		else
			return "not activation or always";
	} else if ((v = value_of(arg, "retry"))) {
		if (parse_uint(v, 1, PP_RETRY_MAX, &n) < 0)
			return "not a number between 1 and 20";
		o->retry = (unsigned)n;
	} else
		return "unknown argument";
	return NULL;
}

int pp_options_parse(struct pp_options *o, int flags, int argc, const char **argv, pp_option_warn_fn warn,
		     void *ctx)
{
	int skipped = 0;

	memset(o, 0, sizeof(*o));
	o->socket = STAFFD_DEFAULT_SOCKET;
	o->timeout_ms = PP_TIMEOUT_DEFAULT;
	o->codeword = PP_CODEWORD_ACTIVATION;
	o->retry = PP_RETRY_DEFAULT;
	o->silent = ((unsigned)flags & PAM_SILENT) != 0;

	for (int i = 0; i < argc && argv; i++) {
		const char *why = argv[i] ? apply(o, argv[i]) : "missing";

		if (why) {
			skipped++;
			if (warn)
				warn(ctx, argv[i] ? argv[i] : "(null)", why);
		}
	}
	return skipped;
}
