/*
 * fuzz_fixture.h: the fixed world the mapping fuzz targets place users
 * in: iMocha's BU list of IMOCHA_API.md plus a few, and a config whose
 * [business_units] map holds plain, escaped and multi-valued OU DNs,
 * ou_attribute set, match_ou_name on and a default BU.  Header-only: each
 * target is one translation unit plus the module archive.
 */
#ifndef L2I_FUZZ_FIXTURE_H
#define L2I_FUZZ_FIXTURE_H

#include <string.h>

#include "config/config.h"
#include "imocha/imocha.h"
#include "plan/mapping.h"

static struct imocha_bu fixture_bu_items[] = {
	{ 164373, (char *)"Default BU 1" },
	{ 170867, (char *)"Engineering" },
	{ 101, (char *)"Sales" },
	{ 102, (char *)"R&D, Europe" },
	{ 103, (char *)"42" },
	{ 104, (char *)"Ünïcode BU" },
};

static struct bu_map_entry fixture_bu_map[] = {
	{ (char *)"Engineering", (char *)"ou=Engineering,ou=People,dc=example,dc=com", (char *)"f:1" },
	{ (char *)"102", (char *)"ou=R\\26D\\2C Europe,ou=People,dc=example,dc=com", (char *)"f:2" },
	{ (char *)"Sales", (char *)"OU = Sales + l=Paris , ou=People,dc=example,dc=com", (char *)"f:3" },
	{ (char *)"Engineering", (char *)"ou=Twice,dc=example,dc=com", (char *)"f:4" },
	{ (char *)"Sales", (char *)"ou=Twice,dc=example,dc=com", (char *)"f:5" },
	{ (char *)"Nonexistent", (char *)"ou=Ghost,dc=example,dc=com", (char *)"f:6" },
	{ (char *)"42", (char *)"ou=\\23hash\\,x,dc=example,dc=com", (char *)"f:7" },
};

static const struct imocha_bu_list fixture_bus = {
	fixture_bu_items, sizeof fixture_bu_items / sizeof fixture_bu_items[0]
};

static void
fixture_config(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->match_ou_name = true;
	cfg->ou_attribute = (char *)"businessCategory";
	cfg->default_business_unit = (char *)"Default BU 1";
	cfg->bu_map = fixture_bu_map;
	cfg->bu_map_len = sizeof fixture_bu_map / sizeof fixture_bu_map[0];
	cfg->email_attribute = (char *)"mail";
	cfg->name_attribute = (char *)"cn";
	cfg->id_attribute = (char *)"entryUUID";
}

#endif
