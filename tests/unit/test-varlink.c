/* Tests for lib/varlink.c: framing, call and reply decoding, encoding. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "varlink.h"
#include "staff-protocol.h"

/* Decodes a NUL-free C string as a call frame. */
static int call_decode_str(const char *s, struct varlink_call *call, const char **bad)
{
	return varlink_call_decode(s, strlen(s), call, bad);
}

static int reply_decode_str(const char *s, struct varlink_reply *reply, const char **bad)
{
	return varlink_reply_decode(s, strlen(s), reply, bad);
}

static void test_frame_complete(void **state)
{
	static const char buf[] = "{\"a\":1}";	/* array holds the NUL */
	size_t n = 12345;

	(void)state;
	assert_int_equal(varlink_frame_next(buf, sizeof(buf), 100, &n), 1);
	assert_int_equal(n, sizeof(buf));
}

static void test_frame_partial(void **state)
{
	const char buf[] = "{\"method\":";
	size_t n = 777;

	(void)state;
	/* Without the NUL the frame is incomplete; n stays untouched. */
	assert_int_equal(varlink_frame_next(buf, strlen(buf), 100, &n), 0);
	assert_int_equal(n, 777);
	assert_int_equal(varlink_frame_next(buf, 0, 100, &n), 0);
	assert_int_equal(varlink_frame_next(NULL, 0, 100, &n), 0);
	assert_int_equal(n, 777);
}

static void test_frame_several(void **state)
{
	const char buf[] = "{}\0{\"x\":2}\0{\"y\"";
	size_t len = sizeof(buf) - 1, off = 0, n = 0;

	(void)state;
	assert_int_equal(varlink_frame_next(buf + off, len - off, 100, &n), 1);
	assert_int_equal(n, 3);
	off += n;
	assert_int_equal(varlink_frame_next(buf + off, len - off, 100, &n), 1);
	assert_int_equal(n, 8);
	assert_memory_equal(buf + off, "{\"x\":2}", 8);
	off += n;
	assert_int_equal(varlink_frame_next(buf + off, len - off, 100, &n), 0);
	assert_int_equal(off + 4, len);
}

static void test_frame_empty_frame(void **state)
{
	const char buf[] = "\0{}";
	size_t n = 0;

	(void)state;
	assert_int_equal(varlink_frame_next(buf, 3, 100, &n), 1);
	assert_int_equal(n, 1);
}

static void test_frame_max(void **state)
{
	char buf[64];
	size_t n = 99;

	(void)state;
	memset(buf, 'a', sizeof(buf));
	/* max bytes with no NUL: never going to fit. */
	assert_int_equal(varlink_frame_next(buf, 16, 16, &n), -EMSGSIZE);
	assert_int_equal(varlink_frame_next(buf, 64, 16, &n), -EMSGSIZE);
	/* Fewer than max bytes: wait for more. */
	assert_int_equal(varlink_frame_next(buf, 15, 16, &n), 0);
	assert_int_equal(n, 99);

	/* A NUL exactly at byte max is still within the limit... */
	buf[15] = '\0';
	assert_int_equal(varlink_frame_next(buf, 64, 16, &n), 1);
	assert_int_equal(n, 16);
	/* ...one byte later is not, even though it is in the buffer. */
	buf[15] = 'a';
	buf[16] = '\0';
	assert_int_equal(varlink_frame_next(buf, 64, 16, &n), -EMSGSIZE);
	assert_int_equal(n, 16);
	assert_int_equal(varlink_frame_next(buf, 64, 0, &n), -EMSGSIZE);
}

static void test_call_minimal(void **state)
{
	struct varlink_call call = { 0 };
	const char *bad = NULL;

	(void)state;
	assert_int_equal(call_decode_str("{\"method\":\"io.practice.Staff.GetPolicy\"}", &call, &bad), 0);
	assert_null(bad);
	assert_string_equal(call.method, "io.practice.Staff.GetPolicy");
	assert_non_null(call.parameters);
	assert_true(json_is_object(call.parameters));
	assert_int_equal(json_object_size(call.parameters), 0);
	assert_false(call.more);
	assert_false(call.oneway);
	varlink_call_clear(&call);
	assert_null(call.method);
	assert_null(call.parameters);
	varlink_call_clear(&call);	/* clearing twice is harmless */
}

static void test_call_full(void **state)
{
	struct varlink_call call = { 0 };
	const char *bad = NULL;

	(void)state;
	assert_int_equal(call_decode_str(
		" {\"method\" : \"org.varlink.service.GetInfo\", \"parameters\": {\"user\": \"jdoe\", \"n\": [1, 2]},"
		" \"more\": true, \"oneway\": false, \"upgrade\": false}\n", &call, &bad), 0);
	assert_string_equal(call.method, "org.varlink.service.GetInfo");
	assert_string_equal(json_string_value(json_object_get(call.parameters, "user")), "jdoe");
	assert_int_equal(json_array_size(json_object_get(call.parameters, "n")), 2);
	assert_true(call.more);
	assert_false(call.oneway);
	varlink_call_clear(&call);

	assert_int_equal(call_decode_str("{\"oneway\":true,\"method\":\"a.b.C\",\"more\":false}", &call, &bad), 0);
	assert_true(call.oneway);
	assert_false(call.more);
	varlink_call_clear(&call);
}

struct reject_case {
	const char *input;
	const char *bad;
};

static void test_call_rejects(void **state)
{
	static const struct reject_case cases[] = {
		{ "", "truncated message" },
		{ "   ", "truncated message" },
		{ "{", "truncated message" },
		{ "{\"method\":\"a.b.C\"", "truncated message" },
		{ "not json", "invalid JSON" },
		{ "[]", "message is not an object" },
		{ "[{\"method\":\"a.b.C\"}]", "message is not an object" },
		{ "\"a.b.C\"", "invalid JSON" },
		{ "42", "invalid JSON" },
		{ "null", "invalid JSON" },
		{ "{}", "'method' is missing" },
		{ "{\"parameters\":{}}", "'method' is missing" },
		{ "{\"method\":\"a.b.C\"} {}", "trailing data after message" },
		{ "{\"method\":\"a.b.C\"}x", "trailing data after message" },
		{ "{\"method\":\"a.b.C\",}", "invalid JSON" },
		{ "{\"method\":\"a.b.C\",\"foo\":1}", "unknown field in call" },
		{ "{\"method\":\"a.b.C\",\"Method\":\"a.b.C\"}", "unknown field in call" },
		{ "{\"method\":\"a.b.C\",\"error\":\"a.b.C\"}", "unknown field in call" },
		{ "{\"method\":42}", "'method' must be a string" },
		{ "{\"method\":null}", "'method' must be a string" },
		{ "{\"method\":[\"a.b.C\"]}", "'method' must be a string" },
		{ "{\"method\":\"a.b.C\",\"parameters\":[]}", "'parameters' must be an object" },
		{ "{\"method\":\"a.b.C\",\"parameters\":null}", "'parameters' must be an object" },
		{ "{\"method\":\"a.b.C\",\"parameters\":\"{}\"}", "'parameters' must be an object" },
		{ "{\"method\":\"a.b.C\",\"more\":1}", "'more' must be a boolean" },
		{ "{\"method\":\"a.b.C\",\"more\":\"true\"}", "'more' must be a boolean" },
		{ "{\"method\":\"a.b.C\",\"oneway\":null}", "'oneway' must be a boolean" },
		{ "{\"method\":\"a.b.C\",\"upgrade\":0}", "'upgrade' must be a boolean" },
		{ "{\"method\":\"a.b.C\",\"upgrade\":true}", "'upgrade' is not supported" },
		{ "{\"method\":\"a.b.C\",\"more\":true,\"oneway\":true}", "'more' and 'oneway' are mutually exclusive" },
		{ "{\"method\":\"GetInfo\"}", "'method' is not a valid qualified name" },
		{ "{\"method\":\"b.GetInfo\"}", "'method' is not a valid qualified name" },
		{ "{\"method\":\"io.practice.Staff.getUser\"}", "'method' is not a valid qualified name" },
		{ "{\"method\":\"\"}", "'method' is not a valid qualified name" },
		{ "{\"method\":\"a.b.C\",\"method\":\"a.b.D\"}", "duplicate key" },
		{ "{\"method\":\"a.b.C\",\"parameters\":{\"x\":1,\"x\":2}}", "duplicate key" },
		{ "{\"method\":\"a.b.C\",\"parameters\":{\"s\":\"a\\u0000b\"}}", "NUL character in string" },
		{ "{\"method\":\"a.b.C\",\"parameters\":{\"a\\u0000\":1}}", "NUL character in string" },
		{ "{\"method\":\"a.b.C\",\"parameters\":{\"n\":123456789012345678901234567890}}", "number out of range" },
		{ "{\"method\":\"a.b.C\",\"parameters\":{\"n\":1e999}}", "number out of range" },
		{ "{\"method\":\"a.b.C\",\"parameters\":{\"s\":\"\xff\"}}", "invalid UTF-8" },
		{ "{\"method\":\"a.b.C\",\"parameters\":{\"s\":\"\xc3\"}}", "invalid UTF-8" },
		{ "{\"method\":\"a.b.C\",\"parameters\":{\"s\":\"\\ud800\"}}", "invalid JSON" },
		{ "{'method':'a.b.C'}", "invalid JSON" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct varlink_call call = { .method = (char *)"sentinel" };
		const char *bad = NULL;

		print_message("# case %zu: %s\n", i, cases[i].input);
		assert_int_equal(call_decode_str(cases[i].input, &call, &bad), -EBADMSG);
		assert_non_null(bad);
		assert_string_equal(bad, cases[i].bad);
		/* Untouched on failure. */
		assert_string_equal(call.method, "sentinel");
		assert_null(call.parameters);
		/* bad may be NULL. */
		assert_int_equal(call_decode_str(cases[i].input, &call, NULL), -EBADMSG);
	}
}

static void test_call_embedded_nul(void **state)
{
	/* A NUL inside the buffer handed to the decoder is not JSON. */
	static const char buf[] = "{\"method\":\"a.b.C\"}\0{}";
	struct varlink_call call = { 0 };
	const char *bad = NULL;

	(void)state;
	assert_int_equal(varlink_call_decode(buf, sizeof(buf) - 1, &call, &bad), -EBADMSG);
	assert_non_null(bad);
	assert_int_equal(varlink_call_decode(NULL, 5, &call, &bad), -EBADMSG);
	assert_int_equal(varlink_call_decode(NULL, 0, &call, &bad), -EBADMSG);
	assert_null(call.method);
}

static void test_call_deep_nesting(void **state)
{
	struct varlink_call call = { 0 };
	const char *bad = NULL;
	const size_t depth = 20000;
	const char *head = "{\"method\":\"a.b.C\",\"parameters\":{\"x\":";
	size_t hl = strlen(head), len = hl + 2 * depth + 2;
	char *buf = malloc(len);

	(void)state;
	assert_non_null(buf);
	memcpy(buf, head, hl);
	memset(buf + hl, '[', depth);
	memset(buf + hl + depth, ']', depth);
	memcpy(buf + hl + 2 * depth, "}}", 2);
	assert_int_equal(varlink_call_decode(buf, len, &call, &bad), -EBADMSG);
	assert_string_equal(bad, "nesting too deep");
	assert_null(call.method);

	/* Reasonable nesting is fine. */
	memset(buf + hl, '[', 64);
	memset(buf + hl + 64, ']', 64);
	memcpy(buf + hl + 128, "}}", 2);
	assert_int_equal(varlink_call_decode(buf, hl + 130, &call, &bad), 0);
	assert_true(json_is_array(json_object_get(call.parameters, "x")));
	varlink_call_clear(&call);
	free(buf);
}

static void test_names(void **state)
{
	static const char *const good[] = {
		"a.b.C", "io.practice.Staff.GetUser", "org.varlink.service.GetInfo",
		"io.systemd.UserDatabase.GetUserRecord", "a-b.c-d.X", "A1.b2.Z9", "ab.cd.E", "x.y.Z0z",
		"io.practice.Staff.NoSuchUser",
	};
	static const char *const bad[] = {
		"", ".", "a.B", "a.b.", ".a.b.C", "a..b.C", "a.b..C", "a.b.c", "a.b.1C", "1a.b.C",
		"a.-b.C", "a.b-.C", "-a.b.C", "a.b.C-D", "a.b.C_D", "a_b.c.D", "a.b.C.", "a b.c.D",
		"a.b.Cé", "\xc3\xa9.b.C", "a.b.C ",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		print_message("# good %s\n", good[i]);
		assert_true(varlink_name_valid(good[i], strlen(good[i])));
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("# bad %s\n", bad[i]);
		assert_false(varlink_name_valid(bad[i], strlen(bad[i])));
	}
	assert_false(varlink_name_valid(NULL, 0));
	/* The length, not a NUL, ends the name. */
	assert_false(varlink_name_valid("a.b.C\0D", 7));
	assert_true(varlink_name_valid("a.b.CD", 5));
}

static void test_reply_decode(void **state)
{
	struct varlink_reply reply = { 0 };
	const char *bad = NULL;

	(void)state;
	assert_int_equal(reply_decode_str("{}", &reply, &bad), 0);
	assert_null(reply.error);
	assert_true(json_is_object(reply.parameters));
	assert_int_equal(json_object_size(reply.parameters), 0);
	assert_false(reply.continues);
	varlink_reply_clear(&reply);
	assert_null(reply.parameters);

	assert_int_equal(reply_decode_str("{\"parameters\":{\"user\":{\"username\":\"jdoe\"}},\"continues\":true}",
					  &reply, &bad), 0);
	assert_null(reply.error);
	assert_true(reply.continues);
	assert_string_equal(json_string_value(json_object_get(json_object_get(reply.parameters, "user"), "username")),
			    "jdoe");
	varlink_reply_clear(&reply);

	assert_int_equal(reply_decode_str("{\"error\":\"io.practice.Staff.PolicyViolation\","
					  "\"parameters\":{\"rules\":[\"length\",\"digit\"]}}", &reply, &bad), 0);
	assert_string_equal(reply.error, "io.practice.Staff.PolicyViolation");
	assert_int_equal(json_array_size(json_object_get(reply.parameters, "rules")), 2);
	assert_false(reply.continues);
	varlink_reply_clear(&reply);

	assert_int_equal(reply_decode_str("{\"error\":\"org.varlink.service.MethodNotFound\",\"continues\":false}",
					  &reply, &bad), 0);
	assert_string_equal(reply.error, "org.varlink.service.MethodNotFound");
	assert_int_equal(json_object_size(reply.parameters), 0);
	varlink_reply_clear(&reply);
	varlink_reply_clear(NULL);
}

static void test_reply_rejects(void **state)
{
	static const struct reject_case cases[] = {
		{ "", "truncated message" },
		{ "[]", "message is not an object" },
		{ "{} {}", "trailing data after message" },
		{ "{\"method\":\"a.b.C\"}", "unknown field in reply" },
		{ "{\"more\":true}", "unknown field in reply" },
		{ "{\"parameters\":[]}", "'parameters' must be an object" },
		{ "{\"parameters\":null}", "'parameters' must be an object" },
		{ "{\"error\":1}", "'error' must be a string" },
		{ "{\"error\":null}", "'error' must be a string" },
		{ "{\"error\":\"NoSuchUser\"}", "'error' is not a valid qualified name" },
		{ "{\"error\":\"\"}", "'error' is not a valid qualified name" },
		{ "{\"continues\":\"yes\"}", "'continues' must be a boolean" },
		{ "{\"error\":\"a.b.C\",\"continues\":true}", "'error' and 'continues' are mutually exclusive" },
		{ "{\"error\":\"a.b.C\",\"error\":\"a.b.D\"}", "duplicate key" },
		{ "{\"parameters\":{\"a\":{\"b\":1,\"b\":1}}}", "duplicate key" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct varlink_reply reply = { .error = (char *)"sentinel" };
		const char *bad = NULL;

		print_message("# case %zu: %s\n", i, cases[i].input);
		assert_int_equal(reply_decode_str(cases[i].input, &reply, &bad), -EBADMSG);
		assert_non_null(bad);
		assert_string_equal(bad, cases[i].bad);
		assert_string_equal(reply.error, "sentinel");
		assert_null(reply.parameters);
		assert_int_equal(reply_decode_str(cases[i].input, &reply, NULL), -EBADMSG);
	}
}

static void test_call_encode_round_trip(void **state)
{
	json_t *params = json_pack("{s:s, s:i, s:b, s:[s,s], s:n, s:f}", "user", "jdoe", "n", -42,
				   "ok", 1, "list", "a", "b", "none", "real", 0.1);
	struct varlink_call call = { 0 };
	const char *bad = NULL;
	size_t len = 0, n = 0;
	char *buf;

	(void)state;
	assert_non_null(params);
	buf = varlink_call_encode("io.practice.Staff.UserShow", params, true, false, &len);
	assert_non_null(buf);
	/* Parameters are not consumed. */
	assert_int_equal(params->refcount, 1);
	assert_int_equal(buf[len - 1], '\0');
	assert_int_equal(strlen(buf) + 1, len);
	/* Compact: no spaces or newlines outside strings. */
	assert_null(strchr(buf, '\n'));
	assert_null(strstr(buf, ": "));
	assert_int_equal(varlink_frame_next(buf, len, STAFF_FRAME_MAX, &n), 1);
	assert_int_equal(n, len);
	assert_int_equal(varlink_call_decode(buf, len - 1, &call, &bad), 0);
	assert_string_equal(call.method, "io.practice.Staff.UserShow");
	assert_true(call.more);
	assert_false(call.oneway);
	assert_true(json_equal(call.parameters, params));
	varlink_call_clear(&call);
	free(buf);

	buf = varlink_call_encode("a.b.C", NULL, false, true, &len);
	assert_non_null(buf);
	assert_string_equal(buf, "{\"method\":\"a.b.C\",\"parameters\":{},\"oneway\":true}");
	assert_int_equal(len, strlen(buf) + 1);
	free(buf);

	buf = varlink_call_encode("a.b.C", NULL, false, false, &len);
	assert_non_null(buf);
	assert_string_equal(buf, "{\"method\":\"a.b.C\",\"parameters\":{}}");
	free(buf);

	/* Not an object, or not UTF-8: nothing encoded. */
	len = 99;
	{
		json_t *arr = json_array();

		assert_null(varlink_call_encode("a.b.C", arr, false, false, &len));
		json_decref(arr);
	}
	assert_null(varlink_call_encode("a.b.\xff", NULL, false, false, &len));
	assert_null(varlink_call_encode(NULL, NULL, false, false, &len));
	assert_int_equal(len, 99);
	json_decref(params);
}

static void test_reply_encode_round_trip(void **state)
{
	json_t *params = json_pack("{s:[s,s]}", "rules", "length", "digit");
	struct varlink_reply reply = { 0 };
	size_t len = 0;
	char *buf;

	(void)state;
	buf = varlink_reply_encode("io.practice.Staff.PolicyViolation", params, false, &len);
	assert_non_null(buf);
	assert_int_equal(varlink_reply_decode(buf, len - 1, &reply, NULL), 0);
	assert_string_equal(reply.error, "io.practice.Staff.PolicyViolation");
	assert_false(reply.continues);
	assert_true(json_equal(reply.parameters, params));
	varlink_reply_clear(&reply);
	free(buf);

	buf = varlink_reply_encode(NULL, params, true, &len);
	assert_non_null(buf);
	assert_int_equal(varlink_reply_decode(buf, len - 1, &reply, NULL), 0);
	assert_null(reply.error);
	assert_true(reply.continues);
	varlink_reply_clear(&reply);
	free(buf);

	buf = varlink_reply_encode(NULL, NULL, false, &len);
	assert_non_null(buf);
	assert_string_equal(buf, "{\"parameters\":{}}");
	free(buf);

	{
		json_t *s = json_string("x");

		assert_null(varlink_reply_encode(NULL, s, false, &len));
		json_decref(s);
	}
	json_decref(params);
}

static void test_utf8_and_escapes(void **state)
{
	/* Escaped and raw UTF-8 decode to the same bytes; a surrogate pair is one code point. */
	const char *in = "{\"method\":\"a.b.C\",\"parameters\":{"
			 "\"raw\":\"Jos\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\","
			 "\"esc\":\"Jos\\u00e9 \\u20ac \\ud83d\\ude00\","
			 "\"ctl\":\"tab\\t nl\\n quote\\\" back\\\\ slash\\/ \\b\\f\\r\\u001f\"}}";
	struct varlink_call call = { 0 }, again = { 0 };
	const char *raw, *esc, *ctl;
	size_t len = 0;
	char *buf;

	(void)state;
	assert_int_equal(call_decode_str(in, &call, NULL), 0);
	raw = json_string_value(json_object_get(call.parameters, "raw"));
	esc = json_string_value(json_object_get(call.parameters, "esc"));
	ctl = json_string_value(json_object_get(call.parameters, "ctl"));
	assert_string_equal(raw, "Jos\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	assert_string_equal(raw, esc);
	assert_string_equal(ctl, "tab\t nl\n quote\" back\\ slash/ \b\f\r\x1f");

	/* Encoding keeps control characters escaped, so the frame holds no raw NUL or newline. */
	buf = varlink_call_encode(call.method, call.parameters, false, false, &len);
	assert_non_null(buf);
	assert_null(memchr(buf, '\n', len));
	assert_null(memchr(buf, '\x1f', len));
	assert_int_equal(strlen(buf) + 1, len);
	assert_int_equal(varlink_call_decode(buf, len - 1, &again, NULL), 0);
	assert_true(json_equal(call.parameters, again.parameters));
	free(buf);
	varlink_call_clear(&again);
	varlink_call_clear(&call);

	/* Overlong encoding and an unpaired low surrogate are refused. */
	assert_int_equal(call_decode_str("{\"method\":\"a.b.C\",\"parameters\":{\"s\":\"\xc0\xaf\"}}", &call, NULL),
			 -EBADMSG);
	assert_int_equal(call_decode_str("{\"method\":\"a.b.C\",\"parameters\":{\"s\":\"\\udc00\"}}", &call, NULL),
			 -EBADMSG);
	assert_int_equal(call_decode_str("{\"method\":\"a.b.C\",\"parameters\":{\"s\":\"\\x41\"}}", &call, NULL),
			 -EBADMSG);
	/* A raw control character inside a string is not JSON. */
	assert_int_equal(call_decode_str("{\"method\":\"a.b.C\",\"parameters\":{\"s\":\"a\nb\"}}", &call, NULL),
			 -EBADMSG);
	assert_null(call.method);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_complete),
		cmocka_unit_test(test_frame_partial),
		cmocka_unit_test(test_frame_several),
		cmocka_unit_test(test_frame_empty_frame),
		cmocka_unit_test(test_frame_max),
		cmocka_unit_test(test_call_minimal),
		cmocka_unit_test(test_call_full),
		cmocka_unit_test(test_call_rejects),
		cmocka_unit_test(test_call_embedded_nul),
		cmocka_unit_test(test_call_deep_nesting),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_reply_decode),
		cmocka_unit_test(test_reply_rejects),
		cmocka_unit_test(test_call_encode_round_trip),
		cmocka_unit_test(test_reply_encode_round_trip),
		cmocka_unit_test(test_utf8_and_escapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
