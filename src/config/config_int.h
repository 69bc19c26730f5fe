/*
 * config_int.h: the reading of one config file, shared by config.c (the
 * file's lines and keys) and config_auth.c (the secrets and the bind
 * settings, checked once the file is read); nothing outside them
 * includes it.
 */
#ifndef L2I_CONFIG_INT_H
#define L2I_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config/config.h"

struct message {
	int line;		/* 0: about the whole file, goes last */
	size_t seq;
	char *text;
};

enum line_kind { LINE_OTHER, LINE_KEY, LINE_CONT, LINE_IGNORE };
#define ROW_NONE	(-1)	/* continuation lines go nowhere */
#define ROW_BU		(-2)	/* continuation lines are more OUs */
#define ROW_GROUP	(-3)	/* continuation lines are more group DNs */

struct parse {
	struct config *cfg;
	const char *path;
	FILE *fp;
	char *buf;		/* the physical line, any length */
	size_t bufcap;
	int lineno;
	enum line_kind kind;	/* of the line inih is handling */
	bool have_key;		/* inih takes an indented line as continuation */
	bool key_ok;		/* ... of a key line we kept */
	char sep;		/* '=' or ':' on the last key line */
	int row;		/* config_keys[] row continuation lines extend */
	char *cur_name;		/* last key, whole (inih truncates its copy) */
	size_t bu_cap;
	int bu_empty_line;	/* "BU =" whose OUs should follow, or 0 */
	size_t bu_len_then;	/* bu_map_len at that line */
	int *bu_line;		/* line of each bu_map entry */
	size_t bu_line_cap;
	size_t group_cap;
	int *group_line;	/* line of each group_dn entry */
	size_t group_line_cap;
	int errors;
	struct message *msgs;	/* errors, held to be logged in line order */
	size_t nmsgs, msgs_cap;
	int read_errno;		/* getline's failure, if any */
	char **raw;		/* per config_keys[] row: value as read, joined */
	int *line;		/* per row: line it was set on; 0: not set */
};

/* Every message is "FILE:LINE: KEY: why", or shorter when there is no
 * line (0) or no key (NULL); each counts as one error. */
void config_perr(struct parse *p, int line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The config_keys[] row of [section] name (section NULL: any), or -1. */
int config_key_find(const char *section, const char *name);

/* config_auth.c.  The bind password and the API key from their sources
 * (secret.c), last, once the file's own problems are told. */
void config_load_secrets(struct parse *p);
/*
 * The bind settings (sasl_mech, sasl_keytab, sasl_principal,
 * tls_cert_file, tls_key_file, with bind_dn and uri) checked together,
 * and the keytab's and key's files found: the key set, else the systemd
 * credential (ldap-keytab, ldap-tls-key), never the environment; each held
 * to the secret-file rule.
 */
void config_auth_settle(struct parse *p);

#endif
