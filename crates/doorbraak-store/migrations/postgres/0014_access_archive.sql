-- The access log's own retention (issue #16): sealed rows older than the term are archived
-- in segments that end at a signed checkpoint (a file beside the database, its SHA-256 kept
-- here), and only then removed. The triggers now allow deleting exactly those rows: a row or
-- link at or below an archived segment's end; nothing is ever changed or truncated.
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
CREATE TRIGGER access_archives_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON access_archives
    FOR EACH STATEMENT EXECUTE FUNCTION doorbraak_append_only();
CREATE FUNCTION doorbraak_delete_archived() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    archived BIGINT;
    seq BIGINT;
BEGIN
    SELECT COALESCE(MAX(up_to_seq), 0) INTO archived FROM access_archives;
    IF TG_TABLE_NAME = 'access_chain' THEN
        seq := OLD.chain_seq;
    ELSE
        SELECT chain_seq INTO seq FROM access_chain WHERE event_id = OLD.event_id;
    END IF;
    IF seq IS NULL OR seq > archived THEN
        RAISE EXCEPTION 'access log rows are never changed or deleted (% on %)', TG_OP, TG_TABLE_NAME;
    END IF;
    RETURN OLD;
END
$$;
DROP TRIGGER access_log_append_only ON access_log;
DROP TRIGGER access_chain_append_only ON access_chain;
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION doorbraak_append_only();
CREATE TRIGGER access_log_archived_only BEFORE DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION doorbraak_delete_archived();
CREATE TRIGGER access_chain_append_only BEFORE UPDATE OR TRUNCATE ON access_chain
    FOR EACH STATEMENT EXECUTE FUNCTION doorbraak_append_only();
CREATE TRIGGER access_chain_archived_only BEFORE DELETE ON access_chain
    FOR EACH ROW EXECUTE FUNCTION doorbraak_delete_archived();
