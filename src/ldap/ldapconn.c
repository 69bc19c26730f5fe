/* ldapconn.c: see ldapconn.h. */
#include "ldap/ldapconn.h"

#include <errno.h>
#include <ldap.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ldap/ldapbind.h"
#include "util/log.h"
#include "util/xmem.h"

/*
 * With no ca_file the contract is "the system trust store".  libldap built
 * on GnuTLS (Debian's) does not load it by itself: it trusts whatever
 * /etc/ldap/ldap.conf or ~/.ldaprc name, or nothing.  So the agent names
 * the system bundle itself, the first of these that exists.
 */
static const char *const system_ca_bundles[] = {
	"/etc/ssl/certs/ca-certificates.crt",	/* Debian, Ubuntu, Alpine */
	"/etc/pki/tls/certs/ca-bundle.crt",	/* Fedora, RHEL */
	"/etc/ssl/ca-bundle.pem",		/* openSUSE */
	"/etc/ssl/cert.pem",			/* BSDs, macOS */
};

/*
 * One attempt at one URI, watched.  Debian's libldap 2.5 runs the TLS
 * handshake of ldaps:// on a blocking socket with no timeout (it is built
 * without LDAP_USE_NON_BLOCKING_TLS) and retries it on EAGAIN, so a server
 * that accepts the connection and then stays silent (a wedged slapd, a
 * load balancer with no backend) would hang the agent for good.  A
 * watchdog thread shuts the socket's reading side down (the blocked read
 * then sees end of file; writing stays possible, so no SIGPIPE) if
 * connect, TLS and bind have not finished in twice ldap_timeout; libldap's
 * own timeouts fire first in every other case.  libldap tells us the
 * socket through the connect callbacks, which it calls right after
 * connect(2), before TLS.
 */
struct attempt {
	struct ldap_conncb cb;	/* registered on the handle */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	int fd;			/* the connected socket, -1 when none */
	int seconds;
	bool connected;		/* a connection was made */
	bool done;		/* the attempt has ended */
	bool fired;		/* the watchdog shut the socket */
};

char *
ldapconn_diagnostic(struct ldap *ld)
{
	char *msg = NULL, *copy;

	if (ld == NULL ||
	    ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &msg) != LDAP_OPT_SUCCESS ||
	    msg == NULL)
		return xstrdup("");
	copy = xstrdup(msg);
	ldap_memfree(msg);
	return copy;
}

/* One failure of one URI: "LDAP URI: what: libldap's text: diagnostic". */
static void
conn_failed(LDAP *ld, const char *uri, int lrc, const char *what)
{
	char *diag = ldapconn_diagnostic(ld);

	log_warnx("LDAP %s: %s: %s%s%s", uri, what, ldap_err2string(lrc),
	    *diag ? ": " : "", diag);
	free(diag);
}

static int
opt_set(LDAP *ld, const char *uri, int option, const void *value, const char *name)
{
	int lrc = ldap_set_option(ld, option, value);

	if (lrc == LDAP_OPT_SUCCESS)
		return 0;
	conn_failed(ld, uri, lrc, name);
	return -1;
}

/* Connect callback: note the socket for the watchdog.  The receive
 * timeout also bounds a read stuck in the middle of a TLS record later
 * on (libldap takes the EAGAIN as "poll again", under its own timeout). */
static int
conn_added(LDAP *ld, Sockbuf *sb, LDAPURLDesc *srv, struct sockaddr *addr,
    struct ldap_conncb *ctx)
{
	struct attempt *a = ctx->lc_arg;
	struct timeval tv = { a->seconds / 2, 0 };
	ber_socket_t fd = -1;

	(void)ld;
	(void)srv;
	(void)addr;
	if (ber_sockbuf_ctrl(sb, LBER_SB_OPT_GET_FD, &fd) != 1 || fd < 0)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == -1)
		log_debug("LDAP: cannot set a receive timeout: %s", strerror(errno));
	pthread_mutex_lock(&a->mu);
	a->fd = fd;
	a->connected = true;
	pthread_mutex_unlock(&a->mu);
	return 0;
}

/* Called before libldap closes a connection: the fd is no longer ours to
 * shut down. */
static void
conn_deleted(LDAP *ld, Sockbuf *sb, struct ldap_conncb *ctx)
{
	struct attempt *a = ctx->lc_arg;

	(void)ld;
	(void)sb;
	pthread_mutex_lock(&a->mu);
	a->fd = -1;
	pthread_mutex_unlock(&a->mu);
}

static void *
watchdog(void *arg)
{
	struct attempt *a = arg;
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += a->seconds;
	pthread_mutex_lock(&a->mu);
	while (!a->done && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&a->cv, &a->mu, &until);
	if (!a->done && a->fd >= 0) {
		shutdown(a->fd, SHUT_RD);
		a->fired = true;
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/* Start watching (not when ldap_timeout is 0: no limit).  Whatever it
 * returns, watch_stop ends it. */
static int
watch_start(struct attempt *a, LDAP *ld, const char *uri, int timeout)
{
	pthread_condattr_t attr;

	*a = (struct attempt){ .cb = { conn_added, conn_deleted, a }, .fd = -1 };
	pthread_mutex_init(&a->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&a->cv, &attr);
	pthread_condattr_destroy(&attr);
	if (timeout <= 0)
		return 0;
	a->seconds = 2 * timeout;
	if (opt_set(ld, uri, LDAP_OPT_CONNECT_CB, &a->cb,
	    "cannot set the connect callback") == -1) {
		a->seconds = 0;
		return -1;
	}
	if ((errno = pthread_create(&a->thread, NULL, watchdog, a)) != 0) {
		log_warn("LDAP %s: cannot start the connection watchdog", uri);
		ldap_get_option(ld, LDAP_OPT_CONNECT_CB, &a->cb);
		a->seconds = 0;
		return -1;
	}
	return 0;
}

/* End the watch; the callback is unregistered (getting it removes it), as
 * the attempt it points to is about to go. */
static void
watch_stop(struct attempt *a, LDAP *ld)
{
	if (a->seconds > 0) {
		pthread_mutex_lock(&a->mu);
		a->done = true;
		pthread_cond_signal(&a->cv);
		pthread_mutex_unlock(&a->mu);
		pthread_join(a->thread, NULL);
		ldap_get_option(ld, LDAP_OPT_CONNECT_CB, &a->cb);
	}
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
}

static const char *
system_ca_bundle(void)
{
	for (size_t i = 0; i < sizeof system_ca_bundles / sizeof system_ca_bundles[0]; i++)
		if (access(system_ca_bundles[i], R_OK) == 0)
			return system_ca_bundles[i];
	return NULL;
}

/* Protocol, limits and timeouts: set here so that ldap.conf and ~/.ldaprc
 * (which libldap reads on its own) cannot change what a read means. */
static int
conn_options(const struct config *cfg, const char *uri, LDAP *ld)
{
	int version = LDAP_VERSION3, deref = LDAP_DEREF_NEVER, nolimit = 0;
	int timelimit = cfg->ldap_timeout > 0 ? cfg->ldap_timeout : 0;
	struct timeval tv = { cfg->ldap_timeout, 0 };

	if (opt_set(ld, uri, LDAP_OPT_PROTOCOL_VERSION, &version, "cannot set LDAPv3") == -1 ||
	    opt_set(ld, uri, LDAP_OPT_REFERRALS, LDAP_OPT_OFF, "cannot turn referral chasing off") == -1 ||
	    opt_set(ld, uri, LDAP_OPT_DEREF, &deref, "cannot turn alias dereferencing off") == -1 ||
	    opt_set(ld, uri, LDAP_OPT_SIZELIMIT, &nolimit, "cannot set the size limit") == -1 ||
	    opt_set(ld, uri, LDAP_OPT_TIMELIMIT, &timelimit, "cannot set the time limit") == -1)
		return -1;
	if (cfg->ldap_timeout <= 0)
		return 0;
	if (opt_set(ld, uri, LDAP_OPT_NETWORK_TIMEOUT, &tv, "cannot set the network timeout") == -1 ||
	    opt_set(ld, uri, LDAP_OPT_TIMEOUT, &tv, "cannot set the timeout") == -1)
		return -1;
	return 0;
}

/* ldaps://, or ldap:// with StartTLS. */
static bool
conn_uses_tls(const struct config *cfg, const char *uri)
{
	return strncasecmp(uri, "ldaps://", 8) == 0 ||
	    (cfg->starttls && strncasecmp(uri, "ldap://", 7) == 0);
}

/*
 * One TLS context serves every connection of the process that has the
 * same TLS settings: GnuTLS reads the CA bundle (about 15 ms for the
 * system's) and the client certificate once, not per connection, and
 * libldap 2.5 never frees the copies it makes of a client key and
 * certificate when it builds a context (tls_g.c, tlsg_ctx_init), which a
 * daemon would otherwise lose at every connection.  The settings include
 * the files' change times, so a renewed certificate is read again at the
 * next connection.  A context given up for another stays allocated: it
 * happens when the settings change, not per connection.
 */
static struct {
	void *ctx;		/* libldap's tls_ctx, one reference held */
	char *settings;		/* what it was built from */
} shared_tls;

/* The settings a context is built from, as one string (owned). */
static char *
tls_settings(const struct config *cfg, const char *ca, int require)
{
	const char *files[] = { ca, cfg->tls_cert_file, cfg->tls_key_file };
	char *s = xasprintf("%d", require), *more;
	struct stat sb;

	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		if (files[i] != NULL && stat(files[i], &sb) == 0)
			more = xasprintf("%s|%s@%lld.%ld+%lld", s, files[i],
			    (long long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec,
			    (long long)sb.st_size);
		else
			more = xasprintf("%s|%s", s, files[i] ? files[i] : "");
		free(s);
		s = more;
	}
	return s;
}

/* TLS options on this handle only; NEWCTX last builds the handle's TLS
 * context from them (and reads the CA file now, so a bad one shows here),
 * unless the process has one for the same settings already. */
static int
conn_tls_options(const struct config *cfg, const char *uri, LDAP *ld)
{
	int require = cfg->ldap_insecure_skip_tls_verify ?
	    LDAP_OPT_X_TLS_NEVER : LDAP_OPT_X_TLS_DEMAND;
	int min = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2, client = 0;
	const char *ca = cfg->ldap_ca_file ? cfg->ldap_ca_file : system_ca_bundle();
	char *what, *settings;
	void *ctx = NULL;
	int rc;

	/* Per handle as well: libldap checks the server's name against the
	 * handle's setting, not the context's. */
	if (opt_set(ld, uri, LDAP_OPT_X_TLS_REQUIRE_CERT, &require,
	    "cannot set the certificate check") == -1 ||
	    opt_set(ld, uri, LDAP_OPT_X_TLS_PROTOCOL_MIN, &min,
	    "cannot require TLS 1.2") == -1)
		return -1;
	if (cfg->ldap_ca_file != NULL && access(ca, R_OK) == -1) {
		log_warnx("LDAP %s: cannot read the CA file %s: %s", uri, ca,
		    strerror(errno));
		return -1;
	}
	settings = tls_settings(cfg, ca, require);
	if (shared_tls.ctx != NULL && strcmp(settings, shared_tls.settings) == 0) {
		free(settings);
		return opt_set(ld, uri, LDAP_OPT_X_TLS_CTX, shared_tls.ctx,
		    "cannot use the process's TLS context");
	}
	if (ca != NULL && opt_set(ld, uri, LDAP_OPT_X_TLS_CACERTFILE, ca,
	    "cannot set the CA file") == -1)
		goto fail;
	if (ca == NULL)
		log_debug("LDAP %s: no CA file given nor system bundle found; "
		    "libldap's own defaults apply", uri);
	/* A client certificate: EXTERNAL's identity, or one a server asks of
	 * every client. */
	if (cfg->tls_cert_file != NULL &&
	    (opt_set(ld, uri, LDAP_OPT_X_TLS_CERTFILE, cfg->tls_cert_file,
	    "cannot set the client certificate (tls_cert_file)") == -1 ||
	    opt_set(ld, uri, LDAP_OPT_X_TLS_KEYFILE, cfg->tls_key_file,
	    "cannot set the client key (tls_key_file)") == -1))
		goto fail;
	what = xasprintf("cannot set up TLS (CA file %s%s%s)", ca ? ca : "none",
	    cfg->tls_cert_file ? ", client certificate " : "",
	    cfg->tls_cert_file ? cfg->tls_cert_file : "");
	rc = opt_set(ld, uri, LDAP_OPT_X_TLS_NEWCTX, &client, what);
	free(what);
	/* Getting the handle's context takes a reference: the process's. */
	if (rc == 0 && ldap_get_option(ld, LDAP_OPT_X_TLS_CTX, &ctx) == LDAP_OPT_SUCCESS &&
	    ctx != NULL) {
		shared_tls.ctx = ctx;
		free(shared_tls.settings);
		shared_tls.settings = settings;
		return 0;
	}
	free(settings);
	return rc;
fail:
	free(settings);
	return -1;
}

/*
 * StartTLS when asked, and only where it means something (ldaps:// is TLS
 * already, ldapi:// a local socket), then the bind (ldapbind.c): either
 * way an operation, so an unreachable server shows here and the next URI
 * gets its turn.  Returns libldap's code; *what names the step that
 * failed.
 */
static int
conn_handshake(const struct config *cfg, const char *uri, LDAP *ld, char **what)
{
	int lrc;

	*what = NULL;
	if (cfg->starttls && strncasecmp(uri, "ldap://", 7) == 0) {
		lrc = ldap_start_tls_s(ld, NULL, NULL);
		if (lrc != LDAP_SUCCESS) {
			*what = xstrdup("StartTLS failed (starttls = yes requires it)");
			return lrc;
		}
	}
	return ldapbind(cfg, uri, ld, conn_uses_tls(cfg, uri), what);
}

/* What libldap leaves unsaid about a failed attempt.  GnuTLS reports a
 * rejected certificate as "(unknown error code)". */
static char *
conn_why(const struct config *cfg, const char *uri, const struct attempt *a, int lrc)
{
	bool tls = conn_uses_tls(cfg, uri);

	if (a->fired)
		return xasprintf(" (no answer in %d s)", a->seconds);
	/* A server refusing the client's certificate, or asking for one
	 * it did not get, says no more than a bad server certificate does. */
	if (tls && a->connected && (lrc == LDAP_SERVER_DOWN || lrc == LDAP_CONNECT_ERROR))
		return xasprintf(" (the TLS handshake or the certificate check "
		    "failed: is [ldap] ca_file the CA that signed the server's "
		    "certificate, and does the certificate name the host in "
		    "the URI? %s)", cfg->tls_cert_file ? "Or the server refused the "
		    "client certificate (tls_cert_file)" : "Or the server demands a "
		    "client certificate (tls_cert_file)");
	return xstrdup("");
}

static int
conn_try(const struct config *cfg, const char *uri, LDAP **out)
{
	struct attempt a;
	LDAP *ld = NULL;
	char *what = NULL, *why, *text;
	int lrc;

	*out = NULL;
	lrc = ldap_initialize(&ld, uri);
	if (lrc != LDAP_SUCCESS) {
		conn_failed(NULL, uri, lrc, "cannot use this URI");
		goto fail;
	}
	/* A connection without TLS does not load the CA bundle: reading the
	 * system's costs about 15 ms, a third of an incremental run. */
	if (conn_options(cfg, uri, ld) == -1 ||
	    (conn_uses_tls(cfg, uri) && conn_tls_options(cfg, uri, ld) == -1))
		goto fail;
	if (watch_start(&a, ld, uri, cfg->ldap_timeout) == -1) {
		watch_stop(&a, ld);
		goto fail;
	}
	lrc = conn_handshake(cfg, uri, ld, &what);
	watch_stop(&a, ld);
	if (lrc == LDAP_SUCCESS) {
		*out = ld;
		return 0;
	}
	why = conn_why(cfg, uri, &a, lrc);
	text = xasprintf("%s%s", what, why);
	free(why);
	conn_failed(ld, uri, lrc, text);
	free(text);
	free(what);
fail:
	ldapconn_close(ld);
	return -1;
}

int
ldapconn_open(const struct config *cfg, struct ldap **out, const char **uri)
{
	size_t i;

	*out = NULL;
	*uri = NULL;
	if (cfg->ldap_insecure_skip_tls_verify)
		log_warnx("LDAP: insecure_skip_tls_verify = yes: the server's "
		    "certificate is not checked; anyone on the path can read "
		    "and change what the agent sees");
	/* RFC 4513 5.1.2: a DN with an empty password is an unauthenticated
	 * bind that many servers accept as anonymous. */
	if (cfg->bind_dn != NULL && cfg->bind_dn[0] != '\0' &&
	    (cfg->bind_password == NULL || cfg->bind_password[0] == '\0')) {
		log_errorx("LDAP: bind_dn %s is set but the bind password is "
		    "empty; refusing to send an unauthenticated bind", cfg->bind_dn);
		return -1;
	}
	for (i = 0; cfg->ldap_uris != NULL && cfg->ldap_uris[i] != NULL; i++) {
		if (conn_try(cfg, cfg->ldap_uris[i], out) == 0) {
			*uri = cfg->ldap_uris[i];
			log_debug("LDAP %s: connected and bound", *uri);
			return 0;
		}
	}
	log_errorx("LDAP: none of the %zu configured URIs could be used", i);
	return -1;
}

/*
 * libldap writes to its sockets with write(2), so a server that reset the
 * connection could kill the agent with SIGPIPE (seen with TLS).  The
 * signal is held back in this thread while libldap runs, and dropped if
 * it came.
 */
void
ldapconn_sigpipe_hold(sigset_t *old)
{
	sigset_t pipe;

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, old);
}

void
ldapconn_sigpipe_release(const sigset_t *old)
{
	sigset_t pipe, pending;
	struct timespec zero = { 0, 0 };

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	/* Only a SIGPIPE raised here: one already held by the caller is
	 * the caller's. */
	if (!sigismember(old, SIGPIPE) && sigpending(&pending) == 0 &&
	    sigismember(&pending, SIGPIPE))
		while (sigtimedwait(&pipe, NULL, &zero) == -1 && errno == EINTR)
			continue;
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

void
ldapconn_close(struct ldap *ld)
{
	if (ld != NULL)
		ldap_unbind_ext_s(ld, NULL, NULL);
}
