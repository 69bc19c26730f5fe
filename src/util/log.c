/* log.c: see log.h. */
#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static enum log_level current_level = LOG_LEVEL_INFO;
static bool to_syslog;
static bool journal_prefixes;
static long long current_run;
static char status_line[160];	/* "" when none is shown */
static size_t status_shown;	/* its length on the terminal */

void
log_init(enum log_level level, bool use_syslog)
{
	current_level = level;
	if (use_syslog && !to_syslog)
		openlog("ldap2imocha", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (!use_syslog && to_syslog)
		closelog();
	to_syslog = use_syslog;
	/* systemd sets JOURNAL_STREAM when stderr is connected to the journal;
	 * "<N>" prefixes then carry the priority without syslog. */
	journal_prefixes = getenv("JOURNAL_STREAM") != NULL;
}

void
log_set_level(enum log_level level)
{
	current_level = level;
}

enum log_level
log_get_level(void)
{
	return current_level;
}

void
log_set_run(long long run_id)
{
	current_run = run_id;
}

/* Blank the status line and put the cursor back at its start. */
static void
status_erase(void)
{
	if (status_shown == 0)
		return;
	fprintf(stderr, "\r%*s\r", (int)status_shown, "");
	status_shown = 0;
}

static void
status_draw(void)
{
	if (status_line[0] == '\0')
		return;
	fprintf(stderr, "\r%s", status_line);
	status_shown = strlen(status_line);
}

void
log_status_line(const char *text)
{
	size_t len, old = status_shown;

	snprintf(status_line, sizeof status_line, "%s", text ? text : "");
	if ((len = strlen(status_line)) == 0) {
		status_erase();
		return;
	}
	/* Rewritten in place; blanks cover the rest of a longer old line. */
	fprintf(stderr, "\r%s%*s", status_line, old > len ? (int)(old - len) : 0, "");
	status_shown = old > len ? old : len;
}

static void
vlog(enum log_level level, int priority, const char *errstr, const char *fmt, va_list ap)
{
	static const char *const tag[] = { "error: ", "warning: ", "", "debug: " };
	char msg[4096], run[32] = "";

	if (level > current_level)
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (current_run > 0)
		snprintf(run, sizeof run, "run=%lld ", current_run);
	if (to_syslog) {
		if (errstr)
			syslog(priority, "%s%s%s: %s", run, tag[level], msg, errstr);
		else
			syslog(priority, "%s%s%s", run, tag[level], msg);
		return;
	}
	status_erase();
	if (journal_prefixes)
		fprintf(stderr, "<%d>", priority);
	fprintf(stderr, "ldap2imocha: %s%s%s%s%s\n", run, tag[level], msg,
	    errstr ? ": " : "", errstr ? errstr : "");
	status_draw();
}

#define LOG_BODY(level, priority, errstr) do {		\
	va_list ap;					\
	va_start(ap, fmt);				\
	vlog(level, priority, errstr, fmt, ap);		\
	va_end(ap);					\
} while (0)

void
log_warn(const char *fmt, ...)
{
	const char *errstr = strerror(errno);

	LOG_BODY(LOG_LEVEL_WARNING, LOG_WARNING, errstr);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_WARNING, LOG_WARNING, NULL);
}

void
log_errorx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_ERROR, LOG_ERR, NULL);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_INFO, LOG_INFO, NULL);
}

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_DEBUG, LOG_DEBUG, NULL);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_ERROR, LOG_CRIT, NULL);
	abort();
}
