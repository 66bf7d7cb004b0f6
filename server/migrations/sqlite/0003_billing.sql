-- Billing webhook events already applied, so a redelivered event (same ID)
-- changes nothing.
CREATE TABLE billing_events (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    status          TEXT NOT NULL,
    received_at     INTEGER NOT NULL
) STRICT;
