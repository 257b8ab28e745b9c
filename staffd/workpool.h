/* A bounded pool of worker threads for slow work (Argon2id, mail, backup),
 * so that the request loop never waits on it. */
#ifndef WORKPOOL_H
#define WORKPOOL_H

struct workpool;

typedef void (*work_fn)(void *ctx);

/*
 * workers threads (0 = one per online core), at most queue_max jobs waiting.
 * *notify_fd becomes readable when finished jobs wait for workpool_reap().
 */
int workpool_new(unsigned workers, unsigned queue_max, struct workpool **ret, int *notify_fd);
/* Stops accepting jobs, lets running and queued ones finish, joins the threads. */
void workpool_free(struct workpool *p);

/*
 * Queues work(ctx) for a worker; done(ctx) later runs on the thread that calls
 * workpool_reap. -EBUSY when the queue is full: nothing is queued then.
 */
int workpool_submit(struct workpool *p, work_fn work, work_fn done, void *ctx);

/* Runs the done callbacks of finished jobs. Call when notify_fd is readable. */
void workpool_reap(struct workpool *p);

/* Jobs queued or running. */
unsigned workpool_pending(struct workpool *p);

#endif
