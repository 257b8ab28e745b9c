/* Tests for pam_practice/options.c: every module argument, the defaults,
 * and bad values reported and skipped without touching the earlier setting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <security/pam_appl.h>

#include "staff-protocol.h"
#include "../../pam_practice/options.h"

/* What the parser reported, in order. */
struct warnings {
	int n;
	char args[8][512];
	char why[8][128];
};

static void record(void *ctx, const char *arg, const char *why)
{
	struct warnings *w = ctx;

	assert_non_null(arg);
	assert_non_null(why);
	assert_true(strlen(why) > 0);
	if (w->n < 8) {
		snprintf(w->args[w->n], sizeof(w->args[0]), "%s", arg);
		snprintf(w->why[w->n], sizeof(w->why[0]), "%s", why);
	}
	w->n++;
}

/* Parses a NULL-terminated list of arguments with flags. */
static int parse(struct pp_options *o, struct warnings *w, int flags, const char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	memset(w, 0, sizeof(*w));
	return pp_options_parse(o, flags, argc, argv, record, w);
}

#define ARGS(...) ((const char *[]){ __VA_ARGS__, NULL })

static void assert_defaults(const struct pp_options *o)
{
	assert_string_equal(o->socket, STAFFD_DEFAULT_SOCKET);
	assert_int_equal(o->timeout_ms, 5000);
	assert_null(o->location);
	assert_null(o->require);
	assert_false(o->use_first_pass);
	assert_false(o->try_first_pass);
	assert_false(o->silent);
	assert_false(o->debug);
	assert_false(o->pin);
	assert_int_equal(o->codeword, PP_CODEWORD_ACTIVATION);
	assert_int_equal(o->retry, 3);
}

static void test_defaults(void **state)
{
	struct pp_options o;
	struct warnings w;

	(void)state;
	memset(&o, 0xa5, sizeof(o));
	assert_int_equal(pp_options_parse(&o, 0, 0, NULL, record, &w), 0);
	assert_defaults(&o);
	/* No callback is fine too. */
	assert_int_equal(pp_options_parse(&o, 0, 0, NULL, NULL, NULL), 0);
	assert_defaults(&o);
}

static void test_every_argument(void **state)
{
	const char **argv = ARGS("socket=/run/test/staffd.sock", "timeout=1500", "location=North Wing",
				 "require=clinical.charts", "use_first_pass", "try_first_pass", "silent", "debug",
				 "codeword=always", "pin", "retry=7");
	struct pp_options o;
	struct warnings w;

	(void)state;
	assert_int_equal(parse(&o, &w, 0, argv), 0);
	assert_int_equal(w.n, 0);
	assert_string_equal(o.socket, "/run/test/staffd.sock");
	assert_ptr_equal(o.socket, argv[0] + strlen("socket="));
	assert_int_equal(o.timeout_ms, 1500);
	assert_string_equal(o.location, "North Wing");
	assert_string_equal(o.require, "clinical.charts");
	assert_true(o.use_first_pass);
	assert_true(o.try_first_pass);
	assert_true(o.silent);
	assert_true(o.debug);
	assert_int_equal(o.codeword, PP_CODEWORD_ALWAYS);
	assert_true(o.pin);
	assert_int_equal(o.retry, 7);
}

static void test_codeword_activation(void **state)
{
	struct pp_options o;
	struct warnings w;

	(void)state;
	assert_int_equal(parse(&o, &w, 0, ARGS("codeword=always", "codeword=activation")), 0);
	assert_int_equal(o.codeword, PP_CODEWORD_ACTIVATION);
}

static void test_later_overrides_earlier(void **state)
{
	struct pp_options o;
	struct warnings w;

	(void)state;
	assert_int_equal(parse(&o, &w, 0, ARGS("timeout=100", "timeout=200", "socket=/a", "socket=/b", "retry=1",
					       "retry=2", "location=A", "location=B")),
			 0);
	assert_int_equal(o.timeout_ms, 200);
	assert_string_equal(o.socket, "/b");
	assert_int_equal(o.retry, 2);
	assert_string_equal(o.location, "B");
}

static void test_pam_silent_flag(void **state)
{
	struct pp_options o;
	struct warnings w;

	(void)state;
	assert_int_equal(parse(&o, &w, (int)PAM_SILENT, ARGS("debug")), 0);
	assert_true(o.silent);
	assert_int_equal(parse(&o, &w, (int)PAM_DISALLOW_NULL_AUTHTOK, ARGS("debug")), 0);
	assert_false(o.silent);
}

/* One bad argument: reported once, skipped, everything else at its default. */
static void assert_skipped(const char *arg)
{
	const char *argv[] = { arg, NULL };
	struct pp_options o;
	struct warnings w;

	assert_int_equal(parse(&o, &w, 0, argv), 1);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.args[0], arg);
	assert_defaults(&o);
}

static void test_bad_socket(void **state)
{
	char longpath[200];

	(void)state;
	assert_skipped("socket=");
	assert_skipped("socket=relative/path");
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	memcpy(longpath, "socket=/", 8);
	assert_skipped(longpath);
}

static void test_socket_longest(void **state)
{
	/* sun_path holds 108 bytes with the NUL: 107 characters fit, 108 do not. */
	char arg[7 + 109];
	const char *argv[] = { arg, NULL };
	struct pp_options o;
	struct warnings w;

	(void)state;
	memcpy(arg, "socket=/", 8);
	memset(arg + 8, 'a', 107);
	arg[7 + 107] = '\0';
	assert_int_equal(strlen(arg + 7), 107);
	assert_int_equal(parse(&o, &w, 0, argv), 0);
	assert_int_equal(strlen(o.socket), 107);
	arg[7 + 107] = 'a';
	arg[7 + 108] = '\0';
	assert_skipped(arg);
}

static void test_bad_timeout(void **state)
{
	(void)state;
	assert_skipped("timeout=");
	assert_skipped("timeout=0");
	assert_skipped("timeout=-5");
	assert_skipped("timeout=+5");
	assert_skipped("timeout= 5");
	assert_skipped("timeout=5s");
	assert_skipped("timeout=1.5");
	assert_skipped("timeout=600001");
	assert_skipped("timeout=99999999999999999999999");
}

static void test_timeout_bounds(void **state)
{
	struct pp_options o;
	struct warnings w;

	(void)state;
	assert_int_equal(parse(&o, &w, 0, ARGS("timeout=1")), 0);
	assert_int_equal(o.timeout_ms, 1);
	assert_int_equal(parse(&o, &w, 0, ARGS("timeout=600000")), 0);
	assert_int_equal(o.timeout_ms, 600000);
	assert_int_equal(parse(&o, &w, 0, ARGS("timeout=0007")), 0);
	assert_int_equal(o.timeout_ms, 7);
}

static void test_bad_retry(void **state)
{
	struct pp_options o;
	struct warnings w;

	(void)state;
	assert_skipped("retry=");
	assert_skipped("retry=0");
	assert_skipped("retry=21");
	assert_skipped("retry=three");
	assert_skipped("retry=-1");
	assert_int_equal(parse(&o, &w, 0, ARGS("retry=20")), 0);
	assert_int_equal(o.retry, 20);
	assert_int_equal(parse(&o, &w, 0, ARGS("retry=1")), 0);
	assert_int_equal(o.retry, 1);
}

static void test_bad_codeword(void **state)
{
	(void)state;
	assert_skipped("codeword=");
	assert_skipped("codeword=sometimes");
	assert_skipped("codeword=ALWAYS");
	assert_skipped("codeword");
}

static void test_bad_location(void **state)
{
	char longname[300];

	(void)state;
	assert_skipped("location=");
	assert_skipped("location=Main\tWing");
	assert_skipped("location=Main\x7f");
	memcpy(longname, "location=", 9);
	memset(longname + 9, 'M', sizeof(longname) - 10);
	longname[sizeof(longname) - 1] = '\0';
	assert_skipped(longname);
}

static void test_bad_require(void **state)
{
	(void)state;
	assert_skipped("require=");
	assert_skipped("require=clinical");
	assert_skipped("require=.charts");
	assert_skipped("require=clinical.");
	assert_skipped("require=Clinical.charts");
	assert_skipped("require=clinical.charts.more");
	assert_skipped("require=clinical charts");
	assert_skipped("require=clinical.charts;rm");
}

static void test_unknown_and_malformed(void **state)
{
	(void)state;
	assert_skipped("nullok");
	assert_skipped("use_authtok");
	assert_skipped("debug=1");
	assert_skipped("pin=yes");
	assert_skipped("silently");
	assert_skipped("Debug");
	assert_skipped("");
	assert_skipped("=");
	assert_skipped("sockets=/run/x");
	assert_skipped("socket");
}

/* A bad value keeps what an earlier argument set, and the rest still apply. */
static void test_bad_keeps_earlier(void **state)
{
	struct pp_options o;
	struct warnings w;

	(void)state;
	assert_int_equal(parse(&o, &w, 0, ARGS("socket=/good", "timeout=250", "socket=bad", "timeout=never", "bogus",
					       "retry=5", "codeword=maybe", "codeword=always")),
			 4);
	assert_int_equal(w.n, 4);
	assert_string_equal(w.args[0], "socket=bad");
	assert_string_equal(w.args[1], "timeout=never");
	assert_string_equal(w.args[2], "bogus");
	assert_string_equal(w.args[3], "codeword=maybe");
	assert_string_equal(w.why[2], "unknown argument");
	assert_string_equal(o.socket, "/good");
	assert_int_equal(o.timeout_ms, 250);
	assert_int_equal(o.retry, 5);
	assert_int_equal(o.codeword, PP_CODEWORD_ALWAYS);
}

static void test_null_entry(void **state)
{
	const char *argv[] = { "debug", NULL, "pin" };
	struct pp_options o;
	struct warnings w;

	(void)state;
	memset(&w, 0, sizeof(w));
	assert_int_equal(pp_options_parse(&o, 0, 3, argv, record, &w), 1);
	assert_int_equal(w.n, 1);
	assert_true(o.debug);
	assert_true(o.pin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_argument),
		cmocka_unit_test(test_codeword_activation),
		cmocka_unit_test(test_later_overrides_earlier),
		cmocka_unit_test(test_pam_silent_flag),
		cmocka_unit_test(test_bad_socket),
		cmocka_unit_test(test_socket_longest),
		cmocka_unit_test(test_bad_timeout),
		cmocka_unit_test(test_timeout_bounds),
		cmocka_unit_test(test_bad_retry),
		cmocka_unit_test(test_bad_codeword),
		cmocka_unit_test(test_bad_location),
		cmocka_unit_test(test_bad_require),
		cmocka_unit_test(test_unknown_and_malformed),
		cmocka_unit_test(test_bad_keeps_earlier),
		cmocka_unit_test(test_null_entry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
