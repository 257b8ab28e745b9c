/*
 * pam-driver: a PAM application for the tests. Runs the named phases of a
 * service read from a private directory (pam_start_confdir), answers every
 * prompt with the next line of standard input, and prints what the modules
 * said and what each phase returned:
 *
 *   pam-driver --confdir DIR --service NAME --user USER [--tty T] [--rhost H]
 *              [--silent] [--time] PHASE...   PHASE: auth, acct, chauthtok (or setcred)
 *
 *   PROMPT: Password:
 *   INFO: ...
 *   ERROR: ...
 *   auth=PAM_SUCCESS
 *
 * With --time, each phase's result line is followed by how long the call
 * took inside this process, in microseconds ("auth-us=123456"), so that
 * timing tests leave process start-up out.
 * A prompt left without an answer (standard input at its end) prints
 * "(no answer left)" and fails the conversation with PAM_CONV_ERR.
 * It stops after the first phase that fails, except that acct returning
 * PAM_NEW_AUTHTOK_REQD goes on to a following chauthtok, as login does.
 * Exit status: 0 when every phase succeeded (a required password change
 * included), 1 when one failed, 2 on a usage error.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <security/pam_appl.h>

#define CODE(x) { x, #x }

static const struct {
	int code;
	const char *name;
} codes[] = {
	CODE(PAM_SUCCESS), CODE(PAM_OPEN_ERR), CODE(PAM_SYMBOL_ERR), CODE(PAM_SERVICE_ERR),
	CODE(PAM_SYSTEM_ERR), CODE(PAM_BUF_ERR), CODE(PAM_PERM_DENIED), CODE(PAM_AUTH_ERR),
	CODE(PAM_CRED_INSUFFICIENT), CODE(PAM_AUTHINFO_UNAVAIL), CODE(PAM_USER_UNKNOWN), CODE(PAM_MAXTRIES),
	CODE(PAM_NEW_AUTHTOK_REQD), CODE(PAM_ACCT_EXPIRED), CODE(PAM_SESSION_ERR), CODE(PAM_CRED_UNAVAIL),
	CODE(PAM_CRED_EXPIRED), CODE(PAM_CRED_ERR), CODE(PAM_NO_MODULE_DATA), CODE(PAM_CONV_ERR),
	CODE(PAM_AUTHTOK_ERR), CODE(PAM_AUTHTOK_RECOVERY_ERR), CODE(PAM_AUTHTOK_LOCK_BUSY),
	CODE(PAM_AUTHTOK_DISABLE_AGING), CODE(PAM_TRY_AGAIN), CODE(PAM_IGNORE), CODE(PAM_ABORT),
	CODE(PAM_AUTHTOK_EXPIRED), CODE(PAM_MODULE_UNKNOWN), CODE(PAM_BAD_ITEM), CODE(PAM_CONV_AGAIN),
	CODE(PAM_INCOMPLETE),
};

static void code_print(const char *phase, int code)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].code == code) {
			printf("%s=%s\n", phase, codes[i].name);
			return;
		}
	printf("%s=%d\n", phase, code);
}

/* The next line of standard input without its newline, or NULL at the end. */
static char *read_answer(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, stdin);

	if (n < 0) {
		free(line);
		return NULL;
	}
	if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = '\0';
	return line;
}

static void free_responses(struct pam_response *resp, int n)
{
	for (int i = 0; i < n; i++)
		if (resp[i].resp) {
			memset(resp[i].resp, 0, strlen(resp[i].resp));
			free(resp[i].resp);
		}
	free(resp);
}

static int converse(int n, const struct pam_message **msg, struct pam_response **ret, void *data)
{
	struct pam_response *resp;

	(void)data;
	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	resp = calloc((size_t)n, sizeof(*resp));
	if (!resp)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		const char *text = msg[i]->msg ? msg[i]->msg : "";

		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
		case PAM_PROMPT_ECHO_ON:
			printf("PROMPT: %s\n", text);
			resp[i].resp = read_answer();
			if (!resp[i].resp) {
				printf("(no answer left)\n");
				free_responses(resp, n);
				return PAM_CONV_ERR;
			}
			break;
		case PAM_ERROR_MSG:
			printf("ERROR: %s\n", text);
			break;
		case PAM_TEXT_INFO:
			printf("INFO: %s\n", text);
			break;
		default:
			free_responses(resp, n);
			return PAM_CONV_ERR;
		}
	}
	fflush(stdout);
	*ret = resp;
	return PAM_SUCCESS;
}

static void usage(void)
{
	fprintf(stderr, "usage: pam-driver --confdir DIR --service NAME --user USER [--tty T] [--rhost H] "
			"[--silent] [--time] auth|acct|chauthtok|setcred...\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "confdir", required_argument, NULL, 'c' }, { "service", required_argument, NULL, 's' },
		{ "user", required_argument, NULL, 'u' },    { "tty", required_argument, NULL, 't' },
		{ "rhost", required_argument, NULL, 'r' },   { "silent", no_argument, NULL, 'q' },
		{ "time", no_argument, NULL, 'T' },          { NULL, 0, NULL, 0 },
	};
	const char *confdir = NULL, *service = NULL, *user = NULL, *tty = NULL, *rhost = NULL;
	struct pam_conv conv = { converse, NULL };
	pam_handle_t *pamh = NULL;
	bool change_due = false, ok = true, timed = false;
	int flags = 0, opt, r;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': confdir = optarg; break;
		case 's': service = optarg; break;
		case 'u': user = optarg; break;
		case 't': tty = optarg; break;
		case 'r': rhost = optarg; break;
		case 'q': flags |= (int)PAM_SILENT; break;
		case 'T': timed = true; break;
		default: usage(); return 2;
		}
	}
	if (!confdir || !service || !user || optind >= argc) {
		usage();
		return 2;
	}
	for (int i = optind; i < argc; i++)
		if (strcmp(argv[i], "auth") != 0 && strcmp(argv[i], "acct") != 0 && strcmp(argv[i], "chauthtok") != 0 &&
		    strcmp(argv[i], "setcred") != 0) {
			usage();
			return 2;
		}

	r = pam_start_confdir(service, user, &conv, confdir, &pamh);
	if (r != PAM_SUCCESS) {
		code_print("start", r);
		return 1;
	}
	if (tty)
		r = pam_set_item(pamh, PAM_TTY, tty);
	if (r == PAM_SUCCESS && rhost)
		r = pam_set_item(pamh, PAM_RHOST, rhost);
	if (r != PAM_SUCCESS) {
		code_print("start", r);
		ok = false;
	}
	for (int i = optind; ok && i < argc; i++) {
		const char *phase = argv[i];
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (strcmp(phase, "auth") == 0) {
			r = pam_authenticate(pamh, flags);
		} else if (strcmp(phase, "acct") == 0) {
			r = pam_acct_mgmt(pamh, flags);
			if (r == PAM_NEW_AUTHTOK_REQD && i + 1 < argc && strcmp(argv[i + 1], "chauthtok") == 0) {
				code_print(phase, r);
				change_due = true;
				continue;
			}
		} else if (strcmp(phase, "setcred") == 0) {
			r = pam_setcred(pamh, flags | (int)PAM_ESTABLISH_CRED);
		} else {
			r = pam_chauthtok(pamh, flags | (change_due ? (int)PAM_CHANGE_EXPIRED_AUTHTOK : 0));
			change_due = false;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		code_print(phase, r);
		if (timed)
			printf("%s-us=%lld\n", phase,
			       (long long)(t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000);
		ok = r == PAM_SUCCESS;
	}
	fflush(stdout);
	pam_end(pamh, r);
	return ok ? 0 : 1;
}
