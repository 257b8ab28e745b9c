/*
 * Replays a saved fuzz corpus without libFuzzer, as TAP for make check.
 * Installed as replay-fuzz-NAME; reads $TOPDIR/tests/fuzz/corpus/NAME.
 * A crash is the failure; a missing or empty corpus fails as well.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PREFIX "replay-fuzz-"

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads a whole file into an exact-size buffer so overreads hit the sanitizer. */
static int read_file(int dirfd, const char *name, uint8_t **ret, size_t *ret_size)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t size, got = 0;
	int fd, r = 0;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	size = (size_t)st.st_size;
	buf = malloc(size ? size : 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			goto out;
		}
		got += (size_t)n;
	}
	*ret = buf;
	*ret_size = size;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return r;
}

int main(int argc, char **argv)
{
	const char *base, *topdir = getenv("TOPDIR");
	char path[4096];
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *dir;
	int failed = 0;

	(void)argc;
	base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];
	if (strncmp(base, PREFIX, strlen(PREFIX)) != 0 || base[strlen(PREFIX)] == '\0') {
		printf("1..1\nnot ok 1 - cannot tell the corpus from the name %s\n", base);
		return 1;
	}
	if (!topdir || !*topdir)
		topdir = ".";
	if ((size_t)snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/%s", topdir, base + strlen(PREFIX)) >=
	    sizeof(path)) {
		printf("1..1\nnot ok 1 - corpus path too long\n");
		return 1;
	}

	dir = opendir(path);
	if (!dir) {
		printf("1..1\nnot ok 1 - corpus %s: %s\n", path, strerror(errno));
		return 1;
	}
	while ((de = readdir(dir))) {
		struct stat st;

		if (fstatat(dirfd(dir), de->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			char **grown = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*names));

			if (!grown) {
				printf("1..1\nnot ok 1 - out of memory\n");
				return 1;
			}
			names = grown;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			printf("1..1\nnot ok 1 - out of memory\n");
			return 1;
		}
		n++;
	}
	if (n == 0) {
		printf("1..1\nnot ok 1 - corpus %s holds no files\n", path);
		closedir(dir);
		return 1;
	}
	qsort(names, n, sizeof(*names), cmp_names);

	printf("1..%zu\n", n);
	fflush(stdout);
	for (size_t i = 0; i < n; i++) {
		uint8_t *data = NULL;
		size_t size = 0;
		int r = read_file(dirfd(dir), names[i], &data, &size);

		if (r < 0) {
			printf("not ok %zu - %s: %s\n", i + 1, names[i], strerror(-r));
			failed = 1;
		} else {
			LLVMFuzzerTestOneInput(data, size);
			free(data);
			printf("ok %zu - %s\n", i + 1, names[i]);
		}
		fflush(stdout);
		free(names[i]);
	}
	free(names);
	closedir(dir);
	return failed;
}
