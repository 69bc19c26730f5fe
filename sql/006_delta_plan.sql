-- 006_delta_plan.sql: an incremental run plans only the e-mail keys its
-- read touched (state_stage_delta.c), so nothing it does may read the
-- whole mirror or every known user.
-- The mirror rows holding a touched key, and whether each is shared, are
-- found by the planner's key, the lower-case e-mail:
CREATE INDEX directory_entry_email_key ON directory_entry (lower(email));
-- The known users counted for the limits (managed, and those active):
-- kept by triggers in the same transaction as every change to
-- imocha_user, whoever makes it, rather than counted (20 ms at 1,000,000
-- known users, in every run that plans).  imocha_user is written by
-- INSERT and UPDATE only (an upsert updates in place), never deleted from.
CREATE TABLE known_count (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	total INTEGER NOT NULL,
	inactive INTEGER NOT NULL
);
INSERT INTO known_count (id, total, inactive)
    SELECT 1, count(*), coalesce(sum(status = 'Inactive'), 0) FROM imocha_user;
CREATE TRIGGER known_count_insert AFTER INSERT ON imocha_user BEGIN
	UPDATE known_count SET total = total + 1,
	    inactive = inactive + (NEW.status = 'Inactive') WHERE id = 1;
END;
CREATE TRIGGER known_count_status AFTER UPDATE OF status ON imocha_user BEGIN
	UPDATE known_count SET inactive = inactive + (NEW.status = 'Inactive') -
	    (OLD.status = 'Inactive') WHERE id = 1;
END;
CREATE TRIGGER known_count_delete AFTER DELETE ON imocha_user BEGIN
	UPDATE known_count SET total = total - 1,
	    inactive = inactive - (OLD.status = 'Inactive') WHERE id = 1;
END;
