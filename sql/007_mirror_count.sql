-- 007_mirror_count.sql: the mirror's entries, and those skipped, counted
-- for every run (the summary, and the base of max_creates) without a pass
-- over the mirror: count(*) read every page of an index, 15 ms at
-- 1,000,000 entries, in each incremental run, even one with nothing to do.
-- Kept by triggers in the same transaction as every change to
-- directory_entry, like known_count (006); directory_entry is written by
-- INSERT, upsert (an update in place) and DELETE, never INSERT OR REPLACE,
-- whose deletes fire no trigger.  A full read recounts it
-- (state_stage_write_mirror), which mends a count a hand edit bypassed.
CREATE TABLE mirror_count (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	total INTEGER NOT NULL,
	skipped INTEGER NOT NULL
);
INSERT INTO mirror_count (id, total, skipped)
    SELECT 1, count(*), count(problem) FROM directory_entry;
CREATE TRIGGER mirror_count_insert AFTER INSERT ON directory_entry BEGIN
	UPDATE mirror_count SET total = total + 1,
	    skipped = skipped + (NEW.problem IS NOT NULL) WHERE id = 1;
END;
CREATE TRIGGER mirror_count_problem AFTER UPDATE OF problem ON directory_entry
    WHEN (OLD.problem IS NULL) <> (NEW.problem IS NULL) BEGIN
	UPDATE mirror_count SET skipped = skipped + (NEW.problem IS NOT NULL) -
	    (OLD.problem IS NOT NULL) WHERE id = 1;
END;
CREATE TRIGGER mirror_count_delete AFTER DELETE ON directory_entry BEGIN
	UPDATE mirror_count SET total = total - 1,
	    skipped = skipped - (OLD.problem IS NOT NULL) WHERE id = 1;
END;
