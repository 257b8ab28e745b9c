/* The verb table, the global options, and dispatch with --help everywhere. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "staff-protocol.h"
#include "staffctl.h"

static int cmd_help(struct ctl *ctl, const struct ctl_args *a);

const struct ctl_command ctl_commands[] = {
	{ "status", "", "Show the practice, staffd and who you are to it.", NULL, 0, 0, ctl_cmd_status, NULL,
	  "Anyone may ask. Counts and the seat limit are shown, and whether you may administer." },
	{ "init", "--practice NAME --admin USER --email EMAIL --first NAME --last NAME [OPTIONS]",
	  "Set up the practice, its code word and its first administrator (root only, once).",
	  ctl_init_options, 0, 0, ctl_cmd_init, NULL,
	  "The administrator gets the Owner role and the administrator flag, and an invitation.\n"
	  "Without --codeword a memorable code word is generated; it is printed once.\n"
	  "When standard input is a terminal, missing values are asked for." },
	{ "location", "COMMAND ...", "Manage the practice's locations.", NULL, 0, 0, NULL, ctl_location_commands, NULL },
	{ "role", "COMMAND ...", "Manage roles and their permissions.", NULL, 0, 0, NULL, ctl_role_commands,
	  "Permissions: calendar.view calendar.create calendar.delete billing.payments billing.refunds\n"
	  "billing.reports clinical.charts clinical.notes clinical.medications clinical.sign\n"
	  "clinical.prescribe admin.accounts admin.settings reports.business" },
	{ "user", "COMMAND ...", "Manage staff accounts.", NULL, 0, 0, NULL, ctl_user_commands, NULL },
	{ "forgot-password", "USER", "Mail USER a reset code at the address on file.", NULL, 1, 1,
	  ctl_cmd_forgot_password, NULL,
	  "Anyone may ask. The code is never shown to the asker, and staffd limits how often it is sent." },
	{ "codeword", "COMMAND", "Show or change the practice code word.", NULL, 0, 0, NULL, ctl_codeword_commands, NULL },
	{ "policy", "COMMAND", "Show the password policy, or check a password against it.", NULL, 0, 0, NULL,
	  ctl_policy_commands, NULL },
	{ "audit", "[verify] [OPTIONS]", "Show the audit trail, oldest first, or verify its hash chain.",
	  ctl_audit_options, 0, 0, ctl_cmd_audit, ctl_audit_commands,
	  "WHEN is YYYY-MM-DD or \"YYYY-MM-DD HH:MM[:SS]\" in local time, @SECONDS since the epoch,\n"
	  "today, yesterday, or a span back from now such as 30m, 2h, 3d, 1w or 1d12h." },
	{ "backup", "FILE", "Write a compacted copy of the staff database to FILE.", NULL, 1, 1, ctl_cmd_backup, NULL,
	  "FILE is created with mode 0600 and must not exist yet; it is removed again if the backup fails.\n"
	  "Without --timeout, staffctl waits up to 10 minutes for it.\n"
	  "\n"
	  "The backup holds every password and PIN hash and the practice code word, sealed with the\n"
	  "key file staffd.key in staffd's state directory (" STAFFD_DEFAULT_STATE_DIR "/staffd.key by default).\n"
	  "Keep it as you keep that key file: readable by root alone, never where staff can read it.\n"
	  "A restore needs the key file too, to show the code word and accept codes." },
	{ "help", "[COMMAND ...]", "Show help for a command.", NULL, 0, UINT_MAX, cmd_help, NULL, NULL },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL },
};

static const struct ctl_option global_options[] = {
	{ "socket", CTL_VALUE, "PATH", "staffd's socket (default: $STAFFD_SOCKET, else " STAFFD_DEFAULT_SOCKET ")" },
	{ "json", CTL_FLAG, NULL, "print replies as JSON, for scripts" },
	{ "timeout", CTL_VALUE, "MS", "give up on staffd after MS milliseconds (default 30000, 0 = never)" },
	{ "version", CTL_FLAG, NULL, "print the version and exit" },
	{ NULL, 0, NULL, NULL },
};

static const char exit_status_text[] =
	"Exit status:\n"
	"  0  success\n"
	"  1  staffd refused the request, or a check failed (audit verify, policy check)\n"
	"  2  usage error: unknown command or option, missing argument, bad value\n"
	"  3  staffd cannot be reached: no socket, connection refused, timeout, malformed reply\n"
	"  4  local error: cannot create the backup file, out of memory\n";

const struct ctl_command *ctl_find_command(const struct ctl_command *table, const char *name)
{
	for (; table && table->name; table++)
		if (strcmp(table->name, name) == 0)
			return table;
	return NULL;
}

static bool is_help(const char *s)
{
	return strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0;
}

void ctl_print_options(FILE *f, const struct ctl_option *options)
{
	for (const struct ctl_option *o = options; o && o->name; o++) {
		char left[64];
		int n = snprintf(left, sizeof(left), "--%s%s%s", o->name, o->metavar ? " " : "",
				 o->metavar ? o->metavar : "");

		fprintf(f, "  %-28s%s%s%s\n", left, n >= 28 ? "\n                              " : "",
			o->help ? o->help : "", o->kind == CTL_LIST && !strstr(o->help ? o->help : "", "repeat")
			? " (repeatable)" : "");
	}
	fprintf(f, "  %-28s%s\n", "-h, --help", "show this help");
}

void ctl_print_commands(FILE *f, const struct ctl_command *table)
{
	for (const struct ctl_command *c = table; c && c->name; c++)
		fprintf(f, "  %-18s%s\n", c->name, c->summary);
}

void ctl_print_command_help(FILE *f, const char *prefix, const struct ctl_command *cmd)
{
	if (cmd->sub && !cmd->run) {
		fprintf(f, "Usage: %s %s %s\n\n%s\n\nCommands:\n", prefix, cmd->name, cmd->synopsis, cmd->summary);
		ctl_print_commands(f, cmd->sub);
		if (cmd->details)
			fprintf(f, "\n%s\n", cmd->details);
		fprintf(f, "\nRun '%s %s COMMAND --help' for the options of each.\n", prefix, cmd->name);
		return;
	}
	fprintf(f, "Usage: %s %s%s%s\n\n%s\n", prefix, cmd->name, *cmd->synopsis ? " " : "", cmd->synopsis,
		cmd->summary);
	if (cmd->sub) {
		fputs("\nCommands:\n", f);
		ctl_print_commands(f, cmd->sub);
	}
	fputs("\nOptions:\n", f);
	ctl_print_options(f, cmd->options);
	if (cmd->details)
		fprintf(f, "\n%s\n", cmd->details);
	fputs("\nGlobal options (--socket, --json, --timeout) go before the command; see 'staffctl --help'.\n", f);
}

static void print_main_help(FILE *f)
{
	fputs("Usage: staffctl [--socket PATH] [--json] [--timeout MS] COMMAND [ARGS...]\n\n"
	      "Administer the practice staff directory served by staffd.\n\n"
	      "Commands:\n", f);
	ctl_print_commands(f, ctl_commands);
	fputs("\nGlobal options:\n", f);
	ctl_print_options(f, global_options);
	fputs("\nEnvironment:\n"
	      "  STAFFD_SOCKET               staffd's socket when --socket is not given\n\n", f);
	fputs(exit_status_text, f);
	fputs("\nRun 'staffctl COMMAND --help' for the options of a command; see staffctl(8).\n", f);
}

static int cmd_help(struct ctl *ctl, const struct ctl_args *a)
{
	const struct ctl_command *table = ctl_commands, *cmd = NULL;
	char prefix[256] = "staffctl";
	size_t n = ctl_args_npos(a);

	if (n == 0) {
		print_main_help(ctl->out);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = ctl_args_pos(a, i);
		const struct ctl_command *c = ctl_find_command(table, name);

		if (!c)
			return ctl_usage_error(ctl, "help: unknown command '%s'; see '%s --help'", name, prefix);
		if (cmd) {
			size_t len = strlen(prefix);
			snprintf(prefix + len, sizeof(prefix) - len, " %s", cmd->name);
		}
		cmd = c;
		table = c->sub;
		if (!table && i + 1 < n)
			return ctl_usage_error(ctl, "help: '%s %s' has no subcommand '%s'", prefix, c->name,
					       ctl_args_pos(a, i + 1));
	}
	ctl_print_command_help(ctl->out, prefix, cmd);
	return 0;
}

/* "user add: " for "staffctl user add", nothing for "staffctl": messages already start with "staffctl: ". */
static void label_of(const char *path, char *buf, size_t len)
{
	const char *p = strncmp(path, "staffctl ", 9) == 0 ? path + 9 : "";

	snprintf(buf, len, "%s%s", p, *p ? ": " : "");
}

int ctl_dispatch(struct ctl *ctl, const struct ctl_command *table, const char *prefix, int argc, char *const *argv)
{
	const struct ctl_command *cmd;
	struct ctl_args a;
	char path[256], label[256], err[256];
	size_t npos;
	int r;

	label_of(prefix, label, sizeof(label));
	if (argc < 1)
		return ctl_usage_error(ctl, "%smissing command; see '%s --help'", label, prefix);
	cmd = ctl_find_command(table, argv[0]);
	if (!cmd)
		return ctl_usage_error(ctl, "%sunknown command '%s'; see '%s --help'", label, argv[0], prefix);
	snprintf(path, sizeof(path), "%s %s", prefix, cmd->name);
	label_of(path, label, sizeof(label));

	if (cmd->sub) {
		if (argc > 1 && ctl_find_command(cmd->sub, argv[1]))
			return ctl_dispatch(ctl, cmd->sub, path, argc - 1, argv + 1);
		if (!cmd->run) {
			if (argc > 1 && is_help(argv[1])) {
				ctl_print_command_help(ctl->out, prefix, cmd);
				return 0;
			}
			return ctl_dispatch(ctl, cmd->sub, path, argc - 1, argv + 1);
		}
	}

	r = ctl_args_parse(argc - 1, argv + 1, cmd->options, 0, &a, err, sizeof(err));
	if (r == -EINVAL)
		return ctl_usage_error(ctl, "%s%s; see '%s --help'", label, err, path);
	if (r < 0)
		return ctl_oom(ctl);
	if (a.help) {
		ctl_print_command_help(ctl->out, prefix, cmd);
		r = 0;
		goto out;
	}
	npos = ctl_args_npos(&a);
	if (npos < cmd->min_pos) {
		r = ctl_usage_error(ctl, "%smissing argument; usage: %s %s", label, path, cmd->synopsis);
		goto out;
	}
	if (npos > cmd->max_pos) {
		if (cmd->sub && npos > 0)
			r = ctl_usage_error(ctl, "%sunknown command '%s'; see '%s --help'", label,
					    ctl_args_pos(&a, 0), path);
		else
			r = ctl_usage_error(ctl, "%sunexpected argument '%s'; usage: %s%s%s", label,
					    ctl_args_pos(&a, cmd->max_pos), path, *cmd->synopsis ? " " : "",
					    cmd->synopsis);
		goto out;
	}
	r = cmd->run(ctl, &a);
out:
	ctl_args_free(&a);
	return r;
}

int ctl_main(struct ctl *ctl, int argc, char *const *argv, const char *env_socket)
{
	struct ctl_args a;
	char err[256];
	long long timeout;
	int r;

	if (argc < 1)
		return CTL_EXIT_USAGE;
	r = ctl_args_parse(argc - 1, argv + 1, global_options, CTL_ARGS_STOP, &a, err, sizeof(err));
	if (r == -EINVAL)
		return ctl_exit_code(ctl_usage_error(ctl, "%s; see 'staffctl --help'", err));
	if (r < 0)
		return ctl_exit_code(ctl_oom(ctl));

	if (a.help) {
		print_main_help(ctl->out);
		r = 0;
		goto out;
	}
	if (ctl_args_count(&a, "version")) {
		fprintf(ctl->out, "staffctl %s\n", STAFF_VERSION);
		r = 0;
		goto out;
	}
	ctl->json = ctl_args_count(&a, "json") > 0;
	ctl->socket = ctl_socket_path(ctl_args_value(&a, "socket"), env_socket);
	if (ctl_args_value(&a, "timeout")) {
		if (ctl_parse_int(ctl_args_value(&a, "timeout"), 0, INT_MAX, &timeout) < 0) {
			r = ctl_usage_error(ctl, "--timeout: '%s' is not a number of milliseconds",
					    ctl_args_value(&a, "timeout"));
			goto out;
		}
		ctl->timeout_ms = (int)timeout;
		ctl->timeout_given = true;
	}
	if (a.next >= argc - 1) {
		r = ctl_usage_error(ctl, "missing command; see 'staffctl --help'");
		goto out;
	}
	r = ctl_dispatch(ctl, ctl_commands, "staffctl", argc - 1 - a.next, argv + 1 + a.next);
	/* CTL_E_* codes were reported where they arose; a plain -errno was not. */
	if (r < 0 && r > CTL_E_REFUSED)
		r = r == -ENOMEM ? ctl_oom(ctl) : ctl_local_error(ctl, r, "cannot complete the command");
out:
	ctl_disconnect(ctl);
	ctl_args_free(&a);
	/* A full disk or closed pipe must not pass for success. */
	if (fflush(ctl->out) != 0 || ferror(ctl->out)) {
		if (r == 0)
			r = ctl_local_error(ctl, -EIO, "cannot write the output");
	}
	return ctl_exit_code(r);
}
