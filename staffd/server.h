/* Listening sockets, connections and the request loop. */
#ifndef SERVER_H
#define SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct daemon;
struct server;
struct conn;
struct varlink_call;
struct call;

enum endpoint {
	ENDPOINT_STAFF,		/* io.practice.Staff */
	ENDPOINT_USERDB,	/* io.systemd.UserDatabase */
};

int server_new(struct daemon *d, struct server **ret);
void server_free(struct server *s);

/*
 * Binds and listens on a Unix socket path (mode 0666: callers are told apart
 * by SO_PEERCRED). A socket file already there is replaced only when nothing
 * listens on it: -EADDRINUSE when something does, -EEXIST when the path is
 * not a socket. At exit the file is removed only if it is still the one
 * bound here.
 */
int server_listen(struct server *s, const char *path, enum endpoint kind);

/* Serves a socket systemd passed (socket activation); the file stays systemd's. */
int server_adopt(struct server *s, int fd, enum endpoint kind);

/* Runs until SIGTERM or SIGINT; finishes calls in flight first. */
int server_run(struct server *s);

/* What the dispatcher needs of a connection. conn_send writes at once;
 * conn_queue may hold the bytes until more follow or the loop comes round. */
int conn_send(struct conn *c, const char *buf, size_t len);
int conn_queue(struct conn *c, const char *buf, size_t len);
void conn_ref(struct conn *c);
void conn_unref(struct conn *c);
uid_t conn_uid(const struct conn *c);
pid_t conn_pid(const struct conn *c);
/*
 * A call that queues work for the worker pool: 0, or -EBUSY when the peer's
 * uid has its share of such calls in flight already (peers.h). Each 0 is
 * matched by one conn_worker_call_end.
 */
int conn_worker_call_begin(struct conn *c);
void conn_worker_call_end(struct conn *c);
/* The call of c has finished: the next queued frame may be read. */
void conn_call_done(struct conn *c);
/* Streaming: call_resume(call) runs once the output backlog has drained. */
void conn_set_stream(struct conn *c, struct call *call);
bool conn_backlogged(const struct conn *c);

/*
 * A connection without a socket, for driving the dispatcher directly (the
 * fuzz targets): each reply frame (terminating NUL included) goes to sink,
 * whose result conn_send and conn_queue return. Freed with conn_unref.
 */
typedef int (*conn_sink_fn)(const char *buf, size_t len, void *userdata);
int conn_new_sink(enum endpoint endpoint, uid_t uid, pid_t pid, conn_sink_fn sink, void *userdata,
		  struct conn **ret);
/* Hands vc (taken over) and passed_fd (-1 for none) to the dispatcher as a frame read from c would be. */
void conn_sink_call(struct daemon *d, struct conn *c, struct varlink_call *vc, int passed_fd);
/* Runs a waiting streaming step; true while the call is still in flight (e.g. on a worker). */
bool conn_sink_run(struct conn *c);

/* The worker pool's eventfd joins the loop. */
int server_watch_pool(struct server *s, int fd);

#endif
