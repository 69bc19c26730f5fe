/*
 * user.h: pure rules about one directory user's values (SPEC.md, Values and
 * Identity): e-mail validity and key, the printable form of a binary id,
 * and the choice among several values.  No I/O; returned strings are the
 * caller's to free.
 */
#ifndef L2I_USER_H
#define L2I_USER_H

#include <stdbool.h>
#include <stddef.h>

#include "model/directory.h"

/* One "@", non-empty local part, a domain holding a dot, no white space or
 * control characters, at most 254 bytes. */
bool email_is_valid(const char *email);
/* The key iMocha users are known by: the e-mail in lower case. */
char *email_key(const char *email);
/* Printable id for a value of len bytes of the id attribute attr.  AD's
 * objectGUID (16 bytes; recognised by the attribute's name, since a GUID's
 * bytes can happen to be valid text) becomes the GUID string AD tools show
 * (first three groups byte-swapped), lowercase.  Otherwise valid UTF-8
 * text without control characters is kept as is, other 16-byte values take
 * the GUID form too, and any other binary value becomes lowercase hex. */
char *user_id_printable(const char *attr, const unsigned char *bytes, size_t len);
/* SPEC.md: of several values, the one already known (compared
 * case-insensitively) if present, else the first in case-insensitive
 * order.  Returns a pointer into list, or NULL when it is empty. */
const char *value_choose(const struct value_list *list, const char *known);
/* The name to send: name_attribute's value, else "givenName sn", else the
 * e-mail.  Returns a new string. */
char *user_display_name(const struct dir_user *u, const char *known_name, const char *email);
/* True when s is valid UTF-8 holding no control characters (tab aside). */
bool text_is_clean(const char *s, size_t len);

#endif
