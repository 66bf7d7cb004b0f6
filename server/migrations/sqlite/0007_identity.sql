-- Identity verification: each organization's HMAC key for its signed-in
-- users (kept as is: the server must compute with it), the verified user a
-- contact session belongs to, and the user a conversation was started by,
-- so sessions of one verified user share their conversations.
ALTER TABLE organizations ADD COLUMN identity_secret TEXT;
UPDATE organizations SET identity_secret = lower(hex(randomblob(32)));
ALTER TABLE contact_sessions ADD COLUMN user_id TEXT;
ALTER TABLE conversations ADD COLUMN visitor_user_id TEXT;
CREATE INDEX conversations_by_visitor_user
    ON conversations (organization_id, visitor_user_id, seq) WHERE visitor_user_id IS NOT NULL;
