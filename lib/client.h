/* Varlink client connection with timeouts, shared by staffctl and pam_practice. */
#ifndef CLIENT_H
#define CLIENT_H

#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>
#include "varlink.h"

struct varlink_client;

/* Largest reply accepted, terminating NUL included; a longer one is -EBADMSG. */
#define VARLINK_CLIENT_REPLY_MAX (1024 * 1024)

/*
 * Connects to the Unix socket at path. timeout_ms bounds the connect and
 * every later send and receive (0 = wait forever). Returns 0 or a negative
 * errno (-ENOENT, -ECONNREFUSED, -ETIMEDOUT, ...).
 */
int varlink_client_connect(const char *path, int timeout_ms, struct varlink_client **ret);
void varlink_client_free(struct varlink_client *c);

/* The server's credentials, from SO_PEERCRED. */
int varlink_client_peer(struct varlink_client *c, uid_t *uid, pid_t *pid);

/*
 * Sends one call. parameters may be NULL; they are not consumed. With fd >= 0
 * the descriptor travels with the message (SCM_RIGHTS). -EINVAL for a method
 * that is not a qualified name or parameters that are not an object,
 * -EMSGSIZE for a call larger than STAFF_FRAME_MAX. The encoded message is
 * wiped after sending. Once part of a message went out and the rest failed,
 * every later call on this connection returns that error.
 */
int varlink_client_send(struct varlink_client *c, const char *method, json_t *parameters, bool more, int fd);

/*
 * Receives the next reply. -ETIMEDOUT, -ECONNRESET or -EBADMSG on failure.
 * A timeout keeps the bytes received so far for the next attempt; the end of
 * the stream or an oversized reply is final for the connection, while a
 * complete frame that does not decode is dropped and only that call fails.
 */
int varlink_client_recv(struct varlink_client *c, struct varlink_reply *reply);

/* send + recv for a single-reply call; a reply with "continues" is -EBADMSG. */
int varlink_client_call(struct varlink_client *c, const char *method, json_t *parameters, struct varlink_reply *reply);

#endif
