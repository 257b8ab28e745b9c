/* lib/localfiles.c and staffd/localnames.c: passwd- and group-format files
 * read as files, sysusers.d declarations, reserved names, and the sentence
 * each refusal gives. Files are written into a temporary directory. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "localfiles.h"
#include "../../staffd/localnames.h"

struct fixture {
	char dir[64];
	char passwd[128], group[128], sysusers[128], sysusers2[128];
	const char *dirs[3];
	struct local_sources src;
	struct local_names *names;
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static const char passwd_text[] =
	"root:x:0:0:root:/root:/bin/bash\n"
	"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
	"# a comment:x:5:5::/:/bin/sh\n"
	"\n"
	"+nisuser::::::\n"
	"-\n"
	"no colon on this line\n"
	"  alice:x:1000:1000:Alice:/home/alice:/bin/bash\n"
	"carol:x:notanumber:1001::/home/carol:/bin/sh\n"
	"last-line-without-newline:x:1002:1002::/:/bin/sh";

static const char group_text[] =
	"root:x:0:\n"
	"adm:x:4:syslog\n"
	"alice:x:1000:\n"
	"clinicians:x:1500:alice\n";

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test-localnames-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->passwd, sizeof(f->passwd), "%s/passwd", f->dir);
	snprintf(f->group, sizeof(f->group), "%s/group", f->dir);
	snprintf(f->sysusers, sizeof(f->sysusers), "%s/sysusers.d", f->dir);
	snprintf(f->sysusers2, sizeof(f->sysusers2), "%s/missing.d", f->dir);
	write_file(f->passwd, passwd_text);
	write_file(f->group, group_text);
	assert_int_equal(mkdir(f->sysusers, 0755), 0);
	{
		char path[192];

		snprintf(path, sizeof(path), "%s/pkg.conf", f->sysusers);
		write_file(path, "# comment\n"
				 "u  sysacct  -  \"A system account\"  /  /usr/sbin/nologin\n"
				 "g\tsysgroup 777\n"
				 "u! lockedacct -\n"
				 "m sysacct membership-only\n"
				 "r - 500-900\n"
				 "u %b-specifier -\n");
		snprintf(path, sizeof(path), "%s/ignored.txt", f->sysusers);
		write_file(path, "u notaconf -\n");
	}
	f->dirs[0] = f->sysusers;
	f->dirs[1] = f->sysusers2;
	f->dirs[2] = NULL;
	f->src = (struct local_sources){ .passwd = f->passwd, .group = f->group, .sysusers_dirs = f->dirs };
	assert_int_equal(local_names_load(&f->src, &f->names), 0);
	*state = f;
	return 0;
}

static int rm_tree(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	local_names_free(f->names);
	rm_tree(f->dir);
	free(f);
	return 0;
}

/* ---- lib/localfiles.c ---- */

struct seen {
	char names[16][64];
	long long ids[16];
	int n;
};

static int collect(const char *name, size_t len, long long id, void *userdata)
{
	struct seen *s = userdata;

	assert_true(s->n < 16);
	snprintf(s->names[s->n], sizeof(s->names[0]), "%.*s", (int)len, name);
	s->ids[s->n++] = id;
	return 0;
}

static void scan_reads_entries_as_the_files_module_does(void **state)
{
	struct fixture *f = *state;
	struct seen s = { 0 };

	assert_int_equal(local_file_scan(f->passwd, collect, &s), 0);
	assert_int_equal(s.n, 5);
	assert_string_equal(s.names[0], "root");
	assert_int_equal(s.ids[0], 0);
	assert_string_equal(s.names[1], "daemon");
	assert_int_equal(s.ids[1], 1);
	assert_string_equal(s.names[2], "alice");	/* leading blanks skipped */
	assert_int_equal(s.ids[2], 1000);
	assert_string_equal(s.names[3], "carol");
	assert_int_equal(s.ids[3], -1);			/* not a number */
	assert_string_equal(s.names[4], "last-line-without-newline");
	assert_int_equal(s.ids[4], 1002);
}

static int stop_at_second(const char *name, size_t len, long long id, void *userdata)
{
	int *n = userdata;

	(void)name;
	(void)len;
	(void)id;
	return ++*n == 2 ? 7 : 0;
}

static void scan_stops_when_told(void **state)
{
	struct fixture *f = *state;
	int n = 0;

	assert_int_equal(local_file_scan(f->passwd, stop_at_second, &n), 7);
	assert_int_equal(n, 2);
}

static void has_matches_whole_names_only(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(local_file_has(f->passwd, "root"), 1);
	assert_int_equal(local_file_has(f->passwd, "alice"), 1);
	assert_int_equal(local_file_has(f->passwd, "last-line-without-newline"), 1);
	assert_int_equal(local_file_has(f->passwd, "roo"), 0);
	assert_int_equal(local_file_has(f->passwd, "roots"), 0);
	assert_int_equal(local_file_has(f->passwd, "nisuser"), 0);
	assert_int_equal(local_file_has(f->passwd, "+nisuser"), 0);
	assert_int_equal(local_file_has(f->passwd, "# a comment"), 0);
	assert_int_equal(local_file_has(f->passwd, ""), 0);
	assert_int_equal(local_file_has(f->group, "clinicians"), 1);
	assert_int_equal(local_file_has("/nonexistent/passwd", "root"), -ENOENT);
}

static void has_reads_lines_of_any_length(void **state)
{
	struct fixture *f = *state;
	size_t n = 100000;
	char *text = malloc(n + 64), path[160];

	assert_non_null(text);
	memset(text, 'g', n);
	memcpy(text + n, "::1::/:/bin/sh\nshort:x:2:2::/:/bin/sh\n", 39);
	snprintf(path, sizeof(path), "%s/long", f->dir);
	write_file(path, text);
	free(text);
	assert_int_equal(local_file_has(path, "short"), 1);
}

/* ---- staffd/localnames.c ---- */

static void check(const struct local_names *ln, const char *name, int want, const char *sentence)
{
	char why[256] = "";

	assert_int_equal(local_names_check(ln, name, why, sizeof(why)), want);
	if (sentence)
		assert_string_equal(why, sentence);
}

static void local_accounts_and_groups_are_refused(void **state)
{
	struct fixture *f = *state;

	check(f->names, "root", -EEXIST, "'root' is a local account of this machine; staff accounts cannot shadow it");
	/* In both files: the account is what matters. */
	check(f->names, "alice", -EEXIST, "'alice' is a local account of this machine; staff accounts cannot shadow it");
	check(f->names, "carol", -EEXIST, NULL);
	check(f->names, "clinicians", -EEXIST,
	      "'clinicians' is a local group of this machine; staff accounts cannot shadow it");
	check(f->names, "adm", -EEXIST, "'adm' is a local group of this machine; staff accounts cannot shadow it");
}

static void sysusers_declarations_are_refused(void **state)
{
	struct fixture *f = *state;

	check(f->names, "sysacct", -EEXIST,
	      "'sysacct' is a system account this machine declares (sysusers.d); staff accounts cannot shadow it");
	check(f->names, "sysgroup", -EEXIST, NULL);
	check(f->names, "lockedacct", -EEXIST, NULL);
	/* Memberships, ranges, specifiers and files not named *.conf declare nothing. */
	check(f->names, "membership-only", 0, NULL);
	check(f->names, "notaconf", 0, NULL);
}

static void reserved_names_are_refused_even_when_absent(void **state)
{
	struct fixture *f = *state;
	static const char *const absent[] = { "nobody", "sshd", "www-data", "sudo", "staffd", "staffd-link",
					      "_apt", "_chrony", "systemd-network", "systemd-anything", NULL };

	for (size_t i = 0; absent[i]; i++)
		check(f->names, absent[i], -EEXIST, NULL);
	check(f->names, "sshd", -EEXIST, "'sshd' is reserved for system accounts; staff accounts cannot shadow it");
	check(f->names, "practice-admins", -EEXIST,
	      "'practice-admins' is reserved for the groups staffd serves (practice-...); staff accounts cannot "
	      "take such names");
	check(f->names, "practice-front-desk", -EEXIST, NULL);
}

static void ordinary_names_are_free(void **state)
{
	struct fixture *f = *state;
	static const char *const names[] = { "jdoe", "hprov", "practice", "practiceadmin", "staffdx", "rooter",
					     "alice2", "systemd", "a", NULL };

	for (size_t i = 0; names[i]; i++)
		check(f->names, names[i], 0, NULL);
}

static void a_missing_passwd_file_is_an_error(void **state)
{
	struct fixture *f = *state;
	struct local_sources src = f->src;
	struct local_names *ln = NULL;

	src.passwd = "/nonexistent/passwd";
	assert_int_equal(local_names_load(&src, &ln), -ENOENT);
	assert_null(ln);
	src = f->src;
	src.group = "/nonexistent/group";
	assert_int_equal(local_names_load(&src, &ln), -ENOENT);
}

static void an_empty_machine_still_reserves(void **state)
{
	struct local_sources none = { NULL, NULL, NULL };
	struct local_names *ln = NULL;

	(void)state;
	assert_int_equal(local_names_load(&none, &ln), 0);
	check(ln, "root", -EEXIST, "'root' is reserved for system accounts; staff accounts cannot shadow it");
	check(ln, "jdoe", 0, NULL);
	local_names_free(ln);
}

static void the_system_files_know_root(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(local_name_check_system("root", why, sizeof(why)), -EEXIST);
	assert_string_equal(why, "'root' is a local account of this machine; staff accounts cannot shadow it");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(scan_reads_entries_as_the_files_module_does, setup, teardown),
		cmocka_unit_test_setup_teardown(scan_stops_when_told, setup, teardown),
		cmocka_unit_test_setup_teardown(has_matches_whole_names_only, setup, teardown),
		cmocka_unit_test_setup_teardown(has_reads_lines_of_any_length, setup, teardown),
		cmocka_unit_test_setup_teardown(local_accounts_and_groups_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(sysusers_declarations_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(reserved_names_are_refused_even_when_absent, setup, teardown),
		cmocka_unit_test_setup_teardown(ordinary_names_are_free, setup, teardown),
		cmocka_unit_test_setup_teardown(a_missing_passwd_file_is_an_error, setup, teardown),
		cmocka_unit_test(an_empty_machine_still_reserves),
		cmocka_unit_test(the_system_files_know_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
