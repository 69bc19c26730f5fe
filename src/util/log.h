/*
 * log.h: the agent's one way to speak to operators, in OpenBSD's log.c shape.
 * Lines go to stderr (with "<N>" syslog priority prefixes when JOURNAL_STREAM
 * says stderr is the journal) or to syslog.  Every line of a run carries the
 * run id once log_set_run() has named it.  Never pass a secret to these.
 */
#ifndef L2I_LOG_H
#define L2I_LOG_H

#include <stdbool.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARNING, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Set up logging; may be called again (config reload).  syslog when
 * use_syslog, else stderr. */
void log_init(enum log_level level, bool use_syslog);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Name the run every following line belongs to; 0 clears it. */
void log_set_run(long long run_id);
/* A status line (progress.c) kept at the bottom of a terminal on stderr:
 * drawn now, rewritten in place ("\r"), cleared before each log line
 * written to stderr and drawn again after it.  NULL clears it.  The
 * caller makes sure stderr is a terminal. */
void log_status_line(const char *text);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));  /* adds strerror(errno) */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errorx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Out of memory and broken invariants only: logs and aborts. */
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
