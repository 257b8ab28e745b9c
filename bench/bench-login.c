/*
 * bench-login: logins and lookups against a running staffd, at the protocol
 * level. bench/login.sh and bench/userdb.sh drive it; figures go to stdout
 * as "key value..." lines (times in milliseconds: median p95 p99 min max),
 * progress and problems to stderr.
 *
 *   bench-login setup SOCKET PREFIX COUNT
 *       Init when the practice is new, then COUNT active staff users
 *       PREFIX0..PREFIX<COUNT-1> with the password $BENCH_PASSWORD, each
 *       activated as pam_practice does it (activation code and the code word
 *       $BENCH_CODEWORD, then ChangePassword with the grant).
 *   bench-login verify OPSLIMIT,MEMLIMIT THREADS SECONDS
 *       The bare Argon2id verification (crypto_pwhash_str_verify) in this
 *       process: the median of a few runs one at a time, then how many
 *       THREADS threads verifying at once complete per second, as a pool of
 *       hash workers in one process would.
 *   bench-login logins SOCKET PREFIX COUNT CLIENTS SECONDS
 *       CLIENTS threads signing in (right password, a fresh connection per
 *       Authenticate, as the module does) round-robin over the COUNT users,
 *       for SECONDS or, with 0, until SIGTERM or SIGINT.
 *   bench-login burst SOCKET USER N [FIRST PAUSE_MS]
 *       N Authenticate calls sent at once on N connections; counts the
 *       answers: ok, Busy, other. With FIRST and PAUSE_MS, the first FIRST
 *       calls go out, then a pause (time for the workers to take them),
 *       then the rest.
 *   bench-login account SOCKET USER RUNS ECHO_SOCKET
 *       CheckAccount for USER over a fresh connection each time (connect,
 *       request, reply, close), alternating with the same round trip to a
 *       trivial echo server this program runs at ECHO_SOCKET.
 *   bench-login getpwnam NAMES_FILE RUNS ECHO_SOCKET [USERDB_SOCKET]
 *       getpwnam_r() of a random name from NAMES_FILE (one per line),
 *       alternating with the bare round trip to the echo server and, with
 *       USERDB_SOCKET, with the GetUserRecord round trip that nss-systemd
 *       makes for that name, sent directly (what the daemon's side costs).
 *
 * Exit status 0, or 1 when a call fails or returns what the bench did not set
 * up, 2 on a usage error.
 */
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <jansson.h>
#include <sodium.h>

#include "staff-protocol.h"
#include "client.h"
#include "json-wipe.h"
#include "varlink.h"

#define TIMEOUT_MS 120000
#define BENCH_NAME "bench-login"
#include "bench.h"
#define MAX_CLIENTS 256
#define MAX_BURST 1000
#define MAX_RUNS 1000000
#define VERIFY_RUNS 10
#define FRAME_MAX 4096

/* "key median p95 p99 min max" in milliseconds; sorts v. */
static void print_stats(const char *key, double *v, size_t n)
{
	size_t p95 = (n * 95 + 99) / 100, p99 = (n * 99 + 99) / 100;
	double median;

	if (n == 0) {
		printf("%s - - - - -\n", key);
		return;
	}
	qsort(v, n, sizeof(*v), cmp_double);
	median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	printf("%s %.3f %.3f %.3f %.3f %.3f\n", key, median * 1e3, v[p95 ? p95 - 1 : 0] * 1e3, v[p99 ? p99 - 1 : 0] * 1e3,
	       v[0] * 1e3, v[n - 1] * 1e3);
}

static const char *secret_env(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v) {
		fprintf(stderr, "bench-login: %s is not set\n", name);
		return NULL;
	}
	return v;
}

/* ---- calls ---- */

/* ---- setup ---- */

static int init_practice(struct varlink_client *c, const char *codeword)
{
	json_t *status = NULL, *p;
	int r = call1(c, STAFF_METHOD("GetStatus"), NULL, &status);

	if (r < 0)
		return r;
	if (json_is_true(json_object_get(json_object_get(status, "status"), "initialized"))) {
		json_decref(status);
		return 0;
	}
	json_decref(status);
	p = json_pack("{s:s,s:{s:s,s:s,s:s,s:s},s:s}", "practice", "Bench Family Clinic", "admin", "username",
		      "benchadmin", "email", "admin@bench.example", "first_name", "Bench", "last_name", "Admin",
		      "codeword", codeword);
	r = p ? call1(c, STAFF_METHOD("Init"), p, NULL) : -ENOMEM;
	json_decref(p);
	if (r < 0)
		return r;
	/* Staff can be added only once the practice has a location. */
	p = json_pack("{s:s,s:s}", "name", "Main", "address", "1 Bench Road");
	r = p ? call1(c, STAFF_METHOD("LocationAdd"), p, NULL) : -ENOMEM;
	json_decref(p);
	return r;
}

/* A pending user, signed in with its activation code and given the password. */
static int add_active_user(struct varlink_client *c, const char *user, const char *password, const char *codeword)
{
	json_t *p, *added = NULL, *auth = NULL;
	const char *code, *grant;
	char email[128];
	int r;

	snprintf(email, sizeof(email), "%s@bench.example", user);
	p = json_pack("{s:{s:s,s:s,s:s,s:s,s:s},s:b}", "user", "username", user, "email", email, "first_name", "Morgan",
		      "last_name", "Quill", "role", "Front Desk", "show_code", 1);
	r = p ? call1(c, STAFF_METHOD("UserAdd"), p, &added) : -ENOMEM;
	json_decref(p);
	if (r < 0)
		goto out;
	code = json_string_value(json_object_get(added, "activation_code"));
	if (!code) {
		fprintf(stderr, "bench-login: UserAdd returned no activation code\n");
		r = -EPROTO;
		goto out;
	}
	p = json_pack("{s:s,s:s,s:s,s:s}", "username", user, "secret", code, "codeword", codeword, "service", "bench");
	r = p ? call1(c, STAFF_METHOD("Authenticate"), p, &auth) : -ENOMEM;
	json_decref(p);
	if (r < 0)
		goto out;
	grant = json_string_value(json_object_get(auth, "grant"));
	if (!grant) {
		fprintf(stderr, "bench-login: the activation code gave no grant\n");
		r = -EPROTO;
		goto out;
	}
	p = json_pack("{s:s,s:s,s:s}", "username", user, "grant", grant, "new_password", password);
	r = p ? call1(c, STAFF_METHOD("ChangePassword"), p, NULL) : -ENOMEM;
	json_decref(p);
out:
	json_decref(added);
	json_decref(auth);
	return r;
}

static int cmd_setup(const char *sock, const char *prefix, size_t count)
{
	const char *password = secret_env("BENCH_PASSWORD"), *codeword = secret_env("BENCH_CODEWORD");
	struct varlink_client *c = NULL;
	char user[64];
	int r;

	if (!password || !codeword)
		return -EINVAL;
	if ((r = connect_to(sock, &c)) < 0)
		return r;
	r = init_practice(c, codeword);
	for (size_t i = 0; r == 0 && i < count; i++) {
		snprintf(user, sizeof(user), "%s%zu", prefix, i);
		r = add_active_user(c, user, password, codeword);
	}
	varlink_client_free(c);
	return r;
}

/* ---- logins ---- */

enum login_result { LOGIN_OK, LOGIN_BUSY, LOGIN_OTHER };

/* One sign-in as the module makes it: connect, Authenticate, close. */
static int login_once(const char *sock, const char *user, const char *password, enum login_result *res)
{
	struct varlink_client *c = NULL;
	struct varlink_reply rep;
	json_t *p;
	int r;

	p = json_pack("{s:s,s:s,s:s}", "username", user, "secret", password, "service", "bench");
	if (!p)
		return -ENOMEM;
	r = varlink_client_connect(sock, TIMEOUT_MS, &c);
	if (r == 0)
		r = varlink_client_call(c, STAFF_METHOD("Authenticate"), p, &rep);
	json_decref(p);
	varlink_client_free(c);
	if (r < 0)
		return r;
	if (!rep.error && json_string_value(json_object_get(rep.parameters, "result")) &&
	    strcmp(json_string_value(json_object_get(rep.parameters, "result")), "ok") == 0)
		*res = LOGIN_OK;
	else if (rep.error && strcmp(rep.error, STAFF_ERROR("Busy")) == 0)
		*res = LOGIN_BUSY;
	else {
		report_error("Authenticate", &rep);
		*res = LOGIN_OTHER;
	}
	varlink_reply_clear(&rep);
	return 0;
}

struct login_load {
	const char *sock, *prefix, *password;
	size_t count;
	double window_start, window_end;	/* completions counted for the rate */
	atomic_bool stop;
};

struct login_client {
	struct login_load *load;
	size_t k;
	size_t ok, busy, other, in_window;
	double *lat;
	size_t nlat, cap;
	int error;
	pthread_t thread;
};

static void *login_client_main(void *arg)
{
	struct login_client *lc = arg;
	struct login_load *l = lc->load;
	char user[64];

	for (size_t n = 0; !atomic_load(&l->stop); n++) {
		enum login_result res;
		double t0 = now_s(), t1;
		int r;

		snprintf(user, sizeof(user), "%s%zu", l->prefix, (lc->k + n) % l->count);
		r = login_once(l->sock, user, l->password, &res);
		if (r < 0) {
			fprintf(stderr, "bench-login: Authenticate: %s\n", strerror(-r));
			lc->error = r;
			break;
		}
		t1 = now_s();
		if (res == LOGIN_OK) {
			lc->ok++;
			if (t1 >= l->window_start && t1 <= l->window_end)
				lc->in_window++;
			if (lc->nlat == lc->cap) {
				size_t cap = lc->cap ? lc->cap * 2 : 256;
				double *v = realloc(lc->lat, cap * sizeof(double));

				if (!v) {
					lc->error = -ENOMEM;
					break;
				}
				lc->lat = v;
				lc->cap = cap;
			}
			lc->lat[lc->nlat++] = t1 - t0;
		} else if (res == LOGIN_BUSY) {
			lc->busy++;
		} else {
			lc->other++;
		}
	}
	return NULL;
}

static int parse_params(const char *arg, unsigned long long *ops, size_t *mem)
{
	char *end;

	errno = 0;
	*ops = strtoull(arg, &end, 10);
	if (errno || end == arg || *end != ',' || *ops < crypto_pwhash_OPSLIMIT_MIN)
		return -EINVAL;
	arg = end + 1;
	*mem = (size_t)strtoull(arg, &end, 10);
	if (errno || end == arg || *end || *mem < crypto_pwhash_MEMLIMIT_MIN)
		return -EINVAL;
	return 0;
}

struct verifier {
	const char *hash, *password;
	double deadline;
	size_t done;
	int error;
	pthread_t thread;
};

static void *verifier_main(void *arg)
{
	struct verifier *v = arg;

	while (now_s() < v->deadline) {
		if (crypto_pwhash_str_verify(v->hash, v->password, strlen(v->password)) != 0) {
			v->error = -EPROTO;
			break;
		}
		v->done++;
	}
	return NULL;
}

static int cmd_verify(const char *params, size_t threads, double seconds)
{
	const char *password = secret_env("BENCH_PASSWORD");
	char hash[crypto_pwhash_STRBYTES];
	struct verifier *v = NULL;
	double one[VERIFY_RUNS], t0, t1;
	unsigned long long ops;
	size_t mem, started = 0, done = 0;
	int r;

	if (!password || parse_params(params, &ops, &mem) < 0)
		return -EINVAL;
	if (crypto_pwhash_str_alg(hash, password, strlen(password), ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return -ENOMEM;
	/* One untimed run first, as for every other figure. */
	for (size_t i = 0; i <= VERIFY_RUNS; i++) {
		double t = now_s();

		if (crypto_pwhash_str_verify(hash, password, strlen(password)) != 0) {
			r = -EPROTO;
			goto out;
		}
		if (i > 0)
			one[i - 1] = now_s() - t;
	}
	v = calloc(threads, sizeof(*v));
	if (!v) {
		r = -ENOMEM;
		goto out;
	}
	t0 = now_s();
	for (r = 0; r == 0 && started < threads; started++) {
		v[started] = (struct verifier){ .hash = hash, .password = password, .deadline = t0 + seconds };
		r = -pthread_create(&v[started].thread, NULL, verifier_main, &v[started]);
		if (r < 0)
			break;
	}
	for (size_t i = 0; i < started; i++) {
		pthread_join(v[i].thread, NULL);
		done += v[i].done;
		if (v[i].error < 0 && r == 0)
			r = v[i].error;
	}
	t1 = now_s();
	if (r == 0) {
		print_stats("verify", one, VERIFY_RUNS);
		printf("parallel_threads %zu\nparallel_rate %.2f\n", threads, (double)done / (t1 - t0));
	}
out:
	if (r == -EPROTO)
		fputs("bench-login: the bare verification failed\n", stderr);
	sodium_memzero(hash, sizeof(hash));
	free(v);
	return r;
}

static int cmd_logins(const char *sock, const char *prefix, size_t count, size_t clients, double seconds)
{
	struct login_load l = { .sock = sock, .prefix = prefix, .count = count };
	struct login_client *lc;
	size_t started = 0, ok = 0, busy = 0, other = 0, in_window = 0, nlat = 0;
	double t0, t1, warmup, *lat = NULL;
	sigset_t mask;
	int r = 0;

	l.password = secret_env("BENCH_PASSWORD");
	if (!l.password)
		return -EINVAL;
	lc = calloc(clients, sizeof(*lc));
	if (!lc)
		return -ENOMEM;
	/* The threads inherit the mask: only sigtimedwait below takes the signals. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	t0 = now_s();
	/* A short warm-up is left out of the rate: every worker starts at once. */
	warmup = seconds > 0 ? (seconds / 5 < 1 ? seconds / 5 : 1) : 0;
	l.window_start = t0 + warmup;
	l.window_end = seconds > 0 ? t0 + seconds : 1e300;
	atomic_init(&l.stop, false);
	for (; started < clients; started++) {
		lc[started].load = &l;
		lc[started].k = started;
		r = -pthread_create(&lc[started].thread, NULL, login_client_main, &lc[started]);
		if (r < 0)
			break;
	}
	if (r == 0) {
		if (seconds > 0) {
			struct timespec ts = { (time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9) };

			while (sigtimedwait(&mask, NULL, &ts) < 0 && errno == EINTR) {
				double left = t0 + seconds - now_s();

				if (left <= 0)
					break;
				ts.tv_sec = (time_t)left;
				ts.tv_nsec = (long)((left - (double)(time_t)left) * 1e9);
			}
		} else {
			int sig;

			sigwait(&mask, &sig);
		}
	}
	t1 = now_s();
	atomic_store(&l.stop, true);
	for (size_t i = 0; i < started; i++) {
		pthread_join(lc[i].thread, NULL);
		ok += lc[i].ok;
		busy += lc[i].busy;
		other += lc[i].other;
		in_window += lc[i].in_window;
		nlat += lc[i].nlat;
		if (lc[i].error < 0 && r == 0)
			r = lc[i].error;
	}
	if (r == 0 && nlat > 0) {
		lat = malloc(nlat * sizeof(double));
		if (!lat)
			r = -ENOMEM;
		nlat = 0;
		for (size_t i = 0; lat && i < started; i++) {
			memcpy(lat + nlat, lc[i].lat, lc[i].nlat * sizeof(double));
			nlat += lc[i].nlat;
		}
	}
	if (r == 0) {
		double window = (seconds > 0 ? t0 + seconds : t1) - l.window_start;

		printf("clients %zu\nseconds %.3f\nlogins %zu\nbusy %zu\nother %zu\n", clients, t1 - t0, ok, busy, other);
		printf("rate %.2f\n", window > 0 ? (double)in_window / window : 0.0);
		print_stats("login", lat, nlat);
	}
	for (size_t i = 0; i < clients; i++)
		free(lc[i].lat);
	free(lc);
	free(lat);
	/* Refusals other than Busy mean the users were not what setup made them. */
	return r < 0 ? r : other > 0 ? -EPROTO : 0;
}

static int cmd_burst(const char *sock, const char *user, size_t n, size_t first, size_t pause_ms)
{
	const char *password = secret_env("BENCH_PASSWORD");
	struct varlink_client **c;
	size_t ok = 0, busy = 0, other = 0;
	json_t *p;
	int r = 0;

	if (!password)
		return -EINVAL;
	c = calloc(n, sizeof(*c));
	p = json_pack("{s:s,s:s,s:s}", "username", user, "secret", password, "service", "bench");
	if (!c || !p) {
		r = -ENOMEM;
		goto out;
	}
	/* All connected first, then all sent: every call is in before any hash ends. */
	for (size_t i = 0; r == 0 && i < n; i++)
		r = connect_to(sock, &c[i]);
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (i == first && pause_ms > 0) {
			struct timespec ts = { (time_t)(pause_ms / 1000), (long)(pause_ms % 1000) * 1000000L };

			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
		}
		r = varlink_client_send(c[i], STAFF_METHOD("Authenticate"), p, false, -1);
	}
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct varlink_reply rep;

		r = varlink_client_recv(c[i], &rep);
		if (r < 0)
			break;
		if (!rep.error)
			ok++;
		else if (strcmp(rep.error, STAFF_ERROR("Busy")) == 0)
			busy++;
		else {
			report_error("Authenticate", &rep);
			other++;
		}
		varlink_reply_clear(&rep);
	}
	if (r < 0)
		fprintf(stderr, "bench-login: burst: %s\n", strerror(-r));
	else
		printf("sent %zu\nok %zu\nbusy %zu\nother %zu\n", n, ok, busy, other);
out:
	for (size_t i = 0; c && i < n; i++)
		varlink_client_free(c[i]);
	free(c);
	json_decref(p);
	return r;
}

/* ---- round trips over fresh connections ---- */

static int unix_address(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

/* Reads until a NUL byte ends the frame; *got gets its length. */
static int read_frame(int fd, char *buf, size_t cap, size_t *got)
{
	size_t n = 0;

	for (;;) {
		ssize_t k = read(fd, buf + n, cap - 1 - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return -ECONNRESET;
		n += (size_t)k;
		if (memchr(buf + n - (size_t)k, '\0', (size_t)k)) {
			buf[n] = '\0';
			*got = n;
			return 0;
		}
		if (n + 1 >= cap)
			return -EMSGSIZE;
	}
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t k = write(fd, buf, len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		buf += k;
		len -= (size_t)k;
	}
	return 0;
}

/*
 * connect + request + reply + close, the same code for staffd and for the
 * echo server, so that the two figures differ only by the server.
 */
static int round_trip(const struct sockaddr_un *sa, const char *req, size_t len, char *buf, size_t cap, double *secs)
{
	double t0 = now_s();
	size_t got;
	int fd, r;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0)
		r = -errno;
	else if ((r = write_all(fd, req, len)) == 0)
		r = read_frame(fd, buf, cap, &got);
	close(fd);
	*secs = now_s() - t0;
	return r;
}

/* The trivial server: accept, read one frame, send it back, close. */
static void echo_serve(int lfd)
{
	char buf[FRAME_MAX];

	for (;;) {
		size_t got;
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			_exit(1);
		}
		if (read_frame(fd, buf, sizeof(buf), &got) == 0)
			(void)write_all(fd, buf, got);
		close(fd);
	}
}

/*
 * The round-trip commands run with SIGTERM, SIGINT and SIGHUP blocked and
 * look for them between runs, so that a stopped bench still stops and reaps
 * its echo server.
 */
static void stop_signals_block(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGHUP);
	sigprocmask(SIG_BLOCK, mask, NULL);
}

static bool stop_requested(const sigset_t *mask)
{
	struct timespec zero = { 0, 0 };

	return sigtimedwait(mask, NULL, &zero) > 0;
}

/* Starts the echo server in a child process; *pid gets it. */
static int echo_start(const char *path, pid_t *pid)
{
	struct sockaddr_un sa;
	pid_t parent = getpid(), child;
	int lfd, r;

	if ((r = unix_address(path, &sa)) < 0)
		return r;
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -errno;
	unlink(path);
	if (bind(lfd, (const struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 128) < 0) {
		r = -errno;
		close(lfd);
		return r;
	}
	fflush(NULL);
	child = fork();
	if (child < 0) {
		r = -errno;
		close(lfd);
		unlink(path);
		return r;
	}
	if (child == 0) {
		/* Gone with the bench, whatever stops it. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(1);
		echo_serve(lfd);
		_exit(0);
	}
	close(lfd);
	*pid = child;
	return 0;
}

static void echo_stop(const char *path, pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	unlink(path);
}

static int cmd_account(const char *sock, const char *user, size_t runs, const char *echo_path)
{
	struct sockaddr_un sa_staffd, sa_echo;
	double *bare = calloc(runs, sizeof(double)), *check = calloc(runs, sizeof(double));
	char req[512], buf[FRAME_MAX];
	sigset_t mask;
	size_t len;
	pid_t echo = -1;
	int r;

	stop_signals_block(&mask);
	if (!bare || !check) {
		r = -ENOMEM;
		goto out;
	}
	/* The frame pam_practice sends in its account phase, without location= or require=. */
	len = (size_t)snprintf(req, sizeof(req), "{\"method\":\"" STAFF_METHOD("CheckAccount") "\",\"parameters\":{\"username\":\"%s\"}}",
			       user) + 1;
	if (len >= sizeof(req) || (r = unix_address(sock, &sa_staffd)) < 0 || (r = unix_address(echo_path, &sa_echo)) < 0) {
		r = -ENAMETOOLONG;
		goto out;
	}
	if ((r = echo_start(echo_path, &echo)) < 0) {
		fprintf(stderr, "bench-login: cannot start the echo server: %s\n", strerror(-r));
		goto out;
	}
	/* Run 0 is not counted: it warms both servers and this process. */
	for (size_t i = 0; r == 0 && i <= runs; i++) {
		double a = 0, b = 0;

		if (stop_requested(&mask)) {
			r = -EINTR;
			break;
		}
		r = round_trip(&sa_echo, req, len, buf, sizeof(buf), &a);
		if (r < 0) {
			fprintf(stderr, "bench-login: echo round trip: %s\n", strerror(-r));
			break;
		}
		r = round_trip(&sa_staffd, req, len, buf, sizeof(buf), &b);
		if (r < 0) {
			fprintf(stderr, "bench-login: CheckAccount: %s\n", strerror(-r));
			break;
		}
		if (!strstr(buf, "\"status\":\"active\"")) {
			fprintf(stderr, "bench-login: CheckAccount answered %s\n", buf);
			r = -EPROTO;
			break;
		}
		if (i > 0) {
			bare[i - 1] = a;
			check[i - 1] = b;
		}
	}
	if (r == 0) {
		print_stats("bare", bare, runs);
		print_stats("account", check, runs);
	}
out:
	if (echo > 0)
		echo_stop(echo_path, echo);
	free(bare);
	free(check);
	return r;
}

/* ---- getpwnam through NSS ---- */

static int read_names(const char *path, char ***ret, size_t *count)
{
	FILE *f = fopen(path, "re");
	char **names = NULL, *line = NULL;
	size_t n = 0, cap = 0, lcap = 0;
	ssize_t len;
	int r = 0;

	if (!f)
		return -errno;
	while ((len = getline(&line, &lcap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (len == 0)
			continue;
		if (n == cap) {
			char **v = realloc(names, (cap = cap ? cap * 2 : 1024) * sizeof(char *));

			if (!v) {
				r = -ENOMEM;
				break;
			}
			names = v;
		}
		if (!(names[n] = strdup(line))) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	free(line);
	fclose(f);
	if (r == 0 && n == 0)
		r = -ENODATA;
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return r;
	}
	*ret = names;
	*count = n;
	return 0;
}

static int lookup(const char *name, char **buf, size_t *cap, double *secs)
{
	struct passwd pw, *found = NULL;
	double t0 = now_s();
	int e;

	while ((e = getpwnam_r(name, &pw, *buf, *cap, &found)) == ERANGE) {
		char *b = realloc(*buf, *cap * 2);

		if (!b)
			return -ENOMEM;
		*buf = b;
		*cap *= 2;
	}
	*secs = now_s() - t0;
	if (e != 0)
		return -e;
	if (!found || strcmp(found->pw_name, name) != 0)
		return -ENOENT;
	return 0;
}

/* The call nss-systemd makes: the service is the socket's file name. */
static int userdb_request(const char *userdb_path, const char *name, char *req, size_t cap, size_t *len)
{
	const char *service = strrchr(userdb_path, '/');
	int n = snprintf(req, cap,
			 "{\"method\":\"io.systemd.UserDatabase.GetUserRecord\",\"parameters\":{\"userName\":\"%s\","
			 "\"service\":\"%s\"}}",
			 name, service ? service + 1 : userdb_path);

	if (n < 0 || (size_t)n + 1 > cap)
		return -ENAMETOOLONG;
	*len = (size_t)n + 1;
	return 0;
}

static int cmd_getpwnam(const char *names_path, size_t runs, const char *echo_path, const char *userdb_path)
{
	double *bare = calloc(runs, sizeof(double)), *nss = calloc(runs, sizeof(double));
	double *direct = calloc(runs, sizeof(double));
	char **names = NULL, *pwbuf = NULL, req[512], buf[FRAME_MAX];
	size_t nnames = 0, pwcap = 4096, len;
	struct sockaddr_un sa_echo, sa_userdb;
	sigset_t mask;
	uint32_t seed;
	pid_t echo = -1;
	int r;

	stop_signals_block(&mask);
	pwbuf = malloc(pwcap);
	if (!bare || !nss || !direct || !pwbuf) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = read_names(names_path, &names, &nnames)) < 0) {
		fprintf(stderr, "bench-login: cannot read names from %s: %s\n", names_path, strerror(-r));
		goto out;
	}
	/* The echo server gets a request of the size nss-systemd sends. */
	if ((r = userdb_request(userdb_path ? userdb_path : "io.practice.staff", names[0], req, sizeof(req), &len)) < 0 ||
	    (r = unix_address(echo_path, &sa_echo)) < 0 || (userdb_path && (r = unix_address(userdb_path, &sa_userdb)) < 0))
		goto out;
	if ((r = echo_start(echo_path, &echo)) < 0) {
		fprintf(stderr, "bench-login: cannot start the echo server: %s\n", strerror(-r));
		goto out;
	}
	seed = randombytes_random();
	for (size_t i = 0; r == 0 && i <= runs; i++) {
		const char *name;
		double a = 0, b = 0;

		if (stop_requested(&mask)) {
			r = -EINTR;
			break;
		}
		/* xorshift32: a cheap, fixed-cost choice of name. */
		seed ^= seed << 13;
		seed ^= seed >> 17;
		seed ^= seed << 5;
		name = names[seed % nnames];
		r = round_trip(&sa_echo, req, len, buf, sizeof(buf), &a);
		if (r < 0) {
			fprintf(stderr, "bench-login: echo round trip: %s\n", strerror(-r));
			break;
		}
		r = lookup(name, &pwbuf, &pwcap, &b);
		if (r < 0) {
			fprintf(stderr, "bench-login: getpwnam_r(\"%s\"): %s\n", name, strerror(-r));
			break;
		}
		if (userdb_path) {
			char ureq[512], want[128];
			size_t ulen;
			double c = 0;

			if ((r = userdb_request(userdb_path, name, ureq, sizeof(ureq), &ulen)) < 0)
				break;
			r = round_trip(&sa_userdb, ureq, ulen, buf, sizeof(buf), &c);
			snprintf(want, sizeof(want), "\"userName\":\"%s\"", name);
			if (r == 0 && !strstr(buf, want)) {
				fprintf(stderr, "bench-login: GetUserRecord for %s answered %.200s\n", name, buf);
				r = -EPROTO;
			}
			if (r < 0) {
				fprintf(stderr, "bench-login: GetUserRecord: %s\n", strerror(-r));
				break;
			}
			if (i > 0)
				direct[i - 1] = c;
		}
		if (i > 0) {
			bare[i - 1] = a;
			nss[i - 1] = b;
		}
	}
	if (r == 0) {
		printf("names %zu\n", nnames);
		print_stats("bare", bare, runs);
		print_stats("getpwnam", nss, runs);
		if (userdb_path)
			print_stats("userdb", direct, runs);
	}
out:
	if (echo > 0)
		echo_stop(echo_path, echo);
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	free(pwbuf);
	free(bare);
	free(nss);
	free(direct);
	return r;
}

/* ---- main ---- */

static int parse_size(const char *s, size_t min, size_t max, size_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*ret = (size_t)v;
	return 0;
}

static int usage(void)
{
	fputs("usage: bench-login setup SOCKET PREFIX COUNT\n"
	      "       bench-login verify OPSLIMIT,MEMLIMIT THREADS SECONDS\n"
	      "       bench-login logins SOCKET PREFIX COUNT CLIENTS SECONDS\n"
	      "       bench-login burst SOCKET USER N [FIRST PAUSE_MS]\n"
	      "       bench-login account SOCKET USER RUNS ECHO_SOCKET\n"
	      "       bench-login getpwnam NAMES_FILE RUNS ECHO_SOCKET [USERDB_SOCKET]\n",
	      stderr);
	return 2;
}

int main(int argc, char **argv)
{
	size_t a = 0, b = 0, secs = 0;
	int r;

	if (argc < 2)
		return usage();
	if (sodium_init() < 0)
		return 1;
	json_wipe_install();
	/* Output goes to a file that the scripts read once the command is done. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[1], "setup") == 0 && argc == 5 && parse_size(argv[4], 1, 100000, &a) == 0)
		r = cmd_setup(argv[2], argv[3], a);
	else if (strcmp(argv[1], "verify") == 0 && argc == 5 && parse_size(argv[3], 1, MAX_CLIENTS, &a) == 0 &&
		 parse_size(argv[4], 1, 86400, &secs) == 0)
		r = cmd_verify(argv[2], a, (double)secs);
	else if (strcmp(argv[1], "logins") == 0 && argc == 7 && parse_size(argv[4], 1, 100000, &a) == 0 &&
		 parse_size(argv[5], 1, MAX_CLIENTS, &b) == 0 && parse_size(argv[6], 0, 86400, &secs) == 0)
		r = cmd_logins(argv[2], argv[3], a, b, (double)secs);
	else if (strcmp(argv[1], "burst") == 0 && argc == 5 && parse_size(argv[4], 1, MAX_BURST, &a) == 0)
		r = cmd_burst(argv[2], argv[3], a, 0, 0);
	else if (strcmp(argv[1], "burst") == 0 && argc == 7 && parse_size(argv[4], 1, MAX_BURST, &a) == 0 &&
		 parse_size(argv[5], 1, MAX_BURST, &b) == 0 && parse_size(argv[6], 1, 10000, &secs) == 0)
		r = cmd_burst(argv[2], argv[3], a, b, secs);
	else if (strcmp(argv[1], "account") == 0 && argc == 6 && parse_size(argv[4], 1, MAX_RUNS, &a) == 0)
		r = cmd_account(argv[2], argv[3], a, argv[5]);
	else if (strcmp(argv[1], "getpwnam") == 0 && (argc == 5 || argc == 6) && parse_size(argv[3], 1, MAX_RUNS, &a) == 0)
		r = cmd_getpwnam(argv[2], a, argv[4], argc == 6 ? argv[5] : NULL);
	else
		return usage();
	return r < 0 ? 1 : 0;
}
