-- Service levels (see the SQLite migration 0016_service_levels.sql).
ALTER TABLE organizations ADD COLUMN business_hours TEXT;
ALTER TABLE conversations ADD COLUMN away_until BIGINT;
