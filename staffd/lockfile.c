/* LMDB lets several processes share an environment, so two daemons on one
 * state directory would both run, the second taking over the socket. The
 * lock is advisory and dies with its holder: nothing stale to clean up. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>

#include "lockfile.h"

/* The pid the holder wrote, or 0. */
static pid_t read_holder(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *end;
	long pid;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	errno = 0;
	pid = strtol(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n') || pid <= 0 || pid > 0x3fffffff)
		return 0;
	return (pid_t)pid;
}

int lockfile_take(const char *dir, char *path, size_t len, int *ret_fd, pid_t *holder)
{
	char pid[32];
	ssize_t written;
	int fd, n, r = 0;

	*holder = 0;
	if ((size_t)snprintf(path, len, "%s/%s", dir, LOCKFILE_NAME) >= len)
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = -errno;
		if (r == -EWOULDBLOCK)
			*holder = read_holder(fd);
		goto out;
	}
	/* For the message a second daemon prints; the lock itself is what counts. */
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0)
		r = -errno;
	else if ((written = pwrite(fd, pid, (size_t)n, 0)) < 0)
		r = -errno;
	else if (written != n)
		r = -EIO;
out:
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}
