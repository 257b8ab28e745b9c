/*
 * Tests for lib/client.c against a scripted server thread on a socket in a
 * temporary directory. The server thread never calls cmocka (its asserts
 * longjmp): it records what went wrong and the test checks after joining.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "client.h"
#include "staff-protocol.h"

/* Generous: sanitizer builds on a loaded machine are slow to schedule. */
#define SLACK_MS 1500

struct server;
typedef const char *(*scenario_fn)(struct server *s, int fd);

struct server {
	char dir[64];
	char path[128];
	int lfd;
	bool running;
	pthread_t thread;
	scenario_fn scenario;
	const char *failure;	/* set by the thread, checked after join */
	struct varlink_client *client;	/* freed by teardown if a test fails early */
	char method[128];	/* the method of the call the server read */
	bool more;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int setup(void **state)
{
	struct server *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	strcpy(s->dir, "/tmp/test-client-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/sock", s->dir);
	s->lfd = -1;
	*state = s;
	return 0;
}

static void join_server(struct server *s)
{
	if (s->running) {
		pthread_join(s->thread, NULL);
		s->running = false;
	}
}

static void close_client(struct server *s)
{
	varlink_client_free(s->client);
	s->client = NULL;
}

static int teardown(void **state)
{
	struct server *s = *state;

	/* Servers waiting for the client to go would otherwise never be joined. */
	close_client(s);
	join_server(s);
	if (s->lfd >= 0)
		close(s->lfd);
	unlink(s->path);
	rmdir(s->dir);
	free(s);
	return 0;
}

static int listen_at(const char *path, int backlog)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(strlen(path) < sizeof(sa.sun_path));
	strcpy(sa.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, backlog), 0);
	return fd;
}

static void *server_main(void *arg)
{
	struct server *s = arg;
	int fd = accept(s->lfd, NULL, NULL);

	if (fd < 0) {
		s->failure = "accept failed";
		return NULL;
	}
	s->failure = s->scenario(s, fd);
	close(fd);
	return NULL;
}

/* Listens before returning, so the client's connect never races the thread. */
static void start_server(struct server *s, scenario_fn scenario)
{
	s->lfd = listen_at(s->path, 4);
	s->scenario = scenario;
	assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
	s->running = true;
}

static struct varlink_client *connect_ok(struct server *s, int timeout_ms)
{
	struct varlink_client *c = NULL;

	assert_null(s->client);
	assert_int_equal(varlink_client_connect(s->path, timeout_ms, &c), 0);
	assert_non_null(c);
	s->client = c;
	return c;
}

/* Server side helpers: return NULL or what went wrong. */

static const char *write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return "server write failed";
		}
		buf += n;
		len -= (size_t)n;
	}
	return NULL;
}

/*
 * Reads one call frame (byte by byte past the first read, so nothing after
 * the NUL is consumed) and records its method. A descriptor passed with the
 * message is stored in *passed when passed is not NULL.
 */
static const char *read_call(struct server *s, int fd, int *passed)
{
	char buf[4096];
	size_t len = 0;
	struct varlink_call call = { 0 };

	for (;;) {
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(int))];
		} control;
		struct iovec iov = { .iov_base = buf + len, .iov_len = 1 };
		struct msghdr mh = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = control.buf,
			.msg_controllen = sizeof(control.buf),
		};
		ssize_t n;

		if (len == sizeof(buf))
			return "call too long";
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return "no call received";
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
				int got;

				memcpy(&got, CMSG_DATA(cm), sizeof(got));
				if (passed && *passed < 0)
					*passed = got;
				else
					close(got);
			}
		}
		len += (size_t)n;
		if (buf[len - 1] == '\0')
			break;
	}
	if (varlink_call_decode(buf, len - 1, &call, NULL) < 0)
		return "call did not decode";
	snprintf(s->method, sizeof(s->method), "%s", call.method);
	s->more = call.more;
	varlink_call_clear(&call);
	return NULL;
}

static const char *wait_for_eof(int fd)
{
	char b[256];
	ssize_t n;

	/* A client that hangs up with replies unread shows up as ECONNRESET. */
	while ((n = read(fd, b, sizeof(b))) != 0)
		if (n < 0 && errno != EINTR && errno != ECONNRESET)
			return "read failed while waiting for the client to go";
		else if (n < 0 && errno == ECONNRESET)
			break;
	return NULL;
}

static const char *reply_with(struct server *s, int fd, const char *msg, size_t len)
{
	const char *e = read_call(s, fd, NULL);

	return e ? e : write_all(fd, msg, len);
}

#define REPLY(s, fd, lit) reply_with((s), (fd), (lit), sizeof(lit))	/* literal's own NUL ends the frame */

/* Scenarios. */

static const char *sc_echo(struct server *s, int fd)
{
	char out[256];
	int n;
	const char *e = read_call(s, fd, NULL);

	if (e)
		return e;
	n = snprintf(out, sizeof(out), "{\"parameters\":{\"method\":\"%s\",\"more\":%s}}", s->method,
		     s->more ? "true" : "false");
	return write_all(fd, out, (size_t)n + 1);
}

static const char *sc_split(struct server *s, int fd)
{
	static const char msg[] = "{\"parameters\":{\"name\":\"Jos\\u00e9\",\"n\":12345}}";
	const char *e = read_call(s, fd, NULL);

	if (e)
		return e;
	for (size_t off = 0; off < sizeof(msg); off += 3) {
		size_t n = sizeof(msg) - off < 3 ? sizeof(msg) - off : 3;

		e = write_all(fd, msg + off, n);
		if (e)
			return e;
		sleep_ms(2);
	}
	return NULL;
}

static const char *sc_two_in_one(struct server *s, int fd)
{
	return REPLY(s, fd, "{\"parameters\":{\"i\":1},\"continues\":true}\0{\"parameters\":{\"i\":2}}");
}

static const char *sc_silent(struct server *s, int fd)
{
	const char *e = read_call(s, fd, NULL);

	return e ? e : wait_for_eof(fd);
}

static const char *sc_slow(struct server *s, int fd)
{
	const char *e = read_call(s, fd, NULL);

	if (e)
		return e;
	sleep_ms(300);
	return write_all(fd, "{}", 3);
}

static const char *sc_fd(struct server *s, int fd)
{
	int passed = -1;
	const char *e = read_call(s, fd, &passed);

	if (e)
		return e;
	if (passed < 0)
		return "no descriptor arrived";
	if (write(passed, "hello", 5) != 5)
		e = "could not write through the descriptor";
	close(passed);
	return e ? e : write_all(fd, "{}", 3);
}

static const char *sc_close_mid_frame(struct server *s, int fd)
{
	const char *e = read_call(s, fd, NULL);

	return e ? e : write_all(fd, "{\"parameters\":{\"x\"", 18);
}

static const char *sc_bad_then_good(struct server *s, int fd)
{
	return REPLY(s, fd, "{\"bogus\":1}\0{\"parameters\":{\"ok\":true}}");
}

static const char *sc_continues(struct server *s, int fd)
{
	return REPLY(s, fd, "{\"continues\":true}\0{}");
}

static const char *sc_close_at_once(struct server *s, int fd)
{
	(void)s;
	(void)fd;
	return NULL;
}

static const char *sc_wait(struct server *s, int fd)
{
	(void)s;
	return wait_for_eof(fd);
}

/* A reply whose frame, NUL included, is exactly VARLINK_CLIENT_REPLY_MAX + extra bytes. */
static const char *big_reply(struct server *s, int fd, size_t extra)
{
	static const char head[] = "{\"parameters\":{\"b\":\"", tail[] = "\"}}";
	size_t total = VARLINK_CLIENT_REPLY_MAX + extra;
	char *msg = malloc(total);
	const char *e;

	if (!msg)
		return "out of memory";
	memcpy(msg, head, sizeof(head) - 1);
	memset(msg + sizeof(head) - 1, 'a', total - (sizeof(head) - 1) - sizeof(tail));
	memcpy(msg + total - sizeof(tail), tail, sizeof(tail));
	e = read_call(s, fd, NULL);
	if (!e) {
		/* A client refusing an oversized reply hangs up before reading it all. */
		e = write_all(fd, msg, total);
		if (extra > 0)
			e = NULL;
		if (!e)
			e = wait_for_eof(fd);
	}
	free(msg);
	return e;
}

static const char *sc_biggest(struct server *s, int fd)
{
	return big_reply(s, fd, 0);
}

static const char *sc_too_big(struct server *s, int fd)
{
	return big_reply(s, fd, 1);
}

static const char *sc_endless(struct server *s, int fd)
{
	char junk[65536];
	const char *e = read_call(s, fd, NULL);

	if (e)
		return e;
	memset(junk, 'x', sizeof(junk));
	/* No NUL ever: stops when the client hangs up. */
	while (send(fd, junk, sizeof(junk), MSG_NOSIGNAL) > 0)
		;
	return NULL;
}

/* Tests. */

static void test_call_and_reply(void **state)
{
	struct server *s = *state;
	struct varlink_client *c;
	struct varlink_reply reply = { 0 };
	json_t *params = json_pack("{s:s}", "username", "jdoe");

	start_server(s, sc_echo);
	c = connect_ok(s, 2000);
	assert_int_equal(varlink_client_call(c, STAFF_METHOD("UserShow"), params, &reply), 0);
	assert_int_equal(params->refcount, 1);
	assert_null(reply.error);
	assert_false(reply.continues);
	assert_string_equal(json_string_value(json_object_get(reply.parameters, "method")), "io.practice.Staff.UserShow");
	assert_true(json_is_false(json_object_get(reply.parameters, "more")));
	varlink_reply_clear(&reply);
	close_client(s);
	join_server(s);
	assert_null(s->failure);
	json_decref(params);
}

static void test_split_reply(void **state)
{
	struct server *s = *state;
	struct varlink_client *c;
	struct varlink_reply reply = { 0 };

	start_server(s, sc_split);
	c = connect_ok(s, 5000);
	assert_int_equal(varlink_client_call(c, "io.practice.Staff.GetPolicy", NULL, &reply), 0);
	assert_string_equal(json_string_value(json_object_get(reply.parameters, "name")), "Jos\xc3\xa9");
	assert_int_equal(json_integer_value(json_object_get(reply.parameters, "n")), 12345);
	varlink_reply_clear(&reply);
	close_client(s);
	join_server(s);
	assert_null(s->failure);
}

static void test_two_replies_in_one_write(void **state)
{
	struct server *s = *state;
	struct varlink_client *c;
	struct varlink_reply reply = { 0 };

	start_server(s, sc_two_in_one);
	c = connect_ok(s, 2000);
	assert_int_equal(varlink_client_send(c, "io.practice.Staff.UserList", NULL, true, -1), 0);
	assert_int_equal(varlink_client_recv(c, &reply), 0);
	assert_true(reply.continues);
	assert_int_equal(json_integer_value(json_object_get(reply.parameters, "i")), 1);
	varlink_reply_clear(&reply);
	assert_int_equal(varlink_client_recv(c, &reply), 0);
	assert_false(reply.continues);
	assert_int_equal(json_integer_value(json_object_get(reply.parameters, "i")), 2);
	varlink_reply_clear(&reply);
	close_client(s);
	join_server(s);
	assert_null(s->failure);
	assert_true(s->more);
}

static void test_timeout(void **state)
{
	struct server *s = *state;
	struct varlink_client *c;
	struct varlink_reply reply = { .error = (char *)"sentinel" };
	long long start, elapsed;

	start_server(s, sc_silent);
	c = connect_ok(s, 300);
	start = now_ms();
	assert_int_equal(varlink_client_call(c, "io.practice.Staff.GetPolicy", NULL, &reply), -ETIMEDOUT);
	elapsed = now_ms() - start;
	assert_true(elapsed >= 290);
	assert_true(elapsed < 300 + SLACK_MS);
	assert_string_equal(reply.error, "sentinel");
	assert_null(reply.parameters);
	/* A receive timeout is not final: each attempt gets the full timeout again. */
	start = now_ms();
	assert_int_equal(varlink_client_recv(c, &reply), -ETIMEDOUT);
	assert_true(now_ms() - start < 300 + SLACK_MS);
	close_client(s);
	join_server(s);
	assert_null(s->failure);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * Interrupts this thread every 5 ms. The handler stays installed afterwards
 * so a last tick still in flight cannot end the process.
 */
static void start_alarm(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_interval = { 0, 5000 }, .it_value = { 0, 5000 } };

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: poll and recv see EINTR */
	assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
}

static void stop_alarm(void)
{
	struct itimerval off = { { 0, 0 }, { 0, 0 } };

	assert_int_equal(setitimer(ITIMER_REAL, &off, NULL), 0);
}

/* The server thread inherits a mask without SIGALRM so only this thread is interrupted. */
static void start_server_no_alarm(struct server *s, scenario_fn scenario)
{
	sigset_t set, old;

	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &set, &old), 0);
	start_server(s, scenario);
	assert_int_equal(pthread_sigmask(SIG_SETMASK, &old, NULL), 0);
}

static void test_eintr_reply(void **state)
{
	struct server *s = *state;
	struct varlink_client *c;
	struct varlink_reply reply = { 0 };

	start_server_no_alarm(s, sc_slow);
	start_alarm();
	c = connect_ok(s, 5000);
	assert_int_equal(varlink_client_call(c, "io.practice.Staff.GetPolicy", NULL, &reply), 0);
	stop_alarm();
	assert_null(reply.error);
	varlink_reply_clear(&reply);
	close_client(s);
	join_server(s);
	assert_null(s->failure);
}

static void test_eintr_keeps_deadline(void **state)
{
	struct server *s = *state;
	struct varlink_client *c;
	struct varlink_reply reply = { 0 };
	long long start;

	start_server_no_alarm(s, sc_silent);
	c = connect_ok(s, 200);
	start_alarm();
	start = now_ms();
	assert_int_equal(varlink_client_call(c, "io.practice.Staff.GetPolicy", NULL, &reply), -ETIMEDOUT);
	stop_alarm();
	assert_true(now_ms() - start < 200 + SLACK_MS);
	close_client(s);
	join_server(s);
	assert_null(s->failure);
}

static void test_connect_missing(void **state)
{
	struct server *s = *state;
	struct varlink_client *c = (struct varlink_client *)s;	/* must stay untouched */

	assert_int_equal(varlink_client_connect(s->path, 1000, &c), -ENOENT);
	assert_ptr_equal(c, s);
	assert_int_equal(varlink_client_connect("/nonexistent-dir/sock", 0, &c), -ENOENT);
	assert_ptr_equal(c, s);
}

static void test_connect_refused(void **state)
{
	struct server *s = *state;
	struct varlink_client *c = NULL;

	/* The socket file exists but nobody listens any more. */
	close(listen_at(s->path, 1));
	assert_int_equal(varlink_client_connect(s->path, 1000, &c), -ECONNREFUSED);
	assert_null(c);
}

static void test_connect_bad_args(void **state)
{
	struct varlink_client *c = NULL;
	char longpath[200];

	(void)state;
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(varlink_client_connect(longpath, 1000, &c), -ENAMETOOLONG);
	assert_int_equal(varlink_client_connect("", 1000, &c), -EINVAL);
	assert_int_equal(varlink_client_connect(NULL, 1000, &c), -EINVAL);
	assert_int_equal(varlink_client_connect("/tmp/x", -1, &c), -EINVAL);
	assert_null(c);
	varlink_client_free(NULL);
}

static void test_connect_backlog_full(void **state)
{
	struct server *s = *state;
	struct varlink_client *held[8] = { 0 };
	long long start = 0, elapsed = 0;
	int r = 0;
	size_t i;

	/* A listener that never accepts: its queue fills and the next connect has to wait. */
	s->lfd = listen_at(s->path, 0);
	for (i = 0; i < sizeof(held) / sizeof(held[0]); i++) {
		start = now_ms();
		r = varlink_client_connect(s->path, 200, &held[i]);
		elapsed = now_ms() - start;
		if (r < 0)
			break;
	}
	assert_int_equal(r, -ETIMEDOUT);
	assert_true(i > 0);
	assert_true(elapsed >= 190);
	assert_true(elapsed < 200 + SLACK_MS);
	assert_null(held[i]);
	while (i > 0)
		varlink_client_free(held[--i]);
}

static void test_fd_passing(void **state)
{
	struct server *s = *state;
	struct varlink_client *c;
	struct varlink_reply reply = { 0 };
	int p[2];
	char buf[16] = { 0 };

	assert_int_equal(pipe(p), 0);
	start_server(s, sc_fd);
	c = connect_ok(s, 2000);
	assert_int_equal(varlink_client_send(c, "io.practice.Staff.Backup", NULL, false, p[1]), 0);
	/* The sender keeps its own copy of the descriptor. */
	close(p[1]);
	assert_int_equal(varlink_client_recv(c, &reply), 0);
	assert_null(reply.error);
	assert_int_equal(read(p[0], buf, sizeof(buf)), 5);
	assert_string_equal(buf, "hello");
	/* The server closed its copy: end of file. */
	assert_int_equal(read(p[0], buf, sizeof(buf)), 0);
	close(p[0]);
	varlink_reply_clear(&reply);
	close_client(s);
	join_server(s);
	assert_null(s->failure);
}

static void test_close_mid_frame(void **state)
{
	struct server *s = *state;
	struct varlink_client *c;
	struct varlink_reply reply = { 0 };

	start_server(s, sc_close_mid_frame);
	c = connect_ok(s, 2000);
	assert_int_equal(varlink_client_call(c, "io.practice.Staff.GetPolicy", NULL, &reply), -ECONNRESET);
	assert_null(reply.parameters);
	/* Final for the connection. */
	assert_int_equal(varlink_client_recv(c, &reply), -ECONNRESET);
	assert_int_equal(varlink_client_send(c, "io.practice.Staff.GetPolicy", NULL, false, -1), -ECONNRESET);
	close_client(s);
	join_server(s);
	assert_null(s->failure);
}

static void test_bad_reply_then_good(void **state)
{
	struct server *s = *state;
	struct varlink_client *c;
	struct varlink_reply reply = { 0 };

	start_server(s, sc_bad_then_good);
	c = connect_ok(s, 2000);
	assert_int_equal(varlink_client_send(c, "io.practice.Staff.UserList", NULL, true, -1), 0);
	assert_int_equal(varlink_client_recv(c, &reply), -EBADMSG);
	assert_null(reply.parameters);
	/* The bad frame is dropped whole; the next one is intact. */
	assert_int_equal(varlink_client_recv(c, &reply), 0);
	assert_true(json_is_true(json_object_get(reply.parameters, "ok")));
	varlink_reply_clear(&reply);
	close_client(s);
	join_server(s);
	assert_null(s->failure);
}

static void test_call_refuses_continues(void **state)
{
	struct server *s = *state;
	struct varlink_client *c;
	struct varlink_reply reply = { 0 };

	start_server(s, sc_continues);
	c = connect_ok(s, 2000);
	assert_int_equal(varlink_client_call(c, "io.practice.Staff.GetPolicy", NULL, &reply), -EBADMSG);
	assert_null(reply.parameters);
	assert_int_equal(varlink_client_recv(c, &reply), -EBADMSG);
	close_client(s);
	join_server(s);
	assert_null(s->failure);
}

static void test_send_to_closed_peer(void **state)
{
	struct server *s = *state;
	struct varlink_client *c;
	int r;

	start_server(s, sc_close_at_once);
	c = connect_ok(s, 2000);
	join_server(s);
	/* No SIGPIPE: the process is still here to see the error. */
	r = varlink_client_send(c, "io.practice.Staff.GetPolicy", NULL, false, -1);
	assert_true(r == -EPIPE || r == -ECONNRESET);
	close_client(s);
	assert_null(s->failure);
}

static void test_send_bad_args(void **state)
{
	struct server *s = *state;
	struct varlink_client *c;
	json_t *arr = json_array(), *big = json_object();
	char *blob = malloc(STAFF_FRAME_MAX);

	assert_non_null(blob);
	memset(blob, 'x', STAFF_FRAME_MAX - 1);
	blob[STAFF_FRAME_MAX - 1] = '\0';
	assert_int_equal(json_object_set_new(big, "blob", json_string(blob)), 0);
	free(blob);

	start_server(s, sc_echo);
	c = connect_ok(s, 2000);
	assert_int_equal(varlink_client_send(c, "GetPolicy", NULL, false, -1), -EINVAL);
	assert_int_equal(varlink_client_send(c, "io.practice.Staff.getPolicy", NULL, false, -1), -EINVAL);
	assert_int_equal(varlink_client_send(c, NULL, NULL, false, -1), -EINVAL);
	assert_int_equal(varlink_client_send(c, "io.practice.Staff.GetPolicy", arr, false, -1), -EINVAL);
	assert_int_equal(varlink_client_send(c, "io.practice.Staff.GetPolicy", big, false, -1), -EMSGSIZE);
	assert_int_equal(varlink_client_send(NULL, "io.practice.Staff.GetPolicy", NULL, false, -1), -EINVAL);
	/* None of that reached the wire: the connection still works. */
	{
		struct varlink_reply reply = { 0 };

		assert_int_equal(varlink_client_call(c, "io.practice.Staff.GetPolicy", NULL, &reply), 0);
		assert_string_equal(json_string_value(json_object_get(reply.parameters, "method")),
				    "io.practice.Staff.GetPolicy");
		varlink_reply_clear(&reply);
	}
	close_client(s);
	join_server(s);
	assert_null(s->failure);
	json_decref(arr);
	json_decref(big);
}

static void test_biggest_reply(void **state)
{
	struct server *s = *state;
	struct varlink_client *c;
	struct varlink_reply reply = { 0 };

	start_server(s, sc_biggest);
	c = connect_ok(s, 5000);
	assert_int_equal(varlink_client_call(c, "io.practice.Staff.AuditQuery", NULL, &reply), 0);
	assert_int_equal(json_string_length(json_object_get(reply.parameters, "b")),
			 VARLINK_CLIENT_REPLY_MAX - strlen("{\"parameters\":{\"b\":\"\"}}") - 1);
	varlink_reply_clear(&reply);
	close_client(s);
	join_server(s);
	assert_null(s->failure);
}

static void test_too_big_reply(void **state)
{
	struct server *s = *state;
	struct varlink_client *c;
	struct varlink_reply reply = { 0 };

	start_server(s, sc_too_big);
	c = connect_ok(s, 5000);
	assert_int_equal(varlink_client_call(c, "io.practice.Staff.AuditQuery", NULL, &reply), -EBADMSG);
	assert_null(reply.parameters);
	assert_int_equal(varlink_client_recv(c, &reply), -EBADMSG);
	close_client(s);
	join_server(s);
	assert_null(s->failure);
}

static void test_endless_reply(void **state)
{
	struct server *s = *state;
	struct varlink_client *c;
	struct varlink_reply reply = { 0 };
	long long start;

	start_server(s, sc_endless);
	c = connect_ok(s, 5000);
	start = now_ms();
	assert_int_equal(varlink_client_call(c, "io.practice.Staff.AuditQuery", NULL, &reply), -EBADMSG);
	/* Refused at the size limit, not at the timeout. */
	assert_true(now_ms() - start < 5000);
	close_client(s);
	join_server(s);
	assert_null(s->failure);
}

static void test_peer(void **state)
{
	struct server *s = *state;
	struct varlink_client *c;
	uid_t uid = (uid_t)-1;
	pid_t pid = -1;

	start_server(s, sc_wait);
	c = connect_ok(s, 2000);
	assert_int_equal(varlink_client_peer(c, &uid, &pid), 0);
	/* The listener was created by this process. */
	assert_int_equal(uid, getuid());
	assert_int_equal(pid, getpid());
	assert_int_equal(varlink_client_peer(c, NULL, &pid), 0);
	assert_int_equal(varlink_client_peer(c, &uid, NULL), 0);
	assert_int_equal(varlink_client_peer(NULL, &uid, &pid), -EINVAL);
	close_client(s);
	join_server(s);
	assert_null(s->failure);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_call_and_reply),
		T(test_split_reply),
		T(test_two_replies_in_one_write),
		T(test_timeout),
		T(test_eintr_reply),
		T(test_eintr_keeps_deadline),
		T(test_connect_missing),
		T(test_connect_refused),
		T(test_connect_bad_args),
		T(test_connect_backlog_full),
		T(test_fd_passing),
		T(test_close_mid_frame),
		T(test_bad_reply_then_good),
		T(test_call_refuses_continues),
		T(test_send_to_closed_peer),
		T(test_send_bad_args),
		T(test_biggest_reply),
		T(test_too_big_reply),
		T(test_endless_reply),
		T(test_peer),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
