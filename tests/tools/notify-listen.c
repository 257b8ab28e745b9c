/*
 * notify-listen PATH: binds a Unix datagram socket at PATH and writes every
 * datagram it receives to standard output, each followed by a blank line. The
 * integration tests point NOTIFY_SOCKET (sd_notify) or the journal's socket
 * at it to see what staffd sends. Runs until killed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static char buf[256 * 1024];
	int fd;

	if (argc != 2 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: notify-listen PATH\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	/* chmod: a daemon that dropped root must still reach it. */
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(argv[1], 0666) < 0) {
		fprintf(stderr, "notify-listen: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "notify-listen: %s\n", strerror(errno));
			return 1;
		}
		/* A blank line after each: one paragraph per datagram. */
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n ||
		    fputs(n == 0 || buf[n - 1] != '\n' ? "\n\n" : "\n", stdout) < 0 || fflush(stdout) != 0)
			return 1;
	}
}
