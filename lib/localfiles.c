/* passwd- and group-format files read line by line: getline rather than
 * fgetpwent, so that there is no static buffer (the PAM module runs in
 * threaded programs) and no line is too long to read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "localfiles.h"

/* The third field of a line as a number, or -1. */
static long long third_field(const char *line)
{
	const char *p = strchr(line, ':');
	long long v = 0;
	bool digits = false;

	if (!p || !(p = strchr(p + 1, ':')))
		return -1;
	for (p++; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		digits = true;
		if (v > 0xffffffffLL)
			return -1;
	}
	return digits && (*p == ':' || *p == '\n' || *p == '\0') ? v : -1;
}

int local_file_scan(const char *path, local_entry_fn visit, void *userdata)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	int r = 0;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) >= 0) {
		const char *name = line + strspn(line, " \t");
		const char *colon = strchr(name, ':');

		/* The files module skips these too: they are not entries of their own. */
		if (!colon || colon == name || *name == '#' || *name == '+' || *name == '-')
			continue;
		r = visit(name, (size_t)(colon - name), third_field(name), userdata);
		if (r != 0)
			break;
	}
	if (r == 0 && ferror(f))
		r = -EIO;
	free(line);
	fclose(f);
	return r;
}

static int match_name(const char *name, size_t len, long long id, void *userdata)
{
	const char *wanted = userdata;

	(void)id;
	return strlen(wanted) == len && memcmp(name, wanted, len) == 0;
}

int local_file_has(const char *path, const char *name)
{
	return local_file_scan(path, match_name, (void *)name);
}
