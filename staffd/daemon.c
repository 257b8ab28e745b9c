/* Start-up, reload and shutdown of the daemon's long-lived state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>

#include "clashes.h"
#include "daemon.h"
#include "lockfile.h"
#include "log.h"
#include "practice.h"
#include "privdrop.h"
#include "secrets.h"
#include "server.h"
#include "store.h"
#include "userdb.h"
#include "users.h"
#include "workpool.h"

static void report_problem(const char *path, unsigned line, const char *message, void *userdata)
{
	(void)userdata;
	if (line)
		log_error("%s:%u: %s", path, line, message);
	else
		log_error("%s: %s", path, message);
}

int load_config(struct config *c, const char *path)
{
	int r = config_defaults(c);

	if (r < 0)
		return r;
	if (!path)
		return 0;
	r = config_load(c, path, report_problem, NULL);
	if (r == -ENOENT && strcmp(path, STAFFD_DEFAULT_CONFIG) == 0)
		return 0;	/* no file: every default */
	if (r < 0 && r != -EINVAL)
		log_error("%s: %s", path, strerror(-r));
	return r;
}

/* Creates the last component of path with mode if missing (then *created is
 * set); refuses a state directory others can read. */
static int ensure_dir(const char *path, mode_t mode, bool private, bool *created)
{
	struct stat st;

	if (mkdir(path, mode) == 0) {
		/* The daemon's umask (077) must not narrow a socket directory others traverse. */
		if (chmod(path, mode) < 0)
			return -errno;
		if (created)
			*created = true;
	} else if (errno != EEXIST)
		return -errno;
	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (private && (st.st_mode & 077) && chmod(path, mode) < 0)
		return -errno;
	return 0;
}

/* The directory holding a socket; *created_dir gets it (malloc'd) when
 * staffd made it, so that it can remove it again at exit. */
static int socket_parent(const char *path, char **created_dir)
{
	char *dir = strdup(path), *slash;
	bool created = false;
	int r = 0;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		r = ensure_dir(dir, 0755, false, &created);
	}
	if (r == 0 && created && created_dir)
		*created_dir = dir;
	else
		free(dir);
	return r;
}

static void set_userdb_service(struct daemon *d, const char *path)
{
	const char *slash = strrchr(path, '/');

	snprintf(d->userdb_service, sizeof(d->userdb_service), "%s", slash ? slash + 1 : path);
}

static const char *socket_problem(int r)
{
	if (r == -EADDRINUSE)
		return "another process is serving it (another staffd?); not taking it over";
	if (r == -EEXIST)
		return "exists and is not a socket; not replacing it";
	return strerror(-r);
}

/*
 * Sockets passed by systemd are told apart by FileDescriptorName ("staff",
 * "userdb"); whatever was not passed is bound here, unless turned off.
 */
static int open_sockets(struct daemon *d)
{
	char **names = NULL;
	bool have_staff = false, have_userdb = false;
	int n, r = 0;

	n = sd_listen_fds_with_names(1, &names);
	if (n < 0) {
		log_error("socket activation: %s", strerror(-n));
		return n;
	}
	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;
		bool userdb = names && names[i] && strcmp(names[i], "userdb") == 0;

		if (r == 0 && sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0)
			r = -EINVAL;
		if (r == 0)
			r = server_adopt(d->server, fd, userdb ? ENDPOINT_USERDB : ENDPOINT_STAFF);
		if (r == 0 && userdb) {
			struct sockaddr_un sa;
			socklen_t len = sizeof(sa);
			if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0 && sa.sun_path[0])
				set_userdb_service(d, sa.sun_path);
		}
		if (r < 0)
			log_error("socket %d (%s) passed by systemd: %s", fd, names && names[i] ? names[i] : "?",
				  strerror(-r));
		*(userdb ? &have_userdb : &have_staff) = true;
	}
	for (int i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	if (r < 0)
		return r;
	if (!have_staff) {
		r = socket_parent(d->config.socket_path, NULL);
		if (r == 0)
			r = server_listen(d->server, d->config.socket_path, ENDPOINT_STAFF);
		if (r < 0) {
			log_error("socket %s: %s", d->config.socket_path, socket_problem(r));
			return r;
		}
	}
	if (!have_staff)
		log_info("serving %s", d->config.socket_path);
	else
		log_info("serving the socket systemd passed");
	if (!have_userdb && d->config.userdb_socket && *d->config.userdb_socket) {
		r = socket_parent(d->config.userdb_socket, &d->created_userdb_dir);
		if (r == 0)
			r = server_listen(d->server, d->config.userdb_socket, ENDPOINT_USERDB);
		if (r < 0) {
			log_error("userdb socket %s: %s", d->config.userdb_socket, socket_problem(r));
			return r;
		}
		set_userdb_service(d, d->config.userdb_socket);
		log_info("serving user records on %s", d->config.userdb_socket);
	}
	return 0;
}

#define RESTORE_HINT "see staffd(8), RESTORE"

static void report_store_problem(const char *dir, int r, const char *why)
{
	switch (r) {
	case -ENOENT:
		log_error("%s/data.mdb: %s, but staffd.key is there: restore data.mdb from a backup (%s); "
			  "to start a new, empty practice instead, move staffd.key away first", dir, why, RESTORE_HINT);
		break;
	case STORE_EMPTY:
	case STORE_TRUNCATED:
	case STORE_DAMAGED:
		log_error("%s/data.mdb: %s: restore data.mdb from a backup (%s)", dir, why, RESTORE_HINT);
		break;
	default:
		log_error("%s/data.mdb: %s", dir, *why ? why : strerror(-r));
	}
}

/* The key must be the one the database was written with; one is made only for a database that needs none yet. */
static int check_key(struct daemon *d, const char *keypath)
{
	struct txn *t = NULL;
	bool needed = false;
	int r;

	if (!d->keys) {
		r = store_begin(d->store, false, &t);
		if (r == 0)
			r = practice_needs_key(t, &needed);
		store_abort(t);
		t = NULL;
		if (r == 0 && needed) {
			log_error("%s is missing, but %s/data.mdb was written with it: restore staffd.key "
				  "from the backup taken with data.mdb (%s); staffd never makes a new key over "
				  "existing data", keypath, d->config.state_dir, RESTORE_HINT);
			return -ENOKEY;
		}
		if (r == 0)
			r = keys_load(keypath, &d->keys);
		if (r < 0) {
			log_error("key file %s: %s", keypath, strerror(-r));
			return r;
		}
	}
	r = store_begin(d->store, true, &t);
	if (r < 0)
		return r;
	/* Start-up may use the reserve: it records at most one fingerprint. */
	store_allow_reserve(t);
	r = practice_check_key(t, d->keys);
	if (r == -ENOKEY) {
		store_abort(t);
		log_error("%s is not the key %s/data.mdb was written with (it was replaced): restore the staffd.key "
			  "backed up with data.mdb (%s)", keypath, d->config.state_dir, RESTORE_HINT);
		return r;
	}
	if (r < 0) {
		store_abort(t);
		log_error("key file %s: cannot check it against data.mdb: %s", keypath, strerror(-r));
		return r;
	}
	return store_commit(t);
}

/*
 * staffd.key and data.mdb belong together: a missing, empty, short or
 * damaged data.mdb beside a key, or a missing or replaced key beside a
 * database, is refused with what to restore, never started afresh.
 */
static int open_state(struct daemon *d)
{
	struct store_options o = {
		.map_size = d->config.map_size,
		.reserve_percent = d->config.map_reserve,
	};
	char keypath[4096], why[256] = "";
	int r;

	snprintf(keypath, sizeof(keypath), "%s/staffd.key", d->config.state_dir);
	r = keys_read(keypath, &d->keys);
	if (r < 0 && r != -ENOENT) {
		log_error("key file %s: %s", keypath,
			  r == -EPERM ? "readable by others: it must be mode 0600" : strerror(-r));
		return r;
	}
	/* A key file means the state directory was set up: its database must be there. */
	o.must_exist = r == 0;
	r = store_open_state(d->config.state_dir, &o, &d->store, why, sizeof(why));
	if (r < 0) {
		report_store_problem(d->config.state_dir, r, why);
		return r;
	}
	return check_key(d, keypath);
}

/* Brings a database written by an earlier version up to date. */
static int daemon_migrate(struct daemon *d)
{
	struct txn *t = NULL;
	const void *v;
	size_t n;
	int r;

	r = store_begin(d->store, true, &t);
	if (r < 0)
		return r;
	/* Roles and the administrators' group need gids once staff are OS users. */
	r = store_get(t, DB_META, "practice", strlen("practice"), &v, &n);
	if (r == 0)
		r = userdb_ensure_gids(t, &d->config);
	if (r == 0)
		r = users_rebuild_summaries(t);
	if (r == -ENOENT) {
		store_abort(t);
		return 0;
	}
	if (r < 0) {
		store_abort(t);
		log_error("database upgrade: %s", strerror(-r));
		return r;
	}
	return store_commit(t);
}

/*
 * What an unknown user's secret is checked against: an Argon2id string with
 * the configured parameters, so that verifying it costs what a real one
 * costs, and a random salt and digest, so that it matches nothing. Written
 * in libsodium's encoding rather than hashed: an Argon2id run here (half a
 * second on a busy machine) would hold up READY=1, and with it every start
 * and the boot.
 */
static int daemon_make_dummy_hash(struct daemon *d)
{
	enum { B64 = sodium_base64_VARIANT_ORIGINAL_NO_PADDING };
	unsigned char salt[crypto_pwhash_SALTBYTES], digest[32];
	char salt64[sodium_base64_ENCODED_LEN(sizeof(salt), B64)];
	char digest64[sodium_base64_ENCODED_LEN(sizeof(digest), B64)];
	int n;

	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(digest, sizeof(digest));
	sodium_bin2base64(salt64, sizeof(salt64), salt, sizeof(salt), B64);
	sodium_bin2base64(digest64, sizeof(digest64), digest, sizeof(digest), B64);
	n = snprintf(d->dummy_hash, sizeof(d->dummy_hash), "%sv=19$m=%zu,t=%llu,p=1$%s$%s", crypto_pwhash_argon2id_STRPREFIX,
		     d->config.memlimit / 1024, d->config.opslimit, salt64, digest64);
	return n > 0 && (size_t)n < sizeof(d->dummy_hash) ? 0 : -ENAMETOOLONG;
}

/*
 * Started as root and not socket-activated (the unit starts staffd as its
 * user already): the user to become once everything is open, looked up now,
 * before any socket is served. *ret_uid stays 0 when staffd stays as it is.
 */
static int drop_target(const struct daemon *d, uid_t *ret_uid, gid_t *ret_gid)
{
	int r;

	if (geteuid() != 0 || !*d->config.user || sd_listen_fds(0) > 0)
		return 0;
	r = privdrop_lookup(d->config.user, ret_uid, ret_gid);
	if (r == -ESRCH)
		log_error("user %s does not exist: create it (systemd-sysusers, or adduser --system %s) "
			  "or set [daemon] user = (empty) to run as root", d->config.user, d->config.user);
	else if (r < 0)
		log_error("user %s: %s", d->config.user, r == -EPERM ? "is root or in group root" : strerror(-r));
	return r;
}

static int drop_privileges(struct daemon *d, uid_t uid, gid_t gid)
{
	int r = privdrop_chown_state(d->config.state_dir, uid, gid);

	if (r < 0) {
		log_error("state directory %s: cannot give it to %s: %s", d->config.state_dir, d->config.user,
			  strerror(-r));
		return r;
	}
	r = privdrop_become(uid, gid);
	if (r < 0) {
		log_error("cannot run as %s: %s", d->config.user, strerror(-r));
		return r;
	}
	log_info("running as user %s (uid %u)", d->config.user, (unsigned)uid);
	return 0;
}

/* Before anything in the state directory or any socket is touched. */
static int lock_state(struct daemon *d)
{
	char path[4096];
	pid_t holder;
	int r = lockfile_take(d->config.state_dir, path, sizeof(path), &d->lock_fd, &holder);

	if (r == -EWOULDBLOCK && holder > 0)
		log_error("%s is locked by another staffd (pid %ld) serving %s: stop it first", path, (long)holder,
			  d->config.state_dir);
	else if (r == -EWOULDBLOCK)
		log_error("%s is locked by another staffd serving %s: stop it first", path, d->config.state_dir);
	else if (r < 0)
		log_error("lock file %s: %s", path, strerror(-r));
	return r;
}

int daemon_start(struct daemon *d, const char *config_path)
{
	uid_t uid = 0;
	gid_t gid = 0;
	int poolfd, r;

	d->config_path = config_path;
	d->lock_fd = -1;
	r = load_config(&d->config, config_path);
	if (r < 0)
		return r;
	r = drop_target(d, &uid, &gid);
	if (r < 0)
		return r;
	r = ensure_dir(d->config.state_dir, 0700, true, NULL);
	if (r < 0) {
		log_error("state directory %s: %s", d->config.state_dir, strerror(-r));
		return r;
	}
	r = lock_state(d);
	if (r < 0)
		return r;
	r = open_state(d);
	if (r < 0)
		return r;
	r = daemon_migrate(d);
	if (r < 0)
		return r;
	/* Before anything is served: no staff account may answer for a local one. */
	r = clashes_review(d);
	if (r < 0)
		return r;
	r = daemon_make_dummy_hash(d);
	if (r < 0)
		return r;
	r = server_new(d, &d->server);
	if (r < 0)
		return r;
	r = workpool_new(d->config.hash_workers, d->config.hash_queue, &d->pool, &poolfd);
	if (r == 0)
		r = server_watch_pool(d->server, poolfd);
	if (r < 0)
		return r;
	r = open_sockets(d);
	if (r == 0 && uid != 0)
		r = drop_privileges(d, uid, gid);
	if (r < 0)
		return r;
	sd_notify(0, "READY=1\nSTATUS=Serving the staff directory");
	return 0;
}

void daemon_stop(struct daemon *d)
{
	sd_notify(0, "STOPPING=1");
	/* Workers first: their done steps may still need the server and store. */
	workpool_free(d->pool);
	server_free(d->server);
	/* Attempts for unknown names counted so far go into the trail now. */
	if (d->store)
		unknown_logins_flush(d, (long long)time(NULL), true);
	store_close(d->store);
	keys_free(d->keys);
	/* Leave /run/systemd/userdb as it was if staffd made it (fails while others use it). */
	if (d->created_userdb_dir)
		rmdir(d->created_userdb_dir);
	free(d->created_userdb_dir);
	config_free(&d->config);
	/* Last: the next daemon may start once this one has let go of everything. */
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	d->lock_fd = -1;
}

void daemon_reload(struct daemon *d)
{
	struct config fresh;

	sd_notify(0, "RELOADING=1");
	if (load_config(&fresh, d->config_path) < 0) {
		log_error("reload: %s has errors; keeping the running configuration", d->config_path);
		config_free(&fresh);
		sd_notify(0, "READY=1");
		return;
	}
	if (strcmp(fresh.state_dir, d->config.state_dir) != 0 || strcmp(fresh.socket_path, d->config.socket_path) != 0)
		log_warning("reload: state_dir and socket take effect at the next start");
	/* Everything else is read per request. */
	free(fresh.state_dir);
	free(fresh.socket_path);
	fresh.state_dir = d->config.state_dir;
	fresh.socket_path = d->config.socket_path;
	d->config.state_dir = NULL;
	d->config.socket_path = NULL;
	config_free(&d->config);
	d->config = fresh;
	if (daemon_make_dummy_hash(d) < 0)
		log_warning("reload: cannot make a hash with the new Argon2id parameters");
	/* A local account added since the start takes its name back now. */
	if (clashes_review(d) < 0)
		log_warning("reload: the staff accounts were not checked against the local accounts again");
	log_info("configuration reloaded from %s", d->config_path);
	sd_notify(0, "READY=1");
}
