/* Login: passwords, PINs, activation and reset codes, lockout, password
 * changes. Argon2id runs on the worker pool; every decision that changes the
 * account (failure count, lock, grant) is taken afterwards in one write
 * transaction on the request loop, against the record as it is then, so
 * concurrent attempts are counted exactly. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "staff-protocol.h"
#include "audit.h"
#include "call.h"
#include "daemon.h"
#include "log.h"
#include "methods.h"
#include "policy.h"
#include "practice.h"
#include "secrets.h"
#include "store.h"
#include "unknown-logins.h"
#include "users.h"
#include "validate.h"
#include "workpool.h"

#define GRANT_TTL 600

/*
 * Only OUT_MISMATCH sends the account's own hash to a worker (which makes it
 * OUT_VERIFIED when the secret matches). Every refusal decided before
 * hashing is answered after the worker has verified the secret against the
 * dummy hash instead, for the time that takes and nothing else: unknown,
 * locked, deactivated and pending accounts are refused as slowly as a wrong
 * password, so that timing tells no more than the message (with pam_practice's
 * silent, nothing at all).
 */
enum outcome {
	OUT_UNKNOWN_USER,	/* refuse as unknown */
	OUT_VERIFIED,		/* the password or PIN matched */
	OUT_MISMATCH,		/* it did not: counts as a failure */
	OUT_CODE_ACCEPTED,	/* activation/reset code and code word right */
	OUT_FAILED,		/* refused before hashing, counted (error already set) */
	OUT_REFUSED,		/* locked or deactivated: not verified, not counted */
};

struct auth {
	struct call *call;
	enum outcome outcome;
	char *secret;		/* secret string, wiped after the worker */
	char hash[crypto_pwhash_STRBYTES];
	char rehash[crypto_pwhash_STRBYTES];
	unsigned long long opslimit;
	size_t memlimit;
	bool pin;
	bool inactive;		/* OUT_REFUSED: for the deactivation, else for the lock */
	const char *kind;	/* code kind for OUT_CODE_ACCEPTED */
};

static const char *str(const json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

static bool status_is(const json_t *rec, const char *status)
{
	const char *s = str(rec, "status");
	return s && strcmp(s, status) == 0;
}

/* Locked, unless unlock_time has passed since the lock. */
static bool is_locked(const struct call *c, const json_t *rec)
{
	unsigned unlock_time = c->daemon->config.unlock_time;
	long long at = json_integer_value(json_object_get(rec, "locked_at"));

	if (!json_is_true(json_object_get(rec, "locked")))
		return false;
	return unlock_time == 0 || (long long)time(NULL) - at < (long long)unlock_time;
}

static int audit_login(struct call *c, const char *action, const char *username, const char *result,
		       const char *detail)
{
	struct audit_event e = {
		.action = action,
		.target = username,
		.result = result,
		.service = json_get_str(c->params, "service"),
		.tty = json_get_str(c->params, "tty"),
		.rhost = json_get_str(c->params, "rhost"),
		.detail = detail,
	};
	char buf[32];
	json_t *rec = NULL;
	int r;

	e.actor = call_actor(c, buf, sizeof(buf));
	r = audit_append(c->txn, &e, &rec);
	if (r == 0) {
		json_array_append_new(c->audit_log, rec);
		/* A login attempt is a fact: it stands even when the answer is a refusal. */
		c->keep_on_refusal = true;
	}
	return r;
}

/* An account disabled by a local name clash is answered as unknown, so that
 * PAM stacks fall through to pam_unix for the local account. */
static int load_user(struct call *c, json_t **ret)
{
	const char *username = json_get_str(c->params, "username");
	int r = user_get_served(c->txn, username, ret);

	return r == -ENOENT ? call_no_such_user(c, username) : r;
}

/*
 * Counts one failure on rec (a copy of old) and stores it; the fifth in a
 * row locks. Returns the refusal to send: Locked when this one locked,
 * else the one already set on the call (or AuthenticationFailed).
 */
static int count_failure(struct call *c, const json_t *old, const char *detail)
{
	json_t *rec = json_deep_copy(old);
	long long failures = json_integer_value(json_object_get(old, "failed_logins"));
	bool locked_now = false;
	int r;

	if (!rec)
		return -ENOMEM;
	/* An expired automatic lock starts a fresh count. */
	if (json_is_true(json_object_get(old, "locked"))) {
		json_object_set_new(rec, "locked", json_false());
		json_object_del(rec, "locked_at");
		failures = 0;
	}
	failures++;
	json_object_set_new(rec, "failed_logins", json_integer(failures));
	if (failures >= (long long)c->daemon->config.lockout_failures) {
		json_object_set_new(rec, "locked", json_true());
		json_object_set_new(rec, "locked_at", json_integer((json_int_t)time(NULL)));
		locked_now = true;
	}
	r = user_put(c->txn, old, rec);
	if (r == 0)
		r = audit_login(c, "login", str(rec, "username"), locked_now ? "locked" : "failed", detail);
	json_decref(rec);
	if (r < 0)
		return r;
	if (locked_now)
		return call_fail(c, "Locked", NULL);
	return c->error ? CALL_REFUSED : call_fail(c, "AuthenticationFailed", NULL);
}

/* Refusals that count nothing but are still audited (unless the map is down
 * to its reserve: they change nothing, so they are not worth it). */
static int refuse_audited(struct call *c, const json_t *rec, const char *result, const char *error, json_t *params)
{
	int r = store_in_reserve(c->txn) ? 0 : audit_login(c, "login", str(rec, "username"), result, NULL);

	if (r < 0) {
		json_decref(params);
		return r;
	}
	return call_fail(c, error, params);
}

/* A deactivated account (inactive), else a locked one: neither checked nor counted. */
static int refuse_state(struct call *c, const json_t *rec, bool inactive)
{
	if (inactive)
		return refuse_audited(c, rec, "inactive", "AccountInactive", NULL);
	return refuse_audited(c, rec, "locked", "Locked", NULL);
}

static void grant_new(char hex[65], char hashhex[65])
{
	unsigned char raw[32], hash[32];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(hex, 65, raw, sizeof(raw));
	crypto_generichash(hash, sizeof(hash), (const unsigned char *)hex, 64, NULL, 0);
	sodium_bin2hex(hashhex, 65, hash, sizeof(hash));
	sodium_memzero(raw, sizeof(raw));
}

static int finish_success(struct call *c, struct auth *a, const json_t *old)
{
	json_t *rec = json_deep_copy(old), *reply;
	long long now = (long long)time(NULL);
	char grant[65] = "", grant_hash[65];
	const char *result = "ok";
	int r;

	if (!rec)
		return -ENOMEM;
	/* A reset code gets a locked account as far as choosing a password; the
	 * lock goes only when the reset is completed (ChangePassword). */
	if (!(a->outcome == OUT_CODE_ACCEPTED && is_locked(c, old))) {
		json_object_set_new(rec, "failed_logins", json_integer(0));
		json_object_set_new(rec, "locked", json_false());
		json_object_del(rec, "locked_at");
	}
	if (a->outcome == OUT_CODE_ACCEPTED) {
		result = strcmp(a->kind, "reset") == 0 ? "reset" : "activate";
		grant_new(grant, grant_hash);
		json_object_set_new(rec, "grant", json_pack("{s:s,s:s,s:I}", "hash", grant_hash, "kind", a->kind,
							      "expires", (json_int_t)(now + GRANT_TTL)));
	} else if (!a->pin) {
		json_object_set_new(rec, "last_login", json_integer(now));
		json_object_set(rec, "last_login_service", json_object_get(c->params, "service"));
		json_object_set(rec, "last_login_tty", json_object_get(c->params, "tty"));
		json_object_set(rec, "last_login_host", json_object_get(c->params, "rhost"));
	}
	if (a->rehash[0])
		json_object_set_new(rec, a->pin ? "pin_hash" : "password_hash", json_string(a->rehash));
	r = user_put(c->txn, old, rec);
	if (r == 0)
		r = audit_login(c, a->pin ? "login.pin" : "login", str(rec, "username"), "ok",
				a->outcome == OUT_CODE_ACCEPTED ? (strcmp(result, "reset") == 0 ? "reset code accepted"
												 : "activation code accepted")
								 : NULL);
	if (r == 0) {
		reply = json_pack("{s:s,s:b}", "result", result, "must_change_password",
				  a->outcome == OUT_CODE_ACCEPTED ||
					  json_is_true(json_object_get(rec, "must_change_password")));
		if (grant[0]) {
			json_object_set_new(reply, "grant", json_string(grant));
			c->secret_reply = true;
		}
		r = call_reply(c, reply);
	}
	sodium_memzero(grant, sizeof(grant));
	json_decref(rec);
	return r;
}

/*
 * Anyone at a login prompt chooses the name: the first unknown one of each
 * interval is recorded like any attempt, the others are counted and written
 * as one summary (unknown-logins.c), so that flooding writes almost nothing.
 */
static int unknown_login(struct call *c, const char *name)
{
	struct unknown_logins *u = &c->daemon->unknown;
	int r;

	r = unknown_logins_append(c->txn, u, c->now, false, c->audit_log);
	if (r == 0 && unknown_logins_note(u, c->now, name, true)) {
		if (store_in_reserve(c->txn))
			log_warning("sign-in for unknown user %s not recorded: the database is nearly full", name);
		else
			r = audit_login(c, "login", name, "unknown user", NULL);
	}
	if (r < 0)
		return r;
	/* The summary, if any, stands with the refusal. */
	c->keep_on_refusal = true;
	return call_no_such_user(c, name);
}

/* The loop-thread half: decide against the record as it is now. */
static int auth_decide(struct call *c, struct auth *a)
{
	json_t *old = NULL;
	int r;

	r = call_begin_write(c);
	if (r < 0)
		return r;
	if (a->outcome == OUT_UNKNOWN_USER)
		return unknown_login(c, json_get_str(c->params, "username"));
	r = load_user(c, &old);
	if (r < 0)
		return r;
	/* Refused as the account was when the attempt came, even if it was
	 * unlocked or reactivated while the refusal waited: nothing was checked.
	 * Deactivated or locked while this attempt was hashing: it neither counts
	 * nor passes. Only a reset code (with the code word) passes a lock. */
	if (a->outcome == OUT_REFUSED)
		r = refuse_state(c, old, a->inactive);
	else if (status_is(old, "inactive") ||
		 (is_locked(c, old) && !(a->outcome == OUT_CODE_ACCEPTED && strcmp(a->kind, "reset") == 0)))
		r = refuse_state(c, old, status_is(old, "inactive"));
	else if (a->outcome == OUT_MISMATCH || a->outcome == OUT_FAILED) {
		/* Lockout must count even when the rest of the map is full. */
		store_allow_reserve(c->txn);
		r = count_failure(c, old, a->pin ? "wrong PIN" : NULL);
	} else if (a->outcome == OUT_VERIFIED && !status_is(old, "active"))
		r = refuse_audited(c, old, "not activated", "NotActivated",
				   json_pack("{s:s}", "message", "the account is not activated yet"));
	else {
		store_allow_reserve(c->txn);
		r = finish_success(c, a, old);
	}
	json_decref(old);
	return r;
}

static void auth_free(struct auth *a)
{
	secret_free(a->secret);
	sodium_memzero(a->hash, sizeof(a->hash));
	sodium_memzero(a->rehash, sizeof(a->rehash));
	free(a);
}

static void auth_work(void *ctx)
{
	struct auth *a = ctx;
	size_t len = strlen(a->secret);
	bool match = crypto_pwhash_str_verify(a->hash, a->secret, len) == 0;

	/* Any other outcome verified the dummy hash: its result means nothing. */
	if (a->outcome == OUT_MISMATCH && match) {
		a->outcome = OUT_VERIFIED;
		/* Parameters changed in staffd.conf: store a hash made with the new ones. */
		if (crypto_pwhash_str_needs_rehash(a->hash, a->opslimit, a->memlimit) != 0 &&
		    crypto_pwhash_str_alg(a->rehash, a->secret, len, a->opslimit, a->memlimit,
					  crypto_pwhash_ALG_ARGON2ID13) != 0)
			a->rehash[0] = '\0';
	}
	secret_free(a->secret);
	a->secret = NULL;
}

static void auth_done(void *ctx)
{
	struct auth *a = ctx;
	struct call *c = a->call;
	int r = auth_decide(c, a);

	auth_free(a);
	call_finish(c, r);
}

static int auth_submit(struct call *c, struct auth *a)
{
	int r;

	if (a->outcome != OUT_MISMATCH)
		memcpy(a->hash, c->daemon->dummy_hash, sizeof(a->hash));
	store_abort(c->txn);
	c->txn = NULL;
	r = workpool_submit(c->daemon->pool, WORK_LOGIN, auth_work, auth_done, a);
	if (r < 0) {
		auth_free(a);
		return r == -EBUSY ? call_fail(c, "Busy", NULL) : r;
	}
	return CALL_ASYNC;
}

/* Is secret the user's outstanding code? Sets *kind and *expired. */
static bool matches_code(struct call *c, const json_t *rec, const char *secret, const char **kind, bool *expired)
{
	const json_t *token = json_object_get(rec, "token");
	const char *hex = str(token, "hash");
	unsigned char given[TOKEN_HASH_BYTES], stored[TOKEN_HASH_BYTES];
	size_t len;

	if (!hex || token_hash(c->daemon->keys, secret, given) < 0)
		return false;
	if (sodium_hex2bin(stored, sizeof(stored), hex, strlen(hex), NULL, &len, NULL) != 0 || len != sizeof(stored) ||
	    sodium_memcmp(given, stored, sizeof(stored)) != 0)
		return false;
	*kind = str(token, "kind");
	*expired = json_integer_value(json_object_get(token, "expires")) <= (long long)time(NULL);
	return true;
}

static int check_codeword(struct call *c, const char *given, bool *ok)
{
	char *codeword = NULL;
	int r = practice_codeword(c->txn, c->daemon->keys, &codeword);

	if (r < 0)
		return r;
	*ok = codeword_matches(given, codeword);
	secret_free(codeword);
	return 0;
}

int method_authenticate(struct call *c)
{
	const char *secret = json_get_str(c->params, "secret"), *codeword = json_get_str(c->params, "codeword");
	const char *kind = NULL;
	bool pin = json_get_bool(c->params, "pin", false), expired = false, ok = false, is_code;
	json_t *rec = NULL;
	struct auth *a;
	int r;

	if (strlen(secret) > STAFF_SECRET_MAX)
		return call_invalid(c, "secret", "secret is longer than %d bytes", STAFF_SECRET_MAX);
	/* No account can have a name that is no username: answered at once, and
	 * only counted (unknown-logins.c), so that such names write nothing. */
	if (validate_username(json_get_str(c->params, "username"), NULL) < 0) {
		unknown_logins_note(&c->daemon->unknown, c->now, json_get_str(c->params, "username"), false);
		return call_no_such_user(c, json_get_str(c->params, "username"));
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->call = c;
	a->pin = pin;
	a->opslimit = c->daemon->config.opslimit;
	a->memlimit = c->daemon->config.memlimit;
	a->secret = secret_strdup(secret);
	if (!a->secret) {
		free(a);
		return -ENOMEM;
	}
	r = user_get_served(c->txn, json_get_str(c->params, "username"), &rec);
	if (r == -ENOENT) {
		a->outcome = OUT_UNKNOWN_USER;
		goto submit;
	}
	if (r < 0)
		goto refuse;
	is_code = !pin && matches_code(c, rec, secret, &kind, &expired);
	if (status_is(rec, "inactive") || (is_locked(c, rec) && !(is_code && strcmp(kind, "reset") == 0))) {
		a->outcome = OUT_REFUSED;
		a->inactive = status_is(rec, "inactive");
		goto submit;
	}
	if (is_code) {
		if (expired) {
			call_fail(c, "NotActivated",
				  json_pack("{s:s}", "message",
					    strcmp(kind, "reset") == 0
						    ? "the reset code has expired: ask your administrator for a new one"
						    : "the activation code has expired: ask your administrator for a new invitation"));
			a->outcome = OUT_FAILED;
			goto submit;
		}
		if (!codeword) {
			r = call_fail(c, "CodewordRequired", NULL);
			goto refuse;
		}
		r = check_codeword(c, codeword, &ok);
		if (r < 0)
			goto refuse;
		a->kind = strcmp(kind, "reset") == 0 ? "reset" : "activation";
		if (!ok) {
			a->outcome = OUT_FAILED;
			goto submit;
		}
		/* Whoever holds the code and the code word may know at once. */
		a->outcome = OUT_CODE_ACCEPTED;
		r = auth_decide(c, a);
		goto refuse;
	}
	if (!status_is(rec, "active")) {
		call_fail(c, "NotActivated",
			  json_pack("{s:s}", "message",
				    "the account is not activated: sign in with the activation code from your invitation"));
		a->outcome = OUT_FAILED;
		goto submit;
	}
	if (json_get_bool(c->params, "require_codeword", false)) {
		if (!codeword) {
			r = call_fail(c, "CodewordRequired", NULL);
			goto refuse;
		}
		r = check_codeword(c, codeword, &ok);
		if (r < 0)
			goto refuse;
		if (!ok) {
			a->outcome = OUT_FAILED;
			goto submit;
		}
	}
	{
		const char *hash = str(rec, pin ? "pin_hash" : "password_hash");
		if (!hash) {
			r = call_fail(c, "NotPermitted",
				      json_pack("{s:s}", "message", pin ? "no PIN is set for this account"
									 : "no password is set for this account"));
			goto refuse;
		}
		if (strlen(hash) >= sizeof(a->hash)) {
			r = -EBADMSG;
			goto refuse;
		}
		strcpy(a->hash, hash);
		a->outcome = OUT_MISMATCH;	/* the worker upgrades it to OUT_VERIFIED */
	}
submit:
	json_decref(rec);
	return auth_submit(c, a);
refuse:
	auth_free(a);
	json_decref(rec);
	return r;
}

int method_check_account(struct call *c)
{
	const char *location = json_get_str(c->params, "location"), *require = json_get_str(c->params, "require");
	const char *username = json_get_str(c->params, "username");
	json_t *rec = NULL;
	/* Asked at every login and by cron and SSH: the summary has all it needs. */
	int r = user_summary_get_served(c->txn, username, &rec);

	if (r == -ENOENT)
		return call_no_such_user(c, username);
	if (r < 0)
		return r;
	/* Where and what before the account's state, so that someone activating
	 * at a workstation they may not use is refused for that. */
	if (status_is(rec, "inactive"))
		r = call_fail(c, "AccountInactive", NULL);
	if (r == 0 && location) {
		json_t *locs = json_object_get(rec, "locations"), *l;
		bool here = json_array_size(locs) == 0;
		size_t i;

		json_array_foreach(locs, i, l)
			if (strcmp(json_string_value(l), location) == 0)
				here = true;
		if (!here)
			r = call_fail(c, "NotPermitted",
				      json_pack("{s:s}", "message", "not permitted at this workstation's location"));
	}
	if (r == 0 && require && !role_has_permission(c->txn, str(rec, "role"), require))
		r = call_fail(c, "NotPermitted",
			      json_pack("{s:s}", "message", "the account's role does not allow signing in here"));
	if (r == 0 && status_is(rec, "pending"))
		r = call_fail(c, "NotActivated", json_pack("{s:s}", "message", "the account is not activated yet"));
	else if (r == 0 && is_locked(c, rec))
		r = call_fail(c, "Locked", NULL);
	if (r == 0)
		r = call_reply(c, json_pack("{s:s,s:b}", "status", str(rec, "status"), "must_change_password",
					    json_is_true(json_object_get(rec, "must_change_password"))));
	json_decref(rec);
	return r;
}

/* ---- password changes ---- */

/* The outstanding grant comes from a reset code: it may complete despite a lock. */
static bool reset_grant(const json_t *rec)
{
	const char *kind = str(json_object_get(rec, "grant"), "kind");

	return kind && strcmp(kind, "reset") == 0;
}

struct change {
	struct call *call;
	char *old_password;	/* secret, or NULL with a grant */
	char *new_password;	/* secret */
	char current[crypto_pwhash_STRBYTES];
	json_t *history;	/* previous hashes, newest first */
	struct policy_person person;
	json_t *person_rec;	/* owns the strings of person */
	struct password_config policy;
	unsigned long long opslimit;
	size_t memlimit;
	bool old_ok;
	json_t *rules;
	int policy_result;
	char hash[crypto_pwhash_STRBYTES];
	int result;
};

static void change_free(struct change *ch)
{
	secret_free(ch->old_password);
	secret_free(ch->new_password);
	sodium_memzero(ch->current, sizeof(ch->current));
	sodium_memzero(ch->hash, sizeof(ch->hash));
	json_decref(ch->history);
	json_decref(ch->person_rec);
	json_decref(ch->rules);
	free(ch);
}

static void change_work(void *ctx)
{
	struct change *ch = ctx;
	const char *pw = ch->new_password;
	int score = 0;

	ch->old_ok = true;
	if (ch->old_password) {
		ch->old_ok = ch->current[0] &&
			     crypto_pwhash_str_verify(ch->current, ch->old_password, strlen(ch->old_password)) == 0;
		if (!ch->old_ok)
			return;
	}
	ch->policy_result = policy_check(&ch->policy, pw, &ch->person, &ch->rules, &score);
	if (ch->policy_result == -ENOMEM)
		return;
	if (ch->policy.history > 0) {
		bool reused = ch->current[0] && crypto_pwhash_str_verify(ch->current, pw, strlen(pw)) == 0;
		json_t *h;
		size_t i;

		json_array_foreach(ch->history, i, h) {
			if (reused || i + 1 >= ch->policy.history)
				break;
			reused = crypto_pwhash_str_verify(json_string_value(h), pw, strlen(pw)) == 0;
		}
		if (reused) {
			policy_add_history_failure(ch->rules, ch->policy.history);
			ch->policy_result = -EPERM;
		}
	}
	if (ch->policy_result == 0 &&
	    crypto_pwhash_str_alg(ch->hash, pw, strlen(pw), ch->opslimit, ch->memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0)
		ch->result = -ENOMEM;
}

static int change_decide(struct call *c, struct change *ch)
{
	const char *grant = json_get_str(c->params, "grant");
	json_t *old = NULL, *rec = NULL, *history;
	long long now = (long long)time(NULL);
	const char *action = "password.change", *kind = NULL;
	int r;

	r = call_begin_write(c);
	if (r == 0)
		r = load_user(c, &old);
	if (r < 0)
		return r;
	/* Password changes, activations and their failures may use the reserve. */
	store_allow_reserve(c->txn);
	if (status_is(old, "inactive") || (is_locked(c, old) && !(grant && reset_grant(old)))) {
		r = refuse_state(c, old, status_is(old, "inactive"));
		goto out;
	}
	if (!ch->old_ok) {
		r = count_failure(c, old, "wrong current password");
		goto out;
	}
	if (ch->result < 0 || ch->policy_result == -ENOMEM) {
		r = ch->result < 0 ? ch->result : -ENOMEM;
		goto out;
	}
	if (ch->policy_result < 0) {
		json_t *failed = json_array(), *rule;
		size_t i;

		json_array_foreach(ch->rules, i, rule)
			if (!json_is_true(json_object_get(rule, "ok")))
				json_array_append(failed, rule);
		r = call_fail(c, "PolicyViolation", json_pack("{s:o}", "rules", failed));
		goto out;
	}
	if (grant) {
		const json_t *g = json_object_get(old, "grant");
		kind = str(g, "kind");
		/* The grant was checked before hashing; it must still be the same one. */
		if (!g || json_integer_value(json_object_get(g, "expires")) <= now) {
			r = call_fail(c, "NotPermitted", json_pack("{s:s}", "message", "the sign-in has expired: start again"));
			goto out;
		}
	}
	rec = json_deep_copy(old);
	history = json_array();
	if (str(old, "password_hash"))
		json_array_append(history, json_object_get(old, "password_hash"));
	json_array_extend(history, json_object_get(old, "password_history"));	/* none yet: a no-op */
	while (json_array_size(history) > (ch->policy.history > 1 ? ch->policy.history - 1 : 0))
		json_array_remove(history, json_array_size(history) - 1);
	json_object_set_new(rec, "password_history", history);
	json_object_set_new(rec, "password_hash", json_string(ch->hash));
	json_object_set_new(rec, "last_password_change", json_integer(now));
	json_object_set_new(rec, "must_change_password", json_false());
	json_object_del(rec, "grant");
	if (kind) {
		/* The code is spent only now that the account has its password. */
		const char *hex = str(json_object_get(old, "token"), "hash");
		unsigned char hash[TOKEN_HASH_BYTES];
		size_t len;

		if (hex && sodium_hex2bin(hash, sizeof(hash), hex, strlen(hex), NULL, &len, NULL) == 0 &&
		    len == sizeof(hash) && (r = store_del(c->txn, DB_TOKENS, hash, sizeof(hash))) < 0 && r != -ENOENT)
			goto out;
		json_object_del(rec, "token");
		json_object_set_new(rec, "failed_logins", json_integer(0));
		json_object_set_new(rec, "locked", json_false());
		json_object_del(rec, "locked_at");
		if (strcmp(kind, "activation") == 0) {
			json_object_set_new(rec, "status", json_string("active"));
			json_object_set_new(rec, "activated", json_integer(now));
			action = "user.activate";
		} else
			action = "password.reset";
	}
	r = user_put(c->txn, old, rec);
	if (r == 0)
		r = audit_login(c, action, str(rec, "username"), "ok", NULL);
	if (r == 0)
		r = call_reply(c, NULL);
out:
	json_decref(old);
	json_decref(rec);
	return r;
}

static void change_done(void *ctx)
{
	struct change *ch = ctx;
	struct call *c = ch->call;
	int r = change_decide(c, ch);

	change_free(ch);
	call_finish(c, r);
}

static bool grant_valid(const json_t *rec, const char *grant)
{
	const json_t *g = json_object_get(rec, "grant");
	const char *hex = str(g, "hash");
	unsigned char given[32], stored[32];
	size_t len;

	if (!hex || strlen(grant) != 64)
		return false;
	crypto_generichash(given, sizeof(given), (const unsigned char *)grant, 64, NULL, 0);
	if (sodium_hex2bin(stored, sizeof(stored), hex, strlen(hex), NULL, &len, NULL) != 0 || len != sizeof(stored))
		return false;
	return sodium_memcmp(given, stored, sizeof(stored)) == 0 &&
	       json_integer_value(json_object_get(g, "expires")) > (long long)time(NULL);
}

int method_change_password(struct call *c)
{
	const char *old_password = json_get_str(c->params, "old_password"), *grant = json_get_str(c->params, "grant");
	const char *new_password = json_get_str(c->params, "new_password"), *email;
	json_t *rec = NULL;
	struct change *ch;
	int r;

	if (!old_password == !grant)
		return call_invalid(c, "old_password", "give either old_password or grant");
	if (strlen(new_password) > STAFF_SECRET_MAX || (old_password && strlen(old_password) > STAFF_SECRET_MAX))
		return call_invalid(c, "new_password", "passwords are at most %d bytes", STAFF_SECRET_MAX);
	r = load_user(c, &rec);
	if (r < 0)
		return r;
	if (status_is(rec, "inactive") || (is_locked(c, rec) && !(grant && reset_grant(rec)))) {
		r = call_begin_write(c);
		if (r == 0)
			r = refuse_state(c, rec, status_is(rec, "inactive"));
		json_decref(rec);
		return r;
	}
	if (grant ? !grant_valid(rec, grant) : !status_is(rec, "active")) {
		json_decref(rec);
		return call_fail(c, "NotPermitted",
				 json_pack("{s:s}", "message", grant ? "the sign-in has expired: start again"
								     : "the account is not activated yet"));
	}
	ch = calloc(1, sizeof(*ch));
	if (!ch) {
		json_decref(rec);
		return -ENOMEM;
	}
	ch->call = c;
	ch->policy = c->daemon->config.password;
	ch->opslimit = c->daemon->config.opslimit;
	ch->memlimit = c->daemon->config.memlimit;
	ch->new_password = secret_strdup(new_password);
	ch->old_password = old_password ? secret_strdup(old_password) : NULL;
	if (str(rec, "password_hash") && strlen(str(rec, "password_hash")) < sizeof(ch->current))
		strcpy(ch->current, str(rec, "password_hash"));
	ch->history = json_incref(json_object_get(rec, "password_history"));
	ch->person_rec = rec;
	ch->person.username = str(rec, "username");
	ch->person.first_name = str(rec, "first_name");
	ch->person.last_name = str(rec, "last_name");
	email = str(rec, "email");
	ch->person.email = email;
	if (!ch->new_password || (old_password && !ch->old_password)) {
		change_free(ch);
		return -ENOMEM;
	}
	store_abort(c->txn);
	c->txn = NULL;
	r = workpool_submit(c->daemon->pool, WORK_LOGIN, change_work, change_done, ch);
	if (r < 0) {
		change_free(ch);
		return r == -EBUSY ? call_fail(c, "Busy", NULL) : r;
	}
	return CALL_ASYNC;
}

/* ---- policy check, on a worker: zxcvbn on a long input takes a while ---- */

struct check {
	struct call *call;
	char *password;
	struct password_config policy;
	struct policy_person person;
	json_t *person_rec;
	json_t *rules;
	int score;
	int result;
};

static void check_work(void *ctx)
{
	struct check *k = ctx;

	k->result = policy_check(&k->policy, k->password, k->person_rec ? &k->person : NULL, &k->rules, &k->score);
}

static void check_done(void *ctx)
{
	struct check *k = ctx;
	struct call *c = k->call;
	int r = k->result;

	if (r == 0 || r == -EPERM) {
		r = call_reply(c, json_pack("{s:b,s:i,s:O}", "ok", r == 0, "score", k->score, "rules", k->rules));
	}
	secret_free(k->password);
	json_decref(k->rules);
	json_decref(k->person_rec);
	free(k);
	call_finish(c, r);
}

int method_policy_check(struct call *c)
{
	const char *password = json_get_str(c->params, "password"), *username = json_get_str(c->params, "username");
	struct check *k;
	json_t *rec = NULL;
	int r;

	if (strlen(password) > STAFF_SECRET_MAX)
		return call_invalid(c, "password", "passwords are at most %d bytes", STAFF_SECRET_MAX);
	if (username) {
		r = user_get_served(c->txn, username, &rec);
		if (r == -ENOENT)
			return call_no_such_user(c, username);
		if (r < 0)
			return r;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		json_decref(rec);
		return -ENOMEM;
	}
	k->call = c;
	k->policy = c->daemon->config.password;
	k->password = secret_strdup(password);
	k->person_rec = rec;
	if (rec) {
		k->person.username = str(rec, "username");
		k->person.first_name = str(rec, "first_name");
		k->person.last_name = str(rec, "last_name");
		k->person.email = str(rec, "email");
	}
	store_abort(c->txn);
	c->txn = NULL;
	r = k->password ? workpool_submit(c->daemon->pool, WORK_CHECK, check_work, check_done, k) : -ENOMEM;
	if (r < 0) {
		secret_free(k->password);
		json_decref(rec);
		free(k);
		return r == -EBUSY ? call_fail(c, "Busy", NULL) : r;
	}
	return CALL_ASYNC;
}
