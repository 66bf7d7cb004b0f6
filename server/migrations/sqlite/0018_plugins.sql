-- Plugins: an organization's own accounts at third-party services. The
-- keys are sealed (AES-256-GCM under ECHO_SECRETS_KEY, bound to the
-- organization and purpose: src/vault.rs); the hint is the private key's
-- last four characters.
CREATE TABLE plugins (
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    service         TEXT NOT NULL CHECK (service IN ('vapi')),
    private_key     TEXT NOT NULL,
    public_key      TEXT NOT NULL,
    key_hint        TEXT NOT NULL,
    connected_at    INTEGER NOT NULL,
    -- When the service last refused the key (NULL: not since connected).
    broken_at       INTEGER,
    -- The widget's voice: the assistant web calls talk to, and the number
    -- "Call us" shows (its id, and the number as Vapi gave it).
    assistant_id    TEXT,
    phone_number_id TEXT,
    phone_number    TEXT,
    PRIMARY KEY (organization_id, service)
) STRICT;
