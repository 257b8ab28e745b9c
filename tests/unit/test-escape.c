/* Tests for lib/escape.c and lib/utf8.c: what user-controlled text looks
 * like in a log line or on a terminal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "escape.h"
#include "utf8.h"

static void expect(const char *in, size_t len, unsigned flags, const char *want)
{
	char out[256];
	size_t n = escape_text(out, sizeof(out), in, len, flags);

	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

/* The length of a literal, which may hold a NUL. */
#define EXPECT(lit, flags, want) expect(lit, sizeof(lit) - 1, flags, want)

static void test_plain_text_unchanged(void **state)
{
	(void)state;
	EXPECT("jdoe", 0, "jdoe");
	EXPECT("", 0, "");
	/* Letters of other languages and a no-break space are text, not controls. */
	EXPECT("Zo\xc3\xab \xc2\xa0 \xe6\x97\xa5 \xf0\x9f\x98\x80", 0, "Zo\xc3\xab \xc2\xa0 \xe6\x97\xa5 \xf0\x9f\x98\x80");
}

static void test_controls(void **state)
{
	(void)state;
	/* The forged line of the finding: a newline and a second "record". */
	EXPECT("x\nroot: unknown user", 0, "x\\x0aroot: unknown user");
	EXPECT("a\rb\tc", 0, "a\\x0db\\x09c");
	EXPECT("\x1b[2J\x1b]0;t\x07", 0, "\\x1b[2J\\x1b]0;t\\x07");
	EXPECT("del\x7f", 0, "del\\x7f");
	/* C1 controls (CSI is U+009B), escaped byte by byte. */
	EXPECT("\xc2\x9b" "1m", 0, "\\xc2\\x9b1m");
	EXPECT("\xc2\x80\xc2\x9f", 0, "\\xc2\\x80\\xc2\\x9f");
	/* Line separators and a right-to-left override, which reorder what follows. */
	EXPECT("a\xe2\x80\xa8" "b\xe2\x80\xae" "c", 0, "a\\xe2\\x80\\xa8b\\xe2\\x80\\xaec");
	EXPECT("\xe2\x81\xa6", 0, "\\xe2\\x81\\xa6");
	/* An embedded NUL is a byte like any other. */
	EXPECT("a\0b", 0, "a\\x00b");
}

static void test_backslash_is_unambiguous(void **state)
{
	(void)state;
	/* Typed literally, the text of an escape does not look like one. */
	EXPECT("x\\x0aroot", 0, "x\\\\x0aroot");
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	EXPECT("\xff", 0, "\\xff");
	EXPECT("a\xc3", 0, "a\\xc3");				/* truncated */
	EXPECT("\xc0\xaf", 0, "\\xc0\\xaf");			/* overlong '/' */
	EXPECT("\xed\xa0\x80", 0, "\\xed\\xa0\\x80");		/* surrogate */
	EXPECT("\xf4\x90\x80\x80", 0, "\\xf4\\x90\\x80\\x80");	/* past U+10FFFF */
	EXPECT("\x80x", 0, "\\x80x");				/* stray continuation */
	/* A bad lead byte does not swallow the character after it. */
	EXPECT("\xe2\x28\xa1", 0, "\\xe2(\\xa1");
}

static void test_keep_newline(void **state)
{
	(void)state;
	EXPECT("rules:\n  - a\x1b]0;x\x07\n", ESCAPE_KEEP_NEWLINE, "rules:\n  - a\\x1b]0;x\\x07\n");
	EXPECT("a\r\nb", ESCAPE_KEEP_NEWLINE, "a\\x0d\nb");
}

static void test_truncation(void **state)
{
	char out[8];
	size_t n;

	(void)state;
	/* Cut before an escape that would not fit whole, and report the full length. */
	n = escape_text(out, sizeof(out), "abcde\nf", 7, 0);
	assert_int_equal(n, 10);
	assert_string_equal(out, "abcde");
	/* Never half a character. */
	n = escape_text(out, 5, "ab\xc3\xab" "c", 5, 0);
	assert_int_equal(n, 5);
	assert_string_equal(out, "ab\xc3\xab");
	n = escape_text(out, 4, "ab\xc3\xab" "c", 5, 0);
	assert_string_equal(out, "ab");
	/* Nor half of a C1 control's escapes. */
	n = escape_text(out, 8, "a\xc2\x9b", 3, 0);
	assert_int_equal(n, 9);
	assert_string_equal(out, "a");
	/* Size 0 writes nothing and still counts. */
	assert_int_equal(escape_text(NULL, 0, "\n\n", 2, 0), 8);
	n = escape_text(out, 1, "x", 1, 0);
	assert_int_equal(n, 1);
	assert_string_equal(out, "");
}

static void test_dup(void **state)
{
	char *s;

	(void)state;
	s = escape_dup("jane\n\x1b[31mroot", 0);
	assert_non_null(s);
	assert_string_equal(s, "jane\\x0a\\x1b[31mroot");
	free(s);
	s = escape_dup("", 0);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
}

static void test_decode(void **state)
{
	uint32_t cp = 0;

	(void)state;
	assert_int_equal(utf8_decode((const unsigned char *)"A", 1, &cp), 1);
	assert_int_equal(cp, 'A');
	assert_int_equal(utf8_decode((const unsigned char *)"\xc3\xab", 2, &cp), 2);
	assert_int_equal(cp, 0xEB);
	assert_int_equal(utf8_decode((const unsigned char *)"\xf0\x9f\x98\x80", 4, &cp), 4);
	assert_int_equal(cp, 0x1F600);
	assert_int_equal(utf8_decode((const unsigned char *)"\xf0\x9f\x98", 3, &cp), 0);
	assert_int_equal(utf8_decode((const unsigned char *)"\xe0\x80\x80", 3, &cp), 0);
	assert_true(utf8_is_control(0x00));
	assert_true(utf8_is_control(0x85));
	assert_true(utf8_is_control(0x2029));
	assert_false(utf8_is_control(' '));
	assert_false(utf8_is_control(0xA0));
	assert_false(utf8_is_control(0x200B));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_text_unchanged),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_backslash_is_unambiguous),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_keep_newline),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_dup),
		cmocka_unit_test(test_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
