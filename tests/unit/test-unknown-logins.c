/* Tests for staffd/unknown-logins.c: what is recorded of attempts for unknown names, as a function of the clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "unknown-logins.h"

#define T0 1700000000LL

static void test_first_valid_name_of_an_interval(void **state)
{
	struct unknown_logins u = { 0 };
	char detail[512];

	(void)state;
	assert_true(unknown_logins_note(&u, T0, "jdeo", true));
	assert_false(unknown_logins_note(&u, T0 + 1, "jdoe2", true));
	assert_false(unknown_logins_note(&u, T0 + 59, "jdoe3", true));
	/* Not due within the interval, due at its end. */
	assert_false(unknown_logins_due(&u, T0 + 59, false, detail, sizeof(detail)));
	assert_true(unknown_logins_due(&u, T0 + 60, false, detail, sizeof(detail)));
	assert_string_equal(detail, "2 more attempts for unknown names from 2023-11-14T22:13:20Z to "
				    "2023-11-14T22:14:20Z, e.g. \"jdoe2\", \"jdoe3\"");
	/* Said once: nothing is due any more, and the next attempt opens an interval. */
	assert_false(unknown_logins_due(&u, T0 + 600, false, detail, sizeof(detail)));
	assert_true(unknown_logins_note(&u, T0 + 61, "other", true));
}

static void test_invalid_names_are_only_counted(void **state)
{
	struct unknown_logins u = { 0 };
	char long_name[5000], detail[512];

	(void)state;
	memset(long_name, 'A', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_false(unknown_logins_note(&u, T0, long_name, false));
	assert_false(unknown_logins_note(&u, T0, long_name, false));
	assert_false(unknown_logins_note(&u, T0, "tab\there \"q\" \\ \xc3\xa9", false));
	/* The first valid name is still recorded by itself, though invalid ones opened the interval. */
	assert_true(unknown_logins_note(&u, T0 + 2, "ghost", true));
	assert_false(unknown_logins_note(&u, T0 + 3, "ghost", true));
	assert_false(unknown_logins_note(&u, T0 + 3, "phantom", true));
	assert_true(unknown_logins_due(&u, T0 + 10, true, detail, sizeof(detail)));
	/* Counted, three distinct samples, each cut to 32 bytes and escaped. */
	assert_string_equal(detail, "5 more attempts for unknown names from 2023-11-14T22:13:20Z to "
				    "2023-11-14T22:13:30Z (3 of them not valid usernames), e.g. "
				    "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA...\", "
				    "\"tab\\x09here \\x22q\\x22 \\x5c \\xc3\\xa9\", \"ghost\"");
}

static void test_bounded(void **state)
{
	struct unknown_logins u = { 0 };
	char name[64], detail[512];
	unsigned recorded = 0, summaries = 0;

	(void)state;
	/* An hour of ten attempts a second: two records a minute at most. */
	for (long long t = T0; t < T0 + 3600; t++) {
		if (unknown_logins_due(&u, t, false, detail, sizeof(detail))) {
			summaries++;
			assert_true(strlen(detail) < 300);
		}
		for (int i = 0; i < 10; i++) {
			snprintf(name, sizeof(name), "n%lld_%d", t, i);
			recorded += unknown_logins_note(&u, t, name, i % 2 == 0);
		}
	}
	assert_int_equal(recorded, 60);
	assert_int_equal(summaries, 59);
	assert_true(unknown_logins_due(&u, T0 + 3600, true, detail, sizeof(detail)));
	assert_true(strncmp(detail, "599 more attempts", 17) == 0);
}

static void test_clock_going_back(void **state)
{
	struct unknown_logins u = { 0 };
	char detail[512];

	(void)state;
	assert_true(unknown_logins_note(&u, T0, "a", true));
	assert_false(unknown_logins_note(&u, T0, "b", true));
	/* A clock set back ends the interval rather than stretching it. */
	assert_true(unknown_logins_due(&u, T0 - 3600, false, detail, sizeof(detail)));
	assert_true(unknown_logins_note(&u, T0 - 3600, "c", true));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_valid_name_of_an_interval),
		cmocka_unit_test(test_invalid_names_are_only_counted),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_clock_going_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
