-- Every directory manifest this node accepted (issue #15), kept for good: an approval is
-- checked against the version in force when it was signed, also after later renewals, and a
-- node never goes back to an older serial.
CREATE TABLE directory_versions (
    serial BIGINT PRIMARY KEY,
    issued_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    manifest TEXT NOT NULL,
    accepted_at TEXT NOT NULL
);
