/*
 * config_table.h: the private half of the config module, shared by
 * config.c (reading the file) and config_table.c (the keys).  Not for
 * other modules: they use config.h.  config_keys[] holds one row per key of
 * SPEC.md's INI file ([business_units] has none: its keys are BU names);
 * the functions convert, print and free a row's field by the row's type.
 */
#ifndef L2I_CONFIG_TABLE_H
#define L2I_CONFIG_TABLE_H

#include <stddef.h>
#include <stdio.h>

#include "config/config.h"

enum config_type {
	CT_STRING,	/* "" means NULL unless CF_NONEMPTY */
	CT_FILTER,	/* an LDAP filter, in parentheses */
	CT_DN,
	CT_URL,		/* http(s) base URL */
	CT_URIS,	/* LDAP URIs, space-separated */
	CT_BOOL,
	CT_INT,
	CT_DOUBLE,
	CT_DURATION,
	CT_LIMIT,
	CT_LEVEL,
	CT_DEST,
	CT_SYNCMODE,	/* content_sync: auto, yes, no */
	CT_SASLMECH,	/* sasl_mech: GSSAPI, EXTERNAL; "": none */
	CT_SECRET,	/* the value names a file; the secret lands at off */
	CT_DNLIST	/* DNs, the key repeated or continued; config.c keeps them */
};

#define CF_REQUIRED	0x1	/* no default: the file must set it */
#define CF_NONEMPTY	0x2	/* may not be set to "" */
#define CF_OPEN_MIN	0x4	/* min itself is out of range */

struct config_key {
	const char *section;
	const char *name;
	enum config_type type;
	const char *def;	/* default, as written in a file; NULL: none */
	size_t off;		/* of the field in struct config */
	int flags;
	long min, max;		/* CT_INT, CT_DOUBLE, CT_DURATION */
	const char *doc;	/* one line, for the man page list */
};

extern const struct config_key config_keys[];
extern const size_t config_nkeys;
/* In file order, [business_units] included. */
extern const char *const config_sections[];
extern const size_t config_nsections;

/* Convert val (not "") into k's field of cfg.  Returns 0, or -1 with why
 * set to the reason, without file, line or key. */
int config_convert(struct config *cfg, const struct config_key *k,
    const char *val, char *why, size_t whylen);
/* Print k's field as it would be written in the file; secrets as
 * "(set)" or "(not set)". */
void config_print_value(const struct config *cfg, const struct config_key *k,
    FILE *fp);
/* Free what k's field owns (secrets wiped) and leave it NULL. */
void config_free_value(struct config *cfg, const struct config_key *k);

#endif
