/* The socket files the daemon binds: never taken over from a live server,
 * never removed once they are someone else's. */
#ifndef SOCKFILE_H
#define SOCKFILE_H

#include <sys/types.h>
#include <sys/un.h>

/*
 * Binds fd to sa's path. A socket file already there is replaced only when
 * nothing listens on it any more (connect() is refused: a daemon that died
 * left it): -EADDRINUSE when something does, -EEXIST when the path is not a
 * socket. *dev and *ino identify the file bound, for sockfile_remove.
 */
int sockfile_bind(int fd, const struct sockaddr_un *sa, dev_t *dev, ino_t *ino);

/* Removes path if it is still the file that sockfile_bind made. */
void sockfile_remove(const char *path, dev_t dev, ino_t ino);

#endif
