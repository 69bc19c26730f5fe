/* filter.c: see filter.h. */
#include "model/filter.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/xmem.h"

static void
add_once(struct value_list *out, const char *name, size_t len)
{
	char *n = xstrndup(name, len);

	for (size_t i = 0; i < out->n; i++)
		if (strcasecmp(out->v[i], n) == 0) {
			free(n);
			return;
		}
	value_list_add(out, n);
	free(n);
}

/*
 * RFC 4515 keeps this simple: a value may hold "(" or ")" only escaped
 * (\28, \29), so every "(" opens a filter and every ")" closes one.  An
 * item's attribute description runs from its "(" to the first of "=~<>:"
 * (an extensible match may have none: "(:dn:2.5.13.5:=x)").
 */
bool
filter_attribute_names(const char *filter, struct value_list *out)
{
	const char *p = filter, *start;
	int depth = 0;
	size_t len;

	if (filter == NULL)
		return false;
	while (*p != '\0') {
		if (*p == ')') {
			depth--;
			p++;
			if (depth < 0)
				return false;
			continue;
		}
		if (*p != '(') {
			p++;
			continue;
		}
		depth++;
		p++;
		if (*p == '&' || *p == '|' || *p == '!' || *p == '(')
			continue;
		start = p;
		while (*p != '\0' && strchr("=~<>:()", *p) == NULL)
			p++;
		if (*p == '\0' || *p == '(' || *p == ')')
			return false;
		len = (size_t)(p - start);
		/* Options (";binary") are not the type. */
		for (size_t i = 0; i < len; i++)
			if (start[i] == ';')
				len = i;
		while (len > 0 && start[len - 1] == ' ')
			len--;
		if (len > 0)
			add_once(out, start, len);
		/* The value: up to this item's ")". */
		while (*p != '\0' && *p != ')')
			p++;
	}
	return depth == 0;
}
