/*
 * The fuzz targets' staffd: the real dispatcher, store, workers and methods,
 * with replies collected from a socketless connection (conn_new_sink).
 * Setting up takes a moment (the seeding goes through the methods, hashing
 * included), so it happens once per process; the seeded entries are kept in
 * memory and put back whenever an input changed the database.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sodium.h>

#include "varlink.h"
#include "daemon.h"
#include "interface.h"
#include "secrets.h"
#include "store.h"
#include "workpool.h"
#include "fixture.h"

/* Small, so that inputs that write a lot reach a full map too. */
#define FIXTURE_MAP_SIZE (1024 * 1024)
/* A call still in flight after this long is a hang, reported as a crash. */
#define FIXTURE_CALL_WAIT_MS 60000
#define FIXTURE_DIR_PREFIX "staffd-fuzz-"
#define UNKNOWN_UID 19999

struct entry {
	void *key, *val;
	size_t klen, vlen;
};

static struct {
	bool started;
	struct daemon d;
	char dir[4096];
	int pool_fd;
	int data_fd;		/* data.mdb, to watch its meta pages */
	struct entry *seeded[DB_COUNT_];	/* every table's entries after seeding */
	size_t nseeded[DB_COUNT_];
	size_t meta_len;	/* LMDB's two meta pages: every commit rewrites one */
	unsigned char *meta_base;	/* as they were when the database was last seeded or reset */
	unsigned char *meta_now;
	uid_t uids[CALLER_COUNT_];
	bool lenient;		/* hashes may show up in replies: the records themselves are fuzzed */
	char *mail_command, *sms_command;	/* the config's own strings, while fixture_mail swaps them */
} fx = { .pool_fd = -1, .data_fd = -1 };

static void entries_free(struct entry *e, size_t n);

/* A directory and the files in it (the targets make no subdirectories). */
static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, ".."))
			unlinkat(dirfd(d), de->d_name, 0);
	if (d)
		closedir(d);
	rmdir(dir);
}

/* The directories fixture_tempdir made, removed at exit. */
static struct {
	char path[4][4096];
	unsigned n;
} temp;

static void remove_temp(void)
{
	for (unsigned i = 0; i < temp.n; i++)
		remove_dir(temp.path[i]);
	temp.n = 0;
}

static void cleanup(void)
{
	if (!fx.started)
		return;
	workpool_free(fx.d.pool);
	fx.d.pool = NULL;
	store_close(fx.d.store);
	fx.d.store = NULL;
	keys_free(fx.d.keys);
	fx.d.keys = NULL;
	fx.d.config.mail_command = fx.mail_command;
	fx.d.config.sms_command = fx.sms_command;
	config_free(&fx.d.config);
	if (fx.data_fd >= 0)
		close(fx.data_fd);
	fx.data_fd = -1;
	for (int db = 0; db < DB_COUNT_; db++)
		entries_free(fx.seeded[db], fx.nseeded[db]);
	free(fx.meta_base);
	free(fx.meta_now);
}

/* A sanitizer's report ends the process without atexit handlers. */
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

void fixture_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dprintf(STDERR_FILENO, "fuzz: ");
	vdprintf(STDERR_FILENO, fmt, ap);
	dprintf(STDERR_FILENO, "\n");
	va_end(ap);
	abort();
}

#define die fixture_fail

/* Directories left by targets that were killed (their process is gone). */
static void remove_stale(const char *base)
{
	DIR *d = opendir(base);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char path[4096];
		long pid;

		if (strncmp(de->d_name, FIXTURE_DIR_PREFIX, strlen(FIXTURE_DIR_PREFIX)) != 0)
			continue;
		pid = strtol(de->d_name + strlen(FIXTURE_DIR_PREFIX), NULL, 10);
		if (pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", base, de->d_name) < sizeof(path))
			remove_dir(path);
	}
	if (d)
		closedir(d);
}

void fixture_tempdir(char *dir, size_t len)
{
	/* Every commit syncs: keep the database in memory when possible. */
	const char *base = getenv("TMPDIR");

	if (!base || !*base)
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	if (temp.n == sizeof(temp.path) / sizeof(temp.path[0]))
		die("too many temporary directories");
	if (temp.n == 0) {
		remove_stale(base);
		atexit(remove_temp);
		if (__sanitizer_set_death_callback)
			__sanitizer_set_death_callback(remove_temp);
	}
	if ((size_t)snprintf(dir, len, "%s/" FIXTURE_DIR_PREFIX "%ld-XXXXXX", base, (long)getpid()) >= len ||
	    !mkdtemp(dir))
		die("cannot make a directory under %s: %s", base, strerror(errno));
	snprintf(temp.path[temp.n++], sizeof(temp.path[0]), "%s", dir);
}

static void read_meta(unsigned char *buf)
{
	ssize_t n = pread(fx.data_fd, buf, fx.meta_len, 0);

	if (n < 0 || (size_t)n != fx.meta_len)
		die("cannot read data.mdb: %s", n < 0 ? strerror(errno) : "short");
}

bool fixture_changed(void)
{
	read_meta(fx.meta_now);
	return memcmp(fx.meta_now, fx.meta_base, fx.meta_len) != 0;
}

struct entries {
	struct entry *e;
	size_t n, cap;
};

static int take_entry(const void *key, size_t klen, const void *val, size_t vlen, void *userdata)
{
	struct entries *l = userdata;
	struct entry *e;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct entry *p = realloc(l->e, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		l->e = p;
		l->cap = cap;
	}
	e = &l->e[l->n];
	e->key = malloc(klen ? klen : 1);
	e->val = malloc(vlen ? vlen : 1);
	if (!e->key || !e->val) {
		free(e->key);
		free(e->val);
		return -ENOMEM;
	}
	memcpy(e->key, key, klen);
	memcpy(e->val, val, vlen);
	e->klen = klen;
	e->vlen = vlen;
	l->n++;
	return 0;
}

static void entries_free(struct entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].key);
		free(e[i].val);
	}
	free(e);
}

static const struct entry *find_entry(const struct entry *e, size_t n, const void *key, size_t klen)
{
	for (size_t i = 0; i < n; i++)
		if (e[i].klen == klen && memcmp(e[i].key, key, klen) == 0)
			return &e[i];
	return NULL;
}

static bool same_entry(const struct entry *a, const struct entry *b)
{
	return a && b && a->vlen == b->vlen && memcmp(a->val, b->val, a->vlen) == 0;
}

static void take_all(struct txn *t, enum store_db db, struct entries *l)
{
	int r = store_scan(t, db, NULL, 0, false, take_entry, l);

	if (r < 0)
		die("cannot read table %d: %s", (int)db, strerror(-r));
}

/*
 * Puts the seeded entries back in one write transaction: entries an input
 * added or changed go, the seeded ones missing come back. Cheaper than
 * reopening the environment (LMDB allocates and clears megabytes for it).
 */
void fixture_reset(void)
{
	struct txn *t = NULL;
	int r;

	if (!fixture_changed())
		return;
	if ((r = store_begin(fx.d.store, true, &t)) < 0)
		die("cannot reset the database: %s", strerror(-r));
	for (int db = 0; db < DB_COUNT_; db++) {
		const struct entry *seeded = fx.seeded[db];
		size_t n = fx.nseeded[db];
		struct entries now = { 0 };

		take_all(t, (enum store_db)db, &now);
		for (size_t i = 0; i < now.n; i++)
			if (!same_entry(find_entry(seeded, n, now.e[i].key, now.e[i].klen), &now.e[i]) &&
			    (r = store_del(t, (enum store_db)db, now.e[i].key, now.e[i].klen)) < 0)
				die("cannot reset the database: %s", strerror(-r));
		for (size_t i = 0; i < n; i++)
			if (!same_entry(find_entry(now.e, now.n, seeded[i].key, seeded[i].klen), &seeded[i]) &&
			    (r = store_put(t, (enum store_db)db, seeded[i].key, seeded[i].klen, seeded[i].val,
					   seeded[i].vlen, false)) < 0)
				die("cannot reset the database: %s", strerror(-r));
		entries_free(now.e, now.n);
	}
	if ((r = store_commit(t)) < 0)
		die("cannot reset the database: %s", strerror(-r));
	read_meta(fx.meta_base);
}

/* ---- calls ---- */

struct sink {
	char *buf;
	size_t len, cap;
};

static int sink_take(const char *buf, size_t len, void *userdata)
{
	struct sink *s = userdata;

	if (len == 0 || buf[len - 1] != '\0' || memchr(buf, '\0', len - 1))
		die("a reply frame is not one NUL-terminated message");
	if (s->len + len > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		char *p;

		while (cap < s->len + len)
			cap *= 2;
		p = realloc(s->buf, cap);
		if (!p)
			die("out of memory");
		s->buf = p;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, buf, len);
	s->len += len;
	return 0;
}

/* The members under which records keep hashes: user_public() drops them. */
static bool holds_secret_field(const json_t *v)
{
	static const char *const secret[] = { "password_hash", "password_history", "pin_hash" };
	const char *key;
	json_t *item;
	size_t i;

	if (json_is_object(v)) {
		for (i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
			if (json_object_get(v, secret[i]))
				return true;
		json_object_foreach((json_t *)v, key, item)
			if (holds_secret_field(item))
				return true;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			if (holds_secret_field(item))
				return true;
	}
	return false;
}

/*
 * An io.practice.Staff error must be declared in the interface, with the
 * parameters it declares as required; the other interfaces' errors must be
 * ones their specifications define.
 */
static void check_error(enum endpoint endpoint, const char *error, const json_t *params, const char *frame)
{
	static const char *const others[] = {
		"org.varlink.service.InterfaceNotFound", "org.varlink.service.MethodNotFound",
		"org.varlink.service.InvalidParameter", "org.varlink.service.ExpectedMore",
		"org.varlink.service.PermissionDenied",
	};
	static const char *const userdb[] = {
		"io.systemd.UserDatabase.NoRecordFound", "io.systemd.UserDatabase.BadService",
		"io.systemd.UserDatabase.ConflictingRecordFound", "io.systemd.UserDatabase.NonMatchingRecordFound",
		"io.systemd.UserDatabase.ServiceNotAvailable", "io.systemd.UserDatabase.EnumerationNotSupported",
	};
	static const char prefix[] = "io.practice.Staff.";
	const char *decl, *p;
	char head[96];

	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		if (strcmp(error, others[i]) == 0)
			return;
	if (endpoint == ENDPOINT_USERDB) {
		for (size_t i = 0; i < sizeof(userdb) / sizeof(userdb[0]); i++)
			if (strcmp(error, userdb[i]) == 0)
				return;
		/* The dispatcher's own failures keep its interface's name on either socket. */
		if (strcmp(error, "io.practice.Staff.InternalError") != 0)
			die("undeclared userdb error: %s", frame);
	}
	if (strncmp(error, prefix, strlen(prefix)) != 0 || strlen(error) > 64)
		die("an error outside the interface: %s", frame);
	snprintf(head, sizeof(head), "\nerror %s (", error + strlen(prefix));
	decl = strstr(staff_interface_description, head);
	if (!decl)
		die("an error the interface does not declare: %s", frame);
	/* "error Name (a: string, b: ?int)": every field not marked '?' must be there. */
	p = decl + strlen(head);
	while (*p && *p != ')') {
		const char *colon = strchr(p, ':'), *end;
		char field[64];

		while (*p == ' ' || *p == ',')
			p++;
		if (!colon || *p == ')')
			break;
		snprintf(field, sizeof(field), "%.*s", (int)(colon - p), p);
		for (end = colon + 1; *end == ' '; end++)
			;
		if (*end != '?' && !json_object_get(params, field))
			die("error without its required parameter %s: %s", field, frame);
		while (*end && *end != ',' && *end != ')')
			end++;
		p = end;
	}
}

static void check_replies(enum endpoint endpoint, const struct sink *s, bool more, bool oneway,
			  struct fixture_result *ret)
{
	bool final = false;
	size_t off = 0;

	while (off < s->len) {
		const char *frame = s->buf + off;
		size_t flen = strlen(frame);
		struct varlink_reply reply = { 0 };
		const char *bad = NULL;

		if (varlink_reply_decode(frame, flen, &reply, &bad) < 0)
			die("a reply does not decode (%s): %s", bad ? bad : "?", frame);
		if (!fx.lenient && holds_secret_field(reply.parameters))
			die("a reply carries a password or PIN hash: %s", frame);
		if (oneway)
			die("a oneway call got a reply: %s", frame);
		if (final)
			die("a reply after the final one: %s", frame);
		if (reply.continues && !more)
			die("\"continues\" without \"more\": %s", frame);
		if (reply.error)
			check_error(endpoint, reply.error, reply.parameters, frame);
		ret->replies++;
		json_array_append(ret->all, reply.parameters);
		if (!reply.continues) {
			final = true;
			ret->error = reply.error;
			ret->parameters = reply.parameters;
			reply.error = NULL;
			reply.parameters = NULL;
		}
		varlink_reply_clear(&reply);
		off += flen + 1;
	}
	if (!oneway && !final)
		die("a call got no final reply");
}

void fixture_call(enum endpoint endpoint, uid_t uid, struct varlink_call *vc, int passed_fd,
		  struct fixture_result *ret)
{
	unsigned char *before;
	struct sink s = { 0 };
	struct conn *conn = NULL;
	bool more = vc->more, oneway = vc->oneway;
	char *method = getenv("FUZZ_TRACE") ? strdup(vc->method) : NULL;
	int waited = 0;

	fixture_daemon();
	memset(ret, 0, sizeof(*ret));
	ret->all = json_array();
	before = malloc(fx.meta_len);
	if (!before || !ret->all || conn_new_sink(endpoint, uid, getpid(), sink_take, &s, &conn) < 0)
		die("out of memory");
	read_meta(before);
	conn_sink_call(&fx.d, conn, vc, passed_fd);
	while (conn_sink_run(conn)) {
		struct pollfd p = { .fd = fx.pool_fd, .events = POLLIN };

		if (poll(&p, 1, 1000) == 0 && (waited += 1000) >= FIXTURE_CALL_WAIT_MS)
			die("a call is still in flight after %d ms", waited);
		workpool_reap(fx.d.pool);
	}
	conn_unref(conn);
	check_replies(endpoint, &s, more, oneway, ret);
	read_meta(fx.meta_now);
	ret->changed = memcmp(before, fx.meta_now, fx.meta_len) != 0;
	if (getenv("FUZZ_TRACE")) {
		char *text = ret->error ? json_dumps(ret->parameters, JSON_COMPACT) : NULL;

		dprintf(STDERR_FILENO, "uid %u: %s -> %s %s%s\n", (unsigned)uid, method ? method : "?",
			ret->error ? ret->error : "ok", text ? text : "", ret->changed ? " (changed)" : "");
		free(text);
	}
	free(method);
	free(before);
	free(s.buf);
}

void fixture_result_clear(struct fixture_result *r)
{
	free(r->error);
	json_decref(r->parameters);
	json_decref(r->all);
	memset(r, 0, sizeof(*r));
}

void fixture_make_call(struct varlink_call *vc, const char *method, json_t *params, bool more)
{
	vc->method = strdup(method);
	vc->parameters = params ? params : json_object();
	vc->more = more;
	vc->oneway = false;
	if (!vc->method || !vc->parameters)
		die("out of memory");
}

void fixture_mail(bool on)
{
	/* Shell builtins: the delivery path runs on a worker, nothing is sent. */
	static char command[] = ":", off[] = "";

	fx.d.config.mail_command = on ? command : off;
	fx.d.config.sms_command = on ? command : off;
}

void fixture_check_secrets(bool check)
{
	fx.lenient = !check;
}

uid_t fixture_uid(enum fixture_caller who)
{
	fixture_daemon();
	return fx.uids[who];
}

const char *fixture_username(enum fixture_caller who)
{
	static const char *const names[CALLER_COUNT_] = {
		[CALLER_ADMIN] = "amy", [CALLER_ROLE_ADMIN] = "office", [CALLER_STAFF] = "jdoe",
		[CALLER_PENDING] = "pend", [CALLER_INACTIVE] = "gone", [CALLER_LOCKED] = "lockd",
	};

	return names[who];
}

/*
 * The workers lower their own priority (workpool.c) so that a daemon answers
 * requests before it hashes; here every input waits for its jobs, and on a
 * busy machine a niced worker would make each one wait for other processes.
 * Once the worker has started (a job ran), it gets the harness's priority
 * back where that is allowed.
 */
static void started(void *ctx)
{
	(void)ctx;
}

/* The done step, run by workpool_reap: the job is over for the pool too. */
static void reaped(void *ctx)
{
	*(bool *)ctx = true;
}

static void unnice_workers(void)
{
	bool done[WORK_KINDS] = { false };
	struct dirent *de;
	DIR *d;

	/* One job of each kind: the harness has one worker of each. */
	for (unsigned k = 0; k < WORK_KINDS; k++) {
		if (workpool_submit(fx.d.pool, (enum work_kind)k, started, reaped, &done[k]) < 0)
			die("cannot start the workers");
		while (!done[k]) {
			struct pollfd p = { .fd = fx.pool_fd, .events = POLLIN };

			poll(&p, 1, 1000);
			workpool_reap(fx.d.pool);
		}
	}
	d = opendir("/proc/self/task");
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			(void)setpriority(PRIO_PROCESS, (id_t)strtol(de->d_name, NULL, 10), getpriority(PRIO_PROCESS, 0));
	if (d)
		closedir(d);
}

/* ---- seeding, through the methods as root ---- */

static json_t *seed_call(uid_t uid, const char *method, json_t *params, const char *want_error)
{
	struct varlink_call vc;
	struct fixture_result r;
	json_t *p;

	fixture_make_call(&vc, method, params, false);
	fixture_call(ENDPOINT_STAFF, uid, &vc, -1, &r);
	if (want_error ? !r.error || strcmp(r.error, want_error) != 0 : r.error != NULL) {
		char *text = json_dumps(r.parameters, JSON_COMPACT);

		die("seeding: %s answered %s %s", method, r.error ? r.error : "ok", text ? text : "");
	}
	p = json_incref(r.parameters);
	fixture_result_clear(&r);
	return p;
}

static json_t *seed(const char *method, json_t *params)
{
	return seed_call(0, method, params, NULL);
}

static void seed_activate(const char *username, const char *code)
{
	json_t *p = seed("io.practice.Staff.Authenticate",
			 json_pack("{s:s,s:s,s:s}", "username", username, "secret", code, "codeword", FIXTURE_CODEWORD));
	const char *grant = json_string_value(json_object_get(p, "grant"));

	if (!grant)
		die("seeding: no grant for %s", username);
	json_decref(seed("io.practice.Staff.ChangePassword",
			 json_pack("{s:s,s:s,s:s}", "username", username, "grant", grant, "new_password",
				   FIXTURE_PASSWORD)));
	json_decref(p);
}

/* Adds a user (input stolen), activates it unless pending; returns its uid. */
static uid_t seed_user(json_t *input, bool activate)
{
	const char *username = json_string_value(json_object_get(input, "username"));
	char name[64];
	json_t *p;
	uid_t uid;

	snprintf(name, sizeof(name), "%s", username);
	p = seed("io.practice.Staff.UserAdd", json_pack("{s:o,s:b}", "user", input, "show_code", 1));
	uid = (uid_t)json_integer_value(json_object_get(json_object_get(p, "user"), "uid"));
	if (activate)
		seed_activate(name, json_string_value(json_object_get(p, "activation_code")));
	json_decref(p);
	return uid;
}

static void seed_all(void)
{
	json_t *p;

	p = seed("io.practice.Staff.Init",
		 json_pack("{s:s,s:{s:s,s:s,s:s,s:s},s:s,s:b}", "practice", "Riverside Family Clinic", "admin",
			   "username", "amy", "email", "amy@riverside.example", "first_name", "Amy", "last_name",
			   "Admin", "codeword", FIXTURE_CODEWORD, "show_code", 1));
	fx.uids[CALLER_ADMIN] = (uid_t)json_integer_value(json_object_get(json_object_get(p, "admin"), "uid"));
	seed_activate("amy", json_string_value(json_object_get(p, "activation_code")));
	json_decref(p);

	json_decref(seed("io.practice.Staff.LocationAdd", json_pack("{s:s,s:s}", "name", "Main", "address", "12 River St")));
	json_decref(seed("io.practice.Staff.LocationAdd", json_pack("{s:s}", "name", "North")));
	json_decref(seed("io.practice.Staff.RoleAdd",
			 json_pack("{s:s,s:[s,s]}", "name", "Scribe", "permissions", "clinical.charts", "clinical.notes")));

	seed_user(json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:[s]}", "username", "hprov", "email", "h.prov@riverside.example",
			    "first_name", "Hannah", "last_name", "Provider", "role", "Provider", "npi", "1234567893",
			    "locations", "Main"),
		  true);
	fx.uids[CALLER_STAFF] =
		seed_user(json_pack("{s:s,s:s,s:s,s:s,s:s,s:[s,s],s:s,s:s,s:s,s:b}", "username", "jdoe", "email",
				    "jane.doe@riverside.example", "first_name", "Jane", "last_name", "Doe", "role", "Nurse",
				    "locations", "Main", "North", "primary_location", "Main", "primary_provider", "hprov",
				    "cell_phone", "+1 555 010 0100", "email_updates", 1),
			  true);
	json_decref(seed("io.practice.Staff.UserSetPin", json_pack("{s:s,s:s}", "username", "jdoe", "pin", "4821")));
	fx.uids[CALLER_ROLE_ADMIN] =
		seed_user(json_pack("{s:s,s:s,s:s,s:s,s:s}", "username", "office", "email", "office@riverside.example",
				    "first_name", "Olive", "last_name", "Office", "role", "Office Administrator"),
			  true);
	fx.uids[CALLER_PENDING] =
		seed_user(json_pack("{s:s,s:s,s:s,s:s,s:s}", "username", "pend", "email", "pend@riverside.example",
				    "first_name", "Pat", "last_name", "Pending", "role", "Staff"),
			  false);
	fx.uids[CALLER_INACTIVE] =
		seed_user(json_pack("{s:s,s:s,s:s,s:s,s:s}", "username", "gone", "email", "gone@riverside.example",
				    "first_name", "Gary", "last_name", "Gone", "role", "Front Desk"),
			  true);
	json_decref(seed("io.practice.Staff.UserDeactivate", json_pack("{s:s}", "username", "gone")));
	fx.uids[CALLER_LOCKED] =
		seed_user(json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}", "username", "lockd", "email", "lockd@riverside.example",
				    "first_name", "Lena", "last_name", "Locked", "role", "Scribe", "admin", 1),
			  true);
	for (unsigned i = 1; i <= fx.d.config.lockout_failures; i++)
		json_decref(seed_call(0, "io.practice.Staff.Authenticate",
				      json_pack("{s:s,s:s}", "username", "lockd", "secret", "not the password"),
				      i < fx.d.config.lockout_failures ? "io.practice.Staff.AuthenticationFailed"
								       : "io.practice.Staff.Locked"));
	/* Invited and cancelled before activation: reactivating starts over. */
	seed_user(json_pack("{s:s,s:s,s:s,s:s,s:s}", "username", "cancl", "email", "cancl@riverside.example",
			    "first_name", "Carl", "last_name", "Cancelled", "role", "Billing Manager"),
		  false);
	json_decref(seed("io.practice.Staff.UserCancelInvite", json_pack("{s:s}", "username", "cancl")));
	/* An outstanding reset code on an active account. */
	json_decref(seed("io.practice.Staff.UserResetPassword", json_pack("{s:s}", "username", "hprov")));
	fx.uids[CALLER_ROOT] = 0;
	fx.uids[CALLER_UNKNOWN] = UNKNOWN_UID;
}

static void setup(void)
{
	char path[4096 + 16], keypath[4096 + 16];
	int r;

	fx.started = true;
	/* The daemon's log lines are noise here; sanitizer reports and die() write to fd 2 directly. */
	if (!getenv("FUZZ_LOG")) {
		FILE *null = fopen("/dev/null", "we");

		if (null)
			stderr = null;
	}
	if (sodium_init() < 0)
		die("sodium_init failed");
	/* As staffd's main(): a mail command that does not read its input must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	fixture_tempdir(fx.dir, sizeof(fx.dir));
	/* Registered after the directory's removal: runs before it. */
	atexit(cleanup);

	if ((r = config_defaults(&fx.d.config)) < 0)
		die("config_defaults: %s", strerror(-r));
	free(fx.d.config.state_dir);
	fx.d.config.state_dir = strdup(fx.dir);
	/* Starting a command costs milliseconds: mail is off unless a target turns it on (fixture_mail). */
	free(fx.d.config.mail_command);
	fx.d.config.mail_command = strdup("");
	if (!fx.d.config.state_dir || !fx.d.config.mail_command)
		die("out of memory");
	fx.mail_command = fx.d.config.mail_command;
	fx.sms_command = fx.d.config.sms_command;
	fx.d.config.map_size = FIXTURE_MAP_SIZE;
	fx.d.config.opslimit = crypto_pwhash_OPSLIMIT_MIN;
	fx.d.config.memlimit = crypto_pwhash_MEMLIMIT_MIN;
	fx.d.config.hash_workers = 1;
	fx.d.config.hash_queue = 4;
	snprintf(fx.d.userdb_service, sizeof(fx.d.userdb_service), "io.practice.staff");

	snprintf(keypath, sizeof(keypath), "%s/staffd.key", fx.dir);
	if ((r = keys_load(keypath, &fx.d.keys)) < 0)
		die("keys_load: %s", strerror(-r));
	if ((r = store_open(fx.dir, FIXTURE_MAP_SIZE, &fx.d.store)) < 0)
		die("store_open: %s", strerror(-r));
	if (crypto_pwhash_str_alg(fx.d.dummy_hash, "dummy", 5, fx.d.config.opslimit, fx.d.config.memlimit,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		die("cannot make the dummy hash");
	if ((r = workpool_new(fx.d.config.hash_workers, fx.d.config.hash_queue, &fx.d.pool, &fx.pool_fd)) < 0)
		die("workpool_new: %s", strerror(-r));
	unnice_workers();
	snprintf(path, sizeof(path), "%s/data.mdb", fx.dir);
	fx.data_fd = open(path, O_RDWR | O_CLOEXEC);
	if (fx.data_fd < 0)
		die("open %s: %s", path, strerror(errno));
	fx.meta_len = 2 * (size_t)sysconf(_SC_PAGESIZE);
	fx.meta_now = malloc(fx.meta_len);
	fx.meta_base = calloc(1, fx.meta_len);
	if (!fx.meta_now || !fx.meta_base)
		die("out of memory");

	seed_all();

	/* The seeded database, entry by entry, for every input to start from. */
	{
		struct txn *t = NULL;

		if ((r = store_begin(fx.d.store, false, &t)) < 0)
			die("store_begin: %s", strerror(-r));
		for (int db = 0; db < DB_COUNT_; db++) {
			struct entries l = { 0 };

			take_all(t, (enum store_db)db, &l);
			fx.seeded[db] = l.e;
			fx.nseeded[db] = l.n;
		}
		store_abort(t);
	}
	read_meta(fx.meta_base);
}

struct daemon *fixture_daemon(void)
{
	if (!fx.started)
		setup();
	return &fx.d;
}
