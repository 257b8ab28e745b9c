/*
 * Varlink client connection with timeouts. Runs inside PAM hosts: no
 * globals, no signal handling, no output; every failure is a return code.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "staff-protocol.h"

#define RECV_INITIAL 4096

struct varlink_client {
	int fd;
	int timeout_ms;
	int broken;		/* sticky error once the stream can no longer be trusted */
	char *buf;		/* received bytes not yet handed out as replies */
	size_t len;
	size_t cap;
	size_t scanned;		/* leading bytes of buf known to hold no NUL */
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* -1 means no deadline. */
static long long deadline_after(int timeout_ms)
{
	return timeout_ms > 0 ? now_ns() + (long long)timeout_ms * 1000000LL : -1;
}

/* Milliseconds left, rounded up so a poll never wakes just before the deadline; -1 = forever. */
static int ms_left(long long deadline)
{
	long long left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ns();
	if (left <= 0)
		return 0;
	left = (left + 999999LL) / 1000000LL;
	return left > INT_MAX ? INT_MAX : (int)left;
}

static int wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int t = ms_left(deadline), n;

		if (t == 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, t);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			continue;	/* ms_left() decides whether time is up */
		if (p.revents & POLLNVAL)
			return -EBADF;
		/* POLLERR and POLLHUP are reported by the send or recv that follows. */
		return 0;
	}
}

int varlink_client_connect(const char *path, int timeout_ms, struct varlink_client **ret)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct varlink_client *c = NULL;
	long long deadline;
	size_t plen;
	int fd = -1, r;

	if (!path || !ret || timeout_ms < 0)
		return -EINVAL;
	plen = strlen(path);
	if (plen == 0)
		return -EINVAL;
	if (plen >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, plen);

	deadline = deadline_after(timeout_ms);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	/*
	 * AF_UNIX never answers a non-blocking connect with EINPROGRESS: a full
	 * listen backlog fails at once with EAGAIN and leaves nothing to poll
	 * for. A blocking connect sleeps until there is room, and SO_SNDTIMEO
	 * bounds that sleep.
	 */
	for (;;) {
		struct timeval tv = { 0 };
		int left = ms_left(deadline);

		if (left == 0) {
			r = -ETIMEDOUT;
			goto out;
		}
		if (left > 0) {
			tv.tv_sec = left / 1000;
			tv.tv_usec = (left % 1000) * 1000;
		}
		if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
			r = -errno;
			goto out;
		}
		if (connect(fd, (const struct sockaddr *)&sa,
			    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 1)) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EISCONN)
			break;	/* an interrupted attempt completed after all */
		r = errno == EAGAIN || errno == EINPROGRESS ? -ETIMEDOUT : -errno;
		goto out;
	}

	c = calloc(1, sizeof(*c));
	if (c)
		c->buf = malloc(RECV_INITIAL);
	if (!c || !c->buf) {
		free(c);
		r = -ENOMEM;
		goto out;
	}
	c->cap = RECV_INITIAL;
	c->fd = fd;
	c->timeout_ms = timeout_ms;
	*ret = c;
	fd = -1;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	return r;
}

void varlink_client_free(struct varlink_client *c)
{
	if (!c)
		return;
	close(c->fd);
	explicit_bzero(c->buf, c->cap);
	free(c->buf);
	free(c);
}

int varlink_client_peer(struct varlink_client *c, uid_t *uid, pid_t *pid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (!c)
		return -EINVAL;
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	if (len != sizeof(cred))
		return -EIO;
	if (uid)
		*uid = cred.uid;
	if (pid)
		*pid = cred.pid;
	return 0;
}

/* The descriptor rides on the first byte of the message. */
static ssize_t send_with_fd(int sock, const char *buf, size_t len, int fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cm;

	memset(&control, 0, sizeof(control));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	return sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
}

int varlink_client_send(struct varlink_client *c, const char *method, json_t *parameters, bool more, int fd)
{
	long long deadline;
	size_t len = 0, off = 0;
	char *msg;
	int r;

	if (!c || !method)
		return -EINVAL;
	if (c->broken)
		return c->broken;
	if (!varlink_name_valid(method, strlen(method)) || (parameters && !json_is_object(parameters)))
		return -EINVAL;
	msg = varlink_call_encode(method, parameters, more, false, &len);
	if (!msg)
		return -ENOMEM;
	/* The server would drop the connection; say why instead. */
	if (len > STAFF_FRAME_MAX) {
		r = -EMSGSIZE;
		goto out;
	}

	deadline = deadline_after(c->timeout_ms);
	while (off < len) {
		ssize_t n;

		r = wait_fd(c->fd, POLLOUT, deadline);
		if (r < 0)
			goto out;
		if (off == 0 && fd >= 0)
			n = send_with_fd(c->fd, msg, len, fd);
		else
			n = send(c->fd, msg + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			r = -errno;
			goto out;
		}
		off += (size_t)n;
	}
	r = 0;
out:
	/* Half a frame on the wire: nothing later on this stream can be framed. */
	if (r < 0 && off > 0)
		c->broken = r;
	explicit_bzero(msg, len);
	free(msg);
	return r;
}

/* Grows without realloc() so no unwiped copy of a reply is left behind. */
static int grow(struct varlink_client *c)
{
	size_t cap = c->cap * 2;
	char *buf;

	if (cap > VARLINK_CLIENT_REPLY_MAX)
		cap = VARLINK_CLIENT_REPLY_MAX;
	if (cap <= c->cap)
		return -EBADMSG;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, c->buf, c->len);
	explicit_bzero(c->buf, c->cap);
	free(c->buf);
	c->buf = buf;
	c->cap = cap;
	return 0;
}

/* Drops the first n bytes, keeping what follows for the next reply. */
static void consume(struct varlink_client *c, size_t n)
{
	size_t rest = c->len - n;

	memmove(c->buf, c->buf + n, rest);
	explicit_bzero(c->buf + rest, n);
	c->len = rest;
	c->scanned = 0;
}

int varlink_client_recv(struct varlink_client *c, struct varlink_reply *reply)
{
	struct varlink_reply tmp;
	long long deadline;
	size_t frame_len = 0;
	int r;

	if (!c || !reply)
		return -EINVAL;
	if (c->broken)
		return c->broken;

	deadline = deadline_after(c->timeout_ms);
	for (;;) {
		ssize_t n;

		r = varlink_frame_next(c->buf + c->scanned, c->len - c->scanned,
				       VARLINK_CLIENT_REPLY_MAX - c->scanned, &frame_len);
		if (r > 0) {
			frame_len += c->scanned;
			break;
		}
		if (r < 0) {
			c->broken = -EBADMSG;
			return -EBADMSG;
		}
		c->scanned = c->len;
		if (c->len == c->cap) {
			r = grow(c);
			if (r < 0) {
				c->broken = r;
				return r;
			}
		}
		r = wait_fd(c->fd, POLLIN, deadline);
		if (r < 0)
			return r;
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			c->broken = -errno;
			return c->broken;
		}
		if (n == 0) {
			c->broken = -ECONNRESET;
			return -ECONNRESET;
		}
		c->len += (size_t)n;
	}

	r = varlink_reply_decode(c->buf, frame_len - 1, &tmp, NULL);
	consume(c, frame_len);
	if (r < 0)
		return r;
	*reply = tmp;
	return 0;
}

int varlink_client_call(struct varlink_client *c, const char *method, json_t *parameters, struct varlink_reply *reply)
{
	struct varlink_reply tmp;
	int r;

	if (!c || !reply)
		return -EINVAL;
	r = varlink_client_send(c, method, parameters, false, -1);
	if (r < 0)
		return r;
	r = varlink_client_recv(c, &tmp);
	if (r < 0)
		return r;
	/* More replies to a call that did not ask for them: the stream is out of step. */
	if (tmp.continues) {
		varlink_reply_clear(&tmp);
		c->broken = -EBADMSG;
		return -EBADMSG;
	}
	*reply = tmp;
	return 0;
}
