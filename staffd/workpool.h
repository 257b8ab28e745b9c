/* A bounded pool of worker threads for slow work (Argon2id, policy checks,
 * mail, backup), so that the request loop never waits on it. */
#ifndef WORKPOOL_H
#define WORKPOOL_H

struct workpool;

typedef void (*work_fn)(void *ctx);

/*
 * Each kind of work has its own queue and its own threads, so that sign-ins
 * never wait behind anything anyone may ask for.
 */
enum work_kind {
	WORK_LOGIN,	/* Argon2id for sign-ins, password and PIN changes: the configured workers */
	WORK_CHECK,	/* policy checks: short, CPU-bound; start only on a core login work leaves free */
	WORK_SLOW,	/* mail and backups: long, mostly waiting on other programs */
};
#define WORK_KINDS 3

/*
 * workers threads for WORK_LOGIN (0 = one per online core), at most
 * queue_max of its jobs waiting; the other kinds have a thread and a queue of
 * their own (sizes in workpool.c). *notify_fd becomes readable when finished
 * jobs wait for workpool_reap().
 */
int workpool_new(unsigned workers, unsigned queue_max, struct workpool **ret, int *notify_fd);
/* Stops accepting jobs, lets running and queued ones finish, joins the threads. */
void workpool_free(struct workpool *p);

/*
 * Queues work(ctx) for a worker of that kind; done(ctx) later runs on the
 * thread that calls workpool_reap. -EBUSY when that kind's queue is full:
 * nothing is queued then.
 */
int workpool_submit(struct workpool *p, enum work_kind kind, work_fn work, work_fn done, void *ctx);

/* Runs the done callbacks of finished jobs. Call when notify_fd is readable. */
void workpool_reap(struct workpool *p);

/* Jobs queued or running, of every kind. */
unsigned workpool_pending(struct workpool *p);

#endif
