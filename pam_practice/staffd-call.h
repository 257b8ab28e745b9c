/* Calls to staffd from the module: one connection per call, and no byte is
 * sent before the socket and the server behind it are known to be staffd's. */
#ifndef PAM_PRACTICE_STAFFD_CALL_H
#define PAM_PRACTICE_STAFFD_CALL_H

#include <jansson.h>
#include <security/pam_modules.h>

#include "options.h"
#include "varlink.h"

/* The system user the daemon runs as; without one only root is trusted. */
#define PP_DAEMON_USER "staffd"

/*
 * Connects to o->socket within o->timeout_ms, checks that the socket is
 * owned by root or PP_DAEMON_USER and that the server's SO_PEERCRED uid is
 * one of them, then sends method with params (not consumed) and waits for
 * the reply. Returns 0 and fills *reply (which may carry an error name), or
 * a negative errno: -EPERM when the socket or its server is not trusted,
 * else what the connection reported (-ENOENT, -ECONNREFUSED, -ETIMEDOUT,
 * -ECONNRESET, -EBADMSG, ...). Every failure is logged with pam_syslog.
 */
int pp_staffd_call(pam_handle_t *pamh, const struct pp_options *o, const char *method, json_t *params,
		   struct varlink_reply *reply);

/*
 * With the debug option, logs "what user: outcome" (the reply's error name,
 * else ok). The user name is escaped: it is what was typed at a login
 * prompt or sent by an SSH client, newlines and terminal escapes included.
 */
void pp_debug_outcome(pam_handle_t *pamh, const struct pp_options *o, const char *what, const char *user,
		      const struct varlink_reply *reply, const char *ok);

/* Sets key to a copy of value: 0, or -EINVAL when value is not UTF-8 (or
 * memory ran out). */
int pp_json_set_string(json_t *obj, const char *key, const char *value);

/* Adds service, tty and rhost from the PAM items that are set, for the audit trail. */
void pp_json_add_origin(pam_handle_t *pamh, json_t *params);

/* Wipes every string held in v (objects and arrays are walked). */
void pp_json_wipe(json_t *v);

#endif
