/* staffd.conf: defaults, every kind of value, problem reports with line numbers, the shipped files. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../staffd/config.h"

#define MIB (1024ULL * 1024)
#define GIB (1024ULL * MIB)
#define N_KEYS 37
#define MAX_PROBLEMS 64

struct problem {
	unsigned line;
	char message[512];
};

struct fixture {
	char dir[64];
	char path[128];
	struct config c;
	size_t n;
	struct problem p[MAX_PROBLEMS];
	size_t overflow;
};

static void collect(const char *path, unsigned line, const char *message, void *userdata)
{
	struct fixture *f = userdata;

	assert_non_null(path);
	assert_non_null(message);
	if (f->n == MAX_PROBLEMS) {
		f->overflow++;
		return;
	}
	f->p[f->n].line = line;
	snprintf(f->p[f->n].message, sizeof(f->p[f->n].message), "%s", message);
	f->n++;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test-config-XXXXXX");
	if (!mkdtemp(f->dir) || config_defaults(&f->c) != 0) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/staffd.conf", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	config_free(&f->c);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void write_bytes(const char *path, const char *data, size_t len, mode_t mode)
{
	FILE *out = fopen(path, "w");

	assert_non_null(out);
	assert_int_equal(fwrite(data, 1, len, out), len);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static int load_bytes(struct fixture *f, const char *data, size_t len)
{
	f->n = 0;
	f->overflow = 0;
	write_bytes(f->path, data, len, 0600);
	return config_load(&f->c, f->path, collect, f);
}

static int load(struct fixture *f, const char *text)
{
	return load_bytes(f, text, strlen(text));
}

static void dump_problems(const struct fixture *f)
{
	for (size_t i = 0; i < f->n; i++)
		print_message("  line %u: %s\n", f->p[i].line, f->p[i].message);
}

static void expect_no_problems(const struct fixture *f)
{
	if (f->n) {
		dump_problems(f);
		fail_msg("%zu unexpected problems", f->n);
	}
}

static void expect_count(const struct fixture *f, size_t n)
{
	if (f->n != n || f->overflow) {
		dump_problems(f);
		fail_msg("%zu problems (+%zu dropped), expected %zu", f->n, f->overflow, n);
	}
}

/* Problem i is on line and its message contains each fragment (NULL-terminated). */
static void expect_problem(const struct fixture *f, size_t i, unsigned line, ...)
{
	const char *frag;
	va_list ap;

	if (i >= f->n) {
		dump_problems(f);
		fail_msg("problem %zu missing", i);
	}
	if (f->p[i].line != line) {
		dump_problems(f);
		fail_msg("problem %zu on line %u, expected %u: %s", i, f->p[i].line, line, f->p[i].message);
	}
	va_start(ap, line);
	while ((frag = va_arg(ap, const char *)))
		if (!strstr(f->p[i].message, frag)) {
			va_end(ap);
			fail_msg("problem %zu \"%s\" does not mention \"%s\"", i, f->p[i].message, frag);
		}
	va_end(ap);
}

static void assert_str_eq(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void assert_config_equal(const struct config *a, const struct config *b, bool paths)
{
	if (paths) {
		assert_str_eq(a->state_dir, b->state_dir);
		assert_str_eq(a->socket_path, b->socket_path);
	}
	assert_str_eq(a->userdb_socket, b->userdb_socket);
	assert_true(a->map_size == b->map_size);
	assert_int_equal(a->map_reserve, b->map_reserve);
	assert_int_equal(a->map_warn, b->map_warn);
	assert_int_equal(a->max_staff, b->max_staff);
	assert_int_equal(a->uid_min, b->uid_min);
	assert_int_equal(a->uid_max, b->uid_max);
	assert_str_eq(a->home_base, b->home_base);
	assert_str_eq(a->shell, b->shell);
	assert_str_eq(a->user, b->user);
	assert_str_eq(a->mail_command, b->mail_command);
	assert_str_eq(a->mail_from, b->mail_from);
	assert_str_eq(a->sms_command, b->sms_command);
	assert_int_equal(a->activation_ttl, b->activation_ttl);
	assert_int_equal(a->reset_ttl, b->reset_ttl);
	assert_int_equal(a->forgot_interval, b->forgot_interval);
	assert_int_equal(a->password.min_length, b->password.min_length);
	assert_int_equal(a->password.max_bytes, b->password.max_bytes);
	assert_int_equal(a->password.require_upper, b->password.require_upper);
	assert_int_equal(a->password.require_lower, b->password.require_lower);
	assert_int_equal(a->password.require_digit, b->password.require_digit);
	assert_int_equal(a->password.require_special, b->password.require_special);
	assert_int_equal(a->password.reject_sequences, b->password.reject_sequences);
	assert_int_equal(a->password.reject_repeats, b->password.reject_repeats);
	assert_int_equal(a->password.reject_keyboard_walks, b->password.reject_keyboard_walks);
	assert_int_equal(a->password.reject_personal_info, b->password.reject_personal_info);
	assert_int_equal(a->password.reject_common, b->password.reject_common);
	assert_int_equal(a->password.history, b->password.history);
	assert_int_equal(a->password.min_score, b->password.min_score);
	assert_int_equal(a->lockout_failures, b->lockout_failures);
	assert_int_equal(a->unlock_time, b->unlock_time);
	assert_true(a->opslimit == b->opslimit);
	assert_true(a->memlimit == b->memlimit);
	assert_int_equal(a->hash_workers, b->hash_workers);
	assert_int_equal(a->hash_queue, b->hash_queue);
}

/* Byte for byte, padding included, so that "unchanged" can be checked with memcmp. */
static void snapshot(struct config *to, const struct config *from)
{
	memcpy(to, from, sizeof(*to));
}

/* Loading text must fail and leave the configuration exactly as it was. */
static void expect_rejected(struct fixture *f, const char *text)
{
	struct config before;

	snapshot(&before, &f->c);
	assert_int_equal(load(f, text), -EINVAL);
	assert_memory_equal(&before, &f->c, sizeof(before));
}

/* --- defaults --- */

static void test_defaults(void **state)
{
	struct fixture *f = *state;
	const struct config *c = &f->c;

	assert_string_equal(c->state_dir, STAFFD_DEFAULT_STATE_DIR);
	assert_string_equal(c->socket_path, STAFFD_DEFAULT_SOCKET);
	assert_string_equal(c->userdb_socket, "/run/staffd/userdb/io.practice.staff");
	assert_true(c->map_size == 1 * GIB);
	assert_int_equal(c->map_reserve, 5);
	assert_int_equal(c->map_warn, 80);
	assert_int_equal(c->max_staff, 0);
	assert_int_equal(c->uid_min, 20000);
	assert_int_equal(c->uid_max, 59999);
	assert_string_equal(c->home_base, "/home");
	assert_string_equal(c->shell, "/bin/bash");
	assert_string_equal(c->user, "staffd");
	assert_string_equal(c->mail_command, "/usr/sbin/sendmail -t -i");
	assert_string_equal(c->mail_from, "staffd");
	assert_string_equal(c->sms_command, "");
	assert_int_equal(c->activation_ttl, 72 * 3600);
	assert_int_equal(c->reset_ttl, 24 * 3600);
	assert_int_equal(c->forgot_interval, 15 * 60);
	assert_int_equal(c->password.min_length, 9);
	assert_int_equal(c->password.max_bytes, 1024);
	assert_true(c->password.require_upper);
	assert_true(c->password.require_lower);
	assert_true(c->password.require_digit);
	assert_true(c->password.require_special);
	assert_int_equal(c->password.reject_sequences, 3);
	assert_int_equal(c->password.reject_repeats, 3);
	assert_true(c->password.reject_keyboard_walks);
	assert_true(c->password.reject_personal_info);
	assert_true(c->password.reject_common);
	assert_int_equal(c->password.history, 5);
	assert_int_equal(c->password.min_score, 2);
	assert_int_equal(c->lockout_failures, 5);
	assert_int_equal(c->unlock_time, 0);
	assert_true(c->opslimit == 2);
	assert_true(c->memlimit == 64 * MIB);
	assert_int_equal(c->hash_workers, 0);
	assert_int_equal(c->hash_queue, 64);
}

static void test_config_free(void **state)
{
	struct fixture *f = *state;
	struct config zero;

	memset(&zero, 0, sizeof(zero));
	config_free(&f->c);
	assert_memory_equal(&f->c, &zero, sizeof(zero));
	config_free(&f->c);	/* a freed configuration may be freed again */
	config_free(NULL);
	assert_int_equal(config_defaults(&f->c), 0);
	assert_non_null(f->c.state_dir);
}

/* --- a file that sets everything --- */

static void test_full_file(void **state)
{
	struct fixture *f = *state;
	const struct config *c = &f->c;
	char *old_state_dir = f->c.state_dir;
	static const char text[] =
		"# every key, none at its default\n"
		"; another kind of comment\n"
		"\n"
		"[ daemon ]\n"
		"state_dir = /srv/staffd\n"
		"  socket=/run/test/staff.sock  \n"
		"\tuserdb_socket\t=\t\n"
		"map_size = 2G\n"
		"max_staff = 25\n"
		"uid_min = 100000\n"
		"uid_max = 199999\n"
		"home_base = /srv/home\n"
		"shell = /bin/zsh\r\n"
		"user = _staff-d.2\n"
		"[mail]\n"
		"mail_command = /usr/local/bin/msmtp -t --account=clinic # not a comment\n"
		"mail_from = Riverside Clinic <noreply@riverside.example>\n"
		"sms_command = /usr/local/bin/send-sms --from=Clinic\n"
		"activation_ttl = 7d\n"
		"reset_ttl = 90m\n"
		"forgot_interval = 0\n"
		"[password]\n"
		"min_length = 12\n"
		"max_bytes = 512\n"
		"require_upper = no\n"
		"require_lower = false\n"
		"require_digit = off\n"
		"require_special = 0\n"
		"reject_sequences = 4\n"
		"reject_repeats = 0\n"
		"reject_keyboard_walks = NO\n"
		"reject_personal_info = Off\n"
		"reject_common = False\n"
		"history = 24\n"
		"min_score = 4\n"
		"[lockout]\n"
		"failures = 10\n"
		"unlock_time = 30m\n"
		"[hashing]\n"
		"opslimit = 3\n"
		"memlimit = 256M\n"
		"workers = 4\n"
		"queue = 1000\n";

	assert_int_equal(load(f, text), 0);
	expect_no_problems(f);
	assert_ptr_not_equal(c->state_dir, old_state_dir);
	assert_string_equal(c->state_dir, "/srv/staffd");
	assert_string_equal(c->socket_path, "/run/test/staff.sock");
	assert_string_equal(c->userdb_socket, "");
	assert_true(c->map_size == 2 * GIB);
	assert_int_equal(c->max_staff, 25);
	assert_int_equal(c->uid_min, 100000);
	assert_int_equal(c->uid_max, 199999);
	assert_string_equal(c->home_base, "/srv/home");
	assert_string_equal(c->shell, "/bin/zsh");
	assert_string_equal(c->user, "_staff-d.2");
	assert_string_equal(c->mail_command, "/usr/local/bin/msmtp -t --account=clinic # not a comment");
	assert_string_equal(c->mail_from, "Riverside Clinic <noreply@riverside.example>");
	assert_string_equal(c->sms_command, "/usr/local/bin/send-sms --from=Clinic");
	assert_int_equal(c->activation_ttl, 7 * 86400);
	assert_int_equal(c->reset_ttl, 90 * 60);
	assert_int_equal(c->forgot_interval, 0);
	assert_int_equal(c->password.min_length, 12);
	assert_int_equal(c->password.max_bytes, 512);
	assert_false(c->password.require_upper);
	assert_false(c->password.require_lower);
	assert_false(c->password.require_digit);
	assert_false(c->password.require_special);
	assert_int_equal(c->password.reject_sequences, 4);
	assert_int_equal(c->password.reject_repeats, 0);
	assert_false(c->password.reject_keyboard_walks);
	assert_false(c->password.reject_personal_info);
	assert_false(c->password.reject_common);
	assert_int_equal(c->password.history, 24);
	assert_int_equal(c->password.min_score, 4);
	assert_int_equal(c->lockout_failures, 10);
	assert_int_equal(c->unlock_time, 1800);
	assert_true(c->opslimit == 3);
	assert_true(c->memlimit == 256 * MIB);
	assert_int_equal(c->hash_workers, 4);
	assert_int_equal(c->hash_queue, 1000);
}

static void test_empty_file_keeps_values(void **state)
{
	struct fixture *f = *state;
	struct config defaults;

	assert_int_equal(config_defaults(&defaults), 0);
	assert_int_equal(load(f, ""), 0);
	expect_no_problems(f);
	assert_config_equal(&f->c, &defaults, true);
	assert_int_equal(load(f, "\n\n   \n# only comments\n[daemon]\n[mail]\n"), 0);
	expect_no_problems(f);
	assert_config_equal(&f->c, &defaults, true);
	config_free(&defaults);
}

/* A second file changes only what it names. */
static void test_load_over_previous(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "[password]\nmin_length = 12\n[daemon]\nshell = /bin/sh\n"), 0);
	assert_int_equal(load(f, "[password]\nhistory = 3\n[daemon]\nshell = /bin/dash\n"), 0);
	expect_no_problems(f);
	assert_int_equal(f->c.password.min_length, 12);
	assert_int_equal(f->c.password.history, 3);
	assert_string_equal(f->c.shell, "/bin/dash");
	assert_int_equal(f->c.password.max_bytes, 1024);
}

static void test_bom_crlf_and_section_reopened(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "\xEF\xBB\xBF[password]\r\nmin_length = 10\r\n[lockout]\r\n"
			      "failures = 3\r\n[password]\r\nhistory = 0\r\n"), 0);
	expect_no_problems(f);
	assert_int_equal(f->c.password.min_length, 10);
	assert_int_equal(f->c.lockout_failures, 3);
	assert_int_equal(f->c.password.history, 0);
}

/* --- values --- */

static void test_booleans(void **state)
{
	struct fixture *f = *state;
	static const char *const yes[] = { "yes", "YES", "true", "True", "on", "ON", "1" };
	static const char *const no[] = { "no", "No", "false", "FALSE", "off", "Off", "0" };
	static const char *const bad[] = { "maybe", "y", "n", "2", "01", "yes please", "\"yes\"", "" };
	char text[128];

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		snprintf(text, sizeof(text), "[password]\nrequire_digit = %s\n", no[i]);
		assert_int_equal(load(f, text), 0);
		assert_false(f->c.password.require_digit);
		snprintf(text, sizeof(text), "[password]\nrequire_digit = %s\n", yes[i]);
		assert_int_equal(load(f, text), 0);
		assert_true(f->c.password.require_digit);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[password]\n\nrequire_digit = %s\n", bad[i]);
		expect_rejected(f, text);
		expect_count(f, 1);
		expect_problem(f, 0, 3, "[password] require_digit", "yes or no", NULL);
	}
}

static void test_numbers_out_of_range(void **state)
{
	struct fixture *f = *state;
	static const char text[] =
		"[password]\n"				/* 1 */
		"min_length = 3\n"			/* 2 */
		"max_bytes = 4097\n"			/* 3 */
		"history = -1\n"			/* 4 */
		"min_score = 99999999999999999999999\n"	/* 5 */
		"reject_sequences = 2\n"		/* 6 */
		"reject_repeats = 17\n"			/* 7 */
		"# fine\n"				/* 8 */
		"[lockout]\n"				/* 9 */
		"failures = 0\n"			/* 10 */
		"[hashing]\n"				/* 11 */
		"opslimit = 11\n"			/* 12 */
		"workers = 257\n"			/* 13 */
		"queue = 0\n"				/* 14 */
		"memlimit = 8M\n"			/* 15: fine */
		"[daemon]\n"				/* 16 */
		"max_staff = 1000001\n"			/* 17 */
		"uid_min = 999\n"			/* 18 */
		"uid_max = 2147483647\n"		/* 19 */
		"[hashing]\n"				/* 20 */
		"opslimit = 0\n";			/* 21: duplicate, reported as such */

	expect_rejected(f, text);
	expect_count(f, 14);
	expect_problem(f, 0, 2, "[password] min_length", "from 4 to 1024", NULL);
	expect_problem(f, 1, 3, "[password] max_bytes", "from 16 to 4096", NULL);
	expect_problem(f, 2, 4, "[password] history", "from 0 to 24", NULL);
	expect_problem(f, 3, 5, "[password] min_score", "from 0 to 4", NULL);
	expect_problem(f, 4, 6, "[password] reject_sequences", "0 (off) or a number from 3 to 16", NULL);
	expect_problem(f, 5, 7, "[password] reject_repeats", "0 (off) or a number from 3 to 16", NULL);
	expect_problem(f, 6, 10, "[lockout] failures", "from 1 to 100", NULL);
	expect_problem(f, 7, 12, "[hashing] opslimit", "from 1 to 10", NULL);
	expect_problem(f, 8, 13, "[hashing] workers", "from 0 to 256", NULL);
	expect_problem(f, 9, 14, "[hashing] queue", "from 1 to 100000", NULL);
	expect_problem(f, 10, 17, "[daemon] max_staff", "from 0 to 1000000", NULL);
	expect_problem(f, 11, 18, "[daemon] uid_min", "from 1000 to 2147483646", NULL);
	expect_problem(f, 12, 19, "[daemon] uid_max", "from 1000 to 2147483646", NULL);
	expect_problem(f, 13, 21, "[hashing] opslimit", "duplicate", "line 12", NULL);
}

static void test_numbers_syntax(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
		"", "+5", "-0", "5x", "0x10", "1e3", "5 5", "10.0", "５", "12M", "\"12\"",
		"18446744073709551616", "4294967297",
	};
	char text[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[password]\nmin_length = %s\n", bad[i]);
		expect_rejected(f, text);
		expect_count(f, 1);
		expect_problem(f, 0, 2, "[password] min_length", "must be a number from 4 to 1024", NULL);
	}
	assert_int_equal(load(f, "[password]\nmin_length = 0012\n"), 0);
	assert_int_equal(f->c.password.min_length, 12);
}

static void test_numbers_at_bounds(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "[password]\nmin_length = 4\nmax_bytes = 16\nhistory = 0\nmin_score = 0\n"
			      "reject_sequences = 0\nreject_repeats = 16\n"
			      "[lockout]\nfailures = 1\n"
			      "[hashing]\nopslimit = 1\nworkers = 0\nqueue = 1\n"
			      "[daemon]\nmax_staff = 0\nuid_min = 1000\nuid_max = 60000\n"), 0);
	expect_no_problems(f);
	assert_int_equal(f->c.password.min_length, 4);
	assert_int_equal(f->c.password.max_bytes, 16);
	assert_int_equal(f->c.password.reject_sequences, 0);
	assert_int_equal(f->c.password.reject_repeats, 16);
	assert_int_equal(f->c.lockout_failures, 1);
	assert_true(f->c.opslimit == 1);
	assert_int_equal(f->c.hash_queue, 1);
	assert_int_equal(f->c.uid_min, 1000);
	assert_int_equal(f->c.uid_max, 60000);

	assert_int_equal(load(f, "[password]\nmin_length = 1024\nmax_bytes = 4096\nhistory = 24\nmin_score = 4\n"
			      "reject_sequences = 3\nreject_repeats = 3\n"
			      "[lockout]\nfailures = 100\n"
			      "[hashing]\nopslimit = 10\nworkers = 256\nqueue = 100000\n"
			      "[daemon]\nmax_staff = 1000000\nuid_min = 65536\nuid_max = 2147483646\n"), 0);
	expect_no_problems(f);
	assert_int_equal(f->c.password.min_length, 1024);
	assert_int_equal(f->c.password.max_bytes, 4096);
	assert_int_equal(f->c.lockout_failures, 100);
	assert_true(f->c.opslimit == 10);
	assert_int_equal(f->c.hash_workers, 256);
	assert_int_equal(f->c.hash_queue, 100000);
	assert_int_equal(f->c.max_staff, 1000000);
	assert_int_equal(f->c.uid_min, 65536);
	assert_int_equal(f->c.uid_max, 2147483646);
}

static void test_sizes(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *text;
		unsigned long long bytes;
	} good[] = {
		{ "8M", 8 * MIB }, { "8m", 8 * MIB }, { "8388608", 8 * MIB }, { "8192K", 8 * MIB },
		{ "4G", 4 * GIB }, { "1g", GIB }, { "100M", 100 * MIB },
	};
	static const char text[] =
		"[hashing]\n"		/* 1 */
		"memlimit = 7M\n"	/* 2 */
		"[daemon]\n"		/* 3 */
		"map_size = 65G\n"	/* 4 */
		"[hashing]\n"		/* 5 */
		"workers = 2\n"		/* 6: fine */
		"queue = 64M\n";	/* 7: not a size */
	static const char *const bad[] = {
		"", "M", "64MB", "64 M", "64MiB", "1T", "-1M", "0x10M", "64M64", "4097M", "8388607", "1.5G",
	};
	char buf[128];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(buf, sizeof(buf), "[hashing]\nmemlimit = %s\n", good[i].text);
		assert_int_equal(load(f, buf), 0);
		assert_true(f->c.memlimit == good[i].bytes);
	}
	assert_int_equal(load(f, "[daemon]\nmap_size = 1M\n"), 0);
	assert_true(f->c.map_size == MIB);
	assert_int_equal(load(f, "[daemon]\nmap_size = 64G\n"), 0);
	assert_true(f->c.map_size == 64 * GIB);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "[hashing]\nmemlimit = %s\n", bad[i]);
		expect_rejected(f, buf);
		expect_count(f, 1);
		expect_problem(f, 0, 2, "[hashing] memlimit", "size from 8M to 4G", NULL);
	}
	expect_rejected(f, text);
	expect_count(f, 3);
	expect_problem(f, 0, 2, "[hashing] memlimit", "from 8M to 4G", NULL);
	expect_problem(f, 1, 4, "[daemon] map_size", "from 1M to 64G", NULL);
	expect_problem(f, 2, 7, "[hashing] queue", "number from 1 to 100000", NULL);
}

static void test_percentages(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = { "", "%", "51%", "51", "5 %", "5%%", "-1%", "5.5%", "5p", "0x5" };
	char buf[128];

	assert_int_equal(load(f, "[daemon]\nmap_reserve = 25%\nmap_warn = 100%\n"), 0);
	expect_no_problems(f);
	assert_int_equal(f->c.map_reserve, 25);
	assert_int_equal(f->c.map_warn, 100);
	assert_int_equal(load(f, "[daemon]\nmap_reserve = 0\nmap_warn = 1\n"), 0);
	assert_int_equal(f->c.map_reserve, 0);
	assert_int_equal(f->c.map_warn, 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "[daemon]\nmap_reserve = %s\n", bad[i]);
		expect_rejected(f, buf);
		expect_count(f, 1);
		expect_problem(f, 0, 2, "[daemon] map_reserve", "percentage from 0% to 50%", NULL);
	}
	expect_rejected(f, "[daemon]\nmap_warn = 0%\n");
	expect_problem(f, 0, 2, "[daemon] map_warn", "percentage from 1% to 100%", NULL);
}

static void test_durations(void **state)
{
	struct fixture *f = *state;
	static const char text[] =
		"[mail]\n"			/* 1 */
		"activation_ttl = 4m\n"		/* 2 */
		"reset_ttl = 31d\n"		/* 3 */
		"forgot_interval = 2d\n"	/* 4 */
		"[lockout]\n"			/* 5 */
		"unlock_time = 2592001\n";	/* 6 */
	static const char *const bad[] = { "", "1w", "5M", "1H", "1d1h", "1 h", "h", "-5m", "72h ago", "3.5h" };
	char buf[128];

	assert_int_equal(load(f, "[mail]\nactivation_ttl = 5m\nreset_ttl = 30d\nforgot_interval = 1d\n"
			      "[lockout]\nunlock_time = 2592000\n"), 0);
	expect_no_problems(f);
	assert_int_equal(f->c.activation_ttl, 300);
	assert_int_equal(f->c.reset_ttl, 30 * 86400);
	assert_int_equal(f->c.forgot_interval, 86400);
	assert_int_equal(f->c.unlock_time, 30 * 86400);

	assert_int_equal(load(f, "[mail]\nactivation_ttl = 300\nreset_ttl = 3600s\nforgot_interval = 0s\n"
			      "[lockout]\nunlock_time = 0\n"), 0);
	assert_int_equal(f->c.activation_ttl, 300);
	assert_int_equal(f->c.reset_ttl, 3600);
	assert_int_equal(f->c.forgot_interval, 0);
	assert_int_equal(f->c.unlock_time, 0);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "[mail]\nreset_ttl = %s\n", bad[i]);
		expect_rejected(f, buf);
		expect_count(f, 1);
		expect_problem(f, 0, 2, "[mail] reset_ttl", "duration from 5m to 30d", NULL);
	}
	expect_rejected(f, text);
	expect_count(f, 4);
	expect_problem(f, 0, 2, "[mail] activation_ttl", "from 5m to 30d", NULL);
	expect_problem(f, 1, 3, "[mail] reset_ttl", "from 5m to 30d", NULL);
	expect_problem(f, 2, 4, "[mail] forgot_interval", "from 0 to 1d", NULL);
	expect_problem(f, 3, 6, "[lockout] unlock_time", "from 0 to 30d", NULL);
}

static void test_paths(void **state)
{
	struct fixture *f = *state;
	char longest[108], too_long[109], buf[512];
	static const char text[] =
		"[daemon]\n"			/* 1 */
		"state_dir = var/lib/staffd\n"	/* 2 */
		"socket =\n"			/* 3 */
		"home_base = ~/home\n"		/* 4 */
		"shell = \"/bin/bash\"\n"	/* 5 */
		"userdb_socket = userdb.sock\n";/* 6 */

	/* sun_path holds 107 bytes and the NUL */
	memset(longest, 'a', sizeof(longest) - 1);
	longest[0] = '/';
	longest[sizeof(longest) - 1] = '\0';
	memset(too_long, 'a', sizeof(too_long) - 1);
	too_long[0] = '/';
	too_long[sizeof(too_long) - 1] = '\0';

	snprintf(buf, sizeof(buf), "[daemon]\nsocket = %s\nuserdb_socket = %s\n", longest, longest);
	assert_int_equal(load(f, buf), 0);
	assert_string_equal(f->c.socket_path, longest);
	assert_string_equal(f->c.userdb_socket, longest);

	snprintf(buf, sizeof(buf), "[daemon]\nsocket = %s\n\nuserdb_socket = %s\n", too_long, too_long);
	expect_rejected(f, buf);
	expect_count(f, 2);
	expect_problem(f, 0, 2, "[daemon] socket", "absolute path of at most 107 bytes", NULL);
	expect_problem(f, 1, 4, "[daemon] userdb_socket", "at most 107 bytes", "empty", NULL);

	expect_rejected(f, text);
	expect_count(f, 5);
	expect_problem(f, 0, 2, "[daemon] state_dir", "absolute path", NULL);
	expect_problem(f, 1, 3, "[daemon] socket", "absolute path", NULL);
	expect_problem(f, 2, 4, "[daemon] home_base", "absolute path", NULL);
	expect_problem(f, 3, 5, "[daemon] shell", "absolute path", "without quotes", NULL);
	expect_problem(f, 4, 6, "[daemon] userdb_socket", "absolute path", NULL);

	/* long paths are fine where no socket is involved */
	memset(buf, 'd', 300);
	buf[0] = '/';
	buf[300] = '\0';
	{
		char text2[600];

		snprintf(text2, sizeof(text2), "[daemon]\nstate_dir = %s\n", buf);
		assert_int_equal(load(f, text2), 0);
		assert_int_equal(strlen(f->c.state_dir), 300);
	}
}

static void test_mail_text(void **state)
{
	struct fixture *f = *state;
	static const char text[] =
		"[mail]\n"				/* 1 */
		"mail_from =\n"				/* 2 */
		"[mail]\n"				/* 3 */
		"sms_command = anything goes\n";	/* 4: fine */

	assert_int_equal(load(f, "[mail]\nmail_command =\nsms_command = /opt/sms/send --quiet\n"
			      "mail_from = \"Riverside\" <noreply@riverside.example>\n"), 0);
	expect_no_problems(f);
	assert_string_equal(f->c.mail_command, "");
	assert_string_equal(f->c.sms_command, "/opt/sms/send --quiet");
	assert_string_equal(f->c.mail_from, "\"Riverside\" <noreply@riverside.example>");

	expect_rejected(f, text);
	expect_count(f, 1);
	expect_problem(f, 0, 2, "[mail] mail_from", "non-empty line", NULL);

	/* a carriage return inside the value would start a new mail header */
	expect_rejected(f, "[mail]\nmail_from = staffd\rBcc: victim@example.org\n");
	expect_count(f, 1);
	expect_problem(f, 0, 2, "[mail] mail_from", "control characters", NULL);
	expect_rejected(f, "[mail]\nmail_from = staff\td\n");
	expect_problem(f, 0, 2, "[mail] mail_from", NULL);
	expect_rejected(f, "[daemon]\nhome_base = /ho\x01me\n");
	expect_problem(f, 0, 2, "[daemon] home_base", NULL);
}

static void test_user_names(void **state)
{
	struct fixture *f = *state;
	static const char *const good[] = { "staffd", "_staffd", "Debian-staff", "s.t_a-f9",
					    "abcdefghijklmnopqrstuvwxyz012345" };
	static const char *const bad[] = { "1staffd", "-staffd", ".staffd", "staff d", "st/aff", "staff:x",
					   "st\303\244ff", "\"staffd\"", "abcdefghijklmnopqrstuvwxyz0123456" };
	char buf[128];

	assert_int_equal(load(f, "[daemon]\nuser =\n"), 0);
	expect_no_problems(f);
	assert_string_equal(f->c.user, "");
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(buf, sizeof(buf), "[daemon]\nuser = %s\n", good[i]);
		assert_int_equal(load(f, buf), 0);
		expect_no_problems(f);
		assert_string_equal(f->c.user, good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "[daemon]\n\nuser = %s\n", bad[i]);
		expect_rejected(f, buf);
		expect_count(f, 1);
		expect_problem(f, 0, 3, "[daemon] user", "user name", "empty to stay root", NULL);
	}
	/* the last good value is still in place */
	assert_string_equal(f->c.user, good[sizeof(good) / sizeof(good[0]) - 1]);
}

/* --- structure --- */

static void test_unknown_names(void **state)
{
	struct fixture *f = *state;
	static const char text[] =
		"min_length = 12\n"		/* 1: before any section */
		"[password]\n"			/* 2 */
		"min_lenght = 12\n"		/* 3 */
		"Min_Length = 12\n"		/* 4: names are exact */
		"[mailer]\n"			/* 5 */
		"mail_from = x\n"		/* 6: under an unknown section: not reported again */
		"whatever = 1\n"		/* 7 */
		"[Daemon]\n"			/* 8 */
		"[lockout]\n"			/* 9 */
		"failures = 3\n"		/* 10: fine */
		"memlimit = 64M\n";		/* 11: a key of another section */

	expect_rejected(f, text);
	expect_count(f, 6);
	expect_problem(f, 0, 1, "min_length", "outside of any section", NULL);
	expect_problem(f, 1, 3, "[password] min_lenght", "unknown key", NULL);
	expect_problem(f, 2, 4, "[password] Min_Length", "unknown key", NULL);
	expect_problem(f, 3, 5, "[mailer]", "unknown section", NULL);
	expect_problem(f, 4, 8, "[Daemon]", "unknown section", NULL);
	expect_problem(f, 5, 11, "[lockout] memlimit", "unknown key", NULL);
}

static void test_duplicate_key(void **state)
{
	struct fixture *f = *state;
	static const char text[] =
		"[password]\n"			/* 1 */
		"min_length = 10\n"		/* 2 */
		"[lockout]\n"			/* 3 */
		"failures = 3\n"		/* 4 */
		"[password]\n"			/* 5 */
		"min_length = 10\n"		/* 6: even with the same value */
		"min_length = 11\n"		/* 7 */
		"[lockout]\n"			/* 8 */
		"failures = 4\n";		/* 9 */

	expect_rejected(f, text);
	expect_count(f, 3);
	expect_problem(f, 0, 6, "[password] min_length", "duplicate", "line 2", NULL);
	expect_problem(f, 1, 7, "[password] min_length", "duplicate", "line 2", NULL);
	expect_problem(f, 2, 9, "[lockout] failures", "duplicate", "line 4", NULL);
}

static void test_malformed_lines(void **state)
{
	struct fixture *f = *state;
	static const char text[] =
		"[daemon]\n"			/* 1 */
		"just some words\n"		/* 2 */
		"= /srv\n"			/* 3 */
		"[daemon\n"			/* 4: keys below are skipped */
		"shell = /bin/sh\n"		/* 5 */
		"[]\n"				/* 6 */
		"[da]mon]\n"			/* 7 */
		"[password] # comment\n"	/* 8 */
		"[password]\n"			/* 9 */
		"min_length 12\n"		/* 10 */
		"min_length = 12\n";		/* 11: fine */

	expect_rejected(f, text);
	expect_count(f, 7);
	expect_problem(f, 0, 2, "malformed line", NULL);
	expect_problem(f, 1, 3, "malformed line", "no key", NULL);
	expect_problem(f, 2, 4, "malformed section header", NULL);
	expect_problem(f, 3, 6, "section", NULL);
	expect_problem(f, 4, 7, "malformed section header", NULL);
	expect_problem(f, 5, 8, "malformed section header", NULL);
	expect_problem(f, 6, 10, "malformed line", NULL);
}

static void test_nul_byte(void **state)
{
	struct fixture *f = *state;
	static const char data[] = "[daemon]\nshell = /bin/sh\0/evil\nhome_base = /home\n";
	struct config before;

	snapshot(&before, &f->c);
	assert_int_equal(load_bytes(f, data, sizeof(data) - 1), -EINVAL);
	assert_memory_equal(&before, &f->c, sizeof(before));
	expect_count(f, 1);
	expect_problem(f, 0, 2, "NUL", NULL);
}

/* --- rules across keys --- */

static void test_uid_range(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *text;
		unsigned line;
		const char *fragment;
	} bad[] = {
		{ "[daemon]\nuid_min = 30000\nuid_max = 30000\n", 3, "must be lower than uid_max" },
		{ "[daemon]\nuid_max = 30000\n\nuid_min = 40000\n", 4, "must be lower than uid_max" },
		/* the other bound is the default (59999) */
		{ "[daemon]\n\nuid_min = 59999\n", 3, "must be lower than uid_max" },
		{ "[daemon]\nuid_min = 60000\nuid_max = 61000\n", 3, "60001-60513" },
		{ "[daemon]\nuid_min = 60513\nuid_max = 61000\n", 3, "60001-60513" },
		{ "[daemon]\nuid_min = 60514\nuid_max = 61184\n", 3, "61184-65519" },
		{ "[daemon]\nuid_min = 65519\nuid_max = 65520\n", 3, "61184-65519" },
		{ "[daemon]\nuid_min = 65520\nuid_max = 70000\n", 3, "65534-65535" },
		{ "[daemon]\nuid_max = 2147483646\nuid_min = 1000\n", 3, "60001-60513" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		expect_rejected(f, bad[i].text);
		expect_count(f, 1);
		expect_problem(f, 0, bad[i].line, "uid_min", "uid_max", bad[i].fragment, NULL);
	}
	/* ranges right up to the reserved ones */
	assert_int_equal(load(f, "[daemon]\nuid_min = 60514\nuid_max = 61183\n"), 0);
	assert_int_equal(load(f, "[daemon]\nuid_min = 65520\nuid_max = 65533\n"), 0);
	assert_int_equal(load(f, "[daemon]\nuid_min = 65536\nuid_max = 65537\n"), 0);
	expect_no_problems(f);
	assert_int_equal(f->c.uid_min, 65536);
}

/* A bad bound is reported once, not again by the rule that spans both. */
static void test_uid_range_bad_bound(void **state)
{
	struct fixture *f = *state;

	expect_rejected(f, "[daemon]\nuid_min = 30000x\nuid_max = 30000\n");
	expect_count(f, 1);
	expect_problem(f, 0, 2, "[daemon] uid_min", "number", NULL);
}

/* Values the caller put in before the file are checked too, against no line. */
static void test_cross_check_line_zero(void **state)
{
	struct fixture *f = *state;

	f->c.uid_min = 59999;
	expect_rejected(f, "[mail]\nreset_ttl = 1h\n");
	expect_count(f, 1);
	expect_problem(f, 0, 0, "uid_min", "uid_max", NULL);
}

static void test_password_lengths(void **state)
{
	struct fixture *f = *state;

	expect_rejected(f, "[password]\nmin_length = 100\nmax_bytes = 50\n");
	expect_count(f, 1);
	expect_problem(f, 0, 3, "min_length", "max_bytes", "at least", NULL);

	expect_rejected(f, "[password]\nmax_bytes = 16\n\n\nmin_length = 17\n");
	expect_count(f, 1);
	expect_problem(f, 0, 5, "min_length", "max_bytes", NULL);

	/* the other bound is the default (1024) */
	assert_int_equal(load(f, "[password]\nmin_length = 1024\n"), 0);
	expect_rejected(f, "[password]\nmax_bytes = 1023\n");
	expect_problem(f, 0, 2, "max_bytes", NULL);
	assert_int_equal(load(f, "[password]\nmax_bytes = 1024\nmin_length = 1024\n"), 0);
}

/* --- failure leaves everything as it was --- */

static void test_failure_keeps_struct(void **state)
{
	struct fixture *f = *state;
	struct config before;

	assert_int_equal(load(f, "[daemon]\nstate_dir = /srv/a\n[password]\nmin_length = 12\n"), 0);
	snapshot(&before, &f->c);
	assert_int_equal(load(f, "[daemon]\nstate_dir = /srv/b\nshell = /bin/zsh\n"
			      "[password]\nmin_length = 14\nhistory = 25\n[hashing]\nmemlimit = 128M\n"), -EINVAL);
	expect_count(f, 1);
	expect_problem(f, 0, 6, "[password] history", NULL);
	assert_memory_equal(&before, &f->c, sizeof(before));
	assert_string_equal(f->c.state_dir, "/srv/a");
	assert_string_equal(f->c.shell, "/bin/bash");
	assert_int_equal(f->c.password.min_length, 12);
	assert_true(f->c.memlimit == 64 * MIB);
}

static void test_no_callback(void **state)
{
	struct fixture *f = *state;
	struct config before;

	snapshot(&before, &f->c);
	write_bytes(f->path, "[password]\nmin_length = 1\n", 26, 0600);
	assert_int_equal(config_load(&f->c, f->path, NULL, NULL), -EINVAL);
	assert_memory_equal(&before, &f->c, sizeof(before));
	write_bytes(f->path, "[password]\nmin_length = 10\n", 27, 0600);
	assert_int_equal(config_load(&f->c, f->path, NULL, NULL), 0);
	assert_int_equal(f->c.password.min_length, 10);
}

/* --- files --- */

static void test_missing_file(void **state)
{
	struct fixture *f = *state;
	struct config before;
	char path[192];

	snapshot(&before, &f->c);
	snprintf(path, sizeof(path), "%s/nonexistent.conf", f->dir);
	assert_int_equal(config_load(&f->c, path, collect, f), -ENOENT);
	expect_count(f, 0);
	assert_memory_equal(&before, &f->c, sizeof(before));

	assert_int_equal(config_load(&f->c, f->dir, collect, f), -EISDIR);
	expect_count(f, 0);
	assert_memory_equal(&before, &f->c, sizeof(before));
}

static void test_world_writable(void **state)
{
	struct fixture *f = *state;
	struct config before;
	static const char text[] = "[mail]\nmail_command = /bin/true\n";

	snapshot(&before, &f->c);
	write_bytes(f->path, text, sizeof(text) - 1, 0666);
	assert_int_equal(config_load(&f->c, f->path, collect, f), -EINVAL);
	expect_count(f, 1);
	expect_problem(f, 0, 0, "writable by everyone", NULL);
	assert_memory_equal(&before, &f->c, sizeof(before));

	/* a device such as /dev/null is not a file anyone can edit */
	f->n = 0;
	assert_int_equal(config_load(&f->c, "/dev/null", collect, f), 0);
	expect_count(f, 0);
}

static char *read_file(const char *path)
{
	FILE *in = fopen(path, "r");
	char *data;
	long len;

	if (!in)
		fail_msg("cannot open %s (set TOPDIR to the source tree)", path);
	assert_int_equal(fseek(in, 0, SEEK_END), 0);
	len = ftell(in);
	assert_true(len >= 0);
	assert_int_equal(fseek(in, 0, SEEK_SET), 0);
	data = malloc((size_t)len + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)len, in), (size_t)len);
	data[len] = '\0';
	fclose(in);
	return data;
}

static void shipped_path(char *buf, size_t size, const char *name)
{
	const char *top = getenv("TOPDIR");

	snprintf(buf, size, "%s/conf/%s", top && *top ? top : ".", name);
}

static void test_shipped_conf(void **state)
{
	struct fixture *f = *state;
	struct config defaults;
	char path[4096];
	char *text, *out, *o;
	size_t settings = 0;

	shipped_path(path, sizeof(path), "staffd.conf");
	assert_int_equal(config_defaults(&defaults), 0);
	assert_int_equal(config_load(&f->c, path, collect, f), 0);
	expect_no_problems(f);
	assert_config_equal(&f->c, &defaults, true);

	/* Uncommented, the example's "#key = value" lines must be exactly the defaults, every key once. */
	text = read_file(path);
	out = malloc(strlen(text) + 1);
	assert_non_null(out);
	o = out;
	for (const char *line = text; *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) + 1 : strlen(line);

		if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z' && memchr(line, '=', len)) {
			line++;
			len--;
			settings++;
		}
		memcpy(o, line, len);
		o += len;
		line += len;
	}
	*o = '\0';
	free(text);
	assert_int_equal(settings, N_KEYS);
	assert_int_equal(load(f, out), 0);
	free(out);
	expect_no_problems(f);
	/* state_dir and socket follow the build's directories; the file shows the usual ones */
	assert_config_equal(&f->c, &defaults, false);
	assert_string_equal(f->c.state_dir, "/var/lib/staffd");
	assert_string_equal(f->c.socket_path, "/run/staffd/io.practice.Staff");
	config_free(&defaults);
}

/* What "make run" writes: the template with its placeholders filled in. */
static void test_run_template(void **state)
{
	struct fixture *f = *state;
	struct config defaults;
	char path[4096], *text, *out;
	size_t n = 0;
	static const struct {
		const char *from, *to;
	} subst[] = {
		{ "@STATE_DIR@", "/home/dev/staffd/run/state" },
		{ "@SOCKET@", "/home/dev/staffd/run/staffd.sock" },
		{ "@MAIL_COMMAND@", "/home/dev/staffd/tools/mail-to-dir /home/dev/staffd/run/mail" },
		{ "@USERDB_SOCKET@", "" },	/* make run without USERDB=yes */
	};

	shipped_path(path, sizeof(path), "staffd-run.conf.in");
	text = read_file(path);
	out = malloc(strlen(text) + 512);
	assert_non_null(out);
	for (const char *p = text; *p;) {
		size_t i;

		for (i = 0; i < sizeof(subst) / sizeof(subst[0]); i++)
			if (strncmp(p, subst[i].from, strlen(subst[i].from)) == 0)
				break;
		if (i < sizeof(subst) / sizeof(subst[0])) {
			n += (size_t)sprintf(out + n, "%s", subst[i].to);
			p += strlen(subst[i].from);
		} else
			out[n++] = *p++;
	}
	out[n] = '\0';
	free(text);
	assert_null(strchr(out, '@'));

	assert_int_equal(config_defaults(&defaults), 0);
	assert_int_equal(load(f, out), 0);
	free(out);
	expect_no_problems(f);
	assert_string_equal(f->c.state_dir, subst[0].to);
	assert_string_equal(f->c.socket_path, subst[1].to);
	assert_string_equal(f->c.mail_command, subst[2].to);
	assert_string_equal(f->c.userdb_socket, "");
	/* make run keeps the user who ran it: run/ is that user's */
	assert_string_equal(f->c.user, "");
	/* everything else stays at its default */
	assert_string_equal(f->c.mail_from, defaults.mail_from);
	assert_int_equal(f->c.password.min_length, defaults.password.min_length);
	assert_int_equal(f->c.uid_min, defaults.uid_min);
	assert_true(f->c.memlimit == defaults.memlimit);
	config_free(&defaults);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_free, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_file_keeps_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_over_previous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bom_crlf_and_section_reopened, setup, teardown),
		cmocka_unit_test_setup_teardown(test_booleans, setup, teardown),
		cmocka_unit_test_setup_teardown(test_numbers_out_of_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_numbers_syntax, setup, teardown),
		cmocka_unit_test_setup_teardown(test_numbers_at_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_percentages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_durations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mail_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nul_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uid_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uid_range_bad_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cross_check_line_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_password_lengths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_keeps_struct, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_world_writable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shipped_conf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_template, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
