/*
 * ldapsrc.h: the LDAP source; with ldapconn.c (connection, TLS, bind) the
 * only code that speaks libldap.
 * ldapsrc_read connects (each configured URI in turn), binds, and reads
 * every in-scope user entry under base_dn, (&user_filter(!disabled_filter)),
 * with RFC 2696 paging and only the needed attributes, and every OU
 * (objectClass=organizationalUnit) under base_dn.  It fills *out only when
 * the whole read succeeded; any other ending (bind failure, size or time
 * limit, referral result, dropped connection) logs why once, releases what
 * was read, and returns -1: the caller changes nothing.
 */
#ifndef L2I_LDAPSRC_H
#define L2I_LDAPSRC_H

#include "config.h"
#include "directory.h"

int ldapsrc_read(const struct config *cfg, struct dir_snapshot *out);
/* Connect and bind only (the check command).  0 ok, -1 logged. */
int ldapsrc_check(const struct config *cfg);

#endif
