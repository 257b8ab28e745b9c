/*
 * A staffd without sockets for the fuzz targets that go through the
 * dispatcher: a temporary state directory (removed at exit), a small LMDB
 * map seeded once per process through the real methods (a practice, two
 * locations, a custom role and staff in every state), tiny Argon2id
 * parameters, one worker, and no mail unless asked for. Each input starts from the seeded database:
 * fixture_reset() puts it back whenever a call changed it.
 */
#ifndef FUZZ_FIXTURE_H
#define FUZZ_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <jansson.h>

#include "server.h"

struct daemon;
struct varlink_call;

/* The callers an input can choose, by index. */
enum fixture_caller {
	CALLER_ROOT,
	CALLER_ADMIN,		/* amy: the admin flag */
	CALLER_ROLE_ADMIN,	/* office: admin.accounts through the role Office Administrator */
	CALLER_STAFF,		/* jdoe: active, no admin rights, a PIN set */
	CALLER_PENDING,		/* pend: invited, not activated */
	CALLER_INACTIVE,	/* gone: deactivated */
	CALLER_LOCKED,		/* lockd: an administrator locked out by failed logins */
	CALLER_UNKNOWN,		/* a uid no staff account has */
	CALLER_COUNT_
};

/* The seeded accounts' password and the practice code word. */
#define FIXTURE_PASSWORD "Quiet-Lantern-Orchard-58"
#define FIXTURE_CODEWORD "amber-harbor-lantern-42"

/* Sets everything up on the first call; aborts when it cannot. */
struct daemon *fixture_daemon(void);
uid_t fixture_uid(enum fixture_caller who);
/* The staff account of who, or NULL (root, unknown). */
const char *fixture_username(enum fixture_caller who);

/* What one call answered. */
struct fixture_result {
	unsigned replies;	/* frames sent, continues included */
	char *error;		/* the final reply's error name, or NULL */
	json_t *parameters;	/* the final reply's parameters, or NULL */
	json_t *all;		/* every reply's parameters, in order (an array) */
	bool changed;		/* the call committed something */
};

/*
 * Dispatches vc (taken over) from uid on endpoint with passed_fd (taken
 * over, -1 for none) and runs it to the end, worker jobs included. Aborts
 * when the replies break the protocol: a frame that does not decode, a
 * reply to a oneway call, "continues" without "more", anything after the
 * final reply, an undeclared error or one without its parameters, or a
 * record's hash fields in any reply. With FUZZ_TRACE set,
 * each call and its answer are shown on standard error.
 */
void fixture_call(enum endpoint endpoint, uid_t uid, struct varlink_call *vc, int passed_fd,
		  struct fixture_result *ret);
void fixture_result_clear(struct fixture_result *r);

/* Turns mail_command and sms_command on (commands that take the message and
 * succeed) or off (the default: starting a command takes milliseconds). */
void fixture_mail(bool on);

/* Whether replies are checked for the records' hash fields (default: yes).
 * Not when the records are the input: they may hold anything anywhere. */
void fixture_check_secrets(bool check);

/* A call built from a method and parameters (stolen); NULL parameters are {}. */
void fixture_make_call(struct varlink_call *vc, const char *method, json_t *params, bool more);

/*
 * Makes a private directory for a target's files under $TMPDIR (else
 * /dev/shm, else /tmp) into dir: removed with its files at exit and after a
 * sanitizer's report, or else by the next run once this process is gone.
 */
void fixture_tempdir(char *dir, size_t len);

/* Reports a broken expectation on standard error (not the daemon's log) and aborts. */
void fixture_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* Whether the database differs from the seeded one (its meta pages moved). */
bool fixture_changed(void);
/* Puts the seeded database back if anything changed it. */
void fixture_reset(void);

#endif
