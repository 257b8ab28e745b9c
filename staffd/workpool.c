/* Worker threads; results travel back to the request loop through an eventfd. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/resource.h>

/* How much less urgent hashing is than answering requests. */
#define WORKER_NICE 10

#include "workpool.h"

struct job {
	work_fn work;
	work_fn done;
	void *ctx;
	struct job *next;
};

struct queue {
	struct job *head, *tail;
};

struct workpool {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct queue waiting;	/* for a worker */
	struct queue finished;	/* waiting for workpool_reap */
	unsigned queued, running, queue_max;
	bool stopping;
	int efd;
	unsigned nthreads;
	pthread_t *threads;
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

static void *worker_main(void *arg)
{
	struct workpool *p = arg;
	const uint64_t one = 1;

	/* Hashing may take every core; the request loop must still get one at
	 * once, or every lookup waits behind Argon2id. */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), WORKER_NICE) < 0) {
		/* Not allowed (RLIMIT_NICE): run at the loop's priority. */
	}

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct job *j;

		while (!p->waiting.head && !p->stopping)
			pthread_cond_wait(&p->wake, &p->lock);
		j = queue_pop(&p->waiting);
		if (!j)
			break;	/* stopping and nothing left */
		p->queued--;
		p->running++;
		pthread_mutex_unlock(&p->lock);

		j->work(j->ctx);

		pthread_mutex_lock(&p->lock);
		p->running--;
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
	struct workpool *p;
	int r;

	if (workers == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		workers = n > 0 ? (unsigned)n : 1;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->threads = calloc(workers, sizeof(*p->threads));
	if (!p->threads) {
		free(p);
		return -ENOMEM;
	}
	p->queue_max = queue_max;
	p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->efd < 0) {
		r = -errno;
		free(p->threads);
		free(p);
		return r;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	for (; p->nthreads < workers; p->nthreads++) {
		r = pthread_create(&p->threads[p->nthreads], NULL, worker_main, p);
		if (r) {
			workpool_free(p);
			return -r;
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
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	workpool_reap(p);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->wake);
	close(p->efd);
	free(p->threads);
	free(p);
}

int workpool_submit(struct workpool *p, work_fn work, work_fn done, void *ctx)
{
	struct job *j;

	j = malloc(sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->work = work;
	j->done = done;
	j->ctx = ctx;
	pthread_mutex_lock(&p->lock);
	/* Jobs an idle worker has not picked up yet do not take a queue place. */
	if (p->stopping || p->queued + p->running >= p->nthreads + p->queue_max) {
		pthread_mutex_unlock(&p->lock);
		free(j);
		return -EBUSY;
	}
	queue_push(&p->waiting, j);
	p->queued++;
	pthread_cond_signal(&p->wake);
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
	unsigned n;

	pthread_mutex_lock(&p->lock);
	n = p->queued + p->running;
	pthread_mutex_unlock(&p->lock);
	return n;
}
