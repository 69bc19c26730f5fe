/*
 * ldapbind.h: the bind of a connection ldapconn.c opened: a simple bind
 * with bind_dn (or an anonymous one), or SASL GSSAPI (Kerberos from the
 * keytab: ldapkrb.h) or EXTERNAL (the TLS client certificate, or the
 * ldapi:// peer).  Only ldapconn.c and ldapsrc.c use it.
 */
#ifndef L2I_LDAPBIND_H
#define L2I_LDAPBIND_H

#include <stdbool.h>

#include "config/config.h"

struct ldap;	/* libldap's LDAP */

/* Bind ld, connected to uri (tls: the connection is TLS).  Returns
 * libldap's code; on failure *what (owned) says what failed and, where it
 * can, which key to fix. */
int ldapbind(const struct config *cfg, const char *uri, struct ldap *ld, bool tls,
    char **what);
/* Who the server says the bound connection is (owned): its "Who am I?"
 * answer, else what the agent bound with. */
char *ldapbind_identity(const struct config *cfg, struct ldap *ld);

#endif
