/* Running the configured mail and SMS commands. posix_spawn, because the
 * daemon has threads and fork() would copy their locks. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/pidfd.h>
#include <unistd.h>
#include <sys/wait.h>

#include "mail.h"

extern char **environ;

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Waits for pid to exit, at most timeout_s seconds, then kills it. */
static int wait_bounded(pid_t pid, unsigned timeout_s, int *status)
{
	struct pollfd p = { .events = POLLIN };
	int r;

	p.fd = pidfd_open(pid, 0);
	if (p.fd < 0)
		return -errno;
	do
		r = poll(&p, 1, (int)(timeout_s * 1000));
	while (r < 0 && errno == EINTR);
	close(p.fd);
	if (r == 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, status, 0) < 0 && errno == EINTR)
			;
		return -ETIMEDOUT;
	}
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

int command_feed(const char *command, const char *arg, const char *input, unsigned timeout_s, const char **why)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { "sh", "-c", NULL, "sh", NULL, NULL };
	int pipefd[2], status = 0, r;
	sigset_t none;
	posix_spawnattr_t attr;
	pid_t pid;

	char *line = NULL;

	/* The argument goes to the command as "$1": never through the shell's parser. */
	if (arg && asprintf(&line, "%s \"$1\"", command) < 0) {
		*why = "out of memory";
		return -ENOMEM;
	}
	argv[2] = line ? line : (char *)command;
	argv[4] = (char *)arg;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		free(line);
		*why = "cannot create a pipe";
		return -errno;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[0], STDIN_FILENO);
	posix_spawnattr_init(&attr);
	/* The loop thread blocks SIGTERM/SIGHUP for signalfd; the child must not inherit that. */
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	r = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	free(line);
	close(pipefd[0]);
	if (r != 0) {
		close(pipefd[1]);
		*why = "cannot start the command";
		return -r;
	}
	write_all(pipefd[1], input, strlen(input));
	close(pipefd[1]);
	r = wait_bounded(pid, timeout_s, &status);
	if (r == -ETIMEDOUT) {
		*why = "the command did not finish in time";
		return r;
	}
	if (r < 0) {
		*why = "cannot wait for the command";
		return r;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		*why = "the command failed";
		return -EIO;
	}
	return 0;
}
