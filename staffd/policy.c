/*
 * The password policy of DESIGN 6.
 *
 * Character classes, sequences, repeats and personal information are
 * checked here; keyboard walks, common passwords and the strength score come
 * from zxcvbn, whose keyboard layouts and word lists are the only ones used.
 *
 * Classes are ASCII: a non-ASCII letter is neither upper- nor lowercase but
 * counts as a special character, as does every printable ASCII character
 * that is not a letter or digit (the space included). Sequences run over
 * ASCII letters (in any case) and digits; names are compared with ASCII case
 * folding only.
 *
 * The password is never copied except into sodium_malloc'd scratch memory
 * (the pieces of it handed to zxcvbn on their own), which sodium_free wipes.
 * zxcvbn itself reverses the password into a heap buffer that it overwrites
 * before freeing it.
 */
#include "policy.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zxcvbn.h>

#include "utf8.h"

/* log2 of the guess counts (1e3, 1e6, 1e8, 1e10) at which zxcvbn's score steps up. */
static const double score_bits[] = { 9.965784284662087, 19.931568569324174, 26.575424759098897, 33.219280948873624 };

/* Shorter keyboard runs are too common inside ordinary words to refuse. */
#define WALK_MIN 4
/*
 * zxcvbn rates a straight run of three keys (qwe, sdf, 1qa) at 9.8 bits or
 * less and one that turns (ere) at 12.2 or more.
 */
#define STRAIGHT_RUN_BITS 11.0
/* A byte on no keyboard and in no word: guessing it is dear. */
#define PROBE_PAD '\xff'
#define PROBE_SIZE 5

/* A dictionary word covering all but this many bytes is a common password. */
#define COMMON_SLACK 2
#define COMMON_WORD_MIN 3
/* Personal values shorter than this (in characters) are not looked for. */
#define PERSONAL_MIN 3

struct facts {
	size_t bytes;
	size_t chars;
	bool upper, lower, digit, special;
	bool sequence, repeat, keyboard, personal, common;
	int score;
};

static bool is_ascii_upper(uint32_t c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_ascii_lower(uint32_t c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_ascii_digit(uint32_t c)
{
	return c >= '0' && c <= '9';
}

static bool is_ascii_letter(uint32_t c)
{
	return is_ascii_upper(c) || is_ascii_lower(c);
}

static unsigned char fold(unsigned char c)
{
	return is_ascii_upper(c) ? (unsigned char)(c - 'A' + 'a') : c;
}

/*
 * One code point at s (n > 0 bytes left) and its length. A malformed
 * sequence counts as one character per byte: the daemon only sees UTF-8
 * from JSON, so this matters only for direct callers.
 */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len = utf8_decode(s, n, cp);

	if (len == 0) {
		*cp = s[0];
		return 1;
	}
	return len;
}

/* Length, classes and runs of repeated characters, in one pass over the code points. */
static void scan_characters(const char *password, unsigned repeats, struct facts *f)
{
	const unsigned char *p = (const unsigned char *)password;
	size_t n = f->bytes, i = 0;
	uint32_t cp, prev = 0;
	unsigned run = 0;

	while (i < n) {
		i += utf8_next(p + i, n - i, &cp);
		f->chars++;
		if (is_ascii_upper(cp))
			f->upper = true;
		else if (is_ascii_lower(cp))
			f->lower = true;
		else if (is_ascii_digit(cp))
			f->digit = true;
		else if ((cp >= 0x20 && cp < 0x7f) || cp >= 0x80)
			f->special = true;
		run = run > 0 && cp == prev ? run + 1 : 1;
		prev = cp;
		if (repeats > 0 && run >= repeats)
			f->repeat = true;
	}
}

/*
 * abc, 123 or cba: letters (in any case) or digits whose codes step by one
 * in one direction. No letter is one code away from a digit.
 */
static bool has_sequence(const char *password, unsigned min_run)
{
	const unsigned char *p = (const unsigned char *)password;
	int prev = -1, dir = 0;
	unsigned run = 0;

	if (min_run == 0)
		return false;
	for (; *p; p++) {
		unsigned char c = fold(*p);
		int cur, step;

		if (!is_ascii_lower(c) && !is_ascii_digit(c)) {
			prev = -1;
			run = 0;
			continue;
		}
		cur = c;
		step = cur - prev;
		if (prev >= 0 && (step == 1 || step == -1)) {
			run = step == dir ? run + 1 : 2;
			dir = step;
		} else {
			run = 1;
			dir = 0;
		}
		prev = cur;
		if (run >= min_run)
			return true;
	}
	return false;
}

/* Case-insensitive (ASCII) search that reads the password in place, so it is never copied. */
static bool contains_folded(const char *hay, size_t hay_len, const char *needle, size_t needle_len)
{
	size_t i, j;

	if (needle_len == 0 || needle_len > hay_len)
		return false;
	for (i = 0; i + needle_len <= hay_len; i++) {
		for (j = 0; j < needle_len; j++)
			if (fold((unsigned char)hay[i + j]) != fold((unsigned char)needle[j]))
				break;
		if (j == needle_len)
			return true;
	}
	return false;
}

static size_t utf8_chars_n(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, chars = 0;
	uint32_t cp;

	while (i < n) {
		i += utf8_next(p + i, n - i, &cp);
		chars++;
	}
	return chars;
}

/*
 * The personal values worth looking for (username, names, email local part),
 * NUL-terminated and NULL-ended as zxcvbn's user dictionary wants them.
 */
struct personal_words {
	size_t n;
	char *copy[4];
	const char *dict[5];
};

static int personal_add(struct personal_words *w, const char *s, size_t len)
{
	char *copy;

	if (!s || utf8_chars_n(s, len) < PERSONAL_MIN)
		return 0;
	copy = strndup(s, len);
	if (!copy)
		return -ENOMEM;
	w->copy[w->n] = copy;
	w->dict[w->n] = copy;
	w->n++;
	w->dict[w->n] = NULL;
	return 0;
}

static void personal_free(struct personal_words *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->copy[i]);
	w->n = 0;
	w->dict[0] = NULL;
}

static int personal_collect(const struct policy_person *person, struct personal_words *w)
{
	const char *at;
	int r;

	memset(w, 0, sizeof(*w));
	if (!person)
		return 0;
	if ((r = personal_add(w, person->username, person->username ? strlen(person->username) : 0)) < 0 ||
	    (r = personal_add(w, person->first_name, person->first_name ? strlen(person->first_name) : 0)) < 0 ||
	    (r = personal_add(w, person->last_name, person->last_name ? strlen(person->last_name) : 0)) < 0)
		goto out;
	if (person->email) {
		at = strrchr(person->email, '@');
		r = personal_add(w, person->email, at ? (size_t)(at - person->email) : strlen(person->email));
	}
out:
	if (r < 0)
		personal_free(w);
	return r;
}

static bool has_personal(const char *password, size_t bytes, const struct personal_words *w)
{
	for (size_t i = 0; i < w->n; i++)
		if (contains_folded(password, bytes, w->copy[i], strlen(w->copy[i])))
			return true;
	return false;
}

static ZxcTypeMatch_t match_type(const ZxcMatch_t *m)
{
	return (ZxcTypeMatch_t)((unsigned)m->Type & ~(unsigned)MULTIPLE_MATCH);
}

static bool is_word_match(const ZxcMatch_t *m)
{
	return match_type(m) == DICTIONARY_MATCH || match_type(m) == DICT_LEET_MATCH;
}

static int score_of(double bits)
{
	int s = 0;

	while (s < 4 && bits >= score_bits[s])
		s++;
	return s;
}

/*
 * Whether zxcvbn sees w[0..2] as three keys in a straight line. Alone, a
 * run such as "asd" loses to the cheaper word "as" plus a guessed "d"; behind
 * the pad byte every guessed character costs more, so the run wins when it
 * is one. Letters are folded because zxcvbn unshifts them anyway and would
 * charge bits for the shifts.
 */
static bool straight_run(char *probe, const char *w)
{
	ZxcMatch_t *info = NULL, *m;
	bool found = false;

	probe[0] = PROBE_PAD;
	for (size_t i = 0; i < 3; i++)
		probe[1 + i] = (char)fold((unsigned char)w[i]);
	probe[4] = '\0';
	ZxcvbnMatch(probe, NULL, &info);
	for (m = info; m; m = m->Next)
		if (match_type(m) == SPATIAL_MATCH && m->Begin == 1 && m->Length == 3 &&
		    m->Entrpy < STRAIGHT_RUN_BITS)
			found = true;
	ZxcvbnFreeInfo(info);
	sodium_memzero(probe, PROBE_SIZE);
	return found;
}

/*
 * zxcvbn explains "qwerty" or "asdf" as entries of its common-password list
 * rather than as keyboard runs, so a word it matched is walked three keys at
 * a time: overlapping straight runs share a step, hence a direction.
 */
static bool word_is_walk(char *probe, const char *password, int begin, int length)
{
	unsigned run = 0;

	for (int i = begin; i + 3 <= begin + length; i++) {
		if (straight_run(probe, password + i))
			run = run > 0 ? run + 1 : 3;
		else
			run = 0;
		if (run >= WALK_MIN)
			return true;
	}
	return false;
}

static bool is_digit_or_special(unsigned char c)
{
	return !is_ascii_letter(c);
}

/*
 * "P@ssw0rd123", "Summer2024!": with the digits and symbols at its ends
 * taken off, the password is one word of zxcvbn's lists (leet or not) that
 * makes up at least half of it.
 */
static bool core_is_word(char *scratch, const char *password, size_t bytes)
{
	size_t start = 0, end = bytes, len;
	ZxcMatch_t *info = NULL;
	bool word;

	while (start < end && is_digit_or_special((unsigned char)password[start]))
		start++;
	while (end > start && is_digit_or_special((unsigned char)password[end - 1]))
		end--;
	len = end - start;
	if (len < COMMON_WORD_MIN + 1 || 2 * len < bytes)
		return false;
	memcpy(scratch, password + start, len);
	scratch[len] = '\0';
	ZxcvbnMatch(scratch, NULL, &info);
	word = info && !info->Next && is_word_match(info) && info->Begin == 0 && (size_t)info->Length == len;
	ZxcvbnFreeInfo(info);
	sodium_memzero(scratch, len);
	return word;
}

/* Keyboard walks, common passwords and the score, from zxcvbn's cheapest explanation of the password. */
static int zxcvbn_facts(const struct password_config *cfg, const char *password, const char **user_dict,
			struct facts *f)
{
	ZxcMatch_t *info = NULL, *m;
	size_t scratch_size = f->bytes + 1 > PROBE_SIZE ? f->bytes + 1 : PROBE_SIZE;
	char *scratch = NULL;
	double bits;

	if (cfg->reject_keyboard_walks || cfg->reject_common) {
		scratch = sodium_malloc(scratch_size);
		if (!scratch)
			return -ENOMEM;
	}
	bits = ZxcvbnMatch(password, user_dict, &info);
	f->score = score_of(bits);
	for (m = info; m; m = m->Next) {
		/* Offsets are bytes; LONG_PWD_MATCH stands for the tail past zxcvbn's detail limit. */
		if (m->Begin < 0 || m->Length < 0 || (size_t)m->Begin + (size_t)m->Length > f->bytes)
			continue;
		if (cfg->reject_keyboard_walks && !f->keyboard) {
			if (match_type(m) == SPATIAL_MATCH && m->Length >= WALK_MIN)
				f->keyboard = true;
			else if (is_word_match(m) && m->Length >= WALK_MIN &&
				 word_is_walk(scratch, password, m->Begin, m->Length))
				f->keyboard = true;
		}
		if (cfg->reject_common && is_word_match(m) && m->Length >= COMMON_WORD_MIN &&
		    (size_t)m->Length + COMMON_SLACK >= f->bytes)
			f->common = true;
	}
	if (cfg->reject_common && !f->common)
		f->common = core_is_word(scratch, password, f->bytes);
	ZxcvbnFreeInfo(info);
	sodium_free(scratch);
	return 0;
}

static int examine(const struct password_config *cfg, const char *password, const struct policy_person *person,
		   struct facts *f)
{
	struct personal_words words;
	int r;

	memset(f, 0, sizeof(*f));
	f->bytes = strlen(password);
	scan_characters(password, cfg->reject_repeats, f);
	f->sequence = cfg->reject_sequences > 0 && has_sequence(password, cfg->reject_sequences);
	if ((r = personal_collect(person, &words)) < 0)
		return r;
	if (cfg->reject_personal_info)
		f->personal = has_personal(password, f->bytes, &words);
	r = zxcvbn_facts(cfg, password, words.dict, f);
	personal_free(&words);
	return r;
}

static int rule_add(json_t *rules, const char *name, const char *description, const char *message)
{
	json_t *o = json_pack("{s:s,s:s,s:b}", "name", name, "description", description, "ok", message == NULL);

	if (!o)
		return -ENOMEM;
	if (message && json_object_set_new(o, "message", json_string(message)) < 0) {
		json_decref(o);
		return -ENOMEM;
	}
	return json_array_append_new(rules, o) < 0 ? -ENOMEM : 0;
}

static const char *const number_words[] = { "zero", "one", "two", "three", "four", "five", "six", "seven",
					    "eight", "nine", "ten" };

/* "abc, 123 or cba" for 3, "abcd, 1234 or dcba" for 4; digits only while 1 to 9 can run that far. */
static void sequence_examples(unsigned n, char *buf, size_t size)
{
	static const char letters[] = "abcdefghijklmnopqrstuvwxyz";
	static const char digits[] = "123456789";
	char down[sizeof(letters)];
	int len;

	if (n > sizeof(letters) - 1)
		n = sizeof(letters) - 1;
	len = (int)n;
	for (unsigned i = 0; i < n; i++)
		down[i] = letters[n - 1 - i];
	down[n] = '\0';
	if (n < sizeof(digits))
		snprintf(buf, size, "%.*s, %.*s or %s", len, letters, len, digits, down);
	else
		snprintf(buf, size, "%.*s or %s", len, letters, down);
}

static int report(const struct password_config *cfg, const struct facts *f, bool personal_rule, json_t *rules,
		  bool *failed)
{
	char desc[160], msg[192], examples[80];
	bool too_short = f->chars < cfg->min_length, too_long = f->bytes > cfg->max_bytes;
	int r;

#define CHECK(call)                   \
	do {                          \
		if ((r = (call)) < 0) \
			return r;     \
	} while (0)
#define FAILS(bad) ((bad) ? (*failed = true) : false)

	snprintf(desc, sizeof(desc), "at least %u characters and at most %u bytes", cfg->min_length, cfg->max_bytes);
	if (too_short && too_long)
		snprintf(msg, sizeof(msg), "Use at least %u characters and at most %u bytes.", cfg->min_length,
			 cfg->max_bytes);
	else if (too_short)
		snprintf(msg, sizeof(msg), "Use at least %u characters.", cfg->min_length);
	else
		snprintf(msg, sizeof(msg), "Use at most %u bytes.", cfg->max_bytes);
	CHECK(rule_add(rules, "length", desc, FAILS(too_short || too_long) ? msg : NULL));

	if (cfg->require_upper)
		CHECK(rule_add(rules, "upper", "at least one uppercase letter",
			       FAILS(!f->upper) ? "Add an uppercase letter." : NULL));
	if (cfg->require_lower)
		CHECK(rule_add(rules, "lower", "at least one lowercase letter",
			       FAILS(!f->lower) ? "Add a lowercase letter." : NULL));
	if (cfg->require_digit)
		CHECK(rule_add(rules, "digit", "at least one digit", FAILS(!f->digit) ? "Add a digit." : NULL));
	if (cfg->require_special)
		CHECK(rule_add(rules, "special", "at least one special character",
			       FAILS(!f->special) ? "Add a special character such as ! or #." : NULL));

	if (cfg->reject_sequences) {
		snprintf(desc, sizeof(desc), "no sequence of %u or more characters (abc, 123, cba)",
			 cfg->reject_sequences);
		sequence_examples(cfg->reject_sequences, examples, sizeof(examples));
		snprintf(msg, sizeof(msg), "Avoid sequences such as %s.", examples);
		CHECK(rule_add(rules, "sequence", desc, FAILS(f->sequence) ? msg : NULL));
	}
	if (cfg->reject_repeats) {
		snprintf(desc, sizeof(desc), "no character repeated %u or more times (aaa)", cfg->reject_repeats);
		if (cfg->reject_repeats < sizeof(number_words) / sizeof(number_words[0]))
			snprintf(msg, sizeof(msg), "Avoid repeating a character %s or more times.",
				 number_words[cfg->reject_repeats]);
		else
			snprintf(msg, sizeof(msg), "Avoid repeating a character %u or more times.",
				 cfg->reject_repeats);
		CHECK(rule_add(rules, "repeat", desc, FAILS(f->repeat) ? msg : NULL));
	}
	if (cfg->reject_keyboard_walks)
		CHECK(rule_add(rules, "keyboard", "no keyboard walks (qwerty, asdf, 1qaz)",
			       FAILS(f->keyboard) ? "Avoid keyboard patterns such as qwerty or asdf." : NULL));
	if (personal_rule)
		CHECK(rule_add(rules, "personal", "not the username, first or last name, or email",
			       FAILS(f->personal) ? "Do not use your name, username or email." : NULL));
	if (cfg->reject_common)
		CHECK(rule_add(rules, "common", "not a common password",
			       FAILS(f->common) ? "This is a commonly used password." : NULL));

	snprintf(desc, sizeof(desc), "strength score of at least %u out of 4", cfg->min_score);
	snprintf(msg, sizeof(msg), "Too easy to guess: strength %d of 4, at least %u needed.", f->score,
		 cfg->min_score);
	CHECK(rule_add(rules, "strength", desc, FAILS((unsigned)f->score < cfg->min_score) ? msg : NULL));
	return 0;
#undef FAILS
#undef CHECK
}

int policy_check(const struct password_config *cfg, const char *password, const struct policy_person *person,
		 json_t **rules, int *score)
{
	struct facts f;
	json_t *list = NULL;
	bool failed = false;
	int r;

	if (!cfg || !password || !rules || !score)
		return -EINVAL;
	/* sodium_malloc needs it; later calls only return 1. */
	if (sodium_init() < 0)
		return -EIO;
	if ((r = examine(cfg, password, person, &f)) < 0)
		goto out;
	list = json_array();
	if (!list) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = report(cfg, &f, cfg->reject_personal_info && person, list, &failed)) < 0)
		goto out;
	*rules = list;
	*score = f.score;
	list = NULL;
	r = failed ? -EPERM : 0;
out:
	json_decref(list);
	return r;
}

static void history_description(unsigned history, char *buf, size_t len)
{
	if (history == 1)
		snprintf(buf, len, "not the last password");
	else
		snprintf(buf, len, "not one of the last %u passwords", history);
}

json_t *policy_describe(const struct password_config *cfg)
{
	/* Facts that pass every rule: report() then gives each rule's description. */
	struct facts f = { .chars = cfg->min_length, .upper = true, .lower = true, .digit = true, .special = true,
			   .score = 4 };
	json_t *rules = json_array(), *rule;
	bool failed = false;
	char desc[64];
	size_t i;

	if (!rules || report(cfg, &f, cfg->reject_personal_info, rules, &failed) < 0) {
		json_decref(rules);
		return NULL;
	}
	json_array_foreach(rules, i, rule)
		json_object_del(rule, "ok");
	if (cfg->history) {
		history_description(cfg->history, desc, sizeof(desc));
		/* Before "strength", which report() always adds last. */
		json_array_insert_new(rules, json_array_size(rules) - 1,
				      json_pack("{s:s,s:s}", "name", "history", "description", desc));
	}
	return rules;
}

void policy_add_history_failure(json_t *rules, unsigned history)
{
	char desc[64], msg[96];

	if (!json_is_array(rules))
		return;
	history_description(history, desc, sizeof(desc));
	if (history == 1)
		snprintf(msg, sizeof(msg), "Do not reuse your last password.");
	else
		snprintf(msg, sizeof(msg), "Do not reuse one of your last %u passwords.", history);
	/* Nothing to report with: a missing entry still leaves the caller's refusal standing. */
	if (rule_add(rules, "history", desc, msg) == 0 && json_array_size(rules) > 1) {
		/* Listed before "strength", as policy_describe() orders them. */
		json_t *entry = json_incref(json_array_get(rules, json_array_size(rules) - 1));
		json_array_remove(rules, json_array_size(rules) - 1);
		json_array_insert_new(rules, json_array_size(rules) - 1, entry);
	}
}
