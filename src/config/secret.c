/* secret.c: see secret.h. */
#include "config/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"
#include "util/xmem.h"

/*
 * The owner and mode rule of OpenBSD's ypldap: anyone else who can change
 * the file can feed us a key, anyone else who can read it can steal it.
 * Group read stays allowed so a service group may share the file.
 */
static int
check_owner_mode(const struct stat *sb, const char *path, const char *what)
{
	uid_t euid = geteuid();
	mode_t mode = sb->st_mode & 07777;
	int rc = 0;

	if (!S_ISREG(sb->st_mode)) {
		log_errorx("%s: %s: not a regular file", what, path);
		return -1;
	}
	if (sb->st_uid != 0 && sb->st_uid != euid) {
		char owner[32];

		if (euid == 0)
			snprintf(owner, sizeof owner, "root");
		else
			snprintf(owner, sizeof owner, "%u", (unsigned)euid);
		log_errorx("%s: %s: owned by uid %u, not root or the running user "
		    "(uid %u); run: chown %s %s", what, path, (unsigned)sb->st_uid,
		    (unsigned)euid, owner, path);
		rc = -1;
	}
	if (mode & (S_IWGRP | S_IRWXO)) {
		const char *why = (mode & S_IWGRP) ? "group-writable" :
		    (mode & S_IROTH) ? "readable by others" : "accessible to others";

		log_errorx("%s: %s: %s (mode %04o); run: chmod 600 %s", what, path,
		    why, (unsigned)mode, path);
		rc = -1;
	}
	return rc;
}

/* Strip one trailing newline, then refuse what cannot be a one-line
 * secret: a stray line break would end up inside an HTTP header.  what
 * and path (NULL for the environment) name the source in messages. */
static int
check_value(char *buf, size_t len, const char *what, const char *path)
{
	const char *why = NULL;

	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	if (len == 0)
		why = "is empty";
	else if (memchr(buf, '\0', len) != NULL || strcspn(buf, "\r\n") != len)
		why = "holds more than one line or a NUL byte; a secret is one line";
	if (why == NULL)
		return 0;
	if (path != NULL)
		log_errorx("%s: %s: %s", what, path, why);
	else
		log_errorx("%s: %s", what, why);
	return -1;
}

static ssize_t
read_all(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while (len < cap) {
		n = read(fd, buf + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	return (ssize_t)len;
}

static int
open_secret(const char *path, const char *what, bool missing_ok)
{
	/* O_NONBLOCK: a FIFO planted at the path must not hang us before
	 * fstat refuses it. */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd != -1)
		return fd;
	if (errno == ENOENT && missing_ok)
		return -2;
	if (errno == ELOOP)
		log_errorx("%s: %s: is a symbolic link; name the file itself",
		    what, path);
	else
		log_errorx("%s: %s: %s", what, path, strerror(errno));
	return -1;
}

int
secret_read_file(const char *path, const char *what, bool missing_ok, char **out)
{
	struct stat sb;
	char *buf = NULL;
	ssize_t len = 0;
	int fd, rc = -1;

	*out = NULL;
	if ((fd = open_secret(path, what, missing_ok)) == -2)
		return 1;
	if (fd == -1)
		return -1;
	if (fstat(fd, &sb) == -1) {
		log_errorx("%s: %s: %s", what, path, strerror(errno));
		goto out;
	}
	if (check_owner_mode(&sb, path, what) == -1)
		goto out;
	buf = xmalloc(SECRET_MAX_LEN + 2);
	if ((len = read_all(fd, buf, SECRET_MAX_LEN + 1)) == -1) {
		log_errorx("%s: %s: %s", what, path, strerror(errno));
		goto out;
	}
	buf[len] = '\0';
	if (len > SECRET_MAX_LEN) {
		log_errorx("%s: %s: longer than %d bytes; is it the right file?",
		    what, path, SECRET_MAX_LEN);
		goto out;
	}
	if (check_value(buf, (size_t)len, what, path) == -1)
		goto out;
	*out = buf;
	buf = NULL;
	rc = 0;
out:
	if (buf != NULL) {
		explicit_bzero(buf, SECRET_MAX_LEN + 2);
		free(buf);
	}
	close(fd);
	return rc;
}

static int
secret_from_env(const char *name, char **out)
{
	const char *val = getenv(name);
	char *copy;

	if (val == NULL)
		return 1;
	copy = xstrdup(val);
	if (check_value(copy, strlen(copy), name, NULL) == -1) {
		secret_free(copy);
		return -1;
	}
	*out = copy;
	return 0;
}

int
secret_check_file(const char *path, const char *what)
{
	struct stat sb;
	int fd = open_secret(path, what, false), rc = -1;

	if (fd == -1)
		return -1;
	if (fstat(fd, &sb) == -1)
		log_errorx("%s: %s: %s", what, path, strerror(errno));
	else
		rc = check_owner_mode(&sb, path, what);
	close(fd);
	return rc;
}

char *
secret_credential_path(const char *name)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	struct stat sb;
	char *path;

	if (dir == NULL || *dir == '\0')
		return NULL;
	path = xasprintf("%s/%s", dir, name);
	/* One byte or none is the units' SetCredential= fallback: no file. */
	if (lstat(path, &sb) == 0 && (!S_ISREG(sb.st_mode) || sb.st_size > 1))
		return path;
	free(path);
	return NULL;
}

int
secret_load(const struct secret_source *src, char **out)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	char *path, *what;
	int rc;

	*out = NULL;
	if (src->file != NULL)
		return secret_read_file(src->file, src->file_what, false,
		    out) == 0 ? 0 : -1;
	if (dir != NULL && *dir != '\0') {
		path = xasprintf("%s/%s", dir, src->credential);
		what = xasprintf("$CREDENTIALS_DIRECTORY/%s", src->credential);
		rc = secret_read_file(path, what, true, out);
		free(path);
		free(what);
		if (rc != 1)
			return rc;
	}
	return secret_from_env(src->env, out);
}
