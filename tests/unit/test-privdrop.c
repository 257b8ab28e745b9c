/* Leaving root: user lookup, handing the state directory over, and becoming
 * the user (in a child process, so that the test itself stays root). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "../../staffd/privdrop.h"

/* Debian's nobody:nogroup, present on every system. */
#define NOBODY 65534

static void need_root(void)
{
	if (geteuid() != 0)
		skip();
}

/* --- lookup --- */

static void test_lookup(void **state)
{
	uid_t uid = 4242;
	gid_t gid = 4343;

	(void)state;
	assert_int_equal(privdrop_lookup("nobody", &uid, &gid), 0);
	assert_int_equal(uid, NOBODY);
	assert_int_equal(gid, NOBODY);

	uid = 4242;
	gid = 4343;
	assert_int_equal(privdrop_lookup("no-such-user-here", &uid, &gid), -ESRCH);
	assert_int_equal(privdrop_lookup("root", &uid, &gid), -EPERM);
	assert_int_equal(privdrop_lookup("", &uid, &gid), -EINVAL);
	assert_int_equal(privdrop_lookup(NULL, &uid, &gid), -EINVAL);
	/* outputs untouched on failure */
	assert_int_equal(uid, 4242);
	assert_int_equal(gid, 4343);
}

/* --- chown of the state directory --- */

struct dirs {
	char state[64];
	char outside[64];
};

static void touch(const char *dir, const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
}

static void owner_is(const char *dir, const char *name, uid_t uid, gid_t gid)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s%s", dir, name ? "/" : "", name ? name : "");
	assert_int_equal(lstat(path, &st), 0);
	if (st.st_uid != uid || st.st_gid != gid)
		fail_msg("%s belongs to %u:%u, expected %u:%u", path, (unsigned)st.st_uid, (unsigned)st.st_gid,
			 (unsigned)uid, (unsigned)gid);
}

static int dirs_setup(void **state)
{
	struct dirs *d = calloc(1, sizeof(*d));
	char path[256];

	if (!d)
		return -1;
	snprintf(d->state, sizeof(d->state), "/tmp/test-privdrop-XXXXXX");
	snprintf(d->outside, sizeof(d->outside), "/tmp/test-privdrop-out-XXXXXX");
	if (!mkdtemp(d->state) || !mkdtemp(d->outside))
		return -1;
	touch(d->state, "data.mdb");
	touch(d->state, "staffd.key");
	touch(d->outside, "target");
	snprintf(path, sizeof(path), "%s/target", d->outside);
	if (chdir(d->state) < 0 || symlink(path, "link") < 0 || mkdir("sub", 0700) < 0)
		return -1;
	touch(d->state, "sub/deeper");
	if (chdir("/") < 0)
		return -1;
	*state = d;
	return 0;
}

static int dirs_teardown(void **state)
{
	struct dirs *d = *state;
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", d->state, d->outside);
	if (system(cmd) != 0)
		return -1;
	free(d);
	return 0;
}

static void test_chown_state(void **state)
{
	struct dirs *d = *state;

	need_root();
	assert_int_equal(privdrop_chown_state(d->state, NOBODY, NOBODY), 0);
	owner_is(d->state, NULL, NOBODY, NOBODY);
	owner_is(d->state, "data.mdb", NOBODY, NOBODY);
	owner_is(d->state, "staffd.key", NOBODY, NOBODY);
	owner_is(d->state, "sub", NOBODY, NOBODY);
	/* the link itself, never what it points to; and only the top level */
	owner_is(d->state, "link", NOBODY, NOBODY);
	owner_is(d->outside, "target", 0, 0);
	owner_is(d->state, "sub/deeper", 0, 0);

	/* and back: a second call with other ids is no problem */
	assert_int_equal(privdrop_chown_state(d->state, 0, 0), 0);
	owner_is(d->state, "data.mdb", 0, 0);
}

static void test_chown_state_refuses(void **state)
{
	struct dirs *d = *state;
	char path[256];

	need_root();
	snprintf(path, sizeof(path), "%s/none", d->state);
	assert_int_equal(privdrop_chown_state(path, NOBODY, NOBODY), -ENOENT);
	snprintf(path, sizeof(path), "%s/data.mdb", d->state);
	assert_int_equal(privdrop_chown_state(path, NOBODY, NOBODY), -ENOTDIR);
	/* a state directory that is a symbolic link is not followed */
	snprintf(path, sizeof(path), "%s/dirlink", d->outside);
	assert_int_equal(symlink(d->state, path), 0);
	assert_int_equal(privdrop_chown_state(path, NOBODY, NOBODY), -ENOTDIR);
	owner_is(d->state, NULL, 0, 0);
}

/* --- becoming the user --- */

struct waiter {
	int ready[2];		/* the thread says it runs */
	int release[2];		/* closed by the main thread to let it end */
	pid_t tid;
};

static void *wait_on_pipe(void *arg)
{
	struct waiter *w = arg;
	char c;

	w->tid = (pid_t)syscall(SYS_gettid);
	if (write(w->ready[1], "r", 1) != 1)
		return NULL;
	while (read(w->release[0], &c, 1) > 0)
		;
	return NULL;
}

/* The uid line of a thread's status: "Uid: r e s fs". */
static int thread_uids(pid_t tid, unsigned ids[4])
{
	char path[64], line[256];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %u %u %u %u", &ids[0], &ids[1], &ids[2], &ids[3]) == 4)
			n = 4;
	fclose(f);
	return n == 4 ? 0 : -1;
}

/* Runs in a child: every step that fails gives its own exit status. */
static int become_nobody(void)
{
	struct waiter w = { .tid = 0 };
	unsigned ids[4];
	pthread_t t;
	char c;
	int fd;

	/* A second thread, as the daemon's workers are when it drops root. */
	if (pipe(w.ready) < 0 || pipe(w.release) < 0 || pthread_create(&t, NULL, wait_on_pipe, &w) != 0 ||
	    read(w.ready[0], &c, 1) != 1)
		return 10;
	if (privdrop_become(NOBODY, NOBODY) != 0)
		return 11;
	if (getuid() != NOBODY || geteuid() != NOBODY || getgid() != NOBODY || getegid() != NOBODY)
		return 12;
	if (getgroups(0, NULL) != 0)
		return 13;
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0)
		return 14;
	/* the other thread changed too */
	if (thread_uids(w.tid, ids) < 0 || ids[0] != NOBODY || ids[1] != NOBODY || ids[2] != NOBODY || ids[3] != NOBODY)
		return 15;
	/* root's private files are out of reach */
	fd = open("/etc/shadow", O_RDONLY | O_CLOEXEC);
	if (fd >= 0 || errno != EACCES)
		return 16;
	close(w.release[1]);
	pthread_join(t, NULL);
	/* twice is refused: there is no root left to give up */
	if (privdrop_become(NOBODY, NOBODY) != -EPERM)
		return 17;
	return 0;
}

static int in_child(int (*fn)(void))
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());	/* _exit: no leak check of the child's copy of the test */
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_become(void **state)
{
	(void)state;
	need_root();
	assert_int_equal(in_child(become_nobody), 0);
}

static int become_root(void)
{
	if (privdrop_become(0, NOBODY) != -EINVAL || privdrop_become(NOBODY, 0) != -EINVAL)
		return 1;
	/* nothing changed */
	return getuid() == 0 && geteuid() == 0 ? 0 : 2;
}

static void test_become_refuses_root(void **state)
{
	(void)state;
	need_root();
	assert_int_equal(in_child(become_root), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test_setup_teardown(test_chown_state, dirs_setup, dirs_teardown),
		cmocka_unit_test_setup_teardown(test_chown_state_refuses, dirs_setup, dirs_teardown),
		cmocka_unit_test(test_become),
		cmocka_unit_test(test_become_refuses_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
