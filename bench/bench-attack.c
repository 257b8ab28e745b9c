/*
 * bench-attack: one hostile local uid for bench/attack.sh (DESIGN 13 "under
 * attack"). Runs until SIGTERM or SIGINT (or SECONDS), then prints "key
 * value" lines on stdout; problems go to stderr.
 *
 *   bench-attack SOCKET HOLD FLOOD [SECONDS]
 *       Keeps HOLD idle connections open. Meanwhile FLOOD connections loop
 *       PolicyCheck (send, read the answer, send again) as fast as the
 *       daemon answers. Connections the daemon refuses or closes are opened
 *       again every ROUND_MS; the flood's first.
 *
 * Prints "held" (idle connections still open a round after they were
 * opened, at the last round), "hold_opened" (connect calls for them),
 * "checks_ok", "checks_busy", "checks_other" (the flood's answers) and
 * "flood_reopened". Exit status 0, 1 on a failure of its own, 2 on a usage
 * error.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#define TIMEOUT_MS 5000
#define BENCH_NAME "bench-attack"
#include "bench.h"

#define MAX_HOLD 10000
#define MAX_FLOOD 1000
/* Connections the daemon refused or closed are opened again this often: the
 * attacker fills what it may hold without spinning on connect(). */
#define ROUND_MS 500
#define REPLY_MAX 65536
/* A password that takes zxcvbn some work: the flood asks for real checks. */
#define CALL "{\"method\":\"io.practice.Staff.PolicyCheck\",\"parameters\":{\"password\":\"Correct-Horse-Battery-Staple-9\"}}"

static struct sockaddr_un addr;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int open_one(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

struct flooder {
	int fd;
	size_t off, got;
	char buf[REPLY_MAX];
};

int main(int argc, char **argv)
{
	static const char call[] = CALL;
	size_t hold, flood, held = 0;
	unsigned long long hold_opened = 0, ok = 0, busy = 0, other = 0, reopened = 0;
	double seconds = 0, t0 = now_s(), next_round = 0;
	struct pollfd *pf;
	struct flooder *fl;
	int *hfd;
	char *end;

	if (argc < 4 || argc > 5 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fputs("usage: bench-attack SOCKET HOLD FLOOD [SECONDS]\n", stderr);
		return 2;
	}
	addr.sun_family = AF_UNIX;
	strcpy(addr.sun_path, argv[1]);
	hold = strtoul(argv[2], &end, 10);
	if (*end || hold > MAX_HOLD)
		return 2;
	flood = strtoul(argv[3], &end, 10);
	if (*end || flood > MAX_FLOOD)
		return 2;
	if (argc == 5 && ((seconds = strtod(argv[4], &end)) <= 0 || *end))
		return 2;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);
	hfd = malloc((hold + 1) * sizeof(*hfd));
	fl = calloc(flood + 1, sizeof(*fl));
	pf = calloc(hold + flood + 1, sizeof(*pf));
	if (!hfd || !fl || !pf) {
		fputs("bench-attack: out of memory\n", stderr);
		return 1;
	}
	for (size_t i = 0; i < hold; i++)
		hfd[i] = -1;
	/* The flood first, so that it has its connections before the held ones fill the uid's share. */
	for (size_t i = 0; i < flood; i++)
		fl[i].fd = open_one();

	while (!stop && (seconds == 0 || now_s() - t0 < seconds)) {
		double now = now_s();
		size_t n = 0;

		if (now >= next_round) {
			held = 0;
			for (size_t i = 0; i < flood; i++) {
				if (fl[i].fd < 0) {
					fl[i].fd = open_one();
					fl[i].off = fl[i].got = 0;
					reopened++;
				}
			}
			/* Those still open since the last round: the ones the daemon let it keep. */
			for (size_t i = 0; i < hold; i++)
				held += hfd[i] >= 0;
			for (size_t i = 0; i < hold; i++) {
				if (hfd[i] < 0) {
					hfd[i] = open_one();
					hold_opened++;
				}
			}
			next_round = now + ROUND_MS / 1000.0;
		}
		for (size_t i = 0; i < flood; i++) {
			pf[n].fd = fl[i].fd;
			pf[n].events = fl[i].off < sizeof(call) ? POLLOUT : POLLIN;
			pf[n].revents = 0;
			n++;
		}
		/* Held connections: only to see the daemon close them. */
		for (size_t i = 0; i < hold; i++) {
			pf[n].fd = hfd[i];
			pf[n].events = POLLIN;
			pf[n].revents = 0;
			n++;
		}
		if (poll(pf, n, 50) < 0 && errno != EINTR)
			break;
		for (size_t i = 0; i < flood; i++) {
			struct flooder *f = &fl[i];
			ssize_t k;

			if (f->fd < 0 || !pf[i].revents)
				continue;
			if (f->off < sizeof(call)) {
				k = send(f->fd, call + f->off, sizeof(call) - f->off, MSG_NOSIGNAL | MSG_DONTWAIT);
				if (k > 0)
					f->off += (size_t)k;
			} else {
				k = recv(f->fd, f->buf + f->got, sizeof(f->buf) - 1 - f->got, MSG_DONTWAIT);
				if (k > 0) {
					f->got += (size_t)k;
					f->buf[f->got] = '\0';
					if (memchr(f->buf, '\0', f->got)) {
						if (!strstr(f->buf, "\"error\""))
							ok++;
						else if (strstr(f->buf, "\"io.practice.Staff.Busy\""))
							busy++;
						else
							other++;
						f->off = f->got = 0;
					} else if (f->got == sizeof(f->buf) - 1) {
						k = 0;
					}
				}
			}
			if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) {
				close(f->fd);
				f->fd = -1;
			}
		}
		for (size_t i = 0; i < hold; i++) {
			char buf[256];

			if (hfd[i] < 0 || !(pf[flood + i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (recv(hfd[i], buf, sizeof(buf), MSG_DONTWAIT) <= 0) {
				close(hfd[i]);
				hfd[i] = -1;
			}
		}
	}
	printf("held %zu\nhold_opened %llu\nchecks_ok %llu\nchecks_busy %llu\nchecks_other %llu\nflood_reopened %llu\n",
	       held, hold_opened, ok, busy, other, reopened);
	for (size_t i = 0; i < hold; i++)
		if (hfd[i] >= 0)
			close(hfd[i]);
	for (size_t i = 0; i < flood; i++)
		if (fl[i].fd >= 0)
			close(fl[i].fd);
	free(hfd);
	free(fl);
	free(pf);
	return 0;
}
