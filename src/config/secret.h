/*
 * secret.h: reading the two secrets (LDAP bind password, iMocha API key)
 * from their sources, first to last: a configured file, the systemd
 * credential $CREDENTIALS_DIRECTORY/NAME, an environment variable.  A secret
 * is one line; one trailing newline is stripped.  A secret file must be a
 * regular file owned by root or the running user, not group-writable and
 * not accessible to others (OpenBSD ypldap's rule).  The value is never
 * logged; failures are logged once, naming the file and the fix.
 */
#ifndef L2I_SECRET_H
#define L2I_SECRET_H

#include <stdbool.h>

#define SECRET_MAX_LEN 4096	/* a longer file is refused */

struct secret_source {
	const char *file;	/* configured *_file, or NULL */
	const char *file_what;	/* "FILE:LINE: KEY", prefixes messages about it */
	const char *credential;	/* file name under $CREDENTIALS_DIRECTORY */
	const char *env;	/* environment variable */
};

/* Take the secret from the first source present into *out (free it with
 * secret_free).  A configured file that cannot be used is an error, not a
 * fall-through.  Returns 0, 1 when no source is present, -1 after logging. */
int secret_load(const struct secret_source *src, char **out);
/* Read one secret file.  Returns 0, 1 when it does not exist and
 * missing_ok, -1 after logging "what: path: why". */
int secret_read_file(const char *path, const char *what, bool missing_ok, char **out);

/* Hold the file at path to the secret-file rule without reading it (a
 * keytab, a private key: other libraries read them).  0, or -1 after
 * logging "what: path: why". */
int secret_check_file(const char *path, const char *what);
/* $CREDENTIALS_DIRECTORY/name when that file exists (owned), else NULL;
 * a file of one byte or none is taken for none (the units give each
 * credential such a fallback). */
char *secret_credential_path(const char *name);

#endif
