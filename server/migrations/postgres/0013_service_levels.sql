-- Service levels (see the SQLite migration 0016_service_levels.sql).
ALTER TABLE organizations ADD COLUMN business_hours TEXT;
