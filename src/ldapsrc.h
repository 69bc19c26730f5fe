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

#include <signal.h>

#include "config.h"
#include "directory.h"

int ldapsrc_read(const struct config *cfg, struct dir_snapshot *out);
/* While *flag is non-zero a read in progress ends (as failed) at its next
 * page or entry: the daemon's SIGTERM must not wait for a whole directory. */
void ldapsrc_set_stop_flag(const volatile sig_atomic_t *flag);
/* The same read through RFC 4533 content sync, refreshOnly, never combined
 * with paging: with cookie NULL every user comes back, with a cookie only
 * what changed since.  Returns 0 and fills *out; 1 when the server does
 * not offer content sync (result 12: use ldapsrc_read); 2 when the server
 * wants a full refresh (the cookie is too old: call again with NULL); -1
 * after logging why the read is incomplete.  Nothing is kept on failure. */
int ldapsrc_read_sync(const struct config *cfg, const char *cookie, struct dir_delta *out);
/* Connect and bind only (the check command).  0 ok, -1 logged. */
int ldapsrc_check(const struct config *cfg);

#endif
