-- Identity verification (see the SQLite migration 0007_identity.sql).
ALTER TABLE organizations ADD COLUMN identity_secret TEXT;
UPDATE organizations SET identity_secret = md5(random()::text || id) || md5(random()::text || name);
ALTER TABLE contact_sessions ADD COLUMN user_id TEXT;
ALTER TABLE conversations ADD COLUMN visitor_user_id TEXT;
CREATE INDEX conversations_by_visitor_user
    ON conversations (organization_id, visitor_user_id, seq) WHERE visitor_user_id IS NOT NULL;
