/* staffd: the practice staff directory daemon. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sodium.h>

#include "staff-protocol.h"
#include "config.h"
#include "daemon.h"
#include "json-wipe.h"
#include "log.h"
#include "server.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: staffd [--config FILE] [--check-config [FILE]]\n"
		"\n"
		"The practice staff directory daemon.\n"
		"\n"
		"  -c, --config FILE   read FILE instead of " STAFFD_DEFAULT_CONFIG "\n"
		"      --check-config [FILE]\n"
		"                      report every problem in the configuration (or FILE) and exit\n"
		"  -h, --help          show this help\n"
		"  -V, --version       show the version\n");
}

static void print_problem(const char *path, unsigned line, const char *message, void *userdata)
{
	unsigned *count = userdata;

	(*count)++;
	if (line)
		fprintf(stderr, "%s:%u: %s\n", path, line, message);
	else
		fprintf(stderr, "%s: %s\n", path, message);
}

static int check_config(const char *path)
{
	struct config c;
	unsigned problems = 0;
	int r;

	r = config_defaults(&c);
	if (r == 0)
		r = config_load(&c, path, print_problem, &problems);
	config_free(&c);
	if (r == -EINVAL) {
		fprintf(stderr, "%s: %u problem%s\n", path, problems, problems == 1 ? "" : "s");
		return 1;
	}
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(-r));
		return 1;
	}
	printf("%s: OK\n", path);
	return 0;
}

/*
 * Each connection takes a descriptor, and the soft limit (1024 unless the
 * unit's LimitNOFILE= says otherwise) is far below what the hard limit
 * allows. The daemon uses epoll, never select(), so a high limit is safe.
 */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	/* May be refused (the unit's seccomp filter): the connection limits
	 * then follow the limit as it is, which LimitNOFILE= has raised. */
	(void)setrlimit(RLIMIT_NOFILE, &rl);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = STAFFD_DEFAULT_CONFIG;
	struct rlimit no_core = { 0, 0 };
	struct daemon d = { 0 };
	bool check = false;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "c:hV", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'C':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("staffd %s\n", STAFF_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (check && optind == argc - 1)
		config_path = argv[optind++];	/* staffd --check-config FILE */
	if (optind < argc) {
		fprintf(stderr, "staffd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (check)
		return check_config(config_path);

	/* Secrets pass through this process: no core dumps, nothing readable by others. */
	setrlimit(RLIMIT_CORE, &no_core);
	prctl(PR_SET_DUMPABLE, 0);
	umask(077);
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	/* Should anything in this process (or a mail command it starts) look up a
	 * user, nss-systemd must not ask this very daemon and wait on itself. */
	setenv("SYSTEMD_BYPASS_USERDB", "io.practice.staff", 1);
	json_wipe_install();
	log_setup();
	if (sodium_init() < 0) {
		log_error("libsodium failed to initialise");
		return 1;
	}
	r = daemon_start(&d, config_path);
	if (r == 0)
		r = server_run(d.server);
	daemon_stop(&d);
	return r < 0 ? 1 : 0;
}
