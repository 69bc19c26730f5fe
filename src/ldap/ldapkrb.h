/*
 * ldapkrb.h: the agent's own Kerberos credentials for sasl_mech = GSSAPI
 * (see ldapkrb.c): from [ldap] sasl_keytab, in a ccache of the process's
 * own that GSSAPI is pointed at.  One set per process.
 */
#ifndef L2I_LDAPKRB_H
#define L2I_LDAPKRB_H

#include "config/config.h"

/* Valid credentials for cfg's principal, fetched from the keytab when
 * there are none or they are near their end.  0, or -1 after logging
 * why, naming the key to fix. */
int ldapkrb_ready(const struct config *cfg);
/* The server refused the ticket (expired early, key changed): the next
 * ldapkrb_ready fetches new credentials. */
void ldapkrb_forget(void);
/* The principal the credentials are for; NULL before any. */
const char *ldapkrb_principal(void);
/* Destroy the ccache and free everything (process exit). */
void ldapkrb_end(void);

#endif
