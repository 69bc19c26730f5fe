/*
 * xmem.h: allocation that cannot fail (out of memory aborts through fatalx,
 * the one place the agent gives up that way), plus small string helpers.
 * Everything returned is owned by the caller and released with free().
 */
#ifndef L2I_XMEM_H
#define L2I_XMEM_H

#include <stdbool.h>
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *ptr, size_t n, size_t size);
char *xstrdup(const char *s);                  /* NULL stays NULL */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Lower-case ASCII copy (e-mail keys, DN comparison). */
char *xstrdup_lower(const char *s);
/* Overwrite then free a secret; NULL is fine. */
void secret_free(char *s);
/* Grow *array of *cap elements of size to hold at least need. */
void xgrow(void *array, size_t *cap, size_t need, size_t size);

#endif
