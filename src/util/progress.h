/*
 * progress.h: how far a run's changes have got.  A first sync of a large
 * directory runs for hours at iMocha's rate, so the operator is told:
 * on a terminal (stderr is one) by one line rewritten in place and cleared
 * at the end; elsewhere (and always in the daemon) by a log line every
 * PROGRESS_LOG_EVERY seconds, e.g.
 *   progress: 1200/5000 changes, 4.9/s, about 13 min left
 * One run at a time per process: the state is the module's own.
 */
#ifndef L2I_PROGRESS_H
#define L2I_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

#define PROGRESS_LOG_EVERY 30.0		/* seconds between log lines */
#define PROGRESS_DRAW_EVERY 0.5		/* seconds between terminal redraws */

enum progress_mode {
	PROGRESS_AUTO,		/* a terminal line if stderr is a terminal, else log lines */
	PROGRESS_LOG,		/* log lines only (the daemon) */
};

void progress_set_mode(enum progress_mode mode);
/* Tests: the clock, in seconds (NULL: CLOCK_MONOTONIC). */
void progress_set_clock(double (*now)(void));

/* A run is about to make total changes (nothing is shown for 0). */
void progress_start(long total);
/* One more change has its final answer.  True when this tick reported
 * (a log line written, or the terminal line redrawn). */
bool progress_tick(void);
/* The run's changes are over: the terminal line is cleared. */
void progress_end(void);

/* "1200/5000 changes, 4.9/s, about 13 min left" into buf (always
 * terminated); the rate and time left only once they mean something. */
void progress_format(char *buf, size_t size, long done, long total, double elapsed);

#endif
