-- Doorbraak node schema (SQLite). Times are UTC milliseconds since the epoch (BIGINT), so that
-- deadlines compare and sort as numbers; event payloads are canonical JSON (RFC 8785).

-- Local cases, named by a pseudonymous case reference (never a BSN).
CREATE TABLE cases (
    case_ref      TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    responsible   TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);

-- Every aggregate (escalation, kwestie, minutes, recommendation) is an ordered event log.
CREATE TABLE events (
    stream_kind TEXT NOT NULL,
    stream_id   TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    event_id    TEXT NOT NULL,
    at_ms       BIGINT NOT NULL,
    payload     TEXT NOT NULL,
    PRIMARY KEY (stream_kind, stream_id, seq),
    UNIQUE (stream_kind, stream_id, event_id)
);

-- The current state of each aggregate, written in the same transaction as its events.
CREATE TABLE projections (
    stream_kind      TEXT NOT NULL,
    stream_id        TEXT NOT NULL,
    version          BIGINT NOT NULL,
    status           TEXT NOT NULL,
    home_oin         TEXT,
    case_ref         TEXT,
    step             BIGINT,
    situation        BIGINT,
    next_deadline_ms BIGINT,
    overdue          BIGINT NOT NULL DEFAULT 0,
    created_at_ms    BIGINT NOT NULL,
    updated_at_ms    BIGINT NOT NULL,
    state            TEXT NOT NULL,
    PRIMARY KEY (stream_kind, stream_id)
);
CREATE INDEX projections_deadline ON projections (next_deadline_ms)
    WHERE next_deadline_ms IS NOT NULL;
CREATE INDEX projections_case ON projections (case_ref);

-- Organisations that are party to a stream (who may receive it).
CREATE TABLE stream_parties (
    stream_kind TEXT NOT NULL,
    stream_id   TEXT NOT NULL,
    oin         TEXT NOT NULL,
    PRIMARY KEY (stream_kind, stream_id, oin)
);

-- Transactional outbox: one row per destination organisation per message.
CREATE TABLE outbox (
    message_id       TEXT PRIMARY KEY,
    destination      TEXT NOT NULL,
    kind             TEXT NOT NULL,
    stream_kind      TEXT,
    stream_id        TEXT,
    payload          TEXT NOT NULL,
    created_at_ms    BIGINT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_ms  BIGINT NOT NULL,
    last_error       TEXT,
    lease_owner      TEXT,
    lease_expires_ms BIGINT,
    delivered_at_ms  BIGINT,
    -- set when the peer refused the message for good (it is then no longer sent)
    rejected_at_ms   BIGINT
);
CREATE INDEX outbox_pending ON outbox (destination, next_attempt_ms)
    WHERE delivered_at_ms IS NULL;
CREATE INDEX outbox_order ON outbox (destination, created_at_ms, message_id)
    WHERE delivered_at_ms IS NULL;

-- Message ids already applied, per sending organisation, for idempotent receipt.
CREATE TABLE inbox (
    source         TEXT NOT NULL,
    message_id     TEXT NOT NULL,
    received_at_ms BIGINT NOT NULL,
    PRIMARY KEY (source, message_id)
);

-- Access log after NEN 7513: who did what to which object, when, why, with what outcome.
CREATE TABLE access_log (
    event_id      TEXT PRIMARY KEY,
    action        TEXT NOT NULL CHECK (action IN ('C', 'R', 'U', 'D', 'E')),
    at_ms         BIGINT NOT NULL,
    user_id       TEXT NOT NULL,
    user_role     TEXT NOT NULL,
    on_behalf_of  TEXT,
    org_oin       TEXT NOT NULL,
    object_type   TEXT NOT NULL,
    object_id     TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    source_node   TEXT NOT NULL
);
CREATE INDEX access_log_object ON access_log (object_type, object_id);
CREATE INDEX access_log_time ON access_log (at_ms);

-- Reminders for people of this node (e.g. a pickup deadline passed).
CREATE TABLE notifications (
    id            TEXT PRIMARY KEY,
    created_at_ms BIGINT NOT NULL,
    recipient_role TEXT NOT NULL,
    -- a reminder for one person (e.g. who has not yet approved minutes); NULL: the whole role
    recipient_person TEXT,
    stream_kind   TEXT NOT NULL,
    stream_id     TEXT NOT NULL,
    kind          TEXT NOT NULL,
    message_nl    TEXT NOT NULL,
    message_en    TEXT NOT NULL
);

-- Private notes of this organisation's people on a stream: never part of the shared log, never
-- in the outbox, never sent to another node.
CREATE TABLE private_notes (
    id            TEXT PRIMARY KEY,
    stream_kind   TEXT NOT NULL,
    stream_id     TEXT NOT NULL,
    author        TEXT NOT NULL,
    author_role   TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    text          TEXT NOT NULL
);
CREATE INDEX private_notes_stream ON private_notes (stream_kind, stream_id, created_at_ms);

-- Daily snapshots of the stagnation view (municipality nodes), for trends.
CREATE TABLE oversight_snapshots (
    day           TEXT PRIMARY KEY,
    created_at_ms BIGINT NOT NULL,
    view          TEXT NOT NULL
);
