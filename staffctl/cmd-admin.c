/* staffctl status, init, codeword, policy, audit, backup and forgot-password. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json-fields.h"
#include "staff-protocol.h"
#include "staffctl.h"

static const char *str(const json_t *o, const char *key)
{
	return json_is_object(o) ? json_get_str(o, key) : NULL;
}

static const char *or_dash(const char *s)
{
	return s ? s : "-";
}

/* ---- status ---- */

int ctl_cmd_status(struct ctl *ctl, const struct ctl_args *a)
{
	struct ctl_table *t = NULL;
	json_t *reply = NULL, *s, *clash, *storage;
	long long max;
	size_t i;
	int r;

	(void)a;
	if ((r = ctl_call(ctl, STAFF_METHOD("GetStatus"), NULL, &reply)) < 0)
		return r;
	if ((r = ctl_reply_object(ctl, reply, "status", &s)) < 0)
		goto out;
	storage = json_object_get(s, "storage");
	if (ctl->json) {
		r = ctl_print_json(ctl->out, reply);
		goto out;
	}
	if (ctl_table_new(2, &t) < 0) {
		r = ctl_oom(ctl);
		goto out;
	}
	if (json_get_bool(s, "initialized", false))
		ctl_kv_add(t, "Practice", str(s, "practice"));
	else
		ctl_kv_add(t, "Practice", "not set up yet; run 'staffctl init'");
	ctl_kv_add(t, "staffd version", str(s, "version"));
	ctl_kv_add(t, "Socket", ctl->socket);
	ctl_kv_addf(t, "Staff", "%lld (%lld active, %lld pending, %lld inactive; %lld locked)",
		    json_get_int(s, "staff", 0), json_get_int(s, "active", 0), json_get_int(s, "pending", 0),
		    json_get_int(s, "inactive", 0), json_get_int(s, "locked", 0));
	max = json_get_int(s, "max_staff", 0);
	if (max > 0)
		ctl_kv_addf(t, "Seat limit", "%lld active and pending", max);
	else
		ctl_kv_add(t, "Seat limit", "none");
	ctl_kv_addf(t, "Locations", "%lld", json_get_int(s, "locations", 0));
	ctl_kv_addf(t, "Roles", "%lld", json_get_int(s, "roles", 0));
	ctl_kv_addf(t, "Audit records", "%lld", json_get_int(s, "audit_records", 0));
	if (storage)
		ctl_kv_addf(t, "Database", "%lld%% of map_size used (%.1f of %.1f MiB; the last %.1f MiB are kept "
			    "for sign-ins and lockouts)", json_get_int(storage, "percent", 0),
			    (double)json_get_int(storage, "used", 0) / (1 << 20),
			    (double)json_get_int(storage, "map_size", 0) / (1 << 20),
			    (double)json_get_int(storage, "reserve", 0) / (1 << 20));
	ctl_kv_addf(t, "You are", "%s%s", or_dash(str(s, "caller")),
		    json_get_bool(s, "caller_is_admin", false) ? " (may administer)" : " (not an administrator)");
	json_array_foreach(json_object_get(s, "local_clashes"), i, clash)
		ctl_kv_addf(t, "Disabled staff", "%s: %s", or_dash(str(clash, "username")),
			    or_dash(str(clash, "reason")));
	r = ctl_kv_print(t, ctl->out);
	/* Said apart from the table so that it is seen, and on stderr so that scripts reading the table keep working. */
	if (r == 0 && str(storage, "warning"))
		ctl_printf_safe(ctl->err, "staffctl: warning: %s\n", str(storage, "warning"));
out:
	ctl_table_free(t);
	json_decref(reply);
	return r;
}

/* ---- init ---- */

const struct ctl_option ctl_init_options[] = {
	{ "practice", CTL_VALUE, "NAME", "name of the practice" },
	{ "admin", CTL_VALUE, "USER", "username of the first administrator" },
	{ "codeword", CTL_VALUE, "WORD", "practice code word (default: a generated one)" },
	{ "show-code", CTL_FLAG, NULL, "print the administrator's activation code once" },
	CTL_USER_OPTIONS,
	{ NULL, 0, NULL, NULL },
};

int ctl_cmd_init(struct ctl *ctl, const struct ctl_args *a)
{
	json_t *in = NULL, *p = NULL, *reply = NULL, *admin;
	char *practice = NULL, *username = NULL, err[512];
	const char *codeword = ctl_args_value(a, "codeword");
	int r;

	/* Flags first, so that nobody answers questions for a command line that is wrong anyway. */
	r = ctl_user_input(a, false, &in, err, sizeof(err));
	if (r == -EINVAL)
		return ctl_usage_error(ctl, "init: %s", err);
	if (r < 0)
		return ctl_oom(ctl);
	if ((r = ctl_require(ctl, "init", ctl_args_value(a, "practice"), "--practice", "Practice name",
			     &practice)) < 0 ||
	    (r = ctl_require(ctl, "init", ctl_args_value(a, "admin"), "--admin", "Administrator's username",
			     &username)) < 0)
		goto out;
	if ((r = ctl_set_str(ctl, in, "username", username, "--admin")) < 0 ||
	    (r = ctl_require_person(ctl, "init", in)) < 0)
		goto out;
	if (!(p = json_object())) {
		r = ctl_oom(ctl);
		goto out;
	}
	if ((r = ctl_set_str(ctl, p, "practice", practice, "--practice")) < 0 ||
	    (r = ctl_set_new(ctl, p, "admin", json_incref(in))) < 0)
		goto out;
	if (codeword && (r = ctl_set_str(ctl, p, "codeword", codeword, "--codeword")) < 0)
		goto out;
	if (ctl_args_count(a, "show-code") && (r = ctl_set_new(ctl, p, "show_code", json_true())) < 0)
		goto out;
	if ((r = ctl_call(ctl, STAFF_METHOD("Init"), p, &reply)) < 0)
		goto out;
	if ((r = ctl_reply_object(ctl, reply, "admin", &admin)) < 0)
		goto out;
	if (!str(reply, "codeword")) {
		r = ctl_malformed(ctl, "'codeword' is missing");
		goto out;
	}
	if (ctl->json)
		r = ctl_print_json(ctl->out, reply);
	else
		ctl_printf_safe(ctl->out,
				"Set up %s with %s (%s %s) as its first administrator.\n\n"
				"Practice code word:  %s\n"
				"Tell it to staff in person; 'staffctl codeword show' shows it again.\n\n",
				practice, or_dash(str(admin, "username")), or_dash(str(admin, "first_name")),
				or_dash(str(admin, "last_name")), str(reply, "codeword"));
	if (r == 0)
		r = ctl_print_code_reply(ctl, reply, "admin", false);
out:
	json_decref(reply);
	json_decref(p);
	json_decref(in);
	free(practice);
	free(username);
	return r;
}

/* ---- forgot-password ---- */

int ctl_cmd_forgot_password(struct ctl *ctl, const struct ctl_args *a)
{
	json_t *p = json_object(), *reply = NULL, *delivery;
	const char *user = ctl_args_pos(a, 0);
	int r;

	if (!p)
		return ctl_oom(ctl);
	if ((r = ctl_set_str(ctl, p, "username", user, "USER")) < 0)
		goto out;
	if ((r = ctl_call(ctl, STAFF_METHOD("ForgotPassword"), p, &reply)) < 0)
		goto out;
	delivery = json_object_get(reply, "delivery");
	if (ctl->json && (r = ctl_print_json(ctl->out, reply)) < 0)
		goto out;
	/* The code is never shown here, so mail that failed leaves nothing to use. */
	if (json_is_object(delivery) && !json_get_bool(delivery, "mailed", false)) {
		ctl_printf_safe(ctl->err, "staffctl: the reset code could not be mailed: %s\n"
				"staffctl: ask an administrator to run 'staffctl user reset-password %s --show-code'\n",
				or_dash(str(delivery, "error")), user);
		r = CTL_E_CHECK;
		goto out;
	}
	if (!ctl->json)
		fprintf(ctl->out, "A reset code has been mailed to the email address on file for %s.\n"
			"Sign in with it and the practice code word, then choose a new password.\n", user);
out:
	json_decref(reply);
	json_decref(p);
	return r;
}

/* ---- codeword ---- */

static int codeword_show(struct ctl *ctl, const struct ctl_args *a)
{
	json_t *reply = NULL;
	const char *word;
	int r;

	(void)a;
	if ((r = ctl_call(ctl, STAFF_METHOD("CodewordShow"), NULL, &reply)) < 0)
		return r;
	if (!(word = str(reply, "codeword")))
		r = ctl_malformed(ctl, "'codeword' is missing");
	else if (ctl->json)
		r = ctl_print_json(ctl->out, reply);
	else
		ctl_printf_safe(ctl->out, "Practice code word:  %s\n", word);
	json_decref(reply);
	return r;
}

static const struct ctl_option rotate_options[] = {
	{ "set", CTL_VALUE, "WORD", "use WORD (visible to other local users while staffctl runs)" },
	{ "prompt", CTL_FLAG, NULL, "read the new code word without echo (twice on a terminal)" },
	{ NULL, 0, NULL, NULL },
};

static int codeword_rotate(struct ctl *ctl, const struct ctl_args *a)
{
	struct ctl_secret *word = NULL;
	json_t *p = json_object(), *reply = NULL;
	const char *given = ctl_args_value(a, "set"), *now;
	int r;

	if (!p)
		return ctl_oom(ctl);
	if (given && ctl_args_count(a, "prompt")) {
		r = ctl_usage_error(ctl, "codeword rotate: --set contradicts --prompt");
		goto out;
	}
	if (ctl_args_count(a, "prompt")) {
		if ((r = ctl_ask_secret(ctl, "New code word: ", "Repeat the code word: ", &word)) < 0)
			goto out;
		given = word->buf;
	}
	if (given && (r = ctl_set_str(ctl, p, "codeword", given, "code word")) < 0)
		goto out;
	if ((r = ctl_call(ctl, STAFF_METHOD("CodewordRotate"), p, &reply)) < 0)
		goto out;
	if (!(now = str(reply, "codeword")))
		r = ctl_malformed(ctl, "'codeword' is missing");
	else if (ctl->json)
		r = ctl_print_json(ctl->out, reply);
	else
		ctl_printf_safe(ctl->out, "New practice code word:  %s\n"
				"The old one no longer works; tell staff the new one in person.\n", now);
out:
	json_decref(reply);
	json_decref(p);
	ctl_secret_free(word);
	return r;
}

const struct ctl_command ctl_codeword_commands[] = {
	{ "show", "", "Show the practice code word.", NULL, 0, 0, codeword_show, NULL, NULL },
	{ "rotate", "[--set WORD | --prompt]", "Replace the practice code word; the old one stops working at once.",
	  rotate_options, 0, 0, codeword_rotate, NULL,
	  "Without --set or --prompt a new memorable code word is generated. With --prompt and\n"
	  "standard input not a terminal, the code word is the first line of standard input." },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL },
};

/* ---- policy ---- */

static int policy_show(struct ctl *ctl, const struct ctl_args *a)
{
	struct ctl_table *t = NULL;
	json_t *reply = NULL, *rules, *rule;
	size_t i;
	int r;

	(void)a;
	if ((r = ctl_call(ctl, STAFF_METHOD("PolicyShow"), NULL, &reply)) < 0)
		return r;
	if ((r = ctl_reply_array(ctl, reply, "rules", &rules)) < 0)
		goto out;
	if (ctl->json) {
		r = ctl_print_json(ctl->out, reply);
		goto out;
	}
	if (ctl_table_new(2, &t) < 0) {
		r = ctl_oom(ctl);
		goto out;
	}
	ctl_table_add(t, (const char *[]){ "RULE", "DESCRIPTION" });
	json_array_foreach(rules, i, rule)
		ctl_table_add(t, (const char *[]){ str(rule, "name"), str(rule, "description") });
	if ((r = ctl_table_print(t, ctl->out)) < 0)
		goto out;
	fprintf(ctl->out, "\nMinimum strength score: %lld (of 0-4)\nPrevious passwords refused: %lld\n",
		json_get_int(reply, "min_score", 0), json_get_int(reply, "history", 0));
out:
	ctl_table_free(t);
	json_decref(reply);
	return r;
}

static const struct ctl_option check_options[] = {
	{ "user", CTL_VALUE, "USER", "also check against USER's names, email and previous passwords" },
	{ NULL, 0, NULL, NULL },
};

/* "[###-] 3 of 4" */
static void strength_meter(long long score, char *buf, size_t len)
{
	char bar[5];

	if (score < 0)
		score = 0;
	if (score > 4)
		score = 4;
	for (int i = 0; i < 4; i++)
		bar[i] = i < score ? '#' : '-';
	bar[4] = '\0';
	snprintf(buf, len, "[%s] %lld of 4", bar, score);
}

static int policy_check(struct ctl *ctl, const struct ctl_args *a)
{
	struct ctl_secret *pw = NULL;
	struct ctl_table *t = NULL;
	json_t *p = json_object(), *reply = NULL, *rules, *rule, *ok;
	const char *user = ctl_args_value(a, "user");
	char meter[32];
	size_t i;
	int r;

	if (!p)
		return ctl_oom(ctl);
	if ((r = ctl_ask_secret(ctl, "Password to check: ", NULL, &pw)) < 0)
		goto out;
	if ((r = ctl_set_str(ctl, p, "password", pw->buf, "password")) < 0)
		goto out;
	if (user && (r = ctl_set_str(ctl, p, "username", user, "--user")) < 0)
		goto out;
	if ((r = ctl_call(ctl, STAFF_METHOD("PolicyCheck"), p, &reply)) < 0)
		goto out;
	ok = json_object_get(reply, "ok");
	if (!json_is_boolean(ok)) {
		r = ctl_malformed(ctl, "'ok' is missing");
		goto out;
	}
	if ((r = ctl_reply_array(ctl, reply, "rules", &rules)) < 0)
		goto out;
	if (ctl->json) {
		if ((r = ctl_print_json(ctl->out, reply)) < 0)
			goto out;
	} else {
		if (ctl_table_new(3, &t) < 0) {
			r = ctl_oom(ctl);
			goto out;
		}
		json_array_foreach(rules, i, rule) {
			const json_t *rok = json_object_get(rule, "ok");
			const char *result = json_is_true(rok) ? "ok" : json_is_false(rok) ? "FAIL" : "not checked";
			const char *why = json_is_false(rok) && str(rule, "message") ? str(rule, "message")
										      : str(rule, "description");

			ctl_table_add(t, (const char *[]){ result, str(rule, "name"), why });
		}
		if ((r = ctl_table_print(t, ctl->out)) < 0)
			goto out;
		strength_meter(json_get_int(reply, "score", 0), meter, sizeof(meter));
		fprintf(ctl->out, "\nStrength: %s\n", meter);
		if (json_is_true(ok))
			fputs("The password meets the policy.\n", ctl->out);
	}
	if (!json_is_true(ok)) {
		fputs("staffctl: the password does not meet the policy\n", ctl->err);
		r = CTL_E_CHECK;
	}
out:
	ctl_table_free(t);
	json_decref(reply);
	json_decref(p);
	ctl_secret_free(pw);
	return r;
}

const struct ctl_command ctl_policy_commands[] = {
	{ "show", "", "Show the rules a password must meet.", NULL, 0, 0, policy_show, NULL, NULL },
	{ "check", "[--user USER]", "Check a password against the policy and show its strength; exit 1 if it fails.",
	  check_options, 0, 0, policy_check, NULL,
	  "The password is read without echo from the terminal, or as the first line of standard\n"
	  "input when that is not a terminal. staffd judges it; nothing is stored." },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL },
};

/* ---- audit ---- */

const struct ctl_option ctl_audit_options[] = {
	{ "user", CTL_VALUE, "USER", "only records about or by USER" },
	{ "since", CTL_VALUE, "WHEN", "only records from WHEN on" },
	{ "limit", CTL_VALUE, "N", "only the newest N records" },
	{ NULL, 0, NULL, NULL },
};

int ctl_audit_table_add(struct ctl_table *t, const json_t *rec)
{
	const char *via[] = { str(rec, "service"), str(rec, "tty"), str(rec, "rhost"), str(rec, "detail") };
	static const char *const label[] = { "service=", "tty=", "rhost=", "" };
	char seq[24], when[64], details[1024] = "";
	size_t n = 0;

	snprintf(seq, sizeof(seq), "%lld", json_get_int(rec, "seq", -1));
	ctl_format_time(json_get_int(rec, "time", 0), false, when, sizeof(when));
	for (size_t i = 0; i < sizeof(via) / sizeof(via[0]); i++)
		if (via[i] && n < sizeof(details))
			n += (size_t)snprintf(details + n, sizeof(details) - n, "%s%s%s", n ? " " : "", label[i],
					      via[i]);
	return ctl_table_add(t, (const char *[]){ seq, when, str(rec, "actor"), str(rec, "action"),
						  str(rec, "target"), str(rec, "result"), n ? details : NULL });
}

struct audit_state {
	struct ctl_table *table;
	json_t *all;
	size_t count;
};

static int audit_one(struct ctl *ctl, json_t *params, void *userdata)
{
	struct audit_state *st = userdata;
	json_t *rec = json_object_get(params, "record");

	if (!rec || json_is_null(rec))
		return 0;
	if (!json_is_object(rec))
		return ctl_malformed(ctl, "'record' is not an object");
	st->count++;
	if (st->all)
		return json_array_append(st->all, rec) < 0 ? ctl_oom(ctl) : 0;
	return ctl_audit_table_add(st->table, rec) < 0 ? ctl_oom(ctl) : 0;
}

int ctl_cmd_audit(struct ctl *ctl, const struct ctl_args *a)
{
	struct audit_state st = { 0 };
	const char *user = ctl_args_value(a, "user"), *since = ctl_args_value(a, "since");
	const char *limit = ctl_args_value(a, "limit");
	json_t *p = json_object();
	long long v;
	int r;

	if (!p)
		return ctl_oom(ctl);
	if (user && (r = ctl_set_str(ctl, p, "user", user, "--user")) < 0)
		goto out;
	if (since) {
		r = ctl_parse_since(since, time(NULL), &v);
		if (r < 0) {
			r = ctl_usage_error(ctl, "audit: --since '%s' is %s; use YYYY-MM-DD, \"YYYY-MM-DD HH:MM\", "
					    "@SECONDS or a span such as 2h or 3d", since,
					    r == -ERANGE ? "out of range" : "not a time");
			goto out;
		}
		if ((r = ctl_set_new(ctl, p, "since", json_integer(v))) < 0)
			goto out;
	}
	if (limit) {
		if (ctl_parse_int(limit, 1, INT_MAX, &v) < 0) {
			r = ctl_usage_error(ctl, "audit: --limit '%s' is not a positive whole number", limit);
			goto out;
		}
		if ((r = ctl_set_new(ctl, p, "limit", json_integer(v))) < 0)
			goto out;
	}
	if (ctl->json) {
		if (!(st.all = json_array())) {
			r = ctl_oom(ctl);
			goto out;
		}
	} else {
		if (ctl_table_new(7, &st.table) < 0) {
			r = ctl_oom(ctl);
			goto out;
		}
		ctl_table_add(st.table, (const char *[]){ "SEQ", "TIME", "ACTOR", "ACTION", "TARGET", "RESULT",
							  "DETAILS" });
	}
	if ((r = ctl_call_full(ctl, STAFF_METHOD("AuditList"), p, -1, true, audit_one, &st, NULL)) < 0)
		goto out;
	if (st.all)
		r = ctl_print_json(ctl->out, st.all);
	else if (st.count == 0)
		fputs("No audit records match.\n", ctl->out);
	else
		r = ctl_table_print(st.table, ctl->out);
out:
	ctl_table_free(st.table);
	json_decref(st.all);
	json_decref(p);
	return r;
}

static int audit_verify(struct ctl *ctl, const struct ctl_args *a)
{
	json_t *reply = NULL, *ok;
	long long records;
	int r;

	(void)a;
	if ((r = ctl_call(ctl, STAFF_METHOD("AuditVerify"), NULL, &reply)) < 0)
		return r;
	ok = json_object_get(reply, "ok");
	if (!json_is_boolean(ok)) {
		r = ctl_malformed(ctl, "'ok' is missing");
		goto out;
	}
	records = json_get_int(reply, "records", 0);
	if (ctl->json && (r = ctl_print_json(ctl->out, reply)) < 0)
		goto out;
	if (json_is_true(ok)) {
		if (!ctl->json)
			fprintf(ctl->out, "Audit trail intact: %lld record%s verified.\n", records,
				records == 1 ? "" : "s");
		r = 0;
	} else {
		ctl_printf_safe(ctl->err, "staffctl: audit trail broken at record %lld of %lld: %s\n",
				json_get_int(reply, "first_bad", -1), records,
				or_dash(str(reply, "reason")));
		r = CTL_E_CHECK;
	}
out:
	json_decref(reply);
	return r;
}

const struct ctl_command ctl_audit_commands[] = {
	{ "verify", "", "Recompute the hash chain of the audit trail; exit 1 if it is broken.", NULL, 0, 0,
	  audit_verify, NULL, NULL },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL },
};

/* ---- backup ---- */

int ctl_cmd_backup(struct ctl *ctl, const struct ctl_args *a)
{
	const char *path = ctl_args_pos(a, 0);
	json_t *reply = NULL, *bytes;
	struct stat st;
	bool keep = false;
	int fd, r;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return ctl_local_error(ctl, -EEXIST, "%s: refusing to overwrite", path);
		return ctl_local_error(ctl, -errno, "cannot create %s", path);
	}
	if (!ctl->timeout_given)
		ctl->timeout_ms = CTL_BACKUP_TIMEOUT_MS;

	if ((r = ctl_call_full(ctl, STAFF_METHOD("Backup"), NULL, fd, false, NULL, NULL, &reply)) < 0)
		goto out;
	bytes = json_object_get(reply, "bytes");
	if (!json_is_integer(bytes)) {
		r = ctl_malformed(ctl, "'bytes' is missing");
		goto out;
	}
	if (fsync(fd) < 0 || fstat(fd, &st) < 0) {
		r = ctl_local_error(ctl, -errno, "cannot write %s", path);
		goto out;
	}
	/* staffd wrote through our descriptor; what it counted must be what is there. */
	if ((long long)st.st_size != json_integer_value(bytes)) {
		fprintf(ctl->err, "staffctl: backup incomplete: %s holds %lld bytes, staffd reported %lld\n", path,
			(long long)st.st_size, (long long)json_integer_value(bytes));
		r = CTL_E_CHECK;
		goto out;
	}
	keep = true;
	if (ctl->json)
		r = ctl_print_json(ctl->out, reply);
	else
		fprintf(ctl->out, "Backed up %lld bytes to %s.\n", (long long)json_integer_value(bytes), path);
out:
	close(fd);	/* after fsync, nothing is left for close to report */
	if (!keep)
		unlink(path);
	json_decref(reply);
	return r;
}
