/* Each block carries its size in front of it, since free() is not told. */
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "json-wipe.h"

#define WIPE_HEADER (alignof(max_align_t) > sizeof(size_t) ? alignof(max_align_t) : sizeof(size_t))

static void *wipe_malloc(size_t n)
{
	unsigned char *p;

	if (n > SIZE_MAX - WIPE_HEADER)
		return NULL;
	p = malloc(n + WIPE_HEADER);
	if (!p)
		return NULL;
	memcpy(p, &n, sizeof(n));
	return p + WIPE_HEADER;
}

static void wipe_free(void *q)
{
	unsigned char *p;
	size_t n;

	if (!q)
		return;
	p = (unsigned char *)q - WIPE_HEADER;
	memcpy(&n, p, sizeof(n));
	explicit_bzero(p, n + WIPE_HEADER);
	free(p);
}

void json_wipe_install(void)
{
	json_set_alloc_funcs(wipe_malloc, wipe_free);
}

void json_text_free(char *text)
{
	json_malloc_t m;
	json_free_t f;

	json_get_alloc_funcs(&m, &f);
	f(text);
}
