/* staffctl: the administrators' client of staffd. Prototypes grouped by the file that defines them. */
#ifndef STAFFCTL_H
#define STAFFCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <jansson.h>

struct varlink_client;

#define CTL_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* Exit codes, documented in --help and staffctl(8). */
enum {
	CTL_EXIT_OK = 0,
	CTL_EXIT_REFUSED = 1,		/* staffd refused, or a check failed */
	CTL_EXIT_USAGE = 2,		/* bad command line or local value */
	CTL_EXIT_UNREACHABLE = 3,	/* no daemon, timeout, malformed reply */
	CTL_EXIT_LOCAL = 4,		/* local failure: files, memory */
};

/*
 * Failures that have already been reported to the user; everything else
 * negative is a plain -errno. ctl_exit_code() turns both into exit codes.
 */
enum {
	CTL_E_REFUSED = -1000,
	CTL_E_CHECK = -1001,
	CTL_E_USAGE = -1002,
	CTL_E_UNREACHABLE = -1003,
	CTL_E_LOCAL = -1004,
};

#define CTL_DEFAULT_TIMEOUT_MS 30000
/* A backup copies the whole database before staffd answers. */
#define CTL_BACKUP_TIMEOUT_MS (10 * 60 * 1000)

/* One run of the program: global options and the connection. */
struct ctl {
	const char *socket;
	int timeout_ms;
	bool timeout_given;
	bool json;
	bool interactive;		/* stdin is a terminal: prompts allowed */
	FILE *in;			/* answers to visible prompts */
	int in_fd;			/* secrets when stdin is not a terminal */
	const char *tty;		/* secrets when it is */
	FILE *out;
	FILE *err;
	struct varlink_client *client;	/* connected on first call */
};

/* ---- args.c: command-line options and local values ---- */

enum ctl_option_kind {
	CTL_FLAG,		/* --name */
	CTL_VALUE,		/* --name VALUE, at most once */
	CTL_LIST,		/* --name VALUE, repeatable */
};

struct ctl_option {
	const char *name;	/* without the leading "--"; NULL ends a table */
	enum ctl_option_kind kind;
	const char *metavar;	/* for usage text, NULL for flags */
	const char *help;
};

struct ctl_arg {
	int option;		/* index into the option table, -1 for a positional */
	const char *value;	/* points into argv; NULL for flags */
};

struct ctl_args {
	const struct ctl_option *options;
	struct ctl_arg *v;
	size_t n;
	bool help;		/* -h or --help was given */
	int next;		/* first argument not parsed (CTL_ARGS_STOP mode) */
};

/* Stop at the first positional argument instead of collecting it. */
#define CTL_ARGS_STOP 1u

/*
 * Parses argv[0..argc) against options (-h and --help are always known).
 * Options and positionals may be mixed; "--" ends the options. On a bad
 * command line returns -EINVAL and writes a sentence naming the problem to
 * err. *ret is untouched on failure.
 */
int ctl_args_parse(int argc, char *const *argv, const struct ctl_option *options, unsigned flags,
		   struct ctl_args *ret, char *err, size_t errlen);
void ctl_args_free(struct ctl_args *a);

/* Lookups by option name; a name not in the table reads as absent. */
size_t ctl_args_count(const struct ctl_args *a, const char *name);
const char *ctl_args_value(const struct ctl_args *a, const char *name);
const char *ctl_args_nth(const struct ctl_args *a, const char *name, size_t i);
size_t ctl_args_npos(const struct ctl_args *a);
const char *ctl_args_pos(const struct ctl_args *a, size_t i);

/* Decimal integer in [min, max]: -EINVAL when not a number, -ERANGE when outside. */
int ctl_parse_int(const char *s, long long min, long long max, long long *ret);
/* "90s", "15m", "2h", "3d", "1w", or a sequence such as "1d12h", in seconds. */
int ctl_parse_duration(const char *s, long long *ret);
/*
 * An audit --since value: "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]" (local
 * time, 'T' also separates), "@SECONDS", "today", "yesterday", or a
 * duration meaning that long before now. -EINVAL when malformed,
 * -ERANGE when not representable.
 */
int ctl_parse_since(const char *s, time_t now, long long *ret);

/* ---- command.c: the verb table, global options and dispatch ---- */

struct ctl_command {
	const char *name;
	const char *synopsis;		/* arguments after the name */
	const char *summary;
	const struct ctl_option *options;
	unsigned min_pos, max_pos;	/* positional arguments */
	int (*run)(struct ctl *ctl, const struct ctl_args *a);
	const struct ctl_command *sub;	/* NULL-name-terminated subcommands */
	const char *details;		/* extra paragraph for --help */
};

/*
 * Finds the command named argv[0] in table, parses the rest and runs it.
 * prefix names the enclosing command for messages ("staffctl user").
 * Returns 0 or a negative code for ctl_exit_code().
 */
int ctl_dispatch(struct ctl *ctl, const struct ctl_command *table, const char *prefix, int argc, char *const *argv);
void ctl_print_command_help(FILE *f, const char *prefix, const struct ctl_command *cmd);
void ctl_print_commands(FILE *f, const struct ctl_command *table);
void ctl_print_options(FILE *f, const struct ctl_option *options);
const struct ctl_command *ctl_find_command(const struct ctl_command *table, const char *name);

/* Every command of staffctl. */
extern const struct ctl_command ctl_commands[];

/*
 * The whole program after setup: argv[0] is the program name. Reads the
 * global options into ctl (socket from env when not given) and runs the
 * command. Returns the exit code.
 */
int ctl_main(struct ctl *ctl, int argc, char *const *argv, const char *env_socket);

/* ---- call.c: talking to staffd, and turning failures into messages ---- */

/* The socket: --socket, else $STAFFD_SOCKET when set and not empty, else the default. */
const char *ctl_socket_path(const char *option, const char *env);

int ctl_exit_code(int r);

/* Report to ctl->err as "staffctl: ..." and return the code to pass up. */
int ctl_usage_error(struct ctl *ctl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ctl_local_error(struct ctl *ctl, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int ctl_malformed(struct ctl *ctl, const char *what);

/* A sentence for a transport failure -r talking to socket; writes into buf. */
void ctl_transport_message(int r, const char *socket, int timeout_ms, char *buf, size_t len);

/*
 * A message for a Varlink error reply, built from its parameters, e.g.
 * "email: already used by jdoe", with every value it quotes escaped, safe
 * to print as it is; *ret is malloc'd. -ENOMEM only.
 */
int ctl_error_message(const char *error, const json_t *parameters, char **ret);

/* Called for each reply of a "more" call; a negative return stops the stream. */
typedef int (*ctl_reply_fn)(struct ctl *ctl, json_t *parameters, void *userdata);

/*
 * Calls method with parameters (not consumed), and fd travelling with it
 * when >= 0. With more, each reply goes to each() until one says it does not
 * continue; otherwise the single reply's parameters are stored in *ret (a
 * new reference). Failures are reported; returns 0 or a CTL_E_* code.
 */
int ctl_call_full(struct ctl *ctl, const char *method, json_t *parameters, int fd, bool more,
		  ctl_reply_fn each, void *userdata, json_t **ret);
int ctl_call(struct ctl *ctl, const char *method, json_t *parameters, json_t **ret);
void ctl_disconnect(struct ctl *ctl);

/* Reply members that must be there; a missing one is a malformed reply. */
int ctl_reply_object(struct ctl *ctl, const json_t *parameters, const char *key, json_t **ret);
int ctl_reply_array(struct ctl *ctl, const json_t *parameters, const char *key, json_t **ret);

/* obj[key] = s: -EINVAL when s is not valid UTF-8, -ENOMEM. */
int ctl_json_set_str(json_t *obj, const char *key, const char *s);
/* The same, reported: bad text is a usage error naming what. Returns 0 or CTL_E_*. */
int ctl_set_str(struct ctl *ctl, json_t *obj, const char *key, const char *s, const char *what);
/* obj[key] = v, consuming v (NULL means allocation failed). Returns 0 or CTL_E_LOCAL. */
int ctl_set_new(struct ctl *ctl, json_t *obj, const char *key, json_t *v);
int ctl_oom(struct ctl *ctl);

/* Frees jansson memory through a wiping allocator, so secrets in replies do not linger. */
void ctl_json_wipe_on_free(void);

/* ---- output.c: tables, key: value blocks, times and JSON ---- */

struct ctl_table;

int ctl_table_new(size_t ncols, struct ctl_table **ret);
void ctl_table_free(struct ctl_table *t);
/*
 * Copies ncols cells; a NULL cell prints as "-". Control characters are
 * escaped as \xNN (lib/escape.h). A failure is also kept in the table and returned by the print
 * functions, so a caller may check once.
 */
int ctl_table_add(struct ctl_table *t, const char *const *cells);
size_t ctl_table_rows(const struct ctl_table *t);
/* Columns padded to their widest cell, two spaces apart, no trailing blanks. */
int ctl_table_print(const struct ctl_table *t, FILE *f);
/* A key: value block is a two-column table; value NULL prints as "-". */
int ctl_kv_add(struct ctl_table *t, const char *key, const char *value);
int ctl_kv_addf(struct ctl_table *t, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The first column printed as "key:" and padded. */
int ctl_kv_print(const struct ctl_table *t, FILE *f);

/* Display width of UTF-8 text, counted in code points. */
size_t ctl_text_width(const char *s);
/* Copy of s safe to print on a terminal: controls, newlines and tabs as \xNN (lib/escape.h). */
char *ctl_sanitize(const char *s);
/* printf for text that holds values from staffd: controls other than newline escaped. */
int ctl_printf_safe(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Local time: "2024-05-01 14:03:22 CEST"; with_zone false drops the zone. */
void ctl_format_time(long long t, bool with_zone, char *buf, size_t len);
/* "45 seconds", "3 minutes", "2 hours 5 minutes", "3 days 4 hours". */
void ctl_format_duration(long long seconds, char *buf, size_t len);
const char *ctl_yes_no(bool b);
/* obj[key] as local time into buf, or NULL when absent or null. */
const char *ctl_json_time(const json_t *obj, const char *key, char *buf, size_t len);

int ctl_print_json(FILE *f, const json_t *j);
/* "a, b, c" from an array of strings, or none when it is empty; malloc'd. */
char *ctl_join(const json_t *array, const char *none);

/* ---- prompt.c: questions on the terminal; secrets without echo ---- */

/* A NUL-terminated secret in sodium_malloc'd memory. */
struct ctl_secret {
	char *buf;
	size_t len;
	size_t cap;		/* bytes of text it can hold */
	size_t over;		/* bytes typed beyond cap, dropped */
};

int ctl_secret_new(size_t cap, struct ctl_secret **ret);
void ctl_secret_free(struct ctl_secret *s);

/* The terminal's editing keys, so a test can feed bytes without one. */
struct ctl_line_keys {
	unsigned char erase, kill, intr, quit, eof, werase;
};
void ctl_line_keys_default(struct ctl_line_keys *k);

/*
 * Feeds one byte typed with echo and signals off. Returns 0 to go on, 1
 * at the end of the line, -ECANCELED on the interrupt or quit key,
 * -ENODATA on end-of-file at the start of the line, -E2BIG at the end of a
 * line longer than the buffer.
 */
int ctl_line_feed(struct ctl_secret *s, const struct ctl_line_keys *k, unsigned char c);

/* One line from a file descriptor that is not a terminal; trailing CR dropped. */
int ctl_secret_read_fd(int fd, struct ctl_secret *s);

/*
 * A secret from the user: on a terminal (ctl->interactive) read without
 * echo, and when confirm is given, asked twice until both match (three
 * tries); otherwise one line from ctl->in_fd. Reports failures; returns 0 or
 * a CTL_E_* code.
 */
int ctl_ask_secret(struct ctl *ctl, const char *prompt, const char *confirm, struct ctl_secret **ret);

/* A visible line from in, prompt written to err; -ENODATA at end of input. */
int ctl_prompt_line(FILE *in, FILE *err, const char *prompt, char **ret);

/*
 * Fills a required value: given when not NULL; otherwise when interactive,
 * asks question until the answer is not empty; otherwise a usage error
 * naming what is missing ("--email", "USER"). *ret is malloc'd.
 */
int ctl_require(struct ctl *ctl, const char *cmd, const char *given, const char *name,
		const char *question, char **ret);

/* ---- user-input.c: from the command line to a UserInput ---- */

/* The flags that fill a UserInput, shared by user add, user edit and init. */
#define CTL_USER_OPTIONS \
	{ "email", CTL_VALUE, "EMAIL", "email address, unique in the directory" }, \
	{ "first", CTL_VALUE, "NAME", "first name" }, \
	{ "last", CTL_VALUE, "NAME", "last name" }, \
	{ "role", CTL_VALUE, "ROLE", "role, e.g. Nurse or \"Front Desk\"" }, \
	{ "external", CTL_FLAG, NULL, "not employed by the practice" }, \
	{ "employee", CTL_FLAG, NULL, "employed by the practice (the default)" }, \
	{ "location", CTL_LIST, "NAME", "allowed location, repeatable; the first is the primary one" }, \
	{ "primary-location", CTL_VALUE, "NAME", "primary location, when not the first --location" }, \
	{ "provider", CTL_VALUE, "USER", "primary provider (another staff member)" }, \
	{ "npi", CTL_VALUE, "NPI", "National Provider Identifier (10 digits)" }, \
	{ "dea", CTL_VALUE, "DEA", "DEA registration number" }, \
	{ "taxonomy", CTL_VALUE, "CODE", "provider taxonomy code" }, \
	{ "ncsbn", CTL_VALUE, "ID", "NCSBN id (nurses)" }, \
	{ "degree", CTL_VALUE, "TEXT", "degree, e.g. MD or RN" }, \
	{ "specialty", CTL_VALUE, "TEXT", "specialty" }, \
	{ "care-team-role", CTL_VALUE, "TEXT", "role in the care team" }, \
	{ "cell", CTL_VALUE, "PHONE", "cell phone" }, \
	{ "home-phone", CTL_VALUE, "PHONE", "home phone" }, \
	{ "capacity", CTL_VALUE, "N", "appointments at once (at least 1)" }, \
	{ "step", CTL_VALUE, "MIN", "scheduling step in minutes: 5 10 15 20 30 45 60" }, \
	{ "daily-billing-report", CTL_FLAG, NULL, "receives the daily billing report" }, \
	{ "no-daily-billing-report", CTL_FLAG, NULL, "does not receive the daily billing report" }, \
	{ "email-updates", CTL_FLAG, NULL, "may change their own email address" }, \
	{ "no-email-updates", CTL_FLAG, NULL, "may not change their own email address" }, \
	{ "eprescribing-verified", CTL_FLAG, NULL, "identity verified for e-prescribing (names then fixed)" }, \
	{ "bio", CTL_VALUE, "TEXT", "short biography" }

/*
 * Builds a UserInput object from the user flags in a; absent flags stay
 * absent, and for_edit allows --clear. A bad flag is -EINVAL with a
 * sentence in err.
 */
int ctl_user_input(const struct ctl_args *a, bool for_edit, json_t **ret, char *err, size_t errlen);
/* Fills in[key] when missing: asked for when interactive, else a usage error naming flag. */
int ctl_require_member(struct ctl *ctl, const char *cmd, json_t *in, const char *key, const char *flag,
		       const char *question);
/* email, first_name and last_name, as ctl_require_member() does. */
int ctl_require_person(struct ctl *ctl, const char *cmd, json_t *in);
/* 0 when pin is exactly four digits, else -EINVAL. */
int ctl_check_pin(const char *pin);

/* ---- user-print.c: a staff account on the screen ---- */

/*
 * After a reply that may carry a code (reply[user_key] is the user): the
 * code with a reminder to hand it over in person, the delivery, and when
 * mail failed and no code was shown, how to show it. In --json mode only
 * the warnings, on stderr.
 */
int ctl_print_code_reply(struct ctl *ctl, const json_t *reply, const char *user_key, bool reset);
int ctl_print_user(struct ctl *ctl, const json_t *user);
/* USERNAME NAME ROLE STATUS LOCKED LOCATION EMAIL */
int ctl_user_table_add(struct ctl_table *t, const json_t *user);

/* ---- cmd-user.c ---- */

extern const struct ctl_command ctl_user_commands[];

/* ---- cmd-role.c, cmd-location.c ---- */

extern const struct ctl_command ctl_role_commands[];
extern const struct ctl_command ctl_location_commands[];

/* ---- cmd-admin.c: status, init, codeword, policy, audit, backup, forgot-password ---- */

extern const struct ctl_option ctl_init_options[];
extern const struct ctl_option ctl_audit_options[];
extern const struct ctl_command ctl_audit_commands[];
extern const struct ctl_command ctl_codeword_commands[];
extern const struct ctl_command ctl_policy_commands[];
int ctl_cmd_status(struct ctl *ctl, const struct ctl_args *a);
int ctl_cmd_init(struct ctl *ctl, const struct ctl_args *a);
int ctl_cmd_forgot_password(struct ctl *ctl, const struct ctl_args *a);
int ctl_cmd_audit(struct ctl *ctl, const struct ctl_args *a);
int ctl_cmd_backup(struct ctl *ctl, const struct ctl_args *a);
/* SEQ TIME ACTOR ACTION TARGET RESULT DETAILS */
int ctl_audit_table_add(struct ctl_table *t, const json_t *record);

#endif
