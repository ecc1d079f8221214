-- The home's figures as counters (issue #18): one per metric, time bucket and label, kept in
-- the transaction that stores a stream's new state (see doorbraak_model::figures), so that the
-- figures are read from a few thousand rows at any number of escalations. `grain` is '-' (of
-- the present), 'd' (bucket YYYY-MM-DD, a Dutch day), 'm' (YYYY-MM) or 'y' (YYYY). `shard`
-- spreads a counter that every command touches over a few rows, so that instances of a node
-- on PostgreSQL do not queue on one row; a figure is the sum over the shards.
CREATE TABLE figure_counts (
    metric TEXT NOT NULL,
    grain  TEXT NOT NULL,
    bucket TEXT NOT NULL,
    label  TEXT NOT NULL,
    shard  BIGINT NOT NULL,
    n      BIGINT NOT NULL,
    PRIMARY KEY (metric, grain, bucket, label, shard)
);

-- When the counters were built from the stored streams: a node whose database predates them
-- builds them once, at its first start (one row).
CREATE TABLE figure_counts_built (
    id          BIGINT PRIMARY KEY,
    built_at_ms BIGINT NOT NULL,
    streams     BIGINT NOT NULL
);

-- The open steps whose pick-up deadline passed but that the sweeper has not marked yet are
-- counted from the deadline column (exact to the moment): from this index alone.
CREATE INDEX projections_home_deadline ON projections (stream_kind, home_oin, next_deadline_ms)
    WHERE next_deadline_ms IS NOT NULL;
