/* Text that came from outside, made safe to write into a log line, a
 * journal field or onto a terminal: nothing in it can end the line, start
 * a forged one, move the cursor or reorder what follows. */
#ifndef ESCAPE_H
#define ESCAPE_H

#include <stddef.h>

/* '\n' passes unescaped: for text whose line breaks are the program's own. */
#define ESCAPE_KEEP_NEWLINE 0x1u

/*
 * Writes s[0..len) into out (size bytes; always NUL-terminated when size >
 * 0) with each byte of a control character (utf8_is_control()) and each
 * byte that is not part of well-formed UTF-8 as \xNN (lower-case hex), and
 * a backslash as \\, so that the result can be read back unambiguously.
 * Everything else, other languages' letters included, is copied. A result
 * that does not fit is cut before the escape or character that would not
 * fit whole. Returns the length of the whole result, as snprintf does:
 * out held all of it when the return value is below size. out may be NULL
 * when size is 0.
 */
size_t escape_text(char *out, size_t size, const char *s, size_t len, unsigned flags);

/* An escaped copy of the string s, malloc'd; NULL when out of memory. */
char *escape_dup(const char *s, unsigned flags);

#endif
