/* Binding a Unix socket path safely. The check for a live listener and the
 * removal are two steps, so two daemons starting at the same instant could
 * still race; the state directory's lock file (lockfile.c) keeps two daemons
 * of one installation apart, this keeps a daemon off another's socket. */
#include <errno.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "sockfile.h"

/*
 * Whether a socket file at path has a listener behind it: 1 yes (or its
 * backlog is full), 0 no (a daemon that died left it), -ENOENT gone.
 */
static int socket_live(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), r;

	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		r = 1;
	else if (errno == ECONNREFUSED)
		r = 0;
	else if (errno == EAGAIN || errno == EINPROGRESS)
		r = 1;
	else
		r = -errno;
	close(fd);
	return r;
}

int sockfile_bind(int fd, const struct sockaddr_un *sa, dev_t *dev, ino_t *ino)
{
	struct stat st;
	int r;

	/* Another daemon may bind or remove the path between two steps: try again, a few times. */
	for (int attempt = 0; attempt < 3; attempt++) {
		if (bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0) {
			if (stat(sa->sun_path, &st) < 0)
				return -errno;
			*dev = st.st_dev;
			*ino = st.st_ino;
			return 0;
		}
		if (errno != EADDRINUSE)
			return -errno;
		if (lstat(sa->sun_path, &st) < 0) {
			if (errno == ENOENT)
				continue;	/* removed meanwhile */
			return -errno;
		}
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		r = socket_live(sa);
		if (r > 0)
			return -EADDRINUSE;
		if (r < 0 && r != -ENOENT)
			return r;
		if (r == 0 && unlink(sa->sun_path) < 0 && errno != ENOENT)
			return -errno;
	}
	return -EADDRINUSE;
}

void sockfile_remove(const char *path, dev_t dev, ino_t ino)
{
	struct stat st;

	/* Another daemon may have bound the path since: its socket is not ours to remove. */
	if (stat(path, &st) == 0 && st.st_dev == dev && st.st_ino == ino)
		unlink(path);
}
