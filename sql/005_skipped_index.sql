-- 005_skipped_index.sql: a run that finds nothing changed still reports
-- the entries it skips (SPEC.md: "reported each run"), from the mirror;
-- a partial index keeps that to the few rows with a problem.
CREATE INDEX directory_entry_problem ON directory_entry (problem) WHERE problem IS NOT NULL;
