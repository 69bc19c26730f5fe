/*
 * filter.h: what an LDAP search filter (RFC 4515) names, read from its
 * text.  AD's DirSync reports an object only when one of the attributes
 * asked for changed (measured: DIRECTORY_SERVERS.md), so an incremental
 * read must ask for every attribute the user and disabled filters test,
 * or a change that moves a user out of scope would go unseen.
 */
#ifndef L2I_FILTER_H
#define L2I_FILTER_H

#include <stdbool.h>

#include "model/directory.h"

/* Add to out each attribute type the filter tests (options cut, each
 * once, case-insensitively).  false when the text is not a filter this
 * reader can follow; out then holds what was found before. */
bool filter_attribute_names(const char *filter, struct value_list *out);

#endif
