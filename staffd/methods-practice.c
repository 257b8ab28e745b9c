/* The practice as a whole: status, first set-up, code word, policy, backup. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "audit.h"
#include "call.h"
#include "clashes.h"
#include "daemon.h"
#include "invite.h"
#include "methods.h"
#include "policy.h"
#include "practice.h"
#include "roles.h"
#include "secrets.h"
#include "store.h"
#include "userdb.h"
#include "users.h"
#include "validate.h"
#include "workpool.h"

int audit_call(struct call *c, const char *action, const char *target, const char *detail)
{
	struct audit_event e = { .action = action, .target = target, .result = "ok", .detail = detail };
	char buf[32];
	json_t *rec = NULL;
	int r;

	e.actor = call_actor(c, buf, sizeof(buf));
	r = audit_append(c->txn, &e, &rec);
	if (r == 0)
		json_array_append_new(c->audit_log, rec);
	return r;
}

/* How full the map is, with a warning from map_warn on: for administrators only. */
static json_t *storage_status(struct call *c)
{
	const struct config *cfg = &c->daemon->config;
	struct store_usage u;
	unsigned long long percent;
	char warning[256] = "";

	if (store_usage(c->daemon->store, &u) < 0 || u.map_size == 0)
		return NULL;
	percent = (unsigned long long)(u.used * 100 / u.map_size);
	if (u.in_reserve)
		snprintf(warning, sizeof(warning), "the staff database is full: only sign-ins and lockouts are recorded; "
			 "raise map_size in staffd.conf and restart staffd");
	else if (percent >= cfg->map_warn)
		snprintf(warning, sizeof(warning), "the staff database is %llu%% full: raise map_size in staffd.conf "
			 "and restart staffd before it fills", percent);
	return json_pack("{s:I,s:I,s:I,s:I,s:s?}", "map_size", (json_int_t)u.map_size, "used", (json_int_t)u.used,
			 "reserve", (json_int_t)u.reserve, "percent", (json_int_t)percent, "warning",
			 warning[0] ? warning : NULL);
}

int method_get_status(struct call *c)
{
	struct user_counts n = { 0 };
	json_t *practice = NULL, *clashes = NULL;
	size_t locations = 0, roles = 0;
	uint64_t audit = 0;
	char buf[32];
	int r;

	r = practice_get(c->txn, &practice);
	if (r < 0 && r != -ENOENT)
		return r;
	/* Only administrators learn whose accounts. */
	r = c->who.admin ? clashes_list(c->txn, &clashes) : (clashes = json_array()) ? 0 : -ENOMEM;
	if (r < 0 || (r = user_counts(c->txn, &n)) < 0 || (r = store_count(c->txn, DB_LOCATIONS, &locations)) < 0 ||
	    (r = store_count(c->txn, DB_ROLES, &roles)) < 0 || (r = audit_count(c->txn, &audit)) < 0) {
		json_decref(practice);
		json_decref(clashes);
		return r;
	}
	r = call_reply(c, json_pack("{s:{s:b,s:O?,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:i,s:s,s:b,s:o}}", "status",
				    "initialized", practice != NULL, "practice", json_object_get(practice, "name"),
				    "version", STAFF_VERSION, "staff", (json_int_t)(n.pending + n.active + n.inactive),
				    "active", (json_int_t)n.active, "pending", (json_int_t)n.pending, "inactive",
				    (json_int_t)n.inactive, "locked", (json_int_t)n.locked, "locations",
				    (json_int_t)locations, "roles", (json_int_t)roles, "audit_records",
				    (json_int_t)audit, "max_staff", (int)c->daemon->config.max_staff, "caller",
				    call_actor(c, buf, sizeof(buf)), "caller_is_admin", c->who.admin, "local_clashes",
				    clashes));
	if (r == 0 && c->who.admin)
		json_object_set_new(json_object_get(c->reply, "status"), "storage", storage_status(c));
	json_decref(practice);
	return r;
}

/* A staff record with every default, before the caller's fields are applied. */
json_t *user_new_record(uint32_t uid, long long now)
{
	return json_pack("{s:b,s:s,s:s,s:b,s:i,s:b,s:[],s:i,s:i,s:b,s:b,s:b,s:I,s:I}", "admin", 0, "employment",
			 "employee", "status", "pending", "locked", 0, "failed_logins", 0, "must_change_password", 0,
			 "locations", "capacity", 1, "step", 15, "daily_billing_report", 0, "email_updates", 0,
			 "eprescribing_verified", 0, "uid", (json_int_t)uid, "created", (json_int_t)now);
}

int method_init(struct call *c)
{
	const char *name = json_get_str(c->params, "practice");
	const char *given = json_get_str(c->params, "codeword");
	json_t *admin_in = json_object_get(c->params, "admin");
	json_t *practice = NULL, *rec = NULL, *reply;
	char *codeword = NULL, *code = NULL;
	const char *why;
	uint32_t uid;
	int r;

	r = practice_get(c->txn, &practice);
	if (r == 0) {
		json_decref(practice);
		return call_fail(c, "AlreadyInitialized", NULL);
	}
	if (r != -ENOENT)
		return r;
	if (validate_label(name, &why) < 0)
		return call_invalid(c, "practice", "practice %s", why);
	if (given && codeword_check(given, &why) < 0)
		return call_invalid(c, "codeword", "codeword %s", why);
	r = given ? ((codeword = secret_strdup(given)) ? 0 : -ENOMEM) : codeword_generate(&codeword);
	if (r < 0)
		return r;
	practice = json_pack("{s:s,s:I}", "name", name, "created", (json_int_t)time(NULL));
	r = practice ? practice_set_codeword(c->txn, c->daemon->keys, practice, codeword) : -ENOMEM;
	if (r == 0)
		r = roles_create_predefined(c->txn);
	if (r == 0)
		r = userdb_ensure_gids(c->txn, &c->daemon->config);
	if (r == 0)
		r = user_allocate_uid(c->txn, &c->daemon->config, &uid);
	if (r == -EUSERS)
		r = call_state(c, "no free uid left between uid_min and uid_max");
	if (r < 0)
		goto out;
	rec = user_new_record(uid, c->now);
	json_object_set_new(rec, "admin", json_true());
	json_object_set_new(rec, "role", json_string("Owner"));
	r = user_apply_input(c, rec, admin_in, true);
	if (r == 0 && !json_is_true(json_object_get(rec, "admin")))
		r = call_invalid(c, "admin", "the first staff user must be an administrator");
	if (r == 0)
		r = invite_issue(c, rec, "activation", &code);
	if (r == 0)
		r = user_put(c->txn, NULL, rec);
	if (r == 0)
		r = audit_call(c, "practice.init", json_string_value(json_object_get(rec, "username")), name);
	if (r < 0)
		goto out;
	reply = json_pack("{s:s,s:o}", "codeword", codeword, "admin", user_public(rec));
	c->secret_reply = true;
	r = invite_deliver(c, reply, rec, "activation", code, json_get_bool(c->params, "show_code", false));
	code = NULL;
out:
	secret_free(code);
	secret_free(codeword);
	json_decref(practice);
	json_decref(rec);
	return r;
}

int method_codeword_show(struct call *c)
{
	char *codeword = NULL;
	int r;

	r = practice_codeword(c->txn, c->daemon->keys, &codeword);
	if (r < 0)
		return r;
	c->secret_reply = true;
	r = call_reply(c, json_pack("{s:s}", "codeword", codeword));
	secret_free(codeword);
	return r;
}

int method_codeword_rotate(struct call *c)
{
	const char *given = json_get_str(c->params, "codeword");
	json_t *practice = NULL;
	char *codeword = NULL;
	const char *why;
	int r;

	if (given && codeword_check(given, &why) < 0)
		return call_invalid(c, "codeword", "codeword %s", why);
	r = given ? ((codeword = secret_strdup(given)) ? 0 : -ENOMEM) : codeword_generate(&codeword);
	if (r == 0)
		r = practice_get(c->txn, &practice);
	if (r == 0)
		r = practice_set_codeword(c->txn, c->daemon->keys, practice, codeword);
	if (r == 0)
		r = audit_call(c, "codeword.rotate", NULL, given ? "set by an administrator" : "generated");
	if (r == 0) {
		c->secret_reply = true;
		r = call_reply(c, json_pack("{s:s}", "codeword", codeword));
	}
	secret_free(codeword);
	json_decref(practice);
	return r;
}

int method_policy_show(struct call *c)
{
	const struct password_config *p = &c->daemon->config.password;
	json_t *rules = policy_describe(p);

	if (!rules)
		return -ENOMEM;
	return call_reply(c, json_pack("{s:o,s:i,s:i}", "rules", rules, "min_score", (int)p->min_score, "history",
				       (int)p->history));
}

struct backup {
	struct call *call;
	int fd;
	int result;
};

static void backup_work(void *ctx)
{
	struct backup *b = ctx;

	b->result = store_copy_fd(b->call->daemon->store, b->fd);
	if (b->result == 0 && fsync(b->fd) < 0 && errno != EINVAL)
		b->result = -errno;
}

static void backup_done(void *ctx)
{
	struct backup *b = ctx;
	struct call *c = b->call;
	struct stat st;
	int r = b->result;

	if (r == 0 && fstat(b->fd, &st) == 0)
		r = call_reply(c, json_pack("{s:I}", "bytes", (json_int_t)st.st_size));
	else if (r < 0)
		r = call_state(c, "the backup could not be written: %s", strerror(-r));
	free(b);
	call_finish(c, r);
}

int method_backup(struct call *c)
{
	struct backup *b;
	struct stat st;
	int r;

	if (c->passed_fd < 0)
		return call_invalid(c, "fd", "Backup needs a writable file descriptor sent with the call");
	if (fstat(c->passed_fd, &st) < 0 || !S_ISREG(st.st_mode))
		return call_invalid(c, "fd", "the backup target must be a regular file");
	if ((fcntl(c->passed_fd, F_GETFL) & O_ACCMODE) == O_RDONLY)
		return call_invalid(c, "fd", "the backup file must be open for writing");
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->call = c;
	b->fd = c->passed_fd;
	/* The read transaction is not needed: the copy takes its own snapshot. */
	store_abort(c->txn);
	c->txn = NULL;
	r = workpool_submit(c->daemon->pool, WORK_SLOW, backup_work, backup_done, b);
	if (r < 0) {
		free(b);
		return r;
	}
	return CALL_ASYNC;
}
