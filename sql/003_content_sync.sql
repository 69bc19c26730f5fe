-- 003_content_sync.sql: incremental reads (RFC 4533 content sync).
--
-- The server names entries by entryUUID in what it sends (deleted ones,
-- present ones), whatever id_attribute the agent keys users by, so the
-- mirror keeps each entry's entryUUID too.  The cookie and the
-- fingerprints that decide when a full read is due live in meta, written
-- in the same transaction as the mirror they describe.
ALTER TABLE directory_entry ADD COLUMN uuid TEXT;
CREATE INDEX directory_entry_uuid ON directory_entry (uuid);
