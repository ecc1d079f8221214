-- The fields of Logius' Logboek Dataverwerkingen (issue #16): this node's operation (span) and
-- the caller's, the external party the call came from, the processing activity (a URI in the
-- register of processing activities) and the data subject (the pseudonymous case reference).
ALTER TABLE access_log ADD COLUMN span_id TEXT;
ALTER TABLE access_log ADD COLUMN parent_span_id TEXT;
ALTER TABLE access_log ADD COLUMN foreign_entity TEXT;
ALTER TABLE access_log ADD COLUMN processing_activity TEXT;
ALTER TABLE access_log ADD COLUMN data_subject TEXT;
