-- Onboarding (see the SQLite migration 0015_onboarding.sql): accounts made by sign-up confirm their address; the host
-- sites the widget was seen on. Accounts made before (by invitation or the
-- command line) count as confirmed.
ALTER TABLE operators ADD COLUMN email_verified_at BIGINT;
UPDATE operators SET email_verified_at = created_at;

-- The mailed links' tokens (stored hashed; single use, 24 hours).
CREATE TABLE email_verifications (
    token_hash  TEXT PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES operators (id),
    email       TEXT NOT NULL, -- the address mailed; a changed address needs a new link
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX email_verifications_by_operator ON email_verifications (operator_id, created_at);

-- Host pages' origins that loaded the widget (written at most once a
-- minute per origin by each server process).
CREATE TABLE widget_origins (
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    origin          TEXT NOT NULL,
    last_seen_at    BIGINT NOT NULL,
    PRIMARY KEY (organization_id, origin)
);
