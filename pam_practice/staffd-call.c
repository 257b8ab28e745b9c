/* Calls to staffd. The ownership checks come first because the module runs
 * as root inside login and sshd: anyone able to put a socket at the
 * configured path must not be able to collect passwords from it. */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <unistd.h>
#include <security/pam_ext.h>

#include "client.h"
#include "escape.h"
#include "staffd-call.h"

#define PWBUF_MIN 1024
#define PWBUF_MAX (1024 * 1024)

/* The daemon user's uid: -ENOENT when there is no such user. */
static int daemon_uid(uid_t *ret)
{
	struct passwd pw, *found = NULL;
	size_t len = PWBUF_MIN;
	char *buf = NULL;
	int r;

	for (;;) {
		char *nbuf = realloc(buf, len);

		if (!nbuf) {
			r = -ENOMEM;
			goto out;
		}
		buf = nbuf;
		r = getpwnam_r(PP_DAEMON_USER, &pw, buf, len, &found);
		if (r != ERANGE || len >= PWBUF_MAX)
			break;
		len *= 2;
	}
	if (r != 0) {
		r = -r;
		goto out;
	}
	if (!found) {
		r = -ENOENT;
		goto out;
	}
	*ret = found->pw_uid;
	r = 0;
out:
	free(buf);
	return r;
}

/* Root, or the daemon's own user. */
static bool uid_trusted(uid_t uid)
{
	uid_t d;

	return uid == 0 || (daemon_uid(&d) == 0 && d == uid);
}

static int check_socket(pam_handle_t *pamh, const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		int r = -errno;

		pam_syslog(pamh, LOG_ERR, "cannot reach staffd at %s: %s", path, strerror(-r));
		return r;
	}
	if (!S_ISSOCK(st.st_mode)) {
		pam_syslog(pamh, LOG_ERR, "refusing %s: not a socket", path);
		return -EPERM;
	}
	if (!uid_trusted(st.st_uid)) {
		pam_syslog(pamh, LOG_ERR, "refusing %s: owned by uid %u, not by root or %s", path,
			   (unsigned)st.st_uid, PP_DAEMON_USER);
		return -EPERM;
	}
	return 0;
}

static int check_peer(pam_handle_t *pamh, const char *path, struct varlink_client *c)
{
	uid_t uid;
	pid_t pid;
	int r = varlink_client_peer(c, &uid, &pid);

	if (r < 0) {
		pam_syslog(pamh, LOG_ERR, "refusing %s: cannot read the server's credentials: %s", path,
			   strerror(-r));
		return -EPERM;
	}
	if (!uid_trusted(uid)) {
		pam_syslog(pamh, LOG_ERR, "refusing %s: served by uid %u (pid %ld), not by root or %s", path,
			   (unsigned)uid, (long)pid, PP_DAEMON_USER);
		return -EPERM;
	}
	return 0;
}

int pp_staffd_call(pam_handle_t *pamh, const struct pp_options *o, const char *method, json_t *params,
		   struct varlink_reply *reply)
{
	struct varlink_client *c = NULL;
	int r;

	r = check_socket(pamh, o->socket);
	if (r < 0)
		return r;
	r = varlink_client_connect(o->socket, o->timeout_ms, &c);
	if (r < 0) {
		pam_syslog(pamh, LOG_ERR, "cannot reach staffd at %s: %s", o->socket, strerror(-r));
		return r;
	}
	r = check_peer(pamh, o->socket, c);
	if (r == 0) {
		r = varlink_client_call(c, method, params, reply);
		if (r < 0)
			pam_syslog(pamh, LOG_ERR, "%s on %s: %s", method, o->socket,
				   r == -ETIMEDOUT ? "no answer within the timeout" : strerror(-r));
	}
	varlink_client_free(c);
	return r;
}

void pp_debug_outcome(pam_handle_t *pamh, const struct pp_options *o, const char *what, const char *user,
		      const struct varlink_reply *reply, const char *ok)
{
	const char *outcome = reply->error ? reply->error : ok;
	char name[160], result[160];

	if (!o->debug)
		return;
	escape_text(name, sizeof(name), user, strlen(user), 0);
	escape_text(result, sizeof(result), outcome, strlen(outcome), 0);
	pam_syslog(pamh, LOG_DEBUG, "%s %s: %s", what, name, result);
}

int pp_json_set_string(json_t *obj, const char *key, const char *value)
{
	json_t *s = json_string(value);

	if (!s)
		return -EINVAL;
	return json_object_set_new(obj, key, s) == 0 ? 0 : -ENOMEM;
}

void pp_json_add_origin(pam_handle_t *pamh, json_t *params)
{
	static const struct {
		int item;
		const char *key;
	} items[] = { { PAM_SERVICE, "service" }, { PAM_TTY, "tty" }, { PAM_RHOST, "rhost" } };

	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		const void *v = NULL;

		/* An item that is not UTF-8 is left out rather than failing the login. */
		if (pam_get_item(pamh, items[i].item, &v) == PAM_SUCCESS && v && *(const char *)v)
			(void)pp_json_set_string(params, items[i].key, v);
	}
}

void pp_json_wipe(json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;

	if (json_is_string(v))
		explicit_bzero((char *)json_string_value(v), json_string_length(v));
	else if (json_is_object(v)) {
		json_object_foreach(v, key, item)
			pp_json_wipe(item);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			pp_json_wipe(item);
	}
}
