-- Restores from a backup (issue #17): while a restore is not re-learned, the node decides
-- nothing on its own shared streams (it may have delivered events the backup does not hold).
CREATE TABLE restores (
    restored_at_ms  BIGINT NOT NULL,
    relearned_at_ms BIGINT
);
