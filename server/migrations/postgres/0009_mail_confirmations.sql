-- Mail confirmations and held mail (see the SQLite migration
-- 0012_mail_confirmations.sql).
CREATE TABLE mail_confirmations (
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    email           TEXT NOT NULL, -- lowercased
    token_hash      TEXT NOT NULL UNIQUE,
    requested_at    BIGINT NOT NULL, -- at most one confirmation mail a day
    confirmed_at    BIGINT,
    PRIMARY KEY (organization_id, email)
);

ALTER TABLE mail_outbox DROP CONSTRAINT IF EXISTS mail_outbox_kind_check;
ALTER TABLE mail_outbox ADD COLUMN held BOOLEAN NOT NULL DEFAULT FALSE;
DROP INDEX mail_outbox_due;
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at)
    WHERE sent_at IS NULL AND failed_at IS NULL AND NOT held;
CREATE INDEX mail_outbox_held ON mail_outbox (organization_id, to_address) WHERE held;

ALTER TABLE organizations ADD COLUMN allowed_origins TEXT NOT NULL DEFAULT '[]';
