-- Plugins (see the SQLite migration 0018_plugins.sql).
CREATE TABLE plugins (
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    service         TEXT NOT NULL CHECK (service IN ('vapi')),
    private_key     TEXT NOT NULL,
    public_key      TEXT NOT NULL,
    key_hint        TEXT NOT NULL,
    connected_at    BIGINT NOT NULL,
    broken_at       BIGINT,
    -- The widget's voice: the assistant web calls talk to, and the number
    -- "Call us" shows (its id, and the number as Vapi gave it).
    assistant_id    TEXT,
    phone_number_id TEXT,
    phone_number    TEXT,
    PRIMARY KEY (organization_id, service)
);
