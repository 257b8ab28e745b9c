/*
 * staffctl without a daemon: option parsing, local values, output formats,
 * error messages and exit codes, UserInput from flags, secret input, and
 * whole commands against a scripted fake staffd on a temporary socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "staff-protocol.h"
#include "../../staffctl/staffctl.h"
#include "varlink.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* json_dumps() memory belongs to jansson's allocator, which staffctl replaces. */
static void json_free_text(char *s)
{
	json_free_t free_fn;

	json_get_alloc_funcs(NULL, &free_fn);
	free_fn(s);
}

static void set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

/* ---- args.c ---- */

static const struct ctl_option test_options[] = {
	{ "admin", CTL_FLAG, NULL, "flag" },
	{ "email", CTL_VALUE, "EMAIL", "value" },
	{ "location", CTL_LIST, "NAME", "list" },
	{ "bio", CTL_VALUE, "TEXT", "value" },
	{ NULL, 0, NULL, NULL },
};

static void test_args_mixed(void **state)
{
	char *argv[] = { "jdoe", "--admin", "--email", "j@x.example", "--location=Main", "extra",
			 "--location", "North", "--", "--bio" };
	struct ctl_args a;
	char err[128] = "";

	(void)state;
	assert_int_equal(ctl_args_parse(ARGC(argv), argv, test_options, 0, &a, err, sizeof(err)), 0);
	assert_false(a.help);
	assert_int_equal(ctl_args_count(&a, "admin"), 1);
	assert_string_equal(ctl_args_value(&a, "email"), "j@x.example");
	assert_int_equal(ctl_args_count(&a, "location"), 2);
	assert_string_equal(ctl_args_nth(&a, "location", 0), "Main");
	assert_string_equal(ctl_args_nth(&a, "location", 1), "North");
	assert_null(ctl_args_nth(&a, "location", 2));
	assert_string_equal(ctl_args_value(&a, "location"), "North");
	assert_null(ctl_args_value(&a, "bio"));
	/* "--" made "--bio" a positional. */
	assert_int_equal(ctl_args_npos(&a), 3);
	assert_string_equal(ctl_args_pos(&a, 0), "jdoe");
	assert_string_equal(ctl_args_pos(&a, 1), "extra");
	assert_string_equal(ctl_args_pos(&a, 2), "--bio");
	assert_null(ctl_args_pos(&a, 3));
	/* Names not in the table read as absent. */
	assert_int_equal(ctl_args_count(&a, "nonexistent"), 0);
	assert_null(ctl_args_value(&a, "nonexistent"));
	ctl_args_free(&a);
}

static void test_args_values(void **state)
{
	char *argv[] = { "--bio=", "--email", "-leading-dash", "-" };
	struct ctl_args a;
	char err[128];

	(void)state;
	assert_int_equal(ctl_args_parse(ARGC(argv), argv, test_options, 0, &a, err, sizeof(err)), 0);
	assert_string_equal(ctl_args_value(&a, "bio"), "");
	assert_string_equal(ctl_args_value(&a, "email"), "-leading-dash");
	assert_int_equal(ctl_args_npos(&a), 1);
	assert_string_equal(ctl_args_pos(&a, 0), "-");
	ctl_args_free(&a);
}

static void expect_parse_error(char **argv, int argc, const char *needle)
{
	struct ctl_args a = { .n = 777 };
	char err[128] = "";

	assert_int_equal(ctl_args_parse(argc, argv, test_options, 0, &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, needle));
	assert_int_equal(a.n, 777);	/* untouched */
	assert_null(a.v);
}

static void test_args_errors(void **state)
{
	char *unknown[] = { "--nope" };
	char *unknown_eq[] = { "--nope=3" };
	char *short_opt[] = { "-x" };
	char *missing[] = { "--email" };
	char *flag_value[] = { "--admin=yes" };
	char *twice[] = { "--email", "a", "--email=b" };
	char *bundled[] = { "-hx" };

	(void)state;
	expect_parse_error(unknown, 1, "unknown option '--nope'");
	expect_parse_error(unknown_eq, 1, "unknown option '--nope'");
	expect_parse_error(short_opt, 1, "unknown option '-x'");
	expect_parse_error(missing, 1, "--email needs a value (EMAIL)");
	expect_parse_error(flag_value, 1, "--admin takes no value");
	expect_parse_error(twice, 3, "--email given more than once");
	expect_parse_error(bundled, 1, "unknown option '-hx'");
}

static void test_args_help(void **state)
{
	char *argv[] = { "jdoe", "-h", "--nope" };
	char *argv2[] = { "--nope", "--help" };
	struct ctl_args a;
	char err[128];

	(void)state;
	/* Help stops parsing: what follows is not judged. */
	assert_int_equal(ctl_args_parse(ARGC(argv), argv, test_options, 0, &a, err, sizeof(err)), 0);
	assert_true(a.help);
	ctl_args_free(&a);
	/* An error before it still counts. */
	assert_int_equal(ctl_args_parse(ARGC(argv2), argv2, test_options, 0, &a, err, sizeof(err)), -EINVAL);
}

static void test_args_stop(void **state)
{
	char *argv[] = { "--admin", "user", "--email", "x" };
	char *none[] = { "--admin" };
	struct ctl_args a;
	char err[128];

	(void)state;
	assert_int_equal(ctl_args_parse(ARGC(argv), argv, test_options, CTL_ARGS_STOP, &a, err, sizeof(err)), 0);
	assert_int_equal(a.next, 1);
	assert_int_equal(ctl_args_npos(&a), 0);
	assert_null(ctl_args_value(&a, "email"));
	ctl_args_free(&a);
	assert_int_equal(ctl_args_parse(1, none, test_options, CTL_ARGS_STOP, &a, err, sizeof(err)), 0);
	assert_int_equal(a.next, 1);
	ctl_args_free(&a);
	assert_int_equal(ctl_args_parse(0, none, test_options, 0, &a, err, sizeof(err)), 0);
	assert_int_equal(a.n, 0);
	ctl_args_free(&a);
}

static void test_parse_int(void **state)
{
	long long v = 42;

	(void)state;
	assert_int_equal(ctl_parse_int("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(ctl_parse_int("-5", -10, 10, &v), 0);
	assert_int_equal(v, -5);
	assert_int_equal(ctl_parse_int("9223372036854775807", LLONG_MIN, LLONG_MAX, &v), 0);
	assert_true(v == LLONG_MAX);
	assert_int_equal(ctl_parse_int("-9223372036854775808", LLONG_MIN, LLONG_MAX, &v), 0);
	assert_true(v == LLONG_MIN);
	v = 42;
	assert_int_equal(ctl_parse_int("9223372036854775808", LLONG_MIN, LLONG_MAX, &v), -ERANGE);
	assert_int_equal(ctl_parse_int("99999999999999999999999", LLONG_MIN, LLONG_MAX, &v), -ERANGE);
	assert_int_equal(ctl_parse_int("11", 0, 10, &v), -ERANGE);
	assert_int_equal(ctl_parse_int("0", 1, 10, &v), -ERANGE);
	assert_int_equal(ctl_parse_int("", 0, 10, &v), -EINVAL);
	assert_int_equal(ctl_parse_int("-", 0, 10, &v), -EINVAL);
	assert_int_equal(ctl_parse_int("+3", 0, 10, &v), -EINVAL);
	assert_int_equal(ctl_parse_int(" 3", 0, 10, &v), -EINVAL);
	assert_int_equal(ctl_parse_int("3 ", 0, 10, &v), -EINVAL);
	assert_int_equal(ctl_parse_int("1e3", 0, 10000, &v), -EINVAL);
	assert_int_equal(ctl_parse_int("0x10", 0, 100, &v), -EINVAL);
	assert_int_equal(ctl_parse_int(NULL, 0, 100, &v), -EINVAL);
	assert_int_equal(v, 42);	/* untouched on failure */
}

static void test_parse_duration(void **state)
{
	long long v = -1;

	(void)state;
	assert_int_equal(ctl_parse_duration("90s", &v), 0);
	assert_int_equal(v, 90);
	assert_int_equal(ctl_parse_duration("15m", &v), 0);
	assert_int_equal(v, 900);
	assert_int_equal(ctl_parse_duration("2h", &v), 0);
	assert_int_equal(v, 7200);
	assert_int_equal(ctl_parse_duration("3d", &v), 0);
	assert_int_equal(v, 3 * 86400);
	assert_int_equal(ctl_parse_duration("1w", &v), 0);
	assert_int_equal(v, 7 * 86400);
	assert_int_equal(ctl_parse_duration("1d12h30m", &v), 0);
	assert_int_equal(v, 86400 + 12 * 3600 + 30 * 60);
	assert_int_equal(ctl_parse_duration("0s", &v), 0);
	assert_int_equal(v, 0);
	v = -1;
	assert_int_equal(ctl_parse_duration("", &v), -EINVAL);
	assert_int_equal(ctl_parse_duration("2", &v), -EINVAL);
	assert_int_equal(ctl_parse_duration("h", &v), -EINVAL);
	assert_int_equal(ctl_parse_duration("2x", &v), -EINVAL);
	assert_int_equal(ctl_parse_duration("2h3", &v), -EINVAL);
	assert_int_equal(ctl_parse_duration("-2h", &v), -EINVAL);
	assert_int_equal(ctl_parse_duration("2 h", &v), -EINVAL);
	assert_int_equal(ctl_parse_duration("99999999999999999w", &v), -ERANGE);
	assert_int_equal(ctl_parse_duration("999999999999999999999s", &v), -ERANGE);
	assert_int_equal(v, -1);
}

static void test_parse_since_utc(void **state)
{
	const time_t now = 1714564800;	/* 2024-05-01 12:00:00 UTC */
	long long v = -1;

	(void)state;
	set_tz("UTC");
	assert_int_equal(ctl_parse_since("2024-05-01", now, &v), 0);
	assert_int_equal(v, 1714521600);
	assert_int_equal(ctl_parse_since("2024-05-01 12:30", now, &v), 0);
	assert_int_equal(v, 1714521600 + 12 * 3600 + 30 * 60);
	assert_int_equal(ctl_parse_since("2024-05-01T12:30:15", now, &v), 0);
	assert_int_equal(v, 1714521600 + 12 * 3600 + 30 * 60 + 15);
	assert_int_equal(ctl_parse_since("2024-02-29", now, &v), 0);
	assert_int_equal(v, 1709164800);
	assert_int_equal(ctl_parse_since("1970-01-01", now, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(ctl_parse_since("@0", now, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(ctl_parse_since("@1700000000", now, &v), 0);
	assert_int_equal(v, 1700000000);
	assert_int_equal(ctl_parse_since("2h", now, &v), 0);
	assert_int_equal(v, now - 7200);
	assert_int_equal(ctl_parse_since("3d", now, &v), 0);
	assert_int_equal(v, now - 3 * 86400);
	assert_int_equal(ctl_parse_since("today", now, &v), 0);
	assert_int_equal(v, 1714521600);
	assert_int_equal(ctl_parse_since("yesterday", now, &v), 0);
	assert_int_equal(v, 1714521600 - 86400);

	v = -1;
	assert_int_equal(ctl_parse_since("", now, &v), -EINVAL);
	assert_int_equal(ctl_parse_since(NULL, now, &v), -EINVAL);
	assert_int_equal(ctl_parse_since("@", now, &v), -EINVAL);
	assert_int_equal(ctl_parse_since("@-1", now, &v), -EINVAL);
	assert_int_equal(ctl_parse_since("@12x", now, &v), -EINVAL);
	assert_int_equal(ctl_parse_since("2023-02-29", now, &v), -EINVAL);
	assert_int_equal(ctl_parse_since("2024-02-30", now, &v), -EINVAL);
	assert_int_equal(ctl_parse_since("2024-04-31", now, &v), -EINVAL);
	assert_int_equal(ctl_parse_since("2024-13-01", now, &v), -EINVAL);
	assert_int_equal(ctl_parse_since("2024-00-10", now, &v), -EINVAL);
	assert_int_equal(ctl_parse_since("2024-05-00", now, &v), -EINVAL);
	assert_int_equal(ctl_parse_since("2024-05-01 24:00", now, &v), -EINVAL);
	assert_int_equal(ctl_parse_since("2024-05-01 12:60", now, &v), -EINVAL);
	assert_int_equal(ctl_parse_since("2024-05-01 12:30:60", now, &v), -EINVAL);
	assert_int_equal(ctl_parse_since("2024-5-1", now, &v), -EINVAL);
	assert_int_equal(ctl_parse_since("2024-05-01 12", now, &v), -EINVAL);
	assert_int_equal(ctl_parse_since("2024-05-01 12:3", now, &v), -EINVAL);
	assert_int_equal(ctl_parse_since("2024-05-01x", now, &v), -EINVAL);
	assert_int_equal(ctl_parse_since("2024-05-01 ", now, &v), -EINVAL);
	assert_int_equal(ctl_parse_since("2024/05/01", now, &v), -EINVAL);
	assert_int_equal(ctl_parse_since("last week", now, &v), -EINVAL);
	assert_int_equal(ctl_parse_since("1969-12-31", now, &v), -ERANGE);
	assert_int_equal(ctl_parse_since("60y", now, &v), -EINVAL);
	assert_int_equal(ctl_parse_since("99999d", now, &v), -ERANGE);	/* before the epoch */
	assert_int_equal(v, -1);
}

static void test_parse_since_local(void **state)
{
	long long v;

	(void)state;
	/* A POSIX TZ string needs no zone database. */
	set_tz("EST5EDT,M3.2.0,M11.1.0");
	assert_int_equal(ctl_parse_since("2024-01-15", 1800000000, &v), 0);
	assert_int_equal(v, 1705294800);	/* 05:00 UTC */
	assert_int_equal(ctl_parse_since("2024-07-15", 1800000000, &v), 0);
	assert_int_equal(v, 1721016000);	/* 04:00 UTC, summer time */
	assert_int_equal(ctl_parse_since("2024-07-15 13:05:09", 1800000000, &v), 0);
	assert_int_equal(v, 1721016000 + 13 * 3600 + 5 * 60 + 9);
	/* In the gap of the spring change: still a time, not an error. */
	assert_int_equal(ctl_parse_since("2024-03-10 02:30", 1800000000, &v), 0);
	set_tz("UTC");
}

/* ---- output.c ---- */

static char *capture_table(const struct ctl_table *t, bool kv, int *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	*r = kv ? ctl_kv_print(t, f) : ctl_table_print(t, f);
	fclose(f);
	return buf;
}

static void test_table(void **state)
{
	struct ctl_table *t;
	char *s;
	int r;

	(void)state;
	assert_int_equal(ctl_table_new(0, &t), -EINVAL);
	assert_int_equal(ctl_table_new(3, &t), 0);
	assert_int_equal(ctl_table_add(t, (const char *[]){ "USERNAME", "NAME", "EMAIL" }), 0);
	assert_int_equal(ctl_table_add(t, (const char *[]){ "jdoe", "Jane Doe", "jane@x.example" }), 0);
	assert_int_equal(ctl_table_add(t, (const char *[]){ "zoe", "Zo\xc3\xab Long-Name", NULL }), 0);
	assert_int_equal(ctl_table_add(t, (const char *[]){ "x", "", "" }), 0);
	assert_int_equal(ctl_table_rows(t), 4);
	s = capture_table(t, false, &r);
	assert_int_equal(r, 0);
	/* UTF-8 counts by character; NULL is "-"; trailing empty cells leave no blanks. */
	assert_string_equal(s,
			    "USERNAME  NAME           EMAIL\n"
			    "jdoe      Jane Doe       jane@x.example\n"
			    "zoe       Zo\xc3\xab Long-Name  -\n"
			    "x\n");
	free(s);
	ctl_table_free(t);
	ctl_table_free(NULL);
}

static void test_table_sanitizes(void **state)
{
	struct ctl_table *t;
	char *s;
	int r;

	(void)state;
	assert_int_equal(ctl_table_new(2, &t), 0);
	/* ESC, CSI as C1 (U+009B), DEL, newline, tab and a right-to-left override
	 * from staffd must not reach the terminal: they show as \xNN. */
	assert_int_equal(ctl_table_add(t, (const char *[]){ "a\x1b[2Jb", "c\xc2\x9b" "1md\x7f" }), 0);
	assert_int_equal(ctl_table_add(t, (const char *[]){ "line\none", "tab\there\xe2\x80\xae" }), 0);
	s = capture_table(t, false, &r);
	assert_int_equal(r, 0);
	assert_null(strchr(s, '\x1b'));
	assert_null(strstr(s, "\xc2\x9b"));
	assert_string_equal(s, "a\\x1b[2Jb    c\\xc2\\x9b1md\\x7f\n"
			       "line\\x0aone  tab\\x09here\\xe2\\x80\\xae\n");
	free(s);
	ctl_table_free(t);

	s = ctl_sanitize("ok \xc3\xa9 \xc2\xa0 \xc2\x80");
	assert_string_equal(s, "ok \xc3\xa9 \xc2\xa0 \\xc2\\x80");	/* é and NBSP kept, U+0080 escaped */
	free(s);
}

static void test_kv(void **state)
{
	struct ctl_table *t;
	char *s;
	int r;

	(void)state;
	assert_int_equal(ctl_table_new(2, &t), 0);
	ctl_kv_add(t, "Username", "jdoe");
	ctl_kv_add(t, "Primary location", NULL);
	ctl_kv_addf(t, "Capacity", "%d", 2);
	ctl_kv_add(t, "Bio", "");
	s = capture_table(t, true, &r);
	assert_int_equal(r, 0);
	assert_string_equal(s,
			    "Username:          jdoe\n"
			    "Primary location:  -\n"
			    "Capacity:          2\n"
			    "Bio:\n");
	free(s);
	ctl_table_free(t);

	assert_int_equal(ctl_table_new(3, &t), 0);
	assert_int_equal(ctl_kv_add(t, "a", "b"), -EINVAL);
	s = capture_table(t, true, &r);
	assert_int_equal(r, -EINVAL);
	free(s);
	ctl_table_free(t);
}

static void test_text_width(void **state)
{
	(void)state;
	assert_int_equal(ctl_text_width(""), 0);
	assert_int_equal(ctl_text_width("abc"), 3);
	assert_int_equal(ctl_text_width("Zo\xc3\xab"), 3);
	assert_int_equal(ctl_text_width("\xe2\x82\xac" "5"), 2);	/* €5 */
	assert_int_equal(ctl_text_width("\xf0\x9f\x98\x80"), 1);
}

static void test_format_time(void **state)
{
	char buf[64];
	json_t *o;

	(void)state;
	set_tz("UTC");
	ctl_format_time(0, true, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01 00:00:00 UTC");
	ctl_format_time(1714566615, false, buf, sizeof(buf));
	assert_string_equal(buf, "2024-05-01 12:30:15");
	set_tz("EST5EDT,M3.2.0,M11.1.0");
	ctl_format_time(1721016000, true, buf, sizeof(buf));
	assert_string_equal(buf, "2024-07-15 00:00:00 EDT");
	set_tz("UTC");
	/* Too small a buffer falls back rather than printing garbage. */
	ctl_format_time(5, true, buf, 4);
	assert_true(strlen(buf) < 4);

	o = json_pack("{s:I, s:n, s:s}", "created", (json_int_t)0, "activated", "last_login", "x");
	assert_non_null(o);
	assert_string_equal(ctl_json_time(o, "created", buf, sizeof(buf)), "1970-01-01 00:00:00 UTC");
	assert_null(ctl_json_time(o, "activated", buf, sizeof(buf)));
	assert_null(ctl_json_time(o, "last_login", buf, sizeof(buf)));
	assert_null(ctl_json_time(o, "missing", buf, sizeof(buf)));
	assert_null(ctl_json_time(NULL, "created", buf, sizeof(buf)));
	json_decref(o);
}

static void test_format_duration(void **state)
{
	static const struct {
		long long s;
		const char *text;
	} cases[] = {
		{ -5, "0 seconds" }, { 0, "0 seconds" }, { 1, "1 second" }, { 59, "59 seconds" },
		{ 60, "1 minute" }, { 61, "2 minutes" }, { 3540, "59 minutes" }, { 3599, "1 hour" },
		{ 3600, "1 hour" }, { 3660, "1 hour 1 minute" }, { 7200 + 1800, "2 hours 30 minutes" },
		{ 86399, "24 hours" }, { 86400, "1 day" }, { 90000, "1 day 1 hour" }, { 3 * 86400 + 7200, "3 days 2 hours" },
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ctl_format_duration(cases[i].s, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].text);
	}
}

static void test_printf_safe_and_json(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_t *j, *back;

	(void)state;
	assert_non_null(f);
	assert_int_equal(ctl_printf_safe(f, "%s\n", "rules:\n  - a\x1b]0;x\x07"), 0);
	fclose(f);
	assert_string_equal(buf, "rules:\n  - a\\x1b]0;x\\x07\n");
	free(buf);

	buf = NULL;
	f = open_memstream(&buf, &len);
	j = json_pack("{s:s, s:[i, b]}", "name", "Zo\xc3\xab \x1b", "list", 1, 1);
	assert_int_equal(ctl_print_json(f, j), 0);
	fclose(f);
	assert_int_equal(buf[strlen(buf) - 1], '\n');
	back = json_loads(buf, 0, NULL);
	assert_non_null(back);
	assert_true(json_equal(j, back));
	assert_null(strchr(buf, '\x1b'));	/* JSON escapes it */
	json_decref(back);
	json_decref(j);
	free(buf);
	assert_string_equal(ctl_yes_no(true), "yes");
	assert_string_equal(ctl_yes_no(false), "no");
}

/* ---- call.c ---- */

static void test_socket_path(void **state)
{
	(void)state;
	assert_string_equal(ctl_socket_path("/opt", "/env"), "/opt");
	assert_string_equal(ctl_socket_path(NULL, "/env"), "/env");
	assert_string_equal(ctl_socket_path(NULL, ""), STAFFD_DEFAULT_SOCKET);
	assert_string_equal(ctl_socket_path(NULL, NULL), STAFFD_DEFAULT_SOCKET);
	assert_string_equal(ctl_socket_path("", "/env"), "");
}

static void test_exit_codes(void **state)
{
	(void)state;
	assert_int_equal(ctl_exit_code(0), 0);
	assert_int_equal(ctl_exit_code(CTL_E_REFUSED), 1);
	assert_int_equal(ctl_exit_code(CTL_E_CHECK), 1);
	assert_int_equal(ctl_exit_code(CTL_E_USAGE), 2);
	assert_int_equal(ctl_exit_code(CTL_E_UNREACHABLE), 3);
	assert_int_equal(ctl_exit_code(CTL_E_LOCAL), 4);
	assert_int_equal(ctl_exit_code(-ENOMEM), 4);
	assert_int_equal(ctl_exit_code(-EIO), 4);
	assert_int_equal(ctl_exit_code(-1005), 4);
}

static void expect_message(const char *error, const char *params, const char *want)
{
	json_t *p = params ? json_loads(params, 0, NULL) : NULL;
	char *msg = NULL;

	if (params)
		assert_non_null(p);
	assert_int_equal(ctl_error_message(error, p, &msg), 0);
	assert_string_equal(msg, want);
	free(msg);
	json_decref(p);
}

static void test_error_messages(void **state)
{
	(void)state;
	expect_message(STAFF_ERROR("NotInitialized"), "{}",
		       "the practice is not set up yet; run 'staffctl init' first");
	expect_message(STAFF_ERROR("AlreadyInitialized"), NULL, "the practice is already set up");
	expect_message(STAFF_ERROR("Conflict"), "{\"field\":\"email\",\"message\":\"already used by jdoe\"}",
		       "email: already used by jdoe");
	expect_message(STAFF_ERROR("InvalidValue"), "{\"field\":\"npi\",\"message\":\"must be 10 digits\"}",
		       "npi: must be 10 digits");
	expect_message(STAFF_ERROR("InvalidValue"), "{}", "invalid value");
	expect_message(STAFF_ERROR("NoSuchUser"), "{\"username\":\"ghost\"}", "no such user: ghost");
	expect_message(STAFF_ERROR("NoSuchRole"), "{\"name\":\"Scribe\"}", "no such role: Scribe");
	expect_message(STAFF_ERROR("NoSuchLocation"), "{\"name\":\"North\"}", "no such location: North");
	expect_message(STAFF_ERROR("NoSuchUser"), "{\"username\":7}", "no such user: ?");
	/* Values are quoted escaped: a name cannot end the line or start another. */
	expect_message(STAFF_ERROR("NoSuchUser"), "{\"username\":\"x\\nstaffctl: done\\u001b[2J\"}",
		       "no such user: x\\x0astaffctl: done\\x1b[2J");
	expect_message(STAFF_ERROR("InvalidValue"), "{\"field\":\"bio\\r\",\"message\":\"bad\\u009b\"}",
		       "bio\\x0d: bad\\xc2\\x9b");
	expect_message("Bogus\n", NULL, "staffd refused the request: Bogus\\x0a");
	expect_message(STAFF_ERROR("PermissionDenied"), "{\"method\":\"io.practice.Staff.UserAdd\"}",
		       "permission denied: only administrators may add staff members");
	expect_message(STAFF_ERROR("PermissionDenied"), "{\"method\":\"CodewordShow\"}",
		       "permission denied: only administrators may see the practice code word");
	expect_message(STAFF_ERROR("PermissionDenied"), "{\"method\":\"io.practice.Staff.Init\"}",
		       "permission denied: only root may set up the practice");
	expect_message(STAFF_ERROR("PermissionDenied"), "{\"method\":\"io.practice.Staff.Frobnicate\"}",
		       "permission denied: only administrators may call Frobnicate");
	expect_message(STAFF_ERROR("PermissionDenied"), "{}", "permission denied: only administrators may do this");
	expect_message(STAFF_ERROR("SeatLimit"), "{\"max_staff\":3}",
		       "seat limit reached: the practice allows at most 3 active and pending staff members; "
		       "deactivate someone or raise max_staff");
	expect_message(STAFF_ERROR("InvalidState"), "{\"message\":\"jdoe is not pending\"}", "jdoe is not pending");
	expect_message(STAFF_ERROR("PolicyViolation"),
		       "{\"rules\":[{\"name\":\"length\",\"description\":\"9+\",\"ok\":false,"
		       "\"message\":\"at least 9 characters\"},"
		       "{\"name\":\"upper\",\"description\":\"A-Z\",\"ok\":true,\"message\":null},"
		       "{\"name\":\"digit\",\"description\":\"a digit\"}]}",
		       "the password does not meet the policy:\n  - at least 9 characters\n  - a digit");
	expect_message(STAFF_ERROR("PolicyViolation"), "{}", "the password does not meet the policy");
	expect_message(STAFF_ERROR("TooSoon"), "{\"retry_after\":300}", "too soon: try again in 5 minutes");
	expect_message(STAFF_ERROR("Busy"), "{}", "staffd is busy; try again in a moment");
	expect_message(STAFF_ERROR("Locked"), "{}",
		       "the account is locked; an administrator can unlock it with 'staffctl user unlock'");
	expect_message(STAFF_ERROR("FrameTooLarge"), "{\"max\":65536}",
		       "request too large: staffd accepts at most 65536 bytes");
	expect_message(STAFF_ERROR("InternalError"), "{\"message\":\"disk full\"}", "internal error in staffd: disk full");
	expect_message("org.varlink.service.MethodNotFound", "{\"method\":\"io.practice.Staff.X\"}",
		       "staffd does not support io.practice.Staff.X (is it an older version?)");
	expect_message("org.varlink.service.InvalidParameter", "{\"parameter\":\"pin\"}",
		       "staffd rejected the parameter 'pin'");
	expect_message(STAFF_ERROR("AuthenticationFailed"), "{}", "authentication failed");
	expect_message(STAFF_ERROR("AccountInactive"), "{}", "the account is deactivated");
	expect_message(STAFF_ERROR("NotActivated"), "{\"message\":\"the activation code has expired\"}",
		       "the activation code has expired");
	expect_message(STAFF_ERROR("CodewordRequired"), "{}", "the practice code word is required");
	expect_message(STAFF_ERROR("NotPermitted"), "{\"message\":\"not at this location\"}",
		       "not permitted: not at this location");
	expect_message(STAFF_ERROR("ProtocolViolation"), "{\"message\":\"unknown field\"}",
		       "staffd could not read the request: unknown field");
	expect_message("com.example.Weird", "[]", "staffd refused the request: com.example.Weird");
	expect_message(NULL, NULL, "staffd refused the request: unknown error");
}

static void test_transport_messages(void **state)
{
	char buf[256];

	(void)state;
	ctl_transport_message(-ENOENT, "/run/x", 100, buf, sizeof(buf));
	assert_string_equal(buf, "cannot reach staffd: no socket at /run/x (is staffd running?)");
	ctl_transport_message(-ECONNREFUSED, "/run/x", 100, buf, sizeof(buf));
	assert_non_null(strstr(buf, "connection refused"));
	ctl_transport_message(-ETIMEDOUT, "/run/x", 250, buf, sizeof(buf));
	assert_string_equal(buf, "staffd at /run/x did not answer within 250 ms");
	ctl_transport_message(-EBADMSG, "/run/x", 1, buf, sizeof(buf));
	assert_non_null(strstr(buf, "malformed reply"));
	ctl_transport_message(-ECONNRESET, "/run/x", 1, buf, sizeof(buf));
	assert_non_null(strstr(buf, "closed the connection"));
	ctl_transport_message(-EACCES, "/run/x", 1, buf, sizeof(buf));
	assert_non_null(strstr(buf, "permission denied"));
	ctl_transport_message(-ENOTSOCK, "/run/x", 1, buf, sizeof(buf));
	assert_non_null(strstr(buf, strerror(ENOTSOCK)));
}

static void test_json_set_str(void **state)
{
	json_t *o = json_object();

	(void)state;
	assert_int_equal(ctl_json_set_str(o, "a", "Zo\xc3\xab"), 0);
	assert_string_equal(json_string_value(json_object_get(o, "a")), "Zo\xc3\xab");
	assert_int_equal(ctl_json_set_str(o, "b", "latin1 \xe9"), -EINVAL);
	assert_int_equal(ctl_json_set_str(o, "c", "\xc3"), -EINVAL);
	assert_int_equal(ctl_json_set_str(o, "d", NULL), -EINVAL);
	assert_int_equal(json_object_size(o), 1);
	json_decref(o);
}

/* ---- cmd-user.c ---- */

static const struct ctl_option user_options[] = {
	CTL_USER_OPTIONS,
	{ "admin", CTL_FLAG, NULL, "" },
	{ "no-admin", CTL_FLAG, NULL, "" },
	{ "clear", CTL_LIST, "FIELD", "" },
	{ NULL, 0, NULL, NULL },
};

/* Builds a UserInput from argv; returns its result and the JSON or message. */
static int input_from(char **argv, int argc, bool edit, json_t **ret, char *err, size_t errlen)
{
	struct ctl_args a;
	char perr[128];
	int r;

	assert_int_equal(ctl_args_parse(argc, argv, user_options, 0, &a, perr, sizeof(perr)), 0);
	r = ctl_user_input(&a, edit, ret, err, errlen);
	ctl_args_free(&a);
	return r;
}

static void assert_json(const json_t *got, const char *want_text)
{
	json_t *want = json_loads(want_text, 0, NULL);

	assert_non_null(want);
	if (!json_equal(got, want)) {
		char *s = json_dumps(got, JSON_SORT_KEYS);
		print_error("got %s\nwant %s\n", s, want_text);
		json_free_text(s);
	}
	assert_true(json_equal(got, want));
	json_decref(want);
}

static void test_user_input_all(void **state)
{
	char *argv[] = { "--email", "j@x.example", "--first", "Jane", "--last", "Doe", "--role", "Front Desk",
			 "--admin", "--external", "--location", "Main", "--location", "North", "--provider", "hprov",
			 "--npi", "1234567893", "--dea", "AD1234563", "--taxonomy", "207Q00000X", "--ncsbn", "N1",
			 "--degree", "RN", "--specialty", "Peds", "--care-team-role", "lead", "--cell", "555-0100",
			 "--home-phone", "555-0101", "--capacity", "2", "--step", "15", "--daily-billing-report",
			 "--no-email-updates", "--eprescribing-verified", "--bio", "Hi" };
	json_t *in = NULL;
	char err[256];

	(void)state;
	assert_int_equal(input_from(argv, ARGC(argv), false, &in, err, sizeof(err)), 0);
	assert_json(in, "{\"email\":\"j@x.example\",\"first_name\":\"Jane\",\"last_name\":\"Doe\","
			"\"role\":\"Front Desk\",\"admin\":true,\"employment\":\"external\","
			"\"locations\":[\"Main\",\"North\"],\"primary_location\":\"Main\","
			"\"primary_provider\":\"hprov\",\"npi\":\"1234567893\",\"dea\":\"AD1234563\","
			"\"taxonomy\":\"207Q00000X\",\"ncsbn_id\":\"N1\",\"degree\":\"RN\",\"specialty\":\"Peds\","
			"\"care_team_role\":\"lead\",\"cell_phone\":\"555-0100\",\"home_phone\":\"555-0101\","
			"\"capacity\":2,\"step\":15,\"daily_billing_report\":true,\"email_updates\":false,"
			"\"eprescribing_verified\":true,\"bio\":\"Hi\"}");
	json_decref(in);
}

static void test_user_input_locations(void **state)
{
	char *primary[] = { "--location", "Main", "--location", "North", "--primary-location", "North" };
	char *only_primary[] = { "--primary-location", "North" };
	char *none[] = { "--employee", "--no-admin" };
	json_t *in = NULL;
	char err[256];

	(void)state;
	assert_int_equal(input_from(primary, ARGC(primary), false, &in, err, sizeof(err)), 0);
	assert_json(in, "{\"locations\":[\"Main\",\"North\"],\"primary_location\":\"North\"}");
	json_decref(in);
	assert_int_equal(input_from(only_primary, ARGC(only_primary), false, &in, err, sizeof(err)), 0);
	assert_json(in, "{\"primary_location\":\"North\"}");
	json_decref(in);
	/* Absent flags stay absent: the defaults are staffd's. */
	assert_int_equal(input_from(none, ARGC(none), false, &in, err, sizeof(err)), 0);
	assert_json(in, "{\"employment\":\"employee\",\"admin\":false}");
	json_decref(in);
	assert_int_equal(input_from(none, 0, true, &in, err, sizeof(err)), 0);
	assert_json(in, "{}");
	json_decref(in);
}

static void test_user_input_clear(void **state)
{
	char *clears[] = { "--clear", "npi", "--clear", "cell_phone", "--clear", "location", "--clear", "provider",
			   "--capacity", "3" };
	char *primary[] = { "--clear", "primary-location", "--location", "North" };
	json_t *in = NULL;
	char err[256];

	(void)state;
	assert_int_equal(input_from(clears, ARGC(clears), true, &in, err, sizeof(err)), 0);
	assert_json(in, "{\"npi\":null,\"cell_phone\":null,\"locations\":null,\"primary_provider\":null,"
			"\"capacity\":3}");
	json_decref(in);
	/* A cleared primary is not refilled from --location. */
	assert_int_equal(input_from(primary, ARGC(primary), true, &in, err, sizeof(err)), 0);
	assert_json(in, "{\"primary_location\":null,\"locations\":[\"North\"]}");
	json_decref(in);
	/* Without for_edit, --clear means nothing. */
	assert_int_equal(input_from(clears, ARGC(clears), false, &in, err, sizeof(err)), 0);
	assert_json(in, "{\"capacity\":3}");
	json_decref(in);
}

static void test_user_input_init_table(void **state)
{
	char *argv[] = { "--practice", "P", "--admin", "amy", "--email", "a@x.example", "--external" };
	struct ctl_args a;
	json_t *in = NULL;
	char err[256];

	(void)state;
	/* In init, --admin names the user; it must not read as the administrator flag. */
	assert_int_equal(ctl_args_parse(ARGC(argv), argv, ctl_init_options, 0, &a, err, sizeof(err)), 0);
	assert_int_equal(ctl_user_input(&a, false, &in, err, sizeof(err)), 0);
	assert_json(in, "{\"email\":\"a@x.example\",\"employment\":\"external\"}");
	json_decref(in);
	ctl_args_free(&a);
}

static void expect_input_error(char **argv, int argc, bool edit, const char *needle)
{
	json_t *in = (json_t *)&in;	/* a sentinel that must stay */
	char err[512] = "";

	assert_int_equal(input_from(argv, argc, edit, &in, err, sizeof(err)), -EINVAL);
	assert_ptr_equal(in, (json_t *)&in);
	if (!strstr(err, needle))
		print_error("message '%s' lacks '%s'\n", err, needle);
	assert_non_null(strstr(err, needle));
}

static void test_user_input_errors(void **state)
{
	char *clear_email[] = { "--clear", "email" };
	char *clear_unknown[] = { "--clear", "shoe-size" };
	char *clear_and_set[] = { "--clear", "npi", "--npi", "1234567893" };
	char *clear_and_set2[] = { "--clear", "home_phone", "--home-phone", "1" };
	char *admin_both[] = { "--admin", "--no-admin" };
	char *billing_both[] = { "--daily-billing-report", "--no-daily-billing-report" };
	char *employment_both[] = { "--external", "--employee" };
	char *capacity_zero[] = { "--capacity", "0" };
	char *capacity_word[] = { "--capacity", "two" };
	char *step_neg[] = { "--step", "-15" };
	char *step_big[] = { "--step", "99999999999999999999" };
	char *bad_utf8[] = { "--first", "Ren\xe9" };
	char *bad_loc[] = { "--location", "\xff" };

	(void)state;
	expect_input_error(clear_email, 2, true, "'email' cannot be cleared");
	expect_input_error(clear_unknown, 2, true, "'shoe-size' cannot be cleared");
	expect_input_error(clear_and_set, 4, true, "--clear npi contradicts --npi");
	expect_input_error(clear_and_set2, 4, true, "--clear home_phone contradicts --home-phone");
	expect_input_error(admin_both, 2, false, "--admin contradicts --no-admin");
	expect_input_error(billing_both, 2, true, "--daily-billing-report contradicts --no-daily-billing-report");
	expect_input_error(employment_both, 2, false, "--external contradicts --employee");
	expect_input_error(capacity_zero, 2, false, "--capacity: '0' is not a positive whole number");
	expect_input_error(capacity_word, 2, false, "--capacity: 'two'");
	expect_input_error(step_neg, 2, false, "--step: '-15' is not a positive whole number of minutes");
	expect_input_error(step_big, 2, false, "--step");
	expect_input_error(bad_utf8, 2, false, "--first: not valid UTF-8");
	expect_input_error(bad_loc, 2, false, "--location: not valid UTF-8");
}

static void test_check_pin(void **state)
{
	(void)state;
	assert_int_equal(ctl_check_pin("1234"), 0);
	assert_int_equal(ctl_check_pin("0000"), 0);
	assert_int_equal(ctl_check_pin("123"), -EINVAL);
	assert_int_equal(ctl_check_pin("12345"), -EINVAL);
	assert_int_equal(ctl_check_pin("12a4"), -EINVAL);
	assert_int_equal(ctl_check_pin(" 123"), -EINVAL);
	assert_int_equal(ctl_check_pin(""), -EINVAL);
}

static void test_user_and_audit_rows(void **state)
{
	json_t *u1 = json_loads("{\"username\":\"jdoe\",\"first_name\":\"Jane\",\"last_name\":\"Doe\","
				"\"role\":\"Nurse\",\"status\":\"active\",\"locked\":true,"
				"\"primary_location\":\"Main\",\"email\":\"j@x.example\"}", 0, NULL);
	json_t *u2 = json_loads("{\"username\":\"amy\",\"first_name\":\"Amy\",\"last_name\":\"Admin\","
				"\"role\":\"Owner\",\"status\":\"pending\",\"locked\":false,"
				"\"primary_location\":null,\"email\":\"a@x.example\"}", 0, NULL);
	json_t *rec = json_loads("{\"seq\":17,\"time\":0,\"actor\":\"root\",\"action\":\"login\","
				 "\"target\":\"jdoe\",\"result\":\"failure\",\"service\":\"sshd\",\"tty\":null,"
				 "\"rhost\":\"10.0.0.1\",\"detail\":\"bad password\",\"hash\":\"ab\"}", 0, NULL);
	struct ctl_table *t;
	char *s;
	int r;

	(void)state;
	set_tz("UTC");
	assert_int_equal(ctl_table_new(7, &t), 0);
	assert_int_equal(ctl_user_table_add(t, u1), 0);
	assert_int_equal(ctl_user_table_add(t, u2), 0);
	s = capture_table(t, false, &r);
	assert_int_equal(r, 0);
	assert_string_equal(s,
			    "jdoe  Jane Doe   Nurse  active   yes  Main  j@x.example\n"
			    "amy   Amy Admin  Owner  pending  no   -     a@x.example\n");
	free(s);
	ctl_table_free(t);

	assert_int_equal(ctl_table_new(7, &t), 0);
	assert_int_equal(ctl_audit_table_add(t, rec), 0);
	s = capture_table(t, false, &r);
	assert_string_equal(s, "17  1970-01-01 00:00:00  root  login  jdoe  failure  "
			       "service=sshd rhost=10.0.0.1 bad password\n");
	free(s);
	ctl_table_free(t);
	json_decref(u1);
	json_decref(u2);
	json_decref(rec);
}

/* ---- prompt.c ---- */

static int feed(struct ctl_secret *s, const char *bytes)
{
	struct ctl_line_keys k;
	int r = 0;

	ctl_line_keys_default(&k);
	for (const char *p = bytes; *p; p++)
		if ((r = ctl_line_feed(s, &k, (unsigned char)*p)) != 0)
			return r;
	return r;
}

static void test_line_editing(void **state)
{
	struct ctl_secret *s;
	struct ctl_line_keys k;

	(void)state;
	assert_int_equal(ctl_secret_new(8, &s), 0);
	assert_int_equal(feed(s, "12345\n"), 1);
	assert_string_equal(s->buf, "12345");

	ctl_secret_free(s);
	assert_int_equal(ctl_secret_new(8, &s), 0);
	assert_int_equal(feed(s, "12x\x7f" "3\r"), 1);	/* erase */
	assert_string_equal(s->buf, "123");

	ctl_secret_free(s);
	assert_int_equal(ctl_secret_new(8, &s), 0);
	assert_int_equal(feed(s, "ab\xc3\xa9\x7f\n"), 1);	/* erase takes a whole UTF-8 character */
	assert_string_equal(s->buf, "ab");

	ctl_secret_free(s);
	assert_int_equal(ctl_secret_new(8, &s), 0);
	assert_int_equal(feed(s, "wrong\x15" "ok\n"), 1);	/* kill line */
	assert_string_equal(s->buf, "ok");

	ctl_secret_free(s);
	assert_int_equal(ctl_secret_new(16, &s), 0);
	assert_int_equal(feed(s, "one two\x17" "2\n"), 1);	/* erase word */
	assert_string_equal(s->buf, "one 2");

	ctl_secret_free(s);
	assert_int_equal(ctl_secret_new(8, &s), 0);
	assert_int_equal(feed(s, "1\x01\x1b" "2\n"), 1);	/* other controls ignored */
	assert_string_equal(s->buf, "12");

	ctl_secret_free(s);
	assert_int_equal(ctl_secret_new(8, &s), 0);
	assert_int_equal(feed(s, "12\x03"), -ECANCELED);
	assert_int_equal(feed(s, "\x1c"), -ECANCELED);
	assert_int_equal(feed(s, "\x04"), 0);		/* EOF mid-line is ignored */

	ctl_secret_free(s);
	assert_int_equal(ctl_secret_new(8, &s), 0);
	assert_int_equal(feed(s, "\x04"), -ENODATA);	/* EOF on an empty line */

	ctl_secret_free(s);
	assert_int_equal(ctl_secret_new(4, &s), 0);
	assert_int_equal(feed(s, "123456\n"), -E2BIG);
	assert_int_equal(s->len, 4);
	ctl_secret_free(s);
	assert_int_equal(ctl_secret_new(4, &s), 0);
	assert_int_equal(feed(s, "123456\x7f\x7f\n"), 1);	/* erasing the overflow makes it fit */
	assert_string_equal(s->buf, "1234");

	/* A key the terminal disabled (0) must not match a typed NUL. */
	ctl_secret_free(s);
	assert_int_equal(ctl_secret_new(4, &s), 0);
	ctl_line_keys_default(&k);
	k.intr = 0;
	assert_int_equal(ctl_line_feed(s, &k, 0), 0);
	assert_int_equal(ctl_line_feed(s, &k, 3), 0);
	ctl_secret_free(s);
}

static int pipe_with(const char *data, size_t len)
{
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], data, len), (ssize_t)len);
	close(p[1]);
	return p[0];
}

static void test_secret_read_fd(void **state)
{
	struct ctl_secret *s;
	int fd;

	(void)state;
	assert_int_equal(ctl_secret_new(STAFF_SECRET_MAX, &s), 0);
	fd = pipe_with("1234\r\nsecond\n", 13);
	assert_int_equal(ctl_secret_read_fd(fd, s), 0);
	assert_string_equal(s->buf, "1234");
	/* One line only: the rest stays for whoever reads next. */
	assert_int_equal(ctl_secret_read_fd(fd, s), 0);
	assert_string_equal(s->buf, "second");
	assert_int_equal(ctl_secret_read_fd(fd, s), -ENODATA);
	assert_int_equal(s->len, 0);
	close(fd);

	fd = pipe_with("no newline", 10);
	assert_int_equal(ctl_secret_read_fd(fd, s), 0);
	assert_string_equal(s->buf, "no newline");
	close(fd);

	fd = pipe_with("\n", 1);
	assert_int_equal(ctl_secret_read_fd(fd, s), 0);
	assert_string_equal(s->buf, "");
	close(fd);

	fd = pipe_with("ab\0cd\n", 6);
	assert_int_equal(ctl_secret_read_fd(fd, s), -EINVAL);
	assert_int_equal(s->len, 0);
	close(fd);

	assert_int_equal(ctl_secret_read_fd(-1, s), -EBADF);
	ctl_secret_free(s);

	assert_int_equal(ctl_secret_new(3, &s), 0);
	fd = pipe_with("1234\n", 5);
	assert_int_equal(ctl_secret_read_fd(fd, s), -E2BIG);
	assert_string_equal(s->buf, "");	/* wiped */
	close(fd);
	ctl_secret_free(s);
	ctl_secret_free(NULL);
}

/* A ctl writing into memory; stdin is in_fd or the in stream. */
struct fake_io {
	char *out, *err;
	size_t out_len, err_len;
	FILE *out_f, *err_f;
};

static void io_open(struct fake_io *io, struct ctl *ctl, bool interactive, FILE *in, int in_fd)
{
	memset(io, 0, sizeof(*io));
	io->out_f = open_memstream(&io->out, &io->out_len);
	io->err_f = open_memstream(&io->err, &io->err_len);
	assert_non_null(io->out_f);
	assert_non_null(io->err_f);
	*ctl = (struct ctl){
		.timeout_ms = 5000, .interactive = interactive, .in = in, .in_fd = in_fd,
		.tty = "/nonexistent/tty", .out = io->out_f, .err = io->err_f,
	};
}

static void io_close(struct fake_io *io)
{
	fclose(io->out_f);
	fclose(io->err_f);
}

static void io_free(struct fake_io *io)
{
	free(io->out);
	free(io->err);
}

static void test_ask_secret_stdin(void **state)
{
	struct ctl_secret *s = NULL;
	struct fake_io io;
	struct ctl ctl;
	int fd;

	(void)state;
	fd = pipe_with("4321\n", 5);
	io_open(&io, &ctl, false, NULL, fd);
	assert_int_equal(ctl_ask_secret(&ctl, "PIN: ", "Again: ", &s), 0);
	assert_string_equal(s->buf, "4321");
	ctl_secret_free(s);
	s = NULL;
	/* Nothing left: a usage error naming the secret. */
	assert_int_equal(ctl_ask_secret(&ctl, "New PIN: ", NULL, &s), CTL_E_USAGE);
	assert_null(s);
	io_close(&io);
	assert_string_equal(io.err, "staffctl: no new PIN given\n");
	assert_string_equal(io.out, "");	/* no prompt, no echo */
	io_free(&io);
	close(fd);

	/* Interactive, but the terminal cannot be opened: a local error. */
	io_open(&io, &ctl, true, NULL, -1);
	assert_int_equal(ctl_ask_secret(&ctl, "PIN: ", NULL, &s), CTL_E_LOCAL);
	io_close(&io);
	assert_non_null(strstr(io.err, "cannot read PIN from /nonexistent/tty"));
	io_free(&io);
}

static void test_prompt_and_require(void **state)
{
	char text[] = "\n   \nAnswer here\r\nnext";
	FILE *in = fmemopen(text, strlen(text), "r");
	FILE *none = fdopen(pipe_with("", 0), "r");
	FILE *sink = fopen("/dev/null", "w");
	struct fake_io io;
	struct ctl ctl;
	char *v = NULL;

	(void)state;
	/* Given values are copied, whatever the mode. */
	io_open(&io, &ctl, false, NULL, -1);
	assert_int_equal(ctl_require(&ctl, "user add", "given", "--email", "Email", &v), 0);
	assert_string_equal(v, "given");
	free(v);
	v = NULL;
	/* Not interactive: missing is a usage error naming the flag. */
	assert_int_equal(ctl_require(&ctl, "user add", NULL, "--email", "Email", &v), CTL_E_USAGE);
	assert_null(v);
	io_close(&io);
	assert_string_equal(io.err, "staffctl: user add: missing --email\n");
	io_free(&io);

	/* Interactive: blank answers ask again. */
	io_open(&io, &ctl, true, in, -1);
	assert_int_equal(ctl_require(&ctl, "init", NULL, "--practice", "Practice name", &v), 0);
	assert_string_equal(v, "Answer here");
	free(v);
	v = NULL;
	assert_int_equal(ctl_require(&ctl, "init", NULL, "--admin", "Username", &v), 0);
	assert_string_equal(v, "next");
	free(v);
	v = NULL;
	/* End of input while asking: the value is missing. */
	assert_int_equal(ctl_require(&ctl, "init", NULL, "--admin", "Username", &v), CTL_E_USAGE);
	io_close(&io);
	assert_non_null(strstr(io.err, "Practice name: Practice name: Practice name: "));
	assert_non_null(strstr(io.err, "staffctl: init: missing --admin"));
	io_free(&io);
	fclose(in);

	assert_non_null(none);
	assert_non_null(sink);
	assert_int_equal(ctl_prompt_line(none, sink, "Q: ", &v), -ENODATA);
	assert_null(v);
	fclose(none);
	fclose(sink);
}

/* ---- whole commands: dispatch, help, exit codes ---- */

struct result {
	int code;
	char *out;
	char *err;
};

static void run_full(struct result *res, const char *socket, bool interactive, int in_fd, const char *const *args)
{
	char *argv[64];
	struct fake_io io;
	struct ctl ctl;
	int argc = 0;

	argv[argc++] = "staffctl";
	for (; *args && argc < 63; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	io_open(&io, &ctl, interactive, NULL, in_fd);
	res->code = ctl_main(&ctl, argc, argv, socket);
	io_close(&io);
	res->out = io.out;
	res->err = io.err;
}

static void run(struct result *res, const char *socket, const char *const *args)
{
	run_full(res, socket, false, -1, args);
}

static void result_free(struct result *res)
{
	free(res->out);
	free(res->err);
}

static void expect_exit(const char *const *args, int code, const char *err_needle)
{
	struct result res;

	run(&res, "/nonexistent/staffd.sock", args);
	if (res.code != code || (err_needle && !strstr(res.err, err_needle)))
		print_error("args '%s': exit %d, stderr '%s'\n", args[0], res.code, res.err);
	assert_int_equal(res.code, code);
	if (err_needle)
		assert_non_null(strstr(res.err, err_needle));
	result_free(&res);
}

static void test_main_basics(void **state)
{
	struct result res;

	(void)state;
	run(&res, NULL, (const char *[]){ "--version", NULL });
	assert_int_equal(res.code, 0);
	assert_string_equal(res.out, "staffctl " STAFF_VERSION "\n");
	result_free(&res);

	run(&res, NULL, (const char *[]){ "--help", NULL });
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(res.out, "Usage: staffctl"));
	assert_non_null(strstr(res.out, "Exit status:"));
	assert_non_null(strstr(res.out, "STAFFD_SOCKET"));
	assert_string_equal(res.err, "");
	result_free(&res);

	expect_exit((const char *[]){ NULL }, 2, "missing command");
	expect_exit((const char *[]){ "bogus", NULL }, 2, "unknown command 'bogus'");
	expect_exit((const char *[]){ "--bogus", NULL }, 2, "unknown option '--bogus'");
	expect_exit((const char *[]){ "--timeout", "soon", "status", NULL }, 2, "--timeout");
	expect_exit((const char *[]){ "--timeout", "-1", "status", NULL }, 2, "--timeout");
	expect_exit((const char *[]){ "user", NULL }, 2, "user: missing command");
	expect_exit((const char *[]){ "user", "fly", NULL }, 2, "user: unknown command 'fly'");
	expect_exit((const char *[]){ "user", "show", NULL }, 2, "user show: missing argument");
	expect_exit((const char *[]){ "user", "show", "a", "b", NULL }, 2, "unexpected argument 'b'");
	expect_exit((const char *[]){ "user", "show", "--email", "x", "a", NULL }, 2, "unknown option '--email'");
	expect_exit((const char *[]){ "role", "grant", "Scribe", NULL }, 2, "role grant: missing argument");
	expect_exit((const char *[]){ "audit", "frob", NULL }, 2, "audit: unknown command 'frob'");
	expect_exit((const char *[]){ "audit", "--since", "2024-02-30", NULL }, 2, "--since '2024-02-30'");
	expect_exit((const char *[]){ "audit", "--limit", "0", NULL }, 2, "--limit '0'");
	expect_exit((const char *[]){ "user", "list", "--status", "gone", NULL }, 2, "--status must be");
	expect_exit((const char *[]){ "user", "edit", "jdoe", NULL }, 2, "nothing to change");
	expect_exit((const char *[]){ "user", "edit", "jdoe", "--clear", "role", NULL }, 2, "cannot be cleared");
	expect_exit((const char *[]){ "user", "add", "jdoe", "--first", "J", "--last", "D", "--role", "Nurse", NULL },
		    2, "user add: missing --email");
	expect_exit((const char *[]){ "user", "add", "--email", "e@x", NULL }, 2, "user add: missing USER");
	expect_exit((const char *[]){ "init", "--admin", "amy", NULL }, 2, "init: missing --practice");
	expect_exit((const char *[]){ "init", "--practice", "P", "--admin", "amy", "--email", "a@x", "--first", "A",
				      NULL }, 2, "init: missing --last");
	expect_exit((const char *[]){ "codeword", "rotate", "--set", "a", "--prompt", NULL }, 2, "contradicts");
	expect_exit((const char *[]){ "help", "user", "fly", NULL }, 2, "unknown command 'fly'");
	expect_exit((const char *[]){ "help", "status", "x", NULL }, 2, "has no subcommand");
	/* Checks on the command line come before staffd is asked; then it cannot be reached. */
	expect_exit((const char *[]){ "status", NULL }, 3, "no socket at /nonexistent/staffd.sock");
	expect_exit((const char *[]){ "user", "list", NULL }, 3, "is staffd running?");
	expect_exit((const char *[]){ "--socket", "", "status", NULL }, 3, "invalid socket path");
}

/* Every command and subcommand answers -h, --help and "help ..." with usage on stdout and exit 0. */
static void check_help(const char *const *path, size_t depth, const struct ctl_command *cmd)
{
	const char *args[8];
	struct result res;
	size_t n = 0;

	for (size_t i = 0; i < depth; i++)
		args[n++] = path[i];
	args[n++] = cmd->name;
	for (int form = 0; form < 3; form++) {
		size_t m = n;
		const char *full[10];

		if (form == 2) {
			full[0] = "help";
			memcpy(full + 1, args, n * sizeof(*args));
			m = n + 1;
		} else {
			memcpy(full, args, n * sizeof(*args));
			full[m++] = form == 0 ? "--help" : "-h";
		}
		full[m] = NULL;
		run(&res, "/nonexistent", full);
		if (res.code != 0)
			print_error("help for %s failed: %s\n", cmd->name, res.err);
		assert_int_equal(res.code, 0);
		assert_non_null(strstr(res.out, "Usage: staffctl "));
		assert_non_null(strstr(res.out, cmd->name));
		assert_string_equal(res.err, "");
		result_free(&res);
	}
	if (cmd->sub && depth < 4) {
		const char *sub_path[8];

		for (size_t i = 0; i < depth; i++)
			sub_path[i] = path[i];
		sub_path[depth] = cmd->name;
		for (const struct ctl_command *c = cmd->sub; c->name; c++)
			check_help(sub_path, depth + 1, c);
	}
}

/* A backup is as sensitive as the key file: its help says so, and where that file is. */
static void test_backup_help(void **state)
{
	struct result res;

	(void)state;
	run(&res, "/nonexistent", (const char *[]){ "backup", "--help", NULL });
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(res.out, "password and PIN hash"));
	assert_non_null(strstr(res.out, "code word"));
	assert_non_null(strstr(res.out, "Keep it as you keep that key file"));
	assert_non_null(strstr(res.out, STAFFD_DEFAULT_STATE_DIR "/staffd.key"));
	result_free(&res);
}

static void test_help_everywhere(void **state)
{
	size_t n = 0;

	(void)state;
	for (const struct ctl_command *c = ctl_commands; c->name; c++, n++)
		check_help(NULL, 0, c);
	assert_true(n >= 10);
	assert_non_null(ctl_find_command(ctl_commands, "backup"));
	assert_null(ctl_find_command(ctl_commands, "back"));
}

/* ---- a scripted fake staffd ---- */

struct step {
	const char *method;
	const char *params;		/* expected parameters as JSON, NULL = not checked */
	const char *replies[4];		/* sent in order, NULL-terminated */
	const char *fd_data;		/* written to the descriptor passed with the call */
	bool want_fd;
	bool hang;			/* read the call, never answer */
};

struct fake {
	char dir[64];
	char path[108];
	int listen_fd;
	const struct step *steps;
	pthread_t thread;
	char failure[512];
};

static void fake_fail(struct fake *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fake_fail(struct fake *f, const char *fmt, ...)
{
	va_list ap;

	if (f->failure[0])
		return;
	va_start(ap, fmt);
	vsnprintf(f->failure, sizeof(f->failure), fmt, ap);
	va_end(ap);
}

/* One NUL-terminated frame, and the descriptor that came with it. */
static char *read_frame(int fd, int *passed)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);

	*passed = -1;
	while (buf && len < cap) {
		union {
			struct cmsghdr align;
			char b[CMSG_SPACE(sizeof(int))];
		} control;
		struct iovec iov = { .iov_base = buf + len, .iov_len = 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.b,
				     .msg_controllen = sizeof(control.b) };
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 5000) != 1)
			break;
		ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
		if (n <= 0)
			break;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
				memcpy(passed, CMSG_DATA(cm), sizeof(int));
		if (buf[len++] == '\0')
			return buf;
	}
	free(buf);
	return NULL;
}

static void *fake_main(void *userdata)
{
	struct fake *f = userdata;
	struct pollfd p = { .fd = f->listen_fd, .events = POLLIN };
	int c;

	if (poll(&p, 1, 5000) != 1) {
		fake_fail(f, "no connection");
		return NULL;
	}
	c = accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0) {
		fake_fail(f, "accept: %s", strerror(errno));
		return NULL;
	}
	for (const struct step *s = f->steps; s->method; s++) {
		struct varlink_call call;
		const char *bad = NULL;
		int passed;
		char *frame = read_frame(c, &passed);

		if (!frame) {
			fake_fail(f, "no call for %s", s->method);
			break;
		}
		if (varlink_call_decode(frame, strlen(frame), &call, &bad) < 0) {
			fake_fail(f, "undecodable call: %s", bad);
			free(frame);
			break;
		}
		free(frame);
		if (strcmp(call.method, s->method) != 0)
			fake_fail(f, "called %s, expected %s", call.method, s->method);
		if (s->params) {
			json_t *want = json_loads(s->params, 0, NULL);
			if (!want || !json_equal(want, call.parameters)) {
				char *got = json_dumps(call.parameters, JSON_SORT_KEYS);
				fake_fail(f, "%s parameters %s, expected %s", s->method, got, s->params);
				json_free_text(got);
			}
			json_decref(want);
		}
		if (s->want_fd != (passed >= 0))
			fake_fail(f, "%s: descriptor %s", s->method, passed >= 0 ? "unexpected" : "missing");
		if (passed >= 0) {
			if (s->fd_data && write(passed, s->fd_data, strlen(s->fd_data)) != (ssize_t)strlen(s->fd_data))
				fake_fail(f, "cannot write to the passed descriptor");
			close(passed);
		}
		if (s->hang) {
			char b;
			struct pollfd q = { .fd = c, .events = POLLIN };
			/* Until the client gives up and closes. */
			if (poll(&q, 1, 10000) == 1)
				(void)read(c, &b, 1);
			varlink_call_clear(&call);
			break;
		}
		for (size_t i = 0; s->replies[i]; i++)
			if (send(c, s->replies[i], strlen(s->replies[i]) + 1, MSG_NOSIGNAL) < 0)
				fake_fail(f, "send: %s", strerror(errno));
		varlink_call_clear(&call);
	}
	close(c);
	return NULL;
}

static void fake_start(struct fake *f, const struct step *steps)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(f, 0, sizeof(*f));
	f->steps = steps;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test-staffctl.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/sock", f->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	f->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->listen_fd >= 0);
	assert_int_equal(bind(f->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->listen_fd, 4), 0);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

static void fake_stop(struct fake *f)
{
	assert_int_equal(pthread_join(f->thread, NULL), 0);
	close(f->listen_fd);
	unlink(f->path);
	rmdir(f->dir);
	if (f->failure[0])
		print_error("fake staffd: %s\n", f->failure);
	assert_string_equal(f->failure, "");
}

/* Runs staffctl against a fake staffd playing steps. */
static void session(struct result *res, const struct step *steps, int in_fd, const char *const *args)
{
	struct fake f;

	fake_start(&f, steps);
	run_full(res, f.path, false, in_fd, args);
	fake_stop(&f);
}

#define USER_JDOE                                                                                              \
	"{\"username\":\"jdoe\",\"email\":\"jane.doe@riverside.example\",\"first_name\":\"Jane\","            \
	"\"last_name\":\"Doe\",\"role\":\"Nurse\",\"admin\":false,\"employment\":\"employee\","                \
	"\"status\":\"pending\",\"locked\":false,\"failed_logins\":0,\"locked_at\":null,"                        \
	"\"must_change_password\":false,\"primary_location\":\"Main\",\"locations\":[\"Main\"],"               \
	"\"primary_provider\":\"hprov\",\"npi\":null,\"dea\":null,\"taxonomy\":null,\"ncsbn_id\":null,"        \
	"\"degree\":null,\"specialty\":null,\"care_team_role\":null,\"cell_phone\":null,\"home_phone\":null,"  \
	"\"capacity\":1,\"step\":15,\"daily_billing_report\":false,\"email_updates\":true,"                      \
	"\"eprescribing_verified\":false,\"has_pin\":false,\"bio\":null,\"uid\":20001,\"created\":0,"            \
	"\"activated\":null,\"last_login\":60,\"last_login_service\":\"sshd\",\"last_login_tty\":null,"         \
	"\"last_login_host\":\"ws1\",\"last_password_change\":null,\"deactivated\":null,\"code_expires\":259200}"

static void test_fake_status(void **state)
{
	static const struct step steps[] = {
		{ .method = STAFF_METHOD("GetStatus"), .params = "{}",
		  .replies = { "{\"parameters\":{\"status\":{\"initialized\":true,\"practice\":\"Riverside Family "
			       "Clinic\",\"version\":\"0.1.0\",\"staff\":3,\"active\":1,\"pending\":1,\"inactive\":1,"
			       "\"locked\":0,\"locations\":1,\"roles\":8,\"audit_records\":12,\"max_staff\":0,"
			       "\"caller\":\"root\",\"caller_is_admin\":true}}}" } },
		{ .method = NULL },
	};
	struct result res;
	json_t *j;

	(void)state;
	session(&res, steps, -1, (const char *[]){ "status", NULL });
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(res.out, "Practice:        Riverside Family Clinic\n"));
	assert_non_null(strstr(res.out, "3 (1 active, 1 pending, 1 inactive; 0 locked)"));
	assert_non_null(strstr(res.out, "Seat limit:      none\n"));
	assert_non_null(strstr(res.out, "root (may administer)"));
	result_free(&res);

	session(&res, steps, -1, (const char *[]){ "--json", "status", NULL });
	assert_int_equal(res.code, 0);
	j = json_loads(res.out, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "status"), "practice")),
			    "Riverside Family Clinic");
	json_decref(j);
	result_free(&res);
}

static void test_fake_user_add(void **state)
{
	static const struct step steps[] = {
		{ .method = STAFF_METHOD("UserAdd"),
		  .params = "{\"user\":{\"username\":\"jdoe\",\"email\":\"jane.doe@riverside.example\","
			    "\"first_name\":\"Jane\",\"last_name\":\"Doe\",\"role\":\"Nurse\","
			    "\"locations\":[\"Main\"],\"primary_location\":\"Main\",\"primary_provider\":\"hprov\"},"
			    "\"show_code\":true}",
		  .replies = { "{\"parameters\":{\"user\":" USER_JDOE ",\"activation_code\":\"7KQ2-M9XD-AAAA\","
			       "\"delivery\":{\"mailed\":false,\"error\":\"sendmail exited with 75\"}}}" } },
		{ .method = NULL },
	};
	static const char *const args[] = { "user", "add", "jdoe", "--email", "jane.doe@riverside.example", "--first",
					    "Jane", "--last", "Doe", "--role", "Nurse", "--location", "Main",
					    "--provider", "hprov", "--show-code", NULL };
	static const char *const json_args[] = { "--json", "user", "add", "jdoe", "--email",
						 "jane.doe@riverside.example", "--first", "Jane", "--last", "Doe",
						 "--role", "Nurse", "--location", "Main", "--provider", "hprov",
						 "--show-code", NULL };
	struct result res;
	json_t *j;

	(void)state;
	set_tz("UTC");
	session(&res, steps, -1, args);
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(res.out, "Added jdoe (Jane Doe, Nurse)"));
	assert_non_null(strstr(res.out, "Activation code for jdoe:  7KQ2-M9XD-AAAA\n"));
	assert_non_null(strstr(res.out, "Valid until 1970-01-04 00:00:00 UTC."));
	assert_non_null(strstr(res.out, "in person"));
	assert_string_equal(res.err, "staffctl: invitation was not mailed: sendmail exited with 75\n");
	result_free(&res);

	session(&res, steps, -1, json_args);
	assert_int_equal(res.code, 0);
	j = json_loads(res.out, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "activation_code")), "7KQ2-M9XD-AAAA");
	json_decref(j);
	assert_string_equal(res.err, "staffctl: invitation was not mailed: sendmail exited with 75\n");
	result_free(&res);
}

static void test_fake_mail_failed_no_code(void **state)
{
	static const struct step steps[] = {
		{ .method = STAFF_METHOD("UserResetPassword"), .params = "{\"username\":\"jdoe\"}",
		  .replies = { "{\"parameters\":{\"user\":" USER_JDOE ",\"reset_code\":null,"
			       "\"delivery\":{\"mailed\":false,\"error\":\"no mail_command\"}}}" } },
		{ .method = NULL },
	};
	static const struct step resend[] = {
		{ .method = STAFF_METHOD("UserResendInvite"), .params = "{\"username\":\"jdoe\"}",
		  .replies = { "{\"parameters\":{\"user\":" USER_JDOE ","
			       "\"delivery\":{\"mailed\":false,\"error\":\"x\"}}}" } },
		{ .method = NULL },
	};
	static const struct step mailed[] = {
		{ .method = STAFF_METHOD("UserResendInvite"), .params = "{\"username\":\"jdoe\"}",
		  .replies = { "{\"parameters\":{\"user\":" USER_JDOE ","
			       "\"delivery\":{\"mailed\":true,\"error\":null}}}" } },
		{ .method = NULL },
	};
	struct result res;

	(void)state;
	session(&res, steps, -1, (const char *[]){ "user", "reset-password", "jdoe", NULL });
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(res.err, "staffctl: reset code was not mailed: no mail_command\n"));
	assert_non_null(strstr(res.err, "'staffctl user reset-password jdoe --show-code'"));
	assert_null(strstr(res.out, "Reset code for"));
	result_free(&res);

	session(&res, resend, -1, (const char *[]){ "user", "resend-invite", "jdoe", NULL });
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(res.err, "invitation was not mailed: x\n"));
	assert_non_null(strstr(res.err, "'staffctl user resend-invite jdoe --show-code'"));
	result_free(&res);

	session(&res, mailed, -1, (const char *[]){ "user", "resend-invite", "jdoe", NULL });
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(res.out, "Invitation mailed to jane.doe@riverside.example."));
	assert_string_equal(res.err, "");
	result_free(&res);
}

static void test_fake_user_list(void **state)
{
	static const struct step steps[] = {
		{ .method = STAFF_METHOD("UserList"), .params = "{\"status\":\"pending\",\"search\":\"doe\"}",
		  .replies = { "{\"parameters\":{\"user\":" USER_JDOE "},\"continues\":true}",
			       "{\"parameters\":{\"user\":{\"username\":\"amy\",\"first_name\":\"Amy\","
			       "\"last_name\":\"Admin\",\"role\":\"Owner\",\"status\":\"pending\",\"locked\":true,"
			       "\"primary_location\":null,\"email\":\"amy@riverside.example\"}},\"continues\":true}",
			       "{\"parameters\":{}}" } },
		{ .method = NULL },
	};
	static const struct step empty[] = {
		{ .method = STAFF_METHOD("UserList"), .params = "{}", .replies = { "{\"parameters\":{}}" } },
		{ .method = NULL },
	};
	struct result res;
	json_t *j;

	(void)state;
	session(&res, steps, -1, (const char *[]){ "user", "list", "--status", "pending", "--search", "doe", NULL });
	assert_int_equal(res.code, 0);
	assert_string_equal(res.out,
			    "USERNAME  NAME       ROLE   STATUS   LOCKED  LOCATION  EMAIL\n"
			    "jdoe      Jane Doe   Nurse  pending  no      Main      jane.doe@riverside.example\n"
			    "amy       Amy Admin  Owner  pending  yes     -         amy@riverside.example\n");
	result_free(&res);

	session(&res, steps, -1,
		(const char *[]){ "--json", "user", "list", "--status", "pending", "--search", "doe", NULL });
	assert_int_equal(res.code, 0);
	j = json_loads(res.out, 0, NULL);
	assert_true(json_is_array(j));
	assert_int_equal(json_array_size(j), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 1), "username")), "amy");
	json_decref(j);
	result_free(&res);

	session(&res, empty, -1, (const char *[]){ "user", "list", NULL });
	assert_int_equal(res.code, 0);
	assert_string_equal(res.out, "No staff members match.\n");
	result_free(&res);

	session(&res, empty, -1, (const char *[]){ "--json", "user", "list", NULL });
	assert_int_equal(res.code, 0);
	assert_string_equal(res.out, "[]\n");
	result_free(&res);
}

static void test_fake_user_show(void **state)
{
	static const struct step steps[] = {
		{ .method = STAFF_METHOD("UserShow"), .params = "{\"username\":\"jdoe\"}",
		  .replies = { "{\"parameters\":{\"user\":" USER_JDOE "}}" } },
		{ .method = NULL },
	};
	struct result res;

	(void)state;
	set_tz("UTC");
	session(&res, steps, -1, (const char *[]){ "user", "show", "jdoe", NULL });
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(res.out, "Username:                jdoe\n"));
	assert_non_null(strstr(res.out, "Name:                    Jane Doe\n"));
	assert_non_null(strstr(res.out, "Locations:               Main\n"));
	assert_non_null(strstr(res.out, "Scheduling step:         15 minutes\n"));
	assert_non_null(strstr(res.out, "Created:                 1970-01-01 00:00:00 UTC\n"));
	assert_non_null(strstr(res.out, "Last login:              1970-01-01 00:01:00 UTC (sshd, from ws1)\n"));
	assert_null(strstr(res.out, "NPI"));	/* null optional fields are left out */
	assert_null(strstr(res.out, "Activated"));
	result_free(&res);
}

static void test_fake_errors(void **state)
{
	static const struct step no_user[] = {
		{ .method = STAFF_METHOD("UserShow"),
		  .replies = { "{\"error\":\"io.practice.Staff.NoSuchUser\",\"parameters\":{\"username\":\"ghost\"}}" } },
		{ .method = NULL },
	};
	static const struct step conflict[] = {
		{ .method = STAFF_METHOD("UserEdit"),
		  .params = "{\"username\":\"jdoe\",\"changes\":{\"email\":\"amy@x.example\",\"capacity\":2,"
			    "\"step\":15,\"role\":\"Front Desk\",\"npi\":null}}",
		  .replies = { "{\"error\":\"io.practice.Staff.Conflict\",\"parameters\":{\"field\":\"email\","
			       "\"message\":\"already used by amy\"}}" } },
		{ .method = NULL },
	};
	static const struct step garbage[] = {
		{ .method = STAFF_METHOD("UserShow"), .replies = { "not json" } },
		{ .method = NULL },
	};
	static const struct step missing[] = {
		{ .method = STAFF_METHOD("UserShow"), .replies = { "{\"parameters\":{\"usr\":{}}}" } },
		{ .method = NULL },
	};
	static const struct step extra[] = {
		{ .method = STAFF_METHOD("UserShow"),
		  .replies = { "{\"parameters\":{\"user\":" USER_JDOE "},\"continues\":true}" } },
		{ .method = NULL },
	};
	static const struct step hangup[] = {
		{ .method = STAFF_METHOD("UserShow") },
		{ .method = NULL },
	};
	static const struct step not_init[] = {
		{ .method = STAFF_METHOD("LocationList"),
		  .replies = { "{\"error\":\"io.practice.Staff.NotInitialized\",\"parameters\":{}}" } },
		{ .method = NULL },
	};
	struct result res;

	(void)state;
	session(&res, no_user, -1, (const char *[]){ "user", "show", "ghost", NULL });
	assert_int_equal(res.code, 1);
	assert_string_equal(res.err, "staffctl: no such user: ghost\n");
	assert_string_equal(res.out, "");
	result_free(&res);

	session(&res, conflict, -1,
		(const char *[]){ "user", "edit", "jdoe", "--email", "amy@x.example", "--role", "Front Desk",
				  "--capacity", "2", "--step", "15", "--clear", "npi", NULL });
	assert_int_equal(res.code, 1);
	assert_string_equal(res.err, "staffctl: email: already used by amy\n");
	result_free(&res);

	session(&res, garbage, -1, (const char *[]){ "user", "show", "jdoe", NULL });
	assert_int_equal(res.code, 3);
	assert_non_null(strstr(res.err, "malformed reply"));
	result_free(&res);

	session(&res, missing, -1, (const char *[]){ "user", "show", "jdoe", NULL });
	assert_int_equal(res.code, 3);
	assert_non_null(strstr(res.err, "malformed reply from staffd: 'user' is missing"));
	result_free(&res);

	session(&res, extra, -1, (const char *[]){ "user", "show", "jdoe", NULL });
	assert_int_equal(res.code, 3);
	result_free(&res);

	session(&res, hangup, -1, (const char *[]){ "user", "show", "jdoe", NULL });
	assert_int_equal(res.code, 3);
	assert_non_null(strstr(res.err, "closed the connection"));
	result_free(&res);

	session(&res, not_init, -1, (const char *[]){ "location", "list", NULL });
	assert_int_equal(res.code, 1);
	assert_non_null(strstr(res.err, "run 'staffctl init' first"));
	result_free(&res);
}

static void test_fake_timeout(void **state)
{
	static const struct step steps[] = {
		{ .method = STAFF_METHOD("GetStatus"), .hang = true },
		{ .method = NULL },
	};
	struct result res;

	(void)state;
	session(&res, steps, -1, (const char *[]){ "--timeout", "200", "status", NULL });
	assert_int_equal(res.code, 3);
	assert_non_null(strstr(res.err, "did not answer within 200 ms"));
	result_free(&res);
}

static void test_fake_set_pin(void **state)
{
	static const struct step steps[] = {
		{ .method = STAFF_METHOD("UserSetPin"), .params = "{\"username\":\"jdoe\",\"pin\":\"0427\"}",
		  .replies = { "{\"parameters\":{\"user\":" USER_JDOE "}}" } },
		{ .method = NULL },
	};
	struct result res;
	int fd;

	(void)state;
	fd = pipe_with("0427\n", 5);
	session(&res, steps, fd, (const char *[]){ "user", "set-pin", "jdoe", NULL });
	close(fd);
	assert_int_equal(res.code, 0);
	assert_null(strstr(res.out, "0427"));	/* never echoed */
	assert_null(strstr(res.err, "0427"));
	result_free(&res);

	/* A bad PIN is refused before staffd is asked (the socket does not exist). */
	fd = pipe_with("12345\n", 6);
	run_full(&res, "/nonexistent", false, fd, (const char *[]){ "user", "set-pin", "jdoe", NULL });
	close(fd);
	assert_int_equal(res.code, 2);
	assert_non_null(strstr(res.err, "exactly 4 digits"));
	assert_null(strstr(res.err, "12345"));
	result_free(&res);
}

static void test_fake_codeword(void **state)
{
	static const struct step rotate[] = {
		{ .method = STAFF_METHOD("CodewordRotate"), .params = "{\"codeword\":\"blue heron 12\"}",
		  .replies = { "{\"parameters\":{\"codeword\":\"blue heron 12\"}}" } },
		{ .method = NULL },
	};
	static const struct step generate[] = {
		{ .method = STAFF_METHOD("CodewordRotate"), .params = "{}",
		  .replies = { "{\"parameters\":{\"codeword\":\"amber-harbor-lantern-42\"}}" } },
		{ .method = NULL },
	};
	struct result res;
	int fd;

	(void)state;
	fd = pipe_with("blue heron 12\n", 14);
	session(&res, rotate, fd, (const char *[]){ "codeword", "rotate", "--prompt", NULL });
	close(fd);
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(res.out, "New practice code word:  blue heron 12\n"));
	result_free(&res);

	session(&res, generate, -1, (const char *[]){ "codeword", "rotate", NULL });
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(res.out, "amber-harbor-lantern-42"));
	result_free(&res);
}

static void test_fake_init(void **state)
{
	static const struct step steps[] = {
		{ .method = STAFF_METHOD("Init"),
		  .params = "{\"practice\":\"Riverside Family Clinic\",\"admin\":{\"username\":\"amy\","
			    "\"email\":\"amy@riverside.example\",\"first_name\":\"Amy\",\"last_name\":\"Admin\"}}",
		  .replies = { "{\"parameters\":{\"codeword\":\"amber-harbor-lantern-42\",\"admin\":" USER_JDOE ","
			       "\"activation_code\":null,\"delivery\":{\"mailed\":true,\"error\":null}}}" } },
		{ .method = NULL },
	};
	struct result res;

	(void)state;
	session(&res, steps, -1,
		(const char *[]){ "init", "--practice", "Riverside Family Clinic", "--admin", "amy", "--email",
				  "amy@riverside.example", "--first", "Amy", "--last", "Admin", NULL });
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(res.out, "Practice code word:  amber-harbor-lantern-42\n"));
	assert_non_null(strstr(res.out, "Invitation mailed to"));
	assert_string_equal(res.err, "");
	result_free(&res);
}

static void test_fake_audit(void **state)
{
	static const struct step list[] = {
		{ .method = STAFF_METHOD("AuditList"), .params = "{\"user\":\"jdoe\",\"since\":100,\"limit\":5}",
		  .replies = { "{\"parameters\":{\"record\":{\"seq\":1,\"time\":0,\"actor\":\"root\","
			       "\"action\":\"user.add\",\"target\":\"jdoe\",\"result\":\"ok\",\"service\":null,"
			       "\"tty\":null,\"rhost\":null,\"detail\":null,\"hash\":\"00\"}}}" } },
		{ .method = NULL },
	};
	static const struct step broken[] = {
		{ .method = STAFF_METHOD("AuditVerify"),
		  .replies = { "{\"parameters\":{\"records\":40,\"ok\":false,\"first_bad\":17,"
			       "\"reason\":\"hash mismatch\"}}" } },
		{ .method = NULL },
	};
	static const struct step intact[] = {
		{ .method = STAFF_METHOD("AuditVerify"),
		  .replies = { "{\"parameters\":{\"records\":40,\"ok\":true,\"first_bad\":null,\"reason\":null}}" } },
		{ .method = NULL },
	};
	struct result res;

	(void)state;
	set_tz("UTC");
	session(&res, list, -1,
		(const char *[]){ "audit", "--user", "jdoe", "--since", "@100", "--limit", "5", NULL });
	assert_int_equal(res.code, 0);
	assert_string_equal(res.out, "SEQ  TIME                 ACTOR  ACTION    TARGET  RESULT  DETAILS\n"
				     "1    1970-01-01 00:00:00  root   user.add  jdoe    ok      -\n");
	result_free(&res);

	session(&res, broken, -1, (const char *[]){ "audit", "verify", NULL });
	assert_int_equal(res.code, 1);
	assert_string_equal(res.err, "staffctl: audit trail broken at record 17 of 40: hash mismatch\n");
	result_free(&res);

	session(&res, broken, -1, (const char *[]){ "--json", "audit", "verify", NULL });
	assert_int_equal(res.code, 1);
	assert_non_null(strstr(res.out, "\"first_bad\": 17"));
	result_free(&res);

	session(&res, intact, -1, (const char *[]){ "audit", "verify", NULL });
	assert_int_equal(res.code, 0);
	assert_string_equal(res.out, "Audit trail intact: 40 records verified.\n");
	result_free(&res);
}

static void test_fake_roles_locations(void **state)
{
	static const struct step role_add[] = {
		{ .method = STAFF_METHOD("RoleAdd"),
		  .params = "{\"name\":\"Scribe\",\"permissions\":[\"clinical.charts\",\"clinical.notes\"]}",
		  .replies = { "{\"parameters\":{\"role\":{\"name\":\"Scribe\",\"permissions\":[\"clinical.charts\","
			       "\"clinical.notes\"],\"system\":false,\"staff\":0}}}" } },
		{ .method = NULL },
	};
	static const struct step grant[] = {
		{ .method = STAFF_METHOD("RoleGrant"),
		  .params = "{\"name\":\"Scribe\",\"permissions\":[\"calendar.view\",\"reports.business\"]}",
		  .replies = { "{\"parameters\":{\"role\":{\"name\":\"Scribe\",\"permissions\":[],\"system\":false}}}" } },
		{ .method = NULL },
	};
	static const struct step loc_add[] = {
		{ .method = STAFF_METHOD("LocationAdd"), .params = "{\"name\":\"Main\",\"address\":\"12 River St\"}",
		  .replies = { "{\"parameters\":{\"location\":{\"name\":\"Main\",\"address\":\"12 River St\"}}}" } },
		{ .method = NULL },
	};
	static const struct step loc_list[] = {
		{ .method = STAFF_METHOD("LocationList"), .params = "{}",
		  .replies = { "{\"parameters\":{\"locations\":[{\"name\":\"Main\",\"address\":\"12 River St\","
			       "\"staff\":4},{\"name\":\"North\",\"address\":null,\"staff\":null}]}}" } },
		{ .method = NULL },
	};
	struct result res;

	(void)state;
	session(&res, role_add, -1,
		(const char *[]){ "role", "add", "Scribe", "--perm", "clinical.charts", "--perm", "clinical.notes",
				  NULL });
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(res.out, "Permissions:  clinical.charts, clinical.notes\n"));
	result_free(&res);

	session(&res, grant, -1,
		(const char *[]){ "role", "grant", "Scribe", "calendar.view", "reports.business", NULL });
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(res.out, "Permissions:  none\n"));
	result_free(&res);

	session(&res, loc_add, -1,
		(const char *[]){ "location", "add", "Main", "--address", "12 River St", NULL });
	assert_int_equal(res.code, 0);
	assert_string_equal(res.out, "Added location Main.\n");
	result_free(&res);

	session(&res, loc_list, -1, (const char *[]){ "location", "list", NULL });
	assert_int_equal(res.code, 0);
	assert_string_equal(res.out, "NAME   STAFF  ADDRESS\n"
				     "Main   4      12 River St\n"
				     "North  -      -\n");
	result_free(&res);

	session(&res, loc_list, -1, (const char *[]){ "--json", "location", "list", NULL });
	assert_int_equal(res.code, 0);
	assert_int_equal(res.out[0], '[');
	result_free(&res);
}

static void test_fake_forgot_password(void **state)
{
	static const struct step mailed[] = {
		{ .method = STAFF_METHOD("ForgotPassword"), .params = "{\"username\":\"jdoe\"}",
		  .replies = { "{\"parameters\":{\"delivery\":{\"mailed\":true,\"error\":null}}}" } },
		{ .method = NULL },
	};
	static const struct step failed[] = {
		{ .method = STAFF_METHOD("ForgotPassword"), .params = "{\"username\":\"jdoe\"}",
		  .replies = { "{\"parameters\":{\"delivery\":{\"mailed\":false,\"error\":\"no route\"}}}" } },
		{ .method = NULL },
	};
	static const struct step too_soon[] = {
		{ .method = STAFF_METHOD("ForgotPassword"),
		  .replies = { "{\"error\":\"io.practice.Staff.TooSoon\",\"parameters\":{\"retry_after\":600}}" } },
		{ .method = NULL },
	};
	struct result res;

	(void)state;
	session(&res, mailed, -1, (const char *[]){ "forgot-password", "jdoe", NULL });
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(res.out, "has been mailed"));
	assert_string_equal(res.err, "");
	result_free(&res);

	/* The code is never shown to the asker: failed mail is a failure. */
	session(&res, failed, -1, (const char *[]){ "forgot-password", "jdoe", NULL });
	assert_int_equal(res.code, 1);
	assert_string_equal(res.out, "");
	assert_non_null(strstr(res.err, "could not be mailed: no route"));
	result_free(&res);

	session(&res, too_soon, -1, (const char *[]){ "forgot-password", "jdoe", NULL });
	assert_int_equal(res.code, 1);
	assert_string_equal(res.err, "staffctl: too soon: try again in 10 minutes\n");
	result_free(&res);
}

static void test_fake_policy_check(void **state)
{
	static const struct step weak[] = {
		{ .method = STAFF_METHOD("PolicyCheck"), .params = "{\"password\":\"password1\",\"username\":\"jdoe\"}",
		  .replies = { "{\"parameters\":{\"ok\":false,\"score\":0,\"rules\":["
			       "{\"name\":\"length\",\"description\":\"at least 9\",\"ok\":true,\"message\":null},"
			       "{\"name\":\"upper\",\"description\":\"an uppercase letter\",\"ok\":false,"
			       "\"message\":\"needs an uppercase letter\"},"
			       "{\"name\":\"history\",\"description\":\"not reused\",\"ok\":null}]}}" } },
		{ .method = NULL },
	};
	static const struct step strong[] = {
		{ .method = STAFF_METHOD("PolicyCheck"), .params = "{\"password\":\"Tr0ub4dor&3x!\"}",
		  .replies = { "{\"parameters\":{\"ok\":true,\"score\":3,\"rules\":[]}}" } },
		{ .method = NULL },
	};
	struct result res;
	int fd;

	(void)state;
	fd = pipe_with("password1\n", 10);
	session(&res, weak, fd, (const char *[]){ "policy", "check", "--user", "jdoe", NULL });
	close(fd);
	assert_int_equal(res.code, 1);
	assert_string_equal(res.out, "ok           length   at least 9\n"
				     "FAIL         upper    needs an uppercase letter\n"
				     "not checked  history  not reused\n"
				     "\nStrength: [----] 0 of 4\n");
	assert_string_equal(res.err, "staffctl: the password does not meet the policy\n");
	result_free(&res);

	fd = pipe_with("Tr0ub4dor&3x!\n", 14);
	session(&res, strong, fd, (const char *[]){ "policy", "check", NULL });
	close(fd);
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(res.out, "Strength: [###-] 3 of 4\nThe password meets the policy.\n"));
	assert_null(strstr(res.out, "Tr0ub4dor"));
	result_free(&res);
}

static void test_fake_backup(void **state)
{
	static const struct step ok[] = {
		{ .method = STAFF_METHOD("Backup"), .params = "{}", .want_fd = true, .fd_data = "LMDBDATA",
		  .replies = { "{\"parameters\":{\"bytes\":8}}" } },
		{ .method = NULL },
	};
	static const struct step short_write[] = {
		{ .method = STAFF_METHOD("Backup"), .want_fd = true, .fd_data = "LMDB",
		  .replies = { "{\"parameters\":{\"bytes\":8}}" } },
		{ .method = NULL },
	};
	static const struct step denied[] = {
		{ .method = STAFF_METHOD("Backup"), .want_fd = true,
		  .replies = { "{\"error\":\"io.practice.Staff.PermissionDenied\",\"parameters\":"
			       "{\"method\":\"io.practice.Staff.Backup\"}}" } },
		{ .method = NULL },
	};
	char dir[] = "/tmp/test-staffctl-backup.XXXXXX", path[128], buf[16];
	struct result res;
	struct stat st;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/staffd.mdb", dir);

	session(&res, ok, -1, (const char *[]){ "backup", path, NULL });
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(res.out, "Backed up 8 bytes"));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	fd = open(path, O_RDONLY);
	assert_int_equal(read(fd, buf, sizeof(buf)), 8);
	close(fd);
	assert_memory_equal(buf, "LMDBDATA", 8);
	result_free(&res);

	/* Never overwrites: not even staffd is asked. */
	run(&res, "/nonexistent", (const char *[]){ "backup", path, NULL });
	assert_int_equal(res.code, 4);
	assert_non_null(strstr(res.err, "refusing to overwrite"));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 8);
	result_free(&res);
	unlink(path);

	session(&res, denied, -1, (const char *[]){ "backup", path, NULL });
	assert_int_equal(res.code, 1);
	assert_non_null(strstr(res.err, "only administrators may back up"));
	assert_int_equal(stat(path, &st), -1);	/* removed again */
	result_free(&res);

	session(&res, short_write, -1, (const char *[]){ "backup", path, NULL });
	assert_int_equal(res.code, 1);
	assert_non_null(strstr(res.err, "backup incomplete"));
	assert_int_equal(stat(path, &st), -1);
	result_free(&res);

	run(&res, "/nonexistent", (const char *[]){ "backup", path, NULL });
	assert_int_equal(res.code, 3);
	assert_int_equal(stat(path, &st), -1);
	result_free(&res);

	snprintf(path, sizeof(path), "%s/missing-dir/staffd.mdb", dir);
	run(&res, "/nonexistent", (const char *[]){ "backup", path, NULL });
	assert_int_equal(res.code, 4);
	assert_non_null(strstr(res.err, "cannot create"));
	result_free(&res);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args_mixed),
		cmocka_unit_test(test_args_values),
		cmocka_unit_test(test_args_errors),
		cmocka_unit_test(test_args_help),
		cmocka_unit_test(test_args_stop),
		cmocka_unit_test(test_parse_int),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_parse_since_utc),
		cmocka_unit_test(test_parse_since_local),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_table_sanitizes),
		cmocka_unit_test(test_kv),
		cmocka_unit_test(test_text_width),
		cmocka_unit_test(test_format_time),
		cmocka_unit_test(test_format_duration),
		cmocka_unit_test(test_printf_safe_and_json),
		cmocka_unit_test(test_socket_path),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_error_messages),
		cmocka_unit_test(test_transport_messages),
		cmocka_unit_test(test_json_set_str),
		cmocka_unit_test(test_user_input_all),
		cmocka_unit_test(test_user_input_locations),
		cmocka_unit_test(test_user_input_clear),
		cmocka_unit_test(test_user_input_init_table),
		cmocka_unit_test(test_user_input_errors),
		cmocka_unit_test(test_check_pin),
		cmocka_unit_test(test_user_and_audit_rows),
		cmocka_unit_test(test_line_editing),
		cmocka_unit_test(test_secret_read_fd),
		cmocka_unit_test(test_ask_secret_stdin),
		cmocka_unit_test(test_prompt_and_require),
		cmocka_unit_test(test_main_basics),
		cmocka_unit_test(test_help_everywhere),
		cmocka_unit_test(test_backup_help),
		cmocka_unit_test(test_fake_status),
		cmocka_unit_test(test_fake_user_add),
		cmocka_unit_test(test_fake_mail_failed_no_code),
		cmocka_unit_test(test_fake_user_list),
		cmocka_unit_test(test_fake_user_show),
		cmocka_unit_test(test_fake_errors),
		cmocka_unit_test(test_fake_timeout),
		cmocka_unit_test(test_fake_set_pin),
		cmocka_unit_test(test_fake_codeword),
		cmocka_unit_test(test_fake_init),
		cmocka_unit_test(test_fake_audit),
		cmocka_unit_test(test_fake_roles_locations),
		cmocka_unit_test(test_fake_forgot_password),
		cmocka_unit_test(test_fake_policy_check),
		cmocka_unit_test(test_fake_backup),
	};

	/* As staffctl does: every JSON block is wiped when freed. */
	ctl_json_wipe_on_free();
	if (sodium_init() < 0)
		return 1;
	set_tz("UTC");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
