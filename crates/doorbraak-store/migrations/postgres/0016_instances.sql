-- Several instances of one node on one database (issue #18).
-- Leases: who does a piece of work that one process at a time may do, until when. Taken,
-- renewed and taken over in one statement (an upsert that only wins over its own or an expired
-- lease), so two instances can never hold one at once; a dead instance's lease expires.
--   outbox:<OIN>   sending to one destination (keeps the order of its messages)
--   job:<name>     the sweeper, the daily snapshots, the records pass
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    expires_ms BIGINT NOT NULL
);

-- Web sessions in the database, so that a login on one instance works on the next. The
-- cookie's value is never stored: only its SHA-256.
CREATE TABLE web_sessions (
    id_hash      TEXT PRIMARY KEY,
    person       TEXT,                 -- the person logged in; NULL before login
    data         TEXT NOT NULL,
    created_ms   BIGINT NOT NULL,
    last_seen_ms BIGINT NOT NULL
);
CREATE INDEX web_sessions_last_seen ON web_sessions (last_seen_ms);
