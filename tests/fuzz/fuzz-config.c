/*
 * Fuzz target for staffd.conf (staffd/config.c): the input is the file.
 *
 * Checked: a file with problems is refused with -EINVAL, every problem is
 * reported with the path and a line of the file, and the configuration is
 * left exactly as it was; a file without problems gives a configuration
 * that keeps every documented rule (ranges, absolute paths, socket path
 * lengths, uid range clear of the reserved ranges, min_length <= max_bytes),
 * and reading it again changes nothing.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sodium.h>

#include "config.h"
#include "fixture.h"

#define FUZZ_INPUT_MAX (64 * 1024)
#define MIB (1024ULL * 1024)
#define GIB (1024ULL * MIB)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct problems {
	const char *path;
	unsigned lines;
	unsigned count;
};

static void collect(const char *path, unsigned line, const char *message, void *userdata)
{
	struct problems *p = userdata;
	size_t n = strlen(message);

	if (strcmp(path, p->path) != 0)
		fixture_fail("a problem names %s, not the file read (%s)", path, p->path);
	if (line > p->lines)
		fixture_fail("a problem on line %u of a file of %u lines: %s", line, p->lines, message);
	if (n == 0 || n >= 512)
		fixture_fail("a problem message of %zu bytes", n);
	p->count++;
}

static bool same_string(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool config_equal(const struct config *a, const struct config *b)
{
	return same_string(a->state_dir, b->state_dir) && same_string(a->socket_path, b->socket_path) &&
	       same_string(a->userdb_socket, b->userdb_socket) && a->map_size == b->map_size &&
	       a->max_staff == b->max_staff && a->uid_min == b->uid_min && a->uid_max == b->uid_max &&
	       same_string(a->home_base, b->home_base) && same_string(a->shell, b->shell) &&
	       same_string(a->user, b->user) && same_string(a->mail_command, b->mail_command) &&
	       same_string(a->mail_from, b->mail_from) && same_string(a->sms_command, b->sms_command) &&
	       a->activation_ttl == b->activation_ttl && a->reset_ttl == b->reset_ttl &&
	       a->forgot_interval == b->forgot_interval &&
	       memcmp(&a->password, &b->password, sizeof(a->password)) == 0 &&
	       a->lockout_failures == b->lockout_failures && a->unlock_time == b->unlock_time &&
	       a->opslimit == b->opslimit && a->memlimit == b->memlimit && a->hash_workers == b->hash_workers &&
	       a->hash_queue == b->hash_queue;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static bool absolute(const char *s)
{
	return s && s[0] == '/' && !has_control(s);
}

static void check_rules(const struct config *c)
{
	const size_t sun_max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
	const struct password_config *p = &c->password;

	if (!absolute(c->state_dir) || !absolute(c->home_base) || !absolute(c->shell))
		fixture_fail("a path that is not absolute or holds a control character");
	if (!absolute(c->socket_path) || strlen(c->socket_path) > sun_max)
		fixture_fail("socket %s cannot be bound", c->socket_path ? c->socket_path : "(null)");
	if (!c->userdb_socket || (*c->userdb_socket && (!absolute(c->userdb_socket) || strlen(c->userdb_socket) > sun_max)))
		fixture_fail("userdb_socket cannot be bound");
	if (!c->mail_command || !c->sms_command || !c->user || !c->mail_from || !*c->mail_from ||
	    has_control(c->mail_from))
		fixture_fail("a missing command, user or mail_from, or a mail_from with a control character");
	if (c->map_size < 1 * MIB || c->map_size > 64 * GIB || c->max_staff > 1000000)
		fixture_fail("map_size or max_staff out of range");
	if (c->uid_min < 1000 || c->uid_min >= c->uid_max || (c->uid_min <= 60513 && c->uid_max >= 60001) ||
	    (c->uid_min <= 65535 && c->uid_max >= 61184))
		fixture_fail("uid range %u-%u accepted", c->uid_min, c->uid_max);
	if (c->activation_ttl < 300 || c->activation_ttl > 30 * 86400 || c->reset_ttl < 300 ||
	    c->reset_ttl > 30 * 86400 || c->forgot_interval > 86400 || c->unlock_time > 30 * 86400)
		fixture_fail("a duration out of range");
	if (p->min_length < 4 || p->min_length > 1024 || p->max_bytes < 16 || p->max_bytes > 4096 ||
	    p->max_bytes < p->min_length || p->history > 24 || p->min_score > 4 ||
	    (p->reject_sequences && (p->reject_sequences < 3 || p->reject_sequences > 16)) ||
	    (p->reject_repeats && (p->reject_repeats < 3 || p->reject_repeats > 16)))
		fixture_fail("a password rule out of range");
	if (c->lockout_failures < 1 || c->lockout_failures > 100 || c->opslimit < crypto_pwhash_OPSLIMIT_MIN ||
	    c->opslimit > 10 || c->memlimit < 8 * MIB || c->memlimit > crypto_pwhash_MEMLIMIT_MAX || c->memlimit > 4 * GIB ||
	    c->hash_workers > 256 || c->hash_queue < 1 || c->hash_queue > 100000)
		fixture_fail("a lockout or hashing setting out of range");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct problems probs = { path, 1, 0 };
	struct config before, c, again;
	int r;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	if (fd < 0) {
		/* One file for every input; others must not be able to write it (config.c checks). */
		fd = memfd_create("staffd.conf", MFD_CLOEXEC);
		if (fd < 0 || fchmod(fd, 0644) < 0)
			fixture_fail("memfd: %s", strerror(errno));
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		fixture_fail("cannot write the file: %s", strerror(errno));
	for (size_t i = 0; i < size; i++)
		probs.lines += data[i] == '\n';

	if (config_defaults(&c) < 0 || config_defaults(&before) < 0)
		fixture_fail("out of memory");
	r = config_load(&c, path, collect, &probs);
	if (r == 0) {
		if (probs.count)
			fixture_fail("accepted with %u problems", probs.count);
		check_rules(&c);
		/* The same file read again, and read over its own result, gives the same. */
		if (config_defaults(&again) < 0)
			fixture_fail("out of memory");
		probs.count = 0;
		if (config_load(&again, path, collect, &probs) != 0 || !config_equal(&again, &c) ||
		    config_load(&again, path, collect, &probs) != 0 || !config_equal(&again, &c))
			fixture_fail("reading the file again gives another configuration");
		config_free(&again);
	} else {
		if (r != -EINVAL || probs.count == 0)
			fixture_fail("refused (%s) with %u problems reported", strerror(-r), probs.count);
		if (!config_equal(&c, &before))
			fixture_fail("a refused file changed the configuration");
	}
	config_free(&c);
	config_free(&before);
	return 0;
}
