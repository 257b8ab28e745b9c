/* Helpers shared by the bench programs, each built on its own by bench/run:
 * define BENCH_NAME (for messages) and TIMEOUT_MS before including. */
#ifndef BENCH_H
#define BENCH_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "client.h"
#include "json-wipe.h"
#include "varlink.h"

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static inline int connect_to(const char *path, struct varlink_client **ret)
{
	int r = varlink_client_connect(path, TIMEOUT_MS, ret);

	if (r < 0)
		fprintf(stderr, BENCH_NAME ": cannot connect to %s: %s\n", path, strerror(-r));
	return r;
}

static inline int report_error(const char *method, const struct varlink_reply *rep)
{
	char *p = json_dumps(rep->parameters, JSON_COMPACT);

	fprintf(stderr, BENCH_NAME ": %s failed: %s %s\n", method, rep->error, p ? p : "");
	json_text_free(p);
	return -EPROTO;
}

/* One single-reply call; *ret (may be NULL) gets the parameters. */
static inline int call1(struct varlink_client *c, const char *method, json_t *params, json_t **ret)
{
	struct varlink_reply rep;
	int r;

	r = varlink_client_call(c, method, params, &rep);
	if (r < 0) {
		fprintf(stderr, BENCH_NAME ": %s: %s\n", method, strerror(-r));
		return r;
	}
	if (rep.error)
		r = report_error(method, &rep);
	else if (ret)
		*ret = json_incref(rep.parameters);
	varlink_reply_clear(&rep);
	return r;
}

#endif
