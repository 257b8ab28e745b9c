/* Names shared by staffd, staffctl and pam_practice. */
#ifndef STAFF_PROTOCOL_H
#define STAFF_PROTOCOL_H

#define STAFF_INTERFACE "io.practice.Staff"
#define STAFF_METHOD(name) STAFF_INTERFACE "." name
#define STAFF_ERROR(name) STAFF_INTERFACE "." name

#ifndef STAFFD_DEFAULT_SOCKET
#define STAFFD_DEFAULT_SOCKET "/run/staffd/io.practice.Staff"
#endif
#ifndef STAFFD_DEFAULT_CONFIG
#define STAFFD_DEFAULT_CONFIG "/etc/staffd/staffd.conf"
#endif
#ifndef STAFF_VERSION
#define STAFF_VERSION "0.1.0"
#endif

/* Largest request staffd accepts, terminating NUL included. Replies may be
 * longer; long answers stream as several replies ("more"/"continues"). */
#define STAFF_FRAME_MAX (64 * 1024)

/* Secrets longer than this are refused before any work is done. */
#define STAFF_SECRET_MAX 1024

#endif
