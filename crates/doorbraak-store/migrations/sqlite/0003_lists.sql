-- Lists at real size: a subject to show and search, an index per kind and age.
ALTER TABLE projections ADD COLUMN subject TEXT NOT NULL DEFAULT '';
UPDATE projections SET subject = substr(coalesce(
    json_extract(state, '$.question'),
    json_extract(state, '$.obstacle'),
    json_extract(state, '$.meeting.agenda'),
    json_extract(state, '$.title'),
    ''), 1, 200);
CREATE INDEX projections_kind_created ON projections (stream_kind, created_at_ms);
CREATE INDEX cases_responsible ON cases (responsible);
