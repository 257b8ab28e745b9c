/* Staff accounts: add, list, show, edit, and the lifecycle of DESIGN 4. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sodium.h>

#include "call.h"
#include "daemon.h"
#include "invite.h"
#include "log.h"
#include "methods.h"
#include "secrets.h"
#include "server.h"
#include "store.h"
#include "user-record.h"
#include "users.h"
#include "validate.h"
#include "workpool.h"

#define LIST_BATCH 256

static const char *str(const json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

static bool status_is(const json_t *rec, const char *status)
{
	const char *s = str(rec, "status");
	return s && strcmp(s, status) == 0;
}

/* Loads the user named by the call's "username", or refuses with NoSuchUser. */
static int load_target(struct call *c, json_t **ret)
{
	const char *username = json_get_str(c->params, "username");
	int r = user_get(c->txn, username, ret);

	return r == -ENOENT ? call_no_such_user(c, username) : r;
}

static int seat_check(struct call *c)
{
	unsigned max = c->daemon->config.max_staff;
	struct user_counts n;
	int r;

	if (max == 0)
		return 0;
	r = user_counts(c->txn, &n);
	if (r < 0)
		return r;
	if (n.active + n.pending >= max)
		return call_fail(c, "SeatLimit", json_pack("{s:i}", "max_staff", (int)max));
	return 0;
}

/* Stores the change, audits it and replies with the public record. */
static int save(struct call *c, const json_t *old, json_t *rec, const char *action, const char *detail)
{
	const char *username = str(rec, "username");
	int r;

	r = user_put(c->txn, old, rec);
	if (r == 0)
		r = audit_call(c, action, username, detail);
	if (r == 0)
		r = call_reply(c, json_pack("{s:o}", "user", user_public(rec)));
	return r;
}

/* Voids an outstanding activation or reset code. */
static int void_token(struct call *c, json_t *rec)
{
	const char *hex = json_string_value(json_object_get(json_object_get(rec, "token"), "hash"));
	unsigned char hash[TOKEN_HASH_BYTES];
	size_t len;
	int r = 0;

	if (hex && sodium_hex2bin(hash, sizeof(hash), hex, strlen(hex), NULL, &len, NULL) == 0 && len == sizeof(hash)) {
		r = store_del(c->txn, DB_TOKENS, hash, sizeof(hash));
		if (r == -ENOENT)
			r = 0;
	}
	json_object_del(rec, "token");
	return r;
}

int method_user_add(struct call *c)
{
	json_t *input = json_object_get(c->params, "user"), *rec = NULL, *reply;
	size_t locations = 0;
	char *code = NULL;
	uint32_t uid;
	int r;

	r = store_count(c->txn, DB_LOCATIONS, &locations);
	if (r < 0)
		return r;
	if (locations == 0)
		return call_state(c, "add a location first: staffctl location add NAME");
	r = seat_check(c);
	if (r < 0)
		return r;
	r = user_allocate_uid(c->txn, &c->daemon->config, &uid);
	if (r == -EUSERS)
		return call_state(c, "no free uid left between uid_min and uid_max");
	if (r < 0)
		return r;
	rec = user_new_record(uid, c->now);
	if (!rec)
		return -ENOMEM;
	r = user_apply_input(c, rec, input, true);
	if (r == 0)
		r = invite_issue(c, rec, "activation", &code);
	if (r == 0) {
		r = user_put(c->txn, NULL, rec);
		if (r == -EEXIST)
			r = call_conflict(c, "username", "%s is already taken", str(rec, "username"));
	}
	if (r == 0)
		r = audit_call(c, "user.add", str(rec, "username"), str(rec, "role"));
	if (r == 0) {
		reply = json_pack("{s:o}", "user", user_public(rec));
		r = invite_deliver(c, reply, rec, "activation", code, json_get_bool(c->params, "show_code", false));
		code = NULL;
	}
	secret_free(code);
	json_decref(rec);
	return r;
}

/* ---- listing, one reply per user, from the summaries ---- */

struct list_state {
	char *status, *role, *location, *search;
	char *after;		/* last username looked at */
	char *held;		/* the latest match's summary text, sent once another follows */
	size_t held_len;
	struct call *call;
	unsigned sent;
};

static void list_state_free(void *p)
{
	struct list_state *s = p;

	if (!s)
		return;
	free(s->status);
	free(s->role);
	free(s->location);
	free(s->search);
	free(s->after);
	free(s->held);
	free(s);
}

static bool contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	if (!hay)
		return false;
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

static bool list_matches(const struct list_state *s, const json_t *sum)
{
	if (s->status && !status_is(sum, s->status))
		return false;
	if (s->role && strcmp(str(sum, "role"), s->role) != 0)
		return false;
	if (s->location) {
		/* Staff who may work there: an empty list means every location. */
		json_t *locs = json_object_get(sum, "locations"), *l;
		const char *primary = str(sum, "primary_location");
		bool ok = json_array_size(locs) == 0 || (primary && strcmp(primary, s->location) == 0);
		size_t i;

		json_array_foreach(locs, i, l)
			if (strcmp(json_string_value(l), s->location) == 0)
				ok = true;
		if (!ok)
			return false;
	}
	if (s->search) {
		char full[200];
		snprintf(full, sizeof(full), "%s %s", str(sum, "first_name"), str(sum, "last_name"));
		if (!contains_ci(str(sum, "username"), s->search) && !contains_ci(full, s->search) &&
		    !contains_ci(str(sum, "email"), s->search))
			return false;
	}
	return true;
}

static int list_one(const void *key, size_t klen, const void *val, size_t vlen, void *userdata)
{
	struct list_state *s = userdata;
	char *copy;

	if (s->after && klen == strlen(s->after) && memcmp(key, s->after, klen) == 0)
		return 0;	/* where the previous batch stopped */
	free(s->after);
	s->after = strndup(key, klen);
	if (!s->after)
		return -ENOMEM;
	/* The stored text goes out as is, once it is known to be a summary: a
	 * damaged one must not reach the client (a NUL in it would even end
	 * the frame early). Only a filter needs the fields themselves. */
	if (s->status || s->role || s->location || s->search) {
		json_t *sum = NULL;
		int r = user_summary_parse(key, klen, val, vlen, &sum);
		bool match = r == 0 && list_matches(s, sum);

		json_decref(sum);
		/* A damaged summary is left out of the listing (and logged), never sent. */
		if (r < 0 && r != -EBADMSG)
			return r;
		if (!match)
			return 0;
	} else {
		int r = user_summary_text(key, klen, val, vlen);

		if (r == -EBADMSG)
			return 0;
		if (r < 0)
			return r;
	}
	if (s->held) {
		int r = call_stream_text(s->call, "user", s->held, s->held_len);
		if (r < 0)
			return r;
		s->sent++;
	}
	/* vlen is never 0 here (a checked object has its braces), which realloc
	 * would take as a free. */
	copy = realloc(s->held, vlen);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, val, vlen);
	s->held = copy;
	s->held_len = vlen;
	if (s->sent >= LIST_BATCH && conn_backlogged(s->call->conn))
		return 1;
	return 0;
}

static int list_resume(struct call *c)
{
	struct list_state *s = c->state;
	json_t *last;
	int r;

	/* Each batch reads a fresh snapshot, so a long listing holds no reader open. */
	r = store_begin(c->daemon->store, false, &c->txn);
	if (r < 0)
		return r;
	s->call = c;
	s->sent = 0;
	r = store_scan(c->txn, DB_USER_SUMMARY, s->after, s->after ? strlen(s->after) : 0, false, list_one, s);
	store_abort(c->txn);
	c->txn = NULL;
	if (r < 0)
		return r;
	if (r > 0)
		return CALL_PENDING;
	if (!s->held)
		return call_reply(c, json_object());
	last = json_loadb(s->held, s->held_len, 0, NULL);
	if (!last)
		return -EBADMSG;
	return call_reply(c, json_pack("{s:o}", "user", last));
}

static char *dup_param(struct call *c, const char *key)
{
	const char *v = json_get_str(c->params, key);
	return v ? strdup(v) : NULL;
}

int method_user_list(struct call *c)
{
	struct list_state *s;
	const char *status = json_get_str(c->params, "status"), *why;

	if (status && validate_status(status, &why) < 0)
		return call_invalid(c, "status", "status %s", why);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->status = dup_param(c, "status");
	s->role = dup_param(c, "role");
	s->location = dup_param(c, "location");
	s->search = dup_param(c, "search");
	c->state = s;
	c->free_state = list_state_free;
	c->resume = list_resume;
	store_abort(c->txn);
	c->txn = NULL;
	return list_resume(c);
}

int method_user_show(struct call *c)
{
	json_t *rec = NULL;
	int r = load_target(c, &rec);

	if (r < 0)
		return r;
	r = call_reply(c, json_pack("{s:o}", "user", user_public(rec)));
	json_decref(rec);
	return r;
}

/* The names of the fields a change touches, for the audit record (never values). */
static char *changed_fields(const json_t *changes)
{
	char buf[512] = "";
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)changes, key, v) {
		if (strlen(buf) + strlen(key) + 2 >= sizeof(buf))
			break;
		if (buf[0])
			strcat(buf, ",");
		strcat(buf, key);
	}
	return strdup(buf);
}

int method_user_edit(struct call *c)
{
	json_t *changes = json_object_get(c->params, "changes"), *old = NULL, *rec = NULL;
	char *fields = NULL;
	int r;

	r = load_target(c, &old);
	if (r < 0)
		return r;
	if (!c->who.admin) {
		/* Staff may change their own email, and only when allowed to. */
		if (json_object_size(changes) != 1 || !json_object_get(changes, "email") ||
		    !json_is_true(json_object_get(old, "email_updates"))) {
			json_decref(old);
			return call_denied(c);
		}
	}
	rec = json_deep_copy(old);
	r = rec ? user_apply_input(c, rec, changes, false) : -ENOMEM;
	if (r == 0 && json_equal(old, rec))
		r = call_state(c, "nothing to change");
	if (r == 0) {
		fields = changed_fields(changes);
		r = save(c, old, rec, "user.edit", fields);
	}
	free(fields);
	json_decref(old);
	json_decref(rec);
	return r;
}

/* Both deactivation and a cancelled invitation end here: the user and its
 * history stay, the status becomes inactive and any code is voided. */
static int make_inactive(struct call *c, const json_t *old, const char *action, const char *detail)
{
	json_t *rec = json_deep_copy(old);
	int r;

	if (!rec)
		return -ENOMEM;
	json_object_set_new(rec, "status", json_string("inactive"));
	json_object_set_new(rec, "deactivated", json_integer((json_int_t)time(NULL)));
	r = void_token(c, rec);
	if (r == 0)
		r = save(c, old, rec, action, detail);
	json_decref(rec);
	return r;
}

int method_user_deactivate(struct call *c)
{
	json_t *old = NULL;
	int r = load_target(c, &old);

	if (r < 0)
		return r;
	if (status_is(old, "inactive"))
		r = call_state(c, "%s is already deactivated", str(old, "username"));
	else if (strcmp(str(old, "username"), c->who.username) == 0)
		r = call_state(c, "administrators cannot deactivate their own account");
	else
		r = make_inactive(c, old, "user.deactivate", status_is(old, "pending") ? "invitation cancelled" : NULL);
	json_decref(old);
	return r;
}

int method_user_reactivate(struct call *c)
{
	json_t *old = NULL, *rec = NULL, *reply;
	char *code = NULL;
	bool ever_active;
	int r = load_target(c, &old);

	if (r < 0)
		return r;
	if (!status_is(old, "inactive")) {
		r = call_state(c, "%s is not deactivated", str(old, "username"));
		goto out;
	}
	r = seat_check(c);
	if (r < 0)
		goto out;
	rec = json_deep_copy(old);
	json_object_del(rec, "deactivated");
	ever_active = json_object_get(old, "activated") != NULL;
	if (ever_active) {
		json_object_set_new(rec, "status", json_string("active"));
		r = save(c, old, rec, "user.reactivate", NULL);
		goto out;
	}
	/* An invitation cancelled before activation starts over with a new code. */
	json_object_set_new(rec, "status", json_string("pending"));
	r = invite_issue(c, rec, "activation", &code);
	if (r == 0)
		r = user_put(c->txn, old, rec);
	if (r == 0)
		r = audit_call(c, "user.reactivate", str(rec, "username"), "invitation sent again");
	if (r == 0) {
		reply = json_pack("{s:o}", "user", user_public(rec));
		r = invite_deliver(c, reply, rec, "activation", code, false);
		code = NULL;
	}
out:
	secret_free(code);
	json_decref(old);
	json_decref(rec);
	return r;
}

int method_user_unlock(struct call *c)
{
	json_t *old = NULL, *rec;
	int r = load_target(c, &old);

	if (r < 0)
		return r;
	if (!json_is_true(json_object_get(old, "locked")) &&
	    json_integer_value(json_object_get(old, "failed_logins")) == 0) {
		r = call_state(c, "%s is not locked and has no failed logins", str(old, "username"));
		json_decref(old);
		return r;
	}
	rec = json_deep_copy(old);
	json_object_set_new(rec, "locked", json_false());
	json_object_set_new(rec, "failed_logins", json_integer(0));
	json_object_del(rec, "locked_at");
	r = save(c, old, rec, "user.unlock", NULL);
	json_decref(old);
	json_decref(rec);
	return r;
}

/* Issues a code for an existing account and sends it. */
static int reissue(struct call *c, const char *kind, const char *action, bool show_code, const char *detail)
{
	json_t *old = NULL, *rec = NULL, *reply;
	char *code = NULL;
	int r = load_target(c, &old);

	if (r < 0)
		return r;
	if (strcmp(kind, "activation") == 0 && !status_is(old, "pending"))
		r = call_state(c, "%s has no pending invitation", str(old, "username"));
	else if (strcmp(kind, "reset") == 0 && !status_is(old, "active"))
		r = call_state(c, status_is(old, "pending")
					  ? "%s has not activated the account yet: use resend-invite"
					  : "%s is deactivated: reactivate the account first",
				str(old, "username"));
	if (r < 0)
		goto out;
	rec = json_deep_copy(old);
	if (strcmp(kind, "activation") == 0) {
		/* A new invitation starts afresh: failures with the old code no longer count. */
		json_object_set_new(rec, "failed_logins", json_integer(0));
		json_object_set_new(rec, "locked", json_false());
		json_object_del(rec, "locked_at");
	}
	if (strcmp(action, "user.forgot-password") == 0)
		json_object_set_new(rec, "forgot_at", json_integer((json_int_t)time(NULL)));
	r = invite_issue(c, rec, kind, &code);
	if (r == 0)
		r = user_put(c->txn, old, rec);
	if (r == 0)
		r = audit_call(c, action, str(rec, "username"), detail);
	if (r == 0) {
		reply = strcmp(action, "user.forgot-password") == 0 ? json_object()
								     : json_pack("{s:o}", "user", user_public(rec));
		r = invite_deliver(c, reply, rec, kind, code, show_code);
		code = NULL;
	}
out:
	secret_free(code);
	json_decref(old);
	json_decref(rec);
	return r;
}

int method_user_reset_password(struct call *c)
{
	return reissue(c, "reset", "user.reset-password", json_get_bool(c->params, "show_code", false), NULL);
}

int method_user_resend_invite(struct call *c)
{
	return reissue(c, "activation", "user.resend-invite", json_get_bool(c->params, "show_code", false), NULL);
}

int method_forgot_password(struct call *c)
{
	json_t *rec = NULL;
	long long last, now = (long long)time(NULL);
	unsigned interval = c->daemon->config.forgot_interval;
	const char *username = json_get_str(c->params, "username");
	/* Open to anyone, like signing in: a disabled account is unknown here too. */
	int r = user_get_served(c->txn, username, &rec);

	if (r == -ENOENT)
		return call_no_such_user(c, username);
	if (r < 0)
		return r;
	last = json_integer_value(json_object_get(rec, "forgot_at"));
	json_decref(rec);
	if (last && now - last < (long long)interval)
		return call_fail(c, "TooSoon", json_pack("{s:I}", "retry_after", (json_int_t)(last + interval - now)));
	/* The code goes only to the address on file, never back to the asker. */
	return reissue(c, "reset", "user.forgot-password", false, NULL);
}

int method_user_cancel_invite(struct call *c)
{
	json_t *old = NULL;
	int r = load_target(c, &old);

	if (r < 0)
		return r;
	if (!status_is(old, "pending"))
		r = call_state(c, "%s has no pending invitation", str(old, "username"));
	else
		r = make_inactive(c, old, "user.cancel-invite", NULL);
	json_decref(old);
	return r;
}

/* ---- PIN: hashed with Argon2id on a worker ---- */

struct pin_job {
	struct call *call;
	char *pin;		/* secret */
	char hash[crypto_pwhash_STRBYTES];
	unsigned long long opslimit;
	size_t memlimit;
	int result;
};

static void pin_work(void *ctx)
{
	struct pin_job *j = ctx;

	j->result = crypto_pwhash_str_alg(j->hash, j->pin, strlen(j->pin), j->opslimit, j->memlimit,
					  crypto_pwhash_ALG_ARGON2ID13) == 0 ? 0 : -ENOMEM;
	secret_free(j->pin);
	j->pin = NULL;
}

static void pin_done(void *ctx)
{
	struct pin_job *j = ctx;
	struct call *c = j->call;
	json_t *old = NULL, *rec = NULL;
	int r = j->result;

	if (r == 0)
		r = call_begin_write(c);
	if (r == 0)
		r = load_target(c, &old);
	if (r == 0 && !status_is(old, "active"))
		r = call_state(c, "%s is not active", str(old, "username"));
	if (r == 0) {
		rec = json_deep_copy(old);
		json_object_set_new(rec, "pin_hash", json_string(j->hash));
		r = save(c, old, rec, "user.set-pin", NULL);
	}
	sodium_memzero(j->hash, sizeof(j->hash));
	free(j);
	json_decref(old);
	json_decref(rec);
	call_finish(c, r);
}

int method_user_set_pin(struct call *c)
{
	const char *pin = json_get_str(c->params, "pin"), *why;
	json_t *rec = NULL;
	struct pin_job *j;
	int r;

	if (validate_pin(pin, &why) < 0)
		return call_invalid(c, "pin", "pin %s", why);
	r = load_target(c, &rec);
	if (r < 0)
		return r;
	if (!status_is(rec, "active"))
		r = call_state(c, "%s is not active", str(rec, "username"));
	json_decref(rec);
	if (r < 0)
		return r;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->call = c;
	j->opslimit = c->daemon->config.opslimit;
	j->memlimit = c->daemon->config.memlimit;
	j->pin = secret_strdup(pin);
	if (!j->pin) {
		free(j);
		return -ENOMEM;
	}
	store_abort(c->txn);
	c->txn = NULL;
	r = workpool_submit(c->daemon->pool, WORK_LOGIN, pin_work, pin_done, j);
	if (r < 0) {
		secret_free(j->pin);
		free(j);
		return r;
	}
	return CALL_ASYNC;
}
