-- A person's choice (issue #14): each notice mailed at once (0), or one daily digest (1); the
-- Dutch day of the last digest, so that there is one a day.
ALTER TABLE persons ADD COLUMN digest BIGINT NOT NULL DEFAULT 0;
ALTER TABLE persons ADD COLUMN last_digest TEXT;
