-- What waits for each person of this node (issue #14): derived from the events of a stream in
-- the same transaction that writes them, here at the home and at every party's replica; one row
-- per person, item, reason and the event that caused it. No text: the page says what it is.
CREATE TABLE notices (
    id            TEXT PRIMARY KEY,
    person        TEXT NOT NULL,
    reason        TEXT NOT NULL,
    stream_kind   TEXT NOT NULL,
    stream_id     TEXT NOT NULL,
    seq           BIGINT NOT NULL,
    deadline_ms   BIGINT,
    created_at_ms BIGINT NOT NULL,
    read_at_ms    BIGINT,
    UNIQUE (person, stream_kind, stream_id, reason, seq)
);
CREATE INDEX notices_person ON notices (person, created_at_ms);
