/* Routes a decoded call to its handler after checking who may make it. */
#ifndef DISPATCH_H
#define DISPATCH_H

#include "server.h"

struct daemon;
struct conn;
struct varlink_call;

/* Takes over vc's contents and passed_fd (-1 for none). */
void dispatch_call(struct daemon *d, struct conn *conn, enum endpoint endpoint, struct varlink_call *vc,
		   int passed_fd);

#endif
