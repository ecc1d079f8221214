-- The people of this node who logged in, with their name and role as last seen: for the
-- administrator's overview of users and roles, and to find someone in the access log by name.
CREATE TABLE persons (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    source        TEXT NOT NULL CHECK (source IN ('dev', 'oidc')),
    first_seen_ms BIGINT NOT NULL,
    last_seen_ms  BIGINT NOT NULL
);
