/* Activation and reset codes, and the messages that carry them. */
#ifndef INVITE_H
#define INVITE_H

#include <stdbool.h>
#include <jansson.h>

struct call;

/*
 * Issues a new code of kind "activation" or "reset" for rec, voiding the
 * previous one: rec's "token" gets the code's keyed hash and expiry, and
 * the token table the entry a login looks the code up by. *code is a
 * secret string (secret_free).
 */
int invite_issue(struct call *c, json_t *rec, const char *kind, char **code);

/*
 * Commits the call's transaction, then on a worker mails the code to rec's
 * address (and, for a new account with a cell phone and sms_command set,
 * texts the practice code word). The reply (stolen) gets "delivery", and
 * with show_code the code as activation_code or reset_code. Takes code.
 * Returns CALL_ASYNC, or a handler's error with nothing committed.
 */
int invite_deliver(struct call *c, json_t *reply, const json_t *rec, const char *kind, char *code, bool show_code);

#endif
