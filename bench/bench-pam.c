/*
 * bench-pam: an in-process PAM application that times whole PAM
 * transactions (pam_start_confdir, the phases, pam_end) and, in the same
 * process and the same rounds, the bare Argon2id verification they are
 * measured against. bench/login.sh drives it; figures go to stdout as
 * "key median p95 p99 min max" lines in milliseconds.
 *
 *   bench-pam [--verify OPSLIMIT,MEMLIMIT] ROUNDS CONFDIR CASE...
 *
 *   CASE: NAME:SERVICE:USER:ANSWER:PHASES:EXPECT
 *     SERVICE  a service file in CONFDIR
 *     ANSWER   right (the password), wrong (another one) or none
 *     PHASES   auth, acct or auth+acct
 *     EXPECT   the PAM result of each phase, e.g. SUCCESS+SUCCESS, AUTH_ERR,
 *              USER_UNKNOWN (the last phase run when an earlier one fails)
 *
 * The password comes from $BENCH_PASSWORD, never from the command line.
 * Each round runs the verification (with --verify) and then every case once,
 * in the order given, so that all of them see the same conditions; one
 * untimed round comes first. A result other than EXPECT ends the bench with
 * status 1: the figures would not mean what they say.
 *
 * libpam is loaded with dlopen: bench/run links every bench program with the
 * same libraries, and libpam is not among them. The program links nothing
 * else that a PAM module needs (no jansson), so each pam_start loads the
 * modules and their libraries as a login program does.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include <security/pam_appl.h>

#define TIMEOUT_MS 5000
#define BENCH_NAME "bench-pam"
#include "bench.h"

#define MAX_CASES 16
#define MAX_ROUNDS 100000

typedef int (*pam_start_confdir_fn)(const char *service, const char *user, const struct pam_conv *conv,
				     const char *confdir, pam_handle_t **pamh);
typedef int (*pam_phase_fn)(pam_handle_t *pamh, int flags);
typedef int (*pam_end_fn)(pam_handle_t *pamh, int status);

struct pam_api {
	void *lib;
	pam_start_confdir_fn start_confdir;
	pam_phase_fn authenticate;
	pam_phase_fn acct_mgmt;
	pam_end_fn end;
};

enum answer { ANSWER_RIGHT, ANSWER_WRONG, ANSWER_NONE };

struct bench_case {
	char *spec;		/* owns the strings below */
	const char *name, *service, *user;
	enum answer answer;
	bool auth, acct;
	int expect_auth, expect_acct;
	double *t;
};

struct conv_data {
	const char *secret;	/* NULL: no prompt is expected */
};

static const struct {
	int code;
	const char *name;
} codes[] = {
	{ PAM_SUCCESS, "SUCCESS" },		{ PAM_AUTH_ERR, "AUTH_ERR" },
	{ PAM_USER_UNKNOWN, "USER_UNKNOWN" },	{ PAM_PERM_DENIED, "PERM_DENIED" },
	{ PAM_AUTHINFO_UNAVAIL, "AUTHINFO_UNAVAIL" }, { PAM_NEW_AUTHTOK_REQD, "NEW_AUTHTOK_REQD" },
	{ PAM_ACCT_EXPIRED, "ACCT_EXPIRED" },	{ PAM_CONV_ERR, "CONV_ERR" },
	{ PAM_SERVICE_ERR, "SERVICE_ERR" },	{ PAM_SYSTEM_ERR, "SYSTEM_ERR" },
	{ PAM_MAXTRIES, "MAXTRIES" },		{ PAM_BUF_ERR, "BUF_ERR" },
	{ PAM_OPEN_ERR, "OPEN_ERR" },		{ PAM_SYMBOL_ERR, "SYMBOL_ERR" },
	{ PAM_IGNORE, "IGNORE" },		{ PAM_ABORT, "ABORT" },
};

static const char *code_name(int code)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].code == code)
			return codes[i].name;
	return "OTHER";
}

static int code_of(const char *name, int *ret)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(codes[i].name, name) == 0) {
			*ret = codes[i].code;
			return 0;
		}
	return -EINVAL;
}

/* "key median p95 p99 min max" in milliseconds; sorts v. */
static void print_stats(const char *key, double *v, size_t n)
{
	size_t p95 = (n * 95 + 99) / 100, p99 = (n * 99 + 99) / 100;
	double median;

	qsort(v, n, sizeof(*v), cmp_double);
	median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	printf("%s %.3f %.3f %.3f %.3f %.3f\n", key, median * 1e3, v[p95 ? p95 - 1 : 0] * 1e3, v[p99 ? p99 - 1 : 0] * 1e3,
	       v[0] * 1e3, v[n - 1] * 1e3);
}

static int pam_api_load(struct pam_api *api)
{
	struct pam_api a = { 0 };

	a.lib = dlopen("libpam.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!a.lib) {
		fprintf(stderr, "bench-pam: cannot load libpam: %s\n", dlerror());
		return -ENOENT;
	}
	/* POSIX guarantees that a function pointer survives the round trip through void *. */
	a.start_confdir = (pam_start_confdir_fn)dlsym(a.lib, "pam_start_confdir");
	a.authenticate = (pam_phase_fn)dlsym(a.lib, "pam_authenticate");
	a.acct_mgmt = (pam_phase_fn)dlsym(a.lib, "pam_acct_mgmt");
	a.end = (pam_end_fn)dlsym(a.lib, "pam_end");
	if (!a.start_confdir || !a.authenticate || !a.acct_mgmt || !a.end) {
		fprintf(stderr, "bench-pam: libpam lacks pam_start_confdir (Linux-PAM 1.4 or later is needed)\n");
		dlclose(a.lib);
		return -ENOSYS;
	}
	*api = a;
	return 0;
}

/* Answers every hidden prompt with the case's secret and ignores messages. */
static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *appdata)
{
	const struct conv_data *d = appdata;
	struct pam_response *r;

	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		if (msg[i]->msg_style != PAM_PROMPT_ECHO_OFF && msg[i]->msg_style != PAM_PROMPT_ECHO_ON)
			continue;
		if (!d->secret || !(r[i].resp = strdup(d->secret))) {
			for (int k = 0; k < i; k++)
				if (r[k].resp) {
					sodium_memzero(r[k].resp, strlen(r[k].resp));
					free(r[k].resp);
				}
			free(r);
			return d->secret ? PAM_BUF_ERR : PAM_CONV_ERR;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* One whole transaction; -EPROTO when a phase did not return what was expected. */
static int run_case(const struct pam_api *api, const char *confdir, const struct bench_case *bc, const char *password,
		    const char *wrong, double *secs)
{
	struct conv_data d = { bc->answer == ANSWER_RIGHT ? password : bc->answer == ANSWER_WRONG ? wrong : NULL };
	struct pam_conv pc = { conv, &d };
	pam_handle_t *pamh = NULL;
	int auth = PAM_SUCCESS, acct = PAM_SUCCESS, r;
	double t0 = now_s();

	r = api->start_confdir(bc->service, bc->user, &pc, confdir, &pamh);
	if (r != PAM_SUCCESS) {
		fprintf(stderr, "bench-pam: %s: pam_start_confdir: %s\n", bc->name, code_name(r));
		return -EPROTO;
	}
	if (bc->auth)
		auth = r = api->authenticate(pamh, 0);
	if (bc->acct && r == PAM_SUCCESS)
		acct = r = api->acct_mgmt(pamh, 0);
	api->end(pamh, r);
	*secs = now_s() - t0;
	if ((bc->auth && auth != bc->expect_auth) || (bc->acct && auth == PAM_SUCCESS && acct != bc->expect_acct)) {
		fprintf(stderr, "bench-pam: %s: auth %s, acct %s; expected %s, %s\n", bc->name,
			bc->auth ? code_name(auth) : "-", bc->acct && auth == PAM_SUCCESS ? code_name(acct) : "-",
			bc->auth ? code_name(bc->expect_auth) : "-", bc->acct ? code_name(bc->expect_acct) : "-");
		return -EPROTO;
	}
	return 0;
}

/* NAME:SERVICE:USER:ANSWER:PHASES:EXPECT */
static int case_parse(const char *arg, struct bench_case *bc)
{
	char *f[6], *s = strdup(arg), *p, *e1, *e2;
	size_t n = 0;

	if (!s)
		return -ENOMEM;
	for (p = s; n < 6; n++) {
		f[n] = p;
		p = strchr(p, ':');
		if (!p)
			break;
		*p++ = '\0';
	}
	if (n != 5 || !*f[0] || !*f[1] || !*f[2])
		goto bad;
	bc->spec = s;
	bc->name = f[0];
	bc->service = f[1];
	bc->user = f[2];
	if (strcmp(f[3], "right") == 0)
		bc->answer = ANSWER_RIGHT;
	else if (strcmp(f[3], "wrong") == 0)
		bc->answer = ANSWER_WRONG;
	else if (strcmp(f[3], "none") == 0)
		bc->answer = ANSWER_NONE;
	else
		goto bad;
	bc->auth = strcmp(f[4], "auth") == 0 || strcmp(f[4], "auth+acct") == 0;
	bc->acct = strcmp(f[4], "acct") == 0 || strcmp(f[4], "auth+acct") == 0;
	if (!bc->auth && !bc->acct)
		goto bad;
	e1 = f[5];
	e2 = strchr(e1, '+');
	if (e2)
		*e2++ = '\0';
	if (bc->auth && bc->acct) {
		if (code_of(e1, &bc->expect_auth) < 0)
			goto bad;
		/* Without a second code the account phase must succeed. */
		bc->expect_acct = PAM_SUCCESS;
		if (e2 && code_of(e2, &bc->expect_acct) < 0)
			goto bad;
	} else if (e2 || code_of(e1, bc->auth ? &bc->expect_auth : &bc->expect_acct) < 0) {
		goto bad;
	}
	return 0;
bad:
	fprintf(stderr, "bench-pam: bad case \"%s\"\n", arg);
	free(s);
	return -EINVAL;
}

static int parse_verify(const char *arg, unsigned long long *ops, size_t *mem)
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

static int usage(void)
{
	fputs("usage: bench-pam [--verify OPSLIMIT,MEMLIMIT] ROUNDS CONFDIR NAME:SERVICE:USER:ANSWER:PHASES:EXPECT...\n",
	      stderr);
	return 2;
}

int main(int argc, char **argv)
{
	struct bench_case cases[MAX_CASES] = { 0 };
	char hash[crypto_pwhash_STRBYTES], *wrong = NULL;
	unsigned long long ops = 0;
	size_t mem = 0, ncases = 0, rounds;
	const char *password = getenv("BENCH_PASSWORD"), *confdir;
	double *verify = NULL;
	struct pam_api api = { 0 };
	int argi = 1, r = 0;
	char *end;

	if (argc > 2 && strcmp(argv[1], "--verify") == 0) {
		if (parse_verify(argv[2], &ops, &mem) < 0)
			return usage();
		argi = 3;
	}
	if (argc - argi < 3)
		return usage();
	errno = 0;
	rounds = (size_t)strtoul(argv[argi], &end, 10);
	if (errno || *end || rounds == 0 || rounds > MAX_ROUNDS)
		return usage();
	confdir = argv[argi + 1];
	if (!password || !*password) {
		fputs("bench-pam: BENCH_PASSWORD is not set\n", stderr);
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	for (int i = argi + 2; i < argc; i++) {
		if (ncases == MAX_CASES || case_parse(argv[i], &cases[ncases]) < 0) {
			r = -EINVAL;
			goto out;
		}
		cases[ncases].t = calloc(rounds, sizeof(double));
		if (!cases[ncases++].t) {
			r = -ENOMEM;
			goto out;
		}
	}
	if ((r = pam_api_load(&api)) < 0)
		goto out;
	if (asprintf(&wrong, "%s-but-wrong", password) < 0) {
		wrong = NULL;
		r = -ENOMEM;
		goto out;
	}
	if (ops) {
		verify = calloc(rounds, sizeof(double));
		if (!verify ||
		    crypto_pwhash_str_alg(hash, password, strlen(password), ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
			r = -ENOMEM;
			goto out;
		}
	}
	/* Round 0 is not counted: it warms the page cache, the allocator and staffd. */
	for (size_t round = 0; r == 0 && round <= rounds; round++) {
		if (ops) {
			double t0 = now_s();

			if (crypto_pwhash_str_verify(hash, password, strlen(password)) != 0) {
				fputs("bench-pam: the bare verification failed\n", stderr);
				r = -EPROTO;
				break;
			}
			if (round > 0)
				verify[round - 1] = now_s() - t0;
		}
		for (size_t i = 0; r == 0 && i < ncases; i++) {
			double secs = 0;

			r = run_case(&api, confdir, &cases[i], password, wrong, &secs);
			if (r == 0 && round > 0)
				cases[i].t[round - 1] = secs;
		}
	}
	if (r == 0) {
		if (ops)
			print_stats("verify", verify, rounds);
		for (size_t i = 0; i < ncases; i++)
			print_stats(cases[i].name, cases[i].t, rounds);
	}
out:
	for (size_t i = 0; i < ncases; i++) {
		free(cases[i].spec);
		free(cases[i].t);
	}
	if (wrong) {
		sodium_memzero(wrong, strlen(wrong));
		free(wrong);
	}
	sodium_memzero(hash, sizeof(hash));
	free(verify);
	if (api.lib)
		dlclose(api.lib);
	return r < 0 ? 1 : 0;
}
