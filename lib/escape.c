/* Escaping for logs and terminals (see escape.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "utf8.h"

/* Appends n bytes of piece when they fit whole; counts them either way. */
static void put(char *out, size_t size, size_t *at, bool *full, const char *piece, size_t n)
{
	if (!*full && *at + n < size)
		memcpy(out + *at, piece, n);
	else
		*full = true;
	*at += n;
}

size_t escape_text(char *out, size_t size, const char *s, size_t len, unsigned flags)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t at = 0, written = 0, i = 0;
	bool full = size == 0;

	while (i < len) {
		uint32_t cp = 0;
		size_t n = utf8_decode(p + i, len - i, &cp);

		if (n == 1 && cp == '\\') {
			put(out, size, &at, &full, "\\\\", 2);
		} else if (n == 1 && cp == '\n' && (flags & ESCAPE_KEEP_NEWLINE)) {
			put(out, size, &at, &full, "\n", 1);
		} else if (n == 0 || utf8_is_control(cp)) {
			/* Every byte of it: an ill-formed sequence is one byte at a time. */
			size_t bytes = n ? n : 1;

			for (size_t k = 0; k < bytes; k++) {
				char esc[4] = { '\\', 'x', hex[p[i + k] >> 4], hex[p[i + k] & 0xf] };

				put(out, size, &at, &full, esc, sizeof(esc));
			}
			n = bytes;
		} else {
			put(out, size, &at, &full, s + i, n);
		}
		i += n;
		if (!full)
			written = at;
	}
	if (size > 0)
		out[written] = '\0';
	return at;
}

char *escape_dup(const char *s, unsigned flags)
{
	size_t len = strlen(s), need = escape_text(NULL, 0, s, len, flags);
	char *out = malloc(need + 1);

	if (out)
		escape_text(out, need + 1, s, len, flags);
	return out;
}
