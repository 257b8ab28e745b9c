/* Rules for the values of staff accounts, roles and locations. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../staffd/validate.h"

typedef int (*str_rule)(const char *s, const char **why);

static void expect_ok(str_rule rule, const char *s)
{
	const char *why = NULL;
	int r = rule(s, &why);

	if (r != 0)
		fail_msg("\"%s\" rejected (%d): %s", s, r, why ? why : "(no reason)");
	assert_null(why);
}

/* The reason must name the rule that was broken, hence the fragment. */
static void expect_bad(str_rule rule, const char *s, const char *fragment)
{
	const char *why = NULL;
	int r = rule(s, &why);

	if (r != -EINVAL)
		fail_msg("\"%s\" accepted (%d)", s ? s : "(null)", r);
	assert_non_null(why);
	if (!strstr(why, fragment))
		fail_msg("\"%s\": reason \"%s\" does not mention \"%s\"", s ? s : "(null)",
			 why, fragment);
}

static char *fill(char *buf, char c, size_t n)
{
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

/* --- NULL everywhere --- */

static void test_null_input(void **state)
{
	static const str_rule rules[] = {
		validate_username, validate_email, validate_person_name, validate_npi,
		validate_taxonomy, validate_phone, validate_pin, validate_employment,
		validate_status, validate_permission, validate_label,
	};
	const char *why = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		expect_bad(rules[i], NULL, "is required");
	assert_int_equal(validate_dea(NULL, "Doe", &why), -EINVAL);
	assert_string_equal(why, "is required");
	why = NULL;
	assert_int_equal(validate_dea(NULL, NULL, &why), -EINVAL);
	assert_string_equal(why, "is required");
	why = NULL;
	assert_int_equal(validate_text(NULL, 100, &why), -EINVAL);
	assert_string_equal(why, "is required");
}

/* A caller that does not want the reason still gets the verdict. */
static void test_null_why(void **state)
{
	(void)state;
	assert_int_equal(validate_username("Bad", NULL), -EINVAL);
	assert_int_equal(validate_username("good", NULL), 0);
	assert_int_equal(validate_email(NULL, NULL), -EINVAL);
	assert_int_equal(validate_dea("AB1234564", NULL, NULL), -EINVAL);
	assert_int_equal(validate_text("\x01", 10, NULL), -EINVAL);
	assert_int_equal(validate_capacity(0, NULL), -EINVAL);
	assert_int_equal(validate_step(7, NULL), -EINVAL);
}

/* The reason pointer is left alone on success. */
static void test_why_untouched_on_success(void **state)
{
	const char *sentinel = "untouched";
	const char *why = sentinel;

	(void)state;
	assert_int_equal(validate_npi("1234567893", &why), 0);
	assert_ptr_equal(why, sentinel);
	assert_int_equal(validate_capacity(1, &why), 0);
	assert_ptr_equal(why, sentinel);
	assert_int_equal(validate_text("", 0, &why), 0);
	assert_ptr_equal(why, sentinel);
}

/* --- username --- */

static void test_username(void **state)
{
	char buf[64];

	(void)state;
	expect_ok(validate_username, "a");
	expect_ok(validate_username, "_");
	expect_ok(validate_username, "jdoe");
	expect_ok(validate_username, "hprov");
	expect_ok(validate_username, "_svc");
	expect_ok(validate_username, "mary-ann_2");
	expect_ok(validate_username, "a-");
	expect_ok(validate_username, "z9");
	expect_ok(validate_username, fill(buf, 'a', 32));

	expect_bad(validate_username, "", "empty");
	expect_bad(validate_username, fill(buf, 'a', 33), "32");
	expect_bad(validate_username, fill(buf, 'a', 60), "32");
	expect_bad(validate_username, "Jdoe", "start");
	expect_bad(validate_username, "jDoe", "only");
	expect_bad(validate_username, "JDOE", "start");
	expect_bad(validate_username, "1jdoe", "start");
	expect_bad(validate_username, "9", "start");
	expect_bad(validate_username, "-jdoe", "start");
	expect_bad(validate_username, "j.doe", "only");
	expect_bad(validate_username, "j doe", "only");
	expect_bad(validate_username, "jdoe$", "only");
	expect_bad(validate_username, "jdoe\n", "only");
	expect_bad(validate_username, "j\xc3\xb6rg", "only");
	expect_bad(validate_username, "\xc3\xa9mile", "start");
	expect_bad(validate_username, "jdoe@x", "only");
}

/* --- email --- */

/* Builds local@domain, the domain ending in ".org" with labels of at most 63 characters. */
static char *make_email(char *buf, size_t local_len, size_t domain_len)
{
	char *p = buf;
	size_t left = domain_len - 4;

	memset(p, 'a', local_len);
	p += local_len;
	*p++ = '@';
	while (left > 63) {
		memset(p, 'b', 63);
		p += 63;
		*p++ = '.';
		left -= 64;
	}
	memset(p, 'c', left);
	p += left;
	memcpy(p, ".org", 5);
	return buf;
}

static void test_email(void **state)
{
	char buf[512];

	(void)state;
	expect_ok(validate_email, "amy@riverside.example");
	expect_ok(validate_email, "h.prov@riverside.example");
	expect_ok(validate_email, "jane.doe@mail.riverside.example");
	expect_ok(validate_email, "A.Person@Example.COM");
	expect_ok(validate_email, "x@y.io");
	expect_ok(validate_email, "user+tag@example.org");
	expect_ok(validate_email, "!#$%&'*+/=?^_`{|}~-@example.org");
	expect_ok(validate_email, "o'brien@example.ie");
	expect_ok(validate_email, "a@xn--bcher-kva.example");
	expect_ok(validate_email, "a@my-host.example");
	expect_ok(validate_email, "a@1.2.3.com");
	expect_ok(validate_email, "a@example.c0m");

	/* Length boundaries: whole, local part, label. */
	make_email(buf, 64, 189);
	assert_int_equal(strlen(buf), 254);
	expect_ok(validate_email, buf);
	make_email(buf, 64, 190);
	assert_int_equal(strlen(buf), 255);
	expect_bad(validate_email, buf, "254");
	make_email(buf, 1, 252);
	assert_int_equal(strlen(buf), 254);
	expect_ok(validate_email, buf);
	make_email(buf, 1, 253);
	expect_bad(validate_email, buf, "254");
	make_email(buf, 64, 10);
	expect_ok(validate_email, buf);
	make_email(buf, 65, 10);
	expect_bad(validate_email, buf, "64");
	make_email(buf, 3, 63 + 4);
	assert_non_null(strstr(buf, "@ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc.org"));
	expect_ok(validate_email, buf);
	snprintf(buf, sizeof(buf), "a@%s.com", fill((char[80]){ 0 }, 'd', 64));
	expect_bad(validate_email, buf, "63");
	expect_bad(validate_email, make_email(buf, 300, 10), "254");

	expect_bad(validate_email, "", "empty");
	expect_bad(validate_email, "amy", "'@'");
	expect_bad(validate_email, "amy@@example.org", "'@'");
	expect_bad(validate_email, "a@b@example.org", "'@'");
	expect_bad(validate_email, "@example.org", "local part");
	expect_bad(validate_email, "amy@", "domain");
	expect_bad(validate_email, ".amy@example.org", "dot");
	expect_bad(validate_email, "amy.@example.org", "dot");
	expect_bad(validate_email, "a..my@example.org", "dot");
	expect_bad(validate_email, "a\"my@example.org", "local part");
	expect_bad(validate_email, "a(my)@example.org", "local part");
	expect_bad(validate_email, "a,my@example.org", "local part");
	expect_bad(validate_email, "\xc3\xa9mile@example.org", "local part");
	expect_bad(validate_email, "amy@localhost", "two labels");
	expect_bad(validate_email, "amy@.example.org", "empty label");
	expect_bad(validate_email, "amy@example.org.", "empty label");
	expect_bad(validate_email, "amy@example..org", "empty label");
	expect_bad(validate_email, "amy@-example.org", "hyphen");
	expect_bad(validate_email, "amy@example-.org", "hyphen");
	expect_bad(validate_email, "amy@example.org-", "hyphen");
	expect_bad(validate_email, "amy@exa_mple.org", "domain");
	expect_bad(validate_email, "amy@b\xc3\xbc" "cher.example", "domain");
	expect_bad(validate_email, "amy@[192.0.2.1]", "domain");
	expect_bad(validate_email, "amy@192.0.2.1", "numeric");
	expect_bad(validate_email, "amy@example.123", "numeric");
	expect_bad(validate_email, "amy @example.org", "white space");
	expect_bad(validate_email, " amy@example.org", "white space");
	expect_bad(validate_email, "amy@example.org ", "white space");
	expect_bad(validate_email, "amy@example.org\n", "white space");
	expect_bad(validate_email, "amy\t@example.org", "white space");
	expect_bad(validate_email, "amy@exam\x7fple.org", "control");
	expect_bad(validate_email, "amy@exam\x01ple.org", "control");
}

/* --- UTF-8 shared by names, labels and text --- */

static const char *const bad_utf8[] = {
	"\x80",				/* lone continuation byte */
	("ab\xbf" "cd"),		/* continuation byte in the middle */
	"\xc0\xaf",			/* overlong '/' */
	"\xc1\xbf",			/* overlong 0x7F */
	"\xe0\x80\xaf",			/* overlong '/' in three bytes */
	"\xe0\x9f\xbf",			/* overlong U+07FF */
	"\xf0\x80\x80\xaf",		/* overlong '/' in four bytes */
	"\xf0\x8f\xbf\xbf",		/* overlong U+FFFF */
	"\xed\xa0\x80",			/* UTF-16 surrogate U+D800 */
	"\xed\xbf\xbf",			/* UTF-16 surrogate U+DFFF */
	"\xf4\x90\x80\x80",		/* U+110000 */
	"\xf5\x80\x80\x80",		/* lead byte past U+10FFFF */
	"\xf8\x88\x80\x80\x80",		/* five-byte form */
	"\xfe",
	"\xff",
	"Zo\xc3",			/* truncated at the end */
	"Zo\xe2\x82",			/* truncated at the end */
	"\xf0\x9f\x98",			/* truncated at the end */
	"\xc3(",			/* missing continuation */
	"\xe2\x28\xa1",			/* bad second byte */
	"\xe2\x82\x28",			/* bad third byte */
	"\xf0\x9f\x98\x28",		/* bad fourth byte */
	"Ren\xe9",			/* Latin-1, not UTF-8 */
};

static const char *const good_utf8[] = {
	"Zo\xc3\xab",			/* Zoë */
	"Jos\xc3\xa9",			/* José */
	"\xc3\x86gir",			/* Ægir */
	"\xe6\x9d\x8e\xe5\xb0\x8f\xe9\xbe\x8d",	/* three-byte CJK */
	"Smile \xf0\x9f\x98\x80",	/* four-byte emoji */
	"a",
	"\xdf\xbf",			/* U+07FF, last two-byte */
	"\xe0\xa0\x80",			/* U+0800, first three-byte */
	"\xed\x9f\xbf",			/* U+D7FF, just below surrogates */
	"\xee\x80\x80",			/* U+E000, just above surrogates */
	"\xef\xbf\xbd",			/* U+FFFD */
	"\xf0\x90\x80\x80",		/* U+10000, first four-byte */
	"\xf4\x8f\xbf\xbf",		/* U+10FFFF, last code point */
};

static const char *const control_chars[] = {
	("a\x01" "b"), "a\x1b[31mb", ("a\x7f" "b"), "a\rb", ("a\x0b" "b"), ("a\x0c" "b"),
	("a\xc2\x80" "b"),		/* U+0080 */
	("a\xc2\x85" "b"),		/* NEL */
	("a\xc2\x9b" "31mb"),		/* CSI */
	("a\xc2\x9f" "b"),		/* U+009F */
	("a\xe2\x80\xae" "b"),		/* right-to-left override */
	("a\xe2\x80\xaa" "b"),		/* left-to-right embedding */
	("a\xe2\x81\xa7" "b"),		/* first strong isolate */
	("a\xe2\x81\xa9" "b"),		/* pop directional isolate */
};

static int label_rule(const char *s, const char **why)
{
	return validate_label(s, why);
}

static int text_rule(const char *s, const char **why)
{
	return validate_text(s, 4096, why);
}

static void test_utf8_everywhere(void **state)
{
	static const str_rule rules[] = { validate_person_name, label_rule, text_rule };

	(void)state;
	for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
		for (size_t i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++)
			expect_bad(rules[r], bad_utf8[i], "UTF-8");
		for (size_t i = 0; i < sizeof(good_utf8) / sizeof(good_utf8[0]); i++)
			expect_ok(rules[r], good_utf8[i]);
		for (size_t i = 0; i < sizeof(control_chars) / sizeof(control_chars[0]); i++)
			expect_bad(rules[r], control_chars[i], "control");
	}
}

/* --- person names and labels --- */

static void test_person_name(void **state)
{
	char buf[256];

	(void)state;
	expect_ok(validate_person_name, "Amy");
	expect_ok(validate_person_name, "A");
	expect_ok(validate_person_name, "Mary Ann");
	expect_ok(validate_person_name, "O'Brien");
	expect_ok(validate_person_name, "Jean-Luc");
	expect_ok(validate_person_name, "de la Cruz");
	expect_ok(validate_person_name, "Zo\xc3\xab");
	expect_ok(validate_person_name, fill(buf, 'a', 64));
	/* 32 two-byte characters are 64 bytes. */
	buf[0] = '\0';
	for (int i = 0; i < 32; i++)
		strcat(buf, "\xc3\xa9");
	expect_ok(validate_person_name, buf);
	strcat(buf, "\xc3\xa9");
	expect_bad(validate_person_name, buf, "64 bytes");

	expect_bad(validate_person_name, "", "empty");
	expect_bad(validate_person_name, fill(buf, 'a', 65), "64 bytes");
	fill(buf, 'a', 63);
	strcat(buf, "\xc3\xa9");
	expect_bad(validate_person_name, buf, "64 bytes");
	expect_bad(validate_person_name, " ", "blank");
	expect_bad(validate_person_name, "   ", "blank");
	expect_bad(validate_person_name, "\xc2\xa0", "blank");
	expect_bad(validate_person_name, "\xe3\x80\x80\xe2\x80\x83", "blank");
	expect_bad(validate_person_name, " Amy", "white space");
	expect_bad(validate_person_name, "Amy ", "white space");
	expect_bad(validate_person_name, "\xc2\xa0" "Amy", "white space");
	expect_bad(validate_person_name, "Amy\xe3\x80\x80", "white space");
	expect_bad(validate_person_name, "Amy\xe2\x80\xa8", "white space");
	expect_bad(validate_person_name, "Amy\n", "control");
	expect_bad(validate_person_name, "\tAmy", "control");
	expect_bad(validate_person_name, "Mary\tAnn", "control");
	expect_bad(validate_person_name, "Mary\nAnn", "control");
}

static void test_label(void **state)
{
	char buf[128];

	(void)state;
	expect_ok(validate_label, "Main");
	expect_ok(validate_label, "Front Desk");
	expect_ok(validate_label, "Office Administrator");
	expect_ok(validate_label, "Clinic #2 (North)");
	expect_ok(validate_label, "M\xc3\xbcnchen");
	expect_ok(validate_label, fill(buf, 'L', 64));

	expect_bad(validate_label, fill(buf, 'L', 65), "64 bytes");
	expect_bad(validate_label, "", "empty");
	expect_bad(validate_label, " ", "blank");
	expect_bad(validate_label, " Main", "white space");
	expect_bad(validate_label, "Main ", "white space");
	expect_bad(validate_label, "Main\n", "control");
	expect_bad(validate_label, "Main\tNorth", "control");
	expect_bad(validate_label, "\xc0\xae", "UTF-8");
}

/* --- free text --- */

static void test_text(void **state)
{
	char buf[300];
	const char *why = NULL;

	(void)state;
	assert_int_equal(validate_text("", 0, &why), 0);
	assert_int_equal(validate_text("", 100, &why), 0);
	assert_int_equal(validate_text("12 River St", 100, &why), 0);
	assert_int_equal(validate_text("12 River St\nSpringfield\n", 100, &why), 0);
	assert_int_equal(validate_text("\tIndented\n\n", 100, &why), 0);
	assert_int_equal(validate_text("  padded  ", 100, &why), 0);
	assert_int_equal(validate_text(" ", 1, &why), 0);
	assert_int_equal(validate_text(fill(buf, 'x', 255), 255, &why), 0);
	assert_int_equal(validate_text("MD, PhD \xe2\x80\x94 Cardiology", 100, &why), 0);
	assert_null(why);

	assert_int_equal(validate_text(fill(buf, 'x', 256), 255, &why), -EINVAL);
	assert_non_null(why);
	assert_non_null(strstr(why, "too long"));
	why = NULL;
	assert_int_equal(validate_text("x", 0, &why), -EINVAL);
	assert_non_null(strstr(why, "too long"));
	why = NULL;
	/* The limit is in bytes: "é" is two. */
	assert_int_equal(validate_text("\xc3\xa9", 1, &why), -EINVAL);
	assert_non_null(strstr(why, "too long"));
	why = NULL;
	assert_int_equal(validate_text("\xc3\xa9", 2, &why), 0);
	assert_null(why);
	/* A multibyte character cut by the limit is too long, not invalid. */
	assert_int_equal(validate_text("ab\xc3\xa9", 3, &why), -EINVAL);
	assert_non_null(strstr(why, "too long"));
	why = NULL;
	assert_int_equal(validate_text("line\r\nline", 100, &why), -EINVAL);
	assert_non_null(strstr(why, "control"));
	why = NULL;
	assert_int_equal(validate_text("bell\a", 100, &why), -EINVAL);
	assert_non_null(strstr(why, "control"));
	why = NULL;
	assert_int_equal(validate_text("ok\xff", 100, &why), -EINVAL);
	assert_non_null(strstr(why, "UTF-8"));
	/* Large limits do not overflow. */
	why = NULL;
	assert_int_equal(validate_text("short", UINT32_MAX, &why), 0);
	assert_null(why);
}

/* --- NPI --- */

static void test_npi(void **state)
{
	static const char *const valid[] = {
		"1234567893", "1245319599", "1003000126", "1558444216", "1679576722",
	};
	char buf[16];

	(void)state;
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		expect_ok(validate_npi, valid[i]);
		/* Exactly one check digit fits: every other one is refused. */
		for (char d = '0'; d <= '9'; d++) {
			if (d == valid[i][9])
				continue;
			memcpy(buf, valid[i], 11);
			buf[9] = d;
			expect_bad(validate_npi, buf, "check digit");
		}
	}
	/* A single changed digit anywhere is caught. */
	memcpy(buf, "1234567893", 11);
	for (size_t pos = 0; pos < 9; pos++) {
		char saved = buf[pos];

		buf[pos] = saved == '9' ? '0' : (char)(saved + 1);
		expect_bad(validate_npi, buf, "check digit");
		buf[pos] = saved;
	}
	/* Two swapped neighbours are caught too. */
	expect_bad(validate_npi, "2134567893", "check digit");

	expect_bad(validate_npi, "1234567890", "check digit");
	expect_bad(validate_npi, "", "10 digits");
	expect_bad(validate_npi, "123456789", "10 digits");
	expect_bad(validate_npi, "12345678930", "10 digits");
	expect_bad(validate_npi, "123456789X", "10 digits");
	expect_bad(validate_npi, "12345 7893", "10 digits");
	expect_bad(validate_npi, " 1234567893", "10 digits");
	expect_bad(validate_npi, "1234567893 ", "10 digits");
	expect_bad(validate_npi, "-234567893", "10 digits");
	expect_bad(validate_npi, "\xd9\xa1" "23456789", "10 digits");
}

/* --- DEA --- */

static int dea_no_name(const char *s, const char **why)
{
	return validate_dea(s, NULL, why);
}

static void expect_dea(const char *s, const char *last, const char *fragment)
{
	const char *why = NULL;
	int r = validate_dea(s, last, &why);

	if (!fragment) {
		if (r != 0)
			fail_msg("DEA \"%s\" for \"%s\" rejected: %s", s, last ? last : "(none)",
				 why ? why : "(no reason)");
		assert_null(why);
		return;
	}
	if (r != -EINVAL)
		fail_msg("DEA \"%s\" for \"%s\" accepted", s, last ? last : "(none)");
	assert_non_null(why);
	if (!strstr(why, fragment))
		fail_msg("DEA \"%s\": reason \"%s\" does not mention \"%s\"", s, why, fragment);
}

static void test_dea(void **state)
{
	static const char allowed[] = "ABCDEFGHJKLMPRSTUX";
	char buf[16];

	(void)state;
	expect_ok(dea_no_name, "AB1234563");
	expect_ok(dea_no_name, "ab1234563");
	expect_ok(dea_no_name, "aB1234563");
	expect_ok(dea_no_name, "A91234563");
	expect_ok(dea_no_name, "MD0000000");
	expect_ok(dea_no_name, "BJ1111119");
	/* Every registrant type letter is accepted, every other letter refused. */
	for (char c = 'A'; c <= 'Z'; c++) {
		memcpy(buf, "AB1234563", 10);
		buf[0] = c;
		if (strchr(allowed, c))
			expect_ok(dea_no_name, buf);
		else
			expect_bad(dea_no_name, buf, "start with");
	}
	/* Every wrong check digit is refused. */
	for (char d = '0'; d <= '9'; d++) {
		if (d == '3')
			continue;
		memcpy(buf, "AB1234563", 10);
		buf[8] = d;
		expect_bad(dea_no_name, buf, "check digit");
	}
	/* The carry of the weighted sum is dropped: 9+9+9 + 2*27 = 81. */
	expect_ok(dea_no_name, "AB9999991");
	expect_bad(dea_no_name, "AB9999998", "check digit");
	/* Weights matter: swapping an odd and an even position changes the digit. */
	expect_bad(dea_no_name, "AB2134563", "check digit");

	expect_bad(dea_no_name, "", "7 digits");
	expect_bad(dea_no_name, "AB123456", "7 digits");
	expect_bad(dea_no_name, "AB12345630", "7 digits");
	expect_bad(dea_no_name, "A1234563", "7 digits");
	expect_bad(dea_no_name, "1B1234563", "7 digits");
	expect_bad(dea_no_name, "A81234563", "7 digits");
	expect_bad(dea_no_name, "A-1234563", "7 digits");
	expect_bad(dea_no_name, "ABC234563", "7 digits");
	expect_bad(dea_no_name, "AB123456X", "7 digits");
	expect_bad(dea_no_name, "AB 234563", "7 digits");
	expect_bad(dea_no_name, "9B1234563", "7 digits");

	/* With a last name, the second letter is its initial or 9. */
	expect_dea("AB1234563", "Brown", NULL);
	expect_dea("AB1234563", "brown", NULL);
	expect_dea("ab1234563", "Brown", NULL);
	expect_dea("A91234563", "Brown", NULL);
	expect_dea("A91234563", "Smith", NULL);
	expect_dea("AS1234563", "Smith", NULL);
	expect_dea("MD0000000", "Doe", NULL);
	expect_dea("AB1234563", "Smith", "last name");
	expect_dea("AB1234563", "Abbott", "last name");
	expect_dea("AS1234563", "brown", "last name");
	/* The format and check digit come first. */
	expect_dea("AB1234564", "Brown", "check digit");
	expect_dea("IB1234563", "Brown", "start with");
	/* A last name that is not spelled in ASCII letters cannot be matched. */
	expect_dea("AO1234563", "\xc3\x96zdemir", NULL);
	expect_dea("AB1234563", "", NULL);
	expect_dea("AB1234563", "'t Hooft", NULL);
}

/* --- taxonomy --- */

static void test_taxonomy(void **state)
{
	(void)state;
	expect_ok(validate_taxonomy, "207Q00000X");
	expect_ok(validate_taxonomy, "363LF0000X");
	expect_ok(validate_taxonomy, "1223G0001X");
	expect_ok(validate_taxonomy, "163W00000X");
	expect_ok(validate_taxonomy, "207RC0000X");
	expect_ok(validate_taxonomy, "000000000X");
	expect_ok(validate_taxonomy, "999ZZZZZZX");

	expect_bad(validate_taxonomy, "", "X");
	expect_bad(validate_taxonomy, "207Q00000", "X");
	expect_bad(validate_taxonomy, "207Q00000XX", "X");
	expect_bad(validate_taxonomy, "207Q00000x", "X");
	expect_bad(validate_taxonomy, "207q00000X", "uppercase");
	expect_bad(validate_taxonomy, "363lf0000X", "uppercase");
	expect_bad(validate_taxonomy, "A07Q00000X", "3 digits");
	expect_bad(validate_taxonomy, "20AQ00000X", "3 digits");
	expect_bad(validate_taxonomy, "207Q0000-X", "uppercase");
	expect_bad(validate_taxonomy, "207Q 0000X", "uppercase");
	expect_bad(validate_taxonomy, " 207Q0000X", "3 digits");
	expect_bad(validate_taxonomy, "207Q00000Y", "X");
	expect_bad(validate_taxonomy, "207Q000000", "X");
	expect_bad(validate_taxonomy, "207\xc3\x9c" "0000X", "uppercase");
}

/* --- phone --- */

static void test_phone(void **state)
{
	char buf[64];

	(void)state;
	expect_ok(validate_phone, "5551234567");
	expect_ok(validate_phone, "555-123-4567");
	expect_ok(validate_phone, "555.123.4567");
	expect_ok(validate_phone, "555 123 4567");
	expect_ok(validate_phone, "(555) 123-4567");
	expect_ok(validate_phone, "+1 (555) 123-4567");
	expect_ok(validate_phone, "+15551234567");
	expect_ok(validate_phone, "+44 20 7946 0958");
	expect_ok(validate_phone, "+49 (0)30 1234 5678");
	expect_ok(validate_phone, "123456789012345");		/* 15 digits */
	expect_ok(validate_phone, "+123456789012345");
	/* 32 bytes exactly. */
	expect_ok(validate_phone, "+1 - (555) - 123 - 4567 - 8  - 9");
	assert_int_equal(strlen("+1 - (555) - 123 - 4567 - 8  - 9"), 32);

	expect_bad(validate_phone, "+1 - (555) - 123 - 4567 - 8   - 9", "32");
	expect_bad(validate_phone, fill(buf, '1', 40), "32");
	expect_bad(validate_phone, "", "10 to 15");
	expect_bad(validate_phone, "555123456", "10 to 15");		/* 9 digits */
	expect_bad(validate_phone, "+1 555 1234", "10 to 15");
	expect_bad(validate_phone, "1234567890123456", "10 to 15");	/* 16 digits */
	expect_bad(validate_phone, "++15551234567", "'+'");
	expect_bad(validate_phone, "1+5551234567", "'+'");
	expect_bad(validate_phone, "5551234567+", "end");
	expect_bad(validate_phone, "555/123/4567", "only digits");
	expect_bad(validate_phone, "555-123-4567 x12", "only digits");
	expect_bad(validate_phone, "555_123_4567", "only digits");
	expect_bad(validate_phone, "555\t123\t4567", "only digits");
	expect_bad(validate_phone, "555-CALL-NOW1", "only digits");
	expect_bad(validate_phone, "555\xd9\xa1" "234567", "only digits");
	expect_bad(validate_phone, " 5551234567", "begin");
	expect_bad(validate_phone, "5551234567 ", "end");
	expect_bad(validate_phone, "-5551234567", "begin");
	expect_bad(validate_phone, "5551234567.", "end");
	expect_bad(validate_phone, "(555 123-4567", "parentheses");
	expect_bad(validate_phone, "555) 123-4567", "parentheses");
	expect_bad(validate_phone, ") 5551234567", "begin");
	expect_bad(validate_phone, "1 555) 123-4567", "parentheses");
	expect_bad(validate_phone, "((555)) 123-4567", "parentheses");
	expect_bad(validate_phone, "() 5551234567", "parentheses");
	expect_bad(validate_phone, "5551234567 (", "end");
}

/* --- numbers and enumerations --- */

static void test_capacity(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_int_equal(validate_capacity(1, &why), 0);
	assert_int_equal(validate_capacity(2, &why), 0);
	assert_int_equal(validate_capacity(100, &why), 0);
	assert_null(why);
	assert_int_equal(validate_capacity(0, &why), -EINVAL);
	assert_non_null(strstr(why, "1 and 100"));
	why = NULL;
	assert_int_equal(validate_capacity(101, &why), -EINVAL);
	assert_non_null(why);
	why = NULL;
	assert_int_equal(validate_capacity(-1, &why), -EINVAL);
	assert_non_null(why);
	why = NULL;
	assert_int_equal(validate_capacity(INT64_MIN, &why), -EINVAL);
	assert_non_null(why);
	why = NULL;
	assert_int_equal(validate_capacity(INT64_MAX, &why), -EINVAL);
	assert_non_null(why);
	why = NULL;
	/* Would be 1 if truncated to 32 bits. */
	assert_int_equal(validate_capacity(0x100000001LL, &why), -EINVAL);
	assert_non_null(why);
}

static void test_step(void **state)
{
	static const long long good[] = { 5, 10, 15, 20, 30, 45, 60 };
	const char *why = NULL;
	size_t accepted = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(validate_step(good[i], &why), 0);
		assert_null(why);
	}
	for (long long v = -70; v <= 200; v++)
		if (validate_step(v, NULL) == 0)
			accepted++;
	assert_int_equal(accepted, 7);
	assert_int_equal(validate_step(0, &why), -EINVAL);
	assert_non_null(strstr(why, "45"));
	why = NULL;
	assert_int_equal(validate_step(25, &why), -EINVAL);
	assert_non_null(why);
	why = NULL;
	assert_int_equal(validate_step(-5, &why), -EINVAL);
	assert_non_null(why);
	assert_int_equal(validate_step(0x100000005LL, NULL), -EINVAL);
	assert_int_equal(validate_step(INT64_MIN, NULL), -EINVAL);
}

static void test_pin(void **state)
{
	(void)state;
	expect_ok(validate_pin, "0000");
	expect_ok(validate_pin, "1234");
	expect_ok(validate_pin, "9999");
	expect_ok(validate_pin, "0917");

	expect_bad(validate_pin, "", "4 digits");
	expect_bad(validate_pin, "123", "4 digits");
	expect_bad(validate_pin, "12345", "4 digits");
	expect_bad(validate_pin, "12a4", "4 digits");
	expect_bad(validate_pin, "a234", "4 digits");
	expect_bad(validate_pin, "123a", "4 digits");
	expect_bad(validate_pin, "12 4", "4 digits");
	expect_bad(validate_pin, " 1234", "4 digits");
	expect_bad(validate_pin, "-123", "4 digits");
	expect_bad(validate_pin, "/000", "4 digits");	/* just below '0' */
	expect_bad(validate_pin, "000:", "4 digits");	/* just above '9' */
	expect_bad(validate_pin, "\xd9\xa1\xd9\xa2", "4 digits");
}

static void test_pin_reason_hides_value(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_int_equal(validate_pin("12x4", &why), -EINVAL);
	assert_non_null(why);
	assert_null(strstr(why, "12x4"));
}

static void test_employment(void **state)
{
	(void)state;
	expect_ok(validate_employment, "employee");
	expect_ok(validate_employment, "external");
	expect_bad(validate_employment, "", "employee or external");
	expect_bad(validate_employment, "Employee", "employee or external");
	expect_bad(validate_employment, "employee ", "employee or external");
	expect_bad(validate_employment, "contractor", "employee or external");
	expect_bad(validate_employment, "employ", "employee or external");
	expect_bad(validate_employment, "employees", "employee or external");
}

static void test_status(void **state)
{
	(void)state;
	expect_ok(validate_status, "pending");
	expect_ok(validate_status, "active");
	expect_ok(validate_status, "inactive");
	expect_bad(validate_status, "", "pending, active or inactive");
	expect_bad(validate_status, "Active", "pending, active or inactive");
	expect_bad(validate_status, "locked", "pending, active or inactive");
	expect_bad(validate_status, "activ", "pending, active or inactive");
	expect_bad(validate_status, "inactive\n", "pending, active or inactive");
}

static void test_permission(void **state)
{
	static const char *const expected[] = {
		"calendar.view", "calendar.create", "calendar.delete",
		"billing.payments", "billing.refunds", "billing.reports",
		"clinical.charts", "clinical.notes", "clinical.medications",
		"clinical.sign", "clinical.prescribe",
		"admin.accounts", "admin.settings", "reports.business",
	};
	size_t n = 0;

	(void)state;
	while (staff_permissions[n])
		n++;
	assert_int_equal(n, sizeof(expected) / sizeof(expected[0]));
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(staff_permissions[i], expected[i]);
		expect_ok(validate_permission, expected[i]);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(staff_permissions[i], staff_permissions[j]);
	}
	expect_bad(validate_permission, "", "permission");
	expect_bad(validate_permission, "calendar", "permission");
	expect_bad(validate_permission, "calendar.", "permission");
	expect_bad(validate_permission, ".view", "permission");
	expect_bad(validate_permission, "Calendar.View", "permission");
	expect_bad(validate_permission, "calendar.view ", "permission");
	expect_bad(validate_permission, "calendar.edit", "permission");
	expect_bad(validate_permission, "admin.*", "permission");
	expect_bad(validate_permission, "clinical.prescribe.all", "permission");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_input),
		cmocka_unit_test(test_null_why),
		cmocka_unit_test(test_why_untouched_on_success),
		cmocka_unit_test(test_username),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_utf8_everywhere),
		cmocka_unit_test(test_person_name),
		cmocka_unit_test(test_label),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_npi),
		cmocka_unit_test(test_dea),
		cmocka_unit_test(test_taxonomy),
		cmocka_unit_test(test_phone),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_step),
		cmocka_unit_test(test_pin),
		cmocka_unit_test(test_pin_reason_hides_value),
		cmocka_unit_test(test_employment),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_permission),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
