-- 004_known_by_entry.sql: the planner looks known users up by the
-- directory entry they belong to (an e-mail changed in the directory)
-- one at a time, now that it no longer loads them all.
CREATE INDEX imocha_user_entry_id ON imocha_user (entry_id);
