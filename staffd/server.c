/* The request loop: one thread, epoll, non-blocking sockets. Slow work goes
 * to the worker pool and comes back through its eventfd.
 *
 * No single peer may take the loop from the others: connections are
 * counted per uid (peers.c), a connection must complete a request within
 * REQUEST_TIMEOUT_MS of opening or of its previous answer, a peer that does
 * not read its answers is not read from either, and running out of
 * descriptors pauses the listeners instead of spinning on accept(). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>
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
#include "peers.h"
#include "server.h"
#include "sockfile.h"
#include "store.h"
#include "workpool.h"

#define MAX_LISTENERS 4
/* After this long without a request, the database's pages are given back. */
#define IDLE_RELEASE_MS 1000
/* A streaming call produces more replies once the output backlog drops below this. */
#define STREAM_LOW_WATER (256 * 1024)
/* No further frame is read while this much output waits for the peer to read it ... */
#define OUT_HIGH_WATER (64 * 1024)
/* ... until it has read all but this much. */
#define OUT_LOW_WATER (16 * 1024)
/*
 * A connection closes when it has not completed a request within this long
 * of opening, of the answer to its previous one, or of the last output the
 * peer took. Clients connect and send at once: pam_practice makes one call
 * per connection, staffctl asks its questions before it connects.
 */
#define REQUEST_TIMEOUT_MS 5000
/* Out of descriptors: the listeners rest this long before accepting again. */
#define ACCEPT_PAUSE_MS 250
/* Connections accepted per turn of the loop, so that a connect flood cannot starve the rest. */
#define ACCEPT_BATCH 64
/* Refused connections are logged at most once per this long, with counts. */
#define REFUSAL_LOG_MS 10000
/* The first read of a connection; the buffer grows up to a whole frame. */
#define IN_FIRST (4 * 1024)
#define IN_MAX (STAFF_FRAME_MAX + 1)

enum watch_kind { W_LISTENER, W_CONN, W_SIGNAL, W_POOL, W_WATCHDOG };

struct watch {
	enum watch_kind kind;
};

struct listener {
	struct watch w;
	int fd;
	enum endpoint endpoint;
	char *path;
	dev_t dev;		/* the socket file bound at path: removed at exit only if still there */
	ino_t ino;
};

/* Lists a connection can be on, each at most once, through its links. */
enum {
	LINK_TIMED,	/* server.timed: waiting on the peer, oldest deadline first */
	LINK_PARKED,	/* server.share_wait or server.ready: see conn_worker_call_begin */
	LINKS,
};

struct conn_list {
	struct conn *head, *tail;
};

struct link {
	struct conn *next, *prev;
	struct conn_list *on;	/* NULL when on none */
};

struct conn {
	struct watch w;
	struct server *srv;
	int fd;
	enum endpoint endpoint;
	uid_t uid;
	pid_t pid;
	bool trusted;		/* root or the daemon's own uid (peers.h) */
	int refs;
	bool closed;
	bool busy;		/* a call is in flight: read no further frame */
	bool processing;	/* inside conn_process: do not re-enter */
	bool close_when_flushed;	/* answer nothing more; close once the output is sent */
	bool peer_shut;		/* the peer sent all it will: answer what is buffered */
	bool throttled;		/* output over OUT_HIGH_WATER: read no further frame */
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off, out_cap;
	int passed_fd;
	uint32_t events;	/* registered with epoll */
	struct call *stream;	/* a streaming call waiting for the output to drain */
	struct conn *next, *prev;
	/* Waiting on the peer (for a request, or for it to read): on the
	 * server's timed list, which is in deadline order since every
	 * deadline is "now + REQUEST_TIMEOUT_MS". */
	uint64_t deadline;
	struct link links[LINKS];
	conn_sink_fn sink;	/* no socket: replies go here (conn_new_sink) */
	void *sink_data;
};

enum refusal { REFUSED_SHARE, REFUSED_FULL, REFUSED_NOFD, REFUSALS };

struct server {
	struct daemon *daemon;
	int epfd;
	struct watch sig_watch, pool_watch, wd_watch;
	int sigfd, poolfd, wdfd;
	struct listener listeners[MAX_LISTENERS];
	unsigned nlisteners;
	struct conn *conns;
	struct peers *peers;
	struct conn_list timed;
	struct conn_list share_wait;	/* refused Busy over their uid's share: not read until a call of that uid ends */
	struct conn_list ready;		/* their uid's call ended: to be read again at the end of this turn */
	uint64_t accept_resume;	/* listeners paused until then; 0 = not paused */
	unsigned long refused[REFUSALS];	/* since the last log line */
	unsigned long evicted;	/* idle connections closed to make room, since then */
	uid_t refused_uid;	/* the last uid refused for its share */
	uint64_t refusal_logged[REFUSALS];
	bool stopping;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void conn_close(struct conn *c);
static void conn_process(struct conn *c);

int server_new(struct daemon *d, struct server **ret)
{
	struct server *s;
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;
	int r;

	struct peers_limits limits;
	struct rlimit rl;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->daemon = d;
	s->sigfd = -1;
	s->wdfd = -1;
	/* The connections fit the descriptors this process may have (main raised the soft limit). */
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		rl.rlim_cur = 1024;
	peers_limits_for((unsigned long)rl.rlim_cur, &limits);
	r = peers_new(&limits, &s->peers);
	if (r < 0) {
		free(s);
		return r;
	}
	log_info("at most %u connections, %u per uid other than root and the daemon's (%lu descriptors)",
		 limits.conns, limits.conns_per_uid, (unsigned long)rl.rlim_cur);
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
		sockfile_remove(l->path, l->dev, l->ino);
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
	peers_free(s->peers);
	free(s);
}

int server_listen(struct server *s, const char *path, enum endpoint kind)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN };
	struct listener *l;
	dev_t dev;
	ino_t ino;
	int fd, r;

	if (s->nlisteners == MAX_LISTENERS)
		return -ENOSPC;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = sockfile_bind(fd, &sa, &dev, &ino);
	if (r < 0) {
		close(fd);
		return r;
	}
	if (chmod(path, 0666) < 0 || listen(fd, SOMAXCONN) < 0) {
		r = -errno;
		sockfile_remove(path, dev, ino);
		close(fd);
		return r;
	}
	l = &s->listeners[s->nlisteners];
	l->w.kind = W_LISTENER;
	l->fd = fd;
	l->endpoint = kind;
	l->path = strdup(path);
	l->dev = dev;
	l->ino = ino;
	ev.data.ptr = l;
	if (!l->path || epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		r = l->path ? -errno : -ENOMEM;
		free(l->path);
		l->path = NULL;
		sockfile_remove(path, dev, ino);
		close(fd);
		l->fd = -1;
		return r;
	}
	s->nlisteners++;
	return 0;
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

/* ---- lists and deadlines ---- */

static bool list_has(const struct conn *c, int k)
{
	return c->links[k].on != NULL;
}

static void list_del(struct conn *c, int k)
{
	struct link *ln = &c->links[k];
	struct conn_list *l = ln->on;

	if (!l)
		return;
	if (ln->prev)
		ln->prev->links[k].next = ln->next;
	else
		l->head = ln->next;
	if (ln->next)
		ln->next->links[k].prev = ln->prev;
	else
		l->tail = ln->prev;
	*ln = (struct link){ 0 };
}

static void list_add(struct conn_list *l, struct conn *c, int k)
{
	struct link *ln = &c->links[k];

	list_del(c, k);
	ln->prev = l->tail;
	if (l->tail)
		l->tail->links[k].next = c;
	else
		l->head = c;
	l->tail = c;
	ln->on = l;
}

/* The connection waits on its peer from now: it has REQUEST_TIMEOUT_MS. */
static void conn_time(struct conn *c)
{
	if (c->closed || c->sink)
		return;	/* a sink has no peer to wait on */
	c->deadline = now_ms() + REQUEST_TIMEOUT_MS;
	list_add(&c->srv->timed, c, LINK_TIMED);
}

static void conn_untime(struct conn *c)
{
	list_del(c, LINK_TIMED);
}

/* ---- refusals, each kind logged once per REFUSAL_LOG_MS with a count ---- */

static void refusals_log(struct server *s, enum refusal why, uint64_t now)
{
	const struct peers_limits *l = peers_limits(s->peers);
	unsigned long n = s->refused[why];

	if (n == 0)
		return;
	switch (why) {
	case REFUSED_SHARE:
		log_warning("refused %lu connection%s over a uid's share of %u (the last from uid %u)", n,
			    n == 1 ? "" : "s", l->conns_per_uid, (unsigned)s->refused_uid);
		break;
	case REFUSED_FULL:
		log_warning("refused %lu connection%s: all %u connections in use", n, n == 1 ? "" : "s", l->conns);
		break;
	case REFUSED_NOFD:
		log_warning("out of file descriptors %lu time%s: closed %lu idle connection%s of the uid holding the "
			    "most, else stopped accepting for %d ms",
			    n, n == 1 ? "" : "s", s->evicted, s->evicted == 1 ? "" : "s", ACCEPT_PAUSE_MS);
		s->evicted = 0;
		break;
	case REFUSALS:
		break;
	}
	s->refused[why] = 0;
	s->refusal_logged[why] = now;
}

static void refusal(struct server *s, enum refusal why, uid_t uid)
{
	uint64_t now = now_ms();

	s->refused[why]++;
	if (why == REFUSED_SHARE)
		s->refused_uid = uid;
	/* The first at once, then a line per interval at most, from here or the loop. */
	if (s->refusal_logged[why] == 0 || now - s->refusal_logged[why] >= REFUSAL_LOG_MS)
		refusals_log(s, why, now);
}

/* The loop's turn: counts whose interval is over, or all of them (at exit). */
static void refusals_flush(struct server *s, uint64_t now, bool all)
{
	for (int why = 0; why < REFUSALS; why++)
		if (all || now - s->refusal_logged[why] >= REFUSAL_LOG_MS)
			refusals_log(s, (enum refusal)why, now);
}

/* ---- connections ---- */

static void conn_update_events(struct conn *c)
{
	struct epoll_event ev = { 0 };
	uint32_t want = 0;

	if (c->sink)
		return;	/* nothing to watch */
	if (!c->busy && !c->close_when_flushed && !c->peer_shut && !c->throttled && !list_has(c, LINK_PARKED))
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

/* Hysteresis between the two marks, so that a peer reading slowly is not read from a frame at a time. */
static void conn_check_backlog(struct conn *c)
{
	size_t unsent = c->out_len - c->out_off;

	if (unsent >= OUT_HIGH_WATER)
		c->throttled = true;
	else if (unsent <= OUT_LOW_WATER)
		c->throttled = false;
}

/* After any progress: close once all is said, else watch for what comes next. */
static void conn_settle(struct conn *c)
{
	if (c->closed)
		return;
	/* Frames still buffered behind a backlog are answered once it drains. */
	if (!c->busy && c->peer_shut && !c->throttled)
		c->close_when_flushed = true;
	if (c->close_when_flushed && !c->busy && c->out_len == c->out_off)
		conn_close(c);
	else
		conn_update_events(c);
}

static void listeners_pause(struct server *s)
{
	struct epoll_event ev = { .events = 0 };

	for (unsigned i = 0; i < s->nlisteners; i++) {
		if (s->listeners[i].fd < 0)
			continue;
		ev.data.ptr = &s->listeners[i];
		epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->listeners[i].fd, &ev);
	}
	s->accept_resume = now_ms() + ACCEPT_PAUSE_MS;
}

static void listeners_resume(struct server *s)
{
	struct epoll_event ev = { .events = EPOLLIN };

	for (unsigned i = 0; i < s->nlisteners; i++) {
		if (s->listeners[i].fd < 0)
			continue;
		ev.data.ptr = &s->listeners[i];
		epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->listeners[i].fd, &ev);
	}
	s->accept_resume = 0;
}

/*
 * Out of descriptors: the longest-waiting idle connection of the uid that
 * holds the most goes, so that whoever waits in the backlog (root's sshd
 * among them) gets in when the listeners resume.
 */
static bool server_evict(struct server *s)
{
	uid_t uid;

	if (peers_largest(s->peers, &uid) < 0)
		return false;
	for (struct conn *c = s->timed.head; c; c = c->links[LINK_TIMED].next) {
		if (c->uid == uid && !c->busy && c->out_len == c->out_off) {
			conn_close(c);
			s->evicted++;
			return true;
		}
	}
	return false;
}

static void listener_accept(struct server *s, struct listener *l)
{
	uid_t self = geteuid();
	bool evicted = false;	/* and nothing accepted since */

	for (unsigned n = 0; n < ACCEPT_BATCH; n++) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
		struct ucred cred;
		socklen_t len = sizeof(cred);
		struct conn *c;
		bool trusted;
		int fd, r;

		fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			int e = errno;

			if (e == EAGAIN || e == EINTR)
				return;
			if (e == ECONNABORTED)
				continue;
			/* EMFILE, ENFILE, ENOBUFS, ENOMEM: the connection stays in the
			 * backlog and the level-triggered listener would wake the loop
			 * again at once. Make room and try again; when that did not
			 * help, rest. */
			if (!evicted && (e == EMFILE || e == ENFILE) && server_evict(s)) {
				refusal(s, REFUSED_NOFD, 0);
				evicted = true;
				continue;
			}
			listeners_pause(s);
			refusal(s, REFUSED_NOFD, 0);
			return;
		}
		evicted = false;
		if (s->stopping || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
			close(fd);
			continue;
		}
		trusted = peers_trusted(cred.uid, self);
		r = peers_conn_open(s->peers, cred.uid, trusted);
		if (r < 0) {
			/* Nothing to tell a peer that has not asked anything yet: it sees the connection end. */
			close(fd);
			refusal(s, r == -EUSERS ? REFUSED_SHARE : REFUSED_FULL, cred.uid);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			peers_conn_close(s->peers, cred.uid);
			close(fd);
			continue;
		}
		c->w.kind = W_CONN;
		c->srv = s;
		c->fd = fd;
		c->endpoint = l->endpoint;
		c->uid = cred.uid;
		c->pid = cred.pid;
		c->trusted = trusted;
		c->refs = 1;
		c->passed_fd = -1;
		c->events = ev.events;
		ev.data.ptr = c;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			peers_conn_close(s->peers, cred.uid);
			close(fd);
			free(c);
			continue;
		}
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		conn_time(c);
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
	/* A partial frame may hold a secret. */
	if (c->in)
		explicit_bzero(c->in, c->in_len);
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

/*
 * Over its uid's share, a call is refused with Busy, and its connection is
 * not read again until a call of that uid ends: a peer looping on Busy
 * would otherwise take the loop (and a core) for nothing.
 */
int conn_worker_call_begin(struct conn *c)
{
	int r;

	if (c->sink)
		return 0;	/* one call at a time, from a harness: no share to keep */
	r = peers_call_begin(c->srv->peers, c->uid, c->trusted);

	if (r == -EBUSY)
		list_add(&c->srv->share_wait, c, LINK_PARKED);
	return r;
}

void conn_worker_call_end(struct conn *c)
{
	struct server *s = c->srv;

	if (c->sink)
		return;
	peers_call_end(s->peers, c->uid);
	/* The longest-waiting connection of that uid goes on; from the loop,
	 * not from inside this call's completion. */
	for (struct conn *w = s->share_wait.head; w; w = w->links[LINK_PARKED].next) {
		if (w->uid == c->uid) {
			list_add(&s->ready, w, LINK_PARKED);
			return;
		}
	}
}

/* Connections whose uid got a share back: their buffered frames, then reading again. */
static void server_run_ready(struct server *s)
{
	struct conn *c;

	while ((c = s->ready.head)) {
		list_del(c, LINK_PARKED);
		conn_ref(c);
		if (!c->closed && !c->busy)
			conn_process(c);
		conn_unref(c);
	}
}

/* Closes the socket; the struct lives on while calls still hold it. */
static void conn_close(struct conn *c)
{
	struct server *s = c->srv;
	struct call *stream = c->stream;

	if (c->closed)
		return;
	conn_untime(c);
	list_del(c, LINK_PARKED);
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
	peers_conn_close(s->peers, c->uid);
	if (stream) {
		c->stream = NULL;
		call_finish(stream, -ECONNRESET);
	}
	conn_unref(c);
}

static int conn_flush(struct conn *c)
{
	bool moved = false;

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
		moved = true;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	/* The peer is reading: it gets its time again. */
	if (moved && list_has(c, LINK_TIMED))
		conn_time(c);
	conn_check_backlog(c);
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
	conn_check_backlog(c);
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
	return !c->closed && c->out_len - c->out_off >= STREAM_LOW_WATER;
}

void conn_set_stream(struct conn *c, struct call *call)
{
	c->stream = call;
	/* Waiting for the peer to read: timed like a wait for a request. */
	conn_time(c);
	conn_update_events(c);
}

void conn_call_done(struct conn *c)
{
	c->busy = false;
	if (c->closed)
		return;
	/* Answered: the peer has REQUEST_TIMEOUT_MS for its next request. */
	conn_time(c);
	if (c->processing)
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
	while (!c->busy && !c->closed && !c->close_when_flushed && !c->throttled && !list_has(c, LINK_PARKED)) {
		struct varlink_call vc;
		const char *bad = NULL;
		size_t flen;
		int r, fd;

		if (c->in_len == 0)
			break;
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
		/* In the daemon's hands now: no deadline until it answers. */
		conn_untime(c);
		dispatch_call(c->srv->daemon, c, c->endpoint, &vc, fd);
	}
	/* An idle connection holds no input buffer. */
	if (c->in && c->in_len == 0) {
		free(c->in);
		c->in = NULL;
		c->in_cap = 0;
	}
	c->processing = false;
	conn_settle(c);
	conn_unref(c);
}

/* Room for more input: the buffer starts small and doubles up to a whole frame. Old bytes are wiped. */
static int conn_grow_in(struct conn *c)
{
	size_t cap = c->in_cap ? c->in_cap * 2 : IN_FIRST;
	char *p;

	if (cap > IN_MAX)
		cap = IN_MAX;
	p = malloc(cap);
	if (!p)
		return -ENOMEM;
	if (c->in) {
		memcpy(p, c->in, c->in_len);
		explicit_bzero(c->in, c->in_len);
		free(c->in);
	}
	c->in = p;
	c->in_cap = cap;
	return 0;
}

static void conn_read(struct conn *c)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 4)];

	for (;;) {
		struct iovec iov;
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		ssize_t n;

		if (c->in_len == c->in_cap) {
			/* A whole frame's worth without its end is refused by conn_process. */
			if (c->in_cap == IN_MAX)
				break;
			if (conn_grow_in(c) < 0) {
				conn_close(c);
				return;
			}
		}
		iov = (struct iovec){ .iov_base = c->in + c->in_len, .iov_len = c->in_cap - c->in_len };
		n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
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
		bool throttled = c->throttled;

		if ((events & EPOLLOUT) && conn_flush(c) < 0)
			conn_close(c);
		if (!c->closed && c->stream && c->out_len - c->out_off < STREAM_LOW_WATER) {
			struct call *stream = c->stream;
			c->stream = NULL;
			call_resume(stream);
		}
		if (!c->closed && (events & (EPOLLIN | EPOLLRDHUP)) && !c->busy && !c->throttled)
			conn_read(c);
		else if (!c->closed && throttled && !c->throttled && !c->busy)
			conn_process(c);	/* frames read before the backlog grew */
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

/* Closes the connections whose peers let their time run out. */
static void server_expire(struct server *s, uint64_t now)
{
	while (s->timed.head && s->timed.head->deadline <= now)
		conn_close(s->timed.head);
}

/* How long the loop may sleep: until the next deadline of any kind, or -1. */
static int server_next_wakeup(const struct server *s, bool worked, uint64_t worked_at, uint64_t now)
{
	uint64_t next = UINT64_MAX;

	if (s->stopping)
		next = now + 100;
	else if (worked)
		next = worked_at + IDLE_RELEASE_MS;
	if (s->timed.head && s->timed.head->deadline < next)
		next = s->timed.head->deadline;
	if (s->accept_resume && s->accept_resume < next)
		next = s->accept_resume;
	for (int why = 0; why < REFUSALS; why++)
		if (s->refused[why] && s->refusal_logged[why] + REFUSAL_LOG_MS < next)
			next = s->refusal_logged[why] + REFUSAL_LOG_MS;
	if (next == UINT64_MAX)
		return -1;
	if (next <= now)
		return 0;
	return next - now > INT_MAX ? INT_MAX : (int)(next - now);
}

int server_run(struct server *s)
{
	struct epoll_event events[64];
	bool worked = false;	/* since the store's pages were last given back */
	uint64_t worked_at = 0, now;
	int r = server_watchdog_start(s);

	if (r < 0)
		return r;
	while (!s->stopping || !server_idle(s)) {
		int n = epoll_wait(s->epfd, events, 64, server_next_wakeup(s, worked, worked_at, now_ms()));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			struct watch *w = events[i].data.ptr;

			if (w->kind != W_WATCHDOG) {
				worked = true;
				worked_at = now_ms();
			}

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
		server_run_ready(s);
		now = now_ms();
		server_expire(s, now);
		if (s->accept_resume && now >= s->accept_resume)
			listeners_resume(s);
		refusals_flush(s, now, false);
		if (worked && now - worked_at >= IDLE_RELEASE_MS && server_idle(s)) {
			/* Idle: the database pages read so far need not stay resident. */
			store_release_pages(s->daemon->store);
			worked = false;
		}
	}
	refusals_flush(s, now_ms(), true);
	return 0;
}
