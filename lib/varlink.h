/* Varlink message framing and decoding: pure functions, no I/O. */
#ifndef VARLINK_H
#define VARLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

/*
 * Finds the first complete frame in buf. Returns 1 and sets *frame_len
 * (terminating NUL included) when one is there, 0 when more bytes are
 * needed, -EMSGSIZE when max bytes hold no NUL.
 */
int varlink_frame_next(const char *buf, size_t len, size_t max, size_t *frame_len);

struct varlink_call {
	char *method;		/* "interface.Method" */
	json_t *parameters;	/* always an object, never NULL after success */
	bool more;
	bool oneway;
};

/*
 * Decodes one frame (without its NUL) into a call. On failure returns
 * -EBADMSG (or -ENOMEM) and, if bad is not NULL, points it at a static
 * description of what is wrong. *call is untouched on failure.
 * The reply decoder works the same way.
 */
int varlink_call_decode(const char *frame, size_t len, struct varlink_call *call, const char **bad);
void varlink_call_clear(struct varlink_call *call);

struct varlink_reply {
	char *error;		/* NULL on success */
	json_t *parameters;	/* always an object after success */
	bool continues;
};

int varlink_reply_decode(const char *frame, size_t len, struct varlink_reply *reply, const char **bad);
void varlink_reply_clear(struct varlink_reply *reply);

/*
 * True when name[0..len) is a Varlink qualified name such as
 * "io.practice.Staff.GetUser": two or more interface segments
 * [A-Za-z]([A-Za-z0-9-]*[A-Za-z0-9])?, a dot, then a member [A-Z][A-Za-z0-9]*.
 */
bool varlink_name_valid(const char *name, size_t len);

/*
 * Encoders return a malloc'd buffer holding the JSON and its terminating
 * NUL, and its length (NUL included), or NULL on allocation failure (or
 * when parameters is not an object or a name is not valid UTF-8).
 * parameters may be NULL (sent as {}); they are not consumed.
 */
char *varlink_call_encode(const char *method, json_t *parameters, bool more, bool oneway, size_t *len);
char *varlink_reply_encode(const char *error, json_t *parameters, bool continues, size_t *len);

#endif
