-- Trust: two-factor sign-in, organization security settings, the audit log.

-- An operator's TOTP secret (base32; it must be read to check codes, so it
-- cannot be hashed), pending until `enabled_at` is set by a first code.
-- `last_step` is the newest time step a code was accepted for: a code is
-- accepted once.
CREATE TABLE two_factor (
    operator_id TEXT PRIMARY KEY REFERENCES operators (id),
    secret      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    enabled_at  INTEGER,
    last_step   INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Ten single-use recovery codes per operator, stored as SHA-256 digests.
CREATE TABLE recovery_codes (
    operator_id TEXT NOT NULL REFERENCES operators (id),
    code_hash   TEXT NOT NULL,
    used_at     INTEGER,
    PRIMARY KEY (operator_id, code_hash)
) STRICT;

-- A sign-in whose password was right, waiting for its second factor
-- (token digest; five minutes).
CREATE TABLE two_factor_challenges (
    id_hash     TEXT PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES operators (id),
    expires_at  INTEGER NOT NULL
) STRICT;

ALTER TABLE organizations ADD COLUMN require_two_factor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE organizations ADD COLUMN retention_days INTEGER;

-- Security-relevant actions, newest first by seq. Append-only: no API
-- changes a row; rows older than 400 days are pruned.
CREATE TABLE audit_log (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    at              INTEGER NOT NULL,
    actor_kind      TEXT NOT NULL CHECK (actor_kind IN ('operator', 'apiKey', 'server')),
    actor_id        TEXT,
    actor_name      TEXT,
    address         TEXT,
    action          TEXT NOT NULL,
    target          TEXT,
    detail          TEXT
) STRICT;

CREATE INDEX audit_log_by_organization ON audit_log (organization_id, seq);
CREATE INDEX audit_log_by_time ON audit_log (at);
