-- Lists at real size: a subject to show and search, an index per kind and age.
ALTER TABLE projections ADD COLUMN subject TEXT NOT NULL DEFAULT '';
UPDATE projections SET subject = left(coalesce(
    state::jsonb ->> 'question',
    state::jsonb ->> 'obstacle',
    state::jsonb #>> '{meeting,agenda}',
    state::jsonb ->> 'title',
    ''), 200);
CREATE INDEX projections_kind_created ON projections (stream_kind, created_at_ms);
CREATE INDEX cases_responsible ON cases (responsible);
