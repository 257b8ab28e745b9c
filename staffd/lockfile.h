/* One daemon per state directory: a lock file held for the life of the process. */
#ifndef LOCKFILE_H
#define LOCKFILE_H

#include <stddef.h>
#include <sys/types.h>

#define LOCKFILE_NAME "staffd.lock"

/*
 * Creates (mode 0600) and locks dir/staffd.lock with flock(), and writes this
 * process's pid into it; *ret_fd keeps the lock until it is closed (at exit).
 * -EWOULDBLOCK when another process holds it: *holder gets the pid written
 * there (0 when unknown). path (len bytes) gets the file's name either way.
 */
int lockfile_take(const char *dir, char *path, size_t len, int *ret_fd, pid_t *holder);

#endif
