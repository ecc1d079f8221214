-- The municipality's last good answer of each member of its region (issue #18): the
-- stagnation view uses it, marked with its age, for a member that is slow or down, instead of
-- waiting for it on every view. Per period asked (empty bounds: the whole history). The
-- figures are a member's own aggregates (counts and day lists, no case content), as received.
CREATE TABLE member_answers (
    member         TEXT NOT NULL,
    period         TEXT NOT NULL,
    figures        TEXT NOT NULL,
    answered_at_ms BIGINT NOT NULL,
    PRIMARY KEY (member, period)
);

-- How each member answered lately: a member that failed is asked again only after a backoff.
CREATE TABLE member_health (
    member          TEXT PRIMARY KEY,
    failures        BIGINT NOT NULL,
    last_failure_ms BIGINT,
    last_success_ms BIGINT
);
