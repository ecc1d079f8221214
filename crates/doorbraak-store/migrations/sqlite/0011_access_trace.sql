-- One trace across nodes (issue #16): the W3C trace id of the request an entry was written in.
ALTER TABLE access_log ADD COLUMN trace_id TEXT;
