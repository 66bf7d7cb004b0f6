-- Mail that carries what a visitor wrote goes only to an address that is
-- verified (a signed-in visitor of a verified identity) or confirmed from
-- the address itself. Until then such a mail waits in the outbox, held.
CREATE TABLE mail_confirmations (
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    email           TEXT NOT NULL, -- lowercased
    token_hash      TEXT NOT NULL UNIQUE,
    requested_at    INTEGER NOT NULL, -- at most one confirmation mail a day
    confirmed_at    INTEGER,
    PRIMARY KEY (organization_id, email)
) STRICT;

-- The outbox again, with `held` and without the check on `kind` (the
-- kinds are the server's to name; a confirmation is one more).
CREATE TABLE mail_outbox_next (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    conversation_id TEXT REFERENCES conversations (id),
    kind            TEXT NOT NULL,
    to_address      TEXT NOT NULL,
    from_name       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    unsubscribe_url TEXT,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    locked_until    INTEGER NOT NULL DEFAULT 0,
    sent_at         INTEGER,
    failed_at       INTEGER,
    last_error      TEXT,
    held            INTEGER NOT NULL DEFAULT 0 -- waits for its address's confirmation
) STRICT;

INSERT INTO mail_outbox_next (id, organization_id, conversation_id, kind, to_address,
    from_name, subject, text_body, html_body, unsubscribe_url, created_at, attempts,
    next_attempt_at, locked_until, sent_at, failed_at, last_error)
SELECT id, organization_id, conversation_id, kind, to_address, from_name, subject,
    text_body, html_body, unsubscribe_url, created_at, attempts, next_attempt_at,
    locked_until, sent_at, failed_at, last_error
FROM mail_outbox;

DROP TABLE mail_outbox;
ALTER TABLE mail_outbox_next RENAME TO mail_outbox;

CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at)
    WHERE sent_at IS NULL AND failed_at IS NULL AND held = 0;
CREATE INDEX mail_outbox_by_conversation ON mail_outbox (conversation_id, kind, created_at);
CREATE INDEX mail_outbox_held ON mail_outbox (organization_id, to_address) WHERE held = 1;

-- The sites allowed to embed the widget (JSON array of origins; empty:
-- anywhere). Mails link only to pages on them.
ALTER TABLE organizations ADD COLUMN allowed_origins TEXT NOT NULL DEFAULT '[]';
