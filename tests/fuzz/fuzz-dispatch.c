/*
 * Fuzz target for every io.practice.Staff and org.varlink.service method,
 * through the real dispatcher on a seeded temporary LMDB (fixture.c).
 *
 * Input: one selector byte, then Varlink call frames (NUL-separated, as on
 * the socket), each dispatched in turn from the same caller:
 *   bits 0-2  the caller: root, amy (admin), office (admin through the role),
 *             jdoe (staff), pend (pending), gone (deactivated), lockd
 *             (locked admin), an unknown uid
 *   bit 3     a writable file descriptor goes with each call (Backup)
 *   bit 4     a read-only one (with bit 3: a pipe)
 *   bit 5     the Argon2id parameters differ from the stored hashes' (rehash)
 *   bit 6     strict settings: seat limit reached, lock at the first
 *             failure, automatic unlock after a second
 *   bit 7     mail_command and sms_command set (they start a process each)
 *
 * Besides the fixture's protocol checks, the rules of DESIGN 8 and
 * docs/decisions.md are checked from the outside: a refusal commits nothing
 * unless it records a login attempt, and a caller that is not an
 * administrator succeeds only with the methods anyone may use, on its own
 * account where the method names one.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sodium.h>

#include "staff-protocol.h"
#include "varlink.h"
#include "json-fields.h"
#include "daemon.h"
#include "fixture.h"

#define FUZZ_INPUT_MAX (STAFF_FRAME_MAX + 1)
#define FUZZ_CALLS_MAX 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool method_is(const char *method, const char *name)
{
	size_t n = strlen(STAFF_INTERFACE);

	return strncmp(method, STAFF_INTERFACE ".", n + 1) == 0 && strcmp(method + n + 1, name) == 0;
}

/* A login attempt is recorded even when refused (docs/decisions.md). */
static bool records_attempts(const char *method)
{
	return method_is(method, "Authenticate") || method_is(method, "ChangePassword");
}

/* What a caller that is not an administrator may succeed with; own: only on its own account. */
static bool open_to_staff(const char *method, bool *own)
{
	static const char *const anyone[] = {
		"GetStatus", "PolicyShow", "PolicyCheck", "LocationList", "RoleList", "RoleShow", "ForgotPassword",
	};
	static const char *const self[] = {
		"UserShow", "UserEdit", "UserSetPin", "Authenticate", "ChangePassword", "CheckAccount",
	};

	*own = false;
	if (strncmp(method, "org.varlink.service.", 20) == 0)
		return true;
	for (size_t i = 0; i < sizeof(anyone) / sizeof(anyone[0]); i++)
		if (method_is(method, anyone[i]))
			return true;
	*own = true;
	for (size_t i = 0; i < sizeof(self) / sizeof(self[0]); i++)
		if (method_is(method, self[i]))
			return true;
	return false;
}

/* A oneway call's answer is not seen: only what it changed is checked. */
static void check_rules(enum fixture_caller who, const char *method, const json_t *params, bool oneway,
			const struct fixture_result *r)
{
	const char *username = json_get_str(params, "username"), *own_name = fixture_username(who);
	bool own;

	if (r->error && r->changed && !records_attempts(method))
		fixture_fail("%s was refused (%s) but changed the database", method, r->error);
	if (who == CALLER_ROOT || who == CALLER_ADMIN || who == CALLER_ROLE_ADMIN)
		return;
	if (open_to_staff(method, &own) && (!own || (own_name && username && strcmp(username, own_name) == 0)))
		return;
	if (r->changed)
		fixture_fail("%s from %s, not an administrator, changed the database", method, own_name ? own_name : "a stranger");
	if (!r->error && !oneway)
		fixture_fail("%s from %s, not an administrator, succeeded", method, own_name ? own_name : "a stranger");
}

/* The descriptor sent with each call, as bits 3 and 4 say; -1 for none. */
static int passed_fd(unsigned selector)
{
	int fds[2], fd;

	switch (selector & 0x18) {
	case 0x08:
		return memfd_create("fuzz-backup", MFD_CLOEXEC);
	case 0x10:
		fd = memfd_create("fuzz-backup", MFD_CLOEXEC);
		if (fd < 0)
			return -1;
		{
			char path[64];
			int ro;

			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			ro = open(path, O_RDONLY | O_CLOEXEC);
			close(fd);
			return ro;
		}
	case 0x18:
		if (pipe2(fds, O_CLOEXEC) < 0)
			return -1;
		close(fds[0]);
		return fds[1];
	}
	return -1;
}

static void run_call(enum fixture_caller who, unsigned selector, const char *frame, size_t len)
{
	struct varlink_call vc = { 0 };
	struct fixture_result r;
	json_t *params;
	char *method;
	bool oneway;

	if (varlink_call_decode(frame, len, &vc, NULL) < 0)
		return;	/* the server refuses it before dispatch (fuzz-varlink covers that) */
	oneway = vc.oneway;
	method = strdup(vc.method);
	params = json_deep_copy(vc.parameters);
	if (!method || !params)
		abort();
	fixture_call(ENDPOINT_STAFF, fixture_uid(who), &vc, passed_fd(selector), &r);
	check_rules(who, method, params, oneway, &r);
	fixture_result_clear(&r);
	free(method);
	json_decref(params);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct daemon *d;
	struct config saved;
	enum fixture_caller who;
	unsigned selector, calls = 0;
	size_t off = 1;

	if (size < 1 || size > FUZZ_INPUT_MAX)
		return 0;
	d = fixture_daemon();
	fixture_reset();
	selector = data[0];
	who = (enum fixture_caller)(selector & 7);

	saved = d->config;
	if (selector & 0x20)
		d->config.opslimit = crypto_pwhash_OPSLIMIT_MIN + 1;
	if (selector & 0x40) {
		d->config.max_staff = 3;
		d->config.lockout_failures = 1;
		d->config.unlock_time = 1;
	}
	fixture_mail(selector & 0x80);

	while (off < size && calls < FUZZ_CALLS_MAX) {
		size_t frame_len = 0;
		int r = varlink_frame_next(buf + off, size - off, STAFF_FRAME_MAX, &frame_len);

		if (r < 0)
			break;
		if (r == 0) {
			/* The last frame may lack its NUL. */
			run_call(who, selector, buf + off, size - off);
			break;
		}
		run_call(who, selector, buf + off, frame_len - 1);
		off += frame_len;
		calls++;
	}

	/* Only numbers changed; the strings are the fixture's. */
	fixture_mail(false);
	d->config = saved;
	return 0;
}
