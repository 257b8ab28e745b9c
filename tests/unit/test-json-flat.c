/* Tests for lib/json-flat.c: what it accepts, jansson reads back; what it
 * refuses is what stored text that may go to a client as it is must not be. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "json-flat.h"

static int check(const char *text, size_t len)
{
	return json_flat_check(text, len, NULL, NULL);
}

#define CHECK(lit) check(lit, sizeof(lit) - 1)

struct seen {
	struct json_flat_member m[16];
	size_t n;
};

static int collect(const struct json_flat_member *m, void *userdata)
{
	struct seen *s = userdata;

	assert_true(s->n < 16);
	s->m[s->n++] = *m;
	return 0;
}

static void test_summary(void **state)
{
	static const char text[] = "{\"username\":\"jdoe\",\"uid\":20011,\"locked\":false,\"admin\":true,"
				   "\"locations\":[\"Main\",\"North\"],\"primary_location\":null,\"bio\":\"caf\xc3\xa9 \\\"x\\\"\"}";
	struct seen s = { .n = 0 };
	json_t *j;

	(void)state;
	assert_int_equal(json_flat_check(text, sizeof(text) - 1, collect, &s), 0);
	assert_int_equal(s.n, 7);
	assert_int_equal(s.m[0].type, JSON_FLAT_STRING);
	assert_int_equal(s.m[0].value_len, 4);
	assert_memory_equal(s.m[0].value, "jdoe", 4);
	assert_int_equal(s.m[1].type, JSON_FLAT_INT);
	assert_int_equal(s.m[1].integer, 20011);
	assert_int_equal(s.m[2].type, JSON_FLAT_BOOL);
	assert_int_equal(s.m[2].boolean, 0);
	assert_int_equal(s.m[3].boolean, 1);
	assert_int_equal(s.m[4].type, JSON_FLAT_STRING_ARRAY);
	assert_int_equal(s.m[5].type, JSON_FLAT_NULL);
	/* And jansson reads it. */
	j = json_loadb(text, sizeof(text) - 1, 0, NULL);
	assert_non_null(j);
	json_decref(j);
}

static void test_shapes(void **state)
{
	(void)state;
	assert_int_equal(CHECK("{}"), 0);
	assert_int_equal(CHECK(" { \"a\" : [ ] , \"b\" : -0 }\n"), 0);
	assert_int_equal(CHECK("{\"a\":-123456789012345678}"), 0);
	/* Not flat, not an object, or not one object. */
	assert_int_equal(CHECK("{\"a\":{}}"), -EBADMSG);
	assert_int_equal(CHECK("{\"a\":[1]}"), -EBADMSG);
	assert_int_equal(CHECK("[]"), -EBADMSG);
	assert_int_equal(CHECK("{}{}"), -EBADMSG);
	assert_int_equal(CHECK("{\"a\":1,}"), -EBADMSG);
	assert_int_equal(CHECK("{\"a\"}"), -EBADMSG);
	assert_int_equal(CHECK("{\"a\":}"), -EBADMSG);
	assert_int_equal(CHECK("{\"a\":tru}"), -EBADMSG);
	assert_int_equal(CHECK("{\"a\":truex}"), -EBADMSG);
	assert_int_equal(CHECK(""), -EBADMSG);
	assert_int_equal(CHECK("{"), -EBADMSG);
}

static void test_numbers(void **state)
{
	(void)state;
	/* What jansson refuses (leading zeros, bare signs) or could not hold, and fractions. */
	assert_int_equal(CHECK("{\"a\":01}"), -EBADMSG);
	assert_int_equal(CHECK("{\"a\":-}"), -EBADMSG);
	assert_int_equal(CHECK("{\"a\":1234567890123456789}"), -EBADMSG);
	assert_int_equal(CHECK("{\"a\":1.5}"), -EBADMSG);
	assert_int_equal(CHECK("{\"a\":1e3}"), -EBADMSG);
	assert_int_equal(CHECK("{\"a\":+1}"), -EBADMSG);
}

static void test_strings(void **state)
{
	(void)state;
	assert_int_equal(CHECK("{\"a\":\"\\u00e9\\n\\t\\/\"}"), 0);
	/* A NUL would end a frame early; a control character is not JSON. */
	assert_int_equal(check("{\"a\":\"x\0\"}", 9), -EBADMSG);
	assert_int_equal(CHECK("{\"a\":\"\\u0000\"}"), -EBADMSG);
	assert_int_equal(CHECK("{\"a\":\"\x01\"}"), -EBADMSG);
	assert_int_equal(CHECK("{\"a\":\"\\x\"}"), -EBADMSG);
	assert_int_equal(CHECK("{\"a\":\"\\u12\"}"), -EBADMSG);
	/* Surrogate escapes, paired or not, are never written. */
	assert_int_equal(CHECK("{\"a\":\"\\ud83d\\ude00\"}"), -EBADMSG);
	assert_int_equal(CHECK("{\"a\":\"\\udc00\"}"), -EBADMSG);
	assert_int_equal(CHECK("{\"a\":\"unterminated}"), -EBADMSG);
}

static void test_utf8(void **state)
{
	(void)state;
	assert_int_equal(CHECK("{\"a\":\"\xe2\x82\xac \xf0\x9f\x98\x80\"}"), 0);
	/* Overlong, surrogate, past U+10FFFF, cut short, stray continuation. */
	assert_int_equal(CHECK("{\"a\":\"\xc0\xaf\"}"), -EBADMSG);
	assert_int_equal(CHECK("{\"a\":\"\xe0\x80\xaf\"}"), -EBADMSG);
	assert_int_equal(CHECK("{\"a\":\"\xed\xa0\x80\"}"), -EBADMSG);
	assert_int_equal(CHECK("{\"a\":\"\xf4\x90\x80\x80\"}"), -EBADMSG);
	assert_int_equal(CHECK("{\"a\":\"\xe2\x82\"}"), -EBADMSG);
	assert_int_equal(CHECK("{\"a\":\"\x80\"}"), -EBADMSG);
	assert_int_equal(CHECK("{\"\xff\":1}"), -EBADMSG);
}

static int stop(const struct json_flat_member *m, void *userdata)
{
	(void)userdata;
	return m->key_len == 1 && m->key[0] == 'b' ? -EPERM : 0;
}

static void test_visit_stops(void **state)
{
	(void)state;
	assert_int_equal(json_flat_check("{\"a\":1,\"b\":2}", 13, stop, NULL), -EPERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_visit_stops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
