-- The operator desk (see the SQLite migration 0013_desk.sql).
ALTER TABLE messages DROP CONSTRAINT IF EXISTS messages_role_check;
ALTER TABLE messages ADD CONSTRAINT messages_role_check
    CHECK (role IN ('visitor', 'assistant', 'operator', 'note'));
ALTER TABLE messages ADD COLUMN mentions TEXT;

CREATE TABLE mentions (
    message_id      TEXT NOT NULL REFERENCES messages (id),
    operator_id     TEXT NOT NULL REFERENCES operators (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    created_at      BIGINT NOT NULL,
    read_at         BIGINT,
    PRIMARY KEY (message_id, operator_id)
);

CREATE INDEX mentions_by_operator ON mentions (operator_id, organization_id, created_at);
CREATE INDEX mentions_by_conversation ON mentions (conversation_id, operator_id);

CREATE TABLE labels (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    name            TEXT NOT NULL,
    name_key        TEXT NOT NULL,
    color           TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    UNIQUE (organization_id, name_key)
);

CREATE TABLE conversation_labels (
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    label_id        TEXT NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
    PRIMARY KEY (conversation_id, label_id)
);

CREATE INDEX conversation_labels_by_label ON conversation_labels (label_id);

CREATE TABLE canned_replies (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    owner_id        TEXT REFERENCES operators (id),
    shortcut        TEXT NOT NULL,
    title           TEXT NOT NULL,
    text            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE UNIQUE INDEX canned_replies_by_shortcut
    ON canned_replies (organization_id, COALESCE(owner_id, ''), shortcut);

-- Full-text search: each message's and each conversation's visitor's
-- text, folded (lowercase, no accents: by the server, in Rust) into a
-- 'simple' tsvector, written in the same transaction as what it indexes.
-- Rows from before this migration are folded by the server after it
-- starts (search IS NULL), in small batches.
ALTER TABLE messages ADD COLUMN search tsvector;
CREATE INDEX messages_search ON messages USING GIN (search);
ALTER TABLE conversations ADD COLUMN search tsvector;
CREATE INDEX conversations_search ON conversations USING GIN (search);

-- Mail notices gain an audience: the operators a note mentions.
ALTER TABLE mail_notices DROP CONSTRAINT IF EXISTS mail_notices_audience_check;
ALTER TABLE mail_notices ADD CONSTRAINT mail_notices_audience_check
    CHECK (audience IN ('team', 'visitor', 'mentioned'));

-- The visitor's context finds their conversations under the same email.
CREATE INDEX contact_sessions_by_email ON contact_sessions (organization_id, lower(email))
    WHERE email <> '';
