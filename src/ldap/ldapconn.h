/*
 * ldapconn.h: the LDAP source's connection (ldapsrc.c's one helper; the two
 * are the only files that speak libldap, and this header does not include
 * it).  ldapconn_open tries each URI of cfg->ldap_uris in order, with every
 * option the agent relies on set on the handle (TLS, timeouts, no referral
 * chasing), StartTLS when asked, then binds; each failure is logged once.
 */
#ifndef L2I_LDAPCONN_H
#define L2I_LDAPCONN_H

#include <signal.h>

#include "config/config.h"

struct ldap;	/* libldap's LDAP */

/* Connect and bind to the first URI that allows it.  0: *out is the bound
 * handle (close it with ldapconn_close) and *uri points into cfg; -1 after
 * logging each URI's failure. */
int ldapconn_open(const struct config *cfg, struct ldap **out, const char **uri);
/* Unbind and free; NULL is fine. */
void ldapconn_close(struct ldap *ld);
/* The handle's diagnostic message (the server's or libldap's own text), ""
 * when there is none.  The caller frees it. */
char *ldapconn_diagnostic(struct ldap *ld);

/* Hold SIGPIPE back in the calling thread around libldap calls (a reset
 * connection must not kill the agent); release restores the old mask and
 * drops a SIGPIPE raised meanwhile. */
void ldapconn_sigpipe_hold(sigset_t *old);
void ldapconn_sigpipe_release(const sigset_t *old);

#endif
