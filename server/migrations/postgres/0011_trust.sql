-- Trust (see the SQLite migration 0014_trust.sql): two-factor sign-in,
-- organization security settings, the audit log.
CREATE TABLE two_factor (
    operator_id TEXT PRIMARY KEY REFERENCES operators (id),
    secret      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    enabled_at  BIGINT,
    last_step   BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE recovery_codes (
    operator_id TEXT NOT NULL REFERENCES operators (id),
    code_hash   TEXT NOT NULL,
    used_at     BIGINT,
    PRIMARY KEY (operator_id, code_hash)
);

CREATE TABLE two_factor_challenges (
    id_hash     TEXT PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES operators (id),
    expires_at  BIGINT NOT NULL
);

ALTER TABLE organizations ADD COLUMN require_two_factor BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE organizations ADD COLUMN retention_days INTEGER;

CREATE TABLE audit_log (
    seq             BIGSERIAL PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    at              BIGINT NOT NULL,
    actor_kind      TEXT NOT NULL CHECK (actor_kind IN ('operator', 'apiKey', 'server')),
    actor_id        TEXT,
    actor_name      TEXT,
    address         TEXT,
    action          TEXT NOT NULL,
    target          TEXT,
    detail          TEXT
);

CREATE INDEX audit_log_by_organization ON audit_log (organization_id, seq);
CREATE INDEX audit_log_by_time ON audit_log (at);
