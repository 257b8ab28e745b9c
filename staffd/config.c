/* staffd.conf: defaults, and an INI reader that checks every value and reports every problem. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

#include <sodium.h>

#ifndef STAFFD_DEFAULT_STATE_DIR
#define STAFFD_DEFAULT_STATE_DIR "/var/lib/staffd"
#endif
#ifndef STAFFD_DEFAULT_SOCKET
#define STAFFD_DEFAULT_SOCKET "/run/staffd/io.practice.Staff"
#endif
#define DEFAULT_USERDB_SOCKET "/run/staffd/userdb/io.practice.staff"

#define KIB 1024ULL
#define MIB (1024ULL * KIB)
#define GIB (1024ULL * MIB)
#define MINUTE 60ULL
#define HOUR (60ULL * MINUTE)
#define DAY (24ULL * HOUR)

/* sun_path holds the terminating NUL too. */
#define SOCKET_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

#define OPSLIMIT_LOW (crypto_pwhash_OPSLIMIT_MIN > 1 ? crypto_pwhash_OPSLIMIT_MIN : 1ULL)
#define MEMLIMIT_HIGH (crypto_pwhash_MEMLIMIT_MAX < 4 * GIB ? crypto_pwhash_MEMLIMIT_MAX : 4 * GIB)
_Static_assert(crypto_pwhash_MEMLIMIT_MIN <= 8 * MIB, "memlimit lower bound below libsodium's minimum");
_Static_assert(OPSLIMIT_LOW <= 2, "default opslimit below libsodium's minimum");

#define PROBLEM_MAX 512

enum section {
	SEC_NONE,		/* before the first [section] header */
	SEC_DAEMON,
	SEC_MAIL,
	SEC_PASSWORD,
	SEC_LOCKOUT,
	SEC_HASHING,
	SEC_UNKNOWN,		/* its keys are skipped: the header was reported */
};

static const char *const section_names[] = {
	[SEC_DAEMON] = "daemon",
	[SEC_MAIL] = "mail",
	[SEC_PASSWORD] = "password",
	[SEC_LOCKOUT] = "lockout",
	[SEC_HASHING] = "hashing",
};

enum kind {
	K_BOOL,			/* bool */
	K_UINT,			/* unsigned, min..max */
	K_UINT_OFF,		/* unsigned, 0 or min..max */
	K_ULL,			/* unsigned long long, min..max */
	K_SIZE,			/* size_t, bytes with an optional K/M/G suffix */
	K_PERCENT,		/* unsigned, min..max with an optional % */
	K_DURATION,		/* unsigned seconds with an optional s/m/h/d suffix */
	K_PATH,			/* char *, absolute */
	K_SOCKET,		/* char *, absolute and short enough for sun_path */
	K_SOCKET_OPT,		/* as K_SOCKET, or "" for off */
	K_COMMAND,		/* char *, free text, "" for off */
	K_LINE,			/* char *, one non-empty line without control characters */
	K_USER,			/* char *, a user name, or "" for none */
};

struct key {
	enum section section;
	const char *name;
	enum kind kind;
	size_t offset;
	unsigned long long min, max;
};

#define OFF(field) offsetof(struct config, field)

static const struct key keys[] = {
	{ SEC_DAEMON, "state_dir", K_PATH, OFF(state_dir), 0, 0 },
	{ SEC_DAEMON, "socket", K_SOCKET, OFF(socket_path), 0, 0 },
	{ SEC_DAEMON, "userdb_socket", K_SOCKET_OPT, OFF(userdb_socket), 0, 0 },
	{ SEC_DAEMON, "map_size", K_SIZE, OFF(map_size), 1 * MIB, 64 * GIB },
	{ SEC_DAEMON, "map_reserve", K_PERCENT, OFF(map_reserve), 0, 50 },
	{ SEC_DAEMON, "map_warn", K_PERCENT, OFF(map_warn), 1, 100 },
	{ SEC_DAEMON, "max_staff", K_UINT, OFF(max_staff), 0, 1000000 },
	{ SEC_DAEMON, "uid_min", K_UINT, OFF(uid_min), 1000, 2147483646 },
	{ SEC_DAEMON, "uid_max", K_UINT, OFF(uid_max), 1000, 2147483646 },
	{ SEC_DAEMON, "home_base", K_PATH, OFF(home_base), 0, 0 },
	{ SEC_DAEMON, "shell", K_PATH, OFF(shell), 0, 0 },
	{ SEC_DAEMON, "user", K_USER, OFF(user), 0, 0 },

	{ SEC_MAIL, "mail_command", K_COMMAND, OFF(mail_command), 0, 0 },
	{ SEC_MAIL, "mail_from", K_LINE, OFF(mail_from), 0, 0 },
	{ SEC_MAIL, "sms_command", K_COMMAND, OFF(sms_command), 0, 0 },
	{ SEC_MAIL, "activation_ttl", K_DURATION, OFF(activation_ttl), 5 * MINUTE, 30 * DAY },
	{ SEC_MAIL, "reset_ttl", K_DURATION, OFF(reset_ttl), 5 * MINUTE, 30 * DAY },
	{ SEC_MAIL, "forgot_interval", K_DURATION, OFF(forgot_interval), 0, 1 * DAY },

	{ SEC_PASSWORD, "min_length", K_UINT, OFF(password.min_length), 4, 1024 },
	{ SEC_PASSWORD, "max_bytes", K_UINT, OFF(password.max_bytes), 16, 4096 },
	{ SEC_PASSWORD, "require_upper", K_BOOL, OFF(password.require_upper), 0, 0 },
	{ SEC_PASSWORD, "require_lower", K_BOOL, OFF(password.require_lower), 0, 0 },
	{ SEC_PASSWORD, "require_digit", K_BOOL, OFF(password.require_digit), 0, 0 },
	{ SEC_PASSWORD, "require_special", K_BOOL, OFF(password.require_special), 0, 0 },
	{ SEC_PASSWORD, "reject_sequences", K_UINT_OFF, OFF(password.reject_sequences), 3, 16 },
	{ SEC_PASSWORD, "reject_repeats", K_UINT_OFF, OFF(password.reject_repeats), 3, 16 },
	{ SEC_PASSWORD, "reject_keyboard_walks", K_BOOL, OFF(password.reject_keyboard_walks), 0, 0 },
	{ SEC_PASSWORD, "reject_personal_info", K_BOOL, OFF(password.reject_personal_info), 0, 0 },
	{ SEC_PASSWORD, "reject_common", K_BOOL, OFF(password.reject_common), 0, 0 },
	{ SEC_PASSWORD, "history", K_UINT, OFF(password.history), 0, 24 },
	{ SEC_PASSWORD, "min_score", K_UINT, OFF(password.min_score), 0, 4 },

	{ SEC_LOCKOUT, "failures", K_UINT, OFF(lockout_failures), 1, 100 },
	{ SEC_LOCKOUT, "unlock_time", K_DURATION, OFF(unlock_time), 0, 30 * DAY },

	{ SEC_HASHING, "opslimit", K_ULL, OFF(opslimit), OPSLIMIT_LOW, 10 },
	{ SEC_HASHING, "memlimit", K_SIZE, OFF(memlimit), 8 * MIB, MEMLIMIT_HIGH },
	{ SEC_HASHING, "workers", K_UINT, OFF(hash_workers), 0, 256 },
	{ SEC_HASHING, "queue", K_UINT, OFF(hash_queue), 1, 100000 },
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

struct unit {
	char suffix;
	unsigned long long factor;
};

/* Largest first, so that formatting picks the shortest spelling. */
static const struct unit size_units[] = { { 'G', GIB }, { 'M', MIB }, { 'K', KIB }, { 0, 0 } };
static const struct unit duration_units[] = { { 'd', DAY }, { 'h', HOUR }, { 'm', MINUTE }, { 's', 1 }, { 0, 0 } };
static const struct unit percent_units[] = { { '%', 1 }, { 0, 0 } };

struct parser {
	const char *path;
	config_problem_fn problem;
	void *userdata;
	unsigned count;
};

static bool is_string_kind(enum kind k)
{
	return k == K_PATH || k == K_SOCKET || k == K_SOCKET_OPT || k == K_COMMAND || k == K_LINE || k == K_USER;
}

static void *field(struct config *c, const struct key *k)
{
	return (char *)c + k->offset;
}

static __attribute__((format(printf, 3, 4)))
void report(struct parser *p, unsigned line, const char *fmt, ...)
{
	char msg[PROBLEM_MAX];
	va_list ap;

	p->count++;
	if (!p->problem)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->problem(p->path, line, msg, p->userdata);
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	return s;
}

static enum section find_section(const char *name)
{
	for (size_t i = SEC_DAEMON; i <= SEC_HASHING; i++)
		if (strcmp(section_names[i], name) == 0)
			return (enum section)i;
	return SEC_UNKNOWN;
}

static const struct key *find_key(enum section s, const char *name)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (keys[i].section == s && strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* Decimal digits, then at most one suffix from units (none when units is NULL). */
static int parse_scaled(const char *s, const struct unit *units, bool fold_case, unsigned long long *ret)
{
	unsigned long long v = 0, factor = 1;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned long long d = (unsigned long long)(*p - '0');

		if (v > (ULLONG_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (*p) {
		const struct unit *u = NULL;
		char ch = fold_case ? (char)toupper((unsigned char)*p) : *p;

		if (p[1] != '\0' || !units)
			return -EINVAL;
		for (const struct unit *i = units; i->suffix; i++)
			if (i->suffix == ch)
				u = i;
		if (!u)
			return -EINVAL;
		factor = u->factor;
	}
	if (v > ULLONG_MAX / factor)
		return -ERANGE;
	*ret = v * factor;
	return 0;
}

static void format_scaled(unsigned long long v, const struct unit *units, char *buf, size_t size)
{
	for (const struct unit *u = units; v && u->suffix; u++)
		if (v % u->factor == 0) {
			snprintf(buf, size, "%llu%c", v / u->factor, u->suffix);
			return;
		}
	snprintf(buf, size, "%llu", v);
}

static int parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if (iscntrl((unsigned char)*s))
			return true;
	return false;
}

/* The names useradd and systemd-sysusers accept: no leading digit or '-'. */
static bool valid_user_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32 || isdigit((unsigned char)s[0]) || s[0] == '-' || s[0] == '.')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
			return false;
	return true;
}

static int set_string(char **dst, const char *value)
{
	char *dup = strdup(value);

	if (!dup)
		return -ENOMEM;
	free(*dst);
	*dst = dup;
	return 0;
}

/* Describes what k accepts, for the problem message. */
static void describe_rule(const struct key *k, char *buf, size_t size)
{
	char lo[32], hi[32];

	switch (k->kind) {
	case K_BOOL:
		snprintf(buf, size, "must be yes or no (or true/false, on/off, 1/0)");
		break;
	case K_UINT:
	case K_ULL:
		snprintf(buf, size, "must be a number from %llu to %llu", k->min, k->max);
		break;
	case K_PERCENT:
		snprintf(buf, size, "must be a percentage from %llu%% to %llu%%", k->min, k->max);
		break;
	case K_UINT_OFF:
		snprintf(buf, size, "must be 0 (off) or a number from %llu to %llu", k->min, k->max);
		break;
	case K_SIZE:
		format_scaled(k->min, size_units, lo, sizeof(lo));
		format_scaled(k->max, size_units, hi, sizeof(hi));
		snprintf(buf, size, "must be a size from %s to %s (bytes, or a number followed by K, M or G)", lo, hi);
		break;
	case K_DURATION:
		format_scaled(k->min, duration_units, lo, sizeof(lo));
		format_scaled(k->max, duration_units, hi, sizeof(hi));
		snprintf(buf, size, "must be a duration from %s to %s (seconds, or a number followed by s, m, h or d)", lo, hi);
		break;
	case K_PATH:
		snprintf(buf, size, "must be an absolute path");
		break;
	case K_SOCKET:
		snprintf(buf, size, "must be an absolute path of at most %zu bytes", SOCKET_PATH_MAX);
		break;
	case K_SOCKET_OPT:
		snprintf(buf, size, "must be an absolute path of at most %zu bytes, or empty to turn it off", SOCKET_PATH_MAX);
		break;
	case K_LINE:
		snprintf(buf, size, "must be one non-empty line of text without control characters");
		break;
	case K_COMMAND:
		snprintf(buf, size, "must be a command line");
		break;
	case K_USER:
		snprintf(buf, size, "must be a user name (letters, digits, '_', '-' and '.', at most 32, not starting "
			 "with a digit, '-' or '.'), or empty to stay root");
		break;
	}
}

/* Checks value against k and stores it in c: 0, -EINVAL (not stored) or -ENOMEM. */
static int store_value(struct config *c, const struct key *k, const char *value)
{
	unsigned long long v = 0;
	bool b;
	int r;

	switch (k->kind) {
	case K_BOOL:
		if (parse_bool(value, &b) < 0)
			return -EINVAL;
		*(bool *)field(c, k) = b;
		return 0;
	case K_UINT:
	case K_UINT_OFF:
	case K_ULL:
	case K_SIZE:
	case K_PERCENT:
	case K_DURATION:
		if (k->kind == K_SIZE)
			r = parse_scaled(value, size_units, true, &v);
		else if (k->kind == K_PERCENT)
			r = parse_scaled(value, percent_units, false, &v);
		else if (k->kind == K_DURATION)
			r = parse_scaled(value, duration_units, false, &v);
		else
			r = parse_scaled(value, NULL, false, &v);
		if (r < 0)
			return -EINVAL;
		if (!(k->kind == K_UINT_OFF && v == 0) && (v < k->min || v > k->max))
			return -EINVAL;
		if (k->kind == K_ULL)
			*(unsigned long long *)field(c, k) = v;
		else if (k->kind == K_SIZE) {
			if (v > SIZE_MAX)
				return -EINVAL;
			*(size_t *)field(c, k) = (size_t)v;
		} else
			*(unsigned *)field(c, k) = (unsigned)v;	/* every range fits */
		return 0;
	case K_SOCKET_OPT:
		if (value[0] == '\0')
			return set_string(field(c, k), value);
		/* fall through */
	case K_SOCKET:
		if (strlen(value) > SOCKET_PATH_MAX)
			return -EINVAL;
		/* fall through */
	case K_PATH:
		if (value[0] != '/' || has_control(value))
			return -EINVAL;
		return set_string(field(c, k), value);
	case K_LINE:
		if (value[0] == '\0' || has_control(value))
			return -EINVAL;
		return set_string(field(c, k), value);
	case K_COMMAND:
		return set_string(field(c, k), value);
	case K_USER:
		if (value[0] != '\0' && !valid_user_name(value))
			return -EINVAL;
		return set_string(field(c, k), value);
	}
	return -EINVAL;
}

static void free_strings(struct config *c)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (is_string_kind(keys[i].kind)) {
			char **s = field(c, &keys[i]);

			free(*s);
			*s = NULL;
		}
}

/* A deep copy of src into dst; dst is untouched on failure. */
static int config_copy(struct config *dst, const struct config *src)
{
	struct config t = *src;
	int r = 0;

	for (size_t i = 0; i < N_KEYS; i++)
		if (is_string_kind(keys[i].kind))
			*(char **)field(&t, &keys[i]) = NULL;
	for (size_t i = 0; i < N_KEYS && r == 0; i++) {
		const char *s;

		if (!is_string_kind(keys[i].kind))
			continue;
		s = *(char *const *)((const char *)src + keys[i].offset);
		if (s)
			r = set_string(field(&t, &keys[i]), s);
	}
	if (r < 0) {
		free_strings(&t);
		return r;
	}
	*dst = t;
	return 0;
}

int config_defaults(struct config *c)
{
	struct config t = {
		.map_size = 1 * GIB,
		.map_reserve = 5,
		.map_warn = 80,
		.max_staff = 0,
		.uid_min = 20000,
		.uid_max = 59999,
		.activation_ttl = 72 * HOUR,
		.reset_ttl = 24 * HOUR,
		.forgot_interval = 15 * MINUTE,
		.password = {
			.min_length = 9,
			.max_bytes = 1024,
			.require_upper = true,
			.require_lower = true,
			.require_digit = true,
			.require_special = true,
			.reject_sequences = 3,
			.reject_repeats = 3,
			.reject_keyboard_walks = true,
			.reject_personal_info = true,
			.reject_common = true,
			.history = 5,
			.min_score = 2,
		},
		.lockout_failures = 5,
		.unlock_time = 0,
		.opslimit = 2,
		.memlimit = 64 * MIB,
		.hash_workers = 0,
		.hash_queue = 64,
	};
	int r;

	if ((r = set_string(&t.state_dir, STAFFD_DEFAULT_STATE_DIR)) < 0 ||
	    (r = set_string(&t.socket_path, STAFFD_DEFAULT_SOCKET)) < 0 ||
	    (r = set_string(&t.userdb_socket, DEFAULT_USERDB_SOCKET)) < 0 ||
	    (r = set_string(&t.home_base, "/home")) < 0 ||
	    (r = set_string(&t.shell, "/bin/bash")) < 0 ||
	    (r = set_string(&t.user, "staffd")) < 0 ||
	    (r = set_string(&t.mail_command, "/usr/sbin/sendmail -t -i")) < 0 ||
	    (r = set_string(&t.mail_from, "staffd")) < 0 ||
	    (r = set_string(&t.sms_command, "")) < 0)
		goto out;
	*c = t;
	return 0;
out:
	free_strings(&t);
	return r;
}

void config_free(struct config *c)
{
	if (!c)
		return;
	free_strings(c);
	memset(c, 0, sizeof(*c));
}

static unsigned key_line(const unsigned *seen, const char *name, enum section s)
{
	return seen[find_key(s, name) - keys];
}

static bool key_bad(const bool *bad, const char *name, enum section s)
{
	return bad[find_key(s, name) - keys];
}

static unsigned later(unsigned a, unsigned b)
{
	return a > b ? a : b;
}

/* Rules that involve more than one key, checked once every line is in. */
static void check_cross(struct parser *p, const struct config *c, const unsigned *seen, const bool *bad)
{
	static const struct {
		unsigned lo, hi;
		const char *what;
	} reserved[] = {
		{ 60001, 60513, "systemd-homed" },
		{ 61184, 65519, "systemd DynamicUser=" },
		{ 65534, 65535, "nobody and (uid_t)-1 in 16 bits" },
	};
	unsigned line;

	if (!key_bad(bad, "uid_min", SEC_DAEMON) && !key_bad(bad, "uid_max", SEC_DAEMON)) {
		line = later(key_line(seen, "uid_min", SEC_DAEMON), key_line(seen, "uid_max", SEC_DAEMON));
		if (c->uid_min >= c->uid_max)
			report(p, line, "[daemon] uid_min, uid_max: uid_min (%u) must be lower than uid_max (%u)",
			       c->uid_min, c->uid_max);
		else
			for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
				if (c->uid_min <= reserved[i].hi && c->uid_max >= reserved[i].lo) {
					report(p, line,
					       "[daemon] uid_min, uid_max: the range %u-%u overlaps reserved UIDs %u-%u (%s); "
					       "it must avoid 60001-60513, 61184-65519 and 65534-65535",
					       c->uid_min, c->uid_max, reserved[i].lo, reserved[i].hi, reserved[i].what);
					break;
				}
	}

	if (!key_bad(bad, "min_length", SEC_PASSWORD) && !key_bad(bad, "max_bytes", SEC_PASSWORD)) {
		line = later(key_line(seen, "min_length", SEC_PASSWORD), key_line(seen, "max_bytes", SEC_PASSWORD));
		if (c->password.max_bytes < c->password.min_length)
			report(p, line, "[password] min_length, max_bytes: max_bytes (%u) must be at least min_length (%u)",
			       c->password.max_bytes, c->password.min_length);
	}
}

/* Handles one "key = value" line in section s. -ENOMEM stops the whole load. */
static int parse_assignment(struct parser *p, struct config *c, enum section s, char *text, unsigned line,
			    unsigned *seen, bool *bad)
{
	char *eq = strchr(text, '=');
	const struct key *k;
	const char *name, *value;
	char rule[256];
	size_t i;
	int r;

	if (!eq) {
		report(p, line, "malformed line: expected \"key = value\", \"[section]\" or a comment");
		return 0;
	}
	*eq = '\0';
	name = trim(text);
	value = trim(eq + 1);
	if (name[0] == '\0') {
		report(p, line, "malformed line: no key before '='");
		return 0;
	}
	if (s == SEC_NONE) {
		report(p, line, "%.64s: key outside of any section (put it under [daemon], [mail], [password], [lockout] or [hashing])",
		       name);
		return 0;
	}
	if (s == SEC_UNKNOWN)
		return 0;
	k = find_key(s, name);
	if (!k) {
		report(p, line, "[%s] %.64s: unknown key", section_names[s], name);
		return 0;
	}
	i = (size_t)(k - keys);
	if (seen[i]) {
		report(p, line, "[%s] %s: duplicate key (first set on line %u)", section_names[s], k->name, seen[i]);
		return 0;
	}
	seen[i] = line;
	r = store_value(c, k, value);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		bad[i] = true;
		describe_rule(k, rule, sizeof(rule));
		report(p, line, "[%s] %s: %s%s", section_names[s], k->name, rule,
		       value[0] == '"' || value[0] == '\'' ? " (values are written without quotes)" : "");
	}
	return 0;
}

int config_load(struct config *c, const char *path, config_problem_fn problem, void *userdata)
{
	struct parser p = { .path = path, .problem = problem, .userdata = userdata };
	struct config t = { 0 };
	bool have_copy = false;
	unsigned seen[N_KEYS] = { 0 };
	bool bad[N_KEYS] = { false };
	enum section s = SEC_NONE;
	unsigned line = 0;
	char *buf = NULL;
	size_t cap = 0;
	struct stat st;
	FILE *f;
	int r = 0;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fstat(fileno(f), &st) < 0) {
		r = -errno;
		goto out;
	}
	if ((r = config_copy(&t, c)) < 0)
		goto out;
	have_copy = true;

	/* The file names commands the daemon runs. */
	if (S_ISREG(st.st_mode) && (st.st_mode & S_IWOTH))
		report(&p, 0, "the file is writable by everyone; make it writable by root only (chmod o-w)");

	for (;;) {
		ssize_t len;
		char *text;

		errno = 0;
		len = getline(&buf, &cap, f);
		if (len < 0) {
			if (ferror(f)) {
				r = errno ? -errno : -EIO;
				goto out;
			}
			break;
		}
		line++;
		if (strlen(buf) != (size_t)len) {
			report(&p, line, "malformed line: contains a NUL byte");
			continue;
		}
		text = buf;
		if (line == 1 && strncmp(text, "\xEF\xBB\xBF", 3) == 0)
			text += 3;	/* a UTF-8 byte order mark left by some editors */
		text = trim(text);
		if (text[0] == '\0' || text[0] == '#' || text[0] == ';')
			continue;
		if (text[0] == '[') {
			size_t n = strlen(text);
			char *name;

			if (n < 2 || text[n - 1] != ']' || memchr(text + 1, ']', n - 2) || memchr(text + 1, '[', n - 2)) {
				report(&p, line, "malformed section header: expected [name]");
				s = SEC_UNKNOWN;
				continue;
			}
			text[n - 1] = '\0';
			name = trim(text + 1);
			s = find_section(name);
			if (s == SEC_UNKNOWN)
				report(&p, line, "[%.64s]: unknown section (known: daemon, mail, password, lockout, hashing)",
				       name);
			continue;
		}
		if ((r = parse_assignment(&p, &t, s, text, line, seen, bad)) < 0)
			goto out;
	}

	check_cross(&p, &t, seen, bad);
	if (p.count > 0) {
		r = -EINVAL;
		goto out;
	}
	config_free(c);
	*c = t;
	have_copy = false;
	r = 0;
out:
	if (have_copy)
		free_strings(&t);
	free(buf);
	fclose(f);
	return r;
}
