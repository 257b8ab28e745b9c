/* The machine's own names and the names reserved for it. Read as files
 * only: staffd serves NSS itself and must never ask it (DESIGN 8). */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "localfiles.h"
#include "localnames.h"

/* In the order their sentences are preferred when a name is several. */
enum kind {
	KIND_PASSWD,
	KIND_GROUP,
	KIND_SYSUSERS,
};

struct entry {
	char *name;
	enum kind kind;
};

struct local_names {
	struct entry *entries;	/* sorted by name, then kind */
	size_t n, cap;
};

static const char *const system_sysusers_dirs[] = {
	"/etc/sysusers.d", "/run/sysusers.d", "/usr/local/lib/sysusers.d", "/usr/lib/sysusers.d", NULL,
};

const struct local_sources local_sources_system = {
	.passwd = LOCAL_PASSWD_FILE,
	.group = LOCAL_GROUP_FILE,
	.sysusers_dirs = system_sysusers_dirs,
};

/*
 * Names that belong to the system even on a machine that does not have them
 * yet: Debian's fixed accounts and groups (base-passwd), the accounts
 * systemd and common Debian packages create, and staffd's own. A package
 * installed later would otherwise find its account taken by a staff member.
 */
static const char *const reserved[] = {
	"root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp", "proxy",
	"www-data", "backup", "list", "irc", "gnats", "nobody", "nogroup", "adm", "tty", "disk", "kmem",
	"dialout", "fax", "voice", "cdrom", "floppy", "tape", "sudo", "audio", "dip", "operator", "src",
	"shadow", "utmp", "video", "sasl", "plugdev", "staff", "users", "input", "kvm", "render", "sgx",
	"netdev", "crontab", "ssl-cert", "lpadmin", "scanner", "bluetooth", "messagebus", "polkitd", "sshd",
	"avahi", "avahi-autoipd", "tss", "uuidd", "dnsmasq", "ntp", "ntpsec", "statd", "postfix", "postdrop",
	"tcpdump", "usbmux", "rtkit", "pulse", "pulse-access", "geoclue", "colord", "saned", "lightdm", "gdm",
	"sddm", "cups", "cups-pk-helper", "mysql", "postgres", "redis", "ftp", "wheel", "admin", "halt",
	"shutdown", "nfsnobody", "cockpit-ws", "cockpit-wsinstance", "staffd", "staffd-link", NULL,
};

/* Prefixes of system account names: Debian names new system accounts with
 * a leading underscore, systemd and Debian packages use the other two. */
static const char *const reserved_prefixes[] = { "_", "systemd-", "debian-", NULL };

#define SERVED_GROUP_PREFIX "practice-"

void local_names_free(struct local_names *ln)
{
	if (!ln)
		return;
	for (size_t i = 0; i < ln->n; i++)
		free(ln->entries[i].name);
	free(ln->entries);
	free(ln);
}

static int add(struct local_names *ln, const char *name, size_t len, enum kind kind)
{
	if (ln->n == ln->cap) {
		size_t cap = ln->cap ? ln->cap * 2 : 64;
		struct entry *e = realloc(ln->entries, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		ln->entries = e;
		ln->cap = cap;
	}
	ln->entries[ln->n].name = strndup(name, len);
	if (!ln->entries[ln->n].name)
		return -ENOMEM;
	ln->entries[ln->n++].kind = kind;
	return 0;
}

struct adder {
	struct local_names *ln;
	enum kind kind;
};

static int add_entry(const char *name, size_t len, long long id, void *userdata)
{
	struct adder *a = userdata;

	(void)id;
	return add(a->ln, name, len, a->kind);
}

/* The u and g lines of one sysusers.d file: "u NAME ..." and "g NAME ...". */
static int add_sysusers_file(struct local_names *ln, const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	int r = 0;

	if (!f)
		return errno == ENOENT || errno == EACCES ? 0 : -errno;
	while (r == 0 && getline(&line, &cap, f) >= 0) {
		char *p = line + strspn(line, " \t"), *name;
		size_t len;

		if (*p != 'u' && *p != 'g')
			continue;
		p += strcspn(p, " \t\n");
		if (*p != ' ' && *p != '\t')
			continue;
		name = p + strspn(p, " \t");
		len = strcspn(name, " \t\n");
		/* A name with specifiers (%...) or quotes is not one we could clash with. */
		if (len > 0 && !memchr(name, '%', len) && !memchr(name, '"', len))
			r = add(ln, name, len, KIND_SYSUSERS);
	}
	free(line);
	fclose(f);
	return r;
}

static int add_sysusers_dir(struct local_names *ln, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[4096];
	int r = 0;

	/* Declarations are a help on top of the fixed list: one we may not read is skipped. */
	if (!d)
		return errno == ENOENT || errno == ENOTDIR || errno == EACCES ? 0 : -errno;
	while (r == 0 && (de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n < 6 || strcmp(de->d_name + n - 5, ".conf") != 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path))
			continue;
		r = add_sysusers_file(ln, path);
	}
	closedir(d);
	return r;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (int)x->kind - (int)y->kind;
}

int local_names_load(const struct local_sources *src, struct local_names **ret)
{
	struct local_names *ln = calloc(1, sizeof(*ln));
	struct adder a = { ln, KIND_PASSWD };
	int r = 0;

	if (!ln)
		return -ENOMEM;
	if (src->passwd)
		r = local_file_scan(src->passwd, add_entry, &a);
	a.kind = KIND_GROUP;
	if (r == 0 && src->group)
		r = local_file_scan(src->group, add_entry, &a);
	for (size_t i = 0; r == 0 && src->sysusers_dirs && src->sysusers_dirs[i]; i++)
		r = add_sysusers_dir(ln, src->sysusers_dirs[i]);
	if (r < 0) {
		local_names_free(ln);
		return r;
	}
	if (ln->n > 1)
		qsort(ln->entries, ln->n, sizeof(*ln->entries), entry_cmp);
	*ret = ln;
	return 0;
}

/* The first entry named name (the preferred kind, by the sort order). */
static const struct entry *find(const struct local_names *ln, const char *name)
{
	size_t lo = 0, hi = ln->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(ln->entries[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ln->n && strcmp(ln->entries[lo].name, name) == 0 ? &ln->entries[lo] : NULL;
}

static bool is_reserved(const char *name)
{
	for (size_t i = 0; reserved[i]; i++)
		if (strcmp(name, reserved[i]) == 0)
			return true;
	for (size_t i = 0; reserved_prefixes[i]; i++)
		if (strncmp(name, reserved_prefixes[i], strlen(reserved_prefixes[i])) == 0)
			return true;
	return false;
}

int local_names_check(const struct local_names *ln, const char *name, char *why, size_t len)
{
	const struct entry *e = find(ln, name);
	const char *what;

	if (e)
		what = e->kind == KIND_PASSWD ? "a local account of this machine"
		       : e->kind == KIND_GROUP ? "a local group of this machine"
					       : "a system account this machine declares (sysusers.d)";
	else if (strncmp(name, SERVED_GROUP_PREFIX, strlen(SERVED_GROUP_PREFIX)) == 0) {
		snprintf(why, len, "'%s' is reserved for the groups staffd serves (" SERVED_GROUP_PREFIX
				   "...); staff accounts cannot take such names", name);
		return -EEXIST;
	} else if (is_reserved(name))
		what = "reserved for system accounts";
	else
		return 0;
	snprintf(why, len, "'%s' is %s; staff accounts cannot shadow it", name, what);
	return -EEXIST;
}

int local_name_check_system(const char *name, char *why, size_t len)
{
	struct local_names *ln = NULL;
	int r = local_names_load(&local_sources_system, &ln);

	if (r == 0)
		r = local_names_check(ln, name, why, len);
	local_names_free(ln);
	return r;
}
