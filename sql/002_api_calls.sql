-- 002_api_calls.sql: what the metrics and the history retention need
-- (SPEC.md: metrics_file, history_days).
--
-- Each run records the answers its requests to iMocha got, counted per
-- attempt (retries included) as the HTTP pool counts them, so the metrics'
-- API counters are sums over runs and survive restarts.
ALTER TABLE run ADD COLUMN api_2xx INTEGER NOT NULL DEFAULT 0;
ALTER TABLE run ADD COLUMN api_4xx INTEGER NOT NULL DEFAULT 0;	-- 429 aside
ALTER TABLE run ADD COLUMN api_429 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE run ADD COLUMN api_5xx INTEGER NOT NULL DEFAULT 0;
ALTER TABLE run ADD COLUMN api_transport INTEGER NOT NULL DEFAULT 0;	-- no answer at all

-- The journal is the audit history, kept for [sync] history_days: each
-- sync deletes the settled rows (never an 'intended' one) and the runs
-- older than that.  The deleted runs' counts are added here first, by exit
-- status (-1: the run never ended), so the metrics' counters never go
-- down when old runs go.
CREATE TABLE run_pruned (
	exit_status INTEGER PRIMARY KEY,
	runs INTEGER NOT NULL DEFAULT 0,
	api_2xx INTEGER NOT NULL DEFAULT 0,
	api_4xx INTEGER NOT NULL DEFAULT 0,
	api_429 INTEGER NOT NULL DEFAULT 0,
	api_5xx INTEGER NOT NULL DEFAULT 0,
	api_transport INTEGER NOT NULL DEFAULT 0
);

-- history --since and the retention look rows up by time.
CREATE INDEX journal_intended_at ON journal (intended_at);
CREATE INDEX run_started_at ON run (started_at);
-- Deleting a run checks the journal rows that name it (foreign key).
CREATE INDEX journal_run_id ON journal (run_id);
