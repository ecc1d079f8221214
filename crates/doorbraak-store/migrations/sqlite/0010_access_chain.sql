-- Tamper evidence for the access log (issue #16): every row is sealed into a hash chain
-- (access_chain, in seal order), with signed checkpoints at intervals; no row of the three
-- tables is ever changed or deleted (the triggers refuse it).
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
CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
BEGIN SELECT RAISE(ABORT, 'access log rows are never changed or deleted'); END;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
BEGIN SELECT RAISE(ABORT, 'access log rows are never changed or deleted'); END;
CREATE TRIGGER access_chain_no_update BEFORE UPDATE ON access_chain
BEGIN SELECT RAISE(ABORT, 'access log rows are never changed or deleted'); END;
CREATE TRIGGER access_chain_no_delete BEFORE DELETE ON access_chain
BEGIN SELECT RAISE(ABORT, 'access log rows are never changed or deleted'); END;
CREATE TRIGGER access_checkpoints_no_update BEFORE UPDATE ON access_checkpoints
BEGIN SELECT RAISE(ABORT, 'access log rows are never changed or deleted'); END;
CREATE TRIGGER access_checkpoints_no_delete BEFORE DELETE ON access_checkpoints
BEGIN SELECT RAISE(ABORT, 'access log rows are never changed or deleted'); END;
