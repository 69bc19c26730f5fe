/* notify.c: see notify.h. */
#include "util/notify.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/xmem.h"

struct notify {
	int fd;
	struct sockaddr_un addr;
	socklen_t addrlen;
	bool warned;		/* a failed send was reported once */
	/* the watchdog thread */
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool closing;
	uint64_t period_usec;
};

/* sd_notify(3): a path, or "@name" for Linux's abstract namespace (the '@'
 * becomes a NUL and the length excludes any terminator). */
static int
notify_address(struct notify *n, const char *where)
{
	size_t len = strlen(where);

	if ((where[0] != '/' && where[0] != '@') || len < 2 ||
	    len >= sizeof n->addr.sun_path) {
		log_warnx("NOTIFY_SOCKET=%s: not a socket path or an @abstract name; "
		    "not notifying the service manager", where);
		return -1;
	}
	n->addr.sun_family = AF_UNIX;
	memcpy(n->addr.sun_path, where, len);
	if (where[0] == '@') {
		n->addr.sun_path[0] = '\0';
		n->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	} else
		n->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	return 0;
}

struct notify *
notify_open(void)
{
	const char *where = getenv("NOTIFY_SOCKET");
	struct notify *n;

	if (where == NULL || *where == '\0')
		return NULL;
	n = xcalloc(1, sizeof *n);
	n->fd = -1;
	if (notify_address(n, where) == -1)
		goto fail;
	if ((n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("NOTIFY_SOCKET: socket");
		goto fail;
	}
	pthread_mutex_init(&n->mu, NULL);
	return n;
fail:
	free(n);
	return NULL;
}

void
notify_send(struct notify *n, const char *msg)
{
	if (n == NULL)
		return;
	if (sendto(n->fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&n->addr,
	    n->addrlen) != -1)
		return;
	if (!n->warned)
		log_warn("NOTIFY_SOCKET: cannot send \"%.40s\" (reported once)", msg);
	else
		log_debug("NOTIFY_SOCKET: cannot send \"%.40s\": %s", msg, strerror(errno));
	n->warned = true;
}

void
notify_reloading(struct notify *n)
{
	struct timespec now;
	char msg[80];

	if (n == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
	    (uint64_t)now.tv_sec * 1000000 + (uint64_t)now.tv_nsec / 1000);
	notify_send(n, msg);
}

/* The period, or 0 when the service manager wants no watchdog from us. */
static uint64_t
watchdog_period(void)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	unsigned long long v;
	char *end;

	if (usec == NULL || *usec == '\0')
		return 0;
	if (pid != NULL && *pid != '\0') {
		errno = 0;
		v = strtoull(pid, &end, 10);
		if (errno != 0 || *end != '\0' || v != (unsigned long long)getpid())
			return 0;	/* meant for another process */
	}
	errno = 0;
	v = strtoull(usec, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0) {
		log_warnx("WATCHDOG_USEC=%s: not a number of microseconds; no watchdog", usec);
		return 0;
	}
	return v / 2;
}

/* True once the monotonic clock has reached *at. */
static bool
time_reached(const struct timespec *at)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > at->tv_sec || (now.tv_sec == at->tv_sec && now.tv_nsec >= at->tv_nsec);
}

/* Add usec to *at. */
static void
timespec_add_usec(struct timespec *at, uint64_t usec)
{
	at->tv_sec += (time_t)(usec / 1000000);
	at->tv_nsec += (long)(usec % 1000000) * 1000;
	if (at->tv_nsec >= 1000000000L) {
		at->tv_sec++;
		at->tv_nsec -= 1000000000L;
	}
}

/*
 * A thread, not the main loop, because a run may last hours (a first sync
 * at iMocha's rate) inside libldap or the HTTP pool, each of whose waits
 * is bounded by its own timeout.  So the pings say the process lives; the
 * timeouts, not the watchdog, bound a stuck run.  The thread never logs:
 * its lines could interleave with the main thread's.
 */
static void *
watchdog_main(void *arg)
{
	static const char ping[] = "WATCHDOG=1";
	struct notify *n = arg;
	struct timespec at;

	clock_gettime(CLOCK_MONOTONIC, &at);	/* the first ping at once */
	pthread_mutex_lock(&n->mu);
	while (!n->closing) {
		if (time_reached(&at)) {
			(void)sendto(n->fd, ping, sizeof ping - 1, MSG_NOSIGNAL,
			    (struct sockaddr *)&n->addr, n->addrlen);
			clock_gettime(CLOCK_MONOTONIC, &at);
			timespec_add_usec(&at, n->period_usec);
		}
		pthread_cond_timedwait(&n->cv, &n->mu, &at);
	}
	pthread_mutex_unlock(&n->mu);
	return NULL;
}

int
notify_watchdog_start(struct notify *n)
{
	pthread_condattr_t attr;
	sigset_t all, old;

	if (n == NULL || (n->period_usec = watchdog_period()) == 0)
		return 0;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&n->cv, &attr);
	pthread_condattr_destroy(&attr);
	/* The thread blocks every signal, so they reach the main loop. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	errno = pthread_create(&n->thread, NULL, watchdog_main, n);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (errno != 0) {
		log_warn("cannot start the watchdog thread");
		pthread_cond_destroy(&n->cv);
		return -1;
	}
	n->thread_started = true;
	log_debug("watchdog: WATCHDOG=1 every %" PRIu64 " ms", n->period_usec / 1000);
	return 0;
}

void
notify_close(struct notify *n)
{
	if (n == NULL)
		return;
	if (n->thread_started) {
		pthread_mutex_lock(&n->mu);
		n->closing = true;
		pthread_cond_signal(&n->cv);
		pthread_mutex_unlock(&n->mu);
		pthread_join(n->thread, NULL);
		pthread_cond_destroy(&n->cv);
	}
	pthread_mutex_destroy(&n->mu);
	close(n->fd);
	free(n);
}
