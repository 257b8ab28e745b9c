/* The password policy: every rule with the examples of DESIGN 6, the config knobs, the score, the messages. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "policy.h"

#define ALL_RULES "length,upper,lower,digit,special,sequence,repeat,keyboard,personal,common,strength"

struct fixture {
	struct config c;
	struct policy_person person;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || config_defaults(&f->c) < 0) {
		free(f);
		return -1;
	}
	f->person = (struct policy_person){
		.username = "hprov",
		.first_name = "Hannah",
		.last_name = "Provider",
		.email = "h.nurse@riverside.example",
	};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	config_free(&f->c);
	free(f);
	return 0;
}

struct result {
	int r;
	int score;
	json_t *rules;
	char names[256];	/* every rule considered, in order */
	char failed[256];	/* the failed ones */
};

static void append(char *list, size_t size, const char *name)
{
	size_t n = strlen(list);

	snprintf(list + n, size - n, "%s%s", n ? "," : "", name);
}

/*
 * With the default config every text is one of these, whatever the
 * password: nothing of it can reach a message or a description.
 */
static const char *const default_texts[][3] = {
	{ "length", "at least 9 characters and at most 1024 bytes", "Use at least 9 characters." },
	{ "length", "at least 9 characters and at most 1024 bytes", "Use at most 1024 bytes." },
	{ "length", "at least 9 characters and at most 1024 bytes",
	  "Use at least 9 characters and at most 1024 bytes." },
	{ "upper", "at least one uppercase letter", "Add an uppercase letter." },
	{ "lower", "at least one lowercase letter", "Add a lowercase letter." },
	{ "digit", "at least one digit", "Add a digit." },
	{ "special", "at least one special character", "Add a special character such as ! or #." },
	{ "sequence", "no sequence of 3 or more characters (abc, 123, cba)", "Avoid sequences such as abc, 123 or cba." },
	{ "repeat", "no character repeated 3 or more times (aaa)", "Avoid repeating a character three or more times." },
	{ "keyboard", "no keyboard walks (qwerty, asdf, 1qaz)", "Avoid keyboard patterns such as qwerty or asdf." },
	{ "personal", "not the username, first or last name, or email", "Do not use your name, username or email." },
	{ "common", "not a common password", "This is a commonly used password." },
	{ "strength", "strength score of at least 2 out of 4", "Too easy to guess: strength 0 of 4, at least 2 needed." },
	{ "strength", "strength score of at least 2 out of 4", "Too easy to guess: strength 1 of 4, at least 2 needed." },
};

static void assert_fixed_text(const char *name, const char *desc, const char *msg)
{
	for (size_t i = 0; i < sizeof(default_texts) / sizeof(default_texts[0]); i++)
		if (strcmp(default_texts[i][0], name) == 0 && strcmp(default_texts[i][1], desc) == 0 &&
		    (!msg || strcmp(default_texts[i][2], msg) == 0))
			return;
	fail_msg("rule %s: unexpected text \"%s\" / \"%s\"", name, desc, msg ? msg : "(none)");
}

/* Runs the check and verifies the shape of every rule object. */
static void run(const struct password_config *cfg, const char *pw, const struct policy_person *p, struct result *res,
		bool check_texts)
{
	size_t i, n_failed = 0;
	json_t *rule;

	memset(res, 0, sizeof(*res));
	res->score = -1;
	res->r = policy_check(cfg, pw, p, &res->rules, &res->score);
	if (res->r != 0 && res->r != -EPERM)
		fail_msg("\"%s\": policy_check returned %d", pw, res->r);
	assert_true(json_is_array(res->rules));
	assert_in_range(res->score, 0, 4);
	json_array_foreach(res->rules, i, rule) {
		const char *name = json_string_value(json_object_get(rule, "name"));
		const char *desc = json_string_value(json_object_get(rule, "description"));
		const json_t *ok = json_object_get(rule, "ok");
		const char *msg = json_string_value(json_object_get(rule, "message"));

		assert_non_null(name);
		assert_non_null(desc);
		assert_true(strlen(desc) > 0);
		assert_true(json_is_boolean(ok));
		append(res->names, sizeof(res->names), name);
		if (json_is_true(ok)) {
			assert_null(json_object_get(rule, "message"));
		} else {
			assert_non_null(msg);
			assert_true(strlen(msg) > 0);
			append(res->failed, sizeof(res->failed), name);
			n_failed++;
		}
		if (check_texts)
			assert_fixed_text(name, desc, msg);
	}
	assert_int_equal(res->r, n_failed ? -EPERM : 0);
}

static void expect(const struct password_config *cfg, const char *pw, const struct policy_person *p,
		   const char *failed)
{
	struct result res;

	run(cfg, pw, p, &res, false);
	if (strcmp(res.failed, failed) != 0)
		fail_msg("\"%s\": failed [%s], expected [%s]", pw, res.failed, failed);
	json_decref(res.rules);
}

static const char *message_of(const json_t *rules, const char *name)
{
	size_t i;
	json_t *rule;

	json_array_foreach(rules, i, rule)
		if (strcmp(json_string_value(json_object_get(rule, "name")), name) == 0)
			return json_string_value(json_object_get(rule, "message"));
	fail_msg("no rule \"%s\"", name);
	return NULL;
}

static int score_of(const struct password_config *cfg, const char *pw, const struct policy_person *p)
{
	struct result res;

	run(cfg, pw, p, &res, false);
	json_decref(res.rules);
	return res.score;
}

/* --- passing passwords --- */

static void test_strong_passwords_pass(void **state)
{
	static const char *const strong[] = {
		"Harbor!Violet27x", "Glacier#Otter58", "Maple%Tundra63b", "Quiet&Falcon492",
		"Velvet@Orchid81",  "Kq7#vR2m!Lp9",    "Tr0ub4dor&3x",    "Harbor Violet27x",
	};
	struct fixture *f = *state;
	struct result res;

	for (size_t i = 0; i < sizeof(strong) / sizeof(strong[0]); i++) {
		run(&f->c.password, strong[i], &f->person, &res, true);
		if (res.r != 0)
			fail_msg("\"%s\" refused: %s", strong[i], res.failed);
		assert_string_equal(res.names, ALL_RULES);
		assert_true((unsigned)res.score >= f->c.password.min_score);
		json_decref(res.rules);
	}
}

static void test_no_person_no_personal_rule(void **state)
{
	struct fixture *f = *state;
	struct result res;

	run(&f->c.password, "Kq7#hprov!2mx", NULL, &res, false);
	assert_int_equal(res.r, 0);
	assert_null(strstr(res.names, "personal"));
	json_decref(res.rules);
}

/* --- length --- */

static void test_length(void **state)
{
	struct fixture *f = *state;
	const struct password_config *cfg = &f->c.password;
	struct result res;
	char buf[1100];

	expect(cfg, "Kq7#vR2m", &f->person, "length");
	expect(cfg, "Kq7#vR2m!", &f->person, "");
	/* Characters, not bytes: 9 code points in 10 bytes pass, 8 in 9 do not. */
	expect(cfg, "Kq7#vR2m\xc3\xa9", &f->person, "");
	expect(cfg, "Kq7#vR2\xc3\xa9", &f->person, "length");

	run(cfg, "Kq7#vR2m", &f->person, &res, true);
	assert_string_equal(message_of(res.rules, "length"), "Use at least 9 characters.");
	json_decref(res.rules);

	/* 1024 bytes pass, 1025 do not; the text cycles so no other rule fires. */
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = "Kq7#vR2m!Lp9Xw4$"[i % 16];
	buf[1024] = '\0';
	run(cfg, buf, &f->person, &res, false);
	assert_null(strstr(res.failed, "length"));
	json_decref(res.rules);
	buf[1024] = 'Z';
	buf[1025] = '\0';
	run(cfg, buf, &f->person, &res, false);
	assert_non_null(strstr(res.failed, "length"));
	assert_string_equal(message_of(res.rules, "length"), "Use at most 1024 bytes.");
	json_decref(res.rules);
}

static void test_empty_password(void **state)
{
	struct fixture *f = *state;
	struct result res;

	run(&f->c.password, "", &f->person, &res, false);
	assert_int_equal(res.r, -EPERM);
	assert_int_equal(res.score, 0);
	assert_string_equal(res.failed, "length,upper,lower,digit,special,strength");
	json_decref(res.rules);
}

/* --- character classes --- */

static void test_classes(void **state)
{
	struct fixture *f = *state;
	const struct password_config *cfg = &f->c.password;
	struct result res;

	expect(cfg, "harbor!violet27x", &f->person, "upper");
	expect(cfg, "HARBOR!VIOLET27X", &f->person, "lower");
	expect(cfg, "Harbor!Violet#x", &f->person, "digit");
	expect(cfg, "HarborViolet27x", &f->person, "special");

	run(cfg, "harbor!violet27x", &f->person, &res, true);
	assert_string_equal(message_of(res.rules, "upper"), "Add an uppercase letter.");
	json_decref(res.rules);
	run(cfg, "HARBOR!VIOLET27X", &f->person, &res, true);
	assert_string_equal(message_of(res.rules, "lower"), "Add a lowercase letter.");
	json_decref(res.rules);
	run(cfg, "Harbor!Violet#x", &f->person, &res, true);
	assert_string_equal(message_of(res.rules, "digit"), "Add a digit.");
	json_decref(res.rules);
	run(cfg, "HarborViolet27x", &f->person, &res, true);
	assert_non_null(strstr(message_of(res.rules, "special"), "special character"));
	json_decref(res.rules);
}

static void test_classes_non_ascii(void **state)
{
	struct fixture *f = *state;
	const struct password_config *cfg = &f->c.password;

	/* A non-ASCII letter is special, and neither upper- nor lowercase. */
	expect(cfg, "Harbor7Violet\xc3\xa9", &f->person, "");
	expect(cfg, "HARBOR7VIOLET\xc3\xa9", &f->person, "lower");
	expect(cfg, "harbor7violet\xc3\x89", &f->person, "upper");
	/* The space is a special character too; a control character is not. */
	expect(cfg, "Harbor Violet27x", &f->person, "");
	expect(cfg, "HarborViolet27x\t", &f->person, "special");
}

/* --- sequences --- */

static void test_sequences(void **state)
{
	static const char *const bad[] = {
		"Kq7#abcR2m!L", "Kq7#123R2m!L", "Kq7#cbaR2m!L", "Kq7#xyzR2m!L",
		"Kq7#987R2m!L", "Kq7#aBcR2m!L", "Kq7#CBAR2m!L", "Kq7#wxyzR2m!L",
	};
	static const char *const good[] = {
		"Kq7#aceR2m!L", "Kq7#135R2m!L", "Kq7#ab-cR2m!L", "Kq7#abR2m!L", "Kq7#8z9R2m!L",
	};
	struct fixture *f = *state;
	const struct password_config *cfg = &f->c.password;
	struct result res;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect(cfg, bad[i], &f->person, "sequence");
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		expect(cfg, good[i], &f->person, "");

	run(cfg, "Kq7#abcR2m!L", &f->person, &res, false);
	assert_string_equal(message_of(res.rules, "sequence"), "Avoid sequences such as abc, 123 or cba.");
	json_decref(res.rules);
}

static void test_sequence_length_knob(void **state)
{
	struct fixture *f = *state;
	struct password_config *cfg = &f->c.password;
	struct result res;

	cfg->reject_sequences = 4;
	expect(cfg, "Kq7#abcR2m!L", &f->person, "");
	expect(cfg, "Kq7#abcdR2m!L", &f->person, "sequence");
	expect(cfg, "Kq7#4321R2m!L", &f->person, "sequence");
	run(cfg, "Kq7#abcdR2m!L", &f->person, &res, false);
	assert_string_equal(message_of(res.rules, "sequence"), "Avoid sequences such as abcd, 1234 or dcba.");
	json_decref(res.rules);
}

/* --- repeats --- */

static void test_repeats(void **state)
{
	struct fixture *f = *state;
	const struct password_config *cfg = &f->c.password;
	struct result res;

	expect(cfg, "Kq7#aaaR2m!L", &f->person, "repeat");
	expect(cfg, "Kq7#111R2m!L", &f->person, "repeat");
	expect(cfg, "Kq7#!!!R2m!L", &f->person, "repeat");
	expect(cfg, "Kq7#\xc3\xa9\xc3\xa9\xc3\xa9R2m!L", &f->person, "repeat");
	expect(cfg, "Kq7#aaR2m!L", &f->person, "");
	/* The same letter in another case is another character. */
	expect(cfg, "Kq7#aAaR2m!L", &f->person, "");

	run(cfg, "Kq7#aaaR2m!L", &f->person, &res, true);
	assert_string_equal(message_of(res.rules, "repeat"), "Avoid repeating a character three or more times.");
	json_decref(res.rules);

	f->c.password.reject_repeats = 4;
	expect(cfg, "Kq7#aaaR2m!L", &f->person, "");
	expect(cfg, "Kq7#aaaaR2m!L", &f->person, "repeat");
}

/* --- keyboard walks --- */

static void test_keyboard_walks(void **state)
{
	static const char *const walks[] = {
		"Xqwerty!7Lm", "9Zasdf#Kp2", "1qaz#Lm9Vp", "Kq7#zxcvbn!2", "QWERTY#7lmK", "Lm9#poiu!Kv",
	};
	struct fixture *f = *state;
	const struct password_config *cfg = &f->c.password;
	struct result res;

	for (size_t i = 0; i < sizeof(walks) / sizeof(walks[0]); i++)
		expect(cfg, walks[i], &f->person, "keyboard");

	run(cfg, "9Zasdf#Kp2", &f->person, &res, false);
	assert_string_equal(message_of(res.rules, "keyboard"), "Avoid keyboard patterns such as qwerty or asdf.");
	json_decref(res.rules);
}

static void test_keyboard_false_positives(void **state)
{
	/* Words whose letters sit next to each other on some keyboard but do not run in a line. */
	static const char *const fine[] = {
		"Tr0ub4dor&3", "Tr0ub4dor&3x", "Were!Going7Home", "Fred#Tree9Bert", "Sword7!Dress", "Harbor!Violet27x",
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++)
		expect(&f->c.password, fine[i], &f->person, "");
}

/* --- personal information --- */

static void test_personal(void **state)
{
	static const char *const bad[] = {
		"Kq7#HPROV!2mx",	/* username */
		"Kq7#hAnNaH!2m",	/* first name */
		"Kq7#pRoViDeR!2m",	/* last name */
		"Kq7#H.Nurse!2m",	/* email local part */
	};
	struct fixture *f = *state;
	const struct password_config *cfg = &f->c.password;
	struct result res;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect(cfg, bad[i], &f->person, "personal");
	/* Parts of a value are fine; so is the email's domain. */
	expect(cfg, "Kq7#Hann!2mProv", &f->person, "");
	expect(cfg, "Kq7#Riverside!2m", &f->person, "");

	run(cfg, "Kq7#hAnNaH!2m", &f->person, &res, true);
	assert_string_equal(message_of(res.rules, "personal"), "Do not use your name, username or email.");
	json_decref(res.rules);
}

static void test_personal_short_values(void **state)
{
	struct fixture *f = *state;
	const struct password_config *cfg = &f->c.password;
	struct policy_person p = { .username = "al", .first_name = "Al", .last_name = "Li", .email = "al@x.example" };
	struct policy_person zoe = { .username = NULL, .first_name = "Zo\xc3\xab", .last_name = NULL, .email = NULL };
	struct policy_person ze = { .username = NULL, .first_name = "Z\xc3\xa9", .last_name = NULL, .email = NULL };

	/* Values under three characters are not looked for, however many bytes they take. */
	expect(cfg, "Al!Li#Kq7vR2m", &p, "");
	expect(cfg, "Kq7#Z\xc3\xa9!2mxP", &ze, "");
	/* Three characters in four bytes are. */
	expect(cfg, "Kq7#ZO\xc3\xab!2mx", &zoe, "personal");
}

static void test_personal_lowers_score(void **state)
{
	struct fixture *f = *state;
	const struct password_config *cfg = &f->c.password;

	assert_true(score_of(cfg, "hannahprovider", &f->person) < score_of(cfg, "hannahprovider", NULL));
}

/* --- common passwords --- */

static void test_common(void **state)
{
	struct fixture *f = *state;
	const struct password_config *cfg = &f->c.password;
	struct result res;

	run(cfg, "Password1!", &f->person, &res, false);
	assert_non_null(strstr(res.failed, "common"));
	assert_string_equal(message_of(res.rules, "common"), "This is a commonly used password.");
	json_decref(res.rules);
	run(cfg, "P@ssw0rd123", &f->person, &res, false);
	assert_non_null(strstr(res.failed, "common"));
	json_decref(res.rules);
	run(cfg, "Summer2024!", &f->person, &res, false);
	assert_non_null(strstr(res.failed, "common"));
	json_decref(res.rules);

	expect(cfg, "Tr0ub4dor&3x", &f->person, "");
	expect(cfg, "Kq7#vR2m!Lp9", &f->person, "");
	/* A word that is only a small part of the password does not make it common. */
	expect(cfg, "!!9274635Tree", &f->person, "");
}

/* --- strength --- */

static void test_strength(void **state)
{
	struct fixture *f = *state;
	struct password_config *cfg = &f->c.password;
	struct result res;
	int weak = score_of(cfg, "Password1!", &f->person);
	int strong = score_of(cfg, "Harbor!Violet27x", &f->person);

	assert_in_range(weak, 0, 4);
	assert_in_range(strong, 0, 4);
	assert_true(weak < strong);
	assert_int_equal(score_of(cfg, "", NULL), 0);
	assert_int_equal(strong, 4);

	run(cfg, "Password1!", &f->person, &res, true);
	assert_int_equal(res.score, weak);
	assert_non_null(strstr(res.failed, "strength"));
	{
		char want[96];

		snprintf(want, sizeof(want), "Too easy to guess: strength %d of 4, at least 2 needed.", weak);
		assert_string_equal(message_of(res.rules, "strength"), want);
	}
	json_decref(res.rules);

	/* Monotone along a row of ever stronger passwords. */
	{
		static const char *const row[] = { "password", "Password1!", "Copper7!Lantern", "Harbor!Violet27x" };
		int prev = -1;

		for (size_t i = 0; i < sizeof(row) / sizeof(row[0]); i++) {
			int s = score_of(cfg, row[i], NULL);

			assert_true(s >= prev);
			prev = s;
		}
	}

	cfg->min_score = 4;
	expect(cfg, "Copper7!Lantern", &f->person, "strength");
	expect(cfg, "Harbor!Violet27x", &f->person, "");
	cfg->min_score = 0;
	cfg->reject_common = false;
	expect(cfg, "Password1!", &f->person, "");
}

/* --- several rules at once, and the messages --- */

static void test_several_failures(void **state)
{
	struct fixture *f = *state;
	struct result res;
	size_t i, j;
	json_t *a, *b;

	run(&f->c.password, "aaabc", &f->person, &res, true);
	assert_int_equal(res.r, -EPERM);
	assert_string_equal(res.failed, "length,upper,digit,special,sequence,repeat,strength");
	/* One message per failed rule, each its own. */
	json_array_foreach(res.rules, i, a) {
		const char *ma = json_string_value(json_object_get(a, "message"));

		json_array_foreach(res.rules, j, b) {
			const char *mb = json_string_value(json_object_get(b, "message"));

			if (i != j && ma && mb)
				assert_string_not_equal(ma, mb);
		}
	}
	json_decref(res.rules);

	/* A first name with digits is a common pattern too. */
	expect(&f->c.password, "hannah123", &f->person, "upper,special,sequence,personal,common,strength");
}

static void test_messages_never_hold_the_password(void **state)
{
	static const char *const pw[] = {
		"Hannah", "zzzzzzzzzzzz", "hprov2hprov", "Mk9mk9mk9", "Hannah.Provider", "Zebra!!!\xc3\xa9\xc3\xa9\xc3\xa9",
		"P@ssw0rd987", "Tr0ub4dor&3", "1qaz2wsx3edc", "h.nurse@riverside.example",
	};
	struct fixture *f = *state;
	struct result res;

	for (size_t i = 0; i < sizeof(pw) / sizeof(pw[0]); i++) {
		run(&f->c.password, pw[i], &f->person, &res, true);
		json_decref(res.rules);
	}
}

/* --- the config switches rules off --- */

static void test_disabled_rules_are_omitted(void **state)
{
	struct fixture *f = *state;
	struct password_config *cfg = &f->c.password;
	struct result res;

	cfg->require_upper = false;
	cfg->require_lower = false;
	cfg->require_digit = false;
	cfg->require_special = false;
	cfg->reject_sequences = 0;
	cfg->reject_repeats = 0;
	cfg->reject_keyboard_walks = false;
	cfg->reject_personal_info = false;
	cfg->reject_common = false;
	cfg->min_score = 0;
	run(cfg, "qwertyabc111hannah", &f->person, &res, false);
	assert_int_equal(res.r, 0);
	assert_string_equal(res.names, "length,strength");
	json_decref(res.rules);
}

static void test_each_rule_can_be_disabled(void **state)
{
	struct fixture *f = *state;
	struct password_config *cfg = &f->c.password;
	const struct password_config defaults = *cfg;
	struct result res;

	/* For each knob: a password failing only that rule passes once it is off. */
	static const struct {
		const char *password, *rule;
	} cases[] = {
		{ "harbor!violet27x", "upper" },   { "HARBOR!VIOLET27X", "lower" },  { "Harbor!Violet#x", "digit" },
		{ "HarborViolet27x", "special" },  { "Kq7#abcR2m!L", "sequence" },   { "Kq7#aaaR2m!L", "repeat" },
		{ "9Zasdf#Kp2", "keyboard" },      { "Kq7#HPROV!2mx", "personal" },  { "Password1!", "common" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		*cfg = defaults;
		cfg->min_score = 0;
		if (strcmp(cases[i].rule, "upper") == 0)
			cfg->require_upper = false;
		else if (strcmp(cases[i].rule, "lower") == 0)
			cfg->require_lower = false;
		else if (strcmp(cases[i].rule, "digit") == 0)
			cfg->require_digit = false;
		else if (strcmp(cases[i].rule, "special") == 0)
			cfg->require_special = false;
		else if (strcmp(cases[i].rule, "sequence") == 0)
			cfg->reject_sequences = 0;
		else if (strcmp(cases[i].rule, "repeat") == 0)
			cfg->reject_repeats = 0;
		else if (strcmp(cases[i].rule, "keyboard") == 0)
			cfg->reject_keyboard_walks = false;
		else if (strcmp(cases[i].rule, "personal") == 0)
			cfg->reject_personal_info = false;
		else
			cfg->reject_common = false;
		run(cfg, cases[i].password, &f->person, &res, false);
		if (res.r != 0)
			fail_msg("\"%s\" with %s off: failed [%s]", cases[i].password, cases[i].rule, res.failed);
		assert_null(strstr(res.names, cases[i].rule));
		json_decref(res.rules);
	}
	*cfg = defaults;
}

/* --- history --- */

/* The entry just before "strength", where the history rule is listed. */
static json_t *before_strength(json_t *rules)
{
	size_t n = json_array_size(rules);

	assert_true(n >= 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rules, n - 1), "name")), "strength");
	return json_array_get(rules, n - 2);
}

static void test_history_failure(void **state)
{
	struct fixture *f = *state;
	struct result res;
	json_t *history;

	run(&f->c.password, "Harbor!Violet27x", &f->person, &res, false);
	assert_int_equal(res.r, 0);
	policy_add_history_failure(res.rules, 5);
	history = before_strength(res.rules);
	assert_string_equal(json_string_value(json_object_get(history, "name")), "history");
	assert_string_equal(json_string_value(json_object_get(history, "description")), "not one of the last 5 passwords");
	assert_true(json_is_false(json_object_get(history, "ok")));
	assert_string_equal(json_string_value(json_object_get(history, "message")),
			    "Do not reuse one of your last 5 passwords.");
	json_decref(res.rules);

	run(&f->c.password, "Harbor!Violet27x", &f->person, &res, false);
	policy_add_history_failure(res.rules, 1);
	history = before_strength(res.rules);
	assert_string_equal(json_string_value(json_object_get(history, "description")), "not the last password");
	assert_string_equal(json_string_value(json_object_get(history, "message")), "Do not reuse your last password.");
	json_decref(res.rules);

	/* Not an array: nothing happens. */
	policy_add_history_failure(NULL, 5);
}

/* --- descriptions for PolicyShow --- */

static void test_describe(void **state)
{
	static const char *const names[] = { "length", "upper", "lower", "digit", "special", "sequence",
					     "repeat", "keyboard", "personal", "common", "history", "strength" };
	struct fixture *f = *state;
	struct result res;
	json_t *rules, *rule;
	size_t i;

	rules = policy_describe(&f->c.password);
	assert_non_null(rules);
	assert_int_equal(json_array_size(rules), sizeof(names) / sizeof(names[0]));
	json_array_foreach(rules, i, rule) {
		assert_string_equal(json_string_value(json_object_get(rule, "name")), names[i]);
		assert_non_null(json_string_value(json_object_get(rule, "description")));
		assert_null(json_object_get(rule, "ok"));
		assert_null(json_object_get(rule, "message"));
	}
	/* The same words policy_check uses. */
	run(&f->c.password, "abc", &f->person, &res, false);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rules, 5), "description")),
			    json_string_value(json_object_get(json_array_get(res.rules, 5), "description")));
	json_decref(res.rules);
	json_decref(rules);

	/* Disabled rules are left out. */
	f->c.password.history = 0;
	f->c.password.reject_common = false;
	rules = policy_describe(&f->c.password);
	assert_int_equal(json_array_size(rules), sizeof(names) / sizeof(names[0]) - 2);
	json_decref(rules);
}

/* --- bad arguments --- */

static void test_bad_arguments(void **state)
{
	struct fixture *f = *state;
	json_t *rules = (json_t *)0x1;
	int score = 77;

	assert_int_equal(policy_check(NULL, "Harbor!Violet27x", NULL, &rules, &score), -EINVAL);
	assert_int_equal(policy_check(&f->c.password, NULL, NULL, &rules, &score), -EINVAL);
	assert_int_equal(policy_check(&f->c.password, "Harbor!Violet27x", NULL, NULL, &score), -EINVAL);
	assert_int_equal(policy_check(&f->c.password, "Harbor!Violet27x", NULL, &rules, NULL), -EINVAL);
	/* Outputs untouched on failure. */
	assert_ptr_equal(rules, (json_t *)0x1);
	assert_int_equal(score, 77);
}

static void test_person_with_missing_fields(void **state)
{
	struct fixture *f = *state;
	struct policy_person p = { .username = "hprov", .first_name = NULL, .last_name = "", .email = "noatsign" };

	expect(&f->c.password, "Kq7#Hannah!2mP", &p, "");
	expect(&f->c.password, "Kq7#NoAtSign!2m", &p, "personal");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_strong_passwords_pass, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_person_no_personal_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_password, setup, teardown),
		cmocka_unit_test_setup_teardown(test_classes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_classes_non_ascii, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sequences, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sequence_length_knob, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repeats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keyboard_walks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keyboard_false_positives, setup, teardown),
		cmocka_unit_test_setup_teardown(test_personal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_personal_short_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_personal_lowers_score, setup, teardown),
		cmocka_unit_test_setup_teardown(test_common, setup, teardown),
		cmocka_unit_test_setup_teardown(test_strength, setup, teardown),
		cmocka_unit_test_setup_teardown(test_several_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_messages_never_hold_the_password, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disabled_rules_are_omitted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_rule_can_be_disabled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_describe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_person_with_missing_fields, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
