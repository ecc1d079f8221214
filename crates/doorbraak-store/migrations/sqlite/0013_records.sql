-- Records (issue #16): retention terms, legal holds, destruction lists, restriction of
-- processing. Times are UTC milliseconds.

-- What the records part of each stream's state says, as query columns: when it closed, when
-- it was destroyed, whether a legal hold stands, and (at the home) the parties that have not
-- yet confirmed the destruction of their replica (OINs, comma-separated).
ALTER TABLE projections ADD COLUMN closed_at_ms BIGINT;
ALTER TABLE projections ADD COLUMN destroyed_at_ms BIGINT;
ALTER TABLE projections ADD COLUMN held BIGINT NOT NULL DEFAULT 0;
ALTER TABLE projections ADD COLUMN unconfirmed TEXT;
-- the stream another one belongs to (a meeting's escalation): its case is the data subject too
ALTER TABLE projections ADD COLUMN link TEXT;
CREATE INDEX projections_closed ON projections (closed_at_ms);

-- The retention term a record got when it closed (from the node's policy at that moment) and
-- its destruction date (archiefactiedatum).
CREATE TABLE retention (
    stream_kind   TEXT NOT NULL,
    stream_id     TEXT NOT NULL,
    closed_at_ms  BIGINT NOT NULL,
    years         BIGINT NOT NULL,
    basis         TEXT NOT NULL,
    destroy_on_ms BIGINT NOT NULL,
    set_at_ms     BIGINT NOT NULL,
    PRIMARY KEY (stream_kind, stream_id)
);
CREATE INDEX retention_due ON retention (destroy_on_ms);

-- Destruction lists (vernietigingslijsten): proposed by the sweeper, approved or rejected by
-- the responsible role, then carried out item by item.
CREATE TABLE destruction_lists (
    id             TEXT PRIMARY KEY,
    proposed_at_ms BIGINT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('proposed', 'approved', 'rejected')),
    decided_by     TEXT,
    decided_at_ms  BIGINT
);
CREATE TABLE destruction_items (
    list_id       TEXT NOT NULL,
    stream_kind   TEXT NOT NULL,
    stream_id     TEXT NOT NULL,
    case_ref      TEXT,
    closed_at_ms  BIGINT NOT NULL,
    years         BIGINT NOT NULL,
    basis         TEXT NOT NULL,
    destroy_on_ms BIGINT NOT NULL,
    -- 'destroyed', or 'skipped:<rule>' (e.g. a legal hold placed after the list was proposed)
    outcome       TEXT,
    done_at_ms    BIGINT,
    PRIMARY KEY (list_id, stream_kind, stream_id)
);
CREATE INDEX destruction_items_stream ON destruction_items (stream_kind, stream_id);

-- Restriction of processing (AVG art. 18) per case: while a row stands, nothing of the case
-- changes and only the responsible role reads it.
CREATE TABLE restrictions (
    case_ref  TEXT PRIMARY KEY,
    reason    TEXT NOT NULL,
    by_person TEXT NOT NULL,
    at_ms     BIGINT NOT NULL
);
