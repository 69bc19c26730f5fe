-- 006_mirror_email_key.sql: an incremental run plans only the e-mail keys
-- its read touched (state_stage_delta.c): the mirror rows holding such a
-- key, and whether each is shared, are found by this index rather than by
-- reading the whole mirror.  The planner's key is the lower-case e-mail.
CREATE INDEX directory_entry_email_key ON directory_entry (lower(email));
