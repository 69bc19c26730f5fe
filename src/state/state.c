/*
 * state.c: see state.h.  Opening, schema migration, the run lock and the
 * helpers the other state files share (state_int.h).  The records live in
 * state_records.c (runs, mirror, known users) and state_journal.c (the
 * change journal and what status reports from it).
 */
#include "state/state_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/xmem.h"

/* build/schema.c, generated from the sql directory by tools/embed-sql.sh:
 * migration i takes PRAGMA user_version from i to i + 1. */
extern const char *const schema_migrations[];
extern const size_t schema_migrations_count;

/* Another run waits this long for a write transaction to end; ours are
 * one change each, so only a stuck process makes it expire. */
#define STATE_BUSY_TIMEOUT_MS 5000

/* Open file description locks belong to the open file, not the process:
 * closing some other descriptor of the file cannot drop them. */
#ifdef F_OFD_SETLK
#define STATE_SETLK F_OFD_SETLK
#else
#define STATE_SETLK F_SETLK
#endif

void
state_db_now(char buf[STATE_TIME_LEN])
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	if (strftime(buf, STATE_TIME_LEN, "%Y-%m-%dT%H:%M:%S", &tm) != 19)
		fatalx("state: time out of range");
	snprintf(buf + 19, STATE_TIME_LEN - 19, ".%03uZ",
	    (unsigned)(ts.tv_nsec / 1000000) % 1000u);
}

void
state_db_fail(struct state *st, const char *what)
{
	log_errorx("state: %s: %s", what, sqlite3_errmsg(st->db));
}

int
state_db_exec(struct state *st, const char *sql, const char *what)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		state_db_fail(st, what);
		return -1;
	}
	return 0;
}

int
state_db_prepare(struct state *st, const char *sql, sqlite3_stmt **stmt,
    const char *what)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL) != SQLITE_OK) {
		state_db_fail(st, what);
		*stmt = NULL;
		return -1;
	}
	return 0;
}

int
state_db_begin(struct state *st, const char *what)
{
	return state_db_exec(st, "BEGIN IMMEDIATE", what);
}

int
state_db_commit(struct state *st, const char *what)
{
	return state_db_exec(st, "COMMIT", what);
}

void
state_db_rollback(struct state *st)
{
	/* A failed COMMIT (busy) leaves the transaction open; some errors
	 * already rolled it back, which makes this one fail harmlessly. */
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int
state_db_bind_text(sqlite3_stmt *stmt, int col, const char *s)
{
	/* Every statement is stepped before the strings it binds go away. */
	if (s == NULL)
		return sqlite3_bind_null(stmt, col);
	return sqlite3_bind_text(stmt, col, s, -1, SQLITE_STATIC);
}

int
state_db_bind_bu(sqlite3_stmt *stmt, int col, int64_t bu)
{
	if (bu == BU_NONE)
		return sqlite3_bind_null(stmt, col);
	return sqlite3_bind_int64(stmt, col, bu);
}

int
state_db_bind_id(sqlite3_stmt *stmt, int col, long long id)
{
	if (id <= 0)
		return sqlite3_bind_null(stmt, col);
	return sqlite3_bind_int64(stmt, col, id);
}

char *
state_db_column_dup(sqlite3_stmt *stmt, int col)
{
	return xstrdup((const char *)sqlite3_column_text(stmt, col));
}

int64_t
state_db_column_bu(sqlite3_stmt *stmt, int col)
{
	if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
		return BU_NONE;
	return sqlite3_column_int64(stmt, col);
}

int
state_schema_version(struct state *st)
{
	sqlite3_stmt *stmt = NULL;
	int version = -1;

	if (state_db_prepare(st, "PRAGMA user_version", &stmt, "read schema version") == -1)
		goto out;
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		state_db_fail(st, "read schema version");
		goto out;
	}
	version = sqlite3_column_int(stmt, 0);
out:
	sqlite3_finalize(stmt);
	return version;
}

/* 0 when version is one this binary knows, else logs and -1. */
static int
check_version(struct state *st, int version)
{
	if (version < 0)
		return -1;
	if ((size_t)version > schema_migrations_count) {
		log_errorx("state: %s: schema version %d is newer than this "
		    "program's %zu; use a newer ldap2imocha", st->path, version,
		    schema_migrations_count);
		return -1;
	}
	return 0;
}

/*
 * Apply every migration from the file's version on, and record the new
 * version, in one transaction, so a database is never left between two
 * versions; one commit (one fdatasync), not one per migration: a new
 * state file took seven.
 */
static int
migrate(struct state *st)
{
	char sql[64], *what;
	int version = state_schema_version(st), from, rc = -1;

	if (check_version(st, version) == -1)
		return -1;
	if ((size_t)version == schema_migrations_count)
		return 0;
	what = xasprintf("%s: schema migration", st->path);
	if (state_db_begin(st, what) == -1)
		goto out;
	/* Another process may have migrated since we looked. */
	if ((version = state_schema_version(st)) == -1 || check_version(st, version) == -1)
		goto out;
	for (from = version; (size_t)version < schema_migrations_count; version++)
		if (state_db_exec(st, schema_migrations[version], what) == -1)
			goto out;
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", version);
	if (state_db_exec(st, sql, what) == -1 || state_db_commit(st, what) == -1)
		goto out;
	while (from < version)
		log_info("state: %s: schema migrated to version %d", st->path, ++from);
	rc = 0;
out:
	if (rc == -1)
		state_db_rollback(st);
	free(what);
	return rc;
}

/* Setting up a connection fails on a file that is not a database: name it. */
static void
open_fail(struct state *st, const char *stage)
{
	log_errorx("state: %s: %s: %s", st->path, stage, sqlite3_errmsg(st->db));
}

/*
 * The connection's TEMP tables (the read stage, the audit's tables), set
 * before the first is made: in a file SQLite deletes itself, so a stage of
 * a million users costs page cache, not memory; in pages of 16 KiB, not
 * 4 KiB: a quarter of the pages to write, split and sort (a first sync's
 * first create 8 % sooner at 20,000 users, 7 % at 100,000; BENCHMARKS.md).
 */
static int
configure_temp(struct state *st)
{
	if (sqlite3_exec(st->db, "PRAGMA temp_store = FILE; PRAGMA temp.page_size = 16384",
	    NULL, NULL, NULL) != SQLITE_OK) {
		open_fail(st, "set up temporary tables");
		return -1;
	}
	return 0;
}

/* WAL lets plan and status read while a sync writes; synchronous=FULL
 * makes each commit durable, since a create that reached a real person
 * must not be forgotten. */
static int
configure(struct state *st)
{
	sqlite3_stmt *stmt = NULL;
	const char *mode;
	int rc = -1;

	if (sqlite3_busy_timeout(st->db, STATE_BUSY_TIMEOUT_MS) != SQLITE_OK) {
		open_fail(st, "set busy timeout");
		goto out;
	}
	if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &stmt,
	    NULL) != SQLITE_OK || sqlite3_step(stmt) != SQLITE_ROW) {
		open_fail(st, "set WAL mode");
		goto out;
	}
	mode = (const char *)sqlite3_column_text(stmt, 0);
	if (mode == NULL || strcmp(mode, "wal") != 0) {
		log_errorx("state: %s: cannot use WAL mode (journal mode is %s)",
		    st->path, mode ? mode : "unknown");
		goto out;
	}
	if (sqlite3_exec(st->db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON",
	    NULL, NULL, NULL) != SQLITE_OK) {
		open_fail(st, "set synchronous mode and foreign keys");
		goto out;
	}
	rc = configure_temp(st);
out:
	sqlite3_finalize(stmt);
	return rc;
}

/*
 * Once per process, before the first connection: SQLite's default keeps a
 * count of its memory under a global mutex at every allocation, and locks
 * each connection's mutex at every call.  A state connection is used by
 * one thread only (the watchdog threads never touch it), so neither buys
 * anything; together they were 5 % of a first sync's time (perf, 100,000
 * users: one lock and unlock per statement step and per allocation).
 * And the page cache's memory given in one block (state_page_memory.c).
 */
static pthread_once_t sqlite_setup_once = PTHREAD_ONCE_INIT;

static void
sqlite_setup(void)
{
	/* SQLITE_MISUSE if SQLite was initialized already: then it counts. */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	state_page_memory_setup();
}

/* Every state connection is opened here (see sqlite_setup). */
static int
db_open(const char *path, sqlite3 **db)
{
	pthread_once(&sqlite_setup_once, sqlite_setup);
	return sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL);
}

int
state_open(const char *path, struct state **out)
{
	struct state *st = NULL;
	int fd, rc = -1;

	*out = NULL;
	/* The mirror names every user: a new file is private whatever the
	 * umask; SQLite gives its -wal and -shm files the same mode. */
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		log_warn("state: open %s", path);
		goto out;
	}
	close(fd);
	st = xcalloc(1, sizeof *st);
	st->lock_fd = -1;
	st->path = xstrdup(path);
	if (db_open(path, &st->db) != SQLITE_OK) {
		log_errorx("state: open %s: %s", path,
		    st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto out;
	}
	if (configure(st) == -1 || migrate(st) == -1)
		goto out;
	*out = st;
	st = NULL;
	rc = 0;
out:
	state_close(st);
	return rc;
}

int
state_open_scratch(struct state **out)
{
	struct state *st = xcalloc(1, sizeof *st);

	*out = NULL;
	st->lock_fd = -1;
	st->path = xstrdup("(an empty state store)");
	/* "": a private database in a temporary file, deleted on close. */
	if (db_open("", &st->db) != SQLITE_OK) {
		log_errorx("state: open a temporary store: %s",
		    st->db ? sqlite3_errmsg(st->db) : "out of memory");
		state_close(st);
		return -1;
	}
	if (configure_temp(st) == -1 || migrate(st) == -1) {
		state_close(st);
		return -1;
	}
	*out = st;
	return 0;
}

void
state_close(struct state *st)
{
	if (st == NULL)
		return;
	/* Every statement is finalized where it was prepared, so a busy
	 * close is a bug worth a line. */
	if (sqlite3_close(st->db) != SQLITE_OK)
		state_db_fail(st, "close");
	if (st->lock_fd != -1)
		close(st->lock_fd);
	free(st->path);
	free(st);
}

/* The PID the holder wrote into the lock file; 0 if unknown (it may not
 * have written it yet). */
static pid_t
lock_holder(int fd)
{
	struct flock fl;
	char buf[32], *end;
	ssize_t len;
	long pid;

	len = pread(fd, buf, sizeof buf - 1, 0);
	if (len > 0) {
		buf[len] = '\0';
		errno = 0;
		pid = strtol(buf, &end, 10);
		if (errno == 0 && end != buf && (*end == '\n' || *end == '\0') &&
		    pid > 0 && (pid_t)pid == pid)
			return (pid_t)pid;
	}
	/* A classic lock's owner is known to the kernel (an OFD one's is not:
	 * l_pid -1). */
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK && fl.l_pid > 0)
		return fl.l_pid;
	return 0;
}

/* The PID is for operators and the "another instance" message; the lock
 * itself is what keeps runs apart, so failing to write it only warns. */
static void
lock_write_pid(int fd, const char *lpath)
{
	char buf[32];
	int len;

	len = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)len, 0) != len)
		log_warn("state: write PID to %s", lpath);
}

int
state_lock(struct state *st, pid_t *holder)
{
	struct flock fl;
	char *lpath;
	int fd = -1, rc = -1;

	*holder = 0;
	if (st->lock_fd != -1)
		return 0;
	lpath = xasprintf("%s.lock", st->path);
	if ((fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		log_warn("state: open %s", lpath);
		goto out;
	}
	memset(&fl, 0, sizeof fl);	/* an OFD lock wants l_pid 0 */
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, STATE_SETLK, &fl) == -1) {
		if (errno != EAGAIN && errno != EACCES) {
			log_warn("state: lock %s", lpath);
			goto out;
		}
		*holder = lock_holder(fd);
		rc = 1;
		goto out;
	}
	lock_write_pid(fd, lpath);
	st->lock_fd = fd;
	fd = -1;
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	free(lpath);
	return rc;
}

int
state_db_collect(struct state *st, sqlite3_stmt *stmt, const char *what,
    const struct state_rows *rows, void **array, size_t *count)
{
	size_t cap = 0;
	int step, rc = -1;

	*array = NULL;
	*count = 0;
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		char *elem;

		xgrow(array, &cap, *count + 1, rows->size);
		elem = (char *)*array + *count * rows->size;
		memset(elem, 0, rows->size);
		(*count)++;
		if (rows->read(stmt, elem) == -1)
			goto out;
	}
	if (step == SQLITE_DONE)
		rc = 0;
	else
		state_db_fail(st, what);
out:
	sqlite3_finalize(stmt);
	if (rc == -1) {
		for (size_t i = 0; i < *count; i++)
			rows->release((char *)*array + i * rows->size);
		free(*array);
		*array = NULL;
		*count = 0;
	}
	return rc;
}

int
state_db_load(struct state *st, const char *sql, const char *what,
    const struct state_rows *rows, void **array, size_t *count)
{
	sqlite3_stmt *stmt = NULL;

	*array = NULL;
	*count = 0;
	if (state_db_prepare(st, sql, &stmt, what) == -1)
		return -1;
	return state_db_collect(st, stmt, what, rows, array, count);
}
