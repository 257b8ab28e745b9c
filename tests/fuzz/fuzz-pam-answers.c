/*
 * Fuzz target for the PAM module's conversation: what the person types at
 * its prompts and what staffd answers (pam_practice/answers.c and the
 * flows in pam_practice.c, account.c and password.c), through libpam and
 * the built module ($PAM_MODULE, as for the PAM tests; tests/run and make
 * fuzz set it), on a service file in a temporary directory. A thread in
 * this process plays staffd on a socket there.
 *
 * Input: one selector byte, then chunks separated by NUL. The first chunk
 * is the user name; the others are taken in the order the module needs
 * them: the answer to each prompt, or staffd's reply to each call (sent as
 * one frame). An empty chunk as a reply closes the connection unanswered;
 * as an answer it is an empty line. "\x01" fails the conversation, "\x02"
 * answers without a response. Past the last chunk the conversation fails
 * and staffd closes.
 *   bits 0-1  0 auth, 1 account, 2 password change (both passes),
 *             3 auth then account then, when required, the password change
 *   bit 2     silent    bit 3  pin    bit 4  codeword=always
 *   bit 5     try_first_pass (nothing stacked before sets a password: it asks)
 *   bit 6     location= and require=    bit 7  retry=1 and debug
 *
 * Checked: nothing succeeds without staffd's yes to the call that decides
 * it; every prompt hides what is typed; with silent, nobody is told that
 * an account is locked or deactivated; every call the module sends is a
 * well-formed Varlink call to a method it uses, and CheckAccount carries
 * no secret.
 *
 * With FUZZ_TRACE set, the conversation, the calls and the results are
 * shown on standard error.
 *
 * The module trusts only a socket owned by root and served by root (or the
 * daemon's user): run as another user, every call is refused before it is
 * made and only that path is exercised.
 */
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <security/pam_appl.h>
#include <security/pam_ext.h>

#include "staff-protocol.h"
#include "varlink.h"
#include "json-fields.h"
#include "../../pam_practice/answers.h"
#include "fixture.h"

#define FUZZ_INPUT_MAX (16 * 1024)
#define REQUEST_MAX (STAFF_FRAME_MAX + 1)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input being played, shared with the staffd thread. */
static struct {
	pthread_mutex_t lock;
	const char *next, *end;	/* chunks not taken yet */
	char last_method[64];	/* the call answered last */
	bool last_ok;		/* its reply decoded and was no error */
	char *last_result;	/* Authenticate's "result" */
	bool last_code_refusal;	/* CheckAccount: NotActivated or Locked */
	bool silent;
	char dir[4096], socket[sizeof(((struct sockaddr_un *)0)->sun_path)];
	pthread_t thread;
	int listen_fd;
} play = { .lock = PTHREAD_MUTEX_INITIALIZER, .listen_fd = -1 };

/* pam_syslog would send every malformed answer to the system log: format it, keep it here. */
void pam_syslog(const pam_handle_t *pamh, int priority, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	(void)pamh;
	(void)priority;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
}

void pam_vsyslog(const pam_handle_t *pamh, int priority, const char *fmt, va_list args)
{
	char buf[1024];

	(void)pamh;
	(void)priority;
	vsnprintf(buf, sizeof(buf), fmt, args);
}

/*
 * libpam reports every sign-in to the kernel's audit log (as root) and
 * looks up the remote host for it: millions of made-up logins must not
 * reach the machine's audit trail. Audit "not compiled into the kernel" is
 * an answer libpam takes quietly.
 */
int audit_open(void);

int audit_open(void)
{
	errno = EPROTONOSUPPORT;
	return -1;
}

/* The next chunk (NUL-terminated in the input, or its end), or NULL when none is left. */
static void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void trace(const char *fmt, ...)
{
	va_list ap;

	if (!getenv("FUZZ_TRACE"))
		return;
	va_start(ap, fmt);
	vdprintf(STDERR_FILENO, fmt, ap);
	va_end(ap);
}

static const char *take_chunk(size_t *len)
{
	const char *c = NULL, *nul;

	pthread_mutex_lock(&play.lock);
	if (play.next < play.end) {
		c = play.next;
		nul = memchr(c, '\0', (size_t)(play.end - c));
		*len = nul ? (size_t)(nul - c) : (size_t)(play.end - c);
		play.next = nul ? nul + 1 : play.end;
	}
	pthread_mutex_unlock(&play.lock);
	return c;
}

/* ---- staffd ---- */

static void check_request(const char *frame, size_t len, struct varlink_call *vc)
{
	static const char *const methods[] = { "Authenticate", "CheckAccount", "ChangePassword", "PolicyCheck" };
	static const struct json_field check_account[] = {
		{ "username", JF_STRING, true, false },
		{ "location", JF_STRING, false, false },
		{ "require", JF_STRING, false, false },
		{ NULL, 0, false, false },
	};
	const char *bad = NULL;
	size_t i;

	if (varlink_call_decode(frame, len, vc, &bad) < 0)
		fixture_fail("the module sent a call that does not decode (%s)", bad ? bad : "?");
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strncmp(vc->method, STAFF_INTERFACE ".", strlen(STAFF_INTERFACE) + 1) == 0 &&
		    strcmp(vc->method + strlen(STAFF_INTERFACE) + 1, methods[i]) == 0)
			break;
	if (i == sizeof(methods) / sizeof(methods[0]) || vc->more || vc->oneway)
		fixture_fail("the module called %s", vc->method);
	if (strcmp(vc->method, STAFF_METHOD("CheckAccount")) == 0 && json_fields_check(vc->parameters, check_account, &bad) < 0)
		fixture_fail("CheckAccount carries %s", bad ? bad : "something else");
}

/* Remembers what the module was told, for the checks on its result. */
static void note_reply(const char *method, const char *frame, size_t len)
{
	struct varlink_reply reply = { 0 };
	bool ok = len > 0 && varlink_reply_decode(frame, len, &reply, NULL) == 0;

	pthread_mutex_lock(&play.lock);
	snprintf(play.last_method, sizeof(play.last_method), "%s", method);
	play.last_ok = ok && !reply.error && !reply.continues;
	free(play.last_result);
	play.last_result = NULL;
	if (play.last_ok && json_get_str(reply.parameters, "result"))
		play.last_result = strdup(json_get_str(reply.parameters, "result"));
	play.last_code_refusal = ok && reply.error &&
				 (strcmp(reply.error, STAFF_ERROR("NotActivated")) == 0 ||
				  strcmp(reply.error, STAFF_ERROR("Locked")) == 0);
	pthread_mutex_unlock(&play.lock);
	if (ok)
		varlink_reply_clear(&reply);
}

static void serve_one(int fd)
{
	char *buf = malloc(REQUEST_MAX);
	struct varlink_call vc = { 0 };
	size_t have = 0, frame_len = 0, len = 0;
	const char *reply;

	if (!buf)
		fixture_fail("out of memory");
	while (varlink_frame_next(buf, have, REQUEST_MAX, &frame_len) == 0 && have < REQUEST_MAX) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		/* The module writes its call at once; a stall is the module's bug. */
		if (poll(&p, 1, 10000) <= 0)
			fixture_fail("the module stopped in the middle of a call");
		n = read(fd, buf + have, REQUEST_MAX - have);
		if (n <= 0) {
			free(buf);
			return;	/* it gave up (too long a secret, say) */
		}
		have += (size_t)n;
	}
	if (varlink_frame_next(buf, have, REQUEST_MAX, &frame_len) != 1)
		fixture_fail("the module sent a call larger than a frame");
	check_request(buf, frame_len - 1, &vc);
	reply = take_chunk(&len);
	trace("  staffd: %s -> %.*s\n", vc.method, reply ? (int)len : 6, reply ? reply : "(none)");
	note_reply(vc.method, reply, reply ? len : 0);
	if (reply && len > 0) {
		/* Every reply goes as one frame: the chunk and its NUL. */
		if (send(fd, reply, len, MSG_NOSIGNAL) != (ssize_t)len || send(fd, "", 1, MSG_NOSIGNAL) != 1) {
			/* the module closed first */
		}
	}
	explicit_bzero(buf, have);
	free(buf);
	varlink_call_clear(&vc);
}

static void *serve(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept4(play.listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return NULL;
		}
		serve_one(fd);
		close(fd);
	}
}

static void start_staffd(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	fixture_tempdir(play.dir, sizeof(play.dir));
	if ((size_t)snprintf(play.socket, sizeof(play.socket), "%s/staffd.sock", play.dir) >= sizeof(play.socket))
		fixture_fail("%s: too long a path for a socket (set TMPDIR)", play.dir);
	memcpy(sa.sun_path, play.socket, strlen(play.socket) + 1);
	play.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (play.listen_fd < 0 || bind(play.listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(play.listen_fd, 8) < 0)
		fixture_fail("socket %s: %s", play.socket, strerror(errno));
	if (pthread_create(&play.thread, NULL, serve, NULL) != 0)
		fixture_fail("cannot start the staffd thread");
	pthread_detach(play.thread);
}

/* ---- the person at the keyboard ---- */

static int converse(int n, const struct pam_message **msg, struct pam_response **resp, void *appdata)
{
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	(void)appdata;
	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		const char *text = msg[i]->msg;

		if (!text)
			fixture_fail("a message without text");
		trace("  %s %s\n", msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ? "prompt" : "message", text);
		switch (msg[i]->msg_style) {
		case PAM_ERROR_MSG:
		case PAM_TEXT_INFO:
			if (play.silent && (strcmp(text, PP_MSG_LOCKED) == 0 || strcmp(text, PP_MSG_INACTIVE) == 0))
				fixture_fail("with silent, the module said: %s", text);
			break;
		case PAM_PROMPT_ECHO_OFF: {
			size_t len = 0;
			const char *answer = take_chunk(&len);

			if (!answer || (len == 1 && answer[0] == '\x01')) {
				for (int j = 0; j < i; j++)
					free(r[j].resp);
				free(r);
				return PAM_CONV_ERR;
			}
			if (!(len == 1 && answer[0] == '\x02')) {
				r[i].resp = strndup(answer, len);
				if (!r[i].resp)
					fixture_fail("out of memory");
			}
			break;
		}
		default:
			/* Everything the module asks is a secret or a code: never shown as typed. */
			fixture_fail("a prompt that shows what is typed: %s", text);
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* ---- the module ---- */

static bool decided_yes(const char *method)
{
	bool yes;

	pthread_mutex_lock(&play.lock);
	yes = play.last_ok && strcmp(play.last_method, method) == 0;
	pthread_mutex_unlock(&play.lock);
	return yes;
}

static void forget_replies(void)
{
	pthread_mutex_lock(&play.lock);
	play.last_method[0] = '\0';
	play.last_ok = false;
	play.last_code_refusal = false;
	free(play.last_result);
	play.last_result = NULL;
	pthread_mutex_unlock(&play.lock);
}

static int run_auth(pam_handle_t *pamh)
{
	int r;

	forget_replies();
	r = pam_authenticate(pamh, 0);
	if (r == PAM_SUCCESS && !decided_yes(STAFF_METHOD("Authenticate")))
		fixture_fail("authenticated without staffd's yes");
	return r;
}

static int run_account(pam_handle_t *pamh)
{
	bool yes, code;
	int r;

	forget_replies();
	r = pam_acct_mgmt(pamh, 0);
	pthread_mutex_lock(&play.lock);
	code = play.last_code_refusal;
	pthread_mutex_unlock(&play.lock);
	yes = decided_yes(STAFF_METHOD("CheckAccount"));
	if ((r == PAM_SUCCESS && !yes) || (r == PAM_NEW_AUTHTOK_REQD && !yes && !code))
		fixture_fail("the account was let in without staffd's yes");
	return r;
}

static int run_password(pam_handle_t *pamh)
{
	int r;

	forget_replies();
	r = pam_chauthtok(pamh, 0);
	if (r == PAM_SUCCESS && !decided_yes(STAFF_METHOD("ChangePassword")))
		fixture_fail("the password was changed without staffd's yes");
	return r;
}

/* Loads the module once for good: libpam opens and closes it with every
 * handle, and libFuzzer cannot follow code that comes and goes. */
static const char *module_path(void)
{
	static const char *path;

	if (!path) {
		path = getenv("PAM_MODULE");
		if (!path || !*path)
			fixture_fail("PAM_MODULE must name the built pam_practice.so (tests/run and make fuzz set it)");
		if (!dlopen(path, RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE))
			fixture_fail("%s: %s", path, dlerror());
	}
	return path;
}

/* The service file: the module in every phase, with the options the selector picks. */
static void write_service(const char *path, unsigned selector)
{
	static const char *const phases[] = { "auth", "account", "password" };
	char args[512];
	FILE *f;

	snprintf(args, sizeof(args), "socket=%s timeout=10000%s%s%s%s%s%s", play.socket,
		 selector & 0x04 ? " silent" : "", selector & 0x08 ? " pin" : "",
		 selector & 0x10 ? " codeword=always" : "", selector & 0x20 ? " try_first_pass" : "",
		 selector & 0x40 ? " location=Main require=clinical.charts" : "",
		 selector & 0x80 ? " retry=1 debug" : "");
	f = fopen(path, "we");
	if (!f)
		fixture_fail("cannot write %s: %s", path, strerror(errno));
	for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++)
		fprintf(f, "%s required %s %s\n", phases[i], module_path(), args);
	if (fclose(f) != 0)
		fixture_fail("cannot write %s", path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char service[] = "fuzz";
	static char service_path[4096 + 16];
	struct pam_conv conv = { converse, NULL };
	const char *user;
	pam_handle_t *pamh = NULL;
	unsigned selector;
	size_t ulen;
	char *user_copy;
	int r;

	if (size < 1 || size > FUZZ_INPUT_MAX)
		return 0;
	if (play.listen_fd < 0) {
		start_staffd();
		snprintf(service_path, sizeof(service_path), "%s/%s", play.dir, service);
	}
	selector = data[0];
	write_service(service_path, selector);
	pthread_mutex_lock(&play.lock);
	play.next = (const char *)data + 1;
	play.end = (const char *)data + size;
	play.silent = selector & 0x04;
	pthread_mutex_unlock(&play.lock);

	user = take_chunk(&ulen);
	user_copy = strndup(user ? user : "", user ? ulen : 0);
	if (!user_copy)
		fixture_fail("out of memory");

	r = pam_start_confdir(service, user_copy, &conv, play.dir, &pamh);
	if (r != PAM_SUCCESS)
		fixture_fail("pam_start_confdir: %d", r);
	pam_set_item(pamh, PAM_TTY, "tty1");
	pam_set_item(pamh, PAM_RHOST, "192.0.2.3");

	switch (selector & 3) {
	case 0:
		r = run_auth(pamh);
		break;
	case 1:
		r = run_account(pamh);
		break;
	case 2:
		r = run_password(pamh);
		break;
	default:
		r = run_auth(pamh);
		if (r == PAM_SUCCESS)
			r = run_account(pamh);
		if (r == PAM_NEW_AUTHTOK_REQD)
			r = run_password(pamh);
		break;
	}
	trace("  result %s\n", pam_strerror(pamh, r));
	pam_end(pamh, r);
	forget_replies();
	free(user_copy);
	return 0;
}
