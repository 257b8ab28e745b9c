/* Tests for lib/json-check.c: it accepts exactly what a client's jansson reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "json-check.h"

/*
 * What a client does with a record inside a reply: jansson, duplicates
 * refused. A NUL byte never gets that far (it ends the Varlink frame), and
 * json_loadb passes over some NULs, so text with one counts as unread.
 */
static bool jansson_reads(const char *text, size_t len)
{
	json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	bool ok = json_is_object(v) && !memchr(text, '\0', len);

	json_decref(v);
	return ok;
}

static bool check(const char *text)
{
	return json_record_check(text, strlen(text), NULL, NULL, 0);
}

static const char summary[] =
	"{\"username\":\"jdoe\",\"first_name\":\"Jane\",\"last_name\":\"O\\u2019Doe \\ud83d\\ude00\",\"email\":"
	"\"jane.doe@riverside.example\",\"role\":\"Front Desk\",\"status\":\"active\",\"locked\":false,\"admin\":"
	"true,\"locations\":[\"Main\",\"North\"],\"uid\":20001,\"locked_at\":null,\"n\":-1.5e3,\"m\":{\"a\":[]}}";

static void test_accepts_records(void **state)
{
	static const char *const good[] = {
		"{}",
		" {\"a\":1} \n",
		"{\"\":\"\"}",
		"{\"a\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}",
		"{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}",
		"{\"a\":[1,-0,0.5,1e10,1E-3,2.5e+2,true,false,null,{},[]]}",
		"{\"a\":9223372036854775807,\"b\":-9223372036854775808}",
		"{\"a\":1,\"A\":2}",
		summary,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_true(jansson_reads(good[i], strlen(good[i])));
		if (!check(good[i]))
			fail_msg("refused: %s", good[i]);
	}
}

static void test_refuses_damage(void **state)
{
	static const char *const bad[] = {
		"",
		" ",
		"[]",
		"\"a\"",
		"1",
		"{",
		"{\"a\"}",
		"{\"a\":}",
		"{\"a\":1,}",
		"{\"a\":1}}",
		"{\"a\":1} x",
		"{a:1}",
		"{\"a\":01}",
		"{\"a\":1.}",
		"{\"a\":.5}",
		"{\"a\":1e}",
		"{\"a\":-}",
		"{\"a\":+1}",
		"{\"a\":tru}",
		"{\"a\":nul}",
		"{\"a\":\"\\x\"}",
		"{\"a\":\"\\u12\"}",
		"{\"a\":\"\\u0000\"}",
		"{\"a\":\"\\ud800\"}",
		"{\"a\":\"\\udc00\"}",
		"{\"a\":\"\\ud800\\u0041\"}",
		"{\"a\":\"tab\there\"}",
		"{\"a\":\"\xc3\"}",
		"{\"a\":\"\xc0\xaf\"}",
		"{\"a\":\"\xed\xa0\x80\"}",
		"{\"a\":\"\xf4\x90\x80\x80\"}",
		"{\"a\":\"\xff\"}",
		"{\"a\":9223372036854775808}",
		"{\"a\":-9223372036854775809}",
		"{\"a\":1e400}",
		"{\"a\":1,\"a\":2}",
		"{\"a\":1,\"\\u0061\":2}",
		"\xef\xbb\xbf{}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(jansson_reads(bad[i], strlen(bad[i])));
		if (check(bad[i]))
			fail_msg("accepted: %s", bad[i]);
	}
	/* A NUL byte inside, which would also end a Varlink frame. */
	assert_false(json_record_check("{\"a\":\"x\0y\"}", 11, NULL, NULL, 0));
	assert_false(json_record_check("{}\0", 3, NULL, NULL, 0));
	assert_false(json_record_check(NULL, 0, NULL, NULL, 0));
}

static void test_limits(void **state)
{
	char deep[8 * JSON_CHECK_MAX_DEPTH + 16], wide[16 * JSON_CHECK_MAX_MEMBERS + 16];
	size_t n = 0;

	(void)state;
	/* Objects JSON_CHECK_MAX_DEPTH deep pass, one more does not. */
	for (int i = 0; i < JSON_CHECK_MAX_DEPTH - 1; i++)
		n += (size_t)sprintf(deep + n, "{\"a\":");
	n += (size_t)sprintf(deep + n, "{}");
	for (int i = 0; i < JSON_CHECK_MAX_DEPTH - 1; i++)
		deep[n++] = '}';
	deep[n] = '\0';
	assert_true(check(deep));
	memmove(deep + 5, deep, n + 1);
	memcpy(deep, "{\"a\":", 5);
	strcat(deep, "}");
	assert_false(check(deep));

	n = (size_t)sprintf(wide, "{");
	for (int i = 0; i < JSON_CHECK_MAX_MEMBERS; i++)
		n += (size_t)sprintf(wide + n, "%s\"k%d\":%d", i ? "," : "", i, i);
	strcpy(wide + n, "}");
	assert_true(check(wide));
	strcpy(wide + n, ",\"x\":0}");
	assert_false(check(wide));
}

/* Damaged copies of a real summary: the checker and jansson agree on every one. */
static void test_agrees_with_jansson(void **state)
{
	static const char alphabet[] = "{}[]\":,\\u0aeE.-+ 9tfn\x01\x7f\xc3\xa9\xed\xf0\xff\0";
	char buf[sizeof(summary) + 8];
	uint32_t seed = 12345;
	unsigned accepted = 0;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t len = sizeof(summary) - 1;

		memcpy(buf, summary, len);
		for (int edits = 1 + round % 3; edits > 0; edits--) {
			size_t at;
			char ch;

			seed = seed * 1103515245 + 12345;
			at = (seed >> 8) % len;
			seed = seed * 1103515245 + 12345;
			ch = alphabet[(seed >> 8) % (sizeof(alphabet) - 1)];
			seed = seed * 1103515245 + 12345;
			switch ((seed >> 8) % 3) {
			case 0:
				buf[at] = ch;
				break;
			case 1:
				memmove(buf + at + 1, buf + at, len - at);
				buf[at] = ch;
				len++;
				break;
			default:
				memmove(buf + at, buf + at + 1, len - at - 1);
				len--;
				break;
			}
			if (len >= sizeof(buf) - 1 || len < 2)
				break;
		}
		if (json_record_check(buf, len, NULL, NULL, 0) != jansson_reads(buf, len))
			fail_msg("disagree (jansson %s) on: %.*s", jansson_reads(buf, len) ? "reads it" : "refuses it",
				 (int)len, buf);
		accepted += jansson_reads(buf, len);
	}
	/* Some damage leaves valid JSON (a changed letter in a string): both kinds were seen. */
	assert_true(accepted > 100);
}

static const struct json_member summary_members[] = {
	{ "username", JM_STRING },
	{ "role", JM_STRING },
	{ "uid", JM_INTEGER },
	{ "locations", JM_STRING_ARRAY },
	{ NULL, 0 },
};

static bool check_members(const char *text, const char *name)
{
	return json_record_check(text, strlen(text), summary_members, name, name ? strlen(name) : 0);
}

static void test_required_members(void **state)
{
	(void)state;
	assert_true(check_members(summary, "jdoe"));
	assert_true(check_members(summary, NULL));
	assert_true(check_members("{\"locations\":[],\"uid\":-3,\"role\":\"\",\"username\":\"j\\u00e9\"}", "j\xc3\xa9"));
	/* Stored under another name, or a name that only starts the same. */
	assert_false(check_members(summary, "jdo"));
	assert_false(check_members(summary, "jdoex"));
	assert_false(check_members(summary, "JDOE"));
	/* A member missing, or of another type. */
	assert_false(check_members("{\"username\":\"jdoe\",\"uid\":1,\"locations\":[]}", "jdoe"));
	assert_false(check_members("{\"username\":\"jdoe\",\"role\":null,\"uid\":1,\"locations\":[]}", "jdoe"));
	assert_false(check_members("{\"username\":\"jdoe\",\"role\":\"r\",\"uid\":1.5,\"locations\":[]}", "jdoe"));
	assert_false(check_members("{\"username\":\"jdoe\",\"role\":\"r\",\"uid\":\"1\",\"locations\":[]}", "jdoe"));
	assert_false(check_members("{\"username\":\"jdoe\",\"role\":\"r\",\"uid\":1,\"locations\":[\"a\",1]}", "jdoe"));
	assert_false(check_members("{\"username\":\"jdoe\",\"role\":\"r\",\"uid\":1,\"locations\":\"Main\"}", "jdoe"));
	assert_false(check_members("{\"username\":1,\"role\":\"r\",\"uid\":1,\"locations\":[]}", NULL));
	/* The same name only nested does not count. */
	assert_false(check_members("{\"x\":{\"username\":\"jdoe\",\"role\":\"r\",\"uid\":1,\"locations\":[]}}", NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_records),
		cmocka_unit_test(test_refuses_damage),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_required_members),
		cmocka_unit_test(test_agrees_with_jansson),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
