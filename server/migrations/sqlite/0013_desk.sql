-- The operator desk: private notes and the operators they mention, labels,
-- saved replies, and full-text search.

-- Messages again, with 'note' among the roles (the team's private notes,
-- which no visitor sees) and the operators a note mentions (JSON array).
CREATE TABLE messages_next (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    role            TEXT NOT NULL CHECK (role IN ('visitor', 'assistant', 'operator', 'note')),
    text            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    client_id       TEXT,
    author_id       TEXT,
    author_name     TEXT,
    mentions        TEXT
) STRICT;

INSERT INTO messages_next (seq, id, conversation_id, role, text, created_at, client_id,
    author_id, author_name)
SELECT seq, id, conversation_id, role, text, created_at, client_id, author_id, author_name
FROM messages;

DROP TABLE messages;
ALTER TABLE messages_next RENAME TO messages;
CREATE INDEX messages_by_conversation ON messages (conversation_id, seq);
CREATE UNIQUE INDEX messages_by_client_id
    ON messages (conversation_id, client_id) WHERE client_id IS NOT NULL;

-- Who a note mentions, and when they read it (an unread mention is mailed
-- when they are away: the 'mentioned' mail notice).
CREATE TABLE mentions (
    message_id      TEXT NOT NULL REFERENCES messages (id),
    operator_id     TEXT NOT NULL REFERENCES operators (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    created_at      INTEGER NOT NULL,
    read_at         INTEGER,
    PRIMARY KEY (message_id, operator_id)
) STRICT;

CREATE INDEX mentions_by_operator ON mentions (operator_id, organization_id, created_at);
CREATE INDEX mentions_by_conversation ON mentions (conversation_id, operator_id);

CREATE TABLE labels (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    name            TEXT NOT NULL,
    name_key        TEXT NOT NULL, -- lowercased: names are unique whatever their case
    color           TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (organization_id, name_key)
) STRICT;

CREATE TABLE conversation_labels (
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    label_id        TEXT NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
    PRIMARY KEY (conversation_id, label_id)
) STRICT;

CREATE INDEX conversation_labels_by_label ON conversation_labels (label_id);

-- Saved replies: the team's (owner_id NULL) or one operator's own.
CREATE TABLE canned_replies (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    owner_id        TEXT REFERENCES operators (id),
    shortcut        TEXT NOT NULL,
    title           TEXT NOT NULL,
    text            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX canned_replies_by_shortcut
    ON canned_replies (organization_id, COALESCE(owner_id, ''), shortcut);

-- Full-text search over messages (rowid: the message's seq) and visitors'
-- names and emails (rowid: minus the conversation's seq). The server
-- writes each folded word (lowercase, no accents) behind its
-- organization's token ('o' and the ID's last 12 hex digits):
-- `o4f2a...refund`, so a term's list of rows holds one organization's,
-- and a search reads nothing of another's (it also checks each row's
-- organization). Contentless: the text stays in its own table (the
-- server cuts snippets from it). Written in the same transaction as what
-- it indexes.
CREATE VIRTUAL TABLE search_index USING fts5(
    body, content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Rows from before this migration are indexed by the server after it
-- starts (the tokens are written in Rust), newest first, in small batches:
-- these are the highest seqs still to do.
CREATE TABLE search_backfill (
    messages_through      INTEGER NOT NULL,
    conversations_through INTEGER NOT NULL
);
INSERT INTO search_backfill
SELECT COALESCE((SELECT MAX(seq) FROM messages), 0),
       COALESCE((SELECT MAX(seq) FROM conversations), 0);

-- Mail notices gain an audience: the operators a note mentions.
CREATE TABLE mail_notices_next (
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    audience        TEXT NOT NULL CHECK (audience IN ('team', 'visitor', 'mentioned')),
    pending         INTEGER NOT NULL DEFAULT 1,
    due_at          INTEGER NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1,
    locked_until    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, audience)
) STRICT;

INSERT INTO mail_notices_next SELECT conversation_id, audience, pending, due_at, version, locked_until
FROM mail_notices;
DROP TABLE mail_notices;
ALTER TABLE mail_notices_next RENAME TO mail_notices;
CREATE INDEX mail_notices_due ON mail_notices (due_at) WHERE pending = 1;

-- The visitor's context finds their conversations under the same email.
CREATE INDEX contact_sessions_by_email ON contact_sessions (organization_id, lower(email))
    WHERE email <> '';
