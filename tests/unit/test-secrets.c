/* Unit tests for staffd/secrets.c: key file, code word box, generators, token hashes. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

/*
 * Compiled in here rather than linked from libstaffd.a so the tests can see
 * the static word list; nothing else from the archive is referenced, so the
 * archive's copy is never pulled in.
 */
#include "../../staffd/secrets.c"

#define SENTINEL ((void *)0x5a5a)

struct ctx {
	char dir[PATH_MAX];
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return -1;
	snprintf(c->dir, sizeof(c->dir), "%s/test-secrets-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(c->dir)) {
		free(c);
		return -1;
	}
	*state = c;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	int r = nftw(c->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);

	free(c);
	return r;
}

static void path_in(const struct ctx *c, const char *name, char out[PATH_MAX])
{
	int n = snprintf(out, PATH_MAX, "%s/%s", c->dir, name);

	assert_true(n > 0 && n < PATH_MAX);
}

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

static size_t read_file(const char *path, unsigned char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, size);
	assert_true(n >= 0);
	close(fd);
	return (size_t)n;
}

static struct keys *load_ok(const char *path)
{
	struct keys *k = NULL;

	assert_int_equal(keys_load(path, &k), 0);
	assert_non_null(k);
	return k;
}

/* A valid code with every character of the alphabet once. */
static const char ref_code[] = "0123-4567-89AB-CDEF-GHJK-MNPQ-RSTV";

/* Key file */

static void test_keys_create(void **state)
{
	struct ctx *c = *state;
	char path[PATH_MAX];
	unsigned char before[64], after[64];
	struct stat st;
	struct keys *k;

	path_in(c, "master.key", path);
	k = load_ok(path);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 32);
	keys_free(k);

	/* Loading again reads the file and never rewrites it. */
	assert_int_equal(read_file(path, before, sizeof(before)), 32);
	k = load_ok(path);
	keys_free(k);
	assert_int_equal(read_file(path, after, sizeof(after)), 32);
	assert_memory_equal(before, after, 32);

	keys_free(NULL);
}

static void test_keys_reload_same_subkeys(void **state)
{
	struct ctx *c = *state;
	char path[PATH_MAX], *sealed = NULL, *opened = NULL;
	unsigned char h1[TOKEN_HASH_BYTES], h2[TOKEN_HASH_BYTES];
	struct keys *k;

	path_in(c, "master.key", path);
	k = load_ok(path);
	assert_int_equal(codeword_seal(k, "amber-lantern-walnut-42", &sealed), 0);
	assert_int_equal(token_hash(k, ref_code, h1), 0);
	keys_free(k);

	k = load_ok(path);
	assert_int_equal(codeword_open(k, sealed, &opened), 0);
	assert_string_equal(opened, "amber-lantern-walnut-42");
	assert_int_equal(token_hash(k, ref_code, h2), 0);
	assert_memory_equal(h1, h2, sizeof(h1));
	keys_free(k);
	secret_free(opened);
	free(sealed);
}

static void test_keys_given_file(void **state)
{
	struct ctx *c = *state;
	char p1[PATH_MAX], p2[PATH_MAX], p3[PATH_MAX];
	unsigned char master[32], other[32];
	unsigned char h1[TOKEN_HASH_BYTES], h2[TOKEN_HASH_BYTES], h3[TOKEN_HASH_BYTES];
	struct keys *k1, *k2, *k3;

	for (size_t i = 0; i < sizeof(master); i++) {
		master[i] = (unsigned char)i;
		other[i] = (unsigned char)(i + 1);
	}
	path_in(c, "a.key", p1);
	path_in(c, "b.key", p2);
	path_in(c, "c.key", p3);
	write_file(p1, master, sizeof(master), 0600);
	write_file(p2, master, sizeof(master), 0400);
	write_file(p3, other, sizeof(other), 0600);

	k1 = load_ok(p1);
	k2 = load_ok(p2);
	k3 = load_ok(p3);
	assert_int_equal(token_hash(k1, ref_code, h1), 0);
	assert_int_equal(token_hash(k2, ref_code, h2), 0);
	assert_int_equal(token_hash(k3, ref_code, h3), 0);
	assert_memory_equal(h1, h2, sizeof(h1));
	assert_memory_not_equal(h1, h3, sizeof(h1));
	keys_free(k1);
	keys_free(k2);
	keys_free(k3);
}

/* keys_read never makes a key: a missing file is -ENOENT and stays missing. */
static void test_keys_read_only(void **state)
{
	struct ctx *c = *state;
	char path[PATH_MAX];
	struct keys *k = SENTINEL;

	path_in(c, "master.key", path);
	assert_int_equal(keys_read(path, &k), -ENOENT);
	assert_ptr_equal(k, SENTINEL);
	assert_int_equal(access(path, F_OK), -1);
	k = load_ok(path);
	keys_free(k);
	k = NULL;
	assert_int_equal(keys_read(path, &k), 0);
	assert_non_null(k);
	keys_free(k);
}

/* The fingerprint tells keys apart, is the same for the same key, and is no part of it. */
static void test_keys_fingerprint(void **state)
{
	struct ctx *c = *state;
	char p1[PATH_MAX], p2[PATH_MAX], p3[PATH_MAX], hex[65];
	unsigned char master[32], other[32];
	struct keys *k1, *k2, *k3;
	const char *f1;

	for (size_t i = 0; i < sizeof(master); i++) {
		master[i] = (unsigned char)i;
		other[i] = (unsigned char)(i + 1);
	}
	path_in(c, "a.key", p1);
	path_in(c, "b.key", p2);
	path_in(c, "c.key", p3);
	write_file(p1, master, sizeof(master), 0600);
	write_file(p2, master, sizeof(master), 0600);
	write_file(p3, other, sizeof(other), 0600);
	k1 = load_ok(p1);
	k2 = load_ok(p2);
	k3 = load_ok(p3);
	f1 = keys_fingerprint(k1);
	assert_int_equal(strlen(f1), KEY_FINGERPRINT_SIZE - 1);
	assert_int_equal(strspn(f1, "0123456789abcdef"), KEY_FINGERPRINT_SIZE - 1);
	assert_string_equal(f1, keys_fingerprint(k2));
	assert_string_not_equal(f1, keys_fingerprint(k3));
	sodium_bin2hex(hex, sizeof(hex), master, sizeof(master));
	assert_string_not_equal(f1, hex);
	keys_free(k1);
	keys_free(k2);
	keys_free(k3);
}

static void test_keys_refuse_loose_mode(void **state)
{
	static const mode_t modes[] = { 0644, 0640, 0604, 0602, 0620, 0610, 0601, 0666 };
	struct ctx *c = *state;
	char path[PATH_MAX];
	unsigned char master[32] = { 1 };
	struct keys *k;

	path_in(c, "master.key", path);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		write_file(path, master, sizeof(master), modes[i]);
		k = SENTINEL;
		assert_int_equal(keys_load(path, &k), -EPERM);
		assert_ptr_equal(k, SENTINEL);
	}
}

static void test_keys_refuse_wrong_size(void **state)
{
	static const size_t sizes[] = { 0, 1, 31, 33, 64 };
	struct ctx *c = *state;
	char path[PATH_MAX];
	unsigned char buf[64] = { 0 }, check[80];
	struct keys *k;

	path_in(c, "master.key", path);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		write_file(path, buf, sizes[i], 0600);
		k = SENTINEL;
		assert_int_equal(keys_load(path, &k), -EINVAL);
		assert_ptr_equal(k, SENTINEL);
		/* A refused file is left as it was, never replaced. */
		assert_int_equal(read_file(path, check, sizeof(check)), sizes[i]);
	}
}

static void test_keys_refuse_other_files(void **state)
{
	struct ctx *c = *state;
	char target[PATH_MAX], link[PATH_MAX], sub[PATH_MAX], missing[PATH_MAX];
	unsigned char master[32] = { 7 };
	struct keys *k = SENTINEL;

	path_in(c, "target.key", target);
	path_in(c, "link.key", link);
	path_in(c, "subdir", sub);
	path_in(c, "nonexistent/master.key", missing);
	write_file(target, master, sizeof(master), 0600);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(mkdir(sub, 0700), 0);

	assert_int_equal(keys_load(link, &k), -ELOOP);
	assert_int_equal(keys_load(sub, &k), -EINVAL);
	assert_int_equal(keys_load(missing, &k), -ENOENT);
	assert_int_equal(keys_load(NULL, &k), -EINVAL);
	assert_ptr_equal(k, SENTINEL);
	assert_int_equal(keys_load(target, NULL), -EINVAL);

	/* A dangling symlink is not followed to create a file elsewhere. */
	assert_int_equal(unlink(target), 0);
	assert_int_equal(keys_load(link, &k), -ELOOP);
	assert_int_equal(access(target, F_OK), -1);
	assert_ptr_equal(k, SENTINEL);
}

/* Secret strings */

static void test_secret_strdup(void **state)
{
	char *s;

	(void)state;
	s = secret_strdup("amber-lantern-walnut-42");
	assert_non_null(s);
	assert_string_equal(s, "amber-lantern-walnut-42");
	secret_free(s);
	s = secret_strdup("");
	assert_non_null(s);
	assert_string_equal(s, "");
	secret_free(s);
	assert_null(secret_strdup(NULL));
	secret_free(NULL);
}

/* Code word box */

static bool is_base64(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n % 4 != 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
			  (ch >= '0' && ch <= '9') || ch == '+' || ch == '/' ||
			  (ch == '=' && i >= n - 2);

		if (!ok)
			return false;
	}
	return true;
}

static void test_seal_open_roundtrip(void **state)
{
	struct ctx *c = *state;
	char path[PATH_MAX], long_ok[STAFF_SECRET_MAX + 1], too_long[STAFF_SECRET_MAX + 2];
	const char *texts[] = { "amber-lantern-walnut-42", "", "  Spaces kept  ",
				"caf\xc3\xa9-ol\xc3\xa9", long_ok };
	struct keys *k;
	char *sealed, *opened;

	memset(long_ok, 'x', STAFF_SECRET_MAX);
	long_ok[STAFF_SECRET_MAX] = '\0';
	memset(too_long, 'x', STAFF_SECRET_MAX + 1);
	too_long[STAFF_SECRET_MAX + 1] = '\0';

	path_in(c, "master.key", path);
	k = load_ok(path);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		sealed = NULL;
		opened = NULL;
		assert_int_equal(codeword_seal(k, texts[i], &sealed), 0);
		assert_true(is_base64(sealed));
		/* The code word never appears in what is stored. */
		if (strlen(texts[i]) >= 4)
			assert_null(strstr(sealed, texts[i]));
		assert_int_equal(codeword_open(k, sealed, &opened), 0);
		assert_string_equal(opened, texts[i]);
		secret_free(opened);
		free(sealed);
	}

	sealed = SENTINEL;
	assert_int_equal(codeword_seal(k, too_long, &sealed), -EINVAL);
	assert_int_equal(codeword_seal(k, NULL, &sealed), -EINVAL);
	assert_int_equal(codeword_seal(NULL, "amber-lantern", &sealed), -EINVAL);
	assert_ptr_equal(sealed, SENTINEL);
	keys_free(k);
}

static void test_seal_random_nonce(void **state)
{
	struct ctx *c = *state;
	char path[PATH_MAX], *s1, *s2, *o1, *o2;
	struct keys *k;

	path_in(c, "master.key", path);
	k = load_ok(path);
	assert_int_equal(codeword_seal(k, "amber-lantern-walnut-42", &s1), 0);
	assert_int_equal(codeword_seal(k, "amber-lantern-walnut-42", &s2), 0);
	assert_string_not_equal(s1, s2);
	assert_int_equal(strlen(s1), strlen(s2));
	assert_int_equal(codeword_open(k, s1, &o1), 0);
	assert_int_equal(codeword_open(k, s2, &o2), 0);
	assert_string_equal(o1, o2);
	secret_free(o1);
	secret_free(o2);
	free(s1);
	free(s2);
	keys_free(k);
}

static void test_open_tampered(void **state)
{
	struct ctx *c = *state;
	char path[PATH_MAX], other_path[PATH_MAX], *sealed, *copy, *opened;
	struct keys *k, *other;
	size_t len;

	path_in(c, "master.key", path);
	path_in(c, "other.key", other_path);
	k = load_ok(path);
	other = load_ok(other_path);
	assert_int_equal(codeword_seal(k, "amber-lantern-walnut-42", &sealed), 0);
	len = strlen(sealed);
	copy = strdup(sealed);
	assert_non_null(copy);

	/* Every single-character change, in nonce, MAC or box, is caught. */
	for (size_t i = 0; i < len && sealed[i] != '='; i++) {
		memcpy(copy, sealed, len + 1);
		copy[i] = sealed[i] == 'A' ? 'B' : 'A';
		opened = SENTINEL;
		assert_int_equal(codeword_open(k, copy, &opened), -EBADMSG);
		assert_ptr_equal(opened, SENTINEL);
	}

	opened = SENTINEL;
	/* Another key file's box. */
	assert_int_equal(codeword_open(other, sealed, &opened), -EBADMSG);
	/* Truncated, extended, not base64 at all. */
	memcpy(copy, sealed, len + 1);
	copy[len - 4] = '\0';
	assert_int_equal(codeword_open(k, copy, &opened), -EBADMSG);
	assert_int_equal(codeword_open(k, "", &opened), -EBADMSG);
	assert_int_equal(codeword_open(k, "AAAA", &opened), -EBADMSG);
	assert_int_equal(codeword_open(k, "not base64 at all!", &opened), -EBADMSG);
	assert_int_equal(codeword_open(k, "amber-lantern-walnut-42", &opened), -EBADMSG);
	free(copy);
	copy = malloc(len + 2);
	assert_non_null(copy);
	memcpy(copy, sealed, len);
	copy[len] = '\n';
	copy[len + 1] = '\0';
	assert_int_equal(codeword_open(k, copy, &opened), -EBADMSG);
	free(copy);

	/* A box with nothing inside it but the nonce and a zero MAC. */
	copy = malloc(SEALED_MAX + 2);
	assert_non_null(copy);
	memset(copy, 'A', 56);
	copy[56] = '\0';
	assert_int_equal(codeword_open(k, copy, &opened), -EBADMSG);
	/* Longer than any sealed code word: refused before decoding. */
	memset(copy, 'A', SEALED_MAX + 1);
	copy[SEALED_MAX + 1] = '\0';
	assert_int_equal(codeword_open(k, copy, &opened), -EBADMSG);
	free(copy);

	assert_int_equal(codeword_open(k, NULL, &opened), -EINVAL);
	assert_int_equal(codeword_open(NULL, sealed, &opened), -EINVAL);
	assert_ptr_equal(opened, SENTINEL);

	free(sealed);
	keys_free(k);
	keys_free(other);
}

/* Code word comparison */

static void test_codeword_matches(void **state)
{
	static const struct {
		const char *given, *expected;
		bool match;
	} cases[] = {
		{ "amber-lantern-walnut-42", "amber-lantern-walnut-42", true },
		{ "Amber-Lantern-Walnut-42", "amber-lantern-walnut-42", true },
		{ "AMBER-LANTERN-WALNUT-42", "amber-Lantern-walnut-42", true },
		{ "  amber-lantern-walnut-42\n", "amber-lantern-walnut-42", true },
		{ "\tamber-lantern-walnut-42 \r\n", " Amber-Lantern-Walnut-42\t", true },
		{ "amber-lantern-walnut-42", "amber-lantern-walnut-43", false },
		{ "amber-lantern-walnut-4", "amber-lantern-walnut-42", false },
		{ "amber-lantern-walnut-42", "amber-lantern-walnut-4", false },
		{ "amber-lantern-walnut-42x", "amber-lantern-walnut-42", false },
		{ "amber lantern walnut 42", "amber-lantern-walnut-42", false },
		{ "amber  lantern", "amber lantern", false },
		{ "amberlantern", "amber lantern", false },
		{ "a", "amber-lantern-walnut-42", false },
		{ "", "amber-lantern-walnut-42", false },
		{ "amber-lantern-walnut-42", "", false },
		{ "", "", false },
		{ "   ", " \t\n", false },
		/* Only ASCII letters are folded. */
		{ "caf\xc3\xa9", "CAF\xc3\xa9", true },
		{ "caf\xc3\xa9", "caf\xc3\x89", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool m = codeword_matches(cases[i].given, cases[i].expected);

		if (m != cases[i].match)
			fail_msg("case %zu: \"%s\" vs \"%s\"", i, cases[i].given, cases[i].expected);
		/* Symmetric. */
		assert_true(codeword_matches(cases[i].expected, cases[i].given) == cases[i].match);
	}
	assert_false(codeword_matches(NULL, "amber-lantern"));
	assert_false(codeword_matches("amber-lantern", NULL));
	assert_false(codeword_matches(NULL, NULL));
}

static void test_codeword_matches_long(void **state)
{
	char max_lower[STAFF_SECRET_MAX + 1], max_upper[STAFF_SECRET_MAX + 1];
	char over[STAFF_SECRET_MAX + 2], over2[STAFF_SECRET_MAX + 2];

	(void)state;
	memset(max_lower, 'a', STAFF_SECRET_MAX);
	max_lower[STAFF_SECRET_MAX] = '\0';
	memset(max_upper, 'A', STAFF_SECRET_MAX);
	max_upper[STAFF_SECRET_MAX] = '\0';
	memset(over, 'a', STAFF_SECRET_MAX + 1);
	over[STAFF_SECRET_MAX + 1] = '\0';
	memcpy(over2, over, sizeof(over));

	assert_true(codeword_matches(max_lower, max_upper));
	assert_false(codeword_matches(over, over2));
	assert_false(codeword_matches(over, max_lower));
	assert_false(codeword_matches(max_lower, over));
	/* The cap applies before trimming: padding cannot smuggle in length. */
	over2[0] = ' ';
	assert_false(codeword_matches(over2, max_lower));
}

/* Code word generation and checks */

static bool in_word_list(const char *w, size_t len)
{
	for (size_t i = 0; i < CODEWORD_WORD_COUNT; i++)
		if (strlen(codeword_words[i]) == len && memcmp(codeword_words[i], w, len) == 0)
			return true;
	return false;
}

static void test_word_list(void **state)
{
	(void)state;
	assert_true(CODEWORD_WORD_COUNT >= 256);
	for (size_t i = 0; i < CODEWORD_WORD_COUNT; i++) {
		const char *w = codeword_words[i];
		size_t len = strlen(w);

		assert_in_range(len, 4, 7);
		for (size_t j = 0; j < len; j++)
			assert_in_range(w[j], 'a', 'z');
		for (size_t j = i + 1; j < CODEWORD_WORD_COUNT; j++)
			if (strcmp(w, codeword_words[j]) == 0)
				fail_msg("\"%s\" listed twice", w);
	}
}

static void check_generated_shape(const char *s)
{
	const char *p = s, *dash;
	const char *words[CODEWORD_WORDS];
	size_t lens[CODEWORD_WORDS];
	const char *why = NULL;

	assert_true(strlen(s) < CODEWORD_GENERATED_SIZE);
	for (size_t i = 0; i < CODEWORD_WORDS; i++) {
		dash = strchr(p, '-');
		assert_non_null(dash);
		words[i] = p;
		lens[i] = (size_t)(dash - p);
		if (!in_word_list(p, lens[i]))
			fail_msg("\"%s\": word %zu not from the list", s, i);
		for (size_t j = 0; j < i; j++)
			assert_false(lens[j] == lens[i] && memcmp(words[j], words[i], lens[i]) == 0);
		p = dash + 1;
	}
	assert_int_equal(strlen(p), 2);
	assert_in_range(p[0], '0', '9');
	assert_in_range(p[1], '0', '9');
	assert_int_equal(codeword_check(s, &why), 0);
	assert_null(why);
}

static void test_codeword_generate(void **state)
{
	char *first = NULL, *s;
	bool all_equal = true;
	unsigned seen_digits[100] = { 0 };
	unsigned digit_values = 0;

	(void)state;
	for (int i = 0; i < 50; i++) {
		assert_int_equal(codeword_generate(&s), 0);
		check_generated_shape(s);
		if (!first)
			first = secret_strdup(s);
		else if (strcmp(first, s) != 0)
			all_equal = false;
		secret_free(s);
	}
	assert_false(all_equal);
	secret_free(first);

	/* The two digits vary too (1000 draws of 100 values). */
	for (int i = 0; i < 1000; i++) {
		size_t len;

		assert_int_equal(codeword_generate(&s), 0);
		check_generated_shape(s);
		len = strlen(s);
		seen_digits[(s[len - 2] - '0') * 10 + (s[len - 1] - '0')]++;
		secret_free(s);
	}
	for (int i = 0; i < 100; i++)
		digit_values += seen_digits[i] > 0;
	assert_true(digit_values > 50);

	assert_int_equal(codeword_generate(NULL), -EINVAL);
}

static void test_codeword_check(void **state)
{
	static const char *good[] = {
		"amber-lantern-walnut-42", "abcdef", "  abcdef  ", "\tabcdef\n",
		"Six Words With Spaces Are Fine", "caf\xc3\xa9-ol\xc3\xa9", "!@#$%^&*()",
	};
	static const char *bad[] = {
		"", "     ", "abcde", "  abcde  ", "\n\nabcde\t\t", "abc\tdef", "abc\ndef",
		"abcdef\x7f", "abc\001def", "\x1b[31mred",
	};
	char at_max[CODEWORD_MAX + 3], over_max[CODEWORD_MAX + 2];
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		why = SENTINEL;
		if (codeword_check(good[i], &why) != 0)
			fail_msg("\"%s\" refused", good[i]);
		assert_ptr_equal(why, SENTINEL);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (codeword_check(bad[i], &why) != -EINVAL)
			fail_msg("bad case %zu accepted", i);
		assert_non_null(why);
		assert_true(strlen(why) > 0);
	}

	/* 128 bytes plus surrounding spaces is fine; 129 is not. */
	at_max[0] = ' ';
	memset(at_max + 1, 'x', CODEWORD_MAX);
	at_max[CODEWORD_MAX + 1] = ' ';
	at_max[CODEWORD_MAX + 2] = '\0';
	assert_int_equal(codeword_check(at_max, &why), 0);
	memset(over_max, 'x', CODEWORD_MAX + 1);
	over_max[CODEWORD_MAX + 1] = '\0';
	why = NULL;
	assert_int_equal(codeword_check(over_max, &why), -EINVAL);
	assert_non_null(why);

	why = NULL;
	assert_int_equal(codeword_check(NULL, &why), -EINVAL);
	assert_non_null(why);
	assert_int_equal(codeword_check("abc", NULL), -EINVAL);
	assert_int_equal(codeword_check("abcdefgh", NULL), 0);
}

/* Activation and reset codes */

static void check_token_shape(const char *t)
{
	assert_int_equal(strlen(t), 34);
	for (size_t i = 0; i < 34; i++) {
		if (i % 5 == 4)
			assert_int_equal(t[i], '-');
		else if (!t[i] || !memchr(token_alphabet, t[i], sizeof(token_alphabet)))
			fail_msg("\"%s\": bad character at %zu", t, i);
	}
}

static void test_token_generate(void **state)
{
	enum { N = 200 };
	char *tokens[N];
	unsigned seen[32] = { 0 };
	struct ctx *c = *state;
	char path[PATH_MAX];
	unsigned char h[TOKEN_HASH_BYTES];
	struct keys *k;

	path_in(c, "master.key", path);
	k = load_ok(path);
	for (int i = 0; i < N; i++) {
		assert_int_equal(token_generate(&tokens[i]), 0);
		check_token_shape(tokens[i]);
		assert_int_equal(token_hash(k, tokens[i], h), 0);
		for (const char *p = tokens[i]; *p; p++)
			if (*p != '-')
				seen[(const char *)memchr(token_alphabet, *p, 32) - token_alphabet]++;
		for (int j = 0; j < i; j++)
			assert_string_not_equal(tokens[i], tokens[j]);
	}
	/* 5600 draws over 32 symbols: every symbol shows up. */
	for (int i = 0; i < 32; i++)
		assert_true(seen[i] > 0);
	for (int i = 0; i < N; i++)
		secret_free(tokens[i]);
	keys_free(k);
	assert_int_equal(token_generate(NULL), -EINVAL);
}

static void test_token_hash_variants(void **state)
{
	static const char *same[] = {
		"0123-4567-89AB-CDEF-GHJK-MNPQ-RSTV",
		"0123-4567-89ab-cdef-ghjk-mnpq-rstv",
		"0123456789ABCDEFGHJKMNPQRSTV",
		"0123 4567 89AB CDEF GHJK MNPQ RSTV",
		"  0123-4567-89ab-cdef-ghjk-mnpq-rstv  ",
		"O123-4567-89AB-CDEF-GHJK-MNPQ-RSTV",
		"o123-4567-89AB-CDEF-GHJK-MNPQ-RSTV",
		"0I23-4567-89AB-CDEF-GHJK-MNPQ-RSTV",
		"0i23-4567-89AB-CDEF-GHJK-MNPQ-RSTV",
		"0L23-4567-89AB-CDEF-GHJK-MNPQ-RSTV",
		"0l23-4567-89AB-CDEF-GHJK-MNPQ-RSTV",
		"0-1-2-3-4567-89AB-CDEF-GHJK-MNPQRSTV--",
	};
	static const char *different[] = {
		"1123-4567-89AB-CDEF-GHJK-MNPQ-RSTV",
		"0123-4567-89AB-CDEF-GHJK-MNPQ-RSTW",
		"3210-4567-89AB-CDEF-GHJK-MNPQ-RSTV",
		"0123-4567-89AB-CDEF-GHJK-MNPQ-RSVT",
	};
	struct ctx *c = *state;
	char path[PATH_MAX];
	unsigned char ref[TOKEN_HASH_BYTES], h[TOKEN_HASH_BYTES];
	struct keys *k;

	path_in(c, "master.key", path);
	k = load_ok(path);
	assert_int_equal(token_hash(k, ref_code, ref), 0);
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		memset(h, 0, sizeof(h));
		assert_int_equal(token_hash(k, same[i], h), 0);
		if (memcmp(h, ref, sizeof(h)) != 0)
			fail_msg("\"%s\" hashes differently", same[i]);
	}
	for (size_t i = 0; i < sizeof(different) / sizeof(different[0]); i++) {
		assert_int_equal(token_hash(k, different[i], h), 0);
		assert_memory_not_equal(h, ref, sizeof(h));
	}
	keys_free(k);
}

static void test_token_hash_keys_differ(void **state)
{
	struct ctx *c = *state;
	char p1[PATH_MAX], p2[PATH_MAX];
	unsigned char h1[TOKEN_HASH_BYTES], h2[TOKEN_HASH_BYTES];
	unsigned char plain[crypto_generichash_BYTES];
	struct keys *k1, *k2;

	path_in(c, "one.key", p1);
	path_in(c, "two.key", p2);
	k1 = load_ok(p1);
	k2 = load_ok(p2);
	assert_int_equal(token_hash(k1, ref_code, h1), 0);
	assert_int_equal(token_hash(k2, ref_code, h2), 0);
	assert_memory_not_equal(h1, h2, sizeof(h1));
	/* Keyed: not the plain BLAKE2b of the normalised code. */
	crypto_generichash(plain, sizeof(plain), (const unsigned char *)"0123456789ABCDEFGHJKMNPQRSTV",
			   28, NULL, 0);
	assert_memory_not_equal(h1, plain, sizeof(h1));
	keys_free(k1);
	keys_free(k2);
}

static void test_token_hash_invalid(void **state)
{
	static const char *bad[] = {
		"",
		"----",
		"0123-4567-89AB-CDEF-GHJK-MNPQ-RST",		/* 27 */
		"0123-4567-89AB-CDEF-GHJK-MNPQ-RSTVW",		/* 29 */
		"0123-4567-89AB-CDEF-GHJK-MNPQ-RSTV-0123",
		"0123-4567-89AB-CDEF-GHJK-MNPQ-RSTU",		/* U is not Crockford */
		"0123-4567-89AB-CDEF-GHJK-MNPQ-RST*",
		"0123_4567_89AB_CDEF_GHJK_MNPQ_RSTV",
		"0123-4567-89AB-CDEF-GHJK-MNPQ-RST\t",
		"0123-4567-89AB-CDEF-GHJK-MNPQ-RS\xc3\x9c",
		"0123-4567-89AB-CDEF-GHJK-MNPQ-RST\n",
	};
	struct ctx *c = *state;
	char path[PATH_MAX];
	unsigned char h[TOKEN_HASH_BYTES], zero[TOKEN_HASH_BYTES] = { 0 };
	struct keys *k;

	path_in(c, "master.key", path);
	k = load_ok(path);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(h, 0, sizeof(h));
		if (token_hash(k, bad[i], h) != -EINVAL)
			fail_msg("bad case %zu accepted", i);
		assert_memory_equal(h, zero, sizeof(h));
	}
	assert_int_equal(token_hash(k, NULL, h), -EINVAL);
	assert_int_equal(token_hash(NULL, ref_code, h), -EINVAL);
	assert_int_equal(token_hash(k, ref_code, NULL), -EINVAL);
	assert_memory_equal(h, zero, sizeof(h));
	keys_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keys_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_reload_same_subkeys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_given_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_fingerprint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_refuse_loose_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_refuse_wrong_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_refuse_other_files, setup, teardown),
		cmocka_unit_test(test_secret_strdup),
		cmocka_unit_test_setup_teardown(test_seal_open_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seal_random_nonce, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_tampered, setup, teardown),
		cmocka_unit_test(test_codeword_matches),
		cmocka_unit_test(test_codeword_matches_long),
		cmocka_unit_test(test_word_list),
		cmocka_unit_test(test_codeword_generate),
		cmocka_unit_test(test_codeword_check),
		cmocka_unit_test_setup_teardown(test_token_generate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_hash_variants, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_hash_keys_differ, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_hash_invalid, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
