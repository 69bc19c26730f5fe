/* test_progress.c: the progress text, the 30 s cadence of its log lines
 * (on an injected clock), and the terminal line kept under log lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "util/progress.h"
#include "testlib.h"

static double fake_now;

static double
fake_clock(void)
{
	return fake_now;
}

/* stderr into a temporary file while a case writes to it. */
static FILE *capture_fp;
static int saved_stderr = -1;

static void
capture_begin(void)
{
	fflush(stderr);
	capture_fp = tmpfile();
	saved_stderr = dup(STDERR_FILENO);
	if (capture_fp == NULL || saved_stderr == -1 ||
	    dup2(fileno(capture_fp), STDERR_FILENO) == -1) {
		perror("capture");
		exit(1);
	}
}

/* What was written since capture_begin; the caller frees it. */
static char *
capture_end(void)
{
	char *text;
	long len;

	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	len = ftell(capture_fp);
	text = calloc(1, (size_t)len + 1);
	rewind(capture_fp);
	if (text == NULL || fread(text, 1, (size_t)len, capture_fp) != (size_t)len) {
		perror("capture");
		exit(1);
	}
	fclose(capture_fp);
	return text;
}

static void
format_cases(void)
{
	static const struct {
		long done, total;
		double elapsed;
		const char *want;
	} cases[] = {
		{ 0, 5000, 0.0, "0/5000 changes" },
		{ 0, 5000, 90.0, "0/5000 changes" },		/* no rate before the first */
		{ 5, 10, 0.5, "5/10 changes" },			/* under a second: noise */
		{ 1200, 5000, 245.0, "1200/5000 changes, 4.9/s, about 13 min left" },
		{ 30, 100, 10.0, "30/100 changes, 3.0/s, about 24 s left" },
		{ 100, 50100, 100.0, "100/50100 changes, 1.0/s, about 13 h 53 min left" },
		{ 100, 3700, 100.0, "100/3700 changes, 1.0/s, about 1 h 0 min left" },
		{ 1, 3, 60.0, "1/3 changes, 0.02/s, about 2 min left" },
		{ 10, 10, 5.0, "10/10 changes, 2.0/s" },	/* done: nothing left */
	};
	char buf[128];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		progress_format(buf, sizeof buf, cases[i].done, cases[i].total,
		    cases[i].elapsed);
		CHECK_STR(buf, cases[i].want);
	}
	/* A short buffer is cut, never overrun. */
	progress_format(buf, 8, 1200, 5000, 245.0);
	CHECK_STR(buf, "1200/50");
}

/* Off a terminal: a log line once 30 s have passed since the last one. */
static void
log_lines_every_30_seconds(void)
{
	static const struct { double at; int reported; } ticks[] = {
		{ 101.0, 0 }, { 129.9, 0 }, { 130.0, 1 }, { 131.0, 0 },
		{ 159.9, 0 }, { 160.5, 1 }, { 190.0, 0 }, { 190.5, 1 },
	};
	char *out;

	progress_set_mode(PROGRESS_LOG);
	progress_set_clock(fake_clock);
	fake_now = 100.0;
	capture_begin();
	progress_start(10);
	for (size_t i = 0; i < sizeof ticks / sizeof ticks[0]; i++) {
		fake_now = ticks[i].at;
		if (progress_tick() != (ticks[i].reported != 0)) {
			printf("# tick %zu at %.1f: reported %d, want %d\n", i, ticks[i].at,
			    !ticks[i].reported, ticks[i].reported);
			testlib_case_failed = 1;
		}
	}
	progress_end();
	fake_now = 1000.0;
	CHECK(!progress_tick());			/* ended: silent */
	out = capture_end();
	CHECK_STR(out,
	    "ldap2imocha: progress: 3/10 changes, 0.10/s, about 1 min left\n"
	    "ldap2imocha: progress: 6/10 changes, 0.10/s, about 41 s left\n"
	    "ldap2imocha: progress: 8/10 changes, 0.09/s, about 23 s left\n");
	CHECK(strchr(out, '\r') == NULL);
	free(out);
	progress_set_clock(NULL);
}

static void
nothing_for_an_empty_plan(void)
{
	char *out;

	progress_set_mode(PROGRESS_AUTO);
	progress_set_clock(fake_clock);
	fake_now = 0.0;
	capture_begin();
	progress_start(0);
	fake_now = 100.0;
	CHECK(!progress_tick());
	progress_end();
	out = capture_end();
	CHECK_STR(out, "");
	free(out);
	progress_set_clock(NULL);
}

/* Not a terminal (a file): AUTO falls back to log lines, never "\r". */
static void
auto_off_a_terminal_logs(void)
{
	char *out;

	progress_set_mode(PROGRESS_AUTO);
	progress_set_clock(fake_clock);
	fake_now = 0.0;
	capture_begin();
	progress_start(2);
	fake_now = 0.1;
	CHECK(!progress_tick());
	fake_now = 45.0;
	CHECK(progress_tick());
	progress_end();
	out = capture_end();
	CHECK_STR(out, "ldap2imocha: progress: 2/2 changes, 0.04/s\n");
	free(out);
	progress_set_clock(NULL);
}

/* The terminal line: rewritten in place, blanked before a log line and
 * drawn again after it, blanked at the end. */
static void
status_line_under_log_lines(void)
{
	char *out;

	capture_begin();
	log_status_line("progress: 1/20");
	log_status_line("progress: 2/20");
	log_info("create a@example.com");
	log_status_line("progress: 10/20");
	log_status_line("p: 11/20");
	log_status_line(NULL);
	log_info("summary");
	out = capture_end();
	CHECK_STR(out,
	    "\rprogress: 1/20"
	    "\rprogress: 2/20"
	    "\r              \r" "ldap2imocha: create a@example.com\n" "\rprogress: 2/20"
	    "\rprogress: 10/20"
	    "\rp: 11/20       "
	    "\r               \r"
	    "ldap2imocha: summary\n");
	free(out);
}

int
main(void)
{
	log_init(LOG_LEVEL_INFO, false);
	RUN(format_cases);
	RUN(log_lines_every_30_seconds);
	RUN(nothing_for_an_empty_plan);
	RUN(auto_off_a_terminal_logs);
	RUN(status_line_under_log_lines);
	return TESTLIB_EXIT();
}
