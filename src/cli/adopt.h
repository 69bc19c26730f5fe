/*
 * adopt.h: `ldap2imocha adopt FILE` (SPEC.md, Adoption): record the users
 * an iMocha user export names as known, so the planner manages them
 * instead of creating them.  FILE is CSV (csv.h) whose header names the
 * columns email (required), business_unit (BU name or id) and status
 * (Active or Inactive), in any order, matched case-insensitively with a
 * space or hyphen standing for the underscore; other columns are ignored.
 */
#ifndef L2I_ADOPT_H
#define L2I_ADOPT_H

#include "config/config.h"

/* Validate the whole file first, logging each fault as "FILE:LINE: why";
 * any fault records nothing and returns EXIT_CONFIG.  iMocha is only asked
 * for its BU list (when a row names a BU).  Then, under the run lock, one
 * transaction adds the users not yet known (state_known_import), one
 * summary line goes to stdout, and the run is recorded as "adopt".
 * Returns an enum exit_status (syncrun.h): 0, 2, 4 (BU list) or 6 (lock). */
int adopt_run(const struct config *cfg, const char *path);

#endif
