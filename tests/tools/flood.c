/* flood: a hostile local client for the security tests, bounded in count
 * and time. Prints "key value" lines on stdout when done.
 *
 *   flood SOCKET hold N SECONDS
 *       Opens N connections (as fast as it can) and sends nothing. Prints
 *       "opened" (connect succeeded), "refused" (connect failed), "early"
 *       (closed by the daemon within EARLY_S of opening, well before any
 *       request timeout), "closed" (closed by the end) and "open" (still
 *       open at the end), and "last_close" (the seconds after opening at
 *       which the last one was closed, or -1).
 *   flood SOCKET pipeline N SECONDS METHOD [PARAMETERS]
 *       On each of N connections, writes the same call again and again and
 *       never reads a reply. Prints "sent" (bytes written) and "open".
 *   flood SOCKET loop N SECONDS METHOD [PARAMETERS]
 *       On each of N connections, one call at a time: send, read the reply,
 *       send again. Prints "ok", "busy", "other" (replies) and "lost"
 *       (connections the daemon closed; each is opened again).
 *
 * Exit status 0, 1 on a failure of its own, 2 on a usage error.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#define MAX_CONNS 4096
#define MAX_SECONDS 120
#define REPLY_MAX (64 * 1024)
/* Closed this soon after opening: refused, not timed out (staffd gives 5 s). */
#define EARLY_S 2.5

struct peer {
	int fd;
	double opened;
	size_t got;	/* bytes of the reply read so far (loop) */
	size_t off;	/* bytes of the call written so far */
	char *buf;
};

static struct sockaddr_un addr;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Non-blocking from the start: a full backlog is a refusal, not a wait. */
static int open_one(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* Whether the daemon closed fd (end of stream or an error); drains what it sent. */
static bool peer_gone(int fd)
{
	char buf[4096];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0)
			continue;
		if (n == 0)
			return true;
		return errno != EAGAIN && errno != EINTR;
	}
}

static int cmd_hold(size_t n, double seconds)
{
	struct peer *p = calloc(n, sizeof(*p));
	size_t opened = 0, refused = 0, early = 0, closed = 0;
	double t0 = now_s(), last_close = -1;

	if (!p)
		return 1;
	for (size_t i = 0; i < n && now_s() - t0 < seconds; i++) {
		p[i].fd = open_one();
		if (p[i].fd < 0) {
			refused++;
			continue;
		}
		p[i].opened = now_s();
		opened++;
	}
	for (size_t i = opened + refused; i < n; i++)
		p[i].fd = -1;
	while (now_s() - t0 < seconds) {
		struct timespec ts = { 0, 50 * 1000000L };

		for (size_t i = 0; i < n; i++) {
			if (p[i].fd < 0 || !peer_gone(p[i].fd))
				continue;
			double at = now_s() - p[i].opened;

			if (at < EARLY_S)
				early++;
			if (at > last_close)
				last_close = at;
			closed++;
			close(p[i].fd);
			p[i].fd = -1;
		}
		nanosleep(&ts, NULL);
	}
	for (size_t i = 0; i < n; i++)
		if (p[i].fd >= 0)
			close(p[i].fd);
	printf("opened %zu\nrefused %zu\nearly %zu\nclosed %zu\nopen %zu\nlast_close %.2f\n", opened, refused, early,
	       closed, opened - closed, last_close);
	free(p);
	return 0;
}

static int cmd_pipeline(size_t n, double seconds, const char *call, size_t len)
{
	struct peer *p = calloc(n, sizeof(*p));
	struct pollfd *pf = calloc(n, sizeof(*pf));
	unsigned long long sent = 0;
	size_t open = 0;
	double t0 = now_s();

	if (!p || !pf)
		return 1;
	for (size_t i = 0; i < n; i++)
		p[i].fd = open_one();
	while (now_s() - t0 < seconds) {
		for (size_t i = 0; i < n; i++) {
			pf[i].fd = p[i].fd;
			pf[i].events = POLLOUT;
		}
		if (poll(pf, n, 100) < 0 && errno != EINTR)
			break;
		for (size_t i = 0; i < n; i++) {
			if (p[i].fd < 0 || !(pf[i].revents & (POLLOUT | POLLERR | POLLHUP)))
				continue;
			for (;;) {
				ssize_t k = send(p[i].fd, call + p[i].off, len - p[i].off, MSG_NOSIGNAL | MSG_DONTWAIT);

				if (k < 0) {
					if (errno != EAGAIN && errno != EINTR) {
						close(p[i].fd);
						p[i].fd = -1;
					}
					break;
				}
				sent += (unsigned long long)k;
				p[i].off = (p[i].off + (size_t)k) % len;
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		if (p[i].fd >= 0) {
			open++;
			close(p[i].fd);
		}
	printf("sent %llu\nopen %zu\n", sent, open);
	free(p);
	free(pf);
	return 0;
}

static void count_reply(const char *reply, size_t *ok, size_t *busy, size_t *other)
{
	if (!strstr(reply, "\"error\""))
		(*ok)++;
	else if (strstr(reply, "\"io.practice.Staff.Busy\""))
		(*busy)++;
	else
		(*other)++;
}

static int cmd_loop(size_t n, double seconds, const char *call, size_t len)
{
	struct peer *p = calloc(n, sizeof(*p));
	struct pollfd *pf = calloc(n, sizeof(*pf));
	size_t ok = 0, busy = 0, other = 0, lost = 0;
	double t0 = now_s();

	if (!p || !pf)
		return 1;
	for (size_t i = 0; i < n; i++) {
		p[i].buf = malloc(REPLY_MAX);
		if (!p[i].buf)
			return 1;
		p[i].fd = open_one();
	}
	while (now_s() - t0 < seconds) {
		for (size_t i = 0; i < n; i++) {
			if (p[i].fd < 0) {
				p[i].fd = open_one();
				p[i].off = p[i].got = 0;
			}
			pf[i].fd = p[i].fd;
			pf[i].events = p[i].off < len ? POLLOUT : POLLIN;
		}
		if (poll(pf, n, 100) < 0 && errno != EINTR)
			break;
		for (size_t i = 0; i < n; i++) {
			ssize_t k;

			if (p[i].fd < 0 || !pf[i].revents)
				continue;
			if (p[i].off < len) {
				k = send(p[i].fd, call + p[i].off, len - p[i].off, MSG_NOSIGNAL | MSG_DONTWAIT);
				if (k > 0)
					p[i].off += (size_t)k;
			} else {
				k = recv(p[i].fd, p[i].buf + p[i].got, REPLY_MAX - 1 - p[i].got, MSG_DONTWAIT);
				if (k > 0) {
					char *end;

					p[i].got += (size_t)k;
					p[i].buf[p[i].got] = '\0';
					end = memchr(p[i].buf, '\0', p[i].got);
					if (end) {
						count_reply(p[i].buf, &ok, &busy, &other);
						p[i].off = p[i].got = 0;
					} else if (p[i].got == REPLY_MAX - 1) {
						k = 0;	/* a reply this long is not ours to read */
					}
				}
			}
			if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) {
				lost++;
				close(p[i].fd);
				p[i].fd = -1;
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (p[i].fd >= 0)
			close(p[i].fd);
		free(p[i].buf);
	}
	printf("ok %zu\nbusy %zu\nother %zu\nlost %zu\n", ok, busy, other, lost);
	free(p);
	free(pf);
	return 0;
}

static int usage(void)
{
	fputs("usage: flood SOCKET hold N SECONDS\n"
	      "       flood SOCKET pipeline N SECONDS METHOD [PARAMETERS]\n"
	      "       flood SOCKET loop N SECONDS METHOD [PARAMETERS]\n",
	      stderr);
	return 2;
}

int main(int argc, char **argv)
{
	char *call = NULL, *end;
	long n;
	double seconds;
	int len = 0, r;

	if (argc < 5 || strlen(argv[1]) >= sizeof(addr.sun_path))
		return usage();
	addr.sun_family = AF_UNIX;
	strcpy(addr.sun_path, argv[1]);
	n = strtol(argv[3], &end, 10);
	if (*end || n < 1 || n > MAX_CONNS)
		return usage();
	seconds = strtod(argv[4], &end);
	if (*end || seconds <= 0 || seconds > MAX_SECONDS)
		return usage();
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[2], "hold") == 0 && argc == 5)
		return cmd_hold((size_t)n, seconds);
	if ((strcmp(argv[2], "pipeline") != 0 && strcmp(argv[2], "loop") != 0) || argc < 6 || argc > 7)
		return usage();
	/* The frame with its terminating NUL. */
	len = asprintf(&call, "{\"method\":\"%s\",\"parameters\":%s}", argv[5], argc == 7 ? argv[6] : "{}");
	if (len < 0)
		return 1;
	if (strcmp(argv[2], "pipeline") == 0)
		r = cmd_pipeline((size_t)n, seconds, call, (size_t)len + 1);
	else
		r = cmd_loop((size_t)n, seconds, call, (size_t)len + 1);
	free(call);
	return r;
}
