/* Tests for lib/json-fields.c: field-list checks and accessors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "json-fields.h"

static const struct json_field spec[] = {
	{ .name = "username", .type = JF_STRING, .required = true },
	{ .name = "capacity", .type = JF_INT },
	{ .name = "admin", .type = JF_BOOL },
	{ .name = "extra", .type = JF_OBJECT },
	{ .name = "locations", .type = JF_STRING_ARRAY },
	{ .name = "npi", .type = JF_STRING, .nullable = true },
	{ .name = "step", .type = JF_INT, .required = true, .nullable = true },
	{ .name = NULL },
};

static json_t *parse(const char *s)
{
	json_error_t err;
	json_t *v = json_loads(s, JSON_REJECT_DUPLICATES, &err);

	assert_non_null(v);
	return v;
}

/* Runs the check on a JSON text; copies the reported name ("" if none) to bad. */
static int check(const char *text, char bad[static 64])
{
	json_t *obj = parse(text);
	const char *b = NULL;
	int r;

	r = json_fields_check(obj, spec, &b);
	/* The name may point into obj: copy it before obj goes away. */
	bad[0] = '\0';
	if (b) {
		assert_true(strlen(b) < 64);
		strcpy(bad, b);
	}
	json_decref(obj);
	return r;
}

static void test_all_fields(void **state)
{
	char bad[64];

	(void)state;
	assert_int_equal(check("{\"username\":\"jdoe\",\"capacity\":2,\"admin\":false,\"extra\":{\"any\":[1]},"
			       "\"locations\":[\"Main\",\"North\"],\"npi\":\"1234567893\",\"step\":15}", bad), 0);
	assert_string_equal(bad, "");
}

static void test_required_only(void **state)
{
	char bad[64];

	(void)state;
	assert_int_equal(check("{\"username\":\"jdoe\",\"step\":5}", bad), 0);
	assert_string_equal(bad, "");
	/* Empty arrays and objects have the right type. */
	assert_int_equal(check("{\"username\":\"\",\"step\":5,\"locations\":[],\"extra\":{}}", bad), 0);
}

static void test_missing(void **state)
{
	char bad[64];

	(void)state;
	assert_int_equal(check("{\"step\":5}", bad), -ENOENT);
	assert_string_equal(bad, "username");
	assert_int_equal(check("{\"username\":\"jdoe\"}", bad), -ENOENT);
	assert_string_equal(bad, "step");
	assert_int_equal(check("{}", bad), -ENOENT);
	assert_string_equal(bad, "username");
}

static void test_unknown(void **state)
{
	char bad[64];

	(void)state;
	assert_int_equal(check("{\"username\":\"jdoe\",\"step\":5,\"password\":\"x\"}", bad), -EPROTO);
	assert_string_equal(bad, "password");
	/* Names are case-sensitive. */
	assert_int_equal(check("{\"username\":\"jdoe\",\"step\":5,\"Admin\":true}", bad), -EPROTO);
	assert_string_equal(bad, "Admin");
	/* An unknown field is reported even when a required one is missing too. */
	assert_int_equal(check("{\"bogus\":1}", bad), -EPROTO);
	assert_string_equal(bad, "bogus");
}

struct type_case {
	const char *text;
	const char *field;
};

static void test_wrong_types(void **state)
{
	static const struct type_case cases[] = {
		{ "{\"username\":1,\"step\":5}", "username" },
		{ "{\"username\":[\"a\"],\"step\":5}", "username" },
		{ "{\"username\":\"a\",\"step\":5.0}", "step" },
		{ "{\"username\":\"a\",\"step\":\"5\"}", "step" },
		{ "{\"username\":\"a\",\"step\":true}", "step" },
		{ "{\"username\":\"a\",\"step\":5,\"capacity\":1.5}", "capacity" },
		{ "{\"username\":\"a\",\"step\":5,\"capacity\":1e3}", "capacity" },
		{ "{\"username\":\"a\",\"step\":5,\"admin\":1}", "admin" },
		{ "{\"username\":\"a\",\"step\":5,\"admin\":\"true\"}", "admin" },
		{ "{\"username\":\"a\",\"step\":5,\"extra\":[]}", "extra" },
		{ "{\"username\":\"a\",\"step\":5,\"locations\":\"Main\"}", "locations" },
		{ "{\"username\":\"a\",\"step\":5,\"locations\":[\"Main\",1]}", "locations" },
		{ "{\"username\":\"a\",\"step\":5,\"locations\":[null]}", "locations" },
		{ "{\"username\":\"a\",\"step\":5,\"locations\":[[\"Main\"]]}", "locations" },
		{ "{\"username\":\"a\",\"step\":5,\"locations\":{}}", "locations" },
		/* null only where nullable */
		{ "{\"username\":null,\"step\":5}", "username" },
		{ "{\"username\":\"a\",\"step\":5,\"capacity\":null}", "capacity" },
		{ "{\"username\":\"a\",\"step\":5,\"admin\":null}", "admin" },
		{ "{\"username\":\"a\",\"step\":5,\"extra\":null}", "extra" },
		{ "{\"username\":\"a\",\"step\":5,\"locations\":null}", "locations" },
		{ "{\"username\":\"a\",\"step\":5,\"npi\":12}", "npi" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char bad[64];

		print_message("# case %zu: %s\n", i, cases[i].text);
		assert_int_equal(check(cases[i].text, bad), -EINVAL);
		assert_string_equal(bad, cases[i].field);
	}
}

static void test_nullable(void **state)
{
	char bad[64];

	(void)state;
	assert_int_equal(check("{\"username\":\"a\",\"step\":5,\"npi\":null}", bad), 0);
	/* Required and nullable: null counts as present. */
	assert_int_equal(check("{\"username\":\"a\",\"step\":null}", bad), 0);
}

static void test_embedded_nul(void **state)
{
	json_t *obj = json_pack("{s:s,s:i}", "username", "jdoe", "step", 5);
	const char *bad = NULL;

	(void)state;
	assert_non_null(obj);
	assert_int_equal(json_fields_check(obj, spec, &bad), 0);
	/* A string that json_string_value() would cut short is a wrong type. */
	assert_int_equal(json_object_set_new(obj, "username", json_stringn("jd\0oe", 5)), 0);
	assert_int_equal(json_fields_check(obj, spec, &bad), -EINVAL);
	assert_string_equal(bad, "username");
	assert_int_equal(json_object_set_new(obj, "username", json_string("jdoe")), 0);
	assert_int_equal(json_object_set_new(obj, "locations", json_pack("[s,s%]", "a", "b\0c", (size_t)3)), 0);
	assert_int_equal(json_fields_check(obj, spec, &bad), -EINVAL);
	assert_string_equal(bad, "locations");
	json_decref(obj);
}

static void test_not_object(void **state)
{
	json_t *arr = json_array();
	const char *bad = "untouched";

	(void)state;
	assert_int_equal(json_fields_check(arr, spec, &bad), -EINVAL);
	assert_string_equal(bad, "");
	assert_int_equal(json_fields_check(NULL, spec, NULL), -EINVAL);
	json_decref(arr);
}

static void test_bad_untouched_on_success(void **state)
{
	static const struct json_field empty[] = { { .name = NULL } };
	json_t *obj = json_object();
	const char *bad = "untouched";

	(void)state;
	assert_int_equal(json_fields_check(obj, empty, &bad), 0);
	assert_string_equal(bad, "untouched");
	assert_int_equal(json_fields_check(obj, spec, NULL), -ENOENT);
	assert_int_equal(json_object_set_new(obj, "x", json_true()), 0);
	assert_int_equal(json_fields_check(obj, empty, &bad), -EPROTO);
	assert_string_equal(bad, "x");
	json_decref(obj);
}

static void test_accessors(void **state)
{
	json_t *obj = parse("{\"s\":\"text\",\"i\":-7,\"big\":9007199254740993,\"t\":true,\"f\":false,"
			    "\"n\":null,\"r\":2.5,\"a\":[1]}");

	(void)state;
	assert_string_equal(json_get_str(obj, "s"), "text");
	assert_null(json_get_str(obj, "i"));
	assert_null(json_get_str(obj, "n"));
	assert_null(json_get_str(obj, "missing"));
	assert_null(json_get_str(NULL, "s"));

	assert_int_equal(json_get_int(obj, "i", 3), -7);
	assert_true(json_get_int(obj, "big", 0) == 9007199254740993LL);
	assert_int_equal(json_get_int(obj, "missing", 3), 3);
	assert_int_equal(json_get_int(obj, "n", 3), 3);
	assert_int_equal(json_get_int(obj, "r", 3), 3);
	assert_int_equal(json_get_int(obj, "s", 3), 3);
	assert_int_equal(json_get_int(obj, "t", 3), 3);
	assert_int_equal(json_get_int(NULL, "i", 3), 3);

	assert_true(json_get_bool(obj, "t", false));
	assert_false(json_get_bool(obj, "f", true));
	assert_true(json_get_bool(obj, "missing", true));
	assert_false(json_get_bool(obj, "missing", false));
	assert_true(json_get_bool(obj, "n", true));
	assert_true(json_get_bool(obj, "i", true));
	assert_false(json_get_bool(obj, "a", false));
	assert_true(json_get_bool(NULL, "t", true));
	json_decref(obj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_fields),
		cmocka_unit_test(test_required_only),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_nullable),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_not_object),
		cmocka_unit_test(test_bad_untouched_on_success),
		cmocka_unit_test(test_accessors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
