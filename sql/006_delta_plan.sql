-- 006_delta_plan.sql: an incremental run plans only the e-mail keys its
-- read touched (state_stage_delta.c), so nothing it does may read the
-- whole mirror or every known user:
-- the mirror rows holding a touched key, and whether each is shared, are
-- found by the planner's key, the lower-case e-mail;
CREATE INDEX directory_entry_email_key ON directory_entry (lower(email));
-- the known users counted for the limits (managed, and those active) by
-- count(*) and this small index rather than a pass over the table.
CREATE INDEX imocha_user_inactive ON imocha_user (email_key) WHERE status = 'Inactive';
