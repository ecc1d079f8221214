-- Mailing a notice (issue #14): pending until sent (or given up, or nobody to send it to); a
-- failed attempt waits before the next one.
ALTER TABLE notices ADD COLUMN mail_state TEXT NOT NULL DEFAULT 'none';
ALTER TABLE notices ADD COLUMN mail_attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notices ADD COLUMN mail_next_ms BIGINT;
ALTER TABLE notices ADD COLUMN mail_error TEXT;
ALTER TABLE notices ADD COLUMN mail_sent_ms BIGINT;
CREATE INDEX notices_mail ON notices (mail_state, mail_next_ms);
