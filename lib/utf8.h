/* UTF-8 as RFC 3629 defines it, and the characters that change how text
 * displays: one decoder for every program and the PAM module. */
#ifndef UTF8_H
#define UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Decodes the sequence at s (n > 0 bytes available) into *cp and returns its
 * length, or 0 when it is ill-formed: overlong forms, surrogates, code points
 * past U+10FFFF, stray continuation bytes and truncated sequences.
 */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/*
 * C0, DEL and C1 controls, the line and paragraph separators, and the
 * bidirectional embedding, override and isolate controls: characters that
 * end a line or make the rest of it display as something else.
 */
bool utf8_is_control(uint32_t cp);

#endif
