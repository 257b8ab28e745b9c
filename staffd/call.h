/* One Varlink call in flight: who asked, what, and how it is answered. */
#ifndef CALL_H
#define CALL_H

#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>

struct daemon;
struct conn;
struct txn;

/* A handler returns 0 (reply set), CALL_PENDING (it finishes later through
 * call_finish), CALL_REFUSED (error set with call_fail) or another negative
 * errno (reported as InternalError). */
#define CALL_PENDING 1
#define CALL_REFUSED (-1000)
/* The handler handed the call to a worker, whose done step calls call_finish. */
#define CALL_ASYNC 2

struct caller {
	uid_t uid;
	pid_t pid;
	bool root;
	bool admin;		/* root, or an active unlocked staff administrator */
	char username[33];	/* the staff account mapped to uid, or "" */
};

struct call {
	struct daemon *daemon;
	struct conn *conn;
	char *method;
	json_t *params;
	bool more;
	bool oneway;
	struct caller who;
	long long now;		/* the request's time: one reading for all it stamps */
	struct txn *txn;	/* opened by the dispatcher for the handler */
	json_t *audit_log;	/* records written in txn, journalled after commit */
	bool keep_on_refusal;	/* commit txn even when refusing: a failed login is recorded */
	int passed_fd;		/* descriptor sent with the call, or -1 */
	bool worker_share;	/* counted against the caller's share of worker calls */
	json_t *reply;
	bool secret_reply;	/* the reply carries a code or code word: wipe it after sending */
	char *error;
	json_t *error_params;
	/* Streaming replies: called again whenever the connection drains. */
	int (*resume)(struct call *c);
	void *state;
	void (*free_state)(void *state);
};

/* Sets the final reply (steals params; NULL means {}). Returns 0. */
int call_reply(struct call *c, json_t *params);
/* Sends one reply with continues=true now (steals params). */
int call_stream(struct call *c, json_t *params);
/* Queues one reply with continues=true whose parameters are {member: json},
 * json being already-encoded JSON text (from the store): nothing re-encoded. */
int call_stream_text(struct call *c, const char *member, const char *json, size_t len);
/* Sets a named io.practice.Staff error (steals params). Returns CALL_REFUSED. */
int call_fail(struct call *c, const char *name, json_t *params);
int call_invalid(struct call *c, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int call_conflict(struct call *c, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int call_state(struct call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int call_no_such_user(struct call *c, const char *username);
int call_denied(struct call *c);

/* Starts a write transaction for an asynchronous continuation. */
int call_begin_write(struct call *c);
/*
 * Completes a call that returned CALL_PENDING (or any call): r as a handler
 * returns it. Commits c->txn when r is 0, aborts otherwise, sends the reply
 * or error, journals the audit records and frees the call.
 */
void call_finish(struct call *c, int r);

/* Runs a streaming call's resume step once its connection has drained. */
void call_resume(struct call *c);

/* The label audit records use for the caller: staff username, "root" or "uid:N". */
const char *call_actor(const struct call *c, char *buf, size_t len);

#endif
