/*
 * bench-directory: fills a running staffd with a staff directory and times the
 * calls DESIGN 13 sets targets for. bench/directory.sh drives it; every
 * figure goes to stdout as "key value..." lines, progress to stderr.
 *
 *   bench-directory load SOCKET USERS
 *       Init, three locations, a custom role and USERS staff users, the
 *       users over several connections at once.
 *   bench-directory audit SOCKET USERS TARGET SECONDS
 *       UserEdit calls (capacity 1 <-> 2, round-robin) until the trail holds
 *       TARGET records or SECONDS have passed.
 *   bench-directory proto SOCKET RUNS USER
 *       UserList, UserShow USER and AuditList for USER over one connection.
 *   bench-directory exec RUNS COMMAND [ARG...]
 *       Wall time of COMMAND, process start to exit, output read from a pipe.
 *
 * Calls are pipelined on each connection: staffd answers them in order.
 * Exit status 0, or 1 when a call fails or the daemon cannot be reached.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <jansson.h>

#include "staff-protocol.h"
#include "client.h"
#include "varlink.h"

#define WINDOW 32		/* calls in flight on the connection */
#define TIMEOUT_MS 120000
#define BENCH_NAME "bench-directory"
#include "bench.h"
#define MAX_RUNS 10000

/* Prints "key median p95 min max" in milliseconds; sorts v. */
static void print_stats(const char *key, double *v, size_t n, const char *extra)
{
	size_t p95 = (n * 95 + 99) / 100;
	double median;

	qsort(v, n, sizeof(*v), cmp_double);
	median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	printf("%s %.3f %.3f %.3f %.3f%s%s\n", key, median * 1e3, v[p95 ? p95 - 1 : 0] * 1e3, v[0] * 1e3,
	       v[n - 1] * 1e3, extra ? " " : "", extra ? extra : "");
}

/* A streaming call; *count gets the number of replies. */
static int call_more(struct varlink_client *c, const char *method, json_t *params, size_t *count)
{
	struct varlink_reply rep;
	size_t n = 0;
	int r;

	r = varlink_client_send(c, method, params, true, -1);
	while (r == 0) {
		bool cont;

		r = varlink_client_recv(c, &rep);
		if (r < 0)
			break;
		if (rep.error) {
			r = report_error(method, &rep);
			varlink_reply_clear(&rep);
			return r;
		}
		/* An empty last reply means nothing matched. */
		if (json_object_size(rep.parameters) > 0)
			n++;
		cont = rep.continues;
		varlink_reply_clear(&rep);
		if (!cont)
			break;
	}
	if (r < 0) {
		fprintf(stderr, "bench-directory: %s: %s\n", method, strerror(-r));
		return r;
	}
	*count = n;
	return 0;
}

/* Builds call i: the method and its parameters (a new reference). */
typedef const char *(*make_fn)(size_t i, json_t **params, void *userdata);

/*
 * Sends calls 0..n-1 with up to WINDOW in flight, stopping early once
 * deadline (seconds, 0 = none) has passed. *done gets the calls answered.
 */
static int pipeline(struct varlink_client *c, size_t n, make_fn make, void *userdata, double deadline, size_t *done)
{
	size_t sent = 0, answered = 0;
	const char *methods[WINDOW];
	int r = 0;

	while (answered < sent || (sent < n && r == 0)) {
		while (r == 0 && sent < n && sent - answered < WINDOW) {
			json_t *params = NULL;
			const char *method;

			if (deadline > 0 && (sent & 1023) == 0 && now_s() > deadline) {
				n = sent;
				break;
			}
			method = make(sent, &params, userdata);
			if (!method || !params)
				r = -ENOMEM;
			else
				r = varlink_client_send(c, method, params, false, -1);
			json_decref(params);
			if (r < 0) {
				fprintf(stderr, "bench-directory: %s: %s\n", method ? method : "call", strerror(-r));
				break;
			}
			methods[sent % WINDOW] = method;
			sent++;
		}
		if (answered == sent)
			break;
		{
			struct varlink_reply rep;
			int rr = varlink_client_recv(c, &rep);

			if (rr < 0) {
				fprintf(stderr, "bench-directory: reply to call %zu: %s\n", answered, strerror(-rr));
				return rr;
			}
			if (rep.error && r == 0)
				r = report_error(methods[answered % WINDOW], &rep);
			varlink_reply_clear(&rep);
			answered++;
		}
	}
	*done = answered;
	return r;
}

/* ---- the directory ---- */

static const char *const first_names[] = {
	"Hannah", "Jane", "Omar", "Priya", "Luis", "Mei", "Kwame", "Sofia", "Ivan", "Aisha", "Tom", "Grace",
	"Diego", "Yuki", "Noah", "Fatima", "Liam", "Elena", "Raj", "Chloe", "Samuel", "Nadia", "Ben", "Olga",
	"Marcus", "Leila", "Pavel", "Rosa", "Tariq", "Ingrid", "Kofi", "Anna", "Jorge", "Hana", "Felix", "Zara",
};
static const char *const last_names[] = {
	"Provider", "Doe", "Nguyen", "Patel", "Garcia", "Chen", "Mensah", "Rossi", "Petrov", "Khan", "Smith",
	"Okafor", "Lopez", "Tanaka", "Brown", "Haddad", "Murphy", "Novak", "Singh", "Martin", "Schmidt", "Ali",
	"Johansson", "Kowalski", "Dubois", "Costa", "Yilmaz", "Kim", "Olsen", "Reyes", "Walsh", "Ivanova",
};
static const char *const locations[] = { "Main", "North Clinic", "East Clinic" };
static const int steps[] = { 10, 15, 15, 20, 30 };

#define NFIRST (sizeof(first_names) / sizeof(first_names[0]))
#define NLAST (sizeof(last_names) / sizeof(last_names[0]))

static const char *last_of(size_t i)
{
	return last_names[(i + i / NFIRST) % NLAST];
}

static void username_of(size_t i, char *buf, size_t len)
{
	const char *first = first_names[i % NFIRST], *last = last_of(i);
	size_t n = 0;

	buf[n++] = (char)(first[0] - 'A' + 'a');
	for (const char *p = last; *p && n + 1 < len; p++)
		buf[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	snprintf(buf + n, len - n, "%zu", i);
}

/* NPI: 9 digits and a Luhn check digit over "80840" + those digits. */
static void npi_of(size_t i, char out[11])
{
	char payload[15];
	unsigned sum = 0;

	snprintf(out, 11, "%09zu", 100000000 + i % 900000000);
	memcpy(payload, "80840", 5);
	memcpy(payload + 5, out, 9);
	for (size_t k = 0; k < 14; k++) {
		/* Doubling starts at the rightmost payload digit. */
		unsigned d = (unsigned)(payload[13 - k] - '0');
		if (k % 2 == 0) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	out[9] = (char)('0' + (10 - sum % 10) % 10);
	out[10] = '\0';
}

/* DEA: registrant type, the last name's initial, 6 digits and a check digit. */
static void dea_of(size_t i, const char *last, char out[10])
{
	unsigned d[6];
	size_t v = i;

	for (int k = 5; k >= 0; k--, v /= 10)
		d[k] = (unsigned)(v % 10);
	snprintf(out, 10, "%c%c%u%u%u%u%u%u%u", "ABFM"[i % 4], last[0], d[0], d[1], d[2], d[3], d[4], d[5],
		 (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10);
}

/* Staff user i: every tenth group of ten has the same mix of roles. */
static json_t *user_input(size_t i)
{
	const char *first = first_names[i % NFIRST], *last = last_of(i);
	size_t kind = i % 10, loc = i % 3;
	char username[48], email[96], buf[64];
	json_t *u, *locs;

	username_of(i, username, sizeof(username));
	/* Some addresses in mixed case: email uniqueness ignores case. */
	snprintf(email, sizeof(email), i % 7 == 0 ? "%s.%s.%zu@Riverside.Example" : "%s.%s.%zu@riverside.example",
		 first, last, i);
	if (i % 7 != 0)
		for (char *p = email; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	u = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:i}", "username", username, "email", email, "first_name", first,
		      "last_name", last, "role",
		      kind < 2	 ? "Provider"
		      : kind < 4 ? "Nurse"
		      : kind < 6 ? "Front Desk"
		      : kind == 6 ? "Billing Manager"
		      : kind == 7 ? "Staff"
		      : kind == 8 ? "Office Administrator"
				  : "Scribe",
		      "capacity", 1 + (int)(i % 2), "step", steps[i % 5]);
	if (!u)
		return NULL;
	json_object_set_new(u, "primary_location", json_string(locations[loc]));
	locs = json_array();
	if (i % 4 != 0) {
		json_array_append_new(locs, json_string(locations[loc]));
		if (i % 4 == 3)
			json_array_append_new(locs, json_string(locations[(loc + 1) % 3]));
	}
	json_object_set_new(u, "locations", locs);
	if (kind < 2) {
		char npi[11], dea[10];

		npi_of(i, npi);
		dea_of(i, last, dea);
		json_object_set_new(u, "npi", json_string(npi));
		json_object_set_new(u, "dea", json_string(dea));
		json_object_set_new(u, "taxonomy", json_string(kind ? "363LF0000X" : "207Q00000X"));
		json_object_set_new(u, "degree", json_string(kind ? "NP" : "MD"));
		json_object_set_new(u, "specialty", json_string(kind ? "Family Nurse Practitioner" : "Family Medicine"));
		json_object_set_new(u, "care_team_role", json_string("Attending"));
	} else if (kind < 4) {
		char provider[48];

		username_of(i - kind, provider, sizeof(provider));
		json_object_set_new(u, "primary_provider", json_string(provider));
		snprintf(buf, sizeof(buf), "%08zu", 30000000 + i);
		json_object_set_new(u, "ncsbn_id", json_string(buf));
		json_object_set_new(u, "degree", json_string("RN"));
		json_object_set_new(u, "care_team_role", json_string("Nurse"));
	} else if (kind == 6) {
		json_object_set_new(u, "daily_billing_report", json_true());
	} else if (kind == 7) {
		json_object_set_new(u, "employment", json_string("external"));
	} else if (kind == 8 && i % 100 == 8) {
		json_object_set_new(u, "admin", json_true());
	}
	if (i % 2 == 0) {
		snprintf(buf, sizeof(buf), "+1 (555) %03zu-%04zu", i / 10000 % 1000, i % 10000);
		json_object_set_new(u, "cell_phone", json_string(buf));
	}
	if (i % 5 == 0) {
		snprintf(buf, sizeof(buf), "555.%03zu.%04zu", 100 + i / 10000 % 900, i % 10000);
		json_object_set_new(u, "home_phone", json_string(buf));
		json_object_set_new(u, "email_updates", json_true());
	}
	if (i % 6 == 0)
		json_object_set_new(u, "bio", json_string("Joined the practice after residency; speaks English and "
							  "Spanish; prefers morning clinics."));
	return u;
}

/*
 * The users are loaded over LOADERS connections at once: each UserAdd waits
 * for its invitation mail, and the daemon runs those on its worker threads.
 * Loader k takes the groups of ten (i / 10) with group % LOADERS == k, so a
 * nurse's provider, from the same group, is always added before the nurse.
 */
#define LOADERS 4

struct slice {
	size_t k;
};

static size_t slice_user(const struct slice *s, size_t n)
{
	return ((n / 10) * LOADERS + s->k) * 10 + n % 10;
}

static const char *make_user_add(size_t n, json_t **params, void *userdata)
{
	json_t *u = user_input(slice_user(userdata, n));

	*params = u ? json_pack("{s:o}", "user", u) : NULL;
	return STAFF_METHOD("UserAdd");
}

static int load_slice(const char *sock, size_t users, size_t k)
{
	struct slice s = { k };
	struct varlink_client *c = NULL;
	size_t n = 0, done = 0;
	int r;

	while (slice_user(&s, n) < users)
		n++;
	if ((r = connect_to(sock, &c)) < 0)
		return r;
	r = pipeline(c, n, make_user_add, &s, 0, &done);
	varlink_client_free(c);
	return r;
}

static int cmd_load(const char *sock, size_t users)
{
	struct varlink_client *c = NULL;
	pid_t pids[LOADERS];
	double t0;
	json_t *p;
	int r, failed = 0;

	if ((r = connect_to(sock, &c)) < 0)
		return r;
	p = json_pack("{s:s,s:{s:s,s:s,s:s,s:s},s:s}", "practice", "Riverside Family Clinic", "admin", "username", "amy",
		      "email", "amy@riverside.example", "first_name", "Amy", "last_name", "Admin", "codeword",
		      "maple harbor");
	r = call1(c, STAFF_METHOD("Init"), p, NULL);
	json_decref(p);
	for (size_t k = 0; r == 0 && k < sizeof(locations) / sizeof(locations[0]); k++) {
		p = json_pack("{s:s,s:s}", "name", locations[k], "address", "12 River St");
		r = call1(c, STAFF_METHOD("LocationAdd"), p, NULL);
		json_decref(p);
	}
	if (r == 0) {
		p = json_pack("{s:s,s:[s,s]}", "name", "Scribe", "permissions", "clinical.charts", "clinical.notes");
		r = call1(c, STAFF_METHOD("RoleAdd"), p, NULL);
		json_decref(p);
	}
	varlink_client_free(c);
	if (r < 0)
		return r;
	fflush(NULL);
	t0 = now_s();
	for (size_t k = 0; k < LOADERS; k++) {
		pid_t parent = getpid();

		pids[k] = fork();
		if (pids[k] == 0) {
			/* A loader stopped by a signal takes its helpers with it. */
			if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
				_exit(1);
			_exit(load_slice(sock, users, k) < 0 ? 1 : 0);
		}
		if (pids[k] < 0) {
			fprintf(stderr, "bench-directory: fork: %s\n", strerror(errno));
			failed = 1;
		}
	}
	for (size_t k = 0; k < LOADERS; k++) {
		int status;

		if (pids[k] <= 0)
			continue;
		while (waitpid(pids[k], &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed = 1;
	}
	if (failed)
		return -EPROTO;
	{
		double dt = now_s() - t0;
		printf("users_added %zu\nusers_seconds %.3f\nuser_add_us %.1f\n", users, dt, dt / (double)users * 1e6);
	}
	return 0;
}

/* ---- the audit trail ---- */

struct editor {
	size_t users;
	size_t next;			/* round-robin across chunks */
	unsigned char *capacity;	/* each user's current capacity */
};

static const char *make_user_edit(size_t i, json_t **params, void *userdata)
{
	struct editor *e = userdata;
	size_t u = e->next++ % e->users;
	char username[48];

	(void)i;
	username_of(u, username, sizeof(username));
	e->capacity[u] = (unsigned char)(3 - e->capacity[u]);
	*params = json_pack("{s:s,s:{s:i}}", "username", username, "changes", "capacity", (int)e->capacity[u]);
	return STAFF_METHOD("UserEdit");
}

static int audit_records(struct varlink_client *c, long long *ret)
{
	json_t *status = NULL;
	int r = call1(c, STAFF_METHOD("GetStatus"), NULL, &status);

	if (r == 0)
		*ret = json_integer_value(json_object_get(json_object_get(status, "status"), "audit_records"));
	json_decref(status);
	return r;
}

static int cmd_audit(const char *sock, size_t users, long long target, double seconds)
{
	struct editor e = { users, 0, NULL };
	struct varlink_client *c = NULL;
	long long before = 0, after = 0;
	double t0, deadline, last = 0;
	size_t done = 0, total = 0;
	int r;

	if (users == 0)
		return -EINVAL;
	e.capacity = malloc(users);
	if (!e.capacity)
		return -ENOMEM;
	for (size_t i = 0; i < users; i++)
		e.capacity[i] = (unsigned char)(1 + i % 2);
	if ((r = connect_to(sock, &c)) < 0)
		goto out;
	if ((r = audit_records(c, &before)) < 0)
		goto out;
	t0 = now_s();
	deadline = t0 + seconds;
	/* In chunks, so that progress shows and the deadline is checked. */
	while (r == 0 && before + (long long)total < target && now_s() < deadline) {
		size_t chunk = (size_t)(target - before - (long long)total);

		if (chunk > 50000)
			chunk = 50000;
		r = pipeline(c, chunk, make_user_edit, &e, deadline, &done);
		total += done;
		if (now_s() - last >= 10) {
			last = now_s();
			fprintf(stderr, "bench-directory: %lld audit records, %.1f us per UserEdit\n",
				before + (long long)total, (last - t0) / (double)(total ? total : 1) * 1e6);
		}
	}
	if (r == 0)
		r = audit_records(c, &after);
	if (r == 0) {
		double dt = now_s() - t0;
		printf("audit_before %lld\naudit_records %lld\nedits %zu\nedits_seconds %.3f\nuser_edit_us %.1f\n",
		       before, after, total, dt, total ? dt / (double)total * 1e6 : 0.0);
	}
out:
	varlink_client_free(c);
	free(e.capacity);
	return r;
}

/* ---- timing ---- */

static int cmd_proto(const char *sock, size_t runs, const char *user)
{
	struct varlink_client *c = NULL;
	double *list = NULL, *show = NULL, *audit = NULL;
	size_t nlist = 0, naudit = 0;
	char extra[64];
	json_t *p_user = json_pack("{s:s}", "username", user), *p_audit = json_pack("{s:s}", "user", user);
	json_t *p_none = json_object();
	int r;

	list = calloc(runs, sizeof(double));
	show = calloc(runs, sizeof(double));
	audit = calloc(runs, sizeof(double));
	if (!list || !show || !audit || !p_user || !p_audit || !p_none) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = connect_to(sock, &c)) < 0)
		goto out;
	/* One untimed round warms the page cache and the allocator. */
	for (size_t i = 0; r == 0 && i <= runs; i++) {
		double t0 = now_s();
		json_t *rep = NULL;

		r = call_more(c, STAFF_METHOD("UserList"), p_none, &nlist);
		if (r < 0)
			break;
		if (i > 0)
			list[i - 1] = now_s() - t0;
		t0 = now_s();
		r = call1(c, STAFF_METHOD("UserShow"), p_user, &rep);
		json_decref(rep);
		if (r < 0)
			break;
		if (i > 0)
			show[i - 1] = now_s() - t0;
		t0 = now_s();
		r = call_more(c, STAFF_METHOD("AuditList"), p_audit, &naudit);
		if (r < 0)
			break;
		if (i > 0)
			audit[i - 1] = now_s() - t0;
	}
	if (r == 0) {
		snprintf(extra, sizeof(extra), "%zu", nlist);
		print_stats("proto_user_list", list, runs, extra);
		print_stats("proto_user_show", show, runs, NULL);
		snprintf(extra, sizeof(extra), "%zu", naudit);
		print_stats("proto_audit_user", audit, runs, extra);
	}
out:
	varlink_client_free(c);
	json_decref(p_user);
	json_decref(p_audit);
	json_decref(p_none);
	free(list);
	free(show);
	free(audit);
	return r;
}

/* Runs argv once with stdout on a pipe read to the end; *bytes gets its length. */
static int run_once(char **argv, double *secs, size_t *bytes)
{
	char buf[65536];
	size_t total = 0;
	int pfd[2], status;
	double t0 = now_s();
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (pid == 0) {
		dup2(pfd[1], STDOUT_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], buf, sizeof(buf))) != 0) {
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0)
			total += (size_t)n;
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	*secs = now_s() - t0;
	*bytes = total;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench-directory: %s exited with status %d\n", argv[0],
			WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		return -EPROTO;
	}
	return 0;
}

static int cmd_exec(size_t runs, char **argv)
{
	double *v = calloc(runs, sizeof(double)), secs;
	size_t bytes = 0;
	char extra[32];
	int r = v ? 0 : -ENOMEM;

	/* The first run is not counted: it pulls the binary into the page cache. */
	for (size_t i = 0; r == 0 && i <= runs; i++) {
		r = run_once(argv, &secs, &bytes);
		if (r == 0 && i > 0)
			v[i - 1] = secs;
	}
	if (r == 0) {
		snprintf(extra, sizeof(extra), "%zu", bytes);
		print_stats("exec", v, runs, extra);
	}
	free(v);
	return r;
}

static int parse_size(const char *s, size_t max, size_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v == 0 || v > max)
		return -EINVAL;
	*ret = (size_t)v;
	return 0;
}

static int usage(void)
{
	fputs("usage: bench-directory load SOCKET USERS\n"
	      "       bench-directory audit SOCKET USERS TARGET SECONDS\n"
	      "       bench-directory proto SOCKET RUNS USER\n"
	      "       bench-directory exec RUNS COMMAND [ARG...]\n",
	      stderr);
	return 2;
}

int main(int argc, char **argv)
{
	size_t a = 0, b = 0, secs = 0;
	int r;

	if (argc < 3)
		return usage();
	if (strcmp(argv[1], "load") == 0 && argc == 4 && parse_size(argv[3], 1000000, &a) == 0)
		r = cmd_load(argv[2], a);
	else if (strcmp(argv[1], "audit") == 0 && argc == 6 && parse_size(argv[3], 1000000, &a) == 0 &&
		 parse_size(argv[4], 100000000, &b) == 0 && parse_size(argv[5], 86400, &secs) == 0)
		r = cmd_audit(argv[2], a, (long long)b, (double)secs);
	else if (strcmp(argv[1], "proto") == 0 && argc == 5 && parse_size(argv[3], MAX_RUNS, &a) == 0)
		r = cmd_proto(argv[2], a, argv[4]);
	else if (strcmp(argv[1], "exec") == 0 && argc >= 4 && parse_size(argv[2], MAX_RUNS, &a) == 0)
		r = cmd_exec(a, argv + 3);
	else
		return usage();
	return r < 0 ? 1 : 0;
}
