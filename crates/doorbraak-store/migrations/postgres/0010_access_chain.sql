-- Tamper evidence for the access log (issue #16): every row is sealed into a hash chain
-- (access_chain, in seal order), with signed checkpoints at intervals; no row of the three
-- tables is ever changed or deleted (the trigger refuses it; grant the node's role only
-- SELECT and INSERT on them, see docs/SECURITY.md).
CREATE TABLE access_chain (
    chain_seq    BIGINT PRIMARY KEY,
    event_id     TEXT NOT NULL UNIQUE,
    row_hash     TEXT NOT NULL,
    chain_hash   TEXT NOT NULL,
    sealed_at_ms BIGINT NOT NULL
);
CREATE TABLE access_checkpoints (
    chain_seq   BIGINT PRIMARY KEY,
    chain_hash  TEXT NOT NULL,
    at_ms       BIGINT NOT NULL,
    algorithm   TEXT NOT NULL,
    certificate TEXT NOT NULL,
    signature   TEXT NOT NULL
);
CREATE FUNCTION doorbraak_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'access log rows are never changed or deleted (% on %)', TG_OP, TG_TABLE_NAME;
END
$$;
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION doorbraak_append_only();
CREATE TRIGGER access_chain_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON access_chain
    FOR EACH STATEMENT EXECUTE FUNCTION doorbraak_append_only();
CREATE TRIGGER access_checkpoints_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON access_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION doorbraak_append_only();
