/* LMDB wrapper: maps LMDB results to negative errno once, at this boundary. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <lmdb.h>

#include "json-wipe.h"
#include "log.h"
#include "store.h"

/* CPU seconds the start-up check may take: reading 64 GiB takes far less,
 * so only a loop in a damaged tree gets there. (A timer, not RLIMIT_CPU:
 * the unit's system call filter denies setrlimit.) */
#define VERIFY_CPU_SECONDS 600

static const char *const db_names[DB_COUNT_] = {
	[DB_META] = "meta",
	[DB_USERS] = "users",
	[DB_USER_SUMMARY] = "user_summary",
	[DB_EMAILS] = "emails",
	[DB_UIDS] = "uids",
	[DB_LOCATIONS] = "locations",
	[DB_ROLES] = "roles",
	[DB_TOKENS] = "tokens",
	[DB_AUDIT] = "audit",
	[DB_AUDIT_BY_USER] = "audit_by_user",
};

struct store {
	MDB_env *env;
	MDB_dbi dbi[DB_COUNT_];
	char *dir;
	void *map;		/* where LMDB mapped data.mdb, for store_release_pages */
	size_t map_len;
	unsigned psize;
	unsigned reserve_percent;
};

struct txn {
	struct store *store;
	MDB_txn *txn;
	int error;		/* first failure, sticky until commit */
	bool in_reserve;	/* the map's free part was under the reserve at the start */
	bool may_use_reserve;
};

static void find_map(struct store *s);

static int errno_from_mdb(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return -ENOENT;
	case MDB_KEYEXIST:
		return -EEXIST;
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
		return -ENOSPC;
	case MDB_BAD_VALSIZE:
		return -E2BIG;
	default:
		return rc > 0 ? -rc : -EIO;
	}
}

static int stick(struct txn *t, int r)
{
	if (r < 0 && r != -ENOENT && r != -EEXIST && t->error == 0)
		t->error = r;
	return r;
}

__attribute__((format(printf, 3, 4)))
static void say(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!why || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

/* ---- the start-up check, in a child process ---- */

struct verdict {
	int result;		/* 0, STORE_TRUNCATED or STORE_DAMAGED */
	char why[200];
};

/* The child's only way out: its verdict on the pipe, then _exit. */
static int verdict_fd = -1;

__attribute__((noreturn))
static void verdict_send(int result, const char *why)
{
	struct verdict v = { .result = result };
	const char *p = (const char *)&v;
	size_t done = 0;

	snprintf(v.why, sizeof(v.why), "%s", why);
	while (done < sizeof(v)) {
		ssize_t n = write(verdict_fd, p + done, sizeof(v) - done);

		if (n <= 0)
			break;
		done += (size_t)n;
	}
	_exit(0);
}

/* LMDB asserts on some damaged pages; in the child that is a verdict, not an abort. */
static void verify_assert(MDB_env *env, const char *msg)
{
	char why[200];

	(void)env;
	snprintf(why, sizeof(why), "a page does not read (LMDB: %s)", msg);
	verdict_send(STORE_DAMAGED, why);
}

/* Reads every entry of one table, touching the first and last byte of each
 * key and value so that every page they lie on is read; a failure is the
 * verdict. */
static void verify_table(MDB_txn *txn, MDB_dbi dbi, const char *what)
{
	volatile unsigned char sink = 0;
	MDB_cursor *cur;
	MDB_val k, v;
	char why[200];
	int rc;

	rc = mdb_cursor_open(txn, dbi, &cur);
	for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size)
			sink ^= ((const unsigned char *)k.mv_data)[0] ^ ((const unsigned char *)k.mv_data)[k.mv_size - 1];
		if (v.mv_size)
			sink ^= ((const unsigned char *)v.mv_data)[0] ^ ((const unsigned char *)v.mv_data)[v.mv_size - 1];
	}
	(void)sink;
	if (rc == MDB_NOTFOUND)
		return;
	snprintf(why, sizeof(why), "%s does not read: %s", what, mdb_strerror(rc));
	verdict_send(STORE_DAMAGED, why);
}

__attribute__((noreturn))
static void verify_child(const char *dir, size_t map_size)
{
	struct itimerval cpu = { .it_value = { .tv_sec = VERIFY_CPU_SECONDS } };
	sigset_t prof;
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_envinfo info;
	MDB_stat st;
	MDB_dbi dbi;
	struct stat fst;
	char why[200];
	int fd, rc;

	/* SIGPROF ends the child: the parent takes that for a damaged file. */
	signal(SIGPROF, SIG_DFL);
	sigemptyset(&prof);
	sigaddset(&prof, SIGPROF);
	sigprocmask(SIG_UNBLOCK, &prof, NULL);
	setitimer(ITIMER_PROF, &cpu, NULL);
	rc = mdb_env_create(&env);
	if (!rc)
		rc = mdb_env_set_assert(env, verify_assert);
	if (!rc)
		rc = mdb_env_set_maxdbs(env, DB_COUNT_);
	if (!rc)
		rc = mdb_env_set_mapsize(env, map_size);
	/* Read-only: the check never changes the file it judges. */
	if (!rc)
		rc = mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS, 0600);
	if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH)
		verdict_send(STORE_DAMAGED, "it has no valid LMDB header: it is not a staffd database, or its first "
					    "pages were overwritten");
	if (rc) {
		snprintf(why, sizeof(why), "it cannot be opened: %s", mdb_strerror(rc));
		verdict_send(STORE_DAMAGED, why);
	}
	/* The header counts the pages in use; a shorter file would fault (SIGBUS) when they are read. */
	if (mdb_env_info(env, &info) || mdb_env_stat(env, &st) || mdb_env_get_fd(env, &fd) || fstat(fd, &fst) < 0)
		verdict_send(STORE_DAMAGED, "its header cannot be read");
	if ((uint64_t)fst.st_size < ((uint64_t)info.me_last_pgno + 1) * st.ms_psize) {
		snprintf(why, sizeof(why), "it is truncated: %" PRIu64 " bytes, but its pages take %" PRIu64,
			 (uint64_t)fst.st_size, ((uint64_t)info.me_last_pgno + 1) * st.ms_psize);
		verdict_send(STORE_TRUNCATED, why);
	}
	rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
	if (rc) {
		snprintf(why, sizeof(why), "it cannot be read: %s", mdb_strerror(rc));
		verdict_send(STORE_DAMAGED, why);
	}
	/* Free page list (table 0), the list of tables, then each table. */
	verify_table(txn, 0, "the list of free pages");
	rc = mdb_dbi_open(txn, NULL, 0, &dbi);
	if (!rc)
		verify_table(txn, dbi, "the list of tables");
	for (int i = 0; !rc && i < DB_COUNT_; i++) {
		rc = mdb_dbi_open(txn, db_names[i], 0, &dbi);
		if (rc == MDB_NOTFOUND) {
			rc = 0;		/* made at open by this version */
			continue;
		}
		snprintf(why, sizeof(why), "table %s", db_names[i]);
		if (!rc)
			verify_table(txn, dbi, why);
	}
	if (rc) {
		snprintf(why, sizeof(why), "its list of tables does not read: %s", mdb_strerror(rc));
		verdict_send(STORE_DAMAGED, why);
	}
	verdict_send(0, "");
}

/*
 * LMDB trusts its file: a page that is short faults, a zeroed page trips
 * an assertion. A child process reads everything first; whatever happens to
 * it, the daemon only hears a verdict (or sees it die) and refuses to start.
 */
static int verify_file(const char *dir, size_t map_size, char *why, size_t len)
{
	struct verdict v = { .result = STORE_DAMAGED };
	size_t got = 0;
	int fds[2], status;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		close(fds[0]);
		close(fds[1]);
		return r;
	}
	if (pid == 0) {
		close(fds[0]);
		verdict_fd = fds[1];
		verify_child(dir, map_size);
	}
	close(fds[1]);
	while (got < sizeof(v)) {
		ssize_t n = read(fds[0], (char *)&v + got, sizeof(v) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGPROF) {
		say(why, len, "reading it did not end within %d s of CPU: its pages loop", VERIFY_CPU_SECONDS);
		return STORE_DAMAGED;
	}
	if (WIFSIGNALED(status)) {
		say(why, len, "reading it crashed the check (%s): a page is damaged", strsignal(WTERMSIG(status)));
		return STORE_DAMAGED;
	}
	if (got != sizeof(v) || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		say(why, len, "the check of its pages stopped without a verdict");
		return STORE_DAMAGED;
	}
	v.why[sizeof(v.why) - 1] = '\0';
	if (v.result < 0)
		say(why, len, "%s", v.why);
	return v.result < 0 ? v.result : 0;
}

/* Is there a data.mdb to check, and may it be opened at all? */
static int check_file(const char *dir, const struct store_options *o, char *why, size_t len)
{
	char path[4096];
	struct stat st;

	if ((size_t)snprintf(path, sizeof(path), "%s/data.mdb", dir) >= sizeof(path))
		return -ENAMETOOLONG;
	if (stat(path, &st) < 0) {
		int r = -errno;

		if (r == -ENOENT && !o->must_exist)
			return 0;
		say(why, len, "%s", r == -ENOENT ? "it is missing" : strerror(-r));
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		say(why, len, "it is not a regular file");
		return STORE_DAMAGED;
	}
	/* LMDB would take an empty file for a new database. */
	if (st.st_size == 0) {
		say(why, len, "it is empty (0 bytes)");
		return STORE_EMPTY;
	}
	return verify_file(dir, o->map_size, why, len);
}

int store_open_state(const char *dir, const struct store_options *o, struct store **ret, char *why, size_t whylen)
{
	struct store *s;
	MDB_txn *txn = NULL;
	MDB_stat st;
	int rc, r;

	say(why, whylen, "%s", "");
	r = check_file(dir, o, why, whylen);
	if (r < 0)
		return r;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->reserve_percent = o->reserve_percent;
	s->dir = strdup(dir);
	if (!s->dir) {
		free(s);
		return -ENOMEM;
	}
	rc = mdb_env_create(&s->env);
	if (rc)
		goto out;
	rc = mdb_env_set_maxdbs(s->env, DB_COUNT_);
	if (!rc)
		rc = mdb_env_set_mapsize(s->env, o->map_size);
	/* Readers run on the worker threads too (backup), so no thread-local slots. */
	if (!rc)
		rc = mdb_env_open(s->env, dir, MDB_NOTLS, 0600);
	if (!rc)
		rc = mdb_env_stat(s->env, &st);
	if (!rc) {
		s->psize = st.ms_psize;
		rc = mdb_txn_begin(s->env, NULL, 0, &txn);
	}
	for (int i = 0; !rc && i < DB_COUNT_; i++)
		rc = mdb_dbi_open(txn, db_names[i], MDB_CREATE, &s->dbi[i]);
	if (!rc) {
		rc = mdb_txn_commit(txn);
		txn = NULL;
	}
	if (!rc)
		find_map(s);
out:
	if (txn)
		mdb_txn_abort(txn);
	if (rc) {
		say(why, whylen, "%s", mdb_strerror(rc));
		if (s->env)
			mdb_env_close(s->env);
		free(s->dir);
		free(s);
		return errno_from_mdb(rc);
	}
	*ret = s;
	return 0;
}

int store_open(const char *dir, size_t map_size, struct store **ret)
{
	const struct store_options o = { .map_size = map_size };

	return store_open_state(dir, &o, ret, NULL, 0);
}

void store_close(struct store *s)
{
	if (!s)
		return;
	mdb_env_close(s->env);
	free(s->dir);
	free(s);
}

/* Pages the map holds and the highest in use: LMDB reuses freed pages below
 * it, so the file's high-water mark is what can still grow. */
static int map_pages(struct store *s, uint64_t *total, uint64_t *used)
{
	MDB_envinfo info;
	int rc = mdb_env_info(s->env, &info);

	if (rc)
		return errno_from_mdb(rc);
	*total = info.me_mapsize / s->psize;
	*used = (uint64_t)info.me_last_pgno + 1;
	return 0;
}

static bool map_in_reserve(struct store *s)
{
	uint64_t total, used;

	if (s->reserve_percent == 0 || map_pages(s, &total, &used) < 0)
		return false;
	return used >= total || total - used < total * s->reserve_percent / 100;
}

int store_begin(struct store *s, bool write, struct txn **ret)
{
	struct txn *t;
	int rc;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->store = s;
	rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
	if (rc) {
		free(t);
		return errno_from_mdb(rc);
	}
	/* One look per transaction: what it writes itself is bounded by a request. */
	t->in_reserve = write && map_in_reserve(s);
	*ret = t;
	return 0;
}

int store_txn_error(const struct txn *t)
{
	return t->error;
}

void store_allow_reserve(struct txn *t)
{
	t->may_use_reserve = true;
}

bool store_in_reserve(const struct txn *t)
{
	return t->in_reserve;
}

static int reserve_check(struct txn *t)
{
	return t->in_reserve && !t->may_use_reserve ? stick(t, -ENOSPC) : 0;
}

int store_usage(struct store *s, struct store_usage *ret)
{
	uint64_t total, used;
	int r = map_pages(s, &total, &used);

	if (r < 0)
		return r;
	ret->map_size = total * s->psize;
	ret->used = used * s->psize;
	ret->reserve = total * s->reserve_percent / 100 * s->psize;
	ret->in_reserve = map_in_reserve(s);
	return 0;
}

int store_commit(struct txn *t)
{
	int r = t->error;

	if (r < 0)
		mdb_txn_abort(t->txn);
	else
		r = errno_from_mdb(mdb_txn_commit(t->txn));
	free(t);
	return r;
}

void store_abort(struct txn *t)
{
	if (!t)
		return;
	mdb_txn_abort(t->txn);
	free(t);
}

int store_get(struct txn *t, enum store_db db, const void *key, size_t klen, const void **val, size_t *vlen)
{
	MDB_val k = { .mv_size = klen, .mv_data = (void *)key }, v;
	int r;

	r = stick(t, errno_from_mdb(mdb_get(t->txn, t->store->dbi[db], &k, &v)));
	if (r < 0)
		return r;
	*val = v.mv_data;
	*vlen = v.mv_size;
	return 0;
}

int store_put(struct txn *t, enum store_db db, const void *key, size_t klen, const void *val, size_t vlen,
	      bool no_overwrite)
{
	MDB_val k = { .mv_size = klen, .mv_data = (void *)key };
	MDB_val v = { .mv_size = vlen, .mv_data = (void *)val };
	int r = reserve_check(t);

	if (r < 0)
		return r;
	return stick(t, errno_from_mdb(mdb_put(t->txn, t->store->dbi[db], &k, &v,
						no_overwrite ? MDB_NOOVERWRITE : 0)));
}

int store_del(struct txn *t, enum store_db db, const void *key, size_t klen)
{
	MDB_val k = { .mv_size = klen, .mv_data = (void *)key };
	int r = reserve_check(t);

	if (r < 0)
		return r;
	return stick(t, errno_from_mdb(mdb_del(t->txn, t->store->dbi[db], &k, NULL)));
}

int store_get_json(struct txn *t, enum store_db db, const char *key, json_t **ret)
{
	const void *val;
	size_t vlen;
	json_t *j;
	int r;

	r = store_get(t, db, key, strlen(key), &val, &vlen);
	if (r < 0)
		return r;
	r = store_parse_json(db, key, strlen(key), val, vlen, &j);
	if (r < 0)
		return stick(t, r);
	*ret = j;
	return 0;
}

/* A key as a log line can show it: audit keys as their number, other bytes
 * outside printable ASCII as \xNN, at most 64 of them. */
static void key_text(enum store_db db, const unsigned char *key, size_t klen, char *out, size_t size)
{
	size_t n = 0;

	if (db == DB_AUDIT && klen == 8) {
		snprintf(out, size, "#%" PRIu64, store_from_be64(key));
		return;
	}
	for (size_t i = 0; i < klen && i < 64 && n + 5 < size; i++) {
		if (key[i] >= 0x20 && key[i] < 0x7f && key[i] != '\\')
			out[n++] = (char)key[i];
		else
			n += (size_t)snprintf(out + n, size - n, "\\x%02x", key[i]);
	}
	if (klen > 64 && n + 4 < size) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

int store_refuse_record(enum store_db db, const void *key, size_t klen, const char *why)
{
	char text[64 * 4 + 8];

	key_text(db, key, klen, text, sizeof(text));
	log_error("data.mdb: table %s, record \"%s\": %s; the record is refused (restore data.mdb from a backup, "
		  "see staffd(8) RESTORE)", db_names[db], text, why);
	return -EBADMSG;
}

/* What is wrong with a parsed record, or NULL. Tables with a shape of their
 * own are checked by their owners (user-record.c, roles.c, record.c). */
static const char *record_problem(enum store_db db, const json_t *rec)
{
	/* Records are objects; the meta table also keeps lists (local_clashes). */
	if (!json_is_object(rec) && !(db == DB_META && json_is_array(rec)))
		return "it is not a JSON object";
	return NULL;
}

int store_parse_json(enum store_db db, const void *key, size_t klen, const void *val, size_t vlen, json_t **ret)
{
	json_t *j = json_loadb(val, vlen, 0, NULL);
	const char *why;

	if (!j)
		return store_refuse_record(db, key, klen, vlen == 0 ? "it is empty" : "it is not valid JSON");
	why = record_problem(db, j);
	if (why) {
		json_decref(j);
		return store_refuse_record(db, key, klen, why);
	}
	*ret = j;
	return 0;
}

int store_put_json_key(struct txn *t, enum store_db db, const void *key, size_t klen, const json_t *val)
{
	char *buf;
	int r;

	buf = json_dumps(val, JSON_COMPACT);
	if (!buf)
		return stick(t, -ENOMEM);
	r = store_put(t, db, key, klen, buf, strlen(buf), false);
	json_text_free(buf);
	return r;
}

int store_put_json(struct txn *t, enum store_db db, const char *key, const json_t *val)
{
	return store_put_json_key(t, db, key, strlen(key), val);
}

int store_scan(struct txn *t, enum store_db db, const void *from, size_t fromlen, bool reverse,
	       store_visit_fn visit, void *userdata)
{
	MDB_cursor *cur;
	MDB_val k, v;
	MDB_cursor_op op;
	int rc, r = 0;

	rc = mdb_cursor_open(t->txn, t->store->dbi[db], &cur);
	if (rc)
		return stick(t, errno_from_mdb(rc));
	if (from) {
		k.mv_size = fromlen;
		k.mv_data = (void *)from;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		if (reverse) {
			/* SET_RANGE finds the first key >= from; step back unless it is from itself. */
			if (rc == MDB_NOTFOUND)
				rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
			else if (!rc && (k.mv_size != fromlen || memcmp(k.mv_data, from, fromlen) != 0))
				rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
		}
	} else
		rc = mdb_cursor_get(cur, &k, &v, reverse ? MDB_LAST : MDB_FIRST);
	op = reverse ? MDB_PREV : MDB_NEXT;
	while (rc == 0) {
		r = visit(k.mv_data, k.mv_size, v.mv_data, v.mv_size, userdata);
		if (r != 0)
			break;
		rc = mdb_cursor_get(cur, &k, &v, op);
	}
	mdb_cursor_close(cur);
	if (r != 0)
		return r < 0 ? stick(t, r) : r;
	if (rc && rc != MDB_NOTFOUND)
		return stick(t, errno_from_mdb(rc));
	return 0;
}

int store_count(struct txn *t, enum store_db db, size_t *ret)
{
	MDB_stat st;
	int rc;

	rc = mdb_stat(t->txn, t->store->dbi[db], &st);
	if (rc)
		return stick(t, errno_from_mdb(rc));
	*ret = st.ms_entries;
	return 0;
}

int store_copy_fd(struct store *s, int fd)
{
	return errno_from_mdb(mdb_env_copyfd2(s->env, fd, MDB_CP_COMPACT));
}

int store_size(struct store *s, uint64_t *ret)
{
	MDB_envinfo info;
	MDB_stat st;
	int rc;

	rc = mdb_env_info(s->env, &info);
	if (!rc)
		rc = mdb_env_stat(s->env, &st);
	if (rc)
		return errno_from_mdb(rc);
	*ret = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
	return 0;
}

/*
 * LMDB tells the map's address only for fixed maps. Any value it returns
 * points into the map: take one from the main database (it holds the named
 * tables) and find the mapping around it in /proc/self/maps.
 */
static void find_map(struct store *s)
{
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_dbi main;
	MDB_val k, v;
	uintptr_t inside = 0, start, end;
	char line[512];
	FILE *f;

	if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn) == 0 && mdb_dbi_open(txn, NULL, 0, &main) == 0 &&
	    mdb_cursor_open(txn, main, &cur) == 0 && mdb_cursor_get(cur, &k, &v, MDB_FIRST) == 0)
		inside = (uintptr_t)k.mv_data;
	if (cur)
		mdb_cursor_close(cur);
	if (txn)
		mdb_txn_abort(txn);
	f = inside ? fopen("/proc/self/maps", "re") : NULL;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &start, &end) == 2 && inside >= start && inside < end) {
			s->map = (void *)start;
			s->map_len = end - start;
			break;
		}
	}
	if (f)
		fclose(f);
}

void store_release_pages(struct store *s)
{
	/* The map is read-only (no MDB_WRITEMAP): dropping its pages only unmaps
	 * them from this process; they stay in the page cache for the next read. */
	if (s->map)
		madvise(s->map, s->map_len, MADV_DONTNEED);
}

void store_be64(uint64_t v, unsigned char out[8])
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		out[i] = (unsigned char)(v & 0xff);
}

uint64_t store_from_be64(const unsigned char in[8])
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | in[i];
	return v;
}

void store_be32(uint32_t v, unsigned char out[4])
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		out[i] = (unsigned char)(v & 0xff);
}
