/* Rules for the values of staff accounts, roles and locations. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "utf8.h"
#include "validate.h"

const char *const staff_permissions[] = {
	"calendar.view",
	"calendar.create",
	"calendar.delete",
	"billing.payments",
	"billing.refunds",
	"billing.reports",
	"clinical.charts",
	"clinical.notes",
	"clinical.medications",
	"clinical.sign",
	"clinical.prescribe",
	"admin.accounts",
	"admin.settings",
	"reports.business",
	NULL,
};

#define USERNAME_MAX 32
#define EMAIL_MAX 254
#define EMAIL_LOCAL_MAX 64
#define EMAIL_DOMAIN_MAX 253
#define DNS_LABEL_MAX 63
#define LINE_MAX_BYTES 64	/* names of people, locations and roles */
#define PHONE_MAX_BYTES 32
#define PHONE_MIN_DIGITS 10
#define PHONE_MAX_DIGITS 15
#define CAPACITY_MAX 100

static const char REQUIRED[] = "is required";

static int reject(const char **why, const char *msg)
{
	if (why)
		*why = msg;
	return -EINVAL;
}

/* The C library's ctype functions depend on the locale; these rules must not. */
static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_lower(unsigned char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_upper(unsigned char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_alpha(unsigned char c)
{
	return is_lower(c) || is_upper(c);
}

static unsigned char to_upper(unsigned char c)
{
	return is_lower(c) ? (unsigned char)(c - 'a' + 'A') : c;
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * C0, DEL and C1 controls, plus the bidirectional embedding, override and
 * isolate controls, which can make a name or text display as something else.
 * The line and paragraph separators are left to the white space rules, which
 * say more about them than utf8_is_control would.
 */
static bool is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) ||
		(cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Unicode White_Space. */
static bool is_space(uint32_t cp)
{
	return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 ||
		cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
		cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
		cp == 0x3000;
}

struct text_scan {
	uint32_t first;
	uint32_t last;
	bool blank;		/* nothing but white space (or empty) */
};

/* Checks n bytes of s for well-formed UTF-8 without control characters. */
static int scan_text(const char *s, size_t n, bool multiline, struct text_scan *out,
		     const char **why)
{
	const unsigned char *p = (const unsigned char *)s;
	struct text_scan ts = { .first = 0, .last = 0, .blank = true };
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t len = utf8_decode(p + i, n - i, &cp);

		if (len == 0)
			return reject(why, "must be valid UTF-8");
		if (is_control(cp) && !(multiline && (cp == '\n' || cp == '\t')))
			return reject(why, "must not contain control characters");
		if (i == 0)
			ts.first = cp;
		ts.last = cp;
		if (!is_space(cp))
			ts.blank = false;
		i += len;
	}
	*out = ts;
	return 0;
}

/* A single line shown in lists: names of people, locations and roles. */
static int check_line(const char *s, const char **why)
{
	struct text_scan ts;
	size_t n;
	int r;

	if (!s)
		return reject(why, REQUIRED);
	n = strnlen(s, LINE_MAX_BYTES + 1);
	if (n == 0)
		return reject(why, "must not be empty");
	if (n > LINE_MAX_BYTES)
		return reject(why, "must be at most 64 bytes");
	r = scan_text(s, n, false, &ts, why);
	if (r < 0)
		return r;
	if (ts.blank)
		return reject(why, "must not be blank");
	if (is_space(ts.first) || is_space(ts.last))
		return reject(why, "must not begin or end with white space");
	return 0;
}

int validate_username(const char *s, const char **why)
{
	size_t n;

	if (!s)
		return reject(why, REQUIRED);
	n = strnlen(s, USERNAME_MAX + 1);
	if (n == 0)
		return reject(why, "must not be empty");
	if (n > USERNAME_MAX)
		return reject(why, "must be at most 32 characters");
	if (!is_lower((unsigned char)s[0]) && s[0] != '_')
		return reject(why, "must start with a lowercase letter or an underscore");
	for (size_t i = 1; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!is_lower(c) && !is_digit(c) && c != '_' && c != '-')
			return reject(why, "may contain only lowercase letters, digits, '_' and '-'");
	}
	return 0;
}

static bool is_atext(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || (c != '\0' && strchr("!#$%&'*+/=?^_`{|}~-", c));
}

static int check_email_local(const char *s, size_t n, const char **why)
{
	if (n == 0)
		return reject(why, "must have a local part before the '@'");
	if (n > EMAIL_LOCAL_MAX)
		return reject(why, "must have a local part of at most 64 characters");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (i == 0 || i == n - 1 || s[i - 1] == '.')
				return reject(why, "must not have a dot at either end of the local part or two dots in a row");
		} else if (!is_atext(c)) {
			return reject(why, "has a character not allowed in the local part");
		}
	}
	return 0;
}

static int check_email_domain(const char *s, size_t n, const char **why)
{
	size_t labels = 0, start = 0;

	if (n == 0)
		return reject(why, "must have a domain after the '@'");
	/* Already implied by EMAIL_MAX; kept so the rule stands on its own. */
	if (n > EMAIL_DOMAIN_MAX)
		return reject(why, "must have a domain of at most 253 characters");
	/* Walks one label per turn; the final turn ends at n. */
	while (start <= n) {
		const char *end = memchr(s + start, '.', n - start);
		size_t len = (end ? (size_t)(end - s) : n) - start;
		const char *label = s + start;

		if (len == 0)
			return reject(why, "must not have an empty label in the domain");
		if (len > DNS_LABEL_MAX)
			return reject(why, "must have domain labels of at most 63 characters");
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)label[i];

			if (!is_alpha(c) && !is_digit(c) && c != '-')
				return reject(why, "must have a domain of letters, digits, hyphens and dots");
		}
		if (label[0] == '-' || label[len - 1] == '-')
			return reject(why, "must not have a domain label that begins or ends with a hyphen");
		labels++;
		if (!end) {
			if (labels < 2)
				return reject(why, "must have a domain with at least two labels");
			if (all_digits(label, len))
				return reject(why, "must not have an all-numeric top-level domain");
			break;
		}
		start += len + 1;
	}
	return 0;
}

int validate_email(const char *s, const char **why)
{
	const char *at;
	size_t n;
	int r;

	if (!s)
		return reject(why, REQUIRED);
	n = strnlen(s, EMAIL_MAX + 1);
	if (n == 0)
		return reject(why, "must not be empty");
	if (n > EMAIL_MAX)
		return reject(why, "must be at most 254 characters");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7F)
			return reject(why, "must not contain white space or control characters");
	}
	at = strchr(s, '@');
	if (!at || strchr(at + 1, '@'))
		return reject(why, "must contain exactly one '@'");
	r = check_email_local(s, (size_t)(at - s), why);
	if (r < 0)
		return r;
	return check_email_domain(at + 1, n - (size_t)(at - s) - 1, why);
}

int validate_person_name(const char *s, const char **why)
{
	return check_line(s, why);
}

int validate_label(const char *s, const char **why)
{
	return check_line(s, why);
}

int validate_text(const char *s, unsigned max_bytes, const char **why)
{
	struct text_scan ts;
	size_t n;

	if (!s)
		return reject(why, REQUIRED);
	n = strnlen(s, (size_t)max_bytes + 1);
	if (n > max_bytes)
		return reject(why, "is too long");
	return scan_text(s, n, true, &ts, why);
}

/* Luhn check digit for the digits of payload (the check digit not included). */
static unsigned luhn_check_digit(const char *payload, size_t n)
{
	unsigned sum = 0;
	bool twice = true;	/* the digit next to the check digit is doubled */

	for (size_t i = n; i-- > 0; twice = !twice) {
		unsigned d = (unsigned)(payload[i] - '0');

		if (twice) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return (10 - sum % 10) % 10;
}

int validate_npi(const char *s, const char **why)
{
	/* ISO 7812 card-issuer prefix for US health applications. */
	static const char prefix[] = "80840";
	char payload[sizeof(prefix) - 1 + 9];

	if (!s)
		return reject(why, REQUIRED);
	if (strnlen(s, 11) != 10 || !all_digits(s, 10))
		return reject(why, "must be exactly 10 digits");
	memcpy(payload, prefix, sizeof(prefix) - 1);
	memcpy(payload + sizeof(prefix) - 1, s, 9);
	if (luhn_check_digit(payload, sizeof(payload)) != (unsigned)(s[9] - '0'))
		return reject(why, "must be 10 digits with a valid check digit");
	return 0;
}

int validate_dea(const char *s, const char *last_name, const char **why)
{
	unsigned char type, second, initial;
	unsigned d[7], sum;

	if (!s)
		return reject(why, REQUIRED);
	if (strnlen(s, 10) != 9)
		return reject(why, "must be 2 letters followed by 7 digits");
	type = to_upper((unsigned char)s[0]);
	second = to_upper((unsigned char)s[1]);
	if (!is_alpha(type) || (!is_alpha(second) && second != '9') || !all_digits(s + 2, 7))
		return reject(why, "must be 2 letters followed by 7 digits");
	if (!strchr("ABCDEFGHJKLMPRSTUX", type))
		return reject(why, "must start with one of A B C D E F G H J K L M P R S T U X");
	for (size_t i = 0; i < 7; i++)
		d[i] = (unsigned)(s[2 + i] - '0');
	sum = d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5]);
	if (sum % 10 != d[6])
		return reject(why, "must have a valid check digit");
	/*
	 * A last name that does not start with an ASCII letter cannot be matched
	 * against the registration, so only the letter-or-9 form is enforced.
	 */
	if (last_name) {
		initial = to_upper((unsigned char)last_name[0]);
		if (is_alpha(initial) && second != '9' && second != initial)
			return reject(why, "must have as second letter the first letter of the last name, or 9");
	}
	return 0;
}

static bool is_taxonomy(const char *s)
{
	if (strnlen(s, 11) != 10 || !all_digits(s, 3) || s[9] != 'X')
		return false;
	for (size_t i = 3; i < 9; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!is_upper(c) && !is_digit(c))
			return false;
	}
	return true;
}

int validate_taxonomy(const char *s, const char **why)
{
	if (!s)
		return reject(why, REQUIRED);
	if (!is_taxonomy(s))
		return reject(why, "must be 3 digits, 6 uppercase letters or digits, and X");
	return 0;
}

int validate_phone(const char *s, const char **why)
{
	size_t n, digits = 0;
	bool open = false, paren_digits = false;

	if (!s)
		return reject(why, REQUIRED);
	n = strnlen(s, PHONE_MAX_BYTES + 1);
	if (n > PHONE_MAX_BYTES)
		return reject(why, "must be at most 32 characters");
	/* Separators only between digits, so stored numbers carry no stray padding. */
	if (n > 0 && ((!is_digit((unsigned char)s[0]) && s[0] != '+' && s[0] != '(') ||
		      (!is_digit((unsigned char)s[n - 1]) && s[n - 1] != ')')))
		return reject(why, "must begin with a digit, '+' or '(' and end with a digit or ')'");
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (is_digit((unsigned char)c)) {
			digits++;
			paren_digits = true;
		} else if (c == '+') {
			if (i != 0)
				return reject(why, "may have '+' only at the start");
		} else if (c == '(') {
			if (open)
				return reject(why, "must have matching parentheses");
			open = true;
			paren_digits = false;
		} else if (c == ')') {
			if (!open || !paren_digits)
				return reject(why, "must have matching parentheses");
			open = false;
		} else if (c != ' ' && c != '-' && c != '.') {
			return reject(why, "may contain only digits, a leading '+', spaces and - . ( )");
		}
	}
	if (open)
		return reject(why, "must have matching parentheses");
	if (digits < PHONE_MIN_DIGITS || digits > PHONE_MAX_DIGITS)
		return reject(why, "must have 10 to 15 digits");
	return 0;
}

int validate_capacity(long long v, const char **why)
{
	if (v < 1 || v > CAPACITY_MAX)
		return reject(why, "must be between 1 and 100");
	return 0;
}

int validate_step(long long v, const char **why)
{
	static const long long steps[] = { 5, 10, 15, 20, 30, 45, 60 };

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (v == steps[i])
			return 0;
	return reject(why, "must be 5, 10, 15, 20, 30, 45 or 60 minutes");
}

int validate_pin(const char *s, const char **why)
{
	unsigned bad = 0;

	if (!s)
		return reject(why, REQUIRED);
	if (strnlen(s, 5) != 4)
		return reject(why, "must be exactly 4 digits");
	/* Looks at every digit whatever the others are: the value is a secret. */
	for (size_t i = 0; i < 4; i++)
		bad |= (unsigned)((unsigned char)s[i] - '0') / 10u;
	if (bad)
		return reject(why, "must be exactly 4 digits");
	return 0;
}

static int one_of(const char *s, const char *const *set, const char *msg, const char **why)
{
	if (!s)
		return reject(why, REQUIRED);
	for (size_t i = 0; set[i]; i++)
		if (strcmp(s, set[i]) == 0)
			return 0;
	return reject(why, msg);
}

int validate_employment(const char *s, const char **why)
{
	static const char *const set[] = { "employee", "external", NULL };

	return one_of(s, set, "must be employee or external", why);
}

int validate_status(const char *s, const char **why)
{
	static const char *const set[] = { "pending", "active", "inactive", NULL };

	return one_of(s, set, "must be pending, active or inactive", why);
}

int validate_permission(const char *s, const char **why)
{
	return one_of(s, staff_permissions, "is not a known permission", why);
}
