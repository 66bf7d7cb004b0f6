-- Email notifications (see the SQLite migration 0009_mail.sql).
-- Email notifications. Every mail is decided and written in a transaction
-- (so a crash loses none) and delivered from `mail_outbox` by a sender loop
-- that leases rows (so a restart or a second replica sends none twice).
ALTER TABLE operators ADD COLUMN email_notifications BOOLEAN NOT NULL DEFAULT TRUE;

-- When each operator's console or visitor's widget last had a push stream
-- open ('op:<operator id>', 'vs:<contact-session hash>').
CREATE TABLE presence (
    subject   TEXT PRIMARY KEY,
    last_seen BIGINT NOT NULL
);

-- A conversation whose team or visitor may need a mail: written with the
-- message that causes it, decided by the sender loop once due.
CREATE TABLE mail_notices (
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    audience        TEXT NOT NULL CHECK (audience IN ('team', 'visitor')),
    pending         BOOLEAN NOT NULL DEFAULT TRUE,
    due_at          BIGINT NOT NULL,
    version         BIGINT NOT NULL DEFAULT 1, -- bumped by each new message
    locked_until    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, audience)
);

CREATE INDEX mail_notices_due ON mail_notices (due_at) WHERE pending;

-- Per recipient of a conversation ('visitor' or an operator ID): the last
-- message a mail covered, and when the last mail went (batching).
CREATE TABLE mail_marks (
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    recipient       TEXT NOT NULL,
    covered_seq     BIGINT NOT NULL,
    last_mailed_at  BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, recipient)
);

CREATE TABLE mail_outbox (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    conversation_id TEXT REFERENCES conversations (id),
    kind            TEXT NOT NULL CHECK (kind IN ('team', 'visitor', 'transcript')),
    to_address      TEXT NOT NULL,
    from_name       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL, -- emptied once sent: it may hold a link token
    html_body       TEXT NOT NULL,
    unsubscribe_url TEXT,
    created_at      BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    locked_until    BIGINT NOT NULL DEFAULT 0,
    sent_at         BIGINT,
    failed_at       BIGINT,
    last_error      TEXT
);

CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at)
    WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX mail_outbox_by_conversation ON mail_outbox (conversation_id, kind, created_at);

-- Addresses not to mail: unsubscribed from one organization, or bounced
-- permanently (organization_id '': every organization).
CREATE TABLE mail_suppressions (
    organization_id TEXT NOT NULL,
    email           TEXT NOT NULL, -- lowercased
    reason          TEXT NOT NULL CHECK (reason IN ('unsubscribed', 'bounced')),
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (organization_id, email)
);

-- One-click unsubscribe links, stored as SHA-256 hex digests.
CREATE TABLE unsubscribe_tokens (
    token_hash      TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    email           TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
