/* Hands messages to sendmail(8)-style and SMS commands. Blocking: run it on
 * a worker thread. */
#ifndef MAIL_H
#define MAIL_H

/*
 * Runs `/bin/sh -c command` (with arg, when not NULL, passed to it as its
 * last argument without going through the shell's parser),
 * writes input to its standard input and waits at most timeout_s seconds.
 * Returns 0 when it exits 0; otherwise a negative errno and, in *why
 * (static), what went wrong.
 */
int command_feed(const char *command, const char *arg, const char *input, unsigned timeout_s, const char **why);

#endif
