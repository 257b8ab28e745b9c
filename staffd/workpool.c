/* Worker threads; results travel back to the request loop through an eventfd. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/resource.h>

#include "workpool.h"

/* How much less urgent hashing is than answering requests. */
#define LOGIN_NICE 10
/* Policy checks, mail and backups: less urgent than hashing. */
#define OTHER_NICE 19
/* Policy checks: one thread, a short queue; each uid has a few in flight at most (peers.h). */
#define CHECK_THREADS 1
#define CHECK_QUEUE 32
/* Mail and backups: one thread, so that a hung mail command delays only mail. */
#define SLOW_THREADS 1
#define SLOW_QUEUE 64

struct job {
	work_fn work;
	work_fn done;
	void *ctx;
	struct job *next;
};

struct queue {
	struct job *head, *tail;
};

struct lane {
	struct queue waiting;	/* for a worker */
	unsigned queued, running, queue_max, nthreads;
};

struct worker {
	struct workpool *pool;
	enum work_kind kind;
	pthread_t thread;
};

struct workpool {
	pthread_mutex_t lock;
	pthread_cond_t wake[WORK_KINDS];
	struct lane lanes[WORK_KINDS];
	struct queue finished;	/* waiting for workpool_reap */
	unsigned cores;
	bool stopping;
	int efd;
	unsigned nworkers;
	struct worker *workers;
};

static void queue_push(struct queue *q, struct job *j)
{
	j->next = NULL;
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
}

static struct job *queue_pop(struct queue *q)
{
	struct job *j = q->head;

	if (j) {
		q->head = j->next;
		if (!q->head)
			q->tail = NULL;
	}
	return j;
}

/*
 * Whether a worker of kind may take its next job now. A policy check waits
 * while sign-ins keep every core busy: anyone may ask for checks, and a
 * check running beside a hash slows that sign-in down.
 */
static bool may_start(const struct workpool *p, enum work_kind kind)
{
	const struct lane *login = &p->lanes[WORK_LOGIN];
	unsigned hashing = login->running + login->queued;

	if (!p->lanes[kind].waiting.head)
		return false;
	/* Queued hashes take a core as soon as a hashing thread is free. */
	if (hashing > login->nthreads)
		hashing = login->nthreads;
	return kind != WORK_CHECK || p->stopping || hashing < p->cores;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct workpool *p = w->pool;
	struct lane *lane = &p->lanes[w->kind];
	const uint64_t one = 1;

	/* Hashing may take every core; the request loop must still get one at
	 * once, or every lookup waits behind Argon2id. The other kinds come
	 * after hashing. */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), w->kind == WORK_LOGIN ? LOGIN_NICE : OTHER_NICE) < 0) {
		/* Not allowed (RLIMIT_NICE, a seccomp filter): run at the loop's priority. */
	}

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct job *j;

		while (!may_start(p, w->kind) && !(p->stopping && !lane->waiting.head))
			pthread_cond_wait(&p->wake[w->kind], &p->lock);
		j = queue_pop(&lane->waiting);
		if (!j)
			break;	/* stopping and nothing left */
		lane->queued--;
		lane->running++;
		pthread_mutex_unlock(&p->lock);

		j->work(j->ctx);

		pthread_mutex_lock(&p->lock);
		lane->running--;
		/* A core may have come free for a waiting policy check. */
		if (w->kind == WORK_LOGIN)
			pthread_cond_signal(&p->wake[WORK_CHECK]);
		queue_push(&p->finished, j);
		/* An eventfd counter cannot overflow in practice; a failed write only delays the reap. */
		if (write(p->efd, &one, sizeof(one)) < 0) {
		}
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int workpool_new(unsigned workers, unsigned queue_max, struct workpool **ret, int *notify_fd)
{
	const unsigned threads[WORK_KINDS] = { [WORK_CHECK] = CHECK_THREADS, [WORK_SLOW] = SLOW_THREADS };
	const unsigned queues[WORK_KINDS] = { [WORK_CHECK] = CHECK_QUEUE, [WORK_SLOW] = SLOW_QUEUE };
	struct workpool *p;
	unsigned total = 0;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	int r;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->cores = n > 0 ? (unsigned)n : 1;
	for (unsigned k = 0; k < WORK_KINDS; k++) {
		p->lanes[k].nthreads = k == WORK_LOGIN ? (workers ? workers : p->cores) : threads[k];
		p->lanes[k].queue_max = k == WORK_LOGIN ? queue_max : queues[k];
		total += p->lanes[k].nthreads;
	}
	p->workers = calloc(total, sizeof(*p->workers));
	if (!p->workers) {
		free(p);
		return -ENOMEM;
	}
	p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->efd < 0) {
		r = -errno;
		free(p->workers);
		free(p);
		return r;
	}
	pthread_mutex_init(&p->lock, NULL);
	for (unsigned k = 0; k < WORK_KINDS; k++)
		pthread_cond_init(&p->wake[k], NULL);
	for (unsigned k = 0; k < WORK_KINDS; k++) {
		for (unsigned i = 0; i < p->lanes[k].nthreads; i++) {
			struct worker *w = &p->workers[p->nworkers];

			w->pool = p;
			w->kind = (enum work_kind)k;
			r = pthread_create(&w->thread, NULL, worker_main, w);
			if (r) {
				workpool_free(p);
				return -r;
			}
			p->nworkers++;
		}
	}
	*ret = p;
	*notify_fd = p->efd;
	return 0;
}

void workpool_free(struct workpool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	for (unsigned k = 0; k < WORK_KINDS; k++)
		pthread_cond_broadcast(&p->wake[k]);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->nworkers; i++)
		pthread_join(p->workers[i].thread, NULL);
	workpool_reap(p);
	pthread_mutex_destroy(&p->lock);
	for (unsigned k = 0; k < WORK_KINDS; k++)
		pthread_cond_destroy(&p->wake[k]);
	close(p->efd);
	free(p->workers);
	free(p);
}

int workpool_submit(struct workpool *p, enum work_kind kind, work_fn work, work_fn done, void *ctx)
{
	struct lane *lane;
	struct job *j;

	if ((unsigned)kind >= WORK_KINDS)
		return -EINVAL;
	lane = &p->lanes[kind];
	j = malloc(sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->work = work;
	j->done = done;
	j->ctx = ctx;
	pthread_mutex_lock(&p->lock);
	/* Jobs an idle worker has not picked up yet do not take a queue place. */
	if (p->stopping || lane->queued + lane->running >= lane->nthreads + lane->queue_max) {
		pthread_mutex_unlock(&p->lock);
		free(j);
		return -EBUSY;
	}
	queue_push(&lane->waiting, j);
	lane->queued++;
	pthread_cond_signal(&p->wake[kind]);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

void workpool_reap(struct workpool *p)
{
	struct queue done;
	struct job *j;
	uint64_t n;

	if (read(p->efd, &n, sizeof(n)) < 0) {
		/* EAGAIN: nothing signalled; the finished list is checked anyway. */
	}
	pthread_mutex_lock(&p->lock);
	done = p->finished;
	p->finished.head = p->finished.tail = NULL;
	pthread_mutex_unlock(&p->lock);
	while ((j = queue_pop(&done))) {
		j->done(j->ctx);
		free(j);
	}
}

unsigned workpool_pending(struct workpool *p)
{
	unsigned n = 0;

	pthread_mutex_lock(&p->lock);
	for (unsigned k = 0; k < WORK_KINDS; k++)
		n += p->lanes[k].queued + p->lanes[k].running;
	pthread_mutex_unlock(&p->lock);
	return n;
}
