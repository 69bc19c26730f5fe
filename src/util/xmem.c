/* xmem.c: see xmem.h. */
#include "util/xmem.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		fatalx("out of memory (%zu bytes)", size);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		fatalx("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

void *
xreallocarray(void *ptr, size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		fatalx("allocation overflow (%zu x %zu bytes)", n, size);
	p = realloc(ptr, n && size ? n * size : 1);
	if (p == NULL)
		fatalx("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

char *
xstrdup(const char *s)
{
	return s ? xstrndup(s, strlen(s)) : NULL;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	int len;
	char *p;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		fatalx("xasprintf: bad format");
	p = xmalloc((size_t)len + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)len + 1, fmt, ap);
	va_end(ap);
	return p;
}

char *
xstrdup_lower(const char *s)
{
	char *p = xstrdup(s);

	for (char *c = p; c && *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return p;
}

void
secret_free(char *s)
{
	if (s == NULL)
		return;
	/* explicit_bzero keeps the compiler from dropping the wipe. */
	explicit_bzero(s, strlen(s));
	free(s);
}

void
xgrow(void *array, size_t *cap, size_t need, size_t size)
{
	void **arr = array;
	size_t n = *cap ? *cap : 16;

	if (need <= *cap)
		return;
	while (n < need)
		n *= 2;
	*arr = xreallocarray(*arr, n, size);
	*cap = n;
}
