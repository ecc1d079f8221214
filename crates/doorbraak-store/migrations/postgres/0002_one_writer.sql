-- One writer per stream (issue 11): idempotency keys, divergences of replicas, and the query
-- columns the federation-aware audit needs.

-- Answers of commands that carried an idempotency key: a repeated key returns the stored
-- answer and has no second effect. `scope` is `user:<person id>` for this node's people and
-- `peer:<OIN>` for requests another node forwarded (the key is then its request id).
-- Written in the same transaction as the command's effect; kept at least 24 hours.
CREATE TABLE idempotency (
    scope         TEXT NOT NULL,
    idem_key      TEXT NOT NULL,
    -- what the key was used for (operation and object); another use of the key is refused
    fingerprint   TEXT NOT NULL,
    answer        TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idempotency_age ON idempotency (created_at_ms);

-- A replica whose event differed from the home's at the same sequence number: recorded,
-- then repaired from the home (the home is the truth).
CREATE TABLE divergences (
    id             TEXT PRIMARY KEY,
    stream_kind    TEXT NOT NULL,
    stream_id      TEXT NOT NULL,
    home_oin       TEXT NOT NULL,
    seq            BIGINT NOT NULL,
    local_event_id TEXT NOT NULL,
    home_event_id  TEXT NOT NULL,
    detected_at_ms BIGINT NOT NULL,
    repaired_at_ms BIGINT
);
CREATE INDEX divergences_stream ON divergences (stream_kind, stream_id);

CREATE INDEX projections_home ON projections (home_oin);
CREATE INDEX outbox_stream ON outbox (stream_kind, stream_id);
