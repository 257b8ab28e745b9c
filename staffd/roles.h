/* The predefined roles every practice starts with. */
#ifndef ROLES_H
#define ROLES_H

struct txn;

int roles_create_predefined(struct txn *t);

#endif
