/* Tests for pam_practice/staffd-call.c: what the module writes to the
 * system log about a call, with a user name as sshd or login hands it over. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <cmocka.h>
#include <security/pam_appl.h>

#include "../../pam_practice/options.h"
#include "../../pam_practice/staffd-call.h"

static int no_conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	(void)n;
	(void)msg;
	(void)resp;
	(void)data;
	return PAM_CONV_ERR;
}

/* Runs pp_debug_outcome() for user with syslog copied to stderr; returns what it printed. */
static char *debug_line(const char *user, const char *error, bool debug)
{
	struct pam_conv conv = { no_conv, NULL };
	struct varlink_reply reply = { .error = (char *)error };
	struct pp_options o = { .debug = debug };
	char dir[] = "/tmp/test-pam-call.XXXXXX", path[2][64];
	pam_handle_t *pamh = NULL;
	FILE *f = tmpfile();
	char *out = calloc(1, 4096);
	int saved = dup(STDERR_FILENO);

	assert_non_null(f);
	assert_non_null(out);
	assert_non_null(mkdtemp(dir));
	/* The service and PAM's fallback "other", so that PAM has nothing to say. */
	for (int i = 0; i < 2; i++) {
		snprintf(path[i], sizeof(path[i]), "%s/%s", dir, i ? "other" : "svc");
		FILE *svc = fopen(path[i], "w");
		assert_non_null(svc);
		fputs("auth required pam_permit.so\n", svc);
		fclose(svc);
	}
	assert_int_equal(pam_start_confdir("svc", "someone", &conv, dir, &pamh), PAM_SUCCESS);

	/* LOG_PERROR: a copy of each message on stderr, which is the file here. */
	openlog("test-pam-call", LOG_PERROR, LOG_AUTHPRIV);
	fflush(stderr);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	pp_debug_outcome(pamh, &o, "Authenticate", user, &reply, "accepted");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	openlog("test-pam-call", 0, LOG_AUTHPRIV);
	closelog();

	rewind(f);
	assert_true(fread(out, 1, 4095, f) < 4095);
	fclose(f);
	pam_end(pamh, PAM_SUCCESS);
	unlink(path[0]);
	unlink(path[1]);
	rmdir(dir);
	return out;
}

static void test_debug_name_escaped(void **state)
{
	char *out;
	size_t lines = 0;

	(void)state;
	out = debug_line("x\nroot: \x1b[2KFORGED", "io.practice.Staff.NoSuchUser", true);
	/* One line: the name's newline and escape are text. */
	for (const char *p = out; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 1);
	assert_non_null(strstr(out, "Authenticate x\\x0aroot: \\x1b[2KFORGED: io.practice.Staff.NoSuchUser"));
	assert_null(strchr(out, '\x1b'));
	free(out);

	out = debug_line("jdoe", NULL, true);
	assert_non_null(strstr(out, "Authenticate jdoe: accepted"));
	free(out);

	/* Without debug: nothing. */
	out = debug_line("jdoe", NULL, false);
	assert_string_equal(out, "");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debug_name_escaped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
