/* Codes and their delivery. Only the keyed hash of a code is stored; the code
 * itself lives in sodium_malloc'd memory until the message is handed over. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "call.h"
#include "daemon.h"
#include "invite.h"
#include "log.h"
#include "mail.h"
#include "practice.h"
#include "secrets.h"
#include "store.h"
#include "workpool.h"

#define COMMAND_TIMEOUT_S 30

int invite_issue(struct call *c, json_t *rec, const char *kind, char **code)
{
	const struct config *cfg = &c->daemon->config;
	unsigned char hash[TOKEN_HASH_BYTES];
	char hex[TOKEN_HASH_BYTES * 2 + 1];
	const char *username = json_string_value(json_object_get(rec, "username"));
	long long expires;
	json_t *old, *token;
	char *fresh = NULL;
	int r;

	old = json_object_get(rec, "token");
	if (old) {
		const char *oldhex = json_string_value(json_object_get(old, "hash"));
		unsigned char oldhash[TOKEN_HASH_BYTES];
		size_t len;
		if (oldhex && sodium_hex2bin(oldhash, sizeof(oldhash), oldhex, strlen(oldhex), NULL, &len, NULL) == 0 &&
		    len == sizeof(oldhash)) {
			r = store_del(c->txn, DB_TOKENS, oldhash, sizeof(oldhash));
			if (r < 0 && r != -ENOENT)
				return r;
		}
	}
	r = token_generate(&fresh);
	if (r < 0)
		return r;
	r = token_hash(c->daemon->keys, fresh, hash);
	if (r < 0)
		goto fail;
	expires = c->now +
		  (strcmp(kind, "reset") == 0 ? cfg->reset_ttl : cfg->activation_ttl);
	sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
	token = json_pack("{s:s,s:s,s:I}", "user", username, "kind", kind, "expires", (json_int_t)expires);
	if (!token) {
		r = -ENOMEM;
		goto fail;
	}
	r = store_put_json_key(c->txn, DB_TOKENS, hash, sizeof(hash), token);
	json_decref(token);
	if (r < 0)
		goto fail;
	json_object_set_new(rec, "token", json_pack("{s:s,s:s,s:I}", "hash", hex, "kind", kind, "expires",
						      (json_int_t)expires));
	*code = fresh;
	return 0;
fail:
	secret_free(fresh);
	return r;
}

struct delivery {
	struct call *call;
	json_t *reply;
	char *code;		/* secret */
	char *message;		/* secret: holds the code */
	char *sms_text;		/* secret: holds the code word */
	char *mail_command;
	char *sms_command;
	char *phone;
	const char *code_field;
	bool show_code;
	int mail_result;
	const char *mail_why;
	int sms_result;
	const char *sms_why;
};

static void delivery_free(struct delivery *d)
{
	secret_free(d->code);
	secret_free(d->message);
	secret_free(d->sms_text);
	free(d->mail_command);
	free(d->sms_command);
	free(d->phone);
	free(d);
}

static void delivery_work(void *ctx)
{
	struct delivery *d = ctx;

	d->mail_result = command_feed(d->mail_command, NULL, d->message, COMMAND_TIMEOUT_S, &d->mail_why);
	if (d->sms_command && d->sms_text)
		d->sms_result = command_feed(d->sms_command, d->phone, d->sms_text, COMMAND_TIMEOUT_S, &d->sms_why);
}

static void delivery_done(void *ctx)
{
	struct delivery *d = ctx;
	struct call *c = d->call;
	json_t *delivery;

	delivery = json_pack("{s:b}", "mailed", d->mail_result == 0);
	if (d->mail_result < 0) {
		json_object_set_new(delivery, "error", json_string(d->mail_why));
		log_warning("mail_command for %s: %s", c->method, d->mail_why);
	}
	if (d->sms_command && d->sms_text) {
		json_object_set_new(delivery, "texted", json_boolean(d->sms_result == 0));
		if (d->sms_result < 0)
			log_warning("sms_command for %s: %s", c->method, d->sms_why);
	}
	json_object_set_new(d->reply, "delivery", delivery);
	if (d->show_code) {
		json_object_set_new(d->reply, d->code_field, json_string(d->code));
		c->secret_reply = true;
	}
	call_reply(c, d->reply);
	delivery_free(d);
	call_finish(c, 0);
}

static char *compose_mail(const struct config *cfg, const json_t *practice, const json_t *rec, const char *kind,
			  const char *code)
{
	const char *practice_name = json_string_value(json_object_get(practice, "name"));
	const json_t *token = json_object_get(rec, "token");
	time_t expires = (time_t)json_integer_value(json_object_get(token, "expires"));
	bool reset = strcmp(kind, "reset") == 0;
	char until[64];
	struct tm tm;
	char *msg;
	size_t cap = 4096;
	int n;

	gmtime_r(&expires, &tm);
	strftime(until, sizeof(until), "%Y-%m-%d %H:%M UTC", &tm);
	msg = sodium_malloc(cap);
	if (!msg)
		return NULL;
	n = snprintf(msg, cap,
		     "To: %s\nFrom: %s\nSubject: %s at %s\nContent-Type: text/plain; charset=utf-8\n\n"
		     "Hello %s,\n\n%s\n\n"
		     "Username:  %s\n%s code: %s\nValid until: %s\n\n"
		     "At a practice workstation, sign in with your username and enter this code\n"
		     "as the password. You will then be asked for the practice code word, which\n"
		     "your administrator gives you in person, and to choose %s password.\n\n"
		     "If you did not expect this message, tell your practice administrator.\n",
		     json_string_value(json_object_get(rec, "email")), cfg->mail_from,
		     reset ? "Password reset" : "Your staff account", practice_name,
		     json_string_value(json_object_get(rec, "first_name")),
		     reset ? "A password reset was requested for your staff account."
			   : "A staff account has been created for you.",
		     json_string_value(json_object_get(rec, "username")), reset ? "Reset" : "Activation", code, until,
		     reset ? "a new" : "your");
	if (n < 0 || (size_t)n >= cap) {
		sodium_free(msg);
		return NULL;
	}
	return msg;
}

static char *compose_sms(const json_t *practice, const char *codeword)
{
	size_t cap = 512;
	char *text = sodium_malloc(cap);
	int n;

	if (!text)
		return NULL;
	n = snprintf(text, cap, "%s: the practice code word for activating your staff account is: %s\n",
		     json_string_value(json_object_get(practice, "name")), codeword);
	if (n < 0 || (size_t)n >= cap) {
		sodium_free(text);
		return NULL;
	}
	return text;
}

int invite_deliver(struct call *c, json_t *reply, const json_t *rec, const char *kind, char *code, bool show_code)
{
	const struct config *cfg = &c->daemon->config;
	const char *phone = json_string_value(json_object_get(rec, "cell_phone"));
	json_t *practice = NULL;
	struct delivery *d;
	char *codeword = NULL;
	int r;

	d = calloc(1, sizeof(*d));
	if (!d) {
		secret_free(code);
		json_decref(reply);
		return -ENOMEM;
	}
	d->call = c;
	d->reply = reply;
	d->code = code;
	d->show_code = show_code;
	d->code_field = strcmp(kind, "reset") == 0 ? "reset_code" : "activation_code";
	r = practice_get(c->txn, &practice);
	if (r < 0)
		goto fail;
	if (cfg->mail_command && *cfg->mail_command) {
		d->message = compose_mail(cfg, practice, rec, kind, code);
		d->mail_command = strdup(cfg->mail_command);
		if (!d->message || !d->mail_command) {
			r = -ENOMEM;
			goto fail;
		}
	}
	if (strcmp(kind, "activation") == 0 && phone && cfg->sms_command && *cfg->sms_command) {
		r = practice_codeword(c->txn, c->daemon->keys, &codeword);
		if (r < 0)
			goto fail;
		d->sms_text = compose_sms(practice, codeword);
		secret_free(codeword);
		d->sms_command = strdup(cfg->sms_command);
		d->phone = strdup(phone);
		if (!d->sms_text || !d->sms_command || !d->phone) {
			r = -ENOMEM;
			goto fail;
		}
	}
	json_decref(practice);
	practice = NULL;

	/* The change stands whether or not the message goes out. */
	r = store_commit(c->txn);
	c->txn = NULL;
	if (r < 0) {
		delivery_free(d);
		json_decref(reply);
		return r;
	}
	if (!d->mail_command) {
		d->mail_result = -ENOTCONN;
		d->mail_why = "mail is not configured (mail_command)";
		d->sms_text = (secret_free(d->sms_text), NULL);
		delivery_done(d);
		return CALL_ASYNC;
	}
	r = workpool_submit(c->daemon->pool, WORK_SLOW, delivery_work, delivery_done, d);
	if (r < 0) {
		d->mail_result = r;
		d->mail_why = "the daemon is too busy to send mail now";
		d->sms_text = (secret_free(d->sms_text), NULL);
		delivery_done(d);
	}
	return CALL_ASYNC;
fail:
	json_decref(practice);
	json_decref(reply);
	d->reply = NULL;
	delivery_free(d);
	return r;
}
