/*
 * mapping.h: which iMocha business unit each directory user belongs in
 * (SPEC.md, "BU of a user").  The nearest OU above the user that maps wins;
 * an OU maps through, in order, [business_units], the OU entry's
 * ou_attribute, then match_ou_name; else the user's own bu_attribute
 * (directories that keep users flat); else default_business_unit; else the
 * user is unmapped.  An OU that names a BU iMocha lacks, or whose
 * ou_attribute has several values, is an error for its users: no fallback.
 * Pure: built from the config, the OUs read and iMocha's BU list.
 */
#ifndef L2I_MAPPING_H
#define L2I_MAPPING_H

#include <stdint.h>

#include "config/config.h"
#include "model/directory.h"
#include "model/groups.h"
#include "imocha/imocha.h"

struct mapping;

struct bu_choice {
	int64_t bu_id;		/* BU_NONE when the user cannot be placed */
	const char *bu_name;	/* iMocha's spelling; points into the BU list */
	char *problem;		/* owned; why it cannot be placed, else NULL */
};

/* Build the OU rules.  The config, OU list and BU list must outlive it. */
struct mapping *mapping_new(const struct config *cfg, const struct dir_ou *ous, size_t nous,
    const struct imocha_bu_list *bus);
void mapping_free(struct mapping *m);
/* The [business_units] groups (groups.h): a member of one is placed in
 * its BU ahead of any OU; of two naming different BUs, not at all (a
 * problem).  gs must outlive m; NULL: none. */
void mapping_set_groups(struct mapping *m, const struct group_scope *gs);
/* Place one user into *out (release out->problem with free): by DN, then,
 * when no OU maps, by bu_values (the user's bu_attribute; NULL or empty:
 * none), then default_business_unit. */
void mapping_place(const struct mapping *m, const char *user_dn,
    const struct value_list *bu_values, struct bu_choice *out);
/* Find a BU by id (all digits) or by name, case-insensitively; NULL if
 * iMocha has no such BU. */
const struct imocha_bu *bu_find(const struct imocha_bu_list *bus, const char *name_or_id);
const struct imocha_bu *bu_find_id(const struct imocha_bu_list *bus, int64_t id);
/* iMocha's name of BU id, or NULL (BU_NONE, or a BU iMocha no longer has). */
const char *bu_name_of(const struct imocha_bu_list *bus, int64_t id);

#endif
