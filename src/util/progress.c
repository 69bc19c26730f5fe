/* progress.c: see progress.h. */
#include "util/progress.h"

#include <math.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

enum shown { SHOWN_NOTHING, SHOWN_TERMINAL, SHOWN_LOG };

struct progress_run {
	enum shown shown;
	long total, done;
	double started;
	double last;		/* the last report: log line or redraw */
};

static struct progress_run cur;
static enum progress_mode mode = PROGRESS_AUTO;
static double (*clock_fn)(void);

static double
monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
now(void)
{
	return clock_fn != NULL ? clock_fn() : monotonic_now();
}

void
progress_set_mode(enum progress_mode m)
{
	mode = m;
}

void
progress_set_clock(double (*fn)(void))
{
	clock_fn = fn;
}

/* "about 40 s left", "about 13 min left", "about 2 h 5 min left". */
static void
format_left(char *buf, size_t size, double seconds)
{
	long min;

	if (seconds < 59.5) {
		snprintf(buf, size, ", about %ld s left", lround(ceil(seconds)));
		return;
	}
	min = lround(seconds / 60);
	if (min < 60)
		snprintf(buf, size, ", about %ld min left", min);
	else
		snprintf(buf, size, ", about %ld h %ld min left", min / 60, min % 60);
}

void
progress_format(char *buf, size_t size, long done, long total, double elapsed)
{
	char rate_text[32] = "", left[48] = "";
	double rate;

	/* Under a second, or before the first change, a rate is noise. */
	if (done > 0 && elapsed >= 1.0) {
		rate = (double)done / elapsed;
		/* two decimals below 1/s: "0.02/s", not "0.0/s" */
		snprintf(rate_text, sizeof rate_text, rate < 1.0 ? ", %.2f/s" : ", %.1f/s", rate);
		if (done < total)
			format_left(left, sizeof left, (double)(total - done) / rate);
	}
	snprintf(buf, size, "%ld/%ld changes%s%s", done, total, rate_text, left);
}

static void
report(double t)
{
	char text[128], line[160];

	progress_format(text, sizeof text, cur.done, cur.total, t - cur.started);
	cur.last = t;
	if (cur.shown == SHOWN_LOG) {
		log_info("progress: %s", text);
		return;
	}
	snprintf(line, sizeof line, "progress: %s", text);
	log_status_line(line);
}

void
progress_start(long total)
{
	cur = (struct progress_run){ .total = total };
	if (total <= 0)
		return;
	cur.started = cur.last = now();
	/* The line is info: -q hides it as it hides the log lines. */
	if (mode == PROGRESS_AUTO && isatty(STDERR_FILENO) &&
	    log_get_level() >= LOG_LEVEL_INFO) {
		cur.shown = SHOWN_TERMINAL;
		report(cur.started);
	} else
		cur.shown = SHOWN_LOG;
}

bool
progress_tick(void)
{
	double t, every;

	if (cur.shown == SHOWN_NOTHING)
		return false;
	cur.done++;
	t = now();
	every = cur.shown == SHOWN_LOG ? PROGRESS_LOG_EVERY : PROGRESS_DRAW_EVERY;
	if (t - cur.last < every && !(cur.shown == SHOWN_TERMINAL && cur.done == cur.total))
		return false;
	report(t);
	return true;
}

void
progress_end(void)
{
	if (cur.shown == SHOWN_TERMINAL)
		log_status_line(NULL);
	cur.shown = SHOWN_NOTHING;
}
