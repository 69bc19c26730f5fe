-- 001_init.sql: the first schema of the state store (SPEC.md, Data model).
-- state_open applies it inside one transaction and sets PRAGMA user_version
-- to 1 in the same transaction, so a half-applied schema never exists.
-- Times are ISO 8601 UTC text with milliseconds ("2026-11-28T04:25:07.123Z"):
-- they sort as text and stay readable in the sqlite3 shell.
-- A business unit id is NULL where the agent has none (BU_NONE in C).

-- The directory as of the last complete read, replaced whole by each one
-- (a failed or partial read never reaches it).  The planner compares it
-- with imocha_user.
CREATE TABLE directory_entry (
	entry_id TEXT PRIMARY KEY,	-- id_attribute value: survives renames and moves
	dn TEXT NOT NULL,
	email TEXT,			-- chosen value in its original case; NULL if none
	name TEXT,
	bu_id INTEGER,			-- the BU its OU maps to; NULL if unmapped
	in_scope INTEGER NOT NULL CHECK (in_scope IN (0, 1)),	-- usable and mapped
	problem TEXT			-- why the entry is skipped; NULL if it is not
);

-- What iMocha holds as far as the agent knows, one row per account.
-- iMocha keys users on e-mail, case-insensitively, hence the key.
CREATE TABLE imocha_user (
	email_key TEXT PRIMARY KEY,	-- lower-case e-mail
	email TEXT NOT NULL,		-- original case, as sent to iMocha
	full_name TEXT,
	entry_id TEXT,			-- the directory entry it belongs to; NULL if none
	bu_id INTEGER,
	status TEXT NOT NULL CHECK (status IN ('Active', 'Inactive')),
	-- how the agent came to know it: it created it, a create met an
	-- existing account, or "adopt FILE" named it
	origin TEXT NOT NULL CHECK (origin IN ('created', 'adopted', 'imported')),
	updated_at TEXT NOT NULL
);

-- One row per invocation that may change something.
CREATE TABLE run (
	id INTEGER PRIMARY KEY,		-- the run id every log line carries
	command TEXT NOT NULL,
	started_at TEXT NOT NULL,
	ended_at TEXT,			-- NULL while running, or if the run died
	exit_status INTEGER,		-- NULL likewise
	duration_ms INTEGER,
	-- struct run_counts
	n_read INTEGER NOT NULL DEFAULT 0,
	n_in_scope INTEGER NOT NULL DEFAULT 0,
	n_created INTEGER NOT NULL DEFAULT 0,
	n_adopted INTEGER NOT NULL DEFAULT 0,
	n_moved INTEGER NOT NULL DEFAULT 0,
	n_deactivated INTEGER NOT NULL DEFAULT 0,
	n_reactivated INTEGER NOT NULL DEFAULT 0,
	n_skipped INTEGER NOT NULL DEFAULT 0,
	n_failed INTEGER NOT NULL DEFAULT 0
);

-- Every change the agent makes in iMocha, written as 'intended' before its
-- request and settled after it, one transaction each: a run killed between
-- the two leaves an 'intended' row the next run resolves, so no user is
-- created twice or forgotten.  Rows are never deleted: it is the audit
-- history.
CREATE TABLE journal (
	id INTEGER PRIMARY KEY,
	run_id INTEGER REFERENCES run (id),	-- NULL outside a run
	action TEXT NOT NULL CHECK (action IN ('create', 'move', 'deactivate', 'reactivate')),
	email TEXT NOT NULL,		-- original case, as sent
	email_key TEXT NOT NULL,	-- lower case: failures are grouped by it
	entry_id TEXT,
	full_name TEXT,			-- create only
	old_bu_id INTEGER,
	new_bu_id INTEGER,
	reason TEXT,			-- why the planner wants it: "joined", "left", ...
	-- 'adopted': a create met an existing account (IMOCHA_API.md)
	state TEXT NOT NULL CHECK (state IN ('intended', 'done', 'adopted', 'failed')),
	http_status INTEGER,		-- NULL when no answer came
	answer TEXT,			-- iMocha's text or the transport error, bounded
	intended_at TEXT NOT NULL,
	settled_at TEXT			-- NULL while intended
);

-- status and history look users up by key; every run looks for rows left
-- 'intended' by a run that died.
CREATE INDEX journal_email_key ON journal (email_key);
CREATE INDEX journal_state ON journal (state);

-- Small named values that must change in the same transaction as the
-- records they describe (the incremental-sync cookie with the mirror).
CREATE TABLE meta (
	key TEXT PRIMARY KEY,
	value TEXT
);
