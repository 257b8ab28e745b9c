/* The request loop: one thread, epoll, non-blocking sockets. Slow work goes
 * to the worker pool and comes back through its eventfd. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>

#include "staff-protocol.h"
#include "varlink.h"
#include "call.h"
#include "daemon.h"
#include "dispatch.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "workpool.h"

#define MAX_LISTENERS 4
#define MAX_CONNS 1024
/* After this long without a request, the database's pages are given back. */
#define IDLE_RELEASE_MS 1000
/* A streaming call produces more replies once the output backlog drops below this. */
#define OUT_LOW_WATER (256 * 1024)

enum watch_kind { W_LISTENER, W_CONN, W_SIGNAL, W_POOL, W_WATCHDOG };

struct watch {
	enum watch_kind kind;
};

struct listener {
	struct watch w;
	int fd;
	enum endpoint endpoint;
	char *path;
};

struct conn {
	struct watch w;
	struct server *srv;
	int fd;
	enum endpoint endpoint;
	uid_t uid;
	pid_t pid;
	int refs;
	bool closed;
	bool busy;		/* a call is in flight: read no further frame */
	bool processing;	/* inside conn_process: do not re-enter */
	bool close_when_flushed;	/* answer nothing more; close once the output is sent */
	bool peer_shut;		/* the peer sent all it will: answer what is buffered */
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_off, out_cap;
	int passed_fd;
	uint32_t events;	/* registered with epoll */
	struct call *stream;	/* a streaming call waiting for the output to drain */
	struct conn *next, *prev;
	conn_sink_fn sink;	/* no socket: replies go here (conn_new_sink) */
	void *sink_data;
};

struct server {
	struct daemon *daemon;
	int epfd;
	struct watch sig_watch, pool_watch, wd_watch;
	int sigfd, poolfd, wdfd;
	struct listener listeners[MAX_LISTENERS];
	unsigned nlisteners;
	struct conn *conns;
	unsigned nconns;
	bool stopping;
};

static void conn_close(struct conn *c);
static void conn_process(struct conn *c);

int server_new(struct daemon *d, struct server **ret)
{
	struct server *s;
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->daemon = d;
	s->sigfd = -1;
	s->wdfd = -1;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0)
		goto fail;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		goto fail;
	s->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->sigfd < 0)
		goto fail;
	s->sig_watch.kind = W_SIGNAL;
	ev.data.ptr = &s->sig_watch;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->sigfd, &ev) < 0)
		goto fail;
	s->pool_watch.kind = W_POOL;
	s->wd_watch.kind = W_WATCHDOG;
	*ret = s;
	return 0;
fail:
	r = -errno;
	server_free(s);
	return r;
}

int server_watch_pool(struct server *s, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &s->pool_watch };

	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static void listener_close(struct server *s, struct listener *l)
{
	if (l->fd < 0)
		return;
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, l->fd, NULL);
	close(l->fd);
	l->fd = -1;
	if (l->path)
		unlink(l->path);
	free(l->path);
	l->path = NULL;
}

void server_free(struct server *s)
{
	if (!s)
		return;
	while (s->conns)
		conn_close(s->conns);
	for (unsigned i = 0; i < s->nlisteners; i++)
		listener_close(s, &s->listeners[i]);
	if (s->sigfd >= 0)
		close(s->sigfd);
	if (s->wdfd >= 0)
		close(s->wdfd);
	if (s->epfd >= 0)
		close(s->epfd);
	free(s);
}

int server_listen(struct server *s, const char *path, enum endpoint kind)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN };
	struct listener *l;
	int fd, r;

	if (s->nlisteners == MAX_LISTENERS)
		return -ENOSPC;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A socket file left by a daemon that died is stale. */
	if (unlink(path) < 0 && errno != ENOENT)
		goto fail;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	if (chmod(path, 0666) < 0 || listen(fd, SOMAXCONN) < 0) {
		r = -errno;
		unlink(path);
		close(fd);
		return r;
	}
	l = &s->listeners[s->nlisteners];
	l->w.kind = W_LISTENER;
	l->fd = fd;
	l->endpoint = kind;
	l->path = strdup(path);
	ev.data.ptr = l;
	if (!l->path || epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		r = l->path ? -errno : -ENOMEM;
		free(l->path);
		l->path = NULL;
		unlink(path);
		close(fd);
		l->fd = -1;
		return r;
	}
	s->nlisteners++;
	return 0;
fail:
	r = -errno;
	close(fd);
	return r;
}

int server_adopt(struct server *s, int fd, enum endpoint kind)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct listener *l;
	int flags;

	if (s->nlisteners == MAX_LISTENERS)
		return -ENOSPC;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	l = &s->listeners[s->nlisteners];
	l->w.kind = W_LISTENER;
	l->fd = fd;
	l->endpoint = kind;
	l->path = NULL;	/* systemd owns the socket file */
	ev.data.ptr = l;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		l->fd = -1;
		return -errno;
	}
	s->nlisteners++;
	return 0;
}

static void conn_update_events(struct conn *c)
{
	struct epoll_event ev = { 0 };
	uint32_t want = 0;

	if (c->sink)
		return;	/* nothing to watch */
	if (!c->busy && !c->close_when_flushed && !c->peer_shut)
		want |= EPOLLIN | EPOLLRDHUP;
	if (c->out_len > c->out_off)
		want |= EPOLLOUT;
	if (want == c->events)
		return;
	ev.events = want;
	ev.data.ptr = c;
	if (epoll_ctl(c->srv->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->events = want;
}

/* After any progress: close once all is said, else watch for what comes next. */
static void conn_settle(struct conn *c)
{
	if (c->closed)
		return;
	if (!c->busy && c->peer_shut)
		c->close_when_flushed = true;
	if (c->close_when_flushed && !c->busy && c->out_len == c->out_off)
		conn_close(c);
	else
		conn_update_events(c);
}

static void listener_accept(struct server *s, struct listener *l)
{
	for (;;) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
		struct ucred cred;
		socklen_t len = sizeof(cred);
		struct conn *c;
		int fd;

		fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warning("accept: %s", strerror(errno));
			return;
		}
		if (s->stopping || s->nconns >= MAX_CONNS ||
		    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->w.kind = W_CONN;
		c->srv = s;
		c->fd = fd;
		c->endpoint = l->endpoint;
		c->uid = cred.uid;
		c->pid = cred.pid;
		c->refs = 1;
		c->passed_fd = -1;
		c->events = ev.events;
		ev.data.ptr = c;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		s->nconns++;
	}
}

void conn_ref(struct conn *c)
{
	c->refs++;
}

void conn_unref(struct conn *c)
{
	if (--c->refs > 0)
		return;
	free(c->in);
	free(c->out);
	free(c);
}

uid_t conn_uid(const struct conn *c)
{
	return c->uid;
}

pid_t conn_pid(const struct conn *c)
{
	return c->pid;
}

/* Closes the socket; the struct lives on while calls still hold it. */
static void conn_close(struct conn *c)
{
	struct server *s = c->srv;
	struct call *stream = c->stream;

	if (c->closed)
		return;
	c->closed = true;
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->passed_fd >= 0)
		close(c->passed_fd);
	c->passed_fd = -1;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	if (stream) {
		c->stream = NULL;
		call_finish(stream, -ECONNRESET);
	}
	conn_unref(c);
}

static int conn_flush(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return -errno;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	return 0;
}

static int conn_append(struct conn *c, const char *buf, size_t len)
{
	/* Compact only when the sent part is most of the buffer: a stream of
	 * replies would otherwise move the whole backlog for each one. */
	if (c->out_off > 0 && c->out_off >= c->out_len / 2) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *p;

		while (cap < c->out_len + len)
			cap *= 2;
		p = realloc(c->out, cap);
		if (!p)
			return -ENOMEM;
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, buf, len);
	c->out_len += len;
	return 0;
}

/* Appends, then writes out whatever the socket takes once at least
 * flush_at bytes wait. */
static int conn_write(struct conn *c, const char *buf, size_t len, size_t flush_at)
{
	int r;

	if (c->closed)
		return -ECONNRESET;
	if (c->sink)
		return c->sink(buf, len, c->sink_data);
	r = conn_append(c, buf, len);
	if (r < 0)
		return r;
	if (c->out_len - c->out_off >= flush_at && conn_flush(c) < 0) {
		conn_close(c);
		return -ECONNRESET;
	}
	conn_update_events(c);
	return 0;
}

int conn_send(struct conn *c, const char *buf, size_t len)
{
	return conn_write(c, buf, len, 0);
}

int conn_queue(struct conn *c, const char *buf, size_t len)
{
	/* Written in large pieces: one send() per 64 KiB rather than per reply. */
	return conn_write(c, buf, len, 64 * 1024);
}

bool conn_backlogged(const struct conn *c)
{
	return !c->closed && c->out_len - c->out_off >= OUT_LOW_WATER;
}

void conn_set_stream(struct conn *c, struct call *call)
{
	c->stream = call;
	conn_update_events(c);
}

void conn_call_done(struct conn *c)
{
	c->busy = false;
	if (c->closed || c->processing)
		return;	/* conn_process's loop picks up the next frame */
	if (c->sink)
		return;	/* no frames but those conn_sink_call passes */
	conn_process(c);
}

int conn_new_sink(enum endpoint endpoint, uid_t uid, pid_t pid, conn_sink_fn sink, void *userdata, struct conn **ret)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->w.kind = W_CONN;
	c->fd = -1;
	c->endpoint = endpoint;
	c->uid = uid;
	c->pid = pid;
	c->refs = 1;
	c->passed_fd = -1;
	c->sink = sink;
	c->sink_data = userdata;
	*ret = c;
	return 0;
}

void conn_sink_call(struct daemon *d, struct conn *c, struct varlink_call *vc, int passed_fd)
{
	c->busy = true;
	dispatch_call(d, c, c->endpoint, vc, passed_fd);
}

bool conn_sink_run(struct conn *c)
{
	/* The sink takes everything at once: a streaming call never waits for a drain. */
	if (c->stream) {
		struct call *stream = c->stream;

		c->stream = NULL;
		call_resume(stream);
	}
	return c->busy;
}

static void conn_refuse_frame(struct conn *c, const char *error, json_t *params)
{
	size_t len;
	char *msg = varlink_reply_encode(error, params, false, &len);

	json_decref(params);
	if (msg) {
		conn_send(c, msg, len);
		free(msg);
	}
	c->close_when_flushed = true;
}

static void conn_process(struct conn *c)
{
	conn_ref(c);
	c->processing = true;
	while (!c->busy && !c->closed && !c->close_when_flushed) {
		struct varlink_call vc;
		const char *bad = NULL;
		size_t flen;
		int r, fd;

		r = varlink_frame_next(c->in, c->in_len, STAFF_FRAME_MAX, &flen);
		if (r == 0)
			break;
		if (r < 0) {
			conn_refuse_frame(c, STAFF_ERROR("FrameTooLarge"), json_pack("{s:i}", "max", STAFF_FRAME_MAX));
			break;
		}
		r = varlink_call_decode(c->in, flen - 1, &vc, &bad);
		memmove(c->in, c->in + flen, c->in_len - flen);
		c->in_len -= flen;
		/* The frame may have carried a PIN or code word. */
		explicit_bzero(c->in + c->in_len, flen);
		if (r < 0) {
			conn_refuse_frame(c, STAFF_ERROR("ProtocolViolation"),
					  json_pack("{s:s}", "message", bad ? bad : "malformed message"));
			break;
		}
		fd = c->passed_fd;
		c->passed_fd = -1;
		c->busy = true;
		dispatch_call(c->srv->daemon, c, c->endpoint, &vc, fd);
	}
	c->processing = false;
	conn_settle(c);
	conn_unref(c);
}

static void conn_read(struct conn *c)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 4)];
	size_t cap = STAFF_FRAME_MAX + 1;

	if (!c->in) {
		c->in = malloc(cap);
		if (!c->in) {
			conn_close(c);
			return;
		}
	}
	while (c->in_len < cap) {
		struct iovec iov = { .iov_base = c->in + c->in_len, .iov_len = cap - c->in_len };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		ssize_t n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN) {
				conn_close(c);
				return;
			}
			break;
		}
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
				continue;
			size_t nfds = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			int *fds = (int *)(void *)CMSG_DATA(cm);
			for (size_t i = 0; i < nfds; i++) {
				/* One descriptor per call is all any method takes. */
				if (c->passed_fd < 0)
					c->passed_fd = fds[i];
				else
					close(fds[i]);
			}
		}
		if (n == 0) {
			c->peer_shut = true;
			break;
		}
		c->in_len += (size_t)n;
	}
	conn_process(c);
}

static void conn_event(struct conn *c, uint32_t events)
{
	conn_ref(c);
	if (events & (EPOLLERR | EPOLLHUP)) {
		conn_close(c);
	} else {
		if ((events & EPOLLOUT) && conn_flush(c) < 0)
			conn_close(c);
		if (!c->closed && c->stream && c->out_len - c->out_off < OUT_LOW_WATER) {
			struct call *stream = c->stream;
			c->stream = NULL;
			call_resume(stream);
		}
		if (!c->closed && (events & (EPOLLIN | EPOLLRDHUP)) && !c->busy)
			conn_read(c);
		else
			conn_settle(c);
	}
	conn_unref(c);
}

static bool server_idle(struct server *s)
{
	for (struct conn *c = s->conns; c; c = c->next)
		if (c->busy)
			return false;
	return !s->daemon->pool || workpool_pending(s->daemon->pool) == 0;
}

static void server_signal(struct server *s)
{
	struct signalfd_siginfo si;

	while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			daemon_reload(s->daemon);
			continue;
		}
		if (!s->stopping)
			log_info("stopping on signal %u", si.ssi_signo);
		s->stopping = true;
		for (unsigned i = 0; i < s->nlisteners; i++)
			listener_close(s, &s->listeners[i]);
	}
}

/*
 * With WatchdogSec= systemd sets WATCHDOG_USEC; a timer in this loop pings at
 * half of it, so a loop that stops turning stops the pings and gets restarted.
 */
static int server_watchdog_start(struct server *s)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &s->wd_watch };
	struct itimerspec its = { 0 };
	uint64_t usec = 0, half;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return 0;
	half = usec / 2 ? usec / 2 : 1;
	its.it_value.tv_sec = its.it_interval.tv_sec = (time_t)(half / 1000000);
	its.it_value.tv_nsec = its.it_interval.tv_nsec = (long)(half % 1000000 * 1000);
	s->wdfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->wdfd < 0 || timerfd_settime(s->wdfd, 0, &its, NULL) < 0 ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->wdfd, &ev) < 0) {
		int r = -errno;

		log_error("watchdog timer: %s", strerror(-r));
		return r;
	}
	sd_notify(0, "WATCHDOG=1");
	return 0;
}

static void server_watchdog_ping(struct server *s)
{
	uint64_t expirations;

	if (read(s->wdfd, &expirations, sizeof(expirations)) == (ssize_t)sizeof(expirations))
		sd_notify(0, "WATCHDOG=1");
}

int server_run(struct server *s)
{
	struct epoll_event events[64];
	bool worked = false;	/* since the store's pages were last given back */
	int r = server_watchdog_start(s);

	if (r < 0)
		return r;
	while (!s->stopping || !server_idle(s)) {
		int n = epoll_wait(s->epfd, events, 64, s->stopping ? 100 : worked ? IDLE_RELEASE_MS : -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0 && worked && server_idle(s)) {
			/* Idle: the database pages read so far need not stay resident. */
			store_release_pages(s->daemon->store);
			worked = false;
		}
		for (int i = 0; i < n; i++) {
			struct watch *w = events[i].data.ptr;

			if (w->kind != W_WATCHDOG)
				worked = true;

			switch (w->kind) {
			case W_LISTENER:
				listener_accept(s, (struct listener *)w);
				break;
			case W_CONN:
				conn_event((struct conn *)w, events[i].events);
				break;
			case W_SIGNAL:
				server_signal(s);
				break;
			case W_POOL:
				workpool_reap(s->daemon->pool);
				break;
			case W_WATCHDOG:
				server_watchdog_ping(s);
				break;
			}
		}
	}
	return 0;
}
