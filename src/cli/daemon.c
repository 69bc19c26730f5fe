/* daemon.c: see daemon.h. */
#include "cli/daemon.h"

#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"
#include "util/notify.h"
#include "util/progress.h"
#include "sync/syncrun.h"

#define BACKOFF_FIRST 30.0	/* seconds before trying a failed run again */
#define JITTER 0.05		/* runs start within ±5 % of the interval */
/* The longest single wait: a signal taken by another thread (a resolver
 * thread of libcurl's, say) wakes nobody, so the flags are looked at
 * again at least this often (seconds). */
#define WAIT_SLICE 1.0

/* Set by the handlers, read by the loop and (stop) by the HTTP pool. */
static volatile sig_atomic_t stop_signal, reload_requested;

struct daemon {
	struct config *cfg;
	const struct daemon_options *opt;
	struct notify *notify;
	sigset_t wait_mask;	/* the signal mask while waiting between runs */
	double last_start;	/* of the last run, CLOCK_MONOTONIC seconds; 0: none */
	double next_run;
	int failures;		/* failed runs in a row */
	char summary[512];	/* the last run's summary line */
};

static void
on_stop(int sig)
{
	stop_signal = sig;
}

static void
on_reload(int sig)
{
	(void)sig;
	reload_requested = 1;
}

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Agents started together (a fleet, a reboot) drift apart instead of
 * reading the directory and calling iMocha in the same second. */
static double
jitter(double seconds)
{
	double u = (double)arc4random_uniform(2001) / 1000.0 - 1.0;	/* -1 .. 1 */

	return seconds * (1.0 + JITTER * u);
}

double
daemon_delay(long interval, int failures)
{
	double d = BACKOFF_FIRST;

	if (failures <= 0)
		return (double)interval;
	for (int i = 1; i < failures && d < (double)interval; i++)
		d *= 2;
	return d < (double)interval ? d : (double)interval;
}

/* "40 s", "15 min", "2.5 h", for log lines. */
static void
duration_text(double seconds, char *buf, size_t size)
{
	if (seconds < 0)
		seconds = 0;
	if (seconds < 119.5)
		snprintf(buf, size, "%ld s", lround(seconds));
	else if (seconds < 7200)
		snprintf(buf, size, "%ld min", lround(seconds / 60));
	else
		snprintf(buf, size, "%.1f h", seconds / 3600);
}

/* -v and -q win over [log] level, on every reload too. */
static void
log_setup(const struct config *cfg, int verbosity)
{
	log_init(verbosity > 0 ? LOG_LEVEL_DEBUG : verbosity < 0 ? LOG_LEVEL_WARNING :
	    (enum log_level)cfg->log_level, cfg->log_syslog);
}

/*
 * SIGTERM and SIGINT without SA_RESTART: a blocking call of a run in
 * progress returns EINTR, so the run ends at once (libldap takes an
 * interrupted wait for a lost server: the read is thrown away whole, and
 * syncrun.c reports the run as stopped).  SIGHUP must not do that to a
 * run, so it stays blocked except while the loop waits between runs.
 */
static int
install_signals(struct daemon *d)
{
	struct sigaction stop = { .sa_handler = on_stop };
	struct sigaction reload = { .sa_handler = on_reload, .sa_flags = SA_RESTART };
	sigset_t hup;

	sigemptyset(&stop.sa_mask);
	sigemptyset(&reload.sa_mask);
	if (sigaction(SIGTERM, &stop, NULL) == -1 || sigaction(SIGINT, &stop, NULL) == -1 ||
	    sigaction(SIGHUP, &reload, NULL) == -1) {
		log_warn("daemon: sigaction");
		return -1;
	}
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &hup, &d->wait_mask);
	sigdelset(&d->wait_mask, SIGHUP);
	sigdelset(&d->wait_mask, SIGTERM);
	sigdelset(&d->wait_mask, SIGINT);
	return 0;
}

/* Sleep until deadline, a signal, or WAIT_SLICE.  The three signals are
 * blocked from the look at the flags until ppoll opens them atomically,
 * so one arriving in between is not lost for a whole slice. */
static void
wait_until(const struct daemon *d, double deadline)
{
	sigset_t block, saved;
	struct timespec ts;
	double left;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &saved);
	left = deadline - mono_now();
	if (stop_signal == 0 && reload_requested == 0 && left > 0) {
		if (left > WAIT_SLICE)
			left = WAIT_SLICE;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		ppoll(NULL, 0, &ts, &d->wait_mask);	/* EINTR is the point */
	}
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
}

static const char *
failure_text(int status)
{
	switch (status) {
	case EXIT_PARTIAL:
		return "some changes failed";
	case EXIT_CONFIG:
		return "configuration or state store";
	case EXIT_LDAP:
		return "LDAP";
	case EXIT_IMOCHA:
		return "iMocha";
	default:
		return "unexpected";
	}
}

/* When the next run starts, and why, after a run that ended with status. */
static void
schedule(struct daemon *d, int status)
{
	double now = mono_now();
	char when[32];

	if (status == EXIT_DONE || status == EXIT_LIMIT || status == EXIT_LOCKED) {
		if (status == EXIT_DONE)
			d->failures = 0;
		d->next_run = d->last_start + jitter((double)d->cfg->interval);
	} else {
		d->failures++;
		d->next_run = now + jitter(daemon_delay(d->cfg->interval, d->failures));
	}
	duration_text(d->next_run - now, when, sizeof when);
	if (status == EXIT_DONE)
		log_debug("daemon: next run in %s", when);
	else if (status == EXIT_LIMIT)
		log_warnx("daemon: a safety limit stopped the run (see above); next run in %s. "
		    "To go past it: review 'ldap2imocha plan --out FILE', then apply it with "
		    "'ldap2imocha sync --plan FILE --force'",
		    when);
	else if (status == EXIT_LOCKED)
		log_warnx("daemon: another run holds the lock; next run in %s", when);
	else
		log_warnx("daemon: the run failed (exit %d: %s); trying again in %s (failure %d "
		    "in a row)", status, failure_text(status), when, d->failures);
}

static void
daemon_pass(struct daemon *d)
{
	struct run_options ro = { .apply = true, .out = stdout, .stop = &stop_signal,
	    .summary = d->summary, .summary_size = sizeof d->summary };
	char msg[sizeof d->summary + 8];
	int status;

	d->summary[0] = '\0';
	d->last_start = mono_now();
	status = syncrun_run(d->cfg, &ro);
	if (d->summary[0] != '\0') {
		snprintf(msg, sizeof msg, "STATUS=%s", d->summary);
		notify_send(d->notify, msg);
	}
	if (stop_signal == 0)
		schedule(d, status);
}

/* STYLE.md: reload builds a new config and swaps only if it is valid. */
static void
daemon_reload(struct daemon *d)
{
	const char *path = d->opt->config_path;
	struct config fresh;
	long interval = d->cfg->interval;

	reload_requested = 0;
	notify_reloading(d->notify);
	log_info("daemon: SIGHUP: re-reading %s", path);
	if (config_load(path, &fresh) == -1) {
		log_errorx("config %s is invalid, keeping the running one", path);
		notify_send(d->notify, "READY=1");
		return;
	}
	config_release(d->cfg);
	*d->cfg = fresh;
	log_setup(d->cfg, d->opt->verbosity);
	log_info("daemon: config %s reloaded", path);
	/* After failed runs the new config may be the fix: try it now. */
	if (d->failures > 0)
		d->next_run = mono_now();
	else if (d->last_start > 0 && d->cfg->interval != interval)
		d->next_run = d->last_start + jitter((double)d->cfg->interval);
	notify_send(d->notify, "READY=1");
}

int
daemon_run(struct config *cfg, const struct daemon_options *opt)
{
	struct daemon d = { .cfg = cfg, .opt = opt };
	char every[32];

	if (install_signals(&d) == -1)
		return EXIT_CONFIG;
	d.notify = notify_open();
	progress_set_mode(PROGRESS_LOG);
	duration_text((double)cfg->interval, every, sizeof every);
	log_info("daemon: started, a run every %s (config %s; SIGHUP re-reads it)", every,
	    opt->config_path);
	notify_send(d.notify, "READY=1");
	notify_watchdog_start(d.notify);
	d.next_run = mono_now();
	while (stop_signal == 0) {
		if (reload_requested)
			daemon_reload(&d);
		else if (mono_now() >= d.next_run)
			daemon_pass(&d);
		else
			wait_until(&d, d.next_run);
	}
	notify_send(d.notify, "STOPPING=1");
	log_info("daemon: %s received, stopped", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
	notify_close(d.notify);
	return EXIT_DONE;
}
