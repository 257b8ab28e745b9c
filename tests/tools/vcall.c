/* vcall: sends one Varlink call and prints every reply as a line of JSON.
 * For tests: exit 0 when the last reply is not an error, 1 when it is,
 * 3 when the daemon cannot be reached.
 *
 *   vcall [--socket PATH] [--more] [--fd FILE] METHOD [PARAMETERS-JSON]
 *   vcall [--socket PATH] --raw < BYTES    (sends stdin as is, prints replies)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <jansson.h>

#include "client.h"
#include "varlink.h"

static int print_reply(const struct varlink_reply *r)
{
	json_t *o = json_object();
	char *s;

	if (r->error)
		json_object_set_new(o, "error", json_string(r->error));
	json_object_set(o, "parameters", r->parameters);
	if (r->continues)
		json_object_set_new(o, "continues", json_true());
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	puts(s);
	free(s);
	json_decref(o);
	return r->error ? 1 : 0;
}

static int raw(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[1 << 16];
	ssize_t n;
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return 3;
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0)
		if (send(fd, buf, (size_t)n, MSG_NOSIGNAL) < 0)
			break;
	shutdown(fd, SHUT_WR);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++)
			putchar(buf[i] ? buf[i] : '\n');
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = getenv("STAFFD_SOCKET"), *fdfile = NULL;
	struct varlink_client *c = NULL;
	struct varlink_reply reply;
	json_t *params = NULL;
	bool more = false;
	int i = 1, fd = -1, r, status = 0;

	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--more") == 0)
			more = true;
		else if (strcmp(argv[i], "--fd") == 0 && i + 1 < argc)
			fdfile = argv[++i];
		else if (strcmp(argv[i], "--raw") == 0)
			return path ? raw(path) : 2;
		else
			return 2;
	}
	if (!path || i >= argc)
		return 2;
	if (i + 1 < argc) {
		params = json_loads(argv[i + 1], 0, NULL);
		if (!params)
			return 2;
	}
	if (fdfile) {
		fd = open(fdfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			return 2;
	}
	if (varlink_client_connect(path, 30000, &c) < 0)
		return 3;
	r = varlink_client_send(c, argv[i], params, more, fd);
	while (r == 0) {
		r = varlink_client_recv(c, &reply);
		if (r < 0)
			break;
		status = print_reply(&reply);
		bool cont = reply.continues;
		varlink_reply_clear(&reply);
		if (!cont)
			break;
	}
	json_decref(params);
	varlink_client_free(c);
	if (fd >= 0)
		close(fd);
	return r < 0 ? 3 : status;
}
