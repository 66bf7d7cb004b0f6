-- Old events are pruned; each organization remembers the highest position
-- pruned, so a client resuming from before it is told to reload instead of
-- silently missing events.
ALTER TABLE organizations ADD COLUMN events_pruned_through BIGINT NOT NULL DEFAULT 0;
CREATE INDEX events_by_age ON events (created_at);
