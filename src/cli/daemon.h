/*
 * daemon.h: `ldap2imocha daemon`, in the foreground (never forks).  Runs
 * the pass of `sync` at once, then every [sync] interval (±5 % jitter,
 * measured from the start of a run); a failed run (exit 1 to 4) is tried
 * again sooner: 30 s, doubling, at most the interval.  A run refused by a
 * safety limit or the lock waits for the next interval.  SIGTERM or SIGINT
 * stop it within a second or two, a run in progress included (what it had
 * in flight is settled by the next run); it then returns 0.  SIGHUP
 * re-reads the config file and swaps it in only if it is valid.  Speaks
 * systemd's notify protocol when $NOTIFY_SOCKET is set (notify.h).
 */
#ifndef L2I_DAEMON_H
#define L2I_DAEMON_H

#include "config/config.h"

struct daemon_options {
	const char *config_path;	/* re-read on SIGHUP */
	int verbosity;			/* -1 -q, 1 -v, 0 the config's [log] level */
};

/* Seconds before the next run after failures failed runs in a row (0: a
 * run that did not fail), jitter left out. */
double daemon_delay(long interval, int failures);

/* cfg was loaded from opt->config_path; a reload replaces its contents
 * (the caller still releases it).  Returns the exit status: 0 once
 * stopped by a signal, 2 if the daemon cannot start. */
int daemon_run(struct config *cfg, const struct daemon_options *opt);

#endif
