-- The access log's own retention (issue #16): sealed rows older than the term are archived
-- in segments that end at a signed checkpoint (a file beside the database, its SHA-256 kept
-- here), and only then removed. The triggers now allow deleting exactly those rows: a row or
-- link at or below an archived segment's end; nothing is ever changed.
CREATE TABLE access_archives (
    up_to_seq      BIGINT PRIMARY KEY,
    from_seq       BIGINT NOT NULL,
    chain_hash     TEXT NOT NULL,
    rows_archived  BIGINT NOT NULL,
    from_ms        BIGINT NOT NULL,
    until_ms       BIGINT NOT NULL,
    file           TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    archived_at_ms BIGINT NOT NULL
);
CREATE TRIGGER access_archives_no_update BEFORE UPDATE ON access_archives
BEGIN SELECT RAISE(ABORT, 'access log rows are never changed or deleted'); END;
CREATE TRIGGER access_archives_no_delete BEFORE DELETE ON access_archives
BEGIN SELECT RAISE(ABORT, 'access log rows are never changed or deleted'); END;
DROP TRIGGER access_log_no_delete;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
WHEN NOT EXISTS (SELECT 1 FROM access_chain c WHERE c.event_id = OLD.event_id
    AND c.chain_seq <= (SELECT COALESCE(MAX(up_to_seq), 0) FROM access_archives))
BEGIN SELECT RAISE(ABORT, 'access log rows are never changed or deleted'); END;
DROP TRIGGER access_chain_no_delete;
CREATE TRIGGER access_chain_no_delete BEFORE DELETE ON access_chain
WHEN OLD.chain_seq > (SELECT COALESCE(MAX(up_to_seq), 0) FROM access_archives)
BEGIN SELECT RAISE(ABORT, 'access log rows are never changed or deleted'); END;
